//! Packages OSC_BENCH_MIB MiB (default 256) of image tars and compares that with what it does to
//! those bytes, each alone: `std::fs::copy` of the same files, and SHA-256 of them. Packaging does
//! both at once, so the aim is the slower of the two (within 1.15x of it on two idle cores).
//! `cargo xtask bench-package` measures the whole `helm osc package` against `cp` and `openssl`.

use std::fs::{self, File};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use osc_package::{Deployable, DeployableSource, PackageSpec, write};
use sha2::{Digest as _, Sha256};
use tempfile::TempDir;

const MIB: usize = 1024 * 1024;
/// Image tars are tens to hundreds of MiB; the last one takes the rest.
const TAR_MIB: u64 = 64;

fn bench_mib() -> u64 {
    std::env::var("OSC_BENCH_MIB")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(256)
}

/// Writes tars of incompressible bytes totalling `mib` MiB.
fn make_tars(dir: &Path, mib: u64) -> Vec<PathBuf> {
    let mut block = vec![0u8; MIB];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for byte in &mut block {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        *byte = state as u8;
    }
    let mut tars = Vec::new();
    let mut left = mib;
    let mut counter = 0u64;
    while left > 0 {
        let this = left.min(TAR_MIB);
        let path = dir.join(format!("image-{}.tar", tars.len()));
        let mut file = File::create(&path).unwrap();
        for _ in 0..this {
            // No two MiB alike, so nothing below us can deduplicate.
            counter += 1;
            block[..8].copy_from_slice(&counter.to_le_bytes());
            file.write_all(&block).unwrap();
        }
        tars.push(path);
        left -= this;
    }
    tars
}

fn spec(tars: &[PathBuf]) -> PackageSpec {
    PackageSpec {
        name: "bench".into(),
        version: "1.0.0".into(),
        deployable: Deployable {
            file_name: "bench-1.0.0.tgz".into(),
            source: DeployableSource::Bytes(vec![0; 4096]),
        },
        images: tars.to_vec(),
        mapping: None,
        extends: Vec::new(),
    }
}

fn package(spec: &PackageSpec, out: &Path) {
    write(spec, out, &mut |_| {}).unwrap();
}

fn hash(tars: &[PathBuf]) -> Duration {
    let started = Instant::now();
    let mut sha = Sha256::new();
    let mut buffer = vec![0; MIB];
    for tar in tars {
        let mut file = File::open(tar).unwrap();
        loop {
            let n = file.read(&mut buffer).unwrap();
            if n == 0 {
                break;
            }
            sha.update(&buffer[..n]);
        }
    }
    std::hint::black_box(sha.finalize());
    started.elapsed()
}

fn copy(tars: &[PathBuf], out: &Path) {
    for tar in tars {
        fs::copy(tar, out.join(tar.file_name().unwrap())).unwrap();
    }
}

/// Best of three, each into a fresh folder removed outside the timing.
fn best_of_three(scratch: &Path, run: impl Fn(&Path)) -> Duration {
    (0..3)
        .map(|_| {
            let out = TempDir::new_in(scratch).unwrap();
            let started = Instant::now();
            run(out.path());
            started.elapsed()
        })
        .min()
        .unwrap()
}

fn bench(c: &mut Criterion) {
    let mib = bench_mib();
    let inputs = TempDir::new().unwrap();
    let tars = make_tars(inputs.path(), mib);
    let spec = spec(&tars);
    let scratch = inputs.path();

    let packaged = best_of_three(scratch, |out| package(&spec, out));
    let copied = best_of_three(scratch, |out| copy(&tars, out));
    let hashed = (0..3).map(|_| hash(&tars)).min().unwrap();
    println!(
        "{mib} MiB: osc_package::write {:.3} s, std::fs::copy {:.3} s, SHA-256 alone {:.3} s: \
         {:.2}x the slower of the two",
        packaged.as_secs_f64(),
        copied.as_secs_f64(),
        hashed.as_secs_f64(),
        packaged.as_secs_f64() / copied.max(hashed).as_secs_f64(),
    );

    let mut group = c.benchmark_group(format!("{mib} MiB of image tars"));
    group
        .sample_size(10)
        .throughput(Throughput::Bytes(mib * MIB as u64));
    group.bench_function("osc_package::write", |b| {
        b.iter_batched(
            || TempDir::new_in(scratch).unwrap(),
            |out| {
                package(&spec, out.path());
                out
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("std::fs::copy", |b| {
        b.iter_batched(
            || TempDir::new_in(scratch).unwrap(),
            |out| {
                copy(&tars, out.path());
                out
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
