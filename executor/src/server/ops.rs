//! Operations: `GET /health` (what is served, the protocol version spoken, the queue) and
//! `GET /metrics` (Prometheus text).

use std::sync::atomic::{AtomicU64, Ordering};

use axum::{extract::State, http::header, response::IntoResponse, Json};
use daya_protocol::VERSION;
use serde_json::{json, Value};

use super::state::AppState;
use crate::hash::to_hex;

/// `GET /health`.
pub(super) async fn health(State(state): State<AppState>) -> Json<Value> {
	let models: Vec<Value> = state
		.engines
		.iter()
		.map(|e| {
			json!({
				"model": e.model_name(),
				"weights_hash": e.weights_hash().map(|h| to_hex(&h)),
				"context_length": e.context_length(),
				"max_tokens": state.max_tokens(&**e),
				"capability": e.capability().as_str(),
			})
		})
		.collect();
	// The first model's fields at the top level too, for single-model tools.
	let first = models.first().cloned().unwrap_or_default();
	Json(json!({
		"status": "ok",
		"protocol_version": VERSION,
		"model": first["model"],
		"weights_hash": first["weights_hash"],
		"context_length": first["context_length"],
		"max_tokens": first["max_tokens"],
		"models": models,
		"queue_depth": state.metrics.queued.load(Ordering::Relaxed),
		"queue_capacity": state.config.queue,
	}))
}

/// `GET /metrics`.
pub(super) async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
	let m = &state.metrics;
	let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
	let mut out = String::new();
	let mut metric = |name: &str, kind: &str, help: &str, value: String| {
		out.push_str(&format!(
			"# HELP daya_executor_{name} {help}\n# TYPE daya_executor_{name} {kind}\n\
			 daya_executor_{name} {value}\n"
		));
	};
	metric("jobs_accepted_total", "counter", "Jobs accepted.", get(&m.jobs_accepted).to_string());
	metric("jobs_completed_total", "counter", "Jobs done.", get(&m.jobs_completed).to_string());
	metric("jobs_failed_total", "counter", "Jobs failed.", get(&m.jobs_failed).to_string());
	metric(
		"tokens_generated_total",
		"counter",
		"Output tokens generated (jobs and OpenAI requests).",
		get(&m.tokens_generated).to_string(),
	);
	metric(
		"prompt_tokens_total",
		"counter",
		"Prompt tokens read.",
		get(&m.prompt_tokens).to_string(),
	);
	metric(
		"generation_seconds_total",
		"counter",
		"Seconds spent generating.",
		format!("{:.6}", get(&m.generation_micros) as f64 / 1e6),
	);
	metric("validations_total", "counter", "Outputs re-scored.", get(&m.validations).to_string());
	metric(
		"openai_requests_total",
		"counter",
		"OpenAI-compatible completions served.",
		get(&m.openai_requests).to_string(),
	);
	metric("queue_depth", "gauge", "Jobs waiting.", get(&m.queued).to_string());
	([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}
