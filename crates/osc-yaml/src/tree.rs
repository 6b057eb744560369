//! The parsed node tree with byte spans into the source text.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::ops::Range;

use saphyr_parser::{Event, Parser, ScalarStyle as ParserStyle, Tag};

use crate::{Error, ScalarStyle};

#[derive(Debug)]
pub(crate) struct Tree {
    /// `None` when the text holds no document at all (empty, or only comments).
    pub(crate) root: Option<Node>,
    /// Anchor ids that some alias refers to.
    pub(crate) aliased_anchors: HashSet<usize>,
}

#[derive(Debug)]
pub(crate) struct Node {
    pub(crate) kind: Kind,
    /// Bytes of the whole node, its properties (anchor, tag) and a block scalar's header included.
    pub(crate) span: Range<usize>,
    /// Bytes of the node without its properties. For an empty plain scalar this is where a value
    /// would be written: right after the properties, or after the `:` of its key.
    pub(crate) content: Range<usize>,
    /// 1-based line of the node's start.
    pub(crate) line: usize,
    pub(crate) anchor: Option<usize>,
    pub(crate) tag: Option<String>,
}

#[derive(Debug)]
pub(crate) enum Kind {
    Scalar {
        value: String,
        style: ScalarStyle,
        block: Option<BlockScalar>,
    },
    Mapping {
        entries: Vec<(Node, Node)>,
        flow: bool,
    },
    Sequence {
        items: Vec<Node>,
        flow: bool,
    },
    Alias,
}

/// Where the parts of a `|` or `>` scalar are; the parser's own span for them is unreliable (it
/// skips the header and runs into the next line's indentation).
#[derive(Debug)]
pub(crate) struct BlockScalar {
    /// The header's indicators, such as `|-` or `>2`.
    pub(crate) indicator: Range<usize>,
    /// From the line break ending the header line to the end of the last non-blank content line;
    /// empty when the scalar has no content.
    pub(crate) body: Range<usize>,
    /// Indentation of the least indented non-blank content line.
    pub(crate) indent: Option<usize>,
}

impl Node {
    pub(crate) fn describe(&self) -> &'static str {
        match &self.kind {
            Kind::Scalar { .. } if self.is_null() => "null",
            Kind::Scalar { .. } => "scalar",
            Kind::Mapping { .. } => "mapping",
            Kind::Sequence { .. } => "sequence",
            Kind::Alias => "alias",
        }
    }

    /// A plain, untagged scalar that reads as null: `~`, `null` or nothing at all.
    pub(crate) fn is_null(&self) -> bool {
        matches!(
            &self.kind,
            Kind::Scalar { value, style: ScalarStyle::Plain, .. }
                if self.tag.is_none() && matches!(value.as_str(), "" | "~" | "null" | "Null" | "NULL")
        )
    }

    pub(crate) fn scalar_value(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }
}

/// Takes the value of each block scalar (`|`, `>`) from the document's meaning: saphyr keeps one
/// line break too many when the text ends in a line of blanks without a final line break, where
/// libyaml (and the YAML spec's chomping) keeps one (found by fuzzing).
pub(crate) fn agree_on_block_scalars(node: &mut Node, meaning: &serde_norway::Value) {
    match (&mut node.kind, meaning) {
        (
            Kind::Scalar {
                value,
                style: ScalarStyle::Literal | ScalarStyle::Folded,
                ..
            },
            serde_norway::Value::String(read),
        ) if value != read => *value = read.clone(),
        (Kind::Mapping { entries, .. }, serde_norway::Value::Mapping(map)) => {
            for (key, value) in entries {
                let Some(key) = key.scalar_value() else {
                    continue;
                };
                if let Some(meant) = map.get(serde_norway::Value::String(key.to_owned())) {
                    agree_on_block_scalars(value, meant);
                }
            }
        }
        (Kind::Sequence { items, .. }, serde_norway::Value::Sequence(meant)) => {
            for (item, meant) in items.iter_mut().zip(meant) {
                agree_on_block_scalars(item, meant);
            }
        }
        _ => {}
    }
}

