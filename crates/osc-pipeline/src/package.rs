//! `package`: lint the analysed source, refuse on what the user must fix, then build the
//! deployable (the chart with its traps fixed and its catalog annotations, or the bundle with
//! its CSV marked) and write the service package.

use std::path::{Path, PathBuf};

use osc_chart::Chart;
use osc_csv::Bundle;
use osc_package::{Deployable, DeployableSource, PackageSpec, Progress, Written, rules};
use serde::Serialize;

use crate::{Analysis, Diagnostic, Error, Inputs, Severity, Subject, lint};

/// What the user asked `package` to settle.
#[derive(Clone, Debug, Default)]
pub struct PackageOptions {
    /// The service name; the chart's name or the bundle's package name by default.
    pub name: Option<String>,
    /// The service version; the chart's or CSV's version by default.
    pub version: Option<String>,
    pub category: Option<String>,
    pub arch: Vec<String>,
    pub scenes: Vec<String>,
    /// The `source` annotation: `ISV` unless told otherwise.
    pub provider_source: String,
    pub destination: PathBuf,
    /// A csd.yaml whose versionDefinition makes the deployable an OSC-format package.
    pub version_definition: Option<PathBuf>,
    /// Refuse instead of fixing the platform traps in the packaged values.yaml.
    pub no_fix: bool,
    pub allow_unmovable: bool,
    /// A maintainer to add to Chart.yaml's `maintainers` or the CSV's `spec.maintainers`, which
    /// gives the service the contact OSC requires.
    pub maintainer: Option<Maintainer>,
}

/// A maintainer given as `NAME <EMAIL>`, as `--maintainer` takes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Maintainer {
    pub name: String,
    pub email: String,
}

impl std::str::FromStr for Maintainer {
    type Err = String;

    /// `Ledger Team <ledger@example.org>`: a name, then an email address in angle brackets.
    fn from_str(text: &str) -> Result<Maintainer, String> {
        let example = "write it as \"NAME <EMAIL>\", e.g. \"Your Team <team@example.com>\"";
        let parsed = text
            .trim()
            .strip_suffix('>')
            .and_then(|rest| rest.rsplit_once('<'))
            .map(|(name, email)| (name.trim(), email.trim()));
        let Some((name, email)) = parsed else {
            return Err(format!(
                "`{text}` has no email in angle brackets; {example}"
            ));
        };
        if name.is_empty() {
            return Err(format!("`{text}` has no name before the email; {example}"));
        }
        if name.contains(['<', '>']) || !osc_csv::looks_like_email(email) {
            return Err(format!("`{email}` is not an email address; {example}"));
        }
        Ok(Maintainer {
            name: name.to_owned(),
            email: email.to_owned(),
        })
    }
}

/// A package ready to write: everything checked, the deployable built in memory.
#[derive(Debug)]
pub struct Plan {
    pub name: String,
    pub version: String,
    pub deployable: DeployableReport,
    pub annotations: Vec<(String, String)>,
    pub fixes: Vec<osc_traps::Fix>,
    pub unmovable: Vec<osc_traps::Unmovable>,
    /// Image tars, sorted by name.
    pub images: Vec<PathBuf>,
    /// Things the user should know that stop nothing (files in --images that are no tars, a
    /// mapping.yaml found beside the tars).
    pub notes: Vec<String>,
    spec: PackageSpec,
}

#[derive(Clone, Debug, Serialize)]
pub struct DeployableReport {
    /// `chart`, `operator`, or either `(OSC format)`.
    pub kind: &'static str,
    pub name: String,
    pub version: String,
    /// The file name in `package/`.
    pub archive: String,
}

/// A written package.
#[derive(Debug)]
pub struct Packaged {
    pub plan: Plan,
    pub written: Written,
}

/// What `package` reports of a written package, for people and as JSON.
#[derive(Debug, Serialize)]
pub struct PackageReport<'a> {
    pub ok: bool,
    pub zip: String,
    pub sha256: &'a str,
    pub sha256_file: String,
    pub name: &'a str,
    pub version: &'a str,
    pub deployable: &'a DeployableReport,
    pub annotations: &'a [(String, String)],
    pub fixes: &'a [osc_traps::Fix],
    pub unmovable: &'a [osc_traps::Unmovable],
    pub bytes: u64,
    /// The files of the zip, folders left out.
    pub entries: Vec<EntryReport>,
}

