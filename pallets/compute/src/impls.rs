//! The registry's logic: what each call does once its origin is checked, the validity rules, the
//! upkeep of the selection index, the read helpers and the `try_state` checks.

// The logic is held to the runtime's lint discipline; the FRAME macros in `lib.rs` are not.
#![deny(
	clippy::arithmetic_side_effects,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::unwrap_used
)]

use crate::{
	BalanceOf, Capacity, CapacityMeter, Config, Endpoint, Error, Event, Hardware, HoldReason,
	HostInfo, HostStatus, Hosts, HostsByModel, IndexedHost, ModelIndex, Pallet, ServedModels,
};
use alloc::vec::Vec;
use daya_primitives::{runtime_api::HostView, ExecutorKind, ModelId, ModelRegistry, ModelStatus};
use polkadot_sdk::{
	frame_support::{
		ensure,
		pallet_prelude::*,
		traits::{fungible::MutateHold, tokens::Precision},
	},
	frame_system::{self, pallet_prelude::BlockNumberFor},
	sp_runtime::{
		traits::{Saturating, Zero},
		SaturatedConversion,
	},
};

/// Whether `bytes` is printable ASCII without spaces, the alphabet of endpoints and GPU names.
fn is_printable(bytes: &[u8]) -> bool {
	bytes.iter().all(|byte| byte.is_ascii_graphic())
}

/// Whether `name` is a readable GPU name: printable ASCII, single inner spaces allowed (as in
/// `NVIDIA H100 80GB HBM3`), no leading or trailing space.
fn is_gpu_name(name: &[u8]) -> bool {
	!name.starts_with(b" ")
		&& !name.ends_with(b" ")
		&& !name.windows(2).any(|pair| pair == b"  ")
		&& name.iter().all(|byte| byte.is_ascii_graphic() || *byte == b' ')
}

/// Whether `models` names a model twice.
fn has_duplicates(models: &[ModelId]) -> bool {
	models
		.iter()
		.enumerate()
		.any(|(i, model)| models.iter().skip(i.saturating_add(1)).any(|m| m == model))
}

impl<T: Config> Pallet<T> {
	/// Registers `who` as an active host and holds its bond. See [`Pallet::register_host`].
	pub(crate) fn do_register_host(
		who: T::AccountId,
		endpoint: Endpoint<T>,
		hardware: Hardware<T>,
		served_models: ServedModels<T>,
		bond: BalanceOf<T>,
	) -> DispatchResult {
		ensure!(!Hosts::<T>::contains_key(&who), Error::<T>::AlreadyRegistered);
		ensure!(Hosts::<T>::count() < T::MaxHosts::get(), Error::<T>::TooManyHosts);
		Self::ensure_valid_endpoint(&endpoint)?;
		Self::ensure_valid_hardware(&hardware)?;
		Self::ensure_valid_models(&served_models, &[], &hardware)?;
		ensure!(bond >= T::MinHostBond::get(), Error::<T>::BondTooLow);
		let capacity = Self::capacity_for(&who, &hardware);
		let capacity_weight = capacity.weight();
		// Every check that can fail comes before the first write.
		let executor_kind = ExecutorKind::default();
		let indices = Self::indices_with(&who, capacity_weight, executor_kind, &served_models)?;
		T::Currency::hold(&HoldReason::HostBond.into(), &who, bond)
			.map_err(|_| Error::<T>::InsufficientBalance)?;

		Self::write_indices(indices);
		Hosts::<T>::insert(
			&who,
			HostInfo {
				endpoint,
				hardware,
				served_models,
				bond,
				status: HostStatus::Active,
				reputation: T::InitialReputation::get(),
				capacity,
				executor_kind,
				registered_at: frame_system::Pallet::<T>::block_number(),
				meter: CapacityMeter::start(frame_system::Pallet::<T>::block_number()),
				missed_in_row: 0,
			},
		);
		Self::deposit_event(Event::HostRegistered { host: who, bond, capacity_weight });
		Ok(())
	}

