//! Linting a built service package: osc-package's verify, then the deployable inside linted as
//! a source is, with the package's own tars, mapping.yaml and csd.yaml.

use std::fs::File;
use std::io::{self, BufReader};
use std::path::{Path, PathBuf};

use zip::ZipArchive;

use super::context::{Context, Input};
use super::finding;
use crate::{Diagnostic as Finding, Error, Inputs, Severity};

/// Rules of the deployable's lint that verify already applies to the package: a tar the
/// mapping names but images/ lacks is verify's `mapping-missing-tar`.
const COVERED_BY_VERIFY: [&str; 1] = ["tar-missing"];

/// verify's rule for a deployable it cannot look into; linting it would say the same again.
const DEPLOYABLE_UNREADABLE: &str = "deployable-unreadable";

pub(crate) fn lint(zip: &Path, outer: &Context, findings: &mut Vec<Finding>) -> Result<(), Error> {
    let sha256 = PathBuf::from(format!("{}.sha256", zip.display()));
    let verified = osc_package::verify(zip, sha256.is_file().then_some(sha256.as_path()))?;
    findings.extend(verified.findings.iter().cloned());
    let Some(deployable_entry) = &verified.deployable else {
        return Ok(());
    };
    if verified
        .findings
        .iter()
        .any(|found| found.rule == DEPLOYABLE_UNREADABLE)
    {
        return Ok(());
    }
    let mapping_invalid = verified
        .findings
        .iter()
        .any(|found| found.rule == "mapping-invalid");

    let unpacked = tempfile::Builder::new()
        .prefix("osc-lint-")
        .tempdir()
        .map_err(|source| {
            Error::io(
                std::env::temp_dir(),
                format!("cannot make a folder to unpack the package into: {source}"),
            )
        })?;
    let mut archive = open(zip)?;
    let deployable_name = deployable_entry.rsplit('/').next().unwrap_or("deployable");
    let Some(deployable) = inside(unpacked.path(), deployable_name) else {
        return Ok(());
    };
    if extract(&mut archive, deployable_entry, &deployable).is_err() {
        // verify reported the damaged entry (`zip-corrupt`).
        return Ok(());
    }

    let inputs = Inputs {
        progress: None,
        images: None,
        mapping: None,
        values_files: outer.values_files.to_vec(),
        namespace: outer.namespace.to_string(),
        helm: outer.helm.cloned(),
    };
    let mut context = Context::for_deployable(&inputs, deployable_entry);
    if let Some(top) = &verified.name {
        if !verified.images.is_empty() {
            let dir = unpacked.path().join("images");
            std::fs::create_dir(&dir).map_err(|source| Error::io(&dir, source))?;
            for entry in verified
                .images
                .iter()
                .filter(|entry| entry.ends_with(".tar"))
            {
                let name = entry.rsplit('/').next().unwrap_or(entry);
                // A damaged tar is verify's `zip-corrupt`; the mapping check then misses it.
                if let Some(to) = inside(&dir, name) {
                    let _ = extract(&mut archive, entry, &to);
                }
            }
            context.images = Some(Input {
                path: dir,
                shown: format!("{top}/images"),
            });
        }
        let csd_entry = format!("{top}/extends/{}", super::context::CSD_FILE);
        if archive.index_for_name(&csd_entry).is_some() {
            let path = unpacked.path().join(super::context::CSD_FILE);
            if extract(&mut archive, &csd_entry, &path).is_ok() {
                context.csd = Some(Input {
                    path,
                    shown: csd_entry,
                });
            }
        }
    }
    if let (Some(entry), false) = (&verified.mapping, mapping_invalid) {
        let path = unpacked.path().join(super::context::MAPPING_FILE);
        if extract(&mut archive, entry, &path).is_ok() {
            context.mapping = Some(Input {
                path,
                shown: entry.clone(),
            });
        }
    }

    let mut inner = Vec::new();
    if let Err(error) = lint_deployable(&deployable, &inputs, &context, &mut inner) {
        findings.push(finding(
            DEPLOYABLE_UNREADABLE,
            Severity::Error,
            deployable_entry.clone(),
            None,
            error.to_string(),
            "build the package again from a chart or bundle that `helm osc lint` reads",
        ));
    }
    findings.extend(
        inner
            .into_iter()
            .filter(|found| !COVERED_BY_VERIFY.contains(&found.rule)),
    );
    Ok(())
}

/// The deployable analysed as a source is (its content says what it is), then linted.
fn lint_deployable(
    deployable: &Path,
    inputs: &Inputs,
    context: &Context,
    findings: &mut Vec<Finding>,
) -> Result<(), Error> {
    let mut analysis = crate::analyse(deployable, inputs)?;
    // A service package inside a package is no deployable the platform takes.
    if analysis.kind() == crate::Kind::Package {
        analysis.subject = crate::Subject::Bundle(Box::new(osc_csv::load(deployable)?));
    }
    super::lint_subject(&analysis, context, findings)
}

fn open(zip: &Path) -> Result<ZipArchive<BufReader<File>>, Error> {
    let file = File::open(zip).map_err(|source| Error::io(zip, source))?;
    ZipArchive::new(BufReader::new(file))
        .map_err(|error| Error::io(zip, format!("not a readable zip: {error}")))
}

/// `dir/name` for a name verify accepted, checked once more: a file out of a package lands only
/// in the folder it is unpacked into.
fn inside(dir: &Path, name: &str) -> Option<PathBuf> {
    osc_archive::RelPath::parse(name)
        .ok()
        .filter(|name| name.segments().count() == 1)
        .map(|name| name.under(dir))
}

/// Streams one entry into `to`: image tars are far too large to hold in memory.
fn extract(archive: &mut ZipArchive<BufReader<File>>, entry: &str, to: &Path) -> io::Result<()> {
    let mut file = archive.by_name(entry).map_err(io::Error::other)?;
    let mut out = File::create(to)?;
    io::copy(&mut file, &mut out)?;
    Ok(())
}
