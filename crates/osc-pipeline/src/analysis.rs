//! One analysis of a source, made once per command: every later step reads it and none renders
//! the chart again for the same question.

use std::path::{Path, PathBuf};

use osc_chart::Chart;
use osc_csv::Bundle;
use osc_render::{DiscoverRequest, Discovery};
use osc_source::{Kind, Source};

use crate::{Error, Inputs, RELEASE};

/// A source and what was learnt about it.
#[derive(Debug)]
pub struct Analysis {
    /// The source as the user gave it.
    pub source: PathBuf,
    pub subject: Subject,
}

/// What the source is, with what its kind needs.
#[derive(Debug)]
pub enum Subject {
    Chart(Box<ChartAnalysis>),
    Bundle(Box<Bundle>),
    /// An OSC-format package's files; it is checked against the guide's checklist.
    OscFormat(Vec<(String, Vec<u8>)>),
    /// A built service package, read where it lies.
    Package,
}

/// A chart, and what Helm showed of it.
#[derive(Debug)]
pub struct ChartAnalysis {
    pub chart: Chart,
    /// `None` without Helm and for a library chart, which renders nothing; the error of a chart
    /// that does not render with these values.
    pub rendering: Option<Result<Rendering, String>>,
}

/// A chart's images with their keys, its platform traps, and its values.yaml with the fixes.
#[derive(Debug)]
pub struct Rendering {
    /// Key discovery, its default render included.
    pub discovery: Discovery,
    pub traps: osc_traps::Traps,
    /// values.yaml as the chart has it.
    pub values: String,
    /// values.yaml as `package` ships it: the traps' fixes applied.
    pub fixed_values: String,
    /// Why a fix could not be written into values.yaml (then `fixed_values` lacks it, and
    /// `package` refuses).
    pub fix_error: Option<String>,
}

impl Analysis {
    pub fn kind(&self) -> Kind {
        match &self.subject {
            Subject::Chart(_) => Kind::Chart,
            Subject::Bundle(_) => Kind::Operator,
            Subject::OscFormat(_) => Kind::OscFormat,
            Subject::Package => Kind::Package,
        }
    }

    pub fn chart(&self) -> Option<&ChartAnalysis> {
        match &self.subject {
            Subject::Chart(chart) => Some(chart),
            _ => None,
        }
    }

    pub fn bundle(&self) -> Option<&Bundle> {
        match &self.subject {
            Subject::Bundle(bundle) => Some(bundle),
            _ => None,
        }
    }
}

impl ChartAnalysis {
    /// The rendering, or the error that says why there is none.
    pub fn rendered(&self) -> Result<&Rendering, Error> {
        match &self.rendering {
            Some(Ok(rendering)) => Ok(rendering),
            Some(Err(message)) => Err(Error::Usage {
                what: format!("chart {}", self.chart.name()),
                message: message.clone(),
            }),
            None if self.chart.metadata().chart_type == "library" => Err(Error::Usage {
                what: format!("chart {}", self.chart.name()),
                message: "a library chart renders nothing: give the application chart that uses it"
                    .to_string(),
            }),
            None => Err(Error::NoHelm),
        }
    }
}

impl Analysis {
    /// The chart with the traps fixed in its values.yaml, as `package` ships it, and the
    /// rendering that found them (`lint --fix`).
    pub fn fixed_chart(&self) -> Result<(Chart, &Rendering), Error> {
        let Some(analysis) = self.chart() else {
            return Err(Error::Usage {
                what: "--fix".to_string(),
                message: format!(
                    "{} is {} {}; the fixes are to a chart's values.yaml",
                    self.source.display(),
                    if self.kind() == Kind::Operator {
                        "an"
                    } else {
                        "a"
                    },
                    self.kind()
                ),
            });
        };
        let rendering = analysis.rendered()?;
        let mut chart = analysis.chart.clone();
        chart.set_file("values.yaml", rendering.fixed_values.clone().into_bytes());
        Ok((chart, rendering))
    }
}

/// Loads `source` as what its content says it is; a chart is rendered (key discovery, which
/// includes the default render) and its traps found when Helm is at hand.
pub fn analyse(source: &Path, inputs: &Inputs) -> Result<Analysis, Error> {
    if let Some(helm) = &inputs.helm
        && matches!(osc_source::detect(source), Ok(osc_source::Kind::Chart))
    {
        // Discovery renders two at a time: the processes start while the chart loads.
        helm.warm_up(2);
    }
    let subject = match osc_source::load(source)? {
        Source::Chart(chart) => Subject::Chart(Box::new(analyse_chart(source, *chart, inputs))),
        Source::Bundle(bundle) => Subject::Bundle(bundle),
        Source::OscFormat(files) => Subject::OscFormat(files),
        Source::Package(_) => Subject::Package,
    };
    Ok(Analysis {
        source: source.to_path_buf(),
        subject,
    })
}

fn analyse_chart(source: &Path, chart: Chart, inputs: &Inputs) -> ChartAnalysis {
    let rendering = match &inputs.helm {
        Some(helm) if chart.metadata().chart_type != "library" => {
            Some(render(helm, source, &chart, inputs))
        }
        _ => None,
    };
    ChartAnalysis { chart, rendering }
}

fn render(
    helm: &osc_render::Helm,
    source: &Path,
    chart: &Chart,
    inputs: &Inputs,
) -> Result<Rendering, String> {
    let hook = inputs.progress.clone();
    let report = move |done: usize, planned: usize| {
        if let Some(hook) = &hook {
            (hook.0)(done, planned);
        }
    };
    let request = DiscoverRequest {
        chart: source,
        release: RELEASE,
        namespace: &inputs.namespace,
        values_files: inputs.values_files.clone(),
        progress: Some(osc_render::Progress(&report)),
    };
    let discovery =
        osc_render::discover_loaded(helm, &request, chart).map_err(|error| error.to_string())?;
    let values = String::from_utf8_lossy(chart.values_yaml().unwrap_or_default()).into_owned();
    let held = held_references(inputs.images.as_deref());
    let traps = osc_traps::find(&discovery, &discovery.rendered, &values, &held);
    let (fixed_values, fix_error) = match osc_traps::apply(&values, &traps.fixes) {
        Ok(fixed) => (fixed, None),
        Err(error) => (values.clone(), Some(error.to_string())),
    };
    Ok(Rendering {
        discovery,
        traps,
        values,
        fixed_values,
        fix_error,
    })
}

/// The references the image tars hold, by their repo tags: where a chart pins an image by digest
/// alone, its tag comes from them. A tar that cannot be read is lint's to report.
fn held_references(images: Option<&Path>) -> Vec<osc_imageref::ImageRef> {
    let Some(dir) = images else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut held = Vec::new();
    for path in entries.filter_map(|entry| entry.ok().map(|entry| entry.path())) {
        if path.extension().is_none_or(|ext| ext != "tar") || !path.is_file() {
            continue;
        }
        let Ok(archive) = osc_image::inspect(&path) else {
            continue;
        };
        for repo_tag in archive.images.iter().flat_map(|image| &image.repo_tags) {
            if let Ok(reference) = osc_imageref::ImageRef::parse(repo_tag) {
                held.push(reference);
            }
        }
    }
    held
}
