//! Registry credentials from the Docker config file, as `docker login` and `podman login` write it.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine;
use serde::Deserialize;

use crate::Error;

/// What was found for one registry host, and where: enough to say why a registry refused us
/// without ever showing the secret.
#[derive(Clone)]
pub(crate) struct Auth {
    pub credentials: Option<Credentials>,
    /// The config file read, if any.
    pub file: Option<PathBuf>,
    /// A credential helper the file names for the host, which we do not run.
    pub helper: Option<String>,
}

/// User name and password. Debug shows neither.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Credentials {
    pub username: String,
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Credentials(<redacted>)")
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("credentials", &self.credentials)
            .field("file", &self.file)
            .field("helper", &self.helper)
            .finish()
    }
}

impl Auth {
    /// What to tell a user whose credentials were refused or missing.
    pub fn describe(&self, host: &str) -> String {
        let Some(file) = &self.file else {
            return format!(
                "no credentials were sent: there is no Docker config file (REGISTRY_AUTH_FILE, $DOCKER_CONFIG/config.json, ~/.docker/config.json); log in with `docker login {host}` or `podman login --authfile ~/.docker/config.json {host}`"
            );
        };
        let file = file.display();
        match (&self.credentials, &self.helper) {
            (Some(_), _) => format!(
                "the credentials for {host} in {file} were refused; log in again with `docker login {host}` and check the account may push to this organisation"
            ),
            (None, Some(helper)) => format!(
                "no credentials were sent: {file} leaves {host} to the credential helper `{helper}`, which helm-osc does not run; put the credentials in the file itself (e.g. `podman login --authfile {file} {host}`, or `auths.{host}.auth`)"
            ),
            (None, None) => format!(
                "no credentials were sent: {file} has none for {host}; log in with `docker login {host}`"
            ),
        }
    }
}

/// The Docker config file to read, and whether it must exist: `REGISTRY_AUTH_FILE` (podman's, named
/// on purpose, so it must), else `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
pub(crate) fn config_file(env: impl Fn(&str) -> Option<OsString>) -> Option<(PathBuf, bool)> {
    let set = |name: &str| env(name).filter(|value| !value.is_empty());
    if let Some(file) = set("REGISTRY_AUTH_FILE") {
        return Some((PathBuf::from(file), true));
    }
    if let Some(dir) = set("DOCKER_CONFIG") {
        return Some((Path::new(&dir).join("config.json"), false));
    }
    set("HOME").map(|home| (Path::new(&home).join(".docker/config.json"), false))
}

/// Credentials for `host` from `file` (from [`config_file`] when `None`).
pub(crate) fn load(host: &str, file: Option<&Path>) -> Result<Auth, Error> {
    let found = match file {
        Some(file) => Some((file.to_owned(), true)),
        None => config_file(|name| std::env::var_os(name)),
    };
    let Some((file, required)) = found else {
        return Ok(Auth {
            credentials: None,
            file: None,
            helper: None,
        });
    };
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound && !required => {
            return Ok(Auth {
                credentials: None,
                file: None,
                helper: None,
            });
        }
        Err(error) => {
            return Err(Error::AuthConfig {
                path: file,
                problem: error.to_string(),
            });
        }
    };
    let auth = parse(host, &text).map_err(|problem| Error::AuthConfig {
        path: file.clone(),
        problem,
    })?;
    Ok(Auth {
        file: Some(file),
        ..auth
    })
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ConfigFile {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default)]
    creds_store: Option<String>,
    #[serde(default)]
    cred_helpers: BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

/// The problems it reports never quote the file's values, which may be secrets.
fn parse(host: &str, text: &str) -> Result<Auth, String> {
    let config: ConfigFile = serde_json::from_str(text).map_err(|error| {
        // serde's message may quote a value; the position is enough to find the mistake.
        format!(
            "it is not a Docker config JSON file (line {}, column {})",
            error.line(),
            error.column()
        )
    })?;
    let entry = config
        .auths
        .iter()
        .find(|(key, _)| auth_key_host(key) == host)
        .map(|(_, entry)| entry);
    let credentials = match entry {
        Some(entry) => credentials(host, entry)?,
        None => None,
    };
    let helper = config
        .cred_helpers
        .iter()
        .find(|(key, _)| auth_key_host(key) == host)
        .map(|(_, helper)| helper.clone())
        .or(config.creds_store)
        .filter(|helper| !helper.is_empty());
    Ok(Auth {
        credentials,
        file: None,
        helper,
    })
}

