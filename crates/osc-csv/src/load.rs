//! Finds out which OLM layout the input has and loads it into a [`Bundle`].

use std::path::{Path, PathBuf};

use serde_norway::Value;

use crate::crd::{is_crd, parse_crd, parse_manifest};
use crate::csv::{parse_csv, parse_package_csv};
use crate::error::Error;
use crate::model::{
    Bundle, BundleMetadata, Crd, Csv, Layout, Manifest, PackageChannel, PackageCsv,
    PackageManifest, Root,
};
use crate::package::{channels_of, is_package, is_package_file_name, parse_package};
use crate::source::{Listing, Source};
use crate::yaml::{Document, Node, parse_document, split_documents};

pub(crate) const CSV_KIND: &str = "ClusterServiceVersion";
pub(crate) const ANNOTATIONS_FILE: &str = "metadata/annotations.yaml";
pub(crate) const PACKAGE_ANNOTATION: &str = "operators.operatorframework.io.bundle.package.v1";
pub(crate) const CHANNELS_ANNOTATION: &str = "operators.operatorframework.io.bundle.channels.v1";
pub(crate) const DEFAULT_CHANNEL_ANNOTATION: &str =
    "operators.operatorframework.io.bundle.channel.default.v1";

/// Loads an operator from `path`: a bundle folder (`manifests/` + `metadata/annotations.yaml`), a
/// package-manifest version folder (a CSV and its CRDs; the package file one level up is read when
/// present), a package-manifest root (`<pkg>.package.yaml` + version folders; the default channel's
/// `currentCSV` is loaded and the whole package kept), or a `.zip` of any of them.
///
/// Fails when no CSV can be found or a manifest is not valid YAML of the expected shape; rule
/// violations are left to [`crate::check`].
pub fn load(path: &Path) -> Result<Bundle, Error> {
    let mut source = Source::open(path)?;
    let top = source.list(Path::new(""))?;
    if let Some((file, value)) = find_package_file(&mut source, Path::new(""), &top)? {
        return load_package_root(source, &top, file, &value);
    }
    if top.dirs.iter().any(|dir| dir == "manifests") {
        return load_bundle(source, &top);
    }
    if !top.files.iter().any(|name| is_manifest_name(name)) {
        return Err(Error::UnknownLayout {
            path: path.to_path_buf(),
        });
    }
    load_version_folder(source, path)
}

fn load_bundle(mut source: Source, top: &Listing) -> Result<Bundle, Error> {
    let manifests_dir = PathBuf::from("manifests");
    let folder = read_folder(&mut source, &manifests_dir)?;
    let parts = assemble(
        folder,
        &manifests_dir,
        &CsvChoice::Prefer(Preference::default()),
    )?;
    let metadata = if top.dirs.iter().any(|dir| dir == "metadata") {
        read_bundle_metadata(&mut source)?
    } else {
        None
    };
    let annotation = |key: &str| {
        metadata.as_ref().and_then(|metadata| {
            metadata
                .annotations
                .iter()
                .find(|(name, _)| name == key)
                .map(|(_, value)| value.trim().to_string())
        })
    };
    let channels = annotation(CHANNELS_ANNOTATION)
        .map(|list| split_channels(&list))
        .unwrap_or_default();
    let catalog = Catalog {
        package_name: annotation(PACKAGE_ANNOTATION).filter(|name| !name.is_empty()),
        channels,
        default_channel: annotation(DEFAULT_CHANNEL_ANNOTATION).filter(|name| !name.is_empty()),
        metadata,
        package: None,
    };
    Ok(assembled(
        source,
        Layout::Bundle,
        manifests_dir,
        parts,
        catalog,
    ))
}

