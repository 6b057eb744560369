//! Image tars and mapping.yaml files for the tests, made in temporary folders.

#![allow(dead_code)] // Each test binary uses its own part of it.

use std::path::{Path, PathBuf};

use osc_image::{Arch, ImageSpec};

/// The repository's example images folder `name` (examples/etcd-images, ...).
pub fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
}

/// A one-layer image of `repo_tag` for `arch`, whose layer holds `content`.
pub fn spec(repo_tag: &str, arch: Arch, content: &str) -> ImageSpec {
    ImageSpec {
        repo_tag: repo_tag.to_owned(),
        variant: (arch == Arch::Aarch64).then(|| "v8".to_owned()),
        arch,
        files: vec![("etc/osc-test".to_owned(), content.as_bytes().to_vec())],
    }
}

pub fn write_docker(dir: &Path, file: &str, spec: &ImageSpec) -> PathBuf {
    let path = dir.join(file);
    let out = std::fs::File::create(&path).unwrap();
    osc_image::write_docker_archive(spec, out).unwrap();
    path
}

pub fn write_oci(dir: &Path, file: &str, spec: &ImageSpec) -> PathBuf {
    let path = dir.join(file);
    let out = std::fs::File::create(&path).unwrap();
    osc_image::write_oci_archive(spec, out).unwrap();
    path
}

/// An images folder holding the tars of `examples/{name}` and its mapping.yaml.
pub fn copy_example(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(example(name)).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    dir
}

/// Flips one byte of `needle`'s first occurrence in `file`: inside a layer when `needle` is a
/// file's content, since docker-archive layers are plain tars.
pub fn flip_byte(file: &Path, needle: &[u8]) {
    let mut bytes = std::fs::read(file).unwrap();
    let at = bytes
        .windows(needle.len())
        .position(|window| window == needle)
        .unwrap_or_else(|| panic!("{} does not hold the bytes to flip", file.display()));
    bytes[at] ^= 0x20;
    std::fs::write(file, bytes).unwrap();
}

pub const INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("sha256:{:x}", sha2::Sha256::digest(bytes))
}

fn tar_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, bytes) in entries {
        let mut header = tar::Header::new_ustar();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        builder.append_data(&mut header, name, *bytes).unwrap();
    }
    builder.into_inner().unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// A gzipped layer holding `content` and the config naming its diff_id.
fn gzip_image(arch: &Arch, content: &str) -> (Vec<u8>, Vec<u8>) {
    let layer = tar_of(&[("etc/osc-test", content.as_bytes())]);
    let config = serde_json::json!({
        "architecture": arch.oci_name(),
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [sha256(&layer)]},
    });
    (gzip(&layer), config.to_string().into_bytes())
}

/// A docker-archive whose layer is gzipped under a name that is not its digest, as some tools
/// write them: its stored digest is known only by reading it.
pub fn write_gzip_docker(
    dir: &Path,
    file: &str,
    repo_tag: &str,
    arch: Arch,
    content: &str,
) -> PathBuf {
    let (layer, config) = gzip_image(&arch, content);
    let manifest = serde_json::json!([{
        "Config": "config.json",
        "RepoTags": [repo_tag],
        "Layers": ["layer.tar.gz"],
    }])
    .to_string();
    let path = dir.join(file);
    let tar = tar_of(&[
        ("manifest.json", manifest.as_bytes()),
        ("config.json", &config),
        ("layer.tar.gz", &layer),
    ]);
    std::fs::write(&path, tar).unwrap();
    path
}

/// An OCI layout archive whose layer is gzipped, as `podman save --format oci-archive` writes.
pub fn write_gzip_oci(
    dir: &Path,
    file: &str,
    repo_tag: &str,
    arch: Arch,
    content: &str,
) -> PathBuf {
    let (layer, config) = gzip_image(&arch, content);
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha256(&config), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha256(&layer), "size": layer.len()}],
    })
    .to_string()
    .into_bytes();
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": MANIFEST,
            "digest": sha256(&manifest),
            "size": manifest.len(),
            "annotations": {"org.opencontainers.image.ref.name": repo_tag},
        }],
    })
    .to_string();
    let blob = |bytes: &[u8]| format!("blobs/sha256/{}", &sha256(bytes)[7..]);
    let path = dir.join(file);
    let tar = tar_of(&[
        ("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#),
        ("index.json", index.as_bytes()),
        (&blob(&manifest), &manifest),
        (&blob(&config), &config),
        (&blob(&layer), &layer),
    ]);
    std::fs::write(&path, tar).unwrap();
    path
}

/// Flips the byte `offset` bytes into the first gzip stream of `file`: a gzip layer's bytes are not
/// known in advance, its magic is.
pub fn flip_in_gzip(file: &Path, offset: usize) {
    let mut bytes = std::fs::read(file).unwrap();
    let at = bytes
        .windows(3)
        .position(|window| window == [0x1f, 0x8b, 0x08])
        .expect("the tar holds a gzip stream");
    bytes[at + offset] ^= 0xff;
    std::fs::write(file, bytes).unwrap();
}
