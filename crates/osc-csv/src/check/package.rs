//! Rules on a package manifest: its channels and the upgrade graph of all its CSVs.

use std::collections::BTreeSet;
use std::path::Path;

use super::{Findings, display_path};
use crate::model::{Bundle, PackageCsv, PackageManifest};
use crate::package::chain;
use crate::skip_range::SkipRange;

pub(super) fn check(bundle: &Bundle, package: &PackageManifest, findings: &mut Findings) {
    channels(package, findings);
    one_csv_per_folder(bundle, package, findings);
    replaces(package, findings);
    upgrade_graph(package, findings);
}

fn channels(package: &PackageManifest, findings: &mut Findings) {
    let file = &package.file;
    if package.channels.is_empty() {
        findings.error(
            "olm-package-channels",
            file,
            Some("channels".to_string()),
            "no channels",
            "list at least one channel with its name and currentCSV",
        );
        return;
    }
    for (index, channel) in package.channels.iter().enumerate() {
        if package.channels[..index]
            .iter()
            .any(|earlier| earlier.name == channel.name)
        {
            findings.error(
                "olm-package-channels",
                file,
                Some(format!("channels[{index}].name")),
                format!("the channel {} is listed more than once", channel.name),
                "give every channel a unique name, or merge the entries",
            );
        }
        if !package
            .csvs
            .iter()
            .any(|csv| csv.name == channel.current_csv)
        {
            findings.error(
                "olm-package-current-csv",
                file,
                Some(format!("channels[{index}].currentCSV")),
                format!(
                    "{} is not the metadata.name of any CSV in the version folders",
                    channel.current_csv
                ),
                "name the newest CSV of the channel, or add its version folder",
            );
        }
    }
    let names = package
        .channels
        .iter()
        .map(|channel| channel.name.as_str())
        .collect::<Vec<_>>();
    match &package.default_channel {
        Some(default) if !names.contains(&default.as_str()) => findings.error(
            "olm-default-channel",
            file,
            Some("defaultChannel".to_string()),
            format!(
                "{default} is not one of the channels ({})",
                names.join(", ")
            ),
            "name one of the listed channels",
        ),
        None if names.len() > 1 => findings.error(
            "olm-default-channel",
            file,
            Some("defaultChannel".to_string()),
            "missing while the package has several channels",
            format!(
                "name the channel users get by default, one of: {}",
                names.join(", ")
            ),
        ),
        _ => {}
    }
}

/// Version folders other than the loaded one; that one is checked with the bundle.
fn one_csv_per_folder(bundle: &Bundle, package: &PackageManifest, findings: &mut Findings) {
    let folder = |csv: &PackageCsv| csv.file.parent().map(Path::to_path_buf).unwrap_or_default();
    let folders: BTreeSet<_> = package.csvs.iter().map(folder).collect();
    for dir in folders.iter().filter(|dir| **dir != bundle.manifests_dir) {
        let csvs: Vec<_> = package
            .csvs
            .iter()
            .filter(|csv| folder(csv) == *dir)
            .collect();
        if csvs.len() < 2 {
            continue;
        }
        let listed = csvs
            .iter()
            .map(|csv| format!("{} ({})", csv.name, display_path(&csv.file)))
            .collect::<Vec<_>>()
            .join(", ");
        findings.error(
            "olm-one-csv",
            dir,
            None,
            format!("{} ClusterServiceVersions in one version folder: {listed}", csvs.len()),
            "a version folder holds exactly one CSV; move each other CSV with its CRDs into a folder of its own",
        );
    }
}

