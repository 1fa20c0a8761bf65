//! ONVIF SOAP replies (`proto::soap`), read as `analyze::onvif` does (lossy UTF-8): faults,
//! GetSystemDateAndTime, GetDeviceInformation, GetCapabilities, GetServices, GetProfiles (Media1
//! and Media2, with each profile's video source) and GetStreamUri/GetSnapshotUri.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proto::soap;

fuzz_target!(|data: &[u8]| {
    let xml = String::from_utf8_lossy(data);
    if let Some(f) = soap::fault(&xml) {
        let _ = f.is_not_authorized();
    }
    let _ = soap::system_date_time_utc(&xml);
    let _ = soap::device_information(&xml);
    let _ = soap::first_enabled_mac(&xml);
    let _ = soap::media_xaddr(&xml);
    assert!(soap::services(&xml).len() <= soap::MAX_SERVICES);
    let profiles = soap::profiles(&xml);
    assert!(profiles.len() <= soap::MAX_PROFILES);
    // Each profile's video source (token and name), clipped like every text kept.
    for p in &profiles {
        for t in [&p.source_token, &p.source_name].into_iter().flatten() {
            assert!(!t.is_empty() && t.chars().count() <= 256);
        }
    }
    let _ = soap::media_uri(&xml);
});
