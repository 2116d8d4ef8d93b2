//! Unit tests of the host registry: every call, every error, the [`HostRegistry`]
//! implementation (reputation, slashing, jail and selection), the read helpers and the
//! `try_state` checks.

use crate::{
	mock::*, Capacity, Error, Event, HoldReason, HostInfo, HostStatus, Hosts, HostsByModel,
};
use daya_primitives::{Duty, ExecutorKind, HostRegistry, ModelStatus};
use polkadot_sdk::{
	frame_support::{
		assert_noop, assert_ok,
		dispatch::GetDispatchInfo,
		traits::{
			fungible::{Inspect, InspectHold},
			Hooks,
		},
	},
	sp_io,
	sp_runtime::{DispatchError, Perbill, StateVersion, TokenError},
};

/// The compute pallet's event, as the runtime's.
fn event(event: Event<Test>) -> RuntimeEvent {
	RuntimeEvent::Compute(event)
}

/// The stored host `who`.
fn stored(who: AccountId) -> HostInfo<Test> {
	Compute::host(&who).expect("the host exists")
}

/// The balance `who` holds as a host bond.
fn held(who: AccountId) -> Balance {
	Balances::balance_on_hold(&HoldReason::HostBond.into(), &who)
}

/// The free balance of `who`.
fn free(who: AccountId) -> Balance {
	Balances::balance(&who)
}

/// The storage root, to check that a failed call changed nothing.
fn root() -> Vec<u8> {
	sp_io::storage::root(StateVersion::V1)
}

/// Origins that are not a signed account.
fn bad_origins() -> [RuntimeOrigin; 2] {
	[RuntimeOrigin::root(), RuntimeOrigin::none()]
}

/// The endpoint hosts register with. (A constant, also because `docify` cannot embed a test
/// that has `//` in a string.)
const ENDPOINT: &str = "https://gpu.example.org";

/// Registers `who` serving `models` with the given hardware and bond.
fn register_with(
	who: AccountId,
	hardware: crate::Hardware<Test>,
	models: &[u32],
	bond: Balance,
) -> Result<(), DispatchError> {
	Compute::register_host(
		RuntimeOrigin::signed(who),
		endpoint(ENDPOINT),
		hardware,
		served(models),
		bond,
	)
}

/// Updates `who` as itself.
fn update(
	who: AccountId,
	new_endpoint: Option<crate::Endpoint<Test>>,
	new_hardware: Option<crate::Hardware<Test>>,
	new_models: Option<&[u32]>,
) -> Result<(), DispatchError> {
	Compute::update_host(
		RuntimeOrigin::signed(who),
		new_endpoint,
		new_hardware,
		new_models.map(served),
	)
}

/// Moves to block `n`.
fn run_to_block(n: u64) {
	System::run_to_block_with::<AllPalletsWithSystem>(n, Default::default());
}

mod register_host {
	use super::*;

	#[docify::export]
	#[test]
	fn registers_an_active_host() {
		ExtBuilder::default().build_and_execute(|| {
			// given
			System::set_block_number(7);

			// when
			assert_ok!(register_with(ALICE, hardware(), &[0, 1], 150));

			// then
			let info = stored(ALICE);
			assert_eq!(info.endpoint, endpoint(ENDPOINT));
			assert_eq!(info.hardware, hardware());
			assert_eq!(info.served_models, served(&[0, 1]));
			assert_eq!(info.bond, 150);
			assert_eq!(info.status, HostStatus::Active);
			assert_eq!(info.reputation, InitialReputation::get());
			assert_eq!(info.capacity, Capacity::Declared(81_920));
			assert_eq!(info.registered_at, 7);
			assert_eq!(held(ALICE), 150);
			assert_eq!(free(ALICE), ENDOWMENT - 150);
			assert_eq!(Compute::hosts_by_model(0), vec![ALICE]);
			assert_eq!(Compute::hosts_by_model(1), vec![ALICE]);
			assert_eq!(Compute::hosts_by_model(2), Vec::<AccountId>::new());
			assert_eq!(Hosts::<Test>::count(), 1);
			assert!(Compute::is_active(&ALICE));
			System::assert_last_event(event(Event::HostRegistered {
				host: ALICE,
				bond: 150,
				capacity_weight: 81_920,
			}));
		});
	}

	#[test]
	fn capacity_weight_sums_memory_and_is_capped() {
		ExtBuilder::default().build_and_execute(|| {
			// two kinds of GPU: 2 x 24 GiB + 1 x 16 GiB
			let mixed = hardware_of(vec![gpu("RTX4090", 24_576, 2), gpu("T4", 16_384, 1)]);
			assert_ok!(register_with(ALICE, mixed, &[0], 100));
			assert_eq!(stored(ALICE).capacity.weight(), 65_536);

			// eight 80 GiB cards: 655,360 MiB, capped at MaxCapacityPerHost
			let big = hardware_of(vec![gpu("H100", 81_920, 8)]);
			assert_ok!(register_with(BOB, big, &[0], 100));
			assert_eq!(stored(BOB).capacity.weight(), MaxCapacityPerHost::get());

			// the largest declaration saturates instead of overflowing
			let huge = hardware_of(vec![gpu("X", u32::MAX, u32::MAX); 3]);
			assert_ok!(register_with(CHARLIE, huge, &[0], 100));
			assert_eq!(stored(CHARLIE).capacity.weight(), MaxCapacityPerHost::get());
		});
	}

	#[test]
	fn accepts_the_bounds() {
		ExtBuilder::default().build_and_execute(|| {
			let long_endpoint = "e".repeat(MaxEndpointLen::get() as usize);
			let long_name = "g".repeat(MaxGpuNameLen::get() as usize);
			let gpus = vec![gpu(&long_name, 1, 1); MaxGpus::get() as usize];
			assert_ok!(Compute::register_host(
				RuntimeOrigin::signed(ALICE),
				endpoint(&long_endpoint),
				hardware_of(gpus),
				served(&[0, 1, 2]),
				MinHostBond::get(),
			));
			assert_eq!(stored(ALICE).capacity.weight(), 3);
		});
	}

	#[test]
	fn requires_a_signed_origin() {
		ExtBuilder::default().build_and_execute(|| {
			for origin in bad_origins() {
				assert_noop!(
					Compute::register_host(
						origin,
						endpoint("https://gpu.example.org"),
						hardware(),
						served(&[0]),
						100
					),
					DispatchError::BadOrigin
				);
			}
		});
	}

	#[test]
	fn rejects_a_registered_host() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			assert_noop!(register(ALICE, &[1]), Error::<Test>::AlreadyRegistered);
		});
	}

	#[test]
	fn rejects_more_than_max_hosts() {
		ExtBuilder::default()
			.with_host(ALICE, &[0])
			.with_host(BOB, &[0])
			.with_host(CHARLIE, &[0])
			.with_host(DAVE, &[1])
			.with_host(EVE, &[1])
			.with_host(FERDIE, &[1])
			.build_and_execute(|| {
				assert_eq!(Hosts::<Test>::count(), MaxHosts::get());
				assert_noop!(register(GRACE, &[2]), Error::<Test>::TooManyHosts);
			});
	}

	#[test]
	fn hosts_that_leave_still_count_until_they_withdraw() {
		ExtBuilder::default()
			.with_host(ALICE, &[0])
			.with_host(BOB, &[0])
			.with_host(CHARLIE, &[0])
			.with_host(DAVE, &[1])
			.with_host(EVE, &[1])
			.with_host(FERDIE, &[1])
			.build_and_execute(|| {
				// given
				assert_ok!(Compute::unbond(RuntimeOrigin::signed(ALICE)));
				assert_noop!(register(GRACE, &[2]), Error::<Test>::TooManyHosts);

				// when
				run_to_block(1 + UnbondingPeriod::get());
				assert_ok!(Compute::withdraw_unbonded(RuntimeOrigin::signed(ALICE)));

				// then
				assert_ok!(register(GRACE, &[2]));
			});
	}

	#[test]
	fn rejects_an_invalid_endpoint() {
		ExtBuilder::default().build_and_execute(|| {
			let bad: [&[u8]; 5] = [b"", b"http://a b", b"tab\t", b"caf\xc3\xa9", b"\x7f"];
			for bad in bad {
				assert_noop!(
					Compute::register_host(
						RuntimeOrigin::signed(ALICE),
						bad.to_vec().try_into().expect("fits the bound"),
						hardware(),
						served(&[0]),
						100
					),
					Error::<Test>::InvalidEndpoint
				);
			}
		});
	}

	#[test]
	fn gpu_names_may_contain_single_spaces() {
		ExtBuilder::default().build_and_execute(|| {
			let gpus = hardware_of(vec![gpu("NVIDIA H100 HBM3", 81_920, 1)]);
			assert_ok!(register_with(ALICE, gpus, &[0], 100));
		});
	}

	#[test]
	fn rejects_empty_hardware() {
		ExtBuilder::default().build_and_execute(|| {
			assert_noop!(
				register_with(ALICE, hardware_of(vec![]), &[0], 100),
				Error::<Test>::EmptyHardware
			);
		});
	}

	#[test]
	fn rejects_invalid_hardware() {
		ExtBuilder::default().build_and_execute(|| {
			for bad in [
				gpu("H100", 0, 1),
				gpu("H100", 81_920, 0),
				gpu("", 81_920, 1),
				gpu(" H100", 1, 1),
				gpu("H100 ", 1, 1),
				gpu("H  100", 1, 1),
				gpu("H\t100", 1, 1),
			] {
				// the invalid GPU after a valid one
				let gpus = hardware_of(vec![gpu("A100", 40_960, 1), bad]);
				assert_noop!(register_with(ALICE, gpus, &[0], 100), Error::<Test>::InvalidHardware);
			}
		});
	}

	#[test]
	fn rejects_no_served_models() {
		ExtBuilder::default().build_and_execute(|| {
			assert_noop!(register(ALICE, &[]), Error::<Test>::NoServedModels);
		});
	}

	#[test]
	fn rejects_a_duplicate_model() {
		ExtBuilder::default().build_and_execute(|| {
			assert_noop!(register(ALICE, &[0, 1, 0]), Error::<Test>::DuplicateModel);
		});
	}

	#[test]
	fn rejects_an_unknown_model() {
		ExtBuilder::default().build_and_execute(|| {
			assert_noop!(register(ALICE, &[0, 9]), Error::<Test>::UnknownModel);
		});
	}

	#[test]
	fn rejects_a_model_that_is_not_active() {
		ExtBuilder::default().build_and_execute(|| {
			// model 3 is deprecated, model 4 retired
			assert_noop!(register(ALICE, &[0, 3]), Error::<Test>::ModelNotActive);
			assert_noop!(register(ALICE, &[4]), Error::<Test>::ModelNotActive);
		});
	}

	#[test]
	fn rejects_a_model_that_needs_more_memory() {
		ExtBuilder::default().build_and_execute(|| {
			// given: model 1 needs 100 GiB; two 48 GiB cards fall short by a GiB
			MockModels::set_min_vram(1, 102_400);
			let two_cards = hardware_of(vec![gpu("L40S", 49_152, 2)]);

			// when / then
			assert_noop!(
				register_with(ALICE, two_cards.clone(), &[0, 1], 100),
				Error::<Test>::InsufficientVram
			);
			assert_ok!(register_with(ALICE, two_cards, &[0], 100));

			// memory adds up across cards and kinds
			let enough = hardware_of(vec![gpu("L40S", 49_152, 2), gpu("T4", 4_096, 1)]);
			assert_ok!(register_with(BOB, enough, &[1], 100));
		});
	}

	#[test]
	fn rejects_a_bond_below_the_minimum() {
		ExtBuilder::default().build_and_execute(|| {
			assert_noop!(
				register_with(ALICE, hardware(), &[0], MinHostBond::get() - 1),
				Error::<Test>::BondTooLow
			);
		});
	}

	#[test]
	fn rejects_a_full_model_index() {
		ExtBuilder::default()
			.with_host(ALICE, &[0])
			.with_host(BOB, &[0])
			.with_host(CHARLIE, &[0, 1])
			.build_and_execute(|| {
				assert_noop!(register(DAVE, &[1, 0]), Error::<Test>::TooManyHostsForModel);
				// another model has room
				assert_ok!(register(DAVE, &[1]));
			});
	}

	#[test]
	fn rejects_a_bond_the_account_cannot_hold() {
		ExtBuilder::default().build_and_execute(|| {
			// less than the bond
			assert_noop!(register(POOR, &[0]), Error::<Test>::InsufficientBalance);
			// the whole balance: the account must keep its existential deposit
			assert_noop!(
				register_with(ALICE, hardware(), &[0], ENDOWMENT),
				Error::<Test>::InsufficientBalance
			);
			// an account that does not exist
			assert_noop!(register(NOBODY, &[0]), Error::<Test>::InsufficientBalance);
		});
	}
}

