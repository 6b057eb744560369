//! `images`, `mapping` and `rewrite` for an Operator-Framework bundle: its images live in the CSV.

use std::path::Path;

use anyhow::{Context, Result};
use osc_csv::Bundle;
use serde::Serialize;

use crate::Outcome;
use crate::commands::discovery;
use crate::commands::mapping::write_atomically;
use crate::output::{BOLD, DIM, Format, Output};

#[derive(Serialize)]
struct ImageReport {
    reference: String,
    uses: Vec<String>,
}

#[derive(Serialize)]
struct UnmovableReport {
    place: String,
    text: String,
    reason: String,
}

#[derive(Serialize)]
struct ImagesReport {
    bundle: String,
    csv: String,
    images: Vec<ImageReport>,
    unmovable: Vec<UnmovableReport>,
}

fn container_place(deployment: &str, kind: &osc_csv::ContainerKind, name: &str) -> String {
    let kind = match kind {
        osc_csv::ContainerKind::InitContainer => "initContainer",
        osc_csv::ContainerKind::Container => "container",
        osc_csv::ContainerKind::EphemeralContainer => "ephemeralContainer",
    };
    format!("deployment {deployment}, {kind} {name}")
}

pub fn images(bundle: &Bundle, source: &Path, output: &Output) -> Result<Outcome> {
    let found = osc_mapping::operator_images(bundle);
    let mut images: Vec<ImageReport> = Vec::new();
    let mut add = |reference: String, place: String| match images
        .iter_mut()
        .find(|image| image.reference == reference)
    {
        Some(image) => image.uses.push(place),
        None => images.push(ImageReport {
            reference,
            uses: vec![place],
        }),
    };
    for container in &found.containers {
        add(
            container.reference.to_string(),
            container_place(&container.deployment, &container.kind, &container.name),
        );
    }
    for env in &found.env {
        add(
            env.reference.to_string(),
            format!(
                "{}, env {}",
                container_place(&env.deployment, &env.kind, &env.container),
                env.name
            ),
        );
    }
    for related in &found.related {
        add(
            related.reference.to_string(),
            format!(
                "spec.relatedImages[{}]{}",
                related.index,
                related
                    .name
                    .as_deref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default()
            ),
        );
    }
    for example in &found.examples {
        let fields: Vec<String> = example
            .parts
            .iter()
            .map(|(path, part)| format!("{path} ({part})"))
            .collect();
        add(
            example.reference.to_string(),
            format!("alm-examples {}: {}", example.kind, fields.join(", ")),
        );
    }
    let report = ImagesReport {
        bundle: source.display().to_string(),
        csv: bundle.csv_file.display().to_string(),
        images,
        unmovable: found
            .unmovable
            .iter()
            .map(|u| UnmovableReport {
                place: u.place.clone(),
                text: u.text.clone(),
                reason: u.reason.clone(),
            })
            .collect(),
    };
    match output.format() {
        Format::Json | Format::Yaml => output.structured(&report),
        Format::Text => {
            for image in &report.images {
                output.text(format_args!("{BOLD}{}{BOLD:#}", image.reference));
                for use_ in &image.uses {
                    output.text(format_args!("  {DIM}used:{DIM:#}  {use_}"));
                }
            }
            for unmovable in &report.unmovable {
                output.text(format_args!(
                    "{BOLD}cannot move{BOLD:#}: {}: {}\n  {}",
                    unmovable.place, unmovable.text, unmovable.reason
                ));
            }
            output.text(format_args!(
                "{} images, {} that cannot move ({})",
                report.images.len(),
                report.unmovable.len(),
                report.csv
            ));
        }
    }
    Ok(Outcome::Clean)
}

