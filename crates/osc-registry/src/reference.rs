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

/// `HOST[:PORT]/REPOSITORY` with a tag or a digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImageRef {
    pub host: String,
    pub repository: String,
    pub version: Version,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Version {
    Tag(String),
    Digest(String),
}

impl ImageRef {
    /// Reads `HOST[:PORT]/ORG/name:tag` or `HOST[:PORT]/ORG/name@sha256:<hex>`.
    pub fn parse(text: &str) -> Result<ImageRef, Error> {
        let bad = |problem: String| Error::BadName {
            what: "image".to_owned(),
            text: text.to_owned(),
            problem: format!("{problem}; write it as HOST[:PORT]/ORG/name:tag"),
        };
        if text.contains("://") {
            return Err(bad("has a scheme".to_owned()));
        }
        let (rest, version) = match text.split_once('@') {
            Some((rest, digest)) => {
                check_digest(digest).map_err(&bad)?;
                (rest, Version::Digest(digest.to_owned()))
            }
            None => match text.rsplit_once(':') {
                Some((rest, tag)) if !tag.contains('/') => {
                    check_tag(tag).map_err(&bad)?;
                    (rest, Version::Tag(tag.to_owned()))
                }
                _ => return Err(bad("has no tag".to_owned())),
            },
        };
        let Some((host, repository)) = rest.split_once('/') else {
            return Err(bad("has no registry host".to_owned()));
        };
        check_host(host).map_err(&bad)?;
        check_repository(repository)
            .map_err(|problem| bad(format!("has a name that {problem}")))?;
        Ok(ImageRef {
            host: host.to_owned(),
            repository: repository.to_owned(),
            version,
        })
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.version {
            Version::Tag(tag) => write!(f, "{}/{}:{tag}", self.host, self.repository),
            Version::Digest(digest) => write!(f, "{}/{}@{digest}", self.host, self.repository),
        }
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
    let (name, port) = match host.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((address, port)) if address.parse::<std::net::Ipv6Addr>().is_ok() => {
                (address, port.strip_prefix(':'))
            }
            _ => return Err(format!("has the host `{host}`, which is not `[IPv6]:PORT`")),
        },
        None => match host.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        },
    };
    let name_ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:".contains(&b));
    if !name_ok {
        return Err(format!("has the host `{host}`, which is not a host name"));
    }
    if let Some(port) = port
        && port.parse::<u16>().is_err()
    {
        return Err(format!("has the port `{port}`, which is not a port number"));
    }
    Ok(())
}

/// Path components of lower-case letters and digits joined by `.`, `_`, `__` or dashes, as the
/// distribution spec allows.
fn check_repository(repository: &str) -> Result<(), String> {
    if repository.is_empty() {
        return Err("is empty".to_owned());
    }
    for component in repository.split('/') {
        let bytes = component.as_bytes();
        let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        let ok = bytes.first().is_some_and(alnum)
            && bytes.last().is_some_and(alnum)
            && bytes.iter().all(|b| alnum(b) || b"._-".contains(b))
            && !component.contains("..")
            && !component.contains("___")
            && !component.contains("._")
            && !component.contains("_.")
            && !component.contains(".-")
            && !component.contains("-.")
            && !component.contains("_-")
            && !component.contains("-_");
        if !ok {
            return Err(format!(
                "has the part `{component}`: use lower-case letters and digits separated by `.`, `_`, `__` or `-`"
            ));
        }
    }
    Ok(())
}

pub(crate) fn check_tag(tag: &str) -> Result<(), String> {
    let ok = !tag.is_empty()
        && tag.len() <= 128
        && !tag.starts_with(['.', '-'])
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "has the tag `{tag}`: use up to 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`"
        ))
    }
}

fn check_digest(digest: &str) -> Result<(), String> {
    match digest.strip_prefix("sha256:") {
        Some(hex)
            if hex.len() == 64
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) =>
        {
            Ok(())
        }
        _ => Err(format!(
            "has the digest `{digest}`, which is not sha256:<64 hex digits>"
        )),
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
    fn parses_image_references() {
        let image = ImageRef::parse("localhost:5000/org/sub/etcd:3.5.17").unwrap();
        assert_eq!(image.host, "localhost:5000");
        assert_eq!(image.repository, "org/sub/etcd");
        assert_eq!(image.version, Version::Tag("3.5.17".to_owned()));
        let digest = format!("sha256:{}", "a".repeat(64));
        let image = ImageRef::parse(&format!("h/org/etcd@{digest}")).unwrap();
        assert_eq!(image.version, Version::Digest(digest));
        for bad in [
            "h/org/etcd",
            "etcd:1",
            "h/org/etcd:.x",
            "h/org/etcd@sha256:12",
        ] {
            assert!(ImageRef::parse(bad).is_err(), "{bad}");
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
