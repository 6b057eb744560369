//! Reads a quoted or block YAML scalar keeping, for every character of its value, the source bytes
//! it was read from; and writes new characters the way that scalar is quoted.
//!
//! The rules follow libyaml (which serde_norway uses), so the value read here can be compared with
//! the one the loader got: the caller refuses to edit when they differ.

use std::ops::Range;

use crate::model::ScalarStyle;

/// A scalar's value with the origin of each of its characters.
#[derive(Debug)]
pub(crate) struct Decoded {
    pub text: String,
    /// For each character of `text`, in order: its byte offset there and the source bytes it was
    /// read from. Characters made by folding a line break all point at the whole fold.
    origins: Vec<(usize, Range<usize>)>,
    quoting: Quoting,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quoting {
    Double,
    Single,
    /// `|` or `>`: characters stand for themselves.
    Block,
}

impl Decoded {
    /// Source bytes of the character that starts at byte `offset` of the value.
    pub fn origin(&self, offset: usize) -> Option<Range<usize>> {
        let index = self
            .origins
            .binary_search_by_key(&offset, |(at, _)| *at)
            .ok()?;
        Some(self.origins[index].1.clone())
    }

    /// `value` written inside this scalar. The caller passes only printable characters and no line
    /// breaks, which every quoting can hold, so only the quoting's own escapes are needed.
    pub fn encode(&self, value: &str) -> String {
        match self.quoting {
            Quoting::Double => value.replace('\\', "\\\\").replace('"', "\\\""),
            Quoting::Single => value.replace('\'', "''"),
            Quoting::Block => value.to_owned(),
        }
    }

    fn new(quoting: Quoting) -> Decoded {
        Decoded {
            text: String::new(),
            origins: Vec::new(),
            quoting,
        }
    }

    fn push(&mut self, ch: char, origin: Range<usize>) {
        self.origins.push((self.text.len(), origin));
        self.text.push(ch);
    }

