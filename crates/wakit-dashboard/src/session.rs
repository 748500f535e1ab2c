//! The session cookie. `POST /dashboard/session` signs in with e-mail and password
//! through `/auth/v1/token?grant_type=password`; `POST /dashboard/session/refresh`
//! trades the cookie's refresh token for a new session (`grant_type=refresh_token`,
//! which rotates it); `POST /dashboard/session/logout` ends the session
//! (`/auth/v1/logout?scope=local`). The refresh token lives only in an HttpOnly,
//! Secure, SameSite=Strict cookie scoped to these paths; the page gets the short-lived
//! access token, which it keeps in memory and sends as `Authorization: Bearer` to the
//! data routes (so those need no CSRF defence: a cross-site request cannot carry it).
//!
//! CSRF: the endpoints that act on the cookie (refresh, logout) want the double-submit
//! token: the `wakit_csrf` cookie (readable by the page, set at sign-in) echoed in the
//! `X-CSRF-Token` header. Every endpoint also refuses a cross-site request outright
//! (`Sec-Fetch-Site`, `Origin`), and sign-in wants a JSON body (no form can send one).

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rand::distributions::{Alphanumeric, DistString};
use serde_json::{Value, json};
use std::sync::Arc;
use tower::ServiceExt;

use crate::Dashboard;

/// Sign-in.
pub const SIGN_IN: &str = "/dashboard/session";
/// A fresh access token from the cookie.
pub const REFRESH: &str = "/dashboard/session/refresh";
/// Sign-out.
pub const LOGOUT: &str = "/dashboard/session/logout";
/// The refresh token's cookie (HttpOnly, on [`SIGN_IN`]'s path only).
pub const REFRESH_COOKIE: &str = "wakit_refresh";
/// The double-submit token's cookie (readable by the page).
pub const CSRF_COOKIE: &str = "wakit_csrf";
/// The header that must echo [`CSRF_COOKIE`].
pub const CSRF_HEADER: &str = "x-csrf-token";
/// How long the cookies live without a refresh (30 days).
const COOKIE_MAX_AGE: u32 = 30 * 24 * 3600;
/// Largest body read (ours and `/auth/v1`'s answers).
const MAX_BODY: usize = 64 * 1024;

/// A refusal, answered in the API's error shape `{"error", "code"}`.
pub(crate) struct Refusal {
    status: StatusCode,
    code: String,
    message: String,
    retry_after: Option<HeaderValue>,
    /// Signed out: the cookies go too.
    clear_cookies: bool,
}

impl Refusal {
    fn new(status: StatusCode, code: &str, message: &str) -> Refusal {
        Refusal {
            status,
            code: code.to_string(),
            message: message.to_string(),
            retry_after: None,
            clear_cookies: false,
        }
    }

    fn internal() -> Refusal {
        Refusal::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
        )
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = json!({"error": self.message, "code": self.code});
        let mut resp = (self.status, axum::Json(body)).into_response();
        if let Some(v) = self.retry_after {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if self.clear_cookies {
            set_cookies(&mut resp, "", "", 0);
        }
        no_store(&mut resp);
        resp
    }
}

fn no_store(resp: &mut Response) {
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// `POST /dashboard/session` `{"email", "password"}`: the session, cookies set.
pub(crate) async fn sign_in(
    State(d): State<Arc<Dashboard>>,
    req: Request,
) -> Result<Response, Refusal> {
    let (parts, body) = req.into_parts();
    same_origin(&parts.headers)?;
    let json_body = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !json_body {
        return Err(Refusal::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the e-mail and password as JSON",
        ));
    }
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return Err(Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "The body is too large",
        ));
    };
    let credentials = serde_json::from_slice::<Value>(&bytes).ok().and_then(|v| {
        let email = v.get("email")?.as_str()?.to_string();
        let password = v.get("password")?.as_str()?.to_string();
        Some((email, password))
    });
    let Some((email, password)) = credentials else {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
            "email and password are required (strings)",
        ));
    };
    let grant = json!({"email": email, "password": password});
    let path = "/token?grant_type=password";
    let session = call_auth(&d, &parts.extensions, path, None, grant).await?;
    Ok(started(&d, &session, None))
}

