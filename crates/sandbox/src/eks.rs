//! The EKS REST-JSON API subset accessctl uses, with EKS's semantics (reference §1–3, §7):
//! one-way authentication modes with asynchronous updates, access entries with type-dependent
//! defaults and rules, policy associations, tags, pagination, and EKS's error shapes and texts.
//!
//! Operations are plain functions over `World`; the HTTP layer (`sandbox::server`) routes to them.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::faults::Faults;
use super::world::{Association, ClusterState, EntryState, Update, World};
use accessctl_core::model::arn::{PrincipalArn, PrincipalKind};
use accessctl_core::model::rules::{EntryType, EntryViolation, check_group, check_username};
use accessctl_core::model::{AuthMode, policy};

/// An EKS error: the exception name (sent as `x-amzn-ErrorType` and `__type`), its HTTP status,
/// and the message.
#[derive(Debug, Clone, PartialEq)]
pub struct EksError {
    pub kind: &'static str,
    pub status: u16,
    pub message: String,
    pub cluster_name: Option<String>,
}

impl EksError {
    fn new(kind: &'static str, status: u16, message: impl Into<String>) -> Self {
        EksError { kind, status, message: message.into(), cluster_name: None }
    }
    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new("InvalidParameterException", 400, message)
    }
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new("InvalidRequestException", 400, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new("ResourceNotFoundException", 404, message)
    }
    pub fn in_use(message: impl Into<String>) -> Self {
        Self::new("ResourceInUseException", 409, message)
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new("BadRequestException", 400, message)
    }
    pub fn throttling() -> Self {
        Self::new("ThrottlingException", 429, "Rate exceeded")
    }
    pub fn server() -> Self {
        Self::new("ServerException", 500, "An internal error occurred. Try again later.")
    }
    pub fn unavailable() -> Self {
        Self::new("ServiceUnavailableException", 503, "The service is unavailable. Try again later.")
    }
    fn cluster(mut self, name: &str) -> Self {
        self.cluster_name = Some(name.to_string());
        self
    }

    pub fn body(&self) -> Value {
        let mut body = json!({"message": self.message, "__type": self.kind});
        if let Some(c) = &self.cluster_name {
            body["clusterName"] = json!(c);
        }
        body
    }
}

impl From<EntryViolation> for EksError {
    fn from(v: EntryViolation) -> Self {
        EksError::invalid_parameter(v.eks_message())
    }
}

pub type EksResult = Result<Value, EksError>;

/// One EKS call, already routed: the operation's name and its decoded inputs.
#[derive(Debug)]
pub struct Call<'a> {
    pub operation: &'static str,
    /// Decoded path labels in order (cluster name, principal ARN, policy ARN, update id, resource ARN).
    pub labels: Vec<String>,
    pub query: &'a [(String, String)],
    pub body: Value,
}

impl Call<'_> {
    fn label(&self, i: usize) -> &str {
        self.labels.get(i).map(String::as_str).unwrap_or("")
    }
    fn query(&self, key: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
    fn query_all(&self, key: &str) -> Vec<&str> {
        self.query.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).collect()
    }
}

