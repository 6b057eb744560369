//! The registry server the osc-registry tests push to: Debian's `docker-registry` package (the CNCF
//! distribution registry). The tests start it themselves; this only makes sure it is installed.

use anyhow::{Context, Result};
use xshell::{Shell, cmd};

use crate::find_on_path;

/// The program the osc-registry tests run; `OSC_REGISTRY_BIN` overrides it, as in the tests.
const PROGRAM: &str = "docker-registry";

/// Installs `docker-registry` with apt-get when it is missing and we are root on a machine with
/// apt. When it cannot be installed this warns and returns: the registry tests then fail, each
/// saying how to get it, so nothing is skipped silently and the other tests still run.
pub fn ensure(sh: &Shell) -> Result<()> {
    if let Some(bin) = std::env::var_os("OSC_REGISTRY_BIN").filter(|bin| !bin.is_empty()) {
        if std::path::Path::new(&bin).is_file() {
            return Ok(());
        }
        eprintln!(
            "warning: OSC_REGISTRY_BIN is {}, which is not a file; the osc-registry tests will fail",
            bin.to_string_lossy()
        );
        return Ok(());
    }
    if find_on_path(PROGRAM).is_some() {
        return Ok(());
    }
    if let Err(error) = install(sh) {
        eprintln!(
            "warning: {PROGRAM} is not installed and could not be installed ({error:#}); \
             the osc-registry tests will fail. Install it with `apt-get install docker-registry` \
             as root, or set OSC_REGISTRY_BIN to a distribution registry binary"
        );
    }
    Ok(())
}

fn install(sh: &Shell) -> Result<()> {
    let uid = cmd!(sh, "id -u").read().context("`id -u` failed")?;
    if uid.trim() != "0" {
        anyhow::bail!(
            "installing it needs root, and this runs as uid {}",
            uid.trim()
        );
    }
    if find_on_path("apt-get").is_none() {
        anyhow::bail!("there is no apt-get on PATH");
    }
    eprintln!("installing {PROGRAM} (the distribution registry the osc-registry tests push to)");
    let _frontend = sh.push_env("DEBIAN_FRONTEND", "noninteractive");
    // A fresh machine has no package lists yet; with them, the install alone is enough.
    if cmd!(sh, "apt-get install -y --no-install-recommends {PROGRAM}")
        .quiet()
        .run()
        .is_err()
    {
        cmd!(sh, "apt-get update -qq")
            .run()
            .context("apt-get update failed")?;
        cmd!(sh, "apt-get install -y --no-install-recommends {PROGRAM}")
            .run()
            .context("apt-get install failed")?;
    }
    if find_on_path(PROGRAM).is_none() {
        anyhow::bail!("apt-get installed the package, but there is still no {PROGRAM} on PATH");
    }
    Ok(())
}
