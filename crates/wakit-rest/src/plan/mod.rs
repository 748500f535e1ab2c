//! The entry point: a request → a [`Plan`] the server executes and answers with.

mod read;
pub(crate) mod tree;
pub(crate) mod write;

use crate::auth::Auth;
use crate::error::{ErrorCode, RestError};
use crate::parse::parse_query;
use crate::prefer::{
    Media, Preferences, ReturnPref, check_profile, parse_accept, parse_prefer, parse_range,
};
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

/// What the statement returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Returns {
    /// Reads: one row, columns `body` (text), `page_count` and `total` (int8, NULL
    /// unless counted).
    Summary,
    /// Writes: one row per written row, one text column `j`; collect them with
    /// [`Outcome::from_rows`].
    Rows,
}

/// A planned request: run [`Plan::sql`] on the database (see [`Plan::returns`]), then
/// [`Plan::respond`].
#[derive(Clone, Debug)]
pub struct Plan {
    pub(crate) method: Method,
    pub(crate) action: write::Action,
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
    check_profile(headers)?;
    let media = parse_accept(headers)?;
    let prefs = parse_prefer(headers)?;
    let table = registry::table(table)?;
    let mut q = parse_query(query)?;
    let reading = matches!(method, Method::Get | Method::Head);
    let top = q.levels.entry(Vec::new()).or_default();
    if let (true, None, None, Some((offset, limit))) =
        (reading, top.limit, top.offset, parse_range(headers))
    {
        top.offset = Some(offset);
        top.limit = limit;
    }
    let offset = top.offset.unwrap_or(0);
    let mut read = read::plan_read(table, &q, auth)?;
    let action = write::plan_write(method, table, &q, body, &prefs, auth, &mut read)?;
    Ok(Plan {
        method,
        action,
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
        match self.returns() {
            Returns::Summary => crate::sql::read_sql(
                &mut sql,
                &self.read,
                self.prefs.count,
                self.method == Method::Head,
            ),
            Returns::Rows => {
                crate::sql::write_sql(&mut sql, &self.action, &self.read, self.represents())
            }
        }
        (sql.text, sql.binds)
    }

    /// A statement to run after [`Plan::sql`] in the same transaction, for its effect
    /// only (it returns `j` rows to ignore): the owner agent of an organization a user
    /// creates. None for every other request.
    pub fn follow_up(&self, dialect: Dialect) -> Option<(String, Vec<Bind>)> {
        let mut sql = Sql::new(dialect);
        crate::sql::follow_up_sql(&mut sql, &self.action).then_some((sql.text, sql.binds))
    }

    /// The event (entity, action) each written row appends to the log — the statement
    /// then returns its `row_id` and `row_org` beside `j` — or None.
    pub fn event(&self) -> Option<(&'static str, &'static str)> {
        crate::sql::write_event(self.read.table.name, &self.action)
    }

    /// What the statement returns.
    pub fn returns(&self) -> Returns {
        match self.action {
            write::Action::Read => Returns::Summary,
            _ => Returns::Rows,
        }
    }

    /// A write answers with the rows written (`Prefer: return=representation`).
    fn represents(&self) -> bool {
        self.prefs.return_ == ReturnPref::Representation
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

impl Outcome {
    /// A write's `j` rows as an outcome (the total is the number of rows).
    pub fn from_rows(rows: &[String]) -> Outcome {
        let n = i64::try_from(rows.len()).unwrap_or(i64::MAX);
        Outcome {
            body: format!("[{}]", rows.join(",")),
            page_count: n,
            total: Some(n),
        }
    }
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
    ///
    /// For writes: 201 for POST, 200 (with representation) or 204 for PATCH/DELETE;
    /// PGRST124 when `handling=strict` and more than `max-affected` rows changed — the
    /// server must then roll back (as for `Prefer: tx=rollback`, see [`Plan::rollback`]).
    pub fn respond(&self, out: Outcome) -> Result<Response, RestError> {
        if self.returns() == Returns::Rows {
            return self.respond_write(out);
        }
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
        let (content_type, body) = self.encode(rows, out.body)?;
        Ok(Response {
            status: if partial && self.media != Media::Object {
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

impl Plan {
    /// The body in the media the client accepts, with its content type.
    fn encode(&self, rows: u64, body: String) -> Result<(&'static str, String), RestError> {
        match self.media {
            Media::Json => Ok(("application/json; charset=utf-8", body)),
            Media::Csv => Ok(("text/csv; charset=utf-8", crate::csv::to_csv(&body))),
            Media::Object if rows == 1 => Ok((
                "application/vnd.pgrst.object+json; charset=utf-8",
                single(&body),
            )),
            Media::Object => Err(RestError::new(
                ErrorCode::SingularityError,
                "Cannot coerce the result to a single JSON object",
            )
            .details(format!("The result contains {rows} rows"))),
        }
    }

    fn respond_write(&self, out: Outcome) -> Result<Response, RestError> {
        let rows = u64::try_from(out.page_count).unwrap_or(0);
        if let Some(max) = self
            .prefs
            .max_affected
            .filter(|m| self.prefs.strict && rows > *m)
        {
            return Err(RestError::new(
                ErrorCode::MaxAffected,
                "Query result exceeds max-affected preference constraint",
            )
            .details(format!(
                "The query affects {rows} rows (at most {max} allowed)"
            )));
        }
        let total = if self.prefs.count {
            rows.to_string()
        } else {
            "*".to_string()
        };
        let range = match self.method {
            Method::Patch if rows > 0 => format!("0-{}/{total}", rows - 1),
            _ => format!("*/{total}"),
        };
        let mut headers = vec![("Content-Range".to_string(), range)];
        let body = if self.represents() {
            let (ty, body) = self.encode(rows, out.body)?;
            headers.insert(0, ("Content-Type".to_string(), ty.to_string()));
            Some(body)
        } else {
            None
        };
        let status = match (self.method, body.is_some()) {
            (Method::Post, _) => 201,
            (_, true) => 200,
            (_, false) => 204,
        };
        Ok(Response {
            status,
            headers,
            body,
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
