//! `--reach-misaddressed`: give the scanner a temporary address in a misaddressed device's subnet
//! for the scan's duration, so the port probes and analysers reach it (the kernel adds the subnet's
//! on-link route with the address), and take it away again on every way the scan can end. The
//! device's own settings are never touched.
//!
//! Adding and removing run iproute2's `ip addr add|del ADDR/PREFIX dev IFACE` (root or
//! CAP_NET_ADMIN; without them the add fails, a warning says so and the device stays reported as
//! unreachable). Removal is guaranteed three ways:
//!
//! 1. **A watchdog per address**, which adds the address itself and then removes it: `sh` ignoring
//!    SIGINT, SIGTERM, SIGHUP and SIGQUIT (so a Ctrl-C to the terminal's process group does not kill
//!    it) runs `ip addr add`, says `ADDED`, then reads its stdin, a pipe whose only writer is camscan
//!    (std opens pipes close-on-exec, so no other child holds it). When that pipe closes it runs
//!    `ip addr del`. Add and removal are one process's two steps: no end of camscan falls between. A pipe closes however
//!    camscan ends: a normal end, an error, a panic, Ctrl-C, SIGTERM, and `kill -9` too, since the
//!    kernel closes a dead process's descriptors. Only killing the watchdog itself (a SIGKILL to the
//!    whole process group or cgroup) defeats it.
//! 2. **[`Reacher::release`]** at the end of the scan's pipeline (also after Ctrl-C or SIGTERM,
//!    which end the pipeline early): closes each watchdog's pipe and waits for it to remove the
//!    address, so the address is gone when camscan writes its report.
//! 3. **`Drop`**: the same, for a pipeline that unwinds.
//!
//! If the add fails (the address exists already: someone else's), the watchdog exits at once
//! without removing anything: it never removes an address camscan did not add.

use std::io::{BufRead, BufReader};
use std::net::{IpAddr, Ipv4Addr};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use input::setting::Repeat;

/// `--reach-misaddressed`: reach each misaddressed device through a temporary address of this
/// host's in its subnet.
pub static REACH_MISADDRESSED: input::setting::Setting<bool> = input::setting::Setting {
    key: "reach_misaddressed",
    flag: "--reach-misaddressed",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_REACH_MISADDRESSED",
    value_name: input::setting::SWITCH,
    help: "Give this host a temporary address in each misaddressed camera's subnet (a camera \
               heard on the wire from another subnet) and scan it fully; the address is removed \
               when the scan ends, however it ends. Needs root or CAP_NET_ADMIN; the camera's \
               settings are never changed",
    default: false,
    choices: None,
    parse: input::setting::switch,
};

use model::Misaddressed;
use model::misaddressed::inside;

/// Deadline of one `ip addr add`.
const IP_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a release waits for a watchdog to remove its address.
const RELEASE_WAIT: Duration = Duration::from_secs(3);

/// The watchdog's script: `$0` is the address with its prefix, `$1` the interface.
/// It adds the address (printing `ADDED`, or why not and exits without removing anything), then
/// waits for its stdin to close and removes it.
const WATCHDOG: &str = "trap '' INT TERM HUP QUIT
if ip addr add \"$0\" dev \"$1\" 2>&1; then echo ADDED; else exit 1; fi
cat >/dev/null
exec ip addr del \"$0\" dev \"$1\" 2>/dev/null";

/// One temporary address and its watchdog.
#[derive(Debug)]
struct Temporary {
    subnet: (Ipv4Addr, u8),
    address: String,
    watchdog: Child,
}

