//! The one container image reference type of helm-osc: `[registry[:port]/]repository[:tag][@digest]`
//! parsed with the grammar of the distribution project (github.com/distribution/reference), as
//! Docker, containerd and so a kubelet read it. A string that does not parse is an
//! [`ImageRefError`] the caller reports; nothing that looks like an image is ever skipped silently.

use std::fmt;

/// A container image reference, normalized the way Docker and containerd read one:
/// `nginx` is `docker.io/library/nginx`, `index.docker.io` is `docker.io`.
#[derive(Clone, Debug)]
pub struct ImageRef {
    registry: String,
    /// Whether the text named its registry, rather than meaning Docker Hub implicitly.
    registry_given: bool,
    repository: String,
    tag: Option<String>,
    digest: Option<String>,
}

/// Why a string is not an image reference.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImageRefError {
    #[error("image reference is empty: give at least a repository name such as `nginx`")]
    Empty,
    #[error("image reference {reference:?} contains whitespace: remove it")]
    Whitespace { reference: String },
    #[error(
        "image reference {reference:?} has upper-case letters in its repository: image repositories are lower case"
    )]
    Uppercase { reference: String },
    #[error(
        "image reference {reference:?} has an invalid registry host {registry:?}: expected a host name or IP with an optional `:port`"
    )]
    Registry { reference: String, registry: String },
    #[error(
        "image reference {reference:?} has an invalid repository path component {component:?}: use lower-case letters and digits separated by `.`, `_`, `__` or `-`"
    )]
    Repository {
        reference: String,
        component: String,
    },
    #[error(
        "image reference {reference:?} has an invalid tag {tag:?}: a tag is 1 to 128 of letters, digits, `_`, `.` and `-`, not starting with `.` or `-`"
    )]
    Tag { reference: String, tag: String },
    #[error(
        "image reference {reference:?} has an invalid digest {digest:?}: expected `sha256:` and 64 lower-case hex digits (or sha384 with 96, sha512 with 128)"
    )]
    Digest { reference: String, digest: String },
    #[error("image reference {reference:?} has a name longer than 255 characters")]
    TooLong { reference: String },
}

const DOCKER_HUB: &str = "docker.io";
const NAME_MAX_LEN: usize = 255;
const TAG_MAX_LEN: usize = 128;

impl ImageRef {
    /// Parses `[registry[:port]/]repository[:tag][@digest]` with the grammar of
    /// github.com/distribution/reference.
    pub fn parse(reference: &str) -> Result<ImageRef, ImageRefError> {
        if reference.is_empty() {
            return Err(ImageRefError::Empty);
        }
        if reference.chars().any(char::is_whitespace) {
            return Err(ImageRefError::Whitespace {
                reference: reference.to_owned(),
            });
        }
        let (name_and_tag, digest) = match reference.split_once('@') {
            Some((name, digest)) => (name, Some(digest)),
            None => (reference, None),
        };
        let last_slash = name_and_tag.rfind('/');
        let (name, tag) = match name_and_tag.rfind(':') {
            // A colon before the last slash belongs to the registry's port.
            Some(colon) if last_slash.is_none_or(|slash| colon > slash) => {
                (&name_and_tag[..colon], Some(&name_and_tag[colon + 1..]))
            }
            _ => (name_and_tag, None),
        };
        if name.len() > NAME_MAX_LEN {
            return Err(ImageRefError::TooLong {
                reference: reference.to_owned(),
            });
        }
        let (given, repository) = split_registry(name);
        let registry_given = given.is_some();
        let registry = given.unwrap_or(DOCKER_HUB);
        if !is_valid_registry(registry) {
            return Err(ImageRefError::Registry {
                reference: reference.to_owned(),
                registry: registry.to_owned(),
            });
        }
        for component in repository.split('/') {
            if !is_valid_path_component(component) {
                if is_valid_path_component(&component.to_ascii_lowercase()) {
                    return Err(ImageRefError::Uppercase {
                        reference: reference.to_owned(),
                    });
                }
                return Err(ImageRefError::Repository {
                    reference: reference.to_owned(),
                    component: component.to_owned(),
                });
            }
        }
        if let Some(tag) = tag.filter(|tag| !is_valid_tag(tag)) {
            return Err(ImageRefError::Tag {
                reference: reference.to_owned(),
                tag: tag.to_owned(),
            });
        }
        if let Some(digest) = digest.filter(|digest| !is_valid_digest(digest)) {
            return Err(ImageRefError::Digest {
                reference: reference.to_owned(),
                digest: digest.to_owned(),
            });
        }
        let registry = if registry == "index.docker.io" {
            DOCKER_HUB
        } else {
            registry
        };
        let repository = if registry == DOCKER_HUB && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository.to_owned()
        };
        Ok(ImageRef {
            registry_given,
            registry: registry.to_owned(),
            repository,
            tag: tag.map(str::to_owned),
            digest: digest.map(str::to_owned),
        })
    }

    /// The registry host with its port, e.g. `docker.io` or `localhost:5000`.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// Whether the reference named its registry; `nginx` and `bitnami/redis` mean Docker Hub
    /// without saying so.
    pub fn registry_given(&self) -> bool {
        self.registry_given
    }

    /// The repository path inside the registry, e.g. `library/nginx` or `bitnami/redis`.
    pub fn repository(&self) -> &str {
        &self.repository
    }

    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest with its algorithm, e.g. `sha256:0123…`.
    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }

    /// `registry/repository`, the reference without tag and digest.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// The short form Docker prints: `nginx:1.27` for `docker.io/library/nginx:1.27`,
    /// `bitnami/redis` for `docker.io/bitnami/redis`; other registries stay fully qualified.
    pub fn familiar(&self) -> String {
        if self.registry != DOCKER_HUB {
            return self.to_string();
        }
        let repository = self
            .repository
            .strip_prefix("library/")
            .filter(|rest| !rest.contains('/'))
            .unwrap_or(&self.repository);
        let mut familiar = repository.to_owned();
        push_tag_and_digest(&mut familiar, self);
        familiar
    }
}

