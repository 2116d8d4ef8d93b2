//! An engine that forwards to another OpenAI-compatible server running the registered model
//! file: llama.cpp's server, or vLLM.
//!
//! The proxy keeps the registered model's text side ([`ModelText`]: tokenizer, chat template,
//! hashes) and sends the server prompt **token ids**, never text, through
//! `/v1/completions`; it reads the output's token ids back from whichever shape the server
//! answers in (below) and decodes them itself, so a result has exactly the ids and text a
//! validator recomputes.
//!
//! Such a server neither replays the protocol's keyed sampler nor shows hidden states, so the
//! proxy is [`Capability::GreedyOnly`]: it delivers greedy jobs (temperature 0, which any engine
//! decodes the same way up to near ties), with token ids and no fingerprints, and checks
//! nothing. Its host declares that on chain, which draws it for greedy jobs only and never as
//! a validator. OpenAI-compatible requests at other temperatures are forwarded as they are.
//!
//! Output token ids are read from, in order: `choices[0].token_ids` (vLLM with
//! `return_token_ids`), `choices[0].logprobs.content[].id` (llama.cpp), or
//! `choices[0].logprobs.tokens` as `token_id:N` (vLLM with `return_tokens_as_token_ids`).
//! [`ProxyEngine::connect`] probes the server at start and refuses, with the reason, a server
//! that does not list the model, answers in another shape, gives no token ids, counts the
//! prompt's ids differently or decodes them to other text: never a proxy that would deliver
//! what a validator must judge a fraud.

use std::{collections::BTreeMap, path::Path, time::Duration};

use daya_protocol::{ids_hash, ExecutionResult, Policy, ValidateResponse, LOGPROBS_TOP};
use serde::{Deserialize, Serialize};
use tokio::runtime::Handle;

use crate::{
	engine::{
		to_micro, Capability, Engine, EngineError, FinishReason, Generation, OutputToken,
		TokenLogprob,
	},
	sampler::Sampler,
	text::{ModelHeader, ModelText},
};

/// The prompt the start-up probe completes.
const PROBE: &str = "The capital of France is";

/// `POST /v1/completions`, with the fields llama.cpp and vLLM read.
#[derive(Serialize)]
struct CompletionRequest<'a> {
	model: &'a str,
	/// Token ids: the server must not tokenize.
	prompt: &'a [u32],
	max_tokens: u32,
	temperature: f64,
	#[serde(skip_serializing_if = "Option::is_none")]
	seed: Option<u64>,
	logprobs: usize,
	/// vLLM: the output ids in `choices[].token_ids`.
	return_token_ids: bool,
	/// vLLM: tokens in the log-probabilities as `token_id:N`.
	return_tokens_as_token_ids: bool,
}

/// A `/v1/completions` answer.
#[derive(Deserialize, Debug)]
pub struct CompletionResponse {
	/// The completions; the proxy asks for one.
	pub choices: Vec<Choice>,
	/// Token counts.
	pub usage: Option<Usage>,
}

/// One completion.
#[derive(Deserialize, Debug)]
pub struct Choice {
	/// The text, as the server decoded it.
	pub text: String,
	/// `stop` or `length`.
	pub finish_reason: Option<String>,
	/// Per-token log-probabilities.
	pub logprobs: Option<Logprobs>,
	/// vLLM's output ids (`return_token_ids`).
	pub token_ids: Option<Vec<u32>>,
}

/// Per-token log-probabilities in either shape servers answer with: llama.cpp's `content` (the
/// chat-completions shape, each entry with its id), or the parallel lists of vLLM and the
/// OpenAI completions API. (A struct of optional fields rather than an untagged enum: serde's
/// untagged enums cannot read numbers when `serde_json`'s `arbitrary_precision` is on.)
#[derive(Deserialize, Debug, Default)]
pub struct Logprobs {
	/// llama.cpp: one entry per output token.
	pub content: Option<Vec<ContentToken>>,
	/// vLLM: the tokens (`token_id:N` with `return_tokens_as_token_ids`).
	pub tokens: Option<Vec<String>>,
	/// vLLM: their log-probabilities.
	pub token_logprobs: Option<Vec<Option<f64>>>,
	/// vLLM: the most likely tokens at each position.
	pub top_logprobs: Option<Vec<Option<BTreeMap<String, f64>>>>,
}

/// One output token in llama.cpp's shape.
#[derive(Deserialize, Debug)]
pub struct ContentToken {
	/// Its id.
	pub id: Option<u32>,
	/// Its log-probability.
	pub logprob: f64,
	/// The most likely tokens at its position.
	#[serde(default)]
	pub top_logprobs: Vec<TopToken>,
}

