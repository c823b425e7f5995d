//! The dependency graph of a cluster's changes (petgraph): cluster → auth-mode steps → access
//! entries → policy associations; the step to API after every entry it must not strand; aws-auth
//! and RBAC independent of EKS. Apply starts each change once what it depends on has succeeded
//! (`schedule`), independent changes in parallel.

use std::collections::HashMap;

use petgraph::graph::{DiGraph, NodeIndex};

use super::{Change, ChangeId, ClusterPlan};

pub struct ChangeGraph<'p> {
    pub graph: DiGraph<&'p Change, ()>,
    /// Each change's node.
    pub index: HashMap<&'p ChangeId, NodeIndex>,
}

#[derive(Debug, thiserror::Error)]
#[error("the changes of cluster `{0}` depend on each other in a cycle")]
pub struct CycleError(pub String);

impl<'p> ChangeGraph<'p> {
    pub fn build(plan: &'p ClusterPlan) -> ChangeGraph<'p> {
        let mut graph = DiGraph::new();
        let mut index: HashMap<&'p ChangeId, NodeIndex> = HashMap::new();
        for c in &plan.changes {
            index.insert(&c.id, graph.add_node(c));
        }
        for c in &plan.changes {
            for dep in &c.depends_on {
                if let (Some(&from), Some(&to)) = (index.get(dep), index.get(&c.id)) {
                    graph.add_edge(from, to, ());
                }
            }
        }
        ChangeGraph { graph, index }
    }

    /// Graphviz DOT, for `accessctl graph`.
    pub fn dot(&self, cluster: &str) -> String {
        let mut out = format!("digraph \"{cluster}\" {{\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n");
        for n in self.graph.node_indices() {
            let c = self.graph[n];
            out.push_str(&format!(
                "  n{} [label=\"{} {}\"];\n",
                n.index(),
                c.action.symbol(),
                c.id.to_string().replace('"', "\\\"")
            ));
        }
        for e in self.graph.edge_indices() {
            if let Some((a, b)) = self.graph.edge_endpoints(e) {
                out.push_str(&format!("  n{} -> n{};\n", a.index(), b.index()));
            }
        }
        out.push_str("}\n");
        out
    }
}
