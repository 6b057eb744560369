//! Rules on the bundle as a whole: its files, its annotations and its CRDs.

use std::path::Path;

use super::{Findings, display_path};
use crate::crd::CRD_V1BETA1;
use crate::load::{
    ANNOTATIONS_FILE, CHANNELS_ANNOTATION, CSV_KIND, DEFAULT_CHANNEL_ANNOTATION, PACKAGE_ANNOTATION,
};
use crate::model::{Bundle, BundleMetadata, Layout};

const MEDIATYPE_ANNOTATION: &str = "operators.operatorframework.io.bundle.mediatype.v1";
const MANIFESTS_ANNOTATION: &str = "operators.operatorframework.io.bundle.manifests.v1";
const METADATA_ANNOTATION: &str = "operators.operatorframework.io.bundle.metadata.v1";

pub(super) fn check(bundle: &Bundle, findings: &mut Findings) {
    one_csv(bundle, findings);
    manifests_flat(bundle, findings);
    if bundle.layout == Layout::Bundle {
        match &bundle.metadata {
            Some(metadata) => annotations(bundle, metadata, findings),
            None => findings.error(
                "olm-annotations",
                Path::new(ANNOTATIONS_FILE),
                None,
                "missing",
                "add metadata/annotations.yaml with the operators.operatorframework.io.bundle.* \
                 annotations: mediatype.v1: registry+v1, manifests.v1: manifests/, metadata.v1: \
                 metadata/, package.v1 and channels.v1",
            ),
        }
    }
    owned_crds(bundle, findings);
    crds(bundle, findings);
}

fn folder_label(bundle: &Bundle) -> String {
    match display_path(&bundle.manifests_dir) {
        dir if dir.is_empty() => "this version folder".to_string(),
        dir => format!("{dir}/"),
    }
}

fn one_csv(bundle: &Bundle, findings: &mut Findings) {
    for extra in bundle
        .other_manifests
        .iter()
        .filter(|manifest| manifest.kind.as_deref() == Some(CSV_KIND))
    {
        let name = extra.name.as_deref().unwrap_or("(unnamed)");
        findings.error(
            "olm-one-csv",
            &extra.file,
            None,
            match &bundle.csv_choice {
                Some(why) => format!(
                    "a second ClusterServiceVersion, {name}, besides {} in {}, which helm osc \
                     works on: {why}",
                    bundle.csv.name,
                    display_path(&bundle.csv_file)
                ),
                None => format!(
                    "a second ClusterServiceVersion, {name}, besides {} in {}",
                    bundle.csv.name,
                    display_path(&bundle.csv_file)
                ),
            },
            format!(
                "{} holds exactly one CSV; move {name} with its CRDs into a bundle or version folder of its own",
                folder_label(bundle)
            ),
        );
    }
}

fn manifests_flat(bundle: &Bundle, findings: &mut Findings) {
    for subdir in &bundle.manifest_subdirs {
        findings.error(
            "olm-manifests-flat",
            subdir,
            None,
            format!("a folder inside {}", folder_label(bundle)),
            "OLM reads only the files directly in the manifests folder; move the manifests up a \
             level or delete the folder",
        );
    }
}

fn annotations(bundle: &Bundle, metadata: &BundleMetadata, findings: &mut Findings) {
    let file = &metadata.file;
    let field = |key: &str| Some(format!("annotations[{key:?}]"));
    let value = |key: &str| {
        metadata
            .annotations
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.trim())
    };
    // OLM loads a bundle without these three (operator-registry's ImageInput takes only the
    // package and channels from annotations.yaml, reads `manifests/` and `metadata/` by name,
    // and tells the media type from the manifests), and old bundles of public catalogs lack
    // them; `opm alpha bundle validate` wants them, so they are warnings. A media type other
    // than registry+v1 says the bundle is of another kind, which OLM installs otherwise.
    let fixed = [
        (MEDIATYPE_ANNOTATION, "registry+v1"),
        (MANIFESTS_ANNOTATION, "manifests/"),
        (METADATA_ANNOTATION, "metadata/"),
    ];
    for (key, expected) in fixed {
        match value(key) {
            None => findings.warning(
                "olm-annotations",
                file,
                field(key),
                "missing: OLM loads the bundle without it, but `opm alpha bundle validate` and \
                 newer tools expect it",
                format!("add `{key}: {expected}`"),
            ),
            Some(found) if found != expected && key == MEDIATYPE_ANNOTATION => findings.error(
                "olm-annotations",
                file,
                field(key),
                format!(
                    "is {found:?}, not {expected:?}: the bundle says it is of another kind \
                     than a registry+v1 operator bundle"
                ),
                format!("set it to {expected}, or package the bundle in its own format"),
            ),
            Some(found) if found != expected => findings.warning(
                "olm-annotations",
                file,
                field(key),
                format!(
                    "is {found:?}, not {expected:?}: OLM reads the folder {expected} whatever \
                     this says"
                ),
                format!("set it to {expected}"),
            ),
            Some(_) => {}
        }
    }
    if value(PACKAGE_ANNOTATION).is_none_or(str::is_empty) {
        findings.error(
            "olm-annotations",
            file,
            field(PACKAGE_ANNOTATION),
            "missing or empty",
            "name the package the bundle belongs to, e.g. etcd",
        );
    }
    if bundle.channels.is_empty() {
        findings.error(
            "olm-annotations",
            file,
            field(CHANNELS_ANNOTATION),
            "missing or empty",
            "list the channels the bundle is in, comma-separated, e.g. `stable,alpha`",
        );
    }
    // The default channel is the package's, which other bundles of the package may be in:
    // OLM takes it as it is (operator-registry checks it only when it generates
    // annotations.yaml), and public catalogs ship bundles outside their package's default.
    if let Some(default) = &bundle.default_channel
        && !bundle.channels.is_empty()
        && !bundle.channels.contains(default)
    {
        findings.warning(
            "olm-default-channel",
            file,
            field(DEFAULT_CHANNEL_ANNOTATION),
            format!(
                "the default channel {default} is not among the bundle's channels ({}): fine \
                 when other bundles of the package are in it, but a catalog holding only this \
                 bundle has no default channel to install from",
                bundle.channels.join(", ")
            ),
            format!("add {default} to {CHANNELS_ANNOTATION} or pick one of the listed channels"),
        );
    }
}

