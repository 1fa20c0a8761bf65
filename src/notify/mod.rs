//! Notifications of `camscan watch`: each `--notify` sink receives the inventory's events
//! ([`Notice`](store::Notice)) from the store's outbox, in order, at least once, across restarts.
//!
//! The store writes an event before any sink hears of it; [`deliver`] runs one task per sink that
//! reads the events after the sink's cursor, hands them to the sink one at a time, and moves the
//! cursor only when the sink has taken it. A sink that fails (a broker down, a webhook answering
//! 500 or hanging) is retried with exponential backoff and jitter, for as long as it takes; its
//! events wait in the store meanwhile, across restarts, up to the outbox cap. A sink never holds
//! up another. Each sink attempt has its own deadline (the sink's; [`Sink::deliver`]).
//!
//! Sinks: `stdout` (NDJSON, the default), `webhook=URL` ([`webhook`]), `exec=COMMAND`
//! ([`exec`]), `mqtt=mqtt://HOST[:PORT]/TOPIC` ([`mqtt`]), each registered once in [`SINKS`]
//! (its form, help, value check, own options, constructor, doctor check and where its value may
//! hold a secret: [`SinkDef`]; its options: [`options`]). Each is a small struct with one `deliver(&Notice)` ([`Deliver`]); nothing
//! here parses bytes from a device (a notice is the store's own JSON, and what a webhook, command
//! or broker answers is only ever a status), so nothing here is fuzzed.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, watch};

use input::setting::Settings;
use model::sync::lock;
use store::SharedStore;
use store::StoreError;

pub mod exec;
pub mod mqtt;
pub mod options;
mod sink;
mod stdout;
pub mod webhook;

pub use options::{NOTIFY, SETTINGS};
pub use sink::{Deliver, DoctorCheck, Secret, Sink, SinkDef, SinkSpec, sink_named};

/// Events kept for a sink that is down, by default: at 200 cameras, days of ordinary events
/// (`watch`'s `--outbox-cap`; `doctor` reads it too).
pub const DEFAULT_OUTBOX_CAP: i64 = 10_000;

/// Retry delays of a failing sink: from [`BACKOFF_MIN`] doubling to [`BACKOFF_MAX`], each with up
/// to half again of random jitter (so sinks that fail together do not retry together).
pub const BACKOFF_MIN: Duration = Duration::from_millis(500);
pub const BACKOFF_MAX: Duration = Duration::from_secs(60);
/// Events read from the outbox at a time.
const BATCH: i64 = 100;
/// A sink with nothing to do looks at the outbox this often even without a wake-up (events
/// another camscan process wrote to the same store).
const IDLE_POLL: Duration = Duration::from_secs(30);

/// Every notification sink, in the order help texts list them; the first is the default. One
/// entry per sink, and everything else derives from it ([`SinkDef`] says what). Adding a sink is
/// its file here (implementing [`Deliver`]) and its entry below.
pub static SINKS: &[SinkDef] = &[
    SinkDef {
        syntax: "stdout",
        help: "NDJSON, the default",
        parse: |_| Ok(()),
        options: &[],
        make: |_, _| Ok(Sink::of(stdout::Stdout)),
        doctor: DoctorCheck::Nothing("NDJSON on standard output"),
        secret: Secret::None,
    },
    SinkDef {
        syntax: "webhook=URL",
        help: "an HTTP(S) POST of each event's JSON",
        parse: |value| {
            let u = url::Url::parse(value).map_err(|e| format!("`{value}`: {e}"))?;
            if !matches!(u.scheme(), "http" | "https") {
                return Err(format!("`{value}`: a webhook URL is http:// or https://"));
            }
            Ok(())
        },
        options: &[&webhook::SECRET_FILE],
        make: |url, options| {
            Ok(Sink::of(webhook::Webhook::new(
                url,
                options.webhook_secret.clone(),
                webhook::TIMEOUT,
            )?))
        },
        doctor: DoctorCheck::Connect { default_port: None },
        secret: Secret::Url,
    },
    SinkDef {
        syntax: "exec=COMMAND",
        help: "run per event, its JSON on stdin",
        parse: |_| Ok(()),
        options: &[],
        make: |command, _| Ok(Sink::of(exec::Exec::new(command, exec::TIMEOUT)?)),
        doctor: DoctorCheck::Program,
        secret: Secret::None,
    },
    SinkDef {
        syntax: "mqtt=mqtt://HOST[:PORT]/TOPIC",
        help: "MQTT 3.1.1 publishes and retained states",
        parse: |value| {
            let u = url::Url::parse(value).map_err(|e| format!("`{value}`: {e}"))?;
            if u.scheme() != "mqtt" || u.host_str().is_none() {
                return Err(format!("`{value}`: expected mqtt://HOST[:PORT]/TOPIC"));
            }
            Ok(())
        },
        options: &[&mqtt::HA_DISCOVERY],
        make: |url, options| {
            Ok(Sink::of(mqtt::Mqtt::new(
                url,
                options.values.get(&mqtt::HA_DISCOVERY),
                mqtt::TIMEOUT,
            )?))
        },
        doctor: DoctorCheck::Connect {
            default_port: Some(mqtt::DEFAULT_PORT),
        },
        secret: Secret::UrlParts,
    },
];

