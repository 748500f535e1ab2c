//! Short-lived signed media URLs (`?exp=<unix seconds>&sig=<hex>`): anyone holding one
//! may read that one file until `exp`, without an API key — for browsers and AI models.
//! The signature is HMAC-SHA256 over the org, the file id and `exp`, with a key derived
//! from the server's secret key; changing any of them breaks it.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use wakit_core::{MediaId, OrgId};

/// Longest lifetime a signed URL may be given.
pub const MAX_TTL_SECS: i64 = 7 * 24 * 3600;
/// The lifetime a signed URL gets when none is asked for.
pub const DEFAULT_TTL_SECS: i64 = 3600;

/// Signs and checks media URLs. Cheap to clone.
#[derive(Clone)]
pub struct UrlSigner {
    key: [u8; 32],
}

impl std::fmt::Debug for UrlSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UrlSigner(..)")
    }
}

impl UrlSigner {
    /// A signer with `key` (derive it from the secret key: `SecretBox::derive("media-url")`).
    pub fn new(key: [u8; 32]) -> UrlSigner {
        UrlSigner { key }
    }

    /// A signer with a random key: URLs it signs die with the process.
    pub fn ephemeral() -> UrlSigner {
        UrlSigner::new(rand::random())
    }

    fn mac(&self, org: OrgId, id: MediaId, exp: i64) -> Hmac<Sha256> {
        // A 32-byte key is always accepted.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(format!("wakit-media/v1\0{org}\0{id}\0{exp}").as_bytes());
        mac
    }

    /// The signature of `org`'s file `id` valid until `exp` (unix seconds).
    pub fn sign(&self, org: OrgId, id: MediaId, exp: i64) -> String {
        hex::encode(self.mac(org, id, exp).finalize().into_bytes())
    }

    /// Whether `sig` signs `org`'s file `id` until `exp`, and `exp` is still ahead of `now`.
    pub fn verify(&self, org: OrgId, id: MediaId, exp: i64, sig: &str, now: DateTime<Utc>) -> bool {
        let Ok(raw) = hex::decode(sig) else {
            return false;
        };
        exp > now.timestamp() && self.mac(org, id, exp).verify_slice(&raw).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_holds_for_its_file_and_time_only() {
        let s = UrlSigner::new([3; 32]);
        let (org, id, now) = (OrgId::new(), MediaId::new(), Utc::now());
        let exp = now.timestamp() + 60;
        let sig = s.sign(org, id, exp);
        assert!(s.verify(org, id, exp, &sig, now));
        assert!(!s.verify(org, id, exp + 1, &sig, now), "another expiry");
        assert!(
            !s.verify(org, MediaId::new(), exp, &sig, now),
            "another file"
        );
        assert!(!s.verify(OrgId::new(), id, exp, &sig, now), "another org");
        assert!(
            !UrlSigner::new([4; 32]).verify(org, id, exp, &sig, now),
            "another key"
        );
        let later = now + chrono::Duration::seconds(61);
        assert!(!s.verify(org, id, exp, &sig, later), "expired");
        assert!(!s.verify(org, id, exp, "zz", now), "not hex");
    }
}
