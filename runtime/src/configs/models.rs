//! `pallet_daya_models`: the registry of the AI models the network serves.
//!
//! Changes go through [`GovernanceOrigin`]: a referendum on the model-registry track, a majority
//! of the model council, or root (sudo on the dev chain).

use polkadot_sdk::*;

use frame_support::{parameter_types, traits::EitherOfDiverse};
use frame_system::EnsureRoot;

use super::{governance::origins::ModelRegistry, CouncilCollective};
use crate::{AccountId, Balances, Runtime};

parameter_types! {
	/// Models ever registered (retired ones included: ids are never reused).
	pub const MaxModels: u32 = 256;
	/// Longest model name, e.g. `llama-3.1-8b-instruct`.
	pub const MaxModelNameLen: u32 = 64;
	/// Longest weights source URI, e.g. `hf://org/name@commit`.
	pub const MaxModelSourceLen: u32 = 256;
	/// Longest engine hint, e.g. `llama`.
	pub const MaxEngineLen: u32 = 32;
}

/// Who may register, update, reprice, deprecate and retire models: a referendum passed on the
/// model-registry track (token holders), more than half of the model council (a motion that
/// passed: the fast path), or root.
pub type GovernanceOrigin = EitherOfDiverse<
	EitherOfDiverse<EnsureRoot<AccountId>, ModelRegistry>,
	pallet_collective::EnsureProportionMoreThan<AccountId, CouncilCollective, 1, 2>,
>;

impl pallet_daya_models::Config for Runtime {
	type Currency = Balances;
	type GovernanceOrigin = GovernanceOrigin;
	type MaxModels = MaxModels;
	type MaxNameLen = MaxModelNameLen;
	type MaxSourceLen = MaxModelSourceLen;
	type MaxEngineLen = MaxEngineLen;
	type WeightInfo = pallet_daya_models::weights::SubstrateWeight<Runtime>;
}
