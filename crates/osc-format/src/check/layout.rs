//! The package's files and folders (docs/osc-format.md#layout).

use std::collections::BTreeSet;

use super::{Findings, Package};

/// What may sit at the top of a package.
const TOP_LEVEL: [&str; 5] = [
    "metadata.yaml",
    "lifecycle.yaml",
    "README.md",
    "manifests",
    "raw",
];

pub(super) fn check(package: &Package<'_>, findings: &mut Findings) {
    for (file, rule, what) in [
        (
            "metadata.yaml",
            "layout-metadata",
            "the service's name, version and catalog fields",
        ),
        (
            "lifecycle.yaml",
            "layout-lifecycle",
            "the operator's install and upgrade (empty for a Helm service)",
        ),
    ] {
        if package.get(file).is_none() {
            findings.error(
                rule,
                file,
                None,
                "is missing",
                format!("add {file}: it holds {what}"),
            );
        }
    }
    if !package.paths().any(|path| {
        path.strip_prefix("manifests/")
            .is_some_and(|name| !name.contains('/') && name.ends_with("_crd.yaml"))
    }) {
        findings.error(
            "layout-crd",
            "manifests/",
            None,
            "holds no `*_crd.yaml`; a package needs at least one CRD",
            "add the CRD of each custom resource the service exposes as manifests/<kind>_crd.yaml",
        );
    }
    let mut unknown = BTreeSet::new();
    let mut nested = BTreeSet::new();
    for path in package.paths() {
        let top = path.split('/').next().unwrap_or(path);
        if !TOP_LEVEL.contains(&top) {
            unknown.insert(top);
        }
        let Some(inside) = path.strip_prefix("manifests/") else {
            continue;
        };
        match inside.split_once('/') {
            Some(("vendor", _)) => {}
            Some((folder, _)) => {
                nested.insert(folder);
            }
            None if inside.ends_with("_crd.yaml") || inside.ends_with("_csd.yaml") => {}
            None => findings.error(
                "layout-manifests-file",
                path,
                None,
                "is neither a `*_crd.yaml` nor a `*_csd.yaml`",
                "rename it with the `_crd.yaml` or `_csd.yaml` suffix, or move it out of manifests/",
            ),
        }
    }
    for entry in unknown {
        findings.warning(
            "layout-unknown-entry",
            entry,
            None,
            "is not part of the OSC-format layout (metadata.yaml, manifests/, lifecycle.yaml, raw/, README.md)",
            "remove it, or move the original chart or operator files into raw/",
        );
    }
    for folder in nested {
        findings.warning(
            "layout-manifests-nested",
            &format!("manifests/{folder}/"),
            None,
            "manifests/ is flat in every example of the OSC developer guide, with vendor/ its only sub-folder",
            "move the CRD and CSD files directly into manifests/",
        );
    }
}