mod update_host {
	use super::*;

	#[test]
	fn updates_the_endpoint_only() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			// when
			assert_ok!(update(ALICE, Some(endpoint("https://new.example.org")), None, None));

			// then
			let info = stored(ALICE);
			assert_eq!(info.endpoint, endpoint("https://new.example.org"));
			assert_eq!(info.hardware, hardware());
			assert_eq!(info.served_models, served(&[0]));
			System::assert_last_event(event(Event::HostUpdated {
				host: ALICE,
				capacity_weight: 81_920,
			}));
		});
	}

	#[test]
	fn a_new_endpoint_alone_ignores_changed_model_terms() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			// given: model 0 now needs more memory than the host has
			MockModels::set_min_vram(0, 1_000_000);

			// when / then: the endpoint may change, the models are checked when they change
			assert_ok!(update(ALICE, Some(endpoint("https://new.example.org")), None, None));
			assert_noop!(update(ALICE, None, None, Some(&[0])), Error::<Test>::InsufficientVram);
		});
	}

	#[test]
	fn new_hardware_changes_the_weight_everywhere() {
		ExtBuilder::default().with_host(ALICE, &[0, 1]).build_and_execute(|| {
			// when
			assert_ok!(update(ALICE, None, Some(hardware_of(vec![gpu("A100", 40_960, 2)])), None));

			// then: the host and both index entries carry the new weight
			assert_eq!(stored(ALICE).capacity.weight(), 81_920);
			assert_ok!(update(ALICE, None, Some(hardware_of(vec![gpu("T4", 16_384, 1)])), None));
			assert_eq!(stored(ALICE).capacity.weight(), 16_384);
			for model in [0, 1] {
				let index = HostsByModel::<Test>::get(model).expect("an index");
				assert_eq!(index[0].capacity_weight, 16_384);
			}
			System::assert_last_event(event(Event::HostUpdated {
				host: ALICE,
				capacity_weight: 16_384,
			}));
		});
	}

	#[test]
	fn new_models_move_the_host_between_indices() {
		ExtBuilder::default()
			.with_host(ALICE, &[0, 1])
			.with_host(BOB, &[1])
			.build_and_execute(|| {
				// when
				assert_ok!(update(ALICE, None, None, Some(&[1, 2])));

				// then: out of model 0 (whose index is gone), still in 1, into 2
				assert_eq!(stored(ALICE).served_models, served(&[1, 2]));
				assert_eq!(HostsByModel::<Test>::get(0), None);
				assert_eq!(Compute::hosts_by_model(1), vec![ALICE, BOB]);
				assert_eq!(Compute::hosts_by_model(2), vec![ALICE]);
			});
	}

	#[test]
	fn keeps_models_that_are_no_longer_active() {
		ExtBuilder::default().with_host(ALICE, &[0, 1]).build_and_execute(|| {
			// given: model 0 deprecated, model 1 retired after the host joined
			MockModels::set_status(0, ModelStatus::Deprecated);
			MockModels::set_status(1, ModelStatus::Retired);

			// when: the host keeps both and adds an active one
			assert_ok!(update(ALICE, None, None, Some(&[0, 1, 2])));

			// then
			assert_eq!(Compute::hosts_by_model(0), vec![ALICE]);
			assert_eq!(Compute::hosts_by_model(2), vec![ALICE]);

			// but it cannot add a model that is not active
			assert_noop!(update(ALICE, None, None, Some(&[0, 3])), Error::<Test>::ModelNotActive);
		});
	}

	#[test]
	fn a_host_out_of_the_index_stays_out() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			// given
			assert_ok!(Compute::chill(RuntimeOrigin::signed(ALICE)));

			// when
			assert_ok!(update(
				ALICE,
				None,
				Some(hardware_of(vec![gpu("T4", 16_384, 1)])),
				Some(&[1])
			));

			// then
			assert_eq!(stored(ALICE).served_models, served(&[1]));
			assert_eq!(stored(ALICE).capacity.weight(), 16_384);
			assert_eq!(HostsByModel::<Test>::get(0), None);
			assert_eq!(HostsByModel::<Test>::get(1), None);

			// and a jailed one too
			Compute::jail(&ALICE, 5);
			assert_ok!(update(ALICE, None, None, Some(&[2])));
			assert_eq!(HostsByModel::<Test>::get(2), None);
		});
	}

	#[test]
	fn a_chilled_host_may_list_a_model_with_a_full_index() {
		ExtBuilder::default()
			.with_host(ALICE, &[1])
			.with_host(BOB, &[0])
			.with_host(CHARLIE, &[0])
			.with_host(DAVE, &[0])
			.build_and_execute(|| {
				// an active host cannot join the full index of model 0
				assert_noop!(
					update(ALICE, None, None, Some(&[0, 1])),
					Error::<Test>::TooManyHostsForModel
				);

				// a chilled one can list it, but cannot unchill while the index is full
				assert_ok!(Compute::chill(RuntimeOrigin::signed(ALICE)));
				assert_ok!(update(ALICE, None, None, Some(&[0, 1])));
				assert_noop!(
					Compute::unchill(RuntimeOrigin::signed(ALICE)),
					Error::<Test>::TooManyHostsForModel
				);
			});
	}

	#[test]
	fn requires_a_signed_origin() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			for origin in bad_origins() {
				assert_noop!(
					Compute::update_host(origin, Some(endpoint("https://a")), None, None),
					DispatchError::BadOrigin
				);
			}
		});
	}

	#[test]
	fn rejects_an_empty_update() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			assert_noop!(update(ALICE, None, None, None), Error::<Test>::NothingToUpdate);
		});
	}

	#[test]
	fn rejects_an_unregistered_account() {
		ExtBuilder::default().build_and_execute(|| {
			assert_noop!(
				update(ALICE, Some(endpoint("https://a")), None, None),
				Error::<Test>::NotRegistered
			);
		});
	}

	#[test]
	fn rejects_a_leaving_host() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			assert_ok!(Compute::unbond(RuntimeOrigin::signed(ALICE)));
			assert_noop!(
				update(ALICE, Some(endpoint("https://a")), None, None),
				Error::<Test>::HostLeaving
			);
		});
	}

	#[test]
	fn rejects_invalid_fields() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			MockModels::set_min_vram(0, 81_920);
			let cases: [(
				Option<crate::Endpoint<Test>>,
				Option<crate::Hardware<Test>>,
				Option<&[u32]>,
				Error<Test>,
			); 8] = [
				(Some(endpoint("")), None, None, Error::<Test>::InvalidEndpoint),
				(None, Some(hardware_of(vec![])), None, Error::<Test>::EmptyHardware),
				(
					None,
					Some(hardware_of(vec![gpu("H100", 0, 1)])),
					None,
					Error::<Test>::InvalidHardware,
				),
				(None, None, Some(&[]), Error::<Test>::NoServedModels),
				(None, None, Some(&[1, 1]), Error::<Test>::DuplicateModel),
				(None, None, Some(&[0, 7]), Error::<Test>::UnknownModel),
				// less memory than a model it serves needs
				(
					None,
					Some(hardware_of(vec![gpu("T4", 16_384, 1)])),
					None,
					Error::<Test>::InsufficientVram,
				),
				// a valid endpoint does not save an invalid model list
				(Some(endpoint("https://a")), None, Some(&[4]), Error::<Test>::ModelNotActive),
			];
			for (new_endpoint, new_hardware, new_models, error) in cases {
				assert_noop!(update(ALICE, new_endpoint, new_hardware, new_models), error);
			}
		});
	}
}

mod bond_more {
	use super::*;

	#[test]
	fn adds_to_the_bond() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			// when
			assert_ok!(Compute::bond_more(RuntimeOrigin::signed(ALICE), 50));

