//! alm-examples images held in fields of any name: each case is one custom resource of a CSV
//! built here, with the images its fields hold (or none, for look-alikes). The whole CSV then
//! goes through generate, check and apply: every image found gets an instance, the mapping
//! checks clean, and after the rewrite every image of the examples is under the platform
//! registry with the same tag.

mod common;

use std::fmt::Write;

use osc_csv::Bundle;
use osc_image::Arch;
use osc_mapping::{
    ExampleImage, Tar, apply_operator, check_operator, generate_operator, operator_images,
    operator_images_with_tars,
};
use osc_mapping::{Mapping, Severity};

const SWR: &str = "swr.cn-north-4.myhuaweicloud.com/team";

struct Case {
    kind: &'static str,
    /// The resource's `spec`, JSON.
    spec: &'static str,
    /// Each image found: `path=part ...: reference`, in the order found.
    images: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        kind: "CamelCase",
        spec: r#"{"imageRegistry": "registry.tide.dev", "imageRepository": "tide/server", "imageTag": "2.4.1", "replicas": 3}"#,
        images: &[
            "spec.imageRegistry=endpoint spec.imageRepository=repo spec.imageTag=tag: registry.tide.dev/tide/server:2.4.1",
        ],
    },
    Case {
        kind: "SnakeCase",
        spec: r#"{"image_registry": "registry.tide.dev", "image_repository": "tide/server", "image_tag": "2.4.1"}"#,
        images: &[
            "spec.image_registry=endpoint spec.image_repository=repo spec.image_tag=tag: registry.tide.dev/tide/server:2.4.1",
        ],
    },
    Case {
        kind: "NestedImage",
        spec: r#"{"ingest": {"worker": {"image": {"registry": "registry.tide.dev", "repository": "tide/worker", "tag": "2.4.1"}}}}"#,
        images: &[
            "spec.ingest.worker.image.registry=endpoint spec.ingest.worker.image.repository=repo spec.ingest.worker.image.tag=tag: registry.tide.dev/tide/worker:2.4.1",
        ],
    },
    Case {
        // No key says image: the operator's own registry beside a path and a version do.
        kind: "HostPathRelease",
        spec: r#"{"container": {"host": "registry.tide.dev", "path": "tide/worker", "release": "v2.4.1"}}"#,
        images: &[
            "spec.container.host=endpoint spec.container.path=repo spec.container.release=tag: registry.tide.dev/tide/worker:v2.4.1",
        ],
    },
    Case {
        kind: "BaseAndVersion",
        spec: r#"{"baseImage": "registry.tide.dev/tide/server", "version": "v2.4.1", "serviceAccountName": "tide-server"}"#,
        images: &[
            "spec.baseImage=repository spec.version=tag: registry.tide.dev/tide/server:v2.4.1",
        ],
    },
    Case {
        kind: "VersionInParent",
        spec: r#"{"version": "v2.4.1", "storage": {"size": "10Gi"}, "relay": {"baseImage": "registry.tide.dev/tide/relay"}}"#,
        images: &[
            "spec.relay.baseImage=repository spec.version=tag: registry.tide.dev/tide/relay:v2.4.1",
        ],
    },
    Case {
        // One version for two base images: both write it, with the same tag.
        kind: "SharedVersion",
        spec: r#"{"version": "2.4.1", "serverBaseImage": "registry.tide.dev/tide/server", "relayBaseImage": "registry.tide.dev/tide/relay"}"#,
        images: &[
            "spec.serverBaseImage=repository spec.version=tag: registry.tide.dev/tide/server:2.4.1",
            "spec.relayBaseImage=repository spec.version=tag: registry.tide.dev/tide/relay:2.4.1",
        ],
    },
    Case {
        kind: "ImageAndImageTag",
        spec: r#"{"image": "registry.tide.dev/tide/server", "imageTag": "2.4.1", "schemaVersion": "3"}"#,
        images: &["spec.image=repository spec.imageTag=tag: registry.tide.dev/tide/server:2.4.1"],
    },
    Case {
        kind: "PrefixAndName",
        spec: r#"{"sidecar": {"registryPrefix": "registry.tide.dev/tide", "name": "relay", "version": "2.4.1"}}"#,
        images: &[
            "spec.sidecar.registryPrefix=prefixAddress spec.sidecar.version=tag: registry.tide.dev/tide/relay:2.4.1",
        ],
    },
    Case {
        // A bare word and a version are an image only because relatedImages names it.
        kind: "KnownByRelatedImages",
        spec: r#"{"cache": {"engine": "valkey", "release": "8.0.2"}}"#,
        images: &["spec.cache.engine=repository spec.cache.release=tag: valkey:8.0.2"],
    },
    Case {
        // `stable` reads as no version: only the tar holding tide/agent:stable proves it.
        kind: "KnownByTar",
        spec: r#"{"agent": {"image": {"repository": "tide/agent", "channel": "stable"}}}"#,
        images: &[
            "spec.agent.image.repository=repository spec.agent.image.channel=tag: tide/agent:stable",
        ],
    },
    Case {
        kind: "WholeReferences",
        spec: r#"{"image": "registry.tide.dev/tide/server:2.4.1", "tools": ["registry.tide.dev/tide/tools:1.0"]}"#,
        images: &[
            "spec.image=fullAddress: registry.tide.dev/tide/server:2.4.1",
            "spec.tools[0]=fullAddress: registry.tide.dev/tide/tools:1.0",
        ],
    },
    Case {
        // Fields that join into valid references but hold no image.
        kind: "LookAlikes",
        spec: r#"{"name": "example", "version": "1.0.0", "owner": "tide-team",
                  "chart": {"repo": "charts", "version": "1.0.0"},
                  "objectStore": {"endpoint": "minio.tide.dev:9000", "bucket": "backups"},
                  "database": {"name": "valkey", "version": "7"},
                  "apiGroup": "tide.dev/v1", "ticket": "INC-42",
                  "mirror": {"registry": "registry.tide.dev/tide", "release": "2.4.1"},
                  "externalDb": {"host": "db.tide.dev", "database": "ledger", "version": "14"},
                  "ingress": {"host": "app.tide.dev", "path": "api/users", "version": "v2"},
                  "backupTarget": {"registry": "registry.tide.dev", "repository": "tide/backups"}}"#,
        images: &[],
    },
];

