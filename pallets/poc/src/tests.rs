//! Proof of compute's tests: a window's life, what each outcome does to a host, every refusal,
//! and the attacks: fabricating, lying verifiers, silence, committing before the seed exists,
//! capacity beyond the bond.

use crate::{
	mock::*, Commitments, Error, Event, LastConcluded, Outcome, Proven, Verdict, Verdicts, Window,
	WindowKind,
};
use daya_primitives::HostRegistry;
use polkadot_sdk::frame_support::{assert_noop, assert_ok};

const ROOT: [u8; 32] = [0xab; 32];

/// Runs to the next window's opening and returns its index.
fn open_window() -> u32 {
	let index = Window::<Test>::get().map_or(1, |w| w.index + 1);
	while Window::<Test>::get().is_none_or(|w| w.index < index) {
		run_to_block(System::block_number() + 1);
	}
	index
}

fn window_info() -> crate::WindowInfo<BlockNumber> {
	Window::<Test>::get().expect("a window")
}

fn commit(who: AccountId, count: u64) {
	assert_ok!(Poc::commit(RuntimeOrigin::signed(who), window_info().index, ROOT, count));
}

/// Runs to the block of the sampling.
fn to_sampling() {
	run_to_block(Poc::sample_at(&window_info()));
	assert!(window_info().sample_seed.is_some());
}

/// Runs until the window is concluded and its weights applied.
fn to_conclusion() {
	while !window_info().applied {
		run_to_block(System::block_number() + 1);
	}
}

fn verifiers(prover: AccountId) -> Vec<AccountId> {
	Poc::verifiers_of(&window_info(), &prover)
}

/// Every verifier of `prover` sends `verdict`.
fn judge_all(prover: AccountId, verdict: Verdict) {
	let index = window_info().index;
	for verifier in verifiers(prover) {
		assert_ok!(Poc::submit_verdict(RuntimeOrigin::signed(verifier), index, prover, verdict));
	}
}

/// A window in which every host commits `count` and is judged `verdict` by all its verifiers.
fn window_with(hosts: &[AccountId], count: u64, verdict: Verdict) {
	open_window();
	for host in hosts {
		commit(*host, count);
	}
	to_sampling();
	for host in hosts {
		judge_all(*host, verdict);
	}
	to_conclusion();
}

#[test]
fn an_honest_window_proves_every_count_and_nobody_is_proven_before() {
	test_with(&[ALICE, BOB, CHARLIE], || {
		assert_eq!(Poc::proven_weight(&ALICE), None, "nothing is proven before a window");
		window_with(&[ALICE, BOB, CHARLIE], 600, Verdict::Valid);
		for host in [ALICE, BOB, CHARLIE] {
			assert_eq!(Poc::proven_weight(&host), Some(600));
			assert_eq!(Proven::<Test>::get(host).unwrap().outcome, Outcome::Proven { count: 600 });
			assert_eq!(verifiers(host).len(), 2);
			assert!(!verifiers(host).contains(&host), "nobody verifies itself");
		}
		assert_eq!(LastConcluded::<Test>::get(), 1);
		assert_eq!(Commitments::<Test>::count(), 0);
		assert_eq!(Verdicts::<Test>::iter().count(), 0);
	});
}

#[test]
fn a_host_that_declares_hardware_but_computes_nothing_weighs_zero() {
	test_with(&[ALICE, BOB, CHARLIE], || {
		// DAVE registers too, with the same hardware, and never commits.
		register_host(DAVE, MinHostBond::get()).unwrap();
		window_with(&[ALICE, BOB, CHARLIE], 600, Verdict::Valid);
		assert_eq!(Poc::proven_weight(&DAVE), Some(0));
		assert_eq!(Poc::proven_weight(&ALICE), Some(600));
		// A proven weight lasts one window: the next one that ALICE skips zeroes it.
		window_with(&[BOB, CHARLIE], 600, Verdict::Valid);
		assert_eq!(Poc::proven_weight(&ALICE), Some(0));
		assert_eq!(Poc::proven_weight(&BOB), Some(600));
	});
}

