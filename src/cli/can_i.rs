//! `accessctl can-i VERB RESOURCE [-n NS] --as PRINCIPAL`: whether an IAM principal may make one
//! request, on each cluster, and why — through EKS access policies and RBAC alike, which
//! `kubectl auth can-i` cannot see (it asks RBAC only). The answer is the access model's (the
//! same as `explain`'s), from live state or, with `--offline`, from the files.

use std::process::ExitCode;

use miette::IntoDiagnostic;
use serde::Serialize;

use super::explain::{parse_request, with_caller_as_creator};
use super::plan::Output;
use super::target::{self, TargetArgs};
use crate::access::{ClusterAccess, Request, desired};
use crate::explain::{self, Caller, Explanation, Source};
use crate::live::access::from_live;
use crate::live::read::read_all;
use crate::model::Configuration;
use crate::plan::after::state_after_plan;

/// A cluster's answer is no.
pub const NO: u8 = 3;
/// A cluster's answer depends on state that could not be read.
pub const UNKNOWN: u8 = 5;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub question: Question,
    /// The IAM principal asking: a user or role ARN, an STS assumed-role ARN, a name the files
    /// give one (`principal "dev" "arn:…"`), or `me`
    #[arg(long = "as", value_name = "PRINCIPAL")]
    pub principal: String,
}

/// A request, the clusters it is asked of, and how the answer is printed: what `can-i` and
/// `who-can` both take.
#[derive(Debug, clap::Args)]
pub struct Question {
    /// The request's verb: get, list, watch, create, update, patch, delete, deletecollection, …
    pub verb: String,
    /// What it acts on, as kubectl names it (`pods`, `pods/log`, `deployments.apps`), or a
    /// non-resource URL (`/healthz`, `/metrics`)
    pub resource: String,
    /// The request's namespace (none: cluster-scoped or across all namespaces)
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
    /// The object's name, for rules that name objects
    #[arg(long)]
    pub name: Option<String>,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Only what the files would grant: no network
    #[arg(long)]
    pub offline: bool,
    #[arg(long, value_enum, default_value_t = Output::Human)]
    pub output: Output,
}

impl Question {
    pub(crate) fn request(&self) -> miette::Result<Request> {
        parse_request(&self.verb, &self.resource, self.namespace.as_deref(), self.name.as_deref())
    }
}

/// How a principal gets in, as the answers say it.
pub(crate) fn way_in(source: Option<&Source>) -> &'static str {
    match source {
        Some(Source::AccessEntry) => "its access entry",
        Some(Source::AwsAuthMapRoles) => "aws-auth mapRoles",
        Some(Source::AwsAuthMapUsers) => "aws-auth mapUsers",
        Some(Source::AwsAuthMapAccounts) => "aws-auth mapAccounts",
        Some(Source::ClusterCreator) => "the cluster's creator",
        None => "?",
    }
}

/// One cluster's answer, as printed and as JSON.
#[derive(Debug, Serialize)]
pub struct Answer {
    pub cluster: String,
    /// `yes`, `no` or `unknown`.
    pub answer: &'static str,
    /// What the Kubernetes API would do: `allowed`, `forbidden` (authenticated, not allowed),
    /// `unauthorized` (not let in at all) or `unknown`.
    pub outcome: &'static str,
    pub status: Option<u16>,
    /// How the principal gets in: `access-entry`, `aws-auth-map-roles`, …
    pub identity: Option<Source>,
    /// The entry's or mapping's ARN, or the account, that let it in.
    pub matched: Option<String>,
    pub username: Option<String>,
    pub groups: Vec<String>,
    /// The access policy or RBAC rule that allows the request.
    pub allowed_by: Option<String>,
    /// What the API server says when it refuses (or why the answer is unknown).
    pub message: Option<String>,
    /// Why it is forbidden, when the model can say more than the API server (policies scoped to
    /// other namespaces, a binding to a role that does not exist, no permission at all).
    pub why: Option<String>,
    /// The answer once `apply` has run with these files, when it differs (live only).
    pub after_apply: Option<&'static str>,
}

