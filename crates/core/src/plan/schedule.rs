//! When each change of a cluster's plan may start: as soon as every change it depends on has
//! succeeded — not when a whole "level" of the graph has. A policy association starts the moment
//! its entry exists, while other entries are still being created; one slow call holds up only
//! what really waits for it.
//!
//! A change whose dependency failed (or was never started) never becomes ready: it is reported
//! as not started, and so is everything after it.

use std::collections::{BTreeSet, HashMap};

use petgraph::Direction;
use petgraph::algo::toposort;
use petgraph::graph::NodeIndex;

use super::graph::{ChangeGraph, CycleError};
use super::{Change, ChangeId};

pub struct Schedule<'p> {
    graph: ChangeGraph<'p>,
    /// Dependencies of each change not yet succeeded.
    waiting_for: HashMap<NodeIndex, usize>,
    /// Ready changes by their place in the plan: they start in the order the plan reads.
    ready: BTreeSet<NodeIndex>,
    started: Vec<bool>,
}

impl<'p> Schedule<'p> {
    /// The plan's schedule; an error when its changes depend on each other in a cycle.
    pub fn new(graph: ChangeGraph<'p>, cluster: &str) -> Result<Schedule<'p>, CycleError> {
        toposort(&graph.graph, None).map_err(|_| CycleError(cluster.to_string()))?;
        let mut waiting_for = HashMap::new();
        let mut ready = BTreeSet::new();
        for n in graph.graph.node_indices() {
            let deps = graph.graph.neighbors_directed(n, Direction::Incoming).count();
            if deps == 0 {
                ready.insert(n);
            }
            waiting_for.insert(n, deps);
        }
        let started = vec![false; graph.graph.node_count()];
        Ok(Schedule { graph, waiting_for, ready, started })
    }

    /// The next change that may start now, if any.
    pub fn next_ready(&mut self) -> Option<&'p Change> {
        let n = self.ready.pop_first()?;
        self.started[n.index()] = true;
        Some(self.graph.graph[n])
    }

    /// A started change succeeded: what waited only for it may start.
    pub fn succeeded(&mut self, id: &ChangeId) {
        let Some(&n) = self.graph.index.get(id) else { return };
        let dependents: Vec<NodeIndex> = self.graph.graph.neighbors_directed(n, Direction::Outgoing).collect();
        for d in dependents {
            let left = self.waiting_for.get_mut(&d).expect("every node has a count");
            *left -= 1;
            if *left == 0 {
                self.ready.insert(d);
            }
        }
    }

    /// The changes never started (their dependencies failed, or the run stopped), in the plan's
    /// order.
    pub fn never_started(&self) -> Vec<ChangeId> {
        self.graph
            .graph
            .node_indices()
            .filter(|n| !self.started[n.index()])
            .map(|n| self.graph.graph[n].id.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Action, ClusterPlan, Target};

    fn change(principal: &str, deps: &[&str]) -> Change {
        let id = |p: &str| ChangeId::AccessEntry { principal: p.to_string() };
        Change {
            id: id(principal),
            action: Action::Create,
            target: Target::AccessEntry { principal: principal.to_string(), before: None, after: None, replace: None },
            depends_on: deps.iter().map(|d| id(d)).collect(),
        }
    }

    fn plan(changes: Vec<Change>) -> ClusterPlan {
        ClusterPlan {
            cluster: "c".into(),
            region: "eu-west-1".into(),
            caller: String::new(),
            live_mode: crate::model::AuthMode::Api,
            fingerprint: String::new(),
            changes,
            kept: vec![],
            guards: vec![],
            notes: vec![],
            problems: vec![],
            expectations: vec![],
        }
    }

    fn name(c: &Change) -> String {
        match &c.id {
            ChangeId::AccessEntry { principal } => principal.clone(),
            other => other.to_string(),
        }
    }

    #[test]
    fn a_change_starts_when_its_own_dependencies_succeed_not_a_whole_level() {
        // a → b, c → d: d may start once c is done, while a (and so b) is still running.
        let p = plan(vec![change("a", &[]), change("b", &["a"]), change("c", &[]), change("d", &["c"])]);
        let mut s = Schedule::new(ChangeGraph::build(&p), "c").unwrap();
        assert_eq!(name(s.next_ready().unwrap()), "a");
        assert_eq!(name(s.next_ready().unwrap()), "c");
        assert!(s.next_ready().is_none());
        s.succeeded(&ChangeId::AccessEntry { principal: "c".into() });
        assert_eq!(name(s.next_ready().unwrap()), "d");
        assert!(s.next_ready().is_none(), "b still waits for a");
        s.succeeded(&ChangeId::AccessEntry { principal: "a".into() });
        assert_eq!(name(s.next_ready().unwrap()), "b");
        assert!(s.never_started().is_empty());
    }

    #[test]
    fn a_change_waits_for_all_its_dependencies_and_a_failure_leaves_what_follows_unstarted() {
        let p = plan(vec![change("a", &[]), change("b", &[]), change("c", &["a", "b"]), change("d", &["c"])]);
        let mut s = Schedule::new(ChangeGraph::build(&p), "c").unwrap();
        s.next_ready();
        s.next_ready();
        s.succeeded(&ChangeId::AccessEntry { principal: "a".into() });
        assert!(s.next_ready().is_none(), "c waits for b too");
        // b failed: nothing is said of it, c and d never start.
        let left: Vec<String> = s.never_started().iter().map(|id| id.to_string()).collect();
        assert_eq!(left.len(), 2, "{left:?}");
        assert!(left[0].contains("c") && left[1].contains("d"), "{left:?}");
    }

    #[test]
    fn a_cycle_is_an_error() {
        let p = plan(vec![change("a", &["b"]), change("b", &["a"])]);
        assert!(Schedule::new(ChangeGraph::build(&p), "c").is_err());
    }
}
