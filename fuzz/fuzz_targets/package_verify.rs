//! Any bytes verified as a service package zip: `verify` returns (no panic, no hang), and when it
//! refuses no entry as unsafe, every entry the report names is a safe relative path.
#![no_main]

use helm_osc_fuzz::input_file;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // A `{name}-{version}.zip` name, so the checks that read the version from it run too.
    let path = input_file("svc-1.0.0.zip", data);
    let Ok(report) = osc_package::verify(&path, None) else {
        return;
    };
    for finding in &report.findings {
        assert!(
            !finding.rule.is_empty() && !finding.message.is_empty(),
            "a finding without a rule or message: {finding:?}"
        );
    }
    if report
        .findings
        .iter()
        .any(|finding| finding.rule == "zip-unsafe-entry")
    {
        return;
    }
    let named = report
        .deployable
        .iter()
        .chain(&report.images)
        .chain(&report.mapping);
    for entry in named {
        if let Err(error) = osc_archive::RelPath::parse(entry) {
            panic!("the report names entry `{entry}`, which is not a safe relative path: {error}");
        }
    }
});