impl Answer {
    fn of(e: &Explanation, after: Option<&Explanation>) -> Answer {
        let r = e.request.as_ref().expect("can-i always asks a request");
        let answer = yes_no(r.outcome);
        let after = after.map(|a| yes_no(a.request.as_ref().expect("a request").outcome)).filter(|a| *a != answer);
        Answer {
            cluster: e.cluster.clone(),
            answer,
            outcome: r.outcome,
            status: r.status,
            identity: e.source.clone(),
            matched: e.matched.clone(),
            username: e.username.clone(),
            groups: e.groups.clone(),
            allowed_by: r.allowed_by.clone(),
            // Not let in: the finding says why (no entry, a mode that ignores it, a path aws-auth
            // never matches) better than the API server's "Unauthorized".
            message: match e.findings.first() {
                _ if answer == "yes" => None,
                Some(f) if r.outcome == "unauthorized" => Some(f.cause.clone()),
                _ => r.message.clone(),
            },
            why: e.findings.first().filter(|_| r.outcome == "forbidden").map(|f| f.cause.clone()),
            after_apply: after,
        }
    }

    fn unreadable(cluster: &str, why: &str) -> Answer {
        Answer {
            cluster: cluster.to_string(),
            answer: "unknown",
            outcome: "unknown",
            status: None,
            identity: None,
            matched: None,
            username: None,
            groups: vec![],
            allowed_by: None,
            message: Some(format!("the cluster cannot be read: {why}")),
            why: None,
            after_apply: None,
        }
    }

    fn human(&self) -> String {
        let how = way_in(self.identity.as_ref());
        let mut out = format!("{}: {}", self.cluster, self.answer);
        match (self.answer, &self.allowed_by, &self.message) {
            ("yes", Some(by), _) => out.push_str(&format!(" — in by {how}, allowed by {by}")),
            (_, _, Some(message)) if self.outcome == "forbidden" => {
                out.push_str(&format!(
                    " — in by {how} as {}, but forbidden: {message}",
                    self.username.as_deref().unwrap_or("?")
                ));
                if let Some(why) = &self.why {
                    out.push_str(&format!(" — {why}"));
                }
            }
            (_, _, Some(why)) if self.outcome == "unauthorized" => out.push_str(&format!(" — not let in: {why}")),
            (_, _, Some(why)) => out.push_str(&format!(" — {why}")),
            _ => {}
        }
        if let Some(after) = self.after_apply {
            out.push_str(&format!(" (after apply: {after})"));
        }
        out
    }
}

fn yes_no(outcome: &str) -> &'static str {
    match outcome {
        "allowed" => "yes",
        "forbidden" | "unauthorized" => "no",
        _ => "unknown",
    }
}

pub fn exec(args: Args) -> miette::Result<ExitCode> {
    let request = args.question.request()?;
    let Some((config, states)) = cluster_states(args.question.target, args.question.offline)? else {
        return Ok(ExitCode::from(super::exit::ERROR));
    };
    // A name the files give a principal stands for its ARN, as in `expect`.
    let principal = match config.principal_names.iter().find(|(_, name)| **name == args.principal) {
        Some((arn, _)) => arn.clone(),
        None => args.principal.clone(),
    };
    if args.question.offline {
        offline_caller(&principal)?;
    }
    let mut answers = vec![];
    for state in &states {
        let now = match &state.read {
            Ok(now) => now,
            Err(why) => {
                answers.push(Answer::unreadable(&state.cluster, why));
                continue;
            }
        };
        let principal = match (&state.caller_arn, principal.as_str()) {
            (Some(me), "me") => me.clone(),
            _ => principal.clone(),
        };
        let caller = offline_caller(&principal)?;
        let now = if args.principal == "me" { with_caller_as_creator(now.clone(), &caller) } else { now.clone() };
        let after = state.after.as_ref().map(|after| ask(after, &caller, &request));
        answers.push(Answer::of(&ask(&now, &caller, &request), after.as_ref()));
    }
    match args.question.output {
        Output::Human => {
            for a in &answers {
                println!("{}", a.human());
            }
        }
        Output::Json => println!("{}", serde_json::to_string_pretty(&answers).into_diagnostic()?),
    }
    Ok(ExitCode::from(exit_code(&answers)))
}