/// An alternative in llama.cpp's shape.
#[derive(Deserialize, Debug)]
pub struct TopToken {
	/// Its id.
	pub id: Option<u32>,
	/// Its log-probability.
	pub logprob: f64,
}

/// Token counts of an answer.
#[derive(Deserialize, Debug)]
pub struct Usage {
	/// Prompt tokens, as the server counted them.
	pub prompt_tokens: u32,
	/// Output tokens.
	pub completion_tokens: u32,
}

#[derive(Deserialize)]
struct ModelList {
	data: Vec<ListedModel>,
}

#[derive(Deserialize)]
struct ListedModel {
	id: String,
}

/// The id of a vLLM `token_id:N` token.
fn token_id(token: &str) -> Option<u32> {
	token.strip_prefix("token_id:")?.parse().ok()
}

impl Choice {
	/// The output ids, from whichever field carries them.
	pub fn ids(&self) -> Option<Vec<u32>> {
		if let Some(ids) = &self.token_ids {
			return Some(ids.clone());
		}
		let logprobs = self.logprobs.as_ref()?;
		if let Some(content) = &logprobs.content {
			return content.iter().map(|t| t.id).collect();
		}
		logprobs.tokens.as_ref()?.iter().map(|t| token_id(t)).collect()
	}

	/// Per-token log-probabilities, with the alternatives whose ids are known.
	fn logprobs(&self, ids: &[u32]) -> Vec<OutputToken> {
		let top = |mut alternatives: Vec<TokenLogprob>| {
			alternatives.sort_by_key(|a| std::cmp::Reverse(a.logprob_micro));
			alternatives.truncate(LOGPROBS_TOP);
			alternatives
		};
		let Some(logprobs) = &self.logprobs else { return Vec::new() };
		if let Some(content) = &logprobs.content {
			return ids
				.iter()
				.zip(content)
				.map(|(&token, t)| OutputToken {
					token,
					logprob_micro: to_micro(t.logprob),
					top: top(t
						.top_logprobs
						.iter()
						.filter_map(|a| {
							Some(TokenLogprob { token: a.id?, logprob_micro: to_micro(a.logprob) })
						})
						.collect()),
				})
				.collect();
		}
		let token_logprobs = logprobs.token_logprobs.as_deref().unwrap_or_default();
		let top_logprobs = logprobs.top_logprobs.as_deref().unwrap_or_default();
		ids.iter()
			.enumerate()
			.map(|(i, &token)| OutputToken {
				token,
				logprob_micro: token_logprobs
					.get(i)
					.copied()
					.flatten()
					.map(to_micro)
					.unwrap_or(i32::MIN),
				top: top(top_logprobs
					.get(i)
					.and_then(Option::as_ref)
					.map(|m| {
						m.iter()
							.filter_map(|(t, &l)| {
								Some(TokenLogprob {
									token: token_id(t)?,
									logprob_micro: to_micro(l),
								})
							})
							.collect()
					})
					.unwrap_or_default()),
			})
			.collect()
	}
}

/// Forwards to an OpenAI-compatible server running the registered model file.
pub struct ProxyEngine {
	base: String,
	upstream_model: String,
	name: String,
	text: ModelText,
	weights_hash: [u8; 32],
	context: usize,
	client: reqwest::Client,
	handle: Handle,
}

impl ProxyEngine {
	/// Forwards to `base` (e.g. `http://127.0.0.1:8080`), asking for `upstream` (or the only
	/// model it lists), serving the registered model `name` whose file is `model` (the file the
	/// server runs: the proxy reads its tokenizer, chat template and hash). Probes the server
	/// (see the module docs) and says what is wrong if it cannot serve. Call inside a tokio
	/// runtime; the engine's blocking calls run on it.
	pub async fn connect(
		base: &str,
		upstream: Option<&str>,
		name: &str,
		model: &Path,
	) -> Result<Self, String> {
		let path = model.to_path_buf();
		let header = tokio::task::spawn_blocking(move || ModelHeader::read(&path))
			.await
			.map_err(|e| e.to_string())?
			.map_err(|e| format!("reading {}: {e:#}", model.display()))?;
		let base = base.trim_end_matches('/').to_string();
		let client = reqwest::Client::builder()
			.timeout(Duration::from_secs(600))
			.build()
			.map_err(|e| e.to_string())?;
		let url = format!("{base}/v1/models");
		// A server still loading its model answers 503: wait for it, a minute at most.
		let started = std::time::Instant::now();
		let listed: ModelList = loop {
			match get_json(&client, &url).await {
				Err(e) if e.contains("503") && started.elapsed() < Duration::from_secs(60) => {
					tokio::time::sleep(Duration::from_millis(250)).await
				},
				other => break other?,
			}
		};
		let upstream_model = match upstream {
			Some(m) if listed.data.iter().any(|l| l.id == m) => m.to_string(),
			Some(m) => {
				let ids: Vec<&str> = listed.data.iter().map(|l| l.id.as_str()).collect();
				return Err(format!("{url} does not list the model {m:?} (it lists {ids:?})"));
			},
			None => match listed.data.as_slice() {
				[only] => only.id.clone(),
				other => {
					return Err(format!(
						"{url} lists {} models: name one with --proxy-model",
						other.len()
					))
				},
			},
		};
		let engine = Self {
			base,
			upstream_model,
			name: name.to_string(),
			context: header.config.max_position_embeddings,
			text: header.text,
			weights_hash: header.weights_hash,
			client,
			handle: Handle::current(),
		};
		engine.probe().await?;
		Ok(engine)
	}

