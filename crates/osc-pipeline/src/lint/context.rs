//! What a lint of one chart or bundle works with: its extra inputs, how its files are named in
//! findings, and whether it sits inside a built package.

use std::path::{Path, PathBuf};

use crate::{Helm, Inputs};

/// The inputs and naming of one lint.
pub(crate) struct Context<'a> {
    /// Put before the path of a file inside the source: empty for a source the user gave, the
    /// deployable's zip entry and `/` inside a built package.
    prefix: String,
    /// Names the source as a whole: the path as given, or the deployable's zip entry.
    root: String,
    /// Inside a built package, whose verify already checked the source mark, the deployable's
    /// size, the tar names and where mapping.yaml is.
    pub built: bool,
    pub images: Option<Input>,
    pub mapping: Option<Input>,
    /// A csd.yaml holding a versionDefinition.
    pub csd: Option<Input>,
    pub values_files: &'a [PathBuf],
    pub namespace: &'a str,
    pub helm: Option<&'a Helm>,
}

/// A file or folder the lint reads, and the name findings give it.
#[derive(Clone, Debug)]
pub(crate) struct Input {
    pub path: PathBuf,
    pub shown: String,
}

impl Input {
    pub fn as_given(path: &Path) -> Input {
        Input {
            path: path.to_owned(),
            shown: path.display().to_string(),
        }
    }
}

/// The versionDefinition's file beside the chart or bundle it belongs to.
pub(crate) const CSD_FILE: &str = "csd.yaml";
/// Where `helm osc mapping -o` and the package put mapping.yaml beside the tars.
pub(crate) const MAPPING_FILE: &str = "mapping.yaml";

impl<'a> Context<'a> {
    /// For a source the user gave: files named relative to it, mapping.yaml taken from the
    /// images folder when not given, csd.yaml taken from a source folder.
    pub fn for_source(source: &Path, inputs: &'a Inputs) -> Context<'a> {
        let csd = source.is_dir().then(|| {
            let path = source.join(CSD_FILE);
            path.is_file().then_some(Input {
                path,
                shown: CSD_FILE.to_owned(),
            })
        });
        Context {
            prefix: String::new(),
            root: source.display().to_string(),
            built: false,
            images: inputs.images.as_deref().map(Input::as_given),
            mapping: inputs.mapping_file().as_deref().map(Input::as_given),
            csd: csd.flatten(),
            values_files: &inputs.values_files,
            namespace: &inputs.namespace,
            helm: inputs.helm.as_ref(),
        }
    }

    /// For the deployable of a built package, unpacked from the zip entry `entry`.
    pub fn for_deployable(inputs: &'a Inputs, entry: &str) -> Context<'a> {
        Context {
            prefix: format!("{entry}/"),
            root: entry.to_owned(),
            built: true,
            images: None,
            mapping: None,
            csd: None,
            values_files: &inputs.values_files,
            namespace: &inputs.namespace,
            helm: inputs.helm.as_ref(),
        }
    }

    /// The name of a file inside the source (`""` is the source itself).
    pub fn file(&self, relative: &str) -> String {
        if relative.is_empty() {
            self.root.clone()
        } else {
            format!("{}{relative}", self.prefix)
        }
    }

    /// The name of the source as a whole.
    pub fn root(&self) -> &str {
        &self.root
    }
}
