//! `cargo xtask e2e`: the plugin as a user installs it, every example packaged and verified,
//! rehearsed against a real registry (pushed, rewritten, rendered, every image looked up), every
//! manifest of the packaged and the rewritten deployables validated against Kubernetes' own
//! schemas, then deployed to a throwaway kind cluster when the machine has kind, docker and helm.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use xshell::{Shell, cmd};

use crate::{ensure_helm, find_on_path, registry};

/// The Kubernetes versions of the platform's clusters: CCE's version policy lists v1.25, v1.27,
/// v1.28, v1.29 and v1.30 in commercial use and v1.31 in open beta (CCE has no v1.26).
const KUBERNETES_VERSIONS: &str = "1.25,1.27,1.28,1.29,1.30,1.31";

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

    stage(
        "rehearse",
        "push every example to a local registry, rewrite and render it as the platform does, look up every image",
    );
    let rewritten = rehearse_examples(sh, &binary, &helm, &packages, &work)?;

    stage(
        "schema",
        &format!(
            "validate every manifest of the packaged and rewritten deployables strictly against Kubernetes {KUBERNETES_VERSIONS}"
        ),
    );
    check_schemas(sh, &helm, &packages, &rewritten, &work)?;

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
    /// The example's folder name, e.g. `etcd`.
    name: String,
    zip: PathBuf,
    /// The deployable in `package/`, unpacked: a chart `.tgz` or a bundle `.zip`.
    deployable: PathBuf,
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
        let deployable = match &chart_tgz {
            Some(tgz) => tgz.clone(),
            None => {
                find_file(&unpacked.join(&name).join("package"), "zip")?.with_context(|| {
                    format!("no chart .tgz nor bundle .zip in {}", unpacked.display())
                })?
            }
        };
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
            name,
            zip,
            deployable,
            chart_tgz,
            images,
        });
    }
    Ok(packaged)
}

/// Each example's package pushed to a registry on loopback (Debian's docker-registry, started as
/// the tests start it) with `helm osc rehearse`, which also rewrites the deployable, renders it
/// and looks up every image it deploys; the rewritten deployable is kept for the schema stage.
fn rehearse_examples(
    sh: &Shell,
    binary: &Path,
    helm: &Path,
    packages: &[Packaged],
    work: &Path,
) -> Result<Vec<PathBuf>> {
    registry::ensure(sh)?;
    if std::env::var_os("OSC_REGISTRY_BIN").is_none() && find_on_path("docker-registry").is_none() {
        bail!(
            "the rehearse stage needs Debian's docker-registry: install it with `apt-get install docker-registry`, or set OSC_REGISTRY_BIN to a distribution registry binary"
        );
    }
    let server = osc_registry::testing::TestRegistry::start();
    eprintln!("    registry: docker-registry on {}", server.host());
    let _helm = sh.push_env("HELM_BIN", helm);
    // Credentials from this folder only: a developer's ~/.docker/config.json stays out of it.
    let docker_config = work.join("docker-config");
    sh.create_dir(&docker_config)?;
    let _docker_config = sh.push_env("DOCKER_CONFIG", &docker_config);
    let _auth_file = sh.push_env("REGISTRY_AUTH_FILE", "");
    let mut rewritten = Vec::new();
    for package in packages {
        let zip = &package.zip;
        let target = format!("{}/e2e-{}", server.host(), package.name);
        let out = work.join("rewritten").join(&package.name);
        let report = cmd!(sh, "{binary} rehearse {zip} --registry {target} -o {out}")
            .ignore_status()
            .output()?;
        let text = String::from_utf8_lossy(&report.stdout);
        for line in text.lines() {
            eprintln!("      {line}");
        }
        if !report.status.success() {
            bail!(
                "`helm osc rehearse {}` failed:
{}",
                zip.display(),
                String::from_utf8_lossy(&report.stderr)
            );
        }
        eprintln!(
            "    rehearsed {}: every image it deploys is in {target}",
            zip.display()
        );
        rewritten.push(out);
    }
    Ok(rewritten)
}

/// Every manifest the packaged and the rewritten deployables make (a chart's `helm template`
/// output; a bundle's manifests, whose CSV stands for the deployments and custom resources OLM
/// makes from it) validated by tools/schema-check against Kubernetes' own schemas, strictly.
fn check_schemas(
    sh: &Shell,
    helm: &Path,
    packages: &[Packaged],
    rewritten: &[PathBuf],
    work: &Path,
) -> Result<()> {
    let installer = sh.current_dir().join("tools/schema-check/install.sh");
    let checker = cmd!(sh, "sh {installer}").read().context(
        "installing the schema check (tools/schema-check/install.sh) failed; it needs python3 with venv and access to PyPI",
    )?;
    let checker = PathBuf::from(checker.trim());
    let dir = work.join("schema");
    sh.create_dir(&dir)?;
    for (package, rewritten) in packages.iter().zip(rewritten) {
        let mut files = Vec::new();
        for (label, deployable) in [
            ("packaged", package.deployable.clone()),
            ("rewritten", rewritten.clone()),
        ] {
            if package.chart_tgz.is_some() {
                let rendered = cmd!(sh, "{helm} template e2e {deployable}").read()?;
                let file = dir.join(format!("{}-{label}.yaml", package.name));
                sh.write_file(&file, rendered)?;
                files.push(file);
            } else {
                let bundle = if deployable.is_dir() {
                    deployable
                } else {
                    let unpacked = dir.join(format!("{}-{label}", package.name));
                    cmd!(sh, "python3 -m zipfile -e {deployable} {unpacked}").run()?;
                    unpacked
                };
                files.extend(yaml_files(&bundle)?);
            }
        }
        let versions = KUBERNETES_VERSIONS;
        let said = cmd!(sh, "{checker} --kubernetes {versions} {files...}")
            .ignore_status()
            .output()?;
        let text = String::from_utf8_lossy(&said.stdout);
        let work_prefix = format!("{}/", work.display());
        for line in text.lines() {
            eprintln!("      {}", line.replace(&work_prefix, ""));
        }
        if !said.status.success() {
            bail!(
                "the manifests of {} do not validate against Kubernetes {versions}{}",
                package.zip.display(),
                String::from_utf8_lossy(&said.stderr)
            );
        }
        eprintln!(
            "    {}: every manifest, packaged and rewritten, validates against Kubernetes {versions}",
            package.name
        );
    }
    Ok(())
}

/// The YAML files under a bundle folder, sorted.
fn yaml_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .extension()
                .is_some_and(|ext| ext == "yaml" || ext == "yml")
                // metadata/annotations.yaml is OLM's, not an object for the cluster.
                && path.parent().and_then(Path::file_name).is_some_and(|parent| parent == "manifests")
            {
                found.push(path);
            }
        }
    }
    found.sort();
    if found.is_empty() {
        bail!("no manifests/*.yaml under {}", dir.display());
    }
    Ok(found)
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