#[derive(Debug, Serialize)]
pub struct EntryReport {
    pub path: String,
    pub size: u64,
    /// Eight hex digits.
    pub crc32: String,
}

impl Packaged {
    pub fn report(&self) -> PackageReport<'_> {
        let (plan, written) = (&self.plan, &self.written);
        PackageReport {
            ok: true,
            zip: written.zip.display().to_string(),
            sha256: &written.sha256,
            sha256_file: written.sha256_file.display().to_string(),
            name: &plan.name,
            version: &plan.version,
            deployable: &plan.deployable,
            annotations: &plan.annotations,
            fixes: &plan.fixes,
            unmovable: &plan.unmovable,
            bytes: written.bytes,
            entries: written
                .entries
                .iter()
                .filter(|entry| !entry.path.ends_with('/'))
                .map(|entry| EntryReport {
                    path: entry.path.clone(),
                    size: entry.size,
                    crc32: format!("{:08x}", entry.crc32),
                })
                .collect(),
        }
    }
}

impl Plan {
    /// Bytes of image tars to copy, for a progress bar.
    pub fn image_bytes(&self) -> u64 {
        self.images
            .iter()
            .filter_map(|tar| tar.metadata().ok())
            .map(|meta| meta.len())
            .sum()
    }
}

/// Lints, checks and builds everything the package holds, writing nothing: the refusals come
/// before any file is touched.
pub fn plan(analysis: &Analysis, inputs: &Inputs, options: &PackageOptions) -> Result<Plan, Error> {
    refuse_on_lint_errors(analysis, inputs, options)?;
    refuse_destination_inside_source(&analysis.source, &options.destination)?;
    let annotations = annotations(options);
    let pairs: Vec<(&str, &str)> = annotations
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let built = match &analysis.subject {
        Subject::Chart(chart) => build_chart(analysis, chart, inputs, options, &pairs)?,
        Subject::Bundle(bundle) => build_bundle(bundle, options, &pairs)?,
        Subject::OscFormat(_) | Subject::Package => {
            return Err(Error::Usage {
                what: analysis.source.display().to_string(),
                message: format!(
                    "is {} {}, not a chart or an operator bundle: `package` builds a service package from the chart or bundle itself",
                    if analysis.kind() == crate::Kind::Package {
                        "a built"
                    } else {
                        "an"
                    },
                    match analysis.kind() {
                        crate::Kind::Package => "service package",
                        _ =>
                            "OSC-format package (`helm osc convert` makes those from a chart or bundle)",
                    }
                ),
            });
        }
    };
    rules::deployable_size(&built.deployable.archive, built.bytes.len() as u64)?;

    let mut notes = Vec::new();
    if let Subject::Chart(chart) = &analysis.subject
        && chart.rendering.is_none()
        && chart.chart.metadata().chart_type != "library"
    {
        notes.push("no helm found (set HELM_BIN or put helm on PATH): the chart's images and platform traps are not checked".to_string());
    }
    let images = image_tars(inputs.images.as_deref(), &mut notes)?;
    let mapping_file = inputs.mapping_file();
    if let (Some(path), None) = (&mapping_file, &inputs.mapping) {
        notes.push(format!("using {} (found in --images)", path.display()));
    }
    let mapping = match &mapping_file {
        Some(path) => Some(read_mapping(path)?),
        None => None,
    };
    let spec = PackageSpec {
        name: built.name.clone(),
        version: built.version.clone(),
        deployable: Deployable {
            file_name: built.deployable.archive.clone(),
            source: DeployableSource::Bytes(built.bytes),
        },
        images: images.clone(),
        mapping,
        extends: Vec::new(),
    };
    Ok(Plan {
        name: built.name,
        version: built.version,
        deployable: built.deployable,
        annotations,
        fixes: built.fixes,
        unmovable: built.unmovable,
        images,
        notes,
        spec,
    })
}

/// Writes a planned package into its destination; `progress` hears of the bytes copied.
pub fn write(
    plan: Plan,
    destination: &Path,
    progress: &mut dyn FnMut(Progress),
) -> Result<Packaged, Error> {
    let written = osc_package::write(&plan.spec, destination, progress)?;
    Ok(Packaged { plan, written })
}

