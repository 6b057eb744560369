use std::fmt;

use serde_norway::{Mapping, Value};

use crate::rendered::{Document, Rendered};
use osc_imageref::{ImageRef, ImageRefError};

/// Every image reference the rendered objects deploy: the `image` of each container, init
/// container and ephemeral container of every pod template, `env[].value`s that hold an
/// image reference, and whole-string fields of other objects (a Prometheus resource's
/// `spec.image`, an operator's ConfigMap) that hold one. In document order; in a pod,
/// containers, then init containers, then ephemeral containers, each `image` before its env
/// images.
pub fn find_images(rendered: &Rendered) -> Vec<ImageUse> {
    scan(rendered)
        .into_iter()
        .filter_map(|found| found.ok())
        .collect()
}

/// The container `image` fields whose text is not a valid image reference; such a pod
/// would fail to pull.
pub fn find_invalid_images(rendered: &Rendered) -> Vec<InvalidImage> {
    scan(rendered)
        .into_iter()
        .filter_map(|found| found.err())
        .collect()
}

/// One place where a rendered object uses an image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageUse {
    pub reference: ImageRef,
    /// The text as rendered, e.g. `nginx` for the reference `docker.io/library/nginx`.
    pub raw: String,
    /// The template, as in [`Document::source`].
    pub source: String,
    /// The object's `kind`.
    pub kind: String,
    /// The object's `metadata.name`.
    pub object: String,
    /// The container's `name`.
    pub container: String,
    pub container_type: ContainerType,
    pub field: ImageField,
}

/// A container `image` field that does not parse as an image reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidImage {
    pub raw: String,
    pub source: String,
    pub kind: String,
    pub object: String,
    pub container: String,
    pub container_type: ContainerType,
    pub error: ImageRefError,
}

/// Which list of a pod spec the container is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContainerType {
    Container,
    InitContainer,
    EphemeralContainer,
}

/// Where in the container the reference is.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ImageField {
    /// The container's `image`.
    Image,
    /// The `value` of the container's environment variable `name`.
    Env { name: String },
    /// A field of an object that is no pod, e.g. `spec.image` of a custom resource or
    /// `data.RELOADER_IMAGE` of a ConfigMap; such a use has no container.
    Object { path: String },
    /// An item of the container's `args` or `command` (`args[2]`): the whole item, or what
    /// follows the `=` of a `--flag=IMAGE` item. A values key that renders it moves it.
    Arg { path: String },
}

impl ContainerType {
    /// The pod spec key, which is also the name mapping.yaml uses.
    pub fn as_str(self) -> &'static str {
        match self {
            ContainerType::Container => "container",
            ContainerType::InitContainer => "initContainer",
            ContainerType::EphemeralContainer => "ephemeralContainer",
        }
    }

    fn list_key(self) -> &'static str {
        match self {
            ContainerType::Container => "containers",
            ContainerType::InitContainer => "initContainers",
            ContainerType::EphemeralContainer => "ephemeralContainers",
        }
    }
}

impl fmt::Display for ContainerType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for ImageField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageField::Image => f.write_str("image"),
            ImageField::Env { name } => write!(f, "env {name}"),
            ImageField::Object { path } => write!(f, "field {path}"),
            ImageField::Arg { path } => f.write_str(path),
        }
    }
}

const CONTAINER_TYPES: [ContainerType; 3] = [
    ContainerType::Container,
    ContainerType::InitContainer,
    ContainerType::EphemeralContainer,
];

type Found = Result<ImageUse, InvalidImage>;

