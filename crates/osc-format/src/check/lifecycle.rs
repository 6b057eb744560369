//! lifecycle.yaml (docs/osc-format.md#lifecycle).

use serde_norway::Value;

use super::metadata::{Facts, show};
use super::{Findings, Package, parse_yaml};

const FILE: &str = "lifecycle.yaml";

pub(super) fn check(package: &Package<'_>, facts: &Facts, is_helm: bool, findings: &mut Findings) {
    let Some(lifecycle) = parse_yaml(package, FILE, "lifecycle-yaml", findings) else {
        return;
    };
    if lifecycle.is_null() {
        if !is_helm {
            findings.error(
                "lifecycle-install",
                FILE,
                Some("install"),
                "is empty, but an operator's lifecycle.yaml describes how to install it",
                "add `install` with the operator's deployments and permissions (from the CSV's spec.install.spec)",
            );
        }
        return;
    }
    if !lifecycle.is_mapping() {
        findings.error(
            "lifecycle-yaml",
            FILE,
            None,
            format!("is {}, not a mapping", show(&lifecycle)),
            "write `install:`, `upgrade:` and `operations:` as keys",
        );
        return;
    }
    match lifecycle.get("install") {
        Some(install) => check_install(install, findings),
        None if !is_helm => findings.error(
            "lifecycle-install",
            FILE,
            Some("install"),
            "is missing, but an operator's lifecycle.yaml describes how to install it",
            "add `install` with the operator's deployments and permissions (from the CSV's spec.install.spec)",
        ),
        None => {}
    }
    if let Some(upgrade) = lifecycle.get("upgrade") {
        check_upgrade(upgrade, facts, findings);
    }
}

fn check_install(install: &Value, findings: &mut Findings) {
    let other_strategy = install
        .get("strategy")
        .filter(|strategy| strategy.as_str() != Some("deployment"));
    if let Some(strategy) = other_strategy {
        findings.error(
            "lifecycle-strategy",
            FILE,
            Some("install.strategy"),
            format!("is {}; `deployment` is the only strategy", show(strategy)),
            "write `strategy: deployment`",
        );
    }
    let Some(deployments) = install.get("deployments") else {
        return;
    };
    let Some(items) = deployments.as_sequence() else {
        findings.error(
            "lifecycle-deployment",
            FILE,
            Some("install.deployments"),
            format!("is {}, not a list", show(deployments)),
            "write `- {name: ..., spec: <DeploymentSpec>}` entries",
        );
        return;
    };
    for (index, deployment) in items.iter().enumerate() {
        let missing = ["name", "spec"]
            .into_iter()
            .filter(|key| deployment.get(key).is_none_or(Value::is_null))
            .collect::<Vec<_>>();
        if !missing.is_empty() {
            findings.error(
                "lifecycle-deployment",
                FILE,
                Some(&format!("install.deployments[{index}]")),
                format!("has no {}", missing.join(" and ")),
                "give each deployment a name and a Kubernetes DeploymentSpec",
            );
        }
    }
}

fn check_upgrade(upgrade: &Value, facts: &Facts, findings: &mut Findings) {
    let mut versions = Vec::new();
    if let Some(replaces) = upgrade.get("replaces") {
        versions.push(("upgrade.replaces".to_string(), replaces));
        let own_version = facts
            .version
            .as_deref()
            .filter(|version| replaces.as_str() == Some(*version));
        if let Some(version) = own_version {
            findings.error(
                "lifecycle-upgrade",
                FILE,
                Some("upgrade.replaces"),
                format!("is this package's own version `{version}`"),
                "name the earlier version this one upgrades from",
            );
        }
    }
    if let Some(skips) = upgrade.get("skips") {
        match skips.as_sequence() {
            Some(items) => versions.extend(
                items
                    .iter()
                    .enumerate()
                    .map(|(index, item)| (format!("upgrade.skips[{index}]"), item)),
            ),
            None => findings.error(
                "lifecycle-upgrade",
                FILE,
                Some("upgrade.skips"),
                format!("is {}, not a list of versions", show(skips)),
                "write `skips: [\"0.0.2\"]`",
            ),
        }
    }
    for (field, version) in versions {
        let valid = version
            .as_str()
            .is_some_and(|version| semver::Version::parse(version).is_ok());
        if !valid {
            findings.error(
                "lifecycle-upgrade",
                FILE,
                Some(&field),
                format!("is {}, not a quoted SemVer version", show(version)),
                "write the bare version, e.g. \"0.9.0\" rather than a CSV name such as etcdoperator.v0.9.0",
            );
        }
    }
}
