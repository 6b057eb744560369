//! `.helmignore` rules, with the semantics of Helm's `pkg/ignore` (including its quirks), so that the
//! files we package are exactly the files `helm package` packages.

/// The parsed rules of one `.helmignore` plus Helm's default `templates/.?*`.
#[derive(Debug, Default, Clone)]
pub(crate) struct Rules {
    patterns: Vec<Pattern>,
}

#[derive(Debug, Clone)]
struct Pattern {
    glob: String,
    negate: bool,
    must_dir: bool,
    scope: Scope,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Scope {
    /// A rule with a `/` in it is matched against the whole relative path.
    WholePath,
    /// A rule without `/` is matched against the last path component.
    BaseName,
}

/// A `.helmignore` line Helm would refuse
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: `{rule}`: {reason}")]
pub struct RuleError {
    pub line: usize,
    pub rule: String,
    pub reason: String,
}

impl Rules {
    pub(crate) fn parse(text: &str) -> Result<Rules, RuleError> {
        let mut rules = Rules::default();
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (index, line) in text.lines().enumerate() {
            rules.add(line).map_err(|reason| RuleError {
                line: index + 1,
                rule: line.trim().to_string(),
                reason,
            })?;
        }
        Ok(rules)
    }

    /// Helm adds this rule after the user's: editor backups and dotfiles under templates/ never ship.
    pub(crate) fn with_defaults(mut self) -> Rules {
        self.add("templates/.?*")
            .expect("the default rule is valid");
        self
    }

    fn add(&mut self, line: &str) -> Result<(), String> {
        let mut rule = line.trim();
        if rule.is_empty() || rule.starts_with('#') {
            return Ok(());
        }
        if rule.contains("**") {
            return Err("double-star (**) syntax is not supported by Helm".to_string());
        }
        validate_glob(rule)?;
        let negate = rule.starts_with('!');
        if negate {
            rule = &rule[1..];
        }
        let must_dir = rule.ends_with('/');
        if must_dir {
            rule = &rule[..rule.len() - 1];
        }
        let (glob, scope) = if let Some(anchored) = rule.strip_prefix('/') {
            (anchored, Scope::WholePath)
        } else if rule.contains('/') {
            (rule, Scope::WholePath)
        } else {
            (rule, Scope::BaseName)
        };
        self.patterns.push(Pattern {
            glob: glob.to_string(),
            negate,
            must_dir,
            scope,
        });
        Ok(())
    }

    /// Whether Helm leaves `path` (slash-separated, relative to the chart root) out of the chart.
    ///
    /// A negated rule is applied the way Helm applies it: anything it does *not* match is ignored.
    pub(crate) fn ignores(&self, path: &str, is_dir: bool) -> bool {
        if path.is_empty() || path == "." || path == "./" {
            return false;
        }
        for pattern in &self.patterns {
            let subject = match pattern.scope {
                Scope::WholePath => path,
                Scope::BaseName => path.rsplit('/').next().unwrap_or(path),
            };
            if pattern.negate {
                if pattern.must_dir && !is_dir {
                    return true;
                }
                if !glob_match(&pattern.glob, subject) {
                    return true;
                }
                continue;
            }
            if pattern.must_dir && !is_dir {
                continue;
            }
            if glob_match(&pattern.glob, subject) {
                return true;
            }
        }
        false
    }
}

/// Go's `filepath.Match` reports a malformed pattern only when it gets to it; Helm checks each rule
/// against "abc" first, so only errors reachable that way are refused. We refuse every malformed
/// character class and trailing escape, which is what users mean to be told.
fn validate_glob(glob: &str) -> Result<(), String> {
    let chars: Vec<char> = glob.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                if i + 1 >= chars.len() {
                    return Err("a trailing `\\` escapes nothing".to_string());
                }
                i += 2;
            }
            '[' => match class_end(&chars, i) {
                Some(end) => i = end + 1,
                None => return Err("an unterminated character class `[`".to_string()),
            },
            _ => i += 1,
        }
    }
    Ok(())
}

fn class_end(chars: &[char], open: usize) -> Option<usize> {
    let mut i = open + 1;
    if chars.get(i) == Some(&'^') {
        i += 1;
    }
    let mut first = true;
    while i < chars.len() {
        match chars[i] {
            ']' if !first => return Some(i),
            '\\' => i += 2,
            _ => i += 1,
        }
        first = false;
    }
    None
}

