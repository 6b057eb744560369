//! A real registry for tests: Debian's `docker-registry` (the CNCF distribution registry) on a free
//! loopback port, storing into a temporary folder, stopped when dropped. `cargo xtask test`
//! installs it; `OSC_REGISTRY_BIN` names another binary.
//!
//! Test support, so it panics (with what to do) where library code would return an error.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;

/// The registry program, as Debian installs it.
const PROGRAM: &str = "docker-registry";

/// How long a registry may take to answer after it is started.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// A running registry; dropping it stops it and removes its storage.
pub struct TestRegistry {
    child: Child,
    port: u16,
    /// Basic-auth credentials the registry takes, sent by [`TestRegistry::get`].
    user: Option<(String, String)>,
    dir: tempfile::TempDir,
}

/// An HTTP answer of the registry.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body as JSON.
    ///
    /// # Panics
    /// When it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| {
            panic!(
                "the registry answered HTTP {} with a body that is not JSON ({error}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

impl TestRegistry {
    /// A registry anyone may push to.
    ///
    /// # Panics
    /// When the registry is not installed or does not start; the message says how to get it.
    pub fn start() -> TestRegistry {
        TestRegistry::launch(None)
    }

    /// A registry that takes only `user` with `password` (htpasswd, HTTP basic auth).
    ///
    /// # Panics
    /// As [`TestRegistry::start`].
    pub fn start_with_user(user: &str, password: &str) -> TestRegistry {
        TestRegistry::launch(Some((user.to_owned(), password.to_owned())))
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The folder the registry stores into (and its config and log are in).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// GETs `path` (e.g. `/v2/org/etcd/tags/list`) with `accept` types, as the registry's user.
    ///
    /// # Panics
    /// When the registry cannot be reached.
    pub fn get(&self, path: &str, accept: &[&str]) -> Response {
        self.request("GET", path, accept)
    }

    /// HEADs `path`, e.g. `/v2/org/etcd/blobs/sha256:...`; the status.
    ///
    /// # Panics
    /// When the registry cannot be reached.
    pub fn head(&self, path: &str) -> u16 {
        self.request("HEAD", path, &[]).status
    }

    /// The tags of `repository` (`org/name`); none when the repository does not exist.
    ///
    /// # Panics
    /// When the registry cannot be reached or answers something else than a tag list.
    pub fn tags(&self, repository: &str) -> Vec<String> {
        let response = self.get(&format!("/v2/{repository}/tags/list"), &[]);
        if response.status == 404 {
            return Vec::new();
        }
        assert_eq!(
            response.status,
            200,
            "tags of {repository}: {}",
            String::from_utf8_lossy(&response.body)
        );
        response.json()["tags"]
            .as_array()
            .map(|tags| {
                tags.iter()
                    .filter_map(|tag| tag.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The registry's log so far, for assertion messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    fn launch(user: Option<(String, String)>) -> TestRegistry {
        let program = program();
        // A port found free may be taken before the registry binds it; try again then.
        let mut last_log = String::new();
        for _ in 0..3 {
            let dir = tempfile::Builder::new()
                .prefix("osc-registry-test")
                .tempdir()
                .unwrap_or_else(|error| panic!("cannot make a temporary folder: {error}"));
            let port = free_port();
            let config = write_config(dir.path(), port, user.as_ref());
            let log_path = dir.path().join("registry.log");
            let log = std::fs::File::create(&log_path)
                .unwrap_or_else(|error| panic!("cannot create {}: {error}", log_path.display()));
            let log_err = log
                .try_clone()
                .unwrap_or_else(|error| panic!("cannot reopen {}: {error}", log_path.display()));
            let child = Command::new(&program)
                .arg("serve")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(log)
                .stderr(log_err)
                .spawn()
                .unwrap_or_else(|error| {
                    panic!(
                        "cannot start {}: {error}; {}",
                        program.display(),
                        install_hint()
                    )
                });
            let mut registry = TestRegistry {
                child,
                port,
                user: user.clone(),
                dir,
            };
            if registry.wait_ready() {
                return registry;
            }
            last_log = registry.log();
        }
        panic!(
            "{} did not start on a loopback port (three tries); its log:\n{last_log}",
            program.display()
        );
    }

    /// Whether the registry answers; false when it exited (e.g. its port was taken).
    fn wait_ready(&mut self) -> bool {
        let started = Instant::now();
        while started.elapsed() < START_TIMEOUT {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if self.try_request("GET", "/v2/", &[]).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "the registry did not answer on {} within {START_TIMEOUT:?}; its log:\n{}",
            self.host(),
            self.log()
        );
    }

    fn request(&self, method: &str, path: &str, accept: &[&str]) -> Response {
        self.try_request(method, path, accept)
            .unwrap_or_else(|error| {
                panic!(
                    "{method} {path} on the test registry {} failed: {error}; its log:\n{}",
                    self.host(),
                    self.log()
                )
            })
    }

    /// HTTP/1.0, so that the answer is not chunked and ends when the connection closes.
    fn try_request(&self, method: &str, path: &str, accept: &[&str]) -> std::io::Result<Response> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        let mut request = format!("{method} {path} HTTP/1.0\r\nHost: {}\r\n", self.host());
        if !accept.is_empty() {
            request.push_str(&format!("Accept: {}\r\n", accept.join(", ")));
        }
        if let Some((user, password)) = &self.user {
            let token =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            request.push_str(&format!("Authorization: Basic {token}\r\n"));
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes())?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw)?;
        parse_response(&raw)
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn parse_response(raw: &[u8]) -> std::io::Result<Response> {
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
    let end = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .ok_or_else(|| bad("no end of the HTTP head"))?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| bad("no HTTP status line"))?;
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    Ok(Response {
        status,
        headers,
        body: raw[end + 4..].to_vec(),
    })
}

fn program() -> PathBuf {
    if let Some(bin) = std::env::var_os("OSC_REGISTRY_BIN").filter(|bin| !bin.is_empty()) {
        return PathBuf::from(bin);
    }
    std::env::var_os("PATH")
        .and_then(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join(PROGRAM))
                .find(|candidate| candidate.is_file())
        })
        .unwrap_or_else(|| panic!("{PROGRAM} is not installed; {}", install_hint()))
}

fn install_hint() -> &'static str {
    "the osc-registry tests push to a real registry, Debian's docker-registry package (the CNCF \
     distribution registry): `cargo xtask test` installs it with apt-get when run as root, or \
     install it with `apt-get install docker-registry`, or set OSC_REGISTRY_BIN to a distribution \
     registry binary"
}

fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap_or_else(|error| panic!("cannot find a free loopback port: {error}"))
}

