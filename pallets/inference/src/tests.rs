//! Unit tests of the job market: every call, hook and error path, against the real host
//! registry.

use crate::{mock::*, Error, Event, *};
use codec::{Decode, Encode};
use daya_primitives::{
	jobs::MAX_TEMPERATURE_MILLI,
	runtime_api::{JobStatusView, WorkKind},
	QuoteError,
};
use polkadot_sdk::sp_runtime::Saturating as _;
use polkadot_sdk::{
	frame_support::{
		assert_noop, assert_ok,
		traits::{
			fungible::{InspectHold, MutateHold},
			Hooks,
		},
		weights::Weight,
	},
	sp_core::H256,
	sp_io::hashing::blake2_256,
	sp_runtime::{traits::BadOrigin, DispatchResult, Perbill},
};

/// The escrow [`submit`] holds: (10 prompt bytes + 20 output tokens) * 10.
const ESCROW: Balance = 300;
/// What [`deliver`]'s usage costs: (8 + 12) * 10.
const FEE: Balance = 200;

fn held(who: AccountId) -> Balance {
	Balances::balance_on_hold(&RuntimeHoldReason::Inference(HoldReason::JobEscrow), &who)
}

fn bond_of(who: AccountId) -> Balance {
	pallet_daya_compute::Hosts::<Test>::get(who).map_or(0, |host| host.bond)
}

fn reputation(who: AccountId) -> Perbill {
	<Compute as HostRegistry<_, _, _>>::reputation(&who).expect("a host")
}

fn job(job_id: JobId) -> Job<Test> {
	Jobs::<Test>::get(job_id).expect("an open job")
}

/// The validator the job waits for.
fn validator_of(job_id: JobId) -> AccountId {
	match job(job_id).status {
		JobStatus::Validating { verdict } => verdict.validator,
		status => panic!("job {job_id} is not validating: {status:?}"),
	}
}

/// The accuser and the dispute's validators.
fn dispute_of(job_id: JobId) -> (AccountId, Vec<AccountId>) {
	match job(job_id).status {
		JobStatus::Disputed { accuser, verdicts, .. } => {
			(accuser, verdicts.iter().map(|v| v.validator).collect())
		},
		status => panic!("job {job_id} is not disputed: {status:?}"),
	}
}

/// A judgement that the result is valid.
const VALID: Judgement = Judgement::Valid;

/// A judgement that the result is a fraud.
const FRAUD: Judgement = Judgement::Invalid(Fault::Token { position: 3, margin_micro: 9_000_000 });

/// A validator's probe of a result: the tests' executors recognise it.
const PROBE: Fingerprint = Fingerprint { dims: [1, 2, 3, 4, 5, 6, 7, 8], values: [9; 8] };

/// `who`'s verdict, with [`PROBE`] (which matters only to a first validator's pass).
fn verdict(who: AccountId, job_id: JobId, judgement: Judgement) -> DispatchResult {
	Inference::submit_verdict(RuntimeOrigin::signed(who), job_id, judgement, Some(PROBE))
		.map(|_| ())
		.map_err(|e| e.error)
}

/// The validator passes the result with its probe, and the executor recognises the probe.
fn pass(validator: AccountId, job_id: JobId) -> DispatchResult {
	let executor = executor_of(job_id);
	verdict(validator, job_id, VALID)?;
	match Jobs::<Test>::get(job_id).map(|job| job.status) {
		Some(JobStatus::Probing { .. }) => verdict(executor, job_id, VALID),
		// Greedy-only executors show no hidden states: their results are passed at once.
		_ => Ok(()),
	}
}

fn ended(job_id: JobId) -> JobEnd {
	Outcomes::<Test>::get(job_id).expect("an outcome").end
}

/// A job delivered and, at the next block, drawn for validation (sample rate 100%).
fn delivered_and_validating() -> (JobId, AccountId, AccountId) {
	let job_id = submit(CONSUMER).unwrap();
	assert_ok!(deliver(job_id, "the answer"));
	run_to_block(System::block_number() + 1);
	(job_id, executor_of(job_id), validator_of(job_id))
}

/// A job whose first validator accused the executor, with three dispute validators drawn at
/// the next block.
fn disputed() -> (JobId, AccountId, AccountId, Vec<AccountId>) {
	let (job_id, executor, validator) = delivered_and_validating();
	assert_ok!(verdict(validator, job_id, FRAUD));
	assert_eq!(
		job(job_id).status,
		JobStatus::Accused { accuser: validator, round: 0, since: System::block_number() }
	);
	next_block();
	let (accuser, validators) = dispute_of(job_id);
	assert_eq!(accuser, validator);
	(job_id, executor, accuser, validators)
}

#[test]
fn integrity_test_passes() {
	ExtBuilder::default().build_and_execute(|| {
		<Inference as Hooks<BlockNumber>>::integrity_test();
	});
}

#[test]
fn submit_job_holds_escrow_assigns_a_host_and_indexes_the_payload() {
	let mut ext = ExtBuilder::default().with_hosts().build();
	ext.execute_with(|| {
		for who in [ALICE, BOB, CHARLIE, DAVE, EVE] {
			register_host(who, &[0, 2]).unwrap();
		}
		let job_id = submit_unassigned(CONSUMER).unwrap();
		assert_eq!(job_id, 0);
		assert_eq!(NextJobId::<Test>::get(), 1);
		assert_eq!(held(CONSUMER), ESCROW);
		assert_eq!(free(CONSUMER), ENDOWMENT - ESCROW);
		// No executor yet: it is drawn from the next block's seed.
		let unassigned = job(job_id);
		assert_eq!(unassigned.executor, None);
		assert_eq!(unassigned.status, JobStatus::Unassigned { missed_by: None });
		assert_eq!(Draws::<Test>::get().into_inner(), vec![PendingDraw { job_id, after: 1 }]);
		System::assert_last_event(
			Event::JobSubmitted {
				job_id,
				consumer: CONSUMER,
				model: 0,
				escrow: ESCROW,
				payload_hash: unassigned.payload_hash,
			}
			.into(),
		);
		Inference::do_try_state().unwrap();

		next_block();
		let job = job(job_id);
		let executor = job.executor.unwrap();
		assert!([ALICE, BOB, CHARLIE, DAVE, EVE].contains(&executor));
		assert!(Draws::<Test>::get().is_empty());
		assert_eq!(job.consumer, CONSUMER);
		assert_eq!(job.prompt_tokens, 10);
		assert_eq!(job.max_output_tokens, 20);
		assert_eq!(job.price_per_token, PRICE);
		assert_eq!(job.escrow(), ESCROW);
		assert_eq!(job.deadline, 2 + ExecutionPeriod::get());
		assert_eq!(job.status, JobStatus::Assigned);
		assert_eq!(job.payload_hash, H256(blake2_256(b"0123456789")));
		assert_eq!(JobsOf::<Test>::get(CONSUMER).unwrap().into_inner(), vec![job_id]);
		assert!(Deadlines::<Test>::get(job.deadline).contains(&job_id));
		System::assert_last_event(
			Event::JobAssigned { job_id, executor, deadline: job.deadline }.into(),
		);
		Inference::do_try_state().unwrap();
	});
	ext.persist_offchain_overlay();
	let indexed = ext.offchain_db().get(&payload_key(0)).expect("the payload is indexed");
	let indexed = IndexedPayload::decode(&mut &indexed[..]).unwrap();
	assert_eq!(
		indexed,
		IndexedPayload {
			job_id: 0,
			model: 0,
			max_output_tokens: 20,
			params: JobParams::default(),
			payload: b"0123456789".to_vec(),
		}
	);
}

#[test]
fn submit_job_rejects_bad_requests_and_holds_nothing() {
	ExtBuilder::default().with_hosts().build_and_execute(|| {
		let submit_with = |who, model, text: &str, max_out, max_price, temperature_milli| {
			Inference::submit_job(
				RuntimeOrigin::signed(who),
				model,
				payload(text),
				max_out,
				max_price,
				JobParams { temperature_milli, seed: 7, format: PayloadFormat::Text },
			)
		};
		assert_noop!(
			Inference::submit_job(
				RuntimeOrigin::none(),
				0,
				payload("hi"),
				20,
				PRICE,
				JobParams::default()
			),
			BadOrigin
		);
		assert_noop!(
			submit_with(CONSUMER, 0, "hi", 20, PRICE, MAX_TEMPERATURE_MILLI + 1),
			Error::<Test>::InvalidParams
		);
		assert_noop!(submit_with(CONSUMER, 0, "", 20, PRICE, 0), Error::<Test>::EmptyPayload);
		assert_noop!(
			Inference::submit_job(
				RuntimeOrigin::signed(CONSUMER),
				0,
				vec![b'h', 0xff, b'i'].try_into().unwrap(),
				20,
				PRICE,
				JobParams::default()
			),
			Error::<Test>::PayloadNotText
		);
		assert_noop!(submit_with(CONSUMER, 0, "hi", 0, PRICE, 0), Error::<Test>::ZeroOutputTokens);
		assert_noop!(submit_with(CONSUMER, 9, "hi", 20, PRICE, 0), Error::<Test>::UnknownModel);
		assert_noop!(
			submit_with(CONSUMER, 3, "hi", 20, PRICE, 0),
			Error::<Test>::ModelNotAccepting
		);
		assert_noop!(
			submit_with(CONSUMER, 0, "hi", 129, PRICE, 0),
			Error::<Test>::TooManyOutputTokens
		);
		let long = "x".repeat(64);
		assert_noop!(submit_with(CONSUMER, 0, &long, 100, PRICE, 0), Error::<Test>::ContextTooLong);
		assert_noop!(
			submit_with(CONSUMER, 0, "hi", 20, PRICE - 1, 0),
			Error::<Test>::PriceAboveLimit
		);
		assert_noop!(
			submit_with(POOR, 0, "0123456789", 20, PRICE, 0),
			Error::<Test>::InsufficientBalance
		);
		// Model 1 has no host.
		assert_noop!(submit_with(CONSUMER, 1, "hi", 20, PRICE, 0), Error::<Test>::NoHostAvailable);
		assert_eq!(held(CONSUMER), 0);
		assert_eq!(held(POOR), 0);
		assert_eq!(Jobs::<Test>::count(), 0);
	});
}

#[test]
fn submit_job_at_the_limits_is_accepted() {
	ExtBuilder::default().with_hosts().build_and_execute(|| {
		// A deprecated model still takes jobs; the longest payload and the highest temperature.
		MockModels::set_status(2, daya_primitives::ModelStatus::Deprecated);
		let long = "x".repeat(MaxPayloadLen::get() as usize);
		assert_ok!(Inference::submit_job(
			RuntimeOrigin::signed(CONSUMER),
			2,
			payload(&long),
			150 - 64,
			u64::MAX,
			JobParams {
				temperature_milli: MAX_TEMPERATURE_MILLI,
				seed: u64::MAX,
				format: PayloadFormat::Chat,
			},
		));
		assert_eq!(held(CONSUMER), 150 * PRICE);
		// The job takes the model's price, not the consumer's limit.
		assert_eq!(job(0).price_per_token, PRICE);
	});
}

#[test]
fn a_free_model_holds_nothing_and_pays_nothing() {
	ExtBuilder::default().with_hosts().build_and_execute(|| {
		MockModels::set_price(0, 0);
		let job_id = submit(CONSUMER).unwrap();
		assert_eq!(held(CONSUMER), 0);
		assert_ok!(deliver(job_id, "free"));
		next_block();
		assert_eq!(ended(job_id), JobEnd::Completed);
		assert_eq!(free(CONSUMER), ENDOWMENT);
	});
}

#[test]
fn the_consumer_is_never_its_own_executor() {
	ExtBuilder::default()
		.with_host(ALICE, &[0])
		.with_host(BOB, &[0])
		.build_and_execute(|| {
			for _ in 0..4 {
				let job_id = submit(ALICE).unwrap();
				assert_eq!(executor_of(job_id), BOB);
			}
		});
	ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
		assert_noop!(submit(ALICE), Error::<Test>::NoHostAvailable);
	});
}

#[test]
fn inactive_hosts_get_no_jobs() {
	ExtBuilder::default()
		.with_host(ALICE, &[0])
		.with_host(BOB, &[0])
		.build_and_execute(|| {
			assert_ok!(Compute::chill(RuntimeOrigin::signed(ALICE)));
			for _ in 0..4 {
				let job_id = submit(CONSUMER).unwrap();
				assert_eq!(executor_of(job_id), BOB);
			}
			assert_ok!(Compute::unbond(RuntimeOrigin::signed(BOB)));
			assert_noop!(submit(CONSUMER_2), Error::<Test>::NoHostAvailable);
		});
}

#[test]
fn open_jobs_are_bounded_per_account_and_in_all() {
	ExtBuilder::default().with_hosts().build_and_execute(|| {
		for _ in 0..MaxOpenJobsPerAccount::get() {
			assert_ok!(submit_unassigned(CONSUMER));
		}
		assert_noop!(submit_unassigned(CONSUMER), Error::<Test>::TooManyOpenJobs);
		// Six draws a block at most (the queue's bound), so over three blocks.
		let batches = [
			vec![CONSUMER_2, CONSUMER_2],
			vec![CONSUMER_2, CONSUMER_2, FERDIE, FERDIE, FERDIE, FERDIE],
			vec![GRACE, GRACE],
		];
		for batch in batches {
			for who in batch {
				assert_ok!(submit_unassigned(who));
			}
			next_block();
		}
		assert_eq!(Jobs::<Test>::count(), MaxOpenJobs::get());
		assert_noop!(submit_unassigned(GRACE), Error::<Test>::MarketFull);
	});
}

#[test]
fn full_deadline_buckets_spill_into_the_next_blocks_then_the_draw_waits() {
	ExtBuilder::default().with_hosts().build_and_execute(|| {
		// Six draws fill new jobs' half of the queue; the next submission must wait for a later
		// block.
		let mut jobs = Vec::new();
		for who in [CONSUMER, CONSUMER, CONSUMER, CONSUMER_2, CONSUMER_2, CONSUMER_2] {
			jobs.push(submit_unassigned(who).unwrap());
		}
		assert_noop!(submit_unassigned(FERDIE), Error::<Test>::DrawsFull);
		next_block();
		let first = 2 + ExecutionPeriod::get();
		let deadlines: Vec<_> = jobs.iter().map(|id| job(*id).deadline).collect();
		assert_eq!(deadlines, [[first; 3], [first + 1; 3]].concat());

		// With every bucket a draw could use full, the draw stays queued until one has room.
		let base = System::block_number() + 1 + ExecutionPeriod::get();
		let fakes = |block: BlockNumber| (0..3).map(move |i| JobId::MAX - block * 3 - i);
		for block in base..base + 4 {
			Deadlines::<Test>::mutate(block, |bucket| {
				for fake in fakes(block) {
					let _ = bucket.try_push(fake);
				}
			});
		}
		let waiting = submit(FERDIE).unwrap();
		assert_eq!(job(waiting).status, JobStatus::Unassigned { missed_by: None });
		assert_eq!(Draws::<Test>::get().len(), 1);
		for block in base..base + 4 {
			Deadlines::<Test>::mutate_exists(block, |bucket| {
				if let Some(ids) = bucket {
					ids.retain(|id| !fakes(block).any(|f| f == *id));
					if ids.is_empty() {
						*bucket = None;
					}
				}
			});
		}
		next_block();
		assert_eq!(job(waiting).status, JobStatus::Assigned);
		assert!(Draws::<Test>::get().is_empty());
	});
}

#[test]
fn draws_wait_for_a_seed_of_a_later_relay_block() {
	ExtBuilder::default().with_hosts().build_and_execute(|| {
		// The relay chain is slow: the next blocks build on the relay parent of this one, whose
		// randomness the submitting block's author knew.
		hold_relay_parent(Some(1));
		let job_id = submit_unassigned(CONSUMER).unwrap();
		next_block();
		next_block();
		assert_eq!(job(job_id).status, JobStatus::Unassigned { missed_by: None });
		assert!(Inference::api_work_of(ALICE).is_empty());
		hold_relay_parent(None);
		next_block();
		assert_eq!(job(job_id).status, JobStatus::Assigned);
	});
}

#[test]
fn the_seed_of_the_submitting_block_does_not_choose_the_executor() {
	// The executor follows the seed of the block after the submission, whatever the seed of
	// the submitting block was.
	let run = |submit_salt: u64, next_salt: u64| {
		let mut executors = Vec::new();
		ExtBuilder::default().with_hosts().build_and_execute(|| {
			set_seed_salt(submit_salt);
			next_block();
			let jobs: Vec<_> = [CONSUMER, CONSUMER, CONSUMER, CONSUMER_2, CONSUMER_2, CONSUMER_2]
				.into_iter()
				.map(|who| submit_unassigned(who).unwrap())
				.collect();
			set_seed_salt(next_salt);
			next_block();
			executors = jobs.iter().map(|id| executor_of(*id)).collect();
		});
		executors
	};
	assert_eq!(run(1, 7), run(2, 7));
	assert_ne!(run(1, 7), run(1, 8));
}

