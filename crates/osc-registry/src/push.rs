//! Pushing a plan as the platform does: every blob streamed out of its tar and checked against its
//! digest on the way, then each architecture's manifest, then the tag (on an image index when there
//! are two architectures).

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::Stream;
use osc_image::{Arch, Compression, Format, Image, Layer};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use crate::plan::select_image;
use crate::session::{Options, Session};
use crate::{Error, Plan, PlannedImage, PlannedTar, Registry};

const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const INDEX: &str = "application/vnd.oci.image.index.v1+json";
const CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const LAYER: &str = "application/vnd.oci.image.layer.v1.tar";
const LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
const LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";

/// How much of a blob is read and handed to the connection at once: memory stays at about this
/// much whatever the layer's size.
const CHUNK: usize = 1024 * 1024;

/// Configs are a few KiB; the cap keeps a hostile tar from making us read gigabytes to find one.
const CONFIG_LIMIT: u64 = 16 * 1024 * 1024;

/// How far a push has come, over every blob of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress<'a> {
    /// The image being pushed, `HOST/ORG/name:tag`.
    pub image: &'a str,
    /// Bytes uploaded or found already in the registry.
    pub done: u64,
    pub total: u64,
}

/// One image the registry now has under its tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    /// `HOST/ORG/name:tag`.
    pub reference: String,
    /// The digest of what the tag points at: the image index, or the one image manifest.
    pub digest: String,
    /// The architectures pushed, in the plan's order.
    pub platforms: Vec<Arch>,
    /// Bytes of blobs uploaded.
    pub uploaded: u64,
    /// Bytes of blobs the registry already had (or mounted from another image of this push).
    pub reused: u64,
}

/// Pushes every image of `plan` to `registry` as `ORG/{name}:{tag}`, calling `progress` as bytes go.
///
/// Every tar is opened and checked (its image, architecture and config) before anything is sent,
/// so a plan with a wrong tar pushes nothing. The blobs of every image are then uploaded (or found
/// already there) and checked against their digests, in the plan's order, and only when all of
/// them are in are the manifests and tags written: a damaged tar leaves no tag at all, for its
/// image or any other. A registry failure while tagging leaves the tags written before it.
pub fn push(
    plan: &Plan,
    registry: &Registry,
    options: &Options,
    mut progress: impl FnMut(&Progress),
) -> Result<Vec<Pushed>, Error> {
    let prepared = plan
        .images
        .iter()
        .map(|image| prepare(image, registry))
        .collect::<Result<Vec<_>, Error>>()?;
    let total = prepared
        .iter()
        .flat_map(|image| {
            image
                .platforms
                .iter()
                .flat_map(|platform| platform.blobs())
                .map(|blob| ((&image.repository, &blob.digest), blob.size))
        })
        .collect::<HashMap<_, _>>()
        .values()
        .sum();
    let session = Session::new(registry.host(), options)?;
    let (sender, mut events) = unbounded_channel();
    let work = push_all(&session, &prepared, sender);
    session.block_on(async {
        let mut work = pin!(work);
        let mut done = 0;
        let mut image = String::new();
        let mut report = |event: Event, image: &mut String| {
            match event {
                Event::Image(name) => *image = name,
                Event::Bytes(bytes) => done += bytes,
            }
            progress(&Progress { image, done, total });
        };
        loop {
            tokio::select! {
                // Events first, so that the last bytes are reported before the result.
                biased;
                Some(event) = events.recv() => report(event, &mut image),
                result = &mut work => {
                    while let Ok(event) = events.try_recv() {
                        report(event, &mut image);
                    }
                    return result;
                }
            }
        }
    })
}

enum Event {
    Image(String),
    Bytes(u64),
}

/// An image with every tar read and every blob's digest known.
struct Prepared {
    /// `ORG/name`.
    repository: String,
    tag: String,
    /// `HOST/ORG/name:tag`.
    reference: String,
    platforms: Vec<Platform>,
}

/// One architecture of a [`Prepared`] image.
struct Platform {
    arch: Arch,
    os: String,
    variant: Option<String>,
    tar: PathBuf,
    config: Blob,
    layers: Vec<Blob>,
}

impl Platform {
    fn blobs(&self) -> impl Iterator<Item = &Blob> {
        self.layers.iter().chain([&self.config])
    }
}

