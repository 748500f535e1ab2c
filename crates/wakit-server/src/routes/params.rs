//! What every API handler needs: query parameters with JSON errors, `limit` rules,
//! phone inputs, and choosing the org's number (`account_phone`).

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use std::collections::HashMap;
use wakit_api::AccountRef;
use wakit_core::{CustomerRef, OrgId, Phone};
use wakit_store::{Account, AccountStatus};

use crate::AppState;
use crate::error::ApiError;

/// The query string as a map; a malformed one is a 400 with the API's error body.
#[derive(Debug, Default)]
pub struct Params(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Query::<HashMap<String, String>>::try_from_uri(&parts.uri)
            .map(|Query(map)| Params(map))
            .map_err(|e| ApiError::bad_request(format!("Invalid query string: {}", e.body_text())))
    }
}

impl Params {
    /// A parameter; empty counts as absent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    /// `limit`: `default` when absent; non-numeric or < 1 → 400; above `max` clamped.
    pub fn limit(&self, default: u32, max: u32) -> Result<u32, ApiError> {
        parse_limit(self.get("limit"), default, max)
    }
}

/// The `limit` rule on its own (also used for JSON bodies).
pub fn parse_limit(raw: Option<&str>, default: u32, max: u32) -> Result<u32, ApiError> {
    let Some(raw) = raw else {
        return Ok(default);
    };
    match raw.parse::<i64>() {
        Ok(n) if n >= 1 => Ok(n.min(i64::from(max)) as u32),
        _ => Err(ApiError::bad_request(format!(
            "limit must be a positive integer (got \"{raw}\")"
        ))),
    }
}

/// A phone input (`+`, spaces, dashes accepted) → digits, or 400 naming the parameter.
/// A contact parameter: a phone number in any accepted form, or a customer's
/// business-scoped user ID (a customer who shares no phone number).
pub fn customer(name: &str, raw: &str) -> Result<CustomerRef, ApiError> {
    CustomerRef::parse(raw).map_err(|e| {
        ApiError::bad_request(format!(
            "{name} is not a valid phone number or WhatsApp user ID: {e}"
        ))
    })
}

pub fn phone(name: &str, raw: &str) -> Result<Phone, ApiError> {
    Phone::parse(raw)
        .map_err(|e| ApiError::bad_request(format!("{name} is not a valid phone number: {e}")))
}

/// How the API names a number.
pub fn account_ref(a: &Account) -> AccountRef {
    AccountRef {
        phone: a.phone.digits().to_string(),
        name: a.name.clone(),
    }
}

fn listing(accounts: &[Account]) -> String {
    accounts
        .iter()
        .map(|a| format!("{} ({})", a.name, a.phone.digits()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The org's connected numbers, oldest first.
pub async fn connected_accounts(state: &AppState, org: OrgId) -> Result<Vec<Account>, ApiError> {
    let mut accounts = state.store.list_accounts(org).await?;
    accounts.retain(|a| a.status == AccountStatus::Connected);
    Ok(accounts)
}

/// The number a request uses: `account_phone` if given (404 naming the org's numbers when
/// it is not one of them), else the org's only number (400 `account_required` naming them
/// when there are several). The org's numbers come from the cache: a number connected or
/// disconnected is seen within [`crate::cache::TTL`].
pub async fn select_account(
    state: &AppState,
    org: OrgId,
    account_phone: Option<&str>,
) -> Result<Account, ApiError> {
    let view = state.api.cache.org(state, org).await?;
    let accounts = &view.accounts;
    if accounts.is_empty() {
        return Err(ApiError::not_found(
            "No connected WhatsApp accounts found for this organization.",
        ));
    }
    let available = || Some(accounts.iter().map(account_ref).collect());
    match account_phone {
        Some(raw) => {
            let wanted = phone("account_phone", raw)?;
            match accounts.iter().find(|a| a.phone.same_person(&wanted)) {
                Some(a) => Ok(a.clone()),
                None => Err(ApiError::not_found(format!(
                    "Account phone {} not found in available accounts. Available accounts: {}",
                    wanted.digits(),
                    listing(accounts)
                ))
                .with(|b| b.available_accounts = available())),
            }
        }
        None if accounts.len() == 1 => Ok(accounts[0].clone()),
        None => Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "account_required",
            format!(
                "Multiple accounts found. Please specify account_phone. Available accounts: {}",
                listing(accounts)
            ),
        )
        .with(|b| b.available_accounts = available())),
    }
}
