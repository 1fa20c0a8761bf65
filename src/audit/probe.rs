//! What an audit asks beyond the scan, before it is recorded: each device's SNMP agent, with the
//! default communities only, read only (`GetRequest sysDescr.0`), and each TLS port whether it
//! would agree to TLS 1.1 or older (one ClientHello, then the connection is closed); and, only with
//! `--check-defaults`, the makers' factory credentials on the streams that asked for a login,
//! inside the scan's failed-login budget. The one part of the audit that sends anything; the rules
//! stay pure.

use std::time::Duration;

use model::{DefaultLogin, Report, SnmpInfo, StreamStatus};

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
            let addr = std::net::SocketAddr::new(d.ip, net::snmp::PORT);
            async move {
                let answers = futures::future::join_all(COMMUNITIES.iter().map(|c| async move {
                    match net::snmp::sys_descr(addr, c, wait).await {
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
            let sys_descr = answers.iter().find_map(|(_, s)| s.clone());
            // sysDescr names the model a device's other answers left out (`AXIS P1375 Network
            // Camera`): the identity says it too.
            if d.model.is_none()
                && let (Some(vendor), Some(text)) = (d.vendor.as_deref(), sys_descr.as_deref())
                && let Some(model) = model::model_named_in(vendor, text)
            {
                d.evidence
                    .push(format!("SNMP sysDescr names the model {model}"));
                d.model = Some(model);
            }
            d.snmp = Some(SnmpInfo {
                sys_descr,
                communities: answers.into_iter().map(|(c, _)| c).collect(),
            });
        }
    }
}

/// Ask every TLS port (a service with `tls`, or a port where camscan tries TLS first) whether it
/// agrees to TLS 1.1 or older; a port that does gets `tls_legacy`.
pub async fn tls_legacy(report: &mut Report, connect_timeout: Duration, timeout: Duration) {
    use futures::StreamExt;
    use proto::tls_hello::{HelloAnswer, TLS11, version_name};
    let ports: Vec<(usize, usize, std::net::SocketAddr)> = report
        .devices
        .iter()
        .enumerate()
        .flat_map(|(i, d)| {
            d.services.iter().enumerate().filter_map(move |(j, s)| {
                let tls = s.tls.is_some() || detect::TLS_PORTS.contains(&s.port);
                (tls && s.transport == model::Transport::Tcp)
                    .then(|| (i, j, std::net::SocketAddr::new(d.ip, s.port)))
            })
        })
        .collect();
    let answers: Vec<(usize, usize, Option<String>)> = futures::stream::iter(ports)
        .map(|(i, j, addr)| async move {
            let got = net::tls::legacy_hello(addr, connect_timeout, timeout).await;
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

/// The factory credentials `--check-defaults` tries on a device whose maker is `vendor` (its
/// report's text): that maker's documented ones first, then every other distinct credential of
/// all makers, in the data file's order (a maker's device may run another's firmware, or be
/// reset by an installer to another default). A credential is listed once (the first maker
/// documenting it). Pure; the order is the order of the tries, which stop, as always, at the
/// host's failed-login budget or at a lockout ([`try_device`]).
pub fn defaults_for<'a>(
    vendor: Option<&str>,
    all: &'a [knowledge::DefaultCredential],
) -> Vec<&'a knowledge::DefaultCredential> {
    let maker = vendor.and_then(|v| knowledge::get().vendor_for_text(v));
    let own = |d: &&knowledge::DefaultCredential| maker.is_some_and(|m| d.vendor == m.as_str());
    let mut out: Vec<&knowledge::DefaultCredential> = Vec::new();
    for d in all.iter().filter(own).chain(all.iter().filter(|d| !own(d))) {
        if !out
            .iter()
            .any(|o| o.username == d.username && o.password == d.password)
        {
            out.push(d);
        }
    }
    out
}

/// Whose default `user`/`password` is: every maker documenting it, by display name.
fn makers_of(all: &[knowledge::DefaultCredential], user: &str, password: &str) -> String {
    let mut names: Vec<String> = Vec::new();
    for d in all
        .iter()
        .filter(|d| d.username == user && d.password == password)
    {
        let n = knowledge::display_name(&d.vendor);
        if !names.contains(&n) {
            names.push(n);
        }
    }
    names.join(", ")
}

/// `--check-defaults`: the makers' factory credentials, tried on every RTSP stream that asked
/// for credentials the scan did not have, through the scan's own RTSP login path
/// ([`analyze::rtsp::describe_stream`]) and its failed-login budget (`auth.budget`, as the
/// scan left it): a credential a host refused is never sent to it again (one try per credential
/// per device), none is sent once the budget is spent or the device locked us out, and none with
/// `--no-auth` (in `settings`, with the scan's deadlines). A credential of the scan's own list that is a factory default and opened a stream
/// is recognised without sending anything. Each default that opens a stream is recorded on the
/// device ([`model::DefaultLogin`]: the user, never the password).
pub async fn default_credentials(
    report: &mut Report,
    auth: &analyze::context::AuthSettings,
    settings: &input::setting::Settings,
) {
    use futures::StreamExt;
    let all = &knowledge::get().default_credentials;
    if settings.get(&analyze::context::NO_AUTH) || all.is_empty() {
        return;
    }
    let connect_timeout = settings.get(&net::CONNECT_TIMEOUT);
    let timeout = settings.get(&net::TIMEOUT);
    // The scan's own credentials that are factory defaults, where they opened a stream.
    for d in &mut report.devices {
        let mut found = Vec::new();
        for s in d.streams.iter().filter(|s| s.status.answers()) {
            let Some(c) = s.credential_entry.and_then(|i| auth.credentials.get(i)) else {
                continue;
            };
            if let Some(def) = all
                .iter()
                .find(|x| x.username == c.username && x.password == c.password)
            {
                found.push(login(all, def, s, true));
            }
        }
        d.default_logins.extend(found);
    }
    let asked: Vec<(usize, Vec<DefaultLogin>)> =
        futures::stream::iter(report.devices.iter().enumerate())
            .map(|(i, d)| async move {
                let tries = defaults_for(d.vendor.as_deref(), all);
                (
                    i,
                    try_device(d, &tries, all, auth, connect_timeout, timeout).await,
                )
            })
            .buffer_unordered(AT_ONCE)
            .collect()
            .await;
    for (i, logins) in asked {
        if let Some(d) = report.devices.get_mut(i) {
            d.default_logins.extend(logins);
        }
    }
}

fn login(
    all: &[knowledge::DefaultCredential],
    def: &knowledge::DefaultCredential,
    s: &model::Stream,
    given: bool,
) -> DefaultLogin {
    DefaultLogin {
        username: def.username.clone(),
        maker: makers_of(all, &def.username, &def.password),
        opened: s.url.clone(),
        port: s.port,
        // The document's address only: its text quotes the password.
        source: def
            .source
            .split_whitespace()
            .filter(|w| w.starts_with("https://") || w.starts_with("http://"))
            .collect::<Vec<_>>()
            .join(" "),
        given,
    }
}

/// One device's RTSP streams that asked for credentials, each DESCRIBEd with `tries` through
/// the scan's login path; the host's budget session serialises them.
async fn try_device(
    d: &model::Device,
    tries: &[&knowledge::DefaultCredential],
    all: &[knowledge::DefaultCredential],
    auth: &analyze::context::AuthSettings,
    connect_timeout: Duration,
    timeout: Duration,
) -> Vec<DefaultLogin> {
    use analyze::context::{AuthSettings, ScanContext};
    let locked: Vec<&model::Stream> = d
        .streams
        .iter()
        .filter(|s| {
            s.protocol == model::Protocol::Rtsp
                && matches!(
                    s.status,
                    StreamStatus::AuthRequired | StreamStatus::AuthFailed
                )
                && s.url.starts_with("rtsp://")
        })
        .collect();
    if locked.is_empty() || tries.is_empty() {
        return Vec::new();
    }
    let creds: Vec<credentials::Credential> = tries
        .iter()
        .map(|t| credentials::Credential::new(t.username.clone(), t.password.clone()))
        .collect();
    // Credentials may be sent (`default_credentials` returned early with `--no-auth`); no PLAY.
    let mut ctx =
        ScanContext::anonymous(connect_timeout, timeout).with(&analyze::context::VERIFY, false);
    ctx.auth = AuthSettings {
        credentials: std::sync::Arc::new(creds),
        budget: auth.budget.clone(),
    };
    let mut out = Vec::new();
    for s in locked {
        let Ok(u) = url::Url::parse(&s.url) else {
            continue;
        };
        let Some(ip) = u
            .host_str()
            .and_then(|h| h.trim_matches(['[', ']']).parse::<std::net::IpAddr>().ok())
        else {
            continue;
        };
        let addr = std::net::SocketAddr::new(ip, u.port().unwrap_or(s.port));
        let mut path = u.path().to_string();
        if let Some(q) = u.query() {
            path.push('?');
            path.push_str(q);
        }
        match analyze::rtsp::describe_stream(addr, &path, &ctx).await {
            Ok((opened, _)) if opened.status.answers() => {
                // Opened by one of ours (not by a credential of the scan's that the host had
                // proven good, which the login path tries alone).
                if let Some(def) = opened.credential_entry.and_then(|i| tries.get(i)) {
                    out.push(login(all, def, s, false));
                }
            }
            Ok(_) => {}
            Err(e) => tracing::debug!(%addr, "default credentials: {e}"),
        }
        if auth.budget.session(ip).await.locked() {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A factory default in the scan's own credentials that opened a stream is recognised with
    /// nothing sent (the device has no stream left asking for a login); with `--no-auth`
    /// nothing happens at all.
    #[tokio::test]
    async fn a_default_among_the_scans_own_credentials_is_recognised_without_sending() {
        use analyze::budget::AuthBudget;
        use analyze::context::AuthSettings;
        use model::{Device, Protocol, Stream};
        let mut d = Device::new("198.18.0.40".parse().unwrap());
        let mut s = Stream::new("rtsp://198.18.0.40:554/live".into(), Protocol::Rtsp, 554);
        s.status = StreamStatus::Ok;
        s.username = Some("admin".into());
        s.credential_entry = Some(1);
        d.streams.push(s);
        let mut report = Report {
            schema_version: 1,
            camscan_version: "0".into(),
            started_at: String::new(),
            finished_at: String::new(),
            complete: true,
            targets: vec![],
            plan: None,
            coverage: None,
            devices: vec![d],
        };
        let auth = AuthSettings {
            credentials: std::sync::Arc::new(vec![
                credentials::Credential::new("root", "site-own"),
                credentials::Credential::new("admin", "12345"),
            ]),
            budget: std::sync::Arc::new(AuthBudget::new(3)),
        };
        let t = Duration::from_millis(100);
        let mut settings = input::setting::Settings::default();
        settings.set(&net::CONNECT_TIMEOUT, t);
        settings.set(&net::TIMEOUT, t);
        settings.set(&analyze::context::NO_AUTH, true);
        default_credentials(&mut report, &auth, &settings).await;
        assert!(report.devices[0].default_logins.is_empty(), "--no-auth");
        settings.set(&analyze::context::NO_AUTH, false);
        default_credentials(&mut report, &auth, &settings).await;
        let l = &report.devices[0].default_logins;
        assert_eq!(l.len(), 1);
        assert_eq!(
            (l[0].username.as_str(), l[0].maker.as_str(), l[0].given),
            ("admin", "Hikvision", true)
        );
        assert!(!serde_json::to_string(l).unwrap().contains("12345"));
        assert_eq!(auth.budget.total_failures().await, 0, "nothing sent");
    }

    /// The device's maker's defaults when it has any; else each distinct credential of all
    /// makers once, in the file's order.
    #[test]
    fn which_defaults_a_device_gets() {
        let all = &knowledge::embedded().default_credentials;
        let users = |v: Vec<&knowledge::DefaultCredential>| {
            v.iter()
                .map(|d| format!("{}/{}", d.vendor, d.username))
                .collect::<Vec<_>>()
        };
        let unknown = defaults_for(None, all);
        assert_eq!(
            unknown.len(),
            all.len(),
            "every entry of the file is distinct"
        );
        // An unknown maker: the file's order.
        let file: Vec<String> = all
            .iter()
            .map(|d| format!("{}/{}", d.vendor, d.username))
            .collect();
        assert_eq!(users(unknown.clone()), file);
        assert_eq!(users(unknown.clone())[0], "hikvision/admin");
        // A known maker: its own documented defaults first, then the rest in the file's order.
        let axis = users(defaults_for(Some("Axis Communications AB"), all));
        assert_eq!(axis[0], "axis/root");
        let rest: Vec<String> = file.iter().filter(|u| *u != "axis/root").cloned().collect();
        assert_eq!(axis[1..], rest[..]);
        let hik = users(defaults_for(Some("HIKVISION"), all));
        assert_eq!(hik, file, "Hikvision's is the file's first already");
        let mobotix = users(defaults_for(Some("MOBOTIX AG"), all));
        assert_eq!(mobotix[0], "mobotix/admin");
        assert_eq!(mobotix.len(), all.len());
        // A maker with no documented default (Reolink) gets every maker's, in the file's order.
        assert_eq!(users(defaults_for(Some("Reolink"), all)), file);
        // Two makers sharing one default: tried once, named after both.
        let mut two = all.clone();
        let mut copy = two[0].clone();
        copy.vendor = "lorex".into();
        two.push(copy);
        assert_eq!(defaults_for(None, &two).len(), unknown.len());
        assert_eq!(makers_of(&two, "admin", "12345"), "Hikvision, Lorex");
    }
}
