//! Reads `<pkg>.package.yaml` of the package-manifest format.

use std::path::Path;

use serde_norway::Value;

use crate::error::Error;
use crate::model::{PackageChannel, PackageCsv, PackageManifest};
use crate::yaml::Node;

/// Whether a file name looks like a package file; its content decides (see [`is_package`]).
pub(crate) fn is_package_file_name(name: &str) -> bool {
    name.ends_with("package.yaml") || name.ends_with("package.yml")
}

pub(crate) fn is_package(value: &Value) -> bool {
    value.get("packageName").is_some() && value.get("channels").is_some()
}

pub(crate) fn parse_package(
    file: &Path,
    value: &Value,
    csvs: Vec<PackageCsv>,
) -> Result<PackageManifest, Error> {
    let root = Node::root(value, file);
    Ok(PackageManifest {
        file: file.to_path_buf(),
        package_name: root.required_string("packageName", "name the package")?,
        channels: root
            .items("channels")?
            .iter()
            .map(|channel| {
                Ok(PackageChannel {
                    name: channel.required_string("name", "name the channel, e.g. stable")?,
                    current_csv: channel.required_string(
                        "currentCSV",
                        "write the name of the newest CSV in this channel",
                    )?,
                })
            })
            .collect::<Result<_, Error>>()?,
        default_channel: root.string("defaultChannel")?,
        csvs,
    })
}

/// The channels whose `replaces` chain from the head reaches `csv`.
pub(crate) fn channels_of(package: &PackageManifest, csv: &str) -> Vec<String> {
    package
        .channels
        .iter()
        .filter(|channel| chain(package, &channel.current_csv).contains(&csv))
        .map(|channel| channel.name.clone())
        .collect()
}

/// The CSV names from `head` down its `replaces` links, stopping at a missing CSV or a repeat.
pub(crate) fn chain<'a>(package: &'a PackageManifest, head: &'a str) -> Vec<&'a str> {
    let mut names: Vec<&str> = Vec::new();
    let mut current = Some(head);
    while let Some(name) = current {
        if names.contains(&name) {
            break;
        }
        let Some(csv) = package.csvs.iter().find(|csv| csv.name == name) else {
            break;
        };
        names.push(name);
        current = csv.replaces.as_deref();
    }
    names
}
