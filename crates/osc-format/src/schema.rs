//! values.schema.json (JSON Schema) as the structural OpenAPI v3 schema a Kubernetes v1 CRD
//! accepts.
//!
//! Kubernetes refuses `$ref`, type lists, untyped nodes and most JSON Schema keywords, and prunes
//! fields a schema does not name. So references are inlined, `[T, "null"]` becomes `nullable`,
//! untyped or unexpressible nodes keep any content, and every object keeps fields its schema does
//! not list, as Helm does, unless it says `additionalProperties: false`. Defaults and patterns are
//! dropped: the API server would apply the one and may not compile the other, and values.yaml in
//! `defaultConfiguration` already holds the defaults.

use serde_json::{Map, Value, json};

/// References followed within one another; deeper ones (recursive schemas) end in a node that
/// keeps any content, which also bounds the copies a branching recursive schema makes.
const MAX_NESTED_REFERENCES: usize = 8;

/// Keywords copied as they are when their value has the right JSON type.
const NUMBER_KEYWORDS: [&str; 3] = ["minimum", "maximum", "multipleOf"];
const COUNT_KEYWORDS: [&str; 6] = [
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
];
const TEXT_KEYWORDS: [&str; 2] = ["description", "title"];
/// Formats the Kubernetes API server knows.
const FORMATS: [&str; 12] = [
    "int32",
    "int64",
    "float",
    "double",
    "byte",
    "date",
    "date-time",
    "password",
    "uri",
    "email",
    "hostname",
    "uuid",
];

/// The schema for a CR's `spec` when the chart has no values.schema.json.
pub(crate) fn permissive() -> Value {
    json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true})
}

/// The structural schema for a CR's `spec`, from the whole values.schema.json.
pub(crate) fn from_values_schema(schema: &Value) -> Value {
    let mut spec = convert(schema, schema, 0);
    // The spec node must be an object whatever the schema's root says.
    if spec.get("type").and_then(Value::as_str) != Some("object") {
        spec = permissive();
    }
    spec
}

/// Relaxes the parts of a structural `schema` that the chart's own `values` break, so the API
/// server accepts the default instance; returns the values paths relaxed and why.
///
/// values.schema.json and values.yaml disagree more often than Helm shows, since Helm checks only
/// the merged values of a release.
pub(crate) fn fit_values(schema: &mut Value, values: &Value) -> Vec<String> {
    let mut relaxed = Vec::new();
    fit(schema, values, "", &mut relaxed);
    relaxed
}

