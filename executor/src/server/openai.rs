//! The OpenAI-compatible API: `POST /v1/completions`, `POST /v1/chat/completions`,
//! `GET /v1/models`. It is not part of the executor protocol and carries no protocol version.

use std::{
	sync::{atomic::Ordering, Arc},
	time::{Instant, SystemTime, UNIX_EPOCH},
};

use axum::{extract::State, Json};
use daya_protocol::{ChatMessage, LOGPROBS_TOP};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
	error::{ApiError, ApiJson},
	state::{AppState, Shared},
};
use crate::{
	engine::{Engine, Generation},
	sampler::Sampler,
};

fn now_secs() -> u64 {
	SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn temperature_milli(t: Option<f64>) -> Result<u32, ApiError> {
	let t = t.unwrap_or(1.0);
	if !t.is_finite() || !(0.0..=2.0).contains(&t) {
		return Err(ApiError::bad_request("invalid_request", "temperature is between 0 and 2"));
	}
	Ok((t * 1000.0).round() as u32)
}

/// `prompt` of a completion request: a string or a list of one.
#[derive(Deserialize)]
#[serde(untagged)]
enum Prompt {
	One(String),
	Many(Vec<String>),
}

#[derive(Deserialize)]
pub(super) struct CompletionRequest {
	model: String,
	prompt: Prompt,
	#[serde(default)]
	max_tokens: Option<u32>,
	#[serde(default)]
	temperature: Option<f64>,
	#[serde(default)]
	seed: Option<u64>,
	#[serde(default)]
	logprobs: Option<u32>,
	#[serde(default)]
	weights_hash: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct ChatRequest {
	model: String,
	messages: Vec<ChatMessage>,
	#[serde(default)]
	max_tokens: Option<u32>,
	#[serde(default)]
	max_completion_tokens: Option<u32>,
	#[serde(default)]
	temperature: Option<f64>,
	#[serde(default)]
	seed: Option<u64>,
	#[serde(default)]
	logprobs: Option<bool>,
	#[serde(default)]
	top_logprobs: Option<u32>,
	#[serde(default)]
	weights_hash: Option<String>,
}

impl Shared {
	async fn complete(
		self: &Arc<Self>,
		engine: &Arc<dyn Engine>,
		prompt: String,
		max_tokens: u32,
		temperature: Option<f64>,
		seed: Option<u64>,
	) -> Result<(Generation, String), ApiError> {
		self.check_tokens(&**engine, &prompt, max_tokens)?;
		let temp = temperature_milli(temperature)?;
		let sampler = Sampler::from_seed(temp, seed.unwrap_or(0));
		self.metrics.openai_requests.fetch_add(1, Ordering::Relaxed);
		let started = Instant::now();
		let g = self
			.infer_request(engine, move |e| e.generate(&prompt, max_tokens, sampler))
			.await?;
		self.record_generation(&g, started);
		let text = self.delivered(&**engine, g.clone()).text;
		Ok((g, text))
	}
}

fn usage(g: &Generation) -> Value {
	json!({
		"prompt_tokens": g.prompt_tokens,
		"completion_tokens": g.completion_tokens,
		"total_tokens": g.prompt_tokens + g.completion_tokens,
	})
}

fn nats(micro: i32) -> f64 {
	f64::from(micro) / 1e6
}

/// `POST /v1/completions`.
pub(super) async fn completions(
	State(state): State<AppState>,
	ApiJson(req): ApiJson<CompletionRequest>,
) -> Result<Json<Value>, ApiError> {
	let prompt = match req.prompt {
		Prompt::One(p) => p,
		Prompt::Many(mut v) if v.len() == 1 => v.remove(0),
		Prompt::Many(_) => {
			return Err(ApiError::bad_request("invalid_request", "one prompt per request"))
		},
	};
	let max_tokens = req.max_tokens.unwrap_or(16);
	let engine = state.check_model(&req.model, req.weights_hash.as_deref())?;
	let (g, text) = state.complete(&engine, prompt, max_tokens, req.temperature, req.seed).await?;
	let logprobs = req.logprobs.map(|n| {
		let n = (n as usize).min(LOGPROBS_TOP);
		let mut offset = 0usize;
		let (mut tokens, mut lps, mut tops, mut offsets) = (vec![], vec![], vec![], vec![]);
		for t in &g.logprobs {
			let s = engine.token_text(t.token);
			offsets.push(offset);
			offset += s.len();
			tokens.push(s);
			lps.push(nats(t.logprob_micro));
			let top: serde_json::Map<String, Value> = t
				.top
				.iter()
				.take(n)
				.map(|a| (engine.token_text(a.token), json!(nats(a.logprob_micro))))
				.collect();
			tops.push(top);
		}
		json!({"tokens": tokens, "token_logprobs": lps, "top_logprobs": tops, "text_offset": offsets})
	});
	Ok(Json(json!({
		"id": state.request_id("cmpl"),
		"object": "text_completion",
		"created": now_secs(),
		"model": engine.model_name(),
		"choices": [{
			"index": 0,
			"text": text,
			"finish_reason": g.finish_reason.as_str(),
			"logprobs": logprobs,
		}],
		"usage": usage(&g),
	})))
}

/// `POST /v1/chat/completions`.
pub(super) async fn chat_completions(
	State(state): State<AppState>,
	ApiJson(req): ApiJson<ChatRequest>,
) -> Result<Json<Value>, ApiError> {
	if req.messages.is_empty() {
		return Err(ApiError::bad_request("invalid_request", "messages is empty"));
	}
	let engine = state.check_model(&req.model, req.weights_hash.as_deref())?;
	let prompt = engine.render_chat(&req.messages).map_err(ApiError::from)?;
	let max_tokens = req.max_completion_tokens.or(req.max_tokens).unwrap_or(256);
	let (g, text) = state.complete(&engine, prompt, max_tokens, req.temperature, req.seed).await?;
	let logprobs = req.logprobs.unwrap_or(false).then(|| {
		let n = req.top_logprobs.unwrap_or(0) as usize;
		let content: Vec<Value> = g
			.logprobs
			.iter()
			.map(|t| {
				let top: Vec<Value> = t
					.top
					.iter()
					.take(n.min(LOGPROBS_TOP))
					.map(
						|a| json!({"token": engine.token_text(a.token), "logprob": nats(a.logprob_micro)}),
					)
					.collect();
				json!({
					"token": engine.token_text(t.token),
					"logprob": nats(t.logprob_micro),
					"top_logprobs": top,
				})
			})
			.collect();
		json!({ "content": content })
	});
	Ok(Json(json!({
		"id": state.request_id("chatcmpl"),
		"object": "chat.completion",
		"created": now_secs(),
		"model": engine.model_name(),
		"choices": [{
			"index": 0,
			"message": {"role": "assistant", "content": text},
			"finish_reason": g.finish_reason.as_str(),
			"logprobs": logprobs,
		}],
		"usage": usage(&g),
	})))
}

/// `GET /v1/models`.
pub(super) async fn models(State(state): State<AppState>) -> Json<Value> {
	Json(json!({
		"object": "list",
		"data": state
			.model_names()
			.iter()
			.map(|name| json!({"id": name, "object": "model", "owned_by": "daya"}))
			.collect::<Vec<_>>(),
	}))
}
