//! The [`HostRegistry`] implementation: what other pallets read about hosts, and how they report
//! work, slash and jail.

// The logic is held to the runtime's lint discipline; the FRAME macros in `lib.rs` are not.
#![deny(
	clippy::arithmetic_side_effects,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::unwrap_used
)]

use crate::{BalanceOf, Config, Event, HoldReason, HostStatus, Hosts, Pallet};
use daya_primitives::{Duty, ExecutorKind, HostRegistry, ModelId};
use polkadot_sdk::{
	frame_support::{
		defensive,
		traits::{
			fungible::MutateHold,
			tokens::{Fortitude, Precision, Restriction},
			Get,
		},
	},
	frame_system::{self, pallet_prelude::BlockNumberFor},
	sp_runtime::{
		traits::{Saturating, Zero},
		Perbill,
	},
};

impl<T: Config> Pallet<T> {
	/// Slashes `fraction` of a host's bond. See [`HostRegistry::slash`].
	pub(crate) fn do_slash(
		who: &T::AccountId,
		fraction: Perbill,
		beneficiary: Option<&T::AccountId>,
	) -> BalanceOf<T> {
		let Some(mut info) = Hosts::<T>::get(who) else { return Zero::zero() };
		let amount = fraction.mul_floor(info.bond);
		if amount.is_zero() {
			return Zero::zero();
		}
		let reason = HoldReason::HostBond.into();
		// To the beneficiary if it can receive the amount (`transfer_on_hold` changes nothing
		// when it fails), burned otherwise.
		let transferred = beneficiary.and_then(|dest| {
			T::Currency::transfer_on_hold(
				&reason,
				who,
				dest,
				amount,
				Precision::BestEffort,
				Restriction::Free,
				Fortitude::Force,
			)
			.ok()
			.map(|slashed| (slashed, Some(dest.clone())))
		});
		let (slashed, beneficiary) = match transferred {
			Some(done) => done,
			None => match T::Currency::burn_held(
				&reason,
				who,
				amount,
				Precision::BestEffort,
				Fortitude::Force,
			) {
				Ok(burned) => (burned, None),
				Err(_) => {
					defensive!("burning part of a held bond, best effort and forced, cannot fail");
					return Zero::zero();
				},
			},
		};
		if slashed.is_zero() {
			return slashed;
		}
		info.bond = info.bond.saturating_sub(slashed);
		Self::deposit_event(Event::HostSlashed { host: who.clone(), amount: slashed, beneficiary });
		if info.is_active() && info.bond < T::MinHostBond::get() {
			Self::index_remove(who, &info.served_models);
			info.status = HostStatus::Chilled;
			Self::deposit_event(Event::HostChilled { host: who.clone() });
		}
		Self::put_host(who, info);
		// A proven weight counts only up to what the bond covers.
		Self::do_refresh_capacity(who);
		slashed
	}

	/// Jails a host for `blocks` blocks. See [`HostRegistry::jail`].
	pub(crate) fn do_jail(who: &T::AccountId, blocks: BlockNumberFor<T>) {
		let Some(mut info) = Hosts::<T>::get(who) else { return };
		let mut until = frame_system::Pallet::<T>::block_number().saturating_add(blocks);
		match info.status {
			HostStatus::Leaving { .. } => return,
			HostStatus::Active => Self::index_remove(who, &info.served_models),
			HostStatus::Jailed { until: current } => until = until.max(current),
			HostStatus::Chilled => {},
		}
		info.status = HostStatus::Jailed { until };
		Self::put_host(who, info);
		Self::deposit_event(Event::HostJailed { host: who.clone(), until });
	}

	/// Records a success or a miss of `who`: changes its reputation, counts its misses in a
	/// row, and chills it at [`Config::ChillAfterMisses`]; nothing if `who` is not a host.
	fn record_duty(who: &T::AccountId, success: bool) {
		let Some(mut info) = Hosts::<T>::get(who) else { return };
		if success {
			info.reputation = info.reputation.saturating_add(T::ReputationGain::get());
			info.missed_in_row = 0;
		} else {
			info.reputation = info.reputation.saturating_sub(T::ReputationLoss::get());
			info.missed_in_row = info.missed_in_row.saturating_add(1);
			if info.is_active() && info.missed_in_row >= T::ChillAfterMisses::get() {
				// Out of selection until its operator acts (`unchill`).
				Self::index_remove(who, &info.served_models);
				info.status = HostStatus::Chilled;
				Self::deposit_event(Event::HostChilledForMisses {
					host: who.clone(),
					misses: info.missed_in_row,
				});
			}
		}
		Self::put_host(who, info);
	}
}

