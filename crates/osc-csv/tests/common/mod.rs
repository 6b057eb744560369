//! Fixture handling shared by the integration tests.

#![allow(dead_code)] // each test binary uses its own subset

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A change to a copied fixture.
pub enum Edit {
    /// Replace every occurrence; the text must occur, so a stale case fails instead of passing.
    Replace(&'static str, &'static str, &'static str),
    Write(&'static str, &'static str),
    Copy(&'static str, &'static str),
    Remove(&'static str),
}

/// A temporary copy of a fixture with the edits applied.
pub fn edited_fixture(name: &str, edits: &[Edit]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture(name), dir.path());
    for edit in edits {
        match edit {
            Edit::Replace(file, from, to) => {
                let path = dir.path().join(file);
                let text = fs::read_to_string(&path).unwrap();
                assert!(text.contains(from), "{file} does not contain {from:?}");
                fs::write(&path, text.replace(from, to)).unwrap();
            }
            Edit::Write(file, text) => {
                let path = dir.path().join(file);
                fs::create_dir_all(path.parent().unwrap()).unwrap();
                fs::write(path, text).unwrap();
            }
            Edit::Copy(from, to) => {
                let to = dir.path().join(to);
                fs::create_dir_all(to.parent().unwrap()).unwrap();
                fs::copy(dir.path().join(from), to).unwrap();
            }
            Edit::Remove(file) => fs::remove_file(dir.path().join(file)).unwrap(),
        }
    }
    dir
}

pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Zips `dir` with every entry under `top` (which may be empty), plus the junk macOS adds.
pub fn zip_dir(dir: &Path, archive: &Path, top: &str) {
    let mut writer = zip::ZipWriter::new(fs::File::create(archive).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    writer
        .start_file(format!("__MACOSX/{top}._demo.yaml"), options)
        .unwrap();
    writer.write_all(b"\0\x05\x16\x07 not yaml").unwrap();
    add_to_zip(&mut writer, dir, top, options);
    writer.finish().unwrap();
}

fn add_to_zip(
    writer: &mut zip::ZipWriter<fs::File>,
    dir: &Path,
    prefix: &str,
    options: zip::write::SimpleFileOptions,
) {
    let mut entries: Vec<_> = fs::read_dir(dir).unwrap().map(|e| e.unwrap()).collect();
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        let name = format!("{prefix}{}", entry.file_name().to_str().unwrap());
        if entry.file_type().unwrap().is_dir() {
            add_to_zip(writer, &entry.path(), &format!("{name}/"), options);
        } else {
            writer.start_file(name, options).unwrap();
            writer.write_all(&fs::read(entry.path()).unwrap()).unwrap();
        }
    }
}
