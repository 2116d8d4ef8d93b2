//! A mock runtime: `System` and `Randomness`, with the relay parent a test sets.

use crate::{self as pallet_daya_randomness, RelayParent, RelaySource};
use polkadot_sdk::{
	frame_support::{self, derive_impl},
	frame_system,
	sp_io::TestExternalities,
	sp_runtime::BuildStorage,
};
use std::cell::RefCell;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Test;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;

	#[runtime::pallet_index(1)]
	pub type Randomness = pallet_daya_randomness;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = frame_system::mocking::MockBlock<Test>;
	type PostInherents = Randomness;
}

thread_local! {
	static RELAY: RefCell<Option<RelayParent>> = const { RefCell::new(None) };
}

/// The relay parent the next blocks see.
pub fn set_relay(relay: Option<RelayParent>) {
	RELAY.with(|r| *r.borrow_mut() = relay);
}

/// The relay data a test set.
pub struct MockRelay;

impl RelaySource for MockRelay {
	fn relay_parent() -> Option<RelayParent> {
		RELAY.with(|r| *r.borrow())
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn prepare_benchmark() {
		set_relay(Some(RelayParent { number: 1, randomness: Some([7; 32]) }));
	}
}

impl pallet_daya_randomness::Config for Test {
	type Relay = MockRelay;
	type WeightInfo = ();
}

/// Externalities at block 1, with no relay data.
pub fn new_test_ext() -> TestExternalities {
	set_relay(None);
	let storage = frame_system::GenesisConfig::<Test>::default()
		.build_storage()
		.expect("the mock's genesis builds");
	let mut ext = TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}
