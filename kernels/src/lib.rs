//! Matrix products with GGUF weights kept quantized (Q4_1, Q8_0) on the CPU, in the file's bytes
//! (20 per 32 Q4_1 weights, 34 per 32 Q8_0 weights): decoding one sequence reads every weight
//! once per token, so their bytes, and how steadily they stream, bound it.
//!
//! Every output element `y[r][o] = sum_k w[o][k] * x[r][k]` is computed by one fixed sequence of
//! operations, whatever else is computed alongside:
//!
//! - a block of 32 weights is dequantized as GGUF defines it (`d * q + m`, fused, for Q4_1;
//!   `d * q` for Q8_0), in `f32`, its `f16` scales widened exactly;
//! - eight lanes accumulate, lane `j` taking elements `j`, `j + 8`, `j + 16`, `j + 24` of each
//!   block in that order with fused multiply-adds, over the blocks in order;
//! - the lanes are added in order `0..8`.
//!
//! So the result does not depend on the batch (how many rows, which rows share a dequantized
//! block), on the thread count, or on the CPU: the AVX-512 path (two outputs side by side in
//! each sixteen-lane vector, each half doing what an eight-lane AVX2 vector does), the AVX2 path
//! and the portable path give the same bits ([`Isa`]). A chain job's numbers are the same alone
//! or in a batch, and the same in a generation as in a validator's teacher-forced replay.
//!
//! Beside the products: a decoding step's small operations with candle's bits ([`ops`]), one
//! position's attention read from a sequence's KV cache ([`attention`]) and the sampler's scan
//! for the tokens that can still be picked ([`sampling`]), each the same bits on every
//! instruction set.

use candle_core::{quantized::GgmlDType, Device, Tensor};
use half::f16;

pub mod attention;
pub mod ops;
mod pool;
pub mod sampling;

/// Calls `work(i)` for every `i < n` on this thread and the products' helpers (see the pool),
/// and returns when every call has returned, raising a call's panic here. For work whose parts
/// are independent and whose results do not depend on the thread that computes them.
pub fn parallel(n: usize, work: &(dyn Fn(usize) + Sync)) {
	pool::Pool::global().run(n, work);
}

/// `f` of every item, in order, computed on this thread and the products' helpers as
/// [`parallel`] does (a call's panic raised here).
pub fn parallel_map<T: Send, R: Send>(items: Vec<T>, f: &(dyn Fn(T) -> R + Sync)) -> Vec<R> {
	use std::sync::{Mutex, PoisonError};
	let items: Vec<Mutex<Option<T>>> = items.into_iter().map(|t| Mutex::new(Some(t))).collect();
	let results: Vec<Mutex<Option<R>>> = items.iter().map(|_| Mutex::new(None)).collect();
	parallel(items.len(), &|i| {
		let item = items[i].lock().unwrap_or_else(PoisonError::into_inner).take();
		if let Some(item) = item {
			let result = f(item);
			*results[i].lock().unwrap_or_else(PoisonError::into_inner) = Some(result);
		}
	});
	// Every call has returned (a panic is raised by `parallel`), so every result is there.
	results
		.into_iter()
		.filter_map(|r| r.into_inner().unwrap_or_else(PoisonError::into_inner))
		.collect()
}

/// A product's output, which the pool's threads write chunk by chunk, each chunk apart.
struct Output(*mut f32);

// SAFETY: each thread writes only the chunks it claims, which never overlap (see `matmul_on`).
unsafe impl Sync for Output {}

impl Output {
	/// The output from element `i` on.
	///
	/// # Safety
	/// `i` is within the output.
	unsafe fn at(&self, i: usize) -> *mut f32 {
		// SAFETY: the caller's.
		unsafe { self.0.add(i) }
	}
}

thread_local! {
	/// A thread's room for a chunk's columns (see `matmul_on`).
	static SCRATCH: std::cell::Cell<Vec<f32>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Weights per block.
const BLOCK: usize = 32;

/// Outputs stored together: a one-row product computes a group at a time, reading its blocks
/// as one stream.
const GROUP: usize = 8;

/// From this many rows the AVX2 and portable paths dequantize their weights once per chunk of
/// outputs (a prompt), below it block by block as they go. The AVX-512 path always dequantizes
/// as it goes, eight rows a tile: measured side by side, 20% faster than a dequantized panel
/// for 128 and for 512 rows.
const PANEL_ROWS: usize = 64;

/// Rows whose product a chunk keeps on the stack.
const BATCH_ROWS: usize = 16;

/// Multiply-adds from which a product is split across threads.
const PARALLEL_FROM: usize = 1 << 17;

/// Rows the portable path sums together. How rows are tiled never changes a row's sum.
const TILE: usize = 8;

/// Outputs a thread takes at a time (two groups).
const OUTPUTS: usize = 16;

/// How far ahead of its reads a product asks memory for its weights, in bytes: the hardware's
/// own prefetcher stops at each 4 KiB page, where a stream of weights would otherwise wait a
/// memory latency. Two pages: measured side by side on a SmolLM2 step's products, 8 KiB
/// gave one row 12% and eight rows 9% over 2 KiB; 12, 16 and 32 KiB no more.
const AHEAD: usize = 8192;

/// The instruction sets a product runs on, from the least to the most. Each gives the same
/// bits: the operations are the same, only how many run at once differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Isa {
	/// Any CPU: the definition, one element at a time.
	Portable,
	/// x86-64 with AVX2, FMA and F16C: eight lanes, one output in each vector.
	Avx2,
	/// x86-64 with AVX-512 (F, BW, DQ, VL), AVX2, FMA and F16C: sixteen lanes, two outputs in
	/// each vector.
	Avx512,
}

impl Isa {
	/// The most this CPU has.
	pub fn best() -> Isa {
		use std::sync::OnceLock;
		static BEST: OnceLock<Isa> = OnceLock::new();
		*BEST.get_or_init(|| {
			#[cfg(target_arch = "x86_64")]
			{
				use std::arch::is_x86_feature_detected as has;
				let avx2 = has!("avx2") && has!("fma") && has!("f16c");
				let avx512 =
					has!("avx512f") && has!("avx512bw") && has!("avx512dq") && has!("avx512vl");
				if avx2 && avx512 {
					return Isa::Avx512;
				}
				if avx2 {
					return Isa::Avx2;
				}
			}
			Isa::Portable
		})
	}

