//! The rules EKS applies to access entries (reference §3.2–3.4), written once.
//!
//! `validate` uses them to refuse a file before it reaches the network; the sandbox uses the same
//! functions to answer as EKS does. Each rule returns the violation, never a message in a
//! particular voice: callers phrase it for their audience.

use super::policy;

/// Username prefixes EKS reserves for itself.
pub const RESERVED_USERNAME_PREFIXES: &[&str] = &["system:", "eks:", "aws:", "amazon:", "iam:"];

/// The access-entry types EKS knows (reference §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize, serde::Deserialize)]
pub enum EntryType {
    #[default]
    #[serde(rename = "STANDARD")]
    Standard,
    #[serde(rename = "EC2_LINUX")]
    Ec2Linux,
    #[serde(rename = "EC2_WINDOWS")]
    Ec2Windows,
    #[serde(rename = "FARGATE_LINUX")]
    FargateLinux,
    #[serde(rename = "EC2")]
    Ec2,
    #[serde(rename = "HYBRID_LINUX")]
    HybridLinux,
    #[serde(rename = "HYPERPOD_LINUX")]
    HyperpodLinux,
}

impl EntryType {
    pub const ALL: [EntryType; 7] = [
        EntryType::Standard,
        EntryType::Ec2Linux,
        EntryType::Ec2Windows,
        EntryType::FargateLinux,
        EntryType::Ec2,
        EntryType::HybridLinux,
        EntryType::HyperpodLinux,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntryType::Standard => "STANDARD",
            EntryType::Ec2Linux => "EC2_LINUX",
            EntryType::Ec2Windows => "EC2_WINDOWS",
            EntryType::FargateLinux => "FARGATE_LINUX",
            EntryType::Ec2 => "EC2",
            EntryType::HybridLinux => "HYBRID_LINUX",
            EntryType::HyperpodLinux => "HYPERPOD_LINUX",
        }
    }

    pub fn parse(s: &str) -> Option<EntryType> {
        EntryType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The Kubernetes username EKS generates for entries of this type when none is given.
    /// `None` for STANDARD (it depends on the principal) and where no source says (EC2, HYPERPOD).
    pub fn default_node_username(self) -> Option<&'static str> {
        match self {
            EntryType::Ec2Linux | EntryType::Ec2Windows => Some("system:node:{{EC2PrivateDNSName}}"),
            EntryType::FargateLinux | EntryType::HybridLinux => Some("system:node:{{SessionName}}"),
            _ => None,
        }
    }

    /// The groups EKS fills in for entries of this type (reference §3.2: EC2_LINUX reads back
    /// with `system:nodes`; accessctl assumes the same for the other node types it creates).
    pub fn default_groups(self) -> &'static [&'static str] {
        match self {
            EntryType::Ec2Linux | EntryType::Ec2Windows => &["system:nodes"],
            _ => &[],
        }
    }

    /// Whether the entry may carry access policies: STANDARD, and EC2 (Auto Mode) for its node policy.
    pub fn allows_policy(self, policy_name: &str) -> bool {
        match self {
            EntryType::Standard => true,
            EntryType::Ec2 => policy_name == policy::AUTO_NODE,
            _ => false,
        }
    }
}

/// A way an access entry breaks EKS's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryViolation {
    /// A Kubernetes group starting with `system:`.
    ReservedGroup { group: String },
    /// A username starting with a reserved prefix.
    ReservedUsername { prefix: &'static str },
    /// `{{SessionName}}` or `{{SessionNameRaw}}` without a colon before it.
    SessionNameWithoutColon,
    /// Groups, a username or a policy on a type that takes none.
    NotStandard { what: &'static str },
}

impl EntryViolation {
    /// The message EKS answers with, where the reference records it (§3.4, §2.11); chosen texts
    /// in the same voice where it does not.
    pub fn eks_message(&self) -> String {
        match self {
            EntryViolation::ReservedGroup { group } => {
                format!("The kubernetes group name {group} is invalid, it cannot start with system:")
            }
            EntryViolation::ReservedUsername { prefix } => format!("The username must not begin with {prefix}"),
            EntryViolation::SessionNameWithoutColon => {
                "The username must contain a colon before {{SessionName}} or {{SessionNameRaw}}.".to_string()
            }
            EntryViolation::NotStandard { what: "policies" } => {
                "This operation can only be performed on Access Entries with a type of \"STANDARD\".".to_string()
            }
            EntryViolation::NotStandard { what } => {
                format!("The {what} can only be specified for Access Entries with a type of \"STANDARD\".")
            }
        }
    }
}

pub fn check_group(group: &str) -> Option<EntryViolation> {
    group.starts_with("system:").then(|| EntryViolation::ReservedGroup { group: group.to_string() })
}

pub fn check_username(username: &str) -> Option<EntryViolation> {
    if let Some(prefix) = RESERVED_USERNAME_PREFIXES.iter().find(|p| username.starts_with(*p)) {
        return Some(EntryViolation::ReservedUsername { prefix });
    }
    let template = ["{{SessionName}}", "{{SessionNameRaw}}"].iter().filter_map(|t| username.find(t)).min();
    match template {
        Some(at) if !username[..at].contains(':') => Some(EntryViolation::SessionNameWithoutColon),
        _ => None,
    }
}

/// Whether `name` can be a namespace: an RFC 1123 label, as Kubernetes validates namespace names.
pub fn valid_namespace(name: &str) -> bool {
    let bytes = name.as_bytes();
    (1..=63).contains(&bytes.len())
        && bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes[0] != b'-'
        && bytes[bytes.len() - 1] != b'-'
}

/// Whether `pattern` can scope an access policy: a namespace, or the start of one and a `*`.
pub fn valid_namespace_pattern(pattern: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some("") => true,
        Some(prefix) => {
            prefix.len() < 63
                && prefix.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !prefix.starts_with('-')
        }
        None => valid_namespace(pattern),
    }
}

/// Whether a namespace pattern in an access scope matches a namespace (trailing `*` is a prefix match).
pub fn namespace_matches(pattern: &str, namespace: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => namespace.starts_with(prefix),
        None => pattern == namespace,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert_eq!(check_username("system:admin"), Some(EntryViolation::ReservedUsername { prefix: "system:" }));
        assert_eq!(check_username("eks:x"), Some(EntryViolation::ReservedUsername { prefix: "eks:" }));
        assert_eq!(check_username("john{{SessionName}}"), Some(EntryViolation::SessionNameWithoutColon));
        assert_eq!(check_username("jo:hn{{SessionName}}"), None);
        assert_eq!(check_username(":john{{SessionNameRaw}}"), None);
        assert_eq!(check_username("alice"), None);
    }

    #[test]
    fn groups_and_types() {
        assert!(check_group("system:masters").is_some());
        assert!(check_group("developers").is_none());
        assert!(EntryType::Ec2.allows_policy("AmazonEKSAutoNodePolicy"));
        assert!(!EntryType::Ec2.allows_policy("AmazonEKSViewPolicy"));
        assert!(!EntryType::Ec2Linux.allows_policy("AmazonEKSAutoNodePolicy"));
        assert_eq!(EntryType::parse("FARGATE_LINUX"), Some(EntryType::FargateLinux));
    }

    #[test]
    fn namespace_wildcards() {
        assert!(namespace_matches("dev-*", "dev-payments"));
        assert!(!namespace_matches("dev-*", "prod"));
        assert!(namespace_matches("prod", "prod"));
    }
}
