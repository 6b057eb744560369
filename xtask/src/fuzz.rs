//! `cargo xtask fuzz [--time S] [--seed] [TARGET...]`: the fuzz targets in `fuzz/` (cargo-fuzz,
//! a workspace of its own), seeded from the project's own fixtures, each run for S seconds after
//! its regressions replay; fails naming the target and crash file when any target crashes.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Instant, SystemTime};

use anyhow::{Context, Result, bail};
use xshell::{Shell, cmd};

/// Every target, with the largest input it is given: charts, bundles and packages are archives
/// of a few KiB to hundreds; YAML and image tars stay small so one input never nears the timeout.
const TARGETS: &[(&str, usize)] = &[
    ("yaml_edit", 64 * 1024),
    ("archive_read", 1024 * 1024),
    ("chart_load", 1024 * 1024),
    ("bundle_load", 1024 * 1024),
    ("image_tar", 256 * 1024),
    ("package_verify", 1024 * 1024),
];

/// No sanitizer: the project's code is safe Rust, so what the targets look for (panics, broken
/// invariants, hangs, memory blow-ups) needs none, and AddressSanitizer would halve the
/// executions on a 2-core machine. `cargo fuzz run` rebuilds unless it gets the build's flags.
const BUILD_FLAGS: &[&str] = &["--sanitizer", "none"];

/// libFuzzer's limits for every run: a slow input (10 s) or a large allocation (512 MiB) is a
/// finding, like a crash.
const LIBFUZZER_LIMITS: &[&str] = &["-timeout=10", "-rss_limit_mb=512"];

/// The scratch folders of the fuzz targets (see fuzz/src/lib.rs), named by process id.
const SCRATCH_PREFIX: &str = "helm-osc-fuzz-";

/// Makes the targets check inputs they skip for known open bugs too (see fuzz/src/lib.rs).
const STRICT_VAR: &str = "HELM_OSC_FUZZ_STRICT";

const USAGE: &str = "cargo xtask fuzz [--time SECONDS] [--seed] [TARGET...]";

pub(crate) fn run(sh: &Shell, args: &[String]) -> Result<()> {
    let mut seconds: u64 = 60;
    let mut seed_only = false;
    let mut targets: Vec<(&str, usize)> = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--time" => {
                let value = args
                    .next()
                    .with_context(|| format!("--time needs a number of seconds: {USAGE}"))?;
                seconds = value.parse().with_context(|| {
                    format!("--time {value}: not a whole number of seconds: {USAGE}")
                })?;
            }
            "--seed" => seed_only = true,
            name => match TARGETS.iter().find(|(target, _)| *target == name) {
                Some(target) => targets.push(*target),
                None => bail!(
                    "unknown fuzz target or option `{name}`: {USAGE}\ntargets: {}",
                    TARGETS
                        .iter()
                        .map(|(target, _)| *target)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            },
        }
    }
    if targets.is_empty() {
        targets = TARGETS.to_vec();
    }
    let root = sh.current_dir();
    let fuzz_dir = root.join("fuzz");

    let started = Instant::now();
    for (target, _) in &targets {
        seed(sh, &root, target)?;
    }
    eprintln!(
        "fuzz: seeded {} corpus folder(s) under fuzz/corpus/ in {:.0?}",
        targets.len(),
        started.elapsed()
    );
    if seed_only {
        return Ok(());
    }

    ensure_cargo_fuzz(sh)?;
    let build_started = Instant::now();
    let status = cargo_fuzz(&root, "build")
        .status()
        .context("running `cargo fuzz build` failed")?;
    if !status.success() {
        bail!("`cargo fuzz build` failed ({status}): the fuzz targets in fuzz/ do not compile");
    }
    eprintln!("fuzz: built the targets in {:.0?}", build_started.elapsed());

    let logs = fuzz_dir.join("logs");
    fs::create_dir_all(&logs).with_context(|| format!("cannot create {}", logs.display()))?;
    let mut failures = Vec::new();
    for (target, _) in &targets {
        failures.extend(replay_known(&root, &logs, target)?);
    }
    let mut outcomes = Vec::new();
    for (target, max_len) in &targets {
        let outcome = fuzz(&root, &logs, target, *max_len, seconds)?;
        eprintln!("fuzz: {}", outcome.line());
        if let Some(failure) = &outcome.failure {
            failures.push(failure.clone());
        }
        outcomes.push(outcome);
    }
    remove_stale_scratch();

    eprintln!(
        "\nfuzz: {seconds} s per target, {:.0?} in all",
        started.elapsed()
    );
    for outcome in &outcomes {
        eprintln!("  {}", outcome.line());
    }
    if !failures.is_empty() {
        bail!(
            "{} fuzz failure(s):\n{}\nreplay one with `RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir fuzz {} TARGET FILE`; once fixed, keep the file in fuzz/regressions/TARGET/",
            failures.len(),
            failures.join("\n"),
            BUILD_FLAGS.join(" ")
        );
    }
    Ok(())
}

