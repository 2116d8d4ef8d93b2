//! `daya load`: a load test against a node (operators, developers): jobs from many consumers
//! at once, then balance transfers as the baseline, block by block (see `crate::load`).

use super::Context;
use crate::{
	client::ModelRef,
	error::Failure,
	load::{self, Plan},
	report::Report,
};
use clap::Args;
use std::time::Duration;

/// `daya load`'s arguments. The signer (`--suri`) funds the consumers, whose keys derive from
/// it (`<suri>//load//<i>`).
#[derive(Args, Debug)]
pub struct LoadArgs {
	/// The model the jobs buy, by name or id.
	#[arg(long, default_value = "daya-dev-llama", value_name = "MODEL")]
	model: String,
	/// Consumers submitting at once, each its own account.
	#[arg(long, default_value_t = 16, value_name = "N")]
	consumers: u32,
	/// Jobs each consumer keeps open: the next is submitted as soon as one ends.
	#[arg(long, default_value_t = 8, value_name = "N")]
	open_per_consumer: u32,
	/// The most jobs a consumer submits in one transaction (`Inference.submit_jobs`, every
	/// job that has room at once); 1 submits each job in its own (`submit_job`).
	#[arg(long, default_value_t = 1, value_name = "N")]
	batch: u32,
	/// Each prompt's size in bytes.
	#[arg(long, default_value_t = 256, value_name = "BYTES")]
	prompt_bytes: u32,
	/// The most output tokens of each job.
	#[arg(long, default_value_t = 16, value_name = "N")]
	max_tokens: u32,
	/// How long consumers submit jobs, in seconds.
	#[arg(long, default_value_t = 300, value_name = "SECONDS")]
	duration: u64,
	/// How long to wait afterwards for the open jobs to end, in seconds.
	#[arg(long, default_value_t = 900, value_name = "SECONDS")]
	drain: u64,
	/// How long the baseline sends balance transfers, in seconds (0: no baseline).
	#[arg(long, default_value_t = 120, value_name = "SECONDS")]
	transfer_duration: u64,
	/// Transfers each account keeps in the pool during the baseline.
	#[arg(long, default_value_t = 256, value_name = "N")]
	transfers_in_flight: u32,
	/// Also write the report as JSON to this file.
	#[arg(long, value_name = "FILE")]
	json_out: Option<std::path::PathBuf>,
}

impl LoadArgs {
	pub async fn run(self, ctx: &Context) -> Result<Report, Failure> {
		// The key is checked before anything is sent.
		ctx.signer()?;
		// A dev name (`ferdie`) stands for its secret URI, from which the consumers derive.
		let funder = crate::client::secret_uri(ctx.suri())?;
		let (model, _) = ctx.client.model(&ModelRef::parse(&self.model)).await?;
		let plan = Plan {
			model,
			funder,
			consumers: self.consumers,
			open_per_consumer: self.open_per_consumer,
			batch: self.batch,
			prompt_bytes: self.prompt_bytes,
			max_output: self.max_tokens,
			jobs_for: Duration::from_secs(self.duration),
			drain: Duration::from_secs(self.drain),
			transfers_for: Duration::from_secs(self.transfer_duration),
			transfers_in_flight: self.transfers_in_flight,
		};
		let report = load::run(&ctx.client, plan).await?;
		if let Some(path) = &self.json_out {
			let text = serde_json::to_string_pretty(&report)?;
			std::fs::write(path, text)
				.map_err(|e| Failure(format!("writing {}: {e}", path.display())))?;
		}
		Ok(report.into())
	}
}
