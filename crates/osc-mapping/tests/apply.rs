//! `apply`, the platform's rewrite of values.yaml: what it writes, what it refuses, and that it
//! changes no byte but the written values.

mod common;

use std::fmt::Write;

use common::ETCD_VALUES;
use osc_mapping::{Applied, Mapping, apply};
use osc_yaml::{Document, NodeKind, Path};
use proptest::prelude::*;

const MAPPING: &str = include_str!("fixtures/etcd/mapping.yaml");
const SWR: &str = "swr.cn-east-3.myhuaweicloud.com/osc-opensource";

#[test]
fn applies_the_etcd_mapping() {
    let mapping = Mapping::parse(MAPPING, "mapping.yaml").unwrap();
    let applied = apply(ETCD_VALUES, &mapping, SWR).unwrap();
    insta::assert_snapshot!(diff(ETCD_VALUES, &applied));
}

#[test]
fn a_key_two_entries_write_keeps_the_last_value() {
    let values = "global:\n  registry: docker.io\n";
    let mapping = Mapping::parse(
        "instance:\n\
         - {image: a, tag: '1', address: {endpoint: global.registry}}\n\
         - {image: b, tag: '2', address: {prefixAddress: global.registry}}\n",
        "mapping.yaml",
    )
    .unwrap();
    let applied = apply(values, &mapping, SWR).unwrap();
    assert_eq!(applied.text, format!("global:\n  registry: {SWR}\n"));
    assert_eq!(applied.changes.len(), 2);
    assert_eq!(applied.changes[1].before, "swr.cn-east-3.myhuaweicloud.com");
}

#[test]
fn refuses_what_the_platform_cannot_write() {
    let values = "image:\n  registry: docker.io\n  tag: 1.0\n";
    let cases = [
        ("missing key", values, "{endpoint: image.host}", SWR),
        ("mapping, not a value", values, "{fullAddress: image}", SWR),
        ("path syntax", values, "{tag: 'image..tag'}", SWR),
        (
            "registry without organisation",
            values,
            "{tag: image.tag}",
            "swr.example.com",
        ),
        (
            "registry with a nested organisation",
            values,
            "{tag: image.tag}",
            "swr.example.com/a/b",
        ),
        (
            "registry host",
            values,
            "{tag: image.tag}",
            "swr example.com/org",
        ),
        (
            "registry without host",
            values,
            "{tag: image.tag}",
            "org/team",
        ),
        (
            "values that do not parse",
            "image: [\n",
            "{tag: image.tag}",
            SWR,
        ),
    ];
    let mut out = String::new();
    for (name, values, address, registry) in cases {
        let mapping = Mapping::parse(
            &format!("instance:\n- {{image: x, tag: '2', address: {address}}}\n"),
            "mapping.yaml",
        )
        .unwrap();
        let error = apply(values, &mapping, registry).unwrap_err();
        writeln!(out, "{name}: {error}").unwrap();
    }
    insta::assert_snapshot!(out);
}

/// The changed lines, then the writes.
fn diff(before: &str, applied: &Applied) -> String {
    let mut out = String::new();
    for (old, new) in before.lines().zip(applied.text.lines()) {
        if old != new {
            writeln!(out, "- {old}\n+ {new}").unwrap();
        }
    }
    assert_eq!(before.lines().count(), applied.text.lines().count());
    out.push_str("----\n");
    for change in &applied.changes {
        writeln!(
            out,
            "{} ({}): {} -> {}",
            change.path, change.field, change.before, change.after
        )
        .unwrap();
    }
    out
}

/// A values.yaml of image maps and whole-reference keys among other keys, written in every
/// scalar style, with comments and blank lines.
#[derive(Clone, Debug)]
struct Values {
    entries: Vec<Entry>,
}

#[derive(Clone, Debug)]
enum Entry {
    /// `name:` then `registry`, `repository` and `tag` (some of them) in block or flow style.
    ImageMap {
        name: String,
        fields: Vec<(&'static str, Scalar)>,
        flow: bool,
    },
    /// `name: value`, a whole reference or anything else.
    Scalar {
        name: String,
        value: Scalar,
    },
    Comment(String),
}

#[derive(Clone, Debug)]
struct Scalar {
    text: String,
    style: u8,
    comment: Option<String>,
}

impl Scalar {
    fn write(&self, flow: bool) -> String {
        let plain_safe = self
            .text
            .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '~')
            && self
                .text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "./_~-".contains(c));
        let text = match self.style {
            0 if plain_safe => self.text.clone(),
            1 => format!("'{}'", self.text.replace('\'', "''")),
            _ => format!("{:?}", self.text),
        };
        match (&self.comment, flow) {
            (Some(comment), false) => format!("{text} # {comment}"),
            _ => text,
        }
    }
}

impl Values {
    fn text(&self) -> String {
        let mut out = String::new();
        for entry in &self.entries {
            match entry {
                Entry::Comment(comment) => writeln!(out, "# {comment}\n").unwrap(),
                Entry::Scalar { name, value } => {
                    writeln!(out, "{name}: {}", value.write(false)).unwrap()
                }
                Entry::ImageMap {
                    name,
                    fields,
                    flow: true,
                } => {
                    let fields: Vec<String> = fields
                        .iter()
                        .map(|(key, value)| format!("{key}: {}", value.write(true)))
                        .collect();
                    writeln!(out, "{name}: {{{}}}", fields.join(", ")).unwrap();
                }
                Entry::ImageMap {
                    name,
                    fields,
                    flow: false,
                } => {
                    writeln!(out, "{name}:").unwrap();
                    for (key, value) in fields {
                        writeln!(out, "  {key}: {}", value.write(false)).unwrap();
                    }
                }
            }
        }
        out
    }

