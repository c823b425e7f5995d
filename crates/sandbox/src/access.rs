//! The sandbox enforces access as EKS does, by asking the access model: every request to a
//! cluster's Kubernetes API is authenticated (the EKS token's signer → its STS identity →
//! [`access::authenticate`] over the cluster's mode, access entries and aws-auth) and authorized
//! ([`access::authorize`] over RBAC and the entry's access policies), answering 401 and 403 with
//! Kubernetes' own Status bodies. SelfSubjectAccessReview (`kubectl auth can-i`) asks the same.
//!
//! The one identity outside the model is the static token `sandbox` of the kubeconfig that
//! `accessctl sandbox --kubeconfig` writes: a break-glass administrator (`system:masters`), as
//! the creator of a CONFIG_MAP cluster is on EKS.

use serde_json::{Value, json};

use super::world::{ClusterState, World, object_key, rfc3339};
use accessctl_core::access::state::made_for_earlier_principal;
use accessctl_core::access::{
    self, Association, Caller, ClusterAccess, Entry, Identity, Known, Lookups, Outcome, Rbac, Request, Via,
};
use accessctl_core::aws_auth::AwsAuthData;
use accessctl_core::model::{AccessScope, PrincipalArn, policy};

/// The static bearer token of the sandbox's kubeconfig.
pub const STATIC_ADMIN_TOKEN: &str = "sandbox";

/// The label Kubernetes puts on the RBAC objects it creates itself.
const BOOTSTRAP_LABEL: &str = "kubernetes.io/bootstrapping";

/// EC2 as the sandbox pretends it: every instance id has a private DNS name.
pub struct SandboxEc2<'a> {
    pub region: &'a str,
}

impl Lookups for SandboxEc2<'_> {
    fn ec2_private_dns_name(&self, instance_id: &str) -> Option<String> {
        let n = instance_id.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32));
        let region = self.region;
        Some(format!("ip-10-0-{}-{}.{region}.compute.internal", (n >> 8) % 256, n % 256))
    }
}

/// The cluster's access state, as the model reads it.
pub fn cluster_access(world: &World, cluster: &ClusterState) -> ClusterAccess {
    let entries = cluster
        .entries
        .values()
        .filter_map(|e| {
            let principal = PrincipalArn::parse(&e.principal_arn).ok()?;
            let policies = e
                .associations
                .iter()
                .filter_map(|(arn, a)| {
                    let name = policy::policy_name_from_arn(arn)?.to_string();
                    let scope = if a.cluster_scope {
                        AccessScope::Cluster
                    } else {
                        AccessScope::Namespace(a.namespaces.clone())
                    };
                    Some(Association { policy: name, scope })
                })
                .collect();
            // An entry made before its principal was re-created matches nobody: the same rule,
            // on the same dates, that accessctl reads from EKS and IAM.
            let made_for_earlier_principal = world
                .iam_principal(&principal)
                .is_some_and(|p| made_for_earlier_principal(e.created_at as i64, p.reported_created_at() as i64));
            Some(Entry {
                principal,
                entry_type: e.entry_type,
                username: e.username.clone(),
                groups: e.groups.clone(),
                policies,
                made_for_earlier_principal,
            })
        })
        .collect();
    let aws_auth = match cluster.objects.get(&object_key("configmaps", "kube-system", "aws-auth")) {
        None => Known::Known(None),
        // As the authenticator: a key that does not parse is left out, the others still count.
        Some(cm) => {
            let data = serde_json::from_value(cm["data"].clone()).unwrap_or_default();
            Known::Known(Some(AwsAuthData::parse_as_authenticator(&data)))
        }
    };
    let rbac = match Rbac::from_objects(cluster.objects.values()) {
        Ok(r) => Known::Known(r),
        Err(e) => Known::Unknown(format!("an RBAC object does not parse: {e}")),
    };
    ClusterAccess {
        name: cluster.name.clone(),
        mode: cluster.mode,
        entries: Known::Known(entries),
        aws_auth,
        creator: Known::Known(cluster.creator.as_deref().and_then(|c| PrincipalArn::parse(c).ok())),
        rbac,
    }
}

/// Who a bearer token is: the static administrator, or an EKS token's signer.
pub enum Bearer {
    StaticAdmin,
    Caller(Caller),
}

/// Authenticates a bearer token for `cluster`, or answers why not (always "Unauthorized" on the
/// wire, as the API server says no more).
pub fn bearer(world: &World, cluster: &str, token: Option<&str>) -> Result<Bearer, String> {
    let token = token.ok_or("no bearer token")?;
    if token == STATIC_ADMIN_TOKEN {
        return Ok(Bearer::StaticAdmin);
    }
    if !token.starts_with("k8s-aws-v1.") {
        return Err("not an EKS token".into());
    }
    let secret_of = |k: &str| world.credentials.get(k).map(|c| c.secret.clone());
    let verified =
        super::token::verify(token, cluster, std::time::SystemTime::now(), secret_of).map_err(|e| e.to_string())?;
    let credential = world.credentials.get(&verified.access_key).ok_or("unknown access key")?;
    let caller = Caller::parse(&credential.arn).map_err(|e| e.to_string())?;
    Ok(Bearer::Caller(caller.with_credentials(Some(verified.access_key), Some(credential.user_id.clone()))))
}