/// `cargo fuzz SUBCOMMAND` on fuzz/ with the build flags, on the stable toolchain:
/// RUSTC_BOOTSTRAP=1 lets it pass the nightly-only flags (`-Z`, `-C passes=sancov-module`) that
/// libFuzzer instrumentation needs.
fn cargo_fuzz(root: &Path, subcommand: &str) -> Command {
    let mut command = Command::new("cargo");
    command
        .current_dir(root)
        .env("RUSTC_BOOTSTRAP", "1")
        .args(["fuzz", subcommand, "--fuzz-dir", "fuzz"])
        .args(BUILD_FLAGS);
    command
}

fn ensure_cargo_fuzz(sh: &Shell) -> Result<()> {
    let present = cmd!(sh, "cargo fuzz --version")
        .quiet()
        .ignore_stdout()
        .ignore_stderr()
        .run()
        .is_ok();
    if !present {
        eprintln!("fuzz: installing cargo-fuzz (once per machine)");
        cmd!(sh, "cargo install cargo-fuzz --locked --version ^0.13")
            .run()
            .context("installing cargo-fuzz failed: it needs crates.io and a C++ compiler (libFuzzer is built from source); install it by hand with `cargo install cargo-fuzz --locked`")?;
    }
    Ok(())
}

/// The files of fuzz/FOLDER/TARGET/, in name order.
fn inputs(root: &Path, folder: &str, target: &str) -> Result<Vec<PathBuf>> {
    let dir = root.join("fuzz").join(folder).join(target);
    let Ok(entries) = fs::read_dir(&dir) else {
        return Ok(Vec::new());
    };
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<_, _>>()
        .with_context(|| format!("cannot list {}", dir.display()))?;
    files.retain(|file| file.is_file());
    files.sort();
    Ok(files)
}

/// Runs `target` once on `file` (given a file, not a folder, libFuzzer runs it and stops);
/// `strict` also checks what the target skips for known open bugs. Returns whether it passed.
fn replay(root: &Path, log_path: &Path, target: &str, file: &Path, strict: bool) -> Result<bool> {
    let log = fs::File::create(log_path)
        .with_context(|| format!("cannot create {}", log_path.display()))?;
    let mut command = cargo_fuzz(root, "run");
    if strict {
        command.env(STRICT_VAR, "1");
    }
    let status = command
        .arg(target)
        .arg(file)
        .arg("--")
        .args(LIBFUZZER_LIMITS)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .status()
        .with_context(|| format!("running {target} on {} failed", file.display()))?;
    Ok(status.success())
}

