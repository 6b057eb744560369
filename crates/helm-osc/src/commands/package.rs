//! `helm osc package SOURCE`: a chart or bundle becomes `{name}-{version}.zip` and its `.sha256`.

use anyhow::Result;

use crate::Outcome;
use crate::cli::PackageArgs;
use crate::commands::{human_bytes, refusal, report_traps};
use crate::env::HelmEnv;
use crate::output::{Format, Output};

pub fn run(args: &PackageArgs, env: &HelmEnv, output: &Output) -> Result<Outcome> {
    let inputs = super::inputs(None, Some(&args.tars), env);
    let options = osc_pipeline::PackageOptions {
        name: args.name.clone(),
        version: args.service_version.clone(),
        category: args.category.clone(),
        arch: args.service.arch.clone(),
        scenes: args.service.scenes.clone(),
        provider_source: args.service.provider_source.clone(),
        destination: args.destination.clone(),
        version_definition: args.version_definition.clone(),
        no_fix: args.no_fix,
        allow_unmovable: args.allow_unmovable,
        maintainer: args.maintainer.clone(),
    };
    let analysis = super::analyse(&args.source, &inputs, output)?;
    let plan = refusal(osc_pipeline::plan(&analysis, &inputs, &options), output)?;
    for note in &plan.notes {
        output.note(note);
    }
    report_traps(&plan.fixes, &plan.unmovable, output);
    output.status(
        "Packaging",
        format_args!(
            "{} {} ({} {} {}, {} image tars)",
            plan.name,
            plan.version,
            plan.deployable.kind,
            plan.deployable.name,
            plan.deployable.version,
            plan.images.len()
        ),
    );
    let progress = output.progress(plan.image_bytes(), "Copying");
    let packaged =
        osc_pipeline::write(plan, &args.destination, &mut |step| progress.set(step.done));
    progress.finish();
    let packaged = packaged?;
    let report = packaged.report();
    match output.format() {
        Format::Json | Format::Yaml => output.structured(&report),
        Format::Text => print_text(&report, output),
    }
    Ok(Outcome::Clean)
}

fn print_text(report: &osc_pipeline::PackageReport, output: &Output) {
    output.status(
        "Finished",
        format_args!(
            "{} ({}, {} files)",
            report.zip,
            human_bytes(report.bytes),
            report.entries.len()
        ),
    );
    output.text(&report.zip);
    let width = report
        .entries
        .iter()
        .map(|entry| entry.path.len())
        .max()
        .unwrap_or(0);
    for entry in &report.entries {
        output.text(format_args!(
            "  {:<width$}  {:>10}",
            entry.path,
            human_bytes(entry.size)
        ));
    }
    output.text(format_args!(
        "sha256 {} (in {})",
        report.sha256, report.sha256_file
    ));
}
