//! The plan's JSON is a contract for pipelines: this golden test pins its whole shape — changes,
//! typed `kept` reasons and `notes`, guards, problems — for one plan that has a bit of everything
//! (a mode step to API that would strand an aws-auth administrator, entries, policies, a preset role
//! and its binding, mappings another owner and nobody own). Only what differs from run to run is
//! redacted: the live-state digest and the file's path.

mod common;

use common::*;

const SEED: &str = "clusters:
  - name: shop
    region: eu-west-1
    authenticationMode: API_AND_CONFIG_MAP
    awsAuth:
      mapRoles: |
        - rolearn: arn:aws:iam::111122223333:role/nodes
          username: system:node:{{EC2PrivateDNSName}}
          groups: [system:bootstrappers, system:nodes]
      mapUsers: |
        - userarn: arn:aws:iam::111122223333:user/carol
          username: carol
          groups: [system:masters]
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plan_json_keeps_its_shape() {
    let sb = sandbox(SEED, updates_take(0)).await;
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/plan.kdl");
    let run = Accessctl::new().sandbox(&sb).args(&["plan", "-f", file, "--output", "json"]).run();
    let mut plan: serde_json::Value = serde_json::from_str(&run.stdout).expect("plan --output json prints JSON");
    for cluster in plan["clusters"].as_array_mut().expect("clusters") {
        assert_eq!(cluster["fingerprint"].as_str().map(str::len), Some(64), "a SHA-256 digest");
        cluster["fingerprint"] = "[digest]".into();
    }
    insta::assert_snapshot!("plan_json", serde_json::to_string_pretty(&plan).unwrap());
}
