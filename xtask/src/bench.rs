//! `cargo xtask bench-package`: `helm osc package` on 1 GiB and 4 GiB of image tars, timed in the
//! same run as the two things it does to those bytes, each alone: copying them (`cp`) and hashing
//! them (`openssl dgst -sha256`). Packaging does both at once on two cores, so its aim is the
//! slower of the two: the bench prints medians of several rounds, the ratio of packaging to
//! max(cp, openssl), and packaging's peak RSS at each size.
//!
//! It also prints each command's CPU time (user + system, all threads). On a machine whose cores
//! other work keeps busy, each session gets its share of them (the kernel's autogroups), so a
//! command's wall time follows its CPU time whatever its threads: the CPU ratio is then the one
//! that tells what changed.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use osc_image::{Arch, ImageSpec};
use xshell::{Shell, cmd};

const TARS: usize = 4;
const USAGE: &str = "usage: cargo xtask bench-package [--mib N]... [--runs N]";

pub(crate) fn run(sh: &Shell, args: &[String]) -> Result<()> {
    let mut sizes = Vec::new();
    let mut runs = 5;
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let value = args.next().context(USAGE)?;
        match flag.as_str() {
            "--mib" => sizes.push(value.parse().context("--mib takes a whole number")?),
            "--runs" => runs = value.parse().context("--runs takes a whole number")?,
            _ => bail!(USAGE),
        }
    }
    if sizes.is_empty() {
        sizes = vec![1024, 4096];
    }
    if runs == 0 {
        bail!("--runs must be at least 1");
    }
    cmd!(sh, "cargo build --quiet --locked --release -p helm-osc").run()?;
    let binary = sh.current_dir().join("target/release/helm-osc");
    let chart = sh.current_dir().join("examples/etcd");
    let work = sh.current_dir().join("target/bench-package");

    let mut reports = Vec::new();
    for &mib in &sizes {
        if work.exists() {
            sh.remove_path(&work)?;
        }
        let images = work.join("images");
        sh.create_dir(&images)?;
        write_tars(&images, mib)?;
        let tars: Vec<_> = (0..TARS)
            .map(|index| images.join(format!("image{index}-1.0.0.tar")))
            .collect();
        // Warm the page cache so every command reads from memory, as the first one otherwise would not.
        for tar in &tars {
            std::io::copy(&mut std::fs::File::open(tar)?, &mut std::io::sink())?;
        }

        let (copy, dist) = (work.join("copy"), work.join("dist"));
        let mut package = Vec::new();
        let mut cp = Vec::new();
        let mut openssl = Vec::new();
        for round in 0..runs {
            eprintln!("{mib} MiB: round {} of {runs}", round + 1);
            // Each round starts with another command, so none always runs on the heels of the same one.
            for turn in 0..3 {
                match (round + turn) % 3 {
                    0 => {
                        package.push(time(
                            Command::new(&binary)
                                .arg("package")
                                .arg(&chart)
                                .arg("--images")
                                .arg(&images)
                                .arg("-d")
                                .arg(&dist)
                                .arg("--output")
                                .arg("json"),
                        )?);
                        sh.remove_path(&dist)?;
                    }
                    1 => {
                        cp.push(time(Command::new("cp").arg("-r").arg(&images).arg(&copy))?);
                        sh.remove_path(&copy)?;
                    }
                    _ => {
                        openssl.push(time(
                            Command::new("openssl")
                                .args(["dgst", "-sha256"])
                                .args(&tars),
                        )?);
                    }
                }
            }
        }
        reports.push(Report {
            mib,
            package: Stats::of(&package),
            cp: Stats::of(&cp),
            openssl: Stats::of(&openssl),
        });
        sh.remove_path(&work)?;
    }

    println!(
        "helm osc package on {TARS} image tars, page cache warm; medians of {runs} rounds (min-max):"
    );
    for report in &reports {
        let aim = report.cp.median.max(report.openssl.median);
        println!("{} MiB:", report.mib);
        for (name, stats) in [
            ("helm osc package", &report.package),
            ("cp -r", &report.cp),
            ("openssl dgst -sha256", &report.openssl),
        ] {
            println!(
                "  {:<22} {:>7.3} s ({:.3}-{:.3})  {:>5.2}x max(cp, openssl)  CPU {:>6.3} s  peak RSS {:>5} MiB",
                name,
                stats.median.as_secs_f64(),
                stats.min.as_secs_f64(),
                stats.max.as_secs_f64(),
                stats.median.as_secs_f64() / aim.as_secs_f64(),
                stats.cpu.as_secs_f64(),
                stats.peak_rss_kib / 1024,
            );
        }
    }
    Ok(())
}

struct Report {
    mib: usize,
    package: Stats,
    cp: Stats,
    openssl: Stats,
}

