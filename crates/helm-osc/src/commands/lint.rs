//! `helm osc lint SOURCE`: one report of everything the platform will refuse or break on.

use anyhow::Result;
use serde::Serialize;

use crate::Outcome;
use crate::cli::LintArgs;
use crate::commands::report_traps;
use crate::env::HelmEnv;
use crate::output::{Format, Output};
use osc_pipeline::{Diagnostic, Severity};

/// The JSON (and YAML) report; its fields are documented in the README.
#[derive(Serialize)]
struct JsonReport<'a> {
    ok: bool,
    source: String,
    kind: osc_pipeline::Kind,
    errors: usize,
    warnings: usize,
    infos: usize,
    findings: &'a [Diagnostic],
}

pub fn run(args: &LintArgs, env: &HelmEnv, output: &Output) -> Result<Outcome> {
    let inputs = super::inputs(Some(&args.render), Some(&args.tars), env);
    output.status("Linting", args.source.display());
    let analysis = osc_pipeline::analyse(&args.source, &inputs)?;
    let report = osc_pipeline::lint(&analysis, &inputs)?;
    if let Some(out) = args.out.as_deref().filter(|_| args.fix) {
        write_fixed(&analysis, out, output)?;
    }
    let failed = report.has_errors() || (args.strict && report.count(Severity::Warning) > 0);
    match output.format() {
        Format::Text => output.diagnostics(&report.findings),
        Format::Json | Format::Yaml => output.structured(&JsonReport {
            ok: !failed,
            source: args.source.display().to_string(),
            kind: report.kind,
            errors: report.count(Severity::Error),
            warnings: report.count(Severity::Warning),
            infos: report.count(Severity::Info),
            findings: &report.findings,
        }),
    }
    Ok(if failed {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}

/// `lint --fix -o DIR`: the chart with the traps fixed in its values.yaml, as `package` ships it.
fn write_fixed(
    analysis: &osc_pipeline::Analysis,
    out: &std::path::Path,
    output: &Output,
) -> Result<()> {
    let (chart, rendering) = analysis.fixed_chart()?;
    report_traps(&rendering.traps.fixes, &rendering.traps.unmovable, output);
    osc_archive::write_new_dir(out, |dir| chart.write_dir(dir))?;
    output.status(
        "Wrote",
        format_args!(
            "the chart with {} fixes to {}",
            rendering.traps.fixes.len(),
            out.display()
        ),
    );
    Ok(())
}