pub fn mapping(
    bundle: &Bundle,
    images_dir: Option<&Path>,
    out: Option<&Path>,
    check: Option<&Path>,
    output: &Output,
) -> Result<Outcome> {
    let tars = discovery::tars(images_dir)?;
    if let Some(file) = check {
        let text =
            std::fs::read_to_string(file).with_context(|| format!("--check {}", file.display()))?;
        let shown = file.display().to_string();
        let mapping = osc_mapping::Mapping::parse(&text, &shown)?;
        let findings = osc_mapping::check_operator(&shown, &mapping, bundle, &tars);
        return Ok(crate::commands::mapping::report_checked(
            shown, findings, output,
        ));
    }
    let generated = osc_mapping::generate_operator(bundle, &tars);
    for image in &generated.unmatched_images {
        output.warn(format_args!(
            "{image}: no tar in --images holds this image; its entry has no `package`"
        ));
    }
    for tar in &generated.unmatched_tars {
        output.warn(format_args!("{}: {}", tar.file_name, tar.reason));
    }
    for unmappable in &generated.unmappable {
        output.warn(format_args!(
            "{}: not mapped: {}",
            unmappable.key.as_deref().unwrap_or(&unmappable.image),
            unmappable.reason
        ));
    }
    match out {
        Some(path) => {
            write_atomically(path, generated.text.as_bytes())?;
            output.status("Wrote", path.display());
        }
        None => output.text(generated.text.trim_end()),
    }
    Ok(Outcome::Clean)
}

#[derive(Serialize)]
struct RewriteReport {
    ok: bool,
    registry: String,
    changes: Vec<osc_mapping::Change>,
    not_moved: Vec<UnmovableReport>,
    out: Option<String>,
}

pub fn rewrite(
    bundle: &Bundle,
    registry: &str,
    mapping_file: Option<&Path>,
    out: Option<&Path>,
    output: &Output,
) -> Result<Outcome> {
    let mapping = match mapping_file {
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("--mapping {}", file.display()))?;
            osc_mapping::Mapping::parse(&text, &file.display().to_string())?
        }
        None => osc_mapping::generate_operator(bundle, &[]).mapping,
    };
    let applied = osc_mapping::apply_operator(bundle, &mapping, registry)
        .with_context(|| bundle.csv_file.display().to_string())?;
    let out_dir = match out {
        Some(dir) => {
            crate::commands::write_new_dir(dir, |staged| {
                std::fs::create_dir(staged)?;
                for (path, data) in osc_csv::bundle_files(bundle, &applied.text)? {
                    let path = osc_archive::RelPath::parse(&path)
                        .map_err(|error| anyhow::anyhow!("`{path}`: {error}"))?;
                    osc_archive::write_under(staged, &path, &data)?;
                }
                Ok(())
            })?;
            Some(dir.display().to_string())
        }
        None => None,
    };
    let report = RewriteReport {
        ok: applied.not_moved.is_empty(),
        registry: registry.to_string(),
        changes: applied.changes.clone(),
        not_moved: applied
            .not_moved
            .iter()
            .map(|u| UnmovableReport {
                place: u.place.clone(),
                text: u.text.clone(),
                reason: u.reason.clone(),
            })
            .collect(),
        out: out_dir,
    };
    match output.format() {
        Format::Json | Format::Yaml => output.structured(&report),
        Format::Text => {
            output.text(format_args!(
                "{BOLD}{} as the platform rewrites it{BOLD:#}",
                bundle.csv_file.display()
            ));
            let diff = similar::TextDiff::from_lines(&bundle.csv_text, &applied.text);
            output.text(diff.unified_diff().context_radius(1).to_string().trim_end());
            for not_moved in &report.not_moved {
                output.text(format_args!(
                    "  NOT MOVED  {}: {}\n             {}",
                    not_moved.place, not_moved.text, not_moved.reason
                ));
            }
            if report.ok {
                output.text(format_args!("every image of the CSV is under {registry}"));
            }
        }
    }
    Ok(if report.ok {
        Outcome::Clean
    } else {
        Outcome::Findings
    })
}
