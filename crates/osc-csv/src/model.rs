//! The loaded bundle: what `load` returns and `check` reads.

use std::ops::Range;
use std::path::PathBuf;

pub use osc_yaml::ScalarStyle;
use serde::{Serialize, Serializer};

use crate::error::AlmError;

/// One operator version ready to package: its ClusterServiceVersion, the CRDs beside it and, when the
/// input was in package-manifest format, the whole package.
///
/// Every `PathBuf` in it is relative to `root` (for a version folder whose package file lies one level
/// up, the package's paths start with `..`).
#[derive(Debug, Clone, Serialize)]
pub struct Bundle {
    pub root: Root,
    pub layout: Layout,
    /// The folder holding the CSV and its CRDs: `manifests` for the bundle format, the version folder
    /// for a package-manifest root, empty for a version folder.
    pub manifests_dir: PathBuf,
    pub package_name: Option<String>,
    /// The channels this CSV is in: the bundle annotation's list, or the package channels whose
    /// `replaces` chain reaches this CSV.
    pub channels: Vec<String>,
    pub default_channel: Option<String>,
    pub csv: Csv,
    pub csv_file: PathBuf,
    /// The CSV file exactly as read, for byte-exact edits.
    pub csv_text: String,
    /// Where the CSV document lies in `csv_text` (the file may hold several YAML documents).
    pub csv_range: Range<usize>,
    pub crds: Vec<Crd>,
    /// Every other Kubernetes object in the manifests folder, including any further CSV.
    pub other_manifests: Vec<Manifest>,
    /// Folders found inside the manifests folder (OLM reads none of them).
    pub manifest_subdirs: Vec<PathBuf>,
    /// Why `csv` is the one worked on, when the manifests folder holds several CSVs: its
    /// `spec.version` is a version folder's name, it is a channel's `currentCSV`, or it comes
    /// first.
    pub csv_choice: Option<String>,
    /// `metadata/annotations.yaml` of the bundle format; `None` when absent or for package manifests.
    pub metadata: Option<BundleMetadata>,
    pub package: Option<PackageManifest>,
    /// Every file of the bundle's folder (hidden files and zip junk left out), as read once.
    #[serde(skip)]
    pub files: osc_archive::Tree,
}

impl Bundle {
    /// The name OSC gives the service: the package's name, else the CSV's `metadata.name`
    /// without the version OLM's naming puts after it (`etcdoperator.v0.9.4` → `etcdoperator`).
    pub fn service_name(&self) -> String {
        self.package_name
            .clone()
            .unwrap_or_else(|| csv_name_without_version(&self.csv.name))
    }
}

fn csv_name_without_version(csv_name: &str) -> String {
    let starts_with_digit = |rest: &str| rest.starts_with(|c: char| c.is_ascii_digit());
    match csv_name.split_once(".v") {
        Some((base, rest)) if starts_with_digit(rest) => base.to_owned(),
        _ => match csv_name.split_once('.') {
            Some((base, rest)) if starts_with_digit(rest) => base.to_owned(),
            _ => csv_name.to_owned(),
        },
    }
}

/// Where the bundle was read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Root {
    Dir(PathBuf),
    /// A zip (or tgz) archive; `prefix` is the folder inside it that the bundle's paths are
    /// relative to (empty, or ending in `/`).
    Archive {
        archive: PathBuf,
        prefix: String,
    },
}

/// Which of OLM's layouts the input had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Layout {
    /// `manifests/` + `metadata/annotations.yaml`.
    Bundle,
    /// One version folder of a package manifest: a CSV and its CRDs.
    PackageVersion,
    /// `<pkg>.package.yaml` plus one folder per version; the default channel's head was loaded.
    PackageRoot,
}

/// `metadata/annotations.yaml` of a bundle.
#[derive(Debug, Clone, Serialize)]
pub struct BundleMetadata {
    pub file: PathBuf,
    /// In file order.
    #[serde(serialize_with = "ordered_map")]
    pub annotations: Vec<(String, String)>,
}

/// The fields of a ClusterServiceVersion that packaging and checking need.
#[derive(Debug, Clone, Serialize)]
pub struct Csv {
    /// `metadata.name`.
    pub name: String,
    /// `spec.version`, as written.
    pub version: String,
    pub replaces: Option<String>,
    pub skips: Vec<String>,
    /// The `olm.skipRange` annotation.
    pub skip_range: Option<String>,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub provider: Option<Provider>,
    pub maintainers: Vec<Maintainer>,
    /// `metadata.annotations` in file order.
    #[serde(serialize_with = "ordered_map")]
    pub annotations: Vec<(String, String)>,
    pub owned_crds: Vec<OwnedCrd>,
    pub install_modes: Vec<InstallMode>,
    /// `spec.install.spec.deployments`.
    pub deployments: Vec<Deployment>,
    pub related_images: Vec<RelatedImage>,
    /// `None` when the CSV has no `alm-examples` annotation.
    pub alm_examples: Option<AlmExamples>,
    pub icon: Vec<Icon>,
}

