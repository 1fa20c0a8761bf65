//! STUN Binding requests (RFC 5389/8489) over TCP and UDP, under deadlines: what detection asks a
//! port that may be a STUN/TURN server, and what analysis asks its UDP side. The message codec is
//! the pure [`proto::stun`].

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use error::NetError;
use proto::stun::{self, StunResponse};

fn transaction_id() -> [u8; 12] {
    let mut t = [0u8; 12];
    crate::random_bytes(&mut t);
    t
}

fn malformed(addr: SocketAddr, what: &str, e: impl std::fmt::Display) -> NetError {
    NetError::Malformed {
        addr,
        what: what.into(),
        reason: e.to_string(),
    }
}

/// A STUN Binding over TCP (RFC 5389 §7.2.2: same framing, the length field bounds the message).
pub async fn binding_tcp(
    addr: SocketAddr,
    connect_timeout: Duration,
    timeout: Duration,
) -> Result<StunResponse, NetError> {
    let what = "STUN Binding (TCP)";
    let _slot = crate::host_gate::open(addr.ip(), crate::host_gate::Wire::Other).await;
    let mut s = crate::connect_stream(addr, connect_timeout).await?;
    let tid = transaction_id();
    let exchange = async {
        s.write_all(&stun::binding_request(tid)).await?;
        let mut head = [0u8; 20];
        s.read_exact(&mut head).await?;
        // Not a STUN header (RFC 8489 §5: two zero bits, the magic cookie): do not wait for the
        // body its length field would announce.
        if head[0] & 0xc0 != 0 || head[4..8] != stun::MAGIC_COOKIE.to_be_bytes() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "not a STUN message (no magic cookie)",
            ));
        }
        let len = usize::from(u16::from_be_bytes([head[2], head[3]]));
        // A STUN message over TCP is at most 64 KiB + header by its length field.
        let mut msg = head.to_vec();
        msg.resize(20 + len, 0);
        s.read_exact(&mut msg[20..]).await?;
        Ok::<_, std::io::Error>(msg)
    };
    let msg = match tokio::time::timeout(timeout, exchange).await {
        Err(_) => {
            return Err(NetError::Timeout {
                addr,
                what: what.into(),
                timeout,
            });
        }
        Ok(Err(source)) => {
            return Err(NetError::Io {
                addr,
                what: what.into(),
                source,
            });
        }
        Ok(Ok(m)) => m,
    };
    stun::parse_response(&msg, &tid).map_err(|e| malformed(addr, what, e))
}

/// A STUN Binding over UDP: sent twice (a lost datagram is normal), first valid answer wins.
pub async fn binding_udp(addr: SocketAddr, timeout: Duration) -> Result<StunResponse, NetError> {
    let what = "STUN Binding (UDP)";
    let io = |source| NetError::Io {
        addr,
        what: what.into(),
        source,
    };
    let local: SocketAddr = if addr.is_ipv4() {
        "0.0.0.0:0".parse().unwrap_or_else(|_| unreachable!())
    } else {
        "[::]:0".parse().unwrap_or_else(|_| unreachable!())
    };
    let sock = tokio::net::UdpSocket::bind(local).await.map_err(io)?;
    sock.connect(addr).await.map_err(io)?;
    let tid = transaction_id();
    let req = stun::binding_request(tid);
    let deadline = tokio::time::Instant::now() + timeout;
    let mut buf = [0u8; 2048];
    for attempt in 0..2u32 {
        sock.send(&req).await.map_err(io)?;
        let wait = tokio::time::Instant::now() + timeout / 2;
        let until = if attempt == 0 {
            wait.min(deadline)
        } else {
            deadline
        };
        loop {
            match tokio::time::timeout_at(until, sock.recv(&mut buf)).await {
                Err(_) => break,
                // ICMP port unreachable: nothing listens there.
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    return Err(NetError::Connect { addr, source: e });
                }
                Ok(Err(e)) => return Err(io(e)),
                Ok(Ok(n)) => {
                    if let Ok(r) = stun::parse_response(&buf[..n], &tid) {
                        return Ok(r);
                    }
                }
            }
        }
    }
    Err(NetError::Timeout {
        addr,
        what: what.into(),
        timeout,
    })
}
