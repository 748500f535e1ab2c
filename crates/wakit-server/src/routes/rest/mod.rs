//! The Supabase-compatible data API, `/rest/v1/{table}`: the PostgREST subset of crate
//! `wakit-rest` (grammar, policies, SQL for both engines), executed by the store. The
//! caller (see [`caller`]) is a signed-in user's access token, the anon or service-role
//! key, or an `sk_` API key. Errors always carry PostgREST's four keys.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::json;
use wakit_rest::{
    Auth, Bind, Dialect, Method, OrgRole, Outcome, Plan, RestError, Returns, Role as RestRole,
};
use wakit_store::secrets::looks_like_api_key;
use wakit_store::{AuthContext, ReadSummary, Refusal, RowEvent, SqlDialect, SqlParam, Statement};

use super::auth::SignedIn;
use super::body::{Oversized, read_bounded};
use crate::AppState;
use crate::auth::ApiKeyAuth;
use crate::error::ApiError;

mod api_keys;
mod messages;
mod row;
mod rpc;
mod webhooks;

/// The data API's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/rest/v1/{table}", any(handle))
        .route("/rest/v1/rpc/{function}", any(call))
}

/// The caller and the body of a request (or the refusal to send).
async fn admit(state: &AppState, req: Request) -> Result<(Parts, Auth, Bytes), Response> {
    let (mut parts, body) = req.into_parts();
    let auth = caller(state, &mut parts).await?;
    let bytes = read_bounded(body, &parts.headers, state, Oversized::Drain)
        .await
        .map_err(|e| refused_key(&e))?;
    Ok((parts, auth, bytes))
}

async fn call(
    State(state): State<AppState>,
    Path(function): Path<String>,
    req: Request,
) -> Response {
    let method = req.method().clone();
    if !matches!(
        method,
        axum::http::Method::POST | axum::http::Method::GET | axum::http::Method::HEAD
    ) {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let (parts, auth, bytes) = match admit(&state, req).await {
        Ok(admitted) => admitted,
        Err(refused) => return refused,
    };
    let query = parts.uri.query().unwrap_or("");
    let post = method == axum::http::Method::POST;
    match rpc::arguments(query, &bytes, post) {
        Ok(args) => rpc::call(&function, &args, &auth, method == axum::http::Method::HEAD),
        Err(e) => rest_error(&e, auth.is_authenticated()),
    }
}

async fn handle(
    State(state): State<AppState>,
    Path(table): Path<String>,
    req: Request,
) -> Response {
    let Some(method) = Method::parse(req.method().as_str()) else {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    };
    let (parts, auth, bytes) = match admit(&state, req).await {
        Ok(admitted) => admitted,
        Err(refused) => return refused,
    };
    let headers: Vec<(&str, &str)> = parts
        .headers
        .iter()
        .filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?)))
        .collect();
    let query = parts.uri.query().unwrap_or("");
    match (table.as_str(), method) {
        ("messages", Method::Post) => {
            return messages::insert(&state, &auth, &parts.headers, query, &bytes).await;
        }
        ("api_keys", Method::Post) => {
            return api_keys::insert(&state, &auth, &parts.headers, &bytes).await;
        }
        ("webhooks", Method::Post) => {
            return webhooks::insert(&state, &auth, &parts.headers, &bytes).await;
        }
        _ => {}
    }
    let plan = match wakit_rest::plan(method, &table, query, &headers, &bytes, &auth) {
        Ok(plan) => plan,
        Err(e) => return rest_error(&e, auth.role != RestRole::Anon),
    };
    match run(&state, &plan).await {
        Ok(Ok(r)) => answer(r),
        Ok(Err(e)) => rest_error(&e, auth.role != RestRole::Anon),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// A read of `table` (`query` in PostgREST's grammar) as an API key would make it at
/// `/rest/v1`, with the same policies; the JSON body. Used by the MCP tools.
pub(crate) async fn read_as_key(
    state: &AppState,
    key: &AuthContext,
    table: &str,
    query: &str,
) -> Result<String, ApiError> {
    let auth = Auth::api_key(key.key_id.0, key.org_id.0, org_role(key.role));
    let refused = |e: RestError| {
        let message = e.body()["message"].as_str().unwrap_or_default().to_string();
        ApiError::bad_request(message)
    };
    let plan = wakit_rest::plan(Method::Get, table, query, &[], &[], &auth).map_err(refused)?;
    let answer = run(state, &plan).await?.map_err(refused)?;
    Ok(answer.body.unwrap_or_default())
}

/// Runs the plan on the store and builds the answer (or the error to send).
async fn run(
    state: &AppState,
    plan: &Plan,
) -> Result<Result<wakit_rest::Response, RestError>, wakit_store::StoreError> {
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
            let event = plan
                .event()
                .map(|(entity, action)| RowEvent { entity, action });
            match state
                .store
                .data_write(statement(plan.sql(dialect)), follow_up, event, decide)
                .await?
            {
                Ok(rows) => Outcome::from_rows(&rows),
                Err(refused) => return Ok(Err(database(&refused))),
            }
        }
    };
    Ok(plan.respond(outcome))
}