#[test]
fn weight_counts_only_up_to_what_the_bond_covers() {
	test_with(&[ALICE, BOB, CHARLIE], || {
		// A bond of 1,000 at 1 per weight unit covers 1,000.
		window_with(&[ALICE, BOB, CHARLIE], 5_000, Verdict::Valid);
		assert_eq!(Poc::proven_weight(&ALICE), Some(1_000));
		// Bonding more raises it at once; a slash lowers it at once.
		assert_ok!(Compute::bond_more(RuntimeOrigin::signed(ALICE), 1_500));
		assert_eq!(Poc::proven_weight(&ALICE), Some(2_500));
		<Compute as HostRegistry<_, _, _>>::slash(&ALICE, sp_percent(60), None);
		assert_eq!(Poc::proven_weight(&ALICE), Some(1_000));
	});
}

fn sp_percent(p: u32) -> polkadot_sdk::sp_runtime::Perbill {
	polkadot_sdk::sp_runtime::Perbill::from_percent(p)
}

#[test]
fn a_fabricating_prover_is_slashed_jailed_and_weighs_zero() {
	test_with(&[ALICE, BOB, CHARLIE], || {
		open_window();
		commit(ALICE, 600);
		commit(BOB, 600);
		to_sampling();
		judge_all(ALICE, Verdict::Invalid { nonce: 17 });
		judge_all(BOB, Verdict::Valid);
		let bond = <Compute as HostRegistry<_, _, _>>::bond(&ALICE);
		to_conclusion();
		assert_eq!(Proven::<Test>::get(ALICE).unwrap().outcome, Outcome::Convicted);
		assert_eq!(Poc::proven_weight(&ALICE), Some(0));
		assert_eq!(<Compute as HostRegistry<_, _, _>>::bond(&ALICE), bond - bond / 5);
		assert!(!Compute::is_active(&ALICE), "jailed");
		System::assert_has_event(
			Event::FraudSlashed { host: ALICE, window: 1, amount: bond / 5 }.into(),
		);
		assert_eq!(Poc::proven_weight(&BOB), Some(600));
	});
}

#[test]
fn one_lying_verifier_cannot_convict_an_honest_host() {
	test_with(&[ALICE, BOB, CHARLIE], || {
		open_window();
		commit(ALICE, 600);
		to_sampling();
		let [liar, honest] = verifiers(ALICE)[..] else { panic!("two verifiers") };
		let index = window_info().index;
		assert_ok!(Poc::submit_verdict(
			RuntimeOrigin::signed(liar),
			index,
			ALICE,
			Verdict::Invalid { nonce: 3 }
		));
		assert_ok!(Poc::submit_verdict(
			RuntimeOrigin::signed(honest),
			index,
			ALICE,
			Verdict::Valid
		));
		let bond = <Compute as HostRegistry<_, _, _>>::bond(&ALICE);
		to_conclusion();
		// A tie proves nothing either way: no slash, no weight for this window.
		assert_eq!(concluded_as(ALICE), Outcome::Unproven);
		assert_eq!(<Compute as HostRegistry<_, _, _>>::bond(&ALICE), bond);
		assert!(Compute::is_active(&ALICE));
	});
}

#[test]
fn silence_never_convicts_nor_proves_and_silent_verifiers_lose_reputation() {
	test_with(&[ALICE, BOB, CHARLIE], || {
		open_window();
		commit(ALICE, 600);
		to_sampling();
		let silent = verifiers(ALICE);
		let before: Vec<_> = silent.iter().map(|v| Compute::reputation(v).unwrap()).collect();
		let bond = <Compute as HostRegistry<_, _, _>>::bond(&ALICE);
		to_conclusion();
		assert_eq!(concluded_as(ALICE), Outcome::Unproven);
		assert_eq!(<Compute as HostRegistry<_, _, _>>::bond(&ALICE), bond);
		for (verifier, before) in silent.iter().zip(before) {
			assert!(Compute::reputation(verifier).unwrap() < before);
			System::assert_has_event(
				Event::VerifierSilent { prover: ALICE, verifier: *verifier }.into(),
			);
		}
	});
}

