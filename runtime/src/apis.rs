//! The runtime APIs: how the node, RPC clients and tooling talk to the runtime.

use alloc::vec::Vec;
use polkadot_sdk::*;

use frame_support::{
	genesis_builder_helper::{build_state, get_preset},
	weights::Weight,
};
use pallet_aura::Authorities;
use sp_api::impl_runtime_apis;
use sp_core::{crypto::KeyTypeId, OpaqueMetadata};
use sp_runtime::{
	traits::Block as BlockT,
	transaction_validity::{TransactionSource, TransactionValidity},
	ApplyExtrinsicResult,
};
use sp_version::RuntimeVersion;

use daya_primitives::{
	runtime_api::{HostView, JobView, ModelView, WorkKind},
	JobId, JobOutcome, ModelId, QuoteError,
};

use super::{
	AccountId, AuraId, Balance, Block, BlockNumber, Compute, ConsensusHook, Emission, Executive,
	Inference, InherentDataExt, Models, Nonce, ParachainInfo, ParachainSystem, Poc, Randomness,
	Runtime, RuntimeCall, RuntimeGenesisConfig, SessionKeys, System, TransactionPayment,
	BLOCK_PROCESSING_VELOCITY, SLOT_DURATION, VERSION,
};

impl_runtime_apis! {
	impl sp_consensus_aura::AuraApi<Block, AuraId> for Runtime {
		fn slot_duration() -> sp_consensus_aura::SlotDuration {
			sp_consensus_aura::SlotDuration::from_millis(SLOT_DURATION)
		}

		fn authorities() -> Vec<AuraId> {
			Authorities::<Runtime>::get().into_inner()
		}
	}

	impl cumulus_primitives_aura::AuraUnincludedSegmentApi<Block> for Runtime {
		fn can_build_upon(
			included_hash: <Block as BlockT>::Hash,
			slot: cumulus_primitives_aura::Slot,
		) -> bool {
			ConsensusHook::can_build_upon(included_hash, slot)
		}
	}

	impl cumulus_primitives_core::RelayParentOffsetApi<Block> for Runtime {
		fn relay_parent_offset() -> u32 {
			0
		}

		fn max_claim_queue_offset() -> u8 {
			ParachainSystem::max_claim_queue_offset()
		}
	}

	impl sp_api::Core<Block> for Runtime {
		fn version() -> RuntimeVersion {
			VERSION
		}

		fn execute_block(block: <Block as BlockT>::LazyBlock) {
			Executive::execute_block(block)
		}

		fn initialize_block(header: &<Block as BlockT>::Header) -> sp_runtime::ExtrinsicInclusionMode {
			Executive::initialize_block(header)
		}
	}

	impl sp_api::Metadata<Block> for Runtime {
		fn metadata() -> OpaqueMetadata {
			OpaqueMetadata::new(Runtime::metadata().into())
		}

		fn metadata_at_version(version: u32) -> Option<OpaqueMetadata> {
			Runtime::metadata_at_version(version)
		}

		fn metadata_versions() -> Vec<u32> {
			Runtime::metadata_versions()
		}
	}

	impl frame_support::view_functions::runtime_api::RuntimeViewFunction<Block> for Runtime {
		fn execute_view_function(
			id: frame_support::view_functions::ViewFunctionId,
			input: Vec<u8>,
		) -> Result<Vec<u8>, frame_support::view_functions::ViewFunctionDispatchError> {
			Runtime::execute_view_function(id, input)
		}
	}

	impl sp_block_builder::BlockBuilder<Block> for Runtime {
		fn apply_extrinsic(extrinsic: <Block as BlockT>::Extrinsic) -> ApplyExtrinsicResult {
			Executive::apply_extrinsic(extrinsic)
		}

		fn finalize_block() -> <Block as BlockT>::Header {
			Executive::finalize_block()
		}

		fn inherent_extrinsics(data: sp_inherents::InherentData) -> Vec<<Block as BlockT>::Extrinsic> {
			data.create_extrinsics()
		}

		fn check_inherents(
			block: <Block as BlockT>::LazyBlock,
			data: sp_inherents::InherentData,
		) -> sp_inherents::CheckInherentsResult {
			data.check_extrinsics(&block)
		}
	}

	impl sp_transaction_pool::runtime_api::TaggedTransactionQueue<Block> for Runtime {
		fn validate_transaction(
			source: TransactionSource,
			tx: <Block as BlockT>::Extrinsic,
			block_hash: <Block as BlockT>::Hash,
		) -> TransactionValidity {
			Executive::validate_transaction(source, tx, block_hash)
		}
	}

	impl sp_offchain::OffchainWorkerApi<Block> for Runtime {
		fn offchain_worker(header: &<Block as BlockT>::Header) {
			Executive::offchain_worker(header)
		}
	}

	impl sp_session::SessionKeys<Block> for Runtime {
		fn generate_session_keys(
			owner: Vec<u8>,
			seed: Option<Vec<u8>>,
		) -> sp_session::OpaqueGeneratedSessionKeys {
			SessionKeys::generate(&owner, seed).into()
		}

		fn decode_session_keys(encoded: Vec<u8>) -> Option<Vec<(Vec<u8>, KeyTypeId)>> {
			SessionKeys::decode_into_raw_public_keys(&encoded)
		}
	}

	impl frame_system_rpc_runtime_api::AccountNonceApi<Block, AccountId, Nonce> for Runtime {
		fn account_nonce(account: AccountId) -> Nonce {
			System::account_nonce(account)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentApi<Block, Balance> for Runtime {
		fn query_info(
			uxt: <Block as BlockT>::Extrinsic,
			len: u32,
		) -> pallet_transaction_payment_rpc_runtime_api::RuntimeDispatchInfo<Balance> {
			TransactionPayment::query_info(uxt, len)
		}
		fn query_fee_details(
			uxt: <Block as BlockT>::Extrinsic,
			len: u32,
		) -> pallet_transaction_payment::FeeDetails<Balance> {
			TransactionPayment::query_fee_details(uxt, len)
		}
		fn query_weight_to_fee(weight: Weight) -> Balance {
			TransactionPayment::weight_to_fee(weight)
		}
		fn query_length_to_fee(length: u32) -> Balance {
			TransactionPayment::length_to_fee(length)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentCallApi<Block, Balance, RuntimeCall>
		for Runtime
	{
		fn query_call_info(
			call: RuntimeCall,
			len: u32,
		) -> pallet_transaction_payment::RuntimeDispatchInfo<Balance> {
			TransactionPayment::query_call_info(call, len)
		}
		fn query_call_fee_details(
			call: RuntimeCall,
			len: u32,
		) -> pallet_transaction_payment::FeeDetails<Balance> {
			TransactionPayment::query_call_fee_details(call, len)
		}
		fn query_weight_to_fee(weight: Weight) -> Balance {
			TransactionPayment::weight_to_fee(weight)
		}
		fn query_length_to_fee(length: u32) -> Balance {
			TransactionPayment::length_to_fee(length)
		}
	}

	impl cumulus_primitives_core::CollectCollationInfo<Block> for Runtime {
		fn collect_collation_info(header: &<Block as BlockT>::Header) -> cumulus_primitives_core::CollationInfo {
			ParachainSystem::collect_collation_info(header)
		}
	}

	impl cumulus_primitives_core::GetParachainInfo<Block> for Runtime {
		fn parachain_id() -> cumulus_primitives_core::ParaId {
			ParachainInfo::parachain_id()
		}
	}

	impl cumulus_primitives_core::TargetBlockRate<Block> for Runtime {
		fn target_block_rate() -> u32 {
			BLOCK_PROCESSING_VELOCITY
		}
	}

	impl daya_primitives::runtime_api::ModelsApi<Block, Balance, BlockNumber> for Runtime {
		fn models() -> Vec<(ModelId, ModelView<Balance, BlockNumber>)> {
			Models::api_models()
		}

		fn model(id: ModelId) -> Option<ModelView<Balance, BlockNumber>> {
			Models::api_model(id)
		}

		fn model_by_name(name: Vec<u8>) -> Option<(ModelId, ModelView<Balance, BlockNumber>)> {
			Models::api_model_by_name(name)
		}
	}

	impl daya_primitives::runtime_api::HostsApi<Block, AccountId, Balance, BlockNumber> for Runtime {
		fn host(who: AccountId) -> Option<HostView<Balance, BlockNumber>> {
			Compute::api_host(who)
		}

		fn hosts_by_model(model: ModelId) -> Vec<AccountId> {
			Compute::api_hosts_by_model(model)
		}
	}

	impl daya_primitives::runtime_api::PocApi<Block, AccountId, BlockNumber> for Runtime {
		fn window() -> Option<daya_primitives::runtime_api::PocWindowView<BlockNumber>> {
			Poc::api_window()
		}

		fn host(who: AccountId) -> daya_primitives::runtime_api::PocHostView {
			Poc::api_host(who)
		}
	}

	impl daya_primitives::runtime_api::InferenceApi<Block, AccountId, Balance, BlockNumber> for Runtime {
		fn job(id: JobId) -> Option<JobView<AccountId, Balance, BlockNumber>> {
			Inference::api_job(id)
		}

		fn outcome(id: JobId) -> Option<JobOutcome<AccountId, Balance, BlockNumber>> {
			Inference::api_outcome(id)
		}

		fn quote(
			model: ModelId,
			prompt_tokens: u32,
			max_output_tokens: u32,
		) -> Result<Balance, QuoteError> {
			Inference::api_quote(model, prompt_tokens, max_output_tokens)
		}

		fn jobs_of(consumer: AccountId) -> Vec<JobId> {
			Inference::api_jobs_of(consumer)
		}

		fn work_of(host: AccountId) -> Vec<(JobId, WorkKind)> {
			Inference::api_work_of(host)
		}
	}

	impl daya_primitives::runtime_api::EmissionApi<Block, AccountId, Balance, BlockNumber> for Runtime {
		fn reward_at(epoch: u32) -> Balance {
			Emission::api_reward_at(epoch)
		}

		fn emitted() -> (Balance, Balance) {
			Emission::api_emitted()
		}

		fn current_epoch() -> (u32, BlockNumber) {
			Emission::api_epoch()
		}

		fn epoch_length() -> BlockNumber {
			Emission::epoch_length()
		}

		fn pending_rewards(who: AccountId) -> Balance {
			Emission::api_pending(who)
		}

		fn service(who: AccountId) -> daya_primitives::runtime_api::ServiceView {
			Emission::api_service(who)
		}
	}

	impl daya_primitives::runtime_api::RandomnessApi<Block, BlockNumber> for Runtime {
		fn seed() -> Option<daya_primitives::BlockSeed<BlockNumber>> {
			Randomness::api_seed()
		}
	}

	// For the `try-runtime` tool only, never in a chain's runtime: it reports a failed check by
	// panicking, with the backtrace that names it.
	#[cfg(feature = "try-runtime")]
	impl frame_try_runtime::TryRuntime<Block> for Runtime {
		fn on_runtime_upgrade(checks: frame_try_runtime::UpgradeCheckSelect) -> (Weight, Weight) {
			let weight = Executive::try_runtime_upgrade(checks)
				.expect("the runtime upgrade's migrations and checks pass");
			(weight, crate::configs::RuntimeBlockWeights::get().max_block)
		}

		fn execute_block(
			block: <Block as BlockT>::LazyBlock,
			state_root_check: bool,
			signature_check: bool,
			select: frame_try_runtime::TryStateSelect,
		) -> Weight {
			Executive::try_execute_block(block, state_root_check, signature_check, select)
				.expect("the block executes and the pallets' checks pass")
		}
	}

	#[cfg(feature = "runtime-benchmarks")]
	impl frame_benchmarking::Benchmark<Block> for Runtime {
		fn benchmark_metadata(extra: bool) -> (
			Vec<frame_benchmarking::BenchmarkList>,
			Vec<frame_support::traits::StorageInfo>,
		) {
			use cumulus_pallet_session_benchmarking::Pallet as SessionBench;
			use frame_benchmarking::BenchmarkList;
			use frame_support::traits::StorageInfoTrait;
			use frame_system_benchmarking::Pallet as SystemBench;
			use super::*;

			let mut list = Vec::<BenchmarkList>::new();
			list_benchmarks!(list, extra);

			let storage_info = AllPalletsWithSystem::storage_info();
			(list, storage_info)
		}

		#[allow(non_local_definitions)]
		fn dispatch_benchmark(
			config: frame_benchmarking::BenchmarkConfig,
		) -> Result<Vec<frame_benchmarking::BenchmarkBatch>, alloc::string::String> {
			use cumulus_pallet_session_benchmarking::Pallet as SessionBench;
			use frame_benchmarking::{BenchmarkBatch, BenchmarkError};
			use frame_support::traits::WhitelistedStorageKeys;
			use frame_system_benchmarking::Pallet as SystemBench;
			use super::*;

			impl frame_system_benchmarking::Config for Runtime {
				fn setup_set_code_requirements(code: &Vec<u8>) -> Result<(), BenchmarkError> {
					ParachainSystem::initialize_for_set_code_benchmark(code.len() as u32);
					Ok(())
				}

				fn verify_set_code() {
					System::assert_last_event(
						cumulus_pallet_parachain_system::Event::<Runtime>::ValidationFunctionStored
							.into(),
					);
				}
			}

			impl cumulus_pallet_session_benchmarking::Config for Runtime {
				fn generate_session_keys_and_proof(owner: AccountId) -> (SessionKeys, Vec<u8>) {
					use codec::Encode;
					let generated = SessionKeys::generate(&owner.encode(), None);
					(generated.keys, generated.proof.encode())
				}
			}

			let whitelist = AllPalletsWithSystem::whitelisted_storage_keys();
			let mut batches = Vec::<BenchmarkBatch>::new();
			let params = (&config, &whitelist);
			add_benchmarks!(params, batches);

			if batches.is_empty() {
				return Err("Benchmark not found for this pallet.".into());
			}
			Ok(batches)
		}
	}

	impl sp_genesis_builder::GenesisBuilder<Block> for Runtime {
		fn build_state(config: Vec<u8>) -> sp_genesis_builder::Result {
			build_state::<RuntimeGenesisConfig>(config)
		}

		fn get_preset(id: &Option<sp_genesis_builder::PresetId>) -> Option<Vec<u8>> {
			get_preset::<RuntimeGenesisConfig>(id, crate::genesis_config_presets::get_preset)
		}

		fn preset_names() -> Vec<sp_genesis_builder::PresetId> {
			crate::genesis_config_presets::preset_names()
		}
	}
}
