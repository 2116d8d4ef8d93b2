//! Random draws: the seeds, the draw queue, and what each draw decides (a job's executor,
//! whether a result is validated and by whom); the deadline buckets.

#![deny(
	clippy::arithmetic_side_effects,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::unwrap_used
)]

use super::*;
use alloc::collections::btree_set::BTreeSet;

impl<T: Config> Pallet<T> {
	/// The pallet's account, through which slashes are shared out; empty between calls.
	pub fn account_id() -> T::AccountId {
		T::PalletId::get().into_account_truncating()
	}

	/// A 32-byte seed for the draw `domain` (with `index` for repeated draws) of `job_id`, from
	/// the block's `seed`.
	pub(crate) fn seed(
		seed: &BlockSeed<BlockNumberFor<T>>,
		domain: &[u8],
		job_id: JobId,
		index: u32,
	) -> [u8; 32] {
		seed.draw(&(domain, job_id, index).encode())
	}

	/// The most draws the queue may hold with new jobs' among them: half of
	/// [`Config::MaxPendingDraws`]. A submission that would take the queue past it is refused
	/// ([`Error::DrawsFull`]); the draws of jobs already in the market (a result to sample, an
	/// accusation or a contested probe to staff, a reassignment, a dispute's next round) may
	/// fill the rest. Without it, a consumer could fill the queue with jobs for the price of a
	/// few transactions, and hosts' results would be refused until their deadlines passed
	/// (their jobs refunded, their work unpaid) and undecided disputes would end unresolved.
	pub fn submission_draws() -> u32 {
		T::MaxPendingDraws::get().saturating_div(2)
	}

	/// Queues a draw about `job_id`, to be decided by the seed of a later relay block than the
	/// current one.
	pub(crate) fn queue_draw(job_id: JobId) -> Result<(), Error<T>> {
		let after = T::Randomness::seed().map_or(0, |seed| seed.relay_block);
		Draws::<T>::try_append(PendingDraw { job_id, after }).map_err(|_| Error::<T>::DrawsFull)
	}

	/// Whether a draw from `seed` falls below `rate`.
	pub(crate) fn draw(seed: &[u8; 32], rate: Perbill) -> bool {
		let mut bytes = [0u8; 8];
		bytes.copy_from_slice(seed.get(24..32).unwrap_or(&[0u8; 8]));
		let roll = u64::from_le_bytes(bytes).checked_rem(u64::from(Perbill::ACCURACY)).unwrap_or(0);
		roll < u64::from(rate.deconstruct())
	}

	/// The bond a host needs to be given `job`: the fraud penalty of the most the job can pay
	/// (its escrow), that is the escrow divided by [`Config::MinSampleRate`], so that a forgery
	/// of it loses money in expectation however trusted its executor ([`Self::fraud_penalty`]);
	/// nothing when results may go unchecked entirely.
	pub fn bond_needed(job: &Job<T>) -> BalanceOf<T> {
		Self::bond_needed_for(job.escrow())
	}

	/// [`Self::bond_needed`] for a job of `escrow`.
	pub fn bond_needed_for(escrow: BalanceOf<T>) -> BalanceOf<T> {
		let rate = T::MinSampleRate::get();
		if rate.is_zero() {
			return Zero::zero();
		}
		rate.saturating_reciprocal_mul_ceil(escrow)
	}

	/// The probability that a result of `executor` is validated: one minus its reputation, at
	/// least [`Config::MinSampleRate`].
	pub fn sample_rate(executor: &T::AccountId) -> Perbill {
		let reputation = T::Hosts::reputation(executor).unwrap_or_else(Perbill::zero);
		reputation.left_from_one().max(T::MinSampleRate::get())
	}

