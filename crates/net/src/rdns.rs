//! Reverse DNS: the name the network's DNS gives each device's address (a PTR lookup through the
//! system resolver, `getnameinfo`, so `/etc/hosts`, `nsswitch.conf` and the site's DNS servers all
//! count, as for any other program on the machine).
//!
//! One [`Resolver`] lives for a run (for `camscan watch`, for the whole process): it looks each
//! address up once, and keeps the answer, a "no such name" too, for [`POSITIVE_TTL`] /
//! [`NEGATIVE_TTL`], so a scan of N devices makes N lookups and a rescan makes none. The inventory
//! keeps the answers across runs ([`Resolver::seed`], [`Resolver::answers`]).
//!
//! `getnameinfo` blocks and cannot be cancelled, so each lookup runs on a thread of its own, at most
//! [`MAX_LOOKUPS`] at once (a stuck one holds its place until the resolver gives up by itself), and
//! the scan waits for it at most the lookup deadline. Loopback addresses are never looked up (their
//! names are the machine's own, and the query would leave the machine).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::{OnceCell, Semaphore};

use input::setting::Repeat;
use model::sync::lock;

/// How long a lookup may take before the scan goes on without it: the system resolver's own
/// timeout is 5 s per try (resolv.conf(5)); a LAN DNS server answers in milliseconds.
pub use model::known::{DnsAnswer, NEGATIVE_TTL, POSITIVE_TTL};

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// `dns`: look each device's name up in DNS (`-n`/`--no-dns`, `dns: false`: never, as nmap's
/// `-n`).
pub static DNS: input::setting::Setting<bool> = input::setting::Setting {
    key: "dns",
    flag: "--no-dns",
    short: Some('n'),
    repeat: Repeat::Once,
    env: "CAMSCAN_NO_DNS",
    value_name: input::setting::SWITCH_OFF,
    help: "Never ask DNS for device names (no reverse lookups; as nmap's -n)",
    default: true,
    choices: None,
    parse: input::setting::switch,
};

/// Lookups (threads) at once.
pub const MAX_LOOKUPS: usize = 16;

/// Addresses remembered at most (a /16 scan); beyond, expired entries are dropped first, then all.
const MAX_ENTRIES: usize = 65_536;

/// The longest DNS name (RFC 1035 §2.3.4).
const MAX_NAME: usize = 253;

/// What a lookup said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The address's PTR name.
    Name(String),
    /// The DNS said there is no name (NXDOMAIN, no PTR record).
    NoName,
    /// No answer in time, or the resolver failed: not cached beyond this run.
    Failed,
}

impl Answer {
    pub fn name(&self) -> Option<&str> {
        match self {
            Answer::Name(n) => Some(n),
            _ => None,
        }
    }
}

#[derive(Debug)]
struct Entry {
    answer: Answer,
    /// When it was looked up (wall clock, for the inventory) and how old it may get.
    at: SystemTime,
    expires: Instant,
    /// Looked up by this process (not seeded from the inventory).
    fresh: bool,
}

type Cell = Arc<OnceCell<()>>;

/// The per-run cache of reverse lookups. Cheap to share (`Arc`).
#[derive(Debug)]
pub struct Resolver {
    timeout: Duration,
    entries: Mutex<HashMap<IpAddr, Entry>>,
    /// One cell per address being looked up, so concurrent askers wait for the same lookup.
    pending: Mutex<HashMap<IpAddr, Cell>>,
    threads: Arc<Semaphore>,
    lookups: AtomicU64,
}

impl Default for Resolver {
    fn default() -> Self {
        Resolver::new(DEFAULT_TIMEOUT)
    }
}

impl Resolver {
    pub fn new(timeout: Duration) -> Self {
        Resolver {
            timeout,
            entries: Mutex::new(HashMap::new()),
            pending: Mutex::new(HashMap::new()),
            threads: Arc::new(Semaphore::new(MAX_LOOKUPS)),
            lookups: AtomicU64::new(0),
        }
    }

    /// Lookups sent to the system resolver so far.
    pub fn lookups(&self) -> u64 {
        self.lookups.load(Ordering::Relaxed)
    }

    /// Whether `ip` is ever looked up: not loopback, unspecified or multicast.
    pub fn applies(ip: IpAddr) -> bool {
        !(ip.is_loopback() || ip.is_unspecified() || ip.is_multicast())
    }

    /// Answers known from an earlier run (the inventory), looked up at `at`: kept for what is left
    /// of their time to live; older ones are ignored.
    pub fn seed(&self, known: impl IntoIterator<Item = DnsAnswer>) {
        let now = SystemTime::now();
        let mut entries = lock(&self.entries);
        for (ip, name, at) in known {
            let ttl = if name.is_some() {
                POSITIVE_TTL
            } else {
                NEGATIVE_TTL
            };
            let age = now.duration_since(at).unwrap_or_default();
            let Some(left) = ttl.checked_sub(age).filter(|l| !l.is_zero()) else {
                continue;
            };
            if entries.len() >= MAX_ENTRIES {
                break;
            }
            let answer = name.map_or(Answer::NoName, Answer::Name);
            entries.insert(
                ip,
                Entry {
                    answer,
                    at,
                    expires: Instant::now() + left,
                    fresh: false,
                },
            );
        }
    }

    /// The answers this process looked up (names and "no name"; not failures), with when: for the
    /// inventory.
    pub fn answers(&self) -> Vec<DnsAnswer> {
        let entries = lock(&self.entries);
        let mut out: Vec<_> = entries
            .iter()
            .filter(|(_, e)| e.fresh && e.answer != Answer::Failed)
            .map(|(ip, e)| (*ip, e.answer.name().map(str::to_string), e.at))
            .collect();
        out.sort();
        out
    }

