//! Unit and property tests of the emission.

use crate::{mock::*, *};
use daya_primitives::{HostRegistry, WorkRecorder};
use polkadot_sdk::{
	frame_support::{assert_noop, assert_ok, traits::Hooks},
	sp_runtime::traits::BadOrigin,
};
use proptest::prelude::*;

fn pending(who: AccountId) -> Balance {
	Pending::<Test>::get(who).unwrap_or(0)
}

fn free(who: AccountId) -> Balance {
	Balances::free_balance(who)
}

fn last_distribution() -> (Balance, Balance, u32) {
	System::events()
		.into_iter()
		.rev()
		.find_map(|record| match record.event {
			RuntimeEvent::Emission(Event::EpochDistributed { credited, dust, hosts, .. }) => {
				Some((credited, dust, hosts))
			},
			_ => None,
		})
		.expect("a distribution")
}

#[test]
fn integrity_test_passes() {
	test_with(&[], <Emission as Hooks<BlockNumber>>::integrity_test);
}

#[test]
fn epochs_mint_exactly_the_schedule_up_to_the_cap() {
	test_with(&[(ALICE, 1_000)], || {
		let mut minted = Vec::new();
		for _ in 0..14 {
			let before = TotalEmitted::<Test>::get();
			finish_epoch();
			minted.push(TotalEmitted::<Test>::get() - before);
			Emission::do_try_state().unwrap();
		}
		assert_eq!(
			minted,
			vec![1_000, 1_000, 1_000, 1_000, 500, 500, 500, 500, 250, 250, 250, 150, 0, 0]
		);
		assert_eq!(TotalEmitted::<Test>::get(), MaxEmission::get());
		assert_eq!(Emission::api_emitted(), (MaxEmission::get(), 0));
		assert_eq!(Emission::api_reward_at(11), 150);
		assert_eq!(Emission::api_reward_at(12), 0);
		assert_eq!(CurrentEpoch::<Test>::get(), 14);
	});
}

#[docify::export]
#[test]
fn an_epoch_splits_into_treasury_capacity_and_work() {
	test_with(&[(ALICE, 1_000), (BOB, 2_000)], || {
		work(ALICE, 100);
		work(BOB, 200);
		let treasury = free(TREASURY);
		finish_epoch();
		// 1,000: 100 to the treasury, 450 by capacity (1:2), 450 by work (1:2).
		assert_eq!(free(TREASURY), treasury + 100);
		assert_eq!(pending(ALICE), 150 + 150);
		assert_eq!(pending(BOB), 300 + 300);
		assert_eq!(last_distribution(), (900, 0, 2));
		System::assert_has_event(
			Event::EpochEnded {
				epoch: 0,
				minted: 1_000,
				treasury: 100,
				capacity_pot: 450,
				work_pot: 450,
			}
			.into(),
		);
		// The epoch's work records are gone.
		assert_eq!(Service::<Test>::iter_prefix(0).count(), 0);
	});
}

#[test]
fn rounding_dust_and_unshared_pots_go_to_the_treasury() {
	test_with(&[(ALICE, 1_000), (BOB, 1_000), (CHARLIE, 1_001)], || {
		let treasury = free(TREASURY);
		finish_epoch();
		// 450 by capacity: 149 + 149 + 150 = 448; no work, so the work pot (450) is unshared.
		assert_eq!((pending(ALICE), pending(BOB), pending(CHARLIE)), (149, 149, 150));
		assert_eq!(last_distribution(), (448, 452, 3));
		assert_eq!(free(TREASURY), treasury + 100 + 452);
		assert_eq!(free(Emission::account_id()), 448);
	});
}

#[test]
fn without_hosts_everything_goes_to_the_treasury() {
	test_with(&[], || {
		let treasury = free(TREASURY);
		finish_epoch();
		assert_eq!(free(TREASURY), treasury + 1_000);
		assert_eq!(last_distribution(), (0, 900, 0));
	});
}

#[test]
fn work_counts_at_most_the_cap_factor_times_the_capacity_share() {
	test_with(&[(ALICE, 1_000), (BOB, 3_000)], || {
		// Alice pays herself for 10,000 units of work; Bob does 1,000 of real work.
		work(ALICE, 10_000);
		work(BOB, 1_000);
		finish_epoch();
		// Alice's capacity share is 1/4: her work counts at most 2 x 1/4 x 11,000 = 5,500, so
		// she gets at most 2 x 1/4 of the work pot. Work pot 450 by each one's share of all
		// 11,000 units, capped; capacity pot 450 by 1 : 3.
		let alice_work = 450 * 5_500 / 11_000;
		let bob_work = 450 * 1_000 / 11_000;
		assert_eq!(alice_work, 2 * 450 / 4);
		assert_eq!(pending(ALICE), 112 + alice_work);
		assert_eq!(pending(BOB), 337 + bob_work);
		// Uncapped she would have had 450 x 10,000 / 11,000 of the work pot; what the cap held
		// back is not shared among the others (it would pay them for her self-dealing) but goes
		// to the treasury.
		assert!(alice_work < 450 * 10_000 / 11_000);
		assert_eq!(last_distribution().0, 112 + 337 + alice_work + bob_work);
	});
}

