//! The invariants, checked by `try_state` and after every test.

#![deny(
	clippy::arithmetic_side_effects,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::unwrap_used
)]

use super::*;

impl<T: Config> Pallet<T> {
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
		let mut by_host: BTreeMap<T::AccountId, BTreeSet<JobId>> = BTreeMap::new();
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
			ensure!(
				Self::escrow_for(job.price_per_token, job.prompt_tokens, job.max_output_tokens)
					.is_some(),
				"a job's escrow overflows"
			);
			let escrow = escrows.entry(job.consumer.clone()).or_default();
			*escrow = escrow.saturating_add(job.escrow());
			by_consumer.entry(job.consumer.clone()).or_default().insert(id);
			for host in job.roles() {
				by_host.entry(host).or_default().insert(id);
			}
			let in_bucket = || Deadlines::<T>::get(job.deadline).contains(&id);
			// A dispute about a validator's probe is the executor's accusation of it.
			let contested = ContestedProbes::<T>::get(id);
			let accusers_ok = |accuser: &T::AccountId| match &contested {
				Some((validator, _)) => {
					job.executed_by(accuser)
						&& !job.executed_by(validator)
						&& validator != &job.consumer
				},
				None => !job.executed_by(accuser) && accuser != &job.consumer,
			};
			if contested.is_some() {
				ensure!(
					matches!(job.status, JobStatus::Accused { .. } | JobStatus::Disputed { .. }),
					"a contested probe's job is not in a dispute"
				);
			}
			match &job.status {
				JobStatus::Assigned => {
					ensure!(job.delivery.is_none(), "an assigned job has a delivery");
					ensure!(job.delivered_at.is_none(), "an undelivered job has a delivery block");
					ensure!(in_bucket(), "an assigned job is not in its deadline's bucket");
				},
				JobStatus::Delivered | JobStatus::Checking => {
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
					ensure!(accusers_ok(accuser), "an accuser is not who may accuse");
				},
				JobStatus::Validating { verdict } => {
					ensure!(job.delivery.is_some(), "a validated job has no delivery");
					ensure!(in_bucket(), "a validated job is not in its deadline's bucket");
					ensure!(verdict.vote.is_none(), "a validation's verdict is pending");
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
						verdicts.iter().any(|v| v.vote.is_none()),
						"a dispute with every verdict is still open"
					);
					ensure!(accusers_ok(accuser), "an accuser is not who may accuse");
					for validator in verdicts.iter().map(|v| &v.validator) {
						ensure!(
							!job.executed_by(validator) && validator != &job.consumer,
							"a validator is the executor or the consumer"
						);
						ensure!(
							contested.as_ref().is_none_or(|(accused, _)| accused != validator),
							"a validator judges its own contested probe"
						);
					}
				},
				JobStatus::Probing { validator, .. } => {
					ensure!(in_bucket(), "a probed job is not in its deadline's bucket");
					ensure!(
						job.probe_position(id).is_some(),
						"a probe is shown for a result without a probe position"
					);
					ensure!(
						!job.executed_by(validator) && validator != &job.consumer,
						"a validator is the executor or the consumer"
					);
				},
			}
		}
		ensure!(count == Jobs::<T>::count(), "the job counter does not match the jobs");
		for (id, _) in ContestedProbes::<T>::iter() {
			ensure!(Jobs::<T>::contains_key(id), "a contested probe outlives its job");
		}
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
		let mut hosts = 0usize;
		for (host, list) in WorkOf::<T>::iter() {
			hosts = hosts.saturating_add(1);
			let listed = list.iter().copied().collect::<BTreeSet<_>>();
			ensure!(listed.len() == list.len(), "a host's job list has a duplicate");
			ensure!(
				by_host.get(&host) == Some(&listed),
				"a host's job list does not match the open jobs it has a part in"
			);
		}
		ensure!(hosts == by_host.len(), "a host with a part in an open job has no job list");
		for (consumer, escrow) in escrows.iter() {
			let held = T::Currency::balance_on_hold(&HoldReason::JobEscrow.into(), consumer);
			ensure!(held == *escrow, "a consumer's held escrow is not the sum of its jobs'");
		}
		let cursor = DeadlineCursor::<T>::get();
		ensure!(
			cursor.is_none_or(|cursor| cursor <= now.saturating_add(One::one())),
			"the deadline cursor is past the next block"
		);
		for (block, bucket) in Deadlines::<T>::iter() {
			ensure!(!bucket.is_empty(), "an empty deadline bucket is stored");
			ensure!(
				cursor.is_none_or(|cursor| cursor <= block),
				"a deadline bucket older than the cursor is never handled"
			);
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
			ensure!(
				outcome.protocol_fee.saturating_add(outcome.validation_fee) <= outcome.fee,
				"the treasury's and validators' parts exceed the fee"
			);
			ensure!(
				outcome.validation_fee.is_zero() || outcome.end == JobEnd::Validated,
				"validators were paid for a job nobody validated"
			);
			if outcome.end.refunds_in_full() {
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
