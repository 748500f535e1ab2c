//! Shared by the `cli*` tests: a real `wakit demo` (server + sandbox as Meta) started
//! from the built binary, and the client CLI run against it with its own config file.
#![allow(dead_code)]

use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::procs::Proc;
use std::time::{Duration, Instant};

/// The demo's number and its phone-number id.
pub const NUMBER: &str = "5215588392274";
pub const PHONE_NUMBER_ID: &str = "238013449404478";
/// Customers the demo seeds (they wrote in, so their window is open).
pub const MARIA: &str = "5215551234567";
pub const EMILY: &str = "15550405258";
pub const SEEDED_CUSTOMERS: usize = 4;

/// How long any wait in these tests may take before it fails.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// `wakit demo` on a free port with its own data dir; killed on drop.
pub struct Demo {
    child: Proc,
    data: tempfile::TempDir,
    /// The server's root URL (what `wakit init --base-url` takes).
    pub base: String,
    /// The API's base URL (`{base}/functions/v1/api`), as the banner prints it.
    pub api: String,
    /// The demo's API key.
    pub key: String,
    /// The sandbox's control API (`.../_sim`).
    pub control: String,
}

impl Demo {
    /// Starts the demo and reads its banner; the sandbox's chatty customers are switched
    /// off so conversations only change when a test changes them.
    pub fn start() -> Demo {
        let data = tempfile::tempdir().expect("tmp");
        // A guard from the start: a panic while reading the banner kills and reaps it.
        let mut child = Proc::spawn(
            crate::procs::wakit()
                .args(["demo", "--listen", "127.0.0.1:0"])
                .env("WAKIT_DATA_DIR", data.path())
                .env_remove("WAKIT_DATABASE_URL")
                .env_remove("WAKIT_LISTEN")
                .env("RUST_LOG", "error")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped()),
        );
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut banner = String::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                banner.push_str(&line);
                banner.push('\n');
                if line.trim_start().starts_with("Database") {
                    let _ = tx.send(banner.clone());
                }
            }
        });
        let banner = match rx.recv_timeout(DEADLINE) {
            Ok(b) => b,
            Err(_) => {
                let _ = child.kill();
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                panic!("wakit demo printed no banner: {err}");
            }
        };
        let field = |label: &str| -> String {
            banner
                .lines()
                .find(|l| l.trim_start().starts_with(label))
                .and_then(|l| {
                    l.split_whitespace()
                        .find(|w| w.starts_with("http") || w.starts_with("sk_"))
                })
                .unwrap_or_else(|| panic!("no {label} in the banner:\n{banner}"))
                .to_string()
        };
        let api = field("API base URL");
        let key = field("API key");
        let control = banner
            .split_whitespace()
            .find(|w| w.ends_with("/_sim"))
            .expect("control URL")
            .to_string();
        let base = api
            .strip_suffix("/functions/v1/api")
            .expect("API URL")
            .to_string();
        let demo = Demo {
            child,
            data,
            base,
            api,
            key,
            control,
        };
        demo.sim("/chatty", serde_json::json!({"enabled": false}));
        demo
    }

    /// The server process's id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The demo's SQLite file (for `wakit admin --database-url`).
    pub fn database_url(&self) -> String {
        format!(
            "sqlite://{}",
            self.data.path().join("demo/wakit-demo.db").display()
        )
    }

    /// The demo's data dir (admin commands keep their secret key there).
    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }

    /// `POST {control}{path}` to the sandbox.
    pub fn sim(&self, path: &str, body: Value) -> Value {
        block_on(async {
            let resp = reqwest::Client::new()
                .post(format!("{}{path}", self.control))
                .json(&body)
                .send()
                .await
                .expect("sandbox control");
            assert!(resp.status().is_success(), "sandbox {path}: {resp:?}");
            resp.json::<Value>().await.expect("sandbox JSON")
        })
    }

    /// `GET {control}{path}` from the sandbox (e.g. `/sent?to=...`: what "Meta" received).
    pub fn sim_get(&self, path: &str) -> Value {
        block_on(async {
            reqwest::get(format!("{}{path}", self.control))
                .await
                .expect("sandbox control")
                .json::<Value>()
                .await
                .expect("sandbox JSON")
        })
    }

    /// `GET {api}{path}` with the demo's key: (status, JSON).
    pub fn get(&self, path: &str) -> (u16, Value) {
        block_on(async {
            let resp = reqwest::Client::new()
                .get(format!("{}{path}", self.api))
                .bearer_auth(&self.key)
                .send()
                .await
                .expect("API call");
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap_or(Value::Null))
        })
    }

    /// Waits until the seeded customers' messages are in (the demo's webhooks are
    /// processed in the background) and returns the conversations' JSON.
    pub fn wait_for_seed(&self) -> Value {
        eventually("the seeded conversations", || {
            let (status, body) = self.get("/conversations?limit=50");
            let n = body["conversations"].as_array().map_or(0, Vec::len);
            (status == 200 && n >= SEEDED_CUSTOMERS).then_some(body)
        })
    }

    /// A CLI with a fresh config, already set up with `wakit init` against this demo.
    pub fn configured_cli(&self) -> Cli {
        let cli = Cli::new();
        cli.ok(&["init", "--base-url", &self.base, "--api-key", &self.key]);
        cli
    }
}

