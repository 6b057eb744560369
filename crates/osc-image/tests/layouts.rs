//! Layouts other tools write that this crate's writer does not: compressed and linked layers,
//! Docker 25+'s combined layout, multi-platform indexes, `./` names.

mod common;

use common::{
    Entry, Kind, build, docker_archive, entries, find, find_by_suffix, gzip, json, oci_archive,
    rewrite, save, sha256, spec,
};
use osc_image::{Arch, Compression, DigestCheck, Error, Format, ImageArchive};
use serde_json::{Value, json};

fn inspect_and_verify(tar: &[u8]) -> ImageArchive {
    let dir = tempfile::tempdir().unwrap();
    let path = save(dir.path(), "image.tar", tar);
    let verified = osc_image::verify(&path).unwrap();
    assert_eq!(osc_image::inspect(&path).unwrap(), verified);
    verified
}

fn inspect_error(tar: &[u8]) -> Error {
    let dir = tempfile::tempdir().unwrap();
    osc_image::inspect(&save(dir.path(), "image.tar", tar)).unwrap_err()
}

fn blob_entry(bytes: &[u8]) -> Entry {
    Entry::file(&format!("blobs/sha256/{}", hex(&sha256(bytes))), bytes)
}

fn hex(digest: &str) -> &str {
    digest.trim_start_matches("sha256:")
}

fn descriptor(media_type: &str, bytes: &[u8]) -> Value {
    json!({ "mediaType": media_type, "digest": sha256(bytes), "size": bytes.len() })
}

/// The digest of the only manifest an archive written by this crate's `write_oci_archive` has.
fn manifest_digest(oci: &[Entry]) -> String {
    let index = json(
        oci.iter()
            .find(|entry| entry.name == "index.json")
            .unwrap()
            .content(),
    );
    index["manifests"][0]["digest"].as_str().unwrap().to_owned()
}

#[test]
fn docker_archive_with_a_gzip_layer() {
    let plain = docker_archive(&spec(Arch::X86_64, None));
    let tar = rewrite(&plain, |entries| {
        let layer = find_by_suffix(entries, "/layer.tar");
        layer.kind = Kind::File(gzip(layer.content()));
    });
    let archive = inspect_and_verify(&tar);
    let layer = &archive.images[0].layers[0];
    assert_eq!(layer.compression, Compression::Gzip);
    assert_eq!(
        layer.diff_id,
        inspect_and_verify(&plain).images[0].layers[0].diff_id
    );
    assert!(layer.size < 4096, "{}", layer.size);
}

#[test]
fn docker_archive_with_a_symlinked_layer() {
    // podman and old docker save a layer once as `<hex>.tar` and link `<id>/layer.tar` to it.
    let tar = rewrite(&docker_archive(&spec(Arch::X86_64, None)), |entries| {
        let layer = find_by_suffix(entries, "/layer.tar");
        let link_name = layer.name.clone();
        let stored_name = link_name.replace("/layer.tar", ".tar");
        layer.name = stored_name.clone();
        entries.push(Entry::symlink(&link_name, &format!("../{stored_name}")));
    });
    let archive = inspect_and_verify(&tar);
    assert!(archive.images[0].layers[0].entry.ends_with(".tar"));
    assert!(!archive.images[0].layers[0].entry.contains('/'));
}

#[test]
fn names_starting_with_dot_slash() {
    // `tar -C dir -cf image.tar .` writes `./manifest.json` and a `./` entry.
    let plain = docker_archive(&spec(Arch::X86_64, None));
    let tar = rewrite(&plain, |entries| {
        for entry in entries.iter_mut() {
            entry.name = format!("./{}", entry.name);
        }
        entries.insert(
            0,
            Entry {
                name: "./".to_owned(),
                kind: Kind::Dir,
            },
        );
    });
    assert_eq!(inspect_and_verify(&tar), inspect_and_verify(&plain));
}

