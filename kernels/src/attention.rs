//! Attention of one new position over a sequence's KV cache, read in place: the decoding step
//! of a batch, where each sequence attends over its own cache. A plain loop per query head
//! (scores, softmax, weighted values) without a tensor per operation: at a few hundred cached
//! positions the operations themselves are a few microseconds, their bookkeeping was more.
//!
//! Every number is computed by one fixed sequence of operations, on every instruction set:
//! a score is a dot product whose eight lanes take elements `e`, `e + 8`, ... with fused
//! multiply-adds and are added in order, then scaled; the softmax is
//! [`crate::ops::softmax_rows`]'s; an output element adds each position's weighted value in
//! position order with fused multiply-adds.

use crate::{lanes_sum, ops::softmax_in_place, Isa};

/// Keys or values of one sequence's cache: element `e` of position `p` of key/value head `g` is
/// `data[g * head_stride + p * pos_stride + e]`.
#[derive(Clone, Copy, Debug)]
pub struct Cached<'a> {
	/// The cache's elements.
	pub data: &'a [f32],
	/// Elements from one key/value head to the next.
	pub head_stride: usize,
	/// Elements from one position to the next.
	pub pos_stride: usize,
}

impl Cached<'_> {
	/// Position `p` of head `g`, `d` elements, if the cache holds it.
	fn at(&self, g: usize, p: usize, d: usize) -> Option<&[f32]> {
		let start =
			g.checked_mul(self.head_stride)?.checked_add(p.checked_mul(self.pos_stride)?)?;
		self.data.get(start..start.checked_add(d)?)
	}
}

/// Why attention could not be computed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttentionError {
	/// Query heads are not a whole multiple of key/value heads, or a head is empty.
	Heads { heads: usize, kv_heads: usize, head_dim: usize },
	/// The queries are not `heads * head_dim` long.
	Queries { len: usize, expected: usize },
	/// The cache does not hold `len` positions of every key/value head.
	Cache { len: usize },
}

impl std::fmt::Display for AttentionError {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			Self::Heads { heads, kv_heads, head_dim } => write!(
				f,
				"{heads} query heads over {kv_heads} key/value heads of {head_dim} elements"
			),
			Self::Queries { len, expected } => write!(f, "{len} query elements, not {expected}"),
			Self::Cache { len } => write!(f, "a cache without {len} positions for every head"),
		}
	}
}

impl std::error::Error for AttentionError {}

/// The attention of one position's queries `q` (`heads` heads of `head_dim`, head after head)
/// over the first `len` positions of `keys` and `values` (query head `h` reads key/value head
/// `h / (heads / kv_heads)`), scores scaled by `1 / sqrt(head_dim)`: `heads * head_dim`
/// outputs, head after head.
pub fn attend_one(
	q: &[f32],
	keys: Cached,
	values: Cached,
	(heads, kv_heads, head_dim): (usize, usize, usize),
	len: usize,
) -> Result<Vec<f32>, AttentionError> {
	attend_one_on(Isa::best(), q, keys, values, (heads, kv_heads, head_dim), len)
}

