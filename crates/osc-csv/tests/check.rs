mod common;

use common::{Edit, edited_fixture, fixture};
use osc_csv::{Severity, check, load};

#[test]
fn good_fixtures_have_no_findings() {
    for path in [
        fixture("bundle"),
        fixture("package"),
        fixture("package/1.1.0"),
    ] {
        let bundle = load(&path).unwrap();
        let findings = check(&bundle);
        assert!(findings.is_empty(), "{}: {findings:#?}", path.display());
    }
}

const CSV: &str = "manifests/demo-operator.clusterserviceversion.yaml";
const CRD: &str = "manifests/demos.crd.yaml";
const ANNOTATIONS: &str = "metadata/annotations.yaml";
const PACKAGE: &str = "demo.package.yaml";
const CSV_110: &str = "1.1.0/demo-operator.v1.1.0.clusterserviceversion.yaml";
const CSV_120: &str = "1.2.0/csv.yaml";

/// A bad variant of a good fixture and the rule it must trip.
struct Case {
    name: &'static str,
    fixture: &'static str,
    edits: &'static [Edit],
    rule: &'static str,
    severity: Severity,
}

const fn case(
    name: &'static str,
    fixture: &'static str,
    edits: &'static [Edit],
    rule: &'static str,
    severity: Severity,
) -> Case {
    Case {
        name,
        fixture,
        edits,
        rule,
        severity,
    }
}

use Severity::{Error, Warning};