impl Csv {
    /// The value of `metadata.annotations[key]`.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// `spec.provider`; OLM writes `{name, url}`, OSC's guide writes `{name, email}`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Provider {
    pub name: Option<String>,
    pub url: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Maintainer {
    pub name: Option<String>,
    pub email: Option<String>,
}

/// An entry of `spec.customresourcedefinitions.owned`.
#[derive(Debug, Clone, Serialize)]
pub struct OwnedCrd {
    /// `<plural>.<group>`.
    pub name: String,
    pub kind: String,
    pub version: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub spec_descriptors: Vec<Descriptor>,
    pub status_descriptors: Vec<Descriptor>,
}

impl OwnedCrd {
    /// The API group: what follows the first `.` of the name.
    pub fn group(&self) -> Option<&str> {
        self.name.split_once('.').map(|(_, group)| group)
    }
}

/// A spec or status descriptor: a form control of the catalog page.
#[derive(Debug, Clone, Serialize)]
pub struct Descriptor {
    pub path: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub x_descriptors: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct InstallMode {
    /// `OwnNamespace`, `SingleNamespace`, `MultiNamespace` or `AllNamespaces`, as written.
    #[serde(rename = "type")]
    pub mode: String,
    pub supported: bool,
}

/// An entry of `spec.install.spec.deployments`.
#[derive(Debug, Clone, Serialize)]
pub struct Deployment {
    pub name: String,
    /// Init containers first, then containers, then ephemeral containers, each in file order.
    pub containers: Vec<Container>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Container {
    #[serde(rename = "type")]
    pub kind: ContainerKind,
    /// Position in its own list (`containers`, `initContainers` or `ephemeralContainers`).
    pub index: usize,
    pub name: String,
    pub image: String,
    pub env: Vec<EnvVar>,
    pub args: Vec<String>,
    pub command: Vec<String>,
}

/// Which pod-spec list a container is in; spelled as mapping.yaml's `lifecycle` spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ContainerKind {
    InitContainer,
    Container,
    EphemeralContainer,
}

impl ContainerKind {
    /// The pod-spec key of the list: `initContainers`, `containers` or `ephemeralContainers`.
    pub fn list_key(self) -> &'static str {
        match self {
            ContainerKind::InitContainer => "initContainers",
            ContainerKind::Container => "containers",
            ContainerKind::EphemeralContainer => "ephemeralContainers",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct EnvVar {
    pub name: String,
    /// `None` when the variable takes its value from `valueFrom`.
    pub value: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RelatedImage {
    pub name: Option<String>,
    pub image: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Icon {
    pub base64data: String,
    pub mediatype: Option<String>,
}

/// The `alm-examples` annotation: sample custom resources, as JSON text inside YAML.
#[derive(Debug, Clone, Serialize)]
pub struct AlmExamples {
    /// The annotation's value (the JSON text).
    pub raw: String,
    /// How the value is written in the YAML source.
    pub style: ScalarStyle,
    /// Byte range of the value as written in `Bundle::csv_text`: from the opening quote or the block
    /// indicator (`|`, `>`) to the end of the value's last character.
    pub span: Range<usize>,
    pub examples: Result<Vec<serde_json::Value>, AlmError>,
}

/// A CustomResourceDefinition manifest.
#[derive(Debug, Clone, Serialize)]
pub struct Crd {
    pub file: PathBuf,
    pub api_version: String,
    pub name: String,
    pub group: String,
    pub kind: String,
    pub plural: String,
    pub versions: Vec<CrdVersion>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CrdVersion {
    pub name: String,
    pub served: bool,
    pub storage: bool,
}

/// Any other object in the manifests folder.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub file: PathBuf,
    pub api_version: Option<String>,
    pub kind: Option<String>,
    pub name: Option<String>,
}

/// A package-manifest package: `<pkg>.package.yaml` and the CSVs of all its version folders.
#[derive(Debug, Clone, Serialize)]
pub struct PackageManifest {
    pub file: PathBuf,
    pub package_name: String,
    pub channels: Vec<PackageChannel>,
    pub default_channel: Option<String>,
    /// Every CSV found in the version folders, in folder then file order.
    pub csvs: Vec<PackageCsv>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PackageChannel {
    pub name: String,
    pub current_csv: String,
}

/// The upgrade-graph fields of one CSV of a package.
#[derive(Debug, Clone, Serialize)]
pub struct PackageCsv {
    pub file: PathBuf,
    pub name: String,
    pub version: String,
    pub replaces: Option<String>,
    pub skips: Vec<String>,
    pub skip_range: Option<String>,
}

/// Key-value pairs read from a YAML mapping serialize back as a mapping, in their order.
fn ordered_map<S: Serializer>(
    pairs: &[(String, String)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_map(pairs.iter().map(|(key, value)| (key, value)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_names_lose_their_version() {
        for (name, want) in [
            ("etcdoperator.v0.9.4", "etcdoperator"),
            ("kvstore-operator.1.0.0", "kvstore-operator"),
            ("plain", "plain"),
            ("a.vb", "a.vb"),
        ] {
            assert_eq!(csv_name_without_version(name), want, "{name}");
        }
    }
}
