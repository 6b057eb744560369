//! Rules on the ClusterServiceVersion's own fields.

use std::path::Path;

use super::Findings;
use crate::csv::{ALM_EXAMPLES, SKIP_RANGE};
use crate::model::{AlmExamples, Bundle, Csv};
use crate::names::{dns1123_label_problem, dns1123_subdomain_problem};
use crate::skip_range::SkipRange;
use osc_imageref::ImageRef;

const INSTALL_MODE_TYPES: [&str; 4] = [
    "OwnNamespace",
    "SingleNamespace",
    "MultiNamespace",
    "AllNamespaces",
];

/// OLM's convention for env variables that carry the image of an operand.
const RELATED_IMAGE_PREFIX: &str = "RELATED_IMAGE_";

pub(super) fn check(bundle: &Bundle, findings: &mut Findings) {
    let csv = &bundle.csv;
    let file = bundle.csv_file.as_path();
    alm_examples(csv, file, findings);
    install_modes(csv, file, findings);
    names(csv, file, findings);
    version(csv, file, findings);
    skip_range(csv, file, findings);
    self_replacement(csv, file, findings);
    images(csv, file, findings);
    maintainers(csv, file, findings);
    provider(csv, file, findings);
}

fn annotation_field(key: &str) -> Option<String> {
    if key.contains('.') {
        Some(format!("metadata.annotations[{key:?}]"))
    } else {
        Some(format!("metadata.annotations.{key}"))
    }
}

