//! IAM, query protocol with XML answers, for the roles and users the sandbox knows: `GetRole`,
//! `ListRoles` (with `PathPrefix`, `Marker`, `MaxItems`), `GetUser` and `ListUsers`. Roles are
//! those the seed lists under `roles:` and every role it names elsewhere (access entries, node
//! and Fargate roles, creators); users are the identities that can sign (the default one and the
//! seed's users). Each has a unique id and a `CreateDate`; `World::recreate_role` re-creates one
//! under the same ARN, as deleting and creating a role in IAM does. All in the caller's account,
//! as IAM is. A seed that describes no IAM gives the caller no IAM permissions.

use super::sts::xml;
use super::world::{IamPrincipal, World};
use accessctl_core::model::{PrincipalArn, PrincipalKind};

/// The IAM actions served here.
pub const ACTIONS: &[&str] = &["GetRole", "ListRoles", "GetUser", "ListUsers"];

/// IAM's default page size.
const DEFAULT_MAX_ITEMS: usize = 100;

/// Answers one IAM call by `caller`, of `account`. A world whose seed describes no IAM (no
/// `roles`, no `iamUsers`) answers as IAM answers a caller without `iam:Get*`/`iam:List*`
/// permissions: AccessDenied.
pub fn answer(world: &World, account: &str, caller: &str, params: &[(String, String)]) -> (u16, String) {
    let get = |k: &str| params.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    if !world.iam_described {
        let action = get("Action").unwrap_or_default();
        return error(
            403,
            "AccessDenied",
            &format!("User: {caller} is not authorized to perform: iam:{action} on resource: arn:aws:iam::{account}:*"),
        );
    }
    match get("Action") {
        Some(action @ ("GetRole" | "GetUser")) => {
            let (field, kind) = if action == "GetRole" { ("RoleName", "role") } else { ("UserName", "user") };
            let Some(name) = get(field) else { return error(400, "ValidationError", &format!("{field} is required")) };
            let found = if action == "GetRole" { world.iam_role(account, name) } else { world.iam_user(account, name) };
            let Some(p) = found else {
                return error(404, "NoSuchEntity", &format!("The {kind} with name {name} cannot be found."));
            };
            let (result, element) =
                if action == "GetRole" { ("GetRoleResult", "Role") } else { ("GetUserResult", "User") };
            respond(action, &format!("<{result}>\n    <{element}>{}</{element}>\n  </{result}>", fields(p)))
        }
        Some(action @ ("ListRoles" | "ListUsers")) => {
            let kind = if action == "ListRoles" { PrincipalKind::Role } else { PrincipalKind::User };
            let all = if kind == PrincipalKind::Role { &world.iam_roles } else { &world.iam_users };
            let prefix = get("PathPrefix").unwrap_or("/");
            let max = match get("MaxItems").map(str::parse::<usize>) {
                None => DEFAULT_MAX_ITEMS,
                Some(Ok(n @ 1..=1000)) => n,
                Some(_) => return error(400, "ValidationError", "MaxItems must be between 1 and 1000"),
            };
            let matching: Vec<(&String, &IamPrincipal)> = all
                .iter()
                .filter(|(_, p)| p.arn.account == account && iam_path(&p.arn).starts_with(prefix))
                .filter(|(key, _)| get("Marker").is_none_or(|m| key.as_str() >= m))
                .collect();
            let page = &matching[..matching.len().min(max)];
            let members: String = page.iter().map(|(_, p)| format!("\n      <member>{}</member>", fields(p))).collect();
            let (result, list) =
                if kind == PrincipalKind::Role { ("ListRolesResult", "Roles") } else { ("ListUsersResult", "Users") };
            let marker = match matching.get(max) {
                Some((next, _)) => format!("\n    <Marker>{}</Marker>", xml(next)),
                None => String::new(),
            };
            let truncated = matching.len() > max;
            respond(
                action,
                &format!(
                    "<{result}>\n    <IsTruncated>{truncated}</IsTruncated>\n    <{list}>{members}\n    </{list}>{marker}\n  </{result}>"
                ),
            )
        }
        Some(other) => error(400, "InvalidAction", &format!("Could not find operation {other} for version 2010-05-08")),
        None => error(400, "MissingAction", "Missing Action"),
    }
}

/// IAM's path: `/` alone, or `/a/b/` with slashes at both ends.
fn iam_path(arn: &PrincipalArn) -> String {
    if arn.path.is_empty() { "/".to_string() } else { format!("/{}/", arn.path) }
}

/// The fields a role or user element holds.
fn fields(p: &IamPrincipal) -> String {
    let created =
        jiff::Timestamp::from_millisecond(p.reported_created_at() as i64).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let (name, id, extra) = match p.arn.kind {
        PrincipalKind::Role => (
            "RoleName",
            "RoleId",
            "<AssumeRolePolicyDocument>%7B%7D</AssumeRolePolicyDocument><MaxSessionDuration>3600</MaxSessionDuration>",
        ),
        PrincipalKind::User => ("UserName", "UserId", ""),
    };
    format!(
        "<Path>{}</Path><{name}>{}</{name}><{id}>{}</{id}><Arn>{}</Arn><CreateDate>{created}</CreateDate>{extra}",
        xml(&iam_path(&p.arn)),
        xml(&p.arn.name),
        xml(&p.id),
        xml(&p.arn.to_string()),
    )
}

fn respond(action: &str, result: &str) -> (u16, String) {
    (
        200,
        format!(
            "<{action}Response xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\n  {result}\n  <ResponseMetadata>\n    \
             <RequestId>{}</RequestId>\n  </ResponseMetadata>\n</{action}Response>\n",
            uuid::Uuid::new_v4()
        ),
    )
}

/// Whether `arn` names a role IAM would know in the sandbox (for seeding).
pub fn is_role(arn: &str) -> Option<PrincipalArn> {
    PrincipalArn::parse(arn).ok().filter(|p| p.kind == PrincipalKind::Role)
}

fn error(status: u16, code: &str, message: &str) -> (u16, String) {
    super::sts::query_error("https://iam.amazonaws.com/doc/2010-05-08/", status, code, message)
}
