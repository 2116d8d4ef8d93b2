//! The job market's draws on the real runtime, with the relay chain's per-block randomness
//! injected through relay state proofs as the parachain inherent stores them: every draw is
//! decided by the randomness of a later relay block than what it is about, which the author of
//! the block that held its subject could not know.

use super::*;
use codec::Encode;
use cumulus_primitives_core::{relay_chain::well_known_keys, PersistedValidationData};
use daya_primitives::{runtime_api::JobStatusView, JobId, JobParams, SeedSource};
use frame_support::traits::{fungible::Mutate, Hooks, PostInherents};
use pallet_daya_inference::{Event as MarketEvent, JobStatus, Jobs};
use polkadot_sdk::cumulus_test_relay_sproof_builder::RelayStateSproofBuilder;
use sp_runtime::Perbill;

/// Builds the next block on relay parent `relay` whose per-block randomness is `vrf`, up to the
/// end of its inherents: the validation data and relay state proof are stored as the parachain
/// inherent stores them, then the hooks run and what runs after the inherents.
fn block(relay: u32, vrf: Option<[u8; 32]>) {
	let next = System::block_number() + 1;
	System::set_block_number(next);
	System::reset_events();
	let mut builder =
		RelayStateSproofBuilder { para_id: ParachainInfo::parachain_id(), ..Default::default() };
	if let Some(vrf) = vrf {
		builder
			.additional_key_values
			.push((well_known_keys::CURRENT_BLOCK_RANDOMNESS.to_vec(), Some(vrf).encode()));
	}
	let (root, proof) = builder.into_state_root_and_proof();
	cumulus_pallet_parachain_system::ValidationData::<Runtime>::put(PersistedValidationData {
		parent_head: Default::default(),
		relay_parent_number: relay,
		relay_parent_storage_root: root,
		max_pov_size: 5 * 1024 * 1024,
	});
	cumulus_pallet_parachain_system::RelayStateProof::<Runtime>::put(proof);
	Randomness::on_initialize(next);
	Inference::on_initialize(next);
	<Runtime as frame_system::Config>::PostInherents::post_inherents();
	Inference::do_try_state().expect("the market's invariants hold");
}

fn market_events() -> Vec<MarketEvent<Runtime>> {
	System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::Inference(event) => Some(event),
			_ => None,
		})
		.collect()
}

/// The development chain with ten more hosts of the dev model, all of reputation 50% (half
/// their results are validated), and a consumer.
fn market() -> sp_io::TestExternalities {
	let mut ext = crate::tests::preset_ext("development");
	ext.execute_with(|| {
		System::set_block_number(1);
		for seed in 1..=10u8 {
			crate::tests::register_l4_host(&AccountId::from([seed; 32]), 0);
		}
		Balances::set_balance(&consumer(), 1_000 * UNIT);
	});
	ext
}

fn consumer() -> AccountId {
	AccountId::from([200; 32])
}

/// Submits `n` jobs in the current block; returns their ids.
fn submit(n: u32) -> Vec<JobId> {
	(0..n)
		.map(|_| {
			let id = pallet_daya_inference::NextJobId::<Runtime>::get();
			Inference::submit_job(
				RuntimeOrigin::signed(consumer()),
				0,
				b"Tell me about Daya".to_vec().try_into().unwrap(),
				16,
				UNIT,
				JobParams::default(),
			)
			.unwrap();
			id
		})
		.collect()
}

/// The executor of each job.
fn executors(jobs: &[JobId]) -> Vec<Option<AccountId>> {
	jobs.iter()
		.map(|id| Jobs::<Runtime>::get(id).and_then(|job| job.executor))
		.collect()
}

/// Submits 16 jobs in a block on relay parent 10 with randomness `known` (which that block's
/// author knows), then builds the next block on relay parent 11 with randomness `next`; returns
/// who executes each job.
fn assignment(known: [u8; 32], next: [u8; 32]) -> Vec<Option<AccountId>> {
	market().execute_with(|| {
		block(10, Some(known));
		let jobs = submit(16);
		assert!(executors(&jobs).iter().all(Option::is_none), "no executor is known yet");
		assert!(jobs.iter().all(|id| {
			Inference::api_job(*id).is_some_and(|view| view.status == JobStatusView::Unassigned)
		}));
		block(11, Some(next));
		let assigned = executors(&jobs);
		assert!(assigned.iter().all(Option::is_some), "every job has its executor");
		assigned
	})
}

#[test]
fn assignment_depends_on_randomness_the_submitting_author_did_not_know() {
	let (a, b, c, d) = ([1; 32], [2; 32], [3; 32], [4; 32]);
	// The randomness the submitting block's author knew does not matter...
	assert_eq!(assignment(a, c), assignment(b, c));
	// ... the next relay block's does.
	assert_ne!(assignment(a, c), assignment(a, d));
	assert_eq!(assignment(a, c), assignment(a, c), "the draw is deterministic");
}

