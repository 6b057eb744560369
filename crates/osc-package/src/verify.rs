use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use serde_norway::Value;
use sha2::{Digest, Sha256};
use zip::ZipArchive;
use zip::result::ZipError;

use osc_diagnostic::{Diagnostic, Severity};

use crate::error::Error;
use crate::mapping;
use crate::rules::{self, RuleError};
use crate::source_mark::{self, Mark, Unreadable};
use crate::zip_stream::hex;

/// Checks a service package zip (and, when given, its `.sha256`) against the layout, naming, source
/// and mapping rules, reading every entry through to check its CRC.
///
/// Fails only when `zip` cannot be opened as a zip at all; everything else is a [`Diagnostic`] naming the entry it is about as its file.
pub fn verify(zip: &Path, sha256_file: Option<&Path>) -> Result<Report, Error> {
    let open_error = |cause: String| Error::Open {
        path: zip.to_owned(),
        cause,
    };
    let file = File::open(zip).map_err(|error| open_error(error.to_string()))?;
    let mut archive = ZipArchive::new(BufReader::with_capacity(READ_BUFFER_BYTES, file))
        .map_err(|error| open_error(describe(&error)))?;
    let zip_file_name = zip
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();

    let mut check = Check::default();
    let accepted = check.unsafe_entries(zip)?;
    let entries = check.read_entries(&mut archive, &accepted);
    let layout = check.layout(&entries, &zip_file_name);
    if let Some(layout) = &layout {
        check.deployable(&mut archive, layout);
        check.mapping(&mut archive, layout);
    }
    if let Some(sha256_file) = sha256_file {
        check.sha256(zip, &zip_file_name, sha256_file);
    }
    Ok(check.report)
}

/// What `verify` found and what the package holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub findings: Vec<Diagnostic>,
    /// The top folder, i.e. the serviceName.
    pub name: Option<String>,
    /// The version, from the zip's file name `{name}-{version}.zip`.
    pub version: Option<String>,
    /// The deployable's entry path, when `package/` holds exactly one file.
    pub deployable: Option<String>,
    /// Entry paths of the files in `images/` other than mapping.yaml.
    pub images: Vec<String>,
    /// Entry path of the mapping.yaml that was checked.
    pub mapping: Option<String>,
}

impl Report {
    pub fn has_errors(&self) -> bool {
        self.findings
            .iter()
            .any(|finding| finding.severity == Severity::Error)
    }
}

/// Large reads keep the CRC pass over multi-GiB image tars cheap.
const READ_BUFFER_BYTES: usize = 1024 * 1024;
/// Far above the platform's 4 MB for a deployable; bounds what verify buffers.
const MAX_NESTED_ZIP_BYTES: u64 = 64 * 1024 * 1024;
const MAX_MAPPING_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Clone)]
struct Entry {
    index: usize,
    name: String,
    is_dir: bool,
}

/// Where the package's parts are.
struct Layout {
    top: String,
    deployable: Option<Entry>,
    /// File names in `images/` other than mapping.yaml.
    image_names: BTreeSet<String>,
    /// mapping.yaml candidates, best place first.
    mappings: Vec<Entry>,
}

#[derive(Default)]
struct Check {
    report: Report,
}

impl Check {
    fn find(
        &mut self,
        rule: &'static str,
        severity: Severity,
        entry: &str,
        message: String,
        help: String,
    ) {
        self.report
            .findings
            .push(Diagnostic::new(rule, severity, entry, message, help));
    }

    fn broken(&mut self, entry: &str, broken: RuleError) {
        self.find(
            broken.rule,
            Severity::Error,
            entry,
            broken.problem,
            broken.help,
        );
    }