/// Executes one call against the world.
pub fn execute(world: &mut World, faults: &Faults, call: &Call<'_>, now: u64) -> EksResult {
    for cluster in world.clusters.values_mut() {
        cluster.advance(now);
    }
    match call.operation {
        "CreateCluster" => create_cluster(world, call, now),
        "ListClusters" => {
            let names: Vec<&String> = world.clusters.keys().collect();
            paginate(call, "clusters", names.into_iter().map(|n| json!(n)).collect(), json!({}))
        }
        "DescribeCluster" => {
            let c = cluster(world, call.label(0))?;
            Ok(json!({"cluster": describe_cluster(world, c)}))
        }
        "DeleteCluster" => {
            let c = world.clusters.remove(call.label(0)).ok_or_else(|| no_cluster(call.label(0)))?;
            let mut described = describe_cluster(world, &c);
            described["status"] = json!("DELETING");
            Ok(json!({"cluster": described}))
        }
        "UpdateClusterConfig" => update_cluster_config(cluster_mut(world, call.label(0))?, faults, call, now),
        "ListUpdates" => {
            let c = cluster(world, call.label(0))?;
            let ids = c.updates.iter().map(|u| json!(u.id)).collect();
            paginate(call, "updateIds", ids, json!({}))
        }
        "DescribeUpdate" => {
            let c = cluster(world, call.label(0))?;
            let u = c.updates.iter().find(|u| u.id == call.label(1)).ok_or_else(|| {
                EksError::not_found(format!("No update found for ID: {}", call.label(1))).cluster(&c.name)
            })?;
            Ok(json!({"update": describe_update(u)}))
        }
        "CreateAccessEntry" => create_entry(entries_cluster(world, call.label(0))?, faults, call, now),
        "ListAccessEntries" => {
            let c = entries_cluster(world, call.label(0))?;
            let filter = call.query("associatedPolicyArn");
            let arns = c
                .entries
                .values()
                .filter(|e| filter.is_none_or(|p| e.associations.contains_key(p)))
                .map(|e| json!(e.principal_arn))
                .collect();
            paginate(call, "accessEntries", arns, json!({}))
        }
        "DescribeAccessEntry" => {
            let c = entries_cluster(world, call.label(0))?;
            Ok(json!({"accessEntry": describe_entry(c, entry(c, call.label(1))?)}))
        }
        "UpdateAccessEntry" => update_entry(entries_cluster(world, call.label(0))?, call, now),
        "DeleteAccessEntry" => {
            let c = entries_cluster(world, call.label(0))?;
            entry(c, call.label(1))?;
            c.entries.remove(call.label(1));
            Ok(json!({}))
        }
        "AssociateAccessPolicy" => associate(entries_cluster(world, call.label(0))?, call, now),
        "ListAssociatedAccessPolicies" => {
            let c = entries_cluster(world, call.label(0))?;
            let e = entry(c, call.label(1))?;
            let items = e.associations.iter().map(|(arn, a)| describe_association(arn, a)).collect();
            let extra = json!({"clusterName": c.name, "principalArn": e.principal_arn});
            paginate(call, "associatedAccessPolicies", items, extra)
        }
        "DisassociateAccessPolicy" => {
            let c = entries_cluster(world, call.label(0))?;
            let e = entry_mut(c, call.label(1))?;
            if e.associations.remove(call.label(2)).is_none() {
                return Err(EksError::not_found(format!(
                    "The specified policyArn {} is not associated with the access entry.",
                    call.label(2)
                )));
            }
            Ok(json!({}))
        }
        "ListAccessPolicies" => {
            let items = policy::ACCESS_POLICIES
                .iter()
                .map(|n| json!({"name": n, "arn": policy::policy_arn("aws", n)}))
                .collect();
            paginate(call, "accessPolicies", items, json!({}))
        }
        "TagResource" => {
            let tags = string_map(&call.body["tags"])?;
            if tags.is_empty() || tags.len() > 50 {
                return Err(EksError::bad_request("tags must contain between 1 and 50 entries"));
            }
            let target = tag_target(world, call.label(0))?;
            target.extend(tags);
            Ok(json!({}))
        }
        "UntagResource" => {
            let keys = call.query_all("tagKeys");
            if keys.is_empty() {
                return Err(EksError::bad_request("tagKeys must contain between 1 and 50 entries"));
            }
            let target = tag_target(world, call.label(0))?;
            for k in keys {
                target.remove(k);
            }
            Ok(json!({}))
        }
        "ListTagsForResource" => Ok(json!({"tags": tag_target(world, call.label(0))?.clone()})),
        other => Err(EksError::bad_request(format!("unsupported operation {other}"))),
    }
}

fn no_cluster(name: &str) -> EksError {
    EksError::not_found(format!("No cluster found for name: {name}.")).cluster(name)
}

fn cluster<'w>(world: &'w World, name: &str) -> Result<&'w ClusterState, EksError> {
    world.clusters.get(name).ok_or_else(|| no_cluster(name))
}

fn cluster_mut<'w>(world: &'w mut World, name: &str) -> Result<&'w mut ClusterState, EksError> {
    world.clusters.get_mut(name).ok_or_else(|| no_cluster(name))
}

