//! Migrations of the host registry's storage, one module per storage version.

/// Version 0 to 1: a host's capacity weight and whether it is proven, two fields apart in
/// version 0 (`capacity_weight: u64` after `reputation`, `capacity_proven: bool` after
/// `registered_at`), become one [`Capacity`](crate::Capacity) in the weight's place: a proven flag can no
/// longer disagree with where the weight came from.
///
/// Every host record is rewritten in the upgrade's block: at most [`Config::MaxHosts`](crate::Config::MaxHosts) reads
/// and writes, which the returned weight counts. A record that does not decode as version 0 is
/// kept as it is and reported, never dropped: its bond stays held and `try_state` names it.
pub mod v1 {
	// The migration is runtime code: held to the runtime's lint discipline.
	#![deny(
		clippy::arithmetic_side_effects,
		clippy::expect_used,
		clippy::indexing_slicing,
		clippy::unwrap_used
	)]

	use crate::{
		BalanceOf, Capacity, CapacityMeter, Config, Endpoint, Hardware, HostInfo, HostStatus,
		Hosts, Pallet, ServedModels,
	};
	use daya_primitives::ExecutorKind;
	use polkadot_sdk::{
		frame_support::{
			migrations::VersionedMigration, pallet_prelude::*, storage_alias,
			traits::UncheckedOnRuntimeUpgrade, Blake2_128Concat, CloneNoBound, DebugNoBound,
			EqNoBound, PartialEqNoBound,
		},
		frame_system::{self, pallet_prelude::BlockNumberFor},
		sp_runtime::Perbill,
	};
	#[cfg(feature = "try-runtime")]
	use {
		alloc::vec::Vec,
		polkadot_sdk::{frame_support::ensure, sp_runtime::TryRuntimeError},
	};

	/// A host record as storage version 0 keeps it.
	#[derive(Encode, Decode, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound)]
	pub struct HostInfoV0<T: Config> {
		/// As in version 1.
		pub endpoint: Endpoint<T>,
		/// As in version 1.
		pub hardware: Hardware<T>,
		/// As in version 1.
		pub served_models: ServedModels<T>,
		/// As in version 1.
		pub bond: BalanceOf<T>,
		/// As in version 1.
		pub status: HostStatus<BlockNumberFor<T>>,
		/// As in version 1.
		pub reputation: Perbill,
		/// The weight of [`HostInfo::capacity`].
		pub capacity_weight: u64,
		/// As in version 1.
		pub executor_kind: ExecutorKind,
		/// As in version 1.
		pub registered_at: BlockNumberFor<T>,
		/// Whether `capacity_weight` is proven: [`Capacity::Proven`] rather than
		/// [`Capacity::Declared`].
		pub capacity_proven: bool,
		/// As in version 1.
		pub meter: CapacityMeter<BlockNumberFor<T>>,
		/// As in version 1.
		pub missed_in_row: u32,
	}

	impl<T: Config> From<HostInfoV0<T>> for HostInfo<T> {
		fn from(old: HostInfoV0<T>) -> Self {
			let capacity = if old.capacity_proven {
				Capacity::Proven(old.capacity_weight)
			} else {
				Capacity::Declared(old.capacity_weight)
			};
			HostInfo {
				endpoint: old.endpoint,
				hardware: old.hardware,
				served_models: old.served_models,
				bond: old.bond,
				status: old.status,
				reputation: old.reputation,
				capacity,
				executor_kind: old.executor_kind,
				registered_at: old.registered_at,
				meter: old.meter,
				missed_in_row: old.missed_in_row,
			}
		}
	}

	impl<T: Config> From<HostInfo<T>> for HostInfoV0<T> {
		/// The record as version 0 kept it: for tests that start from the old layout.
		fn from(new: HostInfo<T>) -> Self {
			HostInfoV0 {
				endpoint: new.endpoint,
				hardware: new.hardware,
				served_models: new.served_models,
				bond: new.bond,
				status: new.status,
				reputation: new.reputation,
				capacity_weight: new.capacity.weight(),
				executor_kind: new.executor_kind,
				registered_at: new.registered_at,
				capacity_proven: new.capacity.is_proven(),
				meter: new.meter,
				missed_in_row: new.missed_in_row,
			}
		}
	}

	/// [`crate::Hosts`] as storage version 0 types it: same prefix, hasher and keys (an alias's
	/// name is the storage item's, hence the module).
	mod alias {
		use super::*;
		#[storage_alias]
		pub type Hosts<T: Config> = CountedStorageMap<
			Pallet<T>,
			Blake2_128Concat,
			<T as frame_system::Config>::AccountId,
			HostInfoV0<T>,
		>;
	}
	pub use alias::Hosts as OldHosts;

	/// Rewrites every host record in the version 1 layout, whatever the storage version says;
	/// [`MigrateToV1`] runs it only from version 0.
	pub struct UncheckedMigrateToV1<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for UncheckedMigrateToV1<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut records: u64 = 0;
			let mut undecodable: u64 = 0;
			// Keys first: the records are rewritten in place, never removed.
			for key in Hosts::<T>::iter_keys() {
				records = records.saturating_add(1);
				match OldHosts::<T>::get(&key) {
					Some(old) => Hosts::<T>::insert(&key, HostInfo::<T>::from(old)),
					None => undecodable = undecodable.saturating_add(1),
				}
			}
			if undecodable > 0 {
				log::error!(
					target: "runtime::compute",
					"hosts migration to v1: {undecodable} of {records} records do not decode as \
					 version 0 and are left as they are",
				);
			} else {
				log::info!(target: "runtime::compute", "hosts migration to v1: {records} records");
			}
			// Each key read while iterating, each record read, each record written.
			T::DbWeight::get().reads_writes(records.saturating_mul(2), records)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, TryRuntimeError> {
			let old: Vec<(T::AccountId, HostInfoV0<T>)> = OldHosts::<T>::iter().collect();
			ensure!(
				old.len() as u64 == u64::from(Hosts::<T>::count()),
				"a host record does not decode as version 0"
			);
			Ok(old.encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), TryRuntimeError> {
			let old: Vec<(T::AccountId, HostInfoV0<T>)> = Decode::decode(&mut &state[..])
				.map_err(|_| "the pre-upgrade state does not decode")?;
			ensure!(
				old.len() as u64 == u64::from(Hosts::<T>::count()),
				"the migration changed the number of hosts"
			);
			for (who, before) in old {
				let after = Hosts::<T>::get(&who).ok_or("a host is missing after the migration")?;
				ensure!(
					HostInfoV0::<T>::from(after.clone()) == before,
					"a host record changed in the migration"
				);
				ensure!(
					after.capacity.is_proven() == before.capacity_proven,
					"a host's proof changed in the migration"
				);
			}
			Pallet::<T>::do_try_state()
		}
	}

	/// [`UncheckedMigrateToV1`] from storage version 0, setting version 1.
	pub type MigrateToV1<T> = VersionedMigration<
		0,
		1,
		UncheckedMigrateToV1<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
