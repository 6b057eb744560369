//! Platform traps: what breaks once OSC rewrites a chart's images, found from what key discovery
//! and a plain render saw, and the edits to the packaged values.yaml that prevent what can be
//! prevented.
//!
//! The platform pushes the image tars to its registry and rewrites the values.yaml keys mapping.yaml
//! names, nothing else. So a chart breaks when it refuses moved images (a guard), pins an upstream
//! digest, takes an image key from a place the platform does not rewrite (a subchart's values.yaml,
//! a template default behind a null key), or carries an image where no key reaches it (a template,
//! container args, an env value listing several images, a ConfigMap or custom resource).

mod scan;

use osc_render::{AddressPart, Discovery, KeyOrigin, Rendered};
use serde::Serialize;

pub use scan::{Unmovable, UnmovableKind};

/// What discovery and the render show will break, and what the package can do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Traps {
    /// Edits to the packaged values.yaml, in the order they apply.
    pub fixes: Vec<Fix>,
    /// Images no edit of values.yaml can move.
    pub unmovable: Vec<Unmovable>,
}

/// One edit of the packaged values.yaml.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fix {
    pub trap: Trap,
    /// The values.yaml key path, dotted from the root.
    pub path: String,
    /// The value in values.yaml before, when the key is there.
    pub before: Option<String>,
    pub after: FixValue,
    /// Why, for the provider.
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Trap {
    /// The chart refuses to render with moved images unless a key is true.
    Guard,
    /// A key pins the upstream digest, which the re-pushed image does not have.
    PinnedDigest,
    /// An image key the platform cannot rewrite because the top values.yaml lacks it.
    UnreachableKey,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum FixValue {
    Str(String),
    Bool(bool),
}

impl std::fmt::Display for FixValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FixValue::Str(text) => write!(f, "{text:?}"),
            FixValue::Bool(flag) => write!(f, "{flag}"),
        }
    }
}

/// A fix that could not be written into values.yaml
#[derive(Debug, thiserror::Error)]
#[error("values.yaml: cannot set `{path}` ({why}): {error}")]
pub struct FixError {
    pub path: String,
    pub why: String,
    pub error: osc_yaml::Error,
}

/// The traps in a chart, from its key discovery and a render with its default values.
pub fn find(discovery: &Discovery, rendered: &Rendered, values_yaml: &str) -> Traps {
    let document = osc_yaml::Document::parse(values_yaml).ok();
    let current = |path: &str| -> Option<String> {
        let document = document.as_ref()?;
        let node = document.get(&osc_yaml::Path::parse(path).ok()?)?;
        match node.kind() {
            osc_yaml::NodeKind::Scalar { value, .. } => Some(value.to_string()),
            _ => None,
        }
    };
    let mut fixes: Vec<Fix> = Vec::new();
    let mut push = |fix: Fix| {
        if !fixes.iter().any(|seen| seen.path == fix.path) {
            fixes.push(fix);
        }
    };

    if let Some(guard) = &discovery.guard {
        push(Fix {
            trap: Trap::Guard,
            before: current(&guard.key),
            path: guard.key.clone(),
            after: FixValue::Bool(true),
            why: "the chart refuses to render once its images are moved to the platform's registry unless this is true".to_string(),
        });
    }

    for found in &discovery.images {
        for key in &found.keys {
            // Keys that exist only in the user's -f files are not in the package at all.
            if key.origin == KeyOrigin::UserValues {
                continue;
            }
            match key.part {
                AddressPart::Digest if !key.value.is_empty() => push(Fix {
                    trap: Trap::PinnedDigest,
                    path: key.path.clone(),
                    before: Some(key.value.clone()),
                    after: FixValue::Str(String::new()),
                    why: format!(
                        "pins {} to its upstream digest; the platform re-pushes the image from its tar under a new digest, and mapping.yaml has no digest part",
                        found.reference
                    ),
                }),
                AddressPart::FullAddress if key.value.contains("@sha256:") => push(Fix {
                    trap: Trap::PinnedDigest,
                    path: key.path.clone(),
                    before: Some(key.value.clone()),
                    after: FixValue::Str(key.value.split('@').next().unwrap_or_default().to_string()),
                    why: "the reference pins its upstream digest, which the re-pushed image does not have".to_string(),
                }),
                _ => {}
            }
            let reachable_part = !matches!(
                key.part,
                AddressPart::Digest | AddressPart::Partial | AddressPart::PrefixAddress
            );
            if let KeyOrigin::SubchartValues { chart } = &key.origin
                && reachable_part
                && !key.value.is_empty()
            {
                push(Fix {
                    trap: Trap::UnreachableKey,
                    path: key.path.clone(),
                    before: None,
                    after: FixValue::Str(key.value.clone()),
                    why: format!(
                        "the key is only in subchart {chart}'s values.yaml, which the platform does not rewrite; written into the top values.yaml with the value Helm renders today so mapping.yaml can name it"
                    ),
                });
            }
        }
        // A part no set key gives, taken from a null key the template defaults (`| default .Chart.AppVersion`).
        for key in found
            .keys
            .iter()
            .filter(|key| key.value.is_empty() && key.origin == KeyOrigin::ChartValues)
        {
            let covered = found
                .keys
                .iter()
                .any(|other| other.part == key.part && !other.value.is_empty());
            let shared = discovery
                .images
                .iter()
                .filter(|image| image.keys.iter().any(|k| k.path == key.path))
                .count()
                > 1;
            let rendered_part = match key.part {
                AddressPart::Tag => found.reference.tag().map(str::to_string),
                AddressPart::FullAddress => found.uses.first().map(|use_| use_.raw.clone()),
                _ => None,
            };
            if let (false, false, Some(value)) = (covered, shared, rendered_part) {
                push(Fix {
                    trap: Trap::UnreachableKey,
                    before: current(&key.path).or(Some("null".to_string())),
                    path: key.path.clone(),
                    after: FixValue::Str(value),
                    why: format!(
                        "the key is empty and the template fills in a default, so the platform has nothing to rewrite; written with the value Helm renders today for {}",
                        found.reference
                    ),
                });
            }
        }
    }

    Traps {
        fixes,
        unmovable: scan::unmovable(discovery, rendered),
    }
}

/// Applies the fixes to values.yaml text, changing only the bytes of the keys they name.
pub fn apply(values_yaml: &str, fixes: &[Fix]) -> Result<String, FixError> {
    let mut document = osc_yaml::Document::parse(values_yaml).map_err(|error| FixError {
        path: String::new(),
        why: "values.yaml does not parse".to_string(),
        error,
    })?;
    for fix in fixes {
        let error = |error| FixError {
            path: fix.path.clone(),
            why: fix.why.clone(),
            error,
        };
        let path = osc_yaml::Path::parse(&fix.path).map_err(error)?;
        let value = match &fix.after {
            FixValue::Str(text) => osc_yaml::Value::Str(text.clone()),
            FixValue::Bool(flag) => osc_yaml::Value::Bool(*flag),
        };
        document.set(&path, value).map_err(error)?;
    }
    Ok(document.text().to_string())
}
