//! The runtime APIs through which clients (wallets, explorers, executors) read Daya's registries
//! without decoding storage themselves.
//!
//! A runtime implements them in its `impl_runtime_apis!` by forwarding to the pallets' `api_*`
//! functions.

use crate::{
	ExecutorKind, HostStatus, JobId, JobOutcome, JobParams, ModelId, ModelStatus, QuoteError, Usage,
};
use alloc::vec::Vec;
use codec::{Codec, Decode, Encode};
use polkadot_sdk::sp_runtime::Perbill;
use scale_info::TypeInfo;

/// A registered model as the runtime API shows it: its name, terms, current spec and life cycle,
/// with plain vectors in place of the registry's bounded ones, so that it does not depend on a
/// runtime's configuration.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct ModelView<Balance, BlockNumber> {
	/// Unique name: printable ASCII, without spaces.
	pub name: Vec<u8>,
	/// Price a consumer pays per token (prompt and output alike), in the smallest unit.
	pub price_per_token: Balance,
	/// Version of the current spec.
	pub version: u32,
	/// Hash of the weights, which executors must load and validators check against.
	pub weights_hash: [u8; 32],
	/// Hash of the tokenizer, which fixes how tokens are counted and therefore charged.
	pub tokenizer_hash: [u8; 32],
	/// Where executors fetch the weights from.
	pub source: Vec<u8>,
	/// Which inference engine should run the model; empty lets executors decide.
	pub engine: Vec<u8>,
	/// Maximum number of tokens (prompt plus output) of one job.
	pub context_length: u32,
	/// Maximum number of output tokens one job may ask for.
	pub max_output_tokens: u32,
	/// The most bytes one output token adds to a result's text.
	pub max_token_bytes: u32,
	/// Minimum accelerator memory, in MiB, to serve the model; zero for models that run on CPU.
	pub min_vram_mib: u32,
	/// Abstract compute cost of one token.
	pub compute_units_per_token: u32,
	/// How validators judge the model's results.
	pub validation: crate::ValidationPolicy,
	/// Where the model is in its life cycle.
	pub status: ModelStatus,
	/// Block in which the model was registered (zero for models registered at genesis).
	pub registered_at: BlockNumber,
	/// Block of the last change to the model (registration, update, price or status).
	pub updated_at: BlockNumber,
}

polkadot_sdk::sp_api::decl_runtime_apis! {
	/// Read access to the model registry.
	///
	/// `Balance` is the runtime's balance type, in which prices are expressed, and `BlockNumber`
	/// its block number type.
	pub trait ModelsApi<Balance, BlockNumber>
	where
		Balance: Codec,
		BlockNumber: Codec,
	{
		/// Every registered model with its id, retired ones included, by ascending id.
		fn models() -> Vec<(ModelId, ModelView<Balance, BlockNumber>)>;

		/// The model with id `id`, whatever its status; `None` if no such model was ever
		/// registered.
		fn model(id: ModelId) -> Option<ModelView<Balance, BlockNumber>>;

		/// The model named `name`, with its id; `None` if no model has that name.
		fn model_by_name(name: Vec<u8>) -> Option<(ModelId, ModelView<Balance, BlockNumber>)>;
	}
}

/// One kind of GPU in a host, as the runtime API shows it: `count` identical cards of `vram_mib`
/// MiB each.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct GpuView {
	/// The GPU's model name, e.g. `H100-SXM5-80GB`.
	pub name: Vec<u8>,
	/// Memory of one card, in MiB.
	pub vram_mib: u32,
	/// Number of such cards.
	pub count: u32,
}

