//! Checking an operator bundle's mapping against its CSV and the package's tars.

use std::collections::{HashMap, HashSet};

use osc_csv::{Bundle, Container, ContainerKind, Deployment};
use osc_imageref::ImageRef;
use osc_yaml::Path;
use serde_json::Value;

use crate::apply::Target;
use osc_imageref::is_valid_tag;

use crate::check::{Push, Report, check_pushes, lifecycle_pushes};
use crate::operator::images::{
    ContainerPlace, EnvImageUse, ExampleImage, OperatorImages, json_at, kind_name,
    names_a_registry, operator_images_with_tars, parse_kind,
};
use osc_diagnostic::Diagnostic;

use crate::{LifecycleContainer, Mapping, Part, Tar};

/// Checks an operator bundle's mapping (`file` names it in findings) as the platform would use
/// it: every container of the CSV's deployments is covered by `lifecycle` under its own name and
/// type, every env entry names a variable holding an image, every `instance` names an
/// alm-examples kind and fields of that resource which hold the parts they are under and
/// together rebuild the image; the names are valid; the tars exist and have the architectures
/// they are named for.
///
/// Rules, errors unless marked:
/// - `deployment-missing`: a lifecycle deployment is not in the CSV.
/// - `container-type-invalid`: `type` is not initContainer, container or ephemeralContainer.
/// - `container-missing`: the deployment has no container of that name.
/// - `container-type-mismatch`: the container is of another type than `type` says.
/// - `container-not-covered`: no lifecycle entry names a container of the CSV.
/// - `env-missing`: the container has no variable of that name.
/// - `env-without-value`: the variable takes its value from `valueFrom`.
/// - `env-not-image` (warning): the variable's value is no image reference.
/// - `env-not-covered`: no env entry names a variable whose value is an image reference.
/// - `kind-missing`: an instance names no kind, or one that alm-examples lacks.
/// - `address-empty`: an instance names no field.
/// - `path-invalid`: a path is no dotted path.
/// - `path-missing`: the resource lacks the field.
/// - `path-not-string`: the field holds no string.
/// - `part-mismatch`: the field holds another part of an image, or its value does not have the
///   part's shape (a host for `endpoint`, a path for `repo`, a tag for `tag`).
/// - `key-not-image` (warning): the field is part of no image found in the resource.
/// - `entry-incomplete`: the fields name no repository path, or a field of the image is
///   written by no instance and keeps its old value.
/// - `image-not-covered`: no instance writes an image of an alm-examples resource.
/// - `shared-key-conflict`: two instances write different values into one field.
/// - `image-unmovable`: an image the platform cannot rewrite (in args or command, among other
///   text, an empty or placeholder image field, a later resource of a kind).
/// - `related-image-not-covered` (warning): no entry pushes a `spec.relatedImages` image.
/// - `tag-differs` (warning): the pushed tag is not the one the CSV names.
/// - `image-name-invalid`, `tag-invalid`, `package-missing`, `tar-missing`,
///   `tar-arch-mismatch`, `tar-image-mismatch` (warning), `arch-tar-missing`,
///   `image-name-collision`: as for a Helm chart.
pub fn check_operator(
    file: &str,
    mapping: &Mapping,
    bundle: &Bundle,
    tars: &[Tar],
) -> Vec<Diagnostic> {
    let images = operator_images_with_tars(bundle, tars);
    let examples: &[Value] = match bundle.csv.alm_examples.as_ref().map(|alm| &alm.examples) {
        Some(Ok(examples)) => examples,
        _ => &[],
    };
    let mut checker = Checker {
        report: Report {
            file,
            findings: Vec::new(),
        },
        mapping,
        deployments: &bundle.csv.deployments,
        images: &images,
        examples,
        container_wanted: HashMap::new(),
        env_wanted: HashMap::new(),
        pushed: Vec::new(),
    };
    checker.check_lifecycle();
    let instance_wanted = checker.check_instances();
    checker.check_unmovable();
    checker.check_related();
    let Checker {
        mut report,
        container_wanted,
        env_wanted,
        ..
    } = checker;
    let mut pushes: Vec<Push<'_>> = mapping
        .instance
        .iter()
        .zip(instance_wanted)
        .enumerate()
        .map(|(index, (instance, wanted))| Push {
            field: format!("instance[{index}]"),
            image: &instance.image,
            tag: &instance.tag,
            package: &instance.package,
            wanted,
        })
        .collect();
    pushes.extend(lifecycle_pushes(mapping, |container, env| match env {
        None => container_wanted.get(&container).cloned(),
        Some(env) => env_wanted.get(&(container, env)).cloned(),
    }));
    check_pushes(&mut report, &pushes, tars);
    report.findings
}

