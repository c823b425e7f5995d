//! The sandbox as a real kube-apiserver's webhooks, so a real API server lets EKS principals in
//! and applies access policies as EKS does:
//! - `POST /_sandbox/webhook/<cluster>/authenticate`: a TokenReview (authentication.k8s.io/v1), as
//!   aws-iam-authenticator serves it — the EKS token verified for `<cluster>`, the caller
//!   authenticated by the access model (entries, aws-auth, mode), the identity answered with the
//!   authenticator's `uid` and `extra`;
//! - `POST /_sandbox/webhook/<cluster>/authorize`: a SubjectAccessReview
//!   (authorization.k8s.io/v1), answered from the access policies of the entry the caller came in
//!   through. RBAC stays the real API server's: this webhook has no opinion on anything else.

use serde_json::{Value, json};

use super::world::World;
use accessctl_core::access::{self, Caller, ClusterAccess, Known, Rbac};

/// Answers a TokenReview for `cluster`.
pub fn token_review(world: &World, cluster: &str, body: &[u8]) -> Value {
    let review: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let token = review["spec"]["token"].as_str();
    let refuse = |why: &str| {
        json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview",
               "status": {"authenticated": false, "error": why}})
    };
    let Some(state) = world.clusters.get(cluster) else { return refuse("no such cluster") };
    let caller = match super::access::bearer(world, cluster, token) {
        Ok(super::access::Bearer::Caller(c)) => c,
        Ok(super::access::Bearer::StaticAdmin) => return refuse("static tokens are the API server's own"),
        Err(why) => return refuse(&why),
    };
    let access = super::access::cluster_access(world, state);
    match access::authenticate(&access, &caller, &super::access::SandboxEc2 { region: &state.region }) {
        access::Authentication::Authenticated(identity) => {
            let principal_id = caller.user_id.clone().unwrap_or_default();
            json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview",
            "status": {"authenticated": true, "user": {
                "username": identity.username,
                "uid": format!("aws-iam-authenticator:{}:{principal_id}", caller.account),
                "groups": identity.groups,
                "extra": {
                    "arn": [caller.arn],
                    "canonicalArn": [caller.canonical],
                    "sessionName": [caller.session.clone().unwrap_or_default()],
                    "accessKeyId": [caller.access_key.clone().unwrap_or_default()],
                    "principalId": [principal_id],
                }}}})
        }
        access::Authentication::Refused(_) => refuse("not mapped"),
        access::Authentication::Unknown { reason } => refuse(&reason),
    }
}

/// Answers a SubjectAccessReview for `cluster` from access policies alone.
pub fn subject_access_review(world: &World, cluster: &str, body: &[u8]) -> Value {
    let review: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let spec = &review["spec"];
    let answer = |allowed: bool, reason: String| {
        json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
               "status": {"allowed": allowed, "reason": reason}})
    };
    let Some(state) = world.clusters.get(cluster) else { return answer(false, String::new()) };
    // The caller is the one the authentication webhook answered for: its ARN is in `extra`.
    let Some(arn) = spec["extra"]["arn"][0].as_str() else { return answer(false, String::new()) };
    let Ok(caller) = Caller::parse(arn) else { return answer(false, String::new()) };
    let access = ClusterAccess { rbac: Known::Known(Rbac::default()), ..super::access::cluster_access(world, state) };
    let lookups = super::access::SandboxEc2 { region: &state.region };
    let Some(identity) = access::authenticate(&access, &caller, &lookups).identity().cloned() else {
        return answer(false, String::new());
    };
    if spec["user"].as_str() != Some(identity.username.as_str()) {
        return answer(false, String::new());
    }
    let Some(request) = super::access::review_request(spec) else { return answer(false, String::new()) };
    // Only what the entry's policies grant: the API server's own RBAC decides the rest.
    let policies_only = access::Identity { groups: vec![], username: String::new(), ..identity };
    match access::authorize(&access, &policies_only, &request) {
        access::Decision::Allowed { grant } => answer(true, accessctl_core::explain::describe_grant(&grant)),
        _ => answer(false, String::new()),
    }
}
