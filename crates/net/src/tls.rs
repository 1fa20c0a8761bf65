//! TLS for HTTPS banners: tokio-rustls with the ring provider (`docs/design/crates.md`, "TLS and
//! old firmware").
//!
//! A scanner reads banners, it does not trust them: every certificate is accepted (camera
//! certificates are self-signed, or name a host we never asked for), but handshake signatures are
//! still checked, so the session is real TLS. rustls speaks TLS 1.2 and 1.3 only; old camera firmware
//! that offers TLS 1.0/1.1 or only RSA key exchange fails the handshake, which is recorded as such
//! (a known limit, measured in `docs/design/crates.md`, "TLS and old firmware").

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use error::NetError;

/// The end-entity certificate one handshake was shown (its DER), kept for `camscan audit`.
type Seen = Arc<std::sync::Mutex<Option<Vec<u8>>>>;

#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>, Option<Seen>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Some(mut slot) = self.1.as_ref().and_then(|s| s.lock().ok()) {
            *slot = Some(end_entity.to_vec());
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

fn config() -> Option<Arc<ClientConfig>> {
    static CONFIG: OnceLock<Option<Arc<ClientConfig>>> = OnceLock::new();
    CONFIG.get_or_init(|| accepting(None)).clone()
}

/// A client that accepts any certificate, keeping the one it is shown in `seen` when given.
fn accepting(seen: Option<Seen>) -> Option<Arc<ClientConfig>> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    let provider = PROVIDER
        .get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
        .clone();
    let config = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .ok()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider, seen)))
        .with_no_client_auth();
    Some(Arc::new(config))
}

/// A TLS client for a tool camscan pushes into (Home Assistant's websocket): any certificate
/// when `insecure`; else the certificates of `ca_pem` when given, else the system's.
pub fn tool_client(ca_pem: Option<&[u8]>, insecure: bool) -> Result<Arc<ClientConfig>, String> {
    use rustls::pki_types::pem::PemObject;
    if insecure {
        return config().ok_or_else(|| "no TLS client".to_string());
    }
    let mut roots = rustls::RootCertStore::empty();
    match ca_pem {
        Some(pem) => {
            for cert in CertificateDer::pem_slice_iter(pem) {
                let cert = cert.map_err(|e| format!("the CA file: {e}"))?;
                roots.add(cert).map_err(|e| format!("the CA file: {e}"))?;
            }
        }
        None => {
            for cert in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(cert);
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// What the certificate a handshake was shown says.
fn certificate(seen: &Seen) -> Option<Box<model::Certificate>> {
    let der = seen.lock().ok()?.take()?;
    proto::x509::facts(&der).map(Box::new)
}

/// Make ring the process's default rustls provider, once, for clients that take the default
/// (reqwest of the webhook sink, built with `rustls-no-provider`, so that aws-lc is never
/// compiled in). Harmless when a provider is already installed.
pub fn install_default_provider() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// What the handshake agreed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsInfo {
    /// `TLSv1.3 TLS13_AES_256_GCM_SHA384`.
    pub summary: String,
    /// The certificate the server showed.
    pub certificate: Option<Box<model::Certificate>>,
}

/// Connect to `addr` and complete a TLS handshake under `timeout`.
pub async fn connect(
    addr: SocketAddr,
    connect_timeout: Duration,
    timeout: Duration,
) -> Result<(TlsStream<TcpStream>, TlsInfo), NetError> {
    let seen: Seen = Arc::default();
    let Some(config) = accepting(Some(seen.clone())) else {
        return Err(NetError::Tls {
            addr,
            reason: "no TLS configuration".into(),
            certificate: None,
        });
    };
    let tcp = crate::connect_stream(addr, connect_timeout).await?;
    let name = ServerName::IpAddress(addr.ip().into());
    let connector = tokio_rustls::TlsConnector::from(config);
    let stream = match tokio::time::timeout(timeout, connector.connect(name, tcp)).await {
        Err(_) => {
            return Err(NetError::Timeout {
                addr,
                what: "TLS handshake".into(),
                timeout,
            });
        }
        Ok(Err(e)) => {
            return Err(NetError::Tls {
                addr,
                reason: explain(&e),
                certificate: certificate(&seen),
            });
        }
        Ok(Ok(s)) => s,
    };
    let (_, session) = stream.get_ref();
    let version = session
        .protocol_version()
        .and_then(|v| v.as_str())
        .unwrap_or("TLS");
    let suite = session
        .negotiated_cipher_suite()
        .and_then(|c| c.suite().as_str())
        .unwrap_or("");
    // rustls spells versions `TLSv1_3`.
    let version = version.replace("TLSv1_", "TLS 1.");
    let summary = format!("{version} {suite}").trim().to_string();
    let certificate = certificate(&seen);
    Ok((
        stream,
        TlsInfo {
            summary,
            certificate,
        },
    ))
}

/// A handshake error in words a user can act on.
fn explain(e: &std::io::Error) -> String {
    let text = e.to_string();
    let old = [
        "ProtocolVersion",
        "HandshakeFailure",
        "peer is incompatible",
    ];
    if text.contains("BadSignature") {
        return format!(
            "{text} (camscan verifies handshake signatures with RSA keys of 2048 bits or more; a \
             smaller key cannot sign for it)"
        );
    }
    if old.iter().any(|m| text.contains(m)) {
        format!(
            "{text} (the device may offer only TLS 1.0/1.1 or RSA key exchange, which camscan does not speak)"
        )
    } else {
        text
    }
}

/// A certificate verifier that checks the chain against the given authorities but not the name:
/// libpq's `sslmode=verify-ca`.
#[derive(Debug)]
struct ChainOnly(Arc<rustls::client::WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        use rustls::{CertificateError, Error};
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// What a database client's TLS checks of the server's certificate: libpq's `sslmode` without
/// naming the store's type (the caller maps it: `prefer` and `require` check nothing, `verify-ca`
/// the authority, `verify-full` the authority and the host's name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerCheck {
    /// Encryption without authentication of the server, as libpq's `require`.
    Nothing,
    /// A certificate signed by the trusted authorities, for any name (`verify-ca`).
    Authority,
    /// A certificate signed by the trusted authorities, for the host connected to (`verify-full`).
    AuthorityAndName,
}

impl ServerCheck {
    /// libpq's name of the check, for messages.
    fn sslmode(self) -> &'static str {
        match self {
            ServerCheck::Nothing => "require",
            ServerCheck::Authority => "verify-ca",
            ServerCheck::AuthorityAndName => "verify-full",
        }
    }
}

/// The TLS client for a PostgreSQL hub: none when `check` is `None` (plain TCP); any certificate
/// for [`ServerCheck::Nothing`] (encryption without authentication, as libpq); otherwise a
/// certificate signed by the authorities in `rootcert` (libpq's default `~/.postgresql/root.crt`
/// when not given), for the host connected to with [`ServerCheck::AuthorityAndName`].
pub fn postgres_client(
    check: Option<ServerCheck>,
    rootcert: Option<&std::path::Path>,
    home: Option<&std::path::Path>,
) -> Result<Option<Arc<ClientConfig>>, String> {
    use rustls::pki_types::pem::PemObject;
    match check {
        None => Ok(None),
        Some(ServerCheck::Nothing) => config()
            .map(Some)
            .ok_or_else(|| "no TLS client".to_string()),
        Some(check) => {
            let path = match (rootcert, home) {
                (Some(p), _) => p.to_path_buf(),
                (None, Some(h)) => h.join(".postgresql/root.crt"),
                (None, None) => {
                    return Err(format!(
                        "sslmode={} needs sslrootcert=FILE",
                        check.sslmode()
                    ));
                }
            };
            let mut roots = rustls::RootCertStore::empty();
            let certs = CertificateDer::pem_file_iter(&path).map_err(|e| {
                format!(
                    "sslrootcert {}: {e} (sslmode={} checks the server's certificate against it)",
                    path.display(),
                    check.sslmode()
                )
            })?;
            for cert in certs {
                let cert = cert.map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
                roots
                    .add(cert)
                    .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
            }
            if roots.is_empty() {
                return Err(format!(
                    "sslrootcert {}: no certificate in it",
                    path.display()
                ));
            }
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let builder = ClientConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?;
            let config = if check == ServerCheck::AuthorityAndName {
                builder.with_root_certificates(roots).with_no_client_auth()
            } else {
                let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(
                    Arc::new(roots),
                    provider,
                )
                .build()
                .map_err(|e| e.to_string())?;
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(ChainOnly(verifier)))
                    .with_no_client_auth()
            };
            Ok(Some(Arc::new(config)))
        }
    }
}

