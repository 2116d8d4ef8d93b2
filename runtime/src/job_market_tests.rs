//! The job market on the real runtime: a thousand jobs through submission, execution,
//! validation, disputes and settlement, with honest, dishonest and offline hosts.

use super::*;
use alloc::collections::{BTreeMap, BTreeSet};
use daya_primitives::{Fault, HostStatus, JobEnd, JobId, JobParams, Judgement};
use frame_support::{
	traits::{
		fungible::{Inspect, InspectHold, Mutate},
		Hooks, PostInherents,
	},
	weights::Weight,
};
use pallet_daya_inference::{
	DrawEnd, DrawKind, HoldReason as InferenceHold, JobStatus, Jobs, Outcomes,
};
use sp_keyring::Sr25519Keyring;

/// How a host behaves.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Behaviour {
	/// Delivers the true output and re-scores truthfully.
	Honest,
	/// Delivers a forged output, and re-scores truthfully when asked to validate.
	Dishonest,
	/// Never answers.
	Offline,
}

/// A small deterministic generator (xorshift), so that the run is reproducible.
struct Rng(u64);

impl Rng {
	fn next(&mut self) -> u64 {
		self.0 ^= self.0 << 13;
		self.0 ^= self.0 >> 7;
		self.0 ^= self.0 << 17;
		self.0
	}

	fn below(&mut self, n: u64) -> u64 {
		self.next() % n
	}
}

fn account(seed: u8) -> AccountId {
	AccountId::from([seed; 32])
}

fn development() -> sp_io::TestExternalities {
	crate::tests::preset_ext("development")
}

/// Moves to the next block, running the job market's hooks as the executive would (its draws
/// after the inherents, once the block's seed is read).
fn next_block() {
	let next = System::block_number() + 1;
	System::set_block_number(next);
	System::reset_events();
	Randomness::on_initialize(next);
	Inference::on_initialize(next);
	<Runtime as frame_system::Config>::PostInherents::post_inherents();
	Inference::on_idle(next, crate::configs::RuntimeBlockWeights::get().max_block);
}

fn market_events() -> Vec<pallet_daya_inference::Event<Runtime>> {
	System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::Inference(event) => Some(event),
			_ => None,
		})
		.collect()
}

/// Every account's free and held balance adds up to the total issuance.
fn assert_money_accounted(issuance: Balance) {
	assert_eq!(Balances::total_issuance(), issuance, "issuance changed");
	let total: Balance = frame_system::Account::<Runtime>::iter()
		.map(|(_, info)| info.data.free + info.data.reserved)
		.sum();
	assert_eq!(total, issuance, "balances do not add up to the issuance");
}

#[test]
fn a_thousand_jobs_with_honest_dishonest_and_offline_hosts() {
	development().execute_with(|| {
		System::set_block_number(1);
		let model = 0;
		let hosts: Vec<(AccountId, Behaviour)> = (1..=14u8)
			.map(|seed| {
				let behaviour = match seed {
					1..=9 => Behaviour::Honest,
					10..=12 => Behaviour::Dishonest,
					_ => Behaviour::Offline,
				};
				(account(seed), behaviour)
			})
			.collect();
		for (host, _) in &hosts {
			crate::tests::register_l4_host(host, model);
		}
		// The genesis hosts (Alice and Bob) are offline in this run: they leave.
		for genesis_host in [Sr25519Keyring::Alice, Sr25519Keyring::Bob] {
			assert!(Compute::unbond(RuntimeOrigin::signed(genesis_host.to_account_id())).is_ok());
		}
		let behaviour: BTreeMap<AccountId, Behaviour> = hosts.iter().cloned().collect();
		let consumers: Vec<AccountId> = (100..110u8).map(account).collect();
		for consumer in &consumers {
			Balances::set_balance(consumer, 1_000 * UNIT);
		}
		let issuance = Balances::total_issuance();
		let consumer_start: BTreeMap<AccountId, Balance> =
			consumers.iter().map(|c| (c.clone(), Balances::balance(c))).collect();

		let mut rng = Rng(0x5eed_da7a);
		let mut submitted = 0u32;
		let mut escrow_of: BTreeMap<JobId, (AccountId, Balance)> = BTreeMap::new();
		let mut forged: BTreeSet<JobId> = BTreeSet::new();
		let mut sampled: BTreeSet<JobId> = BTreeSet::new();
		let mut ended: BTreeMap<JobId, pallet_daya_inference::Event<Runtime>> = BTreeMap::new();

		while submitted < 1_000 || Jobs::<Runtime>::iter().next().is_some() {
			// Consumers submit up to eight jobs a block.
			for _ in 0..8 {
				if submitted >= 1_000 {
					break;
				}
				let consumer = consumers[rng.below(consumers.len() as u64) as usize].clone();
				let len = 1 + rng.below(200) as usize;
				let max_output = 1 + rng.below(256) as u32;
				let job_id = pallet_daya_inference::NextJobId::<Runtime>::get();
				let result = Inference::submit_job(
					RuntimeOrigin::signed(consumer.clone()),
					model,
					vec![b'p'; len].try_into().unwrap(),
					max_output,
					MICRO_UNIT,
					JobParams { seed: job_id, ..Default::default() },
				);
				if result.is_ok() {
					let escrow = Jobs::<Runtime>::get(job_id).unwrap().escrow();
					escrow_of.insert(job_id, (consumer, escrow));
					submitted += 1;
				}
			}
			// Hosts act on what is assigned to them.
			let open: Vec<_> = Jobs::<Runtime>::iter().collect();
			for (job_id, job) in open {
				match &job.status {
					JobStatus::Assigned => {
						let executor = job.executor.clone().unwrap();
						let who = behaviour[&executor];
						if who == Behaviour::Offline {
							continue;
						}
						let text = if who == Behaviour::Honest { "true" } else { "forged" };
						let output = format!("{text} output of job {job_id}").into_bytes();
						let completion = 1 + rng.below(job.max_output_tokens as u64) as u32;
						let delivered = Inference::submit_result(
							RuntimeOrigin::signed(executor),
							job_id,
							crate::tests::job_result(&output, job.prompt_tokens, completion),
						);
						if delivered.is_ok() && who == Behaviour::Dishonest {
							forged.insert(job_id);
						}
					},
					JobStatus::Validating { .. }
					| JobStatus::Probing { .. }
					| JobStatus::Disputed { .. } => {
						// Every pending validator that is online re-scores truthfully.
						for (validator, how) in &behaviour {
							if *how == Behaviour::Offline || !job.awaits_verdict_from(validator) {
								continue;
							}
							let judgement = if forged.contains(&job_id) {
								Judgement::Invalid(Fault::Token {
									position: rng.below(8) as u32,
									margin_micro: 5_000_000,
								})
							} else {
								Judgement::Valid
							};
							// A pass shows the probe, which the executor recognises.
							let _ = Inference::submit_verdict(
								RuntimeOrigin::signed(validator.clone()),
								job_id,
								judgement,
								Some(daya_primitives::Fingerprint::default()),
							);
							if !Jobs::<Runtime>::contains_key(job_id) {
								break;
							}
						}
					},
					JobStatus::Delivered
					| JobStatus::Checking
					| JobStatus::Unassigned { .. }
					| JobStatus::Accused { .. } => {},
				}
			}
			for event in market_events() {
				match event {
					pallet_daya_inference::Event::ValidationRequested { job_id, .. } => {
						sampled.insert(job_id);
					},
					pallet_daya_inference::Event::JobEnded { job_id, .. } => {
						ended.insert(job_id, event);
					},
					_ => {},
				}
			}
			Inference::do_try_state().expect("the market's invariants hold");
			assert_money_accounted(issuance);
			next_block();
			for event in market_events() {
				match event {
					pallet_daya_inference::Event::ValidationRequested { job_id, .. } => {
						sampled.insert(job_id);
					},
					pallet_daya_inference::Event::JobEnded { job_id, .. } => {
						ended.insert(job_id, event);
					},
					_ => {},
				}
			}
			assert!(System::block_number() < 2_000, "the run does not finish");
		}

		assert_eq!(submitted, 1_000);
		assert_eq!(ended.len(), 1_000, "every job ended");
		let mut counts: BTreeMap<&'static str, u32> = BTreeMap::new();
		let mut paid: BTreeMap<AccountId, Balance> = BTreeMap::new();
		for (job_id, (consumer, escrow)) in &escrow_of {
			let outcome = Outcomes::<Runtime>::get(job_id).expect("an outcome");
			assert_eq!(outcome.fee + outcome.refund, *escrow, "job {job_id}: escrow split");
			*paid.entry(consumer.clone()).or_default() += outcome.fee;
			let label = match outcome.end {
				JobEnd::Completed => "completed",
				JobEnd::Validated => "validated",
				JobEnd::Fraud => "fraud",
				JobEnd::Expired => "expired",
				JobEnd::Cancelled => "cancelled",
				JobEnd::Unresolved => "unresolved",
				JobEnd::Released => "released",
			};
			*counts.entry(label).or_default() += 1;
			if outcome.end.refunds_in_full() {
				assert_eq!(outcome.fee, 0, "job {job_id}: a failed job is refunded in full");
			}
			if forged.contains(job_id) && sampled.contains(job_id) {
				assert_eq!(outcome.end, JobEnd::Fraud, "job {job_id}: sampled forgery not caught");
			}
			if outcome.end == JobEnd::Fraud {
				assert!(forged.contains(job_id), "job {job_id}: an honest result was found fraud");
			}
			if outcome.end == JobEnd::Expired {
				assert!(outcome.output_hash.is_none());
			}
		}
		for consumer in &consumers {
			assert_eq!(
				Balances::balance(consumer),
				consumer_start[consumer] - paid.get(consumer).copied().unwrap_or(0),
				"a consumer paid exactly its fees"
			);
			assert_eq!(
				Balances::balance_on_hold(&InferenceHold::JobEscrow.into(), consumer),
				0,
				"no escrow is left held"
			);
		}
		assert_money_accounted(issuance);
		// Dishonest hosts that were caught are jailed.
		let caught = counts.get("fraud").copied().unwrap_or(0);
		assert!(caught > 0, "forgeries were sampled and caught: {counts:?}");
		// Offline hosts missed the jobs they were given (each reassigned to another host), and
		// three misses in a row took them out of selection until their operators act.
		for (host, how) in &behaviour {
			if *how == Behaviour::Offline {
				let info = Compute::host(host).unwrap();
				assert_eq!(info.status, HostStatus::Chilled, "an offline host is chilled");
				assert!(info.missed_in_row >= 3);
			}
		}
		println!("1,000 jobs in {} blocks: {counts:?}", System::block_number());
	});
}

