//! The example's image tars: tiny, real docker-archive images, one per image and architecture, built
//! reproducibly so the committed tars can be checked against what this code makes.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use osc_image::{Arch, ImageSpec};
use xshell::Shell;

/// (folder under examples/, tar file, repo tag, architecture) for every image the examples deploy:
/// the etcd chart ships both architectures, the kvstore operator x86_64 only.
const EXAMPLE_IMAGES: &[(&str, &str, &str, Arch)] = &[
    (
        "etcd-images",
        "etcd-3.5.17.tar",
        "docker.io/osc-examples/etcd:3.5.17",
        Arch::X86_64,
    ),
    (
        "etcd-images",
        "etcd-3.5.17-arm64.tar",
        "docker.io/osc-examples/etcd:3.5.17",
        Arch::Aarch64,
    ),
    (
        "etcd-images",
        "os-shell-12.tar",
        "docker.io/osc-examples/os-shell:12",
        Arch::X86_64,
    ),
    (
        "etcd-images",
        "os-shell-12-arm64.tar",
        "docker.io/osc-examples/os-shell:12",
        Arch::Aarch64,
    ),
    (
        "kvstore-operator-images",
        "kvstore-operator-1.0.0.tar",
        "docker.io/osc-examples/kvstore-operator:1.0.0",
        Arch::X86_64,
    ),
    (
        "kvstore-operator-images",
        "kvstore-webhook-1.0.0.tar",
        "docker.io/osc-examples/kvstore-webhook:1.0.0",
        Arch::X86_64,
    ),
    (
        "kvstore-operator-images",
        "etcd-3.5.17.tar",
        "docker.io/osc-examples/etcd:3.5.17",
        Arch::X86_64,
    ),
    (
        "kvstore-operator-images",
        "os-shell-12.tar",
        "docker.io/osc-examples/os-shell:12",
        Arch::X86_64,
    ),
];

fn images_dir(sh: &Shell, folder: &str) -> PathBuf {
    sh.current_dir().join("examples").join(folder)
}

fn build(repo_tag: &str, arch: &Arch) -> Result<Vec<u8>> {
    let spec = ImageSpec {
        repo_tag: repo_tag.to_string(),
        arch: arch.clone(),
        variant: None,
        files: vec![(
            "etc/osc-example".to_string(),
            format!(
                "{repo_tag} for {arch}: an example image made by `cargo xtask example-images`\n"
            )
            .into_bytes(),
        )],
    };
    let mut tar = Vec::new();
    osc_image::write_docker_archive(&spec, &mut tar)
        .with_context(|| format!("building {repo_tag}"))?;
    Ok(tar)
}

pub(crate) fn run(sh: &Shell, args: &[String]) -> Result<()> {
    if args.iter().any(|arg| arg == "--check") {
        return check(sh);
    }
    for (folder, file, repo_tag, arch) in EXAMPLE_IMAGES {
        let dir = images_dir(sh, folder);
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(file);
        std::fs::write(&path, build(repo_tag, arch)?)
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// The committed tars must be exactly what this code builds, or the example lies about its images.
pub(crate) fn check(sh: &Shell) -> Result<()> {
    for (folder, file, repo_tag, arch) in EXAMPLE_IMAGES {
        let path = images_dir(sh, folder).join(file);
        let committed =
            std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        if committed != build(repo_tag, arch)? {
            bail!(
                "{} differs from what `cargo xtask example-images` builds: run it and commit the result",
                path.display()
            );
        }
    }
    eprintln!(
        "example image tars are up to date ({} tars)",
        EXAMPLE_IMAGES.len()
    );
    Ok(())
}
