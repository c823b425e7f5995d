//! The serial baselines the benches set accessctl against: the script a person would write with
//! boto3, and the `aws` CLI, one call after another on the sandbox's endpoint.

use std::process::{Command, Output};

/// Runs a boto3 script (argv: endpoint, sample size) that prints its seconds per entry; `None`
/// when python3 with boto3 is not installed.
pub fn boto3_per_entry(script: &str, endpoint: &str, sample: u32) -> Option<f64> {
    let output = Command::new("python3").args(["-c", script, endpoint, &sample.to_string()]).output().ok()?;
    if !output.status.success() {
        return None;
    }
    String::from_utf8(output.stdout).ok()?.trim().parse().ok()
}

/// The `aws` CLI, pointed at the sandbox with its dummy credentials.
pub struct AwsCli {
    endpoint: String,
}

impl AwsCli {
    /// `None` when `aws` is not installed.
    pub fn find(endpoint: &str) -> Option<AwsCli> {
        Command::new("aws").arg("--version").output().ok()?;
        Some(AwsCli { endpoint: endpoint.to_string() })
    }

    /// One command, which must succeed.
    pub fn run(&self, args: &[&str]) -> Output {
        let output = Command::new("aws")
            .args(args)
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_DEFAULT_REGION", "eu-west-1")
            .env("AWS_ACCESS_KEY_ID", "sandbox")
            .env("AWS_SECRET_ACCESS_KEY", "sandbox")
            .output()
            .expect("aws runs");
        assert!(output.status.success(), "aws {args:?}: {}", String::from_utf8_lossy(&output.stderr));
        output
    }
}

/// One baseline's line: its time per entry over the sample, extrapolated to `entries`, against
/// accessctl's time for all of them.
pub fn report(tool: &str, per_entry: Option<f64>, sample: u32, entries: usize, accessctl: f64) {
    match per_entry {
        Some(per_entry) => println!(
            "{tool}, serial, 20 ms latency: {:.1} ms per entry over {sample} entries → ≈ {:.0} s for {entries} \
             (extrapolated): accessctl {:.0}× faster",
            per_entry * 1e3,
            per_entry * entries as f64,
            per_entry * entries as f64 / accessctl
        ),
        None => println!("{tool} baseline: not run (not installed)"),
    }
}