/// A CSV whose alm-examples hold one resource per case, beside a deployment and relatedImages
/// naming the images the known-image cases rely on.
fn csv_text() -> String {
    let examples = CASES
        .iter()
        .map(|case| {
            format!(
                r#"{{"apiVersion": "tide.dev/v1", "kind": "{}", "metadata": {{"name": "sample"}}, "spec": {}}}"#,
                case.kind, case.spec
            )
        })
        .collect::<Vec<_>>()
        .join(",\n        ");
    format!(
        r#"apiVersion: operators.coreos.com/v1alpha1
kind: ClusterServiceVersion
metadata:
  name: tide-operator.v2.4.1
  annotations:
    alm-examples: |-
      [
        {examples}
      ]
spec:
  version: 2.4.1
  displayName: Tide
  install:
    strategy: deployment
    spec:
      deployments:
        - name: tide-operator
          spec:
            template:
              spec:
                containers:
                  - name: manager
                    image: registry.tide.dev/tide/operator:2.4.1
  relatedImages:
    - name: cache
      image: docker.io/library/valkey:8.0.2
"#
    )
}

fn bundle() -> (tempfile::TempDir, Bundle) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("tide-operator.clusterserviceversion.yaml"),
        csv_text(),
    )
    .unwrap();
    let bundle = osc_csv::load(dir.path()).unwrap();
    (dir, bundle)
}

/// One tar per image of the cases and of the deployment.
fn tars() -> Vec<Tar> {
    let mut references: Vec<String> = CASES
        .iter()
        .flat_map(|case| case.images)
        .map(|line| line.rsplit_once(": ").unwrap().1.to_owned())
        .collect();
    references.push("registry.tide.dev/tide/operator:2.4.1".to_owned());
    references.sort();
    references.dedup();
    references
        .iter()
        .enumerate()
        .map(|(index, reference)| {
            common::tar(&format!("image-{index}.tar"), &[(reference, Arch::X86_64)])
        })
        .collect()
}

fn describe(image: &ExampleImage) -> String {
    let parts = image
        .parts
        .iter()
        .map(|(path, part)| format!("{path}={part}"))
        .collect::<Vec<_>>()
        .join(" ");
    format!("{parts}: {}", image.reference.familiar())
}

