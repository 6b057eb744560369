//! A tar header reader that bounds everything it allocates.
//!
//! The `tar` crate reads GNU long names and PAX headers whole, whatever size their header claims,
//! so a 1 MB archive could make it allocate gigabytes. This reader takes ustar, GNU (`L`/`K` long
//! names, base-256 sizes) and PAX (`x`/`g`: `path`, `linkpath`, `size`) headers, refuses metadata
//! over [`MAX_META_BYTES`], and hands out each entry's header with the offset of its data, so image
//! tars can be indexed by seeking past their layers and charts read by streaming.

use std::io::{self, Read, Seek, SeekFrom};

/// A tar block.
pub const BLOCK: u64 = 512;

/// The most a PAX header or GNU long name may hold. Real ones are a few hundred bytes (a path, an
/// mtime, an SELinux label); anything larger is an attack on whoever reads it.
pub const MAX_META_BYTES: u64 = 64 * 1024;

/// What a tar entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Dir,
    Symlink,
    HardLink,
    /// A character or block device, a FIFO, a GNU sparse file, a volume label, or a type flag no
    /// tool agrees on: nothing a chart, bundle or image archive holds.
    Other(u8),
}

/// One entry's header, after its long name and PAX records were applied.
#[derive(Debug, Clone)]
pub struct TarEntry {
    /// The raw name, as stored (check it with `RelPath::parse_bytes`).
    pub name: Vec<u8>,
    pub kind: EntryKind,
    /// Bytes of data that follow the header.
    pub size: u64,
    /// A link's target.
    pub link: Option<Vec<u8>>,
    /// Where the entry's data starts, from the start of the tar stream.
    pub data_offset: u64,
}

/// A tar that cannot be read, with the offset of the header that broke.
#[derive(Debug, thiserror::Error)]
pub enum TarError {
    #[error("at byte {offset}: {message}")]
    Invalid { offset: u64, message: String },
    /// A header claims more than any real archive needs: refused before reading it.
    #[error("at byte {offset}: {message}")]
    TooLarge { offset: u64, message: String },
    #[error("it ends {place}: the archive is truncated")]
    Truncated { place: String },
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// How the reader gets past an entry's data: by seeking when the input can, else by reading it.
pub trait Skip: Read {
    fn skip(&mut self, bytes: u64) -> io::Result<u64>;
}

/// A stream (a gzip decoder): skipping reads through the data.
pub struct Stream<R>(pub R);

impl<R: Read> Read for Stream<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl<R: Read> Skip for Stream<R> {
    fn skip(&mut self, bytes: u64) -> io::Result<u64> {
        io::copy(&mut (&mut self.0).take(bytes), &mut io::sink())
    }
}

/// A file: skipping seeks, so a gigabyte layer costs nothing to pass.
pub struct Seekable<R> {
    inner: R,
    len: u64,
    position: u64,
}

impl<R: Read + Seek> Seekable<R> {
    pub fn new(mut inner: R) -> io::Result<Seekable<R>> {
        let position = inner.stream_position()?;
        let len = inner.seek(SeekFrom::End(0))?;
        inner.seek(SeekFrom::Start(position))?;
        Ok(Seekable {
            inner,
            len,
            position,
        })
    }

    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: Read> Read for Seekable<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.position += read as u64;
        Ok(read)
    }
}

impl<R: Read + Seek> Skip for Seekable<R> {
    fn skip(&mut self, bytes: u64) -> io::Result<u64> {
        // Past the end counts as short, as reading would.
        let skipped = bytes.min(self.len.saturating_sub(self.position));
        self.position = self.inner.seek(SeekFrom::Current(skipped as i64))?;
        Ok(skipped)
    }
}

/// Reads a tar's headers one by one; the data of the current entry can be read before asking for
/// the next, which skips what was left of it.
pub struct TarReader<R> {
    input: R,
    position: u64,
    /// Data and padding of the current entry not yet consumed.
    pending: u64,
    /// Data of the current entry not yet consumed (`pending` less the padding).
    pending_data: u64,
    current: Option<String>,
    ended_with_marker: bool,
    /// PAX global records that apply to every later entry.
    global: Pax,
}

