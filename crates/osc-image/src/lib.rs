//! Reads what a container image tar holds (tags, architecture, digests, layers) without unpacking it
//! or holding it in memory, and writes small reproducible image tars for examples and tests.
//!
//! Two formats are read: docker-archive (`docker save`, `podman save`, including Docker 25+'s save
//! that also carries an OCI layout) and OCI image layout archives (`podman save --format oci-archive`).
//! [`inspect`] reads only tar headers and the small JSON entries; [`verify`] also streams every layer
//! through sha256 and checks it against its digest and diff_id. [`open_entry`] streams one entry out
//! of the tar, e.g. to push a layer.

mod error;
mod index;
mod read;
mod verify;
mod write;

use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use serde::Serialize;

pub use error::{DigestCheck, Error};
pub use read::{OciManifest, inspect};
pub use verify::{BlobDigests, BlobError, digest_blob, verify};
pub use write::{ImageSpec, write_docker_archive, write_oci_archive};

/// What an image tar holds: one or more images.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageArchive {
    pub format: Format,
    pub images: Vec<Image>,
}

/// The layout of an image tar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Has `manifest.json`, which `docker load` and `podman load` read. Docker 25+'s save is one of
    /// these even though it also carries an OCI layout.
    DockerArchive,
    /// Only an OCI image layout (`oci-layout`, `index.json`, `blobs/`).
    OciArchive,
}

/// One image (one platform) in an image tar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Image {
    /// `repo:tag` names. An OCI layout may name only a tag (its `org.opencontainers.image.ref.name`).
    pub repo_tags: Vec<String>,
    pub architecture: Arch,
    pub os: String,
    pub variant: Option<String>,
    /// `sha256:<hex>` of the config blob's bytes.
    pub config_digest: String,
    /// Known only when the tar carries the OCI manifest blob: a docker-archive's registry manifest
    /// is made at push time, so its digest is not in the tar.
    pub manifest_digest: Option<String>,
    pub layers: Vec<Layer>,
    /// Bytes of the layers as stored in the tar.
    pub size: u64,
}

/// One layer of an image, as stored in the tar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Layer {
    /// The tar entry holding the layer, after following links.
    pub entry: String,
    /// Digest of the stored (possibly compressed) bytes, when the tar states it: an OCI descriptor's
    /// digest or a content-addressed `blobs/sha256/<hex>` entry name.
    pub digest: Option<String>,
    /// Digest of the uncompressed layer tar, from the config's `rootfs.diff_ids`.
    pub diff_id: String,
    pub size: u64,
    pub compression: Compression,
}

/// How a layer's bytes are compressed, judged from their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Compression {
    None,
    Gzip,
    /// [`verify`] checks a zstd layer's stored digest but cannot check its diff_id.
    Zstd,
}

/// A CPU architecture. Displays as OSC names it (`x86_64`, `aarch64`); the OCI `variant` is kept
/// apart on [`Image`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Arch {
    X86_64,
    Aarch64,
    Other(String),
}

impl Arch {
    /// The name image configs use (Go's `GOARCH`): `amd64`, `arm64`.
    pub fn oci_name(&self) -> &str {
        match self {
            Arch::X86_64 => "amd64",
            Arch::Aarch64 => "arm64",
            Arch::Other(name) => name,
        }
    }
}

/// Accepts both the OCI names (`amd64`, `arm64`) and OSC's (`x86_64`, `aarch64`).
impl From<&str> for Arch {
    fn from(name: &str) -> Self {
        match name {
            "amd64" | "x86_64" => Arch::X86_64,
            "arm64" | "aarch64" => Arch::Aarch64,
            other => Arch::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arch::X86_64 => f.write_str("x86_64"),
            Arch::Aarch64 => f.write_str("aarch64"),
            Arch::Other(name) => f.write_str(name),
        }
    }
}

impl Serialize for Arch {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Streams one entry of an image tar, following links (e.g. a layer by its [`Layer::entry`]), so
/// that it can be sent elsewhere without unpacking the tar. Gives the entry's size and a reader of
/// exactly its bytes, which it owns, so several can be open at once. The bytes are not checked
/// here: the caller hashes them against the digest it expects.
pub fn open_entry(path: &Path, entry: &str) -> Result<(u64, io::Take<File>), Error> {
    let blob = index::TarIndex::open(path)?.resolve(entry, "the image")?;
    let io_error = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = File::open(path).map_err(io_error)?;
    file.seek(SeekFrom::Start(blob.offset)).map_err(io_error)?;
    Ok((blob.size, file.take(blob.size)))
}

/// `sha256:<hex>` of `bytes`.
fn sha256_digest(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("sha256:{:x}", sha2::Sha256::digest(bytes))
}
