//! `pallet_collective` (instance 1): the model council, the first on-chain body that governs the
//! model registry.
//!
//! Council members propose a registry change as a motion, vote, and anyone closes the motion once
//! it has a majority: the call then runs with the council's origin (see
//! [`super::GovernanceOrigin`]). Membership is set by root for now; token-holder referenda are
//! the next step (see `docs/governance.md`).

use polkadot_sdk::*;

use frame_support::{parameter_types, weights::Weight};
use frame_system::EnsureRoot;
use sp_runtime::Perbill;

use super::RuntimeBlockWeights;
use crate::{AccountId, BlockNumber, Runtime, RuntimeCall, RuntimeEvent, RuntimeOrigin, DAYS};

/// The council is the first instance of `pallet_collective`.
pub type CouncilCollective = pallet_collective::Instance1;

parameter_types! {
	/// How long a motion stays open for votes.
	pub const CouncilMotionDuration: BlockNumber = 3 * DAYS;
	/// Motions open at once.
	pub const CouncilMaxProposals: u32 = 100;
	/// Council seats.
	pub const CouncilMaxMembers: u32 = 100;
	/// The most a motion's call may weigh: half a block.
	pub MaxProposalWeight: Weight = Perbill::from_percent(50) * RuntimeBlockWeights::get().max_block;
}

impl pallet_collective::Config<CouncilCollective> for Runtime {
	type RuntimeOrigin = RuntimeOrigin;
	type Proposal = RuntimeCall;
	type RuntimeEvent = RuntimeEvent;
	type MotionDuration = CouncilMotionDuration;
	type MaxProposals = CouncilMaxProposals;
	type MaxMembers = CouncilMaxMembers;
	// Members who do not vote follow the prime member, if there is one.
	type DefaultVote = pallet_collective::PrimeDefaultVote;
	type WeightInfo = pallet_collective::weights::SubstrateWeight<Runtime>;
	type SetMembersOrigin = EnsureRoot<AccountId>;
	type MaxProposalWeight = MaxProposalWeight;
	type DisapproveOrigin = EnsureRoot<AccountId>;
	type KillOrigin = EnsureRoot<AccountId>;
	// No deposit for proposing: only members can propose.
	type Consideration = ();
}
