//! The guards are computed by the access model, before and after the plan, and what they need is
//! never assumed empty: each test here is a lockout that got through before.

mod common;

use common::*;

const SSO_ROLE: &str =
    "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0a1b2c";

/// `plan --detailed-exitcode` (0 no changes, 1 error, 2 changes).
fn plan(sb: &Sandbox, file: &str) -> Accessctl {
    Accessctl::new().sandbox(sb).args(&["plan", "--detailed-exitcode", "-f", file])
}

/// An unreadable aws-auth is not an empty one: the plan fails, it never says "No changes" and
/// never drops the guards that depend on aws-auth.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_kubernetes_api_fails_the_plan_instead_of_hiding_the_guards() {
    let seed = "clusters:\n  - name: c\n    authenticationMode: API_AND_CONFIG_MAP\n    awsAuth:\n      mapUsers: |\n        - userarn: arn:aws:iam::111122223333:user/carol\n          groups: [system:masters]\n";
    let sb = sandbox(seed, Faults { kube_error_rate: 1.0, ..Faults::default() }).await;
    let file =
        temp_file("unreadable", "cluster \"c\" {\n    region \"eu-west-1\"\n    authentication-mode \"API\"\n}\n");
    plan(&sb, &file).status(1).stderr_has("Kubernetes API cannot be read").stdout_lacks("No changes").run();
    Accessctl::new()
        .sandbox(&sb)
        .args(&["apply", "--auto-approve", "--allow", "one-way-mode", "-f", &file])
        .status(1)
        .run();
    let c = eks(&sb.url()).describe_cluster().name("c").send().await.unwrap();
    assert_eq!(
        c.cluster().unwrap().access_config().unwrap().authentication_mode().unwrap().as_str(),
        "API_AND_CONFIG_MAP"
    );
}

/// The applying principal is an IAM Identity Center session: its entry names the role with its
/// path, the caller does not. Downgrading that entry is its own lockout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn self_access_sees_a_caller_whose_role_has_a_path() {
    let seed = format!(
        "clusters:\n  - name: c\n    authenticationMode: API\n    accessEntries:\n      - principalArn: {SSO_ROLE}\n        policies:\n          AmazonEKSClusterAdminPolicy: []\n"
    );
    let sb = sandbox(&seed, Faults::default()).await;
    let (key, secret, token) = assume(&sb, SSO_ROLE, "alice@example.com").await;
    let file = temp_file(
        "self",
        &format!(
            "cluster \"c\" {{\n    region \"eu-west-1\"\n    access-entry \"{SSO_ROLE}\" {{\n        policy \"AmazonEKSViewPolicy\"\n    }}\n}}\n"
        ),
    );
    Accessctl::new()
        .sandbox(&sb)
        .credentials((&key, &secret, Some(&token)))
        .args(&["plan", "-f", &file])
        .stdout_has("! guard self-access")
        .run();
    let applied = Accessctl::new()
        .sandbox(&sb)
        .credentials((&key, &secret, Some(&token)))
        .args(&["apply", "--auto-approve", "-f", &file])
        .status(1)
        .run();
    assert!(applied.stderr.contains("--allow self-access"), "{}", applied.stderr);
}

/// An access entry with no policy does not replace a `system:masters` mapping.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_that_grants_nothing_does_not_replace_a_masters_mapping() {
    let seed = "clusters:\n  - name: c\n    authenticationMode: API_AND_CONFIG_MAP\n    awsAuth:\n      mapUsers: |\n        - userarn: arn:aws:iam::111122223333:user/carol\n          username: carol\n          groups: [system:masters]\n";
    let sb = sandbox(seed, updates_take(0)).await;
    let file = temp_file(
        "empty-entry",
        "cluster \"c\" {\n    region \"eu-west-1\"\n    authentication-mode \"API\"\n    access-entry \"arn:aws:iam::111122223333:user/carol\"\n}\n",
    );
    plan(&sb, &file)
        .status(2)
        .stdout_has("! guard api-lockout")
        .stdout_has("arn:aws:iam::111122223333:user/carol")
        .run();
    // With a policy that lets carol act, the same move is not a lockout.
    let file = temp_file(
        "admin-entry",
        "cluster \"c\" {\n    region \"eu-west-1\"\n    authentication-mode \"API\"\n    access-entry \"arn:aws:iam::111122223333:user/carol\" {\n        policy \"AmazonEKSClusterAdminPolicy\"\n    }\n}\n",
    );
    plan(&sb, &file).status(2).stdout_lacks("guard api-lockout").run();
}

