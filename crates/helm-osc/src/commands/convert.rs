//! `helm osc version-definition` and `helm osc convert`: instance upgrades, and the OSC-format package.

use anyhow::Result;
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
    let mut report = DefinitionReport {
        ok: osc_diagnostic::count(&findings, Severity::Error) == 0,
        csd: None,
        findings,
    };
    for finding in &report.findings {
        output.diagnostic(finding);
    }
    if report.ok {
        match &args.out {
            Some(path) => {
                osc_pipeline::write_version_definition(path, &definition)?;
                output.status(
                    "Wrote",
                    format_args!("versionDefinition into {}", path.display()),
                );
                report.csd = Some(path.display().to_string());
            }
            None => {
                let csd = osc_versiondef::write_into_csd(None, &definition)?;
                if output.format() == Format::Text {
                    output.text(csd.trim_end());
                }
            }
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
        Some(file) => Some(osc_pipeline::read_version_definition(file)?),
        None => None,
    };
    let non_empty = |values: &Vec<String>| (!values.is_empty()).then(|| values.clone());
    let out = &args.out;
    let format = osc_format::ArchiveFormat::for_path(out);
    let options = osc_format::ConvertOptions {
        version_definition,
        display_name: args.display_name.clone(),
        brief_description: args.brief_description.clone(),
        provider_name: args.provider_name.clone(),
        provider_url: args.provider_url.clone(),
        source: Some(args.service.provider_source.clone()),
        categories: non_empty(&args.category),
        architecture: non_empty(&args.service.arch),
        scenes: non_empty(&args.service.scenes),
        format,
    };
    let package = osc_pipeline::convert(&args.source, &options)?;
    for warning in &package.warnings {
        output.warn(warning);
    }
    package.write_at(out)?;
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