/// `POST /dashboard/session/refresh`: a new session from the cookie (which rotates).
pub(crate) async fn refresh(
    State(d): State<Arc<Dashboard>>,
    req: Request,
) -> Result<Response, Refusal> {
    let (parts, _) = req.into_parts();
    let csrf = double_submitted(&parts.headers)?;
    let session = renew(&d, &parts.headers, &parts.extensions).await?;
    Ok(started(&d, &session, Some(csrf)))
}

/// `POST /dashboard/session/logout`: ends the cookie's session; the cookies are cleared
/// whatever happens (204).
pub(crate) async fn logout(
    State(d): State<Arc<Dashboard>>,
    req: Request,
) -> Result<Response, Refusal> {
    let (parts, _) = req.into_parts();
    double_submitted(&parts.headers)?;
    if let Ok(session) = renew(&d, &parts.headers, &parts.extensions).await {
        let bearer = session["access_token"].as_str().unwrap_or_default();
        let ended = call_auth(
            &d,
            &parts.extensions,
            "/logout?scope=local",
            Some(bearer),
            json!({}),
        )
        .await;
        if ended.is_err() {
            tracing::warn!(
                "dashboard sign-out: /auth/v1/logout refused; the cookies are cleared anyway"
            );
        }
    }
    let mut resp = StatusCode::NO_CONTENT.into_response();
    set_cookies(&mut resp, "", "", 0);
    no_store(&mut resp);
    Ok(resp)
}

/// The session the refresh cookie still holds (rotated), or 401 `no_session` (cookies
/// cleared) when there is none or it was refused.
async fn renew(d: &Dashboard, headers: &HeaderMap, ext: &Extensions) -> Result<Value, Refusal> {
    let no_session = || Refusal {
        clear_cookies: true,
        ..Refusal::new(StatusCode::UNAUTHORIZED, "no_session", "Not signed in")
    };
    let Some(token) = cookie(headers, REFRESH_COOKIE).filter(|t| !t.is_empty()) else {
        return Err(no_session());
    };
    let grant = json!({"refresh_token": token});
    match call_auth(d, ext, "/token?grant_type=refresh_token", None, grant).await {
        Ok(session) => Ok(session),
        // Spent, unknown or revoked: signed out. A 429 or 5xx leaves the cookie be.
        Err(refused)
            if refused.status.is_client_error()
                && refused.status != StatusCode::TOO_MANY_REQUESTS =>
        {
            Err(no_session())
        }
        Err(refused) => Err(refused),
    }
}

/// What the page gets of a session, with the cookies set (a new CSRF token unless one
/// is kept).
fn started(d: &Dashboard, session: &Value, csrf: Option<String>) -> Response {
    let refresh = session["refresh_token"].as_str().unwrap_or_default();
    let user = &session["user"];
    let body = json!({
        "access_token": session["access_token"],
        "expires_in": session["expires_in"],
        "expires_at": session["expires_at"],
        "user": {"id": user["id"], "email": user["email"], "user_metadata": user["user_metadata"]},
        "anon_key": d.config.anon_key,
    });
    let csrf = csrf.unwrap_or_else(|| Alphanumeric.sample_string(&mut rand::rngs::OsRng, 32));
    let mut resp = axum::Json(body).into_response();
    set_cookies(&mut resp, refresh, &csrf, COOKIE_MAX_AGE);
    no_store(&mut resp);
    resp
}

fn set_cookies(resp: &mut Response, refresh: &str, csrf: &str, max_age: u32) {
    let cookies = [
        format!(
            "{REFRESH_COOKIE}={refresh}; Path={SIGN_IN}; Max-Age={max_age}; HttpOnly; Secure; SameSite=Strict"
        ),
        format!("{CSRF_COOKIE}={csrf}; Path=/; Max-Age={max_age}; Secure; SameSite=Strict"),
    ];
    for c in cookies {
        if let Ok(v) = HeaderValue::try_from(c) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
}

/// The value of cookie `name`.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim().to_string())
}

/// Refuses a request a browser marks as coming from another site.
fn same_origin(headers: &HeaderMap) -> Result<(), Refusal> {
    let cross = || {
        Err(Refusal::new(
            StatusCode::FORBIDDEN,
            "cross_site",
            "Cross-site requests are refused",
        ))
    };
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if site.is_some_and(|s| s != "same-origin" && s != "none") {
        return cross();
    }
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match (origin, host) {
        (Some(o), Some(h)) if o.split_once("://").map(|(_, rest)| rest) != Some(h) => cross(),
        _ => Ok(()),
    }
}

