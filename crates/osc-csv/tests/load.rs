mod common;

use std::path::{Path, PathBuf};

use common::{Edit, edited_fixture, fixture, zip_dir};
use osc_csv::{Bundle, Layout, Root, ScalarStyle, load};

/// The model with the machine-specific root and the long CSV text replaced, for snapshots.
fn portable(mut bundle: Bundle) -> Bundle {
    bundle.root = Root::Dir(PathBuf::from("<fixture>"));
    bundle.csv_text = format!("<{} bytes>", bundle.csv_text.len());
    bundle
}

#[test]
fn bundle_model() {
    let bundle = load(&fixture("bundle")).unwrap();
    insta::assert_yaml_snapshot!(portable(bundle));
}

#[test]
fn package_root_model() {
    let bundle = load(&fixture("package")).unwrap();
    insta::assert_yaml_snapshot!(portable(bundle));
}

#[derive(Clone, Copy)]
struct Expected {
    layout: Layout,
    csv: &'static str,
    csv_file: &'static str,
    manifests_dir: &'static str,
    package: Option<&'static str>,
    channels: &'static [&'static str],
    default_channel: Option<&'static str>,
    crds: usize,
    package_csvs: Option<usize>,
}

#[test]
fn every_layout_loads() {
    let work = tempfile::tempdir().unwrap();
    let bundle_zip = work.path().join("bundle.zip");
    zip_dir(&fixture("bundle"), &bundle_zip, "demo-bundle/");
    let package_zip = work.path().join("package.zip");
    zip_dir(&fixture("package"), &package_zip, "");
    let version_zip = work.path().join("version.zip");
    zip_dir(&fixture("package/1.1.0"), &version_zip, "1.1.0/");
    let lone_version = work.path().join("lone/1.2.0");
    common::copy_dir(&fixture("package/1.2.0"), &lone_version);

    let bundle = Expected {
        layout: Layout::Bundle,
        csv: "demo-operator.v1.2.0",
        csv_file: "manifests/demo-operator.clusterserviceversion.yaml",
        manifests_dir: "manifests",
        package: Some("demo"),
        channels: &["stable", "alpha"],
        default_channel: Some("stable"),
        crds: 2,
        package_csvs: None,
    };
    let package_root = Expected {
        layout: Layout::PackageRoot,
        csv: "demo-operator.v1.2.0",
        csv_file: "1.2.0/csv.yaml",
        manifests_dir: "1.2.0",
        package: Some("demo"),
        // 1.1.0 heads stable; only alpha's chain reaches 1.2.0.
        channels: &["alpha"],
        default_channel: Some("alpha"),
        crds: 1,
        package_csvs: Some(2),
    };
    let version_with_package = Expected {
        layout: Layout::PackageVersion,
        csv: "demo-operator.v1.1.0",
        csv_file: "demo-operator.v1.1.0.clusterserviceversion.yaml",
        manifests_dir: "",
        package: Some("demo"),
        channels: &["stable", "alpha"],
        default_channel: Some("alpha"),
        crds: 1,
        package_csvs: Some(2),
    };
    let version_alone = Expected {
        package: None,
        channels: &[],
        default_channel: None,
        package_csvs: None,
        ..version_with_package
    };
    let cases = [
        ("bundle folder", fixture("bundle"), bundle),
        ("bundle zip with a top folder", bundle_zip.clone(), bundle),
        ("package root", fixture("package"), package_root),
        ("package root zip", package_zip.clone(), package_root),
        (
            "version folder with its package above",
            fixture("package/1.1.0"),
            version_with_package,
        ),
        ("version folder zip", version_zip, version_alone),
        (
            "version folder without a package",
            lone_version,
            Expected {
                csv: "demo-operator.v1.2.0",
                csv_file: "csv.yaml",
                ..version_alone
            },
        ),
    ];
    for (name, path, expected) in cases {
        let bundle = load(&path).unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!(bundle.layout, expected.layout, "{name}");
        assert_eq!(bundle.csv.name, expected.csv, "{name}");
        assert_eq!(bundle.csv_file, Path::new(expected.csv_file), "{name}");
        assert_eq!(
            bundle.manifests_dir,
            Path::new(expected.manifests_dir),
            "{name}"
        );
        assert_eq!(bundle.package_name.as_deref(), expected.package, "{name}");
        assert_eq!(bundle.channels, expected.channels, "{name}");
        assert_eq!(
            bundle.default_channel.as_deref(),
            expected.default_channel,
            "{name}"
        );
        assert_eq!(bundle.crds.len(), expected.crds, "{name}");
        assert_eq!(
            bundle.package.as_ref().map(|package| package.csvs.len()),
            expected.package_csvs,
            "{name}"
        );
        assert_eq!(
            &bundle.csv_text[bundle.csv_range.clone()],
            bundle.csv_text,
            "{name}"
        );
    }
    let zipped = load(&bundle_zip).unwrap();
    assert_eq!(
        zipped.root,
        Root::Archive {
            archive: bundle_zip,
            prefix: "demo-bundle/".to_string()
        }
    );
}