fn write_config(dir: &Path, port: u16, user: Option<&(String, String)>) -> PathBuf {
    let storage = dir.join("storage");
    let mut config = format!(
        "version: 0.1\n\
         log:\n  level: warn\n  accesslog:\n    disabled: true\n\
         storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n  \
         maintenance:\n    uploadpurging:\n      enabled: false\n\
         http:\n  addr: 127.0.0.1:{port}\n  secret: osc-registry-test\n",
        storage.display()
    );
    if let Some((user, password)) = user {
        // Cost 4, the least bcrypt has: the registry checks it on every request.
        let hash = bcrypt::hash_with_result(password, 4)
            .unwrap_or_else(|error| panic!("cannot bcrypt the test password: {error}"))
            .format_for_version(bcrypt::Version::TwoA);
        let htpasswd = dir.join("htpasswd");
        std::fs::write(&htpasswd, format!("{user}:{hash}\n"))
            .unwrap_or_else(|error| panic!("cannot write {}: {error}", htpasswd.display()));
        config.push_str(&format!(
            "auth:\n  htpasswd:\n    realm: osc-registry-test\n    path: {}\n",
            htpasswd.display()
        ));
    }
    let path = dir.join("config.yml");
    std::fs::write(&path, config)
        .unwrap_or_else(|error| panic!("cannot write {}: {error}", path.display()));
    path
}
