//! What a person reads about each finding id: its title, why it matters, the fix for any maker,
//! and the source of the rule ([`Texts`]), one entry per [`FindingId`] (checked by the array's
//! length and `every_id_has_texts_and_a_source` in [`super::rules`]).

use super::FindingId;

/// What a person reads about an id: the title, why it matters, the fix, and the rule's source.
pub struct Texts {
    pub id: FindingId,
    pub title: &'static str,
    pub why: &'static str,
    pub fix: &'static str,
    pub source: &'static str,
}

/// Every id's texts.
pub fn texts(id: FindingId) -> &'static Texts {
    TEXTS.iter().find(|t| t.id == id).unwrap_or(&TEXTS[0])
}

const TEXTS: [Texts; 20] = [
    Texts {
        id: FindingId::StreamUnauthenticated,
        title: "A stream plays without credentials",
        why: "Anyone who can reach the camera can watch (and record) its picture; nothing \
              in the camera's logs tells who did.",
        fix: "Require authentication for every stream (RTSP and HTTP with Digest), turn \
              off anonymous viewing, and give the recorder an account of its own.",
        source: "ONVIF Core Specification, 'Access classes for service requests' (media \
                 needs READ_MEDIA); Axis OS Hardening Guide, 'Anonymous viewer login' off",
    },
    Texts {
        id: FindingId::OnvifUnauthenticated,
        title: "The ONVIF device API answers without credentials",
        why: "Beyond the PRE_AUTH operations, an ONVIF device must ask who is calling: an \
              open API hands out stream addresses, snapshots and accounts to anyone on the \
              network.",
        fix: "Turn on ONVIF user authentication (WS-UsernameToken or HTTP Digest) and \
              create an ONVIF user for the recorder.",
        source: "ONVIF Core Specification, 'Access classes for service requests' (only \
                 PRE_AUTH operations without authentication)",
    },
    Texts {
        id: FindingId::BasicAuthCleartext,
        title: "Basic authentication without TLS",
        why: "Basic sends the user name and password in base64, readable by anyone on the \
              path; a client offered Basic beside Digest may still choose it.",
        fix: "Offer Digest only on RTSP and HTTP, or serve the login over HTTPS.",
        source: "RFC 7617 §4 (Basic is not secure without TLS); Axis OS Hardening Guide, \
                 'HTTP/RTSP password settings: encrypted only'",
    },
    Texts {
        id: FindingId::DefaultCredential,
        title: "The maker's factory credential is accepted",
        why: "Factory credentials are published in manuals: anyone can log in as the \
              camera's administrator.",
        fix: "Set a strong, unique administrator password and remove or rename the \
              factory account.",
        source: "OWASP IoT Top 10 (2018), I1 'Weak, guessable, or hardcoded passwords'",
    },
    Texts {
        id: FindingId::CredentialReuse,
        title: "One credential opens several devices",
        why: "One leaked password opens every camera that shares it, and no single \
              camera can be handed over or retired without changing all of them.",
        fix: "Give each device its own administrator password, and the recorder its own \
              least-privileged account per device (a password manager or the VMS can hold \
              them).",
        source: "CIS Critical Security Controls v8, safeguard 5.2 'Use unique passwords'",
    },
    Texts {
        id: FindingId::TlsMissing,
        title: "A login is served without TLS",
        why: "Credentials and session cookies cross the network in the clear.",
        fix: "Turn on HTTPS and redirect HTTP to it.",
        source: "Axis OS Hardening Guide, 'HTTPS'; Hikvision security hardening, 'HTTPS'",
    },
    Texts {
        id: FindingId::TlsWeakProtocol,
        title: "TLS below version 1.2 is accepted",
        why: "TLS 1.0 and 1.1 are deprecated and attackable.",
        fix: "Allow TLS 1.2 and 1.3 only.",
        source: "RFC 8996 (TLS 1.0 and 1.1 deprecated)",
    },
    Texts {
        id: FindingId::TlsCertificateExpired,
        title: "The TLS certificate has expired",
        why: "Clients warn or refuse, and users learn to click through warnings.",
        fix: "Install a current certificate (from the site's CA, or ACME).",
        source: "RFC 5280 §4.1.2.5 (validity)",
    },
    Texts {
        id: FindingId::TlsCertificateExpiring,
        title: "The TLS certificate expires within 30 days",
        why: "The device's HTTPS will stop being trusted soon.",
        fix: "Renew the certificate before it expires.",
        source: "RFC 5280 §4.1.2.5 (validity)",
    },
    Texts {
        id: FindingId::TlsSelfSigned,
        title: "The TLS certificate is self-signed",
        why: "Nobody can tell the device from an impostor: a self-signed certificate \
              trains users to accept any certificate.",
        fix: "Install a certificate signed by the site's CA.",
        source: "Axis OS Hardening Guide, 'Use a CA-signed certificate'",
    },
    Texts {
        id: FindingId::TlsWeakKey,
        title: "The TLS key is too weak",
        why: "RSA keys under 2048 bits (and EC keys under 224) can be broken.",
        fix: "Generate a new key of at least RSA 2048 or P-256 and a certificate for it.",
        source: "NIST SP 800-131A Rev. 2 (key lengths)",
    },
    Texts {
        id: FindingId::CleartextAdminService,
        title: "A cleartext administration service is open",
        why: "Telnet and FTP send passwords in the clear and are common ways into cameras.",
        fix: "Turn off Telnet and FTP; use SSH (or nothing) for administration.",
        source: "Hikvision security hardening, 'Disable Telnet/SSH when not needed'; CIS \
                 Critical Security Controls v8, safeguard 4.8",
    },
    Texts {
        id: FindingId::SnmpDefaultCommunity,
        title: "SNMP answers a default community",
        why: "Anyone can read the device's configuration and network details (and with \
              `private`, change them).",
        fix: "Turn off SNMP v1/v2c, or use SNMPv3 with authentication.",
        source: "CISA alert TA17-156A (SNMP default communities)",
    },
    Texts {
        id: FindingId::UpnpExposed,
        title: "The device answers UPnP (SSDP)",
        why: "UPnP lets the device ask the router to open its ports to the internet, and \
              tells everyone on the LAN what it is.",
        fix: "Turn off UPnP (and UPnP NAT traversal) on the camera, and UPnP port mapping \
              on the router.",
        source: "Axis OS Hardening Guide, 'UPnP' off when not needed",
    },
    Texts {
        id: FindingId::ClockSkew,
        title: "The device's clock is wrong",
        why: "WS-Security logins fail when the clock is off, event times and recordings \
              stop being evidence, and certificates look expired or not yet valid.",
        fix: "Point the device at the site's NTP server.",
        source: "ONVIF Core Specification, 'User token profile' (the Created time); Axis \
                 OS Hardening Guide, 'NTP'",
    },
    Texts {
        id: FindingId::UninitializedDevice,
        title: "The device was never activated",
        why: "Anyone on the LAN can set its administrator password and own it.",
        fix: "Activate it now with a strong password (SADP, ConfigTool or its web page).",
        source: "Hikvision: devices ship inactive since 2015 and are activated over SADP; \
                 Dahua: device initialization over DHIP",
    },
    Texts {
        id: FindingId::IpConflict,
        title: "Two devices answer for one address",
        why: "Traffic goes to whichever answered last: streams drop and a device can be \
              impersonated.",
        fix: "Give each device its own address (DHCP reservations) and find the second MAC.",
        source: "RFC 5227 (IPv4 address conflict detection)",
    },
    Texts {
        id: FindingId::FirmwareAdvisory,
        title: "A published advisory applies to this firmware",
        why: "The vulnerability is public and, for catalogued ones, exploited.",
        fix: "Update the firmware to the fixed version or later.",
        source: "the maker's advisory; CISA Known Exploited Vulnerabilities catalogue \
                 (data/advisories.yaml names each entry's own)",
    },
    Texts {
        id: FindingId::DigestMd5Only,
        title: "Digest authentication only with MD5",
        why: "The service offers Digest with the MD5 hash alone: RFC 7616 keeps MD5 only \
              for backward compatibility, and a captured exchange lets an eavesdropper test \
              password guesses offline at MD5's speed. Clients that prefer SHA-256 get no \
              stronger choice.",
        fix: "Offer Digest with SHA-256 (RFC 7616), listed first, where the firmware can; \
              otherwise use long random passwords and keep the service off untrusted \
              networks.",
        source: "RFC 7616 §1 (SHA-256 and SHA-512/256 added, MD5 kept for backward \
                 compatibility), §3.7 (a server may offer one challenge per algorithm, most \
                 preferred first), §5 (Security Considerations)",
    },
    Texts {
        id: FindingId::OnvifUsernametokenOnly,
        title: "The ONVIF device API accepts only WS-UsernameToken",
        why: "The device refused requests with a SOAP fault and sent no HTTP Digest \
              challenge: only a WS-Security UsernameToken logs in. Its PasswordDigest is a \
              SHA-1 of a nonce, a time and the password carried in the request, open to \
              offline guessing when captured, and clients that use HTTP Digest, as the \
              ONVIF Core Specification has devices support, cannot log in.",
        fix: "Turn on HTTP Digest authentication for ONVIF in the device's settings (often \
              'ONVIF authentication: digest' or 'digest/ws-username token'), or update the \
              firmware.",
        source: "ONVIF Core Specification, 'Security' (§5.12 in version 2.5, Dec 2014): \
                 devices support HTTP Digest (RFC 2617) beside WS-UsernameToken \
                 (WS-Security UsernameToken Profile 1.0, PasswordDigest = \
                 Base64(SHA-1(nonce + created + password)))",
    },
];