/// Would the server at `addr` agree to TLS 1.1 or older? A hand-made ClientHello offering at most
/// TLS 1.1 ([`proto::tls_hello`]), and the server's first record read back; the connection
/// is then closed (nothing else is sent). `Ok(None)`: no TLS answer in time.
pub async fn legacy_hello(
    addr: SocketAddr,
    connect_timeout: Duration,
    timeout: Duration,
) -> Result<Option<proto::tls_hello::HelloAnswer>, NetError> {
    use proto::tls_hello;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let _slot = crate::host_gate::open(addr.ip(), crate::host_gate::Wire::Other).await;
    let mut tcp = crate::connect_stream(addr, connect_timeout).await?;
    let mut random = [0u8; 32];
    crate::random_bytes(&mut random);
    let io = |source| NetError::Io {
        addr,
        what: "TLS 1.1 ClientHello".into(),
        source,
    };
    tcp.write_all(&tls_hello::client_hello(tls_hello::TLS11, random))
        .await
        .map_err(io)?;
    let mut buf = vec![0u8; 16 * 1024];
    let mut n = 0;
    let deadline = tokio::time::Instant::now() + timeout;
    while n < buf.len() {
        match tokio::time::timeout_at(deadline, tcp.read(&mut buf[n..])).await {
            Ok(Ok(0)) | Err(_) => break,
            Ok(Err(e)) => return Err(io(e)),
            Ok(Ok(k)) => n += k,
        }
        if let Some(a) = tls_hello::answer(&buf[..n]) {
            return Ok(Some(a));
        }
    }
    Ok(tls_hello::answer(&buf[..n]))
}
