//! Images: the tars of the images folder, mapping.yaml checked against the chart or CSV, and,
//! without a mapping, what `helm osc mapping` would leave unmapped or without a tar.

use std::collections::BTreeSet;

use osc_mapping::{Generated, Mapping, Package, Tar};
use osc_render::{AddressPart, FoundImage, FragileKey};

use super::context::{Context, Input};
use super::finding;
use super::pods::without_chart_folder;
use crate::{Diagnostic as Finding, Rendering, Severity};

/// The image tars of the images folder, inspected; misnamed and unreadable ones are findings
/// (a misnamed tar is still inspected, so the other checks see it).
pub(crate) fn tars(context: &Context, findings: &mut Vec<Finding>) -> Vec<Tar> {
    let Some(images) = &context.images else {
        return Vec::new();
    };
    let mut paths: Vec<_> = match std::fs::read_dir(&images.path) {
        Ok(entries) => entries
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "tar"))
            .collect(),
        Err(error) => {
            findings.push(finding(
                "image-tar-unreadable",
                Severity::Error,
                images.shown.clone(),
                None,
                format!("cannot read the images folder: {error}"),
                "give the folder that holds the `docker save` tars",
            ));
            return Vec::new();
        }
    };
    paths.sort();
    let mut tars = Vec::new();
    for path in paths {
        let file_name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let shown = tar_shown(images, &file_name);
        // A built package's tar names are verify's rule (`name-image-tar`).
        if let (false, Err(broken)) = (
            context.built,
            osc_package::rules::image_tar_name(&file_name),
        ) {
            findings.push(finding(
                broken.rule,
                Severity::Error,
                shown.clone(),
                None,
                broken.problem,
                broken.help,
            ));
        }
        match osc_image::inspect(&path) {
            Ok(archive) => tars.push(Tar { file_name, archive }),
            Err(error) => findings.push(finding(
                "image-tar-unreadable",
                Severity::Error,
                shown,
                None,
                format!("not a readable image tar: {error}"),
                "save the image again with `docker save IMAGE -o FILE.tar`",
            )),
        }
    }
    tars
}

fn tar_shown(images: &Input, file_name: &str) -> String {
    format!("{}/{file_name}", images.shown.trim_end_matches('/'))
}

/// mapping.yaml read and parsed; a file that cannot be is an error finding.
pub(crate) fn mapping(context: &Context, findings: &mut Vec<Finding>) -> Option<Mapping> {
    let input = context.mapping.as_ref()?;
    let text = match std::fs::read_to_string(&input.path) {
        Ok(text) => text,
        Err(error) => {
            findings.push(mapping_invalid(input, format!("cannot read: {error}")));
            return None;
        }
    };
    match Mapping::parse(&text, &input.shown) {
        Ok(mapping) => Some(mapping),
        Err(error) => {
            findings.push(mapping_invalid(
                input,
                format!("not valid YAML of mapping.yaml's shape: {error}"),
            ));
            None
        }
    }
}

fn mapping_invalid(input: &Input, message: String) -> Finding {
    finding(
        "mapping-invalid",
        Severity::Error,
        input.shown.clone(),
        None,
        message,
        "fix the file, or write one with `helm osc mapping SOURCE --images DIR -o mapping.yaml`",
    )
}

