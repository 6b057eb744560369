//! manifests/vendor/: monitor_config.yaml and log_config.yaml (docs/osc-format.md#vendor-configs).

use std::collections::BTreeSet;

use serde_norway::Value;

use super::metadata::show;
use super::{Findings, Package, parse_yaml, text};

pub(super) fn check(package: &Package<'_>, referenced: &BTreeSet<String>, findings: &mut Findings) {
    let files = package
        .paths()
        .filter(|path| path.starts_with("manifests/vendor/"))
        .collect::<Vec<_>>();
    for file in files {
        let relative = &file["manifests/".len()..];
        let (kind, items_key) = match relative {
            "vendor/monitor_config.yaml" => ("MonitorConfig", "monitorConfigItems"),
            "vendor/log_config.yaml" => ("LogConfig", "logConfigItems"),
            "vendor/logs_config.yaml" => {
                findings.warning(
                    "names-log-config",
                    file,
                    None,
                    "the newer pages of the OSC developer guide name this file log_config.yaml",
                    "rename it to manifests/vendor/log_config.yaml and update the CSD's defaultPath",
                );
                ("LogConfig", "logConfigItems")
            }
            _ => {
                findings.warning(
                    "vendor-unknown-file",
                    file,
                    None,
                    "is not a capability config the platform provides (monitor_config.yaml, log_config.yaml)",
                    "remove it, or check the developer guide for the capability it configures",
                );
                continue;
            }
        };
        if !referenced.contains(relative) {
            findings.warning(
                "vendor-unreferenced",
                file,
                None,
                "no CSD lists it in capabilityRequirements, so the platform ignores it",
                format!("add `- {{apiVersion: osc.io/v1, kind: {kind}, defaultPath: {relative}}}` to the CSD's capabilityRequirements"),
            );
        }
        let Some(config) = parse_yaml(package, file, "vendor-yaml", findings) else {
            continue;
        };
        if text(&config, "apiVersion") != Some("osc.io/v1") || text(&config, "kind") != Some(kind) {
            findings.error(
                "vendor-header",
                file,
                Some("apiVersion"),
                format!("is not an osc.io/v1 {kind}"),
                format!("start the file with `apiVersion: osc.io/v1` and `kind: {kind}`"),
            );
        }
        let items = config
            .get("spec")
            .and_then(|spec| spec.get(items_key))
            .and_then(Value::as_sequence)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for (index, item) in items.iter().enumerate() {
            let field = format!("spec.{items_key}[{index}]");
            let selector_empty = item
                .get("labelSelector")
                .and_then(Value::as_mapping)
                .is_none_or(|labels| labels.is_empty());
            if selector_empty {
                findings.warning(
                    "vendor-label-selector",
                    file,
                    Some(&format!("{field}.labelSelector")),
                    "is empty, so no workload matches",
                    "list the exact labels of the workload to watch",
                );
            }
            if kind == "LogConfig" {
                log_paths(file, &field, item, findings);
            }
        }
    }
}

fn log_paths(file: &str, field: &str, item: &Value, findings: &mut Findings) {
    let field = format!("{field}.logPaths");
    let paths = item.get("logPaths").and_then(Value::as_sequence);
    let paths = match paths {
        Some(paths) if !paths.is_empty() => paths,
        _ => {
            findings.error(
                "vendor-log-paths",
                file,
                Some(&field),
                format!(
                    "is {}, but each item needs at least one log path",
                    item.get("logPaths").map_or("missing".to_string(), show)
                ),
                "list the log directories or files, e.g. `logPaths: [/var/log/app/]`",
            );
            return;
        }
    };
    let paths = paths.iter().filter_map(Value::as_str).collect::<Vec<_>>();
    for (index, outer) in paths.iter().enumerate() {
        for inner in paths.iter().skip(index + 1) {
            let (outer, inner) = if outer.len() <= inner.len() {
                (outer, inner)
            } else {
                (inner, outer)
            };
            let directory = outer.trim_end_matches('/');
            if inner == outer || inner.starts_with(&format!("{directory}/")) {
                findings.error(
                    "vendor-log-paths",
                    file,
                    Some(&field),
                    format!("`{outer}` contains `{inner}`; no log path may contain another"),
                    format!("keep only `{outer}`"),
                );
            }
        }
    }
}
