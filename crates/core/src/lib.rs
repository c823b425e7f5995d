//! accessctl's core: the typed access model and the two functions every part of accessctl asks
//! "who gets in, and what may they do" — [`access::authenticate`] and [`access::authorize`].
//!
//! No I/O here: no tokio, no AWS SDK, no Kubernetes client, no CLI. Desired state (the files) and
//! live state (EKS, aws-auth, RBAC) are converted into [`access::ClusterAccess`] where they enter
//! the program; `explain`, the plan's guards, `import`, `migrate` and the sandbox all call the
//! same functions on it.

pub mod access;
pub mod aws_auth;
pub mod checks;
pub mod config;
pub mod explain;
pub mod import;
pub mod live;
pub mod migrate;
pub mod migration;
pub mod model;
pub mod ownership;
pub mod plan;
pub mod report;
