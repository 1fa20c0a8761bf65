//! The media budget: how much media every PLAY check of a scan together may pull at once
//! (`--media-rate`). What a site feels of a scan's verification is the media pulled at the same
//! time, not how many checks run: sixty-four 8 Mbit/s main streams are half a gigabit. So a check
//! is admitted when the rates of the checks already pulling leave room for its own, and it gives
//! its share back the moment it has what it reports. A check's own rate is measured from its first
//! byte; before that it is assumed to pull what the checks that ended so far pulled on average
//! (the site's streams), [`ASSUMED_RATE`] before any ended. A check is always admitted when none is
//! running, so a budget below one stream's rate verifies one stream at a time instead of none.
//!
//! The default ([`default_rate`]) is a tenth of the slowest link the scan goes out on
//! (`/sys/class/net/IF/speed`, Documentation/ABI/testing/sysfs-class-net), or of a gigabit when
//! no link says its speed (loopback, most virtual ones).
//!
//! Pure bookkeeping under a mutex plus a [`tokio::sync::Notify`]: nothing here touches the network.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use input::setting::Repeat;

/// What a check is assumed to pull before its stream's own rate is known: 4 Mbit/s, a 1080p main
/// stream at the bit rates cameras ship with (an assumption, not a measurement: a check corrects
/// it as soon as its media arrives).
pub const ASSUMED_RATE: u64 = 4_000_000 / 8;
/// The share of the link a scan's PLAY checks may pull by default.
pub const DEFAULT_SHARE: f64 = 0.10;
/// The link speed assumed when no interface of the scan says its own (Mbit/s).
pub const ASSUMED_LINK_MBIT: u64 = 1000;
/// How often a running check brings its share up to date with what it has pulled.
const REASSESS: Duration = Duration::from_millis(250);
/// The least a check is assumed to pull (a learned average never goes below it): 64 kbit/s.
const MIN_ASSUMED: u64 = 64_000 / 8;
/// Checks shorter than this (first to last byte) teach nothing of the site's rates.
const MIN_MEASURED: Duration = Duration::from_millis(50);

/// `--media-rate`: Mbit/s every PLAY check and MJPEG read of a scan may pull together (0: no
/// limit; `None`: [`default_rate`] of the plan's links).
pub static MEDIA_RATE: input::setting::Setting<Option<u32>> = input::setting::Setting {
    key: "media_rate",
    flag: "--media-rate",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_MEDIA_RATE",
    value_name: "MBIT",
    help: "Media every PLAY check and MJPEG read together may pull, Mbit/s: a check starts \
               when the streams being checked leave room for its own; 0: no limit [default: a \
               tenth of the slowest link the scan uses, of a gigabit when no link says its speed]",
    default: None,
    choices: None,
    parse: |t| input::setting::count(t, 0).map(Some),
};

/// The default media budget, bytes a second: [`DEFAULT_SHARE`] of the slowest of `links_mbit`
/// (the speeds of the scan's interfaces that say one), else of [`ASSUMED_LINK_MBIT`].
pub fn default_rate(links_mbit: &[u64]) -> u64 {
    let link = links_mbit
        .iter()
        .copied()
        .filter(|&s| s > 0)
        .min()
        .unwrap_or(ASSUMED_LINK_MBIT);
    ((link as f64 * 1_000_000.0 / 8.0) * DEFAULT_SHARE) as u64
}

/// The speed of interface `name` in Mbit/s, when the kernel knows it (`-1` and errors: no).
pub fn link_speed(name: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/sys/class/net/{name}/speed")).ok()?;
    text.trim()
        .parse::<i64>()
        .ok()
        .and_then(|s| u64::try_from(s).ok())
        .filter(|&s| s > 0)
}

/// What the PLAY checks of a scan pulled, for the report's coverage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figures {
    /// The budget, bytes a second (0: no limit).
    pub rate: u64,
    /// Checks that ran to their end, media or not, and checks that pulled media (a check declined
    /// before its first byte, then tried another way, counts once).
    pub checks: u64,
    /// Media bytes they pulled.
    pub bytes: u64,
    /// Checks that waited for room before they started, and how long in all.
    pub waited: u64,
    pub waited_ms: u64,
    /// The most any checks together were counted to pull at one time, bytes a second.
    pub peak: u64,
}

#[derive(Debug, Default)]
struct State {
    /// The rates of the running checks, summed.
    reserved: u64,
    running: u64,
    /// Bytes and seconds (first to last byte) of the checks that ended, for the assumption.
    ended_bytes: u64,
    ended_secs: f64,
    figures: Figures,
}

