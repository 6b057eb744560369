//! `cargo xtask e2e`: the plugin as a user installs it, every example packaged and verified, then
//! deployed to a throwaway kind cluster when the machine has kind, docker and helm.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use xshell::{Shell, cmd};

use crate::{ensure_helm, find_on_path};

pub(crate) fn run(sh: &Shell, args: &[String]) -> Result<()> {
    let no_cluster = args.iter().any(|arg| arg == "--no-cluster");
    if let Some(unknown) = args.iter().find(|arg| *arg != "--no-cluster") {
        bail!("unknown argument `{unknown}`: cargo xtask e2e [--no-cluster]");
    }
    let work = sh.current_dir().join("target/e2e");
    if work.exists() {
        sh.remove_path(&work)?;
    }
    sh.create_dir(&work)?;

    stage("build", "cargo build -p helm-osc");
    cmd!(sh, "cargo build --quiet --locked -p helm-osc").run()?;
    let binary = sh.current_dir().join("target/debug/helm-osc");

    stage("plugin", "lay out the plugin and run its install hook");
    let plugin_dir = stage_plugin(sh, &binary, &work)?;
    let real_helm = find_on_path("helm").filter(|helm| is_real_helm(sh, helm));
    match &real_helm {
        Some(helm) => install_plugin(sh, helm, &plugin_dir, &work)?,
        None => skip(
            "plugin install into an isolated Helm home",
            "no `helm` binary on PATH (the adapter over Helm's engine cannot load plugins)",
        ),
    }

    stage("package", "package, verify and render every example");
    let helm = ensure_helm(sh)?;
    let packages = package_examples(sh, &binary, &helm, &work)?;

    stage("cluster", "deploy the examples to a kind cluster");
    let missing: Vec<&str> = ["kind", "docker", "helm"]
        .into_iter()
        .filter(|tool| find_on_path(tool).is_none())
        .collect();
    let docker_engine = missing.is_empty()
        && cmd!(sh, "docker info")
            .quiet()
            .ignore_stdout()
            .ignore_stderr()
            .run()
            .is_ok();
    if !missing.is_empty() || !docker_engine || real_helm.is_none() {
        let why = if !missing.is_empty() {
            format!("{} not installed", missing.join(", "))
        } else if real_helm.is_none() {
            "the `helm` on PATH is not a real Helm binary".to_string()
        } else {
            "no Docker engine answers `docker info`".to_string()
        };
        skip("kind cluster deploy", &why);
        if !no_cluster {
            bail!("the cluster stage was skipped ({why}); pass --no-cluster to accept that");
        }
        eprintln!("\ne2e passed (without the cluster stage: --no-cluster)");
        return Ok(());
    }
    deploy(sh, &packages, &work)?;
    eprintln!("\ne2e passed");
    Ok(())
}

fn stage(name: &str, what: &str) {
    eprintln!("\n==> {name}: {what}");
}

fn skip(what: &str, why: &str) {
    eprintln!("    skipped: {what}: {why}");
}

/// Our adapter answers `helm version` but has no `plugin` command; a real Helm has both.
fn is_real_helm(sh: &Shell, helm: &Path) -> bool {
    cmd!(sh, "{helm} plugin list")
        .quiet()
        .ignore_stdout()
        .ignore_stderr()
        .run()
        .is_ok()
}

/// The plugin directory a user gets from a release: plugin.yaml, the hook script and bin/helm-osc.
fn stage_plugin(sh: &Shell, binary: &Path, work: &Path) -> Result<PathBuf> {
    let dir = work.join("plugin");
    sh.create_dir(dir.join("bin"))?;
    sh.create_dir(dir.join("scripts"))?;
    sh.copy_file("plugin.yaml", &dir)?;
    sh.copy_file("scripts/install.sh", dir.join("scripts"))?;
    sh.copy_file(binary, dir.join("bin"))?;
    let _plugin_dir = sh.push_env("HELM_PLUGIN_DIR", &dir);
    let hook = dir.join("scripts/install.sh");
    let said = cmd!(sh, "sh {hook}").read_stderr()?;
    if !said.contains("prebuilt") {
        bail!("the install hook did not take the prebuilt binary in bin/; it said:\n{said}");
    }
    eprintln!("    install hook: {}", said.trim());
    let help = cmd!(sh, "{dir}/bin/helm-osc --help").read()?;
    for command in ["package", "verify"] {
        if !help.contains(command) {
            bail!("`helm-osc --help` does not list `{command}`");
        }
    }
    Ok(dir)
}

