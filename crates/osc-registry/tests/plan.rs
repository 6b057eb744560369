//! Plans from mapping.yaml and the tars beside it: what is pushed, and the mistakes that stop it.

mod common;

use common::*;
use osc_image::Arch;
use osc_registry::{Error, Plan};

fn images_dir(mapping: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_docker(
        dir.path(),
        "app.tar",
        &spec("docker.io/team/app:1.0", Arch::X86_64, "app"),
    );
    write_docker(
        dir.path(),
        "app-arm64.tar",
        &spec("docker.io/team/app:1.0", Arch::Aarch64, "app arm"),
    );
    write_docker(
        dir.path(),
        "other.tar",
        &spec("docker.io/team/other:2", Arch::X86_64, "other"),
    );
    std::fs::write(dir.path().join("mapping.yaml"), mapping).unwrap();
    dir
}

#[test]
fn reads_an_unpacked_package_folder() {
    let package = tempfile::tempdir().unwrap();
    let images = package.path().join("images");
    std::fs::create_dir(&images).unwrap();
    for entry in std::fs::read_dir(example("etcd-images")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), images.join(entry.file_name())).unwrap();
    }

    let plan = Plan::from_dir(package.path()).unwrap();

    let etcd = &plan.images[0];
    assert_eq!((etcd.name.as_str(), etcd.tag.as_str()), ("etcd", "3.5.17"));
    assert_eq!(etcd.fields, ["instance[0]"]);
    let tars: Vec<(Arch, &str)> = etcd
        .tars
        .iter()
        .map(|tar| (tar.arch.clone(), tar.field.as_str()))
        .collect();
    assert_eq!(
        tars,
        [
            (Arch::X86_64, "instance[0].package.x86_64"),
            (Arch::Aarch64, "instance[0].package.aarch64")
        ]
    );
    assert_eq!(etcd.tars[1].path, images.join("etcd-3.5.17-arm64.tar"));
}

#[test]
fn a_folder_without_mapping_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let error = Plan::from_dir(dir.path()).unwrap_err();
    assert!(matches!(error, Error::NoMapping { .. }), "{error}");
}

#[test]
fn entries_without_tars_are_listed_not_pushed() {
    let dir = images_dir(
        "instance:\n- image: app\n  tag: '1.0'\n  package: {x86_64: app.tar}\n- image: nothing\n  tag: '1'\n",
    );
    let plan = Plan::from_dir(dir.path()).unwrap();
    assert_eq!(plan.images.len(), 1);
    assert_eq!(plan.without_tars, ["instance[1]"]);
}

#[test]
fn a_missing_tar_names_the_entry() {
    let dir = images_dir(
        "instance:\n- image: app\n  tag: '1.0'\n  package: {x86_64: app.tar, aarch64: app-arm.tar}\n",
    );
    let error = Plan::from_dir(dir.path()).unwrap_err();
    let Error::TarMissing { field, path } = &error else {
        panic!("{error}");
    };
    assert_eq!(field, "instance[0].package.aarch64");
    assert_eq!(path, &dir.path().join("app-arm.tar"));
    let message = error.to_string();
    assert!(
        message.contains("app-arm.tar") && message.contains("instance[0].package.aarch64"),
        "{message}"
    );
}

#[test]
fn a_tar_of_the_wrong_architecture_says_what_it_holds() {
    let dir = images_dir(
        "instance:\n- image: app\n  tag: '1.0'\n  package: {x86_64: app.tar, aarch64: app.tar}\n",
    );
    let error = Plan::from_dir(dir.path()).unwrap_err();
    let Error::WrongImage { field, tar, .. } = &error else {
        panic!("{error}");
    };
    assert_eq!(field, "instance[0].package.aarch64");
    assert_eq!(tar, &dir.path().join("app.tar"));
    let message = error.to_string();
    assert!(
        message.contains(
            "holds docker.io/team/app:1.0 for x86_64 (amd64), not app for aarch64 (arm64)"
        ),
        "{message}"
    );
    assert!(
        message.contains("docker pull --platform linux/arm64"),
        "{message}"
    );
}

