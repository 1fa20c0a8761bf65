//! What the device API says the device can do beyond streams: the PTZ service (GetNodes, the
//! profile's PTZ configuration or GetConfigurations, GetServiceCapabilities, GetStatus) and the
//! event service (GetServiceCapabilities, GetEventProperties), read by [`onvif_caps`]. Asked only
//! of services GetServices lists (or, without GetServices, that GetCapabilities names), through
//! the same [`Caller`] (its credential, the host's login budget, its deadlines). These calls are
//! optional: a device that lacks a service or refuses one of them is not failing, so their
//! failures are dropped (and logged at debug level).

use super::{Caller, Endpoint, Service, endpoint};
use model::capabilities::Events;
use proto::{onvif_caps, soap};

impl Caller<'_> {
    /// Fill the findings' `ptz` and `events`. `listed` is GetServices' `(namespace, XAddr)` list;
    /// `first_profile` the first media profile's token (GetStatus asks a profile).
    pub(super) async fn capabilities(
        &mut self,
        device: &Endpoint,
        device_path: &str,
        listed: &[(String, String)],
        first_profile: Option<&str>,
    ) {
        let before = self.findings.failures.len();
        let (ptz, events) = self.capability_services(device, device_path, listed).await;
        if let Some(svc) = ptz {
            self.ptz(&svc, first_profile).await;
        }
        if let Some(svc) = events {
            self.events(&svc).await;
        }
        for dropped in self.findings.failures.drain(before..) {
            tracing::debug!(ip = %self.ip, %dropped, "ONVIF capability call failed");
        }
    }

    /// The PTZ and event services: from GetServices' list, else GetCapabilities' `PTZ` and
    /// `Events` XAddrs (devices without GetServices).
    async fn capability_services(
        &mut self,
        device: &Endpoint,
        device_path: &str,
        listed: &[(String, String)],
    ) -> (Option<Service>, Option<Service>) {
        let ip = self.ip;
        let mut unused = Vec::new();
        if !listed.is_empty() {
            let find = |ns: &str, failures: &mut Vec<_>| {
                listed
                    .iter()
                    .find(|(n, _)| n.trim() == ns)
                    .and_then(|(_, x)| endpoint(ip, x, failures))
            };
            return (
                find(soap::NS_PTZ, &mut unused),
                find(soap::NS_EVENTS, &mut unused),
            );
        }
        let Some(caps) = self.call(device, device_path, soap::GET_CAPABILITIES).await else {
            return (None, None);
        };
        let at = |category: &str, failures: &mut Vec<_>| {
            soap::capability_xaddr(&caps, category).and_then(|x| endpoint(ip, &x, failures))
        };
        (at("PTZ", &mut unused), at("Events", &mut unused))
    }

    async fn ptz(&mut self, (ep, path): &Service, first_profile: Option<&str>) {
        let Some(mut ptz) = self
            .call(ep, path, soap::GET_PTZ_NODES)
            .await
            .and_then(|t| onvif_caps::ptz_nodes(&t))
        else {
            return;
        };
        let mut config = self.findings.ptz_profile.clone();
        if config.is_none() {
            config = self
                .call(ep, path, soap::GET_PTZ_CONFIGURATIONS)
                .await
                .and_then(|t| onvif_caps::ptz_configuration(&t));
        }
        let service_move_status = self
            .call(ep, path, soap::GET_PTZ_SERVICE_CAPABILITIES)
            .await
            .and_then(|t| onvif_caps::ptz_move_status_capability(&t));
        // GetStatus of the profile that holds the PTZ configuration, else the first profile.
        let token = config
            .as_ref()
            .and_then(|(t, _)| t.clone())
            .or(first_profile.map(str::to_string));
        if let Some(token) = token {
            ptz.move_status = self
                .call(ep, path, &soap::get_ptz_status(&token))
                .await
                .and_then(|t| onvif_caps::ptz_status_has_move_status(&t));
        }
        let config = config.map(|(_, c)| c);
        ptz.default_relative_space = config
            .as_ref()
            .and_then(|c| c.default_relative_pan_tilt.clone());
        ptz.autotracking =
            onvif_caps::frigate_autotracking(&ptz, config.as_ref(), service_move_status);
        self.findings.ptz = Some(ptz);
    }

    async fn events(&mut self, (ep, path): &Service) {
        let (pull_point, subscription_policy) = self
            .call(ep, path, soap::GET_EVENT_SERVICE_CAPABILITIES)
            .await
            .map(|t| onvif_caps::event_capabilities(&t))
            .unwrap_or_default();
        let topics = self
            .call(ep, path, soap::GET_EVENT_PROPERTIES)
            .await
            .map(|t| onvif_caps::event_topics(&t))
            .unwrap_or_default();
        let events = Events {
            pull_point,
            subscription_policy,
            topics,
        };
        if events != Events::default() {
            self.findings.events = Some(events);
        }
    }
}
