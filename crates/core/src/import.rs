//! `import`: live clusters → an access.kdl that reproduces them. Principals get readable names
//! (an SSO permission set's role becomes `sso-<permission-set>`, declared by the set's name where
//! IAM of the cluster's account resolves the set to exactly that role), ARNs stay exact, server defaults
//! are left out, entries EKS made are marked, and aws-auth mappings the language refuses (a role
//! path that never matches) are kept as comments with the reason; the RBAC bindings of the groups
//! they use come along with their roles. Invariant, tested: importing a cluster and planning it
//! with the result plans no changes.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use crate::access::{Known, RoleKind, presets};
use crate::aws_auth::MappingKind;
use crate::config::fmt::quote;
use crate::live::{LiveCluster, OWNERSHIP_TAG};
use crate::model::{AccessScope, EntryType, PrincipalArn, PrincipalKind};

/// One cluster as read, with what the import needs besides the live state.
pub struct ImportedCluster<'a> {
    pub live: &'a LiveCluster,
    pub region: &'a str,
}

/// Readable, unique names for principals, keyed by (kind, account, name): the same principal
/// with and without its path (an access entry and an aws-auth mapping) gets one name.
#[derive(Default)]
struct Names {
    by_key: BTreeMap<String, (String, PrincipalArn)>,
    taken: BTreeMap<String, usize>,
    /// Permission sets declared by name, by the name given them; their roles (one per account)
    /// share that name.
    sets: BTreeMap<String, String>,
}

impl Names {
    fn key(p: &PrincipalArn) -> String {
        format!("{}:{}:{}:{}", p.partition, p.account, p.kind.as_str(), p.name.to_ascii_lowercase())
    }

    fn add(&mut self, p: &PrincipalArn) {
        let key = Names::key(p);
        if let Some((_, existing)) = self.by_key.get_mut(&key) {
            // Keep the form with the path: access entries need it, aws-auth drops it.
            if p.has_path() && !existing.has_path() {
                *existing = p.clone();
            }
            return;
        }
        let base = readable(p);
        let n = self.taken.entry(base.clone()).or_insert(0);
        *n += 1;
        let name = if *n == 1 { base } else { format!("{base}-{n}") };
        self.by_key.insert(key, (name, p.clone()));
    }

    /// Adds the role of permission set `set`: every account's role of one set is one principal.
    fn add_set_role(&mut self, p: &PrincipalArn, set: &str) {
        let key = Names::key(p);
        if self.by_key.contains_key(&key) {
            return;
        }
        let name = match self.sets.iter().find(|(_, s)| s.as_str() == set) {
            Some((name, _)) => name.clone(),
            None => {
                let base = readable(p);
                let n = self.taken.entry(base.clone()).or_insert(0);
                *n += 1;
                let name = if *n == 1 { base } else { format!("{base}-{n}") };
                self.sets.insert(name.clone(), set.to_string());
                name
            }
        };
        self.by_key.insert(key, (name, p.clone()));
    }

    fn name(&self, p: &PrincipalArn) -> &str {
        self.by_key.get(&Names::key(p)).map(|(n, _)| n.as_str()).unwrap_or("?")
    }
}

/// The permission set `role` is the role of, when a plan of this cluster would resolve that set
/// to exactly this role: IAM of the cluster's account was read and has no other role of the set.
fn permission_set_resolving_to<'l>(live: &'l LiveCluster, role: &'l PrincipalArn) -> Option<&'l str> {
    let set = crate::plan::iam::permission_set_of(role)?;
    let Known::Known(iam) = &live.iam else { return None };
    let resolved = crate::plan::iam::permission_set_role(iam, set).ok()?;
    (live.account.as_deref() == Some(role.account.as_str()) && &resolved == role).then_some(set)
}

fn readable(p: &PrincipalArn) -> String {
    let raw = match p.name.strip_prefix("AWSReservedSSO_") {
        Some(rest) => format!("sso-{}", rest.rsplit_once('_').map(|(set, _)| set).unwrap_or(rest)),
        None => p.name.clone(),
    };
    let mut out = String::new();
    for c in raw.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-').to_string();
    if out.is_empty() { "principal".into() } else { out }
}