#[test]
fn submit_result_records_hashes_and_indexes_the_output() {
	let mut ext = ExtBuilder::default().with_hosts().build();
	ext.execute_with(|| {
		for who in [ALICE, BOB] {
			register_host(who, &[0]).unwrap();
		}
		let job_id = submit(CONSUMER).unwrap();
		let executor = executor_of(job_id);
		assert_ok!(deliver(job_id, "forty-two"));
		let job = job(job_id);
		let output_hash = H256(blake2_256(b"forty-two"));
		assert_eq!(job.status, JobStatus::Delivered);
		let result_hash = H256(blake2_256(&result("forty-two", 8, 12).encode()));
		assert_eq!(job.delivery, Some(Delivery { output_hash, usage: usage(8, 12), result_hash }));
		assert_eq!(Draws::<Test>::get().iter().map(|d| d.job_id).collect::<Vec<_>>(), vec![job_id]);
		System::assert_last_event(
			Event::ResultSubmitted { job_id, executor, output_hash, usage: usage(8, 12) }.into(),
		);
		Inference::do_try_state().unwrap();
	});
	ext.persist_offchain_overlay();
	let indexed = ext.offchain_db().get(&output_key(0)).expect("the output is indexed");
	assert_eq!(
		IndexedOutput::decode(&mut &indexed[..]).unwrap(),
		IndexedOutput { job_id: 0, result: result("forty-two", 8, 12).encode() }
	);
}

#[test]
fn submit_result_rejects_everything_but_one_timely_result_from_the_executor() {
	ExtBuilder::default().with_hosts().build_and_execute(|| {
		let job_id = submit(CONSUMER).unwrap();
		let executor = executor_of(job_id);
		let other = [ALICE, BOB].into_iter().find(|who| *who != executor).unwrap();
		let submit_result = |who, job_id, usage: Usage| {
			Inference::submit_result(
				RuntimeOrigin::signed(who),
				job_id,
				result("x", usage.prompt_tokens, usage.completion_tokens),
			)
		};
		let result = submit_result;
		assert_noop!(result(executor, 9, usage(1, 1)), Error::<Test>::UnknownJob);
		assert_noop!(result(other, job_id, usage(1, 1)), Error::<Test>::NotExecutor);
		assert_noop!(result(CONSUMER, job_id, usage(1, 1)), Error::<Test>::NotExecutor);
		assert_noop!(result(executor, job_id, usage(11, 1)), Error::<Test>::UsageAboveLimit);
		assert_noop!(result(executor, job_id, usage(1, 21)), Error::<Test>::UsageAboveLimit);
		assert_noop!(result(executor, job_id, usage(1, 0)), Error::<Test>::MalformedResult);
		let mut unfingerprinted = mock::result("x", 1, 1);
		unfingerprinted.fingerprints.clear();
		assert_noop!(
			Inference::submit_result(RuntimeOrigin::signed(executor), job_id, unfingerprinted),
			Error::<Test>::MalformedResult
		);
		assert_ok!(result(executor, job_id, usage(10, 20)));
		assert_noop!(result(executor, job_id, usage(1, 1)), Error::<Test>::AlreadyDelivered);

		// Past the deadline (without the hook that would have reassigned the job).
		let late = submit(CONSUMER).unwrap();
		let now = System::block_number();
		System::set_block_number(job(late).deadline);
		assert_noop!(result(executor_of(late), late, usage(1, 1)), Error::<Test>::DeadlinePassed);
		System::set_block_number(now);

		// An unassigned job has no executor yet.
		let unassigned = submit_unassigned(CONSUMER_2).unwrap();
		for who in [ALICE, BOB, CHARLIE, DAVE, EVE] {
			assert_noop!(result(who, unassigned, usage(1, 1)), Error::<Test>::NotExecutor);
		}
	});
}

#[test]
fn a_verdict_is_charged_at_the_weight_of_what_it_did() {
	ExtBuilder::default()
		.with_hosts()
		.sample_rate(Perbill::one())
		.build_and_execute(|| {
			let declared = Inference::verdict_weight();
			let charged = |who, job_id, judgement, probe| {
				let info =
					Inference::submit_verdict(RuntimeOrigin::signed(who), job_id, judgement, probe)
						.unwrap();
				assert!(
					info.actual_weight.unwrap_or(declared).all_lte(declared),
					"at most declared"
				);
				info.actual_weight
			};
			// A pass: the validator shows its probe, the executor recognises it and settles.
			let (job_id, executor, validator) = delivered_and_validating();
			let shown = charged(validator, job_id, VALID, Some(PROBE));
			assert_eq!(shown, Some(Inference::probe_pass_weight(1)));
			assert_eq!(charged(executor, job_id, VALID, None), Some(Inference::pass_weight()));
			assert_eq!(ended(job_id), JobEnd::Validated);
			// A probe whose deadline finds its first bucket full is charged for the two it tried
			// (a block later, so that the bucket is not the one the job leaves).
			let (job_id, executor, validator) = delivered_and_validating();
			next_block();
			let first = System::block_number() + ValidationPeriod::get();
			let none = JobId::MAX;
			Deadlines::<Test>::mutate(first, |bucket| while bucket.try_push(none).is_ok() {});
			let shown = charged(validator, job_id, VALID, Some(PROBE));
			assert_eq!(shown, Some(Inference::probe_pass_weight(2)));
			assert!(Inference::probe_pass_weight(1).any_lt(Inference::probe_pass_weight(2)));
			assert_eq!(job(job_id).deadline, first + 1);
			Deadlines::<Test>::remove(first);
			assert_eq!(charged(executor, job_id, VALID, None), Some(Inference::pass_weight()));
			// An accusation, then a dispute's verdict (charged at the bound: it may decide).
			let (job_id, _, validator) = delivered_and_validating();
			assert_eq!(charged(validator, job_id, FRAUD, None), Some(Inference::accuse_weight()));
			next_block();
			let (_, validators) = dispute_of(job_id);
			assert_eq!(charged(validators[0], job_id, FRAUD, None), None);
		});
}

#[test]
fn results_and_verdicts_are_free_when_they_succeed_and_pay_when_they_fail() {
	use polkadot_sdk::frame_support::dispatch::Pays;
	ExtBuilder::default()
		.with_hosts()
		.sample_rate(Perbill::one())
		.build_and_execute(|| {
			let (job_id, executor, validator) = delivered_and_validating();
			let give = |who, probe| {
				Inference::submit_verdict(RuntimeOrigin::signed(who), job_id, VALID, probe)
			};
			let refused = give(executor, Some(PROBE)).unwrap_err();
			assert_eq!(refused.post_info.pays_fee, Pays::Yes);
			let refused = give(validator, None).unwrap_err();
			assert_eq!(refused.post_info.pays_fee, Pays::Yes);
			assert_eq!(give(validator, Some(PROBE)).unwrap().pays_fee, Pays::No);
			assert_eq!(give(executor, None).unwrap().pays_fee, Pays::No);

			let job_id = submit(CONSUMER).unwrap();
			let executor = executor_of(job_id);
			let result = |who| {
				Inference::submit_result(RuntimeOrigin::signed(who), job_id, result("x", 1, 1))
			};
			assert_eq!(result(CONSUMER).unwrap_err().post_info.pays_fee, Pays::Yes);
			assert_eq!(result(executor).unwrap().pays_fee, Pays::No);
		});
}

/// `count` draws about no job (they end as nothing to do at the next block): they take room
/// in the queue as the market's own draws do.
fn hold_draws(count: JobId) {
	for fake in 0..count {
		assert_ok!(Inference::queue_draw(JobId::MAX - fake));
	}
}

#[test]
fn pending_draws_are_bounded() {
	ExtBuilder::default()
		.with_hosts()
		.sample_rate(Perbill::one())
		.build_and_execute(|| {
			let jobs: Vec<_> = (0..4).map(|_| submit(CONSUMER).unwrap()).collect();
			for job_id in &jobs[..3] {
				assert_ok!(deliver(*job_id, "ok"));
			}
			for _ in 0..3 {
				assert_ok!(submit_unassigned(CONSUMER_2));
			}
			hold_draws(6);
			// Results, submissions and accusations all wait for a draw: the queue (12) refuses
			// more.
			assert_eq!(Draws::<Test>::decode_len(), Some(12));
			assert_noop!(deliver(jobs[3], "ok"), Error::<Test>::DrawsFull);
			assert_noop!(submit_unassigned(FERDIE), Error::<Test>::DrawsFull);
			next_block();
			assert_ok!(deliver(jobs[3], "ok"));
			let validator = validator_of(jobs[0]);
			hold_draws(11);
			assert_noop!(verdict(validator, jobs[0], FRAUD), Error::<Test>::DrawsFull);
			next_block();
			assert_ok!(verdict(validator, jobs[0], FRAUD));
		});
}

/// The attack: a consumer fills the draw queue with new jobs, so that hosts' results (and
/// accusations, and disputes' next rounds) find no room, their jobs time out and are refunded,
/// the hosts' work unpaid. New jobs may only take half the queue: the other half stays for
/// the jobs already in the market.
#[test]
fn new_jobs_cannot_crowd_the_markets_own_draws_out_of_the_queue() {
	ExtBuilder::default()
		.with_hosts()
		.sample_rate(Perbill::one())
		.build_and_execute(|| {
			let jobs: Vec<_> = (0..4).map(|_| submit(CONSUMER).unwrap()).collect();
			// The flood: as many jobs as the queue takes, from several accounts.
			let mut flood = 0;
			for who in [CONSUMER_2, CONSUMER_2, CONSUMER_2, CONSUMER_2, FERDIE, FERDIE, FERDIE] {
				if submit_unassigned(who).is_ok() {
					flood += 1;
				}
			}
			assert_eq!(flood, Inference::submission_draws());
			assert_noop!(submit_unassigned(GRACE), Error::<Test>::DrawsFull);
			let request = |text| JobRequest {
				payload: payload(text),
				max_output_tokens: 20,
				params: JobParams::default(),
			};
			assert_noop!(
				Inference::submit_jobs(
					RuntimeOrigin::signed(GRACE),
					0,
					PRICE,
					vec![request("one"), request("two")].try_into().unwrap()
				),
				Error::<Test>::DrawsFull
			);
			// Every host's result still finds room, and is drawn next block.
			for job_id in &jobs {
				assert_ok!(deliver(*job_id, "ok"));
			}
			assert_eq!(Draws::<Test>::decode_len(), Some(10));
			next_block();
			for job_id in &jobs {
				assert!(matches!(job(*job_id).status, JobStatus::Validating { .. }));
			}
		});
}

#[docify::export]
#[test]
fn an_unsampled_result_is_paid_at_the_next_block() {
	ExtBuilder::default().with_hosts().build_and_execute(|| {
		let issuance_before = issuance();
		let job_id = submit(CONSUMER).unwrap();
		let executor = executor_of(job_id);
		let executor_before = free(executor);
		let treasury_before = free(TREASURY);
		assert_ok!(deliver(job_id, "the answer"));
		next_block();
		assert!(Jobs::<Test>::get(job_id).is_none());
		assert_eq!(held(CONSUMER), 0);
		assert_eq!(free(CONSUMER), ENDOWMENT - FEE);
		assert_eq!(free(executor), executor_before + FEE - FEE / 10);
		assert_eq!(free(TREASURY), treasury_before + FEE / 10);
		assert_eq!(issuance(), issuance_before);
		// Verified work, 1,000 compute units per work token: the 12 output tokens, and the 8
		// prompt tokens at a tenth of a token each (rounded down: none).
		assert_eq!(MockWork::of(executor), 12_000);
		assert_eq!(MockWork::delivery(executor), (1, 0), "one job delivered");
		assert!(JobsOf::<Test>::get(CONSUMER).is_none());
		let outcome = Outcomes::<Test>::get(job_id).unwrap();
		assert_eq!(
			outcome,
			JobOutcome {
				consumer: CONSUMER,
				executor: Some(executor),
				model: 0,
				end: JobEnd::Completed,
				output_hash: Some(blake2_256(b"the answer")),
				usage: Some(usage(8, 12)),
				fee: FEE,
				protocol_fee: FEE / 10,
				validation_fee: 0,
				refund: ESCROW - FEE,
				ended_at: 3,
				submitted_at: 1,
				delivered_at: Some(2),
				disputed: false,
			}
		);
		System::assert_last_event(
			Event::JobEnded {
				job_id,
				end: JobEnd::Completed,
				fee: FEE,
				protocol_fee: FEE / 10,
				validation_fee: 0,
				refund: ESCROW - FEE,
			}
			.into(),
		);
	});
}

#[test]
fn the_fee_never_exceeds_the_escrow_and_the_price_is_fixed_at_submission() {
	ExtBuilder::default().with_hosts().build_and_execute(|| {
		let job_id = submit(CONSUMER).unwrap();
		MockModels::set_price(0, 1_000);
		assert_ok!(Inference::submit_result(
			RuntimeOrigin::signed(executor_of(job_id)),
			job_id,
			result("all of it", 10, 20),
		));
		next_block();
		let outcome = Outcomes::<Test>::get(job_id).unwrap();
		assert_eq!(outcome.fee, ESCROW);
		assert_eq!(outcome.refund, 0);
		assert_eq!(free(CONSUMER), ENDOWMENT - ESCROW);
	});
}

#[test]
fn a_missed_deadline_reassigns_once_then_refunds() {
	ExtBuilder::default().with_hosts().build_and_execute(|| {
		let job_id = submit(CONSUMER).unwrap();
		let first = executor_of(job_id);
		let deadline = job(job_id).deadline;
		run_to_block(deadline);
		let second = executor_of(job_id);
		assert_ne!(second, first);
		assert_ne!(second, CONSUMER);
		assert_eq!(reputation(first), Perbill::from_percent(90));
		assert_eq!(MockWork::delivery(first), (0, 1), "a missed job counts against its host");
		let job = job(job_id);
		assert!(job.reassigned);
		assert_eq!(job.deadline, deadline + ExecutionPeriod::get());
		System::assert_has_event(
			Event::JobReassigned { job_id, from: first, to: second, deadline: job.deadline }.into(),
		);
		assert_eq!(held(CONSUMER), ESCROW);

		run_to_block(job.deadline);
		assert_eq!(ended(job_id), JobEnd::Expired);
		assert_eq!(reputation(second), Perbill::from_percent(90));
		assert_eq!(MockWork::delivery(second), (0, 1));
		assert_eq!(held(CONSUMER), 0);
		assert_eq!(free(CONSUMER), ENDOWMENT);
		System::assert_last_event(
			Event::JobEnded {
				job_id,
				end: JobEnd::Expired,
				fee: 0,
				protocol_fee: 0,
				validation_fee: 0,
				refund: ESCROW,
			}
			.into(),
		);
	});
}

#[test]
fn a_missed_deadline_with_no_other_host_refunds_at_once() {
	ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
		let job_id = submit(CONSUMER).unwrap();
		run_to_block(job(job_id).deadline);
		assert_eq!(ended(job_id), JobEnd::Expired);
		assert_eq!(free(CONSUMER), ENDOWMENT);
	});
}

#[test]
fn the_reassigned_executor_can_deliver() {
	ExtBuilder::default().with_hosts().build_and_execute(|| {
		let job_id = submit(CONSUMER).unwrap();
		let first = executor_of(job_id);
		run_to_block(job(job_id).deadline);
		assert_noop!(
			Inference::submit_result(RuntimeOrigin::signed(first), job_id, result("late", 1, 1)),
			Error::<Test>::NotExecutor
		);
		assert_ok!(deliver(job_id, "on time"));
		run_to_block(System::block_number() + 1);
		assert_eq!(ended(job_id), JobEnd::Completed);
	});
}

#[test]
fn cancel_job_refunds_in_full_without_a_result() {
	ExtBuilder::default().with_hosts().build_and_execute(|| {
		let job_id = submit(CONSUMER).unwrap();
		let executor = executor_of(job_id);
		assert_noop!(
			Inference::cancel_job(RuntimeOrigin::signed(CONSUMER_2), job_id),
			Error::<Test>::NotConsumer
		);
		assert_noop!(
			Inference::cancel_job(RuntimeOrigin::signed(CONSUMER), 9),
			Error::<Test>::UnknownJob
		);
		// Assigned: the job ends at its deadline, refunded in full when no result came, never
		// reassigned, and its executor is not held to have missed.
		let deadline = job(job_id).deadline;
		assert_ok!(Inference::cancel_job(RuntimeOrigin::signed(CONSUMER), job_id));
		System::assert_has_event(Event::CancelRequested { job_id, deadline }.into());
		assert_noop!(
			Inference::cancel_job(RuntimeOrigin::signed(CONSUMER), job_id),
			Error::<Test>::AlreadyCancelling
		);
		run_to_block(deadline);
		assert_eq!(ended(job_id), JobEnd::Cancelled);
		assert_eq!(free(CONSUMER), ENDOWMENT);
		assert_eq!(reputation(executor), Perbill::one());
		assert_eq!(MockWork::delivery(executor), (0, 0));
		assert_noop!(
			Inference::cancel_job(RuntimeOrigin::signed(CONSUMER), job_id),
			Error::<Test>::UnknownJob
		);

		// Before its executor is drawn too; its draw is dropped.
		let unassigned = submit_unassigned(CONSUMER).unwrap();
		assert_ok!(Inference::cancel_job(RuntimeOrigin::signed(CONSUMER), unassigned));
		assert_eq!(Outcomes::<Test>::get(unassigned).unwrap().executor, None);
		next_block();
		assert_eq!(ended(unassigned), JobEnd::Cancelled);
		assert!(Draws::<Test>::get().is_empty());

		let delivered = submit(CONSUMER).unwrap();
		assert_ok!(deliver(delivered, "done"));
		assert_noop!(
			Inference::cancel_job(RuntimeOrigin::signed(CONSUMER), delivered),
			Error::<Test>::CannotCancel
		);
	});
}