#[test]
fn a_prover_that_serves_no_proofs_proves_nothing() {
	test_with(&[ALICE, BOB, CHARLIE], || {
		open_window();
		commit(ALICE, 600);
		commit(BOB, 600);
		to_sampling();
		judge_all(ALICE, Verdict::Missing { nonce: 4 });
		judge_all(BOB, Verdict::Valid);
		to_conclusion();
		assert_eq!(Poc::proven_weight(&ALICE), Some(0));
		assert_eq!(Proven::<Test>::get(ALICE).unwrap().outcome, Outcome::Unproven);
		assert!(Compute::is_active(&ALICE), "missing proofs are not fraud");
	});
}

fn concluded_as(host: AccountId) -> Outcome {
	System::events()
		.into_iter()
		.rev()
		.find_map(|record| match record.event {
			RuntimeEvent::Poc(Event::Concluded { host: h, outcome, .. }) if h == host => {
				Some(outcome)
			},
			_ => None,
		})
		.expect("a conclusion")
}

#[test]
fn with_two_hosts_each_is_the_others_only_verifier() {
	test_with(&[ALICE, BOB], || {
		open_window();
		commit(ALICE, 600);
		commit(BOB, 300);
		to_sampling();
		assert_eq!(verifiers(ALICE), vec![BOB]);
		assert_eq!(verifiers(BOB), vec![ALICE]);
		judge_all(ALICE, Verdict::Valid);
		judge_all(BOB, Verdict::Valid);
		to_conclusion();
		assert_eq!(Poc::proven_weight(&ALICE), Some(600));
		assert_eq!(Poc::proven_weight(&BOB), Some(300));
	});
}

#[test]
fn nothing_committed_before_a_windows_seed_exists_counts() {
	test_with(&[ALICE, BOB], || {
		// No window yet: a commitment made in advance has nowhere to go.
		assert_noop!(
			Poc::commit(RuntimeOrigin::signed(ALICE), 1, ROOT, 10),
			Error::<Test>::NoWindow
		);
		let first = open_window();
		// Nor can one be made for the next window, whose seed is not drawn yet.
		assert_noop!(
			Poc::commit(RuntimeOrigin::signed(ALICE), first + 1, ROOT, 10),
			Error::<Test>::WrongWindow
		);
		let seed = window_info().seed;
		to_sampling();
		to_conclusion();
		open_window();
		assert_ne!(window_info().seed, seed, "every window has a fresh seed");
		assert_noop!(
			Poc::commit(RuntimeOrigin::signed(ALICE), first, ROOT, 10),
			Error::<Test>::WrongWindow
		);
	});
}

#[test]
fn commitments_are_refused_by_name() {
	test_with(&[ALICE, BOB], || {
		let index = open_window();
		assert_noop!(
			Poc::commit(RuntimeOrigin::signed(EVE), index, ROOT, 10),
			Error::<Test>::NotHost
		);
		assert_noop!(
			Poc::commit(RuntimeOrigin::signed(ALICE), index, ROOT, 0),
			Error::<Test>::EmptyCommitment
		);
		commit(ALICE, 10);
		assert_noop!(
			Poc::commit(RuntimeOrigin::signed(ALICE), index, ROOT, 20),
			Error::<Test>::AlreadyCommitted
		);
		// The commit deadline is the sampling's block.
		run_to_block(Poc::sample_at(&window_info()) - 1);
		commit(BOB, 10);
		run_to_block(Poc::sample_at(&window_info()));
		assert_noop!(
			Poc::commit(RuntimeOrigin::signed(CHARLIE), index, ROOT, 10),
			Error::<Test>::CommitClosed
		);
	});
}

#[test]
fn verdicts_are_refused_by_name() {
	test_with(&[ALICE, BOB, CHARLIE], || {
		let index = open_window();
		commit(ALICE, 600);
		let verdict = |who: AccountId, prover: AccountId| {
			Poc::submit_verdict(RuntimeOrigin::signed(who), index, prover, Verdict::Valid)
		};
		assert_noop!(verdict(BOB, ALICE), Error::<Test>::NotVerifying);
		to_sampling();
		let verifier = verifiers(ALICE)[0];
		assert_noop!(verdict(ALICE, ALICE), Error::<Test>::NotVerifier);
		assert_noop!(verdict(EVE, ALICE), Error::<Test>::NotVerifier);
		assert_noop!(verdict(verifier, BOB), Error::<Test>::NoCommitment);
		assert_noop!(
			Poc::submit_verdict(RuntimeOrigin::signed(verifier), index + 1, ALICE, Verdict::Valid),
			Error::<Test>::WrongWindow
		);
		assert_ok!(verdict(verifier, ALICE));
		assert_noop!(verdict(verifier, ALICE), Error::<Test>::AlreadyJudged);
		run_to_block(Poc::conclude_at(&window_info()));
		let other = verifiers(ALICE)[1];
		assert_noop!(verdict(other, ALICE), Error::<Test>::NotVerifying);
	});
}

