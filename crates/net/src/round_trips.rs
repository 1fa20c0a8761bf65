//! How long answers take: the send time of each recently asked address and the distribution of
//! the round trips measured, for the sweeps that ask many addresses and set their waits from the
//! answers (ARP's raw sweep, `camscan::discovery::arp`; host discovery's pings,
//! [`crate::ping`]). The wait is TCP's retransmission timeout (RFC 6298 section 2: a smoothed
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

    /// `r` taken into `slot`'s estimate, which it starts when there is none yet.
    pub fn include(slot: &mut Option<Estimate>, r: Duration) {
        match slot {
            Some(e) => e.add(r),
            None => *slot = Some(Estimate::first(r)),
        }
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

    /// `ip` answered now: the round trip it measured (`None`: not asked, or asked too long ago).
    pub fn answered(&mut self, ip: Ipv4Addr) -> Option<Duration> {
        // Only the first answer to a send measures it: a second reply (a duplicate, a host
        // answering twice) would measure the time since that first one.
        let took = self.asked_at.remove(&ip)?.elapsed();
        self.slowest = Some(self.slowest.map_or(took, |s| s.max(took)));
        Estimate::include(&mut self.estimate, took);
        Some(took)
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

/// Answers to a sweep's second look (hosts that answered, asked once more) needed before they
/// alone set the wait for silent addresses ([`path_wait`]).
pub const MIN_LATER: u64 = 8;

/// How long to wait for an address that has not answered yet, from the round trips of a sweep:
/// `first`, each host's first answer, and `later`, the answers of hosts asked again once they had
/// answered. A first answer behind a router includes the router's resolution of the host (ARP):
/// under a sweep that asks a thousand new hosts at once the router resolves them one after
/// another and the later ones wait hundreds of milliseconds behind the others (issue 74: 452 ms
/// where a quiet router answered in 0.3-1.6 ms). That wait is the router's, once per host, not the
/// path's: an address that holds nobody is never resolved (a firewall drops its packets first),
/// and a host already found is resolved by then. A host asked again travels the path alone, so
/// with [`MIN_LATER`] of those the wait is theirs ([`Estimate::wait`]); with fewer (a handful of
/// hosts, which a router resolves at once) the first answers'. nmap keeps the two apart likewise:
/// a timeout per host from its own probes, and the group's from every host's (nmap's timing.cc,
/// `adjust_timeouts2`; the nmap book, "Timing and Performance"). `None`: nothing answered.
pub fn path_wait(first: Option<Estimate>, later: Option<Estimate>) -> Option<Duration> {
    match later {
        Some(l) if l.samples() >= MIN_LATER => Some(l.wait()),
        _ => first.map(|f| f.wait()),
    }
}

/// How long to wait for a host that answered once in `own`: RFC 6298 section 2.2's timeout
/// after a first measurement R (SRTT = R, RTTVAR = R / 2, RTO = SRTT + 4 x RTTVAR = 3R), without
/// its one-second floor. A host behind a slow link keeps a deadline from its own answer, however
/// fast the others are.
pub fn host_wait(own: Duration) -> Duration {
    own.saturating_mul(3)
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

    /// The estimate of `samples` round trips in milliseconds.
    fn of(samples: impl IntoIterator<Item = f64>) -> Option<Estimate> {
        let mut e = None;
        for ms in samples {
            Estimate::include(&mut e, Duration::from_secs_f64(ms / 1000.0));
        }
        e
    }

    /// Issue 74's cold router: a thousand first answers queued behind the router's resolutions
    /// (1 ms of path, 0-260 ms of waiting, evenly spread as a queue drained at a constant rate
    /// spreads them), then the hosts asked again answering in about a millisecond. The old rule
    /// (every first answer's mean and four deviations) waits 400 ms or more for each silent
    /// address; the path's own round trips say a few milliseconds.
    #[test]
    fn a_burst_of_slow_first_answers_does_not_set_the_silent_wait() {
        let first = of((0..1000).map(|i| 1.0 + 260.0 * i as f64 / 999.0));
        let later = of((0..64).map(|i| 0.8 + (i % 5) as f64 * 0.1));
        let old = first.map(|f| f.wait()).unwrap();
        assert!(old > Duration::from_millis(400), "the old rule: {old:?}");
        let new = path_wait(first, later).unwrap();
        assert!(new < Duration::from_millis(5), "{new:?}");
    }

    /// A slow path (every answer, first and later, about 300 ms: a satellite link) keeps a wait
    /// beyond its round trip: the later answers describe it as they describe a fast one.
    #[test]
    fn a_slow_path_keeps_a_wait_beyond_its_round_trip() {
        let first = of((0..200).map(|i| 300.0 + (i % 20) as f64));
        let later = of((0..64).map(|i| 300.0 + (i % 20) as f64));
        let w = path_wait(first, later).unwrap();
        assert!(w > Duration::from_millis(319), "{w:?}");
    }

    /// Too few hosts asked again (or none answered the second look): the first answers set it, as
    /// before; nothing answered at all: nothing to say.
    #[test]
    fn few_later_answers_leave_the_first_answers_wait() {
        let first = of([10.0, 30.0, 50.0]);
        let later = of([1.0, 1.0]);
        assert_eq!(path_wait(first, later), first.map(|f| f.wait()));
        assert_eq!(path_wait(first, None), first.map(|f| f.wait()));
        assert_eq!(path_wait(None, None), None);
        let enough = of((0..MIN_LATER).map(|_| 2.0));
        let w = path_wait(first, enough).unwrap();
        assert!(
            w.abs_diff(Duration::from_millis(2)) < Duration::from_micros(1),
            "{w:?}"
        );
    }

    #[test]
    fn a_host_waits_three_times_its_own_answer() {
        let ms = Duration::from_millis;
        assert_eq!(host_wait(ms(100)), ms(300));
        assert_eq!(host_wait(Duration::MAX), Duration::MAX, "no overflow");
    }
}
