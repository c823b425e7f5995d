//! Reading a cluster's live access state: DescribeCluster, every access entry with its policy
//! associations (bounded concurrency), the aws-auth ConfigMap and the RBAC bindings accessctl
//! manages, and who is calling (STS GetCallerIdentity).

use std::collections::BTreeMap;

use aws_sdk_eks::error::ProvideErrorMetadata;
use futures_util::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use kube::api::{Api, ListParams};

use std::sync::Arc;

use super::aws::{ClusterClients, Endpoints, clients_for};
use super::failure::Failure;
use super::kubernetes::with_retries;
use super::limiter::Limiter;
use crate::access::Known;
use crate::aws_auth::{self, AwsAuthData};
use crate::model::PrincipalArn;
use crate::model::rules::EntryType;
use crate::model::{AccessScope, AuthMode, BindingTarget, Cluster, policy};
use crate::ownership::DEFAULT_OWNER;
use accessctl_core::live::{IamPrincipal, IamView};
pub use accessctl_core::live::{
    LiveAwsAuth, LiveBinding, LiveCluster, LiveEntry, LiveRole, MANAGED_BY, MANAGED_BY_LABEL, OWNER_LABEL,
    OWNERSHIP_TAG, binding_key,
};

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cluster `{cluster}`: {operation} failed: {message}")]
    Aws { cluster: String, operation: &'static str, message: String, failure: Failure },
    #[error("cluster `{cluster}`: the aws-auth ConfigMap cannot be read: {message}")]
    AwsAuth { cluster: String, message: String },
    #[error(
        "cluster `{cluster}`: its Kubernetes API cannot be read ({message}); without aws-auth and RBAC nobody's access can be known"
    )]
    Kubernetes { cluster: String, message: String },
    #[error("cluster `{cluster}`: {what} is `{value}`, which accessctl does not know")]
    Unexpected { cluster: String, what: &'static str, value: String },
}

impl miette::Diagnostic for ReadError {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(match self {
            ReadError::Aws { failure, .. } => failure.code(),
            ReadError::AwsAuth { .. } => "accessctl::kubernetes::aws_auth_unreadable",
            ReadError::Kubernetes { .. } => "accessctl::kubernetes::unreadable",
            ReadError::Unexpected { .. } => "accessctl::aws::unexpected",
        }))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(match self {
            ReadError::Aws { failure, .. } => failure.help(),
            ReadError::AwsAuth { .. } => {
                "fix the ConfigMap (`kubectl edit -n kube-system configmap aws-auth`): accessctl never writes over \
                 what it cannot read"
            }
            ReadError::Kubernetes { .. } => {
                "the caller must reach the cluster's endpoint and read kube-system/aws-auth and RBAC: give it an \
                 access entry with AmazonEKSClusterAdminPolicy (or a system:masters mapping)"
            }
            ReadError::Unexpected { .. } => {
                "EKS answered something this accessctl does not know: a newer accessctl may; nothing was planned on a guess"
            }
        }))
    }
}

/// Every cluster that could not be read, each with its code and help.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("cannot read live state ({} of the clusters)", errors.len())]
#[diagnostic(code(accessctl::read))]
pub struct ReadErrors {
    #[related]
    pub errors: Vec<ReadError>,
}

/// A failed AWS call: its kind and its message.
pub fn failed<E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static>(
    e: &aws_sdk_eks::error::SdkError<E>,
) -> (Failure, String) {
    (Failure::of(e), aws_message(e))
}

/// A failed AWS call as a person reads it: the service's code and message, or the chain of
/// causes (each once) — never the SDK's debug dump.
pub fn aws_message<E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static>(
    e: &aws_sdk_eks::error::SdkError<E>,
) -> String {
    match (e.code(), e.message()) {
        (Some(code), Some(msg)) => format!("{code}: {msg}"),
        (Some(code), None) => code.to_string(),
        _ if Failure::of(e) == Failure::TimedOut => {
            "no answer in time (each call may take --timeout seconds, retries included four times that)".into()
        }
        _ => causes(e),
    }
}

/// An error and its sources, each said once, joined by `: `.
pub fn causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = vec![];
    let mut current = Some(e);
    while let Some(cause) = current {
        let text = cause.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = cause.source();
    }
    parts.join(": ")
}

/// Everything needed to act on a cluster after reading it.
#[derive(Clone)]
pub struct Connection {
    pub cluster: String,
    pub clients: ClusterClients,
    pub kube: Option<kube::Client>,
}