	/// Every instruction set this CPU has, the least first.
	pub fn available() -> Vec<Isa> {
		[Isa::Portable, Isa::Avx2, Isa::Avx512]
			.into_iter()
			.filter(|i| *i <= Isa::best())
			.collect()
	}
}

/// The Q4_1 blocks of two outputs `a` and `b` (even, odd) at one position, in the file's 40
/// bytes, laid out so that a sixteen-lane vector widens both outputs' elements at once.
#[derive(Clone, Copy)]
#[repr(C)]
struct Q4_1Pair {
	/// `f16` bits: `a`'s scale, `b`'s scale, `a`'s minimum, `b`'s minimum.
	scales: [u16; 4],
	/// The file's bytes `a[0..8]`, `b[0..8]`, `a[8..16]`, `b[8..16]`: a block's element `i < 16`
	/// is the low nibble of its byte `i`, element `i + 16` the high nibble.
	qs: [u8; 32],
}

/// The Q8_0 blocks of two outputs `a` and `b` at one position, in the file's 68 bytes.
#[derive(Clone, Copy)]
#[repr(C)]
struct Q8_0Pair {
	/// `f16` bits: `a`'s scale, `b`'s scale.
	d: [u16; 2],
	/// Eight elements of `a`, then the same eight of `b`, four times: `a[0..8]`, `b[0..8]`,
	/// `a[8..16]`, ... `b[24..32]`.
	qs: [i8; 64],
}

enum Pairs {
	Q4_1(Vec<Q4_1Pair>),
	Q8_0(Vec<Q8_0Pair>),
}

/// A weight matrix `(rows, cols)` kept quantized; `rows` are the outputs.
///
/// Stored by groups of eight outputs, each group position by position, each position as four
/// pairs of outputs (`(0, 1)`, `(2, 3)`, ...): output `o`'s block `b` is in pair
/// `(o / 8) * 4 * per_row + b * 4 + (o % 8) / 2`, half `o % 2`. A one-row product reads a
/// group's weights as one stream.
pub struct QuantWeight {
	rows: usize,
	cols: usize,
	pairs: Pairs,
}

impl QuantWeight {
	/// The quantized weight of `q`, a 2-D Q4_1 or Q8_0 tensor whose rows are whole blocks and
	/// whose outputs are whole groups of eight; `None` for other types and shapes.
	pub fn from_qtensor(q: &candle_core::quantized::QTensor) -> anyhow::Result<Option<Self>> {
		let &[rows, cols] = q.shape().dims() else { return Ok(None) };
		if cols % BLOCK != 0 || rows % GROUP != 0 || rows == 0 {
			return Ok(None);
		}
		let data = q.data()?;
		let per_row = cols / BLOCK;
		let bits = |b: &[u8]| u16::from_le_bytes([b[0], b[1]]);
		// Pair `i`'s two outputs and its position, in storage order.
		let pair_of = |i: usize| {
			let (group, rest) = (i / (4 * per_row), i % (4 * per_row));
			let a = group * GROUP + 2 * (rest % 4);
			(a, a + 1, rest / 4)
		};
		let n = rows * per_row / 2;
		let pairs = match q.dtype() {
			GgmlDType::Q4_1 if data.len() == rows * per_row * 20 => Pairs::Q4_1(
				(0..n)
					.map(|i| {
						let (a, b, at) = pair_of(i);
						let [a, b] = [a, b].map(|o| &data[(o * per_row + at) * 20..][..20]);
						let mut qs = [0u8; 32];
						qs[0..8].copy_from_slice(&a[4..12]);
						qs[8..16].copy_from_slice(&b[4..12]);
						qs[16..24].copy_from_slice(&a[12..20]);
						qs[24..32].copy_from_slice(&b[12..20]);
						let scales =
							[bits(&a[0..2]), bits(&b[0..2]), bits(&a[2..4]), bits(&b[2..4])];
						Q4_1Pair { scales, qs }
					})
					.collect(),
			),
			GgmlDType::Q8_0 if data.len() == rows * per_row * 34 => Pairs::Q8_0(
				(0..n)
					.map(|i| {
						let (a, b, at) = pair_of(i);
						let [a, b] = [a, b].map(|o| &data[(o * per_row + at) * 34..][..34]);
						let mut qs = [0i8; 64];
						for (k, eight) in qs.chunks_exact_mut(16).enumerate() {
							for (j, q) in eight.iter_mut().enumerate() {
								let from = if j < 8 { a } else { b };
								*q = from[2 + 8 * k + j % 8] as i8;
							}
						}
						Q8_0Pair { d: [bits(&a[0..2]), bits(&b[0..2])], qs }
					})
					.collect(),
			),
			_ => return Ok(None),
		};
		Ok(Some(Self { rows, cols, pairs }))
	}

	/// The outputs of `parts` one after the other, as one matrix: a product with it gives each
	/// part's outputs side by side, each the same bits as the part's own product (an output's
	/// sum never depends on the others). `None` unless the parts share their width and block
	/// type.
	pub fn stack(parts: &[&QuantWeight]) -> Option<QuantWeight> {
		let first = parts.first()?;
		if parts.iter().any(|p| p.cols != first.cols) {
			return None;
		}
		// Groups are whole in every part, so the parts' pairs follow each other.
		let pairs = match &first.pairs {
			Pairs::Q4_1(_) => Pairs::Q4_1(
				parts
					.iter()
					.map(|p| match &p.pairs {
						Pairs::Q4_1(pairs) => Some(pairs.as_slice()),
						Pairs::Q8_0(_) => None,
					})
					.collect::<Option<Vec<_>>>()?
					.concat(),
			),
			Pairs::Q8_0(_) => Pairs::Q8_0(
				parts
					.iter()
					.map(|p| match &p.pairs {
						Pairs::Q8_0(pairs) => Some(pairs.as_slice()),
						Pairs::Q4_1(_) => None,
					})
					.collect::<Option<Vec<_>>>()?
					.concat(),
			),
		};
		let rows = parts.iter().map(|p| p.rows).sum();
		Some(QuantWeight { rows, cols: first.cols, pairs })
	}

