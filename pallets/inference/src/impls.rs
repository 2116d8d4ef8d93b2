//! The job market's logic: what the calls and hooks do, the runtime API's answers, and the
//! invariants.

#![deny(
	clippy::arithmetic_side_effects,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::unwrap_used
)]

use crate::*;
use alloc::vec::Vec;
use daya_primitives::{
	runtime_api::{JobView, WorkKind},
	BlockRandomness, BlockSeed, Duty, ExecutorKind, QuoteError, WorkRecorder,
};
use polkadot_sdk::{
	frame_support::{
		ensure,
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, InspectHold, Mutate, MutateHold},
			tokens::{Fortitude, Precision, Preservation, Restriction},
			PostInherents,
		},
	},
	frame_system::pallet_prelude::BlockNumberFor,
	sp_core::H256,
	sp_io::{hashing::blake2_256, offchain_index},
	sp_runtime::{
		traits::{AccountIdConversion, CheckedDiv, CheckedMul, One, Saturating, Zero},
		PerThing, Perbill, Rounding,
	},
};

/// How many consecutive blocks are tried for a deadline whose bucket is full.
pub const DEADLINE_PROBES: u32 = 4;

/// Domains that separate the random draws made for one job.
mod domain {
	pub const ASSIGN: &[u8] = b"daya/assign";
	pub const REASSIGN: &[u8] = b"daya/reassign";
	pub const SAMPLE: &[u8] = b"daya/sample";
	pub const VALIDATOR: &[u8] = b"daya/validator";
	pub const DISPUTE: &[u8] = b"daya/dispute";
	pub const SAMPLING: &[u8] = b"daya/sampling";
}

/// What a dispute's verdicts decided.
enum Decision {
	Fraud,
	Overturned,
	Undecided,
}

impl<T: Config> Pallet<T> {
	/// The pallet's account, through which slashes are shared out; empty between calls.
	pub fn account_id() -> T::AccountId {
		T::PalletId::get().into_account_truncating()
	}

	/// A 32-byte seed for the draw `domain` (with `index` for repeated draws) of `job_id`, from
	/// the block's `seed`.
	fn seed(
		seed: &BlockSeed<BlockNumberFor<T>>,
		domain: &[u8],
		job_id: JobId,
		index: u32,
	) -> [u8; 32] {
		seed.draw(&(domain, job_id, index).encode())
	}

	/// Queues a draw about `job_id`, to be decided by the seed of a later relay block than the
	/// current one.
	fn queue_draw(job_id: JobId) -> Result<(), Error<T>> {
		let after = T::Randomness::seed().map_or(0, |seed| seed.relay_block);
		Draws::<T>::try_append(PendingDraw { job_id, after }).map_err(|_| Error::<T>::DrawsFull)
	}

	/// Whether a draw from `seed` falls below `rate`.
	fn draw(seed: &[u8; 32], rate: Perbill) -> bool {
		let mut bytes = [0u8; 8];
		bytes.copy_from_slice(seed.get(24..32).unwrap_or(&[0u8; 8]));
		let roll = u64::from_le_bytes(bytes).checked_rem(u64::from(Perbill::ACCURACY)).unwrap_or(0);
		roll < u64::from(rate.deconstruct())
	}

	/// The probability that a result of `executor` is validated: one minus its reputation, at
	/// least [`Config::MinSampleRate`].
	pub fn sample_rate(executor: &T::AccountId) -> Perbill {
		let reputation = T::Hosts::reputation(executor).unwrap_or_else(Perbill::zero);
		reputation.left_from_one().max(T::MinSampleRate::get())
	}

	/// Puts `job_id` in the first bucket with room among the [`DEADLINE_PROBES`] blocks from
	/// `from` on, and returns its block.
	fn schedule(job_id: JobId, from: BlockNumberFor<T>) -> Option<BlockNumberFor<T>> {
		let mut block = from;
		for _ in 0..DEADLINE_PROBES {
			if Deadlines::<T>::try_mutate(block, |bucket| bucket.try_push(job_id)).is_ok() {
				return Some(block);
			}
			block = block.saturating_add(One::one());
		}
		None
	}

	/// Takes `job_id` out of the bucket of `deadline`, when its step ends before it.
	fn unschedule(job_id: JobId, deadline: BlockNumberFor<T>) {
		Deadlines::<T>::mutate_exists(deadline, |bucket| {
			if let Some(jobs) = bucket {
				jobs.retain(|id| *id != job_id);
				if jobs.is_empty() {
					*bucket = None;
				}
			}
		});
	}

	/// The escrow of a job: `(prompt_tokens + max_output_tokens) * price`.
	fn escrow_for(
		price: BalanceOf<T>,
		prompt_tokens: u32,
		max_output_tokens: u32,
	) -> Option<BalanceOf<T>> {
		let tokens = prompt_tokens.checked_add(max_output_tokens)?;
		price.checked_mul(&BalanceOf::<T>::from(tokens))
	}

	/// Checks a job request against the model's terms and returns the price and escrow.
	fn check_request(
		model: ModelId,
		prompt_tokens: u32,
		max_output_tokens: u32,
	) -> Result<(daya_primitives::ModelTerms<BalanceOf<T>>, BalanceOf<T>), QuoteError> {
		let status = T::Models::status(model).ok_or(QuoteError::UnknownModel)?;
		ensure!(status.accepts_jobs(), QuoteError::ModelNotAccepting);
		let terms = T::Models::terms(model).ok_or(QuoteError::UnknownModel)?;
		ensure!(
			max_output_tokens <= terms.max_output_tokens.min(T::MaxOutputTokens::get()),
			QuoteError::TooManyTokens
		);
		let total = prompt_tokens.checked_add(max_output_tokens).ok_or(QuoteError::Overflow)?;
		ensure!(total <= terms.context_length, QuoteError::TooManyTokens);
		let escrow = Self::escrow_for(terms.price_per_token, prompt_tokens, max_output_tokens)
			.ok_or(QuoteError::Overflow)?;
		Ok((terms, escrow))
	}

