//! The runtime at the scale of a large network: 10,000 registered hosts (40 models of 250 hosts,
//! a model taking at most `MaxHostsPerModel`, 256) and 100,000 open jobs, of which a full
//! deadline bucket of disputes whose validators stayed silent and a full draw queue.
//!
//! Block after block, the hooks of every pallet whose work grows with the network run as the
//! executive runs them (randomness, proof of compute, emission, the job market, the job
//! market's draws after the inherents), through an emission epoch's end (its distribution
//! paged over the 10,000 hosts, to its end) and a proof-of-compute window in which 500 hosts
//! prove, after a reference window in which 800 did (concluded, then applied in pages of
//! outcomes and of records). Each block:
//!
//! - the job market's hook reports at most its share (`MaxHookWeight`, 50% of the block), the
//!   other hooks together at most a tenth (the normal class's 60% and these add up to 120% in
//!   the worst block: the mandatory hooks come first, normal extrinsics take what is left); and
//! - the proof the hooks actually record (every storage read, with the trie nodes on the path)
//!   stays within the proof size they report.
//!
//! Printed: each block's reported and recorded weight, and how long concluding and applying the
//! proof-of-compute window take at this scale (pages of its participants and of the hosts with
//! a record, `ConcludePerBlock` a block; see `docs/economics.md`).

use super::*;
use daya_primitives::{BlockRandomness, JobParams};
use frame_support::{
	traits::{fungible::Mutate, Hooks, PostInherents},
	weights::Weight,
};
use pallet_daya_inference::{
	Config as MarketConfig, Deadlines, Draws, Job, JobStatus, Jobs, NextJobId, PendingDraw,
	Verdict, WorkOf,
};
use sp_core::H256;

/// Hosts registered in all (`MaxHosts`), the development preset's two included; hosts per model.
const HOSTS: u64 = 10_000;
const PER_MODEL: u64 = 250;
/// The hosts this test registers.
const REGISTERED: u64 = HOSTS - 2;

fn host(index: u64) -> AccountId {
	AccountId::from(H256::from_low_u64_be(index + 1_000).0)
}

/// Registers `REGISTERED` hosts over as many models as they need, `PER_MODEL` each.
fn register_hosts() {
	use pallet_daya_models::{ModelParams, Models as Registry};
	let genesis = Registry::<Runtime>::get(0).expect("the development preset registers model 0");
	let models = HOSTS.div_ceil(PER_MODEL);
	let existing = Registry::<Runtime>::iter_keys().count() as u64;
	for index in existing..models {
		let params = ModelParams::<Runtime> {
			name: format!("scale-model-{index}").into_bytes().try_into().unwrap(),
			price_per_token: genesis.price_per_token,
			spec: genesis.spec.clone(),
		};
		crate::Models::register_model(RuntimeOrigin::root(), Box::new(params))
			.expect("a model registers");
	}
	let mut ids: Vec<u32> = Registry::<Runtime>::iter_keys().collect();
	ids.sort_unstable();
	assert!(ids.len() as u64 >= models, "{} models", ids.len());
	for index in 0..REGISTERED {
		let who = host(index);
		Balances::set_balance(&who, 10_000 * UNIT);
		let model = ids[(index / PER_MODEL) as usize];
		Compute::register_host(
			RuntimeOrigin::signed(who),
			b"http://127.0.0.1:8092".to_vec().try_into().unwrap(),
			vec![pallet_daya_compute::GpuSpec {
				name: b"H100".to_vec().try_into().unwrap(),
				vram_mib: 81_920,
				count: 1,
			}]
			.try_into()
			.unwrap(),
			vec![model].try_into().unwrap(),
			100 * UNIT,
		)
		.unwrap_or_else(|e| panic!("host {index}: {e:?}"));
	}
	assert_eq!(pallet_daya_compute::Hosts::<Runtime>::count() as u64, HOSTS);
}