	/// Puts `job_id` in the first bucket with room among the [`DEADLINE_PROBES`] blocks from
	/// `from` on, and returns its block.
	pub(crate) fn schedule(job_id: JobId, from: BlockNumberFor<T>) -> Option<BlockNumberFor<T>> {
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
	pub(crate) fn unschedule(job_id: JobId, deadline: BlockNumberFor<T>) {
		Deadlines::<T>::mutate_exists(deadline, |bucket| {
			if let Some(jobs) = bucket {
				jobs.retain(|id| *id != job_id);
				if jobs.is_empty() {
					*bucket = None;
				}
			}
		});
	}

	/// Runs the draws queued before the current seed's relay block (see the crate docs), right
	/// after the block's inherents: executors of unassigned jobs, validation of delivered
	/// results, validators of accused results. Each ready draw runs, in order, while its kind's
	/// bound fits what is left of the weight `on_initialize` reserved for them ([`DrawBudget`]),
	/// and takes from it what it cost ([`Self::draw_cost`], with the proof it recorded where the
	/// node records the proof); what the draws did not use goes back to the block (they run
	/// before any transaction). Draws that must wait (same relay block, a deadline that finds
	/// no room, a bound that no longer fits) stay queued, in order.
	pub(crate) fn do_draws(now: BlockNumberFor<T>) {
		// What `on_initialize` reserved; without it (a test or benchmark that runs the draws
		// alone), every queued draw.
		let start = T::ProofSize::recorded();
		let mut reserved = DrawBudget::<T>::take();
		let mut left = reserved.unwrap_or(Weight::MAX);
		let mut spent = Weight::zero();
		let Some(seed) = T::Randomness::seed() else {
			Self::charge_draws(reserved, spent);
			return;
		};
		let queue = Draws::<T>::take();
		// Where the node records the proof and `on_initialize` reserved, the draws' fixed part
		// (the seed, the queue; counted in the hook's base at its estimate, the benchmarks'
		// intercepts) is charged the proof it records: what the estimate leaves, less room
		// for the jobs read by the draws that do not fit, is room for draws now.
		let fixed = Self::draws_weight(0).proof_size();
		let mut in_draws = 0u64;
		if let (Some(budget), Some(start), Some(now)) = (reserved, start, T::ProofSize::recorded())
		{
			let slack = fixed
				.saturating_sub(now.saturating_sub(start))
				.saturating_sub(Self::draw_bound(DrawKind::Skip).proof_size().saturating_mul(2));
			left = left.saturating_add(Weight::from_parts(0, slack));
			reserved = Some(budget.saturating_add(Weight::from_parts(0, fixed)));
		}
		let mut kept = DrawQueue::<T>::new();
		// Once a ready draw does not fit what is left, it and every later one wait, in order.
		let mut full = false;
		// What the draws' settlements touched so far: later ones find it in the overlay.
		let mut touched = Touched::<T::AccountId>::default();
		for draw in queue {
			let mut done = false;
			if !full && seed.is_after(draw.after) {
				let recorded = T::ProofSize::recorded();
				// Its kind now (a job can change between `on_initialize` and here).
				let kind = Self::draw_kind(draw.job_id);
				if Self::draw_bound(kind).all_lte(left) {
					let mut picks = 0;
					done = Self::run_draw(draw.job_id, &seed, now, &mut picks);
					// A skipped draw's job ended before it (its bound is charged).
					let end = match kind {
						DrawKind::Skip => DrawEnd::Open,
						_ => Self::draw_end(draw.job_id, &mut touched),
					};
					let estimate = Self::draw_cost(kind, end, picks);
					let cost = match (recorded, T::ProofSize::recorded()) {
						(Some(before), Some(after)) => {
							let proof = after.saturating_sub(before);
							in_draws = in_draws.saturating_add(proof);
							estimate.set_proof_size(proof)
						},
						_ => estimate,
					};
					left = left.saturating_sub(cost);
					spent = spent.saturating_add(cost);
				} else {
					full = true;
				}
			}
			if !done {
				// Room is certain: `kept` is a part of what the queue held.
				let _ = kept.try_push(draw);
			}
		}
		Draws::<T>::put(kept);
		// The fixed part as recorded: all the run recorded but the draws'.
		if let (Some(_), Some(start), Some(end)) = (reserved, start, T::ProofSize::recorded()) {
			let own = end.saturating_sub(start).saturating_sub(in_draws);
			spent = spent.saturating_add(Weight::from_parts(0, own));
		}
		Self::charge_draws(reserved, spent);
	}

	/// How the draw that just ran about `job_id` left it: a read of what the draw wrote (an
	/// ended job's outcome). A settlement pays its executor; what settlements before it in the
	/// block's draws `touched` (the keys every settlement shares, its consumer's, its
	/// executor's) is in the overlay, and what this one touched is added to it.
	fn draw_end(job_id: JobId, touched: &mut Touched<T::AccountId>) -> DrawEnd {
		match Outcomes::<T>::get(job_id) {
			None => DrawEnd::Open,
			Some(outcome) if matches!(outcome.end, JobEnd::Completed | JobEnd::Validated) => {
				let Some(executor) = outcome.executor else { return DrawEnd::Refunded };
				let end = DrawEnd::Settled {
					first: !touched.shared,
					consumer_before: touched.consumers.contains(&outcome.consumer),
					executor_before: touched.executors.contains(&executor),
				};
				// The treasury paid: every key settlements share was read and written.
				touched.shared |= !outcome.protocol_fee.is_zero();
				// Some of the escrow moved: the consumer's hold and account were written (its
				// list of open jobs always is).
				if !outcome.fee.is_zero() || !outcome.refund.is_zero() {
					touched.consumers.insert(outcome.consumer);
				}
				// The executor paid: its account was written (its record, its service and its
				// list of work always are).
				let executor_paid = outcome
					.fee
					.saturating_sub(outcome.protocol_fee)
					.saturating_sub(outcome.validation_fee);
				if !executor_paid.is_zero() {
					touched.executors.insert(executor);
				}
				end
			},
			Some(_) => DrawEnd::Refunded,
		}
	}

	/// Gives back to the block what the draws did not use of what `on_initialize` `reserved`
	/// for them, and charges what they used beyond it (a draw's recorded proof may exceed its
	/// estimate); nothing where nothing was reserved.
	fn charge_draws(reserved: Option<Weight>, spent: Weight) {
		let Some(reserved) = reserved else { return };
		frame_system::BlockWeight::<T>::mutate(|weight| {
			weight.reduce(reserved.saturating_sub(spent), DispatchClass::Mandatory);
			weight.accrue(spent.saturating_sub(reserved), DispatchClass::Mandatory);
		});
	}

	/// Runs one draw; returns whether it is done (`false`: it waits for a later block), and
	/// counts in `picks` the registry draws it made.
	pub(crate) fn run_draw(
		job_id: JobId,
		seed: &BlockSeed<BlockNumberFor<T>>,
		now: BlockNumberFor<T>,
		picks: &mut u32,
	) -> bool {
		// A job that ended meanwhile (cancelled) leaves its draw behind.
		let Some(job) = Jobs::<T>::get(job_id) else { return true };
		match job.status.clone() {
			JobStatus::Unassigned { missed_by } => {
				Self::assign(job_id, job, missed_by, seed, now, picks)
			},
			JobStatus::Delivered => Self::sample(job_id, job, seed, now, picks),
			JobStatus::Checking => Self::staff_check(job_id, job, seed, now, picks),
			JobStatus::Accused { accuser, round, since } => {
				Self::open_dispute(job_id, job, (accuser, round, since), seed, now)
			},
			JobStatus::Assigned
			| JobStatus::Validating { .. }
			| JobStatus::Probing { .. }
			| JobStatus::Disputed { .. } => true,
		}
	}

	/// Draws the executor of an unassigned job among the active hosts serving its model whose
	/// bond covers the job's fraud penalty ([`Self::bond_needed`]; never its consumer, nor the
	/// host that missed it) and that have room for it ([`Config::MaxOpenJobsPerHost`]), and
	/// starts its execution deadline. A job that no host can take is refunded; one whose
	/// deadline finds no room, or whose hosts are all busy, waits for the next block (busy
	/// hosts for at most [`Config::ExecutionPeriod`] blocks, then it is refunded).
	pub(crate) fn assign(
		job_id: JobId,
		mut job: Job<T>,
		missed_by: Option<T::AccountId>,
		seed: &BlockSeed<BlockNumberFor<T>>,
		now: BlockNumberFor<T>,
		picks: &mut u32,
	) -> bool {
		// Its hosts run the model's new version now: it is never run on another.
		if Self::version_moved(&job) {
			Self::release(job_id, job);
			return true;
		}
		let mut exclude = alloc::vec![job.consumer.clone()];
		exclude.extend(missed_by.clone());
		let domain = if missed_by.is_some() { domain::REASSIGN } else { domain::ASSIGN };
		let duty = Duty::of_job(job.params.temperature_milli);
		let (draw, bond) = (Self::seed(seed, domain, job_id, 0), Self::bond_needed(&job));
		let executor = match Self::pick_with_room(&mut exclude, picks, |exclude| {
			T::Hosts::select_host(job.model, duty, exclude, draw, bond)
		}) {
			Pick::Host(executor) => executor,
			// Waiting since submission, or since the missed deadline.
			Pick::Busy if now < job.deadline.saturating_add(T::ExecutionPeriod::get()) => {
				return false
			},
			Pick::Busy | Pick::Nobody => {
				Self::refund(job_id, job, JobEnd::Expired);
				return true;
			},
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
		Self::put_job(job_id, &[], job);
		match missed_by {
			Some(from) => {
				Self::deposit_event(Event::JobReassigned { job_id, from, to: executor, deadline })
			},
			None => Self::deposit_event(Event::JobAssigned { job_id, executor, deadline }),
		}
		true
	}

	/// Draws whether a delivered result is validated; one that is gets its validator
	/// ([`Self::staff_check`]).
	pub(crate) fn sample(
		job_id: JobId,
		job: Job<T>,
		seed: &BlockSeed<BlockNumberFor<T>>,
		now: BlockNumberFor<T>,
		picks: &mut u32,
	) -> bool {
		let Some(executor) = job.executor.as_ref() else {
			Self::refund(job_id, job, JobEnd::Expired);
			return true;
		};
		// Its validators run the model's new version now and could not check this one.
		if Self::version_moved(&job) {
			Self::deposit_event(Event::ValidationSkipped { job_id, missed_by: None });
			Self::settle(job_id, job, JobEnd::Completed, &[]);
			return true;
		}
		let rate = Self::sample_rate(executor);
		if !Self::draw(&Self::seed(seed, domain::SAMPLE, job_id, 0), rate) {
			Self::settle(job_id, job, JobEnd::Completed, &[]);
			return true;
		}
		Self::staff_check(job_id, job, seed, now, picks)
	}

	/// Draws the validator of a result drawn for validation, among the other hosts serving
	/// the model that have room for it. Returns whether the draw is done: a validator whose
	/// deadline finds no room, or validators that are all busy, leave the job
	/// [`JobStatus::Checking`] for the next block, never drawn again for whether it is checked
	/// (a full bucket or busy hosts never turn a drawn check into a payment), until
	/// [`Config::DisputeStaffingPeriod`] blocks after the delivery, when it ends
	/// [`JobEnd::Unresolved`].
	pub(crate) fn staff_check(
		job_id: JobId,
		mut job: Job<T>,
		seed: &BlockSeed<BlockNumberFor<T>>,
		now: BlockNumberFor<T>,
		picks: &mut u32,
	) -> bool {
		let before = job.roles();
		let Some(executor) = job.executor.clone() else {
			Self::refund(job_id, job, JobEnd::Expired);
			return true;
		};
		if Self::version_moved(&job) {
			Self::deposit_event(Event::ValidationSkipped { job_id, missed_by: None });
			Self::settle(job_id, job, JobEnd::Completed, &[]);
			return true;
		}
		let mut exclude = alloc::vec![executor, job.consumer.clone()];
		let draw = Self::seed(seed, domain::VALIDATOR, job_id, 0);
		let validator = Self::pick_with_room(&mut exclude, picks, |exclude| {
			T::Hosts::select_host(job.model, Duty::Validate, exclude, draw, Zero::zero())
		});
		let deadline = match validator {
			Pick::Host(_) => Self::schedule(job_id, now.saturating_add(T::ValidationPeriod::get())),
			Pick::Busy => None,
			Pick::Nobody => {
				Self::deposit_event(Event::ValidationSkipped { job_id, missed_by: None });
				Self::settle(job_id, job, JobEnd::Completed, &[]);
				return true;
			},
		};
		let (Pick::Host(validator), Some(deadline)) = (validator, deadline) else {
			let delivered = job.delivered_at.unwrap_or(job.submitted_at);
			if now >= delivered.saturating_add(T::DisputeStaffingPeriod::get()) {
				Self::deposit_event(Event::CheckUnstaffed { job_id });
				Self::refund(job_id, job, JobEnd::Unresolved);
				return true;
			}
			if !matches!(job.status, JobStatus::Checking) {
				job.status = JobStatus::Checking;
				Self::put_job(job_id, &before, job);
			}
			return false;
		};
		job.deadline = deadline;
		job.status = JobStatus::Validating { verdict: Verdict::pending(validator.clone()) };
		Self::put_job(job_id, &before, job);
		Self::deposit_event(Event::ValidationRequested { job_id, validator, deadline });
		true
	}
}

/// What the settlements of a block's draws have read and written so far, which later ones find
/// in the block's overlay ([`DrawEnd::Settled`]).
pub(crate) struct Touched<AccountId> {
	/// A settlement paid the treasury: the keys every settlement shares (the treasury's
	/// account, the outcome index's ends, the job count, the epoch).
	shared: bool,
	/// The consumers whose hold, account and list of open jobs a settlement wrote.
	consumers: BTreeSet<AccountId>,
	/// The executors whose account, record, service and list of work a settlement wrote.
	executors: BTreeSet<AccountId>,
}

impl<AccountId> Default for Touched<AccountId> {
	fn default() -> Self {
		Self { shared: false, consumers: BTreeSet::new(), executors: BTreeSet::new() }
	}
}