/// A cluster on which access-entry operations are allowed (reference §7 steps 1–2).
fn entries_cluster<'w>(world: &'w mut World, name: &str) -> Result<&'w mut ClusterState, EksError> {
    let c = cluster_mut(world, name)?;
    if !c.mode.uses_access_entries() {
        return Err(EksError::invalid_request(
            "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.",
        )
        .cluster(name));
    }
    Ok(c)
}

const NO_PRINCIPAL: &str = "The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'.";

fn entry<'c>(c: &'c ClusterState, principal: &str) -> Result<&'c EntryState, EksError> {
    c.entries.get(principal).ok_or_else(|| EksError::not_found(NO_PRINCIPAL).cluster(&c.name))
}

fn entry_mut<'c>(c: &'c mut ClusterState, principal: &str) -> Result<&'c mut EntryState, EksError> {
    let name = c.name.clone();
    c.entries.get_mut(principal).ok_or_else(|| EksError::not_found(NO_PRINCIPAL).cluster(&name))
}

/// Epoch seconds with millisecond fraction, as EKS sends timestamps.
fn ts(ms: u64) -> Value {
    json!(ms as f64 / 1000.0)
}

/// The Kubernetes API endpoint of a sandbox cluster.
pub fn endpoint_for(base_url: &str, cluster: &str) -> String {
    format!("{base_url}/k8s/{cluster}")
}

fn describe_cluster(world: &World, c: &ClusterState) -> Value {
    use base64::Engine;
    let ca = base64::engine::general_purpose::STANDARD.encode(&world.ca_pem);
    json!({
        "name": c.name, "arn": c.arn, "createdAt": ts(c.created_at), "version": "1.31",
        "endpoint": endpoint_for(&world.base_url, &c.name), "certificateAuthority": {"data": ca},
        "roleArn": format!("arn:aws:iam::{}:role/eks-cluster-role", c.account),
        "status": c.status(), "platformVersion": "eks.20", "tags": c.tags,
        "id": uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, c.arn.as_bytes()).to_string(),
        "accessConfig": {"bootstrapClusterCreatorAdminPermissions": c.bootstrap_admin, "authenticationMode": c.mode.as_str()},
    })
}

fn describe_update(u: &Update) -> Value {
    let errors = if u.status == "Failed" {
        json!([{"errorCode": "Unknown", "errorMessage": "The authentication mode update failed.", "resourceIds": []}])
    } else {
        json!([])
    };
    json!({
        "id": u.id, "status": u.status, "type": "AccessConfigUpdate",
        "params": [{"type": "AuthenticationMode", "value": serde_json::to_string(u.target.as_str()).unwrap_or_default()}],
        "createdAt": ts(u.created_at), "errors": errors,
    })
}

fn describe_entry(c: &ClusterState, e: &EntryState) -> Value {
    json!({
        "clusterName": c.name, "principalArn": e.principal_arn, "kubernetesGroups": e.groups,
        "accessEntryArn": e.arn, "createdAt": ts(e.created_at), "modifiedAt": ts(e.modified_at),
        "tags": e.tags, "username": e.username, "type": e.entry_type.as_str(),
    })
}

fn describe_association(policy_arn: &str, a: &Association) -> Value {
    json!({
        "policyArn": policy_arn,
        "accessScope": {"type": if a.cluster_scope { "cluster" } else { "namespace" }, "namespaces": a.namespaces},
        "associatedAt": ts(a.associated_at), "modifiedAt": ts(a.modified_at),
    })
}

