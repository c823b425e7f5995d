//! The `kube-system/aws-auth` ConfigMap's data: parsing its `mapRoles`, `mapUsers` and
//! `mapAccounts` YAML strings, merging the mappings accessctl manages into what is there, and
//! writing it back — never dropping or reordering a mapping accessctl does not manage.
//!
//! Matching follows the authenticator (reference §4.2): role ARNs compare lower-cased, users by
//! their ARN as written. Entries accessctl manages are recorded on the object in the annotation
//! `accessctl.io/managed-mappings`, by owner, so a later run knows which ones it owns.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_yaml_ng::Value as Yaml;

use crate::ownership::{self, DEFAULT_OWNER, KeptBecause, Owners};

pub const MANAGED_ANNOTATION: &str = "accessctl.io/managed-mappings";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MappingKind {
    Role,
    User,
}

/// One mapRoles or mapUsers item, as accessctl understands it, with the YAML it came from (so
/// fields accessctl does not know, such as `userid` or `sso`, survive a rewrite).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mapping {
    pub kind: MappingKind,
    pub arn: String,
    pub username: Option<String>,
    pub groups: Vec<String>,
    #[serde(skip)]
    pub raw: Option<Yaml>,
}

impl Mapping {
    pub fn new(kind: MappingKind, arn: String, username: Option<String>, mut groups: Vec<String>) -> Mapping {
        groups.sort();
        groups.dedup();
        Mapping { kind, arn, username, groups, raw: None }
    }

    /// The authenticator's key: roles case-insensitively, users as written.
    pub fn key(&self) -> String {
        match self.kind {
            MappingKind::Role => format!("role:{}", self.arn.to_ascii_lowercase()),
            MappingKind::User => format!("user:{}", self.arn),
        }
    }

    /// Equal as the authenticator sees them (group order does not matter).
    pub fn same_as(&self, other: &Mapping) -> bool {
        let sorted = |g: &[String]| g.iter().cloned().collect::<BTreeSet<_>>();
        self.key() == other.key() && self.username == other.username && sorted(&self.groups) == sorted(&other.groups)
    }

    fn to_yaml(&self) -> Yaml {
        // Keep what was there (unknown fields), overwrite what accessctl decides.
        let mut map = match &self.raw {
            Some(Yaml::Mapping(m)) => m.clone(),
            _ => serde_yaml_ng::Mapping::new(),
        };
        let arn_key = match self.kind {
            MappingKind::Role => "rolearn",
            MappingKind::User => "userarn",
        };
        map.insert(Yaml::from(arn_key), Yaml::from(self.arn.clone()));
        match &self.username {
            Some(u) => {
                map.insert(Yaml::from("username"), Yaml::from(u.clone()));
            }
            None => {
                map.remove(Yaml::from("username"));
            }
        }
        map.insert(Yaml::from("groups"), Yaml::Sequence(self.groups.iter().cloned().map(Yaml::from).collect()));
        Yaml::Mapping(map)
    }
}

/// The parsed data of an aws-auth ConfigMap.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AwsAuthData {
    pub mappings: Vec<Mapping>,
    pub accounts: Vec<String>,
    /// Items that are not mappings accessctl can read (kept verbatim, reported by explain).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unreadable_roles: Vec<Yaml>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unreadable_users: Vec<Yaml>,
    /// The ConfigMap's other data keys, kept as they are.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub other: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
#[error("aws-auth {key} cannot be read: {reason}")]
pub struct AwsAuthParseError {
    pub key: String,
    pub reason: String,
}

/// Values the authenticator skips as empty (reference §4.1).
fn skippable(s: &str) -> bool {
    matches!(s.trim(), "" | "``" | "\"\"" | "''")
}

impl AwsAuthData {
    pub fn parse(data: &BTreeMap<String, String>) -> Result<AwsAuthData, AwsAuthParseError> {
        let mut out = AwsAuthData::default();
        for (key, value) in data {
            match key.as_str() {
                "mapRoles" | "mapUsers" => {
                    let kind = if key == "mapRoles" { MappingKind::Role } else { MappingKind::User };
                    for item in parse_list(key, value)? {
                        match read_mapping(kind, &item) {
                            Some(m) => out.mappings.push(m),
                            None if kind == MappingKind::Role => out.unreadable_roles.push(item),
                            None => out.unreadable_users.push(item),
                        }
                    }
                }
                "mapAccounts" => {
                    for item in parse_list(key, value)? {
                        match item {
                            Yaml::String(s) => out.accounts.push(s),
                            Yaml::Number(n) => out.accounts.push(format!("{n:0>12}")),
                            _ => {}
                        }
                    }
                }
                _ => {
                    out.other.insert(key.clone(), value.clone());
                }
            }
        }
        Ok(out)
    }