/// The state an open job holds, summed from the storage items' `MaxEncodedLen`s with their
/// keys: its record, its entry in its consumer's list, in a deadline bucket or the draw queue,
/// and in the list of each host with a part in it. Printed, and held under 512 bytes in its
/// usual life and in a dispute; `docs/job-market.md` gives the table.
#[test]
fn an_open_job_holds_under_512_bytes_of_state() {
	use codec::MaxEncodedLen;
	use pallet_daya_inference::{ContestedProbes, Job, JobId, Jobs, OutcomeOf, PendingDraw};
	let record = Job::<Runtime>::max_encoded_len();
	let key = Jobs::<Runtime>::hashed_key_for(JobId::MAX).len();
	let id = JobId::max_encoded_len();
	let (deadline, draw) = (id, PendingDraw::max_encoded_len());
	let waiting = deadline.max(draw);
	let validators = <Runtime as pallet_daya_inference::Config>::DisputeValidators::get() as usize;
	// The consumer's list, a bucket or the queue, the executor's and the validator's lists.
	let usual = record + key + id + waiting + 2 * id;
	// The executor's list and each dispute validator's.
	let disputed = record + key + id + deadline + (1 + validators) * id;
	let contested = ContestedProbes::<Runtime>::hashed_key_for(JobId::MAX).len()
		+ <(AccountId, pallet_daya_inference::Fingerprint)>::max_encoded_len();
	println!("state per open job, bytes (MaxEncodedLen, keys included):");
	println!("  record {record} + key {key} + consumer's list {id} + bucket or queue {waiting}");
	println!("  usual (executor and validator listed): {usual}");
	println!("  disputed (executor and {validators} validators listed): {disputed}");
	println!(
		"  a contested probe adds {contested} while its dispute runs: {}",
		disputed + contested
	);
	let outcome = OutcomeOf::<Runtime>::max_encoded_len();
	println!(
		"  after the job ends: its outcome {outcome} + key {key} and queue entry, until retention"
	);
	assert_eq!(record, 406, "docs/job-market.md gives the record's size");
	assert!(usual < 512, "{usual} bytes per open job");
	assert!(disputed < 512, "{disputed} bytes per disputed job");
	assert_eq!(outcome, 190);
}