	/// Changes a host's endpoint, hardware or served models. See [`Pallet::update_host`].
	pub(crate) fn do_update_host(
		who: T::AccountId,
		endpoint: Option<Endpoint<T>>,
		hardware: Option<Hardware<T>>,
		served_models: Option<ServedModels<T>>,
	) -> DispatchResult {
		ensure!(
			endpoint.is_some() || hardware.is_some() || served_models.is_some(),
			Error::<T>::NothingToUpdate
		);
		let mut info = Self::host_not_leaving(&who)?;
		if let Some(endpoint) = &endpoint {
			Self::ensure_valid_endpoint(endpoint)?;
		}
		if let Some(hardware) = &hardware {
			Self::ensure_valid_hardware(hardware)?;
		}
		// Models are checked again only when they or the memory they need to fit in change: a
		// new endpoint alone never fails because a model's terms changed since.
		let models_change = hardware.is_some() || served_models.is_some();
		let new_hardware = hardware.unwrap_or_else(|| info.hardware.clone());
		let new_models = served_models.unwrap_or_else(|| info.served_models.clone());
		if models_change {
			Self::ensure_valid_models(&new_models, &info.served_models, &new_hardware)?;
		}
		let capacity = Self::capacity_for(&who, &new_hardware);
		let capacity_weight = capacity.weight();

		if info.is_active() {
			// Check the room in the new models' indices before the first write.
			let indices =
				Self::indices_with(&who, capacity_weight, info.executor_kind, &new_models)?;
			let dropped: Vec<ModelId> = info
				.served_models
				.iter()
				.copied()
				.filter(|model| !new_models.contains(model))
				.collect();
			Self::index_remove(&who, &dropped);
			Self::write_indices(indices);
		}
		if let Some(endpoint) = endpoint {
			info.endpoint = endpoint;
		}
		info.hardware = new_hardware;
		info.served_models = new_models;
		info.capacity = capacity;
		Self::put_host(&who, info);
		Self::deposit_event(Event::HostUpdated { host: who, capacity_weight });
		Ok(())
	}

	/// Declares what a host's executor can do. See [`Pallet::set_executor_kind`].
	pub(crate) fn do_set_executor_kind(who: T::AccountId, kind: ExecutorKind) -> DispatchResult {
		let mut info = Self::host_not_leaving(&who)?;
		ensure!(info.executor_kind != kind, Error::<T>::NothingToUpdate);
		if info.is_active() {
			// The host is in each index already: rewriting its entries needs no room.
			let indices =
				Self::indices_with(&who, info.capacity.weight(), kind, &info.served_models)?;
			Self::write_indices(indices);
		}
		info.executor_kind = kind;
		Self::put_host(&who, info);
		Self::deposit_event(Event::ExecutorKindSet { host: who, kind });
		Ok(())
	}

	/// Adds `amount` to a host's bond. See [`Pallet::bond_more`].
	pub(crate) fn do_bond_more(who: T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		let mut info = Self::host_not_leaving(&who)?;
		T::Currency::hold(&HoldReason::HostBond.into(), &who, amount)
			.map_err(|_| Error::<T>::InsufficientBalance)?;
		// The hold succeeded, so the new total is held and fits in a balance.
		info.bond = info.bond.saturating_add(amount);
		let bond = info.bond;
		Self::put_host(&who, info);
		// A proven weight counts only up to what the bond covers.
		Self::do_refresh_capacity(&who);
		Self::deposit_event(Event::BondIncreased { host: who, amount, bond });
		Ok(())
	}

	/// Starts a host's unbonding period. See [`Pallet::unbond`].
	pub(crate) fn do_unbond(who: T::AccountId) -> DispatchResult {
		let mut info = Self::host_not_leaving(&who)?;
		if info.is_active() {
			Self::index_remove(&who, &info.served_models);
		}
		let unlock_at =
			frame_system::Pallet::<T>::block_number().saturating_add(T::UnbondingPeriod::get());
		info.status = HostStatus::Leaving { unlock_at };
		Self::put_host(&who, info);
		Self::deposit_event(Event::UnbondingStarted { host: who, unlock_at });
		Ok(())
	}

	/// Releases a leaving host's bond and removes it. See [`Pallet::withdraw_unbonded`].
	pub(crate) fn do_withdraw_unbonded(who: T::AccountId) -> DispatchResult {
		let info = Hosts::<T>::get(&who).ok_or(Error::<T>::NotRegistered)?;
		let HostStatus::Leaving { unlock_at } = info.status else {
			return Err(Error::<T>::NotLeaving.into());
		};
		ensure!(frame_system::Pallet::<T>::block_number() >= unlock_at, Error::<T>::NotUnlocked);
		// Best effort: the hold equals the bond (an invariant), and a host must never be stuck.
		let released = T::Currency::release(
			&HoldReason::HostBond.into(),
			&who,
			info.bond,
			Precision::BestEffort,
		)?;
		Hosts::<T>::remove(&who);
		<T::ProvenCapacity as daya_primitives::ProvenCapacity<_>>::forget(&who);
		Self::deposit_event(Event::HostRemoved { host: who, released });
		Ok(())
	}

