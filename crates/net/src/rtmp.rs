//! An RTMP client connection (Adobe RTMP 1.0 §5.2; `docs/design/protocols.md`, "RTMP handshake"):
//! connect, the simple handshake (C0+C1, S0+S1+S2, C2), then chunked messages in and out under
//! deadlines. The pure codecs are [`proto::rtmp`]; detection (is this port RTMP?) and
//! analysis (which names play?) both use this.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use error::NetError;
use proto::rtmp::{self, chunk};

/// An RTMP connection after the handshake.
pub struct Conn {
    stream: TcpStream,
    reader: chunk::ChunkReader,
    addr: SocketAddr,
}

/// Connect and complete the simple handshake. `Malformed` when the peer is not RTMP.
pub async fn handshake(
    addr: SocketAddr,
    connect_timeout: Duration,
    timeout: Duration,
) -> Result<Conn, NetError> {
    let what = "RTMP handshake".to_string();
    // The handshake counts as the connection's first request; a slot of the device's gate is held
    // until it is done.
    let _slot = crate::host_gate::open(addr.ip(), crate::host_gate::Wire::Rtmp).await;
    let mut stream = crate::connect_stream(addr, connect_timeout).await?;
    let mut random = [0u8; rtmp::C1_RANDOM_LEN];
    crate::random_bytes(&mut random);
    let c0c1 = rtmp::c0c1(0, &random);
    let exchange = async {
        stream.write_all(&c0c1).await?;
        let mut s0s1 = vec![0u8; 1 + rtmp::HANDSHAKE_SIZE];
        stream.read_exact(&mut s0s1).await?;
        Ok::<_, std::io::Error>(s0s1)
    };
    let s0s1 = match tokio::time::timeout(timeout, exchange).await {
        Err(_) => {
            return Err(NetError::Timeout {
                addr,
                what,
                timeout,
            });
        }
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            return Err(NetError::Closed {
                addr,
                what,
                received: 0,
            });
        }
        Ok(Err(source)) => return Err(NetError::Io { addr, what, source }),
        Ok(Ok(b)) => b,
    };
    let hello = rtmp::check_s0s1(&s0s1).map_err(|e| NetError::Malformed {
        addr,
        what: what.clone(),
        reason: e.to_string(),
    })?;
    let finish = async {
        let mut s2 = vec![0u8; rtmp::HANDSHAKE_SIZE];
        stream.read_exact(&mut s2).await?;
        stream.write_all(&hello.c2()).await?;
        Ok::<_, std::io::Error>(())
    };
    match tokio::time::timeout(timeout, finish).await {
        Err(_) => Err(NetError::Timeout {
            addr,
            what,
            timeout,
        }),
        Ok(Err(source)) => Err(NetError::Io { addr, what, source }),
        Ok(Ok(())) => Ok(Conn {
            stream,
            reader: chunk::ChunkReader::new(),
            addr,
        }),
    }
}

impl Conn {
    /// Send one command (a request of the device's gate, [`crate::host_gate`]).
    pub async fn send(&mut self, bytes: &[u8]) -> Result<(), NetError> {
        crate::host_gate::request(self.addr.ip(), crate::host_gate::Wire::Rtmp).await;
        self.stream
            .write_all(bytes)
            .await
            .map_err(|source| NetError::Io {
                addr: self.addr,
                what: "RTMP send".into(),
                source,
            })
    }

    /// The next message before `deadline`; `Ok(None)` at the deadline.
    pub async fn next(
        &mut self,
        deadline: tokio::time::Instant,
    ) -> Result<Option<chunk::Message>, NetError> {
        let mut buf = [0u8; 16 * 1024];
        loop {
            match self.reader.next_message() {
                Ok(Some(m)) => return Ok(Some(m)),
                Ok(None) => {}
                Err(e) => {
                    return Err(NetError::Malformed {
                        addr: self.addr,
                        what: "RTMP message".into(),
                        reason: e.to_string(),
                    });
                }
            }
            match tokio::time::timeout_at(deadline, self.stream.read(&mut buf)).await {
                Err(_) => return Ok(None),
                Ok(Ok(0)) => {
                    return Err(NetError::Closed {
                        addr: self.addr,
                        what: "RTMP session".into(),
                        received: 0,
                    });
                }
                Ok(Ok(n)) => self.reader.feed(&buf[..n]),
                Ok(Err(source)) => {
                    return Err(NetError::Io {
                        addr: self.addr,
                        what: "RTMP read".into(),
                        source,
                    });
                }
            }
        }
    }
}
