//! What runs a model: the [`Engine`] trait, and the candle engine that runs a Llama-architecture
//! model on this machine.

use std::{fmt, path::Path, sync::Arc};

use candle_core::Device;
use daya_protocol::{
	similarity, token_accepted, top_k_for, ChatMessage, OutputToken, TokenLogprob,
	ValidateResponse, LOGPROBS_TOP, SAMPLING_TOP_K, VERSION,
};
use tokenizers::Tokenizer;

use crate::{
	chat::{plain_chat, ChatTemplate},
	dev_model::SplitMix64,
	model::{log_softmax, Llama},
};

/// Why an engine refused or failed a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineError {
	/// The prompt (with the output, when scoring) does not fit the model's context.
	PromptTooLong {
		/// Tokens it has.
		tokens: usize,
		/// Tokens the model takes.
		limit: usize,
	},
	/// A request the engine cannot run (e.g. text its tokenizer refuses).
	Invalid(String),
	/// The engine failed (device, upstream server, ...).
	Internal(String),
}

impl fmt::Display for EngineError {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			Self::PromptTooLong { tokens, limit } => {
				write!(f, "{tokens} tokens do not fit the model's context of {limit}")
			},
			Self::Invalid(m) | Self::Internal(m) => f.write_str(m),
		}
	}
}

impl std::error::Error for EngineError {}

impl From<anyhow::Error> for EngineError {
	fn from(e: anyhow::Error) -> Self {
		Self::Internal(format!("{e:#}"))
	}
}

/// Why a generation stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinishReason {
	/// The model ended the sequence.
	Stop,
	/// `max_tokens` or the context length was reached.
	Length,
}

impl FinishReason {
	/// The OpenAI name.
	pub fn as_str(self) -> &'static str {
		match self {
			Self::Stop => "stop",
			Self::Length => "length",
		}
	}
}

/// A generated output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generation {
	/// The output text.
	pub text: String,
	/// Tokens of the prompt (with the beginning-of-sequence token).
	pub prompt_tokens: u32,
	/// Tokens generated (without the end-of-sequence token).
	pub completion_tokens: u32,
	/// Per generated token: its log-probability and the [`LOGPROBS_TOP`] best alternatives.
	pub logprobs: Vec<OutputToken>,
	/// Why it stopped.
	pub finish_reason: FinishReason,
}

/// A model an executor serves. Calls block (run them on a blocking thread).
pub trait Engine: Send + Sync {
	/// The model's name in the registry.
	fn model_name(&self) -> &str;
	/// The weights hash ([`crate::hash::weights_hash`]); `None` when the engine cannot know it
	/// (a proxy), in which case requests are not checked against it.
	fn weights_hash(&self) -> Option<[u8; 32]>;
	/// The context length in tokens.
	fn context_length(&self) -> usize;
	/// How many tokens `prompt` takes, with the beginning-of-sequence token; `None` if the
	/// engine cannot tell before running it.
	fn prompt_tokens(&self, prompt: &str) -> Result<Option<usize>, EngineError>;
	/// Generates up to `max_tokens` after `prompt`. `temperature_milli` 0 is greedy; otherwise
	/// sampling among the [`SAMPLING_TOP_K`] best, seeded by `seed`.
	fn generate(
		&self,
		prompt: &str,
		max_tokens: u32,
		temperature_milli: u32,
		seed: u64,
	) -> Result<Generation, EngineError>;
	/// Re-scores `output` after `prompt` by teacher forcing (one pass over both) with the
	/// acceptance rule of the protocol ([`token_accepted`]).
	fn score(
		&self,
		prompt: &str,
		output: &str,
		temperature_milli: u32,
	) -> Result<ValidateResponse, EngineError>;
	/// The text of a token, for OpenAI log-probabilities; empty if unknown.
	fn token_text(&self, _token: u32) -> String {
		String::new()
	}
	/// The prompt of a chat: `messages` rendered with the model's chat template, ending with the
	/// assistant's turn opened.
	fn render_chat(&self, messages: &[ChatMessage]) -> Result<String, EngineError> {
		plain_chat(messages)
	}
}

