//! Which values keys produce each image a chart deploys, and which part of the address each
//! key holds, found by rendering with markers in the values, never by reading key names.
//!
//! The default render comes first, side by side with the marker renders that need nothing
//! from it: one with a distinct marker (shaped like its value: a host, a path, a reference, a
//! version, a number a hair above it) in every leaf of the image-shaped values (a map holding a
//! host or a path beside a version, or a whole reference), and one with the same markers and
//! every switch (a boolean that is false) turned on, which shows the images of components that
//! are off by default and, with a marker secret in every list of names that may reach a pod,
//! the keys that reach a pod's `imagePullSecrets`. That one renders a copy of the chart made
//! for its question ([`cheap`]: no NOTES.txt, no `fail` or `required` stopping it, no RSA
//! keys generated). The marker found in each image field, and where it sits in the reference,
//! names the key and its part.
//!
//! The default render then decides what else can be an address part: a set key whose value (or
//! a form templates make of it: `v`-prefixed, trimmed, lower-cased) stands between the
//! delimiters of no image field cannot be one and gets no marker. Only images whose address
//! the first renders left incomplete get a render of the set keys whose value shows in them.
//! Apart (an unset key overrides a set one: `global.imageRegistry: ""` beats
//! `image.registry`), the unset (`""`, null) keys in the image-shaped maps or under `global`
//! get a render in the first wave, even when every address will be complete, and those beside
//! keys found later get one then.
//!
//! Two things a switch cannot show get renders of their own. A switch that turns the deployed
//! component off (a mode that replaces it) hides its sidecars: a switched-on render that lost
//! a deployed image goes again without the switches gating that image's template. A template
//! gated on a setting (a word a key is compared with, an unset key such as a server URL) stays
//! shut with every switch on: for one that reads an image map no render showed, [`setting`]
//! reads the settings from its opening condition and renders with them, once the other
//! renders are done (before, a map a narrowed render will show looks unshown).
//!
//! A render that fails is narrowed ([`probe`]): the switch that lets moved images through is
//! found from the error and the failing template and set to true, keys the chart's schema
//! rejects or whose marker the error quotes are dropped, the switches only a failing template
//! that writes no image reads are dropped ([`templates`]), switches are halved, else the
//! markers, until each key that breaks the chart stands alone ([`Discovery::fragile`]).
//! [`RENDER_BUDGET`] bounds the renders.
//!
//! Paths are dotted from the root of the top chart's values, `[i]` for list items; a key with
//! `.`, `[` or `]` is written in double quotes (`podAnnotations."app.kubernetes.io/name"`), as
//! `osc_yaml::Path` displays it. A subchart's key sits under the subchart's alias or name; a
//! subchart's `global` key under the top `global`.

mod cheap;
mod marker;
mod probe;
mod setting;
mod templates;
mod values;

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::discover::cheap::ChartCopy;
use crate::discover::marker::{Marker, is_registry_host, is_tag, version_marker};
use crate::discover::probe::{FoundPart, Job, Probe, Prober, Renderer, Stage, Templates, complete};
use crate::discover::values::{Scalar, Values};
use osc_imageref::ImageRef;

pub use crate::discover::probe::SecretShape;

use crate::{
    Helm, ImageUse, InvalidImage, RenderError, Rendered, find_images, find_invalid_images,
};

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
    /// Hears `(renders done, renders planned)` as discovery goes, from any thread.
    pub progress: Option<Progress<'a>>,
}

/// A callback for discovery's progress: `(renders done, renders planned)`.
#[derive(Clone, Copy)]
pub struct Progress<'a>(pub &'a (dyn Fn(usize, usize) + Sync));

impl fmt::Debug for Progress<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Progress")
    }
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
    /// Images of components that are off by default, found with every switch on; none of
    /// them is among `images`.
    pub latent: Vec<LatentImage>,
    /// Container `image` fields of the default render that are no valid reference.
    pub invalid: Vec<InvalidImage>,
    /// A check the chart makes that fails when images move; discovery set its key to true.
    pub guard: Option<Guard>,
    /// Keys whose marker breaks the render or drops an image: their part in an address, if
    /// any, is unknown.
    pub fragile: Vec<FragileKey>,
    /// Switches that break the render when on: their components were not looked into.
    pub broken_switches: Vec<FragileKey>,
    /// The switches of the largest set that rendered when turned on together: with these on
    /// the chart renders, and deploys the latent images that render showed.
    pub switches: Vec<String>,
    /// The lists that put a pull secret into pods.
    pub pull_secrets: PullSecrets,
    /// The helm renders discovery cost, the default render included.
    pub renders: usize,
    /// How long discovery took.
    pub elapsed: Duration,
}

