//! `CsvEditor::add_maintainer`, as `helm osc package --maintainer "NAME <EMAIL>"` uses it, on CSVs
//! whose `spec.maintainers` is written in each way providers write it: the snapshot is the diff,
//! and the CSV loaded again from the edited file has the maintainer last.

use osc_csv::{CsvEditor, load};

const CASES: &[(&str, &str)] = &[
    (
        "no_maintainers_key",
        "apiVersion: operators.coreos.com/v1alpha1\nkind: ClusterServiceVersion\nmetadata:\n  name: ledger.v1.4.0 # 账本\nspec:\n  version: 1.4.0\n  provider:\n    name: Ledger Co\n  installModes:\n    - {type: AllNamespaces, supported: true}\n",
    ),
    (
        "null_list",
        "apiVersion: operators.coreos.com/v1alpha1\nkind: ClusterServiceVersion\nmetadata:\n  name: ledger.v1.4.0\nspec:\n  maintainers:\n  version: 1.4.0\n",
    ),
    (
        "flow_empty_list",
        "apiVersion: operators.coreos.com/v1alpha1\nkind: ClusterServiceVersion\nmetadata:\n  name: ledger.v1.4.0\nspec:\n  maintainers: []\n  version: 1.4.0\n",
    ),
    (
        "crlf_and_comments",
        "# Ledger operator\r\napiVersion: operators.coreos.com/v1alpha1\r\nkind: ClusterServiceVersion\r\nmetadata:\r\n  name: ledger.v1.4.0\r\nspec:\r\n  # who answers\r\n  maintainers:\r\n  - name: Ann # no email\r\n  version: 1.4.0\r\n",
    ),
    (
        "same_name_without_email",
        "apiVersion: operators.coreos.com/v1alpha1\nkind: ClusterServiceVersion\nmetadata:\n  name: ledger.v1.4.0\nspec:\n  maintainers:\n  - {name: Ann, email: ann@example.org}\n  - name: \"Ledger Team\"   # lead\n  version: 1.4.0\n",
    ),
    (
        "second_document_indent4",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n    name: settings\n---\napiVersion: operators.coreos.com/v1alpha1\nkind: ClusterServiceVersion\nmetadata:\n    name: ledger.v1.4.0\nspec:\n    version: 1.4.0\n    maintainers:\n        -   name: 'Ann'\n            url: https://ann.example.org\n---\napiVersion: v1\nkind: Secret\nmetadata:\n    name: token\n",
    ),
];

#[test]
fn maintainer_added_byte_exactly() {
    for (name, text) in CASES {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ledger.clusterserviceversion.yaml");
        std::fs::write(&file, text).unwrap();
        let bundle = load(dir.path()).unwrap();
        let mut editor = CsvEditor::new(&bundle);
        editor
            .add_maintainer("Ledger Team", "ledger@example.org")
            .unwrap();
        let edited = editor.text().to_owned();
        // Again: a maintainer already there is not added twice.
        editor
            .add_maintainer("Ledger Team", "ledger@example.org")
            .unwrap();
        assert_eq!(editor.text(), edited, "{name}");
        if text.contains("\r\n") {
            assert!(
                !edited.replace("\r\n", "").contains('\n'),
                "{name}: bare LF"
            );
        }
        std::fs::write(&file, &edited).unwrap();
        let reloaded = load(dir.path()).unwrap();
        let last = reloaded.csv.maintainers.last().unwrap();
        assert_eq!(
            (last.name.as_deref(), last.email.as_deref()),
            (Some("Ledger Team"), Some("ledger@example.org")),
            "{name}"
        );
        let diff = similar::TextDiff::from_lines(*text, edited.as_str())
            .unified_diff()
            .context_radius(1)
            .to_string();
        insta::assert_snapshot!(*name, diff.replace('\r', "␍"));
    }
}