/// The attack: the executor's result waits in the pool, output in the clear; the consumer reads
/// it and cancels, hoping to be refunded ahead of the result. The cancellation cannot end an
/// assigned job, so the result lands and is paid for.
#[test]
fn a_consumer_who_cancels_after_seeing_the_output_pays_for_it() {
	ExtBuilder::default().with_hosts().build_and_execute(|| {
		let job_id = submit(CONSUMER).unwrap();
		let executor = executor_of(job_id);
		let before = free(executor);
		// The cancellation is ordered before the result, in the same block.
		assert_ok!(Inference::cancel_job(RuntimeOrigin::signed(CONSUMER), job_id));
		assert_ok!(deliver(job_id, "the answer the consumer read in the pool"));
		next_block();
		assert_eq!(ended(job_id), JobEnd::Completed);
		assert_eq!(free(CONSUMER), ENDOWMENT - FEE);
		assert_eq!(free(executor), before + FEE - FEE / 10);
	});
}

#[test]
fn a_sampled_result_waits_for_its_validator_and_a_pass_pays() {
	ExtBuilder::default()
		.with_hosts()
		.sample_rate(Perbill::one())
		.build_and_execute(|| {
			let (job_id, executor, validator) = delivered_and_validating();
			assert_ne!(validator, executor);
			assert_ne!(validator, CONSUMER);
			let deadline = job(job_id).deadline;
			assert_eq!(deadline, System::block_number() + ValidationPeriod::get());
			System::assert_has_event(
				Event::ValidationRequested { job_id, validator, deadline }.into(),
			);
			// Not paid yet.
			assert_eq!(held(CONSUMER), ESCROW);
			assert_eq!(Inference::api_work_of(validator), vec![(job_id, WorkKind::Validate)]);
			let (executor_before, validator_before) = (free(executor), free(validator));
			let (treasury_before, reputation_before) = (free(TREASURY), reputation(validator));

			assert_ok!(pass(validator, job_id));
			assert_eq!(ended(job_id), JobEnd::Validated);
			assert_eq!(free(CONSUMER), ENDOWMENT - FEE);
			// The check is paid out of the protocol fee; the executor's part is unchanged.
			let pay = ValidatorPay::get() * FEE;
			assert_eq!(free(validator), validator_before + pay);
			assert_eq!(free(TREASURY), treasury_before + FEE / 10 - pay);
			assert_eq!(free(executor), executor_before + FEE - FEE / 10);
			// A pass nothing checked earns no reputation: passing everything unchecked must not
			// buy a host fewer checks of its own results.
			assert_eq!(reputation(validator), reputation_before);
			let outcome = Outcomes::<Test>::get(job_id).unwrap();
			assert_eq!(
				(outcome.fee, outcome.protocol_fee, outcome.validation_fee),
				(FEE, FEE / 10 - pay, pay)
			);
			System::assert_has_event(
				Event::VerdictSubmitted { job_id, validator, judgement: VALID }.into(),
			);
		});
}

#[test]
fn submit_verdict_rejects_everyone_but_a_pending_validator_in_time() {
	ExtBuilder::default()
		.with_hosts()
		.sample_rate(Perbill::one())
		.build_and_execute(|| {
			let assigned = submit(CONSUMER).unwrap();
			assert_noop!(
				verdict(executor_of(assigned), assigned, VALID),
				Error::<Test>::NotValidator
			);
			assert_noop!(verdict(ALICE, 99, VALID), Error::<Test>::UnknownJob);

			let (job_id, executor, validator) = delivered_and_validating();
			assert_noop!(verdict(executor, job_id, VALID), Error::<Test>::NotValidator);
			assert_noop!(verdict(CONSUMER, job_id, VALID), Error::<Test>::NotValidator);
			let deadline = job(job_id).deadline;
			let now = System::block_number();
			System::set_block_number(deadline);
			assert_noop!(verdict(validator, job_id, VALID), Error::<Test>::DeadlinePassed);
			System::set_block_number(now);
		});
}

#[test]
fn a_silent_validator_loses_reputation_and_bond_and_the_executor_is_paid() {
	ExtBuilder::default()
		.with_hosts()
		.sample_rate(Perbill::one())
		.build_and_execute(|| {
			let (job_id, executor, validator) = delivered_and_validating();
			let before = free(executor);
			let treasury = free(TREASURY);
			let validator_free = free(validator);
			run_to_block(job(job_id).deadline);
			// Nothing was found: the result is paid for.
			assert_eq!(ended(job_id), JobEnd::Completed);
			assert_eq!(reputation(validator), Perbill::from_percent(90));
			// The pay of the verdict it owed, which is more than `SilenceSlash` of its bond.
			let slashed = ValidatorPay::get() * FEE;
			assert!(slashed > SilenceSlash::get() * MinHostBond::get());
			assert_eq!(bond_of(validator), MinHostBond::get() - slashed);
			assert_eq!(free(validator), validator_free, "silence is never paid");
			// Nobody checked the result: all of the protocol fee goes to the treasury.
			assert_eq!(free(TREASURY), treasury + slashed + FEE / 10);
			System::assert_has_event(Event::ValidatorSilent { job_id, validator, slashed }.into());
			assert_eq!(free(executor), before + FEE - FEE / 10);
			System::assert_has_event(
				Event::ValidationSkipped { job_id, missed_by: Some(validator) }.into(),
			);
		});
}

#[test]
fn a_job_pins_its_model_version_and_a_new_version_releases_it_without_penalty() {
	ExtBuilder::default().with_hosts().build_and_execute(|| {
		let job_id = submit(CONSUMER).unwrap();
		assert_eq!(job(job_id).model_version, 1);
		let executor = executor_of(job_id);
		let (reputation_before, bond_before) = (reputation(executor), bond_of(executor));
		let consumer_before = free(CONSUMER);
		// Governance ships new weights while the job runs; the executor moves to them.
		MockModels::set_weights_hash([2; 32]);
		run_to_block(job(job_id).deadline);
		assert_eq!(ended(job_id), JobEnd::Released);
		System::assert_has_event(Event::JobReleased { job_id, version: 1 }.into());
		assert_eq!(free(CONSUMER), consumer_before + ESCROW, "refunded in full");
		assert_eq!((reputation(executor), bond_of(executor)), (reputation_before, bond_before));
		assert_eq!(MockWork::delivery(executor).1, 0, "not held to have missed");
		// A job submitted now is bought for the new version.
		let next = submit(CONSUMER).unwrap();
		assert_eq!(job(next).model_version, 2);
	});
}

#[test]
fn a_job_waiting_for_its_executor_when_the_version_moves_is_never_run_on_another() {
	ExtBuilder::default().with_hosts().build_and_execute(|| {
		let job_id = submit_unassigned(CONSUMER).unwrap();
		MockModels::set_weights_hash([2; 32]);
		next_block();
		assert_eq!(ended(job_id), JobEnd::Released);
		assert_eq!(Outcomes::<Test>::get(job_id).unwrap().executor, None, "never assigned");
	});
}

#[test]
fn a_result_on_the_pinned_version_is_paid_and_its_silent_validator_excused_after_an_update() {
	ExtBuilder::default()
		.with_hosts()
		.sample_rate(Perbill::one())
		.build_and_execute(|| {
			// Drawn for validation, then the version moves: the validator cannot check it.
			let (job_id, executor, validator) = delivered_and_validating();
			let before = free(executor);
			let (bond, standing) = (bond_of(validator), reputation(validator));
			MockModels::set_weights_hash([2; 32]);
			run_to_block(job(job_id).deadline);
			assert_eq!(ended(job_id), JobEnd::Completed);
			assert_eq!((bond_of(validator), reputation(validator)), (bond, standing), "excused");
			assert_eq!(free(executor), before + FEE - FEE / 10);

			// Delivered, and the version moves before the check is drawn: paid unchecked.
			MockModels::set_weights_hash([1; 32]);
			let job_id = submit(CONSUMER).unwrap();
			let executor = executor_of(job_id);
			let before = free(executor);
			assert_ok!(deliver(job_id, "the answer"));
			MockModels::set_weights_hash([3; 32]);
			next_block();
			assert_eq!(ended(job_id), JobEnd::Completed);
			System::assert_has_event(Event::ValidationSkipped { job_id, missed_by: None }.into());
			assert_eq!(free(executor), before + FEE - FEE / 10);
		});
}

#[test]
fn an_accusation_of_a_result_whose_version_moved_ends_unresolved_without_slashes() {
	ExtBuilder::default()
		.with_hosts()
		.sample_rate(Perbill::one())
		.build_and_execute(|| {
			let (job_id, executor, validator) = delivered_and_validating();
			let bonds = (bond_of(executor), bond_of(validator));
			assert_ok!(verdict(validator, job_id, FRAUD));
			MockModels::set_weights_hash([2; 32]);
			let consumer_before = free(CONSUMER);
			next_block();
			assert_eq!(ended(job_id), JobEnd::Unresolved);
			assert_eq!(free(CONSUMER), consumer_before + ESCROW);
			assert_eq!((bond_of(executor), bond_of(validator)), bonds, "nobody slashed");
		});
}

#[test]
fn a_sampled_result_without_any_validator_is_paid() {
	ExtBuilder::default()
		.with_host(ALICE, &[0])
		.sample_rate(Perbill::one())
		.build_and_execute(|| {
			let job_id = submit(CONSUMER).unwrap();
			assert_ok!(deliver(job_id, "alone"));
			next_block();
			assert_eq!(ended(job_id), JobEnd::Completed);
			System::assert_has_event(Event::ValidationSkipped { job_id, missed_by: None }.into());
		});
}

#[test]
fn confirmed_fraud_refunds_slashes_rewards_and_jails() {
	ExtBuilder::default()
		.with_hosts()
		.sample_rate(Perbill::one())
		.build_and_execute(|| {
			let issuance_before = issuance();
			let (job_id, executor, accuser, validators) = disputed();
			assert_eq!(validators.len(), 3);
			for v in &validators {
				assert!(![executor, accuser, CONSUMER].contains(v));
			}
			System::assert_has_event(
				Event::DisputeOpened {
					job_id,
					accuser,
					validators: validators.clone(),
					deadline: job(job_id).deadline,
				}
				.into(),
			);
			let balances: Vec<_> = validators.iter().map(|v| free(*v)).collect();
			let accuser_before = free(accuser);
			assert_ok!(verdict(validators[0], job_id, FRAUD));
			assert_noop!(verdict(validators[0], job_id, FRAUD), Error::<Test>::AlreadyVoted);
			assert_ok!(verdict(validators[1], job_id, FRAUD));
			assert_ok!(verdict(validators[2], job_id, FRAUD));

			assert_eq!(ended(job_id), JobEnd::Fraud);
			assert!(Outcomes::<Test>::get(job_id).unwrap().disputed);
			assert_eq!(free(CONSUMER), ENDOWMENT);
			assert_eq!(held(CONSUMER), 0);
			// Fraud is no work, and a missed job.
			assert_eq!(MockWork::of(executor), 0);
			assert_eq!(MockWork::delivery(executor), (0, 1));
			// Half the bond, shared by the four validators who were right.
			assert_eq!(bond_of(executor), MinHostBond::get() / 2);
			let share = MinHostBond::get() / 2 / 4;
			assert_eq!(free(accuser), accuser_before + share);
			for (v, before) in validators.iter().zip(balances) {
				assert_eq!(free(*v), before + share);
			}
			assert!(matches!(
				pallet_daya_compute::Hosts::<Test>::get(executor).unwrap().status,
				pallet_daya_compute::HostStatus::Jailed { .. }
			));
			// A convicted forger loses its standing: once back, every result of its is
			// checked until it earns reputation again.
			assert_eq!(reputation(executor), Perbill::zero());
			assert_eq!(Inference::sample_rate(&executor), Perbill::one());
			assert_eq!(issuance(), issuance_before);
			System::assert_has_event(
				Event::FraudConfirmed { job_id, executor, slashed: MinHostBond::get() / 2 }.into(),
			);
		});
}

#[test]
fn a_majority_decides_and_the_minority_loses_reputation() {
	ExtBuilder::default()
		.with_hosts()
		.sample_rate(Perbill::one())
		.build_and_execute(|| {
			let (job_id, executor, _, validators) = disputed();
			assert_ok!(verdict(validators[0], job_id, FRAUD));
			assert_ok!(verdict(validators[1], job_id, VALID));
			assert_ok!(verdict(validators[2], job_id, FRAUD));
			assert_eq!(ended(job_id), JobEnd::Fraud);
			assert_eq!(reputation(validators[1]), Perbill::from_percent(90));
			assert!(reputation(executor) < Perbill::one());
		});
}

#[test]
fn an_overturned_accusation_slashes_the_accuser_for_the_executor() {
	ExtBuilder::default()
		.with_hosts()
		.sample_rate(Perbill::one())
		.build_and_execute(|| {
			let (job_id, executor, accuser, validators) = disputed();
			let executor_before = free(executor);
			let before = validators.iter().map(|v| free(*v)).collect::<Vec<_>>();
			let accuser_before = free(accuser);
			for v in &validators {
				assert_ok!(verdict(*v, job_id, VALID));
			}
			assert_eq!(ended(job_id), JobEnd::Validated);
			let slashed = MinHostBond::get() / 10;
			assert_eq!(bond_of(accuser), MinHostBond::get() - slashed);
			assert_eq!(free(executor), executor_before + slashed + FEE - FEE / 10);
			// The dispute's validators checked the result and share the pay, the first taking
			// the remainder; the accuser gets none of it.
			let pay = ValidatorPay::get() * FEE;
			let part = pay / 3;
			assert_eq!(free(validators[0]), before[0] + pay - 2 * part);
			assert_eq!(free(validators[1]), before[1] + part);
			assert_eq!(free(validators[2]), before[2] + part);
			assert_eq!(free(accuser), accuser_before);
			assert_eq!(free(CONSUMER), ENDOWMENT - FEE);
			assert_eq!(reputation(accuser), Perbill::from_percent(90));
			System::assert_has_event(
				Event::AccusationOverturned { job_id, accuser, slashed }.into(),
			);
		});
}

/// Silence never convicts: one verdict of fraud, one of valid and one missing is no majority of
/// the three drawn. The silent validator is slashed, the dispute staffed again, and the new
/// round decides.
#[test]
fn a_round_left_without_a_majority_by_silence_is_staffed_again() {
	ExtBuilder::default()
		.with_hosts()
		.sample_rate(Perbill::one())
		.build_and_execute(|| {
			let (job_id, executor, accuser, validators) = disputed();
			let executor_before = free(executor);
			assert_ok!(verdict(validators[0], job_id, FRAUD));
			assert_ok!(verdict(validators[1], job_id, VALID));
			run_to_block(job(job_id).deadline);
			System::assert_has_event(
				Event::DisputeRoundFailed { job_id, round: 0, silent: vec![validators[2]] }.into(),
			);
			let slashed = ValidatorPay::get() * FEE;
			assert_eq!(bond_of(validators[2]), MinHostBond::get() - slashed);
			assert_eq!(reputation(validators[2]), Perbill::from_percent(90));
			// Neither paid nor slashed yet: the dispute's second round is drawn (from this
			// block's seed, a later relay block's than the round's end).
			assert!(matches!(job(job_id).status, JobStatus::Disputed { round: 1, .. }));
			assert_eq!(free(executor), executor_before);
			assert_eq!(bond_of(executor), MinHostBond::get());
			let (_, second) = dispute_of(job_id);
			// The silent one is below the minimum bond now, and drawn no more.
			assert_eq!(second.len(), 2);
			assert!(!second.contains(&validators[2]));
			for v in &second {
				assert_ok!(verdict(*v, job_id, FRAUD));
			}
			assert_eq!(ended(job_id), JobEnd::Fraud);
			assert_eq!(bond_of(accuser), MinHostBond::get());
		});
}

/// Validators that stay silent round after round leave the accusation unresolved: the consumer
/// is refunded, the executor is not paid (nor slashed), every silent validator pays.
#[test]
fn a_dispute_nobody_answers_refunds_the_consumer_and_never_pays_the_accused() {
	ExtBuilder::default()
		.with_hosts()
		.sample_rate(Perbill::one())
		.build_and_execute(|| {
			let (job_id, executor, _, _) = disputed();
			let executor_before = free(executor);
			let mut silent = 0;
			while Jobs::<Test>::contains_key(job_id) {
				if let JobStatus::Disputed { verdicts, .. } = job(job_id).status {
					silent += verdicts.len();
					run_to_block(job(job_id).deadline);
				} else {
					next_block();
				}
			}
			assert_eq!(ended(job_id), JobEnd::Unresolved);
			// Each silent validator's slash took its bond below the registry's minimum: it is
			// drawn for nothing until it bonds again, so no host was left to staff a second
			// round, and the staffing period ran out.
			assert_eq!(silent, 3);
			System::assert_has_event(Event::DisputeUnresolved { job_id }.into());
			assert_eq!(free(CONSUMER), ENDOWMENT);
			assert_eq!(held(CONSUMER), 0);
			assert_eq!(free(executor), executor_before);
			assert_eq!(bond_of(executor), MinHostBond::get());
		});
}

