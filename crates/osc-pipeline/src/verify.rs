//! `verify`: a built service package checked before it is uploaded.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::{Diagnostic, Error, Severity};

/// What `verify` found, for people and as JSON.
#[derive(Debug, Serialize)]
pub struct Verified {
    pub ok: bool,
    pub package: String,
    /// The checksum file checked, if any.
    pub sha256_file: Option<String>,
    pub name: Option<String>,
    pub version: Option<String>,
    pub deployable: Option<String>,
    pub images: Vec<String>,
    pub mapping: Option<String>,
    pub errors: usize,
    pub warnings: usize,
    pub findings: Vec<Diagnostic>,
}

/// Checks a service package and its checksum file: `sha256_file`, else `PACKAGE.sha256` when it
/// exists.
pub fn verify(package: &Path, sha256_file: Option<&Path>) -> Result<Verified, Error> {
    let sha256_file = sha256_file.map(Path::to_path_buf).or_else(|| {
        let beside = PathBuf::from(format!("{}.sha256", package.display()));
        beside.is_file().then_some(beside)
    });
    let checked = osc_package::verify(package, sha256_file.as_deref())?;
    let errors = osc_diagnostic::count(&checked.findings, Severity::Error);
    Ok(Verified {
        ok: errors == 0,
        package: package.display().to_string(),
        sha256_file: sha256_file.map(|path| path.display().to_string()),
        errors,
        warnings: osc_diagnostic::count(&checked.findings, Severity::Warning),
        findings: checked.findings,
        name: checked.name,
        version: checked.version,
        deployable: checked.deployable,
        images: checked.images,
        mapping: checked.mapping,
    })
}
