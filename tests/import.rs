//! `import` survives the round trip (validate, fmt --check, plan with no changes): on the
//! 2022-style seed, on a cluster accessctl already manages, on a cluster with a mapping the
//! language refuses, and on a large generated cluster.

mod common;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_2022_style_cluster() {
    let sb = sandbox(accessctl_sandbox::seed::DEFAULT_SEED, Faults::default()).await;
    let text = import_round_trip(&sb, "eu-west-1", &["demo"]);
    assert!(text.contains("authentication-mode \"CONFIG_MAP\""));
    assert!(text.contains("map-user \"bob\" username=\"bob\""), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_accessctl_manages_with_eks_made_entries_marked() {
    let sb = sandbox(accessctl_sandbox::seed::DEFAULT_SEED, updates_take(20)).await;
    Accessctl::new()
        .sandbox(&sb)
        .args(&["apply", "-f", "examples/quick-start.kdl", "--auto-approve", "--allow", "one-way-mode"])
        .run();
    let text = import_round_trip(&sb, "eu-west-1", &["demo"]);
    assert!(text.contains("// a node role: EKS makes these entries"), "{text}");
    assert!(text.contains("// not made by accessctl: EKS makes an admin entry like this for the cluster's creator\n    access-entry \"ci-cluster-creator\""), "{text}");
    assert!(text.contains("access-entry \"demo-ng-gpu\" type=\"EC2_LINUX\""), "{text}");
    assert!(text.contains("group-binding \"eks-console-dashboard-full-access-group\""), "{text}");
    assert!(text.contains("policy \"AmazonEKSClusterAdminPolicy\""), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mappings_the_language_refuses_stay_as_comments() {
    let seed = "clusters:\n  - name: c\n    authenticationMode: API_AND_CONFIG_MAP\n    accessEntries:\n      - principalArn: arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123\n        username: admin:{{SessionName}}\n        kubernetesGroups: [admins]\n        tags: {team: platform}\n        policies:\n          AmazonEKSAdminPolicy: [dev-*, ops]\n    awsAuth:\n      mapRoles: |\n        - rolearn: arn:aws:iam::111122223333:role/teams/dev/deployer\n          username: deployer\n          groups: [deployers]\n";
    let sb = sandbox(seed, Faults::default()).await;
    let text = import_round_trip(&sb, "eu-west-1", &["c"]);
    assert!(text.contains("// not imported: arn:aws:iam::111122223333:role/teams/dev/deployer has a path"), "{text}");
    assert!(text.contains("principal \"sso-admin\" \"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123\""), "{text}");
    assert!(text.contains("namespaces \"dev-*\" \"ops\""), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_generated_cluster() {
    let mut seed =
        String::from("clusters:\n  - name: big\n    authenticationMode: API_AND_CONFIG_MAP\n    accessEntries:\n");
    for i in 0..1500 {
        seed.push_str(&format!(
            "      - principalArn: arn:aws:iam::111122223333:role/team-{t}/dev-{i}\n        kubernetesGroups: [team-{t}]\n        policies:\n          AmazonEKSViewPolicy: []\n          AmazonEKSEditPolicy: [team-{t}-*]\n",
            t = i % 30
        ));
    }
    seed.push_str("    awsAuth:\n      mapRoles: |\n");
    for i in 0..200 {
        seed.push_str(&format!("        - rolearn: arn:aws:iam::111122223333:role/legacy-{i}\n          username: legacy-{i}\n          groups: [legacy]\n"));
    }
    let sb = sandbox(&seed, Faults::default()).await;
    let text = import_round_trip(&sb, "eu-west-1", &["big"]);
    // The 1,500 seeded and the admin entry EKS made for the cluster's creator.
    assert_eq!(text.matches("access-entry ").count(), 1500 + 1);
    assert_eq!(text.matches("map-role ").count(), 200);
}

/// What the language refuses never reaches the file as a line that fails `validate`: a role
/// mapped twice (the authenticator uses the later item, so only that one is imported) and an
/// account that is not 12 digits stay as comments, and import → plan is still empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_mapped_twice_and_a_malformed_account_import_as_a_valid_file() {
    let seed = "clusters:\n  - name: c\n    authenticationMode: CONFIG_MAP\n    awsAuth:\n      mapRoles: |\n        - rolearn: arn:aws:iam::111122223333:role/ops\n          username: ops\n          groups: [viewers]\n        - rolearn: arn:aws:iam::111122223333:role/OPS\n          username: ops-admin\n          groups: [system:masters]\n      mapUsers: |\n        - userarn: arn:aws:iam::111122223333:user/sandbox-admin\n          groups: [system:masters]\n      mapAccounts: |\n        - \"444455556666\"\n        - test-account\n";
    let seed = seed.replace(
        "      mapUsers:",
        "        - sso:\n            permissionSetName: ViewOnly\n            accountID: \"111122223333\"\n          groups: [viewers]\n      mapUsers:",
    );
    let sb = sandbox(&seed, Faults::default()).await;
    let text = import_round_trip(&sb, "eu-west-1", &["c"]);
    assert!(text.contains("// not imported: arn:aws:iam::111122223333:role/ops is mapped again later"), "{text}");
    assert!(text.contains("// not imported: an `sso:` item for permission set ViewOnly"), "{text}");
    assert!(text.contains("username=\"ops-admin\""), "{text}");
    assert!(text.contains("map-account \"444455556666\""), "{text}");
    assert!(text.contains("// not imported: map-account `test-account`"), "{text}");
}

/// An IAM Identity Center role is imported as its permission set, by name, when IAM of the
/// cluster's account resolves the set to exactly that role: the file then follows the set into
/// any account. The round trip (plan resolves it back) plans nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sso_role_imports_as_its_permission_set_when_iam_resolves_it() {
    let sso =
        "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0a1b2c3d4e5f6a7b";
    let seed = format!(
        "roles: [{sso}]\nclusters:\n  - name: c\n    account: \"111122223333\"\n    authenticationMode: API_AND_CONFIG_MAP\n    \
         accessEntries:\n      - principalArn: {sso}\n        policies:\n          AmazonEKSClusterAdminPolicy: []\n    \
         awsAuth:\n      mapRoles: |\n        - rolearn: arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0a1b2c3d4e5f6a7b\n          \
         username: admin\n          groups: [admins]\n"
    );
    let sb = sandbox(&seed, Faults::default()).await;
    let text = import_round_trip(&sb, "eu-west-1", &["c"]);
    assert!(text.contains("principal \"sso-admin\" permission-set=\"Admin\""), "{text}");
    assert!(!text.contains("AWSReservedSSO_Admin_0a1b2c3d4e5f6a7b"), "no ARN of the set's role is written:\n{text}");
    assert!(text.contains("access-entry \"sso-admin\""), "{text}");
    assert!(text.contains("map-role \"sso-admin\" username=\"admin\""), "{text}");
}
