//! The scan behind the executor's Gumbel-max sampler: which tokens' scores could still reach
//! the best so far. Token `i`'s uniform draw is SplitMix64's output for the state
//! `seed + (i + 1) * GOLDEN` (the generator stepped once per vocabulary id, in order), its
//! score at most `lp[i] + t * gumbel_bound(u)`; a token whose bound is below the best cannot be
//! picked, and nearly every token's is, so the sampler computes the exact score (two
//! logarithms) only for the tokens this scan returns. The AVX-512 path computes eight tokens'
//! bounds at once, with the same operations (the same bits) as the portable one.

use crate::Isa;

/// SplitMix64's increment.
pub const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

/// SplitMix64's output for `state` (the state after its increment).
pub fn splitmix(state: u64) -> u64 {
	let mut z = state;
	z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
	z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
	z ^ (z >> 31)
}

/// The uniform draw in `(0, 1)` of 64 random bits: never 0 nor 1, so a Gumbel draw is
/// finite.
pub fn uniform(bits: u64) -> f64 {
	((bits >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

/// Token `i`'s uniform draw for the generator seeded with `seed`.
pub fn draw(seed: u64, i: usize) -> f64 {
	uniform(splitmix(seed.wrapping_add((i as u64).wrapping_add(1).wrapping_mul(GOLDEN))))
}

/// At least the Gumbel draw `-ln(-ln u)` of `u` in `(0, 1)` as computed, without a logarithm:
/// `-ln u >= 1 - u`, so the draw is at most `-ln w` for `w = 1 - u`, which is at most `-e ln 2`
/// for `w` in `[2^e, 2^(e + 1))`. Loose by at most `ln 2`; the small constant covers the
/// roundings of both sides.
pub fn gumbel_bound(u: f64) -> f64 {
	let w = 1.0 - u;
	let e = ((w.to_bits() >> 52) & 0x7ff) as i64 - 1023;
	-(e as f64) * std::f64::consts::LN_2 + 1e-9
}

/// Whether a score bound reaches `best`: not below it (a NaN bound is not below).
pub fn reaches(bound: f64, best: f64) -> bool {
	bound.partial_cmp(&best) != Some(std::cmp::Ordering::Less)
}

/// The first `i` in `from..limit` (`limit` at most `lp.len()`) whose bound `lp[i] + t *
/// gumbel_bound(draw(seed, i))` is not below `best` (a NaN bound is not below), or `limit`.
pub fn first_reaching(
	lp: &[f64],
	seed: u64,
	t: f64,
	best: f64,
	from: usize,
	limit: usize,
) -> usize {
	first_reaching_on(Isa::best(), lp, seed, t, best, from, limit)
}

/// [`first_reaching`] on `isa` (the best this CPU has at most): the same answer whatever `isa`
/// is.
pub fn first_reaching_on(
	isa: Isa,
	lp: &[f64],
	seed: u64,
	t: f64,
	best: f64,
	from: usize,
	limit: usize,
) -> usize {
	let limit = limit.min(lp.len());
	let mut i = from;
	#[cfg(target_arch = "x86_64")]
	if isa.min(Isa::best()) == Isa::Avx512 {
		// SAFETY: `Isa::best` found AVX-512 (F, BW, DQ, VL); `from..limit` is inside `lp`.
		i = unsafe { avx512::first_reaching(lp, seed, t, best, from, limit) };
	}
	while i < limit {
		if reaches(lp[i] + t * gumbel_bound(draw(seed, i)), best) {
			return i;
		}
		i += 1;
	}
	limit
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
	use std::arch::x86_64::*;

	use super::GOLDEN;

	/// [`super::first_reaching`] eight tokens at a time: the first reaching token among the
	/// whole eights of `from..limit`, else where the last whole eight ends.
	///
	/// # Safety
	/// The CPU has AVX-512 (F, DQ); `limit <= lp.len()`.
	#[target_feature(enable = "avx512f,avx512dq")]
	pub(super) unsafe fn first_reaching(
		lp: &[f64],
		seed: u64,
		t: f64,
		best: f64,
		from: usize,
		limit: usize,
	) -> usize {
		let golden = _mm512_set1_epi64(GOLDEN as i64);
		let lanes = _mm512_setr_epi64(1, 2, 3, 4, 5, 6, 7, 8);
		// Lane `k`: the state of token `from + k`.
		let first = seed.wrapping_add((from as u64).wrapping_mul(GOLDEN));
		let mut state =
			_mm512_add_epi64(_mm512_set1_epi64(first as i64), _mm512_mullo_epi64(lanes, golden));
		let step = _mm512_set1_epi64(GOLDEN.wrapping_mul(8) as i64);
		let (m1, m2) = (
			_mm512_set1_epi64(0xbf58_476d_1ce4_e5b9_u64 as i64),
			_mm512_set1_epi64(0x94d0_49bb_1331_11eb_u64 as i64),
		);
		let (half, scale) = (_mm512_set1_pd(0.5), _mm512_set1_pd(1.0 / (1u64 << 53) as f64));
		let (one, sign) = (_mm512_set1_pd(1.0), _mm512_set1_pd(-0.0));
		let (exponent, bias) = (_mm512_set1_epi64(0x7ff), _mm512_set1_epi64(1023));
		let (ln2, margin) = (_mm512_set1_pd(std::f64::consts::LN_2), _mm512_set1_pd(1e-9));
		let (t, best) = (_mm512_set1_pd(t), _mm512_set1_pd(best));
		let mut i = from;
		while i + 8 <= limit {
			let mut z = state;
			z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64::<30>(z)), m1);
			z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64::<27>(z)), m2);
			z = _mm512_xor_si512(z, _mm512_srli_epi64::<31>(z));
			// `((z >> 11) as f64 + 0.5) / 2^53` (dividing by a power of two is multiplying by
			// its inverse, exactly).
			let u = _mm512_mul_pd(
				_mm512_add_pd(_mm512_cvtepu64_pd(_mm512_srli_epi64::<11>(z)), half),
				scale,
			);
			let w = _mm512_sub_pd(one, u);
			let e = _mm512_sub_epi64(
				_mm512_and_si512(_mm512_srli_epi64::<52>(_mm512_castpd_si512(w)), exponent),
				bias,
			);
			let bound = _mm512_add_pd(
				_mm512_mul_pd(_mm512_xor_pd(_mm512_cvtepi64_pd(e), sign), ln2),
				margin,
			);
			let score = _mm512_add_pd(_mm512_loadu_pd(lp.as_ptr().add(i)), _mm512_mul_pd(t, bound));
			let reaching = _mm512_cmp_pd_mask::<_CMP_NLT_UQ>(score, best);
			if reaching != 0 {
				return i + reaching.trailing_zeros() as usize;
			}
			state = _mm512_add_epi64(state, step);
			i += 8;
		}
		i
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn every_instruction_set_finds_the_same_tokens() {
		let mut s = 7u64;
		for case in 0..300 {
			s = splitmix(s.wrapping_add(GOLDEN));
			let n = 1 + (s % 300) as usize;
			let lp: Vec<f64> = (0..n)
				.map(|i| {
					let v = -((splitmix(s ^ i as u64) >> 11) as f64 / (1u64 << 53) as f64) * 20.0;
					match (case + i) % 97 {
						0 => f64::NAN,
						1 => f64::NEG_INFINITY,
						_ => v,
					}
				})
				.collect();
			let t = [0.0, 0.3, 1.0, 2.0][case % 4];
			let best = -((case % 13) as f64);
			let from = (s as usize >> 7) % n;
			let limit = n - (s as usize >> 17) % (n - from + 1);
			let want = first_reaching_on(Isa::Portable, &lp, s, t, best, from, limit);
			for isa in Isa::available() {
				assert_eq!(first_reaching_on(isa, &lp, s, t, best, from, limit), want, "{isa:?}");
			}
			// The definition, one token at a time.
			let expected = (from..limit)
				.find(|&i| reaches(lp[i] + t * gumbel_bound(draw(s, i)), best))
				.unwrap_or(limit);
			assert_eq!(want, expected);
		}
	}

	#[test]
	fn the_draws_are_splitmix64_stepped_once_per_token() {
		let seed = 0x1234_5678_9abc_def0u64;
		let mut state = seed;
		for i in 0..20 {
			state = state.wrapping_add(GOLDEN);
			assert_eq!(draw(seed, i), uniform(splitmix(state)));
		}
	}
}
