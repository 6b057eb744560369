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

use osc_imageref::ImageRef;
use osc_render::{AddressPart, Discovery, FoundImage, KeyOrigin, KeyPart, Rendered, SecretShape};
use serde::Serialize;

pub use scan::{Unmovable, UnmovableKind};

/// What discovery and the render show will break, and what the package can do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Traps {
    /// Edits to the packaged values.yaml, in the order they apply.
    pub fixes: Vec<Fix>,
    /// Images no edit of values.yaml can move.
    pub unmovable: Vec<Unmovable>,
    /// Keys pinning an image by digest alone, with no tar to take its tag from.
    pub needs_tag: Vec<NeedsTag>,
    /// `Kind/name` of pods that pull images but that no values key gives a pull secret.
    pub pods_without_secret: Vec<String>,
}

/// A key holding a whole reference pinned by digest without a tag: emptying the digest would
/// leave `:latest`, and no tar tells which tag the image has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NeedsTag {
    pub path: String,
    pub value: String,
}

/// The secret the platform's clusters hold for its registry.
pub const PULL_SECRET: &str = "default-secret";

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
    /// Pods pull from the platform's private registry without its pull secret.
    PullSecret,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum FixValue {
    Str(String),
    Bool(bool),
    /// A list of pull secret names, written as a block: `{name: x}` maps or names.
    Secrets {
        names: Vec<String>,
        maps: bool,
    },
}

impl std::fmt::Display for FixValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FixValue::Str(text) => write!(f, "{text:?}"),
            FixValue::Bool(flag) => write!(f, "{flag}"),
            FixValue::Secrets { names, maps: true } => {
                let items: Vec<String> = names
                    .iter()
                    .map(|name| format!("{{name: {name}}}"))
                    .collect();
                write!(f, "[{}]", items.join(", "))
            }
            FixValue::Secrets { names, maps: false } => write!(f, "[{}]", names.join(", ")),
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
/// `held` are the references the image tars hold (their repo tags): where a reference is pinned
/// by digest alone, the tag comes from them.
pub fn find(
    discovery: &Discovery,
    rendered: &Rendered,
    values_yaml: &str,
    held: &[ImageRef],
) -> Traps {
    let mut finder = Finder {
        document: osc_yaml::Document::parse(values_yaml).ok(),
        fixes: Vec::new(),
        needs_tag: Vec::new(),
    };
    if let Some(guard) = &discovery.guard {
        for key in &guard.keys {
            finder.push(Fix {
                trap: Trap::Guard,
                before: finder.current(key),
                path: key.clone(),
                after: FixValue::Bool(true),
                why: "the chart refuses to render once its images are moved to the platform's registry unless this is true".to_string(),
            });
        }
    }
    let latent = discovery.latent.iter().map(|latent| &latent.image);
    for found in discovery.images.iter().chain(latent) {
        for key in &found.keys {
            // Keys that exist only in the user's -f files are not in the package at all.
            if key.origin == KeyOrigin::UserValues {
                continue;
            }
            finder.pinned_digest(found, key, held);
            finder.subchart_only(key);
        }
        finder.defaulted(discovery, found);
    }
    let (secret_fixes, pods_without_secret) = pull_secret_fixes(discovery, values_yaml);
    for fix in secret_fixes {
        finder.push(fix);
    }
    Traps {
        fixes: finder.fixes,
        unmovable: scan::unmovable(discovery, rendered),
        needs_tag: finder.needs_tag,
        pods_without_secret,
    }
}

/// The fixes found so far, one a key.
struct Finder {
    /// values.yaml, when it parses.
    document: Option<osc_yaml::Document>,
    fixes: Vec<Fix>,
    needs_tag: Vec<NeedsTag>,
}

impl Finder {
    /// Adds a fix unless one for its key came first.
    fn push(&mut self, fix: Fix) {
        if !self.fixes.iter().any(|seen| seen.path == fix.path) {
            self.fixes.push(fix);
        }
    }

    /// The scalar a key of values.yaml holds.
    fn current(&self, path: &str) -> Option<String> {
        let document = self.document.as_ref()?;
        let node = document.get(&osc_yaml::Path::parse(path).ok()?)?;
        match node.kind() {
            osc_yaml::NodeKind::Scalar { value, .. } => Some(value.to_string()),
            _ => None,
        }
    }