impl Temporary {
    /// Close the watchdog's pipe and wait (at most [`RELEASE_WAIT`]) for it to remove the address.
    fn release(mut self) {
        drop(self.watchdog.stdin.take());
        let deadline = Instant::now() + RELEASE_WAIT;
        loop {
            match self.watchdog.try_wait() {
                Ok(Some(_)) => {
                    tracing::info!(address = %self.address, "temporary address removed");
                    return;
                }
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                _ => {
                    tracing::warn!(address = %self.address, "temporary address: its watchdog did not finish within {RELEASE_WAIT:?}; it removes the address when it does");
                    return;
                }
            }
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    added: Vec<Temporary>,
    /// Subnets whose add failed: not tried again in this scan.
    failed: Vec<(Ipv4Addr, u8)>,
    /// Devices already handed to the port probes.
    handed: Vec<IpAddr>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        for t in self.added.drain(..) {
            t.release();
        }
    }
}

/// The temporary addresses of one scan (clones share them).
#[derive(Debug, Clone, Default)]
pub struct Reacher(Arc<Mutex<Inner>>);

impl Reacher {
    /// Make `m`'s device reachable: add its temporary address (once per subnet). `Some(address)`
    /// when the scanner has an address in its subnet now; `None` when the add failed (logged).
    pub async fn reach(&self, m: &Misaddressed) -> Option<String> {
        let subnet = m.subnet();
        {
            let inner = self.0.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(t) = inner.added.iter().find(|t| inside(m.address, t.subnet)) {
                return Some(t.address.clone());
            }
            if inner.failed.iter().any(|s| inside(m.address, *s)) {
                return None;
            }
        }
        let address = format!("{}/{}", m.reach.temporary_address, m.prefix);
        // The watchdog adds the address itself, then waits for its pipe to close and removes it:
        // add and removal are one process's two steps, so no end of camscan can come between them.
        let watchdog = Command::new("sh")
            .args(["-c", WATCHDOG, &address, &m.interface])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn();
        let mut watchdog = match watchdog {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!("--reach-misaddressed: cannot start the watchdog (sh): {e}");
                self.failed(subnet);
                return None;
            }
        };
        let stdout = watchdog.stdout.take()?;
        // Kept from now on: a scan that ends while the add runs still releases it.
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .added
            .push(Temporary {
                subnet,
                address: address.clone(),
                watchdog,
            });
        let said = tokio::time::timeout(
            IP_TIMEOUT,
            tokio::task::spawn_blocking(move || {
                let mut text = String::new();
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if line == "ADDED" {
                        return Ok(());
                    }
                    text.push_str(line.trim());
                    text.push(' ');
                }
                Err(text.trim().to_string())
            }),
        )
        .await;
        let why = match said {
            Ok(Ok(Ok(()))) => None,
            Ok(Ok(Err(text))) => Some(text),
            Ok(Err(e)) => Some(format!("cannot read the watchdog: {e}")),
            // Left to the release: the watchdog removes the address once it is added.
            Err(_) => Some(format!("ip addr add: no answer within {IP_TIMEOUT:?}")),
        };
        if let Some(why) = why {
            tracing::warn!(
                "--reach-misaddressed: `ip addr add {address} dev {}` failed ({why}); root or CAP_NET_ADMIN is needed",
                m.interface
            );
            self.failed(subnet);
            return None;
        }
        tracing::info!(%address, interface = %m.interface, device = %m.address, "temporary address added to reach a misaddressed device");
        Some(address)
    }

    /// Not tried again; a watchdog whose add failed has exited without removing anything.
    fn failed(&self, subnet: (Ipv4Addr, u8)) {
        let mut inner = self.0.lock().unwrap_or_else(|e| e.into_inner());
        inner.failed.push(subnet);
        if let Some(i) = inner.added.iter().position(|t| t.subnet == subnet) {
            let mut t = inner.added.remove(i);
            if let Ok(Some(_)) = t.watchdog.try_wait() {
                return; // it exited after its failed add
            }
            // Still adding (no answer in time): it removes the address when its pipe closes.
            drop(t.watchdog.stdin.take());
            inner.added.push(t);
        }
    }

    /// Remove every temporary address (the end of the scan), waiting for each to go.
    pub async fn release(&self) {
        let taken: Vec<Temporary> = {
            let mut inner = self.0.lock().unwrap_or_else(|e| e.into_inner());
            inner.added.drain(..).collect()
        };
        if taken.is_empty() {
            return;
        }
        let _ = tokio::task::spawn_blocking(move || {
            for t in taken {
                t.release();
            }
        })
        .await;
    }

    /// `true` the first time it is asked about `ip`: its port probes are started once.
    pub fn first_time(&self, ip: IpAddr) -> bool {
        let mut inner = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if inner.handed.contains(&ip) {
            return false;
        }
        inner.handed.push(ip);
        true
    }

    /// Whether a temporary address reaches `ip` (for logs and tests).
    pub fn reaches(&self, ip: IpAddr) -> bool {
        let IpAddr::V4(v4) = ip else { return false };
        let inner = self.0.lock().unwrap_or_else(|e| e.into_inner());
        inner.added.iter().any(|t| inside(v4, t.subnet))
    }
}
