//! The OpenAI-compatible API: `POST /v1/completions`, `POST /v1/chat/completions`,
//! `GET /v1/models`. It is not part of the executor protocol and carries no protocol version.
//!
//! Requests take `max_tokens` (chat: `max_completion_tokens` too), `temperature`, `top_p`,
//! `seed`, `stop` (a string or up to four) and log-probabilities. A field whose value asks for
//! something not implemented (`n` above 1, `best_of` above 1, `echo`, `suffix`, `logit_bias`,
//! non-zero penalties, tools or functions, a response format other than text, `stream`) is
//! refused with `400 unsupported_parameter` naming it; the neutral values SDKs send by default
//! (`n: 1`, zero penalties, `user`, an empty `logit_bias`) are accepted.

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
		return Err(ApiError::bad_request("invalid_request", "temperature is between 0 and 2")
			.param("temperature"));
	}
	Ok((t * 1000.0).round() as u32)
}

fn top_p_milli(p: Option<f64>) -> Result<u32, ApiError> {
	let p = p.unwrap_or(1.0);
	if !(p.is_finite() && p > 0.0 && p <= 1.0) {
		return Err(ApiError::bad_request("invalid_request", "top_p is above 0 and at most 1")
			.param("top_p"));
	}
	Ok(((p * 1000.0).round() as u32).max(1))
}

/// `stop`: a string, or a list of at most four.
#[derive(Deserialize)]
#[serde(untagged)]
enum Stop {
	One(String),
	Many(Vec<String>),
}

impl Stop {
	/// The stop sequences, checked: at most four, none empty.
	fn sequences(stop: Option<Stop>) -> Result<Vec<String>, ApiError> {
		let all = match stop {
			None => vec![],
			Some(Stop::One(s)) => vec![s],
			Some(Stop::Many(v)) => v,
		};
		if all.len() > 4 || all.iter().any(String::is_empty) {
			return Err(ApiError::bad_request(
				"invalid_request",
				"stop is a non-empty string or a list of at most four",
			)
			.param("stop"));
		}
		Ok(all)
	}
}

/// The fields of a request that ask for something this executor does not do; each is refused
/// unless its value is the neutral one SDKs send by default.
#[derive(Deserialize, Default)]
struct Unsupported {
	#[serde(default)]
	n: Option<u32>,
	#[serde(default)]
	best_of: Option<u32>,
	#[serde(default)]
	echo: Option<bool>,
	#[serde(default)]
	suffix: Option<String>,
	#[serde(default)]
	logit_bias: Option<serde_json::Map<String, Value>>,
	#[serde(default)]
	presence_penalty: Option<f64>,
	#[serde(default)]
	frequency_penalty: Option<f64>,
	#[serde(default)]
	tools: Option<Vec<Value>>,
	#[serde(default)]
	functions: Option<Vec<Value>>,
	#[serde(default)]
	tool_choice: Option<Value>,
	#[serde(default)]
	function_call: Option<Value>,
	#[serde(default)]
	response_format: Option<Value>,
	#[serde(default)]
	stream: Option<bool>,
}

impl Unsupported {
	/// Refuses the first field that asks for something not implemented.
	fn check(&self) -> Result<(), ApiError> {
		let none_or = |v: &Option<Value>, neutral: &str| match v {
			None | Some(Value::Null) => true,
			Some(Value::String(s)) => s == neutral,
			Some(_) => false,
		};
		let text_format = match &self.response_format {
			None | Some(Value::Null) => true,
			Some(format) => format.get("type").and_then(Value::as_str) == Some("text"),
		};
		let refused = [
			("n", self.n.is_some_and(|n| n != 1), "one choice per request (n: 1)"),
			("best_of", self.best_of.is_some_and(|n| n != 1), "best_of: 1 only"),
			("echo", self.echo == Some(true), "the prompt is not echoed"),
			("suffix", self.suffix.as_deref().is_some_and(|s| !s.is_empty()), "no suffix"),
			(
				"logit_bias",
				self.logit_bias.as_ref().is_some_and(|b| !b.is_empty()),
				"no logit bias: the model's own distribution only",
			),
			(
				"presence_penalty",
				self.presence_penalty.is_some_and(|p| p != 0.0),
				"no presence penalty",
			),
			(
				"frequency_penalty",
				self.frequency_penalty.is_some_and(|p| p != 0.0),
				"no frequency penalty",
			),
			("tools", self.tools.as_ref().is_some_and(|t| !t.is_empty()), "no tool calls"),
			(
				"functions",
				self.functions.as_ref().is_some_and(|f| !f.is_empty()),
				"no function calls",
			),
			("tool_choice", !none_or(&self.tool_choice, "none"), "no tool calls"),
			("function_call", !none_or(&self.function_call, "none"), "no function calls"),
			("response_format", !text_format, "text responses only"),
			("stream", self.stream == Some(true), "no streaming yet: send stream: false"),
		];
		match refused.into_iter().find(|(_, asked, _)| *asked) {
			Some((param, _, what)) => Err(ApiError::bad_request(
				"unsupported_parameter",
				format!("{param} is not supported by this executor: {what}"),
			)
			.param(param)),
			None => Ok(()),
		}
	}
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
	top_p: Option<f64>,
	#[serde(default)]
	stop: Option<Stop>,
	#[serde(default)]
	weights_hash: Option<String>,
	#[serde(flatten)]
	unsupported: Unsupported,
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
	top_p: Option<f64>,
	#[serde(default)]
	stop: Option<Stop>,
	#[serde(default)]
	weights_hash: Option<String>,
	#[serde(flatten)]
	unsupported: Unsupported,
}

