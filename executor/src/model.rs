//! A Llama-architecture decoder with candle: token embedding, RMSNorm, rotary position
//! embeddings, grouped-query attention with a KV cache, SwiGLU MLP, tied or separate `lm_head`.
//! It reads an HF `config.json` and `*.safetensors` with the HF Llama tensor names, and returns
//! logits at every position asked for (teacher forcing needs them all).

use std::{collections::HashMap, path::Path, sync::Arc};

use anyhow::{anyhow, Context};
use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{kv_cache::KvCache, Embedding, Linear, RmsNorm, VarBuilder};

use crate::quant::{Proj, QuantWeight};
use serde::Deserialize;

/// The fields of an HF Llama `config.json` this model uses.
#[derive(Deserialize, Clone, Debug)]
pub struct LlamaConfig {
	/// Model width.
	pub hidden_size: usize,
	/// MLP width.
	pub intermediate_size: usize,
	/// Transformer blocks.
	pub num_hidden_layers: usize,
	/// Attention heads.
	pub num_attention_heads: usize,
	/// Key/value heads; as many as attention heads when absent.
	#[serde(default)]
	pub num_key_value_heads: Option<usize>,
	/// Per-head width; `hidden_size / num_attention_heads` when absent.
	#[serde(default)]
	pub head_dim: Option<usize>,
	/// RMSNorm epsilon.
	#[serde(default = "default_eps")]
	pub rms_norm_eps: f64,
	/// RoPE base.
	#[serde(default = "default_theta")]
	pub rope_theta: f64,
	/// Vocabulary size.
	pub vocab_size: usize,
	/// Context length.
	#[serde(default = "default_context")]
	pub max_position_embeddings: usize,
	/// Whether `lm_head` is the embedding matrix.
	#[serde(default)]
	pub tie_word_embeddings: bool,
	/// Beginning-of-sequence token.
	#[serde(default)]
	pub bos_token_id: Option<u32>,
	/// End-of-sequence token(s): a number or a list.
	#[serde(default)]
	pub eos_token_id: Option<serde_json::Value>,
	/// How Q and K pair their dimensions for the rotary embedding: HF checkpoints split each
	/// head in halves, GGUF files interleave.
	#[serde(skip)]
	pub rope_layout: RopeLayout,
}

/// Which dimensions of a head the rotary embedding rotates together.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RopeLayout {
	/// `(i, i + d/2)`: HF's Llama checkpoints.
	#[default]
	HalfSplit,
	/// `(2i, 2i + 1)`: llama.cpp's GGUF files, whose Q and K rows are permuted for it.
	Interleaved,
}

fn default_eps() -> f64 {
	1e-5
}
fn default_theta() -> f64 {
	10_000.0
}
fn default_context() -> usize {
	2048
}

impl LlamaConfig {
	/// Reads `dir/config.json`.
	pub fn load(dir: &Path) -> anyhow::Result<Self> {
		let path = dir.join("config.json");
		let text = std::fs::read_to_string(&path)
			.with_context(|| format!("reading {}", path.display()))?;
		serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
	}

	/// Key/value heads.
	pub fn kv_heads(&self) -> usize {
		self.num_key_value_heads.unwrap_or(self.num_attention_heads)
	}

	/// Per-head width.
	pub fn head_dim(&self) -> usize {
		self.head_dim.unwrap_or(self.hidden_size / self.num_attention_heads)
	}

	/// The end-of-sequence ids.
	pub fn eos_ids(&self) -> Vec<u32> {
		match &self.eos_token_id {
			Some(serde_json::Value::Number(n)) => {
				n.as_u64().map(|n| n as u32).into_iter().collect()
			},
			Some(serde_json::Value::Array(items)) => {
				items.iter().filter_map(|v| v.as_u64()).map(|n| n as u32).collect()
			},
			_ => Vec::new(),
		}
	}
}

struct Attention {
	/// Queries, keys and values.
	qkv: Projs,
	o: Proj,
	heads: usize,
	kv_heads: usize,
	head_dim: usize,
	rope_layout: RopeLayout,
}

struct Mlp {
	/// The gate and the up projection.
	gate_up: Projs,
	down: Proj,
}

/// Projections of the same input: one product when all are kept quantized and can share a
/// layout (one pass over the input, one split across threads; each part's outputs the same
/// bits as its own product's), else one product each.
enum Projs {
	/// One matrix, the parts' outputs one after the other, with each part's width.
	Stacked(Proj, Vec<usize>),
	/// Each part on its own.
	Apart(Vec<Proj>),
}

impl Projs {
	fn new(parts: Vec<Proj>) -> Self {
		let quant: Option<Vec<&QuantWeight>> = parts
			.iter()
			.map(|p| match p {
				Proj::Quant(w) => Some(&**w),
				Proj::Dense(_) => None,
			})
			.collect();
		match quant.as_deref().and_then(QuantWeight::stack) {
			Some(w) => {
				let widths = quant.iter().flatten().map(|p| p.rows()).collect();
				Self::Stacked(Proj::Quant(Arc::new(w)), widths)
			},
			None => Self::Apart(parts),
		}
	}

