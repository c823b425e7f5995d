//! `accessctl who-can VERB RESOURCE [-n NS]`: the IAM principals that may make a request on each
//! cluster, and through what. Every principal the cluster's access names — access entries,
//! aws-auth mappings, one stand-in per `mapAccounts` account — is asked the access model's own
//! question (`explain`): no second evaluator, so `who-can` and `can-i` cannot disagree.

use std::collections::BTreeSet;
use std::process::ExitCode;

use miette::IntoDiagnostic;
use serde::Serialize;

use super::can_i::{Question, ask, cluster_states, offline_caller, way_in};
use super::plan::Output;
use crate::access::{ClusterAccess, Known, Request};
use crate::explain::Source;
use crate::model::{AuthMode, Configuration, principal_key};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub question: Question,
}

/// One cluster's answer.
#[derive(Debug, Serialize)]
pub struct ClusterAnswer {
    pub cluster: String,
    pub principals: Vec<Allowed>,
    /// Who else may, whom no configuration names (the creator of a cluster that reads aws-auth).
    pub also: Option<String>,
    /// Node identities (node-type entries, `system:nodes` mappings): Kubernetes' Node authorizer,
    /// which accessctl does not model, may let each through for its own node's objects.
    pub nodes: Vec<String>,
    /// Why the answer is incomplete: the cluster could not be read, or some principals may make
    /// the request through what accessctl does not model (which principals, and why).
    pub unknown: Option<String>,
    /// Live, when the plan changes who may: whom apply with these files lets make the request,
    /// and whom it stops.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_apply: Option<AfterApply>,
}

#[derive(Debug, Serialize)]
pub struct AfterApply {
    pub gains: Vec<String>,
    pub loses: Vec<String>,
}

impl ClusterAnswer {
    fn empty(cluster: &str) -> ClusterAnswer {
        ClusterAnswer {
            cluster: cluster.to_string(),
            principals: vec![],
            also: None,
            nodes: vec![],
            unknown: None,
            after_apply: None,
        }
    }
}

/// A principal that may, and through what.
#[derive(Debug, Serialize)]
pub struct Allowed {
    pub arn: String,
    /// Its name in the files.
    pub name: Option<String>,
    /// A stand-in for any principal of an account (`mapAccounts`).
    pub any_of_account: Option<String>,
    pub identity: Option<Source>,
    pub username: Option<String>,
    pub allowed_by: Option<String>,
}

pub fn exec(args: Args) -> miette::Result<ExitCode> {
    let request = args.question.request()?;
    let Some((config, states)) = cluster_states(args.question.target, args.question.offline)? else {
        return Ok(ExitCode::from(super::exit::ERROR));
    };
    let mut answers = vec![];
    for state in &states {
        let now = match &state.read {
            Ok(now) => now,
            Err(why) => {
                let mut answer = ClusterAnswer::empty(&state.cluster);
                answer.unknown = Some(format!("the cluster cannot be read: {why}"));
                answers.push(answer);
                continue;
            }
        };
        let mut answer = answer_of(&state.cluster, now, &config, &request);
        // Live, the same question of the state after apply: who gains it, who loses it.
        if let Some(after) = &state.after {
            let later = answer_of(&state.cluster, after, &config, &request);
            let keys = |a: &ClusterAnswer| -> BTreeSet<String> {
                a.principals.iter().map(|p| principal_key(&p.arn)).collect()
            };
            let (before, after) = (keys(&answer), keys(&later));
            let named = |p: &Allowed| match &p.name {
                Some(name) => format!("{} ({name})", p.arn),
                None => p.arn.clone(),
            };
            let gains: Vec<String> =
                later.principals.iter().filter(|p| !before.contains(&principal_key(&p.arn))).map(named).collect();
            let loses: Vec<String> =
                answer.principals.iter().filter(|p| !after.contains(&principal_key(&p.arn))).map(named).collect();
            if !gains.is_empty() || !loses.is_empty() {
                answer.after_apply = Some(AfterApply { gains, loses });
            }
        }
        answers.push(answer);
    }
    match args.question.output {
        Output::Human => print!("{}", human(&answers)),
        Output::Json => println!("{}", serde_json::to_string_pretty(&answers).into_diagnostic()?),
    }
    let unknown = answers.iter().any(|a| a.unknown.is_some());
    Ok(ExitCode::from(if unknown { super::can_i::UNKNOWN } else { super::exit::OK }))
}

