//! The library on its own: what a chart's files show without Helm, how findings are ordered and
//! named, and what counts as unreadable.

use std::path::{Path, PathBuf};

use osc_lint::{LintError, LintRequest, Severity, SourceKind};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn request(source: &Path) -> LintRequest<'_> {
    LintRequest {
        source,
        images: None,
        mapping: None,
        values_files: Vec::new(),
        namespace: "default",
        helm: None,
    }
}

#[test]
fn a_chart_without_helm_is_linted_from_its_files() {
    let source = fixture("untidy");
    let report = osc_lint::lint(&request(&source)).unwrap();
    assert_eq!(report.kind, SourceKind::Chart);
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
    let report = osc_lint::lint(&request(&fixture("untidy"))).unwrap();
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
    let report = osc_lint::lint(&request(&fixture("untidy"))).unwrap();
    let contact = report
        .findings
        .iter()
        .find(|finding| finding.rule == "metadata-contact")
        .unwrap();
    insta::assert_snapshot!(contact.to_string(), @r"
    error[metadata-contact]: Chart.yaml: maintainers: no maintainer has both a `name` and an `email`: OSC refuses to publish a service without a maintainer or provider contact
      help: add
              maintainers:
                - name: Your Team
                  email: team@example.com
    ");
}

#[test]
fn only_an_unreadable_source_is_an_error() {
    let missing = osc_lint::lint(&request(Path::new("/nonexistent/chart"))).unwrap_err();
    assert!(matches!(missing, LintError::NotFound { .. }), "{missing}");
    let not_a_chart = osc_lint::lint(&request(&fixture("untidy/templates"))).unwrap_err();
    assert!(
        not_a_chart.to_string().contains("Chart.yaml: missing"),
        "{not_a_chart}"
    );
}
