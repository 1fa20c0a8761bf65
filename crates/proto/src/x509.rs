//! What a TLS port's certificate says, for `camscan audit`: validity, subject and issuer, whether
//! it signed itself, and its key (algorithm and size). Decoded with RustCrypto's `x509-cert`
//! (DER, RFC 5280); the RSA modulus length is read from the key's DER here. Pure: any bytes give a
//! result or `None`, never a panic.

use x509_cert::Certificate;
use x509_cert::der::Decode;
use x509_cert::der::asn1::ObjectIdentifier;

pub use model::Certificate as CertFacts;

/// Characters of a subject or issuer kept.
pub const MAX_NAME: usize = 200;

const RSA: &str = "1.2.840.113549.1.1.1";
const RSA_PSS: &str = "1.2.840.113549.1.1.10";
const EC: &str = "1.2.840.10045.2.1";
const DSA: &str = "1.2.840.10040.4.1";
const ED25519: &str = "1.3.101.112";
const ED448: &str = "1.3.101.113";

/// The facts of a DER certificate, or `None` when it is not one.
pub fn facts(der: &[u8]) -> Option<CertFacts> {
    let cert = Certificate::from_der(der).ok()?;
    let tbs = &cert.tbs_certificate;
    let secs = |t: &x509_cert::time::Time| {
        let s = i64::try_from(t.to_unix_duration().as_secs()).ok()?;
        jiff::Timestamp::from_second(s).ok().map(|t| t.to_string())
    };
    let name = |n: &x509_cert::name::Name| n.to_string().chars().take(MAX_NAME).collect::<String>();
    let spki = &tbs.subject_public_key_info;
    let oid = spki.algorithm.oid.to_string();
    let key = spki.subject_public_key.raw_bytes();
    let (key_algorithm, key_bits, curve) = match oid.as_str() {
        RSA | RSA_PSS => ("RSA".to_string(), rsa_bits(key), None),
        DSA => ("DSA".to_string(), None, None),
        EC => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
                .map(|c| c.to_string());
            let (name, bits) = curve.as_deref().map(curve_name).unwrap_or((None, None));
            ("EC".to_string(), bits, name.map(str::to_string).or(curve))
        }
        ED25519 => ("Ed25519".to_string(), Some(256), None),
        ED448 => ("Ed448".to_string(), Some(456), None),
        other => (other.to_string(), None, None),
    };
    Some(CertFacts {
        subject: name(&tbs.subject),
        issuer: name(&tbs.issuer),
        not_before: secs(&tbs.validity.not_before)?,
        not_after: secs(&tbs.validity.not_after)?,
        self_signed: tbs.subject == tbs.issuer,
        key_algorithm,
        key_bits,
        curve,
    })
}

/// The named curves a camera's certificate uses, and their sizes.
fn curve_name(oid: &str) -> (Option<&'static str>, Option<u32>) {
    match oid {
        "1.2.840.10045.3.1.1" => (Some("P-192"), Some(192)),
        "1.3.132.0.33" => (Some("P-224"), Some(224)),
        "1.2.840.10045.3.1.7" => (Some("P-256"), Some(256)),
        "1.3.132.0.34" => (Some("P-384"), Some(384)),
        "1.3.132.0.35" => (Some("P-521"), Some(521)),
        _ => (None, None),
    }
}

/// A DER length at `b[0..]`: (length, header bytes).
fn der_len(b: &[u8]) -> Option<(usize, usize)> {
    let first = *b.first()?;
    if first < 0x80 {
        return Some((usize::from(first), 1));
    }
    let n = usize::from(first & 0x7f);
    if n == 0 || n > 4 {
        return None;
    }
    let mut len = 0usize;
    for &x in b.get(1..1 + n)? {
        len = (len << 8) | usize::from(x);
    }
    Some((len, 1 + n))
}

/// The bits of an RSAPublicKey's modulus (`SEQUENCE { INTEGER n, INTEGER e }`, RFC 8017 A.1.1).
fn rsa_bits(key: &[u8]) -> Option<u32> {
    if *key.first()? != 0x30 {
        return None;
    }
    let (_, h) = der_len(key.get(1..)?)?;
    let rest = key.get(1 + h..)?;
    if *rest.first()? != 0x02 {
        return None;
    }
    let (len, h) = der_len(rest.get(1..)?)?;
    let modulus = rest.get(1 + h..1 + h + len)?;
    let start = modulus.iter().position(|&b| b != 0)?;
    let significant = &modulus[start..];
    let bits = (significant.len() - 1) * 8 + (8 - significant[0].leading_zeros() as usize);
    u32::try_from(bits).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        crate::test_fixture(&format!("tls/{name}"))
    }

    #[test]
    fn openssl_certificates_read_as_made() {
        let old = facts(&fixture("selfsigned_rsa1024_2020.der")).unwrap();
        assert_eq!(old.subject, "O=Lab Camera,CN=ipcam.local");
        assert!(old.self_signed);
        assert_eq!(
            (old.key_algorithm.as_str(), old.key_bits),
            ("RSA", Some(1024))
        );
        // 2020-01-01T00:00:00Z and 30 days later.
        assert_eq!(
            (old.not_before.as_str(), old.not_after.as_str()),
            ("2020-01-01T00:00:00Z", "2020-01-31T00:00:00Z")
        );
        let cam = facts(&fixture("ca_signed_p256.der")).unwrap();
        assert_eq!(
            (cam.subject.as_str(), cam.issuer.as_str()),
            ("CN=cam1.site", "CN=Site CA")
        );
        assert!(!cam.self_signed);
        assert_eq!(
            (
                cam.key_algorithm.as_str(),
                cam.key_bits,
                cam.curve.as_deref()
            ),
            ("EC", Some(256), Some("P-256"))
        );
        let at = |t: &str| t.parse::<jiff::Timestamp>().unwrap().as_second();
        assert_eq!(at(&cam.not_after) - at(&cam.not_before), 825 * 86_400);
        // Cut anywhere, a certificate is no certificate, and nothing panics.
        let der = fixture("ca_signed_p256.der");
        for n in 0..der.len() {
            let _ = facts(&der[..n]);
        }
    }

    #[test]
    fn an_rsa_modulus_is_counted_in_bits() {
        // SEQUENCE { INTEGER 0x00 0xC0 00.. (1024 bits: top bit set), INTEGER 65537 }
        let mut m = vec![0x00, 0xC0];
        m.extend([0u8; 127]);
        let mut int = vec![0x02, 0x81, m.len() as u8];
        int.extend(&m);
        int.extend([0x02, 0x03, 0x01, 0x00, 0x01]);
        let mut key = vec![0x30, 0x81, int.len() as u8];
        key.extend(&int);
        assert_eq!(rsa_bits(&key), Some(1024));
        // 2047 bits: the top byte 0x7f.
        let mut m = vec![0x7f];
        m.extend([0xffu8; 255]);
        let mut int = vec![0x02, 0x82, 0x01, 0x00];
        int.extend(&m);
        let mut key = vec![0x30, 0x82, 0x01, 0x04];
        key.extend(&int);
        assert_eq!(rsa_bits(&key), Some(2047));
        assert_eq!(rsa_bits(&[0x30]), None);
        assert_eq!(rsa_bits(&[]), None);
    }

    #[test]
    fn not_a_certificate_is_none_at_every_length() {
        let junk = [0x30u8, 0x82, 0x01, 0x00, 0x30, 0x81, 0xff, 0x02, 0x01];
        for n in 0..=junk.len() {
            assert_eq!(facts(&junk[..n]), None);
        }
    }
}