/// The entry whose key is a scalar reading `key`, however it is quoted.
pub(crate) fn find_entry<'n>(entries: &'n [(Node, Node)], key: &str) -> Option<&'n (Node, Node)> {
    entries
        .iter()
        .find(|(candidate, _)| candidate.scalar_value() == Some(key))
}

pub(crate) fn parse(text: &str) -> Result<Tree, Error> {
    // saphyr refuses a closing bracket that is not indented deeper than the key holding the
    // flow collection, as in Bitnami's `args: [` ... `]`; libyaml and Helm accept it. Spaces in
    // front of such a bracket change nothing, so the tree is built from a text with spaces put
    // there and its offsets are mapped back.
    const MAX_SHIFTS: usize = 256;
    let mut shifted = Cow::Borrowed(text);
    let mut shifts = Shifts::default();
    loop {
        match build(&shifted) {
            Ok(mut tree) => {
                if let Some(root) = &mut tree.root {
                    shifts.map_back(root);
                }
                return Ok(tree);
            }
            Err(Failure::Scan { at, error })
                if matches!(&error, Error::Syntax { message, .. } if message == "invalid indentation")
                    && shifts.total < MAX_SHIFTS
                    && starts_line_with_closing_bracket(&shifted, at) =>
            {
                shifts.add(at);
                shifted.to_mut().insert(at, ' ');
            }
            Err(Failure::Scan { error, .. }) => return Err(error),
            Err(Failure::Tree(error)) => return Err(error),
        }
    }
}

enum Failure {
    /// The parser's error, with its byte offset.
    Scan {
        at: usize,
        error: Error,
    },
    Tree(Error),
}

fn build(text: &str) -> Result<Tree, Failure> {
    let positions = Positions::new(text);
    let mut builder = Builder {
        text,
        positions: &positions,
        stack: Vec::new(),
        root: None,
        aliased_anchors: HashSet::new(),
        gap_start: 0,
        documents: 0,
    };
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|error| Failure::Scan {
            at: positions.byte(error.marker().index()),
            error: Error::Syntax {
                line: error.marker().line(),
                column: error.marker().col() + 1,
                message: error.info().to_owned(),
            },
        })?;
        let range = positions.byte(span.start.index())..positions.byte(span.end.index());
        builder.event(event, range.clone()).map_err(Failure::Tree)?;
        if !range.is_empty() {
            builder.gap_start = builder.gap_start.max(range.end);
        }
    }
    Ok(Tree {
        root: builder.root,
        aliased_anchors: builder.aliased_anchors,
    })
}

fn starts_line_with_closing_bracket(text: &str, at: usize) -> bool {
    let line_start = text[..at].rfind('\n').map_or(0, |newline| newline + 1);
    matches!(text.as_bytes().get(at), Some(b']' | b'}'))
        && text[line_start..at].bytes().all(|b| b == b' ')
}

/// Spaces put into the text before parsing, to map offsets back to the original text.
#[derive(Default)]
struct Shifts {
    /// Offset in the original text where spaces go, and how many; sorted by offset.
    inserted: Vec<(usize, usize)>,
    total: usize,
}

impl Shifts {
    /// Records one more space at `at` in the shifted text.
    fn add(&mut self, at: usize) {
        let original = self.original(at);
        match self
            .inserted
            .binary_search_by_key(&original, |(offset, _)| *offset)
        {
            Ok(found) => self.inserted[found].1 += 1,
            Err(position) => self.inserted.insert(position, (original, 1)),
        }
        self.total += 1;
    }

    fn original(&self, shifted: usize) -> usize {
        let mut before = 0;
        for &(offset, count) in &self.inserted {
            let start = offset + before;
            if shifted < start {
                break;
            }
            if shifted < start + count {
                return offset;
            }
            before += count;
        }
        shifted - before
    }

