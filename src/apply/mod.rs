//! Apply: executes a cluster's plan in dependency order — each change as soon as what it depends
//! on has succeeded, independent changes in parallel — waits where EKS is asynchronous
//! (DescribeUpdate), retries what is eventually consistent, and re-merges aws-auth when someone
//! else wrote it in between. A failed change leaves what depends on it unstarted; the report says
//! what was done, what failed and what was not started, and the next plan shows exactly the
//! remainder.

pub mod aws_auth_write;
mod rbac;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_eks::error::ProvideErrorMetadata;
use aws_sdk_eks::operation::associate_access_policy::AssociateAccessPolicyError;
use aws_sdk_eks::operation::create_access_entry::CreateAccessEntryError;
use aws_sdk_eks::types::{AccessScope as EksScope, AccessScopeType, AuthenticationMode, UpdateAccessConfigRequest};
use futures_util::StreamExt;

use crate::live::failure::Failure;
use crate::live::read::{Connection, OWNERSHIP_TAG, aws_message};
use crate::model::{AccessScope, AuthMode, Cluster, EntryType, policy};
use crate::ownership::Owners;
use crate::plan::graph::ChangeGraph;
use crate::plan::schedule::Schedule;
use crate::plan::{Action, Change, ChangeId, ClusterPlan, EntrySpec, Target};

#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Changes run at once (EKS calls are bounded, besides, by the account's budget:
    /// `live::limiter`).
    pub concurrency: usize,
    /// How long an authentication-mode update may take.
    pub update_timeout: Duration,
    /// How long to retry errors that mean "not visible yet".
    pub consistency_timeout: Duration,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            concurrency: crate::live::limiter::DEFAULT_PARALLELISM,
            update_timeout: Duration::from_secs(30 * 60),
            consistency_timeout: Duration::from_secs(120),
        }
    }
}

#[derive(Debug, Default)]
pub struct Report {
    pub cluster: String,
    pub done: Vec<ChangeId>,
    /// The changes that failed, and why (`None`: the plan itself could not be ordered).
    pub failed: Vec<(Option<ChangeId>, ApplyError)>,
    pub not_started: Vec<ChangeId>,
    pub interrupted: bool,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.failed.is_empty() && self.not_started.is_empty() && !self.interrupted
    }
}

/// Why one change could not be made. Each kind has a stable code and, where there is one, the
/// fix (`code`, `help`); the AWS kinds carry the classification runtime errors use everywhere.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("{operation}: {message}")]
    Aws { operation: &'static str, failure: Failure, message: String },
    #[error("DescribeCluster answered an authentication mode accessctl does not know: `{0}`")]
    UnknownMode(String),
    #[error("the authentication-mode update {id} ended {status}: {detail}")]
    UpdateFailed { id: String, status: String, detail: String },
    #[error("timed out after {after:?} waiting for the authentication-mode update {update}")]
    UpdateTimeout { after: Duration, update: String },
    #[error("Kubernetes: {message}")]
    Kubernetes {
        message: String,
        #[source]
        source: kube::Error,
    },
    #[error("kube-system/aws-auth cannot be merged into: {0}")]
    AwsAuthUnreadable(String),
    #[error("aws-auth kept changing under accessctl (12 rounds of read, merge, write); try again")]
    AwsAuthContended,
    #[error("the role {0} was created by someone else since the plan; it is not taken over: run plan again")]
    RoleTakenMeanwhile(String),
    #[error("the role {0} kept changing under accessctl; try again")]
    RoleContended(String),
    #[error("a binding named {0} already exists and binds other subjects or another role; it is not overwritten")]
    BindingConflict(String),
    #[error("the changes depend on each other in a cycle")]
    Cycle,
    #[error("the Kubernetes API of this cluster is not reachable, so {0} cannot be written")]
    NoKubernetes(String),
    #[error("interrupted before it started")]
    Interrupted,
    #[error("interrupted while waiting for update {0}: EKS goes on with it; the next plan shows where it stands")]
    InterruptedWaiting(String),
    /// Fresh reads just before a one-way step find a lockout the reviewed plan did not show.
    #[error("not taken: since the plan was made, {0}")]
    NewLockout(String),
    /// What a delete would remove is no longer what the plan showed.
    #[error("not taken: since the plan was made, {0}: run plan again")]
    ChangedSincePlan(String),
}

