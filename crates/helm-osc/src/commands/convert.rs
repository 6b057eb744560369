//! `helm osc version-definition` and `helm osc convert`: instance upgrades, and the OSC-format package.

use std::path::Path;

use anyhow::{Context, Result};
use osc_versiondef::{Diagnostic, Severity, VersionDefinition};
use serde::Serialize;

use crate::Outcome;
use crate::cli::{ConvertArgs, VersionDefinitionArgs};
use crate::output::{Format, Output};

#[derive(Serialize)]
struct DefinitionReport {
    ok: bool,
    csd: Option<String>,
    findings: Vec<Diagnostic>,
}

pub fn version_definition(args: &VersionDefinitionArgs, output: &Output) -> Result<Outcome> {
    let definition = VersionDefinition {
        mode: args
            .mode
            .parse()
            .map_err(|_| anyhow::anyhow!("--mode {}: use tag or url", args.mode))?,
        path: args.path.clone(),
        tags: args.tags.clone(),
        description: None,
    };
    let findings = osc_pipeline::check_version_definition(
        &args.source,
        &definition,
        args.kind.as_deref(),
        "--path",
    )?;
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let mut report = DefinitionReport {
        ok: errors == 0,
        csd: None,
        findings,
    };
    print_findings(&report.findings, output);
    if report.ok {
        let existing = match &args.out {
            Some(path) if path.exists() => Some(
                std::fs::read_to_string(path).with_context(|| format!("-o {}", path.display()))?,
            ),
            _ => None,
        };
        let csd = osc_versiondef::write_into_csd(existing.as_deref(), &definition)?;
        match &args.out {
            Some(path) => {
                osc_archive::write_file(path, csd.as_bytes())?;
                output.status(
                    "Wrote",
                    format_args!("versionDefinition into {}", path.display()),
                );
                report.csd = Some(path.display().to_string());
            }
            None if output.format() == Format::Text => output.text(csd.trim_end()),
            None => {}
        }
    }
    if output.format() != Format::Text {
        output.structured(&report);
    }
    Ok(if report.ok {
        Outcome::Clean
    } else {
        Outcome::Findings
    })
}

fn print_findings(findings: &[Diagnostic], output: &Output) {
    for finding in findings {
        output.diagnostic(finding);
    }
}

#[derive(Serialize)]
struct ConvertReport {
    ok: bool,
    out: String,
    name: String,
    version: String,
    files: Vec<String>,
    warnings: Vec<String>,
}

pub fn run(args: &ConvertArgs, output: &Output) -> Result<Outcome> {
    let version_definition = match &args.version_definition {
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("--version-definition {}", file.display()))?;
            let definition =
                osc_versiondef::read_from_csd(&text).with_context(|| file.display().to_string())?;
            Some(definition.with_context(|| format!("{}: no `versionDefinition` in it; write one with `helm osc version-definition`", file.display()))?)
        }
        None => None,
    };
    let non_empty = |values: &Vec<String>| (!values.is_empty()).then(|| values.clone());
    let out = &args.out;
    let extension = out
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let format = match extension.as_str() {
        "zip" => osc_format::ArchiveFormat::Zip,
        "tgz" => osc_format::ArchiveFormat::Tgz,
        _ => osc_format::ArchiveFormat::Dir,
    };
    let options = osc_format::ConvertOptions {
        version_definition,
        display_name: args.display_name.clone(),
        brief_description: args.brief_description.clone(),
        provider_name: args.provider_name.clone(),
        provider_url: args.provider_url.clone(),
        source: Some(args.provider_source.clone()),
        categories: non_empty(&args.category),
        architecture: non_empty(&args.arch),
        scenes: non_empty(&args.scenes),
        format,
    };
    let package = osc_pipeline::convert(&args.source, &options)?;
    for warning in &package.warnings {
        output.warn(warning);
    }
    write_package(&package, out, format)?;
    output.status(
        "Converted",
        format_args!("{} {} → {}", package.name, package.version, out.display()),
    );
    let report = ConvertReport {
        ok: true,
        out: out.display().to_string(),
        name: package.name.clone(),
        version: package.version.clone(),
        files: package.files.iter().map(|(path, _)| path.clone()).collect(),
        warnings: package.warnings.clone(),
    };
    match output.format() {
        Format::Text => {
            for file in &report.files {
                output.text(format_args!("  {file}"));
            }
        }
        Format::Json | Format::Yaml => output.structured(&report),
    }
    Ok(Outcome::Clean)
}

/// An archive goes through a temp file renamed into place; a folder is built beside its target
/// and renamed, so a failure never leaves half a package.
fn write_package(
    package: &osc_format::OscPackage,
    out: &Path,
    format: osc_format::ArchiveFormat,
) -> Result<()> {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .with_context(|| format!("-o {}: cannot create {}", out.display(), parent.display()))?;
    match format {
        osc_format::ArchiveFormat::Dir => {
            osc_archive::write_new_dir(out, |dir| -> Result<()> { Ok(package.write_dir(dir)?) })?;
        }
        osc_format::ArchiveFormat::Zip => {
            let bytes = package
                .write_zip(std::io::Cursor::new(Vec::new()))
                .with_context(|| format!("writing {}", out.display()))?
                .into_inner();
            osc_archive::write_file(out, &bytes)?;
        }
        osc_format::ArchiveFormat::Tgz => {
            let bytes = package
                .write_tgz(Vec::new())
                .with_context(|| format!("writing {}", out.display()))?;
            osc_archive::write_file(out, &bytes)?;
        }
    }
    Ok(())
}
