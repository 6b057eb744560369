//! The command line: flags and their values, checked before any work starts.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::output::Format;

#[derive(Debug, Parser)]
#[command(
    name = "helm osc",
    bin_name = "helm osc",
    version,
    about = "Package Helm charts and Operator-Framework bundles for Huawei Cloud's OSC service catalog",
    long_about = "Turns a Helm chart or an Operator-Framework bundle into a service package for Huawei \
                  Cloud's OSC service catalog, checks it, and shows what the platform will do to it.\n\n\
                  Exit codes: 0 ok, 1 findings or errors, 2 usage.",
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// How results are printed: text for people, json for programs
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub output: Format,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build a service package (zip + .sha256) from a chart directory or chart .tgz
    Package(PackageArgs),
    /// Check a built service package: layout, names, source mark, images named by mapping.yaml, checksum
    Verify(VerifyArgs),
    /// List every image the chart deploys, the values keys that produce it, and hard-coded images
    Images(ImagesArgs),
    /// Write mapping.yaml for the chart's images and tars, or check a hand-written one (--check)
    Mapping(MappingArgs),
    /// Show the chart as the platform deploys it after rewriting its images to your registry
    Rewrite(RewriteArgs),
    /// Write the versionDefinition (instance upgrades) into csd.yaml, checked against the chart or CR
    VersionDefinition(VersionDefinitionArgs),
    /// Make the OSC-format package (metadata.yaml, CRD/CSD, lifecycle.yaml, raw/) that `oscctl convert` makes
    Convert(ConvertArgs),
    /// Report everything the platform will refuse or break on, for a chart, operator bundle or service package
    Lint(LintArgs),
    /// Push a service package's image tars to a registry as the platform does after upload
    Push(PushArgs),
    /// Push, rewrite and render as the platform does, then check every image the service deploys is in the registry
    Rehearse(RehearseArgs),
    /// Print the versions of helm-osc and of the Helm it renders with
    Version,
}

#[derive(Debug, Args)]
pub struct PackageArgs {
    /// The chart: a directory or a .tgz made by `helm package`
    pub source: PathBuf,

    #[command(flatten)]
    pub tars: TarArgs,

    /// The service name (default: the chart's name)
    #[arg(long)]
    pub name: Option<String>,

    /// The service version (default: the chart's version)
    #[arg(long = "version", value_name = "VERSION")]
    pub service_version: Option<String>,

    /// The catalog category, one of the platform's 12 (e.g. Database, "Big Data")
    #[arg(long, value_parser = parse_category)]
    pub category: Option<String>,

    #[command(flatten)]
    pub service: ServiceArgs,

    /// Where the package is written
    #[arg(
        short = 'd',
        long = "destination",
        value_name = "DIR",
        default_value = "."
    )]
    pub destination: PathBuf,

    /// A csd.yaml with a versionDefinition: package/ then holds the OSC-format package (`helm osc convert`) carrying it
    #[arg(long, value_name = "FILE")]
    pub version_definition: Option<PathBuf>,

    /// Refuse, listing them, instead of fixing the platform traps in the packaged values.yaml
    #[arg(long)]
    pub no_fix: bool,

    /// Package even when some images cannot be moved to the platform's registry
    #[arg(long)]
    pub allow_unmovable: bool,

    /// A maintainer to add to the packaged Chart.yaml or CSV, giving the service the contact OSC requires
    #[arg(long, value_name = "NAME <EMAIL>")]
    pub maintainer: Option<osc_pipeline::Maintainer>,
}

/// The image tars that go into the package, and the mapping.yaml for them.
#[derive(Debug, Args)]
pub struct TarArgs {
    /// A folder of image tars (`docker save`), one per image and architecture; a mapping.yaml there is used unless --mapping is given
    #[arg(long, value_name = "DIR")]
    pub images: Option<PathBuf>,

    /// The mapping.yaml that tells the platform where the image addresses live
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The service package: `{name}-{version}.zip`
    pub package: PathBuf,

