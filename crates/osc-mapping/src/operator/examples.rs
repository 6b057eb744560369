//! Finding the images of an alm-examples custom resource, whole or held in pieces by fields of
//! any name.
//!
//! Operators read an image from their custom resources in many shapes: one field with the whole
//! reference; a registry, a repository and a tag in sibling fields (`image: {registry,
//! repository, tag}`, `imageRegistry`/`imageRepository`/`imageTag`, `image_tag`); a base image
//! with a version beside it or in a parent object (`baseImage` + `version`). Field names vary
//! from operator to operator, so pieces are told apart by their values: a registry host, a
//! repository path and a tag must rebuild a valid reference. Where that alone could be chance
//! (`{name: example, version: "1.0"}` rebuilds `example:1.0`), the rebuilt image must be one
//! the CSV's deployments, relatedImages or the package's tars name, or the fields must say
//! they hold an image: a key ending in `image` (the field's or its object's), a registry in the
//! repository field itself, or a registry the CSV's images come from beside the repository and a
//! version.

use osc_imageref::{ImageRef, is_valid_tag};
use osc_yaml::{Path, Segment};
use serde_json::{Map, Value};

use crate::Part;
use crate::operator::images::{
    ExampleImage, UnmovableImage, embedded_references, names_a_registry, names_an_image,
    whole_reference,
};

/// Images named outside the examples, by `registry/repository` and as whole references, that
/// prove fields of an example rebuild a real image.
#[derive(Default)]
pub(crate) struct Known {
    references: Vec<ImageRef>,
}

impl Known {
    pub(crate) fn new(references: impl IntoIterator<Item = ImageRef>) -> Known {
        Known {
            references: references.into_iter().collect(),
        }
    }

    /// Whether a known image comes from the registry `host` names (its part before any `/`).
    fn has_registry(&self, host: &str) -> bool {
        let registry = host.split('/').next().unwrap_or_default();
        self.references
            .iter()
            .any(|known| known.registry() == registry)
    }

    /// How closely `reference` matches a known image: 2 for the same image and tag, 1 for the
    /// same repository, 0 for none.
    fn evidence(&self, reference: &ImageRef) -> u8 {
        let name = reference.name();
        self.references
            .iter()
            .map(
                |known| match (known.name() == name, known.tag() == reference.tag()) {
                    (true, true) => 2,
                    (true, false) => 1,
                    (false, _) => 0,
                },
            )
            .max()
            .unwrap_or(0)
    }
}

/// Collects the images of one alm-examples custom resource.
pub(crate) struct ExampleWalker<'a> {
    pub kind: &'a str,
    /// The resource, for [`UnmovableImage::place`].
    pub place: String,
    pub known: &'a Known,
    pub found: Vec<ExampleImage>,
    pub unmovable: Vec<UnmovableImage>,
}

/// A string field of an object: its path from the root of the resource, its key and value.
#[derive(Clone, Copy)]
struct Field<'v> {
    /// How many objects up from the object being grouped: 0 for a sibling.
    up: usize,
    key: &'v str,
    value: &'v str,
}

/// An object on the way from the resource's root, with its path.
struct Scope<'v> {
    path: Vec<Segment>,
    members: &'v Map<String, Value>,
}

/// One way of joining an anchor field with a registry and a tag field.
struct Candidate<'v> {
    host: Option<Field<'v>>,
    tag: Option<Field<'v>>,
    joined: String,
    reference: ImageRef,
    evidence: u8,
}

impl<'v> ExampleWalker<'_> {
    pub fn walk(&mut self, value: &'v Value) {
        self.walk_at(value, &mut Vec::new(), &mut Vec::new());
    }

