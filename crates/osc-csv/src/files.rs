//! The files a bundle is made of, for packaging it.

use std::path::Path;

use crate::error::Error;
use crate::model::{Bundle, Root};
use crate::source::Source;

/// Every file of the bundle's root folder (hidden files and zip junk left out), with paths relative
/// to it using `/`, in name order; the CSV's file carries `csv_text`, so edits made with
/// [`crate::CsvEditor`] go into the package by passing its text here.
pub fn bundle_files(bundle: &Bundle, csv_text: &str) -> Result<Vec<(String, Vec<u8>)>, Error> {
    let path = match &bundle.root {
        Root::Dir(dir) => dir.clone(),
        Root::Zip { archive, .. } => archive.clone(),
    };
    let mut source = Source::open(&path)?;
    let mut files = Vec::new();
    for file in source.walk(Path::new(""))? {
        let data = if file == bundle.csv_file {
            csv_text.as_bytes().to_vec()
        } else {
            source.read_bytes(&file)?
        };
        let name = file
            .components()
            .map(|part| part.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        files.push((name, data));
    }
    Ok(files)
}