struct Checker<'a> {
    report: Report<'a>,
    mapping: &'a Mapping,
    deployments: &'a [Deployment],
    images: &'a OperatorImages,
    examples: &'a [Value],
    /// The image each lifecycle container (deployment, container) is for, as a tar holds it.
    container_wanted: HashMap<(usize, usize), ImageRef>,
    /// The same for env entries: ((deployment, container), env).
    env_wanted: HashMap<((usize, usize), usize), ImageRef>,
    /// The CSV references that some entry pushes.
    pushed: Vec<ImageRef>,
}

impl<'a> Checker<'a> {
    /// Checks each lifecycle entry against the CSV's deployments, then that every container
    /// and image env variable of the CSV is covered.
    fn check_lifecycle(&mut self) {
        let mapping = self.mapping;
        // Container kinds by name, as osc-csv's kind is not hashable.
        let mut covered: HashSet<(&str, &str, &str)> = HashSet::new();
        let mut covered_env: HashSet<(&str, &str, &str, &str)> = HashSet::new();
        for (index, lifecycle) in mapping.lifecycle.iter().enumerate() {
            let Some(deployment) = self.lifecycle_deployment(index, &lifecycle.deployment) else {
                continue;
            };
            for (number, entry) in lifecycle.containers.iter().enumerate() {
                let field = format!("lifecycle[{index}].containers[{number}]");
                let Some((kind, container)) = self.lifecycle_container(&field, deployment, entry)
                else {
                    continue;
                };
                covered.insert((&deployment.name, kind_name(kind), &container.name));
                let found = self
                    .images
                    .container(&deployment.name, kind, &container.name);
                if let Some(found) = found {
                    self.pushed.push(found.reference.clone());
                    self.tag_differs(&field, &found.reference, &entry.tag);
                    if let Some(held) = as_held(&found.reference, &entry.tag) {
                        self.container_wanted.insert((index, number), held);
                    }
                }
                for (env_number, env) in entry.env.iter().enumerate() {
                    let env_field = format!("{field}.env[{env_number}]");
                    let place = (deployment, kind, container);
                    let Some(image) = self.env_image(&env_field, place, &env.name) else {
                        continue;
                    };
                    covered_env.insert((
                        &deployment.name,
                        kind_name(kind),
                        &container.name,
                        &env.name,
                    ));
                    self.pushed.push(image.reference.clone());
                    self.tag_differs(&env_field, &image.reference, &env.tag);
                    if let Some(held) = as_held(&image.reference, &env.tag) {
                        self.env_wanted.insert(((index, number), env_number), held);
                    }
                }
            }
        }
        self.containers_not_covered(&covered);
        self.env_not_covered(&covered_env);
    }

