//! The operator side, on copies of the repository's examples/kvstore-operator bundle and its
//! tars: generate gives the hand-written mapping, check is clean on it and each rule fires on a
//! mapping or bundle broken the way the rule is about, and apply changes only image bytes and
//! leaves every image of the CSV under the platform registry.

mod common;

use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use osc_csv::Bundle;
use osc_image::Arch;
use osc_mapping::{
    Mapping, OperatorImages, Tar, apply_operator, check_operator, generate_operator,
    operator_images,
};
use tempfile::TempDir;

const SWR: &str = "swr.cn-east-3.myhuaweicloud.com/osc-opensource";
const MAPPING_FILE: &str = "kvstore-operator/images/mapping.yaml";
const CSV_FILE: &str = "manifests/kvstore-operator.clusterserviceversion.yaml";

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// A bundle loaded from a copy of the example, its CSV changed by `edits` (each replaces the
/// first occurrence).
struct BundleCopy {
    dir: TempDir,
    bundle: Bundle,
}

fn example_bundle(edits: &[(&str, &str)]) -> BundleCopy {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&examples().join("kvstore-operator"), dir.path());
    let csv_path = dir.path().join(CSV_FILE);
    let mut csv = std::fs::read_to_string(&csv_path).unwrap();
    for (from, to) in edits {
        assert!(csv.contains(from), "the CSV has {from:?}");
        csv = csv.replacen(from, to, 1);
    }
    std::fs::write(&csv_path, csv).unwrap();
    let bundle = osc_csv::load(dir.path()).unwrap();
    BundleCopy { dir, bundle }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The example's image tars, as `helm osc` reads them.
fn tars() -> Vec<Tar> {
    let dir = examples().join("kvstore-operator-images");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "tar"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| Tar {
            file_name: path.file_name().unwrap().to_string_lossy().into_owned(),
            archive: osc_image::inspect(path).unwrap(),
        })
        .collect()
}

fn hand_written_text() -> String {
    std::fs::read_to_string(examples().join("kvstore-operator-images/mapping.yaml")).unwrap()
}

fn hand_written() -> Mapping {
    Mapping::parse(&hand_written_text(), MAPPING_FILE).unwrap()
}

fn shapes() -> Bundle {
    osc_csv::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/shapes")).unwrap()
}

#[test]
fn generate_gives_the_hand_written_mapping() {
    let copy = example_bundle(&[]);
    let generated = generate_operator(&copy.bundle, &tars());
    assert_eq!(generated.mapping, hand_written());
    assert_eq!(
        Mapping::parse(&generated.text, "generated").unwrap(),
        generated.mapping
    );
    assert!(generated.unmatched_images.is_empty());
    assert!(generated.unmatched_tars.is_empty());
    assert!(generated.unmappable.is_empty());
    insta::assert_snapshot!(generated.text);
}

#[test]
fn check_is_clean_on_the_hand_written_and_the_generated_mapping() {
    let copy = example_bundle(&[]);
    let tars = tars();
    let generated = generate_operator(&copy.bundle, &tars).mapping;
    for mapping in [hand_written(), generated] {
        let findings = check_operator(MAPPING_FILE, &mapping, &copy.bundle, &tars);
        assert!(findings.is_empty(), "{findings:#?}");
    }
}

#[test]
fn images_of_every_shape() {
    insta::assert_snapshot!(describe_images(&operator_images(&shapes())));
}

#[test]
fn generate_on_every_shape() {
    let tars = vec![
        common::tar("busybox.tar", &[("busybox:latest", Arch::X86_64)]),
        common::tar(
            "operator-2.0.tar",
            &[("quay.io/acme/operator:2.0", Arch::X86_64)],
        ),
        common::tar("stray.tar", &[("quay.io/acme/stray:1", Arch::X86_64)]),
    ];
    let generated = generate_operator(&shapes(), &tars);
    let mut out = generated.text.clone();
    writeln!(out, "\n--- unmatched images").unwrap();
    for image in &generated.unmatched_images {
        writeln!(out, "{image}").unwrap();
    }
    writeln!(out, "--- unmatched tars").unwrap();
    for tar in &generated.unmatched_tars {
        writeln!(out, "{}: {}", tar.file_name, tar.reason).unwrap();
    }
    writeln!(out, "--- unmappable").unwrap();
    for unmappable in &generated.unmappable {
        let key = unmappable.key.as_deref().unwrap_or("-");
        writeln!(out, "{key}: {}: {}", unmappable.image, unmappable.reason).unwrap();
    }
    insta::assert_snapshot!(out);
}

