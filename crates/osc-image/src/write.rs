//! Writing small single-layer image tars, byte for byte the same on every run, with real digests so
//! that `verify`, `docker load` and `podman load` accept them.

use std::collections::BTreeMap;
use std::io::Write;

use serde_json::{Value, json};

use crate::{Arch, Error, sha256_digest};

/// A one-layer image to write: its name, platform and the files of its layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSpec {
    /// `name:tag`, as `docker save` records it.
    pub repo_tag: String,
    pub arch: Arch,
    /// The OCI variant, such as `v8` for arm64.
    pub variant: Option<String>,
    /// Path in the layer (relative, `/`-separated) and content; parent directories are added.
    pub files: Vec<(String, Vec<u8>)>,
}

/// Writes the `docker save` layout: `manifest.json`, `repositories`, `<config hex>.json` and
/// `<diff_id hex>/layer.tar`.
pub fn write_docker_archive(spec: &ImageSpec, out: impl Write) -> Result<(), Error> {
    let image = BuiltImage::new(spec)?;
    let (repository, tag) = split_repo_tag(&spec.repo_tag)?;
    let layer_path = format!("{}/layer.tar", hex(&image.diff_id));
    let config_path = format!("{}.json", hex(&image.config_digest));
    let manifest = json!([{
        "Config": config_path,
        "RepoTags": [spec.repo_tag],
        "Layers": [layer_path],
    }]);
    // The legacy `repositories` file maps tags to the top layer's v1 id, which `docker save` takes
    // to be the layer's directory name.
    let repositories = json!({ repository: { tag: hex(&image.diff_id) } });
    let entries = BTreeMap::from([
        (config_path, image.config),
        (layer_path, image.layer),
        ("manifest.json".to_owned(), json_bytes(&manifest)),
        ("repositories".to_owned(), json_bytes(&repositories)),
    ]);
    write_tar(out, &[], &entries).map_err(Error::Write)
}

/// Writes an OCI image layout archive (`podman save --format oci-archive`): `oci-layout`,
/// `index.json` and `blobs/sha256/`, the image named by `org.opencontainers.image.ref.name`.
pub fn write_oci_archive(spec: &ImageSpec, out: impl Write) -> Result<(), Error> {
    let image = BuiltImage::new(spec)?;
    split_repo_tag(&spec.repo_tag)?;
    let manifest = json_bytes(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": image.config_digest,
            "size": image.config.len(),
        },
        "layers": [{
            "mediaType": "application/vnd.oci.image.layer.v1.tar",
            "digest": image.diff_id,
            "size": image.layer.len(),
        }],
    }));
    let manifest_digest = sha256_digest(&manifest);
    let mut platform = json!({ "architecture": spec.arch.oci_name(), "os": "linux" });
    if let Some(variant) = &spec.variant {
        platform["variant"] = json!(variant);
    }
    let index = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest,
            "size": manifest.len(),
            "annotations": { "org.opencontainers.image.ref.name": spec.repo_tag },
            "platform": platform,
        }],
    });
    let entries = BTreeMap::from([
        (blob_path(&image.config_digest), image.config),
        (blob_path(&image.diff_id), image.layer),
        (blob_path(&manifest_digest), manifest),
        ("index.json".to_owned(), json_bytes(&index)),
        (
            "oci-layout".to_owned(),
            json_bytes(&json!({ "imageLayoutVersion": "1.0.0" })),
        ),
    ]);
    write_tar(out, &["blobs", "blobs/sha256"], &entries).map_err(Error::Write)
}

/// The layer and config of an [`ImageSpec`], with their digests. The layer is built in memory
/// because its files already are, and its digest must be known before it is written.
struct BuiltImage {
    layer: Vec<u8>,
    diff_id: String,
    config: Vec<u8>,
    config_digest: String,
}

/// Every date in written images, so that writing twice gives the same bytes.
const EPOCH: &str = "1970-01-01T00:00:00Z";

