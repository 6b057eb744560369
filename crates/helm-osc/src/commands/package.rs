//! `helm osc package SOURCE`: a chart becomes `{name}-{version}.zip` and its `.sha256`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use osc_chart::Chart;
use osc_package::{Deployable, DeployableSource, PackageSpec, rules};
use serde::Serialize;

use crate::Outcome;
use crate::cli::PackageArgs;
use crate::commands::discovery;
use crate::commands::{human_bytes, lint};
use crate::env::HelmEnv;
use crate::output::{Format, Output};

#[derive(Serialize)]
struct Report {
    ok: bool,
    zip: String,
    sha256: String,
    sha256_file: String,
    name: String,
    version: String,
    deployable: DeployableReport,
    annotations: Vec<(String, String)>,
    fixes: Vec<osc_traps::Fix>,
    unmovable: Vec<osc_traps::Unmovable>,
    bytes: u64,
    entries: Vec<EntryReport>,
}

#[derive(Serialize)]
struct DeployableReport {
    kind: &'static str,
    name: String,
    version: String,
    archive: String,
}

#[derive(Serialize)]
struct EntryReport {
    path: String,
    size: u64,
    crc32: String,
}

pub fn run(args: &PackageArgs, env: &HelmEnv, output: &Output) -> Result<Outcome> {
    lint::before_packaging(args, env, output)?;
    let annotations = annotations(args);
    let pairs: Vec<(&str, &str)> = annotations
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let built = match Source::load(&args.source)? {
        Source::Chart(chart) => build_chart(*chart, args, &pairs, env, output)?,
        Source::Bundle(bundle) => build_bundle(*bundle, args, &pairs, output)?,
    };
    rules::deployable_size(&built.deployable_name, built.deployable.len() as u64)?;

    let images = image_tars(args.images.as_deref(), output)?;
    let mapping_file = args.mapping.clone().or_else(|| {
        let beside = args.images.as_ref()?.join("mapping.yaml");
        beside.is_file().then_some(beside)
    });
    let mapping = match &mapping_file {
        Some(path) => Some(read_mapping(path)?),
        None => None,
    };
    if let (Some(path), None) = (&mapping_file, &args.mapping) {
        output.note(format_args!("using {} (found in --images)", path.display()));
    }

    warn_if_inside_source(&args.source, &args.destination, output);
    output.status(
        "Packaging",
        format_args!(
            "{} {} ({} {} {}, {} image tars)",
            built.name,
            built.version,
            built.kind,
            built.source_name,
            built.source_version,
            images.len()
        ),
    );
    let spec = PackageSpec {
        name: built.name.clone(),
        version: built.version.clone(),
        deployable: Deployable {
            file_name: built.deployable_name.clone(),
            source: DeployableSource::Bytes(built.deployable),
        },
        images,
        mapping,
        extends: Vec::new(),
    };
    let total = spec
        .images
        .iter()
        .filter_map(|tar| tar.metadata().ok())
        .map(|meta| meta.len())
        .sum();
    let progress = output.progress(total, "Copying");
    let written = osc_package::write(&spec, &args.destination, &mut |step| {
        progress.set(step.done)
    });
    progress.finish();
    let written = written?;

    let report = Report {
        ok: true,
        zip: written.zip.display().to_string(),
        sha256: written.sha256.clone(),
        sha256_file: written.sha256_file.display().to_string(),
        name: built.name,
        version: built.version,
        deployable: DeployableReport {
            kind: built.kind,
            name: built.source_name,
            version: built.source_version,
            archive: built.deployable_name,
        },
        annotations,
        fixes: built.traps.fixes,
        unmovable: built.traps.unmovable,
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
    };
    match output.format() {
        Format::Json | Format::Yaml => output.structured(&report),
        Format::Text => print_text(&report, output),
    }
    Ok(Outcome::Clean)
}

/// What a package is made from: a Helm chart or an Operator-Framework bundle.
pub(crate) enum Source {
    Chart(Box<Chart>),
    Bundle(Box<osc_csv::Bundle>),
}

impl Source {
    /// The bundle at `path`, or None when it is a chart.
    pub(crate) fn bundle(path: &Path) -> Result<Option<osc_csv::Bundle>> {
        if Self::is_chart(path) {
            return Ok(None);
        }
        Ok(Some(osc_csv::load(path).with_context(|| {
            format!("{}: loading the operator bundle", path.display())
        })?))
    }

    fn is_chart(path: &Path) -> bool {
        if path.is_dir() {
            path.join("Chart.yaml").is_file() || !looks_like_bundle(path)
        } else {
            !path
                .extension()
                .is_some_and(|ext| ext.eq_ignore_ascii_case("zip"))
        }
    }

