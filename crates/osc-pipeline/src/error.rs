//! Why a command could not do its work at all; every problem in the source itself is a
//! [`crate::Diagnostic`] instead.

use std::path::PathBuf;

use crate::Diagnostic;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Source(Box<osc_source::Error>),
    #[error(transparent)]
    Archive(Box<osc_archive::Error>),
    #[error(transparent)]
    Output(Box<osc_archive::OutputError>),
    #[error(transparent)]
    Chart(Box<osc_chart::LoadError>),
    #[error(transparent)]
    ChartEdit(Box<osc_chart::EditError>),
    #[error(transparent)]
    Bundle(Box<osc_csv::Error>),
    #[error(transparent)]
    BundleEdit(Box<osc_csv::EditError>),
    #[error(transparent)]
    OscFormat(Box<osc_format::ReadError>),
    #[error(transparent)]
    Convert(Box<osc_format::ConvertError>),
    #[error(transparent)]
    VersionDefinition(Box<osc_versiondef::Error>),
    #[error(transparent)]
    Package(Box<osc_package::Error>),
    #[error(transparent)]
    Rule(Box<osc_package::rules::RuleError>),
    #[error(transparent)]
    Mapping(Box<osc_mapping::Error>),
    #[error(transparent)]
    Fix(Box<osc_traps::FixError>),
    #[error(transparent)]
    Render(Box<osc_render::RenderError>),
    #[error(transparent)]
    Discover(Box<osc_render::DiscoverError>),
    #[error("{}: {message}", path.display())]
    Io { path: PathBuf, message: String },
    #[error(
        "no helm found: set HELM_BIN or put helm on PATH (as a Helm plugin, `helm osc` gets HELM_BIN from Helm)"
    )]
    NoHelm,
    /// `package` found errors the user must fix first.
    #[error(
        "{}: {} error{} found by lint, so nothing was packaged (`helm osc lint {}` shows the whole report)",
        input.display(),
        errors.len(),
        if errors.len() == 1 { "" } else { "s" },
        input.display()
    )]
    Refused {
        input: PathBuf,
        errors: Vec<Diagnostic>,
    },
    #[error("{what}: {message}")]
    Usage { what: String, message: String },
    /// `push` and `rehearse` found errors in the package itself.
    #[error(
        "{}: {} error{} found by verify, so nothing was pushed (`helm osc verify {}` shows the whole report)",
        package.display(),
        errors.len(),
        if errors.len() == 1 { "" } else { "s" },
        package.display()
    )]
    NotVerified {
        package: PathBuf,
        errors: Vec<Diagnostic>,
    },
    /// A push or a registry look-up failed; the message names the tar (as its entry in the
    /// package), the image or the registry, and what to do.
    #[error("{message}")]
    Registry { package: PathBuf, message: String },
}

impl Error {
    /// The errors in the input that made a command refuse to do its work: `package`'s lint
    /// errors, `push`'s and `rehearse`'s verify errors.
    pub fn refusals(&self) -> &[Diagnostic] {
        match self {
            Error::Refused { errors, .. } | Error::NotVerified { errors, .. } => errors,
            _ => &[],
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, error: impl std::fmt::Display) -> Error {
        Error::Io {
            path: path.into(),
            message: error.to_string(),
        }
    }
}

/// Boxed, so that every `Result` of the pipeline stays small however large the other crates'
/// errors grow; `?` converts as if they were held directly.
macro_rules! boxed_from {
    ($($variant:ident($error:ty)),* $(,)?) => {
        $(impl From<$error> for Error {
            fn from(error: $error) -> Error {
                Error::$variant(Box::new(error))
            }
        })*
    };
}

boxed_from! {
    Package(osc_package::Error),
    Convert(osc_format::ConvertError),
    Discover(osc_render::DiscoverError),
    Render(osc_render::RenderError),
    Bundle(osc_csv::Error),
    BundleEdit(osc_csv::EditError),
    Source(osc_source::Error),
    ChartEdit(osc_chart::EditError),
    VersionDefinition(osc_versiondef::Error),
    Mapping(osc_mapping::Error),
    OscFormat(osc_format::ReadError),
    Fix(osc_traps::FixError),
    Chart(osc_chart::LoadError),
    Output(osc_archive::OutputError),
    Archive(osc_archive::Error),
    Rule(osc_package::rules::RuleError),
}