    fn walk_at(&mut self, value: &'v Value, path: &mut Vec<Segment>, scopes: &mut Vec<Scope<'v>>) {
        match value {
            Value::Object(members) => {
                let grouped = self.group_fields(members, path, scopes);
                scopes.push(Scope {
                    path: path.clone(),
                    members,
                });
                for (key, member) in members {
                    if grouped.contains(&key.as_str()) {
                        continue;
                    }
                    path.push(Segment::Key(key.clone()));
                    match member {
                        Value::String(text) => self.string(Some(key), text, path),
                        _ => self.walk_at(member, path, scopes),
                    }
                    path.pop();
                }
                scopes.pop();
            }
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    path.push(Segment::Index(index));
                    match item {
                        Value::String(text) => self.string(None, text, path),
                        _ => self.walk_at(item, path, scopes),
                    }
                    path.pop();
                }
            }
            _ => {}
        }
    }

    /// A string that is not one of a group of fields holding pieces of an image.
    fn string(&mut self, key: Option<&str>, text: &str, path: &[Segment]) {
        let named = key.is_some_and(names_an_image);
        if let Some(reference) = whole_reference(text, named) {
            self.image(vec![(path.to_vec(), Part::FullAddress)], reference);
            return;
        }
        let field = Path::from_segments(path.iter().cloned());
        if named {
            let shape = if text.trim().is_empty() {
                "is empty".to_owned()
            } else {
                format!("holds `{text}`, which is no image reference")
            };
            self.unmovable.push(UnmovableImage {
                place: format!("{}, {field}", self.place),
                text: text.to_owned(),
                reason: format!(
                    "the field {shape}, so the operator picks the image itself and the \
                     platform cannot point it at its registry; write the image the operator \
                     runs into the example"
                ),
            });
        } else if let Some(embedded) = embedded_references(text) {
            self.unmovable.push(UnmovableImage {
                place: format!("{}, {field}", self.place),
                text: text.to_owned(),
                reason: format!(
                    "the field holds {embedded} among other text, and the platform writes \
                     only whole fields; give the image a field of its own"
                ),
            });
        }
    }

    /// Takes the string fields of an object that hold the pieces of an image together, with a
    /// tag (and for a path without a registry, a registry) found in the object or the objects
    /// above it. Returns the keys of the object it took.
    ///
    /// A tag or registry field may serve several images (one `version` for two base images),
    /// but a field is either a repository or such a shared piece. The best-supported images
    /// choose first: those a known image proves, then those whose key names an image, then
    /// those with a registry of their own, then those only a sibling registry host supports,
    /// which must not share it.
    fn group_fields(
        &mut self,
        members: &'v Map<String, Value>,
        path: &[Segment],
        scopes: &[Scope<'v>],
    ) -> Vec<&'v str> {
        let siblings: Vec<Field<'v>> = string_fields(members, 0);
        // Nearest first, so a sibling tag wins over a parent's.
        let above: Vec<Field<'v>> = scopes
            .iter()
            .rev()
            .enumerate()
            .flat_map(|(distance, scope)| string_fields(scope.members, distance + 1))
            .collect();
        let object_key = path.iter().rev().find_map(|segment| match segment {
            Segment::Key(key) => Some(key.as_str()),
            Segment::Index(_) => None,
        });
        let mut proposals: Vec<(Support, usize, Field<'v>, Candidate<'v>)> = Vec::new();
        for (position, anchor) in siblings.iter().enumerate() {
            let Some(shape) = AnchorShape::of(anchor.value) else {
                continue;
            };
            let not_anchor = |field: &&Field<'v>| field.up > 0 || field.key != anchor.key;
            let hosts: Vec<Field<'v>> = match shape {
                AnchorShape::Path if names_a_registry(anchor.value) => Vec::new(),
                _ => siblings
                    .iter()
                    .chain(&above)
                    .filter(not_anchor)
                    .filter(|field| is_host(field.value))
                    .copied()
                    .collect(),
            };
            let tags: Vec<Field<'v>> = siblings
                .iter()
                .chain(&above)
                .filter(not_anchor)
                .filter(|field| is_valid_tag(field.value) && !is_host(field.value))
                .copied()
                .collect();
            let named = if names_an_image(anchor.key) {
                Named::Key
            } else if object_key.is_some_and(|key| names_an_image(key.trim_end_matches('s'))) {
                Named::Object
            } else {
                Named::No
            };
            let chosen = match shape {
                AnchorShape::Path => self.choose(anchor, named, &hosts, &tags),
                AnchorShape::DigestSplit => choose_digest_split(anchor, &hosts, &tags)
                    .map(|candidate| (Support::Reported, candidate)),
            };
            let Some((support, candidate)) = chosen else {
                continue;
            };
            // Only a host says these fields are an image; if the platform could not write
            // them, they are more likely something else than an image it cannot move.
            if support == Support::SiblingHost
                && split_parts(candidate.host.map(|host| host.value), anchor.value).is_err()
            {
                continue;
            }
            proposals.push((support, position, *anchor, candidate));
        }
        proposals.sort_by_key(|(support, position, _, _)| (*support, *position));
        let mut anchors: Vec<&'v str> = Vec::new();
        let mut shared: Vec<&'v str> = Vec::new();
        let mut taken: Vec<&'v str> = Vec::new();
        for (support, _, anchor, candidate) in proposals {
            let pieces: Vec<Field<'v>> = candidate
                .host
                .iter()
                .chain(&candidate.tag)
                .filter(|field| field.up == 0)
                .copied()
                .collect();
            let conflict = shared.contains(&anchor.key)
                || pieces.iter().any(|piece| anchors.contains(&piece.key))
                || (support == Support::SiblingHost
                    && candidate
                        .host
                        .is_some_and(|host| host.up == 0 && shared.contains(&host.key)));
            if conflict {
                continue;
            }
            anchors.push(anchor.key);
            shared.extend(pieces.iter().map(|piece| piece.key));
            taken.push(anchor.key);
            taken.extend(pieces.iter().map(|piece| piece.key));
            self.take(&anchor, candidate, path, scopes);
        }
        taken
    }

    /// Records the image that `anchor` and the candidate's fields hold, or why the platform
    /// cannot write it.
    fn take(
        &mut self,
        anchor: &Field<'v>,
        candidate: Candidate<'v>,
        path: &[Segment],
        scopes: &[Scope<'v>],
    ) {
        let at = |field: &Field<'v>| {
            let mut segments = if field.up == 0 {
                path.to_vec()
            } else {
                scopes[scopes.len() - field.up].path.clone()
            };
            segments.push(Segment::Key(field.key.to_owned()));
            segments
        };
        match split_parts(candidate.host.map(|host| host.value), anchor.value) {
            Ok(parts) => {
                let mut parts: Vec<(Vec<Segment>, Part)> = parts
                    .into_iter()
                    .map(|(is_registry, part)| {
                        let field = match (is_registry, candidate.host) {
                            (true, Some(host)) => host,
                            _ => *anchor,
                        };
                        (at(&field), part)
                    })
                    .collect();
                if let Some(tag) = &candidate.tag {
                    parts.push((at(tag), Part::Tag));
                }
                self.image(parts, candidate.reference);
            }
            Err(why) => {
                let fields = candidate
                    .host
                    .iter()
                    .chain(std::iter::once(anchor))
                    .chain(&candidate.tag)
                    .map(|field| Path::from_segments(at(field)).to_string())
                    .collect::<Vec<_>>()
                    .join(", ");
                let joined = &candidate.joined;
                self.unmovable.push(UnmovableImage {
                    place: format!("{}, {fields}", self.place),
                    text: joined.clone(),
                    reason: format!(
                        "the fields join into {joined}, but {why}; the platform writes a \
                         registry host, a repository path and a tag, so hold the image in \
                         fields of those shapes"
                    ),
                });
            }
        }
    }

    /// The registry and tag fields that make `anchor` an image, if any do.
    ///
    /// An image some other place names decides (the same image and tag first, then the same
    /// repository). Without one, the fields must say they hold an image (`named`, a registry in
    /// the anchor, or a registry host beside it), the registry must be a sibling and the tag the
    /// nearest field that reads as a version (`1.2`, `v0.9.4`, `latest`), in the object or the
    /// ones above it: a parent's registry, or a tag such as `stable`, is taken only when it
    /// rebuilds a known image.
    fn choose(
        &self,
        anchor: &Field<'v>,
        named: Named,
        hosts: &[Field<'v>],
        tags: &[Field<'v>],
    ) -> Option<(Support, Candidate<'v>)> {
        let mut candidates: Vec<Candidate<'v>> = Vec::new();
        for host in std::iter::once(None).chain(hosts.iter().copied().map(Some)) {
            for tag in std::iter::once(None).chain(tags.iter().copied().map(Some)) {
                if let Some(candidate) = self.candidate(anchor, host, tag) {
                    candidates.push(candidate);
                }
            }
        }
        let best_evidence = candidates.iter().map(|c| c.evidence).max().unwrap_or(0);
        let best = pick(
            candidates
                .into_iter()
                .filter(|candidate| candidate.evidence == best_evidence && best_evidence > 0),
            anchor,
        );
        // The same repository under another tag proves little for a bare word: a database
        // named `postgres` beside a `version` is no image.
        if let Some(best) = best
            && (best.evidence == 2
                || named != Named::No
                || best.host.is_some()
                || anchor.value.contains('/'))
        {
            return Some((Support::Known, best));
        }
        // No known image: what the fields' shapes alone support.
        let host = if names_a_registry(anchor.value) {
            None
        } else {
            closest(anchor, hosts.iter().filter(|field| field.up == 0))
        };
        let support = if named != Named::No {
            Support::Named
        } else if names_a_registry(anchor.value) && anchor.value.matches('/').count() > 1 {
            Support::OwnRegistry
        } else if host.is_some() {
            Support::SiblingHost
        } else {
            // A registry and one segment (`quay.io/acme`) beside a version is as likely an
            // organisation some other field completes as an image.
            return None;
        };
        let nearest_level = tags
            .iter()
            .filter(|field| is_version(field.value))
            .map(|field| field.up)
            .min();
        let tag = nearest_level.and_then(|level| {
            closest(
                anchor,
                tags.iter()
                    .filter(|field| field.up == level && is_version(field.value)),
            )
        });
        match (host, tag) {
            (None, None) => return None,
            // A host and a bare word (`minio.local:9000` + `backups`) are no image without a
            // tag, unless the word's own key says image: in an `image` object, other words
            // (`pullPolicy: always`) sit beside the repository.
            (Some(_), None) if !anchor.value.contains('/') && named != Named::Key => return None,
            _ => {}
        }
        // `{host: db.example.com, database: app, version: "14"}` and `{host: app.example.com,
        // path: api/users, version: v2}` have the shape of an image too: when only a host says
        // image, it must be a registry the CSV's images come from, with a tag beside it (a
        // parent's version may be the version of something else held in the registry).
        if support == Support::SiblingHost
            && (tag.is_none_or(|tag| tag.up != 0)
                || host.is_none_or(|host| !self.known.has_registry(host.value)))
        {
            return None;
        }
        self.candidate(anchor, host, tag)
            .map(|candidate| (support, candidate))
    }

    fn candidate(
        &self,
        anchor: &Field<'v>,
        host: Option<Field<'v>>,
        tag: Option<Field<'v>>,
    ) -> Option<Candidate<'v>> {
        if host.is_none() && tag.is_none() {
            // The anchor alone is a whole reference, which [`Self::string`] takes.
            return None;
        }
        let joined = join(
            host.map(|host| host.value),
            anchor.value,
            tag.map(|tag| tag.value),
        );
        let reference = ImageRef::parse(&joined).ok()?;
        Some(Candidate {
            host,
            tag,
            evidence: self.known.evidence(&reference),
            joined,
            reference,
        })
    }

    fn image(&mut self, parts: Vec<(Vec<Segment>, Part)>, reference: ImageRef) {
        let mut named = Vec::new();
        for (segments, part) in parts {
            let unnameable = segments.iter().any(|segment| {
                matches!(segment, Segment::Key(key) if key.is_empty()
                    || key.contains(['.', '[', ']', '"']))
            });
            let path = Path::from_segments(segments).to_string();
            if unnameable {
                self.unmovable.push(UnmovableImage {
                    place: format!("{}, {path}", self.place),
                    text: reference.to_string(),
                    reason: "a key in its path holds `.`, `[`, `]` or a quote, or is empty: \
                             mapping.yaml paths join keys with `.`, so the platform cannot \
                             name the field; rename the key"
                        .to_owned(),
                });
                return;
            }
            named.push((path, part));
        }
        named.sort_by_key(|(_, part)| *part);
        self.found.push(ExampleImage {
            kind: self.kind.to_owned(),
            parts: named,
            reference,
        });
    }
}