fn create_cluster(world: &mut World, call: &Call<'_>, now: u64) -> EksResult {
    let b = &call.body;
    let name = b["name"].as_str().ok_or_else(|| EksError::invalid_parameter("name is required"))?;
    let valid = name.len() <= 100
        && name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid {
        return Err(EksError::invalid_parameter(format!("The cluster name {name} is invalid.")));
    }
    if b["roleArn"].as_str().is_none() || !b["resourcesVpcConfig"].is_object() {
        return Err(EksError::invalid_parameter("roleArn and resourcesVpcConfig are required"));
    }
    if world.clusters.contains_key(name) {
        return Err(EksError::in_use(format!("Cluster already exists with name: {name}")).cluster(name));
    }
    let mode = match b["accessConfig"]["authenticationMode"].as_str() {
        None => AuthMode::ConfigMap,
        Some(m) => AuthMode::parse(m)
            .ok_or_else(|| EksError::invalid_parameter(format!("Unsupported authentication mode {m}")))?,
    };
    let bootstrap = b["accessConfig"]["bootstrapClusterCreatorAdminPermissions"].as_bool().unwrap_or(true);
    if mode == AuthMode::ConfigMap && !bootstrap {
        return Err(EksError::invalid_parameter(
            "bootstrapClusterCreatorAdminPermissions must be true if cluster authentication mode is set to CONFIG_MAP",
        ));
    }
    let account = world.identity.account.clone();
    let region = "eu-west-1";
    let mut c = ClusterState::new(name, region, &account, mode, bootstrap, now);
    // The creator is the IAM principal behind the caller (a session becomes its role).
    c.creator = accessctl_core::access::Caller::parse(&world.identity.arn)
        .ok()
        .and_then(|c| c.principal())
        .map(|p| p.to_string());
    c.tags = string_map(&b["tags"]).unwrap_or_default();
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        world.put_namespace(&mut c, ns, now);
    }
    super::access::put_default_rbac(world, &mut c, now);
    if mode.uses_access_entries() {
        c.create_eks_managed_entries(now);
    }
    let described = describe_cluster(world, &c);
    world.clusters.insert(name.to_string(), c);
    Ok(json!({"cluster": described}))
}

fn update_cluster_config(c: &mut ClusterState, faults: &Faults, call: &Call<'_>, now: u64) -> EksResult {
    let b = &call.body;
    let categories = [
        "accessConfig",
        "resourcesVpcConfig",
        "logging",
        "upgradePolicy",
        "zonalShiftConfig",
        "computeConfig",
        "kubernetesNetworkConfig",
        "storageConfig",
        "remoteNetworkConfig",
        "deletionProtection",
        "controlPlaneScalingConfig",
    ];
    let given = categories.iter().filter(|k| !b[**k].is_null()).count();
    if given > 1 {
        return Err(EksError::invalid_parameter("Only one type of update can be allowed.").cluster(&c.name));
    }
    let Some(target) = b["accessConfig"]["authenticationMode"].as_str() else {
        return Err(EksError::invalid_parameter("No changes needed for the logging config provided").cluster(&c.name));
    };
    let target = AuthMode::parse(target)
        .ok_or_else(|| EksError::invalid_parameter(format!("Unsupported authentication mode {target}")))?;
    if let Some(u) = c.update_in_progress() {
        return Err(EksError::in_use(format!(
            "Cannot AccessConfigUpdate because cluster {} currently has update {} in progress",
            c.name, u.id
        ))
        .cluster(&c.name));
    }
    if c.mode.next() != Some(target) {
        return Err(EksError::invalid_parameter(format!(
            "Unsupported authentication mode update from {} to {}",
            c.mode.as_str(),
            target.as_str()
        ))
        .cluster(&c.name));
    }
    let update = Update {
        id: uuid::Uuid::new_v4().to_string(),
        status: "InProgress".into(),
        target,
        created_at: now,
        completes_at: now + faults.update_duration_ms,
        fail: faults.fail_updates,
    };
    let described = describe_update(&update);
    c.updates.push(update);
    Ok(json!({"update": described}))
}

fn string_list(v: &Value, what: &str) -> Result<Option<Vec<String>>, EksError> {
    match v {
        Value::Null => Ok(None),
        Value::Array(items) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| EksError::invalid_parameter(format!("{what} must be strings")))
            })
            .collect::<Result<_, _>>()
            .map(Some),
        _ => Err(EksError::invalid_parameter(format!("{what} must be a list"))),
    }
}

fn string_map(v: &Value) -> Result<BTreeMap<String, String>, EksError> {
    match v {
        Value::Null => Ok(BTreeMap::new()),
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| {
                v.as_str()
                    .map(|s| (k.clone(), s.to_string()))
                    .ok_or_else(|| EksError::bad_request("tag values must be strings"))
            })
            .collect(),
        _ => Err(EksError::bad_request("tags must be a map")),
    }
}