struct Stats {
    median: Duration,
    min: Duration,
    max: Duration,
    /// The median CPU time.
    cpu: Duration,
    /// The highest of the runs' peaks.
    peak_rss_kib: i64,
}

impl Stats {
    fn of(runs: &[Run]) -> Self {
        let mut elapsed: Vec<Duration> = runs.iter().map(|run| run.elapsed).collect();
        elapsed.sort();
        let mut cpu: Vec<Duration> = runs.iter().map(|run| run.cpu).collect();
        cpu.sort();
        Self {
            median: median(&elapsed),
            min: elapsed[0],
            max: elapsed[elapsed.len() - 1],
            cpu: median(&cpu),
            peak_rss_kib: runs.iter().map(|run| run.max_rss_kib).max().unwrap_or(0),
        }
    }
}

fn median(sorted: &[Duration]) -> Duration {
    let middle = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[middle]
    } else {
        (sorted[middle - 1] + sorted[middle]) / 2
    }
}

/// `TARS` `docker save`-style tars of incompressible bytes, `mib` MiB in all.
fn write_tars(images: &Path, mib: usize) -> Result<()> {
    eprintln!("writing {TARS} image tars of {} MiB each", mib / TARS);
    for index in 0..TARS {
        let spec = ImageSpec {
            repo_tag: format!("docker.io/bench/image{index}:1.0.0"),
            arch: Arch::X86_64,
            variant: None,
            files: vec![(
                "blob".to_string(),
                noise(mib / TARS * 1024 * 1024, index as u64 + 1),
            )],
        };
        let file = std::fs::File::create(images.join(format!("image{index}-1.0.0.tar")))?;
        osc_image::write_docker_archive(&spec, std::io::BufWriter::new(file))?;
    }
    Ok(())
}

struct Run {
    elapsed: Duration,
    max_rss_kib: i64,
    cpu: Duration,
}

