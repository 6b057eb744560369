//! Edits a CSV's text the way the provider would by hand: only the bytes that must change.

mod json;
mod scalar;

use std::ops::Range;
use std::path::PathBuf;

use osc_yaml::{Path, Segment};

use crate::alm::parse_examples;
use crate::csv::{ALM_EXAMPLES, parse_csv};
use crate::error::EditError;
use crate::model::{Bundle, ContainerKind, Csv};
use crate::yaml::{Document, parse_document, parse_spans};

/// Edits the CSV document of a bundle's CSV file (the bytes at [`Bundle::csv_range`]); the rest of
/// the file, and everything in the document that an edit does not name, stays byte for byte.
///
/// Every edit is checked by loading the edited text again: it must mean the old document with
/// only the named field changed, else the edit is refused and the text left as it was.
#[derive(Debug, Clone)]
pub struct CsvEditor {
    file: PathBuf,
    text: String,
    range: Range<usize>,
    /// The CSV as the current text reads.
    csv: Csv,
}

/// Which entry of `spec.relatedImages` to edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelatedImageKey<'a> {
    /// The first entry with this `name`.
    Name(&'a str),
    /// The entry at this position, for entries without a name.
    Index(usize),
}

impl CsvEditor {
    /// Starts from the CSV file as the bundle was loaded.
    pub fn new(bundle: &Bundle) -> CsvEditor {
        CsvEditor {
            file: bundle.csv_file.clone(),
            text: bundle.csv_text.clone(),
            range: bundle.csv_range.clone(),
            csv: bundle.csv.clone(),
        }
    }

    /// `bundle` with its CSV as edited so far: the model, the file's text and the document's
    /// range. Its `files` keep the CSV file as it was read.
    pub fn edited_bundle(&self, bundle: &Bundle) -> Bundle {
        Bundle {
            csv: self.csv.clone(),
            csv_text: self.text.clone(),
            csv_range: self.range.clone(),
            ..bundle.clone()
        }
    }

    /// The whole file's text with the edits made so far.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Sets `metadata.annotations[key]`, adding the entry (and the `annotations` map) when absent.
    pub fn set_annotation(&mut self, key: &str, value: &str) -> Result<(), EditError> {
        let path = Path::from_segments(["metadata".into(), "annotations".into(), key.into()]);
        self.set_yaml(&path, value)
    }

    /// Adds `{name, email}` as the last of `spec.maintainers`, creating the list when absent,
    /// null or `[]`. A maintainer of that name without an email gets the email instead, and
    /// one with both already there leaves the CSV as it is.
    pub fn add_maintainer(&mut self, name: &str, email: &str) -> Result<(), EditError> {
        let same_name = self
            .csv
            .maintainers
            .iter()
            .position(|maintainer| maintainer.name.as_deref() == Some(name));
        if let Some(index) = same_name {
            match self.csv.maintainers[index].email.as_deref() {
                Some(known) if known == email => return Ok(()),
                None => {
                    let path = Path::from_segments([
                        "spec".into(),
                        "maintainers".into(),
                        index.into(),
                        "email".into(),
                    ]);
                    return self.set_yaml(&path, email);
                }
                Some(_) => {}
            }
        }
        let path = Path::from_segments(["spec".into(), "maintainers".into()]);
        let entries = [
            ("name", osc_yaml::Value::from(name)),
            ("email", osc_yaml::Value::from(email)),
        ];
        let edited = self.edit_yaml(&path, |document| document.push(&path, &entries))?;
        self.splice(self.range.clone(), &edited, &path.to_string(), |meaning| {
            let mut item = serde_norway::Mapping::new();
            item.insert("name".into(), name.into());
            item.insert("email".into(), email.into());
            let Some(spec) = meaning
                .get_mut("spec")
                .and_then(|spec| spec.as_mapping_mut())
            else {
                return false;
            };
            let list = spec
                .entry("maintainers".into())
                .or_insert(serde_norway::Value::Null);
            if list.is_null() {
                *list = serde_norway::Value::Sequence(Vec::new());
            }
            match list.as_sequence_mut() {
                Some(items) => {
                    items.push(serde_norway::Value::Mapping(item));
                    true
                }
                None => false,
            }
        })
    }

    /// Sets the `image` of the first container named `container` in the `kind` list of the first
    /// deployment named `deployment` in `spec.install.spec.deployments`.
    pub fn set_container_image(
        &mut self,
        deployment: &str,
        kind: ContainerKind,
        container: &str,
        image: &str,
    ) -> Result<(), EditError> {
        let (path, _) = self.container_path(deployment, kind, container)?;
        self.set_yaml(&child(&path, "image"), image)
    }

