//! metadata.yaml: its model, and the rules for filling it from Chart.yaml or a CSV plus the
//! command-line options.

use osc_package::rules::{ARCHITECTURES, CATEGORIES, SCENES};
use serde::Serialize;

use crate::{ConvertError, ConvertOptions};

/// The fields of metadata.yaml, as the template writes them.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Metadata {
    /// What the package was made from, for the file's header comment.
    pub origin: String,
    pub name: String,
    pub version: String,
    pub app_version: Option<String>,
    pub display_name: String,
    pub brief_description: Option<String>,
    pub detail: Option<String>,
    pub source: Option<String>,
    pub package_type: &'static str,
    pub container_image: Option<String>,
    pub repository: Option<String>,
    pub architecture: Vec<String>,
    pub capabilities: Vec<String>,
    pub categories: Vec<String>,
    pub devices: Vec<String>,
    pub industries: Vec<String>,
    pub logo: Option<Logo>,
    pub maintainers: Vec<Maintainer>,
    pub provider: Option<Provider>,
    pub scenes: Vec<String>,
    pub links: Vec<Link>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Logo {
    pub base64data: String,
    pub mediatype: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct Maintainer {
    pub name: String,
    pub email: Option<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Provider {
    pub name: String,
    pub url: Option<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Link {
    pub name: String,
    pub url: String,
}

/// `source` values the platform knows.
pub(crate) const SOURCES: [&str; 3] = ["ISV", "OpenSource", "HuaweiProvided"];
/// `devices` values the platform knows.
pub(crate) const DEVICES: [&str; 3] = ["CPU", "GPU", "NPU"];
/// The platform's limit for `appVersion` and `briefDescription`: fewer than 64 characters.
pub(crate) const MAX_SHORT_TEXT_CHARS: usize = 63;

/// What the input (Chart.yaml or the CSV) says about the fields the options can override.
pub(crate) struct Input<'a> {
    /// How messages name the input: `Chart.yaml` or `the CSV`.
    pub file: &'static str,
    /// The catalog annotations (docs/package.md#catalog-metadata): `source`, `categories`, ...
    pub annotation: &'a dyn Fn(&str) -> Option<String>,
    pub display_name: Option<String>,
    /// The short description, which becomes `briefDescription`.
    pub description: Option<String>,
}

/// Fills the fields the options can give, checks them, and enforces what a listed (`source: ISV`)
/// package needs; `metadata` already holds what only the input gives.
pub(crate) fn complete(
    metadata: &mut Metadata,
    options: &ConvertOptions,
    input: &Input<'_>,
    warnings: &mut Vec<String>,
) -> Result<(), ConvertError> {
    check_name_and_version(metadata, input)?;
    let source = source(options, input)?;
    let listed = source == "ISV";
    metadata.source = Some(source);
    let mut completion = Completion {
        options,
        input,
        listed,
        warnings,
    };

    metadata.categories = categories(options, input, completion.warnings)?;
    if metadata.categories.is_empty() {
        let reason = format!("{} has no `categories` annotation", input.file);
        let fix = format!("pass --category with one of: {}", CATEGORIES.join(", "));
        let what = "metadata.yaml has no categories";
        completion.missing("categories", what, reason, fix)?;
    }
    metadata.architecture = value_list(
        "architecture",
        "--architecture",
        options.architecture.as_deref(),
        input,
        &ARCHITECTURES,
        "x86_64",
        completion.warnings,
    )?;
    metadata.scenes = value_list(
        "scenes",
        "--scenes",
        options.scenes.as_deref(),
        input,
        &SCENES,
        "CCE",
        completion.warnings,
    )?;
    metadata.devices = annotation_list(input, "devices");
    if let Some(device) = metadata
        .devices
        .iter()
        .find(|device| !DEVICES.contains(&device.as_str()))
    {
        return Err(ConvertError::InvalidField {
            field: "devices",
            reason: format!("{} annotation `devices` holds `{device}`", input.file),
            fix: format!("write a comma-separated list of {}", DEVICES.join(", ")),
        });
    }
    metadata.industries = annotation_list(input, "industries");

    metadata.display_name = options
        .display_name
        .clone()
        .or_else(|| input.display_name.clone())
        .unwrap_or_else(|| metadata.name.clone());
    completion.brief_description(metadata)?;
    completion.provider(metadata)?;
    if listed && metadata.app_version.is_none() {
        return Err(ConvertError::MissingField {
            field: "appVersion",
            reason: format!("{} gives no application version", input.file),
            fix: "set appVersion in Chart.yaml, which the catalog shows for a listed (ISV) service"
                .to_string(),
        });
    }
    let too_long = metadata
        .app_version
        .as_ref()
        .filter(|app_version| app_version.chars().count() > MAX_SHORT_TEXT_CHARS);
    if let Some(app_version) = too_long {
        return Err(ConvertError::InvalidField {
            field: "appVersion",
            reason: format!(
                "`{app_version}` is {} characters long; the platform allows fewer than 64",
                app_version.chars().count()
            ),
            fix: format!("shorten the application version in {}", input.file),
        });
    }
    Ok(())
}

fn check_name_and_version(metadata: &Metadata, input: &Input<'_>) -> Result<(), ConvertError> {
    if !is_valid_name(&metadata.name) {
        return Err(ConvertError::InvalidField {
            field: "name",
            reason: format!(
                "`{}` from {} is not a valid OSC service name",
                metadata.name, input.file
            ),
            fix: "use lower-case letters, digits and `-`, starting with a letter and ending with a letter or digit"
                .to_string(),
        });
    }
    osc_package::rules::version(&metadata.version).map_err(|broken| ConvertError::InvalidField {
        field: "version",
        reason: format!("{} (from {})", broken.problem, input.file),
        fix: broken.help,
    })
}

/// `^[a-z][a-z0-9-]*[a-z0-9]$`, metadata.yaml's rule for `name`.
pub(crate) fn is_valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.len() >= 2
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || *byte == b'-')
        && bytes.last().is_some_and(|byte| *byte != b'-')
}

