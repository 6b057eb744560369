//! Finds the source mark (`source: ISV`) in a deployable: a Helm chart's Chart.yaml, an operator
//! bundle's ClusterServiceVersions, or an OSC-format package's metadata.yaml.

use serde::Deserialize as _;
use serde_norway::Value;

/// One place that should carry the mark, and what it holds there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mark {
    /// The file inside the deployable, e.g. `redis/Chart.yaml`.
    pub file: String,
    /// The key, e.g. `annotations.source`.
    pub key: &'static str,
    /// The key's value, when it is a string.
    pub value: Option<String>,
}

/// Why a deployable's mark could not be looked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unreadable {
    pub problem: String,
    pub help: String,
}

/// Reads a deployable with osc-archive's rules (checked names, no links, Helm's limits), so
/// `verify` refuses what `package` would never have written.
fn tree(bytes: &[u8], what: &str, help: &str) -> Result<osc_archive::Tree, Unreadable> {
    let mut budget = osc_archive::Budget::new(osc_archive::Limits::DEPLOYABLE);
    osc_archive::read_nested(bytes, what, &mut budget).map_err(|error| Unreadable {
        problem: format!("cannot be read safely: {}", error.message()),
        help: help.into(),
    })
}

/// The mark of a `helm package` tgz: `annotations.source` in its top-level `{chart}/Chart.yaml`.
pub(crate) fn chart_marks(tgz: &[u8]) -> Result<Vec<Mark>, Unreadable> {
    if osc_archive::sniff_bytes(tgz) != Some(osc_archive::Format::Tgz) {
        return Err(Unreadable {
            problem: "is not a gzipped tar (its first bytes are not gzip's)".into(),
            help: "package the chart again with `helm package`".into(),
        });
    }
    let tree = tree(
        tgz,
        "the chart archive",
        "package the chart again with `helm package`",
    )?;
    // `{chart}/Chart.yaml`; subcharts' sit deeper, under `{chart}/charts/`.
    let Some(chart_yaml) = tree
        .files
        .iter()
        .find(|file| file.path.segments().count() == 2 && file.path.file_name() == "Chart.yaml")
    else {
        return Err(Unreadable {
            problem: "holds no top-level `Chart.yaml`, so it is not a Helm chart package".into(),
            help: "package the chart with `helm package`".into(),
        });
    };
    let file = chart_yaml.path.as_str().to_string();
    let text = String::from_utf8_lossy(&chart_yaml.data);
    let chart: Value = serde_norway::from_str(&text).map_err(|error| Unreadable {
        problem: format!("has a `{file}` that is not valid YAML ({error})"),
        help: "fix Chart.yaml and package the chart again".into(),
    })?;
    Ok(vec![Mark {
        value: string_at(&chart, &["annotations", "source"]),
        file,
        key: "annotations.source",
    }])
}

/// The marks of a zipped deployable: `source` in an OSC-format package's `metadata.yaml`, or else
/// `metadata.annotations.source` in every ClusterServiceVersion of an operator bundle.
pub(crate) fn zipped_marks(zip: &[u8]) -> Result<Vec<Mark>, Unreadable> {
    let tree = tree(
        zip,
        "the zipped deployable",
        "zip the operator bundle or OSC-format package again (`helm osc package` does)",
    )?;
    let mut osc_metadata = Vec::new();
    let mut csvs: Vec<(Option<String>, Mark)> = Vec::new();
    // A package-manifest tree holds one CSV per version; the channels' current CSVs are the ones
    // the platform installs, so only they must carry the mark.
    let mut current_csvs: Vec<String> = Vec::new();
    for file in &tree.files {
        let name = file.path.as_str().to_owned();
        if !(name.ends_with(".yaml") || name.ends_with(".yml")) {
            continue;
        }
        let Ok(text) = std::str::from_utf8(&file.data) else {
            continue;
        };
        // An OSC-format package keeps metadata.yaml at its root, or in the one folder it was zipped from.
        let is_osc_metadata =
            name.rsplit('/').next() == Some("metadata.yaml") && name.matches('/').count() <= 1;
        for document in serde_norway::Deserializer::from_str(text) {
            let Ok(value) = Value::deserialize(document) else {
                break;
            };
            if is_osc_metadata && value.is_mapping() {
                osc_metadata.push(Mark {
                    file: name.clone(),
                    key: "source",
                    value: string_at(&value, &["source"]),
                });
            } else if value.get("kind").and_then(Value::as_str) == Some("ClusterServiceVersion") {
                csvs.push((
                    string_at(&value, &["metadata", "name"]),
                    Mark {
                        file: name.clone(),
                        key: "metadata.annotations.source",
                        value: string_at(&value, &["metadata", "annotations", "source"]),
                    },
                ));
            } else if let Some(channels) = value.get("channels").and_then(Value::as_sequence)
                && value.get("packageName").is_some()
            {
                current_csvs.extend(
                    channels
                        .iter()
                        .filter_map(|channel| string_at(channel, &["currentCSV"])),
                );
            }
        }
    }
    let csvs: Vec<Mark> = csvs
        .into_iter()
        .filter(|(name, _)| {
            current_csvs.is_empty()
                || name
                    .as_ref()
                    .is_some_and(|name| current_csvs.contains(name))
        })
        .map(|(_, mark)| mark)
        .collect();
    match (osc_metadata.is_empty(), csvs.is_empty()) {
        (false, _) => Ok(osc_metadata),
        (true, false) => Ok(csvs),
        (true, true) => Err(Unreadable {
            problem: "holds neither a ClusterServiceVersion nor an OSC-format metadata.yaml".into(),
            help: "zip an operator bundle (manifests/ with its CSV) or an OSC-format package"
                .into(),
        }),
    }
}

fn string_at(value: &Value, keys: &[&str]) -> Option<String> {
    keys.iter()
        .try_fold(value, |value, key| value.get(*key))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

#[cfg(test)]
mod package_manifest_tests {
    use std::io::{Cursor, Write};

    use super::*;

    fn zip(files: &[(&str, &str)]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, text) in files {
            writer
                .start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            writer.write_all(text.as_bytes()).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    #[test]
    fn only_the_channels_current_csv_must_carry_the_mark() {
        let csv = |name: &str, source: &str| {
            format!(
                "apiVersion: operators.coreos.com/v1alpha1\nkind: ClusterServiceVersion\nmetadata:\n  name: {name}\n  annotations: {{{source}}}\n"
            )
        };
        let old = csv("demo.v1.0.0", "");
        let current = csv("demo.v1.1.0", "source: ISV");
        let package =
            "packageName: demo\nchannels:\n  - name: stable\n    currentCSV: demo.v1.1.0\n";
        let marks = zipped_marks(&zip(&[
            ("demo/demo.package.yaml", package),
            ("demo/1.0.0/demo.v1.0.0.clusterserviceversion.yaml", &old),
            (
                "demo/1.1.0/demo.v1.1.0.clusterserviceversion.yaml",
                &current,
            ),
        ]))
        .unwrap();
        assert_eq!(marks.len(), 1);
        assert_eq!(
            marks[0].file,
            "demo/1.1.0/demo.v1.1.0.clusterserviceversion.yaml"
        );
        assert_eq!(marks[0].value.as_deref(), Some("ISV"));

        // Without a package file every CSV counts.
        let marks = zipped_marks(&zip(&[("a.yaml", &old), ("b.yaml", &current)])).unwrap();
        assert_eq!(marks.len(), 2);
    }
}
