use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::RenderError;
use crate::rendered::{Rendered, parse_helm_output};

/// A `helm` executable, run as a subprocess.
#[derive(Clone, Debug)]
pub struct Helm {
    bin: PathBuf,
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
        Helm { bin: bin.into() }
    }

    pub fn bin(&self) -> &Path {
        &self.bin
    }

    /// Runs `helm template` and splits its output into documents.
    pub fn template(&self, request: &RenderRequest<'_>) -> Result<Rendered, RenderError> {
        let mut command = Command::new(&self.bin);
        command
            .arg("template")
            .arg("--namespace")
            .arg(request.namespace);
        for file in &request.values_files {
            command.arg("--values").arg(values_flag_value(file));
        }
        for expression in &request.set {
            command.arg("--set").arg(expression);
        }
        command.arg("--").arg(request.release).arg(request.chart);

        let output = self.run(&mut command)?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
            return Err(RenderError::Helm {
                chart: request.chart.to_owned(),
                template: failing_template(&stderr),
                stderr,
            });
        }
        let stdout = String::from_utf8(output.stdout).map_err(|_| RenderError::NotUtf8 {
            chart: request.chart.to_owned(),
        })?;
        parse_helm_output(&stdout).map_err(|invalid| RenderError::Yaml {
            chart: request.chart.to_owned(),
            template: invalid.source,
            index: invalid.index,
            message: invalid.message,
        })
    }

    /// The helm version, e.g. `v4.2.3`.
    pub fn version(&self) -> Result<String, RenderError> {
        let output =
            self.run(Command::new(&self.bin).args(["version", "--template", "{{.Version}}"]))?;
        let version = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        if !output.status.success() || version.is_empty() {
            return Err(RenderError::Version {
                bin: self.bin.clone(),
                stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            });
        }
        Ok(version)
    }

    fn run(&self, command: &mut Command) -> Result<Output, RenderError> {
        command.output().map_err(|source| RenderError::Spawn {
            bin: self.bin.clone(),
            source,
        })
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
        "YAML parse error on ",
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
