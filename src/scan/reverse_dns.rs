//! Names: the reverse DNS name of every address the scan finds. The collector hands this stage each
//! address the first time an event names it (until discovery is done: later events only concern
//! addresses already known); each lookup goes through the run's [`Resolver`] (one lookup per
//! address, cached, with a deadline) and its answer comes back as an [`Event::Name`], followed by
//! [`Msg::Analysed`] so the device is not final before its name is known.

use std::net::IpAddr;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::Msg;
use crate::model::{DeviceName, NameKind};
use crate::net::rdns::Resolver;
use crate::registry::Event;

/// Look up every address that arrives on `ips` until it closes, then wait for the last answers.
pub async fn name_hosts(
    resolver: Arc<Resolver>,
    mut ips: mpsc::UnboundedReceiver<IpAddr>,
    tx: mpsc::Sender<Msg>,
) {
    let mut lookups = JoinSet::new();
    loop {
        tokio::select! {
            ip = ips.recv() => match ip {
                Some(ip) => {
                    let (resolver, tx) = (resolver.clone(), tx.clone());
                    lookups.spawn(async move {
                        if let Some(name) = resolver.name(ip).await.name() {
                            let name = DeviceName {
                                name: name.to_string(),
                                kind: NameKind::Host,
                                source: "dns".into(),
                            };
                            let _ = tx.send(Msg::Event(Event::Name { ip, name })).await;
                        }
                        let _ = tx.send(Msg::Analysed(ip, None)).await;
                    });
                }
                None => break,
            },
            Some(_) = lookups.join_next(), if !lookups.is_empty() => {}
        }
    }
    while lookups.join_next().await.is_some() {}
    tracing::debug!(lookups = resolver.lookups(), "reverse DNS finished");
}