	/// Moves an active host to chilled. See [`Pallet::chill`].
	pub(crate) fn do_chill(who: T::AccountId) -> DispatchResult {
		let mut info = Hosts::<T>::get(&who).ok_or(Error::<T>::NotRegistered)?;
		ensure!(info.is_active(), Error::<T>::NotActive);
		Self::index_remove(&who, &info.served_models);
		info.status = HostStatus::Chilled;
		Self::put_host(&who, info);
		Self::deposit_event(Event::HostChilled { host: who });
		Ok(())
	}

	/// Moves a chilled host, or a jailed one whose time is over, to active. See
	/// [`Pallet::unchill`].
	pub(crate) fn do_unchill(who: T::AccountId) -> DispatchResult {
		let mut info = Hosts::<T>::get(&who).ok_or(Error::<T>::NotRegistered)?;
		match info.status {
			HostStatus::Active => return Err(Error::<T>::AlreadyActive.into()),
			HostStatus::Leaving { .. } => return Err(Error::<T>::HostLeaving.into()),
			HostStatus::Jailed { until } => {
				ensure!(frame_system::Pallet::<T>::block_number() >= until, Error::<T>::StillJailed)
			},
			HostStatus::Chilled => {},
		}
		ensure!(info.bond >= T::MinHostBond::get(), Error::<T>::BondTooLow);
		let indices = Self::indices_with(
			&who,
			info.capacity.weight(),
			info.executor_kind,
			&info.served_models,
		)?;
		Self::write_indices(indices);
		info.status = HostStatus::Active;
		info.missed_in_row = 0;
		Self::put_host(&who, info);
		Self::deposit_event(Event::HostUnchilled { host: who });
		Ok(())
	}

	/// Stores `info` as `who`'s record, first closing its meter on the effective weight it had
	/// until now: every change of a host record goes through here, so the meter never misses
	/// a change of weight or status.
	pub(crate) fn put_host(who: &T::AccountId, mut info: HostInfo<T>) {
		let now = frame_system::Pallet::<T>::block_number();
		if let Some(old) = Hosts::<T>::get(who) {
			info.meter =
				CapacityMeter { since: now, accrued: old.metered(now), read_at: old.meter.read_at };
		}
		Hosts::<T>::insert(who, info);
	}

	/// `who`'s average effective weight since its meter was last read, and a new reading. See
	/// [`daya_primitives::HostRegistry::take_average_capacity`].
	pub(crate) fn do_take_average_capacity(who: &T::AccountId) -> u64 {
		let Some(mut info) = Hosts::<T>::get(who) else { return 0 };
		let now = frame_system::Pallet::<T>::block_number();
		let blocks: u128 = now.saturating_sub(info.meter.read_at).saturated_into();
		let average = match info.metered(now).checked_div(blocks) {
			Some(average) => average.saturated_into(),
			// Read twice in one block: what it holds now.
			None => info.effective_weight(),
		};
		info.meter = CapacityMeter::start(now);
		Hosts::<T>::insert(who, info);
		average
	}

	/// The host `who`, unless it is not registered or is leaving.
	fn host_not_leaving(who: &T::AccountId) -> Result<HostInfo<T>, Error<T>> {
		let info = Hosts::<T>::get(who).ok_or(Error::<T>::NotRegistered)?;
		ensure!(!matches!(info.status, HostStatus::Leaving { .. }), Error::<T>::HostLeaving);
		Ok(info)
	}

	/// An endpoint is non-empty printable ASCII without spaces.
	pub(crate) fn ensure_valid_endpoint(endpoint: &[u8]) -> Result<(), Error<T>> {
		ensure!(!endpoint.is_empty() && is_printable(endpoint), Error::<T>::InvalidEndpoint);
		Ok(())
	}

	/// Hardware lists at least one kind of GPU, each with a non-empty printable name and
	/// non-zero memory and count.
	pub(crate) fn ensure_valid_hardware(hardware: &Hardware<T>) -> Result<(), Error<T>> {
		ensure!(!hardware.is_empty(), Error::<T>::EmptyHardware);
		let valid = hardware.iter().all(|gpu| {
			gpu.vram_mib > 0 && gpu.count > 0 && !gpu.name.is_empty() && is_gpu_name(&gpu.name)
		});
		ensure!(valid, Error::<T>::InvalidHardware);
		Ok(())
	}

