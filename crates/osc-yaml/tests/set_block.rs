//! `Document::set_block` on a table of inputs and the whole text expected, then the edits it
//! refuses; and the node spans and styles that `Document::get` reports.

use osc_yaml::{Document, Error, NodeKind, Path, ScalarStyle};

const BLOCK: &str = "mode: tag\ntags:\n  - \"1.0\"\n";

#[test]
fn writes_the_block_keeping_every_other_byte() {
    let cases = [
        // A missing key goes after the last entry, before comments that follow it.
        (
            "spec:\n  role: x # 角色\n# trailing\n",
            "spec.def",
            "spec:\n  role: x # 角色\n  def:\n    mode: tag\n    tags:\n      - \"1.0\"\n# trailing\n",
        ),
        // Missing parents are created; the lines added end in a line break.
        (
            "kind: CSD",
            "spec.def",
            "kind: CSD\nspec:\n  def:\n    mode: tag\n    tags:\n      - \"1.0\"\n",
        ),
        ("", "def", "def:\n  mode: tag\n  tags:\n    - \"1.0\"\n"),
        (
            "# only a comment\n",
            "def",
            "# only a comment\ndef:\n  mode: tag\n  tags:\n    - \"1.0\"\n",
        ),
        // A null parent becomes a mapping.
        (
            "spec: ~\nkind: CSD\n",
            "spec.def",
            "spec:\n  def:\n    mode: tag\n    tags:\n      - \"1.0\"\nkind: CSD\n",
        ),
        // A block mapping is replaced where it stands, at its own indentation.
        (
            "spec:\n    def:   # upgrade\n        mode: url\n        tags: [a]\n    role: x # keep\n",
            "spec.def",
            "spec:\n    def:   # upgrade\n        mode: tag\n        tags:\n          - \"1.0\"\n    role: x # keep\n",
        ),
        (
            "def:\n  - a\n  - b\nnext: 1",
            "def",
            "def:\n  mode: tag\n  tags:\n    - \"1.0\"\nnext: 1",
        ),
        // Other values give way to the block on the lines after the key.
        (
            "spec:\n  def: {mode: url}  # flow\n  role: x\n",
            "spec.def",
            "spec:\n  def:\n    mode: tag\n    tags:\n      - \"1.0\"  # flow\n  role: x\n",
        ),
        (
            "def: url\n",
            "def",
            "def:\n  mode: tag\n  tags:\n    - \"1.0\"\n",
        ),
        (
            "def:\nnext: 1\n",
            "def",
            "def:\n  mode: tag\n  tags:\n    - \"1.0\"\nnext: 1\n",
        ),
        (
            "def: |\n  text\nnext: 1\n",
            "def",
            "def:\n  mode: tag\n  tags:\n    - \"1.0\"\nnext: 1\n",
        ),
        (
            "def:\n- a  # at the key's column\nnext: 1\n",
            "def",
            "def:\n  mode: tag\n  tags:\n    - \"1.0\"  # at the key's column\nnext: 1\n",
        ),
        (
            "def: # comment\n  [a, b]\n",
            "def",
            "def: # comment\n  mode: tag\n  tags:\n    - \"1.0\"\n",
        ),
        // The document's own indentation step and line endings.
        (
            "metadata:\n    name: x\nspec:\n    role: x\n",
            "spec.def",
            "metadata:\n    name: x\nspec:\n    role: x\n    def:\n        mode: tag\n        tags:\n          - \"1.0\"\n",
        ),
        (
            "spec:\r\n  role: x\r\n",
            "spec.def",
            "spec:\r\n  role: x\r\n  def:\r\n    mode: tag\r\n    tags:\r\n      - \"1.0\"\r\n",
        ),
        (
            "\u{feff}kind: CSD\r\ndef: ~\r\n",
            "def",
            "\u{feff}kind: CSD\r\ndef:\r\n  mode: tag\r\n  tags:\r\n    - \"1.0\"\r\n",
        ),
        // A mapping inside a sequence item is indented past the `- `.
        (
            "items:\n- name: a\n  def: x\n",
            "items[0].def",
            "items:\n- name: a\n  def:\n    mode: tag\n    tags:\n      - \"1.0\"\n",
        ),
    ];
    for (input, path, expected) in cases {
        let mut document = Document::parse(input).unwrap();
        document
            .set_block(&Path::parse(path).unwrap(), BLOCK)
            .unwrap_or_else(|error| panic!("{input:?}: {error}"));
        assert_eq!(document.text(), expected, "{input:?} at {path}");
    }
}

