//! `Document::push` on a table of inputs and the whole text expected, then the edits it refuses.

use osc_yaml::{Document, Path, Value};

fn entries() -> [(&'static str, Value); 2] {
    [
        ("name", Value::from("Bo Ng")),
        ("email", Value::from("bo@example.com")),
    ]
}

#[test]
fn appends_the_item_keeping_every_other_byte() {
    let cases = [
        // A missing key goes after the last entry of its mapping.
        (
            "name: db # 名称\nversion: 1.0.0\n",
            "maintainers",
            "name: db # 名称\nversion: 1.0.0\nmaintainers:\n  - name: Bo Ng\n    email: bo@example.com\n",
        ),
        (
            "spec:\n  version: 1.0.0\n  provider:\n    name: Acme\n",
            "spec.maintainers",
            "spec:\n  version: 1.0.0\n  provider:\n    name: Acme\n  maintainers:\n    - name: Bo Ng\n      email: bo@example.com\n",
        ),
        // A null becomes the sequence; a comment after it follows the block, as with set_block.
        (
            "maintainers: # who to ask\nversion: 1.0.0\n",
            "maintainers",
            "maintainers:\n  - name: Bo Ng\n    email: bo@example.com # who to ask\nversion: 1.0.0\n",
        ),
        // An empty flow sequence gives way to the block.
        (
            "maintainers: []\nversion: 1.0.0\n",
            "maintainers",
            "maintainers:\n  - name: Bo Ng\n    email: bo@example.com\nversion: 1.0.0\n",
        ),
        // A block sequence gets the item after its last one, lined up with its first.
        (
            "maintainers:\n- name: Ann # lead\n  url: https://ann.dev\n# end of list\nversion: 1.0.0\n",
            "maintainers",
            "maintainers:\n- name: Ann # lead\n  url: https://ann.dev\n- name: Bo Ng\n  email: bo@example.com\n# end of list\nversion: 1.0.0\n",
        ),
        (
            "spec:\n    maintainers:\n      -   name: Ann\n      -   name: Cy\n    version: 1.0.0\n",
            "spec.maintainers",
            "spec:\n    maintainers:\n      -   name: Ann\n      -   name: Cy\n      -   name: Bo Ng\n          email: bo@example.com\n    version: 1.0.0\n",
        ),
        // A flow sequence gets a flow item.
        (
            "maintainers: [{name: Ann}]  # one\n",
            "maintainers",
            "maintainers: [{name: Ann}, {name: Bo Ng, email: bo@example.com}]  # one\n",
        ),
        // Line endings and a missing final line break stay as they are.
        (
            "name: db\r\nmaintainers:\r\n  - name: Ann\r\n",
            "maintainers",
            "name: db\r\nmaintainers:\r\n  - name: Ann\r\n  - name: Bo Ng\r\n    email: bo@example.com\r\n",
        ),
        (
            "name: db\r\nversion: 1.0.0",
            "maintainers",
            "name: db\r\nversion: 1.0.0\r\nmaintainers:\r\n  - name: Bo Ng\r\n    email: bo@example.com\r\n",
        ),
        (
            "maintainers:\n  - name: Ann",
            "maintainers",
            "maintainers:\n  - name: Ann\n  - name: Bo Ng\n    email: bo@example.com\n",
        ),
    ];
    let mut wrong = Vec::new();
    for (text, path, expected) in cases {
        let mut document = Document::parse(text).unwrap();
        match document.push(&Path::parse(path).unwrap(), &entries()) {
            Ok(()) if document.text() == expected => {}
            Ok(()) => wrong.push(format!(
                "{text:?}: expected\n{expected:?}\ngot\n{:?}",
                document.text()
            )),
            Err(error) => wrong.push(format!("{text:?}: {error}")),
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

#[test]
fn refuses_what_is_no_sequence_and_leaves_the_text() {
    let cases = [
        ("maintainers: Ann\n", "maintainers", "not a sequence"),
        (
            "maintainers: {name: Ann}\n",
            "maintainers",
            "not a sequence",
        ),
        ("spec: {maintainers: []}\n", "spec.maintainers", "flow"),
        (
            "base: &who [{name: Ann}]\nmaintainers: *who\n",
            "maintainers",
            "alias",
        ),
    ];
    let mut wrong = Vec::new();
    for (text, path, wanted) in cases {
        let mut document = Document::parse(text).unwrap();
        match document.push(&Path::parse(path).unwrap(), &entries()) {
            Ok(()) => wrong.push(format!("{text:?}: accepted as {:?}", document.text())),
            Err(error) if error.to_string().contains(wanted) => {
                assert_eq!(document.text(), text);
            }
            Err(error) => wrong.push(format!("{text:?}: {error} lacks {wanted:?}")),
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
