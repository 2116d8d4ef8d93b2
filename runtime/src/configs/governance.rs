//! OpenGov, token-holder governance: `pallet_preimage` (calls to decide, stored with a deposit),
//! `pallet_scheduler` (enactment), `pallet_referenda` (one referendum per proposal, on a track
//! named by the origin it asks for) and `pallet_conviction_voting` (votes weighted by how long
//! the voter locks the tokens).
//!
//! Any token holder submits a referendum with a deposit, and anyone places its decision deposit;
//! holders vote with conviction (0.1x for no lock, 1x to 6x for locks of 1 to 32 lock periods).
//! Tracks ([`tracks`]): root (runtime upgrades, parameters), the model registry (its origin
//! [`origins::Origin::ModelRegistry`] is one of [`super::GovernanceOrigin`]'s), the treasury.
//! See `docs/governance.md`.

pub mod origins;
pub mod tracks;

use polkadot_sdk::*;

use frame_support::{
	parameter_types,
	traits::{
		fungible::HoldConsideration, tokens::currency::ActiveIssuanceOf, ConstU32,
		EqualPrivilegeOnly, LinearStoragePrice,
	},
	weights::Weight,
};
use frame_system::{EnsureRoot, EnsureSigned};
use sp_runtime::Perbill;

use super::RuntimeBlockWeights;
use crate::{
	AccountId, Balance, Balances, OriginCaller, Preimage, Referenda, Runtime, RuntimeCall,
	RuntimeEvent, RuntimeHoldReason, RuntimeOrigin, Scheduler, System, Treasury, DAYS, UNIT,
};

impl origins::pallet_custom_origins::Config for Runtime {}

parameter_types! {
	/// A preimage's deposit: 1 DAYA, plus 0.1 milli-DAYA per byte.
	pub const PreimageBaseDeposit: Balance = UNIT;
	pub const PreimageByteDeposit: Balance = UNIT / 10_000;
	pub const PreimageHoldReason: RuntimeHoldReason =
		RuntimeHoldReason::Preimage(pallet_preimage::HoldReason::Preimage);
}

impl pallet_preimage::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = pallet_preimage::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	type ManagerOrigin = EnsureRoot<AccountId>;
	type Consideration = HoldConsideration<
		AccountId,
		Balances,
		PreimageHoldReason,
		LinearStoragePrice<PreimageBaseDeposit, PreimageByteDeposit, Balance>,
	>;
}

parameter_types! {
	/// Scheduled calls may use 80% of a block.
	pub MaximumSchedulerWeight: Weight =
		Perbill::from_percent(80) * RuntimeBlockWeights::get().max_block;
}

impl pallet_scheduler::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeOrigin = RuntimeOrigin;
	type PalletsOrigin = OriginCaller;
	type RuntimeCall = RuntimeCall;
	type MaximumWeight = MaximumSchedulerWeight;
	// Only referenda (through their own pallet) and root schedule.
	type ScheduleOrigin = EnsureRoot<AccountId>;
	type OriginPrivilegeCmp = EqualPrivilegeOnly;
	type MaxScheduledPerBlock = ConstU32<50>;
	type WeightInfo = pallet_scheduler::weights::SubstrateWeight<Runtime>;
	type Preimages = Preimage;
	type BlockNumberProvider = System;
}

parameter_types! {
	/// A vote with conviction 1x locks for a week; 6x, for 32 weeks.
	pub const VoteLockingPeriod: crate::BlockNumber = 7 * DAYS;
}

impl pallet_conviction_voting::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = pallet_conviction_voting::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	type Polls = Referenda;
	// Support is measured against the active issuance (what is not held by the treasury or
	// otherwise inactive).
	type MaxTurnout = ActiveIssuanceOf<Balances, AccountId>;
	type MaxVotes = ConstU32<512>;
	type VoteLockingPeriod = VoteLockingPeriod;
	type BlockNumberProvider = System;
	type VotingHooks = ();
}

parameter_types! {
	/// What submitting a referendum holds (returned once it is decided, unless killed).
	pub const SubmissionDeposit: Balance = 10 * UNIT;
	/// A referendum that finds no decision deposit for two weeks times out.
	pub const UndecidingTimeout: crate::BlockNumber = 14 * DAYS;
}

impl pallet_referenda::Config for Runtime {
	type RuntimeCall = RuntimeCall;
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = pallet_referenda::weights::SubstrateWeight<Runtime>;
	type Scheduler = Scheduler;
	type Currency = Balances;
	// Any token holder may propose.
	type SubmitOrigin = EnsureSigned<AccountId>;
	type CancelOrigin = EnsureRoot<AccountId>;
	type KillOrigin = EnsureRoot<AccountId>;
	// A killed referendum's deposits go to the treasury.
	type Slash = Treasury;
	type Votes = Balance;
	type Tally = pallet_conviction_voting::TallyOf<Runtime>;
	type SubmissionDeposit = SubmissionDeposit;
	type MaxQueued = ConstU32<100>;
	type UndecidingTimeout = UndecidingTimeout;
	type AlarmInterval = ConstU32<1>;
	type Tracks = tracks::TracksInfo;
	type Preimages = Preimage;
	type BlockNumberProvider = System;
}