#[test]
fn each_case_finds_the_images_its_fields_hold() {
    let (_dir, bundle) = bundle();
    let images = operator_images_with_tars(&bundle, &tars());
    let mut wrong = Vec::new();
    for case in CASES {
        let found: Vec<String> = images
            .examples
            .iter()
            .filter(|image| image.kind == case.kind)
            .map(describe)
            .collect();
        if found != case.images {
            wrong.push(format!(
                "{}: expected {:#?}\nfound {found:#?}",
                case.kind, case.images
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(images.unmovable.is_empty(), "{:#?}", images.unmovable);
}

#[test]
fn without_tars_only_the_tar_proven_image_is_missed() {
    let (_dir, bundle) = bundle();
    let with = operator_images_with_tars(&bundle, &tars());
    let without = operator_images(&bundle);
    let kinds = |images: &osc_mapping::OperatorImages| {
        images
            .examples
            .iter()
            .map(|image| image.kind.clone())
            .collect::<Vec<_>>()
    };
    let mut missed = kinds(&with);
    for kind in kinds(&without) {
        let position = missed.iter().position(|found| *found == kind).unwrap();
        missed.remove(position);
    }
    assert_eq!(missed, ["KnownByTar"]);
}

#[test]
fn generate_check_and_apply_move_every_example_image() {
    let (dir, bundle) = bundle();
    let tars = tars();
    let generated = generate_operator(&bundle, &tars);
    assert!(
        generated.unmatched_images.is_empty(),
        "{:#?}",
        generated.unmatched_images
    );
    assert!(
        generated.unmappable.is_empty(),
        "{:#?}",
        generated.unmappable
    );
    insta::assert_snapshot!(generated.text);

    let findings = check_operator("images/mapping.yaml", &generated.mapping, &bundle, &tars);
    let errors: Vec<String> = findings
        .iter()
        .filter(|finding| finding.severity == Severity::Error)
        .map(ToString::to_string)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");

    let mapping = Mapping::parse(&generated.text, "generated").unwrap();
    let applied = apply_operator(&bundle, &mapping, SWR).unwrap();
    assert!(applied.not_moved.is_empty(), "{:#?}", applied.not_moved);
    let mut changes = String::new();
    for change in &applied.changes {
        writeln!(
            changes,
            "{}: {} -> {}",
            change.path, change.before, change.after
        )
        .unwrap();
    }
    insta::assert_snapshot!("example_fields_rewritten", changes);

    std::fs::write(
        dir.path().join("tide-operator.clusterserviceversion.yaml"),
        &applied.text,
    )
    .unwrap();
    let rewritten = osc_csv::load(dir.path()).unwrap();
    // The platform's registry holds what the entries pushed: the evidence the tars were.
    let pushed: Vec<Tar> = mapping
        .instance
        .iter()
        .map(|instance| {
            let reference = format!("{SWR}/{}:{}", instance.image, instance.tag);
            common::tar("pushed.tar", &[(&reference, Arch::X86_64)])
        })
        .collect();
    let before = operator_images_with_tars(&bundle, &tars).examples;
    let after = operator_images_with_tars(&rewritten, &pushed).examples;
    assert_eq!(after.len(), before.len(), "{after:#?}");
    for (old, new) in before.iter().zip(&after) {
        assert_eq!(old.parts, new.parts);
        assert!(
            new.reference.to_string().starts_with(&format!("{SWR}/")),
            "{} is not under {SWR}",
            new.reference
        );
        assert_eq!(old.reference.tag(), new.reference.tag());
    }
}

/// Hand-made mistakes in the generated mapping, each with the rules that must report it.
const MISTAKES: &[(&str, &str, &str, &[&str])] = &[
    (
        "base image without its version",
        "    repository: spec.baseImage\n    tag: spec.version\n",
        "    repository: spec.baseImage\n",
        &["entry-incomplete"],
    ),
    (
        "base image written whole",
        "    repository: spec.baseImage\n    tag: spec.version\n",
        "    fullAddress: spec.baseImage\n    tag: spec.version\n",
        &["entry-incomplete", "part-mismatch"],
    ),
    (
        "camelCase tag not written",
        "    tag: spec.imageTag\n",
        "",
        &["entry-incomplete"],
    ),
    (
        "shared version given another tag",
        "  image: relay\n  tag: 2.4.1\n  address:\n    repository: spec.relayBaseImage\n",
        "  image: relay\n  tag: 2.4.2\n  address:\n    repository: spec.relayBaseImage\n",
        &["shared-key-conflict", "tag-differs"],
    ),
];

#[test]
fn check_reports_mistakes_in_pieces_of_any_name() {
    let (_dir, bundle) = bundle();
    let tars = tars();
    let generated = generate_operator(&bundle, &tars).text;
    let mut wrong = Vec::new();
    for (name, from, to, rules) in MISTAKES {
        assert!(generated.contains(from), "{name}: the mapping has {from:?}");
        let text = generated.replacen(from, to, 1);
        let mapping = Mapping::parse(&text, "mapping.yaml").unwrap();
        let findings = check_operator("mapping.yaml", &mapping, &bundle, &tars);
        let mut found: Vec<&str> = findings.iter().map(|finding| finding.rule).collect();
        found.sort_unstable();
        found.dedup();
        if found != *rules {
            let text: Vec<String> = findings.iter().map(ToString::to_string).collect();
            wrong.push(format!("{name}: expected {rules:?}, found {text:#?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
