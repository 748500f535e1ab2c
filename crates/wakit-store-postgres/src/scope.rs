//! Row-level security scopes (migration 0007, docs/schema.md): every transaction on the
//! tenant tables runs as the non-superuser role `wakit_app`, scoped to one organization
//! or to the deliberately cross-tenant internal paths. A query that forgets its tenant
//! filter still sees only the scoped organization's rows.

use sqlx::{PgPool, Postgres, Transaction};
use wakit_core::OrgId;
use wakit_store::StoreResult;

use crate::error::DbResultExt;

/// A scoped transaction.
pub(crate) type Tx = Transaction<'static, Postgres>;

/// Whose rows a transaction may see and write.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Scope {
    /// One organization's rows only (`app.org_id`): every tenant-scoped method.
    Org(OrgId),
    /// Every organization's rows (`app.scope = 'internal'`): only the paths that are
    /// cross-tenant by design (webhook routing, key authentication, batches of several
    /// orgs, organization creation, operator revocation).
    Internal,
}

impl Scope {
    /// `BEGIN`, the role and the setting as one simple-query message: one round trip,
    /// as a plain `BEGIN` costs. `SET LOCAL` ends with the transaction, so a pooled
    /// connection never carries a scope over. (A uuid needs no quoting beyond this.)
    fn begin_sql(self) -> String {
        match self {
            Scope::Org(org) => format!(
                "BEGIN; SET LOCAL ROLE wakit_app; SET LOCAL app.org_id = '{}'",
                org.0
            ),
            Scope::Internal => {
                "BEGIN; SET LOCAL ROLE wakit_app; SET LOCAL app.scope = 'internal'".into()
            }
        }
    }
}

/// Begins a transaction in `scope`. A read-only caller may simply drop it: sqlx rolls
/// it back when the connection returns to the pool, off the caller's path.
pub(crate) async fn begin(pool: &PgPool, scope: Scope) -> StoreResult<Tx> {
    pool.begin_with(scope.begin_sql()).await.db()
}

impl crate::PgStore {
    /// A transaction scoped to `org`.
    pub(crate) async fn tenant(&self, org: OrgId) -> StoreResult<Tx> {
        begin(&self.pool, Scope::Org(org)).await
    }

    /// A transaction in the internal, cross-tenant scope.
    pub(crate) async fn internal(&self) -> StoreResult<Tx> {
        begin(&self.pool, Scope::Internal).await
    }
}

/// Stops the rest of the transaction's statements after [`wakit_store::SEARCH_TIMEOUT`]:
/// for heavy reads whose cost the caller controls (contact search, data-API queries),
/// which then never hold a connection longer than that.
pub(crate) async fn bounded(tx: &mut Tx) -> StoreResult<()> {
    let sql = format!(
        "SET LOCAL statement_timeout = {}",
        wakit_store::SEARCH_TIMEOUT.as_millis()
    );
    sqlx::query(&sql).execute(&mut **tx).await.db().map(|_| ())
}
