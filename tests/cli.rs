//! The command line's own edges: completion scripts generated from the real command definitions
//! (and valid for their shell), and `--no-color` accepted anywhere on the line.

mod common;

use std::process::Command;

use common::Run;

fn accessctl(args: &[&str]) -> Run {
    Run::from(Command::new(env!("CARGO_BIN_EXE_accessctl")).args(args).output().expect("accessctl runs"))
}

#[test]
fn bash_completion_is_valid_bash_and_knows_every_command_and_flag() {
    let run = accessctl(&["completions", "bash"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for word in ["plan", "apply", "explain", "import", "migrate", "sandbox", "--timeout", "--allow", "--no-color"] {
        assert!(run.stdout.contains(word), "{word} missing from the bash completion");
    }
    let path = std::env::temp_dir().join(format!("accessctl-completion-{}.bash", std::process::id()));
    std::fs::write(&path, &run.stdout).unwrap();
    let checked = Command::new("bash").arg("-n").arg(&path).output().expect("bash runs");
    assert!(checked.status.success(), "bash -n: {}", String::from_utf8_lossy(&checked.stderr));
}

#[test]
fn every_shell_gets_a_script_and_an_unknown_one_is_refused() {
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let run = accessctl(&["completions", shell]);
        assert_eq!(run.code, 0, "{shell}: {}", run.stderr);
        assert!(run.stdout.contains("accessctl"), "{shell}");
    }
    let run = accessctl(&["completions", "tcsh"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("invalid value 'tcsh'"), "{}", run.stderr);
}

#[test]
fn no_color_is_accepted_before_and_after_the_command() {
    let file = common::temp_file("no-color", "cluster \"c\" {\n    region \"nowhere\"\n}\n");
    for args in [vec!["--no-color", "validate", &file], vec!["validate", &file, "--no-color"]] {
        let run = accessctl(&args);
        assert_eq!(run.code, 1, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("is not an AWS region"), "{}", run.stderr);
        assert!(!run.stderr.contains('\u{1b}'), "no escape sequences: {}", run.stderr);
    }
}
