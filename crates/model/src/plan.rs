//! The scan plan as the report shows it (`"plan"`): what a scan decided before it sent anything.
//! Which interfaces and address ranges, which discovery methods run (and why the others do not),
//! which ports, how many probes at once, how long it should take and how that was estimated, and
//! the warnings camscan could see (a container's bridge network, Docker Desktop, no raw sockets,
//! a range that takes long). `camscan scan` prints it on stderr before the first packet
//! ([`Plan::lines`]).

use serde::{Deserialize, Serialize};

use super::DiscoveryMethod;

/// What a scan will do, decided before anything is sent.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Plan {
    /// The attached interfaces whose subnet holds targets (ARP, multicast and the vendor searches
    /// go out on them).
    #[serde(default)]
    pub interfaces: Vec<PlanInterface>,
    /// The address ranges scanned, after exclusions, merged.
    #[serde(default)]
    pub ranges: Vec<PlanRange>,
    /// Addresses in all ranges.
    pub addresses: u64,
    /// The TCP ports probed on each address.
    #[serde(default)]
    pub ports: Vec<u16>,
    /// Each `--discovery` method chosen, whether it runs, and why not.
    #[serde(default)]
    pub discovery: Vec<PlanMethod>,
    /// Connects in flight at once, and at once to one host.
    pub concurrency: u64,
    pub per_host: u64,
    /// Connects a second at most, all hosts together (`--max-rate`); 0: no limit.
    #[serde(default)]
    pub max_rate: u64,
    /// ARP requests a second at most, the sweep's broadcast budget (`--arp-rate`); 0: no limit.
    #[serde(default)]
    pub arp_rate: u64,
    /// The ports a routed range is asked on first (host discovery); empty: every address gets
    /// every port (`--probe-all`, no routed range, or none of the likely ports scanned).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub host_discovery: Vec<u16>,
    /// Analysis connections open to one device at a time (`--host-connections`); 0: no limit.
    #[serde(default)]
    pub host_connections: u64,
    /// Analysis requests a second to one device (`--host-rate`); 0: no limit.
    #[serde(default)]
    pub host_rate: u64,
    /// Media every PLAY check and MJPEG read together may pull, kbit/s (`--media-rate`, else a
    /// tenth of the slowest link); 0: no limit.
    #[serde(default)]
    pub media_rate_kbps: u64,
    /// The TCP connect deadline, milliseconds.
    pub connect_timeout_ms: u64,
    /// Extra connects to a port whose connect timed out.
    pub retries: u32,
    pub estimate: Estimate,
    #[serde(default)]
    pub warnings: Vec<Warning>,
}

/// One interface a scan uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PlanInterface {
    pub name: String,
    pub address: String,
    /// Its subnet (`198.18.0.0/24`).
    pub subnet: String,
}

/// One range of addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PlanRange {
    pub first: String,
    pub last: String,
    pub addresses: u64,
    /// The attached interface whose subnet holds the range (`null`: routed, or loopback).
    pub interface: Option<String>,
}

/// One discovery method of the scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PlanMethod {
    pub method: DiscoveryMethod,
    pub runs: bool,
    /// How it runs (`raw`, `unprivileged` for ARP) or why it does not.
    pub note: Option<String>,
}

/// How long the scan should take, and how that was worked out.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Estimate {
    /// TCP connects the port probes make at most (addresses x ports).
    pub probes: u64,
    /// When every connect is answered at once (closed ports refuse within a round trip on a LAN),
    /// seconds: the discovery window and ARP's sweep dominate.
    pub min_seconds: f64,
    /// When every connect waits out its deadline (filtered ports, or addresses nobody holds
    /// off-link), seconds.
    pub max_seconds: f64,
    /// The model, in words.
    pub model: String,
}

/// Something the scan can see will go wrong or take long.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Warning {
    /// Stable (scripts key on it): `no-targets` (none given: the attached subnets), `container-bridge`, `docker-desktop`, `wsl`, `no-raw-sockets`,
    /// `large-range`, `no-attached-interface`, `neighbour-table`.
    pub code: String,
    pub message: String,
}

impl Warning {
    pub fn new(code: &str, message: impl Into<String>) -> Warning {
        Warning {
            code: code.into(),
            message: message.into(),
        }
    }
}

