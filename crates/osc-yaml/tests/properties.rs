//! Properties: setting any existing scalar of a random document to any value gives a text that
//! parses, reads the new value at the path, and equals the input outside the scalar's span; and
//! making several edits at once gives what making them one after another gives.

use osc_yaml::{Document, Edit, Path, Segment, Value};
use proptest::prelude::*;
use proptest::sample::Index;

/// A random YAML node; the renderer decides the final style from the context (in `{}`/`[]`
/// everything is written in flow style).
#[derive(Clone, Debug)]
enum Node {
    Scalar(Scalar),
    Mapping {
        entries: Vec<(Key, Node, Comments)>,
        flow: bool,
    },
    Sequence {
        items: Vec<(Node, Comments)>,
        flow: bool,
        indentless: bool,
    },
}

#[derive(Clone, Debug)]
enum Scalar {
    Plain(&'static str),
    SingleQuoted(String),
    DoubleQuoted(String),
    Block {
        lines: Vec<String>,
        folded: bool,
        chomping: &'static str,
    },
}

#[derive(Clone, Debug)]
struct Key {
    name: String,
    quoted: bool,
}

#[derive(Clone, Copy, Debug)]
struct Comments {
    above: bool,
    trailing: bool,
}

const PLAIN: &[&str] = &[
    "abc",
    "docker.io",
    "v1.2.3",
    "中文值",
    "a b c",
    "x-y_z",
    "42",
    "true",
    "~",
    "3.14",
    "é",
    "😀ok",
    "",
];
const KEY_NAMES: &[&str] = &["key", "image", "名称", "tag", "a.b", "with space", "é"];

fn scalar() -> impl Strategy<Value = Scalar> {
    let line = "[a-z中é][a-z中é ]{0,6}[a-z中é]";
    prop_oneof![
        prop::sample::select(PLAIN).prop_map(Scalar::Plain),
        "[a-z 中'\"\\\\#:]{0,8}".prop_map(Scalar::SingleQuoted),
        "[a-z 中'\"\\\\#:\n\t]{0,8}".prop_map(Scalar::DoubleQuoted),
        (
            prop::collection::vec(line, 1..4),
            any::<bool>(),
            prop::sample::select(&["", "-", "+"][..]),
        )
            .prop_map(|(lines, folded, chomping)| Scalar::Block {
                lines,
                folded,
                chomping,
            }),
    ]
}

fn comments() -> impl Strategy<Value = Comments> {
    (any::<bool>(), any::<bool>()).prop_map(|(above, trailing)| Comments { above, trailing })
}

fn node() -> impl Strategy<Value = Node> {
    scalar()
        .prop_map(Node::Scalar)
        .prop_recursive(4, 40, 4, |inner| {
            prop_oneof![
                (
                    prop::collection::vec(
                        (
                            prop::sample::select(KEY_NAMES),
                            any::<bool>(),
                            inner.clone(),
                            comments()
                        ),
                        1..4
                    ),
                    prop::bool::weighted(0.2),
                )
                    .prop_map(|(entries, flow)| Node::Mapping {
                        entries: entries
                            .into_iter()
                            .enumerate()
                            .map(|(position, (name, quoted, value, comments))| {
                                // Unique keys: the position makes each one different.
                                let name = format!("{name}{position}");
                                (Key { name, quoted }, value, comments)
                            })
                            .collect(),
                        flow,
                    }),
                (
                    prop::collection::vec((inner, comments()), 1..4),
                    prop::bool::weighted(0.2),
                    any::<bool>(),
                )
                    .prop_map(|(items, flow, indentless)| Node::Sequence {
                        items,
                        flow,
                        indentless,
                    }),
            ]
        })
}

fn root() -> impl Strategy<Value = Node> {
    node().prop_filter("the root is a mapping", |node| {
        matches!(node, Node::Mapping { .. })
    })
}

fn new_value() -> impl Strategy<Value = Value> {
    const SPECIAL: &[&str] = &[
        "",
        "true",
        "yes",
        "No",
        "1.0",
        "~",
        "null",
        " lead",
        "trail ",
        "a: b",
        "a #b",
        "#x",
        "- x",
        "*x",
        "&x",
        "!x",
        "|",
        ">",
        "'",
        "\"",
        "\\",
        "a\nb",
        "a\n",
        "\n",
        "tab\t",
        "{x}",
        "[x]",
        "x,y",
        "中文",
        "@x",
        "%x",
        "`x",
        "0x1F",
        "1_000",
        "12:30",
        "<<",
        "=",
        "? x",
        "a\n\n b\n",
        "\u{2028}",
        "é\u{85}",
    ];
    prop_oneof![
        prop::sample::select(SPECIAL).prop_map(Value::from),
        "[ -~中é\n\t]{0,12}".prop_map(Value::from),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        Just(Value::Null),
    ]
}

/// Renders a node; collects the path of every scalar into `paths`.
struct Renderer {
    text: String,
    paths: Vec<Path>,
}

impl Renderer {
    fn block_mapping(
        &mut self,
        entries: &[(Key, Node, Comments)],
        indent: usize,
        path: &[Segment],
    ) {
        let pad = " ".repeat(indent);
        for (key, value, comments) in entries {
            if comments.above {
                self.text.push_str(&format!("{pad}# 注释 above\n"));
            }
            let key_text = if key.quoted {
                format!("\"{}\"", key.name)
            } else {
                key.name.clone()
            };
            self.text.push_str(&format!("{pad}{key_text}:"));
            let path = [path, &[Segment::Key(key.name.clone())]].concat();
            self.block_value(value, indent, comments.trailing, &path);
        }
    }

