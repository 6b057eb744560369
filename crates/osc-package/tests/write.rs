mod common;
#[path = "common/readers.rs"]
mod readers;

use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{helm_spec, listing, operator_spec};
use osc_package::{DeployableSource, Error, PackageSpec, Progress, Written, rules, verify, write};

type Mutation = fn(&mut PackageSpec, &Path);

fn add_image(spec: &mut PackageSpec, inputs: &Path, relative: &str) {
    let path = inputs.join(relative);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, b"not really an image").unwrap();
    spec.images.push(path);
}

const REFUSALS: &[(&str, Mutation)] = &[
    ("service name with `_`", |spec, _| {
        spec.name = "redis_cluster".into()
    }),
    ("service name of 65 characters", |spec, _| {
        spec.name = "a".repeat(65)
    }),
    ("empty service name", |spec, _| spec.name = String::new()),
    ("version with build metadata", |spec, _| {
        spec.version = "18.1.0+build.1".into()
    }),
    ("version that is not SemVer", |spec, _| {
        spec.version = "18.1".into()
    }),
    ("deployable that is neither .tgz nor .zip", |spec, _| {
        spec.deployable.file_name = "redis-18.1.0.tar.gz".into()
    }),
    ("deployable file name with a folder", |spec, _| {
        spec.deployable.file_name = "charts/redis-18.1.0.tgz".into()
    }),
    ("deployable file that does not exist", |spec, inputs| {
        spec.deployable.source = DeployableSource::File(inputs.join("missing.tgz"))
    }),
    ("deployable file that is a folder", |spec, inputs| {
        spec.deployable.source = DeployableSource::File(inputs.to_owned())
    }),
    ("deployable over 4 MB", |spec, _| {
        spec.deployable.source =
            DeployableSource::Bytes(vec![0; rules::MAX_DEPLOYABLE_BYTES as usize + 1])
    }),
    ("tar starting with `-`", |spec, inputs| {
        add_image(spec, inputs, "-x.tar")
    }),
    ("tar ending with `_`", |spec, inputs| {
        add_image(spec, inputs, "x_.tar")
    }),
    ("tar with a space", |spec, inputs| {
        add_image(spec, inputs, "a b.tar")
    }),
    ("tar.gz", |spec, inputs| add_image(spec, inputs, "x.tar.gz")),
    ("tar that does not exist", |spec, inputs| {
        spec.images.push(inputs.join("nowhere.tar"))
    }),
    ("tar that is a folder", |spec, inputs| {
        fs::create_dir(inputs.join("folder.tar")).unwrap();
        spec.images.push(inputs.join("folder.tar"));
    }),
    ("two tars with the same file name", |spec, inputs| {
        add_image(spec, inputs, "other/redis-7.2.4.tar")
    }),
    ("extends file name with a folder", |spec, _| {
        spec.extends.push(("../csd.yaml".into(), Vec::new()))
    }),
    ("extends file given twice", |spec, _| {
        spec.extends.push(("csd.yaml".into(), Vec::new()));
        spec.extends.push(("csd.yaml".into(), b"again".to_vec()));
    }),
];

#[test]
fn refusals_leave_nothing_behind() {
    let mut messages = String::new();
    for (case, mutate) in REFUSALS {
        let inputs = tempfile::tempdir().unwrap();
        let mut spec = helm_spec(inputs.path());
        mutate(&mut spec, inputs.path());
        let out = inputs.path().join("out");
        let error = match write(&spec, &out, &mut |_| {}) {
            Ok(written) => panic!(
                "{case}: expected a refusal, wrote {}",
                written.zip.display()
            ),
            Err(error) => error,
        };
        assert!(!out.exists(), "{case}: the output folder was created");
        let message = error
            .to_string()
            .replace(&inputs.path().display().to_string(), "[inputs]");
        writeln!(messages, "{case}:\n  {message}").unwrap();
    }
    insta::assert_snapshot!(messages);
}