/// Replays fuzz/regressions/TARGET/ (bugs fixed: each must pass) and fuzz/open/TARGET/ (bugs
/// reported, not fixed yet: each is expected to fail when checked strictly, and one that passes
/// is announced so its skip in the target can go). Returns the failures.
fn replay_known(root: &Path, logs: &Path, target: &str) -> Result<Vec<String>> {
    let mut failures = Vec::new();
    let regressions = inputs(root, "regressions", target)?;
    for file in &regressions {
        let log_path = logs.join(format!("{target}-regression.log"));
        if !replay(root, &log_path, target, file, false)? {
            print_tail(&log_path);
            failures.push(format!(
                "  {target}: regression {} fails again; log {}",
                file.display(),
                log_path.display()
            ));
        }
    }
    let open = inputs(root, "open", target)?;
    let mut fixed = Vec::new();
    for file in &open {
        let log_path = logs.join(format!("{target}-open.log"));
        if replay(root, &log_path, target, file, true)? {
            fixed.push(file.display().to_string());
        }
    }
    if !regressions.is_empty() || !open.is_empty() {
        eprintln!(
            "fuzz: {target}: {} regression(s) replayed, {} failing; {} open bug reproducer(s), {} no longer failing",
            regressions.len(),
            failures.len(),
            open.len(),
            fixed.len()
        );
    }
    for file in fixed {
        eprintln!(
            "fuzz: {target}: {file} passes now: its bug looks fixed; move it to fuzz/regressions/{target}/ and drop its skip (where fuzz/fuzz_targets/{target}.rs calls strict())"
        );
    }
    Ok(failures)
}

struct Outcome {
    target: String,
    executions: Option<u64>,
    per_second: Option<u64>,
    new_units: Option<u64>,
    corpus_files: usize,
    corpus_bytes: u64,
    failure: Option<String>,
}

impl Outcome {
    fn line(&self) -> String {
        let number = |value: Option<u64>| value.map_or("?".to_string(), |value| value.to_string());
        format!(
            "{:<15} {:>10} execs {:>7} exec/s  corpus {:>5} files {:>8} bytes ({} new)  {}",
            self.target,
            number(self.executions),
            number(self.per_second),
            self.corpus_files,
            self.corpus_bytes,
            number(self.new_units),
            if self.failure.is_some() {
                "CRASHED"
            } else {
                "ok"
            }
        )
    }
}

/// Fuzzes one target for `seconds` with one process, its corpus in fuzz/corpus/TARGET/ and its
/// output in fuzz/logs/TARGET.log.
fn fuzz(root: &Path, logs: &Path, target: &str, max_len: usize, seconds: u64) -> Result<Outcome> {
    let corpus = root.join("fuzz/corpus").join(target);
    let log_path = logs.join(format!("{target}.log"));
    let log = fs::File::create(&log_path)
        .with_context(|| format!("cannot create {}", log_path.display()))?;
    let started = SystemTime::now();
    let status = cargo_fuzz(root, "run")
        .arg(target)
        .arg(&corpus)
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .arg(format!("-max_len={max_len}"))
        .args(LIBFUZZER_LIMITS)
        .arg("-print_final_stats=1")
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .status()
        .with_context(|| format!("running fuzz target {target} failed"))?;
    let text = fs::read_to_string(&log_path).unwrap_or_default();
    let stat = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(&format!("stat::{name}:")))
            .and_then(|value| value.trim().parse::<u64>().ok())
    };
    let (corpus_files, corpus_bytes) = folder_size(&corpus);
    let failure = (!status.success()).then(|| {
        print_tail(&log_path);
        let artifacts = crash_files(&text, &root.join("fuzz/artifacts").join(target), started);
        format!(
            "  {target}: {} ({status}); log {}",
            if artifacts.is_empty() {
                "failed without a crash file".to_string()
            } else {
                format!("crash file {}", artifacts.join(", "))
            },
            log_path.display()
        )
    });
    Ok(Outcome {
        target: target.to_string(),
        executions: stat("number_of_executed_units"),
        per_second: stat("average_exec_per_sec"),
        new_units: stat("new_units_added"),
        corpus_files,
        corpus_bytes,
        failure,
    })
}