impl BuiltImage {
    fn new(spec: &ImageSpec) -> Result<Self, Error> {
        let files = layer_files(spec)?;
        let mut dirs: Vec<&str> = files.keys().flat_map(|path| parent_dirs(path)).collect();
        dirs.sort_unstable();
        dirs.dedup();
        let mut layer = Vec::new();
        write_tar(&mut layer, &dirs, &files).map_err(Error::Write)?;
        let diff_id = sha256_digest(&layer);

        let mut config = json!({
            "architecture": spec.arch.oci_name(),
            "os": "linux",
            "config": {},
            "created": EPOCH,
            "history": [{ "created": EPOCH, "created_by": "osc-image" }],
            "rootfs": { "type": "layers", "diff_ids": [diff_id] },
        });
        if let Some(variant) = &spec.variant {
            config["variant"] = json!(variant);
        }
        let config = json_bytes(&config);
        let config_digest = sha256_digest(&config);
        Ok(BuiltImage {
            layer,
            diff_id,
            config,
            config_digest,
        })
    }
}

/// The spec's files by path, refusing paths a layer must not hold.
fn layer_files(spec: &ImageSpec) -> Result<BTreeMap<String, Vec<u8>>, Error> {
    let mut files = BTreeMap::new();
    for (path, content) in &spec.files {
        let bad_part = path
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..");
        if bad_part {
            return Err(Error::InvalidSpec {
                field: "files",
                problem: format!(
                    "has the path `{path}`; write it relative, without empty, `.` or `..` parts"
                ),
            });
        }
        if files.insert(path.clone(), content.clone()).is_some() {
            return Err(Error::InvalidSpec {
                field: "files",
                problem: format!("has the path `{path}` twice"),
            });
        }
    }
    if let Some(path) = files
        .keys()
        .find(|path| parent_dirs(path).any(|dir| files.contains_key(dir)))
    {
        return Err(Error::InvalidSpec {
            field: "files",
            problem: format!("has the path `{path}`, below another file"),
        });
    }
    Ok(files)
}

/// `a/b/c` → `a`, `a/b`.
fn parent_dirs(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/').map(|(at, _)| &path[..at])
}

/// Splits `name:tag`; the tag is required because `docker load` would otherwise make one up.
fn split_repo_tag(repo_tag: &str) -> Result<(&str, &str), Error> {
    let invalid = |problem: &str| Error::InvalidSpec {
        field: "repo_tag",
        problem: format!("`{repo_tag}` {problem}"),
    };
    let (repository, tag) = match repo_tag.rsplit_once(':') {
        Some((repository, tag)) if !tag.contains('/') => (repository, tag),
        _ => return Err(invalid("has no tag: write it as `name:tag`")),
    };
    let repository_ok = !repository.is_empty()
        && repository
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-/:".contains(&b));
    if !repository_ok {
        return Err(invalid(
            "has a bad name: use lower-case letters, digits, `.`, `_`, `-`, `/` and a `:port`",
        ));
    }
    let tag_ok = !tag.is_empty()
        && tag.len() <= 128
        && !tag.starts_with(['.', '-'])
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if !tag_ok {
        return Err(invalid(
            "has a bad tag: use up to 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`",
        ));
    }
    Ok((repository, tag))
}

/// A tar of `dirs` then `files`, each sorted, owned by root, dated 1970: the same bytes every time.
fn write_tar(
    out: impl Write,
    dirs: &[&str],
    files: &BTreeMap<String, Vec<u8>>,
) -> std::io::Result<()> {
    let mut builder = tar::Builder::new(out);
    for dir in dirs {
        let mut header = header(tar::EntryType::Directory, 0o755, 0);
        builder.append_data(&mut header, format!("{dir}/"), std::io::empty())?;
    }
    for (path, content) in files {
        let mut header = header(tar::EntryType::Regular, 0o644, content.len() as u64);
        builder.append_data(&mut header, path, content.as_slice())?;
    }
    builder.into_inner()?.flush()
}

fn header(entry_type: tar::EntryType, mode: u32, size: u64) -> tar::Header {
    let mut header = tar::Header::new_ustar();
    header.set_entry_type(entry_type);
    header.set_mode(mode);
    header.set_size(size);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    header
}

fn json_bytes(value: &Value) -> Vec<u8> {
    value.to_string().into_bytes()
}

/// `sha256:<hex>` → `<hex>`.
fn hex(digest: &str) -> &str {
    digest.trim_start_matches("sha256:")
}

fn blob_path(digest: &str) -> String {
    format!("blobs/sha256/{}", hex(digest))
}
