//! The values a chart renders with, coalesced the way Helm does, and the values file that
//! overrides some of them with markers.

use std::collections::HashMap;

use osc_chart::{Chart, Dependency};
use osc_yaml::{Path as ValuePath, Segment};
use serde_norway::{Mapping, Value};

use crate::discover::KeyOrigin;

/// The coalesced values of a chart: its values.yaml, its enabled subcharts' values.yaml under
/// their alias or name (the parent's values win, subcharts' `global` maps join the top one),
/// then the user's values files.
pub(crate) struct Values {
    merged: Value,
    /// Every string, number and null of `merged`, in document order.
    pub leaves: Vec<Leaf>,
    /// Where each loaded chart's values sit: `(chart name, path prefix)`; the top chart's
    /// prefix is empty.
    pub chart_prefixes: Vec<(String, Vec<Segment>)>,
    /// Every boolean that is false: a switch that may turn a component on.
    pub switches: Vec<ValuePath>,
    /// Every list that is empty or holds only names (strings or `{name: …}` maps): where a pull
    /// secret may go.
    pub lists: Vec<ValuePath>,
    /// Where each leaf and list is written.
    origins: HashMap<ValuePath, KeyOrigin>,
}

/// One scalar of the coalesced values.
pub(crate) struct Leaf {
    pub path: ValuePath,
    pub value: Scalar,
    pub origin: KeyOrigin,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Scalar {
    Text(String),
    /// As Helm prints it, e.g. `12`.
    Number(String),
    /// `""` or null: a key that takes effect only once it is set.
    Unset,
}

/// A values file that is not YAML; names the file.
#[derive(Debug)]
pub(crate) struct InvalidValues {
    pub file: String,
    pub message: String,
}

impl Scalar {
    pub fn text(&self) -> &str {
        match self {
            Scalar::Text(text) | Scalar::Number(text) => text,
            Scalar::Unset => "",
        }
    }
}

impl Values {
    /// `user_files` are the user's values files, parsed, in precedence order.
    pub fn collect(chart: &Chart, user_files: &[Value]) -> Result<Values, InvalidValues> {
        let mut user = Value::Mapping(Mapping::new());
        for file in user_files {
            merge(&mut user, normalize(file.clone()));
        }
        let mut origins = HashMap::new();
        let mut chart_prefixes = Vec::new();
        let mut merged = coalesce_chart(
            chart,
            &ChartPlace {
                prefix: Vec::new(),
                location: "values.yaml".to_owned(),
                top: true,
            },
            &user,
            &mut origins,
            &mut chart_prefixes,
        )?;
        for_each_leaf(&user, &mut Vec::new(), &mut |path, _| {
            origins
                .entry(ValuePath::from_segments(path.iter().cloned()))
                .or_insert(KeyOrigin::UserValues);
        });
        merge(&mut merged, user);

        let mut leaves = Vec::new();
        let mut switches = Vec::new();
        for_each_leaf(&merged, &mut Vec::new(), &mut |path, value| {
            let path = ValuePath::from_segments(path.iter().cloned());
            let value = match value {
                Value::Bool(false) => {
                    switches.push(path);
                    return;
                }
                Value::String(text) if text.is_empty() => Scalar::Unset,
                Value::String(text) => Scalar::Text(text.clone()),
                Value::Number(number) => Scalar::Number(number.to_string()),
                Value::Null => Scalar::Unset,
                _ => return,
            };
            let origin = origins.get(&path).cloned().unwrap_or(KeyOrigin::UserValues);
            leaves.push(Leaf {
                path,
                value,
                origin,
            });
        });
        let mut lists = Vec::new();
        collect_lists(&merged, &mut Vec::new(), &mut lists);
        Ok(Values {
            merged,
            leaves,
            chart_prefixes,
            switches,
            lists,
            origins,
        })
    }

    /// Where the list `lists[index]` is written.
    pub fn list_origin(&self, index: usize) -> Option<KeyOrigin> {
        self.origins.get(&self.lists[index]).cloned()
    }

    /// The value at a path of the coalesced values.
    pub fn get(&self, path: &ValuePath) -> Option<&Value> {
        lookup(&self.merged, path.segments())
    }

