//! Any bytes read as a nested archive: what is accepted has safe, unique, non-clashing names within
//! the limits, and writing it out puts every file inside the output folder and nothing elsewhere.
#![no_main]

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use helm_osc_fuzz::{assert_safe_path, scratch};
use libfuzzer_sys::fuzz_target;
use osc_archive::{Budget, Limits, OutputError};

const LIMITS: Limits = Limits {
    file_bytes: 64 * 1024,
    total_bytes: 1024 * 1024,
    entries: 1000,
};

fuzz_target!(|data: &[u8]| {
    let Ok(tree) = osc_archive::read_nested(data, "fuzz", &mut Budget::new(LIMITS)) else {
        return;
    };
    assert_eq!(
        Some(tree.format),
        osc_archive::sniff_bytes(data),
        "the tree's format is not the one its first bytes say"
    );
    assert!(
        tree.files.len() <= LIMITS.entries,
        "{} files, more than the {} entries allowed",
        tree.files.len(),
        LIMITS.entries
    );
    let mut paths = HashSet::new();
    let mut total = 0u64;
    for file in &tree.files {
        assert_safe_path(file.path.as_str(), "a file of the tree");
        assert!(
            paths.insert(file.path.as_str()),
            "`{}` is in the tree twice",
            file.path
        );
        let size = file.data.len() as u64;
        assert!(
            size <= LIMITS.file_bytes,
            "`{}` holds {size} bytes, more than the per-file limit",
            file.path
        );
        total += size;
    }
    assert!(
        total <= LIMITS.total_bytes,
        "the files hold {total} bytes, more than the total limit"
    );
    for path in &paths {
        // `a` and `a/b` cannot both be written: one of them would have to be a folder.
        let mut folder = String::new();
        for segment in path.split('/') {
            if !folder.is_empty() {
                assert!(
                    !paths.contains(folder.as_str()),
                    "`{folder}` is a file and also the folder of `{path}`"
                );
                folder.push('/');
            }
            folder.push_str(segment);
        }
    }

    write_and_check(&tree);
});

/// Writes the tree into a fresh folder, then walks everything this run made: only the files of
/// the tree, each with its data, all inside the output folder.
fn write_and_check(tree: &osc_archive::Tree) {
    static RUN: AtomicU64 = AtomicU64::new(0);
    let run = scratch().join(format!("run-{}", RUN.fetch_add(1, Ordering::Relaxed)));
    fs::create_dir(&run).expect("a fresh run folder in the scratch folder");
    let out = run.join("out");
    let written = osc_archive::write_new_dir(&out, |staged| {
        // The fill makes the staged folder, as the tool's own callers do: a tree of folders only
        // has no file to make it.
        fs::create_dir(staged).map_err(|source| OutputError::Io {
            path: staged.to_path_buf(),
            source,
        })?;
        for file in &tree.files {
            osc_archive::write_under(staged, &file.path, &file.data)?;
        }
        Ok::<(), OutputError>(())
    });
    let mut found = BTreeMap::new();
    walk(&run, &run, &mut found);
    let beside: Vec<_> = fs::read_dir(scratch())
        .expect("the scratch folder can be listed")
        .map(|entry| entry.expect("a folder entry").path())
        .filter(|path| *path != run)
        .collect();
    assert!(
        beside.is_empty(),
        "writing the tree left {beside:?} outside its run folder"
    );
    if let Err(error) = written {
        // A name longer than the file system takes is the only reason for a write to fail here.
        let too_long = matches!(&error, OutputError::Io { source, .. }
            if source.kind() == std::io::ErrorKind::InvalidFilename);
        assert!(too_long, "writing the tree failed: {error}");
        assert!(
            found.is_empty(),
            "a failed write left files behind: {:?}",
            found.keys().collect::<Vec<_>>()
        );
    } else {
        let expected: BTreeMap<String, &[u8]> = tree
            .files
            .iter()
            .map(|file| (format!("out/{}", file.path), file.data.as_slice()))
            .collect();
        let found: BTreeMap<String, &[u8]> = found
            .iter()
            .map(|(path, data)| (path.clone(), data.as_slice()))
            .collect();
        assert_eq!(
            found.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "the files written are not the tree's files, each inside the output folder"
        );
        assert!(found == expected, "a file was written with other data");
    }
    fs::remove_dir_all(&run).expect("the run folder can be removed");
}

/// Every file below `dir` by its path relative to `root`; a link or a special file fails the run.
fn walk(root: &Path, dir: &Path, found: &mut BTreeMap<String, Vec<u8>>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .expect("the run folder can be listed")
        .map(|entry| entry.expect("a folder entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let meta = fs::symlink_metadata(&path).expect("the entry can be inspected");
        let relative = path
            .strip_prefix(root)
            .expect("below the run folder")
            .to_str()
            .expect("names written come from UTF-8 paths")
            .to_owned();
        if meta.is_dir() {
            walk(root, &path, found);
        } else {
            assert!(
                meta.is_file(),
                "`{relative}` was written as a link or special file"
            );
            found.insert(relative, fs::read(&path).expect("the file can be read"));
        }
    }
}
