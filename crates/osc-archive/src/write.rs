//! Writing out: files land only below a folder we made, and every output file appears whole or
//! not at all.

use std::fs;
use std::io::{self, Write as _};
use std::path::Path;

use crate::name::RelPath;

/// An output that cannot be written, naming it and what to do.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{}: already exists; give a path that does not, so nothing of yours is overwritten", .0.display())]
    Exists(std::path::PathBuf),
    #[error("{}: a symbolic link; give the real path (helm-osc never writes through a link)", .0.display())]
    Link(std::path::PathBuf),
    #[error("{}: a folder; give a file path", .0.display())]
    Dir(std::path::PathBuf),
    #[error("{}: {source}", path.display())]
    Io {
        path: std::path::PathBuf,
        source: io::Error,
    },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `data` to `dir/path`, making the folders between; `path` is a checked [`RelPath`], so
/// the file lands inside `dir` whatever the archive it came from said.
pub fn write_under(dir: &Path, path: &RelPath, data: &[u8]) -> Result<(), OutputError> {
    let target = path.under(dir);
    if let Some(parent) = target.parent() {
        fs::create_dir_all(parent).map_err(io_error(parent))?;
    }
    fs::write(&target, data).map_err(io_error(&target))
}

/// Builds a new folder at `out` through `fill`, in a staging folder beside it that is renamed into
/// place at the end: `out` must not exist (not even as a link), so nothing is overwritten, and a
/// failure part-way leaves nothing behind.
pub fn write_new_dir<E: From<OutputError>>(
    out: &Path,
    fill: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), E> {
    refuse_existing(out)?;
    let parent = out
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(io_error(parent))?;
    let staging = tempfile::Builder::new()
        .prefix(".helm-osc-")
        .tempdir_in(parent)
        .map_err(io_error(parent))?;
    let staged = staging.path().join("out");
    fill(&staged)?;
    refuse_existing(out)?;
    fs::rename(&staged, out).map_err(io_error(out))?;
    Ok(())
}

fn refuse_existing(out: &Path) -> Result<(), OutputError> {
    match fs::symlink_metadata(out) {
        Ok(meta) if meta.file_type().is_symlink() => Err(OutputError::Link(out.to_path_buf())),
        Ok(_) => Err(OutputError::Exists(out.to_path_buf())),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(io_error(out)(error)),
    }
}

/// Writes a file atomically (a hidden temporary file beside it, renamed over it), with the mode
/// every helm-osc output has: 0644 less the umask. An existing file is replaced; a link or a
/// folder at `path` is refused, never replaced.
pub fn write_file(path: &Path, data: &[u8]) -> Result<(), OutputError> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(OutputError::Link(path.to_path_buf()));
        }
        Ok(meta) if meta.is_dir() => return Err(OutputError::Dir(path.to_path_buf())),
        Ok(_) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => return Err(io_error(path)(error)),
    }
    let parent = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut file = new_file_beside(parent, &name).map_err(io_error(path))?;
    file.write_all(data).map_err(io_error(path))?;
    file.as_file().sync_data().map_err(io_error(path))?;
    file.persist(path)
        .map_err(|error| io_error(path)(error.error))?;
    Ok(())
}

/// A hidden `.{name}.XXXXXX.partial` file in `dir` with mode 0644 less the umask (tempfile's
/// default is a private 0600), for an output that is renamed into place once whole.
pub fn new_file_beside(dir: &Path, name: &str) -> io::Result<tempfile::NamedTempFile> {
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".partial");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(fs::Permissions::from_mode(0o644));
    }
    builder.tempfile_in(dir)
}