/// The CSRF token when the header echoes the cookie (constant-time compare).
fn double_submitted(headers: &HeaderMap) -> Result<String, Refusal> {
    same_origin(headers)?;
    let sent = headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let kept = cookie(headers, CSRF_COOKIE).unwrap_or_default();
    let equal = sent.len() == kept.len()
        && sent
            .bytes()
            .zip(kept.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if kept.is_empty() || !equal {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "The X-CSRF-Token header must echo the wakit_csrf cookie",
        ));
    }
    Ok(kept)
}

/// Calls `/auth/v1{path}` in-process with `body`; its JSON answer, or the refusal in the
/// API's error shape (status kept).
async fn call_auth(
    d: &Dashboard,
    extensions: &Extensions,
    path: &str,
    bearer: Option<&str>,
    body: Value,
) -> Result<Value, Refusal> {
    let mut req = Request::new(Body::from(body.to_string()));
    *req.method_mut() = Method::POST;
    *req.uri_mut() = path.parse().map_err(|_| Refusal::internal())?;
    *req.extensions_mut() = extensions.clone();
    let h = req.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(
        "x-supabase-api-version",
        HeaderValue::from_static("2024-01-01"),
    );
    h.insert(
        "apikey",
        HeaderValue::try_from(d.config.anon_key.as_str()).map_err(|_| Refusal::internal())?,
    );
    if let Some(token) = bearer {
        let value =
            HeaderValue::try_from(format!("Bearer {token}")).map_err(|_| Refusal::internal())?;
        h.insert(header::AUTHORIZATION, value);
    }
    let resp = match d.config.auth.clone().oneshot(req).await {
        Ok(resp) => resp,
        Err(never) => match never {},
    };
    let status = resp.status();
    let retry_after = resp.headers().get(header::RETRY_AFTER).cloned();
    let bytes = to_bytes(resp.into_body(), MAX_BODY)
        .await
        .map_err(|_| Refusal::internal())?;
    let answer: Value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).map_err(|_| Refusal::internal())?
    };
    if status.is_success() {
        return Ok(answer);
    }
    let code = answer["code"].as_str().unwrap_or("auth_error");
    let message = answer["message"].as_str().unwrap_or("Sign-in failed");
    Err(Refusal {
        retry_after,
        ..Refusal::new(status, code, message)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (n, v) in pairs {
            h.append(*n, HeaderValue::try_from(*v).expect("value"));
        }
        h
    }

    #[test]
    fn cookies_are_found_by_exact_name() {
        let h = headers(&[("cookie", "a=1; wakit_csrf=xyz; wakit_csrf2=no")]);
        assert_eq!(cookie(&h, CSRF_COOKIE).as_deref(), Some("xyz"));
        assert_eq!(cookie(&h, REFRESH_COOKIE), None);
    }

    #[test]
    fn the_csrf_header_must_echo_the_cookie() {
        let ok = headers(&[("cookie", "wakit_csrf=abc"), ("x-csrf-token", "abc")]);
        assert_eq!(double_submitted(&ok).ok().as_deref(), Some("abc"));
        for bad in [
            headers(&[("cookie", "wakit_csrf=abc"), ("x-csrf-token", "abd")]),
            headers(&[("cookie", "wakit_csrf=abc")]),
            headers(&[("x-csrf-token", "")]),
            headers(&[("cookie", "wakit_csrf="), ("x-csrf-token", "")]),
        ] {
            let refused = double_submitted(&bad).expect_err("refused");
            assert_eq!(refused.status, StatusCode::FORBIDDEN);
        }
    }

    #[test]
    fn cross_site_requests_are_refused() {
        let same = headers(&[
            ("origin", "http://127.0.0.1:8080"),
            ("host", "127.0.0.1:8080"),
            ("sec-fetch-site", "same-origin"),
        ]);
        assert!(same_origin(&same).is_ok());
        assert!(same_origin(&headers(&[("sec-fetch-site", "cross-site")])).is_err());
        let other = headers(&[
            ("origin", "https://evil.example"),
            ("host", "127.0.0.1:8080"),
        ]);
        assert!(same_origin(&other).is_err());
    }
}
