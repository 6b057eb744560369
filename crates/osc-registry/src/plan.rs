//! What to push, from mapping.yaml and the tars beside it: one image per `image:tag`, with the tar
//! of each architecture checked to hold that image for that architecture.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use osc_image::{Arch, ImageArchive};
use osc_mapping::{Mapping, Package};

use crate::Error;
use crate::reference::check_name_and_tag;

/// The images to push, one per `image:tag` that mapping.yaml names with tars.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub images: Vec<PlannedImage>,
    /// mapping.yaml entries that name no tar, so push nothing (e.g. `instance[2]`).
    pub without_tars: Vec<String>,
}

/// One image to push as `ORG/{name}:{tag}`: a plain image manifest from one tar, or an image index
/// over the tars of two architectures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedImage {
    /// The name under the organisation, as mapping.yaml's `image`.
    pub name: String,
    pub tag: String,
    /// One tar per architecture.
    pub tars: Vec<PlannedTar>,
    /// The mapping.yaml entries that push it, for messages, e.g. `lifecycle[0].containers[1].env[0]`.
    pub fields: Vec<String>,
}

/// The tar holding one architecture of a [`PlannedImage`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedTar {
    /// [`Arch::X86_64`] or [`Arch::Aarch64`]: the tar must hold an amd64 or an arm64 image.
    pub arch: Arch,
    pub path: PathBuf,
    /// Where mapping.yaml names it, e.g. `instance[0].package.aarch64`.
    pub field: String,
}

impl Plan {
    /// The plan of an unpacked package folder (`{name}/`, whose `images/` holds mapping.yaml and
    /// the tars) or of an images folder itself (mapping.yaml beside the tars).
    pub fn from_dir(dir: &Path) -> Result<Plan, Error> {
        let images_dir = [dir.join("images"), dir.to_owned()]
            .into_iter()
            .find(|candidate| candidate.join("mapping.yaml").is_file())
            .ok_or_else(|| Error::NoMapping {
                dir: dir.to_owned(),
            })?;
        let mapping_file = images_dir.join("mapping.yaml");
        let text = std::fs::read_to_string(&mapping_file).map_err(|source| Error::Read {
            path: mapping_file.clone(),
            source,
        })?;
        let mapping = Mapping::parse(&text, &mapping_file.display().to_string())?;
        Plan::from_mapping(&mapping, &images_dir)
    }

    /// The plan of a parsed mapping.yaml whose tars are in `images_dir`. Every tar is opened to
    /// check that it holds the entry's image for the entry's architecture.
    pub fn from_mapping(mapping: &Mapping, images_dir: &Path) -> Result<Plan, Error> {
        let mut plan = Plan::default();
        let mut archives = Archives::default();
        for (field, name, tag, package) in entries(mapping) {
            if package.is_empty() {
                plan.without_tars.push(field);
                continue;
            }
            check_name_and_tag(&format!("mapping.yaml {field}"), name, tag)?;
            let mut tars = Vec::new();
            for (arch, file_name) in [
                (Arch::X86_64, &package.x86_64),
                (Arch::Aarch64, &package.aarch64),
            ] {
                let Some(file_name) = file_name else { continue };
                let tar_field = format!("{field}.package.{arch}");
                let path = tar_path(images_dir, file_name, &tar_field)?;
                let archive = archives.inspect(&path, &tar_field)?;
                select_image(archive, &arch, name).map_err(|problem| Error::WrongImage {
                    field: tar_field.clone(),
                    tar: path.clone(),
                    problem,
                })?;
                tars.push(PlannedTar {
                    arch,
                    path,
                    field: tar_field,
                });
            }
            plan.add(PlannedImage {
                name: name.to_owned(),
                tag: tag.to_owned(),
                tars,
                fields: vec![field],
            })?;
        }
        Ok(plan)
    }

