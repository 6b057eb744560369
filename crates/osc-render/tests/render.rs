//! Renders the fixture charts with a real helm (see [`support::helm`]).

mod support;

use std::path::PathBuf;

use support::{fixture, helm};

use osc_imageref::ImageRefError;
use osc_render::{
    ContainerType, Helm, ImageField, ImageUse, RenderError, RenderRequest, find_images,
    find_invalid_images,
};

fn image_table(images: &[ImageUse]) -> String {
    images
        .iter()
        .map(|image| {
            // An image in a resource's own field (a CR, a ConfigMap) belongs to no container.
            let container = if image.container.is_empty() {
                String::from("no container")
            } else {
                format!("{} {}", image.container_type, image.container)
            };
            format!(
                "{} | {}/{} | {} | {} | {} => {} ({})\n",
                image.source,
                image.kind,
                image.object,
                container,
                image.field,
                image.raw,
                image.reference,
                image.reference.familiar(),
            )
        })
        .collect()
}

#[test]
fn finds_every_image_field_of_the_workloads_fixture() {
    let chart = fixture("workloads");
    let mut request = RenderRequest::new(&chart);
    request.release = "shop";
    request.namespace = "retail";
    let rendered = helm().template(&request).unwrap();

    let images = find_images(&rendered);
    insta::assert_snapshot!(image_table(&images));
    assert!(find_invalid_images(&rendered).is_empty());
}

#[test]
fn documents_carry_their_template_and_position() {
    let chart = fixture("workloads");
    let rendered = helm().template(&RenderRequest::new(&chart)).unwrap();

    let sources: String = rendered
        .documents
        .iter()
        .map(|doc| format!("{} {}\n", doc.index, doc.source))
        .collect();
    insta::assert_snapshot!(sources);
    let deployment = rendered
        .documents
        .iter()
        .find(|doc| doc.source.ends_with("/deployment.yaml"))
        .unwrap();
    assert_eq!(
        deployment.value["metadata"]["namespace"].as_str(),
        Some("default")
    );
    assert!(
        deployment
            .text
            .starts_with("apiVersion: apps/v1\nkind: Deployment\n"),
        "{}",
        deployment.text
    );
    assert!(
        rendered
            .documents
            .iter()
            .all(|doc| !doc.source.ends_with("NOTES.txt"))
    );
}

#[test]
fn values_files_then_set_expressions_override_chart_defaults() {
    let chart = fixture("workloads");
    let web_image = |values_files: Vec<PathBuf>, set: Vec<String>| {
        let request = RenderRequest {
            values_files,
            set,
            ..RenderRequest::new(&chart)
        };
        let rendered = helm().template(&request).unwrap();
        find_images(&rendered)
            .into_iter()
            .find(|image| image.kind == "Deployment" && image.container == "web")
            .map(|image| image.raw)
    };
    let values = |name: &str| fixture("values").join(name);

    let cases = [
        (vec![], vec![], "registry.example.com/shop/web:1.4.2"),
        (
            vec![values("web-2.0.yaml")],
            vec![],
            "registry.example.com/shop/web:2.0",
        ),
        (
            vec![values("web-2.0.yaml"), values("web-2.5.yaml")],
            vec![],
            "registry.example.com/shop/web:2.5",
        ),
        (
            vec![values("web-2.5.yaml"), values("web-2.0.yaml")],
            vec![],
            "registry.example.com/shop/web:2.0",
        ),
        (
            vec![values("web-2.5.yaml")],
            vec![
                "app.image.tag=3.0".to_owned(),
                "app.image.registry=localhost:5000".to_owned(),
            ],
            "localhost:5000/shop/web:3.0",
        ),
    ];
    for (values_files, set, expected) in cases {
        let description = format!("{values_files:?} {set:?}");
        assert_eq!(
            web_image(values_files, set).as_deref(),
            Some(expected),
            "{description}"
        );
    }
}

