//! Where camscan itself runs, as far as a scan cares: inside a container, on a bridge network
//! rather than the LAN, in Docker Desktop's or WSL 2's virtual machine, with or without the
//! privilege raw ARP needs. [`HostFacts::gather`] reads the few local files that tell (it sends
//! nothing); every verdict is a pure function of those facts and of the interface list, so each is
//! unit-tested on fixed text. The scan plan (`scan/plan.rs`) and `camscan doctor` call the same
//! functions.
//!
//! The signals, each with its source:
//!
//! * **A container.** Docker creates an empty `/.dockerenv` at the root of every container's file
//!   system (moby, `daemon/initlayer/setup_unix.go`, `InitLayer`); Podman creates
//!   `/run/.containerenv` "to indicate to programs they are running in a container" (podman-run(1),
//!   DESCRIPTION). On cgroup v1 hosts, `/proc/1/cgroup` names the container's cgroup
//!   (`/docker/<id>`, `/kubepods/...`, `/machine.slice/libpod-<id>.scope`); with a private cgroup
//!   namespace (the default on cgroup v2) it only says `0::/`, so this signal is a fallback.
//!   [`MARKERS_ENV`] (`CAMSCAN_CONTAINER_MARKERS`) replaces the marker list and turns the cgroup
//!   signal off: the tests use it to put a marker into a network namespace lab of their own.
//! * **A bridge network, not the host's.** In a container on a bridge network, its interface is one
//!   end of a veth pair whose other end is on the host's bridge (Docker docs, "Bridge network
//!   driver"); the kernel shows a link whose peer is in another namespace by `iflink` (the peer's
//!   index) differing from `ifindex` in `/sys/class/net/<if>/` (Documentation/ABI/testing/
//!   sysfs-class-net). An address in Docker's address pools says the same: the default bridge
//!   `docker0` is 172.17.0.0/16 and the other networks come from 172.17.0.0/16 to 172.31.0.0/16
//!   (one /16 each) and 192.168.0.0/16 (in /20s) (moby, `libnetwork/ipamutils/utils.go`,
//!   `localScopeDefaultNetworks`); Podman's default network is 10.88.0.0/16 (containers.conf(5),
//!   `default_subnet`). A container on the host's network (`--network host`) sees the host's own
//!   interfaces instead: physical links, whose `iflink` is their own index.
//! * **Docker Desktop.** Docker Desktop runs containers in a LinuxKit virtual machine, whose kernel
//!   names itself `...-linuxkit` in `/proc/version` (e.g. `6.10.0-linuxkit`, docker/for-mac#7402);
//!   its WSL 2 back end runs them in WSL's kernel (`...-microsoft-standard-WSL2`). The LAN is behind
//!   the VM's NAT; even its host networking "works on layer 4" and does not carry protocols below
//!   TCP and UDP (Docker docs, "Host network driver", Docker Desktop limitations).
//! * **WSL 2.** Outside a container, a WSL 2 kernel means WSL's default NAT networking: the Linux
//!   side has its own virtual network, so the LAN's multicast does not reach it (Microsoft Learn,
//!   "Accessing network applications with WSL": NAT is the default mode, mirrored is opt-in).
//! * **Raw sockets.** Root, or `CAP_NET_RAW` in the effective set (`/proc/self/status`, proc(5);
//!   capability numbers from linux/capability.h), opens the `AF_PACKET` socket raw ARP needs
//!   ([`crate::packet`]).

use std::net::Ipv4Addr;
use std::path::Path;

use super::interfaces::LocalNet;
use model::plan::Warning;

/// Files whose presence says "a container": Docker's and Podman's.
pub const MARKERS: [&str; 2] = ["/.dockerenv", "/run/.containerenv"];

/// Replaces [`MARKERS`] (a `:`-separated list of files) and turns the cgroup signal off. For the
/// tests, which give a network namespace lab a marker of its own; users have no reason to set it.
pub const MARKERS_ENV: &str = "CAMSCAN_CONTAINER_MARKERS";

/// `CAP_NET_ADMIN` (linux/capability.h): interface and multicast routing settings.
pub const CAP_NET_ADMIN: u32 = 12;
/// `CAP_NET_RAW` (linux/capability.h): `AF_PACKET` sockets, which raw ARP needs.
pub const CAP_NET_RAW: u32 = 13;

/// Which container network's address pool `ip` is in (see the module docs), and whether the
/// address alone tells a bridge: Docker's default bridge 172.17.0.0/16 and Podman's 10.88.0.0/16
/// are seldom a LAN's; Docker's other pools (172.18-31.0.0/16) are used by company LANs too, so
/// they only back up a veth.
pub fn bridge_pool(ip: Ipv4Addr) -> Option<(&'static str, bool)> {
    match ip.octets() {
        [172, 17, _, _] => Some(("Docker's default bridge 172.17.0.0/16", true)),
        [10, 88, _, _] => Some(("Podman's default network 10.88.0.0/16", true)),
        [172, 18..=31, _, _] => Some(("Docker's address pools (172.17-31.0.0/16)", false)),
        _ => None,
    }
}