#[test]
fn alm_examples_keep_their_style_and_exact_bytes() {
    let bundle = load(&fixture("bundle")).unwrap();
    let alm = bundle.csv.alm_examples.as_ref().unwrap();
    assert_eq!(alm.style, ScalarStyle::SingleQuoted);
    let written = &bundle.csv_text[alm.span.clone()];
    assert!(
        written.starts_with("'[{\"apiVersion\":\"demo.example.com/v1\""),
        "{written}"
    );
    assert!(written.ends_with("}}]'"), "{written}");
    assert_eq!(alm.examples.as_ref().unwrap().len(), 2);

    let package = load(&fixture("package")).unwrap();
    let alm = package.csv.alm_examples.as_ref().unwrap();
    assert_eq!(alm.style, ScalarStyle::Literal);
    assert!(package.csv_text[alm.span.clone()].starts_with("|-\n      [{"));
}

#[test]
fn the_csv_is_found_by_kind_inside_a_multi_document_file() {
    let csv = std::fs::read_to_string(fixture("package/1.2.0/csv.yaml")).unwrap();
    let text: &'static str =
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n---\n{csv}").leak();
    let dir = edited_fixture(
        "package/1.2.0",
        &[Edit::Remove("csv.yaml"), Edit::Write("operator.yaml", text)],
    );
    let bundle = load(dir.path()).unwrap();
    assert_eq!(bundle.csv.name, "demo-operator.v1.2.0");
    assert_eq!(bundle.csv_text, text);
    assert!(bundle.csv_range.start > 0);
    assert_eq!(
        &bundle.csv_text[bundle.csv_range.clone()],
        format!("---\n{csv}")
    );
    let alm = bundle.csv.alm_examples.as_ref().unwrap();
    assert!(bundle.csv_text[alm.span.clone()].starts_with("|-"));
    let kinds: Vec<_> = bundle
        .other_manifests
        .iter()
        .map(|manifest| manifest.kind.as_deref().unwrap())
        .collect();
    assert_eq!(kinds, ["ConfigMap"]);
}

const CSV: &str = "manifests/demo-operator.clusterserviceversion.yaml";

#[test]
fn load_errors_name_the_file_and_field() {
    let cases: &[(&str, &[Edit], &str)] = &[
        (
            "container without image",
            &[Edit::Replace(
                CSV,
                "                image: registry.example.com/demo/operator@",
                "                imagex: registry.example.com/demo/operator@",
            )],
            "manifests/demo-operator.clusterserviceversion.yaml: spec.install.spec.deployments[0].spec.template.spec.containers[0]: missing image",
        ),
        (
            "broken YAML",
            &[Edit::Replace(CSV, "  version: 1.2.0", "  version: [1.2.0")],
            "manifests/demo-operator.clusterserviceversion.yaml: line 2",
        ),
        (
            "version written as a number",
            &[Edit::Replace(CSV, "  version: 1.2.0", "  version: 1.2")],
            "spec.version: expected a string, found the number 1.2; quote it",
        ),
        (
            "annotation that is not a string",
            &[Edit::Replace(
                CSV,
                "olm.skipRange: '>=1.0.0 <1.2.0'",
                "olm.skipRange: 12",
            )],
            "metadata.annotations[\"olm.skipRange\"]: expected a string",
        ),
        (
            "owned CRD without kind",
            &[Edit::Replace(CSV, "      kind: DemoBackup\n", "")],
            "spec.customresourcedefinitions.owned[1].kind: missing",
        ),
        (
            "no CSV at all",
            &[Edit::Replace(
                CSV,
                "kind: ClusterServiceVersion",
                "kind: ConfigMap",
            )],
            "manifests: no ClusterServiceVersion found",
        ),
        (
            "CRD without group",
            &[Edit::Replace(
                "manifests/demos.crd.yaml",
                "  group: demo.example.com\n",
                "",
            )],
            "manifests/demos.crd.yaml: spec.group: missing",
        ),
    ];
    let mut report = String::new();
    for (name, edits, expected) in cases {
        let dir = edited_fixture("bundle", edits);
        let error = load(dir.path()).expect_err(name).to_string();
        assert!(error.contains(expected), "{name}: {error}");
        report.push_str(&format!("{name}:\n  {error}\n"));
    }
    insta::assert_snapshot!(report);
}