	pub(crate) fn do_submit_job(
		who: T::AccountId,
		model: ModelId,
		payload: Payload<T>,
		max_output_tokens: u32,
		max_price_per_token: BalanceOf<T>,
		params: JobParams,
	) -> Result<JobId, DispatchError> {
		ensure!(params.is_valid(), Error::<T>::InvalidParams);
		ensure!(!payload.is_empty(), Error::<T>::EmptyPayload);
		ensure!(core::str::from_utf8(&payload).is_ok(), Error::<T>::PayloadNotText);
		ensure!(max_output_tokens > 0, Error::<T>::ZeroOutputTokens);
		// The payload's bound is a `u32`, so its length fits one.
		let prompt_tokens = u32::try_from(payload.len()).map_err(|_| Error::<T>::Overflow)?;
		let (terms, escrow) = Self::check_request(model, prompt_tokens, max_output_tokens)
			.map_err(|error| match error {
				QuoteError::UnknownModel => Error::<T>::UnknownModel,
				QuoteError::ModelNotAccepting => Error::<T>::ModelNotAccepting,
				QuoteError::TooManyTokens
					if max_output_tokens
						> T::Models::terms(model).map_or(0, |t| t.max_output_tokens) =>
				{
					Error::<T>::TooManyOutputTokens
				},
				QuoteError::TooManyTokens => Error::<T>::ContextTooLong,
				QuoteError::Overflow => Error::<T>::Overflow,
			})?;
		ensure!(terms.price_per_token <= max_price_per_token, Error::<T>::PriceAboveLimit);

		let mut open = JobsOf::<T>::get(&who).unwrap_or_default();
		ensure!(open.len() < T::MaxOpenJobsPerAccount::get() as usize, Error::<T>::TooManyOpenJobs);
		ensure!(Jobs::<T>::count() < T::MaxOpenJobs::get(), Error::<T>::MarketFull);

		let job_id = NextJobId::<T>::get();
		let next_id = job_id.checked_add(1).ok_or(Error::<T>::Overflow)?;
		// The executor is drawn later, from randomness this block's author does not know; a job
		// that no host could take is refused now, holding nothing.
		ensure!(
			T::Hosts::select_host(
				model,
				Duty::of_job(params.temperature_milli),
				core::slice::from_ref(&who),
				[0u8; 32]
			)
			.is_some(),
			Error::<T>::NoHostAvailable
		);
		ensure!(
			T::Currency::can_hold(&HoldReason::JobEscrow.into(), &who, escrow),
			Error::<T>::InsufficientBalance
		);
		let now = frame_system::Pallet::<T>::block_number();
		Self::queue_draw(job_id)?;
		T::Currency::hold(&HoldReason::JobEscrow.into(), &who, escrow)
			.map_err(|_| Error::<T>::InsufficientBalance)?;
		open.try_push(job_id).map_err(|_| Error::<T>::TooManyOpenJobs)?;

		let payload_hash = H256(blake2_256(&payload));
		let indexed = IndexedPayload {
			job_id,
			model,
			max_output_tokens,
			params,
			payload: payload.into_inner(),
		};
		offchain_index::set(&payload_key(job_id), &indexed.encode());

		let job = Job::<T> {
			consumer: who.clone(),
			model,
			payload_hash,
			prompt_tokens,
			max_output_tokens,
			params,
			price_per_token: terms.price_per_token,
			validation: terms.validation,
			sampling_key: H256::zero(),
			escrow,
			submitted_at: now,
			executor: None,
			reassigned: false,
			cancel_requested: false,
			delivered_at: None,
			deadline: now,
			delivery: None,
			status: JobStatus::Unassigned { missed_by: None },
		};
		Jobs::<T>::insert(job_id, job);
		JobsOf::<T>::insert(&who, open);
		NextJobId::<T>::put(next_id);
		Self::deposit_event(Event::JobSubmitted {
			job_id,
			consumer: who,
			model,
			escrow,
			payload_hash,
		});
		Ok(job_id)
	}

	pub(crate) fn do_submit_result(
		who: T::AccountId,
		job_id: JobId,
		result: JobResult<T>,
	) -> DispatchResult {
		let mut job = Jobs::<T>::get(job_id).ok_or(Error::<T>::UnknownJob)?;
		ensure!(job.executed_by(&who), Error::<T>::NotExecutor);
		ensure!(matches!(job.status, JobStatus::Assigned), Error::<T>::AlreadyDelivered);
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now < job.deadline, Error::<T>::DeadlinePassed);
		let usage = result.usage();
		ensure!(
			usage.prompt_tokens <= job.prompt_tokens
				&& usage.completion_tokens <= job.max_output_tokens,
			Error::<T>::UsageAboveLimit
		);
		// Fail closed: a result without tokens, or without the fingerprints of all of them,
		// cannot be checked, so it is no result. A greedy-only executor delivers greedy jobs
		// without fingerprints, and its tokens alone are checked; every other result commits
		// to all of them.
		let fingerprints = result.fingerprints.len() as u32;
		let without_fingerprints = fingerprints == 0
			&& job.params.temperature_milli == 0
			&& T::Hosts::executor_kind(&who) == Some(ExecutorKind::GreedyOnly);
		ensure!(
			usage.completion_tokens > 0
				&& (fingerprints
					== daya_primitives::jobs::fingerprints_for(usage.completion_tokens)
					|| without_fingerprints),
			Error::<T>::MalformedResult
		);
		Self::queue_draw(job_id)?;
		Self::unschedule(job_id, job.deadline);

