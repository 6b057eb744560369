//! Finds how an annotation's value is written in the CSV source, so that a later rewrite of
//! `alm-examples` can replace exactly those bytes and keep the author's quoting.

use std::ops::Range;
use std::path::Path;

use saphyr_parser::{Event, Parser};

use crate::error::{AlmError, Error};
use crate::model::ScalarStyle;
use crate::yaml::Document;

/// Style and byte range (in the whole file) of `metadata.annotations[key]` in the document.
/// `None` when the document has no such scalar.
pub(crate) fn locate_annotation(
    file: &Path,
    text: &str,
    document: &Document,
    key: &str,
) -> Result<Option<(ScalarStyle, Range<usize>)>, Error> {
    let source = &text[document.range.clone()];
    let target = ["metadata", "annotations", key];
    let mut stack: Vec<Frame> = Vec::new();
    for item in Parser::new_from_str(source) {
        let (event, span) = item.map_err(|error| Error::Yaml {
            file: file.to_path_buf(),
            line: document.first_line + error.marker().line() - 1,
            column: error.marker().col() + 1,
            message: error.info().to_string(),
        })?;
        match event {
            Event::MappingStart(..) => stack.push(Frame::Mapping {
                key: None,
                key_end: 0,
                expecting_key: true,
            }),
            Event::SequenceStart(..) => stack.push(Frame::Sequence),
            Event::MappingEnd | Event::SequenceEnd => {
                stack.pop();
                node_done(&mut stack);
            }
            Event::Scalar(value, style, ..) => {
                if let Some(Frame::Mapping {
                    key: slot,
                    key_end,
                    expecting_key: expecting_key @ true,
                }) = stack.last_mut()
                {
                    *slot = Some(value.into_owned());
                    *key_end = span.end.index();
                    *expecting_key = false;
                    continue;
                }
                if let Some(key_end) = key_end_at(&stack, &target) {
                    let start = value_start(source, byte_offset(source, key_end));
                    let style = scalar_style(style);
                    let mut end = byte_offset(source, span.end.index());
                    if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
                        end = block_end(source, start, end);
                    }
                    let offset = document.range.start;
                    return Ok(Some((style, offset + start..offset + end)));
                }
                node_done(&mut stack);
            }
            Event::Alias(_) => node_done(&mut stack),
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd => {}
        }
    }
    Ok(None)
}

/// Parses the examples the way OLM does: an empty annotation holds no examples.
pub(crate) fn parse_examples(raw: &str) -> Result<Vec<serde_json::Value>, AlmError> {
    if raw.trim().is_empty() {
        return Ok(Vec::new());
    }
    match serde_json::from_str(raw) {
        Ok(serde_json::Value::Array(examples)) => Ok(examples),
        Ok(_) => Err(AlmError::NotAnArray),
        Err(error) => {
            let message = error.to_string();
            let message = match message.rfind(" at line ") {
                Some(cut) => message[..cut].to_string(),
                None => message,
            };
            Err(AlmError::Json {
                line: error.line(),
                column: error.column(),
                message,
            })
        }
    }
}

enum Frame {
    Mapping {
        key: Option<String>,
        /// Character index where the current key ends.
        key_end: usize,
        expecting_key: bool,
    },
    Sequence,
}

/// A key or value node just ended: the enclosing mapping now expects the other one.
fn node_done(stack: &mut [Frame]) {
    if let Some(Frame::Mapping {
        key, expecting_key, ..
    }) = stack.last_mut()
    {
        if *expecting_key {
            // A complex (non-scalar) key: no path goes through it.
            *key = None;
        }
        *expecting_key = !*expecting_key;
    }
}

/// Where the innermost key ends when the stack's keys are exactly `target`.
fn key_end_at(stack: &[Frame], target: &[&str]) -> Option<usize> {
    let on_path = stack.len() == target.len()
        && stack.iter().zip(target).all(|(frame, wanted)| {
            matches!(frame, Frame::Mapping { key: Some(key), .. } if key == wanted)
        });
    match stack.last() {
        Some(Frame::Mapping { key_end, .. }) if on_path => Some(*key_end),
        _ => None,
    }
}

/// Skips from the end of a key over `:`, blanks and comments to the first byte of the value.
fn value_start(source: &str, key_end: usize) -> usize {
    let bytes = source.as_bytes();
    let mut at = key_end;
    while at < bytes.len() && matches!(bytes[at], b' ' | b'\t') {
        at += 1;
    }
    if bytes.get(at) == Some(&b':') {
        at += 1;
    }
    loop {
        while at < bytes.len() && matches!(bytes[at], b' ' | b'\t' | b'\r' | b'\n') {
            at += 1;
        }
        if bytes.get(at) != Some(&b'#') {
            return at;
        }
        while at < bytes.len() && bytes[at] != b'\n' {
            at += 1;
        }
    }
}

