//! The `webhook=URL` sink: one HTTP POST per notice, its JSON as the body.
//!
//! Headers: `Content-Type: application/json`, `X-Camscan-Event: <kind>`, `X-Camscan-Delivery:
//! <event id>` (the same on every retry of one event: a receiver drops what it has seen), and with
//! a secret `X-Camscan-Signature: sha256=<hex HMAC-SHA256 of the exact body>`, the scheme GitHub's
//! webhooks use (`X-Hub-Signature-256`), so receivers already know how to check it. Any answer
//! but 2xx, a refused connection or no answer within [`TIMEOUT`] is a failure, and the delivery
//! loop retries with backoff. Redirects are not followed (a POST redirected becomes a GET on most
//! clients; a webhook that moved is a configuration error to see, not to paper over).
//!
//! Client: reqwest (rustls with ring, the provider camscan already uses; no aws-lc), because a
//! webhook URL may be https:// and reqwest brings certificate verification against the system's
//! roots (rustls-platform-verifier) ready-made. hyper alone is lighter (docs/design/crates.md,
//! "Webhooks: reqwest": 35 s and 10 crates against 77 s and 21) but would need hyper-rustls and
//! the verifier wired by hand for the same result; if camscan grows an axum server, reqwest
//! shares its hyper.

use std::path::PathBuf;
use std::time::Duration;

use futures::future::BoxFuture;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::SinkError;
use error::fmt_duration;
use input::setting::{Repeat, Setting, path};
use store::Notice;

/// One POST's deadline, from connecting to the end of the answer: 10 s, GitHub's own limit for a
/// webhook receiver to answer (its "timed out" deliveries), far above what a receiver on a LAN
/// or a SaaS endpoint needs, and short enough that a hung receiver is retried soon.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The signature header.
pub const SIGNATURE_HEADER: &str = "X-Camscan-Signature";

/// `--webhook-secret-file` (config `watch: webhook_secret_file:`): the file whose secret signs
/// every body; without it, [`super::WEBHOOK_SECRET_ENV`] ([`super::SinkOptions::new`] reads
/// either, once).
pub static SECRET_FILE: Setting<Option<PathBuf>> = Setting {
    key: "webhook_secret_file",
    flag: "--webhook-secret-file",
    short: None,
    repeat: Repeat::Once,
    env: "",
    value_name: "FILE",
    help: "File holding the secret that signs webhook bodies (HMAC-SHA256, header \
           `X-Camscan-Signature: sha256=HEX`); or CAMSCAN_WEBHOOK_SECRET. Never on the command line",
    default: None,
    choices: None,
    parse: path,
};

/// A webhook receiver.
pub struct Webhook {
    url: reqwest::Url,
    /// The URL as errors show it: its origin only, since many services put the hook's secret
    /// token in the path (`https://hooks.example.com/services/T000/B000/XXXX`).
    shown: String,
    client: reqwest::Client,
    secret: Option<Vec<u8>>,
    timeout: Duration,
}

impl Webhook {
    /// A sink POSTing to `url` (http:// or https://), signing with `secret` when given, each
    /// attempt within `timeout` ([`TIMEOUT`] for `--notify`).
    pub fn new(url: &str, secret: Option<Vec<u8>>, timeout: Duration) -> Result<Webhook, String> {
        let url = reqwest::Url::parse(url).map_err(|e| format!("webhook `{url}`: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("webhook `{url}`: not http:// or https://"));
        }
        net::tls::install_default_provider();
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("camscan/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout);
        // An HTTP(S)_PROXY of the environment is honoured, except for a loopback receiver: no
        // proxy can reach this host's loopback, and a test must never leave it.
        let loopback = match url.host() {
            Some(url::Host::Ipv4(a)) => a.is_loopback(),
            Some(url::Host::Ipv6(a)) => a.is_loopback(),
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            None => false,
        };
        if loopback {
            builder = builder.no_proxy();
        }
        let client = builder
            .build()
            .map_err(|e| format!("webhook `{url}`: {e}"))?;
        let shown = format!(
            "{}{}",
            url.origin().ascii_serialization(),
            if url.path().len() > 1 || url.query().is_some() {
                "/…"
            } else {
                ""
            }
        );
        Ok(Webhook {
            url,
            shown,
            client,
            secret,
            timeout,
        })
    }

    pub async fn deliver(&mut self, notice: &Notice) -> Result<(), SinkError> {
        let body = serde_json::to_vec(notice).map_err(|e| SinkError(e.to_string()))?;
        let mut req = self
            .client
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("X-Camscan-Event", notice.kind.as_str())
            .header("X-Camscan-Delivery", notice.id.to_string());
        if let Some(secret) = &self.secret {
            req = req.header(SIGNATURE_HEADER, signature(secret, &body));
        }
        let url = &self.shown;
        let within = fmt_duration(self.timeout);
        // reqwest's own timeout covers the whole exchange; this one is the house rule's explicit
        // deadline and names it.
        let resp = tokio::time::timeout(self.timeout, req.body(body).send())
            .await
            .map_err(|_| SinkError(format!("webhook {url}: no answer within {within}")))?
            .map_err(|e| {
                if e.is_timeout() {
                    SinkError(format!("webhook {url}: no answer within {within}"))
                } else {
                    // Without reqwest's copy of the URL (the token again).
                    SinkError(format!(
                        "webhook {url}: {}",
                        super::error_chain(&e.without_url())
                    ))
                }
            })?;
        let status = resp.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(SinkError(format!("webhook {url}: HTTP {status}")))
        }
    }
}

impl super::Deliver for Webhook {
    fn deliver<'a>(&'a mut self, notice: &'a Notice) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(Webhook::deliver(self, notice))
    }
}

/// `sha256=<hex HMAC-SHA256(secret, body)>`: the value of [`SIGNATURE_HEADER`].
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(body);
    format!("sha256={}", super::hex(&mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231 §4.3, test case 2: key "Jefe", data "what do ya want for nothing?".
    #[test]
    fn signature_is_rfc4231_hmac_sha256() {
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // RFC 4231 §4.2, test case 1: key 20 x 0x0b, data "Hi There".
        assert_eq!(
            signature(&[0x0b; 20], b"Hi There"),
            "sha256=b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
    }

    #[test]
    fn only_http_urls() {
        assert!(Webhook::new("ftp://127.0.0.1/x", None, TIMEOUT).is_err());
        assert!(Webhook::new("not a url", None, TIMEOUT).is_err());
        assert!(Webhook::new("http://127.0.0.1:9/hook", None, TIMEOUT).is_ok());
        let w = Webhook::new("https://example.invalid/services/T0/B0/XXXX", None, TIMEOUT);
        assert_eq!(
            w.unwrap().shown,
            "https://example.invalid/…",
            "no token in errors"
        );
        let w = Webhook::new("http://127.0.0.1:8080", None, TIMEOUT);
        assert_eq!(w.unwrap().shown, "http://127.0.0.1:8080");
    }
}
