//! `cumulus_pallet_parachain_system`, `parachain_info` and `cumulus_pallet_aura_ext`: what makes
//! this runtime a parachain validated by the relay chain.
//!
//! Daya sends and receives no XCM yet: downward and horizontal messages are not routed anywhere.
//! XCM (message queue, XCMP queue, `pallet_xcm`) takes pallet indices 30..=39 when it comes.

use polkadot_sdk::*;

use frame_support::traits::ConstU32;

use crate::{ConsensusHook, ParachainInfo, Runtime, RuntimeEvent};

impl cumulus_pallet_parachain_system::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type OnSystemEvent = ();
	type SelfParaId = ParachainInfo;
	type OutboundXcmpMessageSource = ();
	type DmpQueue = frame_support::traits::EnqueueWithOrigin<(), sp_core::ConstU8<0>>;
	type ReservedDmpWeight = ();
	type XcmpMessageHandler = ();
	type ReservedXcmpWeight = ();
	type CheckAssociatedRelayNumber =
		cumulus_pallet_parachain_system::RelayNumberMonotonicallyIncreases;
	type WeightInfo = cumulus_pallet_parachain_system::weights::SubstrateWeight<Runtime>;
	type ConsensusHook = ConsensusHook;
	type RelayParentOffset = ConstU32<0>;
	// V3 candidate scheduling stays off until collators and the relay chain support it.
	type SchedulingSignatureVerifier = ();
}

impl crate::parachain_info::Config for Runtime {}

impl cumulus_pallet_aura_ext::Config for Runtime {}
