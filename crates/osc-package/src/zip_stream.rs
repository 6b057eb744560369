//! A writer of STORED zips that every reader takes, which hashes its own output as it writes it.
//!
//! Every local header carries its entry's CRC-32 and sizes (flag bit 3 is never set), so streaming
//! readers such as Java's `ZipInputStream` read the zip as well as those that start from the
//! central directory. A file's CRC-32 must therefore be known before its header is written: a
//! pre-pass computes it on its own thread, one file ahead of the copy, so that it mostly overlaps
//! the copy of the file before and reads from the page cache the copy is about to read from.
//!
//! The zip is written once and never read back. Everything in it, headers and files alike, goes
//! through a small pool of buffers: the writer reads a file into a buffer, takes the CRC-32 of
//! those bytes, writes them out and hands the buffer to a hashing thread, which computes the
//! SHA-256 of the zip in the order it is written and returns the buffer to the pool. So the bytes
//! hashed, the bytes written and the bytes checked against the pre-pass's CRC-32 are the same
//! bytes, read once. The hashing thread, whose work cannot be split, does nothing but hash: on two
//! cores packaging takes about as long as hashing alone.
//!
//! The kernel's `copy_file_range` is not used: where it cannot share extents (ext4, tmpfs) it
//! copies through the page cache, and what it copied must then be read again to be hashed and
//! checked. On ext4 that took about 1.3x the CPU time of `read` and `write` through the buffers,
//! and put a read of every byte on the hashing thread.
//!
//! A file that changes while it is packaged is refused rather than shipped with a CRC or SHA-256
//! that does not match its bytes: see [`Stamp`] for how that is noticed.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::thread;

use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::write::{Progress, WrittenEntry};

/// What goes into one zip entry.
pub(crate) enum EntryData<'a> {
    Dir,
    Bytes(&'a [u8]),
    /// A file copied in a streaming pass; `size` is its size when it was checked, and a file whose
    /// size differs when copied is refused.
    File {
        path: &'a Path,
        size: u64,
    },
}

pub(crate) struct ZipEntry<'a> {
    /// Path inside the zip; directories end with `/`. Callers build it from checked file names, so
    /// it fits the format's 16-bit length field.
    pub name: String,
    pub data: EntryData<'a>,
}

/// From which values on the zip needs its Zip64 extensions. A parameter so tests can force Zip64
/// on small data instead of copying 4 GiB.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Zip64Limits {
    /// Sizes and offsets at or above this need Zip64.
    pub bytes: u64,
    /// Entry counts at or above this need Zip64.
    pub entries: u64,
}

impl Zip64Limits {
    /// The limits of the classic zip format's 32-bit and 16-bit fields.
    pub const FORMAT: Self = Self {
        bytes: 0xFFFF_FFFF,
        entries: 0xFFFF,
    };
}

pub(crate) struct ZipSummary {
    pub entries: Vec<WrittenEntry>,
    /// Lower-case hex SHA-256 of the whole zip.
    pub sha256: String,
    pub bytes: u64,
}

/// Size of each buffer that circulates between the writer and the hashing thread.
const CHUNK_BYTES: usize = 1024 * 1024;
/// Buffers in circulation: enough slack that the writer does not stall while the hashing thread
/// waits a scheduler tick for its core, few enough that memory stays small.
const POOL_BUFFERS: usize = 8;
/// Buffers are written this much at a time. A write of 1 MiB at a 1 MiB-aligned offset has the
/// kernel put the bytes in a new page-cache folio of 1 MiB, and on the VM this was measured on,
/// filling new folios that large took 4-5x as long as filling those of 256 KiB or less, which made
/// the writes cost more than the hashing. (Its balloon driver hands free blocks of 2 MiB and up
/// back to the hypervisor, so a large folio is likely carved from memory that must be faulted in
/// again; smaller writes cost about the same anywhere, 64 KiB ones a little more.)
const WRITE_BYTES: usize = 256 * 1024;
/// The pre-pass reads files this much at a time, into a buffer small enough that the bytes are
/// still in the CPU cache when they are CRC'd.
const READ_BYTES: usize = 256 * 1024;
/// While fewer bytes of files than this come before a file, its pre-pass has nothing to overlap
/// with, so it reads the file's two halves on two threads.
const ALONE_UNDER_BYTES: u64 = 64 * 1024 * 1024;
/// Progress is reported at most once per this many bytes.
const PROGRESS_STEP: u64 = 4 * 1024 * 1024;

const LOCAL_HEADER_SIGNATURE: u32 = 0x0403_4b50;
const CENTRAL_HEADER_SIGNATURE: u32 = 0x0201_4b50;
const ZIP64_END_SIGNATURE: u32 = 0x0606_4b50;
const ZIP64_LOCATOR_SIGNATURE: u32 = 0x0706_4b50;
const END_SIGNATURE: u32 = 0x0605_4b50;
const ZIP64_EXTRA_ID: u16 = 0x0001;

/// The only general-purpose flag set: names are UTF-8. Bit 3 (data descriptor) is never set,
/// because Java's `ZipInputStream` refuses it on STORED entries.
const FLAGS: u16 = 1 << 11;
const METHOD_STORED: u16 = 0;
const VERSION_DEFAULT: u16 = 20;
const VERSION_ZIP64: u16 = 45;
/// "Made by" Unix (3), spec version 4.5, so readers honour the Unix modes in the external attributes.
const VERSION_MADE_BY: u16 = (3 << 8) | 45;
/// 1980-01-01 00:00:00, the earliest DOS date, so equal inputs give equal bytes.
const DOS_TIME: u16 = 0;
const DOS_DATE: u16 = (1 << 5) | 1;
const FILE_ATTRIBUTES: u32 = 0o100_644 << 16;
/// Unix `drwxr-xr-x` plus the MS-DOS directory bit.
const DIR_ATTRIBUTES: u32 = (0o040_755 << 16) | 0x10;

