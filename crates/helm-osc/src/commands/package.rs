//! `helm osc package SOURCE`: a chart or bundle becomes `{name}-{version}.zip` and its `.sha256`.

use anyhow::Result;
use serde::Serialize;

use crate::Outcome;
use crate::cli::PackageArgs;
use crate::commands::{human_bytes, report_traps};
use crate::env::HelmEnv;
use crate::output::{Format, Output};

#[derive(Serialize)]
struct Report<'a> {
    ok: bool,
    zip: String,
    sha256: &'a str,
    sha256_file: String,
    name: &'a str,
    version: &'a str,
    deployable: &'a osc_pipeline::DeployableReport,
    annotations: &'a [(String, String)],
    fixes: &'a [osc_traps::Fix],
    unmovable: &'a [osc_traps::Unmovable],
    bytes: u64,
    entries: Vec<EntryReport>,
}

#[derive(Serialize)]
struct EntryReport {
    path: String,
    size: u64,
    crc32: String,
}

pub fn run(args: &PackageArgs, env: &HelmEnv, output: &Output) -> Result<Outcome> {
    let mut inputs = super::inputs(None, env);
    inputs.images = args.images.clone();
    inputs.mapping = args.mapping.clone();
    let options = osc_pipeline::PackageOptions {
        name: args.name.clone(),
        version: args.service_version.clone(),
        category: args.category.clone(),
        arch: args.arch.clone(),
        scenes: args.scenes.clone(),
        provider_source: args.provider_source.clone(),
        destination: args.destination.clone(),
        version_definition: args.version_definition.clone(),
        no_fix: args.no_fix,
        allow_unmovable: args.allow_unmovable,
        maintainer: args.maintainer.clone(),
    };
    let analysis = super::analyse(&args.source, &inputs, output)?;
    let plan = match osc_pipeline::plan(&analysis, &inputs, &options) {
        Ok(plan) => plan,
        Err(osc_pipeline::Error::Refused { input, errors }) => {
            for error in &errors {
                output.diagnostic(error);
            }
            return Err(osc_pipeline::Error::Refused { input, errors }.into());
        }
        Err(error) => return Err(error.into()),
    };
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
    let (plan, written) = (&packaged.plan, &packaged.written);
    let report = Report {
        ok: true,
        zip: written.zip.display().to_string(),
        sha256: &written.sha256,
        sha256_file: written.sha256_file.display().to_string(),
        name: &plan.name,
        version: &plan.version,
        deployable: &plan.deployable,
        annotations: &plan.annotations,
        fixes: &plan.fixes,
        unmovable: &plan.unmovable,
        bytes: written.bytes,
        entries: written
            .entries
            .iter()
            .filter(|entry| !entry.path.ends_with('/'))
            .map(|entry| EntryReport {
                path: entry.path.clone(),
                size: entry.size,
                crc32: format!("{:08x}", entry.crc32),
            })
            .collect(),
    };
    match output.format() {
        Format::Json | Format::Yaml => output.structured(&report),
        Format::Text => print_text(&report, output),
    }
    Ok(Outcome::Clean)
}

fn print_text(report: &Report, output: &Output) {
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
