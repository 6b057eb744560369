//! `generate` on charts shaped like the ones key discovery reports; each snapshot shows the
//! mapping.yaml text and what was left out.

mod common;

use std::fmt::Write;

use common::{Scenario, etcd, found, key, subchart_key, tar};
use osc_image::{Arch, ImageSpec, inspect, write_docker_archive, write_oci_archive};
use osc_mapping::{Generated, Mapping, Tar, generate};
use osc_render::{AddressPart::*, ContainerType};

const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn cases() -> Vec<(&'static str, Scenario)> {
    vec![
        ("etcd", etcd()),
        ("image_used_through_two_key_sets", {
            let mut scenario = etcd();
            let os_shell = &mut scenario.images[1];
            os_shell.uses.extend(
                found(
                    "docker.io/bitnami/os-shell:12",
                    &[(
                        "templates/backup.yaml",
                        "CronJob",
                        "etcd-backup",
                        ContainerType::InitContainer,
                        "prepare",
                    )],
                    Vec::new(),
                )
                .uses,
            );
            os_shell.keys.extend([
                key("backup.prepare.image.registry", Endpoint, "docker.io"),
                key("backup.prepare.image.repository", Repo, "bitnami/os-shell"),
                key("backup.prepare.image.tag", Tag, "12"),
            ]);
            scenario
        }),
        (
            "shared_keys",
            Scenario {
                images: vec![
                    found(
                        "docker.io/acme/api:1.0",
                        &[(
                            "templates/api.yaml",
                            "Deployment",
                            "api",
                            ContainerType::Container,
                            "api",
                        )],
                        vec![
                            key("global.registry", Endpoint, "docker.io"),
                            key("api.repository", Repo, "acme/api"),
                            key("api.tag", Tag, "1.0"),
                        ],
                    ),
                    found(
                        "docker.io/acme/worker:1.0",
                        &[(
                            "templates/worker.yaml",
                            "Deployment",
                            "worker",
                            ContainerType::Container,
                            "worker",
                        )],
                        vec![
                            key("global.registry", Endpoint, "docker.io"),
                            key("worker.repository", Repo, "acme/worker"),
                            key("worker.tag", Tag, "1.0"),
                        ],
                    ),
                    found(
                        "docker.io/acme/api:1.0-debug",
                        &[(
                            "templates/debug.yaml",
                            "Pod",
                            "debug",
                            ContainerType::Container,
                            "debug",
                        )],
                        vec![
                            key("api.repository", Repository, "acme/api"),
                            key("debug.tag", Tag, "1.0-debug"),
                        ],
                    ),
                ],
                tars: vec![
                    tar("api.tar", &[("acme/api:1.0", Arch::X86_64)]),
                    tar("worker.tar", &[("acme/worker:1.0", Arch::X86_64)]),
                    tar("api-debug.tar", &[("acme/api:1.0-debug", Arch::X86_64)]),
                ],
                values: String::new(),
            },
        ),
        (
            "same_name_and_tag_from_other_repositories",
            Scenario {
                images: [
                    "docker.io/bitnami/redis:7.2",
                    "docker.io/acme/redis:7.2",
                    "quay.io/acme/redis:7.2",
                ]
                .into_iter()
                .zip(["bitnami.image", "acme.image", "quay.image"])
                .map(|(reference, path)| {
                    found(
                        reference,
                        &[(
                            "templates/redis.yaml",
                            "StatefulSet",
                            "redis",
                            ContainerType::Container,
                            "redis",
                        )],
                        vec![key(path, FullAddress, reference)],
                    )
                })
                .collect(),
                tars: Vec::new(),
                values: String::new(),
            },
        ),
        (
            "unmappable_images_and_keys",
            Scenario {
                images: vec![
                    found(
                        "docker.io/library/busybox:1.36",
                        &[(
                            "templates/job.yaml",
                            "Job",
                            "init",
                            ContainerType::Container,
                            "wait",
                        )],
                        Vec::new(),
                    ),
                    found(
                        &format!("docker.io/acme/pinned@{DIGEST}"),
                        &[(
                            "templates/pinned.yaml",
                            "Deployment",
                            "pinned",
                            ContainerType::Container,
                            "app",
                        )],
                        vec![key(
                            "pinned.image",
                            FullAddress,
                            &format!("docker.io/acme/pinned@{DIGEST}"),
                        )],
                    ),
                    found(
                        &format!("docker.io/acme/app:2.1@{DIGEST}"),
                        &[(
                            "templates/app.yaml",
                            "Deployment",
                            "app",
                            ContainerType::Container,
                            "app",
                        )],
                        vec![
                            key("app.registry", Endpoint, "docker.io"),
                            key("app.org", Partial, "acme"),
                            key("app.tag", Tag, "2.1"),
                            key("app.digest", Digest, DIGEST),
                            key("podAnnotations.\"example.com/image\"", Repo, "acme/app"),
                        ],
                    ),
                    found(
                        "docker.io/library/nginx",
                        &[(
                            "charts/web/templates/web.yaml",
                            "Deployment",
                            "web",
                            ContainerType::Container,
                            "nginx",
                        )],
                        vec![
                            subchart_key("web", "web.image.repository", Repository, "nginx"),
                            subchart_key("web", "web.image.tag", Tag, ""),
                        ],
                    ),
                ],
                tars: Vec::new(),
                values: String::new(),
            },
        ),
        ("tars_that_match_nothing", {
            let mut scenario = etcd();
            scenario.images.truncate(1);
            scenario.images.push(found(
                "docker.io/library/busybox:1.36",
                &[(
                    "templates/job.yaml",
                    "Job",
                    "init",
                    ContainerType::Container,
                    "wait",
                )],
                Vec::new(),
            ));
            scenario.images.push(found(
                "docker.io/acme/tool:1.0",
                &[(
                    "templates/tool.yaml",
                    "Job",
                    "tool",
                    ContainerType::Container,
                    "tool",
                )],
                vec![key("tool.image", FullAddress, "docker.io/acme/tool:1.0")],
            ));
            scenario.tars = vec![
                tar(
                    "etcd-3.5.0-x86_64.tar",
                    &[("bitnami/etcd:3.5.0", Arch::X86_64)],
                ),
                tar(
                    "etcd-copy.tar",
                    &[("docker.io/bitnami/etcd:3.5.0", Arch::X86_64)],
                ),
                tar(
                    "etcd-s390x.tar",
                    &[("bitnami/etcd:3.5.0", Arch::Other("s390x".to_owned()))],
                ),
                tar("busybox.tar", &[("busybox:1.36", Arch::X86_64)]),
                tar(
                    "redis.tar",
                    &[("redis:7.2", Arch::X86_64), ("redis:7.2", Arch::Aarch64)],
                ),
                tar("unnamed.tar", &[("", Arch::X86_64)]),
            ];
            scenario
        }),
    ]
}

