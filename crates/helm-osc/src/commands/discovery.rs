//! What `images`, `mapping` and `rewrite` share: finding the chart's images with Helm, and the
//! report of them.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use osc_render::{Discovery, FoundImage, Helm};
use serde::Serialize;

use crate::cli::RenderArgs;
use crate::env::HelmEnv;
use crate::output::Output;

/// The helm to render with, or an error that says how to get one.
pub fn helm(env: &HelmEnv) -> Result<Helm> {
    let bin = env.helm().context(
        "no helm found: set HELM_BIN or put helm on PATH (as a Helm plugin, `helm osc` gets HELM_BIN from Helm)",
    )?;
    Ok(Helm::new(bin))
}

pub fn namespace(args: &RenderArgs, env: &HelmEnv) -> String {
    args.namespace
        .clone()
        .or_else(|| env.namespace.clone())
        .unwrap_or_else(|| "default".to_string())
}

/// Renders the chart with Helm (several times, batched) to find its images and their keys.
pub fn discover(
    source: &Path,
    args: &RenderArgs,
    env: &HelmEnv,
    output: &Output,
) -> Result<Discovery> {
    let helm = helm(env)?;
    let namespace = namespace(args, env);
    output.status(
        "Rendering",
        format_args!("{} with {}", source.display(), helm.bin().display()),
    );
    let request = osc_render::DiscoverRequest {
        chart: source,
        release: "release-name",
        namespace: &namespace,
        values_files: args.values.clone(),
    };
    let discovery = osc_render::discover(&helm, &request)?;
    output.debug(format_args!(
        "discovery took {} helm renders",
        discovery.renders
    ));
    if let Some(guard) = &discovery.guard {
        output.warn(format_args!(
            "the chart refuses to render when its images move unless `{}` is true: the platform's rewrite will fail to install it; set it in values.yaml",
            guard.key
        ));
    }
    for fragile in &discovery.fragile {
        output.warn(format_args!(
            "`{}`: a different value breaks the chart's templates, so whether it is part of an image address is unknown: {}",
            fragile.path, fragile.error
        ));
    }
    Ok(discovery)
}

/// The image tars in a folder, inspected (headers and small JSON files only).
pub fn tars(dir: Option<&Path>) -> Result<Vec<osc_mapping::Tar>> {
    let Some(dir) = dir else {
        return Ok(Vec::new());
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("--images {}: cannot read the folder", dir.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "tar"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let archive = osc_image::inspect(&path)?;
            let file_name = path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            Ok(osc_mapping::Tar { file_name, archive })
        })
        .collect()
}

#[derive(Serialize)]
pub struct ImageReport {
    pub reference: String,
    pub hard_coded: bool,
    pub keys: Vec<KeyReport>,
    pub uses: Vec<UseReport>,
}

#[derive(Serialize)]
pub struct KeyReport {
    pub path: String,
    pub part: &'static str,
    pub value: String,
    /// `values.yaml`, `subchart NAME` or `--values`: only keys in the top values.yaml are rewritten.
    pub defined_in: String,
}

#[derive(Serialize)]
pub struct UseReport {
    pub template: String,
    pub kind: String,
    pub object: String,
    pub container: String,
    pub container_type: String,
    pub field: String,
}

pub fn image_report(found: &FoundImage) -> ImageReport {
    ImageReport {
        reference: found.reference.to_string(),
        hard_coded: found.keys.is_empty(),
        keys: found
            .keys
            .iter()
            .map(|key| KeyReport {
                path: key.path.clone(),
                part: key.part.as_str(),
                value: key.value.clone(),
                defined_in: match &key.origin {
                    osc_render::KeyOrigin::ChartValues => "values.yaml".to_string(),
                    osc_render::KeyOrigin::SubchartValues { chart } => format!("subchart {chart}"),
                    osc_render::KeyOrigin::UserValues => "--values".to_string(),
                },
            })
            .collect(),
        uses: found
            .uses
            .iter()
            .map(|use_| UseReport {
                template: use_.source.clone(),
                kind: use_.kind.clone(),
                object: use_.object.clone(),
                container: use_.container.clone(),
                container_type: use_.container_type.to_string(),
                field: use_.field.to_string(),
            })
            .collect(),
    }
}

/// `etcd/templates/statefulset.yaml: StatefulSet/release-name-etcd, container etcd`
pub fn use_line(use_: &UseReport) -> String {
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

/// The chart's images, its platform traps, and its values.yaml with the fixes applied: what
/// `package` puts in the package and what `mapping` and `rewrite` work from.
pub struct Analysed {
    pub discovery: Discovery,
    pub traps: osc_traps::Traps,
    pub values: String,
    pub fixed_values: String,
}

pub fn analyse(
    source: &Path,
    chart: &osc_chart::Chart,
    args: &RenderArgs,
    env: &HelmEnv,
    output: &Output,
) -> Result<Analysed> {
    let discovery = discover(source, args, env, output)?;
    let helm = helm(env)?;
    let namespace = namespace(args, env);
    let mut request = osc_render::RenderRequest::new(source);
    request.namespace = &namespace;
    request.values_files = args.values.clone();
    let rendered = helm.template(&request)?;
    let values = String::from_utf8(chart.values_yaml().unwrap_or_default().to_vec())
        .context("values.yaml is not UTF-8 text")?;
    let traps = osc_traps::find(&discovery, &rendered, &values);
    let fixed_values = osc_traps::apply(&values, &traps.fixes)?;
    Ok(Analysed {
        discovery,
        traps,
        values,
        fixed_values,
    })
}

/// Tells the provider each fix (file, key, before → after, why) and each image that cannot move.
pub fn report_traps(traps: &osc_traps::Traps, output: &Output) {
    for fix in &traps.fixes {
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
    for unmovable in &traps.unmovable {
        output.warn(format_args!(
            "{} cannot move: {} {} in {}: {}",
            unmovable.image, unmovable.object, unmovable.field, unmovable.source, unmovable.help
        ));
    }
}
