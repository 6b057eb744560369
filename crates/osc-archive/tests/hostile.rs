//! Hostile and broken archives, each built here byte by byte: every one is refused with a named
//! error, quickly, without allocating what its headers claim.

use std::io::Write as _;
use std::path::Path;

use osc_archive::{Budget, Format, Limits, RelPath, Tree, ZipIndex};

/// A ustar header block.
fn header(name: &str, typeflag: u8, size: u64, link: &str) -> [u8; 512] {
    let mut block = [0u8; 512];
    block[..name.len()].copy_from_slice(name.as_bytes());
    block[100..107].copy_from_slice(b"0000644");
    block[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
    block[156] = typeflag;
    block[157..157 + link.len()].copy_from_slice(link.as_bytes());
    block[257..263].copy_from_slice(b"ustar\0");
    block[263..265].copy_from_slice(b"00");
    block[148..156].copy_from_slice(b"        ");
    let sum: u64 = block.iter().map(|&b| u64::from(b)).sum();
    block[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    block
}

#[derive(Default)]
struct TarBuilder(Vec<u8>);

impl TarBuilder {
    fn file(self, name: &str, data: &[u8]) -> Self {
        self.raw(name, b'0', data.len() as u64, "", data)
    }

    fn link(self, name: &str, typeflag: u8, target: &str) -> Self {
        self.raw(name, typeflag, 0, target, b"")
    }

    fn raw(mut self, name: &str, typeflag: u8, size: u64, link: &str, data: &[u8]) -> Self {
        self.0
            .extend_from_slice(&header(name, typeflag, size, link));
        self.0.extend_from_slice(data);
        let padded = self.0.len().div_ceil(512) * 512;
        self.0.resize(padded, 0);
        self
    }

    fn tgz(mut self) -> Vec<u8> {
        self.0.extend_from_slice(&[0; 1024]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&self.0).unwrap();
        gz.finish().unwrap()
    }
}

fn read(bytes: &[u8]) -> Result<Tree, osc_archive::Error> {
    osc_archive::read_nested(bytes, "in.tgz", &mut Budget::new(Limits::DEPLOYABLE))
}

#[track_caller]
fn refused(bytes: &[u8], want: &str) {
    match read(bytes) {
        Ok(tree) => panic!("read, want an error with {want:?}: {:?}", tree.files),
        Err(error) => assert!(
            error.to_string().contains(want),
            "want {want:?} in: {error}"
        ),
    }
}

#[test]
fn unsafe_tar_names_are_refused() {
    let cases = [
        ("chart/../../evil", "a `..` segment"),
        ("/etc/passwd", "an absolute path"),
        ("chart//templates/a.yaml", "an empty segment"),
        ("C:/windows", "a Windows drive path"),
    ];
    for (name, want) in cases {
        let tgz = TarBuilder::default()
            .file("chart/Chart.yaml", b"x")
            .file(name, b"x")
            .tgz();
        refused(&tgz, want);
    }
}

#[test]
fn links_and_special_files_are_refused() {
    let symlink = TarBuilder::default()
        .file("chart/templates/a.yaml", b"kind: A")
        .link("chart/templates/b.yaml", b'2', "a.yaml")
        .tgz();
    refused(
        &symlink,
        "Helm reads a link in a chart archive as an empty file",
    );
    let hardlink = TarBuilder::default()
        .file("chart/a", b"x")
        .link("chart/b", b'1', "chart/a")
        .tgz();
    refused(&hardlink, "a link to `chart/a`");
    for typeflag in [b'3', b'4', b'6', b'S'] {
        let special = TarBuilder::default()
            .raw("chart/dev", typeflag, 0, "", b"")
            .tgz();
        refused(&special, "not a regular file");
    }
}

#[test]
fn duplicates_are_refused() {
    let twice = TarBuilder::default()
        .file("chart/Chart.yaml", b"name: first")
        .file("chart/Chart.yaml", b"name: second")
        .tgz();
    refused(&twice, "twice in the archive");
    let normalised_twice = TarBuilder::default()
        .file("chart/values.yaml", b"a")
        .file("chart/./values.yaml", b"b")
        .tgz();
    refused(&normalised_twice, "twice in the archive");
    let file_and_folder = TarBuilder::default()
        .file("chart/templates", b"a")
        .file("chart/templates/x.yaml", b"b")
        .tgz();
    refused(&file_and_folder, "both a file and the folder");
}

#[test]
fn huge_headers_are_refused_before_allocating() {
    // A GNU long name claiming 1 GiB, and a PAX header claiming 256 MiB, in tiny archives.
    let long_name = TarBuilder::default()
        .raw("././@LongLink", b'L', 1 << 30, "", &[b'a'; 4096])
        .tgz();
    refused(&long_name, "a GNU long-name header of 1073741824 bytes");
    let pax = TarBuilder::default()
        .raw("PaxHeaders/x", b'x', 256 << 20, "", &[b'a'; 4096])
        .tgz();
    refused(&pax, "a PAX header of 268435456 bytes");
    // A file claiming more than the limit is refused from its header.
    let big = TarBuilder::default()
        .raw("chart/big", b'0', 6 << 20, "", b"")
        .tgz();
    refused(&big, "more than Helm's limit of 5242880 bytes for one file");
}

#[test]
fn the_total_counts_nested_archives() {
    let four_mib = vec![7u8; 4 << 20];
    let inner = TarBuilder::default().file("sub/a", &four_mib).tgz();
    let mut budget = Budget::new(Limits {
        file_bytes: 5 << 20,
        total_bytes: 6 << 20,
        entries: 100,
    });
    let outer = TarBuilder::default()
        .file("chart/charts/sub.tgz", &inner)
        .tgz();
    let tree = osc_archive::read_nested(&outer, "outer.tgz", &mut budget).unwrap();
    let nested = &tree.files[0].data;
    // The outer file (a few KiB compressed) fits; its 4 MiB of content does not, once more.
    osc_archive::read_nested(nested, "outer.tgz: charts/sub.tgz", &mut budget).unwrap();
    let error =
        osc_archive::read_nested(nested, "outer.tgz: charts/sub.tgz", &mut budget).unwrap_err();
    assert!(error.to_string().contains("in all"), "{error}");
}

#[test]
fn entry_counts_are_bounded() {
    let mut builder = TarBuilder::default();
    for index in 0..30 {
        builder = builder.file(&format!("chart/f{index}"), b"");
    }
    let mut budget = Budget::new(Limits {
        file_bytes: 10,
        total_bytes: 10,
        entries: 20,
    });
    let error = osc_archive::read_nested(&builder.tgz(), "in.tgz", &mut budget).unwrap_err();
    assert!(
        error.to_string().contains("more than 20 entries"),
        "{error}"
    );
}

#[test]
fn garbage_is_named_by_what_it_is() {
    refused(
        b"\x1f\x8bnot really gzip at all",
        "not a readable gzipped tar",
    );
    let error = osc_archive::read_nested(b"hello", "x.zip", &mut Budget::new(Limits::DEPLOYABLE))
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("neither a gzipped tar nor a zip"),
        "{error}"
    );
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, data) in entries {
        zip.start_file(*name, options).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// Renames every occurrence of `from` in the zip's bytes (local headers and central directory);
/// the zip writer refuses to write two entries of one name, so duplicates are made this way.
fn rename_in_zip(mut zip: Vec<u8>, from: &str, to: &str) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let (from, to) = (from.as_bytes(), to.as_bytes());
    let mut index = 0;
    while index + from.len() <= zip.len() {
        if &zip[index..index + from.len()] == from {
            zip[index..index + from.len()].copy_from_slice(to);
        }
        index += 1;
    }
    zip
}

#[test]
fn unsafe_zip_entries_are_refused() {
    type Entries<'a> = &'a [(&'a str, &'a [u8])];
    let cases: &[(Entries, &str)] = &[
        (&[("top/../../../../tmp/evil", b"x")], "a `..` segment"),
        (&[("/etc/evil", b"x")], "an absolute path"),
        (&[("top//x", b"x")], "an empty segment"),
    ];
    for (entries, want) in cases {
        refused(&zip_of(entries), want);
    }
    let twice = rename_in_zip(
        zip_of(&[("op/mapping.yaml", b"a"), ("op/mapping.yamX", b"b")]),
        "op/mapping.yamX",
        "op/mapping.yaml",
    );
    refused(&twice, "twice in the archive");

    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.add_symlink(
        "op/manifests/x.yaml",
        "/etc/passwd",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    refused(
        &zip.finish().unwrap().into_inner(),
        "a symbolic link inside the zip",
    );
}

#[test]
fn the_zip_index_lists_every_refused_entry() {
    let bytes = rename_in_zip(
        zip_of(&[
            ("svc/package/svc-1.0.0.tgz", b"x"),
            ("svc/images/mapping.yaml", b"a"),
            ("svc/images/mapping.yamX", b"b"),
            ("x/../../../../etc/x", b"evil"),
        ]),
        "svc/images/mapping.yamX",
        "svc/images/mapping.yaml",
    );
    let (index, refused) = ZipIndex::new(std::io::Cursor::new(bytes), "svc-1.0.0.zip").unwrap();
    let entries: Vec<&str> = index.entries().iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        entries,
        ["svc/package/svc-1.0.0.tgz", "svc/images/mapping.yaml"]
    );
    let messages: Vec<String> = refused
        .iter()
        .map(|r| format!("{}: {}", r.entry, r.message))
        .collect();
    assert_eq!(messages.len(), 2, "{messages:#?}");
    assert!(messages[0].contains("is in the zip twice"), "{messages:#?}");
    assert!(messages[1].contains("a `..` segment"), "{messages:#?}");
}

#[cfg(unix)]
#[test]
fn a_fifo_in_a_folder_is_refused_without_opening_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Chart.yaml"), "name: x").unwrap();
    let fifo = dir.path().join(".helmignore");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    let error = osc_archive::read(dir.path(), &mut Budget::new(Limits::DEPLOYABLE), &|_, _| {
        false
    })
    .unwrap_err();
    assert!(error.to_string().contains("not a regular file"), "{error}");
    let error = osc_archive::read_regular_file(&fifo, &fifo, 100).unwrap_err();
    assert!(error.to_string().contains("not a regular file"), "{error}");
    let error = osc_archive::sniff(&fifo).unwrap_err();
    assert!(error.to_string().contains("not a regular file"), "{error}");
}

