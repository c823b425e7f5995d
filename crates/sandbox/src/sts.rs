//! STS, query protocol with XML answers: GetCallerIdentity (who is applying) and AssumeRole (the
//! per-cluster role of multi-account configurations), answering for whoever signed the call: the
//! access key names a credential of the world (the default identity, a seeded user, or a session
//! an earlier AssumeRole handed out).

use super::world::World;
use accessctl_core::model::PrincipalArn;

/// The access key of a signed call: from the `Authorization` header's `Credential=` or from a
/// presigned URL's `X-Amz-Credential`.
pub fn signing_key(authorization: Option<&str>, params: &[(String, String)]) -> Option<String> {
    let scope = authorization
        .and_then(|h| h.split("Credential=").nth(1))
        .or_else(|| params.iter().find(|(k, _)| k == "X-Amz-Credential").map(|(_, v)| v.as_str()))?;
    scope.split('/').next().filter(|k| !k.is_empty()).map(str::to_string)
}

/// Answers one STS call signed with `access_key`; `params` are the form (or query) parameters.
pub fn answer(world: &mut World, access_key: Option<&str>, params: &[(String, String)]) -> (u16, String) {
    let get = |k: &str| params.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    let request_id = uuid::Uuid::new_v4();
    let Some(identity) = access_key.and_then(|k| world.credentials.get(k)).cloned() else {
        return error(403, "InvalidClientTokenId", "The security token included in the request is invalid.");
    };
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
            let role = match PrincipalArn::parse(role) {
                Ok(p) if p.kind == accessctl_core::model::PrincipalKind::Role => p,
                _ => return error(400, "ValidationError", "RoleArn is not a role ARN"),
            };
            if session.len() < 2
                || session.len() > 64
                || !session.chars().all(|c| c.is_ascii_alphanumeric() || "=,.@-_".contains(c))
            {
                return error(400, "ValidationError", "RoleSessionName must be 2-64 characters of [\\w+=,.@-]");
            }
            let (key, credential) = world.assume_role(&role, session);
            let expiration = super::world::rfc3339(super::world::now_ms() + 3_600_000);
            (
                200,
                format!(
                    "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  <AssumeRoleResult>\n    \
                     <AssumedRoleUser>\n      <AssumedRoleId>{id}</AssumedRoleId>\n      \
                     <Arn>{arn}</Arn>\n    </AssumedRoleUser>\n    \
                     <Credentials>\n      <AccessKeyId>{key}</AccessKeyId>\n      \
                     <SecretAccessKey>{secret}</SecretAccessKey>\n      <SessionToken>sandbox-session-{key}</SessionToken>\n      \
                     <Expiration>{expiration}</Expiration>\n    </Credentials>\n  </AssumeRoleResult>\n  \
                     <ResponseMetadata>\n    <RequestId>{request_id}</RequestId>\n  </ResponseMetadata>\n</AssumeRoleResponse>\n",
                    id = xml(&credential.user_id),
                    arn = xml(&credential.arn),
                    secret = credential.secret,
                ),
            )
        }
        Some(other) => error(400, "InvalidAction", &format!("Could not find operation {other} for version 2011-06-15")),
        None => error(400, "MissingAction", "Missing Action"),
    }
}

fn error(status: u16, code: &str, message: &str) -> (u16, String) {
    query_error("https://sts.amazonaws.com/doc/2011-06-15/", status, code, message)
}

/// An error of AWS's query protocol (STS, IAM), with the service's XML namespace.
pub fn query_error(namespace: &str, status: u16, code: &str, message: &str) -> (u16, String) {
    (
        status,
        format!(
            "<ErrorResponse xmlns=\"{namespace}\">\n  <Error>\n    <Type>Sender</Type>\n    \
             <Code>{code}</Code>\n    <Message>{}</Message>\n  </Error>\n  <RequestId>{}</RequestId>\n</ErrorResponse>\n",
            xml(message),
            uuid::Uuid::new_v4()
        ),
    )
}

/// Text escaped for XML.
pub fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