/// The access.kdl text for `clusters` (to be run through `fmt` by the caller).
pub fn to_kdl(clusters: &[ImportedCluster<'_>]) -> String {
    let mut names = Names::default();
    for c in clusters {
        for e in c.live.entries.values() {
            if let Ok(p) = PrincipalArn::parse(&e.principal) {
                match permission_set_resolving_to(c.live, &p) {
                    Some(set) => names.add_set_role(&p, set),
                    None => names.add(&p),
                }
            }
        }
        for m in c.live.aws_auth.iter().flat_map(|a| &a.data.mappings) {
            if let Ok(p) = PrincipalArn::parse(&m.arn).map(|p| p.without_path()) {
                names.add(&p);
            }
        }
    }
    let mut out = String::from("// Imported by `accessctl import` from live state.\n\n");
    let mut declared: Vec<&(String, PrincipalArn)> =
        names.by_key.values().filter(|(name, _)| !names.sets.contains_key(name)).collect();
    declared.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, arn) in declared {
        let _ = writeln!(out, "principal {} {}", quote(name), quote(&arn.to_string()));
    }
    for (name, set) in &names.sets {
        let _ = writeln!(out, "principal {} permission-set={}", quote(name), quote(set));
    }
    for c in clusters {
        out.push('\n');
        cluster(&mut out, c, &names);
    }
    out
}

