/// The output of `helm template`, one entry per YAML document.
#[derive(Clone, Debug, PartialEq)]
pub struct Rendered {
    pub documents: Vec<Document>,
}

/// One YAML document of the output.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    /// The template it came from, as helm's `# Source:` line names it
    /// (e.g. `mychart/templates/deployment.yaml`, or `mychart/charts/sub/templates/…`).
    pub source: String,
    /// Position in helm's output, from 0.
    pub index: usize,
    /// The document as helm printed it, without the `---` and `# Source:` lines.
    pub text: String,
    /// The parsed document; `Null` for a document of comments only.
    pub value: serde_norway::Value,
}

#[derive(Debug)]
pub(crate) struct InvalidDocument {
    pub source: String,
    pub index: usize,
    pub message: String,
}

const SOURCE_PREFIX: &str = "# Source: ";

/// Splits helm's `---\n# Source: <template>\n<document>` stream as osc-yaml splits YAML streams.
/// A document without its own `# Source:` line (a CRD file holding several documents) keeps the
/// source before it.
pub(crate) fn parse_helm_output(output: &str) -> Result<Rendered, InvalidDocument> {
    let (rendered, mut invalid) = parse(output, false);
    match invalid.pop() {
        Some(invalid) => Err(invalid),
        None => Ok(rendered),
    }
}

/// As [`parse_helm_output`], but every document that parses is kept, and the others come back
/// beside them.
pub(crate) fn parse_helm_output_keeping_valid(output: &str) -> (Rendered, Vec<InvalidDocument>) {
    parse(output, true)
}

/// Stops at the first invalid document unless `keep_going`.
fn parse(output: &str, keep_going: bool) -> (Rendered, Vec<InvalidDocument>) {
    let mut invalid = Vec::new();
    let mut documents = Vec::new();
    let mut source = String::new();
    for span in osc_yaml::split_documents(output) {
        let chunk = &output[span.body];
        let text = match chunk.strip_prefix(SOURCE_PREFIX) {
            Some(rest) => {
                let (line, text) = rest.split_once('\n').unwrap_or((rest, ""));
                line.trim_end().clone_into(&mut source);
                text
            }
            None => chunk,
        };
        if text.trim().is_empty() && chunk.starts_with(SOURCE_PREFIX) {
            continue;
        }
        let index = documents.len() + invalid.len();
        match serde_norway::from_str(text) {
            Ok(value) => documents.push(Document {
                source: source.clone(),
                index,
                text: text.to_owned(),
                value,
            }),
            Err(err) => {
                invalid.push(InvalidDocument {
                    source: source.clone(),
                    index,
                    message: err.to_string(),
                });
                if !keep_going {
                    break;
                }
            }
        }
    }
    (Rendered { documents }, invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_documents_and_keeps_their_template() {
        let output = "---\n# Source: c/templates/a.yaml\nkind: A\n\n---\n# Source: c/templates/b.yaml\nkind: B\n---\n# Source: c/templates/b.yaml\n# only a comment\n\n---\n# Source: c/crds/x.yaml\n---\nkind: CRD1\n---\nkind: CRD2\n";
        let rendered = parse_helm_output(output).unwrap();
        let summary: Vec<_> = rendered
            .documents
            .iter()
            .map(|doc| {
                (
                    doc.index,
                    doc.source.as_str(),
                    doc.text.as_str(),
                    doc.value.get("kind").cloned(),
                )
            })
            .collect();
        let kind = |k: &str| Some(serde_norway::Value::from(k));
        assert_eq!(
            summary,
            vec![
                (0, "c/templates/a.yaml", "kind: A\n\n", kind("A")),
                (1, "c/templates/b.yaml", "kind: B\n", kind("B")),
                (2, "c/templates/b.yaml", "# only a comment\n\n", None),
                (3, "c/crds/x.yaml", "kind: CRD1\n", kind("CRD1")),
                (4, "c/crds/x.yaml", "kind: CRD2\n", kind("CRD2")),
            ]
        );
        assert_eq!(rendered.documents[2].value, serde_norway::Value::Null);
    }

    #[test]
    fn empty_output_has_no_documents() {
        assert!(parse_helm_output("\n").unwrap().documents.is_empty());
    }

    #[test]
    fn keeping_valid_documents_sets_the_invalid_ones_aside() {
        let output = "---\n# Source: c/templates/a.yaml\nkind: A\n---\n# Source: c/templates/b.yaml\na: [1\n---\n# Source: c/templates/c.yaml\nkind: C\nkind: C\n---\n# Source: c/templates/d.yaml\nkind: D\n";
        let (rendered, invalid) = parse_helm_output_keeping_valid(output);
        let kept: Vec<(usize, &str)> = rendered
            .documents
            .iter()
            .map(|doc| (doc.index, doc.source.as_str()))
            .collect();
        assert_eq!(kept, [(0, "c/templates/a.yaml"), (3, "c/templates/d.yaml")]);
        let set_aside: Vec<(usize, &str)> = invalid
            .iter()
            .map(|doc| (doc.index, doc.source.as_str()))
            .collect();
        assert_eq!(
            set_aside,
            [(1, "c/templates/b.yaml"), (2, "c/templates/c.yaml")]
        );
    }

    #[test]
    fn invalid_yaml_names_its_document() {
        let output = "---\n# Source: c/templates/a.yaml\nkind: A\n---\n# Source: c/templates/b.yaml\na: [1\n";
        let invalid = parse_helm_output(output).unwrap_err();
        assert_eq!(
            (invalid.source.as_str(), invalid.index),
            ("c/templates/b.yaml", 1)
        );
        assert!(!invalid.message.is_empty());
    }
}
