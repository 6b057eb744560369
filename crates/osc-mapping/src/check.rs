//! Checking a mapping against the chart's images, its values.yaml and the package's tars.

use std::collections::HashMap;

use osc_diagnostic::{Diagnostic, Severity};
use osc_image::Arch;
use osc_imageref::{ImageRef, is_valid_tag};
use osc_render::{AddressPart, FoundImage, KeyOrigin, KeyPart};
use osc_yaml::{Document, NodeKind, Path};

use crate::apply::Target;
use crate::found::{is_unset, mapping_part};
use crate::generate::{describe_use, holds};
use crate::{Address, Mapping, Package, Part, Tar};

/// Checks a Helm chart's mapping (`file` names it in findings) as the platform would use it:
/// the keys exist in the top-level values.yaml, reach the images with the parts claimed, and
/// once written rebuild each image's whole address; every image is covered; names are valid;
/// the tars exist and have the architectures they are named for; no key gets two values.
///
/// Rules, errors unless marked:
/// - `values-invalid`: values.yaml does not parse.
/// - `operator-field` (warning): `kind` or `lifecycle`, which only operators use.
/// - `address-empty`: an entry names no key.
/// - `path-invalid`: a path is no dotted key path.
/// - `path-missing`: values.yaml lacks the key.
/// - `path-only-in-subchart`: only a subchart's values.yaml has the key.
/// - `path-not-scalar`: the key holds a mapping or a list.
/// - `key-not-image`: the key makes up no image's address.
/// - `part-mismatch`: the key holds another part than the field it is under.
/// - `shared-key-conflict`: two entries write different values into one key.
/// - `image-hard-coded`: a template writes an image no key produces.
/// - `image-not-covered`: no entry writes any key of an image.
/// - `entry-incomplete`: after the rewrite a part of an image's address (registry, path, tag)
///   is still the old one, because no key holds it whole or the image name does not fit.
/// - `key-not-mapped`: a key of an image is written by no entry and keeps its old value.
/// - `key-wrong-value`: an entry writes another image's value into a key of an image.
/// - `tag-differs` (warning): the pushed tag is not the deployed one.
/// - `digest-pinned`: the image keeps a digest, which the pushed image will not have.
/// - `image-name-invalid`, `tag-invalid`: not valid in an image reference.
/// - `package-missing`: an entry names no tar.
/// - `tar-missing`: a named tar is not in `tars`.
/// - `tar-arch-mismatch`: a tar holds no image of the architecture it is named for.
/// - `tar-image-mismatch` (warning): a tar holds other images than the entry maps.
/// - `arch-tar-missing`: a multi-arch service lacks a tar of one architecture for an image.
/// - `image-name-collision`: two entries push different images as one `image:tag`.
pub fn check(
    file: &str,
    mapping: &Mapping,
    images: &[FoundImage],
    values_yaml: &str,
    tars: &[Tar],
) -> Vec<Diagnostic> {
    let mut checker = Checker {
        report: Report {
            file,
            findings: Vec::new(),
        },
        mapping,
        images,
        keys: HashMap::new(),
    };
    for (index, image) in images.iter().enumerate() {
        for key in &image.keys {
            checker
                .keys
                .entry(&key.path)
                .or_default()
                .push((index, key));
        }
    }
    let values = match Document::parse(values_yaml) {
        Ok(values) => Some(values),
        Err(error) => {
            checker.error(
                "values-invalid",
                String::new(),
                format!("values.yaml cannot be read: {error}"),
                "fix values.yaml: the platform edits it to write the image addresses",
            );
            None
        }
    };
    checker.check_operator_fields();
    for (index, instance) in mapping.instance.iter().enumerate() {
        checker.check_address(index, &instance.address, values.as_ref());
    }
    checker.check_shared_keys();
    let owners = checker.check_images();
    let pushes = checker.pushes(&owners);
    check_pushes(&mut checker.report, &pushes, tars);
    checker.report.findings
}

