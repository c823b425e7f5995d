//! Two configurations (two teams) manage one cluster, both with `prune`: each deletes only what
//! it owns, a mapping both declare stays until the last of them lets go, and RBAC bindings are
//! each owner's own. Run on the sandbox through the binary, checked on aws-auth, the entries and
//! the bindings as the cluster holds them.

mod common;

use std::collections::BTreeSet;

use common::*;
use k8s_openapi::api::rbac::v1::ClusterRoleBinding;

const ROLE: &str = "arn:aws:iam::111122223333:role";

/// A configuration of owner `owner` with `prune`, mapping `mapped` roles in aws-auth (each into
/// the group `g-<name>`, bound to `view`) and giving `entries` roles an access entry.
fn config(owner: &str, mapped: &[&str], entries: &[&str]) -> String {
    let mut text = format!(
        "cluster \"c\" {{\n    region \"eu-west-1\"\n    owner \"{owner}\"\n    prune #true\n    aws-auth {{\n"
    );
    for m in mapped {
        text +=
            &format!("        map-role \"{ROLE}/{m}\" username=\"{m}\" {{\n            groups \"g-{m}\"\n        }}\n");
    }
    text += "    }\n";
    for m in mapped {
        text += &format!("    group-binding \"g-{m}\" cluster-role=\"view\"\n");
    }
    for e in entries {
        text += &format!("    access-entry \"{ROLE}/{e}\" {{\n        policy \"AmazonEKSViewPolicy\"\n    }}\n");
    }
    text + "}\n"
}

fn apply(sb: &Sandbox, file: &str) {
    Accessctl::new().sandbox(sb).args(&["apply", "--auto-approve", "-f", file]).run();
}

fn plan_is_empty(sb: &Sandbox, file: &str) -> bool {
    Accessctl::new().sandbox(sb).args(&["plan", "--detailed-exitcode", "-f", file]).status_in(&[0, 2]).run().code == 0
}

