//! What IAM of the cluster's account says about the principals a cluster declares, decided once
//! for the plan (and, through it, apply's re-plan before the step to API):
//!
//! - the role each IAM Identity Center permission set is in that account
//!   (`role/aws-reserved/sso.amazonaws.com/[<region>/]AWSReservedSSO_<set>_<hex>`): absent or
//!   ambiguous is a problem naming the account;
//! - whether each declared role and user exists there (an entry for a principal that does not
//!   exist is accepted by EKS and fails at login): a missing one is a problem, with the closest
//!   name IAM has.
//!
//! IAM that could not be read is said so: permission sets cannot be planned (a problem), the
//! existence check is skipped (a note).

use std::collections::BTreeMap;

use super::{Note, Problem};
use crate::access::Known;
use crate::live::IamView;
use crate::model::{Cluster, PrincipalArn, PrincipalKind};

/// The SSO roles' path, as IAM lists it (without slashes at the ends).
const SSO_PATH: &str = "aws-reserved/sso.amazonaws.com";

/// `desired` with its permission sets resolved, and what the plan must say about it.
pub struct Checked {
    pub cluster: Cluster,
    pub problems: Vec<Problem>,
    pub notes: Vec<Note>,
}

pub fn check(desired: &Cluster, iam: &Known<IamView>) -> Checked {
    let mut checked = Checked { cluster: desired.clone(), problems: vec![], notes: vec![] };
    let iam = match iam {
        Known::Known(iam) => iam,
        Known::Unknown(why) => {
            for (set, placeholder) in &desired.permission_sets {
                checked.problems.push(Problem::PermissionSetUnresolved {
                    set: set.clone(),
                    account: placeholder.account.clone(),
                    why: why.clone(),
                });
            }
            if declared_principals(desired).next().is_some() {
                checked.notes.push(Note::PrincipalsNotChecked { why: why.clone() });
            }
            return checked;
        }
    };
    let mut resolved = BTreeMap::new();
    for set in desired.permission_sets.keys() {
        match permission_set_role(iam, set) {
            Ok(role) => {
                checked.notes.push(Note::PermissionSetResolved {
                    set: set.clone(),
                    account: iam.account.clone(),
                    role: role.to_string(),
                });
                resolved.insert(set.clone(), role);
            }
            Err(problem) => checked.problems.push(problem),
        }
    }
    checked.cluster.resolve_permission_sets(&resolved);
    let mut elsewhere = 0;
    // A principal with an entry and a mapping is one principal.
    let declared: std::collections::BTreeSet<(&PrincipalArn, bool)> = declared_principals(desired).collect();
    for (arn, with_path) in declared {
        if arn.account != iam.account {
            elsewhere += 1;
            continue;
        }
        if iam.find(arn, with_path).is_none() {
            checked.problems.push(Problem::PrincipalNotFound {
                principal: arn.to_string(),
                account: iam.account.clone(),
                did_you_mean: closest(iam, arn).map(|p| p.to_string()).unwrap_or_default(),
            });
        }
    }
    if elsewhere > 0 {
        checked.notes.push(Note::OtherAccountsNotChecked { count: elsewhere, account: iam.account.clone() });
    }
    checked
}

/// Every principal the cluster names by ARN (permission sets aside), and whether its path counts:
/// access entries and `protect` match the full ARN, aws-auth the name alone.
fn declared_principals(c: &Cluster) -> impl Iterator<Item = (&PrincipalArn, bool)> {
    let placeholder = |arn: &PrincipalArn| c.permission_sets.values().any(|p| p.name == arn.name);
    c.access_entries
        .iter()
        .map(|e| (&e.principal, true))
        .chain(c.protected.iter().map(|p| (p, true)))
        .chain(c.aws_auth.roles.iter().map(|m| (&m.rolearn, false)))
        .chain(c.aws_auth.users.iter().map(|m| (&m.userarn, false)))
        .filter(move |(arn, _)| !placeholder(arn))
}