/// The inputs libFuzzer saved for a failure: the files it names, else those made since `since`.
fn crash_files(log: &str, artifacts: &Path, since: SystemTime) -> Vec<String> {
    let named: Vec<String> = log
        .lines()
        .filter_map(|line| line.split_once("Test unit written to "))
        .map(|(_, file)| file.trim().to_string())
        .collect();
    if !named.is_empty() {
        return named;
    }
    let Ok(entries) = fs::read_dir(artifacts) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|entry| {
            entry
                .metadata()
                .and_then(|meta| meta.modified())
                .is_ok_and(|modified| modified >= since)
        })
        .map(|entry| entry.path().display().to_string())
        .collect()
}

fn print_tail(log_path: &Path) {
    let text = fs::read_to_string(log_path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(40);
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "--- last lines of {}:", log_path.display());
    for line in &lines[start..] {
        let _ = writeln!(stderr, "{line}");
    }
}

fn folder_size(dir: &Path) -> (usize, u64) {
    let Ok(entries) = fs::read_dir(dir) else {
        return (0, 0);
    };
    entries
        .flatten()
        .filter_map(|entry| entry.metadata().ok())
        .filter(|meta| meta.is_file())
        .fold((0, 0), |(files, bytes), meta| {
            (files + 1, bytes + meta.len())
        })
}

