//! What an audit asks beyond the scan, before it is recorded: each device's SNMP agent, with the
//! default communities only, read only (`GetRequest sysDescr.0`), and each TLS port whether it
//! would agree to TLS 1.1 or older (one ClientHello, then the connection is closed). The one part
//! of the audit that sends anything; the rules stay pure.

use std::time::Duration;

use crate::model::{Report, SnmpInfo};

/// The communities asked: Net-SNMP's and most makers' factory defaults (CISA TA17-156A).
pub const COMMUNITIES: [&str; 2] = ["public", "private"];

/// Longest wait for an agent: they answer in milliseconds; a silent device (SNMP off, UDP
/// dropped) costs this once, every device and community asked side by side.
pub const SNMP_WAIT: Duration = Duration::from_millis(1500);

/// Devices asked at once.
const AT_ONCE: usize = 64;

/// The communities a device answered, each with the sysDescr it gave.
type Answers = Vec<(String, Option<String>)>;

/// Ask every device of `report` for sysDescr.0 with each default community; a device that
/// answers gets `snmp`.
pub async fn snmp(report: &mut Report, wait: Duration) {
    use futures::StreamExt;
    let asked: Vec<(usize, Answers)> = futures::stream::iter(report.devices.iter().enumerate())
        .map(|(i, d)| {
            let addr = std::net::SocketAddr::new(d.ip, crate::net::snmp::PORT);
            async move {
                let answers = futures::future::join_all(COMMUNITIES.iter().map(|c| async move {
                    match crate::net::snmp::sys_descr(addr, c, wait).await {
                        Ok(Some(r)) if r.error_status == 0 => Some((c.to_string(), r.sys_descr)),
                        Ok(_) => None,
                        Err(e) => {
                            tracing::debug!(%addr, "SNMP: {e}");
                            None
                        }
                    }
                }))
                .await;
                (i, answers.into_iter().flatten().collect())
            }
        })
        .buffer_unordered(AT_ONCE)
        .collect()
        .await;
    for (i, answers) in asked {
        if answers.is_empty() {
            continue;
        }
        if let Some(d) = report.devices.get_mut(i) {
            d.snmp = Some(SnmpInfo {
                sys_descr: answers.iter().find_map(|(_, s)| s.clone()),
                communities: answers.into_iter().map(|(c, _)| c).collect(),
            });
        }
    }
}

/// Ask every TLS port (a service with `tls`, or a port where camscan tries TLS first) whether it
/// agrees to TLS 1.1 or older; a port that does gets `tls_legacy`.
pub async fn tls_legacy(report: &mut Report, connect_timeout: Duration, timeout: Duration) {
    use crate::proto::tls_hello::{HelloAnswer, TLS11, version_name};
    use futures::StreamExt;
    let ports: Vec<(usize, usize, std::net::SocketAddr)> = report
        .devices
        .iter()
        .enumerate()
        .flat_map(|(i, d)| {
            d.services.iter().enumerate().filter_map(move |(j, s)| {
                let tls = s.tls.is_some() || crate::detect::TLS_PORTS.contains(&s.port);
                (tls && s.transport == crate::model::Transport::Tcp)
                    .then(|| (i, j, std::net::SocketAddr::new(d.ip, s.port)))
            })
        })
        .collect();
    let answers: Vec<(usize, usize, Option<String>)> = futures::stream::iter(ports)
        .map(|(i, j, addr)| async move {
            let got = crate::net::tls::legacy_hello(addr, connect_timeout, timeout).await;
            let legacy = match got {
                Ok(Some(HelloAnswer::Agreed(v))) if v <= TLS11 => Some(version_name(v)),
                Ok(_) => None,
                Err(e) => {
                    tracing::debug!(%addr, "TLS 1.1 hello: {e}");
                    None
                }
            };
            (i, j, legacy)
        })
        .buffer_unordered(AT_ONCE)
        .collect()
        .await;
    for (i, j, legacy) in answers {
        if let Some(s) = report
            .devices
            .get_mut(i)
            .and_then(|d| d.services.get_mut(j))
        {
            s.tls_legacy = legacy;
        }
    }
}
