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
    /// EKS's request limit, as a token bucket per account and region: calls per second it
    /// refills (0: no limit). Beyond it a call is answered 429 ThrottlingException, as EKS does.
    pub rate_per_second: f64,
    /// How many calls the bucket holds when full (0: one second's worth).
    pub burst: u32,
}

/// One account and region's bucket of EKS calls.
#[derive(Debug, Clone)]
pub struct Bucket {
    tokens: f64,
    refilled: std::time::Instant,
}

impl Bucket {
    /// Takes a call's token if there is one, refilling for the time since the last call.
    pub fn take(bucket: &mut Option<Bucket>, rate: f64, burst: u32, now: std::time::Instant) -> bool {
        let capacity = if burst == 0 { rate.ceil().max(1.0) } else { f64::from(burst) };
        let b = bucket.get_or_insert(Bucket { tokens: capacity, refilled: now });
        b.tokens = (b.tokens + now.duration_since(b.refilled).as_secs_f64() * rate).min(capacity);
        b.refilled = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// What the fault dice decided for one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Injected {
    None,
    Throttle,
    /// Over the account's request rate (the token bucket), not the dice.
    RateLimited,
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
    /// EKS calls being served now, and the most there ever were at once.
    #[serde(default)]
    pub eks_in_flight: u64,
    #[serde(default)]
    pub eks_peak_in_flight: u64,
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
