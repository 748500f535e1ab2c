//! Meta's Graph API as the sandbox serves it: `/{version}/{node}/...` routes, bearer-token
//! checks, and Meta's error envelope everywhere (never an HTML page).

mod error;
mod media;
mod multipart;
mod nodes;
mod phone_admin;
mod send;
mod template_admin;
mod template_check;
mod templates;
mod validate;

use axum::Router;
use axum::extract::{DefaultBodyLimit, OriginalUri, State};
use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::core::Core;
use crate::state::State as SimState;
pub(crate) use error::{GraphError, RejectedCode};
pub(crate) use phone_admin::PhoneAdmin;

/// The Graph routes (the media download route included).
pub(crate) fn router() -> Router<Arc<Core>> {
    Router::new()
        .route("/{ver}/{id}/messages", post(send::messages))
        .route(
            "/{ver}/{id}/media",
            post(media::upload).layer(DefaultBodyLimit::max(media::MAX_UPLOAD + (1 << 20))),
        )
        .route(
            "/{ver}/{id}/message_templates",
            get(templates::list)
                .post(template_admin::create)
                .delete(template_admin::delete),
        )
        .route(
            "/{ver}/{id}/whatsapp_business_profile",
            get(phone_admin::profile).post(phone_admin::profile),
        )
        .route("/{ver}/{id}/register", post(phone_admin::register))
        .route("/{ver}/{id}/deregister", post(phone_admin::register))
        .route("/{ver}/{id}/request_code", post(phone_admin::verification))
        .route("/{ver}/{id}/verify_code", post(phone_admin::verification))
        .route(
            "/{ver}/{id}/settings",
            get(phone_admin::settings).post(phone_admin::settings),
        )
        .route(
            "/{ver}/{id}/conversational_automation",
            post(phone_admin::automation),
        )
        .route(
            "/{ver}/{id}/block_users",
            get(phone_admin::block_users)
                .post(phone_admin::block_users)
                .delete(phone_admin::block_users),
        )
        .route("/{ver}/{id}/phone_numbers", get(nodes::phone_numbers))
        .route(
            "/{ver}/{id}",
            get(nodes::get_node)
                .post(template_admin::edit)
                .delete(media::delete),
        )
        .route("/whatsapp_business/attachments/", get(media::download))
        .route("/whatsapp_business/attachments", get(media::download))
}

/// Counts every Graph error answered (see [`crate::SimStats::rejected`]).
pub(crate) async fn count_rejections(State(core): State<Arc<Core>>, resp: Response) -> Response {
    if let Some(RejectedCode(code)) = resp.extensions().get::<RejectedCode>() {
        core.state().count_rejection(*code);
    }
    resp
}

/// Unknown paths: Meta's "Unknown path components" error.
pub(crate) async fn unknown_path(OriginalUri(uri): OriginalUri) -> Response {
    GraphError::unknown_path(uri.path()).into_response()
}

/// A known path with the wrong method: Meta's "Unsupported <method> request".
pub(crate) async fn wrong_method(method: Method, OriginalUri(uri): OriginalUri) -> Response {
    if crate::control::is_control(uri.path()) {
        return crate::control::wrong_method(method.as_str(), uri.path());
    }
    let id = uri
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .nth(1)
        .unwrap_or_default()
        .to_string();
    GraphError::no_object(&method.as_str().to_ascii_lowercase(), &id).into_response()
}

/// Checks the `v{N}.{M}` path segment.
pub(crate) fn check_version(ver: &str, path: &str) -> Result<(), GraphError> {
    let ok = ver.strip_prefix('v').is_some_and(|rest| {
        let mut parts = rest.split('.');
        let major = parts.next().unwrap_or_default();
        let minor = parts.next();
        !major.is_empty()
            && major.bytes().all(|b| b.is_ascii_digit())
            && minor.is_none_or(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit()))
            && parts.next().is_none()
    });
    if ok {
        Ok(())
    } else {
        Err(GraphError::unknown_path(path))
    }
}

/// The access token: `Authorization: Bearer|OAuth <token>` or `?access_token=`.
pub(crate) fn access_token(headers: &HeaderMap, query: &HashMap<String, String>) -> Option<String> {
    let from_header = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| {
            let (scheme, token) = h.trim().split_once(' ')?;
            (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("oauth"))
                .then(|| token.trim().to_string())
        });
    from_header
        .or_else(|| query.get("access_token").cloned())
        .filter(|t| !t.is_empty())
}

/// The WABAs `token` can reach, or the token error Graph answers with.
pub(crate) fn authorize(
    st: &SimState,
    token: Option<&str>,
    now: DateTime<Utc>,
) -> Result<HashSet<String>, GraphError> {
    let token = token.ok_or_else(GraphError::no_token)?;
    if let Some(at) = st.expired_tokens.get(token) {
        return Err(GraphError::expired_token(*at, now));
    }
    let wabas = st.token_wabas(token);
    if wabas.is_empty() {
        return Err(GraphError::invalid_token());
    }
    Ok(wabas)
}

/// Splits a `fields=` list (sub-selections like `throughput{level}` reduced to the name).
pub(crate) fn requested_fields(query: &HashMap<String, String>) -> Option<Vec<String>> {
    let raw = query.get("fields")?;
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut cur = String::new();
    for c in raw.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => out.push(std::mem::take(&mut cur)),
            c if depth == 0 => cur.push(c),
            _ => {}
        }
    }
    out.push(cur);
    let out: Vec<String> = out
        .into_iter()
        .map(|f| f.trim().to_string())
        .filter(|f| !f.is_empty())
        .collect();
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        for ok in ["v24.0", "v17.0", "v25", "v3.10"] {
            assert!(check_version(ok, "/").is_ok(), "{ok}");
        }
        for bad in ["24.0", "v", "v24.", "va.0", "v1.2.3", "_sim"] {
            assert!(check_version(bad, "/").is_err(), "{bad}");
        }
    }

    #[test]
    fn fields() {
        let q = HashMap::from([(
            "fields".to_string(),
            "id, throughput{level},name".to_string(),
        )]);
        assert_eq!(
            requested_fields(&q),
            Some(vec!["id".into(), "throughput".into(), "name".into()])
        );
    }
}