/// An image of a component that is off by default.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LatentImage {
    pub image: FoundImage,
    /// The switches that turn it on, as far as the renders tell: those among the switches of
    /// the render that showed it whose map holds one of the image's keys, else every switch of
    /// that render.
    pub switches: Vec<String>,
}

/// Where a chart takes pull secrets from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PullSecrets {
    pub keys: Vec<PullSecretKey>,
    /// `Kind/name` of every pod the switched-on render showed.
    pub pods: Vec<String>,
}

/// A list of the values whose names the chart writes into pods' `imagePullSecrets`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PullSecretKey {
    pub path: String,
    pub shape: SecretShape,
    /// `Kind/name` of the pods it reaches.
    pub pods: Vec<String>,
    pub origin: KeyOrigin,
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
    /// What the default render holds where the key's marker showed (a template's default for
    /// an unset key); `None` when the rest of the field read otherwise.
    pub rendered: Option<String>,
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
    /// Every switch set to true to get past it, `key` first.
    pub keys: Vec<String>,
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
    #[error(
        "cannot write discovery's copy of the chart: {source}; set TMPDIR to a folder with room for the chart"
    )]
    ChartCopy { source: std::io::Error },
}

impl Discovery {
    /// The deployed images, then the latent ones: every image mapping.yaml should name.
    pub fn all_images(&self) -> Vec<FoundImage> {
        let latent = self.latent.iter().map(|latent| latent.image.clone());
        self.images.iter().cloned().chain(latent).collect()
    }
}