fn scan(rendered: &Rendered) -> Vec<Found> {
    let mut found = Vec::new();
    for_each_container(rendered, &mut |owner, container_type, container| {
        scan_container(owner, container_type, container, &mut found);
    });
    for_each_object_field(rendered, &mut |owner, path, raw| {
        if let Some(reference) = env_image(raw).filter(|_| raw.contains('/')) {
            found.push(Ok(ImageUse {
                reference,
                raw: raw.to_owned(),
                source: owner.source.to_owned(),
                kind: owner.kind.to_owned(),
                object: owner.object.to_owned(),
                container: String::new(),
                container_type: ContainerType::Container,
                field: ImageField::Object {
                    path: path.to_owned(),
                },
            }));
        }
    });
    found
}

/// Every string of an object that is no pod container's field, with its dotted path: labels,
/// annotations, Secrets and CustomResourceDefinitions (whose examples name images nothing
/// pulls) left out.
fn for_each_object_field(rendered: &Rendered, visit: &mut dyn FnMut(&Owner<'_>, &str, &str)) {
    for document in &rendered.documents {
        let Some(kind) = document.value.get("kind").and_then(Value::as_str) else {
            continue;
        };
        let pod = pod_spec_path(kind).is_some();
        if pod || matches!(kind, "Secret" | "CustomResourceDefinition") || kind.ends_with("List") {
            continue;
        }
        let owner = Owner {
            source: &document.source,
            kind,
            object: document
                .value
                .get("metadata")
                .and_then(|m| m.get("name"))
                .and_then(Value::as_str)
                .unwrap_or(""),
        };
        let mut path = Vec::new();
        walk_fields(&document.value, &mut path, &mut |path, text| {
            visit(&owner, path, text)
        });
    }
}

fn walk_fields(value: &Value, path: &mut Vec<String>, visit: &mut dyn FnMut(&str, &str)) {
    match value {
        Value::String(text) => visit(&path.join("."), text),
        Value::Mapping(mapping) => {
            for (key, child) in mapping {
                let Some(key) = key.as_str() else { continue };
                // Names, labels and annotations name versions, not images anything pulls; a pod
                // template's containers are read as containers.
                let pod_template = key == "template"
                    && child
                        .get("spec")
                        .and_then(|spec| spec.get("containers"))
                        .is_some_and(Value::is_sequence);
                if key == "metadata" || pod_template {
                    continue;
                }
                path.push(key.to_owned());
                walk_fields(child, path, visit);
                path.pop();
            }
        }
        Value::Sequence(items) => {
            for (index, child) in items.iter().enumerate() {
                let last = path.pop().unwrap_or_default();
                path.push(format!("{last}[{index}]"));
                walk_fields(child, path, visit);
                path.pop();
                path.push(last);
            }
        }
        Value::Tagged(tagged) => walk_fields(&tagged.value, path, visit),
        _ => {}
    }
}

/// Where a container's text field sits in the rendered objects, the object's name aside:
/// markers in values such as `fullnameOverride` rename objects but do not move images.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct FieldPosition {
    pub source: String,
    pub kind: String,
    pub container_type: ContainerType,
    pub container: String,
    pub field: ImageField,
}

/// A text field where an image may sit, as a marker render shows it.
#[derive(Clone, Debug)]
pub(crate) struct Field {
    pub position: FieldPosition,
    pub raw: String,
    /// The object's `metadata.name`.
    pub object: String,
}

/// Every container `image` string, every env `value` string, and every other object's string
/// field, whether or not it parses as an image reference, in the order of [`find_images`].
pub(crate) fn image_fields(rendered: &Rendered) -> Vec<Field> {
    let mut fields = Vec::new();
    for_each_container(rendered, &mut |owner, container_type, container| {
        let position = |field: ImageField| FieldPosition {
            source: owner.source.to_owned(),
            kind: owner.kind.to_owned(),
            container_type,
            container: container_name(container).to_owned(),
            field,
        };
        if let Some(raw) = container.get("image").and_then(Value::as_str) {
            fields.push(Field {
                position: position(ImageField::Image),
                raw: raw.to_owned(),
                object: owner.object.to_owned(),
            });
        }
        for (name, raw) in env_values(container) {
            let field = ImageField::Env {
                name: name.to_owned(),
            };
            fields.push(Field {
                position: position(field),
                raw: raw.to_owned(),
                object: owner.object.to_owned(),
            });
        }
        for (path, raw) in arg_values(container) {
            fields.push(Field {
                position: position(ImageField::Arg { path }),
                raw: raw.to_owned(),
                object: owner.object.to_owned(),
            });
        }
    });
    for_each_object_field(rendered, &mut |owner, path, raw| {
        fields.push(Field {
            position: FieldPosition {
                source: owner.source.to_owned(),
                kind: owner.kind.to_owned(),
                container_type: ContainerType::Container,
                container: String::new(),
                field: ImageField::Object {
                    path: path.to_owned(),
                },
            },
            raw: raw.to_owned(),
            object: owner.object.to_owned(),
        });
    });
    fields
}

