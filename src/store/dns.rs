//! The reverse DNS cache's rows (`dns_names`): answers the scan's resolver ([`crate::net::rdns`])
//! looked up, read back by the next scan while they are young enough to trust.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::db::{Conn, params};

use crate::model::known::{NEGATIVE_TTL, POSITIVE_TTL};

pub use crate::model::known::DnsAnswer;

fn millis(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn time(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

/// Answers still within their time to live.
pub(super) fn answers(conn: &Conn) -> super::db::Result<Vec<DnsAnswer>> {
    let now = millis(SystemTime::now());
    let oldest_name = now - i64::try_from(POSITIVE_TTL.as_millis()).unwrap_or(0);
    let oldest_none = now - i64::try_from(NEGATIVE_TTL.as_millis()).unwrap_or(0);
    let mut stmt = conn.prepare(
        "SELECT ip, name, at FROM dns_names
          WHERE (name IS NOT NULL AND at > ?1) OR (name IS NULL AND at > ?2)",
    )?;
    let rows = stmt.query_map([oldest_name, oldest_none], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Option<String>>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (ip, name, at) = row?;
        // A row some other program wrote badly is skipped, not an error.
        if let Ok(ip) = ip.parse() {
            out.push((ip, name, time(at)));
        }
    }
    Ok(out)
}

/// Write new answers (replacing older ones of the same addresses) and delete what has expired.
pub(super) fn record(conn: &mut Conn, answers: &[DnsAnswer]) -> super::db::Result<()> {
    let tx = conn.transaction()?;
    {
        let mut put = tx.prepare(
            "INSERT INTO dns_names (ip, name, at) VALUES (?1, ?2, ?3)
             ON CONFLICT(ip) DO UPDATE SET name = excluded.name, at = excluded.at",
        )?;
        for (ip, name, at) in answers {
            put.execute(params![ip.to_string(), name, millis(*at)])?;
        }
    }
    let oldest = millis(SystemTime::now()) - i64::try_from(POSITIVE_TTL.as_millis()).unwrap_or(0);
    tx.execute("DELETE FROM dns_names WHERE at < ?1", [oldest])?;
    tx.commit()
}
