//! Writing mapping.yaml text, with comments, from the handlebars template.

use std::sync::LazyLock;

use handlebars::Handlebars;
use serde::Serialize;

use osc_yaml::quote;

use crate::{EnvImage, Instance, Lifecycle, LifecycleContainer, Mapping, Package};

/// Comment lines to write into a rendered mapping.yaml, without their `# `.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Comments {
    /// At the top of the file.
    pub header: Vec<String>,
    /// `instance[i]` goes above the i-th instance.
    pub instance: Vec<Vec<String>>,
    /// `lifecycle[d][c]` goes above the c-th container of the d-th lifecycle deployment.
    pub lifecycle: Vec<Vec<Vec<String>>>,
}

impl Mapping {
    /// The mapping as YAML text, in the field order of the platform's guide. Values that YAML
    /// would read as something other than a string (`12`, `1.10`, `yes`) are quoted.
    pub fn render(&self, comments: &Comments) -> String {
        let view = View {
            header: comment_lines(&comments.header),
            instance: self
                .instance
                .iter()
                .enumerate()
                .map(|(index, instance)| {
                    let lines = comments.instance.get(index).map_or(&[][..], Vec::as_slice);
                    InstanceView::new(instance, comment_lines(lines))
                })
                .collect(),
            lifecycle: self
                .lifecycle
                .iter()
                .enumerate()
                .map(|(index, lifecycle)| {
                    let comments = comments.lifecycle.get(index).map_or(&[][..], Vec::as_slice);
                    LifecycleView::new(lifecycle, comments)
                })
                .collect(),
        };
        TEMPLATES
            .render(TEMPLATE, &view)
            .expect("the mapping template renders every view: it names only fields View has")
    }
}

const TEMPLATE: &str = "mapping.yaml";

static TEMPLATES: LazyLock<Handlebars<'static>> = LazyLock::new(|| {
    let mut handlebars = Handlebars::new();
    handlebars.set_strict_mode(true);
    // Values are YAML-quoted before they reach the template.
    handlebars.register_escape_fn(handlebars::no_escape);
    handlebars
        .register_template_string(TEMPLATE, include_str!("../templates/mapping.yaml.hbs"))
        .expect("the embedded mapping template parses");
    handlebars
});

#[derive(Serialize)]
struct View {
    header: Vec<String>,
    instance: Vec<InstanceView>,
    lifecycle: Vec<LifecycleView>,
}

#[derive(Serialize)]
struct InstanceView {
    comments: Vec<String>,
    image: String,
    tag: String,
    kind: Option<String>,
    address: Vec<Field>,
    package: Vec<Field>,
}

#[derive(Serialize)]
struct LifecycleView {
    deployment: String,
    containers: Vec<ContainerView>,
}

#[derive(Serialize)]
struct ContainerView {
    comments: Vec<String>,
    container_type: String,
    name: String,
    image: String,
    tag: String,
    package: Vec<Field>,
    env: Vec<EnvView>,
}

#[derive(Serialize)]
struct EnvView {
    name: String,
    image: String,
    tag: String,
    package: Vec<Field>,
}

/// A `name: value` line with the value already written as YAML.
#[derive(Serialize)]
struct Field {
    name: &'static str,
    value: String,
}

impl InstanceView {
    fn new(instance: &Instance, comments: Vec<String>) -> InstanceView {
        InstanceView {
            comments,
            image: quote(&instance.image),
            tag: quote(&instance.tag),
            kind: instance.kind.as_deref().map(quote),
            address: instance
                .address
                .parts()
                .map(|(part, path)| Field {
                    name: part.as_str(),
                    value: quote(path),
                })
                .collect(),
            package: package_fields(&instance.package),
        }
    }
}

impl LifecycleView {
    /// `comments[c]` goes above the c-th container.
    fn new(lifecycle: &Lifecycle, comments: &[Vec<String>]) -> LifecycleView {
        LifecycleView {
            deployment: quote(&lifecycle.deployment),
            containers: lifecycle
                .containers
                .iter()
                .enumerate()
                .map(|(index, container)| {
                    let lines = comments.get(index).map_or(&[][..], Vec::as_slice);
                    ContainerView::new(container, comment_lines(lines))
                })
                .collect(),
        }
    }
}

impl ContainerView {
    fn new(container: &LifecycleContainer, comments: Vec<String>) -> ContainerView {
        ContainerView {
            comments,
            container_type: quote(&container.container_type),
            name: quote(&container.name),
            image: quote(&container.image),
            tag: quote(&container.tag),
            package: package_fields(&container.package),
            env: container.env.iter().map(EnvView::new).collect(),
        }
    }
}

impl EnvView {
    fn new(env: &EnvImage) -> EnvView {
        EnvView {
            name: quote(&env.name),
            image: quote(&env.image),
            tag: quote(&env.tag),
            package: package_fields(&env.package),
        }
    }
}

fn package_fields(package: &Package) -> Vec<Field> {
    [("x86_64", &package.x86_64), ("aarch64", &package.aarch64)]
        .into_iter()
        .filter_map(|(name, tar)| {
            tar.as_deref().map(|tar| Field {
                name,
                value: quote(tar),
            })
        })
        .collect()
}

/// What YAML readers take for a line break: in a comment it would end the comment.
const LINE_BREAKS: [char; 5] = ['\r', '\n', '\u{85}', '\u{2028}', '\u{2029}'];

/// `# text` per line, each line break inside a line turned into a space.
fn comment_lines(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|line| {
            let line = line.replace(LINE_BREAKS, " ");
            if line.is_empty() {
                "#".to_owned()
            } else {
                format!("# {line}")
            }
        })
        .collect()
}
