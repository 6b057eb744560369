//! manifests/*_csd.yaml (docs/osc-format.md#csds).

use std::collections::{BTreeMap, BTreeSet};

use osc_versiondef::Target;
use serde_norway::Value;

use super::crd::CrdInfo;
use super::metadata::show;
use super::{Findings, Package, parse_yaml, text};
use crate::descriptor::{Urn, classify};

const ROLES: [&str; 2] = ["serviceEntity", "operation"];
const CAPABILITY_KINDS: [&str; 2] = ["MonitorConfig", "LogConfig"];

/// Checks every CSD and returns the vendor files they reference (paths under manifests/).
pub(super) fn check(
    package: &Package<'_>,
    crds: &[CrdInfo],
    is_helm: bool,
    findings: &mut Findings,
) -> BTreeSet<String> {
    let mut referenced = BTreeSet::new();
    let mut owners: BTreeMap<String, String> = BTreeMap::new();
    let mut service_entities = Vec::new();
    let files = package
        .in_dir("manifests")
        .map(|(path, _)| path)
        .filter(|path| path.ends_with("_csd.yaml"))
        .collect::<Vec<_>>();
    for file in files {
        let Some(csd) = parse_yaml(package, file, "csd-yaml", findings) else {
            continue;
        };
        if text(&csd, "apiVersion") != Some("osc.io/v1beta1")
            || text(&csd, "kind") != Some("CustomServiceDefinition")
        {
            findings.error(
                "csd-header",
                file,
                Some("apiVersion"),
                "is not an osc.io/v1beta1 CustomServiceDefinition",
                "start the file with `apiVersion: osc.io/v1beta1` and `kind: CustomServiceDefinition`",
            );
        }
        let empty = Value::Null;
        let spec = csd.get("spec").unwrap_or(&empty);
        let crd = crd_ref(file, spec, crds, &mut owners, findings);
        let role = spec.get("role");
        match role {
            None => service_entities.push(file),
            Some(Value::String(role)) if ROLES.contains(&role.as_str()) => {
                if role == "serviceEntity" {
                    service_entities.push(file);
                }
            }
            Some(other) => findings.error(
                "csd-role",
                file,
                Some("spec.role"),
                format!("is {}, not one of {}", show(other), ROLES.join(", ")),
                "write serviceEntity (an instance of the service) or operation (an operations action such as a backup)",
            ),
        }
        capabilities(package, file, spec, &mut referenced, findings);
        dependencies(package, file, spec, findings);
        if let Some(descriptors) = spec.get("descriptors") {
            check_descriptors(file, descriptors, crd, findings);
        }
        let example = default_configuration(file, spec, crd, findings);
        version_definition(package, file, crd, example.as_ref(), is_helm, findings);
    }
    if is_helm && service_entities.len() != 1 {
        findings.error(
            "csd-helm-entity",
            "manifests/",
            None,
            format!(
                "a Helm service has exactly one CSD with role serviceEntity, here {}",
                service_entities.len()
            ),
            "keep manifests/helmrelease_csd.yaml with `role: serviceEntity` as the only CSD",
        );
    }
    referenced
}

