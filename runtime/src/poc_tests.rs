//! Proof of compute on the real runtime: a host that declares hardware but proves nothing gets
//! no job and earns nothing from either pot, and a host paying itself for work earns at most its
//! proven capacity's capped share of the work pot.

use super::*;
use crate::tests::next_block;
use codec::Encode;
use daya_primitives::{BlockRandomness, HostRegistry, JobParams, WorkRecorder};
use frame_support::traits::fungible::Mutate;
use pallet_daya_emission::{Event as EmissionEvent, Pending};
use pallet_daya_inference::{JobStatus, Jobs};
use pallet_daya_poc::{Commitments, Verdict, Verdicts, Window};
use sp_keyring::Sr25519Keyring;

/// What honest `provers` do in the current block: commit `count` nonces each while the window
/// takes commitments, and judge each other's commitments valid once the samples are drawn.
pub(crate) fn prove(provers: &[(AccountId, u64)]) {
	let Some(window) = Window::<Runtime>::get() else { return };
	let now = System::block_number();
	if window.sample_seed.is_none() && now < Poc::sample_at(&window) {
		for (prover, count) in provers {
			if !Commitments::<Runtime>::contains_key(prover) {
				assert!(Poc::commit(
					RuntimeOrigin::signed(prover.clone()),
					window.index,
					[1; 32],
					*count
				)
				.is_ok());
			}
		}
	}
	if window.sample_seed.is_some() && !window.concluded && now < Poc::conclude_at(&window) {
		for (prover, _) in provers {
			for verifier in Poc::verifiers_of(&window, prover) {
				let honest = provers.iter().any(|(p, _)| *p == verifier);
				let judged = Verdicts::<Runtime>::get(prover).iter().any(|(v, _)| *v == verifier);
				if honest && !judged {
					assert!(Poc::submit_verdict(
						RuntimeOrigin::signed(verifier),
						window.index,
						prover.clone(),
						Verdict::Valid
					)
					.is_ok());
				}
			}
		}
	}
}

/// Runs blocks, with `each_block` before each, until `done`.
fn run_until(mut each_block: impl FnMut(), done: impl Fn() -> bool) {
	for _ in 0..2_000 {
		if done() {
			return;
		}
		each_block();
		next_block();
		Poc::do_try_state().expect("proof of compute's invariants hold");
	}
	panic!("not done in 2,000 blocks");
}

fn first_window_applied() -> bool {
	Window::<Runtime>::get().is_some_and(|w| w.index >= 1 && w.applied)
}

fn register_declaring_eight_h100(who: &AccountId) {
	Balances::set_balance(who, 10_000 * UNIT);
	assert!(Compute::register_host(
		RuntimeOrigin::signed(who.clone()),
		b"http://127.0.0.1:8092".to_vec().try_into().unwrap(),
		vec![pallet_daya_compute::GpuSpec {
			name: b"H100".to_vec().try_into().unwrap(),
			vram_mib: 81_920,
			count: 8,
		}]
		.try_into()
		.unwrap(),
		vec![0].try_into().unwrap(),
		100 * UNIT,
	)
	.is_ok());
}

