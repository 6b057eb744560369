//! `helm osc lint`: each rule broken by one input, with a snapshot of the text report; the JSON
//! report; and `helm osc package` refusing what lint finds errors in.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::*;

fn fixture(name: &str) -> PathBuf {
    repo_root()
        .join("tests/integration/fixtures/lint")
        .join(name)
}

/// One broken rule: the inputs that break it, and how lint exits on them.
struct Case {
    rule: &'static str,
    /// Builds the inputs under the given folder; returns the arguments after `lint`.
    setup: fn(&Path) -> Vec<String>,
    exit: i32,
}

/// Lints each case, checks its exit code and that its rule fired, and snapshots the report
/// (as `lint__<group>-<rule>`), with the temporary folder and the repository's paths made stable.
fn run_cases(group: &str, cases: &[Case]) {
    for case in cases {
        let dir = tempfile::tempdir().unwrap();
        let mut args = vec!["lint".to_string()];
        args.extend((case.setup)(dir.path()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = helm_osc(&args);
        let report = redact(&stdout(&output), dir.path());
        assert_eq!(
            output.status.code(),
            Some(case.exit),
            "{}: {report}\n{}",
            case.rule,
            stderr(&output)
        );
        assert!(
            report.contains(&format!("[{}]", case.rule)),
            "{}: the rule did not fire:\n{report}",
            case.rule
        );
        insta::assert_snapshot!(format!("{group}-{}", case.rule), report);
    }
}

fn redact(text: &str, dir: &Path) -> String {
    text.replace(dir.to_str().unwrap(), "[TMP]")
        .replace(fixture("").to_str().unwrap(), "[FIXTURES]/")
        .replace(example("").to_str().unwrap(), "[EXAMPLES]/")
}

fn s(path: PathBuf) -> String {
    path.display().to_string()
}

/// A copy of a fixture chart (or example), to break in one way.
fn copy_of(from: &Path, root: &Path) -> PathBuf {
    let to = root.join(from.file_name().unwrap());
    copy_tree(from, &to);
    to
}

/// Replaces `old` by `new` in a file of a copied chart or bundle; the edit must apply.
fn edit(path: &Path, old: &str, new: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(old), "{} lacks {old:?}", path.display());
    std::fs::write(path, text.replace(old, new)).unwrap();
}

/// The clean chart, edited in Chart.yaml.
fn clean_with_chart_yaml(root: &Path, old: &str, new: &str) -> Vec<String> {
    let chart = copy_of(&fixture("clean"), root);
    edit(&chart.join("Chart.yaml"), old, new);
    vec![s(chart)]
}

/// Incompressible bytes, so a file of them weighs as much zipped as on disk.
fn noise(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// Image tars from the etcd example: the clean chart deploys its etcd image.
fn tars(root: &Path, names: &[&str]) -> PathBuf {
    let images = root.join("images");
    std::fs::create_dir_all(&images).unwrap();
    for name in names {
        std::fs::copy(example("etcd-images").join(name), images.join(name)).unwrap();
    }
    images
}

/// mapping.yaml for the clean chart's one image.
const CLEAN_MAPPING: &str = "instance:\n  - image: etcd\n    tag: \"3.5.17\"\n    address:\n      endpoint: image.registry\n      repo: image.repository\n      tag: image.tag\n    package:\n      x86_64: etcd-3.5.17.tar\n      aarch64: etcd-3.5.17-arm64.tar\n";

#[test]
fn a_clean_chart_and_the_examples_have_no_findings_that_block() {
    let output = helm_osc(&["lint", fixture("clean").to_str().unwrap()]);
    assert_success(&output);
    insta::assert_snapshot!(stdout(&output), @"0 errors, 0 warnings, 0 notes in 0 files");

    for (source, images) in [
        ("etcd", "etcd-images"),
        ("kvstore-operator", "kvstore-operator-images"),
    ] {
        let output = helm_osc(&[
            "lint",
            example(source).to_str().unwrap(),
            "--images",
            example(images).to_str().unwrap(),
            "--strict",
        ]);
        assert_success(&output);
        assert!(
            stdout(&output).contains("0 errors, 0 warnings, "),
            "{source}: {}",
            stdout(&output)
        );
    }
}

#[test]
fn chart_metadata_rules() {
    run_cases(
        "chart",
        &[
            Case {
                rule: "name-service",
                setup: |root| clean_with_chart_yaml(root, "name: web\n", "name: web_server\n"),
                exit: 1,
            },
            Case {
                rule: "name-version",
                setup: |root| {
                    clean_with_chart_yaml(root, "version: 1.0.0\n", "version: 1.0.0+build.7\n")
                },
                exit: 1,
            },
            Case {
                rule: "metadata-required",
                setup: |root| {
                    clean_with_chart_yaml(
                        root,
                        "description: A small web server, clean by every rule of helm osc lint\n",
                        "",
                    )
                },
                exit: 1,
            },
            Case {
                rule: "metadata-contact",
                setup: |root| {
                    clean_with_chart_yaml(root, "    email: osc-examples@example.com\n", "")
                },
                exit: 1,
            },
            Case {
                rule: "metadata-maintainer",
                setup: |root| {
                    clean_with_chart_yaml(
                        root,
                        "    email: osc-examples@example.com\n",
                        "    url: https://example.com/osc\n",
                    )
                },
                exit: 0,
            },
            Case {
                rule: "category-missing",
                setup: |root| clean_with_chart_yaml(root, "  categories: Networking\n", ""),
                exit: 0,
            },
            Case {
                rule: "name-category",
                setup: |root| {
                    clean_with_chart_yaml(
                        root,
                        "  categories: Networking\n",
                        "  categories: networking, Web Servers\n",
                    )
                },
                exit: 0,
            },
            Case {
                rule: "metadata-annotation",
                setup: |root| {
                    clean_with_chart_yaml(
                        root,
                        "  architecture: x86_64,aarch64\n",
                        "  architecture: amd64,aarch64\n  scenes: CCE,ECS\n",
                    )
                },
                exit: 1,
            },
            Case {
                rule: "source-isv",
                setup: |root| {
                    clean_with_chart_yaml(root, "  source: ISV\n", "  source: OpenSource\n")
                },
                exit: 0,
            },
            Case {
                rule: "logo-missing",
                setup: |root| {
                    let chart = copy_of(&fixture("clean"), root);
                    std::fs::remove_file(chart.join("logo.svg")).unwrap();
                    vec![s(chart)]
                },
                exit: 0,
            },
            Case {
                rule: "chart-library",
                setup: |root| clean_with_chart_yaml(root, "type: application\n", "type: library\n"),
                exit: 1,
            },
            Case {
                rule: "limit-deployable-size",
                setup: |root| {
                    let chart = copy_of(&fixture("clean"), root);
                    std::fs::create_dir(chart.join("files")).unwrap();
                    std::fs::write(chart.join("files/blob.bin"), noise(4_300_000)).unwrap();
                    vec![s(chart)]
                },
                exit: 1,
            },
        ],
    );
}

#[test]
fn chart_rules_found_through_helm() {
    run_cases(
        "helm",
        &[
            Case {
                rule: "helm-lint",
                setup: |_| vec![s(fixture("helm-warning"))],
                exit: 0,
            },
            Case {
                rule: "render-failed",
                setup: |_| vec![s(fixture("render-fail"))],
                exit: 1,
            },
            Case {
                rule: "image-hard-coded",
                setup: |_| vec![s(fixture("hard-coded"))],
                exit: 1,
            },
            Case {
                rule: "image-unmovable",
                setup: |_| vec![s(fixture("args-image"))],
                exit: 1,
            },
            Case {
                rule: "image-guard",
                setup: |_| vec![s(fixture("guard"))],
                exit: 0,
            },
            Case {
                rule: "digest-pinned",
                setup: |_| vec![s(fixture("digest"))],
                exit: 0,
            },
            Case {
                rule: "image-key-not-in-values",
                setup: |_| vec![s(fixture("subchart"))],
                exit: 0,
            },
            Case {
                rule: "image-fragile-key",
                setup: |_| vec![s(fixture("fragile"))],
                exit: 0,
            },
            Case {
                rule: "image-unmappable",
                setup: |_| vec![s(fixture("dotted-key"))],
                exit: 1,
            },
            Case {
                rule: "pull-secret-missing",
                setup: |root| {
                    let chart = copy_of(&fixture("clean"), root);
                    edit(
                        &chart.join("values.yaml"),
                        "imagePullSecrets:\n  - name: default-secret\n",
                        "imagePullSecrets: []\n",
                    );
                    vec![s(chart)]
                },
                exit: 0,
            },
            Case {
                rule: "images-none",
                setup: |root| {
                    let chart = copy_of(&fixture("clean"), root);
                    edit(
                        &chart.join("templates/deployment.yaml"),
                        "apiVersion: apps/v1\n",
                        "{{- if .Values.server }}\napiVersion: apps/v1\n",
                    );
                    let mut template = std::fs::OpenOptions::new()
                        .append(true)
                        .open(chart.join("templates/deployment.yaml"))
                        .unwrap();
                    writeln!(template, "{{{{- end }}}}").unwrap();
                    vec![s(chart)]
                },
                exit: 0,
            },
            Case {
                rule: "versiondef-path-missing",
                setup: |root| {
                    let chart = copy_of(&fixture("clean"), root);
                    std::fs::write(
                    chart.join("csd.yaml"),
                    "apiVersion: osc.io/v1beta1\nkind: CustomServiceDefinition\nmetadata:\n  name: web-csd\nspec:\n  versionDefinition:\n    mode: tag\n    path: image.version\n    tags: [\"3.5.17\"]\n",
                )
                .unwrap();
                    vec![s(chart)]
                },
                exit: 1,
            },
        ],
    );
}

#[test]
fn without_helm_the_rendering_checks_are_skipped_and_said_so() {
    let empty_path = tempfile::tempdir().unwrap();
    let output: Output = Command::new(env!("CARGO_BIN_EXE_helm-osc"))
        .args(["lint", fixture("hard-coded").to_str().unwrap()])
        .env_remove("HELM_BIN")
        .env("PATH", empty_path.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_success(&output);
    insta::assert_snapshot!("helm-missing", redact(&stdout(&output), empty_path.path()));
}

#[test]
fn image_tar_and_mapping_rules() {
    run_cases(
        "images",
        &[
            Case {
                rule: "name-image-tar",
                setup: |root| {
                    let images = tars(root, &["etcd-3.5.17.tar"]);
                    std::fs::rename(
                        images.join("etcd-3.5.17.tar"),
                        images.join("etcd-3.5.17-.tar"),
                    )
                    .unwrap();
                    std::fs::write(
                        images.join("mapping.yaml"),
                        CLEAN_MAPPING
                            .replace("etcd-3.5.17.tar", "etcd-3.5.17-.tar")
                            .replace("      aarch64: etcd-3.5.17-arm64.tar\n", ""),
                    )
                    .unwrap();
                    vec![s(fixture("clean")), "--images".into(), s(images)]
                },
                exit: 1,
            },
            Case {
                rule: "image-tar-unreadable",
                setup: |root| {
                    // A tar mapping.yaml names, cut short: unreadable, not missing too.
                    let images = tars(root, &["etcd-3.5.17.tar", "etcd-3.5.17-arm64.tar"]);
                    let tar = std::fs::read(images.join("etcd-3.5.17.tar")).unwrap();
                    std::fs::write(images.join("etcd-3.5.17.tar"), &tar[..1000]).unwrap();
                    std::fs::write(images.join("mapping.yaml"), CLEAN_MAPPING).unwrap();
                    std::fs::write(images.join("notes.tar"), "not an image").unwrap();
                    vec![s(fixture("clean")), "--images".into(), s(images)]
                },
                exit: 1,
            },
            Case {
                rule: "tar-unused",
                setup: |root| {
                    let images = tars(root, &["etcd-3.5.17.tar", "os-shell-12.tar"]);
                    vec![s(fixture("clean")), "--images".into(), s(images)]
                },
                exit: 0,
            },
            Case {
                rule: "image-no-tar",
                setup: |root| {
                    let images = tars(root, &["os-shell-12.tar"]);
                    vec![s(fixture("clean")), "--images".into(), s(images)]
                },
                exit: 0,
            },
            Case {
                rule: "arch-tar-missing",
                setup: |root| {
                    let chart = copy_of(&example("etcd"), root);
                    let images = tars(
                        root,
                        &[
                            "etcd-3.5.17.tar",
                            "etcd-3.5.17-arm64.tar",
                            "os-shell-12.tar",
                        ],
                    );
                    vec![s(chart), "--images".into(), s(images)]
                },
                exit: 1,
            },
            Case {
                rule: "mapping-missing",
                setup: |root| {
                    let images = tars(root, &["etcd-3.5.17.tar", "etcd-3.5.17-arm64.tar"]);
                    vec![s(fixture("clean")), "--images".into(), s(images)]
                },
                exit: 0,
            },
            Case {
                rule: "mapping-invalid",
                setup: |root| {
                    let mapping = root.join("mapping.yaml");
                    std::fs::write(&mapping, "instance: [\n").unwrap();
                    vec![s(fixture("clean")), "--mapping".into(), s(mapping)]
                },
                exit: 1,
            },
            Case {
                rule: "tars-unchecked",
                setup: |root| {
                    let mapping = root.join("mapping.yaml");
                    std::fs::write(&mapping, CLEAN_MAPPING).unwrap();
                    vec![s(fixture("clean")), "--mapping".into(), s(mapping)]
                },
                exit: 0,
            },
            Case {
                rule: "part-mismatch",
                setup: |root| {
                    let images = tars(root, &["etcd-3.5.17.tar", "etcd-3.5.17-arm64.tar"]);
                    std::fs::write(
                        images.join("mapping.yaml"),
                        CLEAN_MAPPING.replace("repo: image.repository", "repo: image.registry"),
                    )
                    .unwrap();
                    vec![s(fixture("clean")), "--images".into(), s(images)]
                },
                exit: 1,
            },
        ],
    );
}

/// The kvstore example bundle, its CSV edited.
fn bundle_with_csv(root: &Path, old: &str, new: &str) -> Vec<String> {
    let bundle = copy_of(&example("kvstore-operator"), root);
    edit(
        &bundle.join("manifests/kvstore-operator.clusterserviceversion.yaml"),
        old,
        new,
    );
    vec![s(bundle)]
}

#[test]
fn operator_rules() {
    run_cases(
        "operator",
        &[
            Case {
                rule: "olm-alm-examples",
                setup: |root| {
                    bundle_with_csv(
                        root,
                        "          \"kind\": \"KVStoreBackup\",\n",
                        "          \"kind\": \"KVStoreBackup\"\n",
                    )
                },
                exit: 1,
            },
            Case {
                rule: "metadata-required",
                setup: |root| bundle_with_csv(root, "  displayName: KVStore Operator\n", ""),
                exit: 1,
            },
            Case {
                rule: "metadata-contact",
                setup: |root| {
                    let args = bundle_with_csv(
                        root,
                        "  maintainers:\n    - name: OSC Examples\n      email: osc-examples@example.com\n",
                        "",
                    );
                    edit(
                        &PathBuf::from(&args[0])
                            .join("manifests/kvstore-operator.clusterserviceversion.yaml"),
                        "    url: https://example.com\n",
                        "",
                    );
                    args
                },
                exit: 1,
            },
            Case {
                rule: "name-service",
                setup: |root| {
                    let bundle = copy_of(&example("kvstore-operator"), root);
                    edit(
                        &bundle.join("metadata/annotations.yaml"),
                        "package.v1: kvstore-operator\n",
                        "package.v1: kvstore_operator\n",
                    );
                    vec![s(bundle)]
                },
                exit: 1,
            },
            Case {
                rule: "pull-secret-missing",
                setup: |root| {
                    bundle_with_csv(
                        root,
                        "                serviceAccountName: kvstore-operator\n                imagePullSecrets:\n                  - name: default-secret\n                initContainers:",
                        "                serviceAccountName: kvstore-operator\n                initContainers:",
                    )
                },
                exit: 0,
            },
            Case {
                rule: "image-unmovable",
                setup: |root| {
                    bundle_with_csv(
                        root,
                        "                    ports:\n",
                        "                    args: [\"--sidecar\", \"docker.io/osc-examples/os-shell:12\"]\n                    ports:\n",
                    )
                },
                exit: 1,
            },
            Case {
                rule: "olm-bundle-size",
                setup: |root| {
                    let bundle = copy_of(&example("kvstore-operator"), root);
                    let mut blob =
                        std::fs::File::create(bundle.join("manifests/blob.configmap.yaml"))
                            .unwrap();
                    let text: String = noise(900_000)
                        .iter()
                        .map(|byte| format!("{byte:02x}"))
                        .collect();
                    write!(blob, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: blob\ndata:\n  blob: {text}\n").unwrap();
                    vec![s(bundle)]
                },
                exit: 0,
            },
            Case {
                rule: "deployment-missing",
                setup: |root| {
                    let images = root.join("images");
                    copy_tree(&example("kvstore-operator-images"), &images);
                    edit(
                        &images.join("mapping.yaml"),
                        "  - deployment: kvstore-webhook\n",
                        "  - deployment: kvstore-hook\n",
                    );
                    vec![s(example("kvstore-operator")), "--images".into(), s(images)]
                },
                exit: 1,
            },
        ],
    );
}

/// A service package zip holding `entries`, made by hand as a provider might.
fn hand_made_package(root: &Path, name: &str, entries: &[(&str, Vec<u8>)]) -> PathBuf {
    let path = root.join(name);
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    for (entry, data) in entries {
        zip.start_file(*entry, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap();
    path
}

/// A chart folder as the `.tgz` `helm package` makes, its top folder named `name`.
fn chart_tgz(chart: &Path, name: &str) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    builder.append_dir_all(name, chart).unwrap();
    builder.into_inner().unwrap().finish().unwrap()
}

#[test]
fn built_package_rules() {
    run_cases(
        "package",
        &[
            Case {
                rule: "source-isv",
                setup: |root| {
                    let chart = copy_of(&fixture("digest"), root);
                    edit(&chart.join("Chart.yaml"), "  source: ISV\n", "");
                    let zip = hand_made_package(
                        root,
                        "digest-1.0.0.zip",
                        &[(
                            "digest/package/digest-1.0.0.tgz",
                            chart_tgz(&chart, "digest"),
                        )],
                    );
                    vec![s(zip)]
                },
                exit: 1,
            },
            Case {
                rule: "deployable-unreadable",
                setup: |root| {
                    let zip = hand_made_package(
                        root,
                        "web-1.0.0.zip",
                        &[("web/package/web-1.0.0.tgz", b"not gzip".to_vec())],
                    );
                    vec![s(zip)]
                },
                exit: 1,
            },
        ],
    );
}

#[test]
fn a_package_built_from_the_clean_chart_lints_clean() {
    let dir = tempfile::tempdir().unwrap();
    let images = tars(dir.path(), &["etcd-3.5.17.tar", "etcd-3.5.17-arm64.tar"]);
    std::fs::write(images.join("mapping.yaml"), CLEAN_MAPPING).unwrap();
    let dist = dir.path().join("dist");
    assert_success(&helm_osc(&[
        "package",
        fixture("clean").to_str().unwrap(),
        "--images",
        images.to_str().unwrap(),
        "-d",
        dist.to_str().unwrap(),
    ]));
    let output = helm_osc(&[
        "lint",
        dist.join("web-1.0.0.zip").to_str().unwrap(),
        "--strict",
    ]);
    assert_success(&output);
    insta::assert_snapshot!(stdout(&output), @"0 errors, 0 warnings, 0 notes in 0 files");
}

#[test]
fn an_osc_format_package_is_checked_by_its_own_checklist() {
    let output = helm_osc(&["lint", fixture("osc-format/web-1.0.0").to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    insta::assert_snapshot!("osc-format", stdout(&output));
}

#[test]
fn the_json_report_is_stable_and_strict_fails_on_warnings() {
    let output = helm_osc(&[
        "lint",
        fixture("guard").to_str().unwrap(),
        "--output",
        "json",
    ]);
    assert_success(&output);
    let mut report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    report["source"] = "[FIXTURES]/guard".into();
    insta::assert_json_snapshot!("json-report", report);

    let strict = helm_osc(&[
        "lint",
        fixture("guard").to_str().unwrap(),
        "--output",
        "json",
        "--strict",
    ]);
    assert_eq!(strict.status.code(), Some(1));
    let strict: serde_json::Value = serde_json::from_slice(&strict.stdout).unwrap();
    assert_eq!(strict["ok"], false);
    assert_eq!(strict["warnings"], 1);
}

#[test]
fn a_source_that_cannot_be_read_is_an_error_not_a_report() {
    let output = helm_osc(&["lint", "/nonexistent/chart"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("/nonexistent/chart: no such file or folder: give a chart"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn package_refuses_what_lint_finds_errors_in_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    let output = helm_osc(&[
        "package",
        fixture("dotted-key").to_str().unwrap(),
        "-d",
        dist.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    // The refusal: each error with its help, then the reason nothing was written.
    let said = stderr(&output);
    let refusal: Vec<&str> = said
        .lines()
        .filter(|line| line.starts_with("error") || line.starts_with("  help:"))
        .collect();
    insta::assert_snapshot!("package-refusal", redact(&refusal.join("\n"), dir.path()));
    assert!(!dist.exists(), "something was written");
}

#[test]
fn lint_fix_writes_the_chart_with_its_traps_fixed() {
    let source = repo_root().join("tests/integration/fixtures/lint/digest");
    let before = snapshot_tree(&source);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fixed");
    let output = helm_osc(&[
        "lint",
        source.to_str().unwrap(),
        "--fix",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(snapshot_tree(&source), before, "the chart was modified");
    assert!(out.join("Chart.yaml").is_file(), "{}", stderr(&output));
    let original = std::fs::read_to_string(source.join("values.yaml")).unwrap();
    let fixed = std::fs::read_to_string(out.join("values.yaml")).unwrap();
    assert_ne!(original, fixed);
    let diff = similar::TextDiff::from_lines(&original, &fixed)
        .unified_diff()
        .context_radius(1)
        .to_string();
    insta::assert_snapshot!("lint_fix_values_diff", diff);
    // --fix needs -o, and never writes into an existing folder.
    let again = helm_osc(&[
        "lint",
        source.to_str().unwrap(),
        "--fix",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(
        helm_osc(&["lint", source.to_str().unwrap(), "--fix"])
            .status
            .code(),
        Some(2)
    );
}
