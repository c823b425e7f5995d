//! Authentication, written once: which Kubernetes identity (username, groups) EKS gives a caller
//! on a cluster, and through what — or why it answers `Unauthorized`.
//!
//! The rules (reference §3.6–3.7, §4.2–4.3, §5.3), with aws-iam-authenticator's code as the
//! specification (`pkg/server/server.go` `doMapping`/`renderTemplate`,
//! `pkg/mapper/configmap/mapper.go`, `pkg/mapper/dynamicfile/mapper.go`):
//! - the caller's ARN is canonicalised ([`Caller`]);
//! - where the mode has them, access entries come first and win over aws-auth; an entry matches
//!   its IAM principal (a role whatever its path, names case-insensitively);
//! - where the mode reads aws-auth: `mapRoles`, then `mapUsers`, each compared with the canonical
//!   ARN case-insensitively, the later of two items for the same ARN winning; then `mapAccounts`
//!   (username = the canonical ARN, no groups). A `rolearn` with a path never matches: the
//!   canonical ARN has none;
//! - in CONFIG_MAP the cluster's creator holds `system:masters` outside any visible configuration;
//! - username and group templates are rendered; `{{EC2PrivateDNSName}}` needs the session to be
//!   an instance id (else the authenticator refuses) and an EC2 lookup (else it stays unresolved).

use serde::Serialize;

use super::caller::Caller;
use super::state::{Association, ClusterAccess, Known};
use crate::aws_auth::{Mapping, MappingKind};
use crate::model::{EntryType, PrincipalArn};

/// Facts only the environment knows. Offline, nothing is known.
pub trait Lookups {
    /// The private DNS name of an EC2 instance (`ec2:DescribeInstances`).
    fn ec2_private_dns_name(&self, instance_id: &str) -> Option<String>;
}

/// No lookups: what needs one stays unresolved.
pub struct Offline;

impl Lookups for Offline {
    fn ec2_private_dns_name(&self, _: &str) -> Option<String> {
        None
    }
}

/// What matched the caller.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Via {
    AccessEntry { principal: String, entry_type: EntryType },
    MapRoles { rolearn: String },
    MapUsers { userarn: String },
    MapAccounts { account: String },
    ClusterCreator { principal: String },
}

/// The Kubernetes identity a caller gets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Identity {
    pub username: String,
    /// As mapped; the API server adds `system:authenticated` (see [`Identity::all_groups`]).
    pub groups: Vec<String>,
    pub via: Via,
    /// The access policies of the access entry that matched (none through aws-auth).
    pub policies: Vec<Association>,
    /// Template variables that could not be resolved here, left as written in the username or
    /// groups (e.g. `{{EC2PrivateDNSName}}` offline).
    pub unresolved: Vec<String>,
}

impl Identity {
    /// The groups Kubernetes authorizes with: the mapped ones and `system:authenticated`.
    pub fn all_groups(&self) -> Vec<String> {
        let mut g = self.groups.clone();
        if !g.iter().any(|x| x == "system:authenticated") {
            g.push("system:authenticated".to_string());
        }
        g
    }
}

/// Why a caller is refused (`Unauthorized`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Refusal {
    /// Nothing the mode consults names the caller.
    NotMapped {
        /// The CONFIG_MAP creator's hidden admin could not be checked (live state cannot see it).
        creator_unknown: bool,
        /// An access entry names the caller's principal but was made for an earlier principal
        /// of that ARN (deleted and re-created since), so EKS does not match it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        entry_for_earlier_principal: Option<String>,
    },
    /// A mapping matched but its template cannot be rendered for this caller.
    Template { matched: Via, reason: String },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum Authentication {
    Authenticated(Identity),
    Refused(Refusal),
    /// A part of the state the answer depends on could not be read.
    Unknown {
        reason: String,
    },
}

impl Authentication {
    pub fn identity(&self) -> Option<&Identity> {
        match self {
            Authentication::Authenticated(i) => Some(i),
            _ => None,
        }
    }
}

