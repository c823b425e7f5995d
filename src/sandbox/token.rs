//! Verifying EKS bearer tokens as the authenticator does (reference §5.2), for the sandbox's
//! Kubernetes API: the format checks 1–8, then the SigV4 signature itself, recomputed with the
//! secret of the access key (the sandbox knows the credentials it hands out), with the
//! `x-k8s-aws-id` header bound to the cluster being called. A token minted for another cluster,
//! expired, or tampered with is refused.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;

const ALLOWED_PARAMS: &[&str] = &[
    "action",
    "version",
    "x-amz-algorithm",
    "x-amz-credential",
    "x-amz-date",
    "x-amz-expires",
    "x-amz-security-token",
    "x-amz-signature",
    "x-amz-signedheaders",
];

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
    if token.len() > 4096 {
        return Err(format("longer than 4096 bytes"));
    }
    let body = token.strip_prefix("k8s-aws-v1.").ok_or_else(|| format("no k8s-aws-v1. prefix"))?;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(body)
        .map_err(|_| format("not base64url without padding"))?;
    let url = String::from_utf8(raw).map_err(|_| format("not UTF-8"))?;
    let rest = url.strip_prefix("https://").ok_or_else(|| format("not https"))?;
    let (host, path_query) = rest.split_once('/').ok_or_else(|| format("no path"))?;
    let valid_host = host == "sts.amazonaws.com"
        || (host.starts_with("sts.")
            && (host.ends_with(".amazonaws.com") || host.ends_with(".amazonaws.com.cn") || host.ends_with(".api.aws")));
    if !valid_host {
        return Err(format("not an STS host"));
    }
    let query = path_query.strip_prefix('?').ok_or_else(|| format("path is not /"))?;
    let params: Vec<(String, String)> = serde_urlencoded::from_str(query).map_err(|_| format("bad query"))?;
    let mut seen = std::collections::BTreeSet::new();
    for (k, _) in &params {
        let k = k.to_ascii_lowercase();
        if !ALLOWED_PARAMS.contains(&k.as_str()) || !seen.insert(k) {
            return Err(format("unexpected or repeated query parameter"));
        }
    }
    let get = |k: &str| params.iter().find(|(key, _)| key.eq_ignore_ascii_case(k)).map(|(_, v)| v.as_str());
    if get("Action") != Some("GetCallerIdentity") {
        return Err(format("not GetCallerIdentity"));
    }
    if !get("X-Amz-SignedHeaders").is_some_and(|h| h.split(';').any(|h| h == "x-k8s-aws-id")) {
        return Err(format("x-k8s-aws-id is not signed"));
    }
    let expires: u64 = get("X-Amz-Expires")
        .and_then(|e| e.parse().ok())
        .filter(|e| *e <= 900)
        .ok_or_else(|| format("bad X-Amz-Expires"))?;
    let date = get("X-Amz-Date").and_then(parse_amz_date).ok_or_else(|| format("bad X-Amz-Date"))?;
    if now > date + Duration::from_secs(15 * 60) {
        return Err(TokenError::Expired);
    }
    let credential = get("X-Amz-Credential").ok_or_else(|| format("no X-Amz-Credential"))?;
    let mut scope = credential.split('/');
    let (key, region) = match (scope.next(), scope.nth(1)) {
        (Some(k), Some(r)) => (k, r),
        _ => return Err(format("bad X-Amz-Credential")),
    };
    let secret = secret_of(key).ok_or_else(|| TokenError::UnknownKey(key.into()))?;
    let session = get("X-Amz-Security-Token").map(str::to_string);
    let creds = aws_credential_types::Credentials::new(key, secret.as_str(), session, None, "sandbox");
    let (_, expected) = crate::live::token::presign(creds, host, region, cluster, date, Duration::from_secs(expires))
        .map_err(|_| TokenError::Signature)?;
    if Some(expected.as_str()) != get("X-Amz-Signature") {
        return Err(TokenError::Signature);
    }
    Ok(TokenIdentity { access_key: key.to_string() })
}

/// `20261122T195824Z` → a time.
fn parse_amz_date(s: &str) -> Option<SystemTime> {
    if s.len() != 16 || !s.is_ascii() || &s[8..9] != "T" || !s.ends_with('Z') {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d, hh, mm, ss) = (n(0..4)?, n(4..6)?, n(6..8)?, n(9..11)?, n(11..13)?, n(13..15)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    let days = days_from_civil(y, m, d);
    let secs = days * 86_400 + hh * 3600 + mm * 60 + ss;
    u64::try_from(secs).ok().map(|s| UNIX_EPOCH + Duration::from_secs(s))
}

/// Calendar date to days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::token::mint_with;

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

    #[test]
    fn parses_amz_dates() {
        assert_eq!(parse_amz_date("19700101T000000Z"), Some(UNIX_EPOCH));
        assert_eq!(parse_amz_date("20231220T082001Z"), Some(UNIX_EPOCH + Duration::from_secs(1_703_060_401)));
        assert_eq!(parse_amz_date("2023-12-20"), None);
    }
}