fn create_entry(c: &mut ClusterState, faults: &Faults, call: &Call<'_>, now: u64) -> EksResult {
    let b = &call.body;
    let principal_text =
        b["principalArn"].as_str().ok_or_else(|| EksError::invalid_parameter("principalArn is required"))?;
    let principal = PrincipalArn::parse(principal_text)
        .map_err(|_| EksError::invalid_parameter("The specified principalArn is invalid: invalid principal"))?;
    let entry_type = match b["type"].as_str() {
        None => EntryType::Standard,
        Some(t) => {
            EntryType::parse(t).ok_or_else(|| EksError::invalid_parameter(format!("The type {t} is invalid.")))?
        }
    };
    let groups = string_list(&b["kubernetesGroups"], "kubernetesGroups")?;
    let username = b["username"].as_str().map(str::to_string);
    check_entry_fields(entry_type, &principal, &c.account, groups.as_deref(), username.as_deref())?;
    let tags = string_map(&b["tags"])?;
    // One entry per IAM principal, however its ARN is spelled (EKS keys on the principal's id).
    let key = principal.identity_key();
    // Only an ARN ending in the same name can be the same principal: the others are not parsed
    // (a 3,000-entry cluster would otherwise parse every ARN on every create, under the lock).
    let same_name = |arn: &str| {
        let name = &principal.name;
        arn.len() > name.len()
            && arn.is_char_boundary(arn.len() - name.len())
            && arn[arn.len() - name.len()..].eq_ignore_ascii_case(name)
            && arn[..arn.len() - name.len()].ends_with('/')
    };
    let same = |arn: &str| same_name(arn) && PrincipalArn::parse(arn).is_ok_and(|p| p.identity_key() == key);
    if c.entries.values().any(|e| same(&e.principal_arn)) {
        return Err(
            EksError::in_use("The specified access entry resource is already in use on this cluster.").cluster(&c.name)
        );
    }
    if c.entries.len() >= 3000 {
        return Err(EksError::new(
            "ResourceLimitExceededException",
            400,
            "Cannot create access entry because the cluster already has the maximum number of access entries (3000).",
        )
        .cluster(&c.name));
    }
    let mut e = c.new_entry(&principal, entry_type, username, groups.unwrap_or_default(), now);
    e.tags = tags;
    e.visible_at = now + faults.consistency_delay_ms;
    let described = describe_entry(c, &e);
    c.entries.insert(principal.to_string(), e);
    Ok(json!({"accessEntry": described}))
}

/// The rules shared by create and update (reference §3.2–3.4).
fn check_entry_fields(
    entry_type: EntryType,
    principal: &PrincipalArn,
    cluster_account: &str,
    groups: Option<&[String]>,
    username: Option<&str>,
) -> Result<(), EksError> {
    if entry_type != EntryType::Standard {
        if principal.kind != PrincipalKind::Role || principal.account != cluster_account {
            return Err(EksError::invalid_parameter("The specified principalArn is invalid: invalid principal"));
        }
        if groups.is_some_and(|g| !g.is_empty()) {
            return Err(EntryViolation::NotStandard { what: "kubernetesGroups" }.into());
        }
        if let Some(u) = username {
            return Err(check_username(u).unwrap_or(EntryViolation::NotStandard { what: "username" }).into());
        }
        return Ok(());
    }
    for g in groups.unwrap_or_default() {
        if let Some(v) = check_group(g) {
            return Err(v.into());
        }
    }
    if let Some(v) = username.and_then(check_username) {
        return Err(v.into());
    }
    Ok(())
}

fn update_entry(c: &mut ClusterState, call: &Call<'_>, now: u64) -> EksResult {
    let account = c.account.clone();
    let e = entry_mut(c, call.label(1))?;
    let groups = string_list(&call.body["kubernetesGroups"], "kubernetesGroups")?;
    let username = call.body["username"].as_str().map(str::to_string);
    let principal = PrincipalArn::parse(&e.principal_arn).map_err(|_| EksError::server())?;
    check_entry_fields(e.entry_type, &principal, &account, groups.as_deref(), username.as_deref())?;
    if let Some(groups) = groups
        && e.entry_type == EntryType::Standard
    {
        e.groups = groups;
    }
    if let Some(username) = username {
        e.username = username;
    }
    e.modified_at = now;
    let e = e.clone();
    Ok(json!({"accessEntry": describe_entry(c, &e)}))
}

