//! Both engines with the real migrations and one fixture over two organizations; runs a
//! plan on each and checks they answer the same JSON.
#![allow(clippy::unwrap_used, dead_code, unused_imports)]

mod fixture;

pub use fixture::{A, B, id};

use serde_json::Value;
use sqlx::{PgPool, Row, SqlitePool};
use wakit_rest::registry::{self, ColType};
use wakit_rest::{Auth, Bind, Dialect, Method, Outcome, Plan, Response, RestError, Returns};
use wakit_store_tests::{Backend, TestStore};

/// A database and a pool on it.
enum Db {
    Pg(PgPool),
    Lite(SqlitePool),
}

/// SQLite always; PostgreSQL when configured (skipped loudly otherwise by the harness).
pub struct Engines {
    dbs: Vec<Db>,
    _stores: Vec<TestStore>,
}

impl Engines {
    /// Fresh migrated databases with the fixture.
    pub async fn new() -> Engines {
        let mut dbs = Vec::new();
        let mut stores = Vec::new();
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let Some(ts) = TestStore::fresh(backend).await else {
                continue;
            };
            let db = match backend {
                Backend::Sqlite => Db::Lite(SqlitePool::connect(&ts.url).await.unwrap()),
                Backend::Postgres => Db::Pg(PgPool::connect(&ts.url).await.unwrap()),
            };
            for (table, rows) in fixture::rows() {
                for row in rows {
                    insert(&db, table, &row).await;
                }
            }
            dbs.push(db);
            stores.push(ts);
        }
        if std::env::var("WAKIT_TEST_REQUIRE_POSTGRES").as_deref() == Ok("1") {
            assert_eq!(dbs.len(), 2, "PostgreSQL is required");
        }
        Engines {
            dbs,
            _stores: stores,
        }
    }

    /// Plans and runs a GET on every engine; the answers must be identical.
    pub async fn get(&self, table: &str, query: &str, auth: &Auth) -> Result<Response, RestError> {
        self.request(Method::Get, table, query, &[], auth).await
    }

    /// The body of a successful GET, parsed.
    pub async fn rows(&self, table: &str, query: &str, auth: &Auth) -> Value {
        let r = self
            .get(table, query, auth)
            .await
            .unwrap_or_else(|e| panic!("{table}?{query}: {e:?}"));
        serde_json::from_str(r.body.as_deref().unwrap()).unwrap()
    }

    /// The rows a write returns with `Prefer: return=representation`.
    pub async fn written(
        &self,
        method: Method,
        table: &str,
        query: &str,
        body: &str,
        auth: &Auth,
    ) -> Value {
        let prefer = [("Prefer", "return=representation")];
        let r = self.write(method, table, query, &prefer, body, auth).await;
        let r = r.unwrap_or_else(|e| panic!("{table}?{query}: {e:?}"));
        serde_json::from_str(r.body.as_deref().unwrap()).unwrap()
    }

    /// The code a write is refused with (it must be refused).
    pub async fn refused(
        &self,
        method: Method,
        table: &str,
        query: &str,
        body: &str,
        auth: &Auth,
    ) -> String {
        let r = self.write(method, table, query, &[], body, auth).await;
        r.map(|r| r.status)
            .expect_err(table)
            .code
            .code()
            .to_string()
    }

    /// Plans and runs a request on every engine, checking they agree.
    pub async fn request(
        &self,
        method: Method,
        table: &str,
        query: &str,
        headers: &[(&str, &str)],
        auth: &Auth,
    ) -> Result<Response, RestError> {
        self.write(method, table, query, headers, "", auth).await
    }

    /// A request with a body, planned once (same ids and times) and run on every engine;
    /// both must answer the same (or fail with the same code).
    pub async fn write(
        &self,
        method: Method,
        table: &str,
        query: &str,
        headers: &[(&str, &str)],
        body: &str,
        auth: &Auth,
    ) -> Result<Response, RestError> {
        let plan = wakit_rest::plan(method, table, query, headers, body.as_bytes(), auth)?;
        let mut answers: Vec<Result<(Response, Option<Value>), RestError>> = Vec::new();
        for db in &self.dbs {
            let answer = run(db, &plan).await.map(|r| {
                let parsed = r.body.as_deref().map(|b| serde_json::from_str(b).unwrap());
                (r, parsed)
            });
            if let Some(first) = answers.first() {
                match (first, &answer) {
                    (Ok((a, a_body)), Ok((b, b_body))) => {
                        assert_eq!(a_body, b_body, "engines disagree on {table}?{query}");
                        assert_eq!((a.status, &a.headers), (b.status, &b.headers));
                    }
                    (Err(a), Err(b)) => assert_eq!(a.code, b.code),
                    (a, b) => panic!("engines disagree on {table}?{query}: {a:?} / {b:?}"),
                }
            }
            answers.push(answer);
        }
        answers.remove(0).map(|(r, _)| r)
    }
}

/// Binds a plan's parameters.
macro_rules! bind {
    ($q:expr, $binds:expr, $bool:expr) => {{
        let mut q = $q;
        for b in $binds {
            q = match b {
                Bind::Null => q.bind(None::<String>),
                Bind::Text(s) => q.bind(s),
                Bind::Int(i) => q.bind(i),
                Bind::Bool(v) => q.bind(($bool)(v)),
            };
        }
        q
    }};
}

