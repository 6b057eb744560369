//! `helm osc version`

use std::process::Command;

use serde::Serialize;

use crate::Outcome;
use crate::env::HelmEnv;
use crate::output::{Format, Output};

#[derive(Serialize)]
struct Versions {
    helm_osc: &'static str,
    helm: Option<String>,
    helm_bin: Option<String>,
    plugin_dir: Option<String>,
    namespace: Option<String>,
}

pub fn run(env: &HelmEnv, output: &Output) -> anyhow::Result<Outcome> {
    let helm_bin = env.helm();
    let helm = helm_bin.as_ref().and_then(|bin| {
        let out = Command::new(bin)
            .args(["version", "--short"])
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    });
    let versions = Versions {
        helm_osc: env!("CARGO_PKG_VERSION"),
        helm,
        helm_bin: helm_bin.map(|bin| bin.display().to_string()),
        plugin_dir: env.plugin_dir.as_ref().map(|dir| dir.display().to_string()),
        namespace: env.namespace.clone(),
    };
    match output.format() {
        Format::Json | Format::Yaml => output.structured(&versions),
        Format::Text => {
            output.text(format_args!("helm-osc {}", versions.helm_osc));
            match (&versions.helm, &versions.helm_bin) {
                (Some(version), Some(bin)) => output.text(format_args!("helm {version} ({bin})")),
                (None, Some(bin)) => {
                    output.text(format_args!("helm: {bin} did not answer `helm version`"))
                }
                _ => output.text("helm: none found (set HELM_BIN or put helm on PATH)"),
            }
            if let Some(namespace) = &versions.namespace {
                output.text(format_args!("namespace: {namespace} (HELM_NAMESPACE)"));
            }
            if let Some(dir) = &versions.plugin_dir {
                output.text(format_args!("plugin: {dir}"));
            }
        }
    }
    Ok(Outcome::Clean)
}
