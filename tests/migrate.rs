//! A realistic 2022-style cluster (node groups, Fargate, admins, a console group) migrated from
//! aws-auth to access entries in reviewed stages: it ends in API mode with everyone who had
//! access still having it (checked with explain before and after) — and with mapAccounts it is
//! refused at stage two, naming who would lose access.

mod common;

use accessctl::config::{self, source};
use accessctl::explain::{Caller, Verdict, explain};
use accessctl::live::access::from_live;
use accessctl::live::aws::Endpoints;
use accessctl::live::read::read_cluster;
use common::*;

const SEED: &str = "roles: [arn:aws:iam::111122223333:role/platform-admin]
iamUsers: [arn:aws:iam::111122223333:user/bob]
clusters:
  - name: shop
    region: eu-west-1
    authenticationMode: CONFIG_MAP
    nodeRoles: [arn:aws:iam::111122223333:role/shop-nodes]
    fargateRoles: [arn:aws:iam::111122223333:role/shop-fargate]
    awsAuth:
      mapRoles: |
        - rolearn: arn:aws:iam::111122223333:role/shop-nodes
          username: system:node:{{EC2PrivateDNSName}}
          groups: [system:bootstrappers, system:nodes]
        - rolearn: arn:aws:iam::111122223333:role/shop-fargate
          username: system:node:{{SessionName}}
          groups: [system:bootstrappers, system:nodes, system:node-proxier]
        - rolearn: arn:aws:iam::111122223333:role/platform-admin
          username: admin:{{SessionName}}
          groups: [system:masters]
      mapUsers: |
        - userarn: arn:aws:iam::111122223333:user/bob
          username: bob
          groups: [console-viewers]
";

const PRINCIPALS: &[&str] = &[
    "arn:aws:sts::111122223333:assumed-role/shop-nodes/i-0123456789abcdef0",
    "arn:aws:sts::111122223333:assumed-role/shop-fargate/fargate-session",
    "arn:aws:sts::111122223333:assumed-role/platform-admin/alice",
    "arn:aws:iam::111122223333:user/bob",
];

struct Env {
    sb: Sandbox,
    file: std::path::PathBuf,
}

impl Env {
    /// accessctl `args` on the team's file, against the sandbox.
    fn accessctl(&self, args: &[&str]) -> Accessctl {
        Accessctl::new().sandbox(&self.sb).args(args).arg("-f").arg(&self.file)
    }

    async fn verdicts(&self) -> Vec<Verdict> {
        let files = source::read_files(std::slice::from_ref(&self.file)).unwrap();
        let cluster = config::load(&files).config.unwrap().clusters.remove(0);
        let (live, _) = read_cluster(&cluster, &Endpoints::sandbox(self.sb.url())).await.unwrap();
        let v = from_live(&live);
        PRINCIPALS.iter().map(|p| explain(&v, &Caller::parse(p).unwrap(), None).verdict).collect()
    }
}

