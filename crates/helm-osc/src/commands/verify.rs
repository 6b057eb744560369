//! `helm osc verify PACKAGE.zip`: check a built service package before it is uploaded.

use anyhow::Result;

use crate::Outcome;
use crate::cli::VerifyArgs;
use crate::output::{Format, Output, plural};

pub fn run(args: &VerifyArgs, output: &Output) -> Result<Outcome> {
    output.status("Verifying", args.package.display());
    let report = osc_pipeline::verify(&args.package, args.sha256.as_deref())?;
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

fn print_text(report: &osc_pipeline::Verified, output: &Output) {
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
