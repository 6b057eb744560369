//! `helm osc package` on the example and on bad inputs.

use std::path::{Path, PathBuf};

use crate::support::*;

struct Packaged {
    _dir: tempfile::TempDir,
    dist: PathBuf,
    zip: PathBuf,
    report: serde_json::Value,
}

fn package_example(extra: &[&str]) -> Packaged {
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    let chart = example("etcd");
    let images = example("etcd-images");
    let mut args = vec![
        "package",
        chart.to_str().unwrap(),
        "--images",
        images.to_str().unwrap(),
        "-d",
        dist.to_str().unwrap(),
        "--output",
        "json",
    ];
    args.extend_from_slice(extra);
    let output = helm_osc(&args);
    assert_success(&output);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let zip = PathBuf::from(report["zip"].as_str().unwrap());
    Packaged {
        _dir: dir,
        dist,
        zip,
        report,
    }
}

#[test]
fn the_example_becomes_a_service_package() {
    let before = (
        snapshot_tree(&example("etcd")),
        snapshot_tree(&example("etcd-images")),
    );
    let packaged = package_example(&[
        "--category",
        "database",
        "--arch",
        "x86_64,arm64",
        "--scenes",
        "CCE",
    ]);
    assert_eq!(
        (
            snapshot_tree(&example("etcd")),
            snapshot_tree(&example("etcd-images"))
        ),
        before,
        "the provider's files were modified"
    );

    assert_eq!(packaged.zip, packaged.dist.join("etcd-1.2.0.zip"));
    insta::assert_snapshot!(zip_entry_names(&packaged.zip).join("\n"), @r"
    etcd/
    etcd/package/
    etcd/images/
    etcd/package/etcd-1.2.0.tgz
    etcd/images/mapping.yaml
    etcd/images/etcd-3.5.17-arm64.tar
    etcd/images/etcd-3.5.17.tar
    etcd/images/os-shell-12-arm64.tar
    etcd/images/os-shell-12.tar
    ");

    // The checksum file is what `sha256sum -c` reads, and it is right.
    let sha256 = std::fs::read_to_string(packaged.dist.join("etcd-1.2.0.zip.sha256")).unwrap();
    assert_eq!(
        sha256,
        format!("{}  etcd-1.2.0.zip\n", sha256_hex(&packaged.zip))
    );
    assert_eq!(packaged.report["sha256"], sha256_hex(&packaged.zip));
    let checked = std::process::Command::new("sha256sum")
        .args(["-c", "etcd-1.2.0.zip.sha256"])
        .current_dir(&packaged.dist)
        .output();
    if let Ok(checked) = checked {
        assert_success(&checked);
    }

    // mapping.yaml and the tars are copied byte for byte.
    let unpacked = tempfile::tempdir().unwrap();
    for name in ["mapping.yaml", "etcd-3.5.17.tar", "os-shell-12-arm64.tar"] {
        let copied = unzip_entry(
            &packaged.zip,
            &format!("etcd/images/{name}"),
            unpacked.path(),
        );
        assert_eq!(
            std::fs::read(copied).unwrap(),
            std::fs::read(example("etcd-images").join(name)).unwrap(),
            "{name}"
        );
    }

    // Chart.yaml inside carries the annotations, and only those bytes changed.
    let tgz = unzip_entry(
        &packaged.zip,
        "etcd/package/etcd-1.2.0.tgz",
        unpacked.path(),
    );
    let chart = osc_chart_yaml(&tgz);
    let original = std::fs::read_to_string(example("etcd/Chart.yaml")).unwrap();
    assert_eq!(
        chart,
        original.replace(
            "annotations:\n  categories: Database\n",
            "annotations:\n  categories: Database\n  source: ISV\n  architecture: x86_64,aarch64\n  scenes: CCE\n"
        )
    );
}

/// A chart without a contact packages with `--maintainer`, and the packaged Chart.yaml differs
/// from the provider's by the maintainer's lines and the annotations only.
#[test]
fn maintainer_settles_a_missing_contact() {
    let dir = tempfile::tempdir().unwrap();
    let chart = chart_copy(dir.path());
    let text = std::fs::read_to_string(chart.join("Chart.yaml")).unwrap();
    let without = text.replace("    email: osc-examples@example.com\n", "");
    assert_ne!(without, text);
    std::fs::write(chart.join("Chart.yaml"), &without).unwrap();
    let dist = dir.path().join("dist");
    let output = helm_osc(&[
        "package",
        chart.to_str().unwrap(),
        "-d",
        dist.to_str().unwrap(),
        "--maintainer",
        "Ledger Team <ledger@example.org>",
    ]);
    assert_success(&output);
    let unpacked = tempfile::tempdir().unwrap();
    let tgz = unzip_entry(
        &dist.join("etcd-1.2.0.zip"),
        "etcd/package/etcd-1.2.0.tgz",
        unpacked.path(),
    );
    let packaged = osc_chart_yaml(&tgz);
    let diff = similar::TextDiff::from_lines(without.as_str(), packaged.as_str())
        .unified_diff()
        .context_radius(1)
        .to_string();
    insta::assert_snapshot!(diff);
}

/// Chart.yaml from a chart archive.
fn osc_chart_yaml(tgz: &Path) -> String {
    use std::io::Read;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(
        std::fs::File::open(tgz).unwrap(),
    ));
    let mut entries = archive.entries().unwrap();
    let mut first = entries.next().unwrap().unwrap();
    assert_eq!(
        first.path().unwrap().display().to_string(),
        "etcd/Chart.yaml",
        "Chart.yaml comes first"
    );
    let mut text = String::new();
    first.read_to_string(&mut text).unwrap();
    text
}

