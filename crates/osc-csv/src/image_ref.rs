//! Container image references, by the grammar of the distribution project
//! (`[host[:port]/]path[:tag][@algorithm:hex]`).

/// A syntactically valid image reference, split into its parts.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ImageRef<'a> {
    /// Present when the first path part is a registry host (has a `.` or `:`, or is `localhost`).
    pub registry: Option<&'a str>,
    pub repository: &'a str,
    pub tag: Option<&'a str>,
    pub digest: Option<&'a str>,
}

const MAX_NAME_LENGTH: usize = 255;

/// Parses `reference`; the error says what is wrong in words a provider can act on.
pub(crate) fn parse(reference: &str) -> Result<ImageRef<'_>, String> {
    if reference.is_empty() {
        return Err("is empty".to_string());
    }
    if let Some(blank) = reference.chars().find(|c| c.is_whitespace()) {
        return Err(format!("contains the blank {blank:?}"));
    }
    let (name_and_tag, digest) = match reference.split_once('@') {
        Some((name, digest)) => (name, Some(check_digest(digest)?)),
        None => (reference, None),
    };
    // A ':' after the last '/' starts the tag; one before it belongs to a registry port.
    let last_slash = name_and_tag.rfind('/').map_or(0, |at| at + 1);
    let (name, tag) = match name_and_tag[last_slash..].find(':') {
        Some(at) => {
            let at = last_slash + at;
            (
                &name_and_tag[..at],
                Some(check_tag(&name_and_tag[at + 1..])?),
            )
        }
        None => (name_and_tag, None),
    };
    if name.len() > MAX_NAME_LENGTH {
        return Err(format!(
            "has a name of {} characters; the limit is {MAX_NAME_LENGTH}",
            name.len()
        ));
    }
    let (registry, repository) = match name.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.chars().any(|c| c.is_ascii_uppercase()) =>
        {
            (Some(check_registry(first)?), rest)
        }
        _ => (None, name),
    };
    check_repository(repository)?;
    Ok(ImageRef {
        registry,
        repository,
        tag,
        digest,
    })
}

