//! A fuzzer of the whole runtime's Daya pallets: bytes become sequences of calls and blocks
//! (jobs submitted, delivered, judged and cancelled; hosts registering, bonding, unbonding,
//! chilling; governance updating the model; epochs ending), and after every block every
//! pallet's invariants must hold and the money must add up: the total issuance is genesis
//! plus what was minted minus what was burned (as the events record it), and every account's
//! free and held balances add up to it.
//!
//! The test command runs a short fixed-seed campaign
//! (`a_short_fuzz_campaign_keeps_every_invariant`); the long one is its own command, on a
//! release build:
//!
//! ```text
//! DAYA_FUZZ_SEQUENCES=100000 cargo test --release -p daya-runtime fuzz_campaign -- --ignored --nocapture
//! ```
//!
//! It prints sequences per second, the calls made and how each ended (ok or the error's name).

use super::*;
use alloc::collections::BTreeMap;
use daya_primitives::{Fault, JobParams, Judgement};
use frame_support::traits::{fungible::Mutate, Hooks};
use pallet_daya_inference::JobStatus;
use sp_keyring::Sr25519Keyring;

/// Reads the input bytes as the sequence's choices; past their end, every choice is zero.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
	fn byte(&mut self) -> u8 {
		match self.0.split_first() {
			Some((first, rest)) => {
				self.0 = rest;
				*first
			},
			None => 0,
		}
	}

	fn below(&mut self, n: u32) -> u32 {
		let value = u32::from(self.byte()) << 8 | u32::from(self.byte());
		value % n.max(1)
	}

	fn is_empty(&self) -> bool {
		self.0.is_empty()
	}
}

/// The accounts a sequence plays: the genesis hosts, hosts it may register, and consumers.
fn actor(index: u32) -> AccountId {
	match index % 8 {
		0 => Sr25519Keyring::Alice.to_account_id(),
		1 => Sr25519Keyring::Bob.to_account_id(),
		n => AccountId::from([n as u8 + 40; 32]),
	}
}

fn consumer(index: u32) -> AccountId {
	AccountId::from([(index % 4) as u8 + 100; 32])
}

/// A validator whose verdict on `job` is awaited (or its executor, judging a probe), if any.
fn pending_validator(job: &pallet_daya_inference::Job<Runtime>) -> Option<AccountId> {
	match &job.status {
		JobStatus::Validating { verdict } if verdict.vote.is_none() => {
			Some(verdict.validator.clone())
		},
		JobStatus::Probing { .. } => job.executor.clone(),
		JobStatus::Disputed { verdicts, .. } => verdicts
			.iter()
			.find(|verdict| verdict.vote.is_none())
			.map(|verdict| verdict.validator.clone()),
		_ => None,
	}
}

/// `validator`'s verdict on `job_id`, counted in `stats` by how it ended.
fn give_verdict(
	validator: AccountId,
	job_id: daya_primitives::JobId,
	judgement: Judgement,
	probe: Option<daya_primitives::Fingerprint>,
	stats: &mut Stats,
) {
	let result =
		Inference::submit_verdict(RuntimeOrigin::signed(validator), job_id, judgement, probe)
			.map(|_| ())
			.map_err(|e| e.error);
	stats.record("submit_verdict", result);
}

/// What one campaign saw.
#[derive(Default)]
struct Stats {
	sequences: u64,
	calls: u64,
	blocks: u64,
	epochs_ended: u64,
	/// Per call, how it ended: `ok` or the error's name.
	outcomes: BTreeMap<(&'static str, String), u64>,
}

impl Stats {
	fn record(&mut self, call: &'static str, result: frame_support::dispatch::DispatchResult) {
		self.calls += 1;
		let how = match result {
			Ok(()) => "ok".to_string(),
			Err(sp_runtime::DispatchError::Module(error)) => {
				error.message.unwrap_or("module error").to_string()
			},
			Err(other) => format!("{other:?}"),
		};
		*self.outcomes.entry((call, how)).or_default() += 1;
	}

	fn merge(&mut self, other: Stats) {
		self.sequences += other.sequences;
		self.calls += other.calls;
		self.blocks += other.blocks;
		self.epochs_ended += other.epochs_ended;
		for (key, count) in other.outcomes {
			*self.outcomes.entry(key).or_default() += count;
		}
	}