	/// Each part's projection of `x`, along its last dimension.
	fn forward(&self, x: &Tensor) -> candle_core::Result<Vec<Tensor>> {
		match self {
			Self::Stacked(w, widths) => {
				let y = w.forward(x)?;
				let last = y.rank() - 1;
				let mut from = 0;
				widths
					.iter()
					.map(|&n| {
						from += n;
						y.narrow(last, from - n, n)
					})
					.collect()
			},
			Self::Apart(parts) => parts.iter().map(|p| p.forward(x)).collect(),
		}
	}
}

struct Block {
	input_norm: Norm,
	attn: Attention,
	post_norm: Norm,
	mlp: Mlp,
}

/// RMSNorm: on the CPU without a thread pool ([`daya_kernels::ops::rms_norm_rows`], candle's
/// bits), elsewhere candle's.
struct Norm {
	candle: RmsNorm,
	/// The scale, in `f32` on the CPU.
	weight: Vec<f32>,
	eps: f32,
}

impl Norm {
	fn new(size: usize, eps: f64, vb: VarBuilder) -> candle_core::Result<Self> {
		let candle = candle_nn::rms_norm(size, eps, vb)?;
		let weight = candle.clone().into_inner().weight().to_dtype(DType::F32)?.to_vec1()?;
		Ok(Self { candle, weight, eps: eps as f32 })
	}

	fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
		let fits = x.dim(candle_core::D::Minus1).is_ok_and(|n| n == self.weight.len());
		if !(on_cpu_f32(x) && x.is_contiguous() && fits) {
			return self.candle.forward(x);
		}
		Tensor::from_vec(self.rows(&x.flatten_all()?.to_vec1::<f32>()?), x.dims(), x.device())
	}

	/// The norm of each row of `x` (rows of the model's width), in `f32` on the CPU.
	fn rows(&self, x: &[f32]) -> Vec<f32> {
		daya_kernels::ops::rms_norm_rows(x, &self.weight, self.eps)
	}
}

/// The KV cache of one sequence: per block, keys and values in tensors allocated once for the
/// tokens the sequence will hold (they grow, should it hold more).
pub struct Cache {
	kv: Vec<KvCache>,
	/// Tokens seen so far.
	pub pos: usize,
}

/// What a forward pass returns for the positions asked for.
#[derive(Default, Debug)]
pub struct Rows {
	/// Logits, one row per position.
	pub logits: Vec<Vec<f32>>,
	/// Final hidden states (the input of the output head), one row per position.
	pub hidden: Vec<Vec<f32>>,
}

/// A loaded Llama model.
pub struct Llama {
	embed: Embedding,
	blocks: Vec<Block>,
	norm: Norm,
	lm_head: Proj,
	config: LlamaConfig,
	device: Device,
}

/// Weights kept quantized, by tensor name (`model.layers.0.self_attn.q_proj.weight`).
pub type QuantWeights = HashMap<String, Arc<QuantWeight>>;

/// The projection `name` under `vb`: its quantized weights when `quant` has them, else the
/// dense ones.
fn linear(
	vb: &VarBuilder,
	quant: &QuantWeights,
	name: &str,
	inp: usize,
	out: usize,
) -> candle_core::Result<Proj> {
	let vb = vb.pp(name);
	match quant.get(&format!("{}.weight", vb.prefix())) {
		Some(w) if w.rows() == out && w.cols() == inp => Ok(Proj::Quant(w.clone())),
		Some(w) => Err(candle_core::Error::Msg(format!(
			"{name}: weights of {}x{}, not {out}x{inp}",
			w.rows(),
			w.cols()
		))),
		None => candle_nn::linear_no_bias(inp, out, vb).map(Proj::Dense),
	}
}

impl Llama {
	/// Loads `config.json` and every `*.safetensors` in `dir` onto `device` (as `f32`).
	pub fn load(dir: &Path, device: &Device) -> anyhow::Result<Self> {
		let config = LlamaConfig::load(dir)?;
		let files = crate::hash::safetensors_files(dir)?;
		if files.is_empty() {
			return Err(anyhow!("no *.safetensors file in {}", dir.display()));
		}
		let mut tensors = HashMap::new();
		for file in files {
			let path = dir.join(&file);
			tensors.extend(
				candle_core::safetensors::load(&path, device)
					.with_context(|| format!("loading {}", path.display()))?,
			);
		}
		let vb = VarBuilder::from_tensors(tensors, DType::F32, device);
		Self::new(config, vb, device.clone()).context("building the model from its tensors")
	}

	/// Builds the model from tensors with the HF Llama names.
	pub fn new(config: LlamaConfig, vb: VarBuilder, device: Device) -> candle_core::Result<Self> {
		Self::with_quantized(config, vb, &QuantWeights::new(), device)
	}

