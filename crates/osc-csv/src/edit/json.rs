//! A JSON reader that keeps where every value lies in the text, so one string can be replaced
//! without re-serializing (and reformatting) the rest.

use std::ops::Range;

/// A JSON value and its byte range in the text (a string's range includes its quotes).
#[derive(Debug)]
pub(crate) struct Node {
    pub value: Value,
    pub span: Range<usize>,
}

#[derive(Debug)]
pub(crate) enum Value {
    /// Members in text order, duplicates kept.
    Object(Vec<(String, Node)>),
    Array(Vec<Node>),
    String(String),
    Number,
    Bool,
    Null,
}

impl Node {
    /// The member `key` of an object; with duplicate keys the last, as serde_json reads it.
    pub fn member(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Object(members) => members
                .iter()
                .rev()
                .find_map(|(name, node)| (name == key).then_some(node)),
            _ => None,
        }
    }

    pub fn item(&self, index: usize) -> Option<&Node> {
        match &self.value {
            Value::Array(items) => items.get(index),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    /// What the value is, for messages: "a number", "an object", ...
    pub fn describe(&self) -> &'static str {
        match self.value {
            Value::Object(_) => "an object",
            Value::Array(_) => "a list",
            Value::String(_) => "a string",
            Value::Number => "a number",
            Value::Bool => "a boolean",
            Value::Null => "null",
        }
    }
}

/// Reads one JSON document; the error says what is wrong and at which byte.
pub(crate) fn parse(text: &str) -> Result<Node, String> {
    let mut reader = Reader { text, at: 0 };
    let node = reader.value()?;
    reader.skip_whitespace();
    if reader.at < text.len() {
        return Err(reader.unexpected("the end of the JSON"));
    }
    Ok(node)
}

struct Reader<'t> {
    text: &'t str,
    at: usize,
}

