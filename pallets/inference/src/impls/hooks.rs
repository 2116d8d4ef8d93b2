//! The hooks: deadlines in `on_initialize`, the draws after the inherents, pruning outcomes in
//! `on_idle`, and what each costs.

#![deny(
	clippy::arithmetic_side_effects,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::unwrap_used
)]

use super::*;

impl<T: Config> Pallet<T> {
	/// Handles a job of the bucket of `block` (at most `now`) whose current step timed out at
	/// that block's start, if it did, and returns what that cost.
	pub(crate) fn time_out(
		job_id: JobId,
		block: BlockNumberFor<T>,
		now: BlockNumberFor<T>,
	) -> Weight {
		let skipped = T::DbWeight::get().reads(1);
		let Some(job) = Jobs::<T>::get(job_id) else { return skipped };
		if job.deadline != block || job.status.awaits_draw() {
			return skipped;
		}
		// Every timed-out step reads the model's registry entry too (its version), and takes
		// the job out of its hosts' lists.
		Self::time_out_step(job_id, job, now)
			.saturating_add(skipped)
			.saturating_add(T::DbWeight::get().reads(1))
			.saturating_add(Self::lists_weight())
	}

	/// [`Self::time_out`] of a job whose step timed out now: what it did and what that cost.
	fn time_out_step(job_id: JobId, mut job: Job<T>, now: BlockNumberFor<T>) -> Weight {
		match &job.status {
			// Cancelled while assigned and no result came: refunded in full, and the executor,
			// which may have stopped working on it, is not held to have missed.
			JobStatus::Assigned if job.cancel_requested => {
				Self::refund(job_id, job, JobEnd::Cancelled);
				T::WeightInfo::cancel_job()
			},
			// The model moved to another version and its executor with it: nobody missed.
			JobStatus::Assigned if Self::version_moved(&job) => {
				Self::release(job_id, job);
				T::WeightInfo::cancel_job()
			},
			JobStatus::Assigned => {
				let before = job.roles();
				let missed = job.executor.take();
				if let Some(executor) = &missed {
					T::Hosts::record_miss(executor);
					T::Work::record_missed(executor);
				}
				// The first miss sends the job back to be drawn again, among the other hosts.
				if !job.reassigned && missed.is_some() && Self::queue_draw(job_id).is_ok() {
					job.status = JobStatus::Unassigned { missed_by: missed };
					Self::put_job(job_id, &before, job);
					return Self::reassign_weight();
				}
				job.executor = missed;
				Self::refund(job_id, job, JobEnd::Expired);
				Self::reassign_weight().saturating_add(T::WeightInfo::cancel_job())
			},
			JobStatus::Validating { verdict } => {
				let validator = verdict.validator.clone();
				// A validator that moved to the model's new version could not check the old.
				if !Self::version_moved(&job) {
					Self::punish_silence(job_id, &validator, Self::validator_pay(&job));
				}
				Self::deposit_event(Event::ValidationSkipped {
					job_id,
					missed_by: Some(validator),
				});
				Self::settle(job_id, job, JobEnd::Completed, &[]);
				Self::settle_weight().saturating_add(Self::silence_weight())
			},
			// The executor did not judge the probe: the pass stands (silence never convicts),
			// and the executor missed a duty.
			JobStatus::Probing { validator, .. } => {
				let validator = validator.clone();
				if let Some(executor) = job.executor.clone() {
					T::Hosts::record_miss(&executor);
					Self::deposit_event(Event::ProbeUnanswered { job_id, executor });
				}
				Self::settle(job_id, job, JobEnd::Validated, &[validator]);
				Self::settle_weight().saturating_add(Self::silence_weight())
			},
			JobStatus::Disputed { .. } => {
				Self::decide_dispute(job_id, job, now);
				Self::decide_weight().saturating_add(
					Self::silence_weight().saturating_mul(u64::from(T::DisputeValidators::get())),
				)
			},
			JobStatus::Delivered
			| JobStatus::Checking
			| JobStatus::Unassigned { .. }
			| JobStatus::Accused { .. } => Weight::zero(),
		}
	}

	/// The most one deadline can cost [`Self::time_out`], whatever the step that timed out:
	/// a reassignment or a refund, a silent validator's slash and a settlement, or a dispute's
	/// decision with each of its validators silent.
	pub(crate) fn time_out_bound() -> Weight {
		let step = Self::reassign_weight()
			.saturating_add(T::WeightInfo::cancel_job())
			.max(Self::settle_weight().saturating_add(Self::silence_weight()))
			.max(Self::decide_weight().saturating_add(
				Self::silence_weight().saturating_mul(u64::from(T::DisputeValidators::get())),
			));
		step.saturating_add(T::DbWeight::get().reads(2))
			.saturating_add(Self::lists_weight())
	}

