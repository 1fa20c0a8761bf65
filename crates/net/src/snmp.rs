//! SNMP over UDP for `camscan audit`: one read-only `GetRequest sysDescr.0` per community, sent
//! twice (a lost datagram is normal), the first matching answer kept. Nothing is ever set.

use std::net::SocketAddr;
use std::time::Duration;

use error::NetError;
use proto::snmp::{self, SnmpReply};

/// The SNMP agent port (RFC 3417).
pub const PORT: u16 = 161;

/// Ask `addr` for sysDescr.0 with `community` within `timeout`. `Ok(None)`: no answer (most
/// devices: SNMP off, or another community), or an ICMP port unreachable.
pub async fn sys_descr(
    addr: SocketAddr,
    community: &str,
    timeout: Duration,
) -> Result<Option<SnmpReply>, NetError> {
    let what = "SNMP GetRequest";
    let io = |source| NetError::Io {
        addr,
        what: what.into(),
        source,
    };
    let local: SocketAddr = if addr.is_ipv4() {
        SocketAddr::from(([0, 0, 0, 0], 0))
    } else {
        SocketAddr::from(([0u16; 8], 0))
    };
    let sock = tokio::net::UdpSocket::bind(local).await.map_err(io)?;
    sock.connect(addr).await.map_err(io)?;
    let mut id = [0u8; 4];
    crate::random_bytes(&mut id);
    // A positive INTEGER of at most 31 bits, as agents expect.
    let id = u32::from_be_bytes(id) & 0x7fff_ffff;
    let request = snmp::get_sys_descr(community, id);
    let deadline = tokio::time::Instant::now() + timeout;
    let mut buf = [0u8; 4096];
    for attempt in 0..2u32 {
        sock.send(&request).await.map_err(io)?;
        let until = if attempt == 0 {
            (tokio::time::Instant::now() + timeout / 2).min(deadline)
        } else {
            deadline
        };
        loop {
            match tokio::time::timeout_at(until, sock.recv(&mut buf)).await {
                Err(_) => break,
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    return Ok(None);
                }
                Ok(Err(e)) => return Err(io(e)),
                Ok(Ok(n)) => {
                    if let Some(r) = snmp::parse_response(&buf[..n], id) {
                        return Ok(Some(r));
                    }
                }
            }
        }
    }
    Ok(None)
}
