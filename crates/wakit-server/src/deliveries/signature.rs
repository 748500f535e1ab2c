//! Standard Webhooks signatures (<https://www.standardwebhooks.com>): an endpoint's secret
//! is `whsec_` + base64 of random bytes; a delivery is signed over
//! `{webhook-id}.{webhook-timestamp}.{body}` with HMAC-SHA256, sent as
//! `webhook-signature: v1,<base64>` — one entry per valid secret, space-separated, so a
//! receiver keeps verifying while a rotated secret is still accepted.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// The prefix of an endpoint secret.
pub const SECRET_PREFIX: &str = "whsec_";
/// Random bytes in a new secret (the spec asks for 24 to 64).
const SECRET_BYTES: usize = 32;

/// A new endpoint secret.
pub fn new_secret() -> String {
    let mut key = [0u8; SECRET_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut key);
    format!("{SECRET_PREFIX}{}", STANDARD.encode(key))
}

/// The HMAC key of a secret (`whsec_` prefix optional); `None` when it is not base64.
fn key_of(secret: &str) -> Option<Vec<u8>> {
    let body = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    STANDARD.decode(body).ok().filter(|k| !k.is_empty())
}

/// The `webhook-signature` header value of a delivery signed with each of `secrets`;
/// `None` when a secret is malformed.
pub fn sign(secrets: &[&str], id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let mut entries = Vec::with_capacity(secrets.len());
    for secret in secrets {
        let mut mac = Hmac::<Sha256>::new_from_slice(&key_of(secret)?).ok()?;
        mac.update(format!("{id}.{timestamp}.").as_bytes());
        mac.update(body);
        entries.push(format!(
            "v1,{}",
            STANDARD.encode(mac.finalize().into_bytes())
        ));
    }
    Some(entries.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference vector of the Standard Webhooks test suites.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TIMESTAMP: i64 = 1_614_265_330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn matches_the_reference_vector() {
        assert_eq!(
            sign(&[SECRET], ID, TIMESTAMP, BODY).as_deref(),
            Some(SIGNATURE)
        );
    }

    #[test]
    fn a_rotated_endpoint_sends_both_signatures() {
        let new = new_secret();
        let both = sign(&[&new, SECRET], ID, TIMESTAMP, BODY).expect("valid secrets");
        let entries: Vec<&str> = both.split(' ').collect();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1], SIGNATURE);
        assert_ne!(entries[0], SIGNATURE);
    }

    #[test]
    fn any_change_changes_the_signature() {
        assert_ne!(
            sign(&[SECRET], ID, TIMESTAMP + 1, BODY).as_deref(),
            Some(SIGNATURE)
        );
        assert_ne!(
            sign(&[SECRET], "msg_other", TIMESTAMP, BODY).as_deref(),
            Some(SIGNATURE)
        );
        assert_ne!(
            sign(&[SECRET], ID, TIMESTAMP, b"{}").as_deref(),
            Some(SIGNATURE)
        );
    }

    #[test]
    fn new_secrets_are_distinct_and_well_formed() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert!(a.starts_with(SECRET_PREFIX));
        assert_eq!(key_of(&a).map(|k| k.len()), Some(SECRET_BYTES));
        assert_eq!(sign(&["whsec_not base64!"], ID, TIMESTAMP, BODY), None);
    }
}