/// The one role of permission set `set` in the account IAM describes.
pub fn permission_set_role(iam: &IamView, set: &str) -> Result<PrincipalArn, Problem> {
    let roles: Vec<&PrincipalArn> =
        iam.roles.iter().map(|r| &r.arn).filter(|arn| permission_set_of(arn) == Some(set)).collect();
    match roles.as_slice() {
        [one] => Ok((*one).clone()),
        [] => {
            let sets: Vec<&str> = iam.roles.iter().filter_map(|r| permission_set_of(&r.arn)).collect();
            Err(Problem::PermissionSetNotInAccount {
                set: set.to_string(),
                account: iam.account.clone(),
                did_you_mean: similar(set, sets.iter().copied()).unwrap_or_default().to_string(),
            })
        }
        many => Err(Problem::PermissionSetAmbiguous {
            set: set.to_string(),
            account: iam.account.clone(),
            roles: many.iter().map(|r| r.to_string()).collect(),
        }),
    }
}

/// The permission set an SSO role was made for: `AWSReservedSSO_<set>_<hex suffix>` on the
/// `aws-reserved/sso.amazonaws.com` path.
pub fn permission_set_of(role: &PrincipalArn) -> Option<&str> {
    if role.kind != PrincipalKind::Role
        || !(role.path == SSO_PATH || role.path.starts_with("aws-reserved/sso.amazonaws.com/"))
    {
        return None;
    }
    let rest = role.name.strip_prefix("AWSReservedSSO_")?;
    let (set, suffix) = rest.rsplit_once('_')?;
    (!set.is_empty() && !suffix.is_empty() && suffix.chars().all(|c| c.is_ascii_hexdigit())).then_some(set)
}

/// The principal of the same kind in IAM whose name is closest to `arn`'s, if any is close.
fn closest<'i>(iam: &'i IamView, arn: &PrincipalArn) -> Option<&'i PrincipalArn> {
    let list = if arn.kind == PrincipalKind::Role { &iam.roles } else { &iam.users };
    let name = similar(&arn.name, list.iter().map(|p| p.arn.name.as_str()))?;
    list.iter().map(|p| &p.arn).find(|p| p.name == name)
}

fn similar<'n>(wanted: &str, names: impl Iterator<Item = &'n str>) -> Option<&'n str> {
    let lower = wanted.to_ascii_lowercase();
    names
        .map(|n| (n, strsim::jaro_winkler(&lower, &n.to_ascii_lowercase())))
        .filter(|(_, score)| *score > 0.8)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(n, _)| n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::IamPrincipal;

    fn view(roles: &[&str]) -> IamView {
        IamView {
            account: "111122223333".into(),
            roles: roles
                .iter()
                .map(|r| IamPrincipal { arn: PrincipalArn::parse(r).unwrap(), id: "AROAX".into(), created: 0 })
                .collect(),
            users: vec![],
        }
    }

    const SSO: &str = "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com";

    #[test]
    fn a_permission_set_is_its_role_by_name_and_suffix() {
        let iam = view(&[
            &format!("{SSO}/eu-west-1/AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b"),
            &format!("{SSO}/AWSReservedSSO_Admin_Read_1234567890abcdef"),
            "arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_fedcba9876543210",
        ]);
        let admin = permission_set_role(&iam, "AdministratorAccess").unwrap();
        assert_eq!(admin.path, "aws-reserved/sso.amazonaws.com/eu-west-1");
        // `Admin_Read` is its own set; a role outside the SSO path is not one.
        assert_eq!(permission_set_role(&iam, "Admin_Read").unwrap().name, "AWSReservedSSO_Admin_Read_1234567890abcdef");
        assert!(matches!(
            permission_set_role(&iam, "Admin"),
            Err(Problem::PermissionSetNotInAccount { did_you_mean, .. }) if did_you_mean == "Admin_Read"
        ));
        assert!(matches!(
            permission_set_role(&iam, "AdministratorAcess"),
            Err(Problem::PermissionSetNotInAccount { did_you_mean, .. }) if did_you_mean == "AdministratorAccess"
        ));
    }

    #[test]
    fn two_roles_of_one_set_are_ambiguous() {
        let iam = view(&[
            &format!("{SSO}/eu-west-1/AWSReservedSSO_ViewOnly_0a1b2c3d4e5f6a7b"),
            &format!("{SSO}/us-east-1/AWSReservedSSO_ViewOnly_1a1b2c3d4e5f6a7b"),
        ]);
        assert!(matches!(
            permission_set_role(&iam, "ViewOnly"),
            Err(Problem::PermissionSetAmbiguous { roles, .. }) if roles.len() == 2
        ));
    }
}
