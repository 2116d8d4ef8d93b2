//! The development model: a small Llama-architecture model with deterministic pseudo-random
//! weights and a character-level tokenizer. Every run on every machine writes the same bytes, so
//! its hashes are constants ([`daya_protocol::dev_model`]).
//!
//! It knows nothing (its weights are noise) but exercises the whole path: loading, generation,
//! log-probabilities and validation, with a peaked enough distribution that a corrupted output is
//! told apart from an honest one.

use std::{fs, io, path::Path};

/// Vocabulary: `<unk>`, `<s>`, `</s>`, `\n`, then printable ASCII `' '..='~'`.
pub const VOCAB_SIZE: usize = 99;
/// Model width.
pub const HIDDEN_SIZE: usize = 256;
/// MLP width.
pub const INTERMEDIATE_SIZE: usize = 688;
/// Transformer blocks.
pub const LAYERS: usize = 4;
/// Attention heads.
pub const HEADS: usize = 8;
/// Key/value heads (grouped-query attention).
pub const KV_HEADS: usize = 2;
/// Context length.
pub const CONTEXT: usize = 2048;
/// `<unk>`.
pub const UNK_ID: u32 = 0;
/// `<s>`, the beginning of sequence.
pub const BOS_ID: u32 = 1;
/// `</s>`, the end of sequence.
pub const EOS_ID: u32 = 2;

/// The tokens after the three specials, in id order: `\n` then `' '..='~'`.
pub fn characters() -> Vec<char> {
	let mut chars = vec!['\n'];
	chars.extend((b' '..=b'~').map(char::from));
	chars
}

/// Writes `config.json`, `model.safetensors` and `tokenizer.json` into `dir` (created if need
/// be).
pub fn write(dir: &Path) -> io::Result<()> {
	write_salted(dir, 0)
}

/// As [`write()`], with the weights of [`safetensors_bytes_salted`]`(salt)`.
pub fn write_salted(dir: &Path, salt: u64) -> io::Result<()> {
	fs::create_dir_all(dir)?;
	fs::write(dir.join("config.json"), config_json())?;
	fs::write(dir.join("tokenizer.json"), tokenizer_json())?;
	fs::write(dir.join("model.safetensors"), safetensors_bytes_salted(salt))?;
	Ok(())
}

/// The HF-style `config.json`.
pub fn config_json() -> String {
	format!(
		"{{\n  \"architectures\": [\"LlamaForCausalLM\"],\n  \"model_type\": \"llama\",\n  \
		 \"hidden_act\": \"silu\",\n  \"hidden_size\": {HIDDEN_SIZE},\n  \
		 \"intermediate_size\": {INTERMEDIATE_SIZE},\n  \"num_hidden_layers\": {LAYERS},\n  \
		 \"num_attention_heads\": {HEADS},\n  \"num_key_value_heads\": {KV_HEADS},\n  \
		 \"rms_norm_eps\": 1e-05,\n  \"rope_theta\": 10000.0,\n  \"vocab_size\": {VOCAB_SIZE},\n  \
		 \"max_position_embeddings\": {CONTEXT},\n  \"tie_word_embeddings\": false,\n  \
		 \"bos_token_id\": {BOS_ID},\n  \"eos_token_id\": {EOS_ID},\n  \
		 \"torch_dtype\": \"float32\"\n}}\n"
	)
}

fn json_str(s: &str) -> String {
	serde_json::to_string(s).expect("a string serialises")
}

/// The HF `tokenizer.json`: a BPE model without merges over single characters (so every
/// decoded text re-tokenizes to the same ids), a `Fuse` decoder, and the three specials.
pub fn tokenizer_json() -> String {
	let specials = [(UNK_ID, "<unk>"), (BOS_ID, "<s>"), (EOS_ID, "</s>")];
	let added = specials
		.iter()
		.map(|(id, content)| {
			format!(
				"    {{\"id\": {id}, \"content\": {}, \"single_word\": false, \"lstrip\": false, \
				 \"rstrip\": false, \"normalized\": false, \"special\": true}}",
				json_str(content)
			)
		})
		.collect::<Vec<_>>()
		.join(",\n");
	let mut vocab: Vec<String> = specials
		.iter()
		.map(|(id, content)| format!("      {}: {id}", json_str(content)))
		.collect();
	for (i, c) in characters().into_iter().enumerate() {
		vocab.push(format!("      {}: {}", json_str(&c.to_string()), i + 3));
	}
	format!(
		"{{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \
		 \"added_tokens\": [\n{added}\n  ],\n  \"normalizer\": null,\n  \
		 \"pre_tokenizer\": null,\n  \"post_processor\": null,\n  \
		 \"decoder\": {{\"type\": \"Fuse\"}},\n  \"model\": {{\n    \"type\": \"BPE\",\n    \
		 \"dropout\": null,\n    \"unk_token\": \"<unk>\",\n    \
		 \"continuing_subword_prefix\": null,\n    \"end_of_word_suffix\": null,\n    \
		 \"fuse_unk\": false,\n    \"byte_fallback\": false,\n    \"ignore_merges\": false,\n    \
		 \"vocab\": {{\n{}\n    }},\n    \"merges\": []\n  }}\n}}\n",
		vocab.join(",\n")
	)
}