#[test]
fn a_tar_of_another_image_says_what_it_holds() {
    let dir = images_dir(
        "lifecycle:\n- deployment: d\n  containers:\n  - type: container\n    name: c\n    image: app\n    tag: '1.0'\n    package: {x86_64: other.tar}\n",
    );
    let error = Plan::from_dir(dir.path()).unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, Error::WrongImage { .. }), "{message}");
    assert!(
        message.contains("lifecycle[0].containers[0].package.x86_64"),
        "{message}"
    );
    assert!(
        message.contains("other.tar holds docker.io/team/other:2 for x86_64"),
        "{message}"
    );
    assert!(message.contains("name the tar that holds app"), "{message}");
}

#[test]
fn a_retagged_image_is_accepted() {
    // The provider pushes docker.io/team/app:1.0 as app:1.0-osc: the tag is not compared.
    let dir = images_dir("instance:\n- image: app\n  tag: 1.0-osc\n  package: {x86_64: app.tar}\n");
    assert_eq!(Plan::from_dir(dir.path()).unwrap().images[0].tag, "1.0-osc");
}

#[test]
fn the_same_image_from_other_tars_is_a_conflict() {
    let dir = images_dir(
        "instance:\n\
         - image: app\n  tag: '1.0'\n  package: {x86_64: app.tar, aarch64: app-arm64.tar}\n\
         - image: app\n  tag: '1.0'\n  package: {x86_64: app.tar}\n",
    );
    let error = Plan::from_dir(dir.path()).unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, Error::Conflict { .. }), "{message}");
    assert!(
        message.contains("instance[1] pushes app:1.0 from other tars than instance[0] does"),
        "{message}"
    );
}

#[test]
fn tar_names_with_folders_are_refused() {
    let dir =
        images_dir("instance:\n- image: app\n  tag: '1.0'\n  package: {x86_64: ../app.tar}\n");
    let error = Plan::from_dir(dir.path()).unwrap_err();
    assert!(matches!(error, Error::TarName { .. }), "{error}");
}

#[test]
fn bad_image_names_are_refused() {
    let dir = images_dir("instance:\n- image: App\n  tag: '1.0'\n  package: {x86_64: app.tar}\n");
    let message = Plan::from_dir(dir.path()).unwrap_err().to_string();
    assert!(
        message.starts_with("mapping.yaml instance[0]: image name `App`"),
        "{message}"
    );
}

#[test]
fn a_mapping_yaml_error_names_the_file() {
    let dir = images_dir("instance:\n- image: app\n  tags: '1.0'\n");
    let message = Plan::from_dir(dir.path()).unwrap_err().to_string();
    assert!(message.contains("mapping.yaml:"), "{message}");
}

#[test]
fn a_file_that_is_no_image_tar_is_named() {
    let dir = images_dir("instance:\n- image: app\n  tag: '1.0'\n  package: {x86_64: notes.tar}\n");
    std::fs::write(dir.path().join("notes.tar"), "not a tar").unwrap();
    let message = Plan::from_dir(dir.path()).unwrap_err().to_string();
    assert!(message.contains("instance[0].package.x86_64"), "{message}");
    assert!(
        message.contains("notes.tar cannot be read as an image tar"),
        "{message}"
    );
}

#[test]
fn a_truncated_tar_is_named() {
    let dir = images_dir("instance:\n- image: app\n  tag: '1.0'\n  package: {x86_64: app.tar}\n");
    let tar = dir.path().join("app.tar");
    let bytes = std::fs::read(&tar).unwrap();
    std::fs::write(&tar, &bytes[..bytes.len() / 2]).unwrap();
    let message = Plan::from_dir(dir.path()).unwrap_err().to_string();
    assert!(
        message.contains("app.tar") && message.contains("truncated"),
        "{message}"
    );
}

#[test]
fn push_checks_a_hand_made_plan_before_sending_anything() {
    use osc_registry::{Options, PlannedImage, PlannedTar, Registry, push};
    let dir = images_dir("");
    let plan = Plan {
        images: vec![PlannedImage {
            name: "app".to_owned(),
            tag: "1.0".to_owned(),
            tars: vec![PlannedTar {
                arch: Arch::Aarch64,
                path: dir.path().join("app.tar"),
                field: "the arm64 tar".to_owned(),
            }],
            fields: Vec::new(),
        }],
        without_tars: Vec::new(),
    };
    // Nothing listens on port 9 of loopback (discard): an attempt to send would fail otherwise.
    let target = Registry::parse("127.0.0.1:9/org").unwrap();
    let error = push(&plan, &target, &Options::default(), |_| {}).unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, Error::WrongImage { .. }), "{message}");
    assert!(
        message.contains("for x86_64 (amd64), not app for aarch64"),
        "{message}"
    );
}
