//! Credentials from the Docker config file named by REGISTRY_AUTH_FILE, against a registry that
//! takes one user (htpasswd). One test only: it sets the environment, which no other thread of
//! this test binary then reads.

mod common;

use base64::Engine;
use common::*;
use osc_registry::testing::TestRegistry;
use osc_registry::{Error, Options, Plan, Registry, inspect, push};

const USER: &str = "osc-pusher";
const PASSWORD: &str = "right-horse-battery";
const WRONG: &str = "wrong-staple-secret";

fn auth_entry(user: &str, password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

#[test]
fn credentials_come_from_the_auth_file_and_never_show() {
    let registry = TestRegistry::start_with_user(USER, PASSWORD);
    let host = registry.host();
    let target = Registry::parse(&format!("{host}/org")).unwrap();
    let plan = Plan::from_dir(&example("etcd-images")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let auth_file = dir.path().join("auth.json");
    // SAFETY: this binary's only test, so no other thread reads or writes the environment.
    unsafe { std::env::set_var("REGISTRY_AUTH_FILE", &auth_file) };
    let options = Options::default();

    // A wrong password: refused, naming the file read and not the secret.
    std::fs::write(
        &auth_file,
        format!(
            r#"{{"auths": {{"{host}": {{"auth": "{}"}}}}}}"#,
            auth_entry(USER, WRONG)
        ),
    )
    .unwrap();
    let error = push(&plan, &target, &options, |_| {}).unwrap_err();
    let (message, debug) = (error.to_string(), format!("{error:?}"));
    assert!(matches!(error, Error::AuthRefused { .. }), "{message}");
    assert!(message.contains(&host), "{message}");
    assert!(
        message.contains(&auth_file.display().to_string()),
        "{message}"
    );
    assert!(message.contains("were refused"), "{message}");
    for shown in [&message, &debug] {
        assert!(
            !shown.contains(WRONG) && !shown.contains(&auth_entry(USER, WRONG)),
            "{shown}"
        );
    }
    assert!(registry.tags("org/etcd").is_empty());
    let error = inspect(&format!("{host}/org/etcd:3.5.17"), &options).unwrap_err();
    assert!(matches!(error, Error::AuthRefused { .. }), "{error}");

    // No entry for the host, and a credential helper we do not run: said so.
    std::fs::write(&auth_file, r#"{"auths": {}, "credsStore": "desktop"}"#).unwrap();
    let message = push(&plan, &target, &options, |_| {})
        .unwrap_err()
        .to_string();
    assert!(message.contains("credential helper `desktop`"), "{message}");

    // A file that REGISTRY_AUTH_FILE names but that is not there.
    std::fs::remove_file(&auth_file).unwrap();
    let error = push(&plan, &target, &options, |_| {}).unwrap_err();
    assert!(matches!(error, Error::AuthConfig { .. }), "{error}");

    // The right password, as username/password fields this time.
    std::fs::write(
        &auth_file,
        format!(r#"{{"auths": {{"http://{host}": {{"username": "{USER}", "password": "{PASSWORD}"}}}}}}"#),
    )
    .unwrap();
    let pushed = push(&plan, &target, &options, |_| {}).unwrap();
    assert_eq!(pushed.len(), 2);
    assert_eq!(registry.tags("org/etcd"), ["3.5.17"]);
    let remote = inspect(&pushed[0].reference, &options).unwrap().unwrap();
    assert!(remote.is_complete(), "{remote:?}");

    // An explicit auth file wins over the environment.
    let other = dir.path().join("other.json");
    std::fs::write(
        &other,
        format!(
            r#"{{"auths": {{"{host}": {{"auth": "{}"}}}}}}"#,
            auth_entry(USER, WRONG)
        ),
    )
    .unwrap();
    let options = Options {
        auth_file: Some(other),
        ..Options::default()
    };
    let error = inspect(&pushed[0].reference, &options).unwrap_err();
    assert!(matches!(error, Error::AuthRefused { .. }), "{error}");
}