	/// [`Self::new`], the projections in `quant` kept quantized (the others from `vb`).
	pub fn with_quantized(
		config: LlamaConfig,
		vb: VarBuilder,
		quant: &QuantWeights,
		device: Device,
	) -> candle_core::Result<Self> {
		let (h, hd) = (config.hidden_size, config.head_dim());
		let (heads, kv_heads) = (config.num_attention_heads, config.kv_heads());
		let embed = candle_nn::embedding(config.vocab_size, h, vb.pp("model.embed_tokens"))?;
		let mut blocks = Vec::with_capacity(config.num_hidden_layers);
		for i in 0..config.num_hidden_layers {
			let vb = vb.pp(format!("model.layers.{i}"));
			let a = vb.pp("self_attn");
			let m = vb.pp("mlp");
			let q = linear(&a, quant, "q_proj", h, heads * hd)?;
			let k = linear(&a, quant, "k_proj", h, kv_heads * hd)?;
			let v = linear(&a, quant, "v_proj", h, kv_heads * hd)?;
			let gate = linear(&m, quant, "gate_proj", h, config.intermediate_size)?;
			let up = linear(&m, quant, "up_proj", h, config.intermediate_size)?;
			blocks.push(Block {
				input_norm: Norm::new(h, config.rms_norm_eps, vb.pp("input_layernorm"))?,
				post_norm: Norm::new(h, config.rms_norm_eps, vb.pp("post_attention_layernorm"))?,
				attn: Attention {
					qkv: Projs::new(vec![q, k, v]),
					o: linear(&a, quant, "o_proj", heads * hd, h)?,
					heads,
					kv_heads,
					head_dim: hd,
					rope_layout: config.rope_layout,
				},
				mlp: Mlp {
					gate_up: Projs::new(vec![gate, up]),
					down: linear(&m, quant, "down_proj", config.intermediate_size, h)?,
				},
			});
		}
		let norm = Norm::new(h, config.rms_norm_eps, vb.pp("model.norm"))?;
		let lm_head = if config.tie_word_embeddings && !vb.contains_tensor("lm_head.weight") {
			match quant.get("model.embed_tokens.weight") {
				Some(w) => Proj::Quant(w.clone()),
				None => Proj::Dense(Linear::new(embed.embeddings().clone(), None)),
			}
		} else {
			linear(&vb, quant, "lm_head", h, config.vocab_size)?
		};
		Ok(Self { embed, blocks, norm, lm_head, config, device })
	}

	/// The model's configuration.
	pub fn config(&self) -> &LlamaConfig {
		&self.config
	}

	/// An empty KV cache with room for `capacity` tokens.
	pub fn cache(&self, capacity: usize) -> Cache {
		// Keys and values are `(1, kv_heads, tokens, head_dim)`: they grow along dimension 2.
		Cache { kv: vec![KvCache::new(2, capacity.max(1)); self.blocks.len()], pos: 0 }
	}

	/// Runs `ids` after what `cache` holds and returns, for positions `logits_from..ids.len()`
	/// of this chunk, the logits and the final hidden states (after the last norm) that
	/// produced them (as `f32`, one row per position).
	pub fn forward(
		&self,
		ids: &[u32],
		cache: &mut Cache,
		logits_from: usize,
	) -> anyhow::Result<Rows> {
		let t = ids.len();
		if t == 0 || logits_from >= t {
			return Ok(Rows::default());
		}
		let pos = cache.pos;
		let input = Tensor::new(ids, &self.device)?.unsqueeze(0)?;
		let mut x = self.embed.forward(&input)?;
		let (cos, sin) = self.rope(pos, t)?;
		let mask = if t > 1 { Some(self.mask(pos, t)?) } else { None };
		for (block, kv) in self.blocks.iter().zip(cache.kv.iter_mut()) {
			let residual = x.clone();
			let h = block.input_norm.forward(&x)?;
			let h = block.attn.forward(&h, &cos, &sin, mask.as_ref(), kv)?;
			x = (residual + h)?;
			x = block.mlp_after(x)?;
		}
		cache.pos += t;
		let x = x.narrow(1, logits_from, t - logits_from)?;
		let hidden = self.norm.forward(&x)?;
		let logits = self.lm_head.forward(&hidden)?.squeeze(0)?.to_dtype(DType::F32)?;
		Ok(Rows {
			logits: logits.to_vec2::<f32>()?,
			hidden: hidden.squeeze(0)?.to_dtype(DType::F32)?.to_vec2::<f32>()?,
		})
	}

	/// One decode step of several sequences at once: `tokens[i]` runs after what `caches[i]`
	/// holds. The projections and the MLP see the whole batch (the weights are read once for
	/// all), attention each sequence with its own cache. Returns one row per sequence.
	///
	/// A batch of one is [`Self::forward`] of its token, with the same operations; in a larger
	/// batch a row may differ from the same sequence run alone in the last bits (matrix
	/// products of another shape), so work whose numbers others replay runs alone.
	pub fn forward_batch(&self, tokens: &[u32], caches: &mut [&mut Cache]) -> anyhow::Result<Rows> {
		if tokens.len() != caches.len() {
			return Err(anyhow!("{} tokens for {} caches", tokens.len(), caches.len()));
		}
		match caches {
			[] => return Ok(Rows::default()),
			[cache] => return self.forward(tokens, cache, 0),
			_ => {},
		}
		match self.host_weights() {
			Some(host) => self.forward_batch_host(&host, tokens, caches),
			None => self.forward_batch_tensors(tokens, caches),
		}
	}