/// What one job's life costs a block, and how many lives fit one 6 s block in steady state
/// (every block carries the submissions of some jobs, the results of others, and the hooks'
/// draws for both), printed per dispatch class and per bound from the runtime's weights, for a
/// 256-byte prompt with a 1 KiB output and a 1 KiB prompt with a 4 KiB output (4 bytes a
/// token), with no result validated and with every result validated:
///
/// - normal class (the extrinsics as the block keeps them: each call's ref time after dispatch
///   with its transaction extensions and the base extrinsic weight, their proof as the
///   storage-weight reclaim charges it, and their signed length): `submit_job`,
///   `submit_result` and, validated, two `submit_verdict`s (the validator's pass showing its
///   probe, the executor's recognising it). The proof is measured ([`MeasuredLife`]: what the
///   block records for them on a market the size of a large network) and counted with the
///   extrinsics' bytes, which the proof of validity carries too; each extrinsic's benchmarked
///   estimate is printed beside it and held above what was measured (a block admits an
///   extrinsic by its estimate and keeps what it measured);
/// - mandatory class (the job market's hook, within `MaxHookWeight`): the executor's draw and
///   the result's (which settles it or draws its validator), each charged what it cost, its
///   proof as recorded (unchecked lives in batches in a block of `FULL_LIVES`, a settlement
///   whose consumer and executor earlier ones of the block wrote charged what one more of them
///   adds), the last needing room for the dearest draw's bound;
/// - the whole block: both classes' parts of a life together within 95% of it (the caps
///   overlap: the hook runs first, the normal class takes what the block has left);
/// - the pallet's own per-block bounds: a deadline bucket (`MaxDeadlinesPerBlock`) holds the
///   execution deadlines of the jobs assigned in one block (and the validation deadlines of
///   the results drawn in it), and the draw queue (`MaxPendingDraws`) a block's new draws,
///   new jobs' in at most half of it (`submission_draws`).
///
/// `docs/economics.md` gives the table and what binds.
#[test]
fn a_job_life_weight_and_jobs_per_block() {
	use codec::Encode;
	use frame_support::{
		dispatch::{DispatchClass, GetDispatchInfo},
		traits::GetCallMetadata,
	};
	use pallet_daya_inference::Pallet as Market;
	use sp_runtime::traits::TransactionExtension;
	// What the block records for each kind of extrinsic of a life and for its draws, one call
	// a job and batched, validated; and for a result settled unchecked, one call a job.
	let started = std::time::Instant::now();
	let mut market = large_market();
	// The hook's base as the block records it (the node charges it so, not at the benchmarks'
	// intercepts): two blocks with no draw queued and no deadline due, the second measured.
	recorded(&mut market, next_block);
	let idle_hook = recorded(&mut market, next_block);
	let measured = [
		measure_lives(&mut market, false, true, LIVES),
		measure_lives(&mut market, true, true, LIVES),
	];
	// Unchecked lives in batches, the row whose draws the whole block's proof binds, in a
	// fuller block: the trie nodes near the root are recorded once for all the block's lives.
	let unchecked = [
		measure_lives(&mut market, false, false, LIVES),
		measure_lives(&mut market, true, false, FULL_LIVES),
	];
	println!(
		"proof measured on a large market (set up and measured in {:.0} s), bytes a life, one \
		 call a job: {:?}; batched: {:?}; unchecked: {:?}; unchecked, batched: {:?}",
		started.elapsed().as_secs_f64(),
		measured[0],
		measured[1],
		unchecked[0],
		unchecked[1],
	);
	let weights = crate::configs::RuntimeBlockWeights::get();
	let normal = weights.get(DispatchClass::Normal);
	let normal_max = normal.max_total.unwrap_or(weights.max_block);
	let normal_length =
		u64::from(*crate::configs::RuntimeBlockLength::get().max.get(DispatchClass::Normal));
	let hook_budget = <Runtime as pallet_daya_inference::Config>::MaxHookWeight::get();
	let deadlines_per_block =
		u64::from(<Runtime as pallet_daya_inference::Config>::MaxDeadlinesPerBlock::get());
	let queue = u64::from(<Runtime as pallet_daya_inference::Config>::MaxPendingDraws::get());
	// What the block builder counts for a signed extrinsic of `call`, and its length signed.
	let tx_extension = || {
		crate::configs::offchain::tx_extension(sp_runtime::generic::Era::mortal(64, 1), u32::MAX)
	};
	let extension_of = |call: &RuntimeCall| tx_extension().weight(call);
	// `charged` is the call's weight after dispatch: what the block keeps of it (its declared
	// weight is what admits it; the difference returns to the block).
	let extrinsic = |call: RuntimeCall, charged: Weight| -> (Weight, u64) {
		assert!(charged.all_lte(call.get_dispatch_info().call_weight));
		let weight = charged
			.saturating_add(extension_of(&call))
			.saturating_add(normal.base_extrinsic);
		let signed = UncheckedExtrinsic::new_signed(
			call,
			sp_runtime::MultiAddress::Id(account(1)),
			sp_runtime::MultiSignature::Sr25519(sp_core::sr25519::Signature::from_raw([0; 64])),
			tx_extension(),
		);
		(weight, signed.encoded_size() as u64)
	};
	// A life's two draws, each admitted while its kind's bound fits what is left of the hook's
	// budget and charged what it cost, its proof as recorded: the executor's (an assignment)
	// and the result's (settled unchecked, or its validator drawn).
	let assign = Market::<Runtime>::draw_bound(DrawKind::Assign);
	let sample = Market::<Runtime>::draw_bound(DrawKind::Sample);
	// A result settled unchecked is one of many a block: what one more settlement adds (the
	// block's first pays what they share once, `first_settlement`).
	let open = DrawEnd::Open;
	let settled = |consumer_before: bool, executor_before: bool| DrawEnd::Settled {
		first: false,
		consumer_before,
		executor_before,
	};
	let first_settlement = Market::<Runtime>::draw_settle_weight(true)
		.saturating_sub(Market::<Runtime>::draw_settle_weight(false));
	let batch_jobs = <Runtime as pallet_daya_inference::Config>::MaxOpenJobsPerAccount::get();
	// A settlement's draw, averaged over the lives of a market where each consumer's jobs come
	// in batches of `MaxOpenJobsPerAccount` and each host executes `RESULT_BATCH` of them (batched: a block's
	// settlements of one consumer or one executor after the first find its keys in the
	// overlay), or where every job has its own consumer and executor (one call a job).
	let settlement = |batched: bool| {
		let lives = u64::from(LIVES);
		let total = (0..lives).fold(Weight::zero(), |total, life| {
			let end = if batched {
				settled(life % u64::from(batch_jobs) != 0, life % u64::from(RESULT_BATCH) != 0)
			} else {
				settled(false, false)
			};
			total.saturating_add(Market::<Runtime>::draw_cost(DrawKind::Sample, end, 0))
		});
		Weight::from_parts(total.ref_time().div_ceil(lives), total.proof_size().div_ceil(lives))
	};
	let life_draws = |validated: bool, batched: bool| {
		// One pick for the executor, one for a validator; none for a settlement.
		let sample = if validated {
			Market::<Runtime>::draw_cost(DrawKind::Sample, open, 1)
		} else {
			settlement(batched)
		};
		let cost = Market::<Runtime>::draw_cost(DrawKind::Assign, open, 1).saturating_add(sample);
		let (assign_draw, sample_draw) = if validated {
			(measured[0].assign_draw, measured[0].sample_draw)
		} else {
			let m = unchecked[usize::from(batched)];
			(m.assign_draw, m.sample_draw)
		};
		Weight::from_parts(cost.ref_time(), assign_draw + sample_draw)
	};
	// The hook's base: its ref time at the benchmarks', its proof as recorded, with room for
	// the jobs of two draws that do not fit (`do_draws` keeps it).
	let hook_base = Weight::from_parts(
		Market::<Runtime>::hook_base_weight().ref_time(),
		idle_hook + Market::<Runtime>::draw_bound(DrawKind::Skip).proof_size() * 2,
	);
	// How many lives' draws a hook budget allows.
	// How many `life`s fit in what `budget` leaves after the hook's base and room for the
	// dearest draw's bound (the block's first settlement paying what settlements share).
	let lives_in = |budget: Weight, life: Weight| {
		let room = budget
			.saturating_sub(hook_base)
			.saturating_sub(Market::<Runtime>::draw_weight())
			.saturating_sub(first_settlement);
		(room.ref_time() / life.ref_time().max(1)).min(room.proof_size() / life.proof_size().max(1))
	};
	let lives_drawn_in = |budget: Weight, validated: bool, batched: bool| {
		lives_in(budget, life_draws(validated, batched))
	};
	println!(
		"limits of a 6 s block: normal class {} ms, {} KiB proof, {} KiB length; the job \
		 market's hook {} ms, {} KiB proof (its base {} ms, {} KiB estimated, {} B recorded; the draws of {} lives, {} \
		 validated: an assignment admitted at {} µs, {} B proof, charged {} µs, {} B recorded; a \
		 sample admitted at {} µs, {} B, charged {} µs settled (the block's first {} µs more), {} µs with its validator drawn, \
		 {} B and {} B recorded; charged their bounds, {}); {deadlines_per_block} deadlines a \
		 bucket, {queue} queued draws",
		normal_max.ref_time() / 1_000_000_000,
		normal_max.proof_size() / 1024,
		normal_length / 1024,
		hook_budget.ref_time() / 1_000_000_000,
		hook_budget.proof_size() / 1024,
		Market::<Runtime>::hook_base_weight().ref_time() / 1_000_000_000,
		Market::<Runtime>::hook_base_weight().proof_size() / 1024,
		idle_hook,
		lives_drawn_in(hook_budget, false, false),
		lives_drawn_in(hook_budget, true, false),
		assign.ref_time() / 1_000_000,
		assign.proof_size(),
		Market::<Runtime>::draw_cost(DrawKind::Assign, open, 1).ref_time() / 1_000_000,
		measured[0].assign_draw,
		sample.ref_time() / 1_000_000,
		sample.proof_size(),
		Market::<Runtime>::draw_cost(DrawKind::Sample, settled(false, false), 0).ref_time() /
			1_000_000,
		first_settlement.ref_time() / 1_000_000,
		Market::<Runtime>::draw_cost(DrawKind::Sample, open, 1).ref_time() / 1_000_000,
		unchecked[0].sample_draw,
		measured[0].sample_draw,
		{
			let room = hook_budget.saturating_sub(hook_base);
			let life = assign.saturating_add(sample);
			(room.ref_time() / life.ref_time().max(1))
				.min(room.proof_size() / life.proof_size().max(1))
		},
	);
	// The whole block: a life's part of the normal class (its ref time; its proof with its
	// bytes) and of the hook together, in what the inherents and the other hooks leave of it
	// (95%), after the hook's base and room for its dearest draw. The two classes' caps overlap
	// (60% and `MaxHookWeight`): the hook runs first, and the normal class takes no more than
	// the block has left.
	let block_lives = |normal_life: Weight, validated: bool, batched: bool| {
		let life = normal_life.saturating_add(life_draws(validated, batched));
		lives_in(Perbill::from_percent(95) * weights.max_block, life)
	};
	println!(
		"{:<28} {:>9} {:>9} {:>9} {:>7} | {:>6} {:>6} {:>6} {:>6} {:>6} {:>9} {:>6} | {:>5}  binds",
		"job (prompt / output)",
		"ref µs",
		"est. B",
		"proof B",
		"len B",
		"ref",
		"proof",
		"length",
		"hook",
		"block",
		"deadlines",
		"queue",
		"fit"
	);
	let mut fits = Vec::new();
	// The normal class's part of a 256 B / 1 KiB life: not validated and validated, submitted
	// one call a job and in batches.
	let mut small_lives = Vec::new();
	// A consumer's batch: as many jobs as one may have open.
	let batch = <Runtime as pallet_daya_inference::Config>::MaxOpenJobsPerAccount::get();
	for (prompt, output) in [(256u32, 1_024u32), (1_024, 4_096)] {
		for (batched, validated) in [(false, false), (false, true), (true, false), (true, true)] {
			let tokens = output / 4;
			// A job submitted in its own call, or its share of a consumer's batch.
			let (submit, jobs_in_submit) = if batched {
				let request = pallet_daya_inference::JobRequest::<Runtime> {
					payload: vec![b'x'; prompt as usize].try_into().unwrap(),
					max_output_tokens: tokens,
					params: JobParams::default(),
				};
				let jobs = vec![request; batch as usize].try_into().unwrap();
				let call = pallet_daya_inference::Call::submit_jobs {
					model: 0,
					max_price_per_token: 1,
					jobs,
				};
				(RuntimeCall::Inference(call), u64::from(batch))
			} else {
				let call = pallet_daya_inference::Call::submit_job {
					model: 0,
					payload: vec![b'x'; prompt as usize].try_into().unwrap(),
					max_output_tokens: tokens,
					max_price_per_token: 1,
					params: JobParams::default(),
				};
				(RuntimeCall::Inference(call), 1)
			};
			let result = RuntimeCall::Inference(pallet_daya_inference::Call::submit_result {
				job_id: JobId::MAX,
				result: crate::tests::job_result(&vec![b'x'; output as usize], prompt / 4, tokens),
			});
			// A validated result's validator passes it showing its probe, and its executor
			// recognises the probe, which settles the job: two verdicts, each charged at its
			// own benchmark after dispatch.
			let shown = RuntimeCall::Inference(pallet_daya_inference::Call::submit_verdict {
				job_id: JobId::MAX,
				judgement: Judgement::Valid,
				probe: Some(Default::default()),
			});
			let recognised = RuntimeCall::Inference(pallet_daya_inference::Call::submit_verdict {
				job_id: JobId::MAX,
				judgement: Judgement::Valid,
				probe: None,
			});
			let declared = |call: &RuntimeCall| call.get_dispatch_info().call_weight;
			// Each call with the number of lives that share it, and the proof the block records
			// for it a life.
			let m = measured[usize::from(batched)];
			let mut calls = vec![(declared(&submit), submit, jobs_in_submit, m.submit)];
			if batched {
				// An executor's results of one run in one transaction, each at its own weight.
				let item = pallet_daya_inference::ResultItem::<Runtime> {
					job_id: JobId::MAX,
					result: crate::tests::job_result(
						&vec![b'x'; output as usize],
						prompt / 4,
						tokens,
					),
				};
				let results = RuntimeCall::Inference(pallet_daya_inference::Call::submit_results {
					results: vec![item; RESULT_BATCH as usize].try_into().unwrap(),
				});
				calls.push((declared(&results), results, u64::from(RESULT_BATCH), m.result));
			} else {
				calls.push((declared(&result), result, 1, m.result));
			}
			if validated && batched {
				// A host's verdicts of one run in one transaction: the validator's passes each
				// at its own benchmark, the executor's recognitions after the first at what one
				// more adds.
				let batch_of = |probe: Option<daya_primitives::Fingerprint>| {
					let item = pallet_daya_inference::VerdictItem {
						job_id: JobId::MAX,
						judgement: Judgement::Valid,
						probe,
					};
					RuntimeCall::Inference(pallet_daya_inference::Call::submit_verdicts {
						verdicts: vec![item; VERDICT_BATCH as usize].try_into().unwrap(),
					})
				};
				let more = u64::from(VERDICT_BATCH - 1);
				let first = Market::<Runtime>::recognise_first_weight();
				let shown_all =
					Market::<Runtime>::probe_pass_weight(1).saturating_mul(more.saturating_add(1));
				let recognised_all = first.saturating_add(
					Market::<Runtime>::recognise_more_weight().saturating_mul(more),
				);
				let lives = u64::from(VERDICT_BATCH);
				calls.push((shown_all, batch_of(Some(Default::default())), lives, m.shown));
				calls.push((recognised_all, batch_of(None), lives, m.recognised));
			} else if validated {
				calls.push((Market::<Runtime>::probe_pass_weight(1), shown, 1, m.shown));
				calls.push((Market::<Runtime>::pass_weight(), recognised, 1, m.recognised));
			}
			if prompt == 256 && validated {
				// Where a life's normal-class weight goes: each call's own weight (as charged),
				// and what every signed extrinsic adds (its transaction extensions, the base).
				for (own, call, lives, recorded) in
					calls.iter().filter(|(_, _, lives, _)| batched || *lives == 1)
				{
					let extension = extension_of(call);
					println!(
						"  {:<16} call {:>5} µs {:>6} B proof; extensions {:>4} µs {:>6} B; base {:>4} µs; measured {:>6} B{}",
						call.get_call_metadata().function_name,
						own.ref_time() / 1_000_000,
						own.proof_size(),
						extension.ref_time() / 1_000_000,
						extension.proof_size(),
						normal.base_extrinsic.ref_time() / 1_000_000,
						recorded * lives,
						if *lives > 1 { format!(" (shared by {lives} jobs)") } else { String::new() },
					);
				}
			}
			let (mut life, mut length, mut proof) = (Weight::zero(), 0u64, 0u64);
			for (charged, call, lives, recorded) in calls {
				let (weight, bytes) = extrinsic(call, charged);
				// The reclaim never charges more than the estimate that admitted the extrinsic.
				assert!(
					recorded * lives <= weight.proof_size(),
					"{recorded} B a life measured for an extrinsic estimated at {} B",
					weight.proof_size()
				);
				// A shared extrinsic's part, rounded up.
				let part = |total: u64| total.div_ceil(lives);
				life = life.saturating_add(Weight::from_parts(
					part(weight.ref_time()),
					part(weight.proof_size()),
				));
				length += part(bytes);
				proof += recorded;
			}
			if prompt == 256 {
				small_lives.push(Weight::from_parts(life.ref_time(), proof + length));
			}
			// The executor's draw, and the result's (sampled and settled, or its validator
			// drawn); a validated job's deadlines: execution, validation, the probe's word.
			let (draws, deadlines) = (2u64, if validated { 3u64 } else { 1 });
			let block_fit = block_lives(
				Weight::from_parts(life.ref_time(), proof + length),
				validated,
				batched,
			);
			let bounds = [
				("normal ref time", normal_max.ref_time() / life.ref_time().max(1)),
				// The proof a life's extrinsics record, and their bytes.
				("normal proof", normal_max.proof_size() / (proof + length).max(1)),
				("length", normal_length / length.max(1)),
				("hook's draws", lives_drawn_in(hook_budget, validated, batched)),
				("block", block_fit),
				("deadline bucket", deadlines_per_block / deadlines),
				(
					"draw queue",
					(queue / draws).min(u64::from(Market::<Runtime>::submission_draws())),
				),
			];
			let (binds, fit) = bounds.iter().min_by_key(|(_, n)| *n).copied().unwrap();
			println!(
				"{:<28} {:>9} {:>9} {:>9} {:>7} | {:>6} {:>6} {:>6} {:>6} {:>6} {:>9} {:>6} | {:>5}  {binds}",
				format!(
					"{prompt} B / {output} B{}{}",
					if batched { ", batched" } else { "" },
					if validated { ", validated" } else { "" }
				),
				life.ref_time() / 1_000_000,
				life.proof_size(),
				proof,
				length,
				bounds[0].1,
				bounds[1].1,
				bounds[2].1,
				bounds[3].1,
				bounds[4].1,
				bounds[5].1,
				bounds[6].1,
				fit,
			);
			fits.push(fit);
		}
	}
	// How the hook's cap moves the count (the normal class keeps its 60%, the block its 95%):
	// a life needs both.
	println!(
		"the hook's cap (the normal class's 60% and the block's 95% kept) and the 256 B / 1 KiB \
		 lives it carries:"
	);
	for hook in [35u32, 40, 45, 50, 55, 60] {
		let share = Perbill::from_percent(hook) * weights.max_block;
		// A validated life's three deadlines in the bucket (the second and fourth lives).
		let carried = small_lives
			.iter()
			.enumerate()
			.map(|(index, life)| {
				let (batched, validated) = (index >= 2, index % 2 == 1);
				let deadlines = if validated { 3 } else { 1 };
				(normal_max.ref_time() / life.ref_time().max(1))
					.min(normal_max.proof_size() / life.proof_size().max(1))
					.min(lives_drawn_in(share, validated, batched))
					.min(block_lives(*life, validated, batched))
					.min(deadlines_per_block / deadlines)
			})
			.collect::<Vec<_>>();
		println!(
			"  {hook}%: {} lives, {} validated; in batches {}, {} validated",
			carried[0], carried[1], carried[2], carried[3]
		);
	}
	// In batches (a consumer's jobs, a host's results and verdicts, the block's settlements of
	// one consumer's jobs by one busy host charged what one more of them adds), unvalidated
	// lives reach the 1,000 a large network needs (the draw queue's room for new jobs binds,
	// then the whole block's proof) and validated ones the 600 (the normal class's ref time).
	// One call a job, the whole block binds unvalidated lives and the normal class's ref time
	// validated ones; the 1 KiB / 4 KiB job's length binds first (see docs/economics.md). Held
	// here so that a change that makes jobs dearer is seen. One call a job, then in batches.
	assert!(fits[0] >= 560 && fits[1] >= 245, "{fits:?} job lives a block (256 B / 1 KiB)");
	assert!(fits[2] >= 1_000 && fits[3] >= 600, "{fits:?} job lives a block (256 B / 1 KiB)");
}

