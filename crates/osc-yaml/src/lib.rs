//! Edits YAML text at key paths, changing only the bytes the edit needs, so the comments, key
//! order, quoting, anchors, indentation and line endings of everything else stay as written.
//!
//! This crate is where helm-osc reads and writes YAML as text, so that every file follows one
//! set of rules: [`Document`] finds nodes with their spans and styles and edits them
//! ([`Document::set`] for scalars, [`Document::set_block`] for whole blocks,
//! [`Document::edit_all`] for many edits at once),
//! [`split_documents`] splits multi-document streams, [`quote`] writes a string as a scalar,
//! and [`handlebars`] lets templates write values the same way.
//!
//! ```
//! use osc_yaml::{Document, Path};
//!
//! let mut chart = Document::parse("name: nginx # 名称\nversion: 1.0.0\n")?;
//! chart.set(&Path::parse("annotations.source")?, "ISV")?;
//! assert_eq!(
//!     chart.text(),
//!     "name: nginx # 名称\nversion: 1.0.0\nannotations:\n  source: ISV\n"
//! );
//! # Ok::<(), osc_yaml::Error>(())
//! ```

mod edit;
mod emit;
mod error;
pub mod handlebars;
mod path;
mod split;
mod tree;
mod verify;

use std::collections::HashMap;
use std::ops::Range;

pub use crate::emit::{double_quote, quote};
pub use crate::error::Error;
pub use crate::path::{Path, Segment};
pub use crate::split::{DocumentSpan, split_documents};

use crate::edit::Content;
use crate::tree::{Kind, Node, Tree};

/// A single-document YAML text with the spans of its nodes, edited in place by [`Document::set`].
#[derive(Debug)]
pub struct Document {
    text: String,
    tree: Tree,
    /// What the text means, to check every edit against.
    meaning: serde_norway::Value,
}

/// One change [`Document::edit_all`] makes: what [`Document::set`] or [`Document::set_block`]
/// would make.
#[derive(Clone, Debug)]
pub enum Edit {
    Set(Path, Value),
    Block(Path, String),
}

/// A scalar value [`Document::set`] can write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Str(String),
    Bool(bool),
    Int(i64),
    Null,
}

/// How a scalar is written in the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum ScalarStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    /// `|`
    Literal,
    /// `>`
    Folded,
}

/// A node of a [`Document`], found by [`Document::get`].
#[derive(Clone, Copy, Debug)]
pub struct NodeRef<'d> {
    node: &'d Node,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind<'d> {
    /// A scalar; a null reads as `~`, `null` or the empty string.
    Scalar {
        value: &'d str,
        style: ScalarStyle,
    },
    Mapping,
    Sequence,
    /// An alias (`*name`), which is not followed.
    Alias,
}

impl Document {
    /// Parses a single YAML document; a leading `---` and a final `...` are fine.
    pub fn parse(text: &str) -> Result<Document, Error> {
        refuse_disputed_line_breaks(text)?;
        let mut tree = tree::parse(text)?;
        // The check reports what the node tree lets through, such as duplicate keys.
        // libyaml reads a document after a byte-order mark as a second document once it has a
        // second key; the mark is no content, so the meaning is read without it.
        let meaning = serde_norway::from_str(text.strip_prefix('\u{feff}').unwrap_or(text))
            .map_err(|error| Error::Invalid {
                message: error.to_string(),
            })?;
        if let Some(root) = &mut tree.root {
            tree::agree_on_block_scalars(root, &meaning);
        }
        Ok(Document {
            text: text.to_owned(),
            tree,
            meaning,
        })
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The node at `path`; aliases on the way are not followed.
    pub fn get(&self, path: &Path) -> Option<NodeRef<'_>> {
        let mut node = self.tree.root.as_ref()?;
        for segment in path.segments() {
            node = match (segment, &node.kind) {
                (Segment::Key(key), Kind::Mapping { entries, .. }) => {
                    &tree::find_entry(entries, key)?.1
                }
                (Segment::Index(index), Kind::Sequence { items, .. }) => items.get(*index)?,
                _ => return None,
            };
        }
        Some(NodeRef { node })
    }

    /// Sets the scalar at `path` to `value`, creating missing mapping keys on the way.
    ///
    /// An existing scalar keeps its quoting style when that style can hold the new value, and
    /// its trailing comment; a missing key goes after the last entry of its mapping. The edited
    /// text is parsed again and must mean the old document with only this value changed; if it
    /// does not, the document is left as it was and an error returned.
    pub fn set(&mut self, path: &Path, value: impl Into<Value>) -> Result<(), Error> {
        let value = value.into();
        self.edit(path, Content::Scalar(&value), value.to_serde())
    }

