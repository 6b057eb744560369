//! Lays out, name-checks, writes (streaming, reproducibly) and verifies OSC service package zips.
//!
//! A service package is `{name}-{version}.zip` holding `{name}/package/` (one Helm chart `.tgz` or
//! operator `.zip`), optionally `{name}/images/` (image tars and mapping.yaml) and
//! `{name}/extends/`, with a `{name}-{version}.zip.sha256` beside it. [`write()`] makes one;
//! [`verify()`] checks one; [`rules`] holds the naming rules both apply.

mod deployable;
mod error;
mod mapping;
pub mod rules;
mod source_mark;
mod verify;
mod write;
mod zip_stream;

#[cfg(test)]
#[path = "../tests/common/readers.rs"]
mod readers;

pub use deployable::zip_files;
pub use error::Error;
pub use osc_diagnostic::{Diagnostic, Severity};
pub use verify::{Report, verify};
pub use write::{
    Deployable, DeployableSource, PackageSpec, Progress, Written, WrittenEntry, write,
};