struct Checker<'a> {
    report: Report<'a>,
    mapping: &'a Mapping,
    images: &'a [FoundImage],
    /// Every discovered key by path, with the index of its image.
    keys: HashMap<&'a str, Vec<(usize, &'a KeyPart)>>,
}

/// The findings of one mapping file.
pub(crate) struct Report<'a> {
    pub file: &'a str,
    pub findings: Vec<Diagnostic>,
}

impl Report<'_> {
    fn push(
        &mut self,
        rule: &'static str,
        severity: Severity,
        field: impl Into<String>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        let field = field.into();
        let diagnostic = Diagnostic::new(rule, severity, self.file, message, help);
        self.findings.push(if field.is_empty() {
            diagnostic
        } else {
            diagnostic.at(field)
        });
    }

    pub(crate) fn error(
        &mut self,
        rule: &'static str,
        field: impl Into<String>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.push(rule, Severity::Error, field, message, help);
    }

    pub(crate) fn warning(
        &mut self,
        rule: &'static str,
        field: impl Into<String>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.push(rule, Severity::Warning, field, message, help);
    }
}

/// An image the platform pushes: an instance, a lifecycle container or one of its env images.
pub(crate) struct Push<'a> {
    /// `instance[0]`, `lifecycle[0].containers[1]`, `lifecycle[0].containers[1].env[0]`.
    pub field: String,
    pub image: &'a str,
    pub tag: &'a str,
    pub package: &'a Package,
    /// The images the entry is for, as the tars should hold them; empty when not known.
    pub wanted: Vec<ImageRef>,
}

/// For each entry, the images it writes most keys of.
type Owners = HashMap<usize, Vec<usize>>;

impl<'a> Checker<'a> {
    fn error(
        &mut self,
        rule: &'static str,
        field: impl Into<String>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.report.error(rule, field, message, help);
    }

    fn warning(
        &mut self,
        rule: &'static str,
        field: impl Into<String>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.report.warning(rule, field, message, help);
    }

    fn check_operator_fields(&mut self) {
        for (index, instance) in self.mapping.instance.iter().enumerate() {
            if let Some(kind) = &instance.kind {
                self.warning(
                    "operator-field",
                    format!("instance[{index}].kind"),
                    format!(
                        "kind {kind} names an alm-examples entry of an operator \
                         bundle; the platform does not use it for a Helm chart"
                    ),
                    "remove `kind`",
                );
            }
        }
        if !self.mapping.lifecycle.is_empty() {
            self.warning(
                "operator-field",
                "lifecycle",
                "lifecycle names the deployments of an operator bundle; the \
                 platform does not use it for a Helm chart",
                "remove `lifecycle`, or move its images under `instance` with \
                 the values keys that hold them",
            );
        }
    }