const CASES: &[Case] = &[
    case(
        "a second CSV in manifests/",
        "bundle",
        &[
            Edit::Copy(CSV, "manifests/older.yaml"),
            Edit::Replace(
                "manifests/older.yaml",
                "name: demo-operator.v1.2.0",
                "name: demo-operator.v1.0.0",
            ),
        ],
        "olm-one-csv",
        Error,
    ),
    case(
        "a second CSV in another version folder",
        "package",
        &[
            Edit::Copy(CSV_110, "1.1.0/again.yaml"),
            Edit::Replace(
                "1.1.0/again.yaml",
                "name: demo-operator.v1.1.0",
                "name: demo-operator.v1.0.0",
            ),
        ],
        "olm-one-csv",
        Error,
    ),
    case(
        "a folder inside manifests/",
        "bundle",
        &[Edit::Write("manifests/extra/notes.yaml", "a: 1\n")],
        "olm-manifests-flat",
        Error,
    ),
    case(
        "no annotations.yaml",
        "bundle",
        &[Edit::Remove(ANNOTATIONS)],
        "olm-annotations",
        Error,
    ),
    case(
        "wrong media type",
        "bundle",
        &[Edit::Replace(ANNOTATIONS, "registry+v1", "helm+v3")],
        "olm-annotations",
        Error,
    ),
    case(
        "no manifests annotation",
        "bundle",
        &[Edit::Replace(
            ANNOTATIONS,
            "  operators.operatorframework.io.bundle.manifests.v1: manifests/\n",
            "",
        )],
        "olm-annotations",
        Warning,
    ),
    case(
        "no media type, manifests or metadata annotation",
        "bundle",
        &[Edit::Write(
            ANNOTATIONS,
            "annotations:\n  operators.operatorframework.io.bundle.package.v1: demo\n  operators.operatorframework.io.bundle.channels.v1: stable,alpha\n",
        )],
        "olm-annotations",
        Warning,
    ),
    case(
        "manifests annotation naming another folder",
        "bundle",
        &[Edit::Replace(
            ANNOTATIONS,
            "manifests.v1: manifests/",
            "manifests.v1: deploy/",
        )],
        "olm-annotations",
        Warning,
    ),
    case(
        "empty channels annotation",
        "bundle",
        &[Edit::Replace(
            ANNOTATIONS,
            "channels.v1: stable,alpha",
            "channels.v1: ''",
        )],
        "olm-annotations",
        Error,
    ),
    case(
        "default channel not among the bundle's channels",
        "bundle",
        &[Edit::Replace(
            ANNOTATIONS,
            "channel.default.v1: stable",
            "channel.default.v1: beta",
        )],
        "olm-default-channel",
        Warning,
    ),
    case(
        "owned CRD without a manifest",
        "bundle",
        &[Edit::Remove(CRD)],
        "olm-owned-crd",
        Error,
    ),
    case(
        "owned CRD whose kind differs",
        "bundle",
        &[Edit::Replace(CRD, "kind: Demo\n", "kind: DemoCluster\n")],
        "olm-owned-crd",
        Error,
    ),
    case(
        "CRD the CSV does not own",
        "bundle",
        &[
            Edit::Copy(CRD, "manifests/extra.crd.yaml"),
            Edit::Replace(
                "manifests/extra.crd.yaml",
                "name: demos.demo.example.com",
                "name: extras.demo.example.com",
            ),
            Edit::Replace(
                "manifests/extra.crd.yaml",
                "plural: demos",
                "plural: extras",
            ),
        ],
        "olm-owned-crd",
        Warning,
    ),
    case(
        "CRD name is not plural.group",
        "bundle",
        &[Edit::Replace(CRD, "plural: demos", "plural: demoz")],
        "olm-crd-name",
        Error,
    ),
    case(
        "owned version not served",
        "bundle",
        &[Edit::Replace(CRD, "served: true", "served: false")],
        "olm-crd-served",
        Error,
    ),
    case(
        "owned version missing from the CRD",
        "bundle",
        &[Edit::Replace(CRD, "  - name: v1\n", "  - name: v2\n")],
        "olm-crd-served",
        Error,
    ),
    case(
        "v1beta1 CRD",
        "bundle",
        &[Edit::Replace(
            CRD,
            "apiextensions.k8s.io/v1",
            "apiextensions.k8s.io/v1beta1",
        )],
        "olm-crd-v1beta1",
        Warning,
    ),
    case(
        "alm-examples is not JSON",
        "bundle",
        &[Edit::Replace(CSV, r#""kind":"Demo","#, r#""kind":"Demo""#)],
        "olm-alm-examples",
        Error,
    ),
    case(
        "alm-examples is not a list",
        "package",
        &[
            Edit::Replace(CSV_120, r#"[{"apiVersion""#, r#"{"a": [{"apiVersion""#),
            Edit::Replace(CSV_120, r#"{"size": 1}}]"#, r#"{"size": 1}}]}"#),
        ],
        "olm-alm-examples",
        Error,
    ),
    case(
        "example of a kind the operator does not own",
        "bundle",
        &[Edit::Replace(
            CSV,
            r#""kind":"DemoBackup""#,
            r#""kind":"Backup""#,
        )],
        "olm-alm-examples",
        Error,
    ),
    case(
        "no alm-examples",
        "bundle",
        &[Edit::Replace(CSV, "    alm-examples: '", "    samples: '")],
        "olm-alm-examples",
        Warning,
    ),
    case(
        "no install modes",
        "bundle",
        &[Edit::Replace(CSV, "  installModes:", "  installModesTODO:")],
        "olm-install-modes",
        Error,
    ),
    case(
        "no supported install mode",
        "bundle",
        &[Edit::Replace(CSV, "supported: true", "supported: false")],
        "olm-install-modes",
        Error,
    ),
    case(
        "install mode twice",
        "bundle",
        &[Edit::Replace(
            CSV,
            "type: MultiNamespace",
            "type: OwnNamespace",
        )],
        "olm-install-modes",
        Error,
    ),
    case(
        "unknown install mode",
        "bundle",
        &[Edit::Replace(
            CSV,
            "type: AllNamespaces",
            "type: EveryNamespace",
        )],
        "olm-install-modes",
        Warning,
    ),
    case(
        "CSV name with capitals",
        "bundle",
        &[Edit::Replace(
            CSV,
            "  name: demo-operator.v1.2.0",
            "  name: Demo-Operator.v1.2.0",
        )],
        "olm-names",
        Error,
    ),
    case(
        "CSV name without a version",
        "bundle",
        &[Edit::Replace(
            CSV,
            "  name: demo-operator.v1.2.0",
            "  name: demo-operator",
        )],
        "olm-names",
        Error,
    ),
    case(
        "container name with an underscore",
        "bundle",
        &[Edit::Replace(
            CSV,
            "name: wait-for-api",
            "name: wait_for_api",
        )],
        "olm-names",
        Error,
    ),
    case(
        "version with build metadata",
        "bundle",
        &[Edit::Replace(
            CSV,
            "  version: 1.2.0",
            "  version: 1.2.0+build.7",
        )],
        "olm-version",
        Error,
    ),
    case(
        "version that is not SemVer",
        "bundle",
        &[Edit::Replace(CSV, "  version: 1.2.0", "  version: v1.2")],
        "olm-version",
        Error,
    ),
    case(
        "skip range in Cargo syntax",
        "bundle",
        &[Edit::Replace(CSV, "'>=1.0.0 <1.2.0'", "'>=1.0.0, <1.2.0'")],
        "olm-skip-range",
        Error,
    ),
    case(
        "CSV replaces itself",
        "bundle",
        &[Edit::Replace(
            CSV,
            "replaces: demo-operator.v1.1.0",
            "replaces: demo-operator.v1.2.0",
        )],
        "olm-replaces",
        Error,
    ),
    case(
        "replaces a CSV the package lacks",
        "package",
        &[Edit::Replace(
            CSV_120,
            "replaces: demo-operator.v1.1.0",
            "replaces: demo-operator.v1.0.9",
        )],
        "olm-replaces",
        Error,
    ),
    case(
        "skips a CSV the package lacks",
        "package",
        &[Edit::Replace(
            CSV_120,
            "  replaces: demo-operator.v1.1.0\n",
            "  replaces: demo-operator.v1.1.0\n  skips: [demo-operator.v1.1.5]\n",
        )],
        "olm-replaces",
        Warning,
    ),
    case(
        "image with upper-case repository",
        "bundle",
        &[Edit::Replace(
            CSV,
            "registry.example.com/demo/wait:1.0",
            "registry.example.com/Demo/wait:1.0",
        )],
        "olm-image-ref",
        Error,
    ),
    case(
        "related image with a bad digest",
        "bundle",
        &[Edit::Replace(
            CSV,
            "    image: registry.example.com/demo/server:1.2.0",
            "    image: registry.example.com/demo/server@sha256:123",
        )],
        "olm-image-ref",
        Error,
    ),
    case(
        "RELATED_IMAGE env var with a bad reference",
        "bundle",
        &[Edit::Replace(
            CSV,
            "value: registry.example.com/demo/server:1.2.0",
            "value: registry.example.com/demo/server:-bad",
        )],
        "olm-image-ref",
        Error,
    ),
    case(
        "image without registry and tag",
        "bundle",
        &[Edit::Replace(
            CSV,
            "registry.example.com/demo/wait:1.0",
            "busybox",
        )],
        "olm-image-ref",
        Warning,
    ),
    case(
        "no maintainers",
        "bundle",
        &[Edit::Replace(CSV, "  maintainers:", "  maintainersTODO:")],
        "olm-maintainers",
        Warning,
    ),
    case(
        "maintainer email that is no address",
        "bundle",
        &[Edit::Replace(
            CSV,
            "email: demo@example.com",
            "email: demo at example.com",
        )],
        "olm-maintainers",
        Warning,
    ),
    case(
        "no provider",
        "bundle",
        &[Edit::Replace(CSV, "  provider:", "  providerTODO:")],
        "olm-provider",
        Warning,
    ),
    case(
        "provider without contact, maintainer has one",
        "bundle",
        &[Edit::Replace(CSV, "    url: https://example.com\n", "")],
        "olm-provider",
        Warning,
    ),
    case(
        "provider without contact, nor any maintainer",
        "bundle",
        &[
            Edit::Replace(CSV, "    url: https://example.com\n", ""),
            Edit::Replace(CSV, "    email: demo@example.com\n", ""),
        ],
        "olm-provider",
        Warning,
    ),
    case(
        "duplicate channel",
        "package",
        &[Edit::Replace(PACKAGE, "- name: stable", "- name: alpha")],
        "olm-package-channels",
        Error,
    ),
    case(
        "default channel not among the package's channels",
        "package",
        &[Edit::Replace(
            PACKAGE,
            "defaultChannel: alpha",
            "defaultChannel: beta",
        )],
        "olm-default-channel",
        Error,
    ),
    case(
        "no default channel with two channels",
        "package",
        &[Edit::Replace(PACKAGE, "defaultChannel: alpha\n", "")],
        "olm-default-channel",
        Error,
    ),
    case(
        "currentCSV that no folder holds",
        "package",
        &[Edit::Replace(
            PACKAGE,
            "currentCSV: demo-operator.v1.1.0",
            "currentCSV: demo-operator.v1.0.0",
        )],
        "olm-package-current-csv",
        Error,
    ),
    case(
        "replaces loop",
        "package",
        &[Edit::Replace(
            CSV_110,
            "  version: 1.1.0\n",
            "  version: 1.1.0\n  replaces: demo-operator.v1.2.0\n",
        )],
        "olm-upgrade-graph",
        Error,
    ),
    case(
        "second head in a channel",
        "package",
        &[
            Edit::Copy(CSV_120, "1.3.0/csv.yaml"),
            Edit::Replace(
                "1.3.0/csv.yaml",
                "demo-operator.v1.2.0",
                "demo-operator.v1.3.0",
            ),
            Edit::Replace("1.3.0/csv.yaml", "version: 1.2.0", "version: 1.3.0"),
        ],
        "olm-upgrade-graph",
        Error,
    ),
    case(
        "CSV in no channel",
        "package",
        &[
            Edit::Copy(CSV_110, "1.0.0/csv.yaml"),
            Edit::Replace(
                "1.0.0/csv.yaml",
                "demo-operator.v1.1.0",
                "demo-operator.v1.0.0",
            ),
            Edit::Replace("1.0.0/csv.yaml", "version: 1.1.0", "version: 1.0.0"),
        ],
        "olm-upgrade-graph",
        Warning,
    ),
];

#[test]
fn each_rule_fires_on_its_bad_variant() {
    let mut report = String::new();
    for case in CASES {
        let dir = edited_fixture(case.fixture, case.edits);
        let bundle = load(dir.path()).unwrap_or_else(|error| panic!("{}: {error}", case.name));
        let findings = check(&bundle);
        assert!(
            findings
                .iter()
                .any(|finding| finding.rule == case.rule && finding.severity == case.severity),
            "{}: expected {} ({:?}), got {findings:#?}",
            case.name,
            case.rule,
            case.severity
        );
        report.push_str(&format!("== {}\n", case.name));
        for finding in findings {
            report.push_str(&format!("{finding}\n"));
        }
    }
    insta::assert_snapshot!(report);
}

#[test]
fn a_skip_range_covers_csvs_that_no_channel_reaches() {
    let dir = edited_fixture(
        "package",
        &[
            Edit::Copy(CSV_110, "1.0.0/csv.yaml"),
            Edit::Replace(
                "1.0.0/csv.yaml",
                "demo-operator.v1.1.0",
                "demo-operator.v1.0.0",
            ),
            Edit::Replace("1.0.0/csv.yaml", "version: 1.1.0", "version: 1.0.0"),
            Edit::Replace(
                CSV_120,
                "  annotations:\n",
                "  annotations:\n    olm.skipRange: '>=1.0.0 <1.1.0'\n",
            ),
        ],
    );
    let findings = check(&load(dir.path()).unwrap());
    assert!(findings.is_empty(), "{findings:#?}");
}
