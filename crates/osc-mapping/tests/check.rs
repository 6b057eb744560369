//! `check` on the etcd chart: its hand-written mapping is clean, and each rule fires on a
//! mapping (or chart) broken the way that rule is about.

mod common;

use std::collections::BTreeSet;

use common::{Scenario, etcd, found, key, subchart_key};
use osc_imageref::ImageRef;
use osc_mapping::{Mapping, check, generate};
use osc_render::{AddressPart::*, ContainerType};

const MAPPING: &str = include_str!("fixtures/etcd/mapping.yaml");
const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

struct Case {
    name: &'static str,
    /// Replacements in the mapping text, each of the first occurrence.
    edits: &'static [(&'static str, &'static str)],
    chart: fn(&mut Scenario),
    rules: &'static [&'static str],
}

fn unchanged(_: &mut Scenario) {}

/// The etcd image with its registry written in the template instead of taken from values.
fn etcd_registry_in_template(scenario: &mut Scenario) {
    scenario.images[0]
        .keys
        .retain(|key| key.path != "image.registry");
}

const ETCD_WITHOUT_ENDPOINT: (&str, &str) = ("    endpoint: image.registry\n", "");

const CASES: &[Case] = &[
    Case {
        name: "values_invalid",
        edits: &[],
        chart: |scenario| scenario.values = "image: [docker.io\n".to_owned(),
        rules: &["values-invalid"],
    },
    Case {
        name: "operator_fields",
        edits: &[
            ("- image: etcd\n", "- image: etcd\n  kind: EtcdCluster\n"),
            (
                "instance:\n",
                "lifecycle:\n- deployment: etcd-operator\n  containers: []\ninstance:\n",
            ),
        ],
        chart: unchanged,
        rules: &["operator-field"],
    },
    Case {
        name: "address_empty",
        edits: &[(
            "  address:\n    fullAddress: metrics.image\n",
            "  address: {}\n",
        )],
        chart: unchanged,
        rules: &["address-empty", "image-not-covered"],
    },
    Case {
        name: "path_invalid",
        edits: &[("tag: image.tag", "tag: image..tag")],
        chart: unchanged,
        rules: &["path-invalid"],
    },
    Case {
        name: "path_not_scalar",
        edits: &[("fullAddress: metrics.image", "fullAddress: metrics")],
        chart: unchanged,
        rules: &["path-not-scalar", "image-not-covered"],
    },
    Case {
        name: "path_only_in_subchart",
        edits: &[(
            "instance:\n",
            "instance:\n- image: nginx\n  tag: \"1.27\"\n  address:\n    repository: web.image.repository\n    tag: web.image.tag\n  package:\n    x86_64: etcd-3.5.0-x86_64.tar\n    aarch64: etcd-3.5.0-aarch64.tar\n",
        )],
        chart: |scenario| {
            scenario.images.push(found(
                "nginx:1.27",
                &[(
                    "charts/web/templates/web.yaml",
                    "Deployment",
                    "web",
                    ContainerType::Container,
                    "nginx",
                )],
                vec![
                    subchart_key("web", "web.image.repository", Repository, "nginx"),
                    subchart_key("web", "web.image.tag", Tag, "1.27"),
                ],
            ));
        },
        rules: &["path-only-in-subchart", "tar-image-mismatch"],
    },
    Case {
        name: "path_missing",
        edits: &[("tag: image.tag", "tag: image.version")],
        chart: unchanged,
        rules: &["path-missing"],
    },
    Case {
        name: "key_not_image",
        edits: &[("tag: image.tag", "tag: image.pullPolicy")],
        chart: unchanged,
        rules: &["key-not-image"],
    },
    Case {
        name: "part_mismatch",
        edits: &[("repo: image.repository", "repository: image.repository")],
        chart: unchanged,
        rules: &["part-mismatch"],
    },
    Case {
        name: "shared_key_conflict",
        edits: &[(
            "fullAddress: metrics.image\n",
            "fullAddress: metrics.image\n    tag: image.tag\n",
        )],
        chart: unchanged,
        rules: &["shared-key-conflict", "key-wrong-value"],
    },
    Case {
        name: "image_hard_coded",
        edits: &[],
        chart: |scenario| {
            scenario.images.push(found(
                "busybox:1.36",
                &[(
                    "templates/job.yaml",
                    "Job",
                    "wait",
                    ContainerType::InitContainer,
                    "wait",
                )],
                Vec::new(),
            ))
        },
        rules: &["image-hard-coded"],
    },
    Case {
        name: "image_not_covered",
        edits: &[(
            "- image: etcd-exporter\n  tag: 0.9.4\n  address:\n    fullAddress: metrics.image\n  package:\n    x86_64: etcd-exporter-0.9.4.tar\n    aarch64: etcd-exporter-0.9.4-arm64.tar\n",
            "",
        )],
        chart: unchanged,
        rules: &["image-not-covered"],
    },
    Case {
        name: "registry_in_template",
        edits: &[ETCD_WITHOUT_ENDPOINT],
        chart: etcd_registry_in_template,
        rules: &["entry-incomplete"],
    },
    Case {
        name: "path_in_pieces",
        edits: &[("    repo: image.repository\n", "")],
        chart: |scenario| {
            let keys = &mut scenario.images[0].keys;
            keys.retain(|key| key.path != "image.repository");
            keys.push(key("image.org", Partial, "bitnami"));
        },
        rules: &["entry-incomplete"],
    },
    Case {
        name: "prefix_followed_by_another_name",
        edits: &[
            ("- image: etcd\n", "- image: etcd-server\n"),
            (
                "    endpoint: image.registry\n    repo: image.repository\n",
                "    prefixAddress: global.prefix\n",
            ),
        ],
        chart: |scenario| {
            let keys = &mut scenario.images[0].keys;
            keys.retain(|key| key.part == Tag);
            keys.push(key("global.prefix", PrefixAddress, "docker.io/bitnami"));
            scenario.values = scenario
                .values
                .replace("global:\n", "global:\n  prefix: docker.io/bitnami\n");
        },
        rules: &["entry-incomplete"],
    },
    Case {
        name: "tag_in_template",
        edits: &[
            ("  tag: 3.5.0\n", "  tag: 3.5.1\n"),
            ("    tag: image.tag\n", ""),
        ],
        chart: |scenario| {
            scenario.images[0]
                .keys
                .retain(|key| key.path != "image.tag")
        },
        rules: &["entry-incomplete", "tag-differs"],
    },
    Case {
        name: "tag_differs",
        edits: &[("  tag: 3.5.0\n", "  tag: 3.5.1\n")],
        chart: unchanged,
        rules: &["tag-differs"],
    },
    Case {
        name: "key_not_mapped",
        edits: &[ETCD_WITHOUT_ENDPOINT],
        chart: unchanged,
        rules: &["key-not-mapped"],
    },
    Case {
        name: "key_wrong_value",
        edits: &[
            ("    tag: volumePermissions.image.tag\n", ""),
            (
                "fullAddress: metrics.image\n",
                "fullAddress: metrics.image\n    tag: volumePermissions.image.tag\n",
            ),
        ],
        chart: unchanged,
        rules: &["key-wrong-value"],
    },
    Case {
        name: "digest_pinned",
        edits: &[],
        chart: |scenario| {
            let etcd = &mut scenario.images[0];
            etcd.reference =
                ImageRef::parse(&format!("docker.io/bitnami/etcd:3.5.0@{DIGEST}")).unwrap();
            etcd.keys.push(key("image.digest", Digest, DIGEST));
        },
        rules: &["digest-pinned"],
    },
    Case {
        name: "image_name_invalid",
        edits: &[("- image: etcd\n", "- image: Etcd\n")],
        chart: unchanged,
        rules: &["image-name-invalid"],
    },
    Case {
        name: "tag_invalid",
        edits: &[("tag: \"12\"", "tag: \"-12\"")],
        chart: unchanged,
        rules: &["tag-invalid", "tag-differs"],
    },
    Case {
        name: "package_missing",
        edits: &[(
            "  package:\n    x86_64: etcd-exporter-0.9.4.tar\n    aarch64: etcd-exporter-0.9.4-arm64.tar\n",
            "",
        )],
        chart: unchanged,
        rules: &["package-missing"],
    },
    Case {
        name: "tar_missing",
        edits: &[(
            "x86_64: etcd-exporter-0.9.4.tar",
            "x86_64: etcd-exporter.tar",
        )],
        chart: unchanged,
        rules: &["tar-missing"],
    },
    Case {
        name: "tar_arch_mismatch",
        edits: &[(
            "    x86_64: etcd-3.5.0-x86_64.tar\n    aarch64: etcd-3.5.0-aarch64.tar\n",
            "    x86_64: etcd-3.5.0-aarch64.tar\n    aarch64: etcd-3.5.0-x86_64.tar\n",
        )],
        chart: unchanged,
        rules: &["tar-arch-mismatch"],
    },
    Case {
        name: "tar_image_mismatch",
        edits: &[("x86_64: os-shell-12.tar", "x86_64: etcd-operator-0.9.4.tar")],
        chart: unchanged,
        rules: &["tar-image-mismatch"],
    },
    Case {
        name: "arch_tar_missing",
        edits: &[("    aarch64: os-shell-12-arm64.tar\n", "")],
        chart: unchanged,
        rules: &["arch-tar-missing"],
    },
    Case {
        name: "image_name_collision",
        edits: &[("- image: etcd-exporter\n", "- image: etcd-operator\n")],
        chart: unchanged,
        rules: &["image-name-collision"],
    },
];

#[test]
fn each_rule_fires_on_the_mapping_it_is_about() {
    let mut wrong = Vec::new();
    for case in CASES {
        let mut mapping = MAPPING.to_owned();
        for (from, to) in case.edits {
            assert!(
                mapping.contains(from),
                "{}: the mapping has {from:?}",
                case.name
            );
            mapping = mapping.replacen(from, to, 1);
        }
        let mut scenario = etcd();
        (case.chart)(&mut scenario);
        let parsed = Mapping::parse(&mapping, "etcd/images/mapping.yaml").unwrap();
        let findings = check(
            "etcd/images/mapping.yaml",
            &parsed,
            &scenario.images,
            &scenario.values,
            &scenario.tars,
        );
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
fn the_hand_written_mapping_and_the_generated_one_are_clean_and_equal() {
    let scenario = etcd();
    let hand_written = Mapping::parse(MAPPING, "mapping.yaml").unwrap();
    let generated = generate("etcd", &scenario.images, &scenario.tars).mapping;
    assert_eq!(generated, hand_written);
    let findings = check(
        "mapping.yaml",
        &hand_written,
        &scenario.images,
        &scenario.values,
        &scenario.tars,
    );
    assert!(findings.is_empty(), "{findings:#?}");
}