/// [`plan`] then [`write`].
pub fn package(
    analysis: &Analysis,
    inputs: &Inputs,
    options: &PackageOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Packaged, Error> {
    let plan = plan(analysis, inputs, options)?;
    write(plan, &options.destination, progress)
}

/// `package` refuses what lint calls an error, less what its own flags settle: `--name` the
/// service name, `--version` the version, `--category` the categories, `--arch`/`--scenes`
/// those annotations, `--allow-unmovable` the images the platform cannot move, `--maintainer`
/// a missing contact. The platform traps are warnings of a source, since `package` fixes them.
fn refuse_on_lint_errors(
    analysis: &Analysis,
    inputs: &Inputs,
    options: &PackageOptions,
) -> Result<(), Error> {
    let report = lint(analysis, inputs)?;
    let settled_by_flags = |finding: &Diagnostic| match finding.rule {
        "name-service" => options.name.is_some(),
        "name-version" => options.version.is_some(),
        "name-category" | "category-missing" => options.category.is_some(),
        "image-hard-coded" | "image-unmovable" => options.allow_unmovable,
        "metadata-contact" => options.maintainer.is_some(),
        "metadata-annotation" => {
            let location = finding.location.as_deref().unwrap_or_default();
            (location.ends_with(".architecture") && !options.arch.is_empty())
                || (location.ends_with(".scenes") && !options.scenes.is_empty())
        }
        _ => false,
    };
    let mut errors: Vec<Diagnostic> = report
        .findings
        .into_iter()
        .filter(|finding| finding.severity == Severity::Error && !settled_by_flags(finding))
        .collect();
    for error in &mut errors {
        if matches!(error.rule, "image-hard-coded" | "image-unmovable") {
            error.help.push_str(
                "; or pass --allow-unmovable to package anyway (that image then keeps pulling from its old registry)",
            );
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Refused {
            input: analysis.source.clone(),
            errors,
        })
    }
}

/// A package written inside the chart folder would be packaged into the chart the next time.
fn refuse_destination_inside_source(source: &Path, destination: &Path) -> Result<(), Error> {
    if !source.is_dir() {
        return Ok(());
    }
    let (Ok(source), Ok(destination)) = (source.canonicalize(), std::path::absolute(destination))
    else {
        return Ok(());
    };
    if destination.starts_with(&source) {
        return Err(Error::Usage {
            what: format!("-d {}", destination.display()),
            message: format!(
                "lies inside the source folder {}: the package would be packaged into the chart or bundle the next time; write it to a folder outside",
                source.display()
            ),
        });
    }
    Ok(())
}

/// The deployable and the names a package is built from.
struct Built {
    name: String,
    version: String,
    deployable: DeployableReport,
    bytes: Vec<u8>,
    fixes: Vec<osc_traps::Fix>,
    unmovable: Vec<osc_traps::Unmovable>,
}

fn service_name_and_version(
    options: &PackageOptions,
    default_name: &str,
    name_from: &str,
    default_version: &str,
    version_from: &str,
) -> Result<(String, String), Error> {
    let (name, name_from) = match &options.name {
        Some(name) => (name.clone(), "--name"),
        None => (default_name.to_string(), name_from),
    };
    rules::service_name(&name).map_err(|error| Error::Usage {
        what: format!("{name_from}: service name `{name}`"),
        message: error.to_string(),
    })?;
    let (version, version_from) = match &options.version {
        Some(version) => (version.clone(), "--version"),
        None => (default_version.to_string(), version_from),
    };
    rules::version(&version).map_err(|error| Error::Usage {
        what: format!("{version_from}: version `{version}`"),
        message: error.to_string(),
    })?;
    Ok((name, version))
}

fn build_chart(
    analysis: &Analysis,
    chart_analysis: &crate::ChartAnalysis,
    inputs: &Inputs,
    options: &PackageOptions,
    annotations: &[(&str, &str)],
) -> Result<Built, Error> {
    let mut chart: Chart = chart_analysis.chart.clone();
    let (name, version) = service_name_and_version(
        options,
        chart.name(),
        "Chart.yaml `name`",
        chart.version(),
        "Chart.yaml `version`",
    )?;
    let (fixes, unmovable) = match &chart_analysis.rendering {
        Some(Ok(rendering)) => {
            if let Some(error) = &rendering.fix_error {
                return Err(Error::Usage {
                    what: analysis.source.join("values.yaml").display().to_string(),
                    message: format!(
                        "{error}: fix the key by hand, or package with --no-fix to see the list"
                    ),
                });
            }
            let traps = &rendering.traps;
            // `--no-fix` leaves pull secrets as they are: lint has named the pods.
            let breaking: Vec<&osc_traps::Fix> = traps
                .fixes
                .iter()
                .filter(|fix| fix.trap != osc_traps::Trap::PullSecret)
                .collect();
            if options.no_fix && !breaking.is_empty() {
                let list: Vec<String> = breaking
                    .iter()
                    .map(|fix| {
                        format!(
                            "  values.yaml `{}`: {} → {}: {}",
                            fix.path,
                            fix.before.as_deref().unwrap_or("absent"),
                            fix.after,
                            fix.why
                        )
                    })
                    .collect();
                return Err(Error::Usage {
                    what: analysis.source.display().to_string(),
                    message: format!(
                        "the chart would break once the platform rewrites its images (--no-fix):\n{}\nfix these in values.yaml, or drop --no-fix to have them fixed in the package",
                        list.join("\n")
                    ),
                });
            }
            let fixed_values = if options.no_fix {
                rendering.values.clone()
            } else {
                rendering.fixed_values.clone()
            };
            if fixed_values != rendering.values {
                chart.set_file("values.yaml", fixed_values.clone().into_bytes());
            }
            if let Some(helm) = &inputs.helm {
                prove(
                    analysis,
                    &chart,
                    rendering,
                    &fixed_values,
                    helm,
                    inputs,
                    options.no_fix,
                )?;
            }
            let fixes = if options.no_fix {
                Vec::new()
            } else {
                traps.fixes.clone()
            };
            (fixes, traps.unmovable.clone())
        }
        _ => (Vec::new(), Vec::new()),
    };
    chart.set_annotations(annotations)?;
    if let Some(maintainer) = &options.maintainer {
        chart.add_maintainer(&maintainer.name, &maintainer.email)?;
    }
    let _ = analysis;
    let source_name = chart.name().to_string();
    let source_version = chart.version().to_string();
    if let Some(bytes) = osc_format_deployable(options, |convert| {
        osc_format::convert_chart(&chart, convert)
    })? {
        return Ok(Built {
            deployable: DeployableReport {
                kind: "chart (OSC format)",
                name: source_name,
                version: source_version,
                archive: format!("{name}-{version}.zip"),
            },
            name,
            version,
            bytes,
            fixes,
            unmovable,
        });
    }
    let bytes = chart.write_archive(Vec::new()).map_err(|error| {
        Error::io(
            &analysis.source,
            format!("writing the chart archive: {error}"),
        )
    })?;
    Ok(Built {
        deployable: DeployableReport {
            kind: "chart",
            name: source_name,
            version: source_version,
            archive: chart.archive_file_name(),
        },
        name,
        version,
        bytes,
        fixes,
        unmovable,
    })
}

fn build_bundle(
    bundle: &Bundle,
    options: &PackageOptions,
    annotations: &[(&str, &str)],
) -> Result<Built, Error> {
    let csv = &bundle.csv;
    let csv_file = bundle.csv_file.display().to_string();
    let name_from = if bundle.package_name.is_some() {
        "the bundle's package name"
    } else {
        "the CSV's `metadata.name`"
    };
    let (name, version) = service_name_and_version(
        options,
        &bundle.service_name(),
        name_from,
        &csv.version,
        &format!("{csv_file}: `spec.version`"),
    )?;
    let mut editor = osc_csv::CsvEditor::new(bundle);
    for (key, value) in annotations {
        editor.set_annotation(key, value)?;
    }
    // The OSC format reads the CSV's maintainers from the bundle, so it gets the edited CSV.
    let with_maintainer;
    let bundle = match &options.maintainer {
        Some(maintainer) => {
            editor.add_maintainer(&maintainer.name, &maintainer.email)?;
            with_maintainer = editor.edited_bundle(bundle);
            &with_maintainer
        }
        None => bundle,
    };
    let deployable = |kind| DeployableReport {
        kind,
        name: csv.name.clone(),
        version: csv.version.clone(),
        archive: format!("{name}-{version}.zip"),
    };
    let bytes = match osc_format_deployable(options, |convert| {
        osc_format::convert_bundle(bundle, convert)
    })? {
        Some(bytes) => {
            return Ok(Built {
                deployable: deployable("operator (OSC format)"),
                name: name.clone(),
                version: version.clone(),
                bytes,
                fixes: Vec::new(),
                unmovable: Vec::new(),
            });
        }
        None => {
            let files = osc_csv::bundle_files(bundle, editor.text())?;
            osc_package::zip_files(&name, &files).map_err(|error| {
                Error::io(&bundle.csv_file, format!("zipping the bundle: {error}"))
            })?
        }
    };
    Ok(Built {
        deployable: deployable("operator"),
        name,
        version,
        bytes,
        fixes: Vec::new(),
        unmovable: Vec::new(),
    })
}

/// With `--version-definition`, the deployable is the OSC-format package carrying it (a
/// versionDefinition lives in the CSD, which only that format has: docs/version-definition.md).
fn osc_format_deployable(
    options: &PackageOptions,
    convert: impl FnOnce(
        &osc_format::ConvertOptions,
    ) -> Result<osc_format::OscPackage, osc_format::ConvertError>,
) -> Result<Option<Vec<u8>>, Error> {
    let Some(file) = &options.version_definition else {
        return Ok(None);
    };
    let definition = crate::read_version_definition(file)?;
    let non_empty = |values: &Vec<String>| (!values.is_empty()).then(|| values.clone());
    let convert_options = osc_format::ConvertOptions {
        version_definition: Some(definition),
        source: Some(options.provider_source.clone()),
        categories: options.category.clone().map(|category| vec![category]),
        architecture: non_empty(&options.arch),
        scenes: non_empty(&options.scenes),
        ..Default::default()
    };
    let package = convert(&convert_options)?;
    let zip = package
        .write_zip(std::io::Cursor::new(Vec::new()))
        .map_err(|error| Error::io(file, format!("writing the OSC-format package: {error}")))?;
    Ok(Some(zip.into_inner()))
}

/// The tars in `--images`, sorted; other files there are noted and left out. Only regular
/// files count: a FIFO named `x.tar` is refused, never opened.
fn image_tars(dir: Option<&Path>, notes: &mut Vec<String>) -> Result<Vec<PathBuf>, Error> {
    let Some(dir) = dir else {
        return Ok(Vec::new());
    };
    let entries = std::fs::read_dir(dir)
        .map_err(|error| Error::io(dir, format!("--images: cannot read the folder: {error}")))?;
    let mut tars = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|error| Error::io(dir, format!("--images: {error}")))?
            .path();
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.ends_with(".tar") {
            rules::image_tar_name(&name).map_err(|error| Error::io(&path, error))?;
            if !path.is_file() {
                return Err(Error::io(
                    &path,
                    "not a regular file (a folder, FIFO or device): image tars are `docker save` archives",
                ));
            }
            tars.push(path);
        } else if name != "mapping.yaml" && !name.starts_with('.') {
            notes.push(format!(
                "{}: not a .tar, left out of the package (image tars are `docker save` archives named *.tar)",
                path.display()
            ));
        }
    }
    tars.sort();
    Ok(tars)
}

