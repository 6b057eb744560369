//! A folder, `.tgz`, `.tar` or `.zip` read into memory as a list of files with checked names,
//! within limits counted before anything is allocated.

use std::collections::{BTreeSet, HashSet};
use std::fs::{self, File};
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

use crate::name::{RelPath, shown};
use crate::tar::{EntryKind, Stream, TarError, TarReader};
use crate::{Error, Limits};

/// What an input is, judged by its content, not its name: a chart `.tgz` renamed `.zip` is still
/// a gzipped tar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Dir,
    /// A gzipped tar (`helm package`'s `.tgz`).
    Tgz,
    Tar,
    Zip,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Dir => "folder",
            Format::Tgz => "gzipped tar",
            Format::Tar => "tar",
            Format::Zip => "zip",
        }
    }
}

/// One file of a [`Tree`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeFile {
    pub path: RelPath,
    pub data: Vec<u8>,
}

/// The files of a folder or an archive, in the archive's order (a folder's: depth first, by name).
/// Folders are implied by the files' paths; an empty folder is not kept.
#[derive(Debug, Clone)]
pub struct Tree {
    /// The folder or archive, as it is named in errors.
    pub origin: String,
    pub format: Format,
    pub files: Vec<TreeFile>,
}

impl Tree {
    pub fn get(&self, path: &str) -> Option<&TreeFile> {
        self.files.iter().find(|file| file.path.as_str() == path)
    }

    /// The tree below `prefix` (one of its folders), with paths relative to it.
    pub fn subtree(&self, prefix: &RelPath) -> Tree {
        Tree {
            origin: format!("{}: {prefix}", self.origin),
            format: self.format,
            files: self
                .files
                .iter()
                .filter_map(|file| {
                    Some(TreeFile {
                        path: file.path.strip_prefix(prefix)?,
                        data: file.data.clone(),
                    })
                })
                .collect(),
        }
    }

    /// The first segments of the paths, once each, in order.
    pub fn top_names(&self) -> Vec<&str> {
        let mut seen = Vec::new();
        for file in &self.files {
            let top = file.path.segments().next().unwrap_or_default();
            if !seen.contains(&top) {
                seen.push(top);
            }
        }
        seen
    }
}

/// What is left of the limits while a tree (and the archives nested in it) is read: a subchart
/// `.tgz` inside a chart counts against the chart's total, not a total of its own.
#[derive(Debug, Clone)]
pub struct Budget {
    pub limits: Limits,
    bytes_left: u64,
    entries_left: usize,
}

impl Budget {
    pub fn new(limits: Limits) -> Budget {
        Budget {
            limits,
            bytes_left: limits.total_bytes,
            entries_left: limits.entries,
        }
    }

    fn entry(&mut self, origin: &str) -> Result<(), Error> {
        if self.entries_left == 0 {
            return Err(Error::new(
                origin,
                format!(
                    "more than {} entries: no chart or bundle needs that many; this archive is broken or hostile",
                    self.limits.entries
                ),
            ));
        }
        self.entries_left -= 1;
        Ok(())
    }

    fn file(&mut self, origin: &str, name: &RelPath, size: u64) -> Result<(), Error> {
        if size > self.limits.file_bytes {
            return Err(Error::new(
                format!("{origin}: {name}"),
                format!(
                    "{size} bytes, more than Helm's limit of {} bytes for one file: leave it out (.helmignore for a chart)",
                    self.limits.file_bytes
                ),
            ));
        }
        if size > self.bytes_left {
            return Err(Error::new(
                origin,
                format!(
                    "more than Helm's limit of {} bytes in all (archives inside it included): leave large files out",
                    self.limits.total_bytes
                ),
            ));
        }
        self.bytes_left -= size;
        Ok(())
    }
}

