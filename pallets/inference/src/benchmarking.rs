//! Benchmarks of the job market's calls and hooks, each with worst-case inputs: payloads and
//! outputs at their maximum length, the model's selection index full, deadline buckets, job lists
//! and the outcome index as full as the call allows, and disputes with every validator. Draws
//! run where the runtime runs them: after the next block's inherents
//! (`frame_system::Config::PostInherents`, which reads the block's seed first).

use crate::{impls::DEADLINE_PROBES, *};
use alloc::{vec, vec::Vec};
use daya_primitives::{HostRegistry, ModelRegistry};
use polkadot_sdk::{
	frame_benchmarking::v2::*,
	frame_support::{
		traits::{fungible::Mutate, Get, PostInherents},
		weights::Weight,
		BoundedVec,
	},
	frame_system::{pallet_prelude::BlockNumberFor, Pallet as System, RawOrigin},
	sp_core::H256,
	sp_runtime::traits::{Saturating, Zero},
};

/// A model and a full selection index of hosts serving it.
fn market<T: Config>() -> Result<(ModelId, Vec<T::AccountId>), BenchmarkError> {
	let model = T::Models::register_benchmark_model();
	let mut hosts = Vec::new();
	for index in 0..512u32 {
		let host: T::AccountId = account("host", index, 0);
		if T::Hosts::register_benchmark_host(&host, model).is_err() {
			break;
		}
		hosts.push(host);
	}
	if hosts.len() < 2 + T::DisputeValidators::get() as usize {
		return Err(BenchmarkError::Stop("too few hosts for a dispute"));
	}
	Ok((model, hosts))
}

/// A consumer able to pay for many jobs.
fn consumer<T: Config>(index: u32) -> T::AccountId {
	let who: T::AccountId = account("consumer", index, 0);
	let amount = BalanceOf::<T>::from(u32::MAX).saturating_mul(1_000u32.into());
	T::Currency::set_balance(&who, amount);
	who
}

/// A job for `model` from `who`, with a payload of `len` bytes and as many output tokens as
/// the model's context leaves room for.
fn job<T: Config>(who: &T::AccountId, model: ModelId, len: u32) -> Result<JobId, BenchmarkError> {
	let terms = T::Models::terms(model).ok_or(BenchmarkError::Stop("no model"))?;
	let max_output = terms
		.max_output_tokens
		.min(T::MaxOutputTokens::get())
		.min(terms.context_length.saturating_sub(len))
		.max(1);
	Ok(Pallet::<T>::do_submit_job(
		who.clone(),
		model,
		BoundedVec::truncate_from(vec![b'p'; len as usize]),
		max_output,
		terms.price_per_token,
		JobParams::default(),
		// The setups queue up to the whole queue's draws, as the market's own draws (results,
		// reassignments) may; a consumer's call may queue half of it.
		T::MaxPendingDraws::get(),
	)?)
}

/// `n` jobs for `model`, from as many consumers as the per-account bound needs.
fn jobs<T: Config>(model: ModelId, n: u32, first: u32) -> Result<Vec<JobId>, BenchmarkError> {
	let per_account = T::MaxOpenJobsPerAccount::get();
	let mut ids = Vec::new();
	let mut who = consumer::<T>(first);
	for index in 0..n {
		if index % per_account == 0 {
			who = consumer::<T>(first.saturating_add(1).saturating_add(index / per_account));
		}
		ids.push(job::<T>(&who, model, 1)?);
	}
	Ok(ids)
}

/// Moves to the next block and runs what runs after its inherents: the block's seed is read,
/// then the job market's queued draws run.
fn next_block<T: Config>() {
	let now = System::<T>::block_number().saturating_add(1u32.into());
	System::<T>::set_block_number(now);
	<T as frame_system::Config>::PostInherents::post_inherents();
}

/// Fills the draw queue up to one short of its bound with draws about no job, which cost what
/// real ones cost to read and write.
fn fill_draws<T: Config>() {
	fill_draws_leaving::<T>(1);
}

/// Fills the draw queue up to `room` short of its bound with draws about no job.
fn fill_draws_leaving<T: Config>(room: u32) {
	fill_draws_to::<T>(T::MaxPendingDraws::get().saturating_sub(room));
}