#[test]
fn an_invalid_image_field_is_reported_apart() {
    let chart = fixture("workloads");
    let request = RenderRequest {
        set: vec!["broken.enabled=true".to_owned()],
        ..RenderRequest::new(&chart)
    };
    let rendered = helm().template(&request).unwrap();

    let invalid = find_invalid_images(&rendered);
    assert_eq!(invalid.len(), 1, "{invalid:?}");
    assert_eq!(
        (
            invalid[0].raw.as_str(),
            invalid[0].container.as_str(),
            invalid[0].container_type
        ),
        ("Acme/Web:1", "broken", ContainerType::Container)
    );
    assert_eq!(
        invalid[0].error,
        ImageRefError::Uppercase {
            reference: "Acme/Web:1".to_owned()
        }
    );
    assert!(
        find_images(&rendered)
            .iter()
            .all(|image| image.container != "broken")
    );
}

#[test]
fn render_errors_name_the_chart_and_the_failing_template() {
    let chart = fixture("broken");
    let error = helm().template(&RenderRequest::new(&chart)).unwrap_err();

    let RenderError::Helm {
        chart: failed_chart,
        template,
        stderr,
    } = &error
    else {
        panic!("expected a helm error, got {error:?}");
    };
    assert_eq!(failed_chart, &chart);
    assert_eq!(template.as_deref(), Some("broken/templates/configmap.yaml"));
    assert!(stderr.contains("broken needs .Values.message"), "{stderr}");
    let message = error.to_string();
    assert!(
        message.contains(&chart.display().to_string()) && message.contains("configmap.yaml"),
        "{message}"
    );
}

#[test]
fn a_missing_chart_is_a_helm_error_without_template() {
    let chart = fixture("no-such-chart");
    let error = helm().template(&RenderRequest::new(&chart)).unwrap_err();
    assert!(
        matches!(&error, RenderError::Helm { template: None, stderr, .. } if stderr.contains("not found")),
        "{error:?}"
    );
}

#[test]
fn a_missing_helm_binary_is_a_spawn_error() {
    let chart = fixture("workloads");
    let error = Helm::new("/nonexistent/helm")
        .template(&RenderRequest::new(&chart))
        .unwrap_err();
    assert!(matches!(error, RenderError::Spawn { .. }), "{error:?}");
    assert!(error.to_string().contains("/nonexistent/helm"));
}

#[test]
fn version_is_helms_semantic_version() {
    let version = helm().version().unwrap();
    assert!(
        version.starts_with('v') && version.split('.').count() >= 3,
        "{version}"
    );
}

#[test]
fn env_images_name_their_variable() {
    let chart = fixture("workloads");
    let rendered = helm().template(&RenderRequest::new(&chart)).unwrap();
    let env: Vec<_> = find_images(&rendered)
        .into_iter()
        .filter(|image| matches!(image.field, ImageField::Env { .. }))
        .collect();
    assert_eq!(env.len(), 1, "{env:?}");
    assert_eq!(
        env[0].field,
        ImageField::Env {
            name: "WORKER_IMAGE".to_owned()
        }
    );
    assert_eq!(env[0].reference.to_string(), "docker.io/acme/worker:2.1");
}

/// Whether the helm serves calls in one process (the adapter) or runs each as its own (any
/// helm), a call prints the same: the renders, the errors, the version.
#[test]
fn served_and_one_process_calls_print_the_same() {
    let served = helm();
    let processes = helm().one_process_per_call();
    for _ in 0..2 {
        let chart = fixture("workloads");
        let request = RenderRequest::new(&chart);
        assert_eq!(
            served.template(&request).unwrap(),
            processes.template(&request).unwrap()
        );
        let broken = fixture("broken");
        let request = RenderRequest::new(&broken);
        assert_eq!(
            served.template(&request).unwrap_err().to_string(),
            processes.template(&request).unwrap_err().to_string()
        );
    }
    assert_eq!(served.version().unwrap(), processes.version().unwrap());
}