/// Docker 25+ saves an OCI layout plus a `manifest.json` that points into `blobs/`.
fn docker_25_archive() -> Vec<u8> {
    let mut oci = entries(&oci_archive(&spec(Arch::Aarch64, Some("v8"))));
    let manifest_name = format!("blobs/sha256/{}", hex(&manifest_digest(&oci)));
    let manifest = json(find(&mut oci, &manifest_name).content());
    let blob = |descriptor: &Value| {
        format!(
            "blobs/sha256/{}",
            hex(descriptor["digest"].as_str().unwrap())
        )
    };
    let docker_manifest = json!([{
        "Config": blob(&manifest["config"]),
        "RepoTags": ["example.com/osc/hello:1.0.0"],
        "Layers": [blob(&manifest["layers"][0])],
    }]);
    oci.push(Entry::file("manifest.json", docker_manifest.to_string()));
    build(&oci)
}

#[test]
fn docker_25_archive_is_a_docker_archive_with_manifest_digests() {
    let archive = inspect_and_verify(&docker_25_archive());
    assert_eq!(archive.format, Format::DockerArchive);
    let oci = entries(&docker_25_archive());
    let image = &archive.images[0];
    assert_eq!(image.manifest_digest, Some(manifest_digest(&oci)));
    assert_eq!(
        image.layers[0].digest.as_deref(),
        Some(image.layers[0].diff_id.as_str())
    );
    assert_eq!(
        (&image.architecture, image.variant.as_deref()),
        (&Arch::Aarch64, Some("v8"))
    );
}

#[test]
fn docker_25_archive_with_a_damaged_blob_fails_verify() {
    let tar = rewrite(&docker_25_archive(), |entries| {
        let layer = entries
            .iter_mut()
            .find(|entry| entry.content().len() == 4096)
            .unwrap();
        let mut content = layer.content().to_vec();
        content[600] ^= 1;
        layer.kind = Kind::File(content);
    });
    let dir = tempfile::tempdir().unwrap();
    let path = save(dir.path(), "image.tar", &tar);
    osc_image::inspect(&path).unwrap();
    let error = osc_image::verify(&path).unwrap_err();
    assert!(
        matches!(
            error,
            Error::DigestMismatch {
                check: DigestCheck::Name,
                ..
            }
        ),
        "{error:?}"
    );
}

/// A multi-platform image: `index.json` → an image index → one manifest per platform. Only the
/// platforms in `keep` have their manifest and blobs in the tar, as when one platform is saved.
fn multi_platform(keep: &[Arch]) -> Vec<u8> {
    let mut tar_entries = Vec::new();
    let mut children = Vec::new();
    for (arch, variant) in [(Arch::X86_64, None), (Arch::Aarch64, Some("v8"))] {
        let oci = entries(&oci_archive(&spec(arch.clone(), variant)));
        let digest = manifest_digest(&oci);
        let manifest = oci
            .iter()
            .find(|entry| entry.name.ends_with(hex(&digest)))
            .unwrap();
        let mut child = descriptor(
            "application/vnd.oci.image.manifest.v1+json",
            manifest.content(),
        );
        child["platform"] = json!({ "architecture": arch.oci_name(), "os": "linux" });
        children.push(child);
        if keep.contains(&arch) {
            tar_entries.extend(
                oci.into_iter()
                    .filter(|entry| entry.name.starts_with("blobs/sha256/")),
            );
        }
    }
    let image_index = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": children,
    })
    .to_string();
    let mut top = descriptor(
        "application/vnd.oci.image.index.v1+json",
        image_index.as_bytes(),
    );
    top["annotations"] = json!({
        "io.containerd.image.name": "docker.io/library/hello:1.0.0",
        "org.opencontainers.image.ref.name": "1.0.0",
    });
    tar_entries.push(blob_entry(image_index.as_bytes()));
    tar_entries.push(Entry::file(
        "index.json",
        json!({ "schemaVersion": 2, "manifests": [top] }).to_string(),
    ));
    tar_entries.push(Entry::file(
        "oci-layout",
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    ));
    build(&tar_entries)
}

