//! Chart.yaml edits change only the bytes they must: each fixture in tests/edits/ gets the
//! annotations `helm osc package` writes, and the snapshot is the diff, so a reviewer sees every
//! changed byte (carriage returns shown as ␍).

use osc_chart::Chart;

const ANNOTATIONS: &[(&str, &str)] = &[
    ("source", "ISV"),
    ("categories", "Database"),
    ("architecture", "x86_64,aarch64"),
    ("scenes", "CCE"),
];

fn chart_with(chart_yaml: &[u8]) -> (tempfile::TempDir, Chart) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Chart.yaml"), chart_yaml).unwrap();
    let chart = Chart::load(dir.path()).unwrap();
    (dir, chart)
}

fn visible(text: &str) -> String {
    text.replace('\r', "␍")
}

#[test]
fn chart_yaml_edits() {
    insta::glob!("edits/*.yaml", |path: &std::path::Path| {
        let original = std::fs::read(path).unwrap();
        let (_dir, mut chart) = chart_with(&original);
        chart.set_annotations(ANNOTATIONS).unwrap();
        let edited = chart.chart_yaml().to_string();

        let metadata = chart.metadata();
        for (key, value) in ANNOTATIONS {
            assert_eq!(
                metadata.annotations.get(*key).map(String::as_str),
                Some(*value),
                "{key}"
            );
        }
        // Only the BOM (which Helm drops too) and added or replaced lines may differ.
        let original = String::from_utf8(original).unwrap();
        let original = original.trim_start_matches('\u{feff}');
        let diff = similar::TextDiff::from_lines(original, edited.as_str());
        for change in diff.iter_all_changes() {
            if change.tag() == similar::ChangeTag::Delete {
                let line = change.value();
                assert!(
                    ANNOTATIONS
                        .iter()
                        .any(|(key, _)| line.contains(&format!("{key}:")))
                        || line.contains("annotations")
                        || !line.ends_with('\n'),
                    "a line that is not an annotation changed: {line:?}"
                );
            }
        }
        if original.contains("\r\n") {
            assert!(
                !edited.replace("\r\n", "").contains('\n'),
                "a bare LF was written into a CRLF file"
            );
        }
        let unified = diff.unified_diff().context_radius(2).to_string();
        insta::assert_snapshot!(visible(&unified));
    });
}

#[test]
fn editing_twice_gives_the_same_text() {
    let (_dir, mut chart) = chart_with(b"apiVersion: v2\nname: a\nversion: 1.0.0\n");
    chart.set_annotations(ANNOTATIONS).unwrap();
    let once = chart.chart_yaml().to_string();
    chart.set_annotations(ANNOTATIONS).unwrap();
    assert_eq!(chart.chart_yaml(), once);
}

/// `helm osc package --maintainer "Ledger Team <ledger@example.org>"` on each fixture of
/// tests/maintainers/: the snapshot is the diff, and only added lines (or the one holding an
/// empty list, or the maintainer of that name that gets the email) may differ.
#[test]
fn maintainer_added() {
    insta::glob!("maintainers/*.yaml", |path: &std::path::Path| {
        let original = std::fs::read(path).unwrap();
        let (_dir, mut chart) = chart_with(&original);
        chart
            .add_maintainer("Ledger Team", "ledger@example.org")
            .unwrap();
        let edited = chart.chart_yaml().to_string();
        assert!(
            chart.metadata().maintainers.iter().any(|maintainer| {
                (maintainer.name.as_str(), maintainer.email.as_str())
                    == ("Ledger Team", "ledger@example.org")
            }),
            "{:?}",
            chart.metadata().maintainers
        );
        let original = String::from_utf8(original).unwrap();
        let diff = similar::TextDiff::from_lines(original.as_str(), edited.as_str());
        for change in diff.iter_all_changes() {
            if change.tag() == similar::ChangeTag::Delete {
                let line = change.value();
                assert!(
                    line.starts_with("maintainers:")
                        || line.contains("- name: Ledger Team")
                        || !line.ends_with('\n'),
                    "a line other than the list's changed: {line:?}"
                );
            }
        }
        if original.contains("\r\n") {
            assert!(
                !edited.replace("\r\n", "").contains('\n'),
                "a bare LF was written into a CRLF file"
            );
        }
        // Adding the same maintainer again changes nothing.
        chart
            .add_maintainer("Ledger Team", "ledger@example.org")
            .unwrap();
        assert_eq!(chart.chart_yaml(), edited);
        let unified = diff.unified_diff().context_radius(2).to_string();
        insta::assert_snapshot!(visible(&unified));
    });
}
