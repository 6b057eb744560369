//! The catalog's demands on Chart.yaml and on the CSV: the service name and version, the
//! description, a contact, the annotations and their value sets, the source mark, the logo.

use osc_chart::Chart;
use osc_csv::Bundle;
use osc_package::rules::{self, RuleError};

use super::Context;
use super::finding;
use crate::{Diagnostic as Finding, Severity};

const DEVICES: [&str; 3] = ["CPU", "GPU", "NPU"];
const LOGO_FILES: [&str; 4] = ["logo.png", "logo.jpg", "logo.jpeg", "logo.svg"];

/// Where a set of metadata lives, for naming it in findings.
struct Place<'a> {
    file: String,
    /// `annotations` in Chart.yaml, `metadata.annotations` in a CSV.
    annotations_key: &'a str,
}

pub(crate) fn chart(chart: &Chart, context: &Context, findings: &mut Vec<Finding>) {
    let metadata = chart.metadata();
    let file = context.file("Chart.yaml");
    let rule_broken = |broken: RuleError, key: &str, why: &str| {
        finding(
            broken.rule,
            Severity::Error,
            file.clone(),
            Some(key.to_owned()),
            format!("{}{why}", broken.problem),
            broken.help,
        )
    };
    if let Err(broken) = rules::service_name(chart.name()) {
        findings.push(rule_broken(
            broken,
            "name",
            "; the service is named after the chart unless `helm osc package --name` says otherwise",
        ));
    }
    if let Err(broken) = rules::version(chart.version()) {
        findings.push(rule_broken(
            broken,
            "version",
            "; the service version is the chart's unless `helm osc package --version` says otherwise",
        ));
    }
    if metadata.description.trim().is_empty() {
        findings.push(finding(
            "metadata-required",
            Severity::Error,
            file.clone(),
            Some("description".to_owned()),
            "missing: the catalog shows it as the service's summary",
            "add `description: <one sentence on what the service does>`",
        ));
    }
    chart_maintainers(chart, &file, findings);
    let place = Place {
        file: file.clone(),
        annotations_key: "annotations",
    };
    let annotations: Vec<(&str, &str)> = metadata
        .annotations
        .iter()
        .map(|(key, value)| (key.as_str(), value.as_str()))
        .collect();
    annotations_rules(&place, &annotations, context, findings);
    if !LOGO_FILES.iter().any(|name| chart.file(name).is_some()) {
        findings.push(finding(
            "logo-missing",
            Severity::Info,
            file,
            None,
            "no logo.png, logo.jpg or logo.svg beside Chart.yaml: the catalog shows a placeholder \
             (it ignores Chart.yaml's `icon`)",
            "put the service's logo beside Chart.yaml as logo.png, logo.jpg or logo.svg",
        ));
    }
}

fn chart_maintainers(chart: &Chart, file: &str, findings: &mut Vec<Finding>) {
    let maintainers = &chart.metadata().maintainers;
    let example = "add\n  maintainers:\n    - name: Your Team\n      email: team@example.com\nor \
                   package with --maintainer \"Your Team <team@example.com>\", which adds it to \
                   the packaged Chart.yaml";
    if !crate::contact::chart_has_contact(chart) {
        let why = if maintainers.is_empty() {
            "missing"
        } else {
            "no maintainer has both a `name` and an `email`"
        };
        findings.push(finding(
            "metadata-contact",
            Severity::Error,
            file,
            Some("maintainers".to_owned()),
            format!(
                "{why}: OSC refuses to publish a service without a maintainer or provider contact"
            ),
            example,
        ));
        return;
    }
    for (index, maintainer) in maintainers.iter().enumerate() {
        let location = |key: &str| Some(format!("maintainers[{index}].{key}"));
        if maintainer.name.trim().is_empty() {
            findings.push(finding(
                "metadata-maintainer",
                Severity::Warning,
                file,
                location("name"),
                "missing: the catalog lists maintainers by name",
                "write the maintainer's name",
            ));
        }
        let email = maintainer.email.trim();
        if email.is_empty() {
            findings.push(finding(
                "metadata-maintainer",
                Severity::Warning,
                file,
                location("email"),
                "missing: the catalog shows an email for each maintainer",
                "write an address where users can reach the maintainer",
            ));
        } else if !osc_csv::looks_like_email(email) {
            findings.push(finding(
                "metadata-maintainer",
                Severity::Warning,
                file,
                location("email"),
                format!("`{email}` is not an email address"),
                "write an address like name@example.com",
            ));
        }
    }
}

