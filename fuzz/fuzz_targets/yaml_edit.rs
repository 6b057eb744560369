//! Any UTF-8 text that parses as a `Document` takes a `set` at a path drawn from its own keys (or
//! a new key): a refused edit leaves the text as it was, and an accepted one reads back, parses
//! again and changes only the bytes it needs.
#![no_main]

use helm_osc_fuzz::Choices;
use libfuzzer_sys::fuzz_target;
use osc_yaml::{Document, NodeKind, Path, ScalarStyle, Segment, Value};
use serde_norway::Value as Yaml;

/// Keys and strings that need quoting, escaping or care somewhere in YAML.
const AWKWARD: &[&str] = &[
    "fuzz",
    "new key",
    "a: b",
    "a:b",
    "#c",
    "a #c",
    "- x",
    "-",
    "---",
    "...",
    "'q'",
    "\"dq\"",
    "'",
    "\"",
    "\\",
    "ü",
    "é: ü",
    "",
    " ",
    " lead",
    "trail ",
    "true",
    "True",
    "yes",
    "off",
    "null",
    "~",
    "1",
    "0o17",
    "0x1F",
    "1e3",
    "-.inf",
    ".nan",
    "2001-12-14",
    "k\n",
    "multi\nline",
    "multi\nline\n",
    "a\r\nb",
    "a\tb",
    "\t",
    "?",
    "? x",
    ":",
    "[x]",
    "{y}",
    "a,b",
    "*a",
    "&a",
    "!t",
    "!!str",
    "%t",
    "@",
    "`",
    "|",
    ">",
    "<<",
    "=",
    "\u{feff}bom",
    "\u{0}",
    "\u{7f}",
    "\u{85}",
    "\u{a0}",
    "\u{2028}",
    "\u{1f600}",
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(mut document) = Document::parse(text) else {
        return;
    };
    let mut choices = Choices::new(data);
    // What the text means, only to propose paths: whether a path exists is the document's word.
    let meaning: Option<Yaml> =
        serde_norway::from_str(text.strip_prefix('\u{feff}').unwrap_or(text)).ok();
    let segments = choose_path(meaning.as_ref(), &mut choices, text);
    let path = Path::from_segments(segments.clone());
    let value = choose_value(&mut choices, text);

    let target_before = document.get(&path).map(|node| (node.span(), node.kind()));
    let parent = Path::from_segments(segments[..segments.len() - 1].to_vec());
    // A key added to a mapping that has keys goes in as one insertion, touching no other byte.
    let plain_insertion = target_before.is_none()
        && document
            .get(&parent)
            .is_some_and(|node| node.kind() == NodeKind::Mapping)
        && mapping_has_keys(meaning.as_ref(), &segments[..segments.len() - 1]);
    let replaced_scalar = match &target_before {
        Some((span, NodeKind::Scalar { style, .. })) => {
            let header_only = matches!(style, ScalarStyle::Literal | ScalarStyle::Folded)
                && !text[span.clone()].contains('\n');
            if header_only {
                // A block scalar with no body yet spans only its header; the body it gets goes
                // on the next line, past a comment or blanks that may end the header's line.
                let line_end = text[span.end..]
                    .find('\n')
                    .map_or(text.len(), |at| span.end + at + 1);
                Some(span.start..line_end)
            } else {
                Some(span.clone())
            }
        }
        _ => None,
    };

    if let Err(error) = document.set(&path, value.clone()) {
        assert_eq!(
            document.text(),
            text,
            "a refused edit ({error}) must leave the text as it was"
        );
        return;
    }
    let edited = document.text();
    check_reads_back(&document, &path, &value, "after set");
    let reparsed = Document::parse(edited).unwrap_or_else(|error| {
        panic!("the edited text does not parse again: {error}\n--- edited:\n{edited}")
    });
    check_reads_back(
        &reparsed,
        &path,
        &value,
        "after parsing the edited text again",
    );

    if plain_insertion {
        let (kept_prefix, kept_suffix) = kept_around(text, edited);
        assert_eq!(
            kept_prefix + kept_suffix,
            text.len(),
            "adding key `{path}` changed bytes other than one insertion: the first {kept_prefix} and last {kept_suffix} of {} bytes are kept\n--- before:\n{text}\n--- after:\n{edited}",
            text.len()
        );
    }
    if let Some(span) = replaced_scalar {
        assert!(
            edited.starts_with(&text[..span.start]) && edited.ends_with(&text[span.end..]),
            "setting scalar `{path}` changed bytes outside {span:?}, its span (and a bodiless block scalar's header line)\n--- before:\n{text}\n--- after:\n{edited}"
        );
    }
});

