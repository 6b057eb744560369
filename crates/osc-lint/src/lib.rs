//! Lints a Helm chart, an Operator-Framework bundle, an OSC-format package or a built service
//! package zip: one report of everything the OSC platform will refuse or break on, each finding
//! under a stable rule id with the file, the key or line, and what to do.
//!
//! ```no_run
//! use std::path::Path;
//!
//! let helm = osc_lint::Helm::new("helm");
//! let request = osc_lint::LintRequest {
//!     source: Path::new("redis"),
//!     images: Some(Path::new("images")),
//!     mapping: None,
//!     values_files: Vec::new(),
//!     namespace: "default",
//!     helm: Some(&helm),
//! };
//! let report = osc_lint::lint(&request)?;
//! for finding in &report.findings {
//!     eprintln!("{finding}");
//! }
//! # Ok::<(), osc_lint::LintError>(())
//! ```
//!
//! The rules of the other crates keep their ids (`olm-*` from osc-csv, mapping.yaml's from
//! osc-mapping, `layout-*`/`name-*`/`source-isv`/`mapping-*` from osc-package's verify,
//! `versiondef-*` from osc-versiondef); the rules this crate adds are listed in the README.

mod chart;
mod context;
mod csd;
mod detect;
mod helm_lint;
mod images;
mod metadata;
mod operator;
mod package;
mod pods;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use osc_diagnostic::{Diagnostic, Diagnostic as Finding, Severity};

pub use osc_render::Helm;

use crate::context::Context;
use crate::detect::detect;

/// What to lint, and with what.
#[derive(Clone, Debug)]
pub struct LintRequest<'a> {
    /// A chart directory or `.tgz`, an operator bundle directory or `.zip`, an OSC-format package,
    /// or a built service package `.zip`.
    pub source: &'a Path,
    /// The folder of image tars that will go into `images/`; a `mapping.yaml` there is used when
    /// `mapping` is not given.
    pub images: Option<&'a Path>,
    pub mapping: Option<&'a Path>,
    /// Values files for rendering a chart, in precedence order.
    pub values_files: Vec<PathBuf>,
    pub namespace: &'a str,
    /// Without Helm, the checks that render a chart are skipped and an info finding says so.
    pub helm: Option<&'a Helm>,
}

/// What [`lint`] found, sorted by file, then severity, then rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    pub kind: SourceKind,
    pub findings: Vec<Finding>,
}

/// What the source turned out to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    Chart,
    Operator,
    /// An OSC-format package (metadata.yaml, manifests/, lifecycle.yaml).
    OscFormat,
    /// A built service package `{name}-{version}.zip`.
    Package,
}

/// The source cannot be read at all; every other problem is a [`Finding`].
#[derive(Debug, thiserror::Error)]
pub enum LintError {
    #[error(
        "{}: no such file or directory: give a chart directory or .tgz, an operator bundle directory or .zip, or a service package .zip",
        path.display()
    )]
    NotFound { path: PathBuf },
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a readable zip archive: {message}; re-create it with `zip -r`", path.display())]
    Zip { path: PathBuf, message: String },
    #[error(transparent)]
    Chart(#[from] osc_chart::LoadError),
    #[error(transparent)]
    Bundle(#[from] osc_csv::Error),
    #[error(transparent)]
    OscFormat(#[from] osc_format::ReadError),
    #[error(transparent)]
    Package(#[from] osc_package::Error),
    #[error("cannot make a temporary folder to unpack the package into: {source}")]
    TempDir { source: std::io::Error },
}

/// Lints `request.source` with every check that applies to what it is and what else the request
/// gives. Fails only when the source cannot be read at all.
pub fn lint(request: &LintRequest<'_>) -> Result<Report, LintError> {
    let kind = detect(request.source)?;
    let mut findings = Vec::new();
    let context = Context::for_source(request);
    match kind {
        SourceKind::Chart => chart::lint(request.source, &context, &mut findings)?,
        SourceKind::Operator => operator::lint(request.source, &context, &mut findings)?,
        SourceKind::OscFormat => osc_format_findings(request.source, &context, &mut findings)?,
        SourceKind::Package => package::lint(request, &mut findings)?,
    }
    sort(&mut findings);
    Ok(Report { kind, findings })
}

impl Report {
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|finding| finding.severity == severity)
            .count()
    }

    pub fn has_errors(&self) -> bool {
        self.count(Severity::Error) > 0
    }

    /// How many files the findings are about.
    pub fn file_count(&self) -> usize {
        let files: std::collections::BTreeSet<&str> =
            self.findings.iter().map(|f| f.file.as_str()).collect();
        files.len()
    }
}

/// A diagnostic of lint's own rules (the other crates build theirs themselves).
pub(crate) fn finding(
    rule: &'static str,
    severity: Severity,
    file: impl Into<String>,
    location: Option<String>,
    message: impl Into<String>,
    help: impl Into<String>,
) -> Finding {
    Diagnostic::new(rule, severity, file, message, help).at_maybe(location)
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Chart => "chart",
            SourceKind::Operator => "operator",
            SourceKind::OscFormat => "osc-format",
            SourceKind::Package => "package",
        }
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An OSC-format package is checked by osc-format's checklist alone: its images live in the
/// CSD and lifecycle.yaml, which no mapping check reads yet.
pub(crate) fn osc_format_findings(
    path: &Path,
    context: &Context,
    findings: &mut Vec<Finding>,
) -> Result<(), LintError> {
    // osc-format compares the archive's or folder's name with metadata.yaml: `.` has none.
    let named = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    for mut found in osc_format::check_archive(&named)? {
        found.file = context.file(&found.file);
        findings.push(found);
    }
    Ok(())
}

fn sort(findings: &mut [Finding]) {
    osc_diagnostic::sort(findings);
}
