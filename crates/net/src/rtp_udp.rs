//! RTP over UDP for the PLAY check on the connection that found a stream
//! (`analyze::rtsp::play`): a pair of sockets (RTP on an even port, RTCP on the next, RFC 3550
//! §11) and the reading of what the server sends.
//!
//! Why not retina's UDP: retina `connect()`s its RTP socket to the SETUP answer's `server_port`,
//! so the kernel drops RTP that comes from any other port. rtsp-rs 0.1 (PyPI) answers SETUP with
//! `server_port=5000-5001` and sends its RTP from another, ephemeral port; ffmpeg and VLC play it,
//! as they take RTP from the server's address. So does this reader: any port of the server's
//! address (or of the `source=` the SETUP answer names, RFC 2326 §12.39).

use std::net::{IpAddr, SocketAddr};

use tokio::net::UdpSocket;

/// Tries at finding an even port whose next port is free too.
const PAIR_TRIES: usize = 16;

/// The two sockets a UDP SETUP offers as `client_port=RTP-RTCP`.
pub struct RtpPair {
    rtp: UdpSocket,
    /// Held so that the server's RTCP to the next port finds a socket (no ICMP unreachable).
    _rtcp: UdpSocket,
}

impl RtpPair {
    /// Bind RTP to an even port of `local` (the RTSP connection's own address) and RTCP to the
    /// next one.
    pub async fn bind(local: IpAddr) -> std::io::Result<RtpPair> {
        let mut last = std::io::Error::other("no port pair free");
        for _ in 0..PAIR_TRIES {
            let rtp = UdpSocket::bind(SocketAddr::new(local, 0)).await?;
            let port = rtp.local_addr()?.port();
            if port % 2 != 0 || port == u16::MAX {
                continue;
            }
            match UdpSocket::bind(SocketAddr::new(local, port + 1)).await {
                Ok(rtcp) => return Ok(RtpPair { rtp, _rtcp: rtcp }),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// The RTP port (RTCP is the next one).
    pub fn port(&self) -> u16 {
        self.rtp.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// The next datagram from `server`'s address, whatever its port, until `deadline` (`None`
    /// then); datagrams from other addresses are dropped. `buf` holds it; its length is returned.
    pub async fn recv_from(
        &self,
        server: IpAddr,
        buf: &mut [u8],
        deadline: tokio::time::Instant,
    ) -> Option<std::io::Result<usize>> {
        loop {
            match tokio::time::timeout_at(deadline, self.rtp.recv_from(buf)).await {
                Err(_) => return None,
                Ok(Err(e)) => return Some(Err(e)),
                Ok(Ok((n, from))) if same_host(from.ip(), server) => return Some(Ok(n)),
                Ok(Ok(_)) => {}
            }
        }
    }
}

/// The same host, an IPv4 address and its IPv4-mapped IPv6 form alike.
fn same_host(a: IpAddr, b: IpAddr) -> bool {
    a.to_canonical() == b.to_canonical()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// rtsp-rs' manner: RTP from a port that is not the one its SETUP answer named. Read; RTP from
    /// another address is not.
    #[tokio::test]
    async fn rtp_from_any_port_of_the_server() {
        let pair = RtpPair::bind("127.0.0.1".parse().unwrap()).await.unwrap();
        assert_eq!(pair.port() % 2, 0);
        let to = SocketAddr::new("127.0.0.1".parse().unwrap(), pair.port());
        let elsewhere = UdpSocket::bind("127.0.0.2:0").await.unwrap();
        elsewhere.send_to(b"other host", to).await.unwrap();
        let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        server.send_to(b"rtp", to).await.unwrap();
        let mut buf = [0u8; 64];
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(2);
        let n = pair
            .recv_from("127.0.0.1".parse().unwrap(), &mut buf, deadline)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&buf[..n], b"rtp");
        let soon = tokio::time::Instant::now() + std::time::Duration::from_millis(100);
        assert!(
            pair.recv_from("127.0.0.1".parse().unwrap(), &mut buf, soon)
                .await
                .is_none()
        );
    }
}
