//! Loads an Operator-Framework bundle (bundle format, package-manifest format, or a zip of either),
//! models its ClusterServiceVersion and CRDs, checks them with OLM's bundle rules, and edits the
//! CSV's text changing only the bytes an edit needs.
//!
//! ```no_run
//! let bundle = osc_csv::load(std::path::Path::new("etcd-bundle.zip"))?;
//! for finding in osc_csv::check(&bundle) {
//!     eprintln!("{finding}");
//! }
//! let mut editor = osc_csv::CsvEditor::new(&bundle);
//! editor.set_annotation("source", "ISV")?;
//! editor.set_alm_example_field("EtcdCluster", "spec.image", "swr.example.com/team/etcd:3.5.0")?;
//! std::fs::write("edited.clusterserviceversion.yaml", editor.text())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod alm;
mod check;
mod crd;
mod csv;
mod edit;
mod error;
mod files;
mod load;
mod model;
mod names;
mod package;
mod skip_range;
mod source;
mod yaml;

pub use check::{check, looks_like_email};
pub use edit::{CsvEditor, RelatedImageKey};
pub use error::{AlmError, EditError, Error};
pub use files::bundle_files;
pub use load::load;
pub use model::{
    AlmExamples, Bundle, BundleMetadata, Container, ContainerKind, Crd, CrdVersion, Csv,
    Deployment, Descriptor, EnvVar, Icon, InstallMode, Layout, Maintainer, Manifest, OwnedCrd,
    PackageChannel, PackageCsv, PackageManifest, Provider, RelatedImage, Root, ScalarStyle,
};
pub use osc_diagnostic::{Diagnostic, Severity};
