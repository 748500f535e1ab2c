//! Meta's webhook signature: `X-Hub-Signature-256: sha256=<hex>`, the lower-case hex
//! HMAC-SHA256 of the raw request body keyed with the app secret (reference §3.2).

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The header prefix before the hex digest.
const PREFIX: &str = "sha256=";

/// HMAC-SHA256 of `body` keyed with `app_secret`. HMAC accepts keys of any length, so
/// this is `None` only if the library ever stops doing so.
fn digest(app_secret: &[u8], body: &[u8]) -> Option<HmacSha256> {
    let mut m = <HmacSha256 as Mac>::new_from_slice(app_secret).ok()?;
    m.update(body);
    Some(m)
}

/// Whether `header` (the `X-Hub-Signature-256` value) is a valid signature of `body`.
///
/// Hashes the untouched raw bytes and compares in constant time. A missing header, a
/// missing `sha256=` prefix or malformed hex all yield `false`. Hex case is ignored.
pub fn verify(app_secret: &[u8], body: &[u8], header: Option<&str>) -> bool {
    let Some(header) = header else {
        return false;
    };
    let Some(hex_digest) = header.trim().strip_prefix(PREFIX) else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_digest) else {
        return false;
    };
    // `verify_slice` compares in constant time (and rejects wrong lengths).
    digest(app_secret, body).is_some_and(|m| m.verify_slice(&expected).is_ok())
}

/// The `X-Hub-Signature-256` header value for `body`: `sha256=<lower-case hex>`.
/// Used by the sandbox to sign the webhooks it sends exactly as Meta does.
pub fn sign(app_secret: &[u8], body: &[u8]) -> String {
    let hex_digest = digest(app_secret, body)
        .map(|m| hex::encode(m.finalize().into_bytes()))
        .unwrap_or_default();
    format!("{PREFIX}{hex_digest}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"app-secret";
    const BODY: &[u8] = br#"{"object":"whatsapp_business_account","entry":[{"x":"\ud83d\ude2e"}]}"#;

    #[test]
    fn sign_then_verify_round_trips() {
        let h = sign(SECRET, BODY);
        assert!(h.starts_with("sha256="));
        assert_eq!(h.len(), "sha256=".len() + 64);
        assert!(verify(SECRET, BODY, Some(&h)));
        assert!(verify(
            SECRET,
            BODY,
            Some(&h.to_uppercase().replace("SHA256=", "sha256="))
        ));
    }

    #[test]
    fn known_vector() {
        // RFC 4231 test case 2.
        let h = sign(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            h,
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn tampered_body_or_wrong_secret_fails() {
        let h = sign(SECRET, BODY);
        let mut tampered = BODY.to_vec();
        tampered[5] ^= 1;
        assert!(!verify(SECRET, &tampered, Some(&h)));
        assert!(!verify(b"other", BODY, Some(&h)));
    }

    #[test]
    fn missing_or_malformed_header_fails() {
        let h = sign(SECRET, BODY);
        let digest = h.trim_start_matches("sha256=");
        assert!(!verify(SECRET, BODY, None));
        assert!(!verify(SECRET, BODY, Some("")));
        assert!(!verify(SECRET, BODY, Some(digest)));
        assert!(!verify(SECRET, BODY, Some(&format!("sha1={digest}"))));
        assert!(!verify(SECRET, BODY, Some("sha256=zz")));
        assert!(!verify(SECRET, BODY, Some(&h[..h.len() - 2])));
        assert!(!verify(SECRET, BODY, Some("sha256=")));
    }
}