fn source(options: &ConvertOptions, input: &Input<'_>) -> Result<String, ConvertError> {
    let (source, from_option) = match (&options.source, (input.annotation)("source")) {
        (Some(source), _) => (source.clone(), true),
        (None, Some(source)) => (source.trim().to_string(), false),
        (None, None) => {
            return Err(ConvertError::MissingField {
                field: "source",
                reason: format!("{} has no `source` annotation", input.file),
                fix: "pass --source ISV (a partner's service), OpenSource or HuaweiProvided"
                    .to_string(),
            });
        }
    };
    if SOURCES.contains(&source.as_str()) {
        return Ok(source);
    }
    let reason = format!("the platform accepts only {}", SOURCES.join(", "));
    Err(if from_option {
        ConvertError::InvalidOption {
            option: "--source",
            value: source,
            reason,
        }
    } else {
        ConvertError::InvalidField {
            field: "source",
            reason: format!("{} annotation `source` is `{source}`", input.file),
            fix: format!(
                "write one of {} there, or pass --source",
                SOURCES.join(", ")
            ),
        }
    })
}

fn categories(
    options: &ConvertOptions,
    input: &Input<'_>,
    warnings: &mut Vec<String>,
) -> Result<Vec<String>, ConvertError> {
    if let Some(categories) = &options.categories {
        for category in categories {
            osc_package::rules::category(category).map_err(|broken| {
                ConvertError::InvalidOption {
                    option: "--category",
                    value: category.clone(),
                    reason: broken.help,
                }
            })?;
        }
        return Ok(categories.clone());
    }
    // docs/package.md#categories: read both spellings, write `categories`.
    let mut categories = annotation_list(input, "categories");
    if categories.is_empty() {
        categories = annotation_list(input, "category");
    }
    for category in &categories {
        if let Err(broken) = osc_package::rules::category(category) {
            warnings.push(format!(
                "metadata.yaml `categories`: {}; the platform takes it as free text, but {}",
                broken.problem, broken.help
            ));
        }
    }
    Ok(categories)
}