    /// Writes `block`, YAML text such as a block mapping, as the whole value of the mapping key
    /// at `path`, creating missing mapping keys on the way; `block` is unindented and its lines
    /// end in line breaks.
    ///
    /// An existing block collection on lines of its own is replaced where it stands, at its
    /// indentation; any other value (a scalar, a null, a flow collection) is replaced by the
    /// block on the lines after its key, indented one step (the document's) deeper than the key.
    /// A missing key goes after the last entry of its mapping, and the lines added end in line
    /// breaks even at the end of a text that had none. Every other byte stays, and the edit is
    /// checked as [`Document::set`]'s are.
    ///
    /// ```
    /// use osc_yaml::{Document, Path};
    ///
    /// let mut csd = Document::parse("spec:\n  role: serviceEntity # 角色\n")?;
    /// let block = "mode: tag\ntags:\n  - \"1.0\"\n";
    /// csd.set_block(&Path::parse("spec.versionDefinition")?, block)?;
    /// assert_eq!(
    ///     csd.text(),
    ///     "spec:\n  role: serviceEntity # 角色\n  versionDefinition:\n    mode: tag\n    tags:\n      - \"1.0\"\n"
    /// );
    /// # Ok::<(), osc_yaml::Error>(())
    /// ```
    pub fn set_block(&mut self, path: &Path, block: &str) -> Result<(), Error> {
        let invalid = |reason: String| Error::InvalidBlock {
            path: path.clone(),
            reason,
        };
        if block.trim().is_empty() {
            return Err(invalid("it is empty".to_owned()));
        }
        let wanted = serde_norway::from_str(block)
            .map_err(|error| invalid(format!("it does not parse: {error}")))?;
        self.edit(path, Content::Block(block), wanted)
    }

    /// Appends a mapping of `entries` as the last item of the sequence at `path`; a missing key,
    /// a null or an empty `[]` there becomes a block sequence holding just that item, created as
    /// [`Document::set_block`] creates blocks.
    ///
    /// A block sequence's new item takes the indentation of its first item (dash and content),
    /// on the lines after the last item; a flow sequence's is written in flow style after its
    /// last item. Every other byte stays, and the edit is checked as [`Document::set`]'s are.
    ///
    /// ```
    /// use osc_yaml::{Document, Path, Value};
    ///
    /// let mut chart = Document::parse("maintainers:\n- name: Ann # lead\n")?;
    /// let entries = [("name", Value::from("Bo")), ("email", Value::from("bo@example.com"))];
    /// chart.push(&Path::parse("maintainers")?, &entries)?;
    /// assert_eq!(
    ///     chart.text(),
    ///     "maintainers:\n- name: Ann # lead\n- name: Bo\n  email: bo@example.com\n"
    /// );
    /// # Ok::<(), osc_yaml::Error>(())
    /// ```
    pub fn push(&mut self, path: &Path, entries: &[(&str, Value)]) -> Result<(), Error> {
        let item = serde_norway::Value::Mapping(
            entries
                .iter()
                .map(|(key, value)| (serde_norway::Value::from(*key), value.to_serde()))
                .collect(),
        );
        let mut items = match verify::lookup(&self.meaning, path.segments()) {
            None | Some(serde_norway::Value::Null) => Vec::new(),
            Some(serde_norway::Value::Sequence(items)) => items.clone(),
            Some(_) => {
                return Err(Error::NotASequence {
                    path: path.clone(),
                    index: 0,
                    line: self.get(path).map_or(0, |node| node.line()),
                    found: self.get(path).map_or("value", |node| node.node.describe()),
                });
            }
        };
        items.push(item);
        let wanted = serde_norway::Value::Sequence(items);
        let splices = match self.get(path).map(|node| node.node) {
            Some(node) if matches!(&node.kind, Kind::Sequence { items, .. } if !items.is_empty()) => {
                edit::plan_push(&self.text, &self.tree, path, node, entries)?
            }
            _ => {
                let block = edit::block_item(entries);
                edit::plan(&self.text, &self.tree, path, Content::Block(&block))?
            }
        };
        self.apply_checked(path, splices, wanted)
    }

    /// Makes the edits one after another, as [`Document::set`] and [`Document::set_block`]
    /// would, with the same result and the same checks; on an error, the index of the edit that
    /// failed.
    ///
    /// Edits whose changes lie apart in the text are planned together and the result is read
    /// back once for all of them, so a values file with many fixes is parsed a few times, not
    /// twice a fix. An edit that meets one before it in the text (a second new key in the
    /// same new mapping) waits for the next round, and so does every later edit that meets it,
    /// so edits that meet keep their order.
    pub fn edit_all(&mut self, edits: &[Edit]) -> Result<(), (usize, Error)> {
        if let Some(edited) = self.edited_in_rounds(edits) {
            *self = edited;
            return Ok(());
        }
        // Edit by edit from the start, so the error and the line it names are those the edits
        // one after another meet.
        for (index, edit) in edits.iter().enumerate() {
            match edit {
                Edit::Set(path, value) => self.set(path, value.clone()),
                Edit::Block(path, block) => self.set_block(path, block),
            }
            .map_err(|error| (index, error))?;
        }
        Ok(())
    }