    /// A values file that sets each path to its value and nothing else. A list on the way is
    /// written whole, as coalesced, because Helm replaces lists instead of merging them.
    pub fn overrides<'p>(
        &self,
        assignments: impl IntoIterator<Item = (&'p ValuePath, Value)>,
    ) -> Value {
        let mut root = Value::Mapping(Mapping::new());
        for (path, value) in assignments {
            assign(&mut root, Some(&self.merged), path.segments(), value);
        }
        root
    }
}

struct ChartPlace {
    prefix: Vec<Segment>,
    /// The values.yaml's path inside the top chart, for error messages.
    location: String,
    top: bool,
}

/// The chart's values with its enabled subcharts' values beneath, recording where each leaf is
/// written: a chart's own leaves replace those of its subcharts, as its values win in Helm.
fn coalesce_chart(
    chart: &Chart,
    place: &ChartPlace,
    user: &Value,
    origins: &mut HashMap<ValuePath, KeyOrigin>,
    chart_prefixes: &mut Vec<(String, Vec<Segment>)>,
) -> Result<Value, InvalidValues> {
    chart_prefixes.push((chart.name().to_owned(), place.prefix.clone()));
    let own = parse_chart_values(chart, &place.location)?;
    let mut result = Value::Mapping(Mapping::new());
    for (alias, subchart) in enabled_subcharts(chart, &own, &place.prefix, user) {
        let mut prefix = place.prefix.clone();
        prefix.push(Segment::Key(alias.clone()));
        let sub_place = ChartPlace {
            prefix,
            location: format!(
                "{}charts/{}/values.yaml",
                place.location.trim_end_matches("values.yaml"),
                subchart.name()
            ),
            top: false,
        };
        let mut values = coalesce_chart(subchart, &sub_place, user, origins, chart_prefixes)?;
        let globals = values
            .as_mapping_mut()
            .and_then(|mapping| mapping.remove("global"));
        merge(child(&mut result, &alias), values);
        if let Some(globals) = globals {
            merge(child(&mut result, "global"), globals);
        }
    }
    let origin = if place.top {
        KeyOrigin::ChartValues
    } else {
        KeyOrigin::SubchartValues {
            chart: chart.name().to_owned(),
        }
    };
    for_each_leaf(&own, &mut Vec::new(), &mut |path, _| {
        // A subchart's `global` is the top chart's `global`: Helm copies it down.
        let at_top =
            !place.top && matches!(path.first(), Some(Segment::Key(key)) if key == "global");
        let prefix = if at_top { &[][..] } else { &place.prefix[..] };
        let full = ValuePath::from_segments(prefix.iter().chain(path.iter()).cloned());
        origins.insert(full, origin.clone());
    });
    let mut lists = Vec::new();
    collect_lists(&own, &mut Vec::new(), &mut lists);
    for list in lists {
        let path = list.segments();
        let at_top =
            !place.top && matches!(path.first(), Some(Segment::Key(key)) if key == "global");
        let prefix = if at_top { &[][..] } else { &place.prefix[..] };
        let full = ValuePath::from_segments(prefix.iter().chain(path.iter()).cloned());
        origins.insert(full, origin.clone());
    }
    merge(&mut result, own);
    Ok(result)
}

fn parse_chart_values(chart: &Chart, location: &str) -> Result<Value, InvalidValues> {
    let Some(bytes) = chart.values_yaml() else {
        return Ok(Value::Mapping(Mapping::new()));
    };
    parse_values(bytes).map_err(|message| InvalidValues {
        file: location.to_owned(),
        message,
    })
}

/// Parses a values file as Helm reads it: `<<` merge keys applied, keys as strings, an empty
/// file as no values.
pub(crate) fn parse_values(bytes: &[u8]) -> Result<Value, String> {
    let mut value: Value = serde_norway::from_slice(bytes).map_err(|error| error.to_string())?;
    value.apply_merge().map_err(|error| error.to_string())?;
    Ok(match normalize(value) {
        Value::Null => Value::Mapping(Mapping::new()),
        value => value,
    })
}

/// The subcharts Helm renders, each with the name its values sit under, by Helm's
/// `processDependencyEnabled`: a dependency takes the subchart of its name whose version its
/// range allows, under its alias; a subchart no dependency takes stays under its own name; then
/// the names whose dependency's condition is false stay too, for a switch may turn them on.
/// Tags are not evaluated: such a subchart counts as enabled.
fn enabled_subcharts<'c>(
    chart: &'c Chart,
    own: &Value,
    prefix: &[Segment],
    user: &Value,
) -> Vec<(String, &'c Chart)> {
    let dependencies = declared_dependencies(chart);
    let takes = |dependency: &Dependency, subchart: &Chart| {
        subchart.name() == dependency.name
            && version_allowed(&dependency.version, subchart.version())
    };
    let effective_name = |dependency: &Dependency| {
        if dependency.alias.is_empty() {
            dependency.name.clone()
        } else {
            dependency.alias.clone()
        }
    };
    let mut subcharts: Vec<(String, &Chart)> = chart
        .dependencies()
        .iter()
        .filter(|subchart| {
            !dependencies
                .iter()
                .any(|dependency| takes(dependency, subchart))
        })
        .map(|subchart| (subchart.name().to_owned(), subchart))
        .collect();
    for dependency in &dependencies {
        let taken = chart
            .dependencies()
            .iter()
            .find(|subchart| takes(dependency, subchart));
        if let Some(subchart) = taken {
            subcharts.push((effective_name(dependency), subchart));
        }
    }
    // A subchart whose condition is false stays: a switch may turn it on, and its keys are
    // then where its images come from. Its values change nothing while it is off.
    let _ = (own, prefix, user);
    subcharts
}

