//! Any bytes loaded as a chart archive: a chart that loads has safe relative file paths, and the
//! archive `write_archive` makes of it loads again as the same chart (and writes the same bytes).
#![no_main]

use std::collections::HashSet;

use helm_osc_fuzz::{assert_safe_path, input_file};
use libfuzzer_sys::fuzz_target;
use osc_chart::Chart;

fuzz_target!(|data: &[u8]| {
    // Named .tgz as a chart archive is; a plain tar is read too (judged by content), and mutates
    // far better than gzip, whose checksum refuses almost every change.
    let path = input_file("chart.tgz", data);
    let Ok(chart) = Chart::load(&path) else {
        return;
    };
    check_paths(&chart, "the chart");

    let archive = chart
        .write_archive(Vec::new())
        .unwrap_or_else(|error| panic!("a loaded chart cannot be written as an archive: {error}"));
    let path = input_file("written.tgz", &archive);
    let again = Chart::load(&path).unwrap_or_else(|error| {
        panic!("the archive written from a loaded chart does not load again: {error}")
    });
    assert_same(&chart, &again, "the chart");
    let rewritten = again
        .write_archive(Vec::new())
        .expect("the chart loaded again can be written");
    assert!(
        rewritten == archive,
        "the same chart written twice gives different bytes"
    );
});

/// Every file path is relative, safe and written one way, is not Chart.yaml (kept apart), and is
/// there once; subcharts' names are single safe segments (they name folders under `charts/`).
fn check_paths(chart: &Chart, what: &str) {
    assert_safe_path(chart.name(), &format!("{what}'s name"));
    assert!(
        !chart.name().contains('/'),
        "{what}'s name `{}` is more than one path segment",
        chart.name()
    );
    let mut seen = HashSet::new();
    for file in chart.files() {
        assert_safe_path(&file.path, &format!("a file of {what}"));
        assert_ne!(file.path, "Chart.yaml", "{what} holds Chart.yaml twice");
        assert!(
            seen.insert(&file.path),
            "{what} holds `{}` twice",
            file.path
        );
    }
    for dependency in chart.dependencies() {
        check_paths(
            dependency,
            &format!("subchart `{}` of {what}", dependency.name()),
        );
    }
}

fn assert_same(loaded: &Chart, again: &Chart, what: &str) {
    assert_eq!(
        loaded.chart_yaml(),
        again.chart_yaml(),
        "{what}: Chart.yaml changed in the round trip"
    );
    assert!(
        loaded.metadata() == again.metadata(),
        "{what}: the metadata changed in the round trip"
    );
    let paths = |chart: &Chart| {
        chart
            .files()
            .iter()
            .map(|file| file.path.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        paths(loaded),
        paths(again),
        "{what}: the files changed in the round trip"
    );
    assert!(
        loaded.files() == again.files(),
        "{what}: a file's data changed in the round trip"
    );
    let names = |chart: &Chart| {
        chart
            .dependencies()
            .iter()
            .map(|dependency| dependency.name().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(loaded),
        names(again),
        "{what}: the subcharts changed in the round trip"
    );
    for (loaded, again) in loaded.dependencies().iter().zip(again.dependencies()) {
        assert_same(
            loaded,
            again,
            &format!("subchart `{}` of {what}", loaded.name()),
        );
    }
}
