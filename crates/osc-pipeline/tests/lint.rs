//! The library on its own: what a chart's files show without Helm, how findings are ordered and
//! named, and what counts as unreadable.

use std::path::{Path, PathBuf};

use osc_pipeline::{Error, Inputs, Kind, Report, Severity};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Lint without Helm: what the files alone show.
fn lint(source: &Path) -> Result<Report, Error> {
    let inputs = Inputs::default();
    let analysis = osc_pipeline::analyse(source, &inputs)?;
    osc_pipeline::lint(&analysis, &inputs)
}

#[test]
fn a_chart_without_helm_is_linted_from_its_files() {
    let source = fixture("untidy");
    let report = lint(&source).unwrap();
    assert_eq!(report.kind, Kind::Chart);
    let findings: Vec<_> = report
        .findings
        .into_iter()
        .map(|mut finding| {
            finding.file = finding.file.replace(source.to_str().unwrap(), "[SOURCE]");
            finding
        })
        .collect();
    insta::assert_yaml_snapshot!(findings);
}

#[test]
fn findings_come_sorted_by_file_then_severity_then_rule() {
    let report = lint(&fixture("untidy")).unwrap();
    let keys: Vec<(&str, Severity, &str)> = report
        .findings
        .iter()
        .map(|finding| (finding.file.as_str(), finding.severity, finding.rule))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert!(report.has_errors());
    assert_eq!(report.file_count(), 2);
}

#[test]
fn a_finding_displays_as_its_rule_place_and_help() {
    let report = lint(&fixture("untidy")).unwrap();
    let contact = report
        .findings
        .iter()
        .find(|finding| finding.rule == "metadata-contact")
        .unwrap();
    insta::assert_snapshot!(contact.to_string(), @r#"
    error[metadata-contact]: Chart.yaml: maintainers: no maintainer has both a `name` and an `email`: OSC refuses to publish a service without a maintainer or provider contact
      help: add
              maintainers:
                - name: Your Team
                  email: team@example.com
            or package with --maintainer "Your Team <team@example.com>", which adds it to the packaged Chart.yaml
    "#);
}

#[test]
fn only_an_unreadable_source_is_an_error() {
    let missing = lint(Path::new("/nonexistent/chart")).unwrap_err();
    assert!(
        matches!(&missing, Error::Source(error) if matches!(**error, osc_source::Error::NotFound(_))),
        "{missing}"
    );
    let not_a_chart = lint(&fixture("untidy/templates")).unwrap_err();
    assert!(
        not_a_chart
            .to_string()
            .contains("neither a chart (no Chart.yaml)"),
        "{not_a_chart}"
    );
}
