mod common;

use std::fmt::Write;

use common::fixture;
use osc_csv::{ContainerKind, Csv, CsvEditor, RelatedImageKey, load};
use similar::{ChangeTag, TextDiff};

/// One edit, as the platform's rewrite asks for it.
#[derive(Debug, Clone, Copy)]
enum Edit {
    Annotation(&'static str, &'static str),
    Image(&'static str, ContainerKind, &'static str, &'static str),
    Env(
        &'static str,
        ContainerKind,
        &'static str,
        &'static str,
        &'static str,
    ),
    Related(RelatedImageKey<'static>, &'static str),
    Example(&'static str, &'static str, &'static str),
}

use ContainerKind::{Container, InitContainer};
use Edit::{Annotation, Env, Example, Image, Related};

const SWR: &str = "swr.cn-east-3.myhuaweicloud.com/osc-opensource";

fn apply(editor: &mut CsvEditor, edit: Edit) -> Result<(), osc_csv::EditError> {
    match edit {
        Annotation(key, value) => editor.set_annotation(key, value),
        Image(deployment, kind, container, image) => {
            editor.set_container_image(deployment, kind, container, image)
        }
        Env(deployment, kind, container, env, value) => {
            editor.set_env_value(deployment, kind, container, env, value)
        }
        Related(entry, image) => editor.set_related_image(entry, image),
        Example(kind, path, value) => editor.set_alm_example_field(kind, path, value),
    }
}

/// Checks, on the CSV loaded again from the edited file, that the edit's field reads its value.
fn assert_reads_back(csv: &Csv, edit: Edit) {
    let found = match edit {
        Annotation(key, value) => (csv.annotation(key), value),
        Image(deployment, kind, container, image) => {
            let container = csv
                .deployments
                .iter()
                .find(|found| found.name == deployment)
                .and_then(|found| {
                    found
                        .containers
                        .iter()
                        .find(|found| found.kind == kind && found.name == container)
                });
            (container.map(|found| found.image.as_str()), image)
        }
        Env(deployment, kind, container, env, value) => {
            let variable = csv
                .deployments
                .iter()
                .find(|found| found.name == deployment)
                .and_then(|found| {
                    found
                        .containers
                        .iter()
                        .find(|found| found.kind == kind && found.name == container)
                })
                .and_then(|found| found.env.iter().find(|found| found.name == env));
            (variable.and_then(|found| found.value.as_deref()), value)
        }
        Related(RelatedImageKey::Name(name), image) => (
            csv.related_images
                .iter()
                .find(|found| found.name.as_deref() == Some(name))
                .map(|found| found.image.as_str()),
            image,
        ),
        Related(RelatedImageKey::Index(index), image) => (
            csv.related_images
                .get(index)
                .map(|found| found.image.as_str()),
            image,
        ),
        Example(kind, path, value) => {
            let examples = csv
                .alm_examples
                .as_ref()
                .unwrap()
                .examples
                .as_ref()
                .unwrap();
            let example = examples
                .iter()
                .find(|example| example["kind"] == kind)
                .unwrap();
            let pointer = format!("/{}", path.replace(['.', '['], "/").replace(']', ""));
            (
                example.pointer(&pointer).and_then(|found| found.as_str()),
                value,
            )
        }
    };
    assert_eq!(found.0, Some(found.1), "{edit:?} does not read back");
}

/// A unified diff of the lines, then every changed run of tokens with its byte offset, so a change
/// inside a long line shows exactly.
fn diff(before: &str, after: &str) -> String {
    let mut out = TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(1)
        .header("before", "after")
        .to_string();
    out.push_str("\nchanged:\n");
    let (old, new) = (tokens(before), tokens(after));
    let mut offset = 0;
    let mut change: Option<(usize, String, String)> = None;
    for token in TextDiff::from_slices(&old, &new).iter_all_changes() {
        let text = token.value();
        if token.tag() == ChangeTag::Equal {
            if let Some((at, removed, added)) = change.take() {
                writeln!(out, "  byte {at}: {removed:?} -> {added:?}").unwrap();
            }
            offset += text.len();
            continue;
        }
        let (_, removed, added) =
            change.get_or_insert_with(|| (offset, String::new(), String::new()));
        if token.tag() == ChangeTag::Delete {
            removed.push_str(text);
            offset += text.len();
        } else {
            added.push_str(text);
        }
    }
    if let Some((at, removed, added)) = change {
        writeln!(out, "  byte {at}: {removed:?} -> {added:?}").unwrap();
    }
    out
}

/// Splits at YAML and JSON punctuation and blanks, keeping each separator as a token.
fn tokens(text: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    let mut start = 0;
    for (at, ch) in text.char_indices() {
        if matches!(
            ch,
            '"' | '\'' | '\\' | ',' | '{' | '}' | '[' | ']' | ' ' | '\n' | '\t'
        ) {
            if start < at {
                tokens.push(&text[start..at]);
            }
            tokens.push(&text[at..at + ch.len_utf8()]);
            start = at + ch.len_utf8();
        }
    }
    if start < text.len() {
        tokens.push(&text[start..]);
    }
    tokens
}

#[test]
fn each_kind_of_edit_changes_only_its_bytes() {
    let cases: &[(&str, &str, &[Edit])] = &[
        (
            "annotation_added_and_replaced",
            "operator",
            &[
                Annotation("source", "ISV"),
                Annotation("categories", "Database,Monitoring"),
            ],
        ),
        (
            "annotation_without_annotations",
            "no-annotations",
            &[Annotation("source", "ISV")],
        ),
        (
            "annotation_in_flow_mapping",
            "flow-annotations",
            &[Annotation("source", "ISV")],
        ),
        (
            "container_image",
            "operator",
            &[Image(
                "demo-operator",
                Container,
                "kube-rbac-proxy",
                "swr.cn-east-3.myhuaweicloud.com/osc-opensource/kube-rbac-proxy:v0.13.0",
            )],
        ),
        (
            "init_container_image",
            "operator",
            &[Image(
                "demo-operator",
                InitContainer,
                "wait-for-api",
                "swr.cn-east-3.myhuaweicloud.com/osc-opensource/wait:1.0",
            )],
        ),
        (
            "same_container_name_in_two_deployments",
            "operator",
            &[
                Image(
                    "demo-webhook",
                    Container,
                    "manager",
                    "swr.cn-east-3.myhuaweicloud.com/osc-opensource/webhook:1.2.0",
                ),
                Image(
                    "demo-operator",
                    Container,
                    "manager",
                    "swr.cn-east-3.myhuaweicloud.com/osc-opensource/operator:1.2.0",
                ),
            ],
        ),
        (
            "env_value",
            "operator",
            &[Env(
                "demo-operator",
                Container,
                "manager",
                "RELATED_IMAGE_SERVER",
                "swr.cn-east-3.myhuaweicloud.com/osc-opensource/server:1.2.0",
            )],
        ),
        (
            "related_images_by_name_and_index",
            "operator",
            &[
                Related(
                    RelatedImageKey::Name("server"),
                    "swr.cn-east-3.myhuaweicloud.com/osc-opensource/server:1.2.0",
                ),
                Related(
                    RelatedImageKey::Index(1),
                    "swr.cn-east-3.myhuaweicloud.com/osc-opensource/backup:1.2.0",
                ),
            ],
        ),
        (
            "alm_single_quoted",
            "operator",
            &[
                Example(
                    "Demo",
                    "spec.image",
                    "swr.cn-east-3.myhuaweicloud.com/osc-opensource/server:1.2.0",
                ),
                Example(
                    "Demo",
                    "spec.backup.image",
                    "swr.cn-east-3.myhuaweicloud.com/osc-opensource/backup:1.2.0",
                ),
                Example("Demo", "spec.note", "it's the provider's"),
                Example(
                    "DemoBackup",
                    "spec.image",
                    "swr.cn-east-3.myhuaweicloud.com/osc-opensource/backup:1.2.0",
                ),
                Example("DemoBackup", "spec.targets[1]", "c"),
            ],
        ),
        (
            "alm_double_quoted_single_line",
            "alm-double-quoted",
            &[
                Example(
                    "Demo",
                    "spec.image",
                    "swr.cn-east-3.myhuaweicloud.com/osc-opensource/server:1.2.0",
                ),
                Example("Demo", "spec.url", "https://docs.example.com/\"demo\"\\"),
                Example(
                    "DemoBackup",
                    "spec.image",
                    "swr.cn-east-3.myhuaweicloud.com/osc-opensource/backup:1.2.0",
                ),
            ],
        ),
        (
            "alm_double_quoted_wrapped",
            "alm-double-quoted-wrapped",
            &[
                Example(
                    "Demo",
                    "spec.image",
                    "swr.cn-east-3.myhuaweicloud.com/osc-opensource/server:1.2.0",
                ),
                // The old value runs over an escaped line break; the new one takes its place.
                Example("Demo", "spec.description", "A demo server"),
            ],
        ),
        (
            "alm_literal_block",
            "alm-literal",
            &[
                Example(
                    "Demo",
                    "spec.image",
                    "swr.cn-east-3.myhuaweicloud.com/osc-opensource/server:1.2.0",
                ),
                Example(
                    "Demo",
                    "spec.nodes[0].image",
                    "swr.cn-east-3.myhuaweicloud.com/osc-opensource/node:1.2.0",
                ),
                Example("Demo", "metadata.name", "样例\t\"x\"\n\u{2028}"),
            ],
        ),
        (
            "alm_folded_block",
            "alm-folded",
            &[
                Example(
                    "Demo",
                    "spec.image",
                    "swr.cn-east-3.myhuaweicloud.com/osc-opensource/server:1.2.0",
                ),
                // The old value is folded across two lines; the new one takes their place.
                Example("Demo", "spec.motd", "short"),
            ],
        ),
        (
            "multi_document_file",
            "multi-document",
            &[
                Annotation("source", "ISV"),
                Image(
                    "demo-operator",
                    Container,
                    "manager",
                    "swr.cn-east-3.myhuaweicloud.com/osc-opensource/operator:1.2.0",
                ),
            ],
        ),
    ];
    for (name, fixture_name, edits) in cases {
        let bundle = load(&fixture(&format!("edit/{fixture_name}"))).unwrap();
        let mut editor = CsvEditor::new(&bundle);
        for edit in *edits {
            apply(&mut editor, *edit).unwrap_or_else(|error| panic!("{name}: {edit:?}: {error}"));
        }
        let work = tempfile::tempdir().unwrap();
        std::fs::write(work.path().join("csv.yaml"), editor.text()).unwrap();
        let reloaded = load(work.path()).unwrap();
        for edit in *edits {
            assert_reads_back(&reloaded.csv, *edit);
        }
        assert!(
            editor
                .text()
                .starts_with(&bundle.csv_text[..bundle.csv_range.start])
                && editor
                    .text()
                    .ends_with(&bundle.csv_text[bundle.csv_range.end..]),
            "{name}: the other documents of the file changed"
        );
        insta::assert_snapshot!(*name, diff(&bundle.csv_text, editor.text()));
    }
}

#[test]
fn refused_edits_name_the_file_and_field_and_leave_the_text() {
    let cases: &[(&str, Edit)] = &[
        ("operator", Image("demo", Container, "manager", SWR)),
        (
            "operator",
            Image("demo-operator", Container, "wait-for-api", SWR),
        ),
        (
            "operator",
            Image("demo-webhook", InitContainer, "manager", SWR),
        ),
        (
            "operator",
            Env(
                "demo-operator",
                Container,
                "manager",
                "RELATED_IMAGE_DB",
                SWR,
            ),
        ),
        (
            "operator",
            Env(
                "demo-operator",
                Container,
                "manager",
                "WATCH_NAMESPACE",
                SWR,
            ),
        ),
        ("operator", Related(RelatedImageKey::Name("backup"), SWR)),
        ("operator", Related(RelatedImageKey::Index(2), SWR)),
        ("operator", Example("Postgres", "spec.image", SWR)),
        ("operator", Example("Demo", "spec.version", SWR)),
        ("operator", Example("Demo", "spec.backup.image.tag", SWR)),
        ("operator", Example("Demo", "spec.size", SWR)),
        ("operator", Example("Demo", "spec.backup", SWR)),
        ("operator", Example("DemoBackup", "spec.targets[5]", SWR)),
        ("operator", Example("Demo", "spec..image", SWR)),
        ("no-annotations", Example("Demo", "spec.image", SWR)),
        ("alm-plain", Example("Demo", "spec.image", SWR)),
        ("no-annotations", Related(RelatedImageKey::Index(0), SWR)),
        (
            "no-annotations",
            Image("demo-operator", Container, "manager", SWR),
        ),
    ];
    let mut report = String::new();
    for (fixture_name, edit) in cases {
        let bundle = load(&fixture(&format!("edit/{fixture_name}"))).unwrap();
        let mut editor = CsvEditor::new(&bundle);
        let error = apply(&mut editor, *edit).expect_err(&format!("{edit:?} should fail"));
        assert_eq!(editor.text(), bundle.csv_text, "{edit:?} changed the text");
        writeln!(report, "{fixture_name}: {edit:?}\n  {error}").unwrap();
    }
    insta::assert_snapshot!(report);
}

#[test]
fn a_tagged_annotation_is_refused_rather_than_guessed() {
    let work = tempfile::tempdir().unwrap();
    std::fs::write(
        work.path().join("csv.yaml"),
        "kind: ClusterServiceVersion\nmetadata:\n  name: demo.v1.0.0\n  annotations:\n    alm-examples: !!str '[{\"kind\": \"Demo\", \"spec\": {\"image\": \"a\"}}]'\nspec:\n  version: 1.0.0\n",
    )
    .unwrap();
    let bundle = load(work.path()).unwrap();
    let mut editor = CsvEditor::new(&bundle);
    let error = editor
        .set_alm_example_field("Demo", "spec.image", SWR)
        .unwrap_err();
    assert!(
        matches!(error, osc_csv::EditError::Unmappable { .. }),
        "{error}"
    );
    assert_eq!(editor.text(), bundle.csv_text);
}

#[test]
fn setting_the_value_already_written_changes_nothing() {
    let bundle = load(&fixture("edit/operator")).unwrap();
    let mut editor = CsvEditor::new(&bundle);
    editor
        .set_container_image(
            "demo-webhook",
            Container,
            "manager",
            "quay.io/demo/webhook:1.2.0",
        )
        .unwrap();
    editor
        .set_alm_example_field("Demo", "spec.image", "quay.io/demo/server:1.2.0")
        .unwrap();
    editor.set_annotation("categories", "Database").unwrap();
    assert_eq!(editor.text(), bundle.csv_text);
}
