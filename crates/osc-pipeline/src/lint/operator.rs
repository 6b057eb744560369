//! Linting an operator bundle: OLM's bundle rules (osc-csv), the catalog metadata, the size of
//! the zip that goes into `package/`, the pods of the CSV's deployments, and its images.

use osc_csv::Bundle;

use super::Context;
use super::metadata::slash_path;
use super::{csd, finding, images, metadata, pods};
use crate::{Diagnostic as Finding, Severity};

/// OLM keeps a bundle's manifests in a ConfigMap, gzipped and base64-encoded, under 1 MiB.
const OLM_BUNDLE_LIMIT: u64 = 1024 * 1024;

pub(crate) fn lint(bundle: &Bundle, context: &Context, findings: &mut Vec<Finding>) {
    let csv_file = context.file(&slash_path(&bundle.csv_file));
    for mut found in osc_csv::check(bundle) {
        found.file = context.file(&found.file);
        findings.push(found);
    }
    metadata::operator(bundle, context, findings);
    size(bundle, context, findings);
    pods::csv(bundle, &csv_file, findings);
    if let Some(csd) = &context.csd {
        csd::check(csd, |text| csd::operator_target(text, bundle), findings);
    }
    let tars = images::tars(context, findings);
    let mapping = images::mapping(context, findings);
    images::operator(
        bundle,
        &csv_file,
        mapping.as_ref(),
        &tars,
        context,
        findings,
    );
}

/// The bundle zipped as `helm osc package` zips it: against the platform's 4 MB (a built
/// package's own zip is verify's), and, roughly, against OLM's limit.
fn size(bundle: &Bundle, context: &Context, findings: &mut Vec<Finding>) {
    let Ok(files) = osc_csv::bundle_files(bundle, &bundle.csv_text) else {
        return;
    };
    let name = bundle.package_name.as_deref().unwrap_or(&bundle.csv.name);
    let Ok(zip) = osc_package::zip_files(name, &files) else {
        return;
    };
    let bytes = zip.len() as u64;
    let file_name = format!("{name}-{}.zip", bundle.csv.version);
    if let (false, Err(broken)) = (
        context.built,
        osc_package::rules::deployable_size(&file_name, bytes),
    ) {
        findings.push(super::rule_error(broken, context));
    }
    // Deflate is close to gzip; base64 adds a third.
    let encoded = bytes.div_ceil(3) * 4;
    if encoded > OLM_BUNDLE_LIMIT {
        findings.push(finding(
            "olm-bundle-size",
            Severity::Warning,
            context.root(),
            None,
            format!(
                "the bundle is about {encoded} bytes gzipped and base64-encoded, more than the \
                 {OLM_BUNDLE_LIMIT} bytes OLM can hold in the ConfigMap it unpacks a bundle into"
            ),
            "shrink the manifests: large CRD descriptions and embedded icons are the usual cause",
        ));
    }
}
