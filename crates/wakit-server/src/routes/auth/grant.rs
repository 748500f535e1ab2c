//! `POST /token` (password and refresh-token grants) and `POST /signup`.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::Utc;
use serde::Deserialize;
use serde_json::Value;
use wakit_store::people::refresh_token_hash;
use wakit_store::{ConflictKey, NewUser, Rotation, StoreError, User, normalize_email};

use super::error::AuthError;
use super::tokens::new_refresh_token;
use super::{AuthJson, ClientIp, password, wire};
use crate::AppState;

/// `?grant_type=`.
#[derive(Deserialize)]
pub(super) struct Grant {
    grant_type: Option<String>,
}

/// The body of either grant (and of sign-up): unknown fields, such as
/// `gotrue_meta_security` or `code_challenge`, are ignored.
#[derive(Deserialize, Default)]
pub(super) struct Credentials {
    email: Option<String>,
    password: Option<String>,
    refresh_token: Option<String>,
    data: Option<Value>,
}

/// `POST /token?grant_type=password|refresh_token`.
pub(super) async fn token(
    State(state): State<AppState>,
    Query(grant): Query<Grant>,
    ip: ClientIp,
    AuthJson(body): AuthJson<Credentials>,
) -> Result<Json<Value>, AuthError> {
    match grant.grant_type.as_deref() {
        Some("password") => password_grant(&state, ip, body).await,
        Some("refresh_token") => refresh_grant(&state, body).await,
        _ => Err(AuthError::validation("unsupported_grant_type")),
    }
}

fn too_many(secs: u64) -> AuthError {
    AuthError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "over_request_rate_limit",
        format!("Request rate limit reached; retry in {secs}s"),
    )
}

/// Checks e-mail and password against the stored hash. Failures count against the
/// client's IP and the address, and past either budget the password is not even
/// checked (429).
async fn password_grant(
    state: &AppState,
    ClientIp(ip): ClientIp,
    body: Credentials,
) -> Result<Json<Value>, AuthError> {
    let (Some(email), Some(pass)) = (body.email, body.password) else {
        return Err(AuthError::validation("missing email or phone"));
    };
    let email = normalize_email(&email);
    let auth = &state.api.auth;
    if state.api.refusals.check(ip).is_err() {
        return Err(too_many(1));
    }
    if let Some(wait) = auth.email_failures.exhausted(&email) {
        return Err(too_many(wait.as_secs().max(1)));
    }
    let Some((user, hash)) = state.store.user_credentials(&email).await? else {
        password::verify_nothing(pass).await;
        return Err(failed(state, ip, email));
    };
    let imported = password::is_bcrypt(&hash);
    if !password::verify(pass.clone(), hash).await? {
        return Err(failed(state, ip, email));
    }
    if imported {
        // An imported (GoTrue) bcrypt hash is replaced by argon2id on first sign-in.
        let upgraded = password::hash(pass).await?;
        state.store.set_password(user.id, upgraded).await?;
    }
    start_session(state, &user).await
}

fn failed(state: &AppState, ip: Option<std::net::IpAddr>, email: String) -> AuthError {
    state.api.refusals.failed(ip);
    state.api.auth.email_failures.failed(email);
    AuthError::invalid_credentials()
}

/// A new session for `user`, answered as GoTrue's session object.
async fn start_session(state: &AppState, user: &User) -> Result<Json<Value>, AuthError> {
    let refresh = new_refresh_token();
    let session = state
        .store
        .start_session(user.id, &refresh_token_hash(&refresh))
        .await?;
    let user = state.store.get_user(user.id).await?;
    answer(state, &user, session.id, &refresh)
}

fn answer(
    state: &AppState,
    user: &User,
    session: wakit_store::SessionId,
    refresh: &str,
) -> Result<Json<Value>, AuthError> {
    let (now, ttl) = (Utc::now(), state.api.auth.access_ttl_secs);
    let access = state
        .api
        .auth
        .secret
        .access_token(user, session, now, ttl)?;
    Ok(Json(wire::session(user, &access, refresh, now, ttl)))
}

/// Rotates the refresh token: the presented one is spent, a new one answered. A spent
/// token presented again revokes the session (someone replays it).
async fn refresh_grant(state: &AppState, body: Credentials) -> Result<Json<Value>, AuthError> {
    let Some(old) = body.refresh_token.filter(|t| !t.is_empty()) else {
        return Err(AuthError::new(
            StatusCode::BAD_REQUEST,
            "refresh_token_not_found",
            "Invalid Refresh Token: Refresh Token Not Found",
        ));
    };
    let new = new_refresh_token();
    let rotated = state
        .store
        .rotate_refresh_token(&refresh_token_hash(&old), &refresh_token_hash(&new))
        .await?;
    match rotated {
        Rotation::Rotated { session, user } => answer(state, &user, session.id, &new),
        Rotation::Reused => Err(AuthError::new(
            StatusCode::BAD_REQUEST,
            "refresh_token_already_used",
            "Invalid Refresh Token: Already Used",
        )),
        Rotation::Unknown => Err(AuthError::new(
            StatusCode::BAD_REQUEST,
            "refresh_token_not_found",
            "Invalid Refresh Token: Refresh Token Not Found",
        )),
    }
}

/// Whether `email` has the form `local@domain.tld` (no delivery is attempted).
fn plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// `POST /signup`: creates the user (joining any invitation to the address) and, the
/// address being confirmed at once, answers a session.
pub(super) async fn signup(
    State(state): State<AppState>,
    AuthJson(body): AuthJson<Credentials>,
) -> Result<Json<Value>, AuthError> {
    if !state.api.auth.signup {
        return Err(AuthError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "signup_disabled",
            "Signups not allowed for this instance",
        ));
    }
    let (Some(email), Some(pass)) = (body.email, body.password) else {
        return Err(AuthError::validation(
            "To signup, please provide your email and password",
        ));
    };
    let email = normalize_email(&email);
    if !plausible_email(&email) {
        return Err(AuthError::new(
            StatusCode::BAD_REQUEST,
            "email_address_invalid",
            "Unable to validate email address: invalid format",
        ));
    }
    password::check_strength(&pass)?;
    let user_metadata = match body.data {
        None | Some(Value::Null) => Value::Object(Default::default()),
        Some(v @ Value::Object(_)) => v,
        Some(_) => return Err(AuthError::validation("data must be a JSON object")),
    };
    let new = NewUser {
        email,
        password_hash: password::hash(pass).await?,
        user_metadata,
    };
    let user = match state.store.create_user(new).await {
        Ok(u) => u,
        Err(StoreError::Conflict(ConflictKey::Email)) => {
            return Err(AuthError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "user_already_exists",
                "User already registered",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    start_session(&state, &user).await
}

#[cfg(test)]
mod tests {
    use super::plausible_email;

    #[test]
    fn addresses_need_a_local_part_and_a_domain() {
        assert!(plausible_email("ana@example.com"));
        for bad in [
            "ana",
            "@example.com",
            "ana@example",
            "ana@.com",
            "a na@example.com",
        ] {
            assert!(!plausible_email(bad), "{bad}");
        }
    }
}