/// A blob to upload: where it is in the tar, and what it must hash to.
#[derive(Clone)]
struct Blob {
    entry: String,
    digest: String,
    size: u64,
    media_type: &'static str,
}

fn prepare(image: &PlannedImage, registry: &Registry) -> Result<Prepared, Error> {
    let what = match image.fields.as_slice() {
        [] => "the plan".to_owned(),
        fields => format!("mapping.yaml {}", fields.join(", ")),
    };
    crate::reference::check_name_and_tag(&what, &image.name, &image.tag)?;
    if image.tars.is_empty() {
        return Err(Error::BadName {
            what,
            text: format!("{}:{}", image.name, image.tag),
            problem: "has no tar to push".to_owned(),
        });
    }
    let repository = format!("{}/{}", registry.org(), image.name);
    let reference = format!("{}/{repository}:{}", registry.host(), image.tag);
    let platforms = image
        .tars
        .iter()
        .map(|tar| prepare_tar(tar, &image.name))
        .collect::<Result<Vec<_>, Error>>()?;
    for (index, platform) in platforms.iter().enumerate() {
        if platforms[..index]
            .iter()
            .any(|other| other.arch == platform.arch)
        {
            return Err(Error::WrongImage {
                field: image.tars[index].field.clone(),
                tar: platform.tar.clone(),
                problem: format!(
                    "is a second {} tar for {}:{}; give each architecture one tar",
                    platform.arch, image.name, image.tag
                ),
            });
        }
    }
    Ok(Prepared {
        repository,
        tag: image.tag.clone(),
        reference,
        platforms,
    })
}

fn prepare_tar(planned: &PlannedTar, name: &str) -> Result<Platform, Error> {
    let path = &planned.path;
    let archive = osc_image::inspect(path)?;
    let index =
        select_image(&archive, &planned.arch, name).map_err(|problem| Error::WrongImage {
            field: planned.field.clone(),
            tar: path.clone(),
            problem,
        })?;
    let image = &archive.images[index];
    let config = find_config(path, archive.format, image)?;
    let layers = image
        .layers
        .iter()
        .map(|layer| layer_blob(path, layer))
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(Platform {
        arch: planned.arch.clone(),
        os: image.os.clone(),
        variant: image.variant.clone(),
        tar: path.clone(),
        config,
        layers,
    })
}

/// The config's entry: osc-image gives its digest, not its name. An OCI layout names blobs by
/// digest; a docker-archive names the config in manifest.json.
fn find_config(path: &Path, format: Format, image: &Image) -> Result<Blob, Error> {
    let hex = image.config_digest.trim_start_matches("sha256:");
    let mut candidates = vec![format!("blobs/sha256/{hex}")];
    if format == Format::DockerArchive {
        #[derive(Deserialize)]
        struct Entry {
            #[serde(rename = "Config")]
            config: String,
        }
        let bytes = read_small(path, "manifest.json")?;
        let entries: Vec<Entry> =
            serde_json::from_slice(&bytes).map_err(|error| Error::BadTar {
                tar: path.to_owned(),
                problem: format!("bad JSON in manifest.json: {error}"),
            })?;
        candidates.extend(entries.into_iter().map(|entry| entry.config));
    }
    for entry in candidates {
        let bytes = match read_small(path, &entry) {
            Ok(bytes) => bytes,
            Err(Error::Image(osc_image::Error::MissingEntry { .. })) => continue,
            Err(error) => return Err(error),
        };
        if sha256(&bytes) == image.config_digest {
            return Ok(Blob {
                entry,
                digest: image.config_digest.clone(),
                size: bytes.len() as u64,
                media_type: CONFIG,
            });
        }
    }
    Err(Error::BadTar {
        tar: path.to_owned(),
        problem: format!(
            "holds no config entry with the digest {}",
            image.config_digest
        ),
    })
}

fn read_small(path: &Path, entry: &str) -> Result<Vec<u8>, Error> {
    let (size, reader) = osc_image::open_entry(path, entry)?;
    if size > CONFIG_LIMIT {
        return Err(Error::BadTar {
            tar: path.to_owned(),
            problem: format!("entry `{entry}` is {size} bytes, more than a JSON entry may have"),
        });
    }
    let mut bytes = Vec::with_capacity(size as usize);
    reader
        .take(size)
        .read_to_end(&mut bytes)
        .map_err(|source| Error::ReadEntry {
            tar: path.to_owned(),
            entry: entry.to_owned(),
            source,
        })?;
    Ok(bytes)
}