	/// What `on_initialize` costs before any deadline or draw: the benchmarked hook with
	/// nothing to do, the draws after the inherents with none to run, and reading and writing
	/// the cursor and the draws' allowance.
	pub fn hook_base_weight() -> Weight {
		T::WeightInfo::on_initialize_deadlines(0)
			.saturating_add(Self::draws_weight(0))
			.saturating_add(T::DbWeight::get().reads_writes(1, 2))
	}

	/// What moving a job in [`WorkOf`] costs at most where a weight's benchmark does not show
	/// it (a time-out's step, whose branches the bound takes from other benchmarks; the draws'
	/// picks; a verdict's declared bound): a read and a write of the list of each host with a
	/// part in it, the executor and a dispute's validators. The verdicts' own benchmarks move
	/// the lists their paths move (a settling pass the executor's and the validator's, an
	/// accusation the accuser's, a decision every dispute validator's), so their charges after
	/// dispatch add nothing for them.
	pub(crate) fn lists_weight() -> Weight {
		let hosts = u64::from(T::DisputeValidators::get()).saturating_add(1);
		T::DbWeight::get().reads_writes(hosts, hosts)
	}

	/// What punishing one silent validator costs, at most: a slash of its bond and a
	/// reputation write, bounded by the benchmarked decision of a dispute, which slashes an
	/// accuser and settles the job besides.
	pub(crate) fn silence_weight() -> Weight {
		T::WeightInfo::submit_verdict_decide()
	}

	/// What drawing a validator for one result costs.
	pub(crate) fn sample_weight() -> Weight {
		T::WeightInfo::on_initialize_sample(1)
			.saturating_sub(T::WeightInfo::on_initialize_sample(0))
	}

	/// What reassigning one job costs in `on_initialize`.
	pub(crate) fn reassign_weight() -> Weight {
		T::WeightInfo::on_initialize_deadlines(1)
			.saturating_sub(T::WeightInfo::on_initialize_deadlines(0))
	}

	/// What a verdict is declared at: the costliest of a pass that settles the job, a
	/// validator's pass that shows its probe, an accusation and a dispute's decision, with the
	/// lists of the hosts it moves the job for. [`Pallet::submit_verdict`] charges the first
	/// three at their own weights after the fact.
	pub fn verdict_weight() -> Weight {
		T::WeightInfo::submit_verdict_pass()
			.max(T::WeightInfo::submit_verdict_probe(DEADLINE_PROBES))
			.max(T::WeightInfo::submit_verdict_accuse())
			.max(Self::decide_weight())
			.saturating_add(Self::lists_weight())
	}

	/// What a pass that settles the job costs (the validator's where no probe is needed, the
	/// executor's on recognising the probe): its benchmark, which takes the job out of the
	/// executor's and the validator's lists.
	pub fn pass_weight() -> Weight {
		T::WeightInfo::submit_verdict_pass()
	}

	/// What a result with `output` bytes of text costs: its benchmark (a result with every
	/// fingerprint), and the read of the executor's kind that one without takes.
	pub fn result_weight(output: u32) -> Weight {
		T::WeightInfo::submit_result(output).saturating_add(T::DbWeight::get().reads(1))
	}

	/// What a batch of results ([`Pallet::submit_results`]) with these outputs' lengths costs:
	/// each at [`Self::result_weight`].
	pub fn results_weight(outputs: impl Iterator<Item = u32>) -> Weight {
		outputs
			.fold(Weight::zero(), |total, output| total.saturating_add(Self::result_weight(output)))
	}

	/// What a batch of `n` verdicts ([`Pallet::submit_verdicts`]) is declared at: `n` times
	/// the dearest verdict (at least one).
	pub fn verdicts_weight(n: u32) -> Weight {
		Self::verdict_weight().saturating_mul(u64::from(n.max(1)))
	}

	/// What the first of an executor's recognitions in a batch costs (one alone, or the first
	/// of `submit_verdicts`, the dearer).
	pub fn recognise_first_weight() -> Weight {
		Self::pass_weight().max(T::WeightInfo::submit_verdicts(1))
	}