    fn map_back(&self, node: &mut Node) {
        if self.inserted.is_empty() {
            return;
        }
        let map = |range: &mut Range<usize>| {
            *range = self.original(range.start)..self.original(range.end)
        };
        map(&mut node.span);
        map(&mut node.content);
        match &mut node.kind {
            Kind::Scalar {
                block: Some(block), ..
            } => {
                map(&mut block.indicator);
                map(&mut block.body);
            }
            Kind::Mapping { entries, .. } => {
                for (key, value) in entries {
                    self.map_back(key);
                    self.map_back(value);
                }
            }
            Kind::Sequence { items, .. } => {
                for item in items {
                    self.map_back(item);
                }
            }
            Kind::Scalar { block: None, .. } | Kind::Alias => {}
        }
    }
}

struct Builder<'t> {
    text: &'t str,
    positions: &'t Positions,
    stack: Vec<Frame>,
    root: Option<Node>,
    aliased_anchors: HashSet<usize>,
    /// End of the last event that covered any text: the tokens of the next node (indicators,
    /// properties, a block scalar's header) lie after it.
    gap_start: usize,
    documents: usize,
}

struct Frame {
    start: usize,
    content_start: usize,
    anchor: Option<usize>,
    tag: Option<String>,
    flow: bool,
    collection: Collection,
}

enum Collection {
    Mapping {
        entries: Vec<(Node, Node)>,
        key: Option<Box<Node>>,
        /// Line of each scalar key seen, by value and whether it was quoted.
        seen_keys: HashMap<(String, bool), usize>,
    },
    Sequence {
        items: Vec<Node>,
    },
}