#[test]
fn conclusions_are_paged_and_the_next_window_waits_for_them() {
	test_with(&[ALICE, BOB, CHARLIE, DAVE, EVE], || {
		let hosts = [ALICE, BOB, CHARLIE, DAVE, EVE];
		open_window();
		for host in hosts {
			commit(host, 100);
		}
		to_sampling();
		for host in hosts {
			judge_all(host, Verdict::Valid);
		}
		run_to_block(Poc::conclude_at(&window_info()));
		// Two per block: five commitments take three blocks.
		assert_eq!(Commitments::<Test>::count(), 3);
		assert!(!window_info().concluded);
		run_to_block(System::block_number() + 1);
		assert_eq!(Commitments::<Test>::count(), 1);
		run_to_block(System::block_number() + 1);
		assert!(window_info().concluded);
		// Then the weights, two hosts per block: three blocks for five, and the next window
		// waits for them.
		assert!(!window_info().applied);
		run_to_block(System::block_number() + 3);
		assert!(window_info().applied);
		for host in hosts {
			assert_eq!(Poc::proven_weight(&host), Some(100));
			assert_eq!(Compute::capacity_weight(&host), 100);
		}
	});
}

/// Runs a window in which `hosts` commit `count` and are judged valid, and returns how many
/// blocks applying its weights took, from the block after its conclusion.
fn blocks_to_apply(hosts: &[AccountId], count: u64) -> u32 {
	open_window();
	for host in hosts {
		commit(*host, count);
	}
	to_sampling();
	for host in hosts {
		judge_all(*host, Verdict::Valid);
	}
	while !window_info().concluded {
		run_to_block(System::block_number() + 1);
	}
	let mut blocks = 0;
	while !window_info().applied {
		run_to_block(System::block_number() + 1);
		blocks += 1;
	}
	blocks
}

#[test]
fn after_the_first_reference_applying_follows_the_participants_not_the_registry() {
	test_with(&[ALICE, BOB], || {
		// Eighteen more hosts that never compute: twenty in the registry, two a block.
		for who in 1_000..1_018 {
			<Balances as polkadot_sdk::frame_support::traits::fungible::Mutate<_>>::mint_into(
				&who,
				MinHostBond::get() * 2,
			)
			.unwrap();
			register_host(who, MinHostBond::get()).unwrap();
		}
		// The first reference turns every host's weight from declared to proven: a page of
		// the registry a block (ten full pages, then an empty one).
		assert_eq!(blocks_to_apply(&[ALICE, BOB], 600), 11);
		assert_eq!(Compute::capacity_weight(&1_000), 0);
		assert_eq!(Compute::capacity_weight(&ALICE), 600);
		// Then only what changes: the two outcomes (a block), the two records (a full page,
		// then an empty one).
		assert_eq!(blocks_to_apply(&[ALICE, BOB], 700), 3);
		assert_eq!(Compute::capacity_weight(&ALICE), 700);
		assert_eq!(Compute::capacity_weight(&BOB), 700);
		// Bob stops: his record of the last reference is removed, his weight is zero.
		assert_eq!(blocks_to_apply(&[ALICE], 800), 3);
		assert_eq!(Compute::capacity_weight(&ALICE), 800);
		assert_eq!(Compute::capacity_weight(&BOB), 0);
		assert_eq!(Proven::<Test>::get(BOB), None);
		assert!((1_000..1_018).all(|who| Compute::capacity_weight(&who) == 0));
		assert_eq!(crate::ApplyStage::<Test>::get(), None);
	});
}

