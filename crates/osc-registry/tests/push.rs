//! Pushing to a real registry (Debian's docker-registry, started per test on a loopback port).

mod common;

use std::collections::BTreeSet;

use common::*;
use osc_image::Arch;
use osc_registry::testing::TestRegistry;
use osc_registry::{Error, ManifestKind, Options, Plan, Pushed, Registry, inspect, push};
use serde_json::Value;

fn push_all(plan: &Plan, registry: &Registry) -> Result<Vec<Pushed>, Error> {
    let mut last: Option<(u64, u64)> = None;
    let pushed = push(plan, registry, &Options::default(), |progress| {
        if let Some((done, total)) = last {
            assert!(progress.done >= done, "progress went back");
            assert_eq!(progress.total, total, "the total changed");
        }
        assert!(progress.done <= progress.total);
        last = Some((progress.done, progress.total));
    });
    if pushed.is_ok() {
        let (done, total) = last.expect("progress was reported");
        assert_eq!(done, total, "a finished push reports every byte");
    }
    pushed
}

/// Every blob of the manifest `digest` of `repository`, fetched as the registry's API gives it.
fn check_manifest(registry: &TestRegistry, repository: &str, digest: &str) -> Value {
    let response = registry.get(&format!("/v2/{repository}/manifests/{digest}"), &[MANIFEST]);
    assert_eq!(
        response.status,
        200,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    let manifest = response.json();
    assert_eq!(manifest["mediaType"], MANIFEST);
    let blobs = std::iter::once(&manifest["config"]).chain(manifest["layers"].as_array().unwrap());
    for blob in blobs {
        let digest = blob["digest"].as_str().unwrap();
        assert_eq!(
            registry.head(&format!("/v2/{repository}/blobs/{digest}")),
            200,
            "blob {digest} of {repository}"
        );
    }
    manifest
}

/// The architectures of the index `repository:tag`, checking every manifest and blob it names.
fn index_architectures(registry: &TestRegistry, repository: &str, tag: &str) -> BTreeSet<String> {
    let response = registry.get(
        &format!("/v2/{repository}/manifests/{tag}"),
        &[INDEX, MANIFEST],
    );
    assert_eq!(
        response.status,
        200,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    let index = response.json();
    assert_eq!(index["mediaType"], INDEX, "{index}");
    index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            check_manifest(registry, repository, entry["digest"].as_str().unwrap());
            assert_eq!(entry["platform"]["os"], "linux");
            entry["platform"]["architecture"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[test]
fn pushes_a_two_architecture_image_as_an_index() {
    let registry = TestRegistry::start();
    let target = Registry::parse(&format!("{}/osc/team", registry.host())).unwrap();
    let plan = Plan::from_dir(&example("etcd-images")).unwrap();
    assert_eq!(plan.images.len(), 2);

    let pushed = push_all(&plan, &target).unwrap();

    assert_eq!(pushed.len(), 2);
    assert_eq!(
        pushed[0].reference,
        format!("{}/osc/team/etcd:3.5.17", registry.host())
    );
    assert_eq!(pushed[0].platforms, [Arch::X86_64, Arch::Aarch64]);
    for (repository, tag) in [("osc/team/etcd", "3.5.17"), ("osc/team/os-shell", "12")] {
        assert_eq!(
            index_architectures(&registry, repository, tag),
            BTreeSet::from(["amd64".to_owned(), "arm64".to_owned()])
        );
        assert_eq!(registry.tags(repository), [tag]);
    }
    let arm64 = registry
        .get("/v2/osc/team/etcd/manifests/3.5.17", &[INDEX])
        .json();
    let digest = pushed[0].digest.as_str();
    assert_eq!(
        registry
            .get(&format!("/v2/osc/team/etcd/manifests/{digest}"), &[INDEX])
            .json(),
        arm64,
        "the reported digest is the index's"
    );

    let remote = inspect(&pushed[0].reference, &Options::default())
        .unwrap()
        .unwrap();
    assert_eq!(remote.kind, ManifestKind::Index);
    assert_eq!(remote.digest, pushed[0].digest);
    assert!(
        remote.has(&Arch::X86_64) && remote.has(&Arch::Aarch64),
        "{remote:?}"
    );
    assert!(remote.is_complete(), "{remote:?}");
}

#[test]
fn pushes_a_single_architecture_package_as_plain_manifests_once_each() {
    let registry = TestRegistry::start();
    let target = Registry::parse(&format!("{}/kv", registry.host())).unwrap();
    let plan = Plan::from_dir(&example("kvstore-operator-images")).unwrap();
    // etcd and os-shell are named by a lifecycle entry and an instance each, with the same tars.
    let names: Vec<&str> = plan
        .images
        .iter()
        .map(|image| image.name.as_str())
        .collect();
    assert_eq!(
        names,
        ["etcd", "os-shell", "kvstore-operator", "kvstore-webhook"]
    );
    assert_eq!(
        plan.images[0].fields,
        ["instance[0]", "lifecycle[0].containers[1].env[0]"]
    );
    assert_eq!(
        plan.images[1].fields,
        ["instance[1]", "lifecycle[0].containers[0]"]
    );

    let pushed = push_all(&plan, &target).unwrap();

    assert_eq!(pushed.len(), 4);
    for (image, tag) in [
        ("etcd", "3.5.17"),
        ("kvstore-operator", "1.0.0"),
        ("os-shell", "12"),
        ("kvstore-webhook", "1.0.0"),
    ] {
        let repository = format!("kv/{image}");
        let response = registry.get(
            &format!("/v2/{repository}/manifests/{tag}"),
            &[INDEX, MANIFEST],
        );
        assert_eq!(response.header("content-type"), Some(MANIFEST), "{image}");
        let manifest = check_manifest(&registry, &repository, tag);
        assert_eq!(
            manifest["layers"][0]["mediaType"], "application/vnd.oci.image.layer.v1.tar",
            "a docker-archive layer is an uncompressed tar"
        );
        let remote = inspect(
            &format!("{}/{repository}:{tag}", registry.host()),
            &Options::default(),
        )
        .unwrap()
        .unwrap();
        assert_eq!(remote.kind, ManifestKind::Manifest);
        assert_eq!(remote.platforms.len(), 1);
        assert_eq!(remote.platforms[0].architecture, Arch::X86_64);
        assert!(
            remote.is_complete() && !remote.has(&Arch::Aarch64),
            "{remote:?}"
        );
    }

    // A second push finds every blob there and uploads nothing.
    let again = push_all(&plan, &target).unwrap();
    assert!(
        again
            .iter()
            .all(|image| image.uploaded == 0 && image.reused > 0),
        "{again:?}"
    );
    assert_eq!(again[0].digest, pushed[0].digest);
}

#[test]
fn pushes_oci_layout_tars() {
    let registry = TestRegistry::start();
    let dir = tempfile::tempdir().unwrap();
    write_oci(
        dir.path(),
        "app-amd64.tar",
        &spec("example.com/team/app:2.0", Arch::X86_64, "app amd64"),
    );
    write_oci(
        dir.path(),
        "app-arm64.tar",
        &spec("example.com/team/app:2.0", Arch::Aarch64, "app arm64"),
    );
    write_oci(
        dir.path(),
        "tool.tar",
        &spec("tool:1", Arch::X86_64, "tool"),
    );
    std::fs::write(
        dir.path().join("mapping.yaml"),
        "instance:\n\
         - image: app\n  tag: '2.0'\n  package: {x86_64: app-amd64.tar, aarch64: app-arm64.tar}\n\
         - image: tool\n  tag: '1'\n  package: {x86_64: tool.tar}\n",
    )
    .unwrap();
    let plan = Plan::from_dir(dir.path()).unwrap();
    let target = Registry::parse(&format!("{}/org", registry.host())).unwrap();

    push_all(&plan, &target).unwrap();

    assert_eq!(
        index_architectures(&registry, "org/app", "2.0"),
        BTreeSet::from(["amd64".to_owned(), "arm64".to_owned()])
    );
    let index = registry.get("/v2/org/app/manifests/2.0", &[INDEX]).json();
    let arm64 = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["platform"]["architecture"] == "arm64")
        .unwrap();
    assert_eq!(arm64["platform"]["variant"], "v8");
    check_manifest(&registry, "org/tool", "1");
    let remote = inspect(
        &format!("{}/org/app:2.0", registry.host()),
        &Options::default(),
    )
    .unwrap()
    .unwrap();
    let arm64 = remote
        .platforms
        .iter()
        .find(|p| p.architecture == Arch::Aarch64)
        .unwrap();
    assert_eq!(arm64.variant.as_deref(), Some("v8"));
}

#[test]
fn a_corrupt_tar_fails_naming_it_and_leaves_no_tag() {
    let registry = TestRegistry::start();
    let dir = copy_example("etcd-images");
    let tar = dir.path().join("etcd-3.5.17-arm64.tar");
    flip_byte(&tar, b"docker.io/osc-examples/etcd:3.5.17 for aarch64");
    let plan = Plan::from_dir(dir.path()).unwrap();
    let target = Registry::parse(&format!("{}/org", registry.host())).unwrap();

    let error = push_all(&plan, &target).unwrap_err();

    let Error::DigestMismatch {
        tar: named, entry, ..
    } = &error
    else {
        panic!("not a digest mismatch: {error}");
    };
    assert_eq!(named, &tar);
    assert!(entry.ends_with("/layer.tar"), "{entry}");
    let message = error.to_string();
    assert!(message.contains("etcd-3.5.17-arm64.tar"), "{message}");
    assert!(message.contains(entry.as_str()), "{message}");
    assert_eq!(
        registry.tags("org/etcd"),
        Vec::<String>::new(),
        "no tag for the damaged image"
    );
    assert!(
        inspect(
            &format!("{}/org/etcd:3.5.17", registry.host()),
            &Options::default()
        )
        .unwrap()
        .is_none()
    );
}

#[test]
fn a_corrupt_later_tar_leaves_the_images_before_it_untagged_too() {
    let registry = TestRegistry::start();
    let dir = copy_example("etcd-images");
    // os-shell comes after etcd in mapping.yaml, so etcd's blobs are all in when it fails.
    flip_byte(
        &dir.path().join("os-shell-12-arm64.tar"),
        b"docker.io/osc-examples/os-shell:12 for aarch64",
    );
    let plan = Plan::from_dir(dir.path()).unwrap();
    assert_eq!(plan.images[0].name, "etcd");
    let target = Registry::parse(&format!("{}/org", registry.host())).unwrap();

    let error = push_all(&plan, &target).unwrap_err();

    assert!(matches!(error, Error::DigestMismatch { .. }), "{error}");
    assert!(
        error.to_string().contains("os-shell-12-arm64.tar"),
        "{error}"
    );
    assert!(registry.tags("org/etcd").is_empty(), "etcd was tagged");
    assert!(registry.tags("org/os-shell").is_empty());
}

#[test]
fn a_corrupt_oci_layer_fails_too() {
    let registry = TestRegistry::start();
    let dir = tempfile::tempdir().unwrap();
    let tar = write_oci(
        dir.path(),
        "app.tar",
        &spec("app:1", Arch::X86_64, "app layer bytes"),
    );
    flip_byte(&tar, b"app layer bytes");
    std::fs::write(
        dir.path().join("mapping.yaml"),
        "instance:\n- image: app\n  tag: '1'\n  package: {x86_64: app.tar}\n",
    )
    .unwrap();
    let plan = Plan::from_dir(dir.path()).unwrap();
    let target = Registry::parse(&format!("{}/org", registry.host())).unwrap();

    let error = push_all(&plan, &target).unwrap_err();

    assert!(matches!(error, Error::DigestMismatch { .. }), "{error}");
    assert!(error.to_string().contains("app.tar"), "{error}");
    assert!(registry.tags("org/app").is_empty());
}

#[test]
fn an_unreachable_registry_is_named() {
    // A port that was just free and that nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let target = Registry::parse(&format!("127.0.0.1:{port}/org")).unwrap();
    let plan = Plan::from_dir(&example("etcd-images")).unwrap();

    let error = push(&plan, &target, &Options::default(), |_| {}).unwrap_err();

    assert!(matches!(error, Error::Unreachable { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains(&format!("127.0.0.1:{port}")), "{message}");
    assert!(message.contains("check the host and port"), "{message}");

    let error = inspect(
        &format!("127.0.0.1:{port}/org/etcd:3.5.17"),
        &Options::default(),
    )
    .unwrap_err();
    assert!(matches!(error, Error::Unreachable { .. }), "{error:?}");
}

#[test]
fn inspect_says_when_there_is_no_such_image() {
    let registry = TestRegistry::start();
    let options = Options::default();
    assert!(
        inspect(&format!("{}/org/nothing:1", registry.host()), &options)
            .unwrap()
            .is_none()
    );
    let error = inspect("no-tag.example.com/org/etcd", &options).unwrap_err();
    assert!(
        error.to_string().contains("HOST[:PORT]/ORG/name:tag"),
        "{error}"
    );
}

#[test]
fn pushes_gzipped_layers_with_their_media_type() {
    let registry = TestRegistry::start();
    let dir = tempfile::tempdir().unwrap();
    write_gzip_docker(
        dir.path(),
        "app.tar",
        "team/app:1",
        Arch::X86_64,
        "app amd64",
    );
    write_gzip_oci(
        dir.path(),
        "app-arm64.tar",
        "team/app:1",
        Arch::Aarch64,
        "app arm64",
    );
    std::fs::write(
        dir.path().join("mapping.yaml"),
        "instance:\n- image: app\n  tag: '1'\n  package: {x86_64: app.tar, aarch64: app-arm64.tar}\n",
    )
    .unwrap();
    let plan = Plan::from_dir(dir.path()).unwrap();
    let target = Registry::parse(&format!("{}/org", registry.host())).unwrap();

    push_all(&plan, &target).unwrap();

    let index = registry.get("/v2/org/app/manifests/1", &[INDEX]).json();
    for entry in index["manifests"].as_array().unwrap() {
        let manifest = check_manifest(&registry, "org/app", entry["digest"].as_str().unwrap());
        assert_eq!(
            manifest["layers"][0]["mediaType"],
            "application/vnd.oci.image.layer.v1.tar+gzip"
        );
    }
}

#[test]
fn a_damaged_gzip_layer_fails_before_anything_is_sent() {
    let registry = TestRegistry::start();
    let dir = tempfile::tempdir().unwrap();
    let tar = write_gzip_docker(
        dir.path(),
        "app.tar",
        "team/app:1",
        Arch::X86_64,
        "app amd64",
    );
    // Inside the deflate data: the layer no longer decompresses to its diff_id, if at all.
    flip_in_gzip(&tar, 12);
    std::fs::write(
        dir.path().join("mapping.yaml"),
        "instance:\n- image: app\n  tag: '1'\n  package: {x86_64: app.tar}\n",
    )
    .unwrap();
    let plan = Plan::from_dir(dir.path()).unwrap();
    let target = Registry::parse(&format!("{}/org", registry.host())).unwrap();

    let error = push_all(&plan, &target).unwrap_err();

    assert!(
        matches!(error, Error::DigestMismatch { .. } | Error::BadTar { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("app.tar") && message.contains("layer.tar.gz"),
        "{message}"
    );
    assert!(registry.tags("org/app").is_empty());
}

#[test]
fn a_tar_pushed_under_two_names_is_uploaded_once() {
    let registry = TestRegistry::start();
    let dir = tempfile::tempdir().unwrap();
    write_docker(
        dir.path(),
        "app.tar",
        &spec("team/app:1", Arch::X86_64, "shared layer"),
    );
    std::fs::write(
        dir.path().join("mapping.yaml"),
        "instance:\n\
         - image: app\n  tag: '1'\n  package: {x86_64: app.tar}\n\
         - image: team-app\n  tag: '1'\n  package: {x86_64: app.tar}\n",
    )
    .unwrap();
    let plan = Plan::from_dir(dir.path()).unwrap();
    let target = Registry::parse(&format!("{}/org", registry.host())).unwrap();

    let pushed = push_all(&plan, &target).unwrap();

    assert!(
        pushed[0].uploaded > 0 && pushed[0].reused == 0,
        "{pushed:?}"
    );
    // The second repository gets the blobs by a cross-repository mount.
    assert!(
        pushed[1].uploaded == 0 && pushed[1].reused == pushed[0].uploaded,
        "{pushed:?}"
    );
    check_manifest(&registry, "org/team-app", "1");
    assert_eq!(pushed[0].digest, pushed[1].digest);
}