/// Whether a key says its field holds an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Named {
    No,
    /// The field's object is named like an image: `image: {name: .., tag: ..}`.
    Object,
    /// The field's own key: `baseImage`, `image`.
    Key,
}

/// What makes fields an image, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Support {
    /// They rebuild an image the CSV or a tar names.
    Known,
    /// The anchor's key, or its object's, says image.
    Named,
    /// The anchor names its registry and a path of two segments or more.
    OwnRegistry,
    /// Only a registry host beside the anchor says image.
    SiblingHost,
    /// A digest split over fields, which is only reported.
    Reported,
}

/// What a field's value must look like to be the repository of an image held in pieces.
#[derive(Clone, Copy)]
enum AnchorShape {
    /// A repository path without tag or digest: `acme/db`, `quay.io/acme/db`, `db`.
    Path,
    /// A path with a digest algorithm but no digest, `acme/db@sha256`, whose hex lies in another
    /// field: it joins into a reference the platform cannot write in pieces.
    DigestSplit,
}

impl AnchorShape {
    fn of(value: &str) -> Option<AnchorShape> {
        let path_only = |text: &str| {
            ImageRef::parse(text)
                .is_ok_and(|reference| reference.tag().is_none() && reference.digest().is_none())
        };
        // A host alone (`quay.io`) is a registry piece, not a repository; a host with a path
        // (`quay.io/acme`) may be either, and the two readings compete in `group_fields`.
        let bare_host = is_host(value) && !value.contains('/');
        // `2.4.1` parses as a repository too, but is the tag of something else.
        if path_only(value) && !bare_host && !is_api_version(value) && !is_version(value) {
            return Some(AnchorShape::Path);
        }
        match value.split_once('@') {
            Some((path, algorithm))
                if path_only(path)
                    && !algorithm.is_empty()
                    && algorithm.bytes().all(|b| b.is_ascii_alphanumeric()) =>
            {
                Some(AnchorShape::DigestSplit)
            }
            _ => None,
        }
    }
}