#[test]
fn the_registry_selects_and_pays_by_proven_weight_once_a_window_concluded() {
	test_with(&[ALICE, BOB, CHARLIE], || {
		register_host(DAVE, MinHostBond::get()).unwrap();
		// Before any window: the declared hardware's provisional weight.
		assert_eq!(Compute::capacity_weight(&DAVE), 81_920);
		window_with(&[ALICE, BOB, CHARLIE], 600, Verdict::Valid);
		assert_eq!(Compute::capacity_weight(&ALICE), 600);
		assert_eq!(Compute::capacity_weight(&DAVE), 0, "declared hardware alone weighs nothing");
		for i in 0..200u32 {
			let seed = polkadot_sdk::sp_io::hashing::blake2_256(&i.to_le_bytes());
			let picked = Compute::select_host(0, daya_primitives::Duty::Greedy, &[], seed, 0);
			assert_ne!(picked, Some(DAVE), "a host that proved nothing is never assigned a job");
		}
		// The emission's page reads the same weights.
		let page = Compute::hosts_page(None, 10);
		assert!(page.contains(&(DAVE, 0)));
		assert!(page.contains(&(ALICE, 600)));
		// A host weighing zero still verifies others, and so can prove itself next window.
		window_with(&[ALICE, BOB, CHARLIE, DAVE], 700, Verdict::Valid);
		assert_eq!(Compute::capacity_weight(&DAVE), 700);
		// A slash lowers the weight at once to what the bond still covers.
		<Compute as HostRegistry<_, _, _>>::slash(&DAVE, sp_percent(50), None);
		assert_eq!(Compute::capacity_weight(&DAVE), 500);
	});
}

#[test]
fn a_window_that_proves_nothing_changes_no_weight() {
	test_with(&[ALICE, BOB, CHARLIE], || {
		// No window has proved anything yet: declared weights.
		window_with(&[ALICE, BOB], 600, Verdict::Missing { nonce: 0 });
		assert_eq!(Poc::proven_weight(&ALICE), None);
		assert_eq!(Compute::capacity_weight(&ALICE), 81_920);
		window_with(&[ALICE, BOB], 600, Verdict::Valid);
		assert_eq!(Compute::capacity_weight(&ALICE), 600);
		assert_eq!(Compute::capacity_weight(&CHARLIE), 0);
		// Every executor down for a window (nobody commits): the weights stay; the market
		// does not halt.
		window_with(&[], 0, Verdict::Valid);
		assert_eq!(Compute::capacity_weight(&ALICE), 600);
		assert_eq!(Compute::capacity_weight(&BOB), 600);
		assert_eq!(LastConcluded::<Test>::get(), 2);
		// A conviction in a window that proved nothing else still stands.
		open_window();
		commit(ALICE, 600);
		to_sampling();
		judge_all(ALICE, Verdict::Invalid { nonce: 1 });
		to_conclusion();
		assert!(!Compute::is_active(&ALICE), "jailed");
		assert_eq!(Compute::capacity_weight(&BOB), 600);
	});
}

#[test]
fn a_host_registered_after_the_reference_window_is_selected_once_proven() {
	test_with(&[ALICE, BOB], || {
		window_with(&[ALICE, BOB], 600, Verdict::Valid);
		register_host(CHARLIE, MinHostBond::get()).unwrap();
		assert_eq!(Compute::capacity_weight(&CHARLIE), 0, "nothing proven yet");
		window_with(&[ALICE, BOB, CHARLIE], 600, Verdict::Valid);
		assert_eq!(Compute::capacity_weight(&CHARLIE), 600);
		let picks = (0..300u32)
			.filter(|i| {
				let seed = polkadot_sdk::sp_io::hashing::blake2_256(&i.to_le_bytes());
				Compute::select_host(0, daya_primitives::Duty::Greedy, &[], seed, 0)
					== Some(CHARLIE)
			})
			.count();
		assert!((60..140).contains(&picks), "a third of 300 picks: {picks}");
	});
}

/// Runs to the opening of the next window, whichever its kind, and returns it.
fn next_window() -> crate::WindowInfo<BlockNumber> {
	open_window();
	window_info()
}