    /// Pushes the source characters of `range` as themselves.
    fn push_verbatim(&mut self, text: &str, range: Range<usize>) {
        for (offset, ch) in text[range.clone()].char_indices() {
            let at = range.start + offset;
            self.push(ch, at..at + ch.len_utf8());
        }
    }
}

/// Reads the scalar written at `span` of `text` (from its opening quote or block indicator to its
/// last character).
pub(crate) fn decode(
    text: &str,
    span: Range<usize>,
    style: ScalarStyle,
) -> Result<Decoded, String> {
    match style {
        ScalarStyle::DoubleQuoted => decode_quoted(text, span, Quoting::Double),
        ScalarStyle::SingleQuoted => decode_quoted(text, span, Quoting::Single),
        ScalarStyle::Literal => decode_block(text, span, true),
        ScalarStyle::Folded => decode_block(text, span, false),
        ScalarStyle::Plain => {
            Err("a plain (unquoted) scalar cannot hold a JSON list, which starts with `[`".into())
        }
    }
}

fn decode_quoted(text: &str, span: Range<usize>, quoting: Quoting) -> Result<Decoded, String> {
    let quote = if quoting == Quoting::Double {
        '"'
    } else {
        '\''
    };
    let written = &text[span.clone()];
    if written.len() < 2 || !written.starts_with(quote) || !written.ends_with(quote) {
        return Err(format!("the value is not enclosed in {quote} quotes"));
    }
    let end = span.end - 1;
    let mut decoded = Decoded::new(quoting);
    let mut at = span.start + 1;
    while at < end {
        let ch = char_at(text, at);
        let next = at + ch.len_utf8();
        match ch {
            ' ' | '\t' => {
                let blanks_end = skip_blanks(text, at, end);
                if is_break(text, blanks_end, end) {
                    at = fold(text, at, blanks_end, end, false, &mut decoded);
                } else {
                    decoded.push_verbatim(text, at..blanks_end);
                    at = blanks_end;
                }
            }
            '\n' | '\r' => at = fold(text, at, at, end, false, &mut decoded),
            '\'' if quoting == Quoting::Single => {
                if !text[next..end].starts_with('\'') {
                    return Err(format!("a lone `'` at byte {at} inside the quotes"));
                }
                decoded.push('\'', at..next + 1);
                at = next + 1;
            }
            '\\' if quoting == Quoting::Double => at = escape(text, at, end, &mut decoded)?,
            _ => {
                decoded.push(ch, at..next);
                at = next;
            }
        }
    }
    Ok(decoded)
}

/// Reads the escape whose `\` is at `at`; returns where the text goes on.
fn escape(text: &str, at: usize, end: usize, decoded: &mut Decoded) -> Result<usize, String> {
    let Some(code) = text[at + 1..end].chars().next() else {
        return Err(format!("a `\\` at byte {at} ends the value"));
    };
    let simple = match code {
        '0' => '\0',
        'a' => '\u{7}',
        'b' => '\u{8}',
        't' | '\t' => '\t',
        'n' => '\n',
        'v' => '\u{b}',
        'f' => '\u{c}',
        'r' => '\r',
        'e' => '\u{1b}',
        ' ' => ' ',
        '"' => '"',
        '\'' => '\'',
        '/' => '/',
        '\\' => '\\',
        'N' => '\u{85}',
        '_' => '\u{a0}',
        'L' => '\u{2028}',
        'P' => '\u{2029}',
        'x' | 'u' | 'U' => {
            let digits = match code {
                'x' => 2,
                'u' => 4,
                _ => 8,
            };
            let hex = text.get(at + 2..at + 2 + digits).unwrap_or_default();
            let ch = u32::from_str_radix(hex, 16)
                .ok()
                .filter(|_| hex.bytes().all(|b| b.is_ascii_hexdigit()))
                .and_then(char::from_u32)
                .ok_or_else(|| format!("an invalid `\\{code}` escape at byte {at}"))?;
            let escape_end = at + 2 + digits;
            decoded.push(ch, at..escape_end);
            return Ok(escape_end);
        }
        '\n' | '\r' => return Ok(fold(text, at, at + 1, end, true, decoded)),
        other => return Err(format!("an unknown escape `\\{other}` at byte {at}")),
    };
    decoded.push(simple, at..at + 2);
    Ok(at + 2)
}

/// Folds the line breaks starting at `break_at` (blanks before them start at `start`) with the
/// indentation after them: one break reads as a space, more as one newline fewer than there are;
/// after an escaped break (`\` at `start`) every further break reads as a newline.
fn fold(
    text: &str,
    start: usize,
    break_at: usize,
    end: usize,
    escaped: bool,
    decoded: &mut Decoded,
) -> usize {
    let mut at = break_at;
    let mut breaks = 0;
    while is_break(text, at, end) {
        at += if text[at..].starts_with("\r\n") { 2 } else { 1 };
        breaks += 1;
        at = skip_blanks(text, at, end);
    }
    let folded = match (escaped, breaks) {
        (false, 1) => " ".to_owned(),
        _ => "\n".repeat(breaks - 1),
    };
    for ch in folded.chars() {
        decoded.push(ch, start..at);
    }
    at
}

/// Reads a `|` (literal) or `>` (folded) block scalar the way libyaml does.
fn decode_block(text: &str, span: Range<usize>, literal: bool) -> Result<Decoded, String> {
    let mut decoded = Decoded::new(Quoting::Block);
    let Some(header_length) = text[span.clone()].find('\n') else {
        return Ok(decoded);
    };
    let header = &text[span.start + 1..span.start + header_length];
    let increment = header
        .chars()
        .take_while(|ch| matches!(ch, '+' | '-' | '0'..='9'))
        .find_map(|ch| ch.to_digit(10));
    let body = span.start + header_length + 1..span.end;
    let lines = lines(text, body.clone());
    let indent = match increment {
        Some(increment) => key_column(text, span.start) + increment as usize,
        None => match lines.iter().find(|line| {
            !text[line.content.clone()]
                .trim_start_matches(' ')
                .is_empty()
        }) {
            Some(line) => leading_spaces(&text[line.content.clone()]),
            None => return Ok(decoded),
        },
    };
    // Named as in libyaml: the break ending the last content line, the breaks of the empty lines
    // since, and whether the last content line started with a blank.
    let mut leading_break: Option<Range<usize>> = None;
    let mut trailing_breaks: Vec<Range<usize>> = Vec::new();
    let mut leading_blank = false;
    for line in lines {
        let content = &text[line.content.clone()];
        let spaces = leading_spaces(content);
        if content.len() <= indent && spaces == content.len() {
            trailing_breaks.extend(line.line_break);
            continue;
        }
        if spaces < indent {
            return Err(format!(
                "the line at byte {} is less indented than the block",
                line.content.start
            ));
        }
        let trailing_blank = matches!(content.as_bytes()[indent], b' ' | b'\t');
        if let Some(line_break) = leading_break.take() {
            if !literal && !leading_blank && !trailing_blank {
                if trailing_breaks.is_empty() {
                    decoded.push(' ', line_break);
                }
            } else {
                decoded.push('\n', line_break);
            }
        }
        for line_break in trailing_breaks.drain(..) {
            decoded.push('\n', line_break);
        }
        leading_blank = trailing_blank;
        decoded.push_verbatim(text, line.content.start + indent..line.content.end);
        leading_break = line.line_break;
    }
    Ok(decoded)
}

struct Line {
    /// Without the line break.
    content: Range<usize>,
    /// `None` for the last line of the range when no break ends it there.
    line_break: Option<Range<usize>>,
}

fn lines(text: &str, range: Range<usize>) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut start = range.start;
    for piece in text[range].split_inclusive('\n') {
        let end = start + piece.len();
        let content_end = start + piece.trim_end_matches(['\r', '\n']).len();
        lines.push(Line {
            content: start..content_end,
            line_break: piece.ends_with('\n').then_some(content_end..end),
        });
        start = end;
    }
    lines
}

