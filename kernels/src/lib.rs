//! Matrix products with GGUF weights kept quantized (Q4_1, Q8_0) on the CPU: a quarter to an
//! eighth of the bytes of `f32` weights cross the memory bus per token, which is what bounds
//! decoding.
//!
//! Every output element `y[r][o] = sum_k w[o][k] * x[r][k]` is computed by one fixed sequence of
//! operations, whatever else is computed alongside:
//!
//! - a block of 32 weights is dequantized as GGUF defines it (`d * q + m`, fused, for Q4_1;
//!   `d * q` for Q8_0), in `f32`;
//! - eight lanes accumulate, lane `j` taking elements `j`, `j + 8`, `j + 16`, `j + 24` of each
//!   block in that order with fused multiply-adds, over the blocks in order;
//! - the lanes are added in order `0..8`.
//!
//! So the result does not depend on the batch (how many rows, which rows share a dequantized
//! block), on the thread count, or on the CPU: the AVX-512 path (two outputs side by side in
//! each sixteen-lane vector, each half doing what an eight-lane AVX2 vector does), the AVX2 path
//! and the portable path give the same bits ([`Isa`]). A chain job's numbers are the same alone or in a batch, and the same in a
//! generation as in a validator's teacher-forced replay.

use candle_core::{quantized::GgmlDType, Device, Tensor};
use half::f16;
use rayon::prelude::*;

/// Weights per block.
const BLOCK: usize = 32;

/// Below this many rows a product runs eight outputs at a time (each output's sum is one chain
/// of dependent multiply-adds: one row alone would wait on each), from it a tile of rows at a
/// time. Either way each output's sum is the same.
const FEW_ROWS: usize = 4;

/// From this many rows a product dequantizes its weights once per chunk of outputs (a prompt),
/// below it block by block as it goes (a batch of sequences decoding).
const PANEL_ROWS: usize = 64;

/// Multiply-adds from which a product is split across threads.
const PARALLEL_FROM: usize = 1 << 17;

/// Rows that share each dequantized block. How rows are tiled never changes a row's sum.
const TILE: usize = 8;

/// Outputs a thread takes at a time.
const OUTPUTS: usize = 16;

