//! Emission on the real runtime: several epochs of the development chain, with the genesis hosts
//! earning exactly what the schedule pays.

use super::*;
use crate::tests::next_block;
use daya_primitives::JobParams;
use frame_support::traits::fungible::Inspect;
use pallet_daya_emission::{Event as EmissionEvent, Pending, TotalEmitted};
use pallet_daya_inference::{JobStatus, Jobs};
use sp_keyring::Sr25519Keyring;
use sp_runtime::Perbill;

/// Alice and Bob prove 1,000 nonces each in every proof-of-compute window: only proven
/// capacity earns from the capacity pot.
fn prove_equal() {
	crate::poc_tests::prove(&[
		(Sr25519Keyring::Alice.to_account_id(), 1_000),
		(Sr25519Keyring::Bob.to_account_id(), 1_000),
	]);
}

/// Runs blocks until the current epoch has ended and been distributed; returns the epoch's
/// `EpochEnded` and `EpochDistributed` events.
fn run_epoch(mut each_block: impl FnMut()) -> (EmissionEvent<Runtime>, EmissionEvent<Runtime>) {
	let (mut ended, mut distributed) = (None, None);
	while distributed.is_none() {
		each_block();
		prove_equal();
		next_block();
		for record in System::events() {
			if let RuntimeEvent::Emission(event) = record.event {
				match event {
					EmissionEvent::EpochEnded { .. } => ended = Some(event),
					EmissionEvent::EpochDistributed { .. } => distributed = Some(event),
					_ => {},
				}
			}
		}
		Emission::do_try_state().expect("the emission's invariants hold");
		Inference::do_try_state().expect("the market's invariants hold");
	}
	(ended.expect("the epoch ended"), distributed.expect("the epoch was distributed"))
}

fn claim(who: &AccountId) {
	if Pending::<Runtime>::contains_key(who) {
		assert!(Emission::claim_rewards(RuntimeOrigin::signed(who.clone()), who.clone()).is_ok());
	}
}

#[test]
fn hosts_earn_exactly_the_scheduled_emission_over_several_epochs() {
	crate::tests::preset_ext("development").execute_with(|| {
		System::set_block_number(1);
		let (alice, bob, charlie) = (
			Sr25519Keyring::Alice.to_account_id(),
			Sr25519Keyring::Bob.to_account_id(),
			Sr25519Keyring::Charlie.to_account_id(),
		);
		let treasury = configs::TreasuryAccount::get();
		assert_eq!(Emission::epoch_length(), genesis_config_presets::TEST_EPOCH_LENGTH);
		let issuance = Balances::total_issuance();

		// Two epochs without jobs: Alice and Bob (equal proven capacity, from the first window
		// on) share the capacity pot, and the work pot, with no work to share, goes to the
		// treasury.
		for epoch in 0..2u32 {
			let before = (Balances::balance(&alice), Balances::balance(&bob));
			let treasury_before = Balances::balance(&treasury);
			let (ended, distributed) = run_epoch(|| {});
			let reward = Emission::api_reward_at(epoch);
			assert_eq!(reward, 3_000 * UNIT);
			let EmissionEvent::EpochEnded { minted, capacity_pot, work_pot, .. } = ended else {
				unreachable!()
			};
			assert_eq!(minted, reward);
			let EmissionEvent::EpochDistributed { credited, dust, hosts, .. } = distributed else {
				unreachable!()
			};
			assert_eq!((hosts, credited, dust), (2, capacity_pot, work_pot));
			claim(&alice);
			claim(&bob);
			// 3,000 DAYA: 300 to the treasury, 1,350 by capacity (675 each), 1,350 by work.
			assert_eq!(Balances::balance(&alice), before.0 + 675 * UNIT);
			assert_eq!(Balances::balance(&bob), before.1 + 675 * UNIT);
			assert_eq!(Balances::balance(&treasury), treasury_before + 300 * UNIT + 1_350 * UNIT);
		}

		// An epoch with jobs: Charlie buys inference, the hosts deliver; the work pot goes by
		// verified work, and the whole reward is accounted for.
		let start = (Balances::balance(&alice), Balances::balance(&bob));
		let treasury_before = Balances::balance(&treasury);
		let mut fees = 0;
		let (ended, _) = run_epoch(|| {
			if System::block_number().is_multiple_of(10) {
				let _ = Inference::submit_job(
					RuntimeOrigin::signed(charlie.clone()),
					0,
					vec![b'p'; 100].try_into().unwrap(),
					100,
					MICRO_UNIT,
					JobParams::default(),
				);
			}
			for (job_id, job) in Jobs::<Runtime>::iter().collect::<Vec<_>>() {
				match &job.status {
					JobStatus::Assigned => {
						let _ = Inference::submit_result(
							RuntimeOrigin::signed(job.executor.clone().unwrap()),
							job_id,
							crate::tests::job_result(b"output", 50, 50),
						);
						// The executor's part of the fee.
						fees += 100 * MICRO_UNIT - Perbill::from_percent(5) * (100 * MICRO_UNIT);
					},
					// The validator's pay, out of the protocol fee.
					_ => fees += crate::tests::honest_check(job_id, &job),
				}
			}
		});
		// Let the last jobs settle, then claim.
		while Jobs::<Runtime>::iter().next().is_some() {
			for (job_id, job) in Jobs::<Runtime>::iter().collect::<Vec<_>>() {
				fees += crate::tests::honest_check(job_id, &job);
			}
			prove_equal();
			next_block();
		}
		let EmissionEvent::EpochEnded { minted, treasury: to_treasury, .. } = ended else {
			unreachable!()
		};
		assert_eq!(minted, 3_000 * UNIT);
		let owed = Emission::api_pending(alice.clone()) + Emission::api_pending(bob.clone());
		claim(&alice);
		claim(&bob);
		let hosts_grew =
			Balances::balance(&alice) + Balances::balance(&bob) - start.0 - start.1 - fees;
		assert_eq!(hosts_grew, owed, "the hosts got their rewards and their fees, nothing else");
		// Emission: hosts' rewards + the treasury's share + dust = the epoch's reward. The
		// treasury also took the protocol fees of the results nobody checked.
		let treasury_grew = Balances::balance(&treasury) - treasury_before;
		let protocol_fees = treasury_grew - (minted - owed);
		assert!(to_treasury <= minted - owed && protocol_fees < 1_000 * MICRO_UNIT);
		assert!(owed > 1_350 * UNIT, "the work pot was shared: {owed}");

		assert_eq!(TotalEmitted::<Runtime>::get(), 9_000 * UNIT);
		assert_eq!(Balances::total_issuance(), issuance + 9_000 * UNIT);
		assert_eq!(Emission::api_emitted(), (9_000 * UNIT, 210_240_000 * UNIT - 9_000 * UNIT));
	});
}