	/// [`Self::forward_batch`] with candle's tensors, for two sequences or more.
	fn forward_batch_tensors(
		&self,
		tokens: &[u32],
		caches: &mut [&mut Cache],
	) -> anyhow::Result<Rows> {
		let input = Tensor::new(tokens, &self.device)?.unsqueeze(1)?;
		let mut x = self.embed.forward(&input)?;
		let ropes = caches.iter().map(|c| self.rope(c.pos, 1)).collect::<Result<Vec<_>, _>>()?;
		for (layer, block) in self.blocks.iter().enumerate() {
			let residual = x.clone();
			let h = block.input_norm.forward(&x)?;
			let (q, k, v) = block.attn.project(&h)?;
			// Each sequence attends over its own cache: side by side on the products' threads
			// (a sequence's numbers never depend on which thread computes them).
			let parts: Vec<_> = caches.iter_mut().zip(&ropes).enumerate().collect();
			let outs = daya_kernels::parallel_map(parts, &|(i, (cache, (cos, sin)))| {
				let (q, k, v) = (q.narrow(0, i, 1)?, k.narrow(0, i, 1)?, v.narrow(0, i, 1)?);
				block.attn.attend(q, k, v, cos, sin, None, &mut cache.kv[layer])
			})
			.into_iter()
			.collect::<candle_core::Result<Vec<_>>>()?;
			let h = block.attn.o.forward(&Tensor::cat(&outs, 0)?)?;
			x = (residual + h)?;
			x = block.mlp_after(x)?;
		}
		for cache in caches.iter_mut() {
			cache.pos += 1;
		}
		let hidden = self.norm.forward(&x)?;
		let logits = self.lm_head.forward(&hidden)?.squeeze(1)?.to_dtype(DType::F32)?;
		Ok(Rows {
			logits: logits.to_vec2::<f32>()?,
			hidden: hidden.squeeze(1)?.to_dtype(DType::F32)?.to_vec2::<f32>()?,
		})
	}

	/// Every weight the plain `f32` decoding step needs, when the model is on the CPU and
	/// every projection is kept quantized.
	fn host_weights(&self) -> Option<HostWeights<'_>> {
		if !self.device.is_cpu() || !self.config.head_dim().is_multiple_of(2) {
			return None;
		}
		let blocks = self
			.blocks
			.iter()
			.map(|b| {
				Some(HostBlock {
					qkv: b.attn.qkv.quantized()?,
					o: b.attn.o.quantized()?,
					gate_up: b.mlp.gate_up.quantized()?,
					down: b.mlp.down.quantized()?,
				})
			})
			.collect::<Option<Vec<_>>>()?;
		Some(HostWeights { blocks, lm_head: self.lm_head.quantized()? })
	}

	/// [`Self::forward_batch`] in plain `f32` on the CPU: the products, norms and activations
	/// as the tensor path computes them (the same bits), attention straight from each
	/// sequence's cache ([`daya_kernels::attention`]) rather than a dozen tensors per sequence
	/// per block.
	fn forward_batch_host(
		&self,
		host: &HostWeights,
		tokens: &[u32],
		caches: &mut [&mut Cache],
	) -> anyhow::Result<Rows> {
		use daya_kernels::ops;
		let b = tokens.len();
		let c = &self.config;
		let shape = (c.num_attention_heads, c.kv_heads(), c.head_dim());
		let (heads, kv_heads, hd) = shape;
		let pairing = match c.rope_layout {
			RopeLayout::HalfSplit => ops::Pairing::HalfSplit,
			RopeLayout::Interleaved => ops::Pairing::Interleaved,
		};
		let input = Tensor::new(tokens, &self.device)?;
		let mut x = self.embed.forward(&input)?.to_dtype(DType::F32)?.flatten_all()?.to_vec1()?;
		let ropes: Vec<_> = caches.iter().map(|c| self.rope_values(c.pos, 1)).collect();
		for (layer, (block, w)) in self.blocks.iter().zip(&host.blocks).enumerate() {
			let h = block.input_norm.rows(&x);
			let qkv = w.qkv.forward(&h, b);
			// Each sequence attends over its own cache, side by side on the products' threads.
			let parts: Vec<_> = caches.iter_mut().zip(&ropes).enumerate().collect();
			let outs = daya_kernels::parallel_map(parts, &|(i, (cache, (cos, sin)))| {
				let (Some(q), Some(k), Some(v)) = (qkv.get(0, i), qkv.get(1, i), qkv.get(2, i))
				else {
					return Err(anyhow!("attention without its three projections"));
				};
				if (q.len(), k.len(), v.len()) != (heads * hd, kv_heads * hd, kv_heads * hd) {
					return Err(anyhow!("projections of the wrong width"));
				}
				let q = ops::rope(q, cos, sin, 1, hd, pairing);
				let k = ops::rope(k, cos, sin, 1, hd, pairing);
				let kv = &mut cache.kv[layer];
				let one = (1, kv_heads, 1, hd);
				kv.append(
					&Tensor::from_vec(k, one, &Device::Cpu)?,
					&Tensor::from_slice(v, one, &Device::Cpu)?,
				)?;
				attend_cached(kv, &q, shape)
			})
			.into_iter()
			.collect::<anyhow::Result<Vec<_>>>()?
			.concat();
			add_in_place(&mut x, &w.o.matmul(&outs));
			let h = block.post_norm.rows(&x);
			let gate_up = w.gate_up.forward(&h, b);
			// candle's `silu(gate) * up`, element for element, row by row on the products'
			// threads (twelve thousand exponentials a block at a batch of eight).
			let act = daya_kernels::parallel_map((0..b).collect(), &|r| {
				let (Some(gate), Some(up)) = (gate_up.get(0, r), gate_up.get(1, r)) else {
					return Err(anyhow!("an MLP without its two projections"));
				};
				Ok(gate.iter().zip(up).map(|(g, u)| g / (1.0 + (-g).exp()) * u).collect::<Vec<_>>())
			})
			.into_iter()
			.collect::<anyhow::Result<Vec<_>>>()?
			.concat();
			add_in_place(&mut x, &w.down.matmul(&act));
		}
		for cache in caches.iter_mut() {
			cache.pos += 1;
		}
		let hidden = self.norm.rows(&x);
		let logits = host.lm_head.matmul(&hidden);
		let split =
			|all: Vec<f32>, n: usize| all.chunks_exact(n.max(1)).map(<[f32]>::to_vec).collect();
		Ok(Rows { logits: split(logits, c.vocab_size), hidden: split(hidden, c.hidden_size) })
	}

	/// cos and sin of the rotary embedding for positions `pos..pos + t`: `(t, head_dim / 2)`.
	fn rope(&self, pos: usize, t: usize) -> candle_core::Result<(Tensor, Tensor)> {
		let half = self.config.head_dim() / 2;
		let (cos, sin) = self.rope_values(pos, t);
		Ok((
			Tensor::from_vec(cos, (t, half), &self.device)?,
			Tensor::from_vec(sin, (t, half), &self.device)?,
		))
	}

	/// [`Self::rope`]'s values, position after position.
	fn rope_values(&self, pos: usize, t: usize) -> (Vec<f32>, Vec<f32>) {
		let half = self.config.head_dim() / 2;
		let theta = self.config.rope_theta;
		let inv: Vec<f64> = (0..half)
			.map(|i| 1.0 / theta.powf(2.0 * i as f64 / (2 * half) as f64))
			.collect();
		let mut cos = Vec::with_capacity(t * half);
		let mut sin = Vec::with_capacity(t * half);
		for p in pos..pos + t {
			for f in &inv {
				let angle = p as f64 * f;
				cos.push(angle.cos() as f32);
				sin.push(angle.sin() as f32);
			}
		}
		(cos, sin)
	}

	/// The causal mask of `t` new tokens after `pos` cached ones, once for each query head that
	/// shares a key/value head: `(n * t, pos + t)`.
	fn mask(&self, pos: usize, t: usize) -> candle_core::Result<Tensor> {
		let n = self.config.num_attention_heads / self.config.kv_heads();
		let s = pos + t;
		let mut m = vec![0f32; n * t * s];
		for row in 0..n * t {
			let i = row % t;
			for j in (pos + i + 1)..s {
				m[row * s + j] = f32::NEG_INFINITY;
			}
		}
		Tensor::from_vec(m, (n * t, s), &self.device)
	}
}

