//! `split_documents` on a table of streams: each document's text with and without its markers,
//! its first line and whether it has content.

use osc_yaml::split_documents;

/// (range text, body text, line, has content)
type Expected = (&'static str, &'static str, usize, bool);

#[test]
fn splits_at_marker_lines() {
    let cases: &[(&str, &[Expected])] = &[
        ("", &[]),
        ("\n  \n", &[]),
        ("a: 1\n", &[("a: 1\n", "a: 1\n", 1, true)]),
        ("a: 1", &[("a: 1", "a: 1", 1, true)]),
        ("---\na: 1\n", &[("---\na: 1\n", "a: 1\n", 1, true)]),
        (
            "a: 1\n---\nb: 2\n",
            &[
                ("a: 1\n", "a: 1\n", 1, true),
                ("---\nb: 2\n", "b: 2\n", 2, true),
            ],
        ),
        // Blank documents are left out; a document of comments is kept without content.
        (
            "# c\n---\n---\na: 1\n---\n",
            &[
                ("# c\n", "# c\n", 1, false),
                ("---\na: 1\n", "a: 1\n", 3, true),
            ],
        ),
        // `...` ends a document; what follows it before the next `---` is another.
        (
            "a: 1\n...\n---\nb: 2",
            &[
                ("a: 1\n...\n", "a: 1\n", 1, true),
                ("---\nb: 2", "b: 2", 3, true),
            ],
        ),
        (
            "a: 1\n... # end\nb: 2\n",
            &[
                ("a: 1\n... # end\n", "a: 1\n", 1, true),
                ("b: 2\n", "b: 2\n", 3, true),
            ],
        ),
        // A comment or blanks after `---` belong to the marker's line; other text to the body.
        (
            "--- # first\na: 1\n---   \nb: 2\n---\t# x\nc: 3\n",
            &[
                ("--- # first\na: 1\n", "a: 1\n", 1, true),
                ("---   \nb: 2\n", "b: 2\n", 3, true),
                ("---\t# x\nc: 3\n", "c: 3\n", 5, true),
            ],
        ),
        (
            "--- |\n  text\n--- !!str x\n",
            &[
                ("--- |\n  text\n", " |\n  text\n", 1, true),
                ("--- !!str x\n", " !!str x\n", 3, true),
            ],
        ),
        // Not markers: more dashes, text right after, indentation, inside a block scalar.
        ("a: 1\n----\n", &[("a: 1\n----\n", "a: 1\n----\n", 1, true)]),
        (
            "a: ---x\n---x\n",
            &[("a: ---x\n---x\n", "a: ---x\n---x\n", 1, true)],
        ),
        (
            "a: |\n  ---\n  ...\nb: 1\n",
            &[(
                "a: |\n  ---\n  ...\nb: 1\n",
                "a: |\n  ---\n  ...\nb: 1\n",
                1,
                true,
            )],
        ),
        (
            "a:\n  - x\n...x\n",
            &[("a:\n  - x\n...x\n", "a:\n  - x\n...x\n", 1, true)],
        ),
        // CRLF line breaks.
        (
            "a: 1\r\n---\r\nb: 2\r\n...\r\n",
            &[
                ("a: 1\r\n", "a: 1\r\n", 1, true),
                ("---\r\nb: 2\r\n...\r\n", "b: 2\r\n", 2, true),
            ],
        ),
        // A leading byte-order mark is in no document.
        ("\u{feff}---\na: 1\n", &[("---\na: 1\n", "a: 1\n", 1, true)]),
        (
            "\u{feff}a: 1\n---\nb: 2\n",
            &[
                ("a: 1\n", "a: 1\n", 1, true),
                ("---\nb: 2\n", "b: 2\n", 2, true),
            ],
        ),
        ("\u{feff}", &[]),
        // Directives before the marker are no content.
        (
            "%YAML 1.2\n---\na: 1\n",
            &[
                ("%YAML 1.2\n", "%YAML 1.2\n", 1, false),
                ("---\na: 1\n", "a: 1\n", 2, true),
            ],
        ),
        // Helm's output: `# Source:` lines open each template's documents.
        (
            "---\n# Source: c/templates/a.yaml\nkind: A\n\n---\n# Source: c/crds/x.yaml\n---\nkind: CRD1\n",
            &[
                (
                    "---\n# Source: c/templates/a.yaml\nkind: A\n\n",
                    "# Source: c/templates/a.yaml\nkind: A\n\n",
                    1,
                    true,
                ),
                (
                    "---\n# Source: c/crds/x.yaml\n",
                    "# Source: c/crds/x.yaml\n",
                    5,
                    false,
                ),
                ("---\nkind: CRD1\n", "kind: CRD1\n", 7, true),
            ],
        ),
    ];
    for (text, expected) in cases {
        let found: Vec<Expected> = split_documents(text)
            .into_iter()
            .map(|document| {
                assert!(document.range.start <= document.body.start, "{text:?}");
                assert!(document.body.end <= document.range.end, "{text:?}");
                (
                    &text[document.range],
                    &text[document.body],
                    document.line,
                    document.has_content,
                )
            })
            .collect();
        assert_eq!(&found, expected, "splitting {text:?}");
    }
}

#[test]
fn documents_cover_the_text_without_gaps_between_markers() {
    let text = "# head\n---\na: 1\n...\n# between\n---\nb: [1,\n  2]\n";
    let documents = split_documents(text);
    let joined: String = documents
        .iter()
        .map(|document| &text[document.range.clone()])
        .collect();
    assert_eq!(joined, text);
    for document in documents.iter().filter(|document| document.has_content) {
        let value: serde_norway::Value = serde_norway::from_str(&text[document.body.clone()])
            .unwrap_or_else(|error| panic!("{document:?}: {error}"));
        assert!(value.is_mapping(), "{document:?}");
    }
}
