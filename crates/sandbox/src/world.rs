//! The sandbox's state: clusters with their mode, updates and access entries, their Kubernetes
//! objects, and the caller identity. Plain data, serialisable, so the sandbox can persist it to a
//! file and survive restarts. Time is epoch milliseconds, passed in, so behaviour is a function of
//! the state and the clock.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::seed::{Seed, SeedCluster};
use accessctl_core::model::arn::PrincipalArn;
use accessctl_core::model::rules::EntryType;
use accessctl_core::model::{AuthMode, policy};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct World {
    pub identity: Identity,
    /// Every credential the sandbox accepts, by access key: the default identity's (`sandbox`),
    /// the seed's IAM users, and the sessions AssumeRole hands out. A token or an STS call signed
    /// with one of them is that identity.
    #[serde(default)]
    pub credentials: BTreeMap<String, Credential>,
    /// The IAM roles the sandbox knows, by `account:lower-case name` (IAM names are unique
    /// case-insensitively in an account).
    #[serde(default)]
    pub iam_roles: BTreeMap<String, IamPrincipal>,
    /// The IAM users the sandbox knows (the default identity and the seed's users), the same way.
    #[serde(default)]
    pub iam_users: BTreeMap<String, IamPrincipal>,
    /// Whether the seed describes IAM (`roles`, `iamUsers`): if not, the caller may not read it.
    #[serde(default)]
    pub iam_described: bool,
    pub clusters: BTreeMap<String, ClusterState>,
    /// The Kubernetes resourceVersion counter, shared by every cluster's objects.
    pub resource_version: u64,
    /// Where the sandbox serves, e.g. `http://127.0.0.1:4599`: DescribeCluster's endpoints point here.
    #[serde(skip)]
    pub base_url: String,
    /// The PEM of the CA behind the Kubernetes endpoint (DescribeCluster's certificateAuthority).
    #[serde(skip)]
    pub ca_pem: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Identity {
    pub arn: String,
    pub user_id: String,
    pub account: String,
}

/// An access key the sandbox knows, and who signs with it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Credential {
    pub secret: String,
    /// The ARN STS reports: an IAM user, or an `assumed-role` session.
    pub arn: String,
    /// STS's `UserId`: `AIDA…` for users, `AROA…:session` for sessions.
    pub user_id: String,
    pub account: String,
}