    fn check_address(&mut self, index: usize, address: &Address, values: Option<&Document>) {
        if address.is_empty() {
            self.error(
                "address-empty",
                format!("instance[{index}].address"),
                "the entry names no values key, so the platform writes the \
                 pushed image's address nowhere",
                "name the keys that hold the image's address, e.g. `endpoint: \
                 image.registry`, `repo: image.repository`, `tag: image.tag`",
            );
        }
        for (part, key) in address.parts() {
            let field = format!("instance[{index}].address.{part}");
            let path = match Path::parse(key) {
                Ok(path) if !key.contains('"') => path,
                Ok(_) => {
                    self.error(
                        "path-invalid",
                        field,
                        format!(
                            "path `{key}` holds a quote; mapping.yaml paths are keys \
                             joined by `.`"
                        ),
                        "write the keys without quotes; a key holding `.` cannot be \
                         named, so rename it in values.yaml",
                    );
                    continue;
                }
                Err(error) => {
                    self.error(
                        "path-invalid",
                        field,
                        format!("{error}"),
                        "write the keys from the root of values.yaml joined by `.`, \
                         e.g. `image.tag`",
                    );
                    continue;
                }
            };
            let known = self.keys.get(key).cloned().unwrap_or_default();
            if let Some(values) = values {
                match values.get(&path).map(|node| node.kind()) {
                    Some(NodeKind::Scalar { .. }) => {}
                    Some(_) => {
                        self.error(
                            "path-not-scalar",
                            field,
                            format!(
                                "values.yaml key `{key}` holds a mapping or a list, and the \
                                 platform would write a string over it"
                            ),
                            "name the key inside it that holds the address part",
                        );
                        continue;
                    }
                    None => {
                        let subchart = known.iter().find_map(|(_, found)| match &found.origin {
                            KeyOrigin::SubchartValues { chart } => Some(chart.clone()),
                            _ => None,
                        });
                        match subchart {
                            Some(chart) => self.error(
                                "path-only-in-subchart",
                                field,
                                format!(
                                    "key `{key}` is only in the values.yaml of subchart {chart}; \
                                     the platform rewrites only the chart's own values.yaml"
                                ),
                                format!(
                                    "copy `{key}` with its current value into the chart's \
                                     values.yaml (`helm osc package` does this in the packaged values.yaml)"
                                ),
                            ),
                            None => self.error(
                                "path-missing",
                                field,
                                format!(
                                    "values.yaml has no key `{key}`, so the platform cannot write \
                                     the {part} there"
                                ),
                                "add the key to values.yaml with its current value, or name \
                                 the key values.yaml has",
                            ),
                        }
                        continue;
                    }
                }
            }
            if known.is_empty() {
                self.error(
                    "key-not-image",
                    field,
                    format!(
                        "key `{key}` does not make up the address of any image the \
                         chart deploys; the platform would write the {part} of an \
                         image into it"
                    ),
                    "name a key whose value the templates put into an image \
                     address",
                );
                continue;
            }
            if known
                .iter()
                .all(|(_, found)| mapping_part(found.part) != Some(part))
            {
                let (image, found) = known[0];
                let reference = &self.images[image].reference;
                let help = match mapping_part(found.part) {
                    Some(actual) => format!("move the key under `address.{actual}`"),
                    None => "remove the key: the platform cannot write this part".to_owned(),
                };
                self.error(
                    "part-mismatch",
                    field,
                    format!(
                        "key `{key}` holds the {} of {} (`{}`), not the {part}",
                        found.part,
                        reference.familiar(),
                        found.value
                    ),
                    help,
                );
            }
        }
    }

    fn check_shared_keys(&mut self) {
        let mut first: HashMap<&str, (String, String)> = HashMap::new();
        let mut conflicts = Vec::new();
        for (index, instance) in self.mapping.instance.iter().enumerate() {
            for (part, key) in instance.address.parts() {
                let field = format!("instance[{index}].address.{part}");
                let value = Target::PLACEHOLDER.value(part, &instance.image, &instance.tag);
                match first.get(key) {
                    Some((first_field, first_value)) if *first_value != value => conflicts.push((
                        field,
                        key,
                        first_field.clone(),
                        first_value.clone(),
                        value,
                    )),
                    Some(_) => {}
                    None => {
                        first.insert(key, (field, value));
                    }
                }
            }
        }
        for (field, key, first_field, first_value, value) in conflicts {
            self.error(
                "shared-key-conflict",
                field,
                format!(
                    "key `{key}` gets {value} here but {first_value} from \
                     {first_field}; the platform writes one value into a key, the \
                     last"
                ),
                "give each image its own key, or make the entries write the \
                 same value",
            );
        }
    }

