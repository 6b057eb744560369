//! The tar file names a mapping.yaml refers to, read leniently: anything that is not where an
//! image tar can be named is ignored, because mapping.yaml's other checks belong to the crates that
//! know the chart or bundle.

use serde_norway::Value;

/// A tar file name in mapping.yaml and where it was found, e.g. `instance[0].package.x86_64`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TarReference {
    pub tar: String,
    pub at: String,
}

/// Every `package.<arch>` value under `instance[]`, `lifecycle[].containers[]` and
/// `lifecycle[].containers[].env[]`.
pub(crate) fn tar_references(mapping: &Value) -> Vec<TarReference> {
    let mut found = Vec::new();
    for (i, instance) in sequence(mapping.get("instance")).enumerate() {
        package_tars(instance, &format!("instance[{i}]"), &mut found);
    }
    for (i, lifecycle) in sequence(mapping.get("lifecycle")).enumerate() {
        for (j, container) in sequence(lifecycle.get("containers")).enumerate() {
            let at = format!("lifecycle[{i}].containers[{j}]");
            package_tars(container, &at, &mut found);
            for (k, env) in sequence(container.get("env")).enumerate() {
                package_tars(env, &format!("{at}.env[{k}]"), &mut found);
            }
        }
    }
    found
}

fn package_tars(holder: &Value, at: &str, found: &mut Vec<TarReference>) {
    let Some(Value::Mapping(package)) = holder.get("package") else {
        return;
    };
    for (architecture, tar) in package {
        if let (Some(architecture), Some(tar)) = (architecture.as_str(), tar.as_str()) {
            found.push(TarReference {
                tar: tar.to_owned(),
                at: format!("{at}.package.{architecture}"),
            });
        }
    }
}

fn sequence(value: Option<&Value>) -> impl Iterator<Item = &Value> {
    value.and_then(Value::as_sequence).into_iter().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_place_a_tar_can_be_named() {
        let mapping: Value = serde_norway::from_str(
            r#"
instance:
- image: etcd
  package: {x86_64: etcd-3.5.0.tar, aarch64: etcd-3.5.0-arm64.tar}
- image: no-package
- image: odd
  package: not-a-map
lifecycle:
- deployment: etcd-operator
  containers:
  - name: etcd-operator
    package: {x86_64: etcd-operator-0.9.4.tar}
    env:
    - name: RELATED_IMAGE_BACKUP
      package: {aarch64: backup-arm64.tar}
    - name: NO_PACKAGE
"#,
        )
        .unwrap();
        let found: Vec<(String, String)> = tar_references(&mapping)
            .into_iter()
            .map(|reference| (reference.at, reference.tar))
            .collect();
        let expected = [
            ("instance[0].package.x86_64", "etcd-3.5.0.tar"),
            ("instance[0].package.aarch64", "etcd-3.5.0-arm64.tar"),
            (
                "lifecycle[0].containers[0].package.x86_64",
                "etcd-operator-0.9.4.tar",
            ),
            (
                "lifecycle[0].containers[0].env[0].package.aarch64",
                "backup-arm64.tar",
            ),
        ]
        .map(|(at, tar)| (at.to_owned(), tar.to_owned()));
        assert_eq!(found, expected);
    }

    #[test]
    fn tolerates_other_shapes() {
        for text in [
            "",
            "[]",
            "instance: 3",
            "lifecycle: [{containers: {a: b}}]",
            "just text",
        ] {
            let mapping: Value = serde_norway::from_str(text).unwrap();
            assert_eq!(tar_references(&mapping), [], "mapping {text:?}");
        }
    }
}