impl ImageUse {
    pub(crate) fn position(&self) -> FieldPosition {
        FieldPosition {
            source: self.source.clone(),
            kind: self.kind.clone(),
            container_type: self.container_type,
            container: self.container.clone(),
            field: self.field.clone(),
        }
    }
}

type ContainerVisitor<'v> = dyn FnMut(&Owner<'_>, ContainerType, &Value) + 'v;

fn for_each_container(rendered: &Rendered, visit: &mut ContainerVisitor<'_>) {
    for document in &rendered.documents {
        scan_object(document, &document.value, visit);
    }
}

/// Where the built-in workload kinds keep their pod spec.
fn pod_spec_path(kind: &str) -> Option<&'static [&'static str]> {
    match kind {
        "Pod" => Some(&["spec"]),
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => Some(&["spec", "template", "spec"]),
        "CronJob" => Some(&["spec", "jobTemplate", "spec", "template", "spec"]),
        _ => None,
    }
}

fn scan_object(document: &Document, object: &Value, visit: &mut ContainerVisitor<'_>) {
    let Some(kind) = object.get("kind").and_then(Value::as_str) else {
        return;
    };
    let items = object.get("items").and_then(Value::as_sequence);
    if let Some(items) = items.filter(|_| kind.ends_with("List")) {
        for item in items {
            scan_object(document, item, visit);
        }
        return;
    }
    let owner = Owner {
        source: &document.source,
        kind,
        object: object
            .get("metadata")
            .and_then(|m| m.get("name"))
            .and_then(Value::as_str)
            .unwrap_or(""),
    };
    match pod_spec_path(kind) {
        Some(path) => {
            let spec = path.iter().try_fold(object, |value, key| value.get(key));
            if let Some(spec) = spec.and_then(Value::as_mapping) {
                scan_pod_spec(&owner, spec, visit);
            }
        }
        None => scan_pod_templates(&owner, object, visit),
    }
}

/// Custom resources (Argo Rollouts, operators' CRs) and PodTemplates embed pod templates
/// anywhere: every `template: {spec: {containers: [...]}}`.
fn scan_pod_templates(owner: &Owner<'_>, value: &Value, visit: &mut ContainerVisitor<'_>) {
    match value {
        Value::Mapping(mapping) => {
            let pod_spec = mapping
                .get("template")
                .and_then(|template| template.get("spec"))
                .and_then(Value::as_mapping)
                .filter(|spec| spec.get("containers").is_some_and(Value::is_sequence));
            if let Some(spec) = pod_spec {
                scan_pod_spec(owner, spec, visit);
            }
            for (key, child) in mapping {
                if pod_spec.is_none() || key.as_str() != Some("template") {
                    scan_pod_templates(owner, child, visit);
                }
            }
        }
        Value::Sequence(items) => items
            .iter()
            .for_each(|item| scan_pod_templates(owner, item, visit)),
        Value::Tagged(tagged) => scan_pod_templates(owner, &tagged.value, visit),
        _ => {}
    }
}

struct Owner<'a> {
    source: &'a str,
    kind: &'a str,
    object: &'a str,
}