    /// Writes what follows `key:` or `- ` and ends the line.
    fn block_value(&mut self, value: &Node, indent: usize, trailing: bool, path: &[Segment]) {
        let trailing = if trailing { "  # 尾注" } else { "" };
        match value {
            Node::Scalar(Scalar::Block {
                lines,
                folded,
                chomping,
            }) => {
                let style = if *folded { '>' } else { '|' };
                self.text
                    .push_str(&format!(" {style}{chomping}{trailing}\n"));
                for line in lines {
                    self.text
                        .push_str(&format!("{}{line}\n", " ".repeat(indent + 2)));
                }
                self.paths.push(Path::from_segments(path.to_vec()));
            }
            Node::Scalar(scalar) => {
                let written = flow_scalar(scalar);
                if !written.is_empty() {
                    self.text.push(' ');
                }
                self.text.push_str(&format!("{written}{trailing}\n"));
                self.paths.push(Path::from_segments(path.to_vec()));
            }
            Node::Mapping {
                entries,
                flow: false,
            } => {
                self.text.push_str(&format!("{trailing}\n"));
                self.block_mapping(entries, indent + 2, path);
            }
            Node::Sequence {
                items,
                flow: false,
                indentless,
            } => {
                self.text.push_str(&format!("{trailing}\n"));
                let indent = if *indentless { indent } else { indent + 2 };
                self.block_sequence(items, indent, path);
            }
            Node::Mapping { flow: true, .. } | Node::Sequence { flow: true, .. } => {
                self.text.push(' ');
                self.flow(value, path);
                self.text.push_str(&format!("{trailing}\n"));
            }
        }
    }

    fn block_sequence(&mut self, items: &[(Node, Comments)], indent: usize, path: &[Segment]) {
        let pad = " ".repeat(indent);
        for (position, (item, comments)) in items.iter().enumerate() {
            if comments.above {
                self.text.push_str(&format!("{pad}# 注释 above\n"));
            }
            let path = [path, &[Segment::Index(position)]].concat();
            match item {
                Node::Mapping {
                    entries,
                    flow: false,
                } => {
                    // A compact mapping: its first line shares the line of the `- `.
                    let start = self.text.len();
                    self.block_mapping(entries, indent + 2, &path);
                    self.text
                        .replace_range(start..start + indent + 2, &format!("{pad}- "));
                }
                Node::Sequence {
                    items: nested,
                    flow: false,
                    ..
                } => {
                    let start = self.text.len();
                    self.block_sequence(nested, indent + 2, &path);
                    self.text
                        .replace_range(start..start + indent + 2, &format!("{pad}- "));
                }
                Node::Scalar(Scalar::Plain("")) => {
                    self.text.push_str(&format!("{pad}- ~\n"));
                    self.paths.push(Path::from_segments(path));
                }
                _ => {
                    self.text.push_str(&format!("{pad}-"));
                    self.block_value(item, indent, comments.trailing, &path);
                }
            }
        }
    }

