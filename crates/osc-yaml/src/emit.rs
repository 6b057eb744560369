//! Writing values as YAML scalar text that reads back exactly.

use std::fmt::Write as _;

use crate::{ScalarStyle, Value};

/// Whether text is written inside `{}`/`[]`, where `,[]{}` end a plain scalar.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Context {
    Block,
    Flow,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Key,
    Value,
}

/// Text for `value` in place of a scalar written in `style`, keeping that style when it can hold
/// the value.
pub(crate) fn scalar(value: &Value, style: ScalarStyle, context: Context) -> String {
    match value {
        Value::Str(text) => string(text, style, context, Role::Value),
        Value::Bool(flag) => flag.to_string(),
        Value::Int(number) => number.to_string(),
        Value::Null => "null".to_owned(),
    }
}

/// `text` as a YAML scalar that YAML 1.2 readers and Helm's and Kubernetes' YAML 1.1 readers all
/// take for that same string: plain where that is safe as a block mapping value, else
/// double-quoted. [`crate::Document::set`] writes new values so.
pub fn quote(text: &str) -> String {
    string(text, ScalarStyle::Plain, Context::Block, Role::Value)
}

pub(crate) fn key(key: &str, context: Context) -> String {
    string(key, ScalarStyle::Plain, context, Role::Key)
}

/// The indicator (`|`, `>-`, ...) and the body (each line after a line break) that write `value`
/// as a block scalar indented by `indent`, or `None` when a block scalar cannot hold it exactly.
pub(crate) fn block(
    value: &str,
    folded: bool,
    indent: usize,
    eol: &str,
) -> Option<(String, String)> {
    let content = value.strip_suffix('\n').unwrap_or(value);
    // Keep-chomping (`|+`) would also swallow blank lines that follow in the document.
    if content.is_empty() || content.ends_with('\n') {
        return None;
    }
    if content.chars().any(|ch| ch != '\n' && needs_escape(ch)) {
        return None;
    }
    let lines: Vec<&str> = content.split('\n').collect();
    let first_written = lines.iter().find(|line| !line.is_empty());
    // A leading space would be taken for indentation, and a line of spaces for an empty line.
    if first_written.is_some_and(|line| line.starts_with(' '))
        || lines
            .iter()
            .any(|line| !line.is_empty() && line.trim_start_matches(' ').is_empty())
    {
        return None;
    }
    // Folding joins lines, so only a single line keeps the `>` style.
    let style = if folded && lines.len() == 1 { '>' } else { '|' };
    let chomping = if content.len() == value.len() {
        "-"
    } else {
        ""
    };
    let mut body = String::new();
    for line in lines {
        body.push_str(eol);
        if !line.is_empty() {
            body.extend(std::iter::repeat_n(' ', indent));
            body.push_str(line);
        }
    }
    Some((format!("{style}{chomping}"), body))
}

fn string(text: &str, style: ScalarStyle, context: Context, role: Role) -> String {
    match style {
        ScalarStyle::SingleQuoted => single_quoted(text).unwrap_or_else(|| double_quote(text)),
        ScalarStyle::DoubleQuoted => double_quote(text),
        ScalarStyle::Plain | ScalarStyle::Literal | ScalarStyle::Folded => {
            if plain_reads_back(text, context, role) {
                text.to_owned()
            } else {
                double_quote(text)
            }
        }
    }
}

/// `text` double-quoted, escaping only what a double-quoted scalar cannot hold as written: `"`,
/// `\\`, controls and the characters YAML 1.1 takes for line breaks.
pub fn double_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            '\u{1b}' => out.push_str("\\e"),
            '\u{85}' => out.push_str("\\N"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            ch if needs_escape(ch) => {
                let code = u32::from(ch);
                // Writing to a String cannot fail.
                let _ = if code <= 0xff {
                    write!(out, "\\x{code:02X}")
                } else {
                    write!(out, "\\u{code:04X}")
                };
            }
            ch => out.push(ch),
        }
    }
    out.push('"');
    out
}

fn single_quoted(text: &str) -> Option<String> {
    if text.chars().any(needs_escape) {
        return None;
    }
    Some(format!("'{}'", text.replace('\'', "''")))
}

/// Characters that only a double-quoted scalar can hold unchanged: controls (tab and line
/// break included), the non-printable ones, and those YAML 1.1 takes for line breaks.
fn needs_escape(ch: char) -> bool {
    ch < ' '
        || ('\u{7f}'..='\u{9f}').contains(&ch)
        || matches!(
            ch,
            '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
        )
}

/// Whether `text` written plain reads back as that same string, both for YAML 1.2 readers and
/// for Helm's YAML 1.1 one.
fn plain_reads_back(text: &str, context: Context, role: Role) -> bool {
    if text.is_empty()
        || text.starts_with(' ')
        || text.ends_with(' ')
        || text.ends_with(':')
        || text.chars().any(needs_escape)
        || (context == Context::Flow && text.contains([',', '[', ']', '{', '}']))
        || (role == Role::Key && text == "<<")
        || resolves_specially_in_yaml_1_1(text)
    {
        return false;
    }
    let (document, key, value) = match (context, role) {
        (Context::Block, Role::Value) => (format!("k: {text}"), "k", text),
        (Context::Block, Role::Key) => (format!("{text}: k"), text, "k"),
        (Context::Flow, Role::Value) => (format!("{{k: {text}}}"), "k", text),
        (Context::Flow, Role::Key) => (format!("{{{text}: k}}"), text, "k"),
    };
    let mut expected = serde_norway::Mapping::new();
    expected.insert(key.into(), value.into());
    // Both parsers must agree, as `Document::parse` uses both; saphyr is the stricter one
    // about some indicators (`{k: -}`).
    crate::tree::parse(&document).is_ok()
        && serde_norway::from_str::<serde_norway::Value>(&document)
            .is_ok_and(|read| read == serde_norway::Value::Mapping(expected))
}

