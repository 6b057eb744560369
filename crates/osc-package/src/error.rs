use std::io;
use std::path::{Path, PathBuf};

use crate::rules::RuleError;

/// Why a package could not be written, or could not be opened for verification.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A name or size breaks one of OSC's rules (see [`crate::rules`]).
    #[error("{}{rule} (rule {})", file_prefix(path.as_deref()), rule.rule)]
    Rule {
        /// The file whose name or size was checked, when it is a file.
        path: Option<PathBuf>,
        rule: RuleError,
    },

    #[error("image tar {}: cannot read it ({cause}): give the path of a `docker save` archive", path.display())]
    ImageMissing { path: PathBuf, cause: io::Error },

    #[error("image tar {}: not a regular file: give the path of a `docker save` archive", path.display())]
    ImageNotAFile { path: PathBuf },

    #[error(
        "image tars {} and {} are both named `{file_name}` in images/: rename one of them",
        first.display(),
        second.display()
    )]
    DuplicateImage {
        file_name: String,
        first: PathBuf,
        second: PathBuf,
    },

    #[error("deployable {}: cannot read it ({cause}): check the path", path.display())]
    DeployableMissing { path: PathBuf, cause: io::Error },

    #[error("deployable {}: not a regular file: give the path of the chart .tgz or operator .zip", path.display())]
    DeployableNotAFile { path: PathBuf },

    #[error(
        "extends file `{file_name}`: not a plain file name: give a name without `/`, `\\` or `..`, such as `csd.yaml`"
    )]
    ExtendsName { file_name: String },

    #[error("extends file `{file_name}` is given twice: give each file in extends/ its own name")]
    DuplicateExtends { file_name: String },

    #[error("output folder {}: cannot create it ({cause}): choose a folder you can write to", path.display())]
    OutDir { path: PathBuf, cause: io::Error },

    #[error("{}: cannot read it while packaging ({cause}): check the file and try again", path.display())]
    Read { path: PathBuf, cause: io::Error },

    #[error(
        "{}: changed while being packaged ({what}): wait for it to be written and run again",
        path.display()
    )]
    Changed {
        path: PathBuf,
        /// What differed, e.g. the sizes when checked and when copied.
        what: String,
    },

    #[error("{}: cannot write it ({cause}): check free space and permissions in the output folder", path.display())]
    Write { path: PathBuf, cause: io::Error },

    #[error("{}: cannot open it as a zip ({cause}): give the path of a service package .zip", path.display())]
    Open { path: PathBuf, cause: String },
}

fn file_prefix(path: Option<&Path>) -> String {
    path.map(|path| format!("{}: ", path.display()))
        .unwrap_or_default()
}