/// The model's answer for a request by `caller` on `cluster`.
pub fn decide(world: &World, cluster: &ClusterState, caller: &Caller, req: &Request) -> Outcome {
    access::decide(&cluster_access(world, cluster), caller, req, &SandboxEc2 { region: &cluster.region })
}

/// The static administrator's identity.
pub fn static_admin() -> Identity {
    Identity {
        username: "kubernetes-admin".into(),
        groups: vec!["system:masters".into()],
        via: Via::ClusterCreator { principal: "static token".into() },
        policies: vec![],
        unresolved: vec![],
    }
}

/// A Kubernetes Status body.
pub fn status(code: u16, reason: &str, message: &str, details: Value) -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
           "reason": reason, "details": details, "code": code})
}

/// The 403 the API server answers.
pub fn forbidden(username: &str, req: &Request, decision: &access::Decision) -> Value {
    let message = access::forbidden_message_for(username, req, decision);
    let details = match req {
        Request::Resource(r) => {
            let mut d = json!({"group": r.group, "kind": r.resource});
            if let Some(n) = &r.name {
                d["name"] = json!(n);
            }
            d
        }
        Request::NonResource { .. } => json!({}),
    };
    status(403, "Forbidden", &message, details)
}

/// Answers a SelfSubjectReview (`kubectl auth whoami`): who the caller is to Kubernetes.
pub fn self_subject_review(identity: &Identity) -> Value {
    json!({"kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1",
           "metadata": {"creationTimestamp": null},
           "status": {"userInfo": {"username": identity.username, "groups": identity.all_groups()}}})
}

/// Answers a SelfSubjectAccessReview: the review's attributes, decided for the caller.
pub fn self_subject_access_review(
    world: &World,
    cluster: &ClusterState,
    identity: &Identity,
    body: &[u8],
) -> Result<Value, (u16, Value)> {
    let review: Value = serde_json::from_slice(body)
        .map_err(|e| (400, status(400, "BadRequest", &format!("the body could not be decoded: {e}"), json!({}))))?;
    let spec = &review["spec"];
    let Some(req) = review_request(spec) else {
        let message = "SelfSubjectAccessReview.authorization.k8s.io \"\" is invalid: spec.resourceAttributes: \
                       Invalid value: \"null\": exactly one of nonResourceAttributes or resourceAttributes must be specified";
        return Err((422, status(422, "Invalid", message, json!({"kind": "SelfSubjectAccessReview"}))));
    };
    let decision = access::authorize(&cluster_access(world, cluster), identity, &req);
    let mut status_body = json!({"allowed": decision.allowed()});
    if let access::Decision::Allowed { grant } = &decision {
        status_body["reason"] = json!(accessctl_core::explain::describe_grant(grant));
    }
    Ok(json!({"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
              "metadata": {"creationTimestamp": null}, "spec": spec, "status": status_body}))
}

/// The request an access review's `spec` asks about (`resourceAttributes` or
/// `nonResourceAttributes`), as SelfSubjectAccessReview and SubjectAccessReview write it.
pub fn review_request(spec: &Value) -> Option<Request> {
    let s = |v: &Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_string);
    if let Some(r) = spec.get("resourceAttributes").filter(|v| v.is_object()) {
        Some(Request::Resource(access::request::ResourceRequest {
            verb: s(&r["verb"]).unwrap_or_default(),
            group: s(&r["group"]).unwrap_or_default(),
            resource: s(&r["resource"]).unwrap_or_default(),
            subresource: s(&r["subresource"]),
            namespace: s(&r["namespace"]),
            name: s(&r["name"]),
        }))
    } else {
        let n = spec.get("nonResourceAttributes").filter(|v| v.is_object())?;
        Some(Request::NonResource { verb: s(&n["verb"]).unwrap_or_default(), path: s(&n["path"]).unwrap_or_default() })
    }
}

/// Creates the RBAC objects a new Kubernetes API server creates: the default cluster roles and
/// their bindings, labelled as Kubernetes labels them.
pub fn put_default_rbac(world: &mut World, cluster: &mut ClusterState, now: u64) {
    let defaults = Rbac::kubernetes_defaults();
    for role in &defaults.roles {
        let rv = world.next_rv();
        cluster.objects.insert(
            object_key("clusterroles", "", &role.name),
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                   "metadata": {"name": role.name, "labels": {BOOTSTRAP_LABEL: "rbac-defaults"},
                                "uid": uuid::Uuid::new_v4().to_string(), "resourceVersion": rv.to_string(),
                                "creationTimestamp": rfc3339(now)},
                   "rules": role.rules}),
        );
    }
    for b in &defaults.bindings {
        let rv = world.next_rv();
        cluster.objects.insert(
            object_key("clusterrolebindings", "", &b.name),
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                   "metadata": {"name": b.name, "labels": {BOOTSTRAP_LABEL: "rbac-defaults"},
                                "uid": uuid::Uuid::new_v4().to_string(), "resourceVersion": rv.to_string(),
                                "creationTimestamp": rfc3339(now)},
                   "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": b.role_name},
                   "subjects": b.subjects.iter().map(|s| {
                       let mut v = json!({"kind": s.kind, "name": s.name});
                       if s.kind != "ServiceAccount" { v["apiGroup"] = json!("rbac.authorization.k8s.io"); }
                       if let Some(ns) = &s.namespace { v["namespace"] = json!(ns); }
                       v
                   }).collect::<Vec<_>>()}),
        );
    }
}
