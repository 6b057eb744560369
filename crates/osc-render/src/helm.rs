use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};

use crate::RenderError;
use crate::rendered::{Rendered, parse_helm_output, parse_helm_output_keeping_valid};

/// A `helm` executable, run as a subprocess.
///
/// Each call is `helm ARGS` as its own process, unless the helm can serve commands one after
/// another in one process (the project's adapter over Helm's engine, whose start costs most
/// of a small chart's render): then calls go to such processes, kept open for the calls to
/// come. Either way the output is what `helm ARGS` prints.
#[derive(Clone, Debug)]
pub struct Helm {
    bin: PathBuf,
    /// Variables set in the environment of every helm process, besides those inherited.
    env: Vec<(OsString, OsString)>,
    servers: Arc<Servers>,
}

/// What a helm command printed, and whether it succeeded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HelmOutput {
    pub success: bool,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// What to render: `helm template RELEASE CHART -n NAMESPACE -f FILE… --set EXPR…`.
#[derive(Clone, Debug)]
pub struct RenderRequest<'a> {
    /// A chart directory or `.tgz`.
    pub chart: &'a Path,
    pub release: &'a str,
    pub namespace: &'a str,
    /// Values files, in precedence order (later files win).
    pub values_files: Vec<PathBuf>,
    /// `--set` expressions such as `image.tag=1.2`, applied after the values files.
    pub set: Vec<String>,
}

impl<'a> RenderRequest<'a> {
    /// A request with helm's defaults: release `release-name`, namespace `default`.
    pub fn new(chart: &'a Path) -> RenderRequest<'a> {
        RenderRequest {
            chart,
            release: "release-name",
            namespace: "default",
            values_files: Vec::new(),
            set: Vec::new(),
        }
    }
}

impl Helm {
    pub fn new(bin: impl Into<PathBuf>) -> Helm {
        Helm {
            bin: bin.into(),
            env: Vec::new(),
            servers: Arc::new(Servers::default()),
        }
    }

    /// This helm with `name=value` in the environment of every process it runs (for one
    /// already running: from the next one on).
    pub fn with_env(mut self, name: impl Into<OsString>, value: impl Into<OsString>) -> Helm {
        self.env.push((name.into(), value.into()));
        self
    }

    /// This helm with every call its own process, even when it could serve them in one.
    pub fn one_process_per_call(self) -> Helm {
        let servers = Servers {
            serves: Mutex::new(Some(false)),
            idle: Mutex::new(Vec::new()),
        };
        Helm {
            bin: self.bin,
            env: self.env,
            servers: Arc::new(servers),
        }
    }

    pub fn bin(&self) -> &Path {
        &self.bin
    }

    /// A command that runs this helm, with its environment, and no arguments yet.
    fn command(&self) -> Command {
        let mut command = Command::new(&self.bin);
        command.envs(self.env.iter().map(|(name, value)| (name, value)));
        command
    }

    /// Runs `helm template` and splits its output into documents.
    pub fn template(&self, request: &RenderRequest<'_>) -> Result<Rendered, RenderError> {
        let output = self.run(&template_args(request))?;
        if !output.success {
            let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
            return Err(refused(request, stderr));
        }
        let stdout = stdout_text(request, output.stdout)?;
        parse_helm_output(&stdout).map_err(|invalid| RenderError::Yaml {
            chart: request.chart.to_owned(),
            template: invalid.source,
            index: invalid.index,
            message: invalid.message,
        })
    }