/// Go's `filepath.Match` on `/`-separated paths: `*` and `?` never match `/`.
pub(crate) fn glob_match(glob: &str, name: &str) -> bool {
    let glob: Vec<char> = glob.chars().collect();
    let name: Vec<char> = name.chars().collect();
    match_from(&glob, &name)
}

fn match_from(glob: &[char], name: &[char]) -> bool {
    let (mut g, mut n) = (0, 0);
    // Position to retry from after the most recent `*`: (glob index after it, name index it consumed to).
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        if g < glob.len() {
            match glob[g] {
                '*' => {
                    star = Some((g + 1, n));
                    g += 1;
                    continue;
                }
                '?' if name[n] != '/' => {
                    g += 1;
                    n += 1;
                    continue;
                }
                '[' => {
                    if let Some((matched, next)) = match_class(glob, g, name[n])
                        && matched
                    {
                        g = next;
                        n += 1;
                        continue;
                    }
                }
                '\\' if g + 1 < glob.len() && glob[g + 1] == name[n] => {
                    g += 2;
                    n += 1;
                    continue;
                }
                c if c != '?' && c != '[' && c != '\\' && c == name[n] => {
                    g += 1;
                    n += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((after_star, consumed)) if name[consumed] != '/' => {
                star = Some((after_star, consumed + 1));
                g = after_star;
                n = consumed + 1;
            }
            _ => return false,
        }
    }
    glob[g..].iter().all(|&c| c == '*')
}

/// Returns whether `c` is in the class starting at `glob[open] == '['`, and the index after `]`.
fn match_class(glob: &[char], open: usize, c: char) -> Option<(bool, usize)> {
    if c == '/' {
        return Some((false, class_end(glob, open)? + 1));
    }
    let end = class_end(glob, open)?;
    let mut i = open + 1;
    let negated = glob.get(i) == Some(&'^');
    if negated {
        i += 1;
    }
    let mut matched = false;
    while i < end {
        let mut lo = glob[i];
        if lo == '\\' {
            i += 1;
            lo = glob[i];
        }
        i += 1;
        let mut hi = lo;
        if i + 1 < end && glob[i] == '-' {
            hi = glob[i + 1];
            if hi == '\\' {
                i += 1;
                hi = glob[i + 1];
            }
            i += 2;
        }
        if lo <= c && c <= hi {
            matched = true;
        }
    }
    Some((matched != negated, end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matches_like_go_filepath_match() {
        let cases = [
            ("*.txt", "a.txt", true),
            ("*.txt", "dir/a.txt", false),
            ("a?c", "abc", true),
            ("a?c", "a/c", false),
            ("[a-c]x", "bx", true),
            ("[^a-c]x", "bx", false),
            ("[^a-c]x", "dx", true),
            ("\\*", "*", true),
            ("\\*", "a", false),
            ("templates/.?*", "templates/.swp", true),
            ("templates/.?*", "templates/.", false),
            ("templates/.?*", "templates/a.yaml", false),
            ("*", "", true),
            ("a*b*c", "axxbyyc", true),
            ("a*b*c", "axxbyy", false),
        ];
        for (glob, name, want) in cases {
            assert_eq!(glob_match(glob, name), want, "{glob} ~ {name}");
        }
    }

    #[test]
    fn rules_follow_helm() {
        let rules = Rules::parse("# comment\n.git/\n*.tmp\n/secret.txt\nci/*.yaml\n")
            .unwrap()
            .with_defaults();
        let cases = [
            (".git", true, true),
            (".git", false, false),
            ("a/b.tmp", false, true),
            ("secret.txt", false, true),
            ("sub/secret.txt", false, false),
            ("ci/test.yaml", false, true),
            ("templates/.hidden", false, true),
            ("templates/deploy.yaml", false, false),
            ("values.yaml", false, false),
        ];
        for (path, is_dir, want) in cases {
            assert_eq!(rules.ignores(path, is_dir), want, "{path}");
        }
    }

    #[test]
    fn negated_rule_ignores_what_it_does_not_match_as_helm_does() {
        let rules = Rules::parse("!keep.txt\n").unwrap();
        assert!(!rules.ignores("keep.txt", false));
        assert!(rules.ignores("other.txt", false));
    }

    #[test]
    fn bad_rules_are_refused_with_their_line() {
        let err = Rules::parse("ok\nsrc/**/x\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert_eq!(
            err.to_string(),
            "line 2: `src/**/x`: double-star (**) syntax is not supported by Helm"
        );
        let err = Rules::parse("[abc\n").unwrap_err();
        assert_eq!(err.line, 1);
    }
}