/// A block whose draws took the job market's whole share (`MaxHookWeight`, half of the block)
/// still takes transactions, up to what the block has left: the hook's cap and the normal
/// class's 60% overlap, and `frame_system` holds both to the block's total. A consumer who
/// floods the draw queue cannot shut others' transactions out of a block, and the normal class
/// and the hook together never pass the block, in ref time or in proof.
#[test]
fn a_block_full_of_draws_still_takes_transactions_up_to_the_blocks_total() {
	use codec::Encode;
	use frame_support::dispatch::{DispatchClass, GetDispatchInfo};
	use frame_system::CheckWeight;
	development().execute_with(|| {
		let weights = crate::configs::RuntimeBlockWeights::get();
		let hook = <Runtime as pallet_daya_inference::Config>::MaxHookWeight::get();
		let normal_cap = weights.get(DispatchClass::Normal).max_total.unwrap();
		let transfer = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
			dest: sp_runtime::MultiAddress::Id(account(2)),
			value: UNIT,
		});
		let (info, len) = (transfer.get_dispatch_info(), transfer.encoded_size());
		let admits = || {
			let (_, next_len) = CheckWeight::<Runtime>::do_validate(&info, len)?;
			CheckWeight::<Runtime>::do_prepare(&info, len, next_len)
		};
		// The transfer with what every extrinsic adds: half of it is less room than it needs.
		let one = info
			.total_weight()
			.saturating_add(weights.get(DispatchClass::Normal).base_extrinsic);
		let set = |mandatory: Weight, normal: Weight| {
			frame_system::BlockWeight::<Runtime>::mutate(|consumed| {
				*consumed = Default::default();
				consumed.accrue(mandatory, DispatchClass::Mandatory);
				consumed.accrue(normal, DispatchClass::Normal);
			});
		};
		// The hook's whole share taken: a transfer goes in.
		set(hook, Weight::zero());
		assert_eq!(admits(), Ok(()));
		// Transactions fill the rest of the block, not their class's 60%: with half a transfer's
		// room left, the next is refused, though the normal class is under its cap.
		let left = weights.max_block.saturating_sub(hook).saturating_sub(one / 2);
		assert!(left.all_lt(normal_cap), "{left:?} under the normal class's {normal_cap:?}");
		set(hook, left);
		assert_eq!(
			admits(),
			Err(sp_runtime::transaction_validity::InvalidTransaction::ExhaustsResources.into())
		);
		// The same transactions in a block whose hook drew nothing: room for more.
		set(Weight::zero(), left);
		assert_eq!(admits(), Ok(()));
	});
}

