//! `daya emission`: the emission schedule.

use super::Context;
use crate::{
	error::Failure,
	report::{self, Report},
};
use clap::Subcommand;

/// `daya emission`'s subcommands.
#[derive(Subcommand, Debug)]
pub enum EmissionCommand {
	/// The schedule: what epochs pay, what was emitted, what remains.
	Schedule {
		/// How many halving eras to list.
		#[arg(long, default_value_t = 8, value_name = "N")]
		eras: u32,
	},
}

impl EmissionCommand {
	/// Runs the command.
	pub async fn run(self, ctx: &Context) -> Result<Report, Failure> {
		match self {
			EmissionCommand::Schedule { eras } => {
				Ok(report::Schedule::new(&ctx.client.schedule(eras).await?).into())
			},
		}
	}
}
