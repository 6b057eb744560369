//! Finding the image references an operator bundle's CSV holds, and which of them the platform
//! can rewrite.

use std::fmt;

use osc_csv::{Bundle, ContainerKind};
use osc_imageref::ImageRef;
use osc_yaml::{Path, Segment};
use serde_json::Value;

use crate::Part;

/// Every image reference of a CSV, by where it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OperatorImages {
    /// The `image` of each container of `spec.install.spec.deployments` that holds a valid
    /// reference.
    pub containers: Vec<ContainerImage>,
    /// Container env variables whose whole value is an image reference.
    pub env: Vec<EnvImageUse>,
    /// `spec.relatedImages`.
    pub related: Vec<RelatedImageUse>,
    /// Images in the first alm-examples custom resource of each kind.
    pub examples: Vec<ExampleImage>,
    /// Images the platform cannot rewrite, because it replaces only whole values of the fields
    /// mapping.yaml names.
    pub unmovable: Vec<UnmovableImage>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerImage {
    pub deployment: String,
    pub kind: ContainerKind,
    pub name: String,
    pub reference: ImageRef,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvImageUse {
    pub deployment: String,
    pub kind: ContainerKind,
    pub container: String,
    /// The variable's name.
    pub name: String,
    pub reference: ImageRef,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelatedImageUse {
    /// Position in `spec.relatedImages`.
    pub index: usize,
    pub name: Option<String>,
    pub reference: ImageRef,
}

/// An image in an alm-examples custom resource: one field holding the whole reference, or
/// sibling fields holding its parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExampleImage {
    pub kind: String,
    /// Each field's path from the root of the custom resource, and the part it holds, in
    /// mapping.yaml's order of parts.
    pub parts: Vec<(String, Part)>,
    /// The reference the fields make together.
    pub reference: ImageRef,
}

/// An image reference the platform cannot point at its registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnmovableImage {
    /// Where it is, e.g. `deployment kvstore-operator, container manager, args[1]`.
    pub place: String,
    /// The text holding it.
    pub text: String,
    pub reason: String,
}

/// Finds the images of the CSV's deployments (container images, env values that are image
/// references), of `spec.relatedImages` and of the alm-examples custom resources.
///
/// Whether a string is an image reference is decided by its shape: it parses as one and has a
/// tag, digest or registry besides its path, or its key or variable name says it holds an image
/// (`image`, `sidecarImage`, `RELATED_IMAGE_ETCD`). In alm-examples, sibling fields named like
/// `registry` / `repository`, `repo` or `image` / `tag` or `version` are taken together when
/// their values join into a reference.
pub fn operator_images(bundle: &Bundle) -> OperatorImages {
    let mut images = OperatorImages::default();
    let csv = &bundle.csv;
    for deployment in &csv.deployments {
        for container in &deployment.containers {
            let place = ContainerPlace {
                deployment: &deployment.name,
                kind: container.kind,
                container: &container.name,
            };
            match ImageRef::parse(&container.image) {
                Ok(reference) => images.containers.push(ContainerImage {
                    deployment: deployment.name.clone(),
                    kind: container.kind,
                    name: container.name.clone(),
                    reference,
                }),
                Err(error) => images.unmovable.push(UnmovableImage {
                    place: format!("{place}, image"),
                    text: container.image.clone(),
                    reason: format!(
                        "it is not a valid image reference ({error}), so no tar can be \
                         matched to it; write the reference the operator runs"
                    ),
                }),
            }
            for variable in &container.env {
                let Some(value) = &variable.value else {
                    continue;
                };
                if let Some(reference) = whole_reference(value, names_an_image(&variable.name)) {
                    images.env.push(EnvImageUse {
                        deployment: deployment.name.clone(),
                        kind: container.kind,
                        container: container.name.clone(),
                        name: variable.name.clone(),
                        reference,
                    });
                } else if let Some(embedded) = embedded_references(value) {
                    images.unmovable.push(UnmovableImage {
                        place: format!("{place}, env {}", variable.name),
                        text: value.clone(),
                        reason: format!(
                            "the value holds {embedded} among other text, and the platform \
                             writes only whole values; give each image its own variable \
                             (RELATED_IMAGE_*) and map it"
                        ),
                    });
                }
            }
            for (list, items) in [("command", &container.command), ("args", &container.args)] {
                for (index, item) in items.iter().enumerate() {
                    if let Some(embedded) = embedded_references(item) {
                        images.unmovable.push(UnmovableImage {
                            place: format!("{place}, {list}[{index}]"),
                            text: item.clone(),
                            reason: format!(
                                "{list} holds {embedded}, and the platform rewrites no \
                                 {list}; pass the image in an env variable (RELATED_IMAGE_*) \
                                 that the operator reads, and map that variable"
                            ),
                        });
                    }
                }
            }
        }
    }
    for (index, related) in csv.related_images.iter().enumerate() {
        if let Ok(reference) = ImageRef::parse(&related.image) {
            images.related.push(RelatedImageUse {
                index,
                name: related.name.clone(),
                reference,
            });
        }
    }
    if let Some(Ok(examples)) = csv.alm_examples.as_ref().map(|alm| &alm.examples) {
        let mut seen_kinds: Vec<&str> = Vec::new();
        for (index, example) in examples.iter().enumerate() {
            let Some(kind) = example.get("kind").and_then(Value::as_str) else {
                continue;
            };
            let first_of_kind = !seen_kinds.contains(&kind);
            seen_kinds.push(kind);
            let mut walker = ExampleWalker {
                kind,
                place: if first_of_kind {
                    format!("alm-examples {kind}")
                } else {
                    format!("alm-examples[{index}] ({kind})")
                },
                found: Vec::new(),
                unmovable: Vec::new(),
            };
            walker.walk(example, &mut Vec::new());
            if first_of_kind {
                images.examples.append(&mut walker.found);
            } else {
                for image in walker.found {
                    let fields = image
                        .parts
                        .iter()
                        .map(|(path, _)| path.as_str())
                        .collect::<Vec<_>>()
                        .join(", ");
                    walker.unmovable.push(UnmovableImage {
                        place: format!("{}, {fields}", walker.place),
                        text: image.reference.to_string(),
                        reason: format!(
                            "mapping.yaml names an example by kind, and the platform takes \
                             the first {kind} example; make this example the first of its \
                             kind, or merge the examples"
                        ),
                    });
                }
            }
            images.unmovable.append(&mut walker.unmovable);
        }
    }
    images
}

