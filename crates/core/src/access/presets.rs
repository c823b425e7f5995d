//! Named sets of RBAC rules the language offers as `preset="…"`: the ClusterRoles of AWS's
//! published manifests for the EKS console, with their exact rules (`data/rbac-presets.yaml`,
//! which names the source of each). `import` recognises a live role by these rules.

use std::sync::OnceLock;

use serde::Deserialize;

use super::rbac::{Rbac, Rule, same_rules};

#[derive(Debug, Clone, Deserialize)]
pub struct Preset {
    pub name: String,
    /// The name AWS's manifest gives the role.
    pub role_name: String,
    /// The group AWS's manifest binds it to, and where (None: a ClusterRoleBinding).
    pub group: String,
    pub binding_namespace: Option<String>,
    pub rules: Vec<Rule>,
}

/// Every preset, in the order of the data file.
pub fn all() -> &'static [Preset] {
    static PRESETS: OnceLock<Vec<Preset>> = OnceLock::new();
    PRESETS.get_or_init(|| {
        #[derive(Deserialize)]
        struct Data {
            presets: Vec<Preset>,
        }
        let data: Data =
            serde_yaml_ng::from_str(include_str!("data/rbac-presets.yaml")).expect("the shipped presets parse");
        data.presets
    })
}

/// The rules of the preset `name`.
pub fn rules(name: &str) -> Option<Vec<Rule>> {
    all().iter().find(|p| p.name == name).map(|p| p.rules.clone())
}

/// The preset whose rules are exactly `rules` (in any order), if one is.
pub fn recognise(rules: &[Rule]) -> Option<&'static Preset> {
    all().iter().find(|p| same_rules(&p.rules, rules))
}

/// Whether `name` is a ClusterRole the API server itself keeps (and reconciles): the defaults
/// (`cluster-admin`, `admin`, `edit`, `view`) and every `system:` role.
pub fn kubernetes_keeps(name: &str) -> bool {
    name.starts_with("system:") || Rbac::kubernetes_defaults().roles.iter().any(|r| r.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_parses_and_is_recognised_by_its_rules() {
        assert!(all().len() >= 2);
        for p in all() {
            assert!(!p.rules.is_empty(), "{}", p.name);
            let mut reversed = p.rules.clone();
            reversed.reverse();
            assert_eq!(recognise(&reversed).map(|r| r.name.as_str()), Some(p.name.as_str()));
        }
        assert!(recognise(&[]).is_none());
    }

    #[test]
    fn kubernetes_keeps_its_own_roles() {
        assert!(kubernetes_keeps("view") && kubernetes_keeps("cluster-admin") && kubernetes_keeps("system:node"));
        assert!(!kubernetes_keeps("eks-console-dashboard-full-access-clusterrole"));
    }
}
