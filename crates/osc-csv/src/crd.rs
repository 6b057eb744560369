//! Reads CustomResourceDefinitions and the identity of any other manifest.

use std::path::Path;

use serde_norway::Value;

use crate::error::Error;
use crate::model::{Crd, CrdVersion, Manifest};
use crate::yaml::Node;

pub(crate) const CRD_KIND: &str = "CustomResourceDefinition";
pub(crate) const CRD_V1BETA1: &str = "apiextensions.k8s.io/v1beta1";

/// `apiVersion`, `kind` and `metadata.name` of any object.
pub(crate) fn parse_manifest(file: &Path, value: &Value) -> Result<Manifest, Error> {
    let root = Node::root(value, file);
    Ok(Manifest {
        file: file.to_path_buf(),
        api_version: root.string("apiVersion")?,
        kind: root.string("kind")?,
        name: match root.get("metadata")? {
            Some(metadata) => metadata.string("name")?,
            None => None,
        },
    })
}

pub(crate) fn is_crd(manifest: &Manifest) -> bool {
    manifest.kind.as_deref() == Some(CRD_KIND)
        && manifest
            .api_version
            .as_deref()
            .is_some_and(|api| api.starts_with("apiextensions.k8s.io/"))
}

pub(crate) fn parse_crd(file: &Path, value: &Value) -> Result<Crd, Error> {
    let root = Node::root(value, file);
    let api_version = root.required_string("apiVersion", "write apiextensions.k8s.io/v1")?;
    let metadata = root.require("metadata", "a CRD needs metadata.name")?;
    let spec = root.require("spec", "a CRD needs a spec")?;
    let names = spec.require("names", "a CRD needs spec.names with kind and plural")?;
    let mut versions = spec
        .items("versions")?
        .iter()
        .map(|version| {
            Ok(CrdVersion {
                name: version.required_string("name", "name the version, e.g. v1")?,
                served: version.flag("served")?,
                storage: version.flag("storage")?,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    // v1beta1 may name a single version in `spec.version`, which is then served and stored.
    if versions.is_empty()
        && let Some(version) = spec.string("version")?
    {
        versions.push(CrdVersion {
            name: version,
            served: true,
            storage: true,
        });
    }
    Ok(Crd {
        file: file.to_path_buf(),
        api_version,
        name: metadata.required_string("name", "name the CRD `<plural>.<group>`")?,
        group: spec.required_string("group", "write the CRD's API group")?,
        kind: names.required_string("kind", "write the kind of the custom resource")?,
        plural: names.required_string("plural", "write the plural resource name")?,
        versions,
    })
}
