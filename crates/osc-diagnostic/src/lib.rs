//! The one diagnostic every helm-osc check reports: a rule id, a severity, the file (and the key,
//! field, entry or line inside it), what is wrong, and what to do.
//!
//! Checks in every crate (OLM rules, mapping.yaml, the package's layout, the OSC-format checklist,
//! versionDefinition, lint) return `Vec<Diagnostic>`; the command line prints them all one way.

use std::fmt;

use serde::Serialize;

/// One broken rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// A stable id, e.g. `image-hard-coded`, `olm-one-csv`, `path-missing`.
    pub rule: &'static str,
    pub severity: Severity,
    /// The file the diagnostic is about: relative to the source for its own files, as given for
    /// files the user named, a zip entry inside a package.
    pub file: String,
    /// The key path, field, object or line inside `file`, when the problem is in one place.
    pub location: Option<String>,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub help: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The platform refuses the package, or the service breaks once the platform deploys it.
    Error,
    /// Accepted, but likely to break or not what was meant.
    Warning,
    /// Worth knowing; nothing to fix.
    Info,
}

impl Diagnostic {
    pub fn new(
        rule: &'static str,
        severity: Severity,
        file: impl Into<String>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            rule,
            severity,
            file: file.into(),
            location: None,
            message: message.into(),
            help: help.into(),
        }
    }

    pub fn error(
        rule: &'static str,
        file: impl Into<String>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::new(rule, Severity::Error, file, message, help)
    }

    pub fn warning(
        rule: &'static str,
        file: impl Into<String>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::new(rule, Severity::Warning, file, message, help)
    }

    pub fn info(
        rule: &'static str,
        file: impl Into<String>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::new(rule, Severity::Info, file, message, help)
    }

    /// The same diagnostic, at a key, field, object or line of its file.
    pub fn at(mut self, location: impl Into<String>) -> Diagnostic {
        self.location = Some(location.into());
        self
    }

    /// The same diagnostic, at an optional place.
    pub fn at_maybe(mut self, location: Option<String>) -> Diagnostic {
        self.location = location;
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl Severity {
    /// `error`, `warning` or `info`, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `error[rule]: file: location: message` and an indented `help:` line, for logs and tests; the
/// command line has its own, coloured printer.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]: {}", self.severity, self.rule, self.file)?;
        if let Some(location) = &self.location {
            write!(f, ": {location}")?;
        }
        write!(
            f,
            ": {}\n  help: {}",
            self.message,
            self.help.replace('\n', "\n        ")
        )
    }
}

/// How many of `diagnostics` have `severity`.
pub fn count(diagnostics: &[Diagnostic], severity: Severity) -> usize {
    diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.severity == severity)
        .count()
}

pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(Diagnostic::is_error)
}

/// By file, then severity, then rule; diagnostics that tie keep the order their checks made them.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| (&a.file, a.severity, a.rule).cmp(&(&b.file, b.severity, b.rule)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_and_sorts() {
        let mut all = vec![
            Diagnostic::warning("b-rule", "values.yaml", "w", "do w").at("image.tag"),
            Diagnostic::error("a-rule", "values.yaml", "e", "do e"),
            Diagnostic::info("c-rule", "Chart.yaml", "i", "nothing"),
        ];
        sort(&mut all);
        let rules: Vec<&str> = all.iter().map(|d| d.rule).collect();
        assert_eq!(rules, ["c-rule", "a-rule", "b-rule"]);
        assert_eq!(
            all[2].to_string(),
            "warning[b-rule]: values.yaml: image.tag: w\n  help: do w"
        );
        assert_eq!(count(&all, Severity::Error), 1);
        assert!(has_errors(&all));
    }
}
