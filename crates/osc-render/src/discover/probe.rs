//! The renders of one discovery: waves of `helm template` runs side by side, each with a values
//! file of markers and switches, and what each render shows: which key fills which part of
//! which image, which images the switches bring, which lists reach a pod's pull secrets. A
//! render that fails is narrowed: a guard switch the error or the failing template names is set
//! to true, keys the chart's schema rejects or whose marker the error quotes are dropped, keys
//! the error names are tried apart, switches are halved, else the markers are, until every key
//! that breaks the chart stands alone.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, mpsc};

use osc_yaml::{Path as ValuePath, Segment};
use serde_norway::Value;

use crate::discover::cheap::ChartCopy;
use crate::discover::marker::Marker;
use crate::discover::setting::{gate_paths, required_setting};
pub(crate) use crate::discover::templates::Templates;
use crate::discover::templates::{absolute, actions};
use crate::discover::values::{Scalar, Values};
use crate::discover::{AddressPart, DiscoverError, DiscoverRequest, Guard, RENDER_BUDGET};
use crate::helm::{PartlyRendered, YAML_REFUSAL};
use crate::images::{Field, FieldPosition, image_fields};
use crate::{ContainerType, Helm, ImageField, RenderError, RenderRequest, Rendered};

/// Renders at once: Helm is a separate process, so a wave of renders takes about as long as
/// one on as many cores.
fn parallelism() -> usize {
    std::thread::available_parallelism()
        .map(|cores| cores.get())
        .unwrap_or(2)
        .clamp(2, 4)
}

/// Which question a render asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Markers in the image-shaped values, nothing switched on: the deployed images' keys,
    /// and whether the chart refuses moved images.
    Moved,
    /// The same markers with every switch on, and marker pull secrets in the lists: the
    /// images of components that are off by default, and the keys that reach pull secrets.
    Latent,
    /// Other set keys whose value shows in an image the first renders left incomplete.
    Leftover,
    /// Unset keys (`""`, null) beside those, or under `global`.
    Unset,
    /// Values a template's gate asks for that no switch gives (a word a key is compared
    /// with, an unset key it needs), for templates reading an image map no render showed.
    Setting,
}

/// A probe in [`Prober::run`]'s order, and its render.
struct Queued {
    probe: Probe,
    render: Render,
}

enum Render {
    Waiting(Job),
    /// The ticket its result comes back with.
    Started(usize),
}

/// One render of a wave: Helm's output or the error text of a render it refuses, or what
/// stopped Helm.
type WaveResult = Result<Result<PartlyRendered, String>, DiscoverError>;

/// One render's values: markers (by leaf), switches and lists (by index in [`Values`]).
#[derive(Clone, Debug)]
pub(crate) struct Probe {
    pub stage: Stage,
    pub markers: Vec<usize>,
    pub switches: Vec<usize>,
    pub lists: Vec<usize>,
    /// Rendered with the guard's keys set.
    pub guarded: bool,
    /// Values the render sets besides markers, switches and lists.
    pub settings: Vec<(ValuePath, Value)>,
}

impl Probe {
    fn is_empty(&self) -> bool {
        self.markers.is_empty() && self.switches.is_empty() && self.lists.is_empty()
    }

    fn with(&self, markers: Vec<usize>, switches: Vec<usize>, lists: Vec<usize>) -> Probe {
        Probe {
            stage: self.stage,
            markers,
            switches,
            lists,
            guarded: false,
            settings: self.settings.clone(),
        }
    }

    /// Shows the components of switched-on or set-up templates: its unmatched fields are
    /// latent images.
    fn opens(&self) -> bool {
        matches!(self.stage, Stage::Latent | Stage::Setting)
    }
}

/// A field of a latent render that the default render lacks, the markers put back.
#[derive(Clone, Debug)]
pub(crate) struct LatentField {
    pub field: Field,
    /// The field as it reads with the chart's own values.
    pub restored: String,
    /// `(leaf, part)`
    pub parts: Vec<(usize, AddressPart)>,
    /// The switches of the render that showed it.
    pub switches: Vec<usize>,
    /// The settings of the render that showed it, `path=value`.
    pub settings: Vec<String>,
}

/// How a list takes a pull secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SecretShape {
    /// `[{name: default-secret}]`
    Map,
    /// `[default-secret]`: the template writes `name:` itself.
    Name,
}

/// A key's marker in a field of the default render.
#[derive(Clone, Debug)]
pub(crate) struct FoundPart {
    /// Index of the default use.
    pub use_index: usize,
    pub leaf: usize,
    pub part: AddressPart,
    /// What the default render has where the marker sits, when the rest of the field reads the
    /// same: the value Helm renders today, a template's default for an unset key.
    pub rendered: Option<String>,
}

/// What the renders found.
#[derive(Default)]
pub(crate) struct Findings {
    pub parts: Vec<FoundPart>,
    pub latent: Vec<LatentField>,
    /// `(leaf, why)`
    pub fragile: Vec<(usize, String)>,
    /// `(switch, why)`: switches that break the chart, left off.
    pub broken_switches: Vec<(usize, String)>,
    /// Switches of the latent render that rendered with the most of them on.
    pub latent_switches: BTreeSet<usize>,
    /// `(list, shape, "Kind/name" of the pod)`
    pub pull: Vec<(usize, SecretShape, String)>,
    /// `"Kind/name"` of every pod of a latent render that rendered.
    pub pods: BTreeSet<String>,
    /// Default uses a latent render decoded with the chart's own addresses.
    pub validated: BTreeSet<usize>,
}

impl Findings {
    /// The switches found to break the chart.
    fn broken(&self) -> BTreeSet<usize> {
        self.broken_switches
            .iter()
            .map(|(switch, _)| *switch)
            .collect()
    }
}

/// Runs `helm template` for a discovery, several at a time, counting the renders.
pub(crate) struct Renderer<'a> {
    helm: &'a Helm,
    request: &'a DiscoverRequest<'a>,
    /// The chart for the renders with switches on ([`cheap`](super::cheap)): NOTES.txt renders
    /// no object, but its checks (a setting that a switched-on component needs, a password to
    /// give) fail renders whose only question is which images exist, and the certificates
    /// every switch on generates cost more than the rest of the render.
    switched_on_chart: &'a ChartCopy<'a>,
    /// The chart for the marker renders that keep its checks, without its key generation.
    keyless_chart: &'a ChartCopy<'a>,
    renders: AtomicUsize,
    planned: AtomicUsize,
}

/// Which chart a render takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Take {
    /// The chart as it is: the default render, whose objects are the ones the chart deploys.
    AsIs,
    /// [`cheap::keyless_chart`](super::cheap::keyless_chart).
    Keyless,
    /// [`cheap::switched_on_chart`](super::cheap::switched_on_chart).
    SwitchedOn,
}

/// One render of a wave: its values (`None`: the request's alone), the chart it takes, and
/// whether it turns components on (and so takes longest).
pub(crate) struct Job {
    pub values: Option<Value>,
    pub take: Take,
    pub opens: bool,
}

impl Job {
    /// The render of the chart as it is, with the request's values.
    pub fn default_render() -> Job {
        Job {
            values: None,
            take: Take::AsIs,
            opens: false,
        }
    }

    /// The unset keys' renders take the switched-on chart too: no check stops them, and their
    /// question is only where a marker lands.
    pub fn of(values: Value, stage: Stage) -> Job {
        Job {
            values: Some(values),
            opens: matches!(stage, Stage::Latent | Stage::Setting),
            take: match stage {
                Stage::Latent | Stage::Setting | Stage::Unset => Take::SwitchedOn,
                Stage::Moved | Stage::Leftover => Take::Keyless,
            },
        }
    }
}

impl<'a> Renderer<'a> {
    pub fn new(
        helm: &'a Helm,
        request: &'a DiscoverRequest<'a>,
        switched_on_chart: &'a ChartCopy<'a>,
        keyless_chart: &'a ChartCopy<'a>,
    ) -> Renderer<'a> {
        Renderer {
            helm,
            request,
            switched_on_chart,
            keyless_chart,
            renders: AtomicUsize::new(0),
            planned: AtomicUsize::new(0),
        }
    }

    pub fn renders(&self) -> usize {
        self.renders.load(Ordering::SeqCst)
    }

    /// Renders each values document (`None`: the request's values alone) side by side.
    /// A render Helm refuses is its error text; anything else that stops Helm stops discovery.
    pub fn wave(
        &self,
        jobs: Vec<Job>,
    ) -> Result<Vec<Result<PartlyRendered, String>>, DiscoverError> {
        self.plan(jobs.len());
        let results: Vec<Mutex<Option<WaveResult>>> =
            jobs.iter().map(|_| Mutex::new(None)).collect();
        // Switched-on renders first: they take longest (every component on, certificates
        // generated), and the wave lasts as long as its longest lane.
        let mut order: Vec<usize> = (0..jobs.len()).collect();
        order.sort_by_key(|&index| !jobs[index].opens);
        let next = AtomicUsize::new(0);
        let workers = parallelism().min(jobs.len());
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| {
                    while let Some(&index) = order.get(next.fetch_add(1, Ordering::SeqCst)) {
                        let job = &jobs[index];
                        let result = self.render_counted(job);
                        if let Ok(mut slot) = results[index].lock() {
                            *slot = Some(result);
                        }
                    }
                });
            }
        });
        results
            .into_iter()
            .map(|slot| {
                slot.into_inner()
                    .ok()
                    .flatten()
                    .unwrap_or_else(|| Err(stopped_thread()))
            })
            .collect()
    }

    /// One render, counted and reported as a wave's are.
    fn render_counted(&self, job: &Job) -> WaveResult {
        let result = self.render(job);
        self.renders.fetch_add(1, Ordering::SeqCst);
        self.report();
        result
    }

    /// Counts renders about to start, for the progress report.
    fn plan(&self, renders: usize) {
        self.planned.fetch_add(renders, Ordering::SeqCst);
        self.report();
    }

    fn report(&self) {
        if let Some(progress) = &self.request.progress {
            (progress.0)(self.renders(), self.planned.load(Ordering::SeqCst));
        }
    }

    fn render(&self, job: &Job) -> WaveResult {
        let document = job.values.as_ref();
        let mut values_files = self.request.values_files.clone();
        // Kept until the render is done.
        let mut _marker_file = None;
        if let Some(document) = document {
            let text =
                serde_norway::to_string(document).map_err(|error| DiscoverError::MarkerFile {
                    source: std::io::Error::other(error),
                })?;
            let mut file = tempfile::Builder::new()
                .prefix("osc-markers-")
                .suffix(".yaml")
                .tempfile_in(super::scratch_dir())
                .map_err(|source| DiscoverError::MarkerFile { source })?;
            file.write_all(text.as_bytes())
                .map_err(|source| DiscoverError::MarkerFile { source })?;
            values_files.push(file.path().to_owned());
            _marker_file = Some(file);
        }
        let copy = match job.take {
            Take::AsIs => None,
            Take::Keyless => self.keyless_chart.path()?,
            Take::SwitchedOn => self.switched_on_chart.path()?,
        };
        let chart = copy.as_deref().unwrap_or(self.request.chart);
        let request = RenderRequest {
            chart,
            release: self.request.release,
            namespace: self.request.namespace,
            values_files,
            set: Vec::new(),
        };
        // A switched-on render goes on past templates whose output a marker pull secret or a
        // combination of switches made invalid YAML: one render then shows every other
        // template's images, and every broken template at once.
        let rendered = if job.opens {
            self.helm.template_keeping_valid(&request)
        } else {
            self.helm.template(&request).map(|rendered| PartlyRendered {
                rendered,
                broken: Vec::new(),
            })
        };
        match rendered {
            Ok(rendered) => Ok(Ok(rendered)),
            Err(RenderError::Helm { stderr, .. }) if document.is_some() => {
                Ok(Err(helm_error(&stderr)))
            }
            Err(error @ (RenderError::Yaml { .. } | RenderError::NotUtf8 { .. }))
                if document.is_some() =>
            {
                Ok(Err(error.to_string()))
            }
            Err(error) => Err(DiscoverError::Render(error)),
        }
    }
}

