//! metadata.yaml (docs/osc-format.md#metadata, #required-metadata) and, for Helm, raw/Chart.yaml.

use osc_package::rules::{ARCHITECTURES, SCENES};
use serde_norway::Value;

use super::{Findings, Package, parse_yaml, text};
use crate::metadata::{DEVICES, MAX_SHORT_TEXT_CHARS, SOURCES, is_valid_name};

const FILE: &str = "metadata.yaml";
/// Cluster types per deployScenes platform.
const CCE_CLUSTERS: [&str; 1] = ["self"];
const UCS_CLUSTERS: [&str; 5] = [
    "self",
    "partnercloud",
    "onpremise",
    "multicloud",
    "attachedcluster",
];

/// What the rest of the checks need from metadata.yaml.
#[derive(Default)]
pub(super) struct Facts {
    pub name: Option<String>,
    pub version: Option<String>,
    pub package_type: Option<String>,
}

/// Reads the facts without reporting anything.
pub(super) fn facts(package: &Package<'_>) -> Facts {
    check(package, &mut Findings::default())
}

pub(super) fn check(package: &Package<'_>, findings: &mut Findings) -> Facts {
    let Some(metadata) = parse_yaml(package, FILE, "metadata-yaml", findings) else {
        return Facts::default();
    };
    if !metadata.is_mapping() {
        findings.error(
            "metadata-yaml",
            FILE,
            None,
            "is not a mapping of fields",
            "write `name: ...`, `version: \"...\"` and the other fields as keys",
        );
        return Facts::default();
    }
    let facts = Facts {
        name: name(&metadata, findings),
        version: version(&metadata, findings),
        package_type: text(&metadata, "type").map(str::to_string),
    };
    for key in ["appVersion", "briefDescription"] {
        if let Some(value) = text(&metadata, key) {
            let length = value.chars().count();
            if length > MAX_SHORT_TEXT_CHARS {
                findings.error(
                    "metadata-length",
                    FILE,
                    Some(key),
                    format!("is {length} characters long; the platform allows fewer than 64"),
                    "shorten it",
                );
            }
        }
    }
    if let Some(source) = metadata.get("source") {
        match source.as_str() {
            Some(source) if SOURCES.contains(&source) => {}
            _ => findings.error(
                "metadata-enum",
                FILE,
                Some("source"),
                format!("is {}, not one of {}", show(source), SOURCES.join(", ")),
                "write exactly one of them, spelled as shown",
            ),
        }
    }
    let listed = text(&metadata, "source") == Some("ISV");
    enum_list(&metadata, "architecture", &ARCHITECTURES, findings);
    enum_list(&metadata, "scenes", &SCENES, findings);
    enum_list(&metadata, "devices", &DEVICES, findings);
    for key in ["capabilities", "industries"] {
        string_list(&metadata, key, findings);
    }
    if let Some(categories) = string_list(&metadata, "categories", findings) {
        for (index, category) in categories.iter().enumerate() {
            if let Err(broken) = osc_package::rules::category(category) {
                findings.warning(
                    "metadata-category",
                    FILE,
                    Some(&format!("categories[{index}]")),
                    format!("{}; the platform takes it as free text", broken.problem),
                    broken.help,
                );
            }
        }
    }
    deploy_scenes(&metadata, findings);
    let unknown_type = metadata
        .get("type")
        .filter(|kind| !matches!(kind.as_str(), Some("helm" | "operator")));
    if let Some(kind) = unknown_type {
        findings.warning(
            "metadata-type",
            FILE,
            Some("type"),
            format!(
                "is {}; the developer guide's values begin with helm and operator",
                show(kind)
            ),
            "write `helm` or `operator`",
        );
    }
    shapes(&metadata, findings);
    contact(&metadata, listed, findings);
    if listed {
        listing(&metadata, findings);
    }
    facts
}

fn name(metadata: &Value, findings: &mut Findings) -> Option<String> {
    let help = "write a name of lower-case letters, digits and `-`, starting with a letter and ending with a letter or digit";
    match metadata.get("name") {
        None => {
            findings.error("metadata-name", FILE, Some("name"), "is missing", help);
            None
        }
        Some(Value::String(name)) => {
            if !is_valid_name(name) {
                findings.error(
                    "metadata-name",
                    FILE,
                    Some("name"),
                    format!("`{name}` does not match ^[a-z][a-z0-9-]*[a-z0-9]$"),
                    help,
                );
            }
            Some(name.clone())
        }
        Some(other) => {
            findings.error(
                "metadata-name",
                FILE,
                Some("name"),
                format!("is {}, not a string", show(other)),
                help,
            );
            None
        }
    }
}