/// Fills the draw queue up to `room` short of what new jobs may take it to
/// ([`Pallet::submission_draws`]): a submission's worst case.
fn fill_submission_draws_leaving<T: Config>(room: u32) {
	fill_draws_to::<T>(Pallet::<T>::submission_draws().saturating_sub(room));
}

/// Fills the draw queue up to `len` draws about no job.
fn fill_draws_to<T: Config>(len: u32) {
	Draws::<T>::mutate(|queue| {
		let mut fake = JobId::MAX.saturating_sub(200_000);
		while queue.len() < len as usize {
			if queue.try_push(PendingDraw { job_id: fake, after: u32::MAX }).is_err() {
				break;
			}
			fake = fake.saturating_sub(1);
		}
	});
}

/// A fault a validator may find.
const FRAUD: Judgement = Judgement::Invalid(Fault::Token { position: 0, margin_micro: u32::MAX });

/// The executor of an assigned job.
fn executor<T: Config>(job_id: JobId) -> Result<T::AccountId, BenchmarkError> {
	Jobs::<T>::get(job_id)
		.and_then(|job| job.executor)
		.ok_or(BenchmarkError::Stop("no assigned job"))
}

/// The largest result for `job`: `output_len` bytes of text, as many output ids as the job
/// allows, and their fingerprints.
fn result<T: Config>(job: &Job<T>, output_len: u32) -> JobResult<T> {
	let tokens = job.max_output_tokens;
	JobResult {
		output: BoundedVec::truncate_from(vec![b'o'; output_len as usize]),
		tokens: BoundedVec::truncate_from(vec![u32::MAX; tokens as usize]),
		prompt_tokens: job.prompt_tokens,
		prompt_hash: H256::repeat_byte(1),
		fingerprints: BoundedVec::truncate_from(vec![
			Fingerprint::default();
			daya_primitives::jobs::fingerprints_for(tokens)
				as usize
		]),
	}
}

/// Delivers a result for `job_id` from its executor.
fn deliver<T: Config>(job_id: JobId) -> Result<(), BenchmarkError> {
	let job = Jobs::<T>::get(job_id).ok_or(BenchmarkError::Stop("no job"))?;
	let result = result::<T>(&job, T::MaxOutputLen::get());
	Ok(Pallet::<T>::do_submit_result(executor::<T>(job_id)?, job_id, result)?)
}

/// Fills the bucket of `block` up to one short of its bound with ids of no job, which cost
/// what real ones cost to skip or remove.
fn fill_bucket<T: Config>(block: BlockNumberFor<T>) {
	Deadlines::<T>::mutate(block, |bucket| {
		let mut fake = JobId::MAX;
		while bucket.len().saturating_add(1) < T::MaxDeadlinesPerBlock::get() as usize {
			if bucket.try_push(fake).is_err() {
				break;
			}
			fake = fake.saturating_sub(1);
		}
	});
}

/// Fills the outcome index, so that the next outcome evicts the oldest.
fn fill_outcomes<T: Config>(template: &T::AccountId) {
	let tail = u64::from(T::MaxOutcomes::get());
	for position in 0..tail {
		let id = JobId::MAX.saturating_sub(position).saturating_sub(100_000);
		OutcomeQueue::<T>::insert(position, id);
		Outcomes::<T>::insert(
			id,
			JobOutcome {
				consumer: template.clone(),
				executor: Some(template.clone()),
				model: 0,
				end: JobEnd::Completed,
				output_hash: Some([0; 32]),
				usage: Some(Usage::default()),
				fee: Zero::zero(),
				protocol_fee: Zero::zero(),
				validation_fee: Zero::zero(),
				refund: Zero::zero(),
				ended_at: Zero::zero(),
				submitted_at: Zero::zero(),
				delivered_at: Some(Zero::zero()),
				disputed: true,
			},
		);
	}
	OutcomeHead::<T>::put(0);
	OutcomeTail::<T>::put(tail);
}

