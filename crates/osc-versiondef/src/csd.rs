//! Reading `spec.versionDefinition` from csd.yaml, and writing it there without touching the rest.

use osc_yaml::{Document, NodeKind, NodeRef, Path, ScalarStyle, Segment};

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
    let mut document = Document::parse(existing)?;
    let Some(root) = document.get(&key_path(&[])) else {
        // Only comments: keep them and add a whole CSD below.
        return Ok(format!(
            "{}{}",
            with_final_newline(existing),
            template::csd(definition)?
        ));
    };
    expect_mapping(root, "(document root)")?;
    if let Some(spec) = document
        .get(&key_path(&["spec"]))
        .filter(|spec| !is_null(*spec))
    {
        expect_mapping(spec, "spec")?;
        if spec.is_flow() {
            return Err(Error::FlowSpec { line: spec.line() });
        }
    }
    let block = template::version_definition(definition)?;
    document
        .set_block(&key_path(&["spec", "versionDefinition"]), &block)
        .map_err(Error::Write)?;
    verify(document.text(), definition)?;
    Ok(document.text().to_owned())
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
        // A plain tag that would be quoted is one that some YAML reader takes for a number or
        // boolean.
        if style == ScalarStyle::Plain && osc_yaml::quote(&tag) != tag {
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

fn with_final_newline(text: &str) -> String {
    if text.is_empty() || text.ends_with('\n') {
        text.to_string()
    } else {
        format!("{text}\n")
    }
}

/// The CSD written must read back as `definition`; osc-yaml has checked that nothing outside
/// versionDefinition changed.
fn verify(written: &str, definition: &VersionDefinition) -> Result<(), Error> {
    let read_back = read_from_csd(written).map_err(|error| Error::Verification {
        detail: format!("the result does not read back: {error}"),
    })?;
    if read_back.as_ref() != Some(definition) {
        return Err(Error::Verification {
            detail: format!("the result reads back as {read_back:?}"),
        });
    }
    Ok(())
}
