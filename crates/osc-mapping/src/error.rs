/// Why a mapping could not be read or applied.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// serde's message names the field path, e.g. `instance[0]: missing field `tag``.
    #[error("{file}:{line}:{column}: {message}")]
    Parse {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("values.yaml cannot be edited: {source}")]
    Values { source: osc_yaml::Error },
    #[error(
        "registry {registry:?} is not `HOST/ORG`: {reason}; give the platform registry and organisation, e.g. `swr.cn-east-3.myhuaweicloud.com/my-org`"
    )]
    Registry { registry: String, reason: String },
    #[error("mapping.yaml {field}: {source}")]
    Path {
        field: String,
        source: osc_yaml::Error,
    },
    #[error(
        "values.yaml has no key `{path}`, which mapping.yaml {field} names; the platform writes only keys that values.yaml has: add the key to values.yaml or fix the path"
    )]
    MissingKey { field: String, path: String },
    #[error(
        "values.yaml key `{path}`, which mapping.yaml {field} names, holds a mapping or a list; name the key inside it that holds the address"
    )]
    NotScalar { field: String, path: String },
    #[error("values.yaml key named by mapping.yaml {field} cannot be written: {source}")]
    Write {
        field: String,
        source: osc_yaml::Error,
    },
    #[error(
        "mapping.yaml {field}.type: `{value}` is not a container type; write initContainer, container or ephemeralContainer"
    )]
    ContainerType { field: String, value: String },
    #[error(
        "mapping.yaml {field}: the entry has no `kind`; name the alm-examples kind whose fields `address` names"
    )]
    NoKind { field: String },
    /// The CSV refused an edit mapping.yaml asks for. Boxed: the edit error is large, and every
    /// other result of this crate would carry its size.
    #[error("mapping.yaml {field}: {source}")]
    Csv {
        field: String,
        source: Box<osc_csv::EditError>,
    },
}