    fn flow(&mut self, node: &Node, path: &[Segment]) {
        match node {
            Node::Scalar(Scalar::Plain("")) => {
                self.text.push('~');
                self.paths.push(Path::from_segments(path.to_vec()));
            }
            Node::Scalar(scalar) => {
                self.text.push_str(&flow_scalar(scalar));
                self.paths.push(Path::from_segments(path.to_vec()));
            }
            Node::Mapping { entries, .. } => {
                self.text.push('{');
                for (position, (key, value, _)) in entries.iter().enumerate() {
                    if position > 0 {
                        self.text.push_str(", ");
                    }
                    let key_text = if key.quoted {
                        format!("'{}'", key.name)
                    } else {
                        key.name.clone()
                    };
                    self.text.push_str(&format!("{key_text}: "));
                    let path = [path, &[Segment::Key(key.name.clone())]].concat();
                    self.flow(value, &path);
                }
                self.text.push('}');
            }
            Node::Sequence { items, .. } => {
                self.text.push('[');
                for (position, (item, _)) in items.iter().enumerate() {
                    if position > 0 {
                        self.text.push_str(", ");
                    }
                    let path = [path, &[Segment::Index(position)]].concat();
                    self.flow(item, &path);
                }
                self.text.push(']');
            }
        }
    }
}

/// A scalar written on one line; block scalars turn double-quoted.
fn flow_scalar(scalar: &Scalar) -> String {
    match scalar {
        Scalar::Plain(text) => (*text).to_owned(),
        Scalar::SingleQuoted(text) => format!("'{}'", text.replace('\'', "''")),
        Scalar::DoubleQuoted(text) => format!("{text:?}"),
        Scalar::Block { lines, .. } => format!("{:?}", lines.join("\n")),
    }
}

fn render(root: &Node, crlf: bool, final_newline: bool) -> (String, Vec<Path>) {
    let mut renderer = Renderer {
        text: "# 文档 document\n".to_owned(),
        paths: Vec::new(),
    };
    match root {
        Node::Mapping {
            entries,
            flow: false,
        } => renderer.block_mapping(entries, 0, &[]),
        _ => {
            renderer.flow(root, &[]);
            renderer.text.push('\n');
        }
    }
    let mut text = renderer.text;
    if !final_newline {
        text.pop();
    }
    if crlf {
        text = text.replace('\n', "\r\n");
    }
    (text, renderer.paths)
}

fn lookup(mut value: serde_norway::Value, path: &Path) -> serde_norway::Value {
    for segment in path.segments() {
        value = match segment {
            Segment::Key(key) => value[key.as_str()].clone(),
            Segment::Index(index) => value[*index].clone(),
        };
    }
    value
}

fn expected(value: &Value) -> serde_norway::Value {
    match value {
        Value::Str(text) => serde_norway::Value::from(text.as_str()),
        Value::Bool(flag) => serde_norway::Value::from(*flag),
        Value::Int(number) => serde_norway::Value::from(*number),
        Value::Null => serde_norway::Value::Null,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn set_changes_only_the_scalar(
        root in root(),
        crlf in prop::bool::weighted(0.2),
        final_newline in prop::bool::weighted(0.8),
        pick in any::<Index>(),
        value in new_value(),
    ) {
        let (text, paths) = render(&root, crlf, final_newline);
        let mut document = Document::parse(&text)
            .map_err(|error| TestCaseError::fail(format!("{error}\n{text}")))?;
        let path = pick.get(&paths);
        let span = document
            .get(path)
            .ok_or_else(|| TestCaseError::fail(format!("{path} not found in\n{text}")))?
            .span();

        document
            .set(path, value.clone())
            .map_err(|error| TestCaseError::fail(format!("{error}\n{text}")))?;
        let edited = document.text();

        let read: serde_norway::Value = serde_norway::from_str(edited)
            .map_err(|error| TestCaseError::fail(format!("{error}\n{edited}")))?;
        prop_assert_eq!(lookup(read, path), expected(&value), "{}", edited);
        let kept_after = text.len() - span.end;
        prop_assert_eq!(&edited[..span.start], &text[..span.start]);
        prop_assert_eq!(&edited[edited.len() - kept_after..], &text[span.end..]);
    }

    #[test]
    fn edit_all_is_one_edit_after_another(
        root in root(),
        crlf in prop::bool::weighted(0.2),
        final_newline in prop::bool::weighted(0.7),
        picks in prop::collection::vec((any::<Index>(), 0..5u8, new_value()), 1..8),
    ) {
        let (text, paths) = render(&root, crlf, final_newline);
        prop_assume!(!paths.is_empty());
        // Existing scalars, new keys beside them, and new keys under one new mapping, which
        // land at one place and must keep their order.
        let edits: Vec<Edit> = picks
            .iter()
            .enumerate()
            .map(|(at, (pick, kind, value))| {
                let existing = pick.get(&paths);
                let segments = existing.segments();
                let path = match kind {
                    0 | 1 => existing.clone(),
                    2 => Path::from_segments(
                        segments[..segments.len() - 1]
                            .iter()
                            .cloned()
                            .chain([Segment::Key(format!("added{at}"))]),
                    ),
                    _ => Path::from_segments([
                        Segment::Key("fresh".to_owned()),
                        Segment::Key(format!("k{}", at % 3)),
                    ]),
                };
                match (kind, value) {
                    (4, Value::Str(text)) => Edit::Block(path, format!("- {}\n", osc_yaml::quote(text))),
                    _ => Edit::Set(path, value.clone()),
                }
            })
            .collect();

        let parse = || Document::parse(&text)
            .map_err(|error| TestCaseError::fail(format!("{error}\n{text}")));
        let mut one_by_one = parse()?;
        let mut failed = None;
        for (index, edit) in edits.iter().enumerate() {
            let result = match edit {
                Edit::Set(path, value) => one_by_one.set(path, value.clone()),
                Edit::Block(path, block) => one_by_one.set_block(path, block),
            };
            if let Err(error) = result {
                failed = Some((index, error.to_string()));
                break;
            }
        }
        let mut at_once = parse()?;
        let result = at_once.edit_all(&edits).map_err(|(index, error)| (index, error.to_string()));
        prop_assert_eq!(result.err(), failed.clone(), "{:?}\n{}", edits, text);
        if failed.is_none() {
            prop_assert_eq!(at_once.text(), one_by_one.text(), "{:?}", edits);
        }
    }
}
