//! OLM's bundle rules, restated for OSC, as findings rather than errors so that a provider sees
//! every problem at once.

mod bundle;
mod csv;

pub use csv::looks_like_email;
mod package;

use std::path::Path;

use osc_diagnostic::{Diagnostic, Severity};

use crate::model::Bundle;

/// Checks a loaded bundle against OLM's bundle validation rules and OSC's extra demands. Findings
/// come in a stable order: bundle layout, CSV, then package.
pub fn check(bundle: &Bundle) -> Vec<Diagnostic> {
    let mut findings = Findings::default();
    bundle::check(bundle, &mut findings);
    csv::check(bundle, &mut findings);
    if let Some(package) = &bundle.package {
        package::check(bundle, package, &mut findings);
    }
    findings.0
}

#[derive(Default)]
struct Findings(Vec<Diagnostic>);

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
        self.0.push(
            Diagnostic::new(rule, severity, display_path(file), message, help).at_maybe(field),
        );
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