#[test]
fn generated_mappings() {
    for (name, scenario) in cases() {
        let generated = generate(&format!("{name} 1.0.0"), &scenario.images, &scenario.tars);
        let parsed = Mapping::parse(&generated.text, "mapping.yaml").unwrap();
        assert_eq!(
            parsed, generated.mapping,
            "{name}: the text reads back as the mapping"
        );
        insta::assert_snapshot!(name, report(&generated));
    }
}

fn report(generated: &Generated) -> String {
    let mut out = generated.text.clone();
    out.push_str("\n---- unmatched images\n");
    for image in &generated.unmatched_images {
        writeln!(out, "{image}").unwrap();
    }
    out.push_str("---- unmatched tars\n");
    for tar in &generated.unmatched_tars {
        writeln!(out, "{}: {}", tar.file_name, tar.reason).unwrap();
    }
    out.push_str("---- unmappable\n");
    for unmappable in &generated.unmappable {
        let key = unmappable
            .key
            .as_deref()
            .map(|key| format!(" key {key}"))
            .unwrap_or_default();
        writeln!(out, "{}{key}: {}", unmappable.image, unmappable.reason).unwrap();
    }
    out
}

#[test]
fn tars_read_from_disk_are_matched_by_what_they_hold() {
    let dir = tempfile::tempdir().unwrap();
    let images = [
        ("etcd-amd64.tar", "bitnami/etcd:3.5.0", Arch::X86_64, None),
        (
            "etcd-arm64.tar",
            "docker.io/bitnami/etcd:3.5.0",
            Arch::Aarch64,
            Some("v8"),
        ),
    ];
    let mut tars = Vec::new();
    for (file_name, repo_tag, arch, variant) in images {
        let spec = ImageSpec {
            repo_tag: repo_tag.to_owned(),
            arch,
            variant: variant.map(str::to_owned),
            files: vec![("etc/os-release".to_owned(), b"ID=test\n".to_vec())],
        };
        let path = dir.path().join(file_name);
        let file = std::fs::File::create(&path).unwrap();
        if variant.is_some() {
            write_oci_archive(&spec, file).unwrap();
        } else {
            write_docker_archive(&spec, file).unwrap();
        }
        tars.push(Tar {
            file_name: file_name.to_owned(),
            archive: inspect(&path).unwrap(),
        });
    }
    let mut scenario = etcd();
    scenario.images.truncate(1);
    let generated = generate("etcd", &scenario.images, &tars);
    let package = &generated.mapping.instance[0].package;
    assert_eq!(package.x86_64.as_deref(), Some("etcd-amd64.tar"));
    assert_eq!(package.aarch64.as_deref(), Some("etcd-arm64.tar"));
    assert!(
        generated.unmatched_tars.is_empty(),
        "{:?}",
        generated.unmatched_tars
    );
}