fn stopped_thread() -> DiscoverError {
    DiscoverError::MarkerFile {
        source: std::io::Error::other("a render thread stopped"),
    }
}

/// Whether the parts found cover the reference: its path, and its registry and tag when it
/// names them.
pub(crate) fn complete(raw: &str, found: &[AddressPart]) -> bool {
    use AddressPart::*;
    if found.contains(&FullAddress) {
        return true;
    }
    let Ok(reference) = osc_imageref::ImageRef::parse(raw) else {
        return true;
    };
    let has = |part| found.contains(&part);
    let names_registry = raw.split('/').count() > 1 && {
        let first = raw.split('/').next().unwrap_or("");
        first.contains(['.', ':']) || first == "localhost"
    };
    let path = has(Repository) || has(Repo);
    let registry = !names_registry || has(Repository) || has(Endpoint) || has(PrefixAddress);
    let tag = reference.tag().is_none() || has(Tag);
    let digest = reference.digest().is_none() || has(Digest);
    path && registry && tag && digest
}

/// With `OSC_TRACE_DISCOVERY` set, each probe and how it went, on stderr: for working on
/// discovery, not for users.
pub(crate) fn trace(values: &Values, probe: &Probe, result: &Result<PartlyRendered, String>) {
    let Some(level) = std::env::var_os("OSC_TRACE_DISCOVERY") else {
        return;
    };
    let outcome = match result {
        Ok(PartlyRendered { broken, .. }) if !broken.is_empty() => {
            let broken: Vec<&str> = broken
                .iter()
                .map(|broken| broken.template.as_str())
                .collect();
            format!("rendered without {}", broken.join(" "))
        }
        Ok(_) => "rendered".to_owned(),
        Err(error) => format!(
            "failed: {}",
            error.lines().take(3).collect::<Vec<_>>().join(" | ")
        ),
    };
    eprintln!(
        "probe {:?} markers={} switches={} lists={}: {outcome}",
        probe.stage,
        probe.markers.len(),
        probe.switches.len(),
        probe.lists.len()
    );
    // `OSC_TRACE_DISCOVERY=2`: which switches and settings, too.
    if level == "2" {
        let switches: Vec<String> = probe
            .switches
            .iter()
            .map(|&switch| values.switches[switch].to_string())
            .collect();
        eprintln!("  switches: {}", switches.join(" "));
        match result {
            Err(error) => eprintln!("  error: {error}"),
            Ok(PartlyRendered { broken, .. }) => {
                for broken in broken {
                    eprintln!("  broken {}: {}", broken.template, broken.error);
                }
            }
        }
    }
}

/// Helm's error without the warnings (values it ignores) before it and the `--debug` hint.
pub(crate) fn helm_error(stderr: &str) -> String {
    let error = stderr
        .split_once("Error: ")
        .map_or(stderr, |(_, error)| error);
    let error = error
        .strip_suffix("Use --debug flag to render out invalid YAML")
        .unwrap_or(error);
    error.trim_end().to_owned()
}

/// The probes of one discovery and what they found.
pub(crate) struct Prober<'a> {
    pub values: &'a Values,
    chart: &'a osc_chart::Chart,
    /// By leaf; `None` for a leaf that can hold no address.
    pub markers: &'a [Option<Marker>],
    pub renderer: &'a Renderer<'a>,
    /// The switches set to true in every render once a guard is known.
    pub guard: Option<(Vec<ValuePath>, Guard)>,
    default_positions: &'a [FieldPosition],
    default_raws: &'a [String],
    pub findings: Findings,
    /// Moved renders that failed on the guard, to render again unless a latent render showed
    /// every default use.
    pub held: Vec<Probe>,
    /// A render with the guard's keys set rendered: the guard is what let moved images through.
    pub guard_proven: bool,
    /// Until the latent renders are done, a moved render that finds the guard waits for what
    /// they show.
    pub hold_moved: bool,
    /// A latent render showed a default use read otherwise than in the default render.
    default_changed: bool,
    /// Keys guessed as the guard that the retry showed were not.
    refused_guards: Vec<ValuePath>,
    templates: &'a Templates,
    /// Lists a failing template read or the schema refused: every later probe goes without
    /// them, whichever branch of a narrowing found them.
    breaking_lists: BTreeSet<usize>,
}