/// The identity EKS gives `caller` on `cluster`.
pub fn authenticate(cluster: &ClusterAccess, caller: &Caller, lookups: &dyn Lookups) -> Authentication {
    let mut stale_entry = None;
    if cluster.mode.uses_access_entries() {
        let entries = match &cluster.entries {
            Known::Known(e) => e,
            Known::Unknown(why) => return Authentication::Unknown { reason: why.clone() },
        };
        // The caller's principal, parsed once for every entry.
        let me = caller.principal();
        let is_me = |p: &PrincipalArn| me.as_ref().is_some_and(|me| me.same_principal(p));
        if let Some(e) = entries.iter().find(|e| is_me(&e.principal) && !e.made_for_earlier_principal) {
            let via = Via::AccessEntry { principal: e.principal.to_string(), entry_type: e.entry_type };
            return identity(caller, lookups, via, &e.username, &e.groups, e.policies.clone());
        }
        stale_entry = entries
            .iter()
            .find(|e| is_me(&e.principal) && e.made_for_earlier_principal)
            .map(|e| e.principal.to_string());
    }
    let mut creator_unknown = false;
    if cluster.mode.uses_aws_auth() {
        if cluster.mode == crate::model::AuthMode::ConfigMap {
            match &cluster.creator {
                Known::Known(Some(p)) if caller.is_principal(p) => {
                    let via = Via::ClusterCreator { principal: p.to_string() };
                    return identity(caller, lookups, via, "kubernetes-admin", &["system:masters".to_string()], vec![]);
                }
                Known::Known(_) => {}
                Known::Unknown(_) => creator_unknown = true,
            }
        }
        let data = match &cluster.aws_auth {
            Known::Known(d) => d.as_ref(),
            Known::Unknown(why) => return Authentication::Unknown { reason: why.clone() },
        };
        if let Some(data) = data {
            if let Some(m) = matching_mapping(&data.mappings, caller) {
                let via = match m.kind {
                    MappingKind::Role => Via::MapRoles { rolearn: m.arn.clone() },
                    MappingKind::User => Via::MapUsers { userarn: m.arn.clone() },
                };
                let username = m.username.clone().unwrap_or_default();
                return identity(caller, lookups, via, &username, &m.groups, vec![]);
            }
            if data.accounts.contains(&caller.account) {
                let via = Via::MapAccounts { account: caller.account.clone() };
                return Authentication::Authenticated(Identity {
                    username: caller.canonical.clone(),
                    groups: vec![],
                    via,
                    policies: vec![],
                    unresolved: vec![],
                });
            }
        }
    }
    if let Some(set) = unresolved_permission_set(cluster, caller) {
        return Authentication::Unknown {
            reason: format!(
                "{} may be the role of the IAM Identity Center permission set `{set}`, which differs in every account \
                 and is known once IAM of account {} is read (plan reads it)",
                caller.arn, caller.account
            ),
        };
    }
    Authentication::Refused(Refusal::NotMapped { creator_unknown, entry_for_earlier_principal: stale_entry })
}

/// A permission set the cluster's entries or mappings name, whose role is not known yet (the
/// files alone: see [`crate::model::permission_set_placeholder`]), and that the caller's role may
/// be: `AWSReservedSSO_<set>_…` of the same account.
fn unresolved_permission_set(cluster: &ClusterAccess, caller: &Caller) -> Option<String> {
    let role_name = match caller.kind {
        super::CallerKind::Role | super::CallerKind::AssumedRole => caller.canonical.rsplit('/').next()?,
        _ => return None,
    };
    let mut named: Vec<PrincipalArn> = vec![];
    if let (Known::Known(entries), true) = (&cluster.entries, cluster.mode.uses_access_entries()) {
        named.extend(entries.iter().map(|e| e.principal.clone()));
    }
    if let (Known::Known(Some(data)), true) = (&cluster.aws_auth, cluster.mode.uses_aws_auth()) {
        named.extend(data.mappings.iter().filter_map(|m| PrincipalArn::parse(&m.arn).ok()));
    }
    named.iter().filter(|p| p.account == caller.account).find_map(|p| {
        let set = p.placeholder_of()?;
        role_name.starts_with(&format!("AWSReservedSSO_{set}_")).then(|| set.to_string())
    })
}