/// Two references are equal when they name the same image: `nginx` is `docker.io/library/nginx`.
impl PartialEq for ImageRef {
    fn eq(&self, other: &ImageRef) -> bool {
        (&self.registry, &self.repository, &self.tag, &self.digest)
            == (
                &other.registry,
                &other.repository,
                &other.tag,
                &other.digest,
            )
    }
}

impl Eq for ImageRef {}

impl std::hash::Hash for ImageRef {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (&self.registry, &self.repository, &self.tag, &self.digest).hash(state);
    }
}

/// The fully qualified form, `registry/repository[:tag][@digest]`.
impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut full = self.name();
        push_tag_and_digest(&mut full, self);
        f.write_str(&full)
    }
}

fn push_tag_and_digest(out: &mut String, image: &ImageRef) {
    if let Some(tag) = &image.tag {
        out.push(':');
        out.push_str(tag);
    }
    if let Some(digest) = &image.digest {
        out.push('@');
        out.push_str(digest);
    }
}

/// Docker's rule: the first path segment is a registry only when it looks like a host
/// (has a `.` or a `:port`, is `localhost`, or has upper case, which no repository has).
fn split_registry(name: &str) -> (Option<&str>, &str) {
    match name.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.bytes().any(|b| b.is_ascii_uppercase()) =>
        {
            (Some(first), rest)
        }
        _ => (None, name),
    }
}

/// A registry host with an optional `:port` (`[ipv6]:port` too).
pub fn is_valid_registry(registry: &str) -> bool {
    let (host, port) = if let Some(ipv6) = registry.strip_prefix('[') {
        match ipv6.split_once(']') {
            Some((address, rest)) if is_ipv6(address) => ("ipv6", rest.strip_prefix(':')),
            _ => return false,
        }
    } else {
        match registry.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (registry, None),
        }
    };
    let port_ok =
        port.is_none_or(|port| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()));
    let host_ok = host.split('.').all(|label| {
        let bytes = label.as_bytes();
        !bytes.is_empty()
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
            && bytes[0] != b'-'
            && bytes[bytes.len() - 1] != b'-'
    });
    port_ok && host_ok
}

fn is_ipv6(address: &str) -> bool {
    address.contains(':')
        && address
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`, one `/`-separated part of a repository.
pub fn is_valid_path_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if bytes.first().is_none_or(|b| !alnum(*b)) || bytes.last().is_none_or(|b| !alnum(*b)) {
        return false;
    }
    let mut index = 0;
    while index < bytes.len() {
        if alnum(bytes[index]) {
            index += 1;
            continue;
        }
        let start = index;
        while index < bytes.len() && !alnum(bytes[index]) {
            index += 1;
        }
        let separator = &component[start..index];
        let dashes = separator.bytes().all(|b| b == b'-');
        if !(matches!(separator, "." | "_" | "__") || dashes) {
            return false;
        }
    }
    true
}

/// `[\w][\w.-]{0,127}`, an image tag.
pub fn is_valid_tag(tag: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let bytes = tag.as_bytes();
    bytes.len() <= TAG_MAX_LEN
        && bytes.first().is_some_and(|b| word(*b))
        && bytes.iter().all(|b| word(*b) || *b == b'.' || *b == b'-')
}

/// `algorithm:hex` for the algorithms a registry and a kubelet take (go-digest's registered
/// ones), each with its exact lower-case hex length.
pub fn is_valid_digest(digest: &str) -> bool {
    let Some((algorithm, encoded)) = digest.split_once(':') else {
        return false;
    };
    let length = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return false,
    };
    encoded.len() == length
        && encoded
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A repository path: `/`-separated valid components, at most 255 characters with its registry.
pub fn is_valid_repository(repository: &str) -> bool {
    repository.len() <= NAME_MAX_LEN && repository.split('/').all(is_valid_path_component)
}