impl<'a> Prober<'a> {
    pub fn new(
        values: &'a Values,
        chart: &'a osc_chart::Chart,
        markers: &'a [Option<Marker>],
        renderer: &'a Renderer<'a>,
        default_positions: &'a [FieldPosition],
        default_raws: &'a [String],
        templates: &'a Templates,
    ) -> Prober<'a> {
        Prober {
            values,
            chart,
            markers,
            renderer,
            guard: None,
            default_positions,
            default_raws,
            findings: Findings::default(),
            held: Vec::new(),
            guard_proven: false,
            hold_moved: false,
            refused_guards: Vec::new(),
            default_changed: false,
            templates,
            breaking_lists: BTreeSet::new(),
        }
    }

    fn marker(&self, leaf: usize) -> &Marker {
        self.markers[leaf]
            .as_ref()
            .expect("probes hold only leaves with markers")
    }

    /// The values file of a probe.
    pub fn document(&self, probe: &Probe) -> Value {
        let leaves = &self.values.leaves;
        let mut assignments: Vec<(&ValuePath, Value)> = probe
            .markers
            .iter()
            .map(|&leaf| (&leaves[leaf].path, self.marker(leaf).value.clone()))
            .collect();
        for &switch in &probe.switches {
            assignments.push((&self.values.switches[switch], Value::Bool(true)));
        }
        // A `{name: …}` map: templates that pass a list on whole (`toYaml`) and those that read
        // `.name` of each item both take it.
        for &list in &probe.lists {
            let mut secret = serde_norway::Mapping::new();
            secret.insert("name".into(), list_marker(list).into());
            assignments.push((
                &self.values.lists[list],
                Value::Sequence(vec![Value::Mapping(secret)]),
            ));
        }
        for (path, value) in &probe.settings {
            assignments.push((path, value.clone()));
        }
        if let Some((keys, _)) = &self.guard {
            for key in keys {
                assignments.push((key, Value::Bool(true)));
            }
        }
        self.values.overrides(assignments)
    }

    /// Renders the probes, and those their failures lead to, until none is left or the budget
    /// is spent.
    ///
    /// A render starts as soon as a helm process is free, so a narrowing chain does not wait
    /// for the slowest render of a wave. The results are read in the order the renders were
    /// queued, and each probe's values are written when it is queued, so what a discovery
    /// finds does not depend on which render finishes first.
    pub fn run(&mut self, pending: Vec<Probe>) -> Result<(), DiscoverError> {
        let renderer = self.renderer;
        let (job_sender, job_receiver) = mpsc::channel::<(usize, Job)>();
        let job_receiver = Mutex::new(job_receiver);
        let (result_sender, result_receiver) = mpsc::channel::<(usize, WaveResult)>();
        let workers = parallelism();
        std::thread::scope(|scope| {
            for _ in 0..workers {
                let result_sender = result_sender.clone();
                let job_receiver = &job_receiver;
                scope.spawn(move || {
                    loop {
                        let next = job_receiver
                            .lock()
                            .ok()
                            .and_then(|receiver| receiver.recv().ok());
                        let Some((ticket, job)) = next else { break };
                        if result_sender
                            .send((ticket, renderer.render_counted(&job)))
                            .is_err()
                        {
                            break;
                        }
                    }
                });
            }
            drop(result_sender);
            // Dropping the sender when this returns lets the workers finish.
            self.drive(pending, workers, job_sender, &result_receiver)
        })
    }

    fn drive(
        &mut self,
        pending: Vec<Probe>,
        workers: usize,
        jobs: mpsc::Sender<(usize, Job)>,
        results: &mpsc::Receiver<(usize, WaveResult)>,
    ) -> Result<(), DiscoverError> {
        // Every probe not yet read, in the order they are read: its job until it starts, then
        // the ticket of its render.
        let mut order: VecDeque<Queued> = VecDeque::new();
        let mut queued = self.renderer.renders();
        self.enqueue(&mut order, &mut queued, pending);
        let mut arrived: HashMap<usize, WaveResult> = HashMap::new();
        let mut running = 0;
        let mut next_ticket = 0;
        loop {
            // Read what has come in its turn first: what it leads to may go ahead of the
            // renders not yet started.
            if let Some(Queued {
                render: Render::Started(head),
                ..
            }) = order.front()
                && let Some(result) = arrived.remove(head)
            {
                let Some(Queued { probe, .. }) = order.pop_front() else {
                    unreachable!("the head was just read");
                };
                let result = result?;
                trace(self.values, &probe, &result);
                let next = match result {
                    Ok(rendered) => self.decode(probe, &rendered),
                    Err(error) => self.narrow(probe, error),
                };
                self.enqueue(&mut order, &mut queued, next);
                continue;
            }
            for entry in order.iter_mut() {
                if running == workers {
                    break;
                }
                if let Render::Waiting(_) = entry.render {
                    let Render::Waiting(job) =
                        std::mem::replace(&mut entry.render, Render::Started(next_ticket))
                    else {
                        unreachable!("the render was just matched");
                    };
                    if jobs.send((next_ticket, job)).is_err() {
                        return Err(stopped_thread());
                    }
                    next_ticket += 1;
                    running += 1;
                }
            }
            if order.is_empty() {
                return Ok(());
            }
            let (ticket, result) = results.recv().map_err(|_| stopped_thread())?;
            running -= 1;
            arrived.insert(ticket, result);
        }
    }

    /// Queues the probes with their values files written now, as what is known now makes
    /// them, while the budget lasts; the markers of the probes past it are fragile.
    ///
    /// A probe that switches components on goes ahead of every probe not yet read that does
    /// not: such renders take longest, and their narrowing is the longest chain of renders.
    fn enqueue(&mut self, order: &mut VecDeque<Queued>, queued: &mut usize, next: Vec<Probe>) {
        let guarded = self.guard.is_some();
        for probe in next {
            if *queued >= RENDER_BUDGET {
                let why = format!(
                    "not tested on its own: discovery stopped after {RENDER_BUDGET} helm renders"
                );
                for leaf in probe.markers {
                    self.findings.fragile.push((leaf, why.clone()));
                }
                continue;
            }
            let Some(probe) = self
                .without_known_breakers(probe)
                .filter(|probe| !probe.is_empty())
            else {
                continue;
            };
            let probe = Probe { guarded, ..probe };
            let job = Job::of(self.document(&probe), probe.stage);
            self.renderer.plan(1);
            *queued += 1;
            let at = if job.opens {
                order
                    .iter()
                    .position(|queued| !queued.probe.opens())
                    .unwrap_or(order.len())
            } else {
                order.len()
            };
            order.insert(
                at,
                Queued {
                    probe,
                    render: Render::Waiting(job),
                },
            );
        }
    }

    /// The probe without the lists and switches another branch of the narrowing found to
    /// break the chart: each would break this render too. `None` when nothing it switched on
    /// is left, so it would only render what the moved render showed.
    fn without_known_breakers(&self, mut probe: Probe) -> Option<Probe> {
        let broken = self.findings.broken();
        let had_switches = !probe.switches.is_empty();
        probe
            .lists
            .retain(|list| !self.breaking_lists.contains(list));
        probe.switches.retain(|switch| !broken.contains(switch));
        let emptied = had_switches && probe.switches.is_empty() && probe.lists.is_empty();
        (!emptied || probe.stage != Stage::Latent).then_some(probe)
    }

    /// Records what a rendered probe shows; returns the probes to render next (halves of an
    /// unsound one).
    pub fn decode(&mut self, probe: Probe, partly: &PartlyRendered) -> Vec<Probe> {
        let rendered = &partly.rendered;
        // A broken template that may write an image is narrowed towards as a failed render
        // would be. One that writes none (a Service, a PodMonitor) has nothing to show: the
        // switches only it reads are broken, and no render is spent on them, unless there are
        // none (then the narrowing finds what broke it, for the renders that count on these
        // switches: the package proof).
        let mut to_narrow = Vec::new();
        for broken in &partly.broken {
            let error = if broken.error.starts_with(YAML_REFUSAL) {
                broken.error.clone()
            } else {
                format!("{YAML_REFUSAL}{}: {}", broken.template, broken.error)
            };
            let only_there = self.switches_only_for(&probe, &broken.template);
            if only_there.is_empty() || only_there.len() == probe.switches.len() {
                to_narrow.push(error);
                continue;
            }
            for switch in only_there {
                self.findings.broken_switches.push((switch, error.clone()));
            }
        }
        let sound = to_narrow.is_empty();
        let mut next = if sound {
            Vec::new()
        } else {
            self.narrow(probe.clone(), to_narrow.join("\n"))
        };
        let broken: BTreeSet<&str> = partly
            .broken
            .iter()
            .map(|broken| broken.template.as_str())
            .collect();
        // Only a render no template broke, or none but those a switch the others can do
        // without broke, is one a later render can count on (the package proof renders
        // with them).
        next.extend(self.decode_rendered(probe, rendered, &broken, sound));
        // A latent render showed a deployed image changed (a switch flavours it): the
        // narrowing drops only switches that break templates, so its later renders will most
        // likely show it changed too, and the moved renders held for the guard are needed.
        // They go now, beside the rest of the chain rather than after it.
        if self.default_changed && !self.held.is_empty() {
            next.append(&mut self.held);
        }
        next
    }

    fn decode_rendered(
        &mut self,
        probe: Probe,
        rendered: &Rendered,
        broken: &BTreeSet<&str>,
        sound: bool,
    ) -> Vec<Probe> {
        // Moved images rendered with the guard's keys set (a latent render sets every switch).
        let guard_set = self.guard.as_ref().is_some_and(|(keys, _)| {
            probe.stage != Stage::Latent
                || keys.iter().all(|key| {
                    probe
                        .switches
                        .iter()
                        .any(|&switch| &self.values.switches[switch] == key)
                })
        });
        if guard_set && !probe.markers.is_empty() {
            self.guard_proven = true;
        }
        let (matched, unmatched) = match_fields(self.default_positions, image_fields(rendered));
        if !probe.opens()
            && let Some(missing) = matched.iter().position(Option::is_none)
        {
            let position = &self.default_positions[missing];
            let error = format!(
                "with another value the chart no longer deploys the image of {} `{}` ({}) of the {} in {}",
                position.container_type,
                position.container,
                position.field,
                position.kind,
                position.source
            );
            return self.split(probe, error);
        }
        // Fields of a latent render paired with a default one that read otherwise: a switch
        // changed the image (a debug or distroless flavour), or, paired by order alone, another
        // container took the place of one the switches removed. Either is an image users can
        // switch on.
        let mut changed = Vec::new();
        let vanished = if probe.stage == Stage::Latent {
            let mut vanished = self.vanished(&matched, &unmatched, &probe);
            // Gone with a template that broke, not switched off.
            vanished
                .retain(|&index| !broken.contains(self.default_positions[index].source.as_str()));
            vanished
        } else {
            Vec::new()
        };
        for (use_index, field) in matched.iter().enumerate() {
            let Some(field) = field else { continue };
            if probe.opens() {
                if self.restore(&probe, &field.raw) != self.default_raws[use_index] {
                    changed.push(field.clone());
                    if probe.stage == Stage::Latent {
                        self.default_changed = true;
                    }
                    continue;
                }
                if probe.stage == Stage::Latent {
                    self.findings.validated.insert(use_index);
                }
            }
            for &leaf in &probe.markers {
                let parts = self.marker(leaf).parts_in(&field.raw);
                if parts.is_empty() {
                    continue;
                }
                let rendered = self.rendered_at(&probe, leaf, &field.raw, use_index);
                for part in parts {
                    self.findings.parts.push(FoundPart {
                        use_index,
                        leaf,
                        part,
                        rendered: rendered.clone(),
                    });
                }
            }
        }
        if probe.stage == Stage::Unset {
            // An unset key may hide another (`digest` beats `tag` in a helper): while a use is
            // still incomplete, the markers that did not show go again without those that did.
            let shown: BTreeSet<usize> = self
                .findings
                .parts
                .iter()
                .filter(|part| probe.markers.contains(&part.leaf))
                .map(|part| part.leaf)
                .collect();
            let incomplete = (0..self.default_raws.len()).any(|index| {
                let found: Vec<AddressPart> = self
                    .findings
                    .parts
                    .iter()
                    .filter(|part| part.use_index == index)
                    .map(|part| part.part)
                    .collect();
                !complete(&self.default_raws[index], &found)
            });
            let hidden: Vec<usize> = probe
                .markers
                .iter()
                .copied()
                .filter(|leaf| !shown.contains(leaf))
                .collect();
            if incomplete && !shown.is_empty() && !hidden.is_empty() {
                return vec![probe.with(hidden, Vec::new(), Vec::new())];
            }
        }
        if !probe.lists.is_empty() {
            self.pull_secrets(&probe, rendered);
        }
        if probe.opens() {
            for field in unmatched.into_iter().chain(changed) {
                let restored = self.restore(&probe, &field.raw);
                let parts: Vec<(usize, AddressPart)> = probe
                    .markers
                    .iter()
                    .flat_map(|&leaf| {
                        self.marker(leaf)
                            .parts_in(&field.raw)
                            .into_iter()
                            .map(move |part| (leaf, part))
                    })
                    .collect();
                let image = match &field.position.field {
                    ImageField::Image => osc_imageref::ImageRef::parse(&restored).is_ok(),
                    _ => crate::images::looks_like_image(&restored),
                };
                if image {
                    self.findings.latent.push(LatentField {
                        field,
                        restored,
                        parts,
                        switches: probe.switches.clone(),
                        settings: probe
                            .settings
                            .iter()
                            .map(|(path, value)| {
                                let value = match value {
                                    Value::String(text) => text.clone(),
                                    other => serde_norway::to_string(other)
                                        .unwrap_or_default()
                                        .trim_end()
                                        .replace('\n', " "),
                                };
                                format!("{path}={value}")
                            })
                            .collect(),
                    });
                }
            }
        }
        if probe.stage == Stage::Latent {
            // Halves that rendered apart may not render together: the largest set that rendered
            // is the one a later render can count on.
            let broken_switches = self.findings.broken();
            let rendered_with: BTreeSet<usize> = probe
                .switches
                .iter()
                .copied()
                .filter(|switch| !broken_switches.contains(switch))
                .collect();
            if sound && rendered_with.len() > self.findings.latent_switches.len() {
                self.findings.latent_switches = rendered_with;
            }
            self.record_pods(rendered);
        }
        self.without_removers(&probe, &vanished)
    }

    /// Default uses a latent render lacks altogether: no field of it reads as their reference.
    fn vanished(
        &self,
        matched: &[Option<Field>],
        unmatched: &[Field],
        probe: &Probe,
    ) -> Vec<usize> {
        let shown: BTreeSet<String> = matched
            .iter()
            .flatten()
            .chain(unmatched)
            .map(|field| self.restore(probe, &field.raw))
            .collect();
        matched
            .iter()
            .enumerate()
            .filter(|(index, field)| field.is_none() && !shown.contains(&self.default_raws[*index]))
            .map(|(index, _)| index)
            .collect()
    }

    /// A switch can turn a deployed component off (a mode that replaces it, a flag its whole
    /// template is gated on), and with it the init containers and sidecars only that
    /// component runs: the render goes again without the switches that gate the templates of
    /// the images that vanished.
    fn without_removers(&self, probe: &Probe, vanished: &[usize]) -> Vec<Probe> {
        let gates: Vec<ValuePath> = vanished
            .iter()
            .map(|&index| self.default_positions[index].source.as_str())
            .collect::<BTreeSet<&str>>()
            .into_iter()
            .flat_map(|file| gate_paths(self.chart, self.templates.defines(), file))
            .collect();
        let (off, on): (Vec<usize>, Vec<usize>) = probe
            .switches
            .iter()
            .partition(|&&switch| gates.contains(&self.values.switches[switch]));
        if off.is_empty() || on.is_empty() {
            return Vec::new();
        }
        vec![probe.with(probe.markers.clone(), on, probe.lists.clone())]
    }

    /// The guard a failed render shows: switches the error sets to true, or, with
    /// `from_template`, the booleans read around the failing line. The render goes again with
    /// them; a moved render of the first wave waits for the latent one instead.
    fn guard_retry(
        &mut self,
        probe: &Probe,
        error: &str,
        from_template: bool,
    ) -> Option<Vec<Probe>> {
        if self.guard.is_some() || probe.markers.is_empty() {
            return None;
        }
        // With every switch on, a switch read around the check is no guard.
        let keys: Vec<ValuePath> = guard_keys(
            error,
            self.values,
            self.chart,
            from_template && probe.stage != Stage::Latent,
        )
        .into_iter()
        .filter(|key| !self.refused_guards.contains(key))
        .collect();
        if keys.is_empty() {
            return None;
        }
        let guard = Guard {
            key: keys[0].to_string(),
            keys: keys.iter().map(ToString::to_string).collect(),
            message: error.to_owned(),
        };
        self.guard = Some((keys, guard));
        if probe.stage == Stage::Moved && self.hold_moved {
            self.held.push(probe.clone());
            return Some(Vec::new());
        }
        Some(vec![probe.clone()])
    }

    /// What the default render holds where `leaf`'s marker sits in `raw`: the other markers
    /// put back, the text before and after the marker must read as in the default render.
    fn rendered_at(
        &self,
        probe: &Probe,
        leaf: usize,
        raw: &str,
        use_index: usize,
    ) -> Option<String> {
        let marker = self.marker(leaf);
        let mut text = raw.to_owned();
        for &other in probe.markers.iter().filter(|&&other| other != leaf) {
            let other_marker = self.marker(other);
            if text.contains(&other_marker.text) {
                text = other_marker.restore(&text, self.values.leaves[other].value.text());
            }
        }
        let span = crate::discover::marker::occurrences(&text, &marker.text).next()?;
        let (before, after) = (&text[..span.start], &text[span.end..]);
        let default = &self.default_raws[use_index];
        (default.len() >= before.len() + after.len()
            && default.starts_with(before)
            && default.ends_with(after))
        .then(|| default[before.len()..default.len() - after.len()].to_owned())
    }

    /// `raw` with the probe's markers put back to the values they stand for.
    fn restore(&self, probe: &Probe, raw: &str) -> String {
        let mut text = raw.to_owned();
        for &leaf in &probe.markers {
            let marker = self.marker(leaf);
            if text.contains(&marker.text) {
                text = marker.restore(&text, self.values.leaves[leaf].value.text());
            }
        }
        text
    }

    fn record_pods(&mut self, rendered: &Rendered) {
        for document in &rendered.documents {
            for (object, _) in crate::images::pod_specs(&document.value) {
                self.findings.pods.insert(object);
            }
        }
    }

    /// Which lists put their marker secret into which pod.
    fn pull_secrets(&mut self, probe: &Probe, rendered: &Rendered) {
        for document in &rendered.documents {
            for (object, spec) in crate::images::pod_specs(&document.value) {
                let secrets = spec.get("imagePullSecrets").and_then(Value::as_sequence);
                for secret in secrets.into_iter().flatten() {
                    let name = secret.get("name").and_then(Value::as_str);
                    for &list in &probe.lists {
                        let marker = list_marker(list);
                        // The map came through: the key takes `{name: …}` maps. The template
                        // wrote `name:` around the item itself: the key takes names.
                        let shape = if name == Some(marker.as_str()) {
                            SecretShape::Map
                        } else if name.is_some_and(|name| name.contains(&format!("name:{marker}]")))
                        {
                            SecretShape::Name
                        } else {
                            continue;
                        };
                        self.findings.pull.push((list, shape, object.clone()));
                    }
                }
            }
        }
    }

    /// The probes to render after `probe` failed with `error`.
    pub fn narrow(&mut self, probe: Probe, error: String) -> Vec<Probe> {
        if probe.stage == Stage::Setting {
            return self.narrow_setting(probe, &error);
        }
        match &self.guard {
            // Rendered before the guard was known, and failing on it: again, with it.
            Some((keys, guard)) if !probe.guarded => {
                let same_check = failing_line(&guard.message).is_some()
                    && failing_line(&guard.message) == failing_line(&error);
                let asks_for_it = guard_keys(&error, self.values, self.chart, false)
                    .iter()
                    .any(|key| keys.contains(key));
                if same_check || asks_for_it {
                    return vec![probe];
                }
            }
            // A guess the retry did not bear out, failing on the same check: no guard.
            Some((_, guard))
                if !self.guard_proven
                    && (failing_line(&guard.message) == failing_line(&error)
                        || guard.message == error) =>
            {
                if let Some((keys, _)) = self.guard.take() {
                    self.refused_guards.extend(keys);
                }
            }
            _ => {}
        }
        let pointers = self.schema_pointers(&error);
        if !pointers.is_empty() {
            let switches: Vec<usize> = probe
                .switches
                .iter()
                .copied()
                .filter(|&switch| {
                    Self::schema_touches(&pointers, self.values.switches[switch].segments())
                })
                .collect();
            let lists: Vec<usize> = probe
                .lists
                .iter()
                .copied()
                .filter(|&list| Self::schema_touches(&pointers, self.values.lists[list].segments()))
                .collect();
            if !switches.is_empty() || !lists.is_empty() {
                for &switch in &switches {
                    self.findings.broken_switches.push((switch, error.clone()));
                }
                self.breaking_lists.extend(lists.iter().copied());
                let rejected = self.schema_rejections(&error);
                let keep_switches = probe
                    .switches
                    .iter()
                    .copied()
                    .filter(|s| !switches.contains(s))
                    .collect();
                let keep_lists = probe
                    .lists
                    .iter()
                    .copied()
                    .filter(|l| !lists.contains(l))
                    .collect();
                let markers: Vec<usize> = probe
                    .markers
                    .iter()
                    .copied()
                    .filter(|leaf| !rejected.contains_key(leaf))
                    .collect();
                return vec![probe.with(markers, keep_switches, keep_lists)];
            }
        }
        // Markers and lists the error pins down go first, whatever else the render holds.
        let rejected = self.schema_rejections(&error);
        let culprits: Vec<usize> = probe
            .markers
            .iter()
            .copied()
            .filter(|leaf| rejected.contains_key(leaf))
            .collect();
        if !culprits.is_empty() {
            for &leaf in &culprits {
                // A key the schema types as a number holds no address, which is a string.
                if !matches!(self.values.leaves[leaf].value, Scalar::Number(_)) {
                    self.findings.fragile.push((leaf, rejected[&leaf].clone()));
                }
            }
            let markers = probe
                .markers
                .iter()
                .copied()
                .filter(|leaf| !culprits.contains(leaf))
                .collect();
            return vec![probe.with(markers, probe.switches.clone(), probe.lists.clone())];
        }
        // A switch the error itself asks for comes before the marker it quotes: guards quote
        // the image they refuse.
        if let Some(next) = self.guard_retry(&probe, &error, false) {
            return next;
        }
        let quoted: Vec<usize> = probe
            .markers
            .iter()
            .copied()
            .filter(|&leaf| error.contains(&self.marker(leaf).text))
            .collect();
        if let [culprit] = quoted[..] {
            self.findings.fragile.push((culprit, error));
            let markers = probe
                .markers
                .iter()
                .copied()
                .filter(|&leaf| leaf != culprit)
                .collect();
            return vec![probe.with(markers, probe.switches.clone(), probe.lists.clone())];
        }
        if let Some(next) = self.guard_retry(&probe, &error, true) {
            return next;
        }
        // The lists and switches the failing template reads (a YAML parse error names the
        // template, not the line).
        // Every template of the error counts: one that includes another names the including
        // line first and the failing one last.
        let read: Vec<ValuePath> = error
            .lines()
            .filter_map(failing_template)
            .chain(failing_places(&error).into_iter().map(|(file, _)| file))
            .collect::<BTreeSet<String>>()
            .iter()
            .flat_map(|file| absolute(template_paths(self.chart, file)))
            .collect();
        // The lists the error names first: a list can be a switch too (`customCAs` opens an
        // init container), so the others the template reads go only when the error names none.
        let mut named_lists: Vec<usize> = probe
            .lists
            .iter()
            .copied()
            .filter(|&list| {
                error.contains(&list_marker(list))
                    || self.names_key(&error, self.values.lists[list].segments())
            })
            .collect();
        // An error in reading a value itself (`.Values.x.y` on a context without values), or
        // a call with the wrong count of arguments (fixed in the template's text), is no
        // list's doing.
        // Unless a list opens the block around the failing line: a list that holds anything
        // is a switch too.
        let opening_lists = failing_places(&error).iter().any(|(file, line)| {
            let opening = absolute(condition_paths(self.chart, file, *line));
            probe
                .lists
                .iter()
                .any(|&list| opening.contains(&self.values.lists[list]))
        });
        let list_free = !opening_lists
            && (error.contains(WRONG_ARGUMENT_COUNT)
                || innermost_action(&error)
                    .and_then(plain_values_read)
                    .is_some_and(|read| {
                        !probe.lists.iter().any(|&list| {
                            self.values.lists[list]
                                .segments()
                                .ends_with(read.segments())
                        })
                    }));
        if named_lists.is_empty() && probe.lists.len() > 1 && !list_free {
            named_lists = probe
                .lists
                .iter()
                .copied()
                .filter(|&list| read.contains(&self.values.lists[list]))
                .collect();
        }
        if !named_lists.is_empty() {
            self.breaking_lists.extend(named_lists.iter().copied());
            let lists = probe
                .lists
                .iter()
                .copied()
                .filter(|list| !named_lists.contains(list))
                .collect();
            return vec![probe.with(probe.markers.clone(), probe.switches.clone(), lists)];
        }
        // Switches first: a render with all of them on is the one most likely to break.
        if !probe.switches.is_empty() {
            // A switch the error names, or whose map it names (`memcached: auth.username` for
            // `memcached.auth.enabled`).
            let named: Vec<usize> = probe
                .switches
                .iter()
                .copied()
                .filter(|&switch| {
                    let segments = self.values.switches[switch].segments();
                    let map = &segments[..segments.len().saturating_sub(1)];
                    self.names_key(&error, segments)
                        || (!map.is_empty() && self.names_map(&error, map))
                })
                .collect();
            // A marker pull secret in a list the switched-on template renders as something else
            // (extra volumes, init containers) breaks it as well: a switch is broken only if it
            // breaks the chart without the lists.
            if let [switch] = probe.switches[..] {
                if !probe.lists.is_empty() {
                    return vec![probe.with(probe.markers.clone(), vec![switch], Vec::new())];
                }
                self.findings.broken_switches.push((switch, error));
                return Vec::new();
            }
            // The switches that open the block around the failing line turned it on: the
            // innermost line that has such switches, when the error passed through `include`s
            // (a named template shared by every component fails in each of them).
            let mut places = failing_places(&error);
            if places.is_empty() {
                places.extend(failing_line(&error));
            }
            let opening: Vec<usize> = places
                .iter()
                .rev()
                .map(|(file, line)| {
                    let blocks = OpenBlocks::at(self.chart, file, *line);
                    let paths = absolute(blocks.iter().flat_map(OpenBlocks::paths).collect());
                    let through_variables: Vec<VariableRead> =
                        blocks.iter().flat_map(OpenBlocks::variable_reads).collect();
                    probe
                        .switches
                        .iter()
                        .copied()
                        .filter(|&switch| {
                            let path = &self.values.switches[switch];
                            paths.contains(path)
                                || through_variables
                                    .iter()
                                    .any(|read| read.may_be(path.segments()))
                        })
                        .collect::<Vec<usize>>()
                })
                .find(|switches| !switches.is_empty())
                .unwrap_or_default();
            let named: Vec<usize> = named.into_iter().chain(opening).collect();
            if !named.is_empty() && named.len() < probe.switches.len() {
                let rest = probe
                    .switches
                    .iter()
                    .copied()
                    .filter(|switch| !named.contains(switch))
                    .collect();
                if !probe.lists.is_empty() {
                    return vec![
                        probe.with(probe.markers.clone(), named, Vec::new()),
                        probe.with(probe.markers.clone(), rest, probe.lists.clone()),
                    ];
                }
                for &switch in &named {
                    self.findings.broken_switches.push((switch, error.clone()));
                }
                return vec![probe.with(probe.markers.clone(), rest, probe.lists.clone())];
            }
            // A template that writes no image is not what discovery turns switches on for:
            // the switches only it reads go at once, instead of a halving towards them.
            let only_there = failing_template(&error)
                .map(|file| self.switches_only_for(&probe, &file))
                .unwrap_or_default();
            if !only_there.is_empty() && only_there.len() < probe.switches.len() {
                let rest = probe
                    .switches
                    .iter()
                    .copied()
                    .filter(|switch| !only_there.contains(switch))
                    .collect();
                for &switch in &only_there {
                    self.findings.broken_switches.push((switch, error.clone()));
                }
                return vec![probe.with(probe.markers.clone(), rest, probe.lists.clone())];
            }
            // The switches the failing templates read, themselves or through what they
            // include, are halved; the others stay on in both halves, so what they open
            // shows meanwhile.
            let failing: BTreeSet<String> = error.lines().filter_map(failing_template).collect();
            let read: Option<HashSet<ValuePath>> = failing
                .iter()
                .map(|file| self.templates.reads_through_includes(file))
                .try_fold(HashSet::new(), |mut all, reads| {
                    all.extend(reads?);
                    Some(all)
                });
            if let Some(read) = read {
                let (suspects, bystanders): (Vec<usize>, Vec<usize>) = probe
                    .switches
                    .iter()
                    .partition(|&&switch| read.contains(&self.values.switches[switch]));
                if !suspects.is_empty() && !bystanders.is_empty() {
                    let with = |half: Vec<usize>| {
                        let switches = bystanders.iter().copied().chain(half).collect();
                        probe.with(probe.markers.clone(), switches, probe.lists.clone())
                    };
                    // One suspect goes on alone, where it is proven broken or not.
                    if let [suspect] = suspects[..] {
                        return vec![
                            with(Vec::new()),
                            probe.with(probe.markers.clone(), vec![suspect], Vec::new()),
                        ];
                    }
                    let (first, second) = self.halve_switches(&suspects);
                    return vec![with(first), with(second)];
                }
            }
            let (first, second) = self.halve_switches(&probe.switches);
            return vec![
                probe.with(probe.markers.clone(), first, probe.lists.clone()),
                probe.with(probe.markers.clone(), second, probe.lists.clone()),
            ];
        }
        if !probe.lists.is_empty() {
            // Lists that break the chart without a switch are not where a pull secret goes.
            if probe.markers.is_empty() {
                if probe.lists.len() == 1 {
                    return Vec::new();
                }
                let mut first = probe.lists.clone();
                let second = first.split_off(first.len() / 2);
                return vec![
                    probe.with(Vec::new(), Vec::new(), first),
                    probe.with(Vec::new(), Vec::new(), second),
                ];
            }
            return vec![
                probe.with(probe.markers.clone(), Vec::new(), Vec::new()),
                probe.with(Vec::new(), Vec::new(), probe.lists.clone()),
            ];
        }
        let (named, rest): (Vec<usize>, Vec<usize>) = probe.markers.iter().partition(|&&leaf| {
            error.contains(&self.marker(leaf).text)
                || self.names_key(&error, self.values.leaves[leaf].path.segments())
        });
        if !named.is_empty() && !rest.is_empty() {
            return vec![
                probe.with(rest, Vec::new(), Vec::new()),
                probe.with(named, Vec::new(), Vec::new()),
            ];
        }
        self.split(probe, error)
    }

    /// A settings render that failed goes again with a placeholder in the unset value a
    /// `required` check it failed on asks for, else without its switches, else not at all:
    /// its question is only whether the gated templates open.
    fn narrow_setting(&mut self, probe: Probe, error: &str) -> Vec<Probe> {
        let required = failing_places(error)
            .into_iter()
            .rev()
            .find_map(|(file, line)| required_setting(self.chart, self.values, &file, line))
            .filter(|(path, _)| !probe.settings.iter().any(|(known, _)| known == path));
        if let Some(setting) = required {
            let mut next = probe.with(probe.markers.clone(), probe.switches.clone(), Vec::new());
            next.settings.push(setting);
            return vec![next];
        }
        if !probe.switches.is_empty() {
            return vec![probe.with(probe.markers.clone(), Vec::new(), Vec::new())];
        }
        Vec::new()
    }

    /// The probe's switches that the template Helm names `file` reads and no other template
    /// does, when it writes no image; none otherwise.
    fn switches_only_for(&self, probe: &Probe, file: &str) -> Vec<usize> {
        let templates = self.templates;
        if templates.may_write_image(file) {
            return Vec::new();
        }
        let read_here = absolute(template_paths(self.chart, file));
        probe
            .switches
            .iter()
            .copied()
            .filter(|&switch| {
                let path = &self.values.switches[switch];
                read_here.contains(path) && !templates.read_elsewhere(file, path)
            })
            .collect()
    }

    /// Two halves of a set of switches, cut where neighbours share the least of their path
    /// within the middle half: the switches of one component (`x.enabled` and
    /// `x.service.enabled`) often work only together, and halves that render alone show
    /// nothing the two need at once.
    fn halve_switches(&self, switches: &[usize]) -> (Vec<usize>, Vec<usize>) {
        let paths: Vec<&ValuePath> = switches
            .iter()
            .map(|&switch| &self.values.switches[switch])
            .collect();
        let (first, second) = switches.split_at(halving_cut(&paths));
        (first.to_vec(), second.to_vec())
    }

    /// A failed probe of one marker is fragile; a larger one is tried again in halves, and
    /// one of a few markers as that many probes of one (a wave for what two halvings take).
    fn split(&mut self, probe: Probe, error: String) -> Vec<Probe> {
        if probe.markers.len() <= 1 {
            if let [leaf] = probe.markers[..] {
                self.findings.fragile.push((leaf, error));
            }
            return Vec::new();
        }
        if probe.markers.len() <= SPLIT_ONE_BY_ONE_UP_TO {
            return probe
                .markers
                .iter()
                .map(|&leaf| probe.with(vec![leaf], probe.switches.clone(), probe.lists.clone()))
                .collect();
        }
        let mut first = probe.markers.clone();
        let second = first.split_off(first.len() / 2);
        vec![
            probe.with(first, probe.switches.clone(), probe.lists.clone()),
            probe.with(second, probe.switches.clone(), probe.lists.clone()),
        ]
    }

    /// The candidates the chart's values.schema.json rejects, with the schema's complaint.
    /// Helm prints `chart-name:` then `- at '/json/pointer': message` lines, the pointer
    /// relative to that chart's values.
    fn schema_rejections(&self, error: &str) -> HashMap<usize, String> {
        let pointers = self.schema_pointers(error);
        let mut rejected = HashMap::new();
        for (index, leaf) in self.values.leaves.iter().enumerate() {
            let at = pointer(leaf.path.segments());
            if let Some((_, why)) = pointers.iter().find(|(pointer, _)| *pointer == at) {
                rejected.insert(index, why.clone());
            }
        }
        rejected
    }

    /// The absolute JSON pointers the schema errors name, with the complaint.
    fn schema_pointers(&self, error: &str) -> Vec<(String, String)> {
        let mut pointers = Vec::new();
        if !error.contains("don't meet the specifications of the schema") {
            return pointers;
        }
        let mut chart = "";
        for line in error.lines() {
            if let Some(name) = line.strip_suffix(':').filter(|name| !name.contains(' ')) {
                chart = name;
                continue;
            }
            let Some(rest) = line.trim_start().strip_prefix("- at '") else {
                continue;
            };
            let Some((relative, message)) = rest.split_once("': ") else {
                continue;
            };
            let prefixes = self
                .values
                .chart_prefixes
                .iter()
                .filter(|(name, _)| name == chart)
                .map(|(_, prefix)| pointer(prefix));
            let globals = relative.starts_with("/global/").then(String::new);
            for prefix in prefixes.chain(globals) {
                pointers.push((
                    format!("{prefix}{relative}"),
                    format!("values.schema.json of chart {chart} rejects it: {message}"),
                ));
            }
        }
        innermost(&mut pointers);
        pointers
    }

    /// Whether a switch or list at `segments` is inside, or holds, a place the schema rejects.
    fn schema_touches(pointers: &[(String, String)], segments: &[Segment]) -> bool {
        let at = pointer(segments);
        pointers.iter().any(|(rejected, _)| {
            rejected == &at
                || rejected.starts_with(&format!("{at}/"))
                || at.starts_with(&format!("{rejected}/"))
        })
    }

    /// Whether helm's error names a key inside the map at `segments` (`auth.username` for the
    /// map `memcached.auth` of the subchart `memcached`).
    fn names_map(&self, error: &str, segments: &[Segment]) -> bool {
        let own_chart_prefix = self
            .values
            .chart_prefixes
            .iter()
            .map(|(_, prefix)| prefix)
            .filter(|prefix| prefix.len() < segments.len() && segments.starts_with(prefix))
            .map(Vec::len)
            .max()
            .unwrap_or(0);
        [0, own_chart_prefix].into_iter().any(|skip| {
            let path = ValuePath::from_segments(segments[skip..].iter().cloned()).to_string();
            error
                .match_indices(&format!("{path}."))
                .any(|(start, _)| names_path(&error[start..], &path))
        })
    }

    /// Whether helm's error names a key: its path from the top chart's values or from its own
    /// chart's (checks print `redis: architecture` for the subchart key `redis.architecture`,
    /// templates `<.Values.service.type>`), or its last key in quotes (`duplicate entry with
    /// key "schedulerName"`).
    fn names_key(&self, error: &str, segments: &[Segment]) -> bool {
        let own_chart_prefix = self
            .values
            .chart_prefixes
            .iter()
            .map(|(_, prefix)| prefix)
            .filter(|prefix| prefix.len() < segments.len() && segments.starts_with(prefix))
            .map(Vec::len)
            .max()
            .unwrap_or(0);
        let names_path = [0, own_chart_prefix].into_iter().any(|skip| {
            let path = ValuePath::from_segments(segments[skip..].iter().cloned()).to_string();
            names_path(error, &path)
        });
        let quotes_key = match segments.last() {
            Some(Segment::Key(key)) => {
                error.contains(&format!("\"{key}\"")) || error.contains(&format!("'{key}'"))
            }
            _ => false,
        };
        names_path || quotes_key
    }
}