/// The instruction sets a product runs on, from the least to the most. Each gives the same
/// bits: the operations are the same, only how many run at once differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Isa {
	/// Any CPU: the definition, one element at a time.
	Portable,
	/// x86-64 with AVX2 and FMA: eight lanes, one output in each vector.
	Avx2,
	/// x86-64 with AVX-512 (F, BW, DQ, VL) and FMA: sixteen lanes, two outputs in each vector.
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
				if has!("avx512f")
					&& has!("avx512bw")
					&& has!("avx512dq")
					&& has!("avx512vl")
					&& has!("fma")
				{
					return Isa::Avx512;
				}
				if has!("avx2") && has!("fma") {
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

/// A block of 32 Q4_1 weights, its scales widened to `f32` (exactly).
#[derive(Clone, Copy)]
#[repr(C)]
struct Q4_1 {
	d: f32,
	m: f32,
	/// Element `i < 16` in the low nibble of byte `i`, element `i + 16` in its high nibble.
	qs: [u8; 16],
}

/// A block of 32 Q8_0 weights, its scale widened to `f32` (exactly).
#[derive(Clone, Copy)]
#[repr(C)]
struct Q8_0 {
	d: f32,
	qs: [i8; 32],
}

enum Blocks {
	Q4_1(Vec<Q4_1>),
	Q8_0(Vec<Q8_0>),
}

/// A weight matrix `(rows, cols)` kept quantized; `rows` are the outputs.
///
/// Its blocks are stored by groups of `GROUP` outputs, the group's blocks at one position
/// side by side (`block (o, b)` at `(o / 8) * 8 * per_row + b * 8 + o % 8`), so that the
/// eight outputs a one-row product computes together read one stream of memory; a matrix
/// whose rows are not a multiple of eight keeps the file's order (groups of one).
pub struct QuantWeight {
	rows: usize,
	cols: usize,
	group: usize,
	blocks: Blocks,
}

/// Outputs a one-row product computes together (and stores side by side).
const GROUP: usize = 8;

impl QuantWeight {
	/// The quantized weight of `q`, a 2-D Q4_1 or Q8_0 tensor whose rows are whole blocks;
	/// `None` for other types and shapes.
	pub fn from_qtensor(q: &candle_core::quantized::QTensor) -> anyhow::Result<Option<Self>> {
		let &[rows, cols] = q.shape().dims() else { return Ok(None) };
		if cols % BLOCK != 0 {
			return Ok(None);
		}
		let data = q.data()?;
		let n = rows * cols / BLOCK;
		let half = |b: &[u8]| f16::from_le_bytes([b[0], b[1]]).to_f32();
		let per_row = cols / BLOCK;
		let group = if rows % GROUP == 0 { GROUP } else { 1 };
		// The file's block `i` (output `i / per_row`, position `i % per_row`) goes to
		// `index(o, b)`.
		let order: Vec<usize> = {
			let mut order = vec![0; n];
			for (i, slot) in order.iter_mut().enumerate() {
				*slot = index(group, per_row, i / per_row, i % per_row);
			}
			order
		};
		fn place<T: Copy>(n: usize, order: &[usize], blocks: impl Iterator<Item = T>) -> Vec<T> {
			let mut placed: Vec<Option<T>> = vec![None; n];
			for (i, block) in blocks.enumerate() {
				placed[order[i]] = Some(block);
			}
			placed.into_iter().flatten().collect()
		}
		let blocks = match q.dtype() {
			GgmlDType::Q4_1 if data.len() == n * 20 => Blocks::Q4_1(place(
				n,
				&order,
				data.chunks_exact(20).map(|b| {
					let mut qs = [0u8; 16];
					qs.copy_from_slice(&b[4..20]);
					Q4_1 { d: half(&b[0..2]), m: half(&b[2..4]), qs }
				}),
			)),
			GgmlDType::Q8_0 if data.len() == n * 34 => Blocks::Q8_0(place(
				n,
				&order,
				data.chunks_exact(34).map(|b| {
					let mut qs = [0i8; 32];
					for (q, &byte) in qs.iter_mut().zip(&b[2..34]) {
						*q = byte as i8;
					}
					Q8_0 { d: half(&b[0..2]), qs }
				}),
			)),
			_ => return Ok(None),
		};
		Ok(Some(Self { rows, cols, group, blocks }))
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
		let mut out = vec![0f32; self.rows * self.cols];
		for (i, chunk) in out.chunks_exact_mut(BLOCK).enumerate() {
			let per_row = self.cols / BLOCK;
			chunk.copy_from_slice(&self.block(i / per_row, i % per_row));
		}
		out
	}

	/// Where block `b` of output `o` is stored.
	fn index(&self, o: usize, b: usize) -> usize {
		index(self.group, self.cols / BLOCK, o, b)
	}

	/// Block `b` of output `o`, dequantized.
	fn block(&self, o: usize, b: usize) -> [f32; BLOCK] {
		let i = self.index(o, b);
		match &self.blocks {
			Blocks::Q4_1(blocks) => dequant_q4_1(&blocks[i]),
			Blocks::Q8_0(blocks) => dequant_q8_0(&blocks[i]),
		}
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
		// Outputs in chunks across threads: each output's column of `yt` (the product
		// transposed) is one thread's.
		let mut yt = vec![0f32; m * self.rows];
		let chunk = |(chunk, out): (usize, &mut [f32])| {
			let first = chunk * OUTPUTS;
			match isa {
				#[cfg(target_arch = "x86_64")]
				// SAFETY: `Isa::best` found AVX-512 (F, BW, DQ, VL) and FMA on this CPU.
				Isa::Avx512 => unsafe { self.chunk_avx512(first, xs, m, out) },
				#[cfg(target_arch = "x86_64")]
				// SAFETY: `Isa::best` found AVX2 and FMA on this CPU.
				Isa::Avx2 => unsafe { self.chunk_avx2(first, xs, m, out) },
				_ => {
					for (i, column) in out.chunks_exact_mut(m).enumerate() {
						self.portable(first + i, xs, column);
					}
				},
			}
		};
		// Threads cost a wake-up and a join each (microseconds): worth it for a prompt or a
		// batch, not for one row, which the memory bus bounds anyway.
		if m * self.rows * self.cols >= PARALLEL_FROM {
			yt.par_chunks_mut(OUTPUTS * m).enumerate().for_each(chunk);
		} else {
			yt.chunks_mut(OUTPUTS * m).enumerate().for_each(chunk);
		}
		if m == 1 {
			return yt;
		}
		let mut y = vec![0f32; m * self.rows];
		for (o, column) in yt.chunks_exact(m).enumerate() {
			for (r, &v) in column.iter().enumerate() {
				y[r * self.rows + o] = v;
			}
		}
		y
	}

	/// The outputs `first..` of `out` (`out[i * m + r]` for output `first + i`, row `r`) with
	/// AVX2 and FMA.
	///
	/// # Safety
	/// The CPU has AVX2 and FMA.
	#[cfg(target_arch = "x86_64")]
	unsafe fn chunk_avx2(&self, first: usize, xs: &[f32], m: usize, out: &mut [f32]) {
		let outputs = out.len() / m;
		if m < FEW_ROWS && self.group == GROUP {
			// Few rows: a group of outputs at a time gives the chains to overlap.
			for r in 0..m {
				let x = &xs[r * self.cols..(r + 1) * self.cols];
				for group in (0..outputs).step_by(GROUP) {
					let mut y = [0f32; GROUP];
					// SAFETY: the caller's CPU has AVX2 and FMA; `first + group` starts a whole
					// group (chunks and rows are multiples of GROUP) and `x` is one row of `cols`.
					unsafe { avx::group(self, first + group, x, &mut y) };
					for (i, y) in y.iter().enumerate() {
						out[(group + i) * m + r] = *y;
					}
				}
			}
		} else if m < PANEL_ROWS {
			// Some rows (a batch): a tile of rows shares each dequantized block.
			let per_row = self.cols / BLOCK;
			for (i, column) in out.chunks_exact_mut(m).enumerate() {
				// SAFETY: as above; output `first + i` exists and `xs` holds `m` rows.
				unsafe { avx::rows(self, first + i, per_row, xs, column) };
			}
		} else {
			// Many rows (a prompt): the chunk's weights dequantized once, then two outputs by
			// four rows at a time.
			let weights = self.dequantized(first, outputs);
			// SAFETY: as above; `weights` holds `outputs` rows of `cols`, `xs` holds `m` rows,
			// `out` holds `outputs * m`.
			unsafe { avx::panel(&weights, self.cols, xs, m, out) };
		}
	}

	/// [`QuantWeight::chunk_avx2`] with AVX-512: two outputs side by side in each vector.
	///
	/// # Safety
	/// The CPU has AVX-512 (F, BW, DQ, VL) and FMA.
	#[cfg(target_arch = "x86_64")]
	unsafe fn chunk_avx512(&self, first: usize, xs: &[f32], m: usize, out: &mut [f32]) {
		let outputs = out.len() / m;
		if m == 1 && self.group == GROUP {
			for r in 0..m {
				let x = &xs[r * self.cols..(r + 1) * self.cols];
				for group in (0..outputs).step_by(GROUP) {
					let mut y = [0f32; GROUP];
					// SAFETY: the caller's CPU has AVX-512 and FMA; `first + group` starts a
					// whole group and `x` is one row of `cols`.
					unsafe { avx512::group(self, first + group, x, &mut y) };
					for (i, y) in y.iter().enumerate() {
						out[(group + i) * m + r] = *y;
					}
				}
			}
		} else if m < PANEL_ROWS {
			// SAFETY: as above; outputs `first..first + outputs` exist, `xs` holds `m` rows and
			// `out` `outputs * m`.
			unsafe { avx512::rows(self, first, outputs, xs, m, out) };
		} else {
			let weights = self.dequantized(first, outputs);
			// SAFETY: as above; `weights` holds `outputs` rows of `cols`.
			unsafe { avx512::panel(&weights, self.cols, xs, m, out) };
		}
	}

	/// Outputs `first..first + outputs`, dequantized, row after row.
	fn dequantized(&self, first: usize, outputs: usize) -> Vec<f32> {
		let mut weights = vec![0f32; outputs * self.cols];
		for (i, row) in weights.chunks_exact_mut(self.cols).enumerate() {
			for (b, w) in row.chunks_exact_mut(BLOCK).enumerate() {
				w.copy_from_slice(&self.block(first + i, b));
			}
		}
		weights
	}

	/// Output `o` for every row of `xs`, into `column`, on any CPU: the definition the AVX2
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

/// Where block `b` of output `o` is stored, outputs grouped by `group`.
fn index(group: usize, per_row: usize, o: usize, b: usize) -> usize {
	(o / group) * group * per_row + b * group + o % group
}

/// The eight lanes added in order.
fn lanes_sum(acc: &[f32; 8]) -> f32 {
	acc.iter().fold(0.0, |s, &a| s + a)
}

fn dequant_q4_1(b: &Q4_1) -> [f32; BLOCK] {
	let mut w = [0f32; BLOCK];
	for i in 0..16 {
		w[i] = b.d.mul_add(f32::from(b.qs[i] & 0x0f), b.m);
		w[i + 16] = b.d.mul_add(f32::from(b.qs[i] >> 4), b.m);
	}
	w
}

fn dequant_q8_0(b: &Q8_0) -> [f32; BLOCK] {
	let mut w = [0f32; BLOCK];
	for (w, &q) in w.iter_mut().zip(&b.qs) {
		*w = b.d * f32::from(q);
	}
	w
}

#[cfg(target_arch = "x86_64")]
mod avx {
	use std::arch::x86_64::*;

	use super::{lanes_sum, Blocks, QuantWeight, BLOCK, GROUP, TILE};

	/// The four vectors of a Q4_1 block: elements `0..8`, `8..16`, `16..24`, `24..32`.
	#[target_feature(enable = "avx2,fma")]
	unsafe fn q4_1(b: &super::Q4_1) -> [__m256; 4] {
		let bytes = _mm_loadu_si128(b.qs.as_ptr().cast());
		let nibble = _mm_set1_epi8(0x0f);
		let low = _mm_and_si128(bytes, nibble);
		let high = _mm_and_si128(_mm_srli_epi16(bytes, 4), nibble);
		let (d, m) = (_mm256_set1_ps(b.d), _mm256_set1_ps(b.m));
		let lo = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(low));
		let lo8 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(low, 8)));
		let hi = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(high));
		let hi8 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(high, 8)));
		[
			_mm256_fmadd_ps(d, lo, m),
			_mm256_fmadd_ps(d, lo8, m),
			_mm256_fmadd_ps(d, hi, m),
			_mm256_fmadd_ps(d, hi8, m),
		]
	}

	/// The four vectors of a Q8_0 block.
	#[target_feature(enable = "avx2,fma")]
	unsafe fn q8_0(b: &super::Q8_0) -> [__m256; 4] {
		let d = _mm256_set1_ps(b.d);
		let p = b.qs.as_ptr();
		let at = |i: usize| {
			_mm256_mul_ps(
				d,
				_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(p.add(i).cast()))),
			)
		};
		[at(0), at(8), at(16), at(24)]
	}

	/// Stored block `i` of `w`, dequantized: its four vectors.
	#[target_feature(enable = "avx2,fma")]
	unsafe fn dequant(w: &QuantWeight, i: usize) -> [__m256; 4] {
		match &w.blocks {
			Blocks::Q4_1(blocks) => q4_1(&blocks[i]),
			Blocks::Q8_0(blocks) => q8_0(&blocks[i]),
		}
	}

	/// The eight lanes of `acc` added in order ([`lanes_sum`]).
	#[target_feature(enable = "avx2,fma")]
	unsafe fn sum(acc: __m256) -> f32 {
		let mut lanes = [0f32; 8];
		_mm256_storeu_ps(lanes.as_mut_ptr(), acc);
		lanes_sum(&lanes)
	}

	/// Outputs `first..first + GROUP` (a whole group) for the one row `x`: the operations of
	/// [`QuantWeight::portable`] for each, the outputs interleaved, their blocks read as one
	/// stream.
	#[target_feature(enable = "avx2,fma")]
	pub(super) unsafe fn group(w: &QuantWeight, first: usize, x: &[f32], out: &mut [f32; GROUP]) {
		let at = w.index(first, 0);
		let len = w.cols / BLOCK * GROUP;
		// The block type chosen once, outside the loops.
		match &w.blocks {
			Blocks::Q4_1(blocks) => group_of(&blocks[at..at + len], |b| q4_1(b), x, out),
			Blocks::Q8_0(blocks) => group_of(&blocks[at..at + len], |b| q8_0(b), x, out),
		}
	}

	/// [`group`] over a group's blocks, `GROUP` per position, dequantized by `vectors`.
	#[target_feature(enable = "avx2,fma")]
	#[inline]
	unsafe fn group_of<B>(
		blocks: &[B],
		vectors: impl Fn(&B) -> [__m256; 4],
		x: &[f32],
		out: &mut [f32; GROUP],
	) {
		let mut acc = [_mm256_setzero_ps(); GROUP];
		for (b, at) in blocks.chunks_exact(GROUP).enumerate() {
			let p = x[b * BLOCK..][..BLOCK].as_ptr();
			for (acc, block) in acc.iter_mut().zip(at) {
				for (k, v) in vectors(block).iter().enumerate() {
					*acc = _mm256_fmadd_ps(*v, _mm256_loadu_ps(p.add(8 * k)), *acc);
				}
			}
		}
		for (o, acc) in acc.iter().enumerate() {
			out[o] = sum(*acc);
		}
	}

	/// Output `o` for every row of `xs`: the operations of
	/// [`QuantWeight::portable`], a tile of rows sharing each dequantized block.
	#[target_feature(enable = "avx2,fma")]
	pub(super) unsafe fn rows(
		w: &QuantWeight,
		o: usize,
		per_row: usize,
		xs: &[f32],
		column: &mut [f32],
	) {
		let cols = w.cols;
		// Output `o`'s blocks: one every `group` from its first.
		let (first, step) = (w.index(o, 0), w.group);
		for tile in (0..column.len()).step_by(TILE) {
			let rows = (column.len() - tile).min(TILE);
			let mut acc = [_mm256_setzero_ps(); TILE];
			for b in 0..per_row {
				// The block a few ahead, asked of memory now: its bytes arrive while these
				// are summed.
				let ahead = first + (b + 4).min(per_row - 1) * step;
				let ahead: *const i8 = match &w.blocks {
					Blocks::Q4_1(blocks) => blocks[ahead..].as_ptr().cast(),
					Blocks::Q8_0(blocks) => blocks[ahead..].as_ptr().cast(),
				};
				_mm_prefetch::<_MM_HINT_T0>(ahead);
				let v = dequant(w, first + b * step);
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

	/// `out[o * m + r]` for the dequantized weight rows `weights` (each `cols` long) and the
	/// `m` rows of `xs`: the operations of [`QuantWeight::portable`] for each output, two
	/// outputs by four rows sharing their loads.
	#[target_feature(enable = "avx2,fma")]
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

	use super::{lanes_sum, Blocks, QuantWeight, BLOCK, GROUP, Q4_1, Q8_0};

	/// `a` in lanes `0..8`, `b` in lanes `8..16`.
	#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")]
	unsafe fn halves(a: f32, b: f32) -> __m512 {
		_mm512_insertf32x8::<1>(_mm512_set1_ps(a), _mm256_set1_ps(b))
	}

	/// Eight inputs at `p`, in both halves.
	#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")]
	unsafe fn both(p: *const f32) -> __m512 {
		_mm512_broadcast_f32x8(_mm256_loadu_ps(p))
	}

	/// Two Q4_1 blocks: vector `k` holds elements `8k..8k + 8` of `a`, then of `b`.
	#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")]
	unsafe fn q4_1(a: &Q4_1, b: &Q4_1) -> [__m512; 4] {
		let bytes = _mm256_inserti128_si256::<1>(
			_mm256_castsi128_si256(_mm_loadu_si128(a.qs.as_ptr().cast())),
			_mm_loadu_si128(b.qs.as_ptr().cast()),
		);
		// Bytes `a[0..8] b[0..8] a[8..16] b[8..16]`.
		let bytes = _mm256_permute4x64_epi64::<0b11_01_10_00>(bytes);
		let nibble = _mm256_set1_epi8(0x0f);
		let low = _mm256_and_si256(bytes, nibble);
		let high = _mm256_and_si256(_mm256_srli_epi16::<4>(bytes), nibble);
		let (d, m) = (halves(a.d, b.d), halves(a.m, b.m));
		let dequant =
			|q: __m128i| _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(q)), m);
		[
			dequant(_mm256_castsi256_si128(low)),
			dequant(_mm256_extracti128_si256::<1>(low)),
			dequant(_mm256_castsi256_si128(high)),
			dequant(_mm256_extracti128_si256::<1>(high)),
		]
	}

	/// Two Q8_0 blocks: vector `k` holds elements `8k..8k + 8` of `a`, then of `b`.
	#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")]
	unsafe fn q8_0(a: &Q8_0, b: &Q8_0) -> [__m512; 4] {
		let d = halves(a.d, b.d);
		let (pa, pb) = (a.qs.as_ptr(), b.qs.as_ptr());
		let at = |i: usize| {
			let q = _mm_unpacklo_epi64(
				_mm_loadl_epi64(pa.add(i).cast()),
				_mm_loadl_epi64(pb.add(i).cast()),
			);
			_mm512_mul_ps(d, _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q)))
		};
		[at(0), at(8), at(16), at(24)]
	}

	/// Each half's eight lanes added in order ([`lanes_sum`]).
	#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")]
	unsafe fn halves_sums(acc: __m512) -> [f32; 2] {
		let mut lanes = [[0f32; 8]; 2];
		_mm512_storeu_ps(lanes.as_mut_ptr().cast(), acc);
		[lanes_sum(&lanes[0]), lanes_sum(&lanes[1])]
	}

	/// Outputs `first..first + GROUP` (a whole group) for the one row `x`, two by two.
	#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")]
	pub(super) unsafe fn group(w: &QuantWeight, first: usize, x: &[f32], out: &mut [f32; GROUP]) {
		let at = w.index(first, 0);
		let len = w.cols / BLOCK * GROUP;
		match &w.blocks {
			Blocks::Q4_1(blocks) => group_of(&blocks[at..at + len], |a, b| q4_1(a, b), x, out),
			Blocks::Q8_0(blocks) => group_of(&blocks[at..at + len], |a, b| q8_0(a, b), x, out),
		}
	}

	/// [`group`] over a group's blocks, `GROUP` per position, two dequantized by `pair`.
	#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")]
	#[inline]
	unsafe fn group_of<B>(
		blocks: &[B],
		pair: impl Fn(&B, &B) -> [__m512; 4],
		x: &[f32],
		out: &mut [f32; GROUP],
	) {
		let mut acc = [_mm512_setzero_ps(); GROUP / 2];
		for (b, at) in blocks.chunks_exact(GROUP).enumerate() {
			let p = x[b * BLOCK..][..BLOCK].as_ptr();
			let xv = [both(p), both(p.add(8)), both(p.add(16)), both(p.add(24))];
			for (i, acc) in acc.iter_mut().enumerate() {
				let v = pair(&at[2 * i], &at[2 * i + 1]);
				for (v, xv) in v.iter().zip(&xv) {
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

	/// Outputs `first..first + outputs` for the `m` rows of `xs`, into `out[i * m + r]`: four
	/// outputs by up to eight rows at a time, each block dequantized once for the tile.
	#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")]
	pub(super) unsafe fn rows(
		w: &QuantWeight,
		first: usize,
		outputs: usize,
		xs: &[f32],
		m: usize,
		out: &mut [f32],
	) {
		match &w.blocks {
			Blocks::Q4_1(blocks) => {
				rows_of(w, blocks, &|a, b| q4_1(a, b), first, outputs, xs, m, out)
			},
			Blocks::Q8_0(blocks) => {
				rows_of(w, blocks, &|a, b| q8_0(a, b), first, outputs, xs, m, out)
			},
		}
	}

	#[allow(clippy::too_many_arguments)]
	#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")]
	#[inline]
	unsafe fn rows_of<B>(
		w: &QuantWeight,
		blocks: &[B],
		pair: &impl Fn(&B, &B) -> [__m512; 4],
		first: usize,
		outputs: usize,
		xs: &[f32],
		m: usize,
		out: &mut [f32],
	) {
		let per_row = w.cols / BLOCK;
		for quad in (0..outputs).step_by(4) {
			// The last output repeated where fewer than four are left; its copies not stored.
			let starts = [0, 1, 2, 3].map(|i| w.index(first + (quad + i).min(outputs - 1), 0));
			let tile = Tile { blocks, pair, starts, step: w.group, per_row, cols: w.cols };
			let mut r = 0;
			while r < m {
				let rows = (m - r).min(8);
				let x = &xs[r * w.cols..];
				let mut sums = [[0f32; 4]; 8];
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
				for (t, sums) in sums.iter().enumerate().take(rows) {
					for (i, y) in sums.iter().enumerate().take((outputs - quad).min(4)) {
						out[(quad + i) * m + r + t] = *y;
					}
				}
				r += rows;
			}
		}
	}

	/// Four outputs' blocks: output `i`'s block `b` at `starts[i] + b * step`.
	struct Tile<'a, B, P> {
		blocks: &'a [B],
		pair: &'a P,
		starts: [usize; 4],
		step: usize,
		per_row: usize,
		cols: usize,
	}

	impl<B, P: Fn(&B, &B) -> [__m512; 4]> Tile<'_, B, P> {
		/// The four outputs for the first `R` rows of `x` (each `cols` long), into
		/// `sums[row][output]`.
		#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")]
		#[inline]
		unsafe fn run<const R: usize>(&self, x: &[f32], sums: &mut [[f32; 4]; 8]) {
			let x = &x[..R * self.cols];
			let mut acc = [[_mm512_setzero_ps(); R]; 2];
			for b in 0..self.per_row {
				let at = |i: usize| &self.blocks[self.starts[i] + b * self.step];
				let v = [(self.pair)(at(0), at(1)), (self.pair)(at(2), at(3))];
				for r in 0..R {
					let p = x[r * self.cols + b * BLOCK..][..BLOCK].as_ptr();
					for k in 0..4 {
						let xv = both(p.add(8 * k));
						acc[0][r] = _mm512_fmadd_ps(v[0][k], xv, acc[0][r]);
						acc[1][r] = _mm512_fmadd_ps(v[1][k], xv, acc[1][r]);
					}
				}
			}
			for r in 0..R {
				let [a, b] = halves_sums(acc[0][r]);
				let [c, d] = halves_sums(acc[1][r]);
				sums[r] = [a, b, c, d];
			}
		}
	}

	/// `out[o * m + r]` for the dequantized weight rows `weights` (each `cols` long) and the
	/// `m` rows of `xs`: eight outputs (four vectors of two) by up to four rows sharing their
	/// loads (more rows spill the accumulators).
	#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")]
	pub(super) unsafe fn panel(
		weights: &[f32],
		cols: usize,
		xs: &[f32],
		m: usize,
		out: &mut [f32],
	) {
		let outputs = weights.len() / cols;
		let pairs = outputs.div_ceil(2);
		// Two outputs' rows interleaved eight by eight (the last repeated if alone).
		let mut paired = vec![0f32; pairs * 2 * cols];
		for (p, row) in paired.chunks_exact_mut(2 * cols).enumerate() {
			let [a, b] =
				[2 * p, (2 * p + 1).min(outputs - 1)].map(|o| &weights[o * cols..][..cols]);
			for (c, both) in row.chunks_exact_mut(16).enumerate() {
				both[..8].copy_from_slice(&a[8 * c..][..8]);
				both[8..].copy_from_slice(&b[8 * c..][..8]);
			}
		}
		for p0 in (0..pairs).step_by(4) {
			let w =
				[0, 1, 2, 3].map(|i| paired[(p0 + i.min(pairs - p0 - 1)) * 2 * cols..].as_ptr());
			let mut r = 0;
			while r < m {
				let rows = (m - r).min(4);
				let x = &xs[r * cols..];
				let mut sums = [[[0f32; 2]; 4]; 4];
				match rows {
					4 => panel_tile::<4>(w, cols, x, &mut sums),
					3 => panel_tile::<3>(w, cols, x, &mut sums),
					2 => panel_tile::<2>(w, cols, x, &mut sums),
					_ => panel_tile::<1>(w, cols, x, &mut sums),
				}
				for (t, sums) in sums.iter().enumerate().take(rows) {
					for (i, pair) in sums.iter().enumerate() {
						for (h, y) in pair.iter().enumerate() {
							let o = 2 * (p0 + i) + h;
							if o < outputs && p0 + i < pairs {
								out[o * m + r + t] = *y;
							}
						}
					}
				}
				r += rows;
			}
		}
	}

	/// Four paired rows `w` (each `2 * cols` long) by the first `R` rows of `x`.
	#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")]
	#[inline]
	unsafe fn panel_tile<const R: usize>(
		w: [*const f32; 4],
		cols: usize,
		x: &[f32],
		sums: &mut [[[f32; 2]; 4]; 4],
	) {
		let x = &x[..R * cols];
		let mut acc = [[_mm512_setzero_ps(); R]; 4];
		for c in 0..cols / 8 {
			let wv = w.map(|w| _mm512_loadu_ps(w.add(16 * c)));
			for r in 0..R {
				let xv = both(x.as_ptr().add(r * cols + 8 * c));
				for i in 0..4 {
					acc[i][r] = _mm512_fmadd_ps(wv[i], xv, acc[i][r]);
				}
			}
		}
		for r in 0..R {
			for i in 0..4 {
				sums[r][i] = halves_sums(acc[i][r]);
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
	fn products_match_the_weights_and_never_depend_on_the_batch_or_the_cpu() {
		// Outputs in groups of eight (stored side by side) and not.
		for (dtype, rows) in [(GgmlDType::Q4_1, 40), (GgmlDType::Q8_0, 40), (GgmlDType::Q4_1, 37)] {
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
