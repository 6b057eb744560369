//! Rendering sets of markers: one render for a whole set, and when it fails, a guard key set to
//! true, the keys helm's error names split off, or the set cut in halves, until every marker
//! is decoded or found fragile.

use std::collections::HashMap;
use std::io::Write;

use osc_yaml::{Path as ValuePath, Segment};
use serde_norway::Value;
use tempfile::NamedTempFile;

use crate::discover::marker::Marker;
use crate::discover::values::{Scalar, Values};
use crate::discover::{AddressPart, DiscoverError, DiscoverRequest, Guard, RENDER_BUDGET};
use crate::images::{FieldPosition, image_fields};
use crate::{ContainerType, Helm, ImageField, RenderError, RenderRequest};

/// A values key under test and its marker.
pub(crate) struct Candidate {
    /// Index into [`Values::leaves`].
    pub leaf: usize,
    pub marker: Marker,
}

/// What the renders of a set of candidates found.
#[derive(Default)]
pub(crate) struct Findings {
    /// `(use index, candidate leaf, part)`: the candidate's value is that part of that use's
    /// reference.
    pub parts: Vec<(usize, usize, AddressPart)>,
    /// `(candidate leaf, why)`
    pub fragile: Vec<(usize, String)>,
}

/// The renders of one discovery, sharing the chart, the user's values and the guard.
pub(crate) struct Prober<'a> {
    helm: &'a Helm,
    request: &'a DiscoverRequest<'a>,
    values: &'a Values,
    /// Where each image use of the default render is.
    default_positions: &'a [FieldPosition],
    marker_file: NamedTempFile,
    /// Helm renders so far, the default render included.
    pub renders: usize,
    pub guard: Option<(ValuePath, Guard)>,
}

enum Trial {
    /// The marker render's text at each default use position.
    Rendered(Vec<String>),
    /// Helm's error.
    Failed(String),
    /// The render worked but lacks an image of the default render.
    Unsound(String),
}

