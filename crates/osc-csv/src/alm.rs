//! Finds how an annotation's value is written in the CSV source, so that a later rewrite of
//! `alm-examples` can replace exactly those bytes and keep the author's quoting.

use std::ops::Range;
use std::path::Path;

use osc_yaml::NodeKind;

use crate::error::{AlmError, Error};
use crate::model::ScalarStyle;
use crate::yaml::{Document, parse_spans, spans_error};

/// Style and byte range (in the whole file) of `metadata.annotations[key]` in the document.
/// `None` when the document has no such scalar.
pub(crate) fn locate_annotation(
    file: &Path,
    text: &str,
    document: &Document,
    key: &str,
) -> Result<Option<(ScalarStyle, Range<usize>)>, Error> {
    let (parsed, padding) =
        parse_spans(text, document).map_err(|error| spans_error(file, document, error))?;
    let path = osc_yaml::Path::from_segments(["metadata".into(), "annotations".into(), key.into()]);
    let Some(node) = parsed.get(&path) else {
        return Ok(None);
    };
    let NodeKind::Scalar { style, .. } = node.kind() else {
        return Ok(None);
    };
    let in_file = |offset: usize| document.range.start + offset - padding.len();
    let span = node.span();
    Ok(Some((style, in_file(span.start)..in_file(span.end))))
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
