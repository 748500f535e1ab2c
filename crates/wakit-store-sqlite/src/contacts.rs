//! [`ContactStore`]: contact search.
//!
//! A query part of 3+ characters goes through the FTS5 trigram index `contacts_search`
//! (a trigram phrase query is an exact substring match); shorter parts use `LIKE` on
//! contacts_addresses. Both parts → AND; neither → every active address of the org.

use async_trait::async_trait;
use wakit_core::OrgId;
use wakit_core::text::{escape_like, fold};
use wakit_store::{ContactQuery, ContactRef, ContactStore, StoreError, StoreResult};

use crate::SqliteStore;
use crate::error::DbResultExt;
use crate::rows::contact_ref;
use crate::shared::limit;

/// Shortest query part the trigram index can answer.
const TRIGRAM: usize = 3;

/// An FTS5 string literal.
fn fts_phrase(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// A `LIKE` substring pattern.
fn contains(s: &str) -> String {
    format!("%{}%", escape_like(s))
}

/// The search query: with `fts`, the trigram index answers the `MATCH ?` parameter first
/// (then org, the `LIKE` filters' parameters, limit); without, the org's name index is
/// walked in order.
pub(crate) fn search_sql(fts: bool, filters: &[&str]) -> String {
    // CROSS JOIN fixes the join order: the FTS match drives, each hit costs one rowid
    // lookup. Left to itself the planner may instead walk the org's name index and run
    // the MATCH once per row, which takes seconds on a common term.
    let (from, matching) = if fts {
        (
            "contacts_search CROSS JOIN contacts_addresses ca ON ca.rid = contacts_search.rowid",
            "contacts_search MATCH ? AND",
        )
    } else {
        ("contacts_addresses ca", "")
    };
    // Rank and cut on contacts_addresses alone; only the winners fetch their contact.
    format!(
        "SELECT ca.contact_id, ca.wa_id, COALESCE(ct.name, ca.profile_name) AS display_name, \
         ca.user_id, ca.username \
         FROM (SELECT ca.rid FROM {from} \
               WHERE {matching} ca.organization_id = ? AND ca.status = 'active' {} \
               ORDER BY ca.search_name, ca.address LIMIT ?) AS hit \
         CROSS JOIN contacts_addresses ca ON ca.rid = hit.rid \
         LEFT JOIN contacts ct ON ct.id = ca.contact_id \
         ORDER BY ca.search_name, ca.address",
        filters.join(" ")
    )
}

#[async_trait]
impl ContactStore for SqliteStore {
    async fn search_contacts(
        &self,
        org: OrgId,
        query: ContactQuery,
    ) -> StoreResult<Vec<ContactRef>> {
        if let Some(problem) = query.problem() {
            return Err(StoreError::other(problem));
        }
        let name = query.name.as_deref().map(fold).filter(|n| !n.is_empty());
        let number = query
            .number
            .as_deref()
            .and_then(wakit_core::text::number_pattern);

        let mut fts: Vec<String> = Vec::new();
        let mut filters: Vec<&str> = Vec::new();
        let mut like_args: Vec<String> = Vec::new();
        if let Some(name) = &name {
            if name.chars().count() >= TRIGRAM {
                fts.push(format!("search_name : {}", fts_phrase(name)));
            } else {
                filters.push("AND ca.search_name LIKE ? ESCAPE '\\'");
                like_args.push(contains(name));
            }
        }
        if let Some(number) = &number {
            if number.len() >= TRIGRAM {
                fts.push(format!("{{address wa_id}} : {}", fts_phrase(number)));
            } else {
                filters.push("AND (ca.address LIKE ? ESCAPE '\\' OR ca.wa_id LIKE ? ESCAPE '\\')");
                like_args.push(contains(number));
                like_args.push(contains(number));
            }
        }

        let fts_arg = (!fts.is_empty()).then(|| fts.join(" AND "));
        let sql = search_sql(fts_arg.is_some(), &filters);
        let mut q = sqlx::query(&sql);
        if let Some(m) = fts_arg {
            q = q.bind(m);
        }
        q = q.bind(org.to_string());
        for arg in like_args {
            q = q.bind(arg);
        }
        let q = q.bind(limit(query.limit));
        let rows = self.bounded_read("the contact search", q).await?.db()?;
        rows.iter().map(contact_ref).collect()
    }
}