fn alm_examples(csv: &Csv, file: &Path, findings: &mut Findings) {
    let field = annotation_field(ALM_EXAMPLES);
    let Some(AlmExamples { examples, .. }) = &csv.alm_examples else {
        if !csv.owned_crds.is_empty() {
            findings.warning(
                "olm-alm-examples",
                file,
                field,
                "missing",
                "add alm-examples: a JSON list with one sample custom resource per owned CRD; OSC \
                 offers them as the starting point of an instance, and mapping.yaml's instance \
                 entries refer to them by kind",
            );
        }
        return;
    };
    let examples = match examples {
        Ok(examples) => examples,
        Err(error) => {
            findings.error(
                "olm-alm-examples",
                file,
                field,
                error.to_string(),
                "alm-examples holds a JSON array of sample custom resources; fix the text (in YAML a single-quoted string holds JSON most simply)",
            );
            return;
        }
    };
    let owned_list = csv
        .owned_crds
        .iter()
        .map(|owned| {
            format!(
                "{} {}/{}",
                owned.kind,
                owned.group().unwrap_or("?"),
                owned.version
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let mut covered = vec![false; csv.owned_crds.len()];
    for (index, example) in examples.iter().enumerate() {
        let api_version = example
            .get("apiVersion")
            .and_then(serde_json::Value::as_str);
        let kind = example.get("kind").and_then(serde_json::Value::as_str);
        let (Some(api_version), Some(kind)) = (api_version, kind) else {
            findings.error(
                "olm-alm-examples",
                file,
                field.clone(),
                format!("example {index} has no apiVersion or no kind"),
                "give every example the apiVersion (group/version) and kind of an owned CRD",
            );
            continue;
        };
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let owner = csv.owned_crds.iter().position(|owned| {
            owned.kind == kind && owned.version == version && owned.group() == Some(group)
        });
        match owner {
            Some(position) => covered[position] = true,
            None => findings.error(
                "olm-alm-examples",
                file,
                field.clone(),
                format!("example {index} is a {kind} {api_version}, which is not a CRD the operator owns"),
                if owned_list.is_empty() {
                    "the CSV owns no CRDs; remove the example or add its CRD to \
                     spec.customresourcedefinitions.owned"
                        .to_string()
                } else {
                    format!("use one of the owned kinds: {owned_list}")
                },
            ),
        }
    }
    for (owned, _) in csv
        .owned_crds
        .iter()
        .zip(&covered)
        .filter(|(_, covered)| !**covered)
    {
        findings.warning(
            "olm-alm-examples",
            file,
            field.clone(),
            format!(
                "has no example of the owned CRD {} ({})",
                owned.name, owned.kind
            ),
            format!(
                "add a sample {} so users start from a working resource",
                owned.kind
            ),
        );
    }
}

fn install_modes(csv: &Csv, file: &Path, findings: &mut Findings) {
    let help = "list each of OwnNamespace, SingleNamespace, MultiNamespace and AllNamespaces once, \
                with `supported: true` for the ones the operator handles";
    if csv.install_modes.is_empty() {
        findings.error(
            "olm-install-modes",
            file,
            Some("spec.installModes".to_string()),
            "missing; OLM cannot tell which namespaces the operator can watch",
            help,
        );
        return;
    }
    for (index, mode) in csv.install_modes.iter().enumerate() {
        let field = Some(format!("spec.installModes[{index}].type"));
        if !INSTALL_MODE_TYPES.contains(&mode.mode.as_str()) {
            // OLM keeps unknown types in its set and never asks for them (InstallModeSet), and
            // the validators do not look at names: the entry is dead, not harmful.
            findings.warning(
                "olm-install-modes",
                file,
                field,
                format!(
                    "{} is not an install mode, so OLM ignores the entry",
                    mode.mode
                ),
                help,
            );
        } else if csv.install_modes[..index]
            .iter()
            .any(|earlier| earlier.mode == mode.mode)
        {
            findings.error(
                "olm-install-modes",
                file,
                field,
                format!("{} is listed more than once", mode.mode),
                help,
            );
        }
    }
    if !csv.install_modes.iter().any(|mode| mode.supported) {
        findings.error(
            "olm-install-modes",
            file,
            Some("spec.installModes".to_string()),
            "no install mode is supported, so OLM can install the operator nowhere",
            help,
        );
    }
}

fn names(csv: &Csv, file: &Path, findings: &mut Findings) {
    let csv_name_help =
        "name the CSV `<operator>.v<version>` in lower case, e.g. etcdoperator.v0.9.4";
    for (field, name) in [
        ("metadata.name", Some(&csv.name)),
        ("spec.replaces", csv.replaces.as_ref()),
    ] {
        let Some(name) = name else { continue };
        if let Some(problem) = csv_name_problem(name) {
            findings.error(
                "olm-names",
                file,
                Some(field.to_string()),
                format!("{name} {problem}"),
                csv_name_help,
            );
        }
    }
    for (index, deployment) in csv.deployments.iter().enumerate() {
        let field = format!("spec.install.spec.deployments[{index}]");
        if let Some(problem) = dns1123_subdomain_problem(&deployment.name) {
            findings.error(
                "olm-names",
                file,
                Some(format!("{field}.name")),
                format!("{} {problem}", deployment.name),
                "use a DNS-1123 name: lower-case letters, digits, '-' and '.'",
            );
        }
        for container in &deployment.containers {
            if let Some(problem) = dns1123_label_problem(&container.name) {
                findings.error(
                    "olm-names",
                    file,
                    Some(format!(
                        "{field}.spec.template.spec.{}[{}].name",
                        container.kind.list_key(),
                        container.index
                    )),
                    format!("{} {problem}", container.name),
                    "use a DNS-1123 label: at most 63 lower-case letters, digits and '-'",
                );
            }
        }
    }
}

/// OLM's CSV name rule: a DNS-1123 subdomain of the form `<operator>.<version>`, where the version
/// (after an optional `v`) is SemVer.
fn csv_name_problem(name: &str) -> Option<String> {
    if let Some(problem) = dns1123_subdomain_problem(name) {
        return Some(problem);
    }
    let Some((_, version)) = name.split_once('.') else {
        return Some("has no `.<version>` part".to_string());
    };
    let version = version.trim_start_matches('v');
    semver::Version::parse(version)
        .err()
        .map(|_| format!("ends in {version:?}, which is not a SemVer version"))
}

fn version(csv: &Csv, file: &Path, findings: &mut Findings) {
    let field = Some("spec.version".to_string());
    match semver::Version::parse(&csv.version) {
        Err(error) => findings.error(
            "olm-version",
            file,
            field,
            format!("{:?} is not SemVer: {error}", csv.version),
            "write MAJOR.MINOR.PATCH, e.g. 1.2.3 or 1.2.3-rc.1",
        ),
        Ok(version) if !version.build.is_empty() => findings.error(
            "olm-version",
            file,
            field,
            format!(
                "{} has build metadata (+{}), which OSC refuses",
                csv.version, version.build
            ),
            format!("drop the `+{}` part", version.build),
        ),
        Ok(_) => {}
    }
}

fn skip_range(csv: &Csv, file: &Path, findings: &mut Findings) {
    let Some(range) = &csv.skip_range else { return };
    if let Err(problem) = SkipRange::parse(range) {
        findings.error(
            "olm-skip-range",
            file,
            annotation_field(SKIP_RANGE),
            format!("{range:?} {problem}"),
            "write comparisons joined by spaces, alternatives by `||`, e.g. `>=1.0.0 <1.2.0`",
        );
    }
}

fn self_replacement(csv: &Csv, file: &Path, findings: &mut Findings) {
    if csv.replaces.as_deref() == Some(csv.name.as_str()) {
        findings.error(
            "olm-replaces",
            file,
            Some("spec.replaces".to_string()),
            format!("{} replaces itself", csv.name),
            "name the CSV of the previous version, or remove replaces for the first version",
        );
    }
    for (index, skipped) in csv.skips.iter().enumerate() {
        if skipped == &csv.name {
            findings.error(
                "olm-replaces",
                file,
                Some(format!("spec.skips[{index}]")),
                format!("{} skips itself", csv.name),
                "list only earlier versions in skips",
            );
        }
    }
}

fn images(csv: &Csv, file: &Path, findings: &mut Findings) {
    for (index, deployment) in csv.deployments.iter().enumerate() {
        for container in &deployment.containers {
            let field = format!(
                "spec.install.spec.deployments[{index}].spec.template.spec.{}[{}]",
                container.kind.list_key(),
                container.index
            );
            image(&container.image, file, format!("{field}.image"), findings);
            for (env_index, env) in container.env.iter().enumerate() {
                if let (true, Some(value)) =
                    (env.name.starts_with(RELATED_IMAGE_PREFIX), &env.value)
                {
                    image(
                        value,
                        file,
                        format!("{field}.env[{env_index}].value"),
                        findings,
                    );
                }
            }
        }
    }
    for (index, related) in csv.related_images.iter().enumerate() {
        image(
            &related.image,
            file,
            format!("spec.relatedImages[{index}].image"),
            findings,
        );
    }
}

fn image(reference: &str, file: &Path, field: String, findings: &mut Findings) {
    match ImageRef::parse(reference) {
        Err(problem) => findings.error(
            "olm-image-ref",
            file,
            Some(field),
            problem.to_string(),
            "write a whole reference: registry/repository:tag or registry/repository@sha256:<digest>",
        ),
        Ok(parsed) => {
            if !parsed.registry_given() {
                findings.warning(
                    "olm-image-ref",
                    file,
                    Some(field.clone()),
                    format!("{reference} names no registry, so it means docker.io implicitly"),
                    format!("write the registry explicitly, e.g. docker.io/{reference}"),
                );
            }
            if parsed.tag().is_none() && parsed.digest().is_none() {
                findings.warning(
                    "olm-image-ref",
                    file,
                    Some(field),
                    format!("{reference} has no tag or digest, so it means :latest, which changes under you"),
                    "pin a tag or a digest",
                );
            }
        }
    }
}

/// Warnings: the validators take `spec.maintainers` as optional (`omitempty`, so a missing list
/// is a warning of checkFields) and do not look inside it; the contact OSC refuses without is
/// lint's `metadata-contact` rule, which a provider with a url also satisfies.
fn maintainers(csv: &Csv, file: &Path, findings: &mut Findings) {
    if csv.maintainers.is_empty() {
        findings.warning(
            "olm-maintainers",
            file,
            Some("spec.maintainers".to_string()),
            "missing",
            "add at least one maintainer with name and email; OSC shows them on the service page",
        );
        return;
    }
    for (index, maintainer) in csv.maintainers.iter().enumerate() {
        let field = |key: &str| Some(format!("spec.maintainers[{index}].{key}"));
        if maintainer
            .name
            .as_deref()
            .is_none_or(|name| name.trim().is_empty())
        {
            findings.warning(
                "olm-maintainers",
                file,
                field("name"),
                "missing",
                "write the maintainer's name",
            );
        }
        match maintainer.email.as_deref() {
            None => findings.warning(
                "olm-maintainers",
                file,
                field("email"),
                "missing",
                "write an address where users can reach the maintainer",
            ),
            Some(email) if !looks_like_email(email) => findings.warning(
                "olm-maintainers",
                file,
                field("email"),
                format!("{email:?} is not an email address"),
                "write an address like name@example.com",
            ),
            Some(_) => {}
        }
    }
}

/// `local@domain.tld` with no blanks: the shape every mail system takes; the one test of it in
/// helm-osc, for CSV maintainers and chart maintainers alike.
pub fn looks_like_email(email: &str) -> bool {
    match email.trim().split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.contains('@')
                && !email.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// Warnings, as for maintainers: the validators take `spec.provider` as optional, and the
/// contact OSC requires (a maintainer email, or a provider with a url or email) is lint's
/// `metadata-contact` rule.
fn provider(csv: &Csv, file: &Path, findings: &mut Findings) {
    let help = "write spec.provider with a name and a url or email (OLM writes {name, url}, OSC's guide {name, email})";
    let Some(provider) = &csv.provider else {
        findings.warning(
            "olm-provider",
            file,
            Some("spec.provider".to_string()),
            "missing: the catalog shows no provider",
            help,
        );
        return;
    };
    if provider
        .name
        .as_deref()
        .is_none_or(|name| name.trim().is_empty())
    {
        findings.warning(
            "olm-provider",
            file,
            Some("spec.provider.name".to_string()),
            "missing: the catalog shows no provider",
            help,
        );
    }
    if provider.url.is_none() && provider.email.is_none() {
        findings.warning(
            "olm-provider",
            file,
            Some("spec.provider".to_string()),
            "has neither a url nor an email",
            help,
        );
    }
}
