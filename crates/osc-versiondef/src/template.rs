//! The YAML this crate writes, from the templates under `templates/`.

use handlebars::{Handlebars, handlebars_helper};
use serde::Serialize;

use crate::{Error, VersionDefinition};

const VERSION_DEFINITION: &str = include_str!("../templates/version_definition.yaml.hbs");
const CSD: &str = include_str!("../templates/csd.yaml.hbs");

#[derive(Serialize)]
struct Context<'a> {
    description: Option<&'a str>,
    mode: &'static str,
    path: &'a str,
    tags: &'a [String],
}

/// The versionDefinition mapping, unindented, each line ending in a newline.
pub(crate) fn version_definition(definition: &VersionDefinition) -> Result<String, Error> {
    render("version_definition", definition)
}

/// A minimal csd.yaml holding `definition`.
pub(crate) fn csd(definition: &VersionDefinition) -> Result<String, Error> {
    render("csd", definition)
}

fn render(name: &str, definition: &VersionDefinition) -> Result<String, Error> {
    let template_error = |error: &dyn std::fmt::Display| Error::Template(error.to_string());
    let mut registry = Handlebars::new();
    registry.set_strict_mode(true);
    registry.register_escape_fn(handlebars::no_escape);
    registry.register_helper("yaml", Box::new(yaml));
    registry.register_helper("quoted", Box::new(quoted));
    registry
        .register_partial("version_definition", VERSION_DEFINITION)
        .map_err(|error| template_error(&error))?;
    registry
        .register_template_string("version_definition", VERSION_DEFINITION)
        .map_err(|error| template_error(&error))?;
    registry
        .register_template_string("csd", CSD)
        .map_err(|error| template_error(&error))?;
    let context = Context {
        description: definition.description.as_deref(),
        mode: definition.mode.as_str(),
        path: &definition.path,
        tags: &definition.tags,
    };
    registry
        .render(name, &context)
        .map_err(|error| template_error(&error))
}

handlebars_helper!(yaml: |text: str| yaml_scalar(text));
handlebars_helper!(quoted: |text: str| double_quoted(text));

/// `text` as a YAML scalar that reads back as the same string: plain when that is safe, else
/// double-quoted.
pub(crate) fn yaml_scalar(text: &str) -> String {
    if is_plain_safe(text) {
        text.to_string()
    } else {
        double_quoted(text)
    }
}

/// A JSON string is a valid YAML double-quoted scalar with the same meaning.
fn double_quoted(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

fn is_plain_safe(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    let structural = "-?:,[]{}#&*!|>'\"%@`";
    let reads_back = matches!(
        serde_norway::from_str::<serde_norway::Value>(text),
        Ok(serde_norway::Value::String(ref read)) if read == text
    );
    !structural.contains(first)
        && !first.is_whitespace()
        && !text.ends_with(char::is_whitespace)
        && !text.ends_with(':')
        && !text.contains(": ")
        && !text.contains(" #")
        && !text.chars().any(char::is_control)
        && reads_as_string(text)
        && reads_back
}

/// Whether a plain scalar is a string both to YAML 1.2 and to YAML 1.1 readers such as go-yaml v2
/// (used by sigs.k8s.io/yaml), which also take `yes`, `no`, `on` and `off` for booleans.
pub(crate) fn reads_as_string(plain: &str) -> bool {
    let yaml11_boolean = matches!(
        plain.to_ascii_lowercase().as_str(),
        "y" | "n" | "yes" | "no" | "on" | "off"
    );
    !yaml11_boolean
        && matches!(
            serde_norway::from_str(plain),
            Ok(serde_norway::Value::String(_))
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_read_back_as_the_same_string() {
        let cases = [
            ("image.tag", "image.tag"),
            ("spec.image", "spec.image"),
            ("1.10", "\"1.10\""),
            ("2", "\"2\""),
            ("yes", "\"yes\""),
            ("", "\"\""),
            ("a: b", "\"a: b\""),
            ("- x", "\"- x\""),
            ("two\nlines", "\"two\\nlines\""),
            ("Upgrade restarts pods", "Upgrade restarts pods"),
        ];
        for (text, expected) in cases {
            let written = yaml_scalar(text);
            assert_eq!(written, expected, "{text:?}");
            let read: String = serde_norway::from_str(&written).unwrap();
            assert_eq!(read, text);
        }
    }
}