    /// Runs `helm template --debug` and keeps every document that parses: the templates whose
    /// output is not valid YAML, Helm's choice of one and those this parser refuses, come
    /// back beside the documents instead of failing the render. With `--debug`, Helm prints
    /// every rendered file when one of them is not YAML (`helm template`'s own way to show
    /// invalid YAML), so a render that one broken template would stop still shows the rest.
    /// Other failures (a template that stops executing) are errors as in [`Helm::template`].
    pub(crate) fn template_keeping_valid(
        &self,
        request: &RenderRequest<'_>,
    ) -> Result<PartlyRendered, RenderError> {
        let mut args = template_args(request);
        args.insert(1, "--debug".into());
        let output = self.run(&args)?;
        let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
        let helm_refused = if output.success {
            None
        } else {
            match yaml_refusal(&stderr) {
                Some(refused) if !output.stdout.is_empty() => Some(refused),
                _ => return Err(refused(request, stderr)),
            }
        };
        let stdout = stdout_text(request, output.stdout)?;
        let (mut rendered, refused) = parse_helm_output_keeping_valid(&stdout);
        let mut broken: Vec<BrokenTemplate> = refused
            .into_iter()
            .map(|invalid| BrokenTemplate {
                template: invalid.source,
                error: invalid.message,
            })
            .collect();
        if let Some((template, error)) = helm_refused {
            rendered
                .documents
                .retain(|document| document.source != template);
            broken.retain(|known| known.template != template);
            broken.insert(0, BrokenTemplate { template, error });
        }
        Ok(PartlyRendered { rendered, broken })
    }

    /// The helm version, e.g. `v4.2.3`.
    pub fn version(&self) -> Result<String, RenderError> {
        let output = self.run(&["version".into(), "--template".into(), "{{.Version}}".into()])?;
        let version = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        if !output.success || version.is_empty() {
            return Err(RenderError::Version {
                bin: self.bin.clone(),
                stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            });
        }
        Ok(version)
    }

    /// Starts the processes that will serve this helm's calls, when it can serve them, and
    /// returns at once: they start (the adapter's engine takes longer to load than most charts
    /// take to read) while the caller does other work.
    pub fn warm_up(&self, processes: usize) {
        self.servers.warm_up(self, processes);
    }

    /// Runs `helm ARGS`.
    pub fn run(&self, args: &[OsString]) -> Result<HelmOutput, RenderError> {
        let text: Option<Vec<&str>> = args.iter().map(|arg| arg.to_str()).collect();
        if let Some(text) = text
            && let Some(mut server) = self.servers.take(self)
        {
            // A server that dies takes its call with it: the call runs again as a process,
            // which reports what went wrong as helm does.
            if let Ok(output) = server.call(&text) {
                self.servers.give_back(server);
                return Ok(output);
            }
        }
        let output = self
            .command()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|source| RenderError::Spawn {
                bin: self.bin.clone(),
                source,
            })?;
        Ok(HelmOutput {
            success: output.status.success(),
            stdout: output.stdout,
            stderr: output.stderr,
        })
    }
}

/// How Helm opens its refusal of a template's output once every template ran.
pub(crate) const YAML_REFUSAL: &str = "YAML parse error on ";

/// A render that went on past templates whose output is not YAML.
#[derive(Debug)]
pub(crate) struct PartlyRendered {
    /// Every document that parsed.
    pub(crate) rendered: Rendered,
    /// The templates left out, each with why.
    pub(crate) broken: Vec<BrokenTemplate>,
}

/// A template whose output is not valid YAML (or not the object Helm expects).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BrokenTemplate {
    /// As Helm names it: `chart/templates/x.yaml`.
    pub(crate) template: String,
    pub(crate) error: String,
}

/// A render Helm refused, with what it printed on stderr.
fn refused(request: &RenderRequest<'_>, stderr: String) -> RenderError {
    RenderError::Helm {
        chart: request.chart.to_owned(),
        template: failing_template(&stderr),
        stderr,
    }
}

fn stdout_text(request: &RenderRequest<'_>, stdout: Vec<u8>) -> Result<String, RenderError> {
    String::from_utf8(stdout).map_err(|_| RenderError::NotUtf8 {
        chart: request.chart.to_owned(),
    })
}

fn template_args(request: &RenderRequest<'_>) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec!["template".into(), "--namespace".into()];
    args.push(request.namespace.into());
    for file in &request.values_files {
        args.push("--values".into());
        args.push(values_flag_value(file));
    }
    for expression in &request.set {
        args.push("--set".into());
        args.push(expression.into());
    }
    args.extend(["--".into(), request.release.into(), request.chart.into()]);
    args
}