fn replaces(package: &PackageManifest, findings: &mut Findings) {
    let known = |name: &str| package.csvs.iter().any(|csv| csv.name == name);
    for csv in &package.csvs {
        if let Some(replaced) = &csv.replaces
            && !known(replaced)
            && replaced != &csv.name
        {
            findings.error(
                "olm-replaces",
                &csv.file,
                Some("spec.replaces".to_string()),
                format!(
                    "{} replaces {replaced}, which is not a CSV of the package {}",
                    csv.name, package.package_name
                ),
                "name the previous version's CSV (its metadata.name), or add its version folder",
            );
        }
        for (index, skipped) in csv.skips.iter().enumerate() {
            if !known(skipped) && skipped != &csv.name {
                findings.warning(
                    "olm-replaces",
                    &csv.file,
                    Some(format!("spec.skips[{index}]")),
                    format!(
                        "{skipped} is not a CSV of the package {}",
                        package.package_name
                    ),
                    "fine when that version was withdrawn; otherwise check the name for a typo",
                );
            }
        }
    }
}

fn upgrade_graph(package: &PackageManifest, findings: &mut Findings) {
    let by_name = |name: &str| package.csvs.iter().find(|csv| csv.name == name);
    let mut reported_loops: BTreeSet<Vec<&str>> = BTreeSet::new();
    let mut reachable: BTreeSet<&str> = BTreeSet::new();
    let mut members_by_channel = Vec::new();
    for channel in &package.channels {
        let Some(head) = by_name(&channel.current_csv) else {
            continue;
        };
        let members = chain(package, &head.name);
        let last = members.last().and_then(|name| by_name(name));
        if let Some(looped_to) = last.and_then(|csv| csv.replaces.as_deref())
            && let Some(start) = members.iter().position(|name| *name == looped_to)
        {
            let mut cycle = members[start..].to_vec();
            let path = format!("{} -> {looped_to}", cycle.join(" -> "));
            cycle.sort_unstable();
            if reported_loops.insert(cycle) {
                findings.error(
                    "olm-upgrade-graph",
                    &package.file,
                    None,
                    format!("channel {}: the replaces chain loops: {path}", channel.name),
                    "every CSV must replace an older one; break the loop by fixing spec.replaces",
                );
            }
        }
        for name in &members {
            reachable.insert(name);
            if let Some(csv) = by_name(name) {
                reachable.extend(csv.skips.iter().map(String::as_str));
                if let Some(range) = csv
                    .skip_range
                    .as_deref()
                    .and_then(|range| SkipRange::parse(range).ok())
                {
                    reachable.extend(
                        package
                            .csvs
                            .iter()
                            .filter(|other| {
                                semver::Version::parse(&other.version)
                                    .is_ok_and(|v| range.matches(&v))
                            })
                            .map(|other| other.name.as_str()),
                    );
                }
            }
        }
        members_by_channel.push((channel.name.as_str(), members));
    }
    for csv in package
        .csvs
        .iter()
        .filter(|csv| !reachable.contains(csv.name.as_str()))
    {
        let replaced_channels = members_by_channel
            .iter()
            .filter(|(_, members)| {
                csv.replaces
                    .as_deref()
                    .is_some_and(|replaced| members.contains(&replaced))
            })
            .map(|(channel, _)| *channel)
            .collect::<Vec<_>>();
        if replaced_channels.is_empty() {
            findings.warning(
                "olm-upgrade-graph",
                &csv.file,
                None,
                format!("{} is in no channel: no channel's currentCSV leads to it", csv.name),
                "make a channel's currentCSV replace it (directly or down the chain), or delete its folder",
            );
        } else {
            let channels = if replaced_channels.len() == 1 {
                "channel"
            } else {
                "channels"
            };
            findings.error(
                "olm-upgrade-graph",
                &csv.file,
                None,
                format!(
                    "{} replaces {} of {channels} {} but no channel's currentCSV leads to it, so it is a second head",
                    csv.name,
                    csv.replaces.as_deref().unwrap_or_default(),
                    replaced_channels.join(", ")
                ),
                format!(
                    "point currentCSV of {} at {}, or make the current head replace it",
                    replaced_channels.join(", "),
                    csv.name
                ),
            );
        }
    }
}