#[derive(Debug, Default, Clone)]
struct Pax {
    path: Option<Vec<u8>>,
    linkpath: Option<Vec<u8>>,
    size: Option<u64>,
}

impl<R: Skip> TarReader<R> {
    pub fn new(input: R) -> TarReader<R> {
        TarReader {
            input,
            position: 0,
            pending: 0,
            pending_data: 0,
            current: None,
            ended_with_marker: false,
            global: Pax::default(),
        }
    }

    /// The next entry, or `None` at the end-of-archive marker or where the input ends between
    /// entries (Go's reader, and so Helm, take a tar without the marker).
    pub fn next_entry(&mut self) -> Result<Option<TarEntry>, TarError> {
        self.skip_pending()?;
        let mut long_name: Option<Vec<u8>> = None;
        let mut long_link: Option<Vec<u8>> = None;
        let mut pax = Pax::default();
        loop {
            let offset = self.position;
            let Some(block) = self.read_block()? else {
                return Ok(None);
            };
            if block.iter().all(|&byte| byte == 0) {
                self.ended_with_marker = true;
                return Ok(None);
            }
            let header = Header::parse(&block, offset)?;
            let size = match header.typeflag {
                // A PAX `size` applies to the entry, not to the PAX header itself.
                b'x' | b'g' | b'L' | b'K' => header.size,
                _ => pax.size.or(self.global.size).unwrap_or(header.size),
            };
            match header.typeflag {
                b'L' | b'K' | b'x' | b'g' => {
                    let what = match header.typeflag {
                        b'L' => "a GNU long-name header",
                        b'K' => "a GNU long-link header",
                        _ => "a PAX header",
                    };
                    if size > MAX_META_BYTES {
                        return Err(TarError::TooLarge {
                            offset,
                            message: format!(
                                "{what} of {size} bytes, over the {MAX_META_BYTES} bytes any real one needs: the archive is broken or hostile"
                            ),
                        });
                    }
                    let data = self.read_exact_padded(size, what)?;
                    match header.typeflag {
                        b'L' => long_name = Some(trim_nul(&data).to_vec()),
                        b'K' => long_link = Some(trim_nul(&data).to_vec()),
                        b'x' => pax.merge(parse_pax(&data, offset)?),
                        _ => self.global.merge(parse_pax(&data, offset)?),
                    }
                    continue;
                }
                _ => {}
            }
            let name = pax
                .path
                .take()
                .or(long_name.take())
                .or(self.global.path.clone())
                .unwrap_or(header.name);
            let link = pax
                .linkpath
                .take()
                .or(long_link.take())
                .or(self.global.linkpath.clone())
                .or(header.link);
            let kind = match header.typeflag {
                b'0' | 0 | b'7' => EntryKind::File,
                b'5' => EntryKind::Dir,
                b'2' => EntryKind::Symlink,
                b'1' => EntryKind::HardLink,
                other => EntryKind::Other(other),
            };
            // Links, folders and devices have no data whatever the size field says, as in Go's reader.
            let size = match kind {
                EntryKind::File | EntryKind::Other(_) => size,
                _ => 0,
            };
            self.current = Some(String::from_utf8_lossy(&name).into_owned());
            self.pending_data = size;
            self.pending = padded(size);
            return Ok(Some(TarEntry {
                name,
                kind,
                size,
                link: link.filter(|link| !link.is_empty()),
                data_offset: self.position,
            }));
        }
    }

    /// Reads the current entry's data whole; the caller has checked its size against its limit.
    pub fn read_data(&mut self) -> Result<Vec<u8>, TarError> {
        let size = self.pending_data;
        let mut data = Vec::with_capacity(usize::try_from(size).unwrap_or(0).min(1 << 20));
        let read = (&mut self.input).take(size).read_to_end(&mut data)? as u64;
        self.position += read;
        self.pending -= read;
        self.pending_data -= read;
        if read < size {
            return Err(self.truncated());
        }
        Ok(data)
    }

