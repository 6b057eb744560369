//! Reading `spec.versionDefinition` from csd.yaml, and writing it there without touching the rest.

use std::ops::Range;

use osc_yaml::{Document, NodeKind, NodeRef, Path, ScalarStyle, Segment};

use crate::template::reads_as_string;
use crate::{Diagnostic, Error, Mode, Target, VersionDefinition, template, validate};

/// Reads `spec.versionDefinition` from a CSD; `None` when the CSD has none.
///
/// Tags are returned as written, so an unquoted `1.10` reads as `1.10`; [`lint_csd`] reports it.
pub fn read_from_csd(csd: &str) -> Result<Option<VersionDefinition>, Error> {
    Ok(read(&Document::parse(csd)?)?.map(|read| read.definition))
}

/// Writes `definition` as the `spec.versionDefinition` of `existing_csd`, replacing any there and
/// leaving every other byte as it was; without an existing CSD, writes a minimal one that
/// `helm osc convert` completes.
pub fn write_into_csd(
    existing_csd: Option<&str>,
    definition: &VersionDefinition,
) -> Result<String, Error> {
    let Some(existing) = existing_csd else {
        return template::csd(definition);
    };
    let document = Document::parse(existing)?;
    let Some(root) = document.get(&key_path(&[])) else {
        // Only comments: keep them and add a whole CSD below.
        return Ok(format!(
            "{}{}",
            with_final_newline(existing),
            template::csd(definition)?
        ));
    };
    let block = template::version_definition(definition)?;
    let written = splice(existing, &document, root, &block)?;
    verify(existing, &written, definition)?;
    Ok(written)
}

/// Checks the versionDefinition of a CSD as written: that it can be read, that its tags are
/// quoted where YAML would take them for numbers, and the rules of [`crate::validate`].
pub fn lint_csd(csd: &str, target: &Target, file: &str) -> Vec<Diagnostic> {
    let read = Document::parse(csd)
        .map_err(Error::from)
        .and_then(|document| read(&document));
    match read {
        Err(error) => {
            let (rule, field, help) = match &error {
                Error::Mode { .. } => (
                    "versiondef-mode",
                    "versionDefinition.mode",
                    "write `mode: tag` or `mode: url`",
                ),
                Error::Missing { .. } => (
                    "versiondef-required",
                    "versionDefinition",
                    "give mode, path and tags, e.g. `{mode: tag, path: image.tag, tags: [\"1.0.0\"]}`",
                ),
                _ => (
                    "versiondef-shape",
                    "versionDefinition",
                    "write it as `versionDefinition: {mode: tag, path: image.tag, tags: [\"1.0.0\"]}`",
                ),
            };
            vec![Diagnostic::error(rule, file, error.to_string(), help).at(field)]
        }
        Ok(None) => Vec::new(),
        Ok(Some(read)) => {
            let mut findings = read
                .unquoted_tags
                .iter()
                .map(|(index, tag)| {
                    Diagnostic::error(
                        "versiondef-tag-unquoted",
                        file,
                        format!(
                            "`{tag}` is not quoted, so YAML reads it as a number or boolean rather than the tag `{tag}`"
                        ),
                        format!("quote it: \"{tag}\""),
                    )
                    .at(format!("versionDefinition.tags[{index}]"))
                })
                .collect::<Vec<_>>();
            findings.extend(validate(&read.definition, target, file));
            findings
        }
    }
}

struct Read {
    definition: VersionDefinition,
    /// Plain tags that YAML reads as something other than a string, with their index.
    unquoted_tags: Vec<(usize, String)>,
}

fn key_path(keys: &[&str]) -> Path {
    Path::from_segments(keys.iter().map(|key| Segment::Key(key.to_string())))
}

