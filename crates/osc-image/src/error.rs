use std::path::PathBuf;
use std::{fmt, io};

/// Why an image tar could not be read, verified or written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },

    #[error(
        "{} is not a tar file ({reason}): make image tars with `docker save` or `podman save`",
        path.display()
    )]
    NotATar { path: PathBuf, reason: String },

    #[error(
        "{} is gzip-compressed, but an image tar must be a plain tar: decompress it with `gunzip`",
        path.display()
    )]
    Compressed { path: PathBuf },

    #[error("{} is truncated: it ends {place} (copy the file again or save the image again)", path.display())]
    Truncated { path: PathBuf, place: String },

    #[error("{}: bad tar header{}: {source} (the file is damaged: save the image again)", path.display(), if after.is_empty() { String::new() } else { format!(" after entry `{after}`") })]
    CorruptTar {
        path: PathBuf,
        after: String,
        source: io::Error,
    },

    #[error(
        "not an image archive: {} holds neither manifest.json nor index.json (make it with `docker save` or `podman save`)",
        path.display()
    )]
    NotAnImageArchive { path: PathBuf },

    #[error("{}: {referrer} names `{entry}`, which is not in the tar (save the image again)", path.display())]
    MissingEntry {
        path: PathBuf,
        referrer: String,
        entry: String,
    },

    #[error("{}: bad JSON in entry `{entry}`: {source} (save the image again with `docker save` or `podman save`)", path.display())]
    BadJson {
        path: PathBuf,
        entry: String,
        source: serde_json::Error,
    },

    #[error(
        "{}: entry `{entry}` is {size} bytes, more than the {limit} bytes a JSON entry may have (save the image again with `docker save` or `podman save`)",
        path.display()
    )]
    JsonTooLarge {
        path: PathBuf,
        entry: String,
        size: u64,
        limit: u64,
    },

    #[error("{}: entry `{entry}` {problem} (save the image again with `docker save` or `podman save`)", path.display())]
    Invalid {
        path: PathBuf,
        entry: String,
        problem: String,
    },

    #[error(
        "{}: entry `{entry}` {check}: it has {actual}, not {expected} (the tar is damaged: save the image again)",
        path.display()
    )]
    DigestMismatch {
        path: PathBuf,
        entry: String,
        check: DigestCheck,
        expected: String,
        actual: String,
    },

    #[error("{}: layer `{entry}` is not valid gzip: {source} (the tar is damaged: save the image again)", path.display())]
    CorruptGzip {
        path: PathBuf,
        entry: String,
        source: io::Error,
    },

    #[error("image spec: {field} {problem}")]
    InvalidSpec {
        field: &'static str,
        problem: String,
    },

    #[error("cannot write the image tar: {0}")]
    Write(#[source] io::Error),
}

/// Which stated digest an entry's bytes failed to match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestCheck {
    /// A content-addressed name, `blobs/sha256/<hex>`.
    Name,
    /// The descriptor in the OCI image manifest.
    Manifest,
    /// The config's `rootfs.diff_ids`, for an uncompressed layer.
    DiffId,
    /// The config's `rootfs.diff_ids`, for a compressed layer once decompressed.
    UncompressedDiffId,
}

impl fmt::Display for DigestCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DigestCheck::Name => "does not match the digest its name states",
            DigestCheck::Manifest => "does not match the digest its image manifest states",
            DigestCheck::DiffId => "does not match its diff_id in the config",
            DigestCheck::UncompressedDiffId => {
                "decompressed does not match its diff_id in the config"
            }
        })
    }
}