			// then
			assert_eq!(stored(ALICE).bond, 150);
			assert_eq!(held(ALICE), 150);
			assert_eq!(free(ALICE), ENDOWMENT - 150);
			System::assert_last_event(event(Event::BondIncreased {
				host: ALICE,
				amount: 50,
				bond: 150,
			}));
		});
	}

	#[test]
	fn does_not_unchill() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			assert_ok!(Compute::chill(RuntimeOrigin::signed(ALICE)));
			assert_ok!(Compute::bond_more(RuntimeOrigin::signed(ALICE), 50));
			assert_eq!(stored(ALICE).status, HostStatus::Chilled);

			Compute::jail(&ALICE, 3);
			assert_ok!(Compute::bond_more(RuntimeOrigin::signed(ALICE), 50));
			assert_eq!(stored(ALICE).status, HostStatus::Jailed { until: 4 });
			assert_eq!(held(ALICE), 200);
		});
	}

	#[test]
	fn requires_a_signed_origin() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			for origin in bad_origins() {
				assert_noop!(Compute::bond_more(origin, 50), DispatchError::BadOrigin);
			}
		});
	}

	#[test]
	fn rejects_zero() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			assert_noop!(
				Compute::bond_more(RuntimeOrigin::signed(ALICE), 0),
				Error::<Test>::ZeroAmount
			);
		});
	}

	#[test]
	fn rejects_an_unregistered_account() {
		ExtBuilder::default().build_and_execute(|| {
			assert_noop!(
				Compute::bond_more(RuntimeOrigin::signed(ALICE), 50),
				Error::<Test>::NotRegistered
			);
		});
	}

	#[test]
	fn rejects_a_leaving_host() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			assert_ok!(Compute::unbond(RuntimeOrigin::signed(ALICE)));
			assert_noop!(
				Compute::bond_more(RuntimeOrigin::signed(ALICE), 50),
				Error::<Test>::HostLeaving
			);
		});
	}

	#[test]
	fn rejects_more_than_the_free_balance() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			// the whole free balance would leave nothing for the existential deposit
			assert_noop!(
				Compute::bond_more(RuntimeOrigin::signed(ALICE), free(ALICE)),
				Error::<Test>::InsufficientBalance
			);
			let most = free(ALICE) - ExistentialDeposit::get();
			assert_ok!(Compute::bond_more(RuntimeOrigin::signed(ALICE), most));
		});
	}
}

mod unbond {
	use super::*;

	#[test]
	fn an_active_host_stops_getting_work_at_once() {
		ExtBuilder::default()
			.with_host(ALICE, &[0, 1])
			.with_host(BOB, &[1])
			.build_and_execute(|| {
				// given
				System::set_block_number(5);

				// when
				assert_ok!(Compute::unbond(RuntimeOrigin::signed(ALICE)));

				// then
				let unlock_at = 5 + UnbondingPeriod::get();
				assert_eq!(stored(ALICE).status, HostStatus::Leaving { unlock_at });
				assert_eq!(HostsByModel::<Test>::get(0), None);
				assert_eq!(Compute::hosts_by_model(1), vec![BOB]);
				assert!(!Compute::is_active(&ALICE));
				// the bond stays held
				assert_eq!(held(ALICE), 100);
				System::assert_last_event(event(Event::UnbondingStarted {
					host: ALICE,
					unlock_at,
				}));
			});
	}

	#[test]
	fn chilled_and_jailed_hosts_may_leave() {
		ExtBuilder::default()
			.with_host(ALICE, &[0])
			.with_host(BOB, &[0])
			.build_and_execute(|| {
				assert_ok!(Compute::chill(RuntimeOrigin::signed(ALICE)));
				Compute::jail(&BOB, 100);

				for who in [ALICE, BOB] {
					assert_ok!(Compute::unbond(RuntimeOrigin::signed(who)));
					assert_eq!(stored(who).status, HostStatus::Leaving { unlock_at: 11 });
				}
			});
	}

	#[test]
	fn requires_a_signed_origin() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			for origin in bad_origins() {
				assert_noop!(Compute::unbond(origin), DispatchError::BadOrigin);
			}
		});
	}

	#[test]
	fn rejects_an_unregistered_account() {
		ExtBuilder::default().build_and_execute(|| {
			assert_noop!(
				Compute::unbond(RuntimeOrigin::signed(ALICE)),
				Error::<Test>::NotRegistered
			);
		});
	}

	#[test]
	fn rejects_a_leaving_host() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			assert_ok!(Compute::unbond(RuntimeOrigin::signed(ALICE)));
			assert_noop!(Compute::unbond(RuntimeOrigin::signed(ALICE)), Error::<Test>::HostLeaving);
		});
	}
}

mod withdraw_unbonded {
	use super::*;

	#[test]
	fn releases_the_bond_and_removes_the_host() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			// given
			assert_ok!(Compute::bond_more(RuntimeOrigin::signed(ALICE), 50));
			assert_ok!(Compute::unbond(RuntimeOrigin::signed(ALICE)));
			run_to_block(1 + UnbondingPeriod::get());

			// when
			assert_ok!(Compute::withdraw_unbonded(RuntimeOrigin::signed(ALICE)));

			// then
			assert_eq!(Compute::host(&ALICE), None);
			assert_eq!(Hosts::<Test>::count(), 0);
			assert_eq!(held(ALICE), 0);
			assert_eq!(free(ALICE), ENDOWMENT);
			System::assert_last_event(event(Event::HostRemoved { host: ALICE, released: 150 }));

			// and it may register again
			assert_ok!(register(ALICE, &[1]));
		});
	}

	#[test]
	fn rejects_before_the_unbonding_period_is_over() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			// given
			assert_ok!(Compute::unbond(RuntimeOrigin::signed(ALICE)));

			// when / then: not one block early
			run_to_block(UnbondingPeriod::get());
			assert_noop!(
				Compute::withdraw_unbonded(RuntimeOrigin::signed(ALICE)),
				Error::<Test>::NotUnlocked
			);
			run_to_block(1 + UnbondingPeriod::get());
			assert_ok!(Compute::withdraw_unbonded(RuntimeOrigin::signed(ALICE)));
		});
	}

	#[test]
	fn rejects_a_host_that_is_not_leaving() {
		ExtBuilder::default()
			.with_host(ALICE, &[0])
			.with_host(BOB, &[0])
			.build_and_execute(|| {
				assert_ok!(Compute::chill(RuntimeOrigin::signed(BOB)));
				for who in [ALICE, BOB] {
					assert_noop!(
						Compute::withdraw_unbonded(RuntimeOrigin::signed(who)),
						Error::<Test>::NotLeaving
					);
				}
			});
	}

	#[test]
	fn rejects_an_unregistered_account() {
		ExtBuilder::default().build_and_execute(|| {
			assert_noop!(
				Compute::withdraw_unbonded(RuntimeOrigin::signed(ALICE)),
				Error::<Test>::NotRegistered
			);
		});
	}

	#[test]
	fn requires_a_signed_origin() {
		ExtBuilder::default().build_and_execute(|| {
			for origin in bad_origins() {
				assert_noop!(Compute::withdraw_unbonded(origin), DispatchError::BadOrigin);
			}
		});
	}
}

mod chill_and_unchill {
	use super::*;

	#[test]
	fn chill_takes_the_host_out_of_the_index() {
		ExtBuilder::default()
			.with_host(ALICE, &[0])
			.with_host(BOB, &[0])
			.build_and_execute(|| {
				// when
				assert_ok!(Compute::chill(RuntimeOrigin::signed(ALICE)));

				// then
				assert_eq!(stored(ALICE).status, HostStatus::Chilled);
				assert_eq!(Compute::hosts_by_model(0), vec![BOB]);
				assert!(!Compute::is_active(&ALICE));
				System::assert_last_event(event(Event::HostChilled { host: ALICE }));
			});
	}

	#[test]
	fn unchill_puts_it_back() {
		ExtBuilder::default().with_host(ALICE, &[0, 1]).build_and_execute(|| {
			// given
			assert_ok!(Compute::chill(RuntimeOrigin::signed(ALICE)));

			// when
			assert_ok!(Compute::unchill(RuntimeOrigin::signed(ALICE)));

			// then
			assert_eq!(stored(ALICE).status, HostStatus::Active);
			assert_eq!(Compute::hosts_by_model(0), vec![ALICE]);
			assert_eq!(Compute::hosts_by_model(1), vec![ALICE]);
			System::assert_last_event(event(Event::HostUnchilled { host: ALICE }));
		});
	}

	#[test]
	fn only_an_active_host_chills() {
		ExtBuilder::default()
			.with_host(ALICE, &[0])
			.with_host(BOB, &[0])
			.with_host(CHARLIE, &[0])
			.build_and_execute(|| {
				assert_ok!(Compute::chill(RuntimeOrigin::signed(ALICE)));
				Compute::jail(&BOB, 5);
				assert_ok!(Compute::unbond(RuntimeOrigin::signed(CHARLIE)));
				for who in [ALICE, BOB, CHARLIE] {
					assert_noop!(
						Compute::chill(RuntimeOrigin::signed(who)),
						Error::<Test>::NotActive
					);
				}
				assert_noop!(
					Compute::chill(RuntimeOrigin::signed(DAVE)),
					Error::<Test>::NotRegistered
				);
			});
	}

	#[test]
	fn a_jailed_host_unchills_once_its_time_is_over() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			// given: jailed at block 1 until block 6
			Compute::jail(&ALICE, 5);

			// when / then
			run_to_block(5);
			assert_noop!(
				Compute::unchill(RuntimeOrigin::signed(ALICE)),
				Error::<Test>::StillJailed
			);
			run_to_block(6);
			assert_ok!(Compute::unchill(RuntimeOrigin::signed(ALICE)));
			assert!(Compute::is_active(&ALICE));
			assert_eq!(Compute::hosts_by_model(0), vec![ALICE]);
		});
	}

	#[test]
	fn unchill_rejects_other_states() {
		ExtBuilder::default()
			.with_host(ALICE, &[0])
			.with_host(BOB, &[0])
			.build_and_execute(|| {
				assert_noop!(
					Compute::unchill(RuntimeOrigin::signed(ALICE)),
					Error::<Test>::AlreadyActive
				);
				assert_ok!(Compute::unbond(RuntimeOrigin::signed(BOB)));
				assert_noop!(
					Compute::unchill(RuntimeOrigin::signed(BOB)),
					Error::<Test>::HostLeaving
				);
				assert_noop!(
					Compute::unchill(RuntimeOrigin::signed(CHARLIE)),
					Error::<Test>::NotRegistered
				);
			});
	}

	#[test]
	fn unchill_needs_the_minimum_bond() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			// given: a slash left the bond below the minimum, which chilled the host
			assert_eq!(Compute::slash(&ALICE, Perbill::from_percent(10), None), 10);
			assert_eq!(stored(ALICE).status, HostStatus::Chilled);

			// when / then
			assert_noop!(Compute::unchill(RuntimeOrigin::signed(ALICE)), Error::<Test>::BondTooLow);
			assert_ok!(Compute::bond_more(RuntimeOrigin::signed(ALICE), 10));
			assert_ok!(Compute::unchill(RuntimeOrigin::signed(ALICE)));
		});
	}

	#[test]
	fn require_a_signed_origin() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			for origin in bad_origins() {
				assert_noop!(Compute::chill(origin.clone()), DispatchError::BadOrigin);
				assert_noop!(Compute::unchill(origin), DispatchError::BadOrigin);
			}
		});
	}
}