    /// The name of `ip`: from the cache, else looked up once (concurrent askers share the lookup).
    pub async fn name(&self, ip: IpAddr) -> Answer {
        if !Resolver::applies(ip) {
            return Answer::NoName;
        }
        if let Some(a) = self.cached(ip) {
            return a;
        }
        let cell = lock(&self.pending).entry(ip).or_default().clone();
        cell.get_or_init(|| async {
            // Another asker may have finished between our look at the cache and here.
            if self.cached(ip).is_none() {
                let answer = self.look_up(ip).await;
                self.store(ip, answer);
            }
        })
        .await;
        lock(&self.pending).remove(&ip);
        self.cached(ip).unwrap_or(Answer::Failed)
    }

    fn cached(&self, ip: IpAddr) -> Option<Answer> {
        let entries = lock(&self.entries);
        entries
            .get(&ip)
            .filter(|e| e.expires > Instant::now())
            .map(|e| e.answer.clone())
    }

    fn store(&self, ip: IpAddr, answer: Answer) {
        let ttl = match answer {
            Answer::Name(_) => POSITIVE_TTL,
            // A failure is kept for the rest of the run at most as long as "no name": the
            // same address is not asked again and again while the DNS server is down.
            Answer::NoName | Answer::Failed => NEGATIVE_TTL,
        };
        let now = Instant::now();
        let mut entries = lock(&self.entries);
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, e| e.expires > now);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(
            ip,
            Entry {
                answer,
                at: SystemTime::now(),
                expires: now + ttl,
                fresh: true,
            },
        );
    }

    /// One `getnameinfo` call on a thread of its own, waited for at most the deadline.
    async fn look_up(&self, ip: IpAddr) -> Answer {
        let deadline = tokio::time::Instant::now() + self.timeout;
        let Ok(Ok(permit)) =
            tokio::time::timeout_at(deadline, self.threads.clone().acquire_owned()).await
        else {
            tracing::debug!(%ip, "reverse DNS: no lookup slot in time");
            return Answer::Failed;
        };
        self.lookups.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = tokio::sync::oneshot::channel();
        let spawned = std::thread::Builder::new()
            .name("camscan-rdns".into())
            .spawn(move || {
                let answer = blocking_lookup(ip);
                drop(permit);
                let _ = tx.send(answer);
            });
        if let Err(e) = spawned {
            tracing::debug!(%ip, "reverse DNS: cannot start a thread: {e}");
            return Answer::Failed;
        }
        match tokio::time::timeout_at(deadline, rx).await {
            Ok(Ok(answer)) => {
                tracing::debug!(%ip, ?answer, "reverse DNS");
                answer
            }
            _ => {
                tracing::debug!(%ip, "reverse DNS: no answer within {:?}", self.timeout);
                Answer::Failed
            }
        }
    }
}

/// The system resolver's answer for `ip`.
fn blocking_lookup(ip: IpAddr) -> Answer {
    use dns_lookup::LookupErrorKind;
    let sock = std::net::SocketAddr::new(ip, 0);
    let flags = libc::NI_NAMEREQD | libc::NI_NUMERICSERV;
    match dns_lookup::getnameinfo(&sock, flags) {
        Ok((name, _)) => clean_name(&name).map_or(Answer::NoName, Answer::Name),
        Err(e) if matches!(e.kind(), LookupErrorKind::NoName) => Answer::NoName,
        Err(e) => {
            tracing::debug!(%ip, "reverse DNS failed: {:?}", e.kind());
            Answer::Failed
        }
    }
}

/// A PTR name as shown: without the root's dot, at most a DNS name's length, only the characters a
/// host name may have (glibc checks them too; the site's DNS is not trusted to).
pub fn clean_name(name: &str) -> Option<String> {
    let name = name.trim().trim_end_matches('.');
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    ok.then(|| name.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cleaned() {
        assert_eq!(
            clean_name("Cam7.Lab.Example."),
            Some("cam7.lab.example".into())
        );
        assert_eq!(clean_name("a_b-c"), Some("a_b-c".into()));
        assert_eq!(clean_name(""), None);
        assert_eq!(clean_name("."), None);
        assert_eq!(clean_name("evil\u{1b}[2J.example"), None);
        assert_eq!(clean_name("a b"), None);
        assert_eq!(clean_name(&"a".repeat(254)), None);
    }

    #[tokio::test]
    async fn loopback_is_never_looked_up() {
        let r = Resolver::default();
        assert_eq!(r.name("127.0.0.1".parse().unwrap()).await, Answer::NoName);
        assert_eq!(r.name("::1".parse().unwrap()).await, Answer::NoName);
        assert_eq!(r.lookups(), 0);
        assert!(r.answers().is_empty());
    }

    #[tokio::test]
    async fn seeded_answers_are_used_while_young_and_not_given_back() {
        let r = Resolver::default();
        let (a, b, c) = (
            "198.18.5.1".parse().unwrap(),
            "198.18.5.2".parse().unwrap(),
            "198.18.5.3".parse::<IpAddr>().unwrap(),
        );
        let now = SystemTime::now();
        r.seed([
            (
                a,
                Some("cam-a.lab".to_string()),
                now - Duration::from_secs(60),
            ),
            (b, None, now - Duration::from_secs(60)),
            // Too old: a "no name" of two hours ago says nothing now.
            (c, None, now - Duration::from_secs(7200)),
        ]);
        assert_eq!(r.name(a).await, Answer::Name("cam-a.lab".into()));
        assert_eq!(r.name(b).await, Answer::NoName);
        assert_eq!(r.lookups(), 0);
        assert!(r.cached(c).is_none());
        assert!(r.answers().is_empty(), "seeded answers are not new");
    }
}
