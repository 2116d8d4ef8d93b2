//! `daya-node benchmark pallet`: runs the runtime's pallet benchmarks to generate weights.
//!
//! `polkadot-omni-node-lib` only offers this subcommand when it is compiled with its
//! `runtime-benchmarks` feature, which rebuilds most of the node. The benchmarks, though, run
//! entirely inside a runtime built with that feature, given with `--runtime`; the node only
//! needs the benchmark CLI, which it has anyway. So the node runs `benchmark pallet` itself, with
//! the same host functions as the omni node, and leaves every other subcommand to it.

use clap::Parser;
use polkadot_sdk::{
	cumulus_client_service::storage_proof_size::HostFunctions as ReclaimHostFunctions,
	frame_benchmarking_cli::PalletCmd, sp_runtime::traits::HashingFor,
};
use std::ffi::OsString;

/// The command line's arguments, when they ask for `benchmark pallet`: the program name and
/// the arguments after `pallet`.
fn pallet_args(args: &[OsString]) -> Option<Vec<OsString>> {
	match args {
		[program, benchmark, pallet, rest @ ..]
			if benchmark == "benchmark" && pallet == "pallet" =>
		{
			Some(core::iter::once(program.clone()).chain(rest.iter().cloned()).collect())
		},
		_ => None,
	}
}

/// Runs `benchmark pallet` if the command line asks for it; `None` otherwise.
pub fn run_if_requested() -> Option<color_eyre::eyre::Result<()>> {
	let args = pallet_args(&std::env::args_os().collect::<Vec<_>>())?;
	let command = match PalletCmd::try_parse_from(args) {
		Ok(command) => command,
		Err(error) => error.exit(),
	};
	Some(
		command
			.run_with_spec::<HashingFor<daya_runtime::Block>, ReclaimHostFunctions>(None)
			.map_err(|error| color_eyre::eyre::eyre!("benchmark pallet: {error}")),
	)
}

#[cfg(test)]
mod tests {
	use super::*;

	fn args(line: &[&str]) -> Vec<OsString> {
		line.iter().map(OsString::from).collect()
	}

	#[test]
	fn only_benchmark_pallet_is_taken() {
		assert_eq!(
			pallet_args(&args(&["daya-node", "benchmark", "pallet", "--list"])),
			Some(args(&["daya-node", "--list"]))
		);
		assert_eq!(pallet_args(&args(&["daya-node", "benchmark", "machine"])), None);
		assert_eq!(pallet_args(&args(&["daya-node", "--dev"])), None);
		assert_eq!(pallet_args(&args(&["daya-node"])), None);
	}

	#[test]
	fn the_benchmark_arguments_parse() {
		let parsed = PalletCmd::try_parse_from(args(&[
			"daya-node",
			"--runtime",
			"runtime.wasm",
			"--pallet",
			"pallet_daya_inference",
			"--extrinsic",
			"*",
		]));
		assert!(parsed.is_ok(), "{parsed:?}");
	}
}