	/// What one more of an executor's recognitions adds to a batch in which one has already
	/// paid the treasury (`submit_verdicts`' slope): its consumer's hold and account, its
	/// validator's pay and list, the job and its outcome.
	pub fn recognise_more_weight() -> Weight {
		Self::slope(T::WeightInfo::submit_verdicts(2), T::WeightInfo::submit_verdicts(1))
	}

	/// What a validator's pass that shows its probe costs: the job's deadline moves, into the
	/// `tried`-th bucket it tried (1 where the first had room, at most `DEADLINE_PROBES`, four);
	/// the job's hosts keep their parts, so no list moves.
	pub fn probe_pass_weight(tried: u32) -> Weight {
		T::WeightInfo::submit_verdict_probe(tried.clamp(1, DEADLINE_PROBES))
	}

	/// What an accusation costs: the dispute queued for its draw, the parts moved in the hosts'
	/// lists (in its benchmark).
	pub fn accuse_weight() -> Weight {
		T::WeightInfo::submit_verdict_accuse()
	}

	/// What deciding a dispute costs: the benchmarked decision, and taking a contested probe.
	pub(crate) fn decide_weight() -> Weight {
		T::WeightInfo::submit_verdict_decide().saturating_add(T::DbWeight::get().reads_writes(1, 1))
	}

	/// What a submission of one job is declared at: its benchmark (which reads one host's
	/// record), and the further picks of a host whose bond covers the job: a host whose bond is
	/// short is left out and another picked, up to `MAX_BOND_PICKS` reads of the registry. Their
	/// proof is charged after dispatch where it is larger than the benchmark's (the runtime's
	/// storage-weight reclaim).
	pub fn submit_job_weight(payload: u32) -> Weight {
		T::WeightInfo::submit_job(payload)
			.saturating_add(T::DbWeight::get().reads(u64::from(MAX_BOND_PICKS.saturating_sub(1))))
	}

	/// What a batch of `jobs`, `bytes` of payload in all, is declared at: its benchmark, and the
	/// further picks of a host for each duty (greedy and sampled jobs), as for one job
	/// ([`Self::submit_job_weight`]).
	pub fn submit_jobs_weight(jobs: u32, bytes: u32) -> Weight {
		let picks = MAX_BOND_PICKS.saturating_mul(2).saturating_sub(1);
		T::WeightInfo::submit_jobs(jobs, bytes)
			.saturating_add(T::DbWeight::get().reads(u64::from(picks)))
	}

	/// The most settling one job costs: the dearer of the verdict that settles one and the
	/// first settlement of a block's draws.
	pub(crate) fn settle_weight() -> Weight {
		T::WeightInfo::submit_verdict_pass().max(T::WeightInfo::settle(1))
	}

	/// What a settlement by the block's draws costs (benchmarked as `settle`): the `first`
	/// reads and writes what every settlement shares; each later one costs the benchmark's
	/// slope, what one more settlement adds in the same block.
	pub fn draw_settle_weight(first: bool) -> Weight {
		if first {
			T::WeightInfo::settle(1)
		} else {
			Self::slope(T::WeightInfo::settle(2), T::WeightInfo::settle(1))
		}
	}

	/// What a later settlement of the block's draws costs when earlier ones wrote its
	/// consumer's keys (hold, account, list of open jobs) and its executor's (account, record,
	/// service, list of work), which it finds in the overlay: `settle_shared`'s slope, the
	/// settlements of one consumer's batch executed by one host. [`Self::draw_settle_weight`]'s
	/// benchmark gives each settlement another consumer and executor.
	pub fn draw_settle_shared_weight() -> Weight {
		Self::slope(T::WeightInfo::settle_shared(2), T::WeightInfo::settle_shared(1))
	}

