//! Builds the deployables and packages the tests need from tests/fixtures.

#![allow(dead_code)] // each test binary uses its own part of this module

use std::fs;
use std::io::{Cursor, Write as _};
use std::path::{Path, PathBuf};

use osc_package::{Deployable, DeployableSource, PackageSpec};

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn fixture(relative: &str) -> Vec<u8> {
    fs::read(fixtures().join(relative)).unwrap()
}

/// The files under a fixture folder, as (path relative to it, contents), sorted.
fn files_under(folder: &str) -> Vec<(String, Vec<u8>)> {
    fn walk(dir: &Path, root: &Path, found: &mut Vec<(String, Vec<u8>)>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, found);
            } else {
                let relative = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                found.push((relative, fs::read(&path).unwrap()));
            }
        }
    }
    let root = fixtures().join(folder);
    let mut found = Vec::new();
    walk(&root, &root, &mut found);
    found.sort();
    found
}

/// A `helm package`-style tgz of `folder`, with each file passed through `edit`.
pub fn tgz_of(folder: &str, edit: impl Fn(&str, Vec<u8>) -> Vec<u8>) -> Vec<u8> {
    let encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut builder = tar::Builder::new(encoder);
    for (relative, contents) in files_under(folder) {
        let contents = edit(&relative, contents);
        let mut header = tar::Header::new_gnu();
        header.set_size(contents.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(
                &mut header,
                format!("{folder}/{relative}"),
                contents.as_slice(),
            )
            .unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

/// A zip of the files under `folder`, named relative to it and passed through `edit`.
pub fn zip_of(folder: &str, edit: impl Fn(&str, Vec<u8>) -> Vec<u8>) -> Vec<u8> {
    let entries: Vec<(String, Vec<u8>)> = files_under(folder)
        .into_iter()
        .map(|(relative, contents)| {
            let contents = edit(&relative, contents);
            (relative, contents)
        })
        .collect();
    let entries: Vec<(&str, Option<&[u8]>)> = entries
        .iter()
        .map(|(name, contents)| (name.as_str(), Some(contents.as_slice())))
        .collect();
    zip_bytes(&entries)
}

/// A zip with these entries in this order; `None` makes a directory entry.
pub fn zip_bytes(entries: &[(&str, Option<&[u8]>)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .last_modified_time(zip::DateTime::default());
    for (name, contents) in entries {
        match contents {
            None => writer
                .add_directory(name.trim_end_matches('/'), options)
                .unwrap(),
            Some(contents) => {
                writer.start_file(*name, options).unwrap();
                writer.write_all(contents).unwrap();
            }
        }
    }
    writer.finish().unwrap().into_inner()
}

pub fn unchanged(_: &str, contents: Vec<u8>) -> Vec<u8> {
    contents
}

/// Replaces `from` with `to` in every file.
pub fn replacing(from: &'static str, to: &'static str) -> impl Fn(&str, Vec<u8>) -> Vec<u8> {
    move |_, contents| {
        String::from_utf8(contents)
            .unwrap()
            .replace(from, to)
            .into_bytes()
    }
}

/// `redis/` as `helm package` makes it. Committed rather than built, so that sizes and digests in
/// snapshots do not depend on which deflate implementation the build picks.
pub fn chart() -> Vec<u8> {
    fixture("redis-18.1.0.tgz")
}

/// `etcd-operator/` zipped; committed for the same reason as [`chart`].
pub fn operator() -> Vec<u8> {
    fixture("etcd-operator-0.9.4.zip")
}

/// Bytes that do not repeat at any short period, so misplaced chunks show up.
pub fn pattern(len: usize, seed: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect()
}

/// A Helm service package with two image tars written under `inputs`.
pub fn helm_spec(inputs: &Path) -> PackageSpec {
    let images = [
        ("redis-7.2.4.tar", 1024 * 1024 + 17, 1),
        ("redis-7.2.4-arm64.tar", 300_000, 2),
    ]
    .map(|(name, len, seed)| {
        let path = inputs.join(name);
        fs::write(&path, pattern(len, seed)).unwrap();
        path
    });
    PackageSpec {
        name: "redis".into(),
        version: "18.1.0".into(),
        deployable: Deployable {
            file_name: "redis-18.1.0.tgz".into(),
            source: DeployableSource::Bytes(chart()),
        },
        images: images.to_vec(),
        mapping: Some(fixture("mapping.yaml")),
        extends: Vec::new(),
    }
}

/// An operator service package whose deployable is a file, with an extends file.
pub fn operator_spec(inputs: &Path) -> PackageSpec {
    let bundle = inputs.join("etcd-operator-0.9.4.zip");
    fs::write(&bundle, operator()).unwrap();
    let image = inputs.join("etcd-operator-0.9.4.tar");
    fs::write(&image, pattern(200_000, 3)).unwrap();
    PackageSpec {
        name: "etcd-operator".into(),
        version: "0.9.4-rc.1".into(),
        deployable: Deployable {
            file_name: "etcd-operator-0.9.4.zip".into(),
            source: DeployableSource::File(bundle),
        },
        images: vec![image],
        mapping: Some(fixture("operator-mapping.yaml")),
        extends: vec![("csd.yaml".into(), fixture("csd.yaml"))],
    }
}

/// File names in `dir`, sorted.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
