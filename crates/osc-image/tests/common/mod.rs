//! Helpers to take image tars apart and put altered ones together. Tests hold these small tars in
//! memory; the crate itself never does.

#![allow(dead_code)] // each test binary uses its own subset

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use osc_image::{Arch, ImageSpec};
use sha2::Digest;

#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub kind: Kind,
}

#[derive(Debug, Clone)]
pub enum Kind {
    File(Vec<u8>),
    Dir,
    Symlink(String),
}

impl Entry {
    pub fn file(name: &str, content: impl Into<Vec<u8>>) -> Entry {
        Entry {
            name: name.to_owned(),
            kind: Kind::File(content.into()),
        }
    }

    pub fn symlink(name: &str, target: &str) -> Entry {
        Entry {
            name: name.to_owned(),
            kind: Kind::Symlink(target.to_owned()),
        }
    }

    pub fn content(&self) -> &[u8] {
        match &self.kind {
            Kind::File(content) => content,
            Kind::Dir | Kind::Symlink(_) => &[],
        }
    }
}

pub fn spec(arch: Arch, variant: Option<&str>) -> ImageSpec {
    ImageSpec {
        repo_tag: "example.com/osc/hello:1.0.0".to_owned(),
        arch,
        variant: variant.map(str::to_owned),
        files: vec![
            (
                "etc/hello/greeting.txt".to_owned(),
                b"hello, osc\n".to_vec(),
            ),
            ("hello.txt".to_owned(), b"hello\n".to_vec()),
        ],
    }
}

pub fn docker_archive(spec: &ImageSpec) -> Vec<u8> {
    let mut out = Vec::new();
    osc_image::write_docker_archive(spec, &mut out).unwrap();
    out
}

pub fn oci_archive(spec: &ImageSpec) -> Vec<u8> {
    let mut out = Vec::new();
    osc_image::write_oci_archive(spec, &mut out).unwrap();
    out
}

pub fn entries(tar: &[u8]) -> Vec<Entry> {
    let mut archive = tar::Archive::new(tar);
    archive
        .entries()
        .unwrap()
        .map(|entry| {
            let mut entry = entry.unwrap();
            let name = String::from_utf8(entry.path_bytes().into_owned()).unwrap();
            let kind = match entry.header().entry_type() {
                tar::EntryType::Directory => Kind::Dir,
                tar::EntryType::Symlink => Kind::Symlink(
                    String::from_utf8(entry.link_name_bytes().unwrap().into_owned()).unwrap(),
                ),
                _ => {
                    let mut content = Vec::new();
                    entry.read_to_end(&mut content).unwrap();
                    Kind::File(content)
                }
            };
            Entry { name, kind }
        })
        .collect()
}

pub fn build(entries: &[Entry]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for entry in entries {
        let mut header = tar::Header::new_gnu();
        header.set_mode(0o644);
        match &entry.kind {
            Kind::File(content) => {
                header.set_size(content.len() as u64);
                builder
                    .append_data(&mut header, &entry.name, content.as_slice())
                    .unwrap();
            }
            Kind::Dir => {
                header.set_entry_type(tar::EntryType::Directory);
                header.set_size(0);
                builder
                    .append_data(&mut header, &entry.name, std::io::empty())
                    .unwrap();
            }
            Kind::Symlink(target) => {
                header.set_entry_type(tar::EntryType::Symlink);
                header.set_size(0);
                builder
                    .append_link(&mut header, &entry.name, target)
                    .unwrap();
            }
        }
    }
    builder.into_inner().unwrap()
}

/// Takes the tar apart, lets `change` alter its entries, and puts it together again.
pub fn rewrite(tar: &[u8], change: impl FnOnce(&mut Vec<Entry>)) -> Vec<u8> {
    let mut entries = entries(tar);
    change(&mut entries);
    build(&entries)
}

pub fn find<'a>(entries: &'a mut [Entry], name: &str) -> &'a mut Entry {
    entries
        .iter_mut()
        .find(|entry| entry.name == name)
        .unwrap_or_else(|| panic!("no entry {name}"))
}

pub fn find_by_suffix<'a>(entries: &'a mut [Entry], suffix: &str) -> &'a mut Entry {
    entries
        .iter_mut()
        .find(|entry| entry.name.ends_with(suffix))
        .unwrap_or_else(|| panic!("no entry *{suffix}"))
}

/// Where `name`'s header and data start in `tar`.
pub fn entry_position(tar: &[u8], name: &str) -> (u64, u64) {
    let mut archive = tar::Archive::new(tar);
    let entry = archive
        .entries()
        .unwrap()
        .map(Result::unwrap)
        .find(|entry| entry.path_bytes().as_ref() == name.as_bytes())
        .unwrap_or_else(|| panic!("no entry {name}"));
    (entry.raw_header_position(), entry.raw_file_position())
}

pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{:x}", sha2::Sha256::digest(bytes))
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

pub fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).unwrap()
}

pub fn save(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The names, types, modes, owners and times of a tar's entries, one a line.
pub fn listing(tar: &[u8]) -> String {
    let mut archive = tar::Archive::new(tar);
    let mut out = String::new();
    for entry in archive.entries().unwrap() {
        let entry = entry.unwrap();
        let header = entry.header();
        out += &format!(
            "{:?} {:o} {}:{} mtime={} size={} {}\n",
            header.entry_type(),
            header.mode().unwrap(),
            header.uid().unwrap(),
            header.gid().unwrap(),
            header.mtime().unwrap(),
            entry.size(),
            String::from_utf8_lossy(&entry.path_bytes()),
        );
    }
    out
}
