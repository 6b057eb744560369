//! Memory while pushing a large layer. The suite pushes 128 MiB, more than the memory the push
//! may grow by, so a push that held a layer in memory fails here; a gigabyte, by hand:
//!
//! `OSC_REGISTRY_LARGE_MIB=1024 cargo test -p osc-registry --release --test large -- --nocapture`

mod common;

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::Path;

use osc_registry::testing::TestRegistry;
use osc_registry::{Options, Plan, Registry, push};
use sha2::Digest;

/// Peak resident memory of this process so far, in KiB (Linux).
fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// Writes `size` bytes that do not compress, hashing them.
fn write_noise(out: &mut impl Write, size: u64, hasher: &mut sha2::Sha256) {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut block = vec![0u8; 1 << 20];
    let mut left = size;
    while left > 0 {
        for chunk in block.chunks_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            chunk.copy_from_slice(&state.to_le_bytes()[..chunk.len()]);
        }
        let n = left.min(block.len() as u64) as usize;
        out.write_all(&block[..n]).unwrap();
        hasher.update(&block[..n]);
        left -= n as u64;
    }
}

/// A docker-archive with one uncompressed layer holding a `mib` MiB file, written without
/// holding it in memory.
fn write_large_tar(dir: &Path, mib: u64) -> std::path::PathBuf {
    let size = mib << 20;
    let layer_path = dir.join("layer.tar");
    let mut hasher = sha2::Sha256::new();
    {
        let mut layer = BufWriter::new(File::create(&layer_path).unwrap());
        let mut header = tar::Header::new_ustar();
        header.set_path("data/noise").unwrap();
        header.set_size(size);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_cksum();
        layer.write_all(header.as_bytes()).unwrap();
        hasher.update(header.as_bytes());
        write_noise(&mut layer, size, &mut hasher);
        // Padding to a whole block, then the end-of-archive marker.
        let tail = vec![0u8; (512 - (size % 512) as usize) % 512 + 1024];
        layer.write_all(&tail).unwrap();
        hasher.update(&tail);
        layer.flush().unwrap();
    }
    let diff_id = format!("sha256:{:x}", hasher.finalize());
    let hex = &diff_id[7..];
    let config = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    })
    .to_string();
    let config_name = format!("{:x}.json", sha2::Sha256::digest(config.as_bytes()));
    let manifest = serde_json::json!([{
        "Config": config_name,
        "RepoTags": ["example.com/big:1"],
        "Layers": [format!("{hex}/layer.tar")],
    }])
    .to_string();
    let path = dir.join("big.tar");
    let mut builder = tar::Builder::new(BufWriter::new(File::create(&path).unwrap()));
    let mut append = |name: &str, size: u64, data: &mut dyn Read| {
        let mut header = tar::Header::new_ustar();
        header.set_size(size);
        header.set_mode(0o644);
        header.set_mtime(0);
        builder.append_data(&mut header, name, data).unwrap();
    };
    append(
        "manifest.json",
        manifest.len() as u64,
        &mut manifest.as_bytes(),
    );
    append(&config_name, config.len() as u64, &mut config.as_bytes());
    let layer_size = std::fs::metadata(&layer_path).unwrap().len();
    append(
        &format!("{hex}/layer.tar"),
        layer_size,
        &mut File::open(&layer_path).unwrap(),
    );
    builder.into_inner().unwrap().flush().unwrap();
    std::fs::remove_file(&layer_path).unwrap();
    path
}

#[test]
fn pushing_a_large_layer_keeps_memory_flat() {
    let mib: u64 = std::env::var("OSC_REGISTRY_LARGE_MIB")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(128);
    let registry = TestRegistry::start();
    let dir = tempfile::tempdir().unwrap();
    write_large_tar(dir.path(), mib);
    std::fs::write(
        dir.path().join("mapping.yaml"),
        "instance:\n- image: big\n  tag: '1'\n  package: {x86_64: big.tar}\n",
    )
    .unwrap();
    let plan = Plan::from_dir(dir.path()).unwrap();
    let target = Registry::parse(&format!("{}/org", registry.host())).unwrap();
    let before = peak_kib();
    let started = std::time::Instant::now();

    let pushed = push(&plan, &target, &Options::default(), |_| {}).unwrap();

    let elapsed = started.elapsed();
    let after = peak_kib();
    eprintln!(
        "pushed {mib} MiB in {elapsed:.1?} ({:.0} MiB/s); peak RSS {} MiB before the push, {} MiB after",
        mib as f64 / elapsed.as_secs_f64(),
        before / 1024,
        after / 1024
    );
    assert!(pushed[0].uploaded > mib << 20, "{pushed:?}");
    assert!(
        after - before < 48 * 1024,
        "the push grew peak memory by {} MiB",
        (after - before) / 1024
    );
    assert_eq!(registry.tags("org/big"), ["1"]);
}
