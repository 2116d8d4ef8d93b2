//! Models in one GGUF file (llama.cpp's format): the Llama hyper-parameters, the tensors
//! (dequantized to `f32`), the tokenizer and the chat template, all read from the file itself.
//!
//! - The tokenizer is rebuilt from `tokenizer.ggml.*`: a byte-level BPE (`model = gpt2`) from the
//!   file's tokens (id = index) and merges, with the pre-tokenizer its `pre` names. A `pre` this
//!   module does not implement is refused, never replaced by a guess: a wrong pre-tokenizer still
//!   gives plausible text, and wrong token counts.
//! - GGUF stores Q and K for the *interleaved* rotary layout, so the model is built with
//!   [`crate::model::RopeLayout::Interleaved`].
//! - The weights hash covers the tensors as stored (name, type, shape, bytes), so a file that
//!   differs only in metadata keeps its hash, and any change to what is loaded changes it.

use std::{
	collections::HashMap,
	fs::File,
	io::{BufReader, Read, Seek},
	path::Path,
	sync::Arc,
};

use anyhow::{anyhow, bail, Context};
use candle_core::{
	quantized::gguf_file::{Content, Value},
	DType, Device,
};
use candle_nn::VarBuilder;
use tokenizers::{
	decoders::byte_level::ByteLevel as ByteLevelDecoder,
	models::bpe::BPE,
	pre_tokenizers::{byte_level::ByteLevel, digits::Digits, sequence::Sequence},
	AddedToken, PreTokenizerWrapper, Tokenizer,
};

use crate::{
	hash::blake2_256,
	model::{Llama, LlamaConfig, RopeLayout},
	quant::QuantWeight,
	text::{ModelHeader, ModelText},
};

/// Everything a GGUF file gives the engine.
pub struct GgufModel {
	/// The model, its tensors dequantized to `f32`.
	pub model: Llama,
	/// The tokenizer rebuilt from the file's metadata, the chat template and special ids.
	pub text: ModelText,
	/// The weights hash ([`weights_hash`]).
	pub weights_hash: [u8; 32],
}

fn meta<'a>(content: &'a Content, key: &str) -> anyhow::Result<&'a Value> {
	content.metadata.get(key).ok_or_else(|| anyhow!("the GGUF has no `{key}`"))
}

fn meta_u32(content: &Content, key: &str) -> anyhow::Result<u32> {
	let v = meta(content, key)?;
	v.to_u32()
		.or_else(|_| v.to_u64().map(|n| n as u32))
		.or_else(|_| v.to_i32().map(|n| n as u32))
		.map_err(|e| anyhow!("`{key}`: {e}"))
}

fn meta_f64(content: &Content, key: &str) -> anyhow::Result<f64> {
	let v = meta(content, key)?;
	v.to_f32()
		.map(f64::from)
		.or_else(|_| v.to_f64())
		.map_err(|e| anyhow!("`{key}`: {e}"))
}

fn meta_strings(content: &Content, key: &str) -> anyhow::Result<Vec<String>> {
	meta(content, key)?
		.to_vec()
		.map_err(|e| anyhow!("`{key}`: {e}"))?
		.iter()
		.map(|v| v.to_string().cloned().map_err(|e| anyhow!("`{key}`: {e}")))
		.collect()
}

/// The weights hash of a GGUF's tensors: BLAKE2-256 over, for each tensor in name order, its
/// name, its GGML type, its dimensions and the BLAKE2-256 of its stored bytes.
pub fn weights_hash<R: Read + Seek>(content: &Content, reader: &mut R) -> anyhow::Result<[u8; 32]> {
	let mut names: Vec<&String> = content.tensor_infos.keys().collect();
	names.sort();
	let mut all = Vec::new();
	for name in names {
		let tensor = content.tensor(reader, name, &Device::Cpu)?;
		all.extend_from_slice(&(name.len() as u32).to_le_bytes());
		all.extend_from_slice(name.as_bytes());
		all.extend_from_slice(format!("{:?}", tensor.dtype()).as_bytes());
		for d in tensor.shape().dims() {
			all.extend_from_slice(&(*d as u64).to_le_bytes());
		}
		all.extend_from_slice(&blake2_256(&tensor.data()?));
	}
	Ok(blake2_256(&all))
}

