//! Daya's built-in chain specifications.
//!
//! | `--chain` | what |
//! | --- | --- |
//! | `dev` (what `--dev` selects) | one-node development chain, `development` preset |
//! | `local` | two-collator chain for a local relay chain (zombienet), `local_testnet` preset |
//! | anything else | a chain spec JSON file at that path |
//!
//! Both built-in specs carry the runtime WASM blob compiled from this workspace, compressed.

use polkadot_sdk::{
	polkadot_omni_node_lib::chain_spec::{
		ChainSpec, DiskChainSpecLoader, Extensions, GenericChainSpec, LoadSpec,
	},
	sc_chain_spec::{ChainType, Properties},
};

/// The relay chain the built-in specs name; zombienet's `rococo-local` relay.
pub const LOCAL_RELAY_CHAIN: &str = "rococo-local";

/// Resolves `--chain` to one of Daya's specs, or to a spec file on disk.
pub struct DayaChainSpecLoader;

impl LoadSpec for DayaChainSpecLoader {
	fn load_spec(&self, id: &str) -> Result<Box<dyn ChainSpec>, String> {
		match id {
			"dev" | "daya-dev" => Ok(Box::new(development_chain_spec()?)),
			"local" | "daya-local" => Ok(Box::new(local_testnet_chain_spec()?)),
			"" => Err("no chain given: pass `--dev`, `--chain local` or `--chain <spec.json>`".into()),
			path => DiskChainSpecLoader.load_spec(path).map_err(|e| {
				format!("`--chain {path}`: not a built-in chain (dev, local) nor a readable chain spec file: {e}")
			}),
		}
	}
}

/// The runtime's code as the built-in specs carry it: zstd-compressed (with the prefix nodes and
/// relay-chain validators recognise), as a release build of the runtime already is, so that a
/// debug build's blob (about 4.5 MB) fits a relay chain's `max_code_size` (5 MiB on
/// `rococo-local`) with room to spare as well.
fn wasm() -> Result<Vec<u8>, String> {
	use polkadot_sdk::sp_maybe_compressed_blob::{
		compress_weakly, decompress, CODE_BLOB_BOMB_LIMIT,
	};
	let blob = daya_runtime::WASM_BINARY.ok_or_else(|| {
		"this daya-node was built without the runtime WASM blob (SKIP_WASM_BUILD was set); \
		 rebuild it without SKIP_WASM_BUILD"
			.to_string()
	})?;
	// A blob that decompresses into another one is compressed already.
	if let Ok(std::borrow::Cow::Owned(_)) = decompress(blob, CODE_BLOB_BOMB_LIMIT) {
		return Ok(blob.to_vec());
	}
	compress_weakly(blob, CODE_BLOB_BOMB_LIMIT).ok_or_else(|| {
		format!("the runtime WASM blob ({} bytes) is over the code size limit", blob.len())
	})
}

/// The token properties wallets and explorers display.
pub fn properties() -> Properties {
	let mut properties = Properties::new();
	properties.insert("tokenSymbol".into(), daya_runtime::TOKEN_SYMBOL.into());
	properties.insert("tokenDecimals".into(), daya_runtime::TOKEN_DECIMALS.into());
	properties.insert("ss58Format".into(), daya_runtime::SS58_PREFIX.into());
	properties
}

/// The development chain: Alice collates alone and holds sudo.
pub fn development_chain_spec() -> Result<GenericChainSpec, String> {
	Ok(GenericChainSpec::builder(
		&wasm()?,
		Extensions::new(LOCAL_RELAY_CHAIN.into(), daya_runtime::DEFAULT_PARA_ID),
	)
	.with_name("Daya Development")
	.with_id("daya-dev")
	.with_chain_type(ChainType::Development)
	.with_protocol_id("daya-dev")
	.with_genesis_config_preset_name(polkadot_sdk::sp_genesis_builder::DEV_RUNTIME_PRESET)
	.with_properties(properties())
	.build())
}

/// The local testnet: Alice and Bob collate on a `rococo-local` relay chain.
pub fn local_testnet_chain_spec() -> Result<GenericChainSpec, String> {
	Ok(GenericChainSpec::builder(
		&wasm()?,
		Extensions::new(LOCAL_RELAY_CHAIN.into(), daya_runtime::DEFAULT_PARA_ID),
	)
	.with_name("Daya Local Testnet")
	.with_id("daya-local")
	.with_chain_type(ChainType::Local)
	.with_genesis_config_preset_name(polkadot_sdk::sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET)
	.with_protocol_id("daya-local")
	.with_properties(properties())
	.build())
}