#[test]
fn no_confirmation_window_opens_before_a_reference_exists_nor_twice_between_regular_ones() {
	test_with(&[ALICE, BOB, CHARLIE], || {
		ConfirmOdds::set(&1);
		// The first window is regular, and proves nothing: no reference, so no confirmation.
		let first = next_window();
		assert_eq!(first.kind, WindowKind::Regular);
		to_conclusion();
		let second = next_window();
		assert_eq!(second.kind, WindowKind::Regular, "nothing to confirm yet");
		assert_eq!(second.opened_at, first.opened_at + WindowPeriod::get());
		// This one proves: the first idle block after it opens a confirmation window...
		for host in [ALICE, BOB, CHARLIE] {
			commit(host, 600);
		}
		to_sampling();
		for host in [ALICE, BOB, CHARLIE] {
			judge_all(host, Verdict::Valid);
		}
		to_conclusion();
		let applied_at = System::block_number();
		let confirmation = next_window();
		assert_eq!(confirmation.kind, WindowKind::Confirmation);
		assert_eq!(confirmation.opened_at, applied_at + 1);
		assert!(System::events().iter().any(|r| r.event
			== RuntimeEvent::Poc(Event::WindowOpened {
				window: confirmation.index,
				kind: WindowKind::Confirmation,
				seed: confirmation.seed,
			})));
		// ...which never becomes the reference, and after which the next is regular again.
		to_conclusion();
		assert_eq!(LastConcluded::<Test>::get(), second.index);
		let third = next_window();
		assert_eq!(third.kind, WindowKind::Regular);
		assert!(
			third.opened_at >= second.opened_at + WindowPeriod::get(),
			"a regular window is due a period after the last regular one"
		);
	});
}

/// ALICE, BOB and CHARLIE prove 600 each in a regular window; a confirmation window opens
/// right after (odds 1) and is returned, open.
fn proven_then_confirmation() -> crate::WindowInfo<BlockNumber> {
	ConfirmOdds::set(&1);
	window_with(&[ALICE, BOB, CHARLIE], 600, Verdict::Valid);
	let confirmation = next_window();
	assert_eq!(confirmation.kind, WindowKind::Confirmation);
	confirmation
}

#[test]
fn a_host_that_switched_off_after_the_regular_proof_loses_its_weight_until_the_next() {
	test_with(&[ALICE, BOB, CHARLIE, DAVE], || {
		register_host(DAVE, MinHostBond::get()).ok();
		let confirmation = proven_then_confirmation();
		// ALICE proves it all again, BOB half (the least that confirms), CHARLIE less than
		// half; DAVE, which proved nothing, has nothing to confirm.
		commit(ALICE, 600);
		commit(BOB, 300);
		commit(CHARLIE, 299);
		to_sampling();
		for host in [ALICE, BOB, CHARLIE] {
			judge_all(host, Verdict::Valid);
		}
		to_conclusion();
		assert_eq!(Poc::proven_weight(&ALICE), Some(600));
		assert_eq!(Poc::proven_weight(&BOB), Some(600), "a confirmation never changes a count");
		assert_eq!(Poc::proven_weight(&CHARLIE), Some(0));
		assert_eq!(Compute::capacity_weight(&CHARLIE), 0, "out of selection and the pot");
		assert_eq!(
			Proven::<Test>::get(CHARLIE).unwrap().outcome,
			Outcome::Unconfirmed { window: confirmation.index }
		);
		assert_eq!(MockService::unconfirmed(), vec![CHARLIE]);
		// The next regular window gives CHARLIE its weight back once it proves again.
		window_with(&[ALICE, BOB, CHARLIE], 600, Verdict::Valid);
		assert_eq!(Poc::proven_weight(&CHARLIE), Some(600));
	});
}

#[test]
fn a_host_that_does_not_show_up_for_a_confirmation_window_fails_it() {
	test_with(&[ALICE, BOB, CHARLIE], || {
		proven_then_confirmation();
		// CHARLIE rented its hardware for the regular window only.
		commit(ALICE, 600);
		commit(BOB, 600);
		to_sampling();
		judge_all(ALICE, Verdict::Valid);
		judge_all(BOB, Verdict::Valid);
		to_conclusion();
		assert_eq!(Poc::proven_weight(&CHARLIE), Some(0));
		assert_eq!(Poc::proven_weight(&ALICE), Some(600));
		assert_eq!(MockService::unconfirmed(), vec![CHARLIE]);
	});
}