    /// A reader of the current entry's data.
    pub fn data(&mut self) -> EntryData<'_, R> {
        EntryData { reader: self }
    }

    /// Whether the archive ended with the end-of-archive marker (a zero block) rather than at the
    /// end of the input; meaningful once `next_entry` returned `None`.
    pub fn ended_with_marker(&self) -> bool {
        self.ended_with_marker
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> u64 {
        self.position
    }

    pub fn into_inner(self) -> R {
        self.input
    }

    fn skip_pending(&mut self) -> Result<(), TarError> {
        if self.pending == 0 {
            return Ok(());
        }
        let wanted = self.pending;
        let skipped = self.input.skip(wanted)?;
        self.position += skipped;
        self.pending = 0;
        self.pending_data = 0;
        if skipped < wanted {
            return Err(self.truncated());
        }
        Ok(())
    }

    fn truncated(&self) -> TarError {
        TarError::Truncated {
            place: match &self.current {
                Some(name) => format!("inside entry `{}`", crate::name::shown(name)),
                None => "inside its first header".to_string(),
            },
        }
    }

    /// A whole block, `None` at a clean end of input, an error inside a block.
    fn read_block(&mut self) -> Result<Option<[u8; BLOCK as usize]>, TarError> {
        let mut block = [0u8; BLOCK as usize];
        let mut filled = 0;
        while filled < block.len() {
            match self.input.read(&mut block[filled..]) {
                Ok(0) => break,
                Ok(read) => filled += read,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error.into()),
            }
        }
        self.position += filled as u64;
        match filled {
            0 => Ok(None),
            512 => Ok(Some(block)),
            _ => Err(TarError::Truncated {
                place: "inside a tar header".to_string(),
            }),
        }
    }

    fn read_exact_padded(&mut self, size: u64, what: &str) -> Result<Vec<u8>, TarError> {
        let mut data = vec![0u8; size as usize];
        self.input.read_exact(&mut data).map_err(|error| {
            if error.kind() == io::ErrorKind::UnexpectedEof {
                TarError::Truncated {
                    place: format!("inside {what}"),
                }
            } else {
                error.into()
            }
        })?;
        self.position += size;
        let padding = padded(size) - size;
        let skipped = self.input.skip(padding)?;
        self.position += skipped;
        Ok(data)
    }
}

/// The data of the current entry, as a reader.
pub struct EntryData<'a, R> {
    reader: &'a mut TarReader<R>,
}

impl<R: Skip> Read for EntryData<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let wanted = buf
            .len()
            .min(usize::try_from(self.reader.pending_data).unwrap_or(usize::MAX));
        if wanted == 0 {
            return Ok(0);
        }
        let read = self.reader.input.read(&mut buf[..wanted])?;
        if read == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                self.reader.truncated().to_string(),
            ));
        }
        self.reader.position += read as u64;
        self.reader.pending -= read as u64;
        self.reader.pending_data -= read as u64;
        Ok(read)
    }
}

fn padded(size: u64) -> u64 {
    size.div_ceil(BLOCK).saturating_mul(BLOCK)
}

fn trim_nul(data: &[u8]) -> &[u8] {
    let end = data
        .iter()
        .position(|&byte| byte == 0)
        .unwrap_or(data.len());
    &data[..end]
}

struct Header {
    name: Vec<u8>,
    link: Option<Vec<u8>>,
    size: u64,
    typeflag: u8,
}

