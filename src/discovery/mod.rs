//! Where targets and devices come from: the list the user gives (CIDRs, ranges, addresses, host
//! names, files of them) and what answers on the LAN: ARP ([`arp`]), ONVIF WS-Discovery ([`wsd`],
//! with each answer's device API in [`onvif_device`]), SSDP ([`ssdp`]), mDNS / DNS-SD ([`mdns`])
//! and the vendor protocols (SADP, DHIP, DVRIP, Ubiquiti, ...: one engine in [`vendor`], one
//! registration each in [`protocols`]); and, for `camscan watch`, the devices that announce
//! themselves between scans (WS-Discovery Hello/Bye, SSDP NOTIFY: [`listen`]).
//!
//! Each method's file holds its part of a scan too, its stage: when it runs, how it starts, the
//! events it sends and how they merge. [`STAGES`] lists the stages once ([`stage`]); what each is
//! given is a [`Scope`] ([`scope`]); the scan's sweep runs the list beside the port probes.

use std::time::Duration;

use input::setting::{Repeat, Setting, duration};

pub mod arp;
pub mod camera_macs;
pub mod hosts;
pub mod ledger;
pub mod links;
pub mod listen;
pub mod mdns;
pub mod misaddressed;
pub mod onvif_device;
pub mod protocols;
pub mod reach;
pub mod scope;
pub mod ssdp;
pub mod stage;
pub mod tally;
pub mod targets;
pub mod vendor;
pub mod wsd;

pub use links::Links;
pub use scope::{About, Batch, Probes, ScanMessage, Scope};
pub use stage::{STAGES, Stage, learn};

pub use model::DiscoveryMethod;

/// `--discovery` (config `discovery:`): the methods run, all of them by default ([`defaults`];
/// the file's `discovery: []` runs none).
pub static DISCOVERY: input::setting::Setting<std::borrow::Cow<'static, [DiscoveryMethod]>> =
    input::setting::Setting {
        key: "discovery",
        flag: "--discovery",
        short: None,
        repeat: Repeat::Commas,
        env: "CAMSCAN_DISCOVERY",
        value_name: "DISCOVERY",
        help: "Discovery methods, comma-separated [default: all of them]",
        default: std::borrow::Cow::Borrowed(&METHODS),
        choices: Some(input::choice::named::<MethodChoice>),
        parse: |t| {
            let chosen = input::choice::many::<MethodChoice>(t)?;
            Ok(std::borrow::Cow::Owned(
                chosen.into_iter().map(|c| c.0).collect(),
            ))
        },
    };

/// How long WS-Discovery, SSDP, SADP, DHIP and mDNS listen, from the scan's start (they all start
/// with it): devices delay answers by up to MaxDelay (500 ms in WS-Discovery's defaults, after the
/// round at 300 ms; an SSDP device within MX seconds of the M-SEARCH, 1 s here, UPnP Device
/// Architecture 1.1 §1.3.3; mDNS responders by 20-120 ms, RFC 6762 §6, up to 500 ms for a truncated
/// query; the vendor protocols' captured replies come within milliseconds); python-ws-discovery
/// waits 3 s, go2rtc 5 s, and LAN devices answer well within 1.5 s.
pub const DEFAULT_DISCOVERY_WAIT: Duration = Duration::from_millis(1500);

/// `--discovery-wait`: how long the discovery protocols listen.
pub static DISCOVERY_WAIT: Setting<Duration> = Setting {
    key: "discovery_wait",
    flag: "--discovery-wait",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_DISCOVERY_WAIT",
    value_name: "DURATION",
    help: "How long WS-Discovery, SSDP, mDNS and the vendor protocols listen for answers (side \
           by side), counted from the scan's start. Their answer times are 0.5-1.2 s (SSDP's MX \
           of 1 s, WS-Discovery's 0.5 s hold-back after its rounds): shorter misses slow devices \
           [default: 1500ms]",
    default: DEFAULT_DISCOVERY_WAIT,
    choices: None,
    parse: duration,
};