fn read(document: &Document) -> Result<Option<Read>, Error> {
    let Some(root) = document.get(&key_path(&[])) else {
        return Ok(None);
    };
    expect_mapping(root, "(document root)")?;
    let Some(spec) = document
        .get(&key_path(&["spec"]))
        .filter(|node| !is_null(*node))
    else {
        return Ok(None);
    };
    expect_mapping(spec, "spec")?;
    let base = ["spec", "versionDefinition"];
    let Some(node) = document
        .get(&key_path(&base))
        .filter(|node| !is_null(*node))
    else {
        return Ok(None);
    };
    expect_mapping(node, "spec.versionDefinition")?;
    let field = |key: &'static str| {
        let path = key_path(&[base[0], base[1], key]);
        document
            .get(&path)
            .filter(|node| !is_null(*node))
            .map(|node| (path, node))
    };
    let missing = |key: &'static str| Error::Missing {
        key,
        line: node.line(),
    };
    let (mode_path, mode_node) = field("mode").ok_or_else(|| missing("mode"))?;
    let mode = scalar_text(&mode_path, mode_node, "`tag` or `url`")?
        .0
        .parse::<Mode>()
        .map_err(|error| match error {
            Error::Mode { found, .. } => Error::Mode {
                found,
                line: Some(mode_node.line()),
            },
            other => other,
        })?;
    let (path_path, path_node) = field("path").ok_or_else(|| missing("path"))?;
    let path = scalar_text(&path_path, path_node, "a dotted path such as `image.tag`")?.0;
    let (tags_path, tags_node) = field("tags").ok_or_else(|| missing("tags"))?;
    if !matches!(tags_node.kind(), NodeKind::Sequence) {
        return Err(wrong_type(&tags_path, tags_node, "a list of quoted tags"));
    }
    let mut tags = Vec::new();
    let mut unquoted_tags = Vec::new();
    for index in 0.. {
        let mut tag_path = tags_path.segments().to_vec();
        tag_path.push(Segment::Index(index));
        let tag_path = Path::from_segments(tag_path);
        let Some(tag_node) = document.get(&tag_path) else {
            break;
        };
        let (tag, style) = scalar_text(&tag_path, tag_node, "a quoted tag such as \"1.0.0\"")?;
        if style == ScalarStyle::Plain && !reads_as_string(&tag) {
            unquoted_tags.push((index, tag.clone()));
        }
        tags.push(tag);
    }
    let description = match field("description") {
        Some((description_path, description_node)) => {
            Some(scalar_text(&description_path, description_node, "a string")?.0)
        }
        None => None,
    };
    Ok(Some(Read {
        definition: VersionDefinition {
            mode,
            path,
            tags,
            description,
        },
        unquoted_tags,
    }))
}

fn expect_mapping(node: NodeRef<'_>, key: &str) -> Result<(), Error> {
    match node.kind() {
        NodeKind::Mapping => Ok(()),
        other => Err(Error::NotAMapping {
            key: key.to_string(),
            line: Some(node.line()),
            found: kind_name(other),
        }),
    }
}

fn scalar_text(
    path: &Path,
    node: NodeRef<'_>,
    expected: &'static str,
) -> Result<(String, ScalarStyle), Error> {
    match node.kind() {
        NodeKind::Scalar { value, style } if !is_null(node) => Ok((value.to_string(), style)),
        _ => Err(wrong_type(path, node, expected)),
    }
}

fn wrong_type(path: &Path, node: NodeRef<'_>, expected: &'static str) -> Error {
    Error::WrongType {
        key: path.to_string(),
        line: node.line(),
        found: kind_name(node.kind()),
        expected,
    }
}