/// Writes `entries`, in order, as a STORED zip to `out`; `out_path` only names the output in errors.
pub(crate) fn write_stored_zip<W: Write>(
    out: W,
    out_path: &Path,
    entries: &[ZipEntry<'_>],
    limits: Zip64Limits,
    progress: &mut dyn FnMut(Progress),
) -> Result<ZipSummary, Error> {
    let files: Vec<(&Path, u64)> = entries
        .iter()
        .filter_map(|entry| match entry.data {
            EntryData::File { path, size } => Some((path, size)),
            _ => None,
        })
        .collect();
    let stop = AtomicBool::new(false);
    thread::scope(|scope| {
        // Every buffer is in the pool or on its way to or from the hashing thread, so neither
        // channel ever holds more than the pool.
        let (to_hasher, hasher_inbox) = mpsc::channel();
        let (to_pool, pool) = mpsc::channel();
        for _ in 0..POOL_BUFFERS {
            // Cannot fail: `pool` is right here.
            let _ = to_pool.send(Buffer::new(CHUNK_BYTES));
        }
        let hasher = scope.spawn(move || hash_written(hasher_inbox, &to_pool));
        // A rendezvous channel: the pre-pass runs one file ahead of the copy, no further, so the
        // file it has read is still in the page cache when the copy reads it.
        let (to_copy, prepared) = mpsc::sync_channel(0);
        let stop = &stop;
        scope.spawn(move || prepass(&files, &to_copy, stop));
        // Whichever way the writer leaves, the pre-pass stops at its next piece.
        let _stop = StopOnDrop(stop);

        let mut sink = HashingSink::new(out, out_path, to_hasher, pool)?;
        let mut reporter = ProgressReporter::new(entries, progress);
        let mut records = Vec::with_capacity(entries.len());
        for entry in entries {
            records.push(write_entry(
                &mut sink,
                entry,
                limits,
                &prepared,
                &mut reporter,
            )?);
        }
        write_central_directory(&mut sink, &records, limits)?;
        let bytes = sink.finish()?;
        reporter.finish();

        let digest = hasher
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        Ok(ZipSummary {
            entries: records
                .into_iter()
                .map(|record| WrittenEntry {
                    path: record.name,
                    size: record.size,
                    crc32: record.crc32,
                })
                .collect(),
            sha256: hex(&digest),
            bytes,
        })
    })
}

/// What the writer hands the hashing thread, in the zip's order: a pool buffer whose first
/// `filled` bytes were just written.
struct Written {
    buffer: Buffer,
    filled: usize,
}

/// The hashing thread: the SHA-256 of every buffer written, in order.
fn hash_written(
    inbox: Receiver<Written>,
    to_pool: &Sender<Buffer>,
) -> sha2::digest::Output<Sha256> {
    let mut sha = Sha256::new();
    for Written { buffer, filled } in inbox {
        sha.update(&buffer[..filled]);
        // Fails only once the writer gave up, and then it sends nothing more either.
        let _ = to_pool.send(buffer);
    }
    sha.finalize()
}

struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// What the central directory needs to know about a written entry.
struct CentralRecord {
    name: String,
    is_dir: bool,
    crc32: u32,
    size: u64,
    offset: u64,
}

fn write_entry<W: Write>(
    sink: &mut HashingSink<'_, W>,
    entry: &ZipEntry<'_>,
    limits: Zip64Limits,
    prepared: &Receiver<Result<Prepared, Error>>,
    reporter: &mut ProgressReporter<'_>,
) -> Result<CentralRecord, Error> {
    let offset = sink.position;
    let name = entry.name.as_bytes();
    let (crc32, size) = match entry.data {
        EntryData::Dir => {
            sink.put(&local_header(name, 0, 0, limits))?;
            (0, 0)
        }
        EntryData::Bytes(bytes) => {
            let crc32 = crc32fast::hash(bytes);
            let size = bytes.len() as u64;
            sink.put(&local_header(name, crc32, size, limits))?;
            sink.put(bytes)?;
            reporter.advance(size);
            (crc32, size)
        }
        EntryData::File { path, size } => {
            let prepared = prepared.recv().map_err(|_| Error::Read {
                path: path.to_owned(),
                cause: io::Error::other("the checksum thread stopped"),
            })??;
            sink.put(&local_header(name, prepared.crc32, size, limits))?;
            let crc32 = prepared.crc32;
            copy_prepared(sink, prepared, path, size, reporter)?;
            (crc32, size)
        }
    };
    Ok(CentralRecord {
        name: entry.name.clone(),
        is_dir: matches!(entry.data, EntryData::Dir),
        crc32,
        size,
        offset,
    })
}

/// A file opened, stamped and CRC'd by the pre-pass, ready to be copied.
struct Prepared {
    file: File,
    /// The file as it was before the pre-pass read it.
    before: Stamp,
    crc32: u32,
}

/// Opens and CRCs each file in turn and hands it to the writer, until the files run out, one
/// fails, the writer stops listening or `stop` is set.
fn prepass(
    files: &[(&Path, u64)],
    to_writer: &SyncSender<Result<Prepared, Error>>,
    stop: &AtomicBool,
) {
    let mut buffer = Buffer::new(READ_BYTES);
    let mut before = 0;
    for &(path, size) in files {
        // While little comes before it, the writer and the hashing thread both wait for this
        // file's CRC: two threads read it then.
        let alone = before < ALONE_UNDER_BYTES;
        let Some(result) = prepare(path, size, &mut buffer, alone, stop) else {
            return;
        };
        before += size;
        let failed = result.is_err();
        if to_writer.send(result).is_err() || failed {
            return;
        }
    }
}

/// `None` when `stop` was set before the file was read through.
fn prepare(
    path: &Path,
    size: u64,
    buffer: &mut [u8],
    two_threads: bool,
    stop: &AtomicBool,
) -> Option<Result<Prepared, Error>> {
    let opened = File::open(path).and_then(|file| {
        let metadata = file.metadata()?;
        Ok((file, Stamp::of(&metadata)))
    });
    let (file, before) = match opened {
        Ok(opened) => opened,
        Err(cause) => {
            return Some(Err(Error::Read {
                path: path.to_owned(),
                cause,
            }));
        }
    };
    if before.size != size {
        return Some(Err(size_changed(path, size, before.size)));
    }
    let crc = if two_threads && size >= 2 * READ_BYTES as u64 {
        let middle = size / 2;
        thread::scope(|scope| {
            let second = scope.spawn(|| {
                let mut buffer = Buffer::new(READ_BYTES);
                crc_of_range(&file, path, middle..size, size, &mut buffer, stop)
            });
            let first = crc_of_range(&file, path, 0..middle, size, buffer, stop);
            let second = second
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            Ok(match (first?, second?) {
                (Some(mut first), Some(second)) => {
                    first.combine(&second);
                    Some(first)
                }
                _ => None,
            })
        })
    } else {
        crc_of_range(&file, path, 0..size, size, buffer, stop)
    };
    match crc {
        Ok(Some(crc)) => Some(Ok(Prepared {
            file,
            before,
            crc32: crc.finalize(),
        })),
        Ok(None) => None,
        Err(error) => Some(Err(error)),
    }
}

/// The CRC-32 state of `file`'s bytes in `range`, read in pieces the size of `buffer`; `None`
/// when `stop` was set first. `size` is what the file should hold, for the error when it holds less.
fn crc_of_range(
    file: &File,
    path: &Path,
    range: std::ops::Range<u64>,
    size: u64,
    buffer: &mut [u8],
    stop: &AtomicBool,
) -> Result<Option<crc32fast::Hasher>, Error> {
    let mut crc = crc32fast::Hasher::new();
    let mut at = range.start;
    while at < range.end {
        if stop.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let want = buffer
            .len()
            .min(usize::try_from(range.end - at).unwrap_or(usize::MAX));
        match read_at_retrying(file, &mut buffer[..want], at) {
            Ok(0) => return Err(size_changed(path, size, at)),
            Ok(n) => {
                crc.update(&buffer[..n]);
                at += n as u64;
            }
            Err(cause) => {
                return Err(Error::Read {
                    path: path.to_owned(),
                    cause,
                });
            }
        }
    }
    Ok(Some(crc))
}

/// Copies the prepared file into the sink, then makes sure that what was copied is the file as it
/// stands now: the same stamp as before the pre-pass, and the bytes written (and hashed) have the
/// CRC-32 the pre-pass found, which the local header already carries.
fn copy_prepared<W: Write>(
    sink: &mut HashingSink<'_, W>,
    prepared: Prepared,
    path: &Path,
    size: u64,
    reporter: &mut ProgressReporter<'_>,
) -> Result<(), Error> {
    let copied_crc = sink.copy_file(&prepared.file, path, size, reporter)?;
    let changed = |what: String| Error::Changed {
        path: path.to_owned(),
        what,
    };
    let after = match fs::metadata(path) {
        Ok(metadata) => Stamp::of(&metadata),
        Err(cause) if cause.kind() == io::ErrorKind::NotFound => {
            return Err(changed("it was removed during the copy".into()));
        }
        Err(cause) => {
            return Err(Error::Read {
                path: path.to_owned(),
                cause,
            });
        }
    };
    if let Some(what) = prepared.before.difference(&after) {
        return Err(changed(what));
    }
    if copied_crc != prepared.crc32 {
        return Err(changed(format!(
            "its bytes had CRC-32 {:08x} just before the copy and {copied_crc:08x} during it",
            prepared.crc32
        )));
    }
    Ok(())
}

fn size_changed(path: &Path, expected: u64, actual: u64) -> Error {
    Error::Changed {
        path: path.to_owned(),
        what: format!("{expected} bytes when checked, {actual} bytes when copied"),
    }
}

/// What tells one state of a file from another without reading it: which file it is (device and
/// inode, so a tar replaced by a rename is noticed), its size, and its modification and change
/// times to the nanosecond.
///
/// Comparing stamps from before the pre-pass and after the copy costs one `stat`; reading the
/// tar a third time to re-hash it would cost about as much as the copy itself. Writing a file
/// updates its times, and since Linux 6.13 (multigrain timestamps on ext4, XFS, btrfs, tmpfs) a
/// write after a `stat` always gets a later time than that `stat` saw. On a coarser clock a
/// write within the same tick keeps the times; a rewrite that overlaps the pre-pass or the copy
/// is still caught by the two CRC-32s disagreeing.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    device: u64,
    inode: u64,
    size: u64,
    modified: (i64, i64),
    changed: (i64, i64),
}

