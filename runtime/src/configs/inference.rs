//! `pallet_daya_inference`: the job market, and the relay-chain randomness it draws from.

use polkadot_sdk::*;

use codec::Encode;
use cumulus_pallet_parachain_system::{RelayChainStateProof, RelayStateProof, ValidationData};
use cumulus_primitives_core::relay_chain::well_known_keys;
use frame_support::{parameter_types, traits::Randomness, PalletId};
use sp_core::H256;
use sp_runtime::{traits::AccountIdConversion, Perbill};

use crate::{
	AccountId, Balances, BlockNumber, Compute, Emission, Models, ParachainInfo, Runtime,
	RuntimeHoldReason, System, DAYS, MINUTES,
};

parameter_types! {
	/// The job market's account, through which slashes are shared out (empty between calls).
	pub const InferencePalletId: PalletId = PalletId(*b"daya/inf");
	/// The treasury's account: the one `pallet-treasury` uses, so that it takes over the fees
	/// collected until then.
	pub TreasuryAccount: AccountId = PalletId(*b"py/trsry").into_account_truncating();
	/// The treasury's share of every job's fee.
	pub const ProtocolFee: Perbill = Perbill::from_percent(5);
	/// Largest prompt: 64 KiB (and as many prompt tokens at most).
	pub const MaxPayloadLen: u32 = 64 * 1024;
	/// Largest output: 64 KiB.
	pub const MaxOutputLen: u32 = 64 * 1024;
	/// Two minutes for an executor to deliver.
	pub const ExecutionPeriod: BlockNumber = 2 * MINUTES;
	/// Two minutes for validators to re-score.
	pub const ValidationPeriod: BlockNumber = 2 * MINUTES;
	/// Even the most trusted host has one result in twenty checked.
	pub const MinSampleRate: Perbill = Perbill::from_percent(5);
	/// A dispute is decided by three more validators.
	pub const DisputeValidators: u32 = 3;
	/// Confirmed fraud costs a fifth of the bond...
	pub const FraudSlash: Perbill = Perbill::from_percent(20);
	/// ... and a week in jail.
	pub const FraudJail: BlockNumber = 7 * DAYS;
	/// A wrong accusation costs the accuser 2% of its bond, paid to the executor.
	pub const FalseAccusationSlash: Perbill = Perbill::from_percent(2);
	/// Open jobs per consumer.
	pub const MaxOpenJobsPerAccount: u32 = 64;
	/// Open jobs in all.
	pub const MaxOpenJobs: u32 = 100_000;
	/// Steps timing out in one block.
	pub const MaxDeadlinesPerBlock: u32 = 512;
	/// Results one block takes.
	pub const MaxResultsPerBlock: u32 = 256;
	/// A finished job's outcome stays queryable for a day...
	pub const OutcomeRetention: BlockNumber = DAYS;
	/// ... up to this many outcomes.
	pub const MaxOutcomes: u32 = 100_000;
}

/// Randomness from the relay chain: the BABE VRF output of the relay parent (the relay chain's
/// per-block randomness, read from the relay state proof that every parachain block carries),
/// mixed with this chain's parent block hash and the subject.
///
/// Outside a relay chain (a dev chain with mocked validation data, whose mock carries no
/// per-block randomness), the relay's one-epoch-ago randomness or nothing stands in, and the
/// parent hash is what makes draws unpredictable. See the inference pallet's docs for what a
/// collator could bias.
pub struct RelayRandomness;

impl RelayRandomness {
	/// The relay parent's per-block randomness, or its one-epoch-ago randomness, from the relay
	/// state proof of this block; `None` before the validation data is set or without either.
	fn relay_randomness() -> Option<[u8; 32]> {
		let proof = RelayStateProof::<Runtime>::get()?;
		let data = ValidationData::<Runtime>::get()?;
		let relay = RelayChainStateProof::new(
			ParachainInfo::parachain_id(),
			data.relay_parent_storage_root,
			proof,
		)
		.ok()?;
		let current = relay
			.read_optional_entry::<Option<[u8; 32]>>(well_known_keys::CURRENT_BLOCK_RANDOMNESS)
			.ok()
			.flatten()
			.flatten();
		current.or_else(|| {
			relay
				.read_optional_entry::<[u8; 32]>(well_known_keys::ONE_EPOCH_AGO_RANDOMNESS)
				.ok()
				.flatten()
		})
	}
}

impl Randomness<H256, BlockNumber> for RelayRandomness {
	fn random(subject: &[u8]) -> (H256, BlockNumber) {
		let relay = Self::relay_randomness().unwrap_or_default();
		let parent = System::parent_hash();
		let seed = sp_io::hashing::blake2_256(&(relay, parent, subject).encode());
		(H256(seed), System::block_number())
	}
}

impl pallet_daya_inference::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Models = Models;
	type Hosts = Compute;
	type Work = Emission;
	type Randomness = RelayRandomness;
	type PalletId = InferencePalletId;
	type Treasury = TreasuryAccount;
	type ProtocolFee = ProtocolFee;
	type MaxPayloadLen = MaxPayloadLen;
	type MaxOutputLen = MaxOutputLen;
	type ExecutionPeriod = ExecutionPeriod;
	type ValidationPeriod = ValidationPeriod;
	type MinSampleRate = MinSampleRate;
	type DisputeValidators = DisputeValidators;
	type FraudSlash = FraudSlash;
	type FraudJail = FraudJail;
	type FalseAccusationSlash = FalseAccusationSlash;
	type MaxOpenJobsPerAccount = MaxOpenJobsPerAccount;
	type MaxOpenJobs = MaxOpenJobs;
	type MaxDeadlinesPerBlock = MaxDeadlinesPerBlock;
	type MaxResultsPerBlock = MaxResultsPerBlock;
	type OutcomeRetention = OutcomeRetention;
	type MaxOutcomes = MaxOutcomes;
	type OffchainWorker = super::HostWorker;
	type WeightInfo = pallet_daya_inference::weights::SubstrateWeight<Runtime>;
}
