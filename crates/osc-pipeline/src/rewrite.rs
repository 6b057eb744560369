//! `rewrite`: what the platform makes of the package after upload. It starts from what `package`
//! ships (the chart with its traps fixed), writes each image's new address into the keys
//! mapping.yaml names, and renders the result with Helm to prove where every image now pulls
//! from. For an operator it rewrites the CSV the same way.

use std::path::PathBuf;

use serde::Serialize;

use crate::{Analysis, Error, Inputs, RELEASE, Subject};

#[derive(Clone, Debug)]
pub struct RewriteOptions {
    /// `HOST/ORG`, where the platform pushes the images.
    pub registry: String,
    /// mapping.yaml to apply; without it, the one `helm osc mapping` would write.
    pub mapping: Option<PathBuf>,
    /// Keep the rewritten chart or bundle in this new folder.
    pub out: Option<PathBuf>,
}

/// The rewritten source and what it deploys.
#[derive(Debug, Serialize)]
pub struct Rewritten {
    pub ok: bool,
    pub registry: String,
    /// Where the mapping came from: the file, or `generated`.
    pub mapping: String,
    /// The package's fixes, applied before the platform's rewrite (charts only).
    pub fixes: Vec<osc_traps::Fix>,
    pub changes: Vec<osc_mapping::Change>,
    pub unmovable: Vec<osc_traps::Unmovable>,
    /// Every image the rewritten chart deploys (charts only).
    pub images: Vec<RewrittenImage>,
    /// Images of the CSV still outside the registry (operators only).
    pub not_moved_in_csv: Vec<NotMoved>,
    pub not_moved: usize,
    pub out: Option<String>,
    /// The rewritten file (values.yaml or the CSV): its name, and its text before and after.
    #[serde(skip)]
    pub file: String,
    #[serde(skip)]
    pub before: String,
    #[serde(skip)]
    pub after: String,
}

#[derive(Debug, Serialize)]
pub struct RewrittenImage {
    pub reference: String,
    pub moved: bool,
    pub uses: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct NotMoved {
    pub place: String,
    pub text: String,
    pub reason: String,
}

/// Rewrites the analysed chart or bundle as the platform does.
pub fn rewrite(
    analysis: &Analysis,
    inputs: &Inputs,
    options: &RewriteOptions,
) -> Result<Rewritten, Error> {
    let registry = options.registry.trim_end_matches('/').to_string();
    if !registry.contains('/') {
        return Err(Error::Usage {
            what: format!("--registry {registry}"),
            message: "give the registry and the organisation, HOST/ORG (e.g. swr.cn-east-3.myhuaweicloud.com/my-org)".to_string(),
        });
    }
    match &analysis.subject {
        Subject::Chart(chart) => rewrite_chart(chart, inputs, options, registry),
        Subject::Bundle(bundle) => rewrite_bundle(bundle, options, registry),
        _ => Err(Error::Usage {
            what: analysis.source.display().to_string(),
            message: format!(
                "is {}: `rewrite` takes a chart or an operator bundle",
                analysis.kind()
            ),
        }),
    }
}

fn read_mapping(file: &std::path::Path) -> Result<osc_mapping::Mapping, Error> {
    let bytes =
        osc_archive::read_regular_file(file, file, osc_archive::Limits::DEPLOYABLE.file_bytes)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::io(file, "not UTF-8 text: save mapping.yaml as UTF-8"))?;
    Ok(osc_mapping::Mapping::parse(
        &text,
        &file.display().to_string(),
    )?)
}