/// Tells what `path` is by its content. A FIFO, socket or device is refused before it is opened,
/// so a stray pipe can never block a run.
pub fn sniff(path: &Path) -> Result<Format, Error> {
    let meta = fs::metadata(path).map_err(|error| Error::io(path, error))?;
    if meta.is_dir() {
        return Ok(Format::Dir);
    }
    if !meta.is_file() {
        return Err(Error::new(
            path.display().to_string(),
            "not a regular file (a FIFO, socket or device): give a folder or an archive file",
        ));
    }
    let mut head = [0u8; 512];
    let mut file = File::open(path).map_err(|error| Error::io(path, error))?;
    let mut filled = 0;
    loop {
        let read = file
            .read(&mut head[filled..])
            .map_err(|error| Error::io(path, error))?;
        if read == 0 || filled + read == head.len() {
            filled += read;
            break;
        }
        filled += read;
    }
    sniff_bytes(&head[..filled]).ok_or_else(|| {
        Error::new(
            path.display().to_string(),
            if filled == 0 {
                "an empty file: give a folder, a .tgz, a .tar or a .zip".to_string()
            } else {
                "neither a gzipped tar, a tar nor a zip (judged by its first bytes, not its name): give a folder, a .tgz or a .zip".to_string()
            },
        )
    })
}

/// The format of an archive from its first bytes (up to 512 of them).
pub fn sniff_bytes(head: &[u8]) -> Option<Format> {
    if head.starts_with(&[0x1f, 0x8b]) {
        Some(Format::Tgz)
    } else if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Some(Format::Zip)
    } else if head.len() >= 263 && &head[257..262] == b"ustar" {
        Some(Format::Tar)
    } else {
        None
    }
}

/// Reads a folder or an archive file whole, within `budget`. `ignore` sees each path of a folder
/// (and whether it is a folder) before it is read: a chart's `.helmignore`.
pub fn read(
    path: &Path,
    budget: &mut Budget,
    ignore: &dyn Fn(&RelPath, bool) -> bool,
) -> Result<Tree, Error> {
    let origin = path.display().to_string();
    match sniff(path)? {
        Format::Dir => read_dir(path, budget, ignore),
        format => {
            let file = File::open(path).map_err(|error| Error::io(path, error))?;
            read_archive(BufReader::new(file), format, &origin, budget)
        }
    }
}

/// Reads an archive held in memory (a subchart `.tgz` inside a chart), against the budget of the
/// tree it was found in.
pub fn read_nested(bytes: &[u8], origin: &str, budget: &mut Budget) -> Result<Tree, Error> {
    let format = sniff_bytes(bytes).ok_or_else(|| {
        Error::new(
            origin,
            "neither a gzipped tar nor a zip: an archive here must be one",
        )
    })?;
    read_archive(io::Cursor::new(bytes), format, origin, budget)
}

fn read_archive<R: Read + io::Seek>(
    input: R,
    format: Format,
    origin: &str,
    budget: &mut Budget,
) -> Result<Tree, Error> {
    let files = match format {
        Format::Tgz => read_tar(MultiGzDecoder::new(input), origin, budget, true)?,
        Format::Tar => read_tar(input, origin, budget, false)?,
        Format::Zip => read_zip(input, origin, budget)?,
        Format::Dir => unreachable!("folders are not archives"),
    };
    Ok(Tree {
        origin: origin.to_string(),
        format,
        files,
    })
}

/// Refuses a second entry of one name, and a name that is a file in one entry and a folder in
/// another: tools disagree on which one wins, so what is checked might not be what ships.
#[derive(Default)]
struct Names {
    files: HashSet<RelPath>,
    dirs: HashSet<RelPath>,
}

impl Names {
    fn add(&mut self, origin: &str, path: &RelPath, is_dir: bool) -> Result<(), Error> {
        let clash = |message: &str| {
            Err(Error::new(
                format!("{origin}: {path}"),
                format!("{message}: re-create the archive so that each path is there once"),
            ))
        };
        if is_dir {
            if self.files.contains(path) {
                return clash("both a file and a folder");
            }
            self.dirs.insert(path.clone());
            return Ok(());
        }
        if self.dirs.contains(path) {
            return clash("both a folder and a file");
        }
        if !self.files.insert(path.clone()) {
            return clash("twice in the archive");
        }
        Ok(())
    }

    /// A file whose path runs through another file (`a` and `a/b`) cannot be unpacked.
    fn check_parents(&self, origin: &str) -> Result<(), Error> {
        let sorted: BTreeSet<&RelPath> = self.files.iter().collect();
        for path in &sorted {
            let mut prefix = String::new();
            for segment in path.segments() {
                if !prefix.is_empty() && self.files.iter().any(|file| file.as_str() == prefix) {
                    return Err(Error::new(
                        format!("{origin}: {prefix}"),
                        format!(
                            "both a file and the folder of `{path}`: re-create the archive so that each path is there once"
                        ),
                    ));
                }
                if !prefix.is_empty() {
                    prefix.push('/');
                }
                prefix.push_str(segment);
            }
        }
        Ok(())
    }
}