	/// Outputs.
	pub fn rows(&self) -> usize {
		self.rows
	}

	/// Inputs.
	pub fn cols(&self) -> usize {
		self.cols
	}

	/// The weights as `f32`, row after row, dequantized as the products use them.
	pub fn dequantize(&self) -> Vec<f32> {
		let per_row = self.cols / BLOCK;
		let mut out = vec![0f32; self.rows * self.cols];
		for (i, chunk) in out.chunks_exact_mut(BLOCK).enumerate() {
			chunk.copy_from_slice(&self.block(i / per_row, i % per_row));
		}
		out
	}

	/// The pair that holds block `b` of output `o` (its half is `o % 2`).
	fn pair(&self, o: usize, b: usize) -> usize {
		(o / GROUP) * 4 * (self.cols / BLOCK) + b * 4 + (o % GROUP) / 2
	}

	/// Block `b` of output `o`, dequantized: the definition.
	fn block(&self, o: usize, b: usize) -> [f32; BLOCK] {
		let (i, h) = (self.pair(o, b), o % 2);
		let mut w = [0f32; BLOCK];
		match &self.pairs {
			Pairs::Q4_1(pairs) => {
				let p = &pairs[i];
				let (d, m) = (widen(p.scales[h]), widen(p.scales[2 + h]));
				for j in 0..16 {
					let byte = p.qs[16 * (j / 8) + 8 * h + j % 8];
					w[j] = d.mul_add(f32::from(byte & 0x0f), m);
					w[j + 16] = d.mul_add(f32::from(byte >> 4), m);
				}
			},
			Pairs::Q8_0(pairs) => {
				let p = &pairs[i];
				let d = widen(p.d[h]);
				for (e, w) in w.iter_mut().enumerate() {
					*w = d * f32::from(p.qs[16 * (e / 8) + 8 * h + e % 8]);
				}
			},
		}
		w
	}

	/// `x @ self^T` for `x` of shape `(..., cols)`, as `f32` on the CPU: `(..., rows)`.
	pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
		let dims = x.dims().to_vec();
		let Some((&cols, lead)) = dims.split_last() else {
			return Err(candle_core::Error::Msg("a product of a scalar".into()));
		};
		if cols != self.cols {
			return Err(candle_core::Error::Msg(format!(
				"an input of width {cols} for weights of width {}",
				self.cols
			)));
		}
		let xs = x.flatten_all()?.to_dtype(candle_core::DType::F32)?.to_vec1::<f32>()?;
		let y = self.matmul(&xs);
		let mut shape = lead.to_vec();
		shape.push(self.rows);
		Tensor::from_vec(y, shape, &Device::Cpu)
	}

	/// `y[r][o]` for the rows `r` of `xs` (each `cols` long), row-major, on the best
	/// instruction set this CPU has.
	pub fn matmul(&self, xs: &[f32]) -> Vec<f32> {
		self.matmul_on(Isa::best(), xs)
	}

	/// [`QuantWeight::matmul`] on `isa` (the best this CPU has at most): the same bits whatever
	/// `isa` is. For tests and benchmarks that compare the paths.
	pub fn matmul_on(&self, isa: Isa, xs: &[f32]) -> Vec<f32> {
		let isa = isa.min(Isa::best());
		let m = xs.len() / self.cols;
		if m == 0 {
			return Vec::new();
		}
		// Outputs in chunks across threads: a chunk computes its outputs' columns (every row
		// of an output together) and writes them into its own elements of `y`.
		let chunk = |first: usize, out: &mut [f32]| match isa {
			#[cfg(target_arch = "x86_64")]
			// SAFETY: `Isa::best` found AVX2, FMA and F16C (AVX-512 too, then).
			Isa::Avx2 | Isa::Avx512 => unsafe { self.chunk_avx2(first, xs, m, out) },
			_ => {
				for (i, column) in out.chunks_exact_mut(m).enumerate() {
					self.portable(first + i, xs, column);
				}
			},
		};
		let rows = self.rows;
		let mut y = vec![0f32; m * rows];
		let base = Output(y.as_mut_ptr());
		let task = |i: usize| {
			let first = i * OUTPUTS;
			let outputs = OUTPUTS.min(rows - first);
			// SAFETY: chunk `i` is `y[first..first + outputs]` for one row, run once, apart
			// from every other chunk; `y` outlives the run.
			let one_row = || unsafe { std::slice::from_raw_parts_mut(base.at(first), outputs) };
			#[cfg(target_arch = "x86_64")]
			if isa == Isa::Avx512 {
				if m == 1 {
					let out = one_row();
					for group in (0..outputs).step_by(GROUP) {
						let mut y = [0f32; GROUP];
						// SAFETY: `Isa::best` found AVX-512 (F, BW, DQ, VL), AVX2, FMA and
						// F16C; `first + group` starts a whole group and `xs` is one row.
						unsafe { avx512::group(self, first + group, xs, &mut y) };
						out[group..group + GROUP].copy_from_slice(&y);
					}
					return;
				}
				// More rows: each result straight into its row of `y`.
				let mut put = |o: usize, r: usize, values: &[f32]| {
					for (t, v) in values.iter().enumerate() {
						// SAFETY: output `first + o` of row `r + t` is inside `y` and belongs
						// to chunk `i` alone.
						unsafe { *base.at((r + t) * rows + first + o) = *v };
					}
				};
				// SAFETY: as above; outputs `first..first + outputs` (whole groups) exist and
				// `xs` holds `m` rows.
				unsafe { avx512::rows(self, first, outputs, xs, m, &mut put) };
				return;
			}
			if m == 1 {
				return chunk(first, one_row());
			}
			let scatter = |columns: &[f32]| {
				for (o, column) in columns.chunks_exact(m).enumerate() {
					for (r, v) in column.iter().enumerate() {
						// SAFETY: output `first + o` of row `r` is inside `y` and belongs to
						// chunk `i` alone.
						unsafe { *base.at(r * rows + first + o) = *v };
					}
				}
			};
			// The chunk's columns on the stack for a decoding batch, else in this thread's
			// scratch (kept from product to product).
			if m <= BATCH_ROWS {
				let mut columns = [0f32; OUTPUTS * BATCH_ROWS];
				chunk(first, &mut columns[..outputs * m]);
				scatter(&columns[..outputs * m]);
			} else {
				let mut columns = SCRATCH.take();
				columns.resize(outputs * m, 0f32);
				chunk(first, &mut columns);
				scatter(&columns);
				SCRATCH.set(columns);
			}
		};
		let chunks = rows.div_ceil(OUTPUTS);
		// Threads cost a hand-over each (a microsecond with the pool's helpers awake): worth
		// it for all but the smallest products.
		if m * self.rows * self.cols >= PARALLEL_FROM {
			pool::Pool::global().run(chunks, &task);
		} else {
			(0..chunks).for_each(task);
		}
		y
	}

	/// The outputs `first..` of `out` (`out[i * m + r]` for output `first + i`, row `r`) with
	/// AVX2: one row a group at a time, a batch a tile of rows at a time, a prompt from
	/// dequantized weights.
	///
	/// # Safety
	/// The CPU has AVX2, FMA and F16C.
	#[cfg(target_arch = "x86_64")]
	unsafe fn chunk_avx2(&self, first: usize, xs: &[f32], m: usize, out: &mut [f32]) {
		let outputs = out.len() / m;
		if m == 1 {
			for group in (0..outputs).step_by(GROUP) {
				let mut y = [0f32; GROUP];
				// SAFETY: the caller's CPU has AVX2, FMA and F16C; `first + group` starts a
				// whole group (chunks are whole groups) and `xs` is one row of `cols`.
				unsafe { avx::group(self, first + group, xs, &mut y) };
				out[group..group + GROUP].copy_from_slice(&y);
			}
		} else if m < PANEL_ROWS {
			for (i, column) in out.chunks_exact_mut(m).enumerate() {
				// SAFETY: as above; output `first + i` exists and `xs` holds `m` rows.
				unsafe { avx::rows(self, first + i, xs, column) };
			}
		} else {
			// SAFETY: as above; outputs `first..first + outputs` exist.
			let weights = unsafe { avx::dequantized(self, first, outputs) };
			// SAFETY: as above; `weights` holds `outputs` rows of `cols`, `xs` holds `m` rows,
			// `out` holds `outputs * m`.
			unsafe { avx::panel(&weights, self.cols, xs, m, out) };
		}
	}

	/// Output `o` for every row of `xs`, into `column`, on any CPU: the definition the other
	/// paths follow.
	fn portable(&self, o: usize, xs: &[f32], column: &mut [f32]) {
		let per_row = self.cols / BLOCK;
		let cols = self.cols;
		for tile in (0..column.len()).step_by(TILE) {
			let rows = (column.len() - tile).min(TILE);
			let mut acc = [[0f32; 8]; TILE];
			for b in 0..per_row {
				let w = self.block(o, b);
				for (r, acc) in acc.iter_mut().enumerate().take(rows) {
					let x = &xs[(tile + r) * cols + b * BLOCK..][..BLOCK];
					for v in 0..4 {
						for (j, lane) in acc.iter_mut().enumerate() {
							*lane = w[v * 8 + j].mul_add(x[v * 8 + j], *lane);
						}
					}
				}
			}
			for (r, acc) in acc.iter().enumerate().take(rows) {
				column[tile + r] = lanes_sum(acc);
			}
		}
	}
}