/// A tie among validators that all answered: the accuser did not convince a full panel and
/// pays as for an overturned accusation.
#[test]
fn a_tie_of_a_fully_staffed_dispute_costs_the_accuser() {
	ExtBuilder::default()
		.with_host(ALICE, &[0])
		.with_host(BOB, &[0])
		.with_host(CHARLIE, &[0])
		.with_host(DAVE, &[0])
		.sample_rate(Perbill::one())
		.build_and_execute(|| {
			let (job_id, executor, accuser, validators) = disputed();
			assert_eq!(validators.len(), 2, "the two hosts left");
			let executor_before = free(executor);
			assert_ok!(verdict(validators[0], job_id, FRAUD));
			assert_ok!(verdict(validators[1], job_id, VALID));
			assert_eq!(ended(job_id), JobEnd::Validated);
			let slashed = MinHostBond::get() / 10;
			assert_eq!(bond_of(accuser), MinHostBond::get() - slashed);
			assert_eq!(free(executor), executor_before + slashed + FEE - FEE / 10);
			System::assert_has_event(
				Event::AccusationOverturned { job_id, accuser, slashed }.into(),
			);
		});
}

/// The attack: forge on a model served by two hosts, where the only other host is the
/// validator. The accusation waits for a dispute's validator; one that comes decides it.
#[test]
fn an_accusation_waits_for_a_host_to_check_it() {
	ExtBuilder::default()
		.with_host(ALICE, &[0])
		.with_host(BOB, &[0])
		.sample_rate(Perbill::one())
		.build_and_execute(|| {
			let (job_id, executor, validator) = delivered_and_validating();
			assert_ok!(verdict(validator, job_id, FRAUD));
			next_block();
			next_block();
			assert!(matches!(job(job_id).status, JobStatus::Accused { .. }));
			assert_eq!(Draws::<Test>::get().len(), 1, "the dispute's draw waits in the queue");
			register_host(CHARLIE, &[0]).unwrap();
			next_block();
			let (_, validators) = dispute_of(job_id);
			assert_eq!(validators, vec![CHARLIE]);
			assert_ok!(verdict(CHARLIE, job_id, FRAUD));
			assert_eq!(ended(job_id), JobEnd::Fraud);
			assert!(bond_of(executor) < MinHostBond::get());
		});
}

/// Nobody comes to check an accused result: after the staffing period the consumer is
/// refunded in full and the accused is not paid.
#[test]
fn an_accusation_nobody_can_check_refunds_the_consumer_and_never_pays_the_accused() {
	ExtBuilder::default()
		.with_host(ALICE, &[0])
		.with_host(BOB, &[0])
		.sample_rate(Perbill::one())
		.build_and_execute(|| {
			let (job_id, executor, validator) = delivered_and_validating();
			let executor_before = free(executor);
			assert_ok!(verdict(validator, job_id, FRAUD));
			let accused_at = System::block_number();
			while Jobs::<Test>::contains_key(job_id) {
				next_block();
			}
			assert!(System::block_number() >= accused_at + DisputeStaffingPeriod::get());
			assert_eq!(ended(job_id), JobEnd::Unresolved);
			System::assert_has_event(Event::DisputeUnresolved { job_id }.into());
			assert_eq!(free(CONSUMER), ENDOWMENT);
			assert_eq!(free(executor), executor_before);
			assert_eq!(bond_of(executor), MinHostBond::get());
			assert_eq!(bond_of(validator), MinHostBond::get());
		});
}

/// A forgery costs at least its fee divided by the least sample rate, so that it loses money
/// in expectation even for the most trusted host.
#[test]
fn fraud_costs_the_fee_over_the_least_sample_rate() {
	ExtBuilder::default()
		.with_hosts()
		.sample_rate(Perbill::one())
		.build_and_execute(|| {
			let (job_id, executor, _, validators) = disputed();
			// At a high sample rate the fixed share is the floor: 200 / 100% is 20% of the bond.
			assert_eq!(
				Inference::fraud_penalty(&executor, &job(job_id)),
				Perbill::from_percent(50)
			);
			// 200 / 25% = 800 of a 1,000 bond: more than the 50% fixed slash.
			MinSampleRate::set(&Perbill::from_percent(25));
			assert_eq!(
				Inference::fraud_penalty(&executor, &job(job_id)),
				Perbill::from_percent(80)
			);
			// 200 / 10% = 2,000: the whole bond.
			MinSampleRate::set(&Perbill::from_percent(10));
			assert_eq!(Inference::fraud_penalty(&executor, &job(job_id)), Perbill::one());
			for v in &validators {
				assert_ok!(verdict(*v, job_id, FRAUD));
			}
			assert_eq!(ended(job_id), JobEnd::Fraud);
			assert_eq!(bond_of(executor), 0);
		});
}

#[test]
fn the_sample_rate_falls_with_reputation_down_to_the_floor() {
	ExtBuilder::default().with_hosts().build_and_execute(|| {
		MinSampleRate::set(&Perbill::from_percent(5));
		// Fully trusted: the floor.
		assert_eq!(Inference::sample_rate(&ALICE), Perbill::from_percent(5));
		// Unknown accounts have no reputation: always checked.
		assert_eq!(Inference::sample_rate(&CONSUMER), Perbill::one());
		// A host that missed twice: 80% reputation, 20% sampling.
		<Compute as HostRegistry<_, _, _>>::record_miss(&BOB);
		<Compute as HostRegistry<_, _, _>>::record_miss(&BOB);
		assert_eq!(Inference::sample_rate(&BOB), Perbill::from_percent(20));
	});
}

#[test]
fn a_half_trusted_host_is_validated_about_half_the_time() {
	ExtBuilder::default().with_hosts().build_and_execute(|| {
		InitialReputation::set(&Perbill::from_percent(50));
		register_host(FERDIE, &[0]).unwrap();
		assert_ok!(Compute::chill(RuntimeOrigin::signed(ALICE)));
		let mut sampled = 0;
		let mut delivered = 0;
		while delivered < 100 {
			// Ferdie delivers; the other hosts validate.
			let job_id = submit(CONSUMER).unwrap();
			if executor_of(job_id) != FERDIE {
				// A trusted host's result, never sampled at the zero floor.
				assert_ok!(deliver(job_id, "a"));
				next_block();
				continue;
			}
			delivered += 1;
			// Keep Ferdie's reputation at one half.
			pallet_daya_compute::Hosts::<Test>::mutate(FERDIE, |host| {
				host.as_mut().unwrap().reputation = Perbill::from_percent(50)
			});
			assert_ok!(deliver(job_id, "a"));
			run_to_block(System::block_number() + 1);
			if Jobs::<Test>::contains_key(job_id) {
				sampled += 1;
				assert_ok!(pass(validator_of(job_id), job_id));
			}
		}
		// 50 expected; outside 30..=70 has a probability below 1e-4.
		assert!((30..=70).contains(&sampled), "sampled {sampled} of about 50");
	});
}

#[test]
fn a_pruned_outcome_takes_its_payload_and_output_out_of_the_offchain_index() {
	let mut ext = ExtBuilder::default().build();
	let ended_at = ext.execute_with(|| {
		MinSampleRate::set(&Perbill::one());
		for who in [ALICE, BOB, CHARLIE] {
			register_host(who, &[0]).unwrap();
		}
		let (job_id, _, validator) = delivered_and_validating();
		assert_ok!(pass(validator, job_id));
		assert_eq!(ended(job_id), JobEnd::Validated);
		System::block_number()
	});
	ext.persist_offchain_overlay();
	assert!(ext.offchain_db().get(&payload_key(0)).is_some());
	assert!(ext.offchain_db().get(&output_key(0)).is_some());
	ext.execute_with(|| {
		run_to_block(ended_at + OutcomeRetention::get() - 1);
		assert!(Outcomes::<Test>::get(0).is_some());
	});
	ext.persist_offchain_overlay();
	assert!(ext.offchain_db().get(&output_key(0)).is_some(), "kept while the outcome is");
	ext.execute_with(|| {
		run_to_block(ended_at + OutcomeRetention::get());
		assert!(Outcomes::<Test>::get(0).is_none());
	});
	ext.persist_offchain_overlay();
	assert_eq!(ext.offchain_db().get(&payload_key(0)), None);
	assert_eq!(ext.offchain_db().get(&output_key(0)), None);
}

#[test]
fn outcomes_are_kept_for_the_retention_period_and_bounded() {
	ExtBuilder::default().with_hosts().build_and_execute(|| {
		let first = submit_unassigned(CONSUMER).unwrap();
		assert_ok!(Inference::cancel_job(RuntimeOrigin::signed(CONSUMER), first));
		let ended_at = System::block_number();
		run_to_block(ended_at + OutcomeRetention::get() - 1);
		assert!(Outcomes::<Test>::get(first).is_some());
		run_to_block(ended_at + OutcomeRetention::get());
		assert!(Outcomes::<Test>::get(first).is_none());
		assert_eq!(OutcomeHead::<Test>::get(), OutcomeTail::<Test>::get());

		// At most MaxOutcomes: the oldest go first.
		let ids: Vec<_> = (0..MaxOutcomes::get() + 2)
			.map(|_| {
				let job_id = submit_unassigned(CONSUMER).unwrap();
				assert_ok!(Inference::cancel_job(RuntimeOrigin::signed(CONSUMER), job_id));
				// The cancelled job's draw leaves the queue in the next block.
				next_block();
				job_id
			})
			.collect();
		assert!(Outcomes::<Test>::get(ids[0]).is_none());
		assert!(Outcomes::<Test>::get(ids[1]).is_none());
		assert!(Outcomes::<Test>::get(ids[2]).is_some());
		assert_eq!(Outcomes::<Test>::iter().count(), MaxOutcomes::get() as usize);
	});
}

#[test]
fn runtime_api_answers() {
	ExtBuilder::default().with_hosts().build_and_execute(|| {
		assert_eq!(Inference::api_quote(0, 10, 20), Ok(ESCROW));
		assert_eq!(Inference::api_quote(9, 10, 20), Err(QuoteError::UnknownModel));
		assert_eq!(Inference::api_quote(3, 10, 20), Err(QuoteError::ModelNotAccepting));
		assert_eq!(Inference::api_quote(0, 10, 129), Err(QuoteError::TooManyTokens));
		assert_eq!(Inference::api_quote(0, 100, 100), Err(QuoteError::TooManyTokens));
		assert_eq!(Inference::api_quote(0, u32::MAX, 1), Err(QuoteError::Overflow));

		let job_id = submit_unassigned(CONSUMER).unwrap();
		let view = Inference::api_job(job_id).unwrap();
		assert_eq!((view.executor, view.status), (None, JobStatusView::Unassigned));
		assert!([ALICE, BOB, CHARLIE, DAVE, EVE]
			.iter()
			.all(|h| Inference::api_work_of(*h).is_empty()));
		next_block();
		let executor = executor_of(job_id);
		let view = Inference::api_job(job_id).unwrap();
		assert_eq!(view.consumer, CONSUMER);
		assert_eq!(view.executor, Some(executor));
		assert_eq!(view.escrow, ESCROW);
		assert_eq!(view.status, JobStatusView::Assigned);
		assert_eq!(view.output_hash, None);
		assert_eq!(Inference::api_jobs_of(CONSUMER), vec![job_id]);
		assert_eq!(Inference::api_work_of(executor), vec![(job_id, WorkKind::Execute)]);
		assert!(Inference::api_work_of(CONSUMER).is_empty());

		assert_ok!(deliver(job_id, "out"));
		let view = Inference::api_job(job_id).unwrap();
		assert_eq!(view.status, JobStatusView::Delivered);
		assert_eq!(view.output_hash, Some(blake2_256(b"out")));
		assert_eq!(view.usage, Some(usage(8, 12)));
		assert!(Inference::api_work_of(executor).is_empty());
		next_block();
		assert_eq!(Inference::api_job(job_id), None);
		assert_eq!(Inference::api_outcome(job_id).unwrap().end, JobEnd::Completed);
		assert_eq!(Inference::api_jobs_of(CONSUMER), Vec::<JobId>::new());
	});
}

#[test]
fn try_state_catches_broken_invariants() {
	ExtBuilder::default().with_hosts().build_and_execute(|| {
		let job_id = submit(CONSUMER).unwrap();
		let check = |mutate: &dyn Fn()| {
			polkadot_sdk::frame_support::storage::with_transaction(|| {
				mutate();
				let result = Inference::do_try_state();
				polkadot_sdk::frame_support::storage::TransactionOutcome::Rollback(Ok::<
					_,
					polkadot_sdk::sp_runtime::DispatchError,
				>(result))
			})
			.unwrap()
		};
		assert!(check(&|| Jobs::<Test>::mutate(job_id, |j| j
			.as_mut()
			.unwrap()
			.price_per_token += 1))
		.is_err());
		assert!(check(&|| JobsOf::<Test>::remove(CONSUMER)).is_err());
		assert!(check(&|| Deadlines::<Test>::remove(job(job_id).deadline)).is_err());
		assert!(check(
			&|| Jobs::<Test>::mutate(job_id, |j| j.as_mut().unwrap().status = JobStatus::Delivered)
		)
		.is_err());
		assert!(check(&|| NextJobId::<Test>::put(0)).is_err());
		assert!(check(&|| Jobs::<Test>::mutate(job_id, |j| j.as_mut().unwrap().executor = None))
			.is_err());
		let executor = executor_of(job_id);
		assert!(check(&|| WorkOf::<Test>::remove(executor)).is_err());
		assert!(check(&|| {
			let _ = WorkOf::<Test>::try_append(executor, job_id);
		})
		.is_err());
		assert!(check(&|| {
			let _ = WorkOf::<Test>::try_append(CONSUMER, job_id);
		})
		.is_err());
		let unassigned = submit_unassigned(CONSUMER).unwrap();
		assert!(check(&|| Draws::<Test>::kill()).is_err());
		assert!(check(&|| {
			let _ = Draws::<Test>::try_append(PendingDraw { job_id: unassigned, after: 0 });
		})
		.is_err());
		assert!(check(&|| {
			let _ = Draws::<Test>::try_append(PendingDraw { job_id, after: 0 });
		})
		.is_err());
		assert!(check(&|| {
			let _ = Balances::release(
				&RuntimeHoldReason::Inference(HoldReason::JobEscrow),
				&CONSUMER,
				1,
				polkadot_sdk::frame_support::traits::tokens::Precision::Exact,
			);
		})
		.is_err());
		assert!(check(&|| {
			let _ =
				<Balances as polkadot_sdk::frame_support::traits::fungible::Mutate<_>>::mint_into(
					&Inference::account_id(),
					10,
				);
		})
		.is_err());
		assert!(Inference::do_try_state().is_ok());
	});
}

#[test]
fn the_sampling_key_is_drawn_at_assignment_and_nobody_chooses_it() {
	ExtBuilder::default().with_hosts().build_and_execute(|| {
		let submit_with_seed = |who, seed| {
			let job_id = NextJobId::<Test>::get();
			let params = JobParams { seed, ..Default::default() };
			assert_ok!(Inference::submit_job(
				RuntimeOrigin::signed(who),
				0,
				payload("0123456789"),
				20,
				PRICE,
				params
			));
			job_id
		};
		// Submitted in the same block with the same seed: unknown until assigned, then
		// different (the job id is mixed in).
		let a = submit_with_seed(CONSUMER, 7);
		let b = submit_with_seed(CONSUMER_2, 7);
		assert_eq!(job(a).sampling_key, H256::zero());
		next_block();
		let (key_a, key_b) = (job(a).sampling_key, job(b).sampling_key);
		assert_ne!(key_a, H256::zero());
		assert_ne!(key_a, key_b);
		// The same job and seed under another block's randomness: another key, so a consumer
		// that picks its seed cannot pick the key.
		let before = NextJobId::<Test>::get();
		set_seed_salt(1);
		let c = submit_with_seed(CONSUMER, 7);
		next_block();
		assert_eq!(c, before);
		assert_ne!(job(c).sampling_key, key_a);
		// A reassigned job gets a fresh key with its new executor.
		let key_c = job(c).sampling_key;
		run_to_block(job(c).deadline);
		assert_ne!(job(c).sampling_key, key_c);
		Inference::do_try_state().unwrap();
	});
}

/// Hosts whose executor forwards to another server ([`ExecutorKind::GreedyOnly`]): greedy jobs
/// only, results without fingerprints, never a validator.
mod greedy_only_hosts {
	use super::*;
	use daya_primitives::ExecutorKind;

	fn declare(who: AccountId, kind: ExecutorKind) {
		assert_ok!(Compute::set_executor_kind(RuntimeOrigin::signed(who), kind));
	}

