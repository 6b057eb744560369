//! Images no values key reaches: found in discovery's hard-coded and partial images, and by
//! reading every string of the rendered objects for image references.

use osc_imageref::ImageRef;
use osc_render::{AddressPart, Discovery, Rendered};
use serde::Serialize;
use serde_norway::Value;

/// An image the platform's rewrite leaves at its old address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unmovable {
    pub kind: UnmovableKind,
    /// The image reference as written.
    pub image: String,
    /// The template that renders it.
    pub source: String,
    /// `Kind/name` of the object.
    pub object: String,
    /// The field inside the object, e.g. `spec.template.spec.containers[0].args[2]`.
    pub field: String,
    /// What the provider can change upstream.
    pub help: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnmovableKind {
    /// The template writes the image itself.
    HardCoded,
    /// A key makes up only a piece of the address (an organisation in the middle of a path).
    PartialKey,
    /// In a container's `args` or `command`.
    InArgs,
    /// One env value lists several images (`name=image` lines).
    SeveralInEnv,
    /// In a ConfigMap, a custom resource or another object that is not a pod.
    InOtherObject,
}

pub(crate) fn unmovable(discovery: &Discovery, rendered: &Rendered) -> Vec<Unmovable> {
    let mut found = Vec::new();
    // Fields of objects that discovery read as images: whole values of keys, or reported here
    // with what discovery knows.
    let mut read: Vec<(String, String)> = Vec::new();
    // Arguments discovery read as images: `(Kind/name, args[i], the image)`.
    let mut read_args: Vec<(String, String, String)> = Vec::new();
    for image in &discovery.images {
        for use_ in &image.uses {
            let object = format!("{}/{}", use_.kind, use_.object);
            match &use_.field {
                osc_render::ImageField::Object { path } => read.push((object, path.clone())),
                osc_render::ImageField::Arg { path } => {
                    read_args.push((object, path.clone(), use_.raw.clone()));
                }
                _ => {}
            }
        }
    }
    for image in &discovery.images {
        // A piece inside the tag (`{{ .Values.tag }}-distroless`) stays as it is: the platform
        // pushes the image under the tag the chart renders, so only pieces of the registry or
        // path pin it to its old place.
        let tag = image.reference.tag().unwrap_or_default();
        let partial = image.keys.iter().any(|key| {
            key.part == AddressPart::Partial
                && !key.rendered.as_deref().is_some_and(|piece| {
                    !piece.is_empty()
                        && tag.contains(piece)
                        && !image.reference.name().contains(piece)
                })
        });
        let object_field = image
            .uses
            .iter()
            .all(|use_| matches!(use_.field, osc_render::ImageField::Object { .. }));
        let arg_field = image
            .uses
            .iter()
            .all(|use_| matches!(use_.field, osc_render::ImageField::Arg { .. }));
        let (kind, help) = if image.keys.is_empty() && arg_field {
            (
                UnmovableKind::InArgs,
                "render the argument from a values key (e.g. `--image={{ .Values.x.image }}`) so mapping.yaml can name it, or pass the image through an env var the container reads",
            )
        } else if image.keys.is_empty() && object_field {
            (
                UnmovableKind::InOtherObject,
                "the platform rewrites only values.yaml: render this field from a values key (e.g. `image: {{ .Values.x.image }}`) so mapping.yaml can name it",
            )
        } else if image.keys.is_empty() {
            (
                UnmovableKind::HardCoded,
                "take the image from values.yaml (e.g. `image: {{ .Values.image.repository }}:{{ .Values.image.tag }}`) so mapping.yaml can name its keys",
            )
        } else if partial {
            (
                UnmovableKind::PartialKey,
                "build the reference from whole parts (registry, repository, tag) or one whole-reference key: the platform can only replace a key's whole value",
            )
        } else {
            continue;
        };
        for use_ in &image.uses {
            found.push(Unmovable {
                kind,
                image: use_.raw.clone(),
                source: use_.source.clone(),
                object: format!("{}/{}", use_.kind, use_.object),
                field: match &use_.field {
                    // A resource's own field belongs to no container.
                    osc_render::ImageField::Object { path } => path.clone(),
                    field => format!("{} {}: {}", use_.container_type, use_.container, field),
                },
                help: help.to_string(),
            });
        }
    }
    for document in &rendered.documents {
        let kind = document
            .value
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let name = document
            .value
            .get("metadata")
            .and_then(|metadata| metadata.get("name"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let object = format!("{kind}/{name}");
        walk(&document.value, &mut Vec::new(), &mut |path, text| {
            let Some(kind) = classify(path, &kind) else {
                return;
            };
            if kind == UnmovableKind::InOtherObject
                && read
                    .iter()
                    .any(|(seen, field)| *seen == object && *field == path.join("."))
            {
                return;
            }
            let mut images = image_tokens(text);
            if kind == UnmovableKind::InArgs {
                // An argument discovery read is reported with what discovery knows, above.
                let item = path.last().map(String::as_str).unwrap_or_default();
                images.retain(|image| {
                    !read_args
                        .iter()
                        .any(|(seen, arg, raw)| *seen == object && item == arg && raw == image)
                });
            }
            let several_in_env = kind == UnmovableKind::SeveralInEnv && images.len() >= 2;
            if images.is_empty() || (kind == UnmovableKind::SeveralInEnv && !several_in_env) {
                return;
            }
            let help = match kind {
                UnmovableKind::InArgs => {
                    "pass the image through an env var or a values key the container reads, not in args/command"
                }
                UnmovableKind::SeveralInEnv => {
                    "give each image its own env var whose whole value is the reference, from its own values key"
                }
                _ => {
                    "the platform rewrites only values.yaml: have the operator or program take this image from a values key the chart passes in"
                }
            };
            for image in images {
                found.push(Unmovable {
                    kind,
                    image,
                    source: document.source.clone(),
                    object: object.clone(),
                    field: path.join("."),
                    help: help.to_string(),
                });
            }
        });
    }
    found
}

/// Where a string sits decides what an image in it means; None for places `find_images` reads.
fn classify(path: &[String], kind: &str) -> Option<UnmovableKind> {
    let in_container = path.iter().any(|part| {
        part.starts_with("containers[")
            || part.starts_with("initContainers[")
            || part.starts_with("ephemeralContainers[")
    });
    let last = path.last().map(String::as_str).unwrap_or_default();
    let parent = path
        .len()
        .checked_sub(2)
        .map(|i| path[i].as_str())
        .unwrap_or_default();
    if in_container {
        if parent.starts_with("args[")
            || parent.starts_with("command[")
            || last.starts_with("args[")
            || last.starts_with("command[")
        {
            return Some(UnmovableKind::InArgs);
        }
        if last == "value" && parent.starts_with("env[") {
            return Some(UnmovableKind::SeveralInEnv);
        }
        return None;
    }
    // Labels and annotations name versions, not images the object pulls.
    if path
        .iter()
        .any(|part| part == "labels" || part == "annotations")
        || matches!(kind, "Secret" | "")
    {
        return None;
    }
    Some(UnmovableKind::InOtherObject)
}

fn walk(value: &Value, path: &mut Vec<String>, visit: &mut dyn FnMut(&[String], &str)) {
    match value {
        Value::String(text) => visit(path, text),
        Value::Mapping(map) => {
            for (key, child) in map {
                let key = key
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("{key:?}"));
                path.push(key);
                walk(child, path, visit);
                path.pop();
            }
        }
        Value::Sequence(items) => {
            for (index, child) in items.iter().enumerate() {
                let last = path.pop().unwrap_or_default();
                path.push(format!("{last}[{index}]"));
                walk(child, path, visit);
                path.pop();
                path.push(last);
            }
        }
        Value::Tagged(tagged) => walk(&tagged.value, path, visit),
        _ => {}
    }
}

/// The image references in free text: tokens with an explicit registry, a path and a tag or digest,
/// so that URLs, paths and `host:port` values are not taken for images.
pub(crate) fn image_tokens(text: &str) -> Vec<String> {
    text.split(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '=' | ',' | ';' | '"' | '\'' | '(' | ')' | '[' | ']' | '{' | '}'
            )
    })
    .map(|token| token.trim_start_matches("--").trim_end_matches(['.', ':']))
    .filter(|token| !token.contains("://") && token.contains('/'))
    .filter(|token| {
        let first = token.split('/').next().unwrap_or_default();
        first.contains('.') || first.contains(':') || first == "localhost"
    })
    .filter_map(|token| {
        let reference = ImageRef::parse(token).ok()?;
        (reference.tag().is_some() || reference.digest().is_some()).then(|| token.to_string())
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_tokens_in_free_text() {
        let cases: &[(&str, &[&str])] = &[
            (
                "--config-reloader-image=quay.io/prometheus/reloader:v0.5",
                &["quay.io/prometheus/reloader:v0.5"],
            ),
            (
                "etcd=docker.io/x/etcd:3.5\nbackup=gcr.io/y/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                &[
                    "docker.io/x/etcd:3.5",
                    "gcr.io/y/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                ],
            ),
            ("https://quay.io/prometheus/reloader:v0.5", &[]),
            ("/var/lib/data:rw", &[]),
            ("redis-master.default.svc:6379", &[]),
            ("bitnami/redis:7", &[]),
            ("docker.io/bitnami/redis", &[]),
        ];
        for (text, want) in cases {
            assert_eq!(image_tokens(text), *want, "{text}");
        }
    }
}
