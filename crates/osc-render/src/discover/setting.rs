//! Settings that are no switch: a template whose first action compares a value with a word
//! (`{{ if eq .Values.mode "cluster" }}`) or needs a value that is unset (`{{ if and
//! .Values.server.url .Values.token }}`) renders nothing until that value is given, and a
//! boolean cannot give it. For a template that reads an image-shaped map no render has shown,
//! the values its gate asks for are read from the gate (and the named templates it includes
//! there), and a render with them and the markers shows its images. A render that fails on a
//! `required` value gets a placeholder for it and goes again.

use std::collections::BTreeSet;

use osc_yaml::{Path as ValuePath, Segment};
use serde_norway::Value;

use crate::discover::probe::{Probe, Stage, template_paths, values_paths};
use crate::discover::templates::{Defines, absolute, actions, included_names, manifests};
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
    defines: &Defines,
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
        for path in absolute(template_paths(chart, &file)) {
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
pub(crate) fn gate_paths(
    chart: &osc_chart::Chart,
    defines: &Defines,
    file: &str,
) -> Vec<ValuePath> {
    let Some((prefix, text)) = crate::discover::probe::template_text(chart, file) else {
        return Vec::new();
    };
    let Some(gate) = gate_text(&text) else {
        return Vec::new();
    };
    let mut paths = absolute(values_paths(gate, &prefix));
    let names = included_names(gate);
    for name in names {
        for (define_prefix, body) in defines.get(&name) {
            paths.extend(absolute(values_paths(body, define_prefix)));
        }
    }
    paths
}

/// The text of a template's first action when it is an `if`, `with` or `unless`: the gate of
/// the whole template.
fn gate_text(text: &str) -> Option<&str> {
    let (_, action) = actions(text).find(|(_, action)| !action.starts_with("/*"))?;
    let keyword = action.split_whitespace().next().unwrap_or("");
    matches!(keyword, "if" | "with" | "unless").then_some(action)
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
}
