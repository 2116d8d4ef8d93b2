//! An engine that forwards to another OpenAI-compatible server (vLLM, llama.cpp's server, ...)
//! through `/v1/completions` with `logprobs`. Best effort: such servers name tokens by their
//! text, so token ids are 0, and scoring uses `echo` with `max_tokens: 0` as vLLM supports it.

use std::time::Duration;

use daya_protocol::{
	similarity, token_accepted, top_k_for, OutputToken, TokenLogprob, ValidateResponse,
	LOGPROBS_TOP, VERSION,
};
use serde_json::{json, Value};
use tokio::runtime::Handle;

use crate::engine::{to_micro, Engine, EngineError, FinishReason, Generation};

/// The most alternatives asked of the upstream server per token when scoring (vLLM's default
/// limit).
pub const MAX_UPSTREAM_LOGPROBS: usize = 20;

/// Forwards to an OpenAI-compatible server.
pub struct ProxyEngine {
	base: String,
	upstream_model: String,
	name: String,
	client: reqwest::Client,
	handle: Handle,
	context: usize,
}

impl ProxyEngine {
	/// Forwards to `base` (e.g. `http://127.0.0.1:8000`), asking for `upstream_model`, serving
	/// it under the registry name `name`. Call inside a tokio runtime; the engine's blocking
	/// calls run on it.
	pub fn new(base: &str, upstream_model: &str, name: &str) -> Self {
		Self {
			base: base.trim_end_matches('/').to_string(),
			upstream_model: upstream_model.to_string(),
			name: name.to_string(),
			client: reqwest::Client::builder()
				.timeout(Duration::from_secs(600))
				.build()
				.unwrap_or_default(),
			handle: Handle::current(),
			context: 1 << 20,
		}
	}

	fn post(&self, body: Value) -> Result<Value, EngineError> {
		let url = format!("{}/v1/completions", self.base);
		self.handle.block_on(async {
			let response = self
				.client
				.post(&url)
				.json(&body)
				.send()
				.await
				.map_err(|e| EngineError::Internal(format!("{url}: {e}")))?;
			let status = response.status();
			let text = response
				.text()
				.await
				.map_err(|e| EngineError::Internal(format!("{url}: {e}")))?;
			if !status.is_success() {
				return Err(EngineError::Internal(format!("{url} answered {status}: {text}")));
			}
			serde_json::from_str(&text)
				.map_err(|e| EngineError::Internal(format!("{url}: not JSON: {e}")))
		})
	}
}

fn ranked_micro(top: Option<&Value>) -> Vec<i32> {
	let mut ranked: Vec<i32> = top
		.and_then(Value::as_object)
		.map(|m| m.values().filter_map(Value::as_f64).map(to_micro).collect())
		.unwrap_or_default();
	ranked.sort_unstable_by(|a, b| b.cmp(a));
	ranked
}

impl Engine for ProxyEngine {
	fn model_name(&self) -> &str {
		&self.name
	}

	fn weights_hash(&self) -> Option<[u8; 32]> {
		None
	}

	fn context_length(&self) -> usize {
		self.context
	}

	fn prompt_tokens(&self, _prompt: &str) -> Result<Option<usize>, EngineError> {
		Ok(None)
	}

	fn generate(
		&self,
		prompt: &str,
		max_tokens: u32,
		temperature_milli: u32,
		seed: u64,
	) -> Result<Generation, EngineError> {
		let answer = self.post(json!({
			"model": self.upstream_model,
			"prompt": prompt,
			"max_tokens": max_tokens,
			"temperature": f64::from(temperature_milli) / 1000.0,
			"seed": seed,
			"logprobs": LOGPROBS_TOP,
		}))?;
		let choice = &answer["choices"][0];
		let text = choice["text"]
			.as_str()
			.ok_or_else(|| {
				EngineError::Internal("the upstream answer has no choices[0].text".into())
			})?
			.to_string();
		let lp = &choice["logprobs"];
		let token_logprobs = lp["token_logprobs"].as_array().cloned().unwrap_or_default();
		let tops = lp["top_logprobs"].as_array().cloned().unwrap_or_default();
		let logprobs: Vec<OutputToken> = token_logprobs
			.iter()
			.enumerate()
			.map(|(i, l)| OutputToken {
				token: 0,
				logprob_micro: l.as_f64().map(to_micro).unwrap_or(i32::MIN),
				top: ranked_micro(tops.get(i))
					.into_iter()
					.take(LOGPROBS_TOP)
					.map(|m| TokenLogprob { token: 0, logprob_micro: m })
					.collect(),
			})
			.collect();
		let usage = &answer["usage"];
		let completion_tokens = usage["completion_tokens"]
			.as_u64()
			.map(|n| n as u32)
			.unwrap_or(logprobs.len() as u32);
		Ok(Generation {
			text,
			prompt_tokens: usage["prompt_tokens"].as_u64().unwrap_or(0) as u32,
			completion_tokens,
			logprobs,
			finish_reason: if choice["finish_reason"].as_str() == Some("length") {
				FinishReason::Length
			} else {
				FinishReason::Stop
			},
		})
	}

	fn score(
		&self,
		prompt: &str,
		output: &str,
		temperature_milli: u32,
	) -> Result<ValidateResponse, EngineError> {
		let k = top_k_for(temperature_milli);
		let answer = self.post(json!({
			"model": self.upstream_model,
			"prompt": format!("{prompt}{output}"),
			"max_tokens": 0,
			"echo": true,
			"temperature": 0,
			"logprobs": k.min(MAX_UPSTREAM_LOGPROBS),
		}))?;
		let lp = &answer["choices"][0]["logprobs"];
		let offsets = lp["text_offset"].as_array().cloned().unwrap_or_default();
		let token_logprobs = lp["token_logprobs"].as_array().cloned().unwrap_or_default();
		let tops = lp["top_logprobs"].as_array().cloned().unwrap_or_default();
		if offsets.len() != token_logprobs.len() {
			return Err(EngineError::Internal(
				"the upstream answer has no matching text_offset and token_logprobs".into(),
			));
		}
		let (mut total, mut accepted) = (0u32, 0u32);
		for (i, offset) in offsets.iter().enumerate() {
			if offset.as_u64().unwrap_or(0) < prompt.len() as u64 {
				continue;
			}
			total += 1;
			let claimed = token_logprobs[i].as_f64().map(to_micro).unwrap_or(i32::MIN);
			if token_accepted(claimed, &ranked_micro(tops.get(i)), k) {
				accepted += 1;
			}
		}
		Ok(ValidateResponse {
			version: VERSION,
			similarity_ppb: similarity(accepted, total),
			tokens: total,
			accepted,
		})
	}
}
