//! `helm osc images SOURCE`: every image the chart or bundle deploys, and what makes it up.

use anyhow::Result;
use osc_pipeline::{ChartImages, ImagesReport, OperatorImages, UseReport};

use crate::Outcome;
use crate::cli::ImagesArgs;
use crate::env::HelmEnv;
use crate::output::{BOLD, DIM, Format, Output};

pub fn run(args: &ImagesArgs, env: &HelmEnv, output: &Output) -> Result<Outcome> {
    let inputs = super::inputs(Some(&args.render), None, env);
    let analysis = super::analyse(&args.source, &inputs, output)?;
    let report = osc_pipeline::images(&analysis)?;
    match (output.format(), &report) {
        (Format::Text, ImagesReport::Chart(chart)) => print_chart(chart, output),
        (Format::Text, ImagesReport::Operator(operator)) => print_operator(operator, output),
        (Format::Json | Format::Yaml, _) => output.structured(&report),
    }
    Ok(Outcome::Clean)
}

fn print_chart(report: &ChartImages, output: &Output) {
    print_images(report.images.iter(), output);
    if !report.latent.is_empty() {
        output.text(format_args!(
            "{BOLD}latent{BOLD:#} (off by default; mapped so the platform moves them when users turn them on):"
        ));
        for latent in &report.latent {
            print_images(std::iter::once(&latent.image), output);
            output.text(format_args!(
                "  {DIM}on with:{DIM:#} {}",
                latent.switches.join(", ")
            ));
        }
    }
    for invalid in &report.invalid {
        output.text(format_args!(
            "{BOLD}invalid{BOLD:#} `{}`: {}\n  {DIM}used:{DIM:#}  {}: {}, container {}",
            invalid.value, invalid.error, invalid.template, invalid.object, invalid.container
        ));
    }
    output.text(format_args!(
        "{} images, {} hard-coded, {} latent, {} invalid ({} helm renders)",
        report.images.len(),
        report.hard_coded,
        report.latent.len(),
        report.invalid.len(),
        report.renders
    ));
}

fn print_images<'r>(images: impl Iterator<Item = &'r osc_pipeline::ImageReport>, output: &Output) {
    for image in images {
        output.text(format_args!("{BOLD}{}{BOLD:#}", image.reference));
        if image.hard_coded {
            output.text(format_args!(
                "  keys:  {}none: hard-coded in the template; the platform cannot move it{}",
                anstyle::AnsiColor::Red.on_default().render(),
                anstyle::Reset.render()
            ));
        } else {
            let keys: Vec<String> = image
                .keys
                .iter()
                .map(|key| {
                    let place = if key.defined_in == "values.yaml" {
                        String::new()
                    } else {
                        format!(" [{}]", key.defined_in)
                    };
                    format!("{} ({}){place}", key.path, key.part)
                })
                .collect();
            output.text(format_args!("  keys:  {}", keys.join(", ")));
        }
        for use_ in &image.uses {
            output.text(format_args!("  {DIM}used:{DIM:#}  {}", use_line(use_)));
        }
    }
}

/// `etcd/templates/statefulset.yaml: StatefulSet/release-name-etcd, container etcd`
fn use_line(use_: &UseReport) -> String {
    let field = if use_.field == "image" {
        String::new()
    } else {
        format!(", {}", use_.field)
    };
    format!(
        "{}: {}/{}, {} {}{field}",
        use_.template, use_.kind, use_.object, use_.container_type, use_.container
    )
}

fn print_operator(report: &OperatorImages, output: &Output) {
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
