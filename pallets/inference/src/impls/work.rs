//! Who has a part in which open job: the per-host index ([`WorkOf`]) that the offchain workers
//! read, kept in step with every job record, and the draws that skip hosts at their bound.

#![deny(
	clippy::arithmetic_side_effects,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::unwrap_used
)]

use super::*;

/// Most hosts a draw picks, leaving out each one that has no room for another job
/// ([`Config::MaxOpenJobsPerHost`]), before it gives up for this block.
pub const MAX_BUSY_PICKS: u32 = 4;

/// What a draw of a host for a part in a job found.
pub(crate) enum Pick<AccountId> {
	/// A host with room for the job.
	Host(AccountId),
	/// No host can take the part at all.
	Nobody,
	/// Hosts can take it, but those picked have no room now: try again in a later block.
	Busy,
}

impl<T: Config> Pallet<T> {
	/// Whether `host` can take a part in one more open job.
	pub fn has_room(host: &T::AccountId) -> bool {
		WorkOf::<T>::decode_len(host).unwrap_or(0) < T::MaxOpenJobsPerHost::get() as usize
	}

	/// Draws a host with `pick` (a registry draw leaving out the accounts it is given), leaving
	/// out `exclude` and then, one after the other, the hosts picked that have no room, at most
	/// [`MAX_BUSY_PICKS`] times. `exclude` ends with the busy hosts left out; `picks` counts the
	/// registry draws made (what they read is charged by them).
	pub(crate) fn pick_with_room(
		exclude: &mut Vec<T::AccountId>,
		picks: &mut u32,
		pick: impl Fn(&[T::AccountId]) -> Option<T::AccountId>,
	) -> Pick<T::AccountId> {
		let mut busy = false;
		for _ in 0..MAX_BUSY_PICKS {
			*picks = picks.saturating_add(1);
			match pick(exclude) {
				Some(host) if Self::has_room(&host) => return Pick::Host(host),
				Some(host) => {
					busy = true;
					exclude.push(host);
				},
				None if busy => return Pick::Busy,
				None => return Pick::Nobody,
			}
		}
		Pick::Busy
	}

	/// Stores `job` and moves its entries in [`WorkOf`] from the hosts that had a part in it
	/// (`before`, [`Job::roles`] as it was read) to those that have one now.
	pub(crate) fn put_job(job_id: JobId, before: &[T::AccountId], job: Job<T>) {
		let after = job.roles();
		for who in before.iter().filter(|who| !after.contains(who)) {
			Self::unlist(who, job_id);
		}
		for who in after.iter().filter(|who| !before.contains(who)) {
			Self::list(who, job_id);
		}
		Jobs::<T>::insert(job_id, job);
	}

	/// Takes an ended job out of [`WorkOf`] for every host that had a part in it.
	pub(crate) fn unlist_all(job_id: JobId, job: &Job<T>) {
		for who in job.roles() {
			Self::unlist(&who, job_id);
		}
	}

	/// Adds `job_id` to `who`'s jobs. Hosts are drawn only with room ([`Self::pick_with_room`])
	/// in the same call that gives them the part, so the bound always holds.
	fn list(who: &T::AccountId, job_id: JobId) {
		let listed = WorkOf::<T>::try_mutate(who, |jobs| {
			jobs.get_or_insert_with(HostJobs::<T>::new).try_push(job_id)
		});
		if listed.is_err() {
			defensive!("a host was given a part in a job beyond its bound");
		}
	}

	/// Takes `job_id` out of `who`'s jobs.
	fn unlist(who: &T::AccountId, job_id: JobId) {
		WorkOf::<T>::mutate_exists(who, |jobs| {
			if let Some(list) = jobs {
				list.retain(|id| *id != job_id);
				if list.is_empty() {
					*jobs = None;
				}
			}
		});
	}
}