impl<'a> DiscoverRequest<'a> {
    /// A request with helm's defaults: release `release-name`, namespace `default`.
    pub fn new(chart: &'a Path) -> DiscoverRequest<'a> {
        DiscoverRequest {
            chart,
            release: "release-name",
            namespace: "default",
            values_files: Vec::new(),
            progress: None,
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
    let started = Instant::now();
    let values = coalesced_values(request, chart)?;
    let markers: Vec<Option<Marker>> = values
        .leaves
        .iter()
        .enumerate()
        .map(|(leaf, key)| Marker::for_value(&key.value, leaf))
        .collect();
    let shaped: Vec<usize> = shaped_leaves(&values)
        .into_iter()
        .filter(|&leaf| markers[leaf].is_some())
        .collect();
    // The lists go with every switch on: then they reach the pods of components that are off
    // by default too, and the guard's switch is on.
    let moved = Probe {
        stage: Stage::Moved,
        markers: shaped.clone(),
        switches: Vec::new(),
        lists: Vec::new(),
        guarded: false,
        settings: Vec::new(),
    };
    let templates = Templates::of(chart);
    // A list only templates that write no image read (a Service's source ranges) is no pull
    // secrets list, and a marker secret there would break the render for nothing.
    let latent = Probe {
        stage: Stage::Latent,
        markers: shaped.clone(),
        switches: (0..values.switches.len()).collect(),
        lists: (0..values.lists.len())
            .filter(|&list| {
                templates.may_reach_pods(&values.lists[list])
                    && !templates.breaks_marker_secrets(&values.lists[list])
            })
            .collect(),
        guarded: false,
        settings: Vec::new(),
    };
    // The unset keys in the image maps and under `global` need nothing from the other
    // renders either: an unset key that overrides a set one (`global.imageRegistry: ""`) is
    // found beside them, not in the same render.
    let image_maps: BTreeSet<String> = shaped
        .iter()
        .map(|&leaf| parent_map(&values, leaf))
        .collect();
    let early_unset = Probe {
        stage: Stage::Unset,
        markers: unset_beside(&values, &markers, &image_maps, &BTreeSet::new()),
        switches: Vec::new(),
        lists: Vec::new(),
        guarded: false,
        settings: Vec::new(),
    };
    let tried_unset: BTreeSet<usize> = early_unset.markers.iter().copied().collect();
    let switched_on = ChartCopy::switched_on(chart);
    let keyless = ChartCopy::keyless(chart);
    let renderer = Renderer::new(helm, request, &switched_on, &keyless);

    // The default render and the two renders that need nothing from it, side by side.
    let empty = |probe: &Probe| {
        probe.markers.is_empty() && probe.switches.is_empty() && probe.lists.is_empty()
    };
    // Without switches or lists the latent render would be the moved one again.
    let latent = Some(latent).filter(|probe| !probe.switches.is_empty() || !probe.lists.is_empty());
    let first: Vec<Probe> = std::iter::once(moved)
        .chain(latent)
        .chain(Some(early_unset))
        .filter(|probe| !empty(probe))
        .collect();
    let mut jobs = vec![Job::default_render()];
    // The prober is not there yet: its values files are made the same way.
    let no_guard = Prober::new(&values, chart, &markers, &renderer, &[], &[], &templates);
    jobs.extend(
        first
            .iter()
            .map(|probe| Job::of(no_guard.document(probe), probe.stage)),
    );
    drop(no_guard);
    let mut results = renderer.wave(jobs)?.into_iter();
    let rendered = match results.next() {
        Some(Ok(rendered)) => rendered.rendered,
        Some(Err(stderr)) => {
            return Err(DiscoverError::Render(RenderError::Helm {
                chart: request.chart.to_owned(),
                template: None,
                stderr,
            }));
        }
        None => unreachable!("the wave holds the default render"),
    };
    let uses = find_images(&rendered);
    let invalid = find_invalid_images(&rendered);
    let default_positions: Vec<_> = uses.iter().map(ImageUse::position).collect();
    let default_raws: Vec<String> = uses.iter().map(|image_use| image_use.raw.clone()).collect();
    let mut prober = Prober::new(
        &values,
        chart,
        &markers,
        &renderer,
        &default_positions,
        &default_raws,
        &templates,
    );
    let mut pending = Vec::new();
    prober.hold_moved = true;
    for (probe, result) in first.into_iter().zip(results) {
        probe::trace(&values, &probe, &result);
        match result {
            Ok(rendered) => pending.extend(prober.decode(probe, &rendered)),
            Err(error) => pending.extend(prober.narrow(probe, error)),
        }
    }
    let in_flight: BTreeSet<usize> = pending
        .iter()
        .flat_map(|probe: &Probe| probe.markers.iter().copied())
        .chain(tried_unset)
        .collect();
    pending.extend(follow_up(
        &values,
        &markers,
        &uses,
        &prober.findings.parts,
        &shaped,
        &in_flight,
    ));
    prober.run(pending)?;
    // A moved render that met the guard first waited for the latent renders: it goes again
    // only for what they did not show, after them.
    prober.hold_moved = false;
    let held = release_held(&mut prober, uses.len());
    if !held.is_empty() {
        prober.run(held)?;
    }
    // Image maps no render showed may sit behind a gate no switch opens. Asked only once every
    // other render is done: before, a map a narrowed render will show looks unshown.
    let shown: BTreeSet<usize> = prober
        .findings
        .parts
        .iter()
        .map(|part| part.leaf)
        .chain(
            prober
                .findings
                .latent
                .iter()
                .flat_map(|field| field.parts.iter().map(|(leaf, _)| *leaf)),
        )
        .collect();
    let fragile: BTreeSet<usize> = prober
        .findings
        .fragile
        .iter()
        .map(|(leaf, _)| *leaf)
        .collect();
    let unshown: BTreeSet<usize> = shaped
        .iter()
        .copied()
        .filter(|leaf| !shown.contains(leaf) && !fragile.contains(leaf))
        .collect();
    let settled: Vec<usize> = shaped
        .iter()
        .copied()
        .filter(|leaf| !fragile.contains(leaf))
        .collect();
    let settings = setting::setting_probes(&values, chart, templates.defines(), &unshown, &settled);
    if !settings.is_empty() {
        prober.run(settings)?;
    }

    let findings = std::mem::take(&mut prober.findings);
    let renders = prober.renderer.renders();
    let guard = prober.guard.take().map(|(_, guard)| guard);
    let mut fragile = findings.fragile.clone();
    fragile.sort_by_key(|(leaf, _)| *leaf);
    fragile.dedup_by_key(|(leaf, _)| *leaf);
    let mut images = found_images(uses, &values, &findings.parts);
    let latent = latent_images(chart, templates.defines(), &values, &findings, &mut images);
    let pull_secrets = pull_secrets(&values, &findings);
    Ok(Discovery {
        rendered,
        images,
        latent,
        invalid,
        guard,
        fragile: fragile
            .into_iter()
            .map(|(leaf, error)| FragileKey {
                path: values.leaves[leaf].path.to_string(),
                error,
            })
            .collect(),
        broken_switches: findings
            .broken_switches
            .iter()
            .map(|(switch, error)| FragileKey {
                path: values.switches[*switch].to_string(),
                error: error.clone(),
            })
            .collect(),
        switches: findings
            .latent_switches
            .iter()
            .map(|&switch| values.switches[switch].to_string())
            .collect(),
        pull_secrets,
        renders,
        elapsed: started.elapsed(),
    })
}

/// The moved renders held when they met the guard first, to render now: a moved render that
/// failed on the guard is needed again only for what no latent render showed with the chart's
/// own addresses, and then only its lists when every default use was shown.
fn release_held(prober: &mut Prober<'_>, uses: usize) -> Vec<Probe> {
    let all_validated = (0..uses).all(|index| prober.findings.validated.contains(&index));
    std::mem::take(&mut prober.held)
        .into_iter()
        .filter_map(|probe| {
            if !all_validated {
                Some(probe)
            } else if !probe.lists.is_empty() {
                Some(Probe {
                    markers: Vec::new(),
                    switches: Vec::new(),
                    ..probe
                })
            } else {
                None
            }
        })
        .collect()
}

/// The chart as discovery renders it with switches on ([`Discovery::switches`]): without
/// NOTES.txt, `fail`, `required` and the values schema, with the templates of image-less
/// objects empty, and with constants for the functions that generate keys and hashes. A render that proves the latent images move takes this chart, as the switches
/// were found on it.
pub fn switched_on_chart(chart: &osc_chart::Chart) -> osc_chart::Chart {
    cheap::switched_on_chart(chart).unwrap_or_else(|| chart.clone())
}

/// Where discovery's scratch files go (the switched-on chart, the marker values): the memory
/// filesystem Linux offers at `/dev/shm` unless `TMPDIR` says otherwise, as creating a few
/// hundred small files costs a render's time on a disk-backed `/tmp`. Else the temp folder.
fn scratch_dir() -> PathBuf {
    let shm = Path::new("/dev/shm");
    let writable = |path: &Path| {
        std::fs::metadata(path).is_ok_and(|meta| meta.is_dir() && !meta.permissions().readonly())
    };
    if std::env::var_os("TMPDIR").is_none() && writable(shm) {
        shm.to_owned()
    } else {
        std::env::temp_dir()
    }
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

/// Leaves whose value is shaped like an image address or part of one, where an image sits:
/// every leaf of a map that holds a host or a path beside a version, a tag or an unset key (the
/// `registry`/`repository`/`tag` maps), and any whole reference with a path and a tag or digest.
/// Pull policies are Kubernetes words, not tags.
fn shaped_leaves(values: &Values) -> Vec<usize> {
    let mut by_parent: HashMap<String, Vec<usize>> = HashMap::new();
    let mut shaped = BTreeSet::new();
    for (leaf, key) in values.leaves.iter().enumerate() {
        let segments = key.path.segments();
        let parent = osc_yaml::Path::from_segments(
            segments[..segments.len().saturating_sub(1)].iter().cloned(),
        );
        by_parent.entry(parent.to_string()).or_default().push(leaf);
        if let Scalar::Text(text) = &key.value
            && whole_reference(text)
        {
            shaped.insert(leaf);
        }
    }
    let text = |leaf: &usize| match &values.leaves[*leaf].value {
        Scalar::Text(text) => Some(text.as_str()),
        _ => None,
    };
    // A registry host has a dot (`docker.io`); `localhost` beside a port is a database's.
    let locator = |text: &str| (is_registry_host(text) && text.contains('.')) || path_shaped(text);
    let version = |text: &str| {
        !locator(text)
            && text.starts_with(|c: char| c.is_ascii_digit() || c == 'v')
            && version_marker(text, 0).is_some()
    };
    for leaves in by_parent.values() {
        let has_locator = leaves.iter().any(|leaf| text(leaf).is_some_and(locator));
        let has_version = leaves.iter().any(|leaf| text(leaf).is_some_and(version));
        if has_locator && has_version {
            shaped.extend(leaves.iter().copied().filter(|leaf| {
                text(leaf).is_some_and(|text| {
                    locator(text)
                        || version(text)
                        || (is_tag(text) && !matches!(text, "Always" | "IfNotPresent" | "Never"))
                })
            }));
        }
    }
    shaped.into_iter().collect()
}

/// `org/name` or `host/org/name`: a path an image could have, no file path or URL.
fn path_shaped(text: &str) -> bool {
    text.contains('/')
        && !text.starts_with(['/', '.', '~'])
        && !text.contains("://")
        && ImageRef::parse(text).is_ok()
}

/// A whole reference: a path and a tag or digest.
fn whole_reference(text: &str) -> bool {
    path_shaped(text)
        && ImageRef::parse(text)
            .is_ok_and(|reference| reference.tag().is_some() || reference.digest().is_some())
}

/// Renders for the default uses whose address the first renders left incomplete: the set keys
/// not yet tried whose value stands in one of them, and the unset keys beside those or beside
/// the keys found, or under `global`.
fn follow_up(
    values: &Values,
    markers: &[Option<Marker>],
    uses: &[ImageUse],
    parts: &[FoundPart],
    shaped: &[usize],
    in_flight: &BTreeSet<usize>,
) -> Vec<Probe> {
    let incomplete: Vec<&ImageUse> = uses
        .iter()
        .enumerate()
        .filter(|(index, image_use)| {
            let found: Vec<AddressPart> = parts
                .iter()
                .filter(|part| part.use_index == *index)
                .map(|part| part.part)
                .collect();
            !complete(&image_use.raw, &found)
        })
        .map(|(_, image_use)| image_use)
        .collect();
    // Unset keys go even when every address is complete: one can override the key found
    // (`global.imageRegistry: ""` beats `image.registry`).
    let raws: Vec<String> = incomplete
        .iter()
        .map(|image_use| image_use.raw.to_lowercase())
        .collect();
    let untried = |leaf: usize| {
        markers[leaf].is_some() && !shaped.contains(&leaf) && !in_flight.contains(&leaf)
    };
    let leftover: Vec<usize> = values
        .leaves
        .iter()
        .enumerate()
        .filter(|(leaf, key)| untried(*leaf) && key.value != Scalar::Unset)
        .filter(|(_, key)| raws.iter().any(|raw| shows_in(key.value.text(), raw)))
        .map(|(leaf, _)| leaf)
        .collect();
    let beside: BTreeSet<String> = leftover
        .iter()
        .copied()
        .chain(parts.iter().map(|part| part.leaf))
        .map(|leaf| parent_map(values, leaf))
        .collect();
    let unset = unset_beside(values, markers, &beside, in_flight);
    let probe = |stage, markers: Vec<usize>| Probe {
        stage,
        markers,
        switches: Vec::new(),
        lists: Vec::new(),
        guarded: false,
        settings: Vec::new(),
    };
    [probe(Stage::Leftover, leftover), probe(Stage::Unset, unset)]
        .into_iter()
        .filter(|probe| !probe.markers.is_empty())
        .collect()
}

/// The unset (`""`, null) leaves with a marker in one of the maps `beside` (dotted paths) or
/// under `global`, but for those in `skip`.
fn unset_beside(
    values: &Values,
    markers: &[Option<Marker>],
    beside: &BTreeSet<String>,
    skip: &BTreeSet<usize>,
) -> Vec<usize> {
    values
        .leaves
        .iter()
        .enumerate()
        .filter(|(leaf, key)| {
            key.value == Scalar::Unset && markers[*leaf].is_some() && !skip.contains(leaf)
        })
        .filter(|(leaf, key)| {
            let global = matches!(
                key.path.segments().first(),
                Some(osc_yaml::Segment::Key(first)) if first == "global"
            );
            global || beside.contains(&parent_map(values, *leaf))
        })
        .map(|(leaf, _)| leaf)
        .collect()
}

/// The dotted path of the map holding a leaf.
fn parent_map(values: &Values, leaf: usize) -> String {
    let segments = values.leaves[leaf].path.segments();
    osc_yaml::Path::from_segments(segments[..segments.len().saturating_sub(1)].iter().cloned())
        .to_string()
}

/// Whether a set value, or a form templates make of it, stands in a rendered field between
/// the delimiters of a reference. A number or a short value must stand between `/`, `:`, `@`
/// or the ends, so `replicaCount: 1` is not found in `redis:8.2.1`.
fn shows_in(value: &str, raw: &str) -> bool {
    let value = value.trim().to_lowercase();
    if value.is_empty() {
        return false;
    }
    let strict = value.len() < 3 || value.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let hard = |b: Option<u8>| b.is_none_or(|b| matches!(b, b'/' | b':' | b'@'));
    let soft = |b: Option<u8>| hard(b) || b.is_some_and(|b| matches!(b, b'-' | b'_' | b'.'));
    let forms = [
        value.clone(),
        format!("v{value}"),
        value.trim_start_matches('v').to_owned(),
    ];
    forms.iter().filter(|form| !form.is_empty()).any(|form| {
        raw.match_indices(form.as_str()).any(|(start, _)| {
            let before = raw[..start].bytes().next_back();
            let after = raw[start + form.len()..].bytes().next();
            if strict {
                hard(before) && (hard(after) || after == Some(b'-'))
            } else {
                soft(before) && soft(after)
            }
        })
    })
}

/// One image per distinct reference, with its uses and the keys found in them.
fn found_images(uses: Vec<ImageUse>, values: &Values, parts: &[FoundPart]) -> Vec<FoundImage> {
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
    for found in parts {
        let image = &mut images[image_of_use[found.use_index]];
        add_key(
            &mut image.keys,
            values,
            found.leaf,
            found.part,
            found.rendered.clone(),
        );
    }
    for image in &mut images {
        sort_keys(&mut image.keys);
    }
    images
}

fn add_key(
    keys: &mut Vec<KeyPart>,
    values: &Values,
    leaf: usize,
    part: AddressPart,
    rendered: Option<String>,
) {
    let key = &values.leaves[leaf];
    let path = key.path.to_string();
    if !keys.iter().any(|k| k.path == path && k.part == part) {
        keys.push(KeyPart {
            path,
            part,
            value: key.value.text().to_owned(),
            rendered,
            origin: key.origin.clone(),
        });
    }
}

fn sort_keys(keys: &mut [KeyPart]) {
    keys.sort_by(|a, b| (a.part, &a.path).cmp(&(b.part, &b.path)));
}

/// The images the switched-on renders showed that the default render lacks, one per
/// reference, with the switches that turn each on.
fn latent_images(
    chart: &osc_chart::Chart,
    defines: &templates::Defines,
    values: &Values,
    findings: &probe::Findings,
    deployed: &mut [FoundImage],
) -> Vec<LatentImage> {
    let mut latent: Vec<LatentImage> = Vec::new();
    for field in &findings.latent {
        let Ok(reference) = ImageRef::parse(&field.restored) else {
            continue;
        };
        let position = &field.field.position;
        let image_use = ImageUse {
            reference: reference.clone(),
            raw: field.restored.clone(),
            source: position.source.clone(),
            kind: position.kind.clone(),
            object: field.field.object.clone(),
            container: position.container.clone(),
            container_type: position.container_type,
            field: position.field.clone(),
        };
        // An image the chart deploys anyway, here from other keys (a subchart's init container
        // with the parent's image): its keys must move too, or the component pulls from the
        // old registry once it is on.
        if let Some(image) = deployed
            .iter_mut()
            .find(|image| image.reference == reference)
        {
            if !image.uses.contains(&image_use) {
                image.uses.push(image_use);
            }
            for &(leaf, part) in &field.parts {
                let value = values.leaves[leaf].value.text().to_owned();
                add_key(&mut image.keys, values, leaf, part, Some(value));
            }
            sort_keys(&mut image.keys);
            continue;
        }
        let index = match latent
            .iter()
            .position(|image| image.image.reference == reference)
        {
            Some(index) => index,
            None => {
                latent.push(LatentImage {
                    image: FoundImage {
                        reference,
                        uses: Vec::new(),
                        keys: Vec::new(),
                    },
                    switches: Vec::new(),
                });
                latent.len() - 1
            }
        };
        let entry = &mut latent[index];
        if !entry.image.uses.contains(&image_use) {
            entry.image.uses.push(image_use);
        }
        for &(leaf, part) in &field.parts {
            let value = values.leaves[leaf].value.text().to_owned();
            add_key(&mut entry.image.keys, values, leaf, part, Some(value));
        }
        // The switches the template needs on (its subchart's condition, the `if` around it),
        // else those whose map holds one of the image's keys, else all of the render's.
        let keys: Vec<osc_yaml::Path> = field
            .parts
            .iter()
            .map(|(leaf, _)| values.leaves[*leaf].path.clone())
            .collect();
        let enabling = probe::enabling_paths(chart, &position.source, &keys);
        let needed: Vec<String> = field
            .switches
            .iter()
            .map(|&switch| &values.switches[switch])
            .filter(|switch| enabling.contains(switch))
            .map(ToString::to_string)
            .collect();
        let key_paths: Vec<&[osc_yaml::Segment]> = field
            .parts
            .iter()
            .map(|(leaf, _)| values.leaves[*leaf].path.segments())
            .collect();
        let near: Vec<String> = field
            .switches
            .iter()
            .map(|&switch| &values.switches[switch])
            .filter(|switch| {
                // A map above the image's keys: `metrics.enabled` for `metrics.image.tag`, not
                // `metrics.image.debug` beside the keys of one image map.
                let segments = switch.segments();
                let map = &segments[..segments.len().saturating_sub(1)];
                let beside = key_paths
                    .iter()
                    .filter(|path| path.len() == map.len() + 1 && path.starts_with(map))
                    .count();
                !map.is_empty()
                    && beside < 2
                    && key_paths
                        .iter()
                        .any(|path| path.len() > map.len() && path.starts_with(map))
            })
            .map(ToString::to_string)
            .collect();
        // Of those near, the ones whose map is deepest: `metrics.enabled` for
        // `metrics.image.tag`, not every switch of the subchart.
        let depth = |switch: &String| switch.matches('.').count();
        let deepest = near.iter().map(depth).max().unwrap_or(0);
        let near: Vec<String> = near
            .into_iter()
            .filter(|switch| depth(switch) == deepest)
            .collect();
        // The settings the template's gate asks for; a render with settings needs no switch
        // to show its template's images but those the template reads.
        let gate = setting::gate_paths(chart, defines, &position.source);
        let settings: Vec<String> = field
            .settings
            .iter()
            .filter(|setting| {
                let path = setting
                    .split_once('=')
                    .map_or(setting.as_str(), |(path, _)| path);
                gate.iter()
                    .chain(&enabling)
                    .any(|gated| gated.to_string() == path)
            })
            .cloned()
            .collect();
        let settings = if settings.is_empty() {
            field.settings.clone()
        } else {
            settings
        };
        let switches: Vec<String> = if !needed.is_empty() {
            needed.into_iter().chain(near).collect()
        } else if !field.settings.is_empty() {
            near
        } else if near.is_empty() {
            field
                .switches
                .iter()
                .map(|&switch| values.switches[switch].to_string())
                .collect()
        } else {
            near
        };
        // A setting the template's gate asks for turns it on as much as a switch.
        for switch in switches.into_iter().chain(settings) {
            if !entry.switches.contains(&switch) {
                entry.switches.push(switch);
            }
        }
    }
    for image in &mut latent {
        sort_keys(&mut image.image.keys);
    }
    latent
}

/// The lists that reached pods' pull secrets, each with the pods it reached.
fn pull_secrets(values: &Values, findings: &probe::Findings) -> PullSecrets {
    let mut keys: Vec<PullSecretKey> = Vec::new();
    for (list, shape, pod) in &findings.pull {
        let path = values.lists[*list].to_string();
        let index = match keys.iter().position(|key| key.path == path) {
            Some(index) => index,
            None => {
                let origin = values.list_origin(*list).unwrap_or(KeyOrigin::UserValues);
                keys.push(PullSecretKey {
                    path,
                    shape: *shape,
                    pods: Vec::new(),
                    origin,
                });
                keys.len() - 1
            }
        };
        if !keys[index].pods.contains(pod) {
            keys[index].pods.push(pod.clone());
        }
    }
    PullSecrets {
        keys,
        pods: findings.pods.iter().cloned().collect(),
    }
}