/// Where [`Prober::halve_switches`] cuts: within the middle half, between the neighbours that
/// share the fewest leading keys, nearest the middle.
fn halving_cut(paths: &[&ValuePath]) -> usize {
    let shared = |a: &ValuePath, b: &ValuePath| {
        a.segments()
            .iter()
            .zip(b.segments())
            .take_while(|(a, b)| a == b)
            .count()
    };
    let middle = paths.len() / 2;
    let (low, high) = (paths.len() / 4, paths.len() - paths.len() / 4);
    (low.max(1)..=high.min(paths.len().saturating_sub(1)))
        .min_by_key(|&cut| (shared(paths[cut - 1], paths[cut]), cut.abs_diff(middle)))
        .unwrap_or(middle)
}

/// Drops the pointers that sum up errors nested under them (`- at '/master': validation
/// failed` above `- at '/master/x/0': …`): the place rejected is theirs, not every key of the
/// map.
fn innermost(pointers: &mut Vec<(String, String)>) {
    let all: Vec<String> = pointers.iter().map(|(at, _)| at.clone()).collect();
    pointers.retain(|(at, _)| !all.iter().any(|other| other.starts_with(&format!("{at}/"))));
}

/// The secret name a list gets in a latent render.
pub(crate) fn list_marker(list: usize) -> String {
    format!("osc-pull-{list}-x")
}