/// A host's offchain worker looks up its work (`InferenceApi::work_of`) while 1,000, 10,000 and
/// 100,000 jobs of 10,000 other hosts are open: it reads its own list and its own jobs, so the
/// same storage whatever the market holds; only the trie's depth, which grows with the log of
/// the number of keys, adds to the proof. Printed; the proof is held within twice the smallest
/// (version 0 of the market read every open job: about 500 bytes each, 50 MB at 100,000).
#[test]
fn a_hosts_work_lookup_does_not_grow_with_the_market() {
	use codec::Encode;
	use daya_primitives::runtime_api::WorkKind;
	use pallet_daya_inference::{Job, WorkOf};
	use sp_core::H256;
	let host = account(1);
	let template = Job::<Runtime> {
		consumer: account(2),
		model: 0,
		payload_hash: H256::repeat_byte(1),
		prompt_tokens: 256,
		max_output_tokens: 256,
		params: JobParams::default(),
		price_per_token: 1,
		model_version: 1,
		sampling_key: H256::repeat_byte(2),
		submitted_at: 1,
		executor: Some(host.clone()),
		reassigned: false,
		cancel_requested: false,
		deadline: 20,
		delivery: None,
		delivered_at: None,
		status: JobStatus::Assigned,
	};
	let own: JobId = 8;
	let mut ext = development();
	ext.execute_with(|| {
		for id in 0..own {
			Jobs::<Runtime>::insert(id, template.clone());
			WorkOf::<Runtime>::try_append(&host, id).unwrap();
		}
	});
	let mut open = 0u64;
	let mut proofs = Vec::new();
	println!("open jobs | lookup proof (bytes) | lookup time (µs, native, debug)");
	for market in [1_000u64, 10_000, 100_000] {
		ext.execute_with(|| {
			while open < market {
				let other = AccountId::from(H256::from_low_u64_be(open % 10_000 + 100).0);
				let id = own + open;
				Jobs::<Runtime>::insert(
					id,
					Job { executor: Some(other.clone()), ..template.clone() },
				);
				WorkOf::<Runtime>::try_append(&other, id).unwrap();
				open += 1;
			}
		});
		ext.commit_all().unwrap();
		let start = std::time::Instant::now();
		let (work, proof) = ext.execute_and_prove(|| Inference::api_work_of(host.clone()));
		let took = start.elapsed().as_micros();
		assert_eq!(work, (0..own).map(|id| (id, WorkKind::Execute)).collect::<Vec<_>>());
		let bytes = proof.encoded_size();
		println!("{:>9} | {bytes:>20} | {took:>6}", market + own);
		proofs.push(bytes);
	}
	let (least, most) = (proofs.iter().min().unwrap(), proofs.iter().max().unwrap());
	assert!(*most < 2 * *least, "the lookup's proof grew with the market: {proofs:?}");
	assert!(*most < 16 * 1024, "a lookup proves a few KiB, not the market: {proofs:?}");
}

