//! Reading a chart from a directory or an archive into the files Helm would load, then sorting
//! them into a [`Chart`] the way Helm's `LoadFiles` does.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

use flate2::read::GzDecoder;

use crate::ignore::Rules;
use crate::{Chart, ChartFile, MAX_CHART_SIZE, MAX_FILE_SIZE, metadata};

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

    fn io(path: &Path, error: io::Error) -> LoadError {
        LoadError::new(path.display().to_string(), error.to_string())
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
    let meta = fs::metadata(path).map_err(|error| {
        if error.kind() == io::ErrorKind::NotFound {
            LoadError::new(
                path.display().to_string(),
                "no such file or directory: give a chart directory or a chart .tgz",
            )
        } else {
            LoadError::io(path, error)
        }
    })?;
    let (files, origin) = if meta.is_dir() {
        (read_dir(path)?, path.display().to_string())
    } else {
        let file = fs::File::open(path).map_err(|error| LoadError::io(path, error))?;
        (
            read_archive(file, &path.display().to_string())?,
            path.display().to_string(),
        )
    };
    load_files(files, &origin)
}

fn read_dir(root: &Path) -> Result<Vec<RawFile>, LoadError> {
    let root = fs::canonicalize(root).map_err(|error| LoadError::io(root, error))?;
    if !root.join("Chart.yaml").is_file() {
        return Err(LoadError::new(
            root.join("Chart.yaml").display().to_string(),
            "missing: a chart directory has Chart.yaml at its top (is this the chart's folder?)",
        ));
    }
    let ignore_file = root.join(".helmignore");
    let rules = match fs::read_to_string(&ignore_file) {
        Ok(text) => Rules::parse(&text).map_err(|error| {
            LoadError::new(ignore_file.display().to_string(), error.to_string())
        })?,
        Err(error) if error.kind() == io::ErrorKind::NotFound => Rules::default(),
        Err(error) => return Err(LoadError::io(&ignore_file, error)),
    }
    .with_defaults();
    let mut walker = DirWalker {
        root: root.clone(),
        rules,
        files: Vec::new(),
        total: 0,
    };
    walker.walk(&root, "")?;
    Ok(walker.files)
}

/// Deep enough for any real chart, shallow enough to stop a symbolic link loop.
const MAX_DEPTH: usize = 64;

struct DirWalker {
    root: PathBuf,
    rules: Rules,
    files: Vec<RawFile>,
    total: u64,
}

impl DirWalker {
    /// Helm walks each directory's entries sorted by name, depth first, following symbolic links.
    fn walk(&mut self, dir: &Path, relative: &str) -> Result<(), LoadError> {
        let mut names: Vec<String> = Vec::new();
        for entry in fs::read_dir(dir).map_err(|error| LoadError::io(dir, error))? {
            let entry = entry.map_err(|error| LoadError::io(dir, error))?;
            match entry.file_name().into_string() {
                Ok(name) => names.push(name),
                Err(name) => {
                    return Err(LoadError::new(
                        dir.join(&name).display().to_string(),
                        "the file name is not UTF-8: rename it",
                    ));
                }
            }
        }
        names.sort();
        for name in names {
            let path = dir.join(&name);
            let relative = if relative.is_empty() {
                name.clone()
            } else {
                format!("{relative}/{name}")
            };
            let meta = self.follow(&path, &relative)?;
            if meta.is_dir() && relative.matches('/').count() >= MAX_DEPTH {
                return Err(LoadError::new(
                    path.display().to_string(),
                    format!(
                        "more than {MAX_DEPTH} folders deep: is there a symbolic link to a parent folder?"
                    ),
                ));
            }
            if meta.is_dir() {
                if !self.rules.ignores(&relative, true) {
                    self.walk(&path, &relative)?;
                }
                continue;
            }
            if self.rules.ignores(&relative, false) {
                continue;
            }
            if !meta.is_file() {
                return Err(LoadError::new(
                    path.display().to_string(),
                    "not a regular file (a device, socket or pipe): Helm cannot package it; remove it or list it in .helmignore",
                ));
            }
            if meta.len() > MAX_FILE_SIZE {
                return Err(LoadError::new(
                    path.display().to_string(),
                    format!(
                        "{} bytes is more than Helm's limit of {MAX_FILE_SIZE} bytes for a chart file: list it in .helmignore",
                        meta.len()
                    ),
                ));
            }
            self.total += meta.len();
            if self.total > MAX_CHART_SIZE {
                return Err(LoadError::new(
                    self.root.display().to_string(),
                    format!(
                        "the chart is larger than Helm's limit of {MAX_CHART_SIZE} bytes: list large files in .helmignore"
                    ),
                ));
            }
            let data = fs::read(&path).map_err(|error| LoadError::io(&path, error))?;
            self.files.push(RawFile {
                path: relative,
                data: strip_bom(data),
            });
        }
        Ok(())
    }

