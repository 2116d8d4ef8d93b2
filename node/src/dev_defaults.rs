//! Defaults of the development chain.
//!
//! Daya's pallets hand work to executors from offchain workers (which make HTTP calls) and keep
//! job payloads in the offchain index instead of state. A `--dev` chain therefore runs with
//! `--offchain-worker always` and `--enable-offchain-indexing true` unless the command line says
//! otherwise. The underlying CLI parses the process arguments itself, so the node re-executes
//! itself once with the defaults appended.

use std::ffi::{OsStr, OsString};

/// Flags a `--dev` run gets unless it sets them itself.
const DEV_DEFAULTS: &[(&str, &str)] =
	&[("--offchain-worker", "always"), ("--enable-offchain-indexing", "true")];

/// The arguments to run with instead of `args`, or `None` when nothing needs adding.
pub fn with_dev_defaults(args: &[OsString]) -> Option<Vec<OsString>> {
	let relay_args_start = args.iter().position(|a| a == "--").unwrap_or(args.len());
	let own = &args[..relay_args_start];
	let is_dev = own.iter().skip(1).any(|a| a == "--dev");
	// A subcommand (build-spec, key, ...) is the first argument that is not a flag or a value.
	let has_subcommand = own.get(1).is_some_and(|a| !a.to_string_lossy().starts_with('-'));
	if !is_dev || has_subcommand {
		return None;
	}
	let is_set = |flag: &str| {
		own.iter().any(|a: &OsString| {
			let a = a.to_string_lossy();
			a == flag || a.starts_with(&format!("{flag}="))
		})
	};
	let missing: Vec<&(&str, &str)> = DEV_DEFAULTS.iter().filter(|(f, _)| !is_set(f)).collect();
	if missing.is_empty() {
		return None;
	}
	let mut out: Vec<OsString> = own.to_vec();
	for (flag, value) in missing {
		out.push(OsStr::new(&format!("{flag}={value}")).to_owned());
	}
	out.extend_from_slice(&args[relay_args_start..]);
	Some(out)
}

/// Re-executes the node with the development defaults when they are missing; returns when the
/// command line is already complete.
pub fn apply() -> std::io::Result<()> {
	let args: Vec<OsString> = std::env::args_os().collect();
	let Some(args) = with_dev_defaults(&args) else { return Ok(()) };
	#[cfg(unix)]
	{
		use std::os::unix::process::CommandExt;
		let exe = std::env::current_exe()?;
		// `exec` only returns on failure.
		Err(std::process::Command::new(exe).arg0(&args[0]).args(&args[1..]).exec())
	}
	#[cfg(not(unix))]
	{
		let _ = args;
		Ok(())
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn run(args: &[&str]) -> Option<Vec<String>> {
		let args: Vec<OsString> = args.iter().map(OsString::from).collect();
		with_dev_defaults(&args)
			.map(|v| v.into_iter().map(|a| a.to_string_lossy().into_owned()).collect())
	}

	#[test]
	fn dev_gets_offchain_defaults() {
		assert_eq!(
			run(&["daya-node", "--dev"]).unwrap(),
			vec![
				"daya-node",
				"--dev",
				"--offchain-worker=always",
				"--enable-offchain-indexing=true"
			]
		);
	}

	#[test]
	fn explicit_flags_win() {
		assert_eq!(
			run(&["daya-node", "--dev", "--offchain-worker", "never"]).unwrap(),
			vec![
				"daya-node",
				"--dev",
				"--offchain-worker",
				"never",
				"--enable-offchain-indexing=true"
			]
		);
		assert_eq!(
			run(&[
				"daya-node",
				"--dev",
				"--offchain-worker=never",
				"--enable-offchain-indexing=false"
			]),
			None
		);
	}

	#[test]
	fn non_dev_and_subcommands_are_untouched() {
		assert_eq!(run(&["daya-node", "--chain", "local"]), None);
		assert_eq!(run(&["daya-node", "build-spec", "--dev"]), None);
		// `--dev` after `--` belongs to the relay chain.
		assert_eq!(run(&["daya-node", "--collator", "--", "--dev"]), None);
	}

	#[test]
	fn relay_chain_arguments_stay_last() {
		assert_eq!(
			run(&["daya-node", "--dev", "--", "--chain", "rococo-local"]).unwrap(),
			vec![
				"daya-node",
				"--dev",
				"--offchain-worker=always",
				"--enable-offchain-indexing=true",
				"--",
				"--chain",
				"rococo-local"
			]
		);
	}
}
