//! Image discovery through the real Helm on fixture charts that word and lay things out their own
//! way: guards, defaulted subchart keys, malformed and digest-only references, components off by
//! default, images in custom resources and ConfigMaps, validated settings, pull secrets. Each
//! goes through `images`, `lint`, `package` and `rewrite` as a provider runs them.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::*;

fn fixture(name: &str) -> PathBuf {
    repo_root()
        .join("tests/integration/fixtures/discovery")
        .join(name)
}

fn json(args: &[&str]) -> (bool, Value, String) {
    let mut args = args.to_vec();
    args.extend(["--output", "json"]);
    let output = helm_osc(&args);
    let value = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (output.status.success(), value, stderr(&output))
}

fn images(chart: &str) -> Value {
    let (ok, value, stderr) = json(&["images", fixture(chart).to_str().unwrap()]);
    assert!(ok, "images {chart}: {stderr}");
    value
}

/// `(rule, severity, location)` of every finding of `helm osc lint`.
fn lint(chart: &Path, extra: &[&str]) -> Vec<(String, String, String)> {
    let mut args = vec!["lint", chart.to_str().unwrap()];
    args.extend_from_slice(extra);
    let (_, report, stderr) = json(&args);
    report["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings in lint's report: {stderr}"))
        .iter()
        .map(|finding| {
            (
                finding["rule"].as_str().unwrap_or_default().to_owned(),
                finding["severity"].as_str().unwrap_or_default().to_owned(),
                finding["location"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// `helm osc package CHART -d TMP --category database ARGS…`: exit, report, stderr.
fn package(chart: &Path, extra: &[&str]) -> (bool, Value, String, tempfile::TempDir) {
    let dist = tempfile::tempdir().unwrap();
    let mut args = vec![
        "package",
        chart.to_str().unwrap(),
        "-d",
        dist.path().to_str().unwrap(),
        "--category",
        "database",
    ];
    args.extend_from_slice(extra);
    let (ok, report, stderr) = json(&args);
    (ok, report, stderr, dist)
}

fn fixes(report: &Value) -> Vec<(String, Value)> {
    report["fixes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|fix| {
            (
                fix["path"].as_str().unwrap().to_owned(),
                fix["after"].clone(),
            )
        })
        .collect()
}

/// The platform's rewrite, rendered: whether every image moved.
fn rewrite_moves_everything(chart: &Path) -> bool {
    let (_, report, stderr) = json(&[
        "rewrite",
        chart.to_str().unwrap(),
        "--registry",
        "swr.example.test/osc",
    ]);
    assert!(!report.is_null(), "rewrite printed no report: {stderr}");
    report["ok"].as_bool().unwrap()
}

#[test]
fn guards_are_found_however_they_are_worded() {
    let cases = [
        // `--set key=true` in a helper that NOTES.txt includes.
        ("guard-set-flag", "trust.mirroredImages"),
        // A message that names no key: the condition around the `fail` reads it.
        ("guard-condition", "compliance.allowRelocated"),
    ];
    for (chart, key) in cases {
        let found = images(chart);
        assert_eq!(found["guard"], key, "{chart}");
        assert!(
            !found["images"][0]["keys"].as_array().unwrap().is_empty(),
            "{chart}: {found}"
        );
        let (ok, report, stderr, _dist) = package(&fixture(chart), &[]);
        assert!(ok, "{chart}: {stderr}");
        assert!(
            fixes(&report).contains(&(key.to_owned(), Value::Bool(true))),
            "{chart}: {report}"
        );
    }
}

#[test]
fn a_guard_no_switch_gets_past_stops_package_with_helms_error() {
    let (ok, _, stderr, _dist) = package(&fixture("guard-unbreakable"), &[]);
    assert!(!ok, "package shipped a chart the rewrite breaks");
    assert!(
        stderr.contains("this build only runs images from registry.acme.test"),
        "{stderr}"
    );
}

#[test]
fn a_defaulted_subchart_key_is_written_into_the_top_values() {
    let chart = fixture("subchart-default");
    let found = images("subchart-default");
    let keys: Vec<&str> = found["images"][0]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| key["path"].as_str().unwrap())
        .collect();
    assert!(keys.contains(&"sidecarAgent.image.tag"), "{found}");
    let (ok, report, stderr, _dist) = package(&chart, &[]);
    assert!(ok, "{stderr}");
    let fixes = fixes(&report);
    assert!(
        fixes.contains(&("sidecarAgent.image.tag".to_owned(), "v0.9.2".into())),
        "{fixes:?}"
    );
    assert!(rewrite_moves_everything(&chart));
}

#[test]
fn a_malformed_digest_is_listed_and_a_lint_error() {
    let found = images("bad-digest");
    let invalid = &found["invalid"][0];
    assert_eq!(invalid["object"], "Job/release-name-migrate");
    assert_eq!(invalid["container"], "migrate");
    assert!(
        invalid["value"]
            .as_str()
            .unwrap()
            .ends_with(&"a".repeat(65))
    );
    let findings = lint(&fixture("bad-digest"), &[]);
    assert!(
        findings.contains(&(
            "image-invalid".to_owned(),
            "error".to_owned(),
            "Job/release-name-migrate, container migrate: image".to_owned()
        )),
        "{findings:?}"
    );
}

/// A folder with one tar holding `repo_tag`.
fn tar_folder(repo_tag: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let spec = osc_image::ImageSpec {
        repo_tag: repo_tag.to_owned(),
        arch: osc_image::Arch::X86_64,
        variant: None,
        files: vec![("hello".to_owned(), b"hello".to_vec())],
    };
    let file = std::fs::File::create(dir.path().join("gateway-1.4.0.tar")).unwrap();
    osc_image::write_docker_archive(&spec, file).unwrap();
    dir
}

#[test]
fn a_reference_pinned_by_digest_alone_takes_its_tag_from_the_tar() {
    let chart = fixture("digest-only");
    // No tar: the tag is unknown, and the bare name would mean `:latest`.
    let findings = lint(&chart, &[]);
    assert!(
        findings.contains(&(
            "digest-without-tag".to_owned(),
            "error".to_owned(),
            "gateway.image".to_owned()
        )),
        "{findings:?}"
    );
    let (ok, _, stderr, _dist) = package(&chart, &[]);
    assert!(!ok && stderr.contains("gateway.image"), "{stderr}");

    let tars = tar_folder("quay.io/acme/gateway:1.4.0");
    let (ok, report, stderr, _dist) = package(&chart, &["--images", tars.path().to_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert!(
        fixes(&report).contains(&(
            "gateway.image".to_owned(),
            "quay.io/acme/gateway:1.4.0".into()
        )),
        "{report}"
    );
}

#[test]
fn components_off_by_default_are_latent_images_with_their_switches() {
    let found = images("latent");
    let latent: Vec<(String, Vec<String>)> = found["latent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|image| {
            assert!(!image["keys"].as_array().unwrap().is_empty(), "{image}");
            (
                image["reference"].as_str().unwrap().to_owned(),
                image["switches"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_str().unwrap().to_owned())
                    .collect(),
            )
        })
        .collect();
    let expected = [
        (
            "registry.acme.test/shop/exporter:0.9.1",
            vec!["exporter.enabled"],
        ),
        ("docker.io/library/busybox:1.36.1", vec!["fixOwnership"]),
        (
            "registry.acme.test/shop/worker:1.2.0",
            vec!["extras.enabled", "extras.worker.active"],
        ),
        (
            "registry.acme.test/shop/snapshot:2.0.4",
            vec!["snapshots.enabled"],
        ),
        // In the place of the init container the switch removes.
        (
            "registry.acme.test/shop/inspector:0.3.0",
            vec!["tools.inspect"],
        ),
    ];
    for (reference, switches) in expected {
        let image = latent
            .iter()
            .find(|(found, _)| found == reference)
            .unwrap_or_else(|| panic!("{reference} not latent: {latent:?}"));
        for switch in switches {
            assert!(
                image.1.contains(&switch.to_owned()),
                "{reference}: {image:?}"
            );
        }
    }
    assert_eq!(found["images"].as_array().unwrap().len(), 1);
    // The debug sidecar runs the deployed image from keys of its own: they move too.
    let main_keys: Vec<&str> = found["images"][0]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| key["path"].as_str().unwrap())
        .collect();
    for key in [
        "main.image.path",
        "debug.image.host",
        "debug.image.path",
        "debug.image.version",
    ] {
        assert!(main_keys.contains(&key), "{key} not among {main_keys:?}");
    }

    // mapping.yaml names their keys, so the platform moves them once they are on.
    let output = helm_osc(&["mapping", fixture("latent").to_str().unwrap()]);
    assert_success(&output);
    let mapping = stdout(&output);
    for key in [
        "exporter.image",
        "ownershipImage.host",
        "extras.worker.image.path",
        "snapshots.image.version",
    ] {
        assert!(mapping.contains(key), "{key} not in\n{mapping}");
    }
    // With Helm's --debug, stderr says which switches the latent renders turned on.
    let debug = std::process::Command::new(env!("CARGO_BIN_EXE_helm-osc"))
        .args(["images", fixture("latent").to_str().unwrap()])
        .env("HELM_BIN", helm())
        .env("HELM_DEBUG", "true")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_success(&debug);
    let said = stderr(&debug);
    assert!(
        said.contains("the latent renders turned on: ") && said.contains("snapshots.enabled"),
        "{said}"
    );

    // package proves them moved with their switches on, though the chart's NOTES.txt refuses
    // the snapshots switched on without a bucket: a setting for users, not for images.
    let (ok, _, stderr, _dist) = package(&fixture("latent"), &[]);
    assert!(ok, "{stderr}");
    // A latent image no tar holds is a warning.
    let tars = tar_folder("registry.acme.test/shop/main:4.1.0");
    let findings = lint(
        &fixture("latent"),
        &["--images", tars.path().to_str().unwrap()],
    );
    let no_tar: Vec<&str> = findings
        .iter()
        .filter(|(rule, _, _)| rule == "image-no-tar")
        .map(|(_, _, location)| location.as_str())
        .collect();
    assert!(
        no_tar.contains(&"registry.acme.test/shop/snapshot:2.0.4"),
        "{findings:?}"
    );
}

#[test]
fn components_behind_settings_or_removed_by_a_switch_are_latent_with_their_keys() {
    let found = images("gated");
    let latent: Vec<(String, Vec<String>, Vec<String>)> = found["latent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|image| {
            let strings = |list: &Value, field: &str| -> Vec<String> {
                list.as_array()
                    .unwrap()
                    .iter()
                    .map(|item| {
                        let item = if field.is_empty() { item } else { &item[field] };
                        item.as_str().unwrap().to_owned()
                    })
                    .collect()
            };
            (
                image["reference"].as_str().unwrap().to_owned(),
                strings(&image["keys"], "path"),
                strings(&image["switches"], ""),
            )
        })
        .collect();
    let expected = [
        // A sidecar of the deployed component, which another switch replaces.
        (
            "registry.example.test/team/stats:0.8.0",
            "stats.image.name",
            "core.stats",
        ),
        // A word the gate compares a key with.
        (
            "registry.example.test/team/keeper:0.4.0",
            "keeper.image.name",
            "mode=fleet",
        ),
        // An unset key a named template's gate needs; a `required` check then asks for another.
        (
            "registry.example.test/team/portal:2.3.1",
            "portal.image.version",
            "broker.endpoint=osc-setting",
        ),
        (
            "registry.example.test/tools/warmup:1.0.2",
            "warmup.image.host",
            "warmup.wanted",
        ),
    ];
    for (reference, key, switch) in expected {
        let (_, keys, switches) = latent
            .iter()
            .find(|(found, _, _)| found == reference)
            .unwrap_or_else(|| panic!("{reference} not latent: {latent:?}"));
        assert!(keys.contains(&key.to_owned()), "{reference}: {keys:?}");
        assert!(
            switches.contains(&switch.to_owned()),
            "{reference}: {switches:?}"
        );
    }
    assert_eq!(latent.len(), expected.len(), "{latent:?}");
    // One render more for the removed component, two for the settings (one retried).
    assert!(found["renders"].as_u64().unwrap() <= 6, "{found}");
}

#[test]
fn switched_on_components_are_looked_into_past_the_checks_they_make() {
    let found = images("demanding");
    let latent: Vec<(&str, Vec<&str>)> = found["latent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|image| {
            let keys = image["keys"]
                .as_array()
                .unwrap()
                .iter()
                .map(|key| key["path"].as_str().unwrap())
                .collect();
            (image["reference"].as_str().unwrap(), keys)
        })
        .collect();
    // The archiver `fail`s without a retention and `required`s a bucket once switched on:
    // settings for users, not for discovery, which still finds its image and key.
    // A list opens the trust installer: the marker secret in its `command` list breaks the
    // YAML (a second `command`), and only the list the error names goes, not every list the
    // template reads.
    assert_eq!(
        latent,
        [
            (
                "quay.example.test/vendor/archiver:3.3",
                vec!["archiver.image"]
            ),
            ("quay.example.test/vendor/trust:1.0", vec!["trust.image"]),
        ],
        "{found}"
    );
    // The scrape target's YAML breaks with its switch on, but it writes no image: the
    // switched-on render goes on without it, and the switch only it reads is broken without
    // a render of its own. The self-signed switch's certificate template renders with the rest.
    assert_eq!(
        found["broken_switches"],
        serde_json::json!(["scrape.active"])
    );
    // Default, moved, switched-on and the unset key beside an image (`archiver.bucket`) side
    // by side; the switched-on render again without the `command` list, whose marker broke
    // the server's YAML. The Service's list of source ranges never gets a marker secret (it
    // reaches no pod, and one breaks its YAML).
    assert_eq!(found["renders"], 5, "{found}");
    // package proves the archiver moved with the switches discovery found, though the chart
    // as it is refuses them without a bucket: the switched-on half of the proof takes the chart
    // discovery took.
    let (ok, _, stderr, _dist) = package(&fixture("demanding"), &[]);
    assert!(ok, "{stderr}");
}

