//! One report of everything the platform will refuse or break on, from one analysis: the rules of
//! lint itself, and those of the other crates' checks under their own ids.

mod chart;
mod context;
mod csd;
mod helm_lint;
mod images;
mod metadata;
mod operator;
mod package;
pub(crate) mod pods;

use serde::Serialize;

use crate::{Analysis, Diagnostic, Error, Inputs, Kind, Severity, Subject};

pub(crate) use context::Context;

/// What [`lint`] found, sorted by file, then severity, then rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    pub kind: Kind,
    pub findings: Vec<Diagnostic>,
}

impl Report {
    pub fn count(&self, severity: Severity) -> usize {
        osc_diagnostic::count(&self.findings, severity)
    }

    pub fn has_errors(&self) -> bool {
        osc_diagnostic::has_errors(&self.findings)
    }

    /// How many files the findings are about.
    pub fn file_count(&self) -> usize {
        let files: std::collections::BTreeSet<&str> =
            self.findings.iter().map(|f| f.file.as_str()).collect();
        files.len()
    }
}

/// Lints the analysed source with every check that applies to what it is and what else `inputs`
/// gives. Fails only when something outside the source cannot be read.
pub fn lint(analysis: &Analysis, inputs: &Inputs) -> Result<Report, Error> {
    let context = Context::for_source(&analysis.source, inputs);
    let mut findings = Vec::new();
    lint_subject(analysis, &context, &mut findings)?;
    osc_diagnostic::sort(&mut findings);
    Ok(Report {
        kind: analysis.kind(),
        findings,
    })
}

fn lint_subject(
    analysis: &Analysis,
    context: &Context,
    findings: &mut Vec<Diagnostic>,
) -> Result<(), Error> {
    match &analysis.subject {
        Subject::Chart(chart) => chart::lint(&analysis.source, chart, context, findings),
        Subject::Bundle(bundle) => operator::lint(bundle, context, findings),
        Subject::OscFormat(_) => osc_format_findings(&analysis.source, context, findings)?,
        Subject::Package => package::lint(&analysis.source, context, findings)?,
    }
    Ok(())
}

/// A diagnostic of lint's own rules (the other crates build theirs themselves).
pub(crate) fn finding(
    rule: &'static str,
    severity: Severity,
    file: impl Into<String>,
    location: Option<String>,
    message: impl Into<String>,
    help: impl Into<String>,
) -> Diagnostic {
    Diagnostic::new(rule, severity, file, message, help).at_maybe(location)
}

/// A platform rule the whole source breaks.
fn rule_error(broken: osc_package::rules::RuleError, context: &Context) -> Diagnostic {
    finding(
        broken.rule,
        Severity::Error,
        context.root(),
        None,
        broken.problem,
        broken.help,
    )
}

/// An OSC-format package is checked by osc-format's checklist alone: its images live in the
/// CSD and lifecycle.yaml, which no mapping check reads yet.
fn osc_format_findings(
    path: &std::path::Path,
    context: &Context,
    findings: &mut Vec<Diagnostic>,
) -> Result<(), Error> {
    // osc-format compares the archive's or folder's name with metadata.yaml: `.` has none.
    let named = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    for mut found in osc_format::check_archive(&named)? {
        found.file = context.file(&found.file);
        findings.push(found);
    }
    Ok(())
}

/// helm's errors run over several lines, with a `--debug` hint that does not apply here.
pub(crate) fn one_line(error: &str) -> String {
    error
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("Use --debug flag"))
        .collect::<Vec<_>>()
        .join(" ")
}