/// [`attend_one`] on `isa` (the best this CPU has at most): the same bits whatever `isa` is.
pub fn attend_one_on(
	isa: Isa,
	q: &[f32],
	keys: Cached,
	values: Cached,
	(heads, kv_heads, d): (usize, usize, usize),
	len: usize,
) -> Result<Vec<f32>, AttentionError> {
	if kv_heads == 0 || d == 0 || heads % kv_heads != 0 {
		return Err(AttentionError::Heads { heads, kv_heads, head_dim: d });
	}
	if q.len() != heads * d {
		return Err(AttentionError::Queries { len: q.len(), expected: heads * d });
	}
	if let Some(last) = len.checked_sub(1) {
		if (0..kv_heads).any(|g| keys.at(g, last, d).is_none() || values.at(g, last, d).is_none()) {
			return Err(AttentionError::Cache { len });
		}
	}
	let isa = if d % 8 == 0 { isa.min(Isa::best()) } else { Isa::Portable };
	let scale = (1.0 / (d as f64).sqrt()) as f32;
	let group = heads / kv_heads;
	let mut out = vec![0f32; heads * d];
	let mut scores = vec![0f32; len];
	for (h, (q, out)) in q.chunks_exact(d).zip(out.chunks_exact_mut(d)).enumerate() {
		let (keys, values) = (keys.head(h / group, d), values.head(h / group, d));
		match isa {
			#[cfg(target_arch = "x86_64")]
			// SAFETY: AVX2 or more only on a CPU that has them (`Isa::best`, which requires FMA
			// too), and only for heads that are whole multiples of eight; every position below
			// `len` is in the cache (checked above).
			Isa::Avx2 | Isa::Avx512 => unsafe {
				avx::scores(q, keys, scale, &mut scores);
				softmax_in_place(&mut scores);
				avx::weighted(&scores, values, out);
			},
			_ => {
				for (p, score) in scores.iter_mut().enumerate() {
					*score = dot(q, keys.at(p)) * scale;
				}
				softmax_in_place(&mut scores);
				for (p, w) in scores.iter().enumerate() {
					for (o, v) in out.iter_mut().zip(values.at(p)) {
						*o = w.mul_add(*v, *o);
					}
				}
			},
		}
	}
	Ok(out)
}

/// The positions of one key/value head: position `p` at `data[p * stride..][..d]`.
#[derive(Clone, Copy)]
struct Head<'a> {
	data: &'a [f32],
	stride: usize,
	d: usize,
}

impl Cached<'_> {
	/// Key/value head `g`'s positions (from its first element on).
	fn head(&self, g: usize, d: usize) -> Head<'_> {
		Head {
			data: self.data.get(g * self.head_stride..).unwrap_or_default(),
			stride: self.pos_stride,
			d,
		}
	}
}

impl Head<'_> {
	/// Position `p`'s `d` elements (empty past the cache's end, which the caller has ruled
	/// out).
	fn at(&self, p: usize) -> &[f32] {
		self.data.get(p * self.stride..p * self.stride + self.d).unwrap_or_default()
	}
}

/// `sum a[e] * b[e]`: eight lanes (element `e` in lane `e % 8`) with fused multiply-adds,
/// added in order.
fn dot(a: &[f32], b: &[f32]) -> f32 {
	let mut acc = [0f32; 8];
	for (i, (a, b)) in a.iter().zip(b).enumerate() {
		acc[i % 8] = a.mul_add(*b, acc[i % 8]);
	}
	lanes_sum(&acc)
}

#[cfg(target_arch = "x86_64")]
mod avx {
	use std::arch::x86_64::*;

	use super::Head;

	/// Positions scored together: independent sums, so that their multiply-adds overlap, and
	/// whose lanes are added as one transposed vector.
	const POSITIONS: usize = 8;

	/// Output elements kept in registers while the positions stream past (eight vectors).
	const COLUMNS: usize = 64;

	/// `scores[p] = dot(q, keys.at(p)) * scale` ([`super::dot`]'s operations) for every `p`.
	///
	/// # Safety
	/// The CPU has AVX2 and FMA; `q` is `keys.d` long, a whole multiple of eight; the keys hold
	/// every position below `scores.len()`.
	#[target_feature(enable = "avx2,fma")]
	pub(super) unsafe fn scores(q: &[f32], keys: Head, scale: f32, scores: &mut [f32]) {
		let d = keys.d;
		let len = scores.len();
		let mut p = 0;
		while p < len {
			let n = (len - p).min(POSITIONS);
			let rows: [*const f32; POSITIONS] =
				std::array::from_fn(|j| keys.at(p + j.min(n - 1)).as_ptr());
			let mut acc = [_mm256_setzero_ps(); POSITIONS];
			for c in (0..d).step_by(8) {
				let qv = _mm256_loadu_ps(q.as_ptr().add(c));
				for (acc, row) in acc.iter_mut().zip(&rows) {
					*acc = _mm256_fmadd_ps(qv, _mm256_loadu_ps(row.add(c)), *acc);
				}
			}
			let mut sums = [0f32; POSITIONS];
			_mm256_storeu_ps(
				sums.as_mut_ptr(),
				_mm256_mul_ps(lanes_sums(&acc), _mm256_set1_ps(scale)),
			);
			scores[p..p + n].copy_from_slice(&sums[..n]);
			p += n;
		}
	}