/// Helm's `IsCompatibleRange`: whether a Masterminds semver range (`7.x.x`, `^1.2`,
/// `>= 1.0 < 2.0`, `1.0 - 1.4`, `a || b`) allows the version. An empty or unreadable range
/// allows nothing, as in Helm.
fn version_allowed(range: &str, version: &str) -> bool {
    let Some(version) = lenient_version(version) else {
        return false;
    };
    range
        .split("||")
        .filter_map(version_requirement)
        .any(|requirement| requirement.matches(&version))
}

/// One `||` alternative of a Masterminds range as a Rust semver requirement.
fn version_requirement(alternative: &str) -> Option<semver::VersionReq> {
    let alternative = alternative.trim();
    if let Some((low, high)) = alternative.split_once(" - ") {
        return semver::VersionReq::parse(&format!(">={}, <={}", low.trim(), high.trim())).ok();
    }
    let is_operator = |c: char| "<>=!~^".contains(c);
    let mut comparators = Vec::new();
    let mut operator = String::new();
    for token in alternative
        .split([' ', '\t', ','])
        .filter(|token| !token.is_empty())
    {
        if token.chars().all(is_operator) {
            operator = token.to_owned();
            continue;
        }
        let split = token.find(|c: char| !is_operator(c)).unwrap_or(token.len());
        let (own_operator, version) = token.split_at(split);
        let operator = match (std::mem::take(&mut operator) + own_operator).as_str() {
            // Not expressible in Rust's semver; a chart's dependency rarely excludes a version.
            "!=" => continue,
            "~>" => "~".to_owned(),
            // Masterminds reads a bare version as `=`, Rust's semver as `^`.
            "" if !matches!(version, "*" | "x" | "X") => "=".to_owned(),
            operator => operator.to_owned(),
        };
        comparators.push(format!(
            "{operator}{}",
            version.trim_start_matches(['v', 'V'])
        ));
    }
    if comparators.is_empty() {
        return None;
    }
    semver::VersionReq::parse(&comparators.join(", ")).ok()
}

/// Masterminds reads `v1.2` as `1.2.0`.
fn lenient_version(text: &str) -> Option<semver::Version> {
    let text = text.trim_start_matches(['v', 'V']);
    let end = text.find(['-', '+']).unwrap_or(text.len());
    let (core, rest) = text.split_at(end);
    let numbers = core.split('.').count();
    let padding = ".0".repeat(3usize.saturating_sub(numbers));
    semver::Version::parse(&format!("{core}{padding}{rest}")).ok()
}