    /// A folder with Chart.yaml or a `.tgz` is a chart; a folder or `.zip` with a
    /// ClusterServiceVersion is a bundle.
    pub(crate) fn load(path: &Path) -> Result<Source> {
        Ok(match Self::bundle(path)? {
            Some(bundle) => Source::Bundle(Box::new(bundle)),
            None => Source::Chart(Box::new(Chart::load(path)?)),
        })
    }
}

fn looks_like_bundle(dir: &Path) -> bool {
    dir.join("manifests").is_dir()
        || std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .any(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                name.ends_with(".package.yaml") || name.ends_with(".clusterserviceversion.yaml")
            })
}

/// The deployable and the names a package is built from.
struct Built {
    kind: &'static str,
    name: String,
    version: String,
    source_name: String,
    source_version: String,
    deployable_name: String,
    deployable: Vec<u8>,
    /// The platform traps fixed in the packaged values.yaml, and the images that cannot move.
    traps: osc_traps::Traps,
}

fn service_name_and_version(
    args: &PackageArgs,
    default_name: &str,
    name_from: &str,
    default_version: &str,
    version_from: &str,
) -> Result<(String, String)> {
    let (name, name_from) = match &args.name {
        Some(name) => (name.clone(), "--name"),
        None => (default_name.to_string(), name_from),
    };
    rules::service_name(&name).with_context(|| format!("{name_from}: service name `{name}`"))?;
    let (version, version_from) = match &args.service_version {
        Some(version) => (version.clone(), "--version"),
        None => (default_version.to_string(), version_from),
    };
    rules::version(&version).with_context(|| format!("{version_from}: version `{version}`"))?;
    Ok((name, version))
}

fn build_chart(
    mut chart: Chart,
    args: &PackageArgs,
    annotations: &[(&str, &str)],
    env: &HelmEnv,
    output: &Output,
) -> Result<Built> {
    output.debug(format_args!(
        "loaded chart {} {} from {}",
        chart.name(),
        chart.version(),
        args.source.display()
    ));
    let (name, version) = service_name_and_version(
        args,
        chart.name(),
        "Chart.yaml `name`",
        chart.version(),
        "Chart.yaml `version`",
    )?;
    require_chart_contact(&chart, &args.source)?;
    let traps = fix_traps(&mut chart, args, env, output)?;
    chart.set_annotations(annotations)?;
    if let Some(osc_package) =
        osc_format_deployable(args, |options| osc_format::convert_chart(&chart, options))?
    {
        return Ok(Built {
            kind: "chart (OSC format)",
            name: name.clone(),
            version: version.clone(),
            source_name: chart.name().to_string(),
            source_version: chart.version().to_string(),
            deployable_name: format!("{name}-{version}.zip"),
            deployable: osc_package,
            traps,
        });
    }
    let deployable = chart
        .write_archive(Vec::new())
        .context("writing the chart archive in memory")?;
    Ok(Built {
        kind: "chart",
        name,
        version,
        source_name: chart.name().to_string(),
        source_version: chart.version().to_string(),
        deployable_name: chart.archive_file_name(),
        deployable,
        traps,
    })
}

fn build_bundle(
    bundle: osc_csv::Bundle,
    args: &PackageArgs,
    annotations: &[(&str, &str)],
    output: &Output,
) -> Result<Built> {
    let csv = &bundle.csv;
    output.debug(format_args!(
        "loaded operator bundle {} {} from {}",
        csv.name,
        csv.version,
        args.source.display()
    ));
    let csv_file = bundle.csv_file.display().to_string();
    let default_name = bundle
        .package_name
        .clone()
        .unwrap_or_else(|| csv_name_without_version(&csv.name));
    let name_from = if bundle.package_name.is_some() {
        "the bundle's package name"
    } else {
        "the CSV's `metadata.name`"
    };
    let (name, version) = service_name_and_version(
        args,
        &default_name,
        name_from,
        &csv.version,
        &format!("{csv_file}: `spec.version`"),
    )?;
    require_operator_contact(csv, &csv_file)?;
    let mut editor = osc_csv::CsvEditor::new(&bundle);
    for (key, value) in annotations {
        editor
            .set_annotation(key, value)
            .with_context(|| format!("{csv_file}: setting `metadata.annotations.{key}`"))?;
    }
    if let Some(osc_package) =
        osc_format_deployable(args, |options| osc_format::convert_bundle(&bundle, options))?
    {
        return Ok(Built {
            kind: "operator (OSC format)",
            name: name.clone(),
            version: version.clone(),
            source_name: csv.name.clone(),
            source_version: csv.version.clone(),
            deployable_name: format!("{name}-{version}.zip"),
            deployable: osc_package,
            traps: osc_traps::Traps {
                fixes: Vec::new(),
                unmovable: Vec::new(),
            },
        });
    }
    let files = osc_csv::bundle_files(&bundle, editor.text())?;
    let deployable =
        osc_package::zip_files(&name, &files).context("zipping the bundle in memory")?;
    Ok(Built {
        kind: "operator",
        name: name.clone(),
        version: version.clone(),
        source_name: csv.name.clone(),
        source_version: csv.version.clone(),
        deployable_name: format!("{name}-{version}.zip"),
        deployable,
        traps: osc_traps::Traps {
            fixes: Vec::new(),
            unmovable: Vec::new(),
        },
    })
}