impl Builder<'_> {
    fn event(&mut self, event: Event<'_>, range: Range<usize>) -> Result<(), Error> {
        match event {
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(Error::MultipleDocuments {
                        line: self.positions.line(range.start),
                    });
                }
                Ok(())
            }
            Event::Alias(anchor) => {
                self.aliased_anchors.insert(anchor);
                self.attach(Node {
                    kind: Kind::Alias,
                    line: self.positions.line(range.start),
                    content: range.clone(),
                    span: range,
                    anchor: None,
                    tag: None,
                })
            }
            Event::Scalar(value, style, anchor, tag) => {
                let node = self.scalar(value.into_owned(), style, anchor, tag.as_deref(), range)?;
                self.attach(node)
            }
            Event::MappingStart(anchor, tag) => {
                self.start_collection(true, anchor, tag.as_deref(), range);
                Ok(())
            }
            Event::SequenceStart(anchor, tag) => {
                self.start_collection(false, anchor, tag.as_deref(), range);
                Ok(())
            }
            Event::MappingEnd | Event::SequenceEnd => match self.stack.pop() {
                Some(frame) => {
                    let node = self.collection(frame, range);
                    self.attach(node)
                }
                None => Ok(()),
            },
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => Ok(()),
        }
    }

    fn start_collection(
        &mut self,
        mapping: bool,
        anchor: usize,
        tag: Option<&Tag>,
        range: Range<usize>,
    ) {
        let open = if mapping { b'{' } else { b'[' };
        // The span may run on past the bracket into blanks.
        let bracket = skip_properties(self.text, range.start);
        let flow = bracket < range.end && self.text.as_bytes()[bracket] == open;
        let mut start = range.start;
        if !mapping && !flow && range.is_empty() {
            // The parser may place a block sequence after its first `- `.
            if let Some(dash) = find_token(self.text, self.gap_start, |b| b == b'-') {
                start = start.min(dash);
            }
        }
        self.stack.push(Frame {
            start,
            content_start: if flow {
                bracket
            } else if range.is_empty() {
                start
            } else {
                range.end
            },
            anchor: anchor_id(anchor),
            tag: tag.map(tag_name),
            flow,
            collection: if mapping {
                Collection::Mapping {
                    entries: Vec::new(),
                    key: None,
                    seen_keys: HashMap::new(),
                }
            } else {
                Collection::Sequence { items: Vec::new() }
            },
        });
    }

    fn scalar(
        &self,
        value: String,
        style: ParserStyle,
        anchor: usize,
        tag: Option<&Tag>,
        range: Range<usize>,
    ) -> Result<Node, Error> {
        let style = match style {
            ParserStyle::Plain => ScalarStyle::Plain,
            ParserStyle::SingleQuoted => ScalarStyle::SingleQuoted,
            ParserStyle::DoubleQuoted => ScalarStyle::DoubleQuoted,
            ParserStyle::Literal => ScalarStyle::Literal,
            ParserStyle::Folded => ScalarStyle::Folded,
        };
        let text = self.text;
        let (span, content, block) = match style {
            ScalarStyle::Literal | ScalarStyle::Folded => {
                let block = self.block_scalar(range.end).ok_or_else(|| Error::Syntax {
                    line: self.positions.line(range.start),
                    column: 1,
                    message: "cannot find the header of this block scalar".to_owned(),
                })?;
                let end = if block.body.is_empty() {
                    block.indicator.end
                } else {
                    block.body.end
                };
                let start = range.start.min(block.indicator.start);
                (start..end, block.indicator.start..end, Some(block))
            }
            ScalarStyle::Plain if value.is_empty() => {
                // An empty scalar's span may cover a neighbouring token (such as `}`); only its
                // properties belong to it.
                let has_properties = matches!(text.as_bytes().get(range.start), Some(b'&' | b'!'));
                let after_properties = if has_properties {
                    range.end
                } else {
                    range.start
                };
                (
                    range.start..after_properties,
                    after_properties..after_properties,
                    None,
                )
            }
            ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
                // The parser's span can run past the closing quote (over spaces and a trailing
                // comment); the scalar ends at its closing quote.
                let content_start = skip_properties(text, range.start).min(range.end);
                let end = closing_quote_end(text, content_start, style).unwrap_or(range.end);
                (range.start..end, content_start..end, None)
            }
            _ => {
                let content_start = skip_properties(text, range.start).min(range.end);
                (range.clone(), content_start..range.end, None)
            }
        };
        Ok(Node {
            kind: Kind::Scalar {
                value,
                style,
                block,
            },
            line: self.positions.line(content.start),
            span,
            content,
            anchor: anchor_id(anchor),
            tag: tag.map(tag_name),
        })
    }

    fn block_scalar(&self, parser_end: usize) -> Option<BlockScalar> {
        let bytes = self.text.as_bytes();
        let header = find_token(self.text, self.gap_start, |b| b == b'|' || b == b'>')?;
        let indicator_end = header
            + 1
            + bytes[header + 1..]
                .iter()
                .take_while(|b| b.is_ascii_digit() || **b == b'+' || **b == b'-')
                .count();
        let newline = bytes[indicator_end..]
            .iter()
            .position(|b| *b == b'\n')
            .map(|at| indicator_end + at);
        let Some(newline) = newline else {
            return Some(BlockScalar {
                indicator: header..indicator_end,
                body: bytes.len()..bytes.len(),
                indent: None,
            });
        };
        let body_start = if bytes[newline - 1] == b'\r' {
            newline - 1
        } else {
            newline
        };
        let bound = parser_end.max(newline + 1);
        let mut body_end = body_start;
        let mut indent: Option<usize> = None;
        let mut line_start = newline + 1;
        while line_start < bound {
            let line_break = bytes[line_start..]
                .iter()
                .position(|b| *b == b'\n')
                .map_or(bytes.len(), |at| line_start + at);
            let mut line_end = line_break.min(bound);
            if line_end == line_break && line_end > line_start && bytes[line_end - 1] == b'\r' {
                line_end -= 1;
            }
            let line = &bytes[line_start..line_end];
            if line.iter().any(|b| !matches!(b, b' ' | b'\t')) {
                body_end = line_end;
                let leading = line.iter().take_while(|b| **b == b' ').count();
                indent = Some(indent.map_or(leading, |known| known.min(leading)));
            }
            line_start = line_break + 1;
        }
        Some(BlockScalar {
            indicator: header..indicator_end,
            body: body_start..body_end,
            indent,
        })
    }

    fn collection(&self, frame: Frame, end_range: Range<usize>) -> Node {
        let (kind, last_end) = match frame.collection {
            Collection::Mapping { entries, .. } => {
                let last_end = entries.last().map(|(_, value)| value.span.end);
                (
                    Kind::Mapping {
                        entries,
                        flow: frame.flow,
                    },
                    last_end,
                )
            }
            Collection::Sequence { items } => {
                let last_end = items.last().map(|item| item.span.end);
                (
                    Kind::Sequence {
                        items,
                        flow: frame.flow,
                    },
                    last_end,
                )
            }
        };
        let end = if frame.flow {
            // The span of the closing bracket may run on over a comment.
            end_range.start + 1
        } else {
            last_end.unwrap_or(frame.content_start)
        };
        Node {
            kind,
            line: self.positions.line(frame.content_start),
            span: frame.start..end.max(frame.start),
            content: frame.content_start..end.max(frame.content_start),
            anchor: frame.anchor,
            tag: frame.tag,
        }
    }

    fn attach(&mut self, mut node: Node) -> Result<(), Error> {
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(node);
            return Ok(());
        };
        match &mut frame.collection {
            Collection::Mapping {
                entries,
                key,
                seen_keys,
            } => match key.take() {
                None => {
                    // serde_norway finds repeated keys too, but cannot say where they are.
                    if let Kind::Scalar { value, style, .. } = &node.kind {
                        let quoted = *style != ScalarStyle::Plain;
                        if let Some(first_line) =
                            seen_keys.insert((value.clone(), quoted), node.line)
                        {
                            return Err(Error::DuplicateKey {
                                key: value.clone(),
                                line: node.line,
                                first_line,
                            });
                        }
                    }
                    *key = Some(Box::new(node));
                }
                Some(key) => {
                    if node.span.is_empty() && node.is_null() {
                        // Nothing written after `key:`: point at the place right after the
                        // colon, where a value goes.
                        if let Some(colon) = find_token(self.text, key.span.end, |b| b == b':') {
                            node.span = colon + 1..colon + 1;
                            node.content = node.span.clone();
                            node.line = self.positions.line(colon);
                        }
                    }
                    entries.push((*key, node));
                }
            },
            Collection::Sequence { items } => items.push(node),
        }
        Ok(())
    }
}