/// The server's execution, written once for both pools: reads as one statement,
/// writes in a transaction rolled back when the answer is an error or `tx=rollback`.
macro_rules! run_on {
    ($pool:expr, $plan:expr, $dialect:expr, $bool:expr, $setup:expr) => {{
        let (sql, binds) = $plan.sql($dialect);
        let q = bind!(sqlx::query(&sql), binds, $bool);
        let mut tx = $pool.begin().await.unwrap();
        for setup in $setup {
            sqlx::query(setup).execute(&mut *tx).await.unwrap();
        }
        let out = match $plan.returns() {
            Returns::Summary => {
                let row = q
                    .fetch_one(&mut *tx)
                    .await
                    .unwrap_or_else(|e| panic!("{e}\n{sql}"));
                outcome(row.get("body"), row.get("page_count"), row.get("total"))
            }
            Returns::Rows => {
                let rows = q.fetch_all(&mut *tx).await.map_err(|e| db_error(e, &sql))?;
                let objects: Vec<String> = rows.iter().map(|r| r.get("j")).collect();
                if let Some((then, binds)) = $plan.follow_up($dialect) {
                    let q = bind!(sqlx::query(&then), binds, $bool);
                    q.fetch_all(&mut *tx)
                        .await
                        .map_err(|e| db_error(e, &then))?;
                }
                Outcome::from_rows(&objects)
            }
        };
        let answer = $plan.respond(out);
        if answer.is_err() || $plan.rollback() {
            tx.rollback().await.unwrap();
        } else {
            tx.commit().await.unwrap();
        }
        answer
    }};
}

const PG_SCOPE: [&str; 2] = [
    "SET LOCAL ROLE wakit_app",
    "SELECT set_config('app.scope', 'internal', true)",
];
const NO_SETUP: [&str; 0] = [];

async fn run(db: &Db, plan: &Plan) -> Result<Response, RestError> {
    match db {
        // As the server will: the store's role under row-level security, internal scope.
        Db::Pg(pool) => run_on!(pool, plan, Dialect::Postgres, |v: bool| v, PG_SCOPE),
        Db::Lite(pool) => run_on!(
            pool,
            plan,
            Dialect::Sqlite,
            |v: bool| i64::from(v),
            NO_SETUP
        ),
    }
}

/// A database error on a write, mapped as the server maps it.
fn db_error(e: sqlx::Error, sql: &str) -> RestError {
    match e.as_database_error() {
        Some(d) => RestError::from_database(&d.code().unwrap_or_default(), d.message()),
        None => panic!("{e}\n{sql}"),
    }
}

fn outcome(body: String, page_count: i64, total: Option<i64>) -> Outcome {
    Outcome {
        body,
        page_count,
        total,
    }
}

/// Inserts one fixture row, encoding each value as the engine stores it.
async fn insert(db: &Db, table: &str, row: &Value) {
    let t = registry::table(table).unwrap();
    let obj = row.as_object().unwrap();
    let cols: Vec<&str> = obj.keys().map(String::as_str).collect();
    let quoted: Vec<String> = cols.iter().map(|c| format!("\"{c}\"")).collect();
    let types: Vec<ColType> = cols.iter().map(|c| t.column(c).unwrap().ty).collect();
    let text = |v: &Value| match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    };
    match db {
        Db::Pg(pool) => {
            let params: Vec<String> = types
                .iter()
                .enumerate()
                .map(|(i, ty)| format!("${}::text::{}", i + 1, ty.pg_type()))
                .collect();
            let sql = format!(
                "INSERT INTO {table} ({}) VALUES ({})",
                quoted.join(", "),
                params.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for (c, ty) in cols.iter().zip(&types) {
                let v = &obj[*c];
                q = q.bind(if *ty == ColType::Json && !v.is_null() {
                    Some(v.to_string())
                } else {
                    text(v)
                });
            }
            q.execute(pool)
                .await
                .unwrap_or_else(|e| panic!("{e}: {sql}"));
        }
        Db::Lite(pool) => {
            let params = vec!["?"; cols.len()].join(", ");
            let sql = format!(
                "INSERT INTO {table} ({}) VALUES ({params})",
                quoted.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for (c, ty) in cols.iter().zip(&types) {
                let v = &obj[*c];
                q = match (ty, v) {
                    (_, Value::Null) => q.bind(None::<String>),
                    (ColType::Time, Value::String(s)) => q.bind(
                        chrono::DateTime::parse_from_rfc3339(s)
                            .unwrap()
                            .timestamp_micros(),
                    ),
                    (ColType::Bool, Value::Bool(b)) => q.bind(i64::from(*b)),
                    (ColType::Int, Value::Number(n)) => q.bind(n.as_i64().unwrap()),
                    (ColType::Json, v) => q.bind(v.to_string()),
                    (_, v) => q.bind(text(v)),
                };
            }
            q.execute(pool)
                .await
                .unwrap_or_else(|e| panic!("{e}: {sql}"));
        }
    }
}
