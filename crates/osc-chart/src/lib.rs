//! Load a Helm chart from a directory or a `.tgz`, edit its Chart.yaml byte-exactly, and write the
//! reproducible `.tgz` that `helm package` makes.
//!
//! Loading follows Helm v4's `pkg/chart/v2/loader` rule for rule (`.helmignore`, the default
//! `templates/.?*` rule, subcharts in `charts/` as folders or archives, BOM stripping, size limits),
//! so the file set we package is Helm's. Writing follows `pkg/chart/v2/util/save.go` (Chart.yaml
//! first, then Chart.lock, values.yaml, values.schema.json, templates, other files, subcharts as
//! folders) with two deliberate differences: Chart.yaml keeps the provider's bytes instead of being
//! re-serialised, and every header is fixed (mtime, mode, owner, subchart order) so the same chart
//! always gives the same bytes.

mod archive;
mod ignore;
mod load;
mod metadata;

use std::io::Write;
use std::path::Path;

pub use archive::append_file;
pub use ignore::RuleError;
pub use load::LoadError;
pub use metadata::{Dependency, Maintainer, Metadata};

/// A loaded chart: its Chart.yaml (text and model), its other files in Helm's order, its subcharts.
#[derive(Debug, Clone)]
pub struct Chart {
    metadata: Metadata,
    chart_yaml: String,
    files: Vec<ChartFile>,
    dependencies: Vec<Chart>,
}

/// A file of a chart other than Chart.yaml, with its path relative to the chart's top folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartFile {
    pub path: String,
    pub data: Vec<u8>,
}

/// Where Helm takes a chart's notes from, relative to the chart's top folder.
pub const NOTES: &str = "templates/NOTES.txt";

/// The limits Helm's loader enforces, so a chart we accept is one Helm accepts.
pub const MAX_FILE_SIZE: u64 = 5 * 1024 * 1024;
pub const MAX_CHART_SIZE: u64 = 100 * 1024 * 1024;

impl Chart {
    /// Loads a chart from a directory (applying `.helmignore`) or from a `.tgz` made by `helm package`.
    pub fn load(path: &Path) -> Result<Chart, LoadError> {
        load::load(path)
    }

    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    pub fn version(&self) -> &str {
        &self.metadata.version
    }

    /// Chart.yaml as the provider wrote it (less a UTF-8 BOM, which Helm drops too), with our edits.
    pub fn chart_yaml(&self) -> &str {
        &self.chart_yaml
    }

    /// The chart's files other than Chart.yaml, in the order `helm package` writes them.
    pub fn files(&self) -> &[ChartFile] {
        &self.files
    }

    pub fn file(&self, path: &str) -> Option<&[u8]> {
        self.files
            .iter()
            .find(|file| file.path == path)
            .map(|file| file.data.as_slice())
    }

    pub fn values_yaml(&self) -> Option<&[u8]> {
        self.file("values.yaml")
    }

    /// The subcharts Helm loads from `charts/`, ordered by name.
    pub fn dependencies(&self) -> &[Chart] {
        &self.dependencies
    }

    /// The key the values of subchart `name` sit under in this chart's values: the alias
    /// Chart.yaml gives it, else its name.
    pub fn values_key<'a>(&'a self, name: &'a str) -> &'a str {
        self.metadata
            .dependencies
            .iter()
            .find(|dependency| dependency.name == name && !dependency.alias.is_empty())
            .map_or(name, |dependency| dependency.alias.as_str())
    }

    /// `{name}-{version}.tgz`, the file name `helm package` gives the archive.
    pub fn archive_file_name(&self) -> String {
        format!("{}-{}.tgz", self.metadata.name, self.metadata.version)
    }

    /// Sets `annotations.<key>` in Chart.yaml for each pair, creating `annotations` when absent and
    /// changing no other byte of the file.
    pub fn set_annotations(&mut self, pairs: &[(&str, &str)]) -> Result<(), EditError> {
        let mut document = osc_yaml::Document::parse(&self.chart_yaml).map_err(EditError::Parse)?;
        for (key, value) in pairs {
            let path = osc_yaml::Path::from_segments([
                osc_yaml::Segment::Key("annotations".to_string()),
                osc_yaml::Segment::Key(key.to_string()),
            ]);
            document
                .set(&path, osc_yaml::Value::Str(value.to_string()))
                .map_err(|error| EditError::Set {
                    key: format!("annotations.{key}"),
                    error,
                })?;
        }
        self.store(document)
    }

