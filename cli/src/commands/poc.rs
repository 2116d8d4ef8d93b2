//! `daya poc`: proof of compute's windows (hosts).

use super::Context;
use crate::{
	error::Failure,
	report::{self, Report},
};
use clap::Subcommand;

/// `daya poc`'s subcommands.
#[derive(Subcommand, Debug)]
pub enum PocCommand {
	/// The open (or last) window: when it opened, when it samples and concludes, how many
	/// hosts committed, whether its weights are applied.
	Window,
}

impl PocCommand {
	/// Runs the command.
	pub async fn run(self, ctx: &Context) -> Result<Report, Failure> {
		match self {
			PocCommand::Window => {
				Ok(report::PocWindow::new(ctx.client.poc_window().await?.as_ref()).into())
			},
		}
	}
}
