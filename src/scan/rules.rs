//! The rules a scan asked for by someone else is held to: `camscan serve`'s API scans and the
//! scans a fleet's hub queues for a site's agent. The one who runs the scan decides, not the one
//! who asks:
//! * only targets inside the allowed ranges are scanned (serve's `--allow-targets`, a site
//!   agent's own targets), and host names are refused (what a name resolves to is not the
//!   asker's to choose);
//! * ports are parsed as `--ports` parses them;
//! * credentials are chosen by name from the runner's configured sets; none is ever sent by the
//!   asker or back to it.

use super::ScanConfig;
use crate::discovery::targets::{AddrRange, TargetSpec, parse_spec};
use credentials::Credential;

/// Target specifications in one request.
pub const MAX_TARGETS: usize = 64;
/// The named credential set that means "send none".
pub const NO_CREDENTIALS: &str = "none";
/// The name of the scan configuration's own credentials (`--credentials`, config `credentials:`).
pub const DEFAULT_CREDENTIALS: &str = "default";

/// Why a scan is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The request is malformed (no targets, a host name, bad ports, an unknown credential set).
    Invalid(String),
    /// A target outside the allowed ranges.
    NotAllowed(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Invalid(s) | Refusal::NotAllowed(s) => f.write_str(s),
        }
    }
}

/// What scans asked by others run with.
#[derive(Debug, Clone)]
pub struct ScanRules {
    /// Who runs the scans and where the allowed ranges are set, for refusals.
    who: String,
    what: String,
    base: ScanConfig,
    allow: Vec<(String, AddrRange)>,
    credentials: Vec<(String, Vec<Credential>)>,
}

impl ScanRules {
    /// `allow`: target specifications (addresses, CIDRs, ranges). `(who, what)`: who runs the
    /// scans and what sets the allowed ranges ("this server", "--allow-targets"), for refusals.
    /// `named`: credential sets beside `none` and the base's `default`.
    pub fn new(
        base: ScanConfig,
        allow: &[String],
        (who, what): (&str, &str),
        named: Vec<(String, Vec<Credential>)>,
    ) -> Result<ScanRules, String> {
        let mut ranges = Vec::new();
        for spec in allow {
            match parse_spec(spec) {
                Ok(TargetSpec::Range(r)) => ranges.push((spec.trim().to_string(), r)),
                Ok(TargetSpec::Host(_)) => {
                    return Err(format!(
                        "{what} {spec}: give addresses, CIDRs or ranges, not host names"
                    ));
                }
                Err(e) => return Err(format!("{what}: {e}")),
            }
        }
        let mut credentials = vec![(NO_CREDENTIALS.to_string(), Vec::new())];
        if !base.credentials.is_empty() {
            credentials.push((DEFAULT_CREDENTIALS.to_string(), base.credentials.clone()));
        }
        for (name, set) in named {
            if credentials.iter().any(|(n, _)| *n == name) {
                return Err(format!("--scan-credentials: {name:?} given twice"));
            }
            credentials.push((name, set));
        }
        Ok(ScanRules {
            who: who.to_string(),
            what: what.to_string(),
            base,
            allow: ranges,
            credentials,
        })
    }

    /// The credential sets' names (never their content).
    pub fn credential_names(&self) -> Vec<String> {
        self.credentials.iter().map(|(n, _)| n.clone()).collect()
    }

