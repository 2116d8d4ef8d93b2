//! Property tests: random sequences of calls and of [`HostRegistry`] operations, by random
//! accounts with valid and invalid arguments, interleaved with model status changes and passing
//! blocks.
//!
//! After every step: `do_try_state` passes (bonds equal holds, the selection index holds exactly
//! the active hosts of each model, counters match); a failed call changed no storage at all; a
//! successful call deposited an event; and host selection only ever picks an active,
//! non-excluded host that serves the model, and finds one whenever there is one.

use crate::{mock::*, Endpoint, Hardware, Hosts};
use daya_primitives::{Duty, HostRegistry, ModelRegistry, ModelStatus};
use polkadot_sdk::{
	sp_io,
	sp_runtime::{DispatchError, Perbill, StateVersion},
};
use proptest::prelude::*;

/// Accounts that act: more than `MaxHosts`, one of them too poor to bond.
const ACCOUNTS: [AccountId; 8] = [ALICE, BOB, CHARLIE, DAVE, EVE, FERDIE, GRACE, POOR];
/// Models: 0 to 2 active, 3 deprecated and 4 retired at first; 5 unknown.
const MODELS: u32 = 6;
/// Bonds and amounts: zero, below the minimum, the minimum, more, and everything.
const AMOUNTS: [Balance; 6] = [0, 99, 100, 500, 5_000, ENDOWMENT];

/// Hardware, by index: three valid kinds (one over the capacity cap), then two invalid ones.
fn hardware_choice(choice: usize) -> Hardware<Test> {
	match choice {
		0 => hardware(),
		1 => hardware_of(vec![gpu("T4", 16_384, 1)]),
		2 => hardware_of(vec![gpu("H100", 81_920, 8), gpu("A10", 24_576, 2)]),
		3 => hardware_of(vec![]),
		_ => hardware_of(vec![gpu("A100", 0, 1)]),
	}
}

/// A valid endpoint, or an invalid one.
fn endpoint_choice(valid: bool) -> Endpoint<Test> {
	endpoint(if valid { "https://gpu.example.org" } else { "not valid" })
}

/// One step of a sequence.
#[derive(Clone, Debug)]
enum Op {
	Register {
		who: usize,
		endpoint: bool,
		hardware: usize,
		models: Vec<u32>,
		bond: usize,
	},
	Update {
		who: usize,
		endpoint: Option<bool>,
		hardware: Option<usize>,
		models: Option<Vec<u32>>,
	},
	BondMore {
		who: usize,
		amount: usize,
	},
	Unbond {
		who: usize,
	},
	Withdraw {
		who: usize,
	},
	Chill {
		who: usize,
	},
	Unchill {
		who: usize,
	},
	Slash {
		who: usize,
		fraction: u32,
		beneficiary: Option<usize>,
	},
	Jail {
		who: usize,
		blocks: u64,
	},
	RecordSuccess {
		who: usize,
	},
	RecordMiss {
		who: usize,
	},
	/// Moves a model one step along its life cycle.
	AgeModel {
		model: u32,
	},
	Select {
		model: u32,
		exclude: Vec<usize>,
		seed: [u8; 32],
	},
	Advance {
		blocks: u64,
	},
}

/// Mostly the first four accounts, so that most steps find a host to act on.
fn who() -> impl Strategy<Value = usize> {
	prop_oneof![6 => 0..4usize, 4 => 0..ACCOUNTS.len()]
}

/// Mostly lists of distinct models that were active at first; now and then any list, with
/// duplicates, unknown models or none at all.
fn models() -> impl Strategy<Value = Vec<u32>> {
	prop_oneof![
		8 => prop::sample::subsequence(vec![0u32, 1, 2], 1..=3).prop_shuffle(),
		2 => prop::collection::vec(0..MODELS, 0..=3),
	]
}

fn hardware_index() -> impl Strategy<Value = usize> {
	prop_oneof![9 => 0..3usize, 1 => 3..5usize]
}

/// Mostly bonds from the minimum up; now and then zero, too low, or everything.
fn bond() -> impl Strategy<Value = usize> {
	prop_oneof![8 => 2..5usize, 2 => 0..AMOUNTS.len()]
}

/// Slash fractions, with the edges.
fn fraction() -> impl Strategy<Value = u32> {
	prop_oneof![1 => Just(0u32), 4 => 0..=1_000_000_000u32, 1 => Just(1_000_000_000u32)]
}

fn register() -> impl Strategy<Value = Op> {
	(who(), prop::bool::weighted(0.95), hardware_index(), models(), bond()).prop_map(
		|(who, endpoint, hardware, models, bond)| Op::Register {
			who,
			endpoint,
			hardware,
			models,
			bond,
		},
	)
}

fn update() -> impl Strategy<Value = Op> {
	(
		who(),
		prop::option::weighted(0.3, prop::bool::weighted(0.9)),
		prop::option::weighted(0.4, hardware_index()),
		prop::option::weighted(0.5, models()),
	)
		.prop_map(|(who, endpoint, hardware, models)| Op::Update {
			who,
			endpoint,
			hardware,
			models,
		})
}

/// A slash of a random fraction, to a random account (an account that does not exist for the
/// index past the end), or burned.
fn slash() -> impl Strategy<Value = Op> {
	(who(), fraction(), prop::option::of(0..=ACCOUNTS.len()))
		.prop_map(|(who, fraction, beneficiary)| Op::Slash { who, fraction, beneficiary })
}

fn select() -> impl Strategy<Value = Op> {
	(0..MODELS, prop::collection::vec(who(), 0..3), any::<[u8; 32]>())
		.prop_map(|(model, exclude, seed)| Op::Select { model, exclude, seed })
}

