//! Migrations of the job market's storage, one module per storage version.

/// Version 0 to 1: each host's open jobs are indexed in [`WorkOf`](crate::WorkOf), which
/// version 0 did not have (a host's offchain worker scanned every open job). The index is built
/// from the open jobs in the upgrade's block: at most [`Config::MaxOpenJobs`](crate::Config::MaxOpenJobs)
/// reads and one write per host with a part in one, which the returned weight counts. Job
/// records are unchanged.
///
/// Version 0 drew hosts whatever they held: a host with more parts than
/// [`Config::MaxOpenJobsPerHost`](crate::Config::MaxOpenJobsPerHost) keeps its oldest jobs
/// listed, and the others are reported; its offchain worker does not see them, so they time
/// out as a silent host's would.
pub mod v1 {
	// The migration is runtime code: held to the runtime's lint discipline.
	#![deny(
		clippy::arithmetic_side_effects,
		clippy::expect_used,
		clippy::indexing_slicing,
		clippy::unwrap_used
	)]

	use crate::{Config, HostJobs, Jobs, Pallet, WorkOf};
	use alloc::collections::btree_map::BTreeMap;
	use polkadot_sdk::{
		frame_support::{
			migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
		},
		frame_system,
	};
	#[cfg(feature = "try-runtime")]
	use {alloc::vec::Vec, polkadot_sdk::sp_runtime::TryRuntimeError};

	/// Builds [`WorkOf`] from the open jobs, whatever the storage version says; [`MigrateToV1`]
	/// runs it only from version 0.
	pub struct UncheckedMigrateToV1<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for UncheckedMigrateToV1<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut lists: BTreeMap<T::AccountId, HostJobs<T>> = BTreeMap::new();
			let (mut jobs, mut left_out) = (0u64, 0u64);
			// In the order of the map, not of the ids: each list is sorted after.
			for (id, job) in Jobs::<T>::iter() {
				jobs = jobs.saturating_add(1);
				for host in job.roles() {
					let list = lists.entry(host).or_default();
					if list.try_push(id).is_err() {
						left_out = left_out.saturating_add(1);
					}
				}
			}
			let hosts = lists.len() as u64;
			for (host, mut list) in lists {
				list.sort();
				WorkOf::<T>::insert(host, list);
			}
			if left_out > 0 {
				log::error!(
					target: "runtime::inference",
					"work index migration to v1: {left_out} parts in open jobs beyond their \
					 host's bound are not listed",
				);
			}
			log::info!(
				target: "runtime::inference",
				"work index migration to v1: {jobs} open jobs, {hosts} hosts",
			);
			// Each key and record read while iterating, each list written.
			T::DbWeight::get().reads_writes(jobs.saturating_mul(2), hosts)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, TryRuntimeError> {
			ensure!(WorkOf::<T>::iter().next().is_none(), "version 0 has no work index");
			Ok(Vec::new())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(_: Vec<u8>) -> Result<(), TryRuntimeError> {
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