impl Block {
	/// `x` plus the MLP of its normalized self: the second half of the block.
	fn mlp_after(&self, x: Tensor) -> candle_core::Result<Tensor> {
		let h = self.post_norm.forward(&x)?;
		let m = &self.mlp;
		let [gate, up]: [Tensor; 2] =
			m.gate_up.forward(&h)?.try_into().map_err(|_| {
				candle_core::Error::Msg("an MLP without its two projections".into())
			})?;
		let h = m.down.forward(&(candle_nn::ops::silu(&gate)? * up)?)?;
		x + h
	}
}

impl Attention {
	fn forward(
		&self,
		x: &Tensor,
		cos: &Tensor,
		sin: &Tensor,
		mask: Option<&Tensor>,
		kv: &mut KvCache,
	) -> candle_core::Result<Tensor> {
		let (q, k, v) = self.project(x)?;
		self.o.forward(&self.attend(q, k, v, cos, sin, mask, kv)?)
	}

	/// Queries, keys and values of `x` (`(b, t, hidden)`): `(b, heads, t, head_dim)` and
	/// `(b, kv_heads, t, head_dim)` twice.
	fn project(&self, x: &Tensor) -> candle_core::Result<(Tensor, Tensor, Tensor)> {
		let (b, t, _) = x.dims3()?;
		let hd = self.head_dim;
		let split = |y: Tensor, heads: usize| -> candle_core::Result<Tensor> {
			y.reshape((b, t, heads, hd))?.transpose(1, 2)?.contiguous()
		};
		let [q, k, v]: [Tensor; 3] = self.qkv.forward(x)?.try_into().map_err(|_| {
			candle_core::Error::Msg("attention without its three projections".into())
		})?;
		Ok((split(q, self.heads)?, split(k, self.kv_heads)?, split(v, self.kv_heads)?))
	}

