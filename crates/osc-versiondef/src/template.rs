//! The YAML this crate writes, from the templates under `templates/`; osc-yaml's helpers write
//! the values into them.

use handlebars::Handlebars;
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
    osc_yaml::handlebars::register(&mut registry);
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
