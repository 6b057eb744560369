//! Settings that are no switch: a template whose first action compares a value with a word
//! (`{{ if eq .Values.mode "cluster" }}`) or needs a value that is unset (`{{ if and
//! .Values.server.url .Values.token }}`) renders nothing until that value is given, and a
//! boolean cannot give it. For a template that reads an image-shaped map no render has shown,
//! the values its gate asks for are read from the gate (and the named templates it includes
//! there), and a render with them and the markers shows its images. A render that fails on a
//! `required` value gets a placeholder for it and goes again.

use std::collections::{BTreeSet, HashMap};

use osc_yaml::{Path as ValuePath, Segment};
use serde_norway::Value;

use crate::discover::probe::{Probe, Stage, template_paths, values_paths};
use crate::discover::values::{Scalar, Values};

/// What an unset value the gate tests for truth gets: any text is true to a template.
pub(crate) const PLACEHOLDER: &str = "osc-setting";

/// Settings renders at most: one per way of answering gates that ask one key for different
/// words.
const MAX_PROBES: usize = 3;

/// The renders that open the templates reading an image map no render showed, when their gate
/// asks for something other than a switch. `unshown` are the image-shaped leaves whose marker
/// no render showed; `markers` the leaves to mark (those the moved render took).
pub(crate) fn setting_probes(
    values: &Values,
    chart: &osc_chart::Chart,
    unshown: &BTreeSet<usize>,
    markers: &[usize],
) -> Vec<Probe> {
    let mut maps: Vec<Vec<Segment>> = unshown
        .iter()
        .map(|&leaf| {
            let segments = values.leaves[leaf].path.segments();
            segments[..segments.len().saturating_sub(1)].to_vec()
        })
        .filter(|map| !map.is_empty())
        .collect();
    maps.dedup();
    if maps.is_empty() {
        return Vec::new();
    }
    let defines = Defines::of(chart);
    // Alternatives by key, in the order found; each probe takes one of each.
    let mut wanted: Vec<(ValuePath, Vec<Value>)> = Vec::new();
    let mut switches: BTreeSet<usize> = BTreeSet::new();
    for (file, prefix, text) in manifests(chart, &[]) {
        // The maps the template reads itself or through the named templates it includes.
        let mut read: Vec<ValuePath> = absolute(values_paths(&text, &prefix));
        for name in included_names(&text) {
            for (define_prefix, body) in defines.get(&name) {
                read.extend(absolute(values_paths(body, define_prefix)));
            }
        }
        let reads_unshown = read
            .iter()
            .any(|path| maps.iter().any(|map| path.segments().starts_with(map)));
        if !reads_unshown {
            continue;
        }
        let Some(gate) = gate_text(&text) else {
            continue;
        };
        let mut gate_reads = vec![(prefix.clone(), gate.to_owned())];
        for name in included_names(gate) {
            gate_reads.extend(defines.get(&name).iter().cloned());
        }
        let mut settings = Vec::new();
        let mut gate_switches = Vec::new();
        for (gate_prefix, gate) in &gate_reads {
            for (path, value) in gate_settings(gate, gate_prefix, values) {
                if !settings
                    .iter()
                    .any(|(known, _): &(ValuePath, Value)| known == &path)
                {
                    settings.push((path, value));
                }
            }
            for path in absolute(values_paths(gate, gate_prefix)) {
                if let Some(switch) = values.switches.iter().position(|s| s == &path) {
                    gate_switches.push(switch);
                }
            }
        }
        if settings.is_empty() {
            continue;
        }
        // The switches the template reads turn on what it holds behind them (an init
        // container, a sidecar).
        switches.extend(gate_switches);
        for path in template_paths(chart, &file)
            .into_iter()
            .map(|(mut prefix, path)| {
                prefix.extend(path.segments().iter().cloned());
                ValuePath::from_segments(prefix)
            })
        {
            if let Some(switch) = values.switches.iter().position(|s| s == &path) {
                switches.insert(switch);
            }
        }
        for (path, value) in settings {
            match wanted.iter_mut().find(|(known, _)| known == &path) {
                Some((_, alternatives)) if !alternatives.contains(&value) => {
                    alternatives.push(value);
                }
                Some(_) => {}
                None => wanted.push((path, vec![value])),
            }
        }
    }
    let probes = wanted
        .iter()
        .map(|(_, alternatives)| alternatives.len())
        .max()
        .unwrap_or(0)
        .min(MAX_PROBES);
    (0..probes)
        .map(|index| Probe {
            stage: Stage::Setting,
            markers: markers.to_vec(),
            switches: switches.iter().copied().collect(),
            lists: Vec::new(),
            guarded: false,
            settings: wanted
                .iter()
                .map(|(path, alternatives)| {
                    (
                        path.clone(),
                        alternatives[index.min(alternatives.len() - 1)].clone(),
                    )
                })
                .collect(),
        })
        .collect()
}

