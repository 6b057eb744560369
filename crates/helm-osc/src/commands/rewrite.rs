//! `helm osc rewrite SOURCE --registry HOST/ORG`: the chart as the platform deploys it after it
//! pushes the images to its registry and rewrites values.yaml as mapping.yaml directs.

use anyhow::{Context, Result, bail};
use serde::Serialize;

use crate::Outcome;
use crate::cli::RewriteArgs;
use crate::commands::discovery;
use crate::env::HelmEnv;
use crate::output::{BOLD, Format, Output};

#[derive(Serialize)]
struct Report {
    ok: bool,
    registry: String,
    mapping: String,
    fixes: Vec<osc_traps::Fix>,
    changes: Vec<osc_mapping::Change>,
    unmovable: Vec<osc_traps::Unmovable>,
    images: Vec<RenderedImage>,
    not_moved: usize,
    out: Option<String>,
}

#[derive(Serialize)]
struct RenderedImage {
    reference: String,
    moved: bool,
    uses: Vec<String>,
}

pub fn run(args: &RewriteArgs, env: &HelmEnv, output: &Output) -> Result<Outcome> {
    let registry = args.registry.trim_end_matches('/').to_string();
    if !registry.contains('/') {
        bail!(
            "--registry {registry}: give the registry and the organisation, HOST/ORG (e.g. swr.cn-east-3.myhuaweicloud.com/my-org)"
        );
    }
    if let Some(bundle) = crate::commands::package::Source::bundle(&args.source)? {
        return crate::commands::operator::rewrite(
            &bundle,
            &registry,
            args.mapping.as_deref(),
            args.out.as_deref(),
            output,
        );
    }
    let mut chart = osc_chart::Chart::load(&args.source)?;
    // The platform starts from our package: the chart with its traps fixed.
    let analysed = discovery::analyse(&args.source, &chart, &args.render, env, output)?;
    discovery::report_traps(&analysed.traps, output);
    let (mapping, mapping_from) = match &args.mapping {
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("--mapping {}", file.display()))?;
            (
                osc_mapping::Mapping::parse(&text, &file.display().to_string())?,
                file.display().to_string(),
            )
        }
        None => {
            let generated = osc_mapping::generate(chart.name(), &analysed.discovery.images, &[]);
            (
                generated.mapping,
                "generated (as `helm osc mapping` writes it)".to_string(),
            )
        }
    };
    let values = analysed.values;
    let applied =
        osc_mapping::apply(&analysed.fixed_values, &mapping, &registry).context("values.yaml")?;
    chart.set_file("values.yaml", applied.text.clone().into_bytes());

    // Render the rewritten chart exactly as the platform would install it.
    let scratch = tempfile::tempdir().context("creating a temporary folder")?;
    let rewritten = scratch.path().join(chart.name());
    chart
        .write_dir(&rewritten)
        .context("writing the rewritten chart")?;
    let helm = discovery::helm(env)?;
    let namespace = discovery::namespace(&args.render, env);
    let mut request = osc_render::RenderRequest::new(&rewritten);
    request.namespace = &namespace;
    request.values_files = args.render.values.clone();
    output.status(
        "Rendering",
        format_args!("the rewritten chart with {}", helm.bin().display()),
    );
    let rendered = helm.template(&request)?;
    let prefix = format!("{registry}/");
    let mut images: Vec<RenderedImage> = Vec::new();
    for use_ in osc_render::find_images(&rendered) {
        let reference = use_.reference.to_string();
        let line = format!(
            "{}: {}/{}, {} {}",
            use_.source, use_.kind, use_.object, use_.container_type, use_.container
        );
        match images.iter_mut().find(|image| image.reference == reference) {
            Some(image) => image.uses.push(line),
            None => images.push(RenderedImage {
                moved: reference.starts_with(&prefix) && use_.reference.digest().is_none(),
                reference,
                uses: vec![line],
            }),
        }
    }
    let not_moved = images.iter().filter(|image| !image.moved).count();

    let out = match &args.out {
        Some(dir) => {
            crate::commands::write_new_dir(dir, |staged| Ok(chart.write_dir(staged)?))?;
            Some(dir.display().to_string())
        }
        None => None,
    };

    let report = Report {
        ok: not_moved == 0,
        registry,
        mapping: mapping_from,
        fixes: analysed.traps.fixes,
        changes: applied.changes,
        unmovable: analysed.traps.unmovable,
        images,
        not_moved,
        out,
    };
    match output.format() {
        Format::Text => print_text(&report, &values, &applied.text, output),
        Format::Json | Format::Yaml => output.structured(&report),
    }
    Ok(if report.ok {
        Outcome::Clean
    } else {
        Outcome::Findings
    })
}

fn print_text(report: &Report, before: &str, after: &str, output: &Output) {
    output.text(format_args!(
        "{BOLD}values.yaml as the platform rewrites it: {} fixes in the package, then the mapping ({}){BOLD:#}",
        report.fixes.len(),
        report.mapping
    ));
    let diff = similar::TextDiff::from_lines(before, after);
    output.text(
        diff.unified_diff()
            .context_radius(1)
            .header("values.yaml", "values.yaml (rewritten)")
            .to_string()
            .trim_end(),
    );
    output.text(format_args!(
        "{BOLD}images the rewritten chart deploys{BOLD:#}"
    ));
    for image in &report.images {
        let mark = if image.moved {
            format!(
                "{}moved{}",
                anstyle::AnsiColor::Green.on_default().render(),
                anstyle::Reset.render()
            )
        } else {
            format!(
                "{}NOT MOVED{}",
                anstyle::AnsiColor::Red.on_default().bold().render(),
                anstyle::Reset.render()
            )
        };
        output.text(format_args!("  {mark}  {}", image.reference));
        for use_ in &image.uses {
            output.text(format_args!("         {use_}"));
        }
    }
    if !report.unmovable.is_empty() {
        output.text(format_args!(
            "{BOLD}images the platform cannot move{BOLD:#}"
        ));
        for unmovable in &report.unmovable {
            output.text(format_args!(
                "  {}  {} {} ({})\n         {}",
                unmovable.image,
                unmovable.object,
                unmovable.field,
                unmovable.source,
                unmovable.help
            ));
        }
    }
    if let Some(out) = &report.out {
        output.status("Wrote", format_args!("the rewritten chart to {out}"));
    }
    if report.not_moved == 0 {
        output.text(format_args!("every image is under {}", report.registry));
    } else {
        output.text(format_args!(
            "{} of {} images still pull from their old registry: map their keys in mapping.yaml, or make the templates take them from values.yaml",
            report.not_moved,
            report.images.len()
        ));
    }
}