/// A list field from the option, else the annotation, else the platform's documented default.
fn value_list(
    field: &'static str,
    option: &'static str,
    from_option: Option<&[String]>,
    input: &Input<'_>,
    allowed: &[&str],
    default: &str,
    warnings: &mut Vec<String>,
) -> Result<Vec<String>, ConvertError> {
    if let Some(values) = from_option {
        if let Some(value) = values
            .iter()
            .find(|value| !allowed.contains(&value.as_str()))
        {
            return Err(ConvertError::InvalidOption {
                option,
                value: value.clone(),
                reason: format!("the platform accepts only {}", allowed.join(", ")),
            });
        }
        return Ok(values.to_vec());
    }
    let values = annotation_list(input, field);
    if values.is_empty() {
        warnings.push(format!(
            "metadata.yaml `{field}`: {} has no `{field}` annotation, so the platform's default `{default}` is written; pass {option} to choose",
            input.file
        ));
        return Ok(vec![default.to_string()]);
    }
    if let Some(value) = values
        .iter()
        .find(|value| !allowed.contains(&value.as_str()))
    {
        return Err(ConvertError::InvalidField {
            field,
            reason: format!("{} annotation `{field}` holds `{value}`", input.file),
            fix: format!(
                "write a comma-separated list of {} there, or pass {option}",
                allowed.join(", ")
            ),
        });
    }
    Ok(values)
}