/// With `--version-definition`, the deployable is the OSC-format package carrying it (the
/// decision of docs/version-definition.md#where-it-lives: a versionDefinition lives in the CSD,
/// which only that format has).
fn osc_format_deployable(
    args: &PackageArgs,
    convert: impl FnOnce(
        &osc_format::ConvertOptions,
    ) -> Result<osc_format::OscPackage, osc_format::ConvertError>,
) -> Result<Option<Vec<u8>>> {
    let Some(file) = &args.version_definition else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("--version-definition {}", file.display()))?;
    let definition = osc_versiondef::read_from_csd(&text)
        .with_context(|| file.display().to_string())?
        .with_context(|| {
            format!(
                "{}: no `versionDefinition` in it; write one with `helm osc version-definition`",
                file.display()
            )
        })?;
    let non_empty = |values: &Vec<String>| (!values.is_empty()).then(|| values.clone());
    let options = osc_format::ConvertOptions {
        version_definition: Some(definition),
        source: Some(args.provider_source.clone()),
        categories: args.category.clone().map(|category| vec![category]),
        architecture: non_empty(&args.arch),
        scenes: non_empty(&args.scenes),
        ..Default::default()
    };
    let package = convert(&options)?;
    let mut zip = std::io::Cursor::new(Vec::new());
    package
        .write_zip(&mut zip)
        .context("writing the OSC-format package in memory")?;
    Ok(Some(zip.into_inner()))
}

/// Finds the platform traps with Helm and fixes the packaged values.yaml (never the user's file);
/// refuses with the list under `--no-fix`, and on images that cannot move unless allowed.
fn fix_traps(
    chart: &mut Chart,
    args: &PackageArgs,
    env: &HelmEnv,
    output: &Output,
) -> Result<osc_traps::Traps> {
    if env.helm().is_none() {
        output.warn("no helm found (set HELM_BIN or put helm on PATH): the chart's images and platform traps are not checked");
        return Ok(osc_traps::Traps {
            fixes: Vec::new(),
            unmovable: Vec::new(),
        });
    }
    let render = crate::cli::RenderArgs {
        values: Vec::new(),
        namespace: None,
    };
    let analysed = discovery::analyse(&args.source, chart, &render, env, output)?;
    let traps = analysed.traps;
    if args.no_fix && !traps.fixes.is_empty() {
        let list: Vec<String> = traps
            .fixes
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
        bail!(
            "{}: the chart would break once the platform rewrites its images (--no-fix):\n{}\nfix these in values.yaml, or drop --no-fix to have them fixed in the package",
            args.source.display(),
            list.join("\n")
        );
    }
    discovery::report_traps(&traps, output);
    if !traps.unmovable.is_empty() && !args.allow_unmovable {
        bail!(
            "{}: {} image(s) cannot be moved to the platform's registry (listed above) and would still pull from their old registry; change the chart as each says, or pass --allow-unmovable",
            args.source.display(),
            traps.unmovable.len()
        );
    }
    if analysed.fixed_values != analysed.values {
        chart.set_file("values.yaml", analysed.fixed_values.into_bytes());
    }
    Ok(traps)
}

/// `etcdoperator.v0.9.4` → `etcdoperator`: OLM names CSVs `<package>.v<version>`.
fn csv_name_without_version(csv_name: &str) -> String {
    match csv_name.split_once(".v") {
        Some((base, rest)) if rest.starts_with(|c: char| c.is_ascii_digit()) => base.to_string(),
        _ => match csv_name.split_once('.') {
            Some((base, rest)) if rest.starts_with(|c: char| c.is_ascii_digit()) => {
                base.to_string()
            }
            _ => csv_name.to_string(),
        },
    }
}

