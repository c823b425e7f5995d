//! The `kube-system/aws-auth` ConfigMap's data: parsing its `mapRoles`, `mapUsers` and
//! `mapAccounts` YAML strings, merging the mappings accessctl manages into what is there, and
//! writing it back — never dropping or reordering a mapping accessctl does not manage.
//!
//! Matching follows the authenticator (reference §4.2): role ARNs compare lower-cased, users by
//! their ARN as written. Entries accessctl manages are recorded on the object in the annotation
//! `accessctl.io/managed-mappings`, so a later run knows which ones it owns.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_yaml_ng::Value as Yaml;

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
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AwsAuthData {
    pub mappings: Vec<Mapping>,
    pub accounts: Vec<String>,
    /// Items that are not mappings accessctl can read (kept verbatim, reported by explain).
    #[serde(skip)]
    pub unreadable_roles: Vec<Yaml>,
    #[serde(skip)]
    pub unreadable_users: Vec<Yaml>,
    /// The ConfigMap's other data keys, kept as they are.
    #[serde(skip)]
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

/// The outcome of merging desired mappings into live ones.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    pub data: AwsAuthData,
    /// Keys accessctl manages after the merge (for the annotation).
    pub managed: BTreeSet<String>,
}

/// Merges `desired` (what the files declare) into `live`. A declared mapping replaces, in place,
/// the live item of the same key that the authenticator uses (the last one); earlier items of
/// that key are shadowed — they map nobody — and stay as they are, as every mapping accessctl
/// does not manage does; new ones are appended. Mappings accessctl manages
/// but the files no longer declare are removed when `prune` is set and they are not `protected`;
/// every other mapping is kept where it is.
pub fn merge(
    live: &AwsAuthData,
    previously_managed: &BTreeSet<String>,
    desired: &[Mapping],
    desired_accounts: &[String],
    prune: bool,
    protected: &BTreeSet<String>,
) -> Merged {
    let wanted: BTreeMap<String, &Mapping> = desired.iter().map(|m| (m.key(), m)).collect();
    let mut placed = BTreeSet::new();
    let mut mappings = Vec::new();
    let mut managed: BTreeSet<String> = wanted.keys().cloned().collect();
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
        } else if previously_managed.contains(&key) {
            if !prune || protected.contains(&key) {
                managed.insert(key);
                mappings.push(m.clone());
            }
        } else {
            mappings.push(m.clone());
        }
    }
    for (key, d) in &wanted {
        if !placed.contains(key) {
            mappings.push((*d).clone());
        }
    }
    let mut accounts: Vec<String> = Vec::new();
    for a in &live.accounts {
        let key = format!("account:{a}");
        let keep = desired_accounts.contains(a) || !previously_managed.contains(&key) || !prune;
        if keep && !accounts.contains(a) {
            accounts.push(a.clone());
            if previously_managed.contains(&key) {
                managed.insert(key);
            }
        }
    }
    for a in desired_accounts {
        managed.insert(format!("account:{a}"));
        if !accounts.contains(a) {
            accounts.push(a.clone());
        }
    }
    let data = AwsAuthData {
        mappings,
        accounts,
        unreadable_roles: live.unreadable_roles.clone(),
        unreadable_users: live.unreadable_users.clone(),
        other: live.other.clone(),
    };
    Merged { data, managed }
}

/// Whether two data sets say the same to the authenticator.
pub fn equivalent(a: &AwsAuthData, b: &AwsAuthData) -> bool {
    a.mappings.len() == b.mappings.len()
        && a.mappings.iter().zip(&b.mappings).all(|(x, y)| x.same_as(y))
        && a.accounts == b.accounts
        && a.unreadable_roles == b.unreadable_roles
        && a.unreadable_users == b.unreadable_users
}

/// The mappings accessctl manages, from the annotation. An annotation that does not parse is an
/// error: read as "manages nothing", a prune would keep what it owns, and a guard would miss it.
pub fn managed_from_annotation(value: Option<&str>) -> Result<BTreeSet<String>, AwsAuthParseError> {
    match value {
        None => Ok(BTreeSet::new()),
        Some(v) => serde_json::from_str::<BTreeSet<String>>(v)
            .map_err(|e| AwsAuthParseError { key: format!("annotation {MANAGED_ANNOTATION}"), reason: e.to_string() }),
    }
}

pub fn managed_to_annotation(managed: &BTreeSet<String>) -> String {
    serde_json::to_string(managed).unwrap_or_else(|_| "[]".into())
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
        let merged = merge(&live, &BTreeSet::new(), &desired, &[], false, &BTreeSet::new());
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
        assert!(merged.managed.contains("role:arn:aws:iam::111122223333:role/dev"));
        // Merging the result again changes nothing.
        let again = merge(&merged.data, &merged.managed, &desired, &[], false, &BTreeSet::new());
        assert!(equivalent(&again.data, &merged.data));
    }

    #[test]
    fn prune_removes_only_what_accessctl_managed() {
        let live = AwsAuthData::parse(&data(
            &format!("{NODES}- rolearn: arn:aws:iam::111122223333:role/old\n  groups: [x]\n"),
            "",
        ))
        .unwrap();
        let managed = BTreeSet::from(["role:arn:aws:iam::111122223333:role/old".to_string()]);
        let kept = merge(&live, &managed, &[], &[], false, &BTreeSet::new());
        assert_eq!(kept.data.mappings.len(), 2);
        let pruned = merge(&live, &managed, &[], &[], true, &BTreeSet::new());
        assert_eq!(pruned.data.mappings.len(), 1, "the unmanaged node mapping stays");
        let protected = merge(&live, &managed, &[], &[], true, &managed);
        assert_eq!(protected.data.mappings.len(), 2);
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
        let merged = merge(&live, &BTreeSet::new(), &desired, &[], false, &BTreeSet::new());
        assert_eq!(merged.data.mappings.len(), 2, "the shadowed item is not accessctl's to drop");
        assert_eq!(merged.data.mappings[0].groups, ["viewers"], "kept as it was");
        assert_eq!(merged.data.find("role:arn:aws:iam::111122223333:role/nodes").unwrap().groups, ["system:nodes"]);
    }
}
