//! `cargo xtask bench-package`: `helm osc package` on N MiB of image tars, timed in the same run
//! as the references it is judged against (`cp`, `sha256sum`, `zip -0`), with its peak memory.

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use osc_image::{Arch, ImageSpec};
use xshell::{Shell, cmd};

const TARS: usize = 4;

pub(crate) fn run(sh: &Shell, args: &[String]) -> Result<()> {
    let mib: usize = match args {
        [] => 1024,
        [flag, value] if flag == "--mib" => value.parse().context("--mib takes a whole number")?,
        _ => bail!("usage: cargo xtask bench-package [--mib N]"),
    };
    cmd!(sh, "cargo build --quiet --locked --release -p helm-osc").run()?;
    let binary = sh.current_dir().join("target/release/helm-osc");
    let work = sh.current_dir().join("target/bench-package");
    if work.exists() {
        sh.remove_path(&work)?;
    }
    let images = work.join("images");
    sh.create_dir(&images)?;
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
    let chart = sh.current_dir().join("examples/etcd");
    // Warm the page cache so every command reads from memory, as the first one otherwise would not.
    cmd!(sh, "cat {images}/image0-1.0.0.tar {images}/image1-1.0.0.tar {images}/image2-1.0.0.tar {images}/image3-1.0.0.tar").ignore_stdout().quiet().run()?;

    let cp = time(
        Command::new("cp")
            .arg("-r")
            .arg(&images)
            .arg(work.join("copy")),
    )?;
    let sha = time(
        Command::new("sh")
            .arg("-c")
            .arg(format!("sha256sum {}/*.tar > /dev/null", images.display())),
    )?;
    let zip = time(
        Command::new("zip")
            .arg("-0")
            .arg("-q")
            .arg("-r")
            .arg(work.join("ref.zip"))
            .arg(&images),
    )?;
    let package = time(
        Command::new(&binary)
            .arg("package")
            .arg(&chart)
            .arg("--images")
            .arg(&images)
            .arg("-d")
            .arg(work.join("dist"))
            .arg("--output")
            .arg("json"),
    )?;

    println!("helm osc package, {mib} MiB of image tars ({TARS} tars), page cache warm:");
    println!(
        "  {:<22} {:>8} {:>8}  {:>10}",
        "command", "seconds", "x cp", "peak RSS"
    );
    for (name, run) in [
        ("cp -r", &cp),
        ("sha256sum", &sha),
        ("zip -0 -r", &zip),
        ("helm osc package", &package),
    ] {
        println!(
            "  {:<22} {:>8.3} {:>8.2}  {:>7} MiB",
            name,
            run.elapsed.as_secs_f64(),
            run.elapsed.as_secs_f64() / cp.elapsed.as_secs_f64(),
            run.max_rss_kib / 1024
        );
    }
    sh.remove_path(&work)?;
    Ok(())
}

struct Run {
    elapsed: Duration,
    max_rss_kib: i64,
}

/// Runs a command to completion; its wall time, and its peak RSS (the kernel's VmHWM for the
/// process, sampled while it runs: rusage would count the pages a fork copied from this process).
fn time(command: &mut Command) -> Result<Run> {
    // Each command writes 1 GiB: flush the previous one's dirty pages first, or it pays for them.
    Command::new("sync").status().context("running sync")?;
    let start = Instant::now();
    let mut child = command
        .stdout(std::process::Stdio::null())
        .spawn()
        .with_context(|| format!("starting {command:?}"))?;
    let status_file = format!("/proc/{}/status", child.id());
    let mut max_rss_kib = 0;
    let status = loop {
        if let Some(hwm) = std::fs::read_to_string(&status_file)
            .ok()
            .and_then(|status| vm_hwm_kib(&status))
        {
            max_rss_kib = max_rss_kib.max(hwm);
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
    })
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
