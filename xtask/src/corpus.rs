//! `cargo xtask corpus DIR`: `helm osc images`, `package` and `rewrite` over every chart in a
//! folder, with the figures that tell how image discovery does on real charts: how many of the
//! images a chart's `annotations.images` lists (Bitnami's own list of what a chart can run) were
//! found with keys, deployed or latent; latent images found; whether the platform's rewrite moves
//! every image (proven by rendering the rewritten chart); the fixes `package` makes; the images
//! named unmovable; helm renders and time. A report, not a test: nothing here fails on a number.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde_json::Value;
use xshell::{Shell, cmd};

const USAGE: &str = "usage: cargo xtask corpus DIR [--only NAME]... [--json FILE]";

#[derive(Default, serde::Serialize)]
struct ChartFigures {
    chart: String,
    annotated: usize,
    annotated_found: usize,
    missing: Vec<String>,
    deployed: usize,
    latent: usize,
    renders: usize,
    images_ms: u128,
    package_ok: bool,
    package_error: String,
    fixes: usize,
    unmovable: usize,
    moved_completely: bool,
    rewrite_error: String,
}

pub(crate) fn run(sh: &Shell, args: &[String]) -> Result<()> {
    let mut dir = None;
    let mut only = Vec::new();
    let mut json = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--only" => only.push(args.next().context(USAGE)?.clone()),
            "--json" => json = Some(PathBuf::from(args.next().context(USAGE)?)),
            _ if dir.is_none() => dir = Some(PathBuf::from(arg)),
            _ => bail!(USAGE),
        }
    }
    let dir = dir.context(USAGE)?;
    let helm = crate::ensure_helm(sh)?;
    cmd!(sh, "cargo build --quiet --locked --release -p helm-osc").run()?;
    let binary = sh.current_dir().join("target/release/helm-osc");
    let work = tempfile::tempdir()?;

    let charts = crate::chart_folders(&dir, &only)?;

    let mut all = Vec::new();
    println!(
        "{:<28} {:>9} {:>7} {:>7} {:>7} {:>8} {:>5} {:>6} {:>7}",
        "chart", "annotated", "latent", "renders", "images", "package", "fixes", "unmov", "moved"
    );
    for chart in &charts {
        let figures = measure(&binary, &helm, chart, work.path())?;
        println!(
            "{:<28} {:>4}/{:<4} {:>7} {:>7} {:>6.1}s {:>8} {:>5} {:>6} {:>7}",
            figures.chart,
            figures.annotated_found,
            figures.annotated,
            figures.latent,
            figures.renders,
            figures.images_ms as f64 / 1000.0,
            if figures.package_ok { "ok" } else { "refused" },
            figures.fixes,
            figures.unmovable,
            if figures.moved_completely {
                "yes"
            } else {
                "no"
            },
        );
        all.push(figures);
    }
    let sum = |field: fn(&ChartFigures) -> usize| all.iter().map(field).sum::<usize>();
    let annotated = sum(|f| f.annotated);
    let found = sum(|f| f.annotated_found);
    let renders = sum(|f| f.renders);
    let millis: u128 = all.iter().map(|f| f.images_ms).sum();
    println!();
    println!("charts:                     {}", all.len());
    println!(
        "annotated images with keys: {found}/{annotated} ({:.1}%)",
        100.0 * found as f64 / annotated.max(1) as f64
    );
    println!("latent images found:        {}", sum(|f| f.latent));
    println!("deployed images:            {}", sum(|f| f.deployed));
    println!(
        "charts moved completely:    {}/{} (rewrite, proven by a render)",
        all.iter().filter(|f| f.moved_completely).count(),
        all.len()
    );
    println!(
        "charts packaged:            {}/{}",
        all.iter().filter(|f| f.package_ok).count(),
        all.len()
    );
    println!("fixes made:                 {}", sum(|f| f.fixes));
    println!("images named unmovable:     {}", sum(|f| f.unmovable));
    println!(
        "renders:                    {renders} ({:.1} a chart, at most {})",
        renders as f64 / all.len().max(1) as f64,
        all.iter().map(|f| f.renders).max().unwrap_or(0)
    );
    println!(
        "discovery time:             {:.1}s ({:.2}s a chart)",
        millis as f64 / 1000.0,
        millis as f64 / 1000.0 / all.len().max(1) as f64
    );
    if let Some(file) = json {
        std::fs::write(&file, serde_json::to_string_pretty(&all)?)?;
    }
    Ok(())
}

