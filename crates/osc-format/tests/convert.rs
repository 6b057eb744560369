//! Converting the chart and bundle fixtures: every generated file as a snapshot, raw/ as copied.

mod common;

use common::{
    bundle_options, chart_options, convert_bundle, convert_chart, copy_dir, copy_fixture, fixture,
    text,
};
use osc_format::ConvertOptions;

fn file_list(package: &osc_format::OscPackage) -> String {
    package
        .files
        .iter()
        .map(|(path, data)| format!("{path} ({} bytes)", data.len()))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn chart_package() {
    let package = convert_chart();
    assert_eq!(
        (package.name.as_str(), package.version.as_str()),
        ("mydb", "1.2.0")
    );
    insta::assert_snapshot!("chart_files", file_list(&package));
    insta::assert_snapshot!("chart_metadata", text(&package, "metadata.yaml"));
    insta::assert_snapshot!(
        "chart_crd",
        text(&package, "manifests/helmrelease_crd.yaml")
    );
    insta::assert_snapshot!(
        "chart_csd",
        text(&package, "manifests/helmrelease_csd.yaml")
    );
    assert_eq!(text(&package, "lifecycle.yaml"), "");
    insta::assert_snapshot!("chart_warnings", package.warnings.join("\n"));
}

#[test]
fn chart_raw_holds_the_chart_as_loaded() {
    let package = convert_chart();
    let chart = osc_chart::Chart::load(&fixture("chart/mydb")).unwrap();
    assert_eq!(text(&package, "raw/Chart.yaml"), chart.chart_yaml());
    for file in chart.files() {
        let (_, data) = package
            .files
            .iter()
            .find(|(path, _)| *path == format!("raw/{}", file.path))
            .unwrap();
        assert_eq!(data, &file.data, "{}", file.path);
    }
    assert_eq!(
        text(&package, "raw/charts/metrics/values.yaml"),
        "image: docker.io/example/exporter:1.0.0\n"
    );
}

#[test]
fn chart_without_schema_gets_a_permissive_crd() {
    let dir = copy_fixture("chart/mydb");
    std::fs::remove_file(dir.path().join("values.schema.json")).unwrap();
    let chart = osc_chart::Chart::load(dir.path()).unwrap();
    let package = osc_format::convert_chart(&chart, &chart_options()).unwrap();
    let crd: serde_norway::Value =
        serde_norway::from_str(text(&package, "manifests/helmrelease_crd.yaml")).unwrap();
    let spec = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"];
    assert_eq!(spec["type"], "object");
    assert_eq!(spec["x-kubernetes-preserve-unknown-fields"], true);
}

#[test]
fn bundle_package() {
    let package = convert_bundle();
    assert_eq!(
        (package.name.as_str(), package.version.as_str()),
        ("kafka-operator", "1.2.0")
    );
    insta::assert_snapshot!("bundle_files", file_list(&package));
    insta::assert_snapshot!("bundle_metadata", text(&package, "metadata.yaml"));
    insta::assert_snapshot!("bundle_csd", text(&package, "manifests/kafka_csd.yaml"));
    insta::assert_snapshot!("bundle_lifecycle", text(&package, "lifecycle.yaml"));
    insta::assert_snapshot!(
        "bundle_package_manifest",
        text(&package, "raw/kafka-operator.package.yaml")
    );
    insta::assert_snapshot!("bundle_warnings", package.warnings.join("\n"));
    let crd =
        std::fs::read_to_string(fixture("bundle/kafka-operator/manifests/kafka.crd.yaml")).unwrap();
    assert_eq!(text(&package, "manifests/kafka_crd.yaml"), crd);
    assert_eq!(text(&package, "raw/1.2.0/kafka.crd.yaml"), crd);
}

#[test]
fn zipped_bundle_converts_like_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("kafka-operator.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    for relative in [
        "metadata/annotations.yaml",
        "manifests/kafka.crd.yaml",
        "manifests/kafka-operator.v1.2.0.clusterserviceversion.yaml",
    ] {
        zip.start_file(
            format!("kafka-operator/{relative}"),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        let data = std::fs::read(fixture(&format!("bundle/kafka-operator/{relative}"))).unwrap();
        std::io::Write::write_all(&mut zip, &data).unwrap();
    }
    zip.finish().unwrap();
    let bundle = osc_csv::load(&zip_path).unwrap();
    let from_zip = osc_format::convert_bundle(&bundle, &bundle_options()).unwrap();
    assert_eq!(from_zip.files, convert_bundle().files);
}

#[test]
fn package_manifest_tree_is_copied_into_raw() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("kafka-operator");
    copy_dir(
        &fixture("bundle/kafka-operator/manifests"),
        &root.join("1.2.0"),
    );
    std::fs::write(
        root.join("kafka-operator.package.yaml"),
        "packageName: kafka-operator\nchannels:\n- name: stable\n  currentCSV: kafka-operator.v1.2.0\ndefaultChannel: stable\n",
    )
    .unwrap();
    let bundle = osc_csv::load(&root).unwrap();
    let package = osc_format::convert_bundle(&bundle, &bundle_options()).unwrap();
    let raw = package
        .files
        .iter()
        .map(|(path, _)| path.as_str())
        .filter(|path| path.starts_with("raw/"))
        .collect::<Vec<_>>();
    assert_eq!(
        raw,
        [
            "raw/1.2.0/kafka-operator.v1.2.0.clusterserviceversion.yaml",
            "raw/1.2.0/kafka.crd.yaml",
            "raw/kafka-operator.package.yaml",
        ]
    );
    assert!(
        text(&package, "raw/kafka-operator.package.yaml")
            .starts_with("packageName: kafka-operator\n")
    );
    assert_eq!(
        text(&package, "metadata.yaml"),
        text(&convert_bundle(), "metadata.yaml")
    );
}

