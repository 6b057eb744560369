//! Reads folders and archives (`.tgz`, `.tar`, `.zip`) as trees of safely named files within
//! limits, and writes files only inside a given folder.
//!
//! Every crate that reads a chart, a bundle, an OSC-format package or a service package reads it
//! through here, so one set of rules holds everywhere:
//!
//! - an entry name is a [`RelPath`]: never absolute, no `..`, no empty segment, no NUL;
//! - no name twice, no name that is both a file and a folder;
//! - links inside archives are refused (Helm reads them as empty files, other tools follow them),
//!   links in folders are followed only when they stay inside the folder;
//! - FIFOs, sockets and devices are refused before they are opened;
//! - sizes (per file, in all, archives nested in archives included) and entry counts are checked
//!   against [`Limits`] before anything is allocated, tar metadata headers included.
//!
//! Writing out of an archive goes through [`write_under`], which takes only a [`RelPath`].

mod central;
mod name;
pub mod tar;
mod tree;
mod write;
mod zip;

use std::io;
use std::path::Path;

pub use name::{MAX_NAME_BYTES, NameError, RelPath, shown};
pub use tree::{
    Budget, Format, Tree, TreeFile, read, read_nested, read_regular_file, sniff, sniff_bytes,
};
pub use write::{OutputError, new_file_beside, write_file, write_new_dir, write_under};
pub use zip::{MAX_ZIP_ENTRIES, Refused, ZipEntry, ZipIndex};

/// The limits a tree is read within.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most one file may hold.
    pub file_bytes: u64,
    /// The most all files may hold together, nested archives' files included.
    pub total_bytes: u64,
    /// The most entries (files and folders), nested archives' included.
    pub entries: usize,
}

impl Limits {
    /// Helm's loader limits (5 MiB a file, 100 MiB a chart), used for every deployable: a chart,
    /// a bundle, an OSC-format package. Helm sets no entry count; 20,000 is ten times the largest
    /// chart we know of.
    pub const DEPLOYABLE: Limits = Limits {
        file_bytes: 5 * 1024 * 1024,
        total_bytes: 100 * 1024 * 1024,
        entries: 20_000,
    };
}

/// A folder or archive that cannot be read, naming the file (and entry) and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {message}")]
pub struct Error {
    location: String,
    message: String,
}

impl Error {
    pub fn new(location: impl Into<String>, message: impl Into<String>) -> Error {
        Error {
            location: location.into(),
            message: message.into(),
        }
    }

    pub(crate) fn io(path: &Path, error: io::Error) -> Error {
        let message = match error.kind() {
            io::ErrorKind::NotFound => "no such file or folder".to_string(),
            io::ErrorKind::PermissionDenied => {
                "permission denied: check that you can read it".to_string()
            }
            _ => error.to_string(),
        };
        Error::new(path.display().to_string(), message)
    }

    /// The file, and entry inside it, the error is about.
    pub fn location(&self) -> &str {
        &self.location
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}