impl Stamp {
    #[cfg(unix)]
    fn of(metadata: &fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt as _;
        Self {
            device: metadata.dev(),
            inode: metadata.ino(),
            size: metadata.len(),
            modified: (metadata.mtime(), metadata.mtime_nsec()),
            changed: (metadata.ctime(), metadata.ctime_nsec()),
        }
    }

    #[cfg(not(unix))]
    fn of(metadata: &fs::Metadata) -> Self {
        let since_epoch = |time: io::Result<std::time::SystemTime>| {
            time.ok()
                .and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or((0, 0), |elapsed| {
                    (elapsed.as_secs() as i64, i64::from(elapsed.subsec_nanos()))
                })
        };
        Self {
            device: 0,
            inode: 0,
            size: metadata.len(),
            modified: since_epoch(metadata.modified()),
            changed: since_epoch(metadata.created()),
        }
    }

    /// How `after` differs from `self`, said for the error message; `None` when it does not.
    fn difference(&self, after: &Self) -> Option<String> {
        if (self.device, self.inode) != (after.device, after.inode) {
            Some("another file took its name during the copy".into())
        } else if self.size != after.size {
            Some(format!(
                "{} bytes before the copy, {} bytes after it",
                self.size, after.size
            ))
        } else if self != after {
            Some("it was written to during the copy".into())
        } else {
            None
        }
    }
}