    /// The checksum file (default: PACKAGE.sha256 when it exists)
    #[arg(long, value_name = "FILE")]
    pub sha256: Option<PathBuf>,
}

/// How a chart is rendered to find its images.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Values files, as for `helm template` (the chart's own values.yaml always applies first)
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,

    /// The namespace to render in (default: HELM_NAMESPACE, else `default`)
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
}

#[derive(Debug, Args)]
pub struct ImagesArgs {
    /// The chart: a directory or a .tgz
    pub source: PathBuf,

    #[command(flatten)]
    pub render: RenderArgs,
}

#[derive(Debug, Args)]
pub struct MappingArgs {
    /// The chart: a directory or a .tgz
    pub source: PathBuf,

    /// The folder of image tars the mapping's `package` entries name
    #[arg(long, value_name = "DIR")]
    pub images: Option<PathBuf>,

    /// Where to write mapping.yaml (default: stdout)
    #[arg(
        short = 'o',
        long = "out",
        value_name = "FILE",
        conflicts_with = "check"
    )]
    pub out: Option<PathBuf>,

    /// Check this hand-written mapping.yaml against the chart and the tars instead of writing one
    #[arg(long, value_name = "FILE")]
    pub check: Option<PathBuf>,

    #[command(flatten)]
    pub render: RenderArgs,
}

#[derive(Debug, Args)]
pub struct RewriteArgs {
    /// The chart: a directory or a .tgz
    pub source: PathBuf,

    /// The registry and organisation the platform pushes images to, e.g. swr.cn-east-3.myhuaweicloud.com/my-org
    #[arg(long, value_name = "HOST/ORG")]
    pub registry: String,

    /// The mapping.yaml to apply (default: the one `helm osc mapping` would write)
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,

    /// Write the rewritten chart to this folder (it must not exist)
    #[arg(short = 'o', long = "out", value_name = "DIR")]
    pub out: Option<PathBuf>,

    #[command(flatten)]
    pub render: RenderArgs,
}

#[derive(Debug, Args)]
pub struct VersionDefinitionArgs {
    /// The chart (directory or .tgz) or operator bundle
    pub source: PathBuf,

    /// `tag`: the path holds only a tag; `url`: the path holds a whole image reference
    #[arg(long, value_parser = ["tag", "url"])]
    pub mode: String,

    /// The values.yaml key (chart) or the field of the CR (operator, `spec.…`) the platform changes
    #[arg(long)]
    pub path: String,

    /// The versions offered, comma-separated
    #[arg(long, value_delimiter = ',', required = true, value_name = "TAG,...")]
    pub tags: Vec<String>,

    /// Operators: the kind of the alm-examples CR the path is in (default: the first example's)
    #[arg(long)]
    pub kind: Option<String>,

    /// The csd.yaml to create or update (default: print it)
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// The chart (directory or .tgz) or operator bundle
    pub source: PathBuf,

    /// Where to write: FILE.zip or FILE.tgz for an archive, else a folder (it must not exist)
    #[arg(short = 'o', long = "out", value_name = "DIR|FILE.zip")]
    pub out: PathBuf,

    /// A csd.yaml whose versionDefinition goes into the CSD
    #[arg(long, value_name = "FILE")]
    pub version_definition: Option<PathBuf>,

    /// metadata.yaml `displayName` (default: from Chart.yaml or the CSV)
    #[arg(long)]
    pub display_name: Option<String>,

    /// metadata.yaml `briefDescription`, under 64 characters
    #[arg(long)]
    pub brief_description: Option<String>,

    /// metadata.yaml `provider.name`
    #[arg(long)]
    pub provider_name: Option<String>,

    /// metadata.yaml `provider.url`
    #[arg(long)]
    pub provider_url: Option<String>,

    /// metadata.yaml `categories`
    #[arg(long, value_parser = parse_category)]
    pub category: Vec<String>,

    #[command(flatten)]
    pub service: ServiceArgs,
}

