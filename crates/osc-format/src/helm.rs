//! A Helm chart → an OSC-format package, as docs/osc-format.md#converting-a-chart describes.

use base64::Engine;
use osc_chart::Chart;
use osc_versiondef::{Severity, Target};
use serde::Serialize;

use crate::metadata::{self, Input, Link, Logo, Maintainer, Metadata};
use crate::render::Renderer;
use crate::{ConvertError, ConvertOptions, OscPackage, schema};

/// The API group of the CRD generated for a chart (osc_ss_0011).
pub(crate) const HELM_GROUP: &str = "helm.osc.huawei.com";
pub(crate) const HELM_VERSION: &str = "v1";
pub(crate) const CRD_FILE: &str = "manifests/helmrelease_crd.yaml";
pub(crate) const CSD_FILE: &str = "manifests/helmrelease_csd.yaml";

/// Logo files the platform reads beside Chart.yaml, with their media types.
const LOGOS: [(&str, &str); 4] = [
    ("logo.png", "image/png"),
    ("logo.jpg", "image/jpeg"),
    ("logo.jpeg", "image/jpeg"),
    ("logo.svg", "image/svg+xml"),
];

/// Converts a chart: the whole chart under raw/, metadata.yaml from Chart.yaml, one CRD whose
/// spec is values.yaml with its CSD, and an empty lifecycle.yaml.
pub fn convert_chart(chart: &Chart, options: &ConvertOptions) -> Result<OscPackage, ConvertError> {
    let renderer = Renderer::new()?;
    let mut warnings = Vec::new();
    let chart_metadata = chart.metadata();
    let name = chart.name().to_string();
    if chart_metadata.chart_type == "library" {
        return Err(ConvertError::LibraryChart { name });
    }

    let mut metadata = Metadata {
        origin: format!("the Helm chart {name} {}", chart.version()),
        name: name.clone(),
        version: chart.version().to_string(),
        app_version: Some(chart_metadata.app_version.clone()).filter(|text| !text.is_empty()),
        package_type: "helm",
        maintainers: chart_metadata
            .maintainers
            .iter()
            .filter(|maintainer| !maintainer.name.is_empty())
            .map(|maintainer| Maintainer {
                name: maintainer.name.clone(),
                email: Some(maintainer.email.clone()).filter(|email| !email.is_empty()),
            })
            .collect(),
        logo: logo(chart),
        links: links(chart),
        ..Metadata::default()
    };
    let annotation = |key: &str| chart_metadata.annotations.get(key).cloned();
    let input = Input {
        file: "Chart.yaml",
        annotation: &annotation,
        display_name: None,
        description: Some(chart_metadata.description.clone()),
    };
    metadata::complete(&mut metadata, options, &input, &mut warnings)?;

    let values_text = match chart.values_yaml() {
        Some(bytes) => String::from_utf8(bytes.to_vec()).map_err(|_| ConvertError::Input {
            file: "values.yaml".to_string(),
            message: "not UTF-8 text".to_string(),
        })?,
        None => {
            warnings.push(
                "the chart has no values.yaml; the OSC developer guide requires one, and the instance spec starts empty"
                    .to_string(),
            );
            String::new()
        }
    };
    let values = values_json(&values_text)?;

    let kind = upper_camel(&name);
    let plural = format!("{name}s");
    let crd_name = format!("{plural}.{HELM_GROUP}");
    let (spec_schema, from_schema) = match chart.file("values.schema.json") {
        Some(bytes) => {
            let schema: serde_json::Value =
                serde_json::from_slice(bytes).map_err(|error| ConvertError::Input {
                    file: "values.schema.json".to_string(),
                    message: format!("invalid JSON: {error}"),
                })?;
            let mut spec_schema = schema::from_values_schema(&schema);
            for relaxed in schema::fit_values(&mut spec_schema, &values) {
                warnings.push(format!(
                    "{CRD_FILE}: {relaxed}, so the CRD schema accepts any value there; otherwise the API server would refuse the default instance"
                ));
            }
            (spec_schema, true)
        }
        None => (schema::permissive(), false),
    };
    let crd = renderer.render(
        "helm_crd",
        &CrdContext {
            chart: format!("{name} {}", chart.version()),
            crd_name: &crd_name,
            group: HELM_GROUP,
            version: HELM_VERSION,
            kind: &kind,
            plural: &plural,
            singular: &name,
            spec_schema,
            from_schema,
        },
    )?;

    let default_configuration = serde_json::json!({
        "apiVersion": format!("{HELM_GROUP}/{HELM_VERSION}"),
        "kind": kind,
        "metadata": {"name": format!("{name}-sample")},
        "spec": values,
    });
    let description =
        Some(chart_metadata.description.trim().to_string()).filter(|text| !text.is_empty());
    let mut csd = renderer.render(
        "csd",
        &CsdContext {
            name: "helmrelease-csd".to_string(),
            kind: kind.clone(),
            crd_name: crd_name.clone(),
            display_name: Some(metadata.display_name.clone()),
            description,
            descriptor_groups: Vec::new(),
            default_configuration: Some(pretty_json(&default_configuration)),
        },
    )?;
    if let Some(definition) = &options.version_definition {
        let findings = osc_versiondef::validate(
            definition,
            &Target::Values {
                values_yaml: &values_text,
            },
            CSD_FILE,
        );
        accept_findings(CSD_FILE, findings, &mut warnings)?;
        csd = osc_versiondef::write_into_csd(Some(&csd), definition).map_err(|source| {
            ConvertError::Csd {
                file: CSD_FILE.to_string(),
                source,
            }
        })?;
    }

    let mut files = vec![
        (
            "metadata.yaml".to_string(),
            renderer.render("metadata", &metadata)?.into_bytes(),
        ),
        (CRD_FILE.to_string(), crd.into_bytes()),
        (CSD_FILE.to_string(), csd.into_bytes()),
        // Empty for a Helm service (osc_ss_0079).
        ("lifecycle.yaml".to_string(), Vec::new()),
    ];
    raw_files(chart, "raw/", &mut files);
    Ok(OscPackage::sorted(
        metadata,
        files,
        warnings,
        options.format,
    ))
}

