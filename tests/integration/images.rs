//! `helm osc images`, `mapping` and `rewrite` on the example chart and on fixtures, with the real Helm.

use std::path::PathBuf;

use crate::support::*;

fn fixture(name: &str) -> PathBuf {
    repo_root().join("tests/integration/fixtures").join(name)
}

#[test]
fn images_lists_keys_and_uses() {
    let output = helm_osc(&["images", example("etcd").to_str().unwrap()]);
    assert_success(&output);
    insta::assert_snapshot!(redact(&stdout(&output)));
}

#[test]
fn images_names_hard_coded_images() {
    let output = helm_osc(&[
        "images",
        fixture("hardcoded").to_str().unwrap(),
        "--output",
        "json",
    ]);
    assert_success(&output);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["hard_coded"], 1);
    let hard_coded: Vec<&serde_json::Value> = report["images"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["hard_coded"] == true)
        .collect();
    assert_eq!(
        hard_coded[0]["reference"],
        "docker.io/example/log-shipper:2.1"
    );
    assert_eq!(
        hard_coded[0]["uses"][0]["template"],
        "hardcoded/templates/deployment.yaml"
    );
    let web = report["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["hard_coded"] == false)
        .unwrap();
    assert_eq!(web["keys"][0]["path"], "image");
    assert_eq!(web["keys"][0]["part"], "fullAddress");
}

#[test]
fn mapping_generates_what_a_careful_provider_writes_by_hand() {
    let output = helm_osc(&[
        "mapping",
        example("etcd").to_str().unwrap(),
        "--images",
        example("etcd-images").to_str().unwrap(),
    ]);
    assert_success(&output);
    let generated: serde_norway::Value = serde_norway::from_slice(&output.stdout).unwrap();
    let by_hand: serde_norway::Value = serde_norway::from_str(
        &std::fs::read_to_string(example("etcd-images/mapping.yaml")).unwrap(),
    )
    .unwrap();
    assert_eq!(generated, by_hand);
    insta::assert_snapshot!(redact(&stdout(&output)));

    // -o writes the file, and --check accepts it.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mapping.yaml");
    assert_success(&helm_osc(&[
        "mapping",
        example("etcd").to_str().unwrap(),
        "--images",
        example("etcd-images").to_str().unwrap(),
        "-o",
        file.to_str().unwrap(),
    ]));
    assert_eq!(std::fs::read(&file).unwrap(), output.stdout);
    let checked = helm_osc(&[
        "mapping",
        example("etcd").to_str().unwrap(),
        "--images",
        example("etcd-images").to_str().unwrap(),
        "--check",
        file.to_str().unwrap(),
    ]);
    assert_success(&checked);
}

#[test]
fn mapping_check_finds_a_wrong_key_and_a_missing_tar() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mapping.yaml");
    let text = std::fs::read_to_string(example("etcd-images/mapping.yaml"))
        .unwrap()
        .replace("repo: image.repository", "repo: image.repo")
        .replace("x86_64: os-shell-12.tar", "x86_64: os-shell-13.tar");
    std::fs::write(&file, text).unwrap();
    let output = helm_osc(&[
        "mapping",
        example("etcd").to_str().unwrap(),
        "--images",
        example("etcd-images").to_str().unwrap(),
        "--check",
        file.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    insta::assert_snapshot!(redact(
        &stdout(&output).replace(dir.path().to_str().unwrap(), "[DIR]")
    ));
}

#[test]
fn rewrite_moves_every_image_and_shows_the_values_diff() {
    let before = snapshot_tree(&example("etcd"));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rewritten");
    let output = helm_osc(&[
        "rewrite",
        example("etcd").to_str().unwrap(),
        "--registry",
        "swr.cn-east-3.myhuaweicloud.com/my-org",
        "--mapping",
        example("etcd-images/mapping.yaml").to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_success(&output);
    assert_eq!(
        snapshot_tree(&example("etcd")),
        before,
        "the chart was modified"
    );
    insta::assert_snapshot!(redact(
        &stdout(&output).replace(out.to_str().unwrap(), "[OUT]")
    ));
    // The folder written is the chart the platform installs: Helm renders it with the new images.
    let rendered = helm_template(&out, &[]);
    assert!(
        rendered.contains("image: swr.cn-east-3.myhuaweicloud.com/my-org/etcd:3.5.17"),
        "{rendered}"
    );
    assert!(!rendered.contains("docker.io"), "{rendered}");
}

#[test]
fn rewrite_names_what_does_not_move() {
    let output = helm_osc(&[
        "rewrite",
        fixture("hardcoded").to_str().unwrap(),
        "--registry",
        "swr.example.com/org",
        "--output",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["not_moved"], 1);
    let stuck: Vec<&str> = report["images"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["moved"] == false)
        .map(|i| i["reference"].as_str().unwrap())
        .collect();
    assert_eq!(stuck, ["docker.io/example/log-shipper:2.1"]);
    assert_eq!(report["changes"][0]["path"], "image");
    assert_eq!(
        report["changes"][0]["after"],
        "swr.example.com/org/web:1.0.0"
    );
}

#[test]
fn rewrite_wants_host_and_org() {
    let output = helm_osc(&[
        "rewrite",
        example("etcd").to_str().unwrap(),
        "--registry",
        "swr.example.com",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("HOST/ORG"), "{}", stderr(&output));
}

/// Helm runs with Go's collector at `GOGC=400` (discovery renders many times in one process),
/// unless the user set `GOGC`: theirs stands.
#[test]
fn helm_runs_with_the_tools_go_gc_unless_the_user_set_one() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("gogc.log");
    let bin = dir.path().join("helm");
    std::fs::write(
        &bin,
        format!(
            "#!/bin/sh\necho \"${{GOGC:-unset}}\" >> '{log}'\nexec '{helm}' \"$@\"\n",
            log = log.display(),
            helm = helm().display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    for (users, expected) in [(None, "400"), (Some("75"), "75")] {
        let _ = std::fs::remove_file(&log);
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_helm-osc"));
        command
            .args(["images", example("etcd").to_str().unwrap()])
            .env("HELM_BIN", &bin)
            .env_remove("HELM_DEBUG")
            .env_remove("HELM_NAMESPACE");
        match users {
            Some(value) => command.env("GOGC", value),
            None => command.env_remove("GOGC"),
        };
        let output = command.output().unwrap();
        assert_success(&output);
        let seen = std::fs::read_to_string(&log).unwrap();
        assert!(
            !seen.is_empty() && seen.lines().all(|line| line == expected),
            "{users:?}: {seen}"
        );
    }
}
