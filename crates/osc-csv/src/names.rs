//! Kubernetes name rules (DNS-1123).

/// Why `name` is not a DNS-1123 label (container names): at most 63 of `a-z`, `0-9`, `-`, starting
/// and ending with a letter or digit.
pub(crate) fn dns1123_label_problem(name: &str) -> Option<String> {
    if name.len() > 63 {
        return Some(format!(
            "is {} characters long; the limit is 63",
            name.len()
        ));
    }
    label_problem(name)
}

/// Why `name` is not a DNS-1123 subdomain (most object names): labels joined by `.`, at most 253
/// characters.
pub(crate) fn dns1123_subdomain_problem(name: &str) -> Option<String> {
    if name.len() > 253 {
        return Some(format!(
            "is {} characters long; the limit is 253",
            name.len()
        ));
    }
    name.split('.').find_map(label_problem)
}

fn label_problem(label: &str) -> Option<String> {
    if label.is_empty() {
        return Some("has an empty part (nothing between dots, or nothing at all)".to_string());
    }
    if let Some(bad) = label
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Some(format!(
            "contains {bad:?}; only lower-case letters, digits, '-' and '.' are allowed"
        ));
    }
    if label.starts_with('-') || label.ends_with('-') {
        return Some("has a part that starts or ends with '-'".to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_subdomains() {
        let cases = [
            ("etcd-operator", true, true),
            ("etcdoperator.v0.9.2", false, true),
            ("Etcd", false, false),
            ("-etcd", false, false),
            ("etcd_operator", false, false),
            ("a..b", false, false),
            ("", false, false),
            (&"a".repeat(64), false, true),
        ];
        for (name, label, subdomain) in cases {
            assert_eq!(
                dns1123_label_problem(name).is_none(),
                label,
                "label {name:?}"
            );
            assert_eq!(
                dns1123_subdomain_problem(name).is_none(),
                subdomain,
                "subdomain {name:?}"
            );
        }
    }
}
