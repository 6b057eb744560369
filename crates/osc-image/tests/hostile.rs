//! Image tars built to hang or exhaust a reader: each is answered quickly, in bounded memory.

use std::io::Write as _;

use sha2::Digest as _;

fn digest(bytes: &[u8]) -> String {
    format!("{:x}", sha2::Sha256::digest(bytes))
}

fn tar_of(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (name, data) in entries {
        let mut header = tar::Header::new_ustar();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, name, data.as_slice()).unwrap();
    }
    tar.into_inner().unwrap()
}

/// An index that lists one child 20 times, seven levels deep: 20^7 paths, 8 distinct blobs.
#[test]
fn an_index_fanning_out_to_one_child_is_walked_once_per_blob() {
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:{}","size":{}}},"layers":[]}}"#,
        digest(config),
        config.len()
    );
    let mut blobs = vec![config.to_vec(), manifest.into_bytes()];
    let mut child = (digest(&blobs[1]), blobs[1].len(), "manifest");
    for _ in 0..7 {
        let one = format!(
            r#"{{"mediaType":"application/vnd.oci.image.{}.v1+json","digest":"sha256:{}","size":{}}}"#,
            child.2, child.0, child.1
        );
        let index = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{}]}}"#,
            vec![one; 20].join(",")
        );
        let bytes = index.into_bytes();
        child = (digest(&bytes), bytes.len(), "index");
        blobs.push(bytes);
    }
    let top = format!(
        r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:{}","size":{},"annotations":{{"org.opencontainers.image.ref.name":"demo:1"}}}}]}}"#,
        child.0, child.1
    );
    let mut entries = vec![
        (
            "oci-layout".to_string(),
            br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
        ),
        ("index.json".to_string(), top.into_bytes()),
    ];
    for blob in blobs {
        entries.push((format!("blobs/sha256/{}", digest(&blob)), blob));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fan.tar");
    std::fs::write(&path, tar_of(&entries)).unwrap();
    let archive = osc_image::inspect(&path).unwrap();
    assert_eq!(archive.images.len(), 1);
    assert_eq!(archive.images[0].repo_tags, ["demo:1"]);
}

#[test]
fn a_gnu_long_name_claiming_a_gigabyte_is_refused_from_its_header() {
    let mut header = tar::Header::new_gnu();
    header.as_gnu_mut().unwrap().name[..13].copy_from_slice(b"././@LongLink");
    header.set_entry_type(tar::EntryType::GNULongName);
    header.set_size(1 << 30);
    header.set_mode(0o644);
    header.set_cksum();
    let mut bytes = header.as_bytes().to_vec();
    bytes.extend_from_slice(&[b'a'; 1 << 20]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.tar");
    std::fs::File::create(&path)
        .unwrap()
        .write_all(&bytes)
        .unwrap();
    let error = osc_image::inspect(&path).unwrap_err().to_string();
    assert!(error.contains("long.tar"), "{error}");
    assert!(
        error.contains("a GNU long-name header of 1073741824 bytes"),
        "{error}"
    );
    assert!(
        error.len() < 1000,
        "the error echoes the header: {} bytes",
        error.len()
    );
}

#[cfg(unix)]
#[test]
fn a_fifo_named_like_a_tar_is_refused_without_opening_it() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("x.tar");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let error = osc_image::inspect(&fifo).unwrap_err().to_string();
    assert!(error.contains("not a regular file"), "{error}");
}