#[derive(Serialize)]
struct CrdContext<'a> {
    chart: String,
    crd_name: &'a str,
    group: &'a str,
    version: &'a str,
    kind: &'a str,
    plural: &'a str,
    singular: &'a str,
    spec_schema: serde_json::Value,
    from_schema: bool,
}

/// What the CSD template needs, for a chart and for each CRD of an operator.
#[derive(Serialize)]
pub(crate) struct CsdContext {
    pub name: String,
    pub kind: String,
    pub crd_name: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub descriptor_groups: Vec<DescriptorGroup>,
    pub default_configuration: Option<String>,
}

#[derive(Serialize)]
pub(crate) struct DescriptorGroup {
    /// `spec` or `status`.
    pub key: &'static str,
    pub items: Vec<DescriptorContext>,
}

#[derive(Serialize)]
pub(crate) struct DescriptorContext {
    pub path: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub x_descriptors: Vec<String>,
}

/// Errors of a versionDefinition stop the conversion; warnings go with the package.
pub(crate) fn accept_findings(
    file: &str,
    findings: Vec<osc_versiondef::Diagnostic>,
    warnings: &mut Vec<String>,
) -> Result<(), ConvertError> {
    let (errors, others): (Vec<_>, Vec<_>) = findings
        .into_iter()
        .partition(|finding| finding.severity == Severity::Error);
    if !errors.is_empty() {
        return Err(ConvertError::VersionDefinition {
            file: file.to_string(),
            findings: errors,
        });
    }
    warnings.extend(others.iter().map(|finding| {
        format!(
            "{file}: {}: {}; {}",
            finding.location.as_deref().unwrap_or("versionDefinition"),
            finding.message,
            finding.help
        )
    }));
    Ok(())
}

/// values.yaml as JSON, merge keys applied; an empty file is an empty object.
fn values_json(text: &str) -> Result<serde_json::Value, ConvertError> {
    let invalid = |message: String| ConvertError::Input {
        file: "values.yaml".to_string(),
        message,
    };
    let mut values: serde_norway::Value =
        serde_norway::from_str(text).map_err(|error| invalid(format!("invalid YAML: {error}")))?;
    values
        .apply_merge()
        .map_err(|error| invalid(format!("cannot apply `<<` merge keys: {error}")))?;
    match values {
        serde_norway::Value::Null => Ok(serde_json::json!({})),
        serde_norway::Value::Mapping(_) => serde_json::to_value(&values)
            .map_err(|error| invalid(format!("cannot be written as JSON: {error}"))),
        _ => Err(invalid(
            "the top level is not a mapping of values".to_string(),
        )),
    }
}

/// `argo-cd` → `ArgoCd`: the chart name as a Kubernetes kind.
fn upper_camel(name: &str) -> String {
    name.split(['-', '_', '.'])
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

pub(crate) fn pretty_json(value: &serde_json::Value) -> String {
    // Serialising a `Value` cannot fail: its keys are strings.
    serde_json::to_string_pretty(value).unwrap_or_default()
}

fn logo(chart: &Chart) -> Option<Logo> {
    LOGOS.iter().find_map(|(file, mediatype)| {
        chart.file(file).map(|bytes| Logo {
            base64data: base64::engine::general_purpose::STANDARD.encode(bytes),
            mediatype: mediatype.to_string(),
        })
    })
}

fn links(chart: &Chart) -> Vec<Link> {
    let metadata = chart.metadata();
    let home = Some(metadata.home.clone())
        .filter(|url| !url.is_empty())
        .map(|url| Link {
            name: "Home".to_string(),
            url,
        });
    let sources = metadata
        .sources
        .iter()
        .filter(|url| !url.is_empty())
        .map(|url| Link {
            name: "Source".to_string(),
            url: url.clone(),
        });
    home.into_iter().chain(sources).collect()
}

/// The chart as `helm package` lays it out: Chart.yaml, its files, subcharts under `charts/`.
fn raw_files(chart: &Chart, prefix: &str, files: &mut Vec<(String, Vec<u8>)>) {
    files.push((
        format!("{prefix}Chart.yaml"),
        chart.chart_yaml().as_bytes().to_vec(),
    ));
    for file in chart.files() {
        files.push((format!("{prefix}{}", file.path), file.data.clone()));
    }
    for dependency in chart.dependencies() {
        raw_files(
            dependency,
            &format!("{prefix}charts/{}/", dependency.name()),
            files,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_from_chart_names() {
        for (name, kind) in [
            ("redis", "Redis"),
            ("argo-cd", "ArgoCd"),
            ("k8s-event_x", "K8sEventX"),
        ] {
            assert_eq!(upper_camel(name), kind);
        }
    }
}
