pub mod convert;
pub mod images;
pub mod lint;
pub mod mapping;
pub mod package;
pub mod push;
pub mod rehearse;
pub mod rewrite;
pub mod verify;
pub mod version;

use crate::cli::{RenderArgs, TarArgs};
use crate::env::HelmEnv;
use crate::output::Output;

/// Go's `GOGC` for the helm processes the tool runs, unless the user set one: key discovery
/// renders a chart many times in long-lived helm processes, and with the default (100) Go's
/// garbage collector took a fifth of their time. At 400 it runs a quarter as often; a helm
/// process then holds about 50 MiB more at most (measured on the largest corpus charts).
const HELM_GO_GC: &str = "400";

/// `1234567` → `1.2 MiB`, for people.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// What a command works on and renders with: the flags, Helm's environment, the helm it found.
pub fn inputs(
    render: Option<&RenderArgs>,
    tars: Option<&TarArgs>,
    env: &HelmEnv,
) -> osc_pipeline::Inputs {
    let namespace = render
        .and_then(|render| render.namespace.clone())
        .or_else(|| env.namespace.clone())
        .unwrap_or_else(|| "default".to_string());
    osc_pipeline::Inputs {
        images: tars.and_then(|tars| tars.images.clone()),
        mapping: tars.and_then(|tars| tars.mapping.clone()),
        values_files: render
            .map(|render| render.values.clone())
            .unwrap_or_default(),
        namespace,
        helm: env.helm().map(|bin| {
            let mut helm = osc_pipeline::Helm::new(bin);
            if !env.go_gc_set {
                helm = helm.with_env("GOGC", HELM_GO_GC);
            }
            if env.no_serve {
                helm.one_process_per_call()
            } else {
                helm
            }
        }),
        progress: None,
    }
}

/// Analyses a source, saying what renders with what: key discovery can take a while.
pub fn analyse(
    source: &std::path::Path,
    inputs: &osc_pipeline::Inputs,
    output: &Output,
) -> anyhow::Result<osc_pipeline::Analysis> {
    if let Some(helm) = &inputs.helm {
        output.status(
            "Rendering",
            format_args!("{} with {}", source.display(), helm.bin().display()),
        );
    }
    let progress = output.render_progress().map(std::sync::Arc::new);
    let mut inputs = inputs.clone();
    if let Some(progress) = &progress {
        let progress = progress.clone();
        inputs.progress = Some(osc_pipeline::ProgressHook(std::sync::Arc::new(
            move |done, planned| progress.update(done, planned),
        )));
    }
    let analysis = osc_pipeline::analyse(source, &inputs);
    if let Some(progress) = &progress {
        progress.finish();
    }
    let analysis = analysis?;
    if let Some(Ok(rendering)) = analysis.chart().and_then(|chart| chart.rendering.as_ref()) {
        let discovery = &rendering.discovery;
        output.debug(format_args!(
            "discovery took {} helm renders in {:.1?}",
            discovery.renders, discovery.elapsed
        ));
        for fragile in &discovery.fragile {
            output.debug(format_args!(
                "key `{}` breaks the render with another value: {}",
                fragile.path,
                fragile.error.lines().next().unwrap_or_default()
            ));
        }
        for broken in &discovery.broken_switches {
            output.debug(format_args!(
                "switch `{}` breaks the render when on, so its components were not looked into: {}",
                broken.path,
                broken.error.lines().next().unwrap_or_default()
            ));
        }
        if !discovery.switches.is_empty() {
            output.debug(format_args!(
                "the latent renders turned on: {}",
                discovery.switches.join(", ")
            ));
        }
        if let Some(guard) = &discovery.guard {
            output.warn(format_args!(
                "the chart refuses to render when its images move unless `{}` is true: the platform's rewrite will fail to install it; `helm osc package` sets it in the packaged values.yaml",
                guard.key
            ));
        }
    }
    Ok(analysis)
}

/// A pipeline's result; when it refused, the errors in the input are listed before the error
/// that says nothing was done, as `package` lists lint's and `push` verify's.
pub fn refusal<T>(result: Result<T, osc_pipeline::Error>, output: &Output) -> anyhow::Result<T> {
    result.map_err(|error| {
        for diagnostic in error.refusals() {
            output.diagnostic(diagnostic);
        }
        error.into()
    })
}

/// Tells the provider each fix (file, key, before → after, why) and each image that cannot move.
pub fn report_traps(fixes: &[osc_traps::Fix], unmovable: &[osc_traps::Unmovable], output: &Output) {
    for fix in fixes {
        output.status(
            "Fixing",
            format_args!(
                "values.yaml `{}`: {} → {} ({})",
                fix.path,
                fix.before
                    .as_deref()
                    .map(|before| format!("{before:?}"))
                    .unwrap_or_else(|| "absent".to_string()),
                fix.after,
                fix.why
            ),
        );
    }
    for unmovable in unmovable {
        output.warn(format_args!(
            "{} cannot move: {} {} in {}: {}",
            unmovable.image, unmovable.object, unmovable.field, unmovable.source, unmovable.help
        ));
    }
}
