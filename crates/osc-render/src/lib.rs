//! Render a chart with the real Helm and find every container image reference in the output.
//!
//! [`Helm::template`] runs a `helm` executable (the caller gives its path) and splits its
//! output into [`Document`]s; [`find_images`] walks the pod templates of those objects;
//! [`discover`] finds which values keys make up each image's address.

mod discover;
mod helm;
mod images;
mod rendered;

use std::path::PathBuf;

pub use crate::discover::{
    AddressPart, DiscoverError, DiscoverRequest, Discovery, FoundImage, FragileKey, Guard,
    KeyOrigin, KeyPart, LatentImage, Progress, PullSecretKey, PullSecrets, RENDER_BUDGET,
    SecretShape, discover, discover_loaded, switched_on_chart,
};
pub use crate::helm::{Helm, HelmOutput, RenderRequest};
pub use crate::images::{
    ContainerType, ImageField, ImageUse, InvalidImage, find_images, find_invalid_images,
};

pub use crate::rendered::{Document, Rendered};

/// Why a chart could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("cannot run helm at {bin}: {source}; check the path of the helm executable")]
    Spawn {
        bin: PathBuf,
        source: std::io::Error,
    },
    #[error("helm template failed for chart {chart}{}: {stderr}", template.as_ref().map(|t| format!(" in {t}")).unwrap_or_default())]
    Helm {
        chart: PathBuf,
        /// The template helm names in its error, e.g. `mychart/templates/NOTES.txt`.
        template: Option<String>,
        stderr: String,
    },
    #[error("helm template printed output that is not UTF-8 for chart {chart}")]
    NotUtf8 { chart: PathBuf },
    #[error(
        "helm template of chart {chart} printed invalid YAML in document {index} from {template}: {message}"
    )]
    Yaml {
        chart: PathBuf,
        template: String,
        index: usize,
        message: String,
    },
    #[error("`{bin} version` printed no version: {stderr}")]
    Version { bin: PathBuf, stderr: String },
}
