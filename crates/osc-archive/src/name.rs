//! Entry names, checked once: every path that leaves an archive or a folder goes through [`RelPath`],
//! so nothing downstream can be handed `../x`, `/etc/x` or `a//b`.

use std::fmt;
use std::path::{Path, PathBuf};

/// A relative path with `/` between its segments, none of them empty, `.` or `..`, no NUL, no
/// backslash, no drive letter: joined onto a folder, it always lands inside that folder.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RelPath(String);

/// Why a name cannot be a [`RelPath`]; the text says what the name does wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("an empty name")]
    Empty,
    #[error("an absolute path")]
    Absolute,
    #[error("a Windows drive path")]
    Drive,
    #[error("a `..` segment, which would point outside the archive's folder")]
    Parent,
    #[error("an empty segment (`//`)")]
    EmptySegment,
    #[error("a NUL byte in the name")]
    Nul,
    #[error("a name that is not UTF-8")]
    NotUtf8,
    #[error("a name of {0} bytes, longer than the {MAX_NAME_BYTES} bytes any file system takes")]
    TooLong(usize),
}

/// Longer names are no real file's: Linux's PATH_MAX.
pub const MAX_NAME_BYTES: usize = 4096;

impl RelPath {
    /// Checks an entry name as archives store it. Backslashes count as separators (archives made
    /// on Windows), `.` segments and one trailing `/` (a folder entry) are dropped; anything that
    /// could point outside the folder, or that two tools would read differently, is refused.
    pub fn parse(raw: &str) -> Result<RelPath, NameError> {
        if raw.len() > MAX_NAME_BYTES {
            return Err(NameError::TooLong(raw.len()));
        }
        if raw.contains('\0') {
            return Err(NameError::Nul);
        }
        let name = raw.replace('\\', "/");
        if name.starts_with('/') {
            return Err(NameError::Absolute);
        }
        let bytes = name.as_bytes();
        if bytes.len() >= 3
            && bytes[0].is_ascii_alphabetic()
            && bytes[1] == b':'
            && bytes[2] == b'/'
        {
            return Err(NameError::Drive);
        }
        let name = name.strip_suffix('/').unwrap_or(&name);
        let mut segments: Vec<&str> = Vec::new();
        for segment in name.split('/') {
            match segment {
                "" if name.is_empty() => return Err(NameError::Empty),
                "" => return Err(NameError::EmptySegment),
                "." => {}
                ".." => return Err(NameError::Parent),
                segment => segments.push(segment),
            }
        }
        if segments.is_empty() {
            return Err(NameError::Empty);
        }
        Ok(RelPath(segments.join("/")))
    }

    /// Like [`RelPath::parse`] for raw bytes from a tar header.
    pub fn parse_bytes(raw: &[u8]) -> Result<RelPath, NameError> {
        RelPath::parse(std::str::from_utf8(raw).map_err(|_| NameError::NotUtf8)?)
    }

    /// A path relative to a folder, as walked on disk (every component is a plain name).
    pub fn from_path(path: &Path) -> Result<RelPath, NameError> {
        let text = path.to_str().ok_or(NameError::NotUtf8)?;
        RelPath::parse(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }

    /// The last segment.
    pub fn file_name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or(&self.0)
    }

    /// The path below the first segment, when there is one.
    pub fn strip_first(&self) -> Option<RelPath> {
        self.0
            .split_once('/')
            .map(|(_, rest)| RelPath(rest.to_string()))
    }

    /// The path below `prefix` (a folder of it), when it lies there.
    pub fn strip_prefix(&self, prefix: &RelPath) -> Option<RelPath> {
        self.0
            .strip_prefix(&prefix.0)?
            .strip_prefix('/')
            .map(|rest| RelPath(rest.to_string()))
    }

    /// `self/child`; `child` is itself a checked path, so the result is one too.
    pub fn join(&self, child: &RelPath) -> RelPath {
        RelPath(format!("{}/{}", self.0, child.0))
    }

    /// Where this path lands below `base`: always inside it, by construction.
    pub fn under(&self, base: &Path) -> PathBuf {
        let mut path = base.to_path_buf();
        path.extend(self.segments());
        path
    }
}

impl fmt::Display for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl AsRef<str> for RelPath {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Shows a name from an archive in an error without flooding the terminal: a hostile archive can
/// carry a name of megabytes.
pub fn shown(raw: &str) -> String {
    const SHOWN: usize = 200;
    if raw.len() <= SHOWN {
        return raw.escape_debug().to_string();
    }
    let mut end = SHOWN;
    while !raw.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", raw[..end].escape_debug(), raw.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised_or_refused() {
        let cases: &[(&str, Result<&str, NameError>)] = &[
            ("chart/templates/a.yaml", Ok("chart/templates/a.yaml")),
            ("./chart/values.yaml", Ok("chart/values.yaml")),
            ("chart/./x", Ok("chart/x")),
            ("chart/dir/", Ok("chart/dir")),
            ("chart\\templates\\a.yaml", Ok("chart/templates/a.yaml")),
            ("", Err(NameError::Empty)),
            ("./", Err(NameError::Empty)),
            ("/etc/passwd", Err(NameError::Absolute)),
            ("\\etc\\passwd", Err(NameError::Absolute)),
            ("C:/x", Err(NameError::Drive)),
            ("c:\\x", Err(NameError::Drive)),
            ("c:x", Ok("c:x")),
            ("top/../../x", Err(NameError::Parent)),
            ("..", Err(NameError::Parent)),
            ("top//x", Err(NameError::EmptySegment)),
            ("top/x//", Err(NameError::EmptySegment)),
            ("a\0b", Err(NameError::Nul)),
        ];
        for (raw, want) in cases {
            let got = RelPath::parse(raw);
            match (got, want) {
                (Ok(got), Ok(want)) => assert_eq!(got.as_str(), *want, "{raw:?}"),
                (Err(got), Err(want)) => assert_eq!(&got, want, "{raw:?}"),
                (got, want) => panic!("{raw:?}: got {got:?}, want {want:?}"),
            }
        }
        assert_eq!(
            RelPath::parse(&"a".repeat(5000)),
            Err(NameError::TooLong(5000))
        );
    }

    #[test]
    fn long_names_are_cut_when_shown() {
        let long = "x".repeat(1 << 20);
        let text = shown(&long);
        assert!(text.len() < 300, "{}", text.len());
        assert!(text.ends_with("(1048576 bytes)"));
    }
}