    /// The document with every edit made in rounds; `None` when one fails.
    fn edited_in_rounds(&self, edits: &[Edit]) -> Option<Document> {
        let mut pending: Vec<usize> = (0..edits.len()).collect();
        let mut current: Option<Document> = None;
        while !pending.is_empty() {
            let base = current.as_ref().unwrap_or(self);
            let (edited, deferred) = base.edit_round(edits, &pending)?;
            current = Some(edited);
            pending = deferred;
        }
        current
    }

    /// The document with every pending edit made that meets no edit before it, and the edits
    /// left for the next round; `None` when a plan fails or the result does not read as the
    /// original with each value written in turn.
    fn edit_round(&self, edits: &[Edit], pending: &[usize]) -> Option<(Document, Vec<usize>)> {
        /// New keys inserted at one place, in one mapping.
        struct Added {
            parent: Vec<Segment>,
            keys: Vec<Segment>,
            /// Where in `splices` the insertion is.
            splice: usize,
        }
        let mut splices: Vec<edit::Splice> = Vec::new();
        let mut inserts: HashMap<usize, Added> = HashMap::new();
        let (mut taken, mut waiting): (Vec<Range<usize>>, Vec<Range<usize>>) = Default::default();
        let (mut taken_paths, mut waiting_paths): (Vec<&[Segment]>, Vec<&[Segment]>) =
            Default::default();
        let mut deferred = Vec::new();
        let mut expected = self.meaning.clone();
        for &index in pending {
            let (path, content, wanted) = match &edits[index] {
                Edit::Set(path, value) => (path, Content::Scalar(value), value.to_serde()),
                // An empty block is set_block's to refuse, with its own error.
                Edit::Block(_, block) if block.trim().is_empty() => return None,
                Edit::Block(path, block) => (
                    path,
                    Content::Block(block),
                    serde_norway::from_str(block).ok()?,
                ),
            };
            let planned = edit::plan(&self.text, &self.tree, path, content).ok()?;
            let ranges: Vec<Range<usize>> = planned.iter().map(edit::Splice::range).collect();
            let segments = path.segments();
            // An edit meets another when their paths lie one within the other (an edit that
            // finds its value written already has no splice, yet must keep its turn), or when
            // their splices overlap or touch: two insertions at one place would land in an
            // order no plan fixed, and an insertion right after a replaced block scalar can
            // change what the scalar keeps of its line breaks.
            let meets = |ranges_of: &[Range<usize>], paths: &[&[Segment]]| {
                paths
                    .iter()
                    .any(|other| other.starts_with(segments) || segments.starts_with(other))
                    || ranges.iter().any(|range| {
                        ranges_of
                            .iter()
                            .any(|other| range.start <= other.end && other.start <= range.end)
                    })
            };
            let insertion = match (&planned[..], self.first_missing(path)) {
                ([splice], Some(missing)) if splice.range().is_empty() => {
                    Some((splice, splice.range().start, missing))
                }
                _ => None,
            };
            if meets(&waiting, &waiting_paths) {
                waiting.extend(ranges);
                waiting_paths.push(segments);
                deferred.push(index);
                continue;
            }
            // A new key added where a new key of the same mapping was added before it goes
            // right after that one, as it would once that one is written: siblings added at
            // the end of one mapping take one round, not one each.
            if let Some((splice, at, (parent, key))) = &insertion
                && let Some(added) = inserts.get_mut(at)
                && added.parent == *parent
                && !added.keys.contains(key)
                && !meets(
                    &taken
                        .iter()
                        .filter(|other| other.start != *at)
                        .cloned()
                        .collect::<Vec<_>>(),
                    &taken_paths,
                )
            {
                splices[added.splice].append(splice);
                added.keys.push(key.clone());
                taken_paths.push(segments);
                *verify::slot_mut(&mut expected, segments)? = wanted;
                continue;
            }
            if meets(&taken, &taken_paths) {
                waiting.extend(ranges);
                waiting_paths.push(segments);
                deferred.push(index);
                continue;
            }
            // At a line's start only: an insertion after a last line without a line break
            // begins with one, which the next insertion there would not.
            if let Some((_, at, (parent, key))) = insertion
                && (at == 0 || self.text[..at].ends_with('\n'))
            {
                inserts.insert(
                    at,
                    Added {
                        parent,
                        keys: vec![key],
                        splice: splices.len(),
                    },
                );
            }
            taken.extend(ranges);
            taken_paths.push(segments);
            splices.extend(planned);
            *verify::slot_mut(&mut expected, segments)? = wanted;
        }
        let edited = Document::parse(&edit::apply(&self.text, splices)).ok()?;
        (edited.meaning == expected).then_some((edited, deferred))
    }

