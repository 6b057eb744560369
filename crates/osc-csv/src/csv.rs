//! Reads a ClusterServiceVersion document into [`Csv`].

use std::path::Path;

use serde_norway::Value;

use crate::alm;
use crate::error::Error;
use crate::model::{
    AlmExamples, Container, ContainerKind, Csv, Deployment, Descriptor, EnvVar, Icon, InstallMode,
    Maintainer, OwnedCrd, PackageCsv, Provider, RelatedImage,
};
use crate::yaml::{Document, Node};

pub(crate) const ALM_EXAMPLES: &str = "alm-examples";
pub(crate) const SKIP_RANGE: &str = "olm.skipRange";

pub(crate) fn parse_csv(
    file: &Path,
    text: &str,
    document: &Document,
    value: &Value,
) -> Result<Csv, Error> {
    let root = Node::root(value, file);
    let metadata = root.require("metadata", "a ClusterServiceVersion needs metadata.name")?;
    let annotations = metadata.string_map("annotations")?;
    let spec = root.require("spec", "a ClusterServiceVersion needs a spec")?;
    let identity = parse_identity(&root)?;
    let alm_examples = match annotations.iter().find(|(key, _)| key == ALM_EXAMPLES) {
        None => None,
        Some((_, raw)) => {
            let located = alm::locate_annotation(file, text, document, ALM_EXAMPLES)?;
            let Some((style, span)) = located else {
                return Err(metadata.error(format!(
                    "the {ALM_EXAMPLES} annotation was parsed but not found in the text; \
                     write it as a plain `{ALM_EXAMPLES}: ...` entry under metadata.annotations"
                )));
            };
            Some(AlmExamples {
                raw: raw.clone(),
                style,
                span,
                examples: alm::parse_examples(raw),
            })
        }
    };
    Ok(Csv {
        name: identity.name,
        version: identity.version,
        replaces: identity.replaces,
        skips: identity.skips,
        skip_range: identity.skip_range,
        display_name: spec.string("displayName")?,
        description: spec.string("description")?,
        provider: spec
            .get("provider")?
            .map(|node| parse_provider(&node))
            .transpose()?,
        maintainers: spec
            .items("maintainers")?
            .iter()
            .map(|node| {
                Ok(Maintainer {
                    name: node.string("name")?,
                    email: node.string("email")?,
                })
            })
            .collect::<Result<_, Error>>()?,
        annotations,
        owned_crds: match spec.get("customresourcedefinitions")? {
            None => Vec::new(),
            Some(node) => node
                .items("owned")?
                .iter()
                .map(parse_owned_crd)
                .collect::<Result<_, _>>()?,
        },
        install_modes: spec
            .items("installModes")?
            .iter()
            .map(|node| {
                Ok(InstallMode {
                    mode: node.required_string(
                        "type",
                        "write one of OwnNamespace, SingleNamespace, MultiNamespace, AllNamespaces",
                    )?,
                    supported: node.flag("supported")?,
                })
            })
            .collect::<Result<_, Error>>()?,
        deployments: parse_deployments(&spec)?,
        related_images: spec
            .items("relatedImages")?
            .iter()
            .map(|node| {
                Ok(RelatedImage {
                    name: node.string("name")?,
                    image: node.required_string(
                        "image",
                        "write the image reference or remove the entry",
                    )?,
                })
            })
            .collect::<Result<_, Error>>()?,
        alm_examples,
        icon: spec
            .items("icon")?
            .iter()
            .map(|node| {
                Ok(Icon {
                    base64data: node.required_string(
                        "base64data",
                        "write the base64-encoded image or remove the icon entry",
                    )?,
                    mediatype: node.string("mediatype")?,
                })
            })
            .collect::<Result<_, Error>>()?,
    })
}

/// The upgrade-graph fields only, for the other CSVs of a package.
pub(crate) fn parse_package_csv(file: &Path, value: &Value) -> Result<PackageCsv, Error> {
    let identity = parse_identity(&Node::root(value, file))?;
    Ok(PackageCsv {
        file: file.to_path_buf(),
        name: identity.name,
        version: identity.version,
        replaces: identity.replaces,
        skips: identity.skips,
        skip_range: identity.skip_range,
    })
}