fn rewrite_chart(
    analysis: &crate::ChartAnalysis,
    inputs: &Inputs,
    options: &RewriteOptions,
    registry: String,
) -> Result<Rewritten, Error> {
    let rendering = analysis.rendered()?;
    let helm = inputs.helm.as_ref().ok_or(Error::NoHelm)?;
    let mut chart = analysis.chart.clone();
    let (mapping, mapping_from) = match &options.mapping {
        Some(file) => (read_mapping(file)?, file.display().to_string()),
        None => (
            osc_mapping::generate(chart.name(), &rendering.discovery.all_images(), &[]).mapping,
            "generated (as `helm osc mapping` writes it)".to_string(),
        ),
    };
    let applied = osc_mapping::apply(&rendering.fixed_values, &mapping, &registry)?;
    chart.set_file("values.yaml", applied.text.clone().into_bytes());

    // Render the rewritten chart exactly as the platform would install it.
    let scratch = tempfile::tempdir().map_err(|error| {
        Error::io(
            std::env::temp_dir(),
            format!("cannot make a folder: {error}"),
        )
    })?;
    let rewritten = scratch.path().join(chart.name());
    chart.write_dir(&rewritten)?;
    let mut request = osc_render::RenderRequest::new(&rewritten);
    request.release = RELEASE;
    request.namespace = &inputs.namespace;
    request.values_files = inputs.values_files.clone();
    let rendered = helm.template(&request)?;
    let prefix = format!("{registry}/");
    let mut images: Vec<RewrittenImage> = Vec::new();
    for use_ in osc_render::find_images(&rendered) {
        let reference = use_.reference.to_string();
        let line = format!(
            "{}: {}/{}, {} {}",
            use_.source, use_.kind, use_.object, use_.container_type, use_.container
        );
        match images.iter_mut().find(|image| image.reference == reference) {
            Some(image) => image.uses.push(line),
            None => images.push(RewrittenImage {
                moved: reference.starts_with(&prefix) && use_.reference.digest().is_none(),
                reference,
                uses: vec![line],
            }),
        }
    }
    let not_moved = images.iter().filter(|image| !image.moved).count();
    let out = match &options.out {
        Some(dir) => {
            osc_archive::write_new_dir(dir, |staged| chart.write_dir(staged))?;
            Some(dir.display().to_string())
        }
        None => None,
    };
    Ok(Rewritten {
        ok: not_moved == 0,
        registry,
        mapping: mapping_from,
        fixes: rendering.traps.fixes.clone(),
        changes: applied.changes,
        unmovable: rendering.traps.unmovable.clone(),
        images,
        not_moved_in_csv: Vec::new(),
        not_moved,
        out,
        file: "values.yaml".to_string(),
        before: rendering.values.clone(),
        after: applied.text,
    })
}

fn rewrite_bundle(
    bundle: &osc_csv::Bundle,
    options: &RewriteOptions,
    registry: String,
) -> Result<Rewritten, Error> {
    let (mapping, mapping_from) = match &options.mapping {
        Some(file) => (read_mapping(file)?, file.display().to_string()),
        None => (
            osc_mapping::generate_operator(bundle, &[]).mapping,
            "generated (as `helm osc mapping` writes it)".to_string(),
        ),
    };
    let applied = osc_mapping::apply_operator(bundle, &mapping, &registry)
        .map_err(|error| Error::io(&bundle.csv_file, error))?;
    let out = match &options.out {
        Some(dir) => {
            osc_archive::write_new_dir(dir, |staged| -> Result<(), Error> {
                std::fs::create_dir(staged).map_err(|error| Error::io(staged, error))?;
                for (path, data) in osc_csv::bundle_files(bundle, &applied.text)? {
                    let path = osc_archive::RelPath::parse(&path)
                        .map_err(|error| Error::io(staged, format!("`{path}`: {error}")))?;
                    osc_archive::write_under(staged, &path, &data)?;
                }
                Ok(())
            })?;
            Some(dir.display().to_string())
        }
        None => None,
    };
    let not_moved: Vec<NotMoved> = applied
        .not_moved
        .iter()
        .map(|unmovable| NotMoved {
            place: unmovable.place.clone(),
            text: unmovable.text.clone(),
            reason: unmovable.reason.clone(),
        })
        .collect();
    Ok(Rewritten {
        ok: not_moved.is_empty(),
        registry,
        mapping: mapping_from,
        fixes: Vec::new(),
        changes: applied.changes.clone(),
        unmovable: Vec::new(),
        images: Vec::new(),
        not_moved: not_moved.len(),
        not_moved_in_csv: not_moved,
        out,
        file: bundle.csv_file.display().to_string(),
        before: bundle.csv_text.clone(),
        after: applied.text.clone(),
    })
}