    /// Helm includes what a symbolic link points to; we do too, but only inside the chart, so a
    /// package never carries files from elsewhere on the provider's machine.
    fn follow(&self, path: &Path, relative: &str) -> Result<fs::Metadata, LoadError> {
        let link_meta = fs::symlink_metadata(path).map_err(|error| LoadError::io(path, error))?;
        if !link_meta.file_type().is_symlink() {
            return Ok(link_meta);
        }
        let target = fs::canonicalize(path).map_err(|error| {
            LoadError::new(
                path.display().to_string(),
                format!("a symbolic link that cannot be followed ({error}): fix or remove it"),
            )
        })?;
        if !target.starts_with(&self.root) {
            return Err(LoadError::new(
                path.display().to_string(),
                format!(
                    "`{relative}` is a symbolic link to {}, outside the chart: copy the file into the chart instead",
                    target.display()
                ),
            ));
        }
        fs::metadata(&target).map_err(|error| LoadError::io(&target, error))
    }
}

fn strip_bom(mut data: Vec<u8>) -> Vec<u8> {
    if data.starts_with(&[0xEF, 0xBB, 0xBF]) {
        data.drain(..3);
    }
    data
}

/// Reads a `helm package` archive: one top folder, which Helm strips whatever its name.
fn read_archive(input: impl Read, origin: &str) -> Result<Vec<RawFile>, LoadError> {
    let mut archive = tar::Archive::new(GzDecoder::new(input));
    let corrupt = |error: io::Error| {
        LoadError::new(
            origin,
            format!(
                "not a readable chart archive ({error}): give a .tgz made by `helm package` or a chart directory"
            ),
        )
    };
    let mut files: Vec<RawFile> = Vec::new();
    let mut links: Vec<(String, String)> = Vec::new();
    let mut remaining = MAX_CHART_SIZE;
    for entry in archive.entries().map_err(corrupt)? {
        let mut entry = entry.map_err(corrupt)?;
        let raw_name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let entry_type = entry.header().entry_type();
        if entry_type.is_dir()
            || entry_type.is_pax_global_extensions()
            || entry_type.is_pax_local_extensions()
        {
            continue;
        }
        let location = format!("{origin}: {raw_name}");
        let relative =
            chart_relative(&raw_name).map_err(|message| LoadError::new(&location, message))?;
        if entry_type.is_symlink() || entry_type.is_hard_link() {
            let target = entry
                .link_name_bytes()
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                .unwrap_or_default();
            let resolved = if entry_type.is_hard_link() {
                chart_relative(&target).ok()
            } else {
                resolve_symlink(&relative, &target)
            };
            match resolved {
                Some(resolved) => links.push((relative, resolved)),
                None => {
                    return Err(LoadError::new(
                        location,
                        format!(
                            "a link to `{target}`, outside the chart's top folder: a chart archive must hold only its own files; re-create it with `helm package`"
                        ),
                    ));
                }
            }
            continue;
        }
        if !entry_type.is_file() && !entry_type.is_contiguous() {
            return Err(LoadError::new(
                location,
                "not a regular file: a chart archive holds only files; re-create it with `helm package`",
            ));
        }
        let size = entry.header().size().map_err(corrupt)?;
        if size > MAX_FILE_SIZE {
            return Err(LoadError::new(
                location,
                format!(
                    "{size} bytes is more than Helm's limit of {MAX_FILE_SIZE} bytes for a chart file"
                ),
            ));
        }
        if size > remaining {
            return Err(LoadError::new(
                origin,
                format!("the chart is larger than Helm's limit of {MAX_CHART_SIZE} bytes"),
            ));
        }
        remaining -= size;
        let mut data = Vec::with_capacity(size as usize);
        entry.read_to_end(&mut data).map_err(corrupt)?;
        files.push(RawFile {
            path: relative,
            data: strip_bom(data),
        });
    }
    for (link, target) in links {
        let data = files
            .iter()
            .find(|file| file.path == target)
            .map(|file| file.data.clone())
            .ok_or_else(|| {
                LoadError::new(
                    format!("{origin}: {link}"),
                    format!("a link to `{target}`, which the archive does not hold"),
                )
            })?;
        files.push(RawFile { path: link, data });
    }
    if files.is_empty() {
        return Err(LoadError::new(origin, "the archive holds no files"));
    }
    Ok(files)
}