fn owned_crds(bundle: &Bundle, findings: &mut Findings) {
    for (index, owned) in bundle.csv.owned_crds.iter().enumerate() {
        let field = format!("spec.customresourcedefinitions.owned[{index}]");
        let Some(crd) = bundle.crds.iter().find(|crd| crd.name == owned.name) else {
            findings.error(
                "olm-owned-crd",
                &bundle.csv_file,
                Some(format!("{field}.name")),
                format!("the owned CRD {} has no CustomResourceDefinition manifest in {}", owned.name, folder_label(bundle)),
                format!(
                    "add the CRD's manifest to {}, or remove the entry if the operator does not own it",
                    folder_label(bundle)
                ),
            );
            continue;
        };
        if crd.kind != owned.kind {
            findings.error(
                "olm-owned-crd",
                &bundle.csv_file,
                Some(format!("{field}.kind")),
                format!(
                    "is {} but the CRD in {} defines the kind {}",
                    owned.kind,
                    display_path(&crd.file),
                    crd.kind
                ),
                "make the CSV's kind match the CRD's spec.names.kind",
            );
        }
        let versions = crd
            .versions
            .iter()
            .map(|version| version.name.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        match crd
            .versions
            .iter()
            .find(|version| version.name == owned.version)
        {
            None => findings.error(
                "olm-crd-served",
                &bundle.csv_file,
                Some(format!("{field}.version")),
                format!(
                    "{} is not a version of the CRD in {} (it has: {versions})",
                    owned.version,
                    display_path(&crd.file)
                ),
                "name a version the CRD defines and serves",
            ),
            Some(version) if !version.served => findings.error(
                "olm-crd-served",
                &bundle.csv_file,
                Some(format!("{field}.version")),
                format!(
                    "{} is not served by the CRD in {}",
                    owned.version,
                    display_path(&crd.file)
                ),
                "set `served: true` on that version in the CRD, or own a served version",
            ),
            Some(_) => {}
        }
    }
}

fn crds(bundle: &Bundle, findings: &mut Findings) {
    for crd in &bundle.crds {
        let expected = format!("{}.{}", crd.plural, crd.group);
        if crd.name != expected {
            findings.error(
                "olm-crd-name",
                &crd.file,
                Some("metadata.name".to_string()),
                format!("is {} but must be <plural>.<group>, {expected}", crd.name),
                format!("rename the CRD to {expected} (and its entry in the CSV)"),
            );
        }
        if crd.api_version == CRD_V1BETA1 {
            findings.warning(
                "olm-crd-v1beta1",
                &crd.file,
                Some("apiVersion".to_string()),
                format!("{CRD_V1BETA1} CRDs are gone since Kubernetes 1.22"),
                "convert the CRD to apiextensions.k8s.io/v1 (versions[] with a schema each)",
            );
        }
        if !bundle
            .csv
            .owned_crds
            .iter()
            .any(|owned| owned.name == crd.name)
        {
            findings.warning(
                "olm-owned-crd",
                &crd.file,
                None,
                format!(
                    "the CRD {} is in the bundle but not in the CSV's spec.customresourcedefinitions.owned",
                    crd.name
                ),
                "add it to owned (name, kind, version, displayName), or delete the file if another operator owns it",
            );
        }
    }
}
