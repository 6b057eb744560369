use crate::Path;

/// Why a document could not be parsed or edited.
///
/// Messages name the path and line but not the file, which only the caller knows: wrap them with
/// the file name.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("yaml syntax error at line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("key `{key}` at line {line} repeats the key at line {first_line}; remove one of them")]
    DuplicateKey {
        key: String,
        line: usize,
        first_line: usize,
    },
    #[error("invalid yaml: {message}")]
    Invalid { message: String },
    #[error(
        "a second yaml document starts at line {line}; only single-document files can be edited"
    )]
    MultipleDocuments { line: usize },
    #[error("invalid path `{path}`: {reason}")]
    InvalidPath { path: String, reason: String },
    #[error(
        "path `{path}`: the {found} at line {line} is not a mapping, so it has no key `{key}`; check the path"
    )]
    NotAMapping {
        path: Path,
        key: String,
        line: usize,
        found: &'static str,
    },
    #[error(
        "path `{path}`: the {found} at line {line} is not a sequence, so it has no index [{index}]; check the path"
    )]
    NotASequence {
        path: Path,
        index: usize,
        line: usize,
        found: &'static str,
    },
    #[error(
        "path `{path}`: the sequence at line {line} has {len} {items}, so index [{index}] does not exist; items are never created",
        items = if *.len == 1 { "item" } else { "items" }
    )]
    MissingIndex {
        path: Path,
        index: usize,
        line: usize,
        len: usize,
    },
    #[error(
        "path `{path}`: index [{index}] would have to be created under a new key; only mapping keys are created, add the sequence by hand"
    )]
    CannotCreateIndex { path: Path, index: usize },
    #[error(
        "path `{path}`: the value at line {line} is a {found}; only scalars and nulls can be replaced, set the keys inside it instead"
    )]
    NotAScalar {
        path: Path,
        line: usize,
        found: &'static str,
    },
    #[error(
        "path `{path}` goes through the alias at line {line}; editing it would change every place that shares the anchor, so edit the anchored node or write the value out in place of the alias"
    )]
    Alias { path: Path, line: usize },
    #[error(
        "path `{path}`: the node at line {line} carries an anchor that aliases elsewhere refer to; editing it would change those places too, so write the value out in place of the aliases first"
    )]
    SharedAnchor { path: Path, line: usize },
    #[error(
        "path `{path}`: key `{key}` is missing from the mapping that merges other mappings with `<<` at line {line}; it may come from the merged mapping, so edit it there or add the key by hand"
    )]
    MergeKey {
        path: Path,
        key: String,
        line: usize,
    },
    #[error(
        "path `{path}`: the value at line {line} has the tag `{tag}`; only untagged scalars (or `!!str` ones set to a string) are edited, remove the tag or edit it by hand"
    )]
    Tagged {
        path: Path,
        line: usize,
        tag: String,
    },
    #[error("path `{path}`: {what} at line {line} cannot be edited automatically; edit it by hand")]
    Unsupported {
        path: Path,
        line: usize,
        what: &'static str,
    },
    #[error(
        "path `{path}` is inside a flow collection (`{{...}}` or `[...]`), where a block cannot go; rewrite that collection in block style"
    )]
    BlockInFlow { path: Path },
    #[error(
        "path `{path}`: the block to write is not usable: {reason}; pass unindented block YAML"
    )]
    InvalidBlock { path: Path, reason: String },
    #[error(
        "path `{path}`: the edit did not read back as intended ({detail}); the text was left unchanged, edit it by hand and report this"
    )]
    Verification { path: Path, detail: String },
}
