//! The files' access tests and guardrails, asked of live state now and of the state after the
//! plan: what fails after apply is a problem (nothing is written); what holds only after apply
//! is shown as such.

use super::after::state_after_plan;
use super::{ClusterPlan, ExpectationResult, Problem};
use crate::checks::{check_expectation, check_guardrails};
use crate::live::{LiveCluster, from_live};
use crate::model::{AuthMode, Cluster};

pub fn check(desired: &Cluster, live: &LiveCluster, plan: &mut ClusterPlan) {
    if desired.expectations.is_empty() && desired.guardrails.is_empty() {
        return;
    }
    let now = from_live(live);
    let after = state_after_plan(&now, plan);
    for e in &desired.expectations {
        let result = ExpectationResult {
            expectation: e.describe(),
            now: check_expectation(&now, e),
            after_apply: check_expectation(&after, e),
            origin: e.origin.clone(),
        };
        if !result.after_apply.holds() {
            plan.problems.push(Problem::ExpectationFails {
                expectation: result.expectation.clone(),
                because: result.after_apply.because().to_string(),
                unknown: matches!(result.after_apply, crate::checks::Verdict::Unknown { .. }),
                holds_now: result.now.holds(),
                origin: result.origin.clone(),
            });
        }
        plan.expectations.push(result);
    }
    // The creator EKS does not name: hidden in CONFIG_MAP, an entry EKS makes on leaving it.
    if desired.guardrails.cluster_admins.is_some() && matches!(after.creator, crate::access::Known::Unknown(_)) {
        let entry_made = now.mode == AuthMode::ConfigMap && after.mode != AuthMode::ConfigMap;
        if entry_made || after.mode == AuthMode::ConfigMap {
            plan.notes.push(super::Note::CreatorNotChecked { entry_made });
        }
    }
    let account = live.account.as_deref().or(desired.account.as_deref());
    for v in check_guardrails(&after, account, &desired.guardrails) {
        let origin = v.principal.as_deref().and_then(|p| desired.origin_of(p)).unwrap_or(&v.rule_origin).clone();
        plan.problems.push(Problem::GuardrailBroken {
            rule: v.rule,
            message: v.message,
            unknown: v.unknown,
            origin,
            rule_origin: v.rule_origin,
        });
    }
}
