//! Fixtures and options shared by the integration tests.

// Each test crate uses only some of these.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use osc_format::{ConvertOptions, Mode, OscPackage, VersionDefinition};

pub fn fixture(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(relative)
}

pub fn chart_options() -> ConvertOptions {
    ConvertOptions {
        version_definition: Some(VersionDefinition {
            mode: Mode::Tag,
            path: "image.tag".to_string(),
            tags: vec!["5.7.44".to_string(), "5.7.45".to_string()],
            description: Some("Upgrading restarts the database pods".to_string()),
        }),
        provider_name: Some("Example Inc".to_string()),
        provider_url: Some("https://example.com".to_string()),
        ..ConvertOptions::default()
    }
}

pub fn bundle_options() -> ConvertOptions {
    ConvertOptions {
        version_definition: Some(VersionDefinition {
            mode: Mode::Url,
            path: "spec.image".to_string(),
            tags: vec!["3.6.0".to_string(), "3.7.0".to_string()],
            description: None,
        }),
        ..ConvertOptions::default()
    }
}

pub fn convert_chart() -> OscPackage {
    let chart = osc_chart::Chart::load(&fixture("chart/mydb")).unwrap();
    osc_format::convert_chart(&chart, &chart_options()).unwrap()
}

pub fn convert_bundle() -> OscPackage {
    let bundle = osc_csv::load(&fixture("bundle/kafka-operator")).unwrap();
    osc_format::convert_bundle(&bundle, &bundle_options()).unwrap()
}

pub fn text<'a>(package: &'a OscPackage, path: &str) -> &'a str {
    let (_, data) = package
        .files
        .iter()
        .find(|(name, _)| name == path)
        .unwrap_or_else(|| panic!("{path} is not in the package"));
    std::str::from_utf8(data).unwrap()
}

/// Copies a fixture folder into a fresh temporary folder, to edit it.
pub fn copy_fixture(relative: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture(relative), dir.path());
    dir
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