impl ApplyError {
    /// The stable code, as diagnostics have.
    pub fn code(&self) -> &'static str {
        match self {
            ApplyError::Aws { failure, .. } => failure.code(),
            ApplyError::UnknownMode(_) => "accessctl::apply::unknown_mode",
            ApplyError::UpdateFailed { .. } => "accessctl::apply::update_failed",
            ApplyError::UpdateTimeout { .. } => "accessctl::apply::update_timeout",
            ApplyError::Kubernetes { .. } => "accessctl::kubernetes::write_failed",
            ApplyError::AwsAuthUnreadable(_) => "accessctl::kubernetes::aws_auth_unreadable",
            ApplyError::AwsAuthContended | ApplyError::RoleContended(_) => "accessctl::kubernetes::contended",
            ApplyError::RoleTakenMeanwhile(_) | ApplyError::BindingConflict(_) => "accessctl::kubernetes::conflict",
            ApplyError::Cycle => "accessctl::apply::cycle",
            ApplyError::NoKubernetes(_) => "accessctl::kubernetes::unreachable",
            ApplyError::Interrupted | ApplyError::InterruptedWaiting(_) => "accessctl::apply::interrupted",
            ApplyError::NewLockout(_) => "accessctl::apply::new_lockout",
            ApplyError::ChangedSincePlan(_) => "accessctl::apply::changed_since_plan",
        }
    }

    /// What to do about it, where accessctl knows.
    pub fn help(&self) -> Option<&'static str> {
        match self {
            ApplyError::Aws { failure, .. } => Some(failure.help()),
            ApplyError::UpdateTimeout { .. } => {
                Some("EKS goes on with the update: run `accessctl plan` later, or raise --update-timeout")
            }
            ApplyError::Kubernetes { source: kube::Error::Api(s), .. } if s.code == 403 => Some(
                "the applying principal may not write this object: give it RBAC on roles, bindings and \
                 kube-system/aws-auth, or cluster admin",
            ),
            ApplyError::AwsAuthContended | ApplyError::RoleContended(_) => {
                Some("another writer keeps changing it: run `accessctl apply` again once it is quiet")
            }
            ApplyError::NoKubernetes(_) => {
                Some("check the cluster's endpoint access (public, or a private endpoint reachable from here)")
            }
            ApplyError::NewLockout(_) | ApplyError::ChangedSincePlan(_) => {
                Some("run `accessctl plan` again and review what changed")
            }
            _ => None,
        }
    }
}

fn aws<E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static>(
    operation: &'static str,
    e: &aws_sdk_eks::error::SdkError<E>,
) -> ApplyError {
    ApplyError::Aws { operation, failure: Failure::of(e), message: aws_message(e) }
}

/// A Kubernetes write that failed: the API server's own message where there is one, and the
/// error itself kept.
pub(crate) fn kube_error(source: kube::Error) -> ApplyError {
    ApplyError::Kubernetes { message: crate::live::kubernetes::kube_message(&source), source }
}

/// Sleeps the next step of a jittered exponential backoff: 200 ms doubling to 5 s.
async fn backoff(attempt: u32) {
    tokio::time::sleep(backoff_delay(attempt)).await;
}

fn backoff_delay(attempt: u32) -> Duration {
    let base = 200u64.saturating_mul(1 << attempt.min(5)).min(5_000);
    Duration::from_millis(base / 2 + fastrand::u64(0..=base / 2))
}

/// Waits the backoff of `attempt`, or less when `cancel` is set meanwhile: false then.
async fn backoff_unless_cancelled(attempt: u32, cancel: &AtomicBool) -> bool {
    let until = Instant::now() + backoff_delay(attempt);
    while Instant::now() < until {
        if cancel.load(Ordering::SeqCst) {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50).min(until - Instant::now())).await;
    }
    !cancel.load(Ordering::SeqCst)
}

