//! The identity an ONVIF camera reports, asked as Home Assistant's ONVIF integration asks it.

use super::entry::normal_mac;

/// The identity a camera's ONVIF device service at `device` (`http://host:port`) reports, asked
/// as Home Assistant asks it (`components/onvif/config_flow.py` `async_setup_profiles`): the first
/// enabled interface's MAC; the serial number when GetNetworkInterfaces faults "not implemented";
/// any other fault or no answer is what Home Assistant would refuse the camera for.
pub(super) async fn reported_identity(
    device: &str,
    user: &str,
    password: &str,
) -> Result<String, String> {
    use proto::soap;
    let url = format!("{}/onvif/device_service", device.trim_end_matches('/'));
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .no_proxy()
        .build()
        .map_err(|e| e.to_string())?;
    let ask = |body: &'static str| {
        let security = (!user.is_empty()).then(|| {
            let mut nonce = [0u8; 16];
            let _ = getrandom::fill(&mut nonce);
            let created = jiff::Timestamp::now()
                .strftime("%Y-%m-%dT%H:%M:%SZ")
                .to_string();
            soap::username_token(soap::TokenKind::Digest, user, password, &nonce, &created)
        });
        let envelope = soap::envelope(security.as_deref(), body);
        let req = http
            .post(&url)
            .header("content-type", "application/soap+xml; charset=utf-8")
            .body(envelope);
        async move {
            let resp = req.send().await.map_err(|e| e.to_string())?;
            let text = resp.text().await.map_err(|e| e.to_string())?;
            Ok::<String, String>(text)
        }
    };
    let xml = ask(soap::GET_NETWORK_INTERFACES).await?;
    if let Some(f) = soap::fault(&xml) {
        let reason = f.reason.clone().unwrap_or_default();
        if f.is_not_authorized() {
            return Err(format!("its login was refused: {reason}"));
        }
        if !reason.contains("not implemented") {
            return Err(format!("GetNetworkInterfaces: {reason}"));
        }
    } else if let Some(mac) = soap::first_enabled_mac(&xml) {
        return Ok(normal_mac(&mac));
    }
    let xml = ask(soap::GET_DEVICE_INFORMATION).await?;
    soap::device_information(&xml)
        .and_then(|i| i.serial)
        .map(|s| normal_mac(&s))
        .ok_or_else(|| "it reports neither a MAC nor a serial number".into())
}