/// A helm without the adapter's `adapter-serve` (any real helm) says `unknown command`: every
/// call is then its own process, and asked once, or once for each process warmed up.
#[test]
fn a_helm_that_does_not_serve_runs_a_process_per_call() {
    for warm_up in [0, 2] {
        let (_dir, bin, log) = logged_helm(
            "echo 'Error: unknown command \"adapter-serve\" for \"helm\"' >&2\n  exit 1",
        );
        let helm = Helm::new(&bin);
        helm.warm_up(warm_up);
        let chart = fixture("workloads");
        for _ in 0..3 {
            let rendered = helm.template(&RenderRequest::new(&chart)).unwrap();
            assert!(!find_images(&rendered).is_empty());
        }
        let calls = std::fs::read_to_string(&log).unwrap();
        let mut calls: Vec<&str> = calls.lines().collect();
        // The warmed-up processes write their line while the first render runs.
        calls.sort_unstable();
        let asked = warm_up.max(1);
        let mut expected = vec!["adapter-serve"; asked];
        expected.extend(["template"; 3]);
        assert_eq!(calls, expected, "warm_up({warm_up})");
    }
}

/// A serving process that ends (here after one call) hands the next call to a process of its
/// own, and a new server takes the calls after that.
#[test]
fn a_server_that_ends_hands_its_call_to_a_process() {
    let real = helm().bin().display().to_string();
    let (_dir, bin, log) = logged_helm(&format!("head -n 1 | '{real}' \"$@\"\n  exit $?"));
    let helm = Helm::new(&bin);
    let chart = fixture("workloads");
    let expected = helm
        .clone()
        .one_process_per_call()
        .template(&RenderRequest::new(&chart))
        .unwrap();
    std::fs::remove_file(&log).unwrap();
    for _ in 0..3 {
        assert_eq!(
            helm.template(&RenderRequest::new(&chart)).unwrap(),
            expected
        );
    }
    let calls = std::fs::read_to_string(&log).unwrap();
    let calls: Vec<&str> = calls.lines().collect();
    // A helm that does not serve runs a process a call (the test above); one that does is
    // served, then runs a process, then is served by a new server.
    if calls != ["adapter-serve", "template", "template", "template"] {
        assert_eq!(calls, ["adapter-serve", "template", "adapter-serve"]);
    }
}

#[test]
fn every_helm_process_gets_the_variables_it_was_given() {
    let (_dir, bin, log) = helm_logging("\"$1 ${OSC_TEST_MARK:-unset}\"", ":");
    let chart = fixture("workloads");
    let marked = Helm::new(&bin).with_env("OSC_TEST_MARK", "given");
    for helm in [marked.clone(), marked.one_process_per_call()] {
        helm.template(&RenderRequest::new(&chart)).unwrap();
    }
    let log = std::fs::read_to_string(&log).unwrap();
    let processes: Vec<&str> = log.lines().collect();
    assert!(processes.len() >= 2, "{log}");
    assert!(
        processes.iter().all(|line| line.ends_with(" given")),
        "{log}"
    );
}

/// A helm that logs each command's first argument, then runs the real one; `adapter-serve`
/// runs `serve` (shell) instead. Returns the folder to keep, the helm and the log.
fn logged_helm(serve: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    helm_logging("\"$1\"", serve)
}

/// As [`logged_helm`], logging the shell words `logged` for each process.
fn helm_logging(logged: &str, serve: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("calls.log");
    let bin = dir.path().join("helm");
    std::fs::write(
        &bin,
        format!(
            "#!/bin/sh\necho {logged} >> '{log}'\nif [ \"$1\" = adapter-serve ]; then\n  \
             {serve}\nfi\nexec '{helm}' \"$@\"\n",
            log = log.display(),
            helm = helm().bin().display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    (dir, bin, log)
}