    /// Checks each image as the platform leaves it: covered, and every key written with what the
    /// image's entry pushes. Returns which images each entry is for.
    fn check_images(&mut self) -> Owners {
        let mut owners = Owners::new();
        let mut writers: HashMap<&str, (usize, Part)> = HashMap::new();
        for (index, instance) in self.mapping.instance.iter().enumerate() {
            for (part, key) in instance.address.parts() {
                writers.insert(key, (index, part));
            }
        }
        for (image_index, image) in self.images.iter().enumerate() {
            let reference = image.reference.familiar();
            if image.keys.is_empty() {
                let uses = image
                    .uses
                    .iter()
                    .map(describe_use)
                    .collect::<Vec<_>>()
                    .join("; ");
                self.error(
                    "image-hard-coded",
                    "instance",
                    format!(
                        "no values key produces {reference} ({uses}), so the platform \
                         cannot rewrite it and it keeps pulling from its registry"
                    ),
                    "take the image from values.yaml keys in the template, then \
                     map them",
                );
                continue;
            }
            let mut written_by: HashMap<usize, usize> = HashMap::new();
            for key in &image.keys {
                if let Some((writer, _)) = writers.get(key.path.as_str()) {
                    *written_by.entry(*writer).or_default() += 1;
                }
            }
            let Some(owner) = written_by
                .iter()
                .max_by_key(|(entry, count)| (**count, std::cmp::Reverse(**entry)))
                .map(|(entry, _)| *entry)
            else {
                let keys = image
                    .keys
                    .iter()
                    .map(|key| format!("{} ({})", key.path, key.part))
                    .collect::<Vec<_>>()
                    .join(", ");
                self.error(
                    "image-not-covered",
                    "instance",
                    format!("no entry maps {reference}, whose address comes from {keys}"),
                    "add an entry naming these keys (helm osc mapping generates one)",
                );
                continue;
            };
            owners.entry(owner).or_default().push(image_index);
            self.check_rewrite(image, owner, &writers);
        }
        owners
    }

    /// Whether the image's address, once the platform wrote every mapped key, is the one its
    /// entry pushes.
    fn check_rewrite(
        &mut self,
        image: &FoundImage,
        owner: usize,
        writers: &HashMap<&str, (usize, Part)>,
    ) {
        let mismatched = image.keys.iter().any(|key| {
            writers
                .get(key.path.as_str())
                .is_some_and(|(_, part)| mapping_part(key.part) != Some(*part))
        });
        if mismatched {
            // part-mismatch reported the cause; what the wrong write does is not worth guessing.
            return;
        }
        let keys = ImageKeys::new(image, writers);
        self.check_address_covered(image, owner, &keys);
        self.check_tag_covered(image, owner, &keys);
        self.check_key_values(image, owner, &keys, writers);
        self.check_digest(image, owner, &keys);
    }

    /// `entry-incomplete`: no written key moves the image's registry, or its path.
    fn check_address_covered(&mut self, image: &FoundImage, owner: usize, keys: &ImageKeys<'_>) {
        let instance = &self.mapping.instance[owner];
        let field = format!("instance[{owner}].address");
        let reference = &image.reference;
        let familiar = reference.familiar();
        let pieces = image
            .keys
            .iter()
            .filter(|key| key.part == AddressPart::Partial)
            .map(|key| format!("`{}`", key.path))
            .collect::<Vec<_>>();
        let pieces = if pieces.is_empty() {
            String::new()
        } else {
            format!("; {} holds only a piece of it", pieces.join(", "))
        };
        if keys.covering(&[
            Part::FullAddress,
            Part::Repository,
            Part::PrefixAddress,
            Part::Endpoint,
        ]) == 0
        {
            self.error(
                "entry-incomplete",
                field.clone(),
                format!(
                    "no values key holds the registry {} of {familiar}{pieces}, \
                     so it keeps pulling from {}",
                    reference.registry(),
                    reference.registry()
                ),
                "take the registry from a values key in the template and map \
                 it as `endpoint`",
            );
        }
        let whole_path = keys.covering(&[Part::FullAddress, Part::Repository, Part::Repo]);
        let prefixes: Vec<&KeyPart> = keys
            .effective
            .iter()
            .filter(|(part, _)| *part == Part::PrefixAddress)
            .map(|(_, key)| *key)
            .collect();
        if whole_path == 0 && prefixes.is_empty() {
            self.error(
                "entry-incomplete",
                field.clone(),
                format!(
                    "no values key holds the path {} of {familiar}{pieces}, so \
                     the platform cannot point it at its own repository",
                    reference.repository()
                ),
                "take the repository from a values key in the template and \
                 map it as `repo` or `repository`",
            );
        } else if whole_path == 0 {
            // How much of the path an unset prefix key would cover is not known.
            for prefix in prefixes.into_iter().filter(|key| !is_unset(key)) {
                let rest = rest_after_prefix(reference, &prefix.value);
                if rest != instance.image {
                    self.error(
                        "entry-incomplete",
                        format!("{field}.prefixAddress"),
                        format!(
                            "the template writes `{rest}` after the prefix in `{}`, so \
                             {familiar} becomes ORG/{rest}, not ORG/{}",
                            prefix.path, instance.image
                        ),
                        format!(
                            "set `image: {rest}`, or map a key that holds the whole \
                             repository"
                        ),
                    );
                }
            }
        }
    }

