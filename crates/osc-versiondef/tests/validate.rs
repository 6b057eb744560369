//! One case per rule of `validate`, each with the bad input that breaks it.

use osc_versiondef::{Diagnostic as Finding, Mode, Severity, Target, VersionDefinition};
use serde_json::json;

const VALUES: &str = r#"
image:
  registry: docker.io
  repository: example/db
  tag: "1.0.0"
  number: 1.10
  empty: ""
  whole: docker.io/example/db:1.0.0
  untagged: docker.io/example/db
  pinned: docker.io/example/db:1.0.0@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
  list: [a]
spec:
  own: "2.0.0"
"#;

/// A case name, the definition, and the rules it must break in order.
type Case = (
    &'static str,
    VersionDefinition,
    &'static [(&'static str, Severity)],
);

fn definition(mode: Mode, path: &str, tags: &[&str]) -> VersionDefinition {
    VersionDefinition {
        mode,
        path: path.to_string(),
        tags: tags.iter().map(|tag| tag.to_string()).collect(),
        description: None,
    }
}

fn rules(findings: &[Finding]) -> Vec<(&'static str, Severity)> {
    findings
        .iter()
        .map(|finding| (finding.rule, finding.severity))
        .collect()
}

fn operator_example() -> serde_json::Value {
    json!({
        "apiVersion": "example.com/v1",
        "kind": "Kafka",
        "metadata": {"name": "kafka-sample"},
        "spec": {"image": "example/kafka:2.2.1", "tag": "2.2.1", "replicas": 3}
    })
}

#[test]
fn helm_rules() {
    use Mode::{Tag, Url};
    use Severity::{Error, Warning};
    let cases: &[Case] = &[
        (
            "valid tag",
            definition(Tag, "image.tag", &["1.0.0", "1.1.0"]),
            &[],
        ),
        (
            "spec. prefix means the values key",
            definition(Tag, "spec.image.tag", &["1.0.0"]),
            &[],
        ),
        (
            "real top-level spec key",
            definition(Tag, "spec.own", &["2.0.0"]),
            &[],
        ),
        ("valid url", definition(Url, "image.whole", &["1.0.0"]), &[]),
        (
            "no tags",
            definition(Tag, "image.tag", &[]),
            &[
                ("versiondef-tags-empty", Error),
                ("versiondef-current-not-listed", Warning),
            ],
        ),
        (
            "invalid tag",
            definition(Tag, "image.tag", &["1.0.0", "-rc"]),
            &[("versiondef-tag-invalid", Error)],
        ),
        (
            "duplicate tag",
            definition(Tag, "image.tag", &["1.0.0", "1.0.0"]),
            &[("versiondef-tags-duplicate", Error)],
        ),
        (
            "path syntax",
            definition(Tag, "image..tag", &["1.0.0"]),
            &[("versiondef-path-syntax", Error)],
        ),
        (
            "missing path",
            definition(Tag, "image.version", &["1.0.0"]),
            &[("versiondef-path-missing", Error)],
        ),
        (
            "mapping at path",
            definition(Tag, "image", &["1.0.0"]),
            &[("versiondef-path-not-scalar", Error)],
        ),
        (
            "list at path",
            definition(Tag, "image.list", &["1.0.0"]),
            &[("versiondef-path-not-scalar", Error)],
        ),
        (
            "unquoted number",
            definition(Tag, "image.number", &["1.1"]),
            &[("versiondef-value-not-string", Warning)],
        ),
        (
            "empty value",
            definition(Tag, "image.empty", &["1.0.0"]),
            &[("versiondef-value-empty", Warning)],
        ),
        (
            "tag mode on a reference",
            definition(Tag, "image.whole", &["1.0.0"]),
            &[("versiondef-mode-mismatch", Error)],
        ),
        (
            "url mode on a tag",
            definition(Url, "image.tag", &["1.0.0"]),
            &[("versiondef-mode-mismatch", Error)],
        ),
        (
            "url without tag",
            definition(Url, "image.untagged", &["1.0.0"]),
            &[("versiondef-url-no-tag", Warning)],
        ),
        (
            "url with digest",
            definition(Url, "image.pinned", &["1.0.0"]),
            &[("versiondef-url-digest", Error)],
        ),
        (
            "current not listed",
            definition(Tag, "image.tag", &["1.1.0"]),
            &[("versiondef-current-not-listed", Warning)],
        ),
    ];
    for (name, definition, expected) in cases {
        let findings = osc_versiondef::validate(
            definition,
            &Target::Values {
                values_yaml: VALUES,
            },
            "csd.yaml",
        );
        let mut expected = expected.to_vec();
        expected.push(("versiondef-helm-upgrade", Warning));
        assert_eq!(rules(&findings), expected, "{name}: {findings:#?}");
    }
}

#[test]
fn values_that_are_not_yaml_are_reported() {
    let findings = osc_versiondef::validate(
        &definition(Mode::Tag, "image.tag", &["1"]),
        &Target::Values {
            values_yaml: "image: [",
        },
        "csd.yaml",
    );
    assert_eq!(findings[0].rule, "versiondef-values-invalid");
    assert!(
        findings[0]
            .message
            .starts_with("values.yaml cannot be read:"),
        "{}",
        findings[0].message
    );
}

#[test]
fn url_mode_rejects_text_that_is_no_reference() {
    let values_yaml = "image: \"Example/DB:1.0\"\n";
    let findings = osc_versiondef::validate(
        &definition(Mode::Url, "image", &["1.0"]),
        &Target::Values { values_yaml },
        "csd.yaml",
    );
    assert_eq!(findings[0].rule, "versiondef-mode-mismatch");
    assert!(
        findings[0].message.contains(
            "is not an image reference: image reference \"Example/DB:1.0\" has upper-case letters"
        ),
        "{}",
        findings[0].message
    );
}

#[test]
fn operator_rules() {
    use Mode::{Tag, Url};
    use Severity::{Error, Warning};
    let example = operator_example();
    let cases: &[Case] = &[
        (
            "valid url",
            definition(Url, "spec.image", &["2.2.1", "2.2.2"]),
            &[],
        ),
        ("valid tag", definition(Tag, "spec.tag", &["2.2.1"]), &[]),
        (
            "path outside spec",
            definition(Url, "image", &["2.2.1"]),
            &[("versiondef-path-root", Error)],
        ),
        (
            "path is only spec",
            definition(Url, "spec", &["2.2.1"]),
            &[("versiondef-path-root", Error)],
        ),
        (
            "missing path",
            definition(Url, "spec.kafka.image", &["2.2.1"]),
            &[("versiondef-path-missing", Error)],
        ),
        (
            "number at path",
            definition(Tag, "spec.replicas", &["3"]),
            &[("versiondef-value-not-string", Warning)],
        ),
        (
            "current not listed",
            definition(Url, "spec.image", &["2.2.2"]),
            &[("versiondef-current-not-listed", Warning)],
        ),
    ];
    for (name, definition, expected) in cases {
        let target = Target::Operator {
            kind: "Kafka",
            example: &example,
        };
        let findings = osc_versiondef::validate(definition, &target, "csd.yaml");
        assert_eq!(rules(&findings), expected.to_vec(), "{name}: {findings:#?}");
    }
}

#[test]
fn messages_say_what_is_wrong_and_what_to_do() {
    let example = operator_example();
    let findings = osc_versiondef::validate(
        &definition(Mode::Tag, "spec.image", &["2.2.1"]),
        &Target::Operator {
            kind: "Kafka",
            example: &example,
        },
        "csd.yaml",
    );
    let text = findings
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!(text);
}