impl Reader<'_> {
    fn value(&mut self) -> Result<Node, String> {
        self.skip_whitespace();
        let start = self.at;
        let value = match self.peek() {
            Some(b'{') => self.object()?,
            Some(b'[') => self.array()?,
            Some(b'"') => Value::String(self.string()?),
            Some(b't') => self.literal("true", Value::Bool)?,
            Some(b'f') => self.literal("false", Value::Bool)?,
            Some(b'n') => self.literal("null", Value::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => return Err(self.unexpected("a value")),
        };
        Ok(Node {
            value,
            span: start..self.at,
        })
    }

    fn object(&mut self) -> Result<Value, String> {
        self.at += 1;
        let mut members = Vec::new();
        self.skip_whitespace();
        if self.eat(b'}') {
            return Ok(Value::Object(members));
        }
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return Err(self.unexpected("a key"));
            }
            let key = self.string()?;
            self.skip_whitespace();
            if !self.eat(b':') {
                return Err(self.unexpected("`:`"));
            }
            members.push((key, self.value()?));
            self.skip_whitespace();
            if self.eat(b'}') {
                return Ok(Value::Object(members));
            }
            if !self.eat(b',') {
                return Err(self.unexpected("`,` or `}`"));
            }
        }
    }

    fn array(&mut self) -> Result<Value, String> {
        self.at += 1;
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.eat(b']') {
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value()?);
            self.skip_whitespace();
            if self.eat(b']') {
                return Ok(Value::Array(items));
            }
            if !self.eat(b',') {
                return Err(self.unexpected("`,` or `]`"));
            }
        }
    }

    /// Reads a string starting at its opening quote and returns its decoded content.
    fn string(&mut self) -> Result<String, String> {
        self.at += 1;
        let mut content = String::new();
        loop {
            let rest = &self.text[self.at..];
            let Some(stop) = rest.find(['"', '\\']) else {
                return Err(self.unexpected("the closing `\"` of the string"));
            };
            content.push_str(&rest[..stop]);
            self.at += stop + 1;
            if rest.as_bytes()[stop] == b'"' {
                return Ok(content);
            }
            let escaped = match self.peek() {
                Some(b'"') => '"',
                Some(b'\\') => '\\',
                Some(b'/') => '/',
                Some(b'b') => '\u{8}',
                Some(b'f') => '\u{c}',
                Some(b'n') => '\n',
                Some(b'r') => '\r',
                Some(b't') => '\t',
                Some(b'u') => {
                    self.at += 1;
                    content.push(self.unicode_escape()?);
                    continue;
                }
                _ => return Err(self.unexpected("an escape such as `\\n` or `\\u00e9`")),
            };
            content.push(escaped);
            self.at += 1;
        }
    }

    /// The character of a `\uXXXX` escape (the `\u` already read), joining surrogate pairs.
    fn unicode_escape(&mut self) -> Result<char, String> {
        let high = self.hex4()?;
        if !(0xD800..0xDC00).contains(&high) {
            return char::from_u32(high).ok_or_else(|| self.unexpected("a valid `\\u` escape"));
        }
        if !self.text[self.at..].starts_with("\\u") {
            return Err(self.unexpected("the second half `\\uXXXX` of a surrogate pair"));
        }
        self.at += 2;
        let low = self.hex4()?;
        if !(0xDC00..0xE000).contains(&low) {
            return Err(self.unexpected("a valid surrogate pair"));
        }
        char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
            .ok_or_else(|| self.unexpected("a valid surrogate pair"))
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let digits = self.text.get(self.at..self.at + 4).unwrap_or_default();
        let code = u32::from_str_radix(digits, 16)
            .ok()
            .filter(|_| digits.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| self.unexpected("four hex digits"))?;
        self.at += 4;
        Ok(code)
    }

    /// Numbers are only stepped over: the edit never changes one.
    fn number(&mut self) -> Value {
        let rest = &self.text.as_bytes()[self.at..];
        self.at += rest
            .iter()
            .take_while(|b| matches!(b, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'))
            .count();
        Value::Number
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, String> {
        if !self.text[self.at..].starts_with(word) {
            return Err(self.unexpected(&format!("`{word}`")));
        }
        self.at += word.len();
        Ok(value)
    }

    fn skip_whitespace(&mut self) {
        let rest = &self.text.as_bytes()[self.at..];
        self.at += rest
            .iter()
            .take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
            .count();
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.at += 1;
        }
        found
    }

    fn unexpected(&self, wanted: &str) -> String {
        format!("expected {wanted} at byte {} of the JSON", self.at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_cover_each_value_exactly() {
        let text = " [ {\"kind\" : \"A\\\"b\", \"n\":-1.5e3, \"x\":[true,null,{}] }, \"\\u00e9\\ud83d\\ude00\" ] ";
        let root = parse(text).unwrap();
        let first = root.item(0).unwrap();
        let kind = first.member("kind").unwrap();
        assert_eq!(kind.as_str(), Some("A\"b"));
        assert_eq!(&text[kind.span.clone()], "\"A\\\"b\"");
        assert_eq!(&text[first.member("n").unwrap().span.clone()], "-1.5e3");
        let list = first.member("x").unwrap();
        assert_eq!(&text[list.span.clone()], "[true,null,{}]");
        assert_eq!(list.item(1).unwrap().describe(), "null");
        assert_eq!(root.item(1).unwrap().as_str(), Some("é😀"));
    }

    #[test]
    fn the_last_of_duplicate_keys_wins_as_in_serde_json() {
        let root = parse(r#"{"a": "first", "a": "second"}"#).unwrap();
        assert_eq!(root.member("a").unwrap().as_str(), Some("second"));
    }

    #[test]
    fn malformed_json_is_an_error_not_a_panic() {
        for text in [
            "",
            "[",
            "[1,]",
            "{\"a\" 1}",
            "\"abc",
            "\"\\q\"",
            "\"\\u12\"",
            "\"\\ud800x\"",
            "\"\\ud800\\u0041\"",
            "[] x",
            "tru",
        ] {
            assert!(parse(text).is_err(), "{text:?} should not parse");
        }
    }
}