/// A digest split over a repository field and a "tag" field joins into a valid reference; it is
/// reported, since the platform writes tags, not digests.
fn choose_digest_split<'v>(
    anchor: &Field<'v>,
    hosts: &[Field<'v>],
    tags: &[Field<'v>],
) -> Option<Candidate<'v>> {
    let host = hosts.iter().find(|field| field.up == 0).copied();
    tags.iter().filter(|field| field.up == 0).find_map(|tag| {
        let joined = join(host.map(|host| host.value), anchor.value, Some(tag.value));
        let reference = ImageRef::parse(&joined).ok()?;
        Some(Candidate {
            host,
            tag: Some(*tag),
            joined,
            reference,
            evidence: 0,
        })
    })
}

/// The best of candidates equally supported by known images: the nearest tag, then the fields
/// whose keys share most with the anchor's.
fn pick<'v>(
    candidates: impl Iterator<Item = Candidate<'v>>,
    anchor: &Field<'v>,
) -> Option<Candidate<'v>> {
    candidates.min_by_key(|candidate| {
        let level = |field: Option<Field<'v>>| field.map_or(0, |field| field.up);
        let affinity = |field: Option<Field<'v>>| {
            field.map_or(0, |field| common_prefix(anchor.key, field.key))
        };
        (
            // A tag spelled out beats one that is implied.
            candidate.tag.is_none(),
            level(candidate.tag) + level(candidate.host),
            std::cmp::Reverse(affinity(candidate.tag) + affinity(candidate.host)),
        )
    })
}