	/// Submits a job at `temperature_milli` and moves to the block that draws its executor.
	fn submit_at(
		who: AccountId,
		temperature_milli: u32,
	) -> Result<JobId, polkadot_sdk::sp_runtime::DispatchError> {
		let job_id = crate::NextJobId::<Test>::get();
		Inference::submit_job(
			RuntimeOrigin::signed(who),
			0,
			payload("0123456789"),
			20,
			PRICE,
			JobParams { temperature_milli, ..Default::default() },
		)?;
		next_block();
		Ok(job_id)
	}

	fn unfingerprinted() -> JobResult<Test> {
		let mut r = result("the answer", 8, 12);
		r.fingerprints.clear();
		r
	}

	fn submit_result(who: AccountId, job_id: JobId, r: JobResult<Test>) -> DispatchResult {
		Inference::submit_result(RuntimeOrigin::signed(who), job_id, r)
			.map(|_| ())
			.map_err(|e| e.error)
	}

	#[test]
	fn take_greedy_jobs_and_are_never_drawn_for_sampled_ones_or_checks() {
		ExtBuilder::default()
			.with_hosts()
			.sample_rate(Perbill::one())
			.build_and_execute(|| {
				let proxies = [ALICE, BOB, CHARLIE];
				for who in proxies {
					declare(who, ExecutorKind::GreedyOnly);
				}
				let mut greedy_by_proxies = 0;
				for round in 0..12 {
					set_seed_salt(round);
					// A greedy job may go to any host; a proxy delivers it without fingerprints.
					let greedy = submit_at(CONSUMER, 0).unwrap();
					let executor = executor_of(greedy);
					let delivered = if proxies.contains(&executor) {
						greedy_by_proxies += 1;
						unfingerprinted()
					} else {
						result("the answer", 8, 12)
					};
					assert_ok!(submit_result(executor, greedy, delivered));
					next_block();
					// Its validator replays and checks: never a proxy.
					let validator = validator_of(greedy);
					assert!([DAVE, EVE].contains(&validator), "round {round}: {validator}");
					assert_ok!(pass(validator, greedy));

					// A sampled job goes to a host that replays the sampler.
					let sampled = submit_at(CONSUMER_2, 700).unwrap();
					assert!([DAVE, EVE].contains(&executor_of(sampled)), "round {round}");
					assert_ok!(deliver(sampled, "sampled"));
					next_block();
					assert_ok!(pass(validator_of(sampled), sampled));
					next_block();
				}
				assert!(greedy_by_proxies > 0, "proxies take greedy jobs");
			});
	}

	#[test]
	fn a_sampled_job_no_host_can_replay_is_refused() {
		ExtBuilder::default().with_hosts().build_and_execute(|| {
			for who in [ALICE, BOB, CHARLIE, DAVE, EVE] {
				declare(who, ExecutorKind::GreedyOnly);
			}
			let before = free(CONSUMER);
			assert_noop!(submit_at(CONSUMER, 700), Error::<Test>::NoHostAvailable);
			assert_eq!(free(CONSUMER), before);
			assert_ok!(submit_at(CONSUMER, 0));
		});
	}

	#[test]
	fn only_a_proxys_greedy_result_may_go_without_fingerprints() {
		ExtBuilder::default().with_hosts().build_and_execute(|| {
			// A full host must commit fingerprints, greedy job or not.
			let greedy = submit_at(CONSUMER, 0).unwrap();
			let executor = executor_of(greedy);
			assert_noop!(
				submit_result(executor, greedy, unfingerprinted()),
				Error::<Test>::MalformedResult
			);
			// A host that turns proxy after a sampled job was assigned to it still owes the
			// fingerprints of that job.
			let sampled = submit_at(CONSUMER_2, 700).unwrap();
			let host = executor_of(sampled);
			declare(host, ExecutorKind::GreedyOnly);
			assert_noop!(
				submit_result(host, sampled, unfingerprinted()),
				Error::<Test>::MalformedResult
			);
			assert_ok!(deliver(sampled, "sampled"));
			// A proxy's greedy result: tokens without fingerprints, or with all of them.
			if executor != host {
				declare(executor, ExecutorKind::GreedyOnly);
			}
			assert_ok!(submit_result(executor, greedy, unfingerprinted()));
			// Fingerprints that do not match the chunks are never a result, whoever sends them.
			let other = submit_at(CONSUMER, 0).unwrap();
			let mut extra = result("the answer", 8, 20);
			extra.fingerprints.try_push(Fingerprint::default()).unwrap();
			assert_noop!(
				submit_result(executor_of(other), other, extra),
				Error::<Test>::MalformedResult
			);
		});
	}
}

/// A probe the model does not give: what a validator that passes without computing shows.
const GUESSED: Fingerprint = Fingerprint { dims: [8, 7, 6, 5, 4, 3, 2, 1], values: [1; 8] };

/// The executor's judgement of a probe that is not its model's.
const WRONG_PROBE: Judgement = Judgement::Invalid(Fault::Probe { deviation_ppm: 1_000_000 });

/// A job whose validator passed it with `probe`, which its executor contests; the dispute's
/// three validators are drawn at the next block.
fn probe_contested(probe: Fingerprint) -> (JobId, AccountId, AccountId, Vec<AccountId>) {
	let (job_id, executor, validator) = delivered_and_validating();
	assert_ok!(Inference::submit_verdict(
		RuntimeOrigin::signed(validator),
		job_id,
		VALID,
		Some(probe)
	));
	assert_eq!(job(job_id).status, JobStatus::Probing { validator, probe });
	assert_eq!(Inference::api_work_of(executor), vec![(job_id, WorkKind::Validate)]);
	assert_ok!(verdict(executor, job_id, WRONG_PROBE));
	System::assert_has_event(Event::ProbeContested { job_id, validator }.into());
	assert_eq!(ContestedProbes::<Test>::get(job_id), Some((validator, probe)));
	next_block();
	let (accuser, validators) = dispute_of(job_id);
	assert_eq!(accuser, executor);
	assert!(!validators.contains(&validator), "the accused does not judge its own probe");
	assert_eq!(validators.len(), 3);
	(job_id, executor, validator, validators)
}

/// A validator that passes results without running the model cannot show the hidden state at
/// the probe position: the executor, which has it, contests the probe, the dispute's validators
/// confirm, and the lazy validator loses [`FraudSlash`] of its bond (to the executor and the
/// panel) and its standing. The result stands unchecked: the executor is paid, nobody is paid
/// for the check.
#[test]
fn a_validator_that_passes_without_computing_is_caught_by_its_probe() {
	ExtBuilder::default()
		.with_hosts()
		.sample_rate(Perbill::one())
		.build_and_execute(|| {
			let (job_id, executor, lazy, panel) = probe_contested(GUESSED);
			let executor_before = free(executor);
			let panel_before = panel.iter().map(|v| free(*v)).collect::<Vec<_>>();
			let lazy_before = free(lazy);
			for v in &panel {
				assert_ok!(verdict(*v, job_id, WRONG_PROBE));
			}
			assert_eq!(ended(job_id), JobEnd::Completed);
			let slashed = FraudSlash::get() * MinHostBond::get();
			System::assert_has_event(
				Event::LazyValidatorCaught { job_id, validator: lazy, slashed }.into(),
			);
			assert_eq!(bond_of(lazy), MinHostBond::get() - slashed);
			assert_eq!(free(lazy), lazy_before, "no pay for a check it did not do");
			assert_eq!(reputation(lazy), Perbill::zero());
			// Shared by the executor and the three validators who were right.
			let share = slashed / 4;
			assert_eq!(free(executor), executor_before + share + FEE - FEE / 10);
			for (v, before) in panel.iter().zip(panel_before) {
				assert_eq!(free(*v), before + share);
			}
			let outcome = Outcomes::<Test>::get(job_id).unwrap();
			assert_eq!((outcome.validation_fee, outcome.fee), (0, FEE));
			assert!(ContestedProbes::<Test>::get(job_id).is_none());
		});
}

/// An executor cannot farm validators' bonds by contesting honest probes: the dispute's
/// validators recognise the probe, the executor loses [`FalseAccusationSlash`] of its bond to
/// the validator, and the validator and the panel share the pay of the check.
#[test]
fn an_executor_that_contests_an_honest_probe_pays_for_it() {
	ExtBuilder::default()
		.with_hosts()
		.sample_rate(Perbill::one())
		.build_and_execute(|| {
			let (job_id, executor, validator, panel) = probe_contested(PROBE);
			let validator_before = free(validator);
			let panel_before = panel.iter().map(|v| free(*v)).collect::<Vec<_>>();
			for v in &panel {
				assert_ok!(verdict(*v, job_id, VALID));
			}
			assert_eq!(ended(job_id), JobEnd::Validated);
			let slashed = FalseAccusationSlash::get() * MinHostBond::get();
			System::assert_has_event(
				Event::AccusationOverturned { job_id, accuser: executor, slashed }.into(),
			);
			assert_eq!(bond_of(executor), MinHostBond::get() - slashed);
			assert_eq!(bond_of(validator), MinHostBond::get());
			// The pay of the check, in four parts, the contested validator first.
			let pay = ValidatorPay::get() * FEE;
			let part = pay / 4;
			assert_eq!(free(validator), validator_before + slashed + pay - 3 * part);
			for (v, before) in panel.iter().zip(panel_before) {
				assert_eq!(free(*v), before + part);
			}
			assert_eq!(Outcomes::<Test>::get(job_id).unwrap().validation_fee, pay);
		});
}

/// A pass must show its probe; an executor silent about a probe lets the pass stand and
/// loses reputation.
#[test]
fn a_pass_shows_its_probe_and_an_executor_silent_about_it_lets_it_stand() {
	ExtBuilder::default()
		.with_hosts()
		.sample_rate(Perbill::one())
		.build_and_execute(|| {
			let (job_id, executor, validator) = delivered_and_validating();
			assert!(job(job_id).probe_position(job_id).is_some());
			assert_noop!(
				Inference::submit_verdict(RuntimeOrigin::signed(validator), job_id, VALID, None)
					.map_err(|e| e.error),
				Error::<Test>::ProbeMissing
			);
			assert_ok!(verdict(validator, job_id, VALID));
			let deadline = job(job_id).deadline;
			System::assert_has_event(Event::ProbeShown { job_id, validator, deadline }.into());
			// Only the executor judges the probe, and nobody cancels meanwhile.
			assert_noop!(verdict(validator, job_id, VALID), Error::<Test>::NotValidator);
			assert_noop!(
				Inference::cancel_job(RuntimeOrigin::signed(CONSUMER), job_id),
				Error::<Test>::CannotCancel
			);
			let (validator_before, reputation_before) = (free(validator), reputation(executor));
			run_to_block(deadline);
			System::assert_has_event(Event::ProbeUnanswered { job_id, executor }.into());
			assert_eq!(ended(job_id), JobEnd::Validated);
			assert_eq!(free(validator), validator_before + ValidatorPay::get() * FEE);
			// A missed duty (-10%), then the delivery (+1%).
			assert_eq!(
				reputation(executor),
				reputation_before
					.saturating_sub(Perbill::from_percent(10))
					.saturating_add(Perbill::from_percent(1))
			);
		});
}

/// One-token results have no position that no fingerprint shows: a pass settles at once.
#[test]
fn a_one_token_result_is_passed_without_a_probe() {
	ExtBuilder::default()
		.with_hosts()
		.sample_rate(Perbill::one())
		.build_and_execute(|| {
			let job_id = submit(CONSUMER).unwrap();
			assert_ok!(Inference::submit_result(
				RuntimeOrigin::signed(executor_of(job_id)),
				job_id,
				result("a", 8, 1),
			));
			next_block();
			assert_eq!(job(job_id).probe_position(job_id), None);
			let validator = validator_of(job_id);
			assert_ok!(Inference::submit_verdict(
				RuntimeOrigin::signed(validator),
				job_id,
				VALID,
				None
			));
			assert_eq!(ended(job_id), JobEnd::Validated);
		});
}

/// The detection rate, played: a lazy validator (it passes everything and shows a guessed
/// probe) is drawn for the results of honest executors, which judge every probe. Its first
/// pass is contested and confirmed: it is caught at its first verdict, well within the 100
/// verdicts in which it must be caught with probability at least 99%, and it loses its
/// standing. Honest validators beside it are never caught (0 of their passes contested).
#[test]
fn a_lazy_validator_is_caught_at_its_first_pass_and_honest_ones_never() {
	ExtBuilder::default()
		.with_hosts()
		.sample_rate(Perbill::one())
		.build_and_execute(|| {
			let lazy = BOB;
			let (mut honest_passes, mut lazy_passes, mut caught_at) = (0u32, 0u32, None);
			for round in 0..60u32 {
				let job_id = submit(CONSUMER).unwrap();
				assert_ok!(deliver(job_id, "the answer"));
				next_block();
				let validator = validator_of(job_id);
				let executor = executor_of(job_id);
				let probe = if validator == lazy { GUESSED } else { PROBE };
				assert_ok!(Inference::submit_verdict(
					RuntimeOrigin::signed(validator),
					job_id,
					VALID,
					Some(probe)
				));
				// Honest executors recognise their model's probe and nothing else.
				let judgement = if probe == PROBE { VALID } else { WRONG_PROBE };
				assert_ok!(verdict(executor, job_id, judgement));
				if validator != lazy {
					honest_passes += 1;
					assert_eq!(ended(job_id), JobEnd::Validated);
					continue;
				}
				lazy_passes += 1;
				next_block();
				let (_, panel) = dispute_of(job_id);
				for v in panel {
					assert_ok!(verdict(v, job_id, WRONG_PROBE));
				}
				System::assert_has_event(
					Event::LazyValidatorCaught {
						job_id,
						validator: lazy,
						slashed: FraudSlash::get() * MinHostBond::get(),
					}
					.into(),
				);
				caught_at.get_or_insert(round);
				break;
			}
			assert_eq!(lazy_passes, 1, "caught at its first pass");
			assert!(caught_at.is_some());
			assert!(honest_passes > 0);
			assert_eq!(reputation(lazy), Perbill::zero());
		});
}

/// A forgery must lose money in expectation even at the least sample rate: a job goes only to
/// a host whose bond covers its escrow divided by that rate, the fraud penalty of the most the
/// job can pay. A host with the minimum bond is never given a job worth more than it can lose.
#[test]
fn a_job_goes_only_to_a_host_whose_bond_covers_its_fraud_penalty() {
	ExtBuilder::default()
		.with_hosts()
		.sample_rate(Perbill::from_percent(10))
		.build_and_execute(|| {
			// An escrow of 300 needs a bond of 3,000 at a least sample rate of 10%. Every host
			// bonds the minimum (1,000): nobody may take it; it is refused, holding nothing.
			assert_eq!(Inference::bond_needed_for(ESCROW), 3_000);
			assert_noop!(submit(CONSUMER), Error::<Test>::NoHostAvailable);

			// Dave bonds enough: every such job is his.
			assert_ok!(pallet_daya_compute::Pallet::<Test>::bond_more(
				RuntimeOrigin::signed(DAVE),
				2_000
			));
			let job_id = submit_unassigned(CONSUMER).unwrap();
			assert_eq!(Inference::bond_needed(&job(job_id)), 3_000);
			// His bond falls before the draw: the job is refunded, never given to a host that
			// cannot cover it.
			<pallet_daya_compute::Pallet<Test> as HostRegistry<_, _, _>>::slash(
				&DAVE,
				Perbill::from_percent(50),
				None,
			);
			next_block();
			assert_eq!(ended(job_id), JobEnd::Expired);
			assert_eq!(held(CONSUMER), 0);
			assert_ok!(pallet_daya_compute::Pallet::<Test>::bond_more(
				RuntimeOrigin::signed(DAVE),
				1_500
			));
			for _ in 0..8 {
				let job_id = submit(CONSUMER).unwrap();
				assert_eq!(bond_of(DAVE), 3_000, "{:?}", Outcomes::<Test>::get(job_id));
				assert_eq!(executor_of(job_id), DAVE);
				assert_ok!(deliver(job_id, "the answer"));
				next_block();
				if Jobs::<Test>::contains_key(job_id) {
					assert_ok!(pass(validator_of(job_id), job_id));
				}
			}
			// Smaller jobs go to anyone: an escrow of 100 needs 1,000.
			let small = Inference::submit_job(
				RuntimeOrigin::signed(CONSUMER),
				0,
				vec![b'x'; 2].try_into().unwrap(),
				8,
				PRICE,
				JobParams::default(),
			);
			assert_ok!(small);
		});
}

/// An executor cannot pad a short answer up to the global output bound: a result's text is at
/// most its token count times the model's most bytes per token.
#[test]
fn an_output_longer_than_its_tokens_decode_to_is_refused() {
	ExtBuilder::default().with_hosts().build_and_execute(|| {
		let job_id = submit(CONSUMER).unwrap();
		let executor = executor_of(job_id);
		let longest = "x".repeat(2 * MAX_TOKEN_BYTES as usize);
		assert!(longest.len() <= MaxOutputLen::get() as usize);
		assert_noop!(
			Inference::submit_result(
				RuntimeOrigin::signed(executor),
				job_id,
				result(&longest, 8, 1)
			),
			Error::<Test>::OutputTooLong
		);
		// Two tokens may carry it.
		assert_ok!(Inference::submit_result(
			RuntimeOrigin::signed(executor),
			job_id,
			result(&longest, 8, 2)
		));
	});
}

