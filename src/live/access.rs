//! Live state as the access model reads it: what EKS and the cluster's Kubernetes API hold now.
//!
//! What could not be read stays unknown: aws-auth behind an unreachable Kubernetes API is not
//! "no aws-auth", RBAC that could not be listed is not "no bindings", and EKS never says who
//! created a cluster.

use super::read::LiveCluster;
use crate::access::{Association, ClusterAccess, Entry, Known};
use crate::model::PrincipalArn;

/// The model's view of a cluster read live.
pub fn from_live(live: &LiveCluster) -> ClusterAccess {
    let entries: Result<Vec<Entry>, String> = live
        .entries
        .values()
        .map(|e| {
            let principal = PrincipalArn::parse(&e.principal).map_err(|err| {
                format!("the access entry of `{}` names no IAM principal accessctl reads: {err}", e.principal)
            })?;
            let policies =
                e.policies.iter().map(|(p, scope)| Association { policy: p.clone(), scope: scope.clone() }).collect();
            Ok(Entry {
                principal,
                entry_type: e.entry_type,
                username: e.username.clone(),
                groups: e.groups.clone(),
                policies,
            })
        })
        .collect();
    let aws_auth = match (&live.aws_auth, &live.kube_unreachable) {
        (Some(a), _) => Known::Known(Some(a.data.clone())),
        (None, Some(why)) => Known::Unknown(format!("the Kubernetes API could not be read: {why}")),
        (None, None) => Known::Known(None),
    };
    ClusterAccess {
        name: live.name.clone(),
        mode: live.mode,
        entries: match entries {
            Ok(e) => Known::Known(e),
            Err(why) => Known::Unknown(why),
        },
        aws_auth,
        creator: Known::Unknown("EKS does not say who created a cluster".into()),
        rbac: live.rbac.clone(),
    }
}