/// The pre-tokenizers this module implements, by the GGUF's `tokenizer.ggml.pre`.
fn pre_tokenizer(pre: &str) -> anyhow::Result<PreTokenizerWrapper> {
	match pre {
		// SmolLM: digits one by one, then byte-level with GPT-2's split, no prefix space.
		"smollm" => Ok(Sequence::new(vec![
			Digits::new(true).into(),
			ByteLevel::new(false, true, true).into(),
		])
		.into()),
		"gpt2" | "default" => Ok(ByteLevel::new(false, true, true).into()),
		other => bail!(
			"the GGUF's pre-tokenizer `{other}` is not implemented (known: smollm, gpt2, default)"
		),
	}
}

/// GGUF token types: 3 is a control token.
const TOKEN_CONTROL: i32 = 3;

/// Rebuilds the tokenizer of a GGUF from its metadata; also returns its hash.
pub fn tokenizer(content: &Content) -> anyhow::Result<(Tokenizer, [u8; 32])> {
	let model = meta(content, "tokenizer.ggml.model")?.to_string()?.clone();
	if model != "gpt2" {
		bail!(
			"the GGUF's tokenizer model `{model}` is not implemented (known: gpt2, byte-level BPE)"
		);
	}
	let pre = match content.metadata.get("tokenizer.ggml.pre") {
		Some(v) => v.to_string()?.clone(),
		None => "default".to_string(),
	};
	let tokens = meta_strings(content, "tokenizer.ggml.tokens")?;
	let merges = meta_strings(content, "tokenizer.ggml.merges")?;
	let types: Vec<i32> = match content.metadata.get("tokenizer.ggml.token_type") {
		Some(v) => v.to_vec()?.iter().map(|t| t.to_i32()).collect::<Result<_, _>>()?,
		None => vec![1; tokens.len()],
	};
	if types.len() != tokens.len() {
		bail!("{} token types for {} tokens", types.len(), tokens.len());
	}
	let mut hashed = Vec::new();
	let mut put = |bytes: &[u8]| {
		hashed.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
		hashed.extend_from_slice(bytes);
	};
	put(model.as_bytes());
	put(pre.as_bytes());
	for (t, ty) in tokens.iter().zip(&types) {
		put(t.as_bytes());
		put(&ty.to_le_bytes());
	}
	for m in &merges {
		put(m.as_bytes());
	}
	let hash = blake2_256(&hashed);

	let vocab: tokenizers::models::bpe::Vocab =
		tokens.iter().enumerate().map(|(i, t)| (t.clone(), i as u32)).collect();
	if vocab.len() != tokens.len() {
		bail!("the GGUF's vocabulary has duplicate tokens");
	}
	let merges = merges
		.iter()
		.map(|m| {
			m.split_once(' ')
				.map(|(a, b)| (a.to_string(), b.to_string()))
				.ok_or_else(|| anyhow!("a merge without a space: {m:?}"))
		})
		.collect::<anyhow::Result<Vec<_>>>()?;
	let bpe = BPE::builder()
		.vocab_and_merges(vocab, merges)
		.build()
		.map_err(|e| anyhow!("building the BPE: {e}"))?;
	let mut tok = Tokenizer::new(bpe);
	tok.with_pre_tokenizer(Some(pre_tokenizer(&pre)?));
	tok.with_decoder(Some(ByteLevelDecoder::default()));
	let specials: Vec<AddedToken> = tokens
		.iter()
		.zip(&types)
		.filter(|(_, ty)| **ty == TOKEN_CONTROL)
		.map(|(t, _)| AddedToken::from(t.clone(), true))
		.collect();
	tok.add_special_tokens(&specials);
	Ok((tok, hash))
}

