//! Helpers that let handlebars templates write values into YAML, so that the files generated from
//! templates quote strings the way [`crate::Document::set`] does.
//!
//! ```
//! let mut registry = handlebars::Handlebars::new();
//! // The helpers write YAML, which HTML escaping would spoil.
//! registry.register_escape_fn(handlebars::no_escape);
//! osc_yaml::handlebars::register(&mut registry);
//! let yaml = registry.render_template(
//!     "tag: {{yaml tag}}\nnote: {{text note 2}}\n",
//!     &serde_json::json!({"tag": "1.10", "note": "two\nlines"}),
//! )?;
//! assert_eq!(yaml, "tag: \"1.10\"\nnote: |-\n  two\n  lines\n");
//! # Ok::<(), handlebars::RenderError>(())
//! ```

use ::handlebars::{
    Context, Handlebars, Helper, HelperDef, JsonValue, RenderContext, RenderError,
    RenderErrorReason, ScopedJson, handlebars_helper,
};

use crate::emit;

/// Registers the helpers on `registry`; each writes what follows a `key: ` or `- `:
///
/// - `{{yaml text}}`: the string as [`crate::quote`] writes it, plain when that is safe.
/// - `{{quoted text}}`: the string double-quoted ([`crate::double_quote`]), for values that must
///   stay quoted, such as versions.
/// - `{{text text indent}}`: a string of several lines as a literal block (`|` or `|-`) whose
///   lines are indented by `indent`, when such a block reads back as the string; otherwise as
///   `yaml` writes it.
/// - `{{tree value indent}}`: any value as block YAML starting on the next line, indented by
///   `indent`; an empty mapping or list stays on the key's line as ` {}` or ` []`.
///
/// The registry should not escape HTML (`registry.register_escape_fn(handlebars::no_escape)`).
pub fn register(registry: &mut Handlebars<'_>) {
    registry.register_helper("yaml", Box::new(yaml));
    registry.register_helper("quoted", Box::new(quoted));
    registry.register_helper(
        "text",
        Box::new(Indented {
            name: "text",
            write: |value, indent| match value {
                JsonValue::String(text) => Ok(text_scalar(text, indent)),
                _ => Err(RenderErrorReason::ParamTypeMismatchForName(
                    "text",
                    "0".to_owned(),
                    "string".to_owned(),
                )),
            },
        }),
    );
    registry.register_helper(
        "tree",
        Box::new(Indented {
            name: "tree",
            write: |value, indent| {
                block_tree(value, indent)
                    .map_err(|error| RenderErrorReason::Other(error.to_string()))
            },
        }),
    );
}

handlebars_helper!(yaml: |text: str| emit::quote(text));
handlebars_helper!(quoted: |text: str| emit::double_quote(text));

/// A helper taking a value and the indentation of the lines it writes.
struct Indented {
    name: &'static str,
    write: fn(&JsonValue, usize) -> Result<String, RenderErrorReason>,
}

impl HelperDef for Indented {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        helper: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        let param = |index| {
            helper
                .param(index)
                .map(|param| param.value())
                .ok_or(RenderErrorReason::ParamNotFoundForIndex(self.name, index))
        };
        let value = param(0)?;
        let indent = param(1)?
            .as_u64()
            .and_then(|indent| usize::try_from(indent).ok())
            .ok_or(RenderErrorReason::ParamNotFoundForIndex(self.name, 1))?;
        Ok(ScopedJson::Derived(JsonValue::String((self.write)(
            value, indent,
        )?)))
    }
}

/// A string of several lines as a literal block, else as [`emit::quote`] writes it.
pub(crate) fn text_scalar(text: &str, indent: usize) -> String {
    let body = text.strip_suffix('\n').unwrap_or(text);
    let several_lines = body.contains('\n');
    // Blanks ending a line are invisible in the file and editors strip them, which would change
    // the value; such text stays quoted.
    let trailing_blanks = body.split('\n').any(|line| line.ends_with([' ', '\t']));
    match emit::block(text, false, indent, "\n") {
        Some((indicator, lines)) if several_lines && !trailing_blanks => {
            format!("{indicator}{lines}")
        }
        _ => emit::quote(text),
    }
}

/// `value` dumped as block YAML, each line indented by `indent` and starting with a line break;
/// an empty mapping or list is written after a space on the key's line.
pub(crate) fn block_tree(value: &JsonValue, indent: usize) -> Result<String, serde_norway::Error> {
    let empty = match value {
        JsonValue::Object(object) => object.is_empty().then_some(" {}"),
        JsonValue::Array(items) => items.is_empty().then_some(" []"),
        _ => None,
    };
    if let Some(empty) = empty {
        return Ok(empty.to_owned());
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