/// Applies one cluster's plan, made from `desired` (which the checks right before the step to API
/// plan again from fresh reads). `on_progress` receives one line per finished change.
pub async fn apply_cluster(
    desired: &Cluster,
    plan: &ClusterPlan,
    conn: &Connection,
    options: &ApplyOptions,
    cancel: &AtomicBool,
    on_progress: &(dyn Fn(String) + Sync),
) -> Report {
    let mut report = Report { cluster: plan.cluster.clone(), ..Report::default() };
    let mut schedule = match Schedule::new(ChangeGraph::build(plan), &plan.cluster) {
        Ok(s) => s,
        Err(_) => {
            report.failed.push((None, ApplyError::Cycle));
            return report;
        }
    };
    // Each change starts as soon as what it depends on has succeeded (not when a whole level of
    // the graph has), at most `concurrency` at once; a failed change leaves what depends on it
    // unstarted, and what is independent of it runs on.
    let mut running = futures_util::stream::FuturesUnordered::new();
    loop {
        while running.len() < options.concurrency.max(1) && !cancel.load(Ordering::SeqCst) {
            let Some(change) = schedule.next_ready() else { break };
            running.push(run_change(change, desired, plan, conn, options, cancel));
        }
        // Each change is reported as it finishes.
        let Some((change, result)) = running.next().await else { break };
        match result {
            Ok(took) => {
                on_progress(format!(
                    "  ✓ {} {} ({:.1}s)",
                    change.action.symbol(),
                    describe(change),
                    took.as_secs_f64()
                ));
                report.done.push(change.id.clone());
                schedule.succeeded(&change.id);
            }
            Err(ApplyError::Interrupted) => {
                report.interrupted = true;
                report.not_started.push(change.id.clone());
            }
            Err(e) => {
                on_progress(format!("  ✗ {} {}: {e}", change.action.symbol(), describe(change)));
                report.interrupted |= matches!(e, ApplyError::InterruptedWaiting(_));
                report.failed.push((Some(change.id.clone()), e));
            }
        }
    }
    let reported: std::collections::BTreeSet<&ChangeId> = report.not_started.iter().collect();
    let never: Vec<ChangeId> = schedule.never_started().into_iter().filter(|id| !reported.contains(id)).collect();
    // Stopped with changes left: the run was interrupted (what failed leaves its dependents
    // unstarted without that).
    if cancel.load(Ordering::SeqCst) && !never.is_empty() {
        report.interrupted = true;
    }
    report.not_started.extend(never);
    report
}

/// One change, from its start to its outcome and how long it took.
async fn run_change<'p>(
    change: &'p Change,
    desired: &Cluster,
    plan: &ClusterPlan,
    conn: &Connection,
    options: &ApplyOptions,
    cancel: &AtomicBool,
) -> (&'p Change, Result<Duration, ApplyError>) {
    if cancel.load(Ordering::SeqCst) {
        return (change, Err(ApplyError::Interrupted));
    }
    let started = Instant::now();
    // A one-way step to API is taken only if fresh reads, right before it, find nobody locked
    // out that the reviewed plan did not list (a mapping added meanwhile, say).
    if matches!(change.target, Target::AuthMode { to: AuthMode::Api, .. })
        && let Err(e) = recheck_before_api(desired, plan, conn).await
    {
        return (change, Err(e));
    }
    // EKS calls take their place in the account's budget (shared with every other cluster of
    // the run there); a mode update's long wait does not hold one.
    let _permit = match change.target {
        Target::AccessEntry { .. } | Target::EntryTags { .. } | Target::PolicyAssociation { .. } => {
            Some(conn.clients.limiter.acquire().await)
        }
        _ => None,
    };
    let result = execute(change, conn, options, cancel).await.map(|_| started.elapsed());
    (change, result)
}