/// How a request samples and when it stops.
struct Decoding {
	max_tokens: u32,
	temperature: Option<f64>,
	top_p: Option<f64>,
	seed: Option<u64>,
	stop: Vec<String>,
}

impl Shared {
	/// Generates for an OpenAI request; the generation and its text, cut before the first stop
	/// sequence (then finished as `stop`).
	async fn complete(
		self: &Arc<Self>,
		engine: &Arc<dyn Engine>,
		prompt: String,
		how: Decoding,
	) -> Result<(Generation, String), ApiError> {
		let Decoding { max_tokens, temperature, top_p, seed, stop } = how;
		self.check_tokens(&**engine, &prompt, max_tokens)?;
		let sampler = Sampler::from_seed(temperature_milli(temperature)?, seed.unwrap_or(0))
			.with_top_p(top_p_milli(top_p)?);
		self.metrics.openai_requests.fetch_add(1, Ordering::Relaxed);
		let started = Instant::now();
		let mut g = self
			.infer_request(engine, move |e| e.generate(&prompt, max_tokens, sampler))
			.await?;
		self.record_generation(&g, started);
		let mut text = self.delivered(&**engine, g.clone()).text;
		// The whole generation runs (it is not cut early yet); the answer ends before the first
		// stop sequence, which it does not include.
		if let Some(at) = stop.iter().filter_map(|s| text.find(s.as_str())).min() {
			text.truncate(at);
			g.finish_reason = crate::engine::FinishReason::Stop;
		}
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
			return Err(
				ApiError::bad_request("invalid_request", "one prompt per request").param("prompt")
			)
		},
	};
	req.unsupported.check()?;
	let how = Decoding {
		max_tokens: req.max_tokens.unwrap_or(16),
		temperature: req.temperature,
		top_p: req.top_p,
		seed: req.seed,
		stop: Stop::sequences(req.stop)?,
	};
	let engine = state.check_model(&req.model, req.weights_hash.as_deref())?;
	let (g, text) = state.complete(&engine, prompt, how).await?;
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
		return Err(ApiError::bad_request("invalid_request", "messages is empty").param("messages"));
	}
	req.unsupported.check()?;
	let how = Decoding {
		max_tokens: req.max_completion_tokens.or(req.max_tokens).unwrap_or(256),
		temperature: req.temperature,
		top_p: req.top_p,
		seed: req.seed,
		stop: Stop::sequences(req.stop)?,
	};
	let engine = state.check_model(&req.model, req.weights_hash.as_deref())?;
	let prompt = engine.render_chat(&req.messages).map_err(ApiError::from)?;
	let (g, text) = state.complete(&engine, prompt, how).await?;
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

/// `GET /v1/models`: each model with `created` (when this executor started serving it, in
/// Unix seconds) and its context length.
pub(super) async fn models(State(state): State<AppState>) -> Json<Value> {
	Json(json!({
		"object": "list",
		"data": state
			.engines
			.iter()
			.map(|engine| {
				json!({
					"id": engine.model_name(),
					"object": "model",
					"created": state.started_at,
					"owned_by": "daya",
					"context_length": engine.context_length(),
				})
			})
			.collect::<Vec<_>>(),
	}))
}