/// A registered host as the runtime API shows it: where its executor answers, its hardware, the
/// models it serves, its bond and its standing, with plain vectors in place of the registry's
/// bounded ones, so that it does not depend on a runtime's configuration.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct HostView<Balance, BlockNumber> {
	/// Where its executor answers, e.g. `https://gpu1.example.org:8443`.
	pub endpoint: Vec<u8>,
	/// Its declared GPUs, one entry per kind.
	pub hardware: Vec<GpuView>,
	/// The models it serves.
	pub served_models: Vec<ModelId>,
	/// Its bond, held while it is a host, in the smallest unit.
	pub bond: Balance,
	/// Where it is in its life cycle.
	pub status: HostStatus<BlockNumber>,
	/// From zero to one: rises with delivered work, falls with missed work.
	pub reputation: Perbill,
	/// Its weight in host selection, derived from its hardware.
	pub capacity_weight: u64,
	/// What its executor can do, which decides the work it is drawn for.
	pub executor_kind: ExecutorKind,
	/// Block in which it registered (zero for hosts registered at genesis).
	pub registered_at: BlockNumber,
}

polkadot_sdk::sp_api::decl_runtime_apis! {
	/// Read access to the host registry.
	///
	/// `AccountId` is the runtime's account id type, `Balance` its balance type, in which bonds
	/// are expressed, and `BlockNumber` its block number type.
	pub trait HostsApi<AccountId, Balance, BlockNumber>
	where
		AccountId: Codec,
		Balance: Codec,
		BlockNumber: Codec,
	{
		/// The host `who`, whatever its status; `None` if `who` is not a registered host.
		fn host(who: AccountId) -> Option<HostView<Balance, BlockNumber>>;

		/// The active hosts that serve `model`, the ones jobs for it are assigned to, in the
		/// registry's index order; empty for a model without any, or one that does not exist.
		fn hosts_by_model(model: ModelId) -> Vec<AccountId>;
	}
}

/// Where an open job is, as the runtime API shows it.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub enum JobStatusView<AccountId> {
	/// Waiting for the executor's result.
	Assigned,
	/// The result is in; whether it is validated is drawn from the randomness of a later block.
	Delivered,
	/// The result is being checked by one validator.
	Validating {
		/// The validator.
		validator: AccountId,
	},
	/// A validator found a fault in the result; more validators decide.
	Disputed {
		/// The validator that opened the dispute.
		accuser: AccountId,
		/// The validators that decide it.
		validators: Vec<AccountId>,
	},
	/// Submitted, or its executor missed the deadline: its (next) executor is drawn from the
	/// randomness of a later block than the one that put it here.
	Unassigned,
	/// A validator found a fault in the result; the dispute's validators are
	/// drawn from the randomness of a later block than the accusation's.
	Accused {
		/// The validator that found it.
		accuser: AccountId,
	},
	/// A validator passed the result and showed its probe; the executor judges the probe.
	Probing {
		/// The validator.
		validator: AccountId,
	},
}

/// An open job as the runtime API shows it.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct JobView<AccountId, Balance, BlockNumber> {
	/// Who pays for it.
	pub consumer: AccountId,
	/// Its model.
	pub model: ModelId,
	/// BLAKE2-256 of the payload (the prompt), which the offchain index holds under the job id.
	pub payload_hash: [u8; 32],
	/// The most prompt tokens the executor may charge: the payload's length in bytes.
	pub prompt_tokens: u32,
	/// The most output tokens the executor may generate and charge.
	pub max_output_tokens: u32,
	/// Sampling parameters.
	pub params: JobParams,
	/// Price per token, fixed at submission.
	pub price_per_token: Balance,
	/// What is held from the consumer until settlement.
	pub escrow: Balance,
	/// Block of submission.
	pub submitted_at: BlockNumber,
	/// The host that executes it; `None` while it is [`JobStatusView::Unassigned`].
	pub executor: Option<AccountId>,
	/// The block at whose start the current step (execution or validation) times out.
	pub deadline: BlockNumber,
	/// Whether it was reassigned once already, after its first executor missed the deadline.
	pub reassigned: bool,
	/// Where it is.
	pub status: JobStatusView<AccountId>,
	/// BLAKE2-256 of the output, once delivered.
	pub output_hash: Option<[u8; 32]>,
	/// The block whose `submit_result` extrinsic holds the output, once delivered.
	pub delivered_at: Option<BlockNumber>,
	/// The usage the executor reported, once delivered.
	pub usage: Option<Usage>,
}