/// Whether `path` stands in `text` whole, not as a piece of a longer path, or as the rest
/// of a template expression after its first field (`<.Values.service.type>`).
fn names_path(text: &str, path: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-');
    let after_first_field = |before: &str| {
        let Some(field) = before.strip_suffix('.') else {
            return false;
        };
        let start = field.trim_end_matches(|c: char| word(c as u8) && c.is_ascii());
        start.ends_with("<.") || start.ends_with("$.")
    };
    text.match_indices(path).any(|(start, _)| {
        let before = &text[..start];
        let after = text[start + path.len()..].bytes().next();
        let starts_whole = before
            .bytes()
            .next_back()
            .is_none_or(|b| !word(b) && b != b'.')
            || after_first_field(before);
        starts_whole && after.is_none_or(|b| !word(b))
    })
}

/// The JSON pointer of a values path, as JSON schema errors print it.
fn pointer(segments: &[Segment]) -> String {
    segments
        .iter()
        .map(|segment| match segment {
            Segment::Key(key) => format!("/{}", key.replace('~', "~0").replace('/', "~1")),
            Segment::Index(index) => format!("/{index}"),
        })
        .collect()
}

/// The switches that let moved images through, read from a failed render: dotted key paths
/// the error sets to true (`'k' to true`, `k=true`, `k: true`, `--set k=true`), then the
/// booleans of the values that the conditions around the failing line of the template Helm
/// names read (`{{ if not .Values.x.y }}`, `{{ with $.Values.x }}`). Only keys that are false
/// or absent in the values count: a key already true let nothing through.
pub(crate) fn guard_keys(
    error: &str,
    values: &Values,
    chart: &osc_chart::Chart,
    from_template: bool,
) -> Vec<ValuePath> {
    let mut keys: Vec<ValuePath> = Vec::new();
    let mut push = |key: ValuePath| {
        let usable = match values.get(&key) {
            None => true,
            Some(Value::Bool(flag)) => !flag,
            Some(Value::Null) => true,
            Some(_) => false,
        };
        if usable && !keys.contains(&key) {
            keys.push(key);
        }
    };
    for key in error_switches(error) {
        push(key);
    }
    if let Some((file, line)) = failing_line(error).filter(|_| from_template) {
        for (prefix, path) in condition_paths(chart, &file, line) {
            let mut segments = prefix;
            segments.extend(path.segments().iter().cloned());
            let key = ValuePath::from_segments(segments);
            if values.switches.contains(&key) {
                push(key);
            }
        }
    }
    keys
}

