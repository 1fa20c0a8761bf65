//! ONVIF capability replies (`proto::onvif_caps`), read as `analyze::onvif` does (lossy UTF-8):
//! PTZ GetNodes, GetConfigurations/GetProfiles' PTZ configuration, GetServiceCapabilities,
//! GetStatus, the event service's capabilities and GetEventProperties' topics, and WS-Discovery
//! scopes' profiles; with the bounds each promises.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proto::{onvif_caps, soap};

fuzz_target!(|data: &[u8]| {
    let xml = String::from_utf8_lossy(data);
    if let Some(p) = onvif_caps::ptz_nodes(&xml) {
        assert!(p.nodes <= onvif_caps::MAX_NODES);
        assert!(p.spaces.len() <= onvif_caps::MAX_SPACES);
        let config = onvif_caps::ptz_configuration(&xml).map(|(_, c)| c);
        let _ = onvif_caps::frigate_autotracking(&p, config.as_ref(), Some(true));
    }
    let _ = onvif_caps::ptz_move_status_capability(&xml);
    let _ = onvif_caps::ptz_status_has_move_status(&xml);
    let _ = onvif_caps::event_capabilities(&xml);
    let topics = onvif_caps::event_topics(&xml);
    assert!(topics.len() <= onvif_caps::MAX_TOPICS);
    assert!(
        topics
            .iter()
            .all(|t| t.split('/').count() <= onvif_caps::MAX_TOPIC_DEPTH)
    );
    let _ = soap::capability_xaddr(&xml, "PTZ");
    let scopes: Vec<String> = xml.split_whitespace().map(str::to_string).collect();
    assert!(onvif_caps::profiles_from_scopes(&scopes).len() <= 7);
    let _ = onvif_caps::service_names(&soap::services(&xml));
});
