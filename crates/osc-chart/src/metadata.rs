//! The model of Chart.yaml, with the checks Helm's `Metadata.Validate` makes.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

/// Chart.yaml's fields (the ones a service package cares about; the text keeps the rest).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    #[serde(default)]
    pub api_version: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub name: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub version: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub app_version: String,
    #[serde(default)]
    pub description: String,
    #[serde(default, rename = "type")]
    pub chart_type: String,
    #[serde(default)]
    pub home: String,
    #[serde(default)]
    pub icon: String,
    #[serde(default)]
    pub sources: Vec<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub maintainers: Vec<Maintainer>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub annotations: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub dependencies: Vec<Dependency>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct Maintainer {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub url: String,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct Dependency {
    #[serde(default)]
    pub name: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub version: String,
    #[serde(default)]
    pub repository: String,
    #[serde(default)]
    pub condition: String,
    #[serde(default)]
    pub alias: String,
}

/// Parses and validates Chart.yaml text the way Helm's loader does; the error is a sentence.
pub(crate) fn parse(text: &str) -> Result<Metadata, String> {
    let mut metadata: Metadata = match serde_norway::from_str::<Option<Metadata>>(text) {
        Ok(Some(metadata)) => metadata,
        Ok(None) => Metadata::default(),
        Err(error) => return Err(error.to_string()),
    };
    if metadata.api_version.is_empty() {
        // Helm 2 charts had no apiVersion; Helm still loads them as v1.
        metadata.api_version = "v1".to_string();
    }
    validate(&metadata)?;
    Ok(metadata)
}

fn validate(metadata: &Metadata) -> Result<(), String> {
    if metadata.name.is_empty() {
        return Err("`name` is required: add `name: <chart name>`".to_string());
    }
    if metadata.name.contains('/') || metadata.name.contains('\\') || metadata.name == ".." {
        return Err(format!(
            "`name: {}` is not a valid chart name: it must not contain `/` or `\\`",
            metadata.name
        ));
    }
    if metadata.version.is_empty() {
        return Err(
            "`version` is required: add `version: <SemVer>`, e.g. `version: 1.0.0`".to_string(),
        );
    }
    if !is_helm_semver(&metadata.version) {
        return Err(format!(
            "`version: {}` is not a SemVer version as Helm requires (e.g. `1.0.0`)",
            metadata.version
        ));
    }
    if !matches!(metadata.api_version.as_str(), "v1" | "v2" | "v3") {
        return Err(format!(
            "`apiVersion: {}` is not one Helm knows: use `v2`",
            metadata.api_version
        ));
    }
    if !matches!(metadata.chart_type.as_str(), "" | "application" | "library") {
        return Err(format!(
            "`type: {}` is not `application` or `library`",
            metadata.chart_type
        ));
    }
    Ok(())
}

/// Helm parses chart versions with Masterminds/semver, which also accepts a leading `v` and missing
/// minor or patch numbers (`v1.2`); strictness for OSC is the package's business, not the chart's.
fn is_helm_semver(version: &str) -> bool {
    let version = version.strip_prefix('v').unwrap_or(version);
    let (core, _build) = version.split_once('+').unwrap_or((version, ""));
    let (core, pre) = match core.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (core, None),
    };
    let numbers: Vec<&str> = core.split('.').collect();
    let numeric = |part: &&str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    let identifier = |part: &str| {
        !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    (1..=3).contains(&numbers.len())
        && numbers.iter().all(numeric)
        && pre.is_none_or(|pre| pre.split('.').all(identifier))
}

/// YAML reads `appVersion: 1.10` as a number; Helm keeps such values as the text written.
fn lenient_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let value = serde_norway::Value::deserialize(deserializer)?;
    Ok(match value {
        serde_norway::Value::Null => String::new(),
        serde_norway::Value::String(text) => text,
        serde_norway::Value::Number(number) => number.to_string(),
        serde_norway::Value::Bool(flag) => flag.to_string(),
        other => {
            return Err(serde::de::Error::custom(format!(
                "expected a string, found {}",
                describe(&other)
            )));
        }
    })
}

fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

fn describe(value: &serde_norway::Value) -> &'static str {
    match value {
        serde_norway::Value::Sequence(_) => "a list",
        serde_norway::Value::Mapping(_) => "a map",
        _ => "a tagged value",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_helm_accepts() {
        for good in [
            "1.0.0",
            "v1.2",
            "1",
            "1.0.0-rc.1",
            "1.0.0+build.5",
            "0.1.0-alpha-2",
        ] {
            assert!(is_helm_semver(good), "{good}");
        }
        for bad in ["", "latest", "1.0.0.0", "1..0", "1.0.0-", "x1.0"] {
            assert!(!is_helm_semver(bad), "{bad}");
        }
    }

    #[test]
    fn numeric_app_version_stays_a_string() {
        let metadata =
            parse("apiVersion: v2\nname: a\nversion: 1.0.0\nappVersion: 1.10\n").unwrap();
        assert_eq!(metadata.app_version, "1.1");
        let metadata =
            parse("apiVersion: v2\nname: a\nversion: 1.0.0\nappVersion: \"1.10\"\n").unwrap();
        assert_eq!(metadata.app_version, "1.10");
    }

    #[test]
    fn invalid_metadata_is_explained() {
        let cases = [
            ("apiVersion: v2\nversion: 1.0.0\n", "`name` is required"),
            ("apiVersion: v2\nname: a\n", "`version` is required"),
            (
                "apiVersion: v2\nname: a\nversion: latest\n",
                "`version: latest` is not a SemVer",
            ),
            (
                "apiVersion: v2\nname: a\nversion: 1.0.0\ntype: app\n",
                "`type: app`",
            ),
            ("name: [a\n", "did not find expected"),
            (
                "apiVersion: v2\nname: a\nversion: 1.0.0\nannotations:\n  a: [1]\n",
                "annotations",
            ),
        ];
        for (text, want) in cases {
            let error = parse(text).unwrap_err();
            assert!(error.contains(want), "{text:?}: {error}");
        }
    }
}