impl Plan {
    /// The plan for people, as `camscan scan` prints it on stderr: one `camscan: plan:` line, then
    /// one `camscan: warning:` line per warning.
    pub fn lines(&self) -> Vec<String> {
        let on = if self.interfaces.is_empty() {
            let ranges: Vec<String> = self.ranges.iter().map(PlanRange::short).collect();
            ranges.join(", ")
        } else {
            let ifs: Vec<String> = self
                .interfaces
                .iter()
                .map(|i| format!("{} ({})", i.name, i.subnet))
                .collect();
            format!("on {}", ifs.join(", "))
        };
        let running: Vec<&str> = self
            .discovery
            .iter()
            .filter(|m| m.runs)
            .map(|m| m.method.name())
            .collect();
        // Skipped methods grouped by why, in order: `arp, onvif (no target on an attached network)`.
        let mut skipped: Vec<(Vec<&str>, &str)> = Vec::new();
        for m in self.discovery.iter().filter(|m| !m.runs) {
            let why = m.note.as_deref().unwrap_or("");
            match skipped.iter_mut().find(|(_, w)| *w == why) {
                Some((names, _)) => names.push(m.method.name()),
                None => skipped.push((vec![m.method.name()], why)),
            }
        }
        let skipped: Vec<String> = skipped
            .iter()
            .map(|(names, why)| format!("{} ({why})", names.join(", ")))
            .collect();
        let mut line = format!(
            "camscan: plan: {} address{} {on}, {} port{}, discovery {}",
            self.addresses,
            if self.addresses == 1 { "" } else { "es" },
            self.ports.len(),
            if self.ports.len() == 1 { "" } else { "s" },
            if running.is_empty() {
                "none".to_string()
            } else {
                running.join(", ")
            },
        );
        if !skipped.is_empty() {
            line.push_str(&format!("; skipped {}", skipped.join(", ")));
        }
        let rate = if self.max_rate == 0 {
            String::new()
        } else {
            format!(", at most {} a second", self.max_rate)
        };
        let limit = |n: u64, what: &str| match n {
            0 => format!("any {what}"),
            n => format!("{n} {what}"),
        };
        let media = match self.media_rate_kbps {
            0 => "PLAY checks unpaced".to_string(),
            k => format!("PLAY checks {} in all", kbps_text(k)),
        };
        line.push_str(&format!(
            "; {} at once{rate}; per device {}, {}; {media}; {}",
            self.concurrency,
            limit(self.host_connections, "connections"),
            limit(self.host_rate, "requests a second"),
            self.estimate.short()
        ));
        let arp_runs = self
            .discovery
            .iter()
            .any(|m| m.method == DiscoveryMethod::Arp && m.runs);
        if arp_runs {
            line.push_str(&match self.arp_rate {
                0 => "; ARP unpaced".to_string(),
                r => format!("; ARP at most {r} requests a second"),
            });
        }
        if !self.host_discovery.is_empty() {
            let ports: Vec<String> = self.host_discovery.iter().map(u16::to_string).collect();
            line.push_str(&format!(
                "; routed ranges asked on {} first",
                ports.join(", ")
            ));
        }
        let mut out = vec![line];
        out.extend(
            self.warnings
                .iter()
                .map(|w| format!("camscan: warning: {}: {}", w.code, w.message)),
        );
        out
    }
}

impl PlanRange {
    fn short(&self) -> String {
        if self.first == self.last {
            self.first.clone()
        } else {
            format!("{}-{}", self.first, self.last)
        }
    }
}

impl Estimate {
    /// `about 3.0 s (up to 20 s if every port is filtered)`.
    pub fn short(&self) -> String {
        let (lo, hi) = (duration(self.min_seconds), duration(self.max_seconds));
        let lo = if self.min_seconds < 0.1 {
            "under 0.1 s".to_string()
        } else {
            format!("about {lo}")
        };
        if duration(self.min_seconds) == hi {
            lo
        } else {
            format!("{lo} (up to {hi} if every port is filtered)")
        }
    }
}

/// A rate for people: `800 kbit/s`, `100 Mbit/s`, `1.5 Gbit/s`.
pub fn kbps_text(kbps: u64) -> String {
    if kbps < 1000 {
        format!("{kbps} kbit/s")
    } else if kbps < 1_000_000 {
        format!("{} Mbit/s", trim(kbps as f64 / 1000.0))
    } else {
        format!("{} Gbit/s", trim(kbps as f64 / 1_000_000.0))
    }
}