pub async fn read_cluster(cluster: &Cluster, endpoints: &Endpoints) -> Result<(LiveCluster, Connection), ReadError> {
    read_with(cluster, clients_for(cluster, endpoints).await).await
}

/// Reads a cluster with clients already made (apply re-reads with the run's own).
pub async fn read_with(cluster: &Cluster, clients: ClusterClients) -> Result<(LiveCluster, Connection), ReadError> {
    let err = |operation: &'static str, (failure, message): (Failure, String)| ReadError::Aws {
        cluster: cluster.name.clone(),
        operation,
        message,
        failure,
    };

    let (described, caller) = tokio::join!(
        async {
            let _permit = clients.limiter.acquire().await;
            clients.eks.describe_cluster().name(&cluster.name).send().await
        },
        clients.sts.get_caller_identity().send()
    );
    let described = described.map_err(|e| err("DescribeCluster", failed(&e)))?;
    let caller = caller.map_err(|e| err("GetCallerIdentity", failed(&e)))?;
    let caller_arn = caller.arn().unwrap_or_default().to_string();
    let caller = canonical_caller(&caller_arn);
    let c = described
        .cluster()
        .ok_or_else(|| err("DescribeCluster", (Failure::Service, "no cluster in the answer".into())))?;
    // No access config at all is a cluster made before access entries existed: CONFIG_MAP. A mode
    // accessctl does not know is an error, never a default.
    let mode = match c.access_config().and_then(|a| a.authentication_mode()) {
        None => AuthMode::ConfigMap,
        Some(m) => AuthMode::parse(m.as_str()).ok_or_else(|| ReadError::Unexpected {
            cluster: cluster.name.clone(),
            what: "the authentication mode",
            value: m.as_str().to_string(),
        })?,
    };
    let status = c.status().map(|s| s.as_str().to_string()).unwrap_or_default();
    let endpoint = c.endpoint().map(str::to_string);
    let ca = c.certificate_authority().and_then(|a| a.data()).map(str::to_string);

    let account = c.arn().and_then(|a| a.split(':').nth(4)).map(str::to_string);
    let arn_region = c.arn().and_then(|a| a.split(':').nth(3)).filter(|r| !r.is_empty()).map(str::to_string);
    let mut live = LiveCluster {
        name: cluster.name.clone(),
        status,
        mode,
        account,
        arn_region,
        caller,
        caller_arn,
        endpoint,
        ca,
        entries: BTreeMap::new(),
        aws_auth: None,
        bindings: BTreeMap::new(),
        roles: BTreeMap::new(),
        rbac: crate::access::Known::Unknown("the Kubernetes API was not read".into()),
        kube_unreachable: None,
        iam: Known::Unknown("IAM was not read".into()),
    };
    // The three sides are independent once DescribeCluster has answered: read them at once.
    let entries = async {
        if live.mode.uses_access_entries() {
            read_entries(&clients.eks, &clients.limiter, &cluster.name)
                .await
                .map_err(|m| err("reading access entries", m))
        } else {
            Ok(BTreeMap::new())
        }
    };
    let iam = read_iam(&clients.iam, live.account.as_deref(), &live.caller_arn);
    let kubernetes = read_kubernetes_side(cluster, &live, &clients);
    let (entries, iam, kubernetes) = tokio::join!(entries, iam, kubernetes);
    live.entries = entries?;
    live.iam = iam;
    let kube = match kubernetes? {
        KubernetesSide::Read { client, state, rbac } => {
            live.aws_auth = state.aws_auth;
            live.bindings = state.bindings;
            live.roles = state.roles;
            live.rbac = Known::Known(rbac);
            Some(client)
        }
        KubernetesSide::NotServing(why) => {
            live.rbac = Known::Unknown(format!("the Kubernetes API is not served yet: {why}"));
            live.kube_unreachable = Some(why);
            None
        }
    };
    Ok((live, Connection { cluster: cluster.name.clone(), clients, kube }))
}