#[test]
fn jailed_and_chilled_hosts_earn_nothing_and_leave_their_share_to_the_others() {
	test_with(&[(ALICE, 1_000), (BOB, 1_000), (CHARLIE, 1_000)], || {
		work(ALICE, 100);
		work(BOB, 100);
		<Compute as HostRegistry<_, _, _>>::jail(&BOB, 1_000);
		assert_ok!(Compute::chill(RuntimeOrigin::signed(CHARLIE)));
		finish_epoch();
		assert_eq!(pending(BOB), 0);
		assert_eq!(pending(CHARLIE), 0);
		assert_eq!(pending(ALICE), 900);
		assert_eq!(last_distribution(), (900, 0, 1));
	});
}

#[test]
fn capacity_is_paid_for_the_blocks_it_was_held_not_for_a_snapshot_at_the_end() {
	test_with(&[(ALICE, 1_000), (BOB, 1_000), (CHARLIE, 1_000)], || {
		// BOB is chilled for the epoch's first half, CHARLIE for its last blocks only.
		assert_ok!(Compute::chill(RuntimeOrigin::signed(BOB)));
		run_to_block(13);
		assert_ok!(Compute::unchill(RuntimeOrigin::signed(BOB)));
		run_to_block(23);
		assert_ok!(Compute::chill(RuntimeOrigin::signed(CHARLIE)));
		finish_epoch();
		let (alice, bob, charlie) = (pending(ALICE), pending(BOB), pending(CHARLIE));
		// A snapshot at the end would have paid ALICE and BOB 225 each and CHARLIE nothing.
		assert!((45..=56).contains(&(bob * 100 / alice)), "BOB held about half: {bob}/{alice}");
		assert!((85..=95).contains(&(charlie * 100 / alice)), "CHARLIE: {charlie}/{alice}");
		// The next epoch, CHARLIE is chilled throughout and BOB active throughout.
		finish_epoch();
		assert_eq!(pending(CHARLIE), charlie);
		assert_eq!(pending(BOB) - bob, pending(ALICE) - alice);
	});
}

#[test]
fn capacity_is_scaled_by_the_share_of_assigned_jobs_delivered() {
	test_with(&[(ALICE, 1_000), (BOB, 1_000), (CHARLIE, 1_000), (DAVE, 1_000)], || {
		let recorder = |who: AccountId, delivered: u32, missed: u32| {
			for _ in 0..delivered {
				<Emission as WorkRecorder<AccountId>>::record_delivered(&who);
			}
			for _ in 0..missed {
				<Emission as WorkRecorder<AccountId>>::record_missed(&who);
			}
		};
		// ALICE delivers both her jobs, BOB one of two; CHARLIE and DAVE get none, and DAVE
		// fails a confirmation window.
		recorder(ALICE, 2, 0);
		recorder(BOB, 1, 1);
		<Emission as WorkRecorder<AccountId>>::record_unconfirmed(&DAVE);
		assert_eq!(
			Emission::api_service(BOB),
			daya_primitives::runtime_api::ServiceView {
				epoch: 0,
				work: 0,
				delivered: 1,
				missed: 1,
				unconfirmed: false
			}
		);
		assert!(Emission::api_service(DAVE).unconfirmed);
		finish_epoch();
		// 450 by 1,000 : 500 : 1,000 : 0.
		assert_eq!(
			(pending(ALICE), pending(BOB), pending(CHARLIE), pending(DAVE)),
			(180, 90, 180, 0)
		);
		assert_eq!(Service::<Test>::iter_prefix(0).count(), 0, "the records are cleared");
		assert_eq!(Emission::api_service(DAVE).epoch, 1);
		assert!(!Emission::api_service(DAVE).unconfirmed, "a new epoch starts clean");
	});
}

#[test]
fn a_host_that_misses_every_job_earns_nothing_from_the_capacity_pot() {
	test_with(&[(ALICE, 1_000), (BOB, 1_000)], || {
		<Emission as WorkRecorder<AccountId>>::record_missed(&BOB);
		finish_epoch();
		assert_eq!((pending(ALICE), pending(BOB)), (450, 0));
	});
}

