//! The EKS bearer token, minted in-process exactly like `aws eks get-token` (reference §5.1):
//! `k8s-aws-v1.` + base64url (no padding) of a SigV4 query-presigned STS GetCallerIdentity URL
//! with the `x-k8s-aws-id: <cluster name>` header signed, valid 60 seconds.

use std::time::{Duration, SystemTime};

use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign};
use aws_sigv4::sign::v4;
use base64::Engine;

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("no AWS credentials to sign the Kubernetes token with: {0}")]
    Credentials(String),
    #[error("cannot sign the Kubernetes token: {0}")]
    Signing(String),
}

/// The STS host for a region (China regions live under amazonaws.com.cn).
fn sts_host(region: &str) -> String {
    let domain = if region.starts_with("cn-") { "amazonaws.com.cn" } else { "amazonaws.com" };
    format!("sts.{region}.{domain}")
}

pub async fn mint(credentials: &SharedCredentialsProvider, region: &str, cluster: &str) -> Result<String, TokenError> {
    let creds = credentials.provide_credentials().await.map_err(|e| TokenError::Credentials(e.to_string()))?;
    mint_with(creds, region, cluster, SystemTime::now())
}

pub fn mint_with(
    creds: aws_credential_types::Credentials,
    region: &str,
    cluster: &str,
    time: SystemTime,
) -> Result<String, TokenError> {
    let host = sts_host(region);
    let (url, _) = presign(creds, &host, region, cluster, time, Duration::from_secs(60))?;
    Ok(format!("k8s-aws-v1.{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(url)))
}

/// The presigned GetCallerIdentity URL on `host` with `x-k8s-aws-id: cluster` signed, and its
/// signature. Minting uses the URL; verifying (the sandbox) compares the signature.
pub fn presign(
    creds: aws_credential_types::Credentials,
    host: &str,
    region: &str,
    cluster: &str,
    time: SystemTime,
    expires_in: Duration,
) -> Result<(String, String), TokenError> {
    let url = format!("https://{host}/?Action=GetCallerIdentity&Version=2011-06-15");
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(expires_in);
    let identity = creds.into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("sts")
        .time(time)
        .settings(settings)
        .build()
        .map_err(|e| TokenError::Signing(e.to_string()))?
        .into();
    let headers = [("host", host), ("x-k8s-aws-id", cluster)];
    let signable = SignableRequest::new("GET", &url, headers.into_iter(), SignableBody::Bytes(&[]))
        .map_err(|e| TokenError::Signing(e.to_string()))?;
    let (instructions, signature) =
        sign(signable, &params).map_err(|e| TokenError::Signing(e.to_string()))?.into_parts();
    let mut request = http::Request::builder().uri(&url).body(()).map_err(|e| TokenError::Signing(e.to_string()))?;
    instructions.apply_to_request_http1x(&mut request);
    Ok((request.uri().to_string(), signature))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_is_a_presigned_get_caller_identity_for_the_cluster() {
        let creds = aws_credential_types::Credentials::new("AKIDEXAMPLE", "secret", None, None, "test");
        let token =
            mint_with(creds, "us-west-2", "demo", SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000)).unwrap();
        let body = token.strip_prefix("k8s-aws-v1.").unwrap();
        assert!(!body.contains('='), "no padding");
        let url = String::from_utf8(base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(body).unwrap()).unwrap();
        assert!(
            url.starts_with("https://sts.us-west-2.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15"),
            "{url}"
        );
        for part in [
            "X-Amz-Algorithm=AWS4-HMAC-SHA256",
            "X-Amz-Expires=60",
            "X-Amz-SignedHeaders=host%3Bx-k8s-aws-id",
            "X-Amz-Credential=AKIDEXAMPLE%2F",
        ] {
            assert!(url.contains(part), "{part} missing from {url}");
        }
        assert!(url.contains("X-Amz-Signature="));
    }
}