#[test]
fn a_host_that_declares_hardware_but_proves_nothing_gets_no_job_and_earns_nothing() {
	crate::tests::preset_ext("development").execute_with(|| {
		System::set_block_number(1);
		let (alice, bob, charlie, ferdie) = (
			Sr25519Keyring::Alice.to_account_id(),
			Sr25519Keyring::Bob.to_account_id(),
			Sr25519Keyring::Charlie.to_account_id(),
			Sr25519Keyring::Ferdie.to_account_id(),
		);
		// Charlie declares eight 80 GiB GPUs, the most a declaration counted for, and never
		// computes: before any window his declaration outweighs Alice and Bob together.
		register_declaring_eight_h100(&charlie);
		assert!(
			<Compute as HostRegistry<_, _, _>>::capacity_weight(&charlie)
				> 8 * <Compute as HostRegistry<_, _, _>>::capacity_weight(&alice)
		);
		let provers = [(alice.clone(), 20_000u64), (bob.clone(), 30_000u64)];
		run_until(|| prove(&provers), first_window_applied);
		assert_eq!(<Compute as HostRegistry<_, _, _>>::capacity_weight(&charlie), 0);
		assert_eq!(<Compute as HostRegistry<_, _, _>>::capacity_weight(&alice), 20_000);
		assert_eq!(<Compute as HostRegistry<_, _, _>>::capacity_weight(&bob), 30_000);

		// A full epoch of jobs, the honest hosts proving every window: none goes to Charlie,
		// and he earns nothing from either pot.
		let mut assigned = 0;
		let epoch = pallet_daya_emission::CurrentEpoch::<Runtime>::get();
		run_until(
			|| {
				prove(&provers);
				if System::block_number().is_multiple_of(5) {
					let _ = Inference::submit_job(
						RuntimeOrigin::signed(ferdie.clone()),
						0,
						vec![b'p'; 100].try_into().unwrap(),
						100,
						MICRO_UNIT,
						JobParams::default(),
					);
				}
				for (job_id, job) in Jobs::<Runtime>::iter().collect::<Vec<_>>() {
					if let JobStatus::Assigned = job.status {
						let executor = job.executor.clone().unwrap();
						assert_ne!(
							executor, charlie,
							"a host that proved nothing got job {job_id}"
						);
						assigned += 1;
						let _ = Inference::submit_result(
							RuntimeOrigin::signed(executor),
							job_id,
							crate::tests::job_result(b"output", 50, 50),
						);
					}
					let _ = crate::tests::honest_check(job_id, &job);
				}
			},
			|| {
				System::events().iter().any(|r| {
					matches!(
						r.event,
						RuntimeEvent::Emission(EmissionEvent::EpochDistributed { epoch: e, .. })
							if e == epoch
					)
				})
			},
		);
		assert!(assigned >= 20, "{assigned} jobs assigned");
		assert!(Pending::<Runtime>::get(&charlie).is_none(), "Charlie earned nothing");
		assert!(Pending::<Runtime>::get(&alice).unwrap() > 0);
		assert!(Pending::<Runtime>::get(&bob).unwrap() > 0);
	});
}

/// Runs blocks, with `each_block` before each, until the current epoch is distributed;
/// returns its capacity pot and work pot.
fn run_epoch(mut each_block: impl FnMut()) -> (Balance, Balance) {
	let epoch = pallet_daya_emission::CurrentEpoch::<Runtime>::get();
	let (mut pots, mut distributed) = (None, false);
	for _ in 0..2_000 {
		each_block();
		next_block();
		Poc::do_try_state().expect("proof of compute's invariants hold");
		for record in System::events() {
			match record.event {
				RuntimeEvent::Emission(EmissionEvent::EpochEnded {
					epoch: e,
					capacity_pot,
					work_pot,
					..
				}) if e == epoch => pots = Some((capacity_pot, work_pot)),
				RuntimeEvent::Emission(EmissionEvent::EpochDistributed { epoch: e, .. })
					if e == epoch =>
				{
					distributed = true
				},
				_ => {},
			}
		}
		if distributed {
			return pots.expect("the epoch ended before its distribution");
		}
	}
	panic!("the epoch was not distributed in 2,000 blocks");
}

