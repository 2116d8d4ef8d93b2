//! `daya collator`: a collator's standing, and how to join the collator set.

use super::Context;
use crate::{
	client,
	error::Failure,
	report::{self, Report},
};
use clap::Subcommand;

/// `daya collator`'s subcommands.
#[derive(Subcommand, Debug)]
pub enum CollatorCommand {
	/// Whether an account has session keys, is a collator (invulnerable or candidate), and the
	/// last block it authored; and the steps to join.
	Status {
		/// The account (SS58 or a dev name); the `--suri` account if not given.
		account: Option<String>,
	},
}

impl CollatorCommand {
	/// Runs the command.
	pub async fn run(self, ctx: &Context) -> Result<Report, Failure> {
		match self {
			CollatorCommand::Status { account } => {
				let who = client::account(account.as_deref(), ctx.suri())?;
				let standing = ctx.client.collator(&who).await?;
				Ok(report::Collator::new(&who, &standing).into())
			},
		}
	}
}
