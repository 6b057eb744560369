use osc_imageref::{ImageRef, ImageRefError};

const SHA: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// (input, registry, repository, tag, digest, familiar form)
type Parsed<'a> = (
    &'a str,
    &'a str,
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    &'a str,
);

#[test]
fn parses_and_normalizes_references() {
    let with_digest = format!("ghcr.io/acme/app@{SHA}");
    let with_tag_and_digest = format!("bitnami/redis:7.2@{SHA}");
    let familiar_tag_and_digest = format!("bitnami/redis:7.2@{SHA}");
    let cases: Vec<Parsed<'_>> = vec![
        ("nginx", "docker.io", "library/nginx", None, None, "nginx"),
        (
            "nginx:1.27",
            "docker.io",
            "library/nginx",
            Some("1.27"),
            None,
            "nginx:1.27",
        ),
        (
            "library/nginx:1.27",
            "docker.io",
            "library/nginx",
            Some("1.27"),
            None,
            "nginx:1.27",
        ),
        (
            "docker.io/library/nginx:latest",
            "docker.io",
            "library/nginx",
            Some("latest"),
            None,
            "nginx:latest",
        ),
        (
            "index.docker.io/bitnami/redis",
            "docker.io",
            "bitnami/redis",
            None,
            None,
            "bitnami/redis",
        ),
        (
            "docker.io/bitnami/redis:7.2.4-debian-12-r0",
            "docker.io",
            "bitnami/redis",
            Some("7.2.4-debian-12-r0"),
            None,
            "bitnami/redis:7.2.4-debian-12-r0",
        ),
        (
            "docker.io/library/a/b",
            "docker.io",
            "library/a/b",
            None,
            None,
            "library/a/b",
        ),
        (
            "localhost/app",
            "localhost",
            "app",
            None,
            None,
            "localhost/app",
        ),
        (
            "localhost:5000/team/app:1.0",
            "localhost:5000",
            "team/app",
            Some("1.0"),
            None,
            "localhost:5000/team/app:1.0",
        ),
        (
            "10.0.0.7:5000/app",
            "10.0.0.7:5000",
            "app",
            None,
            None,
            "10.0.0.7:5000/app",
        ),
        (
            "[::1]:5000/app:v1",
            "[::1]:5000",
            "app",
            Some("v1"),
            None,
            "[::1]:5000/app:v1",
        ),
        (
            "swr.cn-east-3.myhuaweicloud.com/osc-opensource/redis:0.0.1",
            "swr.cn-east-3.myhuaweicloud.com",
            "osc-opensource/redis",
            Some("0.0.1"),
            None,
            "swr.cn-east-3.myhuaweicloud.com/osc-opensource/redis:0.0.1",
        ),
        (
            with_digest.as_str(),
            "ghcr.io",
            "acme/app",
            None,
            Some(SHA),
            with_digest.as_str(),
        ),
        (
            with_tag_and_digest.as_str(),
            "docker.io",
            "bitnami/redis",
            Some("7.2"),
            Some(SHA),
            familiar_tag_and_digest.as_str(),
        ),
        (
            "a/b__c/d-e.f_g--h:T_1.x-y",
            "docker.io",
            "a/b__c/d-e.f_g--h",
            Some("T_1.x-y"),
            None,
            "a/b__c/d-e.f_g--h:T_1.x-y",
        ),
        // No slash: the colon starts a tag, as Docker reads it.
        (
            "localhost:5000",
            "docker.io",
            "library/localhost",
            Some("5000"),
            None,
            "localhost:5000",
        ),
        (
            "Registry.Example.com/app",
            "Registry.Example.com",
            "app",
            None,
            None,
            "Registry.Example.com/app",
        ),
    ];
    for (input, registry, repository, tag, digest, familiar) in cases {
        let image = ImageRef::parse(input).unwrap_or_else(|err| panic!("{input}: {err}"));
        let actual = (
            image.registry(),
            image.repository(),
            image.tag(),
            image.digest(),
            image.familiar(),
        );
        assert_eq!(
            actual,
            (registry, repository, tag, digest, familiar.to_owned()),
            "{input}"
        );
        let full = image.to_string();
        assert_eq!(
            ImageRef::parse(&full).as_ref(),
            Ok(&image),
            "{input} round-trips through {full}"
        );
        assert_eq!(image.name(), format!("{registry}/{repository}"));
    }
}

#[test]
fn fully_qualified_form_names_the_registry() {
    let cases = [
        ("nginx", "docker.io/library/nginx"),
        ("bitnami/redis:7", "docker.io/bitnami/redis:7"),
        ("quay.io/x/y:1", "quay.io/x/y:1"),
    ];
    for (input, full) in cases {
        assert_eq!(ImageRef::parse(input).unwrap().to_string(), full);
    }
}