/// What a host is asked to do for a job.
#[derive(Encode, Decode, TypeInfo, Clone, Copy, PartialEq, Eq, Debug)]
pub enum WorkKind {
	/// Execute the job and submit its result.
	Execute,
	/// Re-score the executor's output and submit a verdict.
	Validate,
}

polkadot_sdk::sp_api::decl_runtime_apis! {
	/// Read access to the job market.
	///
	/// `AccountId`, `Balance` and `BlockNumber` are the runtime's types.
	pub trait InferenceApi<AccountId, Balance, BlockNumber>
	where
		AccountId: Codec,
		Balance: Codec,
		BlockNumber: Codec,
	{
		/// The open job `id`; `None` once it ended (see `outcome`) or if it never existed.
		fn job(id: JobId) -> Option<JobView<AccountId, Balance, BlockNumber>>;

		/// How job `id` ended, while the market keeps it (a retention period); `None` while it
		/// is open, after the retention period, or if it never existed.
		fn outcome(id: JobId) -> Option<JobOutcome<AccountId, Balance, BlockNumber>>;

		/// The escrow a job for `model` with `prompt_tokens` prompt tokens (the payload's length
		/// in bytes) and `max_output_tokens` output tokens holds at the current price: the most
		/// it can cost.
		fn quote(
			model: ModelId,
			prompt_tokens: u32,
			max_output_tokens: u32,
		) -> Result<Balance, QuoteError>;

		/// The open jobs of `consumer`, oldest first.
		fn jobs_of(consumer: AccountId) -> Vec<JobId>;

		/// The open jobs in which `host` has something to do now: execute, or validate with its
		/// verdict not yet given. By ascending job id.
		fn work_of(host: AccountId) -> Vec<(JobId, WorkKind)>;
	}
}

polkadot_sdk::sp_api::decl_runtime_apis! {
	/// Read access to the chain's per-block randomness, from which jobs' executors, validation
	/// samples and validators are drawn.
	pub trait RandomnessApi<BlockNumber>
	where
		BlockNumber: Codec,
	{
		/// The seed of the latest block: where it came from (the relay chain's per-block VRF
		/// output, or the parent hash where the relay data has none) and from which relay
		/// block. The draws of a block use its seed. `None` before the first block.
		fn seed() -> Option<crate::BlockSeed<BlockNumber>>;
	}
}

polkadot_sdk::sp_api::decl_runtime_apis! {
	/// Read access to the emission: the schedule, what was emitted, and rewards owed.
	///
	/// `AccountId`, `Balance` and `BlockNumber` are the runtime's types.
	pub trait EmissionApi<AccountId, Balance, BlockNumber>
	where
		AccountId: Codec,
		Balance: Codec,
		BlockNumber: Codec,
	{
		/// What epoch `epoch` pays under the schedule (zero once the cap is reached).
		fn reward_at(epoch: u32) -> Balance;

		/// What was minted so far, and what remains under the cap.
		fn emitted() -> (Balance, Balance);

		/// The epoch accruing now, and the block it started at.
		fn current_epoch() -> (u32, BlockNumber);

		/// Blocks per epoch.
		fn epoch_length() -> BlockNumber;

		/// The rewards `who` can claim now.
		fn pending_rewards(who: AccountId) -> Balance;

		/// What `who` did in the epoch accruing now: work units, jobs delivered and missed,
		/// and whether it failed a confirmation window.
		fn service(who: AccountId) -> ServiceView;
	}
}