#[test]
fn a_self_dealer_with_one_percent_of_proven_capacity_earns_at_most_its_capped_share() {
	crate::tests::preset_ext("development").execute_with(|| {
		System::set_block_number(1);
		let (alice, bob) =
			(Sr25519Keyring::Alice.to_account_id(), Sr25519Keyring::Bob.to_account_id());
		// Bob proves 1% of the capacity and pays himself for every job of the epoch: all the
		// work is his, a thousand times Alice's.
		let provers = [(alice.clone(), 99_000u64), (bob.clone(), 1_000u64)];
		run_until(|| prove(&provers), first_window_applied);
		let (capacity_pot, work_pot) = run_epoch(|| {
			prove(&provers);
			<Emission as WorkRecorder<AccountId>>::record_work(&bob, 1_000_000);
			<Emission as WorkRecorder<AccountId>>::record_work(&alice, 1_000);
		});
		let (bob_weight, alice_weight) = (
			<Compute as HostRegistry<_, _, _>>::capacity_weight(&bob) as u128,
			<Compute as HostRegistry<_, _, _>>::capacity_weight(&alice) as u128,
		);
		assert_eq!((bob_weight, alice_weight), (1_000, 99_000));
		let total = bob_weight + alice_weight;
		let factor =
			u128::from(<Runtime as pallet_daya_emission::Config>::CapacityCapFactor::get());
		// At most `factor` x 1% of the work pot, plus his 1% of the capacity pot, however much
		// he paid himself for.
		let most = work_pot * factor * bob_weight / total + capacity_pot * bob_weight / total;
		let earned = Pending::<Runtime>::get(&bob).unwrap();
		assert!(earned <= most, "Bob earned {earned}, over his capped share {most}");
		assert!(earned * 20 < work_pot, "a small fraction of the work pot: {earned} of {work_pot}");
	});
}

#[test]
fn a_host_that_joins_later_gets_jobs_once_proven() {
	crate::tests::preset_ext("development").execute_with(|| {
		System::set_block_number(1);
		let (alice, bob, charlie, ferdie) = (
			Sr25519Keyring::Alice.to_account_id(),
			Sr25519Keyring::Bob.to_account_id(),
			Sr25519Keyring::Charlie.to_account_id(),
			Sr25519Keyring::Ferdie.to_account_id(),
		);
		let first = [(alice.clone(), 1_000u64), (bob.clone(), 1_000)];
		run_until(|| prove(&first), first_window_applied);
		// Charlie registers while window 2 computes, and misses it.
		run_until(|| prove(&first), || Window::<Runtime>::get().is_some_and(|w| w.index == 2));
		register_declaring_eight_h100(&charlie);
		assert_eq!(<Compute as HostRegistry<_, _, _>>::capacity_weight(&charlie), 0);
		run_until(
			|| prove(&first),
			|| Window::<Runtime>::get().is_some_and(|w| w.index == 2 && w.applied),
		);
		let provers = [(alice.clone(), 1_000u64), (bob.clone(), 1_000), (charlie.clone(), 8_000)];
		run_until(
			|| prove(&provers),
			|| Window::<Runtime>::get().is_some_and(|w| w.index >= 3 && w.applied),
		);
		assert_eq!(<Compute as HostRegistry<_, _, _>>::capacity_weight(&charlie), 8_000);
		let mut to_charlie = 0;
		for _ in 0..20 {
			assert!(Inference::submit_job(
				RuntimeOrigin::signed(ferdie.clone()),
				0,
				vec![b'p'; 100].try_into().unwrap(),
				100,
				MICRO_UNIT,
				JobParams::default(),
			)
			.is_ok());
			prove(&provers);
			next_block();
			for (_, job) in Jobs::<Runtime>::iter() {
				if job.executor == Some(charlie.clone()) {
					to_charlie += 1;
				}
			}
			for (job_id, job) in Jobs::<Runtime>::iter().collect::<Vec<_>>() {
				if let JobStatus::Assigned = job.status {
					let _ = Inference::submit_result(
						RuntimeOrigin::signed(job.executor.clone().unwrap()),
						job_id,
						crate::tests::job_result(b"output", 50, 50),
					);
				}
			}
		}
		assert!(to_charlie > 0, "Charlie, with 80% of the proven capacity, got no job");
	});
}

