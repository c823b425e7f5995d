//! How many EKS calls are in flight at once for one account and region. EKS limits requests per
//! account and region, so every cluster a run reads or applies there shares one budget: 50
//! clusters of one account do not send 50 times the calls of one.
//!
//! The budget adapts as TCP's window does (additive increase, multiplicative decrease), judged
//! over windows of `WINDOW` rather than per call (an EKS call takes milliseconds; growing per
//! success would outrun any decrease): a window in which more than `THROTTLED_SHARE` of the
//! answered attempts were throttled takes a quarter off the budget, never below one; any other
//! adds one call, never above the ceiling (`--parallelism`). A decrease is a trial: if the
//! next window serves markedly fewer calls per second, the throttling did not follow the load
//! (EKS refusing at random, or another client's burst) and fewer calls in flight only made the
//! run slower — the decrease is undone, not tried again for `CALM`, and the budget grows back
//! despite the throttling until a decrease is kept. Against a request limit,
//! fewer calls in flight serve as many calls (the limit's rate), so the decrease is kept and the
//! calls in flight settle near what the limit lets through. The SDK retries a throttled attempt
//! itself, with backoff, from a retry budget of its own that throttling does not drain
//! (`live::aws`), so throttling slows a run instead of failing it.

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
const THROTTLED_SHARE: f64 = 0.2;

/// A decrease is kept if the next window serves at least this share of the calls per second the
/// window before it did.
const KEPT_THROUGHPUT: f64 = 0.85;

/// How long no decrease is tried after one proved useless.
const CALM: Duration = Duration::from_secs(1);

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
    /// A decrease on trial: the budget before it, and the calls served per second then.
    trial: Option<(f64, f64)>,
    /// No decrease is tried before this instant.
    calm_until: Option<Instant>,
    /// The last decrease tried was undone: the throttling seen does not follow the load, and
    /// the budget grows back despite it.
    throttling_is_noise: bool,
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
                trial: None,
                calm_until: None,
                throttling_is_noise: false,
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
        self.judge(&mut s, Instant::now());
    }

    /// An attempt that was answered.
    pub fn succeeded(&self) {
        let mut s = self.lock();
        s.window.1 += 1;
        self.judge(&mut s, Instant::now());
        drop(s);
        self.freed.notify_one();
    }

    /// At the end of a window: judge the decrease on trial; else start one if the window was
    /// throttled, or grow by one call if it was not.
    fn judge(&self, s: &mut State, now: Instant) {
        let (since, answered, throttled) = s.window;
        let elapsed = now.duration_since(since);
        if elapsed < WINDOW {
            return;
        }
        // A decrease is judged over a window spent wholly below it: calls started before it
        // (asleep between retries, some of them) must finish first.
        if s.trial.is_some() && s.in_flight as f64 > s.limit.floor().max(1.0) {
            s.window = (now, 0, 0);
            return;
        }
        let served = f64::from(answered - throttled) / elapsed.as_secs_f64();
        let share = if answered == 0 { 0.0 } else { f64::from(throttled) / f64::from(answered) };
        match s.trial.take() {
            Some((before, served_before)) if served < served_before * KEPT_THROUGHPUT => {
                s.limit = s.limit.max(before);
                s.calm_until = Some(now + CALM);
                s.throttling_is_noise = true;
            }
            Some(_) => s.throttling_is_noise = false,
            None if share > THROTTLED_SHARE && s.calm_until.is_none_or(|t| now >= t) => {
                s.trial = Some((s.limit, served));
                s.limit = (s.limit * DECREASE).max(1.0);
            }
            None if share <= THROTTLED_SHARE || s.throttling_is_noise => {
                s.limit = (s.limit + 1.0).min(self.ceiling as f64)
            }
            None => {}
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

    /// One window of `served` answered and `throttled` throttled attempts, judged at its end.
    fn window(l: &Limiter, served: u32, throttled: u32) {
        for _ in 0..served {
            l.succeeded();
        }
        for _ in 0..throttled {
            l.throttled();
        }
        std::thread::sleep(WINDOW);
    }

    #[tokio::test]
    async fn against_a_request_limit_the_budget_shrinks_and_stays_shrunk() {
        let l = Limiter::new(8);
        // A throttle now and then: nothing changes.
        window(&l, 20, 2);
        l.succeeded();
        assert_eq!(l.stats().0, 8.0);
        // Mostly throttled: a quarter off, on trial.
        window(&l, 10, 30);
        l.throttled();
        assert_eq!(l.stats().0, 6.0);
        assert_eq!(l.stats().2, 33);
        // As many calls served with fewer in flight: a request limit. Each decrease stays (the
        // window's successes add a little), and each throttled window after a kept one takes
        // another quarter.
        for _ in 0..6 {
            window(&l, 10, 30);
        }
        l.throttled();
        assert!(l.stats().0 < 4.0, "{}", l.stats().0);
        for _ in 0..10 {
            window(&l, 20, 0);
        }
        l.succeeded();
        assert_eq!(l.stats().0, 8.0, "grows back, never above the ceiling");
        for _ in 0..24 {
            window(&l, 0, 5);
        }
        assert_eq!(l.stats().0, 1.0, "never below one");
    }

    #[tokio::test]
    async fn throttling_that_does_not_follow_the_load_does_not_shrink_the_budget() {
        let l = Limiter::new(8);
        window(&l, 60, 40);
        l.throttled();
        assert_eq!(l.stats().0, 6.0, "a throttled window: a decrease on trial");
        // A quarter fewer calls in flight served a quarter fewer calls, still 40 % throttled:
        // the decrease is undone…
        window(&l, 45, 30);
        l.throttled();
        assert_eq!(l.stats().0, 8.0);
        // …and not tried again for a while.
        window(&l, 60, 40);
        l.throttled();
        assert_eq!(l.stats().0, 8.0);
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
