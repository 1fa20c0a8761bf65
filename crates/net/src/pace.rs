//! A token bucket, pure (the clock is an argument). The global connect rate (`--max-rate`): the port
//! probes take a token from it before each connect. It holds `rate / BURST_DIVISOR` tokens at most (20 ms of connects, at least one),
//! so a scan starts at once but never sends more than that burst above the rate: a NAT relay
//! (Docker Desktop's, a home router's connection table) or a small switch sees a steady stream,
//! not 1,024 SYNs in the same millisecond. The per-host request rate of analysis (`--host-rate`,
//! [`super::host_gate`]) holds a fifth of a second's requests ([`Pace::with_burst`]): beyond that
//! its requests are spaced evenly (and the gate caps any one second at the rate).

use std::time::Duration;

/// The bucket holds this fraction of a second of connects (1/50: 20 ms).
const BURST_DIVISOR: u32 = 50;

/// A token bucket of connects.
#[derive(Debug, Clone)]
pub struct Pace {
    /// Connects a second; 0: no limit.
    rate: u32,
    capacity: f64,
    tokens: f64,
    /// When the tokens were last counted (any monotonic origin).
    last: Duration,
}

impl Pace {
    /// A bucket of `rate` connects a second (0: unlimited), full at `now`.
    pub fn new(rate: u32, now: Duration) -> Pace {
        Pace::with_burst(rate, rate / BURST_DIVISOR, now)
    }

    /// A bucket of `rate` a second (0: unlimited) holding `burst` tokens (at least one), full at
    /// `now`.
    pub fn with_burst(rate: u32, burst: u32, now: Duration) -> Pace {
        let capacity = f64::from(burst.max(1));
        Pace {
            rate,
            capacity,
            tokens: capacity,
            last: now,
        }
    }

    /// Take one connect's token at `now`: `None` when it may go at once, else how long to wait
    /// before it may (the token is taken either way: the caller sleeps, then connects).
    pub fn take(&mut self, now: Duration) -> Option<Duration> {
        if self.rate == 0 {
            return None;
        }
        let rate = f64::from(self.rate);
        let elapsed = now.saturating_sub(self.last).as_secs_f64();
        self.last = self.last.max(now);
        self.tokens = (self.tokens + elapsed * rate).min(self.capacity);
        self.tokens -= 1.0;
        if self.tokens >= 0.0 {
            None
        } else {
            Some(Duration::from_secs_f64(-self.tokens / rate))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Drive `n` connects through the bucket as the prober does (sleep when told), from t = 0;
    /// return the time of each.
    fn schedule(rate: u32, n: usize) -> Vec<Duration> {
        let mut p = Pace::new(rate, Duration::ZERO);
        let mut now = Duration::ZERO;
        (0..n)
            .map(|_| {
                if let Some(w) = p.take(now) {
                    now += w;
                }
                now
            })
            .collect()
    }

    #[test]
    fn unlimited_never_waits() {
        assert!(schedule(0, 10_000).iter().all(|t| t.is_zero()));
    }

    #[test]
    fn a_burst_then_the_rate() {
        // 5,000 a second: a burst of 100 at once, then one every 200 µs.
        let t = schedule(5_000, 1_100);
        assert!(t[..100].iter().all(|t| t.is_zero()));
        assert!(t[100] > Duration::ZERO);
        // 1,100 connects take (1,100 - 100) / 5,000 s = 200 ms.
        let last = t.last().unwrap().as_secs_f64();
        assert!((last - 0.2).abs() < 1e-6, "{last}");
        // Never more than burst + rate x window in any window.
        for (i, start) in t.iter().enumerate() {
            let within = t[i..].iter().take_while(|x| **x < *start + ms(10)).count();
            assert!(
                within <= 100 + 50,
                "{within} connects in 10 ms from {start:?}"
            );
        }
    }

    #[test]
    fn a_slow_rate_still_lets_one_go() {
        // 10 a second: the bucket holds one (10 / 50 rounds to 0, at least 1).
        let t = schedule(10, 3);
        assert_eq!(t, [ms(0), ms(100), ms(200)]);
    }

    #[test]
    fn idle_time_refills_up_to_the_burst_only() {
        let mut p = Pace::new(1_000, Duration::ZERO);
        for _ in 0..20 {
            assert_eq!(p.take(Duration::ZERO), None);
        }
        assert!(p.take(Duration::ZERO).is_some());
        // A second later: 20 again (the capacity), not 1,000.
        let later = Duration::from_secs(1);
        for _ in 0..20 {
            assert_eq!(p.take(later), None);
        }
        assert!(p.take(later).is_some());
    }

    #[test]
    fn a_clock_going_back_is_harmless() {
        // 100 a second: a bucket of 2.
        let mut p = Pace::new(100, ms(500));
        assert_eq!(p.take(ms(500)), None);
        assert_eq!(p.take(ms(500)), None);
        // An earlier instant adds nothing and takes the wait of one token.
        let w = p.take(ms(100)).unwrap();
        assert!((w.as_secs_f64() - 0.01).abs() < 1e-9, "{w:?}");
    }
}