fn fit(schema: &mut Value, value: &Value, path: &str, relaxed: &mut Vec<String>) {
    // Kubernetes drops nulls of non-nullable fields before validating.
    if value.is_null() {
        return;
    }
    let Some(node) = schema.as_object_mut() else {
        return;
    };
    if node.contains_key("x-kubernetes-int-or-string") {
        if !(value.is_string() || value.is_i64() || value.is_u64()) {
            relaxed.push(format!(
                "{}: {} is neither an integer nor a string",
                shown(path),
                kind_of(value)
            ));
            *schema = keep_any();
        }
        return;
    }
    let Some(kind) = node.get("type").and_then(Value::as_str) else {
        return;
    };
    if !fits_type(value, kind) {
        relaxed.push(format!(
            "{}: the schema says {kind}, values.yaml has {}",
            shown(path),
            kind_of(value)
        ));
        *schema = with_text(keep_any(), node);
        return;
    }
    let outside_enum = node
        .get("enum")
        .and_then(Value::as_array)
        .is_some_and(|values| !values.contains(value));
    if outside_enum {
        relaxed.push(format!(
            "{}: {value} is not in the schema's enum",
            shown(path)
        ));
        node.remove("enum");
    }
    for (keyword, broken) in [
        (
            "minimum",
            value
                .as_f64()
                .zip(node.get("minimum").and_then(Value::as_f64))
                .is_some_and(|(v, min)| v < min),
        ),
        (
            "maximum",
            value
                .as_f64()
                .zip(node.get("maximum").and_then(Value::as_f64))
                .is_some_and(|(v, max)| v > max),
        ),
        (
            "minLength",
            value
                .as_str()
                .zip(node.get("minLength").and_then(Value::as_u64))
                .is_some_and(|(v, min)| (v.chars().count() as u64) < min),
        ),
        (
            "maxLength",
            value
                .as_str()
                .zip(node.get("maxLength").and_then(Value::as_u64))
                .is_some_and(|(v, max)| v.chars().count() as u64 > max),
        ),
        (
            "minItems",
            value
                .as_array()
                .zip(node.get("minItems").and_then(Value::as_u64))
                .is_some_and(|(v, min)| (v.len() as u64) < min),
        ),
        (
            "maxItems",
            value
                .as_array()
                .zip(node.get("maxItems").and_then(Value::as_u64))
                .is_some_and(|(v, max)| v.len() as u64 > max),
        ),
    ] {
        if broken {
            relaxed.push(format!(
                "{}: {value} breaks the schema's {keyword}",
                shown(path)
            ));
            node.remove(keyword);
        }
    }
    match value {
        Value::Object(entries) => {
            if let Some(required) = node.get_mut("required").and_then(Value::as_array_mut) {
                let before = required.len();
                required.retain(|name| {
                    name.as_str()
                        .is_some_and(|name| entries.get(name).is_some_and(|value| !value.is_null()))
                });
                if required.len() != before {
                    relaxed.push(format!(
                        "{}: values.yaml lacks keys the schema requires",
                        shown(path)
                    ));
                }
                if required.is_empty() {
                    node.remove("required");
                }
            }
            for (key, child) in entries {
                let child_path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                if let Some(property) = node
                    .get_mut("properties")
                    .and_then(|properties| properties.get_mut(key))
                {
                    fit(property, child, &child_path, relaxed);
                } else if let Some(additional) = node
                    .get_mut("additionalProperties")
                    .filter(|schema| schema.is_object())
                {
                    fit(additional, child, &child_path, relaxed);
                }
            }
        }
        Value::Array(items) => {
            if let Some(schema) = node.get_mut("items") {
                for (index, item) in items.iter().enumerate() {
                    fit(schema, item, &format!("{path}[{index}]"), relaxed);
                }
            }
        }
        _ => {}
    }
}

