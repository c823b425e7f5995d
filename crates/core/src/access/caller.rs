//! Who is calling: the identity STS's GetCallerIdentity reports for a token, and its canonical
//! ARN — the one string every access decision matches on.
//!
//! Canonicalisation is aws-iam-authenticator's `arn.Canonicalize` (pkg/arn/arn.go): an STS
//! assumed-role session `arn:P:sts::A:assumed-role/ROLE/SESSION` becomes `arn:P:iam::A:role/ROLE`
//! (STS never reports a role's path, so neither does the canonical ARN); IAM users, the account
//! root and federated users stay as they are — a user keeps its path.

use std::fmt;

use crate::model::arn::{PARTITIONS, PrincipalArn};

/// The kind of principal behind a caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CallerKind {
    /// An STS session of an IAM role (`assumed-role`).
    AssumedRole,
    /// An IAM role ARN given directly (only offline: STS reports sessions).
    Role,
    User,
    Root,
    FederatedUser,
}

/// A caller as STS reports it, canonicalised.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Caller {
    /// The ARN as STS reports it (or as the user wrote it).
    pub arn: String,
    /// The canonical ARN, in the case it was written: what aws-auth and access entries match.
    pub canonical: String,
    pub kind: CallerKind,
    pub partition: String,
    pub account: String,
    /// The role session name, for assumed roles.
    pub session: Option<String>,
    /// The access key that signed the token, when known (`{{AccessKeyID}}`).
    pub access_key: Option<String>,
    /// The principal's unique id (`AROA…`, `AIDA…`), when known.
    pub user_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallerError {
    #[error("`{0}` is not an ARN")]
    Malformed(String),
    #[error("`{arn}` is in the unknown partition `{partition}`")]
    Partition { arn: String, partition: String },
    #[error("`{arn}` is not an IAM user, role, root, federated user or STS assumed-role ARN")]
    NotAPrincipal { arn: String },
}

impl Caller {
    /// Canonicalises `arn` as the authenticator does.
    pub fn parse(arn: &str) -> Result<Caller, CallerError> {
        let malformed = || CallerError::Malformed(arn.to_string());
        let not_principal = || CallerError::NotAPrincipal { arn: arn.to_string() };
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let [prefix, partition, service, _region, account, resource] = parts[..] else {
            return Err(malformed());
        };
        if prefix != "arn" {
            return Err(malformed());
        }
        if !PARTITIONS.contains(&partition) {
            return Err(CallerError::Partition { arn: arn.to_string(), partition: partition.to_string() });
        }
        // The authenticator checks no account length (its own tests use 3- and 13-digit ones).
        if account.is_empty() || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(not_principal());
        }
        let caller = |kind, canonical: String, session: Option<&str>| Caller {
            arn: arn.to_string(),
            canonical,
            kind,
            partition: partition.to_string(),
            account: account.to_string(),
            session: session.map(str::to_string),
            access_key: None,
            user_id: None,
        };
        match service {
            "sts" => {
                if let Some(rest) = resource.strip_prefix("assumed-role/") {
                    // The role is everything up to the last slash; the session follows it.
                    let (role, session) = rest.rsplit_once('/').ok_or_else(not_principal)?;
                    if role.is_empty() || session.is_empty() {
                        return Err(not_principal());
                    }
                    Ok(caller(
                        CallerKind::AssumedRole,
                        format!("arn:{partition}:iam::{account}:role/{role}"),
                        Some(session),
                    ))
                } else if resource.starts_with("federated-user/") && resource.len() > "federated-user/".len() {
                    Ok(caller(CallerKind::FederatedUser, arn.to_string(), None))
                } else {
                    Err(not_principal())
                }
            }
            "iam" => {
                if resource == "root" {
                    Ok(caller(CallerKind::Root, arn.to_string(), None))
                } else if resource.starts_with("role/") && resource.len() > 5 {
                    Ok(caller(CallerKind::Role, arn.to_string(), None))
                } else if resource.starts_with("user/") && resource.len() > 5 {
                    Ok(caller(CallerKind::User, arn.to_string(), None))
                } else {
                    Err(not_principal())
                }
            }
            _ => Err(not_principal()),
        }
    }

    /// Who actually calls for this ARN: STS never reports an IAM role, only its sessions, so a role
    /// ARN stands for any session of that role — the role without its path, the session name
    /// unknown (templates that use it stay unresolved). Other callers are themselves.
    pub fn as_caller(self) -> Caller {
        if self.kind != CallerKind::Role {
            return self;
        }
        match PrincipalArn::parse(&self.canonical) {
            Ok(p) => {
                Caller { canonical: p.without_path().to_string(), kind: CallerKind::AssumedRole, session: None, ..self }
            }
            Err(_) => self,
        }
    }

    /// Whether the session name is unknown: a role's session not named (see [`Caller::as_caller`]).
    pub fn session_unknown(&self) -> bool {
        self.kind == CallerKind::AssumedRole && self.session.is_none()
    }

    /// The same caller with the access key and unique id a verified token carries.
    pub fn with_credentials(mut self, access_key: Option<String>, user_id: Option<String>) -> Caller {
        self.access_key = access_key;
        // STS reports `AROA…:session` for sessions; the principal id is the part before the colon.
        self.user_id = user_id.map(|id| id.split_once(':').map(|(id, _)| id.to_string()).unwrap_or(id));
        self
    }

    /// The IAM principal an access entry names for this caller, if it is a user or a role.
    /// For a role the path is unknown (STS never reports it), so it is empty.
    pub fn principal(&self) -> Option<PrincipalArn> {
        match self.kind {
            CallerKind::AssumedRole | CallerKind::Role | CallerKind::User => PrincipalArn::parse(&self.canonical).ok(),
            CallerKind::Root | CallerKind::FederatedUser => None,
        }
    }

    /// Whether this caller is the IAM principal `p`, as EKS matches access entries: by the
    /// principal, not by how its ARN is spelled ([`PrincipalArn::identity_key`]). A session is its
    /// role's, whatever the role's path.
    pub fn is_principal(&self, p: &PrincipalArn) -> bool {
        self.principal().is_some_and(|me| me.same_principal(p))
    }
}

