//! `GET`/`PUT /user`, `POST /logout`, `GET /settings`, `GET /health`.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use wakit_store::LogoutScope;

use super::error::AuthError;
use super::{AuthJson, SignedIn, password, wire};
use crate::AppState;

/// `GET /user`: the signed-in user.
pub(super) async fn get_user(signed_in: SignedIn) -> Json<Value> {
    Json(wire::user(&signed_in.user))
}

/// What `PUT /user` may change: the password (other fields answer 422: e-mail change
/// needs delivery wakit does not have).
#[derive(Deserialize)]
pub(super) struct UserChange {
    password: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    data: Option<Value>,
}

/// `PUT /user`: changes the signed-in user's password.
pub(super) async fn put_user(
    State(state): State<AppState>,
    signed_in: SignedIn,
    AuthJson(change): AuthJson<UserChange>,
) -> Result<Json<Value>, AuthError> {
    if change.email.is_some() || change.phone.is_some() || change.data.is_some() {
        return Err(AuthError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "wakit can change the password only (not email, phone or data)",
        ));
    }
    let Some(new) = change.password else {
        return Ok(Json(wire::user(&signed_in.user)));
    };
    password::check_strength(&new)?;
    let id = signed_in.user.id;
    let current = state.store.password_hash(id).await?;
    if password::verify(new.clone(), current).await? {
        return Err(AuthError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "same_password",
            "New password should be different from the old password.",
        ));
    }
    let user = state
        .store
        .set_password(id, password::hash(new).await?)
        .await?;
    Ok(Json(wire::user(&user)))
}

/// `?scope=`.
#[derive(Deserialize)]
pub(super) struct Scope {
    scope: Option<String>,
}

/// `POST /logout?scope=global|local|others` (default `global`, as GoTrue): ends
/// sessions; 204.
pub(super) async fn logout(
    State(state): State<AppState>,
    Query(scope): Query<Scope>,
    signed_in: SignedIn,
) -> Result<Response, AuthError> {
    let scope = match scope.scope.as_deref() {
        None | Some("global") => LogoutScope::Global,
        Some("local") => LogoutScope::Local,
        Some("others") => LogoutScope::Others,
        Some(other) => {
            return Err(AuthError::validation(format!(
                "Unsupported logout scope {other:?}"
            )));
        }
    };
    state
        .store
        .end_sessions(signed_in.claims.session(), scope)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /settings`: what this instance offers.
pub(super) async fn settings(State(state): State<AppState>) -> Json<Value> {
    Json(json!({
        "external": {"email": true, "phone": false, "anonymous_users": false},
        "disable_signup": !state.api.auth.signup,
        "mailer_autoconfirm": true,
        "phone_autoconfirm": false,
        "sms_provider": "",
        "saml_enabled": false,
    }))
}

/// `GET /health`.
pub(super) async fn health() -> Json<Value> {
    Json(json!({
        "version": concat!("wakit-", env!("CARGO_PKG_VERSION")),
        "name": "GoTrue",
        "description": "wakit's GoTrue-compatible sign-in (e-mail and password)",
    }))
}