mod reputation {
	use super::*;

	#[test]
	fn rises_with_success_and_falls_with_misses() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			assert_eq!(Compute::reputation(&ALICE), Some(Perbill::from_percent(50)));
			Compute::record_success(&ALICE);
			assert_eq!(Compute::reputation(&ALICE), Some(Perbill::from_percent(51)));
			Compute::record_miss(&ALICE);
			assert_eq!(Compute::reputation(&ALICE), Some(Perbill::from_percent(41)));
		});
	}

	#[test]
	fn saturates_at_one_and_zero() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			for _ in 0..100 {
				Compute::record_success(&ALICE);
			}
			assert_eq!(Compute::reputation(&ALICE), Some(Perbill::one()));
			for _ in 0..20 {
				Compute::record_miss(&ALICE);
			}
			assert_eq!(Compute::reputation(&ALICE), Some(Perbill::zero()));
		});
	}

	#[test]
	fn applies_in_every_status() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			assert_ok!(Compute::unbond(RuntimeOrigin::signed(ALICE)));
			Compute::record_miss(&ALICE);
			assert_eq!(Compute::reputation(&ALICE), Some(Perbill::from_percent(40)));
		});
	}

	#[test]
	fn three_misses_in_a_row_chill_a_host_until_its_operator_acts() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			// A success between misses resets the count.
			Compute::record_miss(&ALICE);
			Compute::record_miss(&ALICE);
			Compute::record_success(&ALICE);
			Compute::record_miss(&ALICE);
			Compute::record_miss(&ALICE);
			assert!(Compute::is_active(&ALICE));
			assert_eq!(stored(ALICE).missed_in_row, 2);
			// The third in a row: out of selection.
			Compute::record_miss(&ALICE);
			assert_eq!(stored(ALICE).status, HostStatus::Chilled);
			assert!(Compute::hosts_by_model(0).is_empty());
			System::assert_has_event(event(Event::HostChilledForMisses { host: ALICE, misses: 3 }));
			// It stays out, whatever else it misses, until it asks to come back.
			Compute::record_miss(&ALICE);
			assert_eq!(stored(ALICE).status, HostStatus::Chilled);
			assert_ok!(Compute::unchill(RuntimeOrigin::signed(ALICE)));
			assert!(Compute::is_active(&ALICE));
			assert_eq!(stored(ALICE).missed_in_row, 0);
			assert_eq!(Compute::hosts_by_model(0), vec![ALICE]);
		});
	}

	#[test]
	fn ignores_strangers() {
		ExtBuilder::default().build_and_execute(|| {
			let before = root();
			Compute::record_success(&ALICE);
			Compute::record_miss(&ALICE);
			assert_eq!(Compute::reputation(&ALICE), None);
			assert_eq!(root(), before);
		});
	}
}

mod slash {
	use super::*;

	#[test]
	fn pays_the_beneficiary() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			// given
			assert_ok!(Compute::bond_more(RuntimeOrigin::signed(ALICE), 300));
			let issuance = Balances::total_issuance();

			// when: 25% of 400, to Bob
			assert_eq!(Compute::slash(&ALICE, Perbill::from_percent(25), Some(&BOB)), 100);

			// then
			assert_eq!(stored(ALICE).bond, 300);
			assert_eq!(held(ALICE), 300);
			assert_eq!(free(BOB), ENDOWMENT + 100);
			assert_eq!(Balances::total_issuance(), issuance);
			// still above the minimum: still active
			assert!(Compute::is_active(&ALICE));
			System::assert_last_event(event(Event::HostSlashed {
				host: ALICE,
				amount: 100,
				beneficiary: Some(BOB),
			}));
		});
	}

	#[test]
	fn burns_without_a_beneficiary() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			// given
			let issuance = Balances::total_issuance();

			// when
			assert_eq!(Compute::slash(&ALICE, Perbill::from_percent(30), None), 30);

			// then
			assert_eq!(stored(ALICE).bond, 70);
			assert_eq!(held(ALICE), 70);
			assert_eq!(Balances::total_issuance(), issuance - 30);
			System::assert_has_event(event(Event::HostSlashed {
				host: ALICE,
				amount: 30,
				beneficiary: None,
			}));
		});
	}

	#[test]
	fn burns_what_the_beneficiary_cannot_receive() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			// given: a beneficiary that does not exist, and an amount below the existential
			// deposit, which cannot create it
			let issuance = Balances::total_issuance();
			assert!(1 < ExistentialDeposit::get());

			// when
			assert_eq!(Compute::slash(&ALICE, Perbill::from_percent(1), Some(&NOBODY)), 1);

			// then: burned
			assert_eq!(free(NOBODY), 0);
			assert_eq!(Balances::total_issuance(), issuance - 1);
			System::assert_has_event(event(Event::HostSlashed {
				host: ALICE,
				amount: 1,
				beneficiary: None,
			}));

			// while an amount that can create the account reaches it
			assert_ok!(Compute::bond_more(RuntimeOrigin::signed(ALICE), 1_000));
			assert_eq!(Compute::slash(&ALICE, Perbill::from_percent(1), Some(&NOBODY)), 10);
			assert_eq!(free(NOBODY), 10);
		});
	}

	#[test]
	fn rounds_down() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			// 0.5% of 100 is 0.5
			assert_eq!(Compute::slash(&ALICE, Perbill::from_rational(1u32, 200u32), None), 0);
			assert_eq!(stored(ALICE).bond, 100);
			// 1.9% of 100 is 1.9
			assert_eq!(Compute::slash(&ALICE, Perbill::from_rational(19u32, 1000u32), None), 1);
			assert_eq!(stored(ALICE).bond, 99);
		});
	}

	#[test]
	fn a_bond_below_the_minimum_chills_an_active_host() {
		ExtBuilder::default()
			.with_host(ALICE, &[0])
			.with_host(BOB, &[0])
			.build_and_execute(|| {
				// when
				assert_eq!(Compute::slash(&ALICE, Perbill::from_percent(1), Some(&CHARLIE)), 1);

				// then
				assert_eq!(stored(ALICE).status, HostStatus::Chilled);
				assert_eq!(Compute::hosts_by_model(0), vec![BOB]);
				System::assert_has_event(event(Event::HostSlashed {
					host: ALICE,
					amount: 1,
					beneficiary: Some(CHARLIE),
				}));
				System::assert_last_event(event(Event::HostChilled { host: ALICE }));
			});
	}

	#[test]
	fn a_jailed_host_stays_jailed() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			Compute::jail(&ALICE, 5);
			assert_eq!(Compute::slash(&ALICE, Perbill::from_percent(50), None), 50);
			assert_eq!(stored(ALICE).status, HostStatus::Jailed { until: 6 });
		});
	}

	#[test]
	fn a_leaving_host_is_still_slashable() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			// given
			assert_ok!(Compute::unbond(RuntimeOrigin::signed(ALICE)));

			// when: the whole bond
			assert_eq!(Compute::slash(&ALICE, Perbill::one(), Some(&BOB)), 100);

			// then: it withdraws nothing, but leaves
			assert_eq!(stored(ALICE).bond, 0);
			run_to_block(1 + UnbondingPeriod::get());
			assert_ok!(Compute::withdraw_unbonded(RuntimeOrigin::signed(ALICE)));
			System::assert_last_event(event(Event::HostRemoved { host: ALICE, released: 0 }));
			assert_eq!(free(ALICE), ENDOWMENT - 100);
		});
	}

	#[test]
	fn slashing_nothing_changes_nothing() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			let before = root();
			assert_eq!(Compute::slash(&ALICE, Perbill::zero(), Some(&BOB)), 0);
			assert_eq!(Compute::slash(&BOB, Perbill::one(), Some(&ALICE)), 0);
			assert_eq!(root(), before);
		});
	}

	#[test]
	fn a_fully_slashed_host_cannot_be_slashed_further() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			assert_eq!(Compute::slash(&ALICE, Perbill::one(), None), 100);
			assert_eq!(Compute::slash(&ALICE, Perbill::one(), None), 0);
			assert_eq!(held(ALICE), 0);
		});
	}
}

mod jail {
	use super::*;

	#[test]
	fn takes_an_active_host_out_of_the_index() {
		ExtBuilder::default()
			.with_host(ALICE, &[0, 1])
			.with_host(BOB, &[0])
			.build_and_execute(|| {
				// given
				System::set_block_number(3);

				// when
				Compute::jail(&ALICE, 10);

				// then
				assert_eq!(stored(ALICE).status, HostStatus::Jailed { until: 13 });
				assert_eq!(Compute::hosts_by_model(0), vec![BOB]);
				assert_eq!(HostsByModel::<Test>::get(1), None);
				System::assert_last_event(event(Event::HostJailed { host: ALICE, until: 13 }));
			});
	}

	#[test]
	fn jails_a_chilled_host() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			assert_ok!(Compute::chill(RuntimeOrigin::signed(ALICE)));
			Compute::jail(&ALICE, 2);
			assert_eq!(stored(ALICE).status, HostStatus::Jailed { until: 3 });
		});
	}

	#[test]
	fn keeps_the_later_release() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			Compute::jail(&ALICE, 10);
			Compute::jail(&ALICE, 2);
			assert_eq!(stored(ALICE).status, HostStatus::Jailed { until: 11 });
			Compute::jail(&ALICE, 20);
			assert_eq!(stored(ALICE).status, HostStatus::Jailed { until: 21 });
			System::assert_last_event(event(Event::HostJailed { host: ALICE, until: 21 }));
		});
	}

	#[test]
	fn leaves_leaving_hosts_and_strangers_alone() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			assert_ok!(Compute::unbond(RuntimeOrigin::signed(ALICE)));
			let before = root();
			Compute::jail(&ALICE, 10);
			Compute::jail(&BOB, 10);
			assert_eq!(root(), before);
			assert_eq!(stored(ALICE).status, HostStatus::Leaving { unlock_at: 11 });
		});
	}

	#[test]
	fn saturates_at_the_last_block() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			Compute::jail(&ALICE, u64::MAX);
			assert_eq!(stored(ALICE).status, HostStatus::Jailed { until: u64::MAX });
		});
	}
}

mod selection {
	use super::*;

	/// A seed that differs for each `i`, spread over the whole range.
	fn seed(i: u32) -> [u8; 32] {
		sp_io::hashing::blake2_256(&i.to_le_bytes())
	}

