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

use crate::{
	AccountId, AuraId, Balance, BalancesConfig, CollatorSelectionConfig, ParachainInfoConfig,
	RuntimeGenesisConfig, SessionConfig, SessionKeys, SudoConfig, DEFAULT_PARA_ID,
	EXISTENTIAL_DEPOSIT, UNIT,
};

/// What each endowed account starts with: one million DAYA.
pub const ENDOWMENT: Balance = 1_000_000 * UNIT;

/// The bond a collator candidate places (invulnerables place none).
pub const CANDIDACY_BOND: Balance = 16 * EXISTENTIAL_DEPOSIT;

/// The session keys of a collator: only Aura for now.
pub fn session_keys(aura: AuraId) -> SessionKeys {
	SessionKeys { aura }
}

fn daya_genesis(
	invulnerables: Vec<(AccountId, AuraId)>,
	endowed_accounts: Vec<AccountId>,
	root: AccountId,
	id: ParaId,
) -> Value {
	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: endowed_accounts
				.iter()
				.cloned()
				.map(|account| (account, ENDOWMENT))
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
	)
}

/// The `development` preset: Alice alone collates and holds sudo.
fn development_genesis() -> Value {
	daya_genesis(
		vec![collator(Sr25519Keyring::Alice)],
		dev_accounts(),
		Sr25519Keyring::Alice.to_account_id(),
		DEFAULT_PARA_ID.into(),
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