/// An `f16`'s bits widened to `f32` (exactly).
fn widen(bits: u16) -> f32 {
	f16::from_bits(bits).to_f32()
}

/// The eight lanes added in order.
fn lanes_sum(acc: &[f32; 8]) -> f32 {
	acc.iter().fold(0.0, |s, &a| s + a)
}

/// Asks memory for the bytes `AHEAD` past those of `at` (a hint: never a fault, never a change
/// of result).
#[inline(always)]
fn ahead<B>(at: &[B]) {
	#[cfg(target_arch = "x86_64")]
	{
		use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
		let p: *const i8 = at.as_ptr().cast();
		for line in (0..std::mem::size_of_val(at)).step_by(64) {
			// SAFETY: a prefetch reads nothing the program sees and never faults, whatever the
			// address; the pointer is never dereferenced.
			unsafe { _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(AHEAD + line)) };
		}
	}
}

#[cfg(target_arch = "x86_64")]
mod avx {
	use std::arch::x86_64::*;

	use super::{lanes_sum, Pairs, Q4_1Pair, Q8_0Pair, QuantWeight, BLOCK, GROUP, TILE};

	/// An `f16`'s bits widened to `f32` (exactly, as [`super::widen`]) in one instruction.
	#[target_feature(enable = "avx2,fma,f16c")]
	unsafe fn widen(bits: u16) -> f32 {
		_mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(i32::from(bits))))
	}

	/// The four vectors of half `h` of a Q4_1 pair: elements `0..8`, `8..16`, `16..24`,
	/// `24..32` of its block.
	#[target_feature(enable = "avx2,fma,f16c")]
	unsafe fn q4_1(p: &Q4_1Pair, h: usize) -> [__m256; 4] {
		let q = p.qs.as_ptr().add(8 * h);
		// Bytes 0..8 hold elements 0..8 and 16..24, bytes 8..16 elements 8..16 and 24..32.
		let low = _mm256_cvtepu8_epi32(_mm_loadl_epi64(q.cast()));
		let high = _mm256_cvtepu8_epi32(_mm_loadl_epi64(q.add(16).cast()));
		let nibble = _mm256_set1_epi32(0x0f);
		let (d, m) = (_mm256_set1_ps(widen(p.scales[h])), _mm256_set1_ps(widen(p.scales[2 + h])));
		let dequant = |q: __m256i| _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(q), m);
		[
			dequant(_mm256_and_si256(low, nibble)),
			dequant(_mm256_and_si256(high, nibble)),
			dequant(_mm256_srli_epi32::<4>(low)),
			dequant(_mm256_srli_epi32::<4>(high)),
		]
	}

	/// The four vectors of half `h` of a Q8_0 pair.
	#[target_feature(enable = "avx2,fma,f16c")]
	unsafe fn q8_0(p: &Q8_0Pair, h: usize) -> [__m256; 4] {
		let d = _mm256_set1_ps(widen(p.d[h]));
		let q = p.qs.as_ptr().add(8 * h);
		let at = |k: usize| {
			_mm256_mul_ps(
				d,
				_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(q.add(16 * k).cast()))),
			)
		};
		[at(0), at(1), at(2), at(3)]
	}

	/// The eight lanes of `acc` added in order ([`lanes_sum`]).
	#[target_feature(enable = "avx2,fma,f16c")]
	unsafe fn sum(acc: __m256) -> f32 {
		let mut lanes = [0f32; 8];
		_mm256_storeu_ps(lanes.as_mut_ptr(), acc);
		lanes_sum(&lanes)
	}

	/// Outputs `first..first + GROUP` (a whole group) for the one row `x`: the operations of
	/// [`QuantWeight::portable`] for each, the group's pairs read as one stream.
	#[target_feature(enable = "avx2,fma,f16c")]
	pub(super) unsafe fn group(w: &QuantWeight, first: usize, x: &[f32], out: &mut [f32; GROUP]) {
		let at = w.pair(first, 0);
		let len = w.cols / BLOCK * GROUP / 2;
		// The block type chosen once, outside the loops.
		match &w.pairs {
			Pairs::Q4_1(pairs) => group_of(&pairs[at..at + len], |p, h| q4_1(p, h), x, out),
			Pairs::Q8_0(pairs) => group_of(&pairs[at..at + len], |p, h| q8_0(p, h), x, out),
		}
	}

	/// [`group`] over a group's pairs, four per position, dequantized half by half by
	/// `vectors`.
	#[target_feature(enable = "avx2,fma,f16c")]
	#[inline]
	unsafe fn group_of<P>(
		pairs: &[P],
		vectors: impl Fn(&P, usize) -> [__m256; 4],
		x: &[f32],
		out: &mut [f32; GROUP],
	) {
		let mut acc = [_mm256_setzero_ps(); GROUP];
		for (b, at) in pairs.chunks_exact(GROUP / 2).enumerate() {
			super::ahead(at);
			let p = x[b * BLOCK..][..BLOCK].as_ptr();
			for (o, acc) in acc.iter_mut().enumerate() {
				for (k, v) in vectors(&at[o / 2], o % 2).iter().enumerate() {
					*acc = _mm256_fmadd_ps(*v, _mm256_loadu_ps(p.add(8 * k)), *acc);
				}
			}
		}
		for (o, acc) in acc.iter().enumerate() {
			out[o] = sum(*acc);
		}
	}

	/// Output `o` for every row of `xs`: the operations of [`QuantWeight::portable`], a tile
	/// of rows sharing each dequantized block.
	#[target_feature(enable = "avx2,fma,f16c")]
	pub(super) unsafe fn rows(w: &QuantWeight, o: usize, xs: &[f32], column: &mut [f32]) {
		match &w.pairs {
			Pairs::Q4_1(pairs) => rows_of(w, pairs, |p, h| q4_1(p, h), o, xs, column),
			Pairs::Q8_0(pairs) => rows_of(w, pairs, |p, h| q8_0(p, h), o, xs, column),
		}
	}

	#[target_feature(enable = "avx2,fma,f16c")]
	#[inline]
	unsafe fn rows_of<P>(
		w: &QuantWeight,
		pairs: &[P],
		vectors: impl Fn(&P, usize) -> [__m256; 4],
		o: usize,
		xs: &[f32],
		column: &mut [f32],
	) {
		let (cols, per_row, h) = (w.cols, w.cols / BLOCK, o % 2);
		// Output `o`'s pairs: one every four from its first.
		let first = w.pair(o, 0);
		for tile in (0..column.len()).step_by(TILE) {
			let rows = (column.len() - tile).min(TILE);
			let mut acc = [_mm256_setzero_ps(); TILE];
			for b in 0..per_row {
				let at = &pairs[first + b * GROUP / 2];
				super::ahead(std::slice::from_ref(at));
				let v = vectors(at, h);
				for (r, acc) in acc.iter_mut().enumerate().take(rows) {
					let x = xs[(tile + r) * cols + b * BLOCK..][..BLOCK].as_ptr();
					for (k, v) in v.iter().enumerate() {
						*acc = _mm256_fmadd_ps(*v, _mm256_loadu_ps(x.add(8 * k)), *acc);
					}
				}
			}
			for (r, acc) in acc.iter().enumerate().take(rows) {
				column[tile + r] = sum(*acc);
			}
		}
	}

	/// Outputs `first..first + outputs`, dequantized (as [`QuantWeight::dequantize`]), row
	/// after row.
	#[target_feature(enable = "avx2,fma,f16c")]
	pub(super) unsafe fn dequantized(w: &QuantWeight, first: usize, outputs: usize) -> Vec<f32> {
		let mut out = vec![0f32; outputs * w.cols];
		match &w.pairs {
			Pairs::Q4_1(pairs) => dequantize_into(w, pairs, |p, h| q4_1(p, h), first, &mut out),
			Pairs::Q8_0(pairs) => dequantize_into(w, pairs, |p, h| q8_0(p, h), first, &mut out),
		}
		out
	}

	#[target_feature(enable = "avx2,fma,f16c")]
	#[inline]
	unsafe fn dequantize_into<P>(
		w: &QuantWeight,
		pairs: &[P],
		vectors: impl Fn(&P, usize) -> [__m256; 4],
		first: usize,
		out: &mut [f32],
	) {
		for (i, row) in out.chunks_exact_mut(w.cols).enumerate() {
			let o = first + i;
			for (b, block) in row.chunks_exact_mut(BLOCK).enumerate() {
				for (k, v) in vectors(&pairs[w.pair(o, b)], o % 2).iter().enumerate() {
					_mm256_storeu_ps(block[8 * k..][..8].as_mut_ptr(), *v);
				}
			}
		}
	}

	/// `out[o * m + r]` for the dequantized weight rows `weights` (each `cols` long) and the
	/// `m` rows of `xs`: the operations of [`QuantWeight::portable`] for each output, two
	/// outputs by four rows sharing their loads.
	#[target_feature(enable = "avx2,fma,f16c")]
	pub(super) unsafe fn panel(
		weights: &[f32],
		cols: usize,
		xs: &[f32],
		m: usize,
		out: &mut [f32],
	) {
		let outputs = weights.len() / cols;
		for o in (0..outputs).step_by(2) {
			let pair = (outputs - o).min(2);
			for tile in (0..m).step_by(4) {
				let rows = (m - tile).min(4);
				let mut acc = [[_mm256_setzero_ps(); 4]; 2];
				let w = [weights[o * cols..].as_ptr(), weights[(o + pair - 1) * cols..].as_ptr()];
				let x = [0, 1, 2, 3].map(|r| xs[(tile + r.min(rows - 1)) * cols..].as_ptr());
				for k in (0..cols).step_by(8) {
					let wv = [_mm256_loadu_ps(w[0].add(k)), _mm256_loadu_ps(w[1].add(k))];
					for r in 0..rows {
						let xv = _mm256_loadu_ps(x[r].add(k));
						acc[0][r] = _mm256_fmadd_ps(wv[0], xv, acc[0][r]);
						acc[1][r] = _mm256_fmadd_ps(wv[1], xv, acc[1][r]);
					}
				}
				for (p, acc) in acc.iter().enumerate().take(pair) {
					for (r, acc) in acc.iter().enumerate().take(rows) {
						out[(o + p) * m + tile + r] = sum(*acc);
					}
				}
			}
		}
	}
}