	/// Registers `who` serving model 0 with `memory` MiB in one card.
	fn host_of(who: AccountId, memory: u32) {
		assert_ok!(register_with(who, hardware_of(vec![gpu("GPU", memory, 1)]), &[0], 100));
	}

	#[test]
	fn picks_nothing_without_hosts() {
		ExtBuilder::default().with_host(ALICE, &[1]).build_and_execute(|| {
			assert_eq!(Compute::select_host(0, Duty::Greedy, &[], seed(0), 0), None);
			assert_eq!(Compute::select_host(9, Duty::Greedy, &[], seed(0), 0), None);
		});
	}

	#[test]
	fn a_single_host_is_always_picked() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			for i in 0..20 {
				assert_eq!(Compute::select_host(0, Duty::Greedy, &[], seed(i), 0), Some(ALICE));
			}
		});
	}

	#[test]
	fn is_deterministic() {
		ExtBuilder::default()
			.with_host(ALICE, &[0])
			.with_host(BOB, &[0])
			.build_and_execute(|| {
				for i in 0..20 {
					assert_eq!(
						Compute::select_host(0, Duty::Greedy, &[], seed(i), 0),
						Compute::select_host(0, Duty::Greedy, &[], seed(i), 0)
					);
				}
			});
	}

	#[test]
	fn follows_capacity_weights() {
		ExtBuilder::default().build_and_execute(|| {
			// given: weights 1 : 3 : 6
			host_of(ALICE, 10_000);
			host_of(BOB, 30_000);
			host_of(CHARLIE, 60_000);

			// when
			let draws = 10_000;
			let mut picks = [0u32; 3];
			for i in 0..draws {
				match Compute::select_host(0, Duty::Greedy, &[], seed(i), 0) {
					Some(ALICE) => picks[0] += 1,
					Some(BOB) => picks[1] += 1,
					Some(CHARLIE) => picks[2] += 1,
					other => panic!("unexpected pick {other:?}"),
				}
			}

			// then: within 2.5 percentage points of 10%, 30% and 60%
			for (count, expected) in picks.iter().zip([1_000, 3_000, 6_000]) {
				assert!(count.abs_diff(expected) < 250, "picks {picks:?}");
			}
		});
	}

	#[test]
	fn leaves_out_the_excluded() {
		ExtBuilder::default()
			.with_host(ALICE, &[0])
			.with_host(BOB, &[0])
			.with_host(CHARLIE, &[0])
			.build_and_execute(|| {
				for i in 0..50 {
					assert_eq!(
						Compute::select_host(0, Duty::Greedy, &[ALICE, BOB], seed(i), 0),
						Some(CHARLIE)
					);
					let pick = Compute::select_host(0, Duty::Greedy, &[CHARLIE, DAVE], seed(i), 0);
					assert!(matches!(pick, Some(ALICE) | Some(BOB)));
				}
				assert_eq!(
					Compute::select_host(0, Duty::Greedy, &[CHARLIE, BOB, ALICE], seed(0), 0),
					None
				);
			});
	}

	#[test]
	fn picks_only_hosts_whose_bond_covers_what_is_asked() {
		ExtBuilder::default()
			.with_host(ALICE, &[0])
			.with_host(BOB, &[0])
			.with_host(CHARLIE, &[0])
			.build_and_execute(|| {
				assert_ok!(Compute::bond_more(RuntimeOrigin::signed(BOB), 50));
				let covered = MinHostBond::get() + 1;
				for i in 0..100 {
					assert_eq!(
						Compute::select_host(0, Duty::Greedy, &[], seed(i), covered),
						Some(BOB)
					);
				}
				assert_eq!(
					Compute::select_host(0, Duty::Greedy, &[BOB], seed(0), covered),
					None,
					"nobody else covers it"
				);
				assert_eq!(
					Compute::select_host(0, Duty::Greedy, &[], seed(0), MinHostBond::get() + 51),
					None
				);
				// Asking for no more than every bond picks by weight among all, as before.
				let picks = (0..100)
					.filter_map(|i| Compute::select_host(0, Duty::Greedy, &[], seed(i), 0))
					.collect::<std::collections::BTreeSet<_>>();
				assert_eq!(picks.len(), 3);
			});
	}

	#[test]
	fn never_picks_hosts_that_are_not_active() {
		ExtBuilder::default()
			.with_host(ALICE, &[0])
			.with_host(BOB, &[0])
			.with_host(CHARLIE, &[0])
			.build_and_execute(|| {
				// given: model 0 has one active host left
				assert_ok!(Compute::chill(RuntimeOrigin::signed(ALICE)));
				Compute::jail(&BOB, 5);
				assert_ok!(Compute::unbond(RuntimeOrigin::signed(CHARLIE)));
				assert_ok!(register(DAVE, &[0, 1]));

				// when / then
				for i in 0..100 {
					assert_eq!(Compute::select_host(0, Duty::Greedy, &[], seed(i), 0), Some(DAVE));
				}
				Compute::jail(&DAVE, 5);
				assert_eq!(Compute::select_host(0, Duty::Greedy, &[], seed(0), 0), None);
				assert_eq!(Compute::select_host(1, Duty::Greedy, &[], seed(0), 0), None);
			});
	}

	#[test]
	fn uses_the_latest_weights() {
		ExtBuilder::default().build_and_execute(|| {
			// given: Alice weighs a hundred times Bob
			host_of(ALICE, 100_000);
			host_of(BOB, 1_000);
			let alice_wins = (0..100)
				.filter(|i| Compute::select_host(0, Duty::Greedy, &[], seed(*i), 0) == Some(ALICE))
				.count();
			assert!(alice_wins > 90);

			// when: Alice downgrades to Bob's weight
			assert_ok!(update(ALICE, None, Some(hardware_of(vec![gpu("GPU", 1_000, 1)])), None));

			// then: an even split
			let alice_wins = (0..1_000)
				.filter(|i| Compute::select_host(0, Duty::Greedy, &[], seed(*i), 0) == Some(ALICE))
				.count();
			assert!((400..600).contains(&alice_wins), "{alice_wins}");
		});
	}
}

mod set_executor_kind {
	use super::*;

	fn seed(i: u32) -> [u8; 32] {
		sp_io::hashing::blake2_256(&i.to_le_bytes())
	}

	fn set(who: AccountId, kind: ExecutorKind) -> polkadot_sdk::sp_runtime::DispatchResult {
		Compute::set_executor_kind(RuntimeOrigin::signed(who), kind)
	}

	#[test]
	fn a_greedy_only_host_is_drawn_for_greedy_jobs_only() {
		ExtBuilder::default()
			.with_host(ALICE, &[0, 1])
			.with_host(BOB, &[0])
			.build_and_execute(|| {
				// when
				assert_ok!(set(ALICE, ExecutorKind::GreedyOnly));

				// then: recorded, announced, and in both of its indices
				assert_eq!(Compute::executor_kind(&ALICE), Some(ExecutorKind::GreedyOnly));
				assert_eq!(Compute::executor_kind(&BOB), Some(ExecutorKind::Full));
				assert_eq!(Compute::executor_kind(&CHARLIE), None);
				System::assert_last_event(
					Event::ExecutorKindSet { host: ALICE, kind: ExecutorKind::GreedyOnly }.into(),
				);
				let picks = |duty| {
					(0..64)
						.filter_map(|i| Compute::select_host(0, duty, &[], seed(i), 0))
						.collect::<Vec<_>>()
				};
				assert!(picks(Duty::Greedy).contains(&ALICE));
				assert!(picks(Duty::Greedy).contains(&BOB));
				assert!(picks(Duty::Sampled).iter().all(|h| *h == BOB));
				assert!(picks(Duty::Validate).iter().all(|h| *h == BOB));
				assert_eq!(picks(Duty::Validate).len(), 64);
				// model 1 has ALICE alone: greedy jobs only
				assert_eq!(Compute::select_host(1, Duty::Greedy, &[], seed(0), 0), Some(ALICE));
				assert_eq!(Compute::select_host(1, Duty::Sampled, &[], seed(0), 0), None);
				assert_eq!(Compute::select_host(1, Duty::Validate, &[], seed(0), 0), None);

				// and back
				assert_ok!(set(ALICE, ExecutorKind::Full));
				assert_eq!(Compute::select_host(1, Duty::Validate, &[], seed(0), 0), Some(ALICE));
			});
	}

	#[test]
	fn a_chilled_host_rejoins_with_its_kind() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			assert_ok!(Compute::chill(RuntimeOrigin::signed(ALICE)));
			assert_ok!(set(ALICE, ExecutorKind::GreedyOnly));
			assert_eq!(Compute::hosts_by_model(0), Vec::<AccountId>::new());
			assert_ok!(Compute::unchill(RuntimeOrigin::signed(ALICE)));
			assert_eq!(Compute::select_host(0, Duty::Greedy, &[], seed(0), 0), Some(ALICE));
			assert_eq!(Compute::select_host(0, Duty::Sampled, &[], seed(0), 0), None);
		});
	}

	#[test]
	fn refusals() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			assert_noop!(set(ALICE, ExecutorKind::Full), Error::<Test>::NothingToUpdate);
			assert_noop!(set(CHARLIE, ExecutorKind::GreedyOnly), Error::<Test>::NotRegistered);
			assert_ok!(Compute::unbond(RuntimeOrigin::signed(ALICE)));
			assert_noop!(set(ALICE, ExecutorKind::GreedyOnly), Error::<Test>::HostLeaving);
		});
	}
}

mod registry {
	use super::*;

	#[test]
	fn answers_about_hosts_and_strangers() {
		ExtBuilder::default().with_host(ALICE, &[0, 1]).build_and_execute(|| {
			assert!(Compute::is_active(&ALICE));
			assert!(Compute::serves(&ALICE, 0));
			assert!(Compute::serves(&ALICE, 1));
			assert!(!Compute::serves(&ALICE, 2));
			assert_eq!(Compute::capacity_weight(&ALICE), 81_920);
			assert_eq!(Compute::reputation(&ALICE), Some(InitialReputation::get()));

			assert!(!Compute::is_active(&BOB));
			assert!(!Compute::serves(&BOB, 0));
			assert_eq!(Compute::capacity_weight(&BOB), 0);
			assert_eq!(Compute::reputation(&BOB), None);

			// a chilled host still serves its models, but is not active
			assert_ok!(Compute::chill(RuntimeOrigin::signed(ALICE)));
			assert!(!Compute::is_active(&ALICE));
			assert!(Compute::serves(&ALICE, 0));
		});
	}