fn layer_blob(path: &Path, layer: &Layer) -> Result<Blob, Error> {
    let media_type = match layer.compression {
        Compression::None => LAYER,
        Compression::Gzip => LAYER_GZIP,
        Compression::Zstd => LAYER_ZSTD,
    };
    let digest = match (&layer.digest, layer.compression) {
        (Some(digest), _) => digest.clone(),
        // A docker-archive's layer.tar is uncompressed: its digest is its diff_id.
        (None, Compression::None) => layer.diff_id.clone(),
        // A compressed layer under a name that is not its digest: hash it first, since the
        // digest goes into the upload before the bytes do.
        (None, _) => digest_compressed(path, layer)?,
    };
    if !digest.starts_with("sha256:") {
        return Err(Error::BadTar {
            tar: path.to_owned(),
            problem: format!(
                "layer `{}` has the digest `{digest}`, which is not sha256 and so cannot be checked",
                layer.entry
            ),
        });
    }
    if layer.compression == Compression::None && digest != layer.diff_id {
        return Err(Error::BadTar {
            tar: path.to_owned(),
            problem: format!(
                "layer `{}` is uncompressed, yet its digest {digest} is not its diff_id {}",
                layer.entry, layer.diff_id
            ),
        });
    }
    Ok(Blob {
        entry: layer.entry.clone(),
        digest,
        size: layer.size,
        media_type,
    })
}

/// The stored digest of a compressed layer, checking a gzip layer against its diff_id on the way.
fn digest_compressed(path: &Path, layer: &Layer) -> Result<String, Error> {
    let read_error = |source| Error::ReadEntry {
        tar: path.to_owned(),
        entry: layer.entry.clone(),
        source,
    };
    let (_, reader) = osc_image::open_entry(path, &layer.entry)?;
    let digests =
        osc_image::digest_blob(reader, layer.compression).map_err(|error| match error {
            osc_image::BlobError::Gzip(source) => Error::BadTar {
                tar: path.to_owned(),
                problem: format!(
                    "layer `{}` is not valid gzip ({source}): the tar is damaged",
                    layer.entry
                ),
            },
            osc_image::BlobError::Read(source) => read_error(source),
        })?;
    if let Some(actual) = digests.gunzipped
        && actual != layer.diff_id
    {
        return Err(Error::DigestMismatch {
            tar: path.to_owned(),
            entry: layer.entry.clone(),
            expected: layer.diff_id.clone(),
            actual,
        });
    }
    Ok(digests.stored)
}

async fn push_all(
    session: &Session,
    images: &[Prepared],
    events: UnboundedSender<Event>,
) -> Result<Vec<Pushed>, Error> {
    let mut pusher = Pusher {
        session,
        events,
        uploaded: HashMap::new(),
    };
    // Every blob of every image before any tag: a package whose last tar is damaged must not
    // leave its first images tagged, half a service in the registry.
    let mut pushed = Vec::new();
    for image in images {
        pushed.push(pusher.push_blobs(image).await?);
    }
    for (image, pushed) in images.iter().zip(&mut pushed) {
        pushed.digest = pusher.tag(image).await?;
    }
    Ok(pushed)
}

struct Pusher<'s> {
    session: &'s Session,
    events: UnboundedSender<Event>,
    /// Blobs this push put in the registry: by digest, the repositories that have it.
    uploaded: HashMap<String, HashSet<String>>,
}