#[test]
fn draws_wait_for_a_later_relay_block() {
	market().execute_with(|| {
		block(10, Some([1; 32]));
		let jobs = submit(4);
		// The next parachain block builds on the same relay parent: its randomness is the one the
		// submitting author knew, so nothing is drawn yet.
		block(10, Some([1; 32]));
		assert!(executors(&jobs).iter().all(Option::is_none));
		block(11, Some([2; 32]));
		assert!(executors(&jobs).iter().all(Option::is_some));
		let seed = Randomness::api_seed().unwrap();
		assert_eq!((seed.relay_block, seed.source), (11, SeedSource::RelayVrf));
	});
}

/// Submits and delivers 16 jobs, then builds the block after the results on relay parent 12
/// with randomness `after`; returns, for each job, whether it was drawn for validation and by
/// whom.
fn validation(after: [u8; 32]) -> Vec<Option<AccountId>> {
	market().execute_with(|| {
		block(10, Some([1; 32]));
		let jobs = submit(16);
		block(11, Some([2; 32]));
		for id in &jobs {
			let job = Jobs::<Runtime>::get(id).unwrap();
			Inference::submit_result(
				RuntimeOrigin::signed(job.executor.unwrap()),
				*id,
				crate::tests::job_result(b"Daya is real", 18, 12),
			)
			.unwrap();
		}
		block(12, Some(after));
		let events = market_events();
		jobs.iter()
			.map(|id| {
				events.iter().find_map(|event| match event {
					MarketEvent::ValidationRequested { job_id, validator, .. } if job_id == id => {
						Some(validator.clone())
					},
					_ => None,
				})
			})
			.collect()
	})
}

#[test]
fn the_block_after_a_result_decides_its_validation_and_validator() {
	let (x, y) = (validation([7; 32]), validation([8; 32]));
	assert_eq!(x, validation([7; 32]), "the draw is deterministic");
	assert_ne!(x, y, "another relay randomness draws other samples or validators");
	// Reputation 50%: about half of the results are validated, under either randomness.
	for drawn in [&x, &y] {
		let sampled = drawn.iter().filter(|v| v.is_some()).count();
		assert!((3..=13).contains(&sampled), "{sampled} of 16 sampled");
	}
	// The samples differ, not only the validators.
	let sampled =
		|drawn: &[Option<AccountId>]| drawn.iter().map(Option::is_some).collect::<Vec<_>>();
	assert_ne!(sampled(&x), sampled(&y));
}

#[test]
fn a_dispute_is_staffed_from_a_later_relay_block() {
	market().execute_with(|| {
		block(10, Some([1; 32]));
		let job = submit(1)[0];
		block(11, Some([2; 32]));
		let executor = Jobs::<Runtime>::get(job).unwrap().executor.unwrap();
		pallet_daya_compute::Hosts::<Runtime>::mutate(&executor, |host| {
			host.as_mut().unwrap().reputation = Perbill::zero()
		});
		Inference::submit_result(
			RuntimeOrigin::signed(executor.clone()),
			job,
			crate::tests::job_result(b"f", 18, 1),
		)
		.unwrap();
		block(12, Some([3; 32]));
		let JobStatus::Validating { verdict } = Jobs::<Runtime>::get(job).unwrap().status else {
			panic!("a host of reputation zero is always validated");
		};
		Inference::submit_verdict(
			RuntimeOrigin::signed(verdict.validator.clone()),
			job,
			daya_primitives::Judgement::Invalid(daya_primitives::Fault::Malformed),
			None,
		)
		.unwrap();
		assert!(matches!(Jobs::<Runtime>::get(job).unwrap().status, JobStatus::Accused { .. }));
		// The accusation's own block, and one more on the same relay parent, draw nothing.
		block(12, Some([3; 32]));
		assert!(matches!(Jobs::<Runtime>::get(job).unwrap().status, JobStatus::Accused { .. }));
		block(13, Some([4; 32]));
		let JobStatus::Disputed { accuser, verdicts, .. } =
			Jobs::<Runtime>::get(job).unwrap().status
		else {
			panic!("the dispute's validators are drawn");
		};
		assert_eq!(accuser, verdict.validator);
		assert_eq!(verdicts.len(), 3);
		assert!(verdicts.iter().all(|v| v.validator != executor && v.validator != accuser));
	});
}

#[test]
fn without_relay_randomness_the_seed_says_so() {
	market().execute_with(|| {
		block(10, None);
		let seed = Randomness::api_seed().expect("a seed");
		assert_eq!((seed.block, seed.relay_block, seed.source), (2, 10, SeedSource::ParentHash));
		block(11, Some([5; 32]));
		assert_eq!(Randomness::api_seed().unwrap().source, SeedSource::RelayVrf);
	});
}

#[test]
fn the_benchmark_relay_state_is_the_builders() {
	let builder = RelayStateSproofBuilder {
		para_id: 1000.into(),
		additional_key_values: vec![(
			well_known_keys::CURRENT_BLOCK_RANDOMNESS.to_vec(),
			Some([7u8; 32]).encode(),
		)],
		..Default::default()
	};
	let (root, proof) = builder.into_state_root_and_proof();
	let state = [root.as_bytes(), &proof.encode()].concat();
	assert!(
		crate::configs::BENCHMARK_RELAY_STATE == state.as_slice(),
		"runtime/src/configs/benchmark_relay_state.bin is out of date; its bytes are now:\n{}",
		daya_protocol::hex::to_hex(&state)
	);
}