impl<'a> Prober<'a> {
    /// A prober for a discovery whose default render is done, and counted.
    pub fn new(
        helm: &'a Helm,
        request: &'a DiscoverRequest<'a>,
        values: &'a Values,
        default_positions: &'a [FieldPosition],
    ) -> Result<Prober<'a>, DiscoverError> {
        let marker_file = tempfile::Builder::new()
            .prefix("osc-markers-")
            .suffix(".yaml")
            .tempfile()
            .map_err(|source| DiscoverError::MarkerFile { source })?;
        Ok(Prober {
            helm,
            request,
            values,
            default_positions,
            marker_file,
            renders: 1,
            guard: None,
        })
    }

    /// Renders the candidates' markers, as few sets as it takes, and records what each marker
    /// became or why it could not be rendered. Returns the sets that rendered.
    pub fn probe<'c>(
        &mut self,
        candidates: Vec<&'c Candidate>,
        findings: &mut Findings,
    ) -> Result<Vec<Vec<&'c Candidate>>, DiscoverError> {
        let mut rendered = Vec::new();
        let mut pending = vec![candidates];
        while let Some(set) = pending.pop() {
            if set.is_empty() {
                continue;
            }
            if self.renders >= RENDER_BUDGET {
                let why = format!(
                    "not tested on its own: discovery stopped after {RENDER_BUDGET} helm renders"
                );
                findings
                    .fragile
                    .extend(set.iter().map(|candidate| (candidate.leaf, why.clone())));
                continue;
            }
            match self.render(&set)? {
                Trial::Rendered(raws) => {
                    for (use_index, raw) in raws.iter().enumerate() {
                        for candidate in &set {
                            for part in candidate.marker.parts_in(raw) {
                                findings.parts.push((use_index, candidate.leaf, part));
                            }
                        }
                    }
                    rendered.push(set);
                }
                Trial::Failed(error) => pending.extend(self.narrow(set, error, findings)),
                Trial::Unsound(error) => pending.extend(split(set, error, findings)),
            }
        }
        Ok(rendered)
    }

    /// The sets to render next after `set` failed with `error`: the same with the guard key
    /// the error asks for, or without the keys the chart's schema rejects or the one whose
    /// marker the error quotes, or the keys the error names apart from the others, or halves.
    fn narrow<'c>(
        &mut self,
        set: Vec<&'c Candidate>,
        error: String,
        findings: &mut Findings,
    ) -> Vec<Vec<&'c Candidate>> {
        if self.guard.is_none()
            && let Some(key) = guard_key(&error)
        {
            let guard = Guard {
                key: key.to_string(),
                message: error,
            };
            self.guard = Some((key, guard));
            return vec![set];
        }
        let rejected = self.schema_rejections(&error);
        if !rejected.is_empty() {
            let (named, rest): (Vec<_>, Vec<_>) = set
                .into_iter()
                .partition(|candidate| rejected.contains_key(&candidate.leaf));
            for candidate in named {
                // A key the schema types as a number holds no address, which is a string:
                // no trap, and no candidate either.
                if !matches!(self.values.leaves[candidate.leaf].value, Scalar::Number(_)) {
                    let why = rejected[&candidate.leaf].clone();
                    findings.fragile.push((candidate.leaf, why));
                }
            }
            return vec![rest];
        }
        // A marker the error quotes is evidence enough, without a render to confirm it.
        let quoted: Vec<usize> = set
            .iter()
            .filter(|candidate| error.contains(&candidate.marker.text))
            .map(|candidate| candidate.leaf)
            .collect();
        if let [culprit] = quoted[..] {
            findings.fragile.push((culprit, error));
            return vec![set.into_iter().filter(|c| c.leaf != culprit).collect()];
        }
        let (named, rest): (Vec<_>, Vec<_>) = set
            .iter()
            .partition(|candidate| self.error_names(&error, candidate));
        if !named.is_empty() && !rest.is_empty() {
            return vec![rest, named];
        }
        split(set, error, findings)
    }

    fn render(&mut self, set: &[&Candidate]) -> Result<Trial, DiscoverError> {
        let leaves = &self.values.leaves;
        let mut assignments: Vec<(&ValuePath, Value)> = set
            .iter()
            .map(|candidate| (&leaves[candidate.leaf].path, candidate.marker.value.clone()))
            .collect();
        if let Some((key, _)) = &self.guard {
            assignments.push((key, Value::Bool(true)));
        }
        let overrides = self.values.overrides(assignments);
        let text =
            serde_norway::to_string(&overrides).map_err(|error| DiscoverError::MarkerFile {
                source: std::io::Error::other(error),
            })?;
        let file = self.marker_file.as_file_mut();
        file.set_len(0)
            .and_then(|()| std::io::Seek::rewind(file))
            .and_then(|()| file.write_all(text.as_bytes()))
            .map_err(|source| DiscoverError::MarkerFile { source })?;

        let mut values_files = self.request.values_files.clone();
        values_files.push(self.marker_file.path().to_owned());
        let request = RenderRequest {
            chart: self.request.chart,
            release: self.request.release,
            namespace: self.request.namespace,
            values_files,
            set: Vec::new(),
        };
        self.renders += 1;
        let rendered = match self.helm.template(&request) {
            Ok(rendered) => rendered,
            Err(RenderError::Helm { stderr, .. }) => {
                // Helm's warnings (values it ignores) come before its error.
                let error = stderr
                    .split_once("Error: ")
                    .map_or(&stderr[..], |(_, error)| error);
                let error = error
                    .strip_suffix("Use --debug flag to render out invalid YAML")
                    .unwrap_or(error);
                return Ok(Trial::Failed(error.trim_end().to_owned()));
            }
            Err(error @ (RenderError::Yaml { .. } | RenderError::NotUtf8 { .. })) => {
                return Ok(Trial::Failed(error.to_string()));
            }
            Err(error) => return Err(DiscoverError::Render(error)),
        };
        Ok(
            match match_positions(self.default_positions, image_fields(&rendered)) {
                Ok(raws) => Trial::Rendered(raws),
                Err(missing) => Trial::Unsound(format!(
                    "with another value the chart no longer deploys the image of {} `{}` ({}) of the {} in {}",
                    missing.container_type,
                    missing.container,
                    missing.field,
                    missing.kind,
                    missing.source
                )),
            },
        )
    }

    /// The candidates the chart's values.schema.json rejects, with the schema's complaint.
    /// Helm prints `chart-name:` then `- at '/json/pointer': message` lines, the pointer
    /// relative to that chart's values.
    fn schema_rejections(&self, error: &str) -> HashMap<usize, String> {
        let mut rejected = HashMap::new();
        if !error.contains("don't meet the specifications of the schema") {
            return rejected;
        }
        let by_pointer: HashMap<String, usize> = self
            .values
            .leaves
            .iter()
            .enumerate()
            .map(|(index, leaf)| (pointer(leaf.path.segments()), index))
            .collect();
        let mut chart = "";
        for line in error.lines() {
            if let Some(name) = line.strip_suffix(':').filter(|name| !name.contains(' ')) {
                chart = name;
                continue;
            }
            let Some(rest) = line.trim_start().strip_prefix("- at '") else {
                continue;
            };
            let Some((relative, message)) = rest.split_once("': ") else {
                continue;
            };
            let prefixes = self
                .values
                .chart_prefixes
                .iter()
                .filter(|(name, _)| name == chart)
                .map(|(_, prefix)| pointer(prefix));
            let globals = relative.starts_with("/global/").then(String::new);
            for prefix in prefixes.chain(globals) {
                if let Some(&leaf) = by_pointer.get(&format!("{prefix}{relative}")) {
                    rejected.insert(
                        leaf,
                        format!("values.schema.json of chart {chart} rejects it: {message}"),
                    );
                }
            }
        }
        rejected
    }

    /// Whether helm's error shows the candidate's marker or names its key: its path from the
    /// top chart's values or from its own chart's (Bitnami's checks print `redis: architecture`
    /// for the subchart key `redis.architecture`, templates `<.Values.service.type>`), or its
    /// last key in quotes (`duplicate entry with key "schedulerName"`).
    fn error_names(&self, error: &str, candidate: &Candidate) -> bool {
        if error.contains(&candidate.marker.text) {
            return true;
        }
        let segments = self.values.leaves[candidate.leaf].path.segments();
        let own_chart_prefix = self
            .values
            .chart_prefixes
            .iter()
            .map(|(_, prefix)| prefix)
            .filter(|prefix| prefix.len() < segments.len() && segments.starts_with(prefix))
            .map(Vec::len)
            .max()
            .unwrap_or(0);
        let names_path = [0, own_chart_prefix].into_iter().any(|skip| {
            let path = ValuePath::from_segments(segments[skip..].iter().cloned()).to_string();
            names_path(error, &path)
        });
        let quotes_key = match segments.last() {
            Some(Segment::Key(key)) => {
                error.contains(&format!("\"{key}\"")) || error.contains(&format!("'{key}'"))
            }
            _ => false,
        };
        names_path || quotes_key
    }
}

