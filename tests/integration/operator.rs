//! `helm osc package` on an Operator-Framework bundle.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::support::*;

fn package(source: &Path, dist: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "package",
        source.to_str().unwrap(),
        "-d",
        dist.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    helm_osc(&args)
}

/// The files of the bundle zip inside a service package.
fn bundle_entries(zip: &Path, deployable: &str) -> Vec<(String, Vec<u8>)> {
    let mut outer = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    let mut inner_bytes = Vec::new();
    outer
        .by_name(deployable)
        .unwrap()
        .read_to_end(&mut inner_bytes)
        .unwrap();
    let mut inner = zip::ZipArchive::new(std::io::Cursor::new(inner_bytes)).unwrap();
    (0..inner.len())
        .map(|index| {
            let mut file = inner.by_index(index).unwrap();
            let mut data = Vec::new();
            file.read_to_end(&mut data).unwrap();
            (file.name().to_string(), data)
        })
        .collect()
}

#[test]
fn the_operator_example_becomes_a_service_package() {
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    let source = example("kvstore-operator");
    let before = snapshot_tree(&source);
    let output = package(
        &source,
        &dist,
        &[
            "--images",
            example("kvstore-operator-images").to_str().unwrap(),
            "--category",
            "Database",
        ],
    );
    assert_success(&output);
    assert_eq!(snapshot_tree(&source), before, "the bundle was modified");

    let zip = dist.join("kvstore-operator-1.0.0.zip");
    insta::assert_snapshot!(zip_entry_names(&zip).join("\n"), @r"
    kvstore-operator/
    kvstore-operator/package/
    kvstore-operator/images/
    kvstore-operator/package/kvstore-operator-1.0.0.zip
    kvstore-operator/images/mapping.yaml
    kvstore-operator/images/etcd-3.5.17.tar
    kvstore-operator/images/kvstore-operator-1.0.0.tar
    kvstore-operator/images/kvstore-webhook-1.0.0.tar
    kvstore-operator/images/os-shell-12.tar
    ");
    let entries = bundle_entries(&zip, "kvstore-operator/package/kvstore-operator-1.0.0.zip");
    let names: Vec<&str> = entries.iter().map(|(name, _)| name.as_str()).collect();
    insta::assert_snapshot!(names.join("\n"), @r"
    kvstore-operator/
    kvstore-operator/manifests/
    kvstore-operator/metadata/
    kvstore-operator/manifests/kvstore-operator.clusterserviceversion.yaml
    kvstore-operator/manifests/kvstorebackups.example.com.crd.yaml
    kvstore-operator/manifests/kvstores.example.com.crd.yaml
    kvstore-operator/metadata/annotations.yaml
    ");
    // Every file but the CSV is the provider's bytes; the CSV differs only by the annotations.
    for (name, data) in &entries {
        let Some(relative) = name
            .strip_prefix("kvstore-operator/")
            .filter(|r| !r.is_empty() && !r.ends_with('/'))
        else {
            continue;
        };
        let original = std::fs::read(source.join(relative)).unwrap();
        if relative.ends_with(".clusterserviceversion.yaml") {
            let original = String::from_utf8(original).unwrap();
            let edited = String::from_utf8(data.clone()).unwrap();
            let diff = similar::TextDiff::from_lines(&original, &edited)
                .unified_diff()
                .context_radius(1)
                .to_string();
            insta::assert_snapshot!(diff);
        } else {
            assert_eq!(data, &original, "{relative}");
        }
    }

    let verified = helm_osc(&["verify", zip.to_str().unwrap()]);
    assert_success(&verified);

    // Reproducible.
    let again = dir.path().join("again");
    assert_success(&package(
        &source,
        &again,
        &[
            "--images",
            example("kvstore-operator-images").to_str().unwrap(),
            "--category",
            "Database",
        ],
    ));
    assert_eq!(
        std::fs::read(&zip).unwrap(),
        std::fs::read(again.join("kvstore-operator-1.0.0.zip")).unwrap()
    );
}

fn bundle_copy(root: &Path) -> PathBuf {
    let bundle = root.join("bundle");
    copy_tree(&example("kvstore-operator"), &bundle);
    bundle
}

#[test]
fn operator_refusals() {
    struct Case {
        name: &'static str,
        edit: fn(&str) -> String,
        want: &'static [&'static str],
    }
    let cases = [
        Case {
            name: "no contact",
            edit: |csv| {
                csv.replace("  maintainers:\n    - name: OSC Examples\n      email: osc-examples@example.com\n", "")
                    .replace("  provider:\n    name: OSC Examples\n    url: https://example.com\n", "")
            },
            want: &[
                "kvstore-operator.clusterserviceversion.yaml",
                "spec.maintainers",
                "contact",
                "--maintainer",
            ],
        },
        Case {
            name: "image in args",
            edit: |csv| {
                csv.replace(
                    "command: [\"/bin/sh\", \"-c\", \"true\"]",
                    "args: [\"--image=docker.io/osc-examples/os-shell:12\"]",
                )
            },
            want: &["image-unmovable", "args[0]", "--allow-unmovable"],
        },
        Case {
            name: "version with build metadata",
            edit: |csv| csv.replace("  version: 1.0.0\n", "  version: 1.0.0+build.1\n"),
            want: &["spec.version", "1.0.0+build.1", "build metadata"],
        },
    ];
    for case in cases {
        let dir = tempfile::tempdir().unwrap();
        let bundle = bundle_copy(dir.path());
        let csv_path = bundle.join("manifests/kvstore-operator.clusterserviceversion.yaml");
        let csv = std::fs::read_to_string(&csv_path).unwrap();
        let edited = (case.edit)(&csv);
        assert_ne!(edited, csv, "{}: the edit did not apply", case.name);
        std::fs::write(&csv_path, edited).unwrap();
        let dist = dir.path().join("dist");
        let output = package(&bundle, &dist, &[]);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{}: {}",
            case.name,
            stderr(&output)
        );
        for want in case.want {
            assert!(
                stderr(&output).contains(want),
                "{}: {:?} lacks {want:?}",
                case.name,
                stderr(&output)
            );
        }
        assert!(
            !dist.exists() || std::fs::read_dir(&dist).unwrap().count() == 0,
            "{}: something was written",
            case.name
        );
    }
}