/// Re-reads the cluster and recomputes the plan's guards: every principal a guard now names must
/// have been named by the same guard in the reviewed plan.
async fn recheck_before_api(desired: &Cluster, plan: &ClusterPlan, conn: &Connection) -> Result<(), ApplyError> {
    let (live, _) = crate::live::read::read_with(desired, conn.clients.clone())
        .await
        .map_err(|e| ApplyError::NewLockout(format!("the cluster cannot be read again to check ({e})")))?;
    let fresh = crate::plan::diff::diff(desired, &live);
    let mut unseen = vec![];
    // Who the step to API locks out, and nodes or the caller losing access (an access-loss guard
    // describes changes other than the step, already applied by now).
    for guard in fresh.guards.iter().filter(|g| g.kind != crate::plan::GuardKind::AccessLoss) {
        let reviewed = plan.guards.iter().find(|g| g.kind == guard.kind);
        for p in &guard.principals {
            if !reviewed.is_some_and(|g| g.principals.iter().any(|r| r.principal == p.principal)) {
                unseen.push(format!("{} ({})", p.principal, guard.kind.as_str()));
            }
        }
    }
    if unseen.is_empty() {
        Ok(())
    } else {
        Err(ApplyError::NewLockout(format!(
            "moving to API would also lock out {}: run plan again and review",
            unseen.join(", ")
        )))
    }
}

/// A short description of a change for progress lines.
pub fn describe(change: &Change) -> String {
    match &change.target {
        Target::AuthMode { from, to } => format!("authentication mode {} → {}", from.as_str(), to.as_str()),
        Target::AccessEntry { principal, .. } => format!("access entry {principal}"),
        Target::EntryTags { principal, .. } => format!("tags of {principal}"),
        Target::PolicyAssociation { principal, policy, .. } => format!("policy {policy} on {principal}"),
        Target::AwsAuth { .. } => "kube-system/aws-auth".into(),
        Target::GroupBinding { name, .. } => format!("RBAC binding {name}"),
        Target::Role { name, namespace: None, .. } => format!("ClusterRole {name}"),
        Target::Role { name, namespace: Some(ns), .. } => format!("Role {ns}/{name}"),
    }
}

async fn execute(
    change: &Change,
    conn: &Connection,
    options: &ApplyOptions,
    cancel: &AtomicBool,
) -> Result<(), ApplyError> {
    let cluster = &conn.cluster;
    let eks = &conn.clients.eks;
    match (&change.target, change.action) {
        (Target::AuthMode { to, .. }, _) => set_mode(eks, cluster, *to, options, cancel).await,
        (Target::AccessEntry { principal, before, .. }, Action::Delete) => {
            still_owned_as_planned(eks, cluster, principal, before.as_ref()).await?;
            delete_entry(eks, cluster, principal).await
        }
        (Target::AccessEntry { principal, after: Some(spec), .. }, Action::Replace) => {
            delete_entry(eks, cluster, principal).await?;
            create_entry(eks, cluster, principal, spec, options).await
        }
        (Target::AccessEntry { principal, after: Some(spec), .. }, Action::Create) => {
            create_entry(eks, cluster, principal, spec, options).await
        }
        (Target::AccessEntry { principal, after: Some(spec), .. }, _) => {
            update_entry(eks, cluster, principal, spec).await
        }
        (Target::AccessEntry { .. }, _) => Ok(()),
        (Target::EntryTags { principal, entry_arn, add, owner }, _) => {
            let mut tags = add.clone();
            // The claim is this owner's id added to or taken from the tag as it is now, so that
            // another configuration claiming or letting go in the meantime is not undone.
            if let (Some(owner), Some(planned)) = (owner, add.get(OWNERSHIP_TAG)) {
                let Some(now) = owners_now(eks, cluster, principal).await? else { return Ok(()) };
                let next = if Owners::parse(planned).claims(owner) {
                    now.with(owner)
                } else if now.others(owner).is_empty() {
                    // Nobody else claims it any more: letting go would leave it to nobody, and
                    // it would never be pruned. The claim stays; the next plan deletes it.
                    now
                } else {
                    now.without(owner)
                };
                tags.insert(OWNERSHIP_TAG.to_string(), next.render());
            }
            eks.tag_resource()
                .resource_arn(entry_arn)
                .set_tags(Some(tags.into_iter().collect()))
                .send()
                .await
                .map_err(|e| aws("TagResource", &e))?;
            Ok(())
        }
        (Target::PolicyAssociation { principal, policy: name, after: Some(scope), .. }, _) => {
            associate(eks, cluster, principal, name, scope, options).await
        }
        (Target::PolicyAssociation { principal, policy: name, after: None, .. }, _) => {
            let arn = policy::policy_arn(&partition_of(principal), name);
            match eks
                .disassociate_access_policy()
                .cluster_name(cluster)
                .principal_arn(principal)
                .policy_arn(arn)
                .send()
                .await
            {
                Ok(_) => Ok(()),
                Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => Ok(()),
                Err(e) => Err(aws("DisassociateAccessPolicy", &e)),
            }
        }
        (Target::AwsAuth { desired, desired_accounts, owner, delete, release, .. }, _) => {
            let kube = conn.kube.as_ref().ok_or_else(|| ApplyError::NoKubernetes("aws-auth".into()))?;
            let request = crate::aws_auth::MergeRequest { owner, desired, desired_accounts, delete, release };
            aws_auth_write::write(kube, &request).await
        }
        (Target::Role { name, namespace, owner, after, .. }, action) => {
            let kube = conn.kube.as_ref().ok_or_else(|| ApplyError::NoKubernetes(format!("role {name}")))?;
            let create = action == Action::Create;
            let role =
                rbac::RoleWrite { name, namespace: namespace.as_deref(), owner, rules: after.as_deref(), create };
            rbac::write_role(kube, &role).await
        }
        (Target::GroupBinding { name, namespace, group, owner, after, .. }, action) => {
            let kube = conn.kube.as_ref().ok_or_else(|| ApplyError::NoKubernetes(format!("binding {name}")))?;
            let binding = rbac::Binding { name, namespace: namespace.as_deref(), group, owner };
            rbac::write(kube, &binding, after.as_ref(), action).await
        }
    }
}

