//! What the integration tests share: a real helm and the fixture charts.

use std::path::{Path, PathBuf};

use osc_render::Helm;

/// `HELM_BIN`, else `helm` on PATH, else the adapter that `tools/helm-adapter/install.sh`
/// installs.
pub fn helm() -> Helm {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let from_env = std::env::var_os("HELM_BIN").map(PathBuf::from);
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("helm"))
            .find(|bin| bin.is_file())
    });
    let adapter = Some(repo.join("target/helm-adapter/bin/helm")).filter(|bin| bin.is_file());
    match from_env.or(on_path).or(adapter) {
        Some(bin) => Helm::new(bin),
        None => panic!(
            "no helm found: set HELM_BIN, put helm on PATH, or run tools/helm-adapter/install.sh \
             (it installs {})",
            repo.join("target/helm-adapter/bin/helm").display()
        ),
    }
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}
