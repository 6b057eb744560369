//! What the fuzz targets share: one scratch folder per process, the safe-path check every reader
//! promises, and choices drawn from the input bytes.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Prefix of the scratch folders, followed by the fuzzing process's id.
pub const SCRATCH_PREFIX: &str = "helm-osc-fuzz-";

/// A folder of this process's own for the files the readers take by path, made once: making a
/// folder per input would cost more than most inputs take to read.
///
/// It is in /dev/shm when there is one (memory, not disk: inputs are written thousands of times a
/// second). A static is never dropped and libFuzzer ends the process with `exit`, so the folder
/// outlives the process; the next process (and `cargo xtask fuzz`) removes the folders of
/// processes that are gone.
pub fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = scratch_base();
        remove_stale_scratch(&base);
        let dir = base.join(format!("{SCRATCH_PREFIX}{}", std::process::id()));
        // A folder left by an earlier process that had this id.
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap_or_else(|error| {
            panic!(
                "cannot make the fuzz scratch folder {}: {error}; free some room there or set TMPDIR",
                dir.display()
            )
        });
        dir
    })
}

/// Where the scratch folders go: /dev/shm when it is a writable folder, else the temp folder.
pub fn scratch_base() -> PathBuf {
    let shm = Path::new("/dev/shm");
    let writable = shm.is_dir()
        && tempfile::Builder::new()
            .prefix(SCRATCH_PREFIX)
            .tempfile_in(shm)
            .is_ok();
    if writable {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    }
}

/// Removes the scratch folders of fuzzing processes that no longer run.
pub fn remove_stale_scratch(base: &Path) {
    let Ok(entries) = fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|name| name.strip_prefix(SCRATCH_PREFIX))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// Set (to anything but the empty string) by `cargo xtask fuzz` when it replays fuzz/open/: the targets then check even
/// what they skip for bugs that are reported and not yet fixed, so a reproducer that passes tells
/// that its bug is gone.
pub const STRICT_VAR: &str = "HELM_OSC_FUZZ_STRICT";

/// Whether to check inputs that hit a known open bug too (see [`STRICT_VAR`]).
pub fn strict() -> bool {
    static STRICT: OnceLock<bool> = OnceLock::new();
    *STRICT.get_or_init(|| std::env::var_os(STRICT_VAR).is_some_and(|value| !value.is_empty()))
}

/// Writes `data` to `name` in the scratch folder, replacing what an earlier input left there.
pub fn input_file(name: &str, data: &[u8]) -> PathBuf {
    let path = scratch().join(name);
    fs::write(&path, data)
        .unwrap_or_else(|error| panic!("cannot write the input to {}: {error}", path.display()));
    path
}

/// Panics unless `path` is a relative path that stays inside any folder it is joined to, written
/// the one way [`osc_archive::RelPath`] writes it (no `.` segments, no backslashes, no trailing
/// `/`), so that two readers of the name cannot disagree on the file it means.
pub fn assert_safe_path(path: &str, what: &str) {
    match osc_archive::RelPath::parse(path) {
        Ok(parsed) => assert_eq!(
            parsed.as_str(),
            path,
            "{what}: `{path}` is safe but not written the way osc-archive writes names"
        ),
        Err(error) => panic!("{what}: `{path}` is not a safe relative path: {error}"),
    }
}

/// Choices drawn from the input: the same input always makes the same choices, so a crash file
/// replays exactly, and a mutated input explores other choices.
pub struct Choices(u64);

impl Choices {
    pub fn new(data: &[u8]) -> Choices {
        // FNV-1a: any change to the input changes the seed.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in data {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        Choices(hash)
    }

    /// splitmix64.
    pub fn number(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.number() % n as u64) as usize
        }
    }

    /// True `num` times in `den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.number() % den < num
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A piece of `text` of at most `max` characters, cut on character boundaries: names and
    /// values written the way the input writes them.
    pub fn piece<'t>(&mut self, text: &'t str, max: usize) -> &'t str {
        let bounds: Vec<usize> = text
            .char_indices()
            .map(|(at, _)| at)
            .chain([text.len()])
            .collect();
        let start = self.below(bounds.len());
        let end = (start + self.below(max + 1)).min(bounds.len() - 1);
        &text[bounds[start]..bounds[end]]
    }
}