/// A job of `who` for `model`, its drawn executor swapped for `host`, delivered, its draw
/// dropped (a settlement benchmark settles the job itself): its id and record.
fn delivered_by<T: Config>(
	who: &T::AccountId,
	model: ModelId,
	host: &T::AccountId,
) -> Result<(JobId, Job<T>), BenchmarkError> {
	let id = job::<T>(who, model, 1)?;
	next_block::<T>();
	let mut job = Jobs::<T>::get(id).ok_or(BenchmarkError::Stop("no job"))?;
	let before = job.roles();
	job.executor = Some(host.clone());
	Pallet::<T>::put_job(id, &before, job);
	deliver::<T>(id)?;
	Draws::<T>::kill();
	let job = Jobs::<T>::get(id).ok_or(BenchmarkError::Stop("no job"))?;
	Ok((id, job))
}

/// Lowers `who`'s reputation to zero, so that its results are always validated.
fn distrust<T: Config>(who: &T::AccountId) {
	// Two misses after each success: reputation falls to zero, and the host is never chilled
	// (that takes more misses in a row).
	for _ in 0..100 {
		T::Hosts::record_success(who);
		T::Hosts::record_miss(who);
		T::Hosts::record_miss(who);
	}
}

/// `n` jobs delivered by executors whose reputation is zero, so that every result is drawn for
/// validation at the next block's draws.
fn delivered_distrusted<T: Config>(n: u32) -> Result<Vec<JobId>, BenchmarkError> {
	let (model, hosts) = market::<T>()?;
	for host in &hosts {
		distrust::<T>(host);
	}
	let ids = jobs::<T>(model, n, 0)?;
	next_block::<T>();
	for id in &ids {
		deliver::<T>(*id)?;
	}
	Ok(ids)
}

/// A delivered job waiting for one validator's verdict; returns the job and the validator.
fn validating<T: Config>(model: ModelId) -> Result<(JobId, T::AccountId), BenchmarkError> {
	let who = consumer::<T>(0);
	let job_id = job::<T>(&who, model, 1)?;
	next_block::<T>();
	deliver::<T>(job_id)?;
	distrust::<T>(&executor::<T>(job_id)?);
	next_block::<T>();
	let job = Jobs::<T>::get(job_id).ok_or(BenchmarkError::Stop("no job"))?;
	let JobStatus::Validating { verdict } = job.status else {
		return Err(BenchmarkError::Stop("not validating"));
	};
	fill_bucket::<T>(job.deadline);
	fill_outcomes::<T>(&who);
	Ok((job_id, verdict.validator))
}