#[test]
fn a_switch_that_breaks_only_an_imageless_object_does_not_stop_the_proof() {
    // The autoscaler holds no image: the switched-on renders leave its template out, so its
    // switch stays on. With it on the chart prints a map key twice, which Helm lets through
    // and the proof's reader does not: the proof's switched-on half then takes the chart
    // discovery took, as it does for a render Helm refuses.
    let found = images("twice-written");
    assert_eq!(
        found["switched_on"],
        serde_json::json!(["exporter.enabled", "growth.enabled"]),
        "{found}"
    );
    assert_eq!(found["latent"][0]["keys"][0]["path"], "exporter.image");
    let (ok, report, stderr, _dist) = package(&fixture("twice-written"), &[]);
    assert!(ok, "{stderr}");
    assert_eq!(report["unmovable"], serde_json::json!([]), "{report}");
}

#[test]
fn images_in_custom_resources_and_config_maps_are_mapped_from_their_keys() {
    let found = images("custom-resources");
    let keyed = |reference: &str| {
        found["images"]
            .as_array()
            .unwrap()
            .iter()
            .find(|image| image["reference"] == reference)
            .map(|image| !image["keys"].as_array().unwrap().is_empty())
    };
    assert_eq!(keyed("registry.acme.test/ops/monitor:2.11.0"), Some(true));
    assert_eq!(keyed("registry.acme.test/ops/reloader:0.5.0"), Some(true));
    assert_eq!(keyed("registry.acme.test/ops/debug:0.1.0"), Some(false));
    // Only the image no key produces stays unmovable, and is named.
    let (ok, report, stderr, _dist) = package(&fixture("custom-resources"), &["--allow-unmovable"]);
    assert!(ok, "{stderr}");
    let unmovable: Vec<&str> = report["unmovable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["image"].as_str().unwrap())
        .collect();
    assert_eq!(unmovable, ["registry.acme.test/ops/debug:0.1.0"]);
}

#[test]
fn validated_settings_no_image_uses_get_no_marker() {
    let found = images("noise");
    assert_eq!(found["fragile"], serde_json::json!([]));
    assert!(found["renders"].as_u64().unwrap() <= 3, "{found}");
    let findings = lint(&fixture("noise"), &[]);
    assert!(
        !findings
            .iter()
            .any(|(rule, _, _)| rule == "image-fragile-key"),
        "{findings:?}"
    );
}

#[test]
fn package_writes_the_pull_secret_where_a_key_reaches_the_pods() {
    let chart = fixture("pull-secrets");
    let (ok, report, stderr, dist) = package(&chart, &[]);
    assert!(ok, "{stderr}");
    assert!(
        fixes(&report).contains(&(
            "registryAuth.secretNames".to_owned(),
            serde_json::json!({"names": ["default-secret"], "maps": false})
        )),
        "{report}"
    );
    // The packaged chart names the secret in the pod the key reaches.
    let zip = PathBuf::from(report["zip"].as_str().unwrap());
    let tgz = unzip_entry(
        &zip,
        "pull-secrets/package/pull-secrets-0.3.0.tgz",
        dist.path(),
    );
    let rendered = helm_template(&tgz, &[]);
    assert!(rendered.contains("- name: default-secret"), "{rendered}");
    // The pod no key reaches is named with the template change to make.
    let findings = lint(&chart, &[]);
    assert!(
        findings.contains(&(
            "pull-secret-missing".to_owned(),
            "warning".to_owned(),
            "Deployment/release-name-janitor".to_owned()
        )),
        "{findings:?}"
    );
    // --no-fix leaves the values as they are.
    let (ok, report, stderr, _dist) = package(&chart, &["--no-fix"]);
    assert!(ok, "{stderr}");
    assert_eq!(fixes(&report), Vec::new());
}

/// An image a container is told by a flag (`--solver-image=…`) built from values keys is mapped
/// like any other: the platform's rewrite of those keys moves the flag too, and the proof shows it.
#[test]
fn an_image_passed_in_args_from_values_keys_moves() {
    let found = images("args-image");
    let solver = found["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|image| image["reference"] == "registry.acme.test/shop/solver:2.0.1")
        .unwrap_or_else(|| panic!("the args image is not listed: {found}"));
    let keys: Vec<&str> = solver["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| key["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys.len(),
        3,
        "registry, repository and tag keys, got {keys:?}"
    );
    assert_eq!(solver["uses"][0]["field"], "args[1]", "{solver}");
    let findings = lint(&fixture("args-image"), &[]);
    assert!(
        !findings
            .iter()
            .any(|(rule, _, _)| rule == "image-unmovable"),
        "{findings:?}"
    );
    let (ok, _, stderr, _dist) = package(&fixture("args-image"), &[]);
    assert!(ok, "{stderr}");
}