	#[test]
	fn read_helpers() {
		ExtBuilder::default()
			.with_host(ALICE, &[0])
			.with_host(BOB, &[0, 2])
			.build_and_execute(|| {
				assert_eq!(
					Compute::host(&BOB).map(|info| info.served_models),
					Some(served(&[0, 2]))
				);
				assert_eq!(Compute::host(&CHARLIE), None);
				assert_eq!(Compute::hosts_by_model(0), vec![ALICE, BOB]);
				assert_eq!(Compute::hosts_by_model(2), vec![BOB]);
				assert_eq!(Compute::hosts_by_model(1), Vec::<AccountId>::new());
			});
	}

	#[cfg(feature = "runtime-benchmarks")]
	#[test]
	fn registers_benchmark_hosts() {
		ExtBuilder::default().build_and_execute(|| {
			assert_ok!(Compute::register_benchmark_host(&NOBODY, 1));
			assert!(Compute::is_active(&NOBODY));
			assert_eq!(Compute::hosts_by_model(1), vec![NOBODY]);
		});
	}
}

mod pallet {
	use super::*;

	#[test]
	fn integrity_test_passes() {
		ExtBuilder::default().build_and_execute(|| {
			<Compute as Hooks<u64>>::integrity_test();
		});
	}

	#[cfg(feature = "try-runtime")]
	#[test]
	fn try_state_hook_checks_the_invariants() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			// given: a consistent registry
			assert_ok!(<Compute as Hooks<u64>>::try_state(1));

			// when: the host drops out of its index
			let index = HostsByModel::<Test>::take(0);

			// then
			assert!(<Compute as Hooks<u64>>::try_state(1).is_err());
			HostsByModel::<Test>::set(0, index);
		});
	}

	#[test]
	fn calls_weigh_what_weight_info_says() {
		use crate::{Call, WeightInfo};
		let max = MaxServedModels::get();
		let calls: [(RuntimeCall, _); 7] = [
			(
				Call::<Test>::register_host {
					endpoint: endpoint("https://a"),
					hardware: hardware(),
					served_models: served(&[0, 1]),
					bond: 100,
				}
				.into(),
				<() as WeightInfo>::register_host(2),
			),
			(
				Call::<Test>::update_host { endpoint: None, hardware: None, served_models: None }
					.into(),
				<() as WeightInfo>::update_host(max),
			),
			(Call::<Test>::bond_more { amount: 1 }.into(), <() as WeightInfo>::bond_more()),
			(Call::<Test>::unbond {}.into(), <() as WeightInfo>::unbond(max)),
			(Call::<Test>::withdraw_unbonded {}.into(), <() as WeightInfo>::withdraw_unbonded()),
			(Call::<Test>::chill {}.into(), <() as WeightInfo>::chill(max)),
			(Call::<Test>::unchill {}.into(), <() as WeightInfo>::unchill(max)),
		];
		for (call, weight) in calls {
			assert_eq!(call.get_dispatch_info().call_weight, weight);
		}
	}

	#[test]
	fn failed_dispatch_changes_nothing() {
		use polkadot_sdk::sp_runtime::traits::Dispatchable;
		ExtBuilder::default()
			.with_host(ALICE, &[0])
			.with_host(BOB, &[0])
			.with_host(CHARLIE, &[0])
			.build_and_execute(|| {
				// given: model 2's index has room, model 0's is full
				let before = root();
				let call: RuntimeCall = crate::Call::<Test>::register_host {
					endpoint: endpoint("https://d"),
					hardware: hardware(),
					served_models: served(&[2, 0]),
					bond: 100,
				}
				.into();

				// when
				let result = call.dispatch(RuntimeOrigin::signed(DAVE));

				// then: no index, no hold, no host
				assert_eq!(
					result.map(|_| ()).map_err(|e| e.error),
					Err(Error::<Test>::TooManyHostsForModel.into())
				);
				assert_eq!(root(), before);
				assert_eq!(held(DAVE), 0);
			});
	}

	#[test]
	fn hold_errors_are_named() {
		ExtBuilder::default().build_and_execute(|| {
			// the currency's own error does not leak out
			let result = register(POOR, &[0]);
			assert_ne!(result, Err(TokenError::FundsUnavailable.into()));
			assert_eq!(result, Err(Error::<Test>::InsufficientBalance.into()));
		});
	}
}

mod try_state {
	use super::*;

	/// Runs `corrupt` on a registry of an active and a chilled host, and expects
	/// `do_try_state` to fail.
	fn detects(corrupt: impl FnOnce()) {
		new_test_ext().execute_with(|| {
			assert_ok!(register(ALICE, &[0, 1]));
			assert_ok!(register(BOB, &[0]));
			assert_ok!(Compute::chill(RuntimeOrigin::signed(BOB)));
			assert_ok!(Compute::do_try_state());
			corrupt();
			assert!(Compute::do_try_state().is_err());
		});
	}

	fn mutate_host(who: AccountId, change: impl FnOnce(&mut HostInfo<Test>)) {
		Hosts::<Test>::mutate(who, |info| change(info.as_mut().expect("the host exists")));
	}

	#[test]
	fn detects_a_bond_that_differs_from_the_hold() {
		detects(|| mutate_host(ALICE, |info| info.bond += 1));
	}

	#[test]
	fn detects_a_hold_that_differs_from_the_bond() {
		use polkadot_sdk::frame_support::traits::fungible::MutateHold;
		detects(|| {
			assert_ok!(Balances::hold(&HoldReason::HostBond.into(), &BOB, 1));
		});
	}

	#[test]
	fn detects_an_active_host_missing_from_an_index() {
		detects(|| {
			HostsByModel::<Test>::remove(1);
		});
	}

	#[test]
	fn detects_a_stale_weight_in_an_index() {
		detects(|| {
			HostsByModel::<Test>::mutate(0, |index| {
				index.as_mut().expect("an index")[0].capacity_weight = 1;
			})
		});
	}

	#[test]
	fn detects_a_stale_capacity_weight() {
		detects(|| {
			mutate_host(BOB, |info| info.capacity = Capacity::Declared(1));
		});
	}

	#[test]
	fn detects_a_stale_executor_kind_in_an_index() {
		detects(|| {
			HostsByModel::<Test>::mutate(0, |index| {
				index.as_mut().expect("an index")[0].executor_kind = ExecutorKind::GreedyOnly;
			})
		});
	}

	#[test]
	fn detects_a_duplicate_in_an_index() {
		detects(|| {
			HostsByModel::<Test>::mutate(0, |index| {
				let index = index.as_mut().expect("an index");
				let entry = index[0].clone();
				index.try_push(entry).expect("room");
			})
		});
	}

	#[test]
	fn detects_an_inactive_host_in_an_index() {
		detects(|| {
			HostsByModel::<Test>::mutate(0, |index| {
				let index = index.as_mut().expect("an index");
				index
					.try_push(crate::IndexedHost {
						host: BOB,
						capacity_weight: 81_920,
						executor_kind: ExecutorKind::Full,
					})
					.expect("room");
			})
		});
	}

	#[test]
	fn detects_an_unknown_host_in_an_index() {
		detects(|| {
			HostsByModel::<Test>::mutate(0, |index| {
				let index = index.as_mut().expect("an index");
				index
					.try_push(crate::IndexedHost {
						host: CHARLIE,
						capacity_weight: 81_920,
						executor_kind: ExecutorKind::Full,
					})
					.expect("room");
			})
		});
	}

	#[test]
	fn detects_a_host_indexed_under_a_model_it_does_not_serve() {
		detects(|| {
			let index = HostsByModel::<Test>::get(1).expect("an index");
			HostsByModel::<Test>::insert(2, index);
		});
	}

	#[test]
	fn detects_an_empty_index() {
		detects(|| HostsByModel::<Test>::insert(2, crate::ModelIndex::<Test>::default()));
	}

	#[test]
	fn detects_an_unknown_served_model() {
		detects(|| MockModels::remove(1));
	}

	#[test]
	fn detects_invalid_served_models() {
		detects(|| mutate_host(BOB, |info| info.served_models = served(&[0, 0])));
	}

	#[test]
	fn detects_invalid_hardware() {
		detects(|| mutate_host(BOB, |info| info.hardware = hardware_of(vec![])));
	}

	#[test]
	fn detects_an_invalid_endpoint() {
		detects(|| mutate_host(BOB, |info| info.endpoint = endpoint("")));
	}

	#[test]
	fn detects_a_host_from_the_future() {
		detects(|| mutate_host(BOB, |info| info.registered_at = 2));
	}

	#[test]
	fn detects_a_wrong_counter() {
		detects(|| {
			// a raw insert bypasses the counter
			let info = Hosts::<Test>::get(BOB).expect("the host exists");
			Hosts::<Test>::remove(BOB);
			let key = Hosts::<Test>::hashed_key_for(BOB);
			sp_io::storage::set(&key, &codec::Encode::encode(&info));
		});
	}
}

mod genesis {
	use super::*;
	use crate::{GenesisConfig, GenesisHost};
	use daya_primitives::ModelId;

	/// Why building a genesis with `hosts` panics; `None` if it builds.
	fn genesis_panic(hosts: Vec<GenesisHost<Test>>) -> Option<String> {
		let result = std::panic::catch_unwind(|| {
			ExtBuilder::default().with_genesis_hosts(hosts).build();
		});
		result.err().map(|payload| match payload.downcast::<String>() {
			Ok(message) => *message,
			Err(payload) => {
				payload.downcast_ref::<&str>().map(|m| m.to_string()).unwrap_or_default()
			},
		})
	}

	/// `who` serving `models` with the given hardware and bond.
	fn host_with(
		who: AccountId,
		hardware: crate::Hardware<Test>,
		models: &[ModelId],
		bond: Balance,
	) -> GenesisHost<Test> {
		GenesisHost { hardware, bond, ..genesis_host(who, models) }
	}

