//! What runs a model: the [`Engine`] trait, and the candle engine that runs a Llama-architecture
//! model on this machine.

use std::{fmt, path::Path, sync::Arc};

use candle_core::Device;
use daya_protocol::{
	fingerprint_positions, hex, ids_hash, judge, ChatMessage, CheckReport, ExecutionResult, Fault,
	Fingerprint, Judgement, Policy, Probe, ProbeAnswer, ValidateResponse, FINGERPRINT_DIMS,
	FINGERPRINT_SCALE, LOGPROBS_TOP, VERSION,
};
use tokenizers::Tokenizer;

use crate::{
	chat::plain_chat,
	model::{log_softmax, Llama},
	sampler::Sampler,
	text::{ModelHeader, ModelText},
};

/// A token with its log-probability (for the OpenAI-compatible API).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct TokenLogprob {
	/// Token id in the model's vocabulary.
	pub token: u32,
	/// Natural-log probability in micro-nats.
	pub logprob_micro: i32,
}

/// One generated token: what was chosen and the [`LOGPROBS_TOP`] most likely alternatives.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct OutputToken {
	/// The token generated.
	pub token: u32,
	/// Its log-probability.
	pub logprob_micro: i32,
	/// The most likely tokens at this position, most likely first.
	pub top: Vec<TokenLogprob>,
}

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
	/// The engine cannot check results (see [`Capability::GreedyOnly`]).
	NotVerifiable,
	/// The engine delivers greedy jobs only (see [`Capability::GreedyOnly`]).
	GreedyOnly,
}

impl fmt::Display for EngineError {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			Self::PromptTooLong { tokens, limit } => {
				write!(f, "{tokens} tokens do not fit the model's context of {limit}")
			},
			Self::Invalid(m) | Self::Internal(m) => f.write_str(m),
			Self::NotVerifiable => f.write_str(
				"this engine cannot check results: it has no logits of the registered model to \
				 replay (a proxy); such a host is never drawn as a validator",
			),
			Self::GreedyOnly => f.write_str(
				"this engine serves greedy jobs only (temperature 0): the server it forwards to \
				 cannot replay the protocol's sampler",
			),
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
	/// The output text: the output ids decoded, special tokens left out.
	pub text: String,
	/// The output ids, the end-of-sequence token included when the model stopped.
	pub tokens: Vec<u32>,
	/// Tokens of the prompt.
	pub prompt_tokens: u32,
	/// [`ids_hash`] of the prompt's ids.
	pub prompt_hash: [u8; 32],
	/// Tokens generated (all of [`Self::tokens`]).
	pub completion_tokens: u32,
	/// One per [`daya_protocol::FINGERPRINT_CHUNK`] output tokens.
	pub fingerprints: Vec<Fingerprint>,
	/// Per generated token: its log-probability and the [`LOGPROBS_TOP`] best alternatives.
	pub logprobs: Vec<OutputToken>,
	/// Why it stopped.
	pub finish_reason: FinishReason,
}

impl Generation {
	/// The result a chain job delivers.
	pub fn result(&self) -> ExecutionResult {
		ExecutionResult {
			output: self.text.clone(),
			tokens: self.tokens.clone(),
			prompt_tokens: self.prompt_tokens,
			prompt_hash: hex::to_hex(&self.prompt_hash),
			fingerprints: self.fingerprints.clone(),
		}
	}
}

/// What an engine does for the chain; a host declares it on chain (`ExecutorKind`), which
/// decides the jobs it is drawn for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capability {
	/// Delivers any job (the protocol's sampler, token ids, fingerprints) and checks results:
	/// drawn for every job and as a validator.
	Full,
	/// Delivers greedy jobs only, with token ids but no fingerprints, and checks nothing: a
	/// proxy to a server that returns token ids but neither replays the protocol's sampler nor
	/// shows hidden states. Drawn for greedy jobs only, never as a validator.
	GreedyOnly,
}