/// Who may make `request` on `state`: every principal the cluster names, asked the model's
/// question.
fn answer_of(cluster: &str, state: &ClusterAccess, config: &Configuration, request: &Request) -> ClusterAnswer {
    let mut answer = ClusterAnswer::empty(cluster);
    // Principals named where nothing could be read are not listed: the answer says so.
    let unread: Vec<String> =
        state.unread_namers().into_iter().map(|(what, why)| format!("{what} cannot be read ({why})")).collect();
    if !unread.is_empty() {
        answer.unknown = Some(format!("{}: whom they name is not listed", unread.join("; ")));
    }
    for crate::access::NamedPrincipal { arn, any_of_account: account } in state.named_principals() {
        // A mapping no principal can have (not an ARN at all) lets nobody in.
        let Ok(caller) = offline_caller(&arn) else { continue };
        let e = ask(state, &caller, request);
        let r = e.request.as_ref().expect("who-can asks a request");
        match r.outcome {
            "allowed" => answer.principals.push(Allowed {
                name: config.principal_name(&arn).map(str::to_string),
                arn,
                any_of_account: account,
                identity: e.source.clone(),
                username: e.username.clone(),
                allowed_by: r.allowed_by.clone(),
            }),
            "unknown" if e.node => answer.nodes.push(arn),
            // Perhaps: the answer is incomplete, and says for whom and why.
            "unknown" => {
                let why = r.message.clone().unwrap_or_else(|| "part of the state is unknown".into());
                let line = format!("{arn}: {why}");
                answer.unknown = Some(match answer.unknown.take() {
                    Some(before) => format!("{before}; {line}"),
                    None => line,
                });
            }
            _ => {}
        }
    }
    if state.mode != AuthMode::Api && !matches!(state.creator, Known::Known(None)) {
        answer.also = Some(match &state.creator {
            Known::Known(Some(creator)) => format!("{creator}, the cluster's creator (system:masters)"),
            _ => "the cluster's creator, whom EKS does not name (system:masters no configuration shows)".into(),
        });
    }
    answer
}

fn human(answers: &[ClusterAnswer]) -> String {
    let mut out = String::new();
    for a in answers {
        out.push_str(&format!("{}:\n", a.cluster));
        if a.principals.is_empty() && a.also.is_none() && a.nodes.is_empty() && a.unknown.is_none() {
            out.push_str("  nobody\n");
        }
        for p in &a.principals {
            let who = match (&p.any_of_account, &p.name) {
                (Some(account), _) => format!("any IAM principal of account {account}"),
                (None, Some(name)) => format!("{} ({name})", p.arn),
                (None, None) => p.arn.clone(),
            };
            let how = way_in(p.identity.as_ref());
            out.push_str(&format!("  {who} — in by {how}, allowed by {}\n", p.allowed_by.as_deref().unwrap_or("?")));
        }
        if let Some(also) = &a.also {
            out.push_str(&format!("  and {also}\n"));
        }
        if !a.nodes.is_empty() {
            out.push_str(&format!(
                "  and, for their own node's objects, the node identities {} (Kubernetes' Node authorizer, not modelled)\n",
                a.nodes.join(", ")
            ));
        }
        if let Some(why) = &a.unknown {
            out.push_str(&format!("  ? incomplete: {why}\n"));
        }
        if let Some(after) = &a.after_apply {
            if !after.gains.is_empty() {
                out.push_str(&format!("  after apply, also: {}\n", after.gains.join(", ")));
            }
            if !after.loses.is_empty() {
                out.push_str(&format!("  after apply, no longer: {}\n", after.loses.join(", ")));
            }
        }
    }
    out
}
