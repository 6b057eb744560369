//! What the tool takes from Helm's environment when it runs as a plugin (or beside Helm).

use std::ffi::OsString;
use std::path::PathBuf;

/// The Helm environment variables the tool honours, read once at start-up.
#[derive(Debug, Clone, Default)]
pub struct HelmEnv {
    /// `HELM_BIN`: the helm that runs us as a plugin; we render charts with it.
    pub helm_bin: Option<PathBuf>,
    /// `HELM_PLUGIN_DIR`: where the plugin is installed.
    pub plugin_dir: Option<PathBuf>,
    /// `HELM_DEBUG`: verbose output.
    pub debug: bool,
    /// `HELM_NAMESPACE`: the namespace charts are rendered in.
    pub namespace: Option<String>,
    /// `HELM_OSC_SERVE=false`: run every helm call as its own process, even with a helm that
    /// serves calls in one (the project's adapter).
    pub no_serve: bool,
    /// `GOGC` is set: the user chose how often Go's garbage collector runs in helm, and the
    /// tool leaves it at that.
    pub go_gc_set: bool,
}

impl HelmEnv {
    pub fn from_process() -> Result<HelmEnv, String> {
        Self::from_vars(|name| std::env::var_os(name))
    }

    pub fn from_vars(var: impl Fn(&str) -> Option<OsString>) -> Result<HelmEnv, String> {
        let non_empty = |name: &str| var(name).filter(|value| !value.is_empty());
        let boolean = |name: &str| match non_empty(name) {
            None => Ok(None),
            Some(value) => parse_bool(&value.to_string_lossy())
                .map(Some)
                .ok_or_else(|| {
                    format!(
                        "{name}={}: not a boolean; use true, false, 1 or 0",
                        value.to_string_lossy()
                    )
                }),
        };
        let debug = boolean("HELM_DEBUG")?.unwrap_or(false);
        let no_serve = boolean("HELM_OSC_SERVE")? == Some(false);
        Ok(HelmEnv {
            helm_bin: non_empty("HELM_BIN").map(PathBuf::from),
            plugin_dir: non_empty("HELM_PLUGIN_DIR").map(PathBuf::from),
            debug,
            namespace: non_empty("HELM_NAMESPACE")
                .map(|value| value.to_string_lossy().into_owned()),
            no_serve,
            go_gc_set: var("GOGC").is_some(),
        })
    }

    /// The helm to render with: `HELM_BIN`, else `helm` on PATH.
    pub fn helm(&self) -> Option<PathBuf> {
        self.helm_bin.clone().or_else(|| {
            std::env::split_paths(&std::env::var_os("PATH")?)
                .map(|dir| dir.join("helm"))
                .find(|candidate| candidate.is_file())
        })
    }
}

/// Go's `strconv.ParseBool`, which Helm uses for its own boolean variables.
fn parse_bool(value: &str) -> Option<bool> {
    match value {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Result<HelmEnv, String> {
        let pairs: Vec<(String, OsString)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        HelmEnv::from_vars(|name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn helm_debug_is_a_go_boolean() {
        for (value, want) in [
            ("true", true),
            ("1", true),
            ("True", true),
            ("false", false),
            ("0", false),
            ("", false),
        ] {
            assert_eq!(
                env(&[("HELM_DEBUG", value)]).unwrap().debug,
                want,
                "{value}"
            );
        }
        assert_eq!(
            env(&[("HELM_DEBUG", "yes")]).unwrap_err(),
            "HELM_DEBUG=yes: not a boolean; use true, false, 1 or 0"
        );
    }

    #[test]
    fn only_a_false_helm_osc_serve_turns_serving_off() {
        for (value, no_serve) in [("false", true), ("0", true), ("true", false), ("", false)] {
            let env = env(&[("HELM_OSC_SERVE", value)]).unwrap();
            assert_eq!(env.no_serve, no_serve, "{value}");
        }
        assert!(env(&[]).is_ok_and(|env| !env.no_serve));
    }

    #[test]
    fn a_go_gc_the_user_set_is_noticed() {
        assert!(env(&[("GOGC", "50")]).is_ok_and(|env| env.go_gc_set));
        assert!(env(&[]).is_ok_and(|env| !env.go_gc_set));
        assert_eq!(
            env(&[("HELM_OSC_SERVE", "off")]).unwrap_err(),
            "HELM_OSC_SERVE=off: not a boolean; use true, false, 1 or 0"
        );
    }

    #[test]
    fn helm_variables_are_read() {
        let env = env(&[
            ("HELM_BIN", "/opt/helm"),
            ("HELM_PLUGIN_DIR", "/p"),
            ("HELM_NAMESPACE", "db"),
        ])
        .unwrap();
        assert_eq!(env.helm_bin, Some(PathBuf::from("/opt/helm")));
        assert_eq!(env.plugin_dir, Some(PathBuf::from("/p")));
        assert_eq!(env.namespace.as_deref(), Some("db"));
    }
}
