//! The rules a versionDefinition must keep to work on the platform.

use std::collections::HashSet;

use osc_yaml::{Path, Segment};

use crate::{Diagnostic, Mode, Severity, Target, VersionDefinition};
use osc_imageref::{ImageRef, is_valid_tag};

/// Checks `definition` against the values.yaml or sample custom resource its `path` points into.
///
/// Diagnostics come in a stable order: tags, then path, then the value found there; each names
/// `file`, where the definition was written (csd.yaml, or the flags that gave it).
pub fn validate(definition: &VersionDefinition, target: &Target, file: &str) -> Vec<Diagnostic> {
    let mut findings = validate_fields(definition, target);
    for finding in &mut findings {
        finding.file = file.to_string();
    }
    findings
}

fn validate_fields(definition: &VersionDefinition, target: &Target) -> Vec<Diagnostic> {
    let mut findings = Vec::new();
    check_tags(&definition.tags, &mut findings);
    if let Some(current) = check_path(definition, target, &mut findings) {
        check_value(definition, &current, &mut findings);
    }
    if let Target::Values { .. } = target {
        findings.push(warning(
            "versiondef-helm-upgrade",
            "versionDefinition",
            "the OSC user guide says instances of Helm services cannot be upgraded or rolled back, \
             although the provider guide allows a versionDefinition for Helm",
            "keep it if the platform upgrades your Helm instances in a trial; otherwise drop it or ship the service as an operator",
        ));
    }
    findings
}

fn check_tags(tags: &[String], findings: &mut Vec<Diagnostic>) {
    if tags.is_empty() {
        findings.push(error(
            "versiondef-tags-empty",
            "versionDefinition.tags",
            "lists no tag, so users have no version to upgrade to",
            "list every version an instance may run, the current one included, e.g. `tags: [\"1.0.0\", \"1.1.0\"]`",
        ));
    }
    let mut seen = HashSet::new();
    for (index, tag) in tags.iter().enumerate() {
        let field = format!("versionDefinition.tags[{index}]");
        if !is_valid_tag(tag) {
            findings.push(error(
                "versiondef-tag-invalid",
                &field,
                format!("`{tag}` is not a valid image tag"),
                "a tag is 1 to 128 letters, digits, `_`, `.` or `-`, and starts with a letter, digit or `_`",
            ));
        }
        if !seen.insert(tag.as_str()) {
            findings.push(error(
                "versiondef-tags-duplicate",
                &field,
                format!("`{tag}` is listed twice"),
                "list each tag once",
            ));
        }
    }
}

