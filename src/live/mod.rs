//! Live state: the clients that talk to EKS, STS and each cluster's Kubernetes API, built the way
//! production uses them (and pointed at the sandbox or the test bed in tests).

/// The live state types and the access model's view of them live in the core.
pub use accessctl_core::live as access;
pub mod aws;
pub mod failure;
pub mod kubernetes;
pub mod limiter;
pub mod read;
/// The EKS bearer token: its own crate, shared with the sandbox that verifies it.
pub use accessctl_token as token;