    /// The data as the authenticator keeps it: each key parsed on its own, a key that does not
    /// parse left out ("only saving data that was good", pkg/mapper/configmap/configmap.go). For
    /// authenticating only: accessctl itself never writes over what it could not read.
    pub fn parse_as_authenticator(data: &BTreeMap<String, String>) -> AwsAuthData {
        let mut out = AwsAuthData::default();
        for (key, value) in data {
            let one = BTreeMap::from([(key.clone(), value.clone())]);
            if let Ok(part) = AwsAuthData::parse(&one) {
                out.mappings.extend(part.mappings);
                out.accounts.extend(part.accounts);
                out.unreadable_roles.extend(part.unreadable_roles);
                out.unreadable_users.extend(part.unreadable_users);
                out.other.extend(part.other);
            }
        }
        out
    }

    /// The ConfigMap data for these mappings. Keys with nothing in them are left out.
    pub fn render(&self) -> BTreeMap<String, String> {
        let mut data = self.other.clone();
        let list = |kind: MappingKind, extra: &[Yaml]| -> Vec<Yaml> {
            self.mappings.iter().filter(|m| m.kind == kind).map(Mapping::to_yaml).chain(extra.iter().cloned()).collect()
        };
        let roles = list(MappingKind::Role, &self.unreadable_roles);
        let users = list(MappingKind::User, &self.unreadable_users);
        if !roles.is_empty() {
            data.insert("mapRoles".into(), to_yaml_text(&roles));
        }
        if !users.is_empty() {
            data.insert("mapUsers".into(), to_yaml_text(&users));
        }
        if !self.accounts.is_empty() {
            let accounts: Vec<Yaml> = self.accounts.iter().cloned().map(Yaml::from).collect();
            data.insert("mapAccounts".into(), to_yaml_text(&accounts));
        }
        data
    }

    /// Every key present: mappings and accounts.
    pub fn keys(&self) -> BTreeSet<String> {
        self.mappings.iter().map(Mapping::key).chain(self.accounts.iter().map(|a| account_key(a))).collect()
    }

    /// The mapping the authenticator would use for a key: for roles the last one wins (§4.2).
    pub fn find(&self, key: &str) -> Option<&Mapping> {
        self.mappings.iter().rev().find(|m| m.key() == key)
    }
}

fn parse_list(key: &str, value: &str) -> Result<Vec<Yaml>, AwsAuthParseError> {
    if skippable(value) {
        return Ok(vec![]);
    }
    match serde_yaml_ng::from_str::<Yaml>(value) {
        Ok(Yaml::Sequence(items)) => Ok(items),
        Ok(Yaml::Null) => Ok(vec![]),
        Ok(_) => Err(AwsAuthParseError { key: key.into(), reason: "expected a list".into() }),
        Err(e) => Err(AwsAuthParseError { key: key.into(), reason: e.to_string() }),
    }
}

fn read_mapping(kind: MappingKind, item: &Yaml) -> Option<Mapping> {
    let Yaml::Mapping(map) = item else { return None };
    // Keys match case-insensitively, as Go's encoding/json does for the authenticator.
    let get =
        |name: &str| map.iter().find(|(k, _)| k.as_str().is_some_and(|k| k.eq_ignore_ascii_case(name))).map(|(_, v)| v);
    let arn_key = match kind {
        MappingKind::Role => "rolearn",
        MappingKind::User => "userarn",
    };
    // An item without its ARN is invalid to the authenticator ("one of rolearn or SSO must be
    // supplied"): it maps nobody, and is kept verbatim as unreadable.
    let arn = get(arn_key)?.as_str().filter(|a| !a.trim().is_empty())?.to_string();
    let username = get("username").and_then(Yaml::as_str).map(str::to_string);
    let groups = match get("groups") {
        Some(Yaml::Sequence(g)) => g.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        _ => vec![],
    };
    Some(Mapping { kind, arn, username, groups, raw: Some(item.clone()) })
}

fn to_yaml_text(items: &[Yaml]) -> String {
    serde_yaml_ng::to_string(items).unwrap_or_default()
}

