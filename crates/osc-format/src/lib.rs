//! Converts a Helm chart or an OLM operator into the OSC-format package (what the platform's
//! `oscctl convert` makes: metadata.yaml, manifests/ with CRDs and CSDs, lifecycle.yaml, raw/),
//! writes it reproducibly, and lints OSC-format packages with docs/osc-format.md#lint-checklist.
//!
//! ```no_run
//! use osc_format::{ArchiveFormat, ConvertOptions};
//!
//! let chart = osc_chart::Chart::load(std::path::Path::new("redis"))?;
//! let options = ConvertOptions {
//!     source: Some("ISV".to_string()),
//!     categories: Some(vec!["Database".to_string()]),
//!     format: ArchiveFormat::Zip,
//!     ..ConvertOptions::default()
//! };
//! let package = osc_format::convert_chart(&chart, &options)?;
//! let written = package.write_to(std::path::Path::new("out"))?;
//! for finding in osc_format::check_archive(&written)? {
//!     eprintln!("{finding}");
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod archive;
mod check;
mod descriptor;
mod error;
mod helm;
mod metadata;
mod operator;
mod render;
mod schema;
mod source;

use std::path::{Path, PathBuf};

use osc_archive::OutputError;

pub use crate::archive::read_package;
pub use crate::check::{check, check_archive};
pub use crate::error::{ConvertError, ReadError};
pub use crate::helm::convert_chart;
pub use crate::operator::convert_bundle;
pub use osc_diagnostic::Diagnostic;
pub use osc_versiondef::{Mode, Severity, VersionDefinition};

/// What the user supplies beside the chart or operator: values that override or complete what
/// Chart.yaml or the CSV says.
#[derive(Clone, Debug, Default)]
pub struct ConvertOptions {
    /// Written into the CSD of the main custom resource.
    pub version_definition: Option<VersionDefinition>,
    pub display_name: Option<String>,
    /// At most 63 characters.
    pub brief_description: Option<String>,
    pub provider_name: Option<String>,
    pub provider_url: Option<String>,
    /// `ISV`, `OpenSource` or `HuaweiProvided`.
    pub source: Option<String>,
    /// Each one of the platform's twelve categories.
    pub categories: Option<Vec<String>>,
    /// `x86_64` and/or `aarch64`.
    pub architecture: Option<Vec<String>>,
    /// `CCE` and/or `UCS`.
    pub scenes: Option<Vec<String>>,
    pub format: ArchiveFormat,
}

/// How [`OscPackage::write_to`] stores the package.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ArchiveFormat {
    /// `{name}-{version}.zip`, the platform's usual form.
    #[default]
    Zip,
    /// `{name}-{version}.tgz`.
    Tgz,
    /// A folder `{name}-{version}/`.
    Dir,
}

/// A converted package: its files by path inside the package, sorted, and what the conversion
/// could not settle on its own.
#[derive(Clone, Debug)]
pub struct OscPackage {
    /// metadata.yaml `name`.
    pub name: String,
    /// metadata.yaml `version`.
    pub version: String,
    /// Paths use `/` and have no top folder, e.g. `manifests/helmrelease_crd.yaml`.
    pub files: Vec<(String, Vec<u8>)>,
    /// Things the user should look at, in the order found.
    pub warnings: Vec<String>,
    pub format: ArchiveFormat,
}

impl ArchiveFormat {
    /// The format a path asks for: `.zip` or `.tgz` (in any letter case), else a folder.
    pub fn for_path(path: &Path) -> ArchiveFormat {
        let extension = path
            .extension()
            .and_then(|extension| extension.to_str())
            .unwrap_or_default()
            .to_ascii_lowercase();
        match extension.as_str() {
            "zip" => ArchiveFormat::Zip,
            "tgz" => ArchiveFormat::Tgz,
            _ => ArchiveFormat::Dir,
        }
    }
}

impl OscPackage {
    /// Writes the package as `out` itself in its [`ArchiveFormat`], creating the folder `out` is
    /// in. An archive goes through a temp file renamed into place; a folder is built beside its
    /// target and renamed, so a failure never leaves half a package.
    pub fn write_at(&self, out: &Path) -> Result<(), OutputError> {
        let io_error = |path: &Path| {
            let path = path.to_path_buf();
            move |source| OutputError::Io { path, source }
        };
        let parent = out
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(io_error(parent))?;
        match self.format {
            ArchiveFormat::Dir => {
                osc_archive::write_new_dir(out, |dir| self.write_dir(dir).map_err(io_error(out)))
            }
            ArchiveFormat::Zip => {
                let bytes = self
                    .write_zip(std::io::Cursor::new(Vec::new()))
                    .map_err(io_error(out))?
                    .into_inner();
                osc_archive::write_file(out, &bytes)
            }
            ArchiveFormat::Tgz => {
                let bytes = self.write_tgz(Vec::new()).map_err(io_error(out))?;
                osc_archive::write_file(out, &bytes)
            }
        }
    }

    /// The package of `metadata` and `files`, sorted by path as every writer wants them.
    fn sorted(
        metadata: metadata::Metadata,
        mut files: Vec<(String, Vec<u8>)>,
        warnings: Vec<String>,
        format: ArchiveFormat,
    ) -> OscPackage {
        files.sort_by(|a, b| a.0.cmp(&b.0));
        OscPackage {
            name: metadata.name,
            version: metadata.version,
            files,
            warnings,
            format,
        }
    }

    /// `{name}-{version}`: the archive's stem and its one top folder.
    pub fn stem(&self) -> String {
        format!("{}-{}", self.name, self.version)
    }

    /// Writes the package into `out_dir` in its [`ArchiveFormat`] and returns the path written:
    /// `{name}-{version}.zip`, `.tgz`, or the folder `{name}-{version}/`.
    pub fn write_to(&self, out_dir: &std::path::Path) -> std::io::Result<PathBuf> {
        let stem = self.stem();
        match self.format {
            ArchiveFormat::Zip => {
                let path = out_dir.join(format!("{stem}.zip"));
                self.write_zip(std::fs::File::create(&path)?)?;
                Ok(path)
            }
            ArchiveFormat::Tgz => {
                let path = out_dir.join(format!("{stem}.tgz"));
                self.write_tgz(std::fs::File::create(&path)?)?;
                Ok(path)
            }
            ArchiveFormat::Dir => {
                let path = out_dir.join(stem);
                self.write_dir(&path)?;
                Ok(path)
            }
        }
    }

    /// Writes the files into `dir` itself (created when missing), without a top folder.
    pub fn write_dir(&self, dir: &std::path::Path) -> std::io::Result<()> {
        archive::write_dir(&self.files, dir)
    }

    /// Writes a zip with the one top folder `{name}-{version}/`, entries sorted and dated
    /// 1980-01-01 so the same package always gives the same bytes.
    pub fn write_zip<W: std::io::Write + std::io::Seek>(&self, out: W) -> std::io::Result<W> {
        archive::write_zip(&self.files, &self.stem(), out)
    }

    /// Writes a gzipped tar with the one top folder `{name}-{version}/`, entries sorted, every
    /// header fixed.
    pub fn write_tgz<W: std::io::Write>(&self, out: W) -> std::io::Result<W> {
        archive::write_tgz(&self.files, &self.stem(), out)
    }
}
