//! What an audit asks beyond the scan, before it is recorded: each device's SNMP agent, with the
//! default communities only, read only (`GetRequest sysDescr.0`). The one part of the audit that
//! sends anything; the rules stay pure.

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
