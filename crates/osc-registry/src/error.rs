use std::path::PathBuf;

/// Why a plan could not be made, an image not pushed or a registry not asked.
///
/// No variant holds a credential: messages name the config file that was read, never its secret.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error(
        "{} holds no mapping.yaml, neither in images/ nor beside the tars: give the unpacked package folder or its images/ folder",
        dir.display()
    )]
    NoMapping { dir: PathBuf },

    #[error("{0}")]
    Mapping(#[from] osc_mapping::Error),

    #[error(
        "mapping.yaml {field}: `{name}` is not a file name in images/; name the tar as it is in images/, without folders"
    )]
    TarName { field: String, name: String },

    #[error(
        "mapping.yaml {field} names {}, which does not exist: add the tar to images/ or fix the file name",
        path.display()
    )]
    TarMissing { field: String, path: PathBuf },

    /// The tar could not be read as an image tar; the message names it.
    #[error("{0}")]
    Image(#[from] osc_image::Error),

    #[error("mapping.yaml {field}: {} {problem}", tar.display())]
    WrongImage {
        field: String,
        tar: PathBuf,
        problem: String,
    },

    #[error(
        "mapping.yaml {field} pushes {image} from other tars than {first} does ({tars}): one push would overwrite the other; give one of them another name or tag, or name the same tars"
    )]
    Conflict {
        image: String,
        field: String,
        first: String,
        /// `x86_64: b.tar, not x86_64: a.tar`.
        tars: String,
    },

    #[error("{what} `{text}` {problem}")]
    BadName {
        what: String,
        text: String,
        problem: String,
    },

    #[error(
        "cannot reach the registry {host} over {scheme}: {reason}; check the host and port, that the registry runs and is reachable from here{hint}"
    )]
    Unreachable {
        host: String,
        scheme: &'static str,
        reason: String,
        hint: &'static str,
    },

    #[error("the registry {host} refused {action}: {detail}; {credentials}")]
    AuthRefused {
        host: String,
        action: String,
        detail: String,
        /// Which config file was read and what it held for the host, never the secret.
        credentials: String,
    },

    #[error("cannot read registry credentials from {}: {problem}", path.display())]
    AuthConfig { path: PathBuf, problem: String },

    #[error(
        "{}: entry `{entry}` does not match its digest: it has {actual}, not {expected} (the tar is damaged: copy it again or save the image again); no image of this push was tagged",
        tar.display()
    )]
    DigestMismatch {
        tar: PathBuf,
        entry: String,
        expected: String,
        actual: String,
    },

    #[error(
        "{}: entry `{entry}` ended after {read} of its {size} bytes while it was pushed (was the tar changed meanwhile?); no image of this push was tagged",
        tar.display()
    )]
    ShortEntry {
        tar: PathBuf,
        entry: String,
        read: u64,
        size: u64,
    },

    #[error("{}: cannot read entry `{entry}` while pushing it: {source}", tar.display())]
    ReadEntry {
        tar: PathBuf,
        entry: String,
        source: std::io::Error,
    },

    #[error("{}: {problem} (save the image again with `docker save` or `podman save`)", tar.display())]
    BadTar { tar: PathBuf, problem: String },

    #[error("the registry refused the manifest of {reference}: {message}")]
    ManifestRefused { reference: String, message: String },

    #[error("the registry {host} failed {action}: {message}")]
    Registry {
        host: String,
        action: String,
        message: String,
    },

    #[error("the registry {host} answered {action} with something that is not an image: {problem}")]
    BadAnswer {
        host: String,
        action: String,
        problem: String,
    },

    #[error("cannot start the network runtime: {0}")]
    Runtime(std::io::Error),
}
