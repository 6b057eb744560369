//! The platform's rewrite of an operator bundle's CSV after it pushed the images.

use std::collections::HashMap;

use osc_csv::{Bundle, CsvEditor, RelatedImageKey};
use osc_imageref::ImageRef;
use serde_json::Value;

use crate::apply::Target;
use crate::operator::images::{
    ContainerPlace, UnmovableImage, json_at, operator_images, parse_kind,
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
    let target = Target::parse(registry)?;
    let images = operator_images(bundle);
    let mut editor = CsvEditor::new(bundle);
    let mut changes = Vec::new();
    // What each place holds now, and the original reference pushed into each written place.
    let mut current: HashMap<String, String> = HashMap::new();
    let mut moved: Vec<(ImageRef, String, String)> = Vec::new();
    let edit_error = |field: &str| {
        let field = field.to_owned();
        move |source| Error::Csv {
            field,
            source: Box::new(source),
        }
    };
    for (index, lifecycle) in mapping.lifecycle.iter().enumerate() {
        for (number, entry) in lifecycle.containers.iter().enumerate() {
            let field = format!("lifecycle[{index}].containers[{number}]");
            let kind = parse_kind(&entry.container_type).ok_or_else(|| Error::ContainerType {
                field: field.clone(),
                value: entry.container_type.clone(),
            })?;
            let after = target.value(Part::FullAddress, &entry.image, &entry.tag);
            editor
                .set_container_image(&lifecycle.deployment, kind, &entry.name, &after)
                .map_err(edit_error(&field))?;
            let container_place = ContainerPlace {
                deployment: &lifecycle.deployment,
                kind,
                container: &entry.name,
            }
            .to_string();
            let found = images.container(&lifecycle.deployment, kind, &entry.name);
            let original = bundle
                .csv
                .deployments
                .iter()
                .filter(|deployment| deployment.name == lifecycle.deployment)
                .flat_map(|deployment| &deployment.containers)
                .find(|container| container.kind == kind && container.name == entry.name);
            let place = format!("{container_place}, image");
            let before = current.get(&place).cloned().unwrap_or_else(|| {
                original.map_or_else(String::new, |container| container.image.clone())
            });
            if let Some(found) = found {
                moved.push((found.reference.clone(), after.clone(), field.clone()));
            }
            current.insert(place.clone(), after.clone());
            changes.push(Change {
                path: place,
                field: field.clone(),
                before,
                after,
            });
            for (env_number, env) in entry.env.iter().enumerate() {
                let env_field = format!("{field}.env[{env_number}]");
                let after = target.value(Part::FullAddress, &env.image, &env.tag);
                editor
                    .set_env_value(&lifecycle.deployment, kind, &entry.name, &env.name, &after)
                    .map_err(edit_error(&env_field))?;
                let place = format!("{container_place}, env {}", env.name);
                let before = current.get(&place).cloned().unwrap_or_else(|| {
                    original
                        .and_then(|container| {
                            container
                                .env
                                .iter()
                                .find(|variable| variable.name == env.name)
                        })
                        .and_then(|variable| variable.value.clone())
                        .unwrap_or_default()
                });
                if let Some(found) = images
                    .env_of(&lifecycle.deployment, kind, &entry.name)
                    .find(|found| found.name == env.name)
                {
                    moved.push((found.reference.clone(), after.clone(), env_field.clone()));
                }
                current.insert(place.clone(), after.clone());
                changes.push(Change {
                    path: place,
                    field: env_field,
                    before,
                    after,
                });
            }
        }
    }
    let examples: &[Value] = match bundle.csv.alm_examples.as_ref().map(|alm| &alm.examples) {
        Some(Ok(examples)) => examples,
        _ => &[],
    };
    // (kind, path) → (part written, instance index)
    let mut written: HashMap<(String, String), (Part, usize)> = HashMap::new();
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
            let after = target.value(part, &instance.image, &instance.tag);
            editor
                .set_alm_example_field(kind, path, &after)
                .map_err(edit_error(&part_field))?;
            let place = format!("alm-examples {kind}, {path}");
            let before = current.get(&place).cloned().unwrap_or_else(|| {
                let value = example.zip(osc_yaml::Path::parse(path).ok());
                value
                    .and_then(|(example, path)| json_at(example, &path))
                    .and_then(Value::as_str)
                    .map_or_else(String::new, str::to_owned)
            });
            written.insert((kind.to_owned(), path.to_owned()), (part, index));
            current.insert(place.clone(), after.clone());
            changes.push(Change {
                path: place,
                field: part_field,
                before,
                after,
            });
        }
    }
    let mut not_moved = Vec::new();
    for image in &images.examples {
        let mut problems = Vec::new();
        let mut writer = None;
        for (path, part) in &image.parts {
            match written.get(&(image.kind.clone(), path.clone())) {
                // A registry or tag field may serve several images; the instance writing the
                // repository is the image's.
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
        let fields = image
            .parts
            .iter()
            .map(|(path, _)| path.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        match writer {
            Some(index) if problems.is_empty() => {
                let instance = &mapping.instance[index];
                let after = target.value(Part::FullAddress, &instance.image, &instance.tag);
                moved.push((image.reference.clone(), after, format!("instance[{index}]")));
            }
            _ => not_moved.push(UnmovableImage {
                place: format!("alm-examples {}, {fields}", image.kind),
                text: image.reference.to_string(),
                reason: if writer.is_none() && problems.len() == image.parts.len() {
                    "no instance writes its fields".to_owned()
                } else {
                    problems.join("; ")
                },
            }),
        }
    }
    for related in &images.related {
        let place = format!("spec.relatedImages[{}]", related.index);
        let Some((_, after, field)) = moved
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
        editor
            .set_related_image(RelatedImageKey::Index(related.index), after)
            .map_err(edit_error(field))?;
        changes.push(Change {
            path: place,
            field: field.clone(),
            before: related.reference.to_string(),
            after: after.clone(),
        });
    }
    for container in &images.containers {
        let place = ContainerPlace {
            deployment: &container.deployment,
            kind: container.kind,
            container: &container.name,
        };
        if !current.contains_key(&format!("{place}, image")) {
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
        if !current.contains_key(&place) {
            not_moved.push(UnmovableImage {
                place,
                text: env.reference.to_string(),
                reason: "no env entry of the lifecycle names the variable".to_owned(),
            });
        }
    }
    not_moved.extend(images.unmovable.iter().cloned());
    Ok(AppliedCsv {
        text: editor.text().to_owned(),
        changes,
        not_moved,
    })
}
