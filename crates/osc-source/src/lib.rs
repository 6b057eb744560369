//! Tells what a helm-osc input is by its content, not its name, and loads it: a Helm chart, an
//! Operator-Framework bundle (either OLM layout), an OSC-format package, or a built service
//! package. Every command dispatches through [`detect`] and [`load`], so a chart `.tgz` renamed
//! `.zip` is a chart to all of them, and every input is read with osc-archive's one set of rules
//! and limits (Helm's: 5 MiB a file, 100 MiB in all, nested archives included).

use std::path::{Path, PathBuf};

use osc_archive::{Format, ZipIndex};
use serde::Serialize;

/// What an input is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Chart,
    /// An Operator-Framework bundle: `manifests/` + `metadata/`, or a package-manifest tree.
    Operator,
    /// An OSC-format package (metadata.yaml, manifests/, lifecycle.yaml).
    OscFormat,
    /// A built service package `{name}-{version}.zip`.
    Package,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Chart => "chart",
            Kind::Operator => "operator",
            Kind::OscFormat => "osc-format",
            Kind::Package => "package",
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A loaded input.
#[derive(Debug)]
pub enum Source {
    Chart(Box<osc_chart::Chart>),
    Bundle(Box<osc_csv::Bundle>),
    /// The package's files, paths relative to its root.
    OscFormat(Vec<(String, Vec<u8>)>),
    /// A service package is read where it lies: its image tars can be gigabytes.
    Package(PathBuf),
}

impl Source {
    pub fn kind(&self) -> Kind {
        match self {
            Source::Chart(_) => Kind::Chart,
            Source::Bundle(_) => Kind::Operator,
            Source::OscFormat(_) => Kind::OscFormat,
            Source::Package(_) => Kind::Package,
        }
    }
}

/// An input that cannot be read, or is none of the four kinds; says what it is and what to do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "{}: no such file or folder: give a chart folder or .tgz, an operator bundle folder or .zip, an OSC-format package, or a service package .zip",
        .0.display()
    )]
    NotFound(PathBuf),
    #[error("{}: {what}: {help}", path.display())]
    Unknown {
        path: PathBuf,
        what: String,
        help: String,
    },
    #[error(transparent)]
    Archive(#[from] osc_archive::Error),
    #[error(transparent)]
    Chart(#[from] osc_chart::LoadError),
    #[error(transparent)]
    Bundle(#[from] osc_csv::Error),
    #[error(transparent)]
    OscFormat(#[from] osc_format::ReadError),
}

const NEITHER: &str = "give a chart (a folder with Chart.yaml, or the .tgz `helm package` makes), an operator bundle (manifests/ and metadata/, or a <package>.package.yaml with version folders), an OSC-format package (metadata.yaml and manifests/) or a service package .zip";

/// Tells what `path` is from its content.
pub fn detect(path: &Path) -> Result<Kind, Error> {
    if std::fs::symlink_metadata(path).is_err() && std::fs::metadata(path).is_err() {
        return Err(Error::NotFound(path.to_path_buf()));
    }
    let unknown = |what: &str, help: &str| Error::Unknown {
        path: path.to_path_buf(),
        what: what.to_string(),
        help: help.to_string(),
    };
    match osc_archive::sniff(path) {
        Ok(Format::Dir) => detect_dir(path).ok_or_else(|| {
            unknown(
                "neither a chart (no Chart.yaml), an operator bundle (no manifests/, no <package>.package.yaml, no ClusterServiceVersion) nor an OSC-format package (no metadata.yaml beside manifests/)",
                "point at the folder that holds one",
            )
        }),
        Ok(Format::Tgz) => detect_tgz(path),
        Ok(Format::Zip) => detect_zip(path),
        Ok(Format::Tar) => Err(unknown(
            "a plain tar, which is no chart, bundle or package (an image tar goes in --images)",
            "give the .tgz `helm package` makes, or a folder",
        )),
        Err(error) if path.is_file() => Err(unknown(
            &format!(
                "{}: none of the inputs helm-osc reads",
                error.message().trim_end_matches(": give a folder, a .tgz or a .zip")
            ),
            NEITHER,
        )),
        Err(error) => Err(error.into()),
    }
}

/// Loads `path` as what [`detect`] says it is.
pub fn load(path: &Path) -> Result<Source, Error> {
    Ok(match detect(path)? {
        Kind::Chart => Source::Chart(Box::new(osc_chart::Chart::load(path)?)),
        Kind::Operator => Source::Bundle(Box::new(osc_csv::load(path)?)),
        Kind::OscFormat => Source::OscFormat(osc_format::read_package(path)?),
        Kind::Package => Source::Package(path.to_path_buf()),
    })
}

fn detect_dir(dir: &Path) -> Option<Kind> {
    if dir.join("Chart.yaml").is_file() {
        return Some(Kind::Chart);
    }
    if dir.join("metadata.yaml").is_file() && dir.join("manifests").is_dir() {
        return Some(Kind::OscFormat);
    }
    if dir.join("manifests").is_dir() {
        return Some(Kind::Operator);
    }
    let entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|entry| entry.path())
        .collect();
    let is_package_file = |path: &PathBuf| {
        path.file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| name.ends_with(".package.yaml") || name.ends_with(".package.yml"))
    };
    if entries.iter().any(is_package_file) || entries.iter().any(|path| holds_csv(path)) {
        return Some(Kind::Operator);
    }
    None
}

/// A YAML file naming `kind: ClusterServiceVersion`: a package-manifest version folder may name
/// its CSV anything. Only regular files within Helm's file limit are peeked at.
fn holds_csv(path: &Path) -> bool {
    let is_yaml = path
        .extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| matches!(extension, "yaml" | "yml" | "json"));
    is_yaml
        && osc_archive::read_regular_file(path, path, osc_archive::Limits::DEPLOYABLE.file_bytes)
            .is_ok_and(|data| mentions_csv(&data))
}

