//! helm-osc's commands as library functions. A source is analysed once ([`analyse`]: loaded,
//! rendered with Helm, its images found with their keys, its platform traps found and their
//! fixes planned); [`lint`] reports on that analysis, [`package()`] lints it and builds the
//! service package from it, [`rewrite()`] shows what the platform makes of it. A built package's
//! images are pushed to a registry as the platform pushes them by [`push_package`], and
//! [`rehearse`] adds the platform's rewrite and a look-up of every image it deploys. Every rule has
//! one implementation, so `lint` and `package` cannot disagree.
//!
//! ```no_run
//! use std::path::Path;
//!
//! let inputs = osc_pipeline::Inputs {
//!     helm: Some(osc_pipeline::Helm::new("helm")),
//!     images: Some(Path::new("images").to_path_buf()),
//!     ..osc_pipeline::Inputs::default()
//! };
//! let analysis = osc_pipeline::analyse(Path::new("redis"), &inputs)?;
//! let report = osc_pipeline::lint(&analysis, &inputs)?;
//! for finding in &report.findings {
//!     eprintln!("{finding}");
//! }
//! # Ok::<(), osc_pipeline::Error>(())
//! ```
//!
//! The rules of the other crates keep their ids (`olm-*` from osc-csv, mapping.yaml's from
//! osc-mapping, `layout-*`/`name-*`/`source-isv`/`mapping-*` from osc-package's verify,
//! `versiondef-*` from osc-versiondef); the rules lint adds are listed in the README.

mod analysis;
mod contact;
mod convert;
mod error;
mod images;
mod lint;
mod mapping;
mod package;
mod rehearse;
mod rewrite;
mod verify;

use std::path::PathBuf;

pub use osc_diagnostic::{Diagnostic, Severity};
pub use osc_render::Helm;
pub use osc_source::Kind;

pub use crate::analysis::{Analysis, ChartAnalysis, Rendering, Subject, analyse};
pub use crate::convert::{
    check_version_definition, convert, read_version_definition, write_version_definition,
};
pub use crate::error::Error;
pub use crate::images::{
    ChartImages, ImageReport, ImagesReport, InvalidReport, KeyReport, LatentReport, OperatorImage,
    OperatorImages, OperatorUnmovable, UseReport, images, tars,
};
pub use crate::lint::{Report, lint};
pub use crate::mapping::{check_mapping, generate_mapping};
pub use crate::package::{
    DeployableReport, EntryReport, Maintainer, PackageOptions, PackageReport, Packaged, Plan,
    package, plan, write,
};
pub use crate::rehearse::{
    Event, ImageCheck, PushOptions, PushReport, PushedImage, PushedTar, Rehearsal, RehearseOptions,
    Wanted, check_images, push_package, rehearse,
};
pub use crate::rewrite::{RewriteOptions, Rewritten, RewrittenImage, rewrite};
pub use crate::verify::{Verified, verify};

/// What a command is given besides the source.
#[derive(Clone, Debug)]
pub struct Inputs {
    /// The folder of image tars that go into `images/`; a `mapping.yaml` there is used when
    /// `mapping` is not given.
    pub images: Option<PathBuf>,
    pub mapping: Option<PathBuf>,
    /// Values files for rendering a chart, in precedence order.
    pub values_files: Vec<PathBuf>,
    pub namespace: String,
    /// Without Helm, the checks that render a chart are skipped and an info finding says so.
    pub helm: Option<Helm>,
    /// Hears key discovery's `(renders done, renders planned)`.
    pub progress: Option<ProgressHook>,
}

/// A callback for key discovery's progress, shared with its render threads.
#[derive(Clone)]
pub struct ProgressHook(pub std::sync::Arc<dyn Fn(usize, usize) + Send + Sync>);

impl std::fmt::Debug for ProgressHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressHook")
    }
}

impl Default for Inputs {
    fn default() -> Inputs {
        Inputs {
            images: None,
            mapping: None,
            values_files: Vec::new(),
            namespace: "default".to_string(),
            helm: None,
            progress: None,
        }
    }
}

impl Inputs {
    /// mapping.yaml as given, else the one beside the tars.
    pub fn mapping_file(&self) -> Option<PathBuf> {
        self.mapping.clone().or_else(|| {
            let beside = self.images.as_ref()?.join("mapping.yaml");
            beside.is_file().then_some(beside)
        })
    }
}

/// The release name charts are rendered with, as `helm template` names it by default.
pub const RELEASE: &str = "release-name";