	/// Served models are not empty and hold no duplicate; each exists, fits in the hardware's
	/// memory and, unless it is in `already_served`, is active.
	pub(crate) fn ensure_valid_models(
		models: &[ModelId],
		already_served: &[ModelId],
		hardware: &Hardware<T>,
	) -> Result<(), Error<T>> {
		ensure!(!models.is_empty(), Error::<T>::NoServedModels);
		ensure!(!has_duplicates(models), Error::<T>::DuplicateModel);
		let vram = Self::total_vram_mib(hardware);
		for model in models {
			let status = T::Models::status(*model).ok_or(Error::<T>::UnknownModel)?;
			ensure!(
				status == ModelStatus::Active || already_served.contains(model),
				Error::<T>::ModelNotActive
			);
			let min_vram = T::Models::terms(*model).map_or(0, |terms| terms.min_vram_mib);
			ensure!(vram >= u64::from(min_vram), Error::<T>::InsufficientVram);
		}
		Ok(())
	}

	/// The total accelerator memory of `hardware`, in MiB, saturating.
	pub(crate) fn total_vram_mib(hardware: &Hardware<T>) -> u64 {
		hardware.iter().fold(0u64, |total, gpu| {
			total.saturating_add(u64::from(gpu.vram_mib).saturating_mul(u64::from(gpu.count)))
		})
	}

	/// The provisional capacity weight of `hardware`: its total memory in MiB, capped at
	/// [`Config::MaxCapacityPerHost`] (see the crate docs).
	pub fn capacity_of(hardware: &Hardware<T>) -> u64 {
		Self::total_vram_mib(hardware).min(T::MaxCapacityPerHost::get())
	}

	/// The capacity weight of `who` with `hardware`: its proven capacity, or before anything can
	/// have been proven, the provisional [`Self::capacity_of`] its hardware.
	pub fn weight_for(who: &T::AccountId, hardware: &Hardware<T>) -> u64 {
		Self::capacity_for(who, hardware).weight()
	}

	/// [`Self::weight_for`], and whether it is proven.
	pub(crate) fn capacity_for(who: &T::AccountId, hardware: &Hardware<T>) -> Capacity {
		use daya_primitives::ProvenCapacity;
		match T::ProvenCapacity::proven_weight(who) {
			Some(weight) => Capacity::Proven(weight),
			None => Capacity::Declared(Self::capacity_of(hardware)),
		}
	}

	/// Sets a host's capacity weight again from [`Self::weight_for`]. See
	/// [`daya_primitives::HostRegistry::refresh_capacity`].
	pub(crate) fn do_refresh_capacity(who: &T::AccountId) {
		let Some(mut info) = Hosts::<T>::get(who) else { return };
		let capacity = Self::capacity_for(who, &info.hardware);
		if capacity == info.capacity {
			return;
		}
		let capacity_weight = capacity.weight();
		if info.is_active() {
			// The host is in each of its indices already: rewriting its entries needs no room.
			if let Ok(indices) =
				Self::indices_with(who, capacity_weight, info.executor_kind, &info.served_models)
			{
				Self::write_indices(indices);
			}
		}
		info.capacity = capacity;
		Self::put_host(who, info);
		Self::deposit_event(Event::CapacityWeightSet { host: who.clone(), capacity_weight });
	}

	/// The selection indices of `models` with `who` in each at `capacity_weight` and
	/// `executor_kind`, computed but not written; [`Error::TooManyHostsForModel`] if one has no
	/// room for `who`.
	pub(crate) fn indices_with(
		who: &T::AccountId,
		capacity_weight: u64,
		executor_kind: ExecutorKind,
		models: &[ModelId],
	) -> Result<Vec<(ModelId, ModelIndex<T>)>, Error<T>> {
		models
			.iter()
			.map(|&model| {
				let mut index = HostsByModel::<T>::get(model).unwrap_or_default();
				match index.iter_mut().find(|entry| entry.host == *who) {
					Some(entry) => {
						entry.capacity_weight = capacity_weight;
						entry.executor_kind = executor_kind;
					},
					None => index
						.try_push(IndexedHost { host: who.clone(), capacity_weight, executor_kind })
						.map_err(|_| Error::<T>::TooManyHostsForModel)?,
				}
				Ok((model, index))
			})
			.collect()
	}

	/// Writes indices computed by [`Self::indices_with`].
	pub(crate) fn write_indices(indices: Vec<(ModelId, ModelIndex<T>)>) {
		for (model, index) in indices {
			HostsByModel::<T>::insert(model, index);
		}
	}

	/// Removes `who` from the selection indices of `models`, and removes indices left empty.
	pub(crate) fn index_remove(who: &T::AccountId, models: &[ModelId]) {
		for model in models {
			HostsByModel::<T>::mutate_exists(model, |maybe_index| {
				if let Some(index) = maybe_index {
					index.retain(|entry| entry.host != *who);
					if index.is_empty() {
						*maybe_index = None;
					}
				}
			});
		}
	}

