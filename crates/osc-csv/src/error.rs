use std::path::PathBuf;

use serde::Serialize;

/// Why a bundle could not be loaded. File paths are relative to the bundle root, as in [`crate::Bundle`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a readable zip archive: {source}; re-create it with `zip -r`", path.display())]
    Zip {
        path: PathBuf,
        source: zip::result::ZipError,
    },
    #[error(
        "{}: {entry}: cannot unpack: {source}; re-create the zip with plain deflate compression",
        archive.display()
    )]
    ZipEntry {
        archive: PathBuf,
        entry: String,
        source: zip::result::ZipError,
    },
    #[error("{}: not UTF-8 text; save the manifest as UTF-8", file.display())]
    NotUtf8 { file: PathBuf },
    #[error(
        "{}: {size} bytes is more than the {limit}-byte limit for one manifest; a real manifest is far smaller",
        file.display()
    )]
    TooLarge {
        file: PathBuf,
        size: u64,
        limit: u64,
    },
    #[error("{}: line {line}, column {column}: invalid YAML: {message}", file.display())]
    Yaml {
        file: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// A field has the wrong type, or a field the model cannot do without is missing.
    #[error("{}: {field}: {message}", file.display())]
    Field {
        file: PathBuf,
        field: String,
        message: String,
    },
    #[error(
        "{}: no ClusterServiceVersion found; an operator bundle needs one manifest with `kind: ClusterServiceVersion`",
        dir.display()
    )]
    NoCsv { dir: PathBuf },
    #[error(
        "{}: not an operator bundle: expected a manifests/ folder (bundle format), a <package>.package.yaml \
         (package-manifest format) or the manifests of one version; point at the folder or zip that holds them",
        path.display()
    )]
    UnknownLayout { path: PathBuf },
}

/// Why the `alm-examples` annotation gives no list of examples.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
pub enum AlmError {
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("the JSON is not a list; write the examples as a JSON array `[{{...}}, ...]`")]
    NotAnArray,
}