    /// Adds an image, merging it into an earlier one of the same `name:tag` from the same tars.
    fn add(&mut self, image: PlannedImage) -> Result<(), Error> {
        let Some(first) = self
            .images
            .iter_mut()
            .find(|first| first.name == image.name && first.tag == image.tag)
        else {
            self.images.push(image);
            return Ok(());
        };
        let tars = |image: &PlannedImage| {
            let mut tars: Vec<(String, PathBuf)> = image
                .tars
                .iter()
                .map(|tar| (tar.arch.to_string(), tar.path.clone()))
                .collect();
            tars.sort();
            tars
        };
        if tars(first) != tars(&image) {
            let list = |image: &PlannedImage| {
                image
                    .tars
                    .iter()
                    .map(|tar| format!("{}: {}", tar.arch, file_name(&tar.path)))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Err(Error::Conflict {
                image: format!("{}:{}", image.name, image.tag),
                field: image.fields.join(", "),
                first: first.fields.join(", "),
                tars: format!("{}, not {}", list(&image), list(first)),
            });
        }
        first.fields.extend(image.fields);
        Ok(())
    }
}

/// Every entry that pushes an image: `instance`, then each lifecycle container and its env images.
fn entries(mapping: &Mapping) -> Vec<(String, &str, &str, &Package)> {
    let mut entries = Vec::new();
    for (index, instance) in mapping.instance.iter().enumerate() {
        entries.push((
            format!("instance[{index}]"),
            instance.image.as_str(),
            instance.tag.as_str(),
            &instance.package,
        ));
    }
    for (index, lifecycle) in mapping.lifecycle.iter().enumerate() {
        for (number, container) in lifecycle.containers.iter().enumerate() {
            let field = format!("lifecycle[{index}].containers[{number}]");
            for (env_number, env) in container.env.iter().enumerate() {
                entries.push((
                    format!("{field}.env[{env_number}]"),
                    env.image.as_str(),
                    env.tag.as_str(),
                    &env.package,
                ));
            }
            entries.push((
                field,
                container.image.as_str(),
                container.tag.as_str(),
                &container.package,
            ));
        }
    }
    entries
}

fn tar_path(images_dir: &Path, file_name: &str, field: &str) -> Result<PathBuf, Error> {
    let plain = !file_name.is_empty()
        && !file_name.contains(['/', '\\'])
        && file_name != "."
        && file_name != "..";
    if !plain {
        return Err(Error::TarName {
            field: field.to_owned(),
            name: file_name.to_owned(),
        });
    }
    let path = images_dir.join(file_name);
    if !path.is_file() {
        return Err(Error::TarMissing {
            field: field.to_owned(),
            path,
        });
    }
    Ok(path)
}

/// Each tar is inspected once, however many entries name it.
#[derive(Default)]
struct Archives {
    inspected: HashMap<PathBuf, ImageArchive>,
}

impl Archives {
    fn inspect(&mut self, path: &Path, field: &str) -> Result<&ImageArchive, Error> {
        if !self.inspected.contains_key(path) {
            let archive = osc_image::inspect(path).map_err(|error| Error::WrongImage {
                field: field.to_owned(),
                tar: path.to_owned(),
                problem: format!("cannot be read as an image tar: {error}"),
            })?;
            self.inspected.insert(path.to_owned(), archive);
        }
        Ok(&self.inspected[path])
    }
}

/// The index of the image in `archive` to push as `name` for `arch`: one of that architecture
/// whose repo tags name the image (or that has no names). The problem, when there is none, says
/// what the tar holds.
pub(crate) fn select_image(
    archive: &ImageArchive,
    arch: &Arch,
    name: &str,
) -> Result<usize, String> {
    let names_it = |image: &osc_image::Image| {
        let named: Vec<&String> = image
            .repo_tags
            .iter()
            .filter(|tag| has_repository(tag))
            .collect();
        named.is_empty() || named.iter().any(|repo_tag| names_image(repo_tag, name))
    };
    if let Some(index) = archive
        .images
        .iter()
        .position(|image| image.architecture == *arch && names_it(image))
    {
        return Ok(index);
    }
    let held = archive
        .images
        .iter()
        .map(|image| {
            let names = if image.repo_tags.is_empty() {
                "an unnamed image".to_owned()
            } else {
                image.repo_tags.join(", ")
            };
            format!(
                "{names} for {} ({})",
                image.architecture,
                image.architecture.oci_name()
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    // An image that is the entry's, but of another architecture, would have been chosen had it
    // been of this one.
    let wrong_arch = archive.images.iter().any(names_it);
    let fix = if wrong_arch {
        format!(
            "name the tar under the package field of its architecture, or save the {} image: `docker pull --platform linux/{}` then `docker save`",
            arch.oci_name(),
            arch.oci_name()
        )
    } else {
        format!("name the tar that holds {name}, or correct the entry's image name")
    };
    Err(format!(
        "holds {held}, not {name} for {arch} ({}); {fix}",
        arch.oci_name()
    ))
}

/// An OCI layout may name an image by its tag alone (`org.opencontainers.image.ref.name: 3.5`),
/// which says nothing about which image it is.
fn has_repository(repo_tag: &str) -> bool {
    repo_tag.contains(['/', ':', '@'])
}

/// Whether `repo_tag` (e.g. `docker.io/bitnami/etcd:3.5.17`) is the image mapping.yaml pushes as
/// `name`. The tag is not compared, since providers retag rebuilt images; the name is compared the
/// ways helm-osc names pushed images: the last path part (`etcd`), or the whole path joined with
/// dashes (`bitnami-etcd`, `bitnami-etcd-2`) when two images share a last part.
fn names_image(repo_tag: &str, name: &str) -> bool {
    let without_digest = repo_tag.split('@').next().unwrap_or(repo_tag);
    let repository = match without_digest.rsplit_once(':') {
        Some((repository, tag)) if !tag.contains('/') => repository,
        _ => without_digest,
    };
    let path = match repository.split_once('/') {
        Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => rest,
        _ => repository,
    };
    let path = path.strip_prefix("library/").unwrap_or(path);
    let last = path.rsplit('/').next().unwrap_or(path);
    let joined = path.replace('/', "-");
    let numbered = name
        .strip_prefix(joined.as_str())
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|number| !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()));
    name == path
        || path.ends_with(&format!("/{name}"))
        || name == last
        || name == joined
        || numbered
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_names_as_helm_osc_gives_them() {
        for (repo_tag, name) in [
            ("docker.io/osc-examples/etcd:3.5.17", "etcd"),
            ("docker.io/bitnami/etcd:3.5.17-debian-12-r4", "etcd"),
            ("docker.io/bitnami/etcd:3.5.17", "bitnami-etcd"),
            ("docker.io/bitnami/etcd:3.5.17", "bitnami-etcd-2"),
            ("redis:7", "redis"),
            ("docker.io/library/redis:7", "redis"),
            ("localhost:5000/team/app@sha256:abc", "app"),
            ("quay.io/team/app:1", "team/app"),
        ] {
            assert!(names_image(repo_tag, name), "{repo_tag} names {name}");
        }
        for (repo_tag, name) in [
            ("docker.io/osc-examples/etcd:3.5.17", "os-shell"),
            ("docker.io/bitnami/etcd:3.5.17", "bitnami-etcd-x"),
            ("docker.io/bitnami/etcd:3.5.17", "tcd"),
        ] {
            assert!(
                !names_image(repo_tag, name),
                "{repo_tag} does not name {name}"
            );
        }
    }
}
