//! Which values keys produce each image a chart deploys, and which part of the address each
//! key holds, found by rendering with markers in the values, never by reading key names.
//!
//! Every string, number and unset (`""` or null) leaf of the coalesced values that could be an
//! address or a part of one gets a distinct marker shaped like its value. All markers of the
//! keys that are set go into one values file and one render; the unset keys, which would
//! override the set ones (`global.imageRegistry: ""` beats `image.registry`), get a second.
//! The marker found in each image field, and where it sits in the reference, names the key and
//! its part.
//!
//! Paths are dotted from the root of the top chart's values, `[i]` for list items; a key with
//! `.`, `[` or `]` is written in double quotes (`podAnnotations."app.kubernetes.io/name"`).
//! A subchart's key sits under the subchart's alias or name; a subchart's `global` key under
//! the top `global`.

mod marker;
mod probe;
mod values;

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::discover::marker::Marker;
use crate::discover::probe::{Candidate, Findings, Prober};
use crate::discover::values::{Scalar, Values};
use crate::{Helm, ImageRef, ImageUse, RenderError, RenderRequest, find_images};

/// Helm renders one discovery may cost, the default render included: enough to isolate a
/// handful of keys whose markers break the chart among hundreds.
pub const RENDER_BUDGET: usize = 64;

/// The chart and values to discover image keys for.
#[derive(Clone, Debug)]
pub struct DiscoverRequest<'a> {
    /// A chart directory or `.tgz`.
    pub chart: &'a Path,
    pub release: &'a str,
    pub namespace: &'a str,
    /// The user's values files, in precedence order.
    pub values_files: Vec<PathBuf>,
}

/// What discovery found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Discovery {
    /// One per distinct reference the chart renders with the request's values, in the order
    /// of [`find_images`].
    pub images: Vec<FoundImage>,
    /// A check the chart makes that fails when images move; discovery set its key to true.
    pub guard: Option<Guard>,
    /// Keys whose marker breaks the render or drops an image: their part in an address, if
    /// any, is unknown.
    pub fragile: Vec<FragileKey>,
    /// The helm renders discovery cost, the default render included.
    pub renders: usize,
}

/// A rendered image reference, where it is used and the keys that make it up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundImage {
    pub reference: ImageRef,
    pub uses: Vec<ImageUse>,
    /// No keys: a template writes the image itself.
    pub keys: Vec<KeyPart>,
}

/// A values key and the part of an image address its value makes up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPart {
    /// Dotted from the root of the top chart's values, see the module documentation.
    pub path: String,
    pub part: AddressPart,
    /// The value as the chart renders it today; empty for a key that is `""` or null and takes
    /// effect once set.
    pub value: String,
    pub origin: KeyOrigin,
}

/// Which part of `registry/path:tag@digest` a key's value is, in mapping.yaml's terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AddressPart {
    /// The whole reference.
    FullAddress,
    /// Registry and path (the whole path when the reference names no registry).
    Repository,
    /// Registry and the leading path segments.
    PrefixAddress,
    /// The path without the registry.
    Repo,
    /// The registry.
    Endpoint,
    Tag,
    /// No part mapping.yaml has: a digest pins the old image after the platform moves it.
    Digest,
    /// Only a piece of a part, e.g. an organisation in the middle of the path: the platform
    /// cannot rewrite it.
    Partial,
}

/// Where a values key is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyOrigin {
    /// In the top chart's values.yaml.
    ChartValues,
    /// Only in the values.yaml of the subchart named `chart` (its Chart.yaml name).
    SubchartValues { chart: String },
    /// Only in the user's values files.
    UserValues,
}

/// A check that fails the render when images move, unless `key` is true.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Guard {
    /// E.g. `global.security.allowInsecureImages`.
    pub key: String,
    /// Helm's error text.
    pub message: String,
}

/// A key whose marker broke the render.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FragileKey {
    pub path: String,
    /// Helm's error, or which image went missing.
    pub error: String,
}

/// Why discovery could not start or finish.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    /// The chart does not render with the request's own values.
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("cannot load chart {chart} to read its values: {source}")]
    Chart {
        chart: PathBuf,
        source: osc_chart::LoadError,
    },
    #[error("{file} is not valid YAML: {message}; fix the values file")]
    Values { file: String, message: String },
    #[error("cannot write the marker values file in the temporary directory: {source}")]
    MarkerFile { source: std::io::Error },
}

impl<'a> DiscoverRequest<'a> {
    /// A request with helm's defaults: release `release-name`, namespace `default`.
    pub fn new(chart: &'a Path) -> DiscoverRequest<'a> {
        DiscoverRequest {
            chart,
            release: "release-name",
            namespace: "default",
            values_files: Vec::new(),
        }
    }
}

impl AddressPart {
    /// The name mapping.yaml uses (`digest` and `partial` name parts it has not).
    pub fn as_str(self) -> &'static str {
        match self {
            AddressPart::FullAddress => "fullAddress",
            AddressPart::Repository => "repository",
            AddressPart::PrefixAddress => "prefixAddress",
            AddressPart::Repo => "repo",
            AddressPart::Endpoint => "endpoint",
            AddressPart::Tag => "tag",
            AddressPart::Digest => "digest",
            AddressPart::Partial => "partial",
        }
    }
}