/// Runs a command to completion; its wall time, its peak RSS (the kernel's VmHWM for the process,
/// sampled while it runs: rusage would count the pages a fork copied from this process) and its
/// CPU time (sampled too, so the last few milliseconds may be missing).
fn time(command: &mut Command) -> Result<Run> {
    // Each command writes or reads GiBs: flush the previous one's dirty pages first, or it pays for them.
    Command::new("sync").status().context("running sync")?;
    let start = Instant::now();
    let mut child = command
        .stdout(std::process::Stdio::null())
        .spawn()
        .with_context(|| format!("starting {command:?}"))?;
    let status_file = format!("/proc/{}/status", child.id());
    let stat_file = format!("/proc/{}/stat", child.id());
    let mut max_rss_kib = 0;
    let mut cpu = Duration::ZERO;
    let status = loop {
        if let Some(hwm) = std::fs::read_to_string(&status_file)
            .ok()
            .and_then(|status| vm_hwm_kib(&status))
        {
            max_rss_kib = max_rss_kib.max(hwm);
        }
        if let Some(time) = std::fs::read_to_string(&stat_file)
            .ok()
            .and_then(|stat| cpu_time(&stat))
        {
            cpu = cpu.max(time);
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = start.elapsed();
    if !status.success() {
        bail!("{command:?} failed: {status}");
    }
    Ok(Run {
        elapsed,
        max_rss_kib,
        cpu,
    })
}

/// utime + stime of /proc/PID/stat, in the kernel's USER_HZ ticks of 10 ms.
fn cpu_time(stat: &str) -> Option<Duration> {
    // The command name, in parentheses, may hold spaces: count fields after its closing one.
    let mut fields = stat.get(stat.rfind(')')? + 2..)?.split_whitespace();
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

fn vm_hwm_kib(status: &str) -> Option<i64> {
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Incompressible bytes, cheaply: a xorshift stream.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

const DISCOVERY_USAGE: &str = "usage: cargo xtask bench-discovery DIR [--runs N] [--only NAME]... [--one-process-per-render] [--against BINARY]";

/// The median ratio and the worst, with its chart.
fn spread(ratios: &mut [(f64, String)]) -> (f64, (f64, String)) {
    ratios.sort_by(|a, b| a.0.total_cmp(&b.0));
    let median = match ratios.len() {
        0 => 0.0,
        length if length % 2 == 1 => ratios[length / 2].0,
        length => (ratios[length / 2 - 1].0 + ratios[length / 2].0) / 2.0,
    };
    (median, ratios.last().cloned().unwrap_or_default())
}

/// `cargo xtask bench-discovery DIR`: `helm osc images` on each chart of a folder against one
/// `helm template` of the same chart with the same Helm, each the best of `--runs` (2), wall
/// time; the ratio per chart and the renders discovery made, then the median and the worst
/// ratio. `--one-process-per-render` sets `HELM_OSC_SERVE=false`, for the figures of a helm
/// that cannot serve renders in one process. `--against BINARY` times another helm-osc (an
/// older build) on each chart in the same run, for a before and after under one load.
pub(crate) fn discovery(sh: &Shell, args: &[String]) -> Result<()> {
    let mut dir = None;
    let mut runs = 2;
    let mut serve = "true";
    let mut only: Vec<String> = Vec::new();
    let mut against: Option<std::path::PathBuf> = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => {
                runs = args
                    .next()
                    .context(DISCOVERY_USAGE)?
                    .parse()
                    .context("--runs takes a whole number")?
            }
            "--only" => only.push(args.next().context(DISCOVERY_USAGE)?.clone()),
            "--one-process-per-render" => serve = "false",
            "--against" => against = Some(args.next().context(DISCOVERY_USAGE)?.into()),
            _ if dir.is_none() => dir = Some(std::path::PathBuf::from(arg)),
            _ => bail!(DISCOVERY_USAGE),
        }
    }
    let dir = dir.context(DISCOVERY_USAGE)?;
    if runs == 0 {
        bail!("--runs must be at least 1");
    }
    let helm = crate::ensure_helm(sh)?;
    cmd!(sh, "cargo build --quiet --locked --release -p helm-osc").run()?;
    let binary = sh.current_dir().join("target/release/helm-osc");
    let charts = crate::chart_folders(&dir, &only)?;
    let best = |command: &mut dyn FnMut() -> Command| -> Result<(Duration, bool, Vec<u8>)> {
        let mut best = Duration::MAX;
        let mut ok = true;
        let mut stdout = Vec::new();
        for _ in 0..runs {
            let started = Instant::now();
            let output = command().output()?;
            best = best.min(started.elapsed());
            ok &= output.status.success();
            stdout = output.stdout;
        }
        Ok((best, ok, stdout))
    };
    println!(
        "{:<28} {:>9} {:>9} {:>6} {:>8}{}",
        "chart",
        "template",
        "images",
        "ratio",
        "renders",
        if against.is_some() { "  against" } else { "" }
    );
    let mut all_renders = Vec::new();
    let mut ratios = Vec::new();
    let mut against_ratios = Vec::new();
    for chart in &charts {
        let name = chart.file_name().unwrap_or_default().to_string_lossy();
        let (template, template_ok, _) = best(&mut || {
            let mut command = Command::new(&helm);
            command.args(["template", "release-name"]).arg(chart);
            command
        })?;
        if !template_ok {
            println!("{name:<28} helm template fails: left out");
            continue;
        }
        let images_with = |binary: &std::path::Path| {
            let mut command = Command::new(binary);
            command
                .arg("images")
                .arg(chart)
                .args(["--output", "json"])
                .env("HELM_BIN", &helm)
                .env("HELM_OSC_SERVE", serve);
            command
        };
        let (images, images_ok, report) = best(&mut || images_with(&binary))?;
        let other = match &against {
            Some(other) => {
                let (time, _, _) = best(&mut || images_with(other))?;
                let ratio = time.as_secs_f64() / template.as_secs_f64();
                against_ratios.push((ratio, name.clone().into_owned()));
                format!("  {ratio:>7.2}")
            }
            None => String::new(),
        };
        let renders = serde_json::from_slice::<serde_json::Value>(&report)
            .ok()
            .and_then(|report| report["renders"].as_u64());
        all_renders.extend(renders);
        let ratio = images.as_secs_f64() / template.as_secs_f64();
        println!(
            "{name:<28} {:>8.2}s {:>8.2}s {ratio:>6.2} {:>8}{other}{}",
            template.as_secs_f64(),
            images.as_secs_f64(),
            renders
                .map(|renders| renders.to_string())
                .unwrap_or_default(),
            if images_ok { "" } else { " (images failed)" }
        );
        ratios.push((ratio, name.into_owned()));
    }
    if ratios.is_empty() {
        bail!("no chart in {} renders", dir.display());
    }
    let (median, (worst, worst_chart)) = spread(&mut ratios);
    println!();
    println!("charts: {}", ratios.len());
    println!("median images / helm template: {median:.2}x");
    println!("worst images / helm template:  {worst:.2}x ({worst_chart})");
    if let Some(other) = &against {
        let (median, (worst, worst_chart)) = spread(&mut against_ratios);
        println!(
            "{}: median {median:.2}x, worst {worst:.2}x ({worst_chart})",
            other.display()
        );
    }
    all_renders.sort_unstable();
    if let (Some(most), false) = (all_renders.last(), all_renders.is_empty()) {
        let total: u64 = all_renders.iter().sum();
        println!(
            "renders a chart: median {}, mean {:.1}, most {most}",
            all_renders[all_renders.len() / 2],
            total as f64 / all_renders.len() as f64
        );
    }
    Ok(())
}
