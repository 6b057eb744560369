//! Planning an edit as a few byte-range replacements of the source text.

use std::cmp::Reverse;
use std::ops::Range;

use crate::emit::{self, Context};
use crate::tree::{self, BlockScalar, Kind, Node, Tree};
use crate::{Error, Path, ScalarStyle, Segment, Value};

/// Replace `range` of the source text by `text`.
pub(crate) struct Splice {
    range: Range<usize>,
    text: String,
}

impl Splice {
    pub(crate) fn range(&self) -> Range<usize> {
        self.range.clone()
    }

    /// Writes `other`'s text after this one's.
    pub(crate) fn append(&mut self, other: &Splice) {
        self.text.push_str(&other.text);
    }
}

/// What an edit writes at its path.
#[derive(Clone, Copy)]
pub(crate) enum Content<'v> {
    Scalar(&'v Value),
    /// Block YAML, unindented, each line ending in a line break.
    Block(&'v str),
}

/// The replacements that write `content` at `path`; none when a scalar is already written so.
pub(crate) fn plan(
    text: &str,
    tree: &Tree,
    path: &Path,
    content: Content<'_>,
) -> Result<Vec<Splice>, Error> {
    let segments = path.segments();
    if segments.is_empty() {
        return Err(Error::InvalidPath {
            path: String::new(),
            reason: "the path is empty; name the key to set".to_owned(),
        });
    }
    let planner = Planner {
        text,
        tree,
        path,
        content,
        eol: line_ending(text),
        step: tree
            .root
            .as_ref()
            .and_then(|root| indent_step(text, root))
            .unwrap_or(2),
    };
    let Some(root) = &tree.root else {
        return Ok(vec![planner.append(&planner.block_lines(segments, 0)?)]);
    };
    let mut node = root;
    let mut slot = Slot::Root;
    let mut in_flow = false;
    for (depth, segment) in segments.iter().enumerate() {
        planner.ensure_private(node)?;
        let rest = &segments[depth..];
        match (segment, &node.kind) {
            (Segment::Key(key), Kind::Mapping { entries, flow }) => {
                if let Some((key_node, value_node)) = tree::find_entry(entries, key) {
                    slot = Slot::MapValue { key: key_node };
                    in_flow |= *flow;
                    node = value_node;
                    continue;
                }
                if let Some((merge, _)) = entries
                    .iter()
                    .find(|(key, _)| key.scalar_value() == Some("<<") && key.tag.is_none())
                {
                    return Err(Error::MergeKey {
                        path: path.clone(),
                        key: key.clone(),
                        line: merge.line,
                    });
                }
                let block_value = matches!(slot, Slot::MapValue { .. }) && !in_flow;
                return if entries.is_empty() && block_value {
                    // `key: {}` under a block mapping turns into a block mapping, as people
                    // write it.
                    planner.fill_block_value(node, slot, rest)
                } else {
                    planner.insert_entry(node, entries, *flow, rest)
                };
            }
            (Segment::Key(_), Kind::Scalar { .. }) if node.is_null() => {
                return if in_flow {
                    planner.fill_flow_null(node, slot, rest)
                } else {
                    planner.fill_block_value(node, slot, rest)
                };
            }
            (Segment::Key(key), _) => {
                return Err(Error::NotAMapping {
                    path: path.clone(),
                    key: key.clone(),
                    line: node.line,
                    found: node.describe(),
                });
            }
            (Segment::Index(index), Kind::Sequence { items, flow }) => {
                node = items.get(*index).ok_or_else(|| Error::MissingIndex {
                    path: path.clone(),
                    index: *index,
                    line: node.line,
                    len: items.len(),
                })?;
                slot = Slot::SequenceItem;
                in_flow |= *flow;
            }
            (Segment::Index(index), _) => {
                return Err(Error::NotASequence {
                    path: path.clone(),
                    index: *index,
                    line: node.line,
                    found: node.describe(),
                });
            }
        }
    }
    planner.ensure_private(node)?;
    let context = if in_flow {
        Context::Flow
    } else {
        Context::Block
    };
    planner.replace(node, slot, context)
}

/// `- key: value` lines of a block sequence holding one mapping of `entries`, unindented.
pub(crate) fn block_item(entries: &[(&str, Value)]) -> String {
    let mut lines = String::new();
    for (index, (key, value)) in entries.iter().enumerate() {
        lines.push_str(if index == 0 { "- " } else { "  " });
        lines.push_str(&emit::key(key, Context::Block));
        lines.push_str(": ");
        lines.push_str(&emit::scalar(value, ScalarStyle::Plain, Context::Block));
        lines.push('\n');
    }
    if entries.is_empty() {
        lines.push_str("- {}\n");
    }
    lines
}

/// The replacements that append a mapping of `entries` to `sequence`, the non-empty sequence
/// at `path`.
pub(crate) fn plan_push(
    text: &str,
    tree: &Tree,
    path: &Path,
    sequence: &Node,
    entries: &[(&str, Value)],
) -> Result<Vec<Splice>, Error> {
    let planner = Planner {
        text,
        tree,
        path,
        content: Content::Block(""),
        eol: line_ending(text),
        step: 2,
    };
    planner.ensure_private(sequence)?;
    let Kind::Sequence { items, flow } = &sequence.kind else {
        return Err(Error::NotASequence {
            path: path.clone(),
            index: 0,
            line: sequence.line,
            found: sequence.describe(),
        });
    };
    let (Some(first), Some(last)) = (items.first(), items.last()) else {
        return Err(Error::Unsupported {
            path: path.clone(),
            line: sequence.line,
            what: "an empty sequence",
        });
    };
    if entries.is_empty() {
        return Err(Error::Unsupported {
            path: path.clone(),
            line: sequence.line,
            what: "an item without entries",
        });
    }
    if *flow {
        let written: Vec<String> = entries
            .iter()
            .map(|(key, value)| {
                format!(
                    "{}: {}",
                    emit::key(key, Context::Flow),
                    emit::scalar(value, ScalarStyle::Plain, Context::Flow)
                )
            })
            .collect();
        return Ok(vec![insert(
            last.span.end,
            format!(", {{{}}}", written.join(", ")),
        )]);
    }
    // The first item's `-` and content columns, so that the new item lines up with it.
    let start = line_start(text, first.span.start);
    let Some(dash) = text[start..first.span.start].rfind('-') else {
        return Err(Error::Unsupported {
            path: path.clone(),
            line: first.line,
            what: "a sequence whose first item starts on the line after its `-`",
        });
    };
    let dash_column = column(text, start + dash);
    let content_column = column(text, first.span.start);
    let mut lines = String::new();
    for (index, (key, value)) in entries.iter().enumerate() {
        if index == 0 {
            lines.extend(std::iter::repeat_n(' ', dash_column));
            lines.push('-');
            lines.extend(std::iter::repeat_n(
                ' ',
                content_column.saturating_sub(dash_column + 1).max(1),
            ));
        } else {
            lines.extend(std::iter::repeat_n(' ', content_column));
        }
        lines.push_str(&emit::key(key, Context::Block));
        lines.push_str(": ");
        lines.push_str(&emit::scalar(value, ScalarStyle::Plain, Context::Block));
        lines.push_str(planner.eol);
    }
    Ok(vec![planner.insert_after_line(last.span.end, &lines)])
}

pub(crate) fn apply(text: &str, mut splices: Vec<Splice>) -> String {
    splices.sort_by_key(|splice| Reverse(splice.range.start));
    let mut edited = text.to_owned();
    for splice in splices {
        edited.replace_range(splice.range, &splice.text);
    }
    edited
}

/// Where the node being edited sits.
#[derive(Clone, Copy)]
enum Slot<'t> {
    Root,
    MapValue { key: &'t Node },
    SequenceItem,
}

struct Planner<'a> {
    text: &'a str,
    tree: &'a Tree,
    path: &'a Path,
    content: Content<'a>,
    eol: &'static str,
    /// How far a nested block mapping is indented from its parent.
    step: usize,
}

