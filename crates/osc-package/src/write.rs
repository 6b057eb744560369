use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::rules::{self, RuleError};
use crate::zip_stream::{self, EntryData, Zip64Limits, ZipEntry};

/// Writes `{out_dir}/{name}-{version}.zip` and its `.zip.sha256`, after checking everything in
/// `spec`; on any failure nothing new is left in `out_dir`.
///
/// `progress` hears how many of the package's content bytes are written, at most every few MiB.
pub fn write(
    spec: &PackageSpec,
    out_dir: &Path,
    progress: &mut dyn FnMut(Progress),
) -> Result<Written, Error> {
    write_with_limits(spec, out_dir, progress, Zip64Limits::FORMAT)
}

/// What goes into a service package.
#[derive(Debug, Clone)]
pub struct PackageSpec {
    /// The serviceName: the top folder and the start of the zip's file name.
    pub name: String,
    /// SemVer 2.0 without build metadata.
    pub version: String,
    pub deployable: Deployable,
    /// `docker save` archives copied to `images/` under their own file names.
    pub images: Vec<PathBuf>,
    /// Contents of `images/mapping.yaml`.
    pub mapping: Option<Vec<u8>>,
    /// Files for `extends/` (e.g. `csd.yaml`), by file name.
    pub extends: Vec<(String, Vec<u8>)>,
}

/// The one file in `package/`.
#[derive(Debug, Clone)]
pub struct Deployable {
    /// `{chart}-{chartVersion}.tgz` for a Helm chart, a `.zip` for an operator or OSC-format package.
    pub file_name: String,
    pub source: DeployableSource,
}

#[derive(Debug, Clone)]
pub enum DeployableSource {
    Bytes(Vec<u8>),
    File(PathBuf),
}

/// How far `write` is: content bytes written out of all content bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
}

