//! The platform's rewrite of values.yaml after it pushed the images.

use osc_imageref::ImageRef;
use osc_yaml::{Document, NodeKind, Path};
use serde::Serialize;

use crate::{Error, Mapping, Part};

/// values.yaml after the rewrite, and every write in the order the platform makes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    pub text: String,
    pub changes: Vec<Change>,
}

/// One key the platform wrote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The values.yaml key path.
    pub path: String,
    /// The mapping.yaml field that names it, e.g. `instance[0].address.tag`.
    pub field: String,
    /// The scalar as it read before, e.g. `docker.io`, or `~` for a null.
    pub before: String,
    pub after: String,
}

/// Rewrites values.yaml as the platform does for a Helm chart: for each `instance`, in order,
/// every key its `address` names gets that part of `HOST/ORG/{image}:{tag}`, where `registry`
/// is `HOST/ORG`. A later write of the same key wins. `kind` and `lifecycle` concern operators
/// and are not used. Only the bytes of the written scalars change.
pub fn apply(values_yaml: &str, mapping: &Mapping, registry: &str) -> Result<Applied, Error> {
    let target = Target::parse(registry)?;
    let mut document = Document::parse(values_yaml).map_err(|source| Error::Values { source })?;
    let mut changes = Vec::new();
    for (index, instance) in mapping.instance.iter().enumerate() {
        for (part, key) in instance.address.parts() {
            let field = format!("instance[{index}].address.{part}");
            let path = Path::parse(key).map_err(|source| Error::Path {
                field: field.clone(),
                source,
            })?;
            let before = match document.get(&path).map(|node| node.kind()) {
                Some(NodeKind::Scalar { value, .. }) => value.to_owned(),
                Some(_) => {
                    return Err(Error::NotScalar {
                        field,
                        path: key.to_owned(),
                    });
                }
                None => {
                    return Err(Error::MissingKey {
                        field,
                        path: key.to_owned(),
                    });
                }
            };
            let after = target.value(part, &instance.image, &instance.tag);
            document
                .set(&path, after.as_str())
                .map_err(|source| Error::Write {
                    field: field.clone(),
                    source,
                })?;
            changes.push(Change {
                path: key.to_owned(),
                field,
                before,
                after,
            });
        }
    }
    Ok(Applied {
        text: document.text().to_owned(),
        changes,
    })
}

/// Where the platform pushes images: `HOST/ORG`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Target<'a> {
    pub host: &'a str,
    pub org: &'a str,
}

impl<'a> Target<'a> {
    /// Stands for any registry when comparing what two entries write, and reads well in messages.
    pub const PLACEHOLDER: Target<'static> = Target {
        host: "HOST",
        org: "ORG",
    };

    pub fn parse(registry: &'a str) -> Result<Target<'a>, Error> {
        let invalid = |reason: &str| Error::Registry {
            registry: registry.to_owned(),
            reason: reason.to_owned(),
        };
        let (host, org) = registry
            .split_once('/')
            .ok_or_else(|| invalid("it has no `/`"))?;
        if org.contains('/') {
            return Err(invalid("the organisation holds a `/`"));
        }
        // The grammar of image references decides what a host and an organisation may be.
        let probe = ImageRef::parse(&format!("{registry}/image"))
            .map_err(|error| invalid(&error.to_string()))?;
        if probe.registry() != host {
            return Err(invalid("the part before `/` is not a registry host"));
        }
        Ok(Target { host, org })
    }

    /// What the platform writes into a key that holds `part`.
    pub fn value(&self, part: Part, image: &str, tag: &str) -> String {
        let Target { host, org } = self;
        match part {
            Part::FullAddress => format!("{host}/{org}/{image}:{tag}"),
            Part::Repository => format!("{host}/{org}/{image}"),
            Part::PrefixAddress => format!("{host}/{org}"),
            Part::Repo => format!("{org}/{image}"),
            Part::Endpoint => (*host).to_owned(),
            Part::Tag => tag.to_owned(),
        }
    }
}