/// Whether `path` stands in `text` whole, not as a piece of a longer path, or as the rest
/// of a template expression after its first field (`<.Values.service.type>`).
fn names_path(text: &str, path: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-');
    let after_first_field = |before: &str| {
        let Some(field) = before.strip_suffix('.') else {
            return false;
        };
        let start = field.trim_end_matches(|c: char| word(c as u8) && c.is_ascii());
        start.ends_with("<.") || start.ends_with("$.")
    };
    text.match_indices(path).any(|(start, _)| {
        let before = &text[..start];
        let after = text[start + path.len()..].bytes().next();
        let starts_whole = before
            .bytes()
            .next_back()
            .is_none_or(|b| !word(b) && b != b'.')
            || after_first_field(before);
        starts_whole && after.is_none_or(|b| !word(b))
    })
}

/// A failed set of one is fragile; a larger one is tried again in halves.
fn split<'c>(
    mut set: Vec<&'c Candidate>,
    error: String,
    findings: &mut Findings,
) -> Vec<Vec<&'c Candidate>> {
    if let [candidate] = set[..] {
        findings.fragile.push((candidate.leaf, error));
        return Vec::new();
    }
    let second = set.split_off(set.len() / 2);
    // Popped last first: the first half renders first.
    vec![second, set]
}

/// The JSON pointer of a values path, as JSON schema errors print it.
fn pointer(segments: &[Segment]) -> String {
    segments
        .iter()
        .map(|segment| match segment {
            Segment::Key(key) => format!("/{}", key.replace('~', "~0").replace('/', "~1")),
            Segment::Index(index) => format!("/{index}"),
        })
        .collect()
}

