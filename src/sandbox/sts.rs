//! STS, query protocol with XML answers: GetCallerIdentity (who is applying) and AssumeRole (the
//! per-cluster role of multi-account configurations), answering for the sandbox's identity.

use super::world::Identity;

/// Answers one STS call; `params` are the form (or query) parameters.
pub fn answer(identity: &Identity, params: &[(String, String)]) -> (u16, String) {
    let get = |k: &str| params.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    let request_id = uuid::Uuid::new_v4();
    match get("Action") {
        Some("GetCallerIdentity") => (
            200,
            format!(
                "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  \
                 <GetCallerIdentityResult>\n    <Arn>{}</Arn>\n    <UserId>{}</UserId>\n    <Account>{}</Account>\n  \
                 </GetCallerIdentityResult>\n  <ResponseMetadata>\n    <RequestId>{request_id}</RequestId>\n  \
                 </ResponseMetadata>\n</GetCallerIdentityResponse>\n",
                xml(&identity.arn),
                xml(&identity.user_id),
                xml(&identity.account)
            ),
        ),
        Some("AssumeRole") => {
            let Some(role) = get("RoleArn") else { return error(400, "ValidationError", "RoleArn is required") };
            let session = get("RoleSessionName").unwrap_or("accessctl");
            let Some(rest) = role.strip_prefix("arn:").and_then(|r| r.split_once(":iam::")) else {
                return error(400, "ValidationError", "RoleArn is not a role ARN");
            };
            let (partition, tail) = rest;
            let Some((account, name)) = tail.split_once(":role/") else {
                return error(400, "ValidationError", "RoleArn is not a role ARN");
            };
            let role_name = name.rsplit('/').next().unwrap_or(name);
            let expiration = super::world::rfc3339(super::world::now_ms() + 3_600_000);
            (
                200,
                format!(
                    "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  <AssumeRoleResult>\n    \
                     <AssumedRoleUser>\n      <AssumedRoleId>AROASANDBOX:{s}</AssumedRoleId>\n      \
                     <Arn>arn:{partition}:sts::{account}:assumed-role/{r}/{s}</Arn>\n    </AssumedRoleUser>\n    \
                     <Credentials>\n      <AccessKeyId>ASIASANDBOX</AccessKeyId>\n      \
                     <SecretAccessKey>sandbox-secret</SecretAccessKey>\n      <SessionToken>sandbox-session</SessionToken>\n      \
                     <Expiration>{expiration}</Expiration>\n    </Credentials>\n  </AssumeRoleResult>\n  \
                     <ResponseMetadata>\n    <RequestId>{request_id}</RequestId>\n  </ResponseMetadata>\n</AssumeRoleResponse>\n",
                    s = xml(session),
                    r = xml(role_name),
                ),
            )
        }
        Some(other) => error(400, "InvalidAction", &format!("Could not find operation {other} for version 2011-06-15")),
        None => error(400, "MissingAction", "Missing Action"),
    }
}

fn error(status: u16, code: &str, message: &str) -> (u16, String) {
    (
        status,
        format!(
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  <Error>\n    <Type>Sender</Type>\n    \
             <Code>{code}</Code>\n    <Message>{}</Message>\n  </Error>\n  <RequestId>{}</RequestId>\n</ErrorResponse>\n",
            xml(message),
            uuid::Uuid::new_v4()
        ),
    )
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
