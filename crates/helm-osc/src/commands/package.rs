//! `helm osc package SOURCE`: a chart becomes `{name}-{version}.zip` and its `.sha256`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use osc_chart::Chart;
use osc_package::{Deployable, DeployableSource, PackageSpec, rules};
use serde::Serialize;

use crate::Outcome;
use crate::cli::PackageArgs;
use crate::commands::human_bytes;
use crate::output::{Format, Output};

#[derive(Serialize)]
struct Report {
    ok: bool,
    zip: String,
    sha256: String,
    sha256_file: String,
    name: String,
    version: String,
    chart: ChartReport,
    annotations: Vec<(String, String)>,
    bytes: u64,
    entries: Vec<EntryReport>,
}

#[derive(Serialize)]
struct ChartReport {
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

pub fn run(args: &PackageArgs, output: &Output) -> Result<Outcome> {
    let mut chart = Chart::load(&args.source)?;
    output.debug(format_args!("loaded chart {} {} from {}", chart.name(), chart.version(), args.source.display()));

    let (name, name_from) = match &args.name {
        Some(name) => (name.clone(), "--name".to_string()),
        None => (chart.name().to_string(), "Chart.yaml `name`".to_string()),
    };
    rules::service_name(&name).with_context(|| format!("{name_from}: service name `{name}`"))?;
    let (version, version_from) = match &args.service_version {
        Some(version) => (version.clone(), "--version".to_string()),
        None => (chart.version().to_string(), "Chart.yaml `version`".to_string()),
    };
    rules::version(&version).with_context(|| format!("{version_from}: version `{version}`"))?;
    require_contact(&chart, &args.source)?;

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

    let annotations = annotations(args);
    let pairs: Vec<(&str, &str)> = annotations.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    chart.set_annotations(&pairs)?;
    let archive = chart
        .write_archive(Vec::new())
        .context("writing the chart archive in memory")?;
    let archive_name = chart.archive_file_name();
    rules::deployable_size(&archive_name, archive.len() as u64)?;

    warn_if_inside_source(&args.source, &args.destination, output);
    output.status(
        "Packaging",
        format_args!("{name} {version} (chart {} {}, {} image tars)", chart.name(), chart.version(), images.len()),
    );
    let spec = PackageSpec {
        name: name.clone(),
        version: version.clone(),
        deployable: Deployable {
            file_name: archive_name.clone(),
            source: DeployableSource::Bytes(archive),
        },
        images,
        mapping,
        extends: Vec::new(),
    };
    let total = spec.images.iter().filter_map(|tar| tar.metadata().ok()).map(|meta| meta.len()).sum();
    let progress = output.progress(total, "Copying");
    let written = osc_package::write(&spec, &args.destination, &mut |step| progress.set(step.done));
    progress.finish();
    let written = written?;

    let report = Report {
        ok: true,
        zip: written.zip.display().to_string(),
        sha256: written.sha256.clone(),
        sha256_file: written.sha256_file.display().to_string(),
        name,
        version,
        chart: ChartReport {
            name: chart.name().to_string(),
            version: chart.version().to_string(),
            archive: archive_name,
        },
        annotations,
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
        Format::Json => output.json(&report),
        Format::Text => print_text(&report, output),
    }
    Ok(Outcome::Clean)
}

fn print_text(report: &Report, output: &Output) {
    output.status(
        "Finished",
        format_args!("{} ({}, {} files)", report.zip, human_bytes(report.bytes), report.entries.len()),
    );
    output.text(&report.zip);
    let width = report.entries.iter().map(|entry| entry.path.len()).max().unwrap_or(0);
    for entry in &report.entries {
        output.text(format_args!("  {:<width$}  {:>10}", entry.path, human_bytes(entry.size)));
    }
    output.text(format_args!("sha256 {} (in {})", report.sha256, report.sha256_file));
}

/// The platform refuses to publish a service nobody can be reached for.
fn require_contact(chart: &Chart, source: &Path) -> Result<()> {
    let metadata = chart.metadata();
    if metadata
        .maintainers
        .iter()
        .any(|maintainer| !maintainer.name.is_empty() && (!maintainer.email.is_empty() || !maintainer.url.is_empty()))
    {
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
    let entries = std::fs::read_dir(dir).with_context(|| format!("--images {}: cannot read the folder", dir.display()))?;
    let mut tars = Vec::new();
    for entry in entries {
        let path = entry.with_context(|| format!("--images {}", dir.display()))?.path();
        let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
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
    serde_yaml::from_slice::<serde_yaml::Value>(&bytes)
        .with_context(|| format!("{}: not valid YAML; fix it or generate one with `helm osc mapping`", path.display()))?;
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
    let (Ok(source), Ok(destination)) = (source.canonicalize(), std::path::absolute(destination)) else {
        return;
    };
    if destination.starts_with(&source) {
        output.warn(format_args!(
            "the package is written inside the chart folder {}: the next `helm osc package` would put it into the chart; use -d elsewhere or add `*.zip` and `*.zip.sha256` to .helmignore",
            source.display()
        ));
    }
}
