//! `can-i` and `who-can` offline, on the files: one answer per cluster with what allows or
//! refuses, names from the files, JSON, and an exit status a pipeline can branch on (can-i: 0 yes
//! everywhere, 3 no somewhere, 1 error). Whether their answers are the cluster's own is proven
//! against the sandbox's enforcement in `differential.rs`.

mod common;

use common::*;

const FILE: &str = r#"
principal "dev" "arn:aws:iam::111122223333:role/dev"
principal "auditor" "arn:aws:iam::111122223333:role/auditor"
cluster "prod" {
    region "eu-west-1"
    authentication-mode "API"
    access-entry "dev" {
        policy "AmazonEKSEditPolicy" {
            namespaces "payments"
        }
    }
    access-entry "auditor" {
        policy "AmazonEKSViewPolicy"
    }
}
cluster "legacy" {
    region "eu-west-1"
    access-entry "dev" {
        policy "AmazonEKSClusterAdminPolicy"
    }
}
"#;

const DEV: &str = "arn:aws:iam::111122223333:role/dev";

fn can_i(words: &[&str]) -> Accessctl {
    Accessctl::new().arg("can-i").args(words).args(&["--offline", "-f"]).arg(temp_file("can-i", FILE))
}

#[test]
fn yes_on_every_cluster_is_exit_0_with_the_policy_rule_that_allows_it() {
    can_i(&["create", "deployments.apps", "-n", "payments", "--as", DEV, "--cluster", "prod"])
        .stdout_has(
            "prod: yes — in by its access entry, allowed by access policy AmazonEKSEditPolicy (namespaces payments)",
        )
        .run();
}

#[test]
fn no_anywhere_is_exit_3_and_each_cluster_says_why() {
    can_i(&["get", "secrets", "-n", "kube-system", "--as", DEV])
        .status(3)
        .stdout_has("prod: no — in by its access entry as arn:aws:sts::111122223333:assumed-role/dev/{{SessionName}}, but forbidden")
        // An access entry on a CONFIG_MAP cluster lets nobody in, and can-i says so.
        .stdout_has("legacy: no — not let in: it has an access entry, but the cluster's mode is CONFIG_MAP")
        .run();
}

#[test]
fn json_has_one_answer_per_cluster() {
    let run = can_i(&["list", "pods", "-n", "payments", "--as", DEV, "--output", "json"]).status(3).run();
    let answers: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(answers.len(), 2);
    let of = |name: &str| answers.iter().find(|a| a["cluster"] == name).unwrap().clone();
    let (prod, legacy) = (of("prod"), of("legacy"));
    assert_eq!(prod["answer"], "yes");
    assert_eq!(prod["identity"], "access-entry");
    assert_eq!(legacy["answer"], "no");
    assert_eq!(legacy["outcome"], "unauthorized");
    assert_eq!(legacy["status"], 401);
}

#[test]
fn a_non_resource_url_is_asked_as_kubectl_asks_it() {
    can_i(&["get", "/healthz", "--as", DEV, "--cluster", "prod"])
        .stdout_has("prod: yes — in by its access entry, allowed by ClusterRoleBinding system:discovery")
        .run();
}

#[test]
fn resource_names_are_resolved_as_kubectl_resolves_them() {
    // `deployments` is deployments.apps, `deploy` its short name: the Edit policy allows it.
    for name in ["deployments", "deploy", "deployment"] {
        can_i(&["create", name, "-n", "payments", "--as", DEV, "--cluster", "prod"])
            .stdout_has("prod: yes — in by its access entry, allowed by access policy AmazonEKSEditPolicy")
            .run();
    }
    // Why it is refused is said of the request asked: inside the policy's namespaces its rules
    // say no (the API server's words); outside them, the scope does.
    can_i(&["escalate", "roles", "-n", "payments", "--as", DEV, "--cluster", "prod"])
        .status(3)
        .stdout_lacks("cluster-wide requests")
        .run();
    can_i(&["get", "secrets", "-n", "other", "--as", DEV, "--cluster", "prod"])
        .status(3)
        .stdout_has("its access policies are scoped to namespaces payments: requests in namespace other are Forbidden")
        .run();
    // The name the files give it.
    can_i(&["create", "deploy", "-n", "payments", "--as", "dev", "--cluster", "prod"]).stdout_has("prod: yes").run();
    // Nodes are cluster-scoped: kubectl sends no namespace, and a namespace-scoped policy does
    // not reach them, whatever -n says.
    can_i(&["get", "nodes", "-n", "payments", "--as", DEV, "--cluster", "prod"])
        .status(3)
        .stdout_has("cannot get resource \"nodes\" in API group \"\" at the cluster scope")
        .run();
}

#[test]
fn me_offline_and_a_bad_principal_are_errors() {
    can_i(&["get", "pods", "--as", "me"]).status(1).stderr_has("who `me` is is not known offline").run();
    can_i(&["get", "pods", "--as", "bob"]).status(1).stderr_has("give an IAM user or role ARN").run();
}

