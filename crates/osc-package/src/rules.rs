//! OSC's naming rules and value sets, as docs/package.md#naming and #catalog-metadata state them.
//!
//! Each check returns a [`RuleError`] that names the rule, says what is wrong and what to do, so
//! `write` can refuse with it and `verify` can turn it into a finding.

use std::fmt;

/// A name or value that breaks one of OSC's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// Stable rule id, e.g. `name-image-tar`.
    pub rule: &'static str,
    /// What is wrong, naming the offending value.
    pub problem: String,
    /// What to do about it.
    pub help: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.problem, self.help)
    }
}

impl std::error::Error for RuleError {}

/// The catalog's categories, spelled exactly as the platform expects them.
pub const CATEGORIES: [&str; 12] = [
    "AI/Machine Learning",
    "Application Runtime",
    "Big Data",
    "Database",
    "Monitoring",
    "Security",
    "Streaming & Messaging",
    "Integration & Delivery",
    "Logging & Tracing",
    "Developer Tools",
    "Networking",
    "Others",
];

/// CPU architectures the platform merges image tars for.
pub const ARCHITECTURES: [&str; 2] = ["x86_64", "aarch64"];

/// Where the platform can deploy a service.
pub const SCENES: [&str; 2] = ["CCE", "UCS"];

/// The platform's upper limit for the deployable in `package/` ("at most 4 MB").
pub const MAX_DEPLOYABLE_BYTES: u64 = 4 * 1024 * 1024;

const MAX_SERVICE_NAME_CHARS: usize = 64;
/// NAME_MAX of common file systems.
const MAX_FILE_NAME_BYTES: usize = 255;

/// serviceName: ASCII letters, digits and `-`, 1 to 64 characters.
pub fn service_name(name: &str) -> Result<(), RuleError> {
    let rule = "name-service";
    if name.is_empty() {
        return Err(broken(
            rule,
            "the service name is empty".into(),
            "give a name made of ASCII letters, digits and `-`".into(),
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        return Err(broken(
            rule,
            format!(
                "service name `{name}` holds {c:?}, but OSC allows only ASCII letters, digits and `-`"
            ),
            format!("replace {c:?} with `-` or drop it"),
        ));
    }
    if name.len() > MAX_SERVICE_NAME_CHARS {
        return Err(broken(
            rule,
            format!(
                "service name `{name}` is {} characters long, but OSC allows at most {MAX_SERVICE_NAME_CHARS}",
                name.len()
            ),
            "shorten it".into(),
        ));
    }
    Ok(())
}

/// version: SemVer 2.0 without build metadata.
pub fn version(version: &str) -> Result<(), RuleError> {
    let rule = "name-version";
    let parsed = semver::Version::parse(version).map_err(|e| {
        broken(
            rule,
            format!("version `{version}` is not a SemVer 2.0 version ({e})"),
            "write it as MAJOR.MINOR.PATCH with an optional `-prerelease`, e.g. `1.2.0` or `1.2.0-rc.1`"
                .into(),
        )
    })?;
    if !parsed.build.is_empty() {
        return Err(broken(
            rule,
            format!("version `{version}` has build metadata, which OSC refuses"),
            format!("drop `+{}`", parsed.build),
        ));
    }
    Ok(())
}

/// Image tar file names: letters, digits, `_`, `-`, `.`; ends with `.tar`; the part before `.tar`
/// neither starts nor ends with `_`, `-` or `.`.
pub fn image_tar_name(file_name: &str) -> Result<(), RuleError> {
    let rule = "name-image-tar";
    let Some(stem) = file_name.strip_suffix(".tar") else {
        return Err(broken(
            rule,
            format!("image tar `{file_name}` does not end with `.tar`"),
            "give the platform an uncompressed `docker save` archive named `NAME.tar`".into(),
        ));
    };
    if let Some(c) = file_name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        return Err(broken(
            rule,
            format!(
                "image tar `{file_name}` holds {c:?}, but image tar names allow only letters, digits, `_`, `-` and `.`"
            ),
            format!("rename the file without {c:?}, e.g. with `-` in its place"),
        ));
    }
    let is_separator = |c: char| matches!(c, '_' | '-' | '.');
    match (stem.chars().next(), stem.chars().last()) {
        (None, _) | (_, None) => Err(broken(
            rule,
            format!("image tar `{file_name}` has no name before `.tar`"),
            "name the file after its image, e.g. `redis-7.2.4.tar`".into(),
        )),
        (Some(first), _) if is_separator(first) => Err(broken(
            rule,
            format!("image tar `{file_name}` starts with {first:?}"),
            "rename it so it starts with a letter or digit".into(),
        )),
        (_, Some(last)) if is_separator(last) => Err(broken(
            rule,
            format!("image tar `{file_name}` ends with {last:?} before `.tar`"),
            "rename it so the part before `.tar` ends with a letter or digit".into(),
        )),
        _ => Ok(()),
    }
}

/// A catalog category, spelled exactly as in [`CATEGORIES`].
pub fn category(category: &str) -> Result<(), RuleError> {
    if CATEGORIES.contains(&category) {
        return Ok(());
    }
    let help = match CATEGORIES
        .iter()
        .find(|known| known.eq_ignore_ascii_case(category))
    {
        Some(known) => format!("write it as `{known}`"),
        None => format!("use one of: {}", CATEGORIES.join(", ")),
    };
    Err(broken(
        "name-category",
        format!("category `{category}` is not one of the platform's categories"),
        help,
    ))
}

/// The deployable in `package/`: a plain file name ending in `.tgz` (a Helm chart) or `.zip` (an
/// operator bundle or OSC-format package).
pub fn deployable_name(file_name: &str) -> Result<(), RuleError> {
    let rule = "name-deployable";
    if !is_plain_file_name(file_name) {
        return Err(broken(
            rule,
            format!("deployable `{file_name}` is not a plain file name"),
            "give a file name without `/`, `\\` or `..`, such as `redis-18.1.0.tgz`".into(),
        ));
    }
    if !(file_name.ends_with(".tgz") || file_name.ends_with(".zip")) {
        return Err(broken(
            rule,
            format!("deployable `{file_name}` is neither a `.tgz` nor a `.zip`"),
            "package a Helm chart as `{chart}-{version}.tgz` (helm package) and an operator bundle or OSC-format package as a `.zip`".into(),
        ));
    }
    Ok(())
}

/// The deployable's size against the platform's limit.
pub fn deployable_size(file_name: &str, bytes: u64) -> Result<(), RuleError> {
    if bytes <= MAX_DEPLOYABLE_BYTES {
        return Ok(());
    }
    Err(broken(
        "limit-deployable-size",
        format!(
            "deployable `{file_name}` is {bytes} bytes, but the platform accepts at most {MAX_DEPLOYABLE_BYTES} bytes (4 MB)"
        ),
        "keep images, test data and large files out of the chart or bundle; images belong in images/".into(),
    ))
}

/// A file name that stays inside the folder it is put in, no longer than file systems allow.
pub(crate) fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_FILE_NAME_BYTES
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\'])
}