impl Capability {
	/// Its name on the wire and in logs: `full` or `greedy_only`.
	pub fn as_str(self) -> &'static str {
		match self {
			Self::Full => "full",
			Self::GreedyOnly => "greedy_only",
		}
	}
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
	/// What the engine does for the chain: every job and every check, or greedy jobs only.
	fn capability(&self) -> Capability {
		Capability::Full
	}
	/// How many tokens `prompt` takes, with the beginning-of-sequence token; `None` if the
	/// engine cannot tell before running it.
	fn prompt_tokens(&self, prompt: &str) -> Result<Option<usize>, EngineError>;
	/// Generates up to `max_tokens` after `prompt` with `sampler`.
	fn generate(
		&self,
		prompt: &str,
		max_tokens: u32,
		sampler: Sampler,
	) -> Result<Generation, EngineError>;
	/// [`Engine::generate`] for a reader who takes the text as it comes (the OpenAI API's
	/// streams and stop sequences): after each token, `on_text` gets the text of every output
	/// token so far, and ends the generation there (finish reason `stop`) by answering `false`.
	/// An engine that cannot tell the tokens as they come calls it once, with the whole text.
	fn generate_streaming(
		&self,
		prompt: &str,
		max_tokens: u32,
		sampler: Sampler,
		on_text: &mut dyn FnMut(&str) -> bool,
	) -> Result<Generation, EngineError> {
		let mut g = self.generate(prompt, max_tokens, sampler)?;
		if !on_text(&g.text) {
			g.finish_reason = FinishReason::Stop;
		}
		Ok(g)
	}
	/// Whether the engine decodes several generations in one batch: [`Engine::start`],
	/// [`Engine::step`] and [`Engine::finish`] run. Those that do not run one generation at a
	/// time ([`Engine::generate_streaming`]).
	fn batches(&self) -> bool {
		false
	}
	/// Starts a generation of up to `max_tokens` after `prompt` with `sampler`: the prompt
	/// prefilled and the first token picked.
	fn start(
		&self,
		_prompt: &str,
		_max_tokens: u32,
		_sampler: Sampler,
	) -> Result<Sequence, EngineError> {
		Err(not_batching())
	}
	/// One more token for every sequence of `batch` still under way, decoded together.
	fn step(&self, _batch: &mut [&mut Sequence]) -> Result<(), EngineError> {
		Err(not_batching())
	}
	/// The generation a sequence made.
	fn finish(&self, _sequence: Sequence) -> Result<Generation, EngineError> {
		Err(not_batching())
	}
	/// Checks `claim`, a result for `prompt` with at most `max_tokens` tokens drawn with
	/// `sampler`, and judges it under `policy`: prompt ids, text, stop, then every position by
	/// teacher forcing (one pass over prompt and output ids) and the fingerprints; and answers
	/// `probe` from the same prefill: the fingerprint of the hidden state at the probe's
	/// position, and the judgement of a claimed probe under `policy`'s fingerprint tolerance.
	fn check(
		&self,
		prompt: &str,
		max_tokens: u32,
		sampler: Sampler,
		claim: &ExecutionResult,
		policy: &Policy,
		probe: Option<Probe>,
	) -> Result<ValidateResponse, EngineError>;
	/// The text of a token, for OpenAI log-probabilities; empty if unknown.
	fn token_text(&self, _token: u32) -> String {
		String::new()
	}
	/// The token ids of `prompt` as a generation reads it (with the beginning-of-sequence id the
	/// model adds); `None` if the engine cannot tell.
	fn tokenize(&self, _prompt: &str) -> Result<Option<Vec<u32>>, EngineError> {
		Ok(None)
	}
	/// The text of `ids` (special tokens left out; an id outside the vocabulary refused);
	/// `None` if the engine cannot tell.
	fn detokenize(&self, _ids: &[u32]) -> Result<Option<String>, EngineError> {
		Ok(None)
	}
	/// The prompt of a chat: `messages` rendered with the model's chat template, ending with the
	/// assistant's turn opened.
	fn render_chat(&self, messages: &[ChatMessage]) -> Result<String, EngineError> {
		plain_chat(messages)
	}
	/// What a dishonest executor would deliver instead of `g` ([`corrupt`]); `g` itself for
	/// engines that cannot tell.
	fn corrupt(&self, g: &Generation) -> Generation {
		g.clone()
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
	fn capability(&self) -> Capability {
		(**self).capability()
	}
	fn prompt_tokens(&self, prompt: &str) -> Result<Option<usize>, EngineError> {
		(**self).prompt_tokens(prompt)
	}
	fn generate(
		&self,
		prompt: &str,
		max_tokens: u32,
		sampler: Sampler,
	) -> Result<Generation, EngineError> {
		(**self).generate(prompt, max_tokens, sampler)
	}
	fn generate_streaming(
		&self,
		prompt: &str,
		max_tokens: u32,
		sampler: Sampler,
		on_text: &mut dyn FnMut(&str) -> bool,
	) -> Result<Generation, EngineError> {
		(**self).generate_streaming(prompt, max_tokens, sampler, on_text)
	}
	fn batches(&self) -> bool {
		(**self).batches()
	}
	fn start(
		&self,
		prompt: &str,
		max_tokens: u32,
		sampler: Sampler,
	) -> Result<Sequence, EngineError> {
		(**self).start(prompt, max_tokens, sampler)
	}
	fn step(&self, batch: &mut [&mut Sequence]) -> Result<(), EngineError> {
		(**self).step(batch)
	}
	fn finish(&self, sequence: Sequence) -> Result<Generation, EngineError> {
		(**self).finish(sequence)
	}
	fn check(
		&self,
		prompt: &str,
		max_tokens: u32,
		sampler: Sampler,
		claim: &ExecutionResult,
		policy: &Policy,
		probe: Option<Probe>,
	) -> Result<ValidateResponse, EngineError> {
		(**self).check(prompt, max_tokens, sampler, claim, policy, probe)
	}
	fn token_text(&self, token: u32) -> String {
		(**self).token_text(token)
	}
	fn tokenize(&self, prompt: &str) -> Result<Option<Vec<u32>>, EngineError> {
		(**self).tokenize(prompt)
	}
	fn detokenize(&self, ids: &[u32]) -> Result<Option<String>, EngineError> {
		(**self).detokenize(ids)
	}
	fn render_chat(&self, messages: &[ChatMessage]) -> Result<String, EngineError> {
		(**self).render_chat(messages)
	}
	fn corrupt(&self, g: &Generation) -> Generation {
		(**self).corrupt(g)
	}
}

