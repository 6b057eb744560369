//! Reading a chart from a directory or an archive into the files Helm would load, then sorting
//! them into a [`Chart`] the way Helm's `LoadFiles` does.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use osc_archive::{Budget, Format, Limits, Tree};

use crate::ignore::Rules;
use crate::{Chart, ChartFile, MAX_FILE_SIZE, metadata};

/// A chart that cannot be loaded; says which file, what is wrong and what to do
#[derive(Debug, thiserror::Error)]
#[error("{location}: {message}")]
pub struct LoadError {
    location: String,
    message: String,
}

impl LoadError {
    fn new(location: impl Into<String>, message: impl Into<String>) -> LoadError {
        LoadError {
            location: location.into(),
            message: message.into(),
        }
    }

    fn from_archive(error: osc_archive::Error) -> LoadError {
        LoadError::new(error.location(), error.message())
    }

    /// The file (and key or line, when known) the error is about.
    pub fn location(&self) -> &str {
        &self.location
    }
}

struct RawFile {
    path: String,
    data: Vec<u8>,
}

pub(crate) fn load(path: &Path) -> Result<Chart, LoadError> {
    let origin = path.display().to_string();
    let mut budget = Budget::new(Limits::DEPLOYABLE);
    let format = osc_archive::sniff(path).map_err(|error| {
        if std::fs::symlink_metadata(path).is_err() {
            LoadError::new(
                &origin,
                "no such file or directory: give a chart directory or a chart .tgz",
            )
        } else {
            LoadError::from_archive(error)
        }
    })?;
    let files = match format {
        Format::Dir => read_dir(path, &mut budget)?,
        Format::Tgz | Format::Tar => {
            let tree = osc_archive::read(path, &mut budget, &|_, _| false)
                .map_err(LoadError::from_archive)?;
            below_top_folder(tree)?
        }
        Format::Zip => {
            return Err(LoadError::new(
                origin,
                "a zip, not a chart archive: a chart is a folder or the .tgz `helm package` makes (a zip is an operator bundle or a package)",
            ));
        }
    };
    load_files(files, &origin, &mut budget)
}

fn read_dir(root: &Path, budget: &mut Budget) -> Result<Vec<RawFile>, LoadError> {
    let chart_yaml = root.join("Chart.yaml");
    if !chart_yaml.is_file() {
        return Err(LoadError::new(
            chart_yaml.display().to_string(),
            "missing: a chart directory has Chart.yaml at its top (is this the chart's folder?)",
        ));
    }
    let ignore_file = root.join(".helmignore");
    let rules = match std::fs::symlink_metadata(&ignore_file) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => Rules::default(),
        _ => {
            let data = osc_archive::read_regular_file(&ignore_file, &ignore_file, MAX_FILE_SIZE)
                .map_err(LoadError::from_archive)?;
            let text = String::from_utf8(data).map_err(|_| {
                LoadError::new(
                    ignore_file.display().to_string(),
                    "not UTF-8 text: save it as UTF-8",
                )
            })?;
            Rules::parse(&text).map_err(|error| {
                LoadError::new(ignore_file.display().to_string(), error.to_string())
            })?
        }
    }
    .with_defaults();
    let tree = osc_archive::read(root, budget, &|path, is_dir| {
        rules.ignores(path.as_str(), is_dir)
    })
    .map_err(LoadError::from_archive)?;
    Ok(tree
        .files
        .into_iter()
        .map(|file| RawFile {
            path: file.path.as_str().to_string(),
            data: strip_bom(file.data),
        })
        .collect())
}

fn strip_bom(mut data: Vec<u8>) -> Vec<u8> {
    if data.starts_with(&[0xEF, 0xBB, 0xBF]) {
        data.drain(..3);
    }
    data
}

/// A `helm package` archive has one top folder, which Helm strips whatever its name: files are
/// named by what lies below it. A file beside the top folder, or a path that two top folders
/// both hold, is refused (Helm would keep the last; a chart should not depend on that).
fn below_top_folder(tree: Tree) -> Result<Vec<RawFile>, LoadError> {
    let origin = tree.origin;
    let mut seen = std::collections::HashSet::new();
    let mut files = Vec::with_capacity(tree.files.len());
    for file in tree.files {
        let Some(relative) = file.path.strip_first() else {
            let message = if file.path.as_str() == "Chart.yaml" {
                "Chart.yaml is not inside a top folder: a chart archive has one top folder named after the chart; re-create it with `helm package`"
            } else {
                "a file outside the chart's top folder: a chart archive has one top folder named after the chart; re-create it with `helm package`"
            };
            return Err(LoadError::new(format!("{origin}: {}", file.path), message));
        };
        if !seen.insert(relative.clone()) {
            return Err(LoadError::new(
                format!("{origin}: {}", file.path),
                format!(
                    "`{relative}` is in the archive twice (under two top folders): Helm would keep only the last; re-create the archive with `helm package`"
                ),
            ));
        }
        files.push(RawFile {
            path: relative.as_str().to_string(),
            data: strip_bom(file.data),
        });
    }
    if files.is_empty() {
        return Err(LoadError::new(origin, "the archive holds no files"));
    }
    Ok(files)
}

