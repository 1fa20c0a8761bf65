//! The evidence the scan's stages send the registry ([`Event`]): one fact about one address each.

use std::net::IpAddr;

use model::{
    Announcement, DeviceName, DiscoveryMethod, Failure, MdnsInfo, OnvifInfo, OnvifProfile, Service,
    Stream, UpnpInfo,
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
    /// Other MACs that answered ARP for the address.
    ArpConflict {
        ip: IpAddr,
        macs: Vec<String>,
    },
    /// The media profiles an ONVIF device API listed.
    OnvifProfiles {
        ip: IpAddr,
        profiles: Vec<OnvifProfile>,
        /// The device's clock minus ours, seconds.
        clock_offset_s: Option<i64>,
        /// Operations it answered without credentials.
        unauthenticated: Vec<String>,
    },
    /// Facts about what the device can do (talk-back, PTZ, events, ONVIF services, login
    /// schemes), merged into its capability sheet; stream roles and browser playback are
    /// derived when the report is made.
    Capabilities {
        ip: IpAddr,
        capabilities: Box<model::Capabilities>,
    },
    /// A credential of the scan's list opened a service that is not a stream (a web login
    /// wall, the ONVIF device API).
    Login {
        ip: IpAddr,
        login: model::ServiceLogin,
    },
    /// An HTTP fingerprint of one port: vendor, model and kind, with the evidence.
    Fingerprint {
        ip: IpAddr,
        port: u16,
        vendor: Option<String>,
        model: Option<String>,
        is_camera: bool,
        evidence: Vec<String>,
    },
    /// A vendor discovery protocol's answer (SADP, DHIP, DVRIP, Ubiquiti, ...).
    Announce {
        ip: IpAddr,
        method: DiscoveryMethod,
        info: Box<Announcement>,
        vendor: Option<String>,
        /// The protocol says this is a video device (SADP, DHIP, DVRIP: always; Ubiquiti: UniFi
        /// cameras only, not its access points and consoles).
        is_camera: bool,
    },
    Stream {
        ip: IpAddr,
        stream: Box<Stream>,
    },
    /// What a device announced over mDNS / DNS-SD, with the MAC and model its TXT records name
    /// and whether a service marks it as a camera. Its names come as [`Event::Name`]s.
    Mdns {
        ip: IpAddr,
        info: Box<MdnsInfo>,
        mac: Option<String>,
        model: Option<String>,
        is_camera: bool,
    },
    /// A name of the device (reverse DNS, an mDNS instance or `.local` host name, ...), with its
    /// source; the best of each kind becomes `name` / `hostname` (see [`super::names::name_rank`]).
    Name {
        ip: IpAddr,
        name: DeviceName,
    },
    Failure {
        ip: IpAddr,
        failure: Failure,
    },
    /// The cameras an NVR listed as its channels (replacing any list it gave before).
    NvrChannels {
        ip: IpAddr,
        channels: Vec<model::NvrChannel>,
    },
    /// A device heard with an address outside every subnet attached to the interface
    /// (`discovery::misaddressed`): the sighting, the method that heard it and the MAC on the
    /// wire when one was read.
    Misaddressed {
        ip: IpAddr,
        method: DiscoveryMethod,
        sighting: Box<model::Misaddressed>,
        mac: Option<String>,
    },
}

impl Event {
    /// The address the event is about.
    pub fn ip(&self) -> IpAddr {
        match self {
            Event::PortOpen { ip, .. }
            | Event::Host { ip, .. }
            | Event::Service { ip, .. }
            | Event::Identity { ip, .. }
            | Event::Upnp { ip, .. }
            | Event::Onvif { ip, .. }
            | Event::OnvifProfiles { ip, .. }
            | Event::Capabilities { ip, .. }
            | Event::Login { ip, .. }
            | Event::NvrChannels { ip, .. }
            | Event::ArpConflict { ip, .. }
            | Event::Fingerprint { ip, .. }
            | Event::Announce { ip, .. }
            | Event::Stream { ip, .. }
            | Event::Name { ip, .. }
            | Event::Mdns { ip, .. }
            | Event::Failure { ip, .. }
            | Event::Misaddressed { ip, .. } => *ip,
        }
    }
}
