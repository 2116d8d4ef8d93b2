//! What turns a payload into token ids and ids back into text, for a registered model: the
//! tokenizer, the chat template, the beginning- and end-of-sequence ids, and the hash that
//! covers them. The candle engine and the proxy share it, so a prompt has the same ids whichever
//! engine runs it.

use std::path::Path;

use anyhow::Context;
use daya_protocol::ChatMessage;
use tokenizers::Tokenizer;

use crate::{
	chat::{plain_chat, ChatTemplate},
	engine::EngineError,
	model::LlamaConfig,
};

/// A model's text side.
pub struct ModelText {
	tokenizer: Tokenizer,
	hash: [u8; 32],
	chat_template: Option<ChatTemplate>,
	/// The beginning-of-sequence token every prompt starts with, if the model adds one.
	bos: Option<u32>,
	eos: Vec<u32>,
	/// Tokens never generated and left out of the rankings: `<unk>` and the BOS.
	banned: Vec<u32>,
	vocab: usize,
}

/// A model's text side, weights hash and hyper-parameters, read without its tensors.
pub struct ModelHeader {
	/// Tokenizer, chat template and special ids.
	pub text: ModelText,
	/// The weights hash ([`crate::hash::weights_hash`] or [`crate::gguf::weights_hash`]).
	pub weights_hash: [u8; 32],
	/// The hyper-parameters.
	pub config: LlamaConfig,
}

impl ModelHeader {
	/// Reads the model at `path` (a GGUF file, or an HF directory with `config.json`,
	/// `*.safetensors` and `tokenizer.json`) without loading its tensors.
	pub fn read(path: &Path) -> anyhow::Result<Self> {
		if path.is_file() {
			return crate::gguf::header(path);
		}
		let dir = path;
		let config = LlamaConfig::load(dir)?;
		let file = dir.join("tokenizer.json");
		let tokenizer = Tokenizer::from_file(&file)
			.map_err(|e| anyhow::anyhow!("loading {}: {e}", file.display()))?;
		let weights_hash = crate::hash::weights_hash(dir).context("hashing the weights")?;
		let tokenizer_hash = crate::hash::tokenizer_hash(dir).context("hashing the tokenizer")?;
		let bos = config.bos_token_id.or_else(|| tokenizer.token_to_id("<s>"));
		let mut eos = config.eos_ids();
		if eos.is_empty() {
			eos.extend(tokenizer.token_to_id("</s>"));
		}
		let template = hf_chat_template(dir)?;
		let text = ModelText::new(
			tokenizer,
			tokenizer_hash,
			template.as_deref(),
			bos,
			bos,
			eos,
			config.vocab_size,
			false,
		)?;
		Ok(Self { text, weights_hash, config })
	}
}

impl ModelText {
	/// Assembles a text side. `bos` starts every prompt; `template_bos` is the id the chat
	/// template's `bos_token` renders as; with `hash_template` the hash covers the chat template
	/// too (GGUF files, where `tokenizer_hash` covers the tokenizer alone).
	#[allow(clippy::too_many_arguments)]
	pub fn new(
		tokenizer: Tokenizer,
		tokenizer_hash: [u8; 32],
		template: Option<&str>,
		bos: Option<u32>,
		template_bos: Option<u32>,
		eos: Vec<u32>,
		vocab: usize,
		hash_template: bool,
	) -> anyhow::Result<Self> {
		let text = |id: Option<u32>| id.and_then(|i| tokenizer.id_to_token(i)).unwrap_or_default();
		let chat_template = template
			.map(|source| {
				ChatTemplate::new(source, &text(template_bos), &text(eos.first().copied()))
			})
			.transpose()?;
		let hash = if hash_template {
			let mut covered = tokenizer_hash.to_vec();
			covered.extend(chat_template.as_ref().map(|t| t.hash()).unwrap_or_default());
			crate::hash::blake2_256(&covered)
		} else {
			tokenizer_hash
		};
		let unk = tokenizer.token_to_id("<unk>");
		let mut banned: Vec<u32> = bos.into_iter().chain(unk).collect();
		banned.retain(|t| !eos.contains(t));
		banned.sort_unstable();
		banned.dedup();
		Ok(Self { tokenizer, hash, chat_template, bos, eos, banned, vocab })
	}

	/// The tokenizer.
	pub fn tokenizer(&self) -> &Tokenizer {
		&self.tokenizer
	}

	/// The tokenizer hash the registry holds: the tokenizer and, for GGUF files, the chat
	/// template.
	pub fn hash(&self) -> [u8; 32] {
		self.hash
	}

	/// The end-of-sequence ids.
	pub fn eos(&self) -> &[u32] {
		&self.eos
	}

	/// Ids never generated: `<unk>` and the beginning-of-sequence id.
	pub fn banned(&self) -> &[u32] {
		&self.banned
	}

	/// The vocabulary's size.
	pub fn vocab(&self) -> usize {
		self.vocab
	}

	/// Token ids of `text`, without special tokens added.
	pub fn encode(&self, text: &str) -> Result<Vec<u32>, EngineError> {
		self.tokenizer
			.encode(text, false)
			.map(|e| e.get_ids().to_vec())
			.map_err(|e| EngineError::Invalid(format!("tokenizing: {e}")))
	}

	/// The ids of a prompt: the beginning-of-sequence id if the model adds one, then `prompt`'s.
	pub fn encode_prompt(&self, prompt: &str) -> Result<Vec<u32>, EngineError> {
		let mut ids: Vec<u32> = self.bos.into_iter().collect();
		ids.extend(self.encode(prompt)?);
		Ok(ids)
	}

	/// The text of `ids`, special tokens left out.
	pub fn decode(&self, ids: &[u32]) -> Result<String, EngineError> {
		self.tokenizer
			.decode(ids, true)
			.map_err(|e| EngineError::Internal(format!("decoding: {e}")))
	}

	/// The text of `ids` a caller gave (`/detokenize`): special tokens left out; an id outside
	/// the vocabulary is refused.
	pub fn detokenize(&self, ids: &[u32]) -> Result<String, EngineError> {
		if let Some(id) = ids.iter().find(|&&id| id as usize >= self.vocab) {
			return Err(EngineError::Invalid(format!(
				"token {id} is outside the vocabulary of {}",
				self.vocab
			)));
		}
		self.decode(ids)
	}

	/// The text of one token, special or not; empty if unknown.
	pub fn token_text(&self, token: u32) -> String {
		self.tokenizer.decode(&[token], false).unwrap_or_default()
	}

	/// `messages` rendered with the model's chat template (or as plain lines without one),
	/// ending with the assistant's turn opened.
	pub fn render_chat(&self, messages: &[ChatMessage]) -> Result<String, EngineError> {
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