/// The role names mapped in aws-auth and those with an access entry.
async fn live(sb: &Sandbox) -> (BTreeSet<String>, BTreeSet<String>) {
    let cm = aws_auth_of(sb, "c").await;
    let data = accessctl::aws_auth::AwsAuthData::parse(&cm.and_then(|c| c.data).unwrap_or_default()).unwrap();
    let name = |arn: &str| arn.rsplit('/').next().unwrap().to_string();
    let mapped = data.mappings.iter().map(|m| name(&m.arn)).collect();
    let listed = eks(&sb.url()).list_access_entries().cluster_name("c").send().await.unwrap();
    let entries = listed.access_entries().iter().filter(|a| a.contains(":role/")).map(|a| name(a)).collect();
    (mapped, entries)
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_owners_that_prune_one_cluster_keep_each_others_access() {
    let sb = sandbox(ONE_API_CLUSTER, Faults::default()).await;
    let a = temp_file("owner-a", &config("team-a", &["a1", "shared"], &["ea"]));
    let b = temp_file("owner-b", &config("team-b", &["b1", "shared"], &["eb"]));
    for _ in 0..2 {
        apply(&sb, &a);
        apply(&sb, &b);
    }
    assert_eq!(live(&sb).await, (set(&["a1", "shared", "b1"]), set(&["ea", "eb"])));
    assert!(plan_is_empty(&sb, &a) && plan_is_empty(&sb, &b), "both converged, neither undoes the other");

    // team-a stops declaring its own mapping and the shared one: its own goes, the shared stays
    // (team-b still declares it), and team-b's are untouched.
    let a = temp_file("owner-a2", &config("team-a", &[], &["ea"]));
    Accessctl::new()
        .sandbox(&sb)
        .args(&["plan", "-f", &a])
        .stdout_has("lets go of role:arn:aws:iam::111122223333:role/shared")
        .run();
    apply(&sb, &a);
    assert_eq!(live(&sb).await, (set(&["shared", "b1"]), set(&["ea", "eb"])));
    assert!(plan_is_empty(&sb, &a) && plan_is_empty(&sb, &b));

    // Now the last owner of the shared mapping lets go, with its entry: both are deleted.
    let b = temp_file("owner-b2", &config("team-b", &["b1"], &[]));
    apply(&sb, &b);
    assert_eq!(live(&sb).await, (set(&["b1"]), set(&["ea"])));
    assert!(plan_is_empty(&sb, &a) && plan_is_empty(&sb, &b));

    // Each owner's binding is its own object: team-a dropped `g-a1`, team-b kept `g-b1`.
    let client = kube_of(&sb, "c").await;
    let names: BTreeSet<String> = kube::api::Api::<ClusterRoleBinding>::all(client)
        .list(&kube::api::ListParams::default().labels("app.kubernetes.io/managed-by=accessctl"))
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|b| b.metadata.name)
        .collect();
    assert_eq!(names, set(&["accessctl.team-b:g-b1:view"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_another_owner_created_is_claimed_before_that_owner_may_prune_it() {
    let sb = sandbox(ONE_API_CLUSTER, Faults::default()).await;
    let a = temp_file("claim-a", &config("team-a", &[], &["e"]));
    apply(&sb, &a);
    // team-b declares the same entry: its plan claims it (a change of its own), so team-a's
    // prune only lets go of it.
    let b = temp_file("claim-b", &config("team-b", &[], &["e"]));
    Accessctl::new().sandbox(&sb).args(&["plan", "-f", &b]).stdout_has("owned by team-a, team-b").run();
    apply(&sb, &b);
    assert!(plan_is_empty(&sb, &b));
    let a = temp_file("claim-a2", &config("team-a", &[], &[]));
    apply(&sb, &a);
    assert_eq!(live(&sb).await.1, set(&["e"]), "team-b still declares it");
    let described = eks(&sb.url())
        .describe_access_entry()
        .cluster_name("c")
        .principal_arn(format!("{ROLE}/e"))
        .send()
        .await
        .unwrap();
    assert_eq!(described.access_entry().unwrap().tags().unwrap()["accessctl.io/managed"], "team-b");
}

#[test]
fn an_invalid_owner_is_a_diagnostic() {
    let file = temp_file("bad-owner", "cluster \"c\" {\n    region \"eu-west-1\"\n    owner \"Team A\"\n}\n");
    Accessctl::new()
        .args(&["validate", &file])
        .status(1)
        .stdout("")
        .stderr_has("invalid_owner")
        .stderr_has("`Team A` cannot be an owner")
        .run();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_owners_declaring_one_principal_differently_is_refused_before_any_write() {
    let sb = sandbox(ONE_API_CLUSTER, Faults::default()).await;
    apply(&sb, &temp_file("differ-a", &config("team-a", &["m"], &["e"])));
    // team-b declares the same entry with another policy, and the same mapping in another group.
    let b = temp_file(
        "differ-b",
        &format!(
            "cluster \"c\" {{\n    region \"eu-west-1\"\n    owner \"team-b\"\n    aws-auth {{\n        map-role \"{ROLE}/m\" username=\"m\" {{\n            \
             groups \"other\"\n        }}\n    }}\n    access-entry \"{ROLE}/e\" {{\n        policy \"AmazonEKSAdminPolicy\"\n    }}\n}}\n"
        ),
    );
    let run = Accessctl::new().sandbox(&sb).args(&["apply", "--auto-approve", "-f", &b]).status(1).run();
    assert!(
        run.stderr.contains(&format!("access entry {ROLE}/e is declared differently by owner `team-a`")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!("the aws-auth mapping of {ROLE}/m is declared differently")),
        "{}",
        run.stderr
    );
    let policies = eks(&sb.url())
        .list_associated_access_policies()
        .cluster_name("c")
        .principal_arn(format!("{ROLE}/e"))
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = policies.associated_access_policies().iter().filter_map(|p| p.policy_arn()).collect();
    assert!(names.len() == 1 && names[0].ends_with("AmazonEKSViewPolicy"), "team-a's entry is untouched: {names:?}");
}