    /// The set a scan asked without one runs with: the base's (`default`: the server's own
    /// `--credentials`) when it has any, else `none`.
    pub fn default_credentials(&self) -> &'static str {
        if self
            .credentials
            .iter()
            .any(|(n, _)| n == DEFAULT_CREDENTIALS)
        {
            DEFAULT_CREDENTIALS
        } else {
            NO_CREDENTIALS
        }
    }

    /// The ranges scans may target, as given.
    pub fn allowed(&self) -> Vec<String> {
        self.allow.iter().map(|(s, _)| s.clone()).collect()
    }

    /// The base's port list, as `--ports` writes it.
    pub fn ports(&self) -> String {
        self.base
            .ports
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Every configured credential (each set's, in order).
    pub fn all_credentials(&self) -> Vec<Credential> {
        self.credentials
            .iter()
            .flat_map(|(_, set)| set.iter().cloned())
            .collect()
    }

    /// Check a request against the rules: the scan configuration it runs with and the number of
    /// addresses it covers.
    pub fn plan(
        &self,
        targets: &[String],
        ports: Option<&str>,
        credentials: Option<&str>,
    ) -> Result<(ScanConfig, u64), Refusal> {
        let mut hosts: u128 = 0;
        for (spec, range) in targets.iter().zip(parse_targets(targets)?) {
            let shown = sanitize::terminal(spec);
            if !self.allow.iter().any(|(_, a)| a.covers(&range)) {
                let allowed = self.allowed();
                return Err(Refusal::NotAllowed(format!(
                    "target {shown:?} is outside what {} may scan ({}); its operator sets that \
                     with {}",
                    self.who,
                    if allowed.is_empty() {
                        "nothing".to_string()
                    } else {
                        allowed.join(", ")
                    },
                    self.what
                )));
            }
            hosts = hosts.saturating_add(range.size());
        }
        let mut cfg = self.base.clone();
        cfg.targets = targets.iter().map(|t| t.trim().to_string()).collect();
        // The allow list is the operator's decision: public ranges in it may be scanned.
        cfg.settings
            .set(&crate::discovery::targets::ALLOW_PUBLIC, true);
        if let Some(p) = ports {
            cfg.ports = parse_ports(p)?;
        }
        let name = credentials.unwrap_or(self.default_credentials());
        let Some((_, set)) = self.credentials.iter().find(|(n, _)| n == name) else {
            return Err(Refusal::Invalid(format!(
                "credentials {:?}: not a configured set (one of {})",
                sanitize::terminal(name),
                self.credential_names().join(", ")
            )));
        };
        cfg.credentials = set.clone();
        Ok((cfg, u64::try_from(hosts).unwrap_or(u64::MAX)))
    }
}

/// The request's targets as ranges: 1 to [`MAX_TARGETS`] addresses, CIDRs or ranges, no host
/// names.
fn parse_targets(targets: &[String]) -> Result<Vec<AddrRange>, Refusal> {
    if targets.is_empty() || targets.len() > MAX_TARGETS {
        return Err(Refusal::Invalid(format!(
            "targets: 1 to {MAX_TARGETS} addresses, CIDRs or ranges"
        )));
    }
    targets
        .iter()
        .map(|spec| {
            let shown = sanitize::terminal(spec);
            match parse_spec(spec) {
                Ok(TargetSpec::Range(r)) => Ok(r),
                Ok(TargetSpec::Host(_)) => Err(Refusal::Invalid(format!(
                    "target {shown:?}: give an address, a CIDR or a range, not a host name"
                ))),
                Err(e) => Err(Refusal::Invalid(format!(
                    "target {shown:?}: {}",
                    sanitize::terminal(&e.to_string())
                ))),
            }
        })
        .collect()
}

fn parse_ports(p: &str) -> Result<Vec<u16>, Refusal> {
    input::setting::ports(p).map_err(|reason| {
        // The error a scan's `--ports` gets (`Error::InvalidPorts`).
        let e = error::Error::InvalidPorts {
            spec: p.to_string(),
            reason,
        };
        Refusal::Invalid(format!("ports: {}", sanitize::terminal(&e.to_string())))
    })
}

/// The ranges a runner's own configuration covers, as others may ask it to scan: its targets
/// (host names left out: a request gives addresses), else the attached private subnets a scan
/// without targets covers.
pub fn own_ranges(cfg: &ScanConfig) -> Result<Vec<String>, String> {
    if cfg.targets.is_empty() {
        return attached(cfg);
    }
    Ok(cfg
        .targets
        .iter()
        .filter(|t| matches!(parse_spec(t), Ok(TargetSpec::Range(_))))
        .cloned()
        .collect())
}

/// The attached private subnets a scan without targets covers.
pub fn attached(cfg: &ScanConfig) -> Result<Vec<String>, String> {
    let locals = net::interfaces::list().map_err(|e| format!("listing the interfaces: {e}"))?;
    Ok(net::interfaces::plan(
        locals,
        cfg.settings.get(&net::interfaces::INTERFACE).as_deref(),
        false,
    )
    .iter()
    .filter(|n| n.scan)
    .map(|n| n.cidr())
    .collect())
}

/// Whether a request is well formed (its targets and ports), before it is queued for a runner
/// that holds it to its own rules.
pub fn well_formed(targets: &[String], ports: Option<&str>) -> Result<(), Refusal> {
    parse_targets(targets)?;
    if let Some(p) = ports {
        parse_ports(p)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(allow: &[&str]) -> ScanRules {
        let base = ScanConfig {
            ports: vec![80, 554],
            credentials: vec![Credential::new("admin", "12345")],
            ..ScanConfig::default()
        };
        let allow: Vec<String> = allow.iter().map(|s| s.to_string()).collect();
        let named = vec![("site".to_string(), vec![Credential::new("root", "pass")])];
        ScanRules::new(base, &allow, ("this server", "--allow-targets"), named).unwrap()
    }

    fn t(targets: &[&str]) -> Vec<String> {
        targets.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn only_allowed_ranges_are_scanned() {
        let r = rules(&["192.168.1.0/24", "10.0.0.5-10.0.0.9"]);
        let (cfg, hosts) = r
            .plan(&t(&["192.168.1.0/25", "10.0.0.6"]), None, None)
            .unwrap();
        assert_eq!(hosts, 126 + 1);
        assert_eq!(cfg.targets, ["192.168.1.0/25", "10.0.0.6"]);
        assert_eq!(cfg.credentials[0].username, "admin");
        for (bad, allowed) in [
            ("192.168.2.1", false),
            ("192.168.1.0/23", false),
            ("10.0.0.4-10.0.0.6", false),
            ("0.0.0.0/0", false),
            ("camera.local", true),
            ("10.0.0.300", true),
        ] {
            let e = r.plan(&t(&[bad]), None, None).unwrap_err();
            assert_eq!(matches!(e, Refusal::Invalid(_)), allowed, "{bad}: {e}");
            if !allowed {
                assert!(
                    e.to_string().contains("outside what this server may scan"),
                    "{e}"
                );
            }
        }
        assert!(matches!(r.plan(&[], None, None), Err(Refusal::Invalid(_))));
        let many = t(&vec!["10.0.0.6"; MAX_TARGETS + 1]);
        assert!(matches!(
            r.plan(&many, None, None),
            Err(Refusal::Invalid(_))
        ));
        // Well formed is the same but for the allowed ranges.
        assert_eq!(
            well_formed(&t(&["192.168.2.1", "8.8.8.8"]), Some("80")),
            Ok(())
        );
        assert!(well_formed(&t(&["camera.local"]), None).is_err());
        assert!(well_formed(&t(&["10.0.0.1"]), Some("http")).is_err());
    }

    #[test]
    fn ports_and_credentials_are_chosen_from_the_runners() {
        let r = rules(&["10.0.0.0/8"]);
        let one = t(&["10.0.0.1"]);
        assert!(matches!(
            r.plan(&one, Some("8554,rtsp"), None),
            Err(Refusal::Invalid(_))
        ));
        let (cfg, _) = r.plan(&one, Some("8554,80"), Some("site")).unwrap();
        assert_eq!(cfg.ports, [8554, 80]);
        assert_eq!(cfg.credentials[0].username, "root");
        assert!(
            r.plan(&one, None, Some(NO_CREDENTIALS))
                .unwrap()
                .0
                .credentials
                .is_empty()
        );
        assert!(matches!(
            r.plan(&one, None, Some("../etc/passwd")),
            Err(Refusal::Invalid(_))
        ));
        assert_eq!(r.credential_names(), ["none", "default", "site"]);
        assert_eq!(r.allowed(), ["10.0.0.0/8"]);
        assert_eq!(r.ports(), "80,554");
    }

    #[test]
    fn host_names_are_no_allow_list() {
        let e = ScanRules::new(
            ScanConfig::default(),
            &["nvr.example".into()],
            ("this server", "--allow-targets"),
            Vec::new(),
        )
        .err()
        .unwrap();
        assert!(e.contains("not host names"), "{e}");
    }
}
