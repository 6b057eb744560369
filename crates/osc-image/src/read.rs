//! Reading what an image tar holds from its JSON entries: docker-archive's `manifest.json` or the OCI
//! layout's `index.json`, then each image's config.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use serde::Deserialize;

use crate::index::{Blob, TarIndex, content_address};
use crate::{Arch, Error, Format, Image, ImageArchive, Layer};

/// Reads the tar's headers and its small JSON entries, seeking past layer data.
pub fn inspect(path: &Path) -> Result<ImageArchive, Error> {
    read_archive(&TarIndex::open(path)?)
}

pub(crate) fn read_archive(index: &TarIndex) -> Result<ImageArchive, Error> {
    // Docker 25+ writes both; `manifest.json` is what `docker load` reads, so it wins.
    if index.contains("manifest.json") {
        let images = read_docker_archive(index)?;
        Ok(ImageArchive {
            format: Format::DockerArchive,
            images,
        })
    } else if index.contains("index.json") {
        let images = read_oci_archive(index)?;
        Ok(ImageArchive {
            format: Format::OciArchive,
            images,
        })
    } else {
        Err(Error::NotAnImageArchive {
            path: index.path().to_owned(),
        })
    }
}

/// Nested indexes deeper than this are a loop or a hostile tar, not a real image.
const INDEX_DEPTH_LIMIT: usize = 8;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DockerManifestEntry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    #[serde(default)]
    layers: Vec<String>,
}

#[derive(Deserialize)]
struct ImageConfig {
    architecture: String,
    os: String,
    #[serde(default)]
    variant: Option<String>,
    rootfs: RootFs,
}

#[derive(Deserialize)]
struct RootFs {
    #[serde(default)]
    diff_ids: Vec<String>,
}

type OciBlob = OciManifest<Descriptor>;

/// An OCI image index or image manifest (Docker's manifest list and schema 2 manifest too): which
/// one it is shows from whether it lists `manifests` or has a `config`. `D` is a descriptor with
/// the fields its reader needs.
#[derive(Deserialize, Clone, Debug)]
#[serde(bound(deserialize = "D: Deserialize<'de>"))]
pub struct OciManifest<D> {
    #[serde(default)]
    pub manifests: Option<Vec<D>>,
    #[serde(default)]
    pub config: Option<D>,
    #[serde(default)]
    pub layers: Vec<D>,
}