/// Who claims each mapping (`role:…`, `user:…`, `account:…` keys): the configurations that
/// declared it (see [`crate::ownership`]).
pub type Claims = BTreeMap<String, Owners>;

/// What one configuration asks of aws-auth.
#[derive(Debug, Clone, Copy)]
pub struct MergeRequest<'a> {
    pub owner: &'a str,
    pub desired: &'a [Mapping],
    pub desired_accounts: &'a [String],
    /// Keys the plan showed as deleted. At write time a key is deleted only if, by then, no
    /// other configuration claims it: a pruning apply deletes what its plan showed, nothing else.
    pub delete: &'a BTreeSet<String>,
    /// Keys whose claim this configuration lets go while others keep them.
    pub release: &'a BTreeSet<String>,
}

/// The outcome of merging desired mappings into live ones.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    pub data: AwsAuthData,
    /// Who claims what after the merge (for the annotation).
    pub claims: Claims,
}

/// What the plan decides for the keys a configuration does not declare.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Undeclared {
    pub delete: BTreeSet<String>,
    pub release: BTreeSet<String>,
    /// Live mappings kept, with the reason (only those some configuration owns or that are in
    /// force; shadowed duplicates are not listed).
    pub kept: Vec<(String, KeptBecause)>,
}

/// Applies [`ownership::undeclared`] to every key of `live` that `owner` does not declare (a claim
/// on a key that is gone is not a deletion: the merge drops it).
pub fn undeclared(
    live: &AwsAuthData,
    claims: &Claims,
    owner: &str,
    declared: &BTreeSet<String>,
    prune: bool,
    protected: &BTreeSet<String>,
) -> Undeclared {
    let keys: BTreeSet<String> = live.keys();
    let mut out = Undeclared::default();
    let nobody = Owners::default();
    for key in keys.into_iter().filter(|k| !declared.contains(k)) {
        let owners = claims.get(&key).unwrap_or(&nobody);
        match ownership::undeclared(owners, owner, prune, protected.contains(&key)) {
            ownership::Undeclared::Delete => {
                out.delete.insert(key);
            }
            ownership::Undeclared::Release => {
                out.release.insert(key);
            }
            ownership::Undeclared::Keep(why) => out.kept.push((key, why)),
        }
    }
    out
}

/// Merges what `request.owner` declares into `live`. A declared mapping replaces, in place,
/// the live item of the same key that the authenticator uses (the last one); earlier items of
/// that key are shadowed — they map nobody — and stay as they are, as every mapping accessctl
/// does not manage does; new ones are appended. Keys in `request.delete` are removed (every
/// item of the key) unless another configuration claims them by now; every other mapping is
/// kept where it is.
pub fn merge(live: &AwsAuthData, claims: &Claims, request: &MergeRequest) -> Merged {
    let owner = request.owner;
    let wanted: BTreeMap<String, &Mapping> = request.desired.iter().map(|m| (m.key(), m)).collect();
    let mut claims = claims.clone();
    for key in request.delete {
        if let Some(owners) = claims.get_mut(key) {
            *owners = owners.without(owner);
        }
    }
    // Letting go was planned because others claimed the key too. If by now nobody else does
    // (they let go meanwhile), the claim stays: dropped, the mapping would belong to nobody and
    // never be pruned; kept, the next plan shows it deleted.
    for key in request.release {
        if let Some(owners) = claims.get_mut(key)
            && !owners.others(owner).is_empty()
        {
            *owners = owners.without(owner);
        }
    }
    let deleted = |key: &String| {
        request.delete.contains(key) && !wanted.contains_key(key) && claims.get(key).is_none_or(Owners::is_empty)
    };
    let mut placed = BTreeSet::new();
    let mut mappings = Vec::new();
    let in_force: BTreeMap<String, usize> = live.mappings.iter().enumerate().map(|(i, m)| (m.key(), i)).collect();
    for (i, m) in live.mappings.iter().enumerate() {
        let key = m.key();
        if let Some(d) = wanted.get(&key) {
            if in_force.get(&key) == Some(&i) {
                placed.insert(key);
                let mut replaced = (*d).clone();
                replaced.raw = m.raw.clone();
                mappings.push(replaced);
            } else {
                mappings.push(m.clone());
            }
        } else if !deleted(&key) {
            mappings.push(m.clone());
        }
    }
    for (key, d) in &wanted {
        if !placed.contains(key) {
            mappings.push((*d).clone());
        }
    }
    let mut accounts: Vec<String> = Vec::new();
    for a in live.accounts.iter().chain(request.desired_accounts) {
        let key = account_key(a);
        let declared = request.desired_accounts.contains(a);
        if (declared || !deleted(&key)) && !accounts.contains(a) {
            accounts.push(a.clone());
        }
    }
    for key in wanted.keys().cloned().chain(request.desired_accounts.iter().map(|a| account_key(a))) {
        let owners = claims.entry(key).or_default();
        *owners = owners.with(owner);
    }
    let data = AwsAuthData {
        mappings,
        accounts,
        unreadable_roles: live.unreadable_roles.clone(),
        unreadable_users: live.unreadable_users.clone(),
        other: live.other.clone(),
    };
    // Claims on what is gone (deleted here, or removed by hand) are dropped.
    let present = data.keys();
    claims.retain(|key, owners| !owners.is_empty() && present.contains(key));
    Merged { data, claims }
}

