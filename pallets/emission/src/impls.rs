//! The emission's logic: ending epochs, the distribution's phases, claims, the runtime API's
//! answers and the invariants.

#![deny(
	clippy::arithmetic_side_effects,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::unwrap_used
)]

use crate::{schedule, *};
use daya_primitives::{HostRegistry, WorkRecorder};
use polkadot_sdk::{
	frame_support::traits::{
		fungible::{Inspect, Mutate},
		tokens::Preservation,
	},
	sp_runtime::{
		helpers_128bit::multiply_by_rational_with_rounding,
		traits::{AccountIdConversion, SaturatedConversion, Saturating, Zero},
		Rounding,
	},
};

/// `amount * numerator / denominator`, rounded down; zero when the denominator is.
fn share(amount: u128, numerator: u128, denominator: u128) -> u128 {
	multiply_by_rational_with_rounding(amount, numerator, denominator, Rounding::Down).unwrap_or(0)
}

impl<T: Config> Pallet<T> {
	/// The account that holds minted rewards until they are claimed.
	pub fn account_id() -> T::AccountId {
		T::PalletId::get().into_account_truncating()
	}

	/// Blocks per epoch: the genesis override, or [`Config::DefaultEpochLength`].
	pub fn epoch_length() -> BlockNumberFor<T> {
		EpochLengthOverride::<T>::get().unwrap_or_else(T::DefaultEpochLength::get)
	}

	/// Whether a distribution over [`Config::MaxHosts`] hosts (four phases of
	/// [`Config::HostsPerBlock`] hosts per block, plus a block each to spare) finishes within an
	/// epoch of `length` blocks.
	pub fn distribution_fits(length: BlockNumberFor<T>) -> bool {
		let per_block = u64::from(T::HostsPerBlock::get()).max(1);
		let blocks = u64::from(T::MaxHosts::get())
			.div_ceil(per_block)
			.saturating_mul(4)
			.saturating_add(4);
		let length: u64 = length.try_into().unwrap_or(u64::MAX);
		blocks < length
	}

	/// What epoch `epoch` pays under the schedule.
	pub fn scheduled_reward(epoch: EpochIndex) -> BalanceOf<T> {
		schedule::reward(
			T::InitialEpochReward::get().saturated_into(),
			T::HalvingInterval::get(),
			T::MaxEmission::get().saturated_into(),
			epoch,
		)
		.saturated_into()
	}

	/// What the schedule emits before epoch `epoch`.
	pub fn scheduled_before(epoch: EpochIndex) -> BalanceOf<T> {
		schedule::emitted_before(
			T::InitialEpochReward::get().saturated_into(),
			T::HalvingInterval::get(),
			T::MaxEmission::get().saturated_into(),
			epoch,
		)
		.saturated_into()
	}

	/// The `on_initialize` hook.
	pub(crate) fn do_on_initialize(now: BlockNumberFor<T>) -> Weight {
		let mut weight = T::DbWeight::get().reads(2);
		let due = EpochStart::<T>::get().saturating_add(Self::epoch_length());
		if now >= due && !Distribution::<T>::exists() {
			Self::end_epoch(now);
			weight = weight.saturating_add(T::WeightInfo::end_epoch());
		}
		if Distribution::<T>::exists() {
			weight = weight.saturating_add(Self::advance(T::HostsPerBlock::get()));
		}
		weight
	}

	/// Mints the current epoch's reward, pays the treasury its share and opens the
	/// distribution of the rest.
	pub(crate) fn end_epoch(now: BlockNumberFor<T>) {
		let epoch = CurrentEpoch::<T>::get();
		let emitted = TotalEmitted::<T>::get();
		let reward =
			Self::scheduled_reward(epoch).min(T::MaxEmission::get().saturating_sub(emitted));
		let pot = Self::account_id();
		let treasury = T::TreasuryShare::get().mul_floor(reward);
		let rest = reward.saturating_sub(treasury);
		let capacity_pot = T::CapacityShare::get().mul_floor(rest);
		let work_pot = rest.saturating_sub(capacity_pot);
		// Into the pot, then the treasury's share out of it; if the pot cannot take it (a reward
		// below the existential deposit into an empty pot), all of it to the treasury.
		let (minted, treasury, capacity_pot, work_pot) = if reward.is_zero() {
			(reward, reward, reward, reward)
		} else if T::Currency::mint_into(&pot, reward).is_ok() {
			let paid = !treasury.is_zero()
				&& T::Currency::transfer(
					&pot,
					&T::Treasury::get(),
					treasury,
					Preservation::Expendable,
				)
				.is_ok();
			if paid {
				(reward, treasury, capacity_pot, work_pot)
			} else {
				// The treasury's share stays in the pot, with the work pot.
				(reward, Zero::zero(), capacity_pot, work_pot.saturating_add(treasury))
			}
		} else if T::Currency::mint_into(&T::Treasury::get(), reward).is_ok() {
			(reward, reward, Zero::zero(), Zero::zero())
		} else {
			(Zero::zero(), Zero::zero(), Zero::zero(), Zero::zero())
		};
		TotalEmitted::<T>::put(emitted.saturating_add(minted));
		CurrentEpoch::<T>::put(epoch.saturating_add(1));
		EpochStart::<T>::put(now);
		Distribution::<T>::put(DistributionState {
			epoch,
			capacity_pot,
			work_pot,
			total_capacity: 0,
			total_work: 0,
			total_counted: 0,
			credited: Zero::zero(),
			hosts: 0,
			phase: Phase::Snapshot { after: None },
		});
		Self::deposit_event(Event::EpochEnded { epoch, minted, treasury, capacity_pot, work_pot });
	}