#[test]
fn inputs_that_are_no_bundle_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let error = load(&empty).unwrap_err().to_string();
    assert!(error.ends_with("not an operator bundle: expected a manifests/ folder (bundle format), a <package>.package.yaml (package-manifest format) or the manifests of one version; point at the folder or zip that holds them"), "{error}");

    let text = dir.path().join("bundle.zip");
    std::fs::write(&text, "not a zip").unwrap();
    let error = load(&text).unwrap_err().to_string();
    assert!(
        error.contains("bundle.zip: neither a gzipped tar, a tar nor a zip"),
        "{error}"
    );

    let error = load(&fixture("package/1.2.0/csv.yaml"))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("csv.yaml: not an operator bundle"),
        "{error}"
    );

    let package = edited_fixture(
        "package",
        &[Edit::Replace(
            "demo.package.yaml",
            "currentCSV: demo-operator.v1.2.0",
            "currentCSV: demo-operator.v9.9.9",
        )],
    );
    let error = load(package.path()).unwrap_err().to_string();
    assert_eq!(
        error,
        "demo.package.yaml: channels[1].currentCSV: demo-operator.v9.9.9 is not the metadata.name of any CSV in the version folders; name an existing CSV or add its version folder"
    );
}

/// A version folder holding two CSVs (a copy of 1.1.0's sorting first): the one loaded, and the
/// reason `csv_choice` gives, which check's `olm-one-csv` finding repeats.
#[test]
fn a_version_folder_with_two_csvs_loads_the_one_its_name_or_the_package_says() {
    use common::{Edit, edited_fixture};
    const OLDER: &str = "1.1.0/demo-operator.v1.1.0.clusterserviceversion.yaml";
    struct Case {
        name: &'static str,
        edits: &'static [Edit],
        folder: &'static str,
        csv: &'static str,
        reason: &'static str,
    }
    let cases = [
        Case {
            name: "the folder's name is a version",
            edits: &[Edit::Copy(OLDER, "1.2.0/a-older.yaml")],
            folder: "1.2.0",
            csv: "demo-operator.v1.2.0",
            reason: "its spec.version 1.2.0 is the folder's name",
        },
        Case {
            name: "the package's default channel names it",
            edits: &[
                Edit::Copy(OLDER, "latest/a-older.yaml"),
                Edit::Copy("1.2.0/csv.yaml", "latest/csv.yaml"),
                Edit::Copy("1.2.0/demos.crd.yaml", "latest/demos.crd.yaml"),
                Edit::Remove("1.2.0/csv.yaml"),
                Edit::Remove("1.2.0/demos.crd.yaml"),
            ],
            folder: "latest",
            csv: "demo-operator.v1.2.0",
            reason: "it is the currentCSV of the package's channel alpha",
        },
        Case {
            name: "nothing names it",
            edits: &[
                Edit::Remove("demo.package.yaml"),
                Edit::Copy(OLDER, "latest/a-older.yaml"),
                Edit::Copy("1.2.0/csv.yaml", "latest/csv.yaml"),
            ],
            folder: "latest",
            csv: "demo-operator.v1.1.0",
            reason: "it comes first in file order, as no spec.version is the folder's name and \
                     no channel's currentCSV is among them",
        },
    ];
    let mut wrong = Vec::new();
    for case in cases {
        let dir = edited_fixture("package", case.edits);
        let bundle = load(&dir.path().join(case.folder)).unwrap();
        let found = (bundle.csv.name.as_str(), bundle.csv_choice.as_deref());
        if found != (case.csv, Some(case.reason)) {
            wrong.push(format!("{}: {found:?}", case.name));
        }
        let one_csv: Vec<String> = osc_csv::check(&bundle)
            .into_iter()
            .filter(|finding| finding.rule == "olm-one-csv")
            .map(|finding| finding.message)
            .collect();
        if !one_csv
            .iter()
            .any(|message| message.ends_with(&format!("which helm osc works on: {}", case.reason)))
        {
            wrong.push(format!("{}: olm-one-csv says {one_csv:?}", case.name));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