#[test]
fn check_on_every_shape() {
    let bundle = shapes();
    let generated = generate_operator(&bundle, &[]);
    let findings = check_operator(
        "shapes/images/mapping.yaml",
        &generated.mapping,
        &bundle,
        &[],
    );
    let text = findings
        .iter()
        .map(|finding| format!("{finding}\n"))
        .collect::<String>();
    insta::assert_snapshot!(text);
}

struct Case {
    name: &'static str,
    /// Replacements in the mapping text, each of the first occurrence.
    mapping: &'static [(&'static str, &'static str)],
    /// Replacements in the CSV text, each of the first occurrence.
    csv: &'static [(&'static str, &'static str)],
    tars: fn(&mut Vec<Tar>),
    rules: &'static [&'static str],
}

fn unchanged(_: &mut Vec<Tar>) {}

fn with_webhook_arm64(tars: &mut Vec<Tar>) {
    tars.push(common::tar(
        "kvstore-webhook-1.0.0-arm64.tar",
        &[(
            "docker.io/osc-examples/kvstore-webhook:1.0.0",
            Arch::Aarch64,
        )],
    ));
}

const WEBHOOK_PACKAGE: &str = "package: {x86_64: kvstore-webhook-1.0.0.tar}";
const KVSTORE_ADDRESS: &str = "    address:\n      fullAddress: spec.image\n";