    /// The mapping a path's first missing key would be added to, and that key; `None` when
    /// every key is there.
    fn first_missing(&self, path: &Path) -> Option<(Vec<Segment>, Segment)> {
        let segments = path.segments();
        (1..=segments.len())
            .find(|&length| {
                self.get(&Path::from_segments(segments[..length].iter().cloned()))
                    .is_none()
            })
            .map(|length| {
                (
                    segments[..length - 1].to_vec(),
                    segments[length - 1].clone(),
                )
            })
    }

    fn edit(
        &mut self,
        path: &Path,
        content: Content<'_>,
        wanted: serde_norway::Value,
    ) -> Result<(), Error> {
        let splices = edit::plan(&self.text, &self.tree, path, content)?;
        self.apply_checked(path, splices, wanted)
    }

    /// Applies the splices when the edited text means the old one with `wanted` at `path`.
    fn apply_checked(
        &mut self,
        path: &Path,
        splices: Vec<edit::Splice>,
        wanted: serde_norway::Value,
    ) -> Result<(), Error> {
        if splices.is_empty() {
            return Ok(());
        }
        let text = edit::apply(&self.text, splices);
        let edited = Document::parse(&text).map_err(|error| Error::Verification {
            path: path.clone(),
            detail: format!("the edited text does not parse: {error}"),
        })?;
        verify::check(&self.meaning, &edited.meaning, path.segments(), wanted).map_err(
            |detail| Error::Verification {
                path: path.clone(),
                detail,
            },
        )?;
        *self = edited;
        Ok(())
    }
}

/// NEL, LS and PS break lines in YAML 1.1 (libyaml, and Helm's go-yaml) and not in YAML 1.2
/// (saphyr): an edit planned on one reading could land elsewhere in the other, so such a text is
/// refused rather than edited (found by fuzzing).
fn refuse_disputed_line_breaks(text: &str) -> Result<(), Error> {
    let Some((at, found)) = text
        .char_indices()
        .find(|(_, c)| matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}'))
    else {
        return Ok(());
    };
    let line = text[..at].matches('\n').count() + 1;
    Err(Error::Invalid {
        message: format!(
            "line {line} holds U+{:04X}, a line break to YAML 1.1 readers such as Helm's and not to YAML 1.2 ones, so the file means two things; replace it with a plain line break, or write it as an escape in a double-quoted string",
            u32::from(found)
        ),
    })
}

impl<'d> NodeRef<'d> {
    /// Byte range of the node in [`Document::text`], with its anchor, tag and block scalar
    /// header. An empty value (`key:`) has an empty range right after the colon.
    pub fn span(&self) -> Range<usize> {
        self.node.span.clone()
    }

    /// 1-based line where the node starts.
    pub fn line(&self) -> usize {
        self.node.line
    }

    /// Whether the node is a collection written in flow style, `{...}` or `[...]`.
    pub fn is_flow(&self) -> bool {
        matches!(
            self.node.kind,
            Kind::Mapping { flow: true, .. } | Kind::Sequence { flow: true, .. }
        )
    }

    pub fn kind(&self) -> NodeKind<'d> {
        match &self.node.kind {
            Kind::Scalar { value, style, .. } => NodeKind::Scalar {
                value,
                style: *style,
            },
            Kind::Mapping { .. } => NodeKind::Mapping,
            Kind::Sequence { .. } => NodeKind::Sequence,
            Kind::Alias => NodeKind::Alias,
        }
    }
}

impl Value {
    fn to_serde(&self) -> serde_norway::Value {
        match self {
            Value::Str(text) => serde_norway::Value::String(text.clone()),
            Value::Bool(flag) => serde_norway::Value::Bool(*flag),
            Value::Int(number) => serde_norway::Value::Number((*number).into()),
            Value::Null => serde_norway::Value::Null,
        }
    }
}

impl From<&str> for Value {
    fn from(text: &str) -> Value {
        Value::Str(text.to_owned())
    }
}

impl From<String> for Value {
    fn from(text: String) -> Value {
        Value::Str(text)
    }
}

impl From<bool> for Value {
    fn from(flag: bool) -> Value {
        Value::Bool(flag)
    }
}

impl From<i64> for Value {
    fn from(number: i64) -> Value {
        Value::Int(number)
    }
}