fn check_registry(registry: &str) -> Result<&str, String> {
    let (host, port) = match registry.rsplit_once(':') {
        Some((host, port)) if !registry.ends_with(']') => (host, Some(port)),
        _ => (registry, None),
    };
    if let Some(port) = port
        && (port.is_empty() || !port.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(format!(
            "has the registry port {port:?}, which is not a number"
        ));
    }
    let valid_host = if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        !inner.is_empty()
            && inner
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
    } else {
        host.split('.').all(|label| {
            !label.is_empty()
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
    };
    if valid_host {
        Ok(registry)
    } else {
        Err(format!(
            "has the registry host {host:?}, which is not a valid host name"
        ))
    }
}

fn check_repository(repository: &str) -> Result<(), String> {
    for component in repository.split('/') {
        if component.is_empty() {
            return Err("has an empty path part (a doubled or trailing '/')".to_string());
        }
        if component.chars().any(|c| c.is_ascii_uppercase()) {
            return Err(format!(
                "has the repository part {component:?} with upper-case letters; repositories are lower-case"
            ));
        }
        if !valid_path_component(component) {
            return Err(format!(
                "has the repository part {component:?}; parts are lower-case letters and digits, \
                 joined by '.', '_', '__' or dashes"
            ));
        }
    }
    Ok(())
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
fn valid_path_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    let alphanumeric = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let mut at = 0;
    loop {
        let start = at;
        while at < bytes.len() && alphanumeric(bytes[at]) {
            at += 1;
        }
        if at == start {
            return false;
        }
        if at == bytes.len() {
            return true;
        }
        let separator_start = at;
        while at < bytes.len() && !alphanumeric(bytes[at]) {
            at += 1;
        }
        let separator = &component[separator_start..at];
        if !(separator == "."
            || separator == "_"
            || separator == "__"
            || separator.bytes().all(|b| b == b'-'))
        {
            return false;
        }
    }
}

/// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`
fn check_tag(tag: &str) -> Result<&str, String> {
    let valid = !tag.is_empty()
        && tag.len() <= 128
        && !tag.starts_with(['.', '-'])
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if valid {
        Ok(tag)
    } else {
        Err(format!(
            "has the tag {tag:?}; a tag is 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'"
        ))
    }
}

fn check_digest(digest: &str) -> Result<&str, String> {
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return Err(format!(
            "has the digest {digest:?}, which lacks the `algorithm:` part"
        ));
    };
    let algorithm_valid = !algorithm.is_empty()
        && algorithm.split(['+', '.', '_', '-']).all(|part| {
            part.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && part.chars().all(|c| c.is_ascii_alphanumeric())
        });
    if !algorithm_valid {
        return Err(format!(
            "has the digest algorithm {algorithm:?}, which is not valid"
        ));
    }
    let hex_valid = |length_ok: bool| {
        length_ok
            && hex
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    };
    let valid = match algorithm {
        "sha256" => hex_valid(hex.len() == 64),
        "sha512" => hex_valid(hex.len() == 128),
        _ => hex_valid(hex.len() >= 32),
    };
    if valid {
        Ok(digest)
    } else {
        Err(format!(
            "has the digest {digest:?}; a {algorithm} digest is lower-case hex of the right length"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "c0301e4686c3ed4206e370b42de5a3bd2229b9fb4906cf85f3f30650424abec2";

    #[test]
    fn valid_references_split_into_parts() {
        let digest = format!("quay.io/coreos/etcd-operator@sha256:{SHA}");
        let cases: Vec<(&str, ImageRef)> = vec![
            (
                "quay.io/coreos/etcd:v3.4.0",
                ImageRef {
                    registry: Some("quay.io"),
                    repository: "coreos/etcd",
                    tag: Some("v3.4.0"),
                    digest: None,
                },
            ),
            (
                &digest,
                ImageRef {
                    registry: Some("quay.io"),
                    repository: "coreos/etcd-operator",
                    tag: None,
                    digest: Some(&digest[29..]),
                },
            ),
            (
                "localhost:5000/a__b/c.d_e--f:1",
                ImageRef {
                    registry: Some("localhost:5000"),
                    repository: "a__b/c.d_e--f",
                    tag: Some("1"),
                    digest: None,
                },
            ),
            (
                "nginx",
                ImageRef {
                    registry: None,
                    repository: "nginx",
                    tag: None,
                    digest: None,
                },
            ),
            (
                "bitnami/redis:7.2",
                ImageRef {
                    registry: None,
                    repository: "bitnami/redis",
                    tag: Some("7.2"),
                    digest: None,
                },
            ),
            (
                "[::1]:5000/x:y",
                ImageRef {
                    registry: Some("[::1]:5000"),
                    repository: "x",
                    tag: Some("y"),
                    digest: None,
                },
            ),
        ];
        for (reference, expected) in cases {
            assert_eq!(parse(reference), Ok(expected), "{reference}");
        }
    }

    #[test]
    fn invalid_references_say_why() {
        let cases = [
            ("", "empty"),
            ("quay.io/Coreos/etcd:1", "upper-case"),
            ("quay.io/coreos//etcd", "empty path part"),
            ("quay.io/coreos/etcd:", "tag"),
            ("quay.io/coreos/etcd:-x", "tag"),
            ("quay.io/coreos/etcd@sha256:abc", "digest"),
            ("quay.io/coreos/etcd@sha256", "algorithm"),
            ("quay.io:port/etcd", "port"),
            ("quay_io.x/etcd:1", "host"),
            ("quay.io/etcd-/x", "repository part"),
            ("quay.io/etcd: 1", "blank"),
        ];
        for (reference, reason) in cases {
            let error = parse(reference).expect_err(reference);
            assert!(error.contains(reason), "{reference}: {error}");
        }
    }
}