/// A chart's images: the platform traps (osc-traps) and fragile keys, then either the mapping's
/// check against the values.yaml `helm osc package` will ship, or what a generated mapping would
/// leave out.
pub(crate) fn chart(
    chart: &osc_chart::Chart,
    rendering: &Rendering,
    mapping: Option<&Mapping>,
    tars: &[Tar],
    context: &Context,
    findings: &mut Vec<Finding>,
) {
    let discovery = &rendering.discovery;
    let traps = &rendering.traps;
    let values_file = context.file("values.yaml");
    if discovery.images.is_empty() {
        findings.push(finding(
            "images-none",
            Severity::Info,
            context.root(),
            None,
            "with these values the chart deploys no container, so no image was checked",
            "lint again with -f values that deploy the service, as its users will install it",
        ));
    }
    for unmovable in &traps.unmovable {
        findings.push(unmovable_finding(unmovable, context));
    }
    for fix in &traps.fixes {
        findings.push(trap_finding(fix, &values_file, context.built));
    }
    for fragile in &discovery.fragile {
        findings.push(fragile_finding(chart, fragile, &values_file));
    }
    for invalid in &discovery.invalid {
        findings.push(finding(
            "image-invalid",
            Severity::Error,
            context.file(without_chart_folder(&invalid.source)),
            Some(format!(
                "{}/{}, {} {}: image",
                invalid.kind, invalid.object, invalid.container_type, invalid.container
            )),
            format!(
                "`{}` is no valid image reference ({}): the pod cannot pull it, and the platform cannot move it",
                invalid.raw, invalid.error
            ),
            "fix the value that renders this image (a digest is `sha256:` and 64 hex digits)",
        ));
    }
    for needs in &traps.needs_tag {
        findings.push(finding(
            "digest-without-tag",
            Severity::Error,
            values_file.clone(),
            Some(needs.path.clone()),
            format!(
                "`{}` pins the image by digest and names no tag: the platform re-pushes the image under a new digest, and without the digest the reference means `:latest`",
                needs.value
            ),
            "write the tag into the reference (`repo:tag@sha256:…`), or pass --images with the image's tar so `helm osc package` takes the tag from it",
        ));
    }
    for pod in &traps.pods_without_secret {
        findings.push(finding(
            "pull-secret-missing",
            Severity::Warning,
            values_file.clone(),
            Some(pod.clone()),
            format!(
                "no values key puts a pull secret into {pod}, which pulls from the platform's private registry once moved"
            ),
            "add `imagePullSecrets: {{- toYaml .Values.imagePullSecrets | nindent 8 }}` to the pod spec in the template and `imagePullSecrets: [{name: default-secret}]` to values.yaml",
        ));
    }
    for latent in &discovery.latent {
        if latent.image.keys.is_empty() {
            findings.push(finding(
                "image-latent-unmovable",
                Severity::Warning,
                values_file.clone(),
                Some(latent.switches.join(", ")),
                format!(
                    "{} (deployed once {} is on) is written by the template, not taken from values.yaml, so it keeps pulling from its old registry",
                    latent.image.reference,
                    latent.switches.join(" or ")
                ),
                "take the image from values keys so mapping.yaml can name them",
            ));
        }
    }
    match mapping {
        Some(mapping) => {
            // What the package will hold: `helm osc package` applies the fixes first.
            let shipped = if context.built {
                &rendering.values
            } else {
                &rendering.fixed_values
            };
            let file = context
                .mapping
                .as_ref()
                .map_or("mapping.yaml", |input| &input.shown);
            let checked = osc_mapping::check(file, mapping, &discovery.all_images(), shipped, tars)
                .into_iter()
                .filter(|found| !COVERED_BY_TRAPS.contains(&found.rule));
            mapping_findings(checked, file, context, findings);
        }
        None => {
            let all = discovery.all_images();
            let generated = osc_mapping::generate(chart.name(), &all, tars);
            unmappable(&generated, &all, &traps.needs_tag, context, findings);
            without_mapping(&generated, context, findings);
        }
    }
}

/// A key whose other values break the chart. Most are settings the chart checks against a list
/// (`architecture: standalone`, `resourcesPreset: nano`): no image address part looks like
/// those, so only a key whose value is shaped like a host, a path or a version is a warning.
fn fragile_finding(chart: &osc_chart::Chart, fragile: &FragileKey, values_file: &str) -> Finding {
    let value = current_value(chart, &fragile.path);
    let address_shaped = value
        .as_deref()
        .is_some_and(|value| value.contains(['/', ':', '.', '@']));
    // Discovery marks a set key only when its value shows in an image field or sits in an
    // image-shaped map, so an address-shaped one is worth a look.
    let (severity, shown) = match &value {
        Some(value) if address_shaped => (Severity::Warning, format!(" `{value}`")),
        Some(value) => (Severity::Info, format!(" `{value}`")),
        None => (Severity::Info, String::new()),
    };
    finding(
        "image-fragile-key",
        severity,
        values_file,
        Some(fragile.path.clone()),
        format!(
            "any other value than{shown} breaks the chart ({}), so whether it holds part of an \
             image address is unknown",
            one_line(&fragile.error)
        ),
        "check the key by hand: if it holds part of an image address, the platform's rewrite \
         breaks the chart the same way",
    )
}