fn load_version_folder(mut source: Source, path: &Path) -> Result<Bundle, Error> {
    let own_name = folder_name(&source, path);
    // The folder above is only a place a package file may be: a folder we cannot list or read
    // there (another program's, or one vanishing as we look) means there is none.
    let parent = PathBuf::from("..");
    let beside = match source.has_parent() {
        true => source.list(&parent).ok().and_then(|listing| {
            let found = find_package_file(&mut source, &parent, &listing).ok()??;
            Some((found, listing))
        }),
        false => None,
    };
    // The package's channel heads, default channel first, tell which CSV of a folder holding
    // several is the version's when its name does not.
    let heads = match &beside {
        Some(((file, value), _)) => {
            let package = parse_package(file, value, Vec::new())?;
            let mut channels: Vec<&PackageChannel> = package.channels.iter().collect();
            channels.sort_by_key(|channel| Some(&channel.name) != package.default_channel.as_ref());
            channels
                .into_iter()
                .map(|channel| (channel.current_csv.clone(), channel.name.clone()))
                .collect()
        }
        None => Vec::new(),
    };
    let folder = read_folder(&mut source, Path::new(""))?;
    let choice = CsvChoice::Prefer(Preference {
        version: own_name.clone(),
        heads,
    });
    let parts = assemble(folder, Path::new(""), &choice)?;
    let package = match beside {
        Some(((file, value), listing)) => {
            let siblings = listing
                .dirs
                .iter()
                .filter(|dir| Some(*dir) != own_name.as_ref())
                .map(|dir| parent.join(dir))
                .collect::<Vec<_>>();
            let mut csvs = scan_package_csvs(&mut source, &siblings)?;
            csvs.extend(parts.package_csvs.iter().cloned());
            Some(parse_package(&file, &value, csvs)?)
        }
        None => None,
    };
    Ok(with_package(
        source,
        Layout::PackageVersion,
        PathBuf::new(),
        parts,
        package,
    ))
}

fn load_package_root(
    mut source: Source,
    top: &Listing,
    file: PathBuf,
    value: &Value,
) -> Result<Bundle, Error> {
    let version_dirs = top.dirs.iter().map(PathBuf::from).collect::<Vec<_>>();
    let csvs = scan_package_csvs(&mut source, &version_dirs)?;
    let package = parse_package(&file, value, csvs)?;
    // When the default channel is missing or wrong, the first channel still gives a CSV to work
    // on; `check` reports the package's mistake.
    let (index, channel) = package
        .channels
        .iter()
        .enumerate()
        .find(|(_, channel)| Some(&channel.name) == package.default_channel.as_ref())
        .or_else(|| package.channels.iter().enumerate().next())
        .ok_or_else(|| Error::Field {
            file: file.clone(),
            field: "channels".to_string(),
            message: "missing; list at least one channel with its name and currentCSV".to_string(),
        })?;
    let head = package
        .csvs
        .iter()
        .find(|csv| csv.name == channel.current_csv)
        .ok_or_else(|| Error::Field {
            file: file.clone(),
            field: format!("channels[{index}].currentCSV"),
            message: format!(
                "{} is not the metadata.name of any CSV in the version folders; \
                 name an existing CSV or add its version folder",
                channel.current_csv
            ),
        })?;
    let manifests_dir = head
        .file
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let choice = CsvChoice::Name(head.name.clone());
    let folder = read_folder(&mut source, &manifests_dir)?;
    let parts = assemble(folder, &manifests_dir, &choice)?;
    Ok(with_package(
        source,
        Layout::PackageRoot,
        manifests_dir,
        parts,
        Some(package),
    ))
}

fn with_package(
    source: Source,
    layout: Layout,
    manifests_dir: PathBuf,
    parts: Parts,
    package: Option<PackageManifest>,
) -> Bundle {
    let (package_name, channels, default_channel) = match &package {
        Some(package) => (
            Some(package.package_name.clone()),
            channels_of(package, &parts.csv.name),
            package.default_channel.clone(),
        ),
        None => (None, Vec::new(), None),
    };
    let catalog = Catalog {
        package_name,
        channels,
        default_channel,
        metadata: None,
        package,
    };
    assembled(source, layout, manifests_dir, parts, catalog)
}

/// What names a bundle's package and channels: the bundle format's annotations, or a package
/// manifest.
struct Catalog {
    package_name: Option<String>,
    channels: Vec<String>,
    default_channel: Option<String>,
    metadata: Option<BundleMetadata>,
    package: Option<PackageManifest>,
}

