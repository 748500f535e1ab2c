//! The entry point: a request → a [`Plan`] the server executes and answers with.

mod read;
pub(crate) mod tree;

use crate::auth::Auth;
use crate::error::{ErrorCode, RestError};
use crate::parse::parse_query;
use crate::prefer::{Media, Preferences, check_profile, parse_accept, parse_prefer, parse_range};
use crate::registry;
use crate::sql::{Bind, Dialect, Sql};

/// The HTTP method of a `/rest/v1/{table}` request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Read.
    Get,
    /// Read, no body (counts, health checks).
    Head,
    /// Insert or upsert.
    Post,
    /// Update.
    Patch,
    /// Delete.
    Delete,
}

impl Method {
    /// From the HTTP method name; None for others (the server answers 405).
    pub fn parse(name: &str) -> Option<Method> {
        Some(match name.to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            _ => return None,
        })
    }
}

/// A planned request: run [`Plan::sql`] on the database (one statement, one row of
/// `body` text, `page_count` and `total` bigints), then [`Plan::respond`].
#[derive(Clone, Debug)]
pub struct Plan {
    pub(crate) method: Method,
    pub(crate) read: tree::Node,
    pub(crate) media: Media,
    pub(crate) prefs: Preferences,
    /// The top level's offset, for `Content-Range`.
    pub(crate) offset: u64,
}

/// Plans a request to `/rest/v1/{table}?{query}`. `headers` are `(name, value)` pairs
/// (names in any case); `body` is the raw request body (unused by reads).
pub fn plan(
    method: Method,
    table: &str,
    query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    auth: &Auth,
) -> Result<Plan, RestError> {
    let _ = body;
    check_profile(headers)?;
    let media = parse_accept(headers)?;
    let prefs = parse_prefer(headers)?;
    let table = registry::table(table)?;
    let mut q = parse_query(query)?;
    if !matches!(method, Method::Get | Method::Head) {
        return Err(RestError::not_implemented(
            "writes through /rest/v1 are not implemented yet",
        ));
    }
    let top = q.levels.entry(Vec::new()).or_default();
    if let (None, None, Some((offset, limit))) = (top.limit, top.offset, parse_range(headers)) {
        top.offset = Some(offset);
        top.limit = limit;
    }
    let offset = top.offset.unwrap_or(0);
    let read = read::plan_read(table, &q, auth)?;
    Ok(Plan {
        method,
        read,
        media,
        prefs,
        offset,
    })
}

impl Plan {
    /// The statement for `dialect` and its binds, in order.
    pub fn sql(&self, dialect: Dialect) -> (String, Vec<Bind>) {
        let mut sql = Sql::new(dialect);
        crate::sql::read_sql(&mut sql, &self.read, self.prefs.count);
        (sql.text, sql.binds)
    }

    /// The method planned.
    pub fn method(&self) -> Method {
        self.method
    }

    /// Whether the statement computes the exact total (`Prefer: count=...`).
    pub fn counts(&self) -> bool {
        self.prefs.count
    }

    /// Whether the transaction should be rolled back (`Prefer: tx=rollback`).
    pub fn rollback(&self) -> bool {
        self.prefs.rollback
    }
}

/// What the statement returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The `body` column: a JSON array.
    pub body: String,
    /// The `page_count` column.
    pub page_count: i64,
    /// The `total` column (None unless counted).
    pub total: Option<i64>,
}

/// The HTTP answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The status.
    pub status: u16,
    /// `Content-Type`, `Content-Range`, ...
    pub headers: Vec<(String, String)>,
    /// The body (None for HEAD).
    pub body: Option<String>,
}

impl Plan {
    /// Turns the statement's result into the answer: status (200, 206 when counted and
    /// partial), `Content-Range`, the media type, and `.single()`'s one object
    /// (PGRST116 otherwise); PGRST103 for an offset past the counted end.
    pub fn respond(&self, out: Outcome) -> Result<Response, RestError> {
        let total = out.total;
        let rows = u64::try_from(out.page_count).unwrap_or(0);
        let counted = total.and_then(|t| u64::try_from(t).ok());
        if let Some(total) = counted.filter(|t| rows == 0 && self.offset > 0 && self.offset >= *t) {
            return Err(RestError::new(
                ErrorCode::RangeNotSatisfiable,
                "Requested range not satisfiable",
            )
            .details(format!(
                "An offset of {} was requested, but there are only {total} rows.",
                self.offset
            )));
        }
        let total_text = total.map_or_else(|| "*".to_string(), |t| t.to_string());
        let range = if rows == 0 {
            format!("*/{total_text}")
        } else {
            format!("{}-{}/{total_text}", self.offset, self.offset + rows - 1)
        };
        let partial =
            total.is_some_and(|t| self.offset > 0 || i64::try_from(rows).unwrap_or(i64::MAX) < t);
        let (content_type, body) = match self.media {
            Media::Json => ("application/json; charset=utf-8", out.body),
            Media::Object => {
                if rows != 1 {
                    return Err(RestError::new(
                        ErrorCode::SingularityError,
                        "Cannot coerce the result to a single JSON object",
                    )
                    .details(format!("The result contains {rows} rows")));
                }
                (
                    "application/vnd.pgrst.object+json; charset=utf-8",
                    single(&out.body),
                )
            }
        };
        Ok(Response {
            status: if partial && self.media == Media::Json {
                206
            } else {
                200
            },
            headers: vec![
                ("Content-Type".to_string(), content_type.to_string()),
                ("Content-Range".to_string(), range),
            ],
            body: (self.method != Method::Head).then_some(body),
        })
    }
}

/// The one element of a one-element JSON array, as text.
fn single(array: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(array) {
        Ok(serde_json::Value::Array(mut items)) if items.len() == 1 => items.remove(0).to_string(),
        _ => array.to_string(),
    }
}

#[cfg(test)]
mod tests;
