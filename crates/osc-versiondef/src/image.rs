//! Image tags and references, by the grammar of the distribution project
//! (`[host[:port]/]path[:tag][@algorithm:hex]`).

/// An image reference split into the parts an upgrade cares about.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Reference<'a> {
    pub tag: Option<&'a str>,
    pub digest: Option<&'a str>,
}

/// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`, the tag grammar of the distribution project.
pub(crate) fn is_valid_tag(tag: &str) -> bool {
    let mut chars = tag.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    first_ok
        && tag.len() <= 128
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// Parses a whole image reference; the error says what is wrong in words a provider can act on.
pub(crate) fn parse_reference(reference: &str) -> Result<Reference<'_>, String> {
    if let Some(blank) = reference.chars().find(|c| c.is_whitespace()) {
        return Err(format!("contains the blank {blank:?}"));
    }
    let (name_and_tag, digest) = match reference.split_once('@') {
        Some((name, digest)) => (name, Some(digest)),
        None => (reference, None),
    };
    // A ':' after the last '/' starts the tag; one before it belongs to a registry port.
    let last_slash = name_and_tag.rfind('/').map_or(0, |at| at + 1);
    let (name, tag) = match name_and_tag[last_slash..].find(':') {
        Some(at) => {
            let at = last_slash + at;
            (&name_and_tag[..at], Some(&name_and_tag[at + 1..]))
        }
        None => (name_and_tag, None),
    };
    if let Some(tag) = tag.filter(|tag| !is_valid_tag(tag)) {
        return Err(format!(
            "has the tag {tag:?}; a tag is 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'"
        ));
    }
    if let Some(digest) = digest.filter(|digest| !is_valid_digest(digest)) {
        return Err(format!(
            "has the digest {digest:?}; write it as `sha256:` and 64 lower-case hex digits"
        ));
    }
    let repository = match name.split_once('/') {
        Some((host, rest)) if host.contains(['.', ':']) || host == "localhost" => rest,
        _ => name,
    };
    if let Some(component) = repository
        .split('/')
        .find(|component| !is_valid_path_component(component))
    {
        return Err(if component.is_empty() {
            "has an empty repository part (an empty name or a doubled '/')".to_string()
        } else {
            format!(
                "has the repository part {component:?}; parts are lower-case letters and digits joined by '.', '_', '__' or dashes"
            )
        });
    }
    Ok(Reference { tag, digest })
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
fn is_valid_path_component(component: &str) -> bool {
    let alphanumeric = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    let mut rest = component;
    loop {
        let word_end = rest.find(|c| !alphanumeric(c)).unwrap_or(rest.len());
        if word_end == 0 {
            return false;
        }
        rest = &rest[word_end..];
        if rest.is_empty() {
            return true;
        }
        let separator_end = rest.find(alphanumeric).unwrap_or(rest.len());
        let separator = &rest[..separator_end];
        let known = matches!(separator, "." | "_" | "__") || separator.chars().all(|c| c == '-');
        if !known {
            return false;
        }
        rest = &rest[separator_end..];
    }
}

fn is_valid_digest(digest: &str) -> bool {
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return false;
    };
    let hex_ok = hex
        .chars()
        .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c));
    match algorithm {
        "sha256" => hex_ok && hex.len() == 64,
        "sha512" => hex_ok && hex.len() == 128,
        _ => !algorithm.is_empty() && hex_ok && hex.len() >= 32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags() {
        for tag in ["1.0.0", "v1", "_x", "8.2.1-debian-12-r0", &"a".repeat(128)] {
            assert!(is_valid_tag(tag), "{tag}");
        }
        for tag in ["", ".1", "-1", "a/b", "a:b", "1.0 ", &"a".repeat(129)] {
            assert!(!is_valid_tag(tag), "{tag}");
        }
    }

    #[test]
    fn references() {
        let sha = "c".repeat(64);
        let with_digest = format!("quay.io/coreos/etcd@sha256:{sha}");
        let cases: [(&str, Option<&str>, bool); 5] = [
            ("quay.io/coreos/etcd:v3.4.0", Some("v3.4.0"), false),
            ("localhost:5000/a__b/c--d:1", Some("1"), false),
            ("nginx", None, false),
            (
                "docker.io/bitnami/redis:8.2.1-debian-12-r0",
                Some("8.2.1-debian-12-r0"),
                false,
            ),
            (&with_digest, None, true),
        ];
        for (text, tag, has_digest) in cases {
            let reference = parse_reference(text).unwrap();
            assert_eq!(reference.tag, tag, "{text}");
            assert_eq!(reference.digest.is_some(), has_digest, "{text}");
        }
        for text in ["", "Nginx:1", "a//b", "a:b c", "a:.x", "a@sha256:12"] {
            assert!(parse_reference(text).is_err(), "{text}");
        }
    }
}
