//! IAM, query protocol with XML answers, for the roles the sandbox knows: `GetRole` (how migrate
//! finds a role's path, which aws-auth never holds). Roles are those the seed lists under `roles:`
//! and every role it names elsewhere (access entries, node and Fargate roles, creators), in the
//! account of the caller, as IAM is.

use super::sts::xml;
use super::world::World;
use accessctl_core::model::{PrincipalArn, PrincipalKind};

/// The IAM actions served here.
pub const ACTIONS: &[&str] = &["GetRole"];

/// Answers one IAM call by `account`'s caller.
pub fn answer(world: &World, account: &str, params: &[(String, String)]) -> (u16, String) {
    let get = |k: &str| params.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    match get("Action") {
        Some("GetRole") => {
            let Some(name) = get("RoleName") else { return error(400, "ValidationError", "RoleName is required") };
            let Some(role) = world.iam_role(account, name) else {
                return error(404, "NoSuchEntity", &format!("The role with name {name} cannot be found."));
            };
            let path = if role.path.is_empty() { "/".to_string() } else { format!("/{}/", role.path) };
            let id = format!("AROA{}", super::world::stable_id(&role.to_string()));
            (
                200,
                format!(
                    "<GetRoleResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\n  <GetRoleResult>\n    <Role>\n      \
                     <Path>{}</Path>\n      <RoleName>{}</RoleName>\n      <RoleId>{id}</RoleId>\n      <Arn>{}</Arn>\n      \
                     <CreateDate>2024-01-01T00:00:00Z</CreateDate>\n      <AssumeRolePolicyDocument>%7B%7D</AssumeRolePolicyDocument>\n      \
                     <MaxSessionDuration>3600</MaxSessionDuration>\n    </Role>\n  </GetRoleResult>\n  <ResponseMetadata>\n    \
                     <RequestId>{}</RequestId>\n  </ResponseMetadata>\n</GetRoleResponse>\n",
                    xml(&path),
                    xml(&role.name),
                    xml(&role.to_string()),
                    uuid::Uuid::new_v4()
                ),
            )
        }
        Some(other) => error(400, "InvalidAction", &format!("Could not find operation {other} for version 2010-05-08")),
        None => error(400, "MissingAction", "Missing Action"),
    }
}

/// Whether `arn` names a role IAM would know in the sandbox (for seeding).
pub fn is_role(arn: &str) -> Option<PrincipalArn> {
    PrincipalArn::parse(arn).ok().filter(|p| p.kind == PrincipalKind::Role)
}

fn error(status: u16, code: &str, message: &str) -> (u16, String) {
    super::sts::query_error("https://iam.amazonaws.com/doc/2010-05-08/", status, code, message)
}