	#[test]
	fn registers_the_hosts_as_active_with_their_bonds_held() {
		// given: two valid hosts, one with two kinds of GPU and a bigger bond
		let mixed = hardware_of(vec![gpu("RTX4090", 24_576, 2), gpu("T4", 16_384, 1)]);
		ExtBuilder::default()
			.with_genesis_hosts([
				genesis_host(ALICE, &[0, 1]),
				host_with(BOB, mixed.clone(), &[1], 300),
			])
			.build_and_execute(|| {
				// then: both active, registered at genesis, with their bonds held
				let alice = stored(ALICE);
				assert_eq!(alice.endpoint, endpoint("https://gpu.example.org"));
				assert_eq!(alice.hardware, hardware());
				assert_eq!(alice.served_models, served(&[0, 1]));
				assert_eq!(alice.bond, MinHostBond::get());
				assert_eq!(alice.status, HostStatus::Active);
				assert_eq!(alice.reputation, InitialReputation::get());
				assert_eq!(alice.capacity.weight(), 81_920);
				assert_eq!(alice.registered_at, 0);
				assert_eq!(held(ALICE), MinHostBond::get());
				assert_eq!(free(ALICE), ENDOWMENT - MinHostBond::get());
				let bob = stored(BOB);
				assert_eq!(bob.hardware, mixed);
				assert_eq!(bob.capacity.weight(), 65_536);
				assert_eq!((bob.bond, held(BOB), free(BOB)), (300, 300, ENDOWMENT - 300));
				assert_eq!(bob.status, HostStatus::Active);
				assert_eq!(Hosts::<Test>::count(), 2);

				// and in the selection index, in order
				assert_eq!(Compute::hosts_by_model(0), vec![ALICE]);
				assert_eq!(Compute::hosts_by_model(1), vec![ALICE, BOB]);
				assert_eq!(Compute::hosts_by_model(2), Vec::<AccountId>::new());
				assert_eq!(Compute::select_host(0, Duty::Greedy, &[], [7; 32], 0), Some(ALICE));
				assert_eq!(Compute::select_host(1, Duty::Greedy, &[ALICE], [7; 32], 0), Some(BOB));
				assert_eq!(Compute::select_host(2, Duty::Greedy, &[], [7; 32], 0), None);

				// no events: genesis records none
				assert!(System::events().is_empty());

				// and they are hosts like any other
				assert_ok!(Compute::chill(RuntimeOrigin::signed(ALICE)));
				assert_eq!(Compute::hosts_by_model(1), vec![BOB]);
				assert_ok!(register(CHARLIE, &[0]));
				assert_eq!(Compute::hosts_by_model(0), vec![CHARLIE]);
			});
	}

	#[test]
	fn genesis_hosts_come_before_those_registered_by_calls() {
		ExtBuilder::default()
			.with_genesis_hosts([genesis_host(BOB, &[0])])
			.with_host(ALICE, &[0])
			.build_and_execute(|| {
				assert_eq!(Compute::hosts_by_model(0), vec![BOB, ALICE]);
				assert_eq!(stored(BOB).registered_at, 0);
				assert_eq!(stored(ALICE).registered_at, 1);
			});
	}

	#[test]
	fn no_hosts_by_default() {
		ExtBuilder::default().build_and_execute(|| {
			assert_eq!(Hosts::<Test>::count(), 0);
			assert_eq!(HostsByModel::<Test>::iter().count(), 0);
		});
	}

	#[test]
	fn passes_try_state_at_the_bounds() {
		// MaxHosts hosts, MaxHostsPerModel of them on model 0
		let hosts = [ALICE, BOB, CHARLIE, DAVE, EVE, FERDIE]
			.into_iter()
			.enumerate()
			.map(|(i, who)| genesis_host(who, &[if i < 3 { 0 } else { 1 }]));
		ExtBuilder::default().with_genesis_hosts(hosts).build_and_execute(|| {
			assert_eq!(Hosts::<Test>::count(), MaxHosts::get());
			assert_eq!(Compute::hosts_by_model(0), vec![ALICE, BOB, CHARLIE]);
			assert_eq!(Compute::hosts_by_model(1), vec![DAVE, EVE, FERDIE]);
		});
	}

	#[test]
	fn round_trips_through_json() {
		// given
		let mixed = hardware_of(vec![gpu("H100", 81_920, 8), gpu("L4", 24_576, 1)]);
		let config = GenesisConfig::<Test> {
			hosts: vec![genesis_host(ALICE, &[0]), host_with(BOB, mixed, &[1, 2], 250)],
		};

		// when
		let json = serde_json::to_string(&config).expect("serialises");
		let decoded: GenesisConfig<Test> = serde_json::from_str(&json).expect("deserialises");

		// then
		assert_eq!(decoded.hosts, config.hosts);
		assert!(json.contains("\"servedModels\":[1,2]"), "{json}");
		assert!(json.contains("\"vramMib\":24576"), "{json}");
		assert!(json.contains("\"bond\":250"), "{json}");
		assert!(json.contains("\"account\":2"), "{json}");
	}

	#[test]
	fn reads_the_documented_json() {
		// the shape shown in the crate docs, with the mock's account type
		let json = r#"{ "hosts": [{
			"account": 1,
			"endpoint": [103, 112, 117],
			"hardware": [{ "name": [72, 49, 48, 48], "vramMib": 81920, "count": 1 }],
			"servedModels": [0],
			"bond": 100
		}] }"#;
		let config: GenesisConfig<Test> = serde_json::from_str(json).expect("deserialises");
		assert_eq!(
			config.hosts,
			vec![GenesisHost {
				endpoint: endpoint("gpu"),
				hardware: hardware_of(vec![gpu("H100", 81_920, 1)]),
				..genesis_host(ALICE, &[0])
			}]
		);
	}

	#[test]
	fn rejects_unknown_fields_in_json() {
		let json =
			serde_json::to_value(GenesisConfig::<Test> { hosts: vec![genesis_host(ALICE, &[0])] })
				.expect("serialises");
		let mut typo = json.clone();
		typo["hosts"][0]["stake"] = 100.into();
		assert!(serde_json::from_value::<GenesisConfig<Test>>(typo).is_err());
		let mut gpu_typo = json.clone();
		gpu_typo["hosts"][0]["hardware"][0]["vram"] = 1.into();
		assert!(serde_json::from_value::<GenesisConfig<Test>>(gpu_typo).is_err());
		assert!(serde_json::from_value::<GenesisConfig<Test>>(json).is_ok());
	}

	#[test]
	#[should_panic(expected = "genesis host 1 (2) cannot be registered")]
	fn panics_on_an_unknown_model() {
		ExtBuilder::default()
			.with_genesis_hosts([genesis_host(ALICE, &[0]), genesis_host(BOB, &[9])])
			.build();
	}

	#[test]
	#[should_panic(expected = "genesis host 0 (1) cannot be registered")]
	fn panics_on_a_deprecated_model() {
		ExtBuilder::default().with_genesis_hosts([genesis_host(ALICE, &[3])]).build();
	}

	#[test]
	#[should_panic(expected = "genesis host 0 (99) cannot be registered")]
	fn panics_on_an_account_without_funds() {
		ExtBuilder::default().with_genesis_hosts([genesis_host(NOBODY, &[0])]).build();
	}

	#[test]
	#[should_panic(expected = "genesis host 1 (1) cannot be registered")]
	fn panics_on_a_duplicate_account() {
		ExtBuilder::default()
			.with_genesis_hosts([genesis_host(ALICE, &[0]), genesis_host(ALICE, &[1])])
			.build();
	}

	#[test]
	fn every_invalid_host_panics_naming_its_error() {
		let three_on_model_0 = || [ALICE, BOB, CHARLIE].map(|who| genesis_host(who, &[0]));
		let cases: Vec<(Vec<GenesisHost<Test>>, &str)> = vec![
			(vec![genesis_host(ALICE, &[9])], "UnknownModel"),
			(vec![genesis_host(ALICE, &[0, 3])], "ModelNotActive"),
			(vec![genesis_host(ALICE, &[4])], "ModelNotActive"),
			(vec![genesis_host(ALICE, &[])], "NoServedModels"),
			(vec![genesis_host(ALICE, &[1, 1])], "DuplicateModel"),
			(vec![host_with(ALICE, hardware_of(vec![]), &[0], 100)], "EmptyHardware"),
			(
				vec![host_with(ALICE, hardware_of(vec![gpu("H100", 0, 1)]), &[0], 100)],
				"InvalidHardware",
			),
			(
				vec![GenesisHost { endpoint: endpoint("has space"), ..genesis_host(ALICE, &[0]) }],
				"InvalidEndpoint",
			),
			(vec![host_with(ALICE, hardware(), &[0], MinHostBond::get() - 1)], "BondTooLow"),
			(vec![genesis_host(NOBODY, &[0])], "InsufficientBalance"),
			(vec![genesis_host(POOR, &[0])], "InsufficientBalance"),
			(vec![host_with(ALICE, hardware(), &[0], ENDOWMENT)], "InsufficientBalance"),
			(vec![genesis_host(ALICE, &[0]), genesis_host(ALICE, &[1])], "AlreadyRegistered"),
			(
				three_on_model_0().into_iter().chain([genesis_host(DAVE, &[0])]).collect(),
				"TooManyHostsForModel",
			),
			(
				(ALICE..=GRACE).map(|who| genesis_host(who, &[(who % 3) as ModelId])).collect(),
				"TooManyHosts",
			),
		];
		for (hosts, error) in cases {
			let last = hosts.len() - 1;
			let account = hosts[last].account;
			let message = genesis_panic(hosts).unwrap_or_else(|| panic!("{error}: genesis built"));
			assert!(
				message
					.starts_with(&format!("genesis host {last} ({account}) cannot be registered")),
				"{error}: {message}"
			);
			assert!(message.contains(&format!("\"{error}\"")), "{error}: {message}");
		}
	}
}

mod runtime_api {
	use super::*;
	use daya_primitives::runtime_api::{GpuView, HostView};

	/// The view of a host registered by [`register`] at block 1 serving `models`, never changed.
	fn registered_view(models: &[u32]) -> HostView<Balance, u64> {
		HostView {
			endpoint: b"https://gpu.example.org".to_vec(),
			hardware: vec![GpuView { name: b"H100".to_vec(), vram_mib: 81_920, count: 1 }],
			served_models: models.to_vec(),
			bond: MinHostBond::get(),
			status: HostStatus::Active,
			reputation: InitialReputation::get(),
			capacity_weight: 81_920,
			executor_kind: ExecutorKind::Full,
			registered_at: 1,
		}
	}

	#[test]
	fn host_shows_every_field() {
		ExtBuilder::default().with_host(ALICE, &[0, 2]).build_and_execute(|| {
			assert_eq!(Compute::api_host(ALICE), Some(registered_view(&[0, 2])));
			assert_eq!(Compute::api_host(ALICE), Compute::host(&ALICE).map(|info| info.view()));

			// given: a host with two kinds of GPU, a bigger bond and a changed reputation
			let mixed = hardware_of(vec![gpu("RTX4090", 24_576, 2), gpu("T4", 16_384, 1)]);
			assert_ok!(register_with(BOB, mixed, &[1], 250));
			Compute::record_miss(&BOB);

			// then
			assert_eq!(
				Compute::api_host(BOB),
				Some(HostView {
					hardware: vec![
						GpuView { name: b"RTX4090".to_vec(), vram_mib: 24_576, count: 2 },
						GpuView { name: b"T4".to_vec(), vram_mib: 16_384, count: 1 },
					],
					bond: 250,
					reputation: Perbill::from_percent(40),
					capacity_weight: 65_536,
					..registered_view(&[1])
				})
			);
		});
	}

