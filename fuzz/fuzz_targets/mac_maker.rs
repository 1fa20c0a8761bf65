//! MAC address text as devices and tools spell it (`knowledge::oui::parse_mac`: ONVIF scopes,
//! SADP/DHIP, ARP), and its lookup in the embedded IEEE registry (`Knowledge::mac_maker`).
//!
//! Checked: what parses formats back to the same bytes; a randomised MAC has no maker; the
//! lookup never panics.
#![no_main]

use knowledge::{self, oui};
use libfuzzer_sys::fuzz_target;
use proto::arp;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let maker = knowledge::embedded().mac_maker(&text);
    let Some(mac) = oui::parse_mac(&text) else {
        assert_eq!(maker, knowledge::MacMaker::default());
        return;
    };
    assert_eq!(oui::parse_mac(&arp::format_mac(mac)), Some(mac));
    assert_eq!(maker.randomized, oui::is_locally_administered(mac));
    if maker.randomized {
        assert!(maker.organisation.is_none() && maker.vendor.is_none());
    }
    assert_eq!(maker.organisation, oui::organisation(mac));
});
