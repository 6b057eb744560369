pub mod convert;
pub mod discovery;
pub mod images;
pub mod lint;
pub mod mapping;
pub mod operator;
pub mod package;
pub mod rewrite;
pub mod verify;
pub mod version;

/// `1234567` → `1.2 MiB`, for people.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Builds a folder beside `out` and renames it into place: `out` must not exist (not even as a
/// link), so nothing of the user's is overwritten, and a failure part-way leaves nothing behind.
pub fn write_new_dir(
    out: &std::path::Path,
    fill: impl FnOnce(&std::path::Path) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    use anyhow::Context as _;
    osc_archive::write_new_dir(out, |staged| {
        fill(staged).with_context(|| format!("writing {}", out.display()))
    })
    .with_context(|| format!("-o {}", out.display()))
}
