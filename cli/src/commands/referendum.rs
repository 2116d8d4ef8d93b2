//! `daya referendum`: token-holder referenda on the model registry and runtime upgrades
//! (OpenGov): propose, vote with conviction, follow (voters).

use super::{
	governance::{proposal_call, ProposeCommand},
	Context,
};
use crate::{
	error::Failure,
	report::{self, Report},
	units::parse_amount,
};
use clap::Subcommand;

/// `daya referendum`'s subcommands.
#[derive(Subcommand, Debug)]
pub enum ReferendumCommand {
	/// Submit a registry change to token holders (`--suri` pays the submission and decision
	/// deposits, 10 and 100 DAYA, returned once it is decided); prints its index.
	#[command(subcommand)]
	Propose(ProposeCommand),
	/// Vote on a referendum with an amount and a conviction: the amount is locked for the
	/// conviction's periods after the referendum ends (1x: one week, 2x: two, 3x: four, 4x:
	/// eight, 5x: sixteen, 6x: thirty-two; `none` counts a tenth and locks nothing).
	Vote {
		/// The referendum's index, from `propose` or `list`.
		index: u32,
		/// How much to vote with, in DAYA.
		#[arg(long, value_name = "DAYA")]
		amount: String,
		/// `none`, `1x`, `2x`, `3x`, `4x`, `5x` or `6x`.
		#[arg(long, default_value = "1x")]
		conviction: String,
		/// Vote against (the default is for).
		#[arg(long)]
		nay: bool,
	},
	/// Ongoing referenda, and the last ended ones.
	List,
	/// One referendum: its status, track, tally and periods.
	Show {
		/// The referendum's index.
		index: u32,
	},
}

impl ReferendumCommand {
	/// Runs the command.
	pub async fn run(self, ctx: &Context) -> Result<Report, Failure> {
		let client = &ctx.client;
		match self {
			ReferendumCommand::Propose(proposal) => {
				let signer = ctx.signer()?;
				let proposal = proposal_call(client, &proposal).await?;
				let submitted = client.submit_referendum(&signer, proposal).await?;
				Ok(report::ReferendumSubmitted::new(&submitted).into())
			},
			ReferendumCommand::Vote { index, amount, conviction, nay } => {
				let balance = parse_amount(&amount)?;
				let conviction = parse_conviction(&conviction)?;
				let signer = ctx.signer()?;
				client.vote_referendum(&signer, index, !nay, conviction, balance).await?;
				Ok(report::ReferendumVoted::new(index, !nay, conviction, balance).into())
			},
			ReferendumCommand::List => {
				let count = client.referendum_count().await?;
				let mut all = Vec::new();
				// The last 50 submitted: older ones have ended long ago.
				for index in (count.saturating_sub(50)..count).rev() {
					if let Some(info) = client.referendum(index).await? {
						all.push(report::Referendum::new(index, info));
					}
				}
				Ok(report::Referenda(all).into())
			},
			ReferendumCommand::Show { index } => {
				let info = client
					.referendum(index)
					.await?
					.ok_or_else(|| Failure(format!("no referendum {index}")))?;
				Ok(report::Referendum::new(index, info).into())
			},
		}
	}
}

/// A conviction by name: `none` is 0, `1x` to `6x` are 1 to 6.
fn parse_conviction(text: &str) -> Result<u8, Failure> {
	let invalid =
		|| Failure(format!("invalid conviction {text:?}: give none, 1x, 2x, 3x, 4x, 5x or 6x"));
	match text {
		"none" => Ok(0),
		_ => {
			let times = text.strip_suffix('x').and_then(|n| n.parse::<u8>().ok());
			times.filter(|n| (1..=6).contains(n)).ok_or_else(invalid)
		},
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn convictions_by_name() {
		assert_eq!(parse_conviction("none").ok(), Some(0));
		assert_eq!(parse_conviction("1x").ok(), Some(1));
		assert_eq!(parse_conviction("6x").ok(), Some(6));
		for bad in ["0x", "7x", "x", "1", "2X", ""] {
			let error = parse_conviction(bad).unwrap_err().0;
			assert_eq!(
				error,
				format!("invalid conviction {bad:?}: give none, 1x, 2x, 3x, 4x, 5x or 6x")
			);
		}
	}
}
