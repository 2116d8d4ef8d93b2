//! The runtime at the scale of a large network: 10,000 registered hosts (40 models of 250 hosts,
//! a model taking at most `MaxHostsPerModel`, 256) and 100,000 open jobs, of which a full
//! deadline bucket of disputes whose validators stayed silent and a full draw queue.
//!
//! Block after block, the hooks of every pallet whose work grows with the network run as the
//! executive runs them (randomness, proof of compute, emission, the job market, the job
//! market's draws after the inherents), through an emission epoch's end (its distribution
//! paged over the 10,000 hosts, to its end) and a proof-of-compute window (opened, sampled,
//! concluded, then applied in pages over every host). Each block:
//!
//! - the job market's hook reports at most its share (`MaxHookWeight`, a fifth of the block),
//!   the other hooks together at most a tenth, so that the normal class keeps at least 70% of
//!   the block in the worst block (75% is its most; the mandatory hooks come first); and
//! - the proof the hooks actually record (every storage read, with the trie nodes on the path)
//!   stays within the proof size they report.
//!
//! Printed: each block's reported and recorded weight, and how long applying a proof-of-compute
//! window takes at this scale (its pages cover every registered host, `ConcludePerBlock` a
//! block: hundreds of blocks, far beyond the window period; see `docs/economics.md`).
//! About 15 seconds in a debug build.

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
	let (mut distributed, mut concluded, mut applying) = (false, false, 0u32);
	let mut now = 2;
	while now < 600 && !(distributed && applying >= 5) {
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
			let window = pallet_daya_poc::Window::<Runtime>::get();
			concluded |= window.as_ref().is_some_and(|w| w.concluded);
			if window.is_some_and(|w| w.concluded && !w.applied) {
				applying += 1;
			}
		});
		now += 1;
	}
	assert!(distributed, "the epoch's distribution over {HOSTS} hosts did not finish");
	println!(
		"the worst block's hooks: {:.1} ms, {} KiB; the normal class keeps {}% of the ref time \
		 and {}% of the proof (its most is 75%)",
		worst.ref_time() as f64 / 1e9,
		worst.proof_size() / 1024,
		100 - worst.ref_time() * 100 / weights.max_block.ref_time(),
		100 - worst.proof_size() * 100 / weights.max_block.proof_size(),
	);
	assert!(concluded && applying > 0, "no proof-of-compute window concluded");
	// Applying a window's weights pages over every registered host: at this scale it takes
	// far longer than the window period (the next window waits for it).
	let per_block = u64::from(<Runtime as pallet_daya_poc::Config>::ConcludePerBlock::get());
	println!(
		"applying a proof-of-compute window pages over all {HOSTS} hosts, {per_block} a block: \
		 {} blocks, against a window period of {} blocks",
		HOSTS.div_ceil(per_block),
		<Runtime as pallet_daya_poc::Config>::WindowPeriod::get()
	);
	ext.execute_with(|| {
		// The silent disputes were taken on, and the queue's jobs drawn.
		assert!(Deadlines::<Runtime>::get(bucket_block).len() < 512);
		assert!(Draws::<Runtime>::get().len() < 1024);
		Emission::do_try_state().expect("the emission's invariants hold");
	});
	println!("done in {:.1} s", started.elapsed().as_secs_f64());
}
