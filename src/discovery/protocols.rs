//! The vendor discovery protocols, one registration each: everything the engine
//! ([`super::vendor`]) and the scan need to run one (ports, group, query, pure parser, maker).
//!
//! Adding a protocol is a parser in `crates/proto/`, an entry in [`PROTOCOLS`], and a variant of
//! [`DiscoveryMethod`] (the `--discovery` name and the report's name) with its `--help` line
//! (`super::CHOICES`). The vendor stage ([`super::vendor`]), the registry merge (MAC > serial >
//! address), the channel walk and the inventory take it from here.

use std::net::Ipv4Addr;

use model::{Announcement, DiscoveryMethod};
use proto::{bosch, dhip, dvrip, foscam, hanwha, sadp, sony, ubiquiti, vivotek};

/// What one answer says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub info: Announcement,
    /// The brand the device names itself (DHIP `Vendor`); else the protocol's maker is used.
    pub vendor: Option<String>,
    /// A video device (camera, NVR, DVR, door station), not any box that speaks the protocol.
    pub is_camera: bool,
}

/// One vendor discovery protocol.
#[derive(Debug)]
pub struct VendorProtocol {
    /// The `--discovery` choice that runs it, and how reports name the devices it found.
    pub method: DiscoveryMethod,
    /// For logs.
    pub name: &'static str,
    /// Where queries go (broadcast, group, unicast).
    pub port: u16,
    /// Where devices send answers besides the asking socket: the query port for protocols whose
    /// devices answer to the port (DVRIP, Foscam) or to the group (SADP, DHIP); another one for
    /// Hanwha (7711) and Bosch (1758); `None` when they answer the asking socket only.
    pub reply_port: Option<u16>,
    /// The multicast group queries also go to, joined on the reply port.
    pub group: Option<Ipv4Addr>,
    /// The maker (a `data/vendors.yaml` id) when the answer does not name one.
    pub vendor: &'static str,
    /// The datagrams to send, given a fresh random token (SADP echoes it).
    pub query: fn(token: &str) -> Vec<Vec<u8>>,
    /// What an answer says; `Err` with why when it is not an answer to us.
    pub parse: fn(bytes: &[u8], token: &str) -> Result<Found, String>,
}