fn mentions_csv(data: &[u8]) -> bool {
    String::from_utf8_lossy(data).lines().any(|line| {
        let line = line.trim();
        line.starts_with("kind:")
            && line
                .trim_start_matches("kind:")
                .trim()
                .trim_matches(['"', '\''])
                == "ClusterServiceVersion"
            || line.contains("\"kind\"") && line.contains("\"ClusterServiceVersion\"")
    })
}

/// A chart `.tgz` holds `{top}/Chart.yaml`; an OSC-format `.tgz` a metadata.yaml at its root or
/// in its one top folder; anything else is handed to the chart loader, which says what is wrong.
fn detect_tgz(path: &Path) -> Result<Kind, Error> {
    let mut budget = osc_archive::Budget::new(osc_archive::Limits::DEPLOYABLE);
    let tree = osc_archive::read(path, &mut budget, &|_, _| false)?;
    let depth_of = |name: &str| {
        tree.files
            .iter()
            .filter(|file| file.path.file_name() == name)
            .map(|file| file.path.segments().count())
            .min()
    };
    if depth_of("Chart.yaml") == Some(2) {
        return Ok(Kind::Chart);
    }
    if matches!(depth_of("metadata.yaml"), Some(1 | 2)) {
        return Ok(Kind::OscFormat);
    }
    let has_csv = tree
        .files
        .iter()
        .any(|file| file.path.as_str().ends_with(".yaml") && mentions_csv(&file.data));
    Ok(if has_csv { Kind::Operator } else { Kind::Chart })
}