#[test]
fn rejects_what_is_not_a_reference() {
    let long_name = "a".repeat(256);
    let tag_129 = format!("nginx:{}", "t".repeat(129));
    let owned = |s: &str| s.to_owned();
    let cases: Vec<(&str, ImageRefError)> = vec![
        ("", ImageRefError::Empty),
        (
            "nginx latest",
            ImageRefError::Whitespace {
                reference: owned("nginx latest"),
            },
        ),
        (
            " nginx",
            ImageRefError::Whitespace {
                reference: owned(" nginx"),
            },
        ),
        (
            "NGINX",
            ImageRefError::Uppercase {
                reference: owned("NGINX"),
            },
        ),
        (
            "bitnami/Redis:7",
            ImageRefError::Uppercase {
                reference: owned("bitnami/Redis:7"),
            },
        ),
        (
            "docker.io/Acme/app",
            ImageRefError::Uppercase {
                reference: owned("docker.io/Acme/app"),
            },
        ),
        (
            "nginx:",
            ImageRefError::Tag {
                reference: owned("nginx:"),
                tag: owned(""),
            },
        ),
        (
            "nginx:-1",
            ImageRefError::Tag {
                reference: owned("nginx:-1"),
                tag: owned("-1"),
            },
        ),
        (
            "nginx:.x",
            ImageRefError::Tag {
                reference: owned("nginx:.x"),
                tag: owned(".x"),
            },
        ),
        (
            tag_129.as_str(),
            ImageRefError::Tag {
                reference: tag_129.clone(),
                tag: "t".repeat(129),
            },
        ),
        (
            "nginx@sha256:abc",
            ImageRefError::Digest {
                reference: owned("nginx@sha256:abc"),
                digest: owned("sha256:abc"),
            },
        ),
        (
            "nginx@latest",
            ImageRefError::Digest {
                reference: owned("nginx@latest"),
                digest: owned("latest"),
            },
        ),
        (
            "a//b",
            ImageRefError::Repository {
                reference: owned("a//b"),
                component: owned(""),
            },
        ),
        (
            "a/b/",
            ImageRefError::Repository {
                reference: owned("a/b/"),
                component: owned(""),
            },
        ),
        (
            "a/-b",
            ImageRefError::Repository {
                reference: owned("a/-b"),
                component: owned("-b"),
            },
        ),
        (
            "a/b..c",
            ImageRefError::Repository {
                reference: owned("a/b..c"),
                component: owned("b..c"),
            },
        ),
        (
            "a/b___c",
            ImageRefError::Repository {
                reference: owned("a/b___c"),
                component: owned("b___c"),
            },
        ),
        (
            "nginx:1:2",
            ImageRefError::Repository {
                reference: owned("nginx:1:2"),
                component: owned("nginx:1"),
            },
        ),
        (
            "-reg.io/app",
            ImageRefError::Registry {
                reference: owned("-reg.io/app"),
                registry: owned("-reg.io"),
            },
        ),
        (
            "reg.io:port/app",
            ImageRefError::Registry {
                reference: owned("reg.io:port/app"),
                registry: owned("reg.io:port"),
            },
        ),
        (
            "reg..io/app",
            ImageRefError::Registry {
                reference: owned("reg..io/app"),
                registry: owned("reg..io"),
            },
        ),
        (
            "http://reg.io/app",
            ImageRefError::Registry {
                reference: owned("http://reg.io/app"),
                registry: owned("http:"),
            },
        ),
        (
            long_name.as_str(),
            ImageRefError::TooLong {
                reference: long_name.clone(),
            },
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(ImageRef::parse(input), Err(expected), "{input:?}");
    }
}

#[test]
fn error_messages_say_what_is_wrong() {
    let message = ImageRef::parse("bitnami/Redis:7").unwrap_err().to_string();
    assert_eq!(
        message,
        "image reference \"bitnami/Redis:7\" has upper-case letters in its repository: image repositories are lower case"
    );
    let message = ImageRef::parse("nginx:").unwrap_err().to_string();
    assert!(
        message.starts_with("image reference \"nginx:\" has an invalid tag \"\""),
        "{message}"
    );
}

/// Each registered algorithm has its exact length; a digest one digit long or short, or of an
/// algorithm no registry takes, is no reference (a kubelet would fail the pull).
#[test]
fn digests_have_their_algorithms_exact_length() {
    let hex = |n: usize| "a".repeat(n);
    let cases = [
        (format!("sha256:{}", hex(64)), true),
        (format!("sha384:{}", hex(96)), true),
        (format!("sha512:{}", hex(128)), true),
        (format!("sha256:{}", hex(65)), false),
        (format!("sha256:{}", hex(63)), false),
        (format!("sha512:{}", hex(64)), false),
        (format!("sha256:{}", "A".repeat(64)), false),
        (format!("md5:{}", hex(32)), false),
        (format!("blake3:{}", hex(64)), false),
    ];
    for (digest, valid) in cases {
        assert_eq!(osc_imageref::is_valid_digest(&digest), valid, "{digest}");
        let reference = format!("quay.io/x/y@{digest}");
        assert_eq!(ImageRef::parse(&reference).is_ok(), valid, "{reference}");
    }
}

#[test]
fn a_registry_written_out_is_told_from_docker_hub_implied() {
    for (text, given) in [
        ("nginx", false),
        ("bitnami/redis:7", false),
        ("docker.io/bitnami/redis:7", true),
        ("localhost:5000/app", true),
        ("quay.io/x/y", true),
    ] {
        assert_eq!(
            ImageRef::parse(text).unwrap().registry_given(),
            given,
            "{text}"
        );
    }
    assert_eq!(
        ImageRef::parse("redis").unwrap(),
        ImageRef::parse("docker.io/library/redis").unwrap()
    );
}