    /// The CSV's deployment a lifecycle entry names.
    fn lifecycle_deployment(&mut self, index: usize, name: &str) -> Option<&'a Deployment> {
        let deployments = self.deployments;
        let found = deployments
            .iter()
            .find(|deployment| deployment.name == name);
        if found.is_none() {
            let available = listing(deployments.iter().map(|found| &found.name));
            self.report.error(
                "deployment-missing",
                format!("lifecycle[{index}].deployment"),
                format!(
                    "the CSV has no deployment {name} in spec.install.spec.deployments \
                     (deployments: {available})"
                ),
                "name a deployment of the CSV",
            );
        }
        found
    }

    /// The deployment's container a lifecycle container entry names, of the type it says.
    fn lifecycle_container(
        &mut self,
        field: &str,
        deployment: &'a Deployment,
        entry: &LifecycleContainer,
    ) -> Option<(ContainerKind, &'a Container)> {
        let Some(kind) = parse_kind(&entry.container_type) else {
            self.report.error(
                "container-type-invalid",
                format!("{field}.type"),
                format!("`{}` is not a container type", entry.container_type),
                "write initContainer, container or ephemeralContainer",
            );
            return None;
        };
        let same_name = || {
            deployment
                .containers
                .iter()
                .filter(|container| container.name == entry.name)
        };
        if let Some(container) = same_name().find(|container| container.kind == kind) {
            return Some((kind, container));
        }
        match same_name().next() {
            Some(other) => self.report.error(
                "container-type-mismatch",
                format!("{field}.type"),
                format!(
                    "container {} of deployment {} is an {}, not a {}; the platform looks for \
                     it in the {} list",
                    entry.name,
                    deployment.name,
                    kind_name(other.kind),
                    entry.container_type,
                    kind.list_key()
                ),
                format!("set `type: {}`", kind_name(other.kind)),
            ),
            None => {
                let available = listing(
                    deployment
                        .containers
                        .iter()
                        .map(|container| &container.name),
                );
                self.report.error(
                    "container-missing",
                    format!("{field}.name"),
                    format!(
                        "deployment {} has no container {} (containers: {available})",
                        deployment.name, entry.name
                    ),
                    "name a container of the deployment",
                );
            }
        }
        None
    }

    /// The image a lifecycle env entry's variable holds.
    fn env_image(
        &mut self,
        env_field: &str,
        (deployment, kind, container): (&'a Deployment, ContainerKind, &'a Container),
        name: &str,
    ) -> Option<&'a EnvImageUse> {
        let Some(variable) = container.env.iter().find(|variable| variable.name == name) else {
            let available = listing(container.env.iter().map(|variable| &variable.name));
            self.report.error(
                "env-missing",
                format!("{env_field}.name"),
                format!(
                    "container {} of deployment {} has no env variable {name} (variables: \
                     {available})",
                    container.name, deployment.name
                ),
                "name a variable of the container whose value is an image reference",
            );
            return None;
        };
        let Some(value) = &variable.value else {
            self.report.error(
                "env-without-value",
                format!("{env_field}.name"),
                format!(
                    "env variable {name} of container {} takes its value from `valueFrom`, so \
                     there is no image address to rewrite",
                    container.name
                ),
                "give the variable the image reference as `value`, or remove the env entry",
            );
            return None;
        };
        let images = self.images;
        let image = images
            .env_of(&deployment.name, kind, &container.name)
            .find(|image| image.name == name);
        if image.is_none() {
            self.report.warning(
                "env-not-image",
                format!("{env_field}.name"),
                format!(
                    "env variable {name} of container {} holds `{value}`, which is no image \
                     reference; the platform writes an image address over it",
                    container.name
                ),
                "map only variables that hold an image reference",
            );
        }
        image
    }

    /// `container-not-covered`: containers of the CSV no lifecycle entry names.
    fn containers_not_covered(&mut self, covered: &HashSet<(&str, &str, &str)>) {
        for deployment in self.deployments {
            for container in &deployment.containers {
                let place = ContainerPlace {
                    deployment: &deployment.name,
                    kind: container.kind,
                    container: &container.name,
                };
                if !covered.contains(&(
                    deployment.name.as_str(),
                    kind_name(container.kind),
                    container.name.as_str(),
                )) {
                    self.report.error(
                        "container-not-covered",
                        "lifecycle",
                        format!(
                            "no lifecycle entry names {place}, so it keeps pulling {} from its \
                             registry",
                            container.image
                        ),
                        format!(
                            "add `{{type: {}, name: {}, ...}}` under the lifecycle deployment {} \
                             (helm osc mapping generates it)",
                            kind_name(container.kind),
                            container.name,
                            deployment.name
                        ),
                    );
                }
            }
        }
    }

    /// `env-not-covered`: image env variables of the CSV no env entry names.
    fn env_not_covered(&mut self, covered_env: &HashSet<(&str, &str, &str, &str)>) {
        for image in &self.images.env {
            let key = (
                image.deployment.as_str(),
                kind_name(image.kind),
                image.container.as_str(),
                image.name.as_str(),
            );
            if !covered_env.contains(&key) {
                let place = ContainerPlace {
                    deployment: &image.deployment,
                    kind: image.kind,
                    container: &image.container,
                };
                self.report.error(
                    "env-not-covered",
                    "lifecycle",
                    format!(
                        "env variable {} of {place} holds {}, but no env entry names it, so the \
                         operator keeps pulling it from its registry",
                        image.name, image.reference
                    ),
                    format!(
                        "add an env entry `name: {}` to the lifecycle container {}",
                        image.name, image.container
                    ),
                );
            }
        }
    }

    /// Checks each instance's kind and fields, then each alm-examples image as the platform
    /// leaves it. Returns the images each instance is for.
    fn check_instances(&mut self) -> Vec<Vec<ImageRef>> {
        let mut wanted = vec![Vec::new(); self.mapping.instance.len()];
        // (kind, path) → (instance, part, value written)
        let mut writes: HashMap<(&str, &str), (usize, Part, String)> = HashMap::new();
        for (index, instance) in self.mapping.instance.iter().enumerate() {
            let field = format!("instance[{index}]");
            let Some(kind) = &instance.kind else {
                self.report.error(
                    "kind-missing",
                    format!("{field}.kind"),
                    "the entry names no alm-examples kind, so the platform does not know which \
                     resource `address` is in",
                    "add `kind:` with the kind of an alm-examples resource",
                );
                continue;
            };
            let Some(example) = self
                .examples
                .iter()
                .find(|example| example.get("kind").and_then(Value::as_str) == Some(kind))
            else {
                let available = listing(
                    self.examples
                        .iter()
                        .filter_map(|example| example.get("kind").and_then(Value::as_str)),
                );
                self.report.error(
                    "kind-missing",
                    format!("{field}.kind"),
                    format!("alm-examples has no resource of kind {kind} (kinds: {available})"),
                    "name the kind of an alm-examples resource, or add an example of this kind",
                );
                continue;
            };
            if instance.address.is_empty() {
                self.report.error(
                    "address-empty",
                    format!("{field}.address"),
                    "the entry names no field, so the platform writes the pushed image's \
                     address nowhere",
                    "name the fields of the resource that hold the image, e.g. `fullAddress: \
                     spec.image`",
                );
            }
            let mut values: Vec<(Part, String)> = Vec::new();
            let mut sound = true;
            for (part, path) in instance.address.parts() {
                let part_field = format!("{field}.address.{part}");
                match self.field_value(kind, example, part, path, &part_field) {
                    Some(value) => {
                        let written =
                            Target::PLACEHOLDER.value(part, &instance.image, &instance.tag);
                        match writes.get(&(kind.as_str(), path)) {
                            Some((first, _, first_value)) if *first_value != written => {
                                self.report.error(
                                    "shared-key-conflict",
                                    part_field,
                                    format!(
                                        "field `{path}` of the {kind} example gets {written} \
                                         here but {first_value} from instance[{first}]; the \
                                         platform writes one value into a field, the last"
                                    ),
                                    "name each field in one entry only",
                                );
                            }
                            Some(_) => {}
                            None => {
                                writes.insert((kind, path), (index, part, written));
                            }
                        }
                        values.push((part, value));
                    }
                    None => sound = false,
                }
            }
            if sound && !values.is_empty() {
                match rebuild(&values, &instance.image) {
                    Ok(reference) => wanted[index].push(reference),
                    Err(why) => self.report.error(
                        "entry-incomplete",
                        format!("{field}.address"),
                        format!("the fields named make no image address: {why}"),
                        "name the field holding the repository as `repository` or `repo`, or \
                         the whole reference as `fullAddress`",
                    ),
                }
            }
        }
        // An instance that owns found images is for those, not for what its fields rebuild
        // (which misses the parts it leaves out).
        let mut owned = vec![Vec::new(); wanted.len()];
        for image in &self.images.examples {
            self.check_example_image(image, &writes, &mut owned);
        }
        for (wanted, owned) in wanted.iter_mut().zip(owned) {
            if !owned.is_empty() {
                *wanted = owned;
            }
        }
        wanted
    }

    /// The string at `path` of the example, or `None` after a finding.
    fn field_value(
        &mut self,
        kind: &str,
        example: &Value,
        part: Part,
        path: &str,
        field: &str,
    ) -> Option<String> {
        let parsed = match Path::parse(path) {
            Ok(parsed) if !path.contains('"') => parsed,
            Ok(_) => {
                self.report.error(
                    "path-invalid",
                    field,
                    format!("path `{path}` holds a quote; paths are keys joined by `.`"),
                    "write the keys without quotes; a key holding `.` cannot be named, so \
                     rename it in the resource",
                );
                return None;
            }
            Err(error) => {
                self.report.error(
                    "path-invalid",
                    field,
                    format!("{error}"),
                    "write the keys from the root of the resource joined by `.`, with `[n]` \
                     for list items, e.g. `spec.image`",
                );
                return None;
            }
        };
        let value = match json_at(example, &parsed) {
            Some(Value::String(value)) => value,
            Some(other) => {
                self.report.error(
                    "path-not-string",
                    field,
                    format!(
                        "field `{path}` of the {kind} example holds {}, not a string, and the \
                         platform writes a string over it",
                        describe(other)
                    ),
                    "name the field inside it that holds the address part",
                );
                return None;
            }
            None => {
                self.report.error(
                    "path-missing",
                    field,
                    format!(
                        "the {kind} example has no field `{path}`, so the platform cannot \
                         write the {part} there"
                    ),
                    "add the field to the example with its current value, or name a field it \
                     has",
                );
                return None;
            }
        };
        let detected = self.images.examples.iter().find_map(|image| {
            (image.kind == kind)
                .then(|| image.parts.iter().find(|(known, _)| known == path))
                .flatten()
                .map(|(_, known_part)| (image, *known_part))
        });
        match detected {
            Some((image, known_part)) if known_part != part => {
                self.report.error(
                    "part-mismatch",
                    field,
                    format!(
                        "field `{path}` holds the {known_part} of {} (`{value}`), not the {part}",
                        image.reference.familiar()
                    ),
                    format!("move the field under `address.{known_part}`"),
                );
                return None;
            }
            Some(_) => {}
            None => {
                if let Some(problem) = part_shape_problem(part, value) {
                    self.report.error(
                        "part-mismatch",
                        field,
                        format!("field `{path}` holds `{value}`, which {problem}"),
                        "name the field that holds this part of the address",
                    );
                    return None;
                }
                self.report.warning(
                    "key-not-image",
                    field,
                    format!(
                        "field `{path}` of the {kind} example is part of no image address \
                         found there; the platform writes the {part} of an image into it"
                    ),
                    "check that the operator builds an image from this field",
                );
            }
        }
        Some(value.clone())
    }

    /// Whether the instances write every field of an image of an alm-examples resource; adds the
    /// image to what its main writer is for.
    fn check_example_image(
        &mut self,
        image: &ExampleImage,
        writes: &HashMap<(&str, &str), (usize, Part, String)>,
        owned: &mut [Vec<ImageRef>],
    ) {
        let familiar = image.reference.familiar();
        let written: Vec<(&str, Part, Option<usize>)> = image
            .parts
            .iter()
            .map(|(path, part)| {
                let writer = writes
                    .get(&(image.kind.as_str(), path.as_str()))
                    .map(|(writer, _, _)| *writer);
                (path.as_str(), *part, writer)
            })
            .collect();
        let mut counts: HashMap<usize, usize> = HashMap::new();
        for writer in written.iter().filter_map(|(_, _, writer)| *writer) {
            *counts.entry(writer).or_default() += 1;
        }
        // A registry or tag field may serve several images (one `version` beside two base
        // images), so the instance writing the repository is the image's, else the one writing
        // most of its fields.
        let repository_writer = written
            .iter()
            .find(|(_, part, _)| !matches!(part, Part::Endpoint | Part::Tag))
            .and_then(|(_, _, writer)| *writer);
        let Some(owner) = repository_writer.or_else(|| {
            counts
                .iter()
                .max_by_key(|(writer, count)| (**count, std::cmp::Reverse(**writer)))
                .map(|(writer, _)| *writer)
        }) else {
            let address = image
                .parts
                .iter()
                .map(|(path, part)| format!("{part}: {path}"))
                .collect::<Vec<_>>()
                .join(", ");
            self.report.error(
                "image-not-covered",
                "instance",
                format!(
                    "no instance writes the {} example's {familiar}, so the resource keeps \
                     pulling it from {}",
                    image.kind,
                    image.reference.registry()
                ),
                format!(
                    "add an instance with `kind: {}` and `address: {{{address}}}` (helm osc \
                     mapping generates it)",
                    image.kind
                ),
            );
            return;
        };
        self.pushed.push(image.reference.clone());
        let instance = &self.mapping.instance[owner];
        if let Some(held) = as_held(&image.reference, &instance.tag) {
            owned[owner].push(held);
        }
        for (path, part, writer) in &written {
            if writer.is_none() {
                self.report.error(
                    "entry-incomplete",
                    format!("instance[{owner}].address"),
                    format!(
                        "field `{path}` holds the {part} of {familiar} in the {} example but no \
                         instance writes it as the {part}, so the image stays partly at its old \
                         address",
                        image.kind
                    ),
                    format!("add `{part}: {path}` to instance[{owner}]"),
                );
            }
        }
        if image
            .parts
            .iter()
            .any(|(_, part)| *part == Part::PrefixAddress)
        {
            let repository = image.reference.repository();
            let name = repository.rsplit('/').next().unwrap_or(repository);
            if name != instance.image {
                self.report.error(
                    "entry-incomplete",
                    format!("instance[{owner}].image"),
                    format!(
                        "the {} example keeps `{name}` after the prefix the platform writes, so \
                         {familiar} becomes ORG/{name}, not ORG/{}",
                        image.kind, instance.image
                    ),
                    format!("set `image: {name}`"),
                );
            }
        }
        self.tag_differs(
            &format!("instance[{owner}]"),
            &image.reference,
            &instance.tag,
        );
    }

    fn check_unmovable(&mut self) {
        for unmovable in &self.images.unmovable {
            self.report.error(
                "image-unmovable",
                "",
                format!(
                    "{} (`{}`): {}",
                    unmovable.place, unmovable.text, unmovable.reason
                ),
                "until this changes, the image keeps pulling from its original registry after \
                 the upload, which fails where that registry is out of reach",
            );
        }
    }

    fn check_related(&mut self) {
        for related in &self.images.related {
            if self.pushed.contains(&related.reference) {
                continue;
            }
            let label = related
                .name
                .as_deref()
                .map_or_else(String::new, |name| format!(" ({name})"));
            self.report.warning(
                "related-image-not-covered",
                "",
                format!(
                    "spec.relatedImages[{}]{label} is {}, which no entry pushes; the platform's \
                     guide does not say that it rewrites relatedImages, and helm osc rewrites \
                     only those an entry pushes",
                    related.index, related.reference
                ),
                "map the container, env variable or alm-examples field that uses the image, or \
                 remove the entry if nothing uses it",
            );
        }
    }

    fn tag_differs(&mut self, field: &str, reference: &ImageRef, tag: &str) {
        if let Some(deployed) = reference.tag().filter(|deployed| *deployed != tag) {
            self.report.warning(
                "tag-differs",
                format!("{field}.tag"),
                format!(
                    "the entry pushes {} as tag {tag}, but the CSV names tag {deployed}",
                    reference.familiar()
                ),
                format!(
                    "use `tag: {deployed}` unless the tars hold a different version on purpose"
                ),
            );
        }
    }
}