/// A node role whose EC2_LINUX entry becomes STANDARD loses `system:nodes`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_entry_replaced_by_a_standard_one_is_a_node_lockout() {
    let seed = "clusters:\n  - name: c\n    authenticationMode: API\n    accessEntries:\n      - principalArn: arn:aws:iam::111122223333:role/nodes\n        type: EC2_LINUX\n";
    let sb = sandbox(seed, Faults::default()).await;
    let file = temp_file(
        "node",
        "cluster \"c\" {\n    region \"eu-west-1\"\n    access-entry \"arn:aws:iam::111122223333:role/nodes\" {\n        policy \"AmazonEKSViewPolicy\"\n    }\n}\n",
    );
    plan(&sb, &file)
        .status(2)
        .stdout_has("! guard node-access")
        .stdout_has("arn:aws:iam::111122223333:role/nodes")
        .run();
}

/// An ownership annotation accessctl cannot read is not "accessctl manages nothing": the plan
/// fails instead of planning prunes and guards against the wrong owner.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_ownership_annotation_fails_the_plan() {
    let seed = "clusters:\n  - name: c\n    authenticationMode: API_AND_CONFIG_MAP\n    awsAuth:\n      mapUsers: |\n        - userarn: arn:aws:iam::111122223333:user/carol\n          groups: [viewers]\n";
    let sb = sandbox(seed, Faults::default()).await;
    sb.with_world(|w| {
        let cm = w.clusters.get_mut("c").unwrap().objects.get_mut("configmaps/kube-system/aws-auth").unwrap();
        cm["metadata"]["annotations"] = serde_json::json!({"accessctl.io/managed-mappings": "[\"user:arn:aws:iam::1"});
    });
    let file = temp_file(
        "annotation",
        "cluster \"c\" {\n    region \"eu-west-1\"\n    prune #true\n    aws-auth {\n        map-user \"arn:aws:iam::111122223333:user/dave\" {\n            groups \"viewers\"\n        }\n    }\n}\n",
    );
    plan(&sb, &file).status(1).stderr_has("accessctl.io/managed-mappings").run();
}

