//! `push` and `rehearse`: what the platform does with a built service package after upload, done
//! against a registry of the provider's choosing.
//!
//! [`push_package`] verifies the package, unpacks the tars its mapping.yaml names and pushes them
//! as the platform does (`ORG/{image}:{tag}`, one image index per two-architecture entry).
//! [`rehearse`] then rewrites the packaged chart or CSV to that registry with the package's own
//! mapping.yaml, renders it, and looks up every image the result deploys in the registry
//! ([`check_images`]): there, with every architecture the service declares, every blob present.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use osc_image::Arch;
use osc_mapping::Mapping;
use osc_registry::{ManifestKind, Plan, Registry};
use serde::Serialize;

use crate::{Analysis, Error, Inputs, RewriteOptions, Rewritten, Severity, Subject};

/// Where to push, and how to reach it.
#[derive(Clone, Debug)]
pub struct PushOptions {
    /// `HOST[:PORT]/ORG`.
    pub registry: String,
    /// Plain HTTP for a registry that is not on this machine; loopback registries always get it.
    pub plain_http: bool,
    /// The Docker config file with the credentials; `None` looks where Docker and podman do
    /// (`REGISTRY_AUTH_FILE`, `$DOCKER_CONFIG/config.json`, `~/.docker/config.json`).
    pub auth_file: Option<PathBuf>,
}