	/// The host `who`, whatever its status.
	pub fn host(who: &T::AccountId) -> Option<HostInfo<T>> {
		Hosts::<T>::get(who)
	}

	/// The active hosts that serve `model`, in index order; at most
	/// [`Config::MaxHostsPerModel`] entries.
	pub fn hosts_by_model(model: ModelId) -> Vec<T::AccountId> {
		HostsByModel::<T>::get(model)
			.map(|index| index.into_iter().map(|entry| entry.host).collect())
			.unwrap_or_default()
	}

	/// The host `who`, whatever its status, as
	/// [`HostsApi::host`](daya_primitives::runtime_api::HostsApi::host) returns it.
	pub fn api_host(who: T::AccountId) -> Option<HostView<BalanceOf<T>, BlockNumberFor<T>>> {
		Hosts::<T>::get(&who).map(|info| info.view())
	}

	/// The active hosts that serve `model`, in index order, as
	/// [`HostsApi::hosts_by_model`](daya_primitives::runtime_api::HostsApi::hosts_by_model)
	/// returns them.
	pub fn api_hosts_by_model(model: ModelId) -> Vec<T::AccountId> {
		Self::hosts_by_model(model)
	}

	/// Checks the invariants listed in the crate docs (also for other crates' tests that run
	/// this pallet).
	#[cfg(any(test, feature = "try-runtime", feature = "std"))]
	pub fn do_try_state() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
		use polkadot_sdk::frame_support::traits::fungible::InspectHold;

		let now = frame_system::Pallet::<T>::block_number();
		let mut hosts: u32 = 0;
		for (who, info) in Hosts::<T>::iter() {
			hosts = hosts.checked_add(1).ok_or("number of hosts overflows")?;
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::HostBond.into(), &who) == info.bond,
				"a host's held bond differs from its recorded bond"
			);
			Self::ensure_valid_endpoint(&info.endpoint)
				.map_err(|_| "a host's endpoint is invalid")?;
			Self::ensure_valid_hardware(&info.hardware)
				.map_err(|_| "a host's hardware is invalid")?;
			// Before anything can have been proven, the capacity weight follows from the
			// hardware; after, proof of compute checks it against the proven capacity once a
			// window's weights are applied.
			ensure!(
				<T::ProvenCapacity as daya_primitives::ProvenCapacity<_>>::proven_weight(&who)
					.is_some() || info.capacity
					== Capacity::Declared(Self::capacity_of(&info.hardware)),
				"a host's capacity weight does not follow from its hardware"
			);
			ensure!(!info.served_models.is_empty(), "a host serves no model");
			ensure!(!has_duplicates(&info.served_models), "a host serves a model twice");
			ensure!(info.registered_at <= now, "a host registered in the future");
			ensure!(
				!info.capacity.is_proven()
					|| <T::ProvenCapacity as daya_primitives::ProvenCapacity<_>>::proven_weight(
						&who
					)
					.is_some(),
				"a host's weight is marked proven before anything was"
			);
			ensure!(
				info.meter.read_at <= info.meter.since && info.meter.since <= now,
				"a host's capacity meter runs ahead of the chain"
			);
			ensure!(
				!info.is_active() || info.missed_in_row < T::ChillAfterMisses::get(),
				"an active host missed enough duties in a row to be chilled"
			);
			for model in &info.served_models {
				ensure!(T::Models::status(*model).is_some(), "a host serves an unknown model");
				let index = HostsByModel::<T>::get(model).unwrap_or_default();
				let mut entries = index.iter().filter(|entry| entry.host == who);
				if info.is_active() {
					ensure!(
						entries.next().map(|entry| (entry.capacity_weight, entry.executor_kind))
							== Some((info.capacity.weight(), info.executor_kind)),
						"an active host is missing from an index, or with a stale weight or kind"
					);
					ensure!(entries.next().is_none(), "a host is in an index twice");
				} else {
					ensure!(entries.next().is_none(), "an inactive host is in an index");
				}
			}
		}
		ensure!(hosts == Hosts::<T>::count(), "the host counter is off");
		ensure!(hosts <= T::MaxHosts::get(), "more hosts than MaxHosts");

		for (model, index) in HostsByModel::<T>::iter() {
			ensure!(!index.is_empty(), "an index is empty");
			for entry in index {
				let info = Hosts::<T>::get(&entry.host).ok_or("an index names an unknown host")?;
				ensure!(info.is_active(), "an index names an inactive host");
				ensure!(
					info.served_models.contains(&model),
					"an index names a host that does not serve its model"
				);
			}
		}
		Ok(())
	}
}