#[cfg(unix)]
#[test]
fn folder_links_stay_inside_and_loops_stop() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("chart");
    std::fs::create_dir_all(root.join("templates")).unwrap();
    std::fs::write(root.join("templates/a.yaml"), "a").unwrap();
    std::os::unix::fs::symlink("a.yaml", root.join("templates/b.yaml")).unwrap();
    let tree =
        osc_archive::read(&root, &mut Budget::new(Limits::DEPLOYABLE), &|_, _| false).unwrap();
    let names: Vec<&str> = tree.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(names, ["templates/a.yaml", "templates/b.yaml"]);
    assert_eq!(tree.format, Format::Dir);

    std::os::unix::fs::symlink("..", root.join("templates/up")).unwrap();
    let error =
        osc_archive::read(&root, &mut Budget::new(Limits::DEPLOYABLE), &|_, _| false).unwrap_err();
    assert!(error.to_string().contains("a loop"), "{error}");
    std::fs::remove_file(root.join("templates/up")).unwrap();

    std::fs::write(dir.path().join("secret"), "s").unwrap();
    std::os::unix::fs::symlink("../secret", root.join("leak")).unwrap();
    let error =
        osc_archive::read(&root, &mut Budget::new(Limits::DEPLOYABLE), &|_, _| false).unwrap_err();
    assert!(error.to_string().contains("outside the folder"), "{error}");
}

