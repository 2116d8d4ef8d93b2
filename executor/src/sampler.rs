//! The sampler every executor and validator runs: Gumbel-max with keyed noise, so that a
//! validator replays exactly which token the sampler had to pick, from its own logits.
//!
//! At output position `p`, token `i` scores `s_i = lp_i + t * g_i`, where `lp_i` is its
//! log-probability, `t` the temperature, and `g_i = -ln(-ln(u_i))` a standard Gumbel draw whose
//! uniform `u_i` comes from SplitMix64 seeded with the first 8 bytes of
//! [`daya_protocol::sampler_key`]`(job key, p)`, stepped once per vocabulary id in order. The
//! token picked is the highest score (ties: the lower id), which is a draw from
//! `softmax(logits / t)`; at `t = 0` it is greedy decoding.
//!
//! A claimed token's *margin* is the best score less the claimed token's: 0 when the validator's
//! sampler picks the same token, small at a near tie (two tokens almost equally scored, where
//! honest numerical noise can flip the pick), large when the token could not have been picked.

use daya_kernels::sampling;
use daya_protocol::{blake2_256, sampler_key};

/// A job's sampler: its temperature and key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sampler {
	/// Temperature in thousandths; 0 is greedy.
	pub temperature_milli: u32,
	/// The job's key (from the chain, or from a seed for the OpenAI-compatible API).
	pub key: [u8; 32],
	/// Nucleus sampling, in thousandths: only the most likely tokens whose probabilities (at
	/// the temperature) reach this share together can be picked. 1,000 (all tokens) for chain
	/// jobs, which the chain's validators replay; below that for OpenAI requests only.
	pub top_p_milli: u32,
}

impl Sampler {
	/// A sampler keyed by the chain's sampling key.
	pub fn new(temperature_milli: u32, key: [u8; 32]) -> Self {
		Self { temperature_milli, key, top_p_milli: 1_000 }
	}

	/// A sampler keyed by a caller's seed (the OpenAI-compatible API).
	pub fn from_seed(temperature_milli: u32, seed: u64) -> Self {
		let mut data = b"daya/openai-seed".to_vec();
		data.extend_from_slice(&seed.to_le_bytes());
		Self { temperature_milli, key: blake2_256(&data), top_p_milli: 1_000 }
	}

	/// This sampler with nucleus sampling at `top_p_milli` thousandths (see
	/// [`Sampler::top_p_milli`]).
	pub fn with_top_p(self, top_p_milli: u32) -> Self {
		Self { top_p_milli: top_p_milli.min(1_000), ..self }
	}

	/// The tokens nucleus sampling leaves out at temperature `t`: all but the most likely whose
	/// probabilities of `softmax(lp / t)` reach `top_p_milli` thousandths together (ties: the
	/// lower id first).
	fn outside_nucleus(&self, lp: &[f64], t: f64) -> Vec<usize> {
		let max = lp.iter().copied().fold(f64::NEG_INFINITY, f64::max);
		let mut weights: Vec<(usize, f64)> =
			lp.iter().enumerate().map(|(i, l)| (i, ((l - max) / t).exp())).collect();
		let total: f64 = weights.iter().map(|(_, w)| w).sum();
		weights.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
		let wanted = total * f64::from(self.top_p_milli) / 1000.0;
		let mut sum = 0.0;
		let kept = weights
			.iter()
			.position(|(_, w)| {
				sum += w;
				sum >= wanted
			})
			.map_or(weights.len(), |last| last + 1);
		weights[kept..].iter().map(|(i, _)| *i).collect()
	}

	/// The scores of every token at output position `position`, given its log-probabilities
	/// `lp`; banned tokens score minus infinity.
	pub fn scores(&self, lp: &[f64], position: u32, banned: &[u32]) -> Vec<f64> {
		let mut scores = lp.to_vec();
		if self.temperature_milli > 0 {
			let t = self.temperature();
			let seed = self.seed(position);
			for (i, s) in scores.iter_mut().enumerate() {
				*s = score(*s, t, sampling::draw(seed, i));
			}
			if self.top_p_milli < 1_000 {
				for i in self.outside_nucleus(lp, t) {
					scores[i] = f64::NEG_INFINITY;
				}
			}
		}
		for &b in banned {
			if let Some(s) = scores.get_mut(b as usize) {
				*s = f64::NEG_INFINITY;
			}
		}
		scores
	}

	/// The temperature.
	fn temperature(&self) -> f64 {
		f64::from(self.temperature_milli) / 1000.0
	}

	/// The seed of the uniform draws at `position` ([`sampling::draw`], one per vocabulary id):
	/// the first 8 bytes of its sampler key.
	fn seed(&self, position: u32) -> u64 {
		let k = sampler_key(&self.key, position);
		u64::from_le_bytes(k[..8].try_into().unwrap_or_default())
	}

