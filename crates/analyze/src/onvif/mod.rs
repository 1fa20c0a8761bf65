//! The ONVIF device API of a device found by WS-Discovery: who it is (GetDeviceInformation) and
//! where its streams are (GetProfiles + GetStreamUri), following `docs/design/protocols.md`, "ONVIF
//! call order".
//!
//! Order: GetSystemDateAndTime without credentials (the clock offset stamps `wsu:Created`, since a
//! skewed camera clock is the commonest NotAuthorized); then each call without credentials first, and
//! when the device refuses, WS-UsernameToken PasswordDigest, then PasswordText, then HTTP Digest, each
//! attempt drawn from the host's shared [`AuthBudget`]. A credential that already worked on the host
//! (RTSP, or another ONVIF call) is tried first and alone. The XAddr's host must be the device: if it
//! names another address, the device's own address is used instead (never a host outside the scan).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use http_auth::PasswordParams;

use super::budget::AuthBudget;
use super::context::ScanContext;
use credentials::Credential;
use error::AnalyzeError;
use net::http;
use proto::onvif_caps;
use proto::soap::{self, DeviceInformation, Profile, TokenKind};

mod capabilities;
pub mod channels;

const SOAP_CONTENT_TYPE: &str = "application/soap+xml; charset=utf-8";
/// Profiles whose stream URI is asked for (go2rtc stops at 10).
const MAX_STREAM_PROFILES: usize = 16;

#[derive(Debug, Clone)]
pub struct OnvifSettings {
    pub connect_timeout: Duration,
    pub timeout: Duration,
    pub credentials: Arc<Vec<Credential>>,
    pub budget: Arc<AuthBudget>,
    pub use_auth: bool,
    /// The login that opened this device at its old address, tried first although its scope
    /// does not cover this one ([`crate::followed`]).
    pub followed: Option<Credential>,
}

impl OnvifSettings {
    /// What the ONVIF device API calls of the scan `ctx` need.
    pub fn for_scan(ctx: &ScanContext) -> OnvifSettings {
        OnvifSettings {
            connect_timeout: ctx.settings.get(&net::CONNECT_TIMEOUT),
            timeout: ctx.settings.get(&net::TIMEOUT),
            credentials: ctx.auth.credentials.clone(),
            budget: ctx.auth.budget.clone(),
            use_auth: !ctx.settings.get(&crate::context::NO_AUTH),
            followed: None,
        }
    }

    /// The credentials to try on `ip`, in order: `proven` (one that worked on the host already),
    /// the login that followed its device here ([`crate::followed`]), then the entries
    /// scoped to cover `ip`.
    fn to_try(&self, ip: std::net::IpAddr, proven: Option<&Credential>) -> Vec<Credential> {
        let followed = self.followed.as_ref();
        let scoped = self
            .credentials
            .iter()
            .filter(|c| c.applies_to(ip) && Some(*c) != followed);
        let mut creds: Vec<Credential> = proven.cloned().into_iter().collect();
        creds.extend(
            followed
                .into_iter()
                .chain(scoped)
                .filter(|c| Some(*c) != proven)
                .cloned(),
        );
        creds
    }

    /// [`OnvifSettings::for_scan`] for the device at `ip`: with the login that followed it there
    /// ([`crate::followed`]).
    pub fn for_device(ctx: &ScanContext, ip: std::net::IpAddr) -> OnvifSettings {
        OnvifSettings {
            followed: ctx.followed_login(ip).cloned(),
            ..OnvifSettings::for_scan(ctx)
        }
    }
}

