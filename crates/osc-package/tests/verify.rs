mod common;

use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;

use common::{chart, fixture, operator, replacing, tgz_of, unchanged, zip_bytes, zip_of};
use osc_package::{Error, Report, Severity, verify, write};

use Severity::{Error as E, Warning as W};

/// The findings a case expects: rule and severity, in order.
type Expected = &'static [(&'static str, Severity)];

/// A package's entries; `None` makes a directory entry.
type Entries = Vec<(&'static str, Option<Vec<u8>>)>;

struct Case {
    name: &'static str,
    zip_file_name: &'static str,
    entries: fn() -> Entries,
    expected: Expected,
}

fn helm_entries() -> Entries {
    vec![
        ("redis/", None),
        ("redis/package/", None),
        ("redis/images/", None),
        ("redis/package/redis-18.1.0.tgz", Some(chart())),
        ("redis/images/mapping.yaml", Some(fixture("mapping.yaml"))),
        ("redis/images/redis-7.2.4-arm64.tar", Some(b"arm".to_vec())),
        ("redis/images/redis-7.2.4.tar", Some(b"x86".to_vec())),
    ]
}

fn operator_entries() -> Entries {
    vec![
        ("etcd/package/etcd-operator-0.9.4.zip", Some(operator())),
        (
            "etcd/images/mapping.yaml",
            Some(fixture("operator-mapping.yaml")),
        ),
        ("etcd/images/etcd-operator-0.9.4.tar", Some(b"tar".to_vec())),
        ("etcd/extends/csd.yaml", Some(fixture("csd.yaml"))),
    ]
}

/// `helm_entries` with `name` replaced (or removed when `contents` is `None`).
fn helm_with(name: &'static str, contents: Option<Vec<u8>>) -> Entries {
    let mut entries: Entries = helm_entries()
        .into_iter()
        .filter(|(entry, _)| *entry != name)
        .collect();
    if let Some(contents) = contents {
        entries.push((name, Some(contents)));
    }
    entries
}

const CASES: &[Case] = &[
    Case {
        name: "helm package",
        zip_file_name: "redis-18.1.0.zip",
        entries: helm_entries,
        expected: &[],
    },
    Case {
        name: "operator bundle without folder entries",
        zip_file_name: "etcd-0.9.4.zip",
        entries: operator_entries,
        expected: &[],
    },
    Case {
        name: "OSC-format package",
        zip_file_name: "etcd-0.0.1.zip",
        entries: || {
            vec![(
                "etcd/package/etcd-0.0.1.zip",
                Some(zip_of("osc-etcd", unchanged)),
            )]
        },
        expected: &[],
    },
    Case {
        name: "two top folders",
        zip_file_name: "redis-18.1.0.zip",
        entries: || {
            let mut entries = helm_entries();
            entries.push(("stray/README.md", Some(b"hi".to_vec())));
            entries
        },
        expected: &[("layout-top-folder", E)],
    },
    Case {
        name: "a file beside the top folder",
        zip_file_name: "redis-18.1.0.zip",
        entries: || {
            let mut entries = helm_entries();
            entries.push(("README.md", Some(b"hi".to_vec())));
            entries
        },
        expected: &[("layout-top-folder", E)],
    },
    Case {
        name: "no top folder",
        zip_file_name: "redis-18.1.0.zip",
        entries: || vec![("redis-18.1.0.tgz", Some(chart()))],
        expected: &[("layout-top-folder", E), ("layout-top-folder", E)],
    },
    Case {
        name: "top folder not named like the zip",
        zip_file_name: "cache-18.1.0.zip",
        entries: helm_entries,
        expected: &[("layout-top-folder", E)],
    },
    Case {
        name: "zip file name without a version",
        zip_file_name: "redis.zip",
        entries: helm_entries,
        expected: &[("name-zip-file", W)],
    },
    Case {
        name: "version with build metadata",
        zip_file_name: "redis-18.1.0+build.3.zip",
        entries: helm_entries,
        expected: &[("name-version", E)],
    },
    Case {
        name: "version that is not SemVer",
        zip_file_name: "redis-latest.zip",
        entries: helm_entries,
        expected: &[("name-version", E)],
    },
    Case {
        name: "service name with `_`",
        zip_file_name: "redis_ha-18.1.0.zip",
        entries: || {
            vec![
                ("redis_ha/package/redis-18.1.0.tgz", Some(chart())),
                (
                    "redis_ha/images/mapping.yaml",
                    Some(fixture("mapping.yaml")),
                ),
                (
                    "redis_ha/images/redis-7.2.4-arm64.tar",
                    Some(b"arm".to_vec()),
                ),
                ("redis_ha/images/redis-7.2.4.tar", Some(b"x86".to_vec())),
            ]
        },
        expected: &[("name-service", E)],
    },
    Case {
        name: "no deployable",
        zip_file_name: "redis-18.1.0.zip",
        entries: || helm_with("redis/package/redis-18.1.0.tgz", None),
        expected: &[("layout-one-deployable", E)],
    },
    Case {
        name: "two deployables",
        zip_file_name: "redis-18.1.0.zip",
        entries: || {
            let mut entries = helm_entries();
            entries.push(("redis/package/redis-18.0.0.tgz", Some(chart())));
            entries
        },
        expected: &[("layout-one-deployable", E)],
    },
    Case {
        name: "deployable neither .tgz nor .zip",
        zip_file_name: "redis-18.1.0.zip",
        entries: || {
            let mut entries = helm_with("redis/package/redis-18.1.0.tgz", None);
            entries.push(("redis/package/redis-18.1.0.tar.gz", Some(chart())));
            entries
        },
        expected: &[("name-deployable", E)],
    },
    Case {
        name: "deployable over 4 MB",
        zip_file_name: "etcd-0.9.4.zip",
        entries: || {
            let mut entries = operator_entries();
            let csv =
                fixture("etcd-operator/manifests/etcdoperator.v0.9.4.clusterserviceversion.yaml");
            let big = zip_bytes(&[
                ("manifests/etcd.clusterserviceversion.yaml", Some(&csv)),
                ("manifests/blob.bin", Some(&vec![7; 5 * 1024 * 1024])),
            ]);
            entries[0].1 = Some(big);
            entries
        },
        expected: &[("limit-deployable-size", E)],
    },
    Case {
        name: "chart without a source annotation",
        zip_file_name: "redis-18.1.0.zip",
        entries: || {
            let unmarked = tgz_of("redis", replacing("  source: ISV\n", ""));
            helm_with("redis/package/redis-18.1.0.tgz", Some(unmarked))
        },
        expected: &[("source-isv", E)],
    },
    Case {
        name: "chart marked with another source",
        zip_file_name: "redis-18.1.0.zip",
        entries: || {
            let other = tgz_of("redis", replacing("source: ISV", "source: OpenSource"));
            helm_with("redis/package/redis-18.1.0.tgz", Some(other))
        },
        expected: &[("source-isv", E)],
    },
    Case {
        name: "CSV without a source annotation",
        zip_file_name: "etcd-0.9.4.zip",
        entries: || {
            let mut entries = operator_entries();
            let unmarked = zip_of("etcd-operator", replacing("    source: ISV\n", ""));
            entries[0].1 = Some(unmarked);
            entries
        },
        expected: &[("source-isv", E)],
    },
    Case {
        name: "OSC-format metadata.yaml marked OpenSource",
        zip_file_name: "etcd-0.0.1.zip",
        entries: || {
            let other = zip_of("osc-etcd", replacing("source: ISV", "source: OpenSource"));
            vec![("etcd/package/etcd-0.0.1.zip", Some(other))]
        },
        expected: &[("source-isv", E)],
    },
    Case {
        name: "tgz that is not gzip",
        zip_file_name: "redis-18.1.0.zip",
        entries: || {
            helm_with(
                "redis/package/redis-18.1.0.tgz",
                Some(b"plain text".to_vec()),
            )
        },
        expected: &[("deployable-unreadable", E)],
    },
    Case {
        name: "tgz without Chart.yaml",
        zip_file_name: "redis-18.1.0.zip",
        entries: || {
            let values_only = tgz_of("redis/charts", unchanged);
            helm_with("redis/package/redis-18.1.0.tgz", Some(values_only))
        },
        expected: &[("deployable-unreadable", E)],
    },
    Case {
        name: "zip without a CSV",
        zip_file_name: "etcd-0.9.4.zip",
        entries: || {
            let mut entries = operator_entries();
            entries[0].1 = Some(zip_bytes(&[("README.md", Some(b"no CSV here"))]));
            entries
        },
        expected: &[("deployable-unreadable", E)],
    },
    Case {
        name: "bad image tar names",
        zip_file_name: "redis-18.1.0.zip",
        entries: || {
            let mut entries = helm_entries();
            entries.push(("redis/images/-x.tar", Some(b"x".to_vec())));
            entries.push(("redis/images/y.tar.gz", Some(b"y".to_vec())));
            entries
        },
        expected: &[
            ("name-image-tar", E),
            ("name-image-tar", E),
            ("mapping-unused-tar", W),
            ("mapping-unused-tar", W),
        ],
    },
    Case {
        name: "unexpected entries",
        zip_file_name: "redis-18.1.0.zip",
        entries: || {
            let mut entries = helm_entries();
            entries.push(("redis/README.md", Some(b"hi".to_vec())));
            entries.push(("redis/images/arm/x.tar", Some(b"x".to_vec())));
            entries
        },
        expected: &[
            ("layout-unexpected-entry", W),
            ("layout-unexpected-entry", W),
        ],
    },
    Case {
        name: "mapping.yaml at the zip root",
        zip_file_name: "redis-18.1.0.zip",
        entries: || {
            let mut entries = helm_with("redis/images/mapping.yaml", None);
            entries.push(("mapping.yaml", Some(fixture("mapping.yaml"))));
            entries
        },
        expected: &[("mapping-location", W)],
    },
    Case {
        name: "mapping.yaml in two places",
        zip_file_name: "redis-18.1.0.zip",
        entries: || {
            let mut entries = helm_entries();
            entries.push(("redis/mapping.yaml", Some(b"instance: []".to_vec())));
            entries
        },
        expected: &[("mapping-location", W)],
    },
    Case {
        name: "mapping names a tar that is not there",
        zip_file_name: "redis-18.1.0.zip",
        entries: || helm_with("redis/images/redis-7.2.4-arm64.tar", None),
        expected: &[("mapping-missing-tar", E)],
    },
    Case {
        name: "tars without mapping.yaml",
        zip_file_name: "redis-18.1.0.zip",
        entries: || helm_with("redis/images/mapping.yaml", None),
        expected: &[("mapping-missing", W)],
    },
    Case {
        name: "mapping.yaml that is not YAML",
        zip_file_name: "redis-18.1.0.zip",
        entries: || {
            helm_with(
                "redis/images/mapping.yaml",
                Some(b"instance: [unclosed".to_vec()),
            )
        },
        expected: &[("mapping-invalid", E)],
    },
];

fn write_zip(dir: &std::path::Path, file_name: &str, entries: &Entries) -> PathBuf {
    let entries: Vec<(&str, Option<&[u8]>)> = entries
        .iter()
        .map(|(name, contents)| (*name, contents.as_deref()))
        .collect();
    let path = dir.join(file_name);
    fs::write(&path, zip_bytes(&entries)).unwrap();
    path
}

fn render(report: &Report) -> String {
    let mut text = String::new();
    for finding in &report.findings {
        writeln!(
            text,
            "  {:?} {} [{}]\n    {}\n    help: {}",
            finding.severity, finding.rule, finding.file, finding.message, finding.help
        )
        .unwrap();
    }
    text
}

#[test]
fn findings() {
    let mut all = String::new();
    for case in CASES {
        let dir = tempfile::tempdir().unwrap();
        let zip = write_zip(dir.path(), case.zip_file_name, &(case.entries)());
        let report = verify(&zip, None).unwrap();
        let found: Vec<(&str, Severity)> = report
            .findings
            .iter()
            .map(|finding| (finding.rule, finding.severity))
            .collect();
        assert_eq!(found, case.expected, "{}:\n{}", case.name, render(&report));
        writeln!(
            all,
            "{} ({}):\n{}",
            case.name,
            case.zip_file_name,
            render(&report)
        )
        .unwrap();
    }
    insta::assert_snapshot!(all);
}

#[test]
fn report_describes_the_package() {
    let dir = tempfile::tempdir().unwrap();
    let zip = write_zip(dir.path(), "redis-18.1.0.zip", &helm_entries());
    let report = verify(&zip, None).unwrap();
    assert_eq!(report.name.as_deref(), Some("redis"));
    assert_eq!(report.version.as_deref(), Some("18.1.0"));
    assert_eq!(
        report.deployable.as_deref(),
        Some("redis/package/redis-18.1.0.tgz")
    );
    assert_eq!(report.mapping.as_deref(), Some("redis/images/mapping.yaml"));
    assert_eq!(
        report.images,
        [
            "redis/images/redis-7.2.4-arm64.tar",
            "redis/images/redis-7.2.4.tar"
        ]
    );
    assert!(!report.has_errors());
}

#[test]
fn crc_errors_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let mut entries = helm_entries();
    let marker = b"IMAGE-BYTES-TO-DAMAGE".to_vec();
    entries.push(("redis/images/damaged.tar", Some(marker.clone())));
    let zip = write_zip(dir.path(), "redis-18.1.0.zip", &entries);
    let mut bytes = fs::read(&zip).unwrap();
    let at = bytes
        .windows(marker.len())
        .position(|window| window == marker)
        .unwrap();
    bytes[at] ^= 0xFF;
    fs::write(&zip, bytes).unwrap();
    let report = verify(&zip, None).unwrap();
    let found: Vec<(&str, &str)> = report
        .findings
        .iter()
        .map(|finding| (finding.rule, finding.file.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            ("zip-corrupt", "redis/images/damaged.tar"),
            ("mapping-unused-tar", "redis/images/damaged.tar")
        ]
    );
}