pub(crate) fn operator(bundle: &Bundle, context: &Context, findings: &mut Vec<Finding>) {
    let csv = &bundle.csv;
    let csv_file = context.file(&slash_path(&bundle.csv_file));
    service_name_of_bundle(bundle, context, findings);
    if csv
        .display_name
        .as_deref()
        .is_none_or(|name| name.trim().is_empty())
    {
        findings.push(finding(
            "metadata-required",
            Severity::Error,
            csv_file.clone(),
            Some("spec.displayName".to_owned()),
            "missing: the catalog shows it as the service's name",
            "add `displayName: <the service's name for people>` under spec",
        ));
    }
    let annotated = csv
        .annotation("description")
        .is_some_and(|text| !text.trim().is_empty());
    let described = csv
        .description
        .as_deref()
        .is_some_and(|text| !text.trim().is_empty());
    if !annotated && !described {
        findings.push(finding(
            "metadata-required",
            Severity::Error,
            csv_file.clone(),
            Some("metadata.annotations.description".to_owned()),
            "missing, and so is spec.description: the catalog shows it as the service's summary",
            "add `description: <one sentence on what the service does>` under metadata.annotations",
        ));
    }
    if !crate::contact::operator_has_contact(csv) {
        findings.push(finding(
            "metadata-contact",
            Severity::Error,
            csv_file.clone(),
            Some("spec.maintainers".to_owned()),
            "no maintainer has an email, and spec.provider has no name with a url or email: OSC \
             refuses to publish a service without a maintainer or provider contact",
            "add under spec\n  maintainers:\n    - name: Your Team\n      email: team@example.com\n\
             or package with --maintainer \"Your Team <team@example.com>\", which adds it to \
             the packaged CSV",
        ));
    }
    let place = Place {
        file: csv_file.clone(),
        annotations_key: "metadata.annotations",
    };
    let annotations: Vec<(&str, &str)> = csv
        .annotations
        .iter()
        .map(|(key, value)| (key.as_str(), value.as_str()))
        .collect();
    annotations_rules(&place, &annotations, context, findings);
    if csv.icon.is_empty() {
        findings.push(finding(
            "logo-missing",
            Severity::Info,
            csv_file,
            Some("spec.icon".to_owned()),
            "missing: the catalog shows a placeholder logo",
            "add `icon: [{base64data: <base64 of the logo>, mediatype: image/png}]` under spec",
        ));
    }
}

/// The service name `helm osc package` gives an operator: the bundle's package name, else the
/// CSV's name without its version.
fn service_name_of_bundle(bundle: &Bundle, context: &Context, findings: &mut Vec<Finding>) {
    let (name, file, location) = match (&bundle.package_name, &bundle.metadata, &bundle.package) {
        (Some(name), Some(metadata), _) => (
            name.clone(),
            slash_path(&metadata.file),
            "annotations[\"operators.operatorframework.io.bundle.package.v1\"]",
        ),
        (Some(name), None, Some(package)) => {
            (name.clone(), slash_path(&package.file), "packageName")
        }
        _ => (
            bundle.service_name(),
            slash_path(&bundle.csv_file),
            "metadata.name",
        ),
    };
    if let Err(broken) = rules::service_name(&name) {
        findings.push(finding(
            broken.rule,
            Severity::Error,
            context.file(&file),
            Some(location.to_owned()),
            format!(
                "{}; the service is named after the operator's package unless `helm osc package --name` says otherwise",
                broken.problem
            ),
            broken.help,
        ));
    }
}

/// The catalog annotations: categories, the value sets of architecture, scenes, devices and
/// source, and the source mark.
fn annotations_rules(
    place: &Place<'_>,
    annotations: &[(&str, &str)],
    context: &Context,
    findings: &mut Vec<Finding>,
) {
    let get = |key: &str| {
        annotations
            .iter()
            .find(|(name, _)| *name == key)
            .map(|(_, value)| *value)
    };
    let location = |key: &str| Some(format!("{}.{key}", place.annotations_key));
    // docs/package.md#categories: `category` (the guide's etcd example) is read as `categories`.
    let categories = get("categories")
        .map(|value| ("categories", value))
        .or_else(|| get("category").map(|value| ("category", value)));
    match categories {
        None => findings.push(finding(
            "category-missing",
            Severity::Warning,
            place.file.clone(),
            location("categories"),
            "missing: the catalog lists the service under no category",
            format!(
                "add `categories: Database` (one of: {}) or pass --category to `helm osc package`",
                rules::CATEGORIES.join(", ")
            ),
        )),
        Some((key, value)) => {
            for category in split_list(value) {
                if let Err(broken) = rules::category(category) {
                    findings.push(finding(
                        broken.rule,
                        Severity::Warning,
                        place.file.clone(),
                        location(key),
                        format!(
                            "{}: the platform takes free text, but the catalog's filters use its 12 categories",
                            broken.problem
                        ),
                        broken.help,
                    ));
                }
            }
        }
    }
    let value_sets: [(&str, &[&str]); 3] = [
        ("architecture", &rules::ARCHITECTURES),
        ("scenes", &rules::SCENES),
        ("devices", &DEVICES),
    ];
    for (key, allowed) in value_sets {
        let Some(value) = get(key) else { continue };
        for item in split_list(value) {
            if !allowed.contains(&item) {
                findings.push(finding(
                    "metadata-annotation",
                    Severity::Error,
                    place.file.clone(),
                    location(key),
                    format!("`{item}` is not one of {}", allowed.join(", ")),
                    format!(
                        "write a comma-separated list of {}, spelled exactly so",
                        allowed.join(", ")
                    ),
                ));
            }
        }
    }
    source_mark(place, get("source"), context, findings);
}

fn source_mark(
    place: &Place<'_>,
    source: Option<&str>,
    context: &Context,
    findings: &mut Vec<Finding>,
) {
    let source = source.map(str::trim);
    // A built package's mark is verify's rule; a source's is written by `helm osc package`.
    if context.built || source == Some("ISV") {
        return;
    }
    let message = match source {
        None => "missing: `helm osc package` adds `source: ISV`".to_owned(),
        Some(value) => format!(
            "is `{value}`: `helm osc package` writes `ISV` in its place (or what its --source says)"
        ),
    };
    findings.push(finding(
        "source-isv",
        Severity::Info,
        place.file.clone(),
        Some(format!("{}.source", place.annotations_key)),
        message,
        "nothing to do when packaging with `helm osc package`; a package made by hand needs `source: ISV`",
    ));
}

/// Annotation values are comma-separated strings.
fn split_list(value: &str) -> impl Iterator<Item = &str> {
    value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
}

/// `/`-separated whatever the platform, as paths inside bundles and zips are.
pub(crate) fn slash_path(path: &std::path::Path) -> String {
    path.components()
        .map(|component| component.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}