impl Header {
    fn parse(block: &[u8; 512], offset: u64) -> Result<Header, TarError> {
        let invalid = |message: String| TarError::Invalid { offset, message };
        let stored = parse_octal(&block[148..156]).ok_or_else(|| {
            invalid(
                "no tar header here (its checksum field is not a number): not a tar archive"
                    .to_string(),
            )
        })?;
        let unsigned: u64 = block
            .iter()
            .enumerate()
            .map(|(index, &byte)| {
                if (148..156).contains(&index) {
                    32
                } else {
                    u64::from(byte)
                }
            })
            .sum();
        // Some old tars summed signed bytes; Go's reader takes either.
        let signed: i64 = block
            .iter()
            .enumerate()
            .map(|(index, &byte)| {
                if (148..156).contains(&index) {
                    32
                } else {
                    i64::from(byte as i8)
                }
            })
            .sum();
        if stored != unsigned && stored as i64 != signed {
            return Err(invalid(
                "a header whose checksum does not match: not a tar archive, or a damaged one"
                    .to_string(),
            ));
        }
        let size = parse_size(&block[124..136])
            .ok_or_else(|| invalid("a header whose size field is not a number".to_string()))?;
        let mut name = trim_nul(&block[0..100]).to_vec();
        let magic = &block[257..263];
        // POSIX ustar splits long names into prefix and name; GNU uses that area for times.
        if magic == b"ustar\0" {
            let prefix = trim_nul(&block[345..500]);
            if !prefix.is_empty() {
                let mut joined = prefix.to_vec();
                joined.push(b'/');
                joined.extend_from_slice(&name);
                name = joined;
            }
        }
        let link = trim_nul(&block[157..257]);
        Ok(Header {
            name,
            link: (!link.is_empty()).then(|| link.to_vec()),
            size,
            typeflag: block[156],
        })
    }
}

fn parse_octal(field: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(field).ok()?;
    let text = text.trim_matches(|c: char| c == '\0' || c == ' ');
    if text.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(text, 8).ok()
}

/// Octal, or GNU's base-256 for sizes of 8 GiB and more.
fn parse_size(field: &[u8]) -> Option<u64> {
    if field[0] & 0x80 != 0 {
        if field[0] & 0x40 != 0 {
            return None; // negative
        }
        let mut value: u64 = u64::from(field[0] & 0x3f);
        for &byte in &field[1..] {
            value = value.checked_mul(256)?.checked_add(u64::from(byte))?;
        }
        return Some(value);
    }
    parse_octal(field)
}

/// `LEN key=value\n` records; only the keys that change what an entry is are kept.
fn parse_pax(data: &[u8], offset: u64) -> Result<Pax, TarError> {
    let invalid = || TarError::Invalid {
        offset,
        message: "a PAX header whose records are not `LENGTH key=value`".to_string(),
    };
    let mut pax = Pax::default();
    let mut rest = data;
    while !rest.is_empty() {
        if rest.iter().all(|&byte| byte == 0) {
            break;
        }
        let space = rest
            .iter()
            .position(|&byte| byte == b' ')
            .ok_or_else(invalid)?;
        let length: usize = std::str::from_utf8(&rest[..space])
            .ok()
            .and_then(|text| text.parse().ok())
            .ok_or_else(invalid)?;
        if length <= space + 1 || length > rest.len() || rest[length - 1] != b'\n' {
            return Err(invalid());
        }
        let record = &rest[space + 1..length - 1];
        let equals = record
            .iter()
            .position(|&byte| byte == b'=')
            .ok_or_else(invalid)?;
        let (key, value) = (&record[..equals], &record[equals + 1..]);
        match key {
            b"path" => pax.path = Some(value.to_vec()),
            b"linkpath" => pax.linkpath = Some(value.to_vec()),
            b"size" => {
                pax.size = Some(
                    std::str::from_utf8(value)
                        .ok()
                        .and_then(|text| text.parse().ok())
                        .ok_or_else(invalid)?,
                )
            }
            _ => {}
        }
        rest = &rest[length..];
    }
    Ok(pax)
}

