//! Why a call to AWS failed, in the terms of what the person running accessctl can do about it:
//! each kind has a stable code and a help, like the configuration's diagnostics. Classified on
//! the SDK's typed error (its variant, the service's error code, the credential provider's error
//! in the source chain), never on message text.

use aws_sdk_eks::error::{ProvideErrorMetadata, SdkError};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Failure {
    /// The credential chain found nothing to sign with.
    NoCredentials,
    /// The credentials were found and have expired (an SSO or assumed-role session).
    ExpiredCredentials,
    /// The credentials are not valid (a wrong or deleted access key).
    InvalidCredentials,
    /// IAM refused the call.
    AccessDenied,
    /// The cluster (or what was asked for) does not exist where accessctl looked.
    NotFound,
    /// Still throttled after every retry.
    Throttled,
    /// No connection to the endpoint.
    Unreachable,
    /// The endpoint did not answer in time.
    TimedOut,
    /// Anything else the service said.
    Service,
}

impl Failure {
    pub fn of<E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug + 'static>(
        e: &SdkError<E, R>,
    ) -> Failure {
        if let Some(code) = e.code() {
            return match code {
                "ExpiredToken" | "ExpiredTokenException" | "RequestExpired" => Failure::ExpiredCredentials,
                "InvalidClientTokenId"
                | "UnrecognizedClientException"
                | "SignatureDoesNotMatch"
                | "IncompleteSignature"
                | "InvalidSignatureException" => Failure::InvalidCredentials,
                "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" => Failure::AccessDenied,
                "ResourceNotFoundException" | "NotFoundException" | "NoSuchEntity" => Failure::NotFound,
                "ThrottlingException" | "Throttling" | "TooManyRequestsException" | "RequestLimitExceeded" => {
                    Failure::Throttled
                }
                _ => Failure::Service,
            };
        }
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
        while let Some(cause) = source {
            if cause.downcast_ref::<aws_credential_types::provider::error::CredentialsError>().is_some() {
                return Failure::NoCredentials;
            }
            source = cause.source();
        }
        match e {
            SdkError::TimeoutError(_) => Failure::TimedOut,
            SdkError::DispatchFailure(d) if d.is_timeout() => Failure::TimedOut,
            SdkError::DispatchFailure(d) if d.is_io() => Failure::Unreachable,
            SdkError::DispatchFailure(_) => Failure::Unreachable,
            _ => Failure::Service,
        }
    }

    /// A stable code, as `accessctl::aws::…`.
    pub fn code(self) -> &'static str {
        match self {
            Failure::NoCredentials => "accessctl::aws::no_credentials",
            Failure::ExpiredCredentials => "accessctl::aws::expired_credentials",
            Failure::InvalidCredentials => "accessctl::aws::invalid_credentials",
            Failure::AccessDenied => "accessctl::aws::access_denied",
            Failure::NotFound => "accessctl::aws::not_found",
            Failure::Throttled => "accessctl::aws::throttled",
            Failure::Unreachable => "accessctl::aws::unreachable",
            Failure::TimedOut => "accessctl::aws::timed_out",
            Failure::Service => "accessctl::aws::service",
        }
    }

    pub fn help(self) -> &'static str {
        match self {
            Failure::NoCredentials => {
                "no AWS credentials were found: set AWS_PROFILE (then `aws sso login` if it is an SSO profile), or \
                 AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where an instance or pod role is available"
            }
            Failure::ExpiredCredentials => {
                "the session has expired: log in again (`aws sso login --profile …`) or fetch fresh credentials"
            }
            Failure::InvalidCredentials => {
                "AWS does not know these credentials: check the access key (it may have been deleted or rotated) \
                 and that the profile is the one you meant"
            }
            Failure::AccessDenied => {
                "the caller may not make this call: it needs eks:DescribeCluster, eks:ListAccessEntries, \
                 eks:DescribeAccessEntry and eks:ListAssociatedAccessPolicies to plan, and the write actions to apply"
            }
            Failure::NotFound => {
                "no such cluster in this account and region: check `region` and the cluster's name, and that the \
                 credentials (or `assume-role`) are for the account that owns it"
            }
            Failure::Throttled => {
                "AWS kept throttling after every retry: the account's EKS request rate is spent by this run or by \
                 others; run again later (this is not a credentials problem)"
            }
            Failure::Unreachable => {
                "the endpoint cannot be reached: check the network, proxies, and --endpoint-url / AWS_ENDPOINT_URL"
            }
            Failure::TimedOut => {
                "no answer in time: the endpoint is slow, down, or not reachable from here (a firewall drops the \
                 connection); check --endpoint-url / AWS_ENDPOINT_URL, raise --timeout, or retry"
            }
            Failure::Service => "the service refused the call; its own message says why",
        }
    }
}
