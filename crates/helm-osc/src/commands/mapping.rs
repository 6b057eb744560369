//! `helm osc mapping SOURCE`: write mapping.yaml from what `images` finds, or check a hand-written one.

use std::path::Path;

use anyhow::{Context, Result};
use osc_mapping::{Diagnostic, Severity};
use serde::Serialize;

use crate::Outcome;
use crate::cli::MappingArgs;
use crate::commands::discovery;
use crate::env::HelmEnv;
use crate::output::{Format, Output};

pub fn run(args: &MappingArgs, env: &HelmEnv, output: &Output) -> Result<Outcome> {
    if let Some(bundle) = crate::commands::package::Source::bundle(&args.source)? {
        return crate::commands::operator::mapping(
            &bundle,
            args.images.as_deref(),
            args.out.as_deref(),
            args.check.as_deref(),
            output,
        );
    }
    let chart = osc_chart::Chart::load(&args.source)?;
    // The mapping names keys of the values.yaml the package carries: the one with the traps fixed.
    let analysed = discovery::analyse(&args.source, &chart, &args.render, env, output)?;
    discovery::report_traps(&analysed.traps, output);
    let tars = discovery::tars(args.images.as_deref())?;
    match &args.check {
        Some(file) => check(
            file,
            &analysed.discovery.images,
            &analysed.fixed_values,
            &tars,
            output,
        ),
        None => generate(
            args,
            chart.name(),
            &analysed.discovery.images,
            &tars,
            output,
        ),
    }
}

#[derive(Serialize)]
struct Generated {
    mapping_file: Option<String>,
    entries: usize,
    unmatched_images: Vec<String>,
    unmatched_tars: Vec<Unmatched>,
    unmappable: Vec<Unmatched>,
}

#[derive(Serialize)]
struct Unmatched {
    what: String,
    reason: String,
}

fn generate(
    args: &MappingArgs,
    chart: &str,
    images: &[osc_render::FoundImage],
    tars: &[osc_mapping::Tar],
    output: &Output,
) -> Result<Outcome> {
    let generated = osc_mapping::generate(chart, images, tars);
    for image in &generated.unmatched_images {
        output.warn(format_args!(
            "{image}: no tar in --images holds this image; its entry has no `package`"
        ));
    }
    for tar in &generated.unmatched_tars {
        output.warn(format_args!("{}: {}", tar.file_name, tar.reason));
    }
    for unmappable in &generated.unmappable {
        let what = match &unmappable.key {
            Some(key) => format!("{} (`{key}`)", unmappable.image),
            None => unmappable.image.clone(),
        };
        output.warn(format_args!("{what}: not mapped: {}", unmappable.reason));
    }
    match &args.out {
        Some(path) => {
            write_atomically(path, generated.text.as_bytes())?;
            output.status(
                "Wrote",
                format_args!(
                    "{} ({} entries)",
                    path.display(),
                    generated.mapping.instance.len()
                ),
            );
        }
        None if output.format() == Format::Text => output.text(generated.text.trim_end()),
        None => {}
    }
    if output.format() != Format::Text {
        output.structured(&Generated {
            mapping_file: args.out.as_ref().map(|path| path.display().to_string()),
            entries: generated.mapping.instance.len(),
            unmatched_images: generated.unmatched_images.clone(),
            unmatched_tars: generated
                .unmatched_tars
                .iter()
                .map(|t| Unmatched {
                    what: t.file_name.clone(),
                    reason: t.reason.clone(),
                })
                .collect(),
            unmappable: generated
                .unmappable
                .iter()
                .map(|u| Unmatched {
                    what: u.key.clone().unwrap_or_else(|| u.image.clone()),
                    reason: u.reason.clone(),
                })
                .collect(),
        });
    }
    Ok(Outcome::Clean)
}

#[derive(Serialize)]
struct Checked {
    ok: bool,
    mapping_file: String,
    errors: usize,
    warnings: usize,
    findings: Vec<Diagnostic>,
}

fn check(
    file: &Path,
    images: &[osc_render::FoundImage],
    values: &str,
    tars: &[osc_mapping::Tar],
    output: &Output,
) -> Result<Outcome> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("--check {}", file.display()))?;
    let shown = file.display().to_string();
    let mapping = osc_mapping::Mapping::parse(&text, &shown)?;
    let findings = osc_mapping::check(&shown, &mapping, images, values, tars);
    Ok(report_checked(shown, findings, output))
}

/// The findings of `mapping --check`, for a chart or a bundle; Findings when any is an error.
pub fn report_checked(shown: String, findings: Vec<Diagnostic>, output: &Output) -> Outcome {
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let checked = Checked {
        ok: errors == 0,
        mapping_file: shown,
        errors,
        warnings: findings.len() - errors,
        findings,
    };
    match output.format() {
        Format::Text => print_findings(&checked, output),
        Format::Json | Format::Yaml => output.structured(&checked),
    }
    if checked.ok {
        Outcome::Clean
    } else {
        Outcome::Findings
    }
}

fn print_findings(checked: &Checked, output: &Output) {
    if !checked.findings.is_empty() {
        output.diagnostics(&checked.findings);
    }
    output.text(format_args!(
        "{}: {}",
        checked.mapping_file,
        if checked.findings.is_empty() {
            "ok: every image is covered and every entry reaches its image".to_string()
        } else {
            format!("{} errors, {} warnings", checked.errors, checked.warnings)
        }
    ));
}

/// A temp file beside the target, renamed over it: a failure never leaves half a file.
pub fn write_atomically(path: &Path, data: &[u8]) -> Result<()> {
    Ok(osc_archive::write_file(path, data)?)
}
