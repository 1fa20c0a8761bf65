//! The per-host budget of failed authentication attempts, shared by every protocol that logs in.
//!
//! Cameras lock out the *source address*, not the port or protocol: Hikvision locks an IP for 30 min
//! after 5 failed logins of a user account (7 for admin), Dahua has a configurable count, IMOU's ONVIF
//! fault even counts down (`docs/design/protocols.md`, "Lockouts and connection limits"). So all of
//! camscan's attempts on one host draw from one budget (default 3, below the lowest lock threshold
//! seen), and at most one attempt is in flight per host: a session holds the host's lock while it
//! tries credentials.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use credentials::Credential;
use input::setting::Repeat;

/// Failed attempts allowed per host by default: below Hikvision's 5-for-users lock.
pub const DEFAULT_AUTH_BUDGET: u32 = 3;

/// `--auth-budget`: failed logins a host is allowed, shared by every protocol.
pub static AUTH_BUDGET: input::setting::Setting<u32> = input::setting::Setting {
    key: "auth_budget",
    flag: "--auth-budget",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_AUTH_BUDGET",
    value_name: "N",
    help: "Failed logins allowed per host, shared by every protocol [default: 3, below \
           Hikvision's lock]",
    default: DEFAULT_AUTH_BUDGET,
    choices: None,
    parse: |t| input::setting::count(t, 0),
};

#[derive(Debug, Default)]
struct HostState {
    failures: u32,
    locked: bool,
    /// A credential that worked on this host; later attempts try it first and only.
    good: Option<Credential>,
    /// Credentials this host refused in this scan: never sent again (a refused credential that
    /// an earlier scan remembered is one failed login, not two).
    refused: Vec<Credential>,
}

/// The budget for a whole scan.
#[derive(Debug)]
pub struct AuthBudget {
    limit: u32,
    hosts: Mutex<HashMap<IpAddr, Arc<tokio::sync::Mutex<HostState>>>>,
}

impl AuthBudget {
    pub fn new(limit: u32) -> Self {
        AuthBudget {
            limit,
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// Wait for this host's turn and open an authentication session on it.
    pub async fn session(&self, ip: IpAddr) -> AuthSession {
        let slot = {
            let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
            hosts.entry(ip).or_default().clone()
        };
        AuthSession {
            state: slot.lock_owned().await,
            limit: self.limit,
        }
    }

    /// Failed attempts recorded on every host so far (the scan's failed logins).
    pub async fn total_failures(&self) -> u64 {
        let slots: Vec<_> = self
            .hosts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect();
        let mut n = 0u64;
        for s in slots {
            n += u64::from(s.lock().await.failures);
        }
        n
    }

    /// Failed attempts recorded on `ip` so far (for reports and tests).
    pub async fn failures(&self, ip: IpAddr) -> u32 {
        let slot = self
            .hosts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&ip)
            .cloned();
        match slot {
            Some(s) => s.lock().await.failures,
            None => 0,
        }
    }
}

/// Exclusive right to try credentials on one host; dropping it lets the next protocol have a go.
pub struct AuthSession {
    state: tokio::sync::OwnedMutexGuard<HostState>,
    limit: u32,
}

impl AuthSession {
    /// May another unproven credential be tried?
    pub fn may_try(&self) -> bool {
        !self.state.locked && self.state.failures < self.limit
    }

    pub fn locked(&self) -> bool {
        self.state.locked
    }

    pub fn failures(&self) -> u32 {
        self.state.failures
    }

    pub fn known_good(&self) -> Option<&Credential> {
        self.state.good.as_ref()
    }

    pub fn record_failure(&mut self) {
        self.state.failures += 1;
    }

    /// `c` was refused: a failed login, and `c` is not tried again on this host.
    pub fn record_refused(&mut self, c: &Credential) {
        self.state.failures += 1;
        if !self.state.refused.contains(c) {
            self.state.refused.push(c.clone());
        }
    }

    /// Did this host refuse `c` already in this scan?
    pub fn refused(&self, c: &Credential) -> bool {
        self.state.refused.contains(c)
    }

    pub fn record_success(&mut self, c: &Credential) {
        self.state.good = Some(c.clone());
    }

    /// The device signalled a lockout, or began refusing a credential that worked: stop for good.
    pub fn mark_locked(&mut self) {
        self.state.locked = true;
        self.state.good = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn budget_is_per_host_and_shared() {
        let b = Arc::new(AuthBudget::new(2));
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        {
            let mut s = b.session(ip).await;
            assert!(s.may_try());
            s.record_failure();
            s.record_failure();
            assert!(!s.may_try());
        }
        // Another protocol on the same host finds the budget spent.
        assert!(!b.session(ip).await.may_try());
        assert!(b.session("10.0.0.2".parse().unwrap()).await.may_try());
        assert_eq!(b.failures(ip).await, 2);
    }

    #[tokio::test(start_paused = true)]
    async fn one_attempt_in_flight_per_host() {
        let b = Arc::new(AuthBudget::new(3));
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let first = b.session(ip).await;
        let b2 = b.clone();
        let waiter = tokio::spawn(async move { b2.session(ip).await.failures() });
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(!waiter.is_finished(), "second session waits for the first");
        drop(first);
        assert_eq!(waiter.await.unwrap(), 0);
    }

    /// A refused credential is a failed login and is remembered for the host (a cached
    /// credential refused on a recheck is not sent again by the full analysis).
    #[tokio::test]
    async fn a_refused_credential_counts_and_is_remembered() {
        let b = AuthBudget::new(3);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let old = Credential::new("admin", "old");
        {
            let mut s = b.session(ip).await;
            s.record_refused(&old);
        }
        let s = b.session(ip).await;
        assert_eq!(s.failures(), 1);
        assert!(s.refused(&old) && !s.refused(&Credential::new("admin", "new")));
        assert!(!b.session("10.0.0.2".parse().unwrap()).await.refused(&old));
    }

    #[tokio::test]
    async fn lockout_stops_everything() {
        let b = AuthBudget::new(3);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let mut s = b.session(ip).await;
        s.record_success(&Credential::new("admin", "x"));
        s.mark_locked();
        assert!(!s.may_try() && s.known_good().is_none());
    }
}
