//! One registry host: the async OCI client behind a current-thread runtime, its credentials, and
//! the translation of the client's errors into ours.

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use oci_client::Reference;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::secrets::RegistryAuth;

use crate::Error;
use crate::auth::{self, Auth};
use crate::reference::is_loopback;

/// How to reach registries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Use plain HTTP even for a registry that is not on this machine (one without TLS). Loopback
    /// registries (`127.0.0.1`, `localhost`, `[::1]`) always get plain HTTP.
    pub plain_http: bool,
    /// The Docker config file to read credentials from. `None` looks where podman and Docker do:
    /// `REGISTRY_AUTH_FILE`, else `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`;
    /// no file means anonymous access.
    pub auth_file: Option<PathBuf>,
}

pub(crate) struct Session {
    runtime: tokio::runtime::Runtime,
    pub client: oci_client::Client,
    pub host: String,
    scheme: &'static str,
    auth: Auth,
}

/// A slow registry may take long to answer, but one that cannot even be connected to in this
/// long is not there.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

impl Session {
    pub fn new(host: &str, options: &Options) -> Result<Session, Error> {
        let auth = auth::load(host, options.auth_file.as_deref())?;
        let plain = options.plain_http || is_loopback(host);
        // reqwest is built without a default crypto provider so that ring, not aws-lc, is
        // compiled; a provider another part of the program installed first serves as well.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let config = ClientConfig {
            protocol: if plain {
                ClientProtocol::Http
            } else {
                ClientProtocol::Https
            },
            // One streamed PUT per blob: flat memory like the chunked upload, without one round
            // trip per chunk, and accepted by every registry that takes `docker push`.
            use_monolithic_push: true,
            connect_timeout: Some(CONNECT_TIMEOUT),
            platform_resolver: None,
            user_agent: concat!("helm-osc/", env!("CARGO_PKG_VERSION")),
            ..ClientConfig::default()
        };
        let client = oci_client::Client::try_from(config).map_err(|error| Error::Registry {
            host: host.to_owned(),
            action: "to set up a client".to_owned(),
            message: chain(&error),
        })?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(Error::Runtime)?;
        let registry_auth = match &auth.credentials {
            Some(credentials) => {
                RegistryAuth::Basic(credentials.username.clone(), credentials.password.clone())
            }
            None => RegistryAuth::Anonymous,
        };
        runtime.block_on(client.store_auth_if_needed(host, &registry_auth));
        Ok(Session {
            runtime,
            client,
            host: host.to_owned(),
            scheme: if plain { "http" } else { "https" },
            auth,
        })
    }

    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    pub fn tagged(&self, repository: &str, tag: &str) -> Reference {
        Reference::with_tag(self.host.clone(), repository.to_owned(), tag.to_owned())
    }

    pub fn by_digest(&self, repository: &str, digest: &str) -> Reference {
        Reference::with_digest(self.host.clone(), repository.to_owned(), digest.to_owned())
    }

    /// Our error for a failed request; `action` says what was asked, e.g. `the upload of ...`.
    pub fn error(&self, action: impl Into<String>, error: OciDistributionError) -> Error {
        let action = action.into();
        if let Some(reason) = unreachable(&error) {
            return Error::Unreachable {
                host: self.host.clone(),
                scheme: self.scheme,
                reason,
                hint: if self.scheme == "https" {
                    ", and that it serves HTTPS (a registry without TLS needs plain HTTP)"
                } else {
                    ", and that it serves plain HTTP"
                },
            };
        }
        if let Some(detail) = refused(&error) {
            return Error::AuthRefused {
                host: self.host.clone(),
                action,
                detail,
                credentials: self.auth.describe(&self.host),
            };
        }
        Error::Registry {
            host: self.host.clone(),
            action,
            message: describe(&error),
        }
    }
}

/// Whether the error says the registry has no such manifest or repository.
pub(crate) fn is_not_found(error: &OciDistributionError) -> bool {
    match error {
        OciDistributionError::RegistryError { envelope, .. } => envelope.errors.iter().any(|e| {
            matches!(
                e.code,
                OciErrorCode::ManifestUnknown
                    | OciErrorCode::NameUnknown
                    | OciErrorCode::NotFound
                    | OciErrorCode::BlobUnknown
            )
        }),
        OciDistributionError::ServerError { code, .. } => *code == 404,
        OciDistributionError::RequestError(error) => {
            error.status().is_some_and(|code| code.as_u16() == 404)
        }
        _ => false,
    }
}

/// The registry's own words, without the client's URL wrapping where it has them.
pub(crate) fn describe(error: &OciDistributionError) -> String {
    match error {
        OciDistributionError::RegistryError { envelope, .. } => envelope
            .errors
            .iter()
            .map(|e| {
                let code = serde_json::to_value(&e.code)
                    .ok()
                    .and_then(|code| code.as_str().map(str::to_owned))
                    .unwrap_or_default();
                if e.message.is_empty() {
                    code
                } else {
                    format!("{code}: {}", e.message)
                }
            })
            .collect::<Vec<_>>()
            .join("; "),
        OciDistributionError::ServerError { code, message, .. } => {
            let message = message.trim();
            if message.is_empty() {
                format!("HTTP {code}")
            } else {
                format!("HTTP {code}: {message}")
            }
        }
        other => chain(other),
    }
}

/// Connection refused, name not resolved, TLS handshake failed or timed out: the reason, else
/// `None`.
fn unreachable(error: &OciDistributionError) -> Option<String> {
    match error {
        OciDistributionError::RequestError(request)
            if request.is_connect() || request.is_timeout() =>
        {
            Some(innermost(request))
        }
        _ => None,
    }
}

fn refused(error: &OciDistributionError) -> Option<String> {
    let status = |code: u16| code == 401 || code == 403;
    match error {
        OciDistributionError::UnauthorizedError { .. } => Some("HTTP 401 Unauthorized".to_owned()),
        OciDistributionError::AuthenticationFailure(reason) => Some(if reason.trim().is_empty() {
            "authentication failed".to_owned()
        } else {
            format!("authentication failed: {}", reason.trim())
        }),
        OciDistributionError::ServerError { code, .. } if status(*code) => Some(describe(error)),
        OciDistributionError::RegistryError { envelope, .. }
            if envelope
                .errors
                .iter()
                .any(|e| matches!(e.code, OciErrorCode::Unauthorized | OciErrorCode::Denied)) =>
        {
            Some(describe(error))
        }
        OciDistributionError::RequestError(request)
            if request.status().is_some_and(|code| status(code.as_u16())) =>
        {
            Some(format!(
                "HTTP {}",
                request.status().map_or(0, |code| code.as_u16())
            ))
        }
        _ => None,
    }
}

/// The error and its causes, `a: b: c`, leaving out causes already in the message.
pub(crate) fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// The deepest cause, which says what happened (`Connection refused (os error 111)`) where the
/// outer ones only say that a request failed.
fn innermost(error: &dyn std::error::Error) -> String {
    let mut deepest = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        deepest = cause.to_string();
        source = cause.source();
    }
    deepest
}