    /// A digest key emptied, or a whole address pinned by digest given a tag instead (or
    /// noted as needing one).
    fn pinned_digest(&mut self, found: &FoundImage, key: &KeyPart, held: &[ImageRef]) {
        match key.part {
            AddressPart::Digest if !key.value.is_empty() => self.push(Fix {
                trap: Trap::PinnedDigest,
                path: key.path.clone(),
                before: Some(key.value.clone()),
                after: FixValue::Str(String::new()),
                why: format!(
                    "pins {} to its upstream digest; the platform re-pushes the image from its tar under a new digest, and mapping.yaml has no digest part",
                    found.reference
                ),
            }),
            AddressPart::FullAddress if key.value.contains('@') => {
                let name = key.value.split('@').next().unwrap_or_default().to_string();
                let tagged =
                    ImageRef::parse(&name).is_ok_and(|reference| reference.tag().is_some());
                // Without a tag the bare name means `:latest`: the tag comes from the tar.
                let tag = if tagged {
                    Some(name.clone())
                } else {
                    held_tag(&found.reference, held).map(|tag| format!("{name}:{tag}"))
                };
                match tag {
                    Some(after) => self.push(Fix {
                        trap: Trap::PinnedDigest,
                        path: key.path.clone(),
                        before: Some(key.value.clone()),
                        after: FixValue::Str(after),
                        why: if tagged {
                            "the reference pins its upstream digest, which the re-pushed image does not have".to_string()
                        } else {
                            "the reference pins its upstream digest, which the re-pushed image does not have; the tag is the one the image's tar holds".to_string()
                        },
                    }),
                    None => {
                        if !self
                            .needs_tag
                            .iter()
                            .any(|needs: &NeedsTag| needs.path == key.path)
                        {
                            self.needs_tag.push(NeedsTag {
                                path: key.path.clone(),
                                value: key.value.clone(),
                            });
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// A key only in a subchart's values.yaml, written into the top one.
    fn subchart_only(&mut self, key: &KeyPart) {
        let reachable_part = !matches!(
            key.part,
            AddressPart::Digest | AddressPart::Partial | AddressPart::PrefixAddress
        );
        if let KeyOrigin::SubchartValues { chart } = &key.origin
            && reachable_part
            && !key.value.is_empty()
        {
            self.push(Fix {
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

    /// A part no set key gives, taken from an unset key the template defaults
    /// (`| default .Chart.AppVersion`), in the top values.yaml or only in a subchart's.
    fn defaulted(&mut self, discovery: &Discovery, found: &FoundImage) {
        for key in found
            .keys
            .iter()
            .filter(|key| key.value.is_empty() && key.origin != KeyOrigin::UserValues)
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
            // What the default render holds where the key's marker showed, else the part.
            let rendered_part = match key.part {
                AddressPart::Partial | AddressPart::Digest => None,
                _ => key
                    .rendered
                    .clone()
                    .filter(|text| !text.is_empty())
                    .or(match key.part {
                        AddressPart::Tag => found.reference.tag().map(str::to_string),
                        AddressPart::FullAddress => found.uses.first().map(|use_| use_.raw.clone()),
                        _ => None,
                    }),
            };
            if let (false, false, Some(value)) = (covered, shared, rendered_part) {
                self.push(Fix {
                    trap: Trap::UnreachableKey,
                    before: self.current(&key.path).or(Some("null".to_string())),
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
}

/// The tag of the tar image whose repository is the reference's, when one tar has one.
fn held_tag<'h>(reference: &ImageRef, held: &'h [ImageRef]) -> Option<&'h str> {
    held.iter()
        .filter(|tagged| tagged.name() == reference.name())
        .find_map(|tagged| tagged.tag())
}

/// The lists to give `default-secret` so every pod that pulls an image names it, fewest first
/// (a key that reaches every pod, such as a global one, alone), and the pods none reaches.
fn pull_secret_fixes(discovery: &Discovery, values_yaml: &str) -> (Vec<Fix>, Vec<String>) {
    let pulling: Vec<String> = discovery
        .images
        .iter()
        .chain(discovery.latent.iter().map(|latent| &latent.image))
        .flat_map(|image| &image.uses)
        .filter(|use_| !matches!(use_.field, osc_render::ImageField::Object { .. }))
        .map(|use_| format!("{}/{}", use_.kind, use_.object))
        .fold(Vec::new(), |mut pods, pod| {
            if !pods.contains(&pod) {
                pods.push(pod);
            }
            pods
        });
    let with_secret: Vec<String> = discovery
        .rendered
        .documents
        .iter()
        .flat_map(|document| pods_with_secret(&document.value))
        .collect();
    let mut missing: Vec<String> = pulling
        .into_iter()
        .filter(|pod| !with_secret.contains(pod))
        .collect();
    let document: Option<serde_norway::Value> = serde_norway::from_str(values_yaml).ok();
    let mut fixes = Vec::new();
    let usable: Vec<&osc_render::PullSecretKey> = discovery
        .pull_secrets
        .keys
        .iter()
        .filter(|key| key.origin != KeyOrigin::UserValues)
        .collect();
    while !missing.is_empty() {
        let best = usable
            .iter()
            .filter(|key| !fixes.iter().any(|fix: &Fix| fix.path == key.path))
            .max_by_key(|key| missing.iter().filter(|pod| key.pods.contains(pod)).count());
        let Some(key) = best.filter(|key| missing.iter().any(|pod| key.pods.contains(pod))) else {
            break;
        };
        let current = document
            .as_ref()
            .and_then(|document| lookup(document, &key.path))
            .and_then(serde_norway::Value::as_sequence)
            .cloned()
            .unwrap_or_default();
        let mut names: Vec<String> = current
            .iter()
            .filter_map(|item| match item {
                serde_norway::Value::String(name) => Some(name.clone()),
                item => item
                    .get("name")
                    .and_then(serde_norway::Value::as_str)
                    .map(str::to_owned),
            })
            .collect();
        let before = (!current.is_empty()).then(|| format!("[{}]", names.join(", ")));
        names.push(PULL_SECRET.to_string());
        let reached: Vec<&String> = missing
            .iter()
            .filter(|pod| key.pods.contains(pod))
            .collect();
        fixes.push(Fix {
            trap: Trap::PullSecret,
            path: key.path.clone(),
            before: before.or_else(|| Some("[]".to_string())),
            after: FixValue::Secrets {
                names,
                maps: key.shape == SecretShape::Map,
            },
            why: format!(
                "{} pull from the platform's private registry, which needs the pull secret `{PULL_SECRET}`; this key puts it into their pod spec",
                reached.iter().map(|pod| pod.as_str()).collect::<Vec<_>>().join(", ")
            ),
        });
        missing.retain(|pod| !key.pods.contains(pod));
    }
    (fixes, missing)
}

fn lookup<'v>(value: &'v serde_norway::Value, path: &str) -> Option<&'v serde_norway::Value> {
    let path = osc_yaml::Path::parse(path).ok()?;
    path.segments()
        .iter()
        .try_fold(value, |value, segment| match segment {
            osc_yaml::Segment::Key(key) => value.get(key.as_str()),
            osc_yaml::Segment::Index(index) => value.get(index),
        })
}

/// `Kind/name` of the pods of an object that already name the platform's pull secret.
fn pods_with_secret(object: &serde_norway::Value) -> Vec<String> {
    let Some(kind) = object.get("kind").and_then(serde_norway::Value::as_str) else {
        return Vec::new();
    };
    let name = object
        .get("metadata")
        .and_then(|metadata| metadata.get("name"))
        .and_then(serde_norway::Value::as_str)
        .unwrap_or("");
    let path: &[&str] = match kind {
        "Pod" => &["spec"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template", "spec"],
        _ => &["spec", "template", "spec"],
    };
    let spec = path.iter().try_fold(object, |value, key| value.get(key));
    let named = spec
        .and_then(|spec| spec.get("imagePullSecrets"))
        .and_then(serde_norway::Value::as_sequence)
        .is_some_and(|secrets| {
            secrets.iter().any(|secret| {
                secret.get("name").and_then(serde_norway::Value::as_str) == Some(PULL_SECRET)
            })
        });
    if named {
        vec![format!("{kind}/{name}")]
    } else {
        Vec::new()
    }
}

/// Applies the fixes to values.yaml text, changing only the bytes of the keys they name.
pub fn apply(values_yaml: &str, fixes: &[Fix]) -> Result<String, FixError> {
    let mut document = osc_yaml::Document::parse(values_yaml).map_err(|error| FixError {
        path: String::new(),
        why: "values.yaml does not parse".to_string(),
        error,
    })?;
    let fix_error = |fix: &Fix, error| FixError {
        path: fix.path.clone(),
        why: fix.why.clone(),
        error,
    };
    let mut edits = Vec::with_capacity(fixes.len());
    for fix in fixes {
        let path = osc_yaml::Path::parse(&fix.path).map_err(|error| fix_error(fix, error))?;
        edits.push(match &fix.after {
            FixValue::Str(text) => osc_yaml::Edit::Set(path, osc_yaml::Value::Str(text.clone())),
            FixValue::Bool(flag) => osc_yaml::Edit::Set(path, osc_yaml::Value::Bool(*flag)),
            FixValue::Secrets { names, maps } => {
                let block: String = names
                    .iter()
                    .map(|name| {
                        let name = osc_yaml::quote(name);
                        if *maps {
                            format!("- name: {name}\n")
                        } else {
                            format!("- {name}\n")
                        }
                    })
                    .collect();
                osc_yaml::Edit::Block(path, block)
            }
        });
    }
    document
        .edit_all(&edits)
        .map_err(|(index, error)| fix_error(&fixes[index], error))?;
    Ok(document.text().to_string())
}
