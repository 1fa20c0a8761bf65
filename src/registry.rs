//! The device registry: the one owner of scan results. Stages send [`Event`]s; the registry merges them
//! into one [`Device`] per IP and hands the exporters a deterministic, sorted view. No I/O here.
//! (Merging by MAC, serial and ONVIF endpoint comes with discovery.)

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::model::{
    Device, DiscoveryMethod, Failure, OnvifInfo, Protocol, Service, Stream, UpnpInfo,
};

/// Evidence about one address, from any stage.
#[derive(Debug, Clone)]
pub enum Event {
    PortOpen {
        ip: IpAddr,
        port: u16,
    },
    /// A host seen by a discovery method, with what that method learned.
    Host {
        ip: IpAddr,
        method: DiscoveryMethod,
        mac: Option<String>,
        vendor: Option<String>,
    },
    Service {
        ip: IpAddr,
        service: Service,
    },
    /// What a device said about itself through its management API (ONVIF GetDeviceInformation):
    /// the most trustworthy source, so it overwrites guesses.
    Identity {
        ip: IpAddr,
        vendor: Option<String>,
        model: Option<String>,
        firmware: Option<String>,
        serial: Option<String>,
    },
    /// An SSDP answer and the description it led to.
    Upnp {
        ip: IpAddr,
        info: Box<UpnpInfo>,
        is_camera: bool,
    },
    /// A WS-Discovery answer, with what its scopes say.
    Onvif {
        ip: IpAddr,
        info: Box<OnvifInfo>,
        name: Option<String>,
        model: Option<String>,
        vendor: Option<String>,
        mac: Option<String>,
        is_camera: bool,
    },
    Stream {
        ip: IpAddr,
        stream: Box<Stream>,
    },
    Failure {
        ip: IpAddr,
        failure: Failure,
    },
}

#[derive(Debug, Default)]
pub struct Registry {
    devices: BTreeMap<IpAddr, Device>,
    hostnames: BTreeMap<IpAddr, String>,
}

impl Registry {
    /// `hostnames`: names the user typed, by address, to show on their devices.
    pub fn new(hostnames: BTreeMap<IpAddr, String>) -> Self {
        Registry {
            devices: BTreeMap::new(),
            hostnames,
        }
    }

    fn device(&mut self, ip: IpAddr) -> &mut Device {
        let hostnames = &self.hostnames;
        self.devices.entry(ip).or_insert_with(|| {
            let mut d = Device::new(ip);
            d.hostname = hostnames.get(&ip).cloned();
            d
        })
    }

    pub fn apply(&mut self, event: Event) {
        match event {
            Event::PortOpen { ip, port } => {
                let d = self.device(ip);
                if !d.open_ports.contains(&port) {
                    d.open_ports.push(port);
                }
                if !d.discovered_by.contains(&DiscoveryMethod::Port) {
                    d.discovered_by.push(DiscoveryMethod::Port);
                }
            }
            Event::Host {
                ip,
                method,
                mac,
                vendor,
            } => {
                let d = self.device(ip);
                if d.mac.is_none() {
                    d.mac = mac;
                }
                if d.vendor.is_none() {
                    d.vendor = vendor;
                }
                if !d.discovered_by.contains(&method) {
                    d.discovered_by.push(method);
                }
            }
            Event::Identity {
                ip,
                vendor,
                model,
                firmware,
                serial,
            } => {
                let d = self.device(ip);
                d.vendor = vendor.or(d.vendor.take());
                d.model = model.or(d.model.take());
                d.firmware = firmware.or(d.firmware.take());
                d.serial = serial.or(d.serial.take());
            }
            Event::Upnp {
                ip,
                info,
                is_camera,
            } => {
                let d = self.device(ip);
                // A description fills gaps; ONVIF and the device API say more, and win.
                d.name = d.name.take().or(info.friendly_name.clone());
                d.vendor = d.vendor.take().or(info.manufacturer.clone());
                d.model = d.model.take().or(info.model_name.clone());
                d.serial = d.serial.take().or(info.serial_number.clone());
                d.is_camera |= is_camera;
                if !d.discovered_by.contains(&DiscoveryMethod::Ssdp) {
                    d.discovered_by.push(DiscoveryMethod::Ssdp);
                }
                d.upnp = Some(*info);
            }
            Event::Onvif {
                ip,
                info,
                name,
                model,
                vendor,
                mac,
                is_camera,
            } => {
                let d = self.device(ip);
                // The device's own words beat guesses from a MAC prefix.
                d.name = name.or(d.name.take());
                d.model = model.or(d.model.take());
                d.vendor = vendor.or(d.vendor.take());
                if d.mac.is_none() {
                    d.mac = mac.map(|m| m.to_ascii_lowercase());
                }
                d.is_camera |= is_camera;
                if !d.discovered_by.contains(&DiscoveryMethod::Onvif) {
                    d.discovered_by.push(DiscoveryMethod::Onvif);
                }
                d.onvif = Some(*info);
            }
            Event::Service { ip, service } => {
                let d = self.device(ip);
                match d
                    .services
                    .iter_mut()
                    .find(|s| s.port == service.port && s.protocol == service.protocol)
                {
                    Some(existing) => *existing = service,
                    None => d.services.push(service),
                }
            }
            Event::Stream { ip, stream } => {
                let d = self.device(ip);
                match d.streams.iter_mut().find(|s| s.url == stream.url) {
                    Some(existing) => *existing = *stream,
                    None => d.streams.push(*stream),
                }
            }
            Event::Failure { ip, failure } => self.device(ip).errors.push(failure),
        }
    }

