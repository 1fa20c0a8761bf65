//! The reverse DNS cache's rows (`dns_names`): answers the scan's resolver (`net::rdns`)
//! looked up, read back by the next scan while they are young enough to trust.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::db::{Conn, params};
use super::{Store, StoreError, schema};

use model::known::{NEGATIVE_TTL, POSITIVE_TTL};

pub use model::known::DnsAnswer;

impl Store {
    /// Reverse DNS answers still within their time to live (a "no name" too), to seed the scan's
    /// resolver: a rescan asks the DNS only about addresses it has not asked lately.
    pub fn dns_answers(&self) -> Result<Vec<DnsAnswer>, StoreError> {
        answers(&self.conn).map_err(|e| self.err(e))
    }

    /// Keep the reverse DNS answers a scan looked up; expired ones go.
    pub fn record_dns(&mut self, answers: &[DnsAnswer]) -> Result<(), StoreError> {
        record(&mut self.conn, answers).map_err(|e| schema::map_err(&self.path, e))
    }
}

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

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;
    use crate::testing::{Engine, TestDb, both_engines};

    both_engines!(reverse_dns_answers_are_kept_for_their_time_to_live,);

    fn reverse_dns_answers_are_kept_for_their_time_to_live(engine: Engine) {
        use std::time::{Duration, SystemTime};
        let db = TestDb::new(engine);
        let mut store = db.open();
        let now = SystemTime::now();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        store
            .record_dns(&[
                (ip("198.18.0.11"), Some("cam1.lab".into()), now),
                (ip("198.18.0.12"), None, now - Duration::from_secs(60)),
                // "No name" for longer than its ten minutes: not given back (but kept an hour).
                (ip("198.18.0.13"), None, now - Duration::from_secs(1200)),
                // Older than any time to live: deleted.
                (
                    ip("198.18.0.14"),
                    Some("old".into()),
                    now - Duration::from_secs(7200),
                ),
            ])
            .unwrap();
        let mut got: Vec<(IpAddr, Option<String>)> = store
            .dns_answers()
            .unwrap()
            .into_iter()
            .map(|(ip, name, _)| (ip, name))
            .collect();
        got.sort();
        assert_eq!(
            got,
            [
                (ip("198.18.0.11"), Some("cam1.lab".into())),
                (ip("198.18.0.12"), None)
            ]
        );
        let rows: i64 = store
            .conn
            .query_row("SELECT COUNT(*) FROM dns_names", params![], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 3);
        // A newer answer replaces the older one.
        store.record_dns(&[(ip("198.18.0.11"), None, now)]).unwrap();
        let again = store.dns_answers().unwrap();
        assert!(
            again
                .iter()
                .any(|(i, n, _)| *i == ip("198.18.0.11") && n.is_none()),
            "{again:?}"
        );
    }
}
