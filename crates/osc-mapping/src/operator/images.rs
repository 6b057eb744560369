//! Finding the image references an operator bundle's CSV holds, and which of them the platform
//! can rewrite.

use std::fmt;

use osc_csv::{Bundle, ContainerKind};
use osc_imageref::ImageRef;
use osc_yaml::{Path, Segment};
use serde_json::Value;

use crate::operator::examples::{ExampleWalker, Known};
use crate::{Part, Tar};

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
/// references), of `spec.relatedImages` and of the alm-examples custom resources, with only the
/// CSV as evidence; [`operator_images_with_tars`] lets the package's tars prove images too.
pub fn operator_images(bundle: &Bundle) -> OperatorImages {
    operator_images_with_tars(bundle, &[])
}

/// [`operator_images`], with the images the tars hold as evidence for alm-examples fields.
///
/// Whether a string is an image reference is decided by its shape: it parses as one and has a
/// tag, digest or registry besides its path, or its key or variable name says it holds an image
/// (`image`, `sidecarImage`, `RELATED_IMAGE_ETCD`). In alm-examples, fields of any name that
/// together rebuild a reference are taken as one image: a registry host, a repository and a tag
/// beside it, or a base image with a version in its object or a parent (see
/// `examples::ExampleWalker`), when an image the CSV or a tar names, or the fields' own shapes,
/// show that they are one.
pub fn operator_images_with_tars(bundle: &Bundle, tars: &[Tar]) -> OperatorImages {
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
        let held = tars
            .iter()
            .flat_map(|tar| &tar.archive.images)
            .flat_map(|image| &image.repo_tags)
            .filter_map(|repo_tag| ImageRef::parse(repo_tag).ok());
        let known = Known::new(
            images
                .containers
                .iter()
                .map(|image| image.reference.clone())
                .chain(images.env.iter().map(|image| image.reference.clone()))
                .chain(images.related.iter().map(|image| image.reference.clone()))
                .chain(held),
        );
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
                known: &known,
                found: Vec::new(),
                unmovable: Vec::new(),
            };
            walker.walk(example);
            if first_of_kind {
                images.examples.append(&mut walker.found);
            } else {
                for image in walker.found {
                    walker.unmovable.push(UnmovableImage {
                        place: format!("{}, {}", walker.place, image.fields()),
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

impl ExampleImage {
    /// The paths of its fields, comma-separated.
    pub(crate) fn fields(&self) -> String {
        self.parts
            .iter()
            .map(|(path, _)| path.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
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
pub(crate) fn names_an_image(name: &str) -> bool {
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
pub(crate) fn embedded_references(text: &str) -> Option<String> {
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
