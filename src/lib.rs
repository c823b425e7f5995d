//! accessctl: Amazon EKS cluster access — authentication mode, access entries, access policies,
//! the aws-auth ConfigMap and the RBAC bindings of its groups — owned as code.
//!
//! The binary (`src/main.rs`) is a thin shell over this library: `config` reads the language,
//! `model` is the desired state it yields, `cli` holds one module per command.

pub use accessctl_core::access;
pub mod apply;
pub use accessctl_core::aws_auth;
pub mod cli;
pub use accessctl_core::config;
pub use accessctl_core::explain;
pub use accessctl_core::import;
pub mod live;
pub use accessctl_core::migrate;
pub use accessctl_core::model;
pub use accessctl_core::ownership;
pub use accessctl_core::plan;
pub mod render;
pub use accessctl_core::report;
#[cfg(feature = "sandbox")]
pub use accessctl_sandbox as sandbox;