fn cluster(out: &mut String, c: &ImportedCluster<'_>, names: &Names) {
    let live = c.live;
    let _ = writeln!(out, "cluster {} {{", quote(&live.name));
    let _ = writeln!(out, "region {}", quote(c.region));
    if let Some(a) = &live.account {
        let _ = writeln!(out, "account {}", quote(a));
    }
    let _ = writeln!(out, "authentication-mode {}\n", quote(live.mode.as_str()));
    for e in live.entries.values() {
        let Ok(p) = PrincipalArn::parse(&e.principal) else {
            let _ = writeln!(out, "// not importable: access entry {}", e.principal);
            continue;
        };
        if e.entry_type != EntryType::Standard {
            out.push_str("// a node role: EKS makes these entries for managed node groups and Fargate profiles\n");
        } else if e.owners().is_empty()
            && e.policies.len() == 1
            && e.policies.get(crate::model::policy::CLUSTER_ADMIN) == Some(&AccessScope::Cluster)
        {
            out.push_str("// not made by accessctl: EKS makes an admin entry like this for the cluster's creator\n");
        }
        let mut head = format!("access-entry {}", quote(names.name(&p)));
        if e.entry_type != EntryType::Standard {
            head.push_str(&format!(" type={}", quote(e.entry_type.as_str())));
        } else if e.username != p.default_standard_username() {
            head.push_str(&format!(" username={}", quote(&e.username)));
        }
        let tags: Vec<(&String, &String)> = e.tags.iter().filter(|(k, _)| k.as_str() != OWNERSHIP_TAG).collect();
        let standard_groups = e.entry_type == EntryType::Standard && !e.groups.is_empty();
        if !standard_groups && tags.is_empty() && e.policies.is_empty() {
            let _ = writeln!(out, "{head}");
            continue;
        }
        let _ = writeln!(out, "{head} {{");
        if standard_groups {
            let groups: Vec<String> = e.groups.iter().map(|g| quote(g)).collect();
            let _ = writeln!(out, "groups {}", groups.join(" "));
        }
        if !tags.is_empty() {
            let t: Vec<String> = tags.iter().map(|(k, v)| format!("{}={}", quote(k), quote(v))).collect();
            let _ = writeln!(out, "tags {}", t.join(" "));
        }
        for (policy, scope) in &e.policies {
            match scope {
                AccessScope::Cluster => {
                    let _ = writeln!(out, "policy {}", quote(policy));
                }
                AccessScope::Namespace(ns) => {
                    let ns: Vec<String> = ns.iter().map(|n| quote(n)).collect();
                    let _ = writeln!(out, "policy {} {{\nnamespaces {}\n}}", quote(policy), ns.join(" "));
                }
            }
        }
        out.push_str("}\n");
    }
    if let Some(a) = &live.aws_auth
        && (!a.data.mappings.is_empty() || !a.data.accounts.is_empty())
    {
        out.push_str("\naws-auth {\n");
        for (i, m) in a.data.mappings.iter().enumerate() {
            let node = if m.kind == MappingKind::Role { "map-role" } else { "map-user" };
            let parsed = PrincipalArn::parse(&m.arn);
            let p = match parsed {
                Ok(p) if p.has_path() && m.kind == MappingKind::Role => {
                    let _ = writeln!(
                        out,
                        "// not imported: {} has a path, so it never matches; it stays in aws-auth untouched",
                        m.arn
                    );
                    continue;
                }
                Ok(p) if (p.kind == PrincipalKind::Role) == (m.kind == MappingKind::Role) => p,
                _ => {
                    let _ = writeln!(
                        out,
                        "// not imported: `{}` is not an IAM {} ARN; it stays in aws-auth untouched",
                        m.arn,
                        node.trim_start_matches("map-")
                    );
                    continue;
                }
            };
            if !crate::access::authn::mapping_in_force(&a.data.mappings, i) {
                let _ = writeln!(
                    out,
                    "// not imported: {} is mapped again later and the authenticator uses the later item; \
                     it stays in aws-auth untouched",
                    m.arn
                );
                continue;
            }
            let mut head = format!("{node} {}", quote(names.name(&p)));
            if let Some(u) = &m.username {
                head.push_str(&format!(" username={}", quote(u)));
            }
            if m.groups.is_empty() {
                let _ = writeln!(out, "{head}");
            } else {
                let groups: Vec<String> = m.groups.iter().map(|g| quote(g)).collect();
                let _ = writeln!(out, "{head} {{\ngroups {}\n}}", groups.join(" "));
            }
        }
        for item in a.data.unreadable_roles.iter().chain(&a.data.unreadable_users) {
            let what = match item.get("sso").and_then(|sso| sso.get("permissionSetName")).and_then(|n| n.as_str()) {
                Some(set) => format!(
                    "an `sso:` item for permission set {set}: EKS matches nobody by it (write the role's ARN, \
                     without its path, instead)"
                ),
                None => "an item without its ARN: it maps nobody".to_string(),
            };
            let _ = writeln!(out, "// not imported: {what}; it stays in aws-auth untouched");
        }
        for account in &a.data.accounts {
            if crate::model::arn::is_account_id(account) {
                let _ = writeln!(out, "map-account {}", quote(account));
            } else {
                let _ = writeln!(
                    out,
                    "// not imported: map-account `{account}` is not a 12-digit account; it stays in aws-auth untouched"
                );
            }
        }
        out.push_str("}\n");
    }
    rbac_of_groups(out, live);
    out.push_str("}\n");
}