async fn setup(seed: &str) -> Env {
    let sb = sandbox(seed, updates_take(30)).await;
    let dir = std::env::temp_dir().join(format!("accessctl-migrate-{}-{}", std::process::id(), fastrand::u32(..)));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("access.kdl");
    // The team's file: the cluster, and the RBAC half of console access: the console's role (AWS's
    // rules) bound to the group bob is mapped into.
    std::fs::write(
        &file,
        "cluster \"shop\" {\n    region \"eu-west-1\"\n    account \"111122223333\"\n\n    \
         cluster-role \"eks-console-dashboard-full-access-clusterrole\" preset=\"eks-console-full-access\"\n    \
         group-binding \"console-viewers\" cluster-role=\"eks-console-dashboard-full-access-clusterrole\"\n}\n",
    )
    .unwrap();
    let env = Env { sb, file };
    env.accessctl(&["apply", "--auto-approve"]).run();
    env
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrates_in_two_stages_and_everyone_keeps_access() {
    let env = setup(SEED).await;
    let before = env.verdicts().await;
    assert_eq!(before, vec![Verdict::Access; 4], "everyone gets in through aws-auth to begin with");

    env.accessctl(&["migrate", "--cluster", "shop", "--write"]).stdout_has("migration stage 1 of 2").run();
    env.accessctl(&["apply", "--auto-approve", "--allow", "one-way-mode"]).run();
    assert_eq!(env.verdicts().await, before, "stage one changes nobody's access");

    env.accessctl(&["migrate", "--cluster", "shop", "--write"]).stdout_has("migration stage 2 of 2").run();
    let text = std::fs::read_to_string(&env.file).unwrap();
    assert!(text.contains("authentication-mode \"API\"") && !text.contains("aws-auth"), "{text}");
    // The RBAC half stays: bob's entry carries his group, still bound to the console's role.
    assert!(text.contains("groups \"console-viewers\""), "{text}");
    assert!(
        text.contains(
            "group-binding \"console-viewers\" cluster-role=\"eks-console-dashboard-full-access-clusterrole\""
        ),
        "{text}"
    );
    assert!(text.contains("preset=\"eks-console-full-access\""), "{text}");
    env.accessctl(&["apply", "--auto-approve", "--allow", "one-way-mode"])
        .stdout_lacks("api-lockout")
        .stderr_lacks("api-lockout")
        .run();

    let c = eks(&env.sb.url()).describe_cluster().name("shop").send().await.unwrap();
    assert_eq!(c.cluster().unwrap().access_config().unwrap().authentication_mode().unwrap().as_str(), "API");
    assert_eq!(env.verdicts().await, before, "after the migration everyone who had access still has it");
    env.accessctl(&["plan", "--detailed-exitcode"]).run();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn map_accounts_blocks_the_final_step_and_says_who_would_lose_access() {
    let seed = format!("{SEED}      mapAccounts: |\n        - \"444455556666\"\n");
    let env = setup(&seed).await;
    env.accessctl(&["migrate", "--cluster", "shop", "--write"]).run();
    env.accessctl(&["apply", "--auto-approve", "--allow", "one-way-mode"]).run();
    // Stage two is not offered.
    env.accessctl(&["migrate", "--cluster", "shop", "--write"])
        .stdout_has("migration stage 1 of 2")
        .stdout_has("account 444455556666")
        .stdout_has("mapAccounts")
        .run();
    let text = std::fs::read_to_string(&env.file).unwrap();
    assert!(!text.contains("authentication-mode \"API\""), "{text}");

    // Forcing API by hand is caught by the plan's guard, which names them.
    let forced = text.replace("authentication-mode \"API_AND_CONFIG_MAP\"", "authentication-mode \"API\"");
    std::fs::write(&env.file, forced).unwrap();
    env.accessctl(&["apply", "--auto-approve", "--allow", "one-way-mode"])
        .status(1)
        .stdout_has("every principal of account 444455556666")
        .run();
}

/// The mapping the authenticator really uses is the one migrated: a role mapped twice gets one
/// entry, from the later item (here `system:masters`). A role's path, which aws-auth never holds,
/// comes from IAM (an IAM Identity Center role's `aws-reserved/sso.amazonaws.com/…` included);
/// a role IAM does not have is refused, naming it; a pathed item that never matched is not
/// carried over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrates_what_the_authenticator_uses_with_role_paths_from_iam() {
    let sso = "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0a1b2c";
    let seed = format!(
        "roles: [arn:aws:iam::111122223333:role/platform/Ops, {sso}]
clusters:
  - name: shop
    region: eu-west-1
    authenticationMode: CONFIG_MAP
    awsAuth:
      mapRoles: |
        - rolearn: arn:aws:iam::111122223333:role/ops
          username: ops
          groups: [viewers]
        - rolearn: arn:aws:iam::111122223333:role/OPS
          username: ops-admin
          groups: [system:masters]
        - rolearn: arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0a1b2c
          username: sso-admin
          groups: [system:masters]
        - rolearn: arn:aws:iam::111122223333:role/ghost
          groups: [system:masters]
        - rolearn: arn:aws:iam::111122223333:role/teams/deployer
          username: deployer
          groups: [deployers]
"
    );
    let env = setup(&seed).await;
    env.accessctl(&["migrate", "--cluster", "shop", "--write"])
        .stdout_has("role/ghost: IAM has no such role")
        .stdout_has("role/teams/deployer has a path and never matched")
        .run();
    let text = std::fs::read_to_string(&env.file).unwrap();
    assert_eq!(text.matches("access-entry").count(), 2, "one entry per principal:\n{text}");
    assert!(
        text.contains("access-entry \"arn:aws:iam::111122223333:role/platform/Ops\" username=\"ops-admin\""),
        "the later item is the one in force, and IAM gives the path:\n{text}"
    );
    assert!(text.contains(&format!("access-entry \"{sso}\" username=\"sso-admin\"")), "{text}");
    assert_eq!(text.matches("AmazonEKSClusterAdminPolicy").count(), 2, "{text}");
    assert!(!text.contains("deployer"), "nothing is written for a mapping that granted nothing:\n{text}");
}
