//! An EKS bearer token's format, checked as aws-iam-authenticator's `tokenVerifier.Verify` does
//! before it asks STS (reference §5.2, `pkg/token/token.go`): length, prefix, unpadded base64url,
//! an `https` STS host of the verifier's partition, path `/`, only the presigning parameters and
//! each once, `Action=GetCallerIdentity`, `x-k8s-aws-id` among the signed headers, `X-Amz-Expires`
//! at most 900, and an `X-Amz-Date` no older than 15 minutes. What it yields is what a verifier
//! then checks the signature of (the sandbox recomputes it; EKS asks STS).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;

/// The presigned STS request inside a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presigned {
    pub host: String,
    /// The query parameters, as written.
    pub params: Vec<(String, String)>,
    pub date: SystemTime,
    pub expires: Duration,
}

impl Presigned {
    /// A query parameter, by case-insensitive name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The access key and region of `X-Amz-Credential` (`AKID/date/region/sts/aws4_request`).
    pub fn credential_scope(&self) -> Option<(&str, &str)> {
        let mut scope = self.param("X-Amz-Credential")?.split('/');
        Some((scope.next()?, scope.nth(1)?))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenFormatError {
    #[error("token is not an EKS token: {0}")]
    Format(String),
    #[error("token expired")]
    Expired,
}

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

/// The domains of a partition's STS endpoints (regular, dual-stack), and the prefixes of its
/// region names, as the AWS SDK's endpoint resolver knows them.
fn partition(name: &str) -> Option<(&'static [&'static str], &'static [&'static str])> {
    Some(match name {
        "aws" => (&["amazonaws.com", "api.aws"], &["us-", "eu-", "ap-", "sa-", "ca-", "me-", "af-", "il-", "mx-"]),
        "aws-cn" => (&["amazonaws.com.cn", "api.amazonwebservices.com.cn"], &["cn-"]),
        "aws-us-gov" => (&["amazonaws.com", "api.aws"], &["us-gov-"]),
        "aws-iso" => (&["c2s.ic.gov"], &["us-iso-"]),
        "aws-iso-b" => (&["sc2s.sgov.gov"], &["us-isob-"]),
        "aws-iso-e" => (&["cloud.adc-e.uk"], &["eu-isoe-"]),
        "aws-iso-f" => (&["csp.hci.ic.gov"], &["us-isof-"]),
        "aws-eusc" => (&["amazonaws.eu"], &["eusc-"]),
        _ => return None,
    })
}

/// `<prefix><word>-<digits>`, e.g. `eu-west-1` for the prefix `eu-`.
fn region_shaped(region: &str, prefixes: &[&str]) -> bool {
    prefixes.iter().any(|p| {
        // `us-gov-west-1` is not an `aws` region, though it starts with `us-`.
        let Some(rest) = region.strip_prefix(p) else { return false };
        let Some((word, digits)) = rest.rsplit_once('-') else { return false };
        !word.is_empty()
            && !word.contains('-')
            && word.chars().all(|c| c.is_ascii_alphanumeric())
            && !digits.is_empty()
            && digits.chars().all(|c| c.is_ascii_digit())
    })
}

/// Whether `host` is an STS endpoint of `partition` (the verifier's own `region` counts too,
/// whatever its shape).
pub fn is_sts_host(host: &str, partition_name: &str, region: Option<&str>) -> bool {
    let Some((domains, prefixes)) = partition(partition_name) else { return false };
    if host == "sts.amazonaws.com" {
        return partition_name == "aws";
    }
    let Some(rest) = host.strip_prefix("sts.").or_else(|| host.strip_prefix("sts-fips.")) else { return false };
    // The SDK's resolver, which the authenticator asks, takes any single DNS label as a region of
    // the `aws` partition (its default); the other partitions need a region of their own shape.
    let any_label =
        |r: &str| !r.is_empty() && r.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    domains.iter().any(|d| {
        rest.strip_suffix(d).and_then(|r| r.strip_suffix('.')).is_some_and(|r| {
            region_shaped(r, prefixes) || Some(r) == region || (partition_name == "aws" && any_label(r))
        })
    })
}

/// The presigned request in `token`, checked for a verifier of `partition` (in `region`) at `now`.
pub fn parse(
    token: &str,
    partition: &str,
    region: Option<&str>,
    now: SystemTime,
) -> Result<Presigned, TokenFormatError> {
    let format = |why: &str| TokenFormatError::Format(why.to_string());
    if token.len() > 4096 {
        return Err(format("token is too large"));
    }
    let body = token.strip_prefix("k8s-aws-v1.").ok_or_else(|| format("no k8s-aws-v1. prefix"))?;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(body)
        .map_err(|_| format("not base64url without padding"))?;
    let url = String::from_utf8(raw).map_err(|_| format("not UTF-8"))?;
    let rest = url.strip_prefix("https://").ok_or_else(|| format("not https"))?;
    let (host, path_query) = rest.split_once('/').ok_or_else(|| format("no path"))?;
    if !is_sts_host(host, partition, region) {
        return Err(format("not an STS host of the partition"));
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
        return Err(TokenFormatError::Expired);
    }
    Ok(Presigned { host: host.to_string(), params, date, expires: Duration::from_secs(expires) })
}

/// `20261122T195824Z` → a time.
pub fn parse_amz_date(s: &str) -> Option<SystemTime> {
    if s.len() != 16 || !s.is_ascii() || &s[8..9] != "T" || !s.ends_with('Z') {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d, hh, mm, ss) = (n(0..4)?, n(4..6)?, n(6..8)?, n(9..11)?, n(11..13)?, n(13..15)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    let secs = days_from_civil(y, m, d) * 86_400 + hh * 3600 + mm * 60 + ss;
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

    #[test]
    fn hosts_of_each_partition() {
        assert!(is_sts_host("sts.amazonaws.com", "aws", None));
        assert!(!is_sts_host("sts.amazonaws.com", "aws-cn", None));
        assert!(is_sts_host("sts.eu-west-1.amazonaws.com", "aws", None));
        assert!(is_sts_host("sts.cn-north-1.amazonaws.com.cn", "aws-cn", None));
        assert!(is_sts_host("sts.us-gov-west-1.amazonaws.com", "aws-us-gov", None));
        assert!(!is_sts_host("sts.evil.example.com", "aws", None));
        assert!(!is_sts_host("127.0.0.1:4599", "aws", None));
    }

    #[test]
    fn parses_amz_dates() {
        assert_eq!(parse_amz_date("19700101T000000Z"), Some(UNIX_EPOCH));
        assert_eq!(parse_amz_date("20231220T082001Z"), Some(UNIX_EPOCH + Duration::from_secs(1_703_060_401)));
        assert_eq!(parse_amz_date("2023-12-20"), None);
    }
}