    /// Adds `{name, email}` as the last of `maintainers` in Chart.yaml, creating the list when
    /// absent, null or `[]`, and changing no other byte of the file. A maintainer of that name
    /// without an email gets the email instead, and one with both already there leaves the file
    /// as it is.
    pub fn add_maintainer(&mut self, name: &str, email: &str) -> Result<(), EditError> {
        use osc_yaml::{Path, Segment, Value};
        let mut document = osc_yaml::Document::parse(&self.chart_yaml).map_err(EditError::Parse)?;
        let same_name = self
            .metadata
            .maintainers
            .iter()
            .position(|maintainer| maintainer.name == name);
        let list = Segment::Key("maintainers".into());
        match same_name.map(|index| (index, self.metadata.maintainers[index].email.as_str())) {
            Some((_, known)) if known == email => return Ok(()),
            Some((index, "")) => {
                let path = Path::from_segments([list, index.into(), "email".into()]);
                document
                    .set(&path, Value::from(email))
                    .map_err(|error| EditError::Set {
                        key: path.to_string(),
                        error,
                    })?;
            }
            _ => {
                let entries = [("name", Value::from(name)), ("email", Value::from(email))];
                document
                    .push(&Path::from_segments([list]), &entries)
                    .map_err(|error| EditError::Add {
                        key: "maintainers".to_string(),
                        error,
                    })?;
            }
        }
        self.store(document)
    }

    /// Keeps an edited Chart.yaml, and the metadata read from it again.
    fn store(&mut self, document: osc_yaml::Document) -> Result<(), EditError> {
        let text = document.text().to_string();
        let metadata = metadata::parse(&text).map_err(|message| EditError::Reparse { message })?;
        self.chart_yaml = text;
        self.metadata = metadata;
        Ok(())
    }

    /// Replaces a file of the chart (e.g. values.yaml after a rewrite), or adds it when absent.
    pub fn set_file(&mut self, path: &str, data: Vec<u8>) {
        match self.files.iter_mut().find(|file| file.path == path) {
            Some(file) => file.data = data,
            None => self.files.push(ChartFile {
                path: path.to_string(),
                data,
            }),
        }
    }

    /// The chart with each file, here and in every subchart, as `edit` gives it: its new bytes,
    /// or `None` to leave it out. `edit` gets the chart's place as Helm names templates
    /// (`top`, `top/charts/sub`) and the file, its path relative to its own chart's top folder.
    pub fn with_files(&self, edit: &mut dyn FnMut(&str, &ChartFile) -> Option<Vec<u8>>) -> Chart {
        self.with_files_at(self.name(), edit)
    }

    fn with_files_at(
        &self,
        place: &str,
        edit: &mut dyn FnMut(&str, &ChartFile) -> Option<Vec<u8>>,
    ) -> Chart {
        Chart {
            metadata: self.metadata.clone(),
            chart_yaml: self.chart_yaml.clone(),
            files: self
                .files
                .iter()
                .filter_map(|file| {
                    edit(place, file).map(|data| ChartFile {
                        path: file.path.clone(),
                        data,
                    })
                })
                .collect(),
            dependencies: self
                .dependencies
                .iter()
                .map(|dependency| {
                    dependency.with_files_at(&format!("{place}/charts/{}", dependency.name()), edit)
                })
                .collect(),
        }
    }

    /// Writes the chart as a folder (`dir` itself becomes the chart's top folder), subcharts as
    /// folders under `charts/`; `dir` must not exist yet, so nothing of the user's is overwritten.
    pub fn write_dir(&self, dir: &Path) -> Result<(), osc_archive::OutputError> {
        let io_error = |source| osc_archive::OutputError::Io {
            path: dir.to_path_buf(),
            source,
        };
        std::fs::create_dir(dir).map_err(io_error)?;
        std::fs::write(dir.join("Chart.yaml"), &self.chart_yaml).map_err(io_error)?;
        for file in &self.files {
            // Loaded paths are checked already; checking again keeps a hand-made ChartFile inside too.
            let path = osc_archive::RelPath::parse(&file.path).map_err(|error| {
                io_error(std::io::Error::other(format!("`{}`: {error}", file.path)))
            })?;
            osc_archive::write_under(dir, &path, &file.data)?;
        }
        for dependency in &self.dependencies {
            let name = osc_archive::RelPath::parse(&dependency.metadata.name).map_err(|error| {
                io_error(std::io::Error::other(format!(
                    "subchart name `{}`: {error}",
                    dependency.metadata.name
                )))
            })?;
            std::fs::create_dir_all(dir.join("charts")).map_err(io_error)?;
            dependency.write_dir(&name.under(&dir.join("charts")))?;
        }
        Ok(())
    }

    /// Writes the chart as a gzipped tar with one top folder named after the chart, the way
    /// `helm package` lays it out, with every header fixed so the bytes depend only on the content.
    pub fn write_archive<W: Write>(&self, out: W) -> std::io::Result<W> {
        archive::write(self, out)
    }
}

/// Chart.yaml could not be edited without breaking it
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("Chart.yaml: {0}")]
    Parse(osc_yaml::Error),
    #[error("Chart.yaml: cannot set `{key}`: {error}")]
    Set { key: String, error: osc_yaml::Error },
    #[error("Chart.yaml: cannot add an entry to `{key}`: {error}")]
    Add { key: String, error: osc_yaml::Error },
    #[error("Chart.yaml: after the edit the file no longer loads: {message}")]
    Reparse { message: String },
}