/// What the device API told us.
#[derive(Debug, Default)]
pub struct OnvifFindings {
    pub info: Option<DeviceInformation>,
    /// Device clock minus ours, seconds.
    pub clock_offset: Option<i64>,
    pub profiles: Vec<Profile>,
    /// `(profile token, stream URI)`, the URI's host forced to the device address.
    pub stream_uris: Vec<(String, String)>,
    /// `(profile token, snapshot URI)`, likewise.
    pub snapshot_uris: Vec<(String, String)>,
    /// The profiles came from the Media2 service (the only one that lists H.265 profiles).
    pub media2: bool,
    pub credential: Option<Credential>,
    /// The device service address the credential logged in to.
    pub login_at: Option<SocketAddr>,
    /// Operations answered without credentials (`GetProfiles`...), each once, in order.
    pub unauthenticated: Vec<String>,
    pub failures: Vec<AnalyzeError>,
    /// The device service's address (the first endpoint asked).
    pub api_at: Option<SocketAddr>,
    /// `WWW-Authenticate` values of the API's HTTP 401s (at most 8, each once).
    pub http_challenges: Vec<String>,
    /// A call was refused with a SOAP fault (WS-Security's NotAuthorized), not an HTTP 401.
    pub soap_refused: bool,
    /// How the login that worked authenticated: 0 WS-UsernameToken PasswordDigest, 1
    /// PasswordText, 2 HTTP (Digest, or Basic when that is all the device offers).
    pub login_how: Option<u8>,
    /// The services GetServices listed, by short name (`device`, `media`, `ptz`...), sorted.
    pub services: Vec<String>,
    /// The PTZ service's facts, when the device has one that answered GetNodes.
    pub ptz: Option<model::capabilities::Ptz>,
    /// The event service's facts, when the device lists one that answered.
    pub events: Option<model::capabilities::Events>,
    /// The first media profile's PTZ configuration (with that profile's token), from GetProfiles.
    ptz_profile: Option<(Option<String>, onvif_caps::PtzConfiguration)>,
}

impl OnvifFindings {
    /// The device API's login schemes (service `onvif http://ip:port`): the HTTP challenges'
    /// schemes, and `ws-usernametoken` when the device refused with a SOAP fault (ONVIF Core
    /// Specification §5.12: WS-UsernameToken is the message-level authentication, a refused
    /// request gets `ter:NotAuthorized`) or took a token; `used` is how the login that worked
    /// authenticated (`ws-usernametoken-text` for a PasswordText token). `None` when nothing
    /// was refused.
    pub fn logins(&self) -> Option<model::capabilities::LoginSchemes> {
        let at = self.api_at?;
        let mut offered =
            proto::auth::offered_logins(self.http_challenges.iter().map(String::as_str));
        if self.soap_refused || matches!(self.login_how, Some(0 | 1)) {
            offered.push("ws-usernametoken".into());
        }
        if offered.is_empty() {
            return None;
        }
        offered.sort_by_key(|o| model::capabilities::login_rank(o));
        let values: Vec<&str> = self.http_challenges.iter().map(String::as_str).collect();
        let used = match self.login_how {
            Some(0) => Some("ws-usernametoken".to_string()),
            Some(1) => Some("ws-usernametoken-text".to_string()),
            Some(_) => http::strongest_client(&values).map(|(_, name)| name),
            None => None,
        };
        Some(model::capabilities::LoginSchemes {
            service: format!("onvif http://{at}"),
            offered,
            used,
        })
    }
}

/// The operation a SOAP body asks for: `<trt:GetProfiles/>` is `GetProfiles`.
fn operation(body: &str) -> &str {
    let name = body
        .trim_start()
        .trim_start_matches('<')
        .split(|c: char| c == '/' || c == '>' || c.is_whitespace())
        .next()
        .unwrap_or_default();
    name.rsplit(':').next().unwrap_or(name)
}