/// Runs a future on a small runtime (the tests themselves are plain threads).
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

/// Polls `check` until it returns a value, failing after [`DEADLINE`].
pub fn eventually<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let end = Instant::now() + DEADLINE;
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The client CLI with its own config file and home directory.
pub struct Cli {
    home: tempfile::TempDir,
}

impl Cli {
    /// No config yet.
    pub fn new() -> Cli {
        Cli {
            home: tempfile::tempdir().expect("tmp"),
        }
    }

    /// Where `WAKIT_CONFIG` points.
    pub fn config_path(&self) -> PathBuf {
        self.home.path().join("wakit-config").join("config.json")
    }

    /// The saved config.
    pub fn config(&self) -> Value {
        let text = std::fs::read_to_string(self.config_path()).expect("config written");
        serde_json::from_str(&text).expect("config is JSON")
    }

    /// `wakit <args>` with stdin closed and stdout/stderr captured (no terminal).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = crate::procs::wakit();
        cmd.args(args)
            .env("WAKIT_CONFIG", self.config_path())
            .env("HOME", self.home.path())
            .env_remove("NO_COLOR")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null());
        cmd
    }

    /// Runs `wakit <args>`.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run wakit")
    }

    /// Runs `wakit <args>`, expects success, returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "wakit {args:?} failed ({:?}):\nstdout: {}\nstderr: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8 output")
    }

    /// Runs `wakit <args> --json`-style commands and parses stdout.
    pub fn json(&self, args: &[&str]) -> Value {
        let out = self.ok(args);
        serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("wakit {args:?}: not JSON ({e}): {out}"))
    }

    /// Runs `wakit <args>`, expects exit `code`, returns stderr.
    pub fn fails(&self, args: &[&str], code: i32) -> String {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(
            out.status.code(),
            Some(code),
            "wakit {args:?}: stdout: {}\nstderr: {stderr}",
            String::from_utf8_lossy(&out.stdout)
        );
        stderr
    }

    /// Runs `wakit <args>` on a pseudo-terminal (util-linux `script`), typing `input`;
    /// returns everything the terminal showed and the exit status.
    pub fn on_terminal(&self, args: &[&str], input: &str, envs: &[(&str, &str)]) -> (String, i32) {
        let line = std::iter::once(env!("CARGO_BIN_EXE_wakit"))
            .chain(args.iter().copied())
            .map(shell_quote)
            .collect::<Vec<_>>()
            .join(" ");
        let mut cmd = Command::new("script");
        // Marked like `procs::wakit()`, so the wakit it runs is one of this test's.
        cmd.args(["-qec", &line, "/dev/null"])
            .env(crate::procs::MARKER, std::process::id().to_string())
            .env("WAKIT_EXIT_WITH_PARENT", "1")
            .env("WAKIT_CONFIG", self.config_path())
            .env("HOME", self.home.path())
            .env_remove("NO_COLOR")
            .env("TERM", "xterm")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        // A guard: a panic below kills and reaps `script` (and so what it runs).
        let mut child = Proc(
            cmd.spawn()
                .expect("`script` (util-linux) is needed to test terminal behaviour"),
        );
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().expect("stdin");
            stdin.write_all(input.as_bytes()).expect("type input");
        }
        let mut shown = String::new();
        child
            .stdout
            .take()
            .expect("stdout")
            .read_to_string(&mut shown)
            .expect("read the terminal");
        let status = child.wait().expect("script");
        (shown, status.code().unwrap_or(-1))
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}
