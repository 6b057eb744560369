//! The files a bundle is made of, for packaging it.

use crate::error::Error;
use crate::model::Bundle;

/// Every file of the bundle's root folder (hidden files and zip junk left out), with paths relative
/// to it using `/`, in name order; the CSV's file carries `csv_text`, so edits made with
/// [`crate::CsvEditor`] go into the package by passing its text here.
pub fn bundle_files(bundle: &Bundle, csv_text: &str) -> Result<Vec<(String, Vec<u8>)>, Error> {
    let csv_file = bundle
        .csv_file
        .components()
        .map(|part| part.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    let mut files: Vec<(String, Vec<u8>)> = bundle
        .files
        .files
        .iter()
        .map(|file| {
            let name = file.path.as_str().to_string();
            let data = if name == csv_file {
                csv_text.as_bytes().to_vec()
            } else {
                file.data.clone()
            };
            (name, data)
        })
        .collect();
    files.sort_by(|a, b| std::path::Path::new(&a.0).cmp(std::path::Path::new(&b.0)));
    Ok(files)
}
