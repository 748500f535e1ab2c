//! `/rest/v1/rpc/{function}`: the functions supabase clients call with `.rpc()`. POST
//! carries the arguments as a JSON object; GET and HEAD (`{get: true}`, `{head: true}`)
//! as query parameters. Served: `get_authorized_orgs([role])` — the organizations where
//! the caller's role is at least `role` (default `member`), as PostgREST answers a
//! `setof uuid` function. The hosted dashboard's `init_data` and `change_contact_address`
//! answer PGRST127; any other name PGRST202.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use wakit_rest::{Auth, ErrorCode, OrgRole, RestError};

use super::rest_error;

/// Functions the hosted product has that wakit does not serve (yet).
const NOT_SERVED: [&str; 2] = ["init_data", "change_contact_address"];

/// Calls `function` with `args` for `auth`; `head` drops the body.
pub(super) fn call(function: &str, args: &Map<String, Value>, auth: &Auth, head: bool) -> Response {
    let answer = match function {
        "get_authorized_orgs" => authorized_orgs(args, auth),
        f if NOT_SERVED.contains(&f) => Err(RestError::new(
            ErrorCode::NotImplemented,
            "Feature not implemented",
        )
        .details(format!("wakit does not serve the function {f}"))),
        f => Err(unknown(f, args)),
    };
    match answer {
        Ok(_) if head => StatusCode::OK.into_response(),
        Ok(value) => Json(value).into_response(),
        Err(e) => rest_error(&e, auth.is_authenticated()),
    }
}

/// The arguments of a GET/HEAD call (query parameters) or a POST (a JSON object).
pub(super) fn arguments(
    query: &str,
    body: &[u8],
    post: bool,
) -> Result<Map<String, Value>, RestError> {
    if post {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Map::new());
        }
        return match serde_json::from_slice(body) {
            Ok(Value::Object(args)) => Ok(args),
            _ => Err(RestError::new(
                ErrorCode::InvalidBody,
                "Empty or invalid json",
            )),
        };
    }
    Ok(form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect())
}

fn authorized_orgs(args: &Map<String, Value>, auth: &Auth) -> Result<Value, RestError> {
    if let Some(extra) = args
        .keys()
        .find(|k| !matches!(k.as_str(), "role" | "req_role"))
    {
        return Err(unknown("get_authorized_orgs", args).hint(format!(
            "get_authorized_orgs takes only role; {extra} is not one of its parameters"
        )));
    }
    let role = match args.get("role").or_else(|| args.get("req_role")) {
        None | Some(Value::Null) => OrgRole::Member,
        Some(Value::String(r)) if r == "member" => OrgRole::Member,
        Some(Value::String(r)) if r == "admin" => OrgRole::Admin,
        Some(Value::String(r)) if r == "owner" => OrgRole::Owner,
        Some(other) => {
            let shown = other
                .as_str()
                .map(String::from)
                .unwrap_or(other.to_string());
            return Err(RestError::new(
                ErrorCode::InvalidValue,
                format!("invalid input value for enum role: \"{shown}\""),
            ));
        }
    };
    let orgs = auth.orgs_with(role);
    Ok(Value::Array(
        orgs.iter().map(|o| Value::String(o.to_string())).collect(),
    ))
}

/// PGRST202, worded as PostgREST words it.
fn unknown(function: &str, args: &Map<String, Value>) -> RestError {
    let names: Vec<&str> = args.keys().map(String::as_str).collect();
    RestError::new(
        ErrorCode::UnknownFunction,
        format!(
            "Could not find the function public.{function}({}) in the schema cache",
            names.join(", ")
        ),
    )
    .hint("Perhaps you meant to call the function public.get_authorized_orgs")
}
