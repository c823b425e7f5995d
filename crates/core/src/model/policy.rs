//! The catalogue of AWS-managed access policies (reference §3.5) and how a policy is written.
//!
//! The catalogue grows over time; accessctl knows the policies listed here offline, so `validate`
//! can catch a misspelt name without credentials. A policy ARN outside this list is refused offline
//! too: EKS has no customer-managed access policies.

/// Every access policy `ListAccessPolicies` returned as of the reference's snapshot.
pub const ACCESS_POLICIES: &[&str] = &[
    "AIDevOpsAgentAccessPolicy",
    "AmazonAIOpsAssistantPolicy",
    "AmazonARCRegionSwitchScalingPolicy",
    "AmazonEKSACKPolicy",
    "AmazonEKSAdminPolicy",
    "AmazonEKSAdminViewPolicy",
    "AmazonEKSArgoCDClusterPolicy",
    "AmazonEKSArgoCDPolicy",
    "AmazonEKSAutoNodePolicy",
    "AmazonEKSBlockStorageClusterPolicy",
    "AmazonEKSBlockStoragePolicy",
    "AmazonEKSClusterAdminPolicy",
    "AmazonEKSComputeClusterPolicy",
    "AmazonEKSComputePolicy",
    "AmazonEKSEditPolicy",
    "AmazonEKSEventPolicy",
    "AmazonEKSHybridPolicy",
    "AmazonEKSKROPolicy",
    "AmazonEKSLoadBalancingClusterPolicy",
    "AmazonEKSLoadBalancingPolicy",
    "AmazonEKSNetworkingClusterPolicy",
    "AmazonEKSNetworkingPolicy",
    "AmazonEKSPodIdentityPolicy",
    "AmazonEKSSecretAdminPolicy",
    "AmazonEKSSecretReaderPolicy",
    "AmazonEKSViewPolicy",
    "AmazonEMRJobPolicy",
    "AmazonSagemakerHyperpodClusterPolicy",
    "AmazonSagemakerHyperpodControllerPolicy",
    "AmazonSagemakerHyperpodSpacePolicy",
    "AmazonSagemakerHyperpodSpaceTemplatePolicy",
    "AmazonSagemakerHyperpodSystemNamespacePolicy",
    "AmazonSagemakerHyperpodUserClusterPolicy",
];

/// The policies every EKS cluster offers and AWS documents rule by rule (reference §3.5).
pub const CORE_POLICIES: &[&str] = &[
    "AmazonEKSClusterAdminPolicy",
    "AmazonEKSAdminPolicy",
    "AmazonEKSEditPolicy",
    "AmazonEKSViewPolicy",
    "AmazonEKSAdminViewPolicy",
];

pub const CLUSTER_ADMIN: &str = "AmazonEKSClusterAdminPolicy";
pub const AUTO_NODE: &str = "AmazonEKSAutoNodePolicy";

const ARN_PREFIX_TAIL: &str = ":eks::aws:cluster-access-policy/";

/// The ARN of a policy by name, in a partition.
pub fn policy_arn(partition: &str, name: &str) -> String {
    format!("arn:{partition}{ARN_PREFIX_TAIL}{name}")
}

/// The policy name inside an access-policy ARN, if it is one.
pub fn policy_name_from_arn(arn: &str) -> Option<&str> {
    let rest = arn.strip_prefix("arn:")?;
    let (_partition, tail) = rest.split_once(':')?;
    tail.strip_prefix(&ARN_PREFIX_TAIL[1..])
}

pub fn is_known_policy(name: &str) -> bool {
    ACCESS_POLICIES.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_policy_arns() {
        let arn = policy_arn("aws", "AmazonEKSViewPolicy");
        assert_eq!(arn, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy");
        assert_eq!(policy_name_from_arn(&arn), Some("AmazonEKSViewPolicy"));
        assert_eq!(policy_name_from_arn("arn:aws-cn:eks::aws:cluster-access-policy/X"), Some("X"));
        assert_eq!(policy_name_from_arn("arn:aws:iam::aws:policy/X"), None);
        assert_eq!(policy_name_from_arn("AmazonEKSViewPolicy"), None);
    }

    #[test]
    fn catalogue_holds_the_core_policies() {
        for p in CORE_POLICIES {
            assert!(is_known_policy(p));
        }
    }
}
