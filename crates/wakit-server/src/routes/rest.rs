//! The Supabase-compatible data API, `/rest/v1/{table}`: the PostgREST subset of crate
//! `wakit-rest` (grammar, policies, SQL for both engines), executed by the store. The
//! caller is an `sk_` API key (`apikey`, `Authorization: Bearer` or `api-key` header:
//! what supabase-js sends when created with the key), acting in its organization with
//! its role. Errors always carry PostgREST's four keys.

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::json;
use wakit_rest::{
    Auth, Bind, Dialect, ErrorCode, Method, OrgRole, Outcome, Plan, RestError, Returns,
};
use wakit_store::{ReadSummary, Refusal, SqlDialect, SqlParam, Statement};

use super::body::{Oversized, read_bounded};
use crate::AppState;
use crate::auth::ApiKeyAuth;
use crate::error::ApiError;

/// The data API's routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/rest/v1/{table}", any(handle))
}

async fn handle(
    State(state): State<AppState>,
    Path(table): Path<String>,
    req: Request,
) -> Response {
    let (mut parts, body) = req.into_parts();
    let Some(method) = Method::parse(parts.method.as_str()) else {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    };
    if table == "messages" && !matches!(method, Method::Get | Method::Head) {
        // A row written here would never reach Meta: sends go through the send path
        // (window, templates, idempotency, the dispatcher), which this API does not run yet.
        let e = RestError::new(
            ErrorCode::NotImplemented,
            "Messages are not written through /rest/v1 yet",
        )
        .hint("Send with POST /functions/v1/api/messages");
        return rest_error(&e);
    }
    // supabase-js sends the key as `apikey` and as the Bearer token; `apikey` alone is
    // the key too.
    if !parts.headers.contains_key(header::AUTHORIZATION)
        && let Some(key) = parts.headers.get("apikey").cloned()
    {
        parts.headers.insert("api-key", key);
    }
    let auth = match ApiKeyAuth::from_request_parts(&mut parts, &state).await {
        Ok(ApiKeyAuth(ctx)) => Auth::api_key(ctx.key_id.0, ctx.org_id.0, org_role(ctx.role)),
        Err(e) => return refused_key(&e),
    };
    let bytes = match read_bounded(body, &parts.headers, &state, Oversized::Drain).await {
        Ok(b) => b,
        Err(e) => return refused_key(&e),
    };
    let headers: Vec<(&str, &str)> = parts
        .headers
        .iter()
        .filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?)))
        .collect();
    let query = parts.uri.query().unwrap_or("");
    let plan = match wakit_rest::plan(method, &table, query, &headers, &bytes, &auth) {
        Ok(plan) => plan,
        Err(e) => return rest_error(&e),
    };
    match run(&state, &plan).await {
        Ok(Ok(answer)) => answer,
        Ok(Err(e)) => rest_error(&e),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// Runs the plan on the store and builds the answer (or the error to send).
async fn run(
    state: &AppState,
    plan: &Plan,
) -> Result<Result<Response, RestError>, wakit_store::StoreError> {
    let dialect = match state.store.sql_dialect() {
        SqlDialect::Postgres => Dialect::Postgres,
        SqlDialect::Sqlite => Dialect::Sqlite,
    };
    let statement = |(sql, binds): (String, Vec<Bind>)| Statement {
        sql,
        params: binds.into_iter().map(param).collect(),
    };
    let outcome = match plan.returns() {
        Returns::Summary => match state.store.data_read(statement(plan.sql(dialect))).await? {
            Ok(ReadSummary {
                body,
                page_count,
                total,
            }) => Outcome {
                body,
                page_count,
                total,
            },
            Err(refused) => return Ok(Err(database(&refused))),
        },
        Returns::Rows => {
            let decider = plan.clone();
            let decide = Box::new(move |rows: &[String]| {
                !decider.rollback() && decider.respond(Outcome::from_rows(rows)).is_ok()
            });
            let follow_up = plan.follow_up(dialect).map(statement);
            match state
                .store
                .data_write(statement(plan.sql(dialect)), follow_up, decide)
                .await?
            {
                Ok(rows) => Outcome::from_rows(&rows),
                Err(refused) => return Ok(Err(database(&refused))),
            }
        }
    };
    Ok(plan.respond(outcome).map(answer))
}

fn param(b: Bind) -> SqlParam {
    match b {
        Bind::Null => SqlParam::Null,
        Bind::Text(t) => SqlParam::Text(t),
        Bind::Int(i) => SqlParam::Int(i),
        Bind::Bool(v) => SqlParam::Bool(v),
    }
}

fn org_role(role: wakit_core::Role) -> OrgRole {
    match role {
        wakit_core::Role::Owner => OrgRole::Owner,
        wakit_core::Role::Admin => OrgRole::Admin,
        wakit_core::Role::Member => OrgRole::Member,
    }
}

fn database(refused: &Refusal) -> RestError {
    RestError::from_database(&refused.code, &refused.message)
}

fn answer(r: wakit_rest::Response) -> Response {
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::OK);
    let mut headers = HeaderMap::new();
    for (name, value) in r.headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::try_from(value.as_str()),
        ) {
            headers.insert(n, v);
        }
    }
    (status, headers, Body::from(r.body.unwrap_or_default())).into_response()
}

/// A PostgREST error: an authenticated caller (an API key) gets 403 for a policy refusal.
fn rest_error(e: &RestError) -> Response {
    let status = StatusCode::from_u16(e.status_for(true)).unwrap_or(StatusCode::BAD_REQUEST);
    (status, axum::Json(e.body())).into_response()
}

/// The key was missing, unknown or over its limits (or the body could not be read): the
/// API's verdict in PostgREST's shape; 401s name the Bearer scheme as PostgREST does.
fn refused_key(e: &ApiError) -> Response {
    let code = match e.status() {
        StatusCode::UNAUTHORIZED => "PGRST301".to_string(),
        s => s.as_u16().to_string(),
    };
    let body = json!({"code": code, "details": null, "hint": null, "message": e.message()});
    let mut resp = (e.status(), axum::Json(body)).into_response();
    let h = resp.headers_mut();
    if e.status() == StatusCode::UNAUTHORIZED {
        let challenge = format!(
            "Bearer error=\"invalid_token\", error_description=\"{}\"",
            e.message()
        );
        if let Ok(v) = HeaderValue::try_from(challenge) {
            h.insert(header::WWW_AUTHENTICATE, v);
        }
    }
    if let Some(secs) = e.retry_after_secs() {
        h.insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    resp
}
