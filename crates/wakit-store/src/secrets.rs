//! API keys and sealed secrets.
//!
//! API keys are `sk_` + 40 random URL-safe characters (≈238 bits). Only their SHA-256
//! and a short prefix are stored: a slow password hash buys nothing for a key with
//! that much entropy, and SHA-256 keeps authentication a single indexed lookup.
//!
//! Meta access tokens are sealed with AES-256-GCM under `WAKIT_SECRET_KEY`, with the
//! phone-number id as associated data so a sealed token cannot be moved to another row.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::RngCore;
use rand::distributions::{Alphanumeric, DistString};
use sha2::{Digest, Sha256};
use std::fmt;

/// Characters after `sk_`.
const KEY_BODY_LEN: usize = 40;
/// Characters of the key kept visible (`sk_` + 8).
const PREFIX_LEN: usize = 11;
const NONCE_LEN: usize = 12;

/// How a secret sealed inside a JSON document begins.
pub const INLINE_SEALED: &str = "wakit-sealed:v1:";

/// A freshly generated API key. The plain key exists only in this value: print it once.
pub struct GeneratedKey {
    /// The full key, to show the user once.
    pub plain: String,
    /// What the store keeps.
    pub hash: KeyHash,
    /// Visible prefix.
    pub prefix: String,
}

impl fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeneratedKey")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// SHA-256 of an API key, hex-encoded.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KeyHash(pub String);

impl KeyHash {
    /// Hashes a presented key.
    pub fn of(key: &str) -> KeyHash {
        KeyHash(hex::encode(Sha256::digest(key.as_bytes())))
    }
}

/// Generates a new API key.
pub fn generate_api_key() -> GeneratedKey {
    let body = Alphanumeric.sample_string(&mut rand::rngs::OsRng, KEY_BODY_LEN);
    let plain = format!("sk_{body}");
    GeneratedKey {
        hash: KeyHash::of(&plain),
        prefix: plain[..PREFIX_LEN].to_string(),
        plain,
    }
}

/// Whether a presented string looks like one of our keys (cheap pre-check before hashing).
pub fn looks_like_api_key(s: &str) -> bool {
    s.len() >= 3 + 32
        && s.len() <= 128
        && s.starts_with("sk_")
        && s[3..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Nonce and ciphertext of a sealed secret, as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedSecret(pub Vec<u8>);

impl fmt::Debug for SealedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SealedSecret({} bytes)", self.0.len())
    }
}

/// Why a secret key or sealed secret was refused.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// `WAKIT_SECRET_KEY` is not 32 bytes in base64 or hex.
    #[error(
        "WAKIT_SECRET_KEY must be 32 random bytes encoded as base64 or 64 hex characters (generate one with `openssl rand -base64 32`)"
    )]
    BadKey,
    /// The ciphertext does not open with this key (wrong key, or tampered data).
    #[error("sealed secret cannot be opened: wrong WAKIT_SECRET_KEY or tampered data")]
    Open,
}

/// Seals and opens secrets with the server's key.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
    /// SHA-256 of the key under a label: the root of [`SecretBox::derive`], so other
    /// secrets follow the key without the key itself being kept twice.
    derive_root: [u8; 32],
}

impl fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

impl SecretBox {
    /// From 32 raw key bytes.
    pub fn new(key: [u8; 32]) -> SecretBox {
        let derive_root = Sha256::new()
            .chain_update(b"wakit/derive/v1\0")
            .chain_update(key)
            .finalize()
            .into();
        SecretBox {
            cipher: Aes256Gcm::new(&key.into()),
            derive_root,
        }
    }

