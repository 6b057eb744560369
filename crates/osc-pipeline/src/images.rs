//! `images`: every image the source deploys, where, and the keys or fields that make it up.

use std::path::{Path, PathBuf};

use osc_render::FoundImage;
use serde::Serialize;

use crate::{Analysis, Error, Subject};

/// What `images` reports, for a chart or an operator.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum ImagesReport {
    Chart(ChartImages),
    Operator(OperatorImages),
}

#[derive(Debug, Serialize)]
pub struct ChartImages {
    pub chart: String,
    pub images: Vec<ImageReport>,
    pub hard_coded: usize,
    /// Images of components that are off by default, with the switches that turn them on.
    pub latent: Vec<LatentReport>,
    /// Container `image` fields that are no valid reference.
    pub invalid: Vec<InvalidReport>,
    pub guard: Option<String>,
    /// Keys whose other values break the chart (`helm --debug osc images` lists them, `lint`
    /// says why when their value shows in an image).
    pub fragile: Vec<String>,
    /// Switches that break the chart when on: their components were not looked into.
    pub broken_switches: Vec<String>,
    /// The switches the latent renders turned on together; `package` proves the package with
    /// them on too.
    pub switched_on: Vec<String>,
    /// Lists of values that put a pull secret into pods.
    pub pull_secret_keys: Vec<String>,
    pub renders: usize,
    /// How long discovery took, in milliseconds.
    pub discovery_ms: u128,
}

#[derive(Debug, Serialize)]
pub struct LatentReport {
    #[serde(flatten)]
    pub image: ImageReport,
    pub switches: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct InvalidReport {
    pub value: String,
    pub error: String,
    pub template: String,
    pub object: String,
    pub container: String,
    pub field: String,
}

#[derive(Debug, Serialize)]
pub struct ImageReport {
    pub reference: String,
    pub hard_coded: bool,
    pub keys: Vec<KeyReport>,
    pub uses: Vec<UseReport>,
}

#[derive(Debug, Serialize)]
pub struct KeyReport {
    pub path: String,
    pub part: &'static str,
    pub value: String,
    /// `values.yaml`, `subchart NAME` or `--values`: only keys in the top values.yaml are rewritten.
    pub defined_in: String,
}

#[derive(Debug, Serialize)]
pub struct UseReport {
    pub template: String,
    pub kind: String,
    pub object: String,
    pub container: String,
    pub container_type: String,
    pub field: String,
}

#[derive(Debug, Serialize)]
pub struct OperatorImages {
    pub bundle: String,
    pub csv: String,
    pub images: Vec<OperatorImage>,
    pub unmovable: Vec<OperatorUnmovable>,
}

#[derive(Debug, Serialize)]
pub struct OperatorImage {
    pub reference: String,
    pub uses: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct OperatorUnmovable {
    pub place: String,
    pub text: String,
    pub reason: String,
}

/// The images of the analysed chart (from key discovery) or bundle (from its CSV).
pub fn images(analysis: &Analysis) -> Result<ImagesReport, Error> {
    match &analysis.subject {
        Subject::Chart(chart) => {
            let discovery = &chart.rendered()?.discovery;
            let images: Vec<ImageReport> = discovery.images.iter().map(image_report).collect();
            Ok(ImagesReport::Chart(ChartImages {
                chart: analysis.source.display().to_string(),
                hard_coded: images.iter().filter(|image| image.hard_coded).count(),
                images,
                latent: discovery
                    .latent
                    .iter()
                    .map(|latent| LatentReport {
                        image: image_report(&latent.image),
                        switches: latent.switches.clone(),
                    })
                    .collect(),
                invalid: discovery
                    .invalid
                    .iter()
                    .map(|invalid| InvalidReport {
                        value: invalid.raw.clone(),
                        error: invalid.error.to_string(),
                        template: invalid.source.clone(),
                        object: format!("{}/{}", invalid.kind, invalid.object),
                        container: invalid.container.clone(),
                        field: "image".to_string(),
                    })
                    .collect(),
                guard: discovery.guard.as_ref().map(|guard| guard.key.clone()),
                fragile: discovery
                    .fragile
                    .iter()
                    .map(|key| key.path.clone())
                    .collect(),
                switched_on: discovery.switches.clone(),
                broken_switches: discovery
                    .broken_switches
                    .iter()
                    .map(|key| key.path.clone())
                    .collect(),
                pull_secret_keys: discovery
                    .pull_secrets
                    .keys
                    .iter()
                    .map(|key| key.path.clone())
                    .collect(),
                renders: discovery.renders,
                discovery_ms: discovery.elapsed.as_millis(),
            }))
        }
        Subject::Bundle(bundle) => Ok(ImagesReport::Operator(operator_images(
            bundle,
            &analysis.source,
        ))),
        _ => Err(Error::Usage {
            what: analysis.source.display().to_string(),
            message: format!(
                "is {}: `images` takes a chart or an operator bundle",
                analysis.kind()
            ),
        }),
    }
}

fn image_report(found: &FoundImage) -> ImageReport {
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

pub(crate) fn container_place(
    deployment: &str,
    kind: &osc_csv::ContainerKind,
    name: &str,
) -> String {
    let kind = match kind {
        osc_csv::ContainerKind::InitContainer => "initContainer",
        osc_csv::ContainerKind::Container => "container",
        osc_csv::ContainerKind::EphemeralContainer => "ephemeralContainer",
    };
    format!("deployment {deployment}, {kind} {name}")
}

fn operator_images(bundle: &osc_csv::Bundle, source: &Path) -> OperatorImages {
    let found = osc_mapping::operator_images(bundle);
    let mut images: Vec<OperatorImage> = Vec::new();
    let mut add = |reference: String, place: String| match images
        .iter_mut()
        .find(|image| image.reference == reference)
    {
        Some(image) => image.uses.push(place),
        None => images.push(OperatorImage {
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
    OperatorImages {
        bundle: source.display().to_string(),
        csv: bundle.csv_file.display().to_string(),
        images,
        unmovable: found
            .unmovable
            .iter()
            .map(|u| OperatorUnmovable {
                place: u.place.clone(),
                text: u.text.clone(),
                reason: u.reason.clone(),
            })
            .collect(),
    }
}

/// The image tars in a folder, inspected (headers and small JSON files only).
pub fn tars(dir: Option<&Path>) -> Result<Vec<osc_mapping::Tar>, Error> {
    let Some(dir) = dir else {
        return Ok(Vec::new());
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|error| Error::io(dir, format!("--images: cannot read the folder: {error}")))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "tar"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let archive = osc_image::inspect(&path).map_err(|error| Error::io(&path, error))?;
            let file_name = path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            Ok(osc_mapping::Tar { file_name, archive })
        })
        .collect()
}