fn version(metadata: &Value, findings: &mut Findings) -> Option<String> {
    match metadata.get("version") {
        None => {
            findings.error(
                "metadata-version",
                FILE,
                Some("version"),
                "is missing",
                "write the service version as a quoted SemVer string, e.g. `version: \"1.0.0\"`",
            );
            None
        }
        Some(Value::String(version)) => {
            if let Err(broken) = osc_package::rules::version(version) {
                findings.error(
                    "metadata-version",
                    FILE,
                    Some("version"),
                    broken.problem,
                    broken.help,
                );
            }
            Some(version.clone())
        }
        Some(other) => {
            findings.error(
                "metadata-version",
                FILE,
                Some("version"),
                format!(
                    "is {}, which YAML reads as a number, not a version string",
                    show(other)
                ),
                "quote it and write the whole SemVer version, e.g. `version: \"1.2.0\"`",
            );
            None
        }
    }
}

/// A list of strings at `key`, reporting any other shape.
fn string_list(metadata: &Value, key: &str, findings: &mut Findings) -> Option<Vec<String>> {
    let value = metadata.get(key)?;
    let items = value.as_sequence().and_then(|items| {
        items
            .iter()
            .map(|item| item.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
    });
    if items.is_none() {
        findings.error(
            "metadata-shape",
            FILE,
            Some(key),
            format!("is {}, not a list of strings", show(value)),
            format!("write it as a list, e.g. `{key}: [value]`"),
        );
    }
    items
}

fn enum_list(metadata: &Value, key: &str, allowed: &[&str], findings: &mut Findings) {
    let Some(values) = string_list(metadata, key, findings) else {
        return;
    };
    for (index, value) in values.iter().enumerate() {
        if !allowed.contains(&value.as_str()) {
            findings.error(
                "metadata-enum",
                FILE,
                Some(&format!("{key}[{index}]")),
                format!("`{value}` is not one of {}", allowed.join(", ")),
                "use the values as spelled there (they are case-sensitive)",
            );
        }
    }
}

fn deploy_scenes(metadata: &Value, findings: &mut Findings) {
    let Some(scenes) = metadata.get("deployScenes") else {
        return;
    };
    let Some(platforms) = scenes.as_mapping() else {
        findings.error(
            "metadata-shape",
            FILE,
            Some("deployScenes"),
            format!(
                "is {}, not a mapping of platform to cluster types",
                show(scenes)
            ),
            "write e.g. `deployScenes: {CCE: [self], UCS: [self, onpremise]}`",
        );
        return;
    };
    for (platform, clusters) in platforms {
        let allowed: &[&str] = match platform.as_str() {
            Some("CCE") => &CCE_CLUSTERS,
            Some("UCS") => &UCS_CLUSTERS,
            _ => {
                findings.error(
                    "metadata-enum",
                    FILE,
                    Some("deployScenes"),
                    format!(
                        "has the platform {}; the platforms are CCE and UCS",
                        show(platform)
                    ),
                    "use CCE or UCS as keys",
                );
                continue;
            }
        };
        let platform = platform.as_str().unwrap_or_default();
        let field = format!("deployScenes.{platform}");
        let clusters = match clusters {
            // A platform listed without cluster types means any cluster type.
            Value::Null => continue,
            Value::Sequence(clusters) => clusters,
            other => {
                findings.error(
                    "metadata-shape",
                    FILE,
                    Some(&field),
                    format!("is {}, not a list of cluster types", show(other)),
                    format!("write e.g. `{platform}: [self]`"),
                );
                continue;
            }
        };
        for cluster in clusters {
            if !cluster
                .as_str()
                .is_some_and(|cluster| allowed.contains(&cluster))
            {
                findings.error(
                    "metadata-enum",
                    FILE,
                    Some(&field),
                    format!(
                        "lists {}; {platform} allows only {}",
                        show(cluster),
                        allowed.join(", ")
                    ),
                    "remove it or use one of the allowed cluster types",
                );
            }
        }
    }
}

/// The object fields: maintainers, provider, logo, links.
fn shapes(metadata: &Value, findings: &mut Findings) {
    let mut require = |field: &str, value: Option<&Value>, keys: &[&str], example: &str| {
        let Some(value) = value else {
            return;
        };
        let fits = value.is_mapping() && keys.iter().all(|key| text(value, key).is_some());
        if !fits {
            findings.error(
                "metadata-shape",
                FILE,
                Some(field),
                format!(
                    "is {}, not a mapping with {}",
                    show(value),
                    keys.join(" and ")
                ),
                format!("write it as {example}"),
            );
        }
    };
    require(
        "provider",
        metadata.get("provider"),
        &["name"],
        "`provider: {name: Example Inc, url: https://example.com}`",
    );
    require(
        "logo",
        metadata.get("logo"),
        &["base64data", "mediatype"],
        "`logo: {base64data: <base64>, mediatype: image/png}`",
    );
    for (key, keys, example) in [
        (
            "maintainers",
            &["name"][..],
            "`- {name: Ops Team, email: ops@example.com}`",
        ),
        (
            "links",
            &["name", "url"][..],
            "`- {name: Home, url: https://example.com}`",
        ),
    ] {
        match metadata.get(key) {
            None => {}
            Some(Value::Sequence(items)) => {
                for (index, item) in items.iter().enumerate() {
                    require(&format!("{key}[{index}]"), Some(item), keys, example);
                }
            }
            Some(other) => require(key, Some(other), keys, "a list"),
        }
    }
}

fn contact(metadata: &Value, listed: bool, findings: &mut Findings) {
    let provider = metadata.get("provider").is_some_and(|provider| {
        text(provider, "name").is_some() && text(provider, "url").is_some()
    });
    let maintainer = metadata
        .get("maintainers")
        .and_then(Value::as_sequence)
        .is_some_and(|maintainers| {
            maintainers.iter().any(|maintainer| {
                text(maintainer, "name").is_some() && text(maintainer, "email").is_some()
            })
        });
    if provider || maintainer {
        return;
    }
    let severity = if listed {
        osc_versiondef::Severity::Error
    } else {
        osc_versiondef::Severity::Warning
    };
    findings.push(
        "metadata-contact",
        severity,
        FILE,
        Some("provider"),
        "has no provider {name, url} and no maintainer {name, email}; pre-listing fails with \"missing required service provider contact information\"",
        "add `provider: {name: ..., url: ...}` or a maintainer with an email",
    );
}

/// The fields the provider guide requires for a listed (ISV) service.
fn listing(metadata: &Value, findings: &mut Findings) {
    let mut missing = [
        "appVersion",
        "displayName",
        "briefDescription",
        "architecture",
        "categories",
    ]
    .into_iter()
    .filter(|key| metadata.get(key).is_none_or(is_empty))
    .collect::<Vec<_>>();
    if metadata.get("scenes").is_none_or(is_empty)
        && metadata.get("deployScenes").is_none_or(is_empty)
    {
        missing.push("scenes");
    }
    for key in missing {
        findings.error(
            "metadata-listing",
            FILE,
            Some(key),
            "is missing, but the provider guide requires it to list an ISV service",
            format!("add `{key}`"),
        );
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(text) => text.is_empty(),
        Value::Sequence(items) => items.is_empty(),
        Value::Mapping(map) => map.is_empty(),
        _ => false,
    }
}

/// raw/Chart.yaml must name the same chart and version as metadata.yaml (osc_ss_0011).
pub(super) fn check_raw_chart(package: &Package<'_>, facts: &Facts, findings: &mut Findings) {
    let file = "raw/Chart.yaml";
    if package.get(file).is_none() {
        findings.error(
            "helm-raw-chart",
            file,
            None,
            "is missing, but a Helm service's package holds the chart in raw/",
            "put the whole chart (Chart.yaml, values.yaml, templates/) into raw/",
        );
        return;
    }
    let Some(chart) = parse_yaml(package, file, "helm-raw-chart", findings) else {
        return;
    };
    for (key, expected) in [("name", &facts.name), ("version", &facts.version)] {
        let Some(expected) = expected else {
            continue;
        };
        let found = chart.get(key).map(plain).unwrap_or_default();
        if found != *expected {
            findings.error(
                "helm-raw-chart",
                file,
                Some(key),
                format!("is `{found}`, but metadata.yaml says `{expected}`"),
                format!("change {key} in metadata.yaml and raw/Chart.yaml together"),
            );
        }
    }
}

/// A scalar as text, whatever YAML type it read as.
fn plain(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        Value::Bool(flag) => flag.to_string(),
        other => show(other),
    }
}

/// A value for a message: short YAML on one line.
pub(super) fn show(value: &Value) -> String {
    match value {
        Value::String(text) => format!("`{text}`"),
        Value::Null => "empty".to_string(),
        Value::Sequence(_) => "a list".to_string(),
        Value::Mapping(_) => "a mapping".to_string(),
        Value::Tagged(_) => "a tagged value".to_string(),
        Value::Number(number) => format!("`{number}`"),
        Value::Bool(flag) => format!("`{flag}`"),
    }
}
