//! Faults on demand and call counters: what makes the sandbox useful for testing retries, waits and
//! eventual consistency. Faults are set per run (flags, `Options`) or at runtime
//! (`POST /_sandbox/faults`); counters are read by tests and benchmarks (`GET /_sandbox/counters`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Faults {
    /// Added to every EKS and Kubernetes call, in milliseconds.
    pub latency_ms: u64,
    /// Fraction (0–1) of EKS calls answered 429 ThrottlingException.
    pub throttle_rate: f64,
    /// Fraction (0–1) of EKS calls answered 500 ServerException or 503 ServiceUnavailableException.
    pub error_rate: f64,
    /// Fraction (0–1) of EKS calls whose connection is dropped before a response.
    pub drop_rate: f64,
    /// How long a new access entry stays invisible to AssociateAccessPolicy
    /// ("The specified principalArn could not be found"), in milliseconds.
    pub consistency_delay_ms: u64,
    /// How long an authentication-mode update stays InProgress, in milliseconds.
    pub update_duration_ms: u64,
    /// Whether authentication-mode updates end Failed instead of Successful.
    pub fail_updates: bool,
    /// Fraction (0–1) of Kubernetes calls answered 500 (etcd trouble, webhook timeouts).
    pub kube_error_rate: f64,
}

/// What the fault dice decided for one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Injected {
    None,
    Throttle,
    ServerError,
    Unavailable,
    Drop,
}

impl Faults {
    pub fn roll(&self, rng: &mut fastrand::Rng) -> Injected {
        if self.drop_rate > 0.0 && rng.f64() < self.drop_rate {
            return Injected::Drop;
        }
        if self.throttle_rate > 0.0 && rng.f64() < self.throttle_rate {
            return Injected::Throttle;
        }
        if self.error_rate > 0.0 && rng.f64() < self.error_rate {
            return if rng.bool() { Injected::ServerError } else { Injected::Unavailable };
        }
        Injected::None
    }
}

/// Calls by operation name, and faults injected by kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Counters {
    pub calls: BTreeMap<String, u64>,
    pub faults: BTreeMap<String, u64>,
}

impl Counters {
    pub fn call(&mut self, operation: &str) {
        *self.calls.entry(operation.to_string()).or_default() += 1;
    }

    pub fn fault(&mut self, kind: Injected) {
        *self.faults.entry(format!("{kind:?}")).or_default() += 1;
    }

    pub fn calls_of(&self, operation: &str) -> u64 {
        self.calls.get(operation).copied().unwrap_or(0)
    }

    pub fn total(&self) -> u64 {
        self.calls.values().sum()
    }
}
