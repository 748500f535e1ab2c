//! `/auth/v1` for tests: a server with sign-in configured, and a client sending the
//! headers supabase-js sends.

use reqwest::{Method, RequestBuilder, Response};
use serde_json::{Value, json};
use std::path::Path;
use wakit_core::Role;
use wakit_server::ApiConfig;
use wakit_server::routes::auth::{AuthConfig, JwtSecret};
use wakit_store_tests::TestStore;
use wakit_store_tests::fixture::Fixture;

use super::Running;

/// The JWT secret of the test servers.
pub const JWT_SECRET: &str = "test-jwt-secret-that-is-at-least-32-bytes";
/// The address invited before a client's data-API check signs up.
pub const INVITED: &str = "ana@example.com";
/// A password long enough.
pub const PASSWORD: &str = "correct horse battery";

/// A server whose `/auth/v1` signs with [`JWT_SECRET`], sign-up open or not.
pub async fn start_auth(ts: &TestStore, signup: bool) -> (Running, Auth) {
    let secret = JwtSecret::new(JWT_SECRET.as_bytes()).expect("secret");
    let auth = AuthConfig {
        secret: secret.clone(),
        signup,
        ..AuthConfig::default()
    };
    let api = ApiConfig {
        auth,
        ..ApiConfig::default()
    };
    let running = super::serve_api(ts, api).await;
    let client = Auth {
        base: format!("{}/auth/v1", running.root()),
        anon: secret.api_key(false).expect("anon key"),
        http: reqwest::Client::new(),
    };
    (running, client)
}

/// What the clients' data-API checks find: org A with Maria's conversation (her window
/// open) and an invitation of [`INVITED`] as an admin; org B with a conversation of its own.
pub async fn rest_fixture(ts: &TestStore) {
    let f = Fixture::new(&*ts.store).await;
    let mut hello = Fixture::inbound(f.acct_a.id, "5215551234567", "wamid.a1", 1, "hola");
    hello.profile_name = Some("Maria".into());
    hello.timestamp = chrono::Utc::now(); // her service window is open
    ts.store
        .ingest_inbound(f.org_a, hello)
        .await
        .expect("ingest");
    let other = Fixture::inbound(f.acct_b.id, "15551230000", "wamid.b1", 2, "hello B");
    ts.store
        .ingest_inbound(f.org_b, other)
        .await
        .expect("ingest");
    ts.store
        .invite_member(f.org_a, INVITED, Role::Admin)
        .await
        .expect("invite");
}

/// A client of `/auth/v1`.
pub struct Auth {
    /// `http://127.0.0.1:PORT/auth/v1`
    pub base: String,
    /// The anon key.
    pub anon: String,
    http: reqwest::Client,
}

impl Auth {
    /// A request with `apikey` and the dated API version; `bearer` or the anon key.
    pub fn request(&self, method: Method, path: &str, bearer: Option<&str>) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .header("apikey", &self.anon)
            .header("x-supabase-api-version", "2024-01-01")
            .bearer_auth(bearer.unwrap_or(&self.anon))
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, bearer: Option<&str>, body: Value) -> Response {
        self.request(Method::POST, path, bearer)
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    /// Signs up; the session.
    pub async fn sign_up(&self, email: &str) -> Value {
        let resp = self
            .post(
                "/signup",
                None,
                json!({"email": email, "password": PASSWORD, "data": {"name": "Ana"}}),
            )
            .await;
        ok_json(resp).await
    }

    /// Signs in with a password; the raw answer.
    pub async fn sign_in(&self, email: &str, password: &str) -> Response {
        self.post(
            "/token?grant_type=password",
            None,
            json!({"email": email, "password": password, "gotrue_meta_security": {}}),
        )
        .await
    }

    /// Presents a refresh token; the raw answer.
    pub async fn refresh(&self, token: &str) -> Response {
        self.post(
            "/token?grant_type=refresh_token",
            None,
            json!({"refresh_token": token}),
        )
        .await
    }

    /// `GET /user` with `bearer`; the raw answer.
    pub async fn user(&self, bearer: &str) -> Response {
        self.request(Method::GET, "/user", Some(bearer))
            .send()
            .await
            .expect("request")
    }
}

/// The body of a 200, or a panic naming the status and body.
pub async fn ok_json(resp: Response) -> Value {
    let status = resp.status();
    let body: Value = resp.json().await.expect("json body");
    assert_eq!(status, 200, "{body}");
    body
}

/// Asserts a GoTrue error (dated shape): status, `code` and the `x-sb-error-code` header.
pub async fn expect_auth_error(resp: Response, status: u16, code: &str) -> Value {
    assert_eq!(resp.status(), status);
    assert_eq!(
        resp.headers()
            .get("x-sb-error-code")
            .and_then(|v| v.to_str().ok()),
        Some(code)
    );
    let body: Value = resp.json().await.expect("json body");
    assert_eq!(body["code"], code, "{body}");
    assert!(body["message"].is_string(), "{body}");
    body
}

/// Runs a real client's check script (`program script URL ANON_KEY EMAIL`) against a
/// server with sign-up on, and asserts that it ran at least `min_steps` steps and that
/// every step passed. The scripts print `{"steps": [{"step", "ok", "detail"}...]}`.
pub async fn client_check(ts: &TestStore, program: &str, script: &Path, min_steps: usize) {
    let (server, auth) = start_auth(ts, true).await;
    let root = auth.base.trim_end_matches("/auth/v1").to_string();
    let mut cmd = std::process::Command::new(program);
    cmd.arg(script).args([&root, &auth.anon, INVITED]);
    run_steps(cmd, script, min_steps).await;
    server.stop().await;
}

/// Runs a client's check script (`cmd`) and asserts that it ran at least `min_steps`
/// steps and that every step passed (`{"steps": [{"step", "ok", "detail"}...]}`).
pub async fn run_steps(mut cmd: std::process::Command, script: &Path, min_steps: usize) {
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("join")
        .expect("the client check runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{} failed: {}\n{stdout}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{} printed no JSON ({e}): {stdout}", script.display()));
    let steps = report["steps"].as_array().expect("steps");
    let failed: Vec<_> = steps.iter().filter(|s| s["ok"] != true).collect();
    assert!(
        failed.is_empty(),
        "{} steps failed: {failed:#?}",
        script.display()
    );
    assert!(steps.len() >= min_steps, "every step ran: {report}");
}

/// A person `email` (password [`PASSWORD`]), a member of each organization with its
/// role, signed in with a password on the server at `root` (`http://127.0.0.1:PORT`):
/// their access token.
pub async fn person_token(
    store: &dyn wakit_store::Store,
    root: &str,
    email: &str,
    roles: &[(wakit_core::OrgId, Role)],
) -> String {
    let hash = wakit_server::routes::auth::password::hash(PASSWORD.into()).await;
    let user = store
        .create_user(wakit_store::NewUser {
            email: email.into(),
            password_hash: hash.expect("hash"),
            user_metadata: json!({}),
        })
        .await
        .expect("user");
    for (org, role) in roles {
        store
            .add_member(*org, user.id, *role)
            .await
            .expect("member");
    }
    let anon = JwtSecret::new(JWT_SECRET.as_bytes()).expect("secret");
    let session: Value = reqwest::Client::new()
        .post(format!("{root}/auth/v1/token?grant_type=password"))
        .header("apikey", anon.api_key(false).expect("anon key"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .expect("sign-in")
        .json()
        .await
        .expect("a session");
    session["access_token"]
        .as_str()
        .expect("an access token")
        .to_string()
}