/// A comma-separated annotation as a list, blanks trimmed and empty items dropped.
fn annotation_list(input: &Input<'_>, key: &str) -> Vec<String> {
    (input.annotation)(key)
        .map(|value| {
            value
                .split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// What completing the metadata goes by, and the warnings it gives.
struct Completion<'a, 'i> {
    options: &'a ConvertOptions,
    input: &'a Input<'i>,
    /// `source: ISV`: the catalog lists the service, so a missing field is an error.
    listed: bool,
    warnings: &'a mut Vec<String>,
}

impl Completion<'_, '_> {
    fn brief_description(&mut self, metadata: &mut Metadata) -> Result<(), ConvertError> {
        if let Some(brief) = &self.options.brief_description {
            if brief.chars().count() > MAX_SHORT_TEXT_CHARS {
                return Err(ConvertError::InvalidOption {
                    option: "--brief-description",
                    value: brief.clone(),
                    reason: format!(
                        "it is {} characters long; the platform allows fewer than 64",
                        brief.chars().count()
                    ),
                });
            }
            metadata.brief_description = Some(brief.clone());
            return Ok(());
        }
        let description = self
            .input
            .description
            .as_deref()
            .map(|text| text.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|text| !text.is_empty());
        let Some(description) = description else {
            if self.listed {
                return Err(ConvertError::MissingField {
                    field: "briefDescription",
                    reason: format!("{} has no description", self.input.file),
                    fix: "pass --brief-description with fewer than 64 characters".to_string(),
                });
            }
            return Ok(());
        };
        if description.chars().count() <= MAX_SHORT_TEXT_CHARS {
            metadata.brief_description = Some(description);
            return Ok(());
        }
        let brief = shorten(&description);
        self.warnings.push(format!(
            "metadata.yaml `briefDescription`: the description in {} has {} characters, more than the platform's 63, so it was shortened to \"{brief}\"{}; pass --brief-description to choose the text",
            self.input.file,
            description.chars().count(),
            if metadata.detail.is_none() {
                " and the whole text written to `detail`"
            } else {
                ""
            }
        ));
        metadata.detail.get_or_insert(description);
        metadata.brief_description = Some(brief);
        Ok(())
    }

    /// A field a listed (ISV) service must have and the input does not give: the conversion fails,
    /// or for another source, `what` is a warning.
    fn missing(
        &mut self,
        field: &'static str,
        what: &str,
        reason: String,
        fix: String,
    ) -> Result<(), ConvertError> {
        if self.listed {
            return Err(ConvertError::MissingField { field, reason, fix });
        }
        self.warnings.push(format!("{what}: {reason}; {fix}"));
        Ok(())
    }

    fn provider(&mut self, metadata: &mut Metadata) -> Result<(), ConvertError> {
        match (&self.options.provider_name, &self.options.provider_url) {
            (Some(name), Some(url)) => {
                metadata.provider = Some(Provider {
                    name: name.clone(),
                    url: Some(url.clone()),
                });
            }
            (Some(_), None) | (None, Some(_)) => {
                let (option, value) = match &self.options.provider_name {
                    Some(name) => ("--provider-name", name.clone()),
                    None => (
                        "--provider-url",
                        self.options.provider_url.clone().unwrap_or_default(),
                    ),
                };
                return Err(ConvertError::InvalidOption {
                    option,
                    value,
                    reason: "metadata.yaml `provider` is `{name, url}`: pass both --provider-name and --provider-url"
                        .to_string(),
                });
            }
            (None, None) => {}
        }
        let provider_contact = metadata
            .provider
            .as_ref()
            .is_some_and(|provider| provider.url.is_some());
        let maintainer_contact = metadata
            .maintainers
            .iter()
            .any(|maintainer| maintainer.email.is_some());
        if provider_contact || maintainer_contact {
            return Ok(());
        }
        let reason = format!(
            "{} has no provider and no maintainer with an email, and the platform refuses to list a service without a contact",
            self.input.file
        );
        let fix = "pass --provider-name and --provider-url".to_string();
        self.missing("provider", "metadata.yaml `provider`", reason, fix)
    }
}

/// The first sentence when it is short enough, else the words that fit, with `...`.
fn shorten(description: &str) -> String {
    if let Some(end) = description.find(". ") {
        let sentence = &description[..=end];
        if sentence.chars().count() <= MAX_SHORT_TEXT_CHARS {
            return sentence.to_string();
        }
    }
    let mut brief = String::new();
    for word in description.split(' ') {
        let added = if brief.is_empty() { 0 } else { 1 } + word.chars().count();
        if brief.chars().count() + added + "...".len() > MAX_SHORT_TEXT_CHARS {
            break;
        }
        if !brief.is_empty() {
            brief.push(' ');
        }
        brief.push_str(word);
    }
    if brief.is_empty() {
        brief = description
            .chars()
            .take(MAX_SHORT_TEXT_CHARS - "...".len())
            .collect();
    }
    let brief = brief.trim_end_matches([',', ';', ':', '.']);
    format!("{brief}...")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortens_long_descriptions_below_the_limit() {
        let cases = [
            (
                "Redis(R) is an open source, advanced key-value store. It is often referred to as a data structure server.",
                "Redis(R) is an open source, advanced key-value store.",
            ),
            (
                "Apache Airflow is a tool to express and execute workflows as directed acyclic graphs (DAGs).",
                "Apache Airflow is a tool to express and execute workflows as...",
            ),
        ];
        for (description, expected) in cases {
            let brief = shorten(description);
            assert_eq!(brief, expected);
            assert!(brief.chars().count() <= MAX_SHORT_TEXT_CHARS);
        }
        let one_word = "x".repeat(100);
        assert_eq!(shorten(&one_word).chars().count(), MAX_SHORT_TEXT_CHARS);
    }

    #[test]
    fn names() {
        for name in ["redis", "argo-cd", "a1"] {
            assert!(is_valid_name(name), "{name}");
        }
        for name in ["", "a", "Redis", "1redis", "redis-", "re_dis", "re.dis"] {
            assert!(!is_valid_name(name), "{name}");
        }
    }
}