impl PushOptions {
    fn registry_options(&self) -> osc_registry::Options {
        osc_registry::Options {
            plain_http: self.plain_http,
            auth_file: self.auth_file.clone(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct RehearseOptions {
    pub push: PushOptions,
    /// Keep the rewritten chart or bundle in this new folder.
    pub out: Option<PathBuf>,
}

/// How far a command has come, for a person watching.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A step begins, e.g. `Pushing` `2 images to HOST/ORG`.
    Step { verb: &'static str, message: String },
    /// Bytes of the step begun last (unpacking, pushing) done out of `total`.
    Bytes { done: u64, total: u64 },
}

/// What `push` did.
#[derive(Clone, Debug, Serialize)]
pub struct PushReport {
    pub ok: bool,
    pub package: String,
    /// `HOST[:PORT]/ORG`.
    pub registry: String,
    pub images: Vec<PushedImage>,
    /// mapping.yaml entries that name no tar, so push nothing.
    pub without_tars: Vec<String>,
    /// Bytes of blobs uploaded.
    pub uploaded: u64,
    /// Bytes of blobs the registry had already.
    pub reused: u64,
}

/// One image the registry now holds under its tag.
#[derive(Clone, Debug, Serialize)]
pub struct PushedImage {
    /// `HOST[:PORT]/ORG/{image}:{tag}`.
    pub reference: String,
    /// What the tag points at.
    pub digest: String,
    /// `index` (one manifest per architecture) or `manifest` (one architecture).
    pub kind: &'static str,
    pub architectures: Vec<String>,
    pub tars: Vec<PushedTar>,
    /// The mapping.yaml entries that push it, e.g. `instance[0]`.
    pub fields: Vec<String>,
    pub uploaded: u64,
    pub reused: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct PushedTar {
    pub architecture: String,
    /// The zip entry, e.g. `etcd/images/etcd-3.5.17.tar`.
    pub tar: String,
    /// Where mapping.yaml names it, e.g. `instance[0].package.x86_64`.
    pub field: String,
}

/// What `rehearse` found.
#[derive(Debug, Serialize)]
pub struct Rehearsal {
    /// Every image the rewritten deployable deploys is in the registry, whole.
    pub ok: bool,
    pub package: String,
    pub registry: String,
    /// `chart` or `operator`.
    pub kind: &'static str,
    /// The deployable's zip entry.
    pub deployable: String,
    /// The architectures the service declares, which every image must have.
    pub architectures: Vec<String>,
    /// Where they are declared, for messages.
    pub architectures_from: String,
    pub push: PushReport,
    /// The platform's rewrite of values.yaml or the CSV.
    pub rewrite: Rewritten,
    pub images: Vec<ImageCheck>,
    /// Operators: images of env values, alm-examples and relatedImages that mapping.yaml does not
    /// move, so the rehearsal does not look them up (`helm osc rewrite` lists why).
    pub unchecked: Vec<Wanted>,
    /// Images not in the registry as they must be.
    pub misses: usize,
    /// The rewritten chart or bundle, when kept.
    pub out: Option<String>,
}

/// An image the deployable deploys, and where it takes it from: the reference as the rewritten
/// chart or CSV has it, and each place that makes it (values keys, templates and containers,
/// CSV fields). Any list of these can be checked: the rendered images now, latent ones later.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Wanted {
    pub reference: String,
    pub from: Vec<String>,
}

/// One image looked up in the registry.
#[derive(Clone, Debug, Serialize)]
pub struct ImageCheck {
    pub reference: String,
    pub from: Vec<String>,
    /// The tars mapping.yaml pushes it from, as zip entries with their architecture.
    pub tars: Vec<PushedTar>,
    /// `index`, `manifest`, or `null` when the registry has no such tag.
    pub kind: Option<&'static str>,
    /// The architectures the registry has for it.
    pub architectures: Vec<String>,
    /// What is wrong; empty when the image is there as it must be.
    pub problems: Vec<String>,
}

impl ImageCheck {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Verifies `zip` (refusing with verify's errors), then pushes every image its mapping.yaml names
/// to `options.registry` as the platform does. Nothing is tagged unless every blob of every
/// image is in and matches its digest.
pub fn push_package(
    zip: &Path,
    options: &PushOptions,
    events: &mut dyn FnMut(Event),
) -> Result<PushReport, Error> {
    let registry = parse_registry(&options.registry)?;
    let unpacked = unpack(zip, false, events)?;
    push_unpacked(&unpacked, &registry, options, events)
}

/// `push`, then the platform's rewrite of the packaged chart or CSV to the registry (with the
/// package's mapping.yaml, the chart rendered with Helm), then every image the rewritten
/// deployable deploys looked up in the registry.
pub fn rehearse(
    zip: &Path,
    inputs: &Inputs,
    options: &RehearseOptions,
    events: &mut dyn FnMut(Event),
) -> Result<Rehearsal, Error> {
    let registry = parse_registry(&options.push.registry)?;
    if let Some(out) = &options.out
        && std::fs::symlink_metadata(out).is_ok()
    {
        return Err(osc_archive::OutputError::Exists(out.clone()).into());
    }
    let unpacked = unpack(zip, true, events)?;
    let (entry, deployable) = unpacked.deployable.clone().ok_or_else(|| Error::Usage {
        what: zip.display().to_string(),
        message: "has no deployable in package/ to rehearse: build it with `helm osc package`"
            .to_string(),
    })?;
    // Analysed before anything is pushed: a deployable that cannot be rewritten (no Helm, an
    // OSC-format package) stops the rehearsal while the registry is still untouched.
    events(Event::Step {
        verb: "Analysing",
        message: entry.clone(),
    });
    let analysis = analyse_deployable(&deployable, &entry, inputs)?;
    let (kind, architectures, architectures_from) = declared_architectures(&analysis, &entry);

    let push = push_unpacked(&unpacked, &registry, &options.push, events)?;

    let mapping_file = match &unpacked.mapping {
        Some(mapping) => mapping.file.clone(),
        None => {
            // No mapping.yaml: the platform rewrites nothing, so neither does the rehearsal.
            let file = unpacked.root.join("empty-mapping.yaml");
            std::fs::write(&file, "instance: []\n").map_err(|error| Error::io(&file, error))?;
            file
        }
    };
    let kept = unpacked.root.join("rewritten");
    let rewrite_options = RewriteOptions {
        registry: registry.to_string(),
        mapping: Some(mapping_file),
        out: Some(options.out.clone().unwrap_or_else(|| kept.clone())),
    };
    events(Event::Step {
        verb: "Rewriting",
        message: format!(
            "{} for {registry} as the platform does{}",
            if kind == "chart" {
                "values.yaml"
            } else {
                "the CSV"
            },
            if kind == "chart" {
                ", then rendering it with Helm"
            } else {
                ""
            }
        ),
    });
    let mut rewritten = crate::rewrite(&analysis, inputs, &rewrite_options)?;
    rewritten.mapping = match &unpacked.mapping {
        Some(mapping) => mapping.entry.clone(),
        None => "none in the package: the platform rewrites nothing".to_string(),
    };
    if options.out.is_none() {
        // The copy in the temporary folder is the rehearsal's own scratch, gone when it ends.
        rewritten.out = None;
    }
    let (wanted, unchecked) = match &analysis.subject {
        Subject::Chart(chart) => (
            chart_wanted(chart, &rewritten, unpacked.mapping.as_ref()),
            Vec::new(),
        ),
        _ => operator_wanted(
            rewrite_options.out.as_deref().unwrap_or(&kept),
            &registry.to_string(),
        )?,
    };
    events(Event::Step {
        verb: "Checking",
        message: format!(
            "{} image{} in {registry} for {}",
            wanted.len(),
            plural(wanted.len()),
            architectures
                .iter()
                .map(Arch::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    });
    let images = check_images(
        &wanted,
        &registry,
        &architectures,
        &architectures_from,
        &push,
        &options.push.registry_options(),
    )
    .map_err(|error| unpacked.registry_error(error))?;
    let misses = images.iter().filter(|image| !image.ok()).count();
    Ok(Rehearsal {
        ok: misses == 0,
        package: zip.display().to_string(),
        registry: registry.to_string(),
        kind,
        deployable: entry,
        architectures: architectures.iter().map(Arch::to_string).collect(),
        architectures_from,
        push,
        out: options.out.as_ref().map(|out| out.display().to_string()),
        rewrite: rewritten,
        images,
        unchecked,
        misses,
    })
}

/// Looks up each wanted image in `registry`: it must be under `HOST/ORG` by tag, have an image
/// for every one of `architectures` (linux), and have every manifest and blob. `pushed` names the
/// tars each image came from, for messages.
pub fn check_images(
    wanted: &[Wanted],
    registry: &Registry,
    architectures: &[Arch],
    architectures_from: &str,
    pushed: &PushReport,
    options: &osc_registry::Options,
) -> Result<Vec<ImageCheck>, osc_registry::Error> {
    let prefix = format!("{registry}/");
    let mut checks = Vec::new();
    for image in wanted {
        let tars = pushed
            .images
            .iter()
            .filter(|pushed| pushed.reference == image.reference)
            .flat_map(|pushed| pushed.tars.iter().cloned())
            .collect::<Vec<_>>();
        let mut check = ImageCheck {
            reference: image.reference.clone(),
            from: image.from.clone(),
            tars,
            kind: None,
            architectures: Vec::new(),
            problems: Vec::new(),
        };
        let parsed = osc_imageref::ImageRef::parse(&image.reference).ok();
        let under = image.reference.starts_with(&prefix);
        if !under || parsed.is_none() {
            check.problems.push(format!(
                "pulls from outside {registry}: the platform's rewrite leaves it where it was, so the service would pull it from there; name its keys in mapping.yaml, or make the templates take it from values.yaml"
            ));
            checks.push(check);
            continue;
        }
        if parsed.as_ref().and_then(|parsed| parsed.digest()).is_some() {
            check.problems.push(
                "is pinned to a digest, which the platform's push does not keep: empty the digest key, or leave the digest out of the reference".to_string(),
            );
            checks.push(check);
            continue;
        }
        let Some(remote) = osc_registry::inspect(&image.reference, options)? else {
            check.problems.push(if check.tars.is_empty() {
                "is not in the registry: no mapping.yaml entry pushes this name and tag; add an entry with its tars, or correct the entry's image and tag".to_string()
            } else {
                "is not in the registry, though it was pushed: the registry lost it or another push removed it; push again".to_string()
            });
            checks.push(check);
            continue;
        };
        check.kind = Some(match remote.kind {
            ManifestKind::Index => "index",
            ManifestKind::Manifest => "manifest",
        });
        check.architectures = remote
            .platforms
            .iter()
            .map(|platform| platform.architecture.to_string())
            .collect();
        for arch in architectures {
            if !remote.has(arch) {
                check.problems.push(format!(
                    "has no {arch} ({}) image, which the service declares ({architectures_from}): give its mapping.yaml entry a tar under package.{arch}, or declare only the architectures every image has",
                    arch.oci_name()
                ));
            }
        }
        for platform in &remote.platforms {
            if !platform.missing.is_empty() {
                check.problems.push(format!(
                    "its {} image lacks {} in the registry ({}): push again",
                    platform.architecture,
                    if platform.missing.len() == 1 {
                        "a blob"
                    } else {
                        "blobs"
                    },
                    platform.missing.join(", ")
                ));
            }
        }
        checks.push(check);
    }
    Ok(checks)
}

fn parse_registry(text: &str) -> Result<Registry, Error> {
    Registry::parse(text).map_err(|error| Error::Usage {
        what: "--registry".to_string(),
        message: error.to_string(),
    })
}

/// The package's parts a push and a rehearsal need, copied out of the zip into a temporary
/// folder as `{top}/images/…` and `{top}/package/…`, so that paths in messages read as the zip's
/// entries once the folder's own path is taken off.
struct Unpacked {
    _dir: tempfile::TempDir,
    root: PathBuf,
    package: PathBuf,
    images_dir: PathBuf,
    mapping: Option<UnpackedMapping>,
    /// The deployable's entry and where it was unpacked.
    deployable: Option<(String, PathBuf)>,
}

struct UnpackedMapping {
    /// Its zip entry, e.g. `etcd/images/mapping.yaml`.
    entry: String,
    file: PathBuf,
    mapping: Mapping,
}

/// mapping.yaml is a few KiB; the cap keeps a hostile package from filling memory.
const MAPPING_LIMIT: u64 = 16 * 1024 * 1024;

/// Large reads and writes keep unpacking gigabytes cheap; memory stays at this much.
const COPY_BUFFER: usize = 1024 * 1024;

fn unpack(
    zip: &Path,
    with_deployable: bool,
    events: &mut dyn FnMut(Event),
) -> Result<Unpacked, Error> {
    events(Event::Step {
        verb: "Verifying",
        message: zip.display().to_string(),
    });
    let sha256 = PathBuf::from(format!("{}.sha256", zip.display()));
    let verified = osc_package::verify(zip, sha256.is_file().then_some(sha256.as_path()))?;
    if verified.has_errors() {
        return Err(Error::NotVerified {
            package: zip.to_path_buf(),
            errors: verified
                .findings
                .into_iter()
                .filter(|finding| finding.severity == Severity::Error)
                .collect(),
        });
    }
    let top = verified.name.clone().ok_or_else(|| Error::Usage {
        what: zip.display().to_string(),
        message: "has no top folder: build it with `helm osc package`".to_string(),
    })?;
    let dir = tempfile::Builder::new()
        .prefix("helm-osc-push-")
        .tempdir()
        .map_err(|error| {
            Error::io(
                std::env::temp_dir(),
                format!("cannot make a folder to unpack the image tars into (TMPDIR chooses where): {error}"),
            )
        })?;
    let root = dir.path().to_path_buf();
    let (mut index, _) = osc_archive::ZipIndex::open(zip)?;
    let images_dir = root.join(&top).join("images");
    std::fs::create_dir_all(&images_dir).map_err(|error| Error::io(&images_dir, error))?;

    let mapping = match &verified.mapping {
        Some(entry) => {
            let found = index.find(entry).cloned().ok_or_else(|| {
                Error::io(zip, format!("`{entry}` is missing from the zip's index"))
            })?;
            let bytes = index.read(&found, MAPPING_LIMIT)?;
            let text = String::from_utf8(bytes).map_err(|_| {
                Error::io(
                    zip,
                    format!("{entry}: not UTF-8 text: save mapping.yaml as UTF-8"),
                )
            })?;
            let mapping = Mapping::parse(&text, entry)?;
            let file = images_dir.join("mapping.yaml");
            std::fs::write(&file, &text).map_err(|error| Error::io(&file, error))?;
            Some(UnpackedMapping {
                entry: entry.clone(),
                file,
                mapping,
            })
        }
        None => None,
    };

    let mut wanted: Vec<(osc_archive::ZipEntry, PathBuf)> = Vec::new();
    if let Some(mapping) = &mapping {
        for name in tar_names(&mapping.mapping) {
            // A name that is not one plain file name is the plan's error to report.
            let Ok(name) = osc_archive::RelPath::parse(&name) else {
                continue;
            };
            if name.segments().count() != 1 {
                continue;
            }
            let entry = format!("{top}/images/{name}");
            if let Some(found) = index.find(&entry) {
                wanted.push((found.clone(), name.under(&images_dir)));
            }
        }
    }
    let deployable = match (&verified.deployable, with_deployable) {
        (Some(entry), true) => {
            let found = index.find(entry).cloned().ok_or_else(|| {
                Error::io(zip, format!("`{entry}` is missing from the zip's index"))
            })?;
            let name = osc_archive::RelPath::parse(found.path.file_name())
                .map_err(|error| Error::io(zip, format!("`{entry}`: {error}")))?;
            let package_dir = root.join(&top).join("package");
            std::fs::create_dir_all(&package_dir)
                .map_err(|error| Error::io(&package_dir, error))?;
            let to = name.under(&package_dir);
            copy_entry(&mut index, &found, &to, &mut |_| {})?;
            Some((entry.clone(), to))
        }
        _ => None,
    };

    let total: u64 = wanted.iter().map(|(entry, _)| entry.size).sum();
    if !wanted.is_empty() {
        events(Event::Step {
            verb: "Unpacking",
            message: format!(
                "{} image tar{} into {}",
                wanted.len(),
                plural(wanted.len()),
                std::env::temp_dir().display()
            ),
        });
    }
    let mut done = 0;
    for (entry, to) in &wanted {
        copy_entry(&mut index, entry, to, &mut |bytes| {
            done += bytes;
            events(Event::Bytes { done, total });
        })?;
    }
    Ok(Unpacked {
        _dir: dir,
        root,
        package: zip.to_path_buf(),
        images_dir,
        mapping,
        deployable,
    })
}

/// Copies one entry out of the zip, streaming; reading it to its end checks its CRC, so a zip
/// changed since it was verified fails here.
fn copy_entry(
    index: &mut osc_archive::ZipIndex<io::BufReader<File>>,
    entry: &osc_archive::ZipEntry,
    to: &Path,
    progress: &mut dyn FnMut(u64),
) -> Result<(), Error> {
    let location = |error: io::Error| Error::io(to, format!("`{}`: {error}", entry.path));
    let mut reader = index.reader(entry).map_err(location)?;
    let mut out = File::create(to).map_err(|error| Error::io(to, error))?;
    let mut buffer = vec![0; COPY_BUFFER];
    loop {
        let read = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => {
                return Err(Error::io(
                    to,
                    format!(
                        "cannot unpack `{}` ({error}): the zip changed or is damaged; build or download it again",
                        entry.path
                    ),
                ));
            }
        };
        out.write_all(&buffer[..read])
            .map_err(|error| Error::io(to, error))?;
        progress(read as u64);
    }
    Ok(())
}

/// Every tar file name mapping.yaml names, once each, in its order.
fn tar_names(mapping: &Mapping) -> Vec<String> {
    let mut packages = Vec::new();
    for instance in &mapping.instance {
        packages.push(&instance.package);
    }
    for lifecycle in &mapping.lifecycle {
        for container in &lifecycle.containers {
            packages.push(&container.package);
            packages.extend(container.env.iter().map(|env| &env.package));
        }
    }
    let mut seen = BTreeSet::new();
    packages
        .into_iter()
        .flat_map(|package| [&package.x86_64, &package.aarch64])
        .flatten()
        .filter(|name| seen.insert(name.as_str()))
        .cloned()
        .collect()
}

impl Unpacked {
    /// The zip entry a path of the unpacked folder stands for: `{top}/images/x.tar`.
    fn entry(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .map(|relative| relative.to_string_lossy().replace('\\', "/"))
            .unwrap_or_else(|_| path.display().to_string())
    }

    /// The registry's error, its paths into the temporary folder shown as the zip's entries.
    fn registry_error(&self, error: osc_registry::Error) -> Error {
        let root = format!("{}/", self.root.display());
        Error::Registry {
            package: self.package.clone(),
            message: error.to_string().replace(&root, ""),
        }
    }
}

fn push_unpacked(
    unpacked: &Unpacked,
    registry: &Registry,
    options: &PushOptions,
    events: &mut dyn FnMut(Event),
) -> Result<PushReport, Error> {
    let plan = match &unpacked.mapping {
        Some(mapping) => Plan::from_mapping(&mapping.mapping, &unpacked.images_dir)
            .map_err(|error| unpacked.registry_error(error))?,
        None => Plan::default(),
    };
    events(Event::Step {
        verb: "Pushing",
        message: format!(
            "{} image{} to {registry}",
            plan.images.len(),
            plural(plan.images.len())
        ),
    });
    let pushed = osc_registry::push(&plan, registry, &options.registry_options(), |progress| {
        events(Event::Bytes {
            done: progress.done,
            total: progress.total,
        })
    })
    .map_err(|error| unpacked.registry_error(error))?;
    let images: Vec<PushedImage> = plan
        .images
        .iter()
        .zip(&pushed)
        .map(|(planned, pushed)| PushedImage {
            reference: pushed.reference.clone(),
            digest: pushed.digest.clone(),
            kind: if planned.tars.len() > 1 {
                "index"
            } else {
                "manifest"
            },
            architectures: pushed.platforms.iter().map(Arch::to_string).collect(),
            tars: planned
                .tars
                .iter()
                .map(|tar| PushedTar {
                    architecture: tar.arch.to_string(),
                    tar: unpacked.entry(&tar.path),
                    field: tar.field.clone(),
                })
                .collect(),
            fields: planned.fields.clone(),
            uploaded: pushed.uploaded,
            reused: pushed.reused,
        })
        .collect();
    Ok(PushReport {
        ok: true,
        package: unpacked.package.display().to_string(),
        registry: registry.to_string(),
        uploaded: images.iter().map(|image| image.uploaded).sum(),
        reused: images.iter().map(|image| image.reused).sum(),
        images,
        without_tars: plan.without_tars,
    })
}

/// The deployable analysed as a source: a chart `.tgz`, a bundle `.zip` (which osc-source takes
/// for a service package by its name), or an OSC-format package, which rehearse does not rewrite.
fn analyse_deployable(deployable: &Path, entry: &str, inputs: &Inputs) -> Result<Analysis, Error> {
    let inputs = Inputs {
        images: None,
        mapping: None,
        ..inputs.clone()
    };
    let mut analysis = crate::analyse(deployable, &inputs)?;
    if analysis.kind() == crate::Kind::Package {
        analysis.subject = Subject::Bundle(Box::new(osc_csv::load(deployable)?));
    }
    match &mut analysis.subject {
        Subject::Chart(chart) => {
            // No Helm, or a chart that does not render: said now, while nothing is pushed.
            chart.rendered()?;
            if let Some(Ok(rendering)) = &mut chart.rendering {
                // The platform applies no fixes: it writes mapping.yaml's keys into values.yaml as
                // the package has it, so the rehearsal must start from the same bytes.
                rendering.fixed_values = rendering.values.clone();
                rendering.traps.fixes.clear();
            }
        }
        Subject::Bundle(_) => {}
        Subject::OscFormat(_) | Subject::Package => {
            return Err(Error::Usage {
                what: entry.to_string(),
                message: format!(
                    "is {}: `rehearse` rewrites a chart or an operator bundle; push this package's images with `helm osc push` instead",
                    if analysis.kind() == crate::Kind::OscFormat {
                        "an OSC-format package"
                    } else {
                        "a service package inside the package"
                    }
                ),
            });
        }
    }
    analysis.source = PathBuf::from(entry);
    Ok(analysis)
}

/// The `architecture` annotation of Chart.yaml or the CSV (comma-separated), x86_64 without one.
fn declared_architectures(analysis: &Analysis, entry: &str) -> (&'static str, Vec<Arch>, String) {
    let (kind, value, file) = match &analysis.subject {
        Subject::Chart(chart) => (
            "chart",
            chart
                .chart
                .metadata()
                .annotations
                .get("architecture")
                .cloned(),
            format!("{entry}/Chart.yaml"),
        ),
        Subject::Bundle(bundle) => (
            "operator",
            bundle.csv.annotation("architecture").map(str::to_owned),
            format!("{entry}: the CSV"),
        ),
        _ => ("", None, entry.to_string()),
    };
    let mut architectures: Vec<Arch> = Vec::new();
    for name in value.iter().flat_map(|value| value.split(',')) {
        let arch = Arch::from(name.trim());
        if !name.trim().is_empty() && !architectures.contains(&arch) {
            architectures.push(arch);
        }
    }
    if architectures.is_empty() {
        return (
            kind,
            vec![Arch::X86_64],
            format!("{file} has no architecture annotation, which means x86_64"),
        );
    }
    (
        kind,
        architectures,
        format!("{file}, annotation architecture"),
    )
}

/// Every image the rewritten chart renders, with the values keys the mapping wrote into it and
/// the templates and containers that use it. Latent images (components off by default) will join
/// this list from the analysis.
fn chart_wanted(
    chart: &crate::ChartAnalysis,
    rewritten: &Rewritten,
    mapping: Option<&UnpackedMapping>,
) -> Vec<Wanted> {
    let registry = &rewritten.registry;
    rewritten
        .images
        .iter()
        .map(|image| {
            let mut from = Vec::new();
            let instances = mapping
                .map(|mapping| mapping.mapping.instance.as_slice())
                .unwrap_or_default();
            for (index, instance) in instances.iter().enumerate() {
                if format!("{registry}/{}:{}", instance.image, instance.tag) != image.reference {
                    continue;
                }
                let field = format!("instance[{index}].");
                let keys: Vec<&str> = rewritten
                    .changes
                    .iter()
                    .filter(|change| change.field.starts_with(&field))
                    .map(|change| change.path.as_str())
                    .collect();
                from.push(format!(
                    "values.yaml {} (mapping.yaml instance[{index}])",
                    keys.join(", ")
                ));
            }
            if from.is_empty()
                && let Ok(rendering) = chart.rendered()
                && let Some(found) = rendering
                    .discovery
                    .images
                    .iter()
                    .find(|found| found.reference.to_string() == image.reference)
            {
                // Not rewritten: the keys that make it, which mapping.yaml leaves out.
                let keys: Vec<&str> = found.keys.iter().map(|key| key.path.as_str()).collect();
                from.push(if keys.is_empty() {
                    "no values key (the template writes it)".to_string()
                } else {
                    format!("values.yaml {} (in no mapping.yaml entry)", keys.join(", "))
                });
            }
            from.extend(image.uses.iter().cloned());
            Wanted {
                reference: image.reference.clone(),
                from,
            }
        })
        .collect()
}

/// The images of the rewritten CSV to look up, each with the fields it is in: every container
/// image of its deployments (one the mapping leaves out is a miss: the operator itself would not
/// start), and the image env values, alm-examples images and relatedImages the mapping moved
/// under `registry`. The rest, which only the operator's own code would pull, come second.
fn operator_wanted(
    rewritten_dir: &Path,
    registry: &str,
) -> Result<(Vec<Wanted>, Vec<Wanted>), Error> {
    let bundle = osc_csv::load(rewritten_dir)?;
    let found = osc_mapping::operator_images(&bundle);
    let prefix = format!("{registry}/");
    let mut wanted: Vec<Wanted> = Vec::new();
    let mut unchecked: Vec<Wanted> = Vec::new();
    let mut add = |reference: String, place: String, always: bool| {
        let place = format!("CSV {place}");
        let list = if always || reference.starts_with(&prefix) {
            &mut wanted
        } else {
            &mut unchecked
        };
        match list.iter_mut().find(|image| image.reference == reference) {
            Some(image) => image.from.push(place),
            None => list.push(Wanted {
                reference,
                from: vec![place],
            }),
        }
    };
    for container in &found.containers {
        add(
            container.reference.to_string(),
            format!(
                "{}, image",
                crate::images::container_place(
                    &container.deployment,
                    &container.kind,
                    &container.name
                )
            ),
            true,
        );
    }
    for env in &found.env {
        add(
            env.reference.to_string(),
            format!(
                "{}, env {}",
                crate::images::container_place(&env.deployment, &env.kind, &env.container),
                env.name
            ),
            false,
        );
    }
    for example in &found.examples {
        let fields: Vec<&str> = example
            .parts
            .iter()
            .map(|(path, _)| path.as_str())
            .collect();
        add(
            example.reference.to_string(),
            format!("alm-examples {}, {}", example.kind, fields.join(", ")),
            false,
        );
    }
    for related in &found.related {
        add(
            related.reference.to_string(),
            format!("spec.relatedImages[{}]", related.index),
            false,
        );
    }
    Ok((wanted, unchecked))
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}