	/// Lane `i`: the eight lanes of `acc[i]` added in order from zero ([`crate::lanes_sum`]'s
	/// operations), the eight vectors transposed so that vector `j` holds every lane `j`.
	#[target_feature(enable = "avx2,fma")]
	unsafe fn lanes_sums(acc: &[__m256; 8]) -> __m256 {
		let t = [
			_mm256_unpacklo_ps(acc[0], acc[1]),
			_mm256_unpackhi_ps(acc[0], acc[1]),
			_mm256_unpacklo_ps(acc[2], acc[3]),
			_mm256_unpackhi_ps(acc[2], acc[3]),
			_mm256_unpacklo_ps(acc[4], acc[5]),
			_mm256_unpackhi_ps(acc[4], acc[5]),
			_mm256_unpacklo_ps(acc[6], acc[7]),
			_mm256_unpackhi_ps(acc[6], acc[7]),
		];
		// `c[k]`, 128-bit lane `l`: element `4 * l + k % 4` of vectors `0..4` (`k < 4`) or
		// `4..8`.
		let c = [
			_mm256_shuffle_ps::<0x44>(t[0], t[2]),
			_mm256_shuffle_ps::<0xee>(t[0], t[2]),
			_mm256_shuffle_ps::<0x44>(t[1], t[3]),
			_mm256_shuffle_ps::<0xee>(t[1], t[3]),
			_mm256_shuffle_ps::<0x44>(t[4], t[6]),
			_mm256_shuffle_ps::<0xee>(t[4], t[6]),
			_mm256_shuffle_ps::<0x44>(t[5], t[7]),
			_mm256_shuffle_ps::<0xee>(t[5], t[7]),
		];
		let column = |j: usize| {
			if j < 4 {
				_mm256_permute2f128_ps::<0x20>(c[j], c[4 + j])
			} else {
				_mm256_permute2f128_ps::<0x31>(c[j - 4], c[j])
			}
		};
		let mut sum = _mm256_setzero_ps();
		for j in 0..8 {
			sum = _mm256_add_ps(sum, column(j));
		}
		sum
	}

	/// `out[e] = sum over p of weights[p] * values.at(p)[e]`, one fused multiply-add per
	/// position in position order from zero.
	///
	/// # Safety
	/// As [`scores`]; `out` is `values.d` long.
	#[target_feature(enable = "avx2,fma")]
	pub(super) unsafe fn weighted(weights: &[f32], values: Head, out: &mut [f32]) {
		let mut from = 0;
		while from < values.d {
			// Eight vectors at a time while there are, then one.
			if values.d - from >= COLUMNS {
				columns::<{ COLUMNS / 8 }>(weights, values, from, out);
				from += COLUMNS;
			} else {
				columns::<1>(weights, values, from, out);
				from += 8;
			}
		}
	}

