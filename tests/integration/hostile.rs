//! Hostile and broken inputs, each built here: every command answers with a named error (exit 1),
//! within seconds and 256 MiB, and writes nothing outside its output.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::*;

/// Memory no command may exceed on a hostile input: the data segment (heap and private
/// mappings), which is what an allocation that follows a lying header grows.
const MEMORY_LIMIT: u64 = 256 * 1024 * 1024;
/// Time after which a command counts as hung.
const TIME_LIMIT: Duration = Duration::from_secs(20);

/// `helm-osc ARGS` under `prlimit --data` and a time limit; a kill for either fails the test.
#[track_caller]
fn bounded(args: &[&str]) -> Output {
    bounded_for(args, TIME_LIMIT)
}

/// [`bounded`] with its own time limit, for inputs that are slow to parse in a debug build but
/// not hostile in what they cost.
#[track_caller]
fn bounded_for(args: &[&str], time_limit: Duration) -> Output {
    let mut child = Command::new("prlimit")
        .arg(format!("--data={MEMORY_LIMIT}"))
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_helm-osc"))
        .args(args)
        .env("HELM_BIN", helm())
        .env_remove("HELM_DEBUG")
        .env_remove("HELM_NAMESPACE")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("prlimit (util-linux) runs these tests: apt-get install util-linux");
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > time_limit {
            child.kill().unwrap();
            let output = child.wait_with_output().unwrap();
            panic!(
                "helm-osc {args:?} hung for {time_limit:?}\nstderr:\n{}",
                stderr(&output)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    let code = output.status.code();
    assert!(
        matches!(code, Some(0..=2)),
        "helm-osc {args:?} died (exit {code:?}, signal: killed for memory or aborted)\nstderr:\n{}",
        stderr(&output)
    );
    output
}

/// Exit 1 with every `want` in stderr, each once at most for the first.
#[track_caller]
fn refused(output: &Output, want: &[&str]) {
    let stderr = stderr(output);
    assert_eq!(output.status.code(), Some(1), "stderr:\n{stderr}");
    for want in want {
        assert!(stderr.contains(want), "{want:?} not in:\n{stderr}");
    }
    assert!(
        stderr.len() < 20_000,
        "stderr echoes the input: {} bytes",
        stderr.len()
    );
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A ustar header with exactly this name and type; the tar crate would clean names like these.
fn tar_header(name: &str, typeflag: u8, size: u64, link: &str) -> [u8; 512] {
    let mut block = [0u8; 512];
    block[..name.len()].copy_from_slice(name.as_bytes());
    block[100..107].copy_from_slice(b"0000644");
    block[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
    block[156] = typeflag;
    block[157..157 + link.len()].copy_from_slice(link.as_bytes());
    block[257..263].copy_from_slice(b"ustar\0");
    block[263..265].copy_from_slice(b"00");
    block[148..156].copy_from_slice(b"        ");
    let sum: u64 = block.iter().map(|&b| u64::from(b)).sum();
    block[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    block
}

#[derive(Default)]
struct Tar(Vec<u8>);

impl Tar {
    fn file(self, name: &str, data: &[u8]) -> Tar {
        self.entry(name, b'0', data.len() as u64, "", data)
    }

    fn entry(mut self, name: &str, typeflag: u8, size: u64, link: &str, data: &[u8]) -> Tar {
        self.0
            .extend_from_slice(&tar_header(name, typeflag, size, link));
        self.0.extend_from_slice(data);
        let padded = self.0.len().div_ceil(512) * 512;
        self.0.resize(padded, 0);
        self
    }

    fn tgz(mut self) -> Vec<u8> {
        self.0.extend_from_slice(&[0; 1024]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&self.0).unwrap();
        gz.finish().unwrap()
    }
}

const CHART_YAML: &str = "apiVersion: v2\nname: app\nversion: 1.0.0\ndescription: d\nmaintainers:\n  - name: A\n    email: a@example.com\n";

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, data) in entries {
        zip.start_file(*name, options).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// Renames every occurrence of `from` in the zip's bytes; the zip writer refuses two entries of
/// one name, so duplicates are made this way.
fn rename_in(mut bytes: Vec<u8>, from: &str, to: &str) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let mut at = 0;
    while at + from.len() <= bytes.len() {
        if &bytes[at..at + from.len()] == from.as_bytes() {
            bytes[at..at + from.len()].copy_from_slice(to.as_bytes());
        }
        at += 1;
    }
    bytes
}

/// The example operator bundle's files, under `top/`.
fn bundle_entries() -> Vec<(String, Vec<u8>)> {
    let root = example("kvstore-operator");
    let mut entries = Vec::new();
    for dir in ["manifests", "metadata"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let name = format!("top/{dir}/{}", path.file_name().unwrap().to_string_lossy());
            entries.push((name, std::fs::read(&path).unwrap()));
        }
    }
    entries
}

fn bundle_zip_with(extra: &[(&str, &[u8])]) -> Vec<u8> {
    let entries = bundle_entries();
    let mut all: Vec<(&str, &[u8])> = entries
        .iter()
        .map(|(name, data)| (name.as_str(), data.as_slice()))
        .collect();
    all.extend_from_slice(extra);
    zip_of(&all)
}

/// Every file under `dir`, for showing that nothing landed where it should not.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push(path);
        }
    }
    found
}