fn anchor_id(id: usize) -> Option<usize> {
    // The parser numbers anchors from 1 and uses 0 for "no anchor".
    (id != 0).then_some(id)
}

fn tag_name(tag: &Tag) -> String {
    if tag.is_yaml_core_schema() {
        format!("!!{}", tag.suffix)
    } else {
        format!("{}{}", tag.handle, tag.suffix)
    }
}

/// Skips whitespace, line breaks and comments.
pub(crate) fn skip_trivia(text: &str, mut at: usize) -> usize {
    let bytes = text.as_bytes();
    while let Some(&byte) = bytes.get(at) {
        match byte {
            b' ' | b'\t' | b'\r' | b'\n' => at += 1,
            b'#' => {
                at += bytes[at..]
                    .iter()
                    .position(|b| *b == b'\n')
                    .unwrap_or(bytes.len() - at);
            }
            _ => break,
        }
    }
    at
}

/// Skips an anchor and a tag in front of a node, with the trivia after them.
fn skip_properties(text: &str, mut at: usize) -> usize {
    let bytes = text.as_bytes();
    while matches!(bytes.get(at), Some(b'&' | b'!')) {
        at = skip_token(bytes, at);
        at = skip_trivia(text, at);
    }
    at
}

fn skip_token(bytes: &[u8], at: usize) -> usize {
    at + bytes[at..]
        .iter()
        .position(|b| b.is_ascii_whitespace())
        .unwrap_or(bytes.len() - at)
}

