//! Writing packages reproducibly and reading them back.

mod common;

use common::convert_bundle;

#[test]
fn zip_and_tgz_are_reproducible_and_read_back() {
    let package = convert_bundle();
    let first = package
        .write_zip(std::io::Cursor::new(Vec::new()))
        .unwrap()
        .into_inner();
    let second = package
        .write_zip(std::io::Cursor::new(Vec::new()))
        .unwrap()
        .into_inner();
    assert_eq!(first, second);
    let first_tgz = package.write_tgz(Vec::new()).unwrap();
    assert_eq!(first_tgz, package.write_tgz(Vec::new()).unwrap());

    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [("p.zip", &first), ("p.tgz", &first_tgz)] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        assert_eq!(
            osc_format::read_package(&path).unwrap(),
            package.files,
            "{name}"
        );
    }
    let folder = dir.path().join("folder");
    package.write_dir(&folder).unwrap();
    assert_eq!(osc_format::read_package(&folder).unwrap(), package.files);
}

#[test]
fn archives_have_one_top_folder_named_after_the_package() {
    let package = convert_bundle();
    let bytes = package.write_zip(std::io::Cursor::new(Vec::new())).unwrap();
    let mut archive = zip::ZipArchive::new(bytes).unwrap();
    let names = (0..archive.len())
        .map(|index| archive.by_index(index).unwrap().name().to_string())
        .collect::<Vec<_>>();
    assert!(
        names
            .iter()
            .all(|name| name.starts_with("kafka-operator-1.2.0/")),
        "{names:?}"
    );
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    assert_eq!(
        archive.by_index(0).unwrap().last_modified(),
        Some(zip::DateTime::default())
    );
}

#[test]
fn reading_refuses_what_is_no_package() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "hello").unwrap();
    let message = osc_format::read_package(&path).unwrap_err().to_string();
    assert!(
        message.ends_with(
            "notes.txt: not an OSC-format package: expected a folder, a `.zip` or a `.tgz`"
        ),
        "{message}"
    );
}