    /// Sets the `value` of the variable `env` of a container found as in
    /// [`CsvEditor::set_container_image`]; the variable must have a `value` already.
    pub fn set_env_value(
        &mut self,
        deployment: &str,
        kind: ContainerKind,
        container: &str,
        env: &str,
        value: &str,
    ) -> Result<(), EditError> {
        let (container_path, variables) = self.container_path(deployment, kind, container)?;
        let env_path = child(&container_path, "env");
        let Some(index) = variables.iter().position(|(name, _)| name == env) else {
            return Err(EditError::NoEnv {
                file: self.file.clone(),
                field: env_path.to_string(),
                env: env.to_owned(),
                available: listing(variables.iter().map(|(name, _)| format!("`{name}`"))),
            });
        };
        let variable_path = child(&env_path, index);
        if !variables[index].1 {
            return Err(EditError::EnvWithoutValue {
                file: self.file.clone(),
                field: variable_path.to_string(),
            });
        }
        self.set_yaml(&child(&variable_path, "value"), value)
    }

    /// Sets the `image` of an entry of `spec.relatedImages`.
    pub fn set_related_image<'k>(
        &mut self,
        entry: impl Into<RelatedImageKey<'k>>,
        image: &str,
    ) -> Result<(), EditError> {
        let entry = entry.into();
        let related = &self.csv.related_images;
        let index = match entry {
            RelatedImageKey::Name(name) => related
                .iter()
                .position(|image| image.name.as_deref() == Some(name)),
            RelatedImageKey::Index(index) => (index < related.len()).then_some(index),
        };
        let Some(index) = index else {
            return Err(EditError::NoRelatedImage {
                file: self.file.clone(),
                entry: match entry {
                    RelatedImageKey::Name(name) => format!("named `{name}`"),
                    RelatedImageKey::Index(index) => format!("[{index}]"),
                },
                available: listing(related.iter().enumerate().map(
                    |(index, image)| match &image.name {
                        Some(name) => format!("`{name}`"),
                        None => format!("[{index}]"),
                    },
                )),
            });
        };
        let path = Path::from_segments([
            "spec".into(),
            "relatedImages".into(),
            index.into(),
            "image".into(),
        ]);
        self.set_yaml(&path, image)
    }

    /// Sets the string at `path` (dotted keys and `[n]` indices, such as `spec.image` or
    /// `spec.nodes[0].image`) in the first example of `kind` in the `alm-examples` annotation.
    ///
    /// Only the characters of that JSON string change: the JSON's layout and the annotation's YAML
    /// quoting (single- or double-quoted, `|` or `>` block) stay as written. The field must
    /// exist and hold a string, as the platform only rewrites existing fields.
    pub fn set_alm_example_field(
        &mut self,
        kind: &str,
        path: &str,
        value: &str,
    ) -> Result<(), EditError> {
        let file = self.file.clone();
        let field = Path::parse(path).map_err(|source| EditError::ExamplePath {
            file: file.clone(),
            kind: kind.to_owned(),
            source,
        })?;
        let alm = self
            .csv
            .alm_examples
            .as_ref()
            .ok_or_else(|| EditError::NoAlmExamples { file: file.clone() })?;
        let examples = alm
            .examples
            .as_ref()
            .map_err(|source| EditError::AlmExamples {
                file: file.clone(),
                source: source.clone(),
            })?;
        let unmappable = |detail: String| EditError::Unmappable {
            file: file.clone(),
            detail,
        };
        let decoded =
            scalar::decode(&self.text, alm.span.clone(), alm.style).map_err(unmappable)?;
        if decoded.text.trim_end_matches('\n') != alm.raw.trim_end_matches('\n') {
            return Err(unmappable(
                "reading the YAML scalar here gives another value than the YAML parser's".into(),
            ));
        }
        let tree = json::parse(&decoded.text).map_err(unmappable)?;
        let example_index = (0..)
            .map_while(|index| tree.item(index))
            .position(|example| example.member("kind").and_then(json::Node::as_str) == Some(kind))
            .ok_or_else(|| EditError::NoExample {
                file: file.clone(),
                kind: kind.to_owned(),
                available: listing(unique(
                    examples
                        .iter()
                        .filter_map(|example| example["kind"].as_str()),
                )),
            })?;
        let mut node = tree.item(example_index);
        for segment in field.segments() {
            node = node.and_then(|node| match segment {
                Segment::Key(key) => node.member(key),
                Segment::Index(index) => node.item(*index),
            });
        }
        let Some(node) = node else {
            return Err(EditError::MissingExampleField {
                file,
                kind: kind.to_owned(),
                path: field.to_string(),
            });
        };
        if node.as_str().is_none() {
            return Err(EditError::NotAString {
                file,
                kind: kind.to_owned(),
                path: field.to_string(),
                found: node.describe(),
            });
        }
        // The JSON string's content lies between its quotes.
        let content = node.span.start + 1..node.span.end - 1;
        let (Some(open), Some(close)) =
            (decoded.origin(node.span.start), decoded.origin(content.end))
        else {
            return Err(unmappable(
                "the quotes of the JSON string have no origin".into(),
            ));
        };
        let escaped = json_content(value);
        let raw = format!(
            "{}{escaped}{}",
            &alm.raw[..content.start],
            &alm.raw[content.end..]
        );
        let mut expected_examples = examples.clone();
        let target = expected_examples
            .get_mut(example_index)
            .and_then(|example| {
                field
                    .segments()
                    .iter()
                    .try_fold(example, |json, segment| match segment {
                        Segment::Key(key) => json.get_mut(key.as_str()),
                        Segment::Index(index) => json.get_mut(*index),
                    })
            });
        let annotation_path =
            Path::from_segments(["metadata".into(), "annotations".into(), ALM_EXAMPLES.into()]);
        let described = format!("{annotation_path} ({kind} example, {field})");
        let Some(target) = target else {
            return Err(self.verification(&described, "the field is missing from the parsed JSON"));
        };
        *target = serde_json::Value::String(value.to_owned());
        if parse_examples(&raw).as_ref() != Ok(&expected_examples) {
            return Err(self.verification(&described, "the JSON would read differently"));
        }
        let replacement = decoded.encode(&escaped);
        self.splice(open.end..close.start, &replacement, &described, |meaning| {
            set_value(meaning, annotation_path.segments(), &raw)
        })
    }

    /// Sets a YAML string with osc-yaml, which keeps the scalar's quoting where it can.
    fn set_yaml(&mut self, path: &Path, value: &str) -> Result<(), EditError> {
        let edited = self.edit_yaml(path, |document| document.set(path, value))?;
        self.splice(self.range.clone(), &edited, &path.to_string(), |meaning| {
            set_value(meaning, path.segments(), value)
        })
    }

    /// The CSV document's text after `edit` with osc-yaml; `path` names the edit in errors.
    fn edit_yaml<T>(
        &self,
        path: &Path,
        edit: impl FnOnce(&mut osc_yaml::Document) -> Result<T, osc_yaml::Error>,
    ) -> Result<String, EditError> {
        let yaml_error = |source| EditError::Yaml {
            file: self.file.clone(),
            source,
        };
        let current = Document {
            range: self.range.clone(),
            first_line: self.first_line(),
        };
        let (mut document, padding) = parse_spans(&self.text, &current).map_err(yaml_error)?;
        edit(&mut document).map_err(yaml_error)?;
        match document.text().strip_prefix(&padding) {
            Some(edited) => Ok(edited.to_owned()),
            None => Err(self.verification(&path.to_string(), "the edit reached before the CSV")),
        }
    }

    /// Replaces `range` of the text by `replacement` when the result loads as a CSV and means the
    /// current document changed as `change` changes it; `field` names the edit in errors.
    fn splice(
        &mut self,
        range: Range<usize>,
        replacement: &str,
        field: &str,
        change: impl FnOnce(&mut serde_norway::Value) -> bool,
    ) -> Result<(), EditError> {
        let reload = |source| EditError::Reload { source };
        let before = Document {
            range: self.range.clone(),
            first_line: self.first_line(),
        };
        let mut expected = parse_document(&self.file, &self.text, &before).map_err(reload)?;
        if !change(&mut expected) {
            return Err(self.verification(field, "the field is missing from the parsed CSV"));
        }
        let mut text = self.text.clone();
        text.replace_range(range.clone(), replacement);
        let after = Document {
            range: self.range.start..self.range.end + replacement.len() - range.len(),
            first_line: before.first_line,
        };
        let meaning = parse_document(&self.file, &text, &after).map_err(reload)?;
        if meaning != expected {
            return Err(self.verification(
                field,
                "the edited text does not read as the old one with only this field changed",
            ));
        }
        self.csv = parse_csv(&self.file, &text, &after, &meaning).map_err(reload)?;
        self.text = text;
        self.range = after.range;
        Ok(())
    }

    /// The path of a container and, for each of its variables, its name and whether it has a
    /// `value`.
    fn container_path(
        &self,
        deployment: &str,
        kind: ContainerKind,
        container: &str,
    ) -> Result<(Path, Vec<(String, bool)>), EditError> {
        let deployments = &self.csv.deployments;
        let Some(deployment_index) = deployments
            .iter()
            .position(|found| found.name == deployment)
        else {
            return Err(EditError::NoDeployment {
                file: self.file.clone(),
                deployment: deployment.to_owned(),
                available: listing(deployments.iter().map(|found| format!("`{}`", found.name))),
            });
        };
        let list_path = Path::from_segments([
            "spec".into(),
            "install".into(),
            "spec".into(),
            "deployments".into(),
            deployment_index.into(),
            "spec".into(),
            "template".into(),
            "spec".into(),
            kind.list_key().into(),
        ]);
        let same_kind = deployments[deployment_index]
            .containers
            .iter()
            .filter(|found| found.kind == kind)
            .collect::<Vec<_>>();
        let Some(found) = same_kind.iter().find(|found| found.name == container) else {
            return Err(EditError::NoContainer {
                file: self.file.clone(),
                field: list_path.to_string(),
                container: container.to_owned(),
                available: listing(same_kind.iter().map(|found| format!("`{}`", found.name))),
            });
        };
        let variables = found
            .env
            .iter()
            .map(|variable| (variable.name.clone(), variable.value.is_some()))
            .collect();
        Ok((child(&list_path, found.index), variables))
    }

    fn first_line(&self) -> usize {
        self.text[..self.range.start].matches('\n').count() + 1
    }

    fn verification(&self, field: &str, detail: &str) -> EditError {
        EditError::Verification {
            file: self.file.clone(),
            field: field.to_owned(),
            detail: detail.to_owned(),
        }
    }
}

