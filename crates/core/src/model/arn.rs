//! IAM principal ARNs: parsing, the forms EKS accepts, and the canonical forms that aws-auth and
//! access entries match on.
//!
//! Facts (reference §3.3, §4.2, §5.3): access entries take IAM user and role ARNs, with the role
//! path in full; aws-auth `rolearn` is compared with the caller's canonical ARN, which never holds a
//! path, so a pathed `rolearn` never matches; STS assumed-role ARNs canonicalise to the role.

use std::fmt;

/// The AWS partitions a principal may live in.
pub const PARTITIONS: &[&str] =
    &["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PrincipalKind {
    User,
    Role,
}

impl PrincipalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::User => "user",
            PrincipalKind::Role => "role",
        }
    }
}

/// An IAM user or role, as EKS access entries name it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PrincipalArn {
    pub partition: String,
    pub account: String,
    pub kind: PrincipalKind,
    /// The IAM path between `role/` (or `user/`) and the name, without slashes at either end;
    /// empty when there is none.
    pub path: String,
    pub name: String,
}

/// Why a string is not an ARN that EKS takes as a principal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArnError {
    #[error("not an ARN: expected `arn:<partition>:iam::<account>:role/<name>` or `…:user/<name>`")]
    Malformed,
    #[error("unknown partition `{0}`")]
    Partition(String),
    #[error("the account `{0}` is not 12 digits")]
    Account(String),
    #[error("an STS assumed-role session is not an IAM principal")]
    AssumedRole { role_arn: String },
    #[error("service-linked roles cannot be given cluster access")]
    ServiceLinkedRole,
    #[error("only IAM users and roles can be principals, not `{0}`")]
    NotUserOrRole(String),
    #[error("IAM ARNs have no region, but this one says `{0}`")]
    Region(String),
    #[error("only `iam` (users and roles) can be principals, not `{0}`")]
    Service(String),
}

impl PrincipalArn {
    pub fn parse(s: &str) -> Result<PrincipalArn, ArnError> {
        let parts: Vec<&str> = s.splitn(6, ':').collect();
        let [prefix, partition, service, region, account, resource] = parts[..] else {
            return Err(ArnError::Malformed);
        };
        if prefix != "arn" || resource.is_empty() {
            return Err(ArnError::Malformed);
        }
        if !PARTITIONS.contains(&partition) {
            return Err(ArnError::Partition(partition.to_string()));
        }
        if service != "iam" && service != "sts" {
            return Err(ArnError::Service(service.to_string()));
        }
        if !is_account_id(account) {
            return Err(ArnError::Account(account.to_string()));
        }
        if service == "sts" {
            if let Some(rest) = resource.strip_prefix("assumed-role/") {
                // Everything up to the last slash is the role (the session name follows it).
                let role = rest.rsplit_once('/').map(|(role, _)| role).unwrap_or(rest);
                return Err(ArnError::AssumedRole { role_arn: format!("arn:{partition}:iam::{account}:role/{role}") });
            }
            return Err(ArnError::NotUserOrRole(resource.to_string()));
        }
        if !region.is_empty() {
            return Err(ArnError::Region(region.to_string()));
        }
        let (kind, rest) = if let Some(rest) = resource.strip_prefix("role/") {
            (PrincipalKind::Role, rest)
        } else if let Some(rest) = resource.strip_prefix("user/") {
            (PrincipalKind::User, rest)
        } else {
            let what = resource.split('/').next().unwrap_or(resource);
            return Err(ArnError::NotUserOrRole(what.to_string()));
        };
        let (path, name) = match rest.rsplit_once('/') {
            Some((path, name)) => (path.trim_matches('/'), name),
            None => ("", rest),
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c)) {
            return Err(ArnError::Malformed);
        }
        if kind == PrincipalKind::Role && (path == "aws-service-role" || path.starts_with("aws-service-role/")) {
            return Err(ArnError::ServiceLinkedRole);
        }
        Ok(PrincipalArn {
            partition: partition.to_string(),
            account: account.to_string(),
            kind,
            path: path.to_string(),
            name: name.to_string(),
        })
    }

    pub fn has_path(&self) -> bool {
        !self.path.is_empty()
    }

    /// The same principal without its path: the form aws-auth matches, and the form STS reports.
    pub fn without_path(&self) -> PrincipalArn {
        PrincipalArn { path: String::new(), ..self.clone() }
    }

    /// True for roles that IAM Identity Center (SSO) creates for permission sets.
    pub fn is_sso_role(&self) -> bool {
        self.kind == PrincipalKind::Role && self.path.starts_with("aws-reserved/sso.amazonaws.com")
    }

    /// The IAM Identity Center permission set this ARN stands for while its role in the account
    /// is not known ([`crate::model::permission_set_placeholder`], with or without its path).
    pub fn placeholder_of(&self) -> Option<&str> {
        let set = self.name.strip_prefix("AWSReservedSSO_")?.strip_suffix("_*")?;
        (self.kind == PrincipalKind::Role).then_some(set)
    }

    /// The username EKS generates for a STANDARD access entry of this principal (reference §3.2).
    pub fn default_standard_username(&self) -> String {
        match self.kind {
            PrincipalKind::User => self.to_string(),
            PrincipalKind::Role => {
                format!("arn:{}:sts::{}:assumed-role/{}/{{{{SessionName}}}}", self.partition, self.account, self.name)
            }
        }
    }

    /// Which IAM principal this is, however its ARN is spelled: EKS keys access entries on the
    /// principal's unique id, and IAM names are unique in an account case-insensitively and
    /// whatever the path (reference §3.3). Two ARNs with the same key name one principal.
    pub fn identity_key(&self) -> String {
        format!("{}:{}:{}:{}", self.partition, self.account, self.kind.as_str(), self.name.to_ascii_lowercase())
    }

    /// Whether `other` is the same IAM principal: the same [`PrincipalArn::identity_key`], compared
    /// without building it (authentication compares one caller with every access entry).
    pub fn same_principal(&self, other: &PrincipalArn) -> bool {
        self.kind == other.kind
            && self.account == other.account
            && self.partition == other.partition
            && self.name.eq_ignore_ascii_case(&other.name)
    }

    /// Lower-cased comparison key, as the authenticator compares aws-auth ARNs (reference §4.2).
    pub fn aws_auth_key(&self) -> String {
        self.without_path().to_string().to_ascii_lowercase()
    }
}

