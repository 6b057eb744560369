//! Tars made by the real `podman save`, to pin that the reader follows what tools write.
//!
//! Made with podman 4.3.1 (Debian bookworm) from a `FROM scratch` + `COPY hello.txt /hello.txt`
//! Containerfile, hello.txt holding "hello from osc-image\n":
//!
//! ```sh
//! podman build --no-cache --arch amd64 -t localhost/osc-fixture:amd64 .
//! podman build --no-cache --arch arm64 --variant v8 -t localhost/osc-fixture:arm64 .
//! podman save -m --format docker-archive -o podman-docker-archive.tar \
//!     localhost/osc-fixture:amd64 localhost/osc-fixture:arm64
//! podman save --format oci-archive -o podman-oci-archive.tar localhost/osc-fixture:arm64
//! ```
//!
//! The docker archive holds two images sharing one layer, reached through `<id>/layer.tar`
//! symlinks; the OCI archive's layer is gzip-compressed.

use std::path::Path;

use osc_image::{Arch, Compression, Format};

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn podman_docker_archive() {
    let archive = osc_image::verify(&fixture("podman-docker-archive.tar")).unwrap();
    assert_eq!(
        archive,
        osc_image::inspect(&fixture("podman-docker-archive.tar")).unwrap()
    );
    assert_eq!(archive.format, Format::DockerArchive);
    let archs: Vec<_> = archive
        .images
        .iter()
        .map(|image| (image.architecture.clone(), image.variant.as_deref()))
        .collect();
    assert_eq!(archs, [(Arch::X86_64, None), (Arch::Aarch64, Some("v8"))]);
    insta::assert_yaml_snapshot!(archive);
}

#[test]
fn podman_oci_archive() {
    let archive = osc_image::verify(&fixture("podman-oci-archive.tar")).unwrap();
    assert_eq!(
        archive,
        osc_image::inspect(&fixture("podman-oci-archive.tar")).unwrap()
    );
    assert_eq!(archive.format, Format::OciArchive);
    let image = &archive.images[0];
    assert_eq!(
        (&image.architecture, image.variant.as_deref()),
        (&Arch::Aarch64, Some("v8"))
    );
    assert_eq!(image.layers[0].compression, Compression::Gzip);
    insta::assert_yaml_snapshot!(archive);
}
