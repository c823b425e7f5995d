//! `accessctl validate` as people run it: the real binary on the examples (all valid) and on a
//! corpus of bad files (`tests/bad/`), whose rendered diagnostics are snapshots, so a change in
//! what users read is a reviewed change.

mod common;

use std::path::Path;
use std::process::Command;

use common::Run;

fn accessctl(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_accessctl"))
        .args(args)
        .env("NO_COLOR", "1")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("accessctl runs");
    Run::from(out)
}

#[test]
fn every_example_is_valid_together_and_alone() {
    let all = accessctl(&["validate", "examples/"]);
    assert_eq!(all.code, 0, "{}", all.stderr);
    assert!(all.stderr.is_empty(), "examples must not warn:\n{}", all.stderr);
    assert!(all.stdout.contains("10 cluster(s)"), "{}", all.stdout);

    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let rel = format!("examples/{}", path.file_name().unwrap().to_string_lossy());
        let run = accessctl(&["validate", &rel]);
        assert_eq!(run.code, 0, "{rel}:\n{}", run.stderr);
    }
}

#[test]
fn examples_are_in_canonical_layout() {
    let run = accessctl(&["fmt", "--check", "examples/"]);
    assert_eq!(run.code, 0, "run `accessctl fmt examples/`:\n{}", run.stdout);
}

fn bad(case: &str) {
    let run = accessctl(&["validate", &format!("tests/bad/{case}")]);
    assert_eq!(run.code, 1, "a bad file must fail validation:\n{}", run.stderr);
    assert!(run.stdout.is_empty());
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
    let run = accessctl(&["validate", "tests/bad/does-not-exist.kdl"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("does-not-exist.kdl"), "{}", run.stderr);
}

#[test]
fn fmt_check_reports_files_out_of_layout() {
    let dir = std::env::temp_dir().join(format!("accessctl-fmt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("a.kdl");
    std::fs::write(&file, "cluster a {region \"eu-west-1\"}").unwrap();
    let path = file.to_str().unwrap();
    assert_eq!(accessctl(&["fmt", "--check", path]).code, 2);
    assert_eq!(accessctl(&["fmt", path]).code, 0);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "cluster \"a\" {\n    region \"eu-west-1\"\n}\n");
    assert_eq!(accessctl(&["fmt", "--check", path]).code, 0);
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
