//! A mock runtime for the model registry's tests: `System`, `Balances` (for the balance type)
//! and `Models`, governed by root.

use crate::{self as pallet_daya_models, ModelName, ModelParams, ModelSource, ModelSpec};
use polkadot_sdk::{
	frame_support::{self, derive_impl, parameter_types, traits::ConstU32},
	frame_system::{self, EnsureRoot},
	pallet_balances,
	sp_io::TestExternalities,
	sp_runtime::BuildStorage,
};

/// Account ids of the mock.
pub type AccountId = u64;
/// Balances of the mock.
pub type Balance = u64;

/// An account that is not governance.
pub const ALICE: AccountId = 1;

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
	pub type Balances = pallet_balances;

	#[runtime::pallet_index(50)]
	pub type Models = pallet_daya_models;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = frame_system::mocking::MockBlock<Test>;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
}

parameter_types! {
	/// Small, so that tests reach the bound.
	pub const MaxModels: u32 = 4;
}

impl pallet_daya_models::Config for Test {
	type Currency = Balances;
	type GovernanceOrigin = EnsureRoot<AccountId>;
	type MaxModels = MaxModels;
	type MaxNameLen = ConstU32<32>;
	type MaxSourceLen = ConstU32<64>;
	type MaxEngineLen = ConstU32<16>;
	type WeightInfo = ();
}

/// Fresh externalities at block 1, with no models (events are only recorded after genesis).
pub fn new_test_ext() -> TestExternalities {
	ExtBuilder::default().build()
}

/// Builds test externalities, runs a test in them, then checks the pallet's invariants.
#[derive(Default)]
pub struct ExtBuilder {
	genesis_models: Vec<ModelParams<Test>>,
}

impl ExtBuilder {
	/// Registers valid models with these names at genesis (ids 0, 1, ..., in this order, after
	/// those given before), from [`params`].
	pub fn with_models(self, names: &[&str]) -> Self {
		self.with_genesis_models(names.iter().map(|model_name| params(model_name)))
	}

	/// Registers these models at genesis (ids 0, 1, ..., in this order, after those given
	/// before), valid or not: building panics on an invalid one.
	pub fn with_genesis_models(
		mut self,
		models: impl IntoIterator<Item = ModelParams<Test>>,
	) -> Self {
		self.genesis_models.extend(models);
		self
	}

	/// The externalities after genesis, at block 1.
	pub fn build(self) -> TestExternalities {
		let storage = RuntimeGenesisConfig {
			models: pallet_daya_models::GenesisConfig { models: self.genesis_models },
			..Default::default()
		}
		.build_storage()
		.expect("the mock's genesis builds");
		let mut ext = TestExternalities::new(storage);
		ext.execute_with(|| System::set_block_number(1));
		ext
	}

	/// Runs `test`, then `Models::do_try_state()`.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		self.build().execute_with(|| {
			Models::do_try_state().expect("invariants hold before the test");
			test();
			Models::do_try_state().expect("invariants hold after the test");
		});
	}
}

/// A valid name.
pub fn name(name: &str) -> ModelName<Test> {
	name.as_bytes().to_vec().try_into().expect("test names fit the bound")
}

/// A valid source.
pub fn source(source: &str) -> ModelSource<Test> {
	source.as_bytes().to_vec().try_into().expect("test sources fit the bound")
}

/// A valid spec of the given version.
pub fn spec(version: u32) -> ModelSpec<Test> {
	ModelSpec {
		version,
		weights_hash: [1; 32],
		tokenizer_hash: [2; 32],
		source: source("hf://meta-llama/Llama-3.1-8B-Instruct@0e9e39f"),
		engine: b"llama".to_vec().try_into().expect("fits the bound"),
		context_length: 8_192,
		max_output_tokens: 2_048,
		max_token_bytes: 16,
		min_vram_mib: 16_384,
		compute_units_per_token: 1_000,
		validation: daya_primitives::ValidationPolicy {
			conclusive_margin_micro: 100_000,
			near_ties_base: 2,
			near_ties_per_kilo: 4,
			fingerprint_tolerance_ppm: 2_000,
		},
	}
}

/// Valid registration parameters for a model called `model_name`.
pub fn params(model_name: &str) -> ModelParams<Test> {
	ModelParams { name: name(model_name), price_per_token: 10, spec: spec(1) }
}