/// The path below the archive's top folder, refusing what Helm refuses (absolute paths, `..`,
/// files beside the top folder, Windows drive letters).
fn chart_relative(raw_name: &str) -> Result<String, String> {
    let name = raw_name.replace('\\', "/");
    if name.starts_with('/') {
        return Err(
            "an absolute path: a chart archive holds only paths below its top folder".to_string(),
        );
    }
    let (top, rest) = name.split_once('/').unwrap_or((name.as_str(), ""));
    if top == "Chart.yaml" {
        return Err("Chart.yaml is not inside a top folder: a chart archive has one top folder named after the chart".to_string());
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in rest.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err("a path outside the chart's top folder (`..`): re-create the archive with `helm package`".to_string());
                }
            }
            part => parts.push(part),
        }
    }
    if parts.is_empty() {
        return Err("a file outside the chart's top folder: a chart archive has one top folder named after the chart".to_string());
    }
    if top == ".." || top.is_empty() {
        return Err("a path outside the chart's top folder (`..`)".to_string());
    }
    let relative = parts.join("/");
    let bytes = relative.as_bytes();
    if bytes.len() >= 3 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' && bytes[2] == b'/' {
        return Err("a Windows drive path: a chart archive holds only relative paths".to_string());
    }
    Ok(relative)
}

/// Where a symbolic link at `link` (chart-relative) pointing to `target` lands, when inside the chart.
fn resolve_symlink(link: &str, target: &str) -> Option<String> {
    if target.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = link.split('/').collect();
    parts.pop();
    for component in Path::new(target).components() {
        match component {
            Component::Normal(part) => parts.push(part.to_str()?),
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// Helm's `LoadFiles`: sort a chart's files into Chart.yaml, its own files and its subcharts.
fn load_files(files: Vec<RawFile>, origin: &str) -> Result<Chart, LoadError> {
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
            let files = read_archive(file.data.as_slice(), &location)?;
            load_files(files, &location)?
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
            load_files(files, &location)?
        };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_paths_are_checked_like_helm() {
        let cases = [
            ("mychart/templates/a.yaml", Ok("templates/a.yaml")),
            ("other-top/values.yaml", Ok("values.yaml")),
            ("mychart/./x/../y", Ok("y")),
            ("/etc/passwd", Err("an absolute path")),
            ("mychart/../../evil", Err("outside the chart's top folder")),
            ("../evil", Err("outside the chart's top folder")),
            ("Chart.yaml", Err("not inside a top folder")),
            ("README.md", Err("outside the chart's top folder")),
            ("mychart/C:/x", Err("Windows drive")),
        ];
        for (name, want) in cases {
            let got = chart_relative(name);
            match (got, want) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{name}"),
                (Err(got), Err(want)) => assert!(got.contains(want), "{name}: {got}"),
                (got, want) => panic!("{name}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn symlinks_resolve_only_inside() {
        assert_eq!(
            resolve_symlink("templates/a.yaml", "b.yaml").as_deref(),
            Some("templates/b.yaml")
        );
        assert_eq!(
            resolve_symlink("templates/a.yaml", "../files/b").as_deref(),
            Some("files/b")
        );
        assert_eq!(resolve_symlink("a.yaml", "../b"), None);
        assert_eq!(resolve_symlink("a.yaml", "/etc/passwd"), None);
    }
}