/// A host's service record for an epoch, as the runtime API shows it.
#[derive(Encode, Decode, TypeInfo, Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct ServiceView {
	/// The epoch.
	pub epoch: u32,
	/// Verified work units.
	pub work: u128,
	/// Jobs assigned to it that it delivered (and was paid for).
	pub delivered: u32,
	/// Jobs assigned to it that it missed: no result by the deadline, or a forgery.
	pub missed: u32,
	/// Whether it failed a proof-of-compute confirmation window.
	pub unconfirmed: bool,
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn model_view_round_trips_through_scale() {
		let view = ModelView::<u128, u32> {
			name: b"llama-3.1-8b".to_vec(),
			price_per_token: 10,
			version: 2,
			weights_hash: [1; 32],
			tokenizer_hash: [2; 32],
			source: b"hf://org/name@commit".to_vec(),
			engine: Vec::new(),
			context_length: 8_192,
			max_output_tokens: 2_048,
			max_token_bytes: 16,
			min_vram_mib: 0,
			compute_units_per_token: 1_000,
			validation: crate::ValidationPolicy {
				conclusive_margin_micro: 100_000,
				near_ties_base: 2,
				near_ties_per_kilo: 4,
				fingerprint_tolerance_ppm: 2_000,
			},
			status: ModelStatus::Deprecated,
			registered_at: 0,
			updated_at: 7,
		};
		let encoded = view.encode();
		assert_eq!(ModelView::<u128, u32>::decode(&mut &encoded[..]), Ok(view));
	}

	#[test]
	fn host_view_round_trips_through_scale() {
		let statuses = [
			HostStatus::Active,
			HostStatus::Chilled,
			HostStatus::Jailed { until: 12 },
			HostStatus::Leaving { unlock_at: 34 },
		];
		for status in statuses {
			let view = HostView::<u128, u32> {
				endpoint: b"https://gpu1.example.org:8443".to_vec(),
				hardware: alloc::vec![
					GpuView { name: b"H100-SXM5-80GB".to_vec(), vram_mib: 81_920, count: 8 },
					GpuView { name: b"L4".to_vec(), vram_mib: 24_576, count: 1 },
				],
				served_models: alloc::vec![0, 3],
				bond: 1_000,
				status,
				reputation: Perbill::from_percent(50),
				capacity_weight: 680_000,
				executor_kind: ExecutorKind::GreedyOnly,
				registered_at: 5,
			};
			let encoded = view.encode();
			assert_eq!(HostView::<u128, u32>::decode(&mut &encoded[..]), Ok(view));
		}
	}
}

/// Proof of compute's open (or last) window, as the runtime API shows it.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct PocWindowView<BlockNumber> {
	/// Its number, from 1.
	pub index: u32,
	/// The block it opened in.
	pub opened_at: BlockNumber,
	/// The block from which commitments are closed and the samples drawn.
	pub sample_at: BlockNumber,
	/// The block from which it concludes.
	pub conclude_at: BlockNumber,
	/// Commitments made to it so far (until its conclusion removes them).
	pub commitments: u32,
	/// Whether its conclusion has finished.
	pub concluded: bool,
	/// Whether every host's weight has been set from it.
	pub applied: bool,
	/// Whether it is an unannounced confirmation window (otherwise a regular one).
	pub confirmation: bool,
}

/// What a concluded window proved about a host, as the runtime API shows it.
#[derive(Encode, Decode, TypeInfo, Clone, Copy, PartialEq, Eq, Debug)]
pub enum PocOutcomeView {
	/// The count was proven.
	Proven {
		/// The count committed.
		count: u64,
	},
	/// Convicted of fraud.
	Convicted,
	/// Nothing was proven.
	Unproven,
	/// Failed a confirmation window: weightless until the next regular window.
	Unconfirmed {
		/// The confirmation window.
		window: u32,
	},
}

/// A host's part in proof of compute, as the runtime API shows it.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct PocHostView {
	/// Its proven weight; `None` before the chain's first window concluded.
	pub proven_weight: Option<u64>,
	/// Its last concluded window and what that proved.
	pub last: Option<(u32, PocOutcomeView)>,
	/// Its commitment to the open window: the window and the count.
	pub committed: Option<(u32, u64)>,
	/// Verdicts on that commitment so far: valid, invalid, missing.
	pub verdicts: (u32, u32, u32),
}

polkadot_sdk::sp_api::decl_runtime_apis! {
	/// Read access to proof of compute.
	pub trait PocApi<AccountId, BlockNumber>
	where
		AccountId: Codec,
		BlockNumber: Codec,
	{
		/// The open (or last) window; `None` before the first.
		fn window() -> Option<PocWindowView<BlockNumber>>;

		/// The part `who` takes in proof of compute.
		fn host(who: AccountId) -> PocHostView;
	}
}