/// A CSV without a contact packages with `--maintainer`: the packaged CSV gets the maintainer,
/// and nothing else changes beyond the annotations.
#[test]
fn maintainer_settles_a_missing_contact_of_an_operator() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = bundle_copy(dir.path());
    let csv_path = bundle.join("manifests/kvstore-operator.clusterserviceversion.yaml");
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    let without = csv
        .replace(
            "  maintainers:\n    - name: OSC Examples\n      email: osc-examples@example.com\n",
            "",
        )
        .replace(
            "  provider:\n    name: OSC Examples\n    url: https://example.com\n",
            "",
        );
    assert_ne!(without, csv);
    std::fs::write(&csv_path, &without).unwrap();
    let dist = dir.path().join("dist");
    let output = package(
        &bundle,
        &dist,
        &["--maintainer", "KV Team <kv@example.org>"],
    );
    assert_success(&output);
    let entries = bundle_entries(
        &dist.join("kvstore-operator-1.0.0.zip"),
        "kvstore-operator/package/kvstore-operator-1.0.0.zip",
    );
    let (_, packaged) = entries
        .iter()
        .find(|(name, _)| name.ends_with(".clusterserviceversion.yaml"))
        .unwrap();
    let packaged = String::from_utf8(packaged.clone()).unwrap();
    let diff = similar::TextDiff::from_lines(without.as_str(), packaged.as_str())
        .unified_diff()
        .context_radius(1)
        .to_string();
    insta::assert_snapshot!(diff);
}

#[test]
fn operator_images_mapping_and_rewrite() {
    let bundle = example("kvstore-operator");
    let images = helm_osc(&["images", bundle.to_str().unwrap()]);
    assert_success(&images);
    insta::assert_snapshot!("operator_images", stdout(&images));

    // The generated mapping is the hand-written one, and --check accepts that.
    let tars = example("kvstore-operator-images");
    let generated = helm_osc(&[
        "mapping",
        bundle.to_str().unwrap(),
        "--images",
        tars.to_str().unwrap(),
    ]);
    assert_success(&generated);
    let generated: serde_norway::Value = serde_norway::from_slice(&generated.stdout).unwrap();
    let by_hand: serde_norway::Value =
        serde_norway::from_str(&std::fs::read_to_string(tars.join("mapping.yaml")).unwrap())
            .unwrap();
    assert_eq!(generated, by_hand);
    let checked = helm_osc(&[
        "mapping",
        bundle.to_str().unwrap(),
        "--images",
        tars.to_str().unwrap(),
        "--check",
        tars.join("mapping.yaml").to_str().unwrap(),
    ]);
    assert_success(&checked);

    // The platform's rewrite moves every image of the CSV, alm-examples included, and the bundle
    // written with -o loads with every image under the registry.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rewritten");
    let rewritten = helm_osc(&[
        "rewrite",
        bundle.to_str().unwrap(),
        "--registry",
        "swr.cn-east-3.myhuaweicloud.com/my-org",
        "--mapping",
        tars.join("mapping.yaml").to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_success(&rewritten);
    insta::assert_snapshot!("operator_rewrite", stdout(&rewritten));
    let images = helm_osc(&["images", out.to_str().unwrap(), "--output", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&images.stdout).unwrap();
    for image in report["images"].as_array().unwrap() {
        assert!(
            image["reference"]
                .as_str()
                .unwrap()
                .starts_with("swr.cn-east-3.myhuaweicloud.com/my-org/"),
            "{image}"
        );
    }
    assert_eq!(report["images"].as_array().unwrap().len(), 4);
}