fn read_mapping(path: &Path) -> Result<Vec<u8>, Error> {
    let bytes =
        osc_archive::read_regular_file(path, path, osc_archive::Limits::DEPLOYABLE.file_bytes)?;
    serde_norway::from_slice::<serde_norway::Value>(&bytes).map_err(|error| {
        Error::io(
            path,
            format!("not valid YAML ({error}); fix it or generate one with `helm osc mapping`"),
        )
    })?;
    Ok(bytes)
}

/// The annotations the deployable carries: the source mark always, the rest when given.
fn annotations(options: &PackageOptions) -> Vec<(String, String)> {
    let mut pairs = vec![("source".to_string(), options.provider_source.clone())];
    if let Some(category) = &options.category {
        pairs.push(("categories".to_string(), category.clone()));
    }
    if !options.arch.is_empty() {
        pairs.push(("architecture".to_string(), dedup(&options.arch).join(",")));
    }
    if !options.scenes.is_empty() {
        pairs.push(("scenes".to_string(), dedup(&options.scenes).join(",")));
    }
    pairs
}

fn dedup(values: &[String]) -> Vec<String> {
    let mut seen = Vec::new();
    for value in values {
        if !seen.contains(value) {
            seen.push(value.clone());
        }
    }
    seen
}

/// The registry the proof render moves every mapped image to.
const PROOF_REGISTRY: &str = "proof.osc-marker.test/osc-proof";