/// A saved plan is bound to the files and the live state it came from, and its guards are the
/// ones computed at apply: a plan file with its guards emptied, or made from other files, is not
/// applied. The file is the owner's alone and holds no external id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_plan_is_checked_against_the_files_and_its_guards_recomputed() {
    // accessctl works through a role that created the cluster (so it has the creator's access).
    let seed = "clusters:\n  - name: c\n    authenticationMode: API_AND_CONFIG_MAP\n    creator: arn:aws:iam::111122223333:role/accessctl\n";
    let sb = sandbox(seed, updates_take(0)).await;
    let file = temp_file(
        "saved",
        "cluster \"c\" {\n    region \"eu-west-1\"\n    assume-role \"arn:aws:iam::111122223333:role/accessctl\" external-id=\"s3cr3t-id\"\n    authentication-mode \"API\"\n}\n",
    );
    let saved = format!("{file}.plan.json");
    Accessctl::new().sandbox(&sb).args(&["plan", "-f", &file, "--out", &saved]).run();
    let text = std::fs::read_to_string(&saved).unwrap();
    assert!(!text.contains("s3cr3t-id"), "the external id stays out of the plan");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&saved).unwrap().permissions().mode() & 0o777, 0o600);
    }
    // Guards emptied by hand: they are recomputed, so the one-way step still needs --allow.
    let mut plan: serde_json::Value = serde_json::from_str(&text).unwrap();
    plan["clusters"][0]["guards"] = serde_json::json!([]);
    std::fs::write(&saved, serde_json::to_vec(&plan).unwrap()).unwrap();
    let applied = Accessctl::new().sandbox(&sb).args(&["apply", &saved, "--auto-approve", "-f", &file]).status(1).run();
    assert!(applied.stderr.contains("--allow one-way-mode"), "{}", applied.stderr);
    // Made from other files: refused.
    let other = temp_file(
        "other",
        "cluster \"c\" {\n    region \"eu-west-1\"\n    assume-role \"arn:aws:iam::111122223333:role/accessctl\"\n}\n",
    );
    let applied = Accessctl::new()
        .sandbox(&sb)
        .args(&["apply", &saved, "--auto-approve", "--allow", "one-way-mode", "-f", &other])
        .status(1)
        .run();
    assert!(applied.stderr.contains("is not what"), "{}", applied.stderr);
    let c = eks(&sb.url()).describe_cluster().name("c").send().await.unwrap();
    assert_eq!(
        c.cluster().unwrap().access_config().unwrap().authentication_mode().unwrap().as_str(),
        "API_AND_CONFIG_MAP"
    );
    // A missing plan file is named.
    Accessctl::new()
        .sandbox(&sb)
        .args(&["apply", "/nonexistent/plan.json", "-f", &file])
        .status(1)
        .stdout("")
        .stderr_has("/nonexistent/plan.json")
        .run();
}

/// The lockout analysis is done again from fresh reads right before the one-way step to API: a
/// mapping added after the plan was reviewed (here while the apply runs) stops the step, and what
/// the plan did show still applies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mapping_added_after_the_plan_stops_the_step_to_api() {
    use std::sync::atomic::AtomicBool;

    use accessctl::apply::{ApplyError, ApplyOptions, apply_cluster};
    use accessctl::live::aws::Endpoints;
    use accessctl::live::read::read_cluster;
    use accessctl::model::AuthMode;
    use accessctl::plan::ChangeId;
    use accessctl::plan::diff::diff;

    let seed = "clusters:\n  - name: c\n    authenticationMode: API_AND_CONFIG_MAP\n    awsAuth:\n      mapUsers: |\n        - userarn: arn:aws:iam::111122223333:user/sandbox-admin\n          groups: [system:masters]\n";
    let sb = sandbox(seed, updates_take(0)).await;
    let text = "cluster \"c\" {\n    region \"eu-west-1\"\n    authentication-mode \"API\"\n    access-entry \"arn:aws:iam::111122223333:user/carol\" {\n        policy \"AmazonEKSViewPolicy\"\n    }\n}\n";
    let desired = accessctl::config::load(&[accessctl::config::SourceFile::new("t.kdl", text)])
        .config
        .unwrap()
        .clusters
        .remove(0);
    let (live, conn) = read_cluster(&desired, &Endpoints::sandbox(sb.url())).await.unwrap();
    let plan = diff(&desired, &live);
    assert!(plan.guards.iter().all(|g| !g.principals.iter().any(|p| p.principal.contains("dave"))));
    // Someone maps dave as an administrator after the plan was reviewed.
    sb.with_world(|w| {
        let mut c = w.clusters.remove("c").unwrap();
        let users = "- userarn: arn:aws:iam::111122223333:user/sandbox-admin\n  groups: [system:masters]\n- userarn: arn:aws:iam::111122223333:user/dave\n  groups: [system:masters]\n";
        w.put_config_map(&mut c, "kube-system", "aws-auth", &[("mapUsers".to_string(), users.to_string())].into(), 0);
        w.clusters.insert("c".into(), c);
    });
    let report =
        apply_cluster(&desired, &plan, &conn, &ApplyOptions::default(), &AtomicBool::new(false), &|_| {}).await;
    let (id, why) = report.failed.first().expect("the step to API is not taken");
    assert!(matches!(id, Some(ChangeId::AuthMode { to: AuthMode::Api })), "{report:?}");
    assert!(matches!(why, ApplyError::NewLockout(_)), "{why}");
    assert!(why.to_string().contains("arn:aws:iam::111122223333:user/dave"), "{why}");
    assert!(
        report.done.iter().any(|d| d.to_string().contains("user/carol")),
        "the rest of the plan applies: {report:?}"
    );
    let c = eks(&sb.url()).describe_cluster().name("c").send().await.unwrap();
    assert_eq!(
        c.cluster().unwrap().access_config().unwrap().authentication_mode().unwrap().as_str(),
        "API_AND_CONFIG_MAP"
    );
}

