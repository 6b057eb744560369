//! Reads files of a bundle from a folder or from a zip archive, one file at a time.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use zip::ZipArchive;

use crate::error::Error;
use crate::model::Root;

/// Guards against zip bombs and stray binaries: CRDs with big schemas stay well below this.
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

pub(crate) enum Source {
    Dir(PathBuf),
    Zip(ZipSource),
}

pub(crate) struct ZipSource {
    archive_path: PathBuf,
    archive: ZipArchive<BufReader<File>>,
    /// The folder inside the archive that relative paths start from: empty or ending in `/`.
    prefix: String,
    /// Names of the file entries, excluding junk such as `__MACOSX/` and hidden files.
    files: Vec<String>,
}

/// Entries directly inside a folder, sorted by name, hidden ones left out.
#[derive(Debug, Default)]
pub(crate) struct Listing {
    pub files: Vec<String>,
    pub dirs: Vec<String>,
}

impl Source {
    /// Opens a folder, or a zip archive and descends into its single top folder when the bundle is
    /// wrapped in one.
    pub fn open(path: &Path) -> Result<Source, Error> {
        let metadata = std::fs::metadata(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        if metadata.is_dir() {
            return Ok(Source::Dir(path.to_path_buf()));
        }
        let file = File::open(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let archive = ZipArchive::new(BufReader::new(file)).map_err(|source| {
            let named_zip = path
                .extension()
                .is_some_and(|extension| extension.eq_ignore_ascii_case("zip"));
            if named_zip {
                Error::Zip {
                    path: path.to_path_buf(),
                    source,
                }
            } else {
                Error::UnknownLayout {
                    path: path.to_path_buf(),
                }
            }
        })?;
        let files = (0..archive.len())
            .filter_map(|index| archive.name_for_index(index))
            .filter(|name| !name.ends_with('/') && !is_junk(name))
            .map(str::to_string)
            .collect();
        let mut zip = ZipSource {
            archive_path: path.to_path_buf(),
            archive,
            prefix: String::new(),
            files,
        };
        loop {
            let listing = zip.list("");
            match listing.dirs.as_slice() {
                [only] if listing.files.is_empty() => zip.prefix = format!("{}{only}/", zip.prefix),
                _ => break,
            }
        }
        Ok(Source::Zip(zip))
    }

    pub fn root(&self) -> Root {
        match self {
            Source::Dir(path) => Root::Dir(path.clone()),
            Source::Zip(zip) => Root::Zip {
                archive: zip.archive_path.clone(),
                prefix: zip.prefix.clone(),
            },
        }
    }

    /// Whether paths starting with `..` can be read: a zip has nothing above its root.
    pub fn has_parent(&self) -> bool {
        matches!(self, Source::Dir(_))
    }

    pub fn list(&mut self, dir: &Path) -> Result<Listing, Error> {
        match self {
            Source::Dir(root) => list_dir(&root.join(dir)),
            Source::Zip(zip) => Ok(zip.list(&slash_path(dir))),
        }
    }

    pub fn read(&mut self, file: &Path) -> Result<String, Error> {
        let bytes = self.read_bytes(file)?;
        String::from_utf8(bytes).map_err(|_| Error::NotUtf8 {
            file: file.to_path_buf(),
        })
    }
}

impl Source {
    pub fn read_bytes(&mut self, file: &Path) -> Result<Vec<u8>, Error> {
        match self {
            Source::Dir(root) => read_file(&root.join(file), file),
            Source::Zip(zip) => zip.read(file),
        }
    }

    /// Every file below `dir`, depth first in name order, as paths relative to the root.
    pub fn walk(&mut self, dir: &Path) -> Result<Vec<PathBuf>, Error> {
        let listing = self.list(dir)?;
        let mut files: Vec<PathBuf> = listing.files.iter().map(|file| dir.join(file)).collect();
        for sub in &listing.dirs {
            files.extend(self.walk(&dir.join(sub))?);
        }
        files.sort();
        Ok(files)
    }
}

impl ZipSource {
    fn list(&self, dir: &str) -> Listing {
        let base = if dir.is_empty() {
            self.prefix.clone()
        } else {
            format!("{}{dir}/", self.prefix)
        };
        let mut listing = Listing::default();
        for name in &self.files {
            let Some(rest) = name.strip_prefix(&base) else {
                continue;
            };
            match rest.split_once('/') {
                None => listing.files.push(rest.to_string()),
                Some((sub, _)) => {
                    if !listing.dirs.iter().any(|seen| seen == sub) {
                        listing.dirs.push(sub.to_string());
                    }
                }
            }
        }
        listing.files.sort();
        listing.dirs.sort();
        listing
    }

    fn read(&mut self, file: &Path) -> Result<Vec<u8>, Error> {
        let name = format!("{}{}", self.prefix, slash_path(file));
        let entry = self
            .archive
            .by_name(&name)
            .map_err(|source| Error::ZipEntry {
                archive: self.archive_path.clone(),
                entry: name.clone(),
                source,
            })?;
        if entry.size() > MAX_FILE_BYTES {
            return Err(Error::TooLarge {
                file: file.to_path_buf(),
                size: entry.size(),
                limit: MAX_FILE_BYTES,
            });
        }
        // The declared size can lie; never read more than the limit.
        let mut bytes = Vec::new();
        entry
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|source| Error::Io {
                path: file.to_path_buf(),
                source,
            })?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(Error::TooLarge {
                file: file.to_path_buf(),
                size: bytes.len() as u64,
                limit: MAX_FILE_BYTES,
            });
        }
        Ok(bytes)
    }
}

fn list_dir(dir: &Path) -> Result<Listing, Error> {
    let io_error = |source| Error::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut listing = Listing::default();
    for entry in std::fs::read_dir(dir).map_err(io_error)? {
        let entry = entry.map_err(io_error)?;
        // A name that is not UTF-8 cannot be a manifest OLM reads either.
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if is_junk(&name) {
            continue;
        }
        if std::fs::metadata(entry.path()).map_err(io_error)?.is_dir() {
            listing.dirs.push(name);
        } else {
            listing.files.push(name);
        }
    }
    listing.files.sort();
    listing.dirs.sort();
    Ok(listing)
}

fn read_file(path: &Path, shown: &Path) -> Result<Vec<u8>, Error> {
    let io_error = |source| Error::Io {
        path: shown.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io_error)?.len();
    if size > MAX_FILE_BYTES {
        return Err(Error::TooLarge {
            file: shown.to_path_buf(),
            size,
            limit: MAX_FILE_BYTES,
        });
    }
    std::fs::read(path).map_err(io_error)
}

/// Hidden files and the resource forks macOS adds to zips are never part of a bundle.
fn is_junk(name: &str) -> bool {
    name.split('/')
        .any(|part| part.starts_with('.') && part != "." && part != ".." || part == "__MACOSX")
}

fn slash_path(path: &Path) -> String {
    path.components()
        .map(|component| component.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}