	/// Advances the running distribution by at most `limit` hosts; returns what that cost.
	pub(crate) fn advance(limit: u32) -> Weight {
		let Some(mut state) = Distribution::<T>::get() else { return Weight::zero() };
		let weight = match state.phase.clone() {
			Phase::Snapshot { after } => {
				let page = T::Hosts::hosts_page(after.as_ref(), limit);
				let done = page.len() < limit as usize;
				let mut last = after;
				for (host, _) in page.iter() {
					last = Some(host.clone());
					// Every host's meter is read, so that the next epoch's reading starts now.
					let average = T::Hosts::take_average_capacity(host);
					let service = Service::<T>::get(state.epoch, host);
					let capacity = service.scale(average);
					if capacity == 0 || Snapshot::<T>::count() >= T::MaxHosts::get() {
						continue;
					}
					let work = service.work;
					Snapshot::<T>::insert(host, SnapshotEntry { capacity, work, counted: 0 });
					state.hosts = state.hosts.saturating_add(1);
					state.total_capacity =
						state.total_capacity.saturating_add(u128::from(capacity));
					state.total_work = state.total_work.saturating_add(work);
				}
				state.phase = if done {
					Phase::Count { after: None }
				} else {
					Phase::Snapshot { after: last }
				};
				T::WeightInfo::snapshot(page.len() as u32)
			},
			Phase::Count { after } => {
				let iter = match &after {
					Some(after) => Snapshot::<T>::iter_from(Snapshot::<T>::hashed_key_for(after)),
					None => Snapshot::<T>::iter(),
				};
				let page: alloc::vec::Vec<_> = iter.take(limit as usize).collect();
				let done = page.len() < limit as usize;
				let mut last = after;
				let factor = u128::from(T::CapacityCapFactor::get());
				for (host, mut entry) in page.iter().cloned() {
					// At most `factor` times its capacity share of all work.
					let cap = share(
						state.total_work.saturating_mul(factor),
						u128::from(entry.capacity),
						state.total_capacity,
					);
					entry.counted = entry.work.min(cap);
					state.total_counted = state.total_counted.saturating_add(entry.counted);
					Snapshot::<T>::insert(&host, entry);
					last = Some(host);
				}
				state.phase = if done { Phase::Pay } else { Phase::Count { after: last } };
				T::WeightInfo::count(page.len() as u32)
			},
			Phase::Pay => {
				let page: alloc::vec::Vec<_> =
					Snapshot::<T>::drain().take(limit as usize).collect();
				let done = page.len() < limit as usize;
				let capacity_pot: u128 = state.capacity_pot.saturated_into();
				let work_pot: u128 = state.work_pot.saturated_into();
				for (host, entry) in page.iter() {
					let reward =
						share(capacity_pot, u128::from(entry.capacity), state.total_capacity)
							// Its share of all work, capped: a host's work reward is at most
							// `factor` times its capacity share of the pot; what the cap holds back
							// goes to the treasury with the dust.
							.saturating_add(share(work_pot, entry.counted, state.total_work));
					let reward: BalanceOf<T> = reward.saturated_into();
					if !reward.is_zero() {
						Pending::<T>::mutate(host, |pending| {
							*pending = Some(pending.unwrap_or_default().saturating_add(reward))
						});
						state.credited = state.credited.saturating_add(reward);
					}
				}
				if done {
					state.phase = Phase::Clear;
				}
				T::WeightInfo::pay(page.len() as u32)
			},
			Phase::Clear => {
				let result = Service::<T>::clear_prefix(state.epoch, limit, None);
				if result.maybe_cursor.is_none() {
					Self::finish(state);
					return T::WeightInfo::clear(result.unique);
				}
				T::WeightInfo::clear(result.unique)
			},
		};
		Distribution::<T>::put(state);
		weight
	}