/// How a request is authenticated.
#[derive(Clone, Copy)]
enum Auth<'a> {
    None,
    Token(TokenKind, &'a Credential),
    HttpDigest(&'a Credential),
}

#[derive(Clone)]
struct Endpoint {
    addr: SocketAddr,
    host: String,
}

/// A SOAP call's outcome.
enum Outcome {
    Ok(String),
    /// Refused for lack of (good) credentials: HTTP 401 (with its challenges), or a SOAP
    /// NotAuthorized fault (no challenges).
    Refused(Vec<String>),
    Failed(AnalyzeError),
}

/// Split an XAddr into the endpoint to contact (host forced to `ip`) and the path.
fn endpoint(
    ip: IpAddr,
    xaddr: &str,
    failures: &mut Vec<AnalyzeError>,
) -> Option<(Endpoint, String)> {
    let u = url::Url::parse(xaddr)
        .ok()
        .filter(|u| u.scheme() == "http")?;
    let port = u.port().unwrap_or(80);
    let host_ok = u
        .host_str()
        .and_then(|h| h.trim_matches(['[', ']']).parse::<IpAddr>().ok())
        == Some(ip);
    if !host_ok {
        failures.push(AnalyzeError::NotFollowed(format!(
            "ONVIF XAddr {xaddr} names another host; asking {ip} instead"
        )));
    }
    let mut path = u.path().to_string();
    if let Some(q) = u.query() {
        path.push('?');
        path.push_str(q);
    }
    let addr = SocketAddr::new(ip, port);
    let host = match ip {
        IpAddr::V4(v4) => format!("{v4}:{port}"),
        IpAddr::V6(v6) => format!("[{v6}]:{port}"),
    };
    Some((Endpoint { addr, host }, path))
}

async fn call(
    ep: &Endpoint,
    path: &str,
    body: &str,
    auth: Auth<'_>,
    offset: i64,
    challenges: &[String],
    s: &OnvifSettings,
) -> Outcome {
    let mut security = None;
    let mut authorization = None;
    match auth {
        Auth::None => {}
        Auth::Token(kind, c) => {
            let created = jiff::Timestamp::now()
                .checked_add(jiff::SignedDuration::from_secs(offset))
                .unwrap_or_else(|_| jiff::Timestamp::now());
            let created = created.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
            let mut nonce = [0u8; 16];
            net::random_bytes(&mut nonce);
            security = Some(soap::username_token(
                kind,
                &c.username,
                &c.password,
                &nonce,
                &created,
            ));
        }
        Auth::HttpDigest(c) => {
            let values: Vec<&str> = challenges.iter().map(String::as_str).collect();
            if let Some((mut client, _)) = http::strongest_client(&values) {
                authorization = client
                    .respond(&PasswordParams {
                        username: &c.username,
                        password: &c.password,
                        uri: path,
                        method: "POST",
                        body: Some(body.as_bytes()),
                    })
                    .ok();
            }
            if authorization.is_none() {
                return Outcome::Failed(AnalyzeError::Auth("no HTTP challenge to answer".into()));
            }
        }
    }
    let envelope = soap::envelope(security.as_deref(), body);
    let post = http::Request {
        method: "POST",
        host: &ep.host,
        path,
        content_type: SOAP_CONTENT_TYPE,
        body: &envelope,
        authorization: authorization.as_deref(),
    };
    let reply = match http::send(ep.addr, &post, s.connect_timeout, s.timeout).await {
        Ok(r) => r,
        Err(e) => return Outcome::Failed(e.into()),
    };
    let text = String::from_utf8_lossy(&reply.body).into_owned();
    if reply.head.status == 401 {
        return Outcome::Refused(
            reply
                .head
                .headers_named("www-authenticate")
                .take(8)
                .map(str::to_string)
                .collect(),
        );
    }
    if let Some(f) = soap::fault(&text) {
        if f.is_not_authorized() {
            return Outcome::Refused(Vec::new());
        }
        return Outcome::Failed(AnalyzeError::Refused(format!(
            "SOAP fault {}: {}",
            f.subcode.unwrap_or_default(),
            f.reason.unwrap_or_default()
        )));
    }
    if !(200..300).contains(&reply.head.status) {
        return Outcome::Failed(AnalyzeError::Refused(format!("HTTP {}", reply.head.status)));
    }
    Outcome::Ok(text)
}

/// Calls with the authentication that works, finding it (within the budget) the first time it is needed.
struct Caller<'a> {
    ip: IpAddr,
    s: &'a OnvifSettings,
    offset: i64,
    /// Once found: how to authenticate.
    good: Option<(Credential, u8)>,
    findings: &'a mut OnvifFindings,
}