/// Dotted paths an error sets to true, in any of the ways messages say so.
fn error_switches(error: &str) -> Vec<ValuePath> {
    let word = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    let mut keys = Vec::new();
    for (at, _) in error.match_indices("true") {
        let after = error[at + 4..].chars().next();
        if after.is_some_and(|c| c.is_ascii_alphanumeric()) {
            continue;
        }
        let before = error[..at].trim_end_matches(['\'', '"', '`']);
        let (before, in_words) = match before.strip_suffix('=') {
            Some(before) => (before, false),
            None => {
                let trimmed = before.trim_end();
                match trimmed.strip_suffix(':') {
                    Some(before) => (before, false),
                    None => match trimmed
                        .strip_suffix(" to")
                        .or_else(|| trimmed.strip_suffix(" as"))
                    {
                        Some(before) => (before.trim_end(), true),
                        None => continue,
                    },
                }
            }
        };
        let quoted = before.ends_with(['\'', '"', '`']);
        let before = before.trim_end_matches(['\'', '"', '`']);
        let start = before
            .char_indices()
            .rev()
            .find(|(_, c)| !word(*c))
            .map_or(0, |(index, c)| index + c.len_utf8());
        let key = before[start..].trim_matches(['.', '-']);
        // In a sentence ("set it to true") only a quoted or dotted word is a key.
        if key.is_empty()
            || !key.contains(|c: char| c.is_ascii_alphabetic())
            || (in_words && !quoted && !key.contains('.'))
        {
            continue;
        }
        if let Ok(path) = ValuePath::parse(key) {
            keys.push(path);
        }
    }
    keys
}

/// The template and line Helm's error names: `execution error at (c/templates/x.yaml:12:4)`
/// or `template: c/templates/x.yaml:12:4: executing …`.
fn failing_line(error: &str) -> Option<(String, usize)> {
    // Helm 4 also starts an error with the place alone: `c/templates/x.yaml:12:11`.
    let first = error.split_whitespace().next().unwrap_or("");
    let mut parts = first.splitn(3, ':');
    if let (Some(file), Some(line)) = (parts.next(), parts.next())
        && file.contains("/templates/")
        && let Ok(line) = line.parse::<usize>()
    {
        return Some((file.to_owned(), line));
    }
    for marker in ["execution error at (", "template: "] {
        let Some(start) = error.find(marker).map(|at| at + marker.len()) else {
            continue;
        };
        let rest = &error[start..];
        let mut parts = rest.splitn(3, ':');
        let file = parts.next()?;
        let line: usize = parts
            .next()?
            .chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .ok()?;
        if file.contains('/') {
            return Some((file.to_owned(), line));
        }
    }
    None
}

/// Every template and line a render error names, outermost first: an `include` that failed
/// names the including line, then the line of the included template that failed.
fn failing_places(error: &str) -> Vec<(String, usize)> {
    let mut places = Vec::new();
    for line in error.lines() {
        if let Some(place) = failing_line(line.trim_start())
            && !places.contains(&place)
        {
            places.push(place);
        }
    }
    places
}

/// The template a render error names, with or without a line: Helm's YAML parse error, or
/// the document of Helm's output that [`RenderError::Yaml`] could not read.
/// Probes of at most this many markers split into probes of one.
const SPLIT_ONE_BY_ONE_UP_TO: usize = 3;

/// Go's template engine on a call with too few or too many arguments.
const WRONG_ARGUMENT_COUNT: &str = "wrong number of args for ";

/// The action Helm was executing where the error arose, innermost:
/// `.Values.a.b` of `… at <.Values.a.b>: nil pointer evaluating …`.
fn innermost_action(error: &str) -> Option<&str> {
    let at = error.rfind(" at <")?;
    let rest = &error[at + " at <".len()..];
    Some(&rest[..rest.find(">:")?])
}

/// The path an action reads when it only reads a value (`.Values.a.b`, `$.Values.a.b`,
/// `.context.Values.a.b`), relative to its chart's values.
fn plain_values_read(action: &str) -> Option<ValuePath> {
    let (before, path) = action.split_once("Values.")?;
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    // Nothing, `$`, `$root` or `.context` before `.Values`.
    let mut head = before
        .strip_suffix('.')
        .or((before.is_empty()).then_some(""))?;
    if let Some(variable) = head.strip_prefix('$') {
        head = variable.trim_start_matches(word);
    }
    let plain_before = head.is_empty()
        || head.strip_prefix('.').is_some_and(|fields| {
            fields
                .split('.')
                .all(|f| !f.is_empty() && f.chars().all(word))
        });
    let plain_path = path
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    (plain_before && plain_path).then(|| ValuePath::parse(path).ok())?
}

fn failing_template(error: &str) -> Option<String> {
    if let Some((file, _)) = failing_line(error) {
        return Some(file);
    }
    [YAML_REFUSAL, "printed invalid YAML in document "]
        .iter()
        .find_map(|opening| {
            let mut rest = &error[error.find(opening)? + opening.len()..];
            if let Some((_, after)) = rest.split_once(" from ")
                && opening.starts_with("printed")
            {
                rest = after;
            }
            let file: String = rest
                .chars()
                .take_while(|c| !matches!(c, ':' | ' ' | '\n'))
                .collect();
            file.contains('/').then_some(file)
        })
}

/// The text of a template Helm names (`top/charts/sub/templates/x.yaml`) and the values prefix
/// of the chart it belongs to.
pub(crate) fn template_text(
    chart: &osc_chart::Chart,
    file: &str,
) -> Option<(Vec<Segment>, String)> {
    let mut segments = file.split('/').skip(1).peekable();
    let mut current = chart;
    let mut prefix: Vec<Segment> = Vec::new();
    let mut relative = Vec::new();
    while let Some(segment) = segments.next() {
        if segment == "charts"
            && let Some(&name) = segments.peek()
            && let Some(sub) = current.dependencies().iter().find(|sub| sub.name() == name)
        {
            segments.next();
            prefix.push(Segment::Key(current.values_key(name).to_owned()));
            current = sub;
            relative.clear();
            continue;
        }
        relative.push(segment);
    }
    let text = current.file(&relative.join("/"))?;
    Some((prefix, String::from_utf8_lossy(text).into_owned()))
}