#[test]
fn packaging_is_reproducible() {
    let first = package_example(&[]);
    let second = package_example(&[]);
    assert_eq!(first.report["sha256"], second.report["sha256"]);
    assert_eq!(
        std::fs::read(&first.zip).unwrap(),
        std::fs::read(&second.zip).unwrap()
    );
}

#[test]
fn real_helm_renders_the_packaged_chart_as_it_renders_the_source() {
    let packaged = package_example(&[]);
    let unpacked = tempfile::tempdir().unwrap();
    let tgz = unzip_entry(
        &packaged.zip,
        "etcd/package/etcd-1.2.0.tgz",
        unpacked.path(),
    );
    let from_source = helm_template(&example("etcd"), &[]);
    let from_package = helm_template(&tgz, &[]);
    assert!(from_source.contains("kind: StatefulSet"), "{from_source}");
    assert_eq!(from_package, from_source);
    // And with values that switch templates' branches.
    let flags = ["--set", "persistence.enabled=false", "--namespace", "db"];
    assert_eq!(
        helm_template(&tgz, &flags),
        helm_template(&example("etcd"), &flags)
    );
}

#[test]
fn the_chart_archive_holds_what_helm_package_puts_in_it() {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(helm())
        .args([
            "package",
            example("etcd").to_str().unwrap(),
            "-d",
            dir.path().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_success(&output);
    let by_helm = tar_files(&dir.path().join("etcd-1.2.0.tgz"));
    let packaged = package_example(&[]);
    let ours = tar_files(&unzip_entry(
        &packaged.zip,
        "etcd/package/etcd-1.2.0.tgz",
        dir.path(),
    ));
    let names = |files: &[(String, Vec<u8>)]| {
        let mut names: Vec<String> = files.iter().map(|(name, _)| name.clone()).collect();
        names.sort();
        names
    };
    assert_eq!(names(&ours), names(&by_helm));
    for (name, data) in &ours {
        if name != "etcd/Chart.yaml" {
            // Helm re-serialises Chart.yaml (dropping comments); everything else is the same bytes.
            let helm_data = &by_helm.iter().find(|(n, _)| n == name).unwrap().1;
            assert_eq!(data, helm_data, "{name}");
        }
    }

    // A chart .tgz (here, Helm's own) is a SOURCE too.
    let out = dir.path().join("from-tgz");
    let output = helm_osc(&[
        "package",
        dir.path().join("etcd-1.2.0.tgz").to_str().unwrap(),
        "-d",
        out.to_str().unwrap(),
    ]);
    assert_success(&output);
    assert!(out.join("etcd-1.2.0.zip").is_file());
}

fn tar_files(tgz: &Path) -> Vec<(String, Vec<u8>)> {
    use std::io::Read;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(
        std::fs::File::open(tgz).unwrap(),
    ));
    archive
        .entries()
        .unwrap()
        .map(|entry| {
            let mut entry = entry.unwrap();
            let name = entry.path().unwrap().display().to_string();
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            (name, data)
        })
        .collect()
}

#[test]
fn text_output() {
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    let output = helm_osc(&[
        "package",
        example("etcd").to_str().unwrap(),
        "--images",
        example("etcd-images").to_str().unwrap(),
        "-d",
        dist.to_str().unwrap(),
    ]);
    assert_success(&output);
    let redact = |text: String| {
        redact(
            &text
                .replace(dist.to_str().unwrap(), "[DIST]")
                .replace(example("").to_str().unwrap(), "[EXAMPLES]/"),
        )
    };
    insta::assert_snapshot!("package_text_stdout", redact(stdout(&output)));
    insta::assert_snapshot!("package_text_stderr", redact(stderr(&output)));
}

/// A chart to break in one way per refusal.
fn chart_copy(root: &Path) -> PathBuf {
    let chart = root.join("chart");
    copy_tree(&example("etcd"), &chart);
    chart
}

fn images_copy(root: &Path) -> PathBuf {
    let images = root.join("images");
    copy_tree(&example("etcd-images"), &images);
    images
}

/// A chart archive with one extra raw tar entry, which the tar crate's path setters would refuse.
fn archive_with(root: &Path, name: &str, kind: tar::EntryType, link: Option<&str>) -> PathBuf {
    let path = root.join("etcd-1.2.0.tgz");
    let gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::fast(),
    );
    let mut builder = tar::Builder::new(gz);
    let chart_yaml = std::fs::read(example("etcd/Chart.yaml")).unwrap();
    for (entry, entry_kind, entry_link, data) in [
        (
            "etcd/Chart.yaml",
            tar::EntryType::Regular,
            None,
            chart_yaml.as_slice(),
        ),
        (name, kind, link, b"x".as_slice()),
    ] {
        let mut header = tar::Header::new_gnu();
        let gnu = header.as_gnu_mut().unwrap();
        gnu.name[..entry.len()].copy_from_slice(entry.as_bytes());
        if let Some(link) = entry_link {
            gnu.linkname[..link.len()].copy_from_slice(link.as_bytes());
        }
        header.set_entry_type(entry_kind);
        header.set_mode(0o644);
        header.set_size(data.len() as u64);
        header.set_cksum();
        builder.append(&header, data).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap();
    path
}

#[test]
fn refusals_name_the_file_and_the_rule_and_write_nothing() {
    struct Case {
        name: &'static str,
        /// Builds the inputs under the given folder; returns the arguments after `package`.
        setup: fn(&Path) -> Vec<String>,
        exit: i32,
        want: &'static [&'static str],
    }
    fn s(path: PathBuf) -> String {
        path.display().to_string()
    }
    let cases = [
        Case {
            name: "service name",
            setup: |root| vec![s(chart_copy(root)), "--name".into(), "my_db".into()],
            exit: 1,
            want: &["--name", "my_db", "letters, digits"],
        },
        Case {
            name: "service name from the chart",
            setup: |root| vec![s(chart_copy(root)), "--name".into(), "x".repeat(65)],
            exit: 1,
            want: &["64"],
        },
        Case {
            name: "version with build metadata",
            setup: |root| {
                vec![
                    s(chart_copy(root)),
                    "--version".into(),
                    "1.2.0+build.7".into(),
                ]
            },
            exit: 1,
            want: &["--version", "1.2.0+build.7", "build metadata"],
        },
        Case {
            name: "version not SemVer",
            setup: |root| vec![s(chart_copy(root)), "--version".into(), "1.2".into()],
            exit: 1,
            want: &["--version", "1.2", "SemVer"],
        },
        Case {
            name: "image tar name",
            setup: |root| {
                let images = images_copy(root);
                std::fs::rename(
                    images.join("etcd-3.5.17.tar"),
                    images.join("etcd-3.5.17-.tar"),
                )
                .unwrap();
                vec![s(chart_copy(root)), "--images".into(), s(images)]
            },
            exit: 1,
            want: &["etcd-3.5.17-.tar", "ends with '-'", "rename it"],
        },
        Case {
            name: "category",
            setup: |root| vec![s(chart_copy(root)), "--category".into(), "Databases".into()],
            exit: 2,
            want: &["--category", "Databases", "\"Database\""],
        },
        Case {
            name: "architecture",
            setup: |root| {
                vec![
                    s(chart_copy(root)),
                    "--arch".into(),
                    "x86_64,riscv64".into(),
                ]
            },
            exit: 2,
            want: &["riscv64", "x86_64 or aarch64"],
        },
        Case {
            name: "no maintainer contact",
            setup: |root| {
                let chart = chart_copy(root);
                let text = std::fs::read_to_string(chart.join("Chart.yaml")).unwrap();
                std::fs::write(
                    chart.join("Chart.yaml"),
                    text.replace("    email: osc-examples@example.com\n", ""),
                )
                .unwrap();
                vec![s(chart)]
            },
            exit: 1,
            want: &[
                "Chart.yaml",
                "maintainer",
                "email",
                "contact",
                "--maintainer",
            ],
        },
        Case {
            name: "maintainer without email",
            setup: |root| {
                vec![
                    s(chart_copy(root)),
                    "--maintainer".into(),
                    "Ledger Team".into(),
                ]
            },
            exit: 2,
            want: &["--maintainer", "angle brackets", "NAME <EMAIL>"],
        },
        Case {
            name: "maintainer with a bad email",
            setup: |root| {
                vec![
                    s(chart_copy(root)),
                    "--maintainer".into(),
                    "Ledger Team <ledger at example.org>".into(),
                ]
            },
            exit: 2,
            want: &["`ledger at example.org` is not an email address"],
        },
        Case {
            name: "no Chart.yaml",
            setup: |root| {
                let chart = chart_copy(root);
                std::fs::remove_file(chart.join("Chart.yaml")).unwrap();
                vec![s(chart)]
            },
            exit: 1,
            want: &["neither a chart (no Chart.yaml)", "point at the folder"],
        },
        Case {
            name: "archive path outside",
            setup: |root| {
                vec![s(archive_with(
                    root,
                    "etcd/../../evil.yaml",
                    tar::EntryType::Regular,
                    None,
                ))]
            },
            exit: 1,
            want: &["etcd-1.2.0.tgz", "a `..` segment", "re-create it"],
        },
        Case {
            name: "archive absolute path",
            setup: |root| {
                vec![s(archive_with(
                    root,
                    "/etc/cron.d/evil",
                    tar::EntryType::Regular,
                    None,
                ))]
            },
            exit: 1,
            want: &["etcd-1.2.0.tgz", "absolute path"],
        },
        Case {
            name: "archive link outside",
            setup: |root| {
                vec![s(archive_with(
                    root,
                    "etcd/templates/x.yaml",
                    tar::EntryType::Symlink,
                    Some("../../../etc/passwd"),
                ))]
            },
            exit: 1,
            want: &[
                "etcd-1.2.0.tgz",
                "etcd/templates/x.yaml",
                "a link to `../../../etc/passwd` inside the archive",
            ],
        },
        Case {
            name: "mapping is not YAML",
            setup: |root| {
                let mapping = root.join("mapping.yaml");
                std::fs::write(&mapping, "instance: [\n").unwrap();
                vec![s(chart_copy(root)), "--mapping".into(), s(mapping)]
            },
            exit: 1,
            want: &["mapping.yaml", "not valid YAML"],
        },
    ];
    for case in cases {
        let dir = tempfile::tempdir().unwrap();
        let dist = dir.path().join("dist");
        std::fs::create_dir(&dist).unwrap();
        let mut args = vec!["package".to_string()];
        args.extend((case.setup)(dir.path()));
        args.extend(["-d".to_string(), dist.display().to_string()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = helm_osc(&args);
        let said = stderr(&output);
        assert_eq!(
            output.status.code(),
            Some(case.exit),
            "{}: {said}",
            case.name
        );
        for want in case.want {
            assert!(
                said.contains(want),
                "{}: {said:?} lacks {want:?}",
                case.name
            );
        }
        assert_eq!(
            std::fs::read_dir(&dist).unwrap().count(),
            0,
            "{}: something was written",
            case.name
        );
    }
}

/// `package` analyses the chart once: key discovery's renders (the default one included) serve
/// lint, the traps and the fixes; beyond those it may render once more, to prove the fixed chart
/// (twice only when that render fails in a NOTES.txt).
#[test]
fn package_renders_no_more_than_images_plus_one_proof() {
    let helm = LoggingHelm::new();
    let chart = example("etcd");
    let (images, image_calls) = helm.run(&["images", chart.to_str().unwrap(), "--output", "json"]);
    assert_success(&images);
    let report: serde_json::Value = serde_json::from_slice(&images.stdout).unwrap();
    assert!(
        !report["switched_on"].as_array().unwrap().is_empty(),
        "the example has switches, so the proof renders with them on"
    );
    let dist = tempfile::tempdir().unwrap();
    let (packaged, package_calls) = helm.run(&[
        "package",
        chart.to_str().unwrap(),
        "--images",
        example("etcd-images").to_str().unwrap(),
        "-d",
        dist.path().to_str().unwrap(),
    ]);
    assert_success(&packaged);
    let renders = |calls: &[String]| calls.iter().filter(|call| *call == "template").count();
    assert!(
        renders(&image_calls) > 0,
        "images rendered nothing: {image_calls:?}"
    );
    assert!(
        renders(&package_calls) <= renders(&image_calls) + 1,
        "package rendered {} times, images {}: {package_calls:?}",
        renders(&package_calls),
        renders(&image_calls)
    );
    // lint's own `helm lint` runs once, as `helm osc lint` runs it.
    let lints = package_calls.iter().filter(|call| *call == "lint").count();
    assert_eq!(lints, 1, "{package_calls:?}");
}
