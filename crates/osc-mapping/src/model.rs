//! The mapping.yaml file: its fields, read with serde.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Error;

/// A whole mapping.yaml: what the platform rewrites after it pushes the images of a package.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// Helm: images whose addresses live in values.yaml; operator: in an alm-examples CR.
    #[serde(default)]
    pub instance: Vec<Instance>,
    /// Operator only: the containers of the CSV's own deployments.
    #[serde(default)]
    pub lifecycle: Vec<Lifecycle>,
}

/// One pushed image and the keys the platform writes its address into.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instance {
    /// The image's name in the platform registry after the push.
    pub image: String,
    /// The image's tag in the platform registry after the push.
    pub tag: String,
    /// Operator only: the alm-examples entry, by kind, whose fields `address` names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default)]
    pub address: Address,
    #[serde(default)]
    pub package: Package,
}

/// Dotted key paths from the root of values.yaml (or of the CR), one per address part.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Address {
    /// Gets `HOST/ORG/image:tag`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_address: Option<String>,
    /// Gets `HOST/ORG/image`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// Gets `HOST/ORG`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_address: Option<String>,
    /// Gets `HOST`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Gets `ORG/image`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// Gets `tag`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
}

/// The image tars in `images/` that hold the image, one per CPU architecture.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Package {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x86_64: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aarch64: Option<String>,
}

/// Operator only: a deployment of the CSV's `spec.install.spec.deployments`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lifecycle {
    pub deployment: String,
    #[serde(default)]
    pub containers: Vec<LifecycleContainer>,
}

/// A container of a lifecycle deployment; the platform writes the whole new address into its
/// `image`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LifecycleContainer {
    /// `initContainer`, `container` or `ephemeralContainer`.
    #[serde(rename = "type")]
    pub container_type: String,
    pub name: String,
    pub image: String,
    pub tag: String,
    #[serde(default)]
    pub package: Package,
    #[serde(default)]
    pub env: Vec<EnvImage>,
}

/// An environment variable of a lifecycle container whose value is an image address.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvImage {
    pub name: String,
    pub image: String,
    pub tag: String,
    #[serde(default)]
    pub package: Package,
}

/// A field of `address`: which part of `HOST/ORG/image:tag` the platform writes into a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Part {
    /// `HOST/ORG/image:tag`
    FullAddress,
    /// `HOST/ORG/image`
    Repository,
    /// `HOST/ORG`
    PrefixAddress,
    /// `HOST`
    Endpoint,
    /// `ORG/image`
    Repo,
    /// `tag`
    Tag,
}

impl Part {
    /// Whole before pieces, then the pieces in the order they make up the address.
    pub const ALL: [Part; 6] = [
        Part::FullAddress,
        Part::Repository,
        Part::PrefixAddress,
        Part::Endpoint,
        Part::Repo,
        Part::Tag,
    ];

    /// The field name in mapping.yaml.
    pub fn as_str(self) -> &'static str {
        match self {
            Part::FullAddress => "fullAddress",
            Part::Repository => "repository",
            Part::PrefixAddress => "prefixAddress",
            Part::Repo => "repo",
            Part::Endpoint => "endpoint",
            Part::Tag => "tag",
        }
    }
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Mapping {
    /// Reads mapping.yaml text; `file` names it in errors. Unknown fields are errors, since
    /// the platform ignores them and a misspelt key silently maps nothing.
    pub fn parse(text: &str, file: &str) -> Result<Mapping, Error> {
        serde_norway::from_str(text).map_err(|error| {
            let (line, column) = error
                .location()
                .map_or((1, 1), |location| (location.line(), location.column()));
            // serde_norway writes the location into the message, which the error already carries.
            let message = error
                .to_string()
                .replace(&format!(" at line {line} column {column}"), "");
            Error::Parse {
                file: file.to_owned(),
                line,
                column,
                message,
            }
        })
    }
}

impl Address {
    /// The key path the platform writes `part` into.
    pub fn get(&self, part: Part) -> Option<&str> {
        match part {
            Part::FullAddress => self.full_address.as_deref(),
            Part::Repository => self.repository.as_deref(),
            Part::PrefixAddress => self.prefix_address.as_deref(),
            Part::Repo => self.repo.as_deref(),
            Part::Endpoint => self.endpoint.as_deref(),
            Part::Tag => self.tag.as_deref(),
        }
    }

    /// The parts given, with their key paths, in mapping.yaml's order.
    pub fn parts(&self) -> impl Iterator<Item = (Part, &str)> {
        Part::ALL
            .into_iter()
            .filter_map(|part| self.get(part).map(|path| (part, path)))
    }

    pub(crate) fn slot(&mut self, part: Part) -> &mut Option<String> {
        match part {
            Part::FullAddress => &mut self.full_address,
            Part::Repository => &mut self.repository,
            Part::PrefixAddress => &mut self.prefix_address,
            Part::Repo => &mut self.repo,
            Part::Endpoint => &mut self.endpoint,
            Part::Tag => &mut self.tag,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.parts().next().is_none()
    }
}

impl Package {
    pub fn is_empty(&self) -> bool {
        self.x86_64.is_none() && self.aarch64.is_none()
    }
}