fn assembled(
    source: Source,
    layout: Layout,
    manifests_dir: PathBuf,
    parts: Parts,
    catalog: Catalog,
) -> Bundle {
    Bundle {
        root: source.root(),
        layout,
        manifests_dir,
        package_name: catalog.package_name,
        channels: catalog.channels,
        default_channel: catalog.default_channel,
        csv: parts.csv,
        csv_file: parts.csv_file,
        csv_text: parts.csv_text,
        csv_range: parts.csv_range,
        crds: parts.crds,
        other_manifests: parts.other_manifests,
        manifest_subdirs: parts.subdirs,
        csv_choice: parts.choice,
        metadata: catalog.metadata,
        package: catalog.package,
        files: source.into_tree(),
    }
}

/// The manifests of one folder, parsed document by document.
struct Folder {
    files: Vec<ManifestFile>,
    subdirs: Vec<PathBuf>,
}

struct ManifestFile {
    path: PathBuf,
    text: String,
    documents: Vec<(Document, Value)>,
}

fn read_folder(source: &mut Source, dir: &Path) -> Result<Folder, Error> {
    let listing = source.list(dir)?;
    let mut files = Vec::new();
    for name in listing.files.iter().filter(|name| is_manifest_name(name)) {
        let path = dir.join(name);
        let text = source.read(&path)?;
        let documents = split_documents(&text)
            .into_iter()
            .map(|document| {
                let value = parse_document(&path, &text, &document)?;
                Ok((document, value))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        files.push(ManifestFile {
            path,
            text,
            documents,
        });
    }
    Ok(Folder {
        files,
        subdirs: listing.dirs.iter().map(|name| dir.join(name)).collect(),
    })
}

/// Which CSV of a folder is the bundle's when (wrongly) there are several.
enum CsvChoice {
    /// The one with this `metadata.name`.
    Name(String),
    Prefer(Preference),
}

/// The CSV whose `spec.version` is the folder's name, else the head of a channel, else the
/// first found.
#[derive(Default)]
struct Preference {
    /// The folder's name, which in a package manifest is the version.
    version: Option<String>,
    /// Channel heads (`currentCSV`) with their channel, the default channel's first.
    heads: Vec<(String, String)>,
}

struct Parts {
    csv: Csv,
    csv_file: PathBuf,
    csv_text: String,
    csv_range: std::ops::Range<usize>,
    crds: Vec<Crd>,
    other_manifests: Vec<Manifest>,
    subdirs: Vec<PathBuf>,
    /// Every CSV of the folder, for the package's upgrade graph.
    package_csvs: Vec<PackageCsv>,
    /// Why the CSV was taken, when the folder holds several.
    choice: Option<String>,
}

fn assemble(folder: Folder, dir: &Path, choice: &CsvChoice) -> Result<Parts, Error> {
    /// Where a CSV document is: file, document, and its entry in `others`.
    struct Found {
        file: usize,
        document: usize,
        other: usize,
        csv: PackageCsv,
    }
    let mut crds = Vec::new();
    let mut others = Vec::new();
    let mut csvs: Vec<Found> = Vec::new();
    for (file_index, file) in folder.files.iter().enumerate() {
        for (document_index, (_, value)) in file.documents.iter().enumerate() {
            let manifest = parse_manifest(&file.path, value)?;
            if manifest.kind.as_deref() == Some(CSV_KIND) {
                csvs.push(Found {
                    file: file_index,
                    document: document_index,
                    other: others.len(),
                    csv: parse_package_csv(&file.path, value)?,
                });
                others.push(manifest);
            } else if is_crd(&manifest) {
                crds.push(parse_crd(&file.path, value)?);
            } else {
                others.push(manifest);
            }
        }
    }
    let same_version = |found: &&Found, version: &str| {
        found.csv.version.trim_start_matches('v') == version.trim_start_matches('v')
    };
    let (chosen, reason) = match choice {
        CsvChoice::Name(name) => (
            csvs.iter().find(|found| &found.csv.name == name),
            format!("it is {name}, the package's current CSV"),
        ),
        CsvChoice::Prefer(preference) => {
            let by_version = preference.version.as_ref().and_then(|version| {
                let found = csvs.iter().find(|found| same_version(found, version))?;
                Some((
                    found,
                    format!(
                        "its spec.version {} is the folder's name",
                        found.csv.version
                    ),
                ))
            });
            let by_head = || {
                preference.heads.iter().find_map(|(head, channel)| {
                    let found = csvs.iter().find(|found| &found.csv.name == head)?;
                    Some((
                        found,
                        format!("it is the currentCSV of the package's channel {channel}"),
                    ))
                })
            };
            let first = || {
                let reason = if preference.version.is_none() && preference.heads.is_empty() {
                    "it comes first in file order".to_string()
                } else {
                    "it comes first in file order, as no spec.version is the folder's name and \
                     no channel's currentCSV is among them"
                        .to_string()
                };
                csvs.first().map(|found| (found, reason))
            };
            match by_version.or_else(by_head).or_else(first) {
                Some((found, reason)) => (Some(found), reason),
                None => (None, String::new()),
            }
        }
    };
    let Some(chosen) = chosen else {
        return Err(Error::NoCsv {
            dir: dir.to_path_buf(),
        });
    };
    let choice = (csvs.len() > 1).then_some(reason);
    // The chosen CSV is the bundle's; any other stays among the other manifests for `check`.
    others.remove(chosen.other);
    let mut files = folder.files;
    let file = files.swap_remove(chosen.file);
    let (document, value) = &file.documents[chosen.document];
    let csv = parse_csv(&file.path, &file.text, document, value)?;
    Ok(Parts {
        csv,
        csv_range: document.range.clone(),
        csv_file: file.path,
        csv_text: file.text,
        crds,
        other_manifests: others,
        subdirs: folder.subdirs,
        package_csvs: csvs.into_iter().map(|found| found.csv).collect(),
        choice,
    })
}

/// The CSVs of every version folder. Only documents that mention the kind are parsed, so the big
/// CRDs of folders not loaded cost a read but no parse.
fn scan_package_csvs(source: &mut Source, dirs: &[PathBuf]) -> Result<Vec<PackageCsv>, Error> {
    let mut csvs = Vec::new();
    for dir in dirs {
        let listing = source.list(dir)?;
        for name in listing.files.iter().filter(|name| is_manifest_name(name)) {
            let path = dir.join(name);
            let text = source.read(&path)?;
            if !text.contains(CSV_KIND) {
                continue;
            }
            for document in split_documents(&text) {
                if !text[document.range.clone()].contains(CSV_KIND) {
                    continue;
                }
                let value = parse_document(&path, &text, &document)?;
                if value.get("kind").and_then(Value::as_str) == Some(CSV_KIND) {
                    csvs.push(parse_package_csv(&path, &value)?);
                }
            }
        }
    }
    Ok(csvs)
}

fn find_package_file(
    source: &mut Source,
    dir: &Path,
    listing: &Listing,
) -> Result<Option<(PathBuf, Value)>, Error> {
    for name in listing
        .files
        .iter()
        .filter(|name| is_package_file_name(name))
    {
        let path = dir.join(name);
        let text = source.read(&path)?;
        let Some(document) = split_documents(&text).into_iter().next() else {
            continue;
        };
        let value = parse_document(&path, &text, &document)?;
        if is_package(&value) {
            return Ok(Some((path, value)));
        }
    }
    Ok(None)
}

fn read_bundle_metadata(source: &mut Source) -> Result<Option<BundleMetadata>, Error> {
    let listing = source.list(Path::new("metadata"))?;
    let Some(name) = ["annotations.yaml", "annotations.yml"]
        .into_iter()
        .find(|name| listing.files.iter().any(|file| file == name))
    else {
        return Ok(None);
    };
    let file = Path::new("metadata").join(name);
    let text = source.read(&file)?;
    let annotations = match split_documents(&text).first() {
        Some(document) => {
            let value = parse_document(&file, &text, document)?;
            Node::root(&value, &file).string_map("annotations")?
        }
        None => Vec::new(),
    };
    Ok(Some(BundleMetadata { file, annotations }))
}

/// The name of the folder that was loaded: a version folder is usually named after the version.
fn folder_name(source: &Source, path: &Path) -> Option<String> {
    match source.root() {
        Root::Dir(_) => path
            .canonicalize()
            .ok()?
            .file_name()?
            .to_str()
            .map(str::to_string),
        Root::Archive { prefix, .. } => prefix
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .filter(|name| !name.is_empty())
            .map(str::to_string),
    }
}

fn is_manifest_name(name: &str) -> bool {
    [".yaml", ".yml", ".json"]
        .iter()
        .any(|extension| name.ends_with(extension))
        && !is_package_file_name(name)
}

pub(crate) fn split_channels(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_string)
        .collect()
}
