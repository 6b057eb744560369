//! `helm osc rewrite SOURCE --registry HOST/ORG`: the chart or bundle as the platform deploys it
//! after it pushes the images to its registry and rewrites values.yaml or the CSV as mapping.yaml
//! directs.

use anyhow::Result;

use crate::Outcome;
use crate::cli::RewriteArgs;
use crate::commands::report_traps;
use crate::env::HelmEnv;
use crate::output::{BOLD, Format, Output, mark};

pub fn run(args: &RewriteArgs, env: &HelmEnv, output: &Output) -> Result<Outcome> {
    let inputs = super::inputs(Some(&args.render), None, env);
    let analysis = super::analyse(&args.source, &inputs, output)?;
    let options = osc_pipeline::RewriteOptions {
        registry: args.registry.clone(),
        mapping: args.mapping.clone(),
        out: args.out.clone(),
    };
    let rewritten = osc_pipeline::rewrite(&analysis, &inputs, &options)?;
    report_traps(&rewritten.fixes, &[], output);
    match output.format() {
        Format::Text => print_text(&rewritten, analysis.bundle().is_some(), output),
        Format::Json | Format::Yaml => output.structured(&rewritten),
    }
    Ok(if rewritten.ok {
        Outcome::Clean
    } else {
        Outcome::Findings
    })
}

fn print_text(report: &osc_pipeline::Rewritten, operator: bool, output: &Output) {
    if operator {
        output.text(format_args!(
            "{BOLD}{} as the platform rewrites it{BOLD:#}",
            report.file
        ));
    } else {
        output.text(format_args!(
            "{BOLD}values.yaml as the platform rewrites it: {} fixes in the package, then the mapping ({}){BOLD:#}",
            report.fixes.len(),
            report.mapping
        ));
    }
    let diff = similar::TextDiff::from_lines(&report.before, &report.after);
    let mut unified = diff.unified_diff();
    let unified = unified.context_radius(1);
    let diff = if operator {
        unified.to_string()
    } else {
        unified
            .header("values.yaml", "values.yaml (rewritten)")
            .to_string()
    };
    output.text(diff.trim_end());
    if operator {
        for not_moved in &report.not_moved_in_csv {
            output.text(format_args!(
                "  NOT MOVED  {}: {}\n             {}",
                not_moved.place, not_moved.text, not_moved.reason
            ));
        }
        if report.ok {
            output.text(format_args!(
                "every image of the CSV is under {}",
                report.registry
            ));
        }
        return;
    }
    output.text(format_args!(
        "{BOLD}images the rewritten chart deploys{BOLD:#}"
    ));
    for image in &report.images {
        let mark = mark(image.moved, "moved", "NOT MOVED");
        output.text(format_args!("  {mark}  {}", image.reference));
        for use_ in &image.uses {
            output.text(format_args!("         {use_}"));
        }
    }
    if !report.unmovable.is_empty() {
        output.text(format_args!(
            "{BOLD}images the platform cannot move{BOLD:#}"
        ));
        for unmovable in &report.unmovable {
            output.text(format_args!(
                "  {}  {} {} ({})\n         {}",
                unmovable.image,
                unmovable.object,
                unmovable.field,
                unmovable.source,
                unmovable.help
            ));
        }
    }
    if let Some(out) = &report.out {
        output.status("Wrote", format_args!("the rewritten chart to {out}"));
    }
    if report.not_moved == 0 {
        output.text(format_args!("every image is under {}", report.registry));
    } else {
        output.text(format_args!(
            "{} of {} images still pull from their old registry: map their keys in mapping.yaml, or make the templates take them from values.yaml",
            report.not_moved,
            report.images.len()
        ));
    }
}