impl Caller<'_> {
    /// One call, its refusals kept for the login schemes ([`OnvifFindings::logins`]).
    async fn ask(
        &mut self,
        ep: &Endpoint,
        path: &str,
        body: &str,
        auth: Auth<'_>,
        challenges: &[String],
    ) -> Outcome {
        let outcome = call(ep, path, body, auth, self.offset, challenges, self.s).await;
        self.findings.api_at.get_or_insert(ep.addr);
        if let Outcome::Refused(ch) = &outcome {
            if ch.is_empty() {
                self.findings.soap_refused = true;
            }
            for v in ch {
                if self.findings.http_challenges.len() < 8
                    && !self.findings.http_challenges.contains(v)
                {
                    self.findings.http_challenges.push(v.clone());
                }
            }
        }
        outcome
    }

    /// `body`'s operation was answered without credentials.
    fn open(&mut self, body: &str) {
        let op = operation(body);
        if !self.findings.unauthenticated.iter().any(|o| o == op) {
            self.findings.unauthenticated.push(op.to_string());
        }
    }

    async fn call(&mut self, ep: &Endpoint, path: &str, body: &str) -> Option<String> {
        if let Some((c, how)) = self.good.clone() {
            let auth = match how {
                0 => Auth::Token(TokenKind::Digest, &c),
                1 => Auth::Token(TokenKind::Text, &c),
                _ => Auth::HttpDigest(&c),
            };
            let mut challenges = Vec::new();
            if how == 2 {
                // HTTP Digest needs a fresh challenge per request on a new connection.
                match self.ask(ep, path, body, Auth::None, &[]).await {
                    Outcome::Ok(t) => {
                        self.open(body);
                        return Some(t);
                    }
                    Outcome::Refused(ch) => challenges = ch,
                    Outcome::Failed(e) => {
                        self.findings
                            .failures
                            .push(e.within(format!("ONVIF {path}")));
                        return None;
                    }
                }
            }
            return match self.ask(ep, path, body, auth, &challenges).await {
                Outcome::Ok(t) => Some(t),
                Outcome::Refused(_) => {
                    self.findings.failures.push(
                        AnalyzeError::Auth("a credential that worked is now refused".into())
                            .within(format!("ONVIF {path}")),
                    );
                    None
                }
                Outcome::Failed(e) => {
                    self.findings
                        .failures
                        .push(e.within(format!("ONVIF {path}")));
                    None
                }
            };
        }
        let mut challenges = match self.ask(ep, path, body, Auth::None, &[]).await {
            Outcome::Ok(t) => {
                self.open(body);
                return Some(t);
            }
            Outcome::Refused(ch) => ch,
            Outcome::Failed(e) => {
                self.findings
                    .failures
                    .push(e.within(format!("ONVIF {path}")));
                return None;
            }
        };
        if !self.s.use_auth {
            self.findings.failures.push(
                AnalyzeError::Auth("needs credentials (--no-auth)".into())
                    .within(format!("ONVIF {path}")),
            );
            return None;
        }
        let mut session = self.s.budget.session(self.ip).await;
        let creds = self.s.to_try(self.ip, session.known_good());
        for c in &creds {
            let proven = session.known_good() == Some(c);
            for how in 0u8..3 {
                if !proven && !session.may_try() {
                    self.findings.failures.push(AnalyzeError::Auth(
                        "ONVIF login refused; failed-login budget for this host spent".into(),
                    ));
                    return None;
                }
                if how == 2 && challenges.is_empty() {
                    continue; // no HTTP challenge: the device does not do HTTP auth
                }
                let auth = match how {
                    0 => Auth::Token(TokenKind::Digest, c),
                    1 => Auth::Token(TokenKind::Text, c),
                    _ => Auth::HttpDigest(c),
                };
                match self.ask(ep, path, body, auth, &challenges).await {
                    Outcome::Ok(t) => {
                        session.record_success(c);
                        self.findings.login_how = Some(how);
                        self.good = Some((c.clone(), how));
                        self.findings.credential = Some(c.clone());
                        self.findings.login_at = Some(ep.addr);
                        return Some(t);
                    }
                    Outcome::Refused(ch) => {
                        if !proven {
                            session.record_failure();
                        }
                        if !ch.is_empty() {
                            challenges = ch;
                        }
                    }
                    Outcome::Failed(e) => {
                        self.findings
                            .failures
                            .push(e.within(format!("ONVIF {path}")));
                        return None;
                    }
                }
            }
        }
        self.findings.failures.push(
            AnalyzeError::Auth("no credential accepted".into()).within(format!("ONVIF {path}")),
        );
        None
    }
}

