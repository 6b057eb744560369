//! Registry addresses: `HOST[:PORT]/ORG` to push to and `HOST[:PORT]/ORG/name:tag` to ask about.

use std::fmt;
use std::net::IpAddr;

use crate::Error;

/// Where images are pushed: a registry host (with its port, if any) and an organisation, which
/// may have several path components (`registry.example.com:5000/team/apps`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registry {
    host: String,
    org: String,
}

impl Registry {
    /// Reads `HOST[:PORT]/ORG`.
    pub fn parse(text: &str) -> Result<Registry, Error> {
        let bad = |problem: &str| Error::BadName {
            what: "registry".to_owned(),
            text: text.to_owned(),
            problem: format!(
                "{problem}; write it as HOST[:PORT]/ORG, e.g. `swr.cn-north-4.myhuaweicloud.com/my-org`"
            ),
        };
        if text.contains("://") {
            return Err(bad("has a scheme"));
        }
        let Some((host, org)) = text.trim_end_matches('/').split_once('/') else {
            return Err(bad("has no organisation"));
        };
        check_host(host).map_err(|problem| bad(&problem))?;
        check_repository(org)
            .map_err(|problem| bad(&format!("has an organisation that {problem}")))?;
        Ok(Registry {
            host: host.to_owned(),
            org: org.to_owned(),
        })
    }

    /// `HOST[:PORT]`.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The organisation, without slashes around it.
    pub fn org(&self) -> &str {
        &self.org
    }
}

impl fmt::Display for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.host, self.org)
    }
}

/// Loopback registries are reached over plain HTTP: a local test registry has no certificate.
pub(crate) fn is_loopback(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        // `[::1]:5000`
        Some(rest) => rest.split(']').next().unwrap_or(rest),
        None => host.split(':').next().unwrap_or(host),
    };
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn check_host(host: &str) -> Result<(), String> {
    if osc_imageref::is_valid_registry(host) {
        Ok(())
    } else {
        Err(format!(
            "has the host `{host}`, which is not a host name with an optional `:PORT`"
        ))
    }
}

fn check_repository(repository: &str) -> Result<(), String> {
    if osc_imageref::is_valid_repository(repository) {
        Ok(())
    } else {
        Err(format!(
            "is `{repository}`: use path parts of lower-case letters and digits separated by `.`, `_`, `__` or `-`"
        ))
    }
}

fn check_tag(tag: &str) -> Result<(), String> {
    if osc_imageref::is_valid_tag(tag) {
        Ok(())
    } else {
        Err(format!(
            "has the tag `{tag}`: use up to 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`"
        ))
    }
}

/// Checks an image name (one or more path components) and tag to push; `what` says where they
/// come from, e.g. `mapping.yaml instance[0]`.
pub(crate) fn check_name_and_tag(what: &str, name: &str, tag: &str) -> Result<(), Error> {
    check_repository(name).map_err(|problem| Error::BadName {
        what: format!("{what}: image name"),
        text: name.to_owned(),
        problem,
    })?;
    check_tag(tag).map_err(|problem| Error::BadName {
        what: format!("{what}: image"),
        text: format!("{name}:{tag}"),
        problem,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_registries() {
        let registry = Registry::parse("127.0.0.1:5000/team/apps").unwrap();
        assert_eq!(registry.host(), "127.0.0.1:5000");
        assert_eq!(registry.org(), "team/apps");
        assert_eq!(registry.to_string(), "127.0.0.1:5000/team/apps");
        assert_eq!(
            Registry::parse("swr.example.com/org/").unwrap().org(),
            "org"
        );
        assert_eq!(
            Registry::parse("[::1]:5000/org").unwrap().host(),
            "[::1]:5000"
        );
        for bad in [
            "swr.example.com",
            "https://swr.example.com/org",
            "swr.example.com/Org",
            "swr.example.com:port/org",
            "/org",
            "host/a//b",
        ] {
            let error = Registry::parse(bad).unwrap_err().to_string();
            assert!(error.contains("HOST[:PORT]/ORG"), "{bad}: {error}");
        }
    }

    #[test]
    fn knows_loopback_hosts() {
        for host in [
            "127.0.0.1",
            "127.0.0.1:5000",
            "localhost:80",
            "[::1]:5000",
            "127.1.2.3",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        for host in [
            "swr.example.com",
            "10.0.0.1:5000",
            "[2001:db8::1]:5000",
            "localhost.example.com",
        ] {
            assert!(!is_loopback(host), "{host}");
        }
    }
}
