//! What discovery reads of a chart's template text, never rendering it: the templates that
//! write objects, the named templates they include, and the values each reads. Renders prove
//! what these readings only suggest.

use std::collections::{HashMap, HashSet};

use osc_yaml::{Path as ValuePath, Segment};

use crate::discover::probe::values_paths;

/// Paths under their chart's values prefix, from the top chart's values.
pub(crate) fn absolute(paths: Vec<(Vec<Segment>, ValuePath)>) -> Vec<ValuePath> {
    paths
        .into_iter()
        .map(|(mut prefix, path)| {
            prefix.extend(path.segments().iter().cloned());
            ValuePath::from_segments(prefix)
        })
        .collect()
}

/// The names an action or template passes to `include` or `template`.
pub(crate) fn included_names(text: &str) -> Vec<String> {
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
pub(crate) fn manifests(
    chart: &osc_chart::Chart,
    prefix: &[Segment],
) -> Vec<(String, Vec<Segment>, String)> {
    manifests_under(chart, prefix, chart.name())
}

pub(crate) fn manifests_under(
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
/// chart that defines it: from its `define` to its `end`, or, where the actions do not pair
/// up, to the next `define` or the file's end, which may read a little more than the body,
/// never less.
pub(crate) struct Defines(HashMap<String, Vec<(Vec<Segment>, String)>>);

impl Defines {
    pub(crate) fn of(chart: &osc_chart::Chart) -> Defines {
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
                let body = &body[..block_end(body)
                    .or_else(|| body.find(DEFINE))
                    .unwrap_or(body.len())];
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

    pub(crate) fn get(&self, name: &str) -> &[(Vec<Segment>, String)] {
        self.0.get(name).map_or(&[], Vec::as_slice)
    }
}

/// The templates of a chart that write objects, read once for the questions narrowing asks.
pub(crate) struct Templates {
    manifests: Vec<Manifest>,
    defines: Defines,
    /// What the named templates read, from the top chart's values.
    define_reads: HashSet<ValuePath>,
    /// See [`Templates::breaks_marker_secrets`].
    no_secret_lists: HashSet<ValuePath>,
}

struct Manifest {
    /// As Helm names it: `top/charts/sub/templates/x.yaml`.
    name: String,
    /// What it reads itself, from the top chart's values.
    reads: HashSet<ValuePath>,
    may_write_image: bool,
    /// The named templates it includes.
    includes: Vec<String>,
}

impl Templates {
    pub(crate) fn of(chart: &osc_chart::Chart) -> Templates {
        let defines = Defines::of(chart);
        let texts = manifests(chart, &[]);
        let no_secret_lists = texts
            .iter()
            .map(|(_, prefix, text)| (prefix, text))
            .chain(
                defines
                    .0
                    .values()
                    .flatten()
                    .map(|(prefix, body)| (prefix, body)),
            )
            .flat_map(|(prefix, text)| lists_breaking_marker_secrets(text, prefix))
            .collect();
        let manifests = texts
            .into_iter()
            .map(|(name, prefix, text)| Manifest {
                reads: absolute(values_paths(&text, &prefix)).into_iter().collect(),
                may_write_image: may_write_image(&text, &defines),
                includes: included_names(&text),
                name,
            })
            .collect();
        let define_reads = defines
            .0
            .values()
            .flatten()
            .flat_map(|(prefix, body)| absolute(values_paths(body, prefix)))
            .collect();
        Templates {
            manifests,
            defines,
            define_reads,
            no_secret_lists,
        }
    }

    /// Whether a template ranges over the list at `path` in a way a marker pull secret
    /// (`{name: …}`) breaks: it passes an item to `tpl`, which takes only text, or takes the
    /// `len` of a field of an item other than `name`, which the marker lacks. Such a list
    /// takes no map as an item, so it holds no pull secrets of that shape, and a marker there
    /// only breaks the render.
    pub(crate) fn breaks_marker_secrets(&self, path: &ValuePath) -> bool {
        self.no_secret_lists.contains(path)
    }

    pub(crate) fn defines(&self) -> &Defines {
        &self.defines
    }

    /// What the template Helm names `name` reads, itself and through the named templates it
    /// includes at any depth; `None` for a template discovery does not know.
    pub(crate) fn reads_through_includes(&self, name: &str) -> Option<HashSet<ValuePath>> {
        let manifest = self
            .manifests
            .iter()
            .find(|manifest| manifest.name == name)?;
        let mut reads = manifest.reads.clone();
        let mut seen: HashSet<&str> = HashSet::new();
        let mut pending: Vec<&str> = manifest.includes.iter().map(String::as_str).collect();
        while let Some(included) = pending.pop() {
            if !seen.insert(included) {
                continue;
            }
            for (prefix, body) in self.defines.get(included) {
                reads.extend(absolute(values_paths(body, prefix)));
                pending.extend(
                    included_names(body)
                        .into_iter()
                        .filter_map(|name| self.defines.0.get_key_value(&name))
                        .map(|(name, _)| name.as_str()),
                );
            }
        }
        Some(reads)
    }

    /// Whether the template Helm names `name` may write an image (see [`may_write_image`]);
    /// one discovery does not know may.
    pub(crate) fn may_write_image(&self, name: &str) -> bool {
        self.manifests
            .iter()
            .find(|manifest| manifest.name == name)
            .is_none_or(|manifest| manifest.may_write_image)
    }

    /// Whether a template other than `name`, or a named template, reads `path`.
    pub(crate) fn read_elsewhere(&self, name: &str, path: &ValuePath) -> bool {
        self.define_reads.contains(path)
            || self
                .manifests
                .iter()
                .any(|manifest| manifest.name != name && manifest.reads.contains(path))
    }

    /// Whether what `path` holds may reach a pod: unless the only templates that read it, or
    /// the map holding it, are templates that write no image (a Service's source ranges, an
    /// Ingress's certificates). A value no template names is read through a named template's
    /// argument (`.pullSecrets` of an image map), so it may; a map read further up (a
    /// subchart's values, passed whole to name its objects) says nothing.
    ///
    /// Not only pull secrets: a list can open a component as a switch does (an init container
    /// that installs the certificates a list names), so a marker secret goes to every list a
    /// template that writes images reads.
    pub(crate) fn may_reach_pods(&self, path: &ValuePath) -> bool {
        let segments = path.segments();
        let parent = &segments[..segments.len().saturating_sub(1)];
        let reads = |read: &ValuePath| read == path || read.segments() == parent;
        if self.define_reads.iter().any(reads) {
            return true;
        }
        let mut readers = self
            .manifests
            .iter()
            .filter(|manifest| manifest.reads.iter().any(reads))
            .peekable();
        readers.peek().is_none() || readers.any(|manifest| manifest.may_write_image)
    }
}

/// The lists `text` ranges over with a variable (`range $item := .Values.list`, or with an
/// index too) in a way a `{name: …}` item breaks ([`Templates::breaks_marker_secrets`]), each
/// from the top chart's values.
fn lists_breaking_marker_secrets(text: &str, prefix: &[Segment]) -> Vec<ValuePath> {
    let mut lists = Vec::new();
    for (start, action) in actions(text) {
        let Some((variables, ranged)) = action
            .strip_prefix("range ")
            .and_then(|rest| rest.split_once(":="))
        else {
            continue;
        };
        let item = variables.split(',').next_back().unwrap_or("").trim();
        let ranged = ranged.trim();
        let [(list_prefix, list)] = &values_paths(ranged, prefix)[..] else {
            continue;
        };
        if ranged.split_whitespace().count() != 1 || !item.starts_with('$') || item.len() < 2 {
            continue;
        }
        let body_start = start
            + text[start..]
                .find("}}")
                .map_or(text.len(), |close| close + 2);
        let body = &text[body_start.min(text.len())..];
        let body = &body[..block_end(body).unwrap_or(body.len())];
        let breaks = actions(body).any(|(_, action)| {
            let words: Vec<&str> = action
                .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
                .filter(|word| !word.is_empty())
                .collect();
            words.windows(2).any(|pair| {
                let field = pair[1]
                    .strip_prefix(item)
                    .and_then(|rest| rest.strip_prefix('.'));
                (pair[0] == "tpl" && pair[1] == item)
                    || (pair[0] == "len" && field.is_some_and(|field| field != "name"))
            })
        });
        if breaks {
            lists.extend(absolute(vec![(list_prefix.clone(), list.clone())]));
        }
    }
    lists
}

/// The actions of template text, in order: where each starts (its `{{`) and its words, without
/// the delimiters, trim markers and the spaces around them. Stops at an action that is not
/// closed.
pub(crate) fn actions(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut at = 0;
    std::iter::from_fn(move || {
        let start = at + text[at..].find("{{")?;
        let close = start + text[start..].find("}}")?;
        at = close + 2;
        let action = text[start + 2..close].trim_matches(|c: char| c == '-' || c.is_whitespace());
        Some((start, action))
    })
}

/// Where the block whose opening action `text` follows ends: the start of its `end` action;
/// `None` when the actions do not pair up.
fn block_end(text: &str) -> Option<usize> {
    let mut depth = 1usize;
    for (start, action) in actions(text) {
        match action.split_whitespace().next().unwrap_or("") {
            "if" | "range" | "with" | "define" | "block" => depth += 1,
            "end" => {
                depth -= 1;
                if depth == 0 {
                    return Some(start);
                }
            }
            _ => {}
        }
    }
    None
}

/// `text` without its template comments (`{{/* … */}}`), which say what a template does in
/// words a reader of the text would take for what it writes.
fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while let Some(open) = text[at..].find("{{").map(|found| at + found) {
        let inside = open + 2;
        let words =
            inside + text[inside..].len() - text[inside..].trim_start_matches(['-', ' ']).len();
        let comment_end = text[words..]
            .strip_prefix("/*")
            .and_then(|comment| comment.find("*/"))
            .and_then(|close| {
                let after = words + 2 + close + 2;
                text[after..].find("}}").map(|end| after + end + 2)
            });
        match comment_end {
            Some(end) => {
                out.push_str(&text[at..open]);
                at = end;
            }
            None => {
                out.push_str(&text[at..inside]);
                at = inside;
            }
        }
    }
    out.push_str(&text[at..]);
    out
}

/// Whether a template may write an image: its text, or that of a named template it includes
/// at any depth, says `image` (in any case) outside comments. One that does not (a Service, a
/// PodMonitor) writes none, unless a value it passes on whole holds one.
fn may_write_image(text: &str, defines: &Defines) -> bool {
    let mut seen: HashSet<String> = HashSet::new();
    let mut texts: Vec<&str> = vec![text];
    while let Some(text) = texts.pop() {
        if mentions_image(&without_comments(text)) {
            return true;
        }
        for included in included_names(text) {
            if seen.insert(included.clone()) {
                texts.extend(defines.get(&included).iter().map(|(_, body)| body.as_str()));
            }
        }
    }
    false
}

fn mentions_image(text: &str) -> bool {
    text.as_bytes()
        .windows(5)
        .any(|window| window.eq_ignore_ascii_case(b"image"))
}

/// A chart of these files (path, text), loaded as discovery loads one.
#[cfg(test)]
pub(crate) fn chart_of(files: &[(&str, &str)]) -> osc_chart::Chart {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    osc_chart::Chart::load(dir.path()).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lists whose items a template passes to `tpl` or takes the `len` of a field of get no
    /// marker secret; lists read by `name`, printed or read by other fields still do.
    #[test]
    fn lists_a_marker_secret_would_break_are_told() {
        let helpers = "{{- define \"c.hosts\" -}}\n{{- range $i, $host := .Values.search.hosts }}{{ tpl $host $ }},{{ end }}\n{{- end -}}\n";
        let config = "kind: ConfigMap\ndata:\n{{- range $rule := .Values.rules }}\n  {{ $rule.name }}: {{ sub (len $rule.actions) 1 }}\n{{- end }}\n{{- range $ca := .Values.trust.cas }}\n  {{ $ca.secret }}: x\n{{- end }}\n{{- range $secret := .Values.pullSecrets }}\n  {{ $secret.name }}: {{ len $secret.name }}\n{{- end }}\n";
        let chart = chart_of(&[
            ("Chart.yaml", "apiVersion: v2\nname: c\nversion: 1.0.0\n"),
            ("templates/_helpers.tpl", helpers),
            ("templates/config.yaml", config),
        ]);
        let templates = Templates::of(&chart);
        let breaks = |path: &str| templates.breaks_marker_secrets(&ValuePath::parse(path).unwrap());
        assert!(breaks("search.hosts"));
        assert!(breaks("rules"));
        // A missing field prints nothing: the marker may open what the list opens.
        assert!(!breaks("trust.cas"));
        assert!(!breaks("pullSecrets"));
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

    #[test]
    fn named_templates_end_at_their_end_and_comments_say_nothing() {
        let body = " -}}\n{{- if .a }}{{ range .b }}x{{ end }}{{ end -}}\n{{- end -}}\n{{/* Returns the image */}}\n";
        assert_eq!(block_end(body), body.find("{{- end -}}"));
        assert_eq!(block_end("{{ if .a }}"), None);
        assert_eq!(
            without_comments("a{{/* image */}}b{{- /* x */ -}}c{{ .image }}"),
            "abc{{ .image }}"
        );
        assert_eq!(without_comments("path: /* {{ .x }}"), "path: /* {{ .x }}");
    }

    #[test]
    fn reads_are_followed_through_named_templates() {
        let files = [
            ("Chart.yaml", "apiVersion: v2\nname: top\nversion: 1.0.0\n"),
            (
                "templates/web.yaml",
                "kind: Deployment\nhost: {{ include \"top.host\" . }}\nreplicas: {{ .Values.web.replicas }}\n",
            ),
            (
                "templates/_helpers.tpl",
                "{{- define \"top.host\" -}}{{ if .Values.exposure.on }}{{ include \"top.name\" . }}{{ end }}{{- end -}}\n{{- define \"top.name\" -}}{{ .Values.exposure.name }}{{- end -}}\n{{- define \"top.unused\" -}}{{ .Values.other }}{{- end -}}\n",
            ),
        ];
        let chart = chart_of(&files);
        let templates = Templates::of(&chart);
        let mut reads: Vec<String> = templates
            .reads_through_includes("top/templates/web.yaml")
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        reads.sort();
        assert_eq!(reads, ["exposure.name", "exposure.on", "web.replicas"]);
        assert!(
            templates
                .reads_through_includes("top/templates/other.yaml")
                .is_none()
        );
    }

    #[test]
    fn marker_secrets_go_to_lists_that_templates_of_images_read() {
        let files = [
            (
                "Chart.yaml",
                "apiVersion: v2\nname: lists\nversion: 1.0.0\n",
            ),
            (
                "templates/server.yaml",
                "spec:\n  {{- with .Values.registryLogins }}\n  imagePullSecrets: {{ toYaml . }}\n  {{- end }}\n  containers:\n    - image: {{ .Values.server.ref }}\n",
            ),
            (
                "templates/job.yaml",
                "containers:\n  - image: {{ include \"lists.ref\" .Values.tool }}\n    {{- include \"lists.logins\" .Values.tool }}\n    args: {{ toYaml .Values.tool.flags }}\n",
            ),
            (
                "templates/_helpers.tpl",
                "{{- define \"lists.ref\" -}}{{ .ref }}{{- end -}}\n{{- define \"lists.logins\" -}}{{ with .logins }}imagePullSecrets: {{ toYaml . }}{{ end }}{{- end -}}\n",
            ),
            (
                "templates/worker.yaml",
                "containers:\n  - image: {{ .Values.worker.ref }}\n    args: {{ toYaml .Values.worker.flags }}\n",
            ),
            (
                "templates/svc.yaml",
                "{{/* Reaches the image's pods */}}\nkind: Service\nspec:\n  loadBalancerSourceRanges: {{ toYaml .Values.front.allowed }}\n",
            ),
        ];
        let chart = chart_of(&files);
        let templates = Templates::of(&chart);
        let may = |path: &str| templates.may_reach_pods(&ValuePath::parse(path).unwrap());
        // Read where `imagePullSecrets` is written, or where images are.
        assert!(may("registryLogins"));
        assert!(may("worker.flags"));
        // The map holding it goes whole to a named template.
        assert!(may("tool.logins"));
        // Read only by a Service, whose comment names an image.
        assert!(!may("front.allowed"));
        // Named by no template: it may be read through an argument.
        assert!(may("elsewhere.names"));
    }
}