/// The jobs the index lists for `host`.
fn listed(host: AccountId) -> Vec<JobId> {
	WorkOf::<Test>::get(host).map(|jobs| jobs.into_inner()).unwrap_or_default()
}

#[test]
fn a_host_at_its_bound_gets_no_more_jobs_until_one_ends() {
	ExtBuilder::default()
		.with_host(ALICE, &[0])
		.with_host(BOB, &[0])
		.build_and_execute(|| {
			MaxOpenJobsPerHost::set(&1);
			let first = submit(CONSUMER).unwrap();
			let second = submit(CONSUMER).unwrap();
			let (a, b) = (executor_of(first), executor_of(second));
			assert_ne!(a, b, "a host at its bound is skipped");
			assert_eq!((listed(a), listed(b)), (vec![first], vec![second]));
			assert_eq!(Inference::api_work_of(a), vec![(first, WorkKind::Execute)]);

			// Both hosts are full: the third job waits for room, queued, its escrow held.
			let third = submit(CONSUMER).unwrap();
			assert_eq!(job(third).status, JobStatus::Unassigned { missed_by: None });
			assert!(Draws::<Test>::get().iter().any(|draw| draw.job_id == third));
			assert_eq!(held(CONSUMER), 3 * ESCROW);

			// The first result is paid (its draw runs after the third's, which still waits); then
			// its executor has room again and takes the third job.
			assert_ok!(deliver(first, "done"));
			next_block();
			assert_eq!(ended(first), JobEnd::Completed);
			assert!(listed(a).is_empty());
			next_block();
			assert_eq!(executor_of(third), a);
			assert_eq!(listed(a), vec![third]);
		});
}

#[test]
fn a_job_whose_hosts_stay_busy_is_refunded_after_the_execution_period() {
	ExtBuilder::default().with_hosts().build_and_execute(|| {
		// Nobody has room for any job: submissions are taken, draws wait.
		MaxOpenJobsPerHost::set(&0);
		let job_id = submit(CONSUMER).unwrap();
		let submitted = job(job_id).submitted_at;
		run_to_block(submitted + ExecutionPeriod::get() - 1);
		assert_eq!(job(job_id).status, JobStatus::Unassigned { missed_by: None });
		next_block();
		assert_eq!(ended(job_id), JobEnd::Expired);
		assert_eq!(free(CONSUMER), ENDOWMENT);
	});
}

#[test]
fn a_result_drawn_for_validation_waits_for_a_validator_with_room_without_a_second_draw() {
	ExtBuilder::default()
		.with_host(ALICE, &[0])
		.with_host(BOB, &[0])
		.sample_rate(Perbill::one())
		.build_and_execute(|| {
			MaxOpenJobsPerHost::set(&1);
			let first = submit(CONSUMER).unwrap();
			let second = submit(CONSUMER).unwrap();
			let (a, b) = (executor_of(first), executor_of(second));
			assert_ok!(deliver(first, "the answer"));
			next_block();
			// Drawn for validation; its only possible validator is busy executing.
			assert_eq!(job(first).status, JobStatus::Checking);
			assert_eq!(Inference::api_work_of(b), vec![(second, WorkKind::Execute)]);
			assert!(Draws::<Test>::get().iter().any(|draw| draw.job_id == first));
			// Whether it is checked is never drawn again: at a zero rate it still waits.
			MinSampleRate::set(&Perbill::zero());
			next_block();
			assert_eq!(job(first).status, JobStatus::Checking);
			assert_eq!(held(CONSUMER), 2 * ESCROW, "nobody is paid without the drawn check");

			// The second job ends (its draw runs after the first's): the validator has room.
			assert_ok!(deliver(second, "another"));
			next_block();
			assert_eq!(ended(second), JobEnd::Completed);
			next_block();
			assert_eq!(validator_of(first), b);
			assert_eq!(listed(b), vec![first]);
			assert_eq!(Inference::api_work_of(b), vec![(first, WorkKind::Validate)]);
			assert_ok!(pass(b, first));
			assert_eq!(ended(first), JobEnd::Validated);
			assert!(listed(a).is_empty() && listed(b).is_empty());
		});
}

#[test]
fn a_check_nobody_has_room_for_ends_unresolved_and_pays_nobody() {
	ExtBuilder::default()
		.with_host(ALICE, &[0])
		.with_host(BOB, &[0])
		.sample_rate(Perbill::one())
		.build_and_execute(|| {
			MaxOpenJobsPerHost::set(&1);
			let first = submit(CONSUMER).unwrap();
			let _second = submit(CONSUMER).unwrap();
			let executor = executor_of(first);
			let before = free(executor);
			assert_ok!(deliver(first, "the answer"));
			let delivered = System::block_number();
			run_to_block(delivered + DisputeStaffingPeriod::get() - 1);
			assert_eq!(job(first).status, JobStatus::Checking);
			next_block();
			assert_eq!(ended(first), JobEnd::Unresolved);
			System::assert_has_event(Event::CheckUnstaffed { job_id: first }.into());
			assert_eq!(free(executor), before, "an unchecked result is not paid");
			assert!(listed(executor).is_empty());
		});
}

/// `job` as storage version 0 kept it, bought for the model's current weights.
fn as_v0(job: Job<Test>) -> migrations::v1::JobV0<Test> {
	use migrations::v1::{JobStatusV0, JobV0, VerdictV0};
	let terms = <MockModels as ModelRegistry<Balance>>::terms(job.model).expect("a model");
	let escrow = job.escrow();
	let verdict = |v: Verdict<Test>| VerdictV0::<Test> {
		validator: v.validator,
		judgement: v.vote.map(|vote| if vote == Vote::Valid { VALID } else { FRAUD }),
	};
	let status = match job.status {
		JobStatus::Assigned => JobStatusV0::Assigned,
		JobStatus::Delivered | JobStatus::Checking => JobStatusV0::Delivered,
		JobStatus::Validating { verdict: v } => JobStatusV0::Validating { verdict: verdict(v) },
		JobStatus::Disputed { accuser, verdicts, round, since } => JobStatusV0::Disputed {
			accuser,
			verdicts: verdicts.into_iter().map(verdict).collect::<Vec<_>>().try_into().unwrap(),
			round,
			since,
		},
		JobStatus::Unassigned { missed_by } => JobStatusV0::Unassigned { missed_by },
		JobStatus::Accused { accuser, round, since } => {
			JobStatusV0::Accused { accuser, round, since }
		},
		JobStatus::Probing { validator, probe } => JobStatusV0::Probing { validator, probe },
	};
	JobV0 {
		escrow,
		consumer: job.consumer,
		model: job.model,
		payload_hash: job.payload_hash,
		prompt_tokens: job.prompt_tokens,
		max_output_tokens: job.max_output_tokens,
		params: job.params,
		price_per_token: job.price_per_token,
		validation: terms.validation,
		weights_hash: H256(terms.weights_hash),
		sampling_key: job.sampling_key,
		submitted_at: job.submitted_at,
		executor: job.executor,
		reassigned: job.reassigned,
		cancel_requested: job.cancel_requested,
		deadline: job.deadline,
		delivery: job.delivery,
		delivered_at: job.delivered_at,
		status,
	}
}

#[test]
fn the_migration_to_v1_indexes_the_jobs_open_at_the_upgrade() {
	use polkadot_sdk::frame_support::traits::{
		GetStorageVersion, OnRuntimeUpgrade, StorageVersion, UncheckedOnRuntimeUpgrade,
	};
	ExtBuilder::default()
		.with_hosts()
		.sample_rate(Perbill::one())
		.build_and_execute(|| {
			// Open jobs in several steps: assigned, settled after a silent validator, disputed,
			// unassigned.
			let assigned = submit(CONSUMER_2).unwrap();
			let _ = delivered_and_validating();
			let (disputed, _, _, _) = disputed();
			let unassigned = submit_unassigned(CONSUMER_2).unwrap();
			let hosts = [ALICE, BOB, CHARLIE, DAVE, EVE];
			let work = |host| Inference::api_work_of(host);
			let before = hosts.map(work);
			assert!(before.iter().any(|w| w.contains(&(assigned, WorkKind::Execute))));
			assert!(before.iter().any(|w| w.contains(&(disputed, WorkKind::Validate))));

			// Storage as version 0 left it: the old records, no index.
			let jobs = Jobs::<Test>::iter().collect::<Vec<_>>();
			for (id, job) in jobs.clone() {
				migrations::v1::OldJobs::<Test>::insert(id, as_v0(job));
			}
			let _ = WorkOf::<Test>::clear(u32::MAX, None);
			StorageVersion::new(0).put::<Inference>();
			assert!(Inference::do_try_state().is_err());
			// Read before the migration runs (the block that sets the code): the same view.
			for (id, job) in &jobs {
				assert_eq!(Inference::api_job(*id), Some(job.view()));
			}
			assert!(hosts.iter().all(|host| work(*host).is_empty()));

			migrations::v1::MigrateToV1::<Test>::on_runtime_upgrade();
			assert_eq!(Inference::on_chain_storage_version(), StorageVersion::new(1));
			assert_eq!(Jobs::<Test>::iter().collect::<Vec<_>>(), jobs, "records as before");
			assert_eq!(hosts.map(work), before);
			assert!(Inference::do_try_state().is_ok());
			// It runs once: a second upgrade leaves the index alone.
			let _ = WorkOf::<Test>::clear(u32::MAX, None);
			migrations::v1::MigrateToV1::<Test>::on_runtime_upgrade();
			assert!(hosts.iter().all(|host| work(*host).is_empty()));

			// A job bought for weights the model has left is released at its next step, as
			// version 0 would have, nobody penalized.
			let _ = WorkOf::<Test>::clear(u32::MAX, None);
			let mut moved = as_v0(job(assigned));
			moved.weights_hash = H256([9; 32]);
			migrations::v1::OldJobs::<Test>::insert(assigned, moved);
			for (id, job) in jobs.iter().filter(|(id, _)| *id != assigned) {
				migrations::v1::OldJobs::<Test>::insert(id, as_v0(job.clone()));
			}
			migrations::v1::UncheckedMigrateToV1::<Test>::on_runtime_upgrade();
			assert_eq!(job(assigned).model_version, 0);
			assert!(Inference::do_try_state().is_ok());
			run_to_block(job(assigned).deadline);
			assert_eq!(ended(assigned), JobEnd::Released);
			let _ = unassigned;
		});
}

/// Moves to the next block by hand, as the executive would, and returns the weight the job
/// market's `on_initialize` reported.
fn next_block_weighed() -> Weight {
	use polkadot_sdk::frame_support::traits::PostInherents;
	let next = System::block_number() + 1;
	System::set_block_number(next);
	let weight = Inference::on_initialize(next);
	<Test as frame_system::Config>::PostInherents::post_inherents();
	check_invariants();
	weight
}

#[test]
fn deadlines_beyond_the_hooks_weight_wait_in_order_and_nobody_acts_late() {
	ExtBuilder::default().with_hosts().build_and_execute(|| {
		// Three jobs whose execution times out at the start of the same block.
		let jobs = [
			submit_unassigned(CONSUMER).unwrap(),
			submit_unassigned(CONSUMER).unwrap(),
			submit_unassigned(CONSUMER_2).unwrap(),
		];
		next_block();
		let deadline = job(jobs[0]).deadline;
		assert!(jobs.iter().all(|id| job(*id).deadline == deadline));
		// The hook may take on one deadline a block, counted at the most one can cost, and
		// as many draws as the rest allows.
		let budget = Inference::hook_base_weight() + Inference::time_out_bound();
		MaxHookWeight::set(&budget);
		run_to_block(deadline - 1);

		let mut reassigned = Vec::new();
		for block in 0..4 {
			let weight = next_block_weighed();
			assert!(weight.all_lte(budget), "block {block}: {weight:?} over {budget:?}");
			for id in jobs {
				let open = job(id);
				if open.reassigned && !reassigned.contains(&id) {
					reassigned.push(id);
				}
				// A step whose deadline passed is closed, handled or not.
				if matches!(open.status, JobStatus::Assigned) && open.deadline == deadline {
					assert_noop!(
						Inference::submit_result(
							RuntimeOrigin::signed(open.executor.unwrap()),
							id,
							result("late", 8, 12)
						),
						Error::<Test>::DeadlinePassed
					);
				}
			}
			// One more deadline handled per block, the oldest first.
			assert_eq!(reassigned, jobs[..(block + 1).min(3)].to_vec(), "block {block}");
		}
		// Each one reassigned to a new executor once a draw reached it.
		assert!(jobs.iter().all(|id| job(*id).reassigned && job(*id).deadline > deadline));
		assert!(Deadlines::<Test>::get(deadline).is_empty());
		assert_eq!(DeadlineCursor::<Test>::get(), Some(System::block_number() + 1));
	});
}

/// Moves to the next block as the executive runs it, the job market's hook's weight registered
/// to the block: returns what `on_initialize` reported, what it reserved for the draws, and
/// what the block keeps of the hook's weight once the draws ran.
fn next_block_kept() -> (Weight, Weight, Weight) {
	use polkadot_sdk::{
		frame_support::{dispatch::DispatchClass, traits::PostInherents},
		frame_system,
	};
	let next = System::block_number() + 1;
	System::set_block_number(next);
	frame_system::BlockWeight::<Test>::kill();
	let reported = Inference::on_initialize(next);
	frame_system::Pallet::<Test>::register_extra_weight_unchecked(
		reported,
		DispatchClass::Mandatory,
	);
	let reserved = DrawBudget::<Test>::get().unwrap_or_default();
	<Test as frame_system::Config>::PostInherents::post_inherents();
	check_invariants();
	let kept = *frame_system::Pallet::<Test>::block_weight().get(DispatchClass::Mandatory);
	(reported, reserved, kept)
}

/// A draw runs while its kind's bound fits what is left of the hook's reservation and takes
/// from it what it cost: room for one assignment's bound and one's cost runs two a block, where
/// counted at their bounds one would; the rest wait, in order; the block keeps what the draws
/// cost and gets the rest of the reservation back.
#[test]
fn draws_beyond_the_hooks_weight_wait_in_order() {
	ExtBuilder::default().with_hosts().build_and_execute(|| {
		let jobs = [
			submit_unassigned(CONSUMER).unwrap(),
			submit_unassigned(CONSUMER).unwrap(),
			submit_unassigned(CONSUMER).unwrap(),
			submit_unassigned(CONSUMER_2).unwrap(),
			submit_unassigned(CONSUMER_2).unwrap(),
		];
		let (bound, cost) = (
			Inference::draw_bound(DrawKind::Assign),
			Inference::draw_cost(DrawKind::Assign, DrawEnd::Open, 1),
		);
		assert!(cost.all_lte(bound) && cost.any_lt(bound), "{cost:?} against {bound:?}");
		assert!((bound + cost).any_lt(bound * 2), "counted at bounds, one would run");
		let budget = Inference::hook_base_weight() + bound + cost;
		MaxHookWeight::set(&budget);
		for block in 0..3 {
			let (reported, reserved, kept) = next_block_kept();
			assert!(reported.all_lte(budget), "block {block}: {reported:?} over {budget:?}");
			let assigned = jobs.iter().filter(|id| job(**id).executor.is_some()).count();
			assert_eq!(assigned, (2 * (block + 1)).min(5), "block {block}");
			// The oldest first: the assigned ones are a prefix.
			assert!(jobs[..assigned].iter().all(|id| job(*id).executor.is_some()));
			let ran = 2.min(5 - 2 * block) as u64;
			assert_eq!(kept, reported - reserved + cost * ran, "block {block}");
			assert!(kept.any_lt(reported), "block {block}: nothing given back");
		}
		assert!(Draws::<Test>::get().is_empty());
	});
}

/// A draw counts the registry draws it made, which it is charged for: one for an executor or a
/// validator drawn among hosts with room, none for a result settled unchecked.
#[test]
fn a_draw_counts_its_picks() {
	use polkadot_sdk::frame_support::traits::PostInherents;
	ExtBuilder::default().with_hosts().build_and_execute(|| {
		let delivered = submit(CONSUMER_2).unwrap();
		assert_ok!(deliver(delivered, "the answer"));
		let waiting = submit_unassigned(CONSUMER).unwrap();
		let now = System::block_number() + 1;
		System::set_block_number(now);
		<MockRandomness as PostInherents>::post_inherents();
		let seed = MockSeed::get().unwrap();
		let mut picks = 0;
		assert!(Inference::run_draw(waiting, &seed, now, &mut picks));
		assert_eq!((job(waiting).status, picks), (JobStatus::Assigned, 1));
		// Settled unchecked, or given a validator: one pick for it.
		let mut picks = 0;
		assert!(Inference::run_draw(delivered, &seed, now, &mut picks));
		let settled = !Jobs::<Test>::contains_key(delivered);
		assert_eq!(picks, u32::from(!settled));
		// Their draws ran here, not through the queue.
		Draws::<Test>::kill();
	});
}