fn shown(path: &str) -> String {
    if path.is_empty() {
        "the values".to_string()
    } else {
        format!("`{path}`")
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(number) if number.is_f64() => "a number",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn keep_any() -> Value {
    json!({"x-kubernetes-preserve-unknown-fields": true})
}

/// `references` counts the `$ref`s followed to reach `schema`.
fn convert(schema: &Value, root: &Value, references: usize) -> Value {
    let Some(node) = schema.as_object() else {
        return keep_any();
    };
    if let Some(reference) = node.get("$ref").and_then(Value::as_str) {
        return match resolve(reference, root) {
            Some(target) if references < MAX_NESTED_REFERENCES => {
                convert(target, root, references + 1)
            }
            _ => keep_any(),
        };
    }
    let (kind, nullable) = match node_type(node) {
        NodeType::Known(kind, nullable) => (kind, nullable),
        NodeType::IntOrString => {
            return json!({"x-kubernetes-int-or-string": true});
        }
        NodeType::Any => return with_text(keep_any(), node),
    };
    let mut out = Map::new();
    out.insert("type".to_string(), Value::String(kind.to_string()));
    if nullable {
        out.insert("nullable".to_string(), Value::Bool(true));
    }
    for key in TEXT_KEYWORDS {
        if let Some(text) = node.get(key).filter(|value| value.is_string()) {
            out.insert(key.to_string(), text.clone());
        }
    }
    if let Some(format) = node
        .get("format")
        .and_then(Value::as_str)
        .filter(|format| FORMATS.contains(format) && kind != "object" && kind != "array")
    {
        out.insert("format".to_string(), Value::String(format.to_string()));
    }
    if matches!(kind, "number" | "integer") {
        for key in NUMBER_KEYWORDS {
            if let Some(number) = node.get(key).filter(|value| value.is_number()) {
                out.insert(key.to_string(), number.clone());
            }
        }
    }
    for key in COUNT_KEYWORDS {
        if let Some(count) = node.get(key).filter(|value| value.is_u64()) {
            out.insert(key.to_string(), count.clone());
        }
    }
    if let Some(values) = node.get("enum").and_then(Value::as_array) {
        let fits = |value: &Value| fits_type(value, kind) || (nullable && value.is_null());
        if !values.is_empty() && values.iter().all(fits) {
            out.insert("enum".to_string(), Value::Array(values.clone()));
        }
    }
    match kind {
        "object" => object(node, root, references, &mut out),
        "array" => {
            let items = match node.get("items") {
                Some(items) if items.is_object() => convert(items, root, references),
                _ => keep_any(),
            };
            out.insert("items".to_string(), items);
        }
        _ => {}
    }
    Value::Object(out)
}

fn object(
    node: &Map<String, Value>,
    root: &Value,
    references: usize,
    out: &mut Map<String, Value>,
) {
    let properties = node.get("properties").and_then(Value::as_object);
    let additional = node.get("additionalProperties");
    if let Some(properties) = properties.filter(|properties| !properties.is_empty()) {
        let converted = properties
            .iter()
            .map(|(key, value)| (key.clone(), convert(value, root, references)))
            .collect::<Map<_, _>>();
        out.insert("properties".to_string(), Value::Object(converted));
        if let Some(required) = node.get("required").and_then(Value::as_array) {
            let names = required
                .iter()
                .filter(|name| {
                    name.as_str()
                        .is_some_and(|name| properties.contains_key(name))
                })
                .cloned()
                .collect::<Vec<_>>();
            if !names.is_empty() {
                out.insert("required".to_string(), Value::Array(names));
            }
        }
        // Kubernetes allows `properties` or `additionalProperties`, not both.
        if additional != Some(&Value::Bool(false)) {
            out.insert(
                "x-kubernetes-preserve-unknown-fields".to_string(),
                Value::Bool(true),
            );
        }
        return;
    }
    match additional {
        Some(Value::Object(schema)) if !schema.is_empty() => {
            out.insert(
                "additionalProperties".to_string(),
                convert(&Value::Object(schema.clone()), root, references),
            );
        }
        Some(Value::Bool(false)) => {}
        _ => {
            out.insert(
                "x-kubernetes-preserve-unknown-fields".to_string(),
                Value::Bool(true),
            );
        }
    }
}

enum NodeType {
    Known(&'static str, bool),
    IntOrString,
    Any,
}

fn node_type(node: &Map<String, Value>) -> NodeType {
    let known = |name: &str| -> Option<&'static str> {
        ["object", "array", "string", "integer", "number", "boolean"]
            .into_iter()
            .find(|known| *known == name)
    };
    match node.get("type") {
        Some(Value::String(name)) => {
            known(name).map_or(NodeType::Any, |kind| NodeType::Known(kind, false))
        }
        Some(Value::Array(names)) => {
            let names = names.iter().filter_map(Value::as_str).collect::<Vec<_>>();
            let nullable = names.contains(&"null");
            let mut kinds = names
                .iter()
                .filter(|name| **name != "null")
                .copied()
                .collect::<Vec<_>>();
            kinds.sort_unstable();
            match kinds.as_slice() {
                [only] => known(only).map_or(NodeType::Any, |kind| NodeType::Known(kind, nullable)),
                ["integer", "string"] if !nullable => NodeType::IntOrString,
                _ => NodeType::Any,
            }
        }
        None if node.contains_key("properties") => NodeType::Known("object", false),
        None if node.contains_key("items") => NodeType::Known("array", false),
        _ => NodeType::Any,
    }
}

fn fits_type(value: &Value, kind: &str) -> bool {
    match kind {
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        _ => false,
    }
}

fn with_text(mut schema: Value, node: &Map<String, Value>) -> Value {
    if let Some(out) = schema.as_object_mut() {
        for key in TEXT_KEYWORDS {
            if let Some(text) = node.get(key).filter(|value| value.is_string()) {
                out.insert(key.to_string(), text.clone());
            }
        }
    }
    schema
}

/// A local reference `#/definitions/x` or `#/$defs/x` (any JSON pointer into this document).
fn resolve<'a>(reference: &str, root: &'a Value) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    root.pointer(pointer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_schema_becomes_structural() {
        let schema = json!({
            "$schema": "http://json-schema.org/schema#",
            "type": "object",
            "definitions": {"port": {"type": "integer", "minimum": 1, "default": 80}},
            "properties": {
                "image": {
                    "type": "object",
                    "properties": {"tag": {"type": ["string", "null"], "pattern": "^v"}},
                    "required": ["tag", "absent"]
                },
                "port": {"$ref": "#/definitions/port"},
                "missing": {"$ref": "#/definitions/none"},
                "pullSecrets": {"type": "array", "items": {}},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "closed": {"type": "object", "properties": {"a": {"type": "boolean"}}, "additionalProperties": false},
                "size": {"type": ["integer", "string"]},
                "mode": {"type": "string", "enum": ["a", "b"], "format": "regex"},
                "anything": {"description": "free"}
            }
        });
        let expected = json!({
            "type": "object",
            "properties": {
                "image": {
                    "type": "object",
                    "properties": {"tag": {"type": "string", "nullable": true}},
                    "required": ["tag"],
                    "x-kubernetes-preserve-unknown-fields": true
                },
                "port": {"type": "integer", "minimum": 1},
                "missing": {"x-kubernetes-preserve-unknown-fields": true},
                "pullSecrets": {"type": "array", "items": {"x-kubernetes-preserve-unknown-fields": true}},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "closed": {"type": "object", "properties": {"a": {"type": "boolean"}}},
                "size": {"x-kubernetes-int-or-string": true},
                "mode": {"type": "string", "enum": ["a", "b"]},
                "anything": {"x-kubernetes-preserve-unknown-fields": true, "description": "free"}
            },
            "x-kubernetes-preserve-unknown-fields": true
        });
        assert_eq!(from_values_schema(&schema), expected);
    }

    #[test]
    fn the_schema_is_relaxed_where_the_chart_values_break_it() {
        let schema = json!({
            "type": "object",
            "properties": {
                "port": {"type": "integer", "minimum": 1024},
                "mode": {"type": "string", "enum": ["a", "b"]},
                "size": {"type": "string", "description": "Volume size"},
                "auth": {"type": "object", "required": ["password", "user"], "properties": {"user": {"type": "string"}, "password": {"type": "string"}}},
                "hosts": {"type": "array", "items": {"type": "string"}},
                "tag": {"type": "string"}
            }
        });
        let mut spec = from_values_schema(&schema);
        let values = json!({
            "port": 80, "mode": "c", "size": 8, "auth": {"user": "admin"}, "hosts": ["a", 1], "tag": null
        });
        let relaxed = fit_values(&mut spec, &values);
        assert_eq!(
            relaxed,
            [
                "`port`: 80 breaks the schema's minimum",
                "`mode`: \"c\" is not in the schema's enum",
                "`size`: the schema says string, values.yaml has an integer",
                "`auth`: values.yaml lacks keys the schema requires",
                "`hosts[1]`: the schema says string, values.yaml has an integer",
            ]
        );
        let properties = &spec["properties"];
        assert_eq!(properties["port"], json!({"type": "integer"}));
        assert_eq!(properties["mode"], json!({"type": "string"}));
        assert_eq!(
            properties["size"],
            json!({"x-kubernetes-preserve-unknown-fields": true, "description": "Volume size"})
        );
        assert_eq!(properties["auth"]["required"], json!(["user"]));
        assert_eq!(
            properties["hosts"]["items"],
            json!({"x-kubernetes-preserve-unknown-fields": true})
        );
        assert_eq!(fit_values(&mut spec, &values), Vec::<String>::new());
    }

    #[test]
    fn recursive_references_end() {
        let schema = json!({
            "type": "object",
            "definitions": {"node": {"type": "object", "properties": {"child": {"$ref": "#/definitions/node"}}}},
            "properties": {"tree": {"$ref": "#/definitions/node"}}
        });
        let converted = from_values_schema(&schema);
        assert_eq!(converted["properties"]["tree"]["type"], "object");
    }

    #[test]
    fn a_root_that_is_no_object_gives_the_permissive_schema() {
        assert_eq!(from_values_schema(&json!({"type": "string"})), permissive());
        assert_eq!(from_values_schema(&json!(true)), permissive());
    }
}