	/// The token [`Sampler::scores`]'s [`argmax`] gives, its score, and the score of `claimed`
	/// (minus infinity if banned or outside `lp`), without computing every score: a token's
	/// Gumbel draw (two logarithms) is computed only when a bound on its score that costs none
	/// reaches the best score so far, which leaves every other token below it. `None` where the
	/// bound does not apply (nucleus sampling, which ranks every token first): use the scores.
	fn best(
		&self,
		lp: &[f64],
		position: u32,
		banned: &[u32],
		claimed: Option<u32>,
	) -> Option<(u32, f64, f64)> {
		if self.top_p_milli < 1_000 || lp.is_empty() {
			return None;
		}
		let t = self.temperature();
		let exact = |i: usize, u: f64| {
			if banned.contains(&(i as u32)) {
				f64::NEG_INFINITY
			} else if self.temperature_milli > 0 {
				score(lp[i], t, u)
			} else {
				lp[i]
			}
		};
		let seed = self.seed(position);
		let sampled = self.temperature_milli > 0;
		let u = |i: usize| if sampled { sampling::draw(seed, i) } else { 0.5 };
		let (mut best, mut best_score) = (0usize, exact(0, u(0)));
		let mut mine = (claimed == Some(0)).then_some(best_score);
		let n = lp.len();
		let mut i = 1;
		while i < n {
			// The next token whose score could reach the best (every other token's bound is
			// below it: it cannot be picked; NaN goes on to the exact score, which compares
			// as the scores' argmax does), or the claimed token, whose score is wanted.
			let limit = match claimed {
				Some(c) if c as usize >= i => (c as usize).min(n),
				_ => n,
			};
			let j = if sampled {
				sampling::first_reaching(lp, seed, t, best_score, i, limit)
			} else {
				(i..limit).find(|&j| sampling::reaches(lp[j], best_score)).unwrap_or(limit)
			};
			if j >= n {
				break;
			}
			let s = exact(j, u(j));
			if claimed == Some(j as u32) {
				mine = Some(s);
			}
			if s > best_score {
				(best, best_score) = (j, s);
			}
			i = j + 1;
		}
		Some((best as u32, best_score, mine.unwrap_or(f64::NEG_INFINITY)))
	}

	/// The token the sampler picks at `position`.
	pub fn pick(&self, lp: &[f64], position: u32, banned: &[u32]) -> u32 {
		match self.best(lp, position, banned, None) {
			Some((token, _, _)) => token,
			None => argmax(&self.scores(lp, position, banned)),
		}
	}

	/// The margin of `claimed` at `position` in micro-nats: the best score less the claimed
	/// token's, `u32::MAX` for a token the sampler can never pick (banned or outside the
	/// vocabulary).
	pub fn margin_micro(&self, lp: &[f64], position: u32, banned: &[u32], claimed: u32) -> u32 {
		let (best, mine) = match self.best(lp, position, banned, Some(claimed)) {
			Some((_, best, mine)) => (best, mine),
			None => {
				let scores = self.scores(lp, position, banned);
				let Some(&mine) = scores.get(claimed as usize) else { return u32::MAX };
				(scores[argmax(&scores) as usize], mine)
			},
		};
		if !mine.is_finite() {
			return u32::MAX;
		}
		let margin = ((best - mine) * 1e6).round();
		if margin.is_nan() {
			u32::MAX
		} else {
			margin.clamp(0.0, f64::from(u32::MAX)) as u32
		}
	}
}

/// A token's score: its log-probability plus `t` times the Gumbel draw of `u`.
fn score(lp: f64, t: f64, u: f64) -> f64 {
	lp + t * -(-u.ln()).ln()
}