	#[test]
	fn host_is_none_for_strangers() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			assert_eq!(Compute::api_host(BOB), None);
			assert_eq!(Compute::api_host(NOBODY), None);
		});
	}

	#[test]
	fn host_shows_every_status() {
		ExtBuilder::default()
			.with_host(ALICE, &[0])
			.with_host(BOB, &[0])
			.with_host(CHARLIE, &[0])
			.build_and_execute(|| {
				let status = |who| Compute::api_host(who).map(|view| view.status);
				assert_eq!(status(ALICE), Some(HostStatus::Active));

				// when
				assert_ok!(Compute::chill(RuntimeOrigin::signed(ALICE)));
				Compute::jail(&BOB, 5);
				assert_ok!(Compute::unbond(RuntimeOrigin::signed(CHARLIE)));

				// then
				assert_eq!(status(ALICE), Some(HostStatus::Chilled));
				assert_eq!(status(BOB), Some(HostStatus::Jailed { until: 6 }));
				assert_eq!(status(CHARLIE), Some(HostStatus::Leaving { unlock_at: 11 }));

				// and a withdrawn host is gone
				run_to_block(11);
				assert_ok!(Compute::withdraw_unbonded(RuntimeOrigin::signed(CHARLIE)));
				assert_eq!(Compute::api_host(CHARLIE), None);
			});
	}

	#[test]
	fn host_shows_genesis_hosts() {
		ExtBuilder::default()
			.with_genesis_hosts([crate::mock::genesis_host(ALICE, &[1])])
			.build_and_execute(|| {
				assert_eq!(
					Compute::api_host(ALICE),
					Some(HostView { registered_at: 0, ..registered_view(&[1]) })
				);
			});
	}

	#[test]
	fn hosts_by_model_lists_the_active_hosts_in_index_order() {
		ExtBuilder::default()
			.with_host(ALICE, &[0, 1])
			.with_host(BOB, &[0])
			.with_host(CHARLIE, &[0, 2])
			.build_and_execute(|| {
				assert_eq!(Compute::api_hosts_by_model(0), vec![ALICE, BOB, CHARLIE]);
				assert_eq!(Compute::api_hosts_by_model(1), vec![ALICE]);
				assert_eq!(Compute::api_hosts_by_model(2), vec![CHARLIE]);

				// inactive hosts are left out, whatever the reason
				assert_ok!(Compute::chill(RuntimeOrigin::signed(ALICE)));
				Compute::jail(&CHARLIE, 5);
				assert_eq!(Compute::api_hosts_by_model(0), vec![BOB]);
				assert_eq!(Compute::api_hosts_by_model(1), Vec::<AccountId>::new());
				assert_eq!(Compute::api_hosts_by_model(2), Vec::<AccountId>::new());

				// models without hosts, and unknown ones, have none
				assert_eq!(Compute::api_hosts_by_model(3), Vec::<AccountId>::new());
				assert_eq!(Compute::api_hosts_by_model(99), Vec::<AccountId>::new());
			});
	}
}

#[test]
fn hosts_page_walks_the_registry_with_active_capacity() {
	ExtBuilder::default()
		.with_host(ALICE, &[0])
		.with_host(BOB, &[0])
		.with_host(CHARLIE, &[0])
		.build_and_execute(|| {
			assert_ok!(Compute::chill(RuntimeOrigin::signed(BOB)));
			let mut seen = Vec::new();
			let mut after = None;
			loop {
				let page = <Compute as HostRegistry<_, _, _>>::hosts_page(after.as_ref(), 2);
				let done = page.len() < 2;
				after = page.last().map(|(who, _)| *who);
				seen.extend(page);
				if done {
					break;
				}
			}
			seen.sort();
			assert_eq!(seen, vec![(ALICE, 81_920), (BOB, 0), (CHARLIE, 81_920)]);
			assert!(<Compute as HostRegistry<_, _, _>>::hosts_page(None, 0).is_empty());
		});
}

#[test]
fn the_capacity_meter_averages_the_effective_weight_over_time() {
	ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
		let take = || <Compute as HostRegistry<_, _, _>>::take_average_capacity(&ALICE);
		// Active from block 1 to 11, chilled from 11 to 21: half of 81,920 on average.
		run_to_block(11);
		assert_ok!(Compute::chill(RuntimeOrigin::signed(ALICE)));
		run_to_block(21);
		assert_eq!(take(), 40_960);
		// Read again in the same block: what it holds now.
		assert_eq!(take(), 0);
		// A new reading starts at the last: active throughout since.
		assert_ok!(Compute::unchill(RuntimeOrigin::signed(ALICE)));
		run_to_block(31);
		assert_eq!(take(), 81_920);
		// Jailed for 3 of the next 4 blocks.
		run_to_block(32);
		<Compute as HostRegistry<_, _, _>>::jail(&ALICE, 3);
		run_to_block(35);
		assert_ok!(Compute::unchill(RuntimeOrigin::signed(ALICE)));
		assert_eq!(take(), 81_920 / 4);
		assert_eq!(<Compute as HostRegistry<_, _, _>>::take_average_capacity(&BOB), 0);
	});
}

/// Storage version 0 to 1: the hosts' capacity weight and proven flag become one `Capacity`.
mod migration_to_v1 {
	use super::*;
	use crate::migrations::v1::{HostInfoV0, MigrateToV1, OldHosts};
	use polkadot_sdk::frame_support::traits::{
		GetStorageVersion, OnRuntimeUpgrade, StorageVersion,
	};

	/// Puts every host record back in the version 0 layout and the storage version at 0, as a
	/// chain of the previous runtime keeps them; returns the records as they were.
	fn back_to_v0() -> Vec<(AccountId, HostInfo<Test>)> {
		let records: Vec<_> = Hosts::<Test>::iter().collect();
		for (who, info) in &records {
			OldHosts::<Test>::insert(who, HostInfoV0::from(info.clone()));
		}
		StorageVersion::new(0).put::<Compute>();
		records
	}

	#[test]
	fn a_new_chain_starts_at_version_1() {
		new_test_ext().execute_with(|| {
			assert_eq!(Compute::on_chain_storage_version(), 1);
			assert_eq!(Compute::in_code_storage_version(), 1);
		});
	}

	#[test]
	fn rewrites_every_host_and_keeps_what_it_holds() {
		ExtBuilder::default()
			.with_host(ALICE, &[0])
			.with_host(BOB, &[0, 1])
			.with_host(CHARLIE, &[1])
			.build_and_execute(|| {
				assert_ok!(Compute::chill(RuntimeOrigin::signed(BOB)));
				let before = back_to_v0();
				// The version 0 layout is not version 1's: read as version 1 it is garbage.
				for (who, info) in &before {
					assert_ne!(Hosts::<Test>::get(who).as_ref(), Some(info));
				}
				let weight = MigrateToV1::<Test>::on_runtime_upgrade();
				assert_eq!(Compute::on_chain_storage_version(), 1);
				assert_eq!(Hosts::<Test>::iter().collect::<Vec<_>>(), before);
				assert_eq!(Hosts::<Test>::count(), 3);
				for (who, info) in &before {
					assert_eq!(held(*who), info.bond, "the bond stays held");
				}
				// Reads and writes of the three records and the storage version.
				assert_eq!(
					weight,
					<Test as polkadot_sdk::frame_system::Config>::DbWeight::get()
						.reads_writes(3 * 2 + 1, 3 + 1)
				);
			});
	}

	#[test]
	fn the_flag_chooses_proven_or_declared() {
		new_test_ext().execute_with(|| {
			register(ALICE, &[0]).expect("a valid registration");
			let mut old = HostInfoV0::from(Hosts::<Test>::get(ALICE).expect("a host"));
			old.capacity_weight = 600;
			old.capacity_proven = true;
			OldHosts::<Test>::insert(ALICE, old.clone());
			StorageVersion::new(0).put::<Compute>();
			MigrateToV1::<Test>::on_runtime_upgrade();
			let new = Hosts::<Test>::get(ALICE).expect("a host");
			assert_eq!(new.capacity, Capacity::Proven(600));
			assert_eq!(HostInfoV0::from(new), old);
		});
	}

	#[test]
	fn runs_once() {
		ExtBuilder::default().with_host(ALICE, &[0]).build_and_execute(|| {
			let records: Vec<_> = Hosts::<Test>::iter().collect();
			// At version 1 already: nothing is touched, only the version read.
			let weight = MigrateToV1::<Test>::on_runtime_upgrade();
			assert_eq!(
				weight,
				<Test as polkadot_sdk::frame_system::Config>::DbWeight::get().reads(1)
			);
			assert_eq!(Hosts::<Test>::iter().collect::<Vec<_>>(), records);
		});
	}

	#[test]
	fn an_undecodable_record_is_kept_not_dropped() {
		new_test_ext().execute_with(|| {
			register(ALICE, &[0]).expect("a valid registration");
			register(BOB, &[0]).expect("a valid registration");
			back_to_v0();
			let key = Hosts::<Test>::hashed_key_for(BOB);
			sp_io::storage::set(&key, &[7, 7, 7]);
			MigrateToV1::<Test>::on_runtime_upgrade();
			assert!(Hosts::<Test>::get(ALICE).is_some());
			assert_eq!(sp_io::storage::get(&key).as_deref(), Some(&[7u8, 7, 7][..]));
			assert_eq!(Hosts::<Test>::count(), 2);
			assert_eq!(held(BOB), MinHostBond::get(), "its bond stays held");
		});
	}

	/// The migration as `try-runtime` runs it: version 0's records read before, compared after,
	/// and the pallet's invariants checked.
	#[cfg(feature = "try-runtime")]
	#[test]
	fn passes_its_try_runtime_checks() {
		ExtBuilder::default()
			.with_host(ALICE, &[0])
			.with_host(BOB, &[0, 1])
			.build_and_execute(|| {
				back_to_v0();
				assert_ok!(MigrateToV1::<Test>::try_on_runtime_upgrade(true));
				assert_eq!(Compute::on_chain_storage_version(), 1);
			});
	}

	/// A record the migration cannot read fails the pre-upgrade check.
	#[cfg(feature = "try-runtime")]
	#[test]
	fn try_runtime_catches_an_undecodable_record() {
		new_test_ext().execute_with(|| {
			register(ALICE, &[0]).expect("a valid registration");
			back_to_v0();
			sp_io::storage::set(&Hosts::<Test>::hashed_key_for(ALICE), &[1]);
			assert!(MigrateToV1::<Test>::try_on_runtime_upgrade(true).is_err());
		});
	}
}
