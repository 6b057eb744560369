//! `helm osc push` and `helm osc rehearse` against a real registry (Debian's docker-registry,
//! started per test on a loopback port by osc-registry's test support).

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use osc_registry::testing::TestRegistry;
use serde_json::Value;

use crate::support::*;

const INDEX: &str = "application/vnd.oci.image.index.v1+json";
const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

/// A test's folders: packages are built in `dist`; the Docker config folder is empty unless a
/// test writes credentials, so no developer's `~/.docker/config.json` is ever read.
struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new() -> Workspace {
        let workspace = Workspace {
            dir: tempfile::tempdir().unwrap(),
        };
        std::fs::create_dir(workspace.docker_config()).unwrap();
        workspace
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn docker_config(&self) -> PathBuf {
        self.path().join("docker-config")
    }

    /// `helm-osc ARGS` with credentials only from this workspace (or `auth_file`).
    fn run(&self, args: &[&str], auth_file: Option<&Path>) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_helm-osc"));
        command
            .args(args)
            .env("HELM_BIN", helm())
            .env_remove("HELM_DEBUG")
            .env_remove("HELM_NAMESPACE")
            .env("NO_COLOR", "1")
            .env("DOCKER_CONFIG", self.docker_config())
            .env_remove("REGISTRY_AUTH_FILE");
        if let Some(file) = auth_file {
            command.env("REGISTRY_AUTH_FILE", file);
        }
        command.output().unwrap()
    }

    /// Packages an example (`examples/NAME` with the tars of `images`) into `dist/`.
    fn package(&self, source: &Path, images: &Path, extra: &[&str]) -> PathBuf {
        let dist = self.path().join("dist");
        let mut args = vec![
            "package",
            source.to_str().unwrap(),
            "--images",
            images.to_str().unwrap(),
            "-d",
            dist.to_str().unwrap(),
            "--output",
            "json",
        ];
        args.extend_from_slice(extra);
        let output = self.run(&args, None);
        assert_success(&output);
        let report: Value = serde_json::from_slice(&output.stdout).unwrap();
        PathBuf::from(report["zip"].as_str().unwrap())
    }

    /// A copy of an example's images folder, to damage or trim.
    fn images(&self, example_images: &str) -> PathBuf {
        let dir = self.path().join(example_images);
        copy_tree(&example(example_images), &dir);
        dir
    }
}

fn push(workspace: &Workspace, zip: &Path, registry: &str) -> Output {
    workspace.run(
        &["push", zip.to_str().unwrap(), "--registry", registry],
        None,
    )
}

fn rehearse(workspace: &Workspace, zip: &Path, registry: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "rehearse",
        zip.to_str().unwrap(),
        "--registry",
        registry,
        "--output",
        "json",
    ];
    args.extend_from_slice(extra);
    workspace.run(&args, None)
}

/// Every blob of the manifest `reference` (a tag or digest) of `repository` is in the registry;
/// the manifest's config says which architecture it is.
fn manifest_architecture(registry: &TestRegistry, repository: &str, reference: &str) -> String {
    let response = registry.get(
        &format!("/v2/{repository}/manifests/{reference}"),
        &[MANIFEST],
    );
    assert_eq!(
        response.status,
        200,
        "{repository}@{reference}: {}",
        String::from_utf8_lossy(&response.body)
    );
    let manifest = response.json();
    assert_eq!(manifest["mediaType"], MANIFEST, "{manifest}");
    let layers = manifest["layers"].as_array().unwrap();
    assert!(!layers.is_empty(), "{manifest}");
    for blob in std::iter::once(&manifest["config"]).chain(layers) {
        let digest = blob["digest"].as_str().unwrap();
        assert_eq!(
            registry.head(&format!("/v2/{repository}/blobs/{digest}")),
            200,
            "blob {digest} of {repository}@{reference}"
        );
    }
    let config = registry.get(
        &format!(
            "/v2/{repository}/blobs/{}",
            manifest["config"]["digest"].as_str().unwrap()
        ),
        &[],
    );
    config.json()["architecture"].as_str().unwrap().to_owned()
}