/// Of fields equally placed, the one whose key has most in common with the anchor's
/// (`imageTag` for `image`), then one whose key says tag or version, then the first.
fn closest<'v, 'f>(
    anchor: &Field<'v>,
    fields: impl Iterator<Item = &'f Field<'v>>,
) -> Option<Field<'v>>
where
    'v: 'f,
{
    fields
        .enumerate()
        .min_by_key(|(position, field)| {
            let key = normalized(field.key);
            (
                std::cmp::Reverse(common_prefix(anchor.key, field.key)),
                !(key.ends_with("tag") || key.ends_with("version")),
                *position,
            )
        })
        .map(|(_, field)| *field)
}

/// The string members of an object.
fn string_fields(members: &Map<String, Value>, up: usize) -> Vec<Field<'_>> {
    members
        .iter()
        .filter_map(|(key, value)| {
            value.as_str().map(|value| Field {
                up,
                key: key.as_str(),
                value,
            })
        })
        .collect()
}

/// `host/path:tag`, the way operators join such fields; a registry's trailing `/` is not
/// doubled.
fn join(host: Option<&str>, path: &str, tag: Option<&str>) -> String {
    let mut joined = String::new();
    if let Some(host) = host {
        joined.push_str(host.trim_end_matches('/'));
        joined.push('/');
    }
    joined.push_str(path);
    if let Some(tag) = tag {
        joined.push(':');
        joined.push_str(tag);
    }
    joined
}

