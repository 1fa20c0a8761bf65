//! The `exec=COMMAND` sink: run a command per notice, the notice's JSON (one line) on its stdin
//! and `CAMSCAN_EVENT=<kind>`, `CAMSCAN_EVENT_ID=<id>` in its environment. Exit status 0 is
//! delivered; anything else, a command that cannot start, or one still running after [`TIMEOUT`]
//! (killed, and reaped: no zombie) is a failure, retried with backoff; the error carries the
//! first line of its stderr.
//!
//! COMMAND is split into words as a POSIX shell would for quoting only (`shell-words`: '...',
//! "...", backslashes), and run directly, not through `/bin/sh -c`. So the process camscan
//! waits for and kills at the deadline is the command itself, not a shell above it (a killed
//! `sh -c` can leave its child running), and there is no second layer of expansion to surprise
//! anyone. For pipes or redirections, ask for a shell: `exec=sh -c 'jq .kind >> /var/log/cams'`.
//!
//! The command's stdout is discarded: camscan's own stdout carries results only (the `stdout`
//! sink's NDJSON). It starts in a process group of its own so a Ctrl-C meant for camscan does not
//! reach it mid-delivery.

use std::process::Stdio;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::SinkError;
use error::fmt_duration;
use store::Notice;

/// One run's deadline: 30 s, for a command that makes a network call of its own (a `curl` to a
/// chat service, `mail`) with that call's usual 10-20 s timeout, and still short enough that a
/// hung command is retried within the minute.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// Bytes of stderr kept for the error message (its first line).
const STDERR_KEEP: usize = 4096;
/// After the command exits (or is killed), how long its stderr may still take to close: a child
/// of its own that inherited the pipe must not hold the delivery up.
const STDERR_GRACE: Duration = Duration::from_millis(500);

/// A command run per notice.
pub struct Exec {
    argv: Vec<String>,
    timeout: Duration,
}

impl Exec {
    /// Split `command` into words (an error for unbalanced quotes or nothing to run); each run
    /// within `timeout` ([`TIMEOUT`] for `--notify`).
    pub fn new(command: &str, timeout: Duration) -> Result<Exec, String> {
        let argv = shell_words::split(command).map_err(|e| format!("exec `{command}`: {e}"))?;
        if argv.is_empty() {
            return Err(format!("exec `{command}`: no command"));
        }
        Ok(Exec { argv, timeout })
    }

    pub async fn deliver(&mut self, notice: &Notice) -> Result<(), SinkError> {
        let mut json = serde_json::to_vec(notice).map_err(|e| SinkError(e.to_string()))?;
        json.push(b'\n');
        self.run(
            &[
                ("CAMSCAN_EVENT", notice.kind.as_str().to_string()),
                ("CAMSCAN_EVENT_ID", notice.id.to_string()),
            ],
            &json,
        )
        .await
    }

    /// One run: `env` added to the environment, `input` on its stdin, within the deadline; Ok on
    /// exit status 0, else the error with the first line of its stderr (`watch --write-then`
    /// runs its command this way too).
    pub async fn run(&self, env: &[(&str, String)], input: &[u8]) -> Result<(), SinkError> {
        let program = &self.argv[0];
        let mut child = tokio::process::Command::new(program)
            .args(&self.argv[1..])
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0)
            // Dropped mid-run (camscan stopping): killed, and tokio reaps it.
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| SinkError(format!("exec {program}: cannot run: {e}")))?;
        let mut stdin = child.stdin.take();
        let stderr = child.stderr.take();
        let errors = tokio::spawn(async move {
            let mut kept = Vec::new();
            if let Some(s) = stderr {
                let _ = s.take(STDERR_KEEP as u64).read_to_end(&mut kept).await;
            }
            kept
        });
        let run = async {
            if let Some(mut s) = stdin.take() {
                // A command that does not read its stdin (exits first) is not a failure: its
                // exit status says how it went.
                match s.write_all(input).await {
                    Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                        tracing::debug!(program = %program, "writing the notice to stdin: {e}")
                    }
                    _ => {}
                }
                drop(s);
            }
            child.wait().await
        };
        let outcome = tokio::time::timeout(self.timeout, run).await;
        let status = match outcome {
            Ok(Ok(status)) => Ok(status),
            Ok(Err(e)) => Err(format!("exec {program}: {e}")),
            Err(_) => {
                // Kill and reap (wait) so no zombie is left; SIGKILL cannot be refused, so the
                // wait is short, but it is bounded too.
                let _ = child.start_kill();
                let _ = tokio::time::timeout(STDERR_GRACE, child.wait()).await;
                Err(format!(
                    "exec {program}: still running after {}; killed",
                    fmt_duration(self.timeout)
                ))
            }
        };
        let kept = match tokio::time::timeout(STDERR_GRACE, errors).await {
            Ok(Ok(kept)) => kept,
            _ => Vec::new(),
        };
        let first_line = String::from_utf8_lossy(&kept)
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map(|l| sanitize::terminal(l).chars().take(200).collect::<String>())
            .unwrap_or_default();
        match status {
            Ok(s) if s.success() => Ok(()),
            Ok(s) => Err(SinkError(if first_line.is_empty() {
                format!("exec {program}: {s}")
            } else {
                format!("exec {program}: {s}: {first_line}")
            })),
            Err(e) => Err(SinkError(if first_line.is_empty() {
                e
            } else {
                format!("{e}: {first_line}")
            })),
        }
    }
}

impl super::Deliver for Exec {
    fn deliver<'a>(&'a mut self, notice: &'a Notice) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(Exec::deliver(self, notice))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_split_as_a_shell_quotes() {
        let e = Exec::new(r#"/usr/bin/logger -t 'cam scan' "a \"b\"" c\ d"#, TIMEOUT).unwrap();
        assert_eq!(
            e.argv,
            ["/usr/bin/logger", "-t", "cam scan", "a \"b\"", "c d"]
        );
        assert!(Exec::new("echo 'unbalanced", TIMEOUT).is_err());
        assert!(Exec::new("   ", TIMEOUT).is_err());
    }
}
