//! Dispatch: each open port the probes found goes to its analysis as it arrives, at most
//! `slots` ([`net::analysis_slots`]) at once. In: open ports; out: registry events, then
//! [`Msg::Analysed`] per port, [`Msg::HostProbed`] behind each address's `PortOpen`s once its
//! probes are done, and [`Msg::PortsDispatched`] after the last port handed out.

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::Msg;
use super::open_port::{analyze_port, udp_stun_events};
use crate::probe::{OpenPort, ProbeNews};
use analyze::context::ScanContext;
use registry::Event;

/// Detect and analyse each open port as it arrives, `slots` at once (each device's own load is
/// bounded by its gate, [`net::host_gate`]). Each port's analysis
/// ends with [`Msg::Analysed`]; [`Msg::PortsDispatched`] follows the last port handed out.
pub async fn dispatch(
    mut open_rx: mpsc::Receiver<ProbeNews>,
    ev_tx: mpsc::Sender<Msg>,
    ctx: ScanContext,
    (detect, slots): (bool, usize),
) {
    let pool = analyze::slot::Slots::new(slots);
    let ctx = Arc::new(ctx);
    // Hosts whose `--stun-ports` UDP Bindings were handed out (with their first open port).
    let mut stun_hosts: HashSet<IpAddr> = HashSet::new();
    while let Some(news) = open_rx.recv().await {
        let addr = match news {
            ProbeNews::Open(OpenPort { addr }) => addr,
            // Behind the address's open ports, whose `PortOpen`s were sent above.
            ProbeNews::HostDone(ip) => {
                if ev_tx.send(Msg::HostProbed(ip)).await.is_err() {
                    return;
                }
                continue;
            }
        };
        let ip = addr.ip();
        let opened = Event::PortOpen {
            ip,
            port: addr.port(),
        };
        if ev_tx.send(opened.into()).await.is_err() {
            return;
        }
        if !detect {
            let _ = ev_tx.send(Msg::Analysed(ip, None)).await;
            continue;
        }
        // This port may name the device's maker (a web fingerprint): the RTSP walks of the
        // address wait (a little) until its detection says what it speaks.
        let expected = ctx
            .identities
            .expect(ip, analyze::identity::Pending::Port(addr.port()));
        let Some(permit) = pool.take().await else {
            return;
        };
        let lend = pool.clone();
        let tx = ev_tx.clone();
        let ctx = ctx.clone();
        let udp_stun =
            !ctx.settings.get(&analyze::webrtc::STUN_PORTS).is_empty() && stun_hosts.insert(ip);
        tokio::spawn(async move {
            let udp = async {
                if udp_stun {
                    udp_stun_events(ip, &ctx).await
                } else {
                    Vec::new()
                }
            };
            // Every connect and request of this port's analysis goes through the device's gate.
            let gated = net::host_gate::scope(ctx.gates.clone(), async {
                tokio::join!(analyze_port(addr, &ctx, expected), udp)
            });
            // The slot is lent back while the analysis only waits ([`analyze::slot`]).
            let held = analyze::slot::scope(lend, permit, gated);
            let (((mut events, udp), permit), timing) = timing::port(addr.port(), held).await;
            events.extend(udp);
            for ev in events {
                if tx.send(ev.into()).await.is_err() {
                    break;
                }
            }
            // After this port's events, on the same channel: the collector sees them first.
            let _ = tx.send(Msg::Analysed(ip, Some(timing))).await;
            drop(permit);
        });
    }
    let _ = ev_tx.send(Msg::PortsDispatched).await;
    pool.all().await;
}