/// The aws-auth item the authenticator uses for a caller: `mapRoles` before `mapUsers`, ARNs
/// compared case-insensitively with the canonical ARN, the later of two items winning.
pub fn matching_mapping<'a>(mappings: &'a [Mapping], caller: &Caller) -> Option<&'a Mapping> {
    [MappingKind::Role, MappingKind::User].into_iter().find_map(|kind| {
        mappings.iter().rev().find(|m| m.kind == kind && m.arn.eq_ignore_ascii_case(&caller.canonical))
    })
}

/// Whether the item at `index` is the one the authenticator uses for its ARN (and not shadowed by
/// a later item for the same ARN, or by a mapRoles item for an ARN also under mapUsers).
pub fn mapping_in_force(mappings: &[Mapping], index: usize) -> bool {
    let m = &mappings[index];
    let Ok(p) = PrincipalArn::parse(&m.arn) else { return false };
    let caller = match p.kind {
        crate::model::PrincipalKind::Role => {
            format!("arn:{}:sts::{}:assumed-role/{}/session", p.partition, p.account, p.name)
        }
        crate::model::PrincipalKind::User => p.to_string(),
    };
    let Ok(caller) = Caller::parse(&caller) else { return false };
    matching_mapping(mappings, &caller).is_some_and(|used| std::ptr::eq(used, m))
}

/// Whether an aws-auth `rolearn` can ever match a caller: only without a path.
pub fn rolearn_can_match(rolearn: &str) -> bool {
    PrincipalArn::parse(rolearn).map_or(true, |p| !p.has_path())
}

fn identity(
    caller: &Caller,
    lookups: &dyn Lookups,
    via: Via,
    username: &str,
    groups: &[String],
    policies: Vec<Association>,
) -> Authentication {
    let mut unresolved = vec![];
    let mut render = |t: &str| render_template(t, caller, lookups, &mut unresolved);
    let username = match render(username) {
        Ok(u) => u,
        Err(reason) => return Authentication::Refused(Refusal::Template { matched: via, reason }),
    };
    let mut rendered = Vec::with_capacity(groups.len());
    for g in groups {
        match render(g) {
            Ok(g) => rendered.push(g),
            Err(reason) => return Authentication::Refused(Refusal::Template { matched: via, reason }),
        }
    }
    unresolved.sort();
    unresolved.dedup();
    Authentication::Authenticated(Identity { username, groups: rendered, via, policies, unresolved })
}

/// aws-iam-authenticator's `renderTemplate`: `{{EC2PrivateDNSName}}` (the session must be an
/// instance id), `{{AccountID}}`, `{{SessionName}}` (`@` → `-`), `{{SessionNameRaw}}`,
/// `{{AccessKeyID}}`. What cannot be known here is left as written and listed in `unresolved`.
pub fn render_template(
    template: &str,
    caller: &Caller,
    lookups: &dyn Lookups,
    unresolved: &mut Vec<String>,
) -> Result<String, String> {
    let session = caller.session.clone().unwrap_or_default();
    let mut out = template.to_string();
    if out.contains("{{EC2PrivateDNSName}}") {
        if caller.session_unknown() {
            // Any session of the role: an instance's would render, others would be refused.
            unresolved.push("{{EC2PrivateDNSName}}".to_string());
        } else if !is_instance_id(&session) {
            return Err("SessionName did not contain an instance id".to_string());
        } else {
            match lookups.ec2_private_dns_name(&session) {
                Some(dns) => out = out.replace("{{EC2PrivateDNSName}}", &dns),
                None => unresolved.push("{{EC2PrivateDNSName}}".to_string()),
            }
        }
    }
    out = out.replace("{{AccountID}}", &caller.account);
    if caller.session_unknown() {
        for t in ["{{SessionName}}", "{{SessionNameRaw}}"] {
            if out.contains(t) {
                unresolved.push(t.to_string());
            }
        }
    } else {
        out = out.replace("{{SessionName}}", &session.replace('@', "-")).replace("{{SessionNameRaw}}", &session);
    }
    if out.contains("{{AccessKeyID}}") {
        match &caller.access_key {
            Some(k) => out = out.replace("{{AccessKeyID}}", k),
            None => unresolved.push("{{AccessKeyID}}".to_string()),
        }
    }
    Ok(out)
}

