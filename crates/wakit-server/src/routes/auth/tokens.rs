//! The HS256 tokens of `/auth/v1`: users' access tokens (GoTrue's claims) and the
//! anon and service-role keys (`{"iss":"supabase","role":"anon"|"service_role"}`), all
//! signed with the one JWT secret. Refresh tokens are random strings stored hashed.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::distributions::{Alphanumeric, DistString};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::fmt;
use uuid::Uuid;
use wakit_store::{SessionId, User, UserId};

use super::error::AuthError;

/// Fewest bytes a JWT secret may have (HS256 wants at least its output size).
pub const MIN_SECRET_BYTES: usize = 32;
/// Characters of a refresh token (alphanumeric: ≈190 bits).
const REFRESH_TOKEN_CHARS: usize = 32;
/// The `iss` of access tokens.
pub const ISSUER: &str = "wakit/auth/v1";
/// The `aud` and `role` of a signed-in user's access token.
pub const AUTHENTICATED: &str = "authenticated";
/// Lifetime of the anon and service-role keys (ten years, as Supabase's own).
const KEY_LIFETIME_SECS: i64 = 10 * 365 * 24 * 3600;

/// The signing secret. Never printed: `Debug` shows nothing of it.
#[derive(Clone)]
pub struct JwtSecret {
    secret: std::sync::Arc<[u8]>,
}

impl fmt::Debug for JwtSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JwtSecret(..)")
    }
}

/// A secret shorter than [`MIN_SECRET_BYTES`].
#[derive(Debug, thiserror::Error)]
#[error("WAKIT_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes long")]
pub struct ShortSecret;

impl JwtSecret {
    /// From the secret's bytes (as GoTrue: the text itself, not decoded).
    pub fn new(secret: &[u8]) -> Result<JwtSecret, ShortSecret> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(ShortSecret);
        }
        Ok(JwtSecret {
            secret: secret.into(),
        })
    }

    /// A random secret (tests; a process whose tokens need not outlive it).
    pub fn random() -> JwtSecret {
        let text = Alphanumeric.sample_string(&mut rand::rngs::OsRng, 48);
        JwtSecret {
            secret: text.as_bytes().into(),
        }
    }

    fn sign(&self, claims: &impl Serialize) -> Result<String, AuthError> {
        let key = EncodingKey::from_secret(&self.secret).map_err(AuthError::unexpected)?;
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &key)
            .map_err(AuthError::unexpected)
    }

    /// The key checking signatures (only an empty secret has none, and
    /// [`JwtSecret::new`] refuses short ones).
    fn decoding(&self) -> Result<DecodingKey, AuthError> {
        DecodingKey::from_secret(&self.secret).map_err(AuthError::unexpected)
    }

    /// The anon (`service = false`) or service-role key: what `apikey` carries.
    pub fn api_key(&self, service: bool) -> Result<String, AuthError> {
        let now = Utc::now().timestamp();
        self.sign(&KeyClaims {
            iss: "supabase".into(),
            reference: "wakit".into(),
            role: if service { "service_role" } else { "anon" }.into(),
            iat: now,
            exp: now + KEY_LIFETIME_SECS,
        })
    }

    /// The role of a key signed with this secret (`anon`, `service_role`, or a user's
    /// `authenticated`); `None` for anything else.
    pub fn key_role(&self, token: &str) -> Option<String> {
        let mut v = Validation::new(Algorithm::HS256);
        v.validate_aud = false;
        v.required_spec_claims.clear();
        jsonwebtoken::decode::<RoleClaim>(token, &self.decoding().ok()?, &v)
            .ok()
            .map(|d| d.claims.role)
    }

    /// A signed-in user's access token for `session`, valid `ttl_secs` from `now`.
    pub fn access_token(
        &self,
        user: &User,
        session: SessionId,
        now: DateTime<Utc>,
        ttl_secs: i64,
    ) -> Result<String, AuthError> {
        let iat = now.timestamp();
        self.sign(&AccessClaims {
            iss: ISSUER.into(),
            sub: user.id.0,
            aud: AUTHENTICATED.into(),
            exp: iat + ttl_secs,
            iat,
            email: user.email.clone(),
            phone: String::new(),
            app_metadata: app_metadata(),
            user_metadata: user.user_metadata.clone(),
            role: AUTHENTICATED.into(),
            aal: "aal1".into(),
            amr: vec![Amr {
                method: "password".into(),
                timestamp: iat,
            }],
            session_id: session.0,
            is_anonymous: false,
        })
    }

    /// The claims of a user's access token: signature, expiry and audience checked.
    pub fn verify_access(&self, token: &str) -> Result<AccessClaims, AuthError> {
        let mut v = Validation::new(Algorithm::HS256);
        v.set_audience(&[AUTHENTICATED]);
        v.set_required_spec_claims(&["exp", "sub", "aud"]);
        v.leeway = 0;
        jsonwebtoken::decode::<AccessClaims>(token, &self.decoding()?, &v)
            .map(|d| d.claims)
            .map_err(AuthError::bad_jwt)
    }
}

