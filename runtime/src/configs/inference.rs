//! `pallet_daya_inference`: the job market.

use polkadot_sdk::*;

use frame_support::{parameter_types, PalletId};
use sp_runtime::{traits::AccountIdConversion, Perbill};

use crate::{
	AccountId, Balances, BlockNumber, Compute, Emission, Models, Randomness, Runtime,
	RuntimeHoldReason, DAYS, HOURS, MINUTES,
};

parameter_types! {
	/// The job market's account, through which slashes are shared out (empty between calls).
	pub const InferencePalletId: PalletId = PalletId(*b"daya/inf");
	/// The treasury's account: the one `pallet-treasury` uses, so that it takes over the fees
	/// collected until then.
	pub TreasuryAccount: AccountId = PalletId(*b"py/trsry").into_account_truncating();
	/// The share of every job's fee that is not the executor's: the treasury's, or the
	/// validator's when the result is checked.
	pub const ProtocolFee: Perbill = Perbill::from_percent(5);
	/// What checking a result pays its validator: all of the job's protocol fee (a prefill of
	/// the job's tokens, which on a GPU costs about 7% of generating them, for 5% of the fee;
	/// a checked result also takes nothing to the treasury).
	pub const ValidatorPay: Perbill = Perbill::from_percent(5);
	/// Largest prompt: 64 KiB (and as many prompt tokens at most).
	pub const MaxPayloadLen: u32 = 64 * 1024;
	/// Largest output: 64 KiB.
	pub const MaxOutputLen: u32 = 64 * 1024;
	/// Output ids of one job: 16 KiB of ids and 128 fingerprints at most.
	pub const MaxOutputTokens: u32 = 4_096;
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
	/// A verdict owed and not given costs the validator 1% of its bond, to the treasury.
	pub const SilenceSlash: Perbill = Perbill::from_percent(1);
	/// An accused result waits up to an hour for enough hosts to staff its dispute.
	pub const DisputeStaffingPeriod: BlockNumber = HOURS;
	/// A dispute is staffed at most three times when silent validators leave it undecided.
	pub const DisputeRounds: u32 = 3;
	/// Open jobs per consumer.
	pub const MaxOpenJobsPerAccount: u32 = 64;
	/// Open jobs in all.
	pub const MaxOpenJobs: u32 = 100_000;
	/// Open jobs in which one host has a part (executes or checks) at once: about 25 times
	/// what each of 10,000 hosts holds when the market is full (100,000 open jobs, each with
	/// an executor and sometimes a validator), so that fast hosts take more than their share.
	pub const MaxOpenJobsPerHost: u32 = 256;
	/// Steps timing out in one block: a job takes one (its execution), a validated one three
	/// (its execution, its validation, its probe's answer), so a bucket of 2,048 keeps up with
	/// 2,048 jobs a block, 682 validated. A full one is worked off over the next blocks within
	/// the hook's share.
	pub const MaxDeadlinesPerBlock: u32 = 2048;
	/// The job market's share of a block for its deadlines and draws (50%: 1 s and 5 MiB of
	/// proof); what does not fit waits for the next blocks. It overlaps the normal class's 60%
	/// (`super::NORMAL_DISPATCH_RATIO`): the hook runs first and gives back what its draws did
	/// not use, and transactions fill what the block has left, so a block of draws carries fewer
	/// transactions and the reverse. At 35% the hook bound unvalidated job lives in batches at 718
	/// a block; at 50% the whole block's proof does (979), and validated lives, bound by the normal
	/// class, are unchanged.
	pub MaxHookWeight: frame_support::weights::Weight =
		Perbill::from_percent(50) * super::MAXIMUM_BLOCK_WEIGHT;
	/// Draws waiting for a later relay block's seed (jobs to assign, results to sample,
	/// accusations to staff): new jobs' in at most half of it, 1,024 a block.
	pub const MaxPendingDraws: u32 = 2048;
	/// A finished job's outcome stays queryable for a day...
	pub const OutcomeRetention: BlockNumber = DAYS;
	/// ... up to this many outcomes.
	pub const MaxOutcomes: u32 = 100_000;
}

/// The proof of validity the node has recorded so far in the block, from cumulus's
/// `storage_proof_size` host function, as the storage-weight reclaim reads it for extrinsics:
/// the job market's draws are charged what they recorded.
pub struct RecordedProof;

impl pallet_daya_inference::ProofSize for RecordedProof {
	fn recorded() -> Option<u64> {
		cumulus_primitives_storage_weight_reclaim::get_proof_size()
	}
}

impl pallet_daya_inference::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Models = Models;
	type Hosts = Compute;
	type Work = Emission;
	type Randomness = Randomness;
	type ProofSize = RecordedProof;
	type PalletId = InferencePalletId;
	type Treasury = TreasuryAccount;
	type ProtocolFee = ProtocolFee;
	type ValidatorPay = ValidatorPay;
	type MaxPayloadLen = MaxPayloadLen;
	type MaxOutputLen = MaxOutputLen;
	type MaxOutputTokens = MaxOutputTokens;
	type ExecutionPeriod = ExecutionPeriod;
	type ValidationPeriod = ValidationPeriod;
	type MinSampleRate = MinSampleRate;
	type DisputeValidators = DisputeValidators;
	type FraudSlash = FraudSlash;
	type FraudJail = FraudJail;
	type FalseAccusationSlash = FalseAccusationSlash;
	type SilenceSlash = SilenceSlash;
	type DisputeStaffingPeriod = DisputeStaffingPeriod;
	type DisputeRounds = DisputeRounds;
	type MaxOpenJobsPerAccount = MaxOpenJobsPerAccount;
	type MaxOpenJobs = MaxOpenJobs;
	type MaxOpenJobsPerHost = MaxOpenJobsPerHost;
	type MaxDeadlinesPerBlock = MaxDeadlinesPerBlock;
	type MaxHookWeight = MaxHookWeight;
	type MaxPendingDraws = MaxPendingDraws;
	type OutcomeRetention = OutcomeRetention;
	type MaxOutcomes = MaxOutcomes;
	type OffchainWorker = super::HostWorker;
	type WeightInfo = pallet_daya_inference::weights::SubstrateWeight<Runtime>;
}