fn partition_of(arn: &str) -> String {
    arn.split(':').nth(1).unwrap_or("aws").to_string()
}

fn eks_mode(m: AuthMode) -> AuthenticationMode {
    AuthenticationMode::from(m.as_str())
}

async fn set_mode(
    eks: &aws_sdk_eks::Client,
    cluster: &str,
    to: AuthMode,
    options: &ApplyOptions,
    cancel: &AtomicBool,
) -> Result<(), ApplyError> {
    let started = Instant::now();
    let mut attempt = 0;
    let id = loop {
        let request = UpdateAccessConfigRequest::builder().authentication_mode(eks_mode(to)).build();
        match eks.update_cluster_config().name(cluster).access_config(request).send().await {
            Ok(out) => break out.update().and_then(|u| u.id()).unwrap_or_default().to_string(),
            Err(e) => {
                let service = e.as_service_error();
                if service.is_some_and(|s| s.is_resource_in_use_exception())
                    && started.elapsed() < options.update_timeout
                {
                    // Another update runs: wait for it, then ask again.
                    attempt += 1;
                    if !backoff_unless_cancelled(attempt, cancel).await {
                        return Err(ApplyError::Interrupted);
                    }
                    continue;
                }
                // EKS says "already there, or going back" with no code of its own.
                if service.is_some_and(|s| {
                    s.is_invalid_parameter_exception()
                        && s.meta().message().is_some_and(|m| m.contains("Unsupported authentication mode update"))
                }) {
                    // Already there (a previous, interrupted apply finished the step)?
                    let now = current_mode(eks, cluster).await?;
                    if now >= to {
                        return Ok(());
                    }
                }
                return Err(aws("UpdateClusterConfig", &e));
            }
        }
    };
    wait_update(eks, cluster, &id, options.update_timeout, cancel).await
}

async fn current_mode(eks: &aws_sdk_eks::Client, cluster: &str) -> Result<AuthMode, ApplyError> {
    let d = eks.describe_cluster().name(cluster).send().await.map_err(|e| aws("DescribeCluster", &e))?;
    match d.cluster().and_then(|c| c.access_config()).and_then(|a| a.authentication_mode()) {
        None => Ok(AuthMode::ConfigMap),
        Some(m) => AuthMode::parse(m.as_str()).ok_or_else(|| ApplyError::UnknownMode(m.as_str().to_string())),
    }
}