/// What `repository:tag` is, asked as a client that takes an OCI image index: `index` with the
/// architectures of its manifests, or `manifest` with its one; every blob checked to be there.
fn remote(registry: &TestRegistry, repository: &str, tag: &str) -> (String, BTreeSet<String>) {
    let response = registry.get(
        &format!("/v2/{repository}/manifests/{tag}"),
        &[INDEX, MANIFEST],
    );
    assert_eq!(
        response.status,
        200,
        "{repository}:{tag}: {}",
        String::from_utf8_lossy(&response.body)
    );
    let document = response.json();
    if document["mediaType"] == MANIFEST {
        let arch = manifest_architecture(registry, repository, tag);
        return ("manifest".to_owned(), BTreeSet::from([arch]));
    }
    assert_eq!(document["mediaType"], INDEX, "{document}");
    let architectures = document["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            let declared = entry["platform"]["architecture"].as_str().unwrap();
            assert_eq!(entry["platform"]["os"], "linux", "{entry}");
            let actual =
                manifest_architecture(registry, repository, entry["digest"].as_str().unwrap());
            assert_eq!(declared, actual, "the index says what the config says");
            actual
        })
        .collect();
    ("index".to_owned(), architectures)
}

fn both() -> BTreeSet<String> {
    BTreeSet::from(["amd64".to_owned(), "arm64".to_owned()])
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "not JSON ({error}):\nstdout:\n{}\nstderr:\n{}",
            stdout(output),
            stderr(output)
        )
    })
}

/// Rewrites a zip entry by entry: `edit` gets each file's name and bytes and returns the bytes to
/// keep (or `None` to leave the entry out). Entries are stored, as `helm osc package` stores them.
fn edit_zip(from: &Path, to: &Path, edit: impl Fn(&str, Vec<u8>) -> Option<Vec<u8>>) {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(from).unwrap()).unwrap();
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    let mut writer = zip::ZipWriter::new(std::fs::File::create(to).unwrap());
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).unwrap();
        let name = entry.name().to_string();
        if name.ends_with('/') {
            writer.add_directory(name, options).unwrap();
            continue;
        }
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        if let Some(bytes) = edit(&name, bytes) {
            writer.start_file(name, options).unwrap();
            writer.write_all(&bytes).unwrap();
        }
    }
    writer.finish().unwrap();
}

/// Flips one byte of `needle`'s first occurrence in `file`: inside a layer when `needle` is a
/// file's content, since docker-archive layers are plain tars.
fn flip_byte(file: &Path, needle: &[u8]) {
    let mut bytes = std::fs::read(file).unwrap();
    let at = bytes
        .windows(needle.len())
        .position(|window| window == needle)
        .unwrap_or_else(|| panic!("{} does not hold the bytes to flip", file.display()));
    bytes[at] ^= 0x20;
    std::fs::write(file, bytes).unwrap();
}

fn no_repositories(registry: &TestRegistry) {
    let catalog = registry.get("/v2/_catalog", &[]).json();
    assert_eq!(
        catalog["repositories"],
        serde_json::json!([]),
        "nothing may be in the registry"
    );
}