fn broken(rule: &'static str, problem: String, help: String) -> RuleError {
    RuleError {
        rule,
        problem,
        help,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_names() {
        let cases: &[(&str, bool)] = &[
            ("redis", true),
            ("Redis-Cluster-2", true),
            ("-", true),
            (&"a".repeat(64), true),
            (&"a".repeat(65), false),
            ("", false),
            ("redis_cluster", false),
            ("redis.io", false),
            ("rédis", false),
            ("a b", false),
        ];
        for (name, ok) in cases {
            assert_eq!(service_name(name).is_ok(), *ok, "service name {name:?}");
        }
    }

    #[test]
    fn versions() {
        let cases = [
            ("1.0.0", true),
            ("0.0.1-rc.1", true),
            ("1.2.3-alpha.1+build.5", false),
            ("1.0.0+20240101", false),
            ("1.0", false),
            ("v1.0.0", false),
            ("01.0.0", false),
            ("", false),
        ];
        for (version_text, ok) in cases {
            assert_eq!(
                version(version_text).is_ok(),
                ok,
                "version {version_text:?}"
            );
        }
        let build = version("1.0.0+abc").unwrap_err();
        assert_eq!(build.help, "drop `+abc`");
    }

    #[test]
    fn image_tar_names() {
        let cases = [
            ("redis-7.2.4.tar", true),
            ("etcd_3.5.0-arm64.tar", true),
            ("A.tar", true),
            ("x.tar.tar", true),
            ("-x.tar", false),
            ("_x.tar", false),
            (".x.tar", false),
            ("x_.tar", false),
            ("x-.tar", false),
            ("x..tar", false),
            ("a b.tar", false),
            ("x.tar.gz", false),
            ("x.TAR", false),
            (".tar", false),
            ("tar", false),
            ("ré.tar", false),
            ("a/b.tar", false),
        ];
        for (name, ok) in cases {
            assert_eq!(image_tar_name(name).is_ok(), ok, "image tar {name:?}");
        }
    }

    #[test]
    fn categories() {
        for known in CATEGORIES {
            assert_eq!(category(known), Ok(()));
        }
        assert_eq!(
            category("database").unwrap_err().help,
            "write it as `Database`"
        );
        assert!(
            category("Databases")
                .unwrap_err()
                .help
                .starts_with("use one of: AI/Machine Learning")
        );
    }

    #[test]
    fn deployables() {
        let cases = [
            ("redis-18.1.0.tgz", true),
            ("etcd-operator.zip", true),
            ("redis-18.1.0.tar.gz", false),
            ("chart", false),
            ("../x.tgz", false),
            ("a\\b.zip", false),
            ("", false),
        ];
        for (name, ok) in cases {
            assert_eq!(deployable_name(name).is_ok(), ok, "deployable {name:?}");
        }
        assert!(deployable_size("x.tgz", MAX_DEPLOYABLE_BYTES).is_ok());
        assert!(deployable_size("x.tgz", MAX_DEPLOYABLE_BYTES + 1).is_err());
    }
}