/// The Llama hyper-parameters of a GGUF (`general.architecture = llama`).
pub fn config(content: &Content) -> anyhow::Result<LlamaConfig> {
	let arch = meta(content, "general.architecture")?.to_string()?;
	if arch != "llama" {
		bail!("the GGUF's architecture `{arch}` is not implemented (known: llama)");
	}
	let u = |k: &str| meta_u32(content, &format!("llama.{k}")).map(|n| n as usize);
	let heads = u("attention.head_count")?;
	let hidden = u("embedding_length")?;
	let vocab = meta(content, "tokenizer.ggml.tokens")?.to_vec()?.len();
	Ok(LlamaConfig {
		hidden_size: hidden,
		intermediate_size: u("feed_forward_length")?,
		num_hidden_layers: u("block_count")?,
		num_attention_heads: heads,
		num_key_value_heads: Some(u("attention.head_count_kv").unwrap_or(heads)),
		head_dim: Some(u("rope.dimension_count").unwrap_or(hidden / heads)),
		rms_norm_eps: meta_f64(content, "llama.attention.layer_norm_rms_epsilon")?,
		rope_theta: meta_f64(content, "llama.rope.freq_base").unwrap_or(10_000.0),
		vocab_size: vocab,
		max_position_embeddings: u("context_length")?,
		tie_word_embeddings: !content.tensor_infos.contains_key("output.weight"),
		bos_token_id: meta_u32(content, "tokenizer.ggml.bos_token_id").ok(),
		eos_token_id: meta_u32(content, "tokenizer.ggml.eos_token_id").ok().map(|n| n.into()),
		rope_layout: RopeLayout::Interleaved,
	})
}

/// The HF name of a GGUF tensor name.
fn hf_name(name: &str) -> Option<String> {
	let base = name.strip_suffix(".weight")?;
	let fixed = match base {
		"token_embd" => Some("model.embed_tokens"),
		"output_norm" => Some("model.norm"),
		"output" => Some("lm_head"),
		_ => None,
	};
	if let Some(f) = fixed {
		return Some(format!("{f}.weight"));
	}
	let rest = base.strip_prefix("blk.")?;
	let (n, part) = rest.split_once('.')?;
	let part = match part {
		"attn_norm" => "input_layernorm",
		"ffn_norm" => "post_attention_layernorm",
		"attn_q" => "self_attn.q_proj",
		"attn_k" => "self_attn.k_proj",
		"attn_v" => "self_attn.v_proj",
		"attn_output" => "self_attn.o_proj",
		"ffn_gate" => "mlp.gate_proj",
		"ffn_up" => "mlp.up_proj",
		"ffn_down" => "mlp.down_proj",
		_ => return None,
	};
	Some(format!("model.layers.{n}.{part}.weight"))
}

/// A change to the weights as they load, for what a dishonest host would serve: the
/// verification benchmark's substitutions and downgrade, and the executor's `--tamper` flag in
/// tests of fraud detection. The hashes stay those of the file, as a cheat would claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tamper {
	/// Every matrix re-quantized to the lowest type candle takes for its rows: Q2_K where they
	/// divide by 256, Q4_0 otherwise (a cheaper model under the registered name).
	Downgrade,
	/// Block `n` left out (a smaller model).
	DropBlock(usize),
	/// Every weight `w` replaced by `w * (1 + z / 100)`, `z` uniform noise of standard
	/// deviation 1 from this seed.
	Perturb(u64),
}

impl std::str::FromStr for Tamper {
	type Err = String;
	fn from_str(s: &str) -> Result<Self, String> {
		match s.split_once(':') {
			None if s == "downgrade" => Ok(Self::Downgrade),
			Some(("drop-block", n)) => n.parse().map(Self::DropBlock).map_err(|_| s.to_string()),
			Some(("perturb", seed)) => seed.parse().map(Self::Perturb).map_err(|_| s.to_string()),
			_ => Err(format!("{s:?} is not downgrade, drop-block:N or perturb:SEED")),
		}
	}
}

fn tampered(
	name: &str,
	q: candle_core::quantized::QTensor,
	tamper: Option<Tamper>,
	device: &Device,
) -> anyhow::Result<candle_core::Tensor> {
	use candle_core::quantized::{GgmlDType, QTensor};
	let t = q.dequantize(&Device::Cpu)?.to_dtype(DType::F32)?;
	let t = match tamper {
		Some(Tamper::Downgrade) if t.rank() == 2 => {
			let cols = t.dims()[1];
			let lowest = if cols % 256 == 0 { GgmlDType::Q2K } else { GgmlDType::Q4_0 };
			QTensor::quantize(&t, lowest)?.dequantize(&Device::Cpu)?
		},
		Some(Tamper::Perturb(seed)) => {
			let mut rng = crate::dev_model::SplitMix64(seed ^ fnv(name));
			let values = t.flatten_all()?.to_vec1::<f32>()?;
			let a = 3f64.sqrt();
			let noisy: Vec<f32> = values
				.iter()
				.map(|w| {
					let z = (rng.next_f64() * 2.0 - 1.0) * a;
					(f64::from(*w) * (1.0 + z / 100.0)) as f32
				})
				.collect();
			candle_core::Tensor::from_vec(noisy, t.shape(), &Device::Cpu)?
		},
		_ => t,
	};
	Ok(t.to_device(device)?)
}

