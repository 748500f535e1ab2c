//! [`ContactStore`]: contact search.
//!
//! A query part of 3+ characters goes through the gram table `contacts_grams`
//! (`0018_org_scoped_search.sql`): its key starts with the organization, so a search
//! reads only its own organization's rows, whatever other tenants hold. Of the query's
//! trigrams the rarest in the organization (counted up to [`GRAM_COUNT_CAP`]) drives;
//! its rows come in result order (name, then address), each is checked for the whole
//! part (a substring match) and the walk stops at the limit. Parts shorter than 3
//! characters walk the organization's name index instead. Both parts → AND; neither →
//! every active address of the org.
//!
//! The price is on writes: an address holds one row per distinct trigram of its name
//! and digits (~27 for "maria garcia 12345" / 13 digits), each at its own place in the
//! table, so a transaction creating many contacts dirties many pages (FTS5 wrote compact
//! segments instead). Renames and status changes rewrite the address's grams; other
//! updates leave them alone.

use async_trait::async_trait;
use sqlx::Sqlite;
use sqlx::query::Query;
use sqlx::sqlite::SqliteArguments;
use wakit_core::OrgId;
use wakit_core::text::fold;
use wakit_store::{ContactQuery, ContactRef, ContactStore, StoreError, StoreResult};

use crate::SqliteStore;
use crate::error::DbResultExt;
use crate::rows::contact_ref;
use crate::shared::limit;

/// Shortest query part the gram table can answer.
const GRAM: usize = 3;
/// Rows of one gram counted when ranking a query's grams: enough to tell a rare gram
/// from a common one, and a bound on what ranking costs.
const GRAM_COUNT_CAP: i64 = 256;

/// The output columns, from `ca` (the address) and `ct` (its contact).
macro_rules! columns {
    () => {
        "SELECT ca.contact_id, ca.wa_id, COALESCE(ct.name, ca.profile_name) AS display_name, \
         ca.user_id, ca.username "
    };
}

/// A search through the gram table. `?1` org, `?2` the query's grams (a JSON list), `?3`
/// [`GRAM_COUNT_CAP`], `?4` the name part or NULL, `?5` the digits part or NULL, `?6`
/// limit. The rarest gram is chosen once (an uncorrelated subquery); the walk of its
/// range needs no sort, and a row's address is fetched only once its name matched.
const GRAM_SQL: &str = concat!(
    columns!(),
    "FROM contacts_grams g \
     CROSS JOIN contacts_addresses ca ON ca.rid = g.rid \
     LEFT JOIN contacts ct ON ct.id = ca.contact_id \
     WHERE g.org = (SELECT n FROM contacts_search_orgs WHERE organization_id = ?1) \
       AND g.gram = (SELECT j.value FROM json_each(?2) j ORDER BY \
             (SELECT count(*) FROM (SELECT 1 FROM contacts_grams c \
                  WHERE c.org = (SELECT n FROM contacts_search_orgs WHERE organization_id = ?1) \
                    AND c.gram = j.value LIMIT ?3)), j.key LIMIT 1) \
       AND (?4 IS NULL OR instr(g.search_name, ?4) > 0) \
       AND (?5 IS NULL OR instr(g.address, ?5) > 0 OR instr(ca.wa_id, ?5) > 0) \
     ORDER BY g.search_name, g.address LIMIT ?6"
);

/// A walk of the org's name index (no part of 3+ characters). `?1` org, `?2` the name
/// part or NULL, `?3` the digits part or NULL, `?4` limit. Ranked and cut on the
/// covering index alone; only the winners fetch their contact.
const WALK_SQL: &str = concat!(
    columns!(),
    "FROM (SELECT ca.rid FROM contacts_addresses ca \
           WHERE ca.organization_id = ?1 AND ca.status = 'active' \
             AND (?2 IS NULL OR instr(ca.search_name, ?2) > 0) \
             AND (?3 IS NULL OR instr(ca.address, ?3) > 0 OR instr(ca.wa_id, ?3) > 0) \
           ORDER BY ca.search_name, ca.address LIMIT ?4) AS hit \
     CROSS JOIN contacts_addresses ca ON ca.rid = hit.rid \
     LEFT JOIN contacts ct ON ct.id = ca.contact_id \
     ORDER BY ca.search_name, ca.address"
);

/// One bound parameter.
#[derive(Clone, Debug)]
pub(crate) enum Arg {
    Text(String),
    Int(i64),
    Null,
}

impl From<Option<String>> for Arg {
    fn from(s: Option<String>) -> Arg {
        s.map_or(Arg::Null, Arg::Text)
    }
}

/// A contact search as SQL and its parameters.
#[derive(Clone, Debug)]
pub(crate) struct SearchSql {
    pub(crate) sql: &'static str,
    pub(crate) args: Vec<Arg>,
}

/// The distinct grams of `part`: `kind` ('n' name, 'd' digits) then 3 characters, as
/// the migration's `contacts_addresses_grams` view makes them.
fn grams(kind: char, part: &str) -> Vec<String> {
    let chars: Vec<char> = part.chars().collect();
    let mut out: Vec<String> = chars
        .windows(GRAM)
        .map(|w| std::iter::once(kind).chain(w.iter().copied()).collect())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The SQL answering `query` for `org`, or why the query is refused.
pub(crate) fn search_sql(org: OrgId, query: &ContactQuery) -> Result<SearchSql, String> {
    if let Some(problem) = query.problem() {
        return Err(problem);
    }
    let name = query.name.as_deref().map(fold).filter(|n| !n.is_empty());
    let number = query
        .number
        .as_deref()
        .and_then(wakit_core::text::number_pattern);
    let mut all = Vec::new();
    if let Some(name) = &name {
        all.extend(grams('n', name));
    }
    if let Some(number) = &number {
        all.extend(grams('d', number));
    }
    let org = Arg::Text(org.to_string());
    let limit = Arg::Int(limit(query.limit));
    Ok(if all.is_empty() {
        SearchSql {
            sql: WALK_SQL,
            args: vec![org, name.into(), number.into(), limit],
        }
    } else {
        let grams = serde_json::to_string(&all).map_err(|e| e.to_string())?;
        SearchSql {
            sql: GRAM_SQL,
            args: vec![
                org,
                Arg::Text(grams),
                Arg::Int(GRAM_COUNT_CAP),
                name.into(),
                number.into(),
                limit,
            ],
        }
    })
}

/// `sql` with `args` bound in order.
pub(crate) fn bind<'q>(sql: &'q str, args: &[Arg]) -> Query<'q, Sqlite, SqliteArguments<'q>> {
    args.iter().fold(sqlx::query(sql), |q, arg| match arg {
        Arg::Text(s) => q.bind(s.clone()),
        Arg::Int(n) => q.bind(*n),
        Arg::Null => q.bind(None::<String>),
    })
}

#[async_trait]
impl ContactStore for SqliteStore {
    async fn search_contacts(
        &self,
        org: OrgId,
        query: ContactQuery,
    ) -> StoreResult<Vec<ContactRef>> {
        let search = search_sql(org, &query).map_err(StoreError::other)?;
        let q = bind(search.sql, &search.args);
        let rows = self.bounded_read("the contact search", q).await?.db()?;
        rows.iter().map(contact_ref).collect()
    }
}