#[test]
fn a_host_that_proves_only_in_regular_windows_earns_nothing_from_the_capacity_pot() {
	// The local preset keeps the runtime's unannounced confirmation windows (the development
	// preset, whose executors share one machine, runs regular windows only).
	crate::tests::preset_ext(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
		System::set_block_number(1);
		let (alice, bob, charlie) = (
			Sr25519Keyring::Alice.to_account_id(),
			Sr25519Keyring::Bob.to_account_id(),
			Sr25519Keyring::Charlie.to_account_id(),
		);
		assert_eq!(Poc::confirm_odds(), <Runtime as pallet_daya_poc::Config>::ConfirmOdds::get());
		register_declaring_eight_h100(&charlie);
		// Charlie rents hardware for the regular windows, which come at known blocks; Alice and
		// Bob keep theirs on.
		let honest = [(alice.clone(), 1_000u64), (bob.clone(), 1_000)];
		let everyone = [(alice.clone(), 1_000u64), (bob.clone(), 1_000), (charlie.clone(), 1_000)];
		let mut confirmations = 0;
		let mut prove_as_they_do = || {
			let window = Window::<Runtime>::get();
			match window.map(|w| w.kind) {
				Some(pallet_daya_poc::WindowKind::Confirmation) => prove(&honest),
				_ => prove(&everyone),
			}
			if System::events().iter().any(|r| {
				matches!(
					r.event,
					RuntimeEvent::Poc(pallet_daya_poc::Event::WindowOpened {
						kind: pallet_daya_poc::WindowKind::Confirmation,
						..
					})
				)
			}) {
				confirmations += 1;
			}
		};
		run_until(&mut prove_as_they_do, first_window_applied);
		// Whole epochs from here on: the first may have started before anything was proven.
		run_epoch(&mut prove_as_they_do);
		let before = Pending::<Runtime>::get(&charlie).unwrap_or_default();
		let alice_before = Pending::<Runtime>::get(&alice).unwrap_or_default();
		run_epoch(&mut prove_as_they_do);
		assert!(confirmations > 0, "the epochs held no confirmation window");
		let service = Emission::api_service(charlie.clone());
		assert_eq!(Pending::<Runtime>::get(&charlie).unwrap_or_default(), before, "{service:?}");
		assert!(Pending::<Runtime>::get(&alice).unwrap() > alice_before);
		println!("{confirmations} confirmation windows; Charlie earned nothing");
	});
}

#[test]
fn nonces_computed_before_a_windows_seed_existed_are_worthless() {
	crate::tests::preset_ext("development").execute_with(|| {
		System::set_block_number(1);
		let alice = Sr25519Keyring::Alice.to_account_id();
		let commit = |window| Poc::commit(RuntimeOrigin::signed(alice.clone()), window, [7; 32], 5);
		// Before the first window there is nothing to commit to.
		assert_eq!(commit(1), Err(pallet_daya_poc::Error::<Runtime>::NoWindow.into()));
		let last_seed = core::cell::Cell::new(None);
		run_until(|| last_seed.set(Randomness::seed()), || Window::<Runtime>::get().is_some());
		let window = Window::<Runtime>::get().unwrap();
		// A block's hooks run before its inherents, so the window's seed is drawn from the
		// randomness the previous block received (its relay parent's), which did not exist a
		// block earlier still: every host key, pool and leaf derives from it.
		let seed = last_seed.get().expect("the previous block's seed");
		assert_eq!(seed.block + 1, window.opened_at);
		assert_ne!(Randomness::seed().unwrap().seed, seed.seed, "every block has a fresh seed");
		assert_eq!(window.seed, seed.draw(&(b"daya/poc/window", window.index).encode()));
		// Work for a later window cannot be committed ahead of its seed.
		assert_eq!(
			commit(window.index + 1),
			Err(pallet_daya_poc::Error::<Runtime>::WrongWindow.into())
		);
		assert!(commit(window.index).is_ok());
	});
}
