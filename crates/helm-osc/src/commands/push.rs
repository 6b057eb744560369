//! `helm osc push PACKAGE.zip --registry HOST[:PORT]/ORG`: the package's images pushed as the
//! platform pushes them after upload.

use anyhow::Result;

use crate::Outcome;
use crate::cli::{PushArgs, RegistryArgs};
use crate::commands::{human_bytes, refusal};
use crate::output::{Format, Output, Progress};

pub fn run(args: &PushArgs, output: &Output) -> Result<Outcome> {
    let options = push_options(&args.registry);
    let mut watcher = Watcher::new(output);
    let report =
        osc_pipeline::push_package(&args.package, &options, &mut |event| watcher.event(event));
    watcher.finish();
    let report = refusal(report, output)?;
    match output.format() {
        Format::Json | Format::Yaml => output.structured(&report),
        Format::Text => print_text(&report, output),
    }
    Ok(Outcome::Clean)
}

pub fn push_options(args: &RegistryArgs) -> osc_pipeline::PushOptions {
    osc_pipeline::PushOptions {
        registry: args.registry.clone(),
        plain_http: args.plain_http,
        // Docker's and podman's own places (REGISTRY_AUTH_FILE, DOCKER_CONFIG, ~/.docker).
        auth_file: None,
    }
}

/// Shows each step as a status line and the bytes of a long one as a progress bar.
pub struct Watcher<'a> {
    output: &'a Output,
    verb: &'static str,
    bar: Option<Progress>,
}

impl<'a> Watcher<'a> {
    pub fn new(output: &'a Output) -> Watcher<'a> {
        Watcher {
            output,
            verb: "",
            bar: None,
        }
    }

    pub fn event(&mut self, event: osc_pipeline::Event) {
        match event {
            osc_pipeline::Event::Step { verb, message } => {
                self.finish();
                self.verb = verb;
                self.output.status(verb, message);
            }
            osc_pipeline::Event::Bytes { done, total } => {
                let (output, verb) = (self.output, self.verb);
                self.bar
                    .get_or_insert_with(|| output.progress(total, verb))
                    .set(done);
            }
        }
    }

    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish();
        }
    }
}

pub fn print_pushed(report: &osc_pipeline::PushReport, output: &Output) {
    for image in &report.images {
        output.text(format_args!(
            "  {}  {} {}  {}",
            image.reference,
            image.kind,
            image.architectures.join(", "),
            image.digest
        ));
        let tars: Vec<String> = image
            .tars
            .iter()
            .map(|tar| format!("{} ({})", tar.tar, tar.architecture))
            .collect();
        output.text(format_args!("      from {}", tars.join(", ")));
    }
    for field in &report.without_tars {
        output.text(format_args!(
            "  mapping.yaml {field} names no tar: nothing pushed for it"
        ));
    }
}

fn print_text(report: &osc_pipeline::PushReport, output: &Output) {
    print_pushed(report, output);
    output.text(format_args!(
        "pushed {} image{} to {}: {} uploaded, {} already there",
        report.images.len(),
        crate::output::plural(report.images.len()),
        report.registry,
        human_bytes(report.uploaded),
        human_bytes(report.reused)
    ));
}