/// The marker files [`MARKERS_ENV`]'s value names (`:`-separated paths), which replace the
/// usual ones (`gather`'s `given`).
pub fn markers_from(list: &str) -> Vec<String> {
    list.split(':')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

/// What the local files say, read once by [`HostFacts::gather`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostFacts {
    /// The container markers that exist.
    pub markers: Vec<String>,
    /// `/proc/1/cgroup` (`None`: not read, or replaced by [`MARKERS_ENV`]).
    pub cgroup: Option<String>,
    /// `/proc/version`.
    pub kernel: Option<String>,
    /// `/proc/self/status`.
    pub status: Option<String>,
    /// Interfaces that are one end of a pair whose peer is in another namespace (`iflink` is not
    /// `ifindex`): veth, as container bridge networks use.
    pub peered: Vec<String>,
}

impl HostFacts {
    /// Read the files the verdicts need: the container markers, `/proc/1/cgroup`, `/proc/version`,
    /// `/proc/self/status`, and `iflink`/`ifindex` of each interface in `locals`. Reads only.
    pub fn gather(locals: &[LocalNet], given: Option<&[String]>) -> HostFacts {
        let read = |p: &str| std::fs::read_to_string(p).ok();
        let (markers, cgroup) = match given {
            Some(list) => (list.to_vec(), None),
            None => (
                MARKERS.iter().map(|m| m.to_string()).collect(),
                read("/proc/1/cgroup"),
            ),
        };
        let mut peered: Vec<String> = locals
            .iter()
            .filter(|n| !n.loopback)
            .map(|n| n.interface.clone())
            .filter(|name| {
                let num = |f: &str| -> Option<u64> {
                    read(&format!("/sys/class/net/{name}/{f}"))?
                        .trim()
                        .parse()
                        .ok()
                };
                matches!((num("iflink"), num("ifindex")), (Some(a), Some(b)) if a != b)
            })
            .collect();
        peered.dedup();
        HostFacts {
            markers: markers
                .into_iter()
                .filter(|m| Path::new(m).exists())
                .collect(),
            cgroup,
            kernel: read("/proc/version"),
            status: read("/proc/self/status"),
            peered,
        }
    }
}

/// The effective capability set from `/proc/self/status` (`CapEff:` followed by 16 hex digits,
/// proc(5)); `None` when the line is missing or not hex.
pub fn cap_eff(status: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let value = line.strip_prefix("CapEff:")?;
        u64::from_str_radix(value.trim(), 16).ok()
    })
}

/// The effective user id from `/proc/self/status` (`Uid:` real, effective, saved, filesystem).
pub fn euid(status: &str) -> Option<u32> {
    let ids = status.lines().find_map(|l| l.strip_prefix("Uid:"))?;
    ids.split_whitespace().nth(1)?.parse().ok()
}

/// Whether capability number `cap` is in `mask`.
pub fn has_cap(mask: u64, cap: u32) -> bool {
    cap < 64 && mask & (1 << cap) != 0
}

/// Whether this process may open raw (`AF_PACKET`) sockets: root, or `CAP_NET_RAW` effective.
/// `None` when `/proc/self/status` says neither way.
pub fn raw_sockets(status: Option<&str>) -> Option<bool> {
    let status = status?;
    if euid(status) == Some(0) {
        return Some(true);
    }
    cap_eff(status).map(|m| has_cap(m, CAP_NET_RAW))
}

/// Why camscan thinks it runs in a container (the first signal), or `None`.
pub fn container(facts: &HostFacts) -> Option<String> {
    if let Some(m) = facts.markers.first() {
        return Some(m.clone());
    }
    let cgroup = facts.cgroup.as_deref()?;
    let hit = cgroup.lines().find_map(|line| {
        let path = line.splitn(3, ':').nth(2)?;
        ["docker", "kubepods", "libpod", "containerd"]
            .iter()
            .find(|w| path.contains(*w))
    })?;
    Some(format!("/proc/1/cgroup names {hit}"))
}