fn crd_ref<'c>(
    file: &str,
    spec: &Value,
    crds: &'c [CrdInfo],
    owners: &mut BTreeMap<String, String>,
    findings: &mut Findings,
) -> Option<&'c CrdInfo> {
    let field = Some("spec.CRDRef");
    let Some(reference) = spec.get("CRDRef") else {
        findings.error(
            "csd-crdref",
            file,
            field,
            "is missing; each CSD belongs to one CRD of the package",
            "add `CRDRef: {apiVersion: apiextensions.k8s.io/v1, kind: CustomResourceDefinition, metadata: {name: <plural>.<group>}}`",
        );
        return None;
    };
    let kind_ok = text(reference, "kind") == Some("CustomResourceDefinition")
        && text(reference, "apiVersion")
            .is_some_and(|api| api.starts_with("apiextensions.k8s.io/"));
    if !kind_ok {
        findings.error(
            "csd-crdref",
            file,
            field,
            "does not name an apiextensions.k8s.io CustomResourceDefinition",
            "set `apiVersion: apiextensions.k8s.io/v1` and `kind: CustomResourceDefinition`",
        );
    }
    let name = reference
        .get("metadata")
        .and_then(|metadata| text(metadata, "name"))
        .unwrap_or_default();
    let Some(crd) = crds.iter().find(|crd| crd.name == name) else {
        let known = crds.iter().map(|crd| crd.name.as_str()).collect::<Vec<_>>();
        findings.error(
            "csd-crdref",
            file,
            Some("spec.CRDRef.metadata.name"),
            format!("`{name}` is not the name of a CRD in manifests/"),
            if known.is_empty() {
                "add the CRD to manifests/".to_string()
            } else {
                format!("use one of: {}", known.join(", "))
            },
        );
        return None;
    };
    if let Some(first) = owners.insert(crd.name.clone(), file.to_string()) {
        findings.error(
            "csd-crdref-duplicate",
            file,
            Some("spec.CRDRef.metadata.name"),
            format!(
                "{first} already belongs to the CRD {}; a CRD has at most one CSD",
                crd.name
            ),
            "merge the two CSDs",
        );
    }
    Some(crd)
}

fn capabilities(
    package: &Package<'_>,
    file: &str,
    spec: &Value,
    referenced: &mut BTreeSet<String>,
    findings: &mut Findings,
) {
    let Some(requirements) = spec.get("capabilityRequirements") else {
        return;
    };
    let Some(items) = requirements.as_sequence() else {
        findings.error(
            "csd-capability",
            file,
            Some("spec.capabilityRequirements"),
            "is not a list",
            "write `- {apiVersion: osc.io/v1, kind: LogConfig, defaultPath: vendor/log_config.yaml}` entries",
        );
        return;
    };
    for (index, item) in items.iter().enumerate() {
        let field = format!("spec.capabilityRequirements[{index}]");
        if text(item, "apiVersion") != Some("osc.io/v1") {
            findings.error(
                "csd-capability",
                file,
                Some(&field),
                "has no `apiVersion: osc.io/v1`",
                "set apiVersion to osc.io/v1",
            );
        }
        let kind = text(item, "kind").unwrap_or_default();
        if !CAPABILITY_KINDS.contains(&kind) {
            findings.error(
                "csd-capability",
                file,
                Some(&field),
                format!(
                    "has the kind `{kind}`; the platform provides {}",
                    CAPABILITY_KINDS.join(" and ")
                ),
                "use MonitorConfig or LogConfig",
            );
        }
        let path = text(item, "defaultPath").unwrap_or_default();
        if package.get(&format!("manifests/{path}")).is_none() {
            findings.error(
                "csd-capability",
                file,
                Some(&format!("{field}.defaultPath")),
                format!("`{path}` is not a file under manifests/"),
                "point it at the config file relative to manifests/, e.g. vendor/log_config.yaml",
            );
        }
        referenced.insert(path.to_string());
    }
}

/// serviceEntityDependencies is passed through unchecked but for the files it names.
fn dependencies(package: &Package<'_>, file: &str, spec: &Value, findings: &mut Findings) {
    let Some(items) = spec
        .get("serviceEntityDependencies")
        .and_then(Value::as_sequence)
    else {
        return;
    };
    for (index, item) in items.iter().enumerate() {
        let missing = text(item, "defaultPath")
            .filter(|path| package.get(&format!("manifests/{path}")).is_none());
        if let Some(path) = missing {
            findings.error(
                "csd-dependency-file",
                file,
                Some(&format!(
                    "spec.serviceEntityDependencies[{index}].defaultPath"
                )),
                format!("`{path}` is not a file under manifests/"),
                "add the dependency's values file, or fix the path (relative to manifests/)",
            );
        }
    }
}