impl OperatorImages {
    /// The image of a container of the CSV.
    pub(crate) fn container(
        &self,
        deployment: &str,
        kind: ContainerKind,
        name: &str,
    ) -> Option<&ContainerImage> {
        self.containers.iter().find(|container| {
            container.deployment == deployment && container.kind == kind && container.name == name
        })
    }

    /// The images of a container's env variables.
    pub(crate) fn env_of<'a>(
        &'a self,
        deployment: &'a str,
        kind: ContainerKind,
        container: &'a str,
    ) -> impl Iterator<Item = &'a EnvImageUse> + 'a {
        self.env.iter().filter(move |env| {
            env.deployment == deployment && env.kind == kind && env.container == container
        })
    }
}

/// `deployment kvstore-operator, initContainer wait-for-api`.
pub(crate) struct ContainerPlace<'a> {
    pub deployment: &'a str,
    pub kind: ContainerKind,
    pub container: &'a str,
}

impl fmt::Display for ContainerPlace<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "deployment {}, {} {}",
            self.deployment,
            kind_name(self.kind),
            self.container
        )
    }
}

/// How mapping.yaml's `type` spells a container kind.
pub(crate) fn kind_name(kind: ContainerKind) -> &'static str {
    match kind {
        ContainerKind::InitContainer => "initContainer",
        ContainerKind::Container => "container",
        ContainerKind::EphemeralContainer => "ephemeralContainer",
    }
}

/// The container kind mapping.yaml's `type` names.
pub(crate) fn parse_kind(name: &str) -> Option<ContainerKind> {
    [
        ContainerKind::InitContainer,
        ContainerKind::Container,
        ContainerKind::EphemeralContainer,
    ]
    .into_iter()
    .find(|kind| kind_name(*kind) == name)
}

/// Collects the images of one alm-examples custom resource.
struct ExampleWalker<'a> {
    kind: &'a str,
    /// The resource, for [`UnmovableImage::place`].
    place: String,
    found: Vec<ExampleImage>,
    unmovable: Vec<UnmovableImage>,
}