/// The RBAC half: every binding of a group that the entries and mappings use (accessctl's, AWS's
/// console manifest's, one made by hand), and the roles they bind to unless the API server keeps
/// them — a role AWS's manifests define is written as its preset. What plan would adopt as it is,
/// so import → plan stays empty. A binding to a role that does not exist is left out, said why.
fn rbac_of_groups(out: &mut String, live: &LiveCluster) {
    let Known::Known(rbac) = &live.rbac else { return };
    let in_force = |a: &crate::live::LiveAwsAuth| -> Vec<String> {
        let m = &a.data.mappings;
        (0..m.len())
            .filter(|i| crate::access::authn::mapping_in_force(m, *i))
            .flat_map(|i| m[i].groups.clone())
            .collect()
    };
    let used: BTreeSet<String> = live
        .entries
        .values()
        .filter(|e| e.entry_type == EntryType::Standard)
        .flat_map(|e| e.groups.clone())
        .chain(live.aws_auth.iter().flat_map(in_force))
        .filter(|g| !g.starts_with("system:"))
        .collect();
    let mut bindings: BTreeSet<(String, String)> = BTreeSet::new();
    let mut roles: BTreeMap<(Option<String>, String), String> = BTreeMap::new();
    for b in rbac.bindings.iter().filter(|b| !b.name.starts_with("system:") && !b.name.starts_with("eks:")) {
        let (target, role_namespace) = match (b.role_kind, &b.namespace) {
            (RoleKind::ClusterRole, None) => (format!("cluster-role={}", quote(&b.role_name)), None),
            (RoleKind::ClusterRole, Some(ns)) => {
                (format!("cluster-role={} namespace={}", quote(&b.role_name), quote(ns)), None)
            }
            (RoleKind::Role, Some(ns)) => (format!("role={} namespace={}", quote(&b.role_name), quote(ns)), Some(ns)),
            (RoleKind::Role, None) => continue,
        };
        for s in b.subjects.iter().filter(|s| s.kind == "Group" && used.contains(&s.name)) {
            let keeps = role_namespace.is_none() && presets::kubernetes_keeps(&b.role_name);
            if !keeps {
                let Some(role) = rbac.role_of(b) else {
                    let _ = writeln!(
                        out,
                        "// not imported: group {} is bound ({}) to {} {}, which does not exist",
                        s.name,
                        b.name,
                        if role_namespace.is_some() { "the Role" } else { "the ClusterRole" },
                        b.role_name
                    );
                    continue;
                };
                let key = (role_namespace.cloned(), b.role_name.clone());
                let owned_by =
                    live.roles.get(&crate::live::binding_key(&b.role_name, role_namespace.map(String::as_str)));
                let text = match owned_by {
                    // Another configuration's role: this one binds to it, it does not declare it.
                    Some(r) if r.owner != crate::ownership::DEFAULT_OWNER => {
                        format!(
                            "// the role {} is owned by the configuration `{}`, which declares it\n",
                            b.role_name, r.owner
                        )
                    }
                    _ if role.rules.is_empty() => format!(
                        "// the role {} has no rules (an aggregation nothing feeds yet?): bound to as it is, not declared\n",
                        b.role_name
                    ),
                    _ => role_text(role),
                };
                roles.insert(key, text);
            }
            bindings.insert((s.name.clone(), target.clone()));
        }
    }
    if !roles.is_empty() || !bindings.is_empty() {
        out.push('\n');
    }
    for text in roles.values() {
        out.push_str(text);
    }
    for (group, target) in &bindings {
        let _ = writeln!(out, "group-binding {} {target}", quote(group));
    }
}

/// A role's declaration: its preset when its rules are exactly one's, else its rules.
fn role_text(role: &crate::access::Role) -> String {
    let head = match &role.namespace {
        None => format!("cluster-role {}", quote(&role.name)),
        Some(ns) => format!("role {} namespace={}", quote(&role.name), quote(ns)),
    };
    if let Some(preset) = presets::recognise(&role.rules) {
        return format!("{head} preset={}\n", quote(&preset.name));
    }
    let mut text = format!("{head} {{\n");
    let list = |v: &[String]| v.iter().map(|x| quote(x)).collect::<Vec<_>>().join(" ");
    for r in &role.rules {
        text.push_str("rule {\n");
        for (node, values) in [
            ("api-groups", &r.api_groups),
            ("resources", &r.resources),
            ("verbs", &r.verbs),
            ("resource-names", &r.resource_names),
            ("non-resource-urls", &r.non_resource_urls),
        ] {
            if !values.is_empty() {
                let _ = writeln!(text, "{node} {}", list(values));
            }
        }
        text.push_str("}\n");
    }
    text + "}\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readable_names() {
        let p = |s: &str| PrincipalArn::parse(s).unwrap();
        assert_eq!(readable(&p("arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_0a1b").without_path()), "sso-administratoraccess");
        assert_eq!(readable(&p("arn:aws:iam::111122223333:role/eks_Node.Role")), "eks-node-role");
        let mut names = Names::default();
        names.add(&p("arn:aws:iam::111122223333:role/dev"));
        names.add(&p("arn:aws:iam::111122223333:user/dev"));
        names.add(&p("arn:aws:iam::111122223333:role/teams/DEV"));
        assert_eq!(names.name(&p("arn:aws:iam::111122223333:user/dev")), "dev-2");
        assert_eq!(names.by_key.len(), 2, "a role with and without its path is one principal");
    }
}
