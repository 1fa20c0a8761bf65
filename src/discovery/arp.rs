//! ARP liveness for on-link targets: which hosts answer at layer 2, and their MACs.
//!
//! This is the unprivileged method (`shared/CRATES.md` §3): one UDP datagram to port 9 (discard) of
//! each address makes the kernel resolve it by ARP; after a short wait the kernel's neighbour table
//! (`/proc/net/arp`) lists every host that answered, even one whose ports are all filtered. Hosts are
//! poked in chunks of [`CHUNK`] so the neighbour table (gc_thresh3, 1024 by default) never overflows.
//! A raw AF_PACKET sweep (root or CAP_NET_RAW) is the planned faster path.

use std::collections::HashSet;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::net::UdpSocket;

use crate::proto::neigh::{Neighbour, parse_proc_net_arp};

/// Hosts poked before the table is read: half the kernel's default gc_thresh3.
pub const CHUNK: usize = 512;
/// How long to wait for ARP answers after a chunk: a LAN host answers within milliseconds; the
/// kernel's first retransmission comes after 1 s, which we do not need to wait for.
pub const DEFAULT_WAIT: Duration = Duration::from_millis(800);
/// The discard port: a poke there asks for nothing.
const POKE_PORT: u16 = 9;

/// Poke every address and return the neighbours that answered, sorted by address.
pub async fn sweep(
    targets: impl Iterator<Item = Ipv4Addr>,
    wait: Duration,
) -> std::io::Result<Vec<Neighbour>> {
    let socket = UdpSocket::bind("0.0.0.0:0").await?;
    let mut found = Vec::new();
    let mut chunk: Vec<Ipv4Addr> = Vec::with_capacity(CHUNK);
    let mut targets = targets.peekable();
    while targets.peek().is_some() {
        chunk.clear();
        chunk.extend(targets.by_ref().take(CHUNK));
        for ip in &chunk {
            // Errors (EHOSTUNREACH for an address the kernel already knows is dead) are answers too.
            let _ = socket
                .send_to(b"camscan", SocketAddr::from((*ip, POKE_PORT)))
                .await;
        }
        tokio::time::sleep(wait).await;
        let wanted: HashSet<Ipv4Addr> = chunk.iter().copied().collect();
        // A procfs read does not block.
        let table = std::fs::read_to_string("/proc/net/arp")?;
        found.extend(
            parse_proc_net_arp(&table)
                .into_iter()
                .filter(|n| wanted.contains(&n.ip)),
        );
    }
    found.sort_by_key(|n| n.ip);
    found.dedup_by_key(|n| n.ip);
    Ok(found)
}