#[test]
fn a_failure_while_placing_the_zip_leaves_nothing_behind() {
    let inputs = tempfile::tempdir().unwrap();
    let spec = helm_spec(inputs.path());
    let out = inputs.path().join("out");
    // A folder where the zip should go makes the final rename fail after the zip is streamed.
    fs::create_dir_all(out.join("redis-18.1.0.zip")).unwrap();
    fs::write(out.join("redis-18.1.0.zip.sha256"), b"stale").unwrap();
    let error = write(&spec, &out, &mut |_| {}).unwrap_err();
    assert!(matches!(error, Error::Write { .. }), "{error}");
    assert_eq!(listing(&out), ["redis-18.1.0.zip"]);
}

/// Writes, verifies and checks `spec` with external tools; returns the output folder, what was
/// written and a listing of it.
fn check_round_trip(spec: &PackageSpec) -> (tempfile::TempDir, Written, String) {
    let out = tempfile::tempdir().unwrap();
    let mut progress = Vec::new();
    let written = write(spec, out.path(), &mut |step| progress.push(step)).unwrap();

    let zip_name = format!("{}-{}.zip", spec.name, spec.version);
    assert_eq!(
        listing(out.path()),
        [zip_name.clone(), format!("{zip_name}.sha256")]
    );
    assert_eq!(written.bytes, fs::metadata(&written.zip).unwrap().len());
    let sha256_line = fs::read_to_string(&written.sha256_file).unwrap();
    assert_eq!(sha256_line, format!("{}  {zip_name}\n", written.sha256));
    let total = progress.last().map(|last| last.total).unwrap();
    assert_eq!(progress.last(), Some(&Progress { done: total, total }));

    let report = verify(&written.zip, Some(&written.sha256_file)).unwrap();
    assert_eq!(
        report.findings,
        [],
        "a freshly written package has findings"
    );
    assert_eq!(report.name.as_deref(), Some(spec.name.as_str()));
    assert_eq!(report.version.as_deref(), Some(spec.version.as_str()));

    check_with_external_tools(out.path(), &zip_name, &written);
    let mut listing = format!(
        "{zip_name}: {} bytes, sha256 {}\n",
        written.bytes, written.sha256
    );
    for entry in &written.entries {
        writeln!(
            listing,
            "{:>8} {:08x} {}",
            entry.size, entry.crc32, entry.path
        )
        .unwrap();
    }
    (out, written, listing)
}

/// `sha256sum -c` checks the `.sha256`, and Java's ZipInputStream and ZipFile, Python's zipfile
/// and `unzip -t` read every entry back as `write` says it wrote it.
fn check_with_external_tools(dir: &Path, zip_name: &str, written: &Written) {
    let output = Command::new("sha256sum")
        .args(["-c", &format!("{zip_name}.sha256")])
        .current_dir(dir)
        .output()
        .expect("sha256sum (GNU coreutils) must be installed: apt-get install coreutils");
    assert!(
        output.status.success(),
        "sha256sum -c refused the package:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let listed = readers::read_with_every_reader(&dir.join(zip_name))
        .unwrap_or_else(|error| panic!("{error}"));
    let expected: Vec<readers::Listed> = written
        .entries
        .iter()
        .map(|entry| readers::Listed {
            name: entry.path.clone(),
            size: entry.size,
            crc32: entry.crc32,
        })
        .collect();
    assert_eq!(listed, expected);
}

#[test]
fn helm_package_round_trips() {
    let inputs = tempfile::tempdir().unwrap();
    let (_out, _, listing) = check_round_trip(&helm_spec(inputs.path()));
    insta::assert_snapshot!(listing);
}

#[test]
fn operator_package_round_trips() {
    let inputs = tempfile::tempdir().unwrap();
    let (_out, written, listing) = check_round_trip(&operator_spec(inputs.path()));
    let report = verify(&written.zip, None).unwrap();
    assert_eq!(
        report.deployable.as_deref(),
        Some("etcd-operator/package/etcd-operator-0.9.4.zip")
    );
    assert_eq!(
        report.mapping.as_deref(),
        Some("etcd-operator/images/mapping.yaml")
    );
    insta::assert_snapshot!(listing);
}

#[test]
fn equal_inputs_give_equal_bytes() {
    let inputs = tempfile::tempdir().unwrap();
    let spec = helm_spec(inputs.path());
    let mut reordered = spec.clone();
    reordered.images.reverse();
    let zips: Vec<(Vec<u8>, String)> = [spec, reordered]
        .iter()
        .map(|spec| {
            let out = tempfile::tempdir().unwrap();
            let written = write(spec, out.path(), &mut |_| {}).unwrap();
            (fs::read(&written.zip).unwrap(), written.sha256)
        })
        .collect();
    assert!(zips[0] == zips[1], "two writes of the same package differ");
}

#[test]
fn rewriting_replaces_the_old_zip_and_its_checksum() {
    let inputs = tempfile::tempdir().unwrap();
    let spec = helm_spec(inputs.path());
    let out = inputs.path().join("out");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("redis-18.1.0.zip"), b"old").unwrap();
    fs::write(
        out.join("redis-18.1.0.zip.sha256"),
        b"0000  redis-18.1.0.zip\n",
    )
    .unwrap();
    let written = write(&spec, &out, &mut |_| {}).unwrap();
    let report = verify(&written.zip, Some(&written.sha256_file)).unwrap();
    assert_eq!(report.findings, []);
    assert_eq!(
        listing(&out),
        ["redis-18.1.0.zip", "redis-18.1.0.zip.sha256"]
    );
}

