//! The platform's rewrite of an operator bundle's CSV after it pushed the images.

use std::collections::HashMap;

use osc_csv::{Bundle, CsvEditor, RelatedImageKey};
use osc_imageref::ImageRef;
use serde_json::Value;

use crate::apply::Target;
use crate::operator::images::{
    ContainerPlace, OperatorImages, UnmovableImage, json_at, operator_images, parse_kind,
};
use crate::{Change, Error, Mapping, Part};

/// The CSV file after the rewrite, every write in the order made, and the images it leaves
/// outside the platform registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppliedCsv {
    /// The whole CSV file.
    pub text: String,
    /// `path` names the place as [`UnmovableImage::place`] does, e.g. `deployment
    /// kvstore-operator, container manager, env RELATED_IMAGE_KVSTORE`.
    pub changes: Vec<Change>,
    /// Images of the CSV not under `HOST/ORG` after the rewrite, and why.
    pub not_moved: Vec<UnmovableImage>,
}

/// Rewrites the CSV as the platform does for an operator bundle, `registry` being `HOST/ORG`:
/// each lifecycle container's `image` and each env entry's variable get
/// `HOST/ORG/{image}:{tag}`; each instance's fields in the first alm-examples resource of its
/// kind get their part of it (fullAddress the whole, endpoint `HOST`, repo `ORG/{image}`,
/// repository `HOST/ORG/{image}`, prefixAddress `HOST/ORG`, tag `{tag}`). Only the bytes of
/// the written values change.
///
/// The platform's guide says nothing of `spec.relatedImages`; this rewrites an entry when its
/// reference is one that a lifecycle container, an env entry or an instance pushes, so that a
/// mirror of the bundle finds the image where the pods pull it.
pub fn apply_operator(
    bundle: &Bundle,
    mapping: &Mapping,
    registry: &str,
) -> Result<AppliedCsv, Error> {
    let images = operator_images(bundle);
    let mut rewrite = Rewrite {
        target: Target::parse(registry)?,
        editor: CsvEditor::new(bundle),
        changes: Vec::new(),
        current: HashMap::new(),
        moved: Vec::new(),
    };
    rewrite.lifecycle(bundle, mapping, &images)?;
    let written = rewrite.instances(bundle, mapping)?;
    let mut not_moved = rewrite.examples(mapping, &images, &written);
    not_moved.extend(rewrite.related(&images)?);
    not_moved.extend(rewrite.unnamed(&images));
    not_moved.extend(images.unmovable.iter().cloned());
    Ok(AppliedCsv {
        text: rewrite.editor.text().to_owned(),
        changes: rewrite.changes,
        not_moved,
    })
}

/// The rewrite under way: the edited CSV, and what has been written where.
struct Rewrite<'a> {
    target: Target<'a>,
    editor: CsvEditor,
    changes: Vec<Change>,
    /// What each place holds now.
    current: HashMap<String, String>,
    /// The original reference pushed into each written place, what the place holds now, and
    /// the mapping field that wrote it.
    moved: Vec<(ImageRef, String, String)>,
}

/// `(kind, path)` of an alm-examples field → (part written, instance index).
type Written = HashMap<(String, String), (Part, usize)>;

