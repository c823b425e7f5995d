//! Verifying EKS bearer tokens as the authenticator does (reference §5.2), for the sandbox's
//! Kubernetes API: the format checks 1–8 (the core's [`accessctl_core::access::token::parse`], proven
//! against aws-iam-authenticator's token tests), then the SigV4 signature itself, recomputed with the
//! secret of the access key (the sandbox knows the credentials it hands out), with the
//! `x-k8s-aws-id` header bound to the cluster being called. A token minted for another cluster,
//! expired, or tampered with is refused.

use std::time::SystemTime;

use accessctl_core::access::token::TokenFormatError;

/// Who a verified token belongs to: the access key that signed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenIdentity {
    pub access_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("token is not an EKS token: {0}")]
    Format(String),
    #[error("token expired")]
    Expired,
    #[error("unknown access key {0}")]
    UnknownKey(String),
    #[error("signature does not match (wrong cluster, or altered)")]
    Signature,
}

fn format(why: &str) -> TokenError {
    TokenError::Format(why.to_string())
}

/// Verifies `token` for `cluster`; `secret_of` gives the secret of an access key the sandbox knows.
pub fn verify(
    token: &str,
    cluster: &str,
    now: SystemTime,
    secret_of: impl Fn(&str) -> Option<String>,
) -> Result<TokenIdentity, TokenError> {
    // The sandbox's clusters are in the `aws` partition.
    let presigned = accessctl_core::access::token::parse(token, "aws", None, now).map_err(|e| match e {
        TokenFormatError::Format(why) => TokenError::Format(why),
        TokenFormatError::Expired => TokenError::Expired,
    })?;
    let (key, region) = presigned.credential_scope().ok_or_else(|| format("no or bad X-Amz-Credential"))?;
    let secret = secret_of(key).ok_or_else(|| TokenError::UnknownKey(key.into()))?;
    let session = presigned.param("X-Amz-Security-Token").map(str::to_string);
    let creds = aws_credential_types::Credentials::new(key, secret.as_str(), session, None, "sandbox");
    let (_, expected) =
        accessctl_token::presign(creds, &presigned.host, region, cluster, presigned.date, presigned.expires)
            .map_err(|_| TokenError::Signature)?;
    if Some(expected.as_str()) != presigned.param("X-Amz-Signature") {
        return Err(TokenError::Signature);
    }
    Ok(TokenIdentity { access_key: key.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    use accessctl_token::mint_with;

    fn creds() -> aws_credential_types::Credentials {
        aws_credential_types::Credentials::new("sandbox", "sandbox", None, None, "t")
    }

    fn known(key: &str) -> Option<String> {
        match key {
            "sandbox" => Some("sandbox".into()),
            "ASIASANDBOX" => Some("sandbox-secret".into()),
            _ => None,
        }
    }

    #[test]
    fn accepts_what_accessctl_mints_for_the_same_cluster_only() {
        let now = SystemTime::now();
        let token = mint_with(creds(), "eu-west-1", "demo", now).unwrap();
        assert_eq!(verify(&token, "demo", now, known), Ok(TokenIdentity { access_key: "sandbox".into() }));
        assert_eq!(verify(&token, "other", now, known), Err(TokenError::Signature));
        assert_eq!(verify(&token, "demo", now + Duration::from_secs(16 * 60), known), Err(TokenError::Expired));
        let session = aws_credential_types::Credentials::new(
            "ASIASANDBOX",
            "sandbox-secret",
            Some("sandbox-session".into()),
            None,
            "t",
        );
        let token = mint_with(session, "eu-west-1", "demo", now).unwrap();
        assert!(verify(&token, "demo", now, known).is_ok());
    }

    #[test]
    fn refuses_malformed_and_unknown_tokens() {
        let now = SystemTime::now();
        assert!(matches!(verify("k8s-aws-v1.!!", "demo", now, known), Err(TokenError::Format(_))));
        assert!(matches!(verify("Bearer", "demo", now, known), Err(TokenError::Format(_))));
        let stranger = aws_credential_types::Credentials::new("AKIDSTRANGER", "x", None, None, "t");
        let token = mint_with(stranger, "eu-west-1", "demo", now).unwrap();
        assert_eq!(verify(&token, "demo", now, known), Err(TokenError::UnknownKey("AKIDSTRANGER".into())));
        let padded = format!("{}==", mint_with(creds(), "eu-west-1", "demo", now).unwrap());
        assert!(matches!(verify(&padded, "demo", now, known), Err(TokenError::Format(_))));
    }
}