#[test]
fn sparse_image_of_64_mib_streams() {
    let inputs = tempfile::tempdir().unwrap();
    let mut spec = helm_spec(inputs.path());
    let big = inputs.path().join("big-1.0.tar");
    let size = 64 * 1024 * 1024;
    fs::File::create(&big).unwrap().set_len(size).unwrap();
    spec.images.push(big);
    let out = inputs.path().join("out");
    let mut reports = 0;
    let written = write(&spec, &out, &mut |_| reports += 1).unwrap();
    assert!(written.bytes > size);
    assert!(
        (16..=20).contains(&reports),
        "{reports} progress reports for 68 MiB"
    );
    let entry = written
        .entries
        .iter()
        .find(|entry| entry.path == "redis/images/big-1.0.tar")
        .unwrap();
    assert_eq!(entry.crc32, crc32_of_zeros(size));
}

fn crc32_of_zeros(len: u64) -> u32 {
    let mut crc = crc32fast::Hasher::new();
    let zeros = vec![0; 1024 * 1024];
    for _ in 0..len / zeros.len() as u64 {
        crc.update(&zeros);
    }
    crc.finalize()
}

/// Packages `spec` while `during_copy` runs once from the progress callback, after the first
/// 4 MiB step and so in the middle of the copy of `tar`, then expects the package refused with
/// an error naming `tar`, and nothing left in the output folder.
fn refused_when_changed_during_copy(
    spec: &PackageSpec,
    tar: &Path,
    during_copy: impl FnOnce(),
) -> String {
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("out");
    let mut during_copy = Some(during_copy);
    let mut called = false;
    let result = write(spec, &out, &mut |progress| {
        if progress.done > 0
            && progress.done < progress.total
            && let Some(change) = during_copy.take()
        {
            change();
            called = true;
        }
    });
    assert!(called, "the progress callback never ran during the copy");
    let error = match result {
        Ok(written) => panic!(
            "a tar changed during the copy, yet {} was written",
            written.zip.display()
        ),
        Err(error) => error,
    };
    assert!(matches!(error, Error::Changed { .. }), "{error}");
    let message = error.to_string();
    assert!(
        message.starts_with(&format!(
            "{}: changed while being packaged (",
            tar.display()
        )) && message.ends_with("): wait for it to be written and run again"),
        "{message}"
    );
    assert!(
        !out.exists(),
        "the output folder was left: {:?}",
        listing(&out)
    );
    message
}

/// A spec with one 12 MiB tar, long enough to be in the middle of when progress first reports.
fn spec_with_big_tar(inputs: &Path) -> (PackageSpec, PathBuf) {
    let mut spec = helm_spec(inputs);
    let tar = inputs.join("big-1.0.tar");
    fs::write(&tar, common::pattern(12 * 1024 * 1024, 7)).unwrap();
    spec.images = vec![tar.clone()];
    (spec, tar)
}