/// The AVX-512 paths: two outputs side by side in each 16-lane vector (lanes `0..8` the first,
/// `8..16` the second), each half doing exactly what an AVX2 vector does for its output.
#[cfg(target_arch = "x86_64")]
mod avx512 {
	use std::arch::x86_64::*;

	use super::{lanes_sum, Pairs, Q4_1Pair, Q8_0Pair, QuantWeight, BLOCK, GROUP};

	/// Lanes `0..8` from lane `i` of `s`, lanes `8..16` from lane `j`.
	#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c")]
	unsafe fn spread(s: __m128, i: i32, j: i32) -> __m512 {
		let index = _mm512_set_epi32(j, j, j, j, j, j, j, j, i, i, i, i, i, i, i, i);
		_mm512_permutexvar_ps(index, _mm512_castps128_ps512(s))
	}

	/// Eight inputs at `p`, in both halves.
	#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c")]
	unsafe fn both(p: *const f32) -> __m512 {
		_mm512_broadcast_f32x8(_mm256_loadu_ps(p))
	}

	/// A Q4_1 pair: vector `k` holds elements `8k..8k + 8` of its first block, then of its
	/// second.
	#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c")]
	unsafe fn q4_1(p: &Q4_1Pair) -> [__m512; 4] {
		let q = p.qs.as_ptr();
		let low = _mm512_cvtepu8_epi32(_mm_loadu_si128(q.cast()));
		let high = _mm512_cvtepu8_epi32(_mm_loadu_si128(q.add(16).cast()));
		let scales = _mm_cvtph_ps(_mm_loadl_epi64(p.scales.as_ptr().cast()));
		let (d, m) = (spread(scales, 0, 1), spread(scales, 2, 3));
		// A nibble's value looked up rather than masked and converted: a permutation reads
		// only an index's low four bits (the same exact `f32` as the conversion).
		let values = _mm512_setr_ps(
			0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0,
		);
		let dequant = |q: __m512i| _mm512_fmadd_ps(d, _mm512_permutexvar_ps(q, values), m);
		[
			dequant(low),
			dequant(high),
			dequant(_mm512_srli_epi32::<4>(low)),
			dequant(_mm512_srli_epi32::<4>(high)),
		]
	}

