//! Everything the tool prints goes through [`Output`]: results on stdout (text or JSON), status,
//! warnings, errors and progress on stderr, colour only on a terminal (and never with `NO_COLOR`).

use std::io::{IsTerminal, Write};
use std::time::Duration;

use anstyle::{AnsiColor, Style};
use indicatif::{ProgressBar, ProgressStyle};
use osc_diagnostic::{Diagnostic, Severity};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Yaml,
}

pub struct Output {
    format: Format,
    debug: bool,
    stderr_is_terminal: bool,
}

const GREEN: Style = AnsiColor::Green.on_default().bold();
const YELLOW: Style = AnsiColor::Yellow.on_default().bold();
const RED: Style = AnsiColor::Red.on_default().bold();
const CYAN: Style = AnsiColor::Cyan.on_default().bold();
pub const BOLD: Style = Style::new().bold();
pub const DIM: Style = Style::new().dimmed();

impl Output {
    pub fn new(format: Format, debug: bool) -> Output {
        Output {
            format,
            debug,
            stderr_is_terminal: std::io::stderr().is_terminal(),
        }
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// A step of the work, as cargo prints them (`   Packaging etcd 1.2.0`); text mode only, so
    /// JSON consumers get a clean stream.
    pub fn status(&self, verb: &str, message: impl std::fmt::Display) {
        if self.format == Format::Text {
            anstream::eprintln!("{GREEN}{verb:>12}{GREEN:#} {message}");
        }
    }

    pub fn warn(&self, message: impl std::fmt::Display) {
        anstream::eprintln!("{YELLOW}warning{YELLOW:#}: {message}");
    }

    pub fn note(&self, message: impl std::fmt::Display) {
        if self.format == Format::Text {
            anstream::eprintln!("{CYAN}note{CYAN:#}: {message}");
        }
    }

    /// An error and its context, outermost first (`FILE: KEY: what is wrong: what to do`).
    pub fn error(&self, error: &anyhow::Error) {
        let message = error
            .chain()
            .map(|cause| cause.to_string())
            .collect::<Vec<_>>()
            .join(": ");
        anstream::eprintln!("{RED}error{RED:#}: {message}");
        if self.format != Format::Text {
            self.structured(&serde_json::json!({ "ok": false, "error": message }));
        }
    }

    /// One diagnostic on stderr, its file leading, when stdout carries the result itself.
    pub fn diagnostic(&self, diagnostic: &Diagnostic) {
        anstream::eprintln!("{}", diagnostic_text(diagnostic, true));
    }

    /// Diagnostics for people on stdout, grouped by file, then the count of each severity.
    pub fn diagnostics(&self, diagnostics: &[Diagnostic]) {
        let mut file: Option<&str> = None;
        for diagnostic in diagnostics {
            if file != Some(diagnostic.file.as_str()) {
                if file.is_some() {
                    self.text("");
                }
                self.text(format_args!("{BOLD}{}{BOLD:#}", diagnostic.file));
                file = Some(&diagnostic.file);
            }
            self.text(indent(&diagnostic_text(diagnostic, false), "  "));
        }
        if !diagnostics.is_empty() {
            self.text("");
        }
        self.text(summary(diagnostics));
    }

    /// Details for `HELM_DEBUG=true`.
    pub fn debug(&self, message: impl std::fmt::Display) {
        if self.debug {
            anstream::eprintln!("{DIM}debug: {message}{DIM:#}");
        }
    }

    /// The result, for people: stdout.
    pub fn text(&self, text: impl std::fmt::Display) {
        anstream::println!("{text}");
    }

    /// A line for each item, or `empty` when there is none.
    pub fn list<T>(&self, items: &[T], empty: &str, line: impl Fn(&T) -> String) {
        if items.is_empty() {
            self.text(empty);
        }
        for item in items {
            self.text(line(item));
        }
    }

    /// The result, for programs: one JSON or YAML document on stdout.
    pub fn structured<T: Serialize>(&self, value: &T) {
        if self.format == Format::Yaml {
            match serde_norway::to_string(value) {
                Ok(text) => anstream::print!("{text}"),
                Err(error) => anstream::eprintln!(
                    "{RED}error{RED:#}: cannot print the result as YAML: {error}"
                ),
            }
        } else {
            self.json(value);
        }
    }

    fn json<T: Serialize>(&self, value: &T) {
        let mut stdout = std::io::stdout().lock();
        // A closed stdout (`| head`) is the reader's choice, not an error worth a panic.
        let _ = serde_json::to_writer_pretty(&mut stdout, value);
        let _ = writeln!(stdout);
    }

    /// A progress bar on a terminal, for work that takes long enough to wonder about; nothing otherwise.
    pub fn progress(&self, total: u64, label: &str) -> Progress {
        if self.format != Format::Text || !self.stderr_is_terminal || total < 64 * 1024 * 1024 {
            return Progress { bar: None };
        }
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template("{prefix:>12.cyan.bold} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} {eta}")
                .map(|style| style.progress_chars("=> "))
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_prefix(label.to_string());
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress { bar: Some(bar) }
    }

    /// A counter of helm renders on a terminal, drawn only once discovery has taken a second;
    /// `None` off a terminal or for structured output.
    pub fn render_progress(&self) -> Option<RenderProgress> {
        if self.format != Format::Text || !self.stderr_is_terminal {
            return None;
        }
        let bar = ProgressBar::hidden();
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix:>12.cyan.bold} [{bar:30}] {pos}/{len} helm renders",
            )
            .map(|style| style.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_prefix("Discovering");
        Some(RenderProgress {
            bar,
            started: std::time::Instant::now(),
        })
    }
}