/// Chart.yaml's dependencies, or requirements.yaml's for an `apiVersion: v1` chart.
fn declared_dependencies(chart: &Chart) -> Vec<Dependency> {
    if !chart.metadata().dependencies.is_empty() || chart.metadata().api_version != "v1" {
        return chart.metadata().dependencies.clone();
    }
    chart
        .file("requirements.yaml")
        .and_then(|bytes| serde_norway::from_slice::<Value>(bytes).ok())
        .and_then(|requirements| {
            serde_norway::from_value(requirements.get("dependencies")?.clone()).ok()
        })
        .unwrap_or_default()
}

fn lookup<'v, 's>(
    value: &'v Value,
    path: impl IntoIterator<Item = &'s Segment>,
) -> Option<&'v Value> {
    path.into_iter()
        .try_fold(value, |value, segment| match segment {
            Segment::Key(key) => value.get(key.as_str()),
            Segment::Index(index) => value.get(index),
        })
}

/// Helm's coalescing of two values trees: maps merge key by key, anything else is replaced.
fn merge(dest: &mut Value, src: Value) {
    match (dest, src) {
        (Value::Mapping(dest), Value::Mapping(src)) => {
            for (key, value) in src {
                match dest.get_mut(&key) {
                    Some(existing) => merge(existing, value),
                    None => {
                        dest.insert(key, value);
                    }
                }
            }
        }
        (dest, src) => *dest = src,
    }
}

/// The mapping under `key`, made a mapping if it was something else.
fn child<'v>(value: &'v mut Value, key: &str) -> &'v mut Value {
    if !value.is_mapping() {
        *value = Value::Mapping(Mapping::new());
    }
    match value {
        Value::Mapping(mapping) => mapping
            .entry(Value::String(key.to_owned()))
            .or_insert_with(|| Value::Mapping(Mapping::new())),
        _ => unreachable!("made a mapping above"),
    }
}

/// Keys as strings and tags dropped, as Helm sees values after its YAML-to-JSON conversion.
fn normalize(value: Value) -> Value {
    match value {
        Value::Mapping(mapping) => Value::Mapping(
            mapping
                .into_iter()
                .map(|(key, value)| (Value::String(key_text(&key)), normalize(value)))
                .collect(),
        ),
        Value::Sequence(items) => Value::Sequence(items.into_iter().map(normalize).collect()),
        Value::Tagged(tagged) => normalize(tagged.value),
        scalar => scalar,
    }
}

fn key_text(key: &Value) -> String {
    match key {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        Value::Bool(flag) => flag.to_string(),
        Value::Null => "null".to_owned(),
        other => serde_norway::to_string(other)
            .unwrap_or_default()
            .trim_end()
            .to_owned(),
    }
}

/// Lists that hold nothing or only names; a list inside a list is not one a chart passes on
/// as `imagePullSecrets`.
fn collect_lists(value: &Value, path: &mut Vec<Segment>, lists: &mut Vec<ValuePath>) {
    match value {
        Value::Mapping(mapping) => {
            for (key, child) in mapping {
                path.push(Segment::Key(key_text(key)));
                collect_lists(child, path, lists);
                path.pop();
            }
        }
        Value::Sequence(items) => {
            let names = items.iter().all(|item| match item {
                Value::String(_) => true,
                Value::Mapping(mapping) => {
                    mapping.len() == 1 && mapping.get("name").is_some_and(Value::is_string)
                }
                _ => false,
            });
            if names {
                lists.push(ValuePath::from_segments(path.iter().cloned()));
            }
        }
        _ => {}
    }
}

fn for_each_leaf(
    value: &Value,
    path: &mut Vec<Segment>,
    visit: &mut dyn FnMut(&[Segment], &Value),
) {
    match value {
        Value::Mapping(mapping) => {
            for (key, child) in mapping {
                path.push(Segment::Key(key_text(key)));
                for_each_leaf(child, path, visit);
                path.pop();
            }
        }
        Value::Sequence(items) => {
            for (index, item) in items.iter().enumerate() {
                path.push(Segment::Index(index));
                for_each_leaf(item, path, visit);
                path.pop();
            }
        }
        Value::Tagged(tagged) => for_each_leaf(&tagged.value, path, visit),
        scalar => visit(path, scalar),
    }
}