/// The indentation of the mapping whose key is on the line of `at`, past any `- ` of sequences.
fn key_column(text: &str, at: usize) -> usize {
    let line_start = text[..at].rfind('\n').map_or(0, |newline| newline + 1);
    let line = &text[line_start..at];
    let mut rest = line;
    loop {
        let unindented = rest.trim_start_matches(' ');
        match unindented
            .strip_prefix('-')
            .filter(|after| after.starts_with(' '))
        {
            Some(after) => rest = after,
            None => return line.len() - unindented.len(),
        }
    }
}

fn leading_spaces(text: &str) -> usize {
    text.len() - text.trim_start_matches(' ').len()
}

fn char_at(text: &str, at: usize) -> char {
    text[at..].chars().next().unwrap_or_default()
}

fn skip_blanks(text: &str, at: usize, end: usize) -> usize {
    at + text[at..end].len() - text[at..end].trim_start_matches([' ', '\t']).len()
}

fn is_break(text: &str, at: usize, end: usize) -> bool {
    at < end && matches!(text.as_bytes()[at], b'\n' | b'\r')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every case is checked against serde_norway, the reader the loader uses.
    #[test]
    fn reads_values_as_serde_norway_does() {
        let cases = [
            r#""plain é text""#,
            r#""esc \"q\" \\ \/ \t \x41 \u00e9 \U0001F600 \N \_ \L \P \e \0 \ ""#,
            "\"folded\n    line\n\n    two breaks  \n \t\n    end\"",
            "\"escaped \\\n    break\\\n\n    then blank\"",
            "\"crlf\r\n    fold\"",
            "'single '' quote \\ kept'",
            "'folded\n    single\n\n\n    three'",
            "''''",
            "|\n    [\n      {\"a\": 1}\n    ]",
            "|-\n\n    [\n\n        more\n    x\n      ]",
            "|2\n      {\"indented\": \"by indicator\"}",
            ">\n    folded\n    lines\n\n    para\n      more indented\n    back\n     \n    end",
            ">-\n    crlf\r\n    folded\r\n",
        ];
        for written in cases {
            let yaml = format!("key: {written}\n");
            let expected: serde_norway::Value = serde_norway::from_str(&yaml).unwrap();
            let expected = expected["key"].as_str().unwrap().trim_end_matches('\n');
            let style = match written.as_bytes()[0] {
                b'"' => ScalarStyle::DoubleQuoted,
                b'\'' => ScalarStyle::SingleQuoted,
                b'|' => ScalarStyle::Literal,
                _ => ScalarStyle::Folded,
            };
            let start = "key: ".len();
            let end = start + written.trim_end_matches(['\r', '\n']).len();
            let decoded = decode(&yaml, start..end, style).unwrap();
            assert_eq!(decoded.text, expected, "reading {written:?}");
        }
    }

    #[test]
    fn origins_point_at_the_source_bytes() {
        let yaml = "k: \"a\\\"é\\u0041\n  b\"";
        let decoded = decode(yaml, 3..yaml.len(), ScalarStyle::DoubleQuoted).unwrap();
        assert_eq!(decoded.text, "a\"éA b");
        let source = |offset| &yaml[decoded.origin(offset).unwrap()];
        assert_eq!(source(0), "a");
        assert_eq!(source(1), "\\\"");
        assert_eq!(source(2), "é");
        assert_eq!(source(4), "\\u0041");
        assert_eq!(source(5), "\n  ");
        assert_eq!(decoded.origin(3), None, "3 is inside `é`");
    }

    #[test]
    fn encodes_in_the_scalar_quoting() {
        let value = r#"a\"b'c"#;
        let yaml = "k: \"x\"\nl: 'x'\nm: |\n  x\n";
        let double = decode(yaml, 3..6, ScalarStyle::DoubleQuoted).unwrap();
        assert_eq!(double.encode(value), r#"a\\\"b'c"#);
        let single = decode(yaml, 10..13, ScalarStyle::SingleQuoted).unwrap();
        assert_eq!(single.encode(value), r#"a\"b''c"#);
        let block = decode(yaml, 17..yaml.len() - 1, ScalarStyle::Literal).unwrap();
        assert_eq!(block.encode(value), value);
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        let cases = [
            ("k: 'open", ScalarStyle::SingleQuoted),
            ("k: 'a'b'", ScalarStyle::SingleQuoted),
            ("k: \"\\q\"", ScalarStyle::DoubleQuoted),
            ("k: \"\\x4\"", ScalarStyle::DoubleQuoted),
            ("k: \"\\", ScalarStyle::DoubleQuoted),
            ("k: |\n    a\n  b", ScalarStyle::Literal),
            ("k: [1]", ScalarStyle::Plain),
        ];
        for (yaml, style) in cases {
            assert!(
                decode(yaml, 3..yaml.len(), style).is_err(),
                "{yaml:?} should be refused"
            );
        }
    }
}