/// Discovery's renders, done of planned, drawn on stderr after its first second.
pub struct RenderProgress {
    bar: ProgressBar,
    started: std::time::Instant,
}

impl RenderProgress {
    pub fn update(&self, done: usize, planned: usize) {
        self.bar.set_length(planned as u64);
        self.bar.set_position(done as u64);
        if self.bar.is_hidden() && self.started.elapsed() >= Duration::from_secs(1) {
            self.bar
                .set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    pub fn set(&self, done: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(done);
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// `error[rule]: location: message` and its `help:`; with `with_file`, the file leads.
fn diagnostic_text(diagnostic: &Diagnostic, with_file: bool) -> String {
    let style = severity_style(diagnostic.severity);
    let mut text = format!(
        "{style}{}[{}]{style:#}: ",
        label(diagnostic.severity),
        diagnostic.rule
    );
    if with_file {
        text.push_str(&format!("{BOLD}{}{BOLD:#}: ", diagnostic.file));
    }
    if let Some(location) = &diagnostic.location {
        text.push_str(&format!("{BOLD}{location}{BOLD:#}: "));
    }
    text.push_str(&diagnostic.message);
    text.push('\n');
    text.push_str(&indent(
        &format!("{DIM}help:{DIM:#} {}", diagnostic.help),
        "  ",
    ));
    text
}

/// `2 errors, 1 warning, 3 notes in 4 files`, each count coloured when not zero.
fn summary(diagnostics: &[Diagnostic]) -> String {
    let part = |severity: Severity, noun: &str| {
        let count = osc_diagnostic::count(diagnostics, severity);
        let text = format!("{count} {noun}{}", plural(count));
        if count == 0 {
            text
        } else {
            let style = severity_style(severity);
            format!("{style}{text}{style:#}")
        }
    };
    let files: std::collections::BTreeSet<&str> =
        diagnostics.iter().map(|d| d.file.as_str()).collect();
    format!(
        "{}, {}, {} in {} file{}",
        part(Severity::Error, "error"),
        part(Severity::Warning, "warning"),
        part(Severity::Info, "note"),
        files.len(),
        plural(files.len())
    )
}

/// Info diagnostics print as `note`, as compilers do.
fn label(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn severity_style(severity: Severity) -> Style {
    match severity {
        Severity::Error => RED,
        Severity::Warning => YELLOW,
        Severity::Info => CYAN,
    }
}

fn indent(text: &str, prefix: &str) -> String {
    text.lines()
        .map(|line| format!("{prefix}{line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `good` in green, or `bad` in bold red: how a list marks each item as fine or not.
pub fn mark(ok: bool, good: &str, bad: &str) -> String {
    if ok {
        format!(
            "{}{good}{}",
            AnsiColor::Green.on_default().render(),
            anstyle::Reset.render()
        )
    } else {
        format!("{RED}{bad}{RED:#}")
    }
}

pub fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}