impl<E: Engine + ?Sized> Engine for Arc<E> {
	fn model_name(&self) -> &str {
		(**self).model_name()
	}
	fn weights_hash(&self) -> Option<[u8; 32]> {
		(**self).weights_hash()
	}
	fn context_length(&self) -> usize {
		(**self).context_length()
	}
	fn prompt_tokens(&self, prompt: &str) -> Result<Option<usize>, EngineError> {
		(**self).prompt_tokens(prompt)
	}
	fn generate(
		&self,
		prompt: &str,
		max_tokens: u32,
		temperature_milli: u32,
		seed: u64,
	) -> Result<Generation, EngineError> {
		(**self).generate(prompt, max_tokens, temperature_milli, seed)
	}
	fn score(
		&self,
		prompt: &str,
		output: &str,
		temperature_milli: u32,
	) -> Result<ValidateResponse, EngineError> {
		(**self).score(prompt, output, temperature_milli)
	}
	fn token_text(&self, token: u32) -> String {
		(**self).token_text(token)
	}
	fn render_chat(&self, messages: &[ChatMessage]) -> Result<String, EngineError> {
		(**self).render_chat(messages)
	}
}

/// A natural log-probability in micro-nats.
pub fn to_micro(logprob: f64) -> i32 {
	if logprob.is_nan() {
		return i32::MIN;
	}
	(logprob * 1e6).round().clamp(i32::MIN as f64, i32::MAX as f64) as i32
}

/// What a dishonest executor returns instead of `text` (`--corrupt-outputs`): every printable
/// ASCII character shifted by one (`~` wraps to space), other characters kept. Deterministic,
/// same length, still valid text of the dev model's vocabulary.
pub fn corrupt(text: &str) -> String {
	text.chars()
		.map(|c| match c {
			'~' => ' ',
			' '..='}' => char::from(c as u8 + 1),
			'\n' => '!',
			other => other,
		})
		.collect()
}

/// The device the candle engine runs on: the first CUDA device with the `cuda` feature when
/// there is one, the CPU otherwise.
pub fn default_device() -> Device {
	#[cfg(feature = "cuda")]
	{
		if let Ok(device) = Device::new_cuda(0) {
			return device;
		}
	}
	Device::Cpu
}

/// A Llama-architecture model run with candle.
pub struct CandleEngine {
	name: String,
	model: Llama,
	tokenizer: Tokenizer,
	weights_hash: [u8; 32],
	tokenizer_hash: [u8; 32],
	chat_template: Option<ChatTemplate>,
	/// The beginning-of-sequence token every prompt starts with, if the model adds one.
	bos: Option<u32>,
	eos: Vec<u32>,
	/// Tokens never generated and left out of the rankings: `<unk>` and the BOS.
	banned: Vec<u32>,
}

impl CandleEngine {
	/// Loads the model at `path` under the registry name `name`, on [`default_device`]: a GGUF
	/// file, or a directory with `config.json`, `*.safetensors` and `tokenizer.json` (and the
	/// chat template in `tokenizer_config.json`, if any).
	pub fn load(path: &Path, name: &str) -> anyhow::Result<Self> {
		Self::load_on(path, name, &default_device())
	}

	/// As [`Self::load`], on `device`.
	pub fn load_on(path: &Path, name: &str, device: &Device) -> anyhow::Result<Self> {
		if path.is_file() {
			return Self::load_gguf(path, name, device);
		}
		use anyhow::Context;
		let dir = path;
		let model = Llama::load(dir, device)?;
		let file = dir.join("tokenizer.json");
		let tokenizer = Tokenizer::from_file(&file)
			.map_err(|e| anyhow::anyhow!("loading {}: {e}", file.display()))?;
		let weights_hash = crate::hash::weights_hash(dir).context("hashing the weights")?;
		let tokenizer_hash = crate::hash::tokenizer_hash(dir).context("hashing the tokenizer")?;
		let config = model.config();
		let bos = config.bos_token_id.or_else(|| tokenizer.token_to_id("<s>"));
		let mut eos = config.eos_ids();
		if eos.is_empty() {
			eos.extend(tokenizer.token_to_id("</s>"));
		}
		let chat_template = hf_chat_template(dir)?
			.map(|source| Self::template(&source, &tokenizer, bos, &eos))
			.transpose()?;
		Ok(Self::assemble(
			name,
			model,
			tokenizer,
			weights_hash,
			tokenizer_hash,
			chat_template,
			bos,
			eos,
		))
	}

