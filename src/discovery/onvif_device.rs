//! The ONVIF side of the WS-Discovery stage ([`super::wsd`]): the device API of a device that
//! answered (who it is, which the RTSP walk of its address waits for; its media profiles; the
//! streams GetStreamUri names, described within the device's session cap), as events.
//!
//! What it yields: an `Event::Identity` (maker, model, firmware, serial: the registry's most
//! trusted source, which overwrites what the other methods guessed), an `Event::Login` when one of
//! the scan's credentials opened the API, `Event::OnvifProfiles` (kept beside the WS-Discovery
//! answer's facts, whichever came first), an `Event::Capabilities` (the services GetServices lists,
//! the PTZ and event services' facts) when any was learned, an `Event::NvrChannels` (source
//! `onvif`) when the profiles name more than one video source (an NVR or encoder:
//! [`analyze::onvif::channels`]), an `Event::Stream` for each stream URI no RTSP analysis
//! took, and `Event::Failure`s. The maker it names goes on the identity board here, as soon as it
//! is known. Before all that, the answer itself (a Probe's, or a misaddressed device's Hello)
//! becomes one `Event::Onvif` ([`onvif_event`]).

use analyze::context::ScanContext;
use analyze::rtsp;
use error::AnalyzeError;
use model::Stage;
use proto::wsd;
use registry::Event;

/// Ask an ONVIF device who it is and analyse the streams it names.
pub(super) async fn onvif_device(
    ip: std::net::IpAddr,
    xaddr: &str,
    ctx: &ScanContext,
) -> Vec<Event> {
    tracing::debug!(%ip, xaddr, "ONVIF device API asked");
    // The RTSP walk of this address waits (a little) for the maker the device API names.
    let expected = ctx
        .identities
        .expect(ip, analyze::identity::Pending::OnvifDevice);
    let f = analyze::onvif::analyze(
        ip,
        xaddr,
        &analyze::onvif::OnvifSettings::for_device(ctx, ip),
    )
    .await;
    // The streams GetStreamUri named, for the RTSP walk of their port (this device's): a camera
    // that names its streams is asked those, not walked (`analyze::rtsp::opening`).
    for (_token, uri) in &f.stream_uris {
        if let Some((addr, path)) = analyze::onvif::rtsp_target(uri)
            && addr.ip() == ip
        {
            ctx.stream_hints.add(addr, &path);
        }
    }
    if let Some(info) = &f.info {
        ctx.identities.learn_maker(
            ip,
            analyze::identity::ClueSource::OnvifDevice,
            info.manufacturer.as_deref(),
            info.model.as_deref(),
        );
        ctx.identities.learn_keys(
            ip,
            &model::identity::Identity {
                serial: info
                    .serial
                    .as_deref()
                    .and_then(model::identity::normalize_serial),
                ..Default::default()
            },
        );
    }
    expected.done();
    let logins = f.logins();
    let profiles = profiles(&f);
    let mut events = Vec::new();
    if let Some(info) = f.info {
        events.push(Event::Identity {
            ip,
            vendor: info.manufacturer,
            model: info.model,
            firmware: info.firmware,
            serial: info.serial,
        });
    }
    if let (Some(c), Some(at)) = (&f.credential, f.login_at) {
        events.push(Event::Login {
            ip,
            login: model::ServiceLogin {
                service: format!("http://{at}"),
                what: "ONVIF".into(),
                username: c.username.clone(),
                credential_entry: ctx.auth.credentials.iter().position(|x| x == c),
            },
        });
    }
    if let Some(logins) = logins {
        events.push(Event::Capabilities {
            ip,
            capabilities: Box::new(model::Capabilities {
                logins: vec![logins],
                ..Default::default()
            }),
        });
    }
    let fail = |e: AnalyzeError| Event::Failure {
        ip,
        failure: e.failure(Stage::Analyze, None),
    };
    events.extend(f.failures.into_iter().map(fail));
    // An NVR's or encoder's channels: its profiles name more than one video source.
    let channels = analyze::onvif::channels::from_profiles(&f.profiles, &f.stream_uris);
    if !channels.is_empty() {
        tracing::info!(%ip, channels = channels.len(), "ONVIF profiles name one video source per channel");
        events.push(Event::NvrChannels { ip, channels });
    }
    events.push(Event::OnvifProfiles {
        ip,
        profiles,
        clock_offset_s: f.clock_offset,
        unauthenticated: f.unauthenticated,
    });
    if let Some(capabilities) = capabilities(f.services, f.ptz, f.events) {
        events.push(Event::Capabilities {
            ip,
            capabilities: Box::new(capabilities),
        });
    }
    events.extend(streams_named(ip, f.stream_uris, ctx).await);
    events
}

