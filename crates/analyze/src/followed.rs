//! A camera's login follows the camera (issue 82). A line of the credentials file may be scoped
//! to one address (`198.18.0.16 admin:secret`); when the camera behind it moves (a new DHCP
//! lease), the line no longer covers it and the camera would end `refused` at its new address.
//! The inventory keeps, as a keyed hash, which entry opened each device
//! (`store::Store::known_logins`); a device recognised at a new address by the keys the
//! inventory recognises it by (its MAC, serial or ONVIF/UPnP uuid as heard by this scan's
//! discovery: [`crate::identity::Identities::keys`]) is tried first with that entry,
//! within the same failed-login budget as any other. An address alone recognises nothing, so the
//! entry never goes to another box given the camera's old address, nor to a box with another MAC.
//! When the device is recognised only after its login was tried (routed, no MAC; its serial came
//! later), the refusal says the known login was scoped to its old address.

use std::net::IpAddr;

use super::context::{NO_AUTH, ScanContext};
use credentials::Credential;
use model::known::KnownLogin;

impl ScanContext {
    /// The inventory's login of the device recognised at `ip`, if any.
    fn recognised(&self, ip: IpAddr) -> Option<&KnownLogin> {
        if self.logins.is_empty() {
            return None;
        }
        let keys = self.identities.keys(ip);
        if keys.is_empty() {
            return None;
        }
        self.logins.find(&keys)
    }

    /// The login that opened the device now recognised at `ip` when its scope does not cover
    /// `ip` (the device moved): sent to it before any other credential. `None` with `--no-auth`.
    pub fn followed_login(&self, ip: IpAddr) -> Option<&Credential> {
        if self.settings.get(&NO_AUTH) {
            return None;
        }
        self.recognised(ip)
            .map(|l| &l.credential)
            .filter(|c| !c.applies_to(ip))
    }

    /// The credentials to try on `ip`, in order: the login that followed its device
    /// ([`ScanContext::followed_login`]), then every entry whose scope covers `ip` (the list's
    /// order: the narrowest scope first). None with `--no-auth`.
    pub fn credentials_for(&self, ip: IpAddr) -> Vec<&Credential> {
        if self.settings.get(&NO_AUTH) {
            return Vec::new();
        }
        let followed = self.followed_login(ip);
        if let Some(c) = followed {
            let from = self.recognised(ip).and_then(|l| l.ip);
            tracing::debug!(%ip, user = %c.username, from = ?from,
                "the login that opened this device before follows it to its new address");
        }
        followed
            .into_iter()
            .chain(
                self.auth
                    .credentials
                    .iter()
                    .filter(|c| c.applies_to(ip) && Some(*c) != followed),
            )
            .collect()
    }

    /// When `ip`'s device is recognised now but was not when its credentials were chosen
    /// (`tried`: those sent), and its known login's scope does not cover `ip`: what the note of
    /// a refusal adds, "the login that opened this device at OLD is scoped to SCOPE, its old
    /// address".
    pub fn login_left_behind(&self, ip: IpAddr, tried: &[&Credential]) -> Option<String> {
        let login = self.recognised(ip)?;
        let c = &login.credential;
        if c.applies_to(ip) || tried.contains(&c) {
            return None;
        }
        let scope = c.scope.map_or_else(String::new, |s| shown(&s));
        Some(match login.ip {
            Some(old) => format!(
                "the login that opened this device at {old} is scoped to {scope}, its old address"
            ),
            None => format!("the login that opened this device before is scoped to {scope}"),
        })
    }
}

/// A scope as a credentials file writes it: an address, or `first-last`.
fn shown(r: &model::addr::AddrRange) -> String {
    use model::addr::from_u128;
    if r.start == r.end {
        from_u128(r.v6, r.start).to_string()
    } else {
        format!("{}-{}", from_u128(r.v6, r.start), from_u128(r.v6, r.end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::identity::Identity;
    use std::sync::Arc;

    fn ctx(creds: Vec<Credential>, logins: Vec<KnownLogin>) -> ScanContext {
        let mut ctx = ScanContext::anonymous(
            std::time::Duration::from_secs(1),
            std::time::Duration::from_secs(1),
        );
        ctx.auth.credentials = Arc::new(creds);
        ctx.logins = Arc::new(model::known::KnownLogins::new(logins));
        ctx
    }

    fn mac(m: &str) -> Identity {
        Identity {
            mac: Some(m.into()),
            ..Identity::default()
        }
    }

    #[test]
    fn a_moved_device_is_tried_first_with_its_login_and_no_other_box_is() {
        let scoped = credentials::parse_entry("198.18.0.11 admin:right").unwrap();
        let shared = Credential::new("admin", "shared");
        let login = KnownLogin {
            identity: mac("44:19:b6:00:00:11"),
            ip: Some("198.18.0.11".parse().unwrap()),
            credential: scoped.clone(),
        };
        let ctx = ctx(vec![scoped.clone(), shared.clone()], vec![login]);
        let (moved, old, other) = (
            "198.18.0.21".parse().unwrap(),
            "198.18.0.11".parse().unwrap(),
            "198.18.0.22".parse().unwrap(),
        );
        // Before discovery names it: the shared line only.
        assert_eq!(ctx.credentials_for(moved), [&shared]);
        ctx.identities.learn_mac(moved, "44:19:B6:00:00:11");
        ctx.identities.learn_mac(other, "02:00:00:00:00:22");
        assert_eq!(ctx.credentials_for(moved), [&scoped, &shared]);
        assert_eq!(ctx.followed_login(moved), Some(&scoped));
        // Another box, and a box at the old address with another MAC: their own lines only.
        assert_eq!(ctx.credentials_for(other), [&shared]);
        ctx.identities.learn_mac(old, "02:00:00:00:00:99");
        assert_eq!(ctx.credentials_for(old), [&scoped, &shared]);
        assert_eq!(
            ctx.followed_login(old),
            None,
            "covered by its scope already"
        );
        let no_auth = ctx.clone().with(&NO_AUTH, true);
        assert!(no_auth.credentials_for(moved).is_empty());
    }

    #[test]
    fn a_refusal_says_where_the_known_login_was_scoped() {
        let scoped = credentials::parse_entry("198.18.0.11 admin:right").unwrap();
        let login = KnownLogin {
            identity: Identity {
                serial: Some("ds-1".into()),
                ..Identity::default()
            },
            ip: Some("198.18.0.11".parse().unwrap()),
            credential: scoped.clone(),
        };
        let ctx = ctx(vec![scoped.clone()], vec![login]);
        let ip = "198.18.7.21".parse().unwrap();
        assert_eq!(ctx.login_left_behind(ip, &[]), None, "not recognised");
        ctx.identities.learn_keys(
            ip,
            &Identity {
                serial: Some("ds-1".into()),
                ..Identity::default()
            },
        );
        assert_eq!(
            ctx.login_left_behind(ip, &[]).as_deref(),
            Some(
                "the login that opened this device at 198.18.0.11 is scoped to 198.18.0.11, \
                 its old address"
            )
        );
        assert_eq!(ctx.login_left_behind(ip, &[&scoped]), None, "it was tried");
    }
}