#[test]
fn multi_platform_index_gives_one_image_per_saved_platform() {
    let cases = [
        (
            vec![Arch::X86_64, Arch::Aarch64],
            vec![Arch::X86_64, Arch::Aarch64],
        ),
        (vec![Arch::Aarch64], vec![Arch::Aarch64]),
        (vec![Arch::X86_64], vec![Arch::X86_64]),
    ];
    for (keep, want) in cases {
        let archive = inspect_and_verify(&multi_platform(&keep));
        assert_eq!(archive.format, Format::OciArchive);
        let archs: Vec<Arch> = archive
            .images
            .iter()
            .map(|image| image.architecture.clone())
            .collect();
        assert_eq!(archs, want, "{keep:?}");
        for image in &archive.images {
            // containerd's whole name wins over the bare tag.
            assert_eq!(
                image.repo_tags,
                ["docker.io/library/hello:1.0.0"],
                "{keep:?}"
            );
        }
    }
}

#[test]
fn multi_platform_index_without_any_platform_is_an_error() {
    let error = inspect_error(&multi_platform(&[]));
    assert!(
        matches!(&error, Error::Invalid { entry, .. } if entry == "index.json"),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("leads to no image manifest held in the tar"),
        "{error}"
    );
}

#[test]
fn index_entries_naming_one_manifest_merge_their_tags() {
    let tar = rewrite(&oci_archive(&spec(Arch::X86_64, None)), |entries| {
        let index = find(entries, "index.json");
        let mut value = json(index.content());
        let mut second = value["manifests"][0].clone();
        second["annotations"]["org.opencontainers.image.ref.name"] =
            json!("example.com/osc/hello:latest");
        value["manifests"].as_array_mut().unwrap().push(second);
        index.kind = Kind::File(value.to_string().into_bytes());
    });
    let archive = inspect_and_verify(&tar);
    let [image] = archive.images.as_slice() else {
        panic!("{:?}", archive.images)
    };
    assert_eq!(
        image.repo_tags,
        [
            "example.com/osc/hello:1.0.0",
            "example.com/osc/hello:latest"
        ]
    );
}

#[test]
fn zstd_layer_is_checked_by_its_stored_digest_only() {
    // Bytes that start like zstd; verify cannot decompress them, so the diff_id goes unchecked.
    let layer: Vec<u8> = [0x28, 0xb5, 0x2f, 0xfd]
        .into_iter()
        .chain(*b"not really zstd")
        .collect();
    let config = json!({
        "architecture": "amd64",
        "os": "linux",
        "rootfs": { "type": "layers", "diff_ids": [sha256(b"the uncompressed layer")] },
    })
    .to_string();
    let manifest = json!({
        "schemaVersion": 2,
        "config": descriptor("application/vnd.oci.image.config.v1+json", config.as_bytes()),
        "layers": [descriptor("application/vnd.oci.image.layer.v1.tar+zstd", &layer)],
    })
    .to_string();
    let index = json!({
        "schemaVersion": 2,
        "manifests": [descriptor("application/vnd.oci.image.manifest.v1+json", manifest.as_bytes())],
    });
    let tar = build(&[
        blob_entry(config.as_bytes()),
        blob_entry(&layer),
        blob_entry(manifest.as_bytes()),
        Entry::file("index.json", index.to_string()),
        Entry::file("oci-layout", r#"{"imageLayoutVersion":"1.0.0"}"#),
    ]);
    let archive = inspect_and_verify(&tar);
    let image = &archive.images[0];
    assert_eq!(image.layers[0].compression, Compression::Zstd);
    assert_eq!(image.repo_tags, Vec::<String>::new());
}