    /// `entry-incomplete` when no written key moves a tag other than the pushed one, and
    /// `tag-differs`.
    fn check_tag_covered(&mut self, image: &FoundImage, owner: usize, keys: &ImageKeys<'_>) {
        let instance = &self.mapping.instance[owner];
        let field = format!("instance[{owner}].address");
        let reference = &image.reference;
        let familiar = reference.familiar();
        let tag = reference.tag().unwrap_or("latest");
        if keys.covering(&[Part::FullAddress, Part::Tag]) == 0 && tag != instance.tag {
            self.error(
                "entry-incomplete",
                field,
                format!(
                    "no values key holds the tag of {familiar}, so it stays \
                     {tag}, but the entry pushes the image as {}",
                    instance.tag
                ),
                format!(
                    "set `tag: {tag}`, or take the tag from a values key and map \
                     it"
                ),
            );
        }
        if tag != instance.tag {
            self.warning(
                "tag-differs",
                format!("instance[{owner}].tag"),
                format!(
                    "the entry pushes {familiar} as {}:{}, but the chart deploys tag {tag} today",
                    instance.image, instance.tag
                ),
                format!("use `tag: {tag}` unless the tars hold a different version on purpose"),
            );
        }
    }

    /// `key-not-mapped` and `key-wrong-value`: each key of the image, once written, holds its
    /// part of the pushed address.
    fn check_key_values(
        &mut self,
        image: &FoundImage,
        owner: usize,
        keys: &ImageKeys<'_>,
        writers: &HashMap<&str, (usize, Part)>,
    ) {
        let instance = &self.mapping.instance[owner];
        let field = format!("instance[{owner}].address");
        let familiar = image.reference.familiar();
        for (part, key) in &keys.mappable {
            let expected = Target::PLACEHOLDER.value(*part, &instance.image, &instance.tag);
            match writers.get(key.path.as_str()) {
                None if is_unset(key) || keys.overridden(*part) => {}
                None if key.value != expected => self.error(
                    "key-not-mapped",
                    field.clone(),
                    format!(
                        "key `{}` makes up the {part} of {familiar} but no entry \
                         names it, so it keeps `{}` and the image stays partly at its \
                         old address",
                        key.path, key.value
                    ),
                    format!("add `{part}: {}` to an entry for the image", key.path),
                ),
                Some((writer, _)) => {
                    let by = &self.mapping.instance[*writer];
                    let value = Target::PLACEHOLDER.value(*part, &by.image, &by.tag);
                    if value != expected {
                        self.error(
                            "key-wrong-value",
                            format!("instance[{writer}].address.{part}"),
                            format!(
                                "key `{}` gets {value} from this entry, but {familiar} is \
                                 pushed as {}:{} by instance[{owner}], which needs {expected} \
                                 there",
                                key.path, instance.image, instance.tag
                            ),
                            "name the key in the entry for that image only",
                        );
                    }
                }
                None => {}
            }
        }
    }

