//! Asking a registry what it holds under a tag: the platforms, and whether every blob is there.

use oci_client::Reference;
use oci_client::secrets::RegistryAuth;
use osc_image::Arch;
use serde::Deserialize;

use crate::Error;
use crate::session::{Options, Session, is_not_found};
use osc_imageref::ImageRef;

/// What a registry holds under a tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteImage {
    /// `HOST/ORG/name:tag`, as asked.
    pub reference: String,
    /// The digest of what the tag points at.
    pub digest: String,
    /// Whether the tag points at an image index (one manifest per platform) or at one manifest.
    pub kind: ManifestKind,
    pub platforms: Vec<RemotePlatform>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManifestKind {
    /// An OCI image index or a Docker manifest list.
    Index,
    /// An OCI image manifest or a Docker schema 2 manifest.
    Manifest,
}

/// One platform of a [`RemoteImage`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemotePlatform {
    /// From the image config when the registry has it, else from the index entry.
    pub architecture: Arch,
    pub os: String,
    pub variant: Option<String>,
    pub manifest_digest: String,
    /// Digests the registry lacks: the manifest itself (for an index entry), the config or layers.
    pub missing: Vec<String>,
}

impl RemoteImage {
    /// Whether every manifest and blob of every platform is in the registry.
    pub fn is_complete(&self) -> bool {
        self.platforms
            .iter()
            .all(|platform| platform.missing.is_empty())
    }

    /// Whether the image has a platform for `arch` (`linux` only).
    pub fn has(&self, arch: &Arch) -> bool {
        self.platforms
            .iter()
            .any(|platform| platform.architecture == *arch && platform.os == "linux")
    }
}

/// What the registry holds as `HOST[:PORT]/ORG/name:tag` (or `...@sha256:<hex>`); `None` when it
/// has no such tag or repository.
///
/// Reads the manifest (and, for an index, each platform's manifest) and each config, and asks
/// for every blob with HEAD, without downloading layers.
pub fn inspect(image: &str, options: &Options) -> Result<Option<RemoteImage>, Error> {
    let bad = |problem: String| Error::BadName {
        what: "image".to_owned(),
        text: image.to_owned(),
        problem: format!("{problem}; write it as HOST[:PORT]/ORG/name:tag"),
    };
    let parsed = ImageRef::parse(image).map_err(|error| bad(error.to_string()))?;
    if !parsed.registry_given() {
        return Err(bad("names no registry host".to_owned()));
    }
    let session = Session::new(parsed.registry(), options)?;
    let reference = match (parsed.digest(), parsed.tag()) {
        (Some(digest), _) => session.by_digest(parsed.repository(), digest),
        (None, Some(tag)) => session.tagged(parsed.repository(), tag),
        (None, None) => return Err(bad("has no tag".to_owned())),
    };
    let name = parsed.to_string();
    let image = parsed;
    session.block_on(async {
        let Some((body, digest)) = pull_manifest(&session, &reference, &name).await? else {
            return Ok(None);
        };
        let top = parse(&session, &body, &name)?;
        let (kind, platforms) = match top.manifests {
            Some(entries) => {
                let mut platforms = Vec::new();
                for entry in entries {
                    let declared = entry.platform.unwrap_or_default();
                    // buildx adds attestation manifests as platform unknown/unknown.
                    if declared.architecture == "unknown" {
                        continue;
                    }
                    let by_digest = session.by_digest(image.repository(), &entry.digest);
                    let platform = match pull_manifest(&session, &by_digest, &name).await? {
                        Some((body, _)) => {
                            let manifest = parse(&session, &body, &name)?;
                            platform(
                                &session,
                                &by_digest,
                                manifest,
                                entry.digest,
                                Some(declared),
                                &name,
                            )
                            .await?
                        }
                        None => RemotePlatform {
                            architecture: Arch::from(declared.architecture.as_str()),
                            os: declared.os,
                            variant: declared.variant,
                            missing: vec![entry.digest.clone()],
                            manifest_digest: entry.digest,
                        },
                    };
                    platforms.push(platform);
                }
                (ManifestKind::Index, platforms)
            }
            None => {
                let platform =
                    platform(&session, &reference, top, digest.clone(), None, &name).await?;
                (ManifestKind::Manifest, vec![platform])
            }
        };
        Ok(Some(RemoteImage {
            reference: name,
            digest,
            kind,
            platforms,
        }))
    })
}

const ACCEPTED: &[&str] = &[
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];

async fn pull_manifest(
    session: &Session,
    reference: &Reference,
    name: &str,
) -> Result<Option<(bytes::Bytes, String)>, Error> {
    match session
        .client
        .pull_manifest_raw(reference, &RegistryAuth::Anonymous, ACCEPTED)
        .await
    {
        Ok(found) => Ok(Some(found)),
        Err(error) if is_not_found(&error) => Ok(None),
        Err(error) => Err(session.error(format!("the manifest of {name}"), error)),
    }
}

/// An image index or image manifest, whichever it is.
type Manifest = osc_image::OciManifest<Descriptor>;

#[derive(Deserialize)]
struct Descriptor {
    digest: String,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    platform: Option<Platform>,
}

#[derive(Deserialize, Default)]
struct Platform {
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    os: String,
    #[serde(default)]
    variant: Option<String>,
}

fn parse(session: &Session, body: &[u8], name: &str) -> Result<Manifest, Error> {
    let manifest: Manifest = serde_json::from_slice(body).map_err(|error| Error::BadAnswer {
        host: session.host.clone(),
        action: format!("the manifest of {name}"),
        problem: error.to_string(),
    })?;
    if manifest.manifests.is_none() && manifest.config.is_none() {
        return Err(Error::BadAnswer {
            host: session.host.clone(),
            action: format!("the manifest of {name}"),
            problem: "it has neither `manifests` nor `config`".to_owned(),
        });
    }
    Ok(manifest)
}

/// Configs are a few KiB: a larger one is not read.
const CONFIG_LIMIT: u64 = 16 * 1024 * 1024;

async fn platform(
    session: &Session,
    reference: &Reference,
    manifest: Manifest,
    manifest_digest: String,
    declared: Option<Platform>,
    name: &str,
) -> Result<RemotePlatform, Error> {
    let Some(config) = manifest.config else {
        return Err(Error::BadAnswer {
            host: session.host.clone(),
            action: format!("the manifest {manifest_digest} of {name}"),
            problem: "an image index lists another index, not an image manifest".to_owned(),
        });
    };
    let mut missing = Vec::new();
    for blob in [&config].into_iter().chain(&manifest.layers) {
        let exists = session
            .client
            .blob_exists(reference, &blob.digest)
            .await
            .map_err(|error| {
                session.error(
                    format!("the check for blob {} of {name}", blob.digest),
                    error,
                )
            })?;
        if !exists {
            missing.push(blob.digest.clone());
        }
    }
    let from_config = if missing.contains(&config.digest) || config.size > CONFIG_LIMIT {
        None
    } else {
        let mut bytes = Vec::new();
        session
            .client
            .pull_blob(reference, config.digest.as_str(), &mut bytes)
            .await
            .map_err(|error| session.error(format!("the config of {name}"), error))?;
        serde_json::from_slice::<Platform>(&bytes).ok()
    };
    let platform = from_config.or(declared).unwrap_or_default();
    Ok(RemotePlatform {
        architecture: Arch::from(platform.architecture.as_str()),
        os: platform.os,
        variant: platform.variant.filter(|variant| !variant.is_empty()),
        manifest_digest,
        missing,
    })
}
