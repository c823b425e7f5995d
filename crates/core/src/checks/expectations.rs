//! Whether an access test holds on a state: the model's answer for the principal's request
//! compared with what the file expects. A state that cannot answer (an unreadable part, a policy
//! accessctl does not model) is "unknown": the test is not passed.

use serde::{Deserialize, Serialize};

use super::caller_of;
use crate::access::ClusterAccess;
use crate::explain;
use crate::model::Expectation;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum Verdict {
    /// What the model answers, and why: in by what, allowed by what rule, or refused why.
    Holds {
        because: String,
    },
    Fails {
        because: String,
    },
    Unknown {
        because: String,
    },
}

impl Verdict {
    pub fn holds(&self) -> bool {
        matches!(self, Verdict::Holds { .. })
    }

    pub fn because(&self) -> &str {
        match self {
            Verdict::Holds { because } | Verdict::Fails { because } | Verdict::Unknown { because } => because,
        }
    }
}

pub fn check(state: &ClusterAccess, expectation: &Expectation) -> Verdict {
    let Some(caller) = caller_of(&expectation.principal.to_string()) else {
        return Verdict::Unknown {
            because: format!(
                "{} is not known as an IAM principal here (an IAM Identity Center permission set is known once \
                 IAM of the cluster's account names its role)",
                expectation.principal
            ),
        };
    };
    let e = explain::explain(state, &caller, Some(&expectation.request()));
    let answer = e.request.as_ref().expect("a request was asked");
    // Not let in: the finding says why (no entry, a mode that ignores it) better than the API
    // server's "Unauthorized"; refused: the API server's own words name the request.
    let reason = || match answer.outcome {
        "unauthorized" => e.findings.first().map(|f| f.cause.clone()).or_else(|| answer.message.clone()),
        _ => answer.message.clone(),
    };
    match answer.outcome {
        "allowed" => {
            let by = answer.allowed_by.clone().unwrap_or_else(|| "?".into());
            let how = e.matched.as_deref().map(|m| format!(" (in through {m})")).unwrap_or_default();
            let because = format!("allowed by {by}{how}");
            if expectation.allowed { Verdict::Holds { because } } else { Verdict::Fails { because } }
        }
        "forbidden" | "unauthorized" => {
            let because = match reason() {
                Some(why) => format!("{}: {why}", answer.outcome),
                None => answer.outcome.to_string(),
            };
            if expectation.allowed { Verdict::Fails { because } } else { Verdict::Holds { because } }
        }
        _ => Verdict::Unknown { because: reason().unwrap_or_else(|| "part of the state is unknown".into()) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::desired::from_config;
    use crate::config::{SourceFile, load};

    fn cluster(text: &str) -> crate::model::Cluster {
        let loaded = load(&[SourceFile::new("t.kdl", text)]);
        let diagnostics: Vec<String> = loaded.diagnostics.iter().map(|d| d.message.clone()).collect();
        loaded.config.unwrap_or_else(|| panic!("{diagnostics:?}")).clusters.remove(0)
    }

    const FILE: &str = r#"
        principal "ci" "arn:aws:iam::111122223333:role/ci"
        principal "bob" "arn:aws:iam::111122223333:user/bob"
        expect "bob" cannot="get secrets" namespace="payments"
        cluster "c" {
            region "eu-west-1"
            authentication-mode "API_AND_CONFIG_MAP"
            access-entry "ci" {
                policy "AmazonEKSEditPolicy" { namespaces "payments"; }
            }
            access-entry "bob" {
                policy "AmazonEKSViewPolicy" scope="cluster"
            }
            access-entry "arn:aws:iam::111122223333:role/auto" {
                policy "AmazonEKSAutoNodePolicy" scope="cluster"
            }
            expect "ci" can="create deployments.apps" namespace="payments"
            expect "ci" can="create deployments.apps" namespace="default"
            expect "bob" can="delete pods" namespace="payments"
            expect "bob" cannot="list pods" namespace="payments"
            expect "arn:aws:iam::111122223333:role/auto" cannot="get nodes"
            expect "arn:aws:iam::111122223333:role/nobody" cannot="get pods"
        }
    "#;

    #[test]
    fn each_expectation_gets_the_models_answer() {
        let c = cluster(FILE);
        let state = from_config(&c);
        let verdicts: Vec<(String, &str)> = c
            .expectations
            .iter()
            .map(|e| {
                let v = check(&state, e);
                let word = match v {
                    Verdict::Holds { .. } => "holds",
                    Verdict::Fails { .. } => "fails",
                    Verdict::Unknown { .. } => "unknown",
                };
                (e.describe(), word)
            })
            .collect();
        assert_eq!(
            verdicts,
            [
                ("ci can create deployments.apps in namespace payments".to_string(), "holds"),
                ("ci can create deployments.apps in namespace default".to_string(), "fails"),
                ("bob can delete pods in namespace payments".to_string(), "fails"),
                ("bob cannot list pods in namespace payments".to_string(), "fails"),
                // The policy's rules are not published: neither yes nor no can be proven.
                ("arn:aws:iam::111122223333:role/auto cannot get nodes".to_string(), "unknown"),
                ("arn:aws:iam::111122223333:role/nobody cannot get pods".to_string(), "holds"),
                // The top-level expectation, on this cluster too.
                ("bob cannot get secrets in namespace payments".to_string(), "holds"),
            ]
        );
    }

    #[test]
    fn a_failure_says_what_the_model_answered() {
        let c = cluster(FILE);
        let state = from_config(&c);
        let v = check(&state, &c.expectations[3]);
        assert!(v.because().starts_with("allowed by access policy AmazonEKSViewPolicy (cluster)"), "{v:?}");
        let v = check(&state, &c.expectations[1]);
        assert!(v.because().starts_with("forbidden"), "{v:?}");
    }
}
