//! The files' own checks of a cluster's access: access tests (`expect`) and guardrails, asked of
//! any state the model holds — the files alone (`validate`), live state now and the state after
//! apply (`plan`, which stops `apply` on a failure). Both ask the access model
//! ([`crate::explain`]); neither decides anything itself.

pub mod expectations;
pub mod guardrails;

pub use expectations::{Verdict, check as check_expectation};
pub use guardrails::{Guardrail, Violation, check as check_guardrails};

use crate::access::Caller;
use crate::model::PrincipalArn;

/// A principal the files name, as the model's caller (a role as any session of it).
pub(crate) fn caller_of(principal: &PrincipalArn) -> Option<Caller> {
    Caller::parse(&principal.to_string()).ok().map(Caller::as_caller)
}