fn assign(target: &mut Value, source: Option<&Value>, segments: &[Segment], value: Value) {
    let Some((first, rest)) = segments.split_first() else {
        *target = value;
        return;
    };
    match first {
        Segment::Key(key) => {
            let source = source.and_then(|source| source.get(key.as_str()));
            if !target.is_mapping() {
                *target = Value::Mapping(Mapping::new());
            }
            let Value::Mapping(mapping) = target else {
                return;
            };
            let next = mapping
                .entry(Value::String(key.clone()))
                .or_insert_with(|| match source {
                    Some(Value::Sequence(items)) if !rest.is_empty() => {
                        Value::Sequence(items.clone())
                    }
                    _ => Value::Mapping(Mapping::new()),
                });
            assign(next, source, rest, value);
        }
        Segment::Index(index) => {
            let source = source.and_then(|source| source.get(index));
            if let Some(item) = target
                .as_sequence_mut()
                .and_then(|items| items.get_mut(*index))
            {
                assign(item, source, rest, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Value {
        parse_values(text.as_bytes()).unwrap()
    }

    #[test]
    fn later_trees_win_and_maps_merge_but_lists_are_replaced() {
        let mut dest = yaml("a: {b: 1, c: [1, 2]}\nd: x\n");
        merge(&mut dest, yaml("a: {c: [3], e: 2}\nd: {f: 1}\n"));
        assert_eq!(dest, yaml("a: {b: 1, c: [3], e: 2}\nd: {f: 1}\n"));
    }

    #[test]
    fn overrides_copy_lists_whole_and_nest_maps() {
        let values = Values {
            merged: yaml(
                "sidecars:\n- {name: a, image: x}\n- {name: b, image: y}\nimage: {tag: '1'}\n",
            ),
            leaves: Vec::new(),
            chart_prefixes: Vec::new(),
            switches: Vec::new(),
            lists: Vec::new(),
            origins: HashMap::new(),
        };
        let sidecar = ValuePath::parse("sidecars[1].image").unwrap();
        let tag = ValuePath::parse("image.tag").unwrap();
        let guard = ValuePath::parse("global.security.allowInsecureImages").unwrap();
        let file = values.overrides([
            (&sidecar, Value::from("m1x")),
            (&tag, Value::from("m2x")),
            (&guard, Value::Bool(true)),
        ]);
        assert_eq!(
            file,
            yaml(
                "sidecars:\n- {name: a, image: x}\n- {name: b, image: m1x}\nimage: {tag: m2x}\nglobal: {security: {allowInsecureImages: true}}\n"
            )
        );
    }

    #[test]
    fn dependency_ranges_are_read_like_masterminds_semver() {
        let cases = [
            ("7.x.x", "7.9.7", true),
            ("7.x.x", "8.0.0", false),
            ("^1.2", "1.9.0", true),
            ("~1.2.3", "1.3.0", false),
            (">= 1.0, < 2.0", "1.5.0", true),
            (">=1.0 <2.0", "2.0.0", false),
            ("1.0 - 1.4", "1.4.0", true),
            ("1.0.0 || 2.x", "2.3.0", true),
            ("0.1.0", "0.1.0", true),
            ("0.1.0", "0.1.1", false),
            ("v1.2.3", "1.2.3", true),
            ("*", "3.1.4", true),
            ("1.x", "v1.2", true),
            ("", "1.0.0", false),
            ("1.x", "not-a-version", false),
        ];
        for (range, version, allowed) in cases {
            assert_eq!(
                version_allowed(range, version),
                allowed,
                "{range:?} {version:?}"
            );
        }
    }

    #[test]
    fn values_files_read_like_helm_reads_them() {
        assert_eq!(yaml(""), Value::Mapping(Mapping::new()));
        assert_eq!(
            yaml("base: &b {registry: r}\nimage:\n  <<: *b\n  tag: 1\n1: one\n"),
            yaml("base: {registry: r}\nimage: {registry: r, tag: 1}\n'1': one\n")
        );
    }
}
