//! `daya model`: the model registry (voters, consumers).

use super::Context;
use crate::{
	client::ModelRef,
	error::Failure,
	report::{self, Report},
};
use clap::Subcommand;

/// `daya model`'s subcommands.
#[derive(Subcommand, Debug)]
pub enum ModelCommand {
	/// Every registered model.
	List,
	/// One model, by name or id.
	Show {
		/// The model, by name or id.
		model: String,
	},
}

impl ModelCommand {
	/// Runs the command.
	pub async fn run(self, ctx: &Context) -> Result<Report, Failure> {
		Ok(match self {
			ModelCommand::List => report::Models::new(&ctx.client.models().await?).into(),
			ModelCommand::Show { model } => {
				let (id, model) = ctx.client.model(&ModelRef::parse(&model)).await?;
				report::Model::new(id, &model).into()
			},
		})
	}
}
