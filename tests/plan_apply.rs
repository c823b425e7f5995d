//! plan and apply end to end: the real binary against an in-process sandbox (EKS, STS and
//! Kubernetes over TLS), as a pipeline would run them. Every example converges (apply then plan
//! = no changes); the seed scenarios run; guards stop what they should.

mod common;

use std::path::Path;

use accessctl::config::{self, source};
use common::*;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::Api;

/// accessctl `args` against the sandbox.
fn accessctl(sandbox: &Sandbox, args: &[&str]) -> Accessctl {
    Accessctl::new().sandbox(sandbox).args(args)
}

const ALL_GUARDS: &[&str] = &[
    "--allow",
    "one-way-mode",
    "--allow",
    "api-lockout",
    "--allow",
    "self-access",
    "--allow",
    "node-access",
    "--allow",
    "access-loss",
];

fn apply(sandbox: &Sandbox, files: &[&str], extra: &[&str]) -> Accessctl {
    let mut args = vec!["apply", "--auto-approve"];
    for f in files {
        args.extend(["-f", f]);
    }
    args.extend(extra);
    accessctl(sandbox, &args)
}

fn plan(sandbox: &Sandbox, files: &[&str]) -> Accessctl {
    let mut args = vec!["plan", "--detailed-exitcode"];
    for f in files {
        args.extend(["-f", f]);
    }
    accessctl(sandbox, &args)
}

/// The role IAM Identity Center makes for permission set `set` in `account` (its home region is
/// eu-west-1 here): a suffix of its own in every account.
fn sso_role(account: &str, set: &str) -> String {
    let suffix = format!("{:016x}", fastrand::Rng::with_seed(account.parse().unwrap()).u64(..));
    format!("arn:aws:iam::{account}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_{set}_{suffix}")
}

