//! A csd.yaml's versionDefinition, checked by osc-versiondef against the values.yaml or the
//! sample custom resource its path points into.

use osc_versiondef::Target;

use super::context::Input;
use super::finding;
use crate::{Diagnostic as Finding, Severity};

/// `target` gets csd.yaml's text, for an operator to find the custom resource it addresses.
pub(crate) fn check<'t>(
    csd: &Input,
    target: impl FnOnce(&str) -> Target<'t>,
    findings: &mut Vec<Finding>,
) {
    let text = match std::fs::read_to_string(&csd.path) {
        Ok(text) => text,
        Err(error) => {
            findings.push(finding(
                "csd-unreadable",
                Severity::Error,
                csd.shown.clone(),
                None,
                format!("cannot read: {error}"),
                "save csd.yaml as UTF-8 text, or write it with `helm osc version-definition`",
            ));
            return;
        }
    };
    findings.extend(osc_versiondef::lint_csd(&text, &target(&text), &csd.shown));
}

/// Stands in for the custom resource of a bundle without alm-examples: every path is missing.
static NO_EXAMPLE: serde_json::Value = serde_json::Value::Null;

/// The CR a CSD's versionDefinition addresses: the alm-examples entry of the kind whose CRD the
/// CSD's `CRDRef` names, else the first entry.
pub(crate) fn operator_target<'b>(csd_text: &str, bundle: &'b osc_csv::Bundle) -> Target<'b> {
    let (kind, example) = example_for(csd_text, bundle).unwrap_or(("", &NO_EXAMPLE));
    Target::Operator { kind, example }
}

fn example_for<'b>(
    csd_text: &str,
    bundle: &'b osc_csv::Bundle,
) -> Option<(&'b str, &'b serde_json::Value)> {
    let examples = match bundle.csv.alm_examples.as_ref().map(|alm| &alm.examples) {
        Some(Ok(examples)) => examples,
        _ => return None,
    };
    let kind_of = |example: &'b serde_json::Value| {
        example
            .get("kind")
            .and_then(serde_json::Value::as_str)
            .map(|kind| (kind, example))
    };
    let crd_name = serde_norway::from_str::<serde_norway::Value>(csd_text)
        .ok()
        .and_then(|csd| {
            csd.get("spec")?
                .get("CRDRef")?
                .get("metadata")?
                .get("name")?
                .as_str()
                .map(str::to_owned)
        });
    let wanted_kind = crd_name.and_then(|name| {
        bundle
            .csv
            .owned_crds
            .iter()
            .find(|owned| owned.name == name)
            .map(|owned| owned.kind.clone())
    });
    examples
        .iter()
        .filter_map(kind_of)
        .find(|(kind, _)| wanted_kind.as_deref().is_none_or(|wanted| wanted == *kind))
        .or_else(|| examples.iter().find_map(kind_of))
}
