//! The files' access tests and guardrails asked of the state the files alone declare
//! (`validate`), and any check's failure pointed at the place in the files it is about.
//!
//! From the files alone, what is live and undeclared is not seen: `plan` asks the same of live
//! state now and after apply, and it is `plan` that stops `apply`.

use miette::SourceSpan;

use super::diagnostic::{Code, ConfigDiagnostic, Diagnostics};
use super::source::SourceFile;
use crate::access::desired::from_config;
use crate::checks::{Verdict, Violation, check_expectation, check_guardrails};
use crate::model::{Configuration, Origin};
use crate::plan::Problem;

/// Every expectation that does not hold, and every guardrail the files break, in the files.
pub fn check_offline(config: &Configuration, files: &[SourceFile]) -> Diagnostics {
    let mut out = Diagnostics::default();
    for cluster in &config.clusters {
        let state = from_config(cluster);
        for e in &cluster.expectations {
            let (code, what) = match check_expectation(&state, e) {
                Verdict::Holds { .. } => continue,
                Verdict::Fails { because } => (Code::ExpectationFails, format!("fails: {because}")),
                Verdict::Unknown { because } => (Code::ExpectationUnknown, format!("cannot be proven: {because}")),
            };
            let message = format!("on cluster `{}`, expect {} {what}", cluster.name, e.describe());
            let help = "change the access the files declare so that it holds, or correct the expectation";
            out.extend(at(files, &e.origin, code, message, "this expectation", help, None));
        }
        for v in check_guardrails(&state, cluster.account.as_deref(), &cluster.guardrails) {
            let declared = v.principal.as_deref().and_then(|p| cluster.origin_of(p));
            out.extend(violation(files, &cluster.name, &v, declared));
        }
    }
    out
}

fn violation(
    files: &[SourceFile],
    cluster: &str,
    v: &Violation,
    declared: Option<&Origin>,
) -> Option<ConfigDiagnostic> {
    let message = format!("on cluster `{cluster}`, guardrail `{}`: {}", v.rule.as_str(), v.message);
    let code = if v.unknown { Code::GuardrailUnchecked } else { Code::GuardrailBroken };
    match declared {
        Some(origin) => at(files, origin, code, message, "breaks it", v.rule.help(), Some(&v.rule_origin)),
        None => at(files, &v.rule_origin, code, message, "this guardrail", v.rule.help(), None),
    }
}

/// A plan problem that is about a place in the files, as a diagnostic there: an error, whether
/// it fails or cannot be proven (under the code that says which, as `validate` uses them).
pub fn problem_diagnostic(files: &[SourceFile], cluster: &str, problem: &Problem) -> Option<ConfigDiagnostic> {
    let message = format!("on cluster `{cluster}`, {problem}");
    let d = match problem {
        Problem::ExpectationFails { origin, unknown, .. } => {
            let code = if *unknown { Code::ExpectationUnknown } else { Code::ExpectationFails };
            at(files, origin, code, message, "this expectation", problem.help(), None)
        }
        Problem::GuardrailBroken { origin, rule_origin, rule, unknown, .. } => {
            let code = if *unknown { Code::GuardrailUnchecked } else { Code::GuardrailBroken };
            if origin != rule_origin {
                at(files, origin, code, message, "breaks it", rule.help(), Some(rule_origin))
            } else {
                at(files, origin, code, message, "this guardrail", problem.help(), None)
            }
        }
        _ => None,
    };
    // Whatever cannot be proven after apply stops apply.
    d.map(|d| ConfigDiagnostic { severity: miette::Severity::Error, ..d })
}

/// Everything a plan says a reviewer must act on, as diagnostics in the files: its problems (at
/// the expectation or declaration they are about, else at the cluster's block) and its guards
/// (warnings at the cluster's block: apply needs `--allow`).
pub fn plan_diagnostics(
    plan: &crate::plan::Plan,
    config: &Configuration,
    files: &[SourceFile],
) -> Vec<ConfigDiagnostic> {
    let mut out = vec![];
    for c in &plan.clusters {
        let Some(cluster) = config.cluster(&c.cluster) else { continue };
        for p in &c.problems {
            let d = problem_diagnostic(files, &c.cluster, p).or_else(|| {
                let message = format!("on cluster `{}`, {p}", c.cluster);
                at(files, &cluster.origin, Code::PlanProblem, message, "this cluster", p.help(), None)
            });
            out.extend(d);
        }
        for g in &c.guards {
            let message = format!(
                "on cluster `{}`, guard `{}`: {}",
                c.cluster,
                g.kind.as_str(),
                crate::plan::render::guard_message(g)
            );
            let help = format!("review it; apply needs `--allow {}`", g.kind.as_str());
            let d = at(files, &cluster.origin, Code::PlanGuard, message, "this cluster", &help, None);
            out.extend(d.map(|d| ConfigDiagnostic { severity: miette::Severity::Warning, ..d }));
        }
    }
    out
}

/// Which rule a guardrail diagnostic is about, for its second label.
fn rule_note(files: &[SourceFile], origin: &Origin) -> Option<ConfigDiagnostic> {
    let (file, span) = locate(files, origin)?;
    Some(ConfigDiagnostic::note(Code::GuardrailBroken, file, "the guardrail").label(span, "the guardrail"))
}

/// A diagnostic at `origin`, with a second label at the guardrail it breaks. What the state
/// cannot tell (`ExpectationUnknown`, `GuardrailUnchecked`) is a warning from the files alone:
/// `plan` asks the cluster.
fn at(
    files: &[SourceFile],
    origin: &Origin,
    code: Code,
    message: String,
    label: &str,
    help: &str,
    rule: Option<&Origin>,
) -> Option<ConfigDiagnostic> {
    let (file, span) = locate(files, origin)?;
    let error = !matches!(code, Code::ExpectationUnknown | Code::GuardrailUnchecked);
    let d = if error {
        ConfigDiagnostic::error(code, file, message)
    } else {
        ConfigDiagnostic::warning(code, file, message)
    };
    let mut d = d.label(span, label).help(help);
    if let Some(rule) = rule {
        match locate(files, rule) {
            Some((rule_file, rule_span)) if rule_file.name == file.name => d = d.label(rule_span, "the guardrail"),
            _ => d = d.related(rule_note(files, rule)?),
        }
    }
    Some(d)
}

fn locate<'f>(files: &'f [SourceFile], origin: &Origin) -> Option<(&'f SourceFile, SourceSpan)> {
    let file = files.iter().find(|f| f.name == origin.file)?;
    (origin.offset + origin.len <= file.text.len()).then(|| (file, SourceSpan::from((origin.offset, origin.len))))
}
