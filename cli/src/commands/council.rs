//! `daya council`: the model council's motions on the registry, by its members (the fast path
//! beside referenda).

use super::{
	governance::{registry_change, ProposeCommand},
	Context,
};
use crate::{
	client,
	error::Failure,
	report::{self, Report},
};
use clap::Subcommand;

/// `daya council`'s subcommands.
#[derive(Subcommand, Debug)]
pub enum CouncilCommand {
	/// Propose a registry change to the model council, as a council member (`--suri`); prints
	/// the motion's hash and index for `vote` and `close`.
	#[command(subcommand)]
	Propose(ProposeCommand),
	/// Vote on a council motion, as a council member (`--suri`).
	Vote {
		/// The motion's hash (`0x...`), from `propose`.
		hash: String,
		/// The motion's index, from `propose`.
		index: u32,
		/// Vote against (the default is for).
		#[arg(long)]
		nay: bool,
	},
	/// Close a council motion once it has its votes: a motion that passed is enacted. Anyone
	/// (`--suri`) may close.
	Close {
		/// The motion's hash (`0x...`).
		hash: String,
		/// The motion's index.
		index: u32,
	},
}

impl CouncilCommand {
	/// Runs the command.
	pub async fn run(self, ctx: &Context) -> Result<Report, Failure> {
		let client = &ctx.client;
		match self {
			CouncilCommand::Propose(proposal) => {
				let signer = ctx.signer()?;
				let (call, fields) = registry_change(client, &proposal).await?;
				let motion = client.propose(&signer, call, fields).await?;
				Ok(report::Motion::new(&motion).into())
			},
			CouncilCommand::Vote { hash, index, nay } => {
				let signer = ctx.signer()?;
				let hash = client::parse_hash(&hash)?;
				client.vote(&signer, hash, index, !nay).await?;
				Ok(report::Voted { index, aye: !nay }.into())
			},
			CouncilCommand::Close { hash, index } => {
				let signer = ctx.signer()?;
				let hash = client::parse_hash(&hash)?;
				let enacted = client.close(&signer, hash, index).await?;
				Ok(report::Closed { index, enacted }.into())
			},
		}
	}
}
