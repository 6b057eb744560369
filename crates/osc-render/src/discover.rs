//! Which values keys produce each image a chart deploys, and which part of the address each
//! key holds, found by rendering with markers in the values, never by reading key names.
//!
//! Every string, number and unset (`""` or null) leaf of the coalesced values that could be an
//! address or a part of one gets a distinct marker shaped like its value (a host, a path, a
//! reference, a version, a number a hair above it). All markers of the keys that are set go
//! into one values file and one render; the unset keys, which would override the set ones
//! (`global.imageRegistry: ""` beats `image.registry`), get their own renders. The marker found
//! in each image field, and where it sits in the reference, names the key and its part.
//!
//! A render that fails is narrowed down: a guard key the error asks for is set to true, keys
//! the chart's schema rejects or whose marker the error quotes are dropped, keys the error
//! names are tried apart, else the set is halved, until each key that breaks the chart stands
//! alone ([`Discovery::fragile`]). [`RENDER_BUDGET`] bounds the renders.
//!
//! Paths are dotted from the root of the top chart's values, `[i]` for list items; a key with
//! `.`, `[` or `]` is written in double quotes (`podAnnotations."app.kubernetes.io/name"`), as
//! `osc_yaml::Path` displays it. A subchart's key sits under the subchart's alias or name; a
//! subchart's `global` key under the top `global`.

mod marker;
mod probe;
mod values;

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::discover::marker::Marker;
use crate::discover::probe::{Candidate, Findings, Prober};
use crate::discover::values::{Scalar, Values};
use osc_imageref::ImageRef;

use crate::{Helm, ImageUse, RenderError, RenderRequest, Rendered, find_images};

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
#[derive(Clone, Debug, PartialEq)]
pub struct Discovery {
    /// The chart rendered with the request's values and nothing else: what the checks of pods,
    /// traps and images read, so no caller renders it again.
    pub rendered: Rendered,
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
    let chart = osc_chart::Chart::load(request.chart).map_err(|source| DiscoverError::Chart {
        chart: request.chart.to_owned(),
        source,
    })?;
    discover_loaded(helm, request, &chart)
}

/// [`discover`] for a chart the caller has loaded from `request.chart` already.
pub fn discover_loaded(
    helm: &Helm,
    request: &DiscoverRequest<'_>,
    chart: &osc_chart::Chart,
) -> Result<Discovery, DiscoverError> {
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
    let values = coalesced_values(request, chart)?;
    let (set_keys, unset_keys): (Vec<Candidate>, Vec<Candidate>) = values
        .leaves
        .iter()
        .enumerate()
        .filter_map(|(leaf, key)| {
            let marker = Marker::for_value(&key.value, leaf)?;
            Some(Candidate { leaf, marker })
        })
        .partition(|candidate| values.leaves[candidate.leaf].value != Scalar::Unset);

    let mut prober = Prober::new(helm, request, &values, &default_positions)?;
    let mut findings = Findings::default();
    if !uses.is_empty() {
        prober.probe(set_keys.iter().collect(), &mut findings)?;
        probe_in_rounds(&mut prober, &unset_keys, &mut findings)?;
    }
    let mut fragile = findings.fragile;
    fragile.sort_by_key(|(leaf, _)| *leaf);
    Ok(Discovery {
        rendered,
        images: found_images(uses, &values, findings.parts),
        guard: prober.guard.map(|(_, guard)| guard),
        fragile: fragile
            .into_iter()
            .map(|(leaf, error)| FragileKey {
                path: values.leaves[leaf].path.to_string(),
                error,
            })
            .collect(),
        renders: prober.renders,
    })
}

/// The chart's values with its subcharts' and the request's values files.
fn coalesced_values(
    request: &DiscoverRequest<'_>,
    chart: &osc_chart::Chart,
) -> Result<Values, DiscoverError> {
    let mut user_files = Vec::new();
    for file in &request.values_files {
        let invalid = |message: String| DiscoverError::Values {
            file: file.display().to_string(),
            message,
        };
        let bytes = std::fs::read(file).map_err(|error| invalid(error.to_string()))?;
        user_files.push(values::parse_values(&bytes).map_err(invalid)?);
    }
    Values::collect(chart, &user_files).map_err(|invalid| DiscoverError::Values {
        file: format!("{}: {}", request.chart.display(), invalid.file),
        message: invalid.message,
    })
}

/// Unset keys override one another too (`digest` beats `tag` in Bitnami's helper): each set
/// of them that rendered and showed some is rendered again without those, until none shows.
/// Keys in different sets never met in a render, so could not hide one another.
fn probe_in_rounds(
    prober: &mut Prober<'_>,
    candidates: &[Candidate],
    findings: &mut Findings,
) -> Result<(), DiscoverError> {
    let mut pending = vec![candidates.iter().collect::<Vec<_>>()];
    while let Some(set) = pending.pop() {
        let parts_before = findings.parts.len();
        let rendered = prober.probe(set, findings)?;
        let shown: HashSet<usize> = findings.parts[parts_before..]
            .iter()
            .map(|(_, leaf, _)| *leaf)
            .collect();
        for set in rendered {
            if set.iter().any(|candidate| shown.contains(&candidate.leaf)) {
                let hidden: Vec<_> = set
                    .into_iter()
                    .filter(|candidate| !shown.contains(&candidate.leaf))
                    .collect();
                pending.push(hidden);
            }
        }
    }
    Ok(())
}

/// One image per distinct reference, with its uses and the keys found in them.
fn found_images(
    uses: Vec<ImageUse>,
    values: &Values,
    parts: Vec<(usize, usize, AddressPart)>,
) -> Vec<FoundImage> {
    let mut images: Vec<FoundImage> = Vec::new();
    let mut image_of_use = Vec::with_capacity(uses.len());
    for image_use in uses {
        let known = images
            .iter()
            .position(|image| image.reference == image_use.reference);
        let index = known.unwrap_or_else(|| {
            images.push(FoundImage {
                reference: image_use.reference.clone(),
                uses: Vec::new(),
                keys: Vec::new(),
            });
            images.len() - 1
        });
        images[index].uses.push(image_use);
        image_of_use.push(index);
    }
    for (use_index, leaf, part) in parts {
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
    images
}