/// Ctrl-C while a mode update runs stops waiting at once (EKS goes on with the update), instead
/// of holding the terminal for up to `--update-timeout`.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_while_waiting_for_a_mode_update_stops_at_once() {
    let sb = sandbox("clusters:\n  - name: c\n    authenticationMode: CONFIG_MAP\n", updates_take(120_000)).await;
    let file = temp_file(
        "ctrl-c",
        "cluster \"c\" {\n    region \"eu-west-1\"\n    authentication-mode \"API_AND_CONFIG_MAP\"\n}\n",
    );
    let child = Accessctl::new()
        .sandbox(&sb)
        .args(&["apply", "--auto-approve", "--allow", "one-way-mode", "-f", &file])
        .spawn();
    // Wait until it is waiting on the update (it has asked DescribeUpdate), bounded.
    let started = std::time::Instant::now();
    while sb.counters().calls.get("DescribeUpdate").copied().unwrap_or(0) == 0 {
        assert!(started.elapsed() < std::time::Duration::from_secs(60), "apply never started waiting");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let signalled = std::time::Instant::now();
    let kill = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap()).await.unwrap();
    let waited = signalled.elapsed();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("interrupted while waiting"), "{text}");
    assert!(waited < std::time::Duration::from_secs(10), "stopped after {waited:?}, not at once");
}

/// An access entry that takes over a `system:masters` mapping in API_AND_CONFIG_MAP (entries win)
/// with less than the mapping gave is a guarded access loss, not a silent downgrade.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_that_takes_over_a_mapping_with_less_is_guarded() {
    let seed = "clusters:\n  - name: c\n    authenticationMode: API_AND_CONFIG_MAP\n    awsAuth:\n      mapUsers: |\n        - userarn: arn:aws:iam::111122223333:user/bob\n          username: bob\n          groups: [system:masters]\n";
    let sb = sandbox(seed, Faults::default()).await;
    let file = temp_file(
        "takeover",
        "cluster \"c\" {\n    region \"eu-west-1\"\n    access-entry \"arn:aws:iam::111122223333:user/bob\" {\n        groups \"readers\"\n    }\n}\n",
    );
    plan(&sb, &file).status(2).stdout_has("! guard access-loss").stdout_has("arn:aws:iam::111122223333:user/bob").run();
    let applied = Accessctl::new().sandbox(&sb).args(&["apply", "--auto-approve", "-f", &file]).status(1).run();
    assert!(applied.stderr.contains("--allow access-loss"), "{}", applied.stderr);
}