	fn load_gguf(path: &Path, name: &str, device: &Device) -> anyhow::Result<Self> {
		let g = crate::gguf::load(path, device)?;
		let config = g.model.config();
		let bos = config.bos_token_id.filter(|_| g.add_bos);
		let eos = config.eos_ids();
		let chat_template = g
			.chat_template
			.as_deref()
			.map(|source| Self::template(source, &g.tokenizer, config.bos_token_id, &eos))
			.transpose()?;
		// The tokenizer hash covers everything that turns a payload into ids: the tokenizer and
		// the chat template.
		let mut covered = g.tokenizer_hash.to_vec();
		covered.extend(chat_template.as_ref().map(|t| t.hash()).unwrap_or_default());
		let tokenizer_hash = crate::hash::blake2_256(&covered);
		Ok(Self::assemble(
			name,
			g.model,
			g.tokenizer,
			g.weights_hash,
			tokenizer_hash,
			chat_template,
			bos,
			eos,
		))
	}

	fn template(
		source: &str,
		tokenizer: &Tokenizer,
		bos: Option<u32>,
		eos: &[u32],
	) -> anyhow::Result<ChatTemplate> {
		let text = |id: Option<u32>| id.and_then(|i| tokenizer.id_to_token(i)).unwrap_or_default();
		ChatTemplate::new(source, &text(bos), &text(eos.first().copied()))
	}

	#[allow(clippy::too_many_arguments)]
	fn assemble(
		name: &str,
		model: Llama,
		tokenizer: Tokenizer,
		weights_hash: [u8; 32],
		tokenizer_hash: [u8; 32],
		chat_template: Option<ChatTemplate>,
		bos: Option<u32>,
		eos: Vec<u32>,
	) -> Self {
		let unk = tokenizer.token_to_id("<unk>");
		let mut banned: Vec<u32> = bos.into_iter().chain(unk).collect();
		banned.retain(|t| !eos.contains(t));
		banned.sort_unstable();
		banned.dedup();
		Self {
			name: name.to_string(),
			model,
			tokenizer,
			weights_hash,
			tokenizer_hash,
			chat_template,
			bos,
			eos,
			banned,
		}
	}

	/// BLAKE2-256 of the model's `tokenizer.json`.
	pub fn tokenizer_hash(&self) -> [u8; 32] {
		self.tokenizer_hash
	}

	/// The tokenizer.
	pub fn tokenizer(&self) -> &Tokenizer {
		&self.tokenizer
	}

	/// Token ids of `text`, without special tokens.
	pub fn encode(&self, text: &str) -> Result<Vec<u32>, EngineError> {
		self.tokenizer
			.encode(text, false)
			.map(|e| e.get_ids().to_vec())
			.map_err(|e| EngineError::Invalid(format!("tokenizing: {e}")))
	}

	fn encode_prompt(&self, prompt: &str) -> Result<Vec<u32>, EngineError> {
		let mut ids: Vec<u32> = self.bos.into_iter().collect();
		ids.extend(self.encode(prompt)?);
		Ok(ids)
	}

	/// Token ids ranked by log-probability, best first (ties: lower id first), without the
	/// banned tokens.
	fn ranked(&self, lp: &[f64]) -> Vec<u32> {
		let mut ids: Vec<u32> = (0..lp.len() as u32).filter(|t| !self.banned.contains(t)).collect();
		ids.sort_by(|a, b| lp[*b as usize].total_cmp(&lp[*a as usize]).then(a.cmp(b)));
		ids
	}

	fn run_generation(
		&self,
		prompt: &str,
		max_tokens: u32,
		temperature_milli: u32,
		seed: u64,
	) -> Result<Generation, EngineError> {
		let ids = self.encode_prompt(prompt)?;
		let context = self.context_length();
		if ids.len() >= context {
			return Err(EngineError::PromptTooLong { tokens: ids.len(), limit: context });
		}
		let mut cache = self.model.cache();
		let mut logits = self.model.forward(&ids, &mut cache, ids.len() - 1)?.pop();
		let mut rng = SplitMix64(seed);
		let mut out = Vec::new();
		let mut logprobs = Vec::new();
		let mut finish = FinishReason::Length;
		while let Some(row) = logits.take() {
			if out.len() >= max_tokens as usize {
				break;
			}
			let lp = log_softmax(&row);
			let ranked = self.ranked(&lp);
			let token = if temperature_milli == 0 {
				ranked[0]
			} else {
				let t = f64::from(temperature_milli) / 1000.0;
				let top = &ranked[..ranked.len().min(SAMPLING_TOP_K)];
				let best = lp[top[0] as usize];
				let weights: Vec<f64> =
					top.iter().map(|&i| ((lp[i as usize] - best) / t).exp()).collect();
				let total: f64 = weights.iter().sum();
				let mut u = rng.next_f64() * total;
				let mut pick = top[top.len() - 1];
				for (&i, w) in top.iter().zip(&weights) {
					if u < *w {
						pick = i;
						break;
					}
					u -= w;
				}
				pick
			};
			if self.eos.contains(&token) {
				finish = FinishReason::Stop;
				break;
			}
			logprobs.push(OutputToken {
				token,
				logprob_micro: to_micro(lp[token as usize]),
				top: ranked
					.iter()
					.take(LOGPROBS_TOP)
					.map(|&t| TokenLogprob { token: t, logprob_micro: to_micro(lp[t as usize]) })
					.collect(),
			});
			out.push(token);
			if cache.pos >= context || out.len() >= max_tokens as usize {
				break;
			}
			logits = self.model.forward(&[token], &mut cache, 0)?.pop();
		}
		let text = self
			.tokenizer
			.decode(&out, true)
			.map_err(|e| EngineError::Internal(format!("decoding: {e}")))?;
		Ok(Generation {
			text,
			prompt_tokens: ids.len() as u32,
			completion_tokens: out.len() as u32,
			logprobs,
			finish_reason: finish,
		})
	}
}

