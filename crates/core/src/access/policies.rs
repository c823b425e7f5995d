//! The Kubernetes permissions of EKS's access policies, as AWS's EKS User Guide ("Review access
//! policy permissions") lists them, embedded from `data/access-policies.yaml` (its header names
//! the source). A policy of the catalogue whose rules are not published there is not modelled:
//! [`rules`] answers `None` and decisions say so instead of guessing.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use super::rbac::Rule;

#[derive(Deserialize)]
struct Data {
    policies: Vec<PolicyData>,
}

#[derive(Deserialize)]
struct PolicyData {
    name: String,
    rules: Vec<Rule>,
}

fn table() -> &'static BTreeMap<String, Vec<Rule>> {
    static TABLE: OnceLock<BTreeMap<String, Vec<Rule>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let data: Data = serde_yaml_ng::from_str(include_str!("data/access-policies.yaml"))
            .expect("the embedded access-policy rules parse (tested)");
        data.policies.into_iter().map(|p| (p.name, p.rules)).collect()
    })
}

/// The rules of an access policy by its short name, if accessctl knows them.
pub fn rules(policy: &str) -> Option<&'static [Rule]> {
    table().get(policy).map(Vec::as_slice)
}

/// The policies whose rules accessctl knows.
pub fn modelled() -> impl Iterator<Item = &'static str> {
    table().keys().map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::request::Request;
    use crate::model::policy::{ACCESS_POLICIES, CORE_POLICIES};

    #[test]
    fn every_modelled_policy_is_in_the_catalogue_and_the_core_five_are_modelled() {
        for p in modelled() {
            assert!(ACCESS_POLICIES.contains(&p), "{p} is not in the catalogue");
        }
        for p in CORE_POLICIES {
            assert!(rules(p).is_some_and(|r| !r.is_empty()), "{p}");
        }
    }

    #[test]
    fn view_reads_workloads_but_not_secrets_and_admin_view_reads_secrets() {
        let allows = |p: &str, req: &Request| rules(p).unwrap().iter().any(|r| r.allows(req));
        let list_pods = Request::resource("list", "", "pods", Some("app"));
        let get_secret = Request::resource("get", "", "secrets", Some("app"));
        assert!(allows("AmazonEKSViewPolicy", &list_pods));
        assert!(!allows("AmazonEKSViewPolicy", &get_secret));
        assert!(!allows("AmazonEKSViewPolicy", &Request::resource("create", "apps", "deployments", Some("app"))));
        assert!(allows("AmazonEKSAdminViewPolicy", &get_secret));
        assert!(allows("AmazonEKSEditPolicy", &Request::resource("create", "apps", "deployments", Some("app"))));
        assert!(allows(
            "AmazonEKSClusterAdminPolicy",
            &Request::NonResource { verb: "get".into(), path: "/metrics".into() }
        ));
    }
}
