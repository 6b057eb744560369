//! `helm osc rehearse PACKAGE.zip --registry HOST[:PORT]/ORG`: push, the platform's rewrite and a
//! Helm render, then every image the service deploys looked up in the registry.

use anyhow::Result;

use crate::Outcome;
use crate::cli::RehearseArgs;
use crate::commands::push::{Watcher, print_pushed, push_options};
use crate::commands::refusal;
use crate::env::HelmEnv;
use crate::output::{BOLD, Format, Output, mark};

pub fn run(args: &RehearseArgs, env: &HelmEnv, output: &Output) -> Result<Outcome> {
    let inputs = super::inputs(None, None, env);
    let options = osc_pipeline::RehearseOptions {
        push: push_options(&args.registry),
        out: args.out.clone(),
    };
    let mut watcher = Watcher::new(output);
    let rehearsal = osc_pipeline::rehearse(&args.package, &inputs, &options, &mut |event| {
        watcher.event(event)
    });
    watcher.finish();
    let rehearsal = refusal(rehearsal, output)?;
    match output.format() {
        Format::Json | Format::Yaml => output.structured(&rehearsal),
        Format::Text => print_text(&rehearsal, output),
    }
    Ok(if rehearsal.ok {
        Outcome::Clean
    } else {
        Outcome::Findings
    })
}

fn print_text(rehearsal: &osc_pipeline::Rehearsal, output: &Output) {
    output.text(format_args!(
        "{BOLD}pushed to {}{BOLD:#}",
        rehearsal.registry
    ));
    print_pushed(&rehearsal.push, output);

    let rewrite = &rehearsal.rewrite;
    let (file, deployable) = match rehearsal.kind == "chart" {
        true => ("values.yaml", "chart"),
        false => ("the CSV", "CSV"),
    };
    output.text(format_args!(
        "{BOLD}{file} as the platform rewrites it ({}){BOLD:#}",
        rewrite.mapping
    ));
    output.list(&rewrite.changes, "  nothing changes", |change| {
        format!("  {}: {} → {}", change.path, change.before, change.after)
    });

    output.text(format_args!(
        "{BOLD}images the rewritten {deployable} deploys, looked up in {}{BOLD:#}",
        rehearsal.registry
    ));
    for image in &rehearsal.images {
        let mark = mark(image.ok(), "ok     ", "MISSING");
        let found = match image.kind {
            Some(kind) => format!(" ({kind}: {})", image.architectures.join(", ")),
            None => String::new(),
        };
        output.text(format_args!("  {mark}  {}{found}", image.reference));
        for problem in &image.problems {
            output.text(format_args!("           {problem}"));
        }
        for from in &image.from {
            output.text(format_args!("           from {from}"));
        }
        let none = "           tar  none: no mapping.yaml entry pushes it";
        output.list(&image.tars, none, |tar| {
            let (file, architecture) = (&tar.tar, &tar.architecture);
            format!(
                "           tar  {file} ({architecture}, mapping.yaml {})",
                tar.field
            )
        });
    }
    if !rehearsal.unchecked.is_empty() {
        output.text(format_args!(
            "{BOLD}not looked up: images the platform's rewrite leaves where they are (`helm osc rewrite` says why){BOLD:#}"
        ));
        for image in &rehearsal.unchecked {
            output.text(format_args!("  {}", image.reference));
            for from in &image.from {
                output.text(format_args!("           from {from}"));
            }
        }
    }
    if let Some(out) = &rehearsal.out {
        output.status("Wrote", format_args!("the rewritten deployable to {out}"));
    }
    let architectures = rehearsal.architectures.join(", ");
    if rehearsal.ok {
        output.text(format_args!(
            "rehearsal passed: every image the service deploys is in {} with {architectures} and every blob ({})",
            rehearsal.registry, rehearsal.architectures_from
        ));
    } else {
        output.text(format_args!(
            "rehearsal failed: {} of {} images are not in {} as the service needs them ({architectures}: {})",
            rehearsal.misses,
            rehearsal.images.len(),
            rehearsal.registry,
            rehearsal.architectures_from
        ));
    }
}