#[test]
fn a_bundle_zip_entry_climbing_out_writes_nothing_outside() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let bundle = work.join("bundle.zip");
    std::fs::write(
        &bundle,
        bundle_zip_with(&[("top/../../../../escaped/evil.yaml", b"kind: Evil\n")]),
    )
    .unwrap();
    let out = work.join("out");
    let output = bounded(&[
        "rewrite",
        s(&bundle),
        "--registry",
        "registry.example.com/team",
        "-o",
        s(&out),
    ]);
    refused(&output, &["bundle.zip", "a `..` segment"]);
    assert!(!out.exists());
    let leaked: Vec<PathBuf> = files_under(dir.path())
        .into_iter()
        .filter(|path| path.to_string_lossy().contains("evil"))
        .collect();
    assert!(leaked.is_empty(), "{leaked:?}");
    assert!(!Path::new("/escaped/evil.yaml").exists());
    for command in ["package", "lint", "images"] {
        let output = bounded(&[command, s(&bundle), "-d", s(&work)]);
        let output = if output.status.code() == Some(2) {
            bounded(&[command, s(&bundle)])
        } else {
            output
        };
        refused(&output, &["a `..` segment"]);
    }
}

#[test]
fn verify_and_lint_refuse_unsafe_and_duplicate_package_entries() {
    let dir = tempfile::tempdir().unwrap();
    let tgz = Tar::default()
        .file("app/Chart.yaml", CHART_YAML.as_bytes())
        .tgz();
    let escaping = dir.path().join("app-1.0.0.zip");
    std::fs::write(
        &escaping,
        zip_of(&[
            ("app/package/app-1.0.0.tgz", &tgz),
            ("x/../../../../etc/x", b"evil"),
        ]),
    )
    .unwrap();
    for command in ["verify", "lint"] {
        let output = bounded(&[command, s(&escaping)]);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{command}: {}",
            stderr(&output)
        );
        assert!(
            stdout(&output).contains("zip-unsafe-entry")
                || stderr(&output).contains("a `..` segment"),
            "{command}: {}{}",
            stdout(&output),
            stderr(&output)
        );
    }
    let twice = dir.path().join("twice").join("app-1.0.0.zip");
    std::fs::create_dir(twice.parent().unwrap()).unwrap();
    std::fs::write(
        &twice,
        rename_in(
            zip_of(&[
                ("app/package/app-1.0.0.tgz", &tgz),
                ("app/images/mapping.yaml", b"instance: []\n"),
                ("app/images/mapping.yamX", b"instance: [x]\n"),
            ]),
            "app/images/mapping.yamX",
            "app/images/mapping.yaml",
        ),
    )
    .unwrap();
    let output = bounded(&["verify", s(&twice)]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("in the zip twice"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn an_empty_path_segment_is_an_error_not_an_abort() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("bundle.zip");
    std::fs::write(&bundle, bundle_zip_with(&[("top//x.yaml", b"a: 1\n")])).unwrap();
    for args in [
        vec!["package", s(&bundle), "-d", s(dir.path())],
        vec!["lint", s(&bundle)],
        vec![
            "rewrite",
            s(&bundle),
            "--registry",
            "r.example.com/t",
            "-o",
            dir.path().join("out").to_str().unwrap(),
        ],
    ] {
        let output = bounded(&args);
        refused(&output, &["an empty segment"]);
    }
    let left: Vec<PathBuf> = files_under(dir.path())
        .into_iter()
        .filter(|path| path.file_name().is_some_and(|name| name != "bundle.zip"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[cfg(unix)]
#[test]
fn fifos_are_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("chart");
    std::fs::create_dir(&chart).unwrap();
    std::fs::write(chart.join("Chart.yaml"), CHART_YAML).unwrap();
    let mkfifo = |path: &Path| {
        assert!(Command::new("mkfifo").arg(path).status().unwrap().success());
    };
    mkfifo(&chart.join(".helmignore"));
    for args in [
        vec!["package", s(&chart), "-d", s(dir.path())],
        vec!["lint", s(&chart)],
    ] {
        refused(&bounded(&args), &[".helmignore", "not a regular file"]);
    }
    std::fs::remove_file(chart.join(".helmignore")).unwrap();
    let images = dir.path().join("images");
    std::fs::create_dir(&images).unwrap();
    mkfifo(&images.join("x.tar"));
    let output = bounded(&[
        "package",
        s(&chart),
        "--images",
        s(&images),
        "-d",
        dir.path().join("dist").to_str().unwrap(),
    ]);
    refused(&output, &["x.tar", "not a regular file"]);
}

#[test]
fn lying_headers_cost_no_memory() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "long-name.tgz",
            Tar::default()
                .file("app/Chart.yaml", CHART_YAML.as_bytes())
                .entry("././@LongLink", b'L', 1 << 30, "", &[b'a'; 1 << 20])
                .tgz(),
            "a GNU long-name header of 1073741824 bytes",
        ),
        (
            "pax.tgz",
            Tar::default()
                .file("app/Chart.yaml", CHART_YAML.as_bytes())
                .entry("PaxHeaders/x", b'x', 256 << 20, "", &[b'a'; 1 << 20])
                .tgz(),
            "a PAX header of 268435456 bytes",
        ),
        (
            "links.tgz",
            {
                let mut tar = Tar::default()
                    .file("app/Chart.yaml", CHART_YAML.as_bytes())
                    .file("app/files/big", &vec![7u8; 5 << 20]);
                for index in 0..200 {
                    tar = tar.entry(
                        &format!("app/files/l{index}"),
                        b'1',
                        0,
                        "app/files/big",
                        b"",
                    );
                }
                tar.tgz()
            },
            "inside the archive",
        ),
    ];
    for (name, bytes, want) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        for command in ["lint", "package"] {
            let output = bounded(&[command, s(&path), "-d", s(dir.path())]);
            let output = if output.status.code() == Some(2) {
                bounded(&[command, s(&path)])
            } else {
                output
            };
            refused(&output, &[name, want]);
        }
    }
}