/// The device's media profiles as the report keeps them, each with its stream and snapshot URI.
fn profiles(f: &analyze::onvif::OnvifFindings) -> Vec<model::OnvifProfile> {
    let uri_of = |list: &[(String, String)], token: &str| {
        list.iter()
            .find(|(t, _)| t == token)
            .map(|(_, u)| u.clone())
    };
    f.profiles
        .iter()
        .map(|p| model::OnvifProfile {
            token: p.token.clone(),
            name: p.name.clone(),
            encoding: p.encoding.clone(),
            width: p.width,
            height: p.height,
            fps: p.fps,
            service: if f.media2 { "media2" } else { "media" }.to_string(),
            stream_uri: uri_of(&f.stream_uris, &p.token),
            snapshot_uri: uri_of(&f.snapshot_uris, &p.token),
        })
        .collect()
}

/// Each stream the profiles name (`(token, uri)`) that no RTSP port's analysis took, described
/// within the device's session cap: its `Event::Stream`, and a failure for each it could not.
async fn streams_named(
    ip: std::net::IpAddr,
    stream_uris: Vec<(String, String)>,
    ctx: &ScanContext,
) -> Vec<Event> {
    let fail = |e: AnalyzeError| Event::Failure {
        ip,
        failure: e.failure(Stage::Analyze, None),
    };
    let mut events = Vec::new();
    let mut targets = Vec::new();
    for (_token, uri) in stream_uris {
        let Some((addr, path)) = analyze::onvif::rtsp_target(&uri) else {
            events.push(fail(AnalyzeError::NotFollowed(format!(
                "ONVIF stream URI {uri} is not rtsp://"
            ))));
            continue;
        };
        if ctx.claim(&net::rtsp::url(addr, &path)) {
            targets.push((addr, path));
        }
    }
    use futures::StreamExt;
    let described: Vec<_> = futures::stream::iter(targets)
        .map(|(addr, path)| async move { rtsp::describe_stream(addr, &path, ctx).await })
        .buffered(ctx.sessions.cap())
        .collect()
        .await;
    for d in described {
        match d {
            Ok((stream, notes)) => {
                events.push(Event::Stream {
                    ip,
                    stream: Box::new(stream),
                });
                events.extend(notes.into_iter().map(fail));
            }
            Err(e) => events.push(fail(e.into())),
        }
    }
    events
}

/// The capability sheet of what the device API told: the services it lists, its PTZ and events.
fn capabilities(
    services: Vec<String>,
    ptz: Option<model::capabilities::Ptz>,
    events: Option<model::capabilities::Events>,
) -> Option<model::Capabilities> {
    let onvif = (!services.is_empty()).then(|| model::capabilities::OnvifServices {
        profiles: Vec::new(),
        services,
    });
    let c = model::Capabilities {
        ptz,
        events,
        onvif,
        ..Default::default()
    };
    (!c.is_empty()).then_some(c)
}

/// The registry event for one WS-Discovery answer (a Probe's, or a Hello's:
/// [`proto::wsd::Announcement::into_match`]), with the XAddrs that did not answer.
/// Link-local XAddrs get the zone the answer came in on (`zone`).
pub(crate) fn onvif_event(
    sender: std::net::IpAddr,
    m: wsd::ProbeMatch,
    stale_xaddrs: Vec<model::StaleXaddr>,
    zone: Option<&str>,
) -> Event {
    let scopes = wsd::scope_info(&m.scopes);
    let is_camera = m
        .types
        .iter()
        .any(|t| t.to_ascii_lowercase().ends_with("networkvideotransmitter"));
    Event::Onvif {
        ip: sender,
        name: scopes.name,
        model: scopes.hardware,
        vendor: scopes.manufacturer,
        mac: scopes.mac,
        is_camera,
        info: Box::new(model::OnvifInfo {
            endpoint: m.endpoint,
            xaddrs: m
                .xaddrs
                .iter()
                .map(|x| {
                    let x = wsd::fix_xaddr(x, sender);
                    match zone {
                        Some(z) => wsd::zone_xaddr(&x, z),
                        None => x,
                    }
                })
                .collect(),
            types: m.types,
            scopes: m.scopes,
            stale_xaddrs,
            ..model::OnvifInfo::default()
        }),
    }
}