/// The roles and users of the cluster's account. Unknown, saying why, when these credentials are
/// of another account (IAM would answer for theirs) or may not list them: nothing is then checked
/// against IAM, and what needs it (a permission set by name) cannot be planned.
async fn read_iam(iam: &aws_sdk_iam::Client, account: Option<&str>, caller_arn: &str) -> Known<IamView> {
    let caller_account = caller_arn.split(':').nth(4).unwrap_or_default();
    let Some(account) = account else {
        return Known::Unknown("the cluster's ARN names no account".into());
    };
    if caller_account != account {
        return Known::Unknown(format!(
            "these credentials are of account {caller_account}, and IAM answers for theirs, not for account \
             {account}, which owns the cluster: give the cluster `assume-role` into {account}"
        ));
    }
    let (roles, users): (Result<Vec<_>, _>, Result<Vec<_>, _>) = tokio::join!(
        iam.list_roles().into_paginator().items().send().try_collect(),
        iam.list_users().into_paginator().items().send().try_collect()
    );
    let roles = match roles {
        Ok(r) => r,
        Err(e) => return Known::Unknown(format!("IAM ListRoles failed: {}", aws_message(&e))),
    };
    let users = match users {
        Ok(u) => u,
        Err(e) => return Known::Unknown(format!("IAM ListUsers failed: {}", aws_message(&e))),
    };
    let principal = |arn: &str, id: &str, created: &aws_sdk_iam::primitives::DateTime| {
        Some(IamPrincipal {
            arn: PrincipalArn::parse(arn).ok()?,
            id: id.to_string(),
            created: created.to_millis().ok()?,
        })
    };
    Known::Known(IamView {
        account: account.to_string(),
        roles: roles.iter().filter_map(|r| principal(r.arn(), r.role_id(), r.create_date())).collect(),
        users: users.iter().filter_map(|u| principal(u.arn(), u.user_id(), u.create_date())).collect(),
    })
}

/// What the cluster's Kubernetes API holds, or why it is not served yet.
enum KubernetesSide {
    Read { client: kube::Client, state: Box<KubeState>, rbac: crate::access::Rbac },
    NotServing(String),
}

/// The Kubernetes side of a cluster. Before the cluster serves its API there is nothing to read
/// yet; after, a failed read is an error: guards computed against "no aws-auth" would let a
/// lockout through.
async fn read_kubernetes_side(
    cluster: &Cluster,
    live: &LiveCluster,
    clients: &ClusterClients,
) -> Result<KubernetesSide, ReadError> {
    let serving = matches!(live.status.as_str(), "ACTIVE" | "UPDATING") || cluster.kubernetes.is_some();
    let kube_error = |message: String| ReadError::Kubernetes { cluster: cluster.name.clone(), message };
    let client = match kube_client(cluster, live, clients).await {
        Ok(k) => k,
        Err(why) if serving => return Err(kube_error(why)),
        Err(why) => return Ok(KubernetesSide::NotServing(why)),
    };
    let (state, rbac) = match read_kubernetes(&client).await {
        Ok(read) => read,
        Err(KubeReadError::AwsAuth(message)) => {
            return Err(ReadError::AwsAuth { cluster: cluster.name.clone(), message });
        }
        Err(KubeReadError::Unreachable(why)) => return Err(kube_error(why)),
    };
    Ok(KubernetesSide::Read { client, state: Box::new(state), rbac })
}

/// The IAM principal behind the caller (a session becomes its role), or the ARN as STS said it.
fn canonical_caller(arn: &str) -> String {
    crate::access::Caller::parse(arn).map(|c| c.canonical).unwrap_or_else(|_| arn.to_string())
}

async fn read_entries(
    eks: &aws_sdk_eks::Client,
    limiter: &Arc<Limiter>,
    cluster: &str,
) -> Result<BTreeMap<String, LiveEntry>, (Failure, String)> {
    // Entries are described as the list pages arrive, not once the whole list is in; each page
    // is a call in the budget too.
    let pages = eks.list_access_entries().cluster_name(cluster).into_paginator().send();
    let principals = futures_util::stream::unfold(pages, |mut pages| async move {
        let permit = limiter.acquire().await;
        let page = pages.next().await;
        drop(permit);
        page.map(|page| (page, pages))
    })
    .flat_map(|page| {
        let items: Vec<_> = match page {
            Ok(page) => page.access_entries().iter().cloned().map(Ok).collect(),
            Err(e) => vec![Err(e)],
        };
        futures_util::stream::iter(items)
    });
    let read: Vec<Result<LiveEntry, String>> = principals
        .map(|listed| async move {
            match listed {
                Ok(principal) => read_entry(eks, limiter, cluster, principal).await,
                Err(e) => Err(failed(&e)),
            }
        })
        // As many entries at once as the account's budget could take; the budget decides.
        .buffer_unordered(limiter.ceiling())
        .try_collect()
        .await?;
    let (entries, gone): (Vec<_>, Vec<_>) = read.into_iter().partition(Result::is_ok);
    // An entry listed, then not found, was deleted in between (another apply, a person) — or
    // EKS answers inconsistently. A second listing tells which: gone from it, it is gone; still
    // listed, its state is unknown, and that is an error, never "no entry".
    let gone: Vec<String> = gone.into_iter().filter_map(Result::err).collect();
    if !gone.is_empty() {
        let now = list_principals(eks, cluster).await?;
        if let Some(p) = gone.iter().find(|p| now.contains(p)) {
            return Err((Failure::Service, format!("the access entry of {p} is listed but EKS cannot find it")));
        }
    }
    Ok(entries.into_iter().filter_map(Result::ok).map(|e| (e.principal.clone(), e)).collect())
}