	/// The model the server is asked for.
	pub fn upstream_model(&self) -> &str {
		&self.upstream_model
	}

	/// Completes [`PROBE`] greedily for two tokens and checks that the answer parses, carries
	/// output ids, counts the prompt's ids as sent and decodes the output ids to the server's
	/// text.
	async fn probe(&self) -> Result<(), String> {
		let ids = self.text.encode_prompt(PROBE).map_err(|e| e.to_string())?;
		let answer = self.complete(&ids, 2, 0, None).await.map_err(|e| e.to_string())?;
		let choice = answer.choices.first().ok_or("the probe's answer has no choices")?;
		let out = choice.ids().ok_or(
			"the server returns no output token ids (llama.cpp: logprobs.content[].id; vLLM: \
			 return_token_ids or return_tokens_as_token_ids); the proxy needs them",
		)?;
		if out.is_empty() {
			return Err("the server generated nothing for the probe".into());
		}
		if let Some(usage) = &answer.usage {
			if usage.prompt_tokens as usize != ids.len() {
				return Err(format!(
					"the server counts {} prompt tokens where the proxy sent {} ids: it does not \
					 take token ids as sent (a beginning-of-sequence token added?)",
					usage.prompt_tokens,
					ids.len()
				));
			}
		}
		let decoded = self.text.decode(&out).map_err(|e| e.to_string())?;
		if decoded != choice.text {
			return Err(format!(
				"the server's text {:?} is not its ids {out:?} decoded with the registered \
				 tokenizer ({decoded:?}): it runs another model file",
				choice.text
			));
		}
		Ok(())
	}

	async fn complete(
		&self,
		prompt: &[u32],
		max_tokens: u32,
		temperature_milli: u32,
		seed: Option<u64>,
	) -> Result<CompletionResponse, EngineError> {
		let url = format!("{}/v1/completions", self.base);
		let request = CompletionRequest {
			model: &self.upstream_model,
			prompt,
			max_tokens,
			temperature: f64::from(temperature_milli) / 1000.0,
			seed,
			logprobs: LOGPROBS_TOP,
			return_token_ids: true,
			return_tokens_as_token_ids: true,
		};
		let response = self
			.client
			.post(&url)
			.json(&request)
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
		serde_json::from_str(&text).map_err(|e| {
			EngineError::Internal(format!("{url}: not a completions answer ({e}): {text}"))
		})
	}
}

async fn get_json<T: for<'de> Deserialize<'de>>(
	client: &reqwest::Client,
	url: &str,
) -> Result<T, String> {
	let response = client.get(url).send().await.map_err(|e| format!("{url}: {e}"))?;
	let status = response.status();
	let text = response.text().await.map_err(|e| format!("{url}: {e}"))?;
	if !status.is_success() {
		return Err(format!("{url} answered {status}: {text}"));
	}
	serde_json::from_str(&text).map_err(|e| format!("{url}: not a model list ({e}): {text}"))
}

impl Engine for ProxyEngine {
	fn model_name(&self) -> &str {
		&self.name
	}

	fn weights_hash(&self) -> Option<[u8; 32]> {
		Some(self.weights_hash)
	}

	fn context_length(&self) -> usize {
		self.context
	}

	fn capability(&self) -> Capability {
		Capability::GreedyOnly
	}

	fn prompt_tokens(&self, prompt: &str) -> Result<Option<usize>, EngineError> {
		Ok(Some(self.text.encode_prompt(prompt)?.len()))
	}

	fn tokenize(&self, prompt: &str) -> Result<Option<Vec<u32>>, EngineError> {
		self.text.encode_prompt(prompt).map(Some)
	}

	fn detokenize(&self, ids: &[u32]) -> Result<Option<String>, EngineError> {
		self.text.detokenize(ids).map(Some)
	}