/// Each case edits the chart fixture's Chart.yaml or the options, and must fail with this message.
#[test]
fn chart_conversion_errors_name_the_field_and_the_fix() {
    type Edit = fn(&str, &mut ConvertOptions) -> String;
    let cases: [(&str, Edit, &str); 9] = [
        (
            "no source",
            |chart, _| chart.replace("  source: ISV\n", ""),
            "metadata.yaml `source`: Chart.yaml has no `source` annotation; pass --source ISV",
        ),
        (
            "bad source",
            |chart, _| chart.replace("source: ISV", "source: Partner"),
            "metadata.yaml `source`: Chart.yaml annotation `source` is `Partner`; write one of ISV, OpenSource, HuaweiProvided there, or pass --source",
        ),
        (
            "no category",
            |chart, _| chart.replace("  categories: Database\n", ""),
            "metadata.yaml `categories`: Chart.yaml has no `categories` annotation; pass --category with one of:",
        ),
        (
            "category option typo",
            |chart, options| {
                options.categories = Some(vec!["database".to_string()]);
                chart.to_string()
            },
            "--category `database`: write it as `Database`",
        ),
        (
            "no contact",
            |chart, options| {
                options.provider_name = None;
                options.provider_url = None;
                chart.replace("    email: ops@example.com\n", "")
            },
            "metadata.yaml `provider`: Chart.yaml has no provider and no maintainer with an email, and the platform refuses to list a service without a contact; pass --provider-name and --provider-url",
        ),
        (
            "half a provider",
            |chart, options| {
                options.provider_url = None;
                chart.to_string()
            },
            "--provider-name `Example Inc`: metadata.yaml `provider` is `{name, url}`: pass both --provider-name and --provider-url",
        ),
        (
            "bad architecture",
            |chart, _| chart.replace("x86_64,aarch64", "x86_64,arm64"),
            "metadata.yaml `architecture`: Chart.yaml annotation `architecture` holds `arm64`",
        ),
        (
            "no app version",
            |chart, _| chart.replace("appVersion: \"5.7\"\n", ""),
            "metadata.yaml `appVersion`: Chart.yaml gives no application version; set appVersion in Chart.yaml",
        ),
        (
            "version definition off the values",
            |chart, options| {
                if let Some(definition) = &mut options.version_definition {
                    definition.path = "image.version".to_string();
                }
                chart.to_string()
            },
            "the versionDefinition for manifests/helmrelease_csd.yaml breaks 1 rule(s):\nerror[versiondef-path-missing]: manifests/helmrelease_csd.yaml: versionDefinition.path: `image.version` does not exist in values.yaml",
        ),
    ];
    for (name, edit, expected) in cases {
        let dir = copy_fixture("chart/mydb");
        let chart_yaml = std::fs::read_to_string(dir.path().join("Chart.yaml")).unwrap();
        let mut options = chart_options();
        std::fs::write(
            dir.path().join("Chart.yaml"),
            edit(&chart_yaml, &mut options),
        )
        .unwrap();
        let chart = osc_chart::Chart::load(dir.path()).unwrap();
        let message = osc_format::convert_chart(&chart, &options)
            .unwrap_err()
            .to_string();
        assert!(message.starts_with(expected), "{name}: {message}");
    }
}