#[test]
fn the_chart_example_rehearses_and_each_image_is_an_index_of_both_architectures() {
    let registry = TestRegistry::start();
    let workspace = Workspace::new();
    let zip = workspace.package(
        &example("etcd"),
        &example("etcd-images"),
        &["--arch", "x86_64,aarch64"],
    );
    let target = format!("{}/osc-test", registry.host());

    let output = rehearse(&workspace, &zip, &target, &[]);

    assert_success(&output);
    let report = json(&output);
    assert_eq!(report["ok"], true, "{report:#}");
    assert_eq!(report["kind"], "chart");
    assert_eq!(report["misses"], 0);
    assert_eq!(
        report["architectures"],
        serde_json::json!(["x86_64", "aarch64"])
    );
    let checked: Vec<&str> = report["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|image| image["reference"].as_str().unwrap())
        .collect();
    let etcd = format!("{target}/etcd:3.5.17");
    let shell = format!("{target}/os-shell:12");
    assert_eq!(
        checked.iter().copied().collect::<BTreeSet<_>>(),
        BTreeSet::from([etcd.as_str(), shell.as_str()]),
        "{report:#}"
    );
    for image in report["images"].as_array().unwrap() {
        assert_eq!(image["kind"], "index", "{image:#}");
        assert_eq!(image["problems"], serde_json::json!([]), "{image:#}");
        assert_eq!(image["tars"].as_array().unwrap().len(), 2, "{image:#}");
    }
    // values.yaml got the registry, as the platform writes it.
    let changes = report["rewrite"]["changes"].as_array().unwrap();
    assert!(
        changes
            .iter()
            .any(|change| change["path"] == "image.registry" && change["after"] == registry.host()),
        "{changes:#?}"
    );

    for name in ["etcd", "os-shell"] {
        let tag = if name == "etcd" { "3.5.17" } else { "12" };
        let (kind, architectures) = remote(&registry, &format!("osc-test/{name}"), tag);
        assert_eq!(kind, "index", "{name}");
        assert_eq!(architectures, both(), "{name}");
    }
}

#[test]
fn the_rehearsal_prints_what_it_proves() {
    let registry = TestRegistry::start();
    let workspace = Workspace::new();
    let zip = workspace.package(&example("etcd"), &example("etcd-images"), &[]);
    let target = format!("{}/osc-test", registry.host());

    let output = workspace.run(
        &["rehearse", zip.to_str().unwrap(), "--registry", &target],
        None,
    );

    assert_success(&output);
    let text = stdout(&output);
    for expected in [
        format!("  ok       {target}/etcd:3.5.17 (index: x86_64, aarch64)"),
        "from values.yaml image.registry, image.repository, image.tag (mapping.yaml instance[0])"
            .to_string(),
        "tar  etcd/images/etcd-3.5.17-arm64.tar (aarch64, mapping.yaml instance[0].package.aarch64)"
            .to_string(),
        format!("  image.registry: docker.io → {}", registry.host()),
        format!(
            "rehearsal passed: every image the service deploys is in {target} with x86_64 and every blob"
        ),
    ] {
        assert!(text.contains(&expected), "missing `{expected}` in:\n{text}");
    }
    let status = stderr(&output);
    for step in ["Verifying", "Unpacking", "Pushing", "Rewriting", "Checking"] {
        assert!(status.contains(step), "no `{step}` step in:\n{status}");
    }
}

#[test]
fn the_operator_example_rehearses_with_plain_manifests_of_its_one_architecture() {
    let registry = TestRegistry::start();
    let workspace = Workspace::new();
    let zip = workspace.package(
        &example("kvstore-operator"),
        &example("kvstore-operator-images"),
        &[],
    );
    let target = format!("{}/osc-test", registry.host());

    let output = rehearse(&workspace, &zip, &target, &[]);

    assert_success(&output);
    let report = json(&output);
    assert_eq!(report["ok"], true, "{report:#}");
    assert_eq!(report["kind"], "operator");
    let mut checked: Vec<(String, Vec<String>)> = report["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|image| {
            let mut from: Vec<String> = image["from"]
                .as_array()
                .unwrap()
                .iter()
                .map(|from| from.as_str().unwrap().to_owned())
                .collect();
            from.sort();
            (image["reference"].as_str().unwrap().to_owned(), from)
        })
        .collect();
    checked.sort();
    let host = registry.host();
    let expected: Vec<(String, Vec<String>)> = vec![
        (
            format!("{target}/etcd:3.5.17"),
            vec![
                "CSV alm-examples KVStore, spec.image".to_owned(),
                "CSV deployment kvstore-operator, container manager, env RELATED_IMAGE_KVSTORE"
                    .to_owned(),
                "CSV spec.relatedImages[0]".to_owned(),
            ],
        ),
        (
            format!("{target}/kvstore-operator:1.0.0"),
            vec!["CSV deployment kvstore-operator, container manager, image".to_owned()],
        ),
        (
            format!("{target}/kvstore-webhook:1.0.0"),
            vec!["CSV deployment kvstore-webhook, container webhook, image".to_owned()],
        ),
        (
            format!("{target}/os-shell:12"),
            vec![
                "CSV alm-examples KVStoreBackup, spec.backup.registry, spec.backup.repository, spec.backup.tag".to_owned(),
                "CSV deployment kvstore-operator, initContainer wait-for-api, image".to_owned(),
            ],
        ),
    ];
    assert_eq!(checked, expected, "{report:#}");
    for (repository, tag) in [
        ("osc-test/kvstore-operator", "1.0.0"),
        ("osc-test/kvstore-webhook", "1.0.0"),
        ("osc-test/etcd", "3.5.17"),
        ("osc-test/os-shell", "12"),
    ] {
        let (kind, architectures) = remote(&registry, repository, tag);
        assert_eq!(kind, "manifest", "{repository}: one architecture, no index");
        assert_eq!(architectures, BTreeSet::from(["amd64".to_owned()]));
    }
    assert!(host.starts_with("127.0.0.1:"));
}