/// The reference as a tar holds it: with the pushed tag when the CSV pins only a digest.
pub(crate) fn as_held(reference: &ImageRef, tag: &str) -> Option<ImageRef> {
    if reference.tag().is_some() {
        Some(reference.clone())
    } else {
        ImageRef::parse(&format!("{}:{tag}", reference.name())).ok()
    }
}

/// The reference the values of an instance's fields make once joined as the platform's parts
/// are; `image` stands for the path after a prefix.
fn rebuild(values: &[(Part, String)], image: &str) -> Result<ImageRef, String> {
    let get = |wanted: Part| {
        values
            .iter()
            .find(|(part, _)| *part == wanted)
            .map(|(_, value)| value.as_str())
    };
    if let Some(whole) = get(Part::FullAddress) {
        return ImageRef::parse(whole).map_err(|error| error.to_string());
    }
    let mut text = match (
        get(Part::Repository),
        get(Part::Endpoint),
        get(Part::Repo),
        get(Part::PrefixAddress),
    ) {
        (Some(repository), _, _, _) => repository.to_owned(),
        (None, Some(endpoint), Some(repo), _) => format!("{endpoint}/{repo}"),
        (None, None, Some(repo), _) => repo.to_owned(),
        (None, _, None, Some(prefix)) => format!("{prefix}/{image}"),
        (None, _, None, None) => {
            return Err("no field holds the repository path".to_owned());
        }
    };
    if let Some(tag) = get(Part::Tag) {
        text.push(':');
        text.push_str(tag);
    }
    ImageRef::parse(&text).map_err(|error| format!("they join into `{text}`: {error}"))
}

