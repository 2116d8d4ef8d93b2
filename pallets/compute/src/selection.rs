//! Host selection: a weighted random pick among the active hosts of a model, by capacity weight,
//! from a seed. Integer arithmetic only, bounded by the index's length.

// The logic is held to the runtime's lint discipline; the FRAME macros in `lib.rs` are not.
#![deny(
	clippy::arithmetic_side_effects,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::unwrap_used
)]

use crate::{BalanceOf, Config, Hosts, HostsByModel, Pallet};
use alloc::vec::Vec;
use daya_primitives::{Duty, ModelId, MAX_BOND_PICKS};
use polkadot_sdk::sp_runtime::traits::Zero;

/// The number a seed draws: its first 16 bytes, as a little-endian `u128`.
pub(crate) fn draw(seed: &[u8; 32]) -> u128 {
	seed.first_chunk::<16>().map_or(0, |bytes| u128::from_le_bytes(*bytes))
}

/// Picks one of `candidates` with probability proportional to its weight, from `seed`.
///
/// With `total` the sum of the weights, the pick is the candidate in whose interval of the
/// cumulative weights `draw(seed) % total` falls. `None` if there is no candidate or all weights
/// are zero; zero-weight candidates are never picked. Sums are `u128`, which `u64` weights
/// cannot overflow in fewer than 2^64 candidates. Goes over `candidates` at most twice.
pub(crate) fn weighted_pick<A>(
	candidates: impl Iterator<Item = (A, u64)> + Clone,
	seed: &[u8; 32],
) -> Option<A> {
	let total = candidates
		.clone()
		.fold(0u128, |total, (_, weight)| total.saturating_add(u128::from(weight)));
	let target = draw(seed).checked_rem(total)?;
	let mut cumulative = 0u128;
	for (candidate, weight) in candidates {
		cumulative = cumulative.saturating_add(u128::from(weight));
		if target < cumulative {
			return Some(candidate);
		}
	}
	// Unreachable: `target < total`, the last cumulative sum.
	None
}

impl<T: Config> Pallet<T> {
	/// Picks an active host serving `model` whose executor can take on `duty`, by capacity
	/// weight, leaving out `exclude`. See [`daya_primitives::HostRegistry::select_host`].
	///
	/// One storage read; `O(MaxHostsPerModel * exclude.len())` comparisons.
	pub(crate) fn do_select_host(
		model: ModelId,
		duty: Duty,
		exclude: &[T::AccountId],
		seed: [u8; 32],
		min_bond: BalanceOf<T>,
	) -> Option<T::AccountId> {
		let index = HostsByModel::<T>::get(model)?;
		// Hosts picked whose bond is below `min_bond`: left out of the next picks.
		let mut short = Vec::new();
		let mut seed = seed;
		for _ in 0..MAX_BOND_PICKS {
			let candidates = index
				.iter()
				.filter(|entry| {
					entry.executor_kind.can(duty)
						&& !exclude.contains(&entry.host)
						&& !short.contains(&entry.host)
				})
				.map(|entry| (&entry.host, entry.capacity_weight));
			let pick = weighted_pick(candidates, &seed)?.clone();
			if min_bond.is_zero() || Hosts::<T>::get(&pick).is_some_and(|h| h.bond >= min_bond) {
				return Some(pick);
			}
			short.push(pick);
			seed = polkadot_sdk::sp_io::hashing::blake2_256(&seed);
		}
		None
	}

	/// Picks an active host serving `model` that can check, each with the same chance whatever
	/// its weight, leaving out `exclude`. See
	/// [`daya_primitives::HostRegistry::select_checker`].
	pub(crate) fn do_select_checker(
		model: ModelId,
		exclude: &[T::AccountId],
		seed: [u8; 32],
	) -> Option<T::AccountId> {
		let index = HostsByModel::<T>::get(model)?;
		let candidates = index
			.iter()
			.filter(|entry| {
				entry.executor_kind.can(Duty::Validate) && !exclude.contains(&entry.host)
			})
			.map(|entry| (&entry.host, 1u64));
		weighted_pick(candidates, &seed).cloned()
	}
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
	use super::*;

	fn seed(value: u128) -> [u8; 32] {
		let mut seed = [0xff; 32];
		seed[..16].copy_from_slice(&value.to_le_bytes());
		seed
	}

	#[test]
	fn draws_the_first_sixteen_bytes_little_endian() {
		assert_eq!(draw(&seed(0)), 0);
		assert_eq!(draw(&seed(12_345)), 12_345);
		assert_eq!(draw(&[0xff; 32]), u128::MAX);
	}

	#[test]
	fn picks_by_cumulative_weight() {
		let candidates = [('a', 1u64), ('b', 2), ('c', 3)];
		let picks: Vec<char> = (0..6)
			.map(|r| weighted_pick(candidates.into_iter(), &seed(r)).expect("a pick"))
			.collect();
		assert_eq!(picks, vec!['a', 'b', 'b', 'c', 'c', 'c']);
		// wraps around the total
		assert_eq!(weighted_pick(candidates.into_iter(), &seed(6)), Some('a'));
		assert_eq!(weighted_pick(candidates.into_iter(), &seed(u128::MAX)), Some('c'));
	}

	#[test]
	fn never_picks_zero_weights() {
		let candidates = [('a', 0u64), ('b', 5), ('c', 0)];
		for r in 0..20 {
			assert_eq!(weighted_pick(candidates.into_iter(), &seed(r)), Some('b'));
		}
	}

	#[test]
	fn picks_nothing_from_nothing() {
		assert_eq!(weighted_pick(core::iter::empty::<(char, u64)>(), &seed(3)), None);
		assert_eq!(weighted_pick([('a', 0u64), ('b', 0)].into_iter(), &seed(3)), None);
	}

	#[test]
	fn handles_the_largest_weights() {
		let candidates = [('a', u64::MAX), ('b', u64::MAX)];
		assert_eq!(
			weighted_pick(candidates.into_iter(), &seed(u128::from(u64::MAX) - 1)),
			Some('a')
		);
		assert_eq!(weighted_pick(candidates.into_iter(), &seed(u128::from(u64::MAX))), Some('b'));
	}
}