/// Which IAM principal an ARN as written names, for comparing: its [`PrincipalArn::identity_key`],
/// or, for what is no user's or role's ARN (an aws-auth item nobody can match), the text itself
/// without regard to case (as the authenticator compares aws-auth ARNs). Every "is this the same
/// principal?" of ARNs held as text asks this.
pub fn principal_key(arn: &str) -> String {
    PrincipalArn::parse(arn).map(|p| p.identity_key()).unwrap_or_else(|_| arn.to_ascii_lowercase())
}

impl fmt::Display for PrincipalArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "arn:{}:iam::{}:{}/", self.partition, self.account, self.kind.as_str())?;
        if !self.path.is_empty() {
            write!(f, "{}/", self.path)?;
        }
        f.write_str(&self.name)
    }
}

impl serde::Serialize for PrincipalArn {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for PrincipalArn {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        PrincipalArn::parse(&s).map_err(serde::de::Error::custom)
    }
}

pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_principal_is_the_same_identity_key() {
        let arns = [
            "arn:aws:iam::111122223333:role/dev",
            "arn:aws:iam::111122223333:role/teams/DEV",
            "arn:aws:iam::111122223333:user/dev",
            "arn:aws:iam::444455556666:role/dev",
            "arn:aws-cn:iam::111122223333:role/dev",
            "arn:aws:iam::111122223333:role/dev2",
        ];
        for a in arns {
            for b in arns {
                let (a, b) = (PrincipalArn::parse(a).unwrap(), PrincipalArn::parse(b).unwrap());
                assert_eq!(a.same_principal(&b), a.identity_key() == b.identity_key(), "{a} {b}");
            }
        }
    }

    #[test]
    fn parses_users_and_roles_with_paths() {
        let r = PrincipalArn::parse("arn:aws:iam::111122223333:role/teams/tooling/deployer").unwrap();
        assert_eq!((r.kind, r.path.as_str(), r.name.as_str()), (PrincipalKind::Role, "teams/tooling", "deployer"));
        assert_eq!(r.to_string(), "arn:aws:iam::111122223333:role/teams/tooling/deployer");
        assert_eq!(r.without_path().to_string(), "arn:aws:iam::111122223333:role/deployer");
        let u = PrincipalArn::parse("arn:aws-cn:iam::111122223333:user/alice").unwrap();
        assert_eq!(u.default_standard_username(), "arn:aws-cn:iam::111122223333:user/alice");
    }

    #[test]
    fn strips_sso_paths_with_and_without_region() {
        for arn in [
            "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123",
            "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123",
        ] {
            let r = PrincipalArn::parse(arn).unwrap();
            assert!(r.is_sso_role());
            assert_eq!(r.without_path().to_string(), "arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123");
        }
    }

    #[test]
    fn refuses_sessions_service_linked_roles_and_other_resources() {
        assert_eq!(
            PrincipalArn::parse("arn:aws:sts::111122223333:assumed-role/admin/alice@example.com"),
            Err(ArnError::AssumedRole { role_arn: "arn:aws:iam::111122223333:role/admin".into() })
        );
        assert_eq!(
            PrincipalArn::parse(
                "arn:aws:iam::111122223333:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS"
            ),
            Err(ArnError::ServiceLinkedRole)
        );
        assert_eq!(
            PrincipalArn::parse("arn:aws:iam::111122223333:group/devs"),
            Err(ArnError::NotUserOrRole("group".into()))
        );
        assert_eq!(
            PrincipalArn::parse("arn:aws:iam::11112222333:user/a"),
            Err(ArnError::Account("11112222333".into()))
        );
        assert_eq!(PrincipalArn::parse("arn:foo:iam::111122223333:user/a"), Err(ArnError::Partition("foo".into())));
        assert_eq!(PrincipalArn::parse("alice"), Err(ArnError::Malformed));
        assert_eq!(PrincipalArn::parse("arn:aws:s3:::bucket"), Err(ArnError::Service("s3".into())));
        assert_eq!(PrincipalArn::parse("arn:aws:iam::111122223333:role/"), Err(ArnError::Malformed));
    }

    #[test]
    fn standard_role_username_drops_the_path() {
        let r = PrincipalArn::parse("arn:aws:iam::012345678910:role/dev/devToolingOperator").unwrap();
        assert_eq!(
            r.default_standard_username(),
            "arn:aws:sts::012345678910:assumed-role/devToolingOperator/{{SessionName}}"
        );
    }
}
