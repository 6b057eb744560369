//! Every trap of docs/traps.md in one fixture chart, found and fixed with the real Helm,
//! then proven: after the fixes and the platform's rewrite, every image that can move has moved.

use std::path::{Path, PathBuf};

use osc_render::{DiscoverRequest, Helm, RenderRequest};

fn helm() -> Helm {
    let bin = std::env::var_os("HELM_BIN")
        .filter(|bin| !bin.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::split_paths(&std::env::var_os("PATH")?)
                .map(|dir| dir.join("helm"))
                .find(|helm| helm.is_file())
        })
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/helm-adapter/bin/helm")
        });
    assert!(
        bin.is_file(),
        "these tests need a real Helm: set HELM_BIN or run `cargo xtask helm`"
    );
    Helm::new(bin)
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/traps")
}

#[test]
fn every_trap_is_found_and_the_fixable_ones_fixed() {
    let helm = helm();
    let chart = fixture();
    let discovery = osc_render::discover(&helm, &DiscoverRequest::new(&chart)).unwrap();
    let rendered = helm.template(&RenderRequest::new(&chart)).unwrap();
    let values = std::fs::read_to_string(chart.join("values.yaml")).unwrap();
    let traps = osc_traps::find(&discovery, &rendered, &values, &[]);
    insta::assert_yaml_snapshot!("traps", traps);

    let fixed = osc_traps::apply(&values, &traps.fixes).unwrap();
    let diff = similar::TextDiff::from_lines(&values, &fixed)
        .unified_diff()
        .context_radius(1)
        .to_string();
    insta::assert_snapshot!("fixed_values", diff);

    // The fixed chart renders with moved images (the guard is off) and pins no digest.
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&chart, dir.path());
    std::fs::write(dir.path().join("values.yaml"), &fixed).unwrap();
    let mut request = RenderRequest::new(dir.path());
    let moved_values = dir.path().join("moved.yaml");
    std::fs::write(
        &moved_values,
        "app: {image: {registry: swr.example.com, repository: org/app}}\ncache: {image: {registry: swr.example.com, repository: org/cache}}\nsidecar: {image: swr.example.com/org/sidecar:1.0}\n",
    )
    .unwrap();
    request.values_files = vec![moved_values];
    let moved = helm.template(&request).unwrap();
    let images: Vec<String> = osc_render::find_images(&moved)
        .iter()
        .map(|use_| use_.raw.clone())
        .collect();
    assert_eq!(
        images,
        [
            "swr.example.com/org/app:2.4.1",
            // Hard-coded in the app's args: named unmovable above.
            "docker.io/example/helper:3.2",
            "swr.example.com/org/sidecar:1.0",
            "swr.example.com/org/cache:7.2",
            // Hard-coded in a ConfigMap: named unmovable above, with what to change.
            "quay.io/example/job-runner:5.0",
        ],
    );
}

#[test]
fn a_chart_without_traps_has_none() {
    let helm = helm();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("templates")).unwrap();
    std::fs::write(
        dir.path().join("Chart.yaml"),
        "apiVersion: v2\nname: clean\nversion: 1.0.0\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("values.yaml"),
        "image: {registry: docker.io, repository: x/web, tag: \"1\"}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("templates/pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n    - name: web\n      image: {{ .Values.image.registry }}/{{ .Values.image.repository }}:{{ .Values.image.tag }}\n",
    )
    .unwrap();
    let discovery = osc_render::discover(&helm, &DiscoverRequest::new(dir.path())).unwrap();
    let rendered = helm.template(&RenderRequest::new(dir.path())).unwrap();
    let traps = osc_traps::find(
        &discovery,
        &rendered,
        "image: {registry: docker.io, repository: x/web, tag: \"1\"}\n",
        &[],
    );
    assert_eq!(traps.fixes, []);
    assert_eq!(traps.unmovable, []);
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}
