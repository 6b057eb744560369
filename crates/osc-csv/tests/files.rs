//! `bundle_files`: what goes into the packaged bundle.

mod common;

use common::{fixture, zip_dir};

#[test]
fn a_bundle_folder_and_its_zip_give_the_same_files_with_the_edited_csv() {
    let bundle = osc_csv::load(&fixture("bundle")).unwrap();
    let files = osc_csv::bundle_files(&bundle, "edited: true\n").unwrap();
    let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    insta::assert_snapshot!(names.join("\n"));
    let csv_name = bundle.csv_file.to_string_lossy().replace('\\', "/");
    let csv = files.iter().find(|(name, _)| *name == csv_name).unwrap();
    assert_eq!(csv.1, b"edited: true\n");

    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("bundle.zip");
    zip_dir(&fixture("bundle"), &archive, "demo-operator/");
    let zipped = osc_csv::load(&archive).unwrap();
    let from_zip = osc_csv::bundle_files(&zipped, "edited: true\n").unwrap();
    assert_eq!(from_zip, files);
}