impl Pax {
    fn merge(&mut self, other: Pax) {
        if other.path.is_some() {
            self.path = other.path;
        }
        if other.linkpath.is_some() {
            self.linkpath = other.linkpath;
        }
        if other.size.is_some() {
            self.size = other.size;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(name: &str, typeflag: u8, size: u64) -> [u8; 512] {
        let mut block = [0u8; 512];
        block[..name.len()].copy_from_slice(name.as_bytes());
        block[100..107].copy_from_slice(b"0000644");
        block[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
        block[156] = typeflag;
        block[257..263].copy_from_slice(b"ustar\0");
        block[263..265].copy_from_slice(b"00");
        block[148..156].copy_from_slice(b"        ");
        let sum: u64 = block.iter().map(|&b| u64::from(b)).sum();
        block[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        block
    }

    fn entry(tar: &mut Vec<u8>, name: &str, typeflag: u8, data: &[u8]) {
        tar.extend_from_slice(&header(name, typeflag, data.len() as u64));
        tar.extend_from_slice(data);
        tar.resize(padded(tar.len() as u64) as usize, 0);
    }

    fn names(tar: &[u8]) -> Result<Vec<(String, EntryKind, Vec<u8>)>, TarError> {
        let mut reader = TarReader::new(Stream(tar));
        let mut found = Vec::new();
        while let Some(entry) = reader.next_entry()? {
            let data = reader.read_data()?;
            found.push((
                String::from_utf8_lossy(&entry.name).into_owned(),
                entry.kind,
                data,
            ));
        }
        Ok(found)
    }

    #[test]
    fn reads_files_long_names_and_pax_paths() {
        let mut tar = Vec::new();
        entry(&mut tar, "top/a.txt", b'0', b"hello");
        let long = format!("top/{}", "x".repeat(150));
        entry(
            &mut tar,
            "././@LongLink",
            b'L',
            format!("{long}\0").as_bytes(),
        );
        entry(&mut tar, "top/short", b'0', b"long");
        entry(&mut tar, "PaxHeaders/x", b'x', b"21 path=top/from-pax\n");
        entry(&mut tar, "top/ignored", b'0', b"pax");
        entry(&mut tar, "top/dir/", b'5', b"");
        tar.extend_from_slice(&[0; 1024]);
        let found = names(&tar).unwrap();
        let got: Vec<(&str, EntryKind, &[u8])> = found
            .iter()
            .map(|(name, kind, data)| (name.as_str(), *kind, data.as_slice()))
            .collect();
        assert_eq!(
            got,
            [
                ("top/a.txt", EntryKind::File, &b"hello"[..]),
                (long.as_str(), EntryKind::File, b"long"),
                ("top/from-pax", EntryKind::File, b"pax"),
                ("top/dir/", EntryKind::Dir, b""),
            ]
        );
    }

    #[test]
    fn huge_metadata_headers_are_refused_before_allocating() {
        for typeflag in [b'L', b'K', b'x', b'g'] {
            let mut tar = header("././@LongLink", typeflag, 1 << 30).to_vec();
            tar.extend_from_slice(&[b'a'; 1024]);
            let error = names(&tar).unwrap_err();
            assert!(
                error.to_string().contains("over the 65536 bytes"),
                "{error}"
            );
        }
    }

    #[test]
    fn truncation_and_garbage_are_errors() {
        let mut tar = Vec::new();
        entry(&mut tar, "top/a.txt", b'0', &[1; 1000]);
        let cut = &tar[..700];
        assert!(matches!(names(cut), Err(TarError::Truncated { .. })));
        assert!(matches!(
            names(&tar[..100]),
            Err(TarError::Truncated { .. })
        ));
        assert!(matches!(names(&[7u8; 512]), Err(TarError::Invalid { .. })));
        // Ending between entries without the marker is a whole tar to Go, and so to Helm.
        assert_eq!(names(&tar).unwrap().len(), 1);
    }

    #[test]
    fn base256_sizes_are_read() {
        let mut field = [0u8; 12];
        field[0] = 0x80;
        field[4] = 0x02;
        assert_eq!(parse_size(&field), Some(2 << 56));
        field[0] = 0xff;
        assert_eq!(parse_size(&field), None);
    }

    #[test]
    fn seekable_input_skips_data() {
        let mut tar = Vec::new();
        entry(&mut tar, "a", b'0', &[1; 5000]);
        entry(&mut tar, "b", b'0', b"x");
        tar.extend_from_slice(&[0; 1024]);
        let mut reader = TarReader::new(Seekable::new(io::Cursor::new(&tar)).unwrap());
        let a = reader.next_entry().unwrap().unwrap();
        assert_eq!((a.data_offset, a.size), (512, 5000));
        let b = reader.next_entry().unwrap().unwrap();
        assert_eq!(b.data_offset, 512 + 5120 + 512);
        assert!(reader.next_entry().unwrap().is_none());
        assert!(reader.ended_with_marker());
    }
}
