//! `pallet_transaction_payment`: fees for weight and length, paid in DAYA, scaled by a multiplier
//! that follows congestion.

use polkadot_sdk::*;

use frame_support::{
	parameter_types,
	traits::ConstU8,
	weights::{ConstantMultiplier, IdentityFee},
};
use pallet_transaction_payment::{Multiplier, TargetedFeeAdjustment};
use sp_runtime::{traits::Bounded, FixedPointNumber, Perquintill};

use crate::{Balance, Balances, Runtime, RuntimeEvent, MICRO_UNIT};

parameter_types! {
	/// Fee per byte of a transaction.
	pub const TransactionByteFee: Balance = 10 * MICRO_UNIT;
	/// The fullness of the normal class the fee multiplier aims for: above it fees rise block by
	/// block, below it they fall (the relay chains' target).
	pub const TargetBlockFullness: Perquintill = Perquintill::from_percent(25);
	/// How fast the multiplier moves: `v` of Substrate's fee adjustment, the relay chains' value.
	/// With every block full it grows by about 1 + v * 0.75 + (v * 0.75)^2 / 2 a block: doubles
	/// in about 12,300 blocks (20 hours at 6 s).
	pub AdjustmentVariable: Multiplier = Multiplier::saturating_from_rational(75, 1_000_000);
	/// The lowest the multiplier falls on an idle chain: a tenth of the weight's fee.
	pub MinimumMultiplier: Multiplier = Multiplier::saturating_from_rational(1, 10u128);
	/// No ceiling: a flood pays ever more for as long as it lasts.
	pub MaximumMultiplier: Multiplier = Bounded::max_value();
}

/// The relay chains' fee adjustment: the multiplier follows the normal class's fullness around
/// [`TargetBlockFullness`], between [`MinimumMultiplier`] and [`MaximumMultiplier`].
pub type SlowAdjustingFeeMultiplier = TargetedFeeAdjustment<
	Runtime,
	TargetBlockFullness,
	AdjustmentVariable,
	MinimumMultiplier,
	MaximumMultiplier,
>;

impl pallet_transaction_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	// Fees are burned for now; the treasury takes them once it is part of the runtime.
	type OnChargeTransaction = pallet_transaction_payment::FungibleAdapter<Balances, ()>;
	/// One unit of reference time (a picosecond) costs the smallest unit of DAYA: a transfer
	/// costs on the order of 0.0002 DAYA at a multiplier of one.
	type WeightToFee = IdentityFee<Balance>;
	type LengthToFee = ConstantMultiplier<Balance, TransactionByteFee>;
	type FeeMultiplierUpdate = SlowAdjustingFeeMultiplier;
	type OperationalFeeMultiplier = ConstU8<5>;
	type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
}
