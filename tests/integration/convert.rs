//! `helm osc version-definition`, `helm osc convert`, and `package --version-definition`.

use crate::support::*;

#[test]
fn version_definition_writes_csd_yaml_and_refuses_a_wrong_mode() {
    let dir = tempfile::tempdir().unwrap();
    let csd = dir.path().join("csd.yaml");
    let output = helm_osc(&[
        "version-definition",
        example("etcd").to_str().unwrap(),
        "--mode",
        "tag",
        "--path",
        "image.tag",
        "--tags",
        "3.5.16,3.5.17",
        "-o",
        csd.to_str().unwrap(),
    ]);
    assert_success(&output);
    let written = std::fs::read_to_string(&csd).unwrap();
    insta::assert_snapshot!(written);

    // Updating keeps the rest of the file.
    let output = helm_osc(&[
        "version-definition",
        example("etcd").to_str().unwrap(),
        "--mode",
        "tag",
        "--path",
        "image.tag",
        "--tags",
        "3.5.17",
        "-o",
        csd.to_str().unwrap(),
    ]);
    assert_success(&output);
    let updated = std::fs::read_to_string(&csd).unwrap();
    assert_eq!(
        updated.replace("      - \"3.5.17\"\n", ""),
        written.replace("      - \"3.5.16\"\n      - \"3.5.17\"\n", "")
    );

    let before = std::fs::read(&csd).unwrap();
    let output = helm_osc(&[
        "version-definition",
        example("etcd").to_str().unwrap(),
        "--mode",
        "url",
        "--path",
        "image.tag",
        "--tags",
        "3.5.17",
        "-o",
        csd.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("error[versiondef-mode-mismatch]"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        std::fs::read(&csd).unwrap(),
        before,
        "a refused definition changes nothing"
    );

    let output = helm_osc(&[
        "version-definition",
        example("kvstore-operator").to_str().unwrap(),
        "--mode",
        "url",
        "--path",
        "spec.image",
        "--tags",
        "3.5.17",
        "--kind",
        "KVStore",
    ]);
    assert_success(&output);
    assert!(
        stdout(&output).contains("path: spec.image"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn convert_makes_the_osc_format_package() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("etcd-1.2.0.zip");
    let output = helm_osc(&[
        "convert",
        example("etcd").to_str().unwrap(),
        "-o",
        zip.to_str().unwrap(),
        "--provider-name",
        "OSC Examples",
        "--provider-url",
        "https://example.com",
    ]);
    assert_success(&output);
    insta::assert_snapshot!(zip_entry_names(&zip).join("\n"));

    let folder = dir.path().join("kvstore");
    assert_success(&helm_osc(&[
        "convert",
        example("kvstore-operator").to_str().unwrap(),
        "-o",
        folder.to_str().unwrap(),
    ]));
    for file in [
        "metadata.yaml",
        "lifecycle.yaml",
        "manifests/kvstore_crd.yaml",
        "manifests/kvstore_csd.yaml",
    ] {
        assert!(folder.join(file).is_file(), "{file}");
    }
    let output = helm_osc(&[
        "convert",
        example("kvstore-operator").to_str().unwrap(),
        "-o",
        folder.to_str().unwrap(),
    ]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "an existing folder is never written into"
    );
}

#[test]
fn package_with_a_version_definition_ships_the_osc_format() {
    let dir = tempfile::tempdir().unwrap();
    let csd = dir.path().join("csd.yaml");
    assert_success(&helm_osc(&[
        "version-definition",
        example("etcd").to_str().unwrap(),
        "--mode",
        "tag",
        "--path",
        "image.tag",
        "--tags",
        "3.5.17",
        "-o",
        csd.to_str().unwrap(),
    ]));
    let dist = dir.path().join("dist");
    let output = helm_osc(&[
        "package",
        example("etcd").to_str().unwrap(),
        "--images",
        example("etcd-images").to_str().unwrap(),
        "--version-definition",
        csd.to_str().unwrap(),
        "-d",
        dist.to_str().unwrap(),
    ]);
    assert_success(&output);
    let names = zip_entry_names(&dist.join("etcd-1.2.0.zip"));
    assert!(
        names.contains(&"etcd/package/etcd-1.2.0.zip".to_string()),
        "{names:?}"
    );
}
