//! A Polkadot relay-chain node: `polkadot-cli` of the workspace's polkadot-sdk release with the
//! rococo runtime (native, `fast-runtime`: one-minute sessions). Daya's relay-chain network test
//! runs two of these as validators of a `rococo-local` chain with Daya registered as a parachain.

use color_eyre::eyre;

fn main() -> eyre::Result<()> {
	color_eyre::install()?;
	polkadot_cli::run()?;
	Ok(())
}