#[test]
fn sha256_files_are_checked() {
    let inputs = tempfile::tempdir().unwrap();
    let spec = common::helm_spec(inputs.path());
    let written = write(&spec, &inputs.path().join("out"), &mut |_| {}).unwrap();
    let good = written.sha256.as_str();
    let zero = "0".repeat(64);
    let cases: [(&str, String, Expected); 6] = [
        ("as written", format!("{good}  redis-18.1.0.zip\n"), &[]),
        (
            "binary mode, upper case",
            format!("{}  *redis-18.1.0.zip", good.to_uppercase()),
            &[],
        ),
        ("digest only", good.to_owned(), &[]),
        (
            "another digest",
            format!("{zero}  redis-18.1.0.zip\n"),
            &[("sha256-mismatch", E)],
        ),
        (
            "another file name",
            format!("{good}  redis.zip\n"),
            &[("sha256-file-name", W)],
        ),
        (
            "not a digest",
            "redis-18.1.0.zip\n".into(),
            &[("sha256-unreadable", E)],
        ),
    ];
    let mut all = String::new();
    for (case, text, expected) in cases {
        let sha256_file = inputs.path().join("given.sha256");
        fs::write(&sha256_file, &text).unwrap();
        let report = verify(&written.zip, Some(&sha256_file)).unwrap();
        let found: Vec<(&str, Severity)> = report
            .findings
            .iter()
            .map(|finding| (finding.rule, finding.severity))
            .collect();
        assert_eq!(found, expected, "{case}:\n{}", render(&report));
        let rendered = render(&report)
            .replace(&inputs.path().display().to_string(), "[dir]")
            .replace(good, "[digest]");
        writeln!(all, "{case}:\n{rendered}").unwrap();
    }
    let missing = verify(&written.zip, Some(&inputs.path().join("missing.sha256"))).unwrap();
    assert_eq!(missing.findings[0].rule, "sha256-unreadable");
    insta::assert_snapshot!(all);
}

#[test]
fn only_an_unopenable_zip_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let not_zip = dir.path().join("redis-18.1.0.zip");
    fs::write(&not_zip, b"this is not a zip").unwrap();
    for path in [not_zip, dir.path().join("missing.zip")] {
        match verify(&path, None) {
            Err(Error::Open { .. }) => {}
            other => panic!("{}: expected an open error, got {other:?}", path.display()),
        }
    }
}