    /// `digest-pinned`: a digest the pushed image will not have.
    fn check_digest(&mut self, image: &FoundImage, owner: usize, keys: &ImageKeys<'_>) {
        let field = format!("instance[{owner}].address");
        let familiar = image.reference.familiar();
        if let Some(digest) = image.reference.digest() {
            let digest_keys = image
                .keys
                .iter()
                .filter(|key| key.part == AddressPart::Digest)
                .map(|key| format!("`{}`", key.path))
                .collect::<Vec<_>>();
            // A whole-address key carries the digest, and once written, no longer does.
            let in_full_address = keys
                .mappable
                .iter()
                .any(|(part, _)| *part == Part::FullAddress);
            if !digest_keys.is_empty() {
                self.error(
                    "digest-pinned",
                    field,
                    format!(
                        "{} pins {} to {digest}; the pushed image gets a new manifest \
                         and digest, so the pull fails",
                        digest_keys.join(", "),
                        without_digest(&familiar)
                    ),
                    "empty the digest key in values.yaml (`helm osc package` does this in the packaged values.yaml)",
                );
            } else if !in_full_address {
                self.error(
                    "digest-pinned",
                    field,
                    format!(
                        "the template pins {} to {digest}; the pushed image gets a \
                         new manifest and digest, so the pull fails",
                        without_digest(&familiar)
                    ),
                    "take the digest from a values key and leave it empty",
                );
            }
        }
    }

    fn pushes(&self, owners: &Owners) -> Vec<Push<'a>> {
        let mut pushes = lifecycle_pushes(self.mapping, |_, _| None);
        for (index, instance) in self.mapping.instance.iter().enumerate() {
            let wanted = owners
                .get(&index)
                .into_iter()
                .flatten()
                .map(|image| self.images[*image].reference.clone())
                .collect();
            pushes.insert(
                index,
                Push {
                    field: format!("instance[{index}]"),
                    image: &instance.image,
                    tag: &instance.tag,
                    package: &instance.package,
                    wanted,
                },
            );
        }
        pushes
    }
}

/// The pushes of the lifecycle containers and their env entries; `wanted` gives the image a
/// container (`None`) or one of its env entries (`Some(index)`) is for, when known.
pub(crate) fn lifecycle_pushes<'a>(
    mapping: &'a Mapping,
    wanted: impl Fn((usize, usize), Option<usize>) -> Option<ImageRef>,
) -> Vec<Push<'a>> {
    let mut pushes = Vec::new();
    for (index, lifecycle) in mapping.lifecycle.iter().enumerate() {
        for (number, container) in lifecycle.containers.iter().enumerate() {
            let field = format!("lifecycle[{index}].containers[{number}]");
            for (env_number, env) in container.env.iter().enumerate() {
                pushes.push(Push {
                    field: format!("{field}.env[{env_number}]"),
                    image: &env.image,
                    tag: &env.tag,
                    package: &env.package,
                    wanted: wanted((index, number), Some(env_number))
                        .into_iter()
                        .collect(),
                });
            }
            pushes.push(Push {
                field,
                image: &container.image,
                tag: &container.tag,
                package: &container.package,
                wanted: wanted((index, number), None).into_iter().collect(),
            });
        }
    }
    pushes
}

/// Names, tags, tars and architectures of every pushed image, and pushes that overwrite others.
pub(crate) fn check_pushes(report: &mut Report<'_>, pushes: &[Push<'_>], tars: &[Tar]) {
    for push in pushes {
        check_names(report, push);
        check_package(report, push, tars);
    }
    check_architectures(report, pushes);
    check_collisions(report, pushes);
}