fn detect_zip(path: &Path) -> Result<Kind, Error> {
    let (index, refused) = ZipIndex::open(path)?;
    if let Some(refused) = refused.first() {
        return Err(Error::Archive(osc_archive::Error::new(
            format!("{}: {}", path.display(), refused.entry),
            refused.message.clone(),
        )));
    }
    let names: Vec<&str> = index
        .entries()
        .iter()
        .filter(|entry| !entry.is_dir)
        .map(|entry| entry.path.as_str())
        .collect();
    Ok(kind_of_zip(&names).unwrap_or(Kind::Operator)).and_then(|kind| {
        if kind == Kind::Chart {
            Err(Error::Unknown {
                path: path.to_path_buf(),
                what: "a chart in a zip: Helm reads a chart from a folder or a .tgz, never a zip"
                    .to_string(),
                help: "give the chart folder, or the .tgz `helm package` makes".to_string(),
            })
        } else {
            Ok(kind)
        }
    })
}

/// A zip's kind from its file names: one top folder holding `package/` is a service package;
/// metadata.yaml beside manifests/ (at the root or in the one top folder) an OSC-format package;
/// `{top}/Chart.yaml` a chart that should have been a `.tgz`; anything else a bundle, whose
/// loader says what is missing.
fn kind_of_zip(names: &[&str]) -> Option<Kind> {
    let tops: std::collections::BTreeSet<&str> = names
        .iter()
        .filter_map(|name| name.split_once('/').map(|(top, _)| top))
        .collect();
    let single_top = (tops.len() == 1 && names.iter().all(|name| name.contains('/')))
        .then(|| tops.first().copied())
        .flatten();
    let under_top = |rest: &str| {
        single_top.is_some_and(|top| {
            names
                .iter()
                .any(|name| name.strip_prefix(top).and_then(|r| r.strip_prefix('/')) == Some(rest))
        })
    };
    let under_top_prefix = |prefix: &str| {
        single_top.is_some_and(|top| {
            names.iter().any(|name| {
                name.strip_prefix(top)
                    .and_then(|r| r.strip_prefix('/'))
                    .is_some_and(|rest| rest.starts_with(prefix))
            })
        })
    };
    if under_top_prefix("package/") {
        return Some(Kind::Package);
    }
    let has = |path: &str| names.contains(&path);
    let has_prefix = |prefix: &str| names.iter().any(|name| name.starts_with(prefix));
    if (has("metadata.yaml") && has_prefix("manifests/"))
        || (under_top("metadata.yaml") && under_top_prefix("manifests/"))
    {
        return Some(Kind::OscFormat);
    }
    if under_top("Chart.yaml") || has("Chart.yaml") {
        return Some(Kind::Chart);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zips_are_told_apart_by_their_entries() {
        let cases: &[(&[&str], Option<Kind>)] = &[
            (&["etcd/package/etcd-1.0.0.tgz"], Some(Kind::Package)),
            (
                &[
                    "manifests/a.clusterserviceversion.yaml",
                    "metadata/annotations.yaml",
                ],
                None,
            ),
            (
                &[
                    "op/manifests/a.clusterserviceversion.yaml",
                    "op/metadata/annotations.yaml",
                ],
                None,
            ),
            (
                &["metadata.yaml", "manifests/x_crd.yaml", "lifecycle.yaml"],
                Some(Kind::OscFormat),
            ),
            (
                &["r-1.0.0/metadata.yaml", "r-1.0.0/manifests/x_crd.yaml"],
                Some(Kind::OscFormat),
            ),
            (&["app/Chart.yaml", "app/values.yaml"], Some(Kind::Chart)),
        ];
        for (names, kind) in cases {
            assert_eq!(kind_of_zip(names), *kind, "{names:?}");
        }
    }

    #[test]
    fn csvs_are_found_by_kind() {
        assert!(mentions_csv(
            b"apiVersion: x\nkind: ClusterServiceVersion\n"
        ));
        assert!(mentions_csv(b"kind: \"ClusterServiceVersion\"\n"));
        assert!(mentions_csv(b"{\"kind\": \"ClusterServiceVersion\"}"));
        assert!(!mentions_csv(
            b"kind: Deployment\n# ClusterServiceVersion\n"
        ));
    }
}
