//! manifests/*_crd.yaml (docs/osc-format.md#crds).

use serde_norway::Value;

use super::{Findings, Package, parse_yaml, text};

/// What the CSD checks need from a CRD.
pub(super) struct CrdInfo {
    pub file: String,
    /// `metadata.name`.
    pub name: String,
    pub group: String,
    pub kind: String,
    /// Served version names.
    pub served: Vec<String>,
    /// The storage (else first) version's schema of `.spec`, when there is one.
    pub spec_schema: Option<Value>,
}

pub(super) fn check(package: &Package<'_>, is_helm: bool, findings: &mut Findings) -> Vec<CrdInfo> {
    let files = package
        .in_dir("manifests")
        .map(|(path, _)| path)
        .filter(|path| path.ends_with("_crd.yaml"))
        .collect::<Vec<_>>();
    files
        .into_iter()
        .filter_map(|file| {
            let crd = parse_yaml(package, file, "crd-yaml", findings)?;
            check_one(file, &crd, is_helm, findings)
        })
        .collect()
}

fn check_one(file: &str, crd: &Value, is_helm: bool, findings: &mut Findings) -> Option<CrdInfo> {
    let api_version = text(crd, "apiVersion").unwrap_or_default();
    if api_version != "apiextensions.k8s.io/v1"
        || text(crd, "kind") != Some("CustomResourceDefinition")
    {
        findings.error(
            "crd-api-version",
            file,
            Some("apiVersion"),
            format!(
                "is `{api_version}` with kind `{}`, but OSC expects an apiextensions.k8s.io/v1 CustomResourceDefinition",
                text(crd, "kind").unwrap_or_default()
            ),
            "write the CRD as apiextensions.k8s.io/v1 (a v1beta1 CRD moves spec.validation into each spec.versions[].schema)",
        );
    }
    let spec = crd.get("spec")?;
    let group = text(spec, "group").unwrap_or_default().to_string();
    let names = spec.get("names");
    let kind = names
        .and_then(|names| text(names, "kind"))
        .unwrap_or_default()
        .to_string();
    let plural = names
        .and_then(|names| text(names, "plural"))
        .unwrap_or_default();
    let name = crd
        .get("metadata")
        .and_then(|metadata| text(metadata, "name"))
        .unwrap_or_default()
        .to_string();
    let expected = format!("{plural}.{group}");
    if name != expected {
        findings.error(
            "crd-name",
            file,
            Some("metadata.name"),
            format!("is `{name}`, but a CRD's name is `<plural>.<group>`, here `{expected}`"),
            format!("set metadata.name to `{expected}`"),
        );
    }
    let (served, spec_schema) = versions(file, spec, findings);
    let prefix = file
        .strip_prefix("manifests/")
        .and_then(|name| name.strip_suffix("_crd.yaml"))
        .unwrap_or_default();
    let expected_prefix = if is_helm {
        "helmrelease".to_string()
    } else {
        kind.to_ascii_lowercase()
    };
    if !kind.is_empty() && prefix != expected_prefix {
        findings.warning(
            "names-prefix",
            file,
            None,
            format!("the OSC developer guide names this file `{expected_prefix}_crd.yaml`"),
            format!("rename it to manifests/{expected_prefix}_crd.yaml, and its CSD likewise"),
        );
    }
    Some(CrdInfo {
        file: file.to_string(),
        name,
        group,
        kind,
        served,
        spec_schema,
    })
}

/// Served version names, and the `.spec` schema of the storage version, reporting served
/// versions without a schema.
fn versions(file: &str, spec: &Value, findings: &mut Findings) -> (Vec<String>, Option<Value>) {
    let spec_of = |schema: Option<&Value>| {
        schema
            .and_then(|schema| schema.get("openAPIV3Schema"))
            .and_then(|schema| schema.get("properties"))
            .and_then(|properties| properties.get("spec"))
            .cloned()
    };
    let Some(versions) = spec.get("versions").and_then(Value::as_sequence) else {
        // v1beta1: one `version` and `validation` for all; crd-api-version already reports it.
        let served = text(spec, "version")
            .map(str::to_string)
            .into_iter()
            .collect();
        return (served, spec_of(spec.get("validation")));
    };
    let mut served = Vec::new();
    let mut storage_schema = None;
    let mut first_schema = None;
    for (index, version) in versions.iter().enumerate() {
        let name = text(version, "name").unwrap_or_default().to_string();
        let schema = version.get("schema");
        let has_schema = schema
            .and_then(|schema| schema.get("openAPIV3Schema"))
            .is_some();
        if version.get("served").and_then(Value::as_bool) == Some(true) {
            if !has_schema {
                findings.error(
                    "crd-schema",
                    file,
                    Some(&format!("spec.versions[{index}].schema.openAPIV3Schema")),
                    format!("version `{name}` is served but has no OpenAPI v3 schema, which the OSC developer guide requires"),
                    "add schema.openAPIV3Schema (the console builds the create form from it)",
                );
            }
            served.push(name);
        }
        if version.get("storage").and_then(Value::as_bool) == Some(true) {
            storage_schema = spec_of(schema);
        }
        if first_schema.is_none() {
            first_schema = spec_of(schema);
        }
    }
    if served.is_empty() {
        findings.error(
            "crd-schema",
            file,
            Some("spec.versions"),
            "serves no version",
            "mark one version `served: true` and `storage: true`, with a schema",
        );
    }
    (served, storage_schema.or(first_schema))
}