fn associate(c: &mut ClusterState, call: &Call<'_>, now: u64) -> EksResult {
    let cluster_name = c.name.clone();
    let e = entry_mut(c, call.label(1))?;
    if now < e.visible_at {
        return Err(EksError::not_found(NO_PRINCIPAL).cluster(&cluster_name));
    }
    let b = &call.body;
    let policy_arn = b["policyArn"].as_str().ok_or_else(|| EksError::invalid_parameter("policyArn is required"))?;
    let name = policy::policy_name_from_arn(policy_arn)
        .filter(|n| policy::is_known_policy(n))
        .ok_or_else(|| EksError::invalid_parameter(format!("The policyArn {policy_arn} is invalid.")))?;
    if !e.entry_type.allows_policy(name) {
        return Err(EntryViolation::NotStandard { what: "policies" }.into());
    }
    let scope = &b["accessScope"];
    let namespaces = string_list(&scope["namespaces"], "namespaces")?.unwrap_or_default();
    let cluster_scope = match scope["type"].as_str() {
        Some("cluster") if namespaces.is_empty() => true,
        Some("cluster") => {
            return Err(EksError::invalid_parameter(
                "Namespaces cannot be specified for an access scope of type cluster.",
            ));
        }
        Some("namespace") if !namespaces.is_empty() => false,
        Some("namespace") => {
            return Err(EksError::invalid_parameter(
                "Namespaces must be specified for an access scope of type namespace.",
            ));
        }
        _ => return Err(EksError::invalid_parameter("accessScope.type must be one of [cluster, namespace]")),
    };
    let associated_at = e.associations.get(policy_arn).map_or(now, |a| a.associated_at);
    let a = Association { namespaces, cluster_scope, associated_at, modified_at: now };
    let described = describe_association(policy_arn, &a);
    e.associations.insert(policy_arn.to_string(), a);
    let principal = e.principal_arn.clone();
    Ok(json!({"clusterName": cluster_name, "principalArn": principal, "associatedAccessPolicy": described}))
}

fn tag_target<'w>(world: &'w mut World, arn: &str) -> Result<&'w mut BTreeMap<String, String>, EksError> {
    if !arn.starts_with("arn:") {
        return Err(EksError::bad_request(format!("{arn} is not a valid ARN")));
    }
    let not_found = || EksError::new("NotFoundException", 404, format!("Resource {arn} not found"));
    for c in world.clusters.values_mut() {
        if c.arn == arn {
            return Ok(&mut c.tags);
        }
        if let Some(e) = c.entries.values_mut().find(|e| e.arn == arn) {
            return Ok(&mut e.tags);
        }
    }
    Err(not_found())
}

/// Pages `items` with `maxResults` (1–100, default 100) and an opaque `nextToken`.
fn paginate(call: &Call<'_>, key: &str, items: Vec<Value>, mut extra: Value) -> EksResult {
    let max = match call.query("maxResults") {
        None => 100,
        Some(m) => match m.parse::<usize>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => return Err(EksError::invalid_parameter("maxResults must be between 1 and 100")),
        },
    };
    let start = match call.query("nextToken") {
        None | Some("") => 0,
        Some(t) => decode_token(t).ok_or_else(|| EksError::invalid_parameter("The nextToken is invalid."))?,
    };
    let end = (start + max).min(items.len());
    let page: Vec<Value> = items.get(start.min(items.len())..end).unwrap_or_default().to_vec();
    extra[key] = Value::Array(page);
    extra["nextToken"] = if end < items.len() { json!(encode_token(end)) } else { Value::Null };
    Ok(extra)
}

fn encode_token(offset: usize) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("accessctl-sandbox:{offset}"))
}

fn decode_token(token: &str) -> Option<usize> {
    use base64::Engine;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token).ok()?;
    String::from_utf8(raw).ok()?.strip_prefix("accessctl-sandbox:")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip() {
        assert_eq!(decode_token(&encode_token(42)), Some(42));
        assert_eq!(decode_token("garbage"), None);
    }
}
