//! `daya`: the command-line client of the Daya network.
//!
//! One client for consumers (buy inference, follow jobs), hosts (their registration and
//! rewards), voters (the model registry) and anyone curious about the emission. It talks to a
//! Daya node over WebSocket RPC with subxt, reading the chain through Daya's runtime APIs and
//! signing extrinsics with the key given by `--suri`.
//!
//! The command line is in `args`, what each command does in `commands` (one file per
//! command group), and what it prints in `report`: every command returns one report, printed
//! as text or, with `--json`, as JSON on standard output. Every error is one line on standard
//! error and a non-zero exit; with `--json` it is also `{"error": "<that line>"}` on standard
//! output.

mod args;
mod client;
mod commands;
mod error;
mod keys;
mod load;
mod report;
mod spec;
mod units;

use clap::Parser;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
	// Output piped into a reader that stops early (`daya ... | head`) ends the process quietly,
	// as it ends other Unix tools, instead of a panic on the failed write (Rust ignores SIGPIPE).
	#[cfg(unix)]
	// SAFETY: restores the signal's default disposition; no handler runs Rust code.
	unsafe {
		libc::signal(libc::SIGPIPE, libc::SIG_DFL);
	}
	let cli = args::Cli::parse();
	let json = cli.json;
	match cli.run().await {
		Ok(report) => {
			report.print(json);
			ExitCode::SUCCESS
		},
		Err(failure) => {
			if json {
				report::print_json(&failure.report());
			}
			eprintln!("error: {}", failure.line());
			ExitCode::FAILURE
		},
	}
}