/// What says the interfaces are a container bridge's: each non-loopback interface that is one end
/// of a veth pair, or whose address is in a container network's pool ([`bridge_pool`]). Empty when any non-loopback interface
/// is neither (the host's own network, as with `--network host`) or there is none.
pub fn bridge_signals(facts: &HostFacts, locals: &[LocalNet]) -> Vec<String> {
    let mut out = Vec::new();
    let attached: Vec<&LocalNet> = locals.iter().filter(|n| !n.loopback).collect();
    for n in &attached {
        let pool = bridge_pool(n.ip);
        let veth = facts.peered.contains(&n.interface);
        // A veth alone is no sign of Docker's bridge: every network namespace, LXC and Podman
        // container (and camscan's own test lab) is on one, and multicast crosses a plain Linux
        // bridge. Only an address from Docker's pools says it (with the veth, for the pools
        // LANs use too).
        let mut why = Vec::new();
        match pool {
            Some((name, alone)) if alone || veth => {
                if veth {
                    why.push("one end of a veth pair".to_string());
                }
                why.push(format!("in {name}"));
            }
            _ => return Vec::new(),
        }
        out.push(format!("{} {}: {}", n.interface, n.cidr(), why.join(", ")));
    }
    out
}

/// The warnings about where camscan runs: `container-bridge`, `docker-desktop`, `wsl`. Each
/// message says which signals fired and what to do.
pub fn warnings(facts: &HostFacts, locals: &[LocalNet]) -> Vec<Warning> {
    let mut out = Vec::new();
    let inside = container(facts);
    let kernel = facts.kernel.as_deref().unwrap_or("");
    let linuxkit = kernel.contains("linuxkit");
    let wsl = kernel.contains("microsoft-standard-WSL2") || kernel.contains("Microsoft");
    if let Some(why) = &inside {
        let bridge = bridge_signals(facts, locals);
        if !bridge.is_empty() {
            out.push(Warning::new(
                "container-bridge",
                format!(
                    "camscan runs in a container ({why}) on a bridge network ({}): multicast and \
                     broadcast discovery (ONVIF, SSDP, mDNS, ARP, the vendor searches) reach only \
                     the bridge, not the cameras' LAN; run the container with --network host, or \
                     give the cameras' subnet as targets (port probes are routed)",
                    bridge.join("; ")
                ),
            ));
        }
    }
    if linuxkit || (wsl && inside.is_some()) {
        out.push(Warning::new(
            "docker-desktop",
            format!(
                "camscan runs in Docker Desktop's virtual machine (kernel {}): the LAN is behind \
                 the VM's NAT and even host networking carries only TCP and UDP, so ARP and \
                 multicast discovery do not reach the cameras, and its NAT relay wedges under \
                 connect bursts (connects are held to 500 a second unless --max-rate says \
                 otherwise); give targets explicitly, or run camscan natively",
                kernel_release(kernel).unwrap_or("unknown")
            ),
        ));
    } else if wsl {
        out.push(Warning::new(
            "wsl",
            format!(
                "camscan runs in WSL 2 (kernel {}): WSL's default NAT networking keeps the LAN's \
                 multicast and ARP out; give targets explicitly, switch WSL to mirrored \
                 networking, or run camscan natively",
                kernel_release(kernel).unwrap_or("unknown")
            ),
        ));
    }
    out
}

