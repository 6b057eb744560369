use std::fmt;
use std::str::FromStr;

use crate::Error;

/// A path from the document root to a node, such as `spec.containers[1].image`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Path(Vec<Segment>);

/// One step of a [`Path`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Segment {
    /// A mapping key, matched against the key's value whatever its quoting.
    Key(String),
    /// A zero-based sequence index.
    Index(usize),
}

impl Path {
    /// Parses dotted keys and bracketed indices: `a.b[2].c`, `[0].name`.
    ///
    /// Keys holding `.`, `[` or `]` cannot be written this way; build such paths with
    /// [`Path::from_segments`].
    pub fn parse(text: &str) -> Result<Path, Error> {
        let invalid = |reason: String| Error::InvalidPath {
            path: text.to_owned(),
            reason,
        };
        if text.is_empty() {
            return Err(invalid("the path is empty".to_owned()));
        }
        let mut segments = Vec::new();
        let mut key = String::new();
        // True right after `]`, where only `.`, `[` or the end may follow.
        let mut after_index = false;
        let mut chars = text.char_indices().peekable();
        while let Some((at, ch)) = chars.next() {
            match ch {
                '.' => {
                    if key.is_empty() && !after_index {
                        return Err(invalid(format!("empty key before character {}", at + 1)));
                    }
                    if !key.is_empty() {
                        segments.push(Segment::Key(std::mem::take(&mut key)));
                    }
                    after_index = false;
                    if chars.peek().is_none() {
                        return Err(invalid("the path ends with `.`".to_owned()));
                    }
                }
                '[' => {
                    if !key.is_empty() {
                        segments.push(Segment::Key(std::mem::take(&mut key)));
                    }
                    let mut digits = String::new();
                    let mut closed = false;
                    for (_, ch) in chars.by_ref() {
                        if ch == ']' {
                            closed = true;
                            break;
                        }
                        digits.push(ch);
                    }
                    if !closed {
                        return Err(invalid(format!(
                            "`[` at character {} is never closed",
                            at + 1
                        )));
                    }
                    let index = digits.parse::<usize>().map_err(|_| {
                        invalid(format!(
                            "`[{digits}]` at character {} is not a sequence index; write a number such as `[0]`",
                            at + 1
                        ))
                    })?;
                    segments.push(Segment::Index(index));
                    after_index = true;
                }
                ']' => return Err(invalid(format!("unmatched `]` at character {}", at + 1))),
                _ if after_index => {
                    return Err(invalid(format!(
                        "expected `.` or `[` after `]` at character {}",
                        at + 1
                    )));
                }
                _ => key.push(ch),
            }
        }
        if !key.is_empty() {
            segments.push(Segment::Key(key));
        }
        Ok(Path(segments))
    }

    /// Builds a path from segments, for keys that contain `.` such as `app.kubernetes.io/name`.
    pub fn from_segments(segments: impl IntoIterator<Item = Segment>) -> Path {
        Path(segments.into_iter().collect())
    }

    pub fn segments(&self) -> &[Segment] {
        &self.0
    }
}

impl FromStr for Path {
    type Err = Error;

    fn from_str(text: &str) -> Result<Path, Error> {
        Path::parse(text)
    }
}

/// Writes the path as [`Path::parse`] reads it; keys it could not read back are shown in double
/// quotes.
impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (position, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) => {
                    if position > 0 {
                        f.write_str(".")?;
                    }
                    if key.is_empty() || key.contains(['.', '[', ']']) {
                        write!(f, "{key:?}")?;
                    } else {
                        f.write_str(key)?;
                    }
                }
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

impl From<&str> for Segment {
    fn from(key: &str) -> Segment {
        Segment::Key(key.to_owned())
    }
}

impl From<usize> for Segment {
    fn from(index: usize) -> Segment {
        Segment::Index(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_displays() {
        for text in [
            "image.tag",
            "spec.containers[1].image",
            "[0].name",
            "a[0][1]",
            "中文.键",
        ] {
            let path = Path::parse(text).unwrap();
            assert_eq!(path.to_string(), text, "round trip of {text}");
        }
        assert_eq!(
            Path::parse("spec.containers[1].image").unwrap().segments(),
            &[
                Segment::from("spec"),
                Segment::from("containers"),
                Segment::from(1),
                Segment::from("image"),
            ]
        );
    }

    #[test]
    fn rejects_malformed_paths() {
        let cases = [
            ("", "the path is empty"),
            ("a..b", "empty key before character 3"),
            (".a", "empty key before character 1"),
            ("a.", "the path ends with `.`"),
            ("a[x]", "`[x]` at character 2 is not a sequence index"),
            ("a[1", "`[` at character 2 is never closed"),
            ("a]", "unmatched `]` at character 2"),
            ("a[0]b", "expected `.` or `[` after `]` at character 5"),
        ];
        for (text, expected) in cases {
            let message = Path::parse(text).unwrap_err().to_string();
            assert!(message.contains(expected), "{text:?}: {message}");
        }
    }

    #[test]
    fn displays_keys_with_dots_quoted() {
        let path = Path::from_segments([
            Segment::from("annotations"),
            Segment::from("app.kubernetes.io/name"),
        ]);
        assert_eq!(path.to_string(), r#"annotations."app.kubernetes.io/name""#);
    }
}