/// The job market's hook at its bounds, on the runtime's weights: 100,000 open jobs, of which
/// a full deadline bucket (2,048) of disputes whose validators all stayed silent (the costliest
/// time-out: slashes, then a new round or the end) and a full draw queue (2,048 jobs to
/// assign). Every block's `on_initialize` reports at most `MaxHookWeight`, and each of the
/// next 20 blocks takes on more of the bucket and the queue, oldest first (the pallet's tests
/// drain them to the end). Printed: what each block took on, and how long draining takes.
#[test]
fn the_job_markets_hook_stays_within_its_share_of_a_block_at_its_bounds() {
	use daya_primitives::BlockRandomness;
	use pallet_daya_inference::{
		Config as MarketConfig, Deadlines, Draws, Job, NextJobId, PendingDraw, Verdict,
	};
	use sp_core::H256;
	development().execute_with(|| {
		next_block();
		let now = System::block_number();
		let version = crate::Models::model(0).unwrap().spec.version;
		let host = |index: u64| AccountId::from(H256::from_low_u64_be(index + 1).0);
		let assigned = Job::<Runtime> {
			consumer: account(200),
			model: 0,
			payload_hash: H256::repeat_byte(1),
			prompt_tokens: 256,
			max_output_tokens: 64,
			params: JobParams::default(),
			price_per_token: 1,
			model_version: version,
			sampling_key: H256::repeat_byte(2),
			submitted_at: now,
			executor: Some(host(0)),
			reassigned: false,
			cancel_requested: false,
			deadline: now + 10_000,
			delivery: None,
			delivered_at: None,
			status: JobStatus::Assigned,
		};
		let delivery = pallet_daya_inference::Delivery {
			output_hash: H256::repeat_byte(3),
			usage: daya_primitives::Usage { prompt_tokens: 200, completion_tokens: 64 },
			result_hash: H256::repeat_byte(4),
		};
		let market = <Runtime as MarketConfig>::MaxOpenJobs::get() as u64;
		let bucket = <Runtime as MarketConfig>::MaxDeadlinesPerBlock::get() as u64;
		let queue = <Runtime as MarketConfig>::MaxPendingDraws::get() as u64;
		let deadline = now + 1;
		let after = <Runtime as MarketConfig>::Randomness::seed().map_or(0, |s| s.relay_block);
		for id in 0..market {
			let job = if id < bucket {
				let verdicts =
					(1..=3).map(|v| Verdict::pending(host(id * 4 + v))).collect::<Vec<_>>();
				Deadlines::<Runtime>::try_append(deadline, id).unwrap();
				Job {
					executor: Some(host(id * 4 + 4)),
					deadline,
					delivery: Some(delivery),
					delivered_at: Some(now),
					status: JobStatus::Disputed {
						accuser: host(id * 4),
						verdicts: verdicts.try_into().unwrap(),
						round: 0,
						since: now,
					},
					..assigned.clone()
				}
			} else if id < bucket + queue {
				Draws::<Runtime>::try_append(PendingDraw { job_id: id, after }).unwrap();
				Job {
					executor: None,
					status: JobStatus::Unassigned { missed_by: None },
					..assigned.clone()
				}
			} else {
				assigned.clone()
			};
			Jobs::<Runtime>::insert(id, job);
		}
		NextJobId::<Runtime>::put(market);

		let budget = <Runtime as MarketConfig>::MaxHookWeight::get();
		println!("the hook's share: {budget:?}");
		println!("block | deadlines left | draws left | weight (ms, proof KiB)");
		let (mut blocks, mut last) = (0u64, (bucket as usize, queue as usize));
		loop {
			let next = System::block_number() + 1;
			System::set_block_number(next);
			System::reset_events();
			Randomness::on_initialize(next);
			let weight = Inference::on_initialize(next);
			<Runtime as frame_system::Config>::PostInherents::post_inherents();
			assert!(weight.all_lte(budget), "block {next}: {weight:?} over {budget:?}");
			let deadlines = Deadlines::<Runtime>::get(deadline).len();
			// The queue's own jobs (the disputes' new rounds queue draws of theirs).
			let draws = Draws::<Runtime>::get()
				.iter()
				.filter(|d| (bucket..bucket + queue).contains(&d.job_id))
				.count();
			println!(
				"{next:>5} | {deadlines:>14} | {draws:>10} | {:.1} ms, {} KiB",
				weight.ref_time() as f64 / 1e9,
				weight.proof_size() / 1024
			);
			blocks += 1;
			// Jobs are assigned until the genesis hosts are at their bound; then the rest wait
			// for room (their draws still run, and are counted).
			let hosts_full = pallet_daya_compute::Hosts::<Runtime>::iter_keys()
				.all(|host| !Inference::has_room(&host));
			assert!(
				(deadlines < last.0 || deadlines == 0)
					&& (draws < last.1 || draws == 0 || hosts_full),
				"block {next} took on no deadline or no draw"
			);
			// The oldest first: what is left of the bucket is its end.
			let left = Deadlines::<Runtime>::get(deadline).into_inner();
			assert_eq!(left, (bucket - deadlines as u64..bucket).collect::<Vec<_>>());
			last = (deadlines, draws);
			if (deadlines == 0 && draws == 0) || blocks == 20 {
				break;
			}
		}
		let handled = bucket as usize - last.0;
		println!(
			"{handled} silent disputes in {blocks} blocks: a full bucket of them takes about {} \
			 blocks; {} of the queue's jobs drawn (the genesis hosts hold {} each at most)",
			(bucket as usize * blocks as usize).div_ceil(handled.max(1)),
			queue as usize - last.1,
			<Runtime as MarketConfig>::MaxOpenJobsPerHost::get()
		);
	});
}