fn check_names(report: &mut Report<'_>, push: &Push<'_>) {
    if !is_valid_image_name(push.image) {
        report.error(
            "image-name-invalid",
            format!("{}.image", push.field),
            format!("image `{}` is not a valid image name", push.image),
            "use lower-case letters and digits separated by `.`, `_`, `__` or `-`, e.g. `etcd`",
        );
    }
    if !is_valid_tag(push.tag) {
        report.error(
            "tag-invalid",
            format!("{}.tag", push.field),
            format!("tag `{}` is not a valid image tag", push.tag),
            "use 1 to 128 letters, digits, `_`, `.` and `-`, not starting \
             with `.` or `-`, e.g. `3.5.0`",
        );
    }
}

fn check_package(report: &mut Report<'_>, push: &Push<'_>, tars: &[Tar]) {
    let field = format!("{}.package", push.field);
    if push.package.is_empty() {
        report.error(
            "package-missing",
            field,
            format!(
                "no tar is named, so the platform has no image to push as \
                 {}:{}",
                push.image, push.tag
            ),
            "name the image's tar in images/ under `package.x86_64` (and \
             `package.aarch64` for a multi-arch service)",
        );
        return;
    }
    let owned: Vec<&ImageRef> = push.wanted.iter().collect();
    for (arch, file_name) in [
        (Arch::X86_64, &push.package.x86_64),
        (Arch::Aarch64, &push.package.aarch64),
    ] {
        let Some(file_name) = file_name else { continue };
        let field = format!("{field}.{arch}");
        let Some(tar) = tars.iter().find(|tar| tar.file_name == *file_name) else {
            report.error(
                "tar-missing",
                field,
                format!("images/ has no tar {file_name}"),
                "add the tar to images/ or fix the file name",
            );
            continue;
        };
        let held: Vec<Arch> = owned
            .iter()
            .flat_map(|reference| holds(tar, reference))
            .collect();
        let matches_owner = !held.is_empty();
        let archs: Vec<Arch> = if matches_owner {
            held
        } else {
            tar.archive
                .images
                .iter()
                .map(|image| image.architecture.clone())
                .collect()
        };
        if !archs.contains(&arch) {
            let found = archs
                .iter()
                .map(|arch| format!("{arch} ({})", arch.oci_name()))
                .collect::<Vec<_>>()
                .join(", ");
            report.error(
                "tar-arch-mismatch",
                field.clone(),
                format!(
                    "{file_name} holds an image for {found}, not {arch} ({})",
                    arch.oci_name()
                ),
                format!(
                    "name it under the package field of its architecture, or save \
                     the {} image: `docker save` after `docker pull --platform \
                     linux/{}`",
                    arch.oci_name(),
                    arch.oci_name()
                ),
            );
        }
        if !matches_owner && !owned.is_empty() {
            let held = tar
                .archive
                .images
                .iter()
                .flat_map(|image| &image.repo_tags)
                .cloned()
                .collect::<Vec<_>>();
            let wanted = owned
                .iter()
                .map(|reference| reference.familiar())
                .collect::<Vec<_>>()
                .join(", ");
            let held = if held.is_empty() {
                "no named image".to_owned()
            } else {
                held.join(", ")
            };
            report.warning(
                "tar-image-mismatch",
                field,
                format!("{file_name} holds {held}, not {wanted}, which this entry maps"),
                format!("name the tar that holds {wanted}, unless {file_name} is a rebuild of it"),
            );
        }
    }
}

fn check_architectures(report: &mut Report<'_>, pushes: &[Push<'_>]) {
    let Some(multi_arch) = pushes.iter().find(|push| push.package.aarch64.is_some()) else {
        return;
    };
    let example = multi_arch.field.clone();
    for push in pushes.iter().filter(|push| !push.package.is_empty()) {
        for (arch, tar) in [
            ("x86_64", &push.package.x86_64),
            ("aarch64", &push.package.aarch64),
        ] {
            if tar.is_none() {
                report.error(
                    "arch-tar-missing",
                    format!("{}.package", push.field),
                    format!(
                        "the service is multi-arch ({example} has an aarch64 tar), \
                         but {}:{} has no {arch} tar",
                        push.image, push.tag
                    ),
                    format!("add the {arch} tar of the image under `package.{arch}`"),
                );
            }
        }
    }
}

