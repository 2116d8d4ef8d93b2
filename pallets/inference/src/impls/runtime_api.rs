//! The runtime API's answers.

#![deny(
	clippy::arithmetic_side_effects,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::unwrap_used
)]

use super::*;

impl<T: Config> Pallet<T> {
	/// The open job `id`, as the runtime API shows it.
	///
	/// At the block that sets this code, the records are still in storage version 0's layout
	/// (the migration runs in the next block): they are read as such, so that clients reading
	/// that block see the job too.
	pub fn api_job(id: JobId) -> Option<JobView<T::AccountId, BalanceOf<T>, BlockNumberFor<T>>> {
		use polkadot_sdk::frame_support::traits::GetStorageVersion;
		if Self::on_chain_storage_version() < 1 {
			return crate::migrations::v1::OldJobs::<T>::get(id).map(|old| old.upgrade().view());
		}
		Jobs::<T>::get(id).map(|job| job.view())
	}

	/// How job `id` ended, while its outcome is kept.
	pub fn api_outcome(id: JobId) -> Option<OutcomeOf<T>> {
		Outcomes::<T>::get(id)
	}

	/// The escrow a job would hold now.
	pub fn api_quote(
		model: ModelId,
		prompt_tokens: u32,
		max_output_tokens: u32,
	) -> Result<BalanceOf<T>, QuoteError> {
		Self::check_request(model, prompt_tokens, max_output_tokens).map(|(_, escrow)| escrow)
	}

	/// The open jobs of `consumer`, oldest first.
	pub fn api_jobs_of(consumer: T::AccountId) -> Vec<JobId> {
		JobsOf::<T>::get(consumer).map(|list| list.into_inner()).unwrap_or_default()
	}

	/// The open jobs in which `host` has something to do now.
	///
	/// Reads the host's own jobs ([`WorkOf`], at most [`Config::MaxOpenJobsPerHost`]), never
	/// the rest of the market: what it costs does not grow with the number of open jobs.
	pub fn api_work_of(host: T::AccountId) -> Vec<(JobId, WorkKind)> {
		let listed = WorkOf::<T>::get(&host).unwrap_or_default();
		let mut work = listed
			.into_iter()
			.filter_map(|id| Some((id, Jobs::<T>::get(id)?)))
			.filter_map(|(id, job)| {
				if matches!(job.status, JobStatus::Assigned) && job.executed_by(&host) {
					Some((id, WorkKind::Execute))
				} else if job.awaits_verdict_from(&host) {
					Some((id, WorkKind::Validate))
				} else {
					None
				}
			})
			.collect::<Vec<_>>();
		work.sort_by_key(|(id, _)| *id);
		work
	}
}