impl fmt::Display for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.arn)
    }
}

/// aws-iam-authenticator's `arn.StripPath`: `role/a/b/name` → `role/name`; other ARNs unchanged;
/// `None` for what is not an ARN.
pub fn strip_path(arn: &str) -> Option<String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [_, _, _, _, _, resource] = parts[..] else { return None };
    if parts[0] != "arn" {
        return None;
    }
    let head = &arn[..arn.len() - resource.len()];
    Some(match resource.strip_prefix("role/") {
        Some(rest) if rest.contains('/') => format!("{head}role/{}", rest.rsplit('/').next().unwrap_or(rest)),
        _ => arn.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_become_their_role_and_users_keep_their_path() {
        let c =
            Caller::parse("arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_01/alice@example.com").unwrap();
        assert_eq!(c.canonical, "arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_01");
        assert_eq!(c.session.as_deref(), Some("alice@example.com"));
        let u = Caller::parse("arn:aws:iam::111122223333:user/ops/alice").unwrap();
        assert_eq!(u.canonical, "arn:aws:iam::111122223333:user/ops/alice");
        assert!(Caller::parse("arn:aws:sts::111122223333:assumed-role/admin").is_err());
        assert_eq!(Caller::parse("arn:aws:iam::111122223333:root").unwrap().kind, CallerKind::Root);
        assert_eq!(
            Caller::parse("arn:aws:sts::111122223333:federated-user/bob").unwrap().kind,
            CallerKind::FederatedUser
        );
        assert!(Caller::parse("arn:aws:iam::111122223333:group/devs").is_err());
    }

    #[test]
    fn a_caller_is_its_principal_however_the_arn_is_spelled() {
        let session = Caller::parse("arn:aws:sts::111122223333:assumed-role/deployer/ci").unwrap();
        let pathed = PrincipalArn::parse("arn:aws:iam::111122223333:role/teams/Deployer").unwrap();
        assert!(session.is_principal(&pathed));
        let user = Caller::parse("arn:aws:iam::111122223333:user/ops/alice").unwrap();
        assert!(user.is_principal(&PrincipalArn::parse("arn:aws:iam::111122223333:user/ops/Alice").unwrap()));
        assert!(!user.is_principal(&PrincipalArn::parse("arn:aws:iam::111122223333:user/bob").unwrap()));
        assert!(!user.is_principal(&PrincipalArn::parse("arn:aws:iam::444455556666:user/ops/alice").unwrap()));
        assert_eq!(strip_path("arn:aws:iam::1:role/a/b/name").as_deref(), Some("arn:aws:iam::1:role/name"));
        assert_eq!(strip_path("arn:aws:iam::1:user/a/name").as_deref(), Some("arn:aws:iam::1:user/a/name"));
        assert_eq!(strip_path("NOT AN ARN"), None);
    }
}