const CASES: &[Case] = &[
    Case {
        name: "deployment_missing",
        mapping: &[(
            "- deployment: kvstore-webhook",
            "- deployment: kvstore-hook",
        )],
        csv: &[],
        tars: unchanged,
        rules: &["deployment-missing", "container-not-covered"],
    },
    Case {
        name: "container_type_invalid",
        mapping: &[("type: initContainer", "type: init")],
        csv: &[],
        tars: unchanged,
        rules: &["container-type-invalid", "container-not-covered"],
    },
    Case {
        name: "container_type_mismatch",
        mapping: &[("type: initContainer", "type: container")],
        csv: &[],
        tars: unchanged,
        rules: &["container-type-mismatch", "container-not-covered"],
    },
    Case {
        name: "container_missing",
        mapping: &[("name: webhook", "name: hook")],
        csv: &[],
        tars: unchanged,
        rules: &["container-missing", "container-not-covered"],
    },
    Case {
        name: "container_not_covered",
        mapping: &[],
        csv: &[(
            "                  - name: webhook\n",
            "                  - name: proxy\n                    image: docker.io/osc-examples/proxy:1.0.0\n                  - name: webhook\n",
        )],
        tars: unchanged,
        rules: &["container-not-covered"],
    },
    Case {
        name: "env_missing",
        mapping: &[(
            "- name: RELATED_IMAGE_KVSTORE",
            "- name: RELATED_IMAGE_ETCD",
        )],
        csv: &[],
        tars: unchanged,
        rules: &["env-missing", "env-not-covered"],
    },
    Case {
        name: "env_without_value",
        mapping: &[("- name: RELATED_IMAGE_KVSTORE", "- name: WATCH_NAMESPACE")],
        csv: &[],
        tars: unchanged,
        rules: &["env-without-value", "env-not-covered"],
    },
    Case {
        name: "env_not_image",
        mapping: &[("- name: RELATED_IMAGE_KVSTORE", "- name: KVSTORE_VERSION")],
        csv: &[(
            "- name: RELATED_IMAGE_KVSTORE\n                        value: docker.io/osc-examples/etcd:3.5.17",
            "- name: KVSTORE_VERSION\n                        value: 3.5.17",
        )],
        tars: unchanged,
        rules: &["env-not-image"],
    },
    Case {
        name: "env_not_covered",
        mapping: &[(
            "        env:\n          - name: RELATED_IMAGE_KVSTORE\n            image: etcd\n            tag: 3.5.17\n            package: {x86_64: etcd-3.5.17.tar}\n",
            "",
        )],
        csv: &[],
        tars: unchanged,
        rules: &["env-not-covered"],
    },
    Case {
        name: "kind_missing",
        mapping: &[("kind: KVStoreBackup", "kind: KVBackup")],
        csv: &[],
        tars: unchanged,
        rules: &["kind-missing", "image-not-covered"],
    },
    Case {
        name: "address_empty",
        mapping: &[(KVSTORE_ADDRESS, "    address: {}\n")],
        csv: &[],
        tars: unchanged,
        rules: &["address-empty", "image-not-covered"],
    },
    Case {
        name: "path_invalid",
        mapping: &[("fullAddress: spec.image", "fullAddress: spec..image")],
        csv: &[],
        tars: unchanged,
        rules: &["path-invalid", "image-not-covered"],
    },
    Case {
        name: "path_missing",
        mapping: &[("fullAddress: spec.image", "fullAddress: spec.images")],
        csv: &[],
        tars: unchanged,
        rules: &["path-missing", "image-not-covered"],
    },
    Case {
        name: "path_not_string",
        mapping: &[("fullAddress: spec.image", "fullAddress: spec.size")],
        csv: &[],
        tars: unchanged,
        rules: &["path-not-string", "image-not-covered"],
    },
    Case {
        name: "part_mismatch",
        mapping: &[(
            "repo: spec.backup.repository",
            "repository: spec.backup.repository",
        )],
        csv: &[],
        tars: unchanged,
        rules: &["part-mismatch", "entry-incomplete"],
    },
    Case {
        name: "part_shape_mismatch",
        mapping: &[(
            "      tag: spec.backup.tag\n",
            "      tag: spec.backup.tag\n      prefixAddress: spec.schedule\n",
        )],
        csv: &[],
        tars: unchanged,
        rules: &["part-mismatch"],
    },
    Case {
        name: "key_not_image",
        mapping: &[(
            "      tag: spec.backup.tag\n",
            "      tag: spec.backup.tag\n      prefixAddress: spec.kvstore\n",
        )],
        csv: &[],
        tars: unchanged,
        rules: &["key-not-image"],
    },
    Case {
        name: "entry_incomplete",
        mapping: &[("      tag: spec.backup.tag\n", "")],
        csv: &[],
        tars: unchanged,
        rules: &["entry-incomplete"],
    },
    Case {
        name: "entry_without_path",
        mapping: &[("      repo: spec.backup.repository\n", "")],
        csv: &[],
        tars: unchanged,
        rules: &["entry-incomplete"],
    },
    Case {
        name: "image_not_covered",
        mapping: &[(
            "  - kind: KVStore\n    image: etcd\n    tag: 3.5.17\n    address:\n      fullAddress: spec.image\n    package: {x86_64: etcd-3.5.17.tar}\n",
            "",
        )],
        csv: &[],
        tars: unchanged,
        rules: &["image-not-covered"],
    },
    Case {
        name: "shared_key_conflict",
        mapping: &[(
            "  - kind: KVStoreBackup\n",
            "  - kind: KVStore\n    image: kvstore-etcd\n    tag: 3.5.17\n    address:\n      fullAddress: spec.image\n    package: {x86_64: etcd-3.5.17.tar}\n  - kind: KVStoreBackup\n",
        )],
        csv: &[],
        tars: unchanged,
        rules: &["shared-key-conflict"],
    },
    Case {
        name: "image_unmovable",
        mapping: &[],
        csv: &[(
            "command: [\"/bin/sh\", \"-c\", \"true\"]",
            "command: [\"/bin/sh\", \"-c\", \"docker.io/osc-examples/os-shell:12 true\"]",
        )],
        tars: unchanged,
        rules: &["image-unmovable"],
    },
    Case {
        name: "related_image_not_covered",
        mapping: &[],
        csv: &[(
            "  relatedImages:\n",
            "  relatedImages:\n    - name: extra\n      image: docker.io/osc-examples/extra:1.0.0\n",
        )],
        tars: unchanged,
        rules: &["related-image-not-covered"],
    },
    Case {
        name: "tag_differs",
        mapping: &[(
            "tag: 1.0.0\n        package: {x86_64: kvstore-webhook",
            "tag: 1.0.1\n        package: {x86_64: kvstore-webhook",
        )],
        csv: &[],
        tars: unchanged,
        rules: &["tag-differs"],
    },
    Case {
        name: "image_name_invalid",
        mapping: &[("image: kvstore-webhook", "image: KVStore-Webhook")],
        csv: &[],
        tars: unchanged,
        rules: &["image-name-invalid"],
    },
    Case {
        name: "tag_invalid",
        mapping: &[("tag: \"12\"\n    address", "tag: \"-12\"\n    address")],
        csv: &[],
        tars: unchanged,
        rules: &["tag-invalid", "tag-differs"],
    },
    Case {
        name: "package_missing",
        mapping: &[(WEBHOOK_PACKAGE, "package: {}")],
        csv: &[],
        tars: unchanged,
        rules: &["package-missing"],
    },
    Case {
        name: "tar_missing",
        mapping: &[(WEBHOOK_PACKAGE, "package: {x86_64: kvstore-webhook.tar}")],
        csv: &[],
        tars: unchanged,
        rules: &["tar-missing"],
    },
    Case {
        name: "tar_arch_mismatch",
        mapping: &[(
            WEBHOOK_PACKAGE,
            "package: {x86_64: kvstore-webhook-1.0.0-arm64.tar}",
        )],
        csv: &[],
        tars: with_webhook_arm64,
        rules: &["tar-arch-mismatch"],
    },
    Case {
        name: "tar_image_mismatch",
        mapping: &[(WEBHOOK_PACKAGE, "package: {x86_64: os-shell-12.tar}")],
        csv: &[],
        tars: unchanged,
        rules: &["tar-image-mismatch"],
    },
    Case {
        name: "arch_tar_missing",
        mapping: &[(
            WEBHOOK_PACKAGE,
            "package: {x86_64: kvstore-webhook-1.0.0.tar, aarch64: kvstore-webhook-1.0.0-arm64.tar}",
        )],
        csv: &[],
        tars: with_webhook_arm64,
        rules: &["arch-tar-missing"],
    },
    Case {
        name: "image_name_collision",
        mapping: &[("image: kvstore-webhook", "image: kvstore-operator")],
        csv: &[],
        tars: unchanged,
        rules: &["image-name-collision"],
    },
];