/// A cluster's access as the model holds it: now, and after `apply` with these files — or why
/// it could not be read (then every answer for it is "unknown", never "no").
pub(crate) struct ClusterState {
    pub cluster: String,
    pub read: Result<ClusterAccess, String>,
    /// `None` offline, where the files are all there is.
    pub after: Option<ClusterAccess>,
    /// Who is reading (live only).
    pub caller_arn: Option<String>,
}

/// The configuration, and the state of every cluster it names: from the files alone
/// (`offline`), or read live with the plan's state after apply. `None` when the files do not
/// validate (already reported).
pub(crate) fn cluster_states(
    mut target_args: TargetArgs,
    offline: bool,
) -> miette::Result<Option<(Configuration, Vec<ClusterState>)>> {
    let Some(config) = target::load(&target_args)? else { return Ok(None) };
    if offline {
        let states = config
            .clusters
            .iter()
            .map(|c| ClusterState {
                cluster: c.name.clone(),
                read: Ok(desired::from_config(c)),
                after: None,
                caller_arn: None,
            })
            .collect();
        return Ok(Some((config, states)));
    }
    target::runtime()?.block_on(async {
        target_args.clusters = config.clusters.iter().map(|c| c.name.clone()).collect();
        let target = target::connect(&target_args, config.clone()).await?;
        let read = read_all(&target.config.clusters, &target.endpoints).await;
        let mut states = vec![];
        for (cluster, read) in target.config.clusters.iter().zip(read) {
            let state = match read {
                Ok((live, _)) => {
                    let now = from_live(&live);
                    let plan = crate::plan::diff::diff(cluster, &live);
                    let after = state_after_plan(&now, &plan);
                    ClusterState {
                        cluster: cluster.name.clone(),
                        read: Ok(now),
                        after: Some(after),
                        caller_arn: Some(live.caller_arn.clone()),
                    }
                }
                // One cluster that cannot be read does not keep the others from being answered.
                Err(e) => {
                    let why = match miette::Diagnostic::help(&e) {
                        Some(help) => format!("{e} ({help})"),
                        None => e.to_string(),
                    };
                    ClusterState { cluster: cluster.name.clone(), read: Err(why), after: None, caller_arn: None }
                }
            };
            states.push(state);
        }
        Ok(Some((config, states)))
    })
}

pub(crate) fn ask(state: &ClusterAccess, caller: &Caller, request: &Request) -> Explanation {
    explain::explain(state, caller, Some(request))
}

/// The principal asked about, as the model's caller; `me` is only known live.
pub(crate) fn offline_caller(principal: &str) -> miette::Result<Caller> {
    match Caller::parse(principal) {
        Ok(c) => Ok(c.as_caller()),
        Err(_) if principal == "me" => {
            Err(miette::miette!(help = "`me` needs live state: drop --offline", "who `me` is is not known offline"))
        }
        Err(e) => Err(miette::miette!(help = "give an IAM user or role ARN, or an STS assumed-role ARN", "{e}")),
    }
}

/// 0 when every cluster says yes; `UNKNOWN` when any cannot tell; else `NO` when any says no.
fn exit_code(answers: &[Answer]) -> u8 {
    if answers.iter().any(|a| a.answer == "unknown") {
        UNKNOWN
    } else if answers.iter().any(|a| a.answer == "no") {
        NO
    } else {
        super::exit::OK
    }
}