/// The index of the highest score; ties go to the lower index.
pub fn argmax(scores: &[f64]) -> u32 {
	let mut best = 0usize;
	for (i, s) in scores.iter().enumerate() {
		if *s > scores[best] {
			best = i;
		}
	}
	best as u32
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::dev_model::SplitMix64;

	fn log_softmax(logits: &[f64]) -> Vec<f64> {
		let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
		let lse = max + logits.iter().map(|l| (l - max).exp()).sum::<f64>().ln();
		logits.iter().map(|l| l - lse).collect()
	}

	#[test]
	fn greedy_picks_the_best_and_margins_measure_the_gap() {
		let lp = log_softmax(&[1.0, 3.0, 2.5, 3.0]);
		let s = Sampler::new(0, [0; 32]);
		assert_eq!(s.pick(&lp, 0, &[]), 1, "ties go to the lower id");
		assert_eq!(s.margin_micro(&lp, 0, &[], 1), 0);
		assert_eq!(s.margin_micro(&lp, 0, &[], 3), 0, "an exact tie is no mismatch");
		assert_eq!(s.margin_micro(&lp, 0, &[], 2), 500_000);
		assert_eq!(s.pick(&lp, 0, &[1]), 3);
		assert_eq!(s.margin_micro(&lp, 0, &[1], 1), u32::MAX, "a banned token");
		assert_eq!(s.margin_micro(&lp, 0, &[], 9), u32::MAX, "outside the vocabulary");
	}

	#[test]
	fn sampling_follows_the_distribution_and_replays() {
		// p = (0.6, 0.3, 0.1) at temperature 1.
		let lp: Vec<f64> = [0.6f64, 0.3, 0.1].iter().map(|p| p.ln()).collect();
		let s = Sampler::new(1000, [7; 32]);
		let mut counts = [0u32; 3];
		for position in 0..20_000 {
			let pick = s.pick(&lp, position, &[]);
			counts[pick as usize] += 1;
			assert_eq!(s.margin_micro(&lp, position, &[], pick), 0, "a validator replays it");
		}
		let shares: Vec<f64> = counts.iter().map(|c| f64::from(*c) / 20_000.0).collect();
		for (share, p) in shares.iter().zip([0.6, 0.3, 0.1]) {
			assert!((share - p).abs() < 0.015, "{shares:?}");
		}
		// Another key picks differently somewhere.
		let other = Sampler::new(1000, [8; 32]);
		assert!((0..100).any(|p| other.pick(&lp, p, &[]) != s.pick(&lp, p, &[])));
		// A low temperature is nearly greedy.
		let cold = Sampler::new(50, [7; 32]);
		assert!((0..1000).filter(|p| cold.pick(&lp, *p, &[]) == 0).count() > 990);
	}

	#[test]
	fn skipping_tokens_below_the_best_never_changes_a_pick_or_a_margin() {
		// Every score computed, as the definition says.
		let full = |s: &Sampler, lp: &[f64], position: u32, banned: &[u32], claimed: u32| {
			let scores = s.scores(lp, position, banned);
			let best = scores[argmax(&scores) as usize];
			let margin = match scores.get(claimed as usize) {
				Some(mine) if mine.is_finite() => {
					let m = ((best - mine) * 1e6).round();
					if m.is_nan() {
						u32::MAX
					} else {
						m.clamp(0.0, f64::from(u32::MAX)) as u32
					}
				},
				_ => u32::MAX,
			};
			(argmax(&scores), margin)
		};
		let mut rng = SplitMix64(11);
		for case in 0..400u32 {
			let n = 1 + (rng.next_u64() % 600) as usize;
			// Log-probabilities spread wide, some equal, some impossible.
			let spread = [0.5, 5.0, 40.0][case as usize % 3];
			let mut logits: Vec<f64> = (0..n)
				.map(|_| -spread * (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64)
				.collect();
			if n > 4 {
				logits[n / 2] = logits[n / 3];
				logits[n / 4] = f64::NEG_INFINITY;
			}
			let lp = log_softmax(&logits);
			let banned: Vec<u32> =
				(0..case % 4).map(|_| (rng.next_u64() % n as u64) as u32).collect();
			let temperature = [0, 1, 50, 800, 1000, 2000][case as usize % 6];
			let s = Sampler::new(temperature, [case as u8; 32]);
			for position in 0..8 {
				let pick = s.pick(&lp, position, &banned);
				let claimed = [pick, (rng.next_u64() % (n as u64 + 2)) as u32];
				for claimed in claimed {
					let margin = s.margin_micro(&lp, position, &banned, claimed);
					let (want, want_margin) = full(&s, &lp, position, &banned, claimed);
					assert_eq!((pick, margin), (want, want_margin), "case {case} at {position}");
				}
			}
		}
	}

	#[test]
	fn nucleus_sampling_keeps_the_likeliest_tokens_only() {
		let lp: Vec<f64> = [0.5f64, 0.3, 0.15, 0.05].iter().map(|p| p.ln()).collect();
		let all = Sampler::new(1000, [3; 32]);
		assert_eq!(all.with_top_p(1_000), all, "1,000 thousandths: every token");
		let count = |s: Sampler| {
			let mut counts = [0u32; 4];
			for position in 0..20_000 {
				counts[s.pick(&lp, position, &[]) as usize] += 1;
			}
			counts
		};
		// 0.5 + 0.3 reach 0.79: the two likeliest, in their ratio.
		let top = count(all.with_top_p(790));
		assert_eq!((top[2], top[3]), (0, 0), "{top:?}");
		let share = f64::from(top[0]) / 20_000.0;
		assert!((share - 0.625).abs() < 0.015, "{top:?}");
		// Past 0.8 takes the third in.
		assert!(count(all.with_top_p(810))[2] > 0);
		// At most the likeliest one: greedy.
		assert_eq!(count(all.with_top_p(1))[0], 20_000);
		// The chain's sampler is untouched: every token still drawn.
		assert!(count(all).iter().all(|c| *c > 0));
	}
}
