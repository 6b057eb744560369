//! Writing a package as a folder, zip or tgz, reproducibly, and reading one back for checking.

use std::io::{self, Seek, Write};
use std::path::Path;

use flate2::{Compression, GzBuilder};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use crate::ReadError;

pub(crate) fn write_dir(files: &[(String, Vec<u8>)], dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (path, data) in files {
        let path = osc_archive::RelPath::parse(path)
            .map_err(|error| io::Error::other(format!("`{path}`: {error}")))?;
        osc_archive::write_under(dir, &path, data).map_err(io::Error::other)?;
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
        osc_chart::append_file(&mut tar, &format!("{top}/{path}"), data)?;
    }
    tar.into_inner()?.finish()
}

fn sorted(files: &[(String, Vec<u8>)]) -> Vec<&(String, Vec<u8>)> {
    let mut sorted = files.iter().collect::<Vec<_>>();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    sorted
}

/// Reads an OSC-format package from a folder, a `.zip` or a `.tgz` through osc-archive (Helm's
/// limits: 5 MiB a file, 100 MiB in all). Paths use `/`; one top folder holding everything is
/// removed; macOS junk (`__MACOSX/`, `.DS_Store`) is left out. Sorted by path.
pub fn read_package(path: &Path) -> Result<Vec<(String, Vec<u8>)>, ReadError> {
    let format = osc_archive::sniff(path).map_err(|error| {
        if path.is_file() {
            ReadError::UnknownFormat {
                path: path.to_path_buf(),
            }
        } else {
            error.into()
        }
    })?;
    if format == osc_archive::Format::Tar {
        return Err(ReadError::UnknownFormat {
            path: path.to_path_buf(),
        });
    }
    let mut budget = osc_archive::Budget::new(osc_archive::Limits::DEPLOYABLE);
    let tree = osc_archive::read(path, &mut budget, &|_, _| false)?;
    let mut files: Vec<(String, Vec<u8>)> = tree
        .files
        .into_iter()
        .map(|file| (file.path.as_str().to_string(), file.data))
        .collect();
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