/// GoTrue's `app_metadata` for an e-mail user.
pub fn app_metadata() -> Value {
    json!({"provider": "email", "providers": ["email"]})
}

/// A new refresh token (random; stored only as its hash).
pub fn new_refresh_token() -> String {
    Alphanumeric.sample_string(&mut rand::rngs::OsRng, REFRESH_TOKEN_CHARS)
}

/// How the user authenticated (`amr`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Amr {
    /// `password`.
    pub method: String,
    /// When (unix seconds).
    pub timestamp: i64,
}

/// A user's access-token claims (GoTrue's set).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AccessClaims {
    /// [`ISSUER`].
    pub iss: String,
    /// The user's id.
    pub sub: Uuid,
    /// [`AUTHENTICATED`].
    pub aud: String,
    /// Expiry (unix seconds).
    pub exp: i64,
    /// Issue time (unix seconds).
    pub iat: i64,
    /// The user's address.
    pub email: String,
    /// Always empty: wakit has no phone sign-in.
    pub phone: String,
    /// Provider data.
    pub app_metadata: Value,
    /// The user's own data.
    pub user_metadata: Value,
    /// [`AUTHENTICATED`].
    pub role: String,
    /// `aal1`.
    pub aal: String,
    /// How the session was started.
    pub amr: Vec<Amr>,
    /// The session; revoked sessions' tokens are refused.
    pub session_id: Uuid,
    /// Always false.
    pub is_anonymous: bool,
}

impl AccessClaims {
    /// The user.
    pub fn user_id(&self) -> UserId {
        UserId(self.sub)
    }
    /// The session.
    pub fn session(&self) -> SessionId {
        SessionId(self.session_id)
    }
}

#[derive(Serialize)]
struct KeyClaims {
    iss: String,
    #[serde(rename = "ref")]
    reference: String,
    role: String,
    iat: i64,
    exp: i64,
}

#[derive(Deserialize)]
struct RoleClaim {
    role: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> User {
        User {
            id: UserId::new(),
            email: "ana@example.com".into(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
            last_sign_in_at: None,
            user_metadata: json!({"name": "Ana"}),
        }
    }

    #[test]
    fn access_tokens_verify_with_their_secret_only() {
        let (secret, other) = (JwtSecret::random(), JwtSecret::random());
        let u = user();
        let session = SessionId::new();
        let token = secret
            .access_token(&u, session, Utc::now(), 60)
            .expect("sign");
        let claims = secret.verify_access(&token).expect("verify");
        assert_eq!((claims.user_id(), claims.session()), (u.id, session));
        assert_eq!(claims.role, "authenticated");
        assert_eq!(
            other.verify_access(&token).expect_err("forged").code(),
            "bad_jwt"
        );
        let expired = secret
            .access_token(&u, session, Utc::now() - chrono::Duration::hours(2), 60)
            .expect("sign");
        assert_eq!(
            secret.verify_access(&expired).expect_err("expired").code(),
            "bad_jwt"
        );
    }

    #[test]
    fn keys_carry_their_role_and_are_not_user_tokens() {
        let secret = JwtSecret::random();
        let anon = secret.api_key(false).expect("anon");
        assert_eq!(secret.key_role(&anon).as_deref(), Some("anon"));
        let service = secret.api_key(true).expect("service");
        assert_eq!(secret.key_role(&service).as_deref(), Some("service_role"));
        assert_eq!(JwtSecret::random().key_role(&anon), None);
        assert!(secret.verify_access(&anon).is_err());
        assert!(JwtSecret::new(b"short").is_err());
    }
}
