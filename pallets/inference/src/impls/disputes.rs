//! Disputes: staffing, deciding, the silent validators, the penalty for fraud.

#![deny(
	clippy::arithmetic_side_effects,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::unwrap_used
)]

use super::*;

impl<T: Config> Pallet<T> {
	/// Draws the validators of an accused job's dispute, each with the same chance among the
	/// active hosts that serve the model and can check it (a host whose proven capacity is
	/// zero still checks), never the consumer, the executor or the accuser. Returns whether
	/// the draw is done: when nobody can be drawn, or the deadline buckets are full, it waits
	/// for a later block, until [`Config::DisputeStaffingPeriod`] is over; then the job ends
	/// [`JobEnd::Unresolved`]. An accusation never turns into a payment to the accused.
	pub(crate) fn open_dispute(
		job_id: JobId,
		mut job: Job<T>,
		(accuser, round, since): (T::AccountId, u32, BlockNumberFor<T>),
		seed: &BlockSeed<BlockNumberFor<T>>,
		now: BlockNumberFor<T>,
	) -> bool {
		// Nobody runs the version the result came from any more: nobody can decide.
		if Self::version_moved(&job) {
			Self::unresolved(job_id, job);
			return true;
		}
		let mut exclude = alloc::vec![job.consumer.clone(), accuser.clone()];
		exclude.extend(job.executor.clone());
		// The validator whose probe is contested is the accused: it does not judge itself.
		exclude.extend(ContestedProbes::<T>::get(job_id).map(|(validator, _)| validator));
		let mut verdicts = Verdicts::<T>::new();
		for index in 0..T::DisputeValidators::get() {
			let seed = Self::seed(seed, domain::DISPUTE, job_id, index);
			let Pick::Host(validator) = Self::pick_with_room(&mut exclude, &mut 0, |exclude| {
				T::Hosts::select_checker(job.model, exclude, seed)
			}) else {
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
			Self::unresolved(job_id, job);
			return true;
		};
		let validators = verdicts.iter().map(|v| v.validator.clone()).collect::<Vec<_>>();
		let before = job.roles();
		job.deadline = deadline;
		job.status = JobStatus::Disputed { accuser: accuser.clone(), verdicts, round, since };
		Self::put_job(job_id, &before, job);
		Self::deposit_event(Event::DisputeOpened { job_id, accuser, validators, deadline });
		true
	}

	/// Decides a dispute from the verdicts of all its validators, given or not: fraud or an
	/// overturned accusation needs more than half of them; a tie among validators that all
	/// answered overturns the accusation (the accuser did not convince a full panel). When
	/// silence left no majority, the silent validators are slashed and the dispute staffed
	/// again, at most [`Config::DisputeRounds`] times; silence never convicts, and never pays
	/// the accused.
	pub(crate) fn decide_dispute(job_id: JobId, mut job: Job<T>, now: BlockNumberFor<T>) {
		let JobStatus::Disputed { accuser, verdicts, round, .. } = &job.status else { return };
		let (accuser, round) = (accuser.clone(), *round);
		let drawn = verdicts.len();
		let fraud = verdicts.iter().filter(|v| v.says_fraud()).count();
		let silent = verdicts
			.iter()
			.filter(|v| v.vote.is_none())
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
		// Validators that moved to the model's new version could not check the old one.
		let moved = Self::version_moved(&job);
		if !moved {
			let owed = Self::validator_pay(&job);
			for validator in &silent {
				Self::punish_silence(job_id, validator, owed);
			}
		}
		// Validators on the winning side gain reputation, those on the losing side lose it.
		for verdict in verdicts.iter() {
			let Some(vote) = verdict.vote else { continue };
			let said_fraud = vote == Vote::Fraud;
			match decision {
				Decision::Fraud if said_fraud => T::Hosts::record_success(&verdict.validator),
				Decision::Overturned if !said_fraud => T::Hosts::record_success(&verdict.validator),
				Decision::Fraud | Decision::Overturned => T::Hosts::record_miss(&verdict.validator),
				Decision::Undecided => {},
			}
		}
		// A dispute about a validator's probe, which the executor contested, rather than about
		// the result: "fraud" is then the validator's (it passed without computing).
		let contested = match decision {
			Decision::Fraud | Decision::Overturned => ContestedProbes::<T>::take(job_id),
			Decision::Undecided => None,
		};
		match decision {
			Decision::Fraud => {
				T::Hosts::record_success(&accuser);
				let mut winners = alloc::vec![accuser];
				winners.extend(
					verdicts.iter().filter(|v| v.says_fraud()).map(|v| v.validator.clone()),
				);
				if let Some((validator, _)) = contested {
					let slashed =
						Self::slash_to_winners(&validator, T::FraudSlash::get(), &winners);
					T::Hosts::record_miss(&validator);
					T::Hosts::forfeit_reputation(&validator);
					Self::deposit_event(Event::LazyValidatorCaught { job_id, validator, slashed });
					// Nobody who computed passed it: the result stands, unchecked.
					Self::settle(job_id, job, JobEnd::Completed, &[]);
					return;
				}
				// A disputed job has its executor; without one, there is nobody to slash.
				if let Some(executor) = job.executor.clone() {
					let penalty = Self::fraud_penalty(&executor, &job);
					let slashed = Self::slash_to_winners(&executor, penalty, &winners);
					T::Hosts::record_miss(&executor);
					// Its standing goes: each of its results is checked until it earns it back.
					T::Hosts::forfeit_reputation(&executor);
					T::Work::record_missed(&executor);
					T::Hosts::jail(&executor, T::FraudJail::get());
					Self::deposit_event(Event::FraudConfirmed { job_id, executor, slashed });
				}
				Self::refund(job_id, job, JobEnd::Fraud);
			},
			Decision::Overturned => {
				// The accused: the executor, or the validator whose probe it contested.
				let accused = contested.as_ref().map(|(validator, _)| validator.clone());
				let accused = accused.or_else(|| job.executor.clone());
				let slashed =
					T::Hosts::slash(&accuser, T::FalseAccusationSlash::get(), accused.as_ref());
				T::Hosts::record_miss(&accuser);
				Self::deposit_event(Event::AccusationOverturned { job_id, accuser, slashed });
				// The validators that found the result (or the probe) right checked it: they
				// share the pay, with the validator whose probe was contested first.
				let mut checkers =
					contested.map(|(validator, _)| validator).into_iter().collect::<Vec<_>>();
				checkers.extend(
					verdicts.iter().filter(|v| v.says_valid()).map(|v| v.validator.clone()),
				);
				Self::settle(job_id, job, JobEnd::Validated, &checkers);
			},
			Decision::Undecided => {
				Self::deposit_event(Event::DisputeRoundFailed { job_id, round, silent });
				let next = round.saturating_add(1);
				if moved || next >= T::DisputeRounds::get() || Self::queue_draw(job_id).is_err() {
					Self::unresolved(job_id, job);
					return;
				}
				// The validators are drawn again from a later relay block's seed.
				let before = job.roles();
				job.status = JobStatus::Accused { accuser, round: next, since: now };
				Self::put_job(job_id, &before, job);
			},
		}
	}

	/// Ends a dispute that could not be decided ([`Event::DisputeUnresolved`]): an accused
	/// result is refunded in full and nobody is paid ([`JobEnd::Unresolved`]); a result whose
	/// validator's probe was contested stands unchecked, as if not drawn for validation
	/// ([`JobEnd::Completed`]).
	pub(crate) fn unresolved(job_id: JobId, job: Job<T>) {
		Self::deposit_event(Event::DisputeUnresolved { job_id });
		if ContestedProbes::<T>::take(job_id).is_some() {
			Self::settle(job_id, job, JobEnd::Completed, &[]);
		} else {
			Self::refund(job_id, job, JobEnd::Unresolved);
		}
	}

	/// A validator owed a verdict and gave none: it loses [`Config::SilenceSlash`] of its bond,
	/// or `owed` (the pay of the verdict) where that is more, to the treasury, and reputation.
	pub(crate) fn punish_silence(job_id: JobId, validator: &T::AccountId, owed: BalanceOf<T>) {
		T::Hosts::record_miss(validator);
		let share = Self::share_of_bond(validator, owed).max(T::SilenceSlash::get());
		let slashed = T::Hosts::slash(validator, share, Some(&T::Treasury::get()));
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
		Self::share_of_bond(executor, needed).max(T::FraudSlash::get())
	}

	/// The least share of `host`'s bond that is at least `amount`: all of it when the bond is
	/// smaller (or zero).
	pub(crate) fn share_of_bond(host: &T::AccountId, amount: BalanceOf<T>) -> Perbill {
		let bond = T::Hosts::bond(host);
		if amount.is_zero() {
			return Perbill::zero();
		}
		if bond.is_zero() || amount >= bond {
			return Perbill::one();
		}
		Perbill::from_rational_with_rounding(amount, bond, Rounding::Up)
			.unwrap_or_else(|_| Perbill::one())
	}

	/// Slashes `share` of `culprit`'s bond into the pallet's account and shares what arrived
	/// equally among `winners`, the first taking the remainder. Returns the amount shared.
	pub(crate) fn slash_to_winners(
		culprit: &T::AccountId,
		share: Perbill,
		winners: &[T::AccountId],
	) -> BalanceOf<T> {
		let pot = Self::account_id();
		let before = T::Currency::balance(&pot);
		T::Hosts::slash(culprit, share, Some(&pot));
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
}