fn op() -> impl Strategy<Value = Op> {
	prop_oneof![
		6 => register(),
		3 => update(),
		2 => (who(), 0..AMOUNTS.len()).prop_map(|(who, amount)| Op::BondMore { who, amount }),
		2 => who().prop_map(|who| Op::Unbond { who }),
		2 => who().prop_map(|who| Op::Withdraw { who }),
		2 => who().prop_map(|who| Op::Chill { who }),
		3 => who().prop_map(|who| Op::Unchill { who }),
		2 => slash(),
		2 => (who(), 0..20u64).prop_map(|(who, blocks)| Op::Jail { who, blocks }),
		1 => who().prop_map(|who| Op::RecordSuccess { who }),
		1 => who().prop_map(|who| Op::RecordMiss { who }),
		1 => (0..MODELS).prop_map(|model| Op::AgeModel { model }),
		3 => select(),
		3 => (1..25u64).prop_map(|blocks| Op::Advance { blocks }),
	]
}

/// Whether a step is a call, whose failure must change nothing and whose success must deposit
/// an event.
fn is_call(op: &Op) -> bool {
	matches!(
		op,
		Op::Register { .. }
			| Op::Update { .. }
			| Op::BondMore { .. }
			| Op::Unbond { .. }
			| Op::Withdraw { .. }
			| Op::Chill { .. }
			| Op::Unchill { .. }
	)
}

/// Runs `op`; the result of a call, `Ok` for anything else.
fn apply(op: &Op) -> Result<(), DispatchError> {
	let signed = |who: usize| RuntimeOrigin::signed(ACCOUNTS[who]);
	match op.clone() {
		Op::Register { who, endpoint, hardware, models, bond } => Compute::register_host(
			signed(who),
			endpoint_choice(endpoint),
			hardware_choice(hardware),
			served(&models),
			AMOUNTS[bond],
		),
		Op::Update { who, endpoint, hardware, models } => Compute::update_host(
			signed(who),
			endpoint.map(endpoint_choice),
			hardware.map(hardware_choice),
			models.as_deref().map(served),
		),
		Op::BondMore { who, amount } => Compute::bond_more(signed(who), AMOUNTS[amount]),
		Op::Unbond { who } => Compute::unbond(signed(who)),
		Op::Withdraw { who } => Compute::withdraw_unbonded(signed(who)),
		Op::Chill { who } => Compute::chill(signed(who)),
		Op::Unchill { who } => Compute::unchill(signed(who)),
		Op::Slash { who, fraction, beneficiary } => {
			let beneficiary =
				beneficiary.map(|index| ACCOUNTS.get(index).copied().unwrap_or(NOBODY));
			let bond = Compute::host(&ACCOUNTS[who]).map_or(0, |info| info.bond);
			let slashed =
				Compute::slash(&ACCOUNTS[who], Perbill::from_parts(fraction), beneficiary.as_ref());
			assert!(slashed <= bond, "slashed more than the bond");
			assert_eq!(slashed, Perbill::from_parts(fraction).mul_floor(bond), "slashed amount");
			Ok(())
		},
		Op::Jail { who, blocks } => {
			Compute::jail(&ACCOUNTS[who], blocks);
			Ok(())
		},
		Op::RecordSuccess { who } => {
			Compute::record_success(&ACCOUNTS[who]);
			Ok(())
		},
		Op::RecordMiss { who } => {
			Compute::record_miss(&ACCOUNTS[who]);
			Ok(())
		},
		Op::AgeModel { model } => {
			let next = match <MockModels as ModelRegistry<Balance>>::status(model) {
				Some(ModelStatus::Active) => Some(ModelStatus::Deprecated),
				Some(ModelStatus::Deprecated) => Some(ModelStatus::Retired),
				_ => None,
			};
			if let Some(next) = next {
				MockModels::set_status(model, next);
			}
			Ok(())
		},
		Op::Select { model, exclude, seed } => {
			let exclude: Vec<AccountId> = exclude.into_iter().map(|who| ACCOUNTS[who]).collect();
			let eligible = |who: &AccountId| {
				!exclude.contains(who) && Compute::is_active(who) && Compute::serves(who, model)
			};
			match Compute::select_host(model, Duty::Greedy, &exclude, seed, 0) {
				Some(host) => assert!(eligible(&host), "picked {host}, which is not eligible"),
				None => assert!(
					!Hosts::<Test>::iter_keys().any(|who| eligible(&who)),
					"picked nobody, yet a host is eligible"
				),
			}
			Ok(())
		},
		Op::Advance { blocks } => {
			System::set_block_number(System::block_number() + blocks);
			Ok(())
		},
	}
}

/// Runs `ops` one by one, checking the properties after each.
fn check(ops: Vec<Op>) {
	ExtBuilder::default().build_and_execute(|| {
		for op in &ops {
			let root = sp_io::storage::root(StateVersion::V1);
			let events = System::events().len();

			let result = apply(op);

			if is_call(op) {
				match result {
					Ok(()) => assert!(System::events().len() > events, "{op:?} deposited no event"),
					Err(error) => assert_eq!(
						sp_io::storage::root(StateVersion::V1),
						root,
						"{op:?} failed with {error:?}, yet wrote"
					),
				}
			}
			Compute::do_try_state().expect("invariants hold after every step");
		}
	});
}

proptest! {
	#![proptest_config(ProptestConfig::with_cases(256))]

	#[test]
	fn random_sequences_keep_the_invariants(ops in prop::collection::vec(op(), 1..80)) {
		check(ops);
	}
}
