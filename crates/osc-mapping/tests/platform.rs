//! The etcd fixture chart rendered with a real helm (`HELM_BIN`, else `helm` on PATH, else the
//! adapter in target/helm-adapter): the scenario the other tests use is what key discovery
//! reports for it, and after `apply` every image comes from the platform registry.

mod common;

use std::fmt::Write;
use std::path::{Path, PathBuf};

use common::{ETCD_VALUES, etcd};
use osc_mapping::{Mapping, apply};
use osc_render::{
    DiscoverRequest, FoundImage, Helm, ImageUse, RenderRequest, discover, find_images,
};

const MAPPING: &str = include_str!("fixtures/etcd/mapping.yaml");

#[test]
fn key_discovery_reports_the_scenario() {
    let chart = chart();
    let discovery = discover(&helm(), &DiscoverRequest::new(&chart)).unwrap();
    // The unset override (`global.imageRegistry: ""`) is found too, though the set keys
    // make every address complete without it.
    assert_eq!(summary(discovery.images), summary(etcd().images));
}

#[test]
fn after_apply_every_image_comes_from_the_platform_registry() {
    let mapping = Mapping::parse(MAPPING, "mapping.yaml").unwrap();
    let applied = apply(
        ETCD_VALUES,
        &mapping,
        "swr.cn-east-3.myhuaweicloud.com/osc-opensource",
    )
    .unwrap();
    let values = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(values.path(), &applied.text).unwrap();
    let mut out = String::new();
    for image_use in render(&[values.path().to_owned()]) {
        writeln!(out, "{}: {}", describe(&image_use), image_use.reference).unwrap();
    }
    insta::assert_snapshot!(out);
}

/// Each image with its uses and keys, in an order that does not depend on helm's.
fn summary(images: Vec<FoundImage>) -> Vec<(String, Vec<String>, Vec<String>)> {
    let mut summary: Vec<_> = images
        .into_iter()
        .map(|image| {
            let mut uses: Vec<String> = image.uses.iter().map(describe).collect();
            uses.sort();
            let mut keys: Vec<String> = image
                .keys
                .iter()
                .map(|key| format!("{} {} {:?} {:?}", key.path, key.part, key.value, key.origin))
                .collect();
            keys.sort();
            (image.reference.to_string(), uses, keys)
        })
        .collect();
    summary.sort();
    summary
}

fn chart() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/etcd/chart")
}

fn render(values_files: &[PathBuf]) -> Vec<ImageUse> {
    let chart = chart();
    let mut request = RenderRequest::new(&chart);
    request.values_files = values_files.to_vec();
    find_images(&helm().template(&request).unwrap())
}

fn describe(image_use: &ImageUse) -> String {
    format!(
        "{} {}/{} {} {}",
        image_use.source,
        image_use.kind,
        image_use.object,
        image_use.container_type,
        image_use.container
    )
}

fn helm() -> Helm {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let from_env = std::env::var_os("HELM_BIN").map(PathBuf::from);
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("helm"))
            .find(|bin| bin.is_file())
    });
    let adapter = Some(repo.join("target/helm-adapter/bin/helm")).filter(|bin| bin.is_file());
    let bin = from_env.or(on_path).or(adapter);
    Helm::new(bin.expect("no helm found: set HELM_BIN or put helm on PATH"))
}