	/// A Q8_0 pair: vector `k` holds elements `8k..8k + 8` of its first block, then of its
	/// second.
	#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c")]
	unsafe fn q8_0(p: &Q8_0Pair) -> [__m512; 4] {
		let scales = _mm_cvtph_ps(_mm_cvtsi32_si128(i32::from(p.d[0]) | (i32::from(p.d[1]) << 16)));
		let d = spread(scales, 0, 1);
		let q = p.qs.as_ptr();
		let at = |k: usize| {
			let q = _mm512_cvtepi8_epi32(_mm_loadu_si128(q.add(16 * k).cast()));
			_mm512_mul_ps(d, _mm512_cvtepi32_ps(q))
		};
		[at(0), at(1), at(2), at(3)]
	}

	/// [`halves_sums`] of eight accumulators at once: lane `i` of the result is half one of
	/// `acc[i]` summed, lane `8 + i` half two. The halves are transposed (two 8 by 8
	/// transposes side by side) so that vector `j` holds every half's lane `j`, then the
	/// vectors are added in lane order from zero: each sum's operations are [`lanes_sum`]'s.
	#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c")]
	unsafe fn halves_sums8(acc: &[__m512; 8]) -> __m512 {
		// Within each 128-bit lane: four rows' four elements transposed.
		let t = [
			_mm512_unpacklo_ps(acc[0], acc[1]),
			_mm512_unpackhi_ps(acc[0], acc[1]),
			_mm512_unpacklo_ps(acc[2], acc[3]),
			_mm512_unpackhi_ps(acc[2], acc[3]),
			_mm512_unpacklo_ps(acc[4], acc[5]),
			_mm512_unpackhi_ps(acc[4], acc[5]),
			_mm512_unpacklo_ps(acc[6], acc[7]),
			_mm512_unpackhi_ps(acc[6], acc[7]),
		];
		// `c[k]`, 128-bit lane `l`: element `4 * (l % 2) + k % 4` of rows `0..4` (`k < 4`) or
		// `4..8` (`k >= 4`), of half `l / 2`.
		let c = [
			_mm512_shuffle_ps::<0x44>(t[0], t[2]),
			_mm512_shuffle_ps::<0xee>(t[0], t[2]),
			_mm512_shuffle_ps::<0x44>(t[1], t[3]),
			_mm512_shuffle_ps::<0xee>(t[1], t[3]),
			_mm512_shuffle_ps::<0x44>(t[4], t[6]),
			_mm512_shuffle_ps::<0xee>(t[4], t[6]),
			_mm512_shuffle_ps::<0x44>(t[5], t[7]),
			_mm512_shuffle_ps::<0xee>(t[5], t[7]),
		];
		// Element `j` of every row: rows `0..4` then `4..8`, for each half.
		let low = _mm512_setr_epi32(0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27);
		let high = _mm512_setr_epi32(4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31);
		let column = |j: usize| {
			let index = if j < 4 { low } else { high };
			_mm512_permutex2var_ps(c[j % 4], index, c[4 + j % 4])
		};
		let mut sum = _mm512_setzero_ps();
		for j in 0..8 {
			sum = _mm512_add_ps(sum, column(j));
		}
		sum
	}