fn check_descriptors(
    file: &str,
    descriptors: &Value,
    crd: Option<&CrdInfo>,
    findings: &mut Findings,
) {
    for key in ["spec", "status"] {
        let Some(items) = descriptors.get(key).and_then(Value::as_sequence) else {
            continue;
        };
        for (index, item) in items.iter().enumerate() {
            let field = format!("spec.descriptors.{key}[{index}]");
            let missing = ["displayName", "description", "path"]
                .into_iter()
                .filter(|name| text(item, name).is_none())
                .collect::<Vec<_>>();
            if !missing.is_empty() {
                findings.error(
                    "csd-descriptor",
                    file,
                    Some(&field),
                    format!("has no {}", missing.join(", ")),
                    "give every descriptor a displayName, a description and a path",
                );
            }
            let path = text(item, "path").unwrap_or_default();
            let schema = crd.and_then(|crd| crd.spec_schema.as_ref());
            let unresolved = match schema {
                Some(schema) if key == "spec" && !path.is_empty() => !resolves(schema, path),
                _ => false,
            };
            if unresolved {
                findings.warning(
                    "csd-descriptor-path",
                    file,
                    Some(&format!("{field}.path")),
                    format!("`{path}` is not in the CRD's schema under .spec, so the control silently does nothing"),
                    "use a path of the CRD's spec properties, relative to .spec",
                );
            }
            urns(file, &field, key, item, findings);
            scenes(file, &field, item, findings);
        }
    }
}

fn urns(file: &str, field: &str, group: &str, item: &Value, findings: &mut Findings) {
    let Some(urns) = item.get("x-descriptors").and_then(Value::as_sequence) else {
        return;
    };
    let urn_field = format!("{field}.x-descriptors");
    for urn in urns.iter().filter_map(Value::as_str) {
        match classify(urn, group) {
            Urn::Known => {}
            Urn::Unknown => findings.warning(
                "csd-descriptor-urn",
                file,
                Some(&urn_field),
                format!("the OSC console does not list the {group} control {urn}"),
                "use a control from the developer guide's list, or expect a plain field",
            ),
            Urn::Unsupported {
                rule,
                message,
                help,
            } => findings.error(rule, file, Some(&urn_field), message, help),
        }
    }
}

fn scenes(file: &str, field: &str, item: &Value, findings: &mut Findings) {
    let Some(scenes) = item
        .get("restriction")
        .and_then(|restriction| restriction.get("scenes"))
    else {
        return;
    };
    let problem = match scenes.as_sequence() {
        None => Some(format!("is {}, not a list", show(scenes))),
        Some(items) => items
            .iter()
            .find(|scene| !matches!(scene.as_str(), Some("CCE" | "UCS")))
            .map(|scene| format!("lists {}; the scenes are CCE and UCS", show(scene))),
    };
    if let Some(problem) = problem {
        findings.error(
            "csd-descriptor-scenes",
            file,
            Some(&format!("{field}.restriction.scenes")),
            problem,
            "write e.g. `restriction: {scenes: [CCE]}`",
        );
    }
}

/// Whether a dotted descriptor path (`a.b`, `a[0].b`, `{a.b}`) names a field of the schema.
fn resolves(schema: &Value, path: &str) -> bool {
    let path = path.trim_start_matches('{').trim_end_matches('}');
    let mut node = schema;
    for part in path.split('.') {
        let (key, indices) = match part.find('[') {
            Some(at) => (&part[..at], part[at..].matches('[').count()),
            None => (part, 0),
        };
        let mut steps = vec![Some(key)];
        steps.extend(std::iter::repeat_n(None, indices));
        for step in steps {
            if node
                .get("x-kubernetes-preserve-unknown-fields")
                .and_then(Value::as_bool)
                == Some(true)
            {
                return true;
            }
            let next = match step {
                Some("") => Some(node),
                Some(key) => node
                    .get("properties")
                    .and_then(|properties| properties.get(key))
                    .or_else(|| {
                        node.get("additionalProperties")
                            .filter(|schema| schema.is_mapping())
                    }),
                None => node.get("items"),
            };
            match next {
                Some(next) => node = next,
                None => return false,
            }
        }
    }
    true
}