#[test]
fn a_single_architecture_chart_pushes_plain_manifests_and_fails_a_declared_second_architecture() {
    let registry = TestRegistry::start();
    let workspace = Workspace::new();
    let images = workspace.images("etcd-images");
    for tar in ["etcd-3.5.17-arm64.tar", "os-shell-12-arm64.tar"] {
        std::fs::remove_file(images.join(tar)).unwrap();
    }
    let mapping = std::fs::read_to_string(images.join("mapping.yaml")).unwrap();
    let mapping: String = mapping
        .lines()
        .filter(|line| !line.contains("aarch64:"))
        .map(|line| format!("{line}\n"))
        .collect();
    std::fs::write(images.join("mapping.yaml"), mapping).unwrap();
    let x86 = workspace.package(&example("etcd"), &images, &[]);
    let target = format!("{}/single", registry.host());

    let output = rehearse(&workspace, &x86, &target, &[]);

    assert_success(&output);
    let (kind, architectures) = remote(&registry, "single/etcd", "3.5.17");
    assert_eq!(kind, "manifest");
    assert_eq!(architectures, BTreeSet::from(["amd64".to_owned()]));

    // The same tars in a package whose Chart.yaml says it runs on aarch64 too.
    let both_dir = workspace.path().join("both");
    let output = workspace.run(
        &[
            "package",
            example("etcd").to_str().unwrap(),
            "--images",
            images.to_str().unwrap(),
            "--arch",
            "x86_64,aarch64",
            "-d",
            both_dir.to_str().unwrap(),
        ],
        None,
    );
    assert_success(&output);
    let declared = both_dir.join("etcd-1.2.0.zip");

    let output = rehearse(&workspace, &declared, &target, &[]);

    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report = json(&output);
    assert_eq!(report["ok"], false);
    assert_eq!(report["misses"], 2);
    let etcd = report["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|image| image["reference"] == format!("{target}/etcd:3.5.17"))
        .unwrap();
    let problems = etcd["problems"].to_string();
    assert!(
        problems.contains("has no aarch64 (arm64) image"),
        "{problems}"
    );
    assert!(problems.contains("annotation architecture"), "{problems}");
    assert!(
        etcd["from"].to_string().contains("image.registry"),
        "{etcd:#}"
    );
    assert_eq!(etcd["tars"][0]["tar"], "etcd/images/etcd-3.5.17.tar");
}

#[test]
fn a_flipped_byte_in_a_layer_fails_naming_the_tar_and_tags_nothing() {
    let registry = TestRegistry::start();
    let workspace = Workspace::new();
    let images = workspace.images("etcd-images");
    // os-shell is pushed after etcd: even the image before the damaged one gets no tag.
    flip_byte(
        &images.join("os-shell-12-arm64.tar"),
        b"docker.io/osc-examples/os-shell:12 for aarch64",
    );
    let zip = workspace.package(&example("etcd"), &images, &[]);
    let target = format!("{}/osc-test", registry.host());

    for command in ["push", "rehearse"] {
        let output = workspace.run(
            &[command, zip.to_str().unwrap(), "--registry", &target],
            None,
        );

        assert_eq!(
            output.status.code(),
            Some(1),
            "{command}: {}",
            stdout(&output)
        );
        let message = stderr(&output);
        assert!(
            message.contains("etcd/images/os-shell-12-arm64.tar: entry `"),
            "{command}: {message}"
        );
        assert!(message.contains("does not match its digest"), "{message}");
        assert!(
            !message.contains("helm-osc-push-"),
            "a temporary path: {message}"
        );
        assert!(registry.tags("osc-test/os-shell").is_empty(), "{command}");
        assert!(registry.tags("osc-test/etcd").is_empty(), "{command}");
    }
}

#[test]
fn a_package_damaged_after_packaging_is_refused_by_verify() {
    let registry = TestRegistry::start();
    let workspace = Workspace::new();
    let zip = workspace.package(&example("etcd"), &example("etcd-images"), &[]);
    flip_byte(&zip, b"docker.io/osc-examples/etcd:3.5.17 for aarch64");

    let output = push(&workspace, &zip, &format!("{}/osc-test", registry.host()));

    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("error[zip-corrupt]"), "{message}");
    assert!(
        message.contains("etcd/images/etcd-3.5.17-arm64.tar"),
        "{message}"
    );
    assert!(message.contains("so nothing was pushed"), "{message}");
    no_repositories(&registry);
}

