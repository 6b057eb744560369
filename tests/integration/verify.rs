//! `helm osc verify` on packages the tool built and on broken ones.

use std::path::PathBuf;

use crate::support::*;

fn build(dir: &std::path::Path, mapping: Option<&str>) -> PathBuf {
    let dist = dir.join("dist");
    let args = [
        "package".to_string(),
        example("etcd").display().to_string(),
        "--images".into(),
        example("etcd-images").display().to_string(),
        "-d".into(),
        dist.display().to_string(),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_success(&helm_osc(&args));
    let zip = dist.join("etcd-1.2.0.zip");
    if let Some(mapping) = mapping {
        // `package` refuses a broken mapping, so it goes in after the build, as by hand.
        replace_entry(&zip, "etcd/images/mapping.yaml", mapping.as_bytes());
        std::fs::write(
            dist.join("etcd-1.2.0.zip.sha256"),
            format!("{}  etcd-1.2.0.zip\n", sha256_hex(&zip)),
        )
        .unwrap();
    }
    zip
}

/// Rewrites a zip with one entry's bytes replaced, the entries in their order.
fn replace_entry(zip: &std::path::Path, name: &str, data: &[u8]) {
    use std::io::{Read, Write};
    let mut archive = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    let mut entries = Vec::new();
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).unwrap();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        entries.push((entry.name().to_string(), bytes));
    }
    let mut writer = zip::ZipWriter::new(std::fs::File::create(zip).unwrap());
    for (entry, bytes) in entries {
        let options = zip::write::SimpleFileOptions::default();
        if entry.ends_with('/') {
            writer.add_directory(entry, options).unwrap();
        } else {
            writer.start_file(entry.clone(), options).unwrap();
            writer
                .write_all(if entry == name { data } else { &bytes })
                .unwrap();
        }
    }
    writer.finish().unwrap();
}

#[test]
fn a_package_the_tool_built_passes() {
    let dir = tempfile::tempdir().unwrap();
    let zip = build(dir.path(), None);
    let output = helm_osc(&["verify", zip.to_str().unwrap(), "--output", "json"]);
    assert_success(&output);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["ok"], true);
    assert_eq!(report["findings"], serde_json::json!([]));
    assert_eq!(report["name"], "etcd");
    assert_eq!(report["version"], "1.2.0");
    assert_eq!(report["deployable"], "etcd/package/etcd-1.2.0.tgz");
    assert_eq!(report["images"].as_array().unwrap().len(), 4);
    assert!(
        report["sha256_file"]
            .as_str()
            .unwrap()
            .ends_with("etcd-1.2.0.zip.sha256")
    );
}

#[test]
fn a_wrong_checksum_is_a_finding() {
    let dir = tempfile::tempdir().unwrap();
    let zip = build(dir.path(), None);
    std::fs::write(
        dir.path().join("dist/etcd-1.2.0.zip.sha256"),
        format!("{}  etcd-1.2.0.zip\n", "0".repeat(64)),
    )
    .unwrap();
    let output = helm_osc(&["verify", zip.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let said = stdout(&output);
    assert!(said.contains("error[sha256-mismatch]"), "{said}");
    assert!(said.contains(&"0".repeat(64)), "{said}");
}

#[test]
fn a_mapping_that_names_a_missing_tar_is_a_finding() {
    let dir = tempfile::tempdir().unwrap();
    let mapping = "instance:\n  - image: etcd\n    tag: 3.5.17\n    address: {fullAddress: image}\n    package: {x86_64: etcd-9.9.9.tar}\n";
    let zip = build(dir.path(), Some(mapping));
    let output = helm_osc(&["verify", zip.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let said = stdout(&output).replace(dir.path().to_str().unwrap(), "[DIR]");
    insta::assert_snapshot!(said);
}

#[test]
fn not_a_zip_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x-1.0.0.zip");
    std::fs::write(&path, "not a zip").unwrap();
    let output = helm_osc(&["verify", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("x-1.0.0.zip"),
        "{}",
        stderr(&output)
    );
}