/// Ask the device service at `xaddr` (of the device at `ip`) who it is and where its streams are.
pub async fn analyze(ip: IpAddr, xaddr: &str, s: &OnvifSettings) -> OnvifFindings {
    let mut findings = OnvifFindings::default();
    let Some((ep, path)) = endpoint(ip, xaddr, &mut findings.failures) else {
        findings.failures.push(AnalyzeError::NotFollowed(format!(
            "ONVIF XAddr {xaddr} is not an http:// URL"
        )));
        return findings;
    };
    // 1. The device clock, unauthenticated.
    if let Outcome::Ok(t) = call(
        &ep,
        &path,
        soap::GET_SYSTEM_DATE_AND_TIME,
        Auth::None,
        0,
        &[],
        s,
    )
    .await
        && let Some(device) = soap::system_date_time_utc(&t)
    {
        findings.clock_offset = Some(device - jiff::Timestamp::now().as_second());
    }
    let offset = findings.clock_offset.unwrap_or(0);
    let mut caller = Caller {
        ip,
        s,
        offset,
        good: None,
        findings: &mut findings,
    };
    // 2. Who it is.
    let info = caller
        .call(&ep, &path, soap::GET_DEVICE_INFORMATION)
        .await
        .and_then(|t| soap::device_information(&t));
    // 3. Where the media services are.
    let (media2, media1, listed) = caller.media_services(&ep, &path).await;
    // 4. Profiles, and their stream and snapshot URIs.
    let (profiles, chosen, used_media2) = caller
        .profiles(media2, media1, (ep.clone(), path.clone()))
        .await;
    let (uris, snapshots) = match &chosen {
        Some(media) => caller.uris(media, &profiles, used_media2).await,
        None => (Vec::new(), Vec::new()),
    };
    // 5. What else it can do: PTZ and events (optional: a device without them is not failing).
    let first_profile = profiles.first().map(|p| p.token.clone());
    caller
        .capabilities(&ep, &path, &listed, first_profile.as_deref())
        .await;
    findings.info = info;
    findings.profiles = profiles;
    findings.stream_uris = uris;
    findings.snapshot_uris = snapshots;
    findings.media2 = used_media2;
    findings
}

/// A service's endpoint and path.
type Service = (Endpoint, String);

impl Caller<'_> {
    /// The Media2 and Media1 services: GetServices, else (old devices lack it, which is no
    /// failure to report) GetCapabilities' media XAddr. Also returns GetServices' list.
    async fn media_services(
        &mut self,
        ep: &Endpoint,
        path: &str,
    ) -> (Option<Service>, Option<Service>, Vec<(String, String)>) {
        let ip = self.ip;
        let before = self.findings.failures.len();
        let services = self
            .call(ep, path, soap::GET_SERVICES)
            .await
            .map(|t| soap::services(&t))
            .unwrap_or_default();
        if services.is_empty() {
            self.findings.failures.truncate(before);
        }
        self.findings.services = onvif_caps::service_names(&services);
        let service = |ns: &str, failures: &mut Vec<AnalyzeError>| {
            services
                .iter()
                .find(|(n, _)| n.trim() == ns)
                .and_then(|(_, x)| endpoint(ip, x, failures))
        };
        let media2 = service(soap::NS_MEDIA2, &mut self.findings.failures);
        let mut media1 = service(soap::NS_MEDIA, &mut self.findings.failures);
        if media1.is_none() && media2.is_none() {
            media1 = match self
                .call(ep, path, soap::GET_CAPABILITIES)
                .await
                .and_then(|t| soap::media_xaddr(&t))
            {
                Some(x) => endpoint(ip, &x, &mut self.findings.failures),
                None => None,
            };
        }
        (media2, media1, services)
    }

    /// The media profiles: Media2 first (H.265 profiles exist only there), Media1 when the
    /// device has no Media2 or it lists nothing; with no media XAddr at all, the device service
    /// (`device`: some devices serve media on its path). Returns the profiles, the service that
    /// listed them and whether it is Media2.
    async fn profiles(
        &mut self,
        media2: Option<Service>,
        mut media1: Option<Service>,
        device: Service,
    ) -> (Vec<soap::Profile>, Option<Service>, bool) {
        if let Some((m2, m2_path)) = &media2 {
            let text = self.call(m2, m2_path, soap::GET_PROFILES2).await;
            let profiles = text.as_deref().map(soap::profiles).unwrap_or_default();
            if !profiles.is_empty() {
                self.findings.ptz_profile = text.as_deref().and_then(onvif_caps::ptz_configuration);
                return (profiles, media2, true);
            }
        }
        let m1 = media1.get_or_insert(device);
        let text = self.call(&m1.0, &m1.1, soap::GET_PROFILES).await;
        self.findings.ptz_profile = text.as_deref().and_then(onvif_caps::ptz_configuration);
        let profiles = text.as_deref().map(soap::profiles).unwrap_or_default();
        (profiles, media1, false)
    }

    /// Each profile's stream URI and (optional: a device without them is not failing) snapshot
    /// URI, at most [`MAX_STREAM_PROFILES`] profiles, their hosts forced to the device's.
    async fn uris(
        &mut self,
        (media_ep, media_path): &Service,
        profiles: &[soap::Profile],
        media2: bool,
    ) -> (Vec<(String, String)>, Vec<(String, String)>) {
        let ip = self.ip;
        let mut uris = Vec::new();
        let mut snapshots = Vec::new();
        for p in profiles.iter().take(MAX_STREAM_PROFILES) {
            let (stream_body, snapshot_body) = if media2 {
                (
                    soap::get_stream_uri2(&p.token),
                    soap::get_snapshot_uri2(&p.token),
                )
            } else {
                (
                    soap::get_stream_uri(&p.token),
                    soap::get_snapshot_uri(&p.token),
                )
            };
            if let Some(uri) = self
                .call(media_ep, media_path, &stream_body)
                .await
                .and_then(|t| soap::media_uri(&t))
            {
                uris.push((
                    p.token.clone(),
                    force_host(&uri, ip, &mut self.findings.failures),
                ));
            }
            let before = self.findings.failures.len();
            match self
                .call(media_ep, media_path, &snapshot_body)
                .await
                .and_then(|t| soap::media_uri(&t))
            {
                Some(uri) => snapshots.push((
                    p.token.clone(),
                    force_host(&uri, ip, &mut self.findings.failures),
                )),
                None => self.findings.failures.truncate(before),
            }
        }
        (uris, snapshots)
    }
}

