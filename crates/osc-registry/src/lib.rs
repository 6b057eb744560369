//! Pushes a service package's image tars to an OCI registry as the OSC platform does, and asks a
//! registry what it holds.
//!
//! [`Plan::from_dir`] reads a package's `images/mapping.yaml` and checks that each tar it names
//! holds that image for that architecture; [`push`] uploads every blob, streamed out of its tar
//! and checked against its digest, then writes `ORG/{image}:{tag}`: an image manifest, or an image
//! index when the entry has an x86_64 and an aarch64 tar. [`inspect`] tells which platforms a tag
//! has and whether every blob is there.
//!
//! The API is blocking: the async OCI client runs on a runtime of its own inside each call.
//! Loopback registries are reached over plain HTTP, others over HTTPS unless
//! [`Options::plain_http`]; credentials come from the Docker config file and never appear in
//! errors.

mod auth;
mod error;
mod inspect;
mod plan;
mod push;
mod reference;
mod session;
#[cfg(feature = "test-support")]
pub mod testing;

pub use error::Error;
pub use inspect::{ManifestKind, RemoteImage, RemotePlatform, inspect};
pub use plan::{Plan, PlannedImage, PlannedTar};
pub use push::{Progress, Pushed, push};
pub use reference::Registry;
pub use session::Options;
