//! What one camera is in Home Assistant: the integration it goes through and the fields that
//! integration's flow takes and holds.

use serde_json::{Value, json};

use crate::push::plan::Entry;
use crate::push::tools::{EntryInput, Password};
use export::cameras;
use model::{AuthScheme, Protocol};

/// The integration an entry's value names.
pub(super) fn integration<'e>(entry: &'e Entry, name: &str) -> &'e str {
    entry
        .get(name)
        .and_then(|v| v["integration"].as_str())
        .unwrap_or("")
}

/// One camera's value: the integration it goes through and the fields Home Assistant holds.
pub(super) fn camera_entry(i: &EntryInput<'_, '_>) -> Value {
    let cam = i.cam;
    let login = login(i);
    let main = cam.main;
    if main.protocol == Protocol::Mjpeg {
        let mut v = json!({
            "integration": "mjpeg",
            "mjpeg_url": cameras::safe_url(&main.url),
            "verify_ssl": false,
        });
        if let Some(still) = cameras::snapshot(cam.device, main) {
            v["still_image_url"] = json!(still);
        }
        if let Some((user, pass)) = login {
            v["username"] = json!(user);
            v["password"] = json!(pass);
        }
        return v;
    }
    // A camera Home Assistant's ONVIF integration refused before stays the generic camera's.
    let before = i.written.and_then(|w| w.get(i.name));
    if let Some(why) = before
        .filter(|b| b["integration"] == "generic")
        .and_then(|b| b["_why"].as_str())
    {
        return generic(i, login, Some(why.to_string()));
    }
    let Some(s) = cameras::onvif_service(cam.device) else {
        return generic(i, login, None);
    };
    if let Some(why) = onvif_refusal(i) {
        return generic(i, login, Some(why));
    }
    let (user, pass) = login.clone().unwrap_or_default();
    let mut v = json!({
        "integration": "onvif",
        "device": format!("http://{}:{}", s.host, s.port),
        "_login": {"username": user, "password": pass},
        "_generic": generic(i, login, None),
    });
    // The identity Home Assistant must key it by: its own MAC, when camscan knows it (ARP; not a
    // routed camera's, nor a MAC many addresses answered for).
    if let Some(mac) = cam.device.mac.as_deref().filter(|_| !cam.device.mac_shared) {
        v["identity"] = json!(normal_mac(mac));
    }
    v
}

/// Why a camera is not added through the ONVIF integration (`None`: it is).
fn onvif_refusal(i: &EntryInput<'_, '_>) -> Option<String> {
    let d = i.cam.device;
    let s = cameras::onvif_service(d)?;
    if d.onvif.as_ref().is_none_or(|o| o.profiles.is_empty()) {
        return Some("camscan read no ONVIF media profile from it".into());
    }
    if s.path != "/onvif/device_service" {
        // Home Assistant asks the default path only (`onvif-zeep-async`'s `ONVIFCamera`).
        return Some(format!(
            "its ONVIF service is at {}, where Home Assistant does not look",
            s.path
        ));
    }
    if matches!(i.password, Password::Unknown | Password::Reference) {
        return Some("its ONVIF login is unknown".into());
    }
    None
}

/// The camera's login as a flow takes it: `None` when it needs none.
fn login(i: &EntryInput<'_, '_>) -> Option<(String, String)> {
    let user = i.cam.main.username.clone()?;
    match i.password {
        Password::Known(p) => Some((user, p.clone())),
        _ => Some((user, String::new())),
    }
}

/// The generic camera's value for `i`, and why it is not the ONVIF integration's.
fn generic(i: &EntryInput<'_, '_>, login: Option<(String, String)>, why: Option<String>) -> Value {
    let main = i.cam.main;
    let mut v = json!({
        "integration": "generic",
        "stream_source": cameras::safe_url(&main.url),
        "framerate": 2.0,
        "verify_ssl": false,
    });
    if main.protocol == Protocol::Rtsp {
        let udp = main.measured.as_ref().is_some_and(|m| m.transport == "udp");
        v["rtsp_transport"] = json!(if udp { "udp" } else { "tcp" });
    }
    // A still Home Assistant refused before is left out again (`add_generic`).
    let refused = i
        .written
        .and_then(|w| w.get(i.name))
        .is_some_and(|b| b["_still_refused"] == true);
    match cameras::snapshot(i.cam.device, main) {
        Some(_) if refused => v["_still_refused"] = json!(true),
        Some(still) => v["still_image_url"] = json!(still),
        None => {}
    }
    if let Some((user, pass)) = login {
        v["authentication"] = json!(match main.auth {
            AuthScheme::Digest => "digest",
            _ => "basic",
        });
        v["username"] = json!(user);
        v["password"] = json!(pass);
    }
    if let Some(why) = why {
        v["_why"] = json!(why);
    }
    v
}

/// `aa:bb:cc:dd:ee:ff`, as a MAC compares.
pub(super) fn normal_mac(m: &str) -> String {
    m.trim().to_ascii_lowercase().replace('-', ":")
}