/// The tensors: (HF name, shape, standard deviation of the uniform noise; 0 means all ones).
fn tensors() -> Vec<(String, Vec<usize>, f32)> {
	let h = HIDDEN_SIZE;
	let kv = HIDDEN_SIZE / HEADS * KV_HEADS;
	let i = INTERMEDIATE_SIZE;
	let inv = |fan_in: usize| 1.0 / (fan_in as f32).sqrt();
	let mut out = vec![
		("model.embed_tokens.weight".to_string(), vec![VOCAB_SIZE, h], 1.0),
		("model.norm.weight".to_string(), vec![h], 0.0),
		// Logits of a standard deviation ~4: a peaked distribution, so that greedy validation
		// tells a corrupted output from an honest one.
		("lm_head.weight".to_string(), vec![VOCAB_SIZE, h], 0.25),
	];
	for l in 0..LAYERS {
		let p = format!("model.layers.{l}");
		out.push((format!("{p}.input_layernorm.weight"), vec![h], 0.0));
		out.push((format!("{p}.post_attention_layernorm.weight"), vec![h], 0.0));
		out.push((format!("{p}.self_attn.q_proj.weight"), vec![h, h], inv(h)));
		out.push((format!("{p}.self_attn.k_proj.weight"), vec![kv, h], inv(h)));
		out.push((format!("{p}.self_attn.v_proj.weight"), vec![kv, h], inv(h)));
		out.push((format!("{p}.self_attn.o_proj.weight"), vec![h, h], inv(h)));
		out.push((format!("{p}.mlp.gate_proj.weight"), vec![i, h], inv(h)));
		out.push((format!("{p}.mlp.up_proj.weight"), vec![i, h], inv(h)));
		out.push((format!("{p}.mlp.down_proj.weight"), vec![h, i], inv(i)));
	}
	out.sort_by(|a, b| a.0.cmp(&b.0));
	out
}

/// SplitMix64: a tiny, well-mixed, portable PRNG.
#[derive(Clone, Debug)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
	/// The next 64 random bits.
	pub fn next_u64(&mut self) -> u64 {
		self.0 = self.0.wrapping_add(daya_kernels::sampling::GOLDEN);
		daya_kernels::sampling::splitmix(self.0)
	}

	/// Uniform in `[0, 1)` with 53 bits.
	pub fn next_f64(&mut self) -> f64 {
		(self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
	}
}

fn fnv1a(bytes: &[u8]) -> u64 {
	bytes
		.iter()
		.fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

/// One tensor's values: uniform noise of standard deviation `std` from a generator seeded by
/// the tensor's name, or ones. Integer arithmetic then one exact scaling: the same on every
/// machine.
fn values(name: &str, len: usize, std: f32, salt: u64) -> Vec<f32> {
	if std == 0.0 {
		return vec![1.0; len];
	}
	let mut rng = SplitMix64(fnv1a(name.as_bytes()) ^ salt);
	// Uniform on [-a, a) has standard deviation a / sqrt(3).
	let a = std * 3f32.sqrt();
	(0..len)
		.map(|_| {
			let u = (rng.next_u64() >> 40) as i32 - (1 << 23); // [-2^23, 2^23)
			u as f32 * (a / (1 << 23) as f32)
		})
		.collect()
}

/// `model.safetensors`: the header (tensors in name order, padded to 8 bytes) then the
/// little-endian `f32` data in the same order.
pub fn safetensors_bytes() -> Vec<u8> {
	safetensors_bytes_salted(0)
}

/// [`safetensors_bytes`] with every tensor's generator seeded differently: the same
/// architecture with other weights (a substitute model, for the verification benchmark).
pub fn safetensors_bytes_salted(salt: u64) -> Vec<u8> {
	let tensors = tensors();
	let mut entries = vec!["\"__metadata__\":{\"format\":\"pt\"}".to_string()];
	let mut data = Vec::new();
	for (name, shape, std) in &tensors {
		let len: usize = shape.iter().product();
		let start = data.len();
		for v in values(name, len, *std, salt) {
			data.extend_from_slice(&v.to_le_bytes());
		}
		let shape = shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(",");
		entries.push(format!(
			"{}:{{\"dtype\":\"F32\",\"shape\":[{shape}],\"data_offsets\":[{start},{}]}}",
			json_str(name),
			data.len()
		));
	}
	let mut header = format!("{{{}}}", entries.join(","));
	while header.len() % 8 != 0 {
		header.push(' ');
	}
	let mut out = Vec::with_capacity(8 + header.len() + data.len());
	out.extend_from_slice(&(header.len() as u64).to_le_bytes());
	out.extend_from_slice(header.as_bytes());
	out.extend_from_slice(&data);
	out
}