	/// Attention of one sequence's new positions over its cache and themselves, before the
	/// output projection: `(1, t, heads * head_dim)`. The new keys and values join the cache.
	fn attend(
		&self,
		q: Tensor,
		k: Tensor,
		v: Tensor,
		cos: &Tensor,
		sin: &Tensor,
		mask: Option<&Tensor>,
		kv: &mut KvCache,
	) -> candle_core::Result<Tensor> {
		let (b, _, t, hd) = q.dims4()?;
		let q = rope(&q, cos, sin, self.rope_layout)?;
		let k = rope(&k, cos, sin, self.rope_layout)?;
		// The cache's views are strided (heads a capacity apart): the products below read
		// them in place rather than a copy of the whole cache per step.
		let (k, v) = kv.append(&k, &v.contiguous()?)?;
		// The queries grouped by the key/value head they share, `(b, kv_heads, n * t, d)`
		// (head `g * n + i` reads key/value head `g`), so that keys and values are never
		// copied once per query head.
		let n = self.heads / self.kv_heads;
		let q = q.reshape((b, self.kv_heads, n * t, hd))?;
		let scores = (q.matmul(&k.t()?)? / (hd as f64).sqrt())?;
		let scores = match mask {
			Some(m) => scores.broadcast_add(m)?,
			None => scores,
		};
		let probs = softmax_last_dim(&scores)?;
		probs.matmul(&v)?.reshape((b, self.heads, t, hd))?.transpose(1, 2)?.reshape((
			b,
			t,
			self.heads * hd,
		))
	}
}

/// The weights of the plain `f32` decoding step ([`Llama::forward_batch_host`]).
struct HostWeights<'a> {
	blocks: Vec<HostBlock<'a>>,
	lm_head: &'a QuantWeight,
}

struct HostBlock<'a> {
	qkv: HostProjs<'a>,
	o: &'a QuantWeight,
	gate_up: HostProjs<'a>,
	down: &'a QuantWeight,
}

/// [`Projs`] kept quantized.
enum HostProjs<'a> {
	/// One product; the parts' widths.
	Stacked(&'a QuantWeight, &'a [usize]),
	/// One product each.
	Apart(Vec<&'a QuantWeight>),
}

impl HostProjs<'_> {
	/// The products of the `rows` rows of `x`.
	fn forward(&self, x: &[f32], rows: usize) -> Parts {
		match self {
			Self::Apart(parts) => Parts {
				widths: parts.iter().map(|w| w.rows()).collect(),
				data: parts.iter().map(|w| w.matmul(x)).collect(),
				rows,
			},
			Self::Stacked(w, widths) => {
				Parts { widths: widths.to_vec(), data: vec![w.matmul(x)], rows }
			},
		}
	}
}

/// Projections of a batch's rows: one matrix with the parts side by side, or one per part.
struct Parts {
	widths: Vec<usize>,
	data: Vec<Vec<f32>>,
	rows: usize,
}

impl Parts {
	/// Part `k` of row `r`.
	fn get(&self, k: usize, r: usize) -> Option<&[f32]> {
		let width = *self.widths.get(k)?;
		if r >= self.rows {
			return None;
		}
		if let [stacked] = &self.data[..] {
			let total: usize = self.widths.iter().sum();
			let from = r * total + self.widths[..k].iter().sum::<usize>();
			stacked.get(from..from + width)
		} else {
			self.data.get(k)?.get(r * width..(r + 1) * width)
		}
	}
}

impl Proj {
	/// The weights, when kept quantized.
	fn quantized(&self) -> Option<&QuantWeight> {
		match self {
			Proj::Quant(w) => Some(w),
			Proj::Dense(_) => None,
		}
	}
}

impl Projs {
	/// The projections, when every one is kept quantized.
	fn quantized(&self) -> Option<HostProjs<'_>> {
		match self {
			Self::Stacked(w, widths) => Some(HostProjs::Stacked(w.quantized()?, widths)),
			Self::Apart(parts) => {
				parts.iter().map(Proj::quantized).collect::<Option<_>>().map(HostProjs::Apart)
			},
		}
	}
}

/// `x += y`, element for element.
fn add_in_place(x: &mut [f32], y: &[f32]) {
	for (x, y) in x.iter_mut().zip(y) {
		*x += y;
	}
}

/// One position's attention over the first `kv`'s positions, read from the cache's memory in
/// place.
fn attend_cached(
	kv: &KvCache,
	q: &[f32],
	shape: (usize, usize, usize),
) -> anyhow::Result<Vec<f32>> {
	use candle_core::Storage;
	use daya_kernels::attention::attend_one;
	let (Some(k), Some(v)) = (kv.k_cache().all_data(), kv.v_cache().all_data()) else {
		return Err(anyhow!("attention over an empty cache"));
	};
	let (k_storage, k_layout) = k.storage_and_layout();
	let (v_storage, v_layout) = v.storage_and_layout();
	let (Storage::Cpu(k_data), Storage::Cpu(v_data)) = (&*k_storage, &*v_storage) else {
		return Err(anyhow!("a cache outside the CPU's memory"));
	};
	let keys = cached(k_data, k_layout)?;
	let values = cached(v_data, v_layout)?;
	Ok(attend_one(q, keys, values, shape, kv.current_seq_len())?)
}