	/// The most one queued draw of `kind` can cost:
	///
	/// - [`DrawKind::Assign`]: drawing an executor (benchmarked as `draw_assign`), or ending
	///   the job when none can take it or the model moved on (at most a cancellation);
	/// - [`DrawKind::Sample`]: drawing whether a result is validated, then settling it or
	///   drawing its validator (`on_initialize_sample`, and a settlement);
	/// - [`DrawKind::Dispute`]: drawing a dispute's validators (`draw_dispute`), or ending the
	///   job unresolved when none can be drawn in time or the model moved on (a settlement
	///   where a contested probe's pass stands, else a refund);
	/// - [`DrawKind::Skip`]: reading a job that needs no draw (it ended, or moved on), at most
	///   what an assignment reads and writes of it.
	///
	/// Each is first read by `on_initialize`, to know its kind. Each that draws also reads the
	/// model's registry entry (whether the model moved to another version than the job's) and
	/// a contested probe's validator; for each host drawn, up to [`MAX_BUSY_PICKS`] picks, each
	/// reading the bonds of up to `MAX_BOND_PICKS` hosts and the pick's list; and it writes the
	/// lists of the hosts given a part.
	pub fn draw_bound(kind: DrawKind) -> Weight {
		let assign = Self::assign_weight();
		let (own, drawn) = match kind {
			DrawKind::Skip => return assign.saturating_add(T::DbWeight::get().reads(1)),
			DrawKind::Assign => (assign.max(T::WeightInfo::cancel_job()), 1),
			DrawKind::Sample => (Self::sample_weight().saturating_add(Self::settle_weight()), 1),
			DrawKind::Dispute => (
				Self::slope(T::WeightInfo::draw_dispute(1), T::WeightInfo::draw_dispute(0))
					.max(Self::settle_weight())
					.max(T::WeightInfo::cancel_job()),
				T::DisputeValidators::get(),
			),
		};
		Self::draw_with(own, MAX_BUSY_PICKS.saturating_mul(drawn), Self::lists_weight())
	}

	/// What a draw of `kind` that ran cost, by how it left its job (`end`) and the registry
	/// draws it made (`picks`), the proof at the benchmarks' estimates; at most
	/// [`Self::draw_bound`]:
	///
	/// - [`DrawKind::Assign`]: an executor drawn, or the draw left to wait (busy hosts, a full
	///   bucket): the draw (`draw_assign`'s slope); the job ended (no host can take it, or the
	///   model moved on): at most a cancellation;
	/// - [`DrawKind::Sample`]: a validator drawn, or the check left to wait: the sample
	///   (`on_initialize_sample`'s slope); the result settled unchecked: the sample and a
	///   settlement of the block's draws ([`Self::draw_settle_weight`], or
	///   [`Self::draw_settle_shared_weight`] where earlier ones wrote both its consumer's and
	///   its executor's keys); the job refunded
	///   (unstaffed): the sample and at most a cancellation;
	/// - [`DrawKind::Dispute`] and [`DrawKind::Skip`]: their bounds.
	///
	/// Each also reads the model's registry entry and a contested probe's validator, for each
	/// pick the bonds of up to `MAX_BOND_PICKS` hosts and the pick's list (at most
	/// [`MAX_BUSY_PICKS`] picks), its job's kind and how it left the job, and the list of the
	/// host it moves the job for: the list of the host given a part (an assignment's executor,
	/// a sample's validator), read by its pick, is written; a refunded job's executor's is read
	/// and written; a settlement's is in its benchmark. A dispute's bound counts every
	/// validator's.
	pub fn draw_cost(kind: DrawKind, end: DrawEnd, picks: u32) -> Weight {
		let (given, taken) = (T::DbWeight::get().writes(1), T::DbWeight::get().reads_writes(1, 1));
		let picks = picks.min(MAX_BUSY_PICKS);
		let cost = match (kind, end) {
			(DrawKind::Assign, DrawEnd::Open) => {
				Self::draw_with(Self::assign_weight(), picks, given)
			},
			(DrawKind::Assign, DrawEnd::Settled { .. } | DrawEnd::Refunded) => Self::draw_with(
				Self::assign_weight().max(T::WeightInfo::cancel_job()),
				picks,
				taken,
			),
			(DrawKind::Sample, DrawEnd::Open) => {
				Self::draw_with(Self::sample_weight(), picks, given)
			},
			(DrawKind::Sample, DrawEnd::Settled { first, consumer_before, executor_before }) => {
				let settlement = if !first && consumer_before && executor_before {
					Self::draw_settle_shared_weight()
				} else {
					Self::draw_settle_weight(first)
				};
				Self::draw_with(
					Self::sample_weight().saturating_add(settlement),
					picks,
					Weight::zero(),
				)
			},
			(DrawKind::Sample, DrawEnd::Refunded) => Self::draw_with(
				Self::sample_weight().saturating_add(T::WeightInfo::cancel_job()),
				picks,
				taken,
			),
			(DrawKind::Dispute | DrawKind::Skip, _) => return Self::draw_bound(kind),
		};
		cost.saturating_add(T::DbWeight::get().reads(1)).min(Self::draw_bound(kind))
	}