    /// Entries `package` would never write (unsafe names, names twice, links, special files) are
    /// errors, and left out of every later check; returns the indexes of the others.
    fn unsafe_entries(&mut self, zip: &Path) -> Result<BTreeSet<usize>, Error> {
        let (index, refused) = osc_archive::ZipIndex::open(zip).map_err(|error| Error::Open {
            path: zip.to_owned(),
            cause: error.message().to_string(),
        })?;
        for refused in refused {
            self.find(
                "zip-unsafe-entry",
                Severity::Error,
                &refused.entry,
                format!("`{}`: {}", refused.entry, refused.message),
                "the platform unpacks the package: build it again with `helm osc package`, which writes only safe, unique names".into(),
            );
        }
        Ok(index.entries().iter().map(|entry| entry.index).collect())
    }

    /// Lists the entries and reads each file through, which makes the zip crate check its CRC.
    fn read_entries<R: Read + io::Seek>(
        &mut self,
        archive: &mut ZipArchive<R>,
        accepted: &BTreeSet<usize>,
    ) -> Vec<Entry> {
        let mut entries = Vec::with_capacity(archive.len());
        for index in 0..archive.len() {
            if !accepted.contains(&index) {
                continue;
            }
            let name = archive.name_for_index(index).unwrap_or_default().to_owned();
            let read = archive
                .by_index(index)
                .and_then(|mut file| Ok(io::copy(&mut file, &mut io::sink())?));
            if let Err(error) = read {
                self.find(
                    "zip-corrupt",
                    Severity::Error,
                    &name,
                    format!("entry `{name}` cannot be read back ({})", describe(&error)),
                    "the zip is damaged: write or download it again".into(),
                );
            }
            entries.push(Entry {
                index,
                is_dir: name.ends_with('/'),
                name,
            });
        }
        entries
    }

    /// Sorts the entries into the package's parts and checks the layout and naming rules.
    fn layout(&mut self, entries: &[Entry], zip_file_name: &str) -> Option<Layout> {
        let mut tops = BTreeSet::new();
        let mut root_mapping = None;
        for entry in entries {
            match entry.name.split_once('/') {
                Some((top, _)) => {
                    tops.insert(top.to_owned());
                }
                None if entry.name == "mapping.yaml" => {
                    root_mapping = Some(entry.clone());
                }
                None => self.find(
                    "layout-top-folder",
                    Severity::Error,
                    &entry.name,
                    format!("`{}` lies outside the top folder", entry.name),
                    "put everything under `{name}/`, the service's one top folder".into(),
                ),
            }
        }
        let file_name_parts = split_zip_file_name(zip_file_name, &tops);
        let top = match tops.len() {
            0 => {
                self.find(
                    "layout-top-folder",
                    Severity::Error,
                    zip_file_name,
                    "the zip has no top folder".into(),
                    "put the package's parts under one folder named after the service: `{name}/package/`, `{name}/images/`".into(),
                );
                return None;
            }
            1 => tops.first().cloned().unwrap_or_default(),
            _ => {
                let listed: Vec<String> = tops.iter().map(|top| format!("`{top}/`")).collect();
                self.find(
                    "layout-top-folder",
                    Severity::Error,
                    zip_file_name,
                    format!(
                        "the zip has {} top folders ({}), but a service package has one",
                        tops.len(),
                        listed.join(", ")
                    ),
                    "keep one package per zip, under one folder named after the service".into(),
                );
                file_name_parts
                    .as_ref()
                    .filter(|(name, _)| tops.contains(name))
                    .map(|(name, _)| name.clone())
                    .or_else(|| tops.first().cloned())
                    .unwrap_or_default()
            }
        };
        self.names(&top, zip_file_name, file_name_parts);

        let mut layout = Layout {
            top: top.clone(),
            deployable: None,
            image_names: BTreeSet::new(),
            mappings: Vec::new(),
        };
        let mut package_files = Vec::new();
        let mut top_mapping = None;
        let mut images_mapping = None;
        for entry in entries {
            let Some(rest) = entry
                .name
                .strip_prefix(&top)
                .and_then(|rest| rest.strip_prefix('/'))
            else {
                continue;
            };
            let (folder, inside) = rest.split_once('/').unwrap_or(("", rest));
            match (folder, inside) {
                (_, "") if entry.is_dir => {}
                ("", "mapping.yaml") => top_mapping = Some(entry.clone()),
                ("package", _) => package_files.push(entry.clone()),
                ("images", "mapping.yaml") => images_mapping = Some(entry.clone()),
                ("images", image) if !entry.is_dir && !image.contains('/') => {
                    if let Err(broken) = rules::image_tar_name(image) {
                        self.broken(&entry.name, broken);
                    }
                    layout.image_names.insert(image.to_owned());
                    self.report.images.push(entry.name.clone());
                }
                ("extends", _) => {}
                _ => self.find(
                    "layout-unexpected-entry",
                    Severity::Warning,
                    &entry.name,
                    format!("`{}` is not part of a service package's layout", entry.name),
                    format!(
                        "a package holds `{top}/package/`, `{top}/images/` and `{top}/extends/`; move or remove this entry"
                    ),
                ),
            }
        }
        layout.mappings = [images_mapping, top_mapping, root_mapping]
            .into_iter()
            .flatten()
            .collect();

        match package_files.as_slice() {
            [] => self.find(
                "layout-one-deployable",
                Severity::Error,
                &format!("{top}/package/"),
                format!("`{top}/package/` holds no deployable"),
                "put the Helm chart `.tgz` or the operator or OSC-format `.zip` there".into(),
            ),
            [one] => layout.deployable = Some(one.clone()),
            several => {
                let listed: Vec<&str> = several.iter().map(|file| file.name.as_str()).collect();
                self.find(
                    "layout-one-deployable",
                    Severity::Error,
                    &format!("{top}/package/"),
                    format!(
                        "`{top}/package/` holds {} entries ({}), but the platform takes exactly one file",
                        several.len(),
                        listed.join(", ")
                    ),
                    "keep only the chart `.tgz` or the operator `.zip` in package/".into(),
                );
            }
        }
        self.report.deployable = layout.deployable.as_ref().map(|entry| entry.name.clone());
        Some(layout)
    }