/// The proof a block records for the extrinsics of `LIVES` job lives, per life, as the
/// storage-weight reclaim charges each extrinsic (the trie nodes it reads first in its block,
/// measured from its transaction extensions to its end), on a market the size of a large
/// network: 90,000 open jobs, 100,000 accounts, 10,000 hosts' records and lists, 10,000
/// consumers' lists and holds. Each kind of extrinsic is applied, `LIVES` of it in one block
/// (a consumer's batch for the batched submissions), through the runtime's transaction
/// extensions, without the hooks (which would read some of the same nodes first); the hooks'
/// draws are measured in blocks of their own (every hook of the blocks until the 64 draws ran,
/// their fixed part included), as the job market charges each draw the proof it recorded. A
/// node is counted once in a block, as the reclaim counts it: a full block's lives share more
/// of the upper nodes than 64 do, so the figures err high.
#[derive(Clone, Copy, Debug, Default)]
struct MeasuredLife {
	/// A job's submission (its share of a batch where batched).
	submit: u64,
	/// Its result.
	result: u64,
	/// Its validator's pass showing the probe.
	shown: u64,
	/// Its executor's recognition of the probe, which settles it.
	recognised: u64,
	/// The draw of its executor (the hooks of the blocks until every job is assigned).
	assign_draw: u64,
	/// The draw of its result: its validator drawn where validated, else its settlement.
	sample_draw: u64,
}

/// The lives of each kind measured in one block: what a consumer may have open at once.
const LIVES: u32 = 64;

/// The lives measured in one block where a fuller block is measured: two consumers' batches
/// (their executors' results, estimated at 417 KB of proof a batch of sixteen, would fill the
/// normal class's 6 MiB at about 240).
const FULL_LIVES: u32 = 2 * LIVES;

/// The results an executor sends in one transaction where batched: a full batch.
const RESULT_BATCH: u32 = pallet_daya_inference::MAX_RESULTS;

/// The verdicts a host sends in one transaction where batched: the most one run of a node's
/// offchain worker reaches (one call to the host's executor each).
const VERDICT_BATCH: u32 =
	if daya_offchain::runner::MAX_CALLS_PER_EXECUTOR < pallet_daya_inference::MAX_VERDICTS {
		daya_offchain::runner::MAX_CALLS_PER_EXECUTOR
	} else {
		pallet_daya_inference::MAX_VERDICTS
	};

/// Fills the market and the registries as a large network's (see [`MeasuredLife`]).
fn large_market() -> sp_io::TestExternalities {
	use frame_support::traits::fungible::MutateHold;
	use pallet_daya_inference::{JobsOf, NextJobId, WorkOf};
	let mut ext = development();
	ext.execute_with(|| {
		System::set_block_number(1);
		let model = 0;
		for seed in 1..=64u8 {
			crate::tests::register_l4_host(&account(seed), model);
		}
		for seed in 100..(100 + LIVES as u8) {
			Balances::set_balance(&account(seed), 1_000 * UNIT);
		}
		let template = pallet_daya_compute::Hosts::<Runtime>::get(account(1)).unwrap();
		let ghost = |index: u64| AccountId::from(sp_core::H256::from_low_u64_be(index + 1).0);
		for index in 0..100_000u64 {
			Balances::set_balance(&ghost(index), UNIT);
		}
		let job = Jobs::<Runtime>::iter().next();
		assert!(job.is_none(), "the development preset opens no job");
		let first = NextJobId::<Runtime>::get();
		let filler = |id: JobId| pallet_daya_inference::Job::<Runtime> {
			consumer: ghost(id % 10_000),
			model,
			payload_hash: sp_core::H256::repeat_byte(1),
			prompt_tokens: 64,
			max_output_tokens: 64,
			params: JobParams::default(),
			price_per_token: 1,
			model_version: crate::Models::model(model).unwrap().spec.version,
			sampling_key: sp_core::H256::repeat_byte(2),
			submitted_at: 1,
			executor: Some(ghost(50_000 + id % 10_000)),
			reassigned: false,
			cancel_requested: false,
			deadline: 100_000,
			delivery: None,
			delivered_at: None,
			status: JobStatus::Assigned,
		};
		for id in first..first + 90_000 {
			let job = filler(id);
			let _ = JobsOf::<Runtime>::try_append(&job.consumer, id);
			let _ = WorkOf::<Runtime>::try_append(job.executor.as_ref().unwrap(), id);
			Jobs::<Runtime>::insert(id, job);
		}
		NextJobId::<Runtime>::put(first + 90_000);
		for index in 0..10_000u64 {
			pallet_daya_compute::Hosts::<Runtime>::insert(ghost(50_000 + index), template.clone());
			assert!(
				Balances::hold(&InferenceHold::JobEscrow.into(), &ghost(index), UNIT / 2).is_ok()
			);
		}
	});
	ext.commit_all().unwrap();
	ext
}

/// Sets every registered host's `reputation`: none, and each result is drawn for validation
/// (each life measured has its verdicts); full, and results are drawn at the least sample rate.
fn with_reputation(reputation: Perbill) {
	for host in pallet_daya_compute::Hosts::<Runtime>::iter_keys().collect::<Vec<_>>() {
		pallet_daya_compute::Hosts::<Runtime>::mutate(&host, |info| {
			if let Some(info) = info {
				info.reputation = reputation;
			}
		});
	}
}

/// Applies `call` signed by `who` as the block does, through the runtime's transaction
/// extensions (all but the signature's check, which reads no storage).
fn apply_signed(who: &AccountId, call: RuntimeCall) {
	use codec::Encode;
	use frame_support::dispatch::GetDispatchInfo;
	use frame_support::traits::GetCallMetadata;
	use sp_runtime::traits::DispatchTransaction;
	let info = call.get_dispatch_info();
	let len = call.encoded_size() + 110;
	let extension = crate::configs::offchain::tx_extension(
		sp_runtime::generic::Era::Immortal,
		System::account_nonce(who),
	);
	let applied = extension.dispatch_transaction(
		RuntimeOrigin::signed(who.clone()),
		call.clone(),
		&info,
		len,
		0,
	);
	if let Err(refused) = applied
		.map_err(|e| format!("{e:?}"))
		.and_then(|r| r.map_err(|e| format!("{:?}", e.error)))
	{
		panic!("{:?} by {who:?}: {refused}", call.get_call_metadata().function_name);
	}
}

/// Runs `block` in `ext` with its storage reads recorded, keeps its changes, and returns the
/// proof's size. The block's weight starts empty, as a new block's.
fn recorded(ext: &mut sp_io::TestExternalities, block: impl FnOnce()) -> u64 {
	use codec::Encode;
	ext.execute_with(|| {
		frame_system::BlockWeight::<Runtime>::kill();
		frame_system::BlockSize::<Runtime>::kill();
		System::reset_events();
	});
	ext.commit_all().unwrap();
	let ((), proof) = ext.execute_and_prove(block);
	ext.commit_all().unwrap();
	proof.encoded_size() as u64
}

/// Gives the part `role` picks in each of `ids` to the `VERDICT_BATCH` jobs' hosts in turn,
/// from `account(first)` on, moving the jobs between the hosts' work lists.
fn busy_hosts(
	ids: &[JobId],
	first: u8,
	role: impl Fn(&mut pallet_daya_inference::Job<Runtime>) -> Option<&mut AccountId>,
) {
	use pallet_daya_inference::WorkOf;
	for (index, id) in ids.iter().enumerate() {
		let host = account(first + (index / VERDICT_BATCH as usize) as u8);
		let mut job = Jobs::<Runtime>::get(id).expect("an open job");
		let Some(part) = role(&mut job) else { continue };
		let old = core::mem::replace(part, host.clone());
		WorkOf::<Runtime>::mutate(&old, |list| {
			if let Some(list) = list {
				list.retain(|j| j != id);
			}
		});
		assert!(WorkOf::<Runtime>::try_append(&host, *id).is_ok(), "room in the host's list");
		Jobs::<Runtime>::insert(id, job);
	}
}

