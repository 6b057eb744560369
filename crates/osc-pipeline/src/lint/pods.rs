//! Pods that pull without `imagePullSecrets: [{name: default-secret}]`, the secret the
//! platform's clusters hold for its registry.

use osc_csv::Bundle;
use osc_render::Rendered;
use serde_norway::Value;

use super::Context;
use super::finding;
use crate::{Diagnostic as Finding, Severity};

const RULE: &str = "pull-secret-missing";
const SECRET: &str = osc_traps::PULL_SECRET;

/// Each pod template of the rendered chart whose pod spec lacks the secret, less the pods
/// (`Kind/name`) in `reported`, which other findings name.
pub(crate) fn rendered(
    rendered: &Rendered,
    context: &Context,
    findings: &mut Vec<Finding>,
    reported: &[String],
) {
    for document in &rendered.documents {
        let template = without_chart_folder(&document.source);
        let objects: Vec<&Value> = match document.value.get("items").and_then(Value::as_sequence) {
            Some(items) => items.iter().collect(),
            None => vec![&document.value],
        };
        for object in objects {
            let Some(kind) = object.get("kind").and_then(Value::as_str) else {
                continue;
            };
            let Some(spec) = pod_spec(object, kind) else {
                continue;
            };
            if has_secret(spec) {
                continue;
            }
            let name = object
                .get("metadata")
                .and_then(|metadata| metadata.get("name"))
                .and_then(Value::as_str)
                .unwrap_or("?");
            let pod = format!("{kind}/{name}");
            if !reported.contains(&pod) {
                findings.push(missing(context.file(template), pod));
            }
        }
    }
}

/// Each deployment of the CSV whose pod spec lacks the secret.
pub(crate) fn csv(bundle: &Bundle, csv_file: &str, findings: &mut Vec<Finding>) {
    let Some(text) = bundle.csv_text.get(bundle.csv_range.clone()) else {
        return;
    };
    let Ok(csv) = serde_norway::from_str::<Value>(text) else {
        return;
    };
    let deployments = csv
        .get("spec")
        .and_then(|spec| spec.get("install"))
        .and_then(|install| install.get("spec"))
        .and_then(|spec| spec.get("deployments"))
        .and_then(Value::as_sequence);
    for (index, deployment) in deployments.into_iter().flatten().enumerate() {
        let spec = deployment
            .get("spec")
            .and_then(|spec| spec.get("template"))
            .and_then(|template| template.get("spec"));
        if spec.is_none_or(has_secret) {
            continue;
        }
        let name = deployment
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("?");
        findings.push(missing(
            csv_file.to_owned(),
            format!("spec.install.spec.deployments[{index}] ({name})"),
        ));
    }
}

fn missing(file: String, location: String) -> Finding {
    finding(
        RULE,
        Severity::Warning,
        file,
        Some(location),
        format!(
            "the pod has no `imagePullSecrets` naming `{SECRET}`, the secret the platform's \
             clusters hold for the registry it pushes the images to"
        ),
        format!(
            "add `imagePullSecrets: [{{name: {SECRET}}}]` to the pod spec (for a chart, through a \
             values key such as `imagePullSecrets` or `global.imagePullSecrets`)"
        ),
    )
}

/// Where the built-in workload kinds keep their pod spec.
pub(crate) fn pod_spec<'v>(object: &'v Value, kind: &str) -> Option<&'v Value> {
    let path: &[&str] = match kind {
        "Pod" => &["spec"],
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => &["spec", "template", "spec"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template", "spec"],
        _ => return None,
    };
    path.iter().try_fold(object, |value, key| value.get(key))
}

/// Whether the pod spec names the platform's pull secret.
pub(crate) fn has_secret(spec: &Value) -> bool {
    spec.get("imagePullSecrets")
        .and_then(Value::as_sequence)
        .is_some_and(|secrets| {
            secrets
                .iter()
                .any(|secret| secret.get("name").and_then(Value::as_str) == Some(SECRET))
        })
}

/// `etcd/templates/a.yaml` → `templates/a.yaml`: helm names templates under the chart's folder.
pub(crate) fn without_chart_folder(source: &str) -> &str {
    source.split_once('/').map_or(source, |(_, rest)| rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_specs_are_found_where_each_kind_keeps_them() {
        let cases = [
            (
                "kind: Pod\nspec: {imagePullSecrets: [{name: default-secret}]}",
                true,
            ),
            (
                "kind: Pod\nspec: {imagePullSecrets: [{name: other}]}",
                false,
            ),
            (
                "kind: CronJob\nspec: {jobTemplate: {spec: {template: {spec: {imagePullSecrets: [{name: default-secret}]}}}}}",
                true,
            ),
            ("kind: Deployment\nspec: {template: {spec: {}}}", false),
        ];
        for (text, ok) in cases {
            let value: Value = serde_norway::from_str(text).unwrap();
            let kind = value.get("kind").and_then(Value::as_str).unwrap();
            let spec = pod_spec(&value, kind).unwrap();
            assert_eq!(has_secret(spec), ok, "{text}");
        }
        let service: Value = serde_norway::from_str("kind: Service\nspec: {}").unwrap();
        assert!(pod_spec(&service, "Service").is_none());
    }
}
