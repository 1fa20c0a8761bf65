//! WebRTC infrastructure a camera or video server exposes: a STUN/TURN server (a Binding request over
//! TCP and UDP, RFC 5389; its `SOFTWARE` attribute names it) and WebRTC gateway APIs that answer a
//! plain GET (Janus `/janus/info`). Reported as `webrtc` services with what they reveal.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::error::NetError;
use crate::proto::stun::{self, StunResponse};

/// The STUN/TURN port (RFC 5389 §18.4).
pub const STUN_PORT: u16 = 3478;

fn transaction_id() -> [u8; 12] {
    let mut t = [0u8; 12];
    crate::net::random_bytes(&mut t);
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
    let mut s = crate::net::connect_stream(addr, connect_timeout).await?;
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

/// What a STUN answer says about the server, for the service's `product`.
pub fn describe(r: &StunResponse) -> String {
    match &r.software {
        Some(s) => format!(
            "STUN/TURN server ({})",
            s.chars().take(128).collect::<String>()
        ),
        None => "STUN/TURN server".to_string(),
    }
}

/// Janus' `/janus/info` answer: `Janus WebRTC Server 1.1.2`.
pub fn janus_info(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    if v.get("janus")?.as_str()? != "server_info" {
        return None;
    }
    let name = v
        .get("name")
        .and_then(|n| n.as_str())
        .unwrap_or("Janus WebRTC Server");
    let version = v.get("version_string").and_then(|n| n.as_str());
    let name: String = name.chars().take(64).collect();
    Some(match version {
        Some(ver) => format!("{name} {}", ver.chars().take(32).collect::<String>()),
        None => name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn janus_info_names_the_server() {
        let body = br#"{"janus":"server_info","name":"Janus WebRTC Server","version":1102,"version_string":"1.1.2","transports":{}}"#;
        assert_eq!(
            janus_info(body).as_deref(),
            Some("Janus WebRTC Server 1.1.2")
        );
        assert_eq!(janus_info(br#"{"janus":"error"}"#), None);
        assert_eq!(janus_info(b"<html>"), None);
        assert_eq!(janus_info(br#"{"janus":7}"#), None);
    }

    #[tokio::test(start_paused = true)]
    async fn tcp_binding_gives_up_at_once_on_a_header_that_is_not_stun() {
        // Garbage whose "length" field announces 65 535 bytes that never come.
        let l = tokio::net::TcpListener::bind("127.0.0.93:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let mut buf = [0u8; 64];
            let _ = s.read(&mut buf).await;
            s.write_all(&[0xff; 20]).await.unwrap();
            tokio::time::sleep(Duration::from_secs(30)).await;
        });
        let started = tokio::time::Instant::now();
        let e = binding_tcp(addr, Duration::from_secs(1), Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("no magic cookie"), "{e}");
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "no wait for a body"
        );
    }

    #[tokio::test]
    async fn udp_binding_against_a_loopback_responder() {
        // A minimal STUN responder: echo the transaction id in a Binding success with SOFTWARE.
        let server = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        tokio::spawn(async move {
            let mut buf = [0u8; 64];
            let (n, from) = server.recv_from(&mut buf).await.unwrap();
            assert_eq!(n, 20);
            let mut reply = vec![0x01, 0x01, 0, 12, 0x21, 0x12, 0xa4, 0x42];
            reply.extend_from_slice(&buf[8..20]);
            reply.extend_from_slice(&[0x80, 0x22, 0, 7]);
            reply.extend_from_slice(b"lab-1.0\0");
            server.send_to(&reply, from).await.unwrap();
        });
        let r = binding_udp(addr, Duration::from_secs(2)).await.unwrap();
        assert_eq!(r.software.as_deref(), Some("lab-1.0"));
        assert_eq!(describe(&r), "STUN/TURN server (lab-1.0)");
    }
}