fn account_key(account: &str) -> String {
    format!("account:{account}")
}

/// Whether two data sets say the same to the authenticator.
pub fn equivalent(a: &AwsAuthData, b: &AwsAuthData) -> bool {
    a.mappings.len() == b.mappings.len()
        && a.mappings.iter().zip(&b.mappings).all(|(x, y)| x.same_as(y))
        && a.accounts == b.accounts
        && a.unreadable_roles == b.unreadable_roles
        && a.unreadable_users == b.unreadable_users
}

/// Who claims what, from the annotation: a JSON object of owner → keys, or (written before
/// owners existed) a JSON list of keys, all the default owner's. An annotation that does not
/// parse is an error: read as "nobody owns anything", a prune would keep what it owns, and a
/// guard would miss it.
pub fn claims_from_annotation(value: Option<&str>) -> Result<Claims, AwsAuthParseError> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Annotation {
        ByOwner(BTreeMap<String, BTreeSet<String>>),
        Legacy(BTreeSet<String>),
    }
    let Some(value) = value else { return Ok(Claims::new()) };
    let by_owner = match serde_json::from_str::<Annotation>(value) {
        Ok(Annotation::ByOwner(m)) => m,
        Ok(Annotation::Legacy(keys)) => BTreeMap::from([(DEFAULT_OWNER.to_string(), keys)]),
        Err(e) => {
            return Err(AwsAuthParseError { key: format!("annotation {MANAGED_ANNOTATION}"), reason: e.to_string() });
        }
    };
    let mut claims = Claims::new();
    for (owner, keys) in by_owner {
        for key in keys {
            let owners = claims.entry(key).or_default();
            *owners = owners.with(&owner);
        }
    }
    Ok(claims)
}