fn tar_error(origin: &str, error: TarError) -> Error {
    Error::new(
        origin,
        format!("not a readable archive: {error}; re-create it (e.g. with `helm package`)"),
    )
}

fn read_tar<R: Read>(
    input: R,
    origin: &str,
    budget: &mut Budget,
    gzipped: bool,
) -> Result<Vec<TreeFile>, Error> {
    let mut reader = TarReader::new(Stream(input));
    let mut names = Names::default();
    let mut files = Vec::new();
    loop {
        let entry = match reader.next_entry() {
            Ok(Some(entry)) => entry,
            Ok(None) => break,
            Err(TarError::Io(error)) if gzipped && files.is_empty() && names.dirs.is_empty() => {
                return Err(Error::new(
                    origin,
                    format!(
                        "not a readable gzipped tar ({error}): give a .tgz made by `helm package`, or a folder"
                    ),
                ));
            }
            Err(error) => return Err(tar_error(origin, error)),
        };
        budget.entry(origin)?;
        let raw = String::from_utf8_lossy(&entry.name).into_owned();
        let path = RelPath::parse_bytes(&entry.name).map_err(|error| {
            Error::new(
                format!("{origin}: {}", shown(&raw)),
                format!("{error}: an archive holds only relative paths below its own folder; re-create it"),
            )
        })?;
        match entry.kind {
            EntryKind::Dir => names.add(origin, &path, true)?,
            EntryKind::File => {
                names.add(origin, &path, false)?;
                budget.file(origin, &path, entry.size)?;
                let data = reader
                    .read_data()
                    .map_err(|error| tar_error(origin, error))?;
                files.push(TreeFile { path, data });
            }
            EntryKind::Symlink | EntryKind::HardLink => {
                let target = entry
                    .link
                    .as_deref()
                    .map(|link| shown(&String::from_utf8_lossy(link)))
                    .unwrap_or_default();
                return Err(Error::new(
                    format!("{origin}: {path}"),
                    format!(
                        "a link to `{target}` inside the archive: Helm reads a link in a chart archive as an empty file, and other tools follow it, so the result depends on the reader; re-create the archive with the file itself (`helm package` stores the linked file's content)"
                    ),
                ));
            }
            EntryKind::Other(flag) => {
                return Err(Error::new(
                    format!("{origin}: {path}"),
                    format!(
                        "not a regular file (tar type `{}`: a device, FIFO or sparse file): an archive here holds only files and folders; re-create it",
                        (flag as char).escape_default()
                    ),
                ));
            }
        }
    }
    names.check_parents(origin)?;
    Ok(files)
}

/// Unix file-type bits of a zip entry's mode.
const S_IFMT: u32 = 0o170_000;
const S_IFREG: u32 = 0o100_000;
const S_IFDIR: u32 = 0o040_000;
const S_IFLNK: u32 = 0o120_000;

fn read_zip<R: Read + io::Seek>(
    mut input: R,
    origin: &str,
    budget: &mut Budget,
) -> Result<Vec<TreeFile>, Error> {
    refuse_duplicate_zip_names(&mut input, origin)?;
    let mut archive = zip::ZipArchive::new(input).map_err(|error| {
        Error::new(
            origin,
            format!("not a readable zip ({error}): re-create it with `zip -r`"),
        )
    })?;
    let mut names = Names::default();
    let mut files = Vec::new();
    for index in 0..archive.len() {
        budget.entry(origin)?;
        let entry = archive.by_index_raw(index).map_err(|error| {
            Error::new(origin, format!("entry {index}: {error}; re-create the zip"))
        })?;
        let (path, is_dir, size) = check_zip_entry(origin, &entry)?;
        drop(entry);
        names.add(origin, &path, is_dir)?;
        if is_dir {
            continue;
        }
        budget.file(origin, &path, size)?;
        let location = format!("{origin}: {path}");
        let entry = archive
            .by_index(index)
            .map_err(|error| Error::new(&location, format!("cannot read: {error}")))?;
        let mut data = Vec::with_capacity(size.min(1 << 20) as usize);
        // The declared size can lie; the budget already holds `size`, so never read past it.
        entry
            .take(size + 1)
            .read_to_end(&mut data)
            .map_err(|error| {
                Error::new(
                    &location,
                    format!("cannot read: {error}; re-create the zip"),
                )
            })?;
        if data.len() as u64 != size {
            return Err(Error::new(
                location,
                format!(
                    "holds {} bytes where the zip's directory says {size}: the zip is broken; re-create it",
                    data.len()
                ),
            ));
        }
        files.push(TreeFile { path, data });
    }
    names.check_parents(origin)?;
    Ok(files)
}

