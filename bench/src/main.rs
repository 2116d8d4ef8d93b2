//! `daya-bench`: the runtime's benchmarks, run by a release build.
//!
//! Weights measured by a debug node overstate every host function (hashing, the trie, codecs
//! run unoptimised there), so production weights come from this binary, built with
//! `--release` in its own workspace. Two subcommands, both the registry's benchmark CLI:
//!
//! - `pallet`: `frame-benchmarking-cli`'s pallet benchmarks against a runtime WASM built with
//!   `runtime-benchmarks` (what `frame-omni-bencher v1 benchmark pallet` runs), with the
//!   parachain's proof-size host function.
//! - `storage`: the database's read and write costs (`benchmark storage`) on a RocksDB holding
//!   the chain's genesis state, built from the runtime's `development` preset and `--accounts`
//!   more endowed accounts, so that the trie has a realistic depth rather than a few hundred
//!   keys. Its output is the runtime's `DbWeight`.
//!
//! `scripts/weights.sh` runs both and writes the weight files.

use clap::{Parser, Subcommand};
use frame_benchmarking_cli::{PalletCmd, StorageCmd};
use sc_cli::SubstrateCli;
use sc_service::{ChainSpec, ChainType, GenericChainSpec};
use sp_core::crypto::{AccountId32, Ss58Codec};
use sp_runtime::{generic, traits::BlakeTwo256, OpaqueExtrinsic};
use std::path::PathBuf;

/// The runtime's block, opaque: the benchmarks need its header and hash only.
type Block = generic::Block<generic::Header<u32, BlakeTwo256>, OpaqueExtrinsic>;
/// The host functions a parachain runtime calls beyond Substrate's own.
type ExtraHostFunctions =
	cumulus_primitives_proof_size_hostfunction::storage_proof_size::HostFunctions;
/// Genesis presets are built by the runtime with these host functions available.
type Spec = GenericChainSpec<sc_chain_spec::NoExtension, ExtraHostFunctions>;

#[derive(Debug, Parser)]
#[command(name = "daya-bench", version, about = "Release benchmarks of the Daya runtime")]
struct Cli {
	#[command(subcommand)]
	command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
	/// The pallets' benchmarks: generates `weights.rs` files.
	Pallet(Box<PalletCmd>),
	/// The database's read and write costs on the runtime's genesis state.
	Storage(Box<StorageArgs>),
}

#[derive(Debug, clap::Args)]
struct StorageArgs {
	/// The runtime WASM whose `development` preset makes the genesis state.
	#[arg(long, value_name = "PATH")]
	runtime: PathBuf,
	/// Endowed accounts added to the preset's, to give the state a realistic size.
	#[arg(long, default_value_t = 100_000)]
	accounts: u32,
	#[command(flatten)]
	cmd: StorageCmd,
}

/// The chain the storage benchmark opens: the runtime's development preset with more accounts.
struct BenchChain {
	code: Vec<u8>,
	accounts: u32,
}

impl BenchChain {
	fn spec(&self) -> Result<Spec, String> {
		let caller =
			sc_chain_spec::GenesisConfigBuilderRuntimeCaller::<ExtraHostFunctions>::new(&self.code);
		let mut genesis = caller.get_named_preset(Some(&"development".to_string()))?;
		let balances = genesis
			.pointer_mut("/balances/balances")
			.and_then(|list| list.as_array_mut())
			.ok_or("the development preset has no `balances.balances` list")?;
		let amount = balances
			.first()
			.and_then(|entry| entry.get(1))
			.cloned()
			.ok_or("the development preset endows no account")?;
		for index in 0..self.accounts {
			let mut raw = [0xda_u8; 32];
			raw[..4].copy_from_slice(&index.to_le_bytes());
			let account = AccountId32::new(raw).to_ss58check();
			balances.push(serde_json::json!([account, amount.clone()]));
		}
		Ok(Spec::builder(&self.code, Default::default())
			.with_name("Daya storage benchmark")
			.with_id("daya_storage_bench")
			.with_chain_type(ChainType::Development)
			.with_genesis_config_patch(genesis)
			.build())
	}
}

impl SubstrateCli for BenchChain {
	fn impl_name() -> String {
		"Daya benchmarks".into()
	}
	fn impl_version() -> String {
		env!("CARGO_PKG_VERSION").into()
	}
	fn description() -> String {
		env!("CARGO_PKG_DESCRIPTION").into()
	}
	fn author() -> String {
		env!("CARGO_PKG_AUTHORS").into()
	}
	fn support_url() -> String {
		"https://github.com/daya-network/daya/issues".into()
	}
	fn copyright_start_year() -> i32 {
		2026
	}
	fn load_spec(&self, _id: &str) -> Result<Box<dyn ChainSpec>, String> {
		Ok(Box::new(self.spec()?))
	}
}

fn storage(args: StorageArgs) -> sc_cli::Result<()> {
	let code = std::fs::read(&args.runtime)
		.map_err(|error| format!("reading the runtime {}: {error}", args.runtime.display()))?;
	let chain = BenchChain { code, accounts: args.accounts };
	let runner = chain.create_runner(&args.cmd)?;
	runner.sync_run(|config| {
		// The runtime may be the one built with `runtime-benchmarks`, which imports the
		// benchmarking host functions too.
		let executor = sc_service::new_wasm_executor::<(
			sp_io::SubstrateHostFunctions,
			ExtraHostFunctions,
			frame_benchmarking::benchmarking::HostFunctions,
		)>(&config.executor);
		let (client, backend, _keystore, _tasks) =
			sc_service::new_full_parts::<Block, (), _>(&config, None, executor, Vec::new())?;
		let db = backend.expose_db();
		let storage = backend.expose_storage();
		let shared_trie_cache = backend.expose_shared_trie_cache();
		args.cmd
			.run(config, std::sync::Arc::new(client), db, storage, shared_trie_cache)
	})
}

fn main() -> sc_cli::Result<()> {
	match Cli::parse().command {
		Command::Pallet(cmd) => {
			// Progress (`RUST_LOG` as usual); the storage command sets up its own logging.
			sc_cli::LoggerBuilder::new("").init()?;
			cmd.run_with_spec::<BlakeTwo256, ExtraHostFunctions>(None)
		},
		Command::Storage(args) => storage(*args),
	}
}
