//! The names in a zip's central directory, duplicates included.
//!
//! The `zip` crate keeps its entries in a map by name, so of two entries with one name it shows
//! only the last; other readers take the first. Reading the directory ourselves is the only way
//! to see both and refuse the zip.

use std::io::{self, Read, Seek, SeekFrom};

const END_SIGNATURE: u32 = 0x0605_4b50;
const ZIP64_LOCATOR_SIGNATURE: u32 = 0x0706_4b50;
const ZIP64_END_SIGNATURE: u32 = 0x0606_4b50;
const CENTRAL_SIGNATURE: u32 = 0x0201_4b50;
/// The end record plus the longest comment it can have.
const MAX_END_SEARCH: u64 = 22 + 0xFFFF;

/// Every entry name of the central directory, in order, as raw bytes; `None` when the directory
/// cannot be found (the zip crate then says why).
pub(crate) fn central_names<R: Read + Seek>(input: &mut R) -> io::Result<Option<Vec<Vec<u8>>>> {
    let len = input.seek(SeekFrom::End(0))?;
    let search = len.min(MAX_END_SEARCH);
    input.seek(SeekFrom::Start(len - search))?;
    let mut tail = vec![0u8; search as usize];
    input.read_exact(&mut tail)?;
    let Some(end) = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&at| u32_at(&tail, at) == END_SIGNATURE)
    else {
        return Ok(None);
    };
    let end_offset = len - search + end as u64;
    let mut entries = u64::from(u16_at(&tail, end + 10));
    let mut directory_offset = u64::from(u32_at(&tail, end + 16));
    if (entries == 0xFFFF || directory_offset == 0xFFFF_FFFF) && end >= 20 {
        let locator = end - 20;
        if u32_at(&tail, locator) == ZIP64_LOCATOR_SIGNATURE {
            let zip64_end = u64_at(&tail, locator + 8);
            input.seek(SeekFrom::Start(zip64_end))?;
            let mut record = [0u8; 56];
            input.read_exact(&mut record)?;
            if u32_at(&record, 0) == ZIP64_END_SIGNATURE {
                entries = u64_at(&record, 32);
                directory_offset = u64_at(&record, 48);
            }
        }
    }
    if directory_offset > end_offset {
        return Ok(None);
    }
    input.seek(SeekFrom::Start(directory_offset))?;
    let mut directory = io::BufReader::new((&mut *input).take(end_offset - directory_offset));
    let mut names = Vec::new();
    for _ in 0..entries.min(crate::MAX_ZIP_ENTRIES as u64 + 1) {
        let mut header = [0u8; 46];
        if directory.read_exact(&mut header).is_err() || u32_at(&header, 0) != CENTRAL_SIGNATURE {
            return Ok(None);
        }
        let name_len = usize::from(u16_at(&header, 28));
        let extra_len = u64::from(u16_at(&header, 30));
        let comment_len = u64::from(u16_at(&header, 32));
        let mut name = vec![0u8; name_len];
        directory.read_exact(&mut name)?;
        io::copy(
            &mut (&mut directory).take(extra_len + comment_len),
            &mut io::sink(),
        )?;
        names.push(name);
    }
    input.seek(SeekFrom::Start(0))?;
    Ok(Some(names))
}

/// The first name that is in `names` twice, as bytes.
pub(crate) fn first_duplicate(names: &[Vec<u8>]) -> Option<&[u8]> {
    let mut seen = std::collections::HashSet::new();
    names
        .iter()
        .find(|name| !seen.insert(name.as_slice()))
        .map(Vec::as_slice)
}

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap_or_default())
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap_or_default())
}