fn check_collisions(report: &mut Report<'_>, pushes: &[Push<'_>]) {
    let mut seen: HashMap<(&str, &str), &Push<'_>> = HashMap::new();
    for push in pushes {
        let Some(first) = seen.get(&(push.image, push.tag)) else {
            seen.insert((push.image, push.tag), push);
            continue;
        };
        let owned = |push: &Push<'_>| {
            let mut images: Vec<String> = push.wanted.iter().map(ImageRef::to_string).collect();
            images.sort();
            images.dedup();
            images
        };
        let (first_owned, owned_here) = (owned(first), owned(push));
        let different_images =
            !first_owned.is_empty() && !owned_here.is_empty() && first_owned != owned_here;
        let different_tars =
            !first.package.is_empty() && !push.package.is_empty() && first.package != push.package;
        if different_images || different_tars {
            report.error(
                "image-name-collision",
                format!("{}.image", push.field),
                format!(
                    "{} also pushes {}:{}, from other tars or for another image; \
                     the later push overwrites the earlier",
                    first.field, push.image, push.tag
                ),
                "give each distinct image its own `image` name",
            );
        }
    }
}

/// The path segments of `reference` that follow a prefix key's value.
fn rest_after_prefix(reference: &ImageRef, prefix: &str) -> String {
    let registry_prefix = format!("{}/", reference.registry());
    let prefix_path = prefix.strip_prefix(&registry_prefix).unwrap_or(prefix);
    let skip = prefix_path.split('/').count();
    reference
        .repository()
        .split('/')
        .skip(skip)
        .collect::<Vec<_>>()
        .join("/")
}

fn without_digest(reference: &str) -> &str {
    reference
        .split_once('@')
        .map_or(reference, |(name, _)| name)
}

fn is_valid_image_name(image: &str) -> bool {
    osc_imageref::is_valid_repository(image)
}

/// An image's keys as the platform's writes leave them.
struct ImageKeys<'k> {
    /// The keys holding a part mapping.yaml can name.
    mappable: Vec<(Part, &'k KeyPart)>,
    /// Those that make up the address once written: an unset key changes nothing until the
    /// platform writes it; then it overrides the set keys of its part.
    effective: Vec<(Part, &'k KeyPart)>,
    /// The parts whose unset keys get written.
    overriding: Vec<Part>,
}

impl<'k> ImageKeys<'k> {
    fn new(image: &'k FoundImage, writers: &HashMap<&str, (usize, Part)>) -> ImageKeys<'k> {
        let mappable: Vec<(Part, &KeyPart)> = image
            .keys
            .iter()
            .filter_map(|key| mapping_part(key.part).map(|part| (part, key)))
            .collect();
        let written = |key: &KeyPart| writers.contains_key(key.path.as_str());
        let effective = mappable
            .iter()
            .copied()
            .filter(|(_, key)| !is_unset(key) || written(key))
            .collect();
        let overriding = mappable
            .iter()
            .filter(|(_, key)| is_unset(key) && written(key))
            .map(|(part, _)| *part)
            .collect();
        ImageKeys {
            mappable,
            effective,
            overriding,
        }
    }

    /// How many effective keys hold one of `parts`.
    fn covering(&self, parts: &[Part]) -> usize {
        self.effective
            .iter()
            .filter(|(part, _)| parts.contains(part))
            .count()
    }

    /// Whether a written unset key of the part overrides the image's other keys of it.
    fn overridden(&self, part: Part) -> bool {
        self.overriding.contains(&part)
    }
}
