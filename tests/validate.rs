//! `accessctl validate` as people run it: the real binary on the examples (all valid) and on a
//! corpus of bad files (`tests/bad/`), whose rendered diagnostics are snapshots, so a change in
//! what users read is a reviewed change.

mod common;

use std::path::Path;

use common::Accessctl;

#[test]
fn every_example_is_valid_together_and_alone() {
    // Examples must not warn.
    Accessctl::new().args(&["validate", "examples/"]).stdout_has("10 cluster(s)").stderr("").run();

    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let rel = format!("examples/{}", path.file_name().unwrap().to_string_lossy());
        Accessctl::new().args(&["validate", &rel]).stderr("").run();
    }
}

#[test]
fn examples_are_in_canonical_layout() {
    Accessctl::new().args(&["fmt", "--check", "examples/"]).run();
}

fn bad(case: &str) {
    let run = Accessctl::new().args(&["validate", &format!("tests/bad/{case}")]).status(1).stdout("").run();
    insta::assert_snapshot!(case.trim_end_matches(".kdl"), run.stderr);
}

#[test]
fn kdl_syntax_errors_name_the_file() {
    bad("syntax.kdl");
}

#[test]
fn structure_unknown_nodes_types_and_missing_values() {
    bad("structure.kdl");
}

#[test]
fn principal_arns() {
    bad("arns.kdl");
}

#[test]
fn role_paths_and_kinds_in_aws_auth() {
    bad("aws-auth-paths.kdl");
}

#[test]
fn access_entry_rules() {
    bad("entry-rules.kdl");
}

#[test]
fn policies_scopes_and_tags() {
    bad("policies.kdl");
}

#[test]
fn modes_bindings_and_cluster_settings() {
    bad("modes.kdl");
}

#[test]
fn duplicates_across_files_show_both_places() {
    bad("split");
}

#[test]
fn a_missing_file_is_an_error_not_a_panic() {
    Accessctl::new()
        .args(&["validate", "tests/bad/does-not-exist.kdl"])
        .status(1)
        .stderr_has("does-not-exist.kdl")
        .stderr_lacks("panicked")
        .run();
}

#[test]
fn fmt_check_reports_files_out_of_layout() {
    let dir = common::scratch("fmt");
    let file = dir.join("a.kdl");
    std::fs::write(&file, "cluster a {region \"eu-west-1\"}").unwrap();
    let path = file.to_str().unwrap();
    Accessctl::new().args(&["fmt", "--check", path]).status(2).run();
    Accessctl::new().args(&["fmt", path]).run();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "cluster \"a\" {\n    region \"eu-west-1\"\n}\n");
    Accessctl::new().args(&["fmt", "--check", path]).run();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_readme_example_is_valid() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("```kdl\n").expect("the README shows the language") + "```kdl\n".len();
    let end = start + readme[start..].find("```").unwrap();
    let files = [accessctl::config::SourceFile::new("README.md", &readme[start..end])];
    let loaded = accessctl::config::load(&files);
    let rendered: Vec<String> =
        loaded.diagnostics.iter().map(|d| accessctl::render::diagnostic(d, accessctl::render::Style::Plain)).collect();
    assert!(loaded.diagnostics.is_empty(), "{}", rendered.join("\n"));
}

#[test]
fn roles_owners_and_their_rules() {
    bad("roles.kdl");
}