/// Hosts that keep themselves at their bound of open jobs make every draw pick again, up to
/// [`MAX_BUSY_PICKS`] times: each pick is counted, so the block is charged for all of them,
/// and the job waits for a later block rather than going to a host with no room.
#[test]
fn hosts_at_their_bound_make_a_draw_pay_for_every_pick() {
	use polkadot_sdk::frame_support::traits::PostInherents;
	ExtBuilder::default().with_hosts().build_and_execute(|| {
		let waiting = submit_unassigned(CONSUMER).unwrap();
		MaxOpenJobsPerHost::set(&0);
		let now = System::block_number() + 1;
		System::set_block_number(now);
		<MockRandomness as PostInherents>::post_inherents();
		let seed = MockSeed::get().unwrap();
		let mut picks = 0;
		assert!(!Inference::run_draw(waiting, &seed, now, &mut picks), "it waits");
		assert_eq!(picks, MAX_BUSY_PICKS);
		assert_eq!(job(waiting).status, JobStatus::Unassigned { missed_by: None });
		assert!(Inference::draw_cost(DrawKind::Assign, DrawEnd::Open, picks)
			.all_gte(Inference::draw_cost(DrawKind::Assign, DrawEnd::Open, 1)));
		MaxOpenJobsPerHost::set(&16);
	});
}

/// Where the node records the proof, a draw is charged the proof it recorded, not its
/// estimate; and where more draws are queued than their bounds fit, `on_initialize` reserves
/// the whole rest of the hook's budget, of which the block keeps what the draws cost.
#[test]
fn a_draw_is_charged_the_proof_the_node_recorded() {
	ExtBuilder::default().with_hosts().build_and_execute(|| {
		let jobs = [submit_unassigned(CONSUMER).unwrap(), submit_unassigned(CONSUMER_2).unwrap()];
		let (bound, cost) = (
			Inference::draw_bound(DrawKind::Assign),
			Inference::draw_cost(DrawKind::Assign, DrawEnd::Open, 1),
		);
		// Room for one bound and a little more: both run, each charged what it recorded.
		let budget = Inference::hook_base_weight() + bound + cost;
		MaxHookWeight::set(&budget);
		record_proof(true);
		let (reported, reserved, kept) = next_block_kept();
		record_proof(false);
		assert!(jobs.iter().all(|id| job(*id).executor.is_some()));
		// Both queued bounds did not fit: the rest of the budget was reserved.
		assert_eq!(reported, budget);
		assert!(reserved.any_lt(bound * 2));
		let recorded = Weight::from_parts(cost.ref_time(), PROOF_STEP);
		assert!(recorded.proof_size() < cost.proof_size());
		// The draws' fixed part (counted in the hook's base at its estimate) is charged what
		// the node recorded for the run beside the draws' own windows: the mock's recorder
		// moves a step at each read, four of them outside the draws'.
		let fixed = Weight::from_parts(0, Inference::draws_weight(0).proof_size());
		let own = Weight::from_parts(0, PROOF_STEP * 4);
		assert_eq!(kept, reported - reserved - fixed + recorded * 2 + own);
	});
}

/// Where the node records the proof, the hook's base is charged what it recorded, not the
/// benchmarks' intercepts: `on_initialize` reports the deadlines' part and the jobs it read as
/// recorded and the draws' fixed part at its estimate, which the draws then replace with what
/// they recorded; the block keeps the base's ref time and the recorded proof.
#[test]
fn the_hooks_base_is_charged_the_proof_the_node_recorded() {
	ExtBuilder::default().with_hosts().build_and_execute(|| {
		let base = Inference::hook_base_weight();
		let fixed = Inference::draws_weight(0).proof_size();
		record_proof(true);
		let (reported, reserved, kept) = next_block_kept();
		record_proof(false);
		// The mock's recorder moves a step at each read: one for the deadlines, one for the
		// kinds' reads, in `on_initialize`; two in the draws' run.
		assert_eq!(reported, Weight::from_parts(base.ref_time(), PROOF_STEP * 2 + fixed));
		assert!(reported.proof_size() < base.proof_size());
		assert_eq!(reserved, Weight::zero());
		assert_eq!(kept, Weight::from_parts(base.ref_time(), PROOF_STEP * 4));
		// Without a recorder, the estimates.
		let (reported, _, kept) = next_block_kept();
		assert_eq!((reported, kept), (base, base));
	});
}

/// Draws of different kinds are each admitted by their own bound, in order: a settlement's
/// draw is bound higher than an assignment's; with room for one of each, the settlement runs
/// and takes its cost, and the assignments run while their bound fits what is left, the rest
/// in the next block; the hook never reports more than its budget.
#[test]
fn draws_are_admitted_by_their_kinds_bounds_in_order() {
	ExtBuilder::default().with_hosts().build_and_execute(|| {
		let delivered = submit(CONSUMER).unwrap();
		assert_ok!(deliver(delivered, "the answer"));
		let waiting =
			[submit_unassigned(CONSUMER_2).unwrap(), submit_unassigned(CONSUMER_2).unwrap()];
		assert_eq!(Inference::draw_kind(delivered), DrawKind::Sample);
		assert_eq!(Inference::draw_kind(waiting[0]), DrawKind::Assign);
		assert_eq!(Inference::draw_kind(JobId::MAX), DrawKind::Skip);
		// A settlement's draw is the dearer: counting every draw at it would allow only one.
		let (sample, assign) =
			(Inference::draw_bound(DrawKind::Sample), Inference::draw_bound(DrawKind::Assign));
		assert!(assign.all_lte(sample) && assign.any_lt(sample));
		// Each kind covers the ends its draw may come to: an assignment a refund (when no host
		// can take the job), a sample and a dispute a settlement or a refund.
		let (settle, refund) =
			(Inference::settle_weight(), <Test as Config>::WeightInfo::cancel_job());
		assert!(assign.all_gte(refund));
		for kind in [DrawKind::Sample, DrawKind::Dispute] {
			assert!(Inference::draw_bound(kind).all_gte(settle.max(refund)), "{kind:?}");
		}
		// What a draw is charged never exceeds the bound that admitted it, whatever its end.
		let ends = [
			DrawEnd::Open,
			DrawEnd::Settled { first: true, consumer_before: false, executor_before: false },
			DrawEnd::Settled { first: false, consumer_before: false, executor_before: false },
			DrawEnd::Refunded,
		];
		for kind in [DrawKind::Skip, DrawKind::Assign, DrawKind::Sample, DrawKind::Dispute] {
			for end in ends {
				for picks in [0, 1, MAX_BUSY_PICKS, u32::MAX] {
					let charged = Inference::draw_cost(kind, end, picks);
					assert!(
						charged.all_lte(Inference::draw_bound(kind)),
						"{kind:?}, {end:?}, {picks}"
					);
				}
			}
		}
		// A sample that settles pays for a settlement of the block's draws: the first in full,
		// each later one what one more adds; one that refunds, a cancellation.
		let first = Inference::draw_cost(
			DrawKind::Sample,
			DrawEnd::Settled { first: true, consumer_before: false, executor_before: false },
			0,
		);
		let later = Inference::draw_cost(
			DrawKind::Sample,
			DrawEnd::Settled { first: false, consumer_before: false, executor_before: false },
			0,
		);
		assert!(first.all_gte(<Test as Config>::WeightInfo::settle(1)));
		assert!(later.all_gte(Inference::draw_settle_weight(false)));
		assert!(later.all_lte(first));
		assert!(Inference::draw_cost(DrawKind::Sample, DrawEnd::Refunded, 0).all_gte(refund));
		assert!(Inference::draw_cost(DrawKind::Assign, DrawEnd::Refunded, 0).all_gte(refund));
		assert_eq!(
			Inference::draw_weight(),
			Inference::draw_bound(DrawKind::Sample).max(Inference::draw_bound(DrawKind::Dispute))
		);
		// Room for a sample's bound and an assignment's: the three queued bounds do not fit, so
		// the whole of it is reserved. The settlement takes its cost; each assignment then runs
		// while its bound fits what is left, taking its own cost.
		let budget = Inference::hook_base_weight() + sample + assign;
		MaxHookWeight::set(&budget);
		let mut left = (sample + assign).saturating_sub(Inference::draw_cost(
			DrawKind::Sample,
			first_end(),
			0,
		));
		let mut runs = 0;
		while runs < waiting.len() && assign.all_lte(left) {
			left = left.saturating_sub(Inference::draw_cost(DrawKind::Assign, DrawEnd::Open, 1));
			runs += 1;
		}
		assert!(runs >= 1, "the assignment's own bound fits beside the sample's");
		let weight = next_block_weighed();
		assert!(weight.all_lte(budget), "{weight:?} over {budget:?}");
		assert_eq!(ended(delivered), JobEnd::Completed);
		let assigned = |id: &JobId| job(*id).status == JobStatus::Assigned;
		assert_eq!(waiting.iter().filter(|id| assigned(id)).count(), runs);
		// The oldest first; the rest in the next block.
		assert!(waiting[..runs].iter().all(assigned));
		let weight = next_block_weighed();
		assert!(weight.all_lte(budget), "{weight:?} over {budget:?}");
		assert!(waiting.iter().all(assigned));
		assert!(Draws::<Test>::get().is_empty());
	});
}

/// A settlement that paid the treasury nothing (a free job's) did not touch all that
/// settlements share: the next one is still charged as the block's first.
#[test]
fn a_settlement_that_pays_the_treasury_nothing_is_not_the_blocks_first() {
	ExtBuilder::default().with_hosts().build_and_execute(|| {
		MockModels::set_price(0, 0);
		let free = submit(CONSUMER).unwrap();
		MockModels::set_price(0, PRICE);
		let paid = submit(CONSUMER_2).unwrap();
		for id in [free, paid] {
			assert_ok!(deliver(id, "the answer"));
		}
		let first = Inference::draw_cost(DrawKind::Sample, first_end(), 0);
		let (reported, reserved, kept) = next_block_kept();
		assert_eq!((ended(free), ended(paid)), (JobEnd::Completed, JobEnd::Completed));
		assert_eq!(Outcomes::<Test>::get(free).map(|o| o.protocol_fee), Some(0));
		assert_eq!(kept, reported - reserved + first * 2);
	});
}

/// A free job's settlement moves none of its consumer's escrow: it wrote neither the
/// consumer's hold nor its account, so the consumer's next settlement in the block's draws is
/// charged as another consumer's, not at what one more of the same consumer's adds, though its
/// executor's keys are in the overlay.
#[test]
fn a_free_jobs_settlement_does_not_make_the_next_of_its_consumer_cheap() {
	ExtBuilder::default().with_host(ALICE, &[0, 2]).build_and_execute(|| {
		let other = submit(CONSUMER_2).unwrap();
		MockModels::set_price(0, 0);
		let free = submit(CONSUMER).unwrap();
		MockModels::set_price(0, PRICE);
		let paid = submit(CONSUMER).unwrap();
		for id in [other, free, paid] {
			assert_eq!(executor_of(id), ALICE);
			assert_ok!(deliver(id, "the answer"));
		}
		let charge = |first, consumer_before| {
			let end = DrawEnd::Settled { first, consumer_before, executor_before: true };
			Inference::draw_cost(DrawKind::Sample, end, 0)
		};
		let (first, later, shared) = (first_end(), charge(false, false), charge(false, true));
		let first = Inference::draw_cost(DrawKind::Sample, first, 0);
		assert!(shared.all_lte(later) && shared.any_lt(later));
		let (reported, reserved, kept) = next_block_kept();
		let outcome = Outcomes::<Test>::get(free).unwrap();
		assert_eq!((outcome.fee, outcome.refund), (0, 0));
		assert_eq!(ended(paid), JobEnd::Completed);
		assert_eq!(kept, reported - reserved + first + later * 2);
	});
}

/// How the block's first settlement by a draw leaves its job.
fn first_end() -> DrawEnd {
	DrawEnd::Settled { first: true, consumer_before: false, executor_before: false }
}

/// The draws of a block settle results one after another: the first is charged a settlement
/// in full, each later one what one more adds (what settlements share, the treasury's account
/// and the outcome index's ends, is then in the block's overlay), and the block keeps exactly
/// that.
#[test]
fn later_settlements_of_a_blocks_draws_are_charged_what_one_more_adds() {
	ExtBuilder::default().with_hosts().build_and_execute(|| {
		let jobs =
			[submit(CONSUMER).unwrap(), submit(CONSUMER_2).unwrap(), submit(CONSUMER_2).unwrap()];
		for id in jobs {
			assert_ok!(deliver(id, "the answer"));
		}
		let charge = |first, shared| {
			let end = DrawEnd::Settled { first, consumer_before: shared, executor_before: shared };
			Inference::draw_cost(DrawKind::Sample, end, 0)
		};
		let (first, later) = (charge(true, false), charge(false, false));
		assert!(later.all_lte(first) && later.any_lt(first), "{later:?} against {first:?}");
		// The third shares the second's consumer, and its executor where the draw gave it the
		// same one.
		let third = charge(false, executor_of(jobs[1]) == executor_of(jobs[2]));
		let (reported, reserved, kept) = next_block_kept();
		for id in jobs {
			assert_eq!(ended(id), JobEnd::Completed);
		}
		assert_eq!(kept, reported - reserved + first + later + third);
	});
}

/// Settlements of a block's draws that share their consumer and their executor (one
/// consumer's jobs executed by one busy host) find their keys in the overlay after the first:
/// each is charged what one more such settlement adds (`settle_shared`'s slope); one whose
/// consumer is new to the block's draws is charged as another consumer's, even with the same
/// executor; and the block keeps exactly that.
#[test]
fn settlements_sharing_their_consumer_and_executor_are_charged_what_one_more_of_them_adds() {
	ExtBuilder::default().with_host(ALICE, &[0, 2]).build_and_execute(|| {
		let jobs = [
			submit(CONSUMER).unwrap(),
			submit(CONSUMER).unwrap(),
			submit(CONSUMER).unwrap(),
			submit(CONSUMER_2).unwrap(),
		];
		for id in jobs {
			assert_eq!(executor_of(id), ALICE);
			assert_ok!(deliver(id, "the answer"));
		}
		let charge = |first, consumer_before, executor_before| {
			let end = DrawEnd::Settled { first, consumer_before, executor_before };
			Inference::draw_cost(DrawKind::Sample, end, 0)
		};
		let (first, shared, other) =
			(charge(true, false, false), charge(false, true, true), charge(false, false, true));
		assert_eq!(other, charge(false, false, false));
		assert!(shared.all_lte(other) && shared.any_lt(other), "{shared:?} against {other:?}");
		let (reported, reserved, kept) = next_block_kept();
		for id in jobs {
			assert_eq!(ended(id), JobEnd::Completed);
		}
		assert_eq!(kept, reported - reserved + first + shared * 2 + other);
	});
}

/// Batches of jobs ([`Pallet::submit_jobs`]): each job what `submit_job` makes of it, the batch
/// taken whole or not at all.
mod batches {
	use super::*;
	use daya_primitives::ExecutorKind;

	/// A request for model 0 of `text`, at most `max_out` output tokens, at `temperature_milli`.
	fn request(text: &str, max_out: u32, temperature_milli: u32) -> JobRequest<Test> {
		JobRequest {
			payload: payload(text),
			max_output_tokens: max_out,
			params: JobParams { temperature_milli, seed: 7, format: PayloadFormat::Text },
		}
	}

	fn submit_batch(
		who: AccountId,
		max_price: Balance,
		jobs: Vec<JobRequest<Test>>,
	) -> DispatchResult {
		Inference::submit_jobs(RuntimeOrigin::signed(who), 0, max_price, jobs.try_into().unwrap())
	}

	#[test]
	fn a_batch_makes_the_jobs_single_submissions_make_with_one_hold() {
		let requests =
			vec![request("0123456789", 20, 0), request("abc", 5, 700), request("hello", 1, 0)];
		// The same requests one call each, by another consumer in another chain.
		let mut singles = Vec::new();
		ExtBuilder::default().with_hosts().build_and_execute(|| {
			for r in &requests {
				let id = NextJobId::<Test>::get();
				assert_ok!(Inference::submit_job(
					RuntimeOrigin::signed(CONSUMER),
					0,
					r.payload.clone(),
					r.max_output_tokens,
					PRICE,
					r.params,
				));
				singles.push(job(id));
			}
		});
		let mut ext = ExtBuilder::default().with_hosts().build();
		ext.execute_with(|| {
			for who in [ALICE, BOB, CHARLIE, DAVE, EVE] {
				register_host(who, &[0, 2]).unwrap();
			}
			MinSampleRate::set(&Perbill::zero());
			InitialReputation::set(&Perbill::one());
			let before = free(CONSUMER);
			assert_ok!(submit_batch(CONSUMER, PRICE, requests.clone()));
			// Escrows (10 + 20) * 10, (3 + 5) * 10, (5 + 1) * 10, held at once.
			let escrows = [300, 80, 60];
			assert_eq!(held(CONSUMER), 440);
			assert_eq!(free(CONSUMER), before - 440);
			assert_eq!(JobsOf::<Test>::get(CONSUMER).unwrap().into_inner(), vec![0, 1, 2]);
			assert_eq!(NextJobId::<Test>::get(), 3);
			assert_eq!(
				Draws::<Test>::get().into_inner(),
				(0..3).map(|job_id| PendingDraw { job_id, after: 1 }).collect::<Vec<_>>()
			);
			for (id, (single, escrow)) in singles.iter().zip(escrows).enumerate() {
				let id = id as JobId;
				assert_eq!(&job(id), single, "job {id} as its own call makes it");
				System::assert_has_event(
					Event::JobSubmitted {
						job_id: id,
						consumer: CONSUMER,
						model: 0,
						escrow,
						payload_hash: single.payload_hash,
					}
					.into(),
				);
			}
			check_invariants();
			next_block();
			for id in 0..3 {
				assert_eq!(job(id).status, JobStatus::Assigned);
			}
			check_invariants();
		});
		ext.persist_offchain_overlay();
		for (id, r) in requests.iter().enumerate() {
			let indexed = ext.offchain_db().get(&payload_key(id as JobId)).expect("indexed");
			let indexed = IndexedPayload::decode(&mut &indexed[..]).unwrap();
			assert_eq!(indexed.payload, r.payload.to_vec());
			assert_eq!(indexed.job_id, id as JobId);
		}
	}

