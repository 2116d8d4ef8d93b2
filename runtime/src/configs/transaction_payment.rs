//! `pallet_transaction_payment`: fees for weight and length, paid in DAYA.

use polkadot_sdk::*;

use frame_support::{
	parameter_types,
	traits::ConstU8,
	weights::{ConstantMultiplier, IdentityFee},
};

use crate::{Balance, Balances, Runtime, RuntimeEvent, MICRO_UNIT};

parameter_types! {
	/// Fee per byte of a transaction.
	pub const TransactionByteFee: Balance = 10 * MICRO_UNIT;
}

impl pallet_transaction_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	// Fees are burned for now; the treasury takes them once it is part of the runtime.
	type OnChargeTransaction = pallet_transaction_payment::FungibleAdapter<Balances, ()>;
	/// One unit of reference time (a picosecond) costs the smallest unit of DAYA: a transfer
	/// costs on the order of 0.0002 DAYA.
	type WeightToFee = IdentityFee<Balance>;
	type LengthToFee = ConstantMultiplier<Balance, TransactionByteFee>;
	type FeeMultiplierUpdate = ();
	type OperationalFeeMultiplier = ConstU8<5>;
	type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
}
