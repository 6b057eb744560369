//! An OLM operator → an OSC-format package, as docs/osc-format.md#converting-an-operator
//! describes.

use std::path::Path;

use osc_csv::{Bundle, Layout, OwnedCrd};
use osc_versiondef::Target;
use serde::Serialize;
use serde_json::Value;

use crate::descriptor::{Urn, classify};
use crate::helm::{CsdContext, DescriptorContext, DescriptorGroup, accept_findings, pretty_json};
use crate::metadata::{self, Input, Link, Logo, Maintainer, Metadata, Provider};
use crate::render::Renderer;
use crate::source::Source;
use crate::{ConvertError, ConvertOptions, OscPackage};

/// The channel written into a generated package manifest when the bundle names none.
const FALLBACK_CHANNEL: &str = "stable";

/// Converts an operator: per owned CRD the CRD and a CSD, lifecycle.yaml from the CSV's install
/// strategy and upgrade fields, metadata.yaml from the CSV, and the package-manifest tree in raw/.
pub fn convert_bundle(
    bundle: &Bundle,
    options: &ConvertOptions,
) -> Result<OscPackage, ConvertError> {
    let renderer = Renderer::new()?;
    let mut warnings = Vec::new();
    let mut source = Source::open(bundle)?;
    let csv = &bundle.csv;
    let csv_file = display(&bundle.csv_file);
    let csv_document: serde_norway::Value =
        serde_norway::from_str(&bundle.csv_text[bundle.csv_range.clone()]).map_err(|error| {
            ConvertError::Input {
                file: csv_file.clone(),
                message: format!("invalid YAML: {error}"),
            }
        })?;
    let csv_json = serde_json::to_value(&csv_document).map_err(|error| ConvertError::Input {
        file: csv_file.clone(),
        message: format!("cannot be read as JSON: {error}"),
    })?;

    let mut metadata = csv_metadata(bundle, &csv_json, &mut warnings);
    let annotation = |key: &str| csv.annotation(key).map(str::to_string);
    let input = Input {
        file: "the CSV",
        annotation: &annotation,
        display_name: csv.display_name.clone(),
        description: csv
            .annotation("description")
            .map(str::to_string)
            .or_else(|| csv.description.clone()),
    };
    metadata::complete(&mut metadata, options, &input, &mut warnings)?;

    let examples = match &csv.alm_examples {
        Some(alm) => match &alm.examples {
            Ok(examples) => examples.clone(),
            Err(error) => {
                warnings.push(format!(
                    "{csv_file}: alm-examples cannot be read ({error}), so no CSD gets a defaultConfiguration"
                ));
                Vec::new()
            }
        },
        None => Vec::new(),
    };

    let mut files = vec![(
        "metadata.yaml".to_string(),
        renderer.render("metadata", &metadata)?.into_bytes(),
    )];
    let mut csds = Vec::new();
    for owned in owned_crds(bundle) {
        let crd = bundle
            .crds
            .iter()
            .find(|crd| crd.name == owned.name)
            .ok_or_else(|| ConvertError::MissingCrd {
                csv: bundle.csv_file.clone(),
                name: owned.name.clone(),
            })?;
        if crd.api_version != "apiextensions.k8s.io/v1" {
            warnings.push(format!(
                "{}: the CRD {} is {}, but the platform expects apiextensions.k8s.io/v1 with a schema per version; convert it before uploading",
                display(&crd.file),
                crd.name,
                crd.api_version
            ));
        }
        let prefix = owned.kind.to_ascii_lowercase();
        let crd_file = format!("manifests/{prefix}_crd.yaml");
        if files.iter().any(|(path, _)| *path == crd_file) {
            return Err(ConvertError::Input {
                file: csv_file.clone(),
                message: format!(
                    "two owned CRDs have the kind {}, and both would be written to {crd_file}",
                    owned.kind
                ),
            });
        }
        let crd_path = display(&crd.file);
        let crd_text = source.read(&crd_path)?;
        files.push((crd_file, crd_document(&crd_text, &crd.name, &crd_path)?));

        let example = examples
            .iter()
            .find(|example| example_matches(example, owned))
            .cloned();
        if example.is_none() {
            warnings.push(format!(
                "{csv_file}: alm-examples has no {} example, so its CSD has no defaultConfiguration",
                owned.kind
            ));
        }
        let descriptor_groups = descriptor_groups(owned, &mut warnings);
        let csd = renderer.render(
            "csd",
            &CsdContext {
                name: format!("{prefix}-csd"),
                kind: owned.kind.clone(),
                crd_name: owned.name.clone(),
                display_name: owned.display_name.clone(),
                description: owned.description.clone(),
                descriptor_groups,
                default_configuration: example.as_ref().map(pretty_json),
            },
        )?;
        csds.push((
            format!("manifests/{prefix}_csd.yaml"),
            owned.kind.clone(),
            example,
            csd,
        ));
    }
    if csds.len() > 1 {
        warnings.push(
            "every CSD has role serviceEntity; set `role: operation` in the CSDs whose custom resource is an operations action (such as a backup)"
                .to_string(),
        );
    }
    if let Some(definition) = &options.version_definition {
        add_version_definition(definition, &mut csds, &mut warnings)?;
    }
    for (file, _, _, csd) in csds {
        files.push((file, csd.into_bytes()));
    }

    let lifecycle = lifecycle(bundle, &csv_json, &mut warnings);
    files.push((
        "lifecycle.yaml".to_string(),
        renderer.render("lifecycle", &lifecycle)?.into_bytes(),
    ));
    raw_files(
        bundle,
        &metadata.name,
        &renderer,
        &mut source,
        &mut files,
        &mut warnings,
    )?;
    Ok(OscPackage::sorted(
        metadata,
        files,
        warnings,
        options.format,
    ))
}

