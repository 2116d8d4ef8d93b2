//! `daya rewards`: emission rewards of hosts.

use super::Context;
use crate::{
	client,
	error::Failure,
	report::{self, Report},
};
use clap::Subcommand;

/// `daya rewards`' subcommands.
#[derive(Subcommand, Debug)]
pub enum RewardsCommand {
	/// The emission rewards an account can claim now.
	Pending {
		/// The account (SS58 or a dev name); the `--suri` account if not given.
		account: Option<String>,
	},
	/// Pay out pending rewards (signed with `--suri`).
	Claim {
		/// Whose rewards to pay out (they always go to that account); the `--suri` account if
		/// not given.
		#[arg(long = "for", value_name = "ACCOUNT")]
		for_account: Option<String>,
	},
}

impl RewardsCommand {
	/// Runs the command.
	pub async fn run(self, ctx: &Context) -> Result<Report, Failure> {
		match self {
			RewardsCommand::Pending { account } => {
				let who = client::account(account.as_deref(), ctx.suri())?;
				let pending = ctx.client.pending_rewards(&who).await?;
				Ok(report::Pending::new(&who, pending).into())
			},
			RewardsCommand::Claim { for_account } => {
				let signer = ctx.signer()?;
				let who = match for_account {
					Some(account) => client::account(Some(&account), None)?,
					None => client::account_of(&signer),
				};
				let amount = ctx.client.claim_rewards(&signer, &who).await?;
				Ok(report::Claimed::new(&who, amount).into())
			},
		}
	}
}
