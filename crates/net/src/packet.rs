//! A link-layer socket for ARP: `AF_PACKET`/`SOCK_DGRAM` bound to one interface and to the ARP
//! ethertype, so the kernel builds and strips the Ethernet header and delivers only ARP.
//!
//! Needs root or CAP_NET_RAW; without it [`ArpSocket::open`] fails with `PermissionDenied` and the
//! caller falls back to the unprivileged sweep. This is the crate's only `unsafe`: the libc calls
//! (`if_nametoindex`, `socket`, `bind`, `sendto`, `recv`) that std, tokio and socket2 do not offer
//! for packet sockets (socket2 has no safe `sockaddr_ll` constructor), and tokio's registration of
//! the descriptor; and one `setsockopt(IP_RECVERR)` on the ARP pokes' UDP sockets
//! ([`report_full_table`]), which socket2 does not offer either. Hand-written rather than pnet because it needs no other packet types and adds no
//! crate (`docs/design/crates.md`, "ARP: a packet socket, not pnet"). Each call's pointers come
//! from live Rust values with their exact sizes, and the descriptor is owned by an `OwnedFd` from
//! the moment it exists.

// The crate denies unsafe code; this module is the one justified exception (see above).
#![allow(unsafe_code)]

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use tokio::io::unix::AsyncFd;

use proto::arp;

/// An `AF_PACKET` socket that sends and receives ARP on one interface.
pub struct ArpSocket {
    fd: AsyncFd<OwnedFd>,
    ifindex: i32,
}

fn sockaddr(ifindex: i32, dest: Option<[u8; 6]>) -> libc::sockaddr_ll {
    // SAFETY: sockaddr_ll is a plain C struct of integers and byte arrays; all-zero is valid.
    let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    sll.sll_family = libc::AF_PACKET as u16;
    sll.sll_protocol = arp::ETHERTYPE.to_be();
    sll.sll_ifindex = ifindex;
    if let Some(mac) = dest {
        sll.sll_halen = 6;
        sll.sll_addr[..6].copy_from_slice(&mac);
    }
    sll
}

const SLL_LEN: libc::socklen_t = std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;

impl ArpSocket {
    /// Open and bind to `interface`. `PermissionDenied` without root/CAP_NET_RAW.
    pub fn open(interface: &str) -> io::Result<ArpSocket> {
        let name = std::ffi::CString::new(interface)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "interface name has NUL"))?;
        // SAFETY: `name` is a valid NUL-terminated string that outlives the call.
        let ifindex = unsafe { libc::if_nametoindex(name.as_ptr()) };
        if ifindex == 0 {
            return Err(io::Error::last_os_error());
        }
        let ifindex = i32::try_from(ifindex)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "interface index"))?;
        // SAFETY: socket(2) with constant arguments; the result is checked before use.
        let raw = unsafe {
            libc::socket(
                libc::AF_PACKET,
                libc::SOCK_DGRAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                i32::from(arp::ETHERTYPE.to_be()),
            )
        };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a descriptor we just opened and nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let sll = sockaddr(ifindex, None);
        // SAFETY: `sll` is a live sockaddr_ll and SLL_LEN is its exact size.
        let rc = unsafe {
            libc::bind(
                fd.as_raw_fd(),
                (&raw const sll).cast::<libc::sockaddr>(),
                SLL_LEN,
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(ArpSocket {
            // SAFETY: an OwnedFd always returns the same open descriptor and closes it only when
            // dropped, which happens when the AsyncFd drops it.
            fd: unsafe { AsyncFd::register(fd) }.map_err(io::Error::from)?,
            ifindex,
        })
    }

    /// Broadcast one ARP message on the interface.
    pub async fn broadcast(&self, payload: &[u8]) -> io::Result<()> {
        let sll = sockaddr(self.ifindex, Some([0xff; 6]));
        loop {
            let mut ready = self.fd.writable().await?;
            let sent = ready.try_io(|fd| {
                // SAFETY: `payload` and `sll` are live for the call and their lengths are exact.
                let n = unsafe {
                    libc::sendto(
                        fd.as_raw_fd(),
                        payload.as_ptr().cast(),
                        payload.len(),
                        0,
                        (&raw const sll).cast::<libc::sockaddr>(),
                        SLL_LEN,
                    )
                };
                if n < 0 {
                    Err(io::Error::last_os_error())
                } else {
                    Ok(())
                }
            });
            match sent {
                Ok(result) => return result,
                Err(_would_block) => continue,
            }
        }
    }

    /// Receive one ARP message into `buf`; returns its length.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let mut ready = self.fd.readable().await?;
            let got = ready.try_io(|fd| {
                // SAFETY: `buf` is a live, writable buffer of `buf.len()` bytes.
                let n =
                    unsafe { libc::recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
                if n < 0 {
                    Err(io::Error::last_os_error())
                } else {
                    Ok(n as usize)
                }
            });
            match got {
                Ok(result) => return result,
                Err(_would_block) => continue,
            }
        }
    }
}

/// Make a UDP socket's sends fail with ENOBUFS when the kernel's neighbour table has no room:
/// without IP_RECVERR the kernel drops such a datagram and reports the send as done
/// (net/ipv4/udp.c, `udp_send_skb`, counts ENOBUFS as a send-buffer error and returns 0). The
/// unprivileged ARP sweep's pokes (`camscan::discovery::arp::sweep`) and the raw sweep's question
/// to the table ([`crate::neigh::full_now`]) need to see it.
pub fn report_full_table(socket: &impl AsRawFd) {
    let on: libc::c_int = 1;
    // SAFETY: a descriptor the caller owns, a pointer to a live int and its exact size, as
    // setsockopt(2) asks; the kernel only reads them.
    let _ = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_RECVERR,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
}