/// The value a `required` check at `line` of `file` asks for, when it is unset: the render
/// that failed on it goes again with a placeholder there.
pub(crate) fn required_setting(
    chart: &osc_chart::Chart,
    values: &Values,
    file: &str,
    line: usize,
) -> Option<(ValuePath, Value)> {
    let (prefix, text) = crate::discover::probe::template_text(chart, file)?;
    let line = text.lines().nth(line.checked_sub(1)?)?;
    let at = line.find("required ")?;
    let paths = absolute(values_paths(&line[at..], &prefix));
    let path = paths.into_iter().next()?;
    let unset = match values.get(&path) {
        None | Some(Value::Null) => true,
        Some(Value::String(text)) => text.is_empty(),
        _ => false,
    };
    unset.then(|| (path, Value::from(PLACEHOLDER)))
}

/// What decides whether a template renders at all: the `.Values` paths its first action reads
/// when that is an `if`, `with` or `unless`, with those the named templates it includes there
/// read (`{{ if include "x.enabled" . }}`), each path from the top chart's values.
pub(crate) fn gate_paths(chart: &osc_chart::Chart, file: &str) -> Vec<ValuePath> {
    let Some((prefix, text)) = crate::discover::probe::template_text(chart, file) else {
        return Vec::new();
    };
    let Some(gate) = gate_text(&text) else {
        return Vec::new();
    };
    let mut paths = absolute(values_paths(gate, &prefix));
    let names = included_names(gate);
    if !names.is_empty() {
        let defines = Defines::of(chart);
        for name in names {
            for (define_prefix, body) in defines.get(&name) {
                paths.extend(absolute(values_paths(body, define_prefix)));
            }
        }
    }
    paths
}

/// The text of a template's first action when it is an `if`, `with` or `unless`: the gate of
/// the whole template.
fn gate_text(text: &str) -> Option<&str> {
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let end = rest[start..].find("}}")?;
        let action =
            rest[start + 2..start + end].trim_matches(|c: char| c == '-' || c.is_whitespace());
        rest = &rest[start + end + 2..];
        if action.starts_with("/*") {
            continue;
        }
        let keyword = action.split_whitespace().next().unwrap_or("");
        return matches!(keyword, "if" | "with" | "unless").then_some(action);
    }
    None
}

/// What a gate asks of values it reads that a switch cannot give: a word it compares a key
/// with (`eq .Values.x "word"`, either way round) that the key does not hold, and a
/// placeholder for an unset key or empty list it tests for truth. A key under `not` or `ne`
/// is left as it is.
fn gate_settings(gate: &str, prefix: &[Segment], values: &Values) -> Vec<(ValuePath, Value)> {
    let mut settings = Vec::new();
    let tokens = tokens(gate);
    for (index, token) in tokens.iter().enumerate() {
        let Some(path) = values_path(token, prefix) else {
            continue;
        };
        let previous = index.checked_sub(1).map(|at| tokens[at].as_str());
        let before_previous = index.checked_sub(2).map(|at| tokens[at].as_str());
        let next = tokens.get(index + 1).map(String::as_str);
        let word = |token: Option<&str>| {
            token
                .filter(|token| token.len() >= 2 && token.starts_with('"') && token.ends_with('"'))
                .map(|token| token[1..token.len() - 1].to_owned())
        };
        let compared = match (previous, before_previous) {
            (Some("eq"), _) => word(next),
            (Some(_), Some("eq")) if word(previous).is_some() => word(previous),
            _ => None,
        };
        if let Some(word) = compared {
            let holds = matches!(values.get(&path), Some(Value::String(text)) if *text == word);
            if !holds && !word.is_empty() {
                settings.push((path, Value::from(word)));
            }
            continue;
        }
        if matches!(previous, Some("not" | "ne")) || matches!(before_previous, Some("ne")) {
            continue;
        }
        match values.get(&path) {
            None | Some(Value::Null) => {}
            Some(Value::String(text)) if text.is_empty() => {}
            Some(Value::Sequence(items)) if items.is_empty() => {
                settings.push((path, Value::Sequence(vec![Value::from(PLACEHOLDER)])));
                continue;
            }
            _ => continue,
        }
        // Only a key the values write: a template's own fallback key is no setting.
        if leaf_unset(values, &path) {
            settings.push((path, Value::from(PLACEHOLDER)));
        }
    }
    settings
}

fn leaf_unset(values: &Values, path: &ValuePath) -> bool {
    values
        .leaves
        .iter()
        .any(|leaf| &leaf.path == path && leaf.value == Scalar::Unset)
}

