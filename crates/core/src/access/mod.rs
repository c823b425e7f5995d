//! The access model: who gets into an EKS cluster ([`authenticate`]) and what they may do there
//! ([`authorize`]), over one typed state ([`ClusterAccess`]). `explain`, the sandbox's
//! enforcement and the tests that compare them all call [`decide`].

pub mod authn;
pub mod authz;
pub mod caller;
pub mod desired;
pub mod policies;
pub mod presets;
pub mod rbac;
pub mod request;
pub mod resources;
pub mod rights;
pub mod state;
pub mod token;

use serde::Serialize;

pub use authn::{Authentication, Identity, Lookups, Offline, Refusal, Via, authenticate};
pub use authz::{
    Decision, Grant, Holding, authorize, forbidden_message, forbidden_message_for, has_any_permission, holdings,
};
pub use caller::{Caller, CallerError, CallerKind};
pub use rbac::{Binding, Rbac, Role, RoleKind, Rule, Subject};
pub use request::{Request, RequestError};
pub use rights::{Level, Rights, effective_rights, is_cluster_admin};
pub use state::{Association, ClusterAccess, Entry, Known, NamedPrincipal};

/// What the API server answers a caller's request, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Outcome {
    /// 401: not authenticated.
    Unauthorized {
        refusal: Refusal,
    },
    /// 403: authenticated, not allowed.
    Forbidden {
        identity: Identity,
        decision: Decision,
    },
    Allowed {
        identity: Identity,
        grant: Grant,
    },
    /// The state needed to answer could not be read.
    Unknown {
        identity: Option<Identity>,
        reason: String,
    },
}

impl Outcome {
    pub fn allowed(&self) -> bool {
        matches!(self, Outcome::Allowed { .. })
    }

    /// The HTTP status the Kubernetes API answers with (Unknown has none: it is not an answer).
    pub fn status(&self) -> Option<u16> {
        match self {
            Outcome::Unauthorized { .. } => Some(401),
            Outcome::Forbidden { .. } => Some(403),
            Outcome::Allowed { .. } => Some(200),
            Outcome::Unknown { .. } => None,
        }
    }
}

/// Authentication then authorization of one request.
pub fn decide(cluster: &ClusterAccess, caller: &Caller, req: &Request, lookups: &dyn Lookups) -> Outcome {
    match authenticate(cluster, caller, lookups) {
        Authentication::Refused(refusal) => Outcome::Unauthorized { refusal },
        Authentication::Unknown { reason } => Outcome::Unknown { identity: None, reason },
        Authentication::Authenticated(identity) => match authorize(cluster, &identity, req) {
            Decision::Allowed { grant } => Outcome::Allowed { identity, grant },
            Decision::Unknown { reason } => Outcome::Unknown { identity: Some(identity), reason },
            decision @ Decision::Denied { .. } => Outcome::Forbidden { identity, decision },
        },
    }
}