/// The package `write` produced.
#[derive(Debug, Clone)]
pub struct Written {
    pub zip: PathBuf,
    /// Lower-case hex SHA-256 of the zip.
    pub sha256: String,
    pub sha256_file: PathBuf,
    /// Every entry, in the zip's order; directories end with `/`.
    pub entries: Vec<WrittenEntry>,
    /// Size of the zip.
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenEntry {
    pub path: String,
    pub size: u64,
    pub crc32: u32,
}

pub(crate) fn write_with_limits(
    spec: &PackageSpec,
    out_dir: &Path,
    progress: &mut dyn FnMut(Progress),
    limits: Zip64Limits,
) -> Result<Written, Error> {
    let checked = check(spec)?;
    let entries = layout(spec, checked);

    // A folder this write creates goes again if the write fails, so a failure leaves nothing new.
    let created = !out_dir.exists();
    fs::create_dir_all(out_dir).map_err(|cause| Error::OutDir {
        path: out_dir.to_owned(),
        cause,
    })?;
    let result = write_into(out_dir, spec, &entries, progress, limits);
    if created && result.is_err() {
        // Best effort, and only while empty: the write already failed.
        let _ = fs::remove_dir(out_dir);
    }
    result
}

fn write_into(
    out_dir: &Path,
    spec: &PackageSpec,
    entries: &[ZipEntry<'_>],
    progress: &mut dyn FnMut(Progress),
    limits: Zip64Limits,
) -> Result<Written, Error> {
    let zip_name = format!("{}-{}.zip", spec.name, spec.version);
    let zip_path = out_dir.join(&zip_name);
    let sha256_path = out_dir.join(format!("{zip_name}.sha256"));
    let write_error = |path: &Path| {
        let path = path.to_owned();
        move |cause| Error::Write { path, cause }
    };

    remove_stale_partials(out_dir, &zip_name);
    let mut partial = temp_file(out_dir, &zip_name).map_err(write_error(&zip_path))?;
    let summary =
        zip_stream::write_stored_zip(partial.as_file_mut(), &zip_path, entries, limits, progress)?;
    // A `.sha256` that is present must match the zip beside it, so an old one goes first.
    match fs::remove_file(&sha256_path) {
        Err(cause) if cause.kind() != io::ErrorKind::NotFound => {
            return Err(write_error(&sha256_path)(cause));
        }
        _ => {}
    }
    partial
        .persist(&zip_path)
        .map_err(|error| write_error(&zip_path)(error.error))?;

    let sha256_line = format!("{}  {zip_name}\n", summary.sha256);
    let placed = temp_file(out_dir, &zip_name)
        .and_then(|mut file| {
            file.write_all(sha256_line.as_bytes())?;
            file.persist(&sha256_path).map_err(|error| error.error)
        })
        .map_err(write_error(&sha256_path));
    if let Err(error) = placed {
        // Best effort: the write already failed, and a zip without its .sha256 is what we refuse to leave.
        let _ = fs::remove_file(&zip_path);
        return Err(error);
    }

    Ok(Written {
        zip: zip_path,
        sha256: summary.sha256,
        sha256_file: sha256_path,
        entries: summary.entries,
        bytes: summary.bytes,
    })
}

/// What `check` learned from the file system.
struct Checked<'a> {
    deployable: EntryData<'a>,
    /// Image tars by file name, so they land in the zip sorted.
    images: BTreeMap<String, (&'a Path, u64)>,
}

/// Every check of `write`, done before anything is written.
fn check(spec: &PackageSpec) -> Result<Checked<'_>, Error> {
    let rule = |path: Option<&Path>| {
        let path = path.map(Path::to_owned);
        move |rule: RuleError| Error::Rule { path, rule }
    };
    rules::service_name(&spec.name).map_err(rule(None))?;
    rules::version(&spec.version).map_err(rule(None))?;

    let deployable = &spec.deployable;
    rules::deployable_name(&deployable.file_name).map_err(rule(None))?;
    let (deployable_data, deployable_size, deployable_path) = match &deployable.source {
        DeployableSource::Bytes(bytes) => (EntryData::Bytes(bytes), bytes.len() as u64, None),
        DeployableSource::File(path) => {
            let metadata = fs::metadata(path).map_err(|cause| Error::DeployableMissing {
                path: path.clone(),
                cause,
            })?;
            if !metadata.is_file() {
                return Err(Error::DeployableNotAFile { path: path.clone() });
            }
            let size = metadata.len();
            (EntryData::File { path, size }, size, Some(path.as_path()))
        }
    };
    rules::deployable_size(&deployable.file_name, deployable_size)
        .map_err(rule(deployable_path))?;

    let mut images: BTreeMap<String, (&Path, u64)> = BTreeMap::new();
    for path in &spec.images {
        let file_name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        rules::image_tar_name(&file_name).map_err(rule(Some(path)))?;
        let metadata = fs::metadata(path).map_err(|cause| Error::ImageMissing {
            path: path.clone(),
            cause,
        })?;
        if !metadata.is_file() {
            return Err(Error::ImageNotAFile { path: path.clone() });
        }
        if let Some(&(first, _)) = images.get(&file_name) {
            return Err(Error::DuplicateImage {
                file_name,
                first: first.to_owned(),
                second: path.clone(),
            });
        }
        images.insert(file_name, (path.as_path(), metadata.len()));
    }

    let mut extends = BTreeMap::new();
    for (file_name, _) in &spec.extends {
        if !rules::is_plain_file_name(file_name) {
            return Err(Error::ExtendsName {
                file_name: file_name.clone(),
            });
        }
        if extends.insert(file_name, ()).is_some() {
            return Err(Error::DuplicateExtends {
                file_name: file_name.clone(),
            });
        }
    }

    Ok(Checked {
        deployable: deployable_data,
        images,
    })
}

/// The zip's entries in their fixed order: folders, the deployable, mapping.yaml, image tars by
/// name, extends files by name.
fn layout<'a>(spec: &'a PackageSpec, checked: Checked<'a>) -> Vec<ZipEntry<'a>> {
    let top = &spec.name;
    let dir = |name: String| ZipEntry {
        name,
        data: EntryData::Dir,
    };
    let has_images = !checked.images.is_empty() || spec.mapping.is_some();
    let mut entries = vec![dir(format!("{top}/")), dir(format!("{top}/package/"))];
    if has_images {
        entries.push(dir(format!("{top}/images/")));
    }
    if !spec.extends.is_empty() {
        entries.push(dir(format!("{top}/extends/")));
    }

    entries.push(ZipEntry {
        name: format!("{top}/package/{}", spec.deployable.file_name),
        data: checked.deployable,
    });
    if let Some(mapping) = &spec.mapping {
        entries.push(ZipEntry {
            name: format!("{top}/images/mapping.yaml"),
            data: EntryData::Bytes(mapping),
        });
    }
    for (file_name, (path, size)) in checked.images {
        entries.push(ZipEntry {
            name: format!("{top}/images/{file_name}"),
            data: EntryData::File { path, size },
        });
    }
    let mut extends: Vec<_> = spec.extends.iter().collect();
    extends.sort_by(|a, b| a.0.cmp(&b.0));
    for (file_name, bytes) in extends {
        entries.push(ZipEntry {
            name: format!("{top}/extends/{file_name}"),
            data: EntryData::Bytes(bytes),
        });
    }
    entries
}

/// How many random characters name a temporary file, between `.{final_name}.` and `.partial`.
const TEMP_RANDOM_CHARS: usize = 6;
const TEMP_SUFFIX: &str = ".partial";

/// A hidden temporary file beside the final one, so renaming it into place is atomic:
/// `.{final_name}.XXXXXX.partial`, locked for as long as this process holds it open, which tells
/// [`remove_stale_partials`] of another run that it is not stale.
fn temp_file(out_dir: &Path, final_name: &str) -> io::Result<tempfile::NamedTempFile> {
    let prefix = format!(".{final_name}.");
    let mut builder = tempfile::Builder::new();
    builder
        .prefix(&prefix)
        .rand_bytes(TEMP_RANDOM_CHARS)
        .suffix(TEMP_SUFFIX);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        // Like any new file: 0644 less the umask, rather than tempfile's private 0600.
        builder.permissions(fs::Permissions::from_mode(0o644));
    }
    let file = builder.tempfile_in(out_dir)?;
    #[cfg(unix)]
    {
        // Best effort: without the lock (a file system without flock) a concurrent run of the
        // same package could take this file for stale, and this run's rename would then fail.
        let _ = rustix::fs::flock(
            file.as_file(),
            rustix::fs::FlockOperation::NonBlockingLockExclusive,
        );
    }
    Ok(file)
}