    /// Every scalar key path.
    fn paths(&self) -> Vec<String> {
        let mut paths = Vec::new();
        for entry in &self.entries {
            match entry {
                Entry::Scalar { name, .. } => paths.push(name.clone()),
                Entry::ImageMap { name, fields, .. } => {
                    paths.extend(fields.iter().map(|(key, _)| format!("{name}.{key}")));
                }
                Entry::Comment(_) => {}
            }
        }
        paths
    }
}

fn scalar() -> impl Strategy<Value = Scalar> {
    let text = prop_oneof![
        Just(String::new()),
        Just("~".to_owned()),
        "[a-z]{1,8}\\.io",
        "[a-z]{1,6}/[a-z]{1,6}",
        "[a-z.]{1,8}/[a-z]{1,6}/[a-z]{1,6}:[0-9]{1,2}\\.[0-9]{1,2}",
        "[0-9]{1,2}(\\.[0-9]{1,2}){0,2}",
        "[a-z0-9 #:'\"-]{1,12}",
    ];
    (text, 0..3u8, proptest::option::of("[a-z ]{0,10}")).prop_map(|(text, style, comment)| Scalar {
        text,
        style,
        comment,
    })
}

fn values() -> impl Strategy<Value = Values> {
    let name = "[a-z]{1,6}";
    let image_map = (
        name,
        proptest::sample::subsequence(vec!["registry", "repository", "tag"], 1..=3),
        proptest::collection::vec(scalar(), 3),
        any::<bool>(),
    )
        .prop_map(|(name, keys, scalars, flow)| Entry::ImageMap {
            name,
            fields: keys.into_iter().zip(scalars).collect(),
            flow,
        });
    let entry = prop_oneof![
        image_map,
        (name, scalar()).prop_map(|(name, value)| Entry::Scalar { name, value }),
        "[a-z ]{0,20}".prop_map(Entry::Comment),
    ];
    proptest::collection::vec(entry, 1..8).prop_map(|entries| {
        // Keys repeat in a mapping only by accident of the generator; keep the first.
        let mut seen = std::collections::HashSet::new();
        let entries = entries
            .into_iter()
            .filter(|entry| match entry {
                Entry::ImageMap { name, .. } | Entry::Scalar { name, .. } => {
                    seen.insert(name.clone())
                }
                Entry::Comment(_) => true,
            })
            .collect();
        Values { entries }
    })
}

const PARTS: [&str; 6] = [
    "fullAddress",
    "repository",
    "prefixAddress",
    "repo",
    "endpoint",
    "tag",
];

/// Values and a mapping whose entries name random keys of them with random parts.
fn values_and_mapping() -> impl Strategy<Value = (Values, Mapping, String)> {
    values()
        .prop_filter("some key to map", |values| !values.paths().is_empty())
        .prop_flat_map(|values| {
            let paths = values.paths();
            let entry = (
                "[a-z][a-z0-9-]{0,8}",
                prop_oneof![
                    "[0-9]{1,2}",
                    "[0-9]\\.[0-9]{1,2}",
                    "[a-z0-9][a-z0-9._-]{0,8}"
                ],
                proptest::collection::vec((0..PARTS.len(), proptest::sample::select(paths)), 1..4),
            );
            let registry = prop_oneof![
                Just("swr.cn-east-3.myhuaweicloud.com/osc-opensource".to_owned()),
                Just("localhost:5000/team".to_owned()),
            ];
            (
                Just(values),
                proptest::collection::vec(entry, 1..4),
                registry,
            )
        })
        .prop_map(|(values, entries, registry)| {
            let mut text = String::from("instance:\n");
            for (image, tag, parts) in entries {
                write!(text, "- image: {image}\n  tag: {tag:?}\n  address:\n").unwrap();
                let mut used = std::collections::HashSet::new();
                for (part, path) in parts {
                    if used.insert(part) {
                        writeln!(text, "    {}: {path}", PARTS[part]).unwrap();
                    }
                }
            }
            let mapping = Mapping::parse(&text, "mapping.yaml").unwrap();
            (values, mapping, registry)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn only_the_written_scalars_change((values, mapping, registry) in values_and_mapping()) {
        let before = values.text();
        let applied = apply(&before, &mapping, &registry).unwrap();
        let old = Document::parse(&before).unwrap();
        let new = Document::parse(&applied.text).unwrap();
        // The last write of each path is what it reads back.
        let mut last = std::collections::BTreeMap::new();
        for change in &applied.changes {
            last.insert(change.path.clone(), change.after.clone());
        }
        let mut spans = Vec::new();
        for (path, after) in &last {
            let path = Path::parse(path).unwrap();
            let written = new.get(&path).unwrap();
            match written.kind() {
                NodeKind::Scalar { value, .. } => prop_assert_eq!(value, after.as_str()),
                other => prop_assert!(false, "{path} reads {other:?}"),
            }
            spans.push((old.get(&path).unwrap().span(), written.span()));
        }
        spans.sort_by_key(|(old, _)| old.start);
        let (mut old_at, mut new_at) = (0, 0);
        for (old_span, new_span) in spans {
            prop_assert_eq!(&before[old_at..old_span.start], &applied.text[new_at..new_span.start]);
            old_at = old_span.end;
            new_at = new_span.end;
        }
        prop_assert_eq!(&before[old_at..], &applied.text[new_at..]);
    }
}