	/// Each half's eight lanes added in order ([`lanes_sum`]).
	#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c")]
	unsafe fn halves_sums(acc: __m512) -> [f32; 2] {
		let mut lanes = [[0f32; 8]; 2];
		_mm512_storeu_ps(lanes.as_mut_ptr().cast(), acc);
		[lanes_sum(&lanes[0]), lanes_sum(&lanes[1])]
	}

	/// Outputs `first..first + GROUP` (a whole group) for the one row `x`, two by two.
	#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c")]
	pub(super) unsafe fn group(w: &QuantWeight, first: usize, x: &[f32], out: &mut [f32; GROUP]) {
		let at = w.pair(first, 0);
		let len = w.cols / BLOCK * GROUP / 2;
		match &w.pairs {
			Pairs::Q4_1(pairs) => group_of(&pairs[at..at + len], |p| q4_1(p), x, out),
			Pairs::Q8_0(pairs) => group_of(&pairs[at..at + len], |p| q8_0(p), x, out),
		}
	}

	/// [`group`] over a group's pairs, four per position, dequantized by `vectors`.
	#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c")]
	#[inline]
	unsafe fn group_of<P>(
		pairs: &[P],
		vectors: impl Fn(&P) -> [__m512; 4],
		x: &[f32],
		out: &mut [f32; GROUP],
	) {
		let mut acc = [_mm512_setzero_ps(); GROUP / 2];
		for (b, at) in pairs.chunks_exact(GROUP / 2).enumerate() {
			super::ahead(at);
			let p = x[b * BLOCK..][..BLOCK].as_ptr();
			let xv = [both(p), both(p.add(8)), both(p.add(16)), both(p.add(24))];
			for (acc, pair) in acc.iter_mut().zip(at) {
				for (v, xv) in vectors(pair).iter().zip(&xv) {
					*acc = _mm512_fmadd_ps(*v, *xv, *acc);
				}
			}
		}
		for (i, acc) in acc.iter().enumerate() {
			let [a, b] = halves_sums(*acc);
			out[2 * i] = a;
			out[2 * i + 1] = b;
		}
	}

	/// Outputs `first..first + outputs` (whole groups) for the `m` rows of `xs`, each given to
	/// `put(i, r, values)` (output `first + i`, rows `r..r + values.len()`): four outputs (two
	/// pairs) by up to eight rows at a time, each pair dequantized once for the tile.
	#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c")]
	pub(super) unsafe fn rows(
		w: &QuantWeight,
		first: usize,
		outputs: usize,
		xs: &[f32],
		m: usize,
		put: &mut impl FnMut(usize, usize, &[f32]),
	) {
		match &w.pairs {
			Pairs::Q4_1(pairs) => rows_of(w, pairs, &|p| q4_1(p), first, outputs, xs, m, put),
			Pairs::Q8_0(pairs) => rows_of(w, pairs, &|p| q8_0(p), first, outputs, xs, m, put),
		}
	}

	#[allow(clippy::too_many_arguments)]
	#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c")]
	#[inline]
	unsafe fn rows_of<P>(
		w: &QuantWeight,
		pairs: &[P],
		vectors: &impl Fn(&P) -> [__m512; 4],
		first: usize,
		outputs: usize,
		xs: &[f32],
		m: usize,
		put: &mut impl FnMut(usize, usize, &[f32]),
	) {
		let per_row = w.cols / BLOCK;
		for quad in (0..outputs).step_by(4) {
			// The quad's two pairs sit side by side at every position, one position every
			// four pairs.
			let tile =
				Tile { pairs, vectors, start: w.pair(first + quad, 0), per_row, cols: w.cols };
			let mut r = 0;
			while r < m {
				let rows = (m - r).min(8);
				let x = &xs[r * w.cols..];
				let mut sums = [[0f32; 16]; 2];
				match rows {
					8 => tile.run::<8>(x, &mut sums),
					7 => tile.run::<7>(x, &mut sums),
					6 => tile.run::<6>(x, &mut sums),
					5 => tile.run::<5>(x, &mut sums),
					4 => tile.run::<4>(x, &mut sums),
					3 => tile.run::<3>(x, &mut sums),
					2 => tile.run::<2>(x, &mut sums),
					_ => tile.run::<1>(x, &mut sums),
				}
				// Pair `p`'s sums: its first output's rows, then its second's.
				for (p, sums) in sums.iter().enumerate() {
					for (h, half) in sums.chunks_exact(8).enumerate() {
						put(quad + 2 * p + h, r, &half[..rows]);
					}
				}
				r += rows;
			}
		}
	}

	/// Four outputs' pairs: the two at `start + b * 4` and the next for position `b`.
	struct Tile<'a, P, V> {
		pairs: &'a [P],
		vectors: &'a V,
		start: usize,
		per_row: usize,
		cols: usize,
	}

	impl<P, V: Fn(&P) -> [__m512; 4]> Tile<'_, P, V> {
		/// The four outputs for the first `R` rows of `x` (each `cols` long), into
		/// `sums[pair]`: the pair's first output's rows (lanes `0..R`), then its second's
		/// (lanes `8..8 + R`).
		#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c")]
		#[inline]
		unsafe fn run<const R: usize>(&self, x: &[f32], sums: &mut [[f32; 16]; 2]) {
			let x = &x[..R * self.cols];
			let mut acc = [[_mm512_setzero_ps(); R]; 2];
			for b in 0..self.per_row {
				let at = &self.pairs[self.start + b * GROUP / 2..][..2];
				super::ahead(at);
				let v = [(self.vectors)(&at[0]), (self.vectors)(&at[1])];
				let p = x[b * BLOCK..].as_ptr();
				let [first, second] = &mut acc;
				for (k, (v0, v1)) in v[0].iter().zip(&v[1]).enumerate() {
					for (r, (a0, a1)) in first.iter_mut().zip(second.iter_mut()).enumerate() {
						let xv = both(p.add(r * self.cols + 8 * k));
						*a0 = _mm512_fmadd_ps(*v0, xv, *a0);
						*a1 = _mm512_fmadd_ps(*v1, xv, *a1);
					}
				}
			}
			for (acc, sums) in acc.iter().zip(sums.iter_mut()) {
				let rows: [__m512; 8] =
					std::array::from_fn(|r| if r < R { acc[r] } else { _mm512_setzero_ps() });
				_mm512_storeu_ps(sums.as_mut_ptr(), halves_sums8(&rows));
			}
		}
	}
}