	fn print(&self, seconds: f64) {
		println!(
			"{} sequences, {} calls, {} blocks, {} epoch ends in {seconds:.1} s: {:.1} sequences/s",
			self.sequences,
			self.calls,
			self.blocks,
			self.epochs_ended,
			self.sequences as f64 / seconds.max(1e-9)
		);
		for ((call, how), count) in &self.outcomes {
			println!("  {call:<16} {how:<28} {count}");
		}
	}
}

/// The money the events say was created (positive) or destroyed (negative) in this block.
fn minted_minus_burned() -> i128 {
	System::events()
		.into_iter()
		.map(|record| match record.event {
			RuntimeEvent::Balances(pallet_balances::Event::Minted { amount, .. })
			| RuntimeEvent::Balances(pallet_balances::Event::Issued { amount }) => amount as i128,
			RuntimeEvent::Balances(pallet_balances::Event::Burned { amount, .. })
			| RuntimeEvent::Balances(pallet_balances::Event::Rescinded { amount }) => -(amount as i128),
			_ => 0,
		})
		.sum()
}

/// Every Daya pallet's invariants, and the money.
fn check_invariants(expected_issuance: Balance) {
	let now = System::block_number();
	Models::do_try_state().expect("the model registry's invariants");
	Compute::do_try_state().expect("the registry's invariants");
	Inference::do_try_state().expect("the job market's invariants");
	Emission::do_try_state().expect("the emission's invariants");
	Poc::do_try_state().expect("proof of compute's invariants");
	Randomness::do_try_state(now).expect("the randomness' invariants");
	if Balances::total_issuance() != expected_issuance {
		for record in System::events() {
			println!("{:?}", record.event);
		}
	}
	assert_eq!(Balances::total_issuance(), expected_issuance, "issuance against the events");
	let total: Balance = frame_system::Account::<Runtime>::iter()
		.map(|(_, info)| info.data.free + info.data.reserved)
		.sum();
	assert_eq!(total, expected_issuance, "balances do not add up to the issuance");
}

/// Moves to the next block with the hooks the executive runs for Daya's pallets; returns the
/// money its events created or destroyed.
fn next_block() -> i128 {
	crate::tests::next_block();
	let next = System::block_number();
	let weight = crate::configs::RuntimeBlockWeights::get().max_block;
	Inference::on_idle(next, weight);
	minted_minus_burned()
}

/// Runs one sequence read from `bytes` on a fresh development chain: at least `min_calls`
/// calls over at least `min_blocks` blocks, checking the invariants after every block.
fn run_sequence(bytes: &[u8], min_calls: u64, min_blocks: u64, stats: &mut Stats) {
	static GENESIS: std::sync::OnceLock<sp_core::storage::Storage> = std::sync::OnceLock::new();
	let genesis = GENESIS.get_or_init(|| crate::tests::preset_storage("development"));
	// Each sequence runs on a copy of the genesis state in ordered maps, without a trie: a trie
	// backend would cost a lookup per read and per step of every iteration, more than the
	// sequence itself (storage roots are never asked for here).
	sp_state_machine::BasicExternalities::new(genesis.clone()).execute_with(|| {
		System::set_block_number(1);
		for index in 0..8 {
			Balances::set_balance(&actor(index), 100_000 * UNIT);
			Balances::set_balance(&consumer(index), 100_000 * UNIT);
		}
		// The endowments' events are in the issuance already.
		System::reset_events();
		let mut issuance = Balances::total_issuance();
		check_invariants(issuance);
		let mut input = Bytes(bytes);
		let (mut calls, mut blocks) = (0u64, 0u64);
		let start_epoch = pallet_daya_emission::CurrentEpoch::<Runtime>::get();
		while calls < min_calls || blocks < min_blocks || !input.is_empty() {
			if calls >= min_calls * 4 && blocks >= min_blocks {
				break;
			}
			// Past the input's end: blocks until there are enough, then jobs.
			// Results weigh double, and every awaited verdict is given at once now and then
			// (passes with probes, executors judging them, accusations, contested probes):
			// their paths need a job to have come far.
			let op = match (input.is_empty(), blocks < min_blocks) {
				(false, _) => match input.below(14) {
					12 => 2,
					// A model update releases every open check: one in four draws of it only.
					9 if input.below(4) != 0 => 13,
					op => op,
				},
				(true, true) => 10,
				(true, false) => 0,
			};
			let who = actor(input.below(8));
			// Mostly an open job in the state the call needs; sometimes any id, a settled or an
			// unknown one.
			let open: Vec<_> = pallet_daya_inference::Jobs::<Runtime>::iter()
				.filter(|(_, job)| match op {
					2 | 3 => matches!(job.status, JobStatus::Assigned),
					4 => pending_validator(job).is_some(),
					_ => true,
				})
				.map(|(id, _)| id)
				.collect();
			let job_id = match input.below(8) {
				0 => u64::from(
					input.below(pallet_daya_inference::NextJobId::<Runtime>::get() as u32 + 2),
				),
				_ if open.is_empty() => 0,
				_ => open[input.below(open.len() as u32) as usize],
			};
			calls += 1;
			match op {
				0 | 1 => {
					// One job, or (one time in four) a batch of one to four.
					let batch = (input.below(4) == 0).then(|| 1 + input.below(4));
					let mut requests = Vec::new();
					for _ in 0..batch.unwrap_or(1) {
						let len = 1 + input.below(60) as usize;
						let prompt: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
						let params = JobParams {
							temperature_milli: if input.below(2) == 0 { 0 } else { 700 },
							..Default::default()
						};
						requests.push(pallet_daya_inference::JobRequest::<Runtime> {
							payload: prompt.try_into().unwrap(),
							max_output_tokens: 1 + input.below(64),
							params,
						});
					}
					let origin = RuntimeOrigin::signed(consumer(input.below(4)));
					if batch.is_some() {
						let result =
							Inference::submit_jobs(origin, 0, UNIT, requests.try_into().unwrap());
						stats.record("submit_jobs", result);
					} else {
						let request = requests.remove(0);
						let result = Inference::submit_job(
							origin,
							0,
							request.payload,
							request.max_output_tokens,
							UNIT,
							request.params,
						);
						stats.record("submit_job", result);
					}
				},
				2 | 3 => {
					// Usually from the job's executor, sometimes from anyone.
					let executor = pallet_daya_inference::Jobs::<Runtime>::get(job_id)
						.and_then(|job| job.executor)
						.filter(|_| input.below(8) != 0)
						.unwrap_or(who);
					let prompt = pallet_daya_inference::Jobs::<Runtime>::get(job_id)
						.map_or(8, |job| job.prompt_tokens);
					let completion = 1 + input.below(70);
					let result = Inference::submit_result(
						RuntimeOrigin::signed(executor),
						job_id,
						crate::tests::job_result(b"an output", prompt.min(8), completion),
					)
					.map(|_| ())
					.map_err(|e| e.error);
					stats.record("submit_result", result);
				},
				4 => {
					let validator = pallet_daya_inference::Jobs::<Runtime>::get(job_id)
						.and_then(|job| pending_validator(&job))
						.filter(|_| input.below(8) != 0)
						.unwrap_or(who);
					let judgement = match input.below(6) {
						0 | 1 => Judgement::Invalid(Fault::Token {
							position: 1,
							margin_micro: 9_000_000,
						}),
						2 => Judgement::Invalid(Fault::Probe { deviation_ppm: 1_000_000 }),
						_ => Judgement::Valid,
					};
					// A pass mostly shows a probe; sometimes none (refused where one is owed).
					let probe = (input.below(8) != 0).then(daya_primitives::Fingerprint::default);
					give_verdict(validator, job_id, judgement, probe, stats);
				},
				5 => {
					let owner = pallet_daya_inference::Jobs::<Runtime>::get(job_id)
						.map(|job| job.consumer)
						.filter(|_| input.below(4) != 0)
						.unwrap_or(consumer(0));
					stats.record(
						"cancel_job",
						Inference::cancel_job(RuntimeOrigin::signed(owner), job_id),
					);
				},
				6 => {
					let result = Compute::register_host(
						RuntimeOrigin::signed(who),
						b"http://127.0.0.1:8090".to_vec().try_into().unwrap(),
						vec![pallet_daya_compute::GpuSpec {
							name: b"L4".to_vec().try_into().unwrap(),
							vram_mib: 24_576,
							count: 1 + input.below(4),
						}]
						.try_into()
						.unwrap(),
						vec![0].try_into().unwrap(),
						(100 + u128::from(input.below(2_000))) * UNIT,
					);
					stats.record("register_host", result);
				},
				7 => {
					let amount = u128::from(1 + input.below(500)) * UNIT;
					stats.record(
						"bond_more",
						Compute::bond_more(RuntimeOrigin::signed(who), amount),
					);
				},
				8 => {
					let result = match input.below(4) {
						0 => Compute::unbond(RuntimeOrigin::signed(who)),
						1 => Compute::withdraw_unbonded(RuntimeOrigin::signed(who)),
						2 => Compute::chill(RuntimeOrigin::signed(who)),
						_ => Compute::unchill(RuntimeOrigin::signed(who)),
					};
					stats.record("host_status", result);
				},
				9 => {
					// Governance ships a new version of the model.
					let mut spec = Models::model(0).expect("the development model").spec;
					spec.version = spec.version.saturating_add(1);
					spec.weights_hash[0] ^= input.byte();
					stats.record(
						"update_model",
						Models::update_model(RuntimeOrigin::root(), 0, Box::new(spec)),
					);
				},
				10 => {
					calls -= 1;
					for _ in 0..=input.below(8) {
						issuance = (issuance as i128 + next_block()) as Balance;
						blocks += 1;
						check_invariants(issuance);
						System::reset_events();
					}
				},
				_ if input.below(4) != 0 => {
					calls -= 1;
					issuance = (issuance as i128 + next_block()) as Balance;
					blocks += 1;
					check_invariants(issuance);
					System::reset_events();
				},
				13 => {
					calls -= 1;
					let mut waiting = pallet_daya_inference::Jobs::<Runtime>::iter()
						.filter_map(|(id, job)| pending_validator(&job).map(|who| (id, who)))
						.collect::<Vec<_>>();
					waiting.sort();
					for (job_id, validator) in waiting {
						let judgement = match input.below(6) {
							0 => Judgement::Invalid(Fault::Token {
								position: 1,
								margin_micro: 9_000_000,
							}),
							1 => Judgement::Invalid(Fault::Probe { deviation_ppm: 1_000_000 }),
							_ => Judgement::Valid,
						};
						let probe =
							(input.below(16) != 0).then(daya_primitives::Fingerprint::default);
						give_verdict(validator, job_id, judgement, probe, stats);
						calls += 1;
					}
				},
				_ => {
					// To the end of the epoch.
					calls -= 1;
					let epoch = pallet_daya_emission::CurrentEpoch::<Runtime>::get();
					while pallet_daya_emission::CurrentEpoch::<Runtime>::get() == epoch {
						issuance = (issuance as i128 + next_block()) as Balance;
						blocks += 1;
						check_invariants(issuance);
						System::reset_events();
					}
				},
			}
			// The call's money; the invariants are checked after every block and at the end.
			issuance = (issuance as i128 + minted_minus_burned()) as Balance;
			System::reset_events();
		}
		check_invariants(issuance);
		stats.sequences += 1;
		stats.blocks += blocks;
		stats.epochs_ended +=
			u64::from(pallet_daya_emission::CurrentEpoch::<Runtime>::get() - start_epoch);
	});
}

/// Names the sequence that broke an invariant, so that it can be replayed.
struct Replay {
	seed: u64,
	index: u64,
}

impl Drop for Replay {
	fn drop(&mut self) {
		if std::thread::panicking() {
			eprintln!("broken by sequence {} of seed {:#x}", self.index, self.seed);
		}
	}
}

/// Bytes for sequence `index` of a campaign seeded with `seed` (xorshift).
fn sequence_bytes(seed: u64, index: u64, len: usize) -> Vec<u8> {
	let mut state = seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
	(0..len)
		.map(|_| {
			state ^= state << 13;
			state ^= state >> 7;
			state ^= state << 17;
			state as u8
		})
		.collect()
}

#[test]
fn a_short_fuzz_campaign_keeps_every_invariant() {
	let mut stats = Stats::default();
	let start = std::time::Instant::now();
	for index in 0..12 {
		let replay = Replay { seed: 0xDA7A, index };
		run_sequence(&sequence_bytes(0xDA7A, index, 400), 40, 10, &mut stats);
		drop(replay);
	}
	stats.print(start.elapsed().as_secs_f64());
	assert!(stats.outcomes.keys().any(|(call, how)| *call == "submit_result" && how == "ok"));
	assert!(stats.outcomes.keys().any(|(call, how)| *call == "submit_jobs" && how == "ok"));
	assert!(stats
		.outcomes
		.keys()
		.any(|(call, how)| *call == "submit_verdict" && how == "ok"));
	assert!(stats.epochs_ended > 0, "no epoch ended");
}

/// The long campaign: `DAYA_FUZZ_SEQUENCES` sequences (default 10,000), `DAYA_FUZZ_SEED`, on
/// as many threads as the machine has cores. A broken invariant panics with the sequence's
/// state; a sequence's input is `sequence_bytes(seed, index, 200)`.
#[test]
#[ignore = "long: run on a release build, see the module's docs"]
fn fuzz_campaign() {
	let count: u64 = std::env::var("DAYA_FUZZ_SEQUENCES")
		.ok()
		.and_then(|v| v.parse().ok())
		.unwrap_or(10_000);
	let seed: u64 = std::env::var("DAYA_FUZZ_SEED")
		.ok()
		.and_then(|v| v.parse().ok())
		.unwrap_or(0xDA7A);
	let workers = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
	let start = std::time::Instant::now();
	let stats = std::sync::Mutex::new(Stats::default());
	std::thread::scope(|scope| {
		for worker in 0..workers {
			let stats = &stats;
			scope.spawn(move || {
				let mut mine = Stats::default();
				for index in (worker..count).step_by(workers as usize) {
					let replay = Replay { seed, index };
					run_sequence(&sequence_bytes(seed, index, 200), 20, 5, &mut mine);
					drop(replay);
					if mine.sequences % 1_000 == 0 || index + workers >= count {
						let mut all = stats.lock().unwrap();
						all.merge(core::mem::take(&mut mine));
						if worker == 0 {
							all.print(start.elapsed().as_secs_f64());
						}
					}
				}
			});
		}
	});
	let stats = stats.into_inner().unwrap();
	stats.print(start.elapsed().as_secs_f64());
	assert_eq!(stats.sequences, count);
}