impl ExampleWalker<'_> {
    fn walk(&mut self, value: &Value, path: &mut Vec<Segment>) {
        match value {
            Value::Object(members) => {
                let grouped = self.split_fields(members, path);
                for (key, member) in members {
                    if grouped.contains(&key.as_str()) {
                        continue;
                    }
                    path.push(Segment::Key(key.clone()));
                    match member {
                        Value::String(text) => self.string(Some(key), text, path),
                        _ => self.walk(member, path),
                    }
                    path.pop();
                }
            }
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    path.push(Segment::Index(index));
                    match item {
                        Value::String(text) => self.string(None, text, path),
                        _ => self.walk(item, path),
                    }
                    path.pop();
                }
            }
            _ => {}
        }
    }

    /// A string that is not one of a group of split fields.
    fn string(&mut self, key: Option<&str>, text: &str, path: &[Segment]) {
        let named = key.is_some_and(names_an_image);
        if let Some(reference) = whole_reference(text, named) {
            self.image(vec![(path.to_vec(), Part::FullAddress)], reference);
            return;
        }
        let field = Path::from_segments(path.iter().cloned());
        if named {
            let shape = if text.trim().is_empty() {
                "is empty".to_owned()
            } else {
                format!("holds `{text}`, which is no image reference")
            };
            self.unmovable.push(UnmovableImage {
                place: format!("{}, {field}", self.place),
                text: text.to_owned(),
                reason: format!(
                    "the field {shape}, so the operator picks the image itself and the \
                     platform cannot point it at its registry; write the image the operator \
                     runs into the example"
                ),
            });
        } else if let Some(embedded) = embedded_references(text) {
            self.unmovable.push(UnmovableImage {
                place: format!("{}, {field}", self.place),
                text: text.to_owned(),
                reason: format!(
                    "the field holds {embedded} among other text, and the platform writes \
                     only whole fields; give the image a field of its own"
                ),
            });
        }
    }

    /// Takes sibling fields named like registry / repository / tag together when their values
    /// join into a reference; returns the keys it took.
    fn split_fields<'m>(
        &mut self,
        members: &'m serde_json::Map<String, Value>,
        path: &[Segment],
    ) -> Vec<&'m str> {
        // The first of `names` that some string member has, whatever its case.
        let string_member = |names: &[&str]| {
            names.iter().find_map(|name| {
                members.iter().find_map(|(key, value)| {
                    let text = value.as_str()?;
                    key.eq_ignore_ascii_case(name)
                        .then_some((key.as_str(), text))
                })
            })
        };
        let registry = string_member(&["registry"]);
        let tag = string_member(&["tag", "version"]);
        let Some(repository) = string_member(&["repository", "repo", "image"]) else {
            return Vec::new();
        };
        if registry.is_none() && tag.is_none() {
            return Vec::new();
        }
        let mut joined = String::new();
        if let Some((_, host)) = registry {
            joined.push_str(host.trim_end_matches('/'));
            joined.push('/');
        }
        joined.push_str(repository.1);
        if let Some((_, tag)) = tag.filter(|(_, tag)| !tag.is_empty()) {
            joined.push(':');
            joined.push_str(tag);
        }
        // `{repo: charts, version: 1.0.0}` joins into a reference too; a path or a field named
        // `image` tells an image apart.
        let image_shaped = joined.contains('/') || repository.0.eq_ignore_ascii_case("image");
        let Some(reference) = ImageRef::parse(&joined).ok().filter(|_| image_shaped) else {
            return Vec::new();
        };
        let keys: Vec<&str> = [registry, Some(repository), tag]
            .into_iter()
            .flatten()
            .map(|(key, _)| key)
            .collect();
        let at = |key: &str| {
            let mut field = path.to_vec();
            field.push(Segment::Key(key.to_owned()));
            field
        };
        match split_parts(registry.map(|(_, value)| value), repository.1) {
            Ok(parts) => {
                let mut parts: Vec<(Vec<Segment>, Part)> = parts
                    .into_iter()
                    .map(|(is_registry, part)| {
                        let key = if is_registry {
                            registry.map_or(repository.0, |(key, _)| key)
                        } else {
                            repository.0
                        };
                        (at(key), part)
                    })
                    .collect();
                if let Some((key, _)) = tag {
                    parts.push((at(key), Part::Tag));
                }
                self.image(parts, reference);
            }
            Err(why) => {
                let fields = keys
                    .iter()
                    .map(|key| Path::from_segments(at(key)).to_string())
                    .collect::<Vec<_>>()
                    .join(", ");
                self.unmovable.push(UnmovableImage {
                    place: format!("{}, {fields}", self.place),
                    text: joined.clone(),
                    reason: format!(
                        "the fields join into {joined}, but {why}; the platform writes a \
                         registry host, a repository path and a tag, so hold the image in \
                         fields of those shapes"
                    ),
                });
            }
        }
        keys
    }

    fn image(&mut self, parts: Vec<(Vec<Segment>, Part)>, reference: ImageRef) {
        let mut named = Vec::new();
        for (segments, part) in parts {
            let unnameable = segments.iter().any(|segment| {
                matches!(segment, Segment::Key(key) if key.is_empty()
                    || key.contains(['.', '[', ']', '"']))
            });
            let path = Path::from_segments(segments).to_string();
            if unnameable {
                self.unmovable.push(UnmovableImage {
                    place: format!("{}, {path}", self.place),
                    text: reference.to_string(),
                    reason: "a key in its path holds `.`, `[`, `]` or a quote, or is empty: \
                             mapping.yaml paths join keys with `.`, so the platform cannot \
                             name the field; rename the key"
                        .to_owned(),
                });
                return;
            }
            named.push((path, part));
        }
        named.sort_by_key(|(_, part)| *part);
        self.found.push(ExampleImage {
            kind: self.kind.to_owned(),
            parts: named,
            reference,
        });
    }
}

