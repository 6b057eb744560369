//! Damaged and wrong tars, each made here from a good one, give the error that names what is wrong.

mod common;

use common::{
    Entry, build, docker_archive, entry_position, find, find_by_suffix, gzip, oci_archive, rewrite,
    save, spec,
};
use osc_image::{Arch, DigestCheck, Error};

/// Which call must fail: `inspect` errors fail `verify` too; `verify` ones pass `inspect`.
#[derive(Clone, Copy, PartialEq, Debug)]
enum FailsIn {
    Inspect,
    Verify,
}

struct Case {
    name: &'static str,
    tar: Vec<u8>,
    fails_in: FailsIn,
    is_expected: fn(&Error) -> bool,
}

fn docker() -> Vec<u8> {
    docker_archive(&spec(Arch::X86_64, None))
}

fn oci() -> Vec<u8> {
    oci_archive(&spec(Arch::Aarch64, Some("v8")))
}

/// The name of the only layer of a written docker archive.
fn docker_layer_name() -> String {
    common::entries(&docker())
        .into_iter()
        .find(|entry| entry.name.ends_with("/layer.tar"))
        .unwrap()
        .name
}

/// The entry name of a written OCI archive's `manifest`, `config` or `layer` blob.
fn oci_blob(kind: &str) -> String {
    let entries = common::entries(&oci());
    let index = common::json(
        entries
            .iter()
            .find(|entry| entry.name == "index.json")
            .unwrap()
            .content(),
    );
    let manifest_hex = index["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .trim_start_matches("sha256:")
        .to_owned();
    let manifest_name = format!("blobs/sha256/{manifest_hex}");
    if kind == "manifest" {
        return manifest_name;
    }
    let manifest = common::json(
        entries
            .iter()
            .find(|entry| entry.name == manifest_name)
            .unwrap()
            .content(),
    );
    let digest = match kind {
        "config" => manifest["config"]["digest"].as_str().unwrap(),
        _ => manifest["layers"][0]["digest"].as_str().unwrap(),
    };
    format!("blobs/sha256/{}", digest.trim_start_matches("sha256:"))
}

fn flip_byte(content: &mut [u8], at: usize) {
    content[at] ^= 0x55;
}

fn set_file(entries: &mut [Entry], name: &str, content: impl Into<Vec<u8>>) {
    find(entries, name).kind = common::Kind::File(content.into());
}

fn cases() -> Vec<Case> {
    let layer = docker_layer_name();
    let (_, layer_data) = entry_position(&docker(), &layer);
    let (manifest_header, _) = entry_position(&docker(), "manifest.json");
    let oci_layer = oci_blob("layer");
    vec![
        Case {
            name: "random bytes",
            tar: (0..2000u32)
                .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
                .collect(),
            fails_in: FailsIn::Inspect,
            is_expected: |e| matches!(e, Error::NotATar { .. }),
        },
        Case {
            name: "empty file",
            tar: Vec::new(),
            fails_in: FailsIn::Inspect,
            is_expected: |e| matches!(e, Error::NotATar { .. }),
        },
        Case {
            name: "gzip-compressed tar",
            tar: gzip(&docker()),
            fails_in: FailsIn::Inspect,
            is_expected: |e| matches!(e, Error::Compressed { .. }),
        },
        Case {
            name: "cut in the middle of a layer",
            tar: docker()[..layer_data as usize + 700].to_vec(),
            fails_in: FailsIn::Inspect,
            is_expected: |e| matches!(e, Error::Truncated { .. }),
        },
        Case {
            name: "cut in the middle of a header",
            tar: docker()[..manifest_header as usize + 100].to_vec(),
            fails_in: FailsIn::Inspect,
            is_expected: |e| matches!(e, Error::Truncated { .. }),
        },
        Case {
            name: "cut between entries",
            tar: docker()[..manifest_header as usize].to_vec(),
            fails_in: FailsIn::Inspect,
            is_expected: |e| matches!(e, Error::Truncated { .. }),
        },
        Case {
            name: "damaged header in the middle",
            tar: {
                let mut tar = docker();
                flip_byte(&mut tar, manifest_header as usize + 10);
                tar
            },
            fails_in: FailsIn::Inspect,
            is_expected: |e| matches!(e, Error::CorruptTar { .. }),
        },
        Case {
            name: "a tar without manifest.json or index.json",
            tar: build(&[Entry::file("hello.txt", "hello\n")]),
            fails_in: FailsIn::Inspect,
            is_expected: |e| matches!(e, Error::NotAnImageArchive { .. }),
        },
        Case {
            name: "manifest names a missing layer",
            tar: rewrite(&docker(), |entries| {
                entries.retain(|entry| entry.name != layer)
            }),
            fails_in: FailsIn::Inspect,
            is_expected: |e| matches!(e, Error::MissingEntry { .. }),
        },
        Case {
            name: "manifest names a missing config",
            tar: rewrite(&docker(), |entries| {
                entries
                    .retain(|entry| !entry.name.ends_with(".json") || entry.name == "manifest.json")
            }),
            fails_in: FailsIn::Inspect,
            is_expected: |e| matches!(e, Error::MissingEntry { .. }),
        },
        Case {
            name: "bad JSON in manifest.json",
            tar: rewrite(&docker(), |entries| {
                set_file(entries, "manifest.json", "[{\"Config\": ")
            }),
            fails_in: FailsIn::Inspect,
            is_expected: |e| matches!(e, Error::BadJson { .. }),
        },
        Case {
            name: "config without architecture",
            tar: rewrite(&docker(), |entries| {
                let config = entries
                    .iter_mut()
                    .find(|entry| entry.name.ends_with(".json") && entry.name != "manifest.json")
                    .unwrap();
                let mut json = common::json(config.content());
                json.as_object_mut().unwrap().remove("architecture");
                config.kind = common::Kind::File(json.to_string().into_bytes());
            }),
            fails_in: FailsIn::Inspect,
            is_expected: |e| matches!(e, Error::BadJson { .. }),
        },
        Case {
            name: "config lists fewer diff_ids than the manifest layers",
            tar: rewrite(&docker(), |entries| {
                let manifest = find(entries, "manifest.json");
                let mut json = common::json(manifest.content());
                let layer = json[0]["Layers"][0].clone();
                json[0]["Layers"].as_array_mut().unwrap().push(layer);
                manifest.kind = common::Kind::File(json.to_string().into_bytes());
            }),
            fails_in: FailsIn::Inspect,
            is_expected: |e| matches!(e, Error::Invalid { .. }),
        },
        Case {
            name: "symlink loop",
            tar: rewrite(&docker(), |entries| {
                let manifest = find(entries, "manifest.json");
                let json = String::from_utf8(manifest.content().to_vec())
                    .unwrap()
                    .replace(&layer, "a/layer.tar");
                manifest.kind = common::Kind::File(json.into_bytes());
                entries.push(Entry::symlink("a/layer.tar", "../b/layer.tar"));
                entries.push(Entry::symlink("b/layer.tar", "../a/layer.tar"));
            }),
            fails_in: FailsIn::Inspect,
            is_expected: |e| matches!(e, Error::Invalid { .. }),
        },
        Case {
            name: "oversized JSON entry",
            tar: rewrite(&docker(), |entries| {
                set_file(entries, "manifest.json", vec![b' '; 17 * 1024 * 1024])
            }),
            fails_in: FailsIn::Inspect,
            is_expected: |e| matches!(e, Error::JsonTooLarge { .. }),
        },
        Case {
            name: "layer content does not match its diff_id",
            tar: rewrite(&docker(), |entries| {
                flip_byte(content_mut(find(entries, &layer)), 600)
            }),
            fails_in: FailsIn::Verify,
            is_expected: |e| {
                matches!(
                    e,
                    Error::DigestMismatch {
                        check: DigestCheck::DiffId,
                        ..
                    }
                )
            },
        },
        Case {
            name: "gzip layer whose content does not match its diff_id",
            tar: rewrite(&docker(), |entries| {
                let layer = find(entries, &layer);
                let mut content = layer.content().to_vec();
                flip_byte(&mut content, 600);
                layer.kind = common::Kind::File(gzip(&content));
            }),
            fails_in: FailsIn::Verify,
            is_expected: |e| {
                matches!(
                    e,
                    Error::DigestMismatch {
                        check: DigestCheck::UncompressedDiffId,
                        ..
                    }
                )
            },
        },
        Case {
            name: "corrupt gzip layer",
            tar: rewrite(&docker(), |entries| {
                let layer = find(entries, &layer);
                let mut gzipped = gzip(layer.content());
                let middle = gzipped.len() / 2;
                flip_byte(&mut gzipped, middle);
                layer.kind = common::Kind::File(gzipped);
            }),
            fails_in: FailsIn::Verify,
            is_expected: |e| matches!(e, Error::CorruptGzip { .. }),
        },
        Case {
            name: "truncated gzip layer",
            tar: rewrite(&docker(), |entries| {
                let layer = find(entries, &layer);
                let mut gzipped = gzip(layer.content());
                gzipped.truncate(gzipped.len() - 20);
                layer.kind = common::Kind::File(gzipped);
            }),
            fails_in: FailsIn::Verify,
            is_expected: |e| matches!(e, Error::CorruptGzip { .. }),
        },
        Case {
            name: "OCI layer blob does not match its digest",
            tar: rewrite(&oci(), |entries| {
                flip_byte(content_mut(find(entries, &oci_layer)), 600)
            }),
            fails_in: FailsIn::Verify,
            is_expected: |e| {
                matches!(
                    e,
                    Error::DigestMismatch {
                        check: DigestCheck::Manifest,
                        ..
                    }
                )
            },
        },
        Case {
            name: "OCI layer blob of another size than its descriptor",
            tar: rewrite(&oci(), |entries| {
                let layer = find(entries, &oci_layer);
                let mut content = layer.content().to_vec();
                content.extend_from_slice(&[0; 512]);
                layer.kind = common::Kind::File(content);
            }),
            fails_in: FailsIn::Inspect,
            is_expected: |e| matches!(e, Error::Invalid { .. }),
        },
        Case {
            name: "OCI manifest blob does not match its name",
            tar: rewrite(&oci(), |entries| {
                let manifest = find(entries, &oci_blob("manifest"));
                let json = String::from_utf8(manifest.content().to_vec())
                    .unwrap()
                    .replacen("\"schemaVersion\":2", "\"schemaVersion\":3", 1);
                manifest.kind = common::Kind::File(json.into_bytes());
            }),
            fails_in: FailsIn::Inspect,
            is_expected: |e| {
                matches!(
                    e,
                    Error::DigestMismatch {
                        check: DigestCheck::Name,
                        ..
                    }
                )
            },
        },
        Case {
            name: "OCI index names a missing manifest",
            tar: rewrite(&oci(), |entries| {
                entries.retain(|entry| entry.name != oci_blob("manifest"))
            }),
            fails_in: FailsIn::Inspect,
            is_expected: |e| matches!(e, Error::MissingEntry { .. }),
        },
        Case {
            name: "OCI manifest names a missing config",
            tar: rewrite(&oci(), |entries| {
                entries.retain(|entry| entry.name != oci_blob("config"))
            }),
            fails_in: FailsIn::Inspect,
            is_expected: |e| matches!(e, Error::MissingEntry { .. }),
        },
        Case {
            name: "OCI index with a malformed digest",
            tar: rewrite(&oci(), |entries| {
                let index = find(entries, "index.json");
                let json = String::from_utf8(index.content().to_vec())
                    .unwrap()
                    .replacen("sha256:", "sha256:../", 1);
                index.kind = common::Kind::File(json.into_bytes());
            }),
            fails_in: FailsIn::Inspect,
            is_expected: |e| matches!(e, Error::Invalid { .. }),
        },
    ]
}

fn content_mut(entry: &mut Entry) -> &mut Vec<u8> {
    match &mut entry.kind {
        common::Kind::File(content) => content,
        other => panic!("{} is {other:?}", entry.name),
    }
}

#[test]
fn damaged_tars_give_the_error_that_names_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let mut messages = String::new();
    for case in cases() {
        let path = save(dir.path(), "image.tar", &case.tar);
        let inspected = osc_image::inspect(&path);
        let verified = osc_image::verify(&path);
        let error = match case.fails_in {
            FailsIn::Inspect => {
                let error = inspected.expect_err(case.name);
                let verify_error = verified.expect_err(case.name);
                assert_eq!(error.to_string(), verify_error.to_string(), "{}", case.name);
                error
            }
            FailsIn::Verify => {
                if let Err(error) = inspected {
                    panic!("{}: inspect failed: {error}", case.name);
                }
                verified.expect_err(case.name)
            }
        };
        assert!(
            (case.is_expected)(&error),
            "{}: unexpected error {error:?}",
            case.name
        );
        let message = error
            .to_string()
            .replace(&dir.path().display().to_string(), "<dir>");
        messages += &format!("{} ({:?}):\n  {message}\n", case.name, case.fails_in);
    }
    insta::assert_snapshot!(messages);
}

#[test]
fn a_missing_file_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let error = osc_image::inspect(&dir.path().join("absent.tar")).unwrap_err();
    assert!(matches!(error, Error::Io { .. }), "{error:?}");
}

#[test]
fn inspect_does_not_read_layer_data() {
    // A layer whose bytes are all wrong still inspects, reporting the digests the archive states.
    let tar = rewrite(&docker(), |entries| {
        let layer = find_by_suffix(entries, "/layer.tar");
        let len = layer.content().len();
        layer.kind = common::Kind::File(vec![0xab; len]);
    });
    let dir = tempfile::tempdir().unwrap();
    let path = save(dir.path(), "image.tar", &tar);
    let image = &osc_image::inspect(&path).unwrap().images[0];
    let diff_id = &image.layers[0].diff_id;
    assert!(
        diff_id.ends_with(docker_layer_name().trim_end_matches("/layer.tar")),
        "{diff_id}"
    );
}
