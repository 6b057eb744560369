//! The files this crate generates, rendered from the templates under `templates/`, which hold
//! their layout and comments.

use handlebars::{
    Context, Handlebars, Helper, HelperDef, RenderContext, RenderErrorReason, ScopedJson,
    handlebars_helper,
};
use serde::Serialize;

use crate::ConvertError;

const TEMPLATES: [(&str, &str); 5] = [
    ("metadata", include_str!("../templates/metadata.yaml.hbs")),
    ("helm_crd", include_str!("../templates/helm_crd.yaml.hbs")),
    ("csd", include_str!("../templates/csd.yaml.hbs")),
    ("lifecycle", include_str!("../templates/lifecycle.yaml.hbs")),
    ("package", include_str!("../templates/package.yaml.hbs")),
];

pub(crate) struct Renderer {
    registry: Handlebars<'static>,
}

impl Renderer {
    pub fn new() -> Result<Renderer, ConvertError> {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.register_escape_fn(handlebars::no_escape);
        registry.register_helper("yaml", Box::new(yaml));
        registry.register_helper("quoted", Box::new(quoted));
        registry.register_helper("text", Box::new(TextHelper));
        registry.register_helper("tree", Box::new(TreeHelper));
        for (name, template) in TEMPLATES {
            registry
                .register_template_string(name, template)
                .map_err(|error| ConvertError::Template(error.to_string()))?;
        }
        Ok(Renderer { registry })
    }

    pub fn render(&self, name: &str, context: &impl Serialize) -> Result<String, ConvertError> {
        self.registry
            .render(name, context)
            .map_err(|error| ConvertError::Template(error.to_string()))
    }
}

handlebars_helper!(yaml: |text: str| yaml_scalar(text));
handlebars_helper!(quoted: |text: str| double_quoted(text));

/// `{{text value indent}}`: a string on the key's line, or a literal block below it indented by
/// `indent` when it spans several lines.
struct TextHelper;

impl HelperDef for TextHelper {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        helper: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, handlebars::RenderError> {
        let text = param_str(helper, 0, "text")?;
        let indent = param_u64(helper, 1, "text")?;
        Ok(ScopedJson::Derived(serde_json::Value::String(text_scalar(
            &text,
            indent as usize,
        ))))
    }
}

/// `{{tree value indent}}`: a JSON value as YAML starting on the next line, indented by `indent`;
/// empty collections stay on the key's line.
struct TreeHelper;

impl HelperDef for TreeHelper {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        helper: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, handlebars::RenderError> {
        let value = helper
            .param(0)
            .map(|param| param.value().clone())
            .ok_or(RenderErrorReason::ParamNotFoundForIndex("tree", 0))?;
        let indent = param_u64(helper, 1, "tree")?;
        let tree = yaml_tree(&value, indent as usize)
            .map_err(|error| RenderErrorReason::Other(error.to_string()))?;
        Ok(ScopedJson::Derived(serde_json::Value::String(tree)))
    }
}

fn param_str(
    helper: &Helper<'_>,
    index: usize,
    name: &'static str,
) -> Result<String, RenderErrorReason> {
    helper
        .param(index)
        .and_then(|param| param.value().as_str().map(str::to_string))
        .ok_or(RenderErrorReason::ParamNotFoundForIndex(name, index))
}

fn param_u64(
    helper: &Helper<'_>,
    index: usize,
    name: &'static str,
) -> Result<u64, RenderErrorReason> {
    helper
        .param(index)
        .and_then(|param| param.value().as_u64())
        .ok_or(RenderErrorReason::ParamNotFoundForIndex(name, index))
}

/// `value` dumped as YAML, each line indented by `indent`, starting with a newline; an empty
/// mapping or list is written inline after a space.
pub(crate) fn yaml_tree(
    value: &serde_json::Value,
    indent: usize,
) -> Result<String, serde_norway::Error> {
    let empty = match value {
        serde_json::Value::Object(object) => object.is_empty().then_some(" {}"),
        serde_json::Value::Array(items) => items.is_empty().then_some(" []"),
        _ => None,
    };
    if let Some(empty) = empty {
        return Ok(empty.to_string());
    }
    let dumped = serde_norway::to_string(value)?;
    let pad = " ".repeat(indent);
    let mut tree = String::new();
    for line in dumped.lines() {
        tree.push('\n');
        if !line.is_empty() {
            tree.push_str(&pad);
            tree.push_str(line);
        }
    }
    Ok(tree)
}

/// `text` as a YAML scalar that reads back as the same string: plain when that is safe, else
/// double-quoted.
pub(crate) fn yaml_scalar(text: &str) -> String {
    if is_plain_safe(text) {
        text.to_string()
    } else {
        double_quoted(text)
    }
}

/// A multi-line string as a literal block (`|-` or `|`) indented by `indent`, when the block
/// reads back exactly; otherwise as [`yaml_scalar`].
fn text_scalar(text: &str, indent: usize) -> String {
    let body = text.strip_suffix('\n').unwrap_or(text);
    let block_safe = body.contains('\n')
        && !body.starts_with([' ', '\t'])
        && !body.ends_with('\n')
        && !body.chars().any(|c| c.is_control() && c != '\n')
        && body.lines().all(|line| !line.ends_with([' ', '\t']));
    if !block_safe {
        return yaml_scalar(text);
    }
    let chomping = if body.len() == text.len() { "|-" } else { "|" };
    let pad = " ".repeat(indent);
    let mut block = chomping.to_string();
    for line in body.split('\n') {
        block.push('\n');
        if !line.is_empty() {
            block.push_str(&pad);
            block.push_str(line);
        }
    }
    block
}

/// A JSON string is a valid YAML double-quoted scalar with the same meaning.
pub(crate) fn double_quoted(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

fn is_plain_safe(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    let structural = "-?:,[]{}#&*!|>'\"%@`";
    let yaml11_boolean = matches!(
        text.to_ascii_lowercase().as_str(),
        "y" | "n" | "yes" | "no" | "on" | "off"
    );
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
        && !yaml11_boolean
        && reads_back
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_read_back_as_the_same_string() {
        let cases = [
            ("Database", "Database"),
            ("1.10", "\"1.10\""),
            ("on", "\"on\""),
            (
                "Broadcom, Inc. All Rights Reserved.",
                "Broadcom, Inc. All Rights Reserved.",
            ),
            ("a: b", "\"a: b\""),
            ("", "\"\""),
        ];
        for (text, expected) in cases {
            assert_eq!(yaml_scalar(text), expected, "{text:?}");
        }
    }

    #[test]
    fn multi_line_text_becomes_a_block_that_reads_back() {
        for text in [
            "one line",
            "two\nlines",
            "ends with a newline\n\nafter a blank line\n",
            " leading blank\nline",
            "trailing blank \nline",
            "tab\tinside\nline",
        ] {
            let written = format!("key: {}\n", text_scalar(text, 2));
            let read: std::collections::BTreeMap<String, String> =
                serde_norway::from_str(&written).unwrap();
            assert_eq!(read["key"], text, "{written}");
        }
    }
}
