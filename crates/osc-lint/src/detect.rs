//! Telling what a source is from its layout, without loading it.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use crate::{LintError, SourceKind};

/// A folder with Chart.yaml, or any file that is not a zip, is a chart (loading it then says
/// what is wrong); a folder or zip with metadata.yaml and manifests/ is an OSC-format package;
/// a zip whose one top folder holds `package/` is a service package; other folders and zips
/// holding a CSV are operator bundles.
pub(crate) fn detect(path: &Path) -> Result<SourceKind, LintError> {
    let meta = std::fs::metadata(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            LintError::NotFound {
                path: path.to_owned(),
            }
        } else {
            LintError::Io {
                path: path.to_owned(),
                source,
            }
        }
    })?;
    if meta.is_dir() {
        return Ok(detect_dir(path));
    }
    if is_zip(path)? {
        return detect_zip(path);
    }
    if is_osc_format_tgz(path) {
        return Ok(SourceKind::OscFormat);
    }
    Ok(SourceKind::Chart)
}

fn detect_dir(dir: &Path) -> SourceKind {
    if dir.join("Chart.yaml").is_file() {
        SourceKind::Chart
    } else if dir.join("metadata.yaml").is_file() && dir.join("manifests").is_dir() {
        SourceKind::OscFormat
    } else if looks_like_bundle(dir) {
        SourceKind::Operator
    } else {
        SourceKind::Chart
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

/// By content rather than name: a chart `.tgz` renamed `.zip` is still a chart.
fn is_zip(path: &Path) -> Result<bool, LintError> {
    let mut magic = [0u8; 4];
    let mut file = File::open(path).map_err(|source| LintError::Io {
        path: path.to_owned(),
        source,
    })?;
    let read = file.read(&mut magic).map_err(|source| LintError::Io {
        path: path.to_owned(),
        source,
    })?;
    Ok(read == 4 && magic == *b"PK\x03\x04")
}

fn detect_zip(path: &Path) -> Result<SourceKind, LintError> {
    let file = File::open(path).map_err(|source| LintError::Io {
        path: path.to_owned(),
        source,
    })?;
    let archive = zip::ZipArchive::new(BufReader::new(file)).map_err(|error| LintError::Zip {
        path: path.to_owned(),
        message: error.to_string(),
    })?;
    let names: Vec<&str> = archive.file_names().collect();
    Ok(kind_of_entries(&names))
}

fn kind_of_entries(names: &[&str]) -> SourceKind {
    let top_folders: std::collections::BTreeSet<&str> = names
        .iter()
        .filter_map(|name| name.split_once('/').map(|(top, _)| top))
        .collect();
    let single_top = (top_folders.len() == 1)
        .then(|| top_folders.first().copied())
        .flatten();
    let under_top = |rest: &str| {
        names
            .iter()
            .any(|name| single_top.is_some_and(|top| name.strip_prefix(top) == Some(rest)))
    };
    let has = |path: &str| names.contains(&path);
    let has_prefix = |prefix: &str| names.iter().any(|name| name.starts_with(prefix));
    if single_top.is_some_and(|top| has_prefix(&format!("{top}/package/"))) {
        return SourceKind::Package;
    }
    let osc_format_at_root = has("metadata.yaml") && has_prefix("manifests/");
    let osc_format_in_top = under_top("/metadata.yaml")
        && single_top.is_some_and(|top| has_prefix(&format!("{top}/manifests/")));
    if osc_format_at_root || osc_format_in_top {
        return SourceKind::OscFormat;
    }
    SourceKind::Operator
}

/// An OSC-format `.tgz` has metadata.yaml at its root or in its one top folder, where a chart
/// has Chart.yaml. Anything unreadable is left to the chart loader to explain.
fn is_osc_format_tgz(path: &Path) -> bool {
    let Ok(file) = File::open(path) else {
        return false;
    };
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(BufReader::new(file)));
    let Ok(entries) = archive.entries() else {
        return false;
    };
    for entry in entries {
        let Ok(entry) = entry else { return false };
        let Ok(path) = entry.path() else { return false };
        let parts: Vec<String> = path
            .components()
            .filter(|part| !matches!(part, std::path::Component::CurDir))
            .map(|part| part.as_os_str().to_string_lossy().into_owned())
            .collect();
        match parts
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice()
        {
            [_, "Chart.yaml"] => return false,
            ["metadata.yaml"] | [_, "metadata.yaml"] => return true,
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zips_are_told_apart_by_their_entries() {
        let cases: &[(&[&str], SourceKind)] = &[
            (
                &["etcd/", "etcd/package/", "etcd/package/etcd-1.0.0.tgz"],
                SourceKind::Package,
            ),
            (
                &[
                    "manifests/a.clusterserviceversion.yaml",
                    "metadata/annotations.yaml",
                ],
                SourceKind::Operator,
            ),
            (
                &[
                    "op/manifests/a.clusterserviceversion.yaml",
                    "op/metadata/annotations.yaml",
                ],
                SourceKind::Operator,
            ),
            (
                &["metadata.yaml", "manifests/x_crd.yaml", "lifecycle.yaml"],
                SourceKind::OscFormat,
            ),
            (
                &["r-1.0.0/metadata.yaml", "r-1.0.0/manifests/x_crd.yaml"],
                SourceKind::OscFormat,
            ),
        ];
        for (names, kind) in cases {
            assert_eq!(kind_of_entries(names), *kind, "{names:?}");
        }
    }
}