/// Helm's refusal of one template's output after every template ran
/// (`Error: YAML parse error on chart/templates/x.yaml: …`): the template and the error.
fn yaml_refusal(stderr: &str) -> Option<(String, String)> {
    let at = stderr.find(&format!("Error: {YAML_REFUSAL}"))? + "Error: ".len();
    let error = stderr[at..].trim_end();
    let rest = &stderr[at + YAML_REFUSAL.len()..];
    let template = rest.split_once(": ")?.0;
    Some((template.to_owned(), error.to_owned()))
}

/// The serving processes of one helm: those idle, and whether this helm serves at all.
#[derive(Debug, Default)]
struct Servers {
    /// `None` until the first try.
    serves: Mutex<Option<bool>>,
    idle: Mutex<Vec<Server>>,
}

/// The adapter's `helm adapter-serve` (tools/helm-adapter/helm): a JSON line of arguments in;
/// a JSON line of the exit code and the lengths of stdout and stderr out, then their bytes.
/// A helm without it says `unknown command` and exits, and every call is a process.
const SERVE_COMMAND: &str = "adapter-serve";
const SERVE_HELLO: &str = "helm-adapter-serve 1";

impl Servers {
    fn take(&self, helm: &Helm) -> Option<Server> {
        let idle = self.idle.lock().ok()?.pop();
        let server = match idle {
            Some(server) => server,
            None if *self.serves.lock().ok()? == Some(false) => return None,
            None => Server::spawn(helm.command())?,
        };
        let server = server.ready();
        if let Ok(mut serves) = self.serves.lock()
            && serves.is_none()
        {
            *serves = Some(server.is_some());
        }
        server
    }

    fn warm_up(&self, helm: &Helm, processes: usize) {
        if self
            .serves
            .lock()
            .is_ok_and(|serves| *serves == Some(false))
        {
            return;
        }
        let Ok(mut idle) = self.idle.lock() else {
            return;
        };
        while idle.len() < processes {
            match Server::spawn(helm.command()) {
                Some(server) => idle.push(server),
                None => break,
            }
        }
    }

    fn give_back(&self, server: Server) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(server);
        }
    }
}

#[derive(Debug)]
struct Server {
    /// `None` once dropped.
    child: Option<Child>,
    /// Dropped first: at end of input the server exits.
    requests: Option<ChildStdin>,
    replies: BufReader<ChildStdout>,
    /// It said hello: it serves.
    hello: bool,
}

impl Server {
    /// `helm adapter-serve`, started; whether it serves is known once it says hello.
    fn spawn(mut helm: Command) -> Option<Server> {
        let mut child = helm
            .arg(SERVE_COMMAND)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let requests = child.stdin.take();
        let replies = child.stdout.take().map(BufReader::new);
        Some(Server {
            child: Some(child),
            requests,
            replies: replies?,
            hello: false,
        })
    }

    /// The server once it has said hello; `None` for a helm that does not serve.
    fn ready(mut self) -> Option<Server> {
        if !self.hello {
            let mut hello = String::new();
            match self.replies.read_line(&mut hello) {
                Ok(_) if hello.trim_end() == SERVE_HELLO => self.hello = true,
                _ => return None,
            }
        }
        Some(self)
    }

    fn call(&mut self, args: &[&str]) -> std::io::Result<HelmOutput> {
        let requests = self
            .requests
            .as_mut()
            .ok_or_else(|| std::io::Error::other("the server's input is closed"))?;
        let mut request = serde_json::to_vec(&serde_json::json!({ "args": args }))?;
        request.push(b'\n');
        requests.write_all(&request)?;
        requests.flush()?;
        let mut header = String::new();
        self.replies.read_line(&mut header)?;
        let header: ReplyHeader = serde_json::from_str(&header)?;
        let mut stdout = vec![0; header.stdout];
        self.replies.read_exact(&mut stdout)?;
        let mut stderr = vec![0; header.stderr];
        self.replies.read_exact(&mut stderr)?;
        Ok(HelmOutput {
            success: header.code == 0,
            stdout,
            stderr,
        })
    }
}