fn scan_pod_spec(owner: &Owner<'_>, spec: &Mapping, visit: &mut ContainerVisitor<'_>) {
    for container_type in CONTAINER_TYPES {
        let containers = spec
            .get(container_type.list_key())
            .and_then(Value::as_sequence);
        for container in containers.into_iter().flatten() {
            visit(owner, container_type, container);
        }
    }
}

fn scan_container(
    owner: &Owner<'_>,
    container_type: ContainerType,
    container: &Value,
    found: &mut Vec<Found>,
) {
    let container_name = container_name(container);
    let image_use = |raw: &str, reference: ImageRef, field: ImageField| ImageUse {
        reference,
        raw: raw.to_owned(),
        source: owner.source.to_owned(),
        kind: owner.kind.to_owned(),
        object: owner.object.to_owned(),
        container: container_name.to_owned(),
        container_type,
        field,
    };
    // A non-string image is no image reference at all, and Kubernetes refuses the object.
    if let Some(raw) = container.get("image").and_then(Value::as_str) {
        found.push(match ImageRef::parse(raw) {
            Ok(reference) => Ok(image_use(raw, reference, ImageField::Image)),
            Err(error) => Err(InvalidImage {
                raw: raw.to_owned(),
                source: owner.source.to_owned(),
                kind: owner.kind.to_owned(),
                object: owner.object.to_owned(),
                container: container_name.to_owned(),
                container_type,
                error,
            }),
        });
    }
    for (name, raw) in env_values(container) {
        if let Some(reference) = env_image(raw) {
            found.push(Ok(image_use(
                raw,
                reference,
                ImageField::Env {
                    name: name.to_owned(),
                },
            )));
        }
    }
    for (path, raw) in arg_values(container) {
        if let Some(reference) = arg_image(raw) {
            found.push(Ok(image_use(raw, reference, ImageField::Arg { path })));
        }
    }
}

/// `(args[i] or command[i], the text an image may be)` of each string item of the container's
/// `args` and `command`: what follows the `=` of a `--flag=value` item, else the whole item.
fn arg_values(container: &Value) -> impl Iterator<Item = (String, &str)> {
    ["command", "args"].into_iter().flat_map(move |list| {
        let items = container.get(list).and_then(Value::as_sequence);
        items
            .into_iter()
            .flatten()
            .enumerate()
            .filter_map(move |(index, item)| {
                let item = item.as_str()?;
                let text = match item.split_once('=') {
                    Some((flag, value)) if flag.starts_with('-') => value,
                    _ => item,
                };
                Some((format!("{list}[{index}]"), text))
            })
    })
}

/// An image in an argument: a reference with a registry or organisation (`/`) and a tag or
/// digest, so that paths, URLs and `host:port` values are no images.
fn arg_image(text: &str) -> Option<ImageRef> {
    if !text.contains('/') {
        return None;
    }
    env_image(text)
}

fn container_name(container: &Value) -> &str {
    container.get("name").and_then(Value::as_str).unwrap_or("")
}

/// The `(name, value)` of each env variable with a literal string value.
fn env_values(container: &Value) -> impl Iterator<Item = (&str, &str)> {
    let env = container.get("env").and_then(Value::as_sequence);
    env.into_iter().flatten().filter_map(|variable| {
        let name = variable.get("name").and_then(Value::as_str).unwrap_or("");
        Some((name, variable.get("value").and_then(Value::as_str)?))
    })
}

/// Whether a field other than a container's `image` holds an image reference, by the rules of
/// [`env_image`] with a `/` besides.
pub(crate) fn looks_like_image(text: &str) -> bool {
    text.contains('/') && env_image(text).is_some()
}