fn kind_name(kind: NodeKind<'_>) -> &'static str {
    match kind {
        NodeKind::Scalar { .. } => "scalar",
        NodeKind::Mapping => "mapping",
        NodeKind::Sequence => "list",
        NodeKind::Alias => "alias",
    }
}

fn is_null(node: NodeRef<'_>) -> bool {
    matches!(
        node.kind(),
        NodeKind::Scalar {
            value: "" | "~" | "null" | "Null" | "NULL",
            style: ScalarStyle::Plain
        }
    )
}

/// Puts `block` (the unindented versionDefinition mapping) into the CSD text.
fn splice(
    text: &str,
    document: &Document,
    root: NodeRef<'_>,
    block: &str,
) -> Result<String, Error> {
    expect_mapping(root, "(document root)")?;
    let root_indent = indentation(text, root.span(), "(document root)", root.line())?;
    let spec = match document.get(&key_path(&["spec"])) {
        None => {
            return Ok(format!(
                "{}{}spec:\n{}",
                with_final_newline(text),
                " ".repeat(root_indent),
                entry(block, root_indent + 2)
            ));
        }
        Some(spec) if is_null(spec) => {
            return Ok(replace_inline(
                text,
                spec.span(),
                &entry(block, root_indent + 2),
            ));
        }
        Some(spec) => spec,
    };
    expect_mapping(spec, "spec")?;
    if text[spec.span()].starts_with('{') {
        return Err(Error::FlowSpec { line: spec.line() });
    }
    let spec_indent = indentation(text, spec.span(), "spec", spec.line())?;
    match document.get(&key_path(&["spec", "versionDefinition"])) {
        None => {
            let at = after_line(text, spec.span().end);
            let before = with_final_newline(&text[..at]);
            Ok(format!(
                "{before}{}{}",
                entry(block, spec_indent),
                &text[at..]
            ))
        }
        Some(existing)
            if matches!(existing.kind(), NodeKind::Mapping)
                && !text[existing.span()].starts_with('{') =>
        {
            let column = indentation(
                text,
                existing.span(),
                "spec.versionDefinition",
                existing.line(),
            )?;
            let indented = indent(block, column);
            Ok(replace(
                text,
                existing.span(),
                without_final_newline(&indented[column..]),
            ))
        }
        Some(existing) => Ok(replace_inline(
            text,
            existing.span(),
            &indent(block, spec_indent + 2),
        )),
    }
}

/// `versionDefinition:` and its mapping, the key at `indent`.
fn entry(block: &str, indent: usize) -> String {
    format!(
        "{}versionDefinition:\n{}",
        " ".repeat(indent),
        self::indent(block, indent + 2)
    )
}

fn indent(block: &str, width: usize) -> String {
    let pad = " ".repeat(width);
    block
        .split_inclusive('\n')
        .map(|line| {
            if line.trim().is_empty() {
                line.to_string()
            } else {
                format!("{pad}{line}")
            }
        })
        .collect()
}

/// The column of a block node, which must have only spaces before it on its line.
fn indentation(text: &str, span: Range<usize>, key: &str, line: usize) -> Result<usize, Error> {
    let line_start = text[..span.start].rfind('\n').map_or(0, |at| at + 1);
    let prefix = &text[line_start..span.start];
    if prefix.bytes().all(|byte| byte == b' ') {
        Ok(prefix.len())
    } else {
        Err(Error::Indentation {
            key: key.to_string(),
            line,
        })
    }
}

/// The offset just past the end of the line holding `offset`.
fn after_line(text: &str, offset: usize) -> usize {
    text[offset..]
        .find('\n')
        .map_or(text.len(), |at| offset + at + 1)
}

fn replace(text: &str, span: Range<usize>, with: &str) -> String {
    format!("{}{with}{}", &text[..span.start], &text[span.end..])
}

/// Replaces a value written on its key's line (a scalar, a null or a flow collection) with
/// `lines`, which start on the next line.
fn replace_inline(text: &str, span: Range<usize>, lines: &str) -> String {
    // The blanks between the key's colon and the old value would otherwise trail the key.
    let start = text[..span.start].trim_end_matches(' ').len();
    replace(
        text,
        start..span.end,
        &format!("\n{}", without_final_newline(lines)),
    )
}

fn with_final_newline(text: &str) -> String {
    if text.is_empty() || text.ends_with('\n') {
        text.to_string()
    } else {
        format!("{text}\n")
    }
}

fn without_final_newline(text: &str) -> &str {
    text.strip_suffix('\n').unwrap_or(text)
}

/// The edit must read back as `definition` and leave everything outside versionDefinition alone.
fn verify(before: &str, after: &str, definition: &VersionDefinition) -> Result<(), Error> {
    let verification = |detail: String| Error::Verification { detail };
    let read_back = read_from_csd(after)
        .map_err(|error| verification(format!("the result does not read back: {error}")))?;
    if read_back.as_ref() != Some(definition) {
        return Err(verification(format!(
            "the result reads back as {read_back:?}"
        )));
    }
    let without_definition = |text: &str| -> Result<serde_norway::Value, Error> {
        let mut value: serde_norway::Value = serde_norway::from_str(text)
            .map_err(|error| verification(format!("the yaml does not parse: {error}")))?;
        if let Some(root) = value.as_mapping_mut() {
            if let Some(spec) = root.get_mut("spec").and_then(|spec| spec.as_mapping_mut()) {
                spec.remove("versionDefinition");
            }
            // A spec made only to hold versionDefinition counts as no spec.
            let spec_is_empty = root.get("spec").is_some_and(|spec| {
                spec.is_null() || spec.as_mapping().is_some_and(|spec| spec.is_empty())
            });
            if spec_is_empty {
                root.remove("spec");
            }
        }
        Ok(value)
    };
    if without_definition(before)? != without_definition(after)? {
        return Err(verification(
            "keys outside spec.versionDefinition changed".to_string(),
        ));
    }
    Ok(())
}