/// Eight levels of subcharts of 20 MiB each: each nested `.tgz` counts against the one budget of
/// the chart it sits in, so the whole is refused at Helm's 100 MiB, not read eight times over.
#[test]
fn nested_subcharts_share_one_budget() {
    let payload: Vec<u8> = (0..5 << 20)
        .map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let mut inner: Option<Vec<u8>> = None;
    for level in 0..8 {
        let name = format!("c{level}");
        let chart_yaml = format!("apiVersion: v2\nname: {name}\nversion: 1.0.0\n");
        let mut tar = Tar::default().file(&format!("{name}/Chart.yaml"), chart_yaml.as_bytes());
        for part in 0..4 {
            tar = tar.file(&format!("{name}/files/p{part}"), &payload);
        }
        if let Some(sub) = &inner {
            tar = tar.file(&format!("{name}/charts/c{}-1.0.0.tgz", level - 1), sub);
        }
        inner = Some(tar.tgz());
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested.tgz");
    std::fs::write(&path, inner.unwrap()).unwrap();
    refused(&bounded(&["lint", s(&path)]), &["in all"]);
}

#[test]
fn charts_with_links_or_two_chart_yamls_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let link = Tar::default()
        .file("app/Chart.yaml", CHART_YAML.as_bytes())
        .file("app/templates/cm.yaml", b"kind: ConfigMap\n")
        .entry("app/templates/again.yaml", b'2', 0, "cm.yaml", b"")
        .tgz();
    let twice = Tar::default()
        .file("app/Chart.yaml", CHART_YAML.as_bytes())
        .file(
            "app/Chart.yaml",
            b"apiVersion: v2\nname: other\nversion: 9.9.9\n",
        )
        .tgz();
    for (name, bytes, want) in [
        (
            "link.tgz",
            link,
            "Helm reads a link in a chart archive as an empty file",
        ),
        ("twice.tgz", twice, "twice in the archive"),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        refused(&bounded(&["lint", s(&path)]), &[name, want]);
    }
}

#[test]
fn a_stale_partial_file_of_ours_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    std::fs::create_dir(&dist).unwrap();
    let stale = dist.join(".etcd-1.2.0.zip.Ab12Cd.partial");
    std::fs::write(&stale, vec![0u8; 4096]).unwrap();
    let unrelated = dist.join("notes.partial");
    std::fs::write(&unrelated, "mine").unwrap();
    let output = bounded(&[
        "package",
        s(&example("etcd")),
        "--images",
        s(&example("etcd-images")),
        "-d",
        s(&dist),
    ]);
    assert_success(&output);
    assert!(!stale.exists());
    assert!(unrelated.exists());
    assert!(dist.join("etcd-1.2.0.zip").is_file());
}