/// `^i-(\w{8}|\w{17})$`, the authenticator's instance-id pattern.
pub fn is_instance_id(s: &str) -> bool {
    s.strip_prefix("i-").is_some_and(|id| {
        (id.len() == 8 || id.len() == 17) && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws_auth::AwsAuthData;
    use crate::model::AuthMode;

    fn cluster(mode: AuthMode, map_roles: &str, map_users: &str, accounts: &str) -> ClusterAccess {
        let mut data = std::collections::BTreeMap::new();
        data.insert("mapRoles".to_string(), map_roles.to_string());
        data.insert("mapUsers".to_string(), map_users.to_string());
        data.insert("mapAccounts".to_string(), accounts.to_string());
        let mut c = ClusterAccess::empty("c", mode);
        c.aws_auth = Known::Known(Some(AwsAuthData::parse(&data).unwrap()));
        c
    }

    fn who(c: &ClusterAccess, arn: &str) -> String {
        match authenticate(c, &Caller::parse(arn).unwrap(), &Offline) {
            Authentication::Authenticated(i) => format!("{} {:?}", i.username, i.groups),
            Authentication::Refused(Refusal::Template { reason, .. }) => format!("refused: {reason}"),
            Authentication::Refused(_) => "unauthorized".into(),
            Authentication::Unknown { reason } => format!("unknown: {reason}"),
        }
    }

    /// The cases explain used to get wrong, each decided as the authenticator decides it
    /// (pkg/server/server.go, pkg/mapper/configmap/mapper.go).
    #[test]
    fn the_authenticator_s_rules() {
        let roles = "- rolearn: arn:aws:iam::111122223333:role/nodes\n  username: system:node:{{EC2PrivateDNSName}}\n  groups: [system:nodes]\n";
        let users = "- userarn: arn:aws:iam::111122223333:user/ops/alice\n  username: alice\n  groups: [a]\n- userarn: arn:aws:iam::111122223333:role/deployer\n  username: deployer\n  groups: [d]\n";
        let c = cluster(AuthMode::ConfigMap, roles, users, "- \"444455556666\"\n");
        // A user keeps its path: the mapping with the path matches, one without would not.
        assert_eq!(who(&c, "arn:aws:iam::111122223333:user/ops/alice"), "alice [\"a\"]");
        assert_eq!(who(&c, "arn:aws:iam::111122223333:user/alice"), "unauthorized");
        // A role ARN under mapUsers still matches the role's sessions (the lookup is by ARN).
        assert_eq!(who(&c, "arn:aws:sts::111122223333:assumed-role/deployer/ci"), "deployer [\"d\"]");
        // {{EC2PrivateDNSName}} needs an instance id as the session name.
        assert_eq!(
            who(&c, "arn:aws:sts::111122223333:assumed-role/nodes/not-an-instance"),
            "refused: SessionName did not contain an instance id"
        );
        assert!(
            who(&c, "arn:aws:sts::111122223333:assumed-role/nodes/i-0123456789abcdef0").starts_with("system:node:")
        );
        // Federated users and the root are callers too: here through mapAccounts.
        assert_eq!(
            who(&c, "arn:aws:sts::444455556666:federated-user/bob"),
            "arn:aws:sts::444455556666:federated-user/bob []"
        );
        assert_eq!(who(&c, "arn:aws:iam::444455556666:root"), "arn:aws:iam::444455556666:root []");
        // Unknown state is never "nobody is mapped".
        let mut unknown = c.clone();
        unknown.aws_auth = Known::Unknown("403".into());
        assert_eq!(who(&unknown, "arn:aws:iam::111122223333:user/ops/alice"), "unknown: 403");
    }
}