/// The access key of the default identity (`AWS_ACCESS_KEY_ID=sandbox`, secret `sandbox`).
pub const DEFAULT_ACCESS_KEY: &str = "sandbox";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClusterState {
    pub name: String,
    pub arn: String,
    pub region: String,
    pub account: String,
    pub created_at: u64,
    pub mode: AuthMode,
    pub bootstrap_admin: bool,
    pub creator: Option<String>,
    pub node_roles: Vec<String>,
    pub fargate_roles: Vec<String>,
    pub tags: BTreeMap<String, String>,
    pub updates: Vec<Update>,
    pub entries: BTreeMap<String, EntryState>,
    /// Kubernetes objects by (resource, namespace, name); cluster-scoped ones have namespace "".
    pub objects: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Update {
    pub id: String,
    pub status: String,
    pub target: AuthMode,
    pub created_at: u64,
    pub completes_at: u64,
    pub fail: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EntryState {
    pub principal_arn: String,
    pub entry_type: EntryType,
    pub username: String,
    pub groups: Vec<String>,
    pub tags: BTreeMap<String, String>,
    pub arn: String,
    pub created_at: u64,
    pub modified_at: u64,
    /// Until this instant the entry is not yet visible to AssociateAccessPolicy.
    pub visible_at: u64,
    pub associations: BTreeMap<String, Association>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Association {
    /// Empty for cluster scope.
    pub namespaces: Vec<String>,
    pub cluster_scope: bool,
    pub associated_at: u64,
    pub modified_at: u64,
}

/// An IAM role or user: what `GetRole`, `ListRoles`, `GetUser` and `ListUsers` answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IamPrincipal {
    pub arn: PrincipalArn,
    /// The unique id (`AROA…` / `AIDA…`): a principal re-created with the same ARN gets another.
    pub id: String,
    /// `CreateDate`, in milliseconds since the epoch.
    pub created_at: u64,
}

impl IamPrincipal {
    /// `CreateDate` as IAM reports it: to the second.
    pub fn reported_created_at(&self) -> u64 {
        self.created_at / 1000 * 1000
    }
}

/// Upper-case letters and digits, as AWS ids are.
fn random_id(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    (0..len).map(|_| ALPHABET[fastrand::usize(..ALPHABET.len())] as char).collect()
}

/// A principal's unique-id suffix, stable for its ARN (a sandbox principal is never re-created).
pub fn stable_id(arn: &str) -> String {
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, arn.as_bytes()).simple().to_string()[..17].to_ascii_uppercase()
}

/// IAM names are unique per account, case-insensitively.
fn iam_key(p: &PrincipalArn) -> String {
    format!("{}:{}", p.account, p.name.to_ascii_lowercase())
}

pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// The key of a Kubernetes object in `ClusterState::objects`.
pub fn object_key(resource: &str, namespace: &str, name: &str) -> String {
    format!("{resource}/{namespace}/{name}")
}

impl World {
    pub fn from_seed(seed: &Seed, now: u64) -> Result<World, String> {
        let identity = match &seed.identity {
            Some(id) => {
                let arn = id.arn.clone();
                let account = arn.split(':').nth(4).unwrap_or("111122223333").to_string();
                Identity { arn, user_id: id.user_id.clone().unwrap_or_else(|| "AIDASANDBOX000000001".into()), account }
            }
            None => Identity {
                arn: "arn:aws:iam::111122223333:user/sandbox-admin".into(),
                user_id: "AIDASANDBOX000000001".into(),
                account: "111122223333".into(),
            },
        };
        let mut credentials = BTreeMap::new();
        credentials.insert(
            DEFAULT_ACCESS_KEY.to_string(),
            Credential {
                secret: "sandbox".into(),
                arn: identity.arn.clone(),
                user_id: identity.user_id.clone(),
                account: identity.account.clone(),
            },
        );
        for u in &seed.users {
            let account = u.arn.split(':').nth(4).unwrap_or_default().to_string();
            if PrincipalArn::parse(&u.arn).map(|p| p.kind) != Ok(accessctl_core::model::PrincipalKind::User) {
                return Err(format!("users: {} is not an IAM user ARN", u.arn));
            }
            credentials.insert(
                u.access_key_id.clone(),
                Credential {
                    secret: u.secret_access_key.clone(),
                    arn: u.arn.clone(),
                    user_id: u.user_id.clone().unwrap_or_else(|| format!("AIDA{}", stable_id(&u.arn))),
                    account,
                },
            );
        }
        let mut world = World {
            identity,
            credentials,
            iam_roles: BTreeMap::new(),
            iam_users: BTreeMap::new(),
            iam_described: !seed.roles.is_empty() || !seed.iam_users.is_empty(),
            clusters: BTreeMap::new(),
            resource_version: 1,
            base_url: String::new(),
            ca_pem: String::new(),
        };
        for c in &seed.clusters {
            world.add_seed_cluster(c, now)?;
        }
        // IAM knows the roles the seed lists and every role it names elsewhere.
        let named = seed.clusters.iter().flat_map(|c| {
            c.access_entries
                .iter()
                .map(|e| e.principal_arn.clone())
                .chain(c.node_roles.iter().cloned())
                .chain(c.fargate_roles.iter().cloned())
                .chain(c.creator.iter().cloned())
        });
        for arn in seed.roles.iter().cloned().chain(named) {
            if let Some(role) = super::iam::is_role(&arn) {
                let id = format!("AROA{}", stable_id(&role.to_string()));
                world.iam_roles.insert(iam_key(&role), IamPrincipal { arn: role, id, created_at: now });
            }
        }
        let mut users: Vec<(PrincipalArn, String)> = world
            .credentials
            .values()
            .filter_map(|c| Some((PrincipalArn::parse(&c.arn).ok()?, c.user_id.clone())))
            .filter(|(p, _)| p.kind == accessctl_core::model::PrincipalKind::User)
            .collect();
        for arn in &seed.iam_users {
            match PrincipalArn::parse(arn) {
                Ok(p) if p.kind == accessctl_core::model::PrincipalKind::User => {
                    users.push((p, format!("AIDA{}", stable_id(arn))));
                }
                _ => return Err(format!("iamUsers: {arn} is not an IAM user ARN")),
            }
        }
        for (user, id) in users {
            world.iam_users.insert(iam_key(&user), IamPrincipal { arn: user, id, created_at: now });
        }
        Ok(world)
    }

    fn add_seed_cluster(&mut self, c: &SeedCluster, now: u64) -> Result<(), String> {
        let mode = AuthMode::parse(&c.authentication_mode)
            .ok_or_else(|| format!("cluster {}: unknown authenticationMode {}", c.name, c.authentication_mode))?;
        let mut cluster =
            ClusterState::new(&c.name, &c.region, &c.account, mode, c.bootstrap_cluster_creator_admin_permissions, now);
        // A cluster the seed says nothing about was created by the sandbox's own identity: it then
        // holds the creator's admin access (hidden in CONFIG_MAP, an entry in the API modes).
        cluster.creator = c.creator.clone().or_else(|| {
            accessctl_core::access::Caller::parse(&self.identity.arn)
                .ok()
                .and_then(|c| c.principal())
                .map(|p| p.to_string())
        });
        cluster.node_roles = c.node_roles.clone();
        cluster.fargate_roles = c.fargate_roles.clone();
        for ns in ["default", "kube-system", "kube-public", "kube-node-lease"]
            .into_iter()
            .chain(c.namespaces.iter().map(String::as_str))
        {
            self.put_namespace(&mut cluster, ns, now);
        }
        super::access::put_default_rbac(self, &mut cluster, now);
        if let Some(data) = &c.aws_auth {
            self.put_config_map(&mut cluster, "kube-system", "aws-auth", data, now);
        }
        if mode.uses_access_entries() {
            cluster.create_eks_managed_entries(now);
        }
        for e in &c.access_entries {
            let principal =
                PrincipalArn::parse(&e.principal_arn).map_err(|err| format!("{}: {err}", e.principal_arn))?;
            let entry_type = match &e.entry_type {
                Some(t) => EntryType::parse(t).ok_or_else(|| format!("unknown entry type {t}"))?,
                None => EntryType::Standard,
            };
            let mut entry =
                cluster.new_entry(&principal, entry_type, e.username.clone(), e.kubernetes_groups.clone(), now);
            entry.tags = e.tags.clone();
            entry.visible_at = now;
            for (name, namespaces) in &e.policies {
                entry.associations.insert(
                    policy::policy_arn("aws", name),
                    Association {
                        cluster_scope: namespaces.is_empty(),
                        namespaces: namespaces.clone(),
                        associated_at: now,
                        modified_at: now,
                    },
                );
            }
            cluster.entries.insert(principal.to_string(), entry);
        }
        self.clusters.insert(c.name.clone(), cluster);
        Ok(())
    }

    /// Hands out a session of `role_arn` for `session`, as STS AssumeRole does: the session's
    /// ARN names the role without its path.
    pub fn assume_role(&mut self, role_arn: &PrincipalArn, session: &str) -> (String, Credential) {
        let key = format!("ASIA{}", random_id(16));
        let id = match self.iam_role(&role_arn.account, &role_arn.name) {
            Some(role) => role.id.trim_start_matches("AROA").to_string(),
            None => stable_id(&role_arn.to_string()),
        };
        let credential = Credential {
            secret: random_id(40),
            arn: format!(
                "arn:{}:sts::{}:assumed-role/{}/{session}",
                role_arn.partition, role_arn.account, role_arn.name
            ),
            user_id: format!("AROA{id}:{session}"),
            account: role_arn.account.clone(),
        };
        self.credentials.insert(key.clone(), credential.clone());
        (key, credential)
    }

    /// The IAM role of `account` named `name` (case-insensitively, as IAM names are unique).
    pub fn iam_role(&self, account: &str, name: &str) -> Option<&IamPrincipal> {
        self.iam_roles.get(&format!("{account}:{}", name.to_ascii_lowercase()))
    }

    /// The IAM user of `account` named `name`.
    pub fn iam_user(&self, account: &str, name: &str) -> Option<&IamPrincipal> {
        self.iam_users.get(&format!("{account}:{}", name.to_ascii_lowercase()))
    }

    /// The role or user `arn` names, whatever path it is written with.
    pub fn iam_principal(&self, arn: &PrincipalArn) -> Option<&IamPrincipal> {
        match arn.kind {
            accessctl_core::model::PrincipalKind::Role => self.iam_role(&arn.account, &arn.name),
            accessctl_core::model::PrincipalKind::User => self.iam_user(&arn.account, &arn.name),
        }
    }

    /// Deletes the role `arn` names and creates it again, same ARN, at `now`: a new unique id.
    /// Access entries made before keep describing the same and match nobody, as in EKS.
    pub fn recreate_role(&mut self, arn: &PrincipalArn, now: u64) {
        let role = IamPrincipal { arn: arn.clone(), id: format!("AROA{}", random_id(17)), created_at: now };
        self.iam_roles.insert(iam_key(arn), role);
    }

    pub fn next_rv(&mut self) -> u64 {
        self.resource_version += 1;
        self.resource_version
    }

    /// Stores a ConfigMap as the API server would (uid, resourceVersion, timestamp), replacing
    /// any of the same name: what another writer (EKS, a node group, a person) does.
    pub fn put_config_map(
        &mut self,
        cluster: &mut ClusterState,
        namespace: &str,
        name: &str,
        data: &BTreeMap<String, String>,
        now: u64,
    ) {
        let rv = self.next_rv();
        cluster.objects.insert(
            object_key("configmaps", namespace, name),
            serde_json::json!({
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": name, "namespace": namespace, "uid": uuid::Uuid::new_v4().to_string(),
                             "resourceVersion": rv.to_string(), "creationTimestamp": rfc3339(now)},
                "data": data,
            }),
        );
    }

    pub fn put_namespace(&mut self, cluster: &mut ClusterState, name: &str, now: u64) {
        let rv = self.next_rv();
        cluster.objects.insert(
            object_key("namespaces", "", name),
            serde_json::json!({
                "apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": name, "uid": uuid::Uuid::new_v4().to_string(), "resourceVersion": rv.to_string(),
                             "creationTimestamp": rfc3339(now)},
                "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"},
            }),
        );
    }
}