	/// A draw's `own` weight with what every draw reads: the model's registry entry and a
	/// contested probe's validator, its `picks` (each reading up to `MAX_BOND_PICKS` hosts'
	/// bonds and the pick's list), the hosts' `lists` written, and its job's kind.
	fn draw_with(own: Weight, picks: u32, lists: Weight) -> Weight {
		let picks = u64::from(picks);
		own.saturating_add(T::DbWeight::get().reads(2))
			.saturating_add(
				T::DbWeight::get()
					.reads(picks.saturating_mul(u64::from(MAX_BOND_PICKS).saturating_add(1))),
			)
			.saturating_add(lists)
			.saturating_add(T::DbWeight::get().reads(1))
	}

	/// A benchmark's slope: what one more item costs.
	fn slope(one: Weight, none: Weight) -> Weight {
		one.saturating_sub(none)
	}

	/// What drawing one job's executor costs (`draw_assign`'s slope).
	pub(crate) fn assign_weight() -> Weight {
		Self::slope(T::WeightInfo::draw_assign(1), T::WeightInfo::draw_assign(0))
	}

	/// The most any queued draw can cost: the largest [`Self::draw_bound`].
	pub fn draw_weight() -> Weight {
		[DrawKind::Skip, DrawKind::Assign, DrawKind::Sample, DrawKind::Dispute]
			.into_iter()
			.fold(Weight::zero(), |most, kind| most.max(Self::draw_bound(kind)))
	}

	/// What a queued draw about `job_id` will do, by the job's status now ([`DrawKind`]).
	pub(crate) fn draw_kind(job_id: JobId) -> DrawKind {
		match Jobs::<T>::get(job_id).map(|job| job.status) {
			Some(JobStatus::Unassigned { .. }) => DrawKind::Assign,
			Some(JobStatus::Delivered | JobStatus::Checking) => DrawKind::Sample,
			Some(JobStatus::Accused { .. }) => DrawKind::Dispute,
			Some(
				JobStatus::Assigned
				| JobStatus::Validating { .. }
				| JobStatus::Probing { .. }
				| JobStatus::Disputed { .. },
			)
			| None => DrawKind::Skip,
		}
	}

	/// What the draws of `count` queued jobs cost, with reading the seed and the queue: the
	/// largest fixed part of the three kinds of draw (a block's draws may be of any kind).
	pub(crate) fn draws_weight(count: u32) -> Weight {
		T::WeightInfo::on_initialize_sample(0)
			.max(T::WeightInfo::draw_assign(0))
			.max(T::WeightInfo::draw_dispute(0))
			.saturating_add(T::DbWeight::get().reads_writes(2, 1))
			// The job of the first draw that does not fit, read by `on_initialize` to know its
			// kind, and after the inherents (where it may be another) to know it does not fit.
			.saturating_add(Self::draw_bound(DrawKind::Skip).saturating_mul(2))
			.saturating_add(Self::draw_weight().saturating_mul(u64::from(count)))
	}