#[test]
fn a_tar_rewritten_in_place_during_the_copy_is_refused() {
    let inputs = tempfile::tempdir().unwrap();
    let (spec, tar) = spec_with_big_tar(inputs.path());
    let message = refused_when_changed_during_copy(&spec, &tar, || {
        // Same size, other bytes, same inode: only the bytes and the file's times tell.
        let mut file = fs::OpenOptions::new().write(true).open(&tar).unwrap();
        file.write_all(&common::pattern(12 * 1024 * 1024, 8))
            .unwrap();
    });
    assert!(!message.contains("bytes when"), "{message}");
}

#[test]
fn a_tar_replaced_by_a_rename_during_the_copy_is_refused() {
    let inputs = tempfile::tempdir().unwrap();
    let (spec, tar) = spec_with_big_tar(inputs.path());
    let message = refused_when_changed_during_copy(&spec, &tar, || {
        // Even with the very same bytes: the tar now on disk is not the file that was copied.
        let replacement = inputs.path().join("replacement");
        fs::copy(&tar, &replacement).unwrap();
        fs::rename(&replacement, &tar).unwrap();
    });
    assert!(message.contains("another file took its name"), "{message}");
}

#[test]
fn a_tar_that_grows_during_the_copy_is_refused() {
    let inputs = tempfile::tempdir().unwrap();
    let (spec, tar) = spec_with_big_tar(inputs.path());
    let message = refused_when_changed_during_copy(&spec, &tar, || {
        let mut file = fs::OpenOptions::new().append(true).open(&tar).unwrap();
        file.write_all(b"more").unwrap();
    });
    let size = 12 * 1024 * 1024;
    assert!(
        message.contains(&format!(
            "{size} bytes before the copy, {} bytes after it",
            size + 4
        )),
        "{message}"
    );
}

#[test]
fn stale_partials_of_this_zip_are_removed_and_nothing_else() {
    let inputs = tempfile::tempdir().unwrap();
    let spec = helm_spec(inputs.path());
    let out = inputs.path().join("out");
    fs::create_dir(&out).unwrap();
    let stale = ".redis-18.1.0.zip.Ab3xY9.partial";
    let kept = [
        // another package's
        ".redis-18.1.1.zip.Ab3xY9.partial",
        // not hidden
        "redis-18.1.0.zip.Ab3xY9.partial",
        // seven random characters
        ".redis-18.1.0.zip.Ab3xY9z.partial",
        // something after .partial
        ".redis-18.1.0.zip.Ab3xY9.partial.keep",
        // not alphanumeric
        ".redis-18.1.0.zip.Ab-xY9.partial",
        "notes.txt",
    ];
    for name in [stale].iter().chain(&kept) {
        fs::write(out.join(name), b"left by someone").unwrap();
    }
    // A folder of the right name is not a file this writer made.
    fs::create_dir(out.join(".redis-18.1.0.zip.Folder.partial")).unwrap();
    // One still being written by another run: it holds the lock.
    let live = ".redis-18.1.0.zip.Live01.partial";
    let live_file = fs::File::create(out.join(live)).unwrap();
    rustix::fs::flock(
        &live_file,
        rustix::fs::FlockOperation::NonBlockingLockExclusive,
    )
    .unwrap();

    write(&spec, &out, &mut |_| {}).unwrap();
    let mut expected: Vec<String> = kept.iter().map(|name| name.to_string()).collect();
    expected.extend([
        ".redis-18.1.0.zip.Folder.partial".into(),
        live.into(),
        "redis-18.1.0.zip".into(),
        "redis-18.1.0.zip.sha256".into(),
    ]);
    expected.sort();
    assert_eq!(listing(&out), expected);
    drop(live_file);
}

#[test]
fn a_failed_write_leaves_no_partial() {
    let inputs = tempfile::tempdir().unwrap();
    let (spec, tar) = spec_with_big_tar(inputs.path());
    let out = inputs.path().join("out");
    fs::create_dir(&out).unwrap();
    let mut truncated = false;
    let error = write(&spec, &out, &mut |progress| {
        if progress.done > 0 && !truncated {
            fs::File::create(&tar).unwrap();
            truncated = true;
        }
    })
    .unwrap_err();
    assert!(matches!(error, Error::Changed { .. }), "{error}");
    // The folder was there before, so it stays, empty.
    assert_eq!(listing(&out), Vec::<String>::new());
}