/// A validator's probe.
fn probe() -> Fingerprint {
	Fingerprint { dims: [0, 1, 2, 3, 4, 5, 6, 7], values: [1; 8] }
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn submit_job(p: Linear<1, { T::MaxPayloadLen::get() }>) -> Result<(), BenchmarkError> {
		let (model, _) = market::<T>()?;
		let who = consumer::<T>(0);
		for _ in 1..T::MaxOpenJobsPerAccount::get() {
			job::<T>(&who, model, 1)?;
		}
		fill_submission_draws_leaving::<T>(1);
		let terms = T::Models::terms(model).ok_or(BenchmarkError::Stop("no model"))?;
		let max_output = terms
			.max_output_tokens
			.min(T::MaxOutputTokens::get())
			.min(terms.context_length.saturating_sub(p))
			.max(1);
		let payload = BoundedVec::truncate_from(vec![b'p'; p as usize]);
		let id = NextJobId::<T>::get();

		#[extrinsic_call]
		_(
			RawOrigin::Signed(who),
			model,
			payload,
			max_output,
			terms.price_per_token,
			JobParams::default(),
		);

		assert!(Jobs::<T>::contains_key(id));
		Ok(())
	}

	/// A batch of `n` jobs whose payloads total `p` bytes (at least one each), half of them
	/// sampled (two duties to find hosts for), from a consumer whose open jobs the batch fills,
	/// with the draw queue as full as the batch allows.
	#[benchmark]
	fn submit_jobs(
		n: Linear<1, { T::MaxOpenJobsPerAccount::get() }>,
		p: Linear<1, { T::MaxPayloadLen::get() }>,
	) -> Result<(), BenchmarkError> {
		let (model, _) = market::<T>()?;
		let who = consumer::<T>(0);
		for _ in n..T::MaxOpenJobsPerAccount::get() {
			job::<T>(&who, model, 1)?;
		}
		fill_submission_draws_leaving::<T>(n);
		let terms = T::Models::terms(model).ok_or(BenchmarkError::Stop("no model"))?;
		let (share, extra) = (p / n, p % n);
		let mut requests = Vec::new();
		for index in 0..n {
			let len = share.saturating_add(u32::from(index < extra)).max(1);
			let max_output_tokens = terms
				.max_output_tokens
				.min(T::MaxOutputTokens::get())
				.min(terms.context_length.saturating_sub(len))
				.max(1);
			let params = JobParams {
				temperature_milli: if index % 2 == 1 { 700 } else { 0 },
				seed: index.into(),
				..JobParams::default()
			};
			requests.push(JobRequest {
				payload: BoundedVec::truncate_from(vec![b'p'; len as usize]),
				max_output_tokens,
				params,
			});
		}
		let jobs = BoundedVec::truncate_from(requests);
		let first = NextJobId::<T>::get();

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), model, terms.price_per_token, jobs);

		assert_eq!(NextJobId::<T>::get(), first.saturating_add(n.into()));
		assert_eq!(
			JobsOf::<T>::get(&who).map(|open| open.len()),
			Some(T::MaxOpenJobsPerAccount::get() as usize)
		);
		Ok(())
	}

	#[benchmark]
	fn submit_result(o: Linear<1, { T::MaxOutputLen::get() }>) -> Result<(), BenchmarkError> {
		let (model, _) = market::<T>()?;
		let job_id = job::<T>(&consumer::<T>(0), model, 1)?;
		next_block::<T>();
		let job = Jobs::<T>::get(job_id).ok_or(BenchmarkError::Stop("no job"))?;
		let executor = executor::<T>(job_id)?;
		fill_bucket::<T>(job.deadline);
		fill_draws::<T>();
		// Every output id the job allows, whatever the text's length: the weight's bound.
		let result = result::<T>(&job, o);

		#[extrinsic_call]
		_(RawOrigin::Signed(executor), job_id, result);

		assert!(Draws::<T>::get().iter().any(|draw| draw.job_id == job_id));
		Ok(())
	}

	#[benchmark]
	fn submit_verdict_pass() -> Result<(), BenchmarkError> {
		let (model, _) = market::<T>()?;
		let (job_id, validator) = validating::<T>(model)?;
		// The heaviest pass: the executor recognises the validator's probe, which settles the
		// job and pays both (the validator's own pass only reschedules the job).
		Pallet::<T>::do_submit_verdict(validator, job_id, Judgement::Valid, Some(probe()))?;
		let job = Jobs::<T>::get(job_id).ok_or(BenchmarkError::Stop("no job"))?;
		assert!(matches!(job.status, JobStatus::Probing { .. }), "not probing");
		// The job leaves a full deadline bucket.
		fill_bucket::<T>(job.deadline);
		let executor = job.executor.ok_or(BenchmarkError::Stop("no executor"))?;

		#[extrinsic_call]
		submit_verdict(RawOrigin::Signed(executor), job_id, Judgement::Valid, None);

		assert_eq!(Outcomes::<T>::get(job_id).map(|o| o.end), Some(JobEnd::Validated));
		Ok(())
	}

	/// An executor's batch of `n` recognitions: `n` jobs it executed, each of another
	/// consumer, checked by another validator, deadlines in as many full buckets, the outcome
	/// index full; one call settles them all. The slope is what one more recognition adds
	/// once the first has written the executor's records, the treasury and the index's ends.
	#[benchmark]
	fn submit_verdicts(
		n: Linear<1, { MAX_VERDICTS.min(T::MaxPendingDraws::get() / 2) }>,
	) -> Result<(), BenchmarkError> {
		let (model, hosts) = market::<T>()?;
		let executor = hosts.first().cloned().ok_or(BenchmarkError::Stop("no host"))?;
		distrust::<T>(&executor);
		let mut ids = Vec::new();
		for index in 0..n {
			let who = consumer::<T>(2_000u32.saturating_add(index));
			ids.push(job::<T>(&who, model, 1)?);
		}
		next_block::<T>();
		for id in &ids {
			let mut job = Jobs::<T>::get(id).ok_or(BenchmarkError::Stop("no job"))?;
			let before = job.roles();
			job.executor = Some(executor.clone());
			Pallet::<T>::put_job(*id, &before, job);
			deliver::<T>(*id)?;
		}
		// A distrusted executor's results are all drawn for validation.
		next_block::<T>();
		let now = System::<T>::block_number();
		for (index, id) in ids.iter().enumerate() {
			let mut job = Jobs::<T>::get(id).ok_or(BenchmarkError::Stop("no job"))?;
			let before = job.roles();
			let JobStatus::Validating { mut verdict } = job.status.clone() else {
				return Err(BenchmarkError::Stop("not validating"));
			};
			// Each job with its own validator (the market has more hosts than a batch).
			let validator = hosts
				.get(index.saturating_add(1) % hosts.len())
				.ok_or(BenchmarkError::Stop("no host"))?;
			verdict.validator = validator.clone();
			job.status = JobStatus::Validating { verdict };
			Pallet::<T>::put_job(*id, &before, job);
			Pallet::<T>::do_submit_verdict(
				validator.clone(),
				*id,
				Judgement::Valid,
				Some(probe()),
			)?;
			// Each deadline in a bucket of its own, full.
			let mut job = Jobs::<T>::get(id).ok_or(BenchmarkError::Stop("no job"))?;
			assert!(matches!(job.status, JobStatus::Probing { .. }), "not probing");
			Pallet::<T>::unschedule(*id, job.deadline);
			let from = now
				.saturating_add(T::ValidationPeriod::get())
				.saturating_add((index as u32).into());
			job.deadline =
				Pallet::<T>::schedule(*id, from).ok_or(BenchmarkError::Stop("no room"))?;
			fill_bucket::<T>(job.deadline);
			Jobs::<T>::insert(id, job);
		}
		fill_outcomes::<T>(&consumer::<T>(0));
		let verdicts: Vec<VerdictItem> = ids
			.iter()
			.map(|job_id| VerdictItem { job_id: *job_id, judgement: Judgement::Valid, probe: None })
			.collect();
		let verdicts = BoundedVec::truncate_from(verdicts);

		#[extrinsic_call]
		submit_verdicts(RawOrigin::Signed(executor), verdicts);

		for id in ids {
			assert_eq!(Outcomes::<T>::get(id).map(|o| o.end), Some(JobEnd::Validated));
		}
		Ok(())
	}

	/// A validator's pass that shows its probe: the job waits for its executor's word on the
	/// probe, its deadline moved out of a full bucket into the `b`-th of the buckets tried, the
	/// ones before it full (at most [`DEADLINE_PROBES`]).
	#[benchmark]
	fn submit_verdict_probe(b: Linear<1, DEADLINE_PROBES>) -> Result<(), BenchmarkError> {
		let (model, _) = market::<T>()?;
		let (job_id, validator) = validating::<T>(model)?;
		let job = Jobs::<T>::get(job_id).ok_or(BenchmarkError::Stop("no job"))?;
		fill_bucket::<T>(job.deadline);
		// A block later, so that the buckets tried do not include the job's own.
		System::<T>::set_block_number(System::<T>::block_number().saturating_add(1u32.into()));
		let mut block = System::<T>::block_number().saturating_add(T::ValidationPeriod::get());
		for tried in 0..b {
			fill_bucket::<T>(block);
			if tried + 1 < b {
				Deadlines::<T>::mutate(block, |bucket| {
					let _ = bucket.try_push(JobId::MAX.saturating_sub(1_000_000));
				});
			}
			block = block.saturating_add(1u32.into());
		}

		#[extrinsic_call]
		submit_verdict(RawOrigin::Signed(validator), job_id, Judgement::Valid, Some(probe()));

		let job = Jobs::<T>::get(job_id).ok_or(BenchmarkError::Stop("no job"))?;
		assert!(matches!(job.status, JobStatus::Probing { .. }), "not probing");
		let last = System::<T>::block_number()
			.saturating_add(T::ValidationPeriod::get())
			.saturating_add((b - 1).into());
		assert_eq!(job.deadline, last, "scheduled in the last bucket tried");
		Ok(())
	}

	#[benchmark]
	fn submit_verdict_accuse() -> Result<(), BenchmarkError> {
		let (model, _) = market::<T>()?;
		let (job_id, validator) = validating::<T>(model)?;
		fill_draws::<T>();
		// The job leaves a full deadline bucket.
		let job = Jobs::<T>::get(job_id).ok_or(BenchmarkError::Stop("no job"))?;
		fill_bucket::<T>(job.deadline);

		#[extrinsic_call]
		submit_verdict(RawOrigin::Signed(validator), job_id, FRAUD, None);

		let job = Jobs::<T>::get(job_id).ok_or(BenchmarkError::Stop("no job"))?;
		assert!(matches!(job.status, JobStatus::Accused { .. }));
		Ok(())
	}

	#[benchmark]
	fn submit_verdict_decide() -> Result<(), BenchmarkError> {
		let (model, _) = market::<T>()?;
		let (job_id, validator) = validating::<T>(model)?;
		Pallet::<T>::do_submit_verdict(validator, job_id, FRAUD, None)?;
		next_block::<T>();
		let job = Jobs::<T>::get(job_id).ok_or(BenchmarkError::Stop("no job"))?;
		let JobStatus::Disputed { verdicts, .. } = job.status else {
			return Err(BenchmarkError::Stop("not disputed"));
		};
		fill_bucket::<T>(job.deadline);
		let validators: Vec<_> = verdicts.iter().map(|v| v.validator.clone()).collect();
		let (last, others) =
			validators.split_last().ok_or(BenchmarkError::Stop("no validators"))?;
		for other in others {
			Pallet::<T>::do_submit_verdict(other.clone(), job_id, FRAUD, None)?;
		}

		#[extrinsic_call]
		submit_verdict(RawOrigin::Signed(last.clone()), job_id, FRAUD, None);

		assert_eq!(Outcomes::<T>::get(job_id).map(|o| o.end), Some(JobEnd::Fraud));
		Ok(())
	}

	#[benchmark]
	fn cancel_job() -> Result<(), BenchmarkError> {
		let (model, _) = market::<T>()?;
		let who = consumer::<T>(0);
		let mut last = 0;
		for _ in 0..T::MaxOpenJobsPerAccount::get() {
			last = job::<T>(&who, model, 1)?;
		}
		// The most it does: end a job still waiting for its executor (an assigned one is only
		// marked, and ends at its deadline, which `on_initialize` accounts for with this
		// weight), with the consumer's list full and the outcome index full.
		fill_outcomes::<T>(&who);

		#[extrinsic_call]
		_(RawOrigin::Signed(who), last);

		assert_eq!(Outcomes::<T>::get(last).map(|o| o.end), Some(JobEnd::Cancelled));
		Ok(())
	}

	/// After the inherents of a block, `n` queued results are each drawn for validation and
	/// given a validator.
	#[benchmark]
	fn on_initialize_sample(
		n: Linear<0, { T::MaxPendingDraws::get() }>,
	) -> Result<(), BenchmarkError> {
		let ids = delivered_distrusted::<T>(n)?;
		System::<T>::set_block_number(System::<T>::block_number().saturating_add(1u32.into()));

		#[block]
		{
			<T as frame_system::Config>::PostInherents::post_inherents();
		}

		for id in ids {
			let job = Jobs::<T>::get(id).ok_or(BenchmarkError::Stop("no job"))?;
			assert!(matches!(job.status, JobStatus::Validating { .. }));
		}
		Ok(())
	}

	/// `n` delivered results settled one after another, as the draws after a block's inherents
	/// settle the results they leave unchecked: each of another consumer, with another executor,
	/// and each outcome evicting the oldest of a full index. What every settlement of a block
	/// shares (the treasury's account, the outcome index's ends, the job count, the epoch) is
	/// read and written once: the slope is what one more settlement costs in the same block.
	#[benchmark]
	fn settle(n: Linear<1, { T::MaxOpenJobs::get().min(64) }>) -> Result<(), BenchmarkError> {
		let (model, hosts) = market::<T>()?;
		let mut ended = Vec::new();
		for index in 0..n {
			let who = consumer::<T>(1_000u32.saturating_add(index));
			// Each job with its own executor (the market has more hosts than the benchmark
			// jobs): the `index`-th host.
			let host =
				hosts.get(index as usize % hosts.len()).ok_or(BenchmarkError::Stop("no host"))?;
			ended.push(delivered_by::<T>(&who, model, host)?);
		}
		let ids: Vec<JobId> = ended.iter().map(|(id, _)| *id).collect();
		fill_outcomes::<T>(&consumer::<T>(0));

		#[block]
		{
			for (id, job) in ended {
				Pallet::<T>::settle(id, job, JobEnd::Completed, &[]);
			}
		}

		// Every job ended; the last outcome is kept (a small index evicts the earlier ones).
		assert!(ids.iter().all(|id| !Jobs::<T>::contains_key(id)));
		let last = ids.last().ok_or(BenchmarkError::Stop("no job"))?;
		assert_eq!(Outcomes::<T>::get(last).map(|o| o.end), Some(JobEnd::Completed));
		Ok(())
	}

	/// `n` delivered results settled one after another as `settle` settles them, but all of one
	/// consumer (a batch) executed by one host (a busy one): what one more settlement adds when
	/// an earlier one of the block wrote its consumer's and its executor's keys
	/// ([`Pallet::draw_settle_shared_weight`]). The host's list of work is full (ids of no job
	/// beside the benchmark's), the consumer's as long as its `n` jobs make it.
	#[benchmark]
	fn settle_shared(
		n: Linear<1, { T::MaxOpenJobsPerAccount::get().min(T::MaxOpenJobsPerHost::get()).min(64) }>,
	) -> Result<(), BenchmarkError> {
		let (model, hosts) = market::<T>()?;
		let host = hosts.first().ok_or(BenchmarkError::Stop("no host"))?.clone();
		let who = consumer::<T>(1_000);
		let others = T::MaxOpenJobsPerHost::get().saturating_sub(n);
		for position in 0..u64::from(others) {
			WorkOf::<T>::try_append(&host, JobId::MAX.saturating_sub(position))
				.map_err(|_| BenchmarkError::Stop("the host's list is full"))?;
		}
		let mut ended = Vec::new();
		for _ in 0..n {
			ended.push(delivered_by::<T>(&who, model, &host)?);
		}
		let ids: Vec<JobId> = ended.iter().map(|(id, _)| *id).collect();
		fill_outcomes::<T>(&consumer::<T>(0));

		#[block]
		{
			for (id, job) in ended {
				Pallet::<T>::settle(id, job, JobEnd::Completed, &[]);
			}
		}

		assert!(ids.iter().all(|id| !Jobs::<T>::contains_key(id)));
		assert!(JobsOf::<T>::get(&who).is_none());
		assert_eq!(WorkOf::<T>::decode_len(&host).unwrap_or(0), others as usize);
		Ok(())
	}

	/// After the inherents of a block, `n` queued jobs each get their executor drawn.
	#[benchmark]
	fn draw_assign(n: Linear<0, { T::MaxPendingDraws::get() }>) -> Result<(), BenchmarkError> {
		let (model, _) = market::<T>()?;
		let ids = jobs::<T>(model, n, 0)?;
		System::<T>::set_block_number(System::<T>::block_number().saturating_add(1u32.into()));

		#[block]
		{
			<T as frame_system::Config>::PostInherents::post_inherents();
		}

		for id in ids {
			let job = Jobs::<T>::get(id).ok_or(BenchmarkError::Stop("no job"))?;
			assert!(matches!(job.status, JobStatus::Assigned));
		}
		Ok(())
	}

	/// After the inherents of a block, `n` accused results each get their dispute's validators
	/// drawn ([`Config::DisputeValidators`] each, their work lists written, the validation
	/// deadline scheduled). A quarter of the queue's bound keeps the setup short; the draws are
	/// alike, so the slope is the same.
	#[benchmark]
	fn draw_dispute(n: Linear<0, { T::MaxPendingDraws::get() / 4 }>) -> Result<(), BenchmarkError> {
		let ids = delivered_distrusted::<T>(n)?;
		next_block::<T>();
		for id in &ids {
			let job = Jobs::<T>::get(id).ok_or(BenchmarkError::Stop("no job"))?;
			let JobStatus::Validating { verdict } = job.status else {
				return Err(BenchmarkError::Stop("not validating"));
			};
			Pallet::<T>::do_submit_verdict(verdict.validator, *id, FRAUD, None)?;
		}
		System::<T>::set_block_number(System::<T>::block_number().saturating_add(1u32.into()));

		#[block]
		{
			<T as frame_system::Config>::PostInherents::post_inherents();
		}

		for id in ids {
			let job = Jobs::<T>::get(id).ok_or(BenchmarkError::Stop("no job"))?;
			let JobStatus::Disputed { verdicts, .. } = job.status else {
				return Err(BenchmarkError::Stop("no dispute opened"));
			};
			assert_eq!(verdicts.len(), T::DisputeValidators::get() as usize);
		}
		Ok(())
	}

	/// `n` executors missed their deadline, each job queued to be drawn again: the deadlines'
	/// part of `on_initialize` ([`Pallet::handle_deadlines`]), which the hook runs within its
	/// budget (the benchmark takes the whole bucket).
	#[benchmark]
	fn on_initialize_deadlines(
		n: Linear<0, { T::MaxDeadlinesPerBlock::get() }>,
	) -> Result<(), BenchmarkError> {
		let (model, _) = market::<T>()?;
		let ids = jobs::<T>(model, n, 0)?;
		next_block::<T>();
		let now = System::<T>::block_number().saturating_add(T::ExecutionPeriod::get());
		System::<T>::set_block_number(now);

		#[block]
		{
			Pallet::<T>::handle_deadlines(now, Weight::zero(), Weight::MAX);
		}

		for id in ids {
			let job = Jobs::<T>::get(id).ok_or(BenchmarkError::Stop("no job"))?;
			assert!(matches!(job.status, JobStatus::Unassigned { missed_by: Some(_) }));
		}
		Ok(())
	}

	/// A host's offchain worker looks up its work ([`Pallet::api_work_of`]) while `n` jobs of
	/// other hosts are open, its own list full: what it reads does not depend on `n`.
	#[benchmark]
	fn work_of(n: Linear<0, { T::MaxOpenJobs::get() }>) -> Result<(), BenchmarkError> {
		let (model, hosts) = market::<T>()?;
		let job_id = job::<T>(&consumer::<T>(0), model, 1)?;
		next_block::<T>();
		let template = Jobs::<T>::get(job_id).ok_or(BenchmarkError::Stop("no job"))?;
		let host = executor::<T>(job_id)?;
		let other = hosts.iter().find(|h| **h != host).ok_or(BenchmarkError::Stop("one host"))?;
		let own = T::MaxOpenJobsPerHost::get().saturating_sub(1);
		for index in 0..own {
			let id = JobId::from(index).saturating_add(1 << 40);
			Jobs::<T>::insert(id, template.clone());
			WorkOf::<T>::try_append(&host, id)
				.map_err(|_| BenchmarkError::Stop("the host's list is full"))?;
		}
		let mut others = template;
		others.executor = Some(other.clone());
		for index in 0..n {
			Jobs::<T>::insert(JobId::from(index).saturating_add(1 << 41), others.clone());
		}
		let work;

		#[block]
		{
			work = Pallet::<T>::api_work_of(host);
		}

		assert_eq!(work.len() as u32, own.saturating_add(1));
		Ok(())
	}

	/// One outcome past its retention, pruned.
	#[benchmark]
	fn prune_outcome() -> Result<(), BenchmarkError> {
		let (model, _) = market::<T>()?;
		let who = consumer::<T>(0);
		let job_id = job::<T>(&who, model, 1)?;
		Pallet::<T>::do_cancel_job(who, job_id)?;
		let now = System::<T>::block_number().saturating_add(T::OutcomeRetention::get());

		#[block]
		{
			Pallet::<T>::do_prune_outcomes(now, Weight::MAX);
		}

		assert!(Outcomes::<T>::get(job_id).is_none());
		Ok(())
	}

	impl_benchmark_test_suite!(
		Pallet,
		crate::mock::ExtBuilder::default().build(),
		crate::mock::Test
	);
}