/// Each careless input gets a message that says what the input is and what to do.
#[test]
fn careless_inputs_get_clear_messages() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_zip = dir.path().join("bundle.zip");
    std::fs::write(&not_a_zip, "these are notes, not a zip\n").unwrap();
    refused(
        &bounded(&["package", s(&not_a_zip)]),
        &[
            "bundle.zip",
            "neither a gzipped tar, a tar nor a zip",
            "give a chart",
        ],
    );

    let absolute = dir.path().join("svc-1.0.0.zip");
    std::fs::write(
        &absolute,
        zip_of(&[("svc/package/svc-1.0.0.tgz", b"x"), ("/etc/x", b"evil")]),
    )
    .unwrap();
    refused(&bounded(&["package", s(&absolute)]), &["an absolute path"]);

    let no_manifests = dir.path().join("operator");
    std::fs::create_dir(&no_manifests).unwrap();
    std::fs::write(no_manifests.join("README.md"), "an operator, one day\n").unwrap();
    refused(
        &bounded(&["lint", s(&no_manifests)]),
        &["neither a chart (no Chart.yaml), an operator bundle (no manifests/"],
    );

    #[cfg(unix)]
    {
        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();
        let output = bounded(&["lint", s(&example("etcd")), "--fix", "-o", s(&dangling)]);
        refused(&output, &["a symbolic link", "give the real path"]);
        assert!(!dir.path().join("nowhere").exists());
    }

    let out_dir = dir.path().join("mapping-dir");
    std::fs::create_dir(&out_dir).unwrap();
    let output = bounded(&[
        "mapping",
        s(&example("etcd")),
        "--images",
        s(&example("etcd-images")),
        "-o",
        s(&out_dir),
    ]);
    refused(&output, &["a folder; give a file path"]);
    assert_eq!(
        stderr(&output)
            .matches("a folder; give a file path")
            .count(),
        1
    );

    let chart = dir.path().join("chart");
    copy_dir(&example("etcd"), &chart);
    let output = bounded(&[
        "package",
        s(&chart),
        "-d",
        chart.join("dist").to_str().unwrap(),
    ]);
    refused(&output, &["lies inside the source folder"]);
    assert!(!chart.join("dist").exists());
}

#[cfg(unix)]
#[test]
fn outputs_have_one_file_mode() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let mapping = dir.path().join("mapping.yaml");
    let output = bounded(&[
        "mapping",
        s(&example("etcd")),
        "--images",
        s(&example("etcd-images")),
        "-o",
        s(&mapping),
    ]);
    assert_success(&output);
    let zip = dir.path().join("etcd-1.0.0.zip");
    let output = bounded(&["convert", s(&example("etcd")), "-o", s(&zip)]);
    assert_success(&output);
    let modes: Vec<u32> = [&mapping, &zip]
        .iter()
        .map(|path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777)
        .collect();
    assert_eq!(modes[0], modes[1], "{:o} {:o}", modes[0], modes[1]);
    assert_eq!(modes[0] & 0o644, 0o644 & !0o022 & modes[0]);
    assert_ne!(
        modes[0] & 0o044,
        0,
        "outputs are readable by others, as `package`'s are: {:o}",
        modes[0]
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A 3 MiB alm-examples that is no JSON is named by its line and column, never echoed. (Each
/// edit of the CSV parses it again: about 2 s in a release build, several times that in the
/// debug build tests run.)
#[test]
fn a_huge_broken_alm_examples_is_not_echoed() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("bundle");
    copy_dir(&example("kvstore-operator"), &bundle);
    let csv = std::fs::read_dir(bundle.join("manifests"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.to_string_lossy().contains("clusterserviceversion"))
        .unwrap();
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let at = lines
        .iter()
        .position(|line| line.contains("alm-examples: |-"))
        .unwrap();
    let end = (at + 1..lines.len())
        .find(|&index| !lines[index].starts_with("      "))
        .unwrap();
    let huge = format!("      [{{\"kind\": \"{}\"", "x".repeat(3 << 20));
    lines.splice(at + 1..end, [huge]);
    std::fs::write(&csv, lines.join("\n")).unwrap();
    for args in [
        vec!["lint", s(&bundle)],
        vec!["images", s(&bundle)],
        vec!["mapping", s(&bundle)],
        vec![
            "package",
            s(&bundle),
            "-d",
            dir.path().join("d").to_str().unwrap(),
        ],
        vec!["rewrite", s(&bundle), "--registry", "r.example.com/t"],
    ] {
        let output = bounded_for(&args, Duration::from_secs(120));
        let printed = output.stdout.len() + output.stderr.len();
        assert!(printed < 50_000, "{args:?} printed {printed} bytes");
    }
}
