//! `helm osc verify PACKAGE.zip`: check a built service package before it is uploaded.

use std::path::PathBuf;

use anyhow::Result;
use osc_package::{Diagnostic, Severity};
use serde::Serialize;

use crate::Outcome;
use crate::cli::VerifyArgs;
use crate::output::{Format, Output, plural};

#[derive(Serialize)]
struct Report {
    ok: bool,
    package: String,
    sha256_file: Option<String>,
    name: Option<String>,
    version: Option<String>,
    deployable: Option<String>,
    images: Vec<String>,
    mapping: Option<String>,
    errors: usize,
    warnings: usize,
    findings: Vec<Diagnostic>,
}

pub fn run(args: &VerifyArgs, output: &Output) -> Result<Outcome> {
    let sha256_file = args.sha256.clone().or_else(|| {
        let beside = PathBuf::from(format!("{}.sha256", args.package.display()));
        beside.is_file().then_some(beside)
    });
    output.status("Verifying", args.package.display());
    let checked = osc_package::verify(&args.package, sha256_file.as_deref())?;
    let count = |severity| osc_diagnostic::count(&checked.findings, severity);
    let report = Report {
        ok: count(Severity::Error) == 0,
        package: args.package.display().to_string(),
        sha256_file: sha256_file.map(|path| path.display().to_string()),
        errors: count(Severity::Error),
        warnings: count(Severity::Warning),
        findings: checked.findings.clone(),
        name: checked.name,
        version: checked.version,
        deployable: checked.deployable,
        images: checked.images,
        mapping: checked.mapping,
    };
    match output.format() {
        Format::Json | Format::Yaml => output.structured(&report),
        Format::Text => print_text(&report, output),
    }
    Ok(if report.ok {
        Outcome::Clean
    } else {
        Outcome::Findings
    })
}

fn print_text(report: &Report, output: &Output) {
    if !report.findings.is_empty() {
        output.diagnostics(&report.findings);
    }
    let what = format!(
        "{} {} ({}, {} image tars{}{})",
        report.name.as_deref().unwrap_or("?"),
        report.version.as_deref().unwrap_or("?"),
        report.deployable.as_deref().unwrap_or("no deployable"),
        report.images.len(),
        if report.mapping.is_some() {
            ", mapping.yaml"
        } else {
            ""
        },
        if report.sha256_file.is_some() {
            ", sha256 checked"
        } else {
            ""
        },
    );
    if report.findings.is_empty() {
        output.text(format_args!("{}: ok: {what}", report.package));
    } else {
        output.text(format_args!(
            "{}: {} error{}, {} warning{}: {what}",
            report.package,
            report.errors,
            plural(report.errors),
            report.warnings,
            plural(report.warnings),
        ));
    }
}
