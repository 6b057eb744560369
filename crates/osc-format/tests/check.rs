//! The lint checklist: a round trip gives no finding, and each rule fires on its bad input.

mod common;

use std::sync::OnceLock;

use common::{chart_options, convert_bundle, convert_chart, fixture};
use osc_format::{ConvertOptions, Diagnostic as Finding, OscPackage, Severity};

fn rules(findings: &[Finding]) -> Vec<&'static str> {
    findings.iter().map(|finding| finding.rule).collect()
}

#[test]
fn converted_packages_round_trip_without_findings() {
    let chart = osc_chart::Chart::load(&fixture("chart/mydb")).unwrap();
    let without_definition = ConvertOptions {
        version_definition: None,
        ..chart_options()
    };
    let packages = [
        osc_format::convert_chart(&chart, &without_definition).unwrap(),
        convert_bundle(),
    ];
    let dir = tempfile::tempdir().unwrap();
    for mut package in packages {
        for format in [
            osc_format::ArchiveFormat::Zip,
            osc_format::ArchiveFormat::Tgz,
            osc_format::ArchiveFormat::Dir,
        ] {
            package.format = format;
            let written = package.write_to(dir.path()).unwrap();
            let findings = osc_format::check_archive(&written).unwrap();
            assert_eq!(findings, [], "{}", written.display());
        }
    }
    // A Helm versionDefinition draws only the user guide's warning.
    let findings = osc_format::check(&convert_chart().files);
    assert_eq!(rules(&findings), ["versiondef-helm-upgrade"]);
}

#[derive(Clone, Copy, Debug)]
enum Base {
    Chart,
    Bundle,
}

