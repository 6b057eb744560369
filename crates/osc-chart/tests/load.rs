//! Loading charts as Helm does, writing them as `helm package` does, and refusing what must not
//! be packaged.

use std::io::Read;
use std::path::Path;

use flate2::read::GzDecoder;
use osc_chart::Chart;

fn write(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

const CHART_YAML: &str = "apiVersion: v2\nname: app\nversion: 0.1.0\n";
const SUB_CHART_YAML: &str = "apiVersion: v2\nname: sub\nversion: 1.0.0\n";

/// Entry names of a chart archive, in order.
fn entries(archive: &[u8]) -> Vec<String> {
    let mut tar = tar::Archive::new(GzDecoder::new(archive));
    tar.entries()
        .unwrap()
        .map(|entry| entry.unwrap().path().unwrap().display().to_string())
        .collect()
}

fn entry_text(archive: &[u8], name: &str) -> String {
    let mut tar = tar::Archive::new(GzDecoder::new(archive));
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        if entry.path().unwrap().display().to_string() == name {
            let mut text = String::new();
            entry.read_to_string(&mut text).unwrap();
            return text;
        }
    }
    panic!("no {name} in the archive")
}

/// A subchart archive as `helm package` lays it out, for charts/.
fn subchart_tgz() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: packed\nversion: 2.0.0\n",
            ),
            ("templates/cm.yaml", "kind: ConfigMap\n"),
        ],
    );
    Chart::load(dir.path())
        .unwrap()
        .write_archive(Vec::new())
        .unwrap()
}

#[test]
fn a_directory_is_packaged_with_helms_file_set_and_order() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        &[
            ("Chart.yaml", CHART_YAML),
            (".helmignore", "# comment\n*.bak\nci/\n"),
            ("values.yaml", "a: 1\n"),
            ("values.schema.json", "{}\n"),
            ("README.md", "readme\n"),
            ("templates/b.yaml", "kind: B\n"),
            ("templates/a/x.yaml", "kind: AX\n"),
            ("templates/a-b.yaml", "kind: AB\n"),
            ("templates/.hidden.swp", "editor junk\n"),
            ("templates/_helpers.tpl", "{{/* */}}\n"),
            ("templates/NOTES.txt", "notes\n"),
            ("old.bak", "ignored\n"),
            ("ci/values-ci.yaml", "ignored\n"),
            ("charts/sub/Chart.yaml", SUB_CHART_YAML),
            ("charts/sub/values.yaml", "s: 1\n"),
            ("charts/_scratch/readme", "ignored: starts with _\n"),
            ("files/config.ini", "k=v\n"),
            ("Chart.lock", "dependencies: []\n"),
            ("requirements.yaml", "dropped for v2 charts\n"),
        ],
    );
    std::fs::write(root.join("charts/packed-2.0.0.tgz"), subchart_tgz()).unwrap();
    let chart = Chart::load(root).unwrap();
    assert_eq!(chart.archive_file_name(), "app-0.1.0.tgz");
    let archive = chart.write_archive(Vec::new()).unwrap();
    insta::assert_snapshot!(entries(&archive).join("\n"), @r"
    app/Chart.yaml
    app/Chart.lock
    app/values.yaml
    app/values.schema.json
    app/templates/NOTES.txt
    app/templates/_helpers.tpl
    app/templates/a/x.yaml
    app/templates/a-b.yaml
    app/templates/b.yaml
    app/.helmignore
    app/README.md
    app/files/config.ini
    app/charts/packed/Chart.yaml
    app/charts/packed/templates/cm.yaml
    app/charts/sub/Chart.yaml
    app/charts/sub/values.yaml
    ");
}