/// The platform refuses to publish an operator nobody can be reached for.
fn require_operator_contact(csv: &osc_csv::Csv, csv_file: &str) -> Result<()> {
    let maintainer = csv
        .maintainers
        .iter()
        .any(|m| m.email.as_deref().is_some_and(|email| !email.is_empty()));
    let provider = csv.provider.as_ref().is_some_and(|p| {
        p.name.as_deref().is_some_and(|n| !n.is_empty())
            && (p.url.as_deref().is_some_and(|u| !u.is_empty())
                || p.email.as_deref().is_some_and(|e| !e.is_empty()))
    });
    if maintainer || provider {
        return Ok(());
    }
    bail!(
        "{csv_file}: no `spec.maintainers` with an email and no `spec.provider` with a url or email: OSC refuses to publish a service without a contact; add\n  maintainers:\n    - name: Your Team\n      email: team@example.com"
    )
}

fn print_text(report: &Report, output: &Output) {
    output.status(
        "Finished",
        format_args!(
            "{} ({}, {} files)",
            report.zip,
            human_bytes(report.bytes),
            report.entries.len()
        ),
    );
    output.text(&report.zip);
    let width = report
        .entries
        .iter()
        .map(|entry| entry.path.len())
        .max()
        .unwrap_or(0);
    for entry in &report.entries {
        output.text(format_args!(
            "  {:<width$}  {:>10}",
            entry.path,
            human_bytes(entry.size)
        ));
    }
    output.text(format_args!(
        "sha256 {} (in {})",
        report.sha256, report.sha256_file
    ));
}

/// The platform refuses to publish a service nobody can be reached for.
fn require_chart_contact(chart: &Chart, source: &Path) -> Result<()> {
    let metadata = chart.metadata();
    if metadata.maintainers.iter().any(|maintainer| {
        !maintainer.name.is_empty() && (!maintainer.email.is_empty() || !maintainer.url.is_empty())
    }) {
        return Ok(());
    }
    let why = if metadata.maintainers.is_empty() {
        "no `maintainers`"
    } else {
        "no maintainer has both a `name` and an `email` (or `url`)"
    };
    bail!(
        "{}: {why}: OSC refuses to publish a service without a contact; add\n  maintainers:\n    - name: Your Team\n      email: team@example.com",
        source.join("Chart.yaml").display()
    )
}

/// The tars in `--images`, sorted; other files there are named and left out.
fn image_tars(dir: Option<&Path>, output: &Output) -> Result<Vec<PathBuf>> {
    let Some(dir) = dir else {
        return Ok(Vec::new());
    };
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("--images {}: cannot read the folder", dir.display()))?;
    let mut tars = Vec::new();
    for entry in entries {
        let path = entry
            .with_context(|| format!("--images {}", dir.display()))?
            .path();
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.ends_with(".tar") {
            rules::image_tar_name(&name).with_context(|| format!("{}", path.display()))?;
            tars.push(path);
        } else if name != "mapping.yaml" && !name.starts_with('.') {
            output.warn(format_args!(
                "{}: not a .tar, left out of the package (image tars are `docker save` archives named *.tar)",
                path.display()
            ));
        }
    }
    tars.sort();
    Ok(tars)
}

fn read_mapping(path: &Path) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).with_context(|| format!("--mapping {}", path.display()))?;
    serde_norway::from_slice::<serde_norway::Value>(&bytes).with_context(|| {
        format!(
            "{}: not valid YAML; fix it or generate one with `helm osc mapping`",
            path.display()
        )
    })?;
    Ok(bytes)
}

/// The Chart.yaml annotations the package carries: the source mark always, the rest when given.
fn annotations(args: &PackageArgs) -> Vec<(String, String)> {
    let mut pairs = vec![("source".to_string(), args.provider_source.clone())];
    if let Some(category) = &args.category {
        pairs.push(("categories".to_string(), category.clone()));
    }
    if !args.arch.is_empty() {
        pairs.push(("architecture".to_string(), dedup(&args.arch).join(",")));
    }
    if !args.scenes.is_empty() {
        pairs.push(("scenes".to_string(), dedup(&args.scenes).join(",")));
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

/// A package written inside the chart folder would be packaged into the chart the next time.
fn warn_if_inside_source(source: &Path, destination: &Path, output: &Output) {
    if !source.is_dir() {
        return;
    }
    let (Ok(source), Ok(destination)) = (source.canonicalize(), std::path::absolute(destination))
    else {
        return;
    };
    if destination.starts_with(&source) {
        output.warn(format_args!(
            "the package is written inside the chart folder {}: the next `helm osc package` would put it into the chart; use -d elsewhere or add `*.zip` and `*.zip.sha256` to .helmignore",
            source.display()
        ));
    }
}