fn write_central_directory<W: Write>(
    sink: &mut HashingSink<'_, W>,
    records: &[CentralRecord],
    limits: Zip64Limits,
) -> Result<(), Error> {
    let start = sink.position;
    for record in records {
        sink.put(&central_header(record, limits))?;
    }
    let size = sink.position - start;
    let count = records.len() as u64;
    let needs_zip64 = count >= limits.entries || size >= limits.bytes || start >= limits.bytes;
    if needs_zip64 {
        let zip64_end_offset = sink.position;
        let mut end = LittleEndian::with_capacity(56 + 20);
        end.u32(ZIP64_END_SIGNATURE)
            .u64(44) // size of the rest of this record
            .u16(VERSION_MADE_BY)
            .u16(VERSION_ZIP64)
            .u32(0) // this disk
            .u32(0) // disk with the central directory
            .u64(count)
            .u64(count)
            .u64(size)
            .u64(start);
        end.u32(ZIP64_LOCATOR_SIGNATURE)
            .u32(0) // disk with the zip64 end record
            .u64(zip64_end_offset)
            .u32(1); // disks in total
        sink.put(&end.0)?;
    }
    let count16 = if count >= limits.entries {
        0xFFFF
    } else {
        count as u16
    };
    let mut end = LittleEndian::with_capacity(22);
    end.u32(END_SIGNATURE)
        .u16(0) // this disk
        .u16(0) // disk with the central directory
        .u16(count16)
        .u16(count16)
        .u32(clamp32(size, limits))
        .u32(clamp32(start, limits))
        .u16(0); // comment length
    sink.put(&end.0)
}

/// A local header with the entry's CRC-32 and sizes, and a Zip64 extra holding both sizes when
/// they do not fit 32 bits.
fn local_header(name: &[u8], crc32: u32, size: u64, limits: Zip64Limits) -> Vec<u8> {
    let zip64 = size >= limits.bytes;
    let mut header = LittleEndian::with_capacity(30 + name.len() + 20);
    header
        .u32(LOCAL_HEADER_SIGNATURE)
        .u16(if zip64 {
            VERSION_ZIP64
        } else {
            VERSION_DEFAULT
        })
        .u16(FLAGS)
        .u16(METHOD_STORED)
        .u16(DOS_TIME)
        .u16(DOS_DATE)
        .u32(crc32)
        .u32(clamp32(size, limits))
        .u32(clamp32(size, limits))
        .u16(name.len() as u16)
        .u16(if zip64 { 20 } else { 0 })
        .bytes(name);
    if zip64 {
        header.u16(ZIP64_EXTRA_ID).u16(16).u64(size).u64(size);
    }
    header.0
}

fn central_header(record: &CentralRecord, limits: Zip64Limits) -> Vec<u8> {
    let name = record.name.as_bytes();
    let size_zip64 = record.size >= limits.bytes;
    let offset_zip64 = record.offset >= limits.bytes;
    let mut extra = LittleEndian::with_capacity(28);
    if size_zip64 || offset_zip64 {
        let values = 8 * (2 * usize::from(size_zip64) + usize::from(offset_zip64));
        extra.u16(ZIP64_EXTRA_ID).u16(values as u16);
        if size_zip64 {
            extra.u64(record.size).u64(record.size);
        }
        if offset_zip64 {
            extra.u64(record.offset);
        }
    }
    let needed = if extra.0.is_empty() {
        VERSION_DEFAULT
    } else {
        VERSION_ZIP64
    };
    let attributes = if record.is_dir {
        DIR_ATTRIBUTES
    } else {
        FILE_ATTRIBUTES
    };
    let mut header = LittleEndian::with_capacity(46 + name.len() + extra.0.len());
    header
        .u32(CENTRAL_HEADER_SIGNATURE)
        .u16(VERSION_MADE_BY)
        .u16(needed)
        .u16(FLAGS)
        .u16(METHOD_STORED)
        .u16(DOS_TIME)
        .u16(DOS_DATE)
        .u32(record.crc32)
        .u32(clamp32(record.size, limits))
        .u32(clamp32(record.size, limits))
        .u16(name.len() as u16)
        .u16(extra.0.len() as u16)
        .u16(0) // comment length
        .u16(0) // disk number start
        .u16(0) // internal attributes
        .u32(attributes)
        .u32(clamp32(record.offset, limits))
        .bytes(name)
        .bytes(&extra.0);
    header.0
}