/// Measures `lives` lives of a job, submitted one call each (by as many consumers, at most
/// `LIVES`) or in consumers' batches of `LIVES` (see [`MeasuredLife`]). The state holds hashes of the prompt and the output,
/// not the texts (the offchain index and the extrinsics do): the proof is the same whatever
/// their sizes, which add to the block's length instead.
fn measure_lives(
	ext: &mut sp_io::TestExternalities,
	batched: bool,
	validated: bool,
	lives: u32,
) -> MeasuredLife {
	assert!(if batched { lives.is_multiple_of(LIVES) } else { lives <= LIVES }, "{lives} lives");
	let (prompt, output, tokens) = (256u32, 256u32, 256u32);
	use pallet_daya_inference::{Call as Market, JobRequest, NextJobId};
	let consumers: Vec<AccountId> = (100..(100 + LIVES as u8)).map(account).collect();
	let first = ext.execute_with(NextJobId::<Runtime>::get);
	let payload = || -> pallet_daya_inference::Payload<Runtime> {
		vec![b'x'; prompt as usize].try_into().unwrap()
	};
	let submitted = recorded(ext, || {
		if batched {
			for consumer in consumers.iter().take((lives / LIVES) as usize) {
				let jobs = (0..LIVES)
					.map(|_| JobRequest::<Runtime> {
						payload: payload(),
						max_output_tokens: tokens,
						params: JobParams::default(),
					})
					.collect::<Vec<_>>();
				let call = Market::submit_jobs {
					model: 0,
					max_price_per_token: UNIT,
					jobs: jobs.try_into().unwrap(),
				};
				apply_signed(consumer, RuntimeCall::Inference(call));
			}
		} else {
			for consumer in consumers.iter().take(lives as usize) {
				let call = Market::submit_job {
					model: 0,
					payload: payload(),
					max_output_tokens: tokens,
					max_price_per_token: UNIT,
					params: JobParams::default(),
				};
				apply_signed(consumer, RuntimeCall::Inference(call));
			}
		}
	});
	let ids: Vec<JobId> = (first..first + u64::from(lives)).collect();
	let jobs = |ext: &mut sp_io::TestExternalities| {
		ext.execute_with(|| {
			ids.iter().map(|id| (*id, Jobs::<Runtime>::get(id))).collect::<Vec<_>>()
		})
	};
	// The executors' draws, with the hooks of every block until they ran.
	let mut assign_draw = 0;
	for _ in 0..8 {
		assign_draw += recorded(ext, next_block);
		if jobs(ext)
			.iter()
			.all(|(_, job)| job.as_ref().is_some_and(|j| j.executor.is_some()))
		{
			break;
		}
	}
	if batched {
		// Hosts busy enough to fill a batch: the lives' executors are four hosts, sixteen
		// jobs each (what one transaction of results or verdicts carries).
		ext.execute_with(|| busy_hosts(&ids, 1, |job| job.executor.as_mut()));
		ext.commit_all().unwrap();
	}
	let assigned = jobs(ext);
	let delivered = recorded(ext, || {
		// Batched, each executor's results go in transactions of up to `RESULT_BATCH`.
		let mut by_executor: Vec<(AccountId, Vec<pallet_daya_inference::ResultItem<Runtime>>)> =
			Vec::new();
		for (job_id, job) in &assigned {
			let executor = job.as_ref().and_then(|j| j.executor.clone()).expect("assigned");
			let result = crate::tests::job_result(&vec![b'x'; output as usize], prompt / 4, tokens);
			if !batched {
				let call = Market::submit_result { job_id: *job_id, result };
				apply_signed(&executor, RuntimeCall::Inference(call));
				continue;
			}
			let item = pallet_daya_inference::ResultItem { job_id: *job_id, result };
			match by_executor.iter_mut().find(|(host, _)| *host == executor) {
				Some((_, items)) => items.push(item),
				None => by_executor.push((executor, vec![item])),
			}
		}
		for (executor, items) in by_executor {
			for chunk in items.chunks(RESULT_BATCH as usize) {
				let results = chunk.to_vec().try_into().unwrap();
				apply_signed(&executor, RuntimeCall::Inference(Market::submit_results { results }));
			}
		}
	});
	// The results' draws: each result validated, or settled but for the few the least
	// sample rate draws.
	ext.execute_with(|| with_reputation(if validated { Perbill::zero() } else { Perbill::one() }));
	let mut sample_draw = 0;
	for _ in 0..8 {
		sample_draw += recorded(ext, next_block);
		let waiting = jobs(ext).iter().any(|(_, job)| {
			job.as_ref().is_some_and(|j| {
				!matches!(j.status, JobStatus::Validating { .. })
					|| !validated && matches!(j.status, JobStatus::Delivered)
			})
		});
		if !waiting {
			break;
		}
	}
	let per_life = |total: u64| total.div_ceil(u64::from(lives));
	if !validated {
		let settled = jobs(ext).iter().filter(|(_, job)| job.is_none()).count();
		assert!(settled >= lives as usize * 3 / 4, "{settled} settled unchecked");
		return MeasuredLife {
			submit: per_life(submitted),
			result: per_life(delivered),
			assign_draw: per_life(assign_draw),
			sample_draw: per_life(sample_draw),
			..Default::default()
		};
	}
	// One step of an honest check for each job: `shown` passes with the probe, `recognised`
	// takes it. Batched, each host's verdicts go in transactions of up to `VERDICT_BATCH`.
	let step = |ext: &mut sp_io::TestExternalities, probing: bool| {
		let open = jobs(ext);
		let mut count = 0u64;
		let size = recorded(ext, || {
			let mut by_host: Vec<(AccountId, Vec<pallet_daya_inference::VerdictItem>)> = Vec::new();
			for (job_id, job) in &open {
				let Some(job) = job else { continue };
				let (who, probe) = match (&job.status, probing) {
					(JobStatus::Validating { verdict }, false) => {
						(verdict.validator.clone(), Some(daya_primitives::Fingerprint::default()))
					},
					(JobStatus::Probing { .. }, true) => (job.executor.clone().unwrap(), None),
					_ => continue,
				};
				count += 1;
				if !batched {
					let call = Market::submit_verdict {
						job_id: *job_id,
						judgement: Judgement::Valid,
						probe,
					};
					apply_signed(&who, RuntimeCall::Inference(call));
					continue;
				}
				let item = pallet_daya_inference::VerdictItem {
					job_id: *job_id,
					judgement: Judgement::Valid,
					probe,
				};
				match by_host.iter_mut().find(|(host, _)| *host == who) {
					Some((_, items)) => items.push(item),
					None => by_host.push((who, vec![item])),
				}
			}
			for (who, items) in by_host {
				for chunk in items.chunks(VERDICT_BATCH as usize) {
					let verdicts = chunk.to_vec().try_into().unwrap();
					apply_signed(
						&who,
						RuntimeCall::Inference(Market::submit_verdicts { verdicts }),
					);
				}
			}
		});
		assert_eq!(count, u64::from(lives), "every life measured (probing: {probing})");
		size
	};
	if batched {
		// And their validators four other hosts, sixteen checks each.
		ext.execute_with(|| {
			busy_hosts(&ids, 5, |job| match &mut job.status {
				JobStatus::Validating { verdict } => Some(&mut verdict.validator),
				_ => None,
			})
		});
		ext.commit_all().unwrap();
	}
	let shown = step(ext, false);
	let recognised = step(ext, true);
	assert!(jobs(ext).iter().all(|(_, job)| job.is_none()), "every job settled");
	MeasuredLife {
		submit: per_life(submitted),
		result: per_life(delivered),
		shown: per_life(shown),
		recognised: per_life(recognised),
		assign_draw: per_life(assign_draw),
		sample_draw: per_life(sample_draw),
	}
}