/// The chart as it will be packaged, rendered after the platform's rewrite: the fixes applied,
/// every key mapping.yaml names moved to a marker registry, the switches that showed the latent
/// images on (see [`render_proof`] for when that takes two renders). It must render,
/// every image the analysis calls movable must come out at the marker registry, and every pod
/// that pulls a moved image and that a pull-secret key reaches must name the platform's secret;
/// anything else is a refusal naming the image.
fn prove(
    analysis: &Analysis,
    chart: &Chart,
    rendering: &crate::Rendering,
    values: &str,
    helm: &osc_render::Helm,
    inputs: &Inputs,
    no_fix: bool,
) -> Result<(), Error> {
    let all = rendering.discovery.all_images();
    let mapping = proof_mapping(chart, inputs, &all)?;
    let refused = |message: String, help: &str| proof_failed(analysis, message, help);
    let applied = osc_mapping::apply(values, &mapping, PROOF_REGISTRY).map_err(|error| {
        refused(
            format!("the platform's rewrite of the packaged values.yaml fails: {error}"),
            "fix mapping.yaml or the key it names, then package again",
        )
    })?;
    let rendered = match render_proof(chart, rendering, applied.text, helm, inputs)? {
        Ok(rendered) => rendered,
        Err(stderr) => {
            return Err(refused(
                format!(
                    "the chart does not render once the platform rewrites its images: {}",
                    crate::lint::one_line(&stderr)
                ),
                "the platform's rewrite would break the install: make the chart accept moved images (the switch its check asks for, in values.yaml) and package again",
            ));
        }
    };
    let host = PROOF_REGISTRY.split('/').next().unwrap_or_default();
    let stuck: Vec<String> = rendered
        .iter()
        .flat_map(|render| stuck_images(rendering, &all, render, host))
        .fold(Vec::new(), |mut stuck, image| {
            if !stuck.contains(&image) {
                stuck.push(image);
            }
            stuck
        });
    if !stuck.is_empty() {
        // Keys whose change breaks the chart are the usual reason: Helm's error says why.
        let fragile: Vec<String> = rendering
            .discovery
            .fragile
            .iter()
            .map(|key| format!("`{}` ({})", key.path, crate::lint::one_line(&key.error)))
            .collect();
        let why = if fragile.is_empty() {
            String::new()
        } else {
            format!(
                "; keys the chart breaks on when they change: {}",
                fragile.join("; ")
            )
        };
        return Err(refused(
            format!(
                "after the platform's rewrite these images still pull from their old registry: {}{why}",
                stuck.join("; ")
            ),
            "name every key of their address in mapping.yaml (`helm osc mapping` writes them), or take the image from values keys",
        ));
    }
    if !no_fix {
        let mut missing = Vec::new();
        for pod in rendered
            .iter()
            .flat_map(|render| pods_missing_secret(rendering, render, host))
        {
            if !missing.contains(&pod) {
                missing.push(pod);
            }
        }
        if !missing.is_empty()
            && rendering
                .traps
                .fixes
                .iter()
                .any(|fix| fix.trap == osc_traps::Trap::PullSecret)
        {
            return Err(refused(
                format!(
                    "after the fixes these pods pull moved images without the pull secret `{}`: {}",
                    osc_traps::PULL_SECRET,
                    missing.join(", ")
                ),
                "give their pod specs `imagePullSecrets` from a values key, or package with --no-fix and set it yourself",
            ));
        }
    }
    Ok(())
}

