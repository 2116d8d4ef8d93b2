//! `daya runtime`: the runtime's version, and applying an upgrade a referendum authorized
//! (collators, voters).

use super::{governance::read_runtime_blob, Context};
use crate::{
	error::Failure,
	report::{self, Report},
};
use clap::Subcommand;
use std::path::PathBuf;

/// `daya runtime`'s subcommands.
#[derive(Subcommand, Debug)]
pub enum RuntimeCommand {
	/// The runtime's name and versions, and the hash of an authorized upgrade not applied yet.
	Version,
	/// Apply the upgrade a root referendum authorized (`daya referendum propose upgrade`), with
	/// the same blob: anyone may, and pays nothing. A parachain runs the new code once the
	/// relay chain lets it go ahead, a few relay blocks later.
	Upgrade {
		/// The runtime's WASM blob, as built or compressed.
		#[arg(long, value_name = "FILE")]
		wasm: PathBuf,
	},
}

impl RuntimeCommand {
	/// Runs the command.
	pub async fn run(self, ctx: &Context) -> Result<Report, Failure> {
		match self {
			RuntimeCommand::Version => {
				let (version, authorized) = ctx.client.runtime_version().await?;
				Ok(report::RuntimeVersion::new(&version, authorized).into())
			},
			RuntimeCommand::Upgrade { wasm } => {
				let code = read_runtime_blob(&wasm)?;
				let signer = ctx.signer()?;
				let applied = ctx.client.apply_upgrade(&signer, code).await?;
				Ok(report::UpgradeApplied::new(&applied).into())
			},
		}
	}
}
