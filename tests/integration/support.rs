//! Running the binary and the real Helm from tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

pub fn example(path: &str) -> PathBuf {
    repo_root().join("examples").join(path)
}

/// `helm-osc ARGS` with the real Helm as HELM_BIN and no other Helm variables leaking in from
/// the developer's shell.
pub fn helm_osc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_helm-osc"))
        .args(args)
        .env("HELM_BIN", helm())
        .env_remove("HELM_DEBUG")
        .env_remove("HELM_NAMESPACE")
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[track_caller]
pub fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        stdout(output),
        stderr(output)
    );
}

/// The real Helm: `HELM_BIN`, else `helm` on PATH, else the adapter over Helm's engine that
/// `cargo xtask helm` installs. Without any, the test fails and says how to get one.
pub fn helm() -> PathBuf {
    if let Some(bin) = std::env::var_os("HELM_BIN").filter(|bin| !bin.is_empty()) {
        return PathBuf::from(bin);
    }
    if let Some(path) = std::env::var_os("PATH")
        && let Some(helm) = std::env::split_paths(&path)
            .map(|dir| dir.join("helm"))
            .find(|helm| helm.is_file())
    {
        return helm;
    }
    let adapter = repo_root().join("target/helm-adapter/bin/helm");
    assert!(
        adapter.is_file(),
        "this test needs a real Helm: set HELM_BIN, put helm on PATH, or run `cargo xtask helm` \
         (or run the suite with `cargo xtask test`, which does it)"
    );
    adapter
}

/// `helm template` of a chart directory or archive, as a string; panics with Helm's words on failure.
pub fn helm_template(chart: &Path, extra: &[&str]) -> String {
    let output = Command::new(helm())
        .args(["template", "release", chart.to_str().unwrap()])
        .args(extra)
        .output()
        .unwrap();
    assert_success(&output);
    stdout(&output)
}

/// Extracts one entry of a zip into `dir`; returns its path.
pub fn unzip_entry(zip: &Path, entry: &str, dir: &Path) -> PathBuf {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    let mut file = archive
        .by_name(entry)
        .unwrap_or_else(|_| panic!("no {entry} in {}", zip.display()));
    let path = dir.join(entry.rsplit('/').next().unwrap());
    let mut out = std::fs::File::create(&path).unwrap();
    std::io::copy(&mut file, &mut out).unwrap();
    path
}

pub fn zip_entry_names(zip: &Path) -> Vec<String> {
    let archive = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    archive.file_names().map(str::to_string).collect()
}

pub fn sha256_hex(path: &Path) -> String {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    std::io::copy(&mut std::fs::File::open(path).unwrap(), &mut hasher).unwrap();
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Every file under `dir` with its bytes, to prove a command left its input alone.
pub fn snapshot_tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

/// Copies a directory tree (files only), for tests that must change a chart.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// Output with the machine's paths replaced, so snapshots hold on any checkout.
pub fn redact(text: &str) -> String {
    text.replace(helm().to_str().unwrap(), "[HELM]")
        .replace(repo_root().to_str().unwrap(), "[REPO]")
}

/// A `helm` that logs each call's arguments, one line per call, then runs the real Helm: for
/// counting how often a command renders.
pub struct LoggingHelm {
    _dir: tempfile::TempDir,
    pub bin: PathBuf,
    pub log: PathBuf,
}

impl LoggingHelm {
    pub fn new() -> LoggingHelm {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("helm");
        let log = dir.path().join("calls.log");
        std::fs::write(
            &bin,
            format!(
                // A serving helm (the adapter) gets its calls as JSON lines on stdin: those
                // are logged as they go in.
                "#!/bin/sh\necho \"$1\" >> '{log}'\nif [ \"$1\" = adapter-serve ]; then\n  \
                 tee -a '{log}' | '{helm}' \"$@\"\n  exit $?\nfi\nexec '{helm}' \"$@\"\n",
                log = log.display(),
                helm = helm().display()
            ),
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        LoggingHelm {
            _dir: dir,
            bin,
            log,
        }
    }

    /// Runs `helm-osc ARGS` with this helm, and returns its output and the helm subcommands it
    /// ran, as processes (`adapter-serve` for a serving one) and as calls served.
    pub fn run(&self, args: &[&str]) -> (Output, Vec<String>) {
        let _ = std::fs::remove_file(&self.log);
        let output = Command::new(env!("CARGO_BIN_EXE_helm-osc"))
            .args(args)
            .env("HELM_BIN", &self.bin)
            .env_remove("HELM_DEBUG")
            .env_remove("HELM_NAMESPACE")
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let calls = std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(
                |line| match serde_json::from_str::<serde_json::Value>(line) {
                    Ok(served) => served["args"][0].as_str().unwrap_or_default().to_owned(),
                    Err(_) => line.to_owned(),
                },
            )
            .collect();
        (output, calls)
    }
}
