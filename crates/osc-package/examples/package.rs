//! Packages a deployable and image tars, then verifies the result; for trying the writer by hand
//! and measuring it (e.g. under `/usr/bin/time -v`).
//!
//! Usage: package NAME VERSION DEPLOYABLE OUT_DIR [IMAGE.tar ...]

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use osc_package::{Deployable, DeployableSource, PackageSpec, verify, write};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [name, version, deployable, out_dir, images @ ..] = args.as_slice() else {
        eprintln!("usage: package NAME VERSION DEPLOYABLE OUT_DIR [IMAGE.tar ...]");
        return ExitCode::FAILURE;
    };
    let deployable = PathBuf::from(deployable);
    let spec = PackageSpec {
        name: name.clone(),
        version: version.clone(),
        deployable: Deployable {
            file_name: deployable
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default(),
            source: DeployableSource::File(deployable),
        },
        images: images.iter().map(PathBuf::from).collect(),
        mapping: None,
        extends: Vec::new(),
    };
    let started = Instant::now();
    let written = match write(&spec, Path::new(out_dir), &mut |_| {}) {
        Ok(written) => written,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "wrote {} ({} bytes, sha256 {}) in {:.2?}",
        written.zip.display(),
        written.bytes,
        written.sha256,
        started.elapsed()
    );
    match verify(&written.zip, Some(&written.sha256_file)) {
        Ok(report) => {
            for finding in &report.findings {
                println!(
                    "{:?} {}: {}",
                    finding.severity, finding.rule, finding.message
                );
            }
            if report.has_errors() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
