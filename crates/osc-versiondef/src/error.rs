/// Why a CSD's versionDefinition could not be read or written.
///
/// Messages name the key and line but not the file, which only the caller knows: wrap them with
/// the file name.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not a valid csd: {0}")]
    Yaml(#[from] osc_yaml::Error),
    #[error(
        "`{key}`{} is a {found}, but a csd needs a mapping there; write it as `key: value` lines",
        at_line(*line)
    )]
    NotAMapping {
        key: String,
        line: Option<usize>,
        found: &'static str,
    },
    #[error(
        "`spec.versionDefinition.mode`{} is `{found}`; write `tag` (the field holds a tag) or `url` (it holds a whole image address)",
        at_line(*line)
    )]
    Mode { found: String, line: Option<usize> },
    #[error(
        "`spec.versionDefinition` at line {line} has no `{key}`; once `mode` is set, `path` and `tags` are required"
    )]
    Missing { key: &'static str, line: usize },
    #[error("`{key}` at line {line} is a {found}; write it as {expected}")]
    WrongType {
        key: String,
        line: usize,
        found: &'static str,
        expected: &'static str,
    },
    #[error(
        "`spec` at line {line} is a flow mapping (`{{...}}`); rewrite it as a block mapping so versionDefinition can be added"
    )]
    FlowSpec { line: usize },
    #[error("cannot write versionDefinition into the csd: {0}")]
    Write(osc_yaml::Error),
    #[error(
        "the versionDefinition written does not read back as intended ({detail}); the csd was left unchanged, add it by hand and report this"
    )]
    Verification { detail: String },
    #[error("internal template error: {0}; report this bug")]
    Template(String),
}

fn at_line(line: Option<usize>) -> String {
    line.map(|line| format!(" at line {line}"))
        .unwrap_or_default()
}