#[test]
fn silence_in_a_confirmation_window_costs_the_prover_nothing_and_fraud_convicts() {
	test_with(&[ALICE, BOB, CHARLIE], || {
		proven_then_confirmation();
		let index = window_info().index;
		commit(ALICE, 600);
		commit(BOB, 600);
		commit(CHARLIE, 600);
		to_sampling();
		// Nobody judges ALICE; BOB is proven; CHARLIE's leaves do not recompute.
		judge_all(BOB, Verdict::Valid);
		judge_all(CHARLIE, Verdict::Invalid { nonce: 3 });
		let bond = Compute::bond(&CHARLIE);
		to_conclusion();
		assert_eq!(Poc::proven_weight(&ALICE), Some(600), "silence is not the prover's fault");
		assert_eq!(Poc::proven_weight(&CHARLIE), Some(0));
		assert_eq!(Proven::<Test>::get(CHARLIE).unwrap().outcome, Outcome::Convicted);
		assert!(Compute::bond(&CHARLIE) < bond, "slashed");
		assert!(!Compute::is_active(&CHARLIE), "jailed");
		assert_eq!(LastConcluded::<Test>::get(), index - 1);
	});
}

#[test]
fn a_confirmation_window_that_proves_nothing_changes_no_weight() {
	test_with(&[ALICE, BOB, CHARLIE], || {
		proven_then_confirmation();
		// Every executor was down (or every proof missing): nobody can tell who is at fault.
		to_conclusion();
		for host in [ALICE, BOB, CHARLIE] {
			assert_eq!(Poc::proven_weight(&host), Some(600));
		}
		assert!(MockService::unconfirmed().is_empty());
	});
}

#[test]
fn a_declared_weight_selects_hosts_before_the_first_proof_but_never_earns() {
	test_with(&[ALICE, BOB, CHARLIE], || {
		let average = |who| <Compute as HostRegistry<_, _, _>>::take_average_capacity(&who);
		assert_eq!(Compute::capacity_weight(&ALICE), 81_920, "declared, for selection");
		run_to_block(5);
		assert_eq!(average(ALICE), 0, "a declaration earns nothing from the capacity pot");
		window_with(&[ALICE, BOB, CHARLIE], 600, Verdict::Valid);
		let proven_at = System::block_number();
		let _ = average(ALICE);
		run_to_block(proven_at + 4);
		assert_eq!(average(ALICE), 600, "proven weight earns, from the block it is applied");
	});
}

#[test]
fn leaving_and_registering_again_keeps_no_weight_from_an_old_reference() {
	test_with(&[ALICE, BOB], || {
		window_with(&[ALICE, BOB], 600, Verdict::Valid);
		assert_eq!(Compute::capacity_weight(&BOB), 600);
		// Bob leaves: unbonds, waits out the period, withdraws his bond, and registers again.
		assert_ok!(Compute::unbond(RuntimeOrigin::signed(BOB)));
		let unlock =
			System::block_number() + <Test as pallet_daya_compute::Config>::UnbondingPeriod::get();
		run_to_block(unlock);
		assert_ok!(Compute::withdraw_unbonded(RuntimeOrigin::signed(BOB)));
		assert_eq!(Proven::<Test>::get(BOB), None, "leaving forgets the host's proof");
		register_host(BOB, MinHostBond::get()).unwrap();
		// Registered anew after the reference: it has proved nothing yet, like any newcomer.
		assert_eq!(Poc::proven_weight(&BOB), Some(0));
		assert_eq!(Compute::capacity_weight(&BOB), 0);
		check_invariants();
		// A later reference in which only Alice proves leaves Bob at nothing.
		window_with(&[ALICE], 600, Verdict::Valid);
		assert_eq!(Compute::capacity_weight(&BOB), 0);
		assert_eq!(Compute::capacity_weight(&ALICE), 600);
		// Bob proves again and weighs what he proved.
		window_with(&[ALICE, BOB], 500, Verdict::Valid);
		assert_eq!(Compute::capacity_weight(&BOB), 500);
	});
}
