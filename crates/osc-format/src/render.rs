//! The files this crate generates, rendered from the templates under `templates/`, which hold
//! their layout and comments; osc-yaml's helpers write the values into them.

use handlebars::Handlebars;
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
        osc_yaml::handlebars::register(&mut registry);
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