/// Plain scalars that YAML 1.1 (Helm's go-yaml) reads as booleans or numbers although YAML 1.2
/// reads them as strings.
fn resolves_specially_in_yaml_1_1(text: &str) -> bool {
    const BOOLEANS: [&str; 8] = ["y", "n", "yes", "no", "on", "off", "true", "false"];
    if BOOLEANS.iter().any(|word| text.eq_ignore_ascii_case(word)) {
        return true;
    }
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let sexagesimal = unsigned.starts_with(|ch: char| ch.is_ascii_digit())
        && unsigned.contains(':')
        && unsigned
            .chars()
            .all(|ch| ch.is_ascii_digit() || matches!(ch, '_' | ':' | '.'));
    // go-yaml v2 reads a number with Go's integer syntax: a leading zero makes digits octal (and
    // failing that a float), and the base prefixes come in either case.
    let go_integer = {
        let digits = unsigned.replace('_', "").to_ascii_lowercase();
        let prefixed = |prefix: &str, radix: u32| {
            digits
                .strip_prefix(prefix)
                .is_some_and(|rest| !rest.is_empty() && rest.chars().all(|ch| ch.is_digit(radix)))
        };
        (!digits.is_empty() && digits.chars().all(|ch| ch.is_ascii_digit()))
            || prefixed("0x", 16)
            || prefixed("0o", 8)
            || prefixed("0b", 2)
    };
    let underscored_number = text.contains('_') && {
        let joined = text.replace('_', "");
        !joined.is_empty()
            && serde_norway::from_str::<serde_norway::Value>(&joined)
                .is_ok_and(|read| !read.is_string())
    };
    sexagesimal || go_integer || underscored_number
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_take_the_quoting_they_need() {
        let plain = ScalarStyle::Plain;
        let single = ScalarStyle::SingleQuoted;
        let double = ScalarStyle::DoubleQuoted;
        let block = Context::Block;
        let flow = Context::Flow;
        let cases = [
            ("docker.io", plain, block, "docker.io"),
            ("17.2.0-debian-12-r0", plain, block, "17.2.0-debian-12-r0"),
            ("镜像仓库", plain, block, "镜像仓库"),
            ("a,b", plain, block, "a,b"),
            ("a,b", plain, flow, r#""a,b""#),
            ("true", plain, block, r#""true""#),
            ("yes", plain, block, r#""yes""#),
            ("Off", plain, block, r#""Off""#),
            ("1.0", plain, block, r#""1.0""#),
            ("1_000", plain, block, r#""1_000""#),
            ("12:30", plain, block, r#""12:30""#),
            ("0b101", plain, block, r#""0b101""#),
            ("0x1F", plain, block, r#""0x1F""#),
            ("null", plain, block, r#""null""#),
            ("~", plain, block, r#""~""#),
            ("", plain, block, r#""""#),
            ("a: b", plain, block, r#""a: b""#),
            ("a #b", plain, block, r#""a #b""#),
            ("a#b", plain, block, "a#b"),
            ("key:", plain, block, r#""key:""#),
            ("*ref", plain, block, r#""*ref""#),
            ("&x", plain, block, r#""&x""#),
            ("!tag", plain, block, r#""!tag""#),
            ("- item", plain, block, r#""- item""#),
            ("@at", plain, block, r#""@at""#),
            (" lead", plain, block, r#"" lead""#),
            ("it's", plain, block, "it's"),
            ("it's", single, block, "'it''s'"),
            ("two\nlines", single, block, r#""two\nlines""#),
            ("tab\there", plain, block, r#""tab\there""#),
            ("say \"hi\" \\ bye", double, block, r#""say \"hi\" \\ bye""#),
            ("bell\u{7}", double, block, r#""bell\x07""#),
            ("sep\u{2028}", double, block, r#""sep\L""#),
            ("中文", double, block, r#""中文""#),
        ];
        for (text, style, context, expected) in cases {
            let written = scalar(&Value::from(text), style, context);
            assert_eq!(written, expected, "{text:?} in {style:?} ({context:?})");
            let document = format!("k: {written}");
            let read: serde_norway::Value = serde_norway::from_str(&document).unwrap();
            assert_eq!(read["k"], serde_norway::Value::from(text), "{document}");
        }
    }

    #[test]
    fn keys_that_would_merge_are_quoted() {
        assert_eq!(key("<<", Context::Block), r#""<<""#);
        assert_eq!(
            key("app.kubernetes.io/name", Context::Block),
            "app.kubernetes.io/name"
        );
        assert_eq!(key("on", Context::Block), r#""on""#);
    }

    #[test]
    fn block_scalars_only_when_exact() {
        let cases = [
            ("one line", false, Some(("|-", "\n    one line"))),
            ("one line\n", true, Some((">", "\n    one line"))),
            ("a\n\nb\n", true, Some(("|", "\n    a\n\n    b"))),
            ("a\n  b", false, Some(("|-", "\n    a\n      b"))),
            ("", false, None),
            ("kept\n\n", false, None),
            (" indented", false, None),
            ("\n indented", false, None),
            ("a\n  \nb", false, None),
            ("tab\t", false, None),
        ];
        for (value, folded, expected) in cases {
            let written = block(value, folded, 4, "\n");
            let expected =
                expected.map(|(indicator, body)| (indicator.to_owned(), body.to_owned()));
            assert_eq!(written, expected, "{value:?}");
        }
    }
}
