//! The command line's own edges: completion scripts generated from the real command definitions
//! (and valid for their shell), and `--no-color` accepted anywhere on the line.

mod common;

use std::process::Command;

use common::Accessctl;

#[test]
fn bash_completion_is_valid_bash_and_knows_every_command_and_flag() {
    let mut completion = Accessctl::new().args(&["completions", "bash"]);
    for word in ["plan", "apply", "explain", "import", "migrate", "sandbox", "--timeout", "--allow", "--no-color"] {
        completion = completion.stdout_has(word);
    }
    let run = completion.run();
    let path = std::env::temp_dir().join(format!("accessctl-completion-{}.bash", std::process::id()));
    std::fs::write(&path, &run.stdout).unwrap();
    let checked = Command::new("bash").arg("-n").arg(&path).output().expect("bash runs");
    assert!(checked.status.success(), "bash -n: {}", String::from_utf8_lossy(&checked.stderr));
}

#[test]
fn every_shell_gets_a_script_and_an_unknown_one_is_refused() {
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        Accessctl::new().args(&["completions", shell]).stdout_has("accessctl").stderr("").run();
    }
    Accessctl::new().args(&["completions", "tcsh"]).status(2).stdout("").stderr_has("invalid value 'tcsh'").run();
}

#[test]
fn no_color_is_accepted_before_and_after_the_command() {
    let file = common::temp_file("no-color", "cluster \"c\" {\n    region \"nowhere\"\n}\n");
    for args in [vec!["--no-color", "validate", &file], vec!["validate", &file, "--no-color"]] {
        // NO_COLOR is the builder's default: without it, only the flag keeps colour out.
        Accessctl::new()
            .args(&args)
            .env_remove("NO_COLOR")
            .status(1)
            .stderr_has("is not an AWS region")
            .stderr_lacks("\u{1b}")
            .run();
    }
}

#[test]
fn a_reader_that_stops_early_ends_the_run_quietly() {
    // `accessctl … | head`: the pipe closes before accessctl writes. A Unix tool ends there, as
    // by SIGPIPE; it never panics.
    let mut child = Command::new(env!("CARGO_BIN_EXE_accessctl"))
        .args(["completions", "bash"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("accessctl runs");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("accessctl ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert!(out.status.success() || out.status.signal() == Some(libc::SIGPIPE), "{:?}: {stderr}", out.status);
    }
}