    /// The service name (the top folder) and the version (from the zip's file name).
    fn names(&mut self, top: &str, zip_file_name: &str, file_name_parts: Option<(String, String)>) {
        let top_entry = format!("{top}/");
        if let Err(broken) = rules::service_name(top) {
            self.broken(&top_entry, broken);
        }
        self.report.name = Some(top.to_owned());
        match file_name_parts {
            Some((name, version)) => {
                if name != top {
                    self.find(
                        "layout-top-folder",
                        Severity::Error,
                        &top_entry,
                        format!("the top folder `{top}/` does not match the zip's file name `{zip_file_name}`"),
                        format!("the platform expects `{{name}}-{{version}}.zip` to hold `{{name}}/`: rename the zip to `{top}-{version}.zip` or the folder to `{name}/`"),
                    );
                }
                if let Err(broken) = rules::version(&version) {
                    self.broken(zip_file_name, broken);
                }
                self.report.version = Some(version);
            }
            None => self.find(
                "name-zip-file",
                Severity::Warning,
                zip_file_name,
                format!("the zip's file name `{zip_file_name}` is not `{{name}}-{{version}}.zip`"),
                format!(
                    "name it `{top}-{{version}}.zip` so the platform can read the version from it"
                ),
            ),
        }
    }

    fn deployable<R: Read + io::Seek>(&mut self, archive: &mut ZipArchive<R>, layout: &Layout) {
        let Some(entry) = &layout.deployable else {
            return;
        };
        let file_name = entry.name.rsplit('/').next().unwrap_or_default();
        if let Err(broken) = rules::deployable_name(file_name) {
            self.broken(&entry.name, broken);
            return;
        }
        let marks = match archive.by_index(entry.index) {
            Err(_) => return, // already a `zip-corrupt` finding
            Ok(file) => {
                if let Err(broken) = rules::deployable_size(file_name, file.size()) {
                    self.broken(&entry.name, broken);
                }
                if file.size() > MAX_NESTED_ZIP_BYTES {
                    Err(Unreadable {
                        problem: format!("is {} bytes, too large to look inside", file.size()),
                        help: "a deployable belongs well under the platform's 4 MB".into(),
                    })
                } else {
                    let mut bytes = Vec::new();
                    match file.take(MAX_NESTED_ZIP_BYTES).read_to_end(&mut bytes) {
                        Ok(_) if file_name.ends_with(".tgz") => source_mark::chart_marks(&bytes),
                        Ok(_) => source_mark::zipped_marks(&bytes),
                        Err(_) => return, // already a `zip-corrupt` finding
                    }
                }
            }
        };
        match marks {
            Err(unreadable) => self.find(
                "deployable-unreadable",
                Severity::Error,
                &entry.name,
                format!("`{}` {}", entry.name, unreadable.problem),
                unreadable.help,
            ),
            Ok(marks) => {
                for Mark { file, key, value } in marks {
                    if value.as_deref() == Some("ISV") {
                        continue;
                    }
                    let problem = match value {
                        Some(value) => format!("has `{key}: {value}`"),
                        None => format!("has no `{key}`"),
                    };
                    self.find(
                        "source-isv",
                        Severity::Error,
                        &entry.name,
                        format!("`{file}` in `{}` {problem}, but a provider's package must be marked `ISV`", entry.name),
                        format!("set `{key}: ISV` in `{file}` and package it again"),
                    );
                }
            }
        }
    }