/// The release in `/proc/version` (`Linux version 6.10.0-linuxkit (...)`).
fn kernel_release(version: &str) -> Option<&str> {
    version
        .strip_prefix("Linux version ")?
        .split_whitespace()
        .next()
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::interfaces::test_net as net;

    fn codes(w: &[Warning]) -> Vec<&str> {
        w.iter().map(|w| w.code.as_str()).collect()
    }

    /// A container on Docker's default bridge: /.dockerenv, eth0 a veth in 172.17.0.0/16.
    #[test]
    fn docker_default_bridge() {
        let facts = HostFacts {
            markers: vec!["/.dockerenv".into()],
            peered: vec!["eth0".into()],
            kernel: Some("Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org)".into()),
            ..Default::default()
        };
        let locals = [net("lo", "127.0.0.1", 8), net("eth0", "172.17.0.2", 16)];
        let w = warnings(&facts, &locals);
        assert_eq!(codes(&w), ["container-bridge"]);
        assert!(w[0].message.contains("/.dockerenv"), "{}", w[0].message);
        assert!(
            w[0].message
                .contains("eth0 172.17.0.0/16: one end of a veth pair, in Docker's default bridge"),
            "{}",
            w[0].message
        );
        // The address alone (no veth seen) is a signal too; the veth alone is not (a network
        // namespace on a plain bridge, where multicast works, is on one too).
        let no_veth = HostFacts {
            peered: vec![],
            ..facts.clone()
        };
        assert_eq!(codes(&warnings(&no_veth, &locals)), ["container-bridge"]);
        let lab = [net("eth0", "198.18.0.1", 24)];
        assert!(warnings(&facts, &lab).is_empty());
        // A user-defined network from the 192.168.0.0/16 or 172.18-31 pools is not told by its
        // address (LANs use them too), only by the veth.
        assert!(warnings(&no_veth, &[net("eth0", "192.168.16.2", 20)]).is_empty());
        assert!(warnings(&no_veth, &[net("eth0", "172.20.0.5", 16)]).is_empty());
        assert_eq!(
            codes(&warnings(&facts, &[net("eth0", "172.20.0.5", 16)])),
            ["container-bridge"]
        );
    }

    /// --network host: the host's interfaces, a physical one among them: no warning.
    #[test]
    fn host_network_is_not_a_bridge() {
        let facts = HostFacts {
            markers: vec!["/.dockerenv".into()],
            peered: vec!["veth12ab".into()],
            ..Default::default()
        };
        let locals = [
            net("lo", "127.0.0.1", 8),
            net("docker0", "172.17.0.1", 16),
            net("enp3s0", "192.168.1.20", 24),
            net("veth12ab", "169.254.1.2", 16),
        ];
        assert!(bridge_signals(&facts, &locals).is_empty());
        assert!(warnings(&facts, &locals).is_empty());
        // No container at all: a veth alone (a namespace of one's own) is no warning.
        let bare = HostFacts {
            peered: vec!["eth0".into()],
            ..Default::default()
        };
        assert!(warnings(&bare, &[net("eth0", "172.17.0.2", 16)]).is_empty());
        // Only loopback: nothing to judge.
        assert!(bridge_signals(&facts, &[net("lo", "127.0.0.1", 8)]).is_empty());
    }

    #[test]
    fn container_from_markers_and_cgroup() {
        assert_eq!(container(&HostFacts::default()), None);
        let podman = HostFacts {
            markers: vec!["/run/.containerenv".into()],
            ..Default::default()
        };
        assert_eq!(container(&podman).as_deref(), Some("/run/.containerenv"));
        // cgroup v1 inside Docker, Kubernetes and Podman; cgroup v2 with its own namespace says
        // nothing.
        let cg = |text: &str| HostFacts {
            cgroup: Some(text.into()),
            ..Default::default()
        };
        assert_eq!(
            container(&cg("12:pids:/docker/3f2a9c\n11:memory:/docker/3f2a9c\n")).as_deref(),
            Some("/proc/1/cgroup names docker")
        );
        assert_eq!(
            container(&cg("4:cpu:/kubepods/besteffort/pod1/abc\n")).as_deref(),
            Some("/proc/1/cgroup names kubepods")
        );
        assert_eq!(
            container(&cg("1:name=systemd:/machine.slice/libpod-9e1.scope\n")).as_deref(),
            Some("/proc/1/cgroup names libpod")
        );
        assert_eq!(container(&cg("0::/\n")), None);
        assert_eq!(container(&cg("9:name=systemd:/\n0::/init.scope\n")), None);
        assert_eq!(container(&cg("garbage")), None);
    }

    #[test]
    fn docker_desktop_and_wsl() {
        let linuxkit = HostFacts {
            kernel: Some(
                "Linux version 6.10.0-linuxkit (root@buildkitsandbox) (gcc (Alpine 13.2.1) 13.2.1) #1 SMP"
                    .into(),
            ),
            ..Default::default()
        };
        let w = warnings(&linuxkit, &[]);
        assert_eq!(codes(&w), ["docker-desktop"]);
        assert!(w[0].message.contains("6.10.0-linuxkit"), "{}", w[0].message);
        let wsl_kernel = "Linux version 5.15.153.1-microsoft-standard-WSL2 (root@941d701f84f1) (gcc (GCC) 11.2.0)";
        let wsl = HostFacts {
            kernel: Some(wsl_kernel.into()),
            ..Default::default()
        };
        assert_eq!(codes(&warnings(&wsl, &[])), ["wsl"]);
        let desktop_wsl = HostFacts {
            markers: vec!["/.dockerenv".into()],
            ..wsl.clone()
        };
        assert_eq!(codes(&warnings(&desktop_wsl, &[])), ["docker-desktop"]);
        assert_eq!(kernel_release("nonsense"), None);
    }

    #[test]
    fn raw_socket_privilege() {
        assert_eq!(raw_sockets(None), None);
        assert_eq!(raw_sockets(Some("Name:\tx\n")), None);
        let user = "Uid:\t1000\t1000\t1000\t1000\nCapEff:\t0000000000000000\n";
        assert_eq!(raw_sockets(Some(user)), Some(false));
        let setcap = "Uid:\t1000\t1000\t1000\t1000\nCapEff:\t0000000000003000\n";
        assert_eq!(raw_sockets(Some(setcap)), Some(true));
        let root = "Uid:\t0\t0\t0\t0\nCapEff:\t0000000000000000\n";
        assert_eq!(raw_sockets(Some(root)), Some(true));
    }
}