/// Why `value` cannot hold `part`, if it cannot.
fn part_shape_problem(part: Part, value: &str) -> Option<&'static str> {
    let path_only = || {
        ImageRef::parse(value)
            .is_ok_and(|reference| reference.tag().is_none() && reference.digest().is_none())
    };
    let fits = match part {
        Part::FullAddress => ImageRef::parse(value).is_ok(),
        Part::Repository => path_only(),
        Part::Repo => path_only() && !names_a_registry(value),
        Part::PrefixAddress => ImageRef::parse(&format!("{value}/x")).is_ok(),
        Part::Endpoint => !value.contains('/') && names_a_registry(&format!("{value}/x")),
        Part::Tag => is_valid_tag(value),
    };
    if fits {
        return None;
    }
    Some(match part {
        Part::FullAddress => "is no image reference",
        Part::Repository => "is no repository path (it is no reference, or has a tag or digest)",
        Part::Repo => "is no repository path without a registry",
        Part::PrefixAddress => "is no registry with a path",
        Part::Endpoint => "is no registry host",
        Part::Tag => "is no image tag",
    })
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// `a, b, c`, or `none`.
fn listing<T: AsRef<str>>(items: impl Iterator<Item = T>) -> String {
    let items: Vec<String> = items.map(|item| item.as_ref().to_owned()).collect();
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}