async fn list_principals(eks: &aws_sdk_eks::Client, cluster: &str) -> Result<Vec<String>, (Failure, String)> {
    eks.list_access_entries()
        .cluster_name(cluster)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| failed(&e))
}

/// One listed entry with its policies; `Err(principal)` inside when EKS no longer finds it.
async fn read_entry(
    eks: &aws_sdk_eks::Client,
    limiter: &Arc<Limiter>,
    cluster: &str,
    principal: String,
) -> Result<Result<LiveEntry, String>, (Failure, String)> {
    let service = |message: String| (Failure::Service, message);
    let (described, associated) = tokio::join!(
        async {
            let _permit = limiter.acquire().await;
            eks.describe_access_entry().cluster_name(cluster).principal_arn(&principal).send().await
        },
        async {
            let _permit = limiter.acquire().await;
            eks.list_associated_access_policies()
                .cluster_name(cluster)
                .principal_arn(&principal)
                .into_paginator()
                .send()
                .try_collect()
                .await
        }
    );
    let not_found = |f: Failure| f == Failure::NotFound;
    let described = match described {
        Err(e) if not_found(Failure::of(&e)) => return Ok(Err(principal)),
        d => d.map_err(|e| (Failure::of(&e), format!("DescribeAccessEntry {principal}: {}", aws_message(&e))))?,
    };
    let e =
        described.access_entry().ok_or_else(|| service(format!("DescribeAccessEntry {principal}: empty answer")))?;
    let entry_type = match e.r#type() {
        None => EntryType::Standard,
        Some(t) => EntryType::parse(t)
            .ok_or_else(|| service(format!("DescribeAccessEntry {principal}: unknown type `{t}`")))?,
    };
    let mut policies = BTreeMap::new();
    // A listing that failed is not "no policies": the plan would re-associate, the guards would
    // count the principal out.
    let associated: Result<Vec<_>, _> = associated;
    let pages = match associated {
        Err(e) if not_found(Failure::of(&e)) => return Ok(Err(principal)),
        a => {
            a.map_err(|e| (Failure::of(&e), format!("ListAssociatedAccessPolicies {principal}: {}", aws_message(&e))))?
        }
    };
    for page in pages {
        for a in page.associated_access_policies() {
            let arn = a.policy_arn().unwrap_or_default();
            let name = policy::policy_name_from_arn(arn).ok_or_else(|| {
                service(format!("ListAssociatedAccessPolicies {principal}: `{arn}` is not an access policy ARN"))
            })?;
            let scope = match a.access_scope() {
                Some(s) if s.r#type().map(|t| t.as_str()) == Some("namespace") => {
                    let mut ns = s.namespaces().to_vec();
                    ns.sort();
                    ns.dedup();
                    AccessScope::Namespace(ns)
                }
                _ => AccessScope::Cluster,
            };
            policies.insert(name.to_string(), scope);
        }
    }
    let mut groups = e.kubernetes_groups().to_vec();
    groups.sort();
    groups.dedup();
    Ok(Ok(LiveEntry {
        principal: e.principal_arn().unwrap_or(&principal).to_string(),
        entry_type,
        username: e.username().unwrap_or_default().to_string(),
        groups,
        tags: e.tags().cloned().unwrap_or_default().into_iter().collect(),
        arn: e.access_entry_arn().unwrap_or_default().to_string(),
        policies,
        created: e.created_at().and_then(|d| d.to_millis().ok()),
    }))
}