/// A 32-bit size or offset field: the value itself, or 0xFFFFFFFF when Zip64 carries it.
fn clamp32(value: u64, limits: Zip64Limits) -> u32 {
    if value >= limits.bytes {
        0xFFFF_FFFF
    } else {
        value as u32
    }
}

struct LittleEndian(Vec<u8>);

impl LittleEndian {
    fn with_capacity(capacity: usize) -> Self {
        Self(Vec::with_capacity(capacity))
    }
    fn u16(&mut self, value: u16) -> &mut Self {
        self.0.extend_from_slice(&value.to_le_bytes());
        self
    }
    fn u32(&mut self, value: u32) -> &mut Self {
        self.0.extend_from_slice(&value.to_le_bytes());
        self
    }
    fn u64(&mut self, value: u64) -> &mut Self {
        self.0.extend_from_slice(&value.to_le_bytes());
        self
    }
    fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.extend_from_slice(bytes);
        self
    }
}

/// Everything the zip is made of passes through here, in order: bytes fill pool buffers, which
/// are written and handed to the hashing thread, which returns them to the pool.
struct HashingSink<'a, W> {
    out: W,
    out_path: &'a Path,
    buffer: Buffer,
    filled: usize,
    /// Bytes put so far, i.e. the zip offset of the next byte.
    position: u64,
    to_hasher: Sender<Written>,
    pool: Receiver<Buffer>,
}

impl<'a, W: Write> HashingSink<'a, W> {
    fn new(
        out: W,
        out_path: &'a Path,
        to_hasher: Sender<Written>,
        pool: Receiver<Buffer>,
    ) -> Result<Self, Error> {
        let mut sink = Self {
            out,
            out_path,
            buffer: Buffer::new(0),
            filled: 0,
            position: 0,
            to_hasher,
            pool,
        };
        sink.buffer = sink.next_buffer()?;
        Ok(sink)
    }

    fn put(&mut self, mut bytes: &[u8]) -> Result<(), Error> {
        while !bytes.is_empty() {
            if self.filled == self.buffer.len() {
                self.flush_buffer()?;
            }
            let n = bytes.len().min(self.buffer.len() - self.filled);
            self.buffer[self.filled..self.filled + n].copy_from_slice(&bytes[..n]);
            self.filled += n;
            self.position += n as u64;
            bytes = &bytes[n..];
        }
        Ok(())
    }

    /// Reads exactly `size` bytes of `file` straight into the pool buffers and returns their
    /// CRC-32; refuses a file that turns out shorter than `size` (a longer one has another stamp).
    fn copy_file(
        &mut self,
        file: &File,
        path: &Path,
        size: u64,
        reporter: &mut ProgressReporter<'_>,
    ) -> Result<u32, Error> {
        let mut crc = crc32fast::Hasher::new();
        let mut done = 0;
        while done < size {
            if self.filled == self.buffer.len() {
                self.flush_buffer()?;
            }
            let start = self.filled;
            let want =
                (self.buffer.len() - start).min(usize::try_from(size - done).unwrap_or(usize::MAX));
            let n = read_at_retrying(file, &mut self.buffer[start..start + want], done).map_err(
                |cause| Error::Read {
                    path: path.to_owned(),
                    cause,
                },
            )?;
            if n == 0 {
                return Err(size_changed(path, size, done));
            }
            // While the bytes just read are in the CPU cache.
            crc.update(&self.buffer[start..start + n]);
            self.filled += n;
            self.position += n as u64;
            done += n as u64;
            reporter.advance(n as u64);
        }
        Ok(crc.finalize())
    }

    /// Writes what is buffered and hands it to the hashing thread.
    fn flush_buffer(&mut self) -> Result<(), Error> {
        if self.filled == 0 {
            return Ok(());
        }
        for piece in self.buffer[..self.filled].chunks(WRITE_BYTES) {
            self.out
                .write_all(piece)
                .map_err(|cause| self.write_error(cause))?;
        }
        let next = self.next_buffer()?;
        let full = std::mem::replace(&mut self.buffer, next);
        self.to_hasher
            .send(Written {
                buffer: full,
                filled: self.filled,
            })
            .map_err(|_| self.stopped())?;
        self.filled = 0;
        Ok(())
    }

    fn next_buffer(&self) -> Result<Buffer, Error> {
        self.pool.recv().map_err(|_| self.stopped())
    }

    /// Writes out what is buffered; dropping the sink then lets the hashing thread finish.
    fn finish(mut self) -> Result<u64, Error> {
        self.flush_buffer()?;
        self.out.flush().map_err(|cause| self.write_error(cause))?;
        Ok(self.position)
    }

    fn stopped(&self) -> Error {
        self.write_error(io::Error::other("the hashing thread stopped"))
    }

    fn write_error(&self, cause: io::Error) -> Error {
        Error::Write {
            path: self.out_path.to_owned(),
            cause,
        }
    }
}

/// A zeroed buffer that starts on a page boundary, as the page cache's pages do. Large allocations
/// start 16 bytes past one, and with those the kernel's copies into and out of the buffers took
/// the writer about 8% more CPU time (a bare `read` into one, 20-50% more).
struct Buffer {
    storage: Vec<u8>,
    start: usize,
    len: usize,
}

impl Buffer {
    const ALIGN: usize = 4096;

    fn new(len: usize) -> Self {
        let storage = vec![0; len + Self::ALIGN];
        // `align_offset` may answer that it does not know: the buffer is then merely slower.
        let start = storage.as_ptr().align_offset(Self::ALIGN).min(Self::ALIGN);
        Self {
            storage,
            start,
            len,
        }
    }
}

impl std::ops::Deref for Buffer {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.storage[self.start..self.start + self.len]
    }
}