fn credentials(host: &str, entry: &AuthEntry) -> Result<Option<Credentials>, String> {
    if let Some(auth) = entry.auth.as_deref().filter(|auth| !auth.is_empty()) {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(|| format!("auths.{host}.auth is not base64 of `user:password`"))?;
        let (username, password) = decoded
            .split_once(':')
            .ok_or_else(|| format!("auths.{host}.auth is not base64 of `user:password`"))?;
        return Ok(Some(Credentials {
            username: username.to_owned(),
            password: password.to_owned(),
        }));
    }
    match (&entry.username, &entry.password) {
        (Some(username), Some(password)) => Ok(Some(Credentials {
            username: username.clone(),
            password: password.clone(),
        })),
        _ => Ok(None),
    }
}

/// `https://host:5000/v1/` → `host:5000`: `docker login` keys entries by URL for Docker Hub and by
/// host elsewhere.
fn auth_key_host(key: &str) -> &str {
    let rest = key.split_once("://").map_or(key, |(_, rest)| rest);
    rest.split('/').next().unwrap_or(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(text: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(text)
    }

    #[test]
    fn finds_the_config_file_in_order() {
        fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
            move |name: &str| {
                vars.iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| OsString::from(value))
            }
        }
        let all = [
            ("REGISTRY_AUTH_FILE", "/a/auth.json"),
            ("DOCKER_CONFIG", "/d"),
            ("HOME", "/h"),
        ];
        assert_eq!(
            config_file(env(&all)),
            Some((PathBuf::from("/a/auth.json"), true))
        );
        assert_eq!(
            config_file(env(&all[1..])),
            Some((PathBuf::from("/d/config.json"), false))
        );
        assert_eq!(
            config_file(env(&all[2..])),
            Some((PathBuf::from("/h/.docker/config.json"), false))
        );
        assert_eq!(
            config_file(env(&[("REGISTRY_AUTH_FILE", ""), ("HOME", "/h")])),
            Some((PathBuf::from("/h/.docker/config.json"), false))
        );
        assert_eq!(config_file(env(&[])), None);
    }

    #[test]
    fn reads_auth_and_username_password() {
        let text = format!(
            r#"{{"auths": {{
                "https://reg.example.com:5000/v1/": {{"auth": "{}"}},
                "other.example.com": {{"username": "u", "password": "p:w"}}
            }}}}"#,
            encoded("alice:s3cret:with:colons")
        );
        let auth = parse("reg.example.com:5000", &text).unwrap();
        assert_eq!(
            auth.credentials,
            Some(Credentials {
                username: "alice".into(),
                password: "s3cret:with:colons".into()
            })
        );
        let auth = parse("other.example.com", &text).unwrap();
        assert_eq!(auth.credentials.unwrap().password, "p:w");
        assert!(
            parse("third.example.com", &text)
                .unwrap()
                .credentials
                .is_none()
        );
    }

    #[test]
    fn names_helpers_it_does_not_run() {
        let text = r#"{"credsStore": "desktop", "credHelpers": {"swr.example.com": "swr-login"}}"#;
        let auth = parse("swr.example.com", text).unwrap();
        assert_eq!(auth.helper.as_deref(), Some("swr-login"));
        let auth = Auth {
            file: Some(PathBuf::from("/h/.docker/config.json")),
            ..parse("other.example.com", text).unwrap()
        };
        let message = auth.describe("other.example.com");
        assert!(message.contains("credential helper `desktop`"), "{message}");
        assert!(message.contains("/h/.docker/config.json"), "{message}");
    }

    #[test]
    fn never_shows_the_secret() {
        let text = format!(
            r#"{{"auths": {{"h": {{"auth": "{}"}}}}}}"#,
            encoded("bob:hunter2")
        );
        let auth = Auth {
            file: Some(PathBuf::from("/x/config.json")),
            ..parse("h", &text).unwrap()
        };
        for shown in [format!("{auth:?}"), auth.describe("h")] {
            assert!(!shown.contains("hunter2"), "{shown}");
        }
        let broken = r#"{"auths": {"h": {"auth": "hunter2 not base64"}}}"#;
        let problem = parse("h", broken).unwrap_err();
        assert!(!problem.contains("hunter2"), "{problem}");
        let bad_json = r#"{"auths": {"h": {"auth": hunter2}}}"#;
        let problem = parse("h", bad_json).unwrap_err();
        assert!(!problem.contains("hunter2"), "{problem}");
    }
}
