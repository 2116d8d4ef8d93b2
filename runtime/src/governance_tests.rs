//! OpenGov on the real runtime (the development preset, whose tracks run 600 times faster):
//! an ordinary account's model-registry proposal goes through conviction votes to enactment; a
//! majority against it leaves the registry alone; a proposal cannot pick a track its origin does
//! not name; votes lock what they weigh.

use super::*;
use crate::configs::governance::{origins::Origin as GovOrigin, tracks};
use frame_support::{
	assert_noop, assert_ok,
	traits::{schedule::DispatchTime, Bounded, Hooks, StorePreimage},
};
use pallet_conviction_voting::{AccountVote, Conviction, Vote};
use pallet_referenda::{ReferendumCount, ReferendumInfoFor};
use sp_keyring::Sr25519Keyring;

fn account(who: Sr25519Keyring) -> AccountId {
	who.to_account_id()
}

fn signed(who: Sr25519Keyring) -> RuntimeOrigin {
	RuntimeOrigin::signed(account(who))
}

/// The next block, with the scheduler's hook (which wakes referenda and enacts their calls).
fn next_block() {
	crate::tests::next_block();
	Scheduler::on_initialize(System::block_number());
}

fn price_of(model: u32) -> Balance {
	pallet_daya_models::Models::<Runtime>::get(model)
		.expect("a genesis model")
		.price_per_token
}

/// Ferdie, no council member, submits `call` for `origin`'s track, with the decision deposit;
/// the referendum's index.
fn propose(call: RuntimeCall, origin: OriginCaller) -> u32 {
	// Small calls go inline; a long one would be noted first (`Preimage::note_preimage`,
	// which the client's end-to-end test runs).
	let proposal: Bounded<RuntimeCall, _> =
		<Preimage as StorePreimage>::bound(call).expect("a small call is inlined");
	assert!(matches!(proposal, Bounded::Inline(_)));
	let index = ReferendumCount::<Runtime>::get();
	assert_ok!(Referenda::submit(
		signed(Sr25519Keyring::Ferdie),
		Box::new(origin),
		proposal,
		DispatchTime::After(0),
	));
	assert_ok!(Referenda::place_decision_deposit(signed(Sr25519Keyring::Ferdie), index));
	index
}

fn vote(who: Sr25519Keyring, index: u32, aye: bool, conviction: Conviction, balance: Balance) {
	let vote = AccountVote::Standard { vote: Vote { aye, conviction }, balance };
	assert_ok!(ConvictionVoting::vote(signed(who), index, vote));
}

/// Runs blocks until referendum `index` is no longer ongoing (at most `limit`); whether it was
/// approved.
fn decide(index: u32, limit: u32) -> bool {
	for _ in 0..limit {
		next_block();
		match ReferendumInfoFor::<Runtime>::get(index) {
			Some(pallet_referenda::ReferendumInfo::Ongoing(_)) => continue,
			Some(pallet_referenda::ReferendumInfo::Approved(..)) => return true,
			Some(_) => return false,
			None => panic!("referendum {index} vanished"),
		}
	}
	panic!("referendum {index} undecided after {limit} blocks");
}

#[test]
fn token_holders_reprice_a_model_by_referendum_with_conviction() {
	crate::tests::preset_ext("development").execute_with(|| {
		next_block();
		let before = price_of(0);
		let new_price = before * 3;
		let call = RuntimeCall::Models(pallet_daya_models::Call::set_price {
			model: 0,
			price_per_token: new_price,
		});
		// Ferdie alone cannot reprice.
		assert_noop!(
			Models::set_price(signed(Sr25519Keyring::Ferdie), 0, new_price),
			sp_runtime::DispatchError::BadOrigin
		);

		let index = propose(call, OriginCaller::Origins(GovOrigin::ModelRegistry));
		let status = Referenda::ensure_ongoing(index).unwrap();
		assert_eq!(status.track, tracks::MODEL_REGISTRY);
		// Three holders for, with conviction; one against, with a larger lock but less weight.
		vote(Sr25519Keyring::Alice, index, true, Conviction::Locked1x, 900_000 * UNIT);
		vote(Sr25519Keyring::Bob, index, true, Conviction::Locked2x, 900_000 * UNIT);
		vote(Sr25519Keyring::Charlie, index, true, Conviction::Locked3x, 900_000 * UNIT);
		vote(Sr25519Keyring::Dave, index, false, Conviction::Locked6x, 300_000 * UNIT);

		assert!(decide(index, 100), "approved");
		// Enacted after the track's (sped up) enactment period.
		for _ in 0..10 {
			if price_of(0) == new_price {
				break;
			}
			next_block();
		}
		assert_eq!(price_of(0), new_price, "the referendum's call was enacted");
		assert!(System::events().iter().any(|e| matches!(
			&e.event,
			RuntimeEvent::Models(pallet_daya_models::Event::PriceSet { .. })
		)));

		// The deposits come back once the referendum is over.
		assert_ok!(Referenda::refund_decision_deposit(signed(Sr25519Keyring::Ferdie), index));
		assert_ok!(Referenda::refund_submission_deposit(signed(Sr25519Keyring::Ferdie), index));
	});
}

