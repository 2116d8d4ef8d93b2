//! `pallet_treasury`: the network's treasury, which takes the protocol fees of the job market and
//! the treasury's share of every emission epoch, and spends by council majority or by a
//! referendum on the treasury track.

use polkadot_sdk::*;

use frame_support::{
	parameter_types,
	traits::{
		tokens::{PayFromAccount, UnityAssetBalanceConversion},
		EitherOfDiverse,
	},
	PalletId,
};
use frame_system::{EnsureRoot, EnsureWithSuccess};
use sp_runtime::{traits::IdentityLookup, Permill};

use super::{governance::origins::Treasurer, inference::TreasuryAccount, CouncilCollective};
use crate::{AccountId, Balance, Balances, BlockNumber, Runtime, RuntimeEvent, System, DAYS, UNIT};

parameter_types! {
	/// `py/trsry`, the account the job market and the emission pay into.
	pub const TreasuryPalletId: PalletId = PalletId(*b"py/trsry");
	/// Approved spends are paid out once a week.
	pub const SpendPeriod: BlockNumber = 7 * DAYS;
	/// Nothing is burned: unspent funds stay in the treasury.
	pub const Burn: Permill = Permill::zero();
	/// A spend can be claimed for 30 days once it is due.
	pub const PayoutPeriod: BlockNumber = 30 * DAYS;
	/// Spends waiting for payout at once.
	pub const MaxApprovals: u32 = 100;
	/// The most one spend may pay: a million DAYA.
	pub const MaxTreasurySpend: Balance = 1_000_000 * UNIT;
}

/// Root, or more than half of the council.
type CouncilMajority = EitherOfDiverse<
	EnsureRoot<AccountId>,
	pallet_collective::EnsureProportionMoreThan<AccountId, CouncilCollective, 1, 2>,
>;

impl pallet_treasury::Config for Runtime {
	type Currency = Balances;
	type RejectOrigin = CouncilMajority;
	type RuntimeEvent = RuntimeEvent;
	type SpendPeriod = SpendPeriod;
	type Burn = Burn;
	type PalletId = TreasuryPalletId;
	type BurnDestination = ();
	type WeightInfo = pallet_treasury::weights::SubstrateWeight<Runtime>;
	type SpendFunds = ();
	type MaxApprovals = MaxApprovals;
	// Root, the council's majority, or a referendum on the treasury track.
	type SpendOrigin =
		EnsureWithSuccess<EitherOfDiverse<CouncilMajority, Treasurer>, AccountId, MaxTreasurySpend>;
	type AssetKind = ();
	type Beneficiary = AccountId;
	type BeneficiaryLookup = IdentityLookup<AccountId>;
	type Paymaster = PayFromAccount<Balances, TreasuryAccount>;
	type BalanceConverter = UnityAssetBalanceConversion;
	type PayoutPeriod = PayoutPeriod;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ();
	type BlockNumberProvider = System;
}