/// GetStreamUri may name 0.0.0.0, another host or a wrong address (agsh/onvif#170): the stream is
/// on the device we asked.
fn force_host(uri: &str, ip: IpAddr, failures: &mut Vec<AnalyzeError>) -> String {
    let Ok(mut u) = url::Url::parse(uri) else {
        return uri.to_string();
    };
    let same = u
        .host_str()
        .and_then(|h| h.trim_matches(['[', ']']).parse::<IpAddr>().ok())
        == Some(ip);
    if !same {
        failures.push(AnalyzeError::NotFollowed(format!(
            "ONVIF stream URI {uri} names another host; using {ip}"
        )));
        let _ = u.set_host(Some(&ip.to_string()));
    }
    u.to_string()
}

/// `rtsp://host:port/path?query` split for RTSP analysis.
pub fn rtsp_target(uri: &str) -> Option<(SocketAddr, String)> {
    let u = url::Url::parse(uri).ok().filter(|u| u.scheme() == "rtsp")?;
    let ip: IpAddr = u.host_str()?.trim_matches(['[', ']']).parse().ok()?;
    let mut path = u.path().to_string();
    if let Some(q) = u.query() {
        path.push('?');
        path.push_str(q);
    }
    Some((SocketAddr::new(ip, u.port().unwrap_or(554)), path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_operation_is_named_by_its_body() {
        assert_eq!(operation(soap::GET_PROFILES), "GetProfiles");
        assert_eq!(operation(soap::GET_PROFILES2), "GetProfiles");
        assert_eq!(
            operation(soap::GET_DEVICE_INFORMATION),
            "GetDeviceInformation"
        );
        assert_eq!(operation(soap::GET_SERVICES), "GetServices");
        assert_eq!(operation(""), "");
    }

    #[test]
    fn hosts_are_forced_to_the_device() {
        let ip: IpAddr = "198.18.0.11".parse().unwrap();
        let mut f = Vec::new();
        assert_eq!(
            force_host("rtsp://0.0.0.0:554/a?b=1", ip, &mut f),
            "rtsp://198.18.0.11:554/a?b=1"
        );
        assert_eq!(f.len(), 1);
        assert_eq!(
            force_host("rtsp://198.18.0.11/x", ip, &mut f),
            "rtsp://198.18.0.11/x"
        );
        let (ep, path) = endpoint(ip, "http://10.9.9.9:8000/onvif/device_service", &mut f).unwrap();
        assert_eq!(
            (ep.addr.to_string(), path.as_str()),
            ("198.18.0.11:8000".into(), "/onvif/device_service")
        );
        assert!(endpoint(ip, "https://x/", &mut f).is_none());
        assert_eq!(
            rtsp_target("rtsp://198.18.0.11/Streaming/Channels/101?x=1")
                .unwrap()
                .1,
            "/Streaming/Channels/101?x=1"
        );
    }
}