#[cfg(test)]
mod tests {
	use candle_core::quantized::QTensor;

	use super::*;

	fn values(n: usize, seed: u64) -> Vec<f32> {
		// SplitMix64.
		let mut state = seed;
		(0..n)
			.map(|_| {
				state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
				let mut z = state;
				z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
				z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
				z ^= z >> 31;
				((z >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
			})
			.collect()
	}

	#[test]
	fn a_parallel_map_keeps_the_order() {
		for n in [0usize, 1, 2, 100] {
			let items: Vec<usize> = (0..n).collect();
			assert_eq!(parallel_map(items, &|i| i * i), (0..n).map(|i| i * i).collect::<Vec<_>>());
		}
	}

	#[test]
	fn stacked_weights_give_each_parts_own_products() {
		let cols = 64;
		let part = |rows: usize, seed: u64, dtype| {
			let t =
				Tensor::from_vec(values(rows * cols, seed), (rows, cols), &Device::Cpu).unwrap();
			QuantWeight::from_qtensor(&QTensor::quantize(&t, dtype).unwrap())
				.unwrap()
				.unwrap()
		};
		let (q, k, v) = (
			part(48, 1, GgmlDType::Q4_1),
			part(16, 2, GgmlDType::Q4_1),
			part(16, 3, GgmlDType::Q4_1),
		);
		let qkv = QuantWeight::stack(&[&q, &k, &v]).unwrap();
		assert_eq!((qkv.rows(), qkv.cols()), (80, cols));
		for m in [1, 2, 9, PANEL_ROWS + 1] {
			let x = values(m * cols, 7);
			let all = qkv.matmul(&x);
			let parts = [q.matmul(&x), k.matmul(&x), v.matmul(&x)];
			for r in 0..m {
				let joined: Vec<f32> = parts
					.iter()
					.zip([48, 16, 16])
					.flat_map(|(p, n)| p[r * n..(r + 1) * n].to_vec())
					.collect();
				assert_eq!(all[r * 80..(r + 1) * 80], joined, "row {r} of {m}");
			}
		}
		// Parts that cannot share a layout are refused.
		assert!(QuantWeight::stack(&[&q, &part(16, 4, GgmlDType::Q8_0)]).is_none());
		let t = Tensor::from_vec(values(16 * 32, 5), (16, 32), &Device::Cpu).unwrap();
		let narrow = QTensor::quantize(&t, GgmlDType::Q4_1).unwrap();
		let narrow = QuantWeight::from_qtensor(&narrow).unwrap().unwrap();
		assert!(QuantWeight::stack(&[&q, &narrow]).is_none());
		assert!(QuantWeight::stack(&[]).is_none());
	}

	#[test]
	fn products_match_the_weights_and_never_depend_on_the_batch_or_the_cpu() {
		// Outputs that are not whole groups of eight stay dense.
		let t = Tensor::from_vec(values(36 * 32, 1), (36, 32), &Device::Cpu).unwrap();
		assert!(QuantWeight::from_qtensor(&QTensor::quantize(&t, GgmlDType::Q4_1).unwrap())
			.unwrap()
			.is_none());
		// Five groups (two chunks of two and a half), six groups (three whole chunks).
		for (dtype, rows) in [(GgmlDType::Q4_1, 40), (GgmlDType::Q8_0, 40), (GgmlDType::Q4_1, 48)] {
			let cols = 96;
			let t = Tensor::from_vec(values(rows * cols, 1), (rows, cols), &Device::Cpu).unwrap();
			let q = QTensor::quantize(&t, dtype).unwrap();
			let w = QuantWeight::from_qtensor(&q).unwrap().unwrap();
			// Dequantized as candle does it (unfused), up to the last bit.
			let dense = q.dequantize(&Device::Cpu).unwrap().flatten_all().unwrap();
			let dense = dense.to_vec1::<f32>().unwrap();
			for (a, b) in w.dequantize().iter().zip(&dense) {
				assert!((a - b).abs() <= 1e-6 * b.abs().max(1.0), "{dtype:?}: {a} against {b}");
			}
			// One row, a few, a batch (every tile of rows), a prompt (every tile of rows): each path
			// the product takes, on each instruction set this CPU has.
			for m in [
				1,
				2,
				3,
				4,
				5,
				7,
				8,
				9,
				11,
				13,
				14,
				15,
				16,
				PANEL_ROWS + 5,
				PANEL_ROWS + 6,
				PANEL_ROWS + 7,
			] {
				let x = values(m * cols, 2 + m as u64);
				let all = w.matmul(&x);
				for isa in Isa::available() {
					let on = w.matmul_on(isa, &x);
					let same = on.iter().zip(&all).all(|(a, b)| a.to_bits() == b.to_bits());
					assert!(same, "{dtype:?}: {isa:?} against {:?} for {m} rows", Isa::best());
				}
				for r in 0..m {
					let alone = w.matmul(&x[r * cols..(r + 1) * cols]);
					assert_eq!(alone, all[r * rows..(r + 1) * rows], "{dtype:?}: row {r} of {m}");
					for (o, y) in alone.iter().enumerate() {
						let exact: f64 = (0..cols)
							.map(|k| f64::from(dense[o * cols + k]) * f64::from(x[r * cols + k]))
							.sum();
						assert!((f64::from(*y) - exact).abs() < 1e-4, "{dtype:?}: {y} vs {exact}");
					}
				}
				// The definition, output by output, gives the same bits.
				for o in 0..rows {
					let mut portable = vec![0f32; m];
					w.portable(o, &x, &mut portable);
					for (r, p) in portable.iter().enumerate() {
						let y = all[r * rows + o];
						assert_eq!(p.to_bits(), y.to_bits(), "{dtype:?} ({o}, {r}) of {m}");
					}
				}
			}
		}
	}
}