fn install_plugin(sh: &Shell, helm: &Path, plugin_dir: &Path, work: &Path) -> Result<()> {
    let home = work.join("helm-home");
    let _data = sh.push_env("HELM_DATA_HOME", home.join("data"));
    let _config = sh.push_env("HELM_CONFIG_HOME", home.join("config"));
    let _cache = sh.push_env("HELM_CACHE_HOME", home.join("cache"));
    cmd!(sh, "{helm} plugin install {plugin_dir}").run()?;
    let help = cmd!(sh, "{helm} osc --help").read()?;
    if !help.contains("package") {
        bail!("`helm osc --help` does not list `package`");
    }
    eprintln!("    `helm osc` works from an isolated Helm home");
    Ok(())
}

struct Packaged {
    zip: PathBuf,
    /// The packaged chart; None for an operator, whose deployment needs OLM in the cluster.
    chart_tgz: Option<PathBuf>,
    images: Vec<PathBuf>,
}

/// Every chart (a folder with Chart.yaml) and operator bundle (a folder with manifests/) in examples/
/// is packaged with the tars and mapping.yaml of its sibling `<name>-images/` folder, then verified;
/// a packaged chart is then rendered with Helm.
fn package_examples(sh: &Shell, binary: &Path, helm: &Path, work: &Path) -> Result<Vec<Packaged>> {
    let dist = work.join("dist");
    let mut packaged = Vec::new();
    let mut examples: Vec<PathBuf> = sh
        .read_dir("examples")?
        .into_iter()
        .filter(|dir| dir.join("Chart.yaml").is_file() || dir.join("manifests").is_dir())
        .collect();
    examples.sort();
    if examples.is_empty() {
        bail!("no example chart or bundle found in examples/");
    }
    for example in examples {
        let name = example
            .file_name()
            .and_then(|name| name.to_str())
            .context("example folder name")?
            .to_string();
        let images_dir = example.with_file_name(format!("{name}-images"));
        let mut args: Vec<String> = vec![
            "package".into(),
            example.display().to_string(),
            "-d".into(),
            dist.display().to_string(),
            "--output".into(),
            "json".into(),
        ];
        if images_dir.is_dir() {
            args.extend(["--images".into(), images_dir.display().to_string()]);
        }
        let report = cmd!(sh, "{binary} {args...}")
            .read()
            .with_context(|| format!("packaging {}", example.display()))?;
        let zip = json_string(&report, "zip")
            .with_context(|| format!("no `zip` in the package report:\n{report}"))?;
        let zip = PathBuf::from(zip);
        eprintln!("    packaged {} -> {}", example.display(), zip.display());
        cmd!(sh, "{binary} verify {zip}")
            .run()
            .with_context(|| format!("verifying {}", zip.display()))?;
        sh.create_dir(work.join("unpacked"))?;
        let unpacked = work.join("unpacked").join(&name);
        cmd!(sh, "python3 -m zipfile -e {zip} {unpacked}").run()?;
        let chart_tgz = find_file(&unpacked, "tgz")?;
        if let Some(chart_tgz) = &chart_tgz {
            let rendered = cmd!(sh, "{helm} template e2e {chart_tgz}").read()?;
            eprintln!(
                "    {} renders with Helm ({} documents)",
                chart_tgz.display(),
                rendered.matches("\n---").count() + 1
            );
        }
        let images = if images_dir.is_dir() {
            let mut tars: Vec<PathBuf> = sh
                .read_dir(&images_dir)?
                .into_iter()
                .filter(|p| p.extension().is_some_and(|e| e == "tar"))
                .collect();
            tars.sort();
            tars
        } else {
            Vec::new()
        };
        packaged.push(Packaged {
            zip,
            chart_tgz,
            images,
        });
    }
    Ok(packaged)
}