/// The scalar a values path holds in the chart's values.yaml, or in a subchart's under its
/// alias or name.
fn current_value(chart: &osc_chart::Chart, path: &str) -> Option<String> {
    let parsed = osc_yaml::Path::parse(path).ok()?;
    let values = String::from_utf8_lossy(chart.values_yaml().unwrap_or_default()).into_owned();
    let document = osc_yaml::Document::parse(&values).ok();
    if let Some(osc_yaml::NodeKind::Scalar { value, .. }) = document
        .as_ref()
        .and_then(|doc| doc.get(&parsed))
        .map(|node| node.kind())
    {
        return Some(value.to_owned());
    }
    let (first, rest) = match parsed.segments().split_first() {
        Some((osc_yaml::Segment::Key(first), rest)) => (first, rest),
        _ => return None,
    };
    let subchart = chart.dependencies().iter().find(|dependency| {
        let alias = chart
            .metadata()
            .dependencies
            .iter()
            .find(|declared| declared.name == dependency.name() && !declared.alias.is_empty())
            .map(|declared| declared.alias.as_str());
        alias.unwrap_or(dependency.name()) == first
    })?;
    let rest = osc_yaml::Path::from_segments(rest.iter().cloned());
    current_value(subchart, &rest.to_string())
}

/// Rules of the mapping check that the traps report, with the template or key that causes them.
const COVERED_BY_TRAPS: [&str; 2] = ["image-hard-coded", "digest-pinned"];

/// An image no values key reaches: a template writes it, or it sits where the platform does not
/// rewrite.
fn unmovable_finding(unmovable: &osc_traps::Unmovable, context: &Context) -> Finding {
    use osc_traps::UnmovableKind;
    let image = &unmovable.image;
    let (rule, what) = match unmovable.kind {
        UnmovableKind::HardCoded => (
            "image-hard-coded",
            format!("the template writes the image {image} itself, not from values.yaml"),
        ),
        UnmovableKind::PartialKey => (
            "image-unmovable",
            format!("a values key holds only a piece of the address of {image}"),
        ),
        UnmovableKind::InArgs => (
            "image-unmovable",
            format!("{image} is in a container's args or command"),
        ),
        UnmovableKind::SeveralInEnv => (
            "image-unmovable",
            format!("{image} is one of several images in one env value"),
        ),
        UnmovableKind::InOtherObject => (
            "image-unmovable",
            format!("{image} is in an object that is not a pod's container image"),
        ),
    };
    finding(
        rule,
        Severity::Error,
        context.file(without_chart_folder(&unmovable.source)),
        Some(format!("{}, {}", unmovable.object, unmovable.field)),
        format!(
            "{what}: the platform replaces only whole values of the values.yaml keys mapping.yaml \
             names, so it keeps pulling from its old registry"
        ),
        unmovable.help.clone(),
    )
}

/// A trap `helm osc package` fixes in the values.yaml it packages: a warning in a source, an
/// error in a built package, which nothing fixes any more.
fn trap_finding(fix: &osc_traps::Fix, values_file: &str, built: bool) -> Finding {
    let rule = match fix.trap {
        osc_traps::Trap::Guard => "image-guard",
        osc_traps::Trap::PinnedDigest => "digest-pinned",
        osc_traps::Trap::UnreachableKey => "image-key-not-in-values",
        osc_traps::Trap::PullSecret => "pull-secret-missing",
    };
    let (severity, help) = if built {
        (
            Severity::Error,
            format!(
                "set `{}: {}` in values.yaml and package again",
                fix.path, fix.after
            ),
        )
    } else {
        (
            Severity::Warning,
            format!(
                "`helm osc package` writes `{}: {}` into the values.yaml it packages; set it in \
                 values.yaml yourself to ship the chart as you test it",
                fix.path, fix.after
            ),
        )
    };
    let now = match &fix.before {
        Some(before) => format!("it is {before} now"),
        None => "values.yaml lacks it".to_owned(),
    };
    finding(
        rule,
        severity,
        values_file,
        Some(fix.path.clone()),
        format!("{} ({now})", fix.why),
        help,
    )
}