pub fn claims_to_annotation(claims: &Claims) -> String {
    let mut by_owner: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (key, owners) in claims {
        for owner in owners.iter() {
            by_owner.entry(owner).or_default().insert(key);
        }
    }
    serde_json::to_string(&by_owner).unwrap_or_else(|_| "{}".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(roles: &str, users: &str) -> BTreeMap<String, String> {
        let mut d = BTreeMap::new();
        d.insert("mapRoles".to_string(), roles.to_string());
        d.insert("mapUsers".to_string(), users.to_string());
        d
    }

    const NODES: &str = "- groups:\n  - system:bootstrappers\n  - system:nodes\n  rolearn: arn:aws:iam::111122223333:role/Nodes\n  username: system:node:{{EC2PrivateDNSName}}\n";

    #[test]
    fn parses_eks_written_and_quoted_forms() {
        let quoted = "- \"rolearn\": \"arn:aws:iam::111122223333:role/x\"\n  \"username\": \"x\"\n  \"groups\": [\"a\"]\n  \"userid\": \"AROA1\"\n";
        let parsed = AwsAuthData::parse(&data(quoted, "")).unwrap();
        assert_eq!(parsed.mappings.len(), 1);
        assert_eq!(parsed.mappings[0].groups, ["a"]);
        let rendered = parsed.render();
        assert!(rendered["mapRoles"].contains("userid"), "unknown fields survive: {}", rendered["mapRoles"]);
        assert!(!rendered.contains_key("mapUsers"));
        let accounts = AwsAuthData::parse(&BTreeMap::from([(
            "mapAccounts".to_string(),
            "- \"111122223333\"\n- 444455556666\n".to_string(),
        )]))
        .unwrap();
        assert_eq!(accounts.accounts, ["111122223333", "444455556666"]);
    }

    #[test]
    fn merge_keeps_unmanaged_in_place_and_replaces_declared() {
        let live = AwsAuthData::parse(&data(
            &format!("{NODES}- rolearn: arn:aws:iam::111122223333:role/dev\n  username: dev\n  groups: [old]\n"),
            "- userarn: arn:aws:iam::111122223333:user/bob\n  username: bob\n  groups: [viewers]\n",
        ))
        .unwrap();
        let desired = vec![
            Mapping::new(
                MappingKind::Role,
                "arn:aws:iam::111122223333:role/DEV".into(),
                Some("dev".into()),
                vec!["new".into()],
            ),
            Mapping::new(
                MappingKind::User,
                "arn:aws:iam::111122223333:user/alice".into(),
                None,
                vec!["viewers".into()],
            ),
        ];
        let merged = merge(&live, &Claims::new(), &request("a", &desired, &BTreeSet::new()));
        let arns: Vec<&str> = merged.data.mappings.iter().map(|m| m.arn.as_str()).collect();
        assert_eq!(
            arns,
            [
                "arn:aws:iam::111122223333:role/Nodes",
                "arn:aws:iam::111122223333:role/DEV",
                "arn:aws:iam::111122223333:user/bob",
                "arn:aws:iam::111122223333:user/alice"
            ]
        );
        assert_eq!(merged.data.mappings[1].groups, ["new"]);
        assert!(merged.claims["role:arn:aws:iam::111122223333:role/dev"].claims("a"));
        // Merging the result again changes nothing.
        let again = merge(&merged.data, &merged.claims, &request("a", &desired, &BTreeSet::new()));
        assert!(equivalent(&again.data, &merged.data));
    }

    fn request<'a>(owner: &'a str, desired: &'a [Mapping], delete: &'a BTreeSet<String>) -> MergeRequest<'a> {
        const NONE: &BTreeSet<String> = &BTreeSet::new();
        MergeRequest { owner, desired, desired_accounts: &[], delete, release: NONE }
    }

    const OLD: &str = "role:arn:aws:iam::111122223333:role/old";

    #[test]
    fn prune_removes_only_what_its_owner_alone_claims() {
        let live = AwsAuthData::parse(&data(
            &format!("{NODES}- rolearn: arn:aws:iam::111122223333:role/old\n  groups: [x]\n"),
            "",
        ))
        .unwrap();
        let claims = Claims::from([(OLD.to_string(), Owners::of("a"))]);
        let declared = BTreeSet::new();
        let none = BTreeSet::new();
        let plan = |owner: &str, claims: &Claims, prune: bool, protected: &BTreeSet<String>| {
            undeclared(&live, claims, owner, &declared, prune, protected)
        };
        assert!(plan("a", &claims, false, &none).delete.is_empty());
        let pruned = plan("a", &claims, true, &none);
        assert_eq!(pruned.delete, BTreeSet::from([OLD.to_string()]));
        let nodes = "role:arn:aws:iam::111122223333:role/nodes";
        assert_eq!(pruned.kept, [(nodes.to_string(), KeptBecause::NotManaged)], "the unmanaged node mapping stays");
        let merged = merge(&live, &claims, &request("a", &[], &pruned.delete));
        assert_eq!(merged.data.mappings.len(), 1);
        assert!(merged.claims.is_empty(), "no claim outlives its mapping");
        let protected = BTreeSet::from([OLD.to_string()]);
        assert!(plan("a", &claims, true, &protected).delete.is_empty());
        // Another owner's mapping is not this one's to prune.
        assert_eq!(
            plan("b", &claims, true, &none).kept[1],
            (OLD.to_string(), KeptBecause::OwnedByOthers(Owners::of("a")))
        );
        // Claimed by two: the one that stops declaring it lets go, the mapping stays.
        let shared = Claims::from([(OLD.to_string(), Owners::of("a").with("b"))]);
        let released = plan("a", &shared, true, &none);
        assert_eq!(released.release, BTreeSet::from([OLD.to_string()]));
        let merged = merge(
            &live,
            &shared,
            &MergeRequest {
                owner: "a",
                desired: &[],
                desired_accounts: &[],
                delete: &none,
                release: &released.release,
            },
        );
        assert_eq!(merged.data.mappings.len(), 2);
        assert_eq!(merged.claims[OLD], Owners::of("b"));
    }

    #[test]
    fn a_delete_planned_before_another_owner_claimed_the_mapping_keeps_it() {
        let live =
            AwsAuthData::parse(&data("- rolearn: arn:aws:iam::111122223333:role/old\n  groups: [x]\n", "")).unwrap();
        let planned = undeclared(
            &live,
            &Claims::from([(OLD.to_string(), Owners::of("a"))]),
            "a",
            &BTreeSet::new(),
            true,
            &BTreeSet::new(),
        );
        // Between plan and apply, owner b declared the same mapping.
        let now = Claims::from([(OLD.to_string(), Owners::of("a").with("b"))]);
        let merged = merge(&live, &now, &request("a", &[], &planned.delete));
        assert_eq!(merged.data.mappings.len(), 1, "b's mapping stays");
        assert_eq!(merged.claims[OLD], Owners::of("b"));
        // A mapping that appeared after the plan is not deleted: it was never in the plan.
        let later = AwsAuthData::parse(&data(
            "- rolearn: arn:aws:iam::111122223333:role/old\n  groups: [x]\n- rolearn: arn:aws:iam::111122223333:role/new\n  groups: [y]\n",
            "",
        ))
        .unwrap();
        let with_new = Claims::from([
            (OLD.to_string(), Owners::of("a")),
            ("role:arn:aws:iam::111122223333:role/new".to_string(), Owners::of("a")),
        ]);
        let merged = merge(&later, &with_new, &request("a", &[], &planned.delete));
        assert_eq!(
            merged.data.mappings.iter().map(|m| m.arn.as_str()).collect::<Vec<_>>(),
            ["arn:aws:iam::111122223333:role/new"]
        );
    }

    #[test]
    fn letting_go_never_leaves_a_mapping_to_nobody() {
        let live =
            AwsAuthData::parse(&data("- rolearn: arn:aws:iam::111122223333:role/old\n  groups: [x]\n", "")).unwrap();
        let (none, release) = (BTreeSet::new(), BTreeSet::from([OLD.to_string()]));
        // a planned to let go while b claimed the mapping too; b let go in the meantime.
        let now = Claims::from([(OLD.to_string(), Owners::of("a"))]);
        let request =
            MergeRequest { owner: "a", desired: &[], desired_accounts: &[], delete: &none, release: &release };
        let merged = merge(&live, &now, &request);
        assert_eq!(merged.claims[OLD], Owners::of("a"), "the claim stays");
        let next = undeclared(&merged.data, &merged.claims, "a", &none, true, &none);
        assert_eq!(next.delete, release, "and the next plan deletes it");
        // A claim on a mapping that is gone is dropped, never planned as a deletion.
        let gone = Claims::from([("role:arn:aws:iam::111122223333:role/gone".to_string(), Owners::of("a"))]);
        assert!(undeclared(&live, &gone, "a", &none, true, &none).delete.is_empty());
    }

    #[test]
    fn claims_read_the_old_list_as_the_default_owner_and_write_by_owner() {
        let legacy = claims_from_annotation(Some(&format!("[\"{OLD}\"]"))).unwrap();
        assert_eq!(legacy[OLD], Owners::of(DEFAULT_OWNER));
        let both = claims_from_annotation(Some(&format!("{{\"a\":[\"{OLD}\"],\"b\":[\"{OLD}\"]}}"))).unwrap();
        assert_eq!(both[OLD], Owners::of("a").with("b"));
        assert_eq!(claims_from_annotation(Some(&claims_to_annotation(&both))).unwrap(), both);
        assert!(claims_from_annotation(Some("{not json")).is_err());
    }

    #[test]
    fn a_declared_role_replaces_the_item_in_force_and_earlier_duplicates_stay() {
        let viewers = "- rolearn: arn:aws:iam::111122223333:role/nodes\n  groups:\n  - viewers\n";
        let live = AwsAuthData::parse(&data(&format!("{viewers}{NODES}"), "")).unwrap();
        assert_eq!(live.find("role:arn:aws:iam::111122223333:role/nodes").map(|m| m.groups.len()), Some(2));
        let desired = vec![Mapping::new(
            MappingKind::Role,
            "arn:aws:iam::111122223333:role/Nodes".into(),
            None,
            vec!["system:nodes".into()],
        )];
        let merged = merge(&live, &Claims::new(), &request("a", &desired, &BTreeSet::new()));
        assert_eq!(merged.data.mappings.len(), 2, "the shadowed item is not accessctl's to drop");
        assert_eq!(merged.data.mappings[0].groups, ["viewers"], "kept as it was");
        assert_eq!(merged.data.find("role:arn:aws:iam::111122223333:role/nodes").unwrap().groups, ["system:nodes"]);
    }
}