impl Pusher<'_> {
    /// Uploads (or finds) every blob of `image`, each checked against its digest.
    async fn push_blobs(&mut self, image: &Prepared) -> Result<Pushed, Error> {
        let _ = self.events.send(Event::Image(image.reference.clone()));
        let mut pushed = Pushed {
            reference: image.reference.clone(),
            digest: String::new(),
            platforms: image.platforms.iter().map(|p| p.arch.clone()).collect(),
            uploaded: 0,
            reused: 0,
        };
        for platform in &image.platforms {
            for blob in platform.blobs() {
                self.push_blob(image, platform, blob, &mut pushed).await?;
            }
        }
        Ok(pushed)
    }

    /// Writes the manifests of `image`, whose blobs are in, and its tag; the digest the tag
    /// points at.
    async fn tag(&self, image: &Prepared) -> Result<String, Error> {
        let manifests = image
            .platforms
            .iter()
            .map(|platform| (platform, manifest(platform)))
            .collect::<Vec<_>>();
        let tagged = self.session.tagged(&image.repository, &image.tag);
        let digest = match manifests.as_slice() {
            [(_, manifest)] => {
                self.put_manifest(&tagged, image, manifest.clone(), MANIFEST)
                    .await?;
                sha256(manifest)
            }
            _ => {
                for (_, manifest) in &manifests {
                    let by_digest = self.session.by_digest(&image.repository, &sha256(manifest));
                    self.put_manifest(&by_digest, image, manifest.clone(), MANIFEST)
                        .await?;
                }
                let index = index(&manifests);
                self.put_manifest(&tagged, image, index.clone(), INDEX)
                    .await?;
                sha256(&index)
            }
        };
        Ok(digest)
    }

    async fn push_blob(
        &mut self,
        image: &Prepared,
        platform: &Platform,
        blob: &Blob,
        pushed: &mut Pushed,
    ) -> Result<(), Error> {
        let in_repository = |uploaded: &HashMap<String, HashSet<String>>| {
            uploaded
                .get(&blob.digest)
                .is_some_and(|repositories| repositories.contains(&image.repository))
        };
        // Already counted: the two architectures of an image may share a blob.
        if in_repository(&self.uploaded) {
            return Ok(());
        }
        let session = self.session;
        let target = session.by_digest(&image.repository, &blob.digest);
        let exists = session
            .client
            .blob_exists(&target, &blob.digest)
            .await
            .map_err(|error| {
                session.error(
                    format!("the check for blob {} of {}", blob.digest, image.reference),
                    error,
                )
            })?;
        let mounted = !exists && self.mount(image, blob).await;
        if exists || mounted {
            pushed.reused += blob.size;
            let _ = self.events.send(Event::Bytes(blob.size));
        } else {
            self.upload(image, platform, blob).await?;
            pushed.uploaded += blob.size;
        }
        self.uploaded
            .entry(blob.digest.clone())
            .or_default()
            .insert(image.repository.clone());
        Ok(())
    }

    /// Links a blob this push uploaded to another repository, instead of sending it again. Any
    /// failure just means uploading it.
    async fn mount(&self, image: &Prepared, blob: &Blob) -> bool {
        let Some(source) = self
            .uploaded
            .get(&blob.digest)
            .and_then(|repositories| repositories.iter().next())
        else {
            return false;
        };
        let session = self.session;
        let target = session.tagged(&image.repository, &image.tag);
        let source = session.tagged(source, "latest");
        session
            .client
            .mount_blob(&target, &source, &blob.digest)
            .await
            .is_ok()
    }

    async fn upload(
        &self,
        image: &Prepared,
        platform: &Platform,
        blob: &Blob,
    ) -> Result<(), Error> {
        let (size, reader) = osc_image::open_entry(&platform.tar, &blob.entry)?;
        if size != blob.size {
            return Err(Error::BadTar {
                tar: platform.tar.clone(),
                problem: format!(
                    "entry `{}` is {size} bytes now, but was {} when the tar was read (was it changed meanwhile?)",
                    blob.entry, blob.size
                ),
            });
        }
        let failure = Arc::new(Mutex::new(None));
        let stream = verified_stream(Reading {
            reader,
            hasher: Sha256::new(),
            read: 0,
            blob: blob.clone(),
            tar: platform.tar.clone(),
            events: self.events.clone(),
            failure: Arc::clone(&failure),
        });
        let target = self.session.by_digest(&image.repository, &blob.digest);
        let result = self
            .session
            .client
            .push_blob_stream(&target, stream, &blob.digest, Some(size))
            .await;
        // The stream's own error says what was wrong with the tar; the client's only that the
        // upload broke off.
        if let Some(error) = failure.lock().ok().and_then(|mut failure| failure.take()) {
            return Err(error);
        }
        result.map(|_| ()).map_err(|error| {
            self.session.error(
                format!(
                    "the upload of {} (entry `{}` of {}) to {}",
                    blob.digest,
                    blob.entry,
                    platform.tar.display(),
                    image.reference
                ),
                error,
            )
        })
    }

    async fn put_manifest(
        &self,
        target: &oci_client::Reference,
        image: &Prepared,
        body: Vec<u8>,
        media_type: &'static str,
    ) -> Result<(), Error> {
        let result = self
            .session
            .client
            .push_manifest_raw(target, body, http::HeaderValue::from_static(media_type))
            .await;
        result.map(|_| ()).map_err(|error| {
            match self
                .session
                .error(format!("the manifest of {}", image.reference), error)
            {
                Error::Registry { message, .. } => Error::ManifestRefused {
                    reference: image.reference.clone(),
                    message,
                },
                other => other,
            }
        })
    }
}