/// Refuses a zip whose central directory names one entry twice (the `zip` crate would show only
/// the last of them).
pub(crate) fn refuse_duplicate_zip_names<R: Read + io::Seek>(
    input: &mut R,
    origin: &str,
) -> Result<(), Error> {
    let names = crate::central::central_names(input)
        .map_err(|error| Error::new(origin, format!("cannot read the zip: {error}")))?;
    if let Some(name) = names.as_deref().and_then(crate::central::first_duplicate) {
        return Err(Error::new(
            format!("{origin}: {}", shown(&String::from_utf8_lossy(name))),
            "twice in the archive: readers disagree on which one counts; re-create the zip so that each path is there once",
        ));
    }
    Ok(())
}

/// The checked name of a zip entry, whether it is a folder, and its declared size; links and
/// special files are refused.
pub(crate) fn check_zip_entry<R: Read>(
    origin: &str,
    entry: &zip::read::ZipFile<'_, R>,
) -> Result<(RelPath, bool, u64), Error> {
    let raw = entry.name();
    let path = RelPath::parse(raw).map_err(|error| {
        Error::new(
            format!("{origin}: {}", shown(raw)),
            format!(
                "{error}: a zip here holds only relative paths below its own folder; re-create it"
            ),
        )
    })?;
    let location = || format!("{origin}: {path}");
    if entry.encrypted() {
        return Err(Error::new(
            location(),
            "an encrypted entry: zip it again without a password",
        ));
    }
    let is_dir = entry.is_dir();
    if let Some(mode) = entry.unix_mode() {
        match mode & S_IFMT {
            0 | S_IFREG | S_IFDIR => {}
            S_IFLNK => {
                return Err(Error::new(
                    location(),
                    "a symbolic link inside the zip: unpacking it would follow it wherever it points; zip the file itself (`zip -r` without `--symlinks`)",
                ));
            }
            _ => {
                return Err(Error::new(
                    location(),
                    "not a regular file (a device, FIFO or socket): a zip here holds only files and folders; re-create it",
                ));
            }
        }
    }
    Ok((path, is_dir, entry.size()))
}

fn read_dir(
    root: &Path,
    budget: &mut Budget,
    ignore: &dyn Fn(&RelPath, bool) -> bool,
) -> Result<Tree, Error> {
    let canonical = fs::canonicalize(root).map_err(|error| Error::io(root, error))?;
    let mut walker = DirWalker {
        root: canonical.clone(),
        shown_root: root.to_path_buf(),
        budget,
        ignore,
        files: Vec::new(),
        open_dirs: Vec::new(),
    };
    walker.walk(&canonical, None)?;
    Ok(Tree {
        origin: root.display().to_string(),
        format: Format::Dir,
        files: walker.files,
    })
}

/// Deep enough for any real chart or bundle.
const MAX_DEPTH: usize = 64;

struct DirWalker<'a> {
    root: PathBuf,
    shown_root: PathBuf,
    budget: &'a mut Budget,
    ignore: &'a dyn Fn(&RelPath, bool) -> bool,
    files: Vec<TreeFile>,
    /// The folders being walked, by (device, inode), to stop a link back to one of them.
    open_dirs: Vec<(u64, u64)>,
}