impl Rewrite<'_> {
    /// Writes each lifecycle container's image and env entries.
    fn lifecycle(
        &mut self,
        bundle: &Bundle,
        mapping: &Mapping,
        images: &OperatorImages,
    ) -> Result<(), Error> {
        for (index, lifecycle) in mapping.lifecycle.iter().enumerate() {
            for (number, entry) in lifecycle.containers.iter().enumerate() {
                let field = format!("lifecycle[{index}].containers[{number}]");
                let kind =
                    parse_kind(&entry.container_type).ok_or_else(|| Error::ContainerType {
                        field: field.clone(),
                        value: entry.container_type.clone(),
                    })?;
                let after = self
                    .target
                    .value(Part::FullAddress, &entry.image, &entry.tag);
                self.editor
                    .set_container_image(&lifecycle.deployment, kind, &entry.name, &after)
                    .map_err(edit_error(&field))?;
                let container_place = ContainerPlace {
                    deployment: &lifecycle.deployment,
                    kind,
                    container: &entry.name,
                }
                .to_string();
                let original = bundle
                    .csv
                    .deployments
                    .iter()
                    .filter(|deployment| deployment.name == lifecycle.deployment)
                    .flat_map(|deployment| &deployment.containers)
                    .find(|container| container.kind == kind && container.name == entry.name);
                if let Some(found) = images.container(&lifecycle.deployment, kind, &entry.name) {
                    self.moved
                        .push((found.reference.clone(), after.clone(), field.clone()));
                }
                self.record(
                    format!("{container_place}, image"),
                    field.clone(),
                    after,
                    || original.map_or_else(String::new, |container| container.image.clone()),
                );
                for (env_number, env) in entry.env.iter().enumerate() {
                    let env_field = format!("{field}.env[{env_number}]");
                    let after = self.target.value(Part::FullAddress, &env.image, &env.tag);
                    self.editor
                        .set_env_value(&lifecycle.deployment, kind, &entry.name, &env.name, &after)
                        .map_err(edit_error(&env_field))?;
                    if let Some(found) = images
                        .env_of(&lifecycle.deployment, kind, &entry.name)
                        .find(|found| found.name == env.name)
                    {
                        self.moved.push((
                            found.reference.clone(),
                            after.clone(),
                            env_field.clone(),
                        ));
                    }
                    self.record(
                        format!("{container_place}, env {}", env.name),
                        env_field,
                        after,
                        || {
                            original
                                .and_then(|container| {
                                    container
                                        .env
                                        .iter()
                                        .find(|variable| variable.name == env.name)
                                })
                                .and_then(|variable| variable.value.clone())
                                .unwrap_or_default()
                        },
                    );
                }
            }
        }
        Ok(())
    }

    /// Writes each instance's parts into the first alm-examples resource of its kind.
    fn instances(&mut self, bundle: &Bundle, mapping: &Mapping) -> Result<Written, Error> {
        let examples: &[Value] = match bundle.csv.alm_examples.as_ref().map(|alm| &alm.examples) {
            Some(Ok(examples)) => examples,
            _ => &[],
        };
        let mut written = Written::new();
        for (index, instance) in mapping.instance.iter().enumerate() {
            let field = format!("instance[{index}]");
            let kind = instance.kind.as_deref().ok_or_else(|| Error::NoKind {
                field: field.clone(),
            })?;
            let example = examples
                .iter()
                .find(|example| example.get("kind").and_then(Value::as_str) == Some(kind));
            for (part, path) in instance.address.parts() {
                let part_field = format!("{field}.address.{part}");
                let after = self.target.value(part, &instance.image, &instance.tag);
                self.editor
                    .set_alm_example_field(kind, path, &after)
                    .map_err(edit_error(&part_field))?;
                written.insert((kind.to_owned(), path.to_owned()), (part, index));
                self.record(
                    format!("alm-examples {kind}, {path}"),
                    part_field,
                    after,
                    || {
                        let value = example.zip(osc_yaml::Path::parse(path).ok());
                        value
                            .and_then(|(example, path)| json_at(example, &path))
                            .and_then(Value::as_str)
                            .map_or_else(String::new, str::to_owned)
                    },
                );
            }
        }
        Ok(written)
    }

    /// Notes each alm-examples image whose fields the instances wrote as that image's parts,
    /// and returns the others.
    fn examples(
        &mut self,
        mapping: &Mapping,
        images: &OperatorImages,
        written: &Written,
    ) -> Vec<UnmovableImage> {
        let mut not_moved = Vec::new();
        for image in &images.examples {
            let mut problems = Vec::new();
            let mut writer = None;
            for (path, part) in &image.parts {
                match written.get(&(image.kind.clone(), path.clone())) {
                    // A registry or tag field may serve several images; the instance writing
                    // the repository is the image's.
                    Some((done, index)) if done == part => {
                        if writer.is_none() || !matches!(part, Part::Endpoint | Part::Tag) {
                            writer = Some(*index);
                        }
                    }
                    Some((done, _)) => {
                        problems.push(format!("`{path}` holds the {part} but gets the {done}"))
                    }
                    None => problems.push(format!("no instance writes `{path}`, the {part}")),
                }
            }
            match writer {
                Some(index) if problems.is_empty() => {
                    let instance = &mapping.instance[index];
                    let after =
                        self.target
                            .value(Part::FullAddress, &instance.image, &instance.tag);
                    self.moved
                        .push((image.reference.clone(), after, format!("instance[{index}]")));
                }
                _ => not_moved.push(UnmovableImage {
                    place: format!("alm-examples {}, {}", image.kind, image.fields()),
                    text: image.reference.to_string(),
                    reason: if writer.is_none() && problems.len() == image.parts.len() {
                        "no instance writes its fields".to_owned()
                    } else {
                        problems.join("; ")
                    },
                }),
            }
        }
        not_moved
    }

    /// Points each `spec.relatedImages` entry whose image was pushed where it went, and returns
    /// the others.
    fn related(&mut self, images: &OperatorImages) -> Result<Vec<UnmovableImage>, Error> {
        let mut not_moved = Vec::new();
        for related in &images.related {
            let place = format!("spec.relatedImages[{}]", related.index);
            let Some((_, after, field)) = self
                .moved
                .iter()
                .find(|(reference, _, _)| *reference == related.reference)
            else {
                not_moved.push(UnmovableImage {
                    place,
                    text: related.reference.to_string(),
                    reason: "no entry pushes this image, and the platform's guide does not say \
                             that it rewrites relatedImages"
                        .to_owned(),
                });
                continue;
            };
            self.editor
                .set_related_image(RelatedImageKey::Index(related.index), after)
                .map_err(edit_error(field))?;
            self.changes.push(Change {
                path: place,
                field: field.clone(),
                before: related.reference.to_string(),
                after: after.clone(),
            });
        }
        Ok(not_moved)
    }

    /// The container images and env variables no lifecycle entry names.
    fn unnamed(&self, images: &OperatorImages) -> Vec<UnmovableImage> {
        let mut not_moved = Vec::new();
        for container in &images.containers {
            let place = ContainerPlace {
                deployment: &container.deployment,
                kind: container.kind,
                container: &container.name,
            };
            if !self.current.contains_key(&format!("{place}, image")) {
                not_moved.push(UnmovableImage {
                    place: format!("{place}, image"),
                    text: container.reference.to_string(),
                    reason: "no lifecycle entry names the container".to_owned(),
                });
            }
        }
        for env in &images.env {
            let place = ContainerPlace {
                deployment: &env.deployment,
                kind: env.kind,
                container: &env.container,
            };
            let place = format!("{place}, env {}", env.name);
            if !self.current.contains_key(&place) {
                not_moved.push(UnmovableImage {
                    place,
                    text: env.reference.to_string(),
                    reason: "no env entry of the lifecycle names the variable".to_owned(),
                });
            }
        }
        not_moved
    }

    /// Records a write of `after` into `place`; `original` is what the place held before any
    /// write (a place written twice shows the first write as its before).
    fn record(
        &mut self,
        place: String,
        field: String,
        after: String,
        original: impl FnOnce() -> String,
    ) {
        let before = self.current.get(&place).cloned().unwrap_or_else(original);
        self.current.insert(place.clone(), after.clone());
        self.changes.push(Change {
            path: place,
            field,
            before,
            after,
        });
    }
}

fn edit_error(field: &str) -> impl FnOnce(osc_csv::EditError) -> Error {
    let field = field.to_owned();
    move |source| Error::Csv {
        field,
        source: Box::new(source),
    }
}