/// One decimal, none when it is zero.
fn trim(x: f64) -> String {
    let s = format!("{x:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// Seconds for people: `0.4 s`, `12 s`, `7 min`, `2.5 h`.
pub fn duration(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return "?".into();
    }
    if secs < 10.0 {
        format!("{:.1} s", secs)
    } else if secs < 120.0 {
        format!("{:.0} s", secs)
    } else if secs < 7200.0 {
        format!("{:.0} min", secs / 60.0)
    } else {
        format!("{:.1} h", secs / 3600.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        Plan {
            interfaces: vec![PlanInterface {
                name: "eth0".into(),
                address: "198.18.0.1".into(),
                subnet: "198.18.0.0/24".into(),
            }],
            ranges: vec![PlanRange {
                first: "198.18.0.0".into(),
                last: "198.18.0.255".into(),
                addresses: 256,
                interface: Some("eth0".into()),
            }],
            addresses: 256,
            ports: vec![80, 554, 8554],
            discovery: vec![
                PlanMethod {
                    method: DiscoveryMethod::Arp,
                    runs: true,
                    note: Some("raw".into()),
                },
                PlanMethod {
                    method: DiscoveryMethod::Port,
                    runs: true,
                    note: None,
                },
                PlanMethod {
                    method: DiscoveryMethod::Ssdp,
                    runs: false,
                    note: Some("no target on an attached network".into()),
                },
                PlanMethod {
                    method: DiscoveryMethod::Mdns,
                    runs: false,
                    note: Some("no target on an attached network".into()),
                },
            ],
            concurrency: 256,
            per_host: 8,
            max_rate: 5000,
            arp_rate: 1500,
            host_discovery: Vec::new(),
            host_connections: 4,
            host_rate: 250,
            media_rate_kbps: 100_000,
            connect_timeout_ms: 1000,
            retries: 0,
            estimate: Estimate {
                probes: 768,
                min_seconds: 2.0,
                max_seconds: 5.0,
                model: "m".into(),
            },
            warnings: vec![Warning::new("no-raw-sockets", "x")],
        }
    }

    #[test]
    fn lines_for_people() {
        let l = plan().lines();
        assert_eq!(
            l[0],
            "camscan: plan: 256 addresses on eth0 (198.18.0.0/24), 3 ports, discovery arp, port; \
             skipped ssdp, mdns (no target on an attached network); 256 at once, at most 5000 a \
             second; per device 4 connections, 250 requests a second; PLAY checks 100 Mbit/s in all; about 2.0 s (up to 5.0 s if \
             every port is filtered); ARP at most 1500 requests a second"
        );
        assert_eq!(l[1], "camscan: warning: no-raw-sockets: x");
        let mut one = plan();
        one.interfaces.clear();
        one.addresses = 1;
        one.ranges[0].last = "198.18.0.0".into();
        one.ports = vec![554];
        one.estimate.max_seconds = 2.0;
        assert!(
            one.lines()[0].starts_with("camscan: plan: 1 address 198.18.0.0, 1 port,"),
            "{}",
            one.lines()[0]
        );
        one.discovery.remove(0);
        assert!(
            one.lines()[0].ends_with("about 2.0 s"),
            "{}",
            one.lines()[0]
        );
        one.estimate.min_seconds = 0.0;
        assert!(
            one.lines()[0].ends_with("under 0.1 s (up to 2.0 s if every port is filtered)"),
            "{}",
            one.lines()[0]
        );
    }

    #[test]
    fn durations() {
        assert_eq!(duration(0.31), "0.3 s");
        assert_eq!(duration(42.4), "42 s");
        assert_eq!(duration(600.0), "10 min");
        assert_eq!(duration(9000.0), "2.5 h");
        assert_eq!(duration(f64::NAN), "?");
    }

    #[test]
    fn json_round_trip() {
        let p = plan();
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["discovery"][0]["method"], "arp");
        assert_eq!(v["warnings"][0]["code"], "no-raw-sockets");
        assert_eq!(serde_json::from_value::<Plan>(v).unwrap(), p);
    }
}
