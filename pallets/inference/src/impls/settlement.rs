//! Settlement: splitting an escrow into pay, protocol fee and refund; ending a job and
//! recording its outcome.

#![deny(
	clippy::arithmetic_side_effects,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::unwrap_used
)]

use super::*;

/// How a job's escrow was split when it ended.
#[derive(Default)]
pub(crate) struct Split<Balance> {
	/// Everything paid out of the escrow: to the executor, the treasury and the validators.
	pub fee: Balance,
	/// The treasury's part of `fee`.
	pub protocol_fee: Balance,
	/// The validators' part of `fee`.
	pub validation_fee: Balance,
	/// What returned to the consumer.
	pub refund: Balance,
}

impl<T: Config> Pallet<T> {
	/// What the consumer owes for `job`'s delivery: its usage at its price, at most its
	/// escrow; zero before a delivery.
	pub(crate) fn fee_of(job: &Job<T>) -> BalanceOf<T> {
		let usage = job.delivery.map(|d| d.usage).unwrap_or_default();
		job.price_per_token
			.saturating_mul(BalanceOf::<T>::from(usage.total()))
			.min(job.escrow())
	}

	/// What checking `job`'s result pays: [`Config::ValidatorPay`] of its fee.
	pub fn validator_pay(job: &Job<T>) -> BalanceOf<T> {
		T::ValidatorPay::get().mul_floor(Self::fee_of(job))
	}

	/// Pays the executor for a delivered job (less the protocol fee), pays `checkers` (the
	/// validators whose verdict the job's end confirmed) [`Self::validator_pay`] in equal
	/// parts out of the protocol fee, the rest of which goes to the treasury, refunds the rest
	/// of the escrow, and ends the job as `end`.
	pub(crate) fn settle(job_id: JobId, job: Job<T>, end: JobEnd, checkers: &[T::AccountId]) {
		// A delivered job always has its executor; without one, nothing is paid and all of the
		// escrow returns to the consumer.
		let Some(executor) = job.executor.clone() else {
			Self::refund(job_id, job, end);
			return;
		};
		let usage = job.delivery.map(|d| d.usage).unwrap_or_default();
		let fee = Self::fee_of(&job);
		let protocol_fee = T::ProtocolFee::get().mul_floor(fee);
		let executor_fee = fee.saturating_sub(protocol_fee);
		let validation_fee = if checkers.is_empty() {
			Zero::zero()
		} else {
			Self::validator_pay(&job).min(protocol_fee)
		};
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
		let executor_paid = pay(Some(&executor), executor_fee);
		// Equal parts, the first checker taking the remainder.
		let count = u32::try_from(checkers.len()).unwrap_or(u32::MAX).max(1);
		let part = validation_fee.checked_div(&BalanceOf::<T>::from(count)).unwrap_or_default();
		let mut validators_paid = BalanceOf::<T>::zero();
		for (index, checker) in checkers.iter().enumerate() {
			let amount = if index == 0 {
				validation_fee.saturating_sub(
					part.saturating_mul(BalanceOf::<T>::from(count.saturating_sub(1))),
				)
			} else {
				part
			};
			validators_paid = validators_paid.saturating_add(pay(Some(checker), amount));
		}
		let treasury_paid =
			pay(Some(&T::Treasury::get()), protocol_fee.saturating_sub(validators_paid));
		let fee = executor_paid.saturating_add(treasury_paid).saturating_add(validators_paid);
		let refund = job.escrow().saturating_sub(fee);
		T::Hosts::record_success(&executor);
		T::Work::record_delivered(&executor);
		let units_per_token = T::Models::terms(job.model).map_or(0, |t| t.compute_units_per_token);
		T::Work::record_work(
			&executor,
			u128::from(usage.work_tokens()).saturating_mul(u128::from(units_per_token)),
		);
		let split =
			Split { fee, protocol_fee: treasury_paid, validation_fee: validators_paid, refund };
		Self::end_job(job_id, job, end, split, usage);
	}

	/// Whether the model left the version `job` was bought for (a governance update changed
	/// its weights, or it left the registry): its hosts no longer run that version.
	pub(crate) fn version_moved(job: &Job<T>) -> bool {
		T::Models::terms(job.model).is_none_or(|terms| terms.version != job.model_version)
	}

	/// Ends a job whose model moved to another version before it could finish: refunded in
	/// full, nobody penalized ([`JobEnd::Released`]).
	pub(crate) fn release(job_id: JobId, job: Job<T>) {
		Self::deposit_event(Event::JobReleased { job_id, version: job.model_version });
		Self::refund(job_id, job, JobEnd::Released);
	}

	/// Refunds a job's whole escrow and ends it as `end`.
	pub(crate) fn refund(job_id: JobId, job: Job<T>, end: JobEnd) {
		let split = Split { refund: job.escrow(), ..Split::default() };
		let usage = job.delivery.map(|d| d.usage).unwrap_or_default();
		Self::end_job(job_id, job, end, split, usage);
	}

	/// Releases the split's refund to the consumer, removes the job from state and records
	/// its outcome.
	pub(crate) fn end_job(
		job_id: JobId,
		job: Job<T>,
		end: JobEnd,
		split: Split<BalanceOf<T>>,
		usage: Usage,
	) {
		let Split { fee, protocol_fee, validation_fee, refund } = split;
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
		Self::unlist_all(job_id, &job);
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
			validation_fee,
			refund,
			ended_at: now,
			submitted_at: job.submitted_at,
			delivered_at: job.delivered_at,
			disputed: matches!(job.status, JobStatus::Disputed { .. } | JobStatus::Accused { .. }),
		};
		Self::record_outcome(job_id, outcome);
		Self::deposit_event(Event::JobEnded {
			job_id,
			end,
			fee,
			protocol_fee,
			validation_fee,
			refund,
		});
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
