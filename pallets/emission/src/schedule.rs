//! The emission schedule, as pure integer functions: what epoch `e` pays and what was emitted
//! before it.

#![deny(
	clippy::arithmetic_side_effects,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::unwrap_used
)]

/// The uncapped reward of epoch `epoch`: `initial >> (epoch / halving_interval)`, Bitcoin's
/// integer halving. Zero once the shift reaches the width of `u128`, and `initial` for every
/// epoch if `halving_interval` is zero (never halves).
pub fn uncapped_reward(initial: u128, halving_interval: u32, epoch: u32) -> u128 {
	let halvings = epoch.checked_div(halving_interval).unwrap_or(0);
	initial.checked_shr(halvings).unwrap_or(0)
}

/// What the uncapped schedule emits in epochs `0..epoch`, saturating: whole halving eras, then
/// the part of the current one.
pub fn uncapped_before(initial: u128, halving_interval: u32, epoch: u32) -> u128 {
	let Some(eras) = epoch.checked_div(halving_interval) else {
		return initial.saturating_mul(u128::from(epoch));
	};
	let mut total = 0u128;
	for era in 0..eras.min(128) {
		let reward = initial.checked_shr(era).unwrap_or(0);
		if reward == 0 {
			return total;
		}
		total = total.saturating_add(reward.saturating_mul(u128::from(halving_interval)));
	}
	let into_era = epoch.checked_rem(halving_interval).unwrap_or(0);
	total.saturating_add(
		uncapped_reward(initial, halving_interval, epoch).saturating_mul(u128::from(into_era)),
	)
}

/// What the schedule emits in epochs `0..epoch`, never above `max_emission`.
pub fn emitted_before(
	initial: u128,
	halving_interval: u32,
	max_emission: u128,
	epoch: u32,
) -> u128 {
	uncapped_before(initial, halving_interval, epoch).min(max_emission)
}

/// What epoch `epoch` pays: its halved reward, but only what remains under `max_emission`, so
/// the last paying epoch may pay less, and every epoch after it nothing.
pub fn reward(initial: u128, halving_interval: u32, max_emission: u128, epoch: u32) -> u128 {
	let before = emitted_before(initial, halving_interval, max_emission, epoch);
	uncapped_reward(initial, halving_interval, epoch).min(max_emission.saturating_sub(before))
}

#[cfg(test)]
mod tests {
	use super::*;

	const DAYA: u128 = 1_000_000_000_000;
	/// The runtime's schedule: 3,000 DAYA per epoch, halving every 35,040 epochs, capped at
	/// 210,240,000 DAYA.
	const R0: u128 = 3_000 * DAYA;
	const H: u32 = 35_040;
	const MAX: u128 = 210_240_000 * DAYA;

	#[test]
	fn the_runtime_schedule_halves_exactly() {
		assert_eq!(reward(R0, H, MAX, 0), R0);
		assert_eq!(reward(R0, H, MAX, H - 1), R0);
		assert_eq!(reward(R0, H, MAX, H), R0 / 2);
		assert_eq!(reward(R0, H, MAX, 2 * H - 1), R0 / 2);
		assert_eq!(reward(R0, H, MAX, 2 * H), R0 / 4);
		assert_eq!(reward(R0, H, MAX, 3 * H), R0 / 8);
		assert_eq!(reward(R0, H, MAX, 10 * H), R0 >> 10);
		assert_eq!(emitted_before(R0, H, MAX, H), R0 * H as u128);
		assert_eq!(emitted_before(R0, H, MAX, 2 * H), R0 * H as u128 * 3 / 2);
		// 3,000 DAYA halves to zero after 52 halvings; the total stays under the cap (the
		// series R0 * H * (1 + 1/2 + ...) only reaches it in the limit).
		assert_eq!(reward(R0, H, MAX, 52 * H), 0);
		assert_eq!(reward(R0, H, MAX, u32::MAX), 0);
		let total = emitted_before(R0, H, MAX, 60 * H);
		assert!(total < MAX && MAX - total < R0 * H as u128 / 1_000_000_000, "{total}");
	}

	#[test]
	fn the_cap_cuts_the_last_epoch_and_pays_nothing_after() {
		// 1,000 per epoch, halving every 4 epochs, capped at 6,900: 4 x 1,000 + 4 x 500 +
		// 3 x 250 = 6,750, then 150 of the next 250, then nothing.
		let (r0, h, max) = (1_000, 4, 6_900);
		let rewards: Vec<u128> = (0..14).map(|e| reward(r0, h, max, e)).collect();
		assert_eq!(
			rewards,
			vec![1_000, 1_000, 1_000, 1_000, 500, 500, 500, 500, 250, 250, 250, 150, 0, 0]
		);
		assert_eq!(emitted_before(r0, h, max, 12), max);
		assert_eq!(emitted_before(r0, h, max, 1_000), max);
		for e in 0..20 {
			assert_eq!(
				emitted_before(r0, h, max, e + 1),
				emitted_before(r0, h, max, e) + reward(r0, h, max, e)
			);
		}
	}

	#[test]
	fn degenerate_parameters_do_not_panic() {
		assert_eq!(reward(1_000, 0, u128::MAX, 7), 1_000);
		assert_eq!(emitted_before(1_000, 0, u128::MAX, 7), 7_000);
		assert_eq!(reward(u128::MAX, 1, u128::MAX, 200), 0);
		assert_eq!(emitted_before(u128::MAX, 1, u128::MAX, u32::MAX), u128::MAX);
		assert_eq!(reward(0, 10, 100, 3), 0);
	}
}
