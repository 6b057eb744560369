//! Writing a chart the way `helm package` lays it out (see Helm's `pkg/chart/v2/util/save.go`),
//! with fixed headers so the archive is reproducible.

use std::io::{self, Write};

use flate2::{Compression, GzBuilder};

use crate::Chart;

/// The gzip header `helm package` writes (Go's `gzip.Writer` with these Extra and Comment fields);
/// keeping it lets tools that sniff for Helm archives recognise ours.
const HELM_GZIP_EXTRA: &[u8] = b"rr\x28\x00aHR0cHM6Ly95b3V0dS5iZS96OVV6MWljandyTQo=";
const HELM_GZIP_COMMENT: &str = "Helm";

pub(crate) fn write<W: Write>(chart: &Chart, out: W) -> io::Result<W> {
    let gzip = GzBuilder::new()
        .extra(HELM_GZIP_EXTRA)
        .comment(HELM_GZIP_COMMENT)
        .mtime(0)
        .operating_system(255)
        .write(out, Compression::default());
    let mut tar = tar::Builder::new(gzip);
    tar.mode(tar::HeaderMode::Deterministic);
    write_contents(&mut tar, chart, "")?;
    tar.into_inner()?.finish()
}

fn write_contents<W: Write>(
    tar: &mut tar::Builder<W>,
    chart: &Chart,
    prefix: &str,
) -> io::Result<()> {
    let base = format!("{prefix}{}", chart.metadata.name);
    append_file(
        tar,
        &format!("{base}/Chart.yaml"),
        chart.chart_yaml.as_bytes(),
    )?;
    for file in &chart.files {
        append_file(tar, &format!("{base}/{}", file.path), &file.data)?;
    }
    for dependency in &chart.dependencies {
        write_contents(tar, dependency, &format!("{base}/charts/"))?;
    }
    Ok(())
}

/// Appends a regular file as `helm package` writes one, with nothing that varies between
/// machines or runs: mode 0644, owner 0, mtime 0.
pub fn append_file<W: Write>(tar: &mut tar::Builder<W>, path: &str, data: &[u8]) -> io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_mode(0o644);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    header.set_size(data.len() as u64);
    tar.append_data(&mut header, path, data)
}