#[test]
fn a_distribution_spans_blocks_and_work_meanwhile_counts_for_the_next_epoch() {
	test_with(
		&[(ALICE, 1_000), (BOB, 1_000), (CHARLIE, 1_000), (DAVE, 1_000), (EVE, 1_000)],
		|| {
			run_to_block(26);
			let running = Distribution::<Test>::get().expect("a distribution");
			assert_eq!(running.epoch, 0);
			assert!(matches!(running.phase, Phase::Snapshot { .. }));
			work(ALICE, 50);
			assert_eq!(Service::<Test>::get(1, ALICE).work, 50);
			let mut blocks = 0;
			while Distribution::<Test>::exists() {
				Emission::do_try_state().unwrap();
				run_to_block(System::block_number() + 1);
				blocks += 1;
			}
			// Snapshot, count and pay take three blocks each for five hosts, two per block.
			assert!(blocks >= 7, "{blocks}");
			for host in [ALICE, BOB, CHARLIE, DAVE, EVE] {
				assert_eq!(pending(host), 90);
			}
			assert_eq!(Service::<Test>::get(1, ALICE).work, 50);
			finish_epoch();
			// Alice alone worked in epoch 1, with a fifth of the capacity: at most twice that
			// share of the work pot, the rest to the treasury.
			assert_eq!(pending(ALICE), 90 + 90 + 2 * 450 / 5);
		},
	);
}

#[test]
fn claim_rewards_pays_the_host_whoever_asks() {
	test_with(&[(ALICE, 1_000)], || {
		finish_epoch();
		let owed = pending(ALICE);
		// The capacity pot; without any work the work pot went to the treasury.
		assert_eq!(owed, 450);
		let before = free(ALICE);
		assert_noop!(Emission::claim_rewards(RuntimeOrigin::none(), ALICE), BadOrigin);
		assert_ok!(Emission::claim_rewards(RuntimeOrigin::signed(BOB), ALICE));
		assert_eq!(free(ALICE), before + owed);
		assert_eq!(pending(ALICE), 0);
		System::assert_last_event(Event::RewardsClaimed { who: ALICE, amount: owed }.into());
		assert_noop!(
			Emission::claim_rewards(RuntimeOrigin::signed(ALICE), ALICE),
			Error::<Test>::NothingToClaim
		);
	});
}

#[test]
fn hosts_balances_grow_by_exactly_the_scheduled_amounts() {
	test_with(&[(ALICE, 1_000), (BOB, 1_000)], || {
		let start = free(ALICE) + free(BOB) + free(TREASURY);
		for epoch in 0..14u32 {
			work(ALICE, 10 + u128::from(epoch));
			work(BOB, 7);
			finish_epoch();
			for host in [ALICE, BOB] {
				if pending(host) > 0 {
					assert_ok!(Emission::claim_rewards(RuntimeOrigin::signed(host), host));
				}
			}
			let grown = free(ALICE) + free(BOB) + free(TREASURY) - start;
			assert_eq!(grown, Emission::scheduled_before(epoch + 1), "after epoch {epoch}");
		}
		assert_eq!(free(Emission::account_id()), 0);
	});
}

proptest! {
	#![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

	/// Whatever the capacities, the work and the jailing, every epoch's minted reward ends up
	/// exactly as pending rewards, the treasury's share and dust.
	#[test]
	fn minted_equals_pending_plus_treasury_plus_dust(
		capacities in proptest::collection::vec(1u32..100_000, 0..5),
		epochs in proptest::collection::vec(
			(proptest::collection::vec(0u128..1_000_000, 5), proptest::option::of(0usize..5)),
			1..6,
		),
	) {
		let hosts: Vec<(AccountId, u32)> =
			capacities.iter().enumerate().map(|(i, c)| (i as AccountId + 1, *c)).collect();
		test_with(&hosts, || {
			let treasury = free(TREASURY);
			for (work_units, jailed) in &epochs {
				for (host, units) in hosts.iter().zip(work_units) {
					work(host.0, *units);
				}
				if let Some(index) = jailed {
					if let Some((host, _)) = hosts.get(*index) {
						<Compute as HostRegistry<_, _, _>>::jail(host, 5);
					}
				}
				finish_epoch();
				Emission::do_try_state().unwrap();
			}
			let pending_total: Balance = Pending::<Test>::iter_values().sum();
			assert_eq!(
				pending_total + (free(TREASURY) - treasury),
				TotalEmitted::<Test>::get()
			);
			assert_eq!(free(Emission::account_id()), pending_total);
		});
	}
}
