//! Linting a Helm chart: its metadata and size from the files, then, through Helm, `helm lint`,
//! the rendered pods and the images discovery finds.

use std::io;
use std::path::Path;

use osc_chart::Chart;
use osc_render::{DiscoverRequest, Helm, RenderRequest};

use crate::context::Context;
use crate::{Finding, LintError, Severity, finding, helm_lint, images, metadata, pods};

const RELEASE: &str = "release-name";

pub(crate) fn lint(
    path: &Path,
    context: &Context,
    findings: &mut Vec<Finding>,
) -> Result<(), LintError> {
    let chart = Chart::load(path)?;
    metadata::chart(&chart, context, findings);
    if !context.built {
        size(&chart, context, findings);
    }
    version_definition(&chart, context, findings);
    let tars = images::tars(context, findings);
    let mapping = images::mapping(context, findings);
    let Some(helm) = context.helm else {
        findings.push(finding(
            "helm-missing",
            Severity::Info,
            context.root(),
            None,
            "no helm to render the chart with: `helm lint`, the image checks and the pull-secret \
             checks were skipped",
            "run as `helm osc lint`, or set HELM_BIN or put helm on PATH",
        ));
        return Ok(());
    };
    helm_lint::lint(helm, path, context, findings);
    if chart.metadata().chart_type == "library" {
        findings.push(finding(
            "chart-library",
            Severity::Error,
            context.file("Chart.yaml"),
            Some("type".to_owned()),
            "`library`: a library chart holds helpers for other charts and cannot be installed, \
             so the platform cannot deploy it as a service (and nothing renders to check)",
            "package the application chart that uses it; the library goes in as its subchart",
        ));
        return Ok(());
    }
    render(
        helm,
        path,
        &chart,
        mapping.as_ref(),
        &tars,
        context,
        findings,
    );
    Ok(())
}

/// The chart as `helm package` writes it, against the platform's limit for `package/`.
fn size(chart: &Chart, context: &Context, findings: &mut Vec<Finding>) {
    let counted = chart.write_archive(ByteCounter(0));
    let bytes = match counted {
        Ok(counter) => counter.0,
        // Counting cannot fail; a chart that cannot be archived was refused by the loader.
        Err(_) => return,
    };
    if let Err(broken) = osc_package::rules::deployable_size(&chart.archive_file_name(), bytes) {
        findings.push(finding(
            broken.rule,
            Severity::Error,
            context.root(),
            None,
            broken.problem,
            broken.help,
        ));
    }
}

/// Counts what is written, for sizing an archive without keeping it.
struct ByteCounter(u64);

impl io::Write for ByteCounter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The rendered pods, then the images with their keys.
fn render(
    helm: &Helm,
    path: &Path,
    chart: &Chart,
    mapping: Option<&osc_mapping::Mapping>,
    tars: &[osc_mapping::Tar],
    context: &Context,
    findings: &mut Vec<Finding>,
) {
    let request = RenderRequest {
        chart: path,
        release: RELEASE,
        namespace: context.namespace,
        values_files: context.values_files.to_vec(),
        set: Vec::new(),
    };
    let rendered = match helm.template(&request) {
        Ok(rendered) => rendered,
        Err(error) => {
            findings.push(render_failed(error.to_string(), context));
            return;
        }
    };
    pods::rendered(&rendered, context, findings);
    let request = DiscoverRequest {
        chart: path,
        release: RELEASE,
        namespace: context.namespace,
        values_files: context.values_files.to_vec(),
    };
    match osc_render::discover(helm, &request) {
        Ok(discovery) => {
            images::chart(
                chart, &discovery, &rendered, mapping, tars, context, findings,
            );
        }
        Err(error) => findings.push(render_failed(error.to_string(), context)),
    }
}

fn render_failed(error: String, context: &Context) -> Finding {
    finding(
        "render-failed",
        Severity::Error,
        context.root(),
        None,
        format!(
            "{}; the image and pull-secret checks were skipped",
            one_line(&error)
        ),
        "make `helm template` succeed with these values: the platform installs the chart with them",
    )
}

/// helm's errors run over several lines, with a `--debug` hint that does not apply here.
fn one_line(error: &str) -> String {
    error
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("Use --debug flag"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A csd.yaml beside the chart: its versionDefinition against values.yaml.
fn version_definition(chart: &Chart, context: &Context, findings: &mut Vec<Finding>) {
    let Some(csd) = &context.csd else { return };
    let values_yaml = String::from_utf8_lossy(chart.values_yaml().unwrap_or_default());
    let target = |_: &str| osc_versiondef::Target::Values {
        values_yaml: &values_yaml,
    };
    crate::csd::check(csd, target, findings);
}
