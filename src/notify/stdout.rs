//! The `stdout` sink: one notice per line, as JSON (NDJSON), flushed at once, for a pipe into
//! `jq`, a log shipper or a supervisor's journal.

use std::io::Write;

use futures::future::BoxFuture;

use super::SinkError;
use store::Notice;

/// The `stdout` sink.
pub struct Stdout;

impl Stdout {
    pub async fn deliver(&mut self, notice: &Notice) -> Result<(), SinkError> {
        let mut line = serde_json::to_vec(notice).map_err(|e| SinkError(e.to_string()))?;
        line.push(b'\n');
        let mut out = std::io::stdout().lock();
        out.write_all(&line)
            .and_then(|_| out.flush())
            .map_err(|e| SinkError(format!("stdout: {e}")))
    }
}

impl super::Deliver for Stdout {
    fn deliver<'a>(&'a mut self, notice: &'a Notice) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(Stdout::deliver(self, notice))
    }
}