async fn kube_client(cluster: &Cluster, live: &LiveCluster, clients: &ClusterClients) -> Result<kube::Client, String> {
    if let Some(k) = &cluster.kubernetes {
        let options = kube::config::KubeConfigOptions { context: k.context.clone(), ..Default::default() };
        let kubeconfig = match &k.kubeconfig {
            Some(path) => kube::config::Kubeconfig::read_from(expand_home(path)).map_err(|e| e.to_string())?,
            None => kube::config::Kubeconfig::read().map_err(|e| e.to_string())?,
        };
        let mut config = kube::Config::from_custom_kubeconfig(kubeconfig, &options).await.map_err(|e| e.to_string())?;
        super::kubernetes::bound(&mut config, clients.timeout);
        return kube::Client::try_from(config).map_err(|e| e.to_string());
    }
    if !matches!(live.status.as_str(), "ACTIVE" | "UPDATING") {
        return Err(format!("the cluster is {}, not serving its Kubernetes API yet", live.status));
    }
    let endpoint = live.endpoint.as_deref().ok_or("DescribeCluster gave no endpoint")?;
    let credentials = clients.credentials.as_ref().ok_or("no AWS credentials to sign a Kubernetes token")?;
    let token = super::token::mint(credentials, &clients.region, &cluster.name).await.map_err(|e| e.to_string())?;
    super::kubernetes::connect_with_timeout(endpoint, live.ca.as_deref(), token, clients.timeout)
        .map_err(|e| e.to_string())
}

fn expand_home(path: &str) -> std::path::PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => std::path::Path::new(&home).join(rest),
        _ => std::path::PathBuf::from(path),
    }
}

enum KubeReadError {
    AwsAuth(String),
    Unreachable(String),
}

/// What accessctl reads of its own on the Kubernetes side.
struct KubeState {
    aws_auth: Option<LiveAwsAuth>,
    bindings: BTreeMap<String, LiveBinding>,
    roles: BTreeMap<String, LiveRole>,
}

/// The aws-auth ConfigMap and every Role, ClusterRole and binding, all read at once: the access
/// model needs all of RBAC, and what accessctl manages is the labelled part of the same lists.
async fn read_kubernetes(client: &kube::Client) -> Result<(KubeState, crate::access::Rbac), KubeReadError> {
    let unreachable = |e: kube::Error| KubeReadError::Unreachable(super::kubernetes::kube_message(&e));
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "kube-system");
    let (crbs, rbs, crs, rs) = (
        Api::<ClusterRoleBinding>::all(client.clone()),
        Api::<RoleBinding>::all(client.clone()),
        Api::<ClusterRole>::all(client.clone()),
        Api::<Role>::all(client.clone()),
    );
    let all = ListParams::default();
    let (config_map, crbs, rbs, crs, rs) = tokio::join!(
        with_retries(|| cms.get_opt("aws-auth")),
        with_retries(|| crbs.list(&all)),
        with_retries(|| rbs.list(&all)),
        with_retries(|| crs.list(&all)),
        with_retries(|| rs.list(&all))
    );
    let (crbs, rbs, crs, rs) = (
        crbs.map_err(unreachable)?.items,
        rbs.map_err(unreachable)?.items,
        crs.map_err(unreachable)?.items,
        rs.map_err(unreachable)?.items,
    );
    let aws_auth = match config_map.map_err(unreachable)? {
        None => None,
        Some(cm) => {
            let data: BTreeMap<String, String> = cm.data.clone().unwrap_or_default();
            let parsed = AwsAuthData::parse(&data).map_err(|e| KubeReadError::AwsAuth(e.to_string()))?;
            let claims = aws_auth::claims_from_annotation(
                cm.metadata.annotations.as_ref().and_then(|a| a.get(aws_auth::MANAGED_ANNOTATION)).map(String::as_str),
            )
            .map_err(|e| KubeReadError::AwsAuth(e.to_string()))?;
            Some(LiveAwsAuth {
                resource_version: cm.metadata.resource_version.clone().unwrap_or_default(),
                data: parsed,
                claims,
            })
        }
    };
    let rbac =
        rbac_of(&crs, &rs, &crbs, &rbs).map_err(|why| KubeReadError::Unreachable(format!("reading RBAC: {why}")))?;
    let managed = |meta: &kube::api::ObjectMeta| {
        meta.labels.as_ref().and_then(|l| l.get(MANAGED_BY_LABEL)).is_some_and(|v| v == MANAGED_BY)
    };
    let mut bindings = BTreeMap::new();
    for b in crbs.iter().filter(|b| managed(&b.metadata)) {
        if let Some(live) = binding(&b.metadata, None, &b.role_ref, b.subjects.as_deref()) {
            bindings.insert(binding_key(&live.name, None), live);
        }
    }
    for b in rbs.iter().filter(|b| managed(&b.metadata)) {
        let ns = b.metadata.namespace.clone();
        if let Some(live) = binding(&b.metadata, ns.clone(), &b.role_ref, b.subjects.as_deref()) {
            bindings.insert(binding_key(&live.name, ns.as_deref()), live);
        }
    }
    let mut roles = BTreeMap::new();
    for r in crs.iter().filter(|r| managed(&r.metadata)) {
        let role = live_role(&r.metadata, None, r.rules.as_deref());
        roles.insert(binding_key(&role.name, None), role);
    }
    for r in rs.iter().filter(|r| managed(&r.metadata)) {
        let role = live_role(&r.metadata, r.metadata.namespace.clone(), r.rules.as_deref());
        roles.insert(binding_key(&role.name, role.namespace.as_deref()), role);
    }
    Ok((KubeState { aws_auth, bindings, roles }, rbac))
}