	/// [`weighted`] for elements `from..from + 8 * C`.
	#[target_feature(enable = "avx2,fma")]
	#[inline]
	unsafe fn columns<const C: usize>(weights: &[f32], values: Head, from: usize, out: &mut [f32]) {
		let mut acc = [_mm256_setzero_ps(); C];
		for (p, w) in weights.iter().enumerate() {
			let w = _mm256_set1_ps(*w);
			let row = values.at(p).as_ptr().add(from);
			for (c, acc) in acc.iter_mut().enumerate() {
				*acc = _mm256_fmadd_ps(w, _mm256_loadu_ps(row.add(8 * c)), *acc);
			}
		}
		for (c, acc) in acc.iter().enumerate() {
			_mm256_storeu_ps(out.as_mut_ptr().add(from + 8 * c), *acc);
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	/// Deterministic values in about `[-1, 1)`.
	fn values(n: usize, seed: u64) -> Vec<f32> {
		let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
		(0..n)
			.map(|_| {
				s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
				((s >> 40) as f32 / (1u64 << 23) as f32) - 1.0
			})
			.collect()
	}

	/// The attention computed in `f64`, straight from its definition.
	fn reference(
		q: &[f32],
		k: &[f32],
		v: &[f32],
		heads: usize,
		kvh: usize,
		d: usize,
		cap: usize,
		len: usize,
	) -> Vec<f64> {
		let mut out = vec![0f64; heads * d];
		for h in 0..heads {
			let g = h / (heads / kvh);
			let scores: Vec<f64> = (0..len)
				.map(|p| {
					(0..d)
						.map(|e| f64::from(q[h * d + e]) * f64::from(k[(g * cap + p) * d + e]))
						.sum::<f64>() / (d as f64).sqrt()
				})
				.collect();
			let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
			let exps: Vec<f64> = scores.iter().map(|s| (s - max).exp()).collect();
			let sum: f64 = exps.iter().sum();
			for p in 0..len {
				for e in 0..d {
					out[h * d + e] += exps[p] / sum * f64::from(v[(g * cap + p) * d + e]);
				}
			}
		}
		out
	}

	#[test]
	fn every_instruction_set_gives_the_same_bits_and_the_definitions_values() {
		for &(heads, kvh, d, cap, len) in &[
			(9, 3, 64, 40, 33),
			(4, 4, 16, 8, 1),
			(6, 2, 12, 5, 5),
			(2, 1, 64, 300, 257),
			(3, 1, 128, 20, 9),
			(4, 1, 64, 10, 10),
			(2, 2, 64, 3, 1),
		] {
			let q = values(heads * d, 1);
			let k = values(kvh * cap * d, 2);
			let v = values(kvh * cap * d, 3);
			let cache = |data| Cached { data, head_stride: cap * d, pos_stride: d };
			let want = reference(&q, &k, &v, heads, kvh, d, cap, len);
			let mut first: Option<Vec<u32>> = None;
			for isa in Isa::available() {
				let got =
					attend_one_on(isa, &q, cache(&k), cache(&v), (heads, kvh, d), len).unwrap();
				for (g, w) in got.iter().zip(&want) {
					assert!((f64::from(*g) - w).abs() < 1e-5, "{isa:?}: {g} against {w}");
				}
				let bits: Vec<u32> = got.iter().map(|g| g.to_bits()).collect();
				match &first {
					Some(first) => {
						assert_eq!(first, &bits, "{isa:?} differs from the portable path")
					},
					None => first = Some(bits),
				}
			}
		}
	}

	#[test]
	fn bad_shapes_are_named_errors() {
		let (q, k) = (values(8, 1), values(16, 2));
		let cache = Cached { data: &k, head_stride: 8, pos_stride: 4 };
		assert_eq!(
			attend_one(&q, cache, cache, (3, 2, 4), 1),
			Err(AttentionError::Heads { heads: 3, kv_heads: 2, head_dim: 4 })
		);
		assert_eq!(
			attend_one(&q[..7], cache, cache, (2, 2, 4), 1),
			Err(AttentionError::Queries { len: 7, expected: 8 })
		);
		assert_eq!(
			attend_one(&q, cache, cache, (2, 2, 4), 3),
			Err(AttentionError::Cache { len: 3 })
		);
		assert!(attend_one(&q, cache, cache, (2, 2, 4), 2).is_ok());
	}
}