/// The words of a template action: strings whole, parentheses apart.
fn tokens(action: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut in_string = false;
    for c in action.chars() {
        if in_string {
            current.push(c);
            if c == '"' {
                in_string = false;
                tokens.push(std::mem::take(&mut current));
            }
            continue;
        }
        match c {
            '"' => {
                if !current.is_empty() {
                    tokens.push(std::mem::take(&mut current));
                }
                current.push(c);
                in_string = true;
            }
            '(' | ')' | '|' => {
                if !current.is_empty() {
                    tokens.push(std::mem::take(&mut current));
                }
            }
            c if c.is_whitespace() => {
                if !current.is_empty() {
                    tokens.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens
}

/// The values path a token reads (`.Values.x.y`, `$.Values.x.y`), from the top chart's values.
fn values_path(token: &str, prefix: &[Segment]) -> Option<ValuePath> {
    let rest = token
        .strip_prefix("$.Values.")
        .or_else(|| token.strip_prefix(".Values."))?;
    if rest.is_empty()
        || !rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return None;
    }
    absolute(values_paths(&format!("Values.{rest}"), prefix))
        .into_iter()
        .next()
}

fn absolute(paths: Vec<(Vec<Segment>, ValuePath)>) -> Vec<ValuePath> {
    paths
        .into_iter()
        .map(|(mut prefix, path)| {
            prefix.extend(path.segments().iter().cloned());
            ValuePath::from_segments(prefix)
        })
        .collect()
}

/// The names an action or template passes to `include` or `template`.
fn included_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for word in ["include \"", "template \""] {
        for (at, _) in text.match_indices(word) {
            let rest = &text[at + word.len()..];
            if let Some(end) = rest.find('"')
                && !names.iter().any(|name| name == &rest[..end])
            {
                names.push(rest[..end].to_owned());
            }
        }
    }
    names
}

/// Every template that writes objects (no `_` helper, no NOTES.txt) of the chart and its
/// subcharts: the name Helm gives it (`top/charts/sub/templates/x.yaml`), its values prefix
/// and its text.
fn manifests(chart: &osc_chart::Chart, prefix: &[Segment]) -> Vec<(String, Vec<Segment>, String)> {
    manifests_under(chart, prefix, chart.name())
}

fn manifests_under(
    chart: &osc_chart::Chart,
    prefix: &[Segment],
    place: &str,
) -> Vec<(String, Vec<Segment>, String)> {
    let mut found = Vec::new();
    for file in chart.files() {
        let Some(name) = file.path.strip_prefix("templates/") else {
            continue;
        };
        let base = name.rsplit('/').next().unwrap_or(name);
        if base.starts_with('_') || base == "NOTES.txt" {
            continue;
        }
        found.push((
            format!("{place}/{}", file.path),
            prefix.to_vec(),
            String::from_utf8_lossy(&file.data).into_owned(),
        ));
    }
    for subchart in chart.dependencies() {
        let alias = chart.values_key(subchart.name());
        let mut sub_prefix = prefix.to_vec();
        sub_prefix.push(Segment::Key(alias.to_owned()));
        found.extend(manifests_under(
            subchart,
            &sub_prefix,
            &format!("{place}/charts/{}", subchart.name()),
        ));
    }
    found
}

/// The named templates of a chart and its subcharts, each body with the values prefix of the
/// chart that defines it: from its `define` to the next `define` or the file's end, which may
/// read a little more than the body, never less.
struct Defines(HashMap<String, Vec<(Vec<Segment>, String)>>);

impl Defines {
    fn of(chart: &osc_chart::Chart) -> Defines {
        let mut defines = Defines(HashMap::new());
        defines.collect(chart, &[]);
        defines
    }

    fn collect(&mut self, chart: &osc_chart::Chart, prefix: &[Segment]) {
        const DEFINE: &str = "define \"";
        for file in chart.files() {
            if !file.path.starts_with("templates/") {
                continue;
            }
            let text = String::from_utf8_lossy(&file.data);
            for (at, _) in text.match_indices(DEFINE) {
                let rest = &text[at + DEFINE.len()..];
                let Some(end) = rest.find('"') else { continue };
                let body = &rest[end + 1..];
                let body = &body[..body.find(DEFINE).unwrap_or(body.len())];
                self.0
                    .entry(rest[..end].to_owned())
                    .or_default()
                    .push((prefix.to_vec(), body.to_owned()));
            }
        }
        for subchart in chart.dependencies() {
            let mut sub_prefix = prefix.to_vec();
            sub_prefix.push(Segment::Key(chart.values_key(subchart.name()).to_owned()));
            self.collect(subchart, &sub_prefix);
        }
    }

    fn get(&self, name: &str) -> &[(Vec<Segment>, String)] {
        self.0.get(name).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_split_into_words_strings_whole() {
        assert_eq!(
            tokens(r#"if and (eq .Values.mode "two words") (not $.Values.x)"#),
            [
                "if",
                "and",
                "eq",
                ".Values.mode",
                "\"two words\"",
                "not",
                "$.Values.x"
            ]
        );
    }

    #[test]
    fn includes_are_named_once() {
        assert_eq!(
            included_names(
                r#"{{ if include "a.on" . }}{{ template "b" . }}{{ include "a.on" . }}"#
            ),
            ["a.on", "b"]
        );
    }
}
