//! Writing mapping.yaml text, with comments, from the handlebars template.

use std::sync::LazyLock;

use handlebars::Handlebars;
use serde::Serialize;

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
            image: scalar(&instance.image),
            tag: scalar(&instance.tag),
            kind: instance.kind.as_deref().map(scalar),
            address: instance
                .address
                .parts()
                .map(|(part, path)| Field {
                    name: part.as_str(),
                    value: scalar(path),
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
            deployment: scalar(&lifecycle.deployment),
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
            container_type: scalar(&container.container_type),
            name: scalar(&container.name),
            image: scalar(&container.image),
            tag: scalar(&container.tag),
            package: package_fields(&container.package),
            env: container.env.iter().map(EnvView::new).collect(),
        }
    }
}

impl EnvView {
    fn new(env: &EnvImage) -> EnvView {
        EnvView {
            name: scalar(&env.name),
            image: scalar(&env.image),
            tag: scalar(&env.tag),
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
                value: scalar(tar),
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

/// A string as a YAML scalar that every YAML reader takes for that string: plain when that is
/// safe, else double-quoted.
pub(crate) fn scalar(text: &str) -> String {
    if reads_back_plain(text) {
        text.to_owned()
    } else {
        double_quoted(text)
    }
}

fn reads_back_plain(text: &str) -> bool {
    // YAML 1.1 readers (Go's yaml.v2, PyYAML) also take these for booleans and numbers.
    const YAML_1_1_WORDS: [&str; 6] = ["y", "n", "yes", "no", "on", "off"];
    let number_like = text.replace('_', "").parse::<f64>().is_ok();
    let word = YAML_1_1_WORDS.contains(&text.to_ascii_lowercase().as_str());
    let plain_output = serde_norway::to_string(text).is_ok_and(|yaml| yaml == format!("{text}\n"));
    let breaks = text.contains(LINE_BREAKS);
    !text.is_empty() && !number_like && !word && !breaks && plain_output
}

fn double_quoted(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for ch in text.chars() {
        match ch {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\t' => quoted.push_str("\\t"),
            ch if ch.is_control() || LINE_BREAKS.contains(&ch) => {
                quoted.push_str(&format!("\\u{:04x}", u32::from(ch)));
            }
            ch => quoted.push(ch),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_that_yaml_would_not_read_as_the_same_string_are_quoted() {
        let cases = [
            ("3.5.0", "3.5.0"),
            ("3.4.14-debian-10-r44", "3.4.14-debian-10-r44"),
            ("bitnami/etcd", "bitnami/etcd"),
            ("image.tag", "image.tag"),
            ("sidecars[0].image", "sidecars[0].image"),
            ("etcd-3.5.0.tar", "etcd-3.5.0.tar"),
            ("12", "\"12\""),
            ("1.10", "\"1.10\""),
            ("1_000", "\"1_000\""),
            ("1e3", "\"1e3\""),
            ("inf", "\"inf\""),
            ("true", "\"true\""),
            ("yes", "\"yes\""),
            ("Off", "\"Off\""),
            ("null", "\"null\""),
            ("~", "\"~\""),
            ("", "\"\""),
            ("a: b", "\"a: b\""),
            ("#x", "\"#x\""),
            ("- x", "\"- x\""),
            ("say \"hi\"\n", "\"say \\\"hi\\\"\\n\""),
            ("\u{7}", "\"\\u0007\""),
            ("a\u{2028}b", "\"a\\u2028b\""),
        ];
        for (text, expected) in cases {
            assert_eq!(scalar(text), expected, "{text:?}");
            let read: String = serde_norway::from_str(&scalar(text)).unwrap();
            assert_eq!(read, text);
        }
    }
}
