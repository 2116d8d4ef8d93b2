//! An engine that forwards to another OpenAI-compatible server (vLLM, llama.cpp's server, ...)
//! through `/v1/completions` with `logprobs`, for the executor's OpenAI-compatible API only.
//!
//! Such a server gives neither token ids in the registry's tokenizer, nor the hidden-state
//! fingerprints a chain result commits to, nor logits a validator can replay the sampler over:
//! it cannot deliver or check chain jobs ([`Engine::verifiable`] is false), and the executor
//! refuses them with `501 not_verifiable` rather than deliver something a validator would have
//! to judge a fraud.

use std::time::Duration;

use daya_protocol::{ExecutionResult, Policy, ValidateResponse, LOGPROBS_TOP};
use serde_json::{json, Value};
use tokio::runtime::Handle;

use crate::{
	engine::{to_micro, Engine, EngineError, FinishReason, Generation, OutputToken, TokenLogprob},
	sampler::Sampler,
};

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

	fn verifiable(&self) -> bool {
		false
	}

	fn generate(
		&self,
		prompt: &str,
		max_tokens: u32,
		sampler: Sampler,
	) -> Result<Generation, EngineError> {
		let temperature_milli = sampler.temperature_milli;
		let seed = u64::from_le_bytes(sampler.key[..8].try_into().unwrap_or_default());
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
			tokens: Vec::new(),
			prompt_tokens: usage["prompt_tokens"].as_u64().unwrap_or(0) as u32,
			prompt_hash: [0; 32],
			completion_tokens,
			fingerprints: Vec::new(),
			logprobs,
			finish_reason: if choice["finish_reason"].as_str() == Some("length") {
				FinishReason::Length
			} else {
				FinishReason::Stop
			},
		})
	}

	fn check(
		&self,
		_prompt: &str,
		_max_tokens: u32,
		_sampler: Sampler,
		_claim: &ExecutionResult,
		_policy: &Policy,
	) -> Result<ValidateResponse, EngineError> {
		Err(EngineError::NotVerifiable)
	}
}
