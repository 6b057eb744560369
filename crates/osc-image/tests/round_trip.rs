//! Images written by this crate read back as written, in both formats and for both architectures.

mod common;

use common::{entries, find_by_suffix, json, listing, save, sha256, spec};
use osc_image::{Arch, Compression, Format, ImageSpec};

struct Case {
    name: &'static str,
    format: Format,
    arch: Arch,
    variant: Option<&'static str>,
}

const CASES: [Case; 4] = [
    Case {
        name: "docker_amd64",
        format: Format::DockerArchive,
        arch: Arch::X86_64,
        variant: None,
    },
    Case {
        name: "docker_arm64_v8",
        format: Format::DockerArchive,
        arch: Arch::Aarch64,
        variant: Some("v8"),
    },
    Case {
        name: "oci_amd64",
        format: Format::OciArchive,
        arch: Arch::X86_64,
        variant: None,
    },
    Case {
        name: "oci_arm64_v8",
        format: Format::OciArchive,
        arch: Arch::Aarch64,
        variant: Some("v8"),
    },
];

fn write(format: Format, spec: &ImageSpec) -> Vec<u8> {
    match format {
        Format::DockerArchive => common::docker_archive(spec),
        Format::OciArchive => common::oci_archive(spec),
    }
}

#[test]
fn written_images_inspect_and_verify_as_written() {
    let dir = tempfile::tempdir().unwrap();
    for case in CASES {
        let spec = spec(case.arch.clone(), case.variant);
        let tar = write(case.format, &spec);
        let path = save(dir.path(), &format!("{}.tar", case.name), &tar);

        let inspected = osc_image::inspect(&path).unwrap();
        let verified = osc_image::verify(&path).unwrap();
        assert_eq!(inspected, verified, "{}", case.name);
        assert_eq!(inspected.format, case.format, "{}", case.name);
        let [image] = inspected.images.as_slice() else {
            panic!("{}: {:?}", case.name, inspected.images)
        };
        assert_eq!(
            image.repo_tags,
            std::slice::from_ref(&spec.repo_tag),
            "{}",
            case.name
        );
        assert_eq!(image.architecture, case.arch, "{}", case.name);
        assert_eq!(image.os, "linux", "{}", case.name);
        assert_eq!(image.variant.as_deref(), case.variant, "{}", case.name);

        // The digests must be those of the bytes in the tar, found independently of the crate.
        let mut all = entries(&tar);
        let layer_bytes = find_by_suffix(&mut all, &image.layers[0].entry)
            .content()
            .to_vec();
        let [layer] = image.layers.as_slice() else {
            panic!("{}: {:?}", case.name, image.layers)
        };
        assert_eq!(layer.diff_id, sha256(&layer_bytes), "{}", case.name);
        assert_eq!(layer.size, layer_bytes.len() as u64, "{}", case.name);
        assert_eq!(image.size, layer.size, "{}", case.name);
        assert_eq!(layer.compression, Compression::None, "{}", case.name);
        let config_name = match case.format {
            Format::DockerArchive => {
                format!("{}.json", image.config_digest.trim_start_matches("sha256:"))
            }
            Format::OciArchive => format!(
                "blobs/sha256/{}",
                image.config_digest.trim_start_matches("sha256:")
            ),
        };
        let config = json(find_by_suffix(&mut all, &config_name).content());
        assert_eq!(
            config["architecture"],
            case.arch.oci_name(),
            "{}",
            case.name
        );
        assert_eq!(
            config["rootfs"]["diff_ids"][0],
            layer.diff_id.as_str(),
            "{}",
            case.name
        );
        match case.format {
            Format::DockerArchive => {
                assert_eq!(image.manifest_digest, None, "{}", case.name);
                assert_eq!(layer.digest, None, "{}", case.name);
            }
            Format::OciArchive => {
                let index = json(find_by_suffix(&mut all, "index.json").content());
                assert_eq!(
                    index["manifests"][0]["digest"],
                    image.manifest_digest.as_deref().unwrap()
                );
                assert_eq!(
                    layer.digest.as_deref(),
                    Some(layer.diff_id.as_str()),
                    "{}",
                    case.name
                );
            }
        }

        // The layer holds the spec's files under their directories, and nothing else.
        insta::assert_snapshot!(format!("{}_layer", case.name), listing(&layer_bytes));
        insta::assert_snapshot!(format!("{}_tar", case.name), listing(&tar));
        insta::assert_yaml_snapshot!(format!("{}_inspect", case.name), inspected);
    }
}

#[test]
fn writing_twice_gives_the_same_bytes() {
    for case in CASES {
        let spec = spec(case.arch, case.variant);
        assert!(
            write(case.format, &spec) == write(case.format, &spec),
            "{}",
            case.name
        );
    }
}

#[test]
fn layer_files_keep_their_content() {
    let spec = spec(Arch::X86_64, None);
    let mut all = entries(&common::docker_archive(&spec));
    let layer = find_by_suffix(&mut all, "/layer.tar").content().to_vec();
    let files: Vec<(String, Vec<u8>)> = entries(&layer)
        .into_iter()
        .filter(|entry| matches!(entry.kind, common::Kind::File(_)))
        .map(|entry| (entry.name.clone(), entry.content().to_vec()))
        .collect();
    assert_eq!(files, spec.files);
}

#[test]
fn bad_specs_are_refused() {
    type Change = fn(&mut ImageSpec);
    let cases: [(&str, Change); 8] = [
        ("no tag", |spec| {
            spec.repo_tag = "example.com/hello".to_owned()
        }),
        ("registry port but no tag", |spec| {
            spec.repo_tag = "localhost:5000/hello".to_owned()
        }),
        ("upper-case name", |spec| {
            spec.repo_tag = "Hello:1".to_owned()
        }),
        ("bad tag", |spec| spec.repo_tag = "hello:-1".to_owned()),
        ("absolute path", |spec| {
            spec.files.push(("/etc/passwd".to_owned(), vec![]))
        }),
        ("climbing path", |spec| {
            spec.files.push(("a/../../b".to_owned(), vec![]))
        }),
        ("duplicate path", |spec| {
            spec.files.push(("hello.txt".to_owned(), vec![]))
        }),
        ("file below a file", |spec| {
            spec.files.push(("hello.txt/x".to_owned(), vec![]))
        }),
    ];
    let mut messages = String::new();
    for (name, change) in cases {
        let mut spec = spec(Arch::X86_64, None);
        change(&mut spec);
        let docker = osc_image::write_docker_archive(&spec, Vec::new())
            .unwrap_err()
            .to_string();
        let oci = osc_image::write_oci_archive(&spec, Vec::new())
            .unwrap_err()
            .to_string();
        assert_eq!(docker, oci, "{name}");
        messages += &format!("{name}: {docker}\n");
    }
    insta::assert_snapshot!(messages);
}

#[test]
fn arch_names() {
    let cases = [
        ("amd64", Arch::X86_64, "x86_64"),
        ("x86_64", Arch::X86_64, "x86_64"),
        ("arm64", Arch::Aarch64, "aarch64"),
        ("aarch64", Arch::Aarch64, "aarch64"),
        ("s390x", Arch::Other("s390x".to_owned()), "s390x"),
    ];
    for (name, arch, shown) in cases {
        assert_eq!(Arch::from(name), arch, "{name}");
        assert_eq!(arch.to_string(), shown, "{name}");
    }
}
