//! Operations: `GET /health` (what is served, the protocol version spoken, the queue) and
//! `GET /metrics` (Prometheus metrics, OpenMetrics text).

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
		"queue_depth": state.metrics.queued.get(),
		"queue_capacity": state.config.queue,
	}))
}

/// `GET /metrics`: OpenMetrics text (see [`super::metrics`]).
pub(super) async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
	(
		[(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")],
		state.metrics.encode(),
	)
}
