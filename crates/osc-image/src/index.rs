//! One pass over the tar's headers, seeking past entry data, so that any entry can then be read by
//! seeking straight to it: the tar is never unpacked and no layer is held in memory.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use osc_archive::tar::{BLOCK, EntryKind as TarKind, Seekable, TarError, TarReader};
use serde::de::DeserializeOwned;

use crate::{Compression, DigestCheck, Error, sha256_digest};

/// The most a JSON entry (manifest, index, config) may hold; real ones are a few KiB, and the cap
/// keeps a hostile tar from making us allocate gigabytes.
const JSON_LIMIT: u64 = 16 * 1024 * 1024;

/// Real archives link a layer once or twice (podman's `<id>/layer.tar` symlinks); more is a loop.
const LINK_LIMIT: usize = 16;

/// Image archives hold a few files per layer; more is a hostile tar.
const MAX_ENTRIES: usize = 100_000;

/// The entries of an image tar, by normalized name.
pub(crate) struct TarIndex {
    path: PathBuf,
    file: File,
    entries: HashMap<String, EntryKind>,
}

/// A regular file entry: where its data starts in the tar and how long it is.
#[derive(Debug, Clone)]
pub(crate) struct Blob {
    pub name: String,
    pub offset: u64,
    pub size: u64,
}

enum EntryKind {
    File {
        offset: u64,
        size: u64,
    },
    /// Link targets are stored already resolved to normalized entry names.
    Link(String),
    Other,
}