/// A cache tensor's memory, `(1, kv_heads, positions, head_dim)` with its elements side by side.
fn cached<'a>(
	data: &'a candle_core::CpuStorage,
	layout: &candle_core::Layout,
) -> anyhow::Result<daya_kernels::attention::Cached<'a>> {
	let data = data.as_slice::<f32>()?;
	match layout.stride() {
		[_, head, pos, 1] => Ok(daya_kernels::attention::Cached {
			data: data.get(layout.start_offset()..).unwrap_or_default(),
			head_stride: *head,
			pos_stride: *pos,
		}),
		stride => Err(anyhow!("a cache laid out with strides {stride:?}")),
	}
}

/// Whether `x` is an `f32` tensor in the CPU's memory.
fn on_cpu_f32(x: &Tensor) -> bool {
	x.device().is_cpu() && x.dtype() == DType::F32
}

/// The rotary embedding of `x` (`(b, heads, t, d)`) for positions whose cos and sin are
/// `(t, d / 2)`: on the CPU without a thread pool ([`daya_kernels::ops::rope`], candle's bits),
/// elsewhere candle's.
fn rope(x: &Tensor, cos: &Tensor, sin: &Tensor, layout: RopeLayout) -> candle_core::Result<Tensor> {
	use daya_kernels::ops::{self, Pairing};
	if !(on_cpu_f32(x) && on_cpu_f32(cos) && on_cpu_f32(sin)) {
		return match layout {
			RopeLayout::HalfSplit => candle_nn::rotary_emb::rope(x, cos, sin),
			RopeLayout::Interleaved => candle_nn::rotary_emb::rope_i(x, cos, sin),
		};
	}
	let (b, h, t, d) = x.dims4()?;
	if cos.dims() != [t, d / 2] || sin.dims() != [t, d / 2] || d % 2 != 0 {
		return Err(candle_core::Error::Msg(format!(
			"a rotary embedding of {:?} and {:?} for {:?}",
			cos.dims(),
			sin.dims(),
			x.dims()
		)));
	}
	let pairing = match layout {
		RopeLayout::HalfSplit => Pairing::HalfSplit,
		RopeLayout::Interleaved => Pairing::Interleaved,
	};
	let dst = ops::rope(
		&x.flatten_all()?.to_vec1::<f32>()?,
		&cos.flatten_all()?.to_vec1::<f32>()?,
		&sin.flatten_all()?.to_vec1::<f32>()?,
		t,
		d,
		pairing,
	);
	Tensor::from_vec(dst, (b, h, t, d), x.device())
}

/// Softmax over the last dimension: on the CPU without a thread pool
/// ([`daya_kernels::ops::softmax_rows`], candle's bits), elsewhere candle's.
fn softmax_last_dim(x: &Tensor) -> candle_core::Result<Tensor> {
	if !on_cpu_f32(x) {
		return candle_nn::ops::softmax_last_dim(x);
	}
	let n = x.dim(candle_core::D::Minus1)?;
	let dst = daya_kernels::ops::softmax_rows(&x.flatten_all()?.to_vec1::<f32>()?, n);
	Tensor::from_vec(dst, x.dims(), x.device())
}

/// Natural-log softmax in `f64`.
pub fn log_softmax(logits: &[f32]) -> Vec<f64> {
	let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
	let sum: f64 = logits.iter().map(|&l| (l as f64 - max).exp()).sum();
	let lse = max + sum.ln();
	logits.iter().map(|&l| l as f64 - lse).collect()
}

#[cfg(test)]
mod tests {
	use super::*;

	fn random(shape: &[usize], seed: u64) -> Tensor {
		let mut rng = crate::dev_model::SplitMix64(seed);
		let n = shape.iter().product();
		let v: Vec<f32> = (0..n)
			.map(|_| (rng.next_u64() >> 40) as f32 / (1u64 << 24) as f32 * 8.0 - 4.0)
			.collect();
		Tensor::from_vec(v, shape, &Device::Cpu).unwrap()
	}

	fn bits(t: &Tensor) -> Vec<u32> {
		t.flatten_all()
			.unwrap()
			.to_vec1::<f32>()
			.unwrap()
			.iter()
			.map(|v| v.to_bits())
			.collect()
	}

	#[test]
	fn rope_softmax_and_norm_give_candles_bits() {
		// One token, a few, a prompt large enough to be split across threads.
		for (b, h, t, d) in [(1, 9, 1, 64), (2, 3, 5, 64), (1, 1, 7, 8), (1, 9, 100, 64)] {
			let x = random(&[b, h, t, d], 1);
			let (cos, sin) = (random(&[t, d / 2], 2), random(&[t, d / 2], 3));
			let ours = rope(&x, &cos, &sin, RopeLayout::Interleaved).unwrap();
			let theirs = candle_nn::rotary_emb::rope_i(&x, &cos, &sin).unwrap();
			assert_eq!(bits(&ours), bits(&theirs), "interleaved {b} {h} {t} {d}");
			let ours = rope(&x, &cos, &sin, RopeLayout::HalfSplit).unwrap();
			let theirs = candle_nn::rotary_emb::rope(&x, &cos, &sin).unwrap();
			assert_eq!(bits(&ours), bits(&theirs), "half split {b} {h} {t} {d}");
			let scores = random(&[b, h, t, 3 + 29 * t], 4);
			let ours = softmax_last_dim(&scores).unwrap();
			let theirs = candle_nn::ops::softmax_last_dim(&scores).unwrap();
			assert_eq!(ours.dims(), theirs.dims());
			assert_eq!(bits(&ours), bits(&theirs), "softmax {b} {h} {t}");
		}
		assert!(rope(
			&random(&[1, 1, 2, 8], 5),
			&random(&[3, 4], 6),
			&random(&[3, 4], 7),
			RopeLayout::Interleaved
		)
		.is_err());
	}

