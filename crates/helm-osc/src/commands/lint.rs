//! `helm osc lint SOURCE`: one report of everything the platform will refuse or break on, and
//! the same checks run by `helm osc package` before it builds anything.

use anyhow::{Result, bail};
use osc_lint::{Finding, Helm, LintRequest, Severity};
use serde::Serialize;

use crate::Outcome;
use crate::cli::{LintArgs, PackageArgs};
use crate::commands::discovery;
use crate::env::HelmEnv;
use crate::output::{Format, Output};

/// The JSON (and YAML) report; its fields are documented in the README.
#[derive(Serialize)]
struct JsonReport<'a> {
    ok: bool,
    source: String,
    kind: osc_lint::SourceKind,
    errors: usize,
    warnings: usize,
    infos: usize,
    findings: &'a [Finding],
}

pub fn run(args: &LintArgs, env: &HelmEnv, output: &Output) -> Result<Outcome> {
    let helm = env.helm().map(Helm::new);
    let namespace = discovery::namespace(&args.render, env);
    output.status("Linting", args.source.display());
    let request = LintRequest {
        source: &args.source,
        images: args.images.as_deref(),
        mapping: args.mapping.as_deref(),
        values_files: args.render.values.clone(),
        namespace: &namespace,
        helm: helm.as_ref(),
    };
    let report = osc_lint::lint(&request)?;
    if let Some(out) = args.out.as_deref().filter(|_| args.fix) {
        write_fixed(args, out, env, output)?;
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
    args: &LintArgs,
    out: &std::path::Path,
    env: &HelmEnv,
    output: &Output,
) -> Result<()> {
    if crate::commands::package::Source::bundle(&args.source)?.is_some() {
        bail!(
            "--fix: {} is an operator bundle; the fixes are to a chart's values.yaml",
            args.source.display()
        );
    }
    let mut chart = osc_chart::Chart::load(&args.source)?;
    let analysed = discovery::analyse(&args.source, &chart, &args.render, env, output)?;
    discovery::report_traps(&analysed.traps, output);
    chart.set_file("values.yaml", analysed.fixed_values.into_bytes());
    crate::commands::write_new_dir(out, |dir| Ok(chart.write_dir(dir)?))?;
    output.status(
        "Wrote",
        format_args!(
            "the chart with {} fixes to {}",
            analysed.traps.fixes.len(),
            out.display()
        ),
    );
    Ok(())
}

/// `helm osc package` lints what it is given first and refuses when there are errors, leaving
/// out the rules its own flags settle (`--name` sets the service name, and so on).
pub fn before_packaging(args: &PackageArgs, env: &HelmEnv, output: &Output) -> Result<()> {
    let helm = env.helm().map(Helm::new);
    let namespace = env
        .namespace
        .clone()
        .unwrap_or_else(|| "default".to_string());
    let request = LintRequest {
        source: &args.source,
        images: args.images.as_deref(),
        mapping: args.mapping.as_deref(),
        values_files: Vec::new(),
        namespace: &namespace,
        helm: helm.as_ref(),
    };
    let report = osc_lint::lint(&request)?;
    let settled_by_flags = |finding: &&Finding| match finding.rule {
        "name-service" => args.name.is_some(),
        "name-version" => args.service_version.is_some(),
        "name-category" | "category-missing" => args.category.is_some(),
        "image-hard-coded" | "image-unmovable" => args.allow_unmovable,
        "metadata-annotation" => {
            let location = finding.location.as_deref().unwrap_or_default();
            (location.ends_with(".architecture") && !args.arch.is_empty())
                || (location.ends_with(".scenes") && !args.scenes.is_empty())
        }
        _ => false,
    };
    let errors: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|finding| finding.severity == Severity::Error)
        .filter(|finding| !settled_by_flags(finding))
        .collect();
    if errors.is_empty() {
        return Ok(());
    }
    for finding in &errors {
        output.diagnostic(finding);
    }
    bail!(
        "{}: {} error{} found by lint, so nothing was packaged (`helm osc lint {}` shows the whole report)",
        args.source.display(),
        errors.len(),
        crate::output::plural(errors.len()),
        args.source.display()
    )
}