#[test]
fn a_mapping_naming_a_tar_the_package_lacks_is_refused() {
    let registry = TestRegistry::start();
    let workspace = Workspace::new();
    let built = workspace.package(&example("etcd"), &example("etcd-images"), &[]);
    let zip = workspace.path().join("edited/etcd-1.2.0.zip");
    edit_zip(&built, &zip, |name, bytes| {
        (name != "etcd/images/os-shell-12-arm64.tar").then_some(bytes)
    });

    let output = push(&workspace, &zip, &format!("{}/osc-test", registry.host()));

    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("error[mapping-missing-tar]"), "{message}");
    assert!(message.contains("os-shell-12-arm64.tar"), "{message}");
    assert!(message.contains("so nothing was pushed"), "{message}");
    no_repositories(&registry);
}

#[test]
fn a_mapping_entry_whose_tar_holds_another_image_is_refused() {
    let registry = TestRegistry::start();
    let workspace = Workspace::new();
    let built = workspace.package(&example("etcd"), &example("etcd-images"), &[]);
    let zip = workspace.path().join("edited/etcd-1.2.0.zip");
    edit_zip(&built, &zip, |name, bytes| {
        if name != "etcd/images/mapping.yaml" {
            return Some(bytes);
        }
        let text = String::from_utf8(bytes).unwrap();
        Some(
            text.replacen("x86_64: etcd-3.5.17.tar", "x86_64: os-shell-12.tar", 1)
                .into_bytes(),
        )
    });

    let output = push(&workspace, &zip, &format!("{}/osc-test", registry.host()));

    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(
        message.contains("instance[0].package.x86_64: etcd/images/os-shell-12.tar holds"),
        "{message}"
    );
    assert!(message.contains("not etcd for x86_64"), "{message}");
    no_repositories(&registry);
}

#[test]
fn an_unreachable_registry_is_named() {
    let workspace = Workspace::new();
    let zip = workspace.package(&example("etcd"), &example("etcd-images"), &[]);
    // A port that was free a moment ago and that nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();

    let output = push(&workspace, &zip, &format!("127.0.0.1:{port}/osc-test"));

    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(
        message.contains(&format!(
            "cannot reach the registry 127.0.0.1:{port} over http"
        )),
        "{message}"
    );
}

