//! Live state: the clients that talk to EKS, STS and each cluster's Kubernetes API, built the way
//! production uses them (and pointed at the sandbox or the test bed in tests).

pub mod access;
pub mod aws;
pub mod failure;
pub mod kubernetes;
pub mod read;
pub mod token;