/// One IAM principal has one access entry however its ARN is spelled: a case variant plans an
/// update of the entry EKS holds (never a second entry), and EKS refuses a second one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_arn_spelled_differently_is_the_same_entry() {
    let seed = "clusters:\n  - name: c\n    authenticationMode: API\n    accessEntries:\n      - principalArn: arn:aws:iam::111122223333:user/carol\n        policies:\n          AmazonEKSViewPolicy: []\n";
    let sb = sandbox(seed, Faults::default()).await;
    let file = temp_file(
        "case",
        "cluster \"c\" {\n    region \"eu-west-1\"\n    access-entry \"arn:aws:iam::111122223333:user/Carol\" {\n        policy \"AmazonEKSViewPolicy\"\n    }\n}\n",
    );
    // The same entry: nothing to change.
    plan(&sb, &file).run();
    let second = eks(&sb.url())
        .create_access_entry()
        .cluster_name("c")
        .principal_arn("arn:aws:iam::111122223333:user/CAROL")
        .send()
        .await
        .unwrap_err();
    assert_eq!(aws_sdk_eks::error::ProvideErrorMetadata::code(&second), Some("ResourceInUseException"));
}

/// `explain me` as a role session is about that session (its name, its role's pathed entry), and
/// an IAM role ARN stands for any session of the role; as a CONFIG_MAP cluster's creator, `me`
/// gets in as what it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_speaks_of_the_session_the_role_and_the_creator() {
    let seed = "roles: [arn:aws:iam::111122223333:role/teams/deployer]\nclusters:\n  - name: c\n    authenticationMode: API\n    accessEntries:\n      - principalArn: arn:aws:iam::111122223333:role/teams/deployer\n        username: \"deploy:{{SessionName}}\"\n        policies:\n          AmazonEKSClusterAdminPolicy: []\n  - name: old\n    authenticationMode: CONFIG_MAP\n";
    let sb = sandbox(seed, Faults::default()).await;
    let (key, secret, token) = assume(&sb, "arn:aws:iam::111122223333:role/teams/deployer", "ci").await;
    let file = temp_file(
        "me",
        "cluster \"c\" {\n    region \"eu-west-1\"\n}\ncluster \"old\" {\n    region \"eu-west-1\"\n}\n",
    );
    let json = |run: &Run| -> serde_json::Value {
        serde_json::from_str(&run.stdout).unwrap_or_else(|_| panic!("{}\n{}", run.stdout, run.stderr))
    };
    let me = Accessctl::new()
        .sandbox(&sb)
        .credentials((&key, &secret, Some(&token)))
        .args(&["explain", "me", "--cluster", "c", "-f", &file, "--output", "json"])
        .run();
    assert_eq!(json(&me)["now"]["username"], "deploy:ci");
    let role = Accessctl::new()
        .sandbox(&sb)
        .args(&[
            "explain",
            "arn:aws:iam::111122223333:role/deployer",
            "--cluster",
            "c",
            "-f",
            &file,
            "--output",
            "json",
        ])
        .run();
    assert_eq!(json(&role)["now"]["source"], "access-entry");
    assert_eq!(json(&role)["now"]["unresolved"][0], "{{SessionName}}");
    let creator = Accessctl::new()
        .sandbox(&sb)
        .args(&["explain", "me", "--cluster", "old", "-f", &file, "--output", "json"])
        .run();
    assert_eq!(json(&creator)["now"]["source"], "cluster-creator");
}

/// A node mapping whose username stops being `system:node:…` loses the Node authorizer's
/// permissions though it keeps `system:nodes`: a node lockout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_mapping_that_loses_its_node_username_is_a_node_lockout() {
    let seed = "clusters:\n  - name: c\n    authenticationMode: CONFIG_MAP\n    awsAuth:\n      mapRoles: |\n        - rolearn: arn:aws:iam::111122223333:role/nodes\n          username: system:node:{{EC2PrivateDNSName}}\n          groups: [system:bootstrappers, system:nodes]\n";
    let sb = sandbox(seed, Faults::default()).await;
    let file = temp_file(
        "node-username",
        "cluster \"c\" {\n    region \"eu-west-1\"\n    aws-auth {\n        map-role \"arn:aws:iam::111122223333:role/nodes\" username=\"node-{{SessionName}}\" {\n            groups \"system:bootstrappers\" \"system:nodes\"\n        }\n    }\n}\n",
    );
    plan(&sb, &file).status(2).stdout_has("! guard node-access").run();
}