/// Fills the market: a full bucket of silent disputes due next block, a full draw queue of
/// jobs to assign, and assigned jobs up to `MaxOpenJobs`, spread over the hosts.
fn fill_market(now: BlockNumber) -> BlockNumber {
	let version = crate::Models::model(0).unwrap().spec.version;
	let assigned = Job::<Runtime> {
		consumer: AccountId::from([200; 32]),
		model: 0,
		payload_hash: H256::repeat_byte(1),
		prompt_tokens: 256,
		max_output_tokens: 64,
		params: JobParams::default(),
		price_per_token: 1,
		model_version: version,
		sampling_key: H256::repeat_byte(2),
		submitted_at: now,
		executor: None,
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
	// Model 0's hosts: the two genesis hosts and the first 250 registered here.
	let serving = |index: u64| host(index % PER_MODEL);
	for id in 0..market {
		let job = if id < bucket {
			let verdicts =
				(1..=3).map(|v| Verdict::pending(serving(id * 4 + v))).collect::<Vec<_>>();
			Deadlines::<Runtime>::try_append(deadline, id).unwrap();
			Job {
				executor: Some(serving(id * 4)),
				deadline,
				delivery: Some(delivery),
				delivered_at: Some(now),
				status: JobStatus::Disputed {
					accuser: serving(id * 4 + 2),
					verdicts: verdicts.try_into().unwrap(),
					round: 0,
					since: now,
				},
				..assigned.clone()
			}
		} else if id < bucket + queue {
			Draws::<Runtime>::try_append(PendingDraw { job_id: id, after }).unwrap();
			Job { status: JobStatus::Unassigned { missed_by: None }, ..assigned.clone() }
		} else {
			Job { executor: Some(host(id % REGISTERED)), ..assigned.clone() }
		};
		for role in job.roles() {
			WorkOf::<Runtime>::try_append(&role, id).unwrap();
		}
		Jobs::<Runtime>::insert(id, job);
	}
	NextJobId::<Runtime>::put(market);
	deadline
}

/// The proof-of-compute window this test follows: the first after [`earlier_reference`].
const WINDOW: u32 = 2;
/// Hosts proven in the earlier reference window: `host(0..EARLIER)`.
const EARLIER: u64 = 800;
/// Hosts that prove in [`WINDOW`]: `host(0..PROVERS)`, all of them proven in the earlier
/// reference too (model 0's hosts among them); the others of it are not.
const PROVERS: u64 = 500;

/// A reference window before [`WINDOW`], applied: `EARLIER` hosts proved in it, every other
/// host weighs zero.
fn earlier_reference() {
	use pallet_daya_poc::{LastConcluded, Outcome, Proven, ProvenRecord, Window, WindowInfo};
	for index in 0..EARLIER {
		let record = ProvenRecord { window: 1, outcome: Outcome::Proven { count: 1_000_000 } };
		Proven::<Runtime>::insert(host(index), record);
	}
	LastConcluded::<Runtime>::put(1);
	Window::<Runtime>::put(WindowInfo {
		index: 1,
		kind: pallet_daya_poc::WindowKind::Regular,
		seed: [1; 32],
		opened_at: 1,
		sample_seed: Some([2; 32]),
		concluded: true,
		applied: true,
		proven: EARLIER as u32,
	});
	for who in pallet_daya_compute::Hosts::<Runtime>::iter_keys().collect::<Vec<_>>() {
		<Compute as daya_primitives::HostRegistry<_, _, _>>::refresh_capacity(&who);
	}
}

/// What the executors of [`WINDOW`]'s provers and verifiers would send: the provers' commitments
/// while it is open, then every verifier's valid verdict once its samples are drawn.
fn prove_in_the_window() {
	use pallet_daya_poc::{Commitment, Commitments, Verdict, Verdicts, Window};
	let Some(window) = Window::<Runtime>::get().filter(|w| w.index == WINDOW && !w.concluded)
	else {
		return;
	};
	let provers = (0..PROVERS).map(host);
	match window.sample_seed {
		None if Commitments::<Runtime>::count() == 0 => {
			for prover in provers {
				let commitment = Commitment { window: WINDOW, root: [7; 32], count: 1_000_000 };
				Commitments::<Runtime>::insert(prover, commitment);
			}
		},
		None => {},
		Some(_) => {
			for prover in provers {
				if !Commitments::<Runtime>::contains_key(&prover)
					|| !Verdicts::<Runtime>::get(&prover).is_empty()
				{
					continue;
				}
				for verifier in Poc::verifiers_of(&window, &prover) {
					Verdicts::<Runtime>::mutate(&prover, |verdicts| {
						verdicts.try_push((verifier, Verdict::Valid)).unwrap()
					});
				}
			}
		},
	}
}

/// One block's hooks as the executive runs them, for the pallets whose work grows with the
/// network; returns what they report: the job market's, and the others'.
fn hooks(now: BlockNumber) -> (Weight, Weight) {
	System::set_block_number(now);
	System::reset_events();
	let others = Randomness::on_initialize(now)
		.saturating_add(Compute::on_initialize(now))
		.saturating_add(Poc::on_initialize(now))
		.saturating_add(Emission::on_initialize(now));
	let market = Inference::on_initialize(now);
	<Runtime as frame_system::Config>::PostInherents::post_inherents();
	(market, others)
}

#[test]
fn ten_thousand_hosts_and_a_full_market_keep_every_hook_within_its_weight() {
	use codec::Encode;
	let mut ext = crate::tests::preset_ext("development");
	let started = std::time::Instant::now();
	let bucket_block = ext.execute_with(|| {
		System::set_block_number(1);
		register_hosts();
		let now = System::block_number();
		let bucket_block = fill_market(now);
		// The emission epoch ends in a few blocks: its distribution pages over every host.
		pallet_daya_emission::EpochLengthOverride::<Runtime>::put(4);
		earlier_reference();
		bucket_block
	});
	ext.commit_all().unwrap();
	println!(
		"{HOSTS} hosts and {} open jobs set up in {:.1} s",
		<Runtime as MarketConfig>::MaxOpenJobs::get(),
		started.elapsed().as_secs_f64()
	);

	let weights = crate::configs::RuntimeBlockWeights::get();
	let market_share = <Runtime as MarketConfig>::MaxHookWeight::get();
	let others_share = Perbill::from_percent(10) * weights.max_block;
	let mut worst = Weight::zero();
	println!("block | reported (ms, proof KiB) | recorded proof KiB | emission paging | window");
	let (mut distributed, mut applied) = (false, false);
	// The block the window may conclude from, and the blocks it concluded and was applied in.
	let (mut conclude_from, mut concluded_at, mut applied_at) = (None, None, None);
	let mut now = 2;
	while now < 600 && !(distributed && applied) {
		ext.execute_with(prove_in_the_window);
		let ((market, others), proof) = ext.execute_and_prove(|| hooks(now));
		let weight = market.saturating_add(others);
		worst = worst.max(weight);
		ext.commit_all().unwrap();
		let recorded = proof.encoded_size() as u64;
		let (paging, window) = ext.execute_with(|| {
			let paging = pallet_daya_emission::Distribution::<Runtime>::get().map(|d| d.hosts);
			let window = pallet_daya_poc::Window::<Runtime>::get()
				.map(|w| format!("{} concluded {} applied {}", w.index, w.concluded, w.applied));
			(paging, window)
		});
		if now <= 12 || now % 25 == 0 {
			println!(
				"{now:>5} | {:>9.1} ms {:>6} KiB | {:>18} | {:>15} | {}",
				weight.ref_time() as f64 / 1e9,
				weight.proof_size() / 1024,
				recorded / 1024,
				paging.map_or("-".into(), |hosts| format!("{hosts} hosts")),
				window.unwrap_or_default(),
			);
		}
		assert!(market.all_lte(market_share), "block {now}: the job market reports {market:?}");
		assert!(
			others.all_lte(others_share),
			"block {now}: the other hooks report {others:?}, over {others_share:?}"
		);
		assert!(
			recorded <= weight.proof_size(),
			"block {now}: the hooks recorded {recorded} bytes of proof, more than the {} they \
			 report",
			weight.proof_size()
		);
		ext.execute_with(|| {
			distributed |=
				paging.is_none() && pallet_daya_emission::CurrentEpoch::<Runtime>::get() > 0;
			let Some(window) =
				pallet_daya_poc::Window::<Runtime>::get().filter(|w| w.index == WINDOW)
			else {
				return;
			};
			conclude_from = Some(Poc::conclude_at(&window));
			if window.concluded && concluded_at.is_none() {
				concluded_at = Some(now);
			}
			if window.applied && applied_at.is_none() {
				applied_at = Some(now);
			}
			applied |= window.applied;
		});
		now += 1;
	}
	assert!(distributed, "the epoch's distribution over {HOSTS} hosts did not finish");
	println!(
		"the worst block's hooks: {:.1} ms, {} KiB; the normal class keeps {}% of the ref time \
		 and {}% of the proof (its most is 60%)",
		worst.ref_time() as f64 / 1e9,
		worst.proof_size() / 1024,
		100 - worst.ref_time() * 100 / weights.max_block.ref_time(),
		100 - worst.proof_size() * 100 / weights.max_block.proof_size(),
	);
	assert!(applied, "the proof-of-compute window was not applied");
	// Concluding takes a page of commitments a block; applying, a page of outcomes, then of
	// records: the participants and the hosts with a record, not the registry.
	let per_block = u64::from(<Runtime as pallet_daya_poc::Config>::ConcludePerBlock::get());
	let (concluded_at, applied_at) = (concluded_at.unwrap(), applied_at.unwrap());
	let concluding = concluded_at - conclude_from.unwrap() + 1;
	let applying = u64::from(applied_at - concluded_at);
	println!(
		"a proof-of-compute window with {PROVERS} provers among {HOSTS} hosts, {EARLIER} of them \
		 with a record of the reference before ({per_block} a block): concluded in \
		 {concluding} blocks, applied in {applying} ({PROVERS} outcomes, then {EARLIER} \
		 records; a pass over every host takes {} blocks, as the first reference's does), \
		 against a window period of {} blocks",
		HOSTS.div_ceil(per_block),
		<Runtime as pallet_daya_poc::Config>::WindowPeriod::get()
	);
	// A page of outcomes a block until none is left; a page of records a block until one is
	// not full.
	assert_eq!(applying, PROVERS.div_ceil(per_block) + EARLIER / per_block + 1);
	assert_eq!(u64::from(concluding), PROVERS / per_block + 1);
	ext.execute_with(|| {
		// The silent disputes were taken on, and the queue's jobs drawn.
		let bucket = u64::from(<Runtime as MarketConfig>::MaxDeadlinesPerBlock::get());
		assert!((Deadlines::<Runtime>::get(bucket_block).len() as u64) < bucket);
		// The queue's own jobs (the disputes' new rounds queue draws of theirs, and refill it).
		let queue = u64::from(<Runtime as MarketConfig>::MaxPendingDraws::get());
		let own = Draws::<Runtime>::get()
			.iter()
			.filter(|d| (bucket..bucket + queue).contains(&d.job_id))
			.count();
		assert!(own < queue as usize, "{own} of the queue's jobs still wait for their draw");
		Emission::do_try_state().expect("the emission's invariants hold");
	});
	println!("done in {:.1} s", started.elapsed().as_secs_f64());
}