/// The OCI image manifest of one architecture, with media types that say how each layer is stored.
fn manifest(platform: &Platform) -> Vec<u8> {
    let descriptor = |blob: &Blob| {
        json!({
            "mediaType": blob.media_type,
            "digest": blob.digest,
            "size": blob.size,
        })
    };
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST,
        "config": descriptor(&platform.config),
        "layers": platform.layers.iter().map(descriptor).collect::<Vec<_>>(),
    });
    manifest.to_string().into_bytes()
}

/// The OCI image index over the manifests of each architecture.
fn index(manifests: &[(&Platform, Vec<u8>)]) -> Vec<u8> {
    let entries = manifests
        .iter()
        .map(|(platform, manifest)| {
            let mut entry = json!({
                "mediaType": MANIFEST,
                "digest": sha256(manifest),
                "size": manifest.len(),
                "platform": {
                    "architecture": platform.arch.oci_name(),
                    "os": platform.os,
                },
            });
            if let Some(variant) = &platform.variant {
                entry["platform"]["variant"] = json!(variant);
            }
            entry
        })
        .collect::<Vec<_>>();
    let index = json!({
        "schemaVersion": 2,
        "mediaType": INDEX,
        "manifests": entries,
    });
    index.to_string().into_bytes()
}

/// A blob being read out of its tar for upload.
struct Reading {
    reader: io::Take<File>,
    hasher: Sha256,
    read: u64,
    blob: Blob,
    tar: PathBuf,
    events: UnboundedSender<Event>,
    /// What went wrong with the tar, for the caller: the client only learns that the body broke.
    failure: Arc<Mutex<Option<Error>>>,
}

impl Reading {
    fn fail(self, error: Error) -> Option<(oci_client::errors::Result<Bytes>, Option<Reading>)> {
        if let Ok(mut failure) = self.failure.lock() {
            *failure = Some(error);
        }
        Some((
            Err(oci_client::errors::OciDistributionError::GenericError(
                Some("the blob's bytes did not check out".to_owned()),
            )),
            None,
        ))
    }
}

/// The blob's bytes in chunks, hashed as they go. The last chunk is held back until the digest
/// checks out: a damaged blob fails the request before its final byte is sent, so the registry
/// never completes the upload.
fn verified_stream(
    reading: Reading,
) -> impl Stream<Item = oci_client::errors::Result<Bytes>> + Send + 'static {
    futures_util::stream::unfold(Some(reading), |state| async move {
        let mut state = state?;
        let left = state.blob.size - state.read;
        if left == 0 {
            return None;
        }
        let want = left.min(CHUNK as u64) as usize;
        let mut chunk = vec![0; want];
        let got = match read_full(&mut state.reader, &mut chunk) {
            Ok(got) => got,
            Err(source) => {
                let error = Error::ReadEntry {
                    tar: state.tar.clone(),
                    entry: state.blob.entry.clone(),
                    source,
                };
                return state.fail(error);
            }
        };
        if got < want {
            let error = Error::ShortEntry {
                tar: state.tar.clone(),
                entry: state.blob.entry.clone(),
                read: state.read + got as u64,
                size: state.blob.size,
            };
            return state.fail(error);
        }
        state.hasher.update(&chunk);
        state.read += want as u64;
        if state.read == state.blob.size {
            let actual = hex_digest(std::mem::take(&mut state.hasher));
            if actual != state.blob.digest {
                let error = Error::DigestMismatch {
                    tar: state.tar.clone(),
                    entry: state.blob.entry.clone(),
                    expected: state.blob.digest.clone(),
                    actual,
                };
                return state.fail(error);
            }
        }
        let _ = state.events.send(Event::Bytes(want as u64));
        Some((Ok(Bytes::from(chunk)), Some(state)))
    })
}

/// Reads until `buf` is full or the reader ends; how much was read.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

fn sha256(bytes: &[u8]) -> String {
    hex_digest(Sha256::new_with_prefix(bytes))
}

fn hex_digest(hasher: Sha256) -> String {
    format!("sha256:{:x}", hasher.finalize())
}
