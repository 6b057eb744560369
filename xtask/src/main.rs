//! Developer tasks for helm-osc: `cargo xtask <task>`.
//!
//! - `test`: the whole test suite, with a real Helm (installs the adapter over Helm's engine when no
//!   `helm` is on PATH) and a real registry (installs Debian's `docker-registry` when missing)
//! - `e2e [--no-cluster]`: build the plugin, install it into an isolated Helm home, package and
//!   verify every example, rehearse each against a local registry, validate every manifest against
//!   Kubernetes' schemas, then deploy them to a kind cluster
//! - `helm`: install the Helm adapter and print the path of its `helm`
//! - `example-images [--check]`: (re)build the example image tars reproducibly
//! - `bench-package [--mib N]... [--runs N]`: time `helm osc package` against `cp` and
//!   `openssl dgst -sha256` (medians, ratios, peak RSS), at 1 and 4 GiB by default
//! - `zip-readers [--gib N]`: a package with more than N GiB of tars, read by Java, Python and unzip
//! - `bench-discovery DIR [--runs N] [--one-process-per-render] [--against BINARY]`: `helm osc
//!   images` on each chart of a folder against one `helm template` (best of N, ratio and renders
//!   per chart, median and worst), and another build's ratios in the same run
//! - `corpus DIR [--json FILE]`: `images`, `package` and `rewrite` over a folder of charts, with
//!   annotated images found with keys, latent images, charts moved completely, fixes, renders, time
//! - `fuzz [--time S] [--seed] [TARGET...]`: seed, build and run the fuzz targets in `fuzz/`

mod bench;
mod corpus;
mod e2e;
mod fuzz;
mod images;
mod registry;
mod zip_readers;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use xshell::{Shell, cmd};

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let task = args.next().unwrap_or_default();
    let rest: Vec<String> = args.collect();
    let sh = Shell::new()?;
    sh.change_dir(project_root());
    match task.as_str() {
        "test" => test(&sh, &rest),
        "e2e" => e2e::run(&sh, &rest),
        "helm" => {
            println!("{}", ensure_helm(&sh)?.display());
            Ok(())
        }
        "example-images" => images::run(&sh, &rest),
        "bench-package" => bench::run(&sh, &rest),
        "bench-discovery" => bench::discovery(&sh, &rest),
        "corpus" => corpus::run(&sh, &rest),
        "zip-readers" => zip_readers::run(&sh, &rest),
        "fuzz" => fuzz::run(&sh, &rest),
        _ => {
            eprintln!(
                "usage: cargo xtask <task>\n\n\
                 tasks:\n  \
                 test [ARGS]            run every test (ARGS go to `cargo test`)\n  \
                 e2e [--no-cluster]     plugin install, package + verify + rehearse the examples, schemas, deploy to kind\n  \
                 helm                   install the Helm adapter when no helm is on PATH; print helm's path\n  \
                 example-images [--check]  rebuild the example image tars (or check they are up to date)\n  \
                 bench-package [--mib N]... [--runs N]  time `helm osc package` on N MiB of tars against cp, openssl\n  \
                 bench-discovery DIR [--runs N]  time `helm osc images` on each chart against one `helm template`\n  \
                 corpus DIR [--json FILE]  images, package and rewrite over a folder of charts: found, latent, moved, fixes, renders\n  \
                 zip-readers [--gib N]     a package with over N GiB of tars, read by Java, Python and unzip -t\n  \
                 fuzz [--time S] [--seed] [TARGET...]  run the fuzz targets S seconds each (60; --seed: only make the seeds)"
            );
            std::process::exit(2);
        }
    }
}

/// The chart folders in `dir` (those holding a Chart.yaml), sorted; only those named in `only`
/// when it is not empty.
fn chart_folders(dir: &std::path::Path, only: &[String]) -> Result<Vec<PathBuf>> {
    let mut charts: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.join("Chart.yaml").is_file())
        .filter(|path| {
            only.is_empty()
                || only
                    .iter()
                    .any(|name| path.file_name().is_some_and(|file| file == name.as_str()))
        })
        .collect();
    charts.sort();
    Ok(charts)
}

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// Runs the workspace's tests with `HELM_BIN` pointing at a real Helm and a registry server
/// installed for the osc-registry tests.
fn test(sh: &Shell, extra: &[String]) -> Result<()> {
    let helm = ensure_helm(sh)?;
    let _helm = sh.push_env("HELM_BIN", &helm);
    registry::ensure(sh)?;
    // CI must review no snapshot by itself: a changed snapshot fails the run.
    let _insta = std::env::var_os("CI").map(|_| sh.push_env("INSTA_UPDATE", "no"));
    cmd!(sh, "cargo test --workspace --locked {extra...}").run()?;
    images::check(sh)?;
    Ok(())
}

/// The Helm tests and the e2e use: `HELM_BIN`, else `helm` on PATH, else the adapter over Helm's
/// engine (installed into target/ on first use).
fn ensure_helm(sh: &Shell) -> Result<PathBuf> {
    if let Some(bin) = std::env::var_os("HELM_BIN").filter(|bin| !bin.is_empty()) {
        return Ok(PathBuf::from(bin));
    }
    if let Some(helm) = find_on_path("helm") {
        return Ok(helm);
    }
    let installer = project_root().join("tools/helm-adapter/install.sh");
    let path = cmd!(sh, "bash {installer}")
        .read()
        .context("installing the Helm adapter (tools/helm-adapter/install.sh) failed; it needs python3 with venv and access to PyPI")?;
    let helm = PathBuf::from(path.trim());
    if !helm.is_file() {
        bail!(
            "tools/helm-adapter/install.sh printed {}, which is not a file",
            helm.display()
        );
    }
    Ok(helm)
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}
