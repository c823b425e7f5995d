//! How many EKS calls are in flight at once for one account and region. EKS limits requests per
//! account and region, so every cluster a run reads or applies there shares one budget: 50
//! clusters of one account do not send 50 times the calls of one.
//!
//! The budget adapts as TCP's window does (additive increase, multiplicative decrease): a window
//! of `WINDOW` in which most answered attempts were throttled — the account's limit is spent —
//! takes a quarter off it; each success adds `1/limit` (about one call per round of calls); never
//! above the ceiling (`--parallelism`) nor below one. A throttle now and then, which says little
//! about the load, changes nothing; sustained throttling brings the calls in flight down. The SDK
//! retries the throttled attempt itself, with backoff, from a retry budget of its own that
//! throttling does not drain (`live::aws`), so throttling slows a run instead of failing it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use tokio::sync::Notify;

/// The default ceiling: calls in flight per account and region.
pub const DEFAULT_PARALLELISM: usize = 32;

/// What a throttled window leaves of the budget.
const DECREASE: f64 = 0.75;

/// How long a window of attempts is judged over: the attempts throttled by one burst all answer
/// within it.
const WINDOW: Duration = Duration::from_millis(250);

/// A window is throttled when more than this share of its answered attempts were.
const THROTTLED_SHARE: f64 = 0.5;

#[derive(Debug)]
pub struct Limiter {
    state: Mutex<State>,
    freed: Notify,
    ceiling: usize,
}

#[derive(Debug)]
struct State {
    limit: f64,
    in_flight: usize,
    /// The current window: since when, and its attempts answered and throttled.
    window: (Instant, u32, u32),
    throttled: u64,
    peak_in_flight: usize,
}

/// A call's place in the budget, given back when dropped.
pub struct Permit {
    limiter: Arc<Limiter>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.limiter.lock().in_flight -= 1;
        self.limiter.freed.notify_one();
    }
}

impl Limiter {
    pub fn new(ceiling: usize) -> Arc<Limiter> {
        let ceiling = ceiling.max(1);
        Arc::new(Limiter {
            state: Mutex::new(State {
                limit: ceiling as f64,
                in_flight: 0,
                window: (Instant::now(), 0, 0),
                throttled: 0,
                peak_in_flight: 0,
            }),
            freed: Notify::new(),
            ceiling,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The most calls ever in flight at once (`--parallelism`).
    pub fn ceiling(&self) -> usize {
        self.ceiling
    }

    /// Waits for room in the budget.
    pub async fn acquire(self: &Arc<Self>) -> Permit {
        loop {
            let freed = self.freed.notified();
            {
                let mut s = self.lock();
                if (s.in_flight as f64) < s.limit.floor().max(1.0) {
                    s.in_flight += 1;
                    s.peak_in_flight = s.peak_in_flight.max(s.in_flight);
                    return Permit { limiter: Arc::clone(self) };
                }
            }
            freed.await;
        }
    }

    /// An attempt EKS throttled.
    pub fn throttled(&self) {
        let mut s = self.lock();
        s.throttled += 1;
        s.window.1 += 1;
        s.window.2 += 1;
        Self::judge(&mut s, Instant::now());
    }

    /// An attempt that was answered: grow the budget by about one call per round of calls.
    pub fn succeeded(&self) {
        let mut s = self.lock();
        s.limit = (s.limit + 1.0 / s.limit).min(self.ceiling as f64);
        s.window.1 += 1;
        Self::judge(&mut s, Instant::now());
        drop(s);
        self.freed.notify_one();
    }

    /// At the end of a window: a quarter off the budget if most of its attempts were throttled.
    fn judge(s: &mut State, now: Instant) {
        let (since, answered, throttled) = s.window;
        if now.duration_since(since) < WINDOW {
            return;
        }
        if answered > 0 && f64::from(throttled) / f64::from(answered) > THROTTLED_SHARE {
            s.limit = (s.limit * DECREASE).max(1.0);
        }
        s.window = (now, 0, 0);
    }

    /// The budget now, the most calls that were in flight at once, and throttled attempts seen.
    pub fn stats(&self) -> (f64, usize, u64) {
        let s = self.lock();
        (s.limit, s.peak_in_flight, s.throttled)
    }
}

/// Tells the limiter how each attempt of an EKS call went: throttled (429, or a throttling error
/// code), or answered.
#[derive(Debug)]
pub struct Observe(pub Arc<Limiter>);

impl Intercept for Observe {
    fn name(&self) -> &'static str {
        "accessctl-concurrency"
    }

    fn read_after_attempt(
        &self,
        ctx: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        match ctx.response().map(|r| r.status().as_u16()) {
            Some(429) => self.0.throttled(),
            Some(status) if status < 500 => self.0.succeeded(),
            // 5xx and dropped connections say nothing about the request rate.
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_budget_shrinks_when_most_attempts_are_throttled_and_grows_back() {
        let l = Limiter::new(8);
        // A window with a throttle now and then: nothing changes.
        for _ in 0..3 {
            l.succeeded();
            l.succeeded();
            l.throttled();
        }
        std::thread::sleep(WINDOW);
        l.succeeded();
        assert_eq!(l.stats().0, 8.0);
        // A window where most attempts are throttled: a quarter off, once.
        for _ in 0..6 {
            l.throttled();
        }
        std::thread::sleep(WINDOW);
        l.throttled();
        assert_eq!(l.stats().0, 6.0);
        assert_eq!(l.stats().2, 10);
        for _ in 0..200 {
            l.succeeded();
        }
        assert_eq!(l.stats().0, 8.0, "never above the ceiling");
        for _ in 0..12 {
            std::thread::sleep(WINDOW);
            l.throttled();
        }
        assert_eq!(l.stats().0, 1.0, "never below one");
    }

    #[tokio::test]
    async fn no_more_calls_than_the_budget_are_in_flight() {
        let l = Limiter::new(3);
        let a = l.acquire().await;
        let b = l.acquire().await;
        let c = l.acquire().await;
        let waiting = tokio::spawn({
            let l = Arc::clone(&l);
            async move { l.acquire().await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "a fourth call waits");
        drop(a);
        let d = tokio::time::timeout(Duration::from_secs(5), waiting).await.unwrap().unwrap();
        assert_eq!(l.stats().1, 3);
        drop((b, c, d));
    }
}