#[test]
fn open_source_charts_convert_with_warnings_instead() {
    let dir = copy_fixture("chart/mydb");
    let chart_yaml = std::fs::read_to_string(dir.path().join("Chart.yaml")).unwrap();
    let edited = chart_yaml
        .replace("  source: ISV\n", "  source: OpenSource\n")
        .replace("  categories: Database\n", "")
        .replace("  architecture: \"x86_64,aarch64\"\n", "")
        .replace("description: A small example database\n", "description: A small example database that keeps every row you give it, forever, in triplicate\n");
    std::fs::write(dir.path().join("Chart.yaml"), edited).unwrap();
    let chart = osc_chart::Chart::load(dir.path()).unwrap();
    let package = osc_format::convert_chart(&chart, &chart_options()).unwrap();
    insta::assert_snapshot!("open_source_warnings", package.warnings.join("\n"));
    insta::assert_snapshot!("open_source_metadata", text(&package, "metadata.yaml"));
}

#[test]
fn controls_the_console_cannot_show_are_left_out_with_a_warning() {
    let dir = copy_fixture("bundle/kafka-operator");
    let csv_path = dir
        .path()
        .join("manifests/kafka-operator.v1.2.0.clusterserviceversion.yaml");
    let csv = std::fs::read_to_string(&csv_path).unwrap().replace(
        "              - urn:alm:descriptor:com.tectonic.ui:podCount\n",
        "              - urn:alm:descriptor:com.tectonic.ui:podCount\n              - urn:alm:descriptor:io.kubernetes:Service\n              - urn:alm:descriptor:com.tectonic.ui:booleanSwitch\n",
    );
    std::fs::write(&csv_path, csv).unwrap();
    let bundle = osc_csv::load(dir.path()).unwrap();
    let package = osc_format::convert_bundle(&bundle, &bundle_options()).unwrap();
    let csd: serde_norway::Value =
        serde_norway::from_str(text(&package, "manifests/kafka_csd.yaml")).unwrap();
    assert_eq!(
        csd["spec"]["descriptors"]["spec"][0]["x-descriptors"],
        serde_norway::from_str::<serde_norway::Value>(
            "[urn:alm:descriptor:com.tectonic.ui:podCount, urn:alm:descriptor:com.tectonic.ui:booleanSwitch]"
        )
        .unwrap()
    );
    let warnings = package.warnings.join("\n");
    assert!(warnings.contains("Kafka spec descriptor `replicas`: the k8sResourcePrefix control supports Secret and ConfigMap, not `Service`, so urn:alm:descriptor:io.kubernetes:Service was left out of the CSD"), "{warnings}");
    assert!(warnings.contains("Kafka spec descriptor `replicas`: the OSC console does not list the control urn:alm:descriptor:com.tectonic.ui:booleanSwitch; it may show a plain field"), "{warnings}");
}