impl ClusterState {
    pub fn new(
        name: &str,
        region: &str,
        account: &str,
        mode: AuthMode,
        bootstrap_admin: bool,
        now: u64,
    ) -> ClusterState {
        ClusterState {
            name: name.to_string(),
            arn: format!("arn:aws:eks:{region}:{account}:cluster/{name}"),
            region: region.to_string(),
            account: account.to_string(),
            created_at: now,
            mode,
            bootstrap_admin,
            creator: None,
            node_roles: vec![],
            fargate_roles: vec![],
            tags: BTreeMap::new(),
            updates: vec![],
            entries: BTreeMap::new(),
            objects: BTreeMap::new(),
        }
    }

    /// The update in progress, if any.
    pub fn update_in_progress(&self) -> Option<&Update> {
        self.updates.iter().find(|u| u.status == "InProgress")
    }

    pub fn status(&self) -> &'static str {
        if self.update_in_progress().is_some() { "UPDATING" } else { "ACTIVE" }
    }

    /// Completes updates whose time has come. Called before every request that reads the cluster,
    /// so asynchronous behaviour needs no background task.
    pub fn advance(&mut self, now: u64) {
        let mut completed = Vec::new();
        for update in self.updates.iter_mut().filter(|u| u.status == "InProgress" && u.completes_at <= now) {
            update.status = if update.fail { "Failed" } else { "Successful" }.to_string();
            if !update.fail {
                completed.push(update.target);
            }
        }
        for target in completed {
            let had_entries = self.mode.uses_access_entries();
            self.mode = target;
            if !had_entries && target.uses_access_entries() {
                self.create_eks_managed_entries(now);
            }
        }
    }

    /// What EKS creates when access entries become available: the creator's admin entry and
    /// entries for managed node group and Fargate roles (reference §3.1, §3.6).
    pub fn create_eks_managed_entries(&mut self, now: u64) {
        let mut made: Vec<(String, EntryType)> = Vec::new();
        if self.bootstrap_admin
            && let Some(creator) = &self.creator
        {
            made.push((creator.clone(), EntryType::Standard));
        }
        made.extend(self.node_roles.iter().map(|r| (r.clone(), EntryType::Ec2Linux)));
        made.extend(self.fargate_roles.iter().map(|r| (r.clone(), EntryType::FargateLinux)));
        for (arn, entry_type) in made {
            let Ok(principal) = PrincipalArn::parse(&arn) else { continue };
            let key = principal.to_string();
            if self.entries.contains_key(&key) {
                continue;
            }
            let mut entry = self.new_entry(&principal, entry_type, None, vec![], now);
            entry.visible_at = now;
            if entry_type == EntryType::Standard {
                entry.associations.insert(
                    policy::policy_arn(&principal.partition, policy::CLUSTER_ADMIN),
                    Association { namespaces: vec![], cluster_scope: true, associated_at: now, modified_at: now },
                );
            }
            self.entries.insert(key, entry);
        }
    }

    /// A new entry with EKS's defaults filled in (reference §3.2, §7).
    pub fn new_entry(
        &self,
        principal: &PrincipalArn,
        entry_type: EntryType,
        username: Option<String>,
        groups: Vec<String>,
        now: u64,
    ) -> EntryState {
        let username = username.unwrap_or_else(|| match entry_type {
            EntryType::Standard => principal.default_standard_username(),
            other => other.default_node_username().unwrap_or("system:node:{{SessionName}}").to_string(),
        });
        let groups = if entry_type == EntryType::Standard {
            groups
        } else {
            entry_type.default_groups().iter().map(|g| g.to_string()).collect()
        };
        EntryState {
            principal_arn: principal.to_string(),
            entry_type,
            username,
            groups,
            tags: BTreeMap::new(),
            arn: format!(
                "arn:aws:eks:{}:{}:access-entry/{}/{}/{}/{}/{}",
                self.region,
                self.account,
                self.name,
                principal.kind.as_str(),
                principal.account,
                principal.name,
                uuid::Uuid::new_v4()
            ),
            created_at: now,
            modified_at: now,
            visible_at: now,
            associations: BTreeMap::new(),
        }
    }
}