fn measure(binary: &Path, helm: &Path, chart: &Path, work: &Path) -> Result<ChartFigures> {
    let name = chart
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut figures = ChartFigures {
        chart: name.clone(),
        ..ChartFigures::default()
    };
    let annotated = annotated_images(chart);
    figures.annotated = annotated.len();

    let started = Instant::now();
    let (ok, images, _) = run_json(binary, helm, &["images", &chart.display().to_string()])?;
    figures.images_ms = started.elapsed().as_millis();
    if ok {
        figures.renders = images["renders"].as_u64().unwrap_or(0) as usize;
        let keyed = |list: &Value| -> Vec<String> {
            list.as_array()
                .into_iter()
                .flatten()
                .filter(|image| {
                    image["keys"]
                        .as_array()
                        .is_some_and(|keys| !keys.is_empty())
                })
                .filter_map(|image| image["reference"].as_str().map(repository))
                .collect()
        };
        let mut found = keyed(&images["images"]);
        found.extend(keyed(&images["latent"]));
        figures.deployed = images["images"].as_array().map_or(0, Vec::len);
        figures.latent = images["latent"].as_array().map_or(0, Vec::len);
        for image in &annotated {
            if found.contains(&repository(image)) {
                figures.annotated_found += 1;
            } else {
                figures.missing.push(image.clone());
            }
        }
    } else {
        figures.missing = annotated;
    }

    let dist = work.join(&name);
    let (ok, package, stderr) = run_json(
        binary,
        helm,
        &[
            "package",
            &chart.display().to_string(),
            "-d",
            &dist.display().to_string(),
            "--category",
            "database",
            "--allow-unmovable",
        ],
    )?;
    figures.package_ok = ok;
    figures.package_error = first_error(&stderr);
    figures.fixes = package["fixes"].as_array().map_or(0, Vec::len);
    figures.unmovable = package["unmovable"].as_array().map_or(0, Vec::len);

    let (_, rewrite, stderr) = run_json(
        binary,
        helm,
        &[
            "rewrite",
            &chart.display().to_string(),
            "--registry",
            "swr.example.com/osc-corpus",
        ],
    )?;
    figures.moved_completely = rewrite["ok"].as_bool().unwrap_or(false);
    figures.rewrite_error = first_error(&stderr);
    Ok(figures)
}

/// `helm-osc ARGS --output json`: whether it exited 0, its JSON, its stderr.
fn run_json(binary: &Path, helm: &Path, args: &[&str]) -> Result<(bool, Value, String)> {
    let output = Command::new(binary)
        .args(args)
        .args(["--output", "json"])
        .env("HELM_BIN", helm)
        .env("NO_COLOR", "1")
        .output()
        .with_context(|| format!("cannot run {}", binary.display()))?;
    let value = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    Ok((
        output.status.success(),
        value,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    ))
}

fn first_error(stderr: &str) -> String {
    stderr
        .lines()
        .find(|line| line.starts_with("error"))
        .unwrap_or_default()
        .chars()
        .take(300)
        .collect()
}

/// The images a chart's `annotations.images` lists.
fn annotated_images(chart: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(chart.join("Chart.yaml")) else {
        return Vec::new();
    };
    let Ok(metadata) = serde_norway::from_str::<serde_norway::Value>(&text) else {
        return Vec::new();
    };
    let Some(images) = metadata
        .get("annotations")
        .and_then(|annotations| annotations.get("images"))
        .and_then(serde_norway::Value::as_str)
    else {
        return Vec::new();
    };
    let list: Vec<serde_norway::Value> = serde_norway::from_str(images).unwrap_or_default();
    list.iter()
        .filter_map(|entry| entry.get("image").and_then(serde_norway::Value::as_str))
        .map(str::to_owned)
        .collect()
}

/// A reference without its tag or digest, `docker.io/` written out: annotations and found
/// references are compared by repository, as a chart's annotation may trail its values' tag.
fn repository(reference: &str) -> String {
    let name = reference.split('@').next().unwrap_or(reference);
    let name = match name.rfind(':') {
        Some(colon) if !name[colon..].contains('/') => &name[..colon],
        _ => name,
    };
    let first = name.split('/').next().unwrap_or("");
    if name.contains('/') && (first.contains('.') || first.contains(':')) {
        name.to_owned()
    } else if name.contains('/') {
        format!("docker.io/{name}")
    } else {
        format!("docker.io/library/{name}")
    }
}