/// The rows of `table` with these ids, as `/rest/v1` answers them (the hosted product's
/// row shape), read with the key's organization and role; by id. Rows gone (or never
/// visible to the key) are absent.
pub(crate) async fn rows_by_id(
    state: &AppState,
    key: &wakit_store::AuthContext,
    table: &str,
    ids: &[uuid::Uuid],
) -> Result<std::collections::HashMap<String, serde_json::Value>, ApiError> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let auth = Auth::api_key(key.key_id.0, key.org_id.0, org_role(key.role));
    let list: Vec<String> = ids.iter().map(uuid::Uuid::to_string).collect();
    let query = format!("id=in.({})&limit={}", list.join(","), ids.len());
    let plan = wakit_rest::plan(Method::Get, table, &query, &[], &[], &auth)
        .map_err(|e| ApiError::internal(format!("row read plan: {}", e.body())))?;
    let body = match run(state, &plan).await? {
        Ok(resp) => resp.body.unwrap_or_default(),
        Err(e) => return Err(ApiError::internal(format!("row read: {}", e.body()))),
    };
    let rows: Vec<serde_json::Value> = serde_json::from_str(&body).map_err(ApiError::internal)?;
    Ok(rows
        .into_iter()
        .filter_map(|r| Some((r.get("id")?.as_str()?.to_string(), r)))
        .collect())
}

/// Who is asking. supabase-js sends its key as `apikey` and as the Bearer token, and a
/// signed-in user's access token as the Bearer token: an `sk_` key acts in its
/// organization with its role; the anon key sees no tenant row; the service-role key
/// bypasses the policies; a user acts in the organizations of their memberships.
async fn caller(state: &AppState, parts: &mut Parts) -> Result<Auth, Response> {
    if !parts.headers.contains_key(header::AUTHORIZATION)
        && let Some(key) = parts.headers.get("apikey").cloned()
    {
        parts.headers.insert(header::AUTHORIZATION, bearer(&key));
    }
    let token = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim().to_string());
    // The hosted product's `api-key: sk_...` header (sent beside the anon key) wins.
    let hosted_key = parts.headers.contains_key("api-key");
    match token {
        Some(t) if !hosted_key && !t.is_empty() && !looks_like_api_key(&t) => {
            signed_in(state, parts, &t).await
        }
        _ => match ApiKeyAuth::from_request_parts(parts, state).await {
            Ok(ApiKeyAuth(ctx)) => Ok(Auth::api_key(
                ctx.key_id.0,
                ctx.org_id.0,
                org_role(ctx.role),
            )),
            Err(e) => Err(refused_key(&e)),
        },
    }
}

/// The caller behind a JWT: the anon or service-role key, or a live session's user.
async fn signed_in(state: &AppState, parts: &mut Parts, token: &str) -> Result<Auth, Response> {
    match state.api.auth.secret.key_role(token).as_deref() {
        Some("service_role") => return Ok(Auth::service()),
        Some("anon") => return Ok(Auth::anon()),
        _ => {}
    }
    let user = match SignedIn::from_request_parts(parts, state).await {
        Ok(signed) => signed.user,
        Err(e) => {
            let expired = e.message().contains("ExpiredSignature");
            let (code, message) = match expired {
                true => ("PGRST303", "JWT expired".to_string()),
                false => ("PGRST301", e.message().to_string()),
            };
            return Err(unauthorized(code, &message));
        }
    };
    let members = match state.store.memberships(user.id).await {
        Ok(m) => m,
        Err(e) => return Err(ApiError::from(e).into_response()),
    };
    let memberships = members
        .iter()
        .map(|m| (m.org_id.0, org_role(m.role)))
        .collect();
    let mut auth = Auth::user(user.id.0, memberships);
    auth.name = Some(user.email);
    Ok(auth)
}

fn bearer(key: &HeaderValue) -> HeaderValue {
    let value = format!("Bearer {}", key.to_str().unwrap_or_default());
    HeaderValue::try_from(value).unwrap_or_else(|_| key.clone())
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

/// A PostgREST error: a policy refusal is 403 for an authenticated caller, 401 for anon.
fn rest_error(e: &RestError, authenticated: bool) -> Response {
    let status =
        StatusCode::from_u16(e.status_for(authenticated)).unwrap_or(StatusCode::BAD_REQUEST);
    (status, axum::Json(e.body())).into_response()
}

/// The key was missing, unknown or over its limits (or the body could not be read): the
/// API's verdict in PostgREST's shape.
fn refused_key(e: &ApiError) -> Response {
    if e.status() == StatusCode::UNAUTHORIZED {
        return unauthorized("PGRST301", e.message());
    }
    let body = json!({"code": e.status().as_u16().to_string(), "details": null, "hint": null,
                      "message": e.message()});
    let mut resp = (e.status(), axum::Json(body)).into_response();
    if let Some(secs) = e.retry_after_secs() {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    resp
}

/// A 401 as PostgREST sends it: the error body and a Bearer challenge.
fn unauthorized(code: &str, message: &str) -> Response {
    let body = json!({"code": code, "details": null, "hint": null, "message": message});
    let mut resp = (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
    let challenge = format!("Bearer error=\"invalid_token\", error_description=\"{message}\"");
    if let Ok(v) = HeaderValue::try_from(challenge) {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    resp
}
