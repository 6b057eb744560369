//! The lint checklist of docs/osc-format.md#lint-checklist for an OSC-format package, as
//! findings, so a provider sees every problem at once.

mod crd;
mod csd;
mod layout;
mod lifecycle;
mod metadata;
mod vendor;

use std::collections::BTreeMap;
use std::path::Path;

use osc_diagnostic::{Diagnostic, Severity};

use crate::{ReadError, read_package};

/// Checks the files of an OSC-format package (paths relative to the package root; one top folder
/// holding everything is looked through). Findings come in a stable order: layout, metadata.yaml,
/// CRDs, CSDs, lifecycle.yaml, vendor files, raw/.
pub fn check(files: &[(String, Vec<u8>)]) -> Vec<Diagnostic> {
    let package = Package::new(files);
    let mut findings = Findings::default();
    layout::check(&package, &mut findings);
    let facts = metadata::check(&package, &mut findings);
    let is_helm =
        facts.package_type.as_deref() == Some("helm") || package.get("raw/Chart.yaml").is_some();
    let crds = crd::check(&package, is_helm, &mut findings);
    let referenced = csd::check(&package, &crds, is_helm, &mut findings);
    lifecycle::check(&package, &facts, is_helm, &mut findings);
    vendor::check(&package, &referenced, &mut findings);
    if is_helm {
        metadata::check_raw_chart(&package, &facts, &mut findings);
    }
    findings.0
}

/// Reads an OSC-format package (folder, `.zip` or `.tgz`) and checks it, its name against
/// metadata.yaml, and an archive's size against the platform's 4 MB.
pub fn check_archive(path: &Path) -> Result<Vec<Diagnostic>, ReadError> {
    let files = read_package(path)?;
    let mut findings = check(&files);
    let package = Package::new(&files);
    let facts = metadata::facts(&package);
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = [".zip", ".tgz", ".tar.gz"]
        .iter()
        .find_map(|extension| file_name.strip_suffix(extension))
        .unwrap_or(&file_name);
    if let (Some(name), Some(version)) = (&facts.name, &facts.version) {
        let expected = format!("{name}-{version}");
        if stem != expected {
            findings.push(Diagnostic::error(
                "names-archive",
                file_name.clone(),
                format!("the package is named `{file_name}`, but metadata.yaml says `{expected}`"),
                format!("name it `{expected}.zip` (or `.tgz`)"),
            ));
        }
    }
    let size = std::fs::metadata(path)
        .map_err(|source| ReadError::Io {
            path: path.to_path_buf(),
            source,
        })?
        .len();
    if path.is_file() && size > osc_package::rules::MAX_DEPLOYABLE_BYTES {
        findings.push(Diagnostic::error(
            "size-archive",
            file_name,
            format!(
                "the package is {size} bytes; the platform accepts at most 4 MB ({} bytes)",
                osc_package::rules::MAX_DEPLOYABLE_BYTES
            ),
            "shrink raw/ (drop files .helmignore could exclude, such as docs and tests) or the CRD schemas",
        ));
    }
    Ok(findings)
}

/// The package's files by path, a top folder holding everything looked through.
pub(crate) struct Package<'a> {
    files: BTreeMap<&'a str, &'a [u8]>,
}

impl<'a> Package<'a> {
    fn new(files: &'a [(String, Vec<u8>)]) -> Package<'a> {
        let top = files
            .first()
            .and_then(|(name, _)| name.split_once('/'))
            .map(|(top, _)| top.len() + 1)
            .filter(|&length| {
                let top = &files[0].0[..length];
                files
                    .iter()
                    .all(|(name, _)| name.len() > length && name.starts_with(top))
            })
            .filter(|_| !files.iter().any(|(name, _)| name == "metadata.yaml"))
            .unwrap_or(0);
        Package {
            files: files
                .iter()
                .map(|(name, data)| (&name[top..], data.as_slice()))
                .collect(),
        }
    }

    pub fn get(&self, path: &str) -> Option<&'a [u8]> {
        self.files.get(path).copied()
    }

    /// Paths, sorted.
    pub fn paths(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.files.keys().copied()
    }

    /// The files directly in `dir/`, as (path, bytes).
    pub fn in_dir(&self, dir: &'a str) -> impl Iterator<Item = (&'a str, &'a [u8])> + '_ {
        self.files.iter().filter_map(move |(path, data)| {
            path.strip_prefix(dir)
                .and_then(|rest| rest.strip_prefix('/'))
                .filter(|rest| !rest.contains('/'))
                .map(|_| (*path, *data))
        })
    }
}

#[derive(Default)]
pub(crate) struct Findings(Vec<Diagnostic>);

impl Findings {
    pub fn error(
        &mut self,
        rule: &'static str,
        file: &str,
        field: Option<&str>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.push(rule, Severity::Error, file, field, message, help);
    }

    pub fn warning(
        &mut self,
        rule: &'static str,
        file: &str,
        field: Option<&str>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.push(rule, Severity::Warning, file, field, message, help);
    }

    pub fn push(
        &mut self,
        rule: &'static str,
        severity: Severity,
        file: &str,
        field: Option<&str>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.0.push(
            Diagnostic::new(rule, severity, file, message, help)
                .at_maybe(field.map(str::to_string)),
        );
    }
}

/// A YAML file of the package, or the finding that it cannot be read. An empty file is `Null`.
pub(crate) fn parse_yaml(
    package: &Package<'_>,
    path: &str,
    rule: &'static str,
    findings: &mut Findings,
) -> Option<serde_norway::Value> {
    let data = package.get(path)?;
    let parsed = std::str::from_utf8(data)
        .map_err(|_| "not UTF-8 text".to_string())
        .and_then(|text| {
            serde_norway::from_str::<serde_norway::Value>(text).map_err(|error| error.to_string())
        });
    match parsed {
        Ok(value) => Some(value),
        Err(message) => {
            findings.error(
                rule,
                path,
                None,
                format!("cannot be read: {message}"),
                "fix the YAML syntax",
            );
            None
        }
    }
}

/// The string at `key` of a mapping, if it is one.
pub(crate) fn text<'v>(value: &'v serde_norway::Value, key: &str) -> Option<&'v str> {
    value.get(key).and_then(serde_norway::Value::as_str)
}