/// saphyr's span of a block scalar runs on to the next token, over blank lines and comments that
/// follow it; the value ends with its last line indented like the first content line.
fn block_end(source: &str, header: usize, span_end: usize) -> usize {
    let Some(header_length) = source[header..span_end].find('\n') else {
        return span_end;
    };
    let mut end = header + header_length;
    let mut offset = end + 1;
    let mut content_indent = None;
    for line in source[offset..span_end].split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        if !content.trim().is_empty() {
            let indent = content.len() - content.trim_start_matches(' ').len();
            if indent < *content_indent.get_or_insert(indent) {
                break;
            }
            end = offset + content.len();
        }
        offset += line.len();
    }
    end
}

/// saphyr reports positions in characters; Rust slices in bytes.
fn byte_offset(text: &str, char_index: usize) -> usize {
    text.char_indices()
        .nth(char_index)
        .map_or(text.len(), |(byte, _)| byte)
}

fn scalar_style(style: saphyr_parser::ScalarStyle) -> ScalarStyle {
    match style {
        saphyr_parser::ScalarStyle::Plain => ScalarStyle::Plain,
        saphyr_parser::ScalarStyle::SingleQuoted => ScalarStyle::SingleQuoted,
        saphyr_parser::ScalarStyle::DoubleQuoted => ScalarStyle::DoubleQuoted,
        saphyr_parser::ScalarStyle::Literal => ScalarStyle::Literal,
        saphyr_parser::ScalarStyle::Folded => ScalarStyle::Folded,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::split_documents;

    #[test]
    fn finds_each_style_and_the_exact_bytes() {
        let cases = [
            ("alm-examples: not json", ScalarStyle::Plain, "not json"),
            (
                "alm-examples: '[{\"a\": 1}]'",
                ScalarStyle::SingleQuoted,
                "'[{\"a\": 1}]'",
            ),
            (
                "alm-examples: \"[{\\\"é\\\": 1}]\"",
                ScalarStyle::DoubleQuoted,
                "\"[{\\\"é\\\": 1}]\"",
            ),
            (
                "alm-examples: |-\n      [\n        {}\n      ]",
                ScalarStyle::Literal,
                "|-\n      [\n        {}\n      ]",
            ),
            (
                "alm-examples: >\n      [ {} ]\n\n    # trailing comment",
                ScalarStyle::Folded,
                ">\n      [ {} ]",
            ),
            (
                "alm-examples: |\n      [\n\n      ]\n",
                ScalarStyle::Literal,
                "|\n      [\n\n      ]",
            ),
            (
                "alm-examples: # the samples\n      '[]'",
                ScalarStyle::SingleQuoted,
                "'[]'",
            ),
            ("\"alm-examples\" : '[]'", ScalarStyle::SingleQuoted, "'[]'"),
        ];
        for (line, style, written) in cases {
            let text = format!(
                "kind: ClusterServiceVersion # café\nspec:\n  alm-examples: no\nmetadata:\n  name: x\n  annotations:\n    other: é\n    {line}\n    after: 1\n"
            );
            let document = &split_documents(&text)[0];
            let found = locate_annotation(Path::new("csv.yaml"), &text, document, "alm-examples")
                .unwrap()
                .unwrap_or_else(|| panic!("not found in {line:?}"));
            assert_eq!(found.0, style, "style of {line:?}");
            assert_eq!(&text[found.1], written, "span of {line:?}");
        }
    }

    #[test]
    fn ignores_the_key_elsewhere_and_in_later_documents() {
        let text = "metadata:\n  labels:\n    alm-examples: x\n---\nmetadata:\n  annotations:\n    alm-examples: y\n";
        let document = &split_documents(text)[0];
        let found =
            locate_annotation(Path::new("csv.yaml"), text, document, "alm-examples").unwrap();
        assert!(found.is_none());
        let document = &split_documents(text)[1];
        let (_, span) = locate_annotation(Path::new("csv.yaml"), text, document, "alm-examples")
            .unwrap()
            .unwrap();
        assert_eq!(&text[span], "y");
    }

    #[test]
    fn parses_examples_like_olm() {
        assert_eq!(
            parse_examples("  ").unwrap(),
            Vec::<serde_json::Value>::new()
        );
        assert_eq!(parse_examples("[{\"kind\": \"A\"}]").unwrap().len(), 1);
        assert_eq!(parse_examples("{}"), Err(AlmError::NotAnArray));
        assert!(matches!(
            parse_examples("[{\"kind\": }]"),
            Err(AlmError::Json {
                line: 1,
                column: 11,
                ..
            })
        ));
    }
}