/// Kubernetes' timestamp format.
pub fn rfc3339(ms: u64) -> String {
    // Whole seconds, as Kubernetes and STS write them.
    let seconds = i64::try_from(ms / 1000).unwrap_or(i64::MAX);
    jiff::Timestamp::from_second(seconds).unwrap_or(jiff::Timestamp::MAX).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_timestamps() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_703_060_401_088), "2023-12-20T08:20:01Z");
    }

    #[test]
    fn default_seed_builds_a_config_map_cluster_with_aws_auth() {
        let world = World::from_seed(&Seed::default_seed(), 1000).unwrap();
        let demo = &world.clusters["demo"];
        assert_eq!(demo.mode, AuthMode::ConfigMap);
        assert!(demo.entries.is_empty());
        assert!(demo.objects.contains_key(&object_key("configmaps", "kube-system", "aws-auth")));
    }

    #[test]
    fn moving_to_api_and_config_map_creates_creator_and_node_entries() {
        let mut world = World::from_seed(&Seed::default_seed(), 1000).unwrap();
        let demo = world.clusters.get_mut("demo").unwrap();
        demo.updates.push(Update {
            id: "u".into(),
            status: "InProgress".into(),
            target: AuthMode::ApiAndConfigMap,
            created_at: 1000,
            completes_at: 2000,
            fail: false,
        });
        demo.advance(1500);
        assert_eq!((demo.mode, demo.status()), (AuthMode::ConfigMap, "UPDATING"));
        demo.advance(2000);
        assert_eq!((demo.mode, demo.status()), (AuthMode::ApiAndConfigMap, "ACTIVE"));
        let creator = &demo.entries["arn:aws:iam::111122223333:role/ci-cluster-creator"];
        assert_eq!(creator.username, "arn:aws:sts::111122223333:assumed-role/ci-cluster-creator/{{SessionName}}");
        assert_eq!(creator.associations.len(), 1);
        let node = &demo.entries["arn:aws:iam::111122223333:role/demo-ng-gpu"];
        assert_eq!((node.entry_type, node.groups.as_slice()), (EntryType::Ec2Linux, &["system:nodes".to_string()][..]));
        assert_eq!(
            demo.entries["arn:aws:iam::111122223333:role/demo-fargate-pods"].entry_type,
            EntryType::FargateLinux
        );
    }
}