#[test]
fn refuses_what_it_cannot_write_and_leaves_the_text() {
    let cases = [
        (
            "spec: {role: x}\n",
            "spec.def",
            BLOCK,
            "inside a flow collection",
        ),
        ("spec: [x]\n", "spec[0]", BLOCK, "inside a flow collection"),
        (
            "items:\n- a\n",
            "items[0]",
            BLOCK,
            "in place of a sequence item",
        ),
        ("def: !!map\n  a: 1\n", "def", BLOCK, "has the tag `!!map`"),
        ("a: &x 1\nb: *x\n", "a", BLOCK, "aliases elsewhere refer to"),
        ("name: x\n", "name.def", BLOCK, "is not a mapping"),
        (
            "def: 1\n",
            "def",
            " \n",
            "the block to write is not usable: it is empty",
        ),
        (
            "def: 1\n",
            "def",
            "a: [\n",
            "the block to write is not usable: it does not parse",
        ),
        ("def: 1\n", "", BLOCK, "the path is empty"),
    ];
    for (input, path, block, expected) in cases {
        let mut document = Document::parse(input).unwrap();
        let path = Path::parse(path).unwrap_or_else(|_| Path::from_segments([]));
        let error = document.set_block(&path, block).unwrap_err();
        assert!(
            error.to_string().contains(expected),
            "{input:?}: {error} does not say {expected:?}"
        );
        assert_eq!(document.text(), input);
    }
}

#[test]
fn set_block_results_are_verified() {
    // The key is created and the block lands under it, so the result reads as the block.
    let mut document = Document::parse("a: 1\n").unwrap();
    document
        .set_block(&Path::parse("b").unwrap(), "- x\n- y\n")
        .unwrap();
    let read: serde_norway::Value = serde_norway::from_str(document.text()).unwrap();
    assert_eq!(read["b"][1], "y");
    assert!(matches!(
        Document::parse("a: 1\n")
            .unwrap()
            .set_block(&Path::parse("a.b").unwrap(), BLOCK),
        Err(Error::NotAMapping { .. })
    ));
}

#[test]
fn blank_lines_in_the_block_stay_blank() {
    for input in ["def:\n  a: 1\n", "def: 1\n", "x: 1\n"] {
        let mut document = Document::parse(input).unwrap();
        document
            .set_block(&Path::parse("def").unwrap(), "\nmode: tag\n\ntags: []\n")
            .unwrap_or_else(|error| panic!("{input:?}: {error}"));
        let read: serde_norway::Value = serde_norway::from_str(document.text()).unwrap();
        assert_eq!(read["def"]["mode"], "tag", "{}", document.text());
    }
}

#[test]
fn get_reports_each_scalar_span_and_style() {
    let cases = [
        ("k: plain text # c\n", "plain text", ScalarStyle::Plain),
        ("k: 'it''s'  # c\n", "'it''s'", ScalarStyle::SingleQuoted),
        (
            "k: \"[{\\\"é\\\": 1}]\"\n",
            "\"[{\\\"é\\\": 1}]\"",
            ScalarStyle::DoubleQuoted,
        ),
        (
            "k: |-\n  [\n    {}\n  ]\n\n# after\n",
            "|-\n  [\n    {}\n  ]",
            ScalarStyle::Literal,
        ),
        (
            "k: >\n  [ {} ]\n\nnext: 1\n",
            ">\n  [ {} ]",
            ScalarStyle::Folded,
        ),
        (
            "k: # the samples\n  '[]'\n",
            "'[]'",
            ScalarStyle::SingleQuoted,
        ),
        ("\"k\" : '[]'\n", "'[]'", ScalarStyle::SingleQuoted),
        ("k: !!str &a x\n", "!!str &a x", ScalarStyle::Plain),
        (
            "k: |\r\n  crlf\r\nnext: 1\r\n",
            "|\r\n  crlf",
            ScalarStyle::Literal,
        ),
    ];
    for (text, written, expected_style) in cases {
        let document = Document::parse(text).unwrap();
        let node = document.get(&Path::parse("k").unwrap()).unwrap();
        assert_eq!(&text[node.span()], written, "{text:?}");
        let NodeKind::Scalar { style, .. } = node.kind() else {
            panic!("{text:?} is no scalar");
        };
        assert_eq!(style, expected_style, "{text:?}");
        assert!(!node.is_flow());
    }
    let document = Document::parse("a: {b: 1}\nc: [1]\nd:\n  e: 1\n").unwrap();
    let flow = |path: &str| document.get(&Path::parse(path).unwrap()).unwrap().is_flow();
    assert_eq!([flow("a"), flow("c"), flow("d")], [true, true, false]);
}