fn who_can(words: &[&str]) -> Accessctl {
    Accessctl::new().arg("who-can").args(words).args(&["--offline", "-f"]).arg(temp_file("who-can", FILE))
}

#[test]
fn who_can_names_each_principal_from_the_files_with_what_allows_it() {
    who_can(&["list", "pods", "-n", "payments", "--cluster", "prod"])
        .stdout_has("  arn:aws:iam::111122223333:role/dev (dev) — in by its access entry, allowed by access policy AmazonEKSEditPolicy (namespaces payments)")
        .stdout_has("  arn:aws:iam::111122223333:role/auditor (auditor) — in by its access entry, allowed by access policy AmazonEKSViewPolicy (cluster)")
        .run();
    // Only the auditor may read pods in another namespace.
    who_can(&["list", "pods", "-n", "web", "--cluster", "prod"])
        .stdout_has("role/auditor (auditor)")
        .stdout_lacks("role/dev (dev)")
        .run();
}

#[test]
fn who_can_says_nobody_and_names_the_unseen_creator_of_a_cluster_that_reads_aws_auth() {
    let run = who_can(&["delete", "namespaces"]).run();
    // Nobody on prod (API mode); on legacy (CONFIG_MAP) the entry counts for nothing, and its
    // creator — whom the files do not name — holds system:masters.
    assert!(run.stdout.contains("prod:\n  nobody\n"), "{}", run.stdout);
    assert!(run.stdout.contains("legacy:\n  and the cluster's creator"), "{}", run.stdout);
}

#[test]
fn what_the_model_does_not_hold_is_unknown_never_no() {
    let nodes = "examples/nodes-and-fargate.kdl";
    // An access policy whose rules AWS does not publish may allow it: unknown, exit 5.
    Accessctl::new()
        .args(&["can-i", "get", "pods", "--as", "arn:aws:iam::444455556666:role/batch-auto-nodes", "--offline", "-f"])
        .arg(nodes)
        .status(5)
        .stdout_has("batch: unknown — no rule accessctl knows allows it, but AmazonEKSAutoNodePolicy may")
        .run();
    // A node: Kubernetes' Node authorizer decides too.
    Accessctl::new()
        .args(&["can-i", "get", "pods", "--as", "arn:aws:iam::444455556666:role/batch-linux-nodes", "--offline", "-f"])
        .arg(nodes)
        .status(5)
        .stdout_has("this is a node identity: Kubernetes' Node authorizer")
        .run();
    // who-can names node identities apart, and is complete otherwise.
    Accessctl::new()
        .args(&["who-can", "get", "pods", "--offline", "-f"])
        .arg(nodes)
        .stdout_has("the node identities arn:aws:iam::444455556666:role/batch-auto-nodes, arn:aws:iam::444455556666:role/batch-fargate-pods")
        .stdout_lacks("incomplete")
        .run();
}

#[test]
fn a_cluster_that_cannot_be_read_is_unknown_and_the_others_are_answered() {
    let file = temp_file(
        "can-i-missing",
        &(std::fs::read_to_string("examples/quick-start.kdl").unwrap()
            + "cluster \"ghost\" {\n    region \"eu-west-1\"\n}\n"),
    );
    Accessctl::new()
        .args(&["can-i", "get", "pods", "--as", "arn:aws:iam::111122223333:user/bob", "--sandbox", "-f"])
        .arg(&file)
        .status(5)
        .stdout_has("demo: no — in by aws-auth mapUsers as bob, but forbidden")
        .stdout_has("ghost: unknown — the cluster cannot be read: cluster `ghost`: DescribeCluster failed: ResourceNotFoundException")
        .run();
    Accessctl::new()
        .args(&["who-can", "get", "pods", "--sandbox", "-f"])
        .arg(&file)
        .status(5)
        .stdout_has("arn:aws:iam::111122223333:user/sandbox-admin — in by aws-auth mapUsers")
        .stdout_has("? incomplete: the cluster cannot be read: cluster `ghost`")
        .run();
}

#[test]
fn a_request_nobody_makes_is_refused_before_it_is_answered() {
    can_i(&["GET", "pods", "--as", DEV]).status(1).stderr_has("`GET` is not a verb a request carries").run();
    can_i(&["get", "Pods", "--as", DEV]).status(1).stderr_has("`Pods` is not a resource a request names").run();
    can_i(&["get", "", "--as", DEV]).status(1).stderr_has("is not a resource a request names").run();
}

#[test]
fn a_yes_carries_no_refusal_and_a_no_carries_its_reason() {
    let run = can_i(&["get", "pods", "--as", DEV, "-n", "payments", "--cluster", "prod", "--output", "json"]).run();
    let answers: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(answers[0]["answer"], "yes");
    assert!(answers[0]["message"].is_null() && answers[0]["why"].is_null(), "{}", run.stdout);
    let run = can_i(&["get", "pods", "--as", DEV, "--cluster", "prod", "--output", "json"]).status(3).run();
    let answers: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(answers[0]["outcome"], "forbidden");
    assert!(answers[0]["why"].as_str().unwrap().contains("scoped to namespaces payments"), "{}", run.stdout);
}