	#[test]
	fn a_batch_with_one_bad_job_is_refused_whole_and_holds_nothing() {
		ExtBuilder::default().with_hosts().build_and_execute(|| {
			let good = || request("0123456789", 20, 0);
			assert_noop!(submit_batch(CONSUMER, PRICE, vec![]), Error::<Test>::EmptyBatch);
			// The first job refused names the error; the good ones before it are not kept.
			for (bad, error) in [
				(request("", 20, 0), Error::<Test>::EmptyPayload),
				(request("hi", 0, 0), Error::<Test>::ZeroOutputTokens),
				(request("hi", 20, MAX_TEMPERATURE_MILLI + 1), Error::<Test>::InvalidParams),
				(request("hi", 1_000, 0), Error::<Test>::TooManyOutputTokens),
			] {
				assert_noop!(submit_batch(CONSUMER, PRICE, vec![good(), bad, good()]), error);
			}
			assert_noop!(
				submit_batch(CONSUMER, PRICE - 1, vec![good(), good()]),
				Error::<Test>::PriceAboveLimit
			);
			// More than the consumer may have open (4), counting those already open.
			assert_ok!(submit_unassigned(CONSUMER));
			assert_ok!(submit_unassigned(CONSUMER));
			assert_noop!(
				submit_batch(CONSUMER, PRICE, vec![good(), good(), good()]),
				Error::<Test>::TooManyOpenJobs
			);
			assert_ok!(submit_batch(CONSUMER, PRICE, vec![good(), good()]));
			assert_eq!(held(CONSUMER), 4 * ESCROW);
			// Two draws left in new jobs' half of the queue (6 of 12): a batch of three is
			// refused before any hold.
			assert_noop!(
				submit_batch(CONSUMER_2, PRICE, vec![good(), good(), good()]),
				Error::<Test>::DrawsFull
			);
			assert_ok!(submit_batch(CONSUMER_2, PRICE, vec![good(), good()]));
			next_block();
			// A consumer who can pay for two jobs but not three.
			let poor = FERDIE;
			let spare = free(poor) - 2 * ESCROW - 1;
			assert_ok!(Balances::transfer_allow_death(RuntimeOrigin::signed(poor), GRACE, spare));
			assert_noop!(
				submit_batch(poor, PRICE, vec![good(), good(), good()]),
				Error::<Test>::InsufficientBalance
			);
			assert_ok!(submit_batch(poor, PRICE, vec![good(), good()]));
			assert_eq!(held(poor), 2 * ESCROW);
		});
	}

	#[test]
	fn a_batch_fills_the_market_to_its_bound_and_never_past_it() {
		ExtBuilder::default().with_hosts().build_and_execute(|| {
			let good = || request("0123456789", 20, 0);
			// 14 open jobs at most; draws six a block.
			for who in [CONSUMER, CONSUMER_2, FERDIE] {
				assert_ok!(submit_batch(who, PRICE, vec![good(), good(), good(), good()]));
				next_block();
			}
			assert_noop!(
				submit_batch(GRACE, PRICE, vec![good(), good(), good()]),
				Error::<Test>::MarketFull
			);
			assert_ok!(submit_batch(GRACE, PRICE, vec![good(), good()]));
			assert_eq!(Jobs::<Test>::count(), MaxOpenJobs::get());
		});
	}

	/// A batch cannot slip a job no host can run past the check of its duty: a sampled job among
	/// greedy ones, with every host a greedy-only proxy, refuses the batch.
	#[test]
	fn a_batch_is_checked_for_a_host_of_each_duty() {
		ExtBuilder::default().with_hosts().build_and_execute(|| {
			for who in [ALICE, BOB, CHARLIE, DAVE, EVE] {
				assert_ok!(Compute::set_executor_kind(
					RuntimeOrigin::signed(who),
					ExecutorKind::GreedyOnly
				));
			}
			let mixed = vec![request("greedy", 5, 0), request("sampled", 5, 700)];
			assert_noop!(submit_batch(CONSUMER, PRICE, mixed), Error::<Test>::NoHostAvailable);
			assert_ok!(submit_batch(CONSUMER, PRICE, vec![request("greedy", 5, 0); 2]));
		});
	}

	/// A batch is charged by its jobs and their bytes: more jobs or longer payloads never
	/// weigh less.
	#[test]
	fn a_batch_weighs_by_its_jobs_and_bytes() {
		use polkadot_sdk::frame_support::dispatch::GetDispatchInfo;
		let weight = |jobs: Vec<JobRequest<Test>>| {
			crate::Call::<Test>::submit_jobs {
				model: 0,
				max_price_per_token: PRICE,
				jobs: jobs.try_into().unwrap(),
			}
			.get_dispatch_info()
			.call_weight
		};
		let one = weight(vec![request("0123456789", 20, 0)]);
		let two = weight(vec![request("0123456789", 20, 0); 2]);
		let longer = weight(vec![request("0123456789", 20, 0), request(&"x".repeat(60), 20, 0)]);
		assert!(two.all_gte(one) && two.any_gt(one));
		assert!(longer.all_gte(two) && longer.any_gt(two));
		assert_eq!(one, <Test as Config>::WeightInfo::submit_jobs(1, 10));
	}
}

/// `prices.len()` jobs of [`CONSUMER`] and [`CONSUMER_2`] on a market of three hosts, the
/// `i`-th at `prices[i]` a token, delivered, drawn for validation and passed by their
/// validators with [`PROBE`]: each waits for its executor to recognise the probe. The jobs
/// with their executors, in order.
fn probing(prices: &[Balance]) -> Vec<(JobId, AccountId)> {
	let ids: Vec<JobId> = prices
		.iter()
		.enumerate()
		.map(|(i, price)| {
			MockModels::set_price(0, *price);
			submit(if i % 2 == 0 { CONSUMER } else { CONSUMER_2 }).unwrap()
		})
		.collect();
	MockModels::set_price(0, PRICE);
	for id in &ids {
		assert_ok!(deliver(*id, "the answer"));
	}
	next_block();
	ids.into_iter()
		.map(|id| {
			assert_ok!(verdict(validator_of(id), id, VALID));
			assert!(matches!(job(id).status, JobStatus::Probing { .. }), "job {id} not probing");
			(id, executor_of(id))
		})
		.collect()
}

/// The jobs of `jobs` whose executor is `who`'s.
fn executed_by(jobs: &[(JobId, AccountId)], who: AccountId) -> Vec<JobId> {
	jobs.iter()
		.filter(|(_, executor)| *executor == who)
		.map(|(id, _)| *id)
		.collect()
}

/// `who`'s batch of verdicts: `judgement` without a probe on each of `ids`.
fn verdicts(
	who: AccountId,
	ids: &[JobId],
	judgement: Judgement,
) -> polkadot_sdk::frame_support::dispatch::DispatchResultWithPostInfo {
	let items = ids.iter().map(|&job_id| VerdictItem { job_id, judgement, probe: None });
	Inference::submit_verdicts(
		RuntimeOrigin::signed(who),
		VerdictBatch::truncate_from(items.collect::<Vec<_>>()),
	)
}

/// A market of three hosts whose results are all validated.
fn three_hosts() -> ExtBuilder {
	ExtBuilder::default()
		.with_host(ALICE, &[0])
		.with_host(BOB, &[0])
		.with_host(CHARLIE, &[0])
		.sample_rate(Perbill::one())
}

#[test]
fn an_executors_batch_of_recognitions_settles_each_and_charges_later_ones_what_one_more_adds() {
	use polkadot_sdk::frame_support::dispatch::Pays;
	three_hosts().build_and_execute(|| {
		let jobs = probing(&[PRICE; 8]);
		let executor = jobs[0].1;
		let mine = executed_by(&jobs, executor);
		assert!(mine.len() >= 2, "one executor with two jobs of eight");
		let validators: Vec<_> = mine
			.iter()
			.map(|id| match job(*id).status {
				JobStatus::Probing { validator, .. } => validator,
				status => panic!("{status:?}"),
			})
			.collect();
		let mut checkers = validators.clone();
		checkers.sort();
		checkers.dedup();
		let before: Balance = checkers.iter().map(|v| free(*v)).sum();
		let info = verdicts(executor, &mine, VALID).unwrap();
		assert_eq!(info.pays_fee, Pays::No);
		let first = Inference::recognise_first_weight();
		let later = Inference::recognise_more_weight();
		assert_eq!(info.actual_weight, Some(first + later * (mine.len() as u64 - 1)));
		assert!(later.all_lte(Inference::pass_weight()), "one more costs at most one alone");
		assert!(info
			.actual_weight
			.unwrap()
			.all_lte(Inference::verdicts_weight(mine.len() as u32)));
		let mut owed = 0;
		for id in &mine {
			assert_eq!(ended(*id), JobEnd::Validated);
			owed += Outcomes::<Test>::get(id).unwrap().validation_fee;
		}
		assert!(owed > 0);
		assert_eq!(checkers.iter().map(|v| free(*v)).sum::<Balance>(), before + owed, "paid");
		// The other executors' jobs wait for their own recognitions.
		let others: Vec<_> = jobs.iter().filter(|(_, e)| *e != executor).collect();
		assert!(others.iter().all(|(id, _)| Jobs::<Test>::contains_key(id)));
	});
}

#[test]
fn a_refused_verdict_in_a_batch_changes_nothing_and_the_others_stand() {
	use polkadot_sdk::frame_support::dispatch::Pays;
	three_hosts().build_and_execute(|| {
		let jobs = probing(&[PRICE; 4]);
		let (mine, executor) = jobs[0];
		let theirs = jobs.iter().find(|(_, e)| *e != executor).map(|(id, _)| *id).unwrap();
		let untouched = job(theirs);
		// Another executor's job, and one that does not exist, between two verdicts.
		let info = verdicts(executor, &[theirs, mine, 999], VALID).unwrap();
		assert_eq!(info.pays_fee, Pays::Yes, "a batch with a refused verdict pays");
		assert_eq!(ended(mine), JobEnd::Validated);
		assert_eq!(job(theirs), untouched);
		for (job_id, error) in
			[(theirs, Error::<Test>::NotValidator), (999, Error::<Test>::UnknownJob)]
		{
			System::assert_has_event(
				Event::VerdictRefused { job_id, host: executor, error: error.into() }.into(),
			);
		}
		let first = Inference::recognise_first_weight();
		assert_eq!(info.actual_weight, Some(first + Inference::verdict_weight() * 2));
		assert_noop!(
			Inference::submit_verdicts(RuntimeOrigin::signed(executor), VerdictBatch::default()),
			Error::<Test>::EmptyBatch
		);
	});
}

#[test]
fn a_verdict_refused_after_it_wrote_is_rolled_back_alone() {
	three_hosts().build_and_execute(|| {
		let job_id = submit(CONSUMER).unwrap();
		assert_ok!(deliver(job_id, "the answer"));
		next_block();
		let validator = validator_of(job_id);
		let before = job(job_id);
		let bucket = Deadlines::<Test>::get(before.deadline);
		// A block later, so that the buckets tried are not the one the job leaves.
		next_block();
		// Every bucket a shown probe could move the job's deadline to is full: the pass takes
		// the job out of its bucket, then finds no room.
		let from = System::block_number() + ValidationPeriod::get();
		for block in from..from + crate::impls::DEADLINE_PROBES as u64 {
			let none = JobId::MAX - block;
			Deadlines::<Test>::mutate(block, |b| while b.try_push(none).is_ok() {});
		}
		let items = vec![VerdictItem { job_id, judgement: VALID, probe: Some(PROBE) }];
		let info = Inference::submit_verdicts(
			RuntimeOrigin::signed(validator),
			VerdictBatch::truncate_from(items),
		)
		.unwrap();
		System::assert_has_event(
			Event::VerdictRefused {
				job_id,
				host: validator,
				error: Error::<Test>::DeadlinesFull.into(),
			}
			.into(),
		);
		assert_eq!(info.actual_weight, Some(Inference::verdict_weight()));
		assert_eq!(job(job_id), before);
		assert_eq!(Deadlines::<Test>::get(before.deadline), bucket, "its deadline kept");
		for block in from..from + crate::impls::DEADLINE_PROBES as u64 {
			Deadlines::<Test>::remove(block);
		}
	});
}

#[test]
fn a_batch_whose_first_recognition_paid_the_treasury_nothing_charges_the_next_in_full() {
	three_hosts().build_and_execute(|| {
		// The first job is free: its settlement pays nobody, and reads no treasury.
		let jobs = probing(&[0, PRICE, PRICE, PRICE, PRICE, PRICE, PRICE, PRICE]);
		let executor = jobs[0].1;
		let mine = executed_by(&jobs, executor);
		assert!(mine.len() >= 3, "the free job's executor has two paid jobs of seven");
		let info = verdicts(executor, &mine, VALID).unwrap();
		assert_eq!(Outcomes::<Test>::get(mine[0]).map(|o| o.fee), Some(0));
		let first = Inference::recognise_first_weight();
		let later = Inference::recognise_more_weight();
		// Free, then the first that paid the treasury: both in full; the rest one more each.
		assert_eq!(info.actual_weight, Some(first * 2 + later * (mine.len() as u64 - 2)));
	});
}

#[test]
fn an_executors_batch_of_results_delivers_each_and_a_refused_one_changes_nothing() {
	use polkadot_sdk::frame_support::dispatch::{GetDispatchInfo, Pays};
	ExtBuilder::default()
		.with_host(ALICE, &[0])
		.with_host(BOB, &[0])
		.with_host(CHARLIE, &[0])
		.build_and_execute(|| {
			// Six jobs assigned in one block: every deadline ahead.
			let ids: Vec<JobId> = (0..6)
				.map(|i| submit_unassigned(if i % 2 == 0 { CONSUMER } else { CONSUMER_2 }).unwrap())
				.collect();
			next_block();
			let jobs: Vec<(JobId, AccountId)> =
				ids.into_iter().map(|id| (id, executor_of(id))).collect();
			let executor = jobs[0].1;
			let mine = executed_by(&jobs, executor);
			assert!(mine.len() >= 2, "one executor with two jobs of six");
			let theirs = jobs.iter().find(|(_, e)| *e != executor).map(|(id, _)| *id).unwrap();
			let untouched = job(theirs);
			let item = |job_id, text| ResultItem { job_id, result: result(text, 8, 12) };
			// Another executor's job, and one that does not exist, among its own.
			let mut items = vec![item(theirs, "not mine"), item(999, "nobody's")];
			items.extend(mine.iter().map(|id| item(*id, "the answer")));
			let call = crate::Call::<Test>::submit_results {
				results: ResultBatch::<Test>::truncate_from(items.clone()),
			};
			let declared =
				Inference::results_weight(items.iter().map(|item| item.result.output.len() as u32));
			assert_eq!(call.get_dispatch_info().call_weight, declared, "each at its own");
			let info = Inference::submit_results(
				RuntimeOrigin::signed(executor),
				ResultBatch::<Test>::truncate_from(items),
			)
			.unwrap();
			assert_eq!(info.pays_fee, Pays::Yes, "a batch with a refused result pays");
			for id in &mine {
				assert_eq!(job(*id).status, JobStatus::Delivered);
				assert_eq!(job(*id).delivery.map(|d| d.usage.completion_tokens), Some(12));
			}
			assert_eq!(job(theirs), untouched);
			for (job_id, error) in
				[(theirs, Error::<Test>::NotExecutor), (999, Error::<Test>::UnknownJob)]
			{
				System::assert_has_event(
					Event::ResultRefused { job_id, executor, error: error.into() }.into(),
				);
			}
			// The other executor's batch, all taken: free.
			let owner = executor_of(theirs);
			let all: Vec<_> =
				executed_by(&jobs, owner).into_iter().map(|id| item(id, "the answer")).collect();
			let info = Inference::submit_results(
				RuntimeOrigin::signed(owner),
				ResultBatch::<Test>::truncate_from(all),
			)
			.unwrap();
			assert_eq!(info.pays_fee, Pays::No);
			assert_eq!(job(theirs).status, JobStatus::Delivered);
			assert_noop!(
				Inference::submit_results(
					RuntimeOrigin::signed(executor),
					ResultBatch::<Test>::default()
				),
				Error::<Test>::EmptyBatch
			);
			// Delivered results are drawn and paid as any.
			next_block();
			for id in mine {
				assert_eq!(ended(id), JobEnd::Completed);
			}
		});
}
