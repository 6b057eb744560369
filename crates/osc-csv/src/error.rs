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
    /// The folder or archive cannot be read safely (osc-archive's rules).
    #[error(transparent)]
    Archive(#[from] osc_archive::Error),
    #[error("{}: not UTF-8 text; save the manifest as UTF-8", file.display())]
    NotUtf8 { file: PathBuf },
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

/// Why a [`crate::CsvEditor`] edit was refused; the text is then left as it was. File paths are
/// relative to the bundle root, as in [`crate::Bundle`].
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("{}: {source}", file.display())]
    Yaml {
        file: PathBuf,
        source: osc_yaml::Error,
    },
    #[error(
        "{}: spec.install.spec.deployments: no deployment named `{deployment}` (deployments here: {available}); use the name of an existing deployment",
        file.display()
    )]
    NoDeployment {
        file: PathBuf,
        deployment: String,
        available: String,
    },
    #[error(
        "{}: {field}: no container named `{container}` (containers here: {available}); use the name of an existing container and check its type (container, initContainer or ephemeralContainer)",
        file.display()
    )]
    NoContainer {
        file: PathBuf,
        field: String,
        container: String,
        available: String,
    },
    #[error(
        "{}: {field}: no variable named `{env}` (variables here: {available}); use the name of an existing variable",
        file.display()
    )]
    NoEnv {
        file: PathBuf,
        field: String,
        env: String,
        available: String,
    },
    #[error(
        "{}: {field}: the variable has no `value` (it reads `valueFrom` or nothing), so it holds no image address to rewrite; map a variable that has a `value`",
        file.display()
    )]
    EnvWithoutValue { file: PathBuf, field: String },
    #[error(
        "{}: spec.relatedImages: no entry {entry} (entries here: {available}); use the name or position of an existing entry",
        file.display()
    )]
    NoRelatedImage {
        file: PathBuf,
        entry: String,
        available: String,
    },
    #[error(
        "{}: metadata.annotations.alm-examples: missing; add the sample resources before mapping fields of them",
        file.display()
    )]
    NoAlmExamples { file: PathBuf },
    #[error(
        "{}: metadata.annotations.alm-examples: {source}; the examples must be a JSON list of objects",
        file.display()
    )]
    AlmExamples { file: PathBuf, source: AlmError },
    #[error(
        "{}: metadata.annotations.alm-examples: no example of kind `{kind}` (kinds here: {available}); use the kind of an existing example or add an example of that kind",
        file.display()
    )]
    NoExample {
        file: PathBuf,
        kind: String,
        available: String,
    },
    #[error(
        "{}: metadata.annotations.alm-examples: the {kind} example: {source}; write the field as dotted keys with [n] indices, such as `spec.image`",
        file.display()
    )]
    ExamplePath {
        file: PathBuf,
        kind: String,
        source: osc_yaml::Error,
    },
    #[error(
        "{}: metadata.annotations.alm-examples: the {kind} example has no field `{path}`; the platform writes only fields that exist, so add it to the example with the current image",
        file.display()
    )]
    MissingExampleField {
        file: PathBuf,
        kind: String,
        path: String,
    },
    #[error(
        "{}: metadata.annotations.alm-examples: `{path}` of the {kind} example is {found}, not a string; an image address is a string, so map a string field",
        file.display()
    )]
    NotAString {
        file: PathBuf,
        kind: String,
        path: String,
        found: &'static str,
    },
    #[error(
        "{}: metadata.annotations.alm-examples: cannot tell which characters of the YAML text hold the JSON ({detail}); write the annotation as a single-quoted string, or edit it by hand",
        file.display()
    )]
    Unmappable { file: PathBuf, detail: String },
    #[error(
        "{}: {field}: the edit did not read back as intended ({detail}); the text was left unchanged, edit it by hand and report this",
        file.display()
    )]
    Verification {
        file: PathBuf,
        field: String,
        detail: String,
    },
    #[error("the edited CSV no longer loads, so the edit was undone: {source}")]
    Reload { source: Error },
}
