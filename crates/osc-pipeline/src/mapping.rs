//! `mapping`: write mapping.yaml from what `images` finds, or check a hand-written one, against
//! the values.yaml `package` ships (its traps fixed) and the tars.

use std::path::Path;

use crate::{Analysis, Diagnostic, Error, Inputs, Subject, images::tars};

/// Generates the mapping for the analysed chart or bundle and the tars of `inputs.images`.
pub fn generate_mapping(
    analysis: &Analysis,
    inputs: &Inputs,
) -> Result<osc_mapping::Generated, Error> {
    let tars = tars(inputs.images.as_deref())?;
    match &analysis.subject {
        Subject::Chart(chart) => {
            let rendering = chart.rendered()?;
            Ok(osc_mapping::generate(
                chart.chart.name(),
                &rendering.discovery.all_images(),
                &tars,
            ))
        }
        Subject::Bundle(bundle) => Ok(osc_mapping::generate_operator(bundle, &tars)),
        _ => Err(not_a_deployable(analysis)),
    }
}

/// Checks a mapping file against the analysed chart or bundle and the tars of `inputs.images`.
pub fn check_mapping(
    analysis: &Analysis,
    inputs: &Inputs,
    file: &Path,
) -> Result<Vec<Diagnostic>, Error> {
    let tars = tars(inputs.images.as_deref())?;
    let bytes =
        osc_archive::read_regular_file(file, file, osc_archive::Limits::DEPLOYABLE.file_bytes)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::io(file, "not UTF-8 text: save mapping.yaml as UTF-8"))?;
    let shown = file.display().to_string();
    let mapping = osc_mapping::Mapping::parse(&text, &shown)?;
    match &analysis.subject {
        Subject::Chart(chart) => {
            let rendering = chart.rendered()?;
            Ok(osc_mapping::check(
                &shown,
                &mapping,
                &rendering.discovery.all_images(),
                &rendering.fixed_values,
                &tars,
            ))
        }
        Subject::Bundle(bundle) => Ok(osc_mapping::check_operator(&shown, &mapping, bundle, &tars)),
        _ => Err(not_a_deployable(analysis)),
    }
}

fn not_a_deployable(analysis: &Analysis) -> Error {
    Error::Usage {
        what: analysis.source.display().to_string(),
        message: format!(
            "is {}: mapping.yaml is made for a chart or an operator bundle",
            analysis.kind()
        ),
    }
}
