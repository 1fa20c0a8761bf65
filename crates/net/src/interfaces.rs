//! The machine's IPv4 interfaces and which attached subnets a scan without targets covers.
//!
//! `camscan scan` with no target scans the directly attached *private* subnets, at most a /22 per
//! interface unless `--allow-large`; `camscan interfaces` shows the plan without sending anything.
//! Listing is OS work (if-addrs, /sys); the plan is a pure function, tested on fixtures.

/// Largest attached subnet scanned without `--allow-large`: a /22 (1022 hosts).
pub const MAX_AUTO_PREFIX: u8 = 22;

pub use model::local_net::LocalNet;

use input::setting::Repeat;

/// Every IPv4 address of every interface that is up.
pub fn list() -> std::io::Result<Vec<LocalNet>> {
    let mut out = Vec::new();
    for i in if_addrs::get_if_addrs()? {
        let if_addrs::IfAddr::V4(v4) = &i.addr else {
            continue;
        };
        if !i.is_oper_up() && !i.is_loopback() {
            continue;
        }
        out.push(LocalNet {
            mac: std::fs::read_to_string(format!("/sys/class/net/{}/address", i.name))
                .ok()
                .map(|m| m.trim().to_string())
                .filter(|m| !m.is_empty() && m != "00:00:00:00:00:00"),
            interface: i.name.clone(),
            ip: v4.ip,
            prefix: v4.prefixlen,
            loopback: i.is_loopback(),
            scan: false,
            reason: None,
        });
    }
    out.sort_by(|a, b| (&a.interface, a.ip).cmp(&(&b.interface, b.ip)));
    Ok(out)
}

/// `--interface`: with no targets, scan only this interface's subnets.
pub static INTERFACE: input::setting::Setting<Option<String>> = input::setting::Setting {
    key: "interface",
    flag: "--interface",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_INTERFACE",
    value_name: "NAME",
    help: "With no targets, scan only this interface's subnets",
    default: None,
    choices: None,
    parse: interface_name,
};

/// `camscan interfaces`' settings, in `--help`'s order: which interfaces it lists and how it
/// plans them (as [`plan`] reads them).
pub static LISTING: &[&dyn input::setting::Declared] = &[&LIST_ONLY, &LIST_LARGE];

/// `interfaces --interface`: only this interface.
pub static LIST_ONLY: input::setting::Setting<Option<String>> = input::setting::Setting {
    key: "interface",
    flag: "--interface",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_INTERFACE",
    value_name: "NAME",
    help: "Only this interface",
    default: None,
    choices: None,
    parse: interface_name,
};

/// `interfaces --allow-large`: plan larger subnets too.
pub static LIST_LARGE: input::setting::Setting<bool> = input::setting::Setting {
    key: "allow_large",
    flag: "--allow-large",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_ALLOW_LARGE",
    value_name: input::setting::SWITCH,
    help: "Plan subnets larger than a /22 too",
    default: false,
    choices: None,
    parse: input::setting::switch,
};

/// An interface's name, not empty.
fn interface_name(t: &str) -> Result<Option<String>, String> {
    match t.trim() {
        "" => Err("names no interface".into()),
        name => Ok(Some(name.to_string())),
    }
}

/// Decide which subnets a target-less scan covers: private (RFC 1918, CGN, benchmarking) subnets of
/// non-loopback interfaces, at most a /22 unless `allow_large`, only `only` when given.
pub fn plan(mut nets: Vec<LocalNet>, only: Option<&str>, allow_large: bool) -> Vec<LocalNet> {
    for n in &mut nets {
        let o = n.ip.octets();
        let private = n.ip.is_private()
            || (o[0] == 100 && (64..128).contains(&o[1]))
            || (o[0] == 198 && (o[1] == 18 || o[1] == 19));
        n.reason = if only.is_some_and(|name| name != n.interface) {
            Some("not the --interface asked for".into())
        } else if n.loopback {
            Some("loopback".into())
        } else if !private {
            Some("not a private network".into())
        } else if n.prefix < MAX_AUTO_PREFIX && !allow_large {
            Some(format!(
                "larger than /{MAX_AUTO_PREFIX}; pass --allow-large"
            ))
        } else if n.prefix > 30 {
            Some("point-to-point or single address".into())
        } else {
            None
        };
        n.scan = n.reason.is_none();
    }
    nets
}

/// A local network for unit tests: `name` (`lo` is the loopback), `ip`/`prefix`, a fixed MAC.
#[cfg(test)]
pub(crate) fn test_net(name: &str, ip: &str, prefix: u8) -> LocalNet {
    LocalNet {
        interface: name.into(),
        ip: ip.parse().unwrap(),
        prefix,
        mac: Some("02:00:00:00:00:01".into()),
        loopback: name == "lo",
        scan: false,
        reason: None,
    }
}

#[cfg(test)]
mod tests {
    use super::test_net as net;
    use super::*;

    #[test]
    fn plans_private_attached_subnets_only() {
        let p = plan(
            vec![
                net("lo", "127.0.0.1", 8),
                net("eth0", "192.168.1.20", 24),
                net("eth1", "10.0.0.5", 8),
                net("wan", "203.0.113.7", 24),
                net("lab", "198.18.0.1", 24),
                net("tun0", "10.9.0.2", 32),
            ],
            None,
            false,
        );
        let scanned: Vec<String> = p.iter().filter(|n| n.scan).map(|n| n.cidr()).collect();
        assert_eq!(scanned, ["192.168.1.0/24", "198.18.0.0/24"]);
        let why = |name: &str| {
            p.iter()
                .find(|n| n.interface == name)
                .unwrap()
                .reason
                .clone()
                .unwrap()
        };
        assert!(why("eth1").contains("--allow-large"));
        assert_eq!(why("wan"), "not a private network");
        assert_eq!(why("lo"), "loopback");
        let p = plan(vec![net("eth1", "10.0.0.5", 8)], None, true);
        assert!(p[0].scan);
    }

    #[test]
    fn interface_filter() {
        let p = plan(
            vec![
                net("eth0", "192.168.1.20", 24),
                net("lab", "198.18.0.1", 24),
            ],
            Some("lab"),
            false,
        );
        assert_eq!(
            p.iter()
                .filter(|n| n.scan)
                .map(|n| n.interface.as_str())
                .collect::<Vec<_>>(),
            ["lab"]
        );
    }

    #[test]
    fn membership() {
        let n = net("eth0", "192.168.1.20", 24);
        assert!(n.contains("192.168.1.200".parse().unwrap()));
        assert!(!n.contains("192.168.2.1".parse().unwrap()));
        assert_eq!(n.network().to_string(), "192.168.1.0");
    }
}