#[test]
fn bad_credentials_are_refused_without_being_shown() {
    use base64::Engine as _;
    let registry = TestRegistry::start_with_user("provider", "right-password");
    let workspace = Workspace::new();
    let zip = workspace.package(&example("etcd"), &example("etcd-images"), &[]);
    let target = format!("{}/osc-test", registry.host());
    let auth_file = |name: &str, password: &str| {
        // The file's name holds no password: the message names the file.
        let path = workspace.path().join(format!("{name}.json"));
        let token =
            base64::engine::general_purpose::STANDARD.encode(format!("provider:{password}"));
        std::fs::write(
            &path,
            format!(
                r#"{{"auths": {{"{}": {{"auth": "{token}"}}}}}}"#,
                registry.host()
            ),
        )
        .unwrap();
        path
    };
    let wrong = auth_file("wrong", "wrong-secret");

    let output = workspace.run(
        &["push", zip.to_str().unwrap(), "--registry", &target],
        Some(&wrong),
    );

    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(
        message.contains(&format!("the registry {} refused", registry.host())),
        "{message}"
    );
    assert!(message.contains(wrong.to_str().unwrap()), "{message}");
    let all = format!("{}{message}", stdout(&output));
    assert!(
        !all.contains("wrong-secret"),
        "the password was shown: {all}"
    );
    assert!(registry.tags("osc-test/etcd").is_empty());

    // The right password in the same kind of file pushes.
    let right = auth_file("right", "right-password");
    let output = workspace.run(
        &["push", zip.to_str().unwrap(), "--registry", &target],
        Some(&right),
    );
    assert_success(&output);
    assert!(!stdout(&output).contains("right-password"));
    assert_eq!(registry.tags("osc-test/etcd"), vec!["3.5.17".to_owned()]);
}

#[test]
fn push_prints_each_image_and_its_tars() {
    let registry = TestRegistry::start();
    let workspace = Workspace::new();
    let zip = workspace.package(&example("etcd"), &example("etcd-images"), &[]);
    let target = format!("{}/osc-test", registry.host());

    let output = push(&workspace, &zip, &target);

    assert_success(&output);
    let text = stdout(&output);
    assert!(
        text.contains(&format!(
            "  {target}/etcd:3.5.17  index x86_64, aarch64  sha256:"
        )),
        "{text}"
    );
    assert!(
        text.contains(
            "      from etcd/images/etcd-3.5.17.tar (x86_64), etcd/images/etcd-3.5.17-arm64.tar (aarch64)"
        ),
        "{text}"
    );
    assert!(
        text.contains(&format!("pushed 2 images to {target}: ")),
        "{text}"
    );

    // A second push finds every blob there already.
    let output = workspace.run(
        &[
            "push",
            zip.to_str().unwrap(),
            "--registry",
            &target,
            "--output",
            "json",
        ],
        None,
    );
    assert_success(&output);
    let report = json(&output);
    assert_eq!(report["uploaded"], 0, "{report:#}");
    assert!(report["reused"].as_u64().unwrap() > 0, "{report:#}");
}

