//! Writing a package as a folder, zip or tgz, reproducibly, and reading one back for checking.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, Write};
use std::path::Path;

use flate2::{Compression, GzBuilder};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

use crate::ReadError;

/// What one entry may hold when read back; a package is at most 4 MB in all.
const MAX_ENTRY_BYTES: u64 = 16 * 1024 * 1024;
/// What a whole package may hold when read back.
const MAX_PACKAGE_BYTES: u64 = 64 * 1024 * 1024;

pub(crate) fn write_dir(files: &[(String, Vec<u8>)], dir: &Path) -> io::Result<()> {
    for (path, data) in files {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(target, data)?;
    }
    Ok(())
}

pub(crate) fn write_zip<W: Write + Seek>(
    files: &[(String, Vec<u8>)],
    top: &str,
    out: W,
) -> io::Result<W> {
    let mut zip = ZipWriter::new(out);
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::default())
        .unix_permissions(0o644);
    for (path, data) in sorted(files) {
        zip.start_file(format!("{top}/{path}"), options)
            .map_err(io::Error::other)?;
        zip.write_all(data)?;
    }
    zip.finish().map_err(io::Error::other)
}

pub(crate) fn write_tgz<W: Write>(files: &[(String, Vec<u8>)], top: &str, out: W) -> io::Result<W> {
    let gzip = GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(out, Compression::default());
    let mut tar = tar::Builder::new(gzip);
    tar.mode(tar::HeaderMode::Deterministic);
    for (path, data) in sorted(files) {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(0);
        header.set_size(data.len() as u64);
        tar.append_data(&mut header, format!("{top}/{path}"), data.as_slice())?;
    }
    tar.into_inner()?.finish()
}

fn sorted(files: &[(String, Vec<u8>)]) -> Vec<&(String, Vec<u8>)> {
    let mut sorted = files.iter().collect::<Vec<_>>();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    sorted
}

/// Reads an OSC-format package from a folder, a `.zip` or a `.tgz`, each entry at most 16 MB.
/// Paths use `/`; one top folder holding everything is removed; macOS junk (`__MACOSX/`,
/// `.DS_Store`) is left out. Sorted by path.
pub fn read_package(path: &Path) -> Result<Vec<(String, Vec<u8>)>, ReadError> {
    let io_error = |source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut files = if path.is_dir() {
        read_dir(path)?
    } else {
        let mut file = File::open(path).map_err(io_error)?;
        let mut magic = [0u8; 2];
        let read = file.read(&mut magic).map_err(io_error)?;
        file.rewind().map_err(io_error)?;
        match &magic[..read] {
            b"PK" => read_zip(path, file)?,
            [0x1f, 0x8b] => read_tgz(path, file)?,
            _ => {
                return Err(ReadError::UnknownFormat {
                    path: path.to_path_buf(),
                });
            }
        }
    };
    files.retain(|(name, _)| {
        !name
            .split('/')
            .any(|part| part == "__MACOSX" || part == ".DS_Store")
    });
    strip_top_folder(&mut files);
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files)
}

/// Removes the one folder everything is in, as an archive made with `zip -r name.zip name` has.
fn strip_top_folder(files: &mut [(String, Vec<u8>)]) {
    let Some(top) = files
        .first()
        .and_then(|(name, _)| name.split_once('/'))
        .map(|(top, _)| format!("{top}/"))
    else {
        return;
    };
    if files.iter().all(|(name, _)| name.starts_with(&top)) {
        for (name, _) in files.iter_mut() {
            *name = name[top.len()..].to_string();
        }
    }
}

/// Adds an entry's size to the running total and refuses what is too big to be a package.
fn account(path: &Path, entry: &str, size: u64, total: &mut u64) -> Result<(), ReadError> {
    *total += size;
    let (size, limit) = if size > MAX_ENTRY_BYTES {
        (size, MAX_ENTRY_BYTES)
    } else if *total > MAX_PACKAGE_BYTES {
        (*total, MAX_PACKAGE_BYTES)
    } else {
        return Ok(());
    };
    Err(ReadError::TooLarge {
        path: path.to_path_buf(),
        entry: entry.to_string(),
        size,
        limit,
    })
}

/// An entry's bytes; its header's size is not trusted.
fn read_entry(entry: impl Read, path: &Path, name: &str) -> Result<Vec<u8>, ReadError> {
    let mut data = Vec::new();
    entry
        .take(MAX_ENTRY_BYTES + 1)
        .read_to_end(&mut data)
        .map_err(|source| ReadError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    account(path, name, data.len() as u64, &mut 0)?;
    Ok(data)
}

fn read_dir(root: &Path) -> Result<Vec<(String, Vec<u8>)>, ReadError> {
    let mut files = Vec::new();
    let mut total = 0;
    for entry in walkdir::WalkDir::new(root).min_depth(1) {
        let entry = entry.map_err(|error| ReadError::Io {
            path: root.to_path_buf(),
            source: error.into(),
        })?;
        if !entry.file_type().is_file() {
            continue;
        }
        let relative = entry
            .path()
            .strip_prefix(root)
            .unwrap_or(entry.path())
            .components()
            .map(|part| part.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        let size = entry.metadata().map(|meta| meta.len()).unwrap_or(0);
        account(root, &relative, size, &mut total)?;
        let data = std::fs::read(entry.path()).map_err(|source| ReadError::Io {
            path: entry.path().to_path_buf(),
            source,
        })?;
        files.push((relative, data));
    }
    Ok(files)
}

fn read_zip(path: &Path, file: File) -> Result<Vec<(String, Vec<u8>)>, ReadError> {
    let zip_error = |source| ReadError::Zip {
        path: path.to_path_buf(),
        source,
    };
    let mut archive = ZipArchive::new(BufReader::new(file)).map_err(zip_error)?;
    let mut files = Vec::new();
    let mut total = 0;
    for index in 0..archive.len() {
        let entry = archive.by_index(index).map_err(zip_error)?;
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().to_string();
        account(path, &name, entry.size(), &mut total)?;
        let data = read_entry(entry, path, &name)?;
        files.push((name, data));
    }
    Ok(files)
}

fn read_tgz(path: &Path, file: File) -> Result<Vec<(String, Vec<u8>)>, ReadError> {
    let io_error = |source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(BufReader::new(file)));
    let mut files = Vec::new();
    let mut total = 0;
    for entry in archive.entries().map_err(io_error)? {
        let entry = entry.map_err(io_error)?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = entry
            .path()
            .map_err(io_error)?
            .to_string_lossy()
            .trim_start_matches("./")
            .to_string();
        account(path, &name, entry.size(), &mut total)?;
        let data = read_entry(entry, path, &name)?;
        files.push((name, data));
    }
    Ok(files)
}