/// What `path` leads to.
enum Found {
    Missing,
    Text(String),
    /// A number or boolean, as YAML or JSON prints it.
    NotText(String),
    Empty,
    Container(&'static str),
}

/// Resolves the path and reports where it goes wrong; returns the scalar text found there.
fn check_path(
    definition: &VersionDefinition,
    target: &Target,
    findings: &mut Vec<Diagnostic>,
) -> Option<String> {
    let field = "versionDefinition.path";
    let text = definition.path.as_str();
    let path = match Path::parse(text) {
        Ok(path) => path,
        Err(problem) => {
            findings.push(error(
                "versiondef-path-syntax",
                field,
                problem.to_string(),
                "write a dotted path such as `image.tag` or `spec.image`",
            ));
            return None;
        }
    };
    let (found, place) = match target {
        Target::Values { values_yaml } => {
            let values = match parse_values(values_yaml) {
                Ok(values) => values,
                Err(message) => {
                    findings.push(error(
                        "versiondef-values-invalid",
                        field,
                        format!("values.yaml cannot be read: {message}"),
                        "fix values.yaml first; the path is looked up in it",
                    ));
                    return None;
                }
            };
            // `spec.` addresses values.yaml through the custom resource that wraps it; a chart may
            // also have a real top-level `spec` key, so the path as written is tried as well.
            let mut candidates = Vec::new();
            let unprefixed = match path.segments() {
                [Segment::Key(first), rest @ ..] if first == "spec" && !rest.is_empty() => {
                    Some(rest)
                }
                _ => None,
            };
            candidates.extend(unprefixed);
            candidates.push(path.segments());
            let found = candidates
                .iter()
                .map(|segments| lookup_yaml(&values, segments))
                .find(|found| !matches!(found, Found::Missing))
                .unwrap_or(Found::Missing);
            (found, "values.yaml".to_string())
        }
        Target::Operator { kind, example } => {
            if !matches!(path.segments(), [Segment::Key(first), _, ..] if first == "spec") {
                findings.push(error(
                    "versiondef-path-root",
                    field,
                    format!("`{text}` does not start at `spec.`"),
                    format!(
                        "write the path from the root of the {kind} custom resource, e.g. `spec.image`"
                    ),
                ));
                return None;
            }
            (
                lookup_json(example, path.segments()),
                format!("the {kind} example custom resource"),
            )
        }
    };
    match found {
        Found::Text(value) => Some(value),
        Found::Missing => {
            findings.push(error(
                "versiondef-path-missing",
                field,
                format!("`{text}` does not exist in {place}"),
                format!("point the path at the key of {place} that holds the image tag or address"),
            ));
            None
        }
        Found::Container(kind) => {
            findings.push(error(
                "versiondef-path-not-scalar",
                field,
                format!("`{text}` in {place} is a {kind}, not an image tag or address"),
                "point the path at the string inside it, e.g. `image.tag` rather than `image`",
            ));
            None
        }
        Found::Empty => {
            findings.push(warning(
                "versiondef-value-empty",
                field,
                format!("`{text}` in {place} is empty, so what it holds cannot be checked against the mode and tags"),
                "set the current tag or image address there, so a new instance starts at a listed version",
            ));
            None
        }
        Found::NotText(value) => {
            findings.push(warning(
                "versiondef-value-not-string",
                field,
                format!("`{text}` in {place} is the unquoted {value}, not a string; YAML drops text such as the trailing zero of `1.10`"),
                "quote the value in the file, e.g. `\"1.10\"`",
            ));
            Some(value)
        }
    }
}

fn check_value(definition: &VersionDefinition, value: &str, findings: &mut Vec<Diagnostic>) {
    let field = "versionDefinition.mode";
    let path = &definition.path;
    let looks_like_reference = value.contains(['/', ':', '@']);
    let current_tag = match definition.mode {
        Mode::Tag if is_valid_tag(value) => Some(value.to_string()),
        Mode::Tag if looks_like_reference => {
            findings.push(error(
                "versiondef-mode-mismatch",
                field,
                format!("mode is tag, but `{path}` holds `{value}`, a whole image reference; the platform would replace it with a bare tag"),
                "use mode url, or point the path at the key that holds only the tag",
            ));
            None
        }
        Mode::Tag => {
            findings.push(error(
                "versiondef-mode-mismatch",
                field,
                format!("mode is tag, but `{path}` holds `{value}`, which is not an image tag"),
                "point the path at the key that holds the image tag",
            ));
            None
        }
        Mode::Url if !looks_like_reference && is_valid_tag(value) => {
            findings.push(error(
                "versiondef-mode-mismatch",
                field,
                format!("mode is url, but `{path}` holds `{value}`, a bare tag; the platform expects a whole image address there"),
                "use mode tag, or point the path at the key that holds the whole image address",
            ));
            None
        }
        Mode::Url => match ImageRef::parse(value) {
            Err(problem) => {
                findings.push(error(
                    "versiondef-mode-mismatch",
                    field,
                    format!("mode is url, but `{path}` holds `{value}`, which is not an image reference: {problem}"),
                    "point the path at the key that holds the whole image address, e.g. `example/kafka:2.2.1`",
                ));
                None
            }
            Ok(reference) if reference.digest().is_some() => {
                findings.push(error(
                    "versiondef-url-digest",
                    field,
                    format!("`{path}` holds `{value}`, whose digest pins the image whatever tag the platform writes"),
                    "drop the `@sha256:...` part so the tag decides the image",
                ));
                reference.tag().map(str::to_string)
            }
            Ok(reference) if reference.tag().is_none() => {
                findings.push(warning(
                    "versiondef-url-no-tag",
                    field,
                    format!("`{path}` holds `{value}`, which has no tag, so the instance does not run any listed version"),
                    "write the current tag into the address, e.g. `example/kafka:2.2.1`",
                ));
                None
            }
            Ok(reference) => reference.tag().map(str::to_string),
        },
    };
    let unlisted = current_tag.filter(|tag| !definition.tags.iter().any(|listed| listed == tag));
    if let Some(tag) = unlisted {
        findings.push(warning(
            "versiondef-current-not-listed",
            "versionDefinition.tags",
            format!("the current version `{tag}` (from `{path}`) is not among the tags"),
            format!("add \"{tag}\" to the tags, so instances created at the current version can be upgraded"),
        ));
    }
}

fn parse_values(values_yaml: &str) -> Result<serde_norway::Value, String> {
    let mut values: serde_norway::Value =
        serde_norway::from_str(values_yaml).map_err(|error| error.to_string())?;
    values.apply_merge().map_err(|error| error.to_string())?;
    Ok(values)
}

fn lookup_yaml(root: &serde_norway::Value, segments: &[Segment]) -> Found {
    use serde_norway::Value;
    let mut node = root;
    for segment in segments {
        let next = match (segment, node) {
            (Segment::Key(key), Value::Mapping(mapping)) => mapping.get(key.as_str()),
            (Segment::Index(index), Value::Sequence(items)) => items.get(*index),
            _ => None,
        };
        match next {
            Some(next) => node = next,
            None => return Found::Missing,
        }
    }
    match node {
        Value::String(text) if text.is_empty() => Found::Empty,
        Value::String(text) => Found::Text(text.clone()),
        Value::Null => Found::Empty,
        Value::Number(number) => Found::NotText(number.to_string()),
        Value::Bool(flag) => Found::NotText(flag.to_string()),
        Value::Sequence(_) => Found::Container("list"),
        Value::Mapping(_) => Found::Container("mapping"),
        Value::Tagged(_) => Found::Container("tagged value"),
    }
}

fn lookup_json(root: &serde_json::Value, segments: &[Segment]) -> Found {
    use serde_json::Value;
    let mut node = root;
    for segment in segments {
        let next = match (segment, node) {
            (Segment::Key(key), Value::Object(object)) => object.get(key),
            (Segment::Index(index), Value::Array(items)) => items.get(*index),
            _ => None,
        };
        match next {
            Some(next) => node = next,
            None => return Found::Missing,
        }
    }
    match node {
        Value::String(text) if text.is_empty() => Found::Empty,
        Value::String(text) => Found::Text(text.clone()),
        Value::Null => Found::Empty,
        Value::Number(number) => Found::NotText(number.to_string()),
        Value::Bool(flag) => Found::NotText(flag.to_string()),
        Value::Array(_) => Found::Container("list"),
        Value::Object(_) => Found::Container("mapping"),
    }
}

fn error(
    rule: &'static str,
    field: &str,
    message: impl Into<String>,
    help: impl Into<String>,
) -> Diagnostic {
    finding(rule, Severity::Error, field, message, help)
}

fn warning(
    rule: &'static str,
    field: &str,
    message: impl Into<String>,
    help: impl Into<String>,
) -> Diagnostic {
    finding(rule, Severity::Warning, field, message, help)
}

fn finding(
    rule: &'static str,
    severity: Severity,
    field: &str,
    message: impl Into<String>,
    help: impl Into<String>,
) -> Diagnostic {
    // The file is set by `validate`, which knows where the definition was written.
    Diagnostic::new(rule, severity, "", message, help).at(field)
}