fn proof_failed(analysis: &Analysis, message: String, help: &str) -> Error {
    Error::Refused {
        input: analysis.source.clone(),
        errors: vec![Diagnostic::new(
            "proof-failed",
            Severity::Error,
            analysis.source.join("values.yaml").display().to_string(),
            message,
            help.to_string(),
        )],
    }
}

/// The mapping the platform will apply: the given mapping.yaml, or the one `mapping` would
/// generate.
fn proof_mapping(
    chart: &Chart,
    inputs: &Inputs,
    all: &[osc_render::FoundImage],
) -> Result<osc_mapping::Mapping, Error> {
    Ok(match inputs.mapping_file() {
        Some(path) => {
            let text = std::fs::read_to_string(&path)
                .map_err(|error| Error::io(&path, format!("cannot read: {error}")))?;
            osc_mapping::Mapping::parse(&text, &path.display().to_string())?
        }
        None => {
            let tars = crate::images::tars(inputs.images.as_deref())?;
            osc_mapping::generate(chart.name(), all, &tars).mapping
        }
    })
}

/// Renders the chart with the rewritten values and the switches that showed the latent images
/// on; Helm's stderr where it fails to render. When that render fails (a check in NOTES.txt or
/// a template asks for a setting a component needs once a user turns it on, not for anything
/// about images), it renders twice instead, side by side: as installed, switches off, NOTES.txt
/// included (where guards live); and with the switches on, on the chart discovery found them
/// on ([`osc_render::switched_on_chart`]).
fn render_proof(
    chart: &Chart,
    rendering: &crate::Rendering,
    values: String,
    helm: &osc_render::Helm,
    inputs: &Inputs,
) -> Result<Result<Vec<osc_render::Rendered>, String>, Error> {
    let discovery = &rendering.discovery;
    let mut proof = chart.clone();
    proof.set_file("values.yaml", values.into_bytes());
    let scratch = tempfile::tempdir().map_err(|error| {
        Error::io(
            std::env::temp_dir(),
            format!("cannot make a folder: {error}"),
        )
    })?;
    let installed = scratch.path().join(chart.name());
    proof.write_dir(&installed)?;
    let mut switched_values = inputs.values_files.clone();
    if !discovery.switches.is_empty() {
        let mut switches = serde_norway::Value::Mapping(serde_norway::Mapping::new());
        for switch in &discovery.switches {
            set_path(&mut switches, switch);
        }
        let file = scratch.path().join("switches.yaml");
        let text = serde_norway::to_string(&switches).unwrap_or_default();
        std::fs::write(&file, text).map_err(|error| Error::io(&file, error))?;
        switched_values.push(file);
    }
    let first = render_all(
        helm,
        inputs,
        vec![(installed.clone(), switched_values.clone())],
    )?;
    let stderr = match first.into_iter().next() {
        Some(Ok(rendered)) => return Ok(Ok(vec![rendered])),
        Some(Err(stderr)) => stderr,
        None => unreachable!("one render was asked for"),
    };
    if discovery.switches.is_empty() {
        return Ok(Err(stderr));
    }
    let switched_on = scratch.path().join("switched-on");
    std::fs::create_dir(&switched_on).map_err(|error| Error::io(&switched_on, error))?;
    let switched_on = switched_on.join(chart.name());
    osc_render::switched_on_chart(&proof).write_dir(&switched_on)?;
    let mut rendered = Vec::new();
    for result in render_all(
        helm,
        inputs,
        vec![
            (installed, inputs.values_files.clone()),
            (switched_on, switched_values),
        ],
    )? {
        match result {
            Ok(render) => rendered.push(render),
            Err(stderr) => return Ok(Err(stderr)),
        }
    }
    Ok(Ok(rendered))
}

