//! How long answers take: the send time of each recently asked address and the slowest answer
//! seen, for the sweeps that ask many addresses and set their waits from the answers (ARP's raw
//! sweep, [`crate::discovery::arp`]; host discovery's pings, [`crate::net::ping`]). Memory is
//! bounded by the sends of the last `keep`, not by the addresses asked: an answer later than that
//! is still an answer, it only measures nothing.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::time::Duration;

use tokio::time::Instant;

/// Sends between two prunings of the old ones.
const PRUNE_EVERY: u64 = 1024;

/// The send times of the recently asked addresses and the slowest answer.
#[derive(Debug)]
pub struct RoundTrips {
    asked_at: HashMap<Ipv4Addr, Instant>,
    keep: Duration,
    sent: u64,
    slowest: Option<Duration>,
}

impl RoundTrips {
    /// Send times kept for `keep` (answers later than that are not measured).
    pub fn new(keep: Duration) -> RoundTrips {
        RoundTrips {
            asked_at: HashMap::new(),
            keep,
            sent: 0,
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
        if let Some(at) = self.asked_at.get(&ip) {
            let took = at.elapsed();
            self.slowest = Some(self.slowest.map_or(took, |s| s.max(took)));
        }
    }

    /// The slowest answer measured (`None`: none yet).
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
}