	/// Sends what the shares left over to the treasury and closes the distribution.
	fn finish(state: DistributionState<T>) {
		let dust = state.capacity_pot.saturating_add(state.work_pot).saturating_sub(state.credited);
		if !dust.is_zero()
			&& T::Currency::transfer(
				&Self::account_id(),
				&T::Treasury::get(),
				dust,
				Preservation::Expendable,
			)
			.is_err()
		{
			// Too little for a treasury account that does not exist: it stays claimable.
			Pending::<T>::mutate(T::Treasury::get(), |pending| {
				*pending = Some(pending.unwrap_or_default().saturating_add(dust))
			});
		}
		let hosts = state.hosts;
		Distribution::<T>::kill();
		Self::deposit_event(Event::EpochDistributed {
			epoch: state.epoch,
			credited: state.credited,
			dust,
			hosts,
		});
	}

	pub(crate) fn do_claim(who: T::AccountId) -> DispatchResult {
		let amount = Pending::<T>::get(&who).ok_or(Error::<T>::NothingToClaim)?;
		T::Currency::transfer(&Self::account_id(), &who, amount, Preservation::Expendable)
			.map_err(|_| Error::<T>::CannotReceive)?;
		Pending::<T>::remove(&who);
		Self::deposit_event(Event::RewardsClaimed { who, amount });
		Ok(())
	}

	/// The schedule as the runtime API shows it: epoch `epoch`'s reward.
	pub fn api_reward_at(epoch: EpochIndex) -> BalanceOf<T> {
		Self::scheduled_reward(epoch)
	}

	/// Minted so far, and what remains under the cap.
	pub fn api_emitted() -> (BalanceOf<T>, BalanceOf<T>) {
		let emitted = TotalEmitted::<T>::get();
		(emitted, T::MaxEmission::get().saturating_sub(emitted))
	}

	/// The current epoch and the block it started at.
	pub fn api_epoch() -> (EpochIndex, BlockNumberFor<T>) {
		(CurrentEpoch::<T>::get(), EpochStart::<T>::get())
	}

	/// What `who` did in the epoch accruing now.
	pub fn api_service(who: T::AccountId) -> daya_primitives::runtime_api::ServiceView {
		let epoch = CurrentEpoch::<T>::get();
		let record = Service::<T>::get(epoch, who);
		daya_primitives::runtime_api::ServiceView {
			epoch,
			work: record.work,
			delivered: record.delivered,
			missed: record.missed,
			unconfirmed: record.unconfirmed,
		}
	}

	/// `who`'s pending rewards.
	pub fn api_pending(who: T::AccountId) -> BalanceOf<T> {
		Pending::<T>::get(who).unwrap_or_default()
	}

	/// Checks the invariants listed in the crate docs.
	#[cfg(any(feature = "std", feature = "try-runtime"))]
	pub fn do_try_state() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
		let epoch = CurrentEpoch::<T>::get();
		let emitted = TotalEmitted::<T>::get();
		ensure!(emitted <= Self::scheduled_before(epoch), "more emitted than the schedule");
		ensure!(emitted <= T::MaxEmission::get(), "more emitted than MaxEmission");
		let pending = Pending::<T>::iter_values()
			.fold(BalanceOf::<T>::zero(), |sum, amount| sum.saturating_add(amount));
		let owed = match Distribution::<T>::get() {
			Some(state) => {
				ensure!(state.epoch < epoch, "a distribution of an epoch not ended");
				ensure!(
					state.credited <= state.capacity_pot.saturating_add(state.work_pot),
					"more credited than the pots"
				);
				state.capacity_pot.saturating_add(state.work_pot).saturating_sub(state.credited)
			},
			None => {
				ensure!(Snapshot::<T>::count() == 0, "a snapshot without a distribution");
				Zero::zero()
			},
		};
		ensure!(Snapshot::<T>::count() <= T::MaxHosts::get(), "more snapshot hosts than MaxHosts");
		let distributing = Distribution::<T>::get().map(|state| state.epoch);
		for (service_epoch, _, _) in Service::<T>::iter() {
			ensure!(
				service_epoch == epoch || Some(service_epoch) == distributing,
				"a service record of an epoch neither accruing nor being distributed"
			);
		}
		ensure!(
			T::Currency::balance(&Self::account_id()) == pending.saturating_add(owed),
			"the pot does not hold exactly the pending rewards and the undistributed pots"
		);
		Ok(())
	}
}

impl<T: Config> WorkRecorder<T::AccountId> for Pallet<T> {
	fn record_work(host: &T::AccountId, units: u128) {
		if units > 0 {
			Service::<T>::mutate(CurrentEpoch::<T>::get(), host, |record| {
				record.work = record.work.saturating_add(units)
			});
		}
	}

	fn record_delivered(host: &T::AccountId) {
		Service::<T>::mutate(CurrentEpoch::<T>::get(), host, |record| {
			record.delivered = record.delivered.saturating_add(1)
		});
	}

	fn record_missed(host: &T::AccountId) {
		Service::<T>::mutate(CurrentEpoch::<T>::get(), host, |record| {
			record.missed = record.missed.saturating_add(1)
		});
	}

	fn record_unconfirmed(host: &T::AccountId) {
		Service::<T>::mutate(CurrentEpoch::<T>::get(), host, |record| record.unconfirmed = true);
	}
}