#[test]
fn archives_are_reproducible_and_load_back() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("Chart.yaml", CHART_YAML),
            ("values.yaml", "a: 1\n"),
            ("templates/cm.yaml", "kind: ConfigMap\n"),
        ],
    );
    let first = Chart::load(dir.path())
        .unwrap()
        .write_archive(Vec::new())
        .unwrap();
    // A later mtime on the source must not change the bytes.
    std::thread::sleep(std::time::Duration::from_millis(20));
    write(dir.path(), &[("values.yaml", "a: 1\n")]);
    let second = Chart::load(dir.path())
        .unwrap()
        .write_archive(Vec::new())
        .unwrap();
    assert_eq!(first, second);

    let packed = dir.path().join("app-0.1.0.tgz");
    std::fs::write(&packed, &first).unwrap();
    let reloaded = Chart::load(&packed).unwrap();
    assert_eq!(reloaded.name(), "app");
    assert_eq!(reloaded.values_yaml(), Some(&b"a: 1\n"[..]));
    assert_eq!(
        reloaded.write_archive(Vec::new()).unwrap(),
        first,
        "load → write is a fixed point"
    );

    // The gzip header is the one `helm package` writes (Go's gzip with Helm's extra and comment).
    assert_eq!(
        &first[..4],
        &[0x1f, 0x8b, 0x08, 0x14],
        "FEXTRA and FCOMMENT set"
    );
    let mut decoder = GzDecoder::new(first.as_slice());
    std::io::copy(&mut decoder, &mut std::io::sink()).unwrap();
    assert_eq!(decoder.header().unwrap().comment(), Some(&b"Helm"[..]));
}

#[test]
fn chart_yaml_keeps_its_bytes_in_the_archive() {
    let dir = tempfile::tempdir().unwrap();
    let text = "# my chart\r\napiVersion: v2\r\nname: app   # the name\r\nversion: 0.1.0\r\n";
    write(dir.path(), &[("Chart.yaml", text)]);
    let archive = Chart::load(dir.path())
        .unwrap()
        .write_archive(Vec::new())
        .unwrap();
    assert_eq!(entry_text(&archive, "app/Chart.yaml"), text);
}

#[test]
fn symlinks_inside_the_chart_are_followed() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("Chart.yaml", CHART_YAML),
            ("files/cm.yaml", "kind: ConfigMap\n"),
        ],
    );
    std::fs::create_dir(dir.path().join("templates")).unwrap();
    std::os::unix::fs::symlink("../files/cm.yaml", dir.path().join("templates/cm.yaml")).unwrap();
    let chart = Chart::load(dir.path()).unwrap();
    assert_eq!(
        chart.file("templates/cm.yaml"),
        Some(&b"kind: ConfigMap\n"[..])
    );
}

/// Each bad input and the words its error must carry.
#[test]
fn refusals_name_the_file_and_say_what_to_do() {
    struct Case {
        name: &'static str,
        setup: fn(&Path) -> std::path::PathBuf,
        want: &'static [&'static str],
    }
    let cases = [
        Case {
            name: "no Chart.yaml",
            setup: |root| {
                write(root, &[("values.yaml", "a: 1\n")]);
                root.to_path_buf()
            },
            want: &["Chart.yaml", "missing", "chart's folder"],
        },
        Case {
            name: "not there",
            setup: |root| root.join("nope"),
            want: &["nope", "no such file or directory"],
        },
        Case {
            name: "bad Chart.yaml",
            setup: |root| {
                write(
                    root,
                    &[("Chart.yaml", "apiVersion: v2\nname: app\nversion: latest\n")],
                );
                root.to_path_buf()
            },
            want: &["Chart.yaml", "`version: latest` is not a SemVer"],
        },
        Case {
            name: "annotations not a map",
            setup: |root| {
                write(
                    root,
                    &[(
                        "Chart.yaml",
                        "apiVersion: v2\nname: app\nversion: 1.0.0\nannotations: [x]\n",
                    )],
                );
                root.to_path_buf()
            },
            want: &["Chart.yaml", "annotations"],
        },
        Case {
            name: "symlink outside",
            setup: |root| {
                write(root, &[("Chart.yaml", CHART_YAML)]);
                std::fs::create_dir(root.join("templates")).unwrap();
                std::os::unix::fs::symlink("/etc/hostname", root.join("templates/host")).unwrap();
                root.to_path_buf()
            },
            want: &["templates/host", "outside the folder", "copy the file in"],
        },
        Case {
            name: "bad .helmignore",
            setup: |root| {
                write(
                    root,
                    &[("Chart.yaml", CHART_YAML), (".helmignore", "a/**/b\n")],
                );
                root.to_path_buf()
            },
            want: &[".helmignore", "line 1", "**"],
        },
        Case {
            name: "stray file in charts/",
            setup: |root| {
                write(
                    root,
                    &[("Chart.yaml", CHART_YAML), ("charts/README.md", "x\n")],
                );
                root.to_path_buf()
            },
            want: &[
                "charts/README.md",
                "neither a chart folder nor a chart .tgz",
            ],
        },
        Case {
            name: "file over Helm's limit",
            setup: |root| {
                write(root, &[("Chart.yaml", CHART_YAML)]);
                std::fs::write(root.join("big.bin"), vec![0u8; 5 * 1024 * 1024 + 1]).unwrap();
                root.to_path_buf()
            },
            want: &["big.bin", "Helm's limit", ".helmignore"],
        },
        Case {
            name: "not an archive",
            setup: |root| {
                let path = root.join("chart.tgz");
                std::fs::write(&path, "apiVersion: v2\n").unwrap();
                path
            },
            want: &[
                "chart.tgz",
                "neither a gzipped tar",
                "give a folder, a .tgz",
            ],
        },
    ];
    for case in cases {
        let dir = tempfile::tempdir().unwrap();
        let path = (case.setup)(dir.path());
        let error = Chart::load(&path).map(|_| ()).unwrap_err().to_string();
        for want in case.want {
            assert!(
                error.contains(want),
                "{}: {error:?} lacks {want:?}",
                case.name
            );
        }
    }
}