fn fnv(name: &str) -> u64 {
	name.bytes()
		.fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// Loads the GGUF at `path` onto `device`.
pub fn load(path: &Path, device: &Device) -> anyhow::Result<GgufModel> {
	load_tampered(path, device, None)
}

/// The text side of a GGUF read from its metadata: tokenizer (its hash over the tokens,
/// types and merges, with the chat template), chat template (`tokenizer.chat_template`),
/// beginning-of-sequence id when `add_bos_token` (default true), end-of-sequence ids.
fn text(content: &Content, config: &LlamaConfig) -> anyhow::Result<ModelText> {
	let (tokenizer, tokenizer_hash) = tokenizer(content)?;
	let chat_template = match content.metadata.get("tokenizer.chat_template") {
		Some(v) => Some(v.to_string()?.clone()),
		None => None,
	};
	let add_bos = match content.metadata.get("tokenizer.ggml.add_bos_token") {
		Some(v) => v.to_bool()?,
		None => true,
	};
	ModelText::new(
		tokenizer,
		tokenizer_hash,
		chat_template.as_deref(),
		config.bos_token_id.filter(|_| add_bos),
		config.bos_token_id,
		config.eos_ids(),
		config.vocab_size,
		true,
	)
}

fn open(path: &Path) -> anyhow::Result<(Content, BufReader<File>)> {
	let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
	let mut reader = BufReader::with_capacity(1 << 20, file);
	let content =
		Content::read(&mut reader).with_context(|| format!("reading {}", path.display()))?;
	Ok((content, reader))
}

/// The GGUF at `path` without its tensors: hyper-parameters, text side and weights hash (which
/// reads the tensors' bytes, and keeps none).
pub fn header(path: &Path) -> anyhow::Result<ModelHeader> {
	let (content, mut reader) = open(path)?;
	let config = config(&content)?;
	let text = text(&content, &config)?;
	let weights_hash = weights_hash(&content, &mut reader)?;
	Ok(ModelHeader { text, weights_hash, config })
}

/// Loads the GGUF at `path` onto `device`, with its weights changed by `tamper` (see
/// [`Tamper`]); the hashes are the file's.
pub fn load_tampered(
	path: &Path,
	device: &Device,
	tamper: Option<Tamper>,
) -> anyhow::Result<GgufModel> {
	let (content, mut reader) = open(path)?;
	let mut config = config(&content)?;
	let text = text(&content, &config)?;
	let weights_hash = weights_hash(&content, &mut reader)?;
	let mut tensors = HashMap::new();
	let mut quant = crate::model::QuantWeights::new();
	let dropped = match tamper {
		Some(Tamper::DropBlock(n)) if n < config.num_hidden_layers => {
			config.num_hidden_layers -= 1;
			Some(n)
		},
		_ => None,
	};
	for name in content.tensor_infos.keys() {
		let Some(mut hf) = hf_name(name) else {
			bail!("the GGUF has a tensor this Llama does not use: {name}");
		};
		if let Some(d) = dropped {
			// Blocks after the dropped one move up by one.
			if let Some(rest) = hf.strip_prefix("model.layers.") {
				let (n, part) = rest.split_once('.').unwrap_or_default();
				let n: usize = n.parse().unwrap_or_default();
				if n == d {
					continue;
				}
				if n > d {
					hf = format!("model.layers.{}.{part}", n - 1);
				}
			}
		}
		let q = content.tensor(&mut reader, name, &Device::Cpu)?;
		// On the CPU, Q4_1 and Q8_0 matrices stay quantized (`crate::quant`); the embeddings
		// keep a dense copy for their lookup. A tampered model runs dense.
		if tamper.is_none() && device.is_cpu() {
			if let Some(w) = QuantWeight::from_qtensor(&q)? {
				let embeddings = hf == "model.embed_tokens.weight";
				quant.insert(hf.clone(), Arc::new(w));
				if !embeddings {
					continue;
				}
			}
		}
		tensors.insert(hf, tampered(name, q, tamper, device)?);
	}
	let vb = VarBuilder::from_tensors(tensors, DType::F32, device);
	let model =
		Llama::with_quantized(config, vb, &quant, device.clone()).context("building the model")?;
	Ok(GgufModel { model, text, weights_hash })
}
