//! Models, validates and writes the `versionDefinition` of an OSC custom service definition
//! (csd.yaml), the field that lets the platform upgrade a service instance by changing one image
//! tag or address.
//!
//! ```
//! use osc_versiondef::{Mode, Target, VersionDefinition};
//!
//! let definition = VersionDefinition {
//!     mode: Mode::Tag,
//!     path: "image.tag".to_string(),
//!     tags: vec!["1.0.0".to_string(), "1.1.0".to_string()],
//!     description: None,
//! };
//! let values_yaml = "image:\n  repository: example/db\n  tag: 1.0.0\n";
//! let findings = osc_versiondef::validate(&definition, &Target::Values { values_yaml }, "csd.yaml");
//! // A Helm service only draws the warning that the user guide forbids Helm instance upgrades.
//! assert_eq!(findings.len(), 1);
//! let csd = osc_versiondef::write_into_csd(None, &definition)?;
//! assert_eq!(osc_versiondef::read_from_csd(&csd)?, Some(definition));
//! # Ok::<(), osc_versiondef::Error>(())
//! ```

mod csd;
mod error;
mod template;
mod validate;

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

pub use crate::csd::{lint_csd, read_from_csd, write_into_csd};
pub use crate::error::Error;
pub use crate::validate::validate;
pub use osc_diagnostic::{Diagnostic, Severity};

/// `spec.versionDefinition` of a CSD: which field of the instance holds its version, and the
/// versions users may move an instance between.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionDefinition {
    pub mode: Mode,
    /// Dotted path of the field. For a Helm chart a values.yaml path (`clickhouse.imageVersion`),
    /// where a `spec.` prefix means the same key; for an operator a path into the custom resource,
    /// starting at `spec.`.
    pub path: String,
    pub tags: Vec<String>,
    /// The prompt the console shows before an upgrade.
    pub description: Option<String>,
}

/// What the field at `path` holds, and so what the platform rewrites on upgrade.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Only the tag, such as `2.2.1`.
    Tag,
    /// A whole image reference, such as `example/kafka:2.2.1`, whose tag is replaced.
    Url,
}

/// What the definition's `path` points into.
#[derive(Clone, Copy, Debug)]
pub enum Target<'a> {
    /// A Helm chart's values.yaml text.
    Values { values_yaml: &'a str },
    /// The operator's sample custom resource of this kind (its `alm-examples` entry, or the CSD's
    /// `defaultConfiguration`).
    Operator {
        kind: &'a str,
        example: &'a serde_json::Value,
    },
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Tag => "tag",
            Mode::Url => "url",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Reads `tag` or `url`, exactly as the platform spells them.
impl FromStr for Mode {
    type Err = Error;

    fn from_str(text: &str) -> Result<Mode, Error> {
        match text {
            "tag" => Ok(Mode::Tag),
            "url" => Ok(Mode::Url),
            _ => Err(Error::Mode {
                found: text.to_string(),
                line: None,
            }),
        }
    }
}