/// The forms of a `--notify` value ([`SinkDef::syntax`]), in [`SINKS`]' order.
pub fn sink_forms() -> Vec<&'static str> {
    SINKS.iter().map(|d| d.syntax).collect()
}

/// The forms as a sentence: `stdout, webhook=URL, exec=COMMAND or mqtt=...` (the parser's error,
/// `camscan doctor`'s fix).
pub fn sink_syntax() -> String {
    or_list(&sink_forms())
}

/// The forms for a help text: `` `stdout`, `webhook=URL`, ... ``, each with what it does when
/// `described` (`` `stdout` (NDJSON, the default), ... ``).
pub fn sink_list(described: bool) -> String {
    SINKS
        .iter()
        .map(|d| {
            if described {
                format!("`{}` ({})", d.syntax, d.help)
            } else {
                format!("`{}`", d.syntax)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where a help text lists every sink's form ([`expand_help`]): `` `stdout`, `webhook=URL`, ... ``.
pub const FORMS_MARK: &str = "{sinks}";

/// Where a help text lists every sink's form with what it does ([`expand_help`]).
pub const DESCRIBED_MARK: &str = "{sinks, described}";

/// `line` with [`FORMS_MARK`] and [`DESCRIBED_MARK`] written out from [`SINKS`] (the entrance
/// passes every help line through it), so a new sink is in every help at once.
pub fn expand_help(line: &str) -> std::borrow::Cow<'_, str> {
    if !line.contains("{sinks") {
        return std::borrow::Cow::Borrowed(line);
    }
    std::borrow::Cow::Owned(
        line.replace(DESCRIBED_MARK, &sink_list(true))
            .replace(FORMS_MARK, &sink_list(false)),
    )
}

/// `a, b, c or d`.
fn or_list(items: &[&str]) -> String {
    match items.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => last.to_string(),
        None => String::new(),
    }
}

/// Why a sink did not take a notice (one line; it is retried).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SinkError(pub String);

/// What the sinks are made with beyond their specification: their own options' values
/// ([`options`]: `--webhook-secret-file`, `--ha-discovery`), and the webhook secret read once
/// from the first (or CAMSCAN_WEBHOOK_SECRET).
#[derive(Clone, Default)]
pub struct SinkOptions {
    /// The sinks' own options, resolved (flag, else the config file's `watch:` key): each sink's
    /// `make` reads its own.
    pub values: Settings,
    /// Signs every webhook body (HMAC-SHA256, `X-Camscan-Signature`); `None`: unsigned.
    pub webhook_secret: Option<Vec<u8>>,
}

/// The name of the variable that may hold the webhook secret (never the command line: argv is
/// visible to every local user in `ps`).
pub const WEBHOOK_SECRET_ENV: &str = "CAMSCAN_WEBHOOK_SECRET";

impl std::fmt::Debug for SinkOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SinkOptions")
            .field("values", &self.values)
            .field(
                "webhook_secret",
                &self.webhook_secret.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl SinkOptions {
    /// The sinks' options `values`, and the webhook secret from the file of
    /// `--webhook-secret-file` ([`webhook::SECRET_FILE`]) or the variable
    /// ([`SinkOptions::from_env_and_file`]; `from_env`: its value, as the entrance read it).
    pub fn new(values: Settings, from_env: Option<&[u8]>) -> Result<SinkOptions, String> {
        let mut options =
            SinkOptions::from_env_and_file(values.get(&webhook::SECRET_FILE).as_deref(), from_env)?;
        options.values = values;
        Ok(options)
    }

    /// The webhook secret from `file` (`--webhook-secret-file`) when given, else from
    /// [`WEBHOOK_SECRET_ENV`]'s value `from_env`; one final newline (`\n` or `\r\n`, as an editor or `echo` leaves)
    /// is not part of it. An empty secret is an error, not "unsigned". No option values: the
    /// caller sets them ([`SinkOptions::new`]).
    pub fn from_env_and_file(
        file: Option<&Path>,
        from_env: Option<&[u8]>,
    ) -> Result<SinkOptions, String> {
        let raw = match file {
            Some(path) => {
                let bytes = std::fs::read(path)
                    .map_err(|e| format!("--webhook-secret-file {}: {e}", path.display()))?;
                secret_file_permissions(path);
                Some((bytes, format!("--webhook-secret-file {}", path.display())))
            }
            None => from_env.map(|v| (v.to_vec(), WEBHOOK_SECRET_ENV.to_string())),
        };
        let webhook_secret = match raw {
            None => None,
            Some((mut bytes, from)) => {
                if bytes.ends_with(b"\n") {
                    bytes.pop();
                    if bytes.ends_with(b"\r") {
                        bytes.pop();
                    }
                }
                if bytes.is_empty() {
                    return Err(format!("{from}: the webhook secret is empty"));
                }
                Some(bytes)
            }
        };
        Ok(SinkOptions {
            values: Settings::default(),
            webhook_secret,
        })
    }
}

/// Warn when the secret file is readable by others (as ssh does for a private key).
fn secret_file_permissions(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(m) = std::fs::metadata(path)
        && m.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(
            file = %path.display(),
            mode = format_args!("{:o}", m.permissions().mode() & 0o777),
            "the webhook secret file is readable by other users (chmod 600 it)"
        );
    }
}

/// Lower-case hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// What [`deliver`] reports as it goes (for metrics and logs).
#[derive(Debug, Clone, Copy, Default)]
pub struct SinkStats {
    pub delivered: u64,
    pub failures: u64,
    pub dropped: u64,
    pub depth: i64,
}

/// Run `sink` (cursor `name`) until `stop` turns true: deliver the outbox's events after its
/// cursor in order, waiting on `wake` when there are none. A failed delivery is retried with
/// backoff; the cursor moves only after a delivery, so a stop mid-delivery sends that event again
/// next time. `stats` is updated after each step.
pub async fn deliver(
    store: SharedStore,
    name: String,
    mut sink: Sink,
    cap: i64,
    wake: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
    stats: Arc<Mutex<SinkStats>>,
) -> Result<(), StoreError> {
    store
        .run({
            let name = name.clone();
            move |s| s.sink_cursor(&name).map(|_| ())
        })
        .await?;
    let shown = shown_name(&name);
    let mut failures = 0u32;
    while !*stop.borrow() {
        let (batch, skipped) = store
            .run({
                let name = name.clone();
                move |s| s.pending(&name, cap, BATCH)
            })
            .await?;
        if skipped > 0 {
            tracing::warn!(
                sink = %shown,
                skipped,
                cap,
                "the sink is more than the outbox cap behind: its oldest events were dropped"
            );
            lock(&stats).dropped += skipped as u64;
        }
        if batch.is_empty() {
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(IDLE_POLL) => {}
                _ = stop.changed() => {}
            }
            continue;
        }
        for notice in batch {
            loop {
                match sink.deliver(&notice).await {
                    Ok(()) => {
                        failures = 0;
                        let id = notice.id;
                        let depth = store
                            .run({
                                let name = name.clone();
                                move |s| {
                                    s.delivered(&name, id)?;
                                    s.outbox_depth(&name)
                                }
                            })
                            .await?;
                        let mut st = lock(&stats);
                        st.delivered += 1;
                        st.depth = depth;
                        break;
                    }
                    Err(e) => {
                        failures += 1;
                        lock(&stats).failures += 1;
                        let wait = backoff(failures);
                        tracing::warn!(sink = %shown, event = notice.id, attempt = failures,
                            retry_in_ms = wait.as_millis() as u64, "delivery failed: {e}");
                        tokio::select! {
                            _ = tokio::time::sleep(wait) => {}
                            _ = stop.changed() => {}
                        }
                        if *stop.borrow() {
                            return Ok(());
                        }
                    }
                }
            }
            if *stop.borrow() {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// A sink's name as logs and metrics show it: a sink whose URL may hold a secret anywhere
/// ([`Secret::Url`]: a webhook, many services put a token in the path or query) by its URL's
/// origin only, the others as given.
pub fn shown_name(name: &str) -> String {
    match name.split_once('=') {
        Some((kind, value)) if sink_named(kind).is_some_and(|d| d.secret == Secret::Url) => {
            match url::Url::parse(value) {
                Ok(u) => format!("{kind}={}/…", u.origin().ascii_serialization()),
                Err(_) => format!("{kind}=…"),
            }
        }
        _ => name.to_string(),
    }
}

/// An error with its causes, one line ("error sending request: ... Connection refused"): what a
/// client library's error says, and why.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let c = cause.to_string();
        if !s.contains(&c) {
            s.push_str(": ");
            s.push_str(&c);
        }
        source = cause.source();
    }
    s
}

/// The delay before retry `attempt` (1 = the first retry).
pub fn backoff(attempt: u32) -> Duration {
    let base = BACKOFF_MIN
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
        .min(BACKOFF_MAX);
    let jitter = net::random_u64() % (base.as_millis() as u64 / 2 + 1);
    base + Duration::from_millis(jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sink_specifications() {
        for (given, kind, value, name) in [
            ("stdout", "stdout", "", "stdout"),
            (" stdout ", "stdout", "", "stdout"),
            (
                "webhook=http://127.0.0.1:9/hook",
                "webhook",
                "http://127.0.0.1:9/hook",
                "webhook=http://127.0.0.1:9/hook",
            ),
            (
                " webhook = http://127.0.0.1:9/hook ",
                "webhook",
                "http://127.0.0.1:9/hook",
                "webhook=http://127.0.0.1:9/hook",
            ),
            (
                "mqtt=mqtt://127.0.0.1:1883/camscan",
                "mqtt",
                "mqtt://127.0.0.1:1883/camscan",
                "mqtt=mqtt://127.0.0.1:1883/camscan",
            ),
            (
                "exec=/usr/bin/logger -t camscan",
                "exec",
                "/usr/bin/logger -t camscan",
                "exec=/usr/bin/logger -t camscan",
            ),
        ] {
            let spec: SinkSpec = given.parse().unwrap();
            assert_eq!(
                (spec.def().name(), spec.value(), spec.name().as_str()),
                (kind, value, name),
                "{given:?}"
            );
            assert_eq!(name.parse::<SinkSpec>(), Ok(spec), "{given:?}");
        }
        assert_eq!(SinkSpec::default(), "stdout".parse().unwrap());
        for (bad, error) in [
            (
                "",
                "``: expected stdout, webhook=URL, exec=COMMAND or mqtt=mqtt://HOST[:PORT]/TOPIC",
            ),
            ("webhook=", "`webhook=`: nothing after `=`"),
            (
                "webhook=ftp://x/",
                "`ftp://x/`: a webhook URL is http:// or https://",
            ),
            ("webhook=nope", "`nope`: relative URL without a base"),
            (
                "mqtt=http://x/t",
                "`http://x/t`: expected mqtt://HOST[:PORT]/TOPIC",
            ),
            (
                "sms=123",
                "`sms`: unknown sink (stdout, webhook, exec or mqtt)",
            ),
            (
                "stdout=1",
                "`stdout`: unknown sink (stdout, webhook, exec or mqtt)",
            ),
            (
                "webhook",
                "`webhook`: expected stdout, webhook=URL, exec=COMMAND or mqtt=mqtt://HOST[:PORT]/TOPIC",
            ),
        ] {
            assert_eq!(bad.parse::<SinkSpec>(), Err(error.to_string()), "{bad:?}");
        }
    }

    /// Each registration is whole: a unique name, its form that name alone or `name=VALUE`, a
    /// help line; the first is `stdout`, the default, which takes no value.
    #[test]
    fn every_sink_registration_is_complete() {
        for (i, d) in SINKS.iter().enumerate() {
            assert_eq!(
                SINKS.iter().position(|e| e.name() == d.name()),
                Some(i),
                "{} twice",
                d.name()
            );
            assert!(!d.name().is_empty(), "{}", d.syntax);
            assert!(!d.help.is_empty() && !d.help.ends_with('.'), "{}", d.name());
        }
        assert_eq!(SINKS[0].name(), "stdout");
        assert!(!SINKS[0].takes_value());
        assert_eq!(SinkSpec::default().name(), "stdout");
        assert_eq!(or_list(&["a"]), "a");
        assert_eq!(or_list(&["a", "b"]), "a or b");
        assert_eq!(or_list(&[]), "");
    }

    #[test]
    fn the_webhook_secret_file_loses_one_final_newline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        for (content, secret) in [
            (&b"s3cret\n"[..], &b"s3cret"[..]),
            (b"s3cret\r\n", b"s3cret"),
            (b"s3cret", b"s3cret"),
            (b"s3cret\n\n", b"s3cret\n"),
            (b" spaced \n", b" spaced "),
        ] {
            std::fs::write(&path, content).unwrap();
            let o = SinkOptions::from_env_and_file(Some(&path), None).unwrap();
            assert_eq!(o.webhook_secret.as_deref(), Some(secret));
            assert!(!o.values.get(&mqtt::HA_DISCOVERY));
            assert!(!format!("{o:?}").contains("s3cret"), "redacted in Debug");
        }
        std::fs::write(&path, "\n").unwrap();
        let e = SinkOptions::from_env_and_file(Some(&path), None).unwrap_err();
        assert!(e.contains("empty"), "{e}");
        let e = SinkOptions::from_env_and_file(Some(&dir.path().join("none")), None).unwrap_err();
        assert!(e.starts_with("--webhook-secret-file "), "{e}");
    }

    #[test]
    fn webhook_names_are_shown_without_their_path() {
        assert_eq!(
            shown_name("webhook=https://hooks.example.com/T0/B1/secret?token=x"),
            "webhook=https://hooks.example.com/…"
        );
        assert_eq!(shown_name("stdout"), "stdout");
        assert_eq!(
            shown_name("mqtt=mqtt://127.0.0.1/camscan"),
            "mqtt=mqtt://127.0.0.1/camscan"
        );
        assert_eq!(shown_name("webhook=not a url"), "webhook=…");
        assert_eq!(
            shown_name("exec=/bin/hook ?token=x"),
            "exec=/bin/hook ?token=x"
        );
        assert_eq!(shown_name("webhook"), "webhook");
    }

    #[test]
    fn backoff_doubles_to_its_cap_with_jitter() {
        for attempt in 1..40 {
            let b = backoff(attempt);
            let base = BACKOFF_MIN
                .saturating_mul(1 << (attempt - 1).min(16))
                .min(BACKOFF_MAX);
            assert!(b >= base && b <= base + base / 2, "{attempt}: {b:?}");
        }
        assert!(backoff(1) < Duration::from_secs(1));
        assert!(backoff(30) >= BACKOFF_MAX);
    }

    /// The prose documents that list the sink forms name every one: `config.example.yaml`'s
    /// `watch:` comment and docs/guide/watch.md (its options table and a row of its
    /// "Notifications" table per sink). `--help`'s is `NOTIFY`'s (`options`' test).
    #[test]
    fn every_document_gives_the_sink_forms() {
        let example = include_str!("../../config.example.yaml");
        let comment = example
            .split("\nwatch:\n")
            .next()
            .and_then(|before| before.rsplit("\n\n").next())
            .unwrap_or_default();
        for form in sink_forms() {
            assert!(
                comment.contains(form),
                "config.example.yaml's watch: comment lacks {form}"
            );
        }
        let guide = include_str!("../../docs/guide/watch.md");
        let options = guide
            .lines()
            .find(|l| l.starts_with("| `--notify SINK` |"))
            .expect("docs/guide/watch.md's options table has --notify");
        let notifications = guide
            .split("\n## Notifications\n")
            .nth(1)
            .expect("docs/guide/watch.md has its Notifications section");
        for form in sink_forms() {
            assert!(
                options.contains(&format!("`{form}`")),
                "docs/guide/watch.md's --notify row lacks {form}"
            );
            assert!(
                notifications.contains(&format!("\n| `{form}` | ")),
                "docs/guide/watch.md's Notifications table lacks a row for {form}"
            );
        }
        assert_eq!(
            sink_syntax(),
            "stdout, webhook=URL, exec=COMMAND or mqtt=mqtt://HOST[:PORT]/TOPIC"
        );
        let err = "nonsense".parse::<SinkSpec>().unwrap_err();
        assert!(err.ends_with(&sink_syntax()), "{err}");
    }
}