/// Every vendor protocol, run side by side inside the discovery window.
pub static PROTOCOLS: [VendorProtocol; 9] = [
    VendorProtocol {
        method: DiscoveryMethod::Sadp,
        name: "SADP",
        port: sadp::PORT,
        reply_port: Some(sadp::PORT),
        group: Some(sadp::GROUP),
        vendor: knowledge::vendors::HIKVISION,
        query: |token| sadp::probes(token).map(String::into_bytes).to_vec(),
        parse: |bytes, token| match sadp::parse(bytes) {
            // An answer to another SADP client's inquiry is not ours to report.
            Some(r)
                if r.uuid
                    .as_deref()
                    .is_none_or(|u| u.eq_ignore_ascii_case(token)) =>
            {
                Ok(camera(r.info, None))
            }
            Some(_) => Err("an answer to another SADP client".into()),
            None => Err("not a ProbeMatch".into()),
        },
    },
    VendorProtocol {
        method: DiscoveryMethod::Dhip,
        name: "DHIP",
        port: dhip::PORT,
        reply_port: Some(dhip::PORT),
        group: Some(dhip::GROUP),
        vendor: knowledge::vendors::DAHUA,
        query: |_| vec![dhip::search()],
        parse: |bytes, _| {
            let r = dhip::parse(bytes).map_err(|e| e.to_string())?;
            Ok(camera(r.info, r.vendor))
        },
    },
    VendorProtocol {
        method: DiscoveryMethod::Dvrip,
        name: "DVRIP",
        port: dvrip::PORT,
        // Devices answer to port 34569 of the asker, not to the asking socket.
        reply_port: Some(dvrip::PORT),
        group: None,
        vendor: "xmeye",
        query: |_| vec![dvrip::search()],
        parse: |bytes, _| {
            Ok(camera(
                dvrip::parse(bytes).map_err(|e| e.to_string())?,
                None,
            ))
        },
    },
    VendorProtocol {
        method: DiscoveryMethod::Ubiquiti,
        name: "Ubiquiti",
        port: ubiquiti::PORT,
        reply_port: Some(ubiquiti::PORT),
        group: Some(ubiquiti::GROUP),
        vendor: "ubiquiti",
        query: |_| ubiquiti::requests().to_vec(),
        parse: |bytes, _| {
            let info = ubiquiti::parse(bytes).map_err(|e| e.to_string())?;
            let is_camera = ubiquiti::is_camera(&info);
            Ok(Found {
                info,
                vendor: None,
                is_camera,
            })
        },
    },
    VendorProtocol {
        method: DiscoveryMethod::Hanwha,
        name: "Hanwha",
        port: hanwha::PORT,
        reply_port: Some(hanwha::REPLY_PORT),
        group: None,
        vendor: "hanwha",
        query: |_| vec![hanwha::request()],
        parse: |bytes, _| {
            Ok(camera(
                hanwha::parse(bytes).map_err(|e| e.to_string())?,
                None,
            ))
        },
    },
    VendorProtocol {
        method: DiscoveryMethod::Vivotek,
        name: "Vivotek",
        port: vivotek::PORT,
        reply_port: None,
        group: None,
        vendor: "vivotek",
        query: |_| vec![vivotek::request(1)],
        parse: |bytes, _| {
            Ok(camera(
                vivotek::parse(bytes).map_err(|e| e.to_string())?,
                None,
            ))
        },
    },
    VendorProtocol {
        method: DiscoveryMethod::Sony,
        name: "Sony",
        port: sony::PORT,
        reply_port: None,
        group: None,
        vendor: "sony",
        query: |_| vec![sony::request()],
        parse: |bytes, _| Ok(camera(sony::parse(bytes).map_err(|e| e.to_string())?, None)),
    },
    VendorProtocol {
        method: DiscoveryMethod::Bosch,
        name: "Bosch",
        port: bosch::PORT,
        reply_port: Some(bosch::REPLY_PORT),
        group: None,
        vendor: "bosch",
        // The transaction id UniversalScanner sends is the time of day; any value is answered.
        query: |_| vec![bosch::request(1)],
        parse: |bytes, _| {
            Ok(camera(
                bosch::parse(bytes).map_err(|e| e.to_string())?,
                None,
            ))
        },
    },
    VendorProtocol {
        method: DiscoveryMethod::Foscam,
        name: "Foscam",
        port: foscam::PORT,
        reply_port: Some(foscam::PORT),
        group: None,
        vendor: "foscam",
        query: |_| vec![foscam::request()],
        parse: |bytes, _| {
            Ok(camera(
                foscam::parse(bytes).map_err(|e| e.to_string())?,
                None,
            ))
        },
    },
];

/// An answer of a protocol only video devices speak.
fn camera(info: Announcement, vendor: Option<String>) -> Found {
    Found {
        info,
        vendor,
        is_camera: true,
    }
}

/// The protocol a `--discovery` choice runs, if it is a vendor protocol.
pub fn by_method(method: DiscoveryMethod) -> Option<&'static VendorProtocol> {
    PROTOCOLS.iter().find(|p| p.method == method)
}

#[cfg(test)]
mod tests {
    use super::*;
    use input::choice::Choice;

    #[test]
    fn every_registration_is_whole_and_distinct() {
        for (i, p) in PROTOCOLS.iter().enumerate() {
            assert!(
                knowledge::get().vendor(p.vendor).is_some(),
                "{}: vendor id {} not in data/vendors.yaml",
                p.name,
                p.vendor
            );
            assert_eq!(
                p.method.name(),
                super::super::MethodChoice(p.method).choice(),
                "the --discovery value and the report name agree"
            );
            assert!(!(p.query)("T").is_empty(), "{} sends something", p.name);
            for q in (p.query)("T") {
                assert!(
                    (p.parse)(&q, "T").is_err(),
                    "{}: own query is no answer",
                    p.name
                );
            }
            assert!(PROTOCOLS[..i].iter().all(|o| o.method != p.method));
        }
        // That every other choice but `ports` has a stage of its own is `stage`'s test.
    }

    #[test]
    fn sadp_answers_to_another_client_are_not_ours() {
        let p = by_method(DiscoveryMethod::Sadp).unwrap();
        let answer = |uuid: &str| {
            format!("<ProbeMatch><Uuid>{uuid}</Uuid><DeviceSN>X1</DeviceSN></ProbeMatch>")
        };
        assert!((p.parse)(answer("abc").as_bytes(), "ABC").is_ok());
        assert!((p.parse)(answer("other").as_bytes(), "ABC").is_err());
    }
}
