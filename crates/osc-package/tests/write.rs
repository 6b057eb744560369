mod common;

use std::fmt::Write as _;
use std::fs;
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

    check_with_external_tools(out.path(), &zip_name);
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

/// `sha256sum -c`, `python3 -m zipfile -t` and `unzip -t`, when the machine has them.
fn check_with_external_tools(dir: &Path, zip_name: &str) {
    let checks: [(&str, Vec<String>); 3] = [
        ("sha256sum", vec!["-c".into(), format!("{zip_name}.sha256")]),
        (
            "python3",
            vec!["-m".into(), "zipfile".into(), "-t".into(), zip_name.into()],
        ),
        ("unzip", vec!["-t".into(), zip_name.into()]),
    ];
    for (program, args) in checks {
        let Ok(output) = Command::new(program).args(&args).current_dir(dir).output() else {
            eprintln!("{program} is not installed; skipped");
            continue;
        };
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && !stdout.contains("corrupted"),
            "{program} refused the package:\n{stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
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
fn output_files_get_ordinary_permissions() {
    use std::os::unix::fs::PermissionsExt as _;
    let inputs = tempfile::tempdir().unwrap();
    let written = write(
        &helm_spec(inputs.path()),
        &inputs.path().join("out"),
        &mut |_| {},
    )
    .unwrap();
    let ordinary: PathBuf = inputs.path().join("ordinary");
    fs::write(&ordinary, b"").unwrap();
    let mode = |path: &Path| fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&written.zip), mode(&ordinary));
    assert_eq!(mode(&written.sha256_file), mode(&ordinary));
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