/// A path into the document's own mappings and sequences, ending at one of its scalars, at a new
/// key, or (now and then) at a place no value can go.
fn choose_path(meaning: Option<&Yaml>, choices: &mut Choices, text: &str) -> Vec<Segment> {
    let mut segments = Vec::new();
    let mut node = meaning;
    for _ in 0..8 {
        match node {
            Some(Yaml::Mapping(mapping)) => {
                let keys: Vec<(&str, &Yaml)> = mapping
                    .iter()
                    .filter_map(|(key, value)| Some((key.as_str()?, value)))
                    .collect();
                if !keys.is_empty() && choices.chance(3, 4) {
                    let (key, value) = *choices.pick(&keys);
                    segments.push(Segment::Key(key.to_owned()));
                    node = Some(value);
                    continue;
                }
                break;
            }
            Some(Yaml::Sequence(items)) if !items.is_empty() => {
                let index = choices.below(items.len() + 1);
                segments.push(Segment::Index(index));
                node = items.get(index);
            }
            Some(Yaml::Null) if choices.chance(1, 2) => break,
            _ if choices.chance(7, 8) && !segments.is_empty() => return segments,
            _ => break,
        }
    }
    // A new key, sometimes with a new key below it.
    segments.push(Segment::Key(new_key(choices, text)));
    if choices.chance(1, 4) {
        segments.push(Segment::Key(new_key(choices, text)));
    }
    segments
}

fn new_key(choices: &mut Choices, text: &str) -> String {
    if choices.chance(1, 3) {
        choices.piece(text, 12).to_owned()
    } else {
        (*choices.pick(AWKWARD)).to_owned()
    }
}

fn choose_value(choices: &mut Choices, text: &str) -> Value {
    match choices.below(8) {
        0 => Value::Bool(choices.chance(1, 2)),
        1 => Value::Int(*choices.pick(&[0, -1, 7, i64::MIN, i64::MAX, 1_000_000])),
        2 => Value::Null,
        3 | 4 => Value::Str(choices.piece(text, 40).to_owned()),
        _ => Value::Str((*choices.pick(AWKWARD)).to_owned()),
    }
}

/// Whether the mapping at `segments` has at least one key (so a new key goes after its last entry).
fn mapping_has_keys(meaning: Option<&Yaml>, segments: &[Segment]) -> bool {
    let mut node = meaning;
    for segment in segments {
        node = match (segment, node) {
            (Segment::Key(key), Some(Yaml::Mapping(mapping))) => mapping.get(key.as_str()),
            (Segment::Index(index), Some(Yaml::Sequence(items))) => items.get(*index),
            _ => None,
        };
    }
    matches!(node, Some(Yaml::Mapping(mapping)) if !mapping.is_empty())
}

/// `get(path)` finds a scalar that reads as `value`.
fn check_reads_back(document: &Document, path: &Path, value: &Value, when: &str) {
    let Some(node) = document.get(path) else {
        panic!(
            "{when}: `{path}` is not found\n--- text:\n{}",
            document.text()
        );
    };
    let NodeKind::Scalar {
        value: written,
        style,
    } = node.kind()
    else {
        panic!(
            "{when}: `{path}` is a {:?}, not the scalar written\n--- text:\n{}",
            node.kind(),
            document.text()
        );
    };
    let reads_back = match value {
        Value::Str(text) => written == text,
        // An existing `True` or `TRUE` already reads as the value and is kept.
        Value::Bool(flag) => {
            style == ScalarStyle::Plain && written.eq_ignore_ascii_case(&flag.to_string())
        }
        Value::Int(number) => style == ScalarStyle::Plain && written == number.to_string(),
        Value::Null => {
            style == ScalarStyle::Plain && matches!(written, "" | "~" | "null" | "Null" | "NULL")
        }
    };
    assert!(
        reads_back,
        "{when}: `{path}` reads back as {written:?} ({style:?}), not {value:?}\n--- text:\n{}",
        document.text()
    );
}

/// How many bytes at the start and at the end of `before` are still there in `after`, without
/// counting a byte twice.
fn kept_around(before: &str, after: &str) -> (usize, usize) {
    let (before, after) = (before.as_bytes(), after.as_bytes());
    let prefix = before.iter().zip(after).take_while(|(a, b)| a == b).count();
    let suffix = before[prefix..]
        .iter()
        .rev()
        .zip(after[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    (prefix, suffix)
}