	fn generate(
		&self,
		prompt: &str,
		max_tokens: u32,
		sampler: Sampler,
	) -> Result<Generation, EngineError> {
		let ids = self.text.encode_prompt(prompt)?;
		if ids.is_empty() {
			return Err(EngineError::Invalid("an empty prompt".into()));
		}
		if ids.len() >= self.context {
			return Err(EngineError::PromptTooLong { tokens: ids.len(), limit: self.context });
		}
		let budget = max_tokens.min((self.context - ids.len()) as u32);
		let seed = (sampler.temperature_milli > 0)
			.then(|| u64::from_le_bytes(sampler.key[..8].try_into().unwrap_or_default()));
		let answer =
			self.handle
				.block_on(self.complete(&ids, budget, sampler.temperature_milli, seed))?;
		let upstream = |m: &str| EngineError::Internal(format!("the upstream answer {m}"));
		let choice = answer.choices.first().ok_or_else(|| upstream("has no choices"))?;
		let tokens = choice.ids().ok_or_else(|| upstream("has no output token ids"))?;
		if tokens.is_empty() || tokens.len() > budget as usize {
			return Err(upstream(&format!("has {} tokens for at most {budget}", tokens.len())));
		}
		if let Some(usage) = &answer.usage {
			if usage.prompt_tokens as usize != ids.len() {
				return Err(upstream(&format!(
					"counts {} prompt tokens for {} ids sent",
					usage.prompt_tokens,
					ids.len()
				)));
			}
		}
		let stopped = tokens.last().is_some_and(|t| self.text.eos().contains(t));
		let finish_reason = match choice.finish_reason.as_deref() {
			Some("stop") if stopped => FinishReason::Stop,
			Some("length") if !stopped => FinishReason::Length,
			other => {
				return Err(upstream(&format!(
					"says it finished by {other:?} where its last token {:?} says otherwise",
					tokens.last()
				)))
			},
		};
		Ok(Generation {
			text: self.text.decode(&tokens)?,
			prompt_tokens: ids.len() as u32,
			prompt_hash: ids_hash(&ids),
			completion_tokens: tokens.len() as u32,
			logprobs: choice.logprobs(&tokens),
			tokens,
			fingerprints: Vec::new(),
			finish_reason,
		})
	}

	fn check(
		&self,
		_prompt: &str,
		_max_tokens: u32,
		_sampler: Sampler,
		_claim: &ExecutionResult,
		_policy: &Policy,
		_probe: Option<daya_protocol::Probe>,
	) -> Result<ValidateResponse, EngineError> {
		Err(EngineError::NotVerifiable)
	}

	fn token_text(&self, token: u32) -> String {
		self.text.token_text(token)
	}

	fn render_chat(&self, messages: &[daya_protocol::ChatMessage]) -> Result<String, EngineError> {
		self.text.render_chat(messages)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn reads_ids_from_every_shape() {
		let vllm: Choice = serde_json::from_value(serde_json::json!({
			"text": "ab", "finish_reason": "length", "token_ids": [7, 8],
			"logprobs": {"tokens": ["a", "b"], "token_logprobs": [-0.5, null],
				"top_logprobs": [{"a": -0.5}, null]}
		}))
		.unwrap();
		assert_eq!(vllm.ids(), Some(vec![7, 8]));
		let listed: Choice = serde_json::from_value(serde_json::json!({
			"text": "ab", "finish_reason": "length",
			"logprobs": {"tokens": ["token_id:7", "token_id:8"], "token_logprobs": [-0.5, -1.0],
				"top_logprobs": [{"token_id:7": -0.5, "token_id:9": -2.0}, {"token_id:8": -1.0}]}
		}))
		.unwrap();
		assert_eq!(listed.ids(), Some(vec![7, 8]));
		let lp = listed.logprobs(&[7, 8]);
		assert_eq!(lp[0].top.iter().map(|t| t.token).collect::<Vec<_>>(), vec![7, 9]);
		assert_eq!(lp[1].logprob_micro, -1_000_000);
		let llama: Choice = serde_json::from_value(serde_json::json!({
			"text": "ab", "finish_reason": "stop",
			"logprobs": {"content": [{"id": 7, "token": "a", "logprob": -0.25,
				"top_logprobs": [{"id": 7, "token": "a", "logprob": -0.25}]}]}
		}))
		.unwrap();
		assert_eq!(llama.ids(), Some(vec![7]));
		assert_eq!(llama.logprobs(&[7])[0].top[0].logprob_micro, -250_000);
		// Text tokens without ids: nothing to deliver.
		let plain: Choice = serde_json::from_value(serde_json::json!({
			"text": "ab", "finish_reason": "length",
			"logprobs": {"tokens": ["a", "b"], "token_logprobs": [-0.5, -1.0]}
		}))
		.unwrap();
		assert_eq!(plain.ids(), None);
	}
}