impl State {
    /// What a check is assumed to pull before its own bytes say: the average of the checks that
    /// ended, else [`ASSUMED_RATE`].
    fn assumed(&self) -> u64 {
        if self.ended_secs < MIN_MEASURED.as_secs_f64() {
            return ASSUMED_RATE;
        }
        ((self.ended_bytes as f64 / self.ended_secs) as u64).max(MIN_ASSUMED)
    }
}

/// The budget of one scan.
#[derive(Debug)]
pub struct MediaBudget {
    rate: u64,
    state: Mutex<State>,
    freed: Notify,
}

impl Default for MediaBudget {
    /// No limit.
    fn default() -> Self {
        MediaBudget::new(0)
    }
}

impl MediaBudget {
    /// A budget of `rate` bytes a second (0: no limit).
    pub fn new(rate: u64) -> MediaBudget {
        MediaBudget {
            rate,
            state: Mutex::new(State::default()),
            freed: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wait for room for one more check (assumed to pull [`State::assumed`], at most the whole
    /// budget), then count it in. Waits only while other checks are running: each ends within its
    /// own window, so the wait does too.
    pub async fn admit(&self) -> Pull<'_> {
        let asked = Instant::now();
        loop {
            let freed = self.freed.notified();
            tokio::pin!(freed);
            // Registered before the look, so a release between the look and the wait wakes it.
            freed.as_mut().enable();
            {
                let mut st = self.lock();
                let expect = match self.rate {
                    0 => st.assumed(),
                    rate => st.assumed().clamp(1, rate),
                };
                if self.rate == 0 || st.running == 0 || st.reserved + expect <= self.rate {
                    st.reserved += expect;
                    st.running += 1;
                    st.figures.peak = st.figures.peak.max(st.reserved);
                    let waited = asked.elapsed();
                    if waited >= Duration::from_millis(1) {
                        st.figures.waited += 1;
                        st.figures.waited_ms += waited.as_millis() as u64;
                    }
                    return Pull {
                        budget: self,
                        reserved: expect,
                        bytes: 0,
                        first_byte: None,
                        last_byte: None,
                        checked: false,
                    };
                }
            }
            freed.await;
        }
    }

    /// What the checks pulled so far.
    pub fn figures(&self) -> Figures {
        Figures {
            rate: self.rate,
            ..self.lock().figures
        }
    }
}

/// One admitted check: count its bytes with [`Pull::pulled`]; dropping it gives its share back.
#[derive(Debug)]
pub struct Pull<'a> {
    budget: &'a MediaBudget,
    reserved: u64,
    bytes: u64,
    /// When the first byte came, and when the share was last brought up to date: the rate is
    /// measured from the first byte (an encoder's start before it is no rate of the stream).
    first_byte: Option<(Instant, Instant)>,
    /// When the last byte came.
    last_byte: Option<Instant>,
    /// The check ran to its end ([`Pull::checked`]): it counts among the checks even when no
    /// media came.
    checked: bool,
}

impl Pull<'_> {
    /// This check ran (a PLAY answered, an MJPEG read): it counts in `checks` whether media
    /// came or not. A check declined before its end (tried again another way) does not say so,
    /// and counts only if it pulled media.
    pub fn checked(&mut self) {
        self.checked = true;
    }

    /// `n` more bytes arrived. Every [`REASSESS`] from the first byte on, the check's share
    /// becomes the rate it is pulling at since that byte (a stream slower than assumed makes room
    /// for others at once; a faster one holds back the next admissions).
    pub fn pulled(&mut self, n: u64) {
        self.bytes += n;
        let now = Instant::now();
        self.last_byte = Some(now);
        let Some((first, reassessed)) = &mut self.first_byte else {
            self.first_byte = Some((now, now));
            return;
        };
        if now.duration_since(*reassessed) < REASSESS {
            return;
        }
        *reassessed = now;
        let secs = now.duration_since(*first).as_secs_f64();
        let rate = ((self.bytes as f64 / secs) as u64).max(1);
        let mut st = self.budget.lock();
        st.reserved = st.reserved.saturating_sub(self.reserved) + rate;
        st.figures.peak = st.figures.peak.max(st.reserved);
        let lower = rate < self.reserved;
        self.reserved = rate;
        drop(st);
        if lower {
            self.budget.freed.notify_waiters();
        }
    }
}

