//! Any bytes loaded as an operator bundle zip: a bundle that loads can be checked, and the files
//! it would be packaged from have safe relative paths, each once, the CSV's carrying its text.
#![no_main]

use std::collections::HashSet;

use helm_osc_fuzz::{assert_safe_path, input_file};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = input_file("bundle.zip", data);
    let Ok(bundle) = osc_csv::load(&path) else {
        return;
    };
    for finding in osc_csv::check(&bundle) {
        // Findings are shown to people: formatting one must work for any bundle.
        let _ = finding.to_string();
    }
    let files = osc_csv::bundle_files(&bundle, &bundle.csv_text)
        .unwrap_or_else(|error| panic!("a loaded bundle's files cannot be listed: {error}"));
    let mut seen = HashSet::new();
    for (path, _) in &files {
        assert_safe_path(path, "a file of the bundle");
        assert!(
            seen.insert(path.as_str()),
            "the bundle lists `{path}` twice"
        );
    }
    // The edited CSV goes into the package through bundle_files: it must be among the files.
    let csv_file = bundle
        .csv_file
        .components()
        .map(|part| part.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    let csv = files.iter().find(|(path, _)| *path == csv_file);
    assert!(
        csv.is_some_and(|(_, data)| data == bundle.csv_text.as_bytes()),
        "the CSV file `{csv_file}` is not among the bundle's files with the CSV's text"
    );
});
