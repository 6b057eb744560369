//! `helm osc mapping SOURCE`: write mapping.yaml from what `images` finds, or check a hand-written one.

use anyhow::Result;
use osc_pipeline::{Diagnostic, Severity};
use serde::Serialize;

use crate::Outcome;
use crate::cli::MappingArgs;
use crate::commands::report_traps;
use crate::env::HelmEnv;
use crate::output::{Format, Output};

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

#[derive(Serialize)]
struct Checked {
    ok: bool,
    mapping_file: String,
    errors: usize,
    warnings: usize,
    findings: Vec<Diagnostic>,
}

pub fn run(args: &MappingArgs, env: &HelmEnv, output: &Output) -> Result<Outcome> {
    let mut inputs = super::inputs(Some(&args.render), None, env);
    inputs.images = args.images.clone();
    let analysis = super::analyse(&args.source, &inputs, output)?;
    // The mapping names keys of the values.yaml the package carries: the one with the traps fixed.
    if let Some(Ok(rendering)) = analysis.chart().and_then(|chart| chart.rendering.as_ref()) {
        report_traps(&rendering.traps.fixes, &rendering.traps.unmovable, output);
    }
    match &args.check {
        Some(file) => {
            let findings = osc_pipeline::check_mapping(&analysis, &inputs, file)?;
            Ok(report_checked(file.display().to_string(), findings, output))
        }
        None => generate(args, &analysis, &inputs, output),
    }
}

fn generate(
    args: &MappingArgs,
    analysis: &osc_pipeline::Analysis,
    inputs: &osc_pipeline::Inputs,
    output: &Output,
) -> Result<Outcome> {
    let generated = osc_pipeline::generate_mapping(analysis, inputs)?;
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
    let entries = generated.mapping.instance.len() + generated.mapping.lifecycle.len();
    match &args.out {
        Some(path) => {
            osc_archive::write_file(path, generated.text.as_bytes())?;
            output.status(
                "Wrote",
                format_args!("{} ({entries} entries)", path.display()),
            );
        }
        None if output.format() == Format::Text => output.text(generated.text.trim_end()),
        None => {}
    }
    if output.format() != Format::Text {
        output.structured(&Generated {
            mapping_file: args.out.as_ref().map(|path| path.display().to_string()),
            entries,
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

/// The findings of `mapping --check`, for a chart or a bundle; Findings when any is an error.
fn report_checked(shown: String, findings: Vec<Diagnostic>, output: &Output) -> Outcome {
    let errors = osc_diagnostic::count(&findings, Severity::Error);
    let checked = Checked {
        ok: errors == 0,
        mapping_file: shown,
        errors,
        warnings: findings.len() - errors,
        findings,
    };
    match output.format() {
        Format::Text => {
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
        Format::Json | Format::Yaml => output.structured(&checked),
    }
    if checked.ok {
        Outcome::Clean
    } else {
        Outcome::Findings
    }
}
