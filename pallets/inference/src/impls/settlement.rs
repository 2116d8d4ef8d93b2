//! Settlement: splitting an escrow into pay, protocol fee and refund; ending a job and
//! recording its outcome.

#![deny(
	clippy::arithmetic_side_effects,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::unwrap_used
)]

use super::*;

impl<T: Config> Pallet<T> {
	/// Pays the executor for a delivered job (less the protocol fee), refunds the rest of the
	/// escrow, and ends the job as `end`.
	pub(crate) fn settle(job_id: JobId, job: Job<T>, end: JobEnd) {
		let usage = job.delivery.map(|d| d.usage).unwrap_or_default();
		let fee = job
			.price_per_token
			.saturating_mul(BalanceOf::<T>::from(usage.total()))
			.min(job.escrow);
		let protocol_fee = T::ProtocolFee::get().mul_floor(fee);
		let executor_fee = fee.saturating_sub(protocol_fee);
		let reason = HoldReason::JobEscrow.into();
		let pay = |to: Option<&T::AccountId>, amount: BalanceOf<T>| -> BalanceOf<T> {
			let Some(to) = to else { return Zero::zero() };
			if amount.is_zero() {
				return amount;
			}
			T::Currency::transfer_on_hold(
				&reason,
				&job.consumer,
				to,
				amount,
				Precision::Exact,
				Restriction::Free,
				Fortitude::Force,
			)
			.unwrap_or_else(|_| Zero::zero())
		};
		// A delivered job always has its executor; without one, nothing is paid and all of the
		// escrow returns to the consumer.
		let executor_paid = pay(job.executor.as_ref(), executor_fee);
		let treasury_paid = if job.executor.is_some() {
			pay(Some(&T::Treasury::get()), protocol_fee)
		} else {
			Zero::zero()
		};
		let fee = executor_paid.saturating_add(treasury_paid);
		let refund = job.escrow.saturating_sub(fee);
		if let Some(executor) = &job.executor {
			T::Hosts::record_success(executor);
			T::Work::record_delivered(executor);
			let units_per_token =
				T::Models::terms(job.model).map_or(0, |t| t.compute_units_per_token);
			T::Work::record_work(
				executor,
				u128::from(usage.work_tokens()).saturating_mul(u128::from(units_per_token)),
			);
		}
		Self::end_job(job_id, job, end, fee, treasury_paid, refund, usage);
	}

	/// Whether the model left the version `job` was bought for (a governance update changed
	/// its weights, or it left the registry): its hosts no longer run that version.
	pub(crate) fn version_moved(job: &Job<T>) -> bool {
		T::Models::terms(job.model).is_none_or(|terms| terms.weights_hash != job.weights_hash.0)
	}

	/// Ends a job whose model moved to another version before it could finish: refunded in
	/// full, nobody penalized ([`JobEnd::Released`]).
	pub(crate) fn release(job_id: JobId, job: Job<T>) {
		Self::deposit_event(Event::JobReleased { job_id, weights_hash: job.weights_hash });
		Self::refund(job_id, job, JobEnd::Released);
	}

	/// Refunds a job's whole escrow and ends it as `end`.
	pub(crate) fn refund(job_id: JobId, job: Job<T>, end: JobEnd) {
		let refund = job.escrow;
		let usage = job.delivery.map(|d| d.usage).unwrap_or_default();
		Self::end_job(job_id, job, end, Zero::zero(), Zero::zero(), refund, usage);
	}

	/// Releases `refund` to the consumer, removes the job from state and records its outcome.
	pub(crate) fn end_job(
		job_id: JobId,
		job: Job<T>,
		end: JobEnd,
		fee: BalanceOf<T>,
		protocol_fee: BalanceOf<T>,
		refund: BalanceOf<T>,
		usage: Usage,
	) {
		if !job.status.awaits_draw() {
			Self::unschedule(job_id, job.deadline);
		}
		if !refund.is_zero() {
			// The hold is at least this job's escrow (an invariant), so this releases in full.
			let _ = T::Currency::release(
				&HoldReason::JobEscrow.into(),
				&job.consumer,
				refund,
				Precision::BestEffort,
			);
		}
		Jobs::<T>::remove(job_id);
		JobsOf::<T>::mutate_exists(&job.consumer, |open| {
			if let Some(list) = open {
				list.retain(|id| *id != job_id);
				if list.is_empty() {
					*open = None;
				}
			}
		});
		let now = frame_system::Pallet::<T>::block_number();
		let outcome = JobOutcome {
			consumer: job.consumer,
			executor: job.executor,
			model: job.model,
			end,
			output_hash: job.delivery.map(|d| d.output_hash.0),
			usage: job.delivery.map(|_| usage),
			fee,
			protocol_fee,
			refund,
			ended_at: now,
			submitted_at: job.submitted_at,
			delivered_at: job.delivered_at,
			disputed: matches!(job.status, JobStatus::Disputed { .. } | JobStatus::Accused { .. }),
		};
		Self::record_outcome(job_id, outcome);
		Self::deposit_event(Event::JobEnded { job_id, end, fee, protocol_fee, refund });
	}

	/// Removes an ended job's outcome, and its payload and output from the offchain index:
	/// no worker needs them any more (the job ended a retention period ago, long final), and
	/// the output stays in the body of its delivery block.
	pub(crate) fn forget_outcome(job_id: JobId) {
		Outcomes::<T>::remove(job_id);
		offchain_index::clear(&payload_key(job_id));
		offchain_index::clear(&output_key(job_id));
	}

	/// Adds an outcome to the index, evicting the oldest when it is full.
	pub(crate) fn record_outcome(job_id: JobId, outcome: OutcomeOf<T>) {
		let head = OutcomeHead::<T>::get();
		let tail = OutcomeTail::<T>::get();
		if tail.saturating_sub(head) >= u64::from(T::MaxOutcomes::get()) {
			if let Some(oldest) = OutcomeQueue::<T>::take(head) {
				Self::forget_outcome(oldest);
			}
			OutcomeHead::<T>::put(head.saturating_add(1));
		}
		Outcomes::<T>::insert(job_id, outcome);
		OutcomeQueue::<T>::insert(tail, job_id);
		OutcomeTail::<T>::put(tail.saturating_add(1));
	}
}
