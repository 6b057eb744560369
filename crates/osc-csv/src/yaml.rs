//! Multi-document splitting and path-aware reading of parsed YAML, so that every error names the
//! file and the field.

use std::ops::Range;
use std::path::Path;

use serde_norway::Value;

use crate::error::Error;

/// One YAML document of a file.
#[derive(Debug, Clone)]
pub(crate) struct Document {
    pub range: Range<usize>,
    /// 1-based line of `range.start` in the file.
    pub first_line: usize,
}

/// The documents of a YAML stream that hold content, split as osc-yaml splits them; a document
/// of comments only reads as null and is no manifest.
pub(crate) fn split_documents(text: &str) -> Vec<Document> {
    osc_yaml::split_documents(text)
        .into_iter()
        .filter(|span| span.has_content)
        .map(|span| Document {
            range: span.range,
            first_line: span.line,
        })
        .collect()
}

/// The document parsed by osc-yaml for its spans, after the line breaks returned, which make
/// its line numbers count from the top of the file: an offset in it lies that many bytes past
/// the file's.
pub(crate) fn parse_spans(
    text: &str,
    document: &Document,
) -> Result<(osc_yaml::Document, String), osc_yaml::Error> {
    let padding = "\n".repeat(document.first_line - 1);
    let parsed = osc_yaml::Document::parse(&format!("{padding}{}", &text[document.range.clone()]))?;
    Ok((parsed, padding))
}

/// Why [`parse_spans`] failed, for a file that serde_norway did read.
pub(crate) fn spans_error(file: &Path, document: &Document, error: osc_yaml::Error) -> Error {
    let (line, column, message) = match error {
        osc_yaml::Error::Syntax {
            line,
            column,
            message,
        } => (line, column, message),
        other => (document.first_line, 1, other.to_string()),
    };
    Error::Yaml {
        file: file.to_path_buf(),
        line,
        column,
        message,
    }
}

/// Parses one document; errors carry the line in the whole file.
pub(crate) fn parse_document(file: &Path, text: &str, document: &Document) -> Result<Value, Error> {
    // Blank lines in place of the earlier documents make every line number in serde_norway's
    // messages, including those inside libyaml's own text, count from the top of the file.
    let mut padded = "\n".repeat(document.first_line - 1);
    padded.push_str(&text[document.range.clone()]);
    serde_norway::from_str(&padded).map_err(|error| {
        let (line, column) = error
            .location()
            .map_or((document.first_line, 1), |location| {
                (location.line(), location.column())
            });
        // `Error::Yaml` states the position itself.
        let message =
            error
                .to_string()
                .replacen(&format!(" at line {line} column {column}"), "", 1);
        Error::Yaml {
            file: file.to_path_buf(),
            line,
            column,
            message,
        }
    })
}

/// A value inside a manifest, with the dotted path that leads to it.
#[derive(Clone)]
pub(crate) struct Node<'a> {
    pub value: &'a Value,
    pub file: &'a Path,
    pub path: String,
}

impl<'a> Node<'a> {
    pub fn root(value: &'a Value, file: &'a Path) -> Self {
        Node {
            value,
            file,
            path: String::new(),
        }
    }

    pub fn error(&self, message: impl Into<String>) -> Error {
        Error::Field {
            file: self.file.to_path_buf(),
            field: if self.path.is_empty() {
                "(top level)".to_string()
            } else {
                self.path.clone()
            },
            message: message.into(),
        }
    }

    fn child_path(&self, key: &str) -> String {
        let plain = key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        match (self.path.is_empty(), plain) {
            (true, true) => key.to_string(),
            (true, false) => format!("[{key:?}]"),
            (false, true) => format!("{}.{key}", self.path),
            (false, false) => format!("{}[{key:?}]", self.path),
        }
    }