	/// The `on_initialize` hook: handles the deadline buckets from the oldest not handled yet
	/// ([`DeadlineCursor`]) up to `now`'s, then accounts for the draws that run after the
	/// inherents, as many as are queued, all as far as [`Config::MaxHookWeight`] allows (queued
	/// draws keep up to half of it from the deadlines): each deadline counted at
	/// [`Self::time_out_bound`] and each draw at its kind's [`Self::draw_bound`], the rest of
	/// the budget reserved where more are queued than their bounds fit.
	/// What the budget does not reach waits for the next blocks, in order. Returns the weight of what it did (each job's cost depends on where it went) and
	/// of the draws it allowed ([`DrawBudget`]).
	pub(crate) fn do_on_initialize(now: BlockNumberFor<T>) -> Weight {
		let budget = T::MaxHookWeight::get();
		// From here on what the hook reads is recorded, the queue's length (its whole value)
		// first.
		let before = T::ProofSize::recorded();
		// Queued draws keep up to half of it from the deadlines, so that neither starves.
		let per_draw = Self::draw_weight();
		let queued = u32::try_from(Draws::<T>::decode_len().unwrap_or(0)).unwrap_or(u32::MAX);
		let half = Weight::from_parts(
			Perbill::from_percent(50).mul_floor(budget.ref_time()),
			Perbill::from_percent(50).mul_floor(budget.proof_size()),
		);
		let kept_for_draws = per_draw.saturating_mul(u64::from(queued)).min(half);
		let deadline_budget = budget.saturating_sub(kept_for_draws);
		let weight = Self::handle_deadlines(now, Self::hook_base_weight(), deadline_budget);
		// Where the node records the proof, the deadlines' part (the hook's base with it, the
		// queue's length read) is charged the proof it recorded, not its estimate (the benchmarks' intercepts); the
		// draws' fixed part, still to run, at its estimate, which the draws correct in turn.
		let weight = match (before, T::ProofSize::recorded()) {
			(Some(before), Some(after)) => weight.set_proof_size(
				after.saturating_sub(before).saturating_add(Self::draws_weight(0).proof_size()),
			),
			_ => weight,
		};
		let before = T::ProofSize::recorded();
		// The draws' fixed part is in the base; each queued draw, in order, counted at the most
		// its kind can cost (its job read now to know it), those the deadlines just queued
		// (reassignments, new dispute rounds) included, up to the rest of the budget. Draws run
		// after the inherents, within what is counted here ([`DrawBudget`]), each charged what
		// it cost; what they leave goes back to the block.
		let mut draws = Weight::zero();
		for draw in Draws::<T>::get() {
			let bound = Self::draw_bound(Self::draw_kind(draw.job_id));
			if weight.saturating_add(draws).saturating_add(bound).any_gt(budget) {
				// More are queued than their bounds fit: the whole rest of the budget, which
				// draws that cost less than their bounds leave room in for more.
				draws = budget.saturating_sub(weight);
				break;
			}
			draws = draws.saturating_add(bound);
		}
		// The jobs read to know the draws' kinds are recorded now, not by the draws: what they
		// recorded is kept out of the draws' reservation and charged here (beyond the budget
		// only by the job of the first draw that did not fit, where the rest of the budget's
		// proof is less than the kinds read).
		let read = match (before, T::ProofSize::recorded()) {
			(Some(before), Some(after)) => Weight::from_parts(0, after.saturating_sub(before)),
			_ => Weight::zero(),
		};
		DrawBudget::<T>::put(draws.saturating_sub(read));
		weight.saturating_add(draws.saturating_sub(read)).saturating_add(read)
	}

	/// Handles the deadline buckets from the oldest not finished ([`DeadlineCursor`]) up to
	/// `now`'s while `weight` (what the hook used so far) and each deadline's bound
	/// ([`Self::time_out_bound`]) stay within `budget`; what is left waits in its bucket, in
	/// order. Returns `weight` with what the deadlines cost. Benchmarked alone, without a budget,
	/// as `on_initialize_deadlines`.
	pub(crate) fn handle_deadlines(
		now: BlockNumberFor<T>,
		mut weight: Weight,
		deadline_budget: Weight,
	) -> Weight {
		let per_deadline = Self::time_out_bound();
		let bucket_io = T::DbWeight::get().reads_writes(1, 1);
		let mut block = DeadlineCursor::<T>::get().unwrap_or(now).min(now);
		while block <= now {
			if weight
				.saturating_add(bucket_io)
				.saturating_add(per_deadline)
				.any_gt(deadline_budget)
			{
				break;
			}
			weight = weight.saturating_add(bucket_io);
			let bucket = Deadlines::<T>::take(block);
			let mut handled = 0usize;
			for job_id in bucket.iter() {
				if weight.saturating_add(per_deadline).any_gt(deadline_budget) {
					break;
				}
				weight = weight.saturating_add(Self::time_out(*job_id, block, now));
				handled = handled.saturating_add(1);
			}
			if handled < bucket.len() {
				// Handled first in the next block: the steps left wait in their bucket.
				let rest = bucket.into_iter().skip(handled).collect::<Vec<_>>();
				Deadlines::<T>::insert(block, DeadlineBucket::<T>::truncate_from(rest));
				break;
			}
			block = block.saturating_add(One::one());
		}
		DeadlineCursor::<T>::put(block);
		weight
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
			Self::forget_outcome(job_id);
			head = head.saturating_add(1);
		}
		OutcomeHead::<T>::put(head);
		used.saturating_add(T::DbWeight::get().writes(1))
	}
}

/// The job market's draws run right after the inherents, once the block's seed is read (the
/// runtime lists the randomness pallet before this one in `frame_system::Config::PostInherents`).
impl<T: Config> PostInherents for Pallet<T> {
	fn post_inherents() {
		Self::do_draws(frame_system::Pallet::<T>::block_number());
	}
}