impl Engine for CandleEngine {
	fn model_name(&self) -> &str {
		&self.name
	}

	fn weights_hash(&self) -> Option<[u8; 32]> {
		Some(self.weights_hash)
	}

	fn context_length(&self) -> usize {
		self.model.config().max_position_embeddings
	}

	fn prompt_tokens(&self, prompt: &str) -> Result<Option<usize>, EngineError> {
		Ok(Some(self.encode_prompt(prompt)?.len()))
	}

	fn generate(
		&self,
		prompt: &str,
		max_tokens: u32,
		temperature_milli: u32,
		seed: u64,
	) -> Result<Generation, EngineError> {
		self.run_generation(prompt, max_tokens, temperature_milli, seed)
	}

	fn score(
		&self,
		prompt: &str,
		output: &str,
		temperature_milli: u32,
	) -> Result<ValidateResponse, EngineError> {
		let mut ids = self.encode_prompt(prompt)?;
		let output = self.encode(output)?;
		if output.is_empty() {
			return Ok(ValidateResponse {
				version: VERSION,
				similarity_ppb: similarity(0, 0),
				tokens: 0,
				accepted: 0,
			});
		}
		let prompt_len = ids.len();
		ids.extend_from_slice(&output);
		let context = self.context_length();
		if ids.len() > context {
			return Err(EngineError::PromptTooLong { tokens: ids.len(), limit: context });
		}
		if prompt_len == 0 {
			return Err(EngineError::Invalid("an empty prompt without a BOS token".into()));
		}
		let mut cache = self.model.cache();
		// The logits at position p predict token p + 1: those of the last prompt token up to
		// the one before the last output token.
		let rows = self.model.forward(&ids[..ids.len() - 1], &mut cache, prompt_len - 1)?;
		let k = top_k_for(temperature_milli);
		let mut accepted = 0u32;
		for (row, &token) in rows.iter().zip(&output) {
			let lp = log_softmax(row);
			let ranked: Vec<i32> =
				self.ranked(&lp).iter().take(k).map(|&t| to_micro(lp[t as usize])).collect();
			if token_accepted(to_micro(lp[token as usize]), &ranked, k) {
				accepted += 1;
			}
		}
		let total = output.len() as u32;
		Ok(ValidateResponse {
			version: VERSION,
			similarity_ppb: similarity(accepted, total),
			tokens: total,
			accepted,
		})
	}

	fn token_text(&self, token: u32) -> String {
		self.tokenizer.decode(&[token], false).unwrap_or_default()
	}

	fn render_chat(&self, messages: &[ChatMessage]) -> Result<String, EngineError> {
		match &self.chat_template {
			Some(t) => t.render(messages),
			None => plain_chat(messages),
		}
	}
}

/// The `chat_template` of `dir/tokenizer_config.json`, if there is one.
fn hf_chat_template(dir: &Path) -> anyhow::Result<Option<String>> {
	let path = dir.join("tokenizer_config.json");
	let Ok(text) = std::fs::read_to_string(&path) else { return Ok(None) };
	let config: serde_json::Value = serde_json::from_str(&text)
		.map_err(|e| anyhow::anyhow!("parsing {}: {e}", path.display()))?;
	Ok(config.get("chat_template").and_then(|t| t.as_str()).map(str::to_string))
}
