//! Operations: `GET /health` (what is served, the protocol version spoken, the queue) and
//! `GET /metrics` (Prometheus metrics, OpenMetrics text).

use std::time::Instant;

use axum::{
	extract::{Request, State},
	http::{header, HeaderValue},
	middleware::Next,
	response::{IntoResponse, Response},
	Json,
};
use daya_protocol::VERSION;
use serde_json::{json, Value};
use tracing::Instrument;

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

/// Logs every request with an id (also answered as `x-request-id`), its route, status and
/// duration, under `RUST_LOG` (`daya_executor=debug` adds the health and metrics scrapes). A
/// stream's line comes when its headers go out.
pub(super) async fn log_request(
	State(state): State<AppState>,
	request: Request,
	next: Next,
) -> Response {
	let id = state.request_id("req");
	let (method, path) = (request.method().clone(), request.uri().path().to_string());
	let started = Instant::now();
	let span = tracing::info_span!("request", id = %id);
	let mut response = next.run(request).instrument(span).await;
	let status = response.status().as_u16();
	let ms = format!("{:.1}", started.elapsed().as_secs_f64() * 1e3);
	if matches!(path.as_str(), "/health" | "/metrics") {
		tracing::debug!(%id, %method, %path, status, %ms, "answered");
	} else if status >= 500 {
		tracing::error!(%id, %method, %path, status, %ms, "answered");
	} else {
		tracing::info!(%id, %method, %path, status, %ms, "answered");
	}
	if let Ok(value) = HeaderValue::from_str(&id) {
		response.headers_mut().insert("x-request-id", value);
	}
	response
}