	/// A small Llama with random weights, its projections and embeddings kept quantized (Q4_1
	/// and Q8_0) as a GGUF file's are.
	fn small_quantized_llama() -> Llama {
		use candle_core::quantized::{GgmlDType, QTensor};
		let config = LlamaConfig {
			hidden_size: 64,
			intermediate_size: 96,
			num_hidden_layers: 2,
			num_attention_heads: 4,
			num_key_value_heads: Some(2),
			head_dim: None,
			rms_norm_eps: 1e-5,
			rope_theta: 10_000.0,
			vocab_size: 128,
			max_position_embeddings: 256,
			tie_word_embeddings: true,
			bos_token_id: None,
			eos_token_id: None,
			rope_layout: RopeLayout::Interleaved,
		};
		let (h, i, kv) = (64, 96, 32);
		let mut tensors = HashMap::new();
		let mut quant = QuantWeights::new();
		let mut seed = 0;
		let mut add = |name: String, shape: &[usize], scale: f64, kind: Option<GgmlDType>| {
			seed += 1;
			let t = (random(shape, seed) * scale).unwrap();
			if let Some(kind) = kind {
				let q = QTensor::quantize(&t, kind).unwrap();
				let w = QuantWeight::from_qtensor(&q).unwrap().expect("kept quantized");
				quant.insert(name.clone(), Arc::new(w));
			}
			tensors.insert(name, t);
		};
		add("model.embed_tokens.weight".into(), &[128, h], 0.25, Some(GgmlDType::Q8_0));
		add("model.norm.weight".into(), &[h], 0.25, None);
		for l in 0..2 {
			let p = format!("model.layers.{l}");
			for (name, shape) in [
				("self_attn.q_proj", [h, h]),
				("self_attn.k_proj", [kv, h]),
				("self_attn.v_proj", [kv, h]),
				("self_attn.o_proj", [h, h]),
				("mlp.gate_proj", [i, h]),
				("mlp.up_proj", [i, h]),
				("mlp.down_proj", [h, i]),
			] {
				add(format!("{p}.{name}.weight"), &shape, 0.05, Some(GgmlDType::Q4_1));
			}
			add(format!("{p}.input_layernorm.weight"), &[h], 0.25, None);
			add(format!("{p}.post_attention_layernorm.weight"), &[h], 0.25, None);
		}
		let vb = VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu);
		Llama::with_quantized(config, vb, &quant, Device::Cpu).unwrap()
	}

	#[test]
	fn a_batch_decoded_in_plain_f32_matches_candles_tensors() {
		let model = small_quantized_llama();
		assert!(model.host_weights().is_some(), "every projection is kept quantized");
		let prompts: [&[u32]; 3] = [&[1, 2, 3, 4, 5], &[9, 8], &[7, 70, 100, 3, 3, 3, 3, 3, 12]];
		let prefill = |caches: &mut Vec<Cache>| {
			for (prompt, cache) in prompts.iter().zip(caches.iter_mut()) {
				model.forward(prompt, cache, prompt.len() - 1).unwrap();
			}
		};
		let mut host: Vec<Cache> = prompts.iter().map(|_| model.cache(32)).collect();
		let mut tensors: Vec<Cache> = prompts.iter().map(|_| model.cache(32)).collect();
		prefill(&mut host);
		prefill(&mut tensors);
		for step in 0..12u32 {
			let tokens = [step, 3 * step + 1, 127 - step];
			let a = model.forward_batch(&tokens, &mut host.iter_mut().collect::<Vec<_>>()).unwrap();
			let b = model
				.forward_batch_tensors(&tokens, &mut tensors.iter_mut().collect::<Vec<_>>())
				.unwrap();
			// Products, norms and activations give the same bits; attention alone adds its
			// values in another order.
			for (a, b) in a.logits.iter().flatten().zip(b.logits.iter().flatten()) {
				assert!((a - b).abs() <= 1e-4 * b.abs().max(1.0), "step {step}: {a} against {b}");
			}
			for (a, b) in a.hidden.iter().flatten().zip(b.hidden.iter().flatten()) {
				assert!((a - b).abs() <= 1e-4 * b.abs().max(1.0), "step {step}: {a} against {b}");
			}
			assert_eq!((a.logits.len(), a.hidden.len()), (3, 3));
			assert!(a.logits.iter().all(|row| row.len() == 128));
		}
		for (h, t) in host.iter().zip(&tensors) {
			assert_eq!((h.pos, h.kv[0].current_seq_len()), (t.pos, t.kv[0].current_seq_len()));
		}
	}
}