/// Helm's `LoadFiles`: sort a chart's files into Chart.yaml, its own files and its subcharts.
fn load_files(files: Vec<RawFile>, origin: &str, budget: &mut Budget) -> Result<Chart, LoadError> {
    let chart_yaml_location = format!("{origin}: Chart.yaml");
    let Some(chart_yaml) = files.iter().find(|file| file.path == "Chart.yaml") else {
        return Err(LoadError::new(
            chart_yaml_location,
            "missing: a chart has Chart.yaml at its top",
        ));
    };
    let chart_yaml = String::from_utf8(chart_yaml.data.clone())
        .map_err(|_| LoadError::new(&chart_yaml_location, "not UTF-8 text: save it as UTF-8"))?;
    let metadata = metadata::parse(&chart_yaml)
        .map_err(|message| LoadError::new(&chart_yaml_location, message))?;
    check_folder_name(&metadata.name)
        .map_err(|message| LoadError::new(&chart_yaml_location, message))?;
    let v1 = metadata.api_version == "v1";

    let mut own: Vec<ChartFile> = Vec::new();
    let mut subcharts: BTreeMap<String, Vec<RawFile>> = BTreeMap::new();
    for file in files {
        match file.path.as_str() {
            "Chart.yaml" => {}
            // Only v1 charts keep their requirements files; v2 charts declare dependencies in Chart.yaml.
            "requirements.yaml" | "requirements.lock" if !v1 => {}
            "Chart.lock" if v1 => {}
            path if path.starts_with("charts/") && !path.ends_with(".prov") => {
                let below = &path["charts/".len()..];
                let name = below.split('/').next().unwrap_or(below).to_string();
                subcharts.entry(name).or_default().push(RawFile {
                    path: below.to_string(),
                    data: file.data,
                });
            }
            _ => own.push(ChartFile {
                path: file.path,
                data: file.data,
            }),
        }
    }
    sort_like_helm_save(&mut own);

    let mut dependencies = Vec::new();
    for (name, files) in subcharts {
        if name.starts_with('_') || name.starts_with('.') {
            continue;
        }
        let location = format!("{origin}: charts/{name}");
        let dependency = if name.ends_with(".tgz") {
            let Some(file) = files.into_iter().find(|file| file.path == name) else {
                continue;
            };
            let tree = osc_archive::read_nested(&file.data, &location, budget)
                .map_err(LoadError::from_archive)?;
            load_files(below_top_folder(tree)?, &location, budget)?
        } else {
            let files: Vec<RawFile> = files
                .into_iter()
                .filter_map(|file| {
                    let (_, below) = file.path.split_once('/')?;
                    Some(RawFile {
                        path: below.to_string(),
                        data: file.data,
                    })
                })
                .collect();
            if files.is_empty() {
                return Err(LoadError::new(
                    location,
                    "a file in charts/ that is neither a chart folder nor a chart .tgz: Helm refuses it; move it or list it in .helmignore",
                ));
            }
            load_files(files, &location, budget)?
        };
        if let Some(twin) = dependencies
            .iter()
            .find(|loaded: &&Chart| loaded.metadata.name == dependency.metadata.name)
        {
            return Err(LoadError::new(
                location,
                format!(
                    "a second subchart named `{}` (as is {} {}): `helm package` puts both into charts/{}/, and one of them is lost; give each subchart its own name",
                    dependency.metadata.name,
                    twin.metadata.name,
                    twin.metadata.version,
                    dependency.metadata.name
                ),
            ));
        }
        dependencies.push(dependency);
    }
    dependencies.sort_by(|a: &Chart, b: &Chart| a.metadata.name.cmp(&b.metadata.name));
    Ok(Chart {
        metadata,
        chart_yaml,
        files: own,
        dependencies,
    })
}

/// `helm package` writes Chart.lock, values.yaml and values.schema.json first, then templates, then
/// the rest, each group in load order.
fn sort_like_helm_save(files: &mut [ChartFile]) {
    let rank = |path: &str| match path {
        "Chart.lock" => 0,
        "values.yaml" => 1,
        "values.schema.json" => 2,
        path if path.starts_with("templates/") => 3,
        _ => 4,
    };
    files.sort_by_key(|file| rank(&file.path));
}

/// `helm package` writes a chart (and each subchart, under `charts/`) into a folder named after
/// Chart.yaml's `name`; a name that cannot be such a folder, or that Helm's loader skips or takes
/// for an archive there, would make a package that loads back without it, or not at all.
fn check_folder_name(name: &str) -> Result<(), String> {
    let why = if name.is_empty() {
        "is empty"
    } else if matches!(name, "." | "..") || name.contains(['/', '\\', '\0']) {
        "is not a folder name"
    } else if name.starts_with(['.', '_']) {
        "starts with `.` or `_`, which Helm skips in charts/"
    } else if name.ends_with(".tgz") || name.ends_with(".prov") {
        "ends like a chart archive or its provenance file, which Helm reads as a file in charts/"
    } else {
        return Ok(());
    };
    Err(format!(
        "`name: {name}` {why}: `helm package` names the chart's folder after it; use letters, digits, `-`, `_` and `.`"
    ))
}
