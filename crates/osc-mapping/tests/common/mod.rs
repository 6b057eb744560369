//! A bitnami-style etcd chart as key discovery would report it, with its image tars.

#![allow(dead_code)] // each test binary uses its own subset

use osc_image::{Arch, Format, Image, ImageArchive};
use osc_imageref::ImageRef;
use osc_mapping::Tar;
use osc_render::{
    AddressPart, ContainerType, FoundImage, ImageField, ImageUse, KeyOrigin, KeyPart,
};

pub const ETCD_VALUES: &str = include_str!("../fixtures/etcd/chart/values.yaml");

pub struct Scenario {
    pub images: Vec<FoundImage>,
    pub tars: Vec<Tar>,
    pub values: String,
}

/// Four images whose every part comes from values.yaml, and an amd64 and an arm64 tar of each.
pub fn etcd() -> Scenario {
    use AddressPart::*;
    let registry = "global.imageRegistry";
    Scenario {
        images: vec![
            found(
                "docker.io/bitnami/etcd:3.5.0",
                &[(
                    "templates/statefulset.yaml",
                    "StatefulSet",
                    "etcd",
                    ContainerType::Container,
                    "etcd",
                )],
                vec![
                    key("image.registry", Endpoint, "docker.io"),
                    key("image.repository", Repo, "bitnami/etcd"),
                    key("image.tag", Tag, "3.5.0"),
                    key(registry, Endpoint, ""),
                ],
            ),
            found(
                "docker.io/bitnami/os-shell:12",
                &[(
                    "templates/statefulset.yaml",
                    "StatefulSet",
                    "etcd",
                    ContainerType::InitContainer,
                    "volume-permissions",
                )],
                vec![
                    key("volumePermissions.image.registry", Endpoint, "docker.io"),
                    key(
                        "volumePermissions.image.repository",
                        Repo,
                        "bitnami/os-shell",
                    ),
                    key("volumePermissions.image.tag", Tag, "12"),
                    key(registry, Endpoint, ""),
                ],
            ),
            found(
                "docker.io/bitnami/etcd-exporter:0.9.4",
                &[(
                    "templates/metrics.yaml",
                    "Deployment",
                    "etcd-metrics",
                    ContainerType::Container,
                    "exporter",
                )],
                vec![key(
                    "metrics.image",
                    FullAddress,
                    "docker.io/bitnami/etcd-exporter:0.9.4",
                )],
            ),
            found(
                "quay.io/coreos/etcd-operator:0.9.4",
                &[(
                    "templates/backup.yaml",
                    "CronJob",
                    "etcd-backup",
                    ContainerType::Container,
                    "backup",
                )],
                vec![
                    key(
                        "backup.image.repository",
                        Repository,
                        "quay.io/coreos/etcd-operator",
                    ),
                    key("backup.image.tag", Tag, "0.9.4"),
                ],
            ),
        ],
        tars: vec![
            tar(
                "etcd-3.5.0-x86_64.tar",
                &[("bitnami/etcd:3.5.0", Arch::X86_64)],
            ),
            tar(
                "etcd-3.5.0-aarch64.tar",
                &[("docker.io/bitnami/etcd:3.5.0", Arch::Aarch64)],
            ),
            tar("os-shell-12.tar", &[("bitnami/os-shell:12", Arch::X86_64)]),
            tar(
                "os-shell-12-arm64.tar",
                &[("bitnami/os-shell:12", Arch::Aarch64)],
            ),
            tar(
                "etcd-exporter-0.9.4.tar",
                &[("bitnami/etcd-exporter:0.9.4", Arch::X86_64)],
            ),
            tar(
                "etcd-exporter-0.9.4-arm64.tar",
                &[("bitnami/etcd-exporter:0.9.4", Arch::Aarch64)],
            ),
            tar(
                "etcd-operator-0.9.4.tar",
                &[("quay.io/coreos/etcd-operator:0.9.4", Arch::X86_64)],
            ),
            tar(
                "etcd-operator-0.9.4-arm64.tar",
                &[("quay.io/coreos/etcd-operator:0.9.4", Arch::Aarch64)],
            ),
        ],
        values: ETCD_VALUES.to_owned(),
    }
}

/// A found image; `uses` are (template, kind, object, container type, container).
pub fn found(
    reference: &str,
    uses: &[(&str, &str, &str, ContainerType, &str)],
    keys: Vec<KeyPart>,
) -> FoundImage {
    let parsed = ImageRef::parse(reference).unwrap();
    FoundImage {
        uses: uses
            .iter()
            .map(
                |(template, kind, object, container_type, container)| ImageUse {
                    reference: parsed.clone(),
                    raw: reference.to_owned(),
                    source: format!("etcd/{template}"),
                    kind: (*kind).to_owned(),
                    object: (*object).to_owned(),
                    container: (*container).to_owned(),
                    container_type: *container_type,
                    field: ImageField::Image,
                },
            )
            .collect(),
        reference: parsed,
        keys,
    }
}

pub fn key(path: &str, part: AddressPart, value: &str) -> KeyPart {
    KeyPart {
        path: path.to_owned(),
        part,
        value: value.to_owned(),
        rendered: Some(value.to_owned()),
        origin: KeyOrigin::ChartValues,
    }
}

pub fn subchart_key(chart: &str, path: &str, part: AddressPart, value: &str) -> KeyPart {
    KeyPart {
        origin: KeyOrigin::SubchartValues {
            chart: chart.to_owned(),
        },
        ..key(path, part, value)
    }
}

/// A tar holding one image per (repo tag, architecture); an empty repo tag names none.
pub fn tar(file_name: &str, images: &[(&str, Arch)]) -> Tar {
    Tar {
        file_name: file_name.to_owned(),
        archive: ImageArchive {
            format: Format::DockerArchive,
            images: images
                .iter()
                .map(|(repo_tag, architecture)| Image {
                    repo_tags: if repo_tag.is_empty() {
                        Vec::new()
                    } else {
                        vec![(*repo_tag).to_owned()]
                    },
                    architecture: architecture.clone(),
                    os: "linux".to_owned(),
                    variant: None,
                    config_digest: format!("sha256:{}", "0".repeat(64)),
                    manifest_digest: None,
                    layers: Vec::new(),
                    size: 0,
                })
                .collect(),
        },
    }
}