/// The key an error asks to set to true, as Bitnami's image check does: "…by setting the
/// global parameter 'global.security.allowInsecureImages' to true."
fn guard_key(error: &str) -> Option<ValuePath> {
    error.match_indices(" to true").find_map(|(at, _)| {
        let before = &error[..at];
        let quote = before
            .chars()
            .next_back()
            .filter(|c| matches!(c, '\'' | '"'))?;
        let quoted = &before[..before.len() - 1];
        let key = &quoted[quoted.rfind(quote)? + 1..];
        let plain = !key.is_empty()
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        plain.then(|| ValuePath::parse(key).ok()).flatten()
    })
}

/// The marker render's text at each position of the default render. Within a template's
/// fields of one container list and field, positions match by kind and container name in
/// order, or else, when the count is unchanged, by order alone: a marker may rename a container
/// (`fullnameOverride`) or change a kind (`kind: StatefulSet`) and still render the same image.
/// The first position the marker render lacks is the error.
fn match_positions(
    default_positions: &[FieldPosition],
    fields: Vec<(FieldPosition, String)>,
) -> Result<Vec<String>, FieldPosition> {
    type Group = (String, ContainerType, ImageField);
    let group = |position: &FieldPosition| -> Group {
        (
            position.source.clone(),
            position.container_type,
            position.field.clone(),
        )
    };
    let mut rendered: HashMap<Group, Vec<(FieldPosition, Option<String>)>> = HashMap::new();
    for (position, raw) in fields {
        rendered
            .entry(group(&position))
            .or_default()
            .push((position, Some(raw)));
    }
    let mut defaults: HashMap<Group, Vec<usize>> = HashMap::new();
    for (index, position) in default_positions.iter().enumerate() {
        defaults.entry(group(position)).or_default().push(index);
    }
    let mut raws: Vec<Option<String>> = vec![None; default_positions.len()];
    for (key, indices) in &defaults {
        let Some(found) = rendered.get_mut(key) else {
            continue;
        };
        let same_place = |index: usize, position: &FieldPosition| {
            let default = &default_positions[index];
            position.kind == default.kind && position.container == default.container
        };
        let mut pairs = Vec::new();
        let mut used = vec![false; found.len()];
        for &index in indices {
            let slot = (0..found.len()).find(|&at| !used[at] && same_place(index, &found[at].0));
            if let Some(at) = slot {
                used[at] = true;
                pairs.push((index, at));
            }
        }
        if pairs.len() < indices.len() && found.len() == indices.len() {
            pairs = indices.iter().copied().zip(0..found.len()).collect();
        }
        for (index, at) in pairs {
            raws[index] = found[at].1.take();
        }
    }
    raws.into_iter()
        .zip(default_positions)
        .map(|(raw, position)| raw.ok_or_else(|| position.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_keys_are_read_from_quoted_paths_before_to_true() {
        let bitnami = "you can skip container image verification by setting the global parameter 'global.security.allowInsecureImages' to true.";
        assert_eq!(
            guard_key(bitnami).map(|key| key.to_string()).as_deref(),
            Some("global.security.allowInsecureImages")
        );
        let double = r#"set "images.allowCustom" to true"#;
        assert_eq!(
            guard_key(double).map(|key| key.to_string()).as_deref(),
            Some("images.allowCustom")
        );
        assert!(guard_key("set it to true").is_none());
        assert!(guard_key("set 'a b' to true").is_none());
    }

    #[test]
    fn paths_are_named_whole() {
        let cases = [
            (
                "VALUES VALIDATION:\nredis: architecture\n",
                "architecture",
                true,
            ),
            (
                "at <.Values.service.type>: nil pointer",
                "service.type",
                true,
            ),
            ("at <.Values.service.type>: nil pointer", "type", false),
            ("at <.Values.metrics.service.type>", "service.type", false),
            (
                "at <.Value.queryNode.extraConfig>: nil",
                "queryNode.extraConfig",
                true,
            ),
            ("at <$.Values.image.tag>", "image.tag", true),
            ("image.tagged is wrong", "image.tag", false),
            ("set image.tag.", "image.tag", true),
        ];
        for (text, path, named) in cases {
            assert_eq!(names_path(text, path), named, "{path:?} in {text:?}");
        }
    }

    #[test]
    fn pointers_escape_slashes_and_tildes() {
        let path = ValuePath::parse("a.b[2].c").unwrap();
        assert_eq!(pointer(path.segments()), "/a/b/2/c");
        let odd = [Segment::Key("x/y~z".into())];
        assert_eq!(pointer(&odd), "/x~1y~0z");
    }
}
