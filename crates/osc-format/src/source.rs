//! Reads the files of a loaded operator bundle: osc-csv read them once, safely, into the bundle.

use osc_csv::Bundle;

use crate::ConvertError;

pub(crate) struct Source<'a> {
    bundle: &'a Bundle,
}

impl<'a> Source<'a> {
    pub fn open(bundle: &'a Bundle) -> Result<Source<'a>, ConvertError> {
        Ok(Source { bundle })
    }

    /// A file by its path relative to the root.
    pub fn read(&mut self, relative: &str) -> Result<Vec<u8>, ConvertError> {
        self.bundle
            .files
            .get(relative)
            .map(|file| file.data.clone())
            .ok_or_else(|| ConvertError::Input {
                file: relative.to_string(),
                message: "not in the bundle".to_string(),
            })
    }

    /// The files under `dir` (relative to the root; empty for the root itself), as paths relative
    /// to `dir` with `/`, sorted; only those directly inside unless `recursive`.
    pub fn list(&mut self, dir: &str, recursive: bool) -> Result<Vec<String>, ConvertError> {
        let base = if dir.is_empty() {
            String::new()
        } else {
            format!("{}/", dir.trim_end_matches('/'))
        };
        let mut files: Vec<String> = self
            .bundle
            .files
            .files
            .iter()
            .filter_map(|file| file.path.as_str().strip_prefix(base.as_str()))
            .filter(|relative| recursive || !relative.contains('/'))
            .map(str::to_string)
            .collect();
        files.sort();
        Ok(files)
    }
}