#[derive(serde::Deserialize)]
struct ReplyHeader {
    code: i32,
    stdout: usize,
    stderr: usize,
}

impl Drop for Server {
    fn drop(&mut self) {
        // Idle between calls, so nothing is lost by stopping it at once.
        self.requests = None;
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            // A process with Helm's runtime loaded takes milliseconds to tear down (about
            // 10 ms each here): it is reaped on a thread of its own, so a command about to
            // exit does not wait for it. Should no thread start, it is reaped at exit.
            let _ = std::thread::Builder::new()
                .name("helm-reaper".into())
                .spawn(move || {
                    let _ = child.wait();
                });
        }
    }
}

/// helm reads `--values` as a CSV list, so a path with a comma or quote must be quoted.
fn values_flag_value(path: &Path) -> OsString {
    match path.to_str() {
        Some(text) if text.contains([',', '"']) => {
            format!("\"{}\"", text.replace('"', "\"\"")).into()
        }
        _ => path.as_os_str().to_owned(),
    }
}

/// The template that helm names in its error, such as `chart/templates/NOTES.txt` in
/// `execution error at (chart/templates/NOTES.txt:79:4): …`.
fn failing_template(stderr: &str) -> Option<String> {
    const MARKERS: [&str; 4] = [
        "execution error at (",
        "parse error at (",
        YAML_REFUSAL,
        "template: ",
    ];
    MARKERS.iter().find_map(|marker| {
        let start = stderr.find(marker)? + marker.len();
        let path: String = stderr[start..]
            .chars()
            .take_while(|c| !matches!(c, ':' | ')' | ' ' | '\n'))
            .collect();
        path.contains('/').then_some(path)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helm_refusing_a_template_output_is_told_from_other_failures() {
        let stderr = "walk.go:75: found symbolic link\nError: YAML parse error on app/templates/web.yaml: error converting YAML to JSON: yaml: line 9: did not find expected key";
        assert_eq!(
            yaml_refusal(stderr),
            Some((
                "app/templates/web.yaml".to_owned(),
                "YAML parse error on app/templates/web.yaml: error converting YAML to JSON: yaml: line 9: did not find expected key".to_owned()
            ))
        );
        assert_eq!(
            yaml_refusal("Error: execution error at (app/templates/web.yaml:3:4): set a password"),
            None
        );
    }

    #[test]
    fn failing_template_is_read_from_helm_errors() {
        let cases = [
            (
                "Error: execution error at (nginx/templates/NOTES.txt:79:4): \n\nboom",
                Some("nginx/templates/NOTES.txt"),
            ),
            (
                "Error: template: c/templates/d.yaml:3:12: executing \"c/templates/d.yaml\" at <.Values.x.y>: nil pointer",
                Some("c/templates/d.yaml"),
            ),
            (
                "Error: parse error at (c/templates/_helpers.tpl:4): unexpected EOF",
                Some("c/templates/_helpers.tpl"),
            ),
            (
                "Error: YAML parse error on c/templates/a.yaml: error converting YAML",
                Some("c/templates/a.yaml"),
            ),
            ("Error: path \"./nochart\" not found", None),
            ("Error: template: no path here", None),
        ];
        for (stderr, expected) in cases {
            assert_eq!(failing_template(stderr).as_deref(), expected, "{stderr}");
        }
    }

    #[test]
    fn values_paths_with_commas_are_quoted_for_helm() {
        assert_eq!(
            values_flag_value(Path::new("a/values.yaml")),
            "a/values.yaml"
        );
        assert_eq!(values_flag_value(Path::new("a,b.yaml")), "\"a,b.yaml\"");
        assert_eq!(
            values_flag_value(Path::new("a\"b,c.yaml")),
            "\"a\"\"b,c.yaml\""
        );
    }
}