/// A tar entry with exactly this name, which the tar crate's safe path setters would refuse.
fn raw_entry(
    name: &str,
    kind: tar::EntryType,
    link: Option<&str>,
    data: &[u8],
) -> (tar::Header, Vec<u8>) {
    let mut header = tar::Header::new_gnu();
    {
        let gnu = header.as_gnu_mut().unwrap();
        gnu.name[..name.len()].copy_from_slice(name.as_bytes());
        if let Some(link) = link {
            gnu.linkname[..link.len()].copy_from_slice(link.as_bytes());
        }
    }
    header.set_entry_type(kind);
    header.set_mode(0o644);
    header.set_size(data.len() as u64);
    header.set_cksum();
    (header, data.to_vec())
}

fn hostile_archive(extra: (tar::Header, Vec<u8>)) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    for (header, data) in [
        raw_entry(
            "app/Chart.yaml",
            tar::EntryType::Regular,
            None,
            CHART_YAML.as_bytes(),
        ),
        extra,
    ] {
        tar.append(&header, data.as_slice()).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap()
}

#[test]
fn archives_with_paths_or_links_outside_their_top_folder_are_refused() {
    let cases = [
        (
            raw_entry("app/../../etc/evil", tar::EntryType::Regular, None, b"x"),
            "a `..` segment",
        ),
        (
            raw_entry("/etc/evil", tar::EntryType::Regular, None, b"x"),
            "an absolute path",
        ),
        (
            raw_entry(
                "app/templates/link",
                tar::EntryType::Symlink,
                Some("../../../etc/passwd"),
                b"",
            ),
            "a link to `../../../etc/passwd` inside the archive",
        ),
        (
            raw_entry(
                "app/templates/link",
                tar::EntryType::Symlink,
                Some("/etc/passwd"),
                b"",
            ),
            "a link to `/etc/passwd` inside the archive",
        ),
        (
            raw_entry(
                "app/templates/hard",
                tar::EntryType::Link,
                Some("../etc/passwd"),
                b"",
            ),
            "Helm reads a link in a chart archive as an empty file",
        ),
        (
            raw_entry("README.md", tar::EntryType::Regular, None, b"x"),
            "outside the chart's top folder",
        ),
    ];
    for ((header, data), want) in cases {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app-0.1.0.tgz");
        std::fs::write(&path, hostile_archive((header, data))).unwrap();
        let error = Chart::load(&path).map(|_| ()).unwrap_err().to_string();
        assert!(error.contains(want), "{error:?} lacks {want:?}");
        assert!(
            error.contains("app-0.1.0.tgz"),
            "{error:?} does not name the archive"
        );
    }
}

