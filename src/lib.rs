//! accessctl: Amazon EKS cluster access — authentication mode, access entries, access policies,
//! the aws-auth ConfigMap and the RBAC bindings of its groups — owned as code.
//!
//! The binary (`src/main.rs`) is a thin shell over this library: `config` reads the language,
//! `model` is the desired state it yields, `cli` holds one module per command.

pub use accessctl_core::access;
pub mod apply;
pub use accessctl_core::aws_auth;
pub mod cli;
pub mod config;
pub mod explain;
pub mod import;
pub mod live;
pub mod migrate;
pub use accessctl_core::model;
pub use accessctl_core::ownership;
pub mod plan;
pub mod render;
pub mod sandbox;