/// A registry host, alone or with one path segment after it (an organisation): `quay.io`,
/// `localhost:5000`, `registry.example.com/team`. A dotted number such as `1.2` is a version,
/// not a host: the last label of a host name has a letter, unless a port follows. A host with
/// two segments after it is an image's repository rather than a registry.
fn is_host(value: &str) -> bool {
    let trimmed = value.trim_end_matches('/');
    if trimmed.matches('/').count() > 1 {
        return false;
    }
    let host = trimmed.split('/').next().unwrap_or_default();
    if host.is_empty() || !names_a_registry(&format!("{host}/x")) {
        return false;
    }
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) => (name, Some(port)),
        None => (host, None),
    };
    let hostlike = port
        .is_some_and(|port| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
        || name == "localhost"
        || name
            .rsplit('.')
            .next()
            .is_some_and(|label| label.bytes().any(|b| b.is_ascii_alphabetic()));
    hostlike && !is_api_version(trimmed) && ImageRef::parse(&format!("{trimmed}/x")).is_ok()
}

/// A Kubernetes API group and version, `tide.dev/v1` or `apps/v1beta2`, which custom resources
/// often hold and which parse as image references too.
fn is_api_version(value: &str) -> bool {
    value.split_once('/').is_some_and(|(_, rest)| {
        let rest = rest.strip_prefix('v').unwrap_or_default();
        let digits = rest.trim_start_matches(|c: char| c.is_ascii_digit());
        rest.len() > digits.len()
            && (digits.is_empty()
                || ["alpha", "beta"].iter().any(|stage| {
                    digits
                        .strip_prefix(stage)
                        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                }))
    })
}

/// A tag that reads as a version: `3.9`, `v0.9.4`, `1.2.3-debian-12-r0`, `latest`.
fn is_version(tag: &str) -> bool {
    let bare = tag.strip_prefix(['v', 'V']).unwrap_or(tag);
    tag == "latest" || bare.starts_with(|c: char| c.is_ascii_digit())
}

/// A key in lower case without separators: `image_tag`, `imageTag` and `image-tag` read alike.
fn normalized(key: &str) -> String {
    key.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn common_prefix(a: &str, b: &str) -> usize {
    normalized(a)
        .chars()
        .zip(normalized(b).chars())
        .take_while(|(a, b)| a == b)
        .count()
}

/// The parts of a registry field (`true`) and a repository field (`false`), or why the platform
/// cannot write them.
fn split_parts(registry: Option<&str>, repository: &str) -> Result<Vec<(bool, Part)>, String> {
    let repository_alone = ImageRef::parse(repository)
        .ok()
        .filter(|reference| reference.tag().is_none() && reference.digest().is_none());
    if repository_alone.is_none() {
        return Err(format!(
            "the repository field holds `{repository}`, which is no repository path"
        ));
    }
    let Some(registry) = registry else {
        // The runtime reads a path without a registry as docker.io's, so the whole new
        // repository can replace it.
        return Ok(vec![(false, Part::Repository)]);
    };
    if registry.ends_with('/') {
        return Err(format!(
            "the registry field `{registry}` ends with `/`, so the operator joins it to the \
             repository as it is, and the platform writes a host without `/`"
        ));
    }
    if names_a_registry(repository) {
        return Err(format!(
            "the repository field `{repository}` names a registry too"
        ));
    }
    match registry.split_once('/') {
        None if names_a_registry(&format!("{registry}/x")) => {
            Ok(vec![(true, Part::Endpoint), (false, Part::Repo)])
        }
        None => Err(format!(
            "the registry field `{registry}` is no registry host"
        )),
        Some(_) if !repository.contains('/') => Ok(vec![(true, Part::PrefixAddress)]),
        Some(_) => Err(format!(
            "the registry field `{registry}` holds a path as well, and the repository field \
             `{repository}` more path, which no part of mapping.yaml writes"
        )),
    }
}