impl Drop for Pull<'_> {
    fn drop(&mut self) {
        let mut st = self.budget.lock();
        st.reserved = st.reserved.saturating_sub(self.reserved);
        st.running = st.running.saturating_sub(1);
        st.figures.bytes += self.bytes;
        if self.bytes > 0 || self.checked {
            st.figures.checks += 1;
        }
        if let (Some((first, _)), Some(last)) = (self.first_byte, self.last_byte) {
            let took = last.duration_since(first);
            if took >= MIN_MEASURED {
                st.ended_bytes += self.bytes;
                st.ended_secs += took.as_secs_f64();
            }
        }
        drop(st);
        self.budget.freed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_a_tenth_of_the_slowest_link() {
        // 100 Mbit/s and a gigabit: a tenth of 100 Mbit/s, 1.25 MB/s.
        assert_eq!(default_rate(&[1000, 100]), 1_250_000);
        assert_eq!(default_rate(&[]), 12_500_000, "a gigabit assumed");
        assert_eq!(default_rate(&[0]), 12_500_000);
    }

    /// A PLAY check that got no media still ran (issue 84: `coverage.media.checks` read 0 when
    /// the scan's only PLAY check failed); one declined before its end (tried another way) does
    /// not count twice.
    #[tokio::test]
    async fn a_check_without_media_counts_once() {
        let budget = MediaBudget::new(0);
        let mut failed = budget.admit().await;
        failed.checked();
        drop(failed);
        drop(budget.admit().await); // declined, tried again below
        let mut again = budget.admit().await;
        again.checked();
        again.pulled(10);
        drop(again);
        assert_eq!(budget.figures().checks, 2);
    }

    /// Two checks assumed at 4 Mbit/s leave no room for a third in a 1.2 MB/s budget; a check
    /// whose stream is slower than assumed makes room as soon as it knows.
    #[tokio::test(start_paused = true)]
    async fn checks_wait_for_room_and_a_slow_stream_makes_it() {
        let budget = MediaBudget::new(1_200_000);
        let a = budget.admit().await;
        let mut b = budget.admit().await;
        let third = budget.admit();
        tokio::pin!(third);
        assert!(
            tokio::time::timeout(Duration::from_millis(50), third.as_mut())
                .await
                .is_err(),
            "no room for a third"
        );
        // `b` turns out to pull about 100 kB/s from its first byte on (std's clock: the share
        // follows real elapsed time).
        b.pulled(1_000);
        std::thread::sleep(REASSESS + Duration::from_millis(10));
        b.pulled(29_000);
        assert!(b.reserved < 200_000, "{}", b.reserved);
        let c = tokio::time::timeout(Duration::from_millis(50), third.as_mut())
            .await
            .expect("room made by the slow stream");
        drop((a, b, c));
        let f = budget.figures();
        assert_eq!(
            (f.checks, f.bytes, f.waited),
            (1, 30_000, 1),
            "only `b` pulled media"
        );
        assert!(f.peak > 1_000_000 && f.peak <= 1_200_000, "{}", f.peak);
        assert_eq!(budget.lock().reserved, 0, "every share given back");
    }

    /// Issue 62's lab: streams of 60 kbit/s under a 20 Mbit/s budget. The first checks are
    /// assumed at 4 Mbit/s (five at once); once one has ended, the next are assumed at what it
    /// pulled, and hundreds fit.
    #[tokio::test]
    async fn the_assumption_learns_the_sites_streams() {
        let budget = MediaBudget::new(20_000_000 / 8);
        assert_eq!(budget.lock().assumed(), ASSUMED_RATE);
        // 1,500 bytes in about 0.1 s: 15 kB/s, 120 kbit/s. The rate is the check's own clock's,
        // so the test's bounds come from the instants around its two readings (a loaded machine
        // sleeps longer than asked).
        let (outer, inner) = {
            let mut one = budget.admit().await;
            let before_first = std::time::Instant::now();
            one.pulled(1_000);
            let after_first = std::time::Instant::now();
            std::thread::sleep(Duration::from_millis(100));
            let before_last = std::time::Instant::now();
            one.pulled(500);
            let after_last = std::time::Instant::now();
            (
                after_last.duration_since(before_first),
                before_last.duration_since(after_first),
            )
        };
        let learned = budget.lock().assumed();
        let (low, high) = (
            ((1_500.0 / outer.as_secs_f64()) as u64).max(MIN_ASSUMED),
            ((1_500.0 / inner.as_secs_f64()) as u64 + 1).max(MIN_ASSUMED),
        );
        assert!(
            (low..=high).contains(&learned) && learned <= 16_000,
            "{learned} not within {low}..={high}"
        );
        let many: Vec<_> = futures::future::join_all((0..150).map(|_| budget.admit())).await;
        assert_eq!(many.len(), 150);
        assert_eq!(
            budget.figures().waited,
            0,
            "150 x 120 kbit/s fit in 20 Mbit/s"
        );
    }

    #[tokio::test]
    async fn one_check_is_always_admitted_and_no_limit_never_waits() {
        let tight = MediaBudget::new(10);
        let one = tight.admit().await;
        assert_eq!(one.reserved, 10, "at most the whole budget");
        let open = MediaBudget::new(0);
        let pulls: Vec<_> = futures::future::join_all((0..100).map(|_| open.admit())).await;
        assert_eq!(pulls.len(), 100);
        assert_eq!(open.figures().waited, 0);
    }
}
