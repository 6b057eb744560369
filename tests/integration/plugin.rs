//! The plugin manifests Helm reads: both formats stay valid and in step with the binary.

use crate::support::*;

fn manifest(path: &str) -> serde_norway::Value {
    serde_norway::from_str(&std::fs::read_to_string(repo_root().join(path)).unwrap()).unwrap()
}

#[test]
fn legacy_manifest_is_what_helm_3_18_and_later_read() {
    let legacy = manifest("plugin.yaml");
    assert_eq!(legacy["name"], "osc");
    assert_eq!(
        legacy["version"],
        env!("CARGO_PKG_VERSION"),
        "plugin.yaml's version must follow Cargo.toml's"
    );
    assert!(
        legacy.get("apiVersion").is_none(),
        "an apiVersion makes Helm 4 read it as a v1 manifest"
    );
    assert!(
        legacy.get("command").is_none() && legacy.get("hooks").is_none(),
        "Helm refuses command with platformCommand, hooks with platformHooks"
    );
    let linux = legacy["platformCommand"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|c| c["os"] == "linux")
        .unwrap();
    assert_eq!(linux["command"], "${HELM_PLUGIN_DIR}/bin/helm-osc");
    for hook in ["install", "update"] {
        let commands = legacy["platformHooks"][hook].as_sequence().unwrap();
        assert!(
            commands.iter().any(|c| c["os"] == "linux"
                && c["args"][1]
                    .as_str()
                    .unwrap()
                    .contains("scripts/install.sh")),
            "{hook}"
        );
    }
}

#[test]
fn v1_manifest_is_what_helm_4_reads() {
    let v1 = manifest("helm4/plugin.yaml");
    assert_eq!(v1["apiVersion"], "v1");
    assert_eq!(v1["type"], "cli/v1");
    assert_eq!(v1["runtime"], "subprocess");
    assert_eq!(v1["name"], "osc");
    assert_eq!(v1["version"], env!("CARGO_PKG_VERSION"));
    let linux = v1["runtimeConfig"]["platformCommand"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|c| c["os"] == "linux")
        .unwrap();
    assert_eq!(linux["command"], "${HELM_PLUGIN_DIR}/bin/helm-osc");
    assert!(
        v1["runtimeConfig"]["platformHooks"]["install"]
            .as_sequence()
            .is_some()
    );
    // helm4/ is installable from a clone: its bin/ and scripts/ lead to the repository's.
    let helm4 = repo_root().join("helm4");
    assert!(helm4.join("scripts/install.sh").is_file());
    assert_eq!(
        std::fs::read_link(helm4.join("bin")).unwrap(),
        std::path::Path::new("../bin")
    );
}

#[test]
fn the_install_hook_takes_a_prebuilt_binary_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("bin")).unwrap();
    std::fs::copy(
        env!("CARGO_BIN_EXE_helm-osc"),
        dir.path().join("bin/helm-osc"),
    )
    .unwrap();
    let output = std::process::Command::new("sh")
        .arg(repo_root().join("scripts/install.sh"))
        .env("HELM_PLUGIN_DIR", dir.path())
        .output()
        .unwrap();
    assert_success(&output);
    assert!(
        stderr(&output).contains("using the prebuilt binary"),
        "{}",
        stderr(&output)
    );

    // Without a binary and without sources it explains instead of failing obscurely.
    std::fs::remove_file(dir.path().join("bin/helm-osc")).unwrap();
    let output = std::process::Command::new("sh")
        .arg(repo_root().join("scripts/install.sh"))
        .env("HELM_PLUGIN_DIR", dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("no prebuilt binary"),
        "{}",
        stderr(&output)
    );
}

/// The Helm adapter answers a path Helm's library cannot take with helm's one-line error, not a
/// Python traceback (its check runs before the library is loaded, so no install is needed).
#[cfg(unix)]
#[test]
fn the_helm_adapter_refuses_a_non_utf8_path_in_one_line() {
    use std::os::unix::ffi::OsStrExt as _;
    let adapter = repo_root().join("tools/helm-adapter/helm");
    let path = std::ffi::OsStr::from_bytes(b"/tmp/bad\xff/chart");
    let output = std::process::Command::new("python3")
        .arg(&adapter)
        .arg("template")
        .arg(path)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr(&output);
    assert!(stderr.starts_with("Error: "), "{stderr}");
    assert!(stderr.contains("is not valid UTF-8"), "{stderr}");
    assert!(!stderr.contains("Traceback"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}