    /// A 32-byte secret for `purpose`, stable for as long as the key is (e.g. the JWT
    /// signing secret when `WAKIT_JWT_SECRET` is unset); different purposes get
    /// unrelated secrets, and none reveals the key.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        Sha256::new()
            .chain_update(self.derive_root)
            .chain_update(purpose.as_bytes())
            .finalize()
            .into()
    }

    /// From `WAKIT_SECRET_KEY`'s text: base64 (standard or URL-safe) or hex of 32 bytes.
    pub fn from_encoded(text: &str) -> Result<SecretBox, SecretError> {
        let t = text.trim();
        let bytes = hex::decode(t)
            .ok()
            .or_else(|| STANDARD.decode(t).ok())
            .or_else(|| URL_SAFE_NO_PAD.decode(t.trim_end_matches('=')).ok())
            .ok_or(SecretError::BadKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| SecretError::BadKey)?;
        Ok(SecretBox::new(key))
    }

    /// A new random key, base64-encoded (for `WAKIT_SECRET_KEY` files).
    pub fn generate_encoded() -> String {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        STANDARD.encode(key)
    }

    /// Seals `plain`, binding it to `context` (e.g. the phone-number id).
    pub fn seal(&self, plain: &str, context: &str) -> SealedSecret {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ct = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        SealedSecret(out)
    }

    /// Seals `plain` into a string that can sit inside a JSON document (an AI agent's
    /// tool header value): [`INLINE_SEALED`] + base64 of the sealed bytes.
    pub fn seal_inline(&self, plain: &str, context: &str) -> String {
        let sealed = self.seal(plain, context);
        format!("{INLINE_SEALED}{}", STANDARD.encode(sealed.0))
    }

    /// Opens a value [`seal_inline`](Self::seal_inline) made with the same `context`.
    pub fn open_inline(&self, value: &str, context: &str) -> Result<String, SecretError> {
        let encoded = value.strip_prefix(INLINE_SEALED).ok_or(SecretError::Open)?;
        let bytes = STANDARD.decode(encoded).map_err(|_| SecretError::Open)?;
        self.open(&SealedSecret(bytes), context)
    }

    /// Opens a sealed secret with the same `context` it was sealed with.
    pub fn open(&self, sealed: &SealedSecret, context: &str) -> Result<String, SecretError> {
        if sealed.0.len() < NONCE_LEN + 16 {
            return Err(SecretError::Open);
        }
        let (nonce, ct) = sealed.0.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| SecretError::Open)?;
        String::from_utf8(plain).map_err(|_| SecretError::Open)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn derived_secrets_follow_the_key_and_the_purpose() {
        let a = SecretBox::new([7; 32]);
        assert_eq!(
            a.derive("jwt"),
            SecretBox::new([7; 32]).derive("jwt"),
            "stable"
        );
        assert_ne!(a.derive("jwt"), a.derive("other"), "per purpose");
        assert_ne!(
            a.derive("jwt"),
            SecretBox::new([8; 32]).derive("jwt"),
            "per key"
        );
        assert_ne!(a.derive("jwt"), [7; 32], "not the key");
    }

    use super::*;

    #[test]
    fn keys_are_random_prefixed_and_hash_only() {
        let a = generate_api_key();
        let b = generate_api_key();
        assert_ne!(a.plain, b.plain);
        assert!(a.plain.starts_with("sk_") && a.plain.len() == 43);
        assert!(looks_like_api_key(&a.plain));
        assert!(a.plain.starts_with(&a.prefix) && a.prefix.len() == 11);
        assert_eq!(KeyHash::of(&a.plain), a.hash);
        assert!(!a.hash.0.contains(&a.plain[3..]));
        assert!(!format!("{a:?}").contains(&a.plain));
    }

    #[test]
    fn inline_seals_open_only_with_their_context() {
        let b = SecretBox::new([7u8; 32]);
        let v = b.seal_inline("Bearer abc", "agent/tool-headers");
        assert!(v.starts_with(INLINE_SEALED));
        assert!(!v.contains("abc"));
        assert_eq!(
            b.open_inline(&v, "agent/tool-headers").expect("opens"),
            "Bearer abc"
        );
        assert!(b.open_inline(&v, "other/tool-headers").is_err());
        assert!(b.open_inline("Bearer abc", "agent/tool-headers").is_err());
        assert!(
            b.open_inline(&format!("{INLINE_SEALED}!!"), "agent/tool-headers")
                .is_err()
        );
    }

    #[test]
    fn seal_round_trips_and_binds_context() {
        let bx = SecretBox::from_encoded(&SecretBox::generate_encoded()).expect("key");
        let sealed = bx.seal("EAAG-token", "123");
        assert!(!String::from_utf8_lossy(&sealed.0).contains("EAAG"));
        assert_eq!(bx.open(&sealed, "123").expect("opens"), "EAAG-token");
        assert!(bx.open(&sealed, "456").is_err());
        let other = SecretBox::from_encoded(&SecretBox::generate_encoded()).expect("key");
        assert!(other.open(&sealed, "123").is_err());
        assert_ne!(
            bx.seal("EAAG-token", "123"),
            sealed,
            "fresh nonce every time"
        );
    }

    #[test]
    fn key_text_must_be_32_bytes() {
        assert!(SecretBox::from_encoded(&"ab".repeat(32)).is_ok());
        assert!(SecretBox::from_encoded("short").is_err());
        assert!(SecretBox::from_encoded(&"ab".repeat(31)).is_err());
    }
}
