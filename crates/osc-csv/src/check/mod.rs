//! OLM's bundle rules, restated for OSC, as findings rather than errors so that a provider sees
//! every problem at once.

mod bundle;
mod csv;
mod package;

use std::fmt;
use std::path::Path;

use serde::Serialize;

use crate::model::Bundle;

/// Checks a loaded bundle against OLM's bundle validation rules and OSC's extra demands. Findings
/// come in a stable order: bundle layout, CSV, then package.
pub fn check(bundle: &Bundle) -> Vec<Finding> {
    let mut findings = Findings::default();
    bundle::check(bundle, &mut findings);
    csv::check(bundle, &mut findings);
    if let Some(package) = &bundle.package {
        package::check(bundle, package, &mut findings);
    }
    findings.0
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable identifier, e.g. `olm-one-csv`.
    pub rule: &'static str,
    pub severity: Severity,
    /// Relative to the bundle root.
    pub file: String,
    /// Dotted path of the field inside `file`, when the problem is in one field.
    pub field: Option<String>,
    pub message: String,
    /// What to do about it.
    pub help: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Severity {
    /// OLM or OSC refuses the bundle, or it cannot work after upload.
    Error,
    /// Works, but is deprecated or likely a mistake.
    Warning,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{severity}[{}]: {}", self.rule, self.file)?;
        if let Some(field) = &self.field {
            write!(f, ": {field}")?;
        }
        write!(f, ": {}\n  help: {}", self.message, self.help)
    }
}

#[derive(Default)]
struct Findings(Vec<Finding>);

impl Findings {
    fn add(
        &mut self,
        rule: &'static str,
        severity: Severity,
        file: &Path,
        field: Option<String>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.0.push(Finding {
            rule,
            severity,
            file: display_path(file),
            field,
            message: message.into(),
            help: help.into(),
        });
    }

    fn error(
        &mut self,
        rule: &'static str,
        file: &Path,
        field: Option<String>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.add(rule, Severity::Error, file, field, message, help);
    }

    fn warning(
        &mut self,
        rule: &'static str,
        file: &Path,
        field: Option<String>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.add(rule, Severity::Warning, file, field, message, help);
    }
}

/// `/`-separated whatever the platform, as paths inside bundles and zips are.
fn display_path(path: &Path) -> String {
    path.components()
        .map(|component| component.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}
