//! How long answers take: the send time of each recently asked address and the distribution of
//! the round trips measured, for the sweeps that ask many addresses and set their waits from the
//! answers (ARP's raw sweep, [`crate::discovery::arp`]; host discovery's pings,
//! [`crate::net::ping`]). The wait is TCP's retransmission timeout (RFC 6298 section 2: a smoothed
//! round trip and its mean deviation, the wait their sum with four deviations), which nmap's
//! timing engine uses for its probes too (the nmap book, "Timing and Performance"), so one slow
//! answer among a thousand (a router resolving one host) moves the wait a little, not to itself.
//! Memory is bounded by the sends of the last `keep`, not by the addresses asked: an answer later
//! than that is still an answer, it only measures nothing.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::time::Duration;

use tokio::time::Instant;

/// Sends between two prunings of the old ones.
const PRUNE_EVERY: u64 = 1024;

/// The round trips measured, as their mean and variance (Welford's running update: exact, in
/// constant memory, and the same whatever order the answers came in).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    mean: f64,
    /// The sum of squared deviations from the mean (Welford's M2).
    m2: f64,
    samples: u64,
}

impl Estimate {
    /// The estimate after its first measurement `r`.
    pub fn first(r: Duration) -> Estimate {
        Estimate {
            mean: r.as_secs_f64(),
            m2: 0.0,
            samples: 1,
        }
    }

    /// Take one more measurement `r`.
    pub fn add(&mut self, r: Duration) {
        let r = r.as_secs_f64();
        self.samples += 1;
        let delta = r - self.mean;
        self.mean += delta / self.samples as f64;
        self.m2 += delta * (r - self.mean);
    }

    /// How long to wait for an answer: the mean round trip and four deviations, RFC 6298's
    /// SRTT + 4 x RTTVAR taken over every answer instead of smoothed in arrival order (where an
    /// outlier that arrives last would set the wait beyond itself); without its one-second floor,
    /// which is for a retransmitting TCP: the callers set their own bounds.
    pub fn wait(&self) -> Duration {
        Duration::from_secs_f64(self.mean + 4.0 * self.deviation())
    }

    /// The standard deviation of the round trips.
    fn deviation(&self) -> f64 {
        (self.m2 / self.samples as f64).max(0.0).sqrt()
    }

    /// The mean round trip.
    pub fn mean(&self) -> Duration {
        Duration::from_secs_f64(self.mean)
    }

    /// Measurements taken.
    pub fn samples(&self) -> u64 {
        self.samples
    }
}

/// The send times of the recently asked addresses and the estimate of their round trips.
#[derive(Debug)]
pub struct RoundTrips {
    asked_at: HashMap<Ipv4Addr, Instant>,
    keep: Duration,
    sent: u64,
    estimate: Option<Estimate>,
    slowest: Option<Duration>,
}

impl RoundTrips {
    /// Send times kept for `keep` (answers later than that are not measured).
    pub fn new(keep: Duration) -> RoundTrips {
        RoundTrips {
            asked_at: HashMap::new(),
            keep,
            sent: 0,
            estimate: None,
            slowest: None,
        }
    }

    /// `ip` was asked now (again: the newest send counts).
    pub fn asked(&mut self, ip: Ipv4Addr) {
        let now = Instant::now();
        self.asked_at.insert(ip, now);
        self.sent += 1;
        if self.sent.is_multiple_of(PRUNE_EVERY) {
            let keep = self.keep;
            self.asked_at.retain(|_, at| now.duration_since(*at) < keep);
        }
    }

    /// `ip` answered now.
    pub fn answered(&mut self, ip: Ipv4Addr) {
        // Only the first answer to a send measures it: a second reply (a duplicate, a host
        // answering twice) would measure the time since that first one.
        if let Some(at) = self.asked_at.remove(&ip) {
            let took = at.elapsed();
            self.slowest = Some(self.slowest.map_or(took, |s| s.max(took)));
            match &mut self.estimate {
                Some(e) => e.add(took),
                None => self.estimate = Some(Estimate::first(took)),
            }
        }
    }

    /// The estimate of the round trips measured (`None`: none yet).
    pub fn estimate(&self) -> Option<Estimate> {
        self.estimate
    }

    /// How long to wait for an answer ([`Estimate::wait`]; `None`: nothing measured yet).
    pub fn wait(&self) -> Option<Duration> {
        self.estimate.map(|e| e.wait())
    }

    /// The slowest answer measured (for the logs: no wait is set from it).
    pub fn slowest(&self) -> Option<Duration> {
        self.slowest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_slowest_answer_and_a_bounded_memory() {
        let mut r = RoundTrips::new(Duration::from_secs(1));
        let a = Ipv4Addr::new(198, 19, 0, 4);
        r.answered(a);
        assert_eq!(r.slowest(), None, "never asked: nothing measured");
        r.asked(a);
        tokio::time::advance(Duration::from_millis(30)).await;
        r.answered(a);
        assert_eq!(r.slowest(), Some(Duration::from_millis(30)));
        // Old sends go at the next pruning.
        tokio::time::advance(Duration::from_secs(2)).await;
        for i in 0..PRUNE_EVERY as u32 {
            r.asked(Ipv4Addr::from(0xc613_1000 + i));
        }
        assert!(!r.asked_at.contains_key(&a));
        assert_eq!(r.asked_at.len(), PRUNE_EVERY as usize);
        r.answered(a);
        assert_eq!(
            r.slowest(),
            Some(Duration::from_millis(30)),
            "too late to measure"
        );
    }

    /// The issue-62 case: a thousand answers in about a millisecond and one of 327 ms (a router
    /// resolving one host) leave the wait near the many, where the slowest answer alone made it
    /// a third of a second; and wherever the outlier comes in the order.
    #[test]
    fn the_wait_follows_the_distribution_not_the_slowest() {
        let ms = Duration::from_millis;
        let mut e = Estimate::first(ms(100));
        assert_eq!(e.wait(), ms(100), "one answer: no spread");
        e.add(ms(300));
        // Mean 200 ms, deviation 100 ms.
        assert_eq!(e.mean(), ms(200));
        assert_eq!(e.wait(), ms(600));
        for at in [0, 500, 1000] {
            let mut e = Estimate::first(if at == 0 { ms(327) } else { ms(1) });
            for i in 1..=1000 {
                e.add(if i == at { ms(327) } else { ms(1) });
            }
            assert_eq!(e.samples(), 1001);
            assert!(e.wait() > ms(10) && e.wait() < ms(60), "{:?}", e.wait());
        }
        // Many slow answers (a cold router resolving every host) move it all the way.
        let mut e = Estimate::first(ms(1));
        for i in 0..1000 {
            e.add(if i % 2 == 0 { ms(300) } else { ms(1) });
        }
        assert!(e.wait() > ms(300), "{:?}", e.wait());
    }
}
