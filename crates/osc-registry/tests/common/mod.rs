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