/// The discovery methods, in the order `--help` lists them: one enum with the report's names
/// ([`DiscoveryMethod`]), spelled `ports` on the command line for the TCP port probes.
const METHODS: [DiscoveryMethod; 14] = [
    DiscoveryMethod::Arp,
    DiscoveryMethod::Onvif,
    DiscoveryMethod::Ssdp,
    DiscoveryMethod::Sadp,
    DiscoveryMethod::Dhip,
    DiscoveryMethod::Dvrip,
    DiscoveryMethod::Ubiquiti,
    DiscoveryMethod::Hanwha,
    DiscoveryMethod::Vivotek,
    DiscoveryMethod::Sony,
    DiscoveryMethod::Bosch,
    DiscoveryMethod::Foscam,
    DiscoveryMethod::Mdns,
    DiscoveryMethod::Port,
];

/// The methods a scan runs when none are chosen: every one of them.
pub fn defaults() -> Vec<DiscoveryMethod> {
    METHODS.to_vec()
}

/// What choosing a method does, for `--help`.
fn help(m: DiscoveryMethod) -> &'static str {
    match m {
        DiscoveryMethod::Arp => {
            "ARP liveness and MACs of on-link targets; then only hosts that answered are port-probed"
        }
        DiscoveryMethod::Onvif => {
            "ONVIF WS-Discovery: multicast Probe on attached interfaces, unicast Probe to live hosts"
        }
        DiscoveryMethod::Ssdp => {
            "SSDP M-SEARCH on attached interfaces, then each device's UPnP description"
        }
        DiscoveryMethod::Sadp => {
            "Hikvision SADP inquiry (UDP 37020): model, serial, MAC, firmware, channel count"
        }
        DiscoveryMethod::Dhip => {
            "Dahua DHIP search (UDP 37810): model, serial, MAC, firmware, channel count"
        }
        DiscoveryMethod::Dvrip => {
            "XMeye/Sofia DVRIP search (UDP 34569): name, serial, MAC, firmware, channel count"
        }
        DiscoveryMethod::Ubiquiti => "Ubiquiti discovery (UDP 10001): name, model, MAC, firmware",
        DiscoveryMethod::Hanwha => {
            "Hanwha/Samsung Wisenet search (UDP 7701, answers to 7711): model, MAC"
        }
        DiscoveryMethod::Vivotek => "Vivotek search (UDP 10000): name, model, MAC",
        DiscoveryMethod::Sony => "Sony search (UDP 2380): model, serial, MAC, firmware",
        DiscoveryMethod::Bosch => {
            "Bosch RCP autodetect (UDP 1757, answers to 1758): model, serial, MAC"
        }
        DiscoveryMethod::Foscam => "Foscam search (UDP 10000): name, serial, firmware",
        DiscoveryMethod::Mdns => {
            "mDNS / DNS-SD query (UDP 5353): instance and `.local` names, service ports, TXT facts"
        }
        DiscoveryMethod::Port => "TCP port probes",
    }
}

/// A `--discovery` choice: a [`DiscoveryMethod`] by its command-line name (the report's, but
/// `ports` for [`DiscoveryMethod::Port`]: the choice runs the probes; a device found so is
/// reported with `port`). discovery's own type: `Choice` (the input crate's) cannot be
/// implemented for the model's type outside those two crates, and the names and help lines are
/// discovery's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodChoice(pub DiscoveryMethod);

/// [`METHODS`] as choices.
const CHOICES: [MethodChoice; 14] = {
    let mut out = [MethodChoice(DiscoveryMethod::Port); 14];
    let mut i = 0;
    while i < METHODS.len() {
        out[i] = MethodChoice(METHODS[i]);
        i += 1;
    }
    out
};

impl input::choice::Choice for MethodChoice {
    fn choices() -> &'static [Self] {
        &CHOICES
    }

    fn choice(self) -> &'static str {
        match self.0 {
            DiscoveryMethod::Port => "ports",
            m => m.name(),
        }
    }

    fn choice_help(self) -> Option<&'static str> {
        Some(help(self.0))
    }
}