    fn mapping<R: Read + io::Seek>(&mut self, archive: &mut ZipArchive<R>, layout: &Layout) {
        let top = &layout.top;
        let best_place = format!("{top}/images/mapping.yaml");
        let Some(chosen) = layout.mappings.first() else {
            if !layout.image_names.is_empty() {
                self.find(
                    "mapping-missing",
                    Severity::Warning,
                    &format!("{top}/images/"),
                    format!("`{top}/images/` holds {} image tars but the package has no mapping.yaml", layout.image_names.len()),
                    format!("add `{best_place}` so the platform knows which values hold each image's address"),
                );
            }
            return;
        };
        self.report.mapping = Some(chosen.name.clone());
        if chosen.name != best_place {
            self.find(
                "mapping-location",
                Severity::Warning,
                &chosen.name,
                format!(
                    "`{}` is not where the platform's examples keep mapping.yaml",
                    chosen.name
                ),
                format!("move it to `{best_place}`, where the platform's examples keep it"),
            );
        }
        if layout.mappings.len() > 1 {
            let listed: Vec<&str> = layout
                .mappings
                .iter()
                .map(|entry| entry.name.as_str())
                .collect();
            self.find(
                "mapping-location",
                Severity::Warning,
                &chosen.name,
                format!(
                    "the package holds {} mapping.yaml files ({}); only `{}` was checked",
                    listed.len(),
                    listed.join(", "),
                    chosen.name
                ),
                format!("keep only `{best_place}`, so the platform cannot read another one"),
            );
        }

        let mut text = Vec::new();
        let read = archive
            .by_index(chosen.index)
            .map_err(io::Error::from)
            .and_then(|file| file.take(MAX_MAPPING_BYTES).read_to_end(&mut text));
        if read.is_err() {
            return; // already a `zip-corrupt` finding
        }
        let mapping: Value = match serde_norway::from_slice(&text) {
            Ok(mapping) => mapping,
            Err(error) => {
                self.find(
                    "mapping-invalid",
                    Severity::Error,
                    &chosen.name,
                    format!("`{}` is not valid YAML ({error})", chosen.name),
                    "fix the YAML at the line the parser names".into(),
                );
                return;
            }
        };
        let references = mapping::tar_references(&mapping);
        for reference in &references {
            if !layout.image_names.contains(&reference.tar) {
                self.find(
                    "mapping-missing-tar",
                    Severity::Error,
                    &chosen.name,
                    format!(
                        "`{}` names `{}` at `{}`, but `{top}/images/` holds no such tar",
                        chosen.name, reference.tar, reference.at
                    ),
                    "add the image tar to images/ or correct the file name in mapping.yaml".into(),
                );
            }
        }
        let named: BTreeSet<&str> = references
            .iter()
            .map(|reference| reference.tar.as_str())
            .collect();
        for image in &layout.image_names {
            if !named.contains(image.as_str()) {
                self.find(
                    "mapping-unused-tar",
                    Severity::Warning,
                    &format!("{top}/images/{image}"),
                    format!(
                        "`{image}` is in images/ but `{}` does not name it",
                        chosen.name
                    ),
                    "map it under `instance` or `lifecycle` in mapping.yaml, or drop the tar"
                        .into(),
                );
            }
        }
    }