/// Waits on DescribeUpdate (backoff, timeout) until the update ends, or until Ctrl-C.
pub async fn wait_update(
    eks: &aws_sdk_eks::Client,
    cluster: &str,
    id: &str,
    timeout: Duration,
    cancel: &AtomicBool,
) -> Result<(), ApplyError> {
    let started = Instant::now();
    let mut attempt = 0;
    loop {
        let d =
            eks.describe_update().name(cluster).update_id(id).send().await.map_err(|e| aws("DescribeUpdate", &e))?;
        let update = d.update();
        let status = update.and_then(|u| u.status()).map(|s| s.as_str().to_string()).unwrap_or_default();
        match status.as_str() {
            "Successful" => return Ok(()),
            "Failed" | "Cancelled" => {
                let detail = update
                    .map(|u| u.errors().iter().filter_map(|e| e.error_message()).collect::<Vec<_>>().join("; "))
                    .unwrap_or_default();
                return Err(ApplyError::UpdateFailed { id: id.to_string(), status, detail });
            }
            _ if started.elapsed() > timeout => {
                return Err(ApplyError::UpdateTimeout { after: timeout, update: id.to_string() });
            }
            _ => {
                attempt += 1;
                if !backoff_unless_cancelled(attempt, cancel).await {
                    return Err(ApplyError::InterruptedWaiting(id.to_string()));
                }
            }
        }
    }
}

async fn create_entry(
    eks: &aws_sdk_eks::Client,
    cluster: &str,
    principal: &str,
    spec: &EntrySpec,
    options: &ApplyOptions,
) -> Result<(), ApplyError> {
    let create = || {
        let request = eks
            .create_access_entry()
            .cluster_name(cluster)
            .principal_arn(principal)
            .set_tags(Some(spec.tags.clone().into_iter().collect()));
        if spec.entry_type != EntryType::Standard {
            request.r#type(spec.entry_type.as_str()).send()
        } else {
            request.set_kubernetes_groups(Some(spec.groups.clone())).set_username(spec.username.clone()).send()
        }
    };
    // A new IAM principal may not be visible to EKS yet.
    // EKS has no code of its own for "not visible yet": an invalid parameter naming the principal.
    let not_yet = |e: &aws_sdk_eks::error::SdkError<CreateAccessEntryError>| {
        e.as_service_error().is_some_and(|s| {
            s.is_invalid_parameter_exception()
                && s.meta().message().is_some_and(|m| m.contains("principalArn is invalid"))
        })
    };
    match until_visible(options.consistency_timeout, not_yet, create).await {
        Ok(_) => Ok(()),
        // It exists already: EKS made it (node roles, the creator when the mode moved) or a
        // previous run did. Adopt it in place.
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_in_use_exception()) => {
            adopt_entry(eks, cluster, principal, spec, options).await
        }
        Err(e) => Err(aws("CreateAccessEntry", &e)),
    }
}