impl Planner<'_> {
    /// Refuses nodes whose edit would also change other places: aliases and aliased anchors.
    fn ensure_private(&self, node: &Node) -> Result<(), Error> {
        if matches!(node.kind, Kind::Alias) {
            return Err(Error::Alias {
                path: self.path.clone(),
                line: node.line,
            });
        }
        if node
            .anchor
            .is_some_and(|anchor| self.tree.aliased_anchors.contains(&anchor))
        {
            return Err(Error::SharedAnchor {
                path: self.path.clone(),
                line: node.line,
            });
        }
        Ok(())
    }

    fn replace(&self, node: &Node, slot: Slot<'_>, context: Context) -> Result<Vec<Splice>, Error> {
        let value = match self.content {
            Content::Scalar(value) => value,
            Content::Block(block) => return self.replace_by_block(node, slot, context, block),
        };
        let Kind::Scalar {
            value: current,
            style,
            block,
        } = &node.kind
        else {
            return Err(Error::NotAScalar {
                path: self.path.clone(),
                line: node.line,
                found: node.describe(),
            });
        };
        if let Some(tag) = &node.tag
            && !(tag == "!!str" && matches!(value, Value::Str(_)))
        {
            return Err(Error::Tagged {
                path: self.path.clone(),
                line: node.line,
                tag: tag.clone(),
            });
        }
        if self.already_written(value, node, current, *style, context) {
            return Ok(Vec::new());
        }
        if let Some(block) = block {
            return Ok(self.replace_block(value, block, *style));
        }
        if node.content.is_empty() {
            self.ensure_after_indicator(node, slot)?;
            return Ok(vec![Splice {
                range: node.content.clone(),
                text: format!(" {}", emit::scalar(value, ScalarStyle::Plain, context)),
            }]);
        }
        Ok(vec![Splice {
            range: node.content.clone(),
            text: emit::scalar(value, *style, context),
        }])
    }

    /// Whether the scalar already reads as the value, for YAML 1.1 readers too.
    fn already_written(
        &self,
        value: &Value,
        node: &Node,
        current: &str,
        style: ScalarStyle,
        context: Context,
    ) -> bool {
        let plain_untagged = style == ScalarStyle::Plain && node.tag.is_none();
        match value {
            Value::Str(text) => {
                current == text
                    && (style != ScalarStyle::Plain
                        || emit::scalar(value, ScalarStyle::Plain, context) == *text)
            }
            Value::Bool(true) => plain_untagged && matches!(current, "true" | "True" | "TRUE"),
            Value::Bool(false) => plain_untagged && matches!(current, "false" | "False" | "FALSE"),
            Value::Int(number) => plain_untagged && current == number.to_string(),
            Value::Null => node.is_null(),
        }
    }

    /// A block scalar stays one when the value fits (keeping the comment on its header line);
    /// otherwise the value takes the header's place and the body goes.
    fn replace_block(&self, value: &Value, block: &BlockScalar, style: ScalarStyle) -> Vec<Splice> {
        let indent = block
            .indent
            .unwrap_or_else(|| leading_spaces(self.text, block.indicator.start) + self.step);
        // Without a line break after the body, readers disagree on whether a kept final line
        // break exists, so such a value is not written as a block there.
        let ends_text = !self.text[block.body.end..].contains('\n');
        let written = match value {
            Value::Str(text) if !(ends_text && text.ends_with('\n')) => {
                emit::block(text, style == ScalarStyle::Folded, indent, self.eol)
            }
            _ => None,
        };
        let (indicator, body) = written.unwrap_or_else(|| {
            (
                emit::scalar(value, ScalarStyle::Plain, Context::Block),
                String::new(),
            )
        });
        vec![
            Splice {
                range: block.indicator.clone(),
                text: indicator,
            },
            Splice {
                range: block.body.clone(),
                text: body,
            },
        ]
    }

    /// An empty node can take a value only right after its key's `:` or its own properties.
    fn ensure_after_indicator(&self, node: &Node, slot: Slot<'_>) -> Result<(), Error> {
        let has_properties = node.span.start < node.content.start;
        let after_colon = self.text[..node.content.start].ends_with(':');
        if matches!(slot, Slot::MapValue { .. }) && (has_properties || after_colon) {
            return Ok(());
        }
        Err(Error::Unsupported {
            path: self.path.clone(),
            line: node.line,
            what: match slot {
                Slot::MapValue { .. } => "a key without `:`",
                Slot::Root | Slot::SequenceItem => "an empty sequence item",
            },
        })
    }

    /// Adds the missing key `rest[0]` (and the keys under it) to a mapping that has entries or
    /// is written `{}`.
    fn insert_entry(
        &self,
        mapping: &Node,
        entries: &[(Node, Node)],
        flow: bool,
        rest: &[Segment],
    ) -> Result<Vec<Splice>, Error> {
        if flow {
            let entry = self.flow_entry(rest)?;
            let splice = match entries.last() {
                Some((_, last)) => insert(last.span.end, format!(", {entry}")),
                // Right after the `{`.
                None => insert(mapping.content.start + 1, entry),
            };
            return Ok(vec![splice]);
        }
        let (Some((first_key, _)), Some((_, last_value))) = (entries.first(), entries.last())
        else {
            return Err(Error::Unsupported {
                path: self.path.clone(),
                line: mapping.line,
                what: "an empty block mapping",
            });
        };
        let lines = self.block_lines(rest, column(self.text, first_key.span.start))?;
        Ok(vec![self.insert_after_line(last_value.span.end, &lines)])
    }

    /// Turns a null or `{}` value in block context into a block mapping holding `rest`.
    fn fill_block_value(
        &self,
        node: &Node,
        slot: Slot<'_>,
        rest: &[Segment],
    ) -> Result<Vec<Splice>, Error> {
        let indent = match slot {
            Slot::Root => 0,
            Slot::MapValue { key } => column(self.text, key.span.start) + self.step,
            Slot::SequenceItem => {
                return Err(Error::Unsupported {
                    path: self.path.clone(),
                    line: node.line,
                    what: "a null sequence item",
                });
            }
        };
        let lines = self.block_lines(rest, indent)?;
        let mut splices = Vec::new();
        if !node.content.is_empty() {
            // Drop `~`, `null` or `{}` with the blanks before it, so `key: ~` becomes `key:`.
            let bytes = self.text.as_bytes();
            let mut start = node.content.start;
            while start > 0 && matches!(bytes[start - 1], b' ' | b'\t') {
                start -= 1;
            }
            splices.push(Splice {
                range: start..node.content.end,
                text: String::new(),
            });
        }
        splices.push(match slot {
            Slot::Root => self.append(&lines),
            _ => self.insert_after_line(node.content.end, &lines),
        });
        Ok(splices)
    }

    /// Replaces a null inside `{}` or `[]` by a flow mapping holding `rest`.
    fn fill_flow_null(
        &self,
        node: &Node,
        slot: Slot<'_>,
        rest: &[Segment],
    ) -> Result<Vec<Splice>, Error> {
        let mapping = self.flow_value(rest)?;
        if node.content.is_empty() {
            self.ensure_after_indicator(node, slot)?;
            return Ok(vec![insert(node.content.start, format!(" {mapping}"))]);
        }
        Ok(vec![Splice {
            range: node.content.clone(),
            text: mapping,
        }])
    }

    /// `key: value` for the keys `rest`, nested as flow mappings.
    fn flow_entry(&self, rest: &[Segment]) -> Result<String, Error> {
        let Some((first, nested)) = rest.split_first() else {
            return self.flow_scalar();
        };
        let key = self.created_key(first)?;
        Ok(format!(
            "{}: {}",
            emit::key(key, Context::Flow),
            self.flow_value(nested)?
        ))
    }

    fn flow_value(&self, rest: &[Segment]) -> Result<String, Error> {
        if rest.is_empty() {
            return self.flow_scalar();
        }
        Ok(format!("{{{}}}", self.flow_entry(rest)?))
    }

    /// The scalar written inside `{}` or `[]`, where a block cannot go.
    fn flow_scalar(&self) -> Result<String, Error> {
        match self.content {
            Content::Scalar(value) => Ok(emit::scalar(value, ScalarStyle::Plain, Context::Flow)),
            Content::Block(_) => Err(self.block_in_flow()),
        }
    }

    fn block_in_flow(&self) -> Error {
        Error::BlockInFlow {
            path: self.path.clone(),
        }
    }

    /// Lines `key:` for each of `rest`, nested by the document's step, the last holding the
    /// content; each line ends with the document's line ending.
    fn block_lines(&self, rest: &[Segment], indent: usize) -> Result<String, Error> {
        let mut lines = String::new();
        for (depth, segment) in rest.iter().enumerate() {
            let key = self.created_key(segment)?;
            lines.extend(std::iter::repeat_n(' ', indent + depth * self.step));
            lines.push_str(&emit::key(key, Context::Block));
            lines.push(':');
            if depth + 1 == rest.len() {
                match self.content {
                    Content::Scalar(value) => {
                        lines.push(' ');
                        lines.push_str(&emit::scalar(value, ScalarStyle::Plain, Context::Block));
                    }
                    Content::Block(block) => {
                        lines.push_str(self.eol);
                        lines.push_str(&self.indented(block, indent + rest.len() * self.step));
                        continue;
                    }
                }
            }
            lines.push_str(self.eol);
        }
        Ok(lines)
    }

    /// `block` with `width` spaces in front of each line that is not blank, and the document's
    /// line endings.
    fn indented(&self, block: &str, width: usize) -> String {
        let mut lines = String::with_capacity(block.len());
        for line in block.lines() {
            if !line.trim().is_empty() {
                lines.extend(std::iter::repeat_n(' ', width));
                lines.push_str(line);
            }
            lines.push_str(self.eol);
        }
        lines
    }

    /// Puts `block` in place of the value of a block mapping's key: where the value stands when
    /// it is a block collection on lines of its own, else on the lines after the key.
    fn replace_by_block(
        &self,
        node: &Node,
        slot: Slot<'_>,
        context: Context,
        block: &str,
    ) -> Result<Vec<Splice>, Error> {
        if context == Context::Flow {
            return Err(self.block_in_flow());
        }
        let Slot::MapValue { key } = slot else {
            return Err(Error::Unsupported {
                path: self.path.clone(),
                line: node.line,
                what: "a block in place of a sequence item or the whole document",
            });
        };
        if let Some(tag) = &node.tag {
            return Err(Error::Tagged {
                path: self.path.clone(),
                line: node.line,
                tag: tag.clone(),
            });
        }
        let key_column = column(self.text, key.span.start);
        let line_start = line_start(self.text, node.span.start);
        let own_lines = matches!(
            node.kind,
            Kind::Mapping { flow: false, .. } | Kind::Sequence { flow: false, .. }
        ) && node.span.start == node.content.start
            && self.text[line_start..node.span.start]
                .bytes()
                .all(|b| b == b' ');
        let value_column = column(self.text, node.span.start);
        if own_lines && value_column > key_column {
            let lines = self.indented(block, value_column);
            // The old value's first line keeps its own indentation.
            let lines = lines.trim_start_matches(' ');
            return Ok(vec![Splice {
                range: node.span.clone(),
                text: without_eol(lines, self.eol).to_owned(),
            }]);
        }
        let lines = self.indented(block, key_column + self.step);
        let lines = without_eol(&lines, self.eol);
        if line_start > key.span.start {
            // The value starts on a later line: what lies between stays, comments included.
            return Ok(vec![Splice {
                range: line_start..node.span.end,
                text: lines.to_owned(),
            }]);
        }
        // The blanks between the key's colon and the old value would otherwise trail the key.
        let start = self.text[..node.span.start]
            .trim_end_matches([' ', '\t'])
            .len();
        Ok(vec![Splice {
            range: start..node.span.end,
            text: format!("{}{lines}", self.eol),
        }])
    }

    fn created_key<'s>(&self, segment: &'s Segment) -> Result<&'s str, Error> {
        match segment {
            Segment::Key(key) => Ok(key),
            Segment::Index(index) => Err(Error::CannotCreateIndex {
                path: self.path.clone(),
                index: *index,
            }),
        }
    }

    /// Inserts `lines` at the start of the line after the one holding byte `at`.
    fn insert_after_line(&self, at: usize, lines: &str) -> Splice {
        match self.text[at..].find('\n') {
            Some(offset) => insert(at + offset + 1, lines.to_owned()),
            None => self.append(lines),
        }
    }

    /// Appends `lines` to the text. A missing final line break stays missing after a scalar,
    /// whose line the author left open; a block is whole lines.
    fn append(&self, lines: &str) -> Splice {
        let end = self.text.len();
        if self.text.is_empty() || self.text.ends_with('\n') {
            return insert(end, lines.to_owned());
        }
        let lines = match self.content {
            Content::Scalar(_) => without_eol(lines, self.eol),
            Content::Block(_) => lines,
        };
        insert(end, format!("{}{lines}", self.eol))
    }
}

