//! Reads the files of a loaded operator bundle from where `osc_csv::load` found it: a folder or a
//! zip archive.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use osc_csv::Root;
use zip::ZipArchive;

use crate::ConvertError;

/// Bigger files are no manifests; OSC packages are at most 4 MB.
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

pub(crate) enum Source {
    Dir(PathBuf),
    Zip {
        path: PathBuf,
        archive: Box<ZipArchive<BufReader<File>>>,
        /// Empty, or a folder inside the archive ending in `/`.
        prefix: String,
    },
}

impl Source {
    pub fn open(root: &Root) -> Result<Source, ConvertError> {
        match root {
            Root::Dir(path) => Ok(Source::Dir(path.clone())),
            Root::Zip { archive, prefix } => {
                let file = File::open(archive).map_err(|source| ConvertError::Io {
                    path: archive.clone(),
                    source,
                })?;
                let zip =
                    ZipArchive::new(BufReader::new(file)).map_err(|source| ConvertError::Zip {
                        archive: archive.clone(),
                        entry: String::new(),
                        source,
                    })?;
                Ok(Source::Zip {
                    path: archive.clone(),
                    archive: Box::new(zip),
                    prefix: prefix.clone(),
                })
            }
        }
    }

    /// A file by its path relative to the root.
    pub fn read(&mut self, relative: &str) -> Result<Vec<u8>, ConvertError> {
        match self {
            Source::Dir(root) => {
                let path = root.join(relative);
                let file = File::open(&path).map_err(|source| ConvertError::Io {
                    path: path.clone(),
                    source,
                })?;
                read_limited(file, &path)
            }
            Source::Zip {
                path,
                archive,
                prefix,
            } => {
                let entry = format!("{prefix}{relative}");
                let file = archive
                    .by_name(&entry)
                    .map_err(|source| ConvertError::Zip {
                        archive: path.clone(),
                        entry: entry.clone(),
                        source,
                    })?;
                read_limited(file, &path.join(&entry))
            }
        }
    }

    /// The files under `dir` (relative to the root; empty for the root itself), as paths relative
    /// to `dir` with `/`, sorted; only those directly inside unless `recursive`. Hidden files and
    /// macOS archive junk are left out.
    pub fn list(&mut self, dir: &str, recursive: bool) -> Result<Vec<String>, ConvertError> {
        let mut files = match self {
            Source::Dir(root) => {
                let base = root.join(dir);
                let walker = walkdir::WalkDir::new(&base)
                    .min_depth(1)
                    .max_depth(if recursive { usize::MAX } else { 1 });
                let mut files = Vec::new();
                for entry in walker {
                    let entry = entry.map_err(|error| ConvertError::Io {
                        path: base.clone(),
                        source: error.into(),
                    })?;
                    if !entry.file_type().is_file() {
                        continue;
                    }
                    let relative = entry
                        .path()
                        .strip_prefix(&base)
                        .unwrap_or(entry.path())
                        .components()
                        .map(|part| part.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("/");
                    files.push(relative);
                }
                files
            }
            Source::Zip {
                archive, prefix, ..
            } => {
                let base = if dir.is_empty() {
                    prefix.clone()
                } else {
                    format!("{prefix}{}/", dir.trim_end_matches('/'))
                };
                archive
                    .file_names()
                    .filter(|name| !name.ends_with('/'))
                    .filter_map(|name| name.strip_prefix(base.as_str()))
                    .filter(|relative| recursive || !relative.contains('/'))
                    .map(str::to_string)
                    .collect()
            }
        };
        files.retain(|relative| !is_junk(relative));
        files.sort();
        Ok(files)
    }
}

fn is_junk(relative: &str) -> bool {
    relative
        .split('/')
        .any(|part| part.starts_with('.') || part == "__MACOSX")
}

fn read_limited(reader: impl Read, path: &Path) -> Result<Vec<u8>, ConvertError> {
    let mut data = Vec::new();
    reader
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut data)
        .map_err(|source| ConvertError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    if data.len() as u64 > MAX_FILE_BYTES {
        return Err(ConvertError::Input {
            file: path.display().to_string(),
            message: format!("more than {MAX_FILE_BYTES} bytes, too big for a manifest"),
        });
    }
    Ok(data)
}