/// The pod specs of a rendered object, each with `Kind/name` of its object: the built-in
/// workloads' and those of pod templates in custom resources.
pub(crate) fn pod_specs(object: &Value) -> Vec<(String, &Value)> {
    let mut specs = Vec::new();
    let Some(kind) = object.get("kind").and_then(Value::as_str) else {
        return specs;
    };
    if let Some(items) = object
        .get("items")
        .and_then(Value::as_sequence)
        .filter(|_| kind.ends_with("List"))
    {
        for item in items {
            specs.extend(pod_specs(item));
        }
        return specs;
    }
    let name = object
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let label = format!("{kind}/{name}");
    match pod_spec_path(kind) {
        Some(path) => {
            if let Some(spec) = path.iter().try_fold(object, |value, key| value.get(key)) {
                specs.push((label, spec));
            }
        }
        None => {
            fn templates<'v>(value: &'v Value, found: &mut Vec<&'v Value>) {
                match value {
                    Value::Mapping(mapping) => {
                        let spec = mapping
                            .get("template")
                            .and_then(|template| template.get("spec"))
                            .filter(|spec| spec.get("containers").is_some_and(Value::is_sequence));
                        if let Some(spec) = spec {
                            found.push(spec);
                        }
                        for (_, child) in mapping {
                            templates(child, found);
                        }
                    }
                    Value::Sequence(items) => items.iter().for_each(|item| templates(item, found)),
                    _ => {}
                }
            }
            let mut found = Vec::new();
            templates(object, &mut found);
            specs.extend(found.into_iter().map(|spec| (label.clone(), spec)));
        }
    }
    specs
}

/// An env value counts as an image when it parses as one and also looks like one: it has
/// a tag or digest, is no URL, path or `host:port`, so `redis-master:6379`, `/data:ro`,
/// `http://x/y:1` and `text/plain` are not images.
fn env_image(value: &str) -> Option<ImageRef> {
    if value.contains("://") || value.starts_with(['/', '.', '~']) {
        return None;
    }
    let reference = ImageRef::parse(value).ok()?;
    let host_and_port = !value.contains('/')
        && reference.digest().is_none()
        && reference
            .tag()
            .is_some_and(|tag| tag.bytes().all(|b| b.is_ascii_digit()));
    let pinned = reference.tag().is_some() || reference.digest().is_some();
    (pinned && !host_and_port).then_some(reference)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_count_as_images_only_when_they_look_like_one() {
        let container: Value = serde_norway::from_str(
            "args: [--image=quay.io/x/solver:1.2, quay.io/x/whole@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef, --config=/etc/app/config.yaml, --url=https://x.test/a:1, --port=8080, localhost:5000, org/name]\ncommand: [/bin/run, -c]\n",
        )
        .unwrap();
        let images: Vec<(String, String)> = arg_values(&container)
            .filter(|(_, text)| arg_image(text).is_some())
            .map(|(path, text)| (path, text.to_owned()))
            .collect();
        assert_eq!(
            images,
            [
                ("args[0]".to_owned(), "quay.io/x/solver:1.2".to_owned()),
                (
                    "args[1]".to_owned(),
                    "quay.io/x/whole@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn env_values_count_as_images_only_when_they_look_like_one() {
        let digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let pinned = format!("quay.io/x/operand@{digest}");
        let cases = [
            ("docker.io/bitnami/redis:7.2", true),
            ("bitnami/redis:7.2", true),
            ("nginx:1.27-alpine", true),
            ("localhost:5000/team/app:1.0", true),
            (pinned.as_str(), true),
            ("redis-master:6379", false),
            ("10.0.0.1:5432", false),
            ("quay.io/x/operand", false),
            ("text/plain", false),
            ("http://registry/x:1", false),
            ("/var/lib/data:ro", false),
            ("./conf:1", false),
            ("a b:1", false),
            ("Europe/Berlin", false),
            ("true", false),
            ("", false),
            ("key=nginx:1.0,other=redis:7", false),
        ];
        for (value, expected) in cases {
            assert_eq!(env_image(value).is_some(), expected, "{value:?}");
        }
    }
}
