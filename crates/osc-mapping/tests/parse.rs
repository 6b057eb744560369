//! Reading and writing mapping.yaml: the guide's examples, errors that point at the field, and
//! rendered text that reads back as the same mapping.

use std::fmt::Write;

use osc_mapping::{
    Address, Comments, EnvImage, Instance, Lifecycle, LifecycleContainer, Mapping, Package,
};
use proptest::prelude::*;

#[test]
fn reads_the_guide_examples_and_writes_them_back() {
    for (name, text) in [
        ("guide_helm", include_str!("fixtures/guide/helm.yaml")),
        (
            "guide_operator",
            include_str!("fixtures/guide/operator.yaml"),
        ),
    ] {
        let mapping = Mapping::parse(text, "mapping.yaml").unwrap();
        let rendered = mapping.render(&Comments::default());
        assert_eq!(
            Mapping::parse(&rendered, "rendered.yaml").unwrap(),
            mapping,
            "{name}"
        );
        insta::assert_snapshot!(name, rendered);
    }
}

#[test]
fn errors_name_the_line_column_and_field() {
    let cases = [
        "instances:\n- image: etcd\n",
        "instance:\n- image: etcd\n  tag: 3.5.0\n  adress: {}\n",
        "instance:\n- image: etcd\n  address: {tag: image.tag}\n",
        "instance:\n- image: etcd\n  tag: 3.5.0\n  address: {tag: [image, tag]}\n",
        "instance:\n  image: etcd\n",
        "lifecycle:\n- deployment: etcd-operator\n  containers:\n  - name: etcd\n    image: etcd\n    tag: 1\n",
        "instance:\n- image: etcd\n  tag: 3.5.0\n  package: {x86_64: a.tar, arm64: b.tar}\n",
        "instance: [\n",
    ];
    let mut out = String::new();
    for text in cases {
        let error = Mapping::parse(text, "etcd/images/mapping.yaml").unwrap_err();
        writeln!(out, "{error}").unwrap();
    }
    insta::assert_snapshot!(out);
}

#[test]
fn an_empty_file_maps_nothing() {
    assert_eq!(
        Mapping::parse("", "mapping.yaml").unwrap(),
        Mapping::default()
    );
    assert_eq!(
        Mapping::parse("# nothing\n", "mapping.yaml").unwrap(),
        Mapping::default()
    );
    let rendered = Mapping::default().render(&Comments::default());
    assert_eq!(rendered, "instance: []\n");
}

#[test]
fn numbers_and_words_yaml_would_convert_stay_strings() {
    let mapping = Mapping::parse(
        "instance:\n- image: app\n  tag: 1.10\n  address: {tag: image.tag}\n",
        "mapping.yaml",
    )
    .unwrap();
    assert_eq!(mapping.instance[0].tag, "1.10");
    let rendered = mapping.render(&Comments::default());
    assert!(rendered.contains("  tag: \"1.10\"\n"), "{rendered}");
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9.-]{0,10}",
        "[0-9]{1,3}(\\.[0-9]{1,3}){0,2}",
        Just("yes".to_owned()),
        Just("null".to_owned()),
        Just(String::new()),
        "[ -~]{0,12}",
        "\\PC{0,6}",
    ]
}

fn package() -> impl Strategy<Value = Package> {
    (proptest::option::of(text()), proptest::option::of(text()))
        .prop_map(|(x86_64, aarch64)| Package { x86_64, aarch64 })
}

fn instance() -> impl Strategy<Value = Instance> {
    let address = proptest::collection::vec(proptest::option::of(text()), 6).prop_map(|paths| {
        let mut paths = paths.into_iter();
        let mut next = || paths.next().flatten();
        Address {
            full_address: next(),
            repository: next(),
            prefix_address: next(),
            repo: next(),
            endpoint: next(),
            tag: next(),
        }
    });
    (
        text(),
        text(),
        proptest::option::of(text()),
        address,
        package(),
    )
        .prop_map(|(image, tag, kind, address, package)| Instance {
            image,
            tag,
            kind,
            address,
            package,
        })
}

fn lifecycle() -> impl Strategy<Value = Lifecycle> {
    let env =
        (text(), text(), text(), package()).prop_map(|(name, image, tag, package)| EnvImage {
            name,
            image,
            tag,
            package,
        });
    let container = (
        text(),
        text(),
        text(),
        text(),
        package(),
        proptest::collection::vec(env, 0..2),
    )
        .prop_map(
            |(container_type, name, image, tag, package, env)| LifecycleContainer {
                container_type,
                name,
                image,
                tag,
                package,
                env,
            },
        );
    (text(), proptest::collection::vec(container, 0..3)).prop_map(|(deployment, containers)| {
        Lifecycle {
            deployment,
            containers,
        }
    })
}

proptest! {
    #[test]
    fn rendered_text_reads_back_as_the_mapping(
        instance in proptest::collection::vec(instance(), 0..4),
        lifecycle in proptest::collection::vec(lifecycle(), 0..2),
        header in proptest::collection::vec("[ -~\n]{0,20}", 0..3),
        comments in proptest::collection::vec(proptest::collection::vec("\\PC{0,20}", 0..3), 0..4),
        container_comments in proptest::collection::vec(
            proptest::collection::vec(proptest::collection::vec("\\PC{0,20}", 0..3), 0..3),
            0..2,
        ),
    ) {
        let mapping = Mapping { instance, lifecycle };
        let rendered = mapping.render(&Comments {
            header,
            instance: comments,
            lifecycle: container_comments,
        });
        prop_assert_eq!(Mapping::parse(&rendered, "mapping.yaml").unwrap(), mapping, "{}", rendered);
    }
}