impl fmt::Display for AddressPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Finds, for each image the chart deploys with the request's values, the values keys that
/// make up its reference and the part each holds.
pub fn discover(helm: &Helm, request: &DiscoverRequest<'_>) -> Result<Discovery, DiscoverError> {
    let render_request = RenderRequest {
        chart: request.chart,
        release: request.release,
        namespace: request.namespace,
        values_files: request.values_files.clone(),
        set: Vec::new(),
    };
    let rendered = helm.template(&render_request)?;
    let uses = find_images(&rendered);
    let default_positions: Vec<_> = uses.iter().map(ImageUse::position).collect();

    let chart = osc_chart::Chart::load(request.chart).map_err(|source| DiscoverError::Chart {
        chart: request.chart.to_owned(),
        source,
    })?;
    let mut user_files = Vec::new();
    for file in &request.values_files {
        let bytes = std::fs::read(file).map_err(|error| DiscoverError::Values {
            file: file.display().to_string(),
            message: error.to_string(),
        })?;
        let value = values::parse_values(&bytes).map_err(|message| DiscoverError::Values {
            file: file.display().to_string(),
            message,
        })?;
        user_files.push(value);
    }
    let values = Values::collect(&chart, &user_files).map_err(|invalid| DiscoverError::Values {
        file: format!("{}: {}", request.chart.display(), invalid.file),
        message: invalid.message,
    })?;

    let (set_keys, unset_keys): (Vec<Candidate>, Vec<Candidate>) = values
        .leaves
        .iter()
        .enumerate()
        .filter_map(|(leaf, key)| {
            let marker = Marker::for_value(&key.value, leaf)?;
            Some(Candidate { leaf, marker })
        })
        .partition(|candidate| values.leaves[candidate.leaf].value != Scalar::Unset);

    let marker_file = tempfile::Builder::new()
        .prefix("osc-markers-")
        .suffix(".yaml")
        .tempfile()
        .map_err(|source| DiscoverError::MarkerFile { source })?;
    let mut prober = Prober {
        helm,
        chart: request.chart,
        release: request.release,
        namespace: request.namespace,
        user_files: &request.values_files,
        values: &values,
        default_positions: &default_positions,
        marker_file,
        renders: 1,
        budget: RENDER_BUDGET,
        guard: None,
    };
    let mut findings = Findings::default();
    if !uses.is_empty() {
        prober.probe(&set_keys, &mut findings)?;
        // Unset keys override one another too (`digest` beats `tag` in Bitnami's helper):
        // again without those found, until a round finds none.
        let mut unset_keys = unset_keys;
        while !unset_keys.is_empty() {
            let (parts_before, fragile_before) = (findings.parts.len(), findings.fragile.len());
            prober.probe(&unset_keys, &mut findings)?;
            let decided: HashSet<usize> = findings.parts[parts_before..]
                .iter()
                .map(|(_, leaf, _)| *leaf)
                .chain(
                    findings.fragile[fragile_before..]
                        .iter()
                        .map(|(leaf, _)| *leaf),
                )
                .collect();
            if decided.is_empty() {
                break;
            }
            unset_keys.retain(|candidate| !decided.contains(&candidate.leaf));
        }
    }

    let mut images: Vec<FoundImage> = Vec::new();
    let mut image_of_use = Vec::with_capacity(uses.len());
    for image_use in uses {
        let index = match images
            .iter()
            .position(|image| image.reference == image_use.reference)
        {
            Some(index) => index,
            None => {
                images.push(FoundImage {
                    reference: image_use.reference.clone(),
                    uses: Vec::new(),
                    keys: Vec::new(),
                });
                images.len() - 1
            }
        };
        images[index].uses.push(image_use);
        image_of_use.push(index);
    }
    for (use_index, leaf, part) in findings.parts {
        let key = &values.leaves[leaf];
        let image = &mut images[image_of_use[use_index]];
        let path = key.path.to_string();
        if !image.keys.iter().any(|k| k.path == path && k.part == part) {
            image.keys.push(KeyPart {
                path,
                part,
                value: key.value.text().to_owned(),
                origin: key.origin.clone(),
            });
        }
    }
    for image in &mut images {
        image
            .keys
            .sort_by(|a, b| (a.part, &a.path).cmp(&(b.part, &b.path)));
    }
    findings.fragile.sort_by_key(|(leaf, _)| *leaf);
    let fragile = findings
        .fragile
        .into_iter()
        .map(|(leaf, error)| FragileKey {
            path: values.leaves[leaf].path.to_string(),
            error,
        })
        .collect();
    Ok(Discovery {
        images,
        guard: prober.guard.map(|(_, guard)| guard),
        fragile,
        renders: prober.renders,
    })
}