#[test]
fn each_rule_fires_on_the_mapping_or_bundle_it_is_about() {
    let mut wrong = Vec::new();
    for case in CASES {
        let mut text = hand_written_text();
        for (from, to) in case.mapping {
            assert!(
                text.contains(from),
                "{}: the mapping has {from:?}",
                case.name
            );
            text = text.replacen(from, to, 1);
        }
        let mapping = Mapping::parse(&text, MAPPING_FILE).unwrap();
        let copy = example_bundle(case.csv);
        let mut tars = tars();
        (case.tars)(&mut tars);
        let findings = check_operator(MAPPING_FILE, &mapping, &copy.bundle, &tars);
        let rules: BTreeSet<&str> = findings.iter().map(|finding| finding.rule).collect();
        let text = findings
            .iter()
            .map(|finding| format!("{finding}\n"))
            .collect::<String>();
        if rules != case.rules.iter().copied().collect() {
            wrong.push(format!(
                "{}: expected {:?}, found:\n{text}",
                case.name, case.rules
            ));
        }
        insta::assert_snapshot!(case.name, text);
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn apply_changes_only_image_bytes() {
    let copy = example_bundle(&[]);
    let applied = apply_operator(&copy.bundle, &hand_written(), SWR).unwrap();
    assert!(applied.not_moved.is_empty(), "{:#?}", applied.not_moved);
    let before = &copy.bundle.csv_text;
    let diff = similar::TextDiff::from_lines(before.as_str(), applied.text.as_str());
    // Each changed line is the old one with one written value in place of what it held.
    for op in diff.ops() {
        let changed: Vec<_> = diff.iter_changes(op).collect();
        let old: Vec<&str> = changed
            .iter()
            .filter(|change| change.tag() == similar::ChangeTag::Delete)
            .map(|change| change.value())
            .collect();
        let new: Vec<&str> = changed
            .iter()
            .filter(|change| change.tag() == similar::ChangeTag::Insert)
            .map(|change| change.value())
            .collect();
        assert_eq!(old.len(), new.len(), "{old:?} became {new:?}");
        for (old, new) in old.iter().zip(&new) {
            assert!(
                applied
                    .changes
                    .iter()
                    .any(|change| old.replacen(&change.before, &change.after, 1) == *new),
                "{old:?} became {new:?}, which no change explains"
            );
        }
    }
    let mut out = String::new();
    for change in &applied.changes {
        writeln!(
            out,
            "{} ({}): {} -> {}",
            change.path, change.field, change.before, change.after
        )
        .unwrap();
    }
    writeln!(out).unwrap();
    write!(
        out,
        "{}",
        diff.unified_diff()
            .context_radius(1)
            .header(CSV_FILE, CSV_FILE)
    )
    .unwrap();
    insta::assert_snapshot!(out);
}

#[test]
fn after_apply_every_image_is_under_the_registry() {
    let copy = example_bundle(&[]);
    let applied = apply_operator(&copy.bundle, &hand_written(), SWR).unwrap();
    std::fs::write(copy.dir.path().join(CSV_FILE), &applied.text).unwrap();
    let rewritten = osc_csv::load(copy.dir.path()).unwrap();
    let images = operator_images(&rewritten);
    assert!(images.unmovable.is_empty(), "{:#?}", images.unmovable);
    let references: Vec<String> = images
        .containers
        .iter()
        .map(|image| image.reference.to_string())
        .chain(images.env.iter().map(|image| image.reference.to_string()))
        .chain(
            images
                .related
                .iter()
                .map(|image| image.reference.to_string()),
        )
        .chain(
            images
                .examples
                .iter()
                .map(|image| image.reference.to_string()),
        )
        .collect();
    assert_eq!(references.len(), 7, "{references:#?}");
    for reference in &references {
        assert!(
            reference.starts_with(&format!("{SWR}/")),
            "{reference} is not under {SWR}"
        );
    }
    assert!(
        osc_csv::check(&rewritten)
            .iter()
            .all(|finding| finding.severity != osc_csv::Severity::Error),
        "{:#?}",
        osc_csv::check(&rewritten)
    );
}

#[test]
fn apply_lists_the_images_it_leaves_behind() {
    let mut text = hand_written_text();
    for (from, to) in [
        (
            "  - deployment: kvstore-webhook\n    containers:\n      - type: container\n        name: webhook\n        image: kvstore-webhook\n        tag: 1.0.0\n        package: {x86_64: kvstore-webhook-1.0.0.tar}\n",
            "",
        ),
        ("      tag: spec.backup.tag\n", ""),
    ] {
        assert!(text.contains(from));
        text = text.replacen(from, to, 1);
    }
    let copy = example_bundle(&[(
        "command: [\"/bin/sh\", \"-c\", \"true\"]",
        "args: [\"--image=docker.io/osc-examples/os-shell:12\"]",
    )]);
    let mapping = Mapping::parse(&text, MAPPING_FILE).unwrap();
    let applied = apply_operator(&copy.bundle, &mapping, SWR).unwrap();
    let mut out = String::new();
    for image in &applied.not_moved {
        writeln!(out, "{}: {}\n  {}", image.place, image.text, image.reason).unwrap();
    }
    insta::assert_snapshot!(out);
}

#[test]
fn apply_refuses_what_the_csv_does_not_have() {
    /// Replacements in the mapping text, each of the first occurrence.
    type Edits = &'static [(&'static str, &'static str)];
    let cases: &[(&str, Edits, &str)] = &[
        (
            "container type",
            &[("type: initContainer", "type: init")],
            SWR,
        ),
        ("container", &[("name: webhook", "name: hook")], SWR),
        (
            "deployment",
            &[("- deployment: kvstore-webhook", "- deployment: hook")],
            SWR,
        ),
        (
            "env without value",
            &[("- name: RELATED_IMAGE_KVSTORE", "- name: WATCH_NAMESPACE")],
            SWR,
        ),
        (
            "kind",
            &[("  - kind: KVStore\n    image: etcd", "  - image: etcd")],
            SWR,
        ),
        ("example", &[("kind: KVStoreBackup", "kind: KVBackup")], SWR),
        (
            "field",
            &[("fullAddress: spec.image", "fullAddress: spec.images")],
            SWR,
        ),
        (
            "number field",
            &[("fullAddress: spec.image", "fullAddress: spec.size")],
            SWR,
        ),
        ("registry", &[], "swr.example.com"),
    ];
    let copy = example_bundle(&[]);
    let mut out = String::new();
    for (name, edits, registry) in cases {
        let mut text = hand_written_text();
        for (from, to) in *edits {
            assert!(text.contains(from), "{name}: the mapping has {from:?}");
            text = text.replacen(from, to, 1);
        }
        let mapping = Mapping::parse(&text, MAPPING_FILE).unwrap();
        let error = apply_operator(&copy.bundle, &mapping, registry).unwrap_err();
        writeln!(out, "{name}: {error}").unwrap();
    }
    insta::assert_snapshot!(out);
}

fn describe_images(images: &OperatorImages) -> String {
    let mut out = String::new();
    for image in &images.containers {
        writeln!(
            out,
            "container {} {:?} {}: {}",
            image.deployment, image.kind, image.name, image.reference
        )
        .unwrap();
    }
    for image in &images.env {
        writeln!(
            out,
            "env {} {:?} {} {}: {}",
            image.deployment, image.kind, image.container, image.name, image.reference
        )
        .unwrap();
    }
    for image in &images.related {
        writeln!(
            out,
            "related [{}] {:?}: {}",
            image.index, image.name, image.reference
        )
        .unwrap();
    }
    for image in &images.examples {
        let parts = image
            .parts
            .iter()
            .map(|(path, part)| format!("{path}={part}"))
            .collect::<Vec<_>>()
            .join(" ");
        writeln!(out, "example {} {parts}: {}", image.kind, image.reference).unwrap();
    }
    for image in &images.unmovable {
        writeln!(
            out,
            "unmovable {}: {}\n  {}",
            image.place, image.text, image.reason
        )
        .unwrap();
    }
    out
}