fn not_batching() -> EngineError {
	EngineError::Internal("this engine runs one generation at a time".into())
}

/// A natural log-probability in micro-nats.
pub fn to_micro(logprob: f64) -> i32 {
	if logprob.is_nan() {
		return i32::MIN;
	}
	(logprob * 1e6).round().clamp(i32::MIN as f64, i32::MAX as f64) as i32
}

/// What a dishonest executor delivers instead of `g` (`--corrupt-outputs`): every output token
/// but the end-of-sequence one replaced by the next id (wrapping within `vocab`), the text
/// decoded from them by `decode`; the rest as computed. A consistent result, for tests of fraud
/// detection: only the check of its tokens tells it from an honest one.
pub fn corrupt(
	g: &Generation,
	vocab: u32,
	eos: &[u32],
	decode: impl Fn(&[u32]) -> String,
) -> Generation {
	let tokens: Vec<u32> = g
		.tokens
		.iter()
		.map(|&t| if eos.contains(&t) { t } else { (t + 1) % vocab.max(1) })
		.collect();
	Generation { text: decode(&tokens), tokens, ..g.clone() }
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

/// A generation under way: its prompt prefilled, the tokens picked so far, its KV cache. Engines
/// that batch ([`Engine::batches`]) continue several at once ([`Engine::step`]).
pub struct Sequence {
	prompt: Vec<u32>,
	cache: crate::model::Cache,
	sampler: Sampler,
	budget: usize,
	out: Vec<u32>,
	logprobs: Vec<OutputToken>,
	fingerprints: Vec<Fingerprint>,
	last_hidden: Vec<f32>,
	finish: Option<FinishReason>,
	/// The output's text so far, decoded as its characters complete.
	text: String,
	/// The window of output tokens decoding next: `text` holds the text up to `.1`, and
	/// `out[.0..]` decodes with the context the tokenizer's decoder needs.
	read: (usize, usize),
}

impl Sequence {
	/// Why it ended; `None` while it goes on.
	pub fn finished(&self) -> Option<FinishReason> {
		self.finish
	}

	/// Tokens generated so far.
	pub fn tokens(&self) -> usize {
		self.out.len()
	}

	/// Ends it here, as `stop` (its reader stopped reading, or a stop sequence came).
	pub fn stop(&mut self) {
		self.finish.get_or_insert(FinishReason::Stop);
	}

	/// Tells `on_text` the text so far after a new token (not after the end-of-sequence token,
	/// which adds none); a reader who answers `false` ends it as `stop`.
	pub fn tell(&mut self, on_text: &mut dyn FnMut(&str) -> bool) {
		let ended_by_model = self.finish == Some(FinishReason::Stop);
		if !ended_by_model && !on_text(&self.text) {
			self.finish = Some(FinishReason::Stop);
		}
	}
}

/// A Llama-architecture model run with candle.
pub struct CandleEngine {
	name: String,
	model: Llama,
	text: ModelText,
	weights_hash: [u8; 32],
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
			return Self::load_gguf_with(path, name, device, None);
		}
		let header = ModelHeader::read(path)?;
		let model = Llama::load(path, device)?;
		Ok(Self {
			name: name.to_string(),
			model,
			text: header.text,
			weights_hash: header.weights_hash,
		})
	}

	/// A GGUF at `path` with its weights changed by `tamper`, under the file's hashes: what a
	/// dishonest host would serve (for the verification benchmark and tests of fraud
	/// detection).
	pub fn load_tampered(
		path: &Path,
		name: &str,
		device: &Device,
		tamper: crate::gguf::Tamper,
	) -> anyhow::Result<Self> {
		Self::load_gguf_with(path, name, device, Some(tamper))
	}

	fn load_gguf_with(
		path: &Path,
		name: &str,
		device: &Device,
		tamper: Option<crate::gguf::Tamper>,
	) -> anyhow::Result<Self> {
		let g = crate::gguf::load_tampered(path, device, tamper)?;
		Ok(Self {
			name: name.to_string(),
			model: g.model,
			text: g.text,
			weights_hash: g.weights_hash,
		})
	}

	/// The registry's tokenizer hash: the tokenizer and, for GGUF files, the chat template.
	pub fn tokenizer_hash(&self) -> [u8; 32] {
		self.text.hash()
	}

	/// The tokenizer.
	pub fn tokenizer(&self) -> &Tokenizer {
		self.text.tokenizer()
	}

	/// Token ids of `text`, without special tokens.
	pub fn encode(&self, text: &str) -> Result<Vec<u32>, EngineError> {
		self.text.encode(text)
	}

	/// The `n` most likely token ids, best first (ties: lower id first), without the banned
	/// tokens.
	fn top(&self, lp: &[f64], n: usize) -> Vec<u32> {
		let mut best: Vec<u32> = Vec::with_capacity(n + 1);
		// The n-th best so far: most tokens fall below it, with one comparison.
		let mut floor = f64::NEG_INFINITY;
		for (i, v) in lp.iter().enumerate() {
			let i = i as u32;
			if best.len() == n && floor >= *v || self.text.banned().contains(&i) {
				continue;
			}
			let at = best.partition_point(|&w| lp[w as usize] >= *v);
			best.insert(at, i);
			best.truncate(n);
			floor = best.last().map_or(f64::NEG_INFINITY, |&w| lp[w as usize]);
		}
		best
	}

	/// The most bytes one output token adds to a result's text, over the whole vocabulary: the
	/// longer of a token's decoding alone and its decoding after a plain token (decoders that
	/// drop a leading space at the start of a text give it back there); a token that is not
	/// whole UTF-8 text decodes to replacement characters, 3 bytes each. The registry's
	/// `max_token_bytes` for the model, which bounds a result's text by its token count.
	pub fn max_token_bytes(&self) -> u32 {
		let anchor = self.text.encode("a").ok().and_then(|ids| ids.first().copied());
		let len = |ids: &[u32]| self.text.decode(ids).map_or(0, |text| text.len());
		let base = anchor.map_or(0, |a| len(&[a]));
		let most = (0..self.text.vocab() as u32)
			.map(|id| {
				let after = anchor.map_or(0, |a| len(&[a, id]).saturating_sub(base));
				len(&[id]).max(after)
			})
			.max()
			.unwrap_or(0);
		u32::try_from(most).unwrap_or(u32::MAX).max(1)
	}

	/// The fingerprint of one final hidden state: its [`FINGERPRINT_DIMS`] largest dimensions
	/// by magnitude (ties: the lower dimension), with their values.
	pub fn fingerprint(hidden: &[f32]) -> Fingerprint {
		let order = by_magnitude(hidden);
		let mut fp = Fingerprint::default();
		for (k, &d) in order.iter().take(FINGERPRINT_DIMS).enumerate() {
			fp.dims[k] = d as u16;
			fp.values[k] = fingerprint_value(hidden[d]);
		}
		fp
	}

	/// Prefills `prompt` and picks the first token: a generation under way, which
	/// [`Self::step_batch`] continues.
	fn start_sequence(
		&self,
		prompt: &str,
		max_tokens: u32,
		sampler: Sampler,
	) -> Result<Sequence, EngineError> {
		let ids = self.text.encode_prompt(prompt)?;
		let context = self.context_length();
		if ids.is_empty() {
			return Err(EngineError::Invalid("an empty prompt".into()));
		}
		if ids.len() >= context {
			return Err(EngineError::PromptTooLong { tokens: ids.len(), limit: context });
		}
		// Prompt and output together fit the context.
		let budget = (max_tokens as usize).min(context - ids.len());
		let mut cache = self.model.cache(ids.len() + budget);
		let rows = self.model.forward(&ids, &mut cache, ids.len() - 1)?;
		let mut seq = Sequence {
			prompt: ids,
			cache,
			sampler,
			budget,
			out: Vec::new(),
			logprobs: Vec::new(),
			fingerprints: Vec::new(),
			last_hidden: Vec::new(),
			finish: None,
			text: String::new(),
			read: (0, 0),
		};
		self.accept(&mut seq, rows)?;
		Ok(seq)
	}

	/// One more token for each sequence of `batch` still under way, in one forward pass.
	fn step_batch(&self, batch: &mut [&mut Sequence]) -> Result<(), EngineError> {
		let mut going: Vec<&mut Sequence> =
			batch.iter_mut().filter(|s| s.finish.is_none()).map(|s| &mut **s).collect();
		let tokens: Vec<u32> = going.iter().filter_map(|s| s.out.last().copied()).collect();
		if tokens.len() != going.len() {
			return Err(EngineError::Internal("a sequence under way without a token".into()));
		}
		let mut caches: Vec<&mut crate::model::Cache> =
			going.iter_mut().map(|s| &mut s.cache).collect();
		let rows = self.model.forward_batch(&tokens, &mut caches)?;
		// Each sequence picks its token on its own (a softmax and the sampler over the whole
		// vocabulary): side by side on the products' threads, awake from the step's products.
		let parts: Vec<_> =
			going.into_iter().zip(rows.logits.into_iter().zip(rows.hidden)).collect();
		daya_kernels::parallel_map(parts, &|(seq, (logits, hidden))| {
			self.accept(seq, crate::model::Rows { logits: vec![logits], hidden: vec![hidden] })
		})
		.into_iter()
		.collect()
	}

	/// Picks `seq`'s next token from the last row of `rows`, with its log-probabilities and
	/// (at a chunk's end) its fingerprint, and tells its text.
	fn accept(&self, seq: &mut Sequence, mut rows: crate::model::Rows) -> Result<(), EngineError> {
		let (Some(row), Some(hidden)) = (rows.logits.pop(), rows.hidden.pop()) else {
			return Err(EngineError::Internal("the model returned no logits".into()));
		};
		let position = seq.out.len() as u32;
		let lp = log_softmax(&row);
		let token = seq.sampler.pick(&lp, position, self.text.banned());
		seq.logprobs.push(OutputToken {
			token,
			logprob_micro: to_micro(lp[token as usize]),
			top: self
				.top(&lp, LOGPROBS_TOP)
				.iter()
				.map(|&t| TokenLogprob { token: t, logprob_micro: to_micro(lp[t as usize]) })
				.collect(),
		});
		seq.out.push(token);
		if seq.out.len().is_multiple_of(daya_protocol::FINGERPRINT_CHUNK as usize) {
			seq.fingerprints.push(Self::fingerprint(&hidden));
		}
		seq.last_hidden = hidden;
		if self.text.eos().contains(&token) {
			seq.finish = Some(FinishReason::Stop);
			return Ok(());
		}
		// The text so far, decoded a few tokens at a time: the window from the last complete
		// text on, which keeps what a token adds between tokens and waits for a character
		// whose bytes span tokens.
		let (prefix, read) = seq.read;
		let before = self.text.decode(&seq.out[prefix..read])?;
		let now = self.text.decode(&seq.out[prefix..])?;
		if now.len() > before.len() && !now.ends_with('\u{FFFD}') {
			if let Some(new) = now.get(before.len()..) {
				seq.text.push_str(new);
				seq.read = (read, seq.out.len());
			}
		}
		if seq.out.len() >= seq.budget {
			seq.finish = Some(FinishReason::Length);
		}
		Ok(())
	}

	/// The generation `seq` made.
	fn finish_sequence(&self, mut seq: Sequence) -> Result<Generation, EngineError> {
		if !seq.out.len().is_multiple_of(daya_protocol::FINGERPRINT_CHUNK as usize) {
			seq.fingerprints.push(Self::fingerprint(&seq.last_hidden));
		}
		Ok(Generation {
			text: self.text.decode(&seq.out)?,
			prompt_tokens: seq.prompt.len() as u32,
			prompt_hash: ids_hash(&seq.prompt),
			completion_tokens: seq.out.len() as u32,
			tokens: seq.out,
			fingerprints: seq.fingerprints,
			logprobs: seq.logprobs,
			finish_reason: seq.finish.unwrap_or(FinishReason::Length),
		})
	}

	fn run_generation(
		&self,
		prompt: &str,
		max_tokens: u32,
		sampler: Sampler,
		mut on_text: Option<&mut dyn FnMut(&str) -> bool>,
	) -> Result<Generation, EngineError> {
		let mut seq = self.start_sequence(prompt, max_tokens, sampler)?;
		loop {
			if let Some(on_text) = on_text.as_mut() {
				seq.tell(*on_text);
			}
			if seq.finish.is_some() {
				return self.finish_sequence(seq);
			}
			self.step_batch(&mut [&mut seq])?;
		}
	}

	fn run_check(
		&self,
		prompt: &str,
		max_tokens: u32,
		sampler: Sampler,
		claim: &ExecutionResult,
		policy: &Policy,
		probe: Option<Probe>,
	) -> Result<ValidateResponse, EngineError> {
		let invalid = |fault| {
			Ok(ValidateResponse {
				version: VERSION,
				judgement: Judgement::Invalid(fault),
				report: CheckReport::default(),
				probe: None,
			})
		};
		let prompt_ids = self.text.encode_prompt(prompt)?;
		if prompt_ids.is_empty() {
			return Err(EngineError::Invalid("an empty prompt".into()));
		}
		if claim.prompt_tokens as usize != prompt_ids.len()
			|| hex::parse_hash(&claim.prompt_hash) != Some(ids_hash(&prompt_ids))
		{
			return invalid(Fault::Prompt);
		}
		let tokens = &claim.tokens;
		let n = tokens.len();
		let vocab = self.model.config().vocab_size;
		let context = self.context_length();
		let eos_before_end =
			tokens[..n.saturating_sub(1)].iter().any(|t| self.text.eos().contains(t));
		if n == 0
			|| n > max_tokens as usize
			|| prompt_ids.len() + n > context
			|| tokens.iter().any(|&t| t as usize >= vocab)
			|| eos_before_end
			|| !fingerprints_complete(claim, n, sampler)
			|| claim
				.fingerprints
				.iter()
				.any(|f| f.dims.iter().any(|&d| d as usize >= self.model.config().hidden_size))
		{
			return invalid(Fault::Malformed);
		}
		if self.text.decode(tokens)? != claim.output {
			return invalid(Fault::Malformed);
		}
		let stopped = tokens.last().is_some_and(|t| self.text.eos().contains(t));
		if !stopped && n < max_tokens as usize && prompt_ids.len() + n < context {
			return invalid(Fault::Truncated { position: n as u32 });
		}
		// Teacher forcing: the logits at sequence position p predict token p + 1, so the rows of
		// the last prompt token up to the one before the last output token.
		let mut ids = prompt_ids.clone();
		ids.extend_from_slice(&tokens[..n - 1]);
		let mut cache = self.model.cache(ids.len());
		let rows = self.model.forward(&ids, &mut cache, prompt_ids.len() - 1)?;
		let margins: Vec<u32> = rows
			.logits
			.iter()
			.zip(tokens)
			.enumerate()
			.map(|(position, (row, &token))| {
				sampler.margin_micro(&log_softmax(row), position as u32, self.text.banned(), token)
			})
			.collect();
		let deviations: Vec<u32> = fingerprint_positions(n as u32)
			.zip(&claim.fingerprints)
			.map(|(position, fp)| deviation_ppm(&rows.hidden[position as usize], fp))
			.collect();
		let (judgement, report) = judge(&margins, &deviations, policy);
		let probe = probe.and_then(|probe| {
			let hidden = rows.hidden.get(probe.position as usize)?;
			let judgement = probe.claimed.map(|claimed| {
				let deviation_ppm = deviation_ppm(hidden, &claimed);
				if deviation_ppm <= policy.fingerprint_tolerance_ppm {
					Judgement::Valid
				} else {
					Judgement::Invalid(Fault::Probe { deviation_ppm })
				}
			});
			Some(ProbeAnswer { fingerprint: Self::fingerprint(hidden), judgement })
		});
		Ok(ValidateResponse { version: VERSION, judgement, report, probe })
	}
}