impl TarIndex {
    pub fn open(path: &Path) -> Result<Self, Error> {
        let io_error = |source| Error::Io {
            path: path.to_owned(),
            source,
        };
        // Opening a FIFO blocks until someone writes to it: look before opening.
        let meta = std::fs::metadata(path).map_err(io_error)?;
        if !meta.is_file() {
            return Err(Error::NotATar {
                path: path.to_owned(),
                reason: "it is not a regular file (a folder, FIFO, socket or device)".to_owned(),
            });
        }
        let file = File::open(path).map_err(io_error)?;
        let len = file.metadata().map_err(io_error)?.len();
        refuse_compressed(path, &file)?;

        let mut entries = HashMap::new();
        let mut last_name: Option<String> = None;
        let mut reader = TarReader::new(Seekable::new(&file).map_err(io_error)?);
        loop {
            let entry = match reader.next_entry() {
                Ok(Some(entry)) => entry,
                Ok(None) => break,
                Err(error) => return Err(header_error(path, last_name, len, error)),
            };
            if entries.len() >= MAX_ENTRIES {
                return Err(Error::NotATar {
                    path: path.to_owned(),
                    reason: format!(
                        "it holds more than {MAX_ENTRIES} entries, far more than any image archive"
                    ),
                });
            }
            let name = String::from_utf8_lossy(&entry.name).into_owned();
            let offset = entry.data_offset;
            let size = entry.size;
            if offset.saturating_add(size) > len {
                return Err(Error::Truncated {
                    path: path.to_owned(),
                    place: format!("inside entry `{}`", osc_archive::shown(&name)),
                });
            }
            let Some(key) = normalize(&name) else {
                last_name = Some(name);
                continue;
            };
            let kind = match entry.kind {
                TarKind::File => EntryKind::File { offset, size },
                TarKind::Symlink | TarKind::HardLink => {
                    let target = entry
                        .link
                        .as_deref()
                        .map(|target| String::from_utf8_lossy(target).into_owned());
                    let resolved = target.and_then(|target| {
                        if entry.kind == TarKind::Symlink {
                            resolve_symlink(&key, &target)
                        } else {
                            normalize(&target)
                        }
                    });
                    resolved.map_or(EntryKind::Other, EntryKind::Link)
                }
                _ => EntryKind::Other,
            };
            // A later entry of the same name replaces an earlier one, as when unpacking.
            entries.insert(key, kind);
            last_name = Some(name);
        }
        match last_name {
            None => {
                let reason = if len == 0 {
                    "it is empty"
                } else {
                    "it holds no entries"
                };
                return Err(Error::NotATar {
                    path: path.to_owned(),
                    reason: reason.to_owned(),
                });
            }
            // Only the end-of-archive marker means the tar is whole.
            Some(name) if !reader.ended_with_marker() => {
                return Err(Error::Truncated {
                    path: path.to_owned(),
                    place: format!(
                        "after entry `{}`, without the end-of-archive marker",
                        osc_archive::shown(&name)
                    ),
                });
            }
            Some(_) => {}
        }
        Ok(TarIndex {
            path: path.to_owned(),
            file,
            entries,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn contains(&self, name: &str) -> bool {
        normalize(name).is_some_and(|key| self.entries.contains_key(&key))
    }

    /// Finds the regular file `name` names, following links; `referrer` is what named it, for errors.
    pub fn resolve(&self, name: &str, referrer: &str) -> Result<Blob, Error> {
        let missing = || Error::MissingEntry {
            path: self.path.clone(),
            referrer: referrer.to_owned(),
            entry: name.to_owned(),
        };
        let mut key = normalize(name).ok_or_else(missing)?;
        for _ in 0..=LINK_LIMIT {
            match self.entries.get(&key).ok_or_else(missing)? {
                EntryKind::File { offset, size } => {
                    return Ok(Blob {
                        name: key,
                        offset: *offset,
                        size: *size,
                    });
                }
                EntryKind::Link(target) => key = target.clone(),
                EntryKind::Other => {
                    return Err(self.invalid(
                        &key,
                        "is not a regular file, but it is meant to hold image data",
                    ));
                }
            }
        }
        Err(self.invalid(name, format!("is a chain of more than {LINK_LIMIT} links")))
    }

    /// Reads a small JSON entry and returns it with the digest of its bytes.
    pub fn read_json<T: DeserializeOwned>(&self, blob: &Blob) -> Result<(T, String), Error> {
        if blob.size > JSON_LIMIT {
            return Err(Error::JsonTooLarge {
                path: self.path.clone(),
                entry: blob.name.clone(),
                size: blob.size,
                limit: JSON_LIMIT,
            });
        }
        let mut bytes = Vec::with_capacity(blob.size as usize);
        self.read_blob(blob)?
            .read_to_end(&mut bytes)
            .map_err(|source| Error::Io {
                path: self.path.clone(),
                source,
            })?;
        let digest = sha256_digest(&bytes);
        if let Some(named) = content_address(&blob.name)
            && named.starts_with("sha256:")
            && named != digest
        {
            return Err(Error::DigestMismatch {
                path: self.path.clone(),
                entry: blob.name.clone(),
                check: DigestCheck::Name,
                expected: named,
                actual: digest,
            });
        }
        let value = serde_json::from_slice(&bytes).map_err(|source| Error::BadJson {
            path: self.path.clone(),
            entry: blob.name.clone(),
            source,
        })?;
        Ok((value, digest))
    }

    /// The entry's data as a stream; it borrows the file, so read one at a time.
    pub fn read_blob(&self, blob: &Blob) -> Result<io::Take<&File>, Error> {
        let mut file = &self.file;
        file.seek(SeekFrom::Start(blob.offset))
            .map_err(|source| Error::Io {
                path: self.path.clone(),
                source,
            })?;
        Ok(file.take(blob.size))
    }

    /// Judges compression from the first bytes, which is what `docker load` does too.
    pub fn compression(&self, blob: &Blob) -> Result<Compression, Error> {
        let mut magic = Vec::with_capacity(4);
        self.read_blob(blob)?
            .take(4)
            .read_to_end(&mut magic)
            .map_err(|source| Error::Io {
                path: self.path.clone(),
                source,
            })?;
        Ok(match magic.as_slice() {
            [0x1f, 0x8b, ..] => Compression::Gzip,
            [0x28, 0xb5, 0x2f, 0xfd] => Compression::Zstd,
            _ => Compression::None,
        })
    }

    pub fn invalid(&self, entry: &str, problem: impl Into<String>) -> Error {
        Error::Invalid {
            path: self.path.clone(),
            entry: entry.to_owned(),
            problem: problem.into(),
        }
    }
}

/// The digest a content-addressed entry name (`blobs/<algorithm>/<hex>`) states.
pub(crate) fn content_address(name: &str) -> Option<String> {
    let mut parts = name.split('/');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("blobs"), Some(algorithm), Some(hex), None) => Some(format!("{algorithm}:{hex}")),
        _ => None,
    }
}

/// The error for a header that could not be read: which of truncation, not-a-tar or damage it
/// is shows from where it happened.
fn header_error(path: &Path, last_name: Option<String>, len: u64, error: TarError) -> Error {
    match (last_name, error) {
        (_, TarError::Io(source)) => Error::Io {
            path: path.to_owned(),
            source,
        },
        (None, _) if len < BLOCK => Error::NotATar {
            path: path.to_owned(),
            reason: "it is shorter than one tar header".to_owned(),
        },
        (None, TarError::Invalid { .. }) => Error::NotATar {
            path: path.to_owned(),
            reason: "its first 512 bytes are not a tar header".to_owned(),
        },
        (last, TarError::Truncated { place }) => Error::Truncated {
            path: path.to_owned(),
            place: match last {
                Some(name) if place == "inside a tar header" => {
                    format!(
                        "inside the tar header after entry `{}`",
                        osc_archive::shown(&name)
                    )
                }
                Some(_) => place,
                None => place,
            },
        },
        (last, TarError::Invalid { offset, message } | TarError::TooLarge { offset, message }) => {
            Error::CorruptTar {
                path: path.to_owned(),
                after: last
                    .map(|name| osc_archive::shown(&name))
                    .unwrap_or_default(),
                source: io::Error::other(format!("at byte {offset}: {message}")),
            }
        }
    }
}

/// Compressed image tars are common (`docker save | gzip`) and cannot be read by seeking.
fn refuse_compressed(path: &Path, mut file: &File) -> Result<(), Error> {
    let mut magic = Vec::with_capacity(2);
    file.take(2)
        .read_to_end(&mut magic)
        .and_then(|_| file.rewind())
        .map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
    if magic == [0x1f, 0x8b] {
        return Err(Error::Compressed {
            path: path.to_owned(),
        });
    }
    Ok(())
}

/// `./a//b/../c` → `a/c`; `None` for names that climb out of the archive or name its root.
pub(crate) fn normalize(name: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    if parts.is_empty() {
        return None;
    }
    Some(parts.join("/"))
}

/// A symlink's target is relative to the link's directory, or to the root when absolute.
fn resolve_symlink(link: &str, target: &str) -> Option<String> {
    if target.starts_with('/') {
        return normalize(target);
    }
    match link.rsplit_once('/') {
        Some((dir, _)) => normalize(&format!("{dir}/{target}")),
        None => normalize(target),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_names() {
        let cases = [
            ("manifest.json", Some("manifest.json")),
            ("./manifest.json", Some("manifest.json")),
            ("a//b/./c", Some("a/b/c")),
            ("a/../b", Some("b")),
            ("blobs/sha256/", Some("blobs/sha256")),
            ("../x", None),
            ("./", None),
        ];
        for (name, want) in cases {
            assert_eq!(normalize(name).as_deref(), want, "{name}");
        }
    }

    #[test]
    fn resolves_symlinks() {
        let cases = [
            ("abc/layer.tar", "../def.tar", Some("def.tar")),
            ("abc/layer.tar", "/def/layer.tar", Some("def/layer.tar")),
            ("layer.tar", "other.tar", Some("other.tar")),
            ("a/b/layer.tar", "../../../x", None),
        ];
        for (link, target, want) in cases {
            assert_eq!(
                resolve_symlink(link, target).as_deref(),
                want,
                "{link} -> {target}"
            );
        }
    }
}
