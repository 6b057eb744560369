//! `olm.skipRange`, in the range syntax OLM uses (blang/semver): comparisons joined by spaces
//! (and) and `||` (or), e.g. `>=4.1.0 <4.1.2` or `< 0.6.0`. Cargo's syntax (commas, `^`, `~`)
//! is not OLM's, hence this parser.

use semver::Version;

#[derive(Debug)]
pub(crate) struct SkipRange {
    /// Any alternative matches when all its comparisons do.
    alternatives: Vec<Vec<Comparison>>,
}

#[derive(Debug)]
struct Comparison {
    op: Op,
    version: Version,
}

#[derive(Debug, Clone, Copy)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl SkipRange {
    pub fn parse(range: &str) -> Result<SkipRange, String> {
        let tokens = tokens(range);
        if tokens.is_empty() {
            return Err("is empty".to_string());
        }
        let mut alternatives = Vec::new();
        for group in tokens.split(|token| token == "||") {
            if group.is_empty() {
                return Err("has a `||` with nothing on one side".to_string());
            }
            let mut comparisons = Vec::new();
            for token in group {
                comparisons.extend(parse_comparison(token)?);
            }
            alternatives.push(comparisons);
        }
        Ok(SkipRange { alternatives })
    }

    pub fn matches(&self, version: &Version) -> bool {
        self.alternatives.iter().any(|comparisons| {
            comparisons.iter().all(|comparison| {
                let order = version.cmp_precedence(&comparison.version);
                match comparison.op {
                    Op::Eq => order.is_eq(),
                    Op::Ne => order.is_ne(),
                    Op::Gt => order.is_gt(),
                    Op::Ge => order.is_ge(),
                    Op::Lt => order.is_lt(),
                    Op::Le => order.is_le(),
                }
            })
        })
    }
}

/// Splits at blanks, except after `<`, `>` or `=` so that `< 0.6.0` stays one comparison, as
/// blang/semver does.
fn tokens(range: &str) -> Vec<String> {
    let mut tokens: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut last = None;
    for c in range.chars() {
        if c.is_whitespace() {
            if !matches!(last, Some('<' | '>' | '=')) && !current.is_empty() {
                tokens.push(std::mem::take(&mut current));
            }
            continue;
        }
        current.push(c);
        last = Some(c);
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens
}

/// One comparison; a wildcard version (`1.2.x`, `1.x`) becomes a pair of bounds.
fn parse_comparison(token: &str) -> Result<Vec<Comparison>, String> {
    let split = token
        .find(|c: char| c.is_ascii_digit())
        .ok_or_else(|| format!("has {token:?}, which holds no version"))?;
    let (op, version) = token.split_at(split);
    let op = match op {
        "" | "=" | "==" => Op::Eq,
        "!" | "!=" => Op::Ne,
        ">" => Op::Gt,
        ">=" => Op::Ge,
        "<" => Op::Lt,
        "<=" => Op::Le,
        other => {
            return Err(format!(
                "has the operator {other:?}; OLM knows <, <=, >, >=, =, != (no ^, ~ or commas)"
            ));
        }
    };
    let parse = |text: &str| {
        Version::parse(text).map_err(|error| format!("has the version {text:?}: {error}"))
    };
    let parts: Vec<&str> = version.split('.').collect();
    let wildcard_at = parts.iter().position(|part| *part == "x");
    let Some(position) = wildcard_at else {
        return Ok(vec![Comparison {
            op,
            version: parse(version)?,
        }]);
    };
    if position == 0 || parts[position..].iter().any(|part| *part != "x") {
        return Err(format!(
            "has the wildcard version {version:?}; write it like 1.2.x or 1.x"
        ));
    }
    let numbers = parts[..position]
        .iter()
        .map(|part| {
            part.parse::<u64>()
                .map_err(|_| format!("has the wildcard version {version:?}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let too_big = || format!("has the wildcard version {version:?}, whose numbers are too big");
    let low = Version::new(numbers[0], numbers.get(1).copied().unwrap_or(0), 0);
    let high = match numbers.as_slice() {
        [major] => Version::new(major.checked_add(1).ok_or_else(too_big)?, 0, 0),
        [major, minor, ..] => Version::new(*major, minor.checked_add(1).ok_or_else(too_big)?, 0),
        [] => return Err(too_big()),
    };
    let bound = |op, version| Comparison { op, version };
    Ok(match op {
        Op::Eq => vec![bound(Op::Ge, low), bound(Op::Lt, high)],
        Op::Ne => {
            return Err(format!(
                "has `!={version}`; a wildcard cannot be excluded in one comparison, write `<{low} || >={high}`"
            ));
        }
        Op::Gt => vec![bound(Op::Ge, high)],
        Op::Ge => vec![bound(Op::Ge, low)],
        Op::Lt => vec![bound(Op::Lt, low)],
        Op::Le => vec![bound(Op::Lt, high)],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_olm_ranges_and_matches_versions() {
        let cases = [
            (">=4.1.0 <4.1.2", "4.1.1", true),
            (">=4.1.0 <4.1.2", "4.1.2", false),
            ("< 0.6.0", "0.5.9", true),
            ("< 0.6.0", "0.6.0", false),
            ("<1.0.0 || >=3.0.0", "3.1.0", true),
            ("<1.0.0 || >=3.0.0", "2.0.0", false),
            ("1.2.x", "1.2.9", true),
            ("1.2.x", "1.3.0", false),
            ("<=1.x", "1.9.9", true),
            (">1.x", "2.0.0", true),
            ("!=1.0.0", "1.0.0", false),
            (">=1.0.0-alpha <1.0.0", "1.0.0-beta", true),
        ];
        for (range, version, expected) in cases {
            let parsed = SkipRange::parse(range).unwrap_or_else(|e| panic!("{range}: {e}"));
            let version = Version::parse(version).unwrap();
            assert_eq!(
                parsed.matches(&version),
                expected,
                "{range} matching {version}"
            );
        }
    }

    #[test]
    fn rejects_what_olm_rejects() {
        for range in [
            "",
            "^1.0.0",
            ">=1.0.0, <2.0.0",
            "~1.2.0",
            "|| <1.0.0",
            "<1.0.0 ||",
            "1.0",
            ">=v1.0.0",
            "x.1",
            "18446744073709551615.x",
        ] {
            assert!(SkipRange::parse(range).is_err(), "{range:?} was accepted");
        }
    }
}