/// Whether `file_name` is one of [`temp_file`]'s for `final_name`, and nothing else.
fn is_own_temp_file(file_name: &str, final_name: &str) -> bool {
    file_name
        .strip_prefix('.')
        .and_then(|rest| rest.strip_prefix(final_name))
        .and_then(|rest| rest.strip_prefix('.'))
        .and_then(|rest| rest.strip_suffix(TEMP_SUFFIX))
        .is_some_and(|random| {
            random.len() == TEMP_RANDOM_CHARS
                && random.bytes().all(|byte| byte.is_ascii_alphanumeric())
        })
}

/// Removes the temporary files that killed runs writing `zip_name` left in `out_dir`, so that
/// they do not pile up: a killed run then leaves at most one until the next run. Only regular
/// files named exactly as [`temp_file`] names them go, and only when no process holds them
/// locked (a run still writing does; the kernel drops the lock of a killed one).
fn remove_stale_partials(out_dir: &Path, zip_name: &str) {
    #[cfg(unix)]
    {
        // Best effort throughout: a stale file that cannot be removed costs space, not correctness.
        let Ok(listing) = fs::read_dir(out_dir) else {
            return;
        };
        for entry in listing.flatten() {
            let is_own = entry
                .file_name()
                .to_str()
                .is_some_and(|name| is_own_temp_file(name, zip_name));
            if !is_own || !entry.file_type().is_ok_and(|kind| kind.is_file()) {
                continue;
            }
            let path = entry.path();
            let Ok(file) = fs::File::open(&path) else {
                continue;
            };
            let unlocked =
                rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive)
                    .is_ok();
            if unlocked {
                let _ = fs::remove_file(&path);
            }
        }
    }
    #[cfg(not(unix))]
    {
        // Without flock a live run's file cannot be told from a stale one: leave them all.
        let _ = (out_dir, zip_name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A whole package with Zip64 forced on everything past its first kilobyte still verifies, and
    /// every reader reads it: Zip64 extras in local and central headers, a Zip64 end record.
    #[test]
    fn forced_zip64_package_verifies() {
        let inputs = tempfile::tempdir().unwrap();
        let tar = inputs.path().join("redis-7.2.4.tar");
        fs::write(&tar, vec![42; 5000]).unwrap();
        let spec = PackageSpec {
            name: "redis".into(),
            version: "18.1.0".into(),
            deployable: Deployable {
                file_name: "redis-18.1.0.tgz".into(),
                source: DeployableSource::Bytes(
                    include_bytes!("../tests/fixtures/redis-18.1.0.tgz").to_vec(),
                ),
            },
            images: vec![tar],
            mapping: Some(b"instance: [{package: {x86_64: redis-7.2.4.tar}}]".to_vec()),
            extends: vec![("csd.yaml".into(), b"versionDefinition: {}".to_vec())],
        };
        let limits = Zip64Limits {
            bytes: 1000,
            entries: 4,
        };
        let out = inputs.path().join("out");
        let written = write_with_limits(&spec, &out, &mut |_| {}, limits).unwrap();
        let report = crate::verify(&written.zip, Some(&written.sha256_file)).unwrap();
        assert_eq!(report.findings, []);
        assert_eq!(report.images, ["redis/images/redis-7.2.4.tar"]);

        let listed = crate::readers::read_with_every_reader(&written.zip)
            .unwrap_or_else(|error| panic!("{error}"));
        let written: Vec<(String, u64, u32)> = written
            .entries
            .into_iter()
            .map(|entry| (entry.path, entry.size, entry.crc32))
            .collect();
        let listed: Vec<(String, u64, u32)> = listed
            .into_iter()
            .map(|entry| (entry.name, entry.size, entry.crc32))
            .collect();
        assert_eq!(listed, written);
    }
}
