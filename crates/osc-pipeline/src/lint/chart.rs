//! Linting a Helm chart: its metadata and size from the files, then, through Helm, `helm lint`,
//! the rendered pods and the images discovery finds.

use std::io;
use std::path::Path;

use osc_chart::Chart;

use super::{Context, finding, helm_lint, images, metadata, one_line, pods};
use crate::{ChartAnalysis, Diagnostic as Finding, Severity};

pub(crate) fn lint(
    path: &Path,
    analysis: &ChartAnalysis,
    context: &Context,
    findings: &mut Vec<Finding>,
) {
    let chart = &analysis.chart;
    metadata::chart(chart, context, findings);
    if !context.built {
        size(chart, context, findings);
    }
    version_definition(chart, context, findings);
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
        return;
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
        return;
    }
    match &analysis.rendering {
        Some(Ok(rendering)) => {
            // The pods a pull-secret fix reaches are the fix's finding; lint names the rest.
            let fixed: Vec<String> = rendering
                .traps
                .fixes
                .iter()
                .filter(|fix| fix.trap == osc_traps::Trap::PullSecret && !context.built)
                .flat_map(|fix| {
                    let keys = &rendering.discovery.pull_secrets.keys;
                    keys.iter()
                        .filter(|key| key.path == fix.path)
                        .flat_map(|key| key.pods.clone())
                        .collect::<Vec<_>>()
                })
                .chain(rendering.traps.pods_without_secret.iter().cloned())
                .collect();
            pods::rendered(&rendering.discovery.rendered, context, findings, &fixed);
            images::chart(chart, rendering, mapping.as_ref(), &tars, context, findings);
        }
        Some(Err(error)) => findings.push(render_failed(error, context)),
        None => {}
    }
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
        findings.push(super::rule_error(broken, context));
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

fn render_failed(error: &str, context: &Context) -> Finding {
    finding(
        "render-failed",
        Severity::Error,
        context.root(),
        None,
        format!(
            "{}; the image and pull-secret checks were skipped",
            one_line(error)
        ),
        "make `helm template` succeed with these values: the platform installs the chart with them",
    )
}

/// A csd.yaml beside the chart: its versionDefinition against values.yaml.
fn version_definition(chart: &Chart, context: &Context, findings: &mut Vec<Finding>) {
    let Some(csd) = &context.csd else { return };
    let values_yaml = String::from_utf8_lossy(chart.values_yaml().unwrap_or_default());
    let target = |_: &str| osc_versiondef::Target::Values {
        values_yaml: &values_yaml,
    };
    super::csd::check(csd, target, findings);
}
