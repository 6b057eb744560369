//! `version-definition` and `convert`: a versionDefinition checked against the chart or bundle
//! it belongs to, and the OSC-format package made from either.

use std::path::Path;

use osc_source::Source;
use osc_versiondef::{Target, VersionDefinition};

use crate::{Diagnostic, Error};

/// Checks `definition` against the chart's values.yaml, or against the alm-examples custom
/// resource of `kind` (the first example without one) of a bundle; `shown` names where the
/// definition was written in the diagnostics.
pub fn check_version_definition(
    source: &Path,
    definition: &VersionDefinition,
    kind: Option<&str>,
    shown: &str,
) -> Result<Vec<Diagnostic>, Error> {
    match osc_source::load(source)? {
        Source::Chart(chart) => {
            let values =
                String::from_utf8_lossy(chart.values_yaml().unwrap_or_default()).into_owned();
            Ok(osc_versiondef::validate(
                definition,
                &Target::Values {
                    values_yaml: &values,
                },
                shown,
            ))
        }
        Source::Bundle(bundle) => {
            let csv_file = bundle.csv_file.display().to_string();
            let examples = match &bundle.csv.alm_examples {
                Some(alm) => alm
                    .examples
                    .as_ref()
                    .map_err(|error| Error::io(&bundle.csv_file, format!("alm-examples: {error}")))?
                    .clone(),
                None => Vec::new(),
            };
            let kind_of = |example: &serde_json::Value| {
                example
                    .get("kind")
                    .and_then(|kind| kind.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            let example = match kind {
                Some(kind) => examples.iter().find(|example| kind_of(example) == kind),
                None => examples.first(),
            }
            .ok_or_else(|| Error::Usage {
                what: csv_file,
                message: format!(
                    "alm-examples has no {}: the path is a field of the custom resource users create from it",
                    kind.map(|kind| format!("example of kind {kind}"))
                        .unwrap_or_else(|| "example".to_string())
                ),
            })?;
            let kind = kind_of(example);
            Ok(osc_versiondef::validate(
                definition,
                &Target::Operator {
                    kind: &kind,
                    example,
                },
                shown,
            ))
        }
        other => Err(Error::Usage {
            what: source.display().to_string(),
            message: format!(
                "is {}: a versionDefinition belongs to a chart or an operator bundle",
                other.kind()
            ),
        }),
    }
}

/// The OSC-format package the platform's `oscctl convert` makes from a chart or a bundle.
pub fn convert(
    source: &Path,
    options: &osc_format::ConvertOptions,
) -> Result<osc_format::OscPackage, Error> {
    Ok(match osc_source::load(source)? {
        Source::Chart(chart) => osc_format::convert_chart(&chart, options)?,
        Source::Bundle(bundle) => osc_format::convert_bundle(&bundle, options)?,
        other => {
            return Err(Error::Usage {
                what: source.display().to_string(),
                message: format!(
                    "is {} already: `convert` takes a chart or an operator bundle",
                    other.kind()
                ),
            });
        }
    })
}

/// The versionDefinition of a csd.yaml, as `helm osc version-definition` writes it.
pub fn read_version_definition(file: &Path) -> Result<VersionDefinition, Error> {
    let text = std::fs::read_to_string(file)
        .map_err(|error| Error::io(file, format!("--version-definition: {error}")))?;
    osc_versiondef::read_from_csd(&text)?.ok_or_else(|| {
        Error::io(
            file,
            "no `versionDefinition` in it; write one with `helm osc version-definition`",
        )
    })
}

/// Writes `definition` into the csd.yaml at `out`, creating it when missing and otherwise
/// changing only the versionDefinition.
pub fn write_version_definition(out: &Path, definition: &VersionDefinition) -> Result<(), Error> {
    let existing = match out.exists() {
        true => Some(std::fs::read_to_string(out).map_err(|error| Error::io(out, error))?),
        false => None,
    };
    let csd = osc_versiondef::write_into_csd(existing.as_deref(), definition)?;
    osc_archive::write_file(out, csd.as_bytes())?;
    Ok(())
}
