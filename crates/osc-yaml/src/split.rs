//! Splitting a YAML stream into its documents at their marker lines.

use std::ops::Range;

/// Where one document of a YAML stream lies in its text; see [`split_documents`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentSpan {
    /// The document with its markers: from its `---` line (or where the text or the previous
    /// document ends) through its `...` line if it has one, else up to the next `---` line.
    pub range: Range<usize>,
    /// The document without its markers: from after the `---` (after the whole line when only
    /// blanks or a comment follow it there) up to the `...` line or the end of `range`.
    pub body: Range<usize>,
    /// 1-based line on which `range` starts.
    pub line: usize,
    /// Whether the body holds more than comments and directives: a document without content
    /// reads as null.
    pub has_content: bool,
}

/// Splits a YAML stream (a file of several documents, or Helm's rendered output) into its
/// documents, in order, leaving out blank ones as Helm and kubectl do.
///
/// A line starting `---` or `...` followed by the end of the line, a blank or a comment starts
/// or ends a document; YAML allows such lines nowhere inside one, not even in a block scalar,
/// so the text needs no parsing. A leading byte-order mark belongs to no document, and line
/// breaks may be `\n` or `\r\n`. A document of comments only is kept, as Helm's
/// `# Source: <template>` comments name the templates.
///
/// ```
/// let text = "---\n# Source: app/templates/a.yaml\nkind: A\n---\nkind: B\n...\n";
/// let documents = osc_yaml::split_documents(text);
/// let bodies: Vec<&str> = documents.iter().map(|doc| &text[doc.body.clone()]).collect();
/// assert_eq!(bodies, ["# Source: app/templates/a.yaml\nkind: A\n", "kind: B\n"]);
/// assert_eq!(&text[documents[1].range.clone()], "---\nkind: B\n...\n");
/// ```
pub fn split_documents(text: &str) -> Vec<DocumentSpan> {
    let origin = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let mut documents = Vec::new();
    let mut open = Open {
        start: origin,
        body_start: origin,
        line: 1,
    };
    let mut offset = origin;
    for (index, line) in text[origin..].split_inclusive('\n').enumerate() {
        let next = offset + line.len();
        if let Some(rest) = marker(line, "---") {
            open.close(text, offset, offset, &mut documents);
            let trivia = rest.trim_start();
            open = Open {
                start: offset,
                body_start: if trivia.is_empty() || trivia.starts_with('#') {
                    next
                } else {
                    offset + "---".len()
                },
                line: index + 1,
            };
        } else if marker(line, "...").is_some() {
            open.close(text, next, offset, &mut documents);
            open = Open {
                start: next,
                body_start: next,
                line: index + 2,
            };
        }
        offset = next;
    }
    open.close(text, text.len(), text.len(), &mut documents);
    documents
}

/// The document being read.
struct Open {
    start: usize,
    body_start: usize,
    line: usize,
}

impl Open {
    fn close(&self, text: &str, end: usize, body_end: usize, documents: &mut Vec<DocumentSpan>) {
        let body = self.body_start.min(body_end)..body_end;
        let written = &text[body.clone()];
        if written.trim().is_empty() {
            return;
        }
        let has_content = written.lines().any(|line| {
            let line = line.trim();
            !(line.is_empty() || line.starts_with('#') || line.starts_with('%'))
        });
        documents.push(DocumentSpan {
            range: self.start..end,
            body,
            line: self.line,
            has_content,
        });
    }
}

/// What follows `marker` on `line` when the line is that marker.
fn marker<'l>(line: &'l str, marker: &str) -> Option<&'l str> {
    line.strip_prefix(marker)
        .filter(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']))
}