impl std::ops::DerefMut for Buffer {
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.storage[self.start..self.start + self.len]
    }
}

/// Reads at `offset`, retrying when a signal interrupts.
fn read_at_retrying(file: &File, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
    loop {
        #[cfg(unix)]
        let result = std::os::unix::fs::FileExt::read_at(file, buffer, offset);
        // Positional too (it moves the cursor, which nothing here uses).
        #[cfg(windows)]
        let result = std::os::windows::fs::FileExt::seek_read(file, buffer, offset);
        match result {
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            result => return result,
        }
    }
}

struct ProgressReporter<'a> {
    callback: &'a mut dyn FnMut(Progress),
    done: u64,
    total: u64,
    reported: u64,
}

impl<'a> ProgressReporter<'a> {
    fn new(entries: &[ZipEntry<'_>], callback: &'a mut dyn FnMut(Progress)) -> Self {
        let total = entries
            .iter()
            .map(|entry| match entry.data {
                EntryData::Dir => 0,
                EntryData::Bytes(bytes) => bytes.len() as u64,
                EntryData::File { size, .. } => size,
            })
            .sum();
        callback(Progress { done: 0, total });
        Self {
            callback,
            done: 0,
            total,
            reported: 0,
        }
    }

    fn advance(&mut self, bytes: u64) {
        self.done += bytes;
        if self.done - self.reported >= PROGRESS_STEP {
            self.reported = self.done;
            (self.callback)(Progress {
                done: self.done,
                total: self.total,
            });
        }
    }

    fn finish(&mut self) {
        if self.reported != self.done {
            (self.callback)(Progress {
                done: self.done,
                total: self.total,
            });
        }
    }
}

/// Lower-case hex, as `sha256sum` prints digests.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|byte| [byte >> 4, byte & 0x0F])
        .map(|nibble| char::from(DIGITS[usize::from(nibble)]))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Read as _, Seek as _};

    use super::*;

    /// Writes `entries` to `out` as `out.zip`, reporting no progress.
    fn write(
        out: impl Write,
        entries: &[ZipEntry<'_>],
        limits: Zip64Limits,
    ) -> Result<ZipSummary, Error> {
        write_stored_zip(out, Path::new("out.zip"), entries, limits, &mut |_| {})
    }

    /// Entries of every kind, with a file big enough to span several pool buffers.
    fn sample_entries(dir: &Path) -> (Vec<u8>, std::path::PathBuf) {
        let big: Vec<u8> = (0..3 * CHUNK_BYTES + 123)
            .map(|i| (i % 251) as u8)
            .collect();
        let path = dir.join("big.tar");
        std::fs::write(&path, &big).unwrap();
        (big, path)
    }

    fn write_sample(limits: Zip64Limits) -> (Vec<u8>, ZipSummary, Vec<u8>) {
        let dir = tempfile::tempdir().unwrap();
        let (big, path) = sample_entries(dir.path());
        let entries = [
            ZipEntry {
                name: "svc/".into(),
                data: EntryData::Dir,
            },
            ZipEntry {
                name: "svc/small.txt".into(),
                data: EntryData::Bytes(b"hello"),
            },
            ZipEntry {
                name: "svc/big.tar".into(),
                data: EntryData::File {
                    path: &path,
                    size: big.len() as u64,
                },
            },
            ZipEntry {
                name: "svc/empty".into(),
                data: EntryData::Bytes(b""),
            },
        ];
        let mut out = Vec::new();
        let summary = write(&mut out, &entries, limits).unwrap();
        // Into a file, written in pieces, or into memory: the same zip either way.
        let mut file = tempfile::tempfile().unwrap();
        let from_file = write(&mut file, &entries, limits).unwrap();
        let mut copied = Vec::new();
        file.rewind().unwrap();
        file.read_to_end(&mut copied).unwrap();
        assert!(copied == out, "the file got other bytes");
        assert_eq!(
            (
                from_file.sha256.as_str(),
                from_file.bytes,
                &from_file.entries
            ),
            (summary.sha256.as_str(), summary.bytes, &summary.entries)
        );
        (out, summary, big)
    }

    fn check_with_zip_crate(zip: &[u8], big: &[u8]) {
        let mut archive = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
        let names: Vec<&str> = archive.file_names().collect();
        assert_eq!(names, ["svc/", "svc/small.txt", "svc/big.tar", "svc/empty"]);
        let mut read = |name: &str| {
            let mut bytes = Vec::new();
            archive
                .by_name(name)
                .unwrap()
                .read_to_end(&mut bytes)
                .unwrap();
            bytes
        };
        assert_eq!(read("svc/small.txt"), b"hello");
        assert_eq!(read("svc/big.tar"), big);
        assert_eq!(read("svc/empty"), b"");
        assert!(archive.by_name("svc/").unwrap().is_dir());
        assert_eq!(
            archive.by_name("svc/small.txt").unwrap().unix_mode(),
            Some(0o100_644)
        );
    }

    /// Java's ZipInputStream and ZipFile, Python's zipfile and unzip read every entry back as
    /// the summary says it was written.
    fn check_with_every_reader(zip: &[u8], summary: &ZipSummary) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.zip");
        std::fs::write(&path, zip).unwrap();
        let listed =
            crate::readers::read_with_every_reader(&path).unwrap_or_else(|e| panic!("{e}"));
        let expected: Vec<crate::readers::Listed> = summary
            .entries
            .iter()
            .map(|entry| crate::readers::Listed {
                name: entry.path.clone(),
                size: entry.size,
                crc32: entry.crc32,
            })
            .collect();
        assert_eq!(listed, expected);
    }

    /// Walks the local headers from the central directory's offsets: each must carry its
    /// entry's CRC-32 and sizes (from the Zip64 extra when the 32-bit fields say 0xFFFFFFFF), with
    /// flag bit 3 clear and nothing between one entry's data and the next header.
    fn check_local_headers(zip: &[u8]) -> usize {
        let u16_at = |at: usize| u16::from_le_bytes([zip[at], zip[at + 1]]);
        let u32_at = |at: usize| u32::from_le_bytes(zip[at..at + 4].try_into().unwrap());
        let u64_at = |at: usize| u64::from_le_bytes(zip[at..at + 8].try_into().unwrap());
        let mut archive = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
        let mut zip64_headers = 0;
        let mut next_header = 0;
        for index in 0..archive.len() {
            let entry = archive.by_index(index).unwrap();
            let at = usize::try_from(entry.header_start()).unwrap();
            assert_eq!(
                at,
                next_header,
                "{}: not right after the previous entry",
                entry.name()
            );
            assert_eq!(u32_at(at), LOCAL_HEADER_SIGNATURE);
            assert_eq!(
                u16_at(at + 6) & (1 << 3),
                0,
                "{}: flag bit 3 set",
                entry.name()
            );
            assert_eq!(u32_at(at + 14), entry.crc32(), "{}: CRC-32", entry.name());
            let name_len = usize::from(u16_at(at + 26));
            let extra_len = usize::from(u16_at(at + 28));
            let (mut size, mut compressed) =
                (u64::from(u32_at(at + 22)), u64::from(u32_at(at + 18)));
            if size == 0xFFFF_FFFF || compressed == 0xFFFF_FFFF {
                let extra = at + 30 + name_len;
                assert_eq!((u16_at(extra), u16_at(extra + 2)), (ZIP64_EXTRA_ID, 16));
                (size, compressed) = (u64_at(extra + 4), u64_at(extra + 12));
                zip64_headers += 1;
            }
            assert_eq!(
                (size, compressed),
                (entry.size(), entry.size()),
                "{}: sizes",
                entry.name()
            );
            next_header = at + 30 + name_len + extra_len + usize::try_from(size).unwrap();
        }
        zip64_headers
    }

    fn contains(haystack: &[u8], needle: u32) -> bool {
        haystack
            .windows(4)
            .any(|window| window == needle.to_le_bytes())
    }

    #[test]
    fn classic_zip_is_readable_and_hashed_as_written() {
        let (zip, summary, big) = write_sample(Zip64Limits::FORMAT);
        check_with_zip_crate(&zip, &big);
        assert_eq!(check_local_headers(&zip), 0);
        check_with_every_reader(&zip, &summary);
        assert_eq!(summary.bytes, zip.len() as u64);
        assert_eq!(summary.sha256, hex(&Sha256::digest(&zip)));
        assert!(!contains(&zip, ZIP64_END_SIGNATURE));
        let sizes: Vec<(&str, u64, u32)> = summary
            .entries
            .iter()
            .map(|entry| (entry.path.as_str(), entry.size, entry.crc32))
            .collect();
        assert_eq!(
            sizes,
            [
                ("svc/", 0, 0),
                ("svc/small.txt", 5, crc32fast::hash(b"hello")),
                ("svc/big.tar", big.len() as u64, crc32fast::hash(&big)),
                ("svc/empty", 0, 0),
            ]
        );
    }

    #[test]
    fn forced_zip64_is_readable() {
        // Sizes and offsets from 100 bytes on and more than 3 entries need Zip64 here, so this
        // zip has classic and Zip64 entries, a Zip64 central directory and a Zip64 end record.
        let limits = Zip64Limits {
            bytes: 100,
            entries: 3,
        };
        let (zip, summary, big) = write_sample(limits);
        assert!(contains(&zip, ZIP64_END_SIGNATURE));
        assert!(contains(&zip, ZIP64_LOCATOR_SIGNATURE));
        check_with_zip_crate(&zip, &big);
        // svc/big.tar is the one entry of 100 bytes or more.
        assert_eq!(check_local_headers(&zip), 1);
        check_with_every_reader(&zip, &summary);
        assert_eq!(summary.sha256, hex(&Sha256::digest(&zip)));
    }

    #[test]
    fn refuses_a_file_whose_size_changed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.tar");
        std::fs::write(&path, [7; 1000]).unwrap();
        for (claimed, actual) in [(1001, 1000), (999, 1000), (0, 1000)] {
            let entries = [ZipEntry {
                name: "x.tar".into(),
                data: EntryData::File {
                    path: &path,
                    size: claimed,
                },
            }];
            let error = write(io::sink(), &entries, Zip64Limits::FORMAT)
                .err()
                .unwrap();
            match error {
                Error::Changed { what, .. } => assert_eq!(
                    what,
                    format!("{claimed} bytes when checked, {actual} bytes when copied")
                ),
                other => panic!("expected a changed-file error, got {other}"),
            }
        }
    }

    /// The pre-pass CRC-32 is in the local header before the copy starts: bytes that do not match
    /// it are refused, not shipped under a wrong CRC.
    #[test]
    fn refuses_copied_bytes_that_miss_the_prepass_crc() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.tar");
        let bytes = [7; 1000];
        std::fs::write(&path, bytes).unwrap();
        let file = File::open(&path).unwrap();
        let prepared = Prepared {
            before: Stamp::of(&file.metadata().unwrap()),
            file,
            crc32: crc32fast::hash(&bytes) ^ 1,
        };
        let (to_hasher, hasher_inbox) = mpsc::channel();
        let (to_pool, pool) = mpsc::channel();
        for _ in 0..2 {
            to_pool.send(Buffer::new(CHUNK_BYTES)).unwrap();
        }
        let hasher = thread::spawn(move || hash_written(hasher_inbox, &to_pool));
        let mut out = Vec::new();
        let mut sink = HashingSink::new(&mut out, Path::new("out.zip"), to_hasher, pool).unwrap();
        let mut callback = |_| {};
        let mut reporter = ProgressReporter::new(&[], &mut callback);
        let error = copy_prepared(&mut sink, prepared, &path, 1000, &mut reporter).unwrap_err();
        drop(sink);
        hasher.join().unwrap();
        match error {
            Error::Changed { path: named, what } => {
                assert_eq!(named, path);
                assert!(what.contains("CRC-32"), "{what}");
            }
            other => panic!("expected a changed-file error, got {other}"),
        }
    }

    #[test]
    fn prepass_on_one_or_two_threads_finds_the_same_crc() {
        let dir = tempfile::tempdir().unwrap();
        let (big, path) = sample_entries(dir.path());
        let stop = AtomicBool::new(false);
        let mut buffer = Buffer::new(READ_BYTES);
        let crcs: Vec<u32> = [false, true]
            .into_iter()
            .map(|two_threads| {
                let prepared = prepare(&path, big.len() as u64, &mut buffer, two_threads, &stop);
                prepared.unwrap().unwrap().crc32
            })
            .collect();
        assert_eq!(crcs, [crc32fast::hash(&big); 2]);
        // A file that is not the size it was checked to be is refused before it is read.
        for two_threads in [false, true] {
            let claimed = big.len() as u64 + 1;
            let error = match prepare(&path, claimed, &mut buffer, two_threads, &stop) {
                Some(Err(error)) => error,
                _ => panic!("a size mismatch went unnoticed"),
            };
            assert!(matches!(error, Error::Changed { .. }), "{error}");
        }
    }

    /// An output that keeps what it is given, and the size of each write.
    #[derive(Default)]
    struct Recorder {
        bytes: Vec<u8>,
        writes: Vec<usize>,
    }

    impl Write for Recorder {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.bytes.extend_from_slice(bytes);
            self.writes.push(bytes.len());
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// A file that starts part-way into a buffer and spans several is written in pieces no larger
    /// than [`WRITE_BYTES`], and the SHA-256 and CRC-32 are those of the bytes that went out.
    #[test]
    fn files_are_written_in_small_pieces_and_hashed_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let (big, path) = sample_entries(dir.path());
        let entries = [
            ZipEntry {
                name: "small.txt".into(),
                data: EntryData::Bytes(b"hello"),
            },
            ZipEntry {
                name: "big.tar".into(),
                data: EntryData::File {
                    path: &path,
                    size: big.len() as u64,
                },
            },
        ];
        let mut out = Recorder::default();
        let summary = write(&mut out, &entries, Zip64Limits::FORMAT).unwrap();
        assert!(
            out.writes.iter().all(|&len| len <= WRITE_BYTES),
            "{:?}",
            out.writes
        );
        assert!(out.writes.len() > big.len() / WRITE_BYTES);
        assert_eq!(summary.sha256, hex(&Sha256::digest(&out.bytes)));
        assert_eq!(summary.entries[1].crc32, crc32fast::hash(&big));
        let mut archive = zip::ZipArchive::new(Cursor::new(&out.bytes)).unwrap();
        let mut copied = Vec::new();
        archive
            .by_name("big.tar")
            .unwrap()
            .read_to_end(&mut copied)
            .unwrap();
        assert!(copied == big, "the zip holds other bytes");
    }

    /// An output that takes so many bytes, then fails as a full disk does.
    struct FullAfter(usize);

    impl Write for FullAfter {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            if bytes.len() > self.0 {
                return Err(io::Error::other("no space left"));
            }
            self.0 -= bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_failing_output_is_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let (big, path) = sample_entries(dir.path());
        let entries = [ZipEntry {
            name: "big.tar".into(),
            data: EntryData::File {
                path: &path,
                size: big.len() as u64,
            },
        }];
        let error = write(FullAfter(CHUNK_BYTES), &entries, Zip64Limits::FORMAT)
            .err()
            .unwrap();
        match error {
            Error::Write { path, cause } => {
                assert_eq!(
                    (path.as_path(), cause.to_string().as_str()),
                    (Path::new("out.zip"), "no space left")
                );
            }
            other => panic!("expected a write error, got {other}"),
        }
    }

    #[test]
    fn reports_progress_in_steps_up_to_the_total() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.tar");
        let size = 3 * PROGRESS_STEP + 5;
        std::fs::File::create(&path).unwrap().set_len(size).unwrap();
        let entries = [
            ZipEntry {
                name: "a".into(),
                data: EntryData::Bytes(b"abc"),
            },
            ZipEntry {
                name: "x.tar".into(),
                data: EntryData::File { path: &path, size },
            },
        ];
        let mut seen = Vec::new();
        write_stored_zip(
            io::sink(),
            Path::new("out.zip"),
            &entries,
            Zip64Limits::FORMAT,
            &mut |progress| seen.push(progress),
        )
        .unwrap();
        let total = size + 3;
        assert_eq!(seen.first(), Some(&Progress { done: 0, total }));
        assert_eq!(seen.last(), Some(&Progress { done: total, total }));
        assert!(seen.windows(2).all(|pair| pair[0].done < pair[1].done));
        assert!(
            seen.len() <= 2 + (total / PROGRESS_STEP) as usize,
            "{} reports",
            seen.len()
        );
    }
}
