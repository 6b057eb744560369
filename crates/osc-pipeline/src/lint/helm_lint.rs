//! `helm lint` run as a subprocess, its `[ERROR] file: message` lines read into findings.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::Context;
use super::finding;
use crate::{Diagnostic as Finding, Helm, Severity};

const RULE: &str = "helm-lint";

/// Runs `helm lint CHART [-f FILE]... --namespace NS` and turns each message into a finding.
pub(crate) fn lint(helm: &Helm, chart: &Path, context: &Context, findings: &mut Vec<Finding>) {
    let mut args: Vec<OsString> = vec!["lint".into(), "--namespace".into()];
    args.push(context.namespace.into());
    for file in context.values_files {
        args.push("--values".into());
        args.push(values_flag_value(file));
    }
    args.extend(["--".into(), chart.into()]);
    let output = match helm.run(&args) {
        Ok(output) => output,
        Err(error) => {
            findings.push(finding(
                RULE,
                Severity::Error,
                context.root(),
                None,
                format!("cannot run `{} lint`: {error}", helm.bin().display()),
                "check the path of the helm executable (HELM_BIN)",
            ));
            return;
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let messages = parse(&stdout);
    let failed_silently = !output.success
        && !messages
            .iter()
            .any(|message| message.severity == Severity::Error);
    let chart_dir = std::fs::canonicalize(chart).unwrap_or_else(|_| chart.to_owned());
    for mut message in messages {
        message.file = relative_to_chart(&message.file, chart, &chart_dir);
        if message.file == "Chart.yaml" && message.text == "icon is recommended" {
            // The platform ignores `icon` and shows logo.png; `logo-missing` says so.
            continue;
        }
        findings.push(finding(
            RULE,
            message.severity,
            context.file(&message.file),
            message.location,
            message.text,
            help(message.severity),
        ));
    }
    if failed_silently {
        let stderr = String::from_utf8_lossy(&output.stderr);
        findings.push(finding(
            RULE,
            Severity::Error,
            context.root(),
            None,
            format!("`helm lint` failed: {}", stderr.trim()),
            "fix what helm says; `helm lint` must pass for the platform to install the chart",
        ));
    }
}

/// helm names chart-level problems by the chart's path, absolute or as given.
fn relative_to_chart(file: &str, chart: &Path, chart_dir: &Path) -> String {
    let file_path = Path::new(file);
    if file_path == chart || file_path == chart_dir {
        return String::new();
    }
    match file_path.strip_prefix(chart_dir) {
        Ok(inside) => inside.to_string_lossy().into_owned(),
        Err(_) => file.to_owned(),
    }
}

fn help(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "fix what helm says: the platform installs the chart with Helm",
        Severity::Warning | Severity::Info => {
            "see what helm says; `helm lint` reports it for every chart"
        }
    }
}

/// One message of `helm lint`.
#[derive(Debug, PartialEq, Eq)]
struct Message {
    severity: Severity,
    /// Relative to the chart, as helm prints it (`templates/`, `values.yaml`, or empty).
    file: String,
    location: Option<String>,
    text: String,
}

/// Reads `[LEVEL] file: message` lines; lines that follow one and are indented continue it.
fn parse(stdout: &str) -> Vec<Message> {
    let mut messages: Vec<Message> = Vec::new();
    let mut continuing = false;
    for line in stdout.lines() {
        let levels = [
            ("[ERROR] ", Severity::Error),
            ("[WARNING] ", Severity::Warning),
            ("[INFO] ", Severity::Info),
        ];
        let started = levels
            .iter()
            .find_map(|(prefix, severity)| Some((line.strip_prefix(prefix)?, *severity)));
        if let Some((rest, severity)) = started {
            let (file, text) = rest.split_once(": ").unwrap_or(("", rest));
            messages.push(Message {
                severity,
                file: file.to_owned(),
                location: None,
                text: text.trim().to_owned(),
            });
            continuing = true;
        } else if continuing && line.starts_with([' ', '\t']) && !line.trim().is_empty() {
            if let Some(last) = messages.last_mut() {
                last.text.push(' ');
                last.text.push_str(line.trim());
            }
        } else {
            continuing = false;
        }
    }
    for message in &mut messages {
        place_template_error(message);
    }
    messages
}

/// helm files template errors under `templates/` and names the template and line in the
/// text (`mychart/templates/cm.yaml:3:18 executing …`); the finding names them instead.
fn place_template_error(message: &mut Message) {
    if message.file != "templates/" {
        return;
    }
    let Some((first, rest)) = message.text.split_once(' ') else {
        return;
    };
    let mut parts = first.rsplitn(3, ':');
    let (Some(column), Some(line), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
        return;
    };
    let numeric = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    let Some((_chart, template)) = path.split_once('/') else {
        return;
    };
    if !numeric(line) || !numeric(column) || !template.starts_with("templates/") {
        return;
    }
    message.location = Some(format!("line {line}, column {column}"));
    message.file = template.to_owned();
    message.text = rest.to_owned();
}

/// helm reads `--values` as a comma-separated list, so a path with a comma or quote is quoted.
fn values_flag_value(path: &Path) -> OsString {
    match path.to_str() {
        Some(text) if text.contains([',', '"']) => {
            format!("\"{}\"", text.replace('"', "\"\"")).into()
        }
        _ => PathBuf::from(path).into_os_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(severity: Severity, file: &str, location: Option<&str>, text: &str) -> Message {
        Message {
            severity,
            file: file.to_owned(),
            location: location.map(str::to_owned),
            text: text.to_owned(),
        }
    }

    #[test]
    fn reads_helms_lines() {
        let stdout = "==> Linting bad\n\
            [INFO] Chart.yaml: icon is recommended\n\
            [ERROR] templates/: bad/templates/cm.yaml:3:18\n  \
            executing \"bad/templates/cm.yaml\" at <.Values.x.y>:\n    \
            nil pointer evaluating interface {}.y\n\
            [WARNING] templates/cm.yaml: object name does not conform\n\
            [ERROR] : unable to load chart\n\
            \tcannot load values.yaml: boom\n\
            \n\
            1 chart(s) linted, 1 chart(s) failed\n";
        assert_eq!(
            parse(stdout),
            vec![
                message(Severity::Info, "Chart.yaml", None, "icon is recommended"),
                message(
                    Severity::Error,
                    "templates/cm.yaml",
                    Some("line 3, column 18"),
                    "executing \"bad/templates/cm.yaml\" at <.Values.x.y>: nil pointer evaluating interface {}.y"
                ),
                message(
                    Severity::Warning,
                    "templates/cm.yaml",
                    None,
                    "object name does not conform"
                ),
                message(
                    Severity::Error,
                    "",
                    None,
                    "unable to load chart cannot load values.yaml: boom"
                ),
            ]
        );
    }

    #[test]
    fn values_paths_with_commas_are_quoted() {
        assert_eq!(values_flag_value(Path::new("a/v.yaml")), "a/v.yaml");
        assert_eq!(values_flag_value(Path::new("a,b.yaml")), "\"a,b.yaml\"");
    }
}