/// Whether a claim carries one fingerprint per chunk, or none for a greedy job: the chain takes
/// a greedy result without fingerprints from a greedy-only host only
/// ([`Capability::GreedyOnly`]), whose tokens alone are then checked.
fn fingerprints_complete(claim: &ExecutionResult, n: usize, sampler: Sampler) -> bool {
	let expected = fingerprint_positions(n as u32).count();
	claim.fingerprints.len() == expected
		|| (claim.fingerprints.is_empty() && sampler.temperature_milli == 0)
}

/// Dimensions of `hidden` by magnitude, largest first (ties: the lower dimension).
fn by_magnitude(hidden: &[f32]) -> Vec<usize> {
	let mut order: Vec<usize> = (0..hidden.len()).collect();
	order.sort_by(|&a, &b| hidden[b].abs().total_cmp(&hidden[a].abs()).then(a.cmp(&b)));
	order
}

fn fingerprint_value(v: f32) -> i32 {
	let scaled = (f64::from(v) * f64::from(FINGERPRINT_SCALE)).round();
	if scaled.is_nan() {
		0
	} else {
		scaled.clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32
	}
}

/// How far a claimed fingerprint is from the validator's hidden state, in parts per million of
/// the validator's largest magnitude: the largest difference over the claimed dimensions, or
/// the whole scale (1,000,000) when a claimed dimension is not among the validator's
/// `2 * FINGERPRINT_DIMS` largest or is claimed twice (a fingerprint must show the state's
/// largest dimensions, not ones chosen to match).
pub fn deviation_ppm(hidden: &[f32], claimed: &Fingerprint) -> u32 {
	let order = by_magnitude(hidden);
	let top = &order[..order.len().min(2 * FINGERPRINT_DIMS)];
	let Some(&largest) = order.first() else { return 1_000_000 };
	let scale = i64::from(fingerprint_value(hidden[largest].abs())).max(1);
	let mut worst = 0i64;
	for (k, (&d, &v)) in claimed.dims.iter().zip(&claimed.values).enumerate() {
		if !top.contains(&(d as usize)) || claimed.dims[..k].contains(&d) {
			return 1_000_000;
		}
		let mine = i64::from(fingerprint_value(hidden[d as usize]));
		worst = worst.max((mine - i64::from(v)).abs());
	}
	u32::try_from(worst.saturating_mul(1_000_000) / scale).unwrap_or(u32::MAX)
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
		Ok(Some(self.text.encode_prompt(prompt)?.len()))
	}

	fn generate(
		&self,
		prompt: &str,
		max_tokens: u32,
		sampler: Sampler,
	) -> Result<Generation, EngineError> {
		self.run_generation(prompt, max_tokens, sampler, None)
	}

	fn generate_streaming(
		&self,
		prompt: &str,
		max_tokens: u32,
		sampler: Sampler,
		on_text: &mut dyn FnMut(&str) -> bool,
	) -> Result<Generation, EngineError> {
		self.run_generation(prompt, max_tokens, sampler, Some(on_text))
	}

	fn check(
		&self,
		prompt: &str,
		max_tokens: u32,
		sampler: Sampler,
		claim: &ExecutionResult,
		policy: &Policy,
		probe: Option<Probe>,
	) -> Result<ValidateResponse, EngineError> {
		self.run_check(prompt, max_tokens, sampler, claim, policy, probe)
	}

	fn batches(&self) -> bool {
		true
	}

	fn start(
		&self,
		prompt: &str,
		max_tokens: u32,
		sampler: Sampler,
	) -> Result<Sequence, EngineError> {
		self.start_sequence(prompt, max_tokens, sampler)
	}

	fn step(&self, batch: &mut [&mut Sequence]) -> Result<(), EngineError> {
		self.step_batch(batch)
	}

	fn finish(&self, sequence: Sequence) -> Result<Generation, EngineError> {
		self.finish_sequence(sequence)
	}

	fn corrupt(&self, g: &Generation) -> Generation {
		let vocab = self.model.config().vocab_size as u32;
		corrupt(g, vocab, self.text.eos(), |ids| self.text.decode(ids).unwrap_or_default())
	}

	fn token_text(&self, token: u32) -> String {
		self.text.token_text(token)
	}

	fn tokenize(&self, prompt: &str) -> Result<Option<Vec<u32>>, EngineError> {
		self.text.encode_prompt(prompt).map(Some)
	}

	fn detokenize(&self, ids: &[u32]) -> Result<Option<String>, EngineError> {
		self.text.detokenize(ids).map(Some)
	}

	fn render_chat(&self, messages: &[ChatMessage]) -> Result<String, EngineError> {
		self.text.render_chat(messages)
	}
}