fn csv_metadata(bundle: &Bundle, csv_json: &Value, warnings: &mut Vec<String>) -> Metadata {
    let csv = &bundle.csv;
    let name = bundle
        .package_name
        .clone()
        .unwrap_or_else(|| name_stem(&csv.name).to_string());
    let provider = csv.provider.as_ref().and_then(|provider| {
        let name = provider.name.clone()?;
        if provider.url.is_none() && provider.email.is_some() {
            warnings.push(
                "metadata.yaml `provider` is `{name, url}`; the CSV's provider gives an email, which was not copied: pass --provider-name and --provider-url"
                    .to_string(),
            );
        }
        Some(Provider {
            name,
            url: provider.url.clone(),
        })
    });
    let logo = csv.icon.first().and_then(|icon| match &icon.mediatype {
        Some(mediatype) => Some(Logo {
            base64data: icon.base64data.clone(),
            mediatype: mediatype.clone(),
        }),
        None => {
            warnings
                .push("the CSV's icon has no mediatype, so metadata.yaml gets no logo".to_string());
            None
        }
    });
    let links = csv_json
        .pointer("/spec/links")
        .and_then(Value::as_array)
        .map(|links| {
            links
                .iter()
                .filter_map(|link| {
                    Some(Link {
                        name: link.get("name")?.as_str()?.to_string(),
                        url: link.get("url")?.as_str()?.to_string(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Metadata {
        origin: format!("the ClusterServiceVersion {}", csv.name),
        name,
        version: csv.version.clone(),
        // OLM has no application version; the operator's own version stands for it.
        app_version: Some(csv.version.clone()),
        detail: csv
            .description
            .clone()
            .filter(|text| !text.trim().is_empty()),
        package_type: "operator",
        container_image: csv.annotation("containerImage").map(str::to_string),
        repository: csv.annotation("repository").map(str::to_string),
        capabilities: csv
            .annotation("capabilities")
            .map(|capability| vec![capability.to_string()])
            .unwrap_or_default(),
        logo,
        maintainers: csv
            .maintainers
            .iter()
            .filter_map(|maintainer| {
                Some(Maintainer {
                    name: maintainer.name.clone()?,
                    email: maintainer.email.clone(),
                })
            })
            .collect(),
        provider,
        links,
        ..Metadata::default()
    }
}

/// `etcdoperator.v0.9.2` → `etcdoperator`: a CSV name without its version.
fn name_stem(csv_name: &str) -> &str {
    match version_in_name(csv_name) {
        Some((at, _)) => &csv_name[..at],
        None => csv_name,
    }
}

/// The SemVer version a CSV name ends with (`etcdoperator.v0.9.2` → `0.9.2`), with the offset of
/// the `.` before it.
fn version_in_name(csv_name: &str) -> Option<(usize, String)> {
    csv_name.match_indices('.').find_map(|(at, _)| {
        let rest = &csv_name[at + 1..];
        let rest = rest.strip_prefix('v').unwrap_or(rest);
        semver::Version::parse(rest)
            .ok()
            .map(|_| (at, rest.to_string()))
    })
}

/// Each owned CRD once: the entry for its storage version when the CSV lists several.
fn owned_crds(bundle: &Bundle) -> Vec<&OwnedCrd> {
    let mut chosen: Vec<&OwnedCrd> = Vec::new();
    for owned in &bundle.csv.owned_crds {
        let storage = bundle
            .crds
            .iter()
            .find(|crd| crd.name == owned.name)
            .and_then(|crd| crd.versions.iter().find(|version| version.storage))
            .is_some_and(|version| version.name == owned.version);
        match chosen.iter().position(|other| other.name == owned.name) {
            Some(index) if storage => chosen[index] = owned,
            Some(_) => {}
            None => chosen.push(owned),
        }
    }
    chosen
}

/// The CRD's own document, when its file holds several.
fn crd_document(text: &[u8], name: &str, file: &str) -> Result<Vec<u8>, ConvertError> {
    let text = std::str::from_utf8(text).map_err(|_| ConvertError::Input {
        file: file.to_string(),
        message: "not UTF-8 text".to_string(),
    })?;
    let documents = osc_yaml::split_documents(text);
    if documents.len() <= 1 {
        return Ok(text.as_bytes().to_vec());
    }
    documents
        .into_iter()
        .map(|document| &text[document.body])
        .find(|document| {
            serde_norway::from_str::<serde_norway::Value>(document).is_ok_and(|value| {
                value["kind"] == "CustomResourceDefinition" && value["metadata"]["name"] == name
            })
        })
        .map(|document| document.trim_start_matches('\n').as_bytes().to_vec())
        .ok_or_else(|| ConvertError::Input {
            file: file.to_string(),
            message: format!("no document defines the CRD {name}"),
        })
}

fn example_matches(example: &Value, owned: &OwnedCrd) -> bool {
    let kind_matches = example.get("kind").and_then(Value::as_str) == Some(owned.kind.as_str());
    let group = example
        .get("apiVersion")
        .and_then(Value::as_str)
        .and_then(|api_version| api_version.split_once('/'))
        .map(|(group, _)| group);
    kind_matches && (group.is_none() || group == owned.group())
}

fn descriptor_groups(owned: &OwnedCrd, warnings: &mut Vec<String>) -> Vec<DescriptorGroup> {
    let mut groups = Vec::new();
    for (key, descriptors) in [
        ("spec", &owned.spec_descriptors),
        ("status", &owned.status_descriptors),
    ] {
        if descriptors.is_empty() {
            continue;
        }
        let items = descriptors
            .iter()
            .map(|descriptor| {
                if descriptor.display_name.is_none() || descriptor.description.is_none() {
                    warnings.push(format!(
                        "{} {key} descriptor `{}` lacks a displayName or description, which the OSC console requires; add them in its CSD",
                        owned.kind, descriptor.path
                    ));
                }
                let mut x_descriptors = Vec::new();
                for urn in &descriptor.x_descriptors {
                    let place = format!("{} {key} descriptor `{}`", owned.kind, descriptor.path);
                    match classify(urn, key) {
                        Urn::Known => x_descriptors.push(urn.clone()),
                        Urn::Unknown => {
                            warnings.push(format!(
                                "{place}: the OSC console does not list the control {urn}; it may show a plain field"
                            ));
                            x_descriptors.push(urn.clone());
                        }
                        // Kept, the package would fail its own check.
                        Urn::Unsupported { message, .. } => warnings.push(format!(
                            "{place}: {message}, so {urn} was left out of the CSD"
                        )),
                    }
                }
                DescriptorContext {
                    path: descriptor.path.clone(),
                    display_name: descriptor.display_name.clone(),
                    description: descriptor.description.clone(),
                    x_descriptors,
                }
            })
            .collect();
        groups.push(DescriptorGroup { key, items });
    }
    groups
}

/// Puts the versionDefinition into the first CSD whose example CR it fits.
fn add_version_definition(
    definition: &osc_versiondef::VersionDefinition,
    csds: &mut [(String, String, Option<Value>, String)],
    warnings: &mut Vec<String>,
) -> Result<(), ConvertError> {
    let null = Value::Null;
    let findings_for = |kind: &str, example: &Option<Value>| {
        osc_versiondef::validate(
            definition,
            &Target::Operator {
                kind,
                example: example.as_ref().unwrap_or(&null),
            },
            "versionDefinition",
        )
    };
    let fitting = csds.iter().position(|(_, kind, example, _)| {
        findings_for(kind, example)
            .iter()
            .all(|finding| finding.severity != osc_versiondef::Severity::Error)
    });
    let Some(index) = fitting else {
        let (file, kind, example, _) = csds.first().ok_or_else(|| ConvertError::Input {
            file: "the CSV".to_string(),
            message: "owns no CRD, so there is no CSD for the versionDefinition".to_string(),
        })?;
        return accept_findings(file, findings_for(kind, example), warnings);
    };
    let (file, kind, example, csd) = &mut csds[index];
    accept_findings(file, findings_for(kind, example), warnings)?;
    *csd = osc_versiondef::write_into_csd(Some(csd), definition).map_err(|source| {
        ConvertError::Csd {
            file: file.clone(),
            source,
        }
    })?;
    Ok(())
}

#[derive(Serialize)]
struct LifecycleContext {
    csv_name: String,
    cluster_permissions: Option<Value>,
    permissions: Option<Value>,
    deployments: Value,
    upgrade: Option<Upgrade>,
}

#[derive(Serialize)]
struct Upgrade {
    replaces: Option<String>,
    skips: Vec<String>,
    skip_range: Option<String>,
}

fn lifecycle(bundle: &Bundle, csv_json: &Value, warnings: &mut Vec<String>) -> LifecycleContext {
    let csv = &bundle.csv;
    let strategy = csv_json
        .pointer("/spec/install/strategy")
        .and_then(Value::as_str);
    if strategy != Some("deployment") {
        warnings.push(format!(
            "the CSV's install strategy is {}, but OSC knows only `deployment`; lifecycle.yaml says deployment",
            strategy.unwrap_or("missing")
        ));
    }
    let spec = csv_json.pointer("/spec/install/spec");
    let list = |key: &str| {
        spec.and_then(|spec| spec.get(key))
            .filter(|value| value.as_array().is_some_and(|items| !items.is_empty()))
            .cloned()
    };
    // lifecycle.yaml documents `{name, spec}` per deployment; OLM's extra `label` is left out.
    let deployments = spec
        .and_then(|spec| spec.get("deployments"))
        .and_then(Value::as_array)
        .map(|deployments| {
            deployments
                .iter()
                .map(|deployment| {
                    serde_json::json!({
                        "name": deployment.get("name").cloned().unwrap_or(Value::Null),
                        "spec": deployment.get("spec").cloned().unwrap_or(Value::Null),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let bare = |csv_name: &str, warnings: &mut Vec<String>| -> String {
        let known = bundle.package.as_ref().and_then(|package| {
            package
                .csvs
                .iter()
                .find(|other| other.name == csv_name)
                .map(|other| other.version.clone())
        });
        match known.or_else(|| version_in_name(csv_name).map(|(_, version)| version)) {
            Some(version) => version,
            None => {
                warnings.push(format!(
                    "lifecycle.yaml `upgrade`: the CSV name {csv_name} has no version in it, so it is written as it is; replace it with the bare version"
                ));
                csv_name.to_string()
            }
        }
    };
    let replaces = csv.replaces.as_deref().map(|name| bare(name, warnings));
    let skips = csv
        .skips
        .iter()
        .map(|name| bare(name, warnings))
        .collect::<Vec<_>>();
    if !skips.is_empty() {
        warnings.push(format!(
            "lifecycle.yaml `upgrade.skips` copies the CSV's spec.skips ({}), but OSC reads it the opposite way to OLM: the listed versions may NOT upgrade to this one; check that is what you want",
            skips.join(", ")
        ));
    }
    let skip_range = csv.skip_range.clone();
    let upgrade =
        (replaces.is_some() || !skips.is_empty() || skip_range.is_some()).then_some(Upgrade {
            replaces,
            skips,
            skip_range,
        });
    LifecycleContext {
        csv_name: csv.name.clone(),
        cluster_permissions: list("clusterPermissions"),
        permissions: list("permissions"),
        deployments: Value::Array(deployments),
        upgrade,
    }
}

#[derive(Serialize)]
struct PackageContext<'a> {
    package_name: &'a str,
    channels: &'a [String],
    default_channel: &'a str,
    csv_name: &'a str,
}

/// raw/: the package-manifest tree (decision 2), copied when the input was one, else made from the
/// bundle: `<pkg>.package.yaml` and a folder named after the CSV's version.
fn raw_files(
    bundle: &Bundle,
    service_name: &str,
    renderer: &Renderer,
    source: &mut Source<'_>,
    files: &mut Vec<(String, Vec<u8>)>,
    warnings: &mut Vec<String>,
) -> Result<(), ConvertError> {
    if bundle.layout == Layout::PackageRoot {
        for path in source.list("", true)? {
            let data = source.read(&path)?;
            files.push((format!("raw/{path}"), data));
        }
        return Ok(());
    }
    let package_name = bundle.package_name.as_deref().unwrap_or(service_name);
    let mut channels = bundle.channels.clone();
    if channels.is_empty() {
        warnings.push(format!(
            "the bundle names no channel, so raw/{package_name}.package.yaml uses the channel `{FALLBACK_CHANNEL}`"
        ));
        channels.push(FALLBACK_CHANNEL.to_string());
    }
    let default_channel = bundle
        .default_channel
        .as_ref()
        .filter(|channel| channels.contains(channel))
        .unwrap_or(&channels[0]);
    let package = renderer.render(
        "package",
        &PackageContext {
            package_name,
            channels: &channels,
            default_channel,
            csv_name: &bundle.csv.name,
        },
    )?;
    files.push((
        format!("raw/{package_name}.package.yaml"),
        package.into_bytes(),
    ));
    let manifests_dir = display(&bundle.manifests_dir);
    for name in source.list(&manifests_dir, false)? {
        let path = if manifests_dir.is_empty() {
            name.clone()
        } else {
            format!("{manifests_dir}/{name}")
        };
        let data = source.read(&path)?;
        files.push((format!("raw/{}/{name}", bundle.csv.version), data));
    }
    Ok(())
}

fn display(path: &Path) -> String {
    path.components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_in_csv_names() {
        let cases = [
            ("etcdoperator.v0.9.2", Some("0.9.2"), "etcdoperator"),
            (
                "prometheusoperator.0.14.0",
                Some("0.14.0"),
                "prometheusoperator",
            ),
            ("my.operator.v1.0.0-rc.1", Some("1.0.0-rc.1"), "my.operator"),
            ("noversion", None, "noversion"),
        ];
        for (name, version, stem) in cases {
            assert_eq!(
                version_in_name(name).map(|(_, v)| v),
                version.map(str::to_string),
                "{name}"
            );
            assert_eq!(name_stem(name), stem);
        }
    }

    #[test]
    fn crd_document_is_the_named_crd_of_a_stream() {
        let crd =
            |name: &str| format!("kind: CustomResourceDefinition\nmetadata:\n  name: {name}\n");
        let stream = format!("# license\n---\n{}---\n\n{}...\n", crd("a.x"), crd("b.x"));
        let found = |name: &str| crd_document(stream.as_bytes(), name, "crds.yaml");
        assert_eq!(found("a.x").unwrap(), crd("a.x").into_bytes());
        assert_eq!(found("b.x").unwrap(), crd("b.x").into_bytes());
        assert!(found("c.x").unwrap_err().to_string().contains("c.x"));
        let single = format!("---\n{}", crd("a.x"));
        assert_eq!(
            crd_document(single.as_bytes(), "other", "crd.yaml").unwrap(),
            single.into_bytes()
        );
    }
}