fn without_eol<'l>(lines: &'l str, eol: &str) -> &'l str {
    lines.strip_suffix(eol).unwrap_or(lines)
}

fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |newline| newline + 1)
}

fn insert(at: usize, text: String) -> Splice {
    Splice {
        range: at..at,
        text,
    }
}

fn line_ending(text: &str) -> &'static str {
    match text.find('\n') {
        Some(at) if text[..at].ends_with('\r') => "\r\n",
        _ => "\n",
    }
}

/// Column of byte `at` in characters. A byte-order mark at the start of the text is no column:
/// counting it would indent keys on the first line by one space, making them children.
fn column(text: &str, at: usize) -> usize {
    text[line_start(text, at)..at]
        .trim_start_matches('\u{feff}')
        .chars()
        .count()
}

fn leading_spaces(text: &str, at: usize) -> usize {
    text[line_start(text, at)..]
        .bytes()
        .take_while(|b| *b == b' ')
        .count()
}

/// How much the first block mapping nested in another block mapping is indented from it.
fn indent_step(text: &str, node: &Node) -> Option<usize> {
    match &node.kind {
        Kind::Mapping { entries, .. } => entries.iter().find_map(|(key, value)| {
            let nested_key = match &value.kind {
                Kind::Mapping {
                    entries: nested,
                    flow: false,
                } => nested.first().map(|(nested_key, _)| nested_key),
                _ => None,
            };
            nested_key
                .and_then(|nested_key| {
                    column(text, nested_key.span.start).checked_sub(column(text, key.span.start))
                })
                .filter(|step| *step > 0)
                .or_else(|| indent_step(text, value))
        }),
        Kind::Sequence { items, .. } => items.iter().find_map(|item| indent_step(text, item)),
        Kind::Scalar { .. } | Kind::Alias => None,
    }
}
