use std::path::PathBuf;

/// Why a chart or operator could not be converted.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    /// A field the package needs has no value in the input and no option gave one.
    #[error("metadata.yaml `{field}`: {reason}; {fix}")]
    MissingField {
        field: &'static str,
        reason: String,
        fix: String,
    },
    /// A value from the input breaks the platform's rule for its field.
    #[error("metadata.yaml `{field}`: {reason}; {fix}")]
    InvalidField {
        field: &'static str,
        reason: String,
        fix: String,
    },
    /// A command-line value is not one the platform accepts.
    #[error("{option} `{value}`: {reason}")]
    InvalidOption {
        option: &'static str,
        value: String,
        reason: String,
    },
    /// The versionDefinition option breaks these rules (errors only).
    #[error(
        "the versionDefinition for {file} breaks {} rule(s):\n{}",
        findings.len(),
        findings.iter().map(|finding| finding.to_string()).collect::<Vec<_>>().join("\n")
    )]
    VersionDefinition {
        file: String,
        findings: Vec<osc_versiondef::Diagnostic>,
    },
    #[error(
        "Chart.yaml: `type: library`: Helm cannot install the library chart {name}; convert an application chart that depends on it"
    )]
    LibraryChart { name: String },
    #[error("{file}: {message}; fix the file so it can be converted")]
    Input { file: String, message: String },
    #[error(
        "{}: the CSV owns the CRD {name}, but no manifest in the bundle defines it; add the CRD manifest",
        csv.display()
    )]
    MissingCrd { csv: PathBuf, name: String },
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {entry}: cannot read from the zip: {source}", archive.display())]
    Zip {
        archive: PathBuf,
        entry: String,
        source: zip::result::ZipError,
    },
    #[error("{file}: {source}")]
    Csd {
        file: String,
        source: osc_versiondef::Error,
    },
    #[error("internal template error: {0}; report this bug")]
    Template(String),
}

/// Why an OSC-format package could not be read for checking.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The folder or archive cannot be read safely (osc-archive's rules).
    #[error(transparent)]
    Archive(#[from] osc_archive::Error),
    #[error(
        "{}: not an OSC-format package: expected a folder, a `.zip` or a `.tgz`",
        path.display()
    )]
    UnknownFormat { path: PathBuf },
}