#[test]
fn writes_land_inside_and_outputs_are_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    osc_archive::write_new_dir(&out, |staged| -> Result<(), osc_archive::OutputError> {
        osc_archive::write_under(staged, &RelPath::parse("a/b.txt").unwrap(), b"x")
    })
    .unwrap();
    assert_eq!(std::fs::read(out.join("a/b.txt")).unwrap(), b"x");
    let again =
        osc_archive::write_new_dir(&out, |_| -> Result<(), osc_archive::OutputError> { Ok(()) });
    assert!(again.unwrap_err().to_string().contains("already exists"));

    #[cfg(unix)]
    {
        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();
        let error =
            osc_archive::write_new_dir(&dangling, |_| -> Result<(), osc_archive::OutputError> {
                Ok(())
            })
            .unwrap_err();
        assert!(error.to_string().contains("a symbolic link"), "{error}");
        let error = osc_archive::write_file(&dangling, b"x").unwrap_err();
        assert!(error.to_string().contains("a symbolic link"), "{error}");
        assert!(!dir.path().join("nowhere").exists());

        use std::os::unix::fs::PermissionsExt as _;
        let file = dir.path().join("mapping.yaml");
        osc_archive::write_file(&file, b"instance: []\n").unwrap();
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode & 0o644, 0o644 & mode);
        assert_eq!(mode & 0o600, 0o600, "{mode:o}");
        assert_eq!(mode & 0o133, 0, "{mode:o}");
    }
    let error = osc_archive::write_file(dir.path(), b"x").unwrap_err();
    assert!(error.to_string().contains("a folder"), "{error}");
    let _ = Path::new("");
}