fn default_configuration(
    file: &str,
    spec: &Value,
    crd: Option<&CrdInfo>,
    findings: &mut Findings,
) -> Option<serde_json::Value> {
    let field = Some("spec.defaultConfiguration");
    let value = spec.get("defaultConfiguration")?;
    let Some(json) = value.as_str() else {
        findings.error(
            "csd-default-configuration",
            file,
            field,
            format!("is {}, not a string of JSON", show(value)),
            "write the example custom resource as JSON in a block string (`defaultConfiguration: |-`)",
        );
        return None;
    };
    let example = match serde_json::from_str::<serde_json::Value>(json) {
        Ok(example) => example,
        Err(error) => {
            findings.error(
                "csd-default-configuration",
                file,
                field,
                format!("is not valid JSON: {error}"),
                "fix the JSON",
            );
            return None;
        }
    };
    if let Some(crd) = crd {
        let api_version = example
            .get("apiVersion")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default();
        let kind = example
            .get("kind")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default();
        let fits_version = api_version.split_once('/').is_some_and(|(group, version)| {
            group == crd.group && crd.served.iter().any(|served| served == version)
        });
        if !fits_version || kind != crd.kind {
            let expected = crd
                .served
                .iter()
                .map(|version| format!("{}/{version}", crd.group))
                .collect::<Vec<_>>()
                .join(" or ");
            findings.error(
                "csd-default-configuration",
                file,
                field,
                format!(
                    "is a `{api_version}` `{kind}`, but the CSD's CRD ({}) defines `{expected}` `{}`",
                    crd.file, crd.kind
                ),
                "make apiVersion and kind those of the CRD the CSD references",
            );
        }
    }
    Some(example)
}

fn version_definition(
    package: &Package<'_>,
    file: &str,
    crd: Option<&CrdInfo>,
    example: Option<&serde_json::Value>,
    is_helm: bool,
    findings: &mut Findings,
) {
    let Some(csd_text) = package
        .get(file)
        .and_then(|data| std::str::from_utf8(data).ok())
    else {
        return;
    };
    let null = serde_json::Value::Null;
    // For a chart the path is a values.yaml path; the CR's spec holds values.yaml.
    let values_yaml = match example.and_then(|example| example.get("spec")) {
        Some(spec) => spec.to_string(),
        None => package
            .get("raw/values.yaml")
            .and_then(|data| std::str::from_utf8(data).ok())
            .unwrap_or_default()
            .to_string(),
    };
    let kind = crd
        .map(|crd| crd.kind.as_str())
        .unwrap_or("custom resource");
    let target = if is_helm {
        Target::Values {
            values_yaml: &values_yaml,
        }
    } else {
        Target::Operator {
            kind,
            example: example.unwrap_or(&null),
        }
    };
    for finding in osc_versiondef::lint_csd(csd_text, &target, file) {
        let field = finding.location.map(|field| format!("spec.{field}"));
        findings.push(
            finding.rule,
            finding.severity,
            file,
            field.as_deref(),
            finding.message,
            finding.help,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptor_paths_resolve_in_schemas() {
        let schema: Value = serde_norway::from_str(
            "type: object\nproperties:\n  size: {type: integer}\n  pod:\n    type: object\n    properties:\n      resources: {type: object, x-kubernetes-preserve-unknown-fields: true}\n  nodes:\n    type: array\n    items: {type: object, properties: {name: {type: string}}}\n  labels: {type: object, additionalProperties: {type: string}}\n",
        )
        .unwrap();
        for path in [
            "size",
            "{size}",
            "pod.resources.limits.cpu",
            "nodes[0].name",
            "labels.app",
        ] {
            assert!(resolves(&schema, path), "{path}");
        }
        for path in ["sise", "pod.image", "nodes[0].image", "size.value"] {
            assert!(!resolves(&schema, path), "{path}");
        }
    }
}
