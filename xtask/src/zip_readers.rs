//! `cargo xtask zip-readers [--gib N]`: writes a real package holding more than N GiB of image
//! tars (an N GiB tar, so its sizes need Zip64 in the local header, then a small tar whose offset
//! does), verifies it, and reads it through with Java's `ZipInputStream` and `ZipFile`, Python's
//! `zipfile` and `unzip -t`. The tests do the same on small packages with Zip64 forced; this is
//! the check at the real 4 GiB limits.

use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};
use xshell::{Shell, cmd};

#[path = "../../crates/osc-package/tests/common/readers.rs"]
mod readers;

const GIB: u64 = 1024 * 1024 * 1024;

pub(crate) fn run(sh: &Shell, args: &[String]) -> Result<()> {
    let gib: u64 = match args {
        [] => 4,
        [flag, value] if flag == "--gib" => value.parse().context("--gib takes a whole number")?,
        _ => bail!("usage: cargo xtask zip-readers [--gib N]"),
    };
    if gib == 0 {
        bail!("--gib must be at least 1");
    }
    cmd!(
        sh,
        "cargo build --quiet --locked --release -p osc-package --example package"
    )
    .run()?;
    let packager = sh.current_dir().join("target/release/examples/package");
    let deployable = sh
        .current_dir()
        .join("crates/osc-package/tests/fixtures/redis-18.1.0.tgz");
    let work = sh.current_dir().join("target/zip-readers");
    if work.exists() {
        sh.remove_path(&work)?;
    }
    sh.create_dir(&work)?;

    let big = work.join("big-1.0.tar");
    let small = work.join("small-1.0.tar");
    // Sparse, so it costs no disk and reads fast, with marks around every GiB boundary so that
    // misplaced bytes change a CRC.
    let big_size = gib * GIB + 4096 + 17;
    let mut file = File::create(&big)?;
    file.set_len(big_size)?;
    for boundary in (0..=gib).map(|n| n * GIB) {
        let at = boundary.saturating_sub(100);
        file.seek(SeekFrom::Start(at))?;
        file.write_all(format!("mark at {at} of {big_size}").as_bytes())?;
    }
    drop(file);
    let mut small_file = OpenOptions::new()
        .create_new(true)
        .write(true)
        .open(&small)?;
    small_file.write_all(&vec![0x5A; 300_000])?;
    drop(small_file);

    let out = work.join("dist");
    eprintln!(
        "packaging {} bytes of tars into {}",
        big_size + 300_000,
        out.display()
    );
    cmd!(sh, "{packager} big 1.0.0 {deployable} {out} {big} {small}").run()?;
    let zip = out.join("big-1.0.0.zip");

    eprintln!("reading {} with every reader", zip.display());
    let listed = readers::read_with_every_reader(&zip).map_err(anyhow::Error::msg)?;
    for (tar, size) in [(&big, big_size), (&small, 300_000)] {
        let name = format!(
            "big/images/{}",
            tar.file_name().unwrap_or_default().to_string_lossy()
        );
        let entry = listed
            .iter()
            .find(|entry| entry.name == name)
            .with_context(|| format!("{name} is not in the zip"))?;
        let crc32 = input_crc32(tar)?;
        if (entry.size, entry.crc32) != (size, crc32) {
            bail!(
                "{name}: the readers read {} bytes with CRC {:08x}; the tar has {size} bytes with CRC {crc32:08x}",
                entry.size,
                entry.crc32
            );
        }
    }
    println!(
        "{} ({} bytes): Java ZipInputStream, Java ZipFile, Python zipfile and unzip -t read every entry:",
        zip.display(),
        std::fs::metadata(&zip)?.len()
    );
    for entry in &listed {
        println!("  {entry}");
    }
    sh.remove_path(&work)?;
    Ok(())
}

/// The CRC-32 of a tar as Python's zlib computes it, a reader independent of the packager.
fn input_crc32(tar: &Path) -> Result<u32> {
    let output = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import sys, zlib\n\
             crc = 0\n\
             with open(sys.argv[1], 'rb') as f:\n\
             \x20   while chunk := f.read(1 << 22):\n\
             \x20       crc = zlib.crc32(chunk, crc)\n\
             print(f'{crc:08x}')",
        )
        .arg(tar)
        .output()
        .context("python3 is needed: apt-get install python3")?;
    if !output.status.success() {
        bail!(
            "python3 could not read {}: {}",
            tar.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let text = String::from_utf8_lossy(&output.stdout);
    u32::from_str_radix(text.trim(), 16).with_context(|| format!("python3 printed `{text}`"))
}