impl DirWalker<'_> {
    /// Depth first, each folder's entries sorted by name, following symbolic links that stay
    /// inside the root (as Helm does for a chart folder).
    fn walk(&mut self, dir: &Path, relative: Option<&RelPath>) -> Result<(), Error> {
        let shown_root = self.shown_root.clone();
        let shown = |relative: Option<&RelPath>| match relative {
            Some(relative) => relative.under(&shown_root),
            None => shown_root.clone(),
        };
        let meta = fs::metadata(dir).map_err(|error| Error::io(&shown(relative), error))?;
        let id = file_id(&meta);
        if self.open_dirs.contains(&id) {
            return Err(Error::new(
                shown(relative).display().to_string(),
                "a symbolic link to a folder that contains it (a loop): remove the link",
            ));
        }
        if self.open_dirs.len() >= MAX_DEPTH {
            return Err(Error::new(
                shown(relative).display().to_string(),
                format!(
                    "more than {MAX_DEPTH} folders deep: no chart or bundle needs that; flatten it"
                ),
            ));
        }
        self.open_dirs.push(id);
        let mut names = Vec::new();
        for entry in fs::read_dir(dir).map_err(|error| Error::io(&shown(relative), error))? {
            let entry = entry.map_err(|error| Error::io(&shown(relative), error))?;
            match entry.file_name().into_string() {
                Ok(name) => names.push(name),
                Err(name) => {
                    return Err(Error::new(
                        shown(relative).join(name).display().to_string(),
                        "the file name is not UTF-8: rename it",
                    ));
                }
            }
        }
        names.sort();
        for name in names {
            let child = RelPath::parse(&name).map_err(|error| {
                Error::new(
                    shown(relative).join(&name).display().to_string(),
                    format!("{error}: rename it"),
                )
            })?;
            let child = match relative {
                Some(relative) => relative.join(&child),
                None => child,
            };
            let path = dir.join(&name);
            let shown_path = child.under(&self.shown_root);
            let meta = self.follow(&path, &shown_path)?;
            if meta.is_dir() {
                if !(self.ignore)(&child, true) {
                    self.walk(&path, Some(&child))?;
                }
                continue;
            }
            if (self.ignore)(&child, false) {
                continue;
            }
            let data = read_regular_file(&path, &shown_path, self.budget.limits.file_bytes)?;
            self.budget.entry(&self.shown_root.display().to_string())?;
            self.budget.file(
                &self.shown_root.display().to_string(),
                &child,
                data.len() as u64,
            )?;
            self.files.push(TreeFile { path: child, data });
        }
        self.open_dirs.pop();
        Ok(())
    }

    /// What a path is, through a symbolic link that stays inside the root; a link that leads out
    /// would package a file from elsewhere on the machine.
    fn follow(&self, path: &Path, shown: &Path) -> Result<fs::Metadata, Error> {
        let link_meta = fs::symlink_metadata(path).map_err(|error| Error::io(shown, error))?;
        if !link_meta.file_type().is_symlink() {
            return Ok(link_meta);
        }
        let target = fs::canonicalize(path).map_err(|error| {
            Error::new(
                shown.display().to_string(),
                format!("a symbolic link that cannot be followed ({error}): fix or remove it"),
            )
        })?;
        if !target.starts_with(&self.root) {
            return Err(Error::new(
                shown.display().to_string(),
                format!(
                    "a symbolic link to {}, outside the folder: copy the file in instead",
                    target.display()
                ),
            ));
        }
        fs::metadata(&target).map_err(|error| Error::io(shown, error))
    }
}

#[cfg(unix)]
fn file_id(meta: &fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt as _;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn file_id(_: &fs::Metadata) -> (u64, u64) {
    (0, 0)
}

/// Reads one file of at most `limit` bytes. Anything but a regular file is refused before it is
/// opened: opening a FIFO blocks until someone writes to it.
pub fn read_regular_file(path: &Path, shown: &Path, limit: u64) -> Result<Vec<u8>, Error> {
    let meta = fs::metadata(path).map_err(|error| Error::io(shown, error))?;
    if !meta.is_file() {
        return Err(Error::new(
            shown.display().to_string(),
            "not a regular file (a FIFO, socket or device): remove it, or leave it out (.helmignore for a chart)",
        ));
    }
    let too_big = |size: u64| {
        Error::new(
            shown.display().to_string(),
            format!(
                "{size} bytes, more than Helm's limit of {limit} bytes for one file: leave it out (.helmignore for a chart)"
            ),
        )
    };
    if meta.len() > limit {
        return Err(too_big(meta.len()));
    }
    let file = File::open(path).map_err(|error| Error::io(shown, error))?;
    let mut data = Vec::with_capacity(meta.len() as usize);
    // The file may grow after the size check.
    file.take(limit + 1)
        .read_to_end(&mut data)
        .map_err(|error| Error::io(shown, error))?;
    if data.len() as u64 > limit {
        return Err(too_big(data.len() as u64));
    }
    Ok(data)
}
