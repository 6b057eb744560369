//! Reading, writing and linting versionDefinition in csd.yaml text.

use osc_versiondef::{Error, Mode, Target, VersionDefinition};

fn definition(mode: Mode, path: &str, tags: &[&str]) -> VersionDefinition {
    VersionDefinition {
        mode,
        path: path.to_string(),
        tags: tags.iter().map(|tag| tag.to_string()).collect(),
        description: None,
    }
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn creates_a_minimal_csd() {
    let mut tag_definition = definition(Mode::Tag, "image.tag", &["1.10", "1.11", "yes"]);
    tag_definition.description = Some("Upgrade restarts the pods: plan a window".to_string());
    let csd = osc_versiondef::write_into_csd(None, &tag_definition).unwrap();
    insta::assert_snapshot!(csd);
    assert_eq!(
        osc_versiondef::read_from_csd(&csd).unwrap(),
        Some(tag_definition)
    );
    let parsed: serde_norway::Value = serde_norway::from_str(&csd).unwrap();
    assert_eq!(parsed["kind"], "CustomServiceDefinition");
    assert_eq!(parsed["spec"]["role"], "serviceEntity");
}

#[test]
fn adds_a_definition_after_the_last_spec_entry() {
    let before = fixture("without_definition.yaml");
    let definition = definition(Mode::Url, "spec.kafka.image", &["2.2.1", "2.2.2"]);
    let after = osc_versiondef::write_into_csd(Some(&before), &definition).unwrap();
    insta::assert_snapshot!(after);
    assert!(after.starts_with(&before[..before.find("# trailing").unwrap()]));
    assert_eq!(
        osc_versiondef::read_from_csd(&after).unwrap(),
        Some(definition)
    );
}

#[test]
fn replaces_a_block_definition_in_place() {
    let before = fixture("with_block_definition.yaml");
    let definition = definition(Mode::Tag, "spec.kafka.tag", &["1.10", "2.0", "2.1"]);
    let after = osc_versiondef::write_into_csd(Some(&before), &definition).unwrap();
    insta::assert_snapshot!(after);
    assert_eq!(
        osc_versiondef::read_from_csd(&after).unwrap(),
        Some(definition)
    );
}

#[test]
fn replaces_a_flow_definition_with_a_block() {
    let before = fixture("with_flow_definition.yaml");
    let definition = definition(Mode::Url, "spec.image", &["1.0", "1.1"]);
    let after = osc_versiondef::write_into_csd(Some(&before), &definition).unwrap();
    insta::assert_snapshot!(after);
    assert_eq!(
        osc_versiondef::read_from_csd(&after).unwrap(),
        Some(definition)
    );
}

#[test]
fn adds_spec_when_missing_and_keeps_comment_only_files() {
    let definition = definition(Mode::Tag, "image.tag", &["1.0.0"]);
    let no_spec = "apiVersion: osc.io/v1beta1\nkind: CustomServiceDefinition";
    let after = osc_versiondef::write_into_csd(Some(no_spec), &definition).unwrap();
    assert_eq!(
        after,
        "apiVersion: osc.io/v1beta1\nkind: CustomServiceDefinition\nspec:\n  versionDefinition:\n    mode: tag\n    path: image.tag\n    tags:\n      - \"1.0.0\"\n"
    );
    let null_spec = "kind: CustomServiceDefinition\nspec: ~\n";
    let after = osc_versiondef::write_into_csd(Some(null_spec), &definition).unwrap();
    assert_eq!(
        after,
        "kind: CustomServiceDefinition\nspec:\n  versionDefinition:\n    mode: tag\n    path: image.tag\n    tags:\n      - \"1.0.0\"\n"
    );
    let comments = "# to be written\n";
    let after = osc_versiondef::write_into_csd(Some(comments), &definition).unwrap();
    assert!(after.starts_with("# to be written\n# CustomServiceDefinition"));
    assert_eq!(
        osc_versiondef::read_from_csd(&after).unwrap(),
        Some(definition)
    );
}

#[test]
fn refuses_what_it_cannot_edit_in_place() {
    let definition = definition(Mode::Tag, "image.tag", &["1.0.0"]);
    let cases = [
        (
            "spec: {role: serviceEntity}\n",
            "`spec` at line 1 is a flow mapping",
        ),
        (
            "spec: [1]\n",
            "`spec` at line 1 is a list, but a csd needs a mapping there",
        ),
        ("- a\n", "`(document root)` at line 1 is a list"),
        ("spec: [\n", "not a valid csd: yaml syntax error"),
    ];
    for (csd, expected) in cases {
        let message = osc_versiondef::write_into_csd(Some(csd), &definition)
            .unwrap_err()
            .to_string();
        assert!(message.contains(expected), "{csd:?}: {message}");
    }
}

#[test]
fn reads_nothing_from_a_csd_without_a_definition() {
    for csd in [
        "",
        "spec:\n",
        "spec:\n  role: serviceEntity\n",
        "spec:\n  versionDefinition:\n",
    ] {
        assert_eq!(osc_versiondef::read_from_csd(csd).unwrap(), None, "{csd:?}");
    }
}

#[test]
fn read_errors_name_the_key_and_line() {
    let cases = [
        (
            "spec:\n  versionDefinition:\n    mode: tags\n    path: a\n    tags: [\"1\"]\n",
            "`spec.versionDefinition.mode` at line 3 is `tags`; write `tag`",
        ),
        (
            "spec:\n  versionDefinition:\n    mode: tag\n    tags: [\"1\"]\n",
            "`spec.versionDefinition` at line 3 has no `path`",
        ),
        (
            "spec:\n  versionDefinition:\n    mode: tag\n    path: a\n    tags: \"1\"\n",
            "`spec.versionDefinition.tags` at line 5 is a scalar; write it as a list of quoted tags",
        ),
        (
            "spec:\n  versionDefinition:\n    mode: tag\n    path: {a: b}\n    tags: [\"1\"]\n",
            "`spec.versionDefinition.path` at line 4 is a mapping",
        ),
        (
            "spec:\n  versionDefinition: url\n",
            "`spec.versionDefinition` at line 2 is a scalar",
        ),
    ];
    for (csd, expected) in cases {
        let error = osc_versiondef::read_from_csd(csd).unwrap_err();
        let message = error.to_string();
        assert!(message.contains(expected), "{csd:?}: {message}");
        if expected.contains("is `tags`") {
            assert!(matches!(error, Error::Mode { .. }));
        }
    }
}

/// One case per rule that only the csd text shows.
#[test]
fn lint_reports_rules_of_the_text() {
    let values_yaml = "image:\n  tag: \"1.10\"\n";
    let target = Target::Values { values_yaml };
    let cases = [
        (
            "versiondef-mode",
            "spec:\n  versionDefinition:\n    mode: Tag\n    path: image.tag\n    tags: [\"1.10\"]\n",
        ),
        (
            "versiondef-required",
            "spec:\n  versionDefinition:\n    path: image.tag\n    tags: [\"1.10\"]\n",
        ),
        (
            "versiondef-shape",
            "spec:\n  versionDefinition:\n    mode: tag\n    path: image.tag\n    tags: {a: 1}\n",
        ),
        (
            "versiondef-tag-unquoted",
            "spec:\n  versionDefinition:\n    mode: tag\n    path: image.tag\n    tags: [1.10]\n",
        ),
    ];
    for (rule, csd) in cases {
        let findings = osc_versiondef::lint_csd(csd, &target, "csd.yaml");
        assert!(
            findings.iter().any(|finding| finding.rule == rule),
            "{rule}: {findings:#?}"
        );
    }
    let quoted = "spec:\n  versionDefinition:\n    mode: tag\n    path: image.tag\n    tags: [\"1.10\", 2.0.1, v3]\n";
    let rules: Vec<_> = osc_versiondef::lint_csd(quoted, &target, "csd.yaml")
        .into_iter()
        .map(|finding| finding.rule)
        .collect();
    assert_eq!(rules, ["versiondef-helm-upgrade"]);
}
