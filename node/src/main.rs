//! `daya-node`: the Daya parachain node.
//!
//! A white-labelled `polkadot-omni-node`: collator, full node, and (`--dev`) a development chain
//! with manual seal and no relay chain. Daya's chain specs are built in (see [`chain_spec`]).

// Force the linker to keep the jemalloc shim (and its `#[global_allocator]`).
#[cfg(target_os = "linux")]
extern crate polkadot_jemalloc_shim;

mod benchmark;
mod chain_spec;
mod dev_defaults;

use polkadot_sdk::polkadot_omni_node_lib::{
	extra_subcommand::NoExtraSubcommand, run_with_custom_cli, runtime::DefaultRuntimeResolver,
	CliConfig as CliConfigT, RunConfig,
};

struct CliConfig;

impl CliConfigT for CliConfig {
	fn impl_version() -> String {
		let commit_hash = env!("SUBSTRATE_CLI_COMMIT_HASH");
		format!("{}-{commit_hash}", env!("CARGO_PKG_VERSION"))
	}

	fn author() -> String {
		env!("CARGO_PKG_AUTHORS").into()
	}

	fn support_url() -> String {
		format!("{}/issues", env!("CARGO_PKG_REPOSITORY"))
	}

	fn copyright_start_year() -> u16 {
		2026
	}
}

fn main() -> color_eyre::eyre::Result<()> {
	color_eyre::install()?;
	if let Some(benchmarked) = benchmark::run_if_requested() {
		return benchmarked;
	}
	dev_defaults::apply()?;
	let config =
		RunConfig::new(Box::new(DefaultRuntimeResolver), Box::new(chain_spec::DayaChainSpecLoader));
	Ok(run_with_custom_cli::<CliConfig, NoExtraSubcommand>(config)?)
}
