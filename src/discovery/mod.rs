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
        default: std::borrow::Cow::Borrowed(&model::DISCOVERY_CHOICES),
        choices: Some(input::choice::named::<DiscoveryMethod>),
        parse: |t| input::choice::many::<DiscoveryMethod>(t).map(std::borrow::Cow::Owned),
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

/// The methods a scan runs when none are chosen: every one of them.
pub fn defaults() -> Vec<DiscoveryMethod> {
    model::DISCOVERY_CHOICES.to_vec()
}

