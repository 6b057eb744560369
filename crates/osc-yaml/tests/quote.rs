//! `quote`, `double_quote` and the handlebars helpers on tables of inputs and the text expected;
//! everything written must read back as the input.

use osc_yaml::{double_quote, quote};

fn reads_back(written: &str, expected: &str) {
    let document = format!("k: {written}\n");
    let read: serde_norway::Value = serde_norway::from_str(&document)
        .unwrap_or_else(|error| panic!("{document:?} does not parse: {error}"));
    assert_eq!(read["k"].as_str(), Some(expected), "{document:?}");
}

#[test]
fn quote_writes_plain_only_what_reads_back_for_yaml_1_1_and_1_2() {
    let cases = [
        // Plain: image references, paths, prose.
        ("3.5.0", "3.5.0"),
        ("3.4.14-debian-10-r44", "3.4.14-debian-10-r44"),
        ("bitnami/etcd", "bitnami/etcd"),
        ("image.tag", "image.tag"),
        ("sidecars[0].image", "sidecars[0].image"),
        ("etcd-3.5.0.tar", "etcd-3.5.0.tar"),
        (
            "Broadcom, Inc. All Rights Reserved.",
            "Broadcom, Inc. All Rights Reserved.",
        ),
        ("Upgrade restarts pods", "Upgrade restarts pods"),
        ("镜像仓库", "镜像仓库"),
        ("it's", "it's"),
        ("a#b", "a#b"),
        ("--leader-elect", "--leader-elect"),
        ("-x", "-x"),
        ("inf", "inf"),
        ("-inf", "-inf"),
        ("nan", "nan"),
        ("2001-12-14", "2001-12-14"),
        // Numbers, booleans and nulls of YAML 1.2.
        ("12", r#""12""#),
        ("2", r#""2""#),
        ("1.10", r#""1.10""#),
        ("1e3", r#""1e3""#),
        ("0x1F", r#""0x1F""#),
        (".inf", r#"".inf""#),
        ("true", r#""true""#),
        ("null", r#""null""#),
        ("Null", r#""Null""#),
        ("~", r#""~""#),
        ("", r#""""#),
        // What only YAML 1.1 (Helm's and Kubernetes' go-yaml) reads as a boolean or number.
        ("yes", r#""yes""#),
        ("on", r#""on""#),
        ("Off", r#""Off""#),
        ("y", r#""y""#),
        ("1_000", r#""1_000""#),
        ("12:30", r#""12:30""#),
        ("0b101", r#""0b101""#),
        ("017", r#""017""#),
        ("08", r#""08""#),
        ("0_0", r#""0_0""#),
        ("0O17", r#""0O17""#),
        ("-0B1", r#""-0B1""#),
        ("0X1f", r#""0X1f""#),
        // Indicators and structure.
        ("a: b", r#""a: b""#),
        ("a #b", r#""a #b""#),
        ("#x", r##""#x""##),
        ("- x", r#""- x""#),
        ("key:", r#""key:""#),
        ("*ref", r#""*ref""#),
        ("&x", r#""&x""#),
        ("!tag", r#""!tag""#),
        ("@at", r#""@at""#),
        ("%x", r#""%x""#),
        ("[x]", r#""[x]""#),
        ("{x}", r#""{x}""#),
        ("'x'", r#""'x'""#),
        (" lead", r#"" lead""#),
        ("trail ", r#""trail ""#),
        // What only escapes hold.
        ("two\nlines", r#""two\nlines""#),
        ("say \"hi\"\n", r#""say \"hi\"\n""#),
        ("tab\there", r#""tab\there""#),
        ("cr\r", r#""cr\r""#),
        ("\u{7}", r#""\x07""#),
        ("del\u{7f}", r#""del\x7F""#),
        ("a\u{2028}b", r#""a\Lb""#),
        ("\u{feff}bom", r#""\uFEFFbom""#),
    ];
    for (text, expected) in cases {
        let written = quote(text);
        assert_eq!(written, expected, "{text:?}");
        reads_back(&written, text);
    }
}

#[test]
fn double_quote_escapes_only_what_it_must() {
    let cases = [
        ("1.0.0", r#""1.0.0""#),
        ("", r#""""#),
        ("中文", r#""中文""#),
        (r#"say "hi" \ bye"#, r#""say \"hi\" \\ bye""#),
        ("\n\t\r\0\u{1b}", r#""\n\t\r\0\e""#),
        ("\u{85}\u{2028}\u{2029}", r#""\N\L\P""#),
        ("\u{8}\u{9f}", r#""\x08\x9F""#),
        ("\u{fffe}", r#""\uFFFE""#),
    ];
    for (text, expected) in cases {
        let written = double_quote(text);
        assert_eq!(written, expected, "{text:?}");
        reads_back(&written, text);
    }
}

fn render(template: &str, data: serde_json::Value) -> String {
    let mut registry = handlebars::Handlebars::new();
    registry.set_strict_mode(true);
    registry.register_escape_fn(handlebars::no_escape);
    osc_yaml::handlebars::register(&mut registry);
    registry.render_template(template, &data).unwrap()
}

#[test]
fn yaml_and_quoted_helpers_write_as_quote_and_double_quote() {
    for text in ["Database", "1.10", "on", "a: b", "", "two\nlines"] {
        let data = serde_json::json!({ "value": text });
        assert_eq!(render("{{yaml value}}", data.clone()), quote(text));
        assert_eq!(render("{{quoted value}}", data), double_quote(text));
    }
}

#[test]
fn text_helper_writes_lines_as_a_literal_block_when_it_reads_back() {
    let cases = [
        ("one line", "one line"),
        ("one line\n", r#""one line\n""#),
        ("1.10", r#""1.10""#),
        ("two\nlines", "|-\n  two\n  lines"),
        ("two\nlines\n", "|\n  two\n  lines"),
        (
            "ends with a newline\n\nafter a blank line\n",
            "|\n  ends with a newline\n\n  after a blank line",
        ),
        ("\nfirst blank", "|-\n\n  first blank"),
        ("a\n  deeper", "|-\n  a\n    deeper"),
        // A block would take these for indentation, lose them, or add to them.
        (" leading blank\nline", r#"" leading blank\nline""#),
        ("\n leading blank", r#""\n leading blank""#),
        ("trailing blank \nline", r#""trailing blank \nline""#),
        ("kept\n\n", r#""kept\n\n""#),
        ("tab\tinside\nline", r#""tab\tinside\nline""#),
        ("break\u{2028}\nline", r#""break\L\nline""#),
    ];
    for (text, expected) in cases {
        let data = serde_json::json!({ "value": text });
        let written = render("{{text value 2}}", data);
        assert_eq!(written, expected, "{text:?}");
        reads_back(&written, text);
    }
}

#[test]
fn tree_helper_dumps_values_below_the_key() {
    let cases = [
        (serde_json::json!({}), " {}"),
        (serde_json::json!([]), " []"),
        (
            serde_json::json!({"rules": [{"verbs": ["get"]}], "name": "1.10"}),
            "\n    rules:\n    - verbs:\n      - get\n    name: '1.10'",
        ),
        (
            serde_json::json!(["a", "two\nlines"]),
            "\n    - a\n    - |-\n      two\n      lines",
        ),
    ];
    for (value, expected) in cases {
        let data = serde_json::json!({ "value": value });
        let written = render("{{tree value 4}}", data);
        assert_eq!(written, expected, "{value}");
        let read: serde_json::Value = serde_norway::from_str(&format!("k:{written}\n")).unwrap();
        assert_eq!(read["k"], value);
    }
}

#[test]
fn helpers_refuse_missing_parameters() {
    let mut registry = handlebars::Handlebars::new();
    registry.set_strict_mode(true);
    osc_yaml::handlebars::register(&mut registry);
    let data = serde_json::json!({ "value": "x", "list": [1] });
    for template in [
        "{{text value}}",
        "{{tree list}}",
        "{{yaml list}}",
        "{{text list 2}}",
    ] {
        assert!(
            registry.render_template(template, &data).is_err(),
            "{template}"
        );
    }
}