/// An operator's images: the mapping's check, or what a generated mapping would leave out.
pub(crate) fn operator(
    bundle: &osc_csv::Bundle,
    csv_file: &str,
    mapping: Option<&Mapping>,
    tars: &[Tar],
    context: &Context,
    findings: &mut Vec<Finding>,
) {
    if let Some(mapping) = mapping {
        let file = context
            .mapping
            .as_ref()
            .map_or("mapping.yaml", |input| &input.shown);
        let checked = osc_mapping::check_operator(file, mapping, bundle, tars);
        mapping_findings(checked.into_iter(), file, context, findings);
        return;
    }
    let images = osc_mapping::operator_images(bundle);
    let mut unmovable = BTreeSet::new();
    for image in &images.unmovable {
        unmovable.insert((image.text.as_str(), image.place.as_str()));
        findings.push(finding(
            "image-unmovable",
            Severity::Error,
            csv_file,
            Some(image.place.clone()),
            format!("`{}`: {}", image.text, image.reason),
            "take the image from a field the platform rewrites: a container's `image`, an env \
             variable holding only the reference, or an alm-examples field",
        ));
    }
    let generated = osc_mapping::generate_operator(bundle, tars);
    for left_out in &generated.unmappable {
        let place = left_out.key.as_deref().unwrap_or_default();
        if unmovable.contains(&(left_out.image.as_str(), place)) {
            continue;
        }
        findings.push(finding(
            "image-unmappable",
            Severity::Warning,
            csv_file,
            left_out.key.clone(),
            format!("{}: {}", left_out.image, left_out.reason),
            "see `helm osc mapping SOURCE` for the mapping it would write",
        ));
    }
    without_mapping(&generated, context, findings);
}

/// Without a mapping: tars no image matches, images no tar holds, a multi-arch service lacking
/// an architecture, and the note that `helm osc mapping` writes one.
fn without_mapping(generated: &Generated, context: &Context, findings: &mut Vec<Finding>) {
    let Some(images) = &context.images else {
        return;
    };
    for tar in &generated.unmatched_tars {
        findings.push(finding(
            "tar-unused",
            Severity::Warning,
            tar_shown(images, &tar.file_name),
            None,
            format!("no image of the source matches this tar: {}", tar.reason),
            "remove the tar, or save the image the source deploys",
        ));
    }
    for image in &generated.unmatched_images {
        findings.push(finding(
            "image-no-tar",
            Severity::Warning,
            images.shown.clone(),
            Some(image.clone()),
            "no tar in the images folder holds this image, so the platform does not push it and \
             the service pulls it from its original registry",
            format!("save it into the folder: `docker save {image} -o <name>.tar`"),
        ));
    }
    let packages = packages(&generated.mapping);
    if packages
        .iter()
        .any(|(_, package)| package.aarch64.is_some())
    {
        for (image, package) in packages.iter().filter(|(_, package)| !package.is_empty()) {
            for (arch, tar) in [("x86_64", &package.x86_64), ("aarch64", &package.aarch64)] {
                if tar.is_none() {
                    findings.push(finding(
                        "arch-tar-missing",
                        Severity::Error,
                        images.shown.clone(),
                        Some(image.clone()),
                        format!(
                            "the service is multi-arch (some tars hold aarch64 images), but no \
                             tar holds the {arch} image of {image}"
                        ),
                        format!("add a tar of the {arch} image: `docker pull --platform linux/{} IMAGE` then `docker save`", if arch == "x86_64" { "amd64" } else { "arm64" }),
                    ));
                }
            }
        }
    }
    if !context.built {
        findings.push(finding(
            "mapping-missing",
            Severity::Info,
            images.shown.clone(),
            None,
            "no mapping.yaml: the platform needs one to know which keys hold each image's address",
            format!(
                "write it with `helm osc mapping SOURCE --images {} -o {}/mapping.yaml`",
                images.shown, images.shown
            ),
        ));
    }
}

