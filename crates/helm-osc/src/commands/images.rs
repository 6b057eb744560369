//! `helm osc images SOURCE`: every image the chart deploys and the values keys that produce it.

use anyhow::Result;
use serde::Serialize;

use crate::Outcome;
use crate::cli::ImagesArgs;
use crate::commands::discovery::{self, ImageReport};
use crate::env::HelmEnv;
use crate::output::{BOLD, DIM, Format, Output};

#[derive(Serialize)]
struct Report {
    chart: String,
    images: Vec<ImageReport>,
    hard_coded: usize,
    guard: Option<String>,
    fragile: Vec<String>,
    renders: usize,
}

pub fn run(args: &ImagesArgs, env: &HelmEnv, output: &Output) -> Result<Outcome> {
    if let Some(bundle) = crate::commands::package::Source::bundle(&args.source)? {
        return crate::commands::operator::images(&bundle, &args.source, output);
    }
    let found = discovery::discover(&args.source, &args.render, env, output)?;
    let images: Vec<ImageReport> = found.images.iter().map(discovery::image_report).collect();
    let report = Report {
        chart: args.source.display().to_string(),
        hard_coded: images.iter().filter(|image| image.hard_coded).count(),
        images,
        guard: found.guard.as_ref().map(|guard| guard.key.clone()),
        fragile: found.fragile.iter().map(|key| key.path.clone()).collect(),
        renders: found.renders,
    };
    match output.format() {
        Format::Text => print_text(&report, output),
        Format::Json | Format::Yaml => output.structured(&report),
    }
    Ok(Outcome::Clean)
}

fn print_text(report: &Report, output: &Output) {
    for image in &report.images {
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
            output.text(format_args!(
                "  {DIM}used:{DIM:#}  {}",
                discovery::use_line(use_)
            ));
        }
    }
    output.text(format_args!(
        "{} images, {} hard-coded ({} helm renders)",
        report.images.len(),
        report.hard_coded,
        report.renders
    ));
}
