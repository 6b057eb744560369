//! The zip and its `.sha256` get 0644 less the umask, like any file a program creates. A test
//! binary of its own, because the umask is the whole process's: no other test may run meanwhile.

mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use osc_package::write;
use rustix::fs::Mode;

#[test]
fn output_files_get_0644_less_the_umask() {
    let inputs = tempfile::tempdir().unwrap();
    let spec = common::helm_spec(inputs.path());
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    let original = rustix::process::umask(Mode::from_raw_mode(0o022));
    let mut seen = Vec::new();
    for umask in [0o022, 0o002, 0o027, 0o077, 0o000] {
        rustix::process::umask(Mode::from_raw_mode(umask));
        let out = inputs.path().join(format!("out-{umask:03o}"));
        let written = write(&spec, &out, &mut |_| {});
        rustix::process::umask(original);
        let written = written.unwrap();
        seen.push((umask, mode(&written.zip), mode(&written.sha256_file)));
    }
    assert_eq!(
        seen,
        [
            (0o022, 0o644, 0o644),
            (0o002, 0o644, 0o644),
            (0o027, 0o640, 0o640),
            (0o077, 0o600, 0o600),
            (0o000, 0o644, 0o644),
        ]
    );
}