/// What `package` and `convert` say of the service in its metadata.
#[derive(Debug, Args)]
pub struct ServiceArgs {
    /// CPU architectures the service runs on (metadata `architecture`)
    #[arg(long, visible_alias = "architecture", value_delimiter = ',', value_parser = parse_arch, value_name = "ARCH,...")]
    pub arch: Vec<String>,

    /// Where the service can be deployed (metadata `scenes`)
    #[arg(long, value_delimiter = ',', value_parser = ["CCE", "UCS"], value_name = "SCENE,...")]
    pub scenes: Vec<String>,

    /// Who provides the service (metadata `source`)
    #[arg(long = "source", value_name = "SOURCE", default_value = "ISV", value_parser = ["ISV", "OpenSource", "HuaweiProvided"])]
    pub provider_source: String,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// A chart (directory or .tgz), an operator bundle (directory or .zip), or a built service package (.zip)
    pub source: PathBuf,

    #[command(flatten)]
    pub tars: TarArgs,

    /// Exit 1 on warnings too, not only on errors
    #[arg(long)]
    pub strict: bool,

    /// Write the chart with its platform traps fixed (as `package` fixes them) to --out
    #[arg(long, requires = "out")]
    pub fix: bool,

    /// With --fix: the folder to write the fixed chart to (it must not exist)
    #[arg(short = 'o', long = "out", value_name = "DIR", requires = "fix")]
    pub out: Option<PathBuf>,

    #[command(flatten)]
    pub render: RenderArgs,
}

/// Where `push` and `rehearse` push to.
#[derive(Debug, Args)]
pub struct RegistryArgs {
    /// The registry and organisation to push to, e.g. swr.cn-north-4.myhuaweicloud.com/my-org or 127.0.0.1:5000/test
    #[arg(long, value_name = "HOST[:PORT]/ORG")]
    pub registry: String,

    /// Plain HTTP (no TLS) for a registry not on this machine; loopback registries (127.0.0.1, localhost, [::1]) always get it
    #[arg(long)]
    pub plain_http: bool,
}

#[derive(Debug, Args)]
pub struct PushArgs {
    /// The service package: `{name}-{version}.zip`
    pub package: PathBuf,

    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct RehearseArgs {
    /// The service package: `{name}-{version}.zip`
    pub package: PathBuf,

    #[command(flatten)]
    pub registry: RegistryArgs,

    /// Keep the rewritten chart or bundle in this folder (it must not exist)
    #[arg(short = 'o', long = "out", value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Accepts a category in any letter case and gives back the platform's spelling.
fn parse_category(value: &str) -> Result<String, String> {
    osc_package::rules::CATEGORIES
        .iter()
        .find(|category| category.eq_ignore_ascii_case(value.trim()))
        .map(|category| category.to_string())
        .ok_or_else(|| {
            format!(
                "not one of the platform's categories: {}",
                osc_package::rules::CATEGORIES
                    .iter()
                    .map(|c| format!("\"{c}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

/// OSC names architectures as `uname -m` does; Go's names are accepted too, since image configs use them.
fn parse_arch(value: &str) -> Result<String, String> {
    match value.trim() {
        "x86_64" | "amd64" => Ok("x86_64".to_string()),
        "aarch64" | "arm64" => Ok("aarch64".to_string()),
        other => Err(format!(
            "`{other}` is not an architecture OSC knows: use x86_64 or aarch64"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_are_matched_without_case() {
        assert_eq!(parse_category("database").unwrap(), "Database");
        assert_eq!(parse_category("big data").unwrap(), "Big Data");
        assert!(
            parse_category("Databases")
                .unwrap_err()
                .contains("\"Streaming & Messaging\"")
        );
    }

    #[test]
    fn architectures_take_go_names() {
        assert_eq!(parse_arch("amd64").unwrap(), "x86_64");
        assert_eq!(parse_arch("aarch64").unwrap(), "aarch64");
        assert!(parse_arch("s390x").is_err());
    }

    #[test]
    fn cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
