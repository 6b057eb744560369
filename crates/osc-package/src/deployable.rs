//! A deployable made of several files (an operator bundle, an OSC-format package) as the zip that
//! goes into `package/`: one top folder, entries in name order, fixed times and modes, so the same
//! files always give the same bytes.

use std::collections::BTreeSet;
use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

/// Zips `files` (paths relative to the top folder, `/`-separated) under the top folder `top`.
pub fn zip_files(top: &str, files: &[(String, Vec<u8>)]) -> Result<Vec<u8>, zip::result::ZipError> {
    let mut sorted: Vec<&(String, Vec<u8>)> = files.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut dirs = BTreeSet::new();
    dirs.insert(String::new());
    for (path, _) in &sorted {
        let mut parts: Vec<&str> = path.split('/').collect();
        parts.pop();
        for depth in 1..=parts.len() {
            dirs.insert(parts[..depth].join("/"));
        }
    }
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::default());
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for dir in &dirs {
        let name = if dir.is_empty() {
            format!("{top}/")
        } else {
            format!("{top}/{dir}/")
        };
        zip.add_directory(name, options.unix_permissions(0o755))?;
    }
    for (path, data) in sorted {
        zip.start_file(format!("{top}/{path}"), options.unix_permissions(0o644))?;
        zip.write_all(data)?;
    }
    Ok(zip.finish()?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_files_give_the_same_bytes_in_any_order() {
        let files = vec![
            ("metadata/annotations.yaml".to_string(), b"a: 1\n".to_vec()),
            (
                "manifests/x.clusterserviceversion.yaml".to_string(),
                b"kind: ClusterServiceVersion\n".to_vec(),
            ),
        ];
        let mut reversed = files.clone();
        reversed.reverse();
        let zipped = zip_files("demo", &files).unwrap();
        assert_eq!(zipped, zip_files("demo", &reversed).unwrap());
        let archive = zip::ZipArchive::new(Cursor::new(zipped)).unwrap();
        let names: Vec<&str> = archive.file_names().collect();
        assert_eq!(
            names,
            [
                "demo/",
                "demo/manifests/",
                "demo/metadata/",
                "demo/manifests/x.clusterserviceversion.yaml",
                "demo/metadata/annotations.yaml"
            ]
        );
    }
}