/// `helm template` of each chart folder with its values files, side by side; Helm's stderr for
/// a chart it refuses to render, or why its output is not YAML.
fn render_all(
    helm: &osc_render::Helm,
    inputs: &Inputs,
    requests: Vec<(std::path::PathBuf, Vec<std::path::PathBuf>)>,
) -> Result<Vec<Result<osc_render::Rendered, String>>, Error> {
    let results: Vec<Result<osc_render::Rendered, osc_render::RenderError>> =
        std::thread::scope(|scope| {
            let renders: Vec<_> = requests
                .iter()
                .map(|(dir, values_files)| {
                    scope.spawn(move || {
                        let mut request = osc_render::RenderRequest::new(dir);
                        request.release = crate::RELEASE;
                        request.namespace = &inputs.namespace;
                        request.values_files = values_files.clone();
                        helm.template(&request)
                    })
                })
                .collect();
            renders
                .into_iter()
                .map(|render| {
                    render
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        });
    results
        .into_iter()
        .map(|result| match result {
            Ok(rendered) => Ok(Ok(rendered)),
            Err(osc_render::RenderError::Helm { stderr, .. }) => Ok(Err(stderr)),
            // Output that is not YAML is a render that failed too: Helm's own parse lets
            // some through (a key twice in a map) that the proof's does not.
            Err(
                error @ (osc_render::RenderError::Yaml { .. }
                | osc_render::RenderError::NotUtf8 { .. }),
            ) => Ok(Err(error.to_string())),
            Err(error) => Err(error.into()),
        })
        .collect()
}

/// The images of the proof render still off the marker registry `host` that the analysis
/// does not know cannot move.
fn stuck_images(
    rendering: &crate::Rendering,
    all: &[osc_render::FoundImage],
    rendered: &osc_render::Rendered,
    host: &str,
) -> Vec<String> {
    let unmovable: Vec<&str> = rendering
        .traps
        .unmovable
        .iter()
        .map(|u| u.image.as_str())
        .collect();
    let movable = |image: &osc_render::FoundImage| {
        image.keys.iter().any(|key| {
            matches!(
                key.part,
                osc_render::AddressPart::FullAddress
                    | osc_render::AddressPart::Repository
                    | osc_render::AddressPart::Repo
                    | osc_render::AddressPart::Endpoint
                    | osc_render::AddressPart::PrefixAddress
            )
        }) && !image
            .uses
            .iter()
            .any(|use_| unmovable.contains(&use_.raw.as_str()))
    };
    let mut stuck = Vec::new();
    for image_use in osc_render::find_images(rendered) {
        // Only an image the analysis knows cannot move may stay where it was; anything else
        // off the marker registry (moved in part, or not at all) is an image the rewrite misses.
        let may_stay = all
            .iter()
            .any(|image| image.reference == image_use.reference && !movable(image));
        if !may_stay && image_use.reference.registry() != host {
            stuck.push(format!(
                "{} ({}/{}, {} {})",
                image_use.reference,
                image_use.kind,
                image_use.object,
                image_use.container_type,
                image_use.container
            ));
        }
    }
    stuck.dedup();
    stuck
}

/// The pods of the proof render that pull a moved image without the platform's pull secret,
/// other than those the analysis knows no pull-secret key reaches.
fn pods_missing_secret(
    rendering: &crate::Rendering,
    rendered: &osc_render::Rendered,
    host: &str,
) -> Vec<String> {
    let unreached = &rendering.traps.pods_without_secret;
    let mut missing = Vec::new();
    for document in &rendered.documents {
        for pod in pods_pulling_without_secret(&document.value, host) {
            if !unreached.contains(&pod) && !missing.contains(&pod) {
                missing.push(pod);
            }
        }
    }
    missing
}

/// Sets a dotted path to true in a values tree.
fn set_path(root: &mut serde_norway::Value, path: &str) {
    let Ok(path) = osc_yaml::Path::parse(path) else {
        return;
    };
    let mut node = root;
    let segments = path.segments();
    for (index, segment) in segments.iter().enumerate() {
        let osc_yaml::Segment::Key(key) = segment else {
            return;
        };
        if !node.is_mapping() {
            *node = serde_norway::Value::Mapping(serde_norway::Mapping::new());
        }
        let Some(mapping) = node.as_mapping_mut() else {
            return;
        };
        let last = index + 1 == segments.len();
        node = mapping
            .entry(serde_norway::Value::String(key.clone()))
            .or_insert_with(|| {
                if last {
                    serde_norway::Value::Bool(true)
                } else {
                    serde_norway::Value::Mapping(serde_norway::Mapping::new())
                }
            });
        if last {
            *node = serde_norway::Value::Bool(true);
        }
    }
}

/// `Kind/name` of the pods of an object that pull from `host` without the platform's secret.
fn pods_pulling_without_secret(object: &serde_norway::Value, host: &str) -> Vec<String> {
    let Some(kind) = object.get("kind").and_then(serde_norway::Value::as_str) else {
        return Vec::new();
    };
    let Some(spec) = crate::lint::pods::pod_spec(object, kind) else {
        return Vec::new();
    };
    let pulls = ["containers", "initContainers"].iter().any(|list| {
        spec.get(list)
            .and_then(serde_norway::Value::as_sequence)
            .is_some_and(|containers| {
                containers.iter().any(|container| {
                    container
                        .get("image")
                        .and_then(serde_norway::Value::as_str)
                        .is_some_and(|image| image.starts_with(&format!("{host}/")))
                })
            })
    });
    let named = crate::lint::pods::has_secret(spec);
    let name = object
        .get("metadata")
        .and_then(|metadata| metadata.get("name"))
        .and_then(serde_norway::Value::as_str)
        .unwrap_or("");
    if pulls && !named {
        vec![format!("{kind}/{name}")]
    } else {
        Vec::new()
    }
}
