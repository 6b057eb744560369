//! A zip whose entries are too big to hold in memory (a service package with image tars): every
//! name is checked when it is opened, and entries are then read streaming.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek};
use std::path::Path;

use crate::Error;
use crate::name::RelPath;
use crate::tree::check_zip_entry;

/// Far more than a service package holds (a deployable, a mapping, tars, a few extends files).
pub const MAX_ZIP_ENTRIES: usize = 10_000;

/// One entry of a [`ZipIndex`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipEntry {
    pub index: usize,
    pub path: RelPath,
    pub is_dir: bool,
    /// The size the zip's directory declares, uncompressed.
    pub size: u64,
    pub crc32: u32,
    /// Stored without compression: its bytes lie in the zip as they are, from `data_start`.
    pub stored: bool,
    pub data_start: u64,
}

/// A zip opened for streaming reads, after every entry's name passed the checks of
/// [`RelPath`], none of them twice, and no link or special file among them.
pub struct ZipIndex<R> {
    origin: String,
    archive: zip::ZipArchive<R>,
    entries: Vec<ZipEntry>,
}

/// An entry the index refused, with why; `verify` reports each, the loaders stop at the first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub entry: String,
    pub message: String,
}

impl ZipIndex<BufReader<File>> {
    pub fn open(path: &Path) -> Result<(Self, Vec<Refused>), Error> {
        let meta = std::fs::metadata(path).map_err(|error| Error::io(path, error))?;
        if !meta.is_file() {
            return Err(Error::new(
                path.display().to_string(),
                "not a regular file: give a .zip file",
            ));
        }
        let file = File::open(path).map_err(|error| Error::io(path, error))?;
        ZipIndex::new(
            BufReader::with_capacity(1 << 20, file),
            &path.display().to_string(),
        )
    }
}

impl<R: Read + Seek> ZipIndex<R> {
    /// Opens the zip and checks every entry; the entries that fail are left out of the index and
    /// returned, so a caller can list them all.
    pub fn new(mut input: R, origin: &str) -> Result<(Self, Vec<Refused>), Error> {
        let names = crate::central::central_names(&mut input)
            .map_err(|error| Error::new(origin, format!("cannot read the zip: {error}")))?;
        let mut refused = Vec::new();
        if let Some(names) = &names {
            let mut seen = HashSet::new();
            for name in names {
                if !seen.insert(name.as_slice()) {
                    refused.push(Refused {
                        entry: crate::name::shown(&String::from_utf8_lossy(name)),
                        message: "is in the zip twice: readers disagree on which one counts; re-create the zip".to_string(),
                    });
                }
            }
        }
        let mut archive = zip::ZipArchive::new(input).map_err(|error| {
            Error::new(
                origin,
                format!("not a readable zip ({error}): write or download it again"),
            )
        })?;
        if archive.len() > MAX_ZIP_ENTRIES {
            return Err(Error::new(
                origin,
                format!(
                    "{} entries, more than the {MAX_ZIP_ENTRIES} a package can hold: this zip is broken or hostile",
                    archive.len()
                ),
            ));
        }
        let mut entries = Vec::with_capacity(archive.len());
        let mut seen: HashSet<RelPath> = HashSet::new();
        for index in 0..archive.len() {
            let entry = match archive.by_index_raw(index) {
                Ok(entry) => entry,
                Err(error) => {
                    refused.push(Refused {
                        entry: format!("entry {index}"),
                        message: format!(
                            "cannot be read ({error}): write or download the zip again"
                        ),
                    });
                    continue;
                }
            };
            let raw = entry.name().to_string();
            match check_zip_entry(origin, &entry) {
                Ok((path, is_dir, size)) => {
                    if !seen.insert(path.clone()) {
                        refused.push(Refused {
                            entry: raw,
                            message: format!(
                                "`{path}` is in the zip twice: readers disagree on which one counts; re-create the zip"
                            ),
                        });
                        continue;
                    }
                    entries.push(ZipEntry {
                        index,
                        path,
                        is_dir,
                        size,
                        crc32: entry.crc32(),
                        stored: entry.compression() == zip::CompressionMethod::Stored,
                        data_start: entry.data_start(),
                    });
                }
                Err(error) => refused.push(Refused {
                    entry: crate::name::shown(&raw),
                    message: error.message().to_string(),
                }),
            }
        }
        Ok((
            ZipIndex {
                origin: origin.to_string(),
                archive,
                entries,
            },
            refused,
        ))
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn entries(&self) -> &[ZipEntry] {
        &self.entries
    }

    pub fn find(&self, path: &str) -> Option<&ZipEntry> {
        self.entries
            .iter()
            .find(|entry| entry.path.as_str() == path)
    }

    /// An entry's bytes, refused when it declares (or turns out to hold) more than `limit`.
    pub fn read(&mut self, entry: &ZipEntry, limit: u64) -> Result<Vec<u8>, Error> {
        let location = format!("{}: {}", self.origin, entry.path);
        if entry.size > limit {
            return Err(Error::new(
                location,
                format!(
                    "{} bytes, more than the {limit} bytes this file can have",
                    entry.size
                ),
            ));
        }
        let file = self
            .archive
            .by_index(entry.index)
            .map_err(|error| Error::new(&location, format!("cannot be read: {error}")))?;
        let mut data = Vec::with_capacity(entry.size.min(1 << 20) as usize);
        file.take(limit + 1)
            .read_to_end(&mut data)
            .map_err(|error| Error::new(&location, format!("cannot be read: {error}")))?;
        if data.len() as u64 != entry.size {
            return Err(Error::new(
                location,
                format!(
                    "holds {} bytes where the zip's directory says {}: the zip is broken; write it again",
                    data.len(),
                    entry.size
                ),
            ));
        }
        Ok(data)
    }

    /// A streaming reader of an entry; reading it to the end checks its CRC.
    pub fn reader(&mut self, entry: &ZipEntry) -> io::Result<zip::read::ZipFile<'_, R>> {
        self.archive.by_index(entry.index).map_err(io::Error::other)
    }
}