async fn adopt_entry(
    eks: &aws_sdk_eks::Client,
    cluster: &str,
    principal: &str,
    spec: &EntrySpec,
    options: &ApplyOptions,
) -> Result<(), ApplyError> {
    let d = eks
        .describe_access_entry()
        .cluster_name(cluster)
        .principal_arn(principal)
        .send()
        .await
        .map_err(|e| aws("DescribeAccessEntry", &e))?;
    let entry = d.access_entry();
    let live_type = entry.and_then(|e| e.r#type()).and_then(EntryType::parse).unwrap_or_default();
    if live_type != spec.entry_type {
        delete_entry(eks, cluster, principal).await?;
        return Box::pin(create_entry(eks, cluster, principal, spec, options)).await;
    }
    if spec.entry_type == EntryType::Standard {
        update_entry(eks, cluster, principal, spec).await?;
    }
    if let Some(arn) = entry.and_then(|e| e.access_entry_arn()) {
        eks.tag_resource()
            .resource_arn(arn)
            .set_tags(Some(spec.tags.clone().into_iter().collect()))
            .send()
            .await
            .map_err(|e| aws("TagResource", &e))?;
    }
    Ok(())
}

async fn update_entry(
    eks: &aws_sdk_eks::Client,
    cluster: &str,
    principal: &str,
    spec: &EntrySpec,
) -> Result<(), ApplyError> {
    if spec.entry_type != EntryType::Standard {
        return Ok(());
    }
    eks.update_access_entry()
        .cluster_name(cluster)
        .principal_arn(principal)
        .set_kubernetes_groups(Some(spec.groups.clone()))
        .set_username(spec.username.clone())
        .send()
        .await
        .map_err(|e| aws("UpdateAccessEntry", &e))?;
    Ok(())
}

/// A prune deletes an entry only if its owners are still those the plan saw: another
/// configuration may have claimed it since (EKS has no conditional delete, so this read is
/// the last moment to find out).
async fn still_owned_as_planned(
    eks: &aws_sdk_eks::Client,
    cluster: &str,
    principal: &str,
    planned: Option<&EntrySpec>,
) -> Result<(), ApplyError> {
    let Some(planned) = planned else { return Ok(()) };
    let Some(now) = owners_now(eks, cluster, principal).await? else { return Ok(()) };
    let then = planned.tags.get(OWNERSHIP_TAG).map(|v| Owners::parse(v)).unwrap_or_default();
    if then == now {
        Ok(())
    } else {
        Err(ApplyError::ChangedSincePlan(format!(
            "access entry {principal} was owned by `{then}` and is now owned by `{now}`; it is not deleted"
        )))
    }
}

/// The owners an entry's tag names now; `None` when the entry is gone.
async fn owners_now(eks: &aws_sdk_eks::Client, cluster: &str, principal: &str) -> Result<Option<Owners>, ApplyError> {
    match eks.describe_access_entry().cluster_name(cluster).principal_arn(principal).send().await {
        Ok(out) => Ok(Some(
            out.access_entry()
                .and_then(|e| e.tags())
                .and_then(|t| t.get(OWNERSHIP_TAG))
                .map(|v| Owners::parse(v))
                .unwrap_or_default(),
        )),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => Ok(None),
        Err(e) => Err(aws("DescribeAccessEntry", &e)),
    }
}

async fn delete_entry(eks: &aws_sdk_eks::Client, cluster: &str, principal: &str) -> Result<(), ApplyError> {
    match eks.delete_access_entry().cluster_name(cluster).principal_arn(principal).send().await {
        Ok(_) => Ok(()),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => Ok(()),
        Err(e) => Err(aws("DeleteAccessEntry", &e)),
    }
}

async fn associate(
    eks: &aws_sdk_eks::Client,
    cluster: &str,
    principal: &str,
    name: &str,
    scope: &AccessScope,
    options: &ApplyOptions,
) -> Result<(), ApplyError> {
    let eks_scope = match scope {
        AccessScope::Cluster => EksScope::builder().r#type(AccessScopeType::Cluster).build(),
        AccessScope::Namespace(ns) => {
            EksScope::builder().r#type(AccessScopeType::Namespace).set_namespaces(Some(ns.clone())).build()
        }
    };
    let arn = policy::policy_arn(&partition_of(principal), name);
    let associate = || {
        eks.associate_access_policy()
            .cluster_name(cluster)
            .principal_arn(principal)
            .policy_arn(&arn)
            .access_scope(eks_scope.clone())
            .send()
    };
    // Right after CreateAccessEntry the entry may not be visible yet (reference §3.8).
    // The entry not found (not the cluster: "No cluster found"), which EKS says with no code of
    // its own.
    let not_yet = |e: &aws_sdk_eks::error::SdkError<AssociateAccessPolicyError>| {
        e.as_service_error().is_some_and(|s| {
            s.is_resource_not_found_exception() && s.meta().message().is_some_and(|m| m.contains("could not be found"))
        })
    };
    until_visible(options.consistency_timeout, not_yet, associate)
        .await
        .map(|_| ())
        .map_err(|e| aws("AssociateAccessPolicy", &e))
}

/// Calls `call` again, with backoff, while its error is one EKS clears by itself ("not visible
/// yet"), for at most `timeout`; any other outcome is returned as it is.
async fn until_visible<T, E, Fut>(
    timeout: Duration,
    not_yet: impl Fn(&aws_sdk_eks::error::SdkError<E>) -> bool,
    call: impl Fn() -> Fut,
) -> Result<T, aws_sdk_eks::error::SdkError<E>>
where
    Fut: std::future::Future<Output = Result<T, aws_sdk_eks::error::SdkError<E>>>,
{
    let started = Instant::now();
    let mut attempt = 0;
    loop {
        match call().await {
            Err(e) if not_yet(&e) && started.elapsed() < timeout => {
                attempt += 1;
                backoff(attempt).await;
            }
            outcome => return outcome,
        }
    }
}
