//! What the calls do: submitting a job, a result, a verdict; cancelling.

#![deny(
	clippy::arithmetic_side_effects,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::unwrap_used
)]

use super::*;

impl<T: Config> Pallet<T> {
	/// The escrow of a job: `(prompt_tokens + max_output_tokens) * price`.
	pub(crate) fn escrow_for(
		price: BalanceOf<T>,
		prompt_tokens: u32,
		max_output_tokens: u32,
	) -> Option<BalanceOf<T>> {
		let tokens = prompt_tokens.checked_add(max_output_tokens)?;
		price.checked_mul(&BalanceOf::<T>::from(tokens))
	}

	/// Checks a job request against the model's terms and returns the price and escrow.
	pub(crate) fn check_request(
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

	/// Submits one job: [`Self::do_submit_jobs`] with a batch of one.
	pub(crate) fn do_submit_job(
		who: T::AccountId,
		model: ModelId,
		payload: Payload<T>,
		max_output_tokens: u32,
		max_price_per_token: BalanceOf<T>,
		params: JobParams,
		queue_bound: u32,
	) -> Result<JobId, DispatchError> {
		let request = JobRequest { payload, max_output_tokens, params };
		let ids = Self::do_submit_jobs(
			who,
			model,
			max_price_per_token,
			alloc::vec![request],
			queue_bound,
		)?;
		ids.first().copied().ok_or_else(|| Error::<T>::EmptyBatch.into())
	}

	/// Checks one job request on its own (its parameters, payload and sizes against the
	/// model's terms, its price against the limit) and returns the model's terms, the prompt's
	/// tokens and the escrow.
	fn check_job(
		model: ModelId,
		request: &JobRequest<T>,
		max_price_per_token: BalanceOf<T>,
	) -> Result<(daya_primitives::ModelTerms<BalanceOf<T>>, u32, BalanceOf<T>), DispatchError> {
		let JobRequest { payload, max_output_tokens, params } = request;
		let max_output_tokens = *max_output_tokens;
		ensure!(params.is_valid(), Error::<T>::InvalidParams);
		ensure!(!payload.is_empty(), Error::<T>::EmptyPayload);
		ensure!(core::str::from_utf8(payload).is_ok(), Error::<T>::PayloadNotText);
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
		Ok((terms, prompt_tokens, escrow))
	}

	/// Submits a consumer's batch of jobs for one model, whole or not at all: every job is
	/// checked on its own first, then the batch against the consumer's open jobs, the market,
	/// the draw queue, the hosts (one that can take the batch's largest job of each duty) and
	/// the consumer's balance (all the escrows, held at once). The batch's draws may take the
	/// queue up to `queue_bound` draws: [`Self::submission_draws`] for a consumer's call (the
	/// benchmarks' setups queue more, as the market's own draws may). Returns the jobs' ids, in
	/// the batch's order (consecutive).
	pub(crate) fn do_submit_jobs(
		who: T::AccountId,
		model: ModelId,
		max_price_per_token: BalanceOf<T>,
		requests: Vec<JobRequest<T>>,
		queue_bound: u32,
	) -> Result<Vec<JobId>, DispatchError> {
		ensure!(!requests.is_empty(), Error::<T>::EmptyBatch);
		let mut checked = Vec::with_capacity(requests.len());
		let mut total = BalanceOf::<T>::zero();
		// The largest escrow of the batch's greedy and sampled jobs: a host whose bond covers
		// its fraud penalty can take every job of that duty.
		let mut largest: [(Duty, Option<BalanceOf<T>>); 2] =
			[(Duty::Greedy, None), (Duty::Sampled, None)];
		for request in requests {
			let (terms, prompt_tokens, escrow) =
				Self::check_job(model, &request, max_price_per_token)?;
			total = total.checked_add(&escrow).ok_or(Error::<T>::Overflow)?;
			let duty = Duty::of_job(request.params.temperature_milli);
			for (of, most) in largest.iter_mut() {
				if *of == duty {
					*most = Some(most.map_or(escrow, |most| most.max(escrow)));
				}
			}
			checked.push((request, terms, prompt_tokens, escrow));
		}
		let count = u32::try_from(checked.len()).map_err(|_| Error::<T>::TooManyOpenJobs)?;

		let mut open = JobsOf::<T>::get(&who).unwrap_or_default();
		ensure!(
			open.len().saturating_add(checked.len()) <= T::MaxOpenJobsPerAccount::get() as usize,
			Error::<T>::TooManyOpenJobs
		);
		ensure!(
			Jobs::<T>::count().saturating_add(count) <= T::MaxOpenJobs::get(),
			Error::<T>::MarketFull
		);

		let first_id = NextJobId::<T>::get();
		let next_id = first_id.checked_add(JobId::from(count)).ok_or(Error::<T>::Overflow)?;
		// The executors are drawn later, from randomness this block's author does not know; a
		// job that no host could take (none serves the model, or none whose bond covers the
		// job's fraud penalty) is refused now, holding nothing.
		for (duty, escrow) in largest {
			let Some(escrow) = escrow else { continue };
			ensure!(
				T::Hosts::select_host(
					model,
					duty,
					core::slice::from_ref(&who),
					[0u8; 32],
					Self::bond_needed_for(escrow),
				)
				.is_some(),
				Error::<T>::NoHostAvailable
			);
		}
		ensure!(
			T::Currency::can_hold(&HoldReason::JobEscrow.into(), &who, total),
			Error::<T>::InsufficientBalance
		);
		ensure!(
			Draws::<T>::decode_len().unwrap_or(0).saturating_add(checked.len())
				<= queue_bound as usize,
			Error::<T>::DrawsFull
		);
		T::Currency::hold(&HoldReason::JobEscrow.into(), &who, total)
			.map_err(|_| Error::<T>::InsufficientBalance)?;

		let now = frame_system::Pallet::<T>::block_number();
		let mut ids = Vec::with_capacity(checked.len());
		let mut job_id = first_id;
		for (request, terms, prompt_tokens, escrow) in checked {
			let JobRequest { payload, max_output_tokens, params } = request;
			Self::queue_draw(job_id)?;
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
				model_version: terms.version,
				sampling_key: H256::zero(),
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
			Self::deposit_event(Event::JobSubmitted {
				job_id,
				consumer: who.clone(),
				model,
				escrow,
				payload_hash,
			});
			ids.push(job_id);
			job_id = job_id.saturating_add(1);
		}
		JobsOf::<T>::insert(&who, open);
		NextJobId::<T>::put(next_id);
		Ok(ids)
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
		// The text is what its tokens decode to: at most their count times the model's most
		// bytes per token, however much room the global bound leaves.
		let per_token = T::Models::terms(job.model).map_or(u32::MAX, |t| t.max_token_bytes);
		ensure!(
			result.output.len() as u64
				<= u64::from(usage.completion_tokens).saturating_mul(u64::from(per_token)),
			Error::<T>::OutputTooLong
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
		probe: Option<Fingerprint>,
	) -> Result<Option<Weight>, DispatchError> {
		let mut job = Jobs::<T>::get(job_id).ok_or(Error::<T>::UnknownJob)?;
		let before = job.roles();
		let now = frame_system::Pallet::<T>::block_number();
		let passes = judgement.is_valid();
		match &mut job.status {
			JobStatus::Validating { verdict } => {
				ensure!(verdict.validator == who, Error::<T>::NotValidator);
				ensure!(verdict.vote.is_none(), Error::<T>::AlreadyVoted);
				ensure!(now < job.deadline, Error::<T>::DeadlinePassed);
				Self::deposit_event(Event::VerdictSubmitted {
					job_id,
					validator: who.clone(),
					judgement,
				});
				if !passes {
					// The dispute's validators are drawn from a later relay block's seed.
					Self::queue_draw(job_id)?;
					Self::unschedule(job_id, job.deadline);
					job.status = JobStatus::Accused { accuser: who, round: 0, since: now };
					Self::put_job(job_id, &before, job);
					return Ok(Some(Self::accuse_weight()));
				}
				// A pass shows what only running the model gives, for the executor to judge.
				// Reputation follows from checked verdicts only: never from a pass, so that
				// passing results unchecked does not earn a host fewer checks of its own.
				if !Self::probed(job_id, &job) {
					Self::settle(job_id, job, JobEnd::Validated, &[who]);
					return Ok(Some(Self::pass_weight()));
				}
				let probe = probe.ok_or(Error::<T>::ProbeMissing)?;
				Self::unschedule(job_id, job.deadline);
				let from = now.saturating_add(T::ValidationPeriod::get());
				let deadline = Self::schedule(job_id, from).ok_or(Error::<T>::DeadlinesFull)?;
				// Charged for the buckets it tried: the first with room is the last tried.
				let tried = deadline.saturating_sub(from).saturated_into::<u32>().saturating_add(1);
				job.deadline = deadline;
				job.status = JobStatus::Probing { validator: who.clone(), probe };
				Jobs::<T>::insert(job_id, job);
				Self::deposit_event(Event::ProbeShown { job_id, validator: who, deadline });
				return Ok(Some(Self::probe_pass_weight(tried)));
			},
			JobStatus::Probing { validator, probe } => {
				let (validator, probe) = (validator.clone(), *probe);
				ensure!(job.executed_by(&who), Error::<T>::NotValidator);
				ensure!(now < job.deadline, Error::<T>::DeadlinePassed);
				Self::deposit_event(Event::VerdictSubmitted {
					job_id,
					validator: who.clone(),
					judgement,
				});
				if passes {
					// The executor recognises its model's numbers: the validator computed.
					Self::settle(job_id, job, JobEnd::Validated, &[validator]);
					return Ok(Some(Self::pass_weight()));
				}
				// The dispute's validators judge the probe.
				Self::queue_draw(job_id)?;
				Self::unschedule(job_id, job.deadline);
				ContestedProbes::<T>::insert(job_id, (validator.clone(), probe));
				job.status = JobStatus::Accused { accuser: who, round: 0, since: now };
				Self::put_job(job_id, &before, job);
				Self::deposit_event(Event::ProbeContested { job_id, validator });
			},
			JobStatus::Disputed { verdicts, .. } => {
				let verdict = verdicts
					.iter_mut()
					.find(|v| v.validator == who)
					.ok_or(Error::<T>::NotValidator)?;
				ensure!(verdict.vote.is_none(), Error::<T>::AlreadyVoted);
				ensure!(now < job.deadline, Error::<T>::DeadlinePassed);
				verdict.vote = Some(judgement.into());
				let complete = verdicts.iter().all(|v| v.vote.is_some());
				Self::deposit_event(Event::VerdictSubmitted { job_id, validator: who, judgement });
				if complete {
					Self::decide_dispute(job_id, job, now);
				} else {
					Jobs::<T>::insert(job_id, job);
				}
			},
			JobStatus::Assigned
			| JobStatus::Delivered
			| JobStatus::Checking
			| JobStatus::Unassigned { .. }
			| JobStatus::Accused { .. } => Err(Error::<T>::NotValidator)?,
		}
		// A probe contested, a dispute's verdict or its decision: the declared weight.
		Ok(None)
	}

	/// Takes `who`'s results one by one, each in its own storage layer: a refused one is
	/// rolled back and reported. Returns whether any was refused.
	pub(crate) fn do_submit_results(who: T::AccountId, results: Vec<ResultItem<T>>) -> bool {
		let mut refused = false;
		for ResultItem { job_id, result } in results {
			let taken = polkadot_sdk::frame_support::storage::with_storage_layer(|| {
				Self::do_submit_result(who.clone(), job_id, result)
			});
			if let Err(error) = taken {
				refused = true;
				Self::deposit_event(Event::ResultRefused { job_id, executor: who.clone(), error });
			}
		}
		refused
	}

	/// Takes `who`'s verdicts one by one, each in its own storage layer: a refused one is
	/// rolled back and reported. Returns the weight to charge and whether any was refused.
	///
	/// Each verdict is charged what [`Self::do_submit_verdict`] charges it (its declared
	/// bound where it names none, a refused one too), except the executor's recognitions
	/// after one that paid the treasury: the executor's records, the treasury's account and
	/// the outcome index's ends are then in the block's overlay, and each is charged what one
	/// more recognition adds ([`Self::recognise_more_weight`]).
	pub(crate) fn do_submit_verdicts(
		who: T::AccountId,
		verdicts: Vec<VerdictItem>,
	) -> (Weight, bool) {
		let mut weight = Weight::zero();
		let (mut refused, mut treasury_touched) = (false, false);
		for VerdictItem { job_id, judgement, probe } in verdicts {
			let taken = polkadot_sdk::frame_support::storage::with_storage_layer(|| {
				Self::do_submit_verdict(who.clone(), job_id, judgement, probe)
			});
			let charge = match taken {
				Ok(Some(charge)) => {
					// Only the executor settles a job by a verdict on a probe (a recognition);
					// its outcome, just written, is in the overlay.
					let recognised = Outcomes::<T>::get(job_id).filter(|o| {
						o.end == JobEnd::Validated && o.executor.as_ref() == Some(&who)
					});
					match recognised {
						Some(_) if treasury_touched => Self::recognise_more_weight(),
						Some(outcome) => {
							treasury_touched = !outcome.protocol_fee.is_zero();
							charge.max(Self::recognise_first_weight())
						},
						None => charge,
					}
				},
				Ok(None) => Self::verdict_weight(),
				Err(error) => {
					refused = true;
					Self::deposit_event(Event::VerdictRefused { job_id, host: who.clone(), error });
					Self::verdict_weight()
				},
			};
			weight = weight.saturating_add(charge);
		}
		(weight, refused)
	}

	/// Whether a pass of `job`'s result must show a probe for its executor to judge: the
	/// result has a probe position, and its executor runs the model itself (a greedy-only
	/// executor shows no hidden states, and its results carry no fingerprints).
	pub(crate) fn probed(job_id: JobId, job: &Job<T>) -> bool {
		job.probe_position(job_id).is_some()
			&& job
				.executor
				.as_ref()
				.and_then(T::Hosts::executor_kind)
				.is_some_and(|kind| kind.can(Duty::Validate))
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
			| JobStatus::Checking
			| JobStatus::Validating { .. }
			| JobStatus::Probing { .. }
			| JobStatus::Disputed { .. }
			| JobStatus::Accused { .. } => Err(Error::<T>::CannotCancel)?,
		}
		Ok(())
	}
}
