//! Key discovery on fixture charts that each show patterns charts use to build image
//! references, with a real helm (see [`support::helm`]).

mod support;

use osc_render::{
    AddressPart, DiscoverRequest, Discovery, ImageField, KeyOrigin, RENDER_BUDGET, discover,
};
use serde_norway::{Mapping, Value};
use support::{fixture, helm};

/// The discovery as YAML, every use and key on one line.
fn summary(discovery: &Discovery) -> Value {
    let mut root = Mapping::new();
    root.insert("images".into(), images_summary(&discovery.images).into());
    if !discovery.latent.is_empty() {
        let latent: Vec<Value> = discovery
            .latent
            .iter()
            .map(|latent| {
                let mut entry = Mapping::new();
                entry.insert(
                    "image".into(),
                    images_summary(std::slice::from_ref(&latent.image))
                        .pop()
                        .unwrap_or_default(),
                );
                entry.insert("switches".into(), latent.switches.clone().into());
                Value::Mapping(entry)
            })
            .collect();
        root.insert("latent".into(), latent.into());
    }
    if !discovery.pull_secrets.keys.is_empty() {
        let keys: Vec<Value> = discovery
            .pull_secrets
            .keys
            .iter()
            .map(|key| {
                Value::from(format!(
                    "{} {:?} {}",
                    key.path,
                    key.shape,
                    key.pods.join(", ")
                ))
            })
            .collect();
        root.insert("pull_secrets".into(), keys.into());
    }
    summary_rest(discovery, root)
}

fn images_summary(images: &[osc_render::FoundImage]) -> Vec<Value> {
    images
        .iter()
        .map(|image| {
            let mut entry = Mapping::new();
            entry.insert("reference".into(), image.reference.to_string().into());
            let uses: Vec<Value> = image
                .uses
                .iter()
                .map(|used| {
                    let field = match &used.field {
                        ImageField::Image => String::new(),
                        ImageField::Env { name } => format!(" env {name}"),
                        ImageField::Object { path } => format!(" field {path}"),
                        ImageField::Arg { path } => format!(" {path}"),
                    };
                    let text = format!(
                        "{}/{} {} {}{field}",
                        used.kind, used.object, used.container_type, used.container
                    );
                    Value::from(text)
                })
                .collect();
            entry.insert("uses".into(), uses.into());
            let keys: Vec<Value> = image
                .keys
                .iter()
                .map(|key| {
                    let origin = match &key.origin {
                        KeyOrigin::ChartValues => "chart".to_owned(),
                        KeyOrigin::SubchartValues { chart } => format!("subchart {chart}"),
                        KeyOrigin::UserValues => "user".to_owned(),
                    };
                    Value::from(format!(
                        "{} {} = {:?} ({origin})",
                        key.part, key.path, key.value
                    ))
                })
                .collect();
            entry.insert("keys".into(), keys.into());
            Value::Mapping(entry)
        })
        .collect()
}

fn summary_rest(discovery: &Discovery, mut root: Mapping) -> Value {
    if let Some(guard) = &discovery.guard {
        let mut entry = Mapping::new();
        entry.insert("key".into(), guard.key.clone().into());
        entry.insert("message".into(), guard.message.clone().into());
        root.insert("guard".into(), Value::Mapping(entry));
    }
    let fragile: Vec<Value> = discovery
        .fragile
        .iter()
        .map(|key| Value::from(format!("{}: {}", key.path, key.error)))
        .collect();
    root.insert("fragile".into(), fragile.into());
    root.insert("renders".into(), discovery.renders.into());
    Value::Mapping(root)
}

fn discover_fixture(name: &str, values_files: &[&str]) -> Discovery {
    let chart = fixture(&format!("discover/{name}"));
    let request = DiscoverRequest {
        release: "rel",
        namespace: "apps",
        values_files: values_files
            .iter()
            .map(|file| fixture(&format!("discover/{file}")))
            .collect(),
        ..DiscoverRequest::new(&chart)
    };
    discover(&helm(), &request).unwrap()
}

#[test]
fn bitnami_style_image_maps_and_their_global_registry() {
    let discovery = discover_fixture("bitnami-style", &[]);
    insta::assert_yaml_snapshot!(summary(&discovery));
}

#[test]
fn whole_references_pairs_digests_lists_numbers_and_pieces() {
    let discovery = discover_fixture("plain-keys", &[]);
    insta::assert_yaml_snapshot!(summary(&discovery));
}

#[test]
fn subchart_keys_sit_under_their_alias_and_user_keys_count() {
    let discovery = discover_fixture("umbrella", &["umbrella-values.yaml"]);
    insta::assert_yaml_snapshot!(summary(&discovery));
}

#[test]
fn keys_whose_markers_break_the_chart_are_isolated() {
    let discovery = discover_fixture("fragile", &[]);
    insta::assert_yaml_snapshot!(summary(&discovery));
}

#[test]
fn markers_are_batched_into_few_renders() {
    let cases = [
        // The default render beside one for the image-shaped keys; then one for the keys whose
        // value shows in an image the first left incomplete (no switch, no list: no latent
        // render).
        ("plain-keys", &[][..], 3),
        // The default, moved and switched-on renders side by side; then one for the keys whose
        // value shows in an incomplete image, one for the unset keys beside them.
        ("umbrella", &["umbrella-values.yaml"][..], 5),
        // The moved render fails on the image check; the switched-on one (its one switch is the
        // guard) shows every image with the chart's addresses, and the unset keys of the image
        // maps render beside them. Then the keys whose value shows in an incomplete image, the
        // unset keys beside those, and again in rounds: a digest hides the tag it is beside.
        ("bitnami-style", &[][..], 7),
    ];
    for (name, values_files, renders) in cases {
        let discovery = discover_fixture(name, values_files);
        assert_eq!(discovery.renders, renders, "{name}");
        assert!(discovery.renders <= RENDER_BUDGET);
    }
}

#[test]
fn address_parts_have_mapping_yaml_names() {
    let names: Vec<&str> = [
        AddressPart::FullAddress,
        AddressPart::Repository,
        AddressPart::PrefixAddress,
        AddressPart::Repo,
        AddressPart::Endpoint,
        AddressPart::Tag,
        AddressPart::Digest,
        AddressPart::Partial,
    ]
    .into_iter()
    .map(AddressPart::as_str)
    .collect();
    assert_eq!(
        names,
        [
            "fullAddress",
            "repository",
            "prefixAddress",
            "repo",
            "endpoint",
            "tag",
            "digest",
            "partial"
        ]
    );
}

#[test]
fn a_chart_that_does_not_render_is_an_error() {
    let chart = fixture("broken");
    let error = discover(&helm(), &DiscoverRequest::new(&chart)).unwrap_err();
    assert!(
        error.to_string().contains("broken needs .Values.message"),
        "{error}"
    );
}

#[test]
fn a_v1_chart_declares_its_subchart_alias_in_requirements_yaml() {
    let discovery = discover_fixture("legacy-v1", &[]);
    let keys: Vec<_> = discovery
        .images
        .iter()
        .flat_map(|image| &image.keys)
        .map(|key| (key.path.as_str(), key.part, &key.origin))
        .collect();
    let agent = KeyOrigin::SubchartValues {
        chart: "agent".to_owned(),
    };
    assert_eq!(
        keys,
        [("collector.image", AddressPart::FullAddress, &agent)]
    );
}