impl<'a> From<&'a str> for RelatedImageKey<'a> {
    fn from(name: &'a str) -> RelatedImageKey<'a> {
        RelatedImageKey::Name(name)
    }
}

impl From<usize> for RelatedImageKey<'_> {
    fn from(index: usize) -> Self {
        RelatedImageKey::Index(index)
    }
}

fn child(path: &Path, segment: impl Into<Segment>) -> Path {
    Path::from_segments(path.segments().iter().cloned().chain([segment.into()]))
}

/// Sets the string at `segments`, creating missing mapping keys as osc-yaml does; `false` when the
/// path cannot be followed.
fn set_value(mut current: &mut serde_norway::Value, segments: &[Segment], value: &str) -> bool {
    for segment in segments {
        let next = match segment {
            Segment::Key(key) => {
                if current.is_null() {
                    *current = serde_norway::Value::Mapping(serde_norway::Mapping::new());
                }
                let Some(mapping) = current.as_mapping_mut() else {
                    return false;
                };
                Some(
                    mapping
                        .entry(key.as_str().into())
                        .or_insert(serde_norway::Value::Null),
                )
            }
            Segment::Index(index) => current
                .as_sequence_mut()
                .and_then(|items| items.get_mut(*index)),
        };
        let Some(next) = next else {
            return false;
        };
        current = next;
    }
    *current = serde_norway::Value::String(value.to_owned());
    true
}

/// `value` as the content of a JSON string, with every character that YAML does not print, or
/// reads as a line break, escaped; what is left fits any YAML quoting.
fn json_content(value: &str) -> String {
    let quoted = serde_json::Value::String(value.to_owned()).to_string();
    let content = &quoted[1..quoted.len() - 1];
    let mut escaped = String::with_capacity(content.len());
    for ch in content.chars() {
        if matches!(
            ch,
            '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
        ) {
            escaped.push_str(&format!("\\u{:04x}", u32::from(ch)));
        } else {
            escaped.push(ch);
        }
    }
    escaped
}

/// The items joined for messages, or `none`.
fn listing(items: impl Iterator<Item = String>) -> String {
    let items = items.collect::<Vec<_>>();
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

/// Each name once, quoted, in first-seen order.
fn unique<'a>(names: impl Iterator<Item = &'a str>) -> impl Iterator<Item = String> {
    let mut seen = Vec::new();
    names
        .filter(move |name| {
            let new = !seen.contains(name);
            seen.push(*name);
            new
        })
        .map(|name| format!("`{name}`"))
}