/// Every `.Values` path a template reads, each with its chart's values prefix.
pub(crate) fn template_paths(
    chart: &osc_chart::Chart,
    file: &str,
) -> Vec<(Vec<Segment>, ValuePath)> {
    let Some((prefix, text)) = template_text(chart, file) else {
        return Vec::new();
    };
    values_paths(&text, &prefix)
}

/// The `.Values.x.y` paths in template text, under `prefix` unless they are `global`.
pub(crate) fn values_paths(text: &str, prefix: &[Segment]) -> Vec<(Vec<Segment>, ValuePath)> {
    let mut paths = Vec::new();
    for (at, _) in text.match_indices("Values.") {
        let key: String = text[at + 7..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
            .collect();
        if let Ok(path) = ValuePath::parse(key.trim_end_matches('.')) {
            let global =
                matches!(path.segments().first(), Some(Segment::Key(key)) if key == "global");
            let prefix = if global { Vec::new() } else { prefix.to_vec() };
            paths.push((prefix, path));
        }
    }
    paths
}

/// The switches a template needs on, as far as its text tells: the conditions of the
/// subcharts it belongs to, and the `if` that wraps the whole template.
pub(crate) fn enabling_paths(
    chart: &osc_chart::Chart,
    file: &str,
    keys: &[ValuePath],
) -> Vec<ValuePath> {
    let mut paths = Vec::new();
    let mut segments = file.split('/').skip(1).peekable();
    let mut current = chart;
    let mut prefix: Vec<Segment> = Vec::new();
    while let Some(segment) = segments.next() {
        if segment != "charts" {
            continue;
        }
        let Some(&name) = segments.peek() else { break };
        let Some(sub) = current.dependencies().iter().find(|sub| sub.name() == name) else {
            break;
        };
        segments.next();
        let dependency = current
            .metadata()
            .dependencies
            .iter()
            .find(|dependency| dependency.name == name);
        for condition in dependency
            .map(|d| d.condition.as_str())
            .unwrap_or("")
            .split(',')
        {
            if let Ok(path) = ValuePath::parse(condition.trim()) {
                let mut full = prefix.clone();
                full.extend(path.segments().iter().cloned());
                paths.push(ValuePath::from_segments(full));
            }
        }
        let alias = dependency
            .filter(|dependency| !dependency.alias.is_empty())
            .map_or(name, |dependency| dependency.alias.as_str());
        prefix.push(Segment::Key(alias.to_owned()));
        current = sub;
    }
    if let Some((prefix, text)) = template_text(chart, file) {
        // The conditions around the lines that read one of the image's keys or their map.
        let mut reading = BTreeSet::new();
        for key in keys {
            let Some(relative) = key.segments().strip_prefix(&prefix[..]) else {
                continue;
            };
            let map = &relative[..relative.len().saturating_sub(1)];
            let needles: Vec<String> = [relative, map]
                .iter()
                .filter(|segments| !segments.is_empty())
                .map(|segments| {
                    format!(
                        "Values.{}",
                        ValuePath::from_segments(segments.iter().cloned())
                    )
                })
                .collect();
            let reads = |line: &str, needle: &str| {
                line.match_indices(needle).any(|(at, _)| {
                    line[at + needle.len()..]
                        .chars()
                        .next()
                        .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'))
                })
            };
            reading.extend(
                text.lines()
                    .enumerate()
                    .filter(|(_, line)| needles.iter().any(|needle| reads(line, needle)))
                    .map(|(index, _)| index),
            );
        }
        // The blocks open before each such line: an `if` on it reads the key, not guards it.
        paths.extend(absolute(OpenBlocks::paths_at(chart, file, &reading)));
        // The first action that is no comment.
        if let Some((_, action)) = actions(&text).find(|(_, action)| !action.starts_with("/*"))
            && action.starts_with("if ")
        {
            paths.extend(absolute(values_paths(action, &prefix)));
        }
    }
    paths
}

/// The `.Values` paths read by the `if`, `with` and `unless` actions that enclose `line` of
/// the template, each with the values prefix of the chart it belongs to (a subchart's alias).
fn condition_paths(
    chart: &osc_chart::Chart,
    file: &str,
    line: usize,
) -> Vec<(Vec<Segment>, ValuePath)> {
    OpenBlocks::at(chart, file, line)
        .map(|blocks| blocks.paths())
        .unwrap_or_default()
}

/// Follows one action through the blocks open: `if`, `with` and `unless` open one with their
/// condition (an `else if` joins its `if`'s), `range`, `define` and `block` one without.
fn track_block(open: &mut Vec<Option<String>>, action: String) {
    match action.split_whitespace().next().unwrap_or("") {
        "if" | "with" | "unless" => open.push(Some(action)),
        "range" | "define" | "block" => open.push(None),
        "end" => {
            open.pop();
        }
        "else" => {
            if let Some(last) = open.last_mut()
                && action.starts_with("else if")
            {
                let previous = last.take().unwrap_or_default();
                *last = Some(format!("{previous} {action}"));
            }
        }
        _ => {}
    }
}

/// What a template's text says of a line of it: the conditions of the blocks open there and
/// the variables assigned before it from `.Values` maps.
pub(crate) struct OpenBlocks {
    /// The values prefix of the chart the template belongs to.
    prefix: Vec<Segment>,
    /// The `if`, `with` and `unless` actions open at the line (an `else if` joined to its
    /// `if`), innermost last.
    conditions: Vec<String>,
    /// Each variable's last assignment before the line: the values maps it names.
    assigned: HashMap<String, Vec<Vec<Segment>>>,
}

impl OpenBlocks {
    /// At `line` (from 1; its own actions count) of the template Helm names `file`; `None`
    /// for a template discovery does not know.
    pub(crate) fn at(chart: &osc_chart::Chart, file: &str, line: usize) -> Option<OpenBlocks> {
        let (prefix, text) = template_text(chart, file)?;
        let before: String = text.lines().take(line).collect::<Vec<_>>().join("\n");
        let mut assigned: HashMap<String, Vec<Vec<Segment>>> = HashMap::new();
        let mut open: Vec<Option<String>> = Vec::new();
        for (_, action) in actions(&before) {
            let action = action.to_owned();
            if let Some((name, value)) = assignment(&action) {
                let maps = absolute(values_paths(value, &prefix))
                    .into_iter()
                    .map(|path| path.segments().to_vec())
                    .collect();
                assigned.insert(name.to_owned(), maps);
            }
            track_block(&mut open, action);
        }
        Some(OpenBlocks {
            prefix,
            conditions: open.into_iter().flatten().collect(),
            assigned,
        })
    }

    /// [`OpenBlocks::paths`] at each of `lines` of the template Helm names `file`, read once.
    fn paths_at(
        chart: &osc_chart::Chart,
        file: &str,
        lines: &BTreeSet<usize>,
    ) -> Vec<(Vec<Segment>, ValuePath)> {
        let Some((prefix, text)) = template_text(chart, file) else {
            return Vec::new();
        };
        let line_ends: Vec<usize> = text.match_indices('\n').map(|(at, _)| at).collect();
        let mut open: Vec<Option<String>> = Vec::new();
        let mut actions = actions(&text).peekable();
        let mut paths = Vec::new();
        for &line in lines {
            // What `at` reads: the first `line` lines, and the actions closed within them.
            let limit = match line {
                0 => 0,
                _ => line_ends.get(line - 1).copied().unwrap_or(text.len()),
            };
            while let Some(&(start, action)) = actions.peek() {
                let end = text[start..]
                    .find("}}")
                    .map_or(usize::MAX, |close| start + close + 2);
                if end > limit {
                    break;
                }
                track_block(&mut open, action.to_owned());
                actions.next();
            }
            paths.extend(
                open.iter()
                    .flatten()
                    .flat_map(|action| values_paths(action, &prefix)),
            );
        }
        paths
    }

    /// The `.Values` paths the conditions read, each with the chart's values prefix.
    fn paths(&self) -> Vec<(Vec<Segment>, ValuePath)> {
        self.conditions
            .iter()
            .flat_map(|action| values_paths(action, &self.prefix))
            .collect()
    }

    /// The conditions' reads of variables assigned from `.Values` maps: the switch that opens
    /// a block is often read through one, which [`OpenBlocks::paths`] cannot see.
    pub(crate) fn variable_reads(&self) -> Vec<VariableRead> {
        let mut reads = Vec::new();
        for action in &self.conditions {
            for (at, _) in action.match_indices('$') {
                let name: String = action[at + 1..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                let after = &action[at + 1 + name.len()..];
                let Some(tail) = after.strip_prefix('.') else {
                    continue;
                };
                let tail: String = tail
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
                    .collect();
                let (Some(maps), Ok(tail)) = (
                    self.assigned.get(&name),
                    ValuePath::parse(tail.trim_end_matches('.')),
                ) else {
                    continue;
                };
                for map in maps {
                    reads.push(VariableRead {
                        map: map.clone(),
                        tail: tail.segments().to_vec(),
                    });
                }
            }
        }
        reads
    }
}

/// A condition's read of a template variable that holds a map of the values
/// (`$redis.tls.enabled` after `$redis := get .Values.redis .component`): the value read is
/// `map.tail`, or `map.<key>.tail` when the variable took one of the map's entries.
#[derive(Debug, PartialEq)]
pub(crate) struct VariableRead {
    map: Vec<Segment>,
    tail: Vec<Segment>,
}

impl VariableRead {
    fn may_be(&self, path: &[Segment]) -> bool {
        let Some(rest) = path.strip_prefix(&self.map[..]) else {
            return false;
        };
        rest.ends_with(&self.tail)
            && (rest.len() == self.tail.len() || rest.len() == self.tail.len() + 1)
    }
}

/// `$name := value` or `$name = value`: the name and the value's text.
fn assignment(action: &str) -> Option<(&str, &str)> {
    let rest = action.strip_prefix('$')?;
    let name_end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    let (name, after) = rest.split_at(name_end);
    let value = after.trim_start();
    let value = value
        .strip_prefix(":=")
        .or_else(|| value.strip_prefix('='))?;
    (!name.is_empty()).then_some((name, value))
}

/// The marker render's field at each position of the default render, and the fields the
/// default render lacks. Within a template's fields of one container list and field,
/// positions match by kind and container name in order, or else, when the count is unchanged,
/// by order alone: a marker may rename a container (`fullnameOverride`) or change a kind
/// (`kind: StatefulSet`) and still render the same image.
pub(crate) fn match_fields(
    default_positions: &[FieldPosition],
    fields: Vec<Field>,
) -> (Vec<Option<Field>>, Vec<Field>) {
    type Group = (String, ContainerType, ImageField);
    let group = |position: &FieldPosition| -> Group {
        (
            position.source.clone(),
            position.container_type,
            position.field.clone(),
        )
    };
    let mut rendered: HashMap<Group, Vec<Option<Field>>> = HashMap::new();
    let mut order: Vec<Group> = Vec::new();
    for field in fields {
        let key = group(&field.position);
        if !rendered.contains_key(&key) {
            order.push(key.clone());
        }
        rendered.entry(key).or_default().push(Some(field));
    }
    let mut defaults: HashMap<Group, Vec<usize>> = HashMap::new();
    for (index, position) in default_positions.iter().enumerate() {
        defaults.entry(group(position)).or_default().push(index);
    }
    let mut matched: Vec<Option<Field>> = vec![None; default_positions.len()];
    for (key, indices) in &defaults {
        let Some(found) = rendered.get_mut(key) else {
            continue;
        };
        let same_place = |index: usize, field: &Field| {
            let default = &default_positions[index];
            field.position.kind == default.kind && field.position.container == default.container
        };
        let mut pairs = Vec::new();
        let mut used = vec![false; found.len()];
        for &index in indices {
            let slot = (0..found.len()).find(|&at| {
                !used[at]
                    && found[at]
                        .as_ref()
                        .is_some_and(|field| same_place(index, field))
            });
            if let Some(at) = slot {
                used[at] = true;
                pairs.push((index, at));
            }
        }
        if pairs.len() < indices.len() && found.len() == indices.len() {
            pairs = indices.iter().copied().zip(0..found.len()).collect();
        }
        for (index, at) in pairs {
            matched[index] = found[at].take();
        }
    }
    let unmatched = order
        .into_iter()
        .flat_map(|key| rendered.remove(&key).unwrap_or_default())
        .flatten()
        .collect();
    (matched, unmatched)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switches_are_read_from_errors_however_they_are_worded() {
        let cases: [(&str, &[&str]); 7] = [
            (
                "you can skip container image verification by setting the global parameter 'global.security.allowInsecureImages' to true.",
                &["global.security.allowInsecureImages"],
            ),
            (
                r#"set "images.allowCustom" to true"#,
                &["images.allowCustom"],
            ),
            (
                "rerun with --set vendorCheck.skip=true to go on",
                &["vendorCheck.skip"],
            ),
            (
                "Refusing. Override with `trust.foreignImages: true`",
                &["trust.foreignImages"],
            ),
            (
                "images moved; accept them with acceptMirrors=true",
                &["acceptMirrors"],
            ),
            ("set it to true", &[]),
            ("value must be true", &[]),
        ];
        for (error, expected) in cases {
            let keys: Vec<String> = error_switches(error)
                .iter()
                .map(ToString::to_string)
                .collect();
            assert_eq!(keys, expected, "{error}");
        }
    }

    #[test]
    fn switches_read_through_variables_open_the_blocks_around_a_line() {
        let helpers = "{{- define \"top.caVolume\" -}}\n{{- $cache := ternary (get .context.Values.cache .component) .context.Values.cache .context.Values.cache.perComponent -}}\n{{- if or .context.Values.tls.on $cache.tls.on -}}\n- name: certs\n  secret: {{ include \"top.secretName\" . }}\n{{- end -}}\n{{- end -}}\n";
        let chart = crate::discover::templates::chart_of(&[
            ("Chart.yaml", "apiVersion: v2\nname: top\nversion: 1.0.0\n"),
            ("templates/_helpers.tpl", helpers),
        ]);
        // Line 5 writes the secret's name, inside the `if` of line 3.
        let reads = OpenBlocks::at(&chart, "top/templates/_helpers.tpl", 5)
            .unwrap()
            .variable_reads();
        let path = |text: &str| ValuePath::parse(text).unwrap();
        let may_be = |text: &str| reads.iter().any(|read| read.may_be(path(text).segments()));
        assert!(may_be("cache.tls.on"));
        assert!(may_be("cache.worker.tls.on"));
        assert!(!may_be("cache.worker.extra.tls.on"));
        assert!(!may_be("tls.on"));
        // Line 2 is before the `if`.
        let before_the_if = OpenBlocks::at(&chart, "top/templates/_helpers.tpl", 2).unwrap();
        assert!(before_the_if.variable_reads().is_empty());
    }

    /// The conditions at many lines, read in one pass, are those read line by line.
    #[test]
    fn open_blocks_at_many_lines_are_those_at_each() {
        let template = "{{- if .Values.a.on }}\nkind: Deployment\n{{- with .Values.b }}\n  x: {{ .y }}\n{{- range .Values.c }}\n  - {{ . }}\n{{- end }}\n{{- else if .Values.d.on\n    }}\n  image: {{ .Values.e.image }}\n{{- end }}\n{{- unless .Values.f }}{{ .Values.g }}{{ end }}\n{{- end }}\n";
        let chart = crate::discover::templates::chart_of(&[
            ("Chart.yaml", "apiVersion: v2\nname: top\nversion: 1.0.0\n"),
            ("templates/app.yaml", template),
        ]);
        let file = "top/templates/app.yaml";
        let lines = template.lines().count() + 2;
        let each: Vec<_> = (0..lines)
            .flat_map(|line| condition_paths(&chart, file, line))
            .collect();
        let at_once = OpenBlocks::paths_at(&chart, file, &(0..lines).collect());
        assert_eq!(at_once, each);
        assert!(at_once.iter().any(|(_, path)| path.to_string() == "d.on"));
    }

    #[test]
    fn plain_reads_of_values_are_told_from_other_actions() {
        let error = "x.yaml:3:4\n  executing \"x\" at <include \"y\" .>:\n    error calling include:\n_h.tpl:9:60\n  executing \"y\" at <.Values.init.permissions.image>:\n    nil pointer evaluating interface {}.init";
        assert_eq!(
            innermost_action(error),
            Some(".Values.init.permissions.image")
        );
        let read = |action: &str| plain_values_read(action).map(|path| path.to_string());
        assert_eq!(read(".Values.a.b").as_deref(), Some("a.b"));
        assert_eq!(read("$.Values.a").as_deref(), Some("a"));
        assert_eq!(read(".context.Values.a").as_deref(), Some("a"));
        assert_eq!(read("$root.Values.a.b").as_deref(), Some("a.b"));
        assert_eq!(read("index $root.Values.a $i"), None);
        assert_eq!(read("len $policy.statements"), None);
        assert_eq!(read(".Values"), None);
    }

    #[test]
    fn failing_lines_are_read_from_helm_errors() {
        assert_eq!(
            failing_line("execution error at (c/templates/NOTES.txt:12:4): no"),
            Some(("c/templates/NOTES.txt".to_owned(), 12))
        );
        assert_eq!(
            failing_line("template: c/charts/s/templates/_h.tpl:3:9: executing"),
            Some(("c/charts/s/templates/_h.tpl".to_owned(), 3))
        );
        assert_eq!(failing_line("no file here"), None);
    }

    #[test]
    fn failing_templates_are_read_from_yaml_errors_too() {
        let cases = [
            (
                "YAML parse error on app/templates/svc.yaml: error converting YAML to JSON",
                Some("app/templates/svc.yaml"),
            ),
            (
                "helm template of chart /tmp/x/chart printed invalid YAML in document 3 from \
                 app/charts/db/templates/policy.yaml: spec: duplicate entry with key \"egress\"",
                Some("app/charts/db/templates/policy.yaml"),
            ),
            ("values don't meet the specifications of the schema", None),
        ];
        for (error, template) in cases {
            assert_eq!(failing_template(error).as_deref(), template, "{error}");
        }
    }

    #[test]
    fn nested_errors_name_every_template_innermost_last() {
        let error = "top/templates/a.yaml:52:36\n  executing \"top/templates/a.yaml\" at <include \"x\" .>:\n    error calling include:\ntop/templates/b.yaml:294:27\n  executing \"top/templates/b.yaml\" at <4>:\n    wrong type";
        assert_eq!(
            failing_places(error),
            [
                ("top/templates/a.yaml".to_owned(), 52),
                ("top/templates/b.yaml".to_owned(), 294)
            ]
        );
    }

    #[test]
    fn schema_summaries_give_way_to_the_errors_under_them() {
        let mut pointers: Vec<(String, String)> = [
            "/queue",
            "/queue/args/0",
            "/queue/ports/0",
            "/web/drop/0",
            "/webhooks/0",
        ]
        .iter()
        .map(|at| ((*at).to_owned(), String::new()))
        .collect();
        innermost(&mut pointers);
        let left: Vec<&str> = pointers.iter().map(|(at, _)| at.as_str()).collect();
        assert_eq!(
            left,
            [
                "/queue/args/0",
                "/queue/ports/0",
                "/web/drop/0",
                "/webhooks/0"
            ]
        );
    }

    #[test]
    fn switches_are_halved_between_components() {
        let paths: Vec<ValuePath> = [
            "a.on",
            "relay.on",
            "relay.link.on",
            "relay.link.tls",
            "z.on",
            "z.more",
        ]
        .iter()
        .map(|path| ValuePath::parse(path).unwrap())
        .collect();
        let paths: Vec<&ValuePath> = paths.iter().collect();
        // The middle (3) would part `relay.link.on` from `relay.on`.
        assert_eq!(halving_cut(&paths), 4);
        let even: Vec<ValuePath> = ["a", "b", "c", "d"]
            .iter()
            .map(|path| ValuePath::parse(path).unwrap())
            .collect();
        assert_eq!(halving_cut(&even.iter().collect::<Vec<_>>()), 2);
    }

    #[test]
    fn paths_are_named_whole() {
        let cases = [
            (
                "VALUES VALIDATION:\nredis: architecture\n",
                "architecture",
                true,
            ),
            (
                "at <.Values.service.type>: nil pointer",
                "service.type",
                true,
            ),
            ("at <.Values.service.type>: nil pointer", "type", false),
            ("at <.Values.metrics.service.type>", "service.type", false),
            (
                "at <.Value.queryNode.extraConfig>: nil",
                "queryNode.extraConfig",
                true,
            ),
            ("at <$.Values.image.tag>", "image.tag", true),
            ("image.tagged is wrong", "image.tag", false),
            ("set image.tag.", "image.tag", true),
        ];
        for (text, path, named) in cases {
            assert_eq!(names_path(text, path), named, "{path:?} in {text:?}");
        }
    }

    #[test]
    fn pointers_escape_slashes_and_tildes() {
        let path = ValuePath::parse("a.b[2].c").unwrap();
        assert_eq!(pointer(path.segments()), "/a/b/2/c");
        let odd = [Segment::Key("x/y~z".into())];
        assert_eq!(pointer(&odd), "/x~1y~0z");
    }
}
