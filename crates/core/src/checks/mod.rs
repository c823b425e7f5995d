//! The files' own checks of a cluster's access: access tests (`expect`) and guardrails, asked of
//! any state the model holds — the files alone (`validate`), live state now and the state after
//! apply (`plan`, which stops `apply` on a failure). Both ask the access model
//! ([`crate::explain`]); neither decides anything itself.

pub mod expectations;
pub mod guardrails;

pub use expectations::{Verdict, check as check_expectation};
pub use guardrails::{Guardrail, Violation, check as check_guardrails};

use crate::access::Caller;

/// A principal the files or the cluster name, as the model's caller (a role as any session of
/// it). `None` for what is not a user's or role's ARN: nobody can have it.
pub(crate) fn caller_of(principal: &str) -> Option<Caller> {
    Caller::parse(principal).ok().map(Caller::as_caller)
}