    /// Compares the zip's SHA-256 with the `.sha256` file in `sha256sum -c` format.
    fn sha256(&mut self, zip: &Path, zip_file_name: &str, sha256_file: &Path) {
        let entry = sha256_file.display().to_string();
        let mut text = String::new();
        let read =
            File::open(sha256_file).and_then(|file| file.take(4096).read_to_string(&mut text));
        if let Err(error) = read {
            self.find(
                "sha256-unreadable",
                Severity::Error,
                &entry,
                format!("`{entry}` cannot be read ({error})"),
                "give the `.sha256` file written beside the zip".into(),
            );
            return;
        }
        let mut fields = text.split_whitespace();
        let expected = fields.next().unwrap_or_default().to_ascii_lowercase();
        if expected.len() != 64 || !expected.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            self.find(
                "sha256-unreadable",
                Severity::Error,
                &entry,
                format!("`{entry}` does not start with a SHA-256 digest (64 hex digits)"),
                format!(
                    "write it as `sha256sum {zip_file_name}` does: `<digest>  {zip_file_name}`"
                ),
            );
            return;
        }
        if let Some(named) = fields.next().map(|name| name.trim_start_matches('*'))
            && named != zip_file_name
        {
            self.find(
                "sha256-file-name",
                Severity::Warning,
                &entry,
                format!("`{entry}` is for `{named}`, not `{zip_file_name}`"),
                format!("`sha256sum -c` would check `{named}`: name `{zip_file_name}` in it"),
            );
        }
        let actual = match sha256_of(zip) {
            Ok(actual) => actual,
            Err(error) => {
                self.find(
                    "sha256-mismatch",
                    Severity::Error,
                    zip_file_name,
                    format!("`{zip_file_name}` cannot be read to hash it ({error})"),
                    "check the file and try again".into(),
                );
                return;
            }
        };
        if actual != expected {
            self.find(
                "sha256-mismatch",
                Severity::Error,
                zip_file_name,
                format!("`{zip_file_name}` has SHA-256 {actual}, but `{entry}` says {expected}"),
                "the zip changed after it was written or its download broke: write or fetch it again".into(),
            );
        }
    }
}

/// Splits `{name}-{version}.zip`: at the top folder's name when it fits, else before the first
/// `-` that a SemVer version follows.
fn split_zip_file_name(file_name: &str, tops: &BTreeSet<String>) -> Option<(String, String)> {
    let stem = file_name.strip_suffix(".zip")?;
    let at_top = tops.iter().find_map(|top| {
        let version = stem.strip_prefix(top.as_str())?.strip_prefix('-')?;
        (!version.is_empty()).then(|| (top.clone(), version.to_owned()))
    });
    at_top.or_else(|| {
        stem.match_indices('-').find_map(|(at, _)| {
            let version = &stem[at + 1..];
            semver::Version::parse(version)
                .is_ok()
                .then(|| (stem[..at].to_owned(), version.to_owned()))
        })
    })
}

fn sha256_of(path: &Path) -> io::Result<String> {
    let mut file = File::open(path)?;
    let mut sha = Sha256::new();
    let mut buffer = vec![0; READ_BUFFER_BYTES];
    loop {
        match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => sha.update(&buffer[..n]),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(hex(&sha.finalize()))
}

/// The zip crate prints its I/O errors as just "i/o error"; this shows the cause.
fn describe(error: &ZipError) -> String {
    match error {
        ZipError::Io(cause) => cause.to_string(),
        other => other.to_string(),
    }
}