#[test]
fn a_majority_against_leaves_the_registry_alone() {
	crate::tests::preset_ext("development").execute_with(|| {
		next_block();
		let before = price_of(0);
		let call = RuntimeCall::Models(pallet_daya_models::Call::set_price {
			model: 0,
			price_per_token: before + 1,
		});
		let index = propose(call, OriginCaller::Origins(GovOrigin::ModelRegistry));
		vote(Sr25519Keyring::Alice, index, true, Conviction::None, 900_000 * UNIT);
		vote(Sr25519Keyring::Bob, index, false, Conviction::Locked1x, 900_000 * UNIT);
		vote(Sr25519Keyring::Charlie, index, false, Conviction::Locked1x, 900_000 * UNIT);
		assert!(!decide(index, 200), "rejected");
		for _ in 0..5 {
			next_block();
		}
		assert_eq!(price_of(0), before);
	});
}

#[test]
fn a_proposal_goes_to_its_origins_track_and_a_signed_origin_has_none() {
	crate::tests::preset_ext("development").execute_with(|| {
		next_block();
		let remark = RuntimeCall::System(frame_system::Call::remark { remark: vec![1] });
		let root = propose(remark.clone(), OriginCaller::system(frame_system::RawOrigin::Root));
		assert_eq!(Referenda::ensure_ongoing(root).unwrap().track, tracks::ROOT);
		let spend = propose(remark.clone(), OriginCaller::Origins(GovOrigin::Treasurer));
		assert_eq!(Referenda::ensure_ongoing(spend).unwrap().track, tracks::TREASURER);
		// Proposing to act as an account would let a referendum spend that account's funds.
		let as_alice =
			OriginCaller::system(frame_system::RawOrigin::Signed(account(Sr25519Keyring::Alice)));
		let proposal = <Preimage as StorePreimage>::bound(remark).unwrap();
		assert_noop!(
			Referenda::submit(
				signed(Sr25519Keyring::Ferdie),
				Box::new(as_alice),
				proposal,
				DispatchTime::After(0)
			),
			pallet_referenda::Error::<Runtime>::NoTrack
		);
	});
}

#[test]
fn a_vote_locks_what_it_weighs() {
	use frame_support::traits::fungible::Inspect;
	use frame_support::traits::tokens::{Fortitude, Preservation};
	crate::tests::preset_ext("development").execute_with(|| {
		next_block();
		let remark = RuntimeCall::System(frame_system::Call::remark { remark: vec![2] });
		let index = propose(remark, OriginCaller::Origins(GovOrigin::ModelRegistry));
		let eve = account(Sr25519Keyring::Eve);
		let spendable = |who: &AccountId| {
			<Balances as Inspect<_>>::reducible_balance(
				who,
				Preservation::Expendable,
				Fortitude::Polite,
			)
		};
		let free_before = spendable(&eve);
		vote(Sr25519Keyring::Eve, index, true, Conviction::Locked6x, 500_000 * UNIT);
		assert_eq!(free_before - spendable(&eve), 500_000 * UNIT);
		// Tracks sped up at genesis, as the preset asks.
		assert_eq!(
			configs::governance::origins::Speedup::<Runtime>::get(),
			genesis_config_presets::TEST_GOVERNANCE_SPEEDUP
		);
	});
}
