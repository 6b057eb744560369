//! Loads an Operator-Framework bundle (bundle format, package-manifest format, or a zip of either),
//! models its ClusterServiceVersion and CRDs, and checks them with OLM's bundle rules.
//!
//! ```no_run
//! let bundle = osc_csv::load(std::path::Path::new("etcd-bundle.zip"))?;
//! for finding in osc_csv::check(&bundle) {
//!     eprintln!("{finding}");
//! }
//! # Ok::<(), osc_csv::Error>(())
//! ```

mod alm;
mod check;
mod crd;
mod csv;
mod error;
mod image_ref;
mod load;
mod model;
mod names;
mod package;
mod skip_range;
mod source;
mod yaml;

pub use check::{Finding, Severity, check};
pub use error::{AlmError, Error};
pub use load::load;
pub use model::{
    AlmExamples, Bundle, BundleMetadata, Container, ContainerKind, Crd, CrdVersion, Csv,
    Deployment, Descriptor, EnvVar, Icon, InstallMode, Layout, Maintainer, Manifest, OwnedCrd,
    PackageChannel, PackageCsv, PackageManifest, Provider, RelatedImage, Root, ScalarStyle,
};