/// The fuzz targets keep their files in a folder per process that outlives it (libFuzzer ends
/// with `exit`); removes those of processes that are gone. The same sweep as fuzz/src/lib.rs,
/// which this crate cannot use: it is in the fuzz workspace, built with libFuzzer.
fn remove_stale_scratch() {
    for base in [Path::new("/dev/shm").to_path_buf(), std::env::temp_dir()] {
        let Ok(entries) = fs::read_dir(&base) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(pid) = name
                .to_str()
                .and_then(|name| name.strip_prefix(SCRATCH_PREFIX))
                .filter(|pid| pid.bytes().all(|byte| byte.is_ascii_digit()))
            else {
                continue;
            };
            if !Path::new("/proc").join(pid).exists() {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    }
}

/// Writes the seeds of `target` into fuzz/corpus/TARGET/ as `seed-*` files, from the project's
/// own fixtures and examples (made with the project's own writers), replacing earlier seeds.
fn seed(sh: &Shell, root: &Path, target: &str) -> Result<()> {
    let corpus = root.join("fuzz/corpus").join(target);
    fs::create_dir_all(&corpus).with_context(|| format!("cannot create {}", corpus.display()))?;
    let seeds: Vec<(String, Vec<u8>)> = match target {
        "yaml_edit" => yaml_seeds(root)?,
        "archive_read" => {
            let mut seeds = chart_seeds(sh, root)?;
            seeds.extend(bundle_seeds(root)?);
            seeds.extend(image_seeds(root)?);
            seeds
        }
        "chart_load" => chart_seeds(sh, root)?,
        "bundle_load" => bundle_seeds(root)?,
        "image_tar" => image_seeds(root)?,
        "package_verify" => {
            let mut seeds = package_seeds(sh, root)?;
            // Zips of another layout: verify's layout rules all fire on them.
            seeds.extend(
                bundle_seeds(root)?
                    .into_iter()
                    .filter(|(name, _)| name.ends_with(".zip")),
            );
            seeds
        }
        other => {
            bail!("no seeds are defined for fuzz target `{other}`: add them in xtask/src/fuzz.rs")
        }
    };
    for (name, data) in seeds {
        let path = corpus.join(format!("seed-{name}"));
        fs::write(&path, data).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// The YAML the project edits: its own YAML test fixtures and the examples' manifests.
fn yaml_seeds(root: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    let mut seeds = Vec::new();
    for dir in [
        "crates/osc-yaml/tests/fixtures",
        "crates/osc-chart/tests/edits",
        "crates/osc-csv/tests/fixtures",
        "examples/etcd",
        "examples/kvstore-operator",
    ] {
        for (path, data) in files_below(&root.join(dir))? {
            if path.ends_with(".yaml") {
                seeds.push((seed_name(&format!("{dir}/{path}")), data));
            }
        }
    }
    Ok(seeds)
}

/// Charts as `helm package` lays them out, written by osc-chart: the etcd example, the etcd
/// example with a subchart as a folder and one as a `.tgz`, and a chart for each Chart.yaml the
/// chart tests edit. Each gzipped and as the plain tar inside, which mutates far better.
fn chart_seeds(sh: &Shell, root: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    let mut charts = vec![("etcd".to_string(), load_chart(&root.join("examples/etcd"))?)];

    let scratch = sh.create_temp_dir()?;
    let mut small = Vec::new();
    for (path, data) in files_below(&root.join("crates/osc-chart/tests/edits"))? {
        let dir = scratch.path().join(&path);
        fs::create_dir_all(&dir)?;
        fs::write(dir.join("Chart.yaml"), &data)?;
        fs::write(dir.join("values.yaml"), "replicas: 1\n")?;
        // Every fixture is a valid Chart.yaml today; one that stops being so is no seed.
        if let Ok(chart) = osc_chart::Chart::load(&dir) {
            small.push((seed_name(&path), chart));
        }
    }

    // Subcharts of their own names: the loader refuses two of one name (`helm package` would put
    // both into one folder).
    let subchart = |name: &str| -> Result<osc_chart::Chart> {
        let dir = scratch.path().join(name);
        fs::create_dir_all(&dir)?;
        fs::write(
            dir.join("Chart.yaml"),
            format!("apiVersion: v2\nname: {name}\nversion: 1.0.0\n"),
        )?;
        fs::write(dir.join("values.yaml"), "replicas: 1\n")?;
        load_chart(&dir)
    };
    let (as_tgz, as_folder) = (subchart("sub-archive")?, subchart("sub-folder")?);
    let parent = scratch.path().join("etcd-with-subcharts");
    charts[0]
        .1
        .write_dir(&parent)
        .with_context(|| format!("cannot write {}", parent.display()))?;
    let subcharts = parent.join("charts");
    fs::create_dir_all(&subcharts)?;
    fs::write(
        subcharts.join("sub-archive-1.0.0.tgz"),
        as_tgz.write_archive(Vec::new())?,
    )?;
    as_folder
        .write_dir(&subcharts.join("sub-folder"))
        .context("cannot write a subchart folder")?;
    charts.push(("etcd-with-subcharts".to_string(), load_chart(&parent)?));
    charts.extend(small);

    // osc-chart writes every subchart as a folder; a `.tgz` inside a chart archive, which Helm
    // reads too, needs a tar made by hand.
    let mut nested = tar::Builder::new(Vec::new());
    let as_tgz_archive = as_tgz.write_archive(Vec::new())?;
    for (path, data) in [
        (
            "sub-host/Chart.yaml",
            b"apiVersion: v2\nname: sub-host\nversion: 1.0.0\n".as_slice(),
        ),
        (
            "sub-host/charts/sub-archive-1.0.0.tgz",
            as_tgz_archive.as_slice(),
        ),
    ] {
        let mut header = tar::Header::new_ustar();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        nested.append_data(&mut header, path, data)?;
    }
    let mut seeds = vec![("chart-nested-tgz.tar".to_string(), nested.into_inner()?)];
    for (name, chart) in charts {
        let tgz = chart
            .write_archive(Vec::new())
            .with_context(|| format!("cannot write chart seed {name}"))?;
        let mut tar = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(tgz.as_slice()), &mut tar)
            .with_context(|| format!("cannot unzip chart seed {name}"))?;
        seeds.push((format!("chart-{name}.tgz"), tgz));
        seeds.push((format!("chart-{name}.tar"), tar));
    }
    Ok(seeds)
}

fn load_chart(dir: &Path) -> Result<osc_chart::Chart> {
    osc_chart::Chart::load(dir).with_context(|| format!("cannot load chart {}", dir.display()))
}

/// The operator bundles of the tests and examples, each zipped by osc-package (as a bundle goes
/// into a package) and as a plain tar.
fn bundle_seeds(root: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    let mut folders = vec![
        "crates/osc-csv/tests/fixtures/bundle".to_string(),
        "crates/osc-csv/tests/fixtures/package".to_string(),
        "examples/kvstore-operator".to_string(),
    ];
    let edits = root.join("crates/osc-csv/tests/fixtures/edit");
    let mut edit_folders: Vec<String> = fs::read_dir(&edits)
        .with_context(|| format!("cannot list {}", edits.display()))?
        .flatten()
        .filter(|entry| entry.path().is_dir())
        .map(|entry| {
            format!(
                "crates/osc-csv/tests/fixtures/edit/{}",
                entry.file_name().to_string_lossy()
            )
        })
        .collect();
    edit_folders.sort();
    folders.extend(edit_folders);

    let mut seeds = Vec::new();
    for folder in folders {
        let files = files_below(&root.join(&folder))?;
        let top = Path::new(&folder)
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let zip =
            osc_package::zip_files(&top, &files).with_context(|| format!("cannot zip {folder}"))?;
        let mut tar = tar::Builder::new(Vec::new());
        for (path, data) in &files {
            let mut header = tar::Header::new_ustar();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            tar.append_data(&mut header, format!("{top}/{path}"), data.as_slice())
                .with_context(|| format!("cannot tar {folder}"))?;
        }
        let tar = tar.into_inner()?;
        let name = seed_name(&folder);
        seeds.push((format!("bundle-{name}.zip"), zip));
        seeds.push((format!("bundle-{name}.tar"), tar));
    }
    Ok(seeds)
}

/// The examples' image tars (a few KiB each).
fn image_seeds(root: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    let mut seeds = Vec::new();
    for dir in ["examples/etcd-images", "examples/kvstore-operator-images"] {
        for (path, data) in files_below(&root.join(dir))? {
            if path.ends_with(".tar") {
                seeds.push((seed_name(&format!("{dir}/{path}")), data));
            }
        }
    }
    Ok(seeds)
}

/// The etcd example packaged with its images by `helm-osc package`.
fn package_seeds(sh: &Shell, root: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    let out = sh.create_temp_dir()?;
    let dest = out.path().join("out");
    let chart = root.join("examples/etcd");
    let images = root.join("examples/etcd-images");
    cmd!(
        sh,
        "cargo run --quiet --locked -p helm-osc -- package {chart} --images {images} -d {dest}"
    )
    .ignore_stdout()
    .run()
    .context("packaging examples/etcd for the package_verify seeds failed")?;
    let mut seeds = Vec::new();
    for (path, data) in files_below(&dest)? {
        if path.ends_with(".zip") {
            seeds.push((format!("package-{}", seed_name(&path)), data));
        }
    }
    if seeds.is_empty() {
        bail!("`helm-osc package` wrote no .zip into {}", dest.display());
    }
    Ok(seeds)
}

/// A file name for a seed from the path it came from.
fn seed_name(path: &str) -> String {
    path.replace(['/', '\\'], "_")
}

/// The files below `dir` by `/`-separated relative path, in name order.
fn files_below(dir: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    fn walk(root: &Path, dir: &Path, files: &mut Vec<(String, Vec<u8>)>) -> Result<()> {
        let mut entries: Vec<PathBuf> = fs::read_dir(dir)
            .with_context(|| format!("cannot list {}", dir.display()))?
            .map(|entry| entry.map(|entry| entry.path()))
            .collect::<Result<_, _>>()?;
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(root, &path, files)?;
            } else {
                let relative = path
                    .strip_prefix(root)?
                    .components()
                    .map(|part| part.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                let data =
                    fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
                files.push((relative, data));
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files)?;
    Ok(files)
}
