//! Migrations of the job market's storage, one module per storage version.

/// Version 0 to 1: each host's open jobs are indexed in [`WorkOf`](crate::WorkOf), which
/// version 0 did not have (a host's offchain worker scanned every open job), and the job record
/// is smaller (an open job's state under 512 bytes): its escrow follows from its terms rather
/// than being stored, it pins its model by the spec's version rather than the weights hash (the
/// validation policy, part of the same spec, is read from the registry while that version is
/// current), and a verdict keeps whether it found the result valid, the fault itself being in
/// its extrinsic and event.
///
/// Every open job is rewritten, and the index built, in the upgrade's block: at most
/// [`Config::MaxOpenJobs`](crate::Config::MaxOpenJobs) records read and written and one write
/// per host with a part in one, which the returned weight counts. A record that does not
/// decode as version 0 is left as it is and reported (`try_state` names it); its escrow stays
/// held.
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

	use crate::{
		BalanceOf, Config, Delivery, HostJobs, Job, JobStatus, Jobs, Pallet, Verdict, Verdicts,
		WorkOf,
	};
	use alloc::collections::btree_map::BTreeMap;
	use daya_primitives::{Fingerprint, JobParams, Judgement, ModelId, ModelRegistry};
	use polkadot_sdk::{
		frame_support::{
			migrations::VersionedMigration, pallet_prelude::*, storage_alias,
			traits::UncheckedOnRuntimeUpgrade, CloneNoBound, DebugNoBound, EqNoBound,
			PartialEqNoBound, Twox64Concat,
		},
		frame_system::{self, pallet_prelude::BlockNumberFor},
		sp_core::H256,
	};
	#[cfg(feature = "try-runtime")]
	use {alloc::vec::Vec, polkadot_sdk::sp_runtime::TryRuntimeError};

	/// A verdict as version 0 keeps it.
	#[derive(Encode, Decode, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound)]
	pub struct VerdictV0<T: Config> {
		/// As in version 1.
		pub validator: T::AccountId,
		/// What the validator found: version 1 keeps whether it is valid.
		pub judgement: Option<Judgement>,
	}

	/// A job's status as version 0 keeps it: as in version 1, but for its verdicts, and without
	/// [`JobStatus::Checking`].
	#[derive(Encode, Decode, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound)]
	pub enum JobStatusV0<T: Config> {
		/// As in version 1.
		#[codec(index = 0)]
		Assigned,
		/// As in version 1.
		#[codec(index = 1)]
		Delivered,
		/// As in version 1.
		#[codec(index = 2)]
		Validating {
			/// As in version 1.
			verdict: VerdictV0<T>,
		},
		/// As in version 1.
		#[codec(index = 3)]
		Disputed {
			/// As in version 1.
			accuser: T::AccountId,
			/// As in version 1.
			verdicts: BoundedVec<VerdictV0<T>, T::DisputeValidators>,
			/// As in version 1.
			round: u32,
			/// As in version 1.
			since: BlockNumberFor<T>,
		},
		/// As in version 1.
		#[codec(index = 4)]
		Unassigned {
			/// As in version 1.
			missed_by: Option<T::AccountId>,
		},
		/// As in version 1.
		#[codec(index = 5)]
		Accused {
			/// As in version 1.
			accuser: T::AccountId,
			/// As in version 1.
			round: u32,
			/// As in version 1.
			since: BlockNumberFor<T>,
		},
		/// As in version 1.
		#[codec(index = 6)]
		Probing {
			/// As in version 1.
			validator: T::AccountId,
			/// As in version 1.
			probe: Fingerprint,
		},
	}

	/// A job record as version 0 keeps it.
	#[derive(Encode, Decode, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound)]
	pub struct JobV0<T: Config> {
		/// As in version 1.
		pub consumer: T::AccountId,
		/// As in version 1.
		pub model: ModelId,
		/// As in version 1.
		pub payload_hash: H256,
		/// As in version 1.
		pub prompt_tokens: u32,
		/// As in version 1.
		pub max_output_tokens: u32,
		/// As in version 1.
		pub params: JobParams,
		/// As in version 1.
		pub price_per_token: BalanceOf<T>,
		/// The model's validation policy at submission: version 1 reads it from the registry.
		pub validation: daya_primitives::ValidationPolicy,
		/// The model's weights hash at submission: version 1 pins the spec's version.
		pub weights_hash: H256,
		/// As in version 1.
		pub sampling_key: H256,
		/// What is held: version 1 computes it ([`Job::escrow`]).
		pub escrow: BalanceOf<T>,
		/// As in version 1.
		pub submitted_at: BlockNumberFor<T>,
		/// As in version 1.
		pub executor: Option<T::AccountId>,
		/// As in version 1.
		pub reassigned: bool,
		/// As in version 1.
		pub cancel_requested: bool,
		/// As in version 1.
		pub deadline: BlockNumberFor<T>,
		/// As in version 1.
		pub delivery: Option<Delivery>,
		/// As in version 1.
		pub delivered_at: Option<BlockNumberFor<T>>,
		/// As in version 1.
		pub status: JobStatusV0<T>,
	}

	impl<T: Config> From<VerdictV0<T>> for Verdict<T> {
		fn from(old: VerdictV0<T>) -> Self {
			Verdict { validator: old.validator, vote: old.judgement.map(Into::into) }
		}
	}

	impl<T: Config> JobV0<T> {
		/// The record in version 1's layout. The version pinned is the model's current one if
		/// the job was bought for its weights, and otherwise one the model has left (the one
		/// before; versions only rise), so that the job is released as version 0 would have.
		pub fn upgrade(self) -> Job<T> {
			let current = T::Models::terms(self.model);
			let model_version = match current {
				Some(terms) if terms.weights_hash == self.weights_hash.0 => terms.version,
				Some(terms) => terms.version.saturating_sub(1),
				None => 0,
			};
			let status = match self.status {
				JobStatusV0::Assigned => JobStatus::Assigned,
				JobStatusV0::Delivered => JobStatus::Delivered,
				JobStatusV0::Validating { verdict } => {
					JobStatus::Validating { verdict: verdict.into() }
				},
				JobStatusV0::Disputed { accuser, verdicts, round, since } => JobStatus::Disputed {
					accuser,
					verdicts: Verdicts::<T>::truncate_from(
						verdicts.into_iter().map(Into::into).collect(),
					),
					round,
					since,
				},
				JobStatusV0::Unassigned { missed_by } => JobStatus::Unassigned { missed_by },
				JobStatusV0::Accused { accuser, round, since } => {
					JobStatus::Accused { accuser, round, since }
				},
				JobStatusV0::Probing { validator, probe } => {
					JobStatus::Probing { validator, probe }
				},
			};
			Job {
				consumer: self.consumer,
				model: self.model,
				payload_hash: self.payload_hash,
				prompt_tokens: self.prompt_tokens,
				max_output_tokens: self.max_output_tokens,
				params: self.params,
				price_per_token: self.price_per_token,
				model_version,
				sampling_key: self.sampling_key,
				submitted_at: self.submitted_at,
				executor: self.executor,
				reassigned: self.reassigned,
				cancel_requested: self.cancel_requested,
				deadline: self.deadline,
				delivery: self.delivery,
				delivered_at: self.delivered_at,
				status,
			}
		}
	}

	/// [`crate::Jobs`] as storage version 0 types it: same prefix, hasher and keys (an alias's
	/// name is the storage item's, hence the module).
	mod alias {
		use super::*;
		#[storage_alias]
		pub type Jobs<T: Config> =
			CountedStorageMap<Pallet<T>, Twox64Concat, daya_primitives::JobId, JobV0<T>>;
	}
	pub use alias::Jobs as OldJobs;

	/// Rewrites every open job in version 1's layout and builds [`WorkOf`] from them, whatever
	/// the storage version says; [`MigrateToV1`] runs it only from version 0.
	pub struct UncheckedMigrateToV1<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for UncheckedMigrateToV1<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut lists: BTreeMap<T::AccountId, HostJobs<T>> = BTreeMap::new();
			let (mut jobs, mut left_out, mut undecodable) = (0u64, 0u64, 0u64);
			// Keys first: the records are rewritten in place, never removed. In the order of
			// the map, not of the ids: each list is sorted after.
			for id in Jobs::<T>::iter_keys() {
				jobs = jobs.saturating_add(1);
				let Some(old) = OldJobs::<T>::get(id) else {
					undecodable = undecodable.saturating_add(1);
					continue;
				};
				let job = old.upgrade();
				for host in job.roles() {
					let list = lists.entry(host).or_default();
					if list.try_push(id).is_err() {
						left_out = left_out.saturating_add(1);
					}
				}
				Jobs::<T>::insert(id, job);
			}
			let hosts = lists.len() as u64;
			for (host, mut list) in lists {
				list.sort();
				WorkOf::<T>::insert(host, list);
			}
			if undecodable > 0 {
				log::error!(
					target: "runtime::inference",
					"job migration to v1: {undecodable} of {jobs} records do not decode as \
					 version 0 and are left as they are",
				);
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
			// Each key read while iterating, each record and model read, each record and list
			// written.
			T::DbWeight::get().reads_writes(jobs.saturating_mul(3), jobs.saturating_add(hosts))
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, TryRuntimeError> {
			ensure!(WorkOf::<T>::iter().next().is_none(), "version 0 has no work index");
			let old: Vec<(daya_primitives::JobId, JobV0<T>)> = OldJobs::<T>::iter().collect();
			ensure!(
				old.len() as u64 == u64::from(Jobs::<T>::count()),
				"a job record does not decode as version 0"
			);
			Ok(old.encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), TryRuntimeError> {
			let old: Vec<(daya_primitives::JobId, JobV0<T>)> = Decode::decode(&mut &state[..])
				.map_err(|_| "the pre-upgrade state does not decode")?;
			ensure!(
				old.len() as u64 == u64::from(Jobs::<T>::count()),
				"the migration changed the number of jobs"
			);
			for (id, before) in old {
				let after = Jobs::<T>::get(id).ok_or("a job is missing after the migration")?;
				ensure!(after.escrow() == before.escrow, "a job's escrow changed in the migration");
				ensure!(after == before.upgrade(), "a job record changed in the migration");
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