/// Every pushed image of a mapping (`image:tag`) with its tars.
fn packages(mapping: &Mapping) -> Vec<(String, Package)> {
    let mut all = Vec::new();
    for instance in &mapping.instance {
        all.push((
            format!("{}:{}", instance.image, instance.tag),
            instance.package.clone(),
        ));
    }
    for lifecycle in &mapping.lifecycle {
        for container in &lifecycle.containers {
            all.push((
                format!("{}:{}", container.image, container.tag),
                container.package.clone(),
            ));
            for env in &container.env {
                all.push((format!("{}:{}", env.image, env.tag), env.package.clone()));
            }
        }
    }
    all.dedup_by(|a, b| a.0 == b.0);
    all
}

/// Images and keys a generated mapping cannot get right, less those the traps report: hard-coded
/// images, digest keys (pinned ones; an empty `image.digest: ""` is harmless) and partial keys.
fn unmappable(
    generated: &Generated,
    images: &[FoundImage],
    needs_tag: &[osc_traps::NeedsTag],
    context: &Context,
    findings: &mut Vec<Finding>,
) {
    for left_out in &generated.unmappable {
        let image = images
            .iter()
            .find(|image| image.reference.to_string() == left_out.image);
        let key = left_out.key.as_deref().and_then(|path| {
            image.and_then(|image| image.keys.iter().find(|key| key.path == path))
        });
        let hard_coded = left_out.key.is_none() && image.is_some_and(|image| image.keys.is_empty());
        // A digest-only reference is `digest-without-tag`'s, which says what to do.
        let needs_tag = left_out.key.is_none()
            && image.is_some_and(|image| {
                image
                    .keys
                    .iter()
                    .any(|key| needs_tag.iter().any(|needs| needs.path == key.path))
            });
        if needs_tag {
            continue;
        }
        let by_traps =
            key.is_some_and(|key| matches!(key.part, AddressPart::Digest | AddressPart::Partial));
        if hard_coded || by_traps {
            continue;
        }
        findings.push(finding(
            "image-unmappable",
            Severity::Error,
            context.file("values.yaml"),
            Some(left_out.key.clone().unwrap_or_else(|| left_out.image.clone())),
            format!("{}: {}", left_out.image, left_out.reason),
            "change the chart as the message says; `helm osc mapping` shows the mapping it can write",
        ));
    }
}

/// The mapping check's findings, their rule ids kept. Without an images folder there are no
/// tars to look for, so "the tar is missing" would be said of every tar.
fn mapping_findings(
    checked: impl Iterator<Item = Finding>,
    file: &str,
    context: &Context,
    findings: &mut Vec<Finding>,
) {
    if context.images.is_some() {
        // A tar that is there but cannot be read has its own error; it is not missing too.
        let unreadable: Vec<String> = findings
            .iter()
            .filter(|found| found.rule == "image-tar-unreadable")
            .filter_map(|found| found.file.rsplit('/').next())
            .map(|name| format!(" {name}"))
            .collect();
        findings.extend(
            checked
                .filter(|found| {
                    found.rule != "tar-missing"
                        || !unreadable.iter().any(|name| found.message.ends_with(name))
                })
                .map(from_mapping),
        );
        return;
    }
    findings.extend(
        checked
            .filter(|found| found.rule != "tar-missing")
            .map(from_mapping),
    );
    findings.push(finding(
        "tars-unchecked",
        Severity::Info,
        file,
        None,
        "no images folder given, so the tars this mapping names were not looked for",
        "pass --images DIR to check them: that they exist and hold the images and architectures named",
    ));
}

/// A diagnostic of osc-mapping's checks, as it is.
fn from_mapping(found: Finding) -> Finding {
    found
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