#[test]
fn rehearse_keeps_the_rewritten_chart_when_asked() {
    let registry = TestRegistry::start();
    let workspace = Workspace::new();
    let zip = workspace.package(&example("etcd"), &example("etcd-images"), &[]);
    let out = workspace.path().join("rewritten");
    let target = format!("{}/osc-test", registry.host());

    let output = rehearse(&workspace, &zip, &target, &["-o", out.to_str().unwrap()]);

    assert_success(&output);
    let values = std::fs::read_to_string(out.join("etcd/values.yaml"))
        .or_else(|_| std::fs::read_to_string(out.join("values.yaml")))
        .unwrap();
    assert!(values.contains(&registry.host()), "{values}");
    let rendered = helm_template(&out, &[]);
    assert!(
        rendered.contains(&format!("image: {target}/etcd:3.5.17")),
        "{rendered}"
    );

    // The folder exists now: a second rehearsal refuses before it pushes anything.
    let output = rehearse(&workspace, &zip, &target, &["-o", out.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("already exists"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn an_operator_container_the_mapping_leaves_out_is_a_miss_and_unmoved_examples_are_listed() {
    let registry = TestRegistry::start();
    let workspace = Workspace::new();
    let built = workspace.package(
        &example("kvstore-operator"),
        &example("kvstore-operator-images"),
        &[],
    );
    let zip = workspace.path().join("edited/kvstore-operator-1.0.0.zip");
    edit_zip(&built, &zip, |name, bytes| {
        if name != "kvstore-operator/images/mapping.yaml" {
            return Some(bytes);
        }
        let text = String::from_utf8(bytes).unwrap();
        // Without the webhook's lifecycle entry and the KVStore instance.
        let webhook = text.find("  - deployment: kvstore-webhook").unwrap();
        let instance = text.find("instance:").unwrap();
        let kvstore = text.find("  - kind: KVStore\n").unwrap();
        let backup = text.find("  - kind: KVStoreBackup").unwrap();
        let edited = format!(
            "{}{}{}",
            &text[..webhook],
            &text[instance..kvstore],
            &text[backup..]
        );
        Some(edited.into_bytes())
    });
    let target = format!("{}/osc-test", registry.host());

    let output = rehearse(&workspace, &zip, &target, &[]);

    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report = json(&output);
    assert_eq!(report["misses"], 1, "{report:#}");
    let missed = report["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|image| !image["problems"].as_array().unwrap().is_empty())
        .unwrap();
    assert_eq!(
        missed["reference"],
        "docker.io/osc-examples/kvstore-webhook:1.0.0"
    );
    assert_eq!(
        missed["from"],
        serde_json::json!(["CSV deployment kvstore-webhook, container webhook, image"])
    );
    assert!(
        missed["problems"][0]
            .as_str()
            .unwrap()
            .starts_with(&format!("pulls from outside {target}")),
        "{missed:#}"
    );
    assert_eq!(
        report["unchecked"],
        serde_json::json!([{
            "reference": "docker.io/osc-examples/etcd:3.5.17",
            "from": ["CSV alm-examples KVStore, spec.image"],
        }])
    );
}

#[test]
fn the_operator_example_with_arm64_tars_rehearses_with_an_index_of_both_architectures() {
    let registry = TestRegistry::start();
    let workspace = Workspace::new();
    let images = workspace.images("kvstore-operator-images");
    let mut mapping = std::fs::read_to_string(images.join("mapping.yaml")).unwrap();
    for (stem, repo_tag) in [
        (
            "kvstore-operator-1.0.0",
            "docker.io/osc-examples/kvstore-operator:1.0.0",
        ),
        (
            "kvstore-webhook-1.0.0",
            "docker.io/osc-examples/kvstore-webhook:1.0.0",
        ),
        ("etcd-3.5.17", "docker.io/osc-examples/etcd:3.5.17"),
        ("os-shell-12", "docker.io/osc-examples/os-shell:12"),
    ] {
        // The example ships x86_64 only; its arm64 twins are made here as the examples' are.
        let spec = osc_image::ImageSpec {
            repo_tag: repo_tag.to_owned(),
            arch: osc_image::Arch::Aarch64,
            variant: None,
            files: vec![(
                "etc/osc-example".to_owned(),
                format!("{repo_tag} for aarch64\n").into_bytes(),
            )],
        };
        let tar = std::fs::File::create(images.join(format!("{stem}-arm64.tar"))).unwrap();
        osc_image::write_docker_archive(&spec, tar).unwrap();
        mapping = mapping.replace(
            &format!("{{x86_64: {stem}.tar}}"),
            &format!("{{x86_64: {stem}.tar, aarch64: {stem}-arm64.tar}}"),
        );
    }
    assert!(
        mapping
            .lines()
            .filter(|line| line.contains("package:"))
            .all(|line| line.contains("aarch64:")),
        "{mapping}"
    );
    std::fs::write(images.join("mapping.yaml"), mapping).unwrap();
    let zip = workspace.package(
        &example("kvstore-operator"),
        &images,
        &["--arch", "x86_64,aarch64"],
    );
    let target = format!("{}/osc-test", registry.host());

    let output = rehearse(&workspace, &zip, &target, &[]);

    assert_success(&output);
    let report = json(&output);
    assert_eq!(
        report["architectures"],
        serde_json::json!(["x86_64", "aarch64"])
    );
    assert_eq!(report["images"].as_array().unwrap().len(), 4, "{report:#}");
    for (repository, tag) in [
        ("osc-test/kvstore-operator", "1.0.0"),
        ("osc-test/kvstore-webhook", "1.0.0"),
        ("osc-test/etcd", "3.5.17"),
        ("osc-test/os-shell", "12"),
    ] {
        let (kind, architectures) = remote(&registry, repository, tag);
        assert_eq!(kind, "index", "{repository}");
        assert_eq!(architectures, both(), "{repository}");
    }
}