    /// The child at `key`; `None` when absent or null. Errors when this node is not a mapping.
    pub fn get(&self, key: &str) -> Result<Option<Node<'a>>, Error> {
        let mapping = match self.value {
            Value::Mapping(mapping) => mapping,
            Value::Null => return Ok(None),
            other => {
                return Err(self.error(format!("expected a mapping, found {}", describe(other))));
            }
        };
        Ok(mapping
            .get(key)
            .filter(|value| !value.is_null())
            .map(|value| Node {
                value,
                file: self.file,
                path: self.child_path(key),
            }))
    }

    pub fn require(&self, key: &str, what_to_do: &str) -> Result<Node<'a>, Error> {
        self.get(key)?.ok_or_else(|| {
            Node {
                value: self.value,
                file: self.file,
                path: self.child_path(key),
            }
            .error(format!("missing; {what_to_do}"))
        })
    }

    pub fn as_string(&self) -> Result<String, Error> {
        match self.value {
            Value::String(text) => Ok(text.clone()),
            Value::Number(_) | Value::Bool(_) => Err(self.error(format!(
                "expected a string, found {}; quote it so YAML reads it as text",
                describe(self.value)
            ))),
            other => Err(self.error(format!("expected a string, found {}", describe(other)))),
        }
    }

    pub fn string(&self, key: &str) -> Result<Option<String>, Error> {
        self.get(key)?.map(|node| node.as_string()).transpose()
    }

    pub fn required_string(&self, key: &str, what_to_do: &str) -> Result<String, Error> {
        self.require(key, what_to_do)?.as_string()
    }

    /// A boolean that Kubernetes treats as `false` when absent.
    pub fn flag(&self, key: &str) -> Result<bool, Error> {
        match self.get(key)? {
            None => Ok(false),
            Some(node) => match node.value {
                Value::Bool(flag) => Ok(*flag),
                other => {
                    Err(node.error(format!("expected true or false, found {}", describe(other))))
                }
            },
        }
    }

    /// The items of the sequence at `key`; empty when absent.
    pub fn items(&self, key: &str) -> Result<Vec<Node<'a>>, Error> {
        let Some(node) = self.get(key)? else {
            return Ok(Vec::new());
        };
        match node.value {
            Value::Sequence(items) => Ok(items
                .iter()
                .enumerate()
                .map(|(index, value)| Node {
                    value,
                    file: self.file,
                    path: format!("{}[{index}]", node.path),
                })
                .collect()),
            other => Err(node.error(format!("expected a list, found {}", describe(other)))),
        }
    }

    pub fn strings(&self, key: &str) -> Result<Vec<String>, Error> {
        self.items(key)?.iter().map(Node::as_string).collect()
    }

    /// The string-to-string mapping at `key`, in file order; empty when absent.
    pub fn string_map(&self, key: &str) -> Result<Vec<(String, String)>, Error> {
        let Some(node) = self.get(key)? else {
            return Ok(Vec::new());
        };
        let Value::Mapping(mapping) = node.value else {
            return Err(node.error(format!(
                "expected a mapping, found {}",
                describe(node.value)
            )));
        };
        mapping
            .iter()
            .map(|(key, value)| {
                let Value::String(key) = key else {
                    return Err(node.error(format!(
                        "has a key that is {}; keys must be strings",
                        describe(key)
                    )));
                };
                let entry = Node {
                    value,
                    file: self.file,
                    path: node.child_path(key),
                };
                Ok((key.clone(), entry.as_string()?))
            })
            .collect()
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "nothing".to_string(),
        Value::Bool(flag) => format!("the boolean {flag}"),
        Value::Number(number) => format!("the number {number}"),
        Value::String(_) => "a string".to_string(),
        Value::Sequence(_) => "a list".to_string(),
        Value::Mapping(_) => "a mapping".to_string(),
        Value::Tagged(tagged) => format!("a value tagged {}", tagged.tag),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn documents(text: &str) -> Vec<&str> {
        split_documents(text)
            .into_iter()
            .map(|document| &text[document.range])
            .collect()
    }

    #[test]
    fn splits_at_markers_and_drops_empty_documents() {
        let cases: &[(&str, &[&str])] = &[
            ("a: 1\n", &["a: 1\n"]),
            ("---\na: 1\n", &["---\na: 1\n"]),
            ("a: 1\n---\nb: 2\n", &["a: 1\n", "---\nb: 2\n"]),
            ("# c\n---\n---\na: 1\n---\n", &["---\na: 1\n"]),
            ("a: 1\n...\n---\nb: 2", &["a: 1\n...\n", "---\nb: 2"]),
            ("a: |\n  ---x\n  y\n", &["a: |\n  ---x\n  y\n"]),
            ("a: 1\n----\n", &["a: 1\n----\n"]),
            ("", &[]),
        ];
        for (text, expected) in cases {
            assert_eq!(&documents(text), expected, "splitting {text:?}");
        }
    }

    #[test]
    fn errors_report_the_line_in_the_whole_file() {
        let text = "a: 1\n---\nb: 2\nc: [\n";
        let document = &split_documents(text)[1];
        let error = parse_document(Path::new("x.yaml"), text, document).unwrap_err();
        let Error::Yaml { line, .. } = error else {
            panic!("expected a YAML error, got {error}");
        };
        assert_eq!(line, 5);
    }
}