/// A seed with every cluster of a configuration, CONFIG_MAP, in its region and account.
fn seed_for(files: &[&str]) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let paths: Vec<_> = files.iter().map(|f| root.join(f)).collect();
    let files = source::read_files(&source::expand_paths(&paths).unwrap()).unwrap();
    let config = config::load(&files).config.expect("the example is valid");
    let mut seed = String::from("clusters:\n");
    for c in &config.clusters {
        let mut namespaces: Vec<String> = c
            .group_bindings
            .iter()
            .filter_map(|b| match &b.target {
                accessctl::model::BindingTarget::ClusterRole { .. } => None,
                accessctl::model::BindingTarget::ClusterRoleInNamespace { namespace, .. }
                | accessctl::model::BindingTarget::Role { namespace, .. } => Some(format!("\"{namespace}\"")),
            })
            .collect();
        namespaces.sort();
        namespaces.dedup();
        seed.push_str(&format!(
            "  - name: {}\n    region: {}\n    account: \"{}\"\n    authenticationMode: CONFIG_MAP\n    namespaces: [{}]\n",
            c.name,
            c.region,
            c.account.clone().unwrap_or_else(|| "111122223333".into()),
            namespaces.join(", ")
        ));
        // A cluster managed through a role was created through it: that role holds the creator's
        // admin access (without it, accessctl could not read the cluster's Kubernetes API).
        if let Some(role) = &c.assume_role {
            seed.push_str(&format!("    creator: {}\n", role.role_arn));
        }
    }
    // IAM has every principal the files name, and each permission set's role in each account
    // (a suffix of its own per account, as IAM Identity Center makes them).
    let mut roles = std::collections::BTreeSet::new();
    let mut users = std::collections::BTreeSet::new();
    for c in &config.clusters {
        let placeholders: Vec<_> = c.permission_sets.values().map(|p| p.name.clone()).collect();
        let named = c
            .access_entries
            .iter()
            .map(|e| &e.principal)
            .chain(&c.protected)
            .chain(c.aws_auth.roles.iter().map(|m| &m.rolearn))
            .chain(c.aws_auth.users.iter().map(|m| &m.userarn));
        for p in named.filter(|p| !placeholders.contains(&p.name)) {
            match p.kind {
                accessctl::model::PrincipalKind::Role => roles.insert(p.to_string()),
                accessctl::model::PrincipalKind::User => users.insert(p.to_string()),
            };
        }
        for (set, placeholder) in &c.permission_sets {
            roles.insert(sso_role(&placeholder.account, set));
        }
    }
    let list = |items: &std::collections::BTreeSet<String>| -> String {
        items.iter().map(|i| format!("\"{i}\"")).collect::<Vec<_>>().join(", ")
    };
    seed.push_str(&format!("roles: [{}]\niamUsers: [{}]\n", list(&roles), list(&users)));
    seed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_example_converges_apply_then_plan_is_empty_and_apply_is_idempotent() {
    let examples = [
        "examples/quick-start.kdl",
        "examples/console-access.kdl",
        "examples/console-restricted-access.kdl",
        "examples/sso-admin.kdl",
        "examples/namespaced-developers.kdl",
        "examples/nodes-and-fargate.kdl",
        "examples/config-map-to-api.kdl",
        "examples/multi-account",
    ];
    for example in examples {
        let sb = sandbox(&seed_for(&[example]), updates_take(50)).await;
        apply(&sb, &[example], ALL_GUARDS).run();
        let after = plan(&sb, &[example]).run();
        assert!(after.stdout.contains("No changes."), "{example}:\n{}", after.stdout);
        let again = apply(&sb, &[example], &[]).run();
        assert!(!again.stdout.contains('✓'), "{example}: the second apply changed something\n{}", again.stdout);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quick_start_moves_the_2022_cluster_to_access_entries_keeping_aws_auth() {
    let sb = sandbox(accessctl_sandbox::seed::DEFAULT_SEED, updates_take(100)).await;
    let planned = plan(&sb, &["examples/quick-start.kdl"]).status(2).run();
    insta::assert_snapshot!("quick_start_plan", planned.stdout);

    let refused = apply(&sb, &["examples/quick-start.kdl"], &[]).status(1).run();
    assert!(refused.stderr.contains("--allow one-way-mode"), "{}", refused.stderr);

    apply(&sb, &["examples/quick-start.kdl"], &["--allow", "one-way-mode"]).run();
    let cm = aws_auth_of(&sb, "demo").await.unwrap();
    let data = cm.data.unwrap();
    for kept in ["demo-ng-general", "demo-ng-gpu", "demo-fargate-pods"] {
        assert!(data["mapRoles"].contains(kept), "node mapping {kept} lost:\n{}", data["mapRoles"]);
    }
    assert!(
        data["mapUsers"].contains("sandbox-admin") && data["mapUsers"].contains("user/bob"),
        "{}",
        data["mapUsers"]
    );
    assert!(
        !cm.metadata.annotations.unwrap_or_default().contains_key(accessctl::aws_auth::MANAGED_ANNOTATION),
        "bob's mapping existed: declaring it changes nothing"
    );

    let entries = eks(&sb.url()).list_access_entries().cluster_name("demo").send().await.unwrap();
    assert_eq!(
        entries.access_entries().len(),
        5,
        "creator, admin, two node groups, Fargate: {:?}",
        entries.access_entries()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_map_to_api_in_stages_without_locking_out_nodes() {
    let sb = sandbox(
        "clusters:
  - name: legacy
    region: eu-central-1
    authenticationMode: CONFIG_MAP
    nodeRoles: [arn:aws:iam::111122223333:role/legacy-node-role]
    awsAuth:
      mapRoles: |
        - rolearn: arn:aws:iam::111122223333:role/legacy-node-role
          username: system:node:{{EC2PrivateDNSName}}
          groups: [system:bootstrappers, system:nodes]
        - rolearn: arn:aws:iam::111122223333:role/ci-deployer
          username: deployer
          groups: [deployers]
      mapUsers: |
        - userarn: arn:aws:iam::111122223333:user/admin
          username: admin
          groups: [system:masters]
",
        updates_take(50),
    )
    .await;
    apply(&sb, &["examples/config-map-to-api.kdl"], &["--allow", "one-way-mode"]).run();

    // Stage two: API, and aws-auth no longer declared.
    let dir = tempdir("stage2");
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/config-map-to-api.kdl")).unwrap();
    let start = text.find("    aws-auth {").unwrap();
    let end = start + text[start..].find("\n    }\n").unwrap() + 7;
    let stage2 = text[..start].to_string() + &text[end..];
    let stage2 = stage2.replace("authentication-mode \"API_AND_CONFIG_MAP\"", "authentication-mode \"API\"");
    let file = dir.join("access.kdl");
    std::fs::write(&file, stage2).unwrap();
    let file = file.to_str().unwrap();

    let planned = plan(&sb, &[file]).status(2).run();
    assert!(planned.stdout.contains("~ authentication mode API_AND_CONFIG_MAP → API"), "{}", planned.stdout);
    assert!(
        !planned.stdout.contains("guard api-lockout"),
        "every aws-auth principal has an entry:\n{}",
        planned.stdout
    );
    apply(&sb, &[file], &["--allow", "one-way-mode"]).run();
    let c = eks(&sb.url()).describe_cluster().name("legacy").send().await.unwrap();
    assert_eq!(c.cluster().unwrap().access_config().unwrap().authentication_mode().unwrap().as_str(), "API");
    let nodes = eks(&sb.url())
        .describe_access_entry()
        .cluster_name("legacy")
        .principal_arn("arn:aws:iam::111122223333:role/legacy-node-role")
        .send()
        .await
        .unwrap();
    assert_eq!(nodes.access_entry().unwrap().r#type(), Some("EC2_LINUX"));
    plan(&sb, &[file]).run();
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("accessctl-{name}-{}-{}", std::process::id(), fastrand::u32(..)));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moving_to_api_with_aws_auth_only_principals_is_guarded_and_lists_them() {
    let sb = sandbox(
        "clusters:
  - name: c
    authenticationMode: API_AND_CONFIG_MAP
    awsAuth:
      mapUsers: |
        - userarn: arn:aws:iam::111122223333:user/carol
          username: carol
          groups: [system:masters]
      mapAccounts: |
        - \"444455556666\"
",
        updates_take(0),
    )
    .await;
    let dir = tempdir("lockout");
    let file = dir.join("access.kdl");
    std::fs::write(&file, "cluster \"c\" {\n    region \"eu-west-1\"\n    authentication-mode \"API\"\n}\n").unwrap();
    let file = file.to_str().unwrap();
    plan(&sb, &[file])
        .status(2)
        .stdout_has("! guard api-lockout")
        .stdout_has("arn:aws:iam::111122223333:user/carol")
        .stdout_has("every principal of account 444455556666")
        .run();
    let refused = apply(&sb, &[file], &["--allow", "one-way-mode"]).status(1).run();
    assert!(refused.stderr.contains("--allow api-lockout"), "{}", refused.stderr);
    let c = eks(&sb.url()).describe_cluster().name("c").send().await.unwrap();
    assert_eq!(
        c.cluster().unwrap().access_config().unwrap().authentication_mode().unwrap().as_str(),
        "API_AND_CONFIG_MAP"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_plans_and_saved_plans_refuse_a_changed_cluster() {
    let sb = sandbox(ONE_API_CLUSTER, Faults::default()).await;
    let dir = tempdir("saved");
    let file = dir.join("access.kdl");
    std::fs::write(
        &file,
        "cluster \"c\" {\n    region \"eu-west-1\"\n    access-entry \"arn:aws:iam::111122223333:role/dev\" {\n        policy \"AmazonEKSViewPolicy\"\n    }\n}\n",
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let json = accessctl(&sb, &["plan", "-f", f, "--output", "json"]).run();
    let plan: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON plan");
    assert_eq!(plan["format_version"], 3);
    let ids: Vec<&serde_json::Value> =
        plan["clusters"][0]["changes"].as_array().unwrap().iter().map(|c| &c["id"]).collect();
    let dev = "arn:aws:iam::111122223333:role/dev";
    assert_eq!(
        ids,
        [
            &serde_json::json!({"kind": "access-entry", "principal": dev}),
            &serde_json::json!({"kind": "policy-association", "principal": dev, "policy": "AmazonEKSViewPolicy"}),
        ]
    );

    let saved = dir.join("plan.json");
    accessctl(&sb, &["plan", "-f", f, "--out", saved.to_str().unwrap()]).run();
    eks(&sb.url())
        .create_access_entry()
        .cluster_name("c")
        .principal_arn("arn:aws:iam::111122223333:role/someone")
        .send()
        .await
        .unwrap();
    let refused = accessctl(&sb, &["apply", saved.to_str().unwrap(), "-f", f, "--auto-approve"]).status(1).run();
    assert!(refused.stderr.contains("changed since"), "{}", refused.stderr);
    let fresh = dir.join("plan2.json");
    accessctl(&sb, &["plan", "-f", f, "--out", fresh.to_str().unwrap()]).run();
    accessctl(&sb, &["apply", fresh.to_str().unwrap(), "-f", f, "--auto-approve"]).run();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_file_never_reaches_the_network() {
    let sb = sandbox(ONE_API_CLUSTER, Faults::default()).await;
    let run = apply(&sb, &["tests/bad/entry-rules.kdl"], &[]).status(1).run();
    assert!(run.stderr.contains("nothing was sent"), "{}", run.stderr);
    assert_eq!(sb.counters().total(), 0, "calls were made: {:?}", sb.counters());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn converges_through_throttling_storms_server_errors_and_eventual_consistency() {
    // One call in five fails; with 8 attempts per call a run fails by chance about once in a
    // hundred thousand calls, so the test does not flake while every retry path is exercised.
    let faults = Faults {
        throttle_rate: 0.15,
        error_rate: 0.05,
        consistency_delay_ms: 300,
        update_duration_ms: 100,
        ..Faults::default()
    };
    let sb = sandbox(&seed_for(&["examples/namespaced-developers.kdl"]), faults).await;
    apply(&sb, &["examples/namespaced-developers.kdl"], ALL_GUARDS).run();
    sb.set_faults(Faults::default());
    plan(&sb, &["examples/namespaced-developers.kdl"]).run();
    assert!(sb.counters().faults.values().sum::<u64>() > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_bindings_are_created_as_accessctl_rbac() {
    let sb = sandbox(&seed_for(&["examples/console-access.kdl"]), Faults::default()).await;
    apply(&sb, &["examples/console-access.kdl"], ALL_GUARDS).run();
    let client = kube_of(&sb, "shop").await;
    let crbs: Api<k8s_openapi::api::rbac::v1::ClusterRoleBinding> = Api::all(client);
    let b = crbs
        .get("accessctl:eks-console-dashboard-full-access-group:eks-console-dashboard-full-access-clusterrole")
        .await
        .unwrap();
    assert_eq!(b.role_ref.name, "eks-console-dashboard-full-access-clusterrole");
    assert_eq!(b.subjects.unwrap()[0].name, "eks-console-dashboard-full-access-group");
}

/// The Kubernetes half of plan and apply against a real kube-apiserver: the cluster's
/// `kubernetes kubeconfig= context=` override points accessctl at the test bed's API server
/// (EKS is the sandbox), so aws-auth and RBAC writes are proven on real Kubernetes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(testbed_kube_apiserver),
    ignore = "needs the real kube-apiserver: testbed/kube-apiserver.sh start, then source /tmp/accessctl-testbed/env"
)]
async fn aws_auth_and_rbac_converge_on_a_real_kube_apiserver() {
    let _turn = REAL_AWS_AUTH.lock().await;
    let (url, token, ca) = apiserver();
    let dir = tempdir("apiserver");
    let kubeconfig = testbed_kubeconfig(&dir);
    let client = accessctl::live::kubernetes::connect(&url, Some(&ca), token.clone()).unwrap();
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "kube-system");
    let _ = cms.delete("aws-auth", &Default::default()).await;
    // Another writer's mapping is there first, as a node group's would be.
    let node = "- rolearn: arn:aws:iam::111122223333:role/real-nodes\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n  - system:bootstrappers\n  - system:nodes\n";
    let existing: ConfigMap = serde_json::from_value(
        serde_json::json!({"metadata": {"name": "aws-auth", "namespace": "kube-system"}, "data": {"mapRoles": node}}),
    )
    .unwrap();
    cms.create(&Default::default(), &existing).await.unwrap();

    let sb = sandbox("clusters:\n  - name: real\n    authenticationMode: CONFIG_MAP\n", Faults::default()).await;
    let file = dir.join("access.kdl");
    std::fs::write(
        &file,
        format!(
            "cluster \"real\" {{\n    region \"eu-west-1\"\n    kubernetes kubeconfig=\"{}\" context=\"testbed\"\n    aws-auth {{\n        map-user \"arn:aws:iam::111122223333:user/alice\" username=\"alice\" {{\n            groups \"system:masters\"\n        }}\n        map-user \"arn:aws:iam::111122223333:user/bob\" username=\"bob\" {{\n            groups \"accessctl-test-viewers\"\n        }}\n    }}\n    group-binding \"accessctl-test-viewers\" cluster-role=\"view\"\n}}\n",
            kubeconfig.display()
        ),
    )
    .unwrap();
    let f = file.to_str().unwrap();
    apply(&sb, &[f], &[]).run();
    plan(&sb, &[f]).run();

    let data = cms.get("aws-auth").await.unwrap().data.unwrap();
    assert!(data["mapRoles"].contains("role/real-nodes"), "the node mapping was lost: {data:?}");
    assert!(data["mapUsers"].contains("user/alice") && data["mapUsers"].contains("user/bob"), "{data:?}");
    let crbs: Api<k8s_openapi::api::rbac::v1::ClusterRoleBinding> = Api::all(client);
    let name = "accessctl:accessctl-test-viewers:view";
    assert_eq!(crbs.get(name).await.unwrap().role_ref.name, "view");
    crbs.delete(name, &Default::default()).await.unwrap();
    cms.delete("aws-auth", &Default::default()).await.unwrap();
}

/// The test bed's real kube-apiserver holds one aws-auth: the tests that write it take turns.
static REAL_AWS_AUTH: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A kubeconfig for the test bed's kube-apiserver as its administrator, in `dir`.
fn testbed_kubeconfig(dir: &Path) -> std::path::PathBuf {
    let (url, token, ca) = apiserver();
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: testbed\n  cluster:\n    server: {url}\n    certificate-authority-data: {ca}\nusers:\n- name: admin\n  user:\n    token: {token}\ncontexts:\n- name: testbed\n  context:\n    cluster: testbed\n    user: admin\ncurrent-context: testbed\n"
        ),
    )
    .unwrap();
    kubeconfig
}

/// `examples/console-access.kdl` and `examples/console-restricted-access.kdl` applied as they are
/// (EKS is the sandbox; a `kubernetes` override, added to the copy, points at the test bed's real
/// kube-apiserver): the preset roles and the bindings are created and converge, and the API
/// server's own RBAC authorizer (SubjectAccessReview) lets the console groups read what AWS's
/// manifests let them read and no more, the restricted group only in its namespaces.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(testbed_kube_apiserver),
    ignore = "needs the real kube-apiserver: testbed/kube-apiserver.sh start, then source /tmp/accessctl-testbed/env"
)]
async fn the_console_examples_apply_on_a_real_kube_apiserver() {
    use k8s_openapi::api::authorization::v1::{ResourceAttributes, SubjectAccessReview, SubjectAccessReviewSpec};
    use k8s_openapi::api::core::v1::Namespace;

    let _turn = REAL_AWS_AUTH.lock().await;
    let (url, token, ca) = apiserver();
    let dir = tempdir("apiserver-console");
    let kubeconfig = testbed_kubeconfig(&dir);
    let client = accessctl::live::kubernetes::connect(&url, Some(&ca), token).unwrap();
    let namespaces: Api<Namespace> = Api::all(client.clone());
    for ns in ["payments", "checkout"] {
        let object: Namespace = serde_json::from_value(serde_json::json!({"metadata": {"name": ns}})).unwrap();
        let _ = namespaces.create(&Default::default(), &object).await;
    }
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "kube-system");
    let _ = cms.delete("aws-auth", &Default::default()).await;
    for example in ["examples/console-access.kdl", "examples/console-restricted-access.kdl"] {
        let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(example)).unwrap();
        let text = text.replacen(
            "    region \"us-east-1\"\n",
            &format!(
                "    region \"us-east-1\"\n    kubernetes kubeconfig=\"{}\" context=\"testbed\"\n",
                kubeconfig.display()
            ),
            1,
        );
        let file = dir.join(Path::new(example).file_name().unwrap());
        std::fs::write(&file, text).unwrap();
        let f = file.to_str().unwrap();
        let sb = sandbox(&seed_for(&[example]), updates_take(0)).await;
        apply(&sb, &[f], ALL_GUARDS).run();
        plan(&sb, &[f]).run();
    }

    let reviews: Api<SubjectAccessReview> = Api::all(client.clone());
    let allowed = |group: &str, verb: &str, resource: &str, namespace: Option<&str>| {
        let review = SubjectAccessReview {
            spec: SubjectAccessReviewSpec {
                user: Some("console-user".into()),
                groups: Some(vec![group.to_string(), "system:authenticated".into()]),
                resource_attributes: Some(ResourceAttributes {
                    verb: Some(verb.into()),
                    // `group/resource`, or a core resource.
                    group: resource.split_once('/').map(|(g, _)| g.to_string()),
                    resource: Some(resource.rsplit('/').next().unwrap_or(resource).into()),
                    namespace: namespace.map(str::to_string),
                    ..ResourceAttributes::default()
                }),
                ..SubjectAccessReviewSpec::default()
            },
            ..SubjectAccessReview::default()
        };
        let reviews = reviews.clone();
        async move { reviews.create(&Default::default(), &review).await.unwrap().status.unwrap().allowed }
    };
    let full = "eks-console-dashboard-full-access-group";
    let restricted = "eks-console-dashboard-restricted-access-group";
    assert!(allowed(full, "list", "pods", Some("default")).await);
    assert!(allowed(full, "list", "nodes", None).await);
    assert!(allowed(full, "get", "namespaces", None).await);
    assert!(!allowed(full, "delete", "pods", Some("default")).await, "the console reads only");
    assert!(allowed(restricted, "list", "nodes", None).await);
    assert!(allowed(restricted, "list", "pods", Some("payments")).await);
    assert!(allowed(restricted, "list", "apps/deployments", Some("checkout")).await);
    assert!(!allowed(restricted, "list", "deployments", Some("checkout")).await, "not in the core group");
    assert!(!allowed(restricted, "list", "pods", Some("default")).await, "only where the Role is bound");

    // Leave the test bed as it was: what accessctl made, by its label.
    let by_label = kube::api::ListParams::default().labels("app.kubernetes.io/managed-by=accessctl");
    let dp = kube::api::DeleteParams::default();
    let _ = Api::<k8s_openapi::api::rbac::v1::ClusterRoleBinding>::all(client.clone())
        .delete_collection(&dp, &by_label)
        .await;
    let _ = Api::<k8s_openapi::api::rbac::v1::ClusterRole>::all(client.clone()).delete_collection(&dp, &by_label).await;
    // The namespaces stay: without a namespace controller they would never finish terminating.
    for ns in ["payments", "checkout"] {
        let _ = Api::<k8s_openapi::api::rbac::v1::RoleBinding>::namespaced(client.clone(), ns)
            .delete_collection(&dp, &by_label)
            .await;
        let _ = Api::<k8s_openapi::api::rbac::v1::Role>::namespaced(client.clone(), ns)
            .delete_collection(&dp, &by_label)
            .await;
    }
    let _ = cms.delete("aws-auth", &dp).await;
}

/// One permission set, declared by name once, is a different role in each account: plan looks it
/// up in each cluster's account (through that cluster's `assume-role`), says what it found, and
/// writes that ARN; an account where the set has no role is an error naming it, before any write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sso_permission_set_by_name_is_the_role_of_each_account() {
    let files = ["examples/multi-account/"];
    let seed = seed_for(&files);
    let (prod, staging) =
        (sso_role("222233334444", "AdministratorAccess"), sso_role("555566667777", "AdministratorAccess"));
    assert_ne!(prod, staging);
    let sb = sandbox(&seed, updates_take(0)).await;
    apply(&sb, &files, ALL_GUARDS)
        .stdout_has(&format!("permission set AdministratorAccess is {prod} in account 222233334444"))
        .stdout_has(&format!("permission set AdministratorAccess is {staging} in account 555566667777"))
        .stdout_has(&format!("+ access entry {prod}"))
        .stdout_has(&format!("+ access entry {staging}"))
        .run();
    for (cluster, role) in [("prod-eu", &prod), ("prod-us", &prod), ("staging", &staging)] {
        let listed = eks(&sb.url()).list_access_entries().cluster_name(cluster).send().await.unwrap();
        assert!(listed.access_entries().contains(role), "{cluster}: {:?}", listed.access_entries());
    }
    plan(&sb, &files).stdout_has("No changes.").run();

    // The set is not assigned to the staging account: no role there.
    let without = seed.replace(&format!("\"{staging}\", "), "").replace(&format!(", \"{staging}\""), "");
    assert!(!without.contains(&staging));
    let sb = sandbox(&without, updates_take(0)).await;
    apply(&sb, &files, ALL_GUARDS)
        .status(1)
        .stderr_has("cluster `staging`: account 555566667777 has no role of the IAM Identity Center permission set `AdministratorAccess`")
        .run();
    assert_eq!(sb.counters().calls.get("CreateAccessEntry"), None, "nothing was written");
}
