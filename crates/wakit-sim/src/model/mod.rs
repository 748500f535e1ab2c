//! The sandbox model: an OpenAI-compatible `POST /v1/chat/completions` that answers with
//! scripted steps (set through the control API or [`SimHandle::script_model`]) and, when
//! no step is queued, with a deterministic default (echo, or a `calculator` call for
//! arithmetic). Latency, 4xx/5xx answers and hanging calls are injectable, so agents can
//! be tested without a real provider.

mod a2a;
mod reply;
pub(crate) mod routes;
mod step;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use crate::error::{SimError, invalid};
use crate::sim::SimHandle;
pub use a2a::A2A_MODEL;
pub use step::ModelStep;

/// Requests kept for [`SimHandle::model_requests`].
const KEPT_REQUESTS: usize = 10_000;

/// The script queue that answers requests for any model.
pub const ANY_MODEL: &str = "*";

/// One chat-completions request the sandbox model received.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ModelRequest {
    /// The request's `model`.
    pub model: String,
    /// The bearer token sent (`None` without an `Authorization: Bearer` header).
    pub api_key: Option<String>,
    /// The full request body.
    pub body: Value,
    /// What was answered: `respond`, `tool:<name>`, `text`, `error:<status>`, `hang`,
    /// `unauthorized` or `invalid`.
    pub answered: String,
    /// Whether the answer came from a scripted step (`false`: the default script).
    pub scripted: bool,
    /// When it arrived.
    pub at: DateTime<Utc>,
}

/// The model's settings (see `POST /_sim/model`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ModelSettings {
    /// Added to every answer, before the step's own `delay_ms`.
    pub latency_ms: u64,
    /// When set, requests without `Authorization: Bearer <api_key>` get 401.
    pub api_key: Option<String>,
}

#[derive(Default)]
struct ModelState {
    settings: ModelSettings,
    scripts: HashMap<String, VecDeque<ModelStep>>,
    requests: VecDeque<ModelRequest>,
    calls: u64,
}

/// The model's state inside a running sandbox.
#[derive(Default)]
pub(crate) struct Model {
    state: Mutex<ModelState>,
}

impl Model {
    fn state(&self) -> MutexGuard<'_, ModelState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next scripted step for `model` (its own queue first, then [`ANY_MODEL`]'s),
    /// and a fresh call number.
    fn next(&self, model: &str) -> (Option<ModelStep>, u64) {
        let mut st = self.state();
        st.calls += 1;
        let calls = st.calls;
        let step = [model, ANY_MODEL]
            .iter()
            .find_map(|m| st.scripts.get_mut(*m).and_then(VecDeque::pop_front));
        (step, calls)
    }

    fn record(&self, request: ModelRequest) {
        let mut st = self.state();
        if st.requests.len() == KEPT_REQUESTS {
            st.requests.pop_front();
        }
        st.requests.push_back(request);
    }

    fn settings(&self) -> ModelSettings {
        self.state().settings.clone()
    }
}

/// The model's state as `GET /_sim/model` shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ModelStatus {
    /// The settings in force.
    pub settings: ModelSettings,
    /// Steps still queued, by model name ([`ANY_MODEL`] for any).
    pub queued: HashMap<String, usize>,
    /// Requests received so far.
    pub requests: u64,
}

impl SimHandle {
    /// `http://127.0.0.1:PORT/v1`: the OpenAI-compatible base URL of the sandbox model.
    pub fn model_url(&self) -> String {
        format!("{}/v1", self.core().origin())
    }

    /// `http://127.0.0.1:PORT/a2a`: the sandbox model as an A2A agent (`message/send`).
    pub fn a2a_url(&self) -> String {
        format!("{}/a2a", self.core().origin())
    }

    /// Queues `steps` for requests naming `model` (`None` or [`ANY_MODEL`]: any model
    /// without a queue of its own). Steps are used once each, in order.
    pub fn script_model(&self, model: Option<&str>, steps: Vec<ModelStep>) {
        let key = model.unwrap_or(ANY_MODEL).to_string();
        self.core()
            .model
            .state()
            .scripts
            .entry(key)
            .or_default()
            .extend(steps);
    }

    /// Sets the latency added to every answer and the API key the model demands
    /// (`None`: any or no key).
    pub fn set_model(&self, latency: Duration, api_key: Option<String>) -> Result<(), SimError> {
        if api_key.as_deref().is_some_and(|k| k.trim().is_empty()) {
            return Err(invalid("api_key must not be empty"));
        }
        if latency > step::MAX_DELAY {
            return Err(invalid("latency_ms must be at most 600000"));
        }
        self.core().model.state().settings = ModelSettings {
            latency_ms: latency.as_millis() as u64,
            api_key,
        };
        Ok(())
    }

    /// Drops every queued step and recorded request; settings back to defaults.
    pub fn reset_model(&self) {
        *self.core().model.state() = ModelState::default();
    }

    /// The requests received, oldest first (at most 10,000 kept).
    pub fn model_requests(&self) -> Vec<ModelRequest> {
        self.core().model.state().requests.iter().cloned().collect()
    }

    /// Settings, queued steps and the request count.
    pub fn model_status(&self) -> ModelStatus {
        let st = self.core().model.state();
        ModelStatus {
            settings: st.settings.clone(),
            queued: st
                .scripts
                .iter()
                .filter(|(_, q)| !q.is_empty())
                .map(|(m, q)| (m.clone(), q.len()))
                .collect(),
            requests: st.calls,
        }
    }
}