fn deploy(sh: &Shell, packages: &[Packaged], work: &Path) -> Result<()> {
    let cluster = format!("helm-osc-e2e-{}", std::process::id());
    cmd!(sh, "kind create cluster --name {cluster} --wait 120s").run()?;
    let result = (|| -> Result<()> {
        let kubeconfig = work.join("kubeconfig");
        cmd!(sh, "kind get kubeconfig --name {cluster}")
            .read()
            .map(|config| std::fs::write(&kubeconfig, config))??;
        let _kubeconfig = sh.push_env("KUBECONFIG", &kubeconfig);
        for package in packages {
            let Some(chart) = &package.chart_tgz else {
                skip(
                    &format!("deploying {}", package.zip.display()),
                    "an operator needs OLM in the cluster, which a kind cluster does not have",
                );
                continue;
            };
            for tar in &package.images {
                cmd!(sh, "kind load image-archive {tar} --name {cluster}").run()?;
            }
            cmd!(
                sh,
                "helm install e2e {chart} --namespace e2e --create-namespace --timeout 3m"
            )
            .run()?;
            wait_for_images_pulled(sh, &cluster)?;
            eprintln!(
                "    installed {}: every image was pulled",
                package.zip.display()
            );
            cmd!(sh, "helm uninstall e2e --namespace e2e").run()?;
        }
        Ok(())
    })();
    // The cluster goes whatever happened: a leftover kind cluster holds gigabytes and ports.
    let deleted = cmd!(sh, "kind delete cluster --name {cluster}").run();
    result?;
    deleted?;
    Ok(())
}

/// The example images are tiny scratch images with no program in them, so their pods never become
/// ready; what the package must prove is that every image resolves from what it shipped.
fn wait_for_images_pulled(sh: &Shell, cluster: &str) -> Result<()> {
    let node = format!("{cluster}-control-plane");
    let reasons_path = "jsonpath={..waiting.reason}";
    let image_ids_path = "jsonpath={..imageID}";
    for _ in 0..60 {
        let reasons = cmd!(
            sh,
            "docker exec {node} kubectl --kubeconfig /etc/kubernetes/admin.conf get pods -n e2e -o {reasons_path}"
        )
        .read()?;
        if reasons.contains("ErrImagePull")
            || reasons.contains("ImagePullBackOff")
            || reasons.contains("InvalidImageName")
        {
            bail!("a pod cannot pull its image: {reasons}");
        }
        let pending = cmd!(
            sh,
            "docker exec {node} kubectl --kubeconfig /etc/kubernetes/admin.conf get pods -n e2e -o {image_ids_path}"
        )
        .read()?;
        if !pending.trim().is_empty()
            && !reasons.contains("ContainerCreating")
            && !reasons.contains("PodInitializing")
        {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_secs(2));
    }
    bail!("the pods did not get their images within 2 minutes")
}

fn find_file(dir: &Path, extension: &str) -> Result<Option<PathBuf>> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            if let Some(found) = find_file(&path, extension)? {
                return Ok(Some(found));
            }
        } else if path.extension().is_some_and(|e| e == extension) {
            return Ok(Some(path));
        }
    }
    Ok(None)
}

/// A top-level string field of the JSON the binary prints; xtask needs no JSON parser for one key.
fn json_string(json: &str, key: &str) -> Option<String> {
    let start = json.find(&format!("\"{key}\""))?;
    let rest = &json[start + key.len() + 2..];
    let open = rest.find('"')?;
    let rest = &rest[open + 1..];
    let close = rest.find('"')?;
    Some(rest[..close].replace("\\\\", "\\"))
}
