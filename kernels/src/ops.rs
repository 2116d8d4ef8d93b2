//! The small operations of a decoding step on the CPU, element for element as candle computes
//! them (the same bits), without candle's thread pool: for the few thousand multiplications of
//! one token, waking other threads costs more than it saves. A prompt's (many rows) are split
//! across the products' threads, row by row (a row's result never depends on the split).

use candle_core::cpu::kernels::VecOps;

/// Elements from which an operation is split across threads.
const PARALLEL_FROM: usize = 1 << 15;

/// Elements per part of a split (whole rows, one at least).
const PART: usize = 1 << 13;

/// `dst` computed `row` elements at a time by `f(src row, dst row)`, split across the products'
/// threads when large.
fn by_rows(src: &[f32], row: usize, f: &(dyn Fn(&[f32], &mut [f32]) + Sync)) -> Vec<f32> {
	let mut dst = vec![0f32; src.len()];
	if row == 0 {
		return dst;
	}
	if src.len() < PARALLEL_FROM {
		for (src, dst) in src.chunks_exact(row).zip(dst.chunks_exact_mut(row)) {
			f(src, dst);
		}
		return dst;
	}
	let part = row * (PART / row).max(1);
	let (total, out) = (dst.len(), crate::Output(dst.as_mut_ptr()));
	crate::parallel(total.div_ceil(part), &|i| {
		let (start, len) = (i * part, part.min(total - i * part));
		// SAFETY: part `i` is `dst[start..start + len]`, run once, apart from every other part;
		// `dst` outlives the run.
		let dst = unsafe { std::slice::from_raw_parts_mut(out.at(start), len) };
		for (src, dst) in src[start..start + len].chunks_exact(row).zip(dst.chunks_exact_mut(row)) {
			f(src, dst);
		}
	});
	dst
}

/// How a rotary embedding pairs a head's dimensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pairing {
	/// `(i, i + d/2)`: candle's `rope`.
	HalfSplit,
	/// `(2i, 2i + 1)`: candle's `rope_i`.
	Interleaved,
}

/// The rotary embedding of `src`, rows of `t` positions of `d` values each (a head after
/// another), with `cos` and `sin` of `t * d / 2` values (position by position).
pub fn rope(
	src: &[f32],
	cos: &[f32],
	sin: &[f32],
	t: usize,
	d: usize,
	pairing: Pairing,
) -> Vec<f32> {
	by_rows(src, t * d, &|src, dst| match pairing {
		Pairing::Interleaved => {
			for i in 0..t * d / 2 {
				let (a, b) = (src[2 * i], src[2 * i + 1]);
				dst[2 * i] = a * cos[i] - b * sin[i];
				dst[2 * i + 1] = a * sin[i] + b * cos[i];
			}
		},
		Pairing::HalfSplit => {
			for p in 0..t {
				for j in 0..d / 2 {
					let (i1, i2, c) = (p * d + j, p * d + j + d / 2, p * (d / 2) + j);
					dst[i1] = src[i1] * cos[c] - src[i2] * sin[c];
					dst[i2] = src[i1] * sin[c] + src[i2] * cos[c];
				}
			}
		},
	})
}

/// Softmax of each row of `n` values of `src`, with candle's reductions.
pub fn softmax_rows(src: &[f32], n: usize) -> Vec<f32> {
	by_rows(src, n, &|src, dst| {
		dst.copy_from_slice(src);
		softmax_in_place(dst);
	})
}

/// Softmax of one row in place, with candle's reductions (its maximum, the exponentials of the
/// differences, their sum, each divided by it).
pub(crate) fn softmax_in_place(row: &mut [f32]) {
	if row.is_empty() {
		return;
	}
	let (mut max, mut sum) = (f32::NEG_INFINITY, 0f32);
	// SAFETY: the row holds `row.len() > 0` elements.
	unsafe { f32::vec_reduce_max(row.as_ptr(), &mut max, row.len()) };
	for v in row.iter_mut() {
		*v = (*v - max).exp();
	}
	// SAFETY: as above.
	unsafe { f32::vec_reduce_sum(row.as_ptr(), &mut sum, row.len()) };
	for v in row.iter_mut() {
		*v /= sum;
	}
}

/// RMSNorm of each row of `alpha.len()` values of `src`: candle's operations (a sequential sum
/// of squares, `x / rms * alpha`).
pub fn rms_norm_rows(src: &[f32], alpha: &[f32], eps: f32) -> Vec<f32> {
	let n = alpha.len();
	by_rows(src, n, &|src, dst| {
		let sum2 = src.iter().map(|&v| v * v).sum::<f32>();
		let m = (sum2 / n as f32 + eps).sqrt();
		for ((d, s), alpha) in dst.iter_mut().zip(src).zip(alpha) {
			*d = *s / m * *alpha;
		}
	})
}