/// RBAC as the access model reads it. An object that does not parse is an error: unknown, never
/// "no bindings".
fn rbac_of(
    cluster_roles: &[ClusterRole],
    roles: &[Role],
    cluster_bindings: &[ClusterRoleBinding],
    bindings: &[RoleBinding],
) -> Result<crate::access::Rbac, String> {
    fn values<K: serde::Serialize>(items: &[K]) -> Result<Vec<serde_json::Value>, String> {
        items.iter().map(|o| serde_json::to_value(o).map_err(|e| e.to_string())).collect()
    }
    let objects: Vec<serde_json::Value> =
        [values(cluster_roles)?, values(roles)?, values(cluster_bindings)?, values(bindings)?]
            .into_iter()
            .flatten()
            .collect();
    crate::access::Rbac::from_objects(&objects).map_err(|e| e.to_string())
}

fn owner_of(meta: &kube::api::ObjectMeta) -> String {
    meta.labels.as_ref().and_then(|l| l.get(OWNER_LABEL)).cloned().unwrap_or_else(|| DEFAULT_OWNER.to_string())
}

fn live_role(
    meta: &kube::api::ObjectMeta,
    namespace: Option<String>,
    rules: Option<&[k8s_openapi::api::rbac::v1::PolicyRule]>,
) -> LiveRole {
    let rules = rules
        .unwrap_or_default()
        .iter()
        .map(|r| crate::access::Rule {
            api_groups: r.api_groups.clone().unwrap_or_default(),
            resources: r.resources.clone().unwrap_or_default(),
            verbs: r.verbs.clone(),
            resource_names: r.resource_names.clone().unwrap_or_default(),
            non_resource_urls: r.non_resource_urls.clone().unwrap_or_default(),
        })
        .collect();
    LiveRole { name: meta.name.clone().unwrap_or_default(), namespace, rules, owner: owner_of(meta) }
}

fn binding(
    meta: &kube::api::ObjectMeta,
    namespace: Option<String>,
    role_ref: &k8s_openapi::api::rbac::v1::RoleRef,
    subjects: Option<&[k8s_openapi::api::rbac::v1::Subject]>,
) -> Option<LiveBinding> {
    let name = meta.name.clone()?;
    let owner = owner_of(meta);
    let group = subjects?.iter().find(|s| s.kind == "Group")?.name.clone();
    let target = match (role_ref.kind.as_str(), &namespace) {
        ("ClusterRole", None) => BindingTarget::ClusterRole { name: role_ref.name.clone() },
        ("ClusterRole", Some(ns)) => {
            BindingTarget::ClusterRoleInNamespace { name: role_ref.name.clone(), namespace: ns.clone() }
        }
        ("Role", Some(ns)) => BindingTarget::Role { name: role_ref.name.clone(), namespace: ns.clone() },
        _ => return None,
    };
    Some(LiveBinding { name, namespace, group, target, owner })
}

/// Reads every cluster of the configuration at once.
/// Reads every cluster at once. Clusters reached the same way (region, assumed role) share one
/// SDK configuration and its clients: one credential chain and assumed-role session, one
/// connection pool, one retry state.
pub async fn read_all(
    clusters: &[Cluster],
    endpoints: &Endpoints,
) -> Vec<Result<(LiveCluster, Connection), ReadError>> {
    let mut shared: BTreeMap<String, ClusterClients> = BTreeMap::new();
    for c in clusters {
        let key = super::aws::clients_key(c);
        if let std::collections::btree_map::Entry::Vacant(slot) = shared.entry(key) {
            slot.insert(clients_for(c, endpoints).await);
        }
    }
    futures_util::future::join_all(clusters.iter().map(|c| read_with(c, shared[&super::aws::clients_key(c)].clone())))
        .await
}