enum Edit {
    /// In this file, replace this text (which must be there) with that.
    Replace(&'static str, &'static str, &'static str),
    Remove(&'static str),
    Add(&'static str, &'static str),
}

use Edit::{Add, Remove, Replace};

const LOG_CONFIG: &str = "apiVersion: osc.io/v1\nkind: LogConfig\nmetadata:\n  name: kafka-log\nspec:\n  logConfigItems:\n    - labelSelector: {app: kafka}\n      logPaths: [/var/log/kafka/]\n";
const KAFKA_CSD: &str = "manifests/kafka_csd.yaml";
const KAFKA_CRD: &str = "manifests/kafka_crd.yaml";
const HELM_CSD: &str = "manifests/helmrelease_csd.yaml";
const USES_LOG_CONFIG: Edit = Replace(
    KAFKA_CSD,
    "  role: serviceEntity\n",
    "  role: serviceEntity\n  capabilityRequirements:\n    - {apiVersion: osc.io/v1, kind: LogConfig, defaultPath: vendor/log_config.yaml}\n",
);

/// The converted fixture's files, converted once.
fn base_files(base: Base) -> Vec<(String, Vec<u8>)> {
    static CHART: OnceLock<OscPackage> = OnceLock::new();
    static BUNDLE: OnceLock<OscPackage> = OnceLock::new();
    match base {
        Base::Chart => CHART.get_or_init(convert_chart).files.clone(),
        Base::Bundle => BUNDLE.get_or_init(convert_bundle).files.clone(),
    }
}

fn apply(files: &mut Vec<(String, Vec<u8>)>, edit: &Edit) {
    match edit {
        Replace(path, from, to) => {
            let (_, data) = files.iter_mut().find(|(name, _)| name == path).unwrap();
            let text = String::from_utf8(data.clone()).unwrap();
            assert!(text.contains(from), "{path} does not contain {from:?}");
            *data = text.replacen(from, to, 1).into_bytes();
        }
        Remove(path) => files.retain(|(name, _)| name != path),
        Add(path, text) => files.push((path.to_string(), text.as_bytes().to_vec())),
    }
}

#[test]
fn a_clean_vendor_config_draws_no_finding() {
    let mut files = convert_bundle().files;
    apply(&mut files, &USES_LOG_CONFIG);
    apply(
        &mut files,
        &Add("manifests/vendor/log_config.yaml", LOG_CONFIG),
    );
    assert_eq!(osc_format::check(&files), []);
}

#[test]
fn each_rule_fires_on_its_bad_input() {
    use Base::{Bundle, Chart};
    use Severity::{Error, Warning};
    let cases: Vec<(&str, Severity, Base, Vec<Edit>)> = vec![
        (
            "layout-metadata",
            Error,
            Chart,
            vec![Remove("metadata.yaml")],
        ),
        (
            "layout-lifecycle",
            Error,
            Chart,
            vec![Remove("lifecycle.yaml")],
        ),
        (
            "layout-crd",
            Error,
            Chart,
            vec![Remove("manifests/helmrelease_crd.yaml")],
        ),
        (
            "layout-unknown-entry",
            Warning,
            Chart,
            vec![Add("values.yaml", "a: 1\n")],
        ),
        (
            "layout-manifests-file",
            Error,
            Chart,
            vec![Add("manifests/notes.txt", "notes\n")],
        ),
        (
            "layout-manifests-nested",
            Warning,
            Bundle,
            vec![Add("manifests/extra/more_crd.yaml", "a: 1\n")],
        ),
        (
            "metadata-yaml",
            Error,
            Chart,
            vec![Replace("metadata.yaml", "name: mydb", "name: [")],
        ),
        (
            "metadata-name",
            Error,
            Chart,
            vec![Replace("metadata.yaml", "name: mydb", "name: My_DB")],
        ),
        (
            "metadata-version",
            Error,
            Chart,
            vec![Replace(
                "metadata.yaml",
                "version: \"1.2.0\"",
                "version: 1.2",
            )],
        ),
        (
            "metadata-version",
            Error,
            Bundle,
            vec![Replace(
                "metadata.yaml",
                "version: \"1.2.0\"",
                "version: \"1.2.0+build.1\"",
            )],
        ),
        (
            "metadata-length",
            Error,
            Chart,
            vec![Replace(
                "metadata.yaml",
                "briefDescription: A small example database",
                "briefDescription: A small example database that keeps every row you give it, in triplicate",
            )],
        ),
        (
            "metadata-enum",
            Error,
            Chart,
            vec![Replace("metadata.yaml", "source: ISV", "source: Partner")],
        ),
        (
            "metadata-enum",
            Error,
            Chart,
            vec![Replace("metadata.yaml", "  - aarch64\n", "  - arm64\n")],
        ),
        (
            "metadata-enum",
            Error,
            Chart,
            vec![Replace(
                "metadata.yaml",
                "type: helm\n",
                "type: helm\ndeployScenes:\n  CCE: [onpremise]\n",
            )],
        ),
        (
            "metadata-shape",
            Error,
            Chart,
            vec![Replace(
                "metadata.yaml",
                "architecture:\n  - x86_64\n  - aarch64\n",
                "architecture: x86_64\n",
            )],
        ),
        (
            "metadata-shape",
            Error,
            Chart,
            vec![Replace("metadata.yaml", "logo:\n", "logo: {}\nunused:\n")],
        ),
        (
            "metadata-type",
            Warning,
            Chart,
            vec![Replace("metadata.yaml", "type: helm", "type: chart")],
        ),
        (
            "metadata-category",
            Warning,
            Chart,
            vec![Replace("metadata.yaml", "  - Database", "  - Databases")],
        ),
        (
            "metadata-contact",
            Error,
            Chart,
            vec![
                Replace(
                    "metadata.yaml",
                    "provider:\n  name: Example Inc\n  url: https://example.com\n",
                    "",
                ),
                Replace("metadata.yaml", "    email: ops@example.com\n", ""),
            ],
        ),
        (
            "metadata-contact",
            Warning,
            Chart,
            vec![
                Replace("metadata.yaml", "source: ISV", "source: OpenSource"),
                Replace(
                    "metadata.yaml",
                    "provider:\n  name: Example Inc\n  url: https://example.com\n",
                    "",
                ),
                Replace("metadata.yaml", "    email: ops@example.com\n", ""),
            ],
        ),
        (
            "metadata-listing",
            Error,
            Chart,
            vec![Replace("metadata.yaml", "appVersion: \"5.7\"\n", "")],
        ),
        (
            "metadata-listing",
            Error,
            Bundle,
            vec![Replace("metadata.yaml", "scenes:\n  - CCE\n", "")],
        ),
        (
            "crd-yaml",
            Error,
            Bundle,
            vec![Replace(
                KAFKA_CRD,
                "kind: CustomResourceDefinition",
                "kind: [",
            )],
        ),
        (
            "crd-api-version",
            Error,
            Bundle,
            vec![Replace(
                KAFKA_CRD,
                "apiextensions.k8s.io/v1",
                "apiextensions.k8s.io/v1beta1",
            )],
        ),
        (
            "crd-name",
            Error,
            Bundle,
            vec![Replace(
                KAFKA_CRD,
                "plural: kafkas",
                "plural: kafkaclusters",
            )],
        ),
        (
            "crd-schema",
            Error,
            Bundle,
            vec![Replace(KAFKA_CRD, "      schema:\n", "      noschema:\n")],
        ),
        (
            "crd-schema",
            Error,
            Bundle,
            vec![Replace(KAFKA_CRD, "served: true", "served: false")],
        ),
        (
            "names-prefix",
            Warning,
            Bundle,
            vec![
                Remove(KAFKA_CRD),
                Add(
                    "manifests/kafkas_crd.yaml",
                    "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: kafkas.kafka.example.com\nspec:\n  group: kafka.example.com\n  names: {kind: Kafka, plural: kafkas}\n  versions:\n    - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}\n",
                ),
            ],
        ),
        (
            "csd-yaml",
            Error,
            Bundle,
            vec![Replace(
                KAFKA_CSD,
                "kind: CustomServiceDefinition",
                "kind: [",
            )],
        ),
        (
            "csd-header",
            Error,
            Bundle,
            vec![Replace(
                KAFKA_CSD,
                "apiVersion: osc.io/v1beta1",
                "apiVersion: osc.io/v1",
            )],
        ),
        (
            "csd-crdref",
            Error,
            Bundle,
            vec![Replace(
                KAFKA_CSD,
                "      name: kafkas.kafka.example.com",
                "      name: kafkaclusters.kafka.example.com",
            )],
        ),
        (
            "csd-crdref",
            Error,
            Bundle,
            vec![Replace(
                KAFKA_CSD,
                "    kind: CustomResourceDefinition",
                "    kind: Kafka",
            )],
        ),
        (
            "csd-crdref-duplicate",
            Error,
            Bundle,
            vec![Add(
                "manifests/other_csd.yaml",
                "apiVersion: osc.io/v1beta1\nkind: CustomServiceDefinition\nspec:\n  CRDRef: {apiVersion: apiextensions.k8s.io/v1, kind: CustomResourceDefinition, metadata: {name: kafkas.kafka.example.com}}\n",
            )],
        ),
        (
            "csd-role",
            Error,
            Bundle,
            vec![Replace(KAFKA_CSD, "role: serviceEntity", "role: entity")],
        ),
        (
            "csd-helm-entity",
            Error,
            Chart,
            vec![Replace(HELM_CSD, "role: serviceEntity", "role: operation")],
        ),
        ("csd-capability", Error, Bundle, vec![USES_LOG_CONFIG]),
        (
            "csd-capability",
            Error,
            Bundle,
            vec![
                Replace(
                    KAFKA_CSD,
                    "  role: serviceEntity\n",
                    "  role: serviceEntity\n  capabilityRequirements:\n    - {apiVersion: osc.io/v1beta1, kind: Autoscale, defaultPath: vendor/log_config.yaml}\n",
                ),
                Add("manifests/vendor/log_config.yaml", LOG_CONFIG),
            ],
        ),
        (
            "csd-dependency-file",
            Error,
            Bundle,
            vec![Replace(
                KAFKA_CSD,
                "  role: serviceEntity\n",
                "  role: serviceEntity\n  serviceEntityDependencies:\n    - {service: redis, defaultPath: vendor/redis_service_values.yaml}\n",
            )],
        ),
        (
            "csd-descriptor",
            Error,
            Bundle,
            vec![Replace(
                KAFKA_CSD,
                "        description: Admin password\n",
                "",
            )],
        ),
        (
            "csd-descriptor-path",
            Warning,
            Bundle,
            vec![Replace(KAFKA_CSD, "path: password", "path: passwd")],
        ),
        (
            "csd-descriptor-urn",
            Warning,
            Bundle,
            vec![Replace(
                KAFKA_CSD,
                "com.tectonic.ui:podCount",
                "com.tectonic.ui:booleanSwitch",
            )],
        ),
        (
            "csd-descriptor-select",
            Error,
            Bundle,
            vec![Replace(
                KAFKA_CSD,
                "com.tectonic.ui:password",
                "com.tectonic.ui:select",
            )],
        ),
        (
            "csd-descriptor-resource",
            Error,
            Bundle,
            vec![Replace(
                KAFKA_CSD,
                "urn:alm:descriptor:com.tectonic.ui:password",
                "urn:alm:descriptor:io.kubernetes:Pod",
            )],
        ),
        (
            "csd-descriptor-scenes",
            Error,
            Bundle,
            vec![Replace(
                KAFKA_CSD,
                "        description: Bootstrap address\n",
                "        description: Bootstrap address\n        restriction:\n          scenes: [ECS]\n",
            )],
        ),
        (
            "csd-default-configuration",
            Error,
            Bundle,
            vec![Replace(KAFKA_CSD, "\"replicas\": 3", "\"replicas\": 3,")],
        ),
        (
            "csd-default-configuration",
            Error,
            Bundle,
            vec![Replace(
                KAFKA_CSD,
                "\"kind\": \"Kafka\"",
                "\"kind\": \"KafkaCluster\"",
            )],
        ),
        (
            "csd-default-configuration",
            Error,
            Chart,
            vec![Replace(
                HELM_CSD,
                "\"apiVersion\": \"helm.osc.huawei.com/v1\"",
                "\"apiVersion\": \"helm.osc.huawei.com/v1alpha1\"",
            )],
        ),
        (
            "versiondef-path-missing",
            Error,
            Bundle,
            vec![Replace(KAFKA_CSD, "path: spec.image", "path: spec.version")],
        ),
        (
            "versiondef-path-missing",
            Error,
            Chart,
            vec![Replace(HELM_CSD, "path: image.tag", "path: image.version")],
        ),
        (
            "versiondef-tag-unquoted",
            Error,
            Bundle,
            vec![Replace(KAFKA_CSD, "- \"3.7.0\"", "- 3.7")],
        ),
        (
            "versiondef-mode",
            Error,
            Bundle,
            vec![Replace(KAFKA_CSD, "mode: url", "mode: image")],
        ),
        (
            "lifecycle-yaml",
            Error,
            Bundle,
            vec![Replace("lifecycle.yaml", "install:", "install: [")],
        ),
        (
            "lifecycle-install",
            Error,
            Bundle,
            vec![Remove("lifecycle.yaml"), Add("lifecycle.yaml", "")],
        ),
        (
            "lifecycle-install",
            Error,
            Bundle,
            vec![
                Remove("lifecycle.yaml"),
                Add("lifecycle.yaml", "upgrade:\n  replaces: \"1.1.0\"\n"),
            ],
        ),
        (
            "lifecycle-strategy",
            Error,
            Bundle,
            vec![Replace(
                "lifecycle.yaml",
                "strategy: deployment",
                "strategy: helm",
            )],
        ),
        (
            "lifecycle-deployment",
            Error,
            Bundle,
            vec![Replace(
                "lifecycle.yaml",
                "    - name: kafka-operator\n      spec:\n",
                "    - spec:\n",
            )],
        ),
        (
            "lifecycle-upgrade",
            Error,
            Bundle,
            vec![Replace(
                "lifecycle.yaml",
                "replaces: \"1.1.0\"",
                "replaces: kafka-operator.v1.1.0",
            )],
        ),
        (
            "lifecycle-upgrade",
            Error,
            Bundle,
            vec![Replace(
                "lifecycle.yaml",
                "replaces: \"1.1.0\"",
                "replaces: \"1.2.0\"",
            )],
        ),
        (
            "lifecycle-upgrade",
            Error,
            Bundle,
            vec![Replace(
                "lifecycle.yaml",
                "    - \"1.1.1\"\n",
                "    - 1.1\n",
            )],
        ),
        (
            "names-log-config",
            Warning,
            Bundle,
            vec![Add("manifests/vendor/logs_config.yaml", LOG_CONFIG)],
        ),
        (
            "vendor-unknown-file",
            Warning,
            Bundle,
            vec![Add("manifests/vendor/autoscale_config.yaml", "a: 1\n")],
        ),
        (
            "vendor-unreferenced",
            Warning,
            Bundle,
            vec![Add("manifests/vendor/log_config.yaml", LOG_CONFIG)],
        ),
        (
            "vendor-yaml",
            Error,
            Bundle,
            vec![
                USES_LOG_CONFIG,
                Add("manifests/vendor/log_config.yaml", "kind: ["),
            ],
        ),
        (
            "vendor-header",
            Error,
            Bundle,
            vec![
                USES_LOG_CONFIG,
                Add(
                    "manifests/vendor/log_config.yaml",
                    "apiVersion: osc.io/v1\nkind: MonitorConfig\n",
                ),
            ],
        ),
        (
            "vendor-log-paths",
            Error,
            Bundle,
            vec![
                USES_LOG_CONFIG,
                Add(
                    "manifests/vendor/log_config.yaml",
                    "apiVersion: osc.io/v1\nkind: LogConfig\nspec:\n  logConfigItems:\n    - labelSelector: {app: kafka}\n      logPaths: [/var/log/kafka/, /var/log/kafka/server.log]\n",
                ),
            ],
        ),
        (
            "vendor-log-paths",
            Error,
            Bundle,
            vec![
                USES_LOG_CONFIG,
                Add(
                    "manifests/vendor/log_config.yaml",
                    "apiVersion: osc.io/v1\nkind: LogConfig\nspec:\n  logConfigItems:\n    - labelSelector: {app: kafka}\n",
                ),
            ],
        ),
        (
            "vendor-label-selector",
            Warning,
            Bundle,
            vec![
                USES_LOG_CONFIG,
                Add(
                    "manifests/vendor/log_config.yaml",
                    "apiVersion: osc.io/v1\nkind: LogConfig\nspec:\n  logConfigItems:\n    - labelSelector: {}\n      logPaths: [/var/log/kafka/]\n",
                ),
            ],
        ),
        (
            "helm-raw-chart",
            Error,
            Chart,
            vec![Replace(
                "raw/Chart.yaml",
                "version: 1.2.0",
                "version: 1.2.1",
            )],
        ),
        (
            "helm-raw-chart",
            Error,
            Chart,
            vec![Remove("raw/Chart.yaml")],
        ),
    ];
    let mut messages = Vec::new();
    for (rule, severity, base, edits) in &cases {
        let mut files = base_files(*base);
        for edit in edits {
            apply(&mut files, edit);
        }
        let findings = osc_format::check(&files);
        let found = findings
            .iter()
            .find(|finding| finding.rule == *rule && finding.severity == *severity)
            .unwrap_or_else(|| panic!("{rule} ({base:?}) did not fire: {:#?}", rules(&findings)));
        messages.push(found.to_string());
    }
    insta::assert_snapshot!(messages.join("\n"));
}

#[test]
fn archive_names_and_sizes_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let package = convert_bundle();
    let path = dir.path().join("kafka.zip");
    package
        .write_zip(std::fs::File::create(&path).unwrap())
        .unwrap();
    let findings = osc_format::check_archive(&path).unwrap();
    assert_eq!(rules(&findings), ["names-archive"]);
    assert_eq!(
        findings[0].message,
        "the package is named `kafka.zip`, but metadata.yaml says `kafka-operator-1.2.0`"
    );

    let mut big = convert_bundle();
    // Bytes that do not compress: a linear congruential sequence.
    let mut state = 1u64;
    let noise = (0..5 * 1024 * 1024)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 56) as u8
        })
        .collect::<Vec<_>>();
    big.files.push(("raw/blob.bin".to_string(), noise));
    let written = big.write_to(dir.path()).unwrap();
    let findings = osc_format::check_archive(&written).unwrap();
    assert_eq!(rules(&findings), ["size-archive"]);
}
