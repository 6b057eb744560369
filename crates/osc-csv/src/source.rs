//! The files of a bundle, read once through osc-archive (a folder, or a zip or tgz of one) and
//! then listed and read from memory.

use std::path::{Path, PathBuf};

use osc_archive::{Budget, Format, Limits, RelPath, Tree};

use crate::error::Error;
use crate::model::Root;

pub(crate) struct Source {
    root: Root,
    /// The bundle's files, hidden files and zip junk left out, relative to the bundle's folder.
    tree: Tree,
    /// The folder on disk, when the input was one: a version folder may look at the folder above
    /// it for the package file.
    dir: Option<PathBuf>,
}

/// Entries directly inside a folder, sorted by name, hidden ones left out.
#[derive(Debug, Default)]
pub(crate) struct Listing {
    pub files: Vec<String>,
    pub dirs: Vec<String>,
}

impl Source {
    /// Reads a folder, or an archive and descends into its single top folder when the bundle is
    /// wrapped in one.
    pub fn open(path: &Path) -> Result<Source, Error> {
        if let Err(error) = osc_archive::sniff(path) {
            // A manifest given where its folder was meant: say what a bundle is.
            let archive_name = [".zip", ".tgz", ".tar.gz", ".tar"]
                .iter()
                .any(|extension| path.to_string_lossy().ends_with(extension));
            if path.is_file() && !archive_name {
                return Err(Error::UnknownLayout {
                    path: path.to_path_buf(),
                });
            }
            return Err(error.into());
        }
        let mut budget = Budget::new(Limits::DEPLOYABLE);
        let not_junk = |path: &RelPath, _: bool| is_junk(path.as_str());
        let mut tree = osc_archive::read(path, &mut budget, &not_junk)?;
        tree.files.retain(|file| !is_junk(file.path.as_str()));
        if tree.format == Format::Dir {
            return Ok(Source {
                root: Root::Dir(path.to_path_buf()),
                tree,
                dir: Some(path.to_path_buf()),
            });
        }
        let mut prefix = String::new();
        loop {
            let tops = tree.top_names();
            let [only] = tops.as_slice() else { break };
            let only = RelPath::parse(only).map_err(|_| Error::UnknownLayout {
                path: path.to_path_buf(),
            })?;
            if tree.files.iter().any(|file| file.path == only) {
                break;
            }
            prefix.push_str(only.as_str());
            prefix.push('/');
            tree = tree.subtree(&only);
        }
        Ok(Source {
            root: Root::Archive {
                archive: path.to_path_buf(),
                prefix,
            },
            tree,
            dir: None,
        })
    }

    pub fn root(&self) -> Root {
        self.root.clone()
    }

    /// Whether paths starting with `..` can be read: an archive has nothing above its root.
    pub fn has_parent(&self) -> bool {
        self.dir.is_some()
    }

    pub fn into_tree(self) -> Tree {
        self.tree
    }

    pub fn list(&mut self, dir: &Path) -> Result<Listing, Error> {
        if starts_with_parent(dir) {
            let root = self.dir.as_ref().ok_or_else(|| Error::Io {
                path: dir.to_path_buf(),
                source: std::io::ErrorKind::NotFound.into(),
            })?;
            return list_disk(&root.join(dir));
        }
        let base = slash_path(dir);
        let mut listing = Listing::default();
        for file in &self.tree.files {
            let path = file.path.as_str();
            let rest = if base.is_empty() {
                Some(path)
            } else {
                path.strip_prefix(&base)
                    .and_then(|rest| rest.strip_prefix('/'))
            };
            let Some(rest) = rest else { continue };
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
        Ok(listing)
    }

    pub fn read(&mut self, file: &Path) -> Result<String, Error> {
        let bytes = self.read_bytes(file)?;
        String::from_utf8(bytes).map_err(|_| Error::NotUtf8 {
            file: file.to_path_buf(),
        })
    }

    pub fn read_bytes(&mut self, file: &Path) -> Result<Vec<u8>, Error> {
        if starts_with_parent(file) {
            let root = self.dir.as_ref().ok_or_else(|| Error::Io {
                path: file.to_path_buf(),
                source: std::io::ErrorKind::NotFound.into(),
            })?;
            return Ok(osc_archive::read_regular_file(
                &root.join(file),
                file,
                Limits::DEPLOYABLE.file_bytes,
            )?);
        }
        let name = slash_path(file);
        self.tree
            .get(&name)
            .map(|found| found.data.clone())
            .ok_or_else(|| Error::Io {
                path: file.to_path_buf(),
                source: std::io::ErrorKind::NotFound.into(),
            })
    }
}

fn starts_with_parent(path: &Path) -> bool {
    matches!(
        path.components().next(),
        Some(std::path::Component::ParentDir)
    )
}

/// A folder above the bundle: only listed and peeked at, never walked.
fn list_disk(dir: &Path) -> Result<Listing, Error> {
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

/// Hidden files and the resource forks macOS adds to zips are never part of a bundle.
fn is_junk(name: &str) -> bool {
    name.split('/')
        .any(|part| part.starts_with('.') && part != "." && part != ".." || part == "__MACOSX")
}

fn slash_path(path: &Path) -> String {
    path.components()
        .filter(|component| !matches!(component, std::path::Component::CurDir))
        .map(|component| component.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}
