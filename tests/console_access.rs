//! Console access end to end, on the sandbox through the binary: roles declared in access.kdl
//! (presets with AWS's rules, or rules written out), nothing bound to a role that exists nowhere,
//! AWS's manifest applied by hand adopted rather than duplicated, import bringing the RBAC half
//! along, and the file's account checked before any write.

mod common;

use common::*;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule, RoleRef, Subject};
use kube::api::{Api, ListParams, ObjectMeta, PostParams};

const BOB: &str = "arn:aws:iam::111122223333:user/bob";
const GROUP: &str = "eks-console-dashboard-full-access-group";
const ROLE: &str = "eks-console-dashboard-full-access-clusterrole";

fn console(role: &str) -> String {
    format!(
        "cluster \"c\" {{\n    region \"eu-west-1\"\n    aws-auth {{\n        map-user \"{BOB}\" username=\"bob\" {{\n            \
         groups \"{GROUP}\"\n        }}\n    }}\n{role}    group-binding \"{GROUP}\" cluster-role=\"{ROLE}\"\n}}\n"
    )
}

fn preset() -> String {
    format!("    cluster-role \"{ROLE}\" preset=\"eks-console-full-access\"\n")
}

async fn cluster_role_bindings(sb: &Sandbox) -> Vec<ClusterRoleBinding> {
    let client = kube_of(sb, "c").await;
    let all = Api::<ClusterRoleBinding>::all(client).list(&ListParams::default()).await.unwrap().items;
    all.into_iter().filter(|b| b.subjects.iter().flatten().any(|s| s.kind == "Group" && s.name == GROUP)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_binding_to_a_role_that_exists_nowhere_is_refused_before_any_write() {
    let sb = sandbox(ONE_API_CLUSTER, Faults::default()).await;
    let file = temp_file("nothing", &console(""));
    let planned = Accessctl::new().sandbox(&sb).args(&["plan", "-f", &file]).status(1).run();
    assert!(
        planned.stderr.contains(&format!(
            "group `{GROUP}` is bound to the ClusterRole `{ROLE}`, which neither the files declare nor the cluster has"
        )),
        "{}",
        planned.stderr
    );
    assert!(planned.stderr.contains("preset=\"eks-console-full-access\""), "the fix is named: {}", planned.stderr);
    Accessctl::new().sandbox(&sb).args(&["apply", "--auto-approve", "-f", &file]).status(1).run();
    assert!(aws_auth_of(&sb, "c").await.is_none(), "nothing was written");
    assert!(cluster_role_bindings(&sb).await.is_empty());
    // explain, offline, says the binding grants nothing.
    let explained = Accessctl::new()
        .sandbox(&sb)
        .args(&["explain", BOB, "--offline", "--cluster", "c", "-f", &file, "--verb", "list", "--resource", "pods"])
        .status(3)
        .run();
    assert!(
        explained.stdout.contains(&format!("clusterrole.rbac.authorization.k8s.io \"{ROLE}\" not found")),
        "the API server's own reason: {}",
        explained.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_role_is_created_updated_and_pruned_and_a_binding_never_outlives_it() {
    let sb = sandbox(ONE_API_CLUSTER, Faults::default()).await;
    let file = temp_file("preset", &console(&preset()));
    Accessctl::new().sandbox(&sb).args(&["apply", "--auto-approve", "-f", &file]).run();
    let client = kube_of(&sb, "c").await;
    let roles: Api<ClusterRole> = Api::all(client);
    let made = roles.get(ROLE).await.unwrap();
    let preset = accessctl::access::presets::rules("eks-console-full-access").unwrap();
    assert_eq!(made.rules.as_ref().map(Vec::len), Some(preset.len()));
    assert_eq!(made.metadata.labels.as_ref().unwrap()["app.kubernetes.io/managed-by"], "accessctl");
    Accessctl::new().sandbox(&sb).args(&["plan", "--detailed-exitcode", "-f", &file]).run();

    // The same role with rules of its own: updated in place.
    let own = format!(
        "    cluster-role \"{ROLE}\" {{\n        rule {{\n            api-groups \"\"\n            resources \"pods\"\n            \
         verbs \"get\" \"list\"\n        }}\n    }}\n"
    );
    let file = temp_file("own-rules", &console(&own));
    Accessctl::new()
        .sandbox(&sb)
        .args(&["plan", "-f", &file])
        .stdout_has(&format!("~ ClusterRole {ROLE}"))
        .stdout_has("- get, list on nodes, namespaces, pods")
        .run();
    Accessctl::new().sandbox(&sb).args(&["apply", "--auto-approve", "-f", &file]).run();
    assert_eq!(roles.get(ROLE).await.unwrap().rules.unwrap().len(), 1);

    // Pruning the role while its binding stays declared is refused; both go together.
    let orphan = temp_file("orphan", &console("").replace("    aws-auth", "    prune #true\n    aws-auth"));
    let refused = Accessctl::new().sandbox(&sb).args(&["plan", "-f", &orphan]).status(1).run();
    assert!(refused.stderr.contains("which this plan deletes"), "{}", refused.stderr);
    let neither = temp_file(
        "neither",
        &format!(
            "cluster \"c\" {{\n    region \"eu-west-1\"\n    prune #true\n    aws-auth {{\n        map-user \"{BOB}\" username=\"bob\" {{\n            \
             groups \"{GROUP}\"\n        }}\n    }}\n}}\n"
        ),
    );
    // Bob loses what the role gave him: a guarded change.
    let guarded = Accessctl::new().sandbox(&sb).args(&["apply", "--auto-approve", "-f", &neither]).status(1).run();
    assert!(guarded.stdout.contains("user/bob can no longer do anything"), "{}", guarded.stdout);
    Accessctl::new().sandbox(&sb).args(&["apply", "--auto-approve", "--allow", "access-loss", "-f", &neither]).run();
    assert!(roles.get_opt(ROLE).await.unwrap().is_none());
    assert!(cluster_role_bindings(&sb).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_manifest_applied_by_hand_is_adopted_not_duplicated_and_imported_as_its_preset() {
    let sb = sandbox(ONE_API_CLUSTER, Faults::default()).await;
    let client = kube_of(&sb, "c").await;
    // What `kubectl apply -f eks-console-full-access.yaml` leaves.
    let rules: Vec<PolicyRule> = accessctl::access::presets::rules("eks-console-full-access")
        .unwrap()
        .into_iter()
        .map(|r| PolicyRule {
            api_groups: Some(r.api_groups),
            resources: Some(r.resources),
            verbs: r.verbs,
            ..PolicyRule::default()
        })
        .collect();
    let meta = |name: &str| ObjectMeta { name: Some(name.into()), ..ObjectMeta::default() };
    Api::<ClusterRole>::all(client.clone())
        .create(
            &PostParams::default(),
            &ClusterRole { metadata: meta(ROLE), rules: Some(rules), aggregation_rule: None },
        )
        .await
        .unwrap();
    Api::<ClusterRoleBinding>::all(client.clone())
        .create(
            &PostParams::default(),
            &ClusterRoleBinding {
                metadata: meta("eks-console-dashboard-full-access-binding"),
                role_ref: RoleRef {
                    api_group: "rbac.authorization.k8s.io".into(),
                    kind: "ClusterRole".into(),
                    name: ROLE.into(),
                },
                subjects: Some(vec![Subject {
                    api_group: Some("rbac.authorization.k8s.io".into()),
                    kind: "Group".into(),
                    name: GROUP.into(),
                    namespace: None,
                }]),
            },
        )
        .await
        .unwrap();

    let file = temp_file("adopt", &console(&preset()));
    let planned = Accessctl::new().sandbox(&sb).args(&["plan", "-f", &file]).run();
    assert!(!planned.stdout.contains("ClusterRole eks-console"), "the role is adopted as it is: {}", planned.stdout);
    assert!(!planned.stdout.contains("+ RBAC binding"), "the binding is adopted: {}", planned.stdout);
    assert!(
        planned
            .stdout
            .contains("RBAC binding eks-console-dashboard-full-access-binding (as declared: adopted, not duplicated)"),
        "{}",
        planned.stdout
    );
    Accessctl::new().sandbox(&sb).args(&["apply", "--auto-approve", "-f", &file]).run();
    let bindings = cluster_role_bindings(&sb).await;
    assert_eq!(bindings.len(), 1, "never duplicated: {bindings:?}");
    Accessctl::new().sandbox(&sb).args(&["plan", "--detailed-exitcode", "-f", &file]).run();

    // import writes the RBAC half, the role as its preset, and plans nothing with it.
    let imported = Accessctl::new().sandbox(&sb).args(&["import", "--cluster", "c", "--region", "eu-west-1"]).run();
    assert!(
        imported.stdout.contains(&format!("cluster-role \"{ROLE}\" preset=\"eks-console-full-access\"")),
        "{}",
        imported.stdout
    );
    assert!(
        imported.stdout.contains(&format!("group-binding \"{GROUP}\" cluster-role=\"{ROLE}\"")),
        "{}",
        imported.stdout
    );
    let again = temp_file("imported", &imported.stdout);
    Accessctl::new().sandbox(&sb).args(&["plan", "--detailed-exitcode", "-f", &again]).run();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_writes_a_custom_role_with_its_rules_and_plans_nothing() {
    let sb = sandbox(ONE_API_CLUSTER, Faults::default()).await;
    let file = temp_file(
        "custom",
        &format!(
            "cluster \"c\" {{\n    region \"eu-west-1\"\n    access-entry \"{BOB}\" {{\n        groups \"log-readers\"\n    }}\n    \
             role \"pod-log-reader\" namespace=\"default\" {{\n        rule {{\n            api-groups \"\"\n            \
             resources \"pods\" \"pods/log\"\n            verbs \"get\" \"list\" \"watch\"\n        }}\n    }}\n    \
             group-binding \"log-readers\" role=\"pod-log-reader\" namespace=\"default\"\n}}\n"
        ),
    );
    Accessctl::new().sandbox(&sb).args(&["apply", "--auto-approve", "-f", &file]).run();
    let imported = Accessctl::new()
        .sandbox(&sb)
        .args(&["import", "--cluster", "c", "--region", "eu-west-1"])
        .stdout_has("role \"pod-log-reader\" namespace=\"default\" {")
        .stdout_has("resources \"pods\" \"pods/log\"")
        .run();
    let again = temp_file("custom-imported", &imported.stdout);
    Accessctl::new().sandbox(&sb).args(&["plan", "--detailed-exitcode", "-f", &again]).run();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_naming_another_account_is_refused_before_any_write() {
    let sb = sandbox(ONE_API_CLUSTER, Faults::default()).await;
    let file = temp_file(
        "account",
        &console(&preset()).replace("region \"eu-west-1\"", "region \"eu-west-1\"\n    account \"999999999999\""),
    );
    let run = Accessctl::new().sandbox(&sb).args(&["apply", "--auto-approve", "-f", &file]).status(1).run();
    assert!(
        run.stderr.contains("the file says account 999999999999, but the cluster belongs to account 111122223333"),
        "{}",
        run.stderr
    );
    assert!(aws_auth_of(&sb, "c").await.is_none(), "nothing was written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_another_tool_manages_is_not_rewritten() {
    let sb = sandbox(ONE_API_CLUSTER, Faults::default()).await;
    let client = kube_of(&sb, "c").await;
    let helm = ObjectMeta {
        name: Some(ROLE.into()),
        labels: Some([("app.kubernetes.io/managed-by".to_string(), "Helm".to_string())].into()),
        ..ObjectMeta::default()
    };
    let rules = vec![PolicyRule {
        api_groups: Some(vec![String::new()]),
        resources: Some(vec!["pods".into()]),
        verbs: vec!["get".into()],
        ..PolicyRule::default()
    }];
    Api::<ClusterRole>::all(client.clone())
        .create(&PostParams::default(), &ClusterRole { metadata: helm, rules: Some(rules), aggregation_rule: None })
        .await
        .unwrap();
    let file = temp_file("helm", &console(&preset()));
    let run = Accessctl::new().sandbox(&sb).args(&["plan", "-f", &file]).status(1).run();
    assert!(
        run.stderr.contains(&format!(
            "the ClusterRole `{ROLE}` exists and is not accessctl's to rewrite: its rules are kept by Helm, which manages it"
        )),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_another_owner_still_binds_is_not_pruned() {
    let sb = sandbox(ONE_API_CLUSTER, Faults::default()).await;
    let with_owner = |owner: &str, body: &str| {
        format!("cluster \"c\" {{\n    region \"eu-west-1\"\n    owner \"{owner}\"\n    prune #true\n{body}}}\n")
    };
    let owned = |owner: &str| format!("region \"eu-west-1\"\n    owner \"{owner}\"\n    prune #true\n");
    let a = temp_file("bound-a", &console(&preset()).replacen("region \"eu-west-1\"\n", &owned("team-a"), 1));
    Accessctl::new().sandbox(&sb).args(&["apply", "--auto-approve", "-f", &a]).run();
    // team-b binds its own group to team-a's role.
    let b = temp_file(
        "bound-b",
        &with_owner(
            "team-b",
            &format!(
                "    access-entry \"arn:aws:iam::111122223333:user/carol\" {{\n        groups \"b-console\"\n    }}\n    \
                 group-binding \"b-console\" cluster-role=\"{ROLE}\"\n"
            ),
        ),
    );
    Accessctl::new().sandbox(&sb).args(&["apply", "--auto-approve", "-f", &b]).run();
    // team-a stops declaring the role: its prune would leave team-b's binding bound to nothing.
    let a = temp_file("bound-a2", &with_owner("team-a", ""));
    let run = Accessctl::new().sandbox(&sb).args(&["plan", "-f", &a]).status(1).run();
    assert!(run.stderr.contains("would be deleted, but accessctl.team-b:b-console"), "{}", run.stderr);
}