		let output_hash = H256(blake2_256(&result.output));
		let encoded = result.encode();
		let result_hash = H256(blake2_256(&encoded));
		offchain_index::set(
			&output_key(job_id),
			&IndexedOutput { job_id, result: encoded }.encode(),
		);
		job.delivery = Some(Delivery { output_hash, usage, result_hash });
		job.delivered_at = Some(now);
		job.status = JobStatus::Delivered;
		Jobs::<T>::insert(job_id, job);
		Self::deposit_event(Event::ResultSubmitted { job_id, executor: who, output_hash, usage });
		Ok(())
	}

	pub(crate) fn do_submit_verdict(
		who: T::AccountId,
		job_id: JobId,
		judgement: Judgement,
	) -> DispatchResult {
		let mut job = Jobs::<T>::get(job_id).ok_or(Error::<T>::UnknownJob)?;
		let now = frame_system::Pallet::<T>::block_number();
		let passes = judgement.is_valid();
		match &mut job.status {
			JobStatus::Validating { verdict } => {
				ensure!(verdict.validator == who, Error::<T>::NotValidator);
				ensure!(verdict.judgement.is_none(), Error::<T>::AlreadyVoted);
				ensure!(now < job.deadline, Error::<T>::DeadlinePassed);
				if !passes {
					// The dispute's validators are drawn from a later relay block's seed.
					Self::queue_draw(job_id)?;
				}
				Self::deposit_event(Event::VerdictSubmitted {
					job_id,
					validator: who.clone(),
					judgement,
				});
				T::Hosts::record_success(&who);
				if passes {
					Self::settle(job_id, job, JobEnd::Validated);
				} else {
					Self::unschedule(job_id, job.deadline);
					job.status = JobStatus::Accused { accuser: who, round: 0, since: now };
					Jobs::<T>::insert(job_id, job);
				}
			},
			JobStatus::Disputed { verdicts, .. } => {
				let verdict = verdicts
					.iter_mut()
					.find(|v| v.validator == who)
					.ok_or(Error::<T>::NotValidator)?;
				ensure!(verdict.judgement.is_none(), Error::<T>::AlreadyVoted);
				ensure!(now < job.deadline, Error::<T>::DeadlinePassed);
				verdict.judgement = Some(judgement);
				let complete = verdicts.iter().all(|v| v.judgement.is_some());
				Self::deposit_event(Event::VerdictSubmitted { job_id, validator: who, judgement });
				if complete {
					Self::decide_dispute(job_id, job, now);
				} else {
					Jobs::<T>::insert(job_id, job);
				}
			},
			JobStatus::Assigned
			| JobStatus::Delivered
			| JobStatus::Unassigned { .. }
			| JobStatus::Accused { .. } => Err(Error::<T>::NotValidator)?,
		}
		Ok(())
	}

	pub(crate) fn do_cancel_job(who: T::AccountId, job_id: JobId) -> DispatchResult {
		let mut job = Jobs::<T>::get(job_id).ok_or(Error::<T>::UnknownJob)?;
		ensure!(job.consumer == who, Error::<T>::NotConsumer);
		match job.status {
			// No executor has the job: no output can exist anywhere.
			JobStatus::Unassigned { .. } => Self::refund(job_id, job, JobEnd::Cancelled),
			// The executor's result may wait in the pool, in the clear: ending the job now
			// would hand the consumer an output for free. It ends at the deadline instead.
			JobStatus::Assigned => {
				ensure!(!job.cancel_requested, Error::<T>::AlreadyCancelling);
				job.cancel_requested = true;
				let deadline = job.deadline;
				Jobs::<T>::insert(job_id, job);
				Self::deposit_event(Event::CancelRequested { job_id, deadline });
			},
			JobStatus::Delivered
			| JobStatus::Validating { .. }
			| JobStatus::Disputed { .. }
			| JobStatus::Accused { .. } => Err(Error::<T>::CannotCancel)?,
		}
		Ok(())
	}

	/// Draws the validators of an accused job's dispute, each with the same chance among the
	/// active hosts that serve the model and can check it (a host whose proven capacity is
	/// zero still checks), never the consumer, the executor or the accuser. Returns whether
	/// the draw is done: when nobody can be drawn, or the deadline buckets are full, it waits
	/// for a later block, until [`Config::DisputeStaffingPeriod`] is over; then the job ends
	/// [`JobEnd::Unresolved`]. An accusation never turns into a payment to the accused.
	fn open_dispute(
		job_id: JobId,
		mut job: Job<T>,
		(accuser, round, since): (T::AccountId, u32, BlockNumberFor<T>),
		seed: &BlockSeed<BlockNumberFor<T>>,
		now: BlockNumberFor<T>,
	) -> bool {
		let mut exclude = alloc::vec![job.consumer.clone(), accuser.clone()];
		exclude.extend(job.executor.clone());
		let mut verdicts = Verdicts::<T>::new();
		for index in 0..T::DisputeValidators::get() {
			let seed = Self::seed(seed, domain::DISPUTE, job_id, index);
			let Some(validator) = T::Hosts::select_checker(job.model, &exclude, seed) else {
				break;
			};
			exclude.push(validator.clone());
			if verdicts.try_push(Verdict::pending(validator)).is_err() {
				break;
			}
		}
		let deadline = if verdicts.is_empty() {
			None
		} else {
			Self::schedule(job_id, now.saturating_add(T::ValidationPeriod::get()))
		};
		let Some(deadline) = deadline else {
			if now < since.saturating_add(T::DisputeStaffingPeriod::get()) {
				return false;
			}
			Self::deposit_event(Event::DisputeUnresolved { job_id });
			Self::refund(job_id, job, JobEnd::Unresolved);
			return true;
		};
		let validators = verdicts.iter().map(|v| v.validator.clone()).collect::<Vec<_>>();
		job.deadline = deadline;
		job.status = JobStatus::Disputed { accuser: accuser.clone(), verdicts, round, since };
		Jobs::<T>::insert(job_id, job);
		Self::deposit_event(Event::DisputeOpened { job_id, accuser, validators, deadline });
		true
	}

	/// Decides a dispute from the verdicts of all its validators, given or not: fraud or an
	/// overturned accusation needs more than half of them; a tie among validators that all
	/// answered overturns the accusation (the accuser did not convince a full panel). When
	/// silence left no majority, the silent validators are slashed and the dispute staffed
	/// again, at most [`Config::DisputeRounds`] times; silence never convicts, and never pays
	/// the accused.
	fn decide_dispute(job_id: JobId, mut job: Job<T>, now: BlockNumberFor<T>) {
		let JobStatus::Disputed { accuser, verdicts, round, .. } = &job.status else { return };
		let (accuser, round) = (accuser.clone(), *round);
		let drawn = verdicts.len();
		let fraud = verdicts.iter().filter(|v| v.says_fraud()).count();
		let silent = verdicts
			.iter()
			.filter(|v| v.judgement.is_none())
			.map(|v| v.validator.clone())
			.collect::<Vec<_>>();
		let pass = drawn.saturating_sub(fraud).saturating_sub(silent.len());
		let decision = if fraud.saturating_mul(2) > drawn {
			Decision::Fraud
		} else if pass.saturating_mul(2) > drawn || silent.is_empty() {
			Decision::Overturned
		} else {
			Decision::Undecided
		};
		for validator in &silent {
			Self::punish_silence(job_id, validator);
		}
		// Validators on the winning side gain reputation, those on the losing side lose it.
		for verdict in verdicts.iter() {
			let Some(judgement) = verdict.judgement else { continue };
			let said_fraud = !judgement.is_valid();
			match decision {
				Decision::Fraud if said_fraud => T::Hosts::record_success(&verdict.validator),
				Decision::Overturned if !said_fraud => T::Hosts::record_success(&verdict.validator),
				Decision::Fraud | Decision::Overturned => T::Hosts::record_miss(&verdict.validator),
				Decision::Undecided => {},
			}
		}
		match decision {
			Decision::Fraud => {
				let mut winners = alloc::vec![accuser];
				winners.extend(
					verdicts.iter().filter(|v| v.says_fraud()).map(|v| v.validator.clone()),
				);
				// A disputed job has its executor; without one, there is nobody to slash.
				if let Some(executor) = job.executor.clone() {
					let slashed = Self::slash_to_winners(&executor, &job, &winners);
					T::Hosts::record_miss(&executor);
					T::Work::record_missed(&executor);
					T::Hosts::jail(&executor, T::FraudJail::get());
					Self::deposit_event(Event::FraudConfirmed { job_id, executor, slashed });
				}
				Self::refund(job_id, job, JobEnd::Fraud);
			},
			Decision::Overturned => {
				let slashed = T::Hosts::slash(
					&accuser,
					T::FalseAccusationSlash::get(),
					job.executor.as_ref(),
				);
				T::Hosts::record_miss(&accuser);
				Self::deposit_event(Event::AccusationOverturned { job_id, accuser, slashed });
				Self::settle(job_id, job, JobEnd::Validated);
			},
			Decision::Undecided => {
				Self::deposit_event(Event::DisputeRoundFailed { job_id, round, silent });
				let next = round.saturating_add(1);
				if next >= T::DisputeRounds::get() || Self::queue_draw(job_id).is_err() {
					Self::deposit_event(Event::DisputeUnresolved { job_id });
					Self::refund(job_id, job, JobEnd::Unresolved);
					return;
				}
				// The validators are drawn again from a later relay block's seed.
				job.status = JobStatus::Accused { accuser, round: next, since: now };
				Jobs::<T>::insert(job_id, job);
			},
		}
	}

	/// A validator owed a verdict and gave none: it loses [`Config::SilenceSlash`] of its bond
	/// to the treasury, and reputation.
	fn punish_silence(job_id: JobId, validator: &T::AccountId) {
		T::Hosts::record_miss(validator);
		let slashed = T::Hosts::slash(validator, T::SilenceSlash::get(), Some(&T::Treasury::get()));
		Self::deposit_event(Event::ValidatorSilent {
			job_id,
			validator: validator.clone(),
			slashed,
		});
	}

	/// The share of `executor`'s bond that a forgery of `job` costs: [`Config::FraudSlash`],
	/// or more where that is less than the fee claimed divided by [`Config::MinSampleRate`], so
	/// that a forgery loses money in expectation even when results are checked at the least
	/// rate (all of the bond when the bond is smaller than that).
	pub fn fraud_penalty(executor: &T::AccountId, job: &Job<T>) -> Perbill {
		let usage = job.delivery.map(|d| d.usage).unwrap_or_default();
		let fee = job.price_per_token.saturating_mul(BalanceOf::<T>::from(usage.total()));
		let rate = T::MinSampleRate::get();
		if rate.is_zero() {
			// Results may go unchecked entirely: no slash makes forgery unprofitable.
			return T::FraudSlash::get();
		}
		let needed = rate.saturating_reciprocal_mul_ceil(fee);
		let bond = T::Hosts::bond(executor);
		let share = if bond.is_zero() || needed >= bond {
			Perbill::one()
		} else {
			Perbill::from_rational_with_rounding(needed, bond, Rounding::Up)
				.unwrap_or_else(|_| Perbill::one())
		};
		share.max(T::FraudSlash::get())
	}

	/// Slashes [`Self::fraud_penalty`] of `executor`'s bond into the pallet's account and
	/// shares what arrived equally among `winners`, the first taking the remainder. Returns the
	/// amount shared.
	fn slash_to_winners(
		executor: &T::AccountId,
		job: &Job<T>,
		winners: &[T::AccountId],
	) -> BalanceOf<T> {
		let pot = Self::account_id();
		let before = T::Currency::balance(&pot);
		T::Hosts::slash(executor, Self::fraud_penalty(executor, job), Some(&pot));
		let received = T::Currency::balance(&pot).saturating_sub(before);
		let count = u32::try_from(winners.len()).unwrap_or(u32::MAX).max(1);
		let share = received.checked_div(&BalanceOf::<T>::from(count)).unwrap_or_default();
		let mut paid = BalanceOf::<T>::zero();
		for (index, winner) in winners.iter().enumerate() {
			let amount = if index == 0 {
				received
					.saturating_sub(share.saturating_mul(BalanceOf::<T>::from(count)))
					.saturating_add(share)
			} else {
				share
			};
			if T::Currency::transfer(&pot, winner, amount, Preservation::Expendable).is_ok() {
				paid = paid.saturating_add(amount);
			}
		}
		// Whatever could not be paid out (a winner that cannot receive it) is burned rather
		// than left in the pot, so that the pot is empty between calls.
		let left = T::Currency::balance(&pot).saturating_sub(before);
		if !left.is_zero() {
			let _ = T::Currency::burn_from(
				&pot,
				left,
				Preservation::Expendable,
				Precision::BestEffort,
				Fortitude::Force,
			);
		}
		paid
	}

	/// Pays the executor for a delivered job (less the protocol fee), refunds the rest of the
	/// escrow, and ends the job as `end`.
	fn settle(job_id: JobId, job: Job<T>, end: JobEnd) {
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

	/// Refunds a job's whole escrow and ends it as `end`.
	fn refund(job_id: JobId, job: Job<T>, end: JobEnd) {
		let refund = job.escrow;
		let usage = job.delivery.map(|d| d.usage).unwrap_or_default();
		Self::end_job(job_id, job, end, Zero::zero(), Zero::zero(), refund, usage);
	}

	/// Releases `refund` to the consumer, removes the job from state and records its outcome.
	fn end_job(
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

	/// Adds an outcome to the index, evicting the oldest when it is full.
	fn record_outcome(job_id: JobId, outcome: OutcomeOf<T>) {
		let head = OutcomeHead::<T>::get();
		let tail = OutcomeTail::<T>::get();
		if tail.saturating_sub(head) >= u64::from(T::MaxOutcomes::get()) {
			if let Some(oldest) = OutcomeQueue::<T>::take(head) {
				Outcomes::<T>::remove(oldest);
			}
			OutcomeHead::<T>::put(head.saturating_add(1));
		}
		Outcomes::<T>::insert(job_id, outcome);
		OutcomeQueue::<T>::insert(tail, job_id);
		OutcomeTail::<T>::put(tail.saturating_add(1));
	}

	/// Runs the draws queued before the current seed's relay block (see the crate docs), right
	/// after the block's inherents: executors of unassigned jobs, validation of delivered
	/// results, validators of accused results. Draws that must wait (same relay block, or a
	/// deadline that finds no room) stay queued, in order. Its weight is accounted for in
	/// `on_initialize` ([`Self::draws_weight`]).
	pub(crate) fn do_draws(now: BlockNumberFor<T>) {
		let Some(seed) = T::Randomness::seed() else { return };
		let queue = Draws::<T>::take();
		let mut kept = DrawQueue::<T>::new();
		for draw in queue {
			if !seed.is_after(draw.after) || !Self::run_draw(draw.job_id, &seed, now) {
				// Room is certain: `kept` is a part of what the queue held.
				let _ = kept.try_push(draw);
			}
		}
		Draws::<T>::put(kept);
	}

	/// Runs one draw; returns whether it is done (`false`: it waits for a later block).
	fn run_draw(
		job_id: JobId,
		seed: &BlockSeed<BlockNumberFor<T>>,
		now: BlockNumberFor<T>,
	) -> bool {
		// A job that ended meanwhile (cancelled) leaves its draw behind.
		let Some(job) = Jobs::<T>::get(job_id) else { return true };
		match job.status.clone() {
			JobStatus::Unassigned { missed_by } => Self::assign(job_id, job, missed_by, seed, now),
			JobStatus::Delivered => Self::sample(job_id, job, seed, now),
			JobStatus::Accused { accuser, round, since } => {
				Self::open_dispute(job_id, job, (accuser, round, since), seed, now)
			},
			JobStatus::Assigned | JobStatus::Validating { .. } | JobStatus::Disputed { .. } => true,
		}
	}

	/// Draws the executor of an unassigned job among the active hosts serving its model (never
	/// its consumer, nor the host that missed it), and starts its execution deadline. A job that
	/// no host can take is refunded; one whose deadline finds no room waits for the next block.
	fn assign(
		job_id: JobId,
		mut job: Job<T>,
		missed_by: Option<T::AccountId>,
		seed: &BlockSeed<BlockNumberFor<T>>,
		now: BlockNumberFor<T>,
	) -> bool {
		let mut exclude = alloc::vec![job.consumer.clone()];
		exclude.extend(missed_by.clone());
		let domain = if missed_by.is_some() { domain::REASSIGN } else { domain::ASSIGN };
		let duty = Duty::of_job(job.params.temperature_milli);
		let Some(executor) =
			T::Hosts::select_host(job.model, duty, &exclude, Self::seed(seed, domain, job_id, 0))
		else {
			Self::refund(job_id, job, JobEnd::Expired);
			return true;
		};
		let Some(deadline) = Self::schedule(job_id, now.saturating_add(T::ExecutionPeriod::get()))
		else {
			return false;
		};
		job.executor = Some(executor.clone());
		// The consumer's seed is mixed in, the executor's choice is not.
		job.sampling_key = H256(seed.draw(&(domain::SAMPLING, job_id, job.params.seed).encode()));
		job.reassigned = missed_by.is_some();
		job.deadline = deadline;
		job.status = JobStatus::Assigned;
		Jobs::<T>::insert(job_id, job);
		match missed_by {
			Some(from) => {
				Self::deposit_event(Event::JobReassigned { job_id, from, to: executor, deadline })
			},
			None => Self::deposit_event(Event::JobAssigned { job_id, executor, deadline }),
		}
		true
	}

	/// Draws whether a delivered result is validated, and by whom. Returns whether the draw is
	/// done: a validator whose deadline finds no room waits for the next block (a full bucket
	/// never turns a drawn check into a payment).
	fn sample(
		job_id: JobId,
		mut job: Job<T>,
		seed: &BlockSeed<BlockNumberFor<T>>,
		now: BlockNumberFor<T>,
	) -> bool {
		let Some(executor) = job.executor.clone() else {
			Self::refund(job_id, job, JobEnd::Expired);
			return true;
		};
		let rate = Self::sample_rate(&executor);
		if !Self::draw(&Self::seed(seed, domain::SAMPLE, job_id, 0), rate) {
			Self::settle(job_id, job, JobEnd::Completed);
			return true;
		}
		let exclude = [executor, job.consumer.clone()];
		let validator = T::Hosts::select_host(
			job.model,
			Duty::Validate,
			&exclude,
			Self::seed(seed, domain::VALIDATOR, job_id, 0),
		);
		let Some(validator) = validator else {
			Self::deposit_event(Event::ValidationSkipped { job_id, missed_by: None });
			Self::settle(job_id, job, JobEnd::Completed);
			return true;
		};
		let Some(deadline) = Self::schedule(job_id, now.saturating_add(T::ValidationPeriod::get()))
		else {
			return false;
		};
		job.deadline = deadline;
		job.status = JobStatus::Validating { verdict: Verdict::pending(validator.clone()) };
		Jobs::<T>::insert(job_id, job);
		Self::deposit_event(Event::ValidationRequested { job_id, validator, deadline });
		true
	}

	/// Handles a job whose current step timed out at the start of `now`, if it did, and
	/// returns what that cost.
	pub(crate) fn time_out(job_id: JobId, now: BlockNumberFor<T>) -> Weight {
		let skipped = T::DbWeight::get().reads(1);
		let Some(mut job) = Jobs::<T>::get(job_id) else { return skipped };
		if job.deadline != now || job.status.awaits_draw() {
			return skipped;
		}
		match &job.status {
			// Cancelled while assigned and no result came: refunded in full, and the executor,
			// which may have stopped working on it, is not held to have missed.
			JobStatus::Assigned if job.cancel_requested => {
				Self::refund(job_id, job, JobEnd::Cancelled);
				T::WeightInfo::cancel_job()
			},
			JobStatus::Assigned => {
				let missed = job.executor.take();
				if let Some(executor) = &missed {
					T::Hosts::record_miss(executor);
					T::Work::record_missed(executor);
				}
				// The first miss sends the job back to be drawn again, among the other hosts.
				if !job.reassigned && missed.is_some() && Self::queue_draw(job_id).is_ok() {
					job.status = JobStatus::Unassigned { missed_by: missed };
					Jobs::<T>::insert(job_id, job);
					return Self::reassign_weight();
				}
				job.executor = missed;
				Self::refund(job_id, job, JobEnd::Expired);
				Self::reassign_weight().saturating_add(T::WeightInfo::cancel_job())
			},
			JobStatus::Validating { verdict } => {
				let validator = verdict.validator.clone();
				Self::punish_silence(job_id, &validator);
				Self::deposit_event(Event::ValidationSkipped {
					job_id,
					missed_by: Some(validator),
				});
				Self::settle(job_id, job, JobEnd::Completed);
				Self::settle_weight().saturating_add(Self::silence_weight())
			},
			JobStatus::Disputed { .. } => {
				Self::decide_dispute(job_id, job, now);
				T::WeightInfo::submit_verdict_decide().saturating_add(
					Self::silence_weight().saturating_mul(u64::from(T::DisputeValidators::get())),
				)
			},
			JobStatus::Delivered | JobStatus::Unassigned { .. } | JobStatus::Accused { .. } => {
				skipped
			},
		}
	}

	/// What punishing one silent validator costs, at most: a slash of its bond and a
	/// reputation write, bounded by the benchmarked decision of a dispute, which slashes an
	/// accuser and settles the job besides.
	fn silence_weight() -> Weight {
		T::WeightInfo::submit_verdict_decide()
	}

	/// What drawing a validator for one result costs.
	fn sample_weight() -> Weight {
		T::WeightInfo::on_initialize_sample(1)
			.saturating_sub(T::WeightInfo::on_initialize_sample(0))
	}

	/// What reassigning one job costs in `on_initialize`.
	fn reassign_weight() -> Weight {
		T::WeightInfo::on_initialize_deadlines(1)
			.saturating_sub(T::WeightInfo::on_initialize_deadlines(0))
	}

	/// What settling one job costs: at most what the verdict that settles one does.
	fn settle_weight() -> Weight {
		T::WeightInfo::submit_verdict_pass()
	}

	/// The most one queued draw can cost: assigning an executor (benchmarked as
	/// `draw_assign`), sampling a result (and settling it, or drawing its validator), or drawing
	/// a dispute's validators (as an accusation used to).
	fn draw_weight() -> Weight {
		T::WeightInfo::draw_assign(1)
			.saturating_sub(T::WeightInfo::draw_assign(0))
			.max(Self::sample_weight().saturating_add(Self::settle_weight()))
			.max(T::WeightInfo::submit_verdict_accuse())
	}

	/// What the draws of `count` queued jobs cost, with reading the seed and the queue.
	pub(crate) fn draws_weight(count: u32) -> Weight {
		T::WeightInfo::on_initialize_sample(0)
			.saturating_add(T::DbWeight::get().reads_writes(2, 1))
			.saturating_add(Self::draw_weight().saturating_mul(u64::from(count)))
	}

	/// The `on_initialize` hook: handles the deadlines of `now`, then accounts for the draws
	/// that run after the inherents, as many as are queued by then. Returns the weight of what
	/// it did (each job's cost depends on where it went) and of those draws.
	pub(crate) fn do_on_initialize(now: BlockNumberFor<T>) -> Weight {
		let mut weight = T::WeightInfo::on_initialize_deadlines(0);
		for job_id in Deadlines::<T>::take(now).iter() {
			weight = weight.saturating_add(Self::time_out(*job_id, now));
		}
		let queued = Draws::<T>::decode_len().unwrap_or(0);
		weight.saturating_add(Self::draws_weight(u32::try_from(queued).unwrap_or(u32::MAX)))
	}

	/// The `on_idle` hook: prunes outcomes past their retention, oldest first, while
	/// `remaining` allows.
	pub(crate) fn do_prune_outcomes(now: BlockNumberFor<T>, remaining: Weight) -> Weight {
		let per_item = T::WeightInfo::prune_outcome();
		let mut used = T::DbWeight::get().reads(2);
		if remaining.any_lt(used) {
			return Weight::zero();
		}
		let mut head = OutcomeHead::<T>::get();
		let tail = OutcomeTail::<T>::get();
		while head < tail && remaining.all_gte(used.saturating_add(per_item)) {
			used = used.saturating_add(per_item);
			let Some(job_id) = OutcomeQueue::<T>::get(head) else {
				head = head.saturating_add(1);
				continue;
			};
			let expired = Outcomes::<T>::get(job_id).is_none_or(|outcome| {
				outcome.ended_at.saturating_add(T::OutcomeRetention::get()) <= now
			});
			if !expired {
				break;
			}
			OutcomeQueue::<T>::remove(head);
			Outcomes::<T>::remove(job_id);
			head = head.saturating_add(1);
		}
		OutcomeHead::<T>::put(head);
		used.saturating_add(T::DbWeight::get().writes(1))
	}

	/// The open job `id`, as the runtime API shows it.
	pub fn api_job(id: JobId) -> Option<JobView<T::AccountId, BalanceOf<T>, BlockNumberFor<T>>> {
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
	/// Iterates over all open jobs (at most [`Config::MaxOpenJobs`]): for offchain callers only.
	pub fn api_work_of(host: T::AccountId) -> Vec<(JobId, WorkKind)> {
		let mut work = Jobs::<T>::iter()
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

	/// Checks the invariants listed in the crate docs.
	///
	/// Native builds have it too, so that runtime-level tests check the market after every
	/// block.
	#[cfg(any(feature = "std", feature = "try-runtime"))]
	pub fn do_try_state() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
		use alloc::collections::{btree_map::BTreeMap, btree_set::BTreeSet};
		let now = frame_system::Pallet::<T>::block_number();
		let next = NextJobId::<T>::get();
		let draws = Draws::<T>::get();
		let mut queued: BTreeMap<JobId, u32> = BTreeMap::new();
		for draw in draws.iter() {
			let entries = queued.entry(draw.job_id).or_default();
			*entries = entries.saturating_add(1);
			ensure!(
				draw.job_id < next
					&& Jobs::<T>::get(draw.job_id).is_none_or(|job| job.status.awaits_draw()),
				"a queued draw's job does not wait for a draw"
			);
		}
		ensure!(
			draws
				.windows(2)
				.all(|pair| pair.first().map(|d| d.after) <= pair.get(1).map(|d| d.after)),
			"the draw queue is not in the order of its seeds"
		);
		let mut escrows: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut by_consumer: BTreeMap<T::AccountId, BTreeSet<JobId>> = BTreeMap::new();
		let mut count = 0u32;
		for (id, job) in Jobs::<T>::iter() {
			count = count.saturating_add(1);
			ensure!(id < next, "an open job's id is not below the next id");
			ensure!(!Outcomes::<T>::contains_key(id), "a job is both open and ended");
			ensure!(!job.executed_by(&job.consumer), "a job's executor is its consumer");
			ensure!(
				job.executor.is_some() == !matches!(job.status, JobStatus::Unassigned { .. }),
				"a job has an executor exactly when it is not unassigned"
			);
			ensure!(
				job.executor.is_none() || job.sampling_key != H256::zero(),
				"an assigned job has no sampling key"
			);
			ensure!(
				job.delivery.is_none_or(|d| d.usage.completion_tokens > 0
					&& d.usage.completion_tokens <= job.max_output_tokens
					&& d.usage.prompt_tokens <= job.prompt_tokens),
				"a delivery's usage is outside the job's limits"
			);
			ensure!(
				queued.get(&id).copied().unwrap_or(0) == u32::from(job.status.awaits_draw()),
				"a job waiting for a draw is not queued once"
			);
			let expected =
				Self::escrow_for(job.price_per_token, job.prompt_tokens, job.max_output_tokens);
			ensure!(expected == Some(job.escrow), "a job's escrow does not follow from its terms");
			let escrow = escrows.entry(job.consumer.clone()).or_default();
			*escrow = escrow.saturating_add(job.escrow);
			by_consumer.entry(job.consumer.clone()).or_default().insert(id);
			let in_bucket = || Deadlines::<T>::get(job.deadline).contains(&id);
			match &job.status {
				JobStatus::Assigned => {
					ensure!(job.delivery.is_none(), "an assigned job has a delivery");
					ensure!(job.delivered_at.is_none(), "an undelivered job has a delivery block");
					ensure!(in_bucket(), "an assigned job is not in its deadline's bucket");
				},
				JobStatus::Delivered => {
					ensure!(job.delivery.is_some(), "a delivered job has no delivery");
					ensure!(
						job.delivered_at.is_some_and(|at| job.submitted_at <= at && at <= now),
						"a delivered job's delivery block is not between its submission and now"
					);
				},
				JobStatus::Unassigned { missed_by } => {
					ensure!(job.delivery.is_none(), "an unassigned job has a delivery");
					ensure!(job.delivered_at.is_none(), "an undelivered job has a delivery block");
					ensure!(!job.cancel_requested, "a cancelled job waits for an executor");
					ensure!(
						missed_by.as_ref() != Some(&job.consumer),
						"a job's missed executor is its consumer"
					);
				},
				JobStatus::Accused { accuser, round, since } => {
					ensure!(job.delivery.is_some(), "an accused job has no delivery");
					ensure!(*round < T::DisputeRounds::get(), "a dispute beyond its last round");
					ensure!(*since <= now, "a dispute waits since a later block");
					ensure!(
						!job.executed_by(accuser) && accuser != &job.consumer,
						"a validator is the executor or the consumer"
					);
				},
				JobStatus::Validating { verdict } => {
					ensure!(job.delivery.is_some(), "a validated job has no delivery");
					ensure!(in_bucket(), "a validated job is not in its deadline's bucket");
					ensure!(verdict.judgement.is_none(), "a validation's verdict is pending");
					ensure!(
						!job.executed_by(&verdict.validator) && verdict.validator != job.consumer,
						"a validator is the executor or the consumer"
					);
				},
				JobStatus::Disputed { accuser, verdicts, round, since } => {
					ensure!(job.delivery.is_some(), "a disputed job has no delivery");
					ensure!(*round < T::DisputeRounds::get(), "a dispute beyond its last round");
					ensure!(*since <= now, "a dispute waits since a later block");
					ensure!(in_bucket(), "a disputed job is not in its deadline's bucket");
					ensure!(!verdicts.is_empty(), "a dispute has no validators");
					ensure!(
						verdicts.iter().any(|v| v.judgement.is_none()),
						"a dispute with every verdict is still open"
					);
					for validator in
						verdicts.iter().map(|v| &v.validator).chain(core::iter::once(accuser))
					{
						ensure!(
							!job.executed_by(validator) && validator != &job.consumer,
							"a validator is the executor or the consumer"
						);
					}
				},
			}
		}
		ensure!(count == Jobs::<T>::count(), "the job counter does not match the jobs");
		ensure!(count <= T::MaxOpenJobs::get(), "more open jobs than MaxOpenJobs");
		let mut lists = 0usize;
		for (consumer, list) in JobsOf::<T>::iter() {
			lists = lists.saturating_add(1);
			let listed = list.iter().copied().collect::<BTreeSet<_>>();
			ensure!(listed.len() == list.len(), "a consumer's job list has a duplicate");
			ensure!(
				by_consumer.get(&consumer) == Some(&listed),
				"a consumer's job list does not match its open jobs"
			);
		}
		ensure!(lists == by_consumer.len(), "a consumer with open jobs has no job list");
		for (consumer, escrow) in escrows.iter() {
			let held = T::Currency::balance_on_hold(&HoldReason::JobEscrow.into(), consumer);
			ensure!(held == *escrow, "a consumer's held escrow is not the sum of its jobs'");
		}
		for (block, bucket) in Deadlines::<T>::iter() {
			ensure!(!bucket.is_empty(), "an empty deadline bucket is stored");
			for id in bucket.iter() {
				let job = Jobs::<T>::get(id);
				ensure!(
					job.is_some_and(|job| job.deadline == block && !job.status.awaits_draw()),
					"a deadline bucket holds a job that does not wait for it"
				);
			}
		}
		let head = OutcomeHead::<T>::get();
		let tail = OutcomeTail::<T>::get();
		ensure!(head <= tail, "the outcome queue's head is past its tail");
		ensure!(
			tail.saturating_sub(head) <= u64::from(T::MaxOutcomes::get()),
			"more outcomes than MaxOutcomes"
		);
		let mut outcomes = 0u64;
		for (_, outcome) in Outcomes::<T>::iter() {
			outcomes = outcomes.saturating_add(1);
			ensure!(outcome.protocol_fee <= outcome.fee, "a protocol fee above its fee");
			if matches!(outcome.end, JobEnd::Fraud | JobEnd::Expired | JobEnd::Cancelled) {
				ensure!(outcome.fee.is_zero(), "a refunded job was paid for");
			}
		}
		ensure!(outcomes <= tail.saturating_sub(head), "an outcome is not in the queue");
		ensure!(
			T::Currency::balance(&Self::account_id()).is_zero(),
			"the pallet's account is not empty"
		);
		Ok(())
	}
}

/// The job market's draws run right after the inherents, once the block's seed is read (the
/// runtime lists the randomness pallet before this one in `frame_system::Config::PostInherents`).
impl<T: Config> PostInherents for Pallet<T> {
	fn post_inherents() {
		Self::do_draws(frame_system::Pallet::<T>::block_number());
	}
}