/// The parts of a registry field (`true`) and a repository field (`false`), or why the platform
/// cannot write them.
fn split_parts(registry: Option<&str>, repository: &str) -> Result<Vec<(bool, Part)>, String> {
    let repository_alone = ImageRef::parse(repository)
        .ok()
        .filter(|reference| reference.tag().is_none() && reference.digest().is_none());
    if repository_alone.is_none() {
        return Err(format!(
            "the repository field holds `{repository}`, which is no repository path"
        ));
    }
    let Some(registry) = registry else {
        // The runtime reads a path without a registry as docker.io's, so the whole new
        // repository can replace it.
        return Ok(vec![(false, Part::Repository)]);
    };
    if registry.ends_with('/') {
        return Err(format!(
            "the registry field `{registry}` ends with `/`, so the operator joins it to the \
             repository as it is, and the platform writes a host without `/`"
        ));
    }
    if names_a_registry(repository) {
        return Err(format!(
            "the repository field `{repository}` names a registry too"
        ));
    }
    match registry.split_once('/') {
        None if names_a_registry(&format!("{registry}/x")) => {
            Ok(vec![(true, Part::Endpoint), (false, Part::Repo)])
        }
        None => Err(format!(
            "the registry field `{registry}` is no registry host"
        )),
        Some(_) if !repository.contains('/') => Ok(vec![(true, Part::PrefixAddress)]),
        Some(_) => Err(format!(
            "the registry field `{registry}` holds a path as well, and the repository field \
             `{repository}` more path, which no part of mapping.yaml writes"
        )),
    }
}

/// The reference a whole string makes, when its shape says it is one: it has a path and a tag
/// or digest (unlike `host:port`), or a registry and two path segments (unlike `example.com/v1`
/// or `kubernetes.io/hostname`), or its name says it holds an image.
pub(crate) fn whole_reference(text: &str, named_image: bool) -> Option<ImageRef> {
    let reference = ImageRef::parse(text).ok()?;
    let pinned = reference.tag().is_some() || reference.digest().is_some();
    let registry_and_path = names_a_registry(text) && reference.repository().contains('/');
    let shaped = text.contains('/') && (pinned || registry_and_path);
    (shaped || named_image).then_some(reference)
}

/// `image`, `sidecarImage`, `RELATED_IMAGE_ETCD`, `OPERAND_IMAGE`; not `imagePullPolicy`.
fn names_an_image(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.ends_with("image") || name.starts_with("related_image_")
}

/// Docker's rule: the first path segment is a registry when it has a `.` or a `:port`, or is
/// `localhost`.
pub(crate) fn names_a_registry(text: &str) -> bool {
    text.split_once('/')
        .is_some_and(|(first, _)| first.contains(['.', ':']) || first == "localhost")
}

/// The image references inside a longer text, such as
/// `--config-reloader-image=quay.io/coreos/configmap-reload:v0.0.1`, as `quay.io/…` or `2
/// images (…, …)`. Only pieces with a path and a tag or digest count, so that host:port pairs
/// and file paths do not.
fn embedded_references(text: &str) -> Option<String> {
    let mut found: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || matches!(c, '=' | ',' | ';' | '"' | '\''))
        .filter(|piece| piece.contains('/'))
        .filter(|piece| {
            ImageRef::parse(piece)
                .is_ok_and(|reference| reference.tag().is_some() || reference.digest().is_some())
        })
        .collect();
    found.dedup();
    match found.as_slice() {
        [] => None,
        [one] => Some(format!("the image {one}")),
        many => Some(format!("{} images ({})", many.len(), many.join(", "))),
    }
}

/// The value at a path of a custom resource.
pub(crate) fn json_at<'v>(value: &'v Value, path: &Path) -> Option<&'v Value> {
    path.segments()
        .iter()
        .try_fold(value, |value, segment| match segment {
            Segment::Key(key) => value.get(key.as_str()),
            Segment::Index(index) => value.get(*index),
        })
}