#[derive(Deserialize, Clone)]
struct Descriptor {
    digest: String,
    size: u64,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

/// An image manifest reached from `index.json`.
struct FoundManifest {
    digest: String,
    config: Descriptor,
    layers: Vec<Descriptor>,
    repo_tags: Vec<String>,
}

fn read_docker_archive(index: &TarIndex) -> Result<Vec<Image>, Error> {
    let manifest = index.resolve("manifest.json", "the tar")?;
    let (entries, _): (Vec<DockerManifestEntry>, _) = index.read_json(&manifest)?;
    if entries.is_empty() {
        return Err(index.invalid("manifest.json", "lists no images"));
    }
    let manifest_digests = if index.contains("index.json") {
        find_oci_manifests(index)?
            .into_iter()
            .map(|found| (found.config.digest, found.digest))
            .collect()
    } else {
        HashMap::new()
    };
    entries
        .into_iter()
        .map(|entry| {
            let config_blob = index.resolve(&entry.config, "manifest.json")?;
            let (config, config_digest): (ImageConfig, _) = index.read_json(&config_blob)?;
            check_layer_count(
                index,
                &config_blob,
                &config,
                entry.layers.len(),
                "manifest.json",
            )?;
            let layers = entry
                .layers
                .iter()
                .zip(&config.rootfs.diff_ids)
                .map(|(name, diff_id)| {
                    let blob = index.resolve(name, "manifest.json")?;
                    // Followed links count: podman links `<id>/layer.tar` to the real blob.
                    let digest = content_address(&blob.name);
                    layer(index, blob, digest, diff_id)
                })
                .collect::<Result<Vec<_>, Error>>()?;
            let manifest_digest = manifest_digests.get(&config_digest).cloned();
            Ok(image(
                entry.repo_tags.unwrap_or_default(),
                config,
                config_digest,
                manifest_digest,
                layers,
            ))
        })
        .collect()
}

fn read_oci_archive(index: &TarIndex) -> Result<Vec<Image>, Error> {
    find_oci_manifests(index)?
        .into_iter()
        .map(|found| {
            let referrer = format!("image manifest {}", found.digest);
            let config_blob = descriptor_blob(index, &found.config, &referrer)?;
            let (config, config_digest): (ImageConfig, _) = index.read_json(&config_blob)?;
            check_layer_count(index, &config_blob, &config, found.layers.len(), &referrer)?;
            let layers = found
                .layers
                .iter()
                .zip(&config.rootfs.diff_ids)
                .map(|(descriptor, diff_id)| {
                    let blob = descriptor_blob(index, descriptor, &referrer)?;
                    layer(index, blob, Some(descriptor.digest.clone()), diff_id)
                })
                .collect::<Result<Vec<_>, Error>>()?;
            Ok(image(
                found.repo_tags,
                config,
                config_digest,
                Some(found.digest),
                layers,
            ))
        })
        .collect()
}

/// Walks `index.json` down to the image manifests, one per image and platform, merging the tags
/// of entries that point at the same manifest.
fn find_oci_manifests(index: &TarIndex) -> Result<Vec<FoundManifest>, Error> {
    let index_blob = index.resolve("index.json", "the tar")?;
    let (top, _): (OciBlob, _) = index.read_json(&index_blob)?;
    let Some(descriptors) = top.manifests else {
        return Err(index.invalid("index.json", "has no `manifests` list"));
    };
    let mut walk = OciWalk::default();
    for descriptor in &descriptors {
        let tags = repo_tags(descriptor);
        walk_oci(index, descriptor, "index.json", &tags, 0, &mut walk)?;
    }
    let found = walk.found;
    if found.is_empty() {
        return Err(index.invalid("index.json", "leads to no image manifest held in the tar"));
    }
    Ok(found)
}

/// What the walk down the indexes has seen: it is a graph, not a tree (an index may list one
/// child many times, at every level), so each blob is read once and each (blob, tags) visit made
/// once; the work is bounded by the blobs in the tar, not by the paths through them.
#[derive(Default)]
struct OciWalk {
    found: Vec<FoundManifest>,
    /// Parsed blobs by entry name, with their digests.
    parsed: HashMap<String, (OciBlob, String)>,
    visited: HashSet<(String, Vec<String>)>,
}

fn walk_oci(
    index: &TarIndex,
    descriptor: &Descriptor,
    referrer: &str,
    tags: &[String],
    depth: usize,
    walk: &mut OciWalk,
) -> Result<(), Error> {
    let name = blob_name(index, &descriptor.digest, referrer)?;
    // A saved multi-platform image keeps its whole index but usually only the saved platform's
    // manifests, so a nested index's missing children are other platforms, not damage.
    if depth > 0 && !index.contains(&name) {
        return Ok(());
    }
    if !walk.visited.insert((name.clone(), tags.to_vec())) {
        return Ok(());
    }
    let (parsed, digest) = match walk.parsed.get(&name) {
        Some(cached) => cached.clone(),
        None => {
            let blob = descriptor_blob(index, descriptor, referrer)?;
            let read: (OciBlob, String) = index.read_json(&blob)?;
            walk.parsed.insert(name.clone(), read.clone());
            read
        }
    };
    if let Some(children) = parsed.manifests {
        if depth >= INDEX_DEPTH_LIMIT {
            return Err(index.invalid(
                &name,
                format!("nests image indexes more than {INDEX_DEPTH_LIMIT} deep"),
            ));
        }
        let referrer = format!("image index {digest}");
        for child in &children {
            walk_oci(index, child, &referrer, tags, depth + 1, walk)?;
        }
    } else if let Some(config) = parsed.config {
        match walk
            .found
            .iter_mut()
            .find(|manifest| manifest.digest == digest)
        {
            Some(manifest) => {
                for tag in tags {
                    if !manifest.repo_tags.contains(tag) {
                        manifest.repo_tags.push(tag.clone());
                    }
                }
            }
            None => walk.found.push(FoundManifest {
                digest,
                config,
                layers: parsed.layers,
                repo_tags: tags.to_vec(),
            }),
        }
    } else {
        return Err(index.invalid(&name, "is neither an image manifest nor an image index"));
    }
    Ok(())
}

/// containerd's annotation holds the whole name; the OCI one may hold only a tag.
fn repo_tags(descriptor: &Descriptor) -> Vec<String> {
    [
        "io.containerd.image.name",
        "org.opencontainers.image.ref.name",
    ]
    .iter()
    .find_map(|key| descriptor.annotations.get(*key))
    .map(|name| vec![name.clone()])
    .unwrap_or_default()
}

/// The blob a descriptor points at, checking the size it states.
fn descriptor_blob(
    index: &TarIndex,
    descriptor: &Descriptor,
    referrer: &str,
) -> Result<Blob, Error> {
    let blob = index.resolve(&blob_name(index, &descriptor.digest, referrer)?, referrer)?;
    if blob.size != descriptor.size {
        return Err(index.invalid(
            &blob.name,
            format!(
                "is {} bytes, but {referrer} says {}",
                blob.size, descriptor.size
            ),
        ));
    }
    Ok(blob)
}

/// `sha256:<hex>` → `blobs/sha256/<hex>`, refusing digests that are not `algorithm:hex`.
fn blob_name(index: &TarIndex, digest: &str, referrer: &str) -> Result<String, Error> {
    let well_formed = digest.split_once(':').filter(|(algorithm, hex)| {
        !algorithm.is_empty()
            && algorithm
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+._-".contains(&b))
            && !hex.is_empty()
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    });
    match well_formed {
        Some((algorithm, hex)) => Ok(format!("blobs/{algorithm}/{hex}")),
        None => Err(index.invalid(referrer, format!("holds the malformed digest `{digest}`"))),
    }
}

fn check_layer_count(
    index: &TarIndex,
    config_blob: &Blob,
    config: &ImageConfig,
    layers: usize,
    referrer: &str,
) -> Result<(), Error> {
    let diff_ids = config.rootfs.diff_ids.len();
    if diff_ids != layers {
        return Err(index.invalid(
            &config_blob.name,
            format!("has {diff_ids} rootfs.diff_ids, but {referrer} names {layers} layers"),
        ));
    }
    Ok(())
}

fn layer(
    index: &TarIndex,
    blob: Blob,
    digest: Option<String>,
    diff_id: &str,
) -> Result<Layer, Error> {
    Ok(Layer {
        compression: index.compression(&blob)?,
        entry: blob.name,
        digest,
        diff_id: diff_id.to_owned(),
        size: blob.size,
    })
}

fn image(
    repo_tags: Vec<String>,
    config: ImageConfig,
    config_digest: String,
    manifest_digest: Option<String>,
    layers: Vec<Layer>,
) -> Image {
    Image {
        repo_tags,
        architecture: Arch::from(config.architecture.as_str()),
        os: config.os,
        variant: config.variant.filter(|variant| !variant.is_empty()),
        config_digest,
        manifest_digest,
        size: layers.iter().map(|layer| layer.size).sum(),
        layers,
    }
}