impl<T: Config> HostRegistry<T::AccountId, BalanceOf<T>, BlockNumberFor<T>> for Pallet<T> {
	fn is_active(who: &T::AccountId) -> bool {
		Hosts::<T>::get(who).is_some_and(|info| info.is_active())
	}

	fn serves(who: &T::AccountId, model: ModelId) -> bool {
		Hosts::<T>::get(who).is_some_and(|info| info.served_models.contains(&model))
	}

	fn capacity_weight(who: &T::AccountId) -> u64 {
		Hosts::<T>::get(who).map_or(0, |info| info.capacity.weight())
	}

	fn reputation(who: &T::AccountId) -> Option<Perbill> {
		Hosts::<T>::get(who).map(|info| info.reputation)
	}

	fn record_success(who: &T::AccountId) {
		Self::record_duty(who, true)
	}

	fn record_miss(who: &T::AccountId) {
		Self::record_duty(who, false)
	}

	fn forfeit_reputation(who: &T::AccountId) {
		let Some(mut info) = Hosts::<T>::get(who) else { return };
		info.reputation = Perbill::zero();
		Self::put_host(who, info);
	}

	fn take_average_capacity(who: &T::AccountId) -> u64 {
		Self::do_take_average_capacity(who)
	}

	fn slash(
		who: &T::AccountId,
		fraction: Perbill,
		beneficiary: Option<&T::AccountId>,
	) -> BalanceOf<T> {
		Self::do_slash(who, fraction, beneficiary)
	}

	fn jail(who: &T::AccountId, blocks: BlockNumberFor<T>) {
		Self::do_jail(who, blocks)
	}

	fn executor_kind(who: &T::AccountId) -> Option<ExecutorKind> {
		Hosts::<T>::get(who).map(|info| info.executor_kind)
	}

	fn bond(who: &T::AccountId) -> BalanceOf<T> {
		Hosts::<T>::get(who).map_or_else(Zero::zero, |info| info.bond)
	}

	fn select_checker(
		model: ModelId,
		exclude: &[T::AccountId],
		seed: [u8; 32],
	) -> Option<T::AccountId> {
		Self::do_select_checker(model, exclude, seed)
	}

	fn refresh_capacity(who: &T::AccountId) {
		Self::do_refresh_capacity(who)
	}

	fn served_models(who: &T::AccountId) -> alloc::vec::Vec<ModelId> {
		Hosts::<T>::get(who)
			.map(|info| info.served_models.into_inner())
			.unwrap_or_default()
	}

	fn select_host(
		model: ModelId,
		duty: Duty,
		exclude: &[T::AccountId],
		seed: [u8; 32],
		min_bond: BalanceOf<T>,
	) -> Option<T::AccountId> {
		Self::do_select_host(model, duty, exclude, seed, min_bond)
	}

	fn hosts_page(
		after: Option<&T::AccountId>,
		limit: u32,
	) -> alloc::vec::Vec<(T::AccountId, u64)> {
		let iter = match after {
			Some(after) => Hosts::<T>::iter_from(Hosts::<T>::hashed_key_for(after)),
			None => Hosts::<T>::iter(),
		};
		iter.take(limit as usize)
			.map(|(who, info)| {
				let weight = if info.is_active() { info.capacity.weight() } else { 0 };
				(who, weight)
			})
			.collect()
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn prove_benchmark_capacity(who: &T::AccountId) {
		if let Some(mut info) = Hosts::<T>::get(who) {
			info.capacity = crate::Capacity::Proven(info.capacity.weight());
			Self::put_host(who, info);
		}
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn register_benchmark_host(
		who: &T::AccountId,
		model: ModelId,
	) -> Result<(), polkadot_sdk::sp_runtime::DispatchError> {
		use crate::types::bench;
		use polkadot_sdk::frame_support::traits::fungible::{Inspect, Mutate};
		let bond = T::MinHostBond::get();
		T::Currency::set_balance(
			who,
			bond.saturating_mul(2u32.into()).saturating_add(T::Currency::minimum_balance()),
		);
		let models = alloc::vec![model].try_into().map_err(|_| "MaxServedModels is zero")?;
		Self::do_register_host(
			who.clone(),
			bench::endpoint::<T>(),
			bench::hardware::<T>(),
			models,
			bond,
		)
	}
}
