//! `Document::set` on a table of inputs; each case's edits and results are an insta snapshot.
//!
//! In snapshots a carriage return shows as `␍` and a text without a final line break ends with
//! `[no final newline]`. Small inputs show the whole output; the fixture files show the changed
//! lines only (`-` old, `+` new, two lines of context).

use osc_yaml::{Document, Path, Segment, Value};

enum Edit {
    Str(&'static str, &'static str),
    Bool(&'static str, bool),
    Int(&'static str, i64),
    Null(&'static str),
    /// A path given as segments, for keys holding dots.
    Keys(&'static [&'static str], &'static str),
}

struct Case {
    name: &'static str,
    input: &'static str,
    edits: &'static [Edit],
}

use Edit::{Bool, Int, Keys, Null, Str};

const CASES: &[Case] = &[
    // Replacing scalars in block mappings.
    Case {
        name: "plain_scalar_keeps_trailing_comment",
        input: "image:\n  registry: docker.io   # 仓库\n  tag: 1.25.3 # pinned\n",
        edits: &[Str("image.tag", "1.26.0-debian-12-r1")],
    },
    Case {
        name: "quoted_scalars_keep_trailing_comment",
        input: "a: 'OpenSource'   # set upstream\nb: \"x\\\"y\"  # escaped quote inside\nc: 'it''s' # doubled quote inside\n",
        edits: &[Str("a", "ISV"), Str("b", "z"), Str("c", "no")],
    },
    Case {
        name: "plain_scalar_quoted_when_plain_would_not_read_back",
        input: "a: x\nb: x\nc: x\nd: x\ne: x\n",
        edits: &[
            Str("a", "1.0"),
            Str("b", "yes"),
            Str("c", "a: b"),
            Str("d", "two\nlines"),
            Str("e", ""),
        ],
    },
    Case {
        name: "double_quoted_scalar_stays_double_quoted",
        input: "digest: \"sha256:0f1e\" # 摘要\n",
        edits: &[Str("digest", "sha256:\"quoted\" \\ back")],
    },
    Case {
        name: "single_quoted_scalar_stays_single_quoted",
        input: "tag: '1.0'\nnote: 'x'\n",
        edits: &[Str("tag", "it's 2.0"), Str("note", "tab\there")],
    },
    Case {
        name: "emptying_a_digest",
        input: "image:\n  tag: 1.0.0\n  digest: sha256:0f1e2d3c\n  pullPolicy: IfNotPresent\n",
        edits: &[Str("image.digest", "")],
    },
    Case {
        name: "bool_int_and_null_values",
        input: "enabled: 'false'\nreplicas: \"1\"\ntag: latest\n",
        edits: &[Bool("enabled", true), Int("replicas", -3), Null("tag")],
    },
    Case {
        name: "null_values_replaced",
        input: "a:\nb: ~\nc:   # 待填写\nd: null\ne: &anchor\nf: 1\n",
        edits: &[
            Str("a", "x"),
            Str("b", "y"),
            Str("c", "z"),
            Bool("d", true),
            Str("e", "w"),
        ],
    },
    Case {
        name: "unchanged_values_leave_the_text_alone",
        input: "a: x\nb: \"1.0\"\nc: True\nd: ~\ne: 7\nf: |\n  same\n",
        edits: &[
            Str("a", "x"),
            Str("b", "1.0"),
            Bool("c", true),
            Null("d"),
            Int("e", 7),
            Str("f", "same\n"),
        ],
    },
    Case {
        name: "string_that_reads_as_a_number_gets_quoted",
        input: "appVersion: 1.0\n",
        edits: &[Str("appVersion", "1.0")],
    },
    // Block scalars.
    Case {
        name: "literal_block_scalar_replaced_by_literal",
        input: "description: |\n  old line one\n  old line two\n\nname: x\n",
        edits: &[Str("description", "新的第一行\nnew line two\n")],
    },
    Case {
        name: "folded_block_scalar_keeps_header_comment",
        input: "notes: >-  # 说明\n  folded\n  text\nnext: 1\n",
        edits: &[Str("notes", "single line")],
    },
    Case {
        name: "block_scalar_replaced_by_flow_scalar",
        input: "a: |\n  text\nb: >\n  more\nc: |2-\n   indented\nd: 1\n",
        edits: &[
            Bool("a", false),
            Str("b", " leading space"),
            Str("c", "plain"),
        ],
    },
    Case {
        name: "empty_block_scalar",
        input: "a:\n  text: |\n  other: 1\n",
        edits: &[Str("a.text", "now\nset\n")],
    },
    // Inserting keys.
    Case {
        name: "annotations_absent",
        input: "apiVersion: v2\nname: kvstore # 名称\nversion: 1.0.0\n# trailing comment\n",
        edits: &[Str("annotations.source", "ISV")],
    },
    Case {
        name: "annotations_present",
        input: "annotations:\n  category: Database\n  licenses: Apache-2.0\n\n# next\napiVersion: v2\n",
        edits: &[Str("annotations.source", "ISV")],
    },
    Case {
        name: "annotations_empty_flow_mapping",
        input: "apiVersion: v2\nannotations: {}  # none yet\nname: x\n",
        edits: &[Str("annotations.source", "ISV")],
    },
    Case {
        name: "annotations_null",
        input: "annotations:\nname: x\nlabels: ~ # 无\n",
        edits: &[Str("annotations.source", "ISV"), Str("labels.app", "x")],
    },
    Case {
        name: "nested_insert_creates_maps",
        input: "global:\n  imageRegistry: \"\"\n  imagePullSecrets: []\nimage:\n  tag: 1.0.0\n",
        edits: &[
            Bool("global.security.allowInsecureImages", true),
            Str("metrics.image.registry", "swr.cn-north-4.myhuaweicloud.com"),
        ],
    },
    Case {
        name: "nested_insert_uses_document_indent_step",
        input: "global:\n    imageRegistry: \"\"\nimage:\n    tag: 1.0.0\n",
        edits: &[Bool("global.security.allowInsecureImages", true)],
    },
    Case {
        name: "insert_into_mapping_inside_sequence",
        input: "containers:\n  - name: app\n    # 镜像\n    ports: [80]\n  - name: sidecar\n",
        edits: &[
            Str("containers[0].image", "nginx:1.27"),
            Str("containers[1].image", "busybox"),
        ],
    },
    Case {
        name: "insert_keys_that_need_quotes",
        input: "labels:\n  app: x\n",
        edits: &[
            Keys(&["labels", "app.kubernetes.io/name"], "kvstore"),
            Str("labels.on", "true"),
            Str("labels.<<", "merge-looking"),
        ],
    },
    Case {
        name: "flow_mapping_insert",
        input: "image: {registry: docker.io, repository: example/kvstore}  # 流式\n",
        edits: &[Str("image.tag", "1.0,beta"), Str("image.extra.deep", "v")],
    },
    Case {
        name: "flow_insert_into_empty_and_null",
        input: "list: [{}, {a: ~}]\nroot: {}\n",
        edits: &[
            Int("list[0].x", 1),
            Str("list[1].a.b", "c"),
            Str("root.k", "v"),
        ],
    },
    Case {
        name: "root_flow_mapping",
        input: "{a: 1}\n",
        edits: &[Int("b", 2)],
    },
    Case {
        name: "quoted_keys_match",
        input: "\"image\":\n  'tag': \"1.0\"\n  \"registry\": docker.io\n",
        edits: &[Str("image.tag", "2.0"), Str("image.registry", "quay.io")],
    },
    Case {
        name: "closing_bracket_at_key_indentation",
        input: "vault:\n  server:\n    args: [\n      \"server\",\n      \"-dev\"\n    ]\n    env: {\n      a: 1\n    }\n    image: 旧\n",
        edits: &[
            Str("vault.server.args[1]", "-prod"),
            Int("vault.server.env.a", 2),
            Str("vault.server.image", "新"),
            Str("vault.server.tag", "1"),
        ],
    },
    // Sequences.
    Case {
        name: "block_and_flow_sequences",
        input: "args: [--a, \"--b\", '--c']\nitems:\n- x\n-   y # 注释\ncontainers:\n  - {name: a, image: a:1}\n",
        edits: &[
            Str("args[1]", "--b=2"),
            Str("args[2]", "--c=3"),
            Str("items[1]", "z"),
            Str("containers[0].image", "a:2"),
        ],
    },
    // Comments, line endings and document markers.
    Case {
        name: "comments_everywhere",
        input: "# head comment\n\n# above a\na: 1 # trailing\n\n# between\nb:\n  # inside\n  c: 2 # c\n  # after c\n\n# before end\n",
        edits: &[Int("a", 10), Int("b.c", 20), Int("b.d", 30)],
    },
    Case {
        name: "crlf_line_endings",
        input: "# 注释\r\nimage:\r\n  tag: 1.0 # x\r\n  registry: docker.io\r\n",
        edits: &[
            Str("image.tag", "2.0.0"),
            Str("image.digest", ""),
            Bool("global.security.allowInsecureImages", true),
        ],
    },
    Case {
        name: "crlf_block_scalar",
        input: "a: |\r\n  one\r\n  two\r\nb: 1\r\n",
        edits: &[Str("a", "三\nfour\n")],
    },
    Case {
        name: "no_final_newline_replace",
        input: "a: 1\nb: last",
        edits: &[Str("b", "changed")],
    },
    Case {
        name: "no_final_newline_insert",
        input: "a:\n  b: 1 # 最后",
        edits: &[Int("a.c", 2), Str("d.e", "f")],
    },
    Case {
        name: "non_ascii_before_the_edit",
        input: "# 中文注释：镜像配置\n名称: 数据库 😀\ndescription: \"é ü 中\"\nimage:\n  tag: 旧版本\n",
        edits: &[
            Str("image.tag", "新版本"),
            Str("image.registry", "镜像.example.com"),
        ],
    },
    Case {
        name: "byte_order_mark",
        input: "\u{feff}# 带 BOM\na: 1\n",
        edits: &[Int("a", 2), Str("b.c", "d")],
    },
    Case {
        name: "document_start_and_end_markers",
        input: "# before\n---\na: 1\n...\n",
        edits: &[Int("a", 2), Int("b", 3)],
    },
    Case {
        name: "empty_documents",
        input: "",
        edits: &[Str("annotations.source", "ISV")],
    },
    Case {
        name: "comment_only_document",
        input: "# Default values for x.\n# 没有值",
        edits: &[Bool("global.security.allowInsecureImages", true)],
    },
    Case {
        name: "explicit_null_document",
        input: "--- ~\n",
        edits: &[Str("a", "b")],
    },
    // Anchors, aliases, merges and tags.
    Case {
        name: "anchor_without_alias_is_editable",
        input: "base: &base\n  tag: 1.0.0\nname: &n kv\n",
        edits: &[
            Str("base.tag", "2.0.0"),
            Str("base.new", "x"),
            Str("name", "kv2"),
        ],
    },
    Case {
        name: "path_through_alias_is_refused",
        input: "base: &base\n  tag: 1.0.0\ncopy: *base\n",
        edits: &[Str("copy.tag", "2.0.0")],
    },
    Case {
        name: "aliased_anchor_is_refused",
        input: "base: &base\n  tag: 1.0.0\ncopy: *base\n",
        edits: &[Str("base.tag", "2.0.0")],
    },
    Case {
        name: "aliased_scalar_is_refused",
        input: "tag: &t 1.0.0\nother: *t\n",
        edits: &[Str("tag", "2.0.0")],
    },
    Case {
        name: "merge_key_is_refused_for_missing_keys",
        input: "base: &base\n  tag: 1.0.0\nuse:\n  <<: *base\n  registry: docker.io\n",
        edits: &[Str("use.registry", "quay.io"), Str("use.tag", "2.0.0")],
    },
    Case {
        name: "tags",
        input: "a: !!str 1\nb: !!binary aGVsbG8=\n",
        edits: &[Str("a", "2"), Str("b", "x")],
    },
    Case {
        name: "str_tag_refuses_other_types",
        input: "a: !!str 1\n",
        edits: &[Int("a", 2)],
    },
    // Errors.
    Case {
        name: "replacing_a_collection_is_refused",
        input: "image:\n  tag: 1\n",
        edits: &[Str("image", "nginx")],
    },
    Case {
        name: "key_under_a_scalar_is_refused",
        input: "image: nginx\n",
        edits: &[Str("image.tag", "1")],
    },
    Case {
        name: "missing_index_is_refused",
        input: "containers:\n- name: a\n",
        edits: &[Str("containers[1].image", "x")],
    },
    Case {
        name: "index_in_created_path_is_refused",
        input: "a: 1\n",
        edits: &[Str("spec.containers[0].image", "x")],
    },
    Case {
        name: "index_into_mapping_is_refused",
        input: "a:\n  b: 1\n",
        edits: &[Str("a[0]", "x")],
    },
    Case {
        name: "empty_sequence_item_is_refused",
        input: "a:\n-\n- x\n",
        edits: &[Str("a[0]", "y")],
    },
    Case {
        name: "multiple_documents_are_refused",
        input: "a: 1\n---\nb: 2\n",
        edits: &[],
    },
    Case {
        name: "syntax_error_names_line_and_column",
        input: "a: 1\nb: [x\nc: 2\n",
        edits: &[],
    },
    Case {
        name: "duplicate_keys_are_refused",
        input: "a: 1\na: 2\n",
        edits: &[],
    },
];

/// Real-shaped files, edited the way the packaging steps will.
const FIXTURE_CASES: &[Case] = &[
    Case {
        name: "fixture_chart_yaml",
        input: include_str!("fixtures/Chart.yaml"),
        edits: &[
            Str("annotations.source", "ISV"),
            Str("annotations.architecture", "x86_64,aarch64"),
            Str("annotations.scenes", "CCE"),
            Str("appVersion", "3.5.18"),
        ],
    },
    Case {
        name: "fixture_values_yaml",
        input: include_str!("fixtures/values.yaml"),
        edits: &[
            Str("image.registry", "swr.cn-north-4.myhuaweicloud.com"),
            Str("image.repository", "isv/kvstore"),
            Str("image.digest", ""),
            Str("volumePermissions.image.digest", ""),
            Str("redis.image.tag", "7.4.1-debian-12-r0"),
            Str(
                "redis.sidecars[1].image",
                "swr.cn-north-4.myhuaweicloud.com/isv/fluent-bit:3.1.9",
            ),
            Bool("global.security.allowInsecureImages", true),
        ],
    },
    Case {
        name: "fixture_clusterserviceversion",
        input: include_str!("fixtures/kvstore-operator.clusterserviceversion.yaml"),
        edits: &[
            Str(
                "spec.install.spec.deployments[0].spec.template.spec.containers[0].image",
                "swr.cn-north-4.myhuaweicloud.com/isv/kvstore-operator:0.9.4",
            ),
            Str(
                "spec.install.spec.deployments[0].spec.template.spec.containers[1].image",
                "swr.cn-north-4.myhuaweicloud.com/isv/kvstore-operator:0.9.4",
            ),
            Str("metadata.annotations.source", "ISV"),
        ],
    },
];

#[test]
fn small_documents() {
    for case in CASES {
        insta::assert_snapshot!(case.name, run(case, Show::Whole));
    }
}

#[test]
fn fixture_files() {
    for case in FIXTURE_CASES {
        insta::assert_snapshot!(case.name, run(case, Show::ChangedLines));
    }
}

#[derive(Clone, Copy)]
enum Show {
    Whole,
    ChangedLines,
}

fn run(case: &Case, show: Show) -> String {
    let mut report = String::new();
    if let Show::Whole = show {
        report.push_str(&format!("--- input\n{}", visible(case.input)));
    }
    let mut document = match Document::parse(case.input) {
        Ok(document) => document,
        Err(error) => {
            report.push_str(&format!("--- parse error\n{error}\n"));
            return report;
        }
    };
    for edit in case.edits {
        let (path, value) = edit.resolve();
        report.push_str(&format!("--- set {path} = {value:?}\n"));
        let before = document.text().to_owned();
        match document.set(&path, value.clone()) {
            Ok(()) => {
                check_reads_back(document.text(), &path, &value);
                if document.text() == before {
                    report.push_str("(unchanged)\n");
                } else if let Show::ChangedLines = show {
                    report.push_str(&changed_lines(&before, document.text()));
                }
            }
            Err(error) => {
                assert_eq!(
                    document.text(),
                    before,
                    "a failed edit must not change the text"
                );
                report.push_str(&format!("error: {error}\n"));
            }
        }
    }
    if let Show::Whole = show {
        report.push_str(&format!("--- output\n{}", visible(document.text())));
    }
    report
}

impl Edit {
    fn resolve(&self) -> (Path, Value) {
        let parse = |path: &str| Path::parse(path).unwrap();
        match self {
            Str(path, text) => (parse(path), Value::from(*text)),
            Bool(path, flag) => (parse(path), Value::Bool(*flag)),
            Int(path, number) => (parse(path), Value::Int(*number)),
            Null(path) => (parse(path), Value::Null),
            Keys(keys, text) => (
                Path::from_segments(keys.iter().map(|key| Segment::from(*key))),
                Value::from(*text),
            ),
        }
    }
}

/// Reads the edited text with serde_norway, independently of the crate's own check.
fn check_reads_back(text: &str, path: &Path, value: &Value) {
    let mut current: serde_norway::Value = serde_norway::from_str(text).unwrap();
    for segment in path.segments() {
        current = match segment {
            Segment::Key(key) => current[key.as_str()].clone(),
            Segment::Index(index) => current[*index].clone(),
        };
    }
    let expected = match value {
        Value::Str(text) => serde_norway::Value::from(text.as_str()),
        Value::Bool(flag) => serde_norway::Value::from(*flag),
        Value::Int(number) => serde_norway::Value::from(*number),
        Value::Null => serde_norway::Value::Null,
    };
    assert_eq!(current, expected, "{path} in:\n{text}");
}

fn visible(text: &str) -> String {
    let mut shown = text.replace('\r', "␍");
    if !text.is_empty() && !text.ends_with('\n') {
        shown.push_str("[no final newline]\n");
    }
    shown
}

/// The lines that differ between `before` and `after`, with two lines of context.
fn changed_lines(before: &str, after: &str) -> String {
    let old: Vec<&str> = before.split_inclusive('\n').collect();
    let new: Vec<&str> = after.split_inclusive('\n').collect();
    let common_start = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let common_end = old[common_start..]
        .iter()
        .rev()
        .zip(new[common_start..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let context_start = common_start.saturating_sub(2);
    let mut shown = format!("@@ line {}\n", context_start + 1);
    let line = |mark: &str, text: &str| format!("{mark}{}", visible(text));
    for text in &old[context_start..common_start] {
        shown.push_str(&line("  ", text));
    }
    for text in &old[common_start..old.len() - common_end] {
        shown.push_str(&line("- ", text));
    }
    for text in &new[common_start..new.len() - common_end] {
        shown.push_str(&line("+ ", text));
    }
    let after_end = new.len() - common_end;
    for text in &new[after_end..(after_end + 2).min(new.len())] {
        shown.push_str(&line("  ", text));
    }
    shown
}

/// Found by fuzzing: a byte-order mark before the first key once shifted a new sibling key one
/// column right, where YAML reads it as a child.
#[test]
fn a_byte_order_mark_shifts_nothing() {
    for (text, key, want) in [
        ("\u{feff}k: #\n", "k2", "\u{feff}k: #\nk2: value\n"),
        (
            "\u{feff}a: 1\nb: 2\n",
            "c",
            "\u{feff}a: 1\nb: 2\nc: value\n",
        ),
        (
            "\u{feff}a:\n  b: 1\n",
            "a.c",
            "\u{feff}a:\n  b: 1\n  c: value\n",
        ),
    ] {
        let mut document = osc_yaml::Document::parse(text).unwrap();
        let path = osc_yaml::Path::parse(key).unwrap();
        document.set(&path, "value").unwrap();
        assert_eq!(document.text(), want, "{text:?}");
        let found = document.get(&path).map(|node| node.kind());
        assert_eq!(
            found,
            Some(osc_yaml::NodeKind::Scalar {
                value: "value",
                style: osc_yaml::ScalarStyle::Plain
            }),
            "{text:?}"
        );
    }
}

/// Found by fuzzing: a block scalar ending the text in a line of blanks reads as libyaml reads
/// it; a line break YAML 1.1 and 1.2 disagree on is refused, not edited.
#[test]
fn the_trees_reading_agrees_with_the_meaning() {
    for text in ["s: |\n  k\n  ", "s: >\n  k\n  "] {
        let document = osc_yaml::Document::parse(text).unwrap();
        let node = document.get(&osc_yaml::Path::parse("s").unwrap()).unwrap();
        assert!(
            matches!(node.kind(), osc_yaml::NodeKind::Scalar { value: "k\n", .. }),
            "{text:?}: {:?}",
            node.kind()
        );
    }
    for text in [
        "\r\u{85}#:",
        "k: |-\n  a\u{2028}b: c\n",
        "a: \"x\u{2029}y\"\n",
    ] {
        let error = osc_yaml::Document::parse(text).unwrap_err().to_string();
        assert!(error.contains("YAML 1.1 readers"), "{text:?}: {error}");
    }
}