/// Finds the first byte matching `wanted` after `from`, passing over only what may lie between
/// two tokens: trivia, the indicators `:`, `-`, `?`, `,` and node properties.
fn find_token(text: &str, from: usize, wanted: impl Fn(u8) -> bool) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut at = from;
    loop {
        at = skip_trivia(text, at);
        let byte = *bytes.get(at)?;
        if wanted(byte) {
            return Some(at);
        }
        match byte {
            b':' | b'-' | b'?' | b',' => at += 1,
            b'&' | b'!' => at = skip_token(bytes, at),
            _ => return None,
        }
    }
}

/// Converts the parser's character offsets to byte offsets and byte offsets to lines.
struct Positions {
    /// Character index of each multi-byte character, with the extra bytes of all multi-byte
    /// characters up to and including it.
    wide: Vec<(usize, usize)>,
    line_starts: Vec<usize>,
}

impl Positions {
    fn new(text: &str) -> Positions {
        let mut wide = Vec::new();
        let mut extra = 0;
        for (index, ch) in text.chars().enumerate() {
            if ch.len_utf8() > 1 {
                extra += ch.len_utf8() - 1;
                wide.push((index, extra));
            }
        }
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(at, _)| at + 1))
            .collect();
        Positions { wide, line_starts }
    }

    fn byte(&self, char_index: usize) -> usize {
        let before = self.wide.partition_point(|(index, _)| *index < char_index);
        let extra = before.checked_sub(1).map_or(0, |last| self.wide[last].1);
        char_index + extra
    }

    fn line(&self, byte: usize) -> usize {
        self.line_starts.partition_point(|start| *start <= byte)
    }
}

/// The byte after the closing quote of the quoted scalar that opens at `start`.
fn closing_quote_end(text: &str, start: usize, style: ScalarStyle) -> Option<usize> {
    let bytes = text.as_bytes();
    let quote = match style {
        ScalarStyle::SingleQuoted => b'\'',
        _ => b'"',
    };
    if bytes.get(start) != Some(&quote) {
        return None;
    }
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote == b'"' => i += 2,
            b'\'' if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 2,
            byte if byte == quote => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_char_offsets_to_bytes() {
        let positions = Positions::new("a: 中文\nb: é\n");
        let cases = [(0, 0), (3, 3), (4, 6), (5, 9), (6, 10), (9, 13), (10, 15)];
        for (char_index, byte) in cases {
            assert_eq!(positions.byte(char_index), byte, "char {char_index}");
        }
        assert_eq!(positions.line(0), 1);
        assert_eq!(positions.line(9), 1);
        assert_eq!(positions.line(10), 2);
    }

    #[test]
    fn block_scalar_parts() {
        let text = "a: |-  # c\n\n  one\n   two  \n\nb: >\nc: 1\n";
        let tree = parse(text).unwrap();
        let Some(Node {
            kind: Kind::Mapping { entries, .. },
            ..
        }) = &tree.root
        else {
            panic!("root is not a mapping");
        };
        let parts: Vec<_> = entries
            .iter()
            .filter_map(|(_, value)| match &value.kind {
                Kind::Scalar {
                    block: Some(block), ..
                } => Some((
                    &text[block.indicator.clone()],
                    &text[block.body.clone()],
                    block.indent,
                    &text[value.span.clone()],
                )),
                _ => None,
            })
            .collect();
        assert_eq!(
            parts,
            [
                (
                    "|-",
                    "\n\n  one\n   two  ",
                    Some(2),
                    "|-  # c\n\n  one\n   two  "
                ),
                (">", "", None, ">"),
            ]
        );
    }
}