    pub fn len(&self) -> usize {
        self.devices.len()
    }

    pub fn is_empty(&self) -> bool {
        self.devices.is_empty()
    }

    /// Every device, sorted by IP, with its lists sorted, and `is_camera` decided.
    pub fn devices(&self) -> Vec<Device> {
        self.devices
            .values()
            .cloned()
            .map(|mut d| {
                d.open_ports.sort_unstable();
                d.discovered_by.sort();
                d.services.sort_by_key(|s| (s.port, s.protocol));
                d.streams
                    .sort_by(|a, b| (a.port, &a.url).cmp(&(b.port, &b.url)));
                d.errors.sort_by(|a, b| {
                    (a.stage, a.port, &a.message).cmp(&(b.stage, b.port, &b.message))
                });
                // An RTSP server on a LAN is a camera, NVR or video server: exactly what users look for.
                d.is_camera = d.is_camera
                    || !d.streams.is_empty()
                    || d.services.iter().any(|s| s.protocol == Protocol::Rtsp);
                d
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AuthScheme, Stage, Transport};

    fn service(port: u16, protocol: Protocol) -> Service {
        Service {
            port,
            transport: Transport::Tcp,
            protocol,
            server: None,
            auth: AuthScheme::None,
            realm: None,
            methods: vec![],
        }
    }

    #[test]
    fn merges_and_sorts_deterministically() {
        let a: IpAddr = "10.0.0.2".parse().unwrap();
        let b: IpAddr = "10.0.0.10".parse().unwrap();
        let mut names = BTreeMap::new();
        names.insert(b, "cam".to_string());
        let mut r = Registry::new(names);
        r.apply(Event::PortOpen { ip: b, port: 8554 });
        r.apply(Event::PortOpen { ip: b, port: 554 });
        r.apply(Event::PortOpen { ip: b, port: 554 });
        r.apply(Event::PortOpen { ip: a, port: 80 });
        r.apply(Event::Service {
            ip: a,
            service: service(80, Protocol::Http),
        });
        r.apply(Event::Service {
            ip: b,
            service: service(8554, Protocol::Rtsp),
        });
        r.apply(Event::Failure {
            ip: a,
            failure: Failure {
                stage: Stage::Analyze,
                port: Some(80),
                message: "x".into(),
            },
        });
        r.apply(Event::Stream {
            ip: b,
            stream: Box::new(Stream::new(
                "rtsp://10.0.0.10:8554/a".into(),
                Protocol::Rtsp,
                8554,
            )),
        });
        let d = r.devices();
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].ip, a); // 10.0.0.2 before 10.0.0.10: by address, not by text
        assert!(!d[0].is_camera);
        assert_eq!(d[0].errors.len(), 1);
        assert_eq!(d[1].open_ports, [554, 8554]);
        assert_eq!(d[1].hostname.as_deref(), Some("cam"));
        assert!(d[1].is_camera);
        assert_eq!(d[1].discovered_by, [DiscoveryMethod::Port]);
    }
}