/// Helm reads a link inside a chart archive as an empty file while a folder's link is followed:
/// the archive is refused rather than linted as one thing and installed as another.
#[test]
fn a_link_inside_an_archive_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app-0.1.0.tgz");
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    for (header, data) in [
        raw_entry(
            "app/Chart.yaml",
            tar::EntryType::Regular,
            None,
            CHART_YAML.as_bytes(),
        ),
        raw_entry(
            "app/templates/cm.yaml",
            tar::EntryType::Regular,
            None,
            b"kind: ConfigMap\n",
        ),
        raw_entry(
            "app/templates/again.yaml",
            tar::EntryType::Symlink,
            Some("cm.yaml"),
            b"",
        ),
    ] {
        tar.append(&header, data.as_slice()).unwrap();
    }
    std::fs::write(&path, tar.into_inner().unwrap().finish().unwrap()).unwrap();
    let error = Chart::load(&path).unwrap_err().to_string();
    assert!(error.contains("app/templates/again.yaml"), "{error}");
    assert!(
        error.contains("a link to `cm.yaml` inside the archive"),
        "{error}"
    );
    assert!(error.contains("helm package"), "{error}");
}

#[test]
fn a_chart_written_as_a_folder_loads_back_the_same() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("Chart.yaml", CHART_YAML),
            ("values.yaml", "a: 1\n"),
            ("templates/cm.yaml", "kind: ConfigMap\n"),
            ("charts/sub/Chart.yaml", SUB_CHART_YAML),
            ("charts/sub/values.yaml", "s: 1\n"),
        ],
    );
    let mut chart = Chart::load(dir.path()).unwrap();
    chart.set_file("values.yaml", b"a: 2\n".to_vec());
    let out = dir.path().join("out");
    chart.write_dir(&out).unwrap();
    let reloaded = Chart::load(&out).unwrap();
    assert_eq!(reloaded.values_yaml(), Some(&b"a: 2\n"[..]));
    assert_eq!(
        reloaded.write_archive(Vec::new()).unwrap(),
        chart.write_archive(Vec::new()).unwrap()
    );
    assert!(
        chart.write_dir(&out).is_err(),
        "an existing folder is never written into"
    );
}

/// Names `helm package` cannot name the chart's folder after (found by fuzzing): each chart
/// loaded from them would be written into an archive that loads back without a subchart, or not
/// at all.
#[test]
fn names_that_cannot_name_the_charts_folder_are_refused() {
    let chart = |name: &str| format!("apiVersion: v2\nname: {name}\nversion: 1.0.0\n");
    let cases: Vec<(Vec<(&str, String)>, &str)> = vec![
        (
            vec![("c/Chart.yaml", chart("."))],
            "`name: .` is not a folder name",
        ),
        (
            vec![
                ("c/Chart.yaml", chart("c")),
                ("c/charts/a/Chart.yaml", chart("x")),
                ("c/charts/b/Chart.yaml", chart("x")),
            ],
            "a second subchart named `x`",
        ),
        (
            vec![
                ("c/Chart.yaml", chart("c")),
                ("c/charts/a/Chart.yaml", chart("x.tgz")),
            ],
            "ends like a chart archive",
        ),
        (
            vec![
                ("c/Chart.yaml", chart("c")),
                ("c/charts/a/Chart.yaml", chart("_x")),
            ],
            "starts with `.` or `_`",
        ),
    ];
    for (files, want) in cases {
        let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let mut tar = tar::Builder::new(gz);
        for (name, text) in &files {
            let (header, data) = raw_entry(name, tar::EntryType::Regular, None, text.as_bytes());
            tar.append(&header, data.as_slice()).unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c-1.0.0.tgz");
        std::fs::write(&path, tar.into_inner().unwrap().finish().unwrap()).unwrap();
        let error = Chart::load(&path).unwrap_err().to_string();
        assert!(error.contains(want), "{want}: {error}");
    }
}
