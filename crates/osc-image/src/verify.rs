//! Checking every layer's bytes against the digests the archive states, streaming each layer once.

use std::collections::HashMap;
use std::io::{self, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use sha2::{Digest, Sha256};

use crate::index::TarIndex;
use crate::read::read_archive;
use crate::{Compression, DigestCheck, Error, Format, ImageArchive, Layer};

/// Like [`inspect`](crate::inspect), and also streams every layer through sha256 to check its
/// stored digest (when the archive states one) and its diff_id (unless it is zstd-compressed).
pub fn verify(path: &Path) -> Result<ImageArchive, Error> {
    let index = TarIndex::open(path)?;
    let archive = read_archive(&index)?;
    // Images of one tar often share layers; each is read once.
    let mut digested: HashMap<&str, LayerDigests> = HashMap::new();
    for layer in archive.images.iter().flat_map(|image| &image.layers) {
        if !digested.contains_key(layer.entry.as_str()) {
            digested.insert(&layer.entry, digest_layer(&index, layer)?);
        }
        check_layer(
            &index,
            archive.format,
            layer,
            &digested[layer.entry.as_str()],
        )?;
    }
    Ok(archive)
}

struct LayerDigests {
    stored: String,
    /// `None` when the layer is compressed in a way this crate cannot undo.
    uncompressed: Option<String>,
}

fn digest_layer(index: &TarIndex, layer: &Layer) -> Result<LayerDigests, Error> {
    let io_error = |source| Error::Io {
        path: index.path().to_owned(),
        source,
    };
    let blob = index.resolve(&layer.entry, "the image")?;
    let digests =
        digest_blob(index.read_blob(&blob)?, layer.compression).map_err(|error| match error {
            BlobError::Gzip(source) => Error::CorruptGzip {
                path: index.path().to_owned(),
                entry: layer.entry.clone(),
                source,
            },
            BlobError::Read(source) => io_error(source),
        })?;
    let (stored, gunzipped) = (digests.stored, digests.gunzipped);
    let uncompressed = match layer.compression {
        Compression::None => Some(stored.clone()),
        Compression::Gzip => gunzipped,
        Compression::Zstd => None,
    };
    Ok(LayerDigests {
        stored,
        uncompressed,
    })
}

fn check_layer(
    index: &TarIndex,
    format: Format,
    layer: &Layer,
    digests: &LayerDigests,
) -> Result<(), Error> {
    let mismatch = |check, expected: &str, actual: &str| Error::DigestMismatch {
        path: index.path().to_owned(),
        entry: layer.entry.clone(),
        check,
        expected: expected.to_owned(),
        actual: actual.to_owned(),
    };
    if let Some(expected) = &layer.digest {
        require_sha256(index, layer, expected)?;
        if *expected != digests.stored {
            let check = match format {
                Format::OciArchive => DigestCheck::Manifest,
                Format::DockerArchive => DigestCheck::Name,
            };
            return Err(mismatch(check, expected, &digests.stored));
        }
    }
    if let Some(actual) = &digests.uncompressed {
        require_sha256(index, layer, &layer.diff_id)?;
        if layer.diff_id != *actual {
            let check = match layer.compression {
                Compression::None => DigestCheck::DiffId,
                Compression::Gzip | Compression::Zstd => DigestCheck::UncompressedDiffId,
            };
            return Err(mismatch(check, &layer.diff_id, actual));
        }
    }
    Ok(())
}

fn require_sha256(index: &TarIndex, layer: &Layer, digest: &str) -> Result<(), Error> {
    if digest.starts_with("sha256:") {
        return Ok(());
    }
    Err(index.invalid(
        &layer.entry,
        format!(
            "is stated to have the digest `{digest}`, which is not sha256 and so cannot be checked"
        ),
    ))
}

/// The digests of a layer blob, read once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobDigests {
    /// Of the bytes as stored: `sha256:…`.
    pub stored: String,
    /// Of the gunzipped bytes (the diff_id) of a gzip layer.
    pub gunzipped: Option<String>,
}

/// Why a layer blob could not be hashed.
#[derive(Debug)]
pub enum BlobError {
    /// The layer says gzip but is not valid gzip.
    Gzip(io::Error),
    /// Reading the blob failed.
    Read(io::Error),
}

/// Streams a layer blob through sha256 once, and for a gzip layer its gunzipped bytes too.
pub fn digest_blob(blob: impl Read, compression: Compression) -> Result<BlobDigests, BlobError> {
    let mut stored = HashingReader {
        inner: blob,
        hasher: Sha256::new(),
    };
    let gunzipped = match compression {
        Compression::Gzip => {
            let mut hasher = Sha256::new();
            io::copy(&mut MultiGzDecoder::new(&mut stored), &mut hasher).map_err(|source| {
                match source.kind() {
                    io::ErrorKind::InvalidData
                    | io::ErrorKind::InvalidInput
                    | io::ErrorKind::UnexpectedEof => BlobError::Gzip(source),
                    _ => BlobError::Read(source),
                }
            })?;
            Some(hex_digest(hasher))
        }
        Compression::None | Compression::Zstd => None,
    };
    // The decoder may stop short of the entry's end; the stored digest covers every byte.
    io::copy(&mut stored, &mut io::sink()).map_err(BlobError::Read)?;
    Ok(BlobDigests {
        stored: hex_digest(stored.hasher),
        gunzipped,
    })
}

fn hex_digest(hasher: Sha256) -> String {
    format!("sha256:{:x}", hasher.finalize())
}

/// Hashes the bytes read through it, so a layer is hashed while it is decompressed.
struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.hasher.update(&buf[..read]);
        Ok(read)
    }
}