struct Identity {
    name: String,
    version: String,
    replaces: Option<String>,
    skips: Vec<String>,
    skip_range: Option<String>,
}

fn parse_identity(root: &Node) -> Result<Identity, Error> {
    let metadata = root.require("metadata", "a ClusterServiceVersion needs metadata.name")?;
    let spec = root.require("spec", "a ClusterServiceVersion needs a spec")?;
    let skip_range = match metadata.get("annotations")? {
        Some(annotations) => annotations.string(SKIP_RANGE)?,
        None => None,
    };
    Ok(Identity {
        name: metadata.required_string(
            "name",
            "name the CSV `<operator>.v<version>`, e.g. etcdoperator.v0.9.4",
        )?,
        version: spec
            .required_string("version", "write the operator's SemVer version, e.g. 1.2.3")?,
        replaces: spec.string("replaces")?,
        skips: spec.strings("skips")?,
        skip_range,
    })
}

fn parse_provider(node: &Node) -> Result<Provider, Error> {
    Ok(Provider {
        name: node.string("name")?,
        url: node.string("url")?,
        email: node.string("email")?,
    })
}

fn parse_owned_crd(node: &Node) -> Result<OwnedCrd, Error> {
    let descriptors = |key: &str| -> Result<Vec<Descriptor>, Error> {
        node.items(key)?
            .iter()
            .map(|descriptor| {
                Ok(Descriptor {
                    path: descriptor.required_string(
                        "path",
                        "write the dotted path of the field this descriptor shows",
                    )?,
                    display_name: descriptor.string("displayName")?,
                    description: descriptor.string("description")?,
                    x_descriptors: descriptor.strings("x-descriptors")?,
                })
            })
            .collect()
    };
    Ok(OwnedCrd {
        name: node.required_string("name", "write the CRD's name, `<plural>.<group>`")?,
        kind: node.required_string("kind", "write the CRD's kind")?,
        version: node.required_string(
            "version",
            "write the CRD version the operator serves, e.g. v1",
        )?,
        display_name: node.string("displayName")?,
        description: node.string("description")?,
        spec_descriptors: descriptors("specDescriptors")?,
        status_descriptors: descriptors("statusDescriptors")?,
    })
}

fn parse_deployments(spec: &Node) -> Result<Vec<Deployment>, Error> {
    let Some(install) = spec.get("install")? else {
        return Ok(Vec::new());
    };
    let Some(install_spec) = install.get("spec")? else {
        return Ok(Vec::new());
    };
    install_spec
        .items("deployments")?
        .iter()
        .map(|deployment| {
            let name = deployment.required_string("name", "name the deployment")?;
            let pod = match deployment.get("spec")? {
                Some(spec) => match spec.get("template")? {
                    Some(template) => template.get("spec")?,
                    None => None,
                },
                None => None,
            };
            let mut containers = Vec::new();
            if let Some(pod) = pod {
                for kind in [
                    ContainerKind::InitContainer,
                    ContainerKind::Container,
                    ContainerKind::EphemeralContainer,
                ] {
                    for (index, node) in pod.items(kind.list_key())?.iter().enumerate() {
                        containers.push(parse_container(node, kind, index)?);
                    }
                }
            }
            Ok(Deployment { name, containers })
        })
        .collect()
}

fn parse_container(node: &Node, kind: ContainerKind, index: usize) -> Result<Container, Error> {
    Ok(Container {
        kind,
        index,
        name: node.required_string("name", "name the container")?,
        image: match node.get("image")? {
            Some(image) => image.as_string()?,
            None => {
                return Err(node.error(
                    "missing image; every operator container needs a full image reference such as \
                     registry.example.com/team/operator:1.0.0, set in the CSV",
                ));
            }
        },
        env: node
            .items("env")?
            .iter()
            .map(|env| {
                Ok(EnvVar {
                    name: env.required_string("name", "name the variable")?,
                    value: env.string("value")?,
                })
            })
            .collect::<Result<_, Error>>()?,
        args: node.strings("args")?,
        command: node.strings("command")?,
    })
}
