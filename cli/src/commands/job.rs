//! `daya job` and `daya quote`: buying inference and following jobs (consumers).

use super::Context;
use crate::{
	client::{self, JobView, ModelRef},
	error::{fail, Failure},
	report::{self, Report},
	units::{parse_amount, Amount},
};
use clap::{Args, Subcommand};
use std::{path::PathBuf, time::Duration};

/// A job's model, prompt and sampling, as `job submit` and `quote` take them.
#[derive(Args, Debug)]
pub struct PromptArgs {
	/// The model, by name (`daya-dev-llama`) or id (`0`).
	#[arg(long, value_name = "MODEL")]
	model: String,
	/// The prompt.
	#[arg(
		long,
		value_name = "TEXT",
		conflicts_with = "prompt_file",
		required_unless_present = "prompt_file"
	)]
	prompt: Option<String>,
	/// A file holding the prompt.
	#[arg(long, value_name = "FILE")]
	prompt_file: Option<PathBuf>,
	/// The most tokens to generate (and pay for), at least 1.
	#[arg(long, default_value_t = 256, value_name = "N",
		value_parser = clap::value_parser!(u32).range(1..))]
	max_tokens: u32,
	/// Send the prompt as a chat: one user message (after the `--system` one, if given), which
	/// executor and validator render with the model's chat template. Without it the prompt is
	/// raw text.
	#[arg(long)]
	chat: bool,
	/// A system message for `--chat`.
	#[arg(long, value_name = "TEXT", requires = "chat")]
	system: Option<String>,
	/// Sampling temperature, 0 (greedy, the default) to 2.
	#[arg(long, default_value_t = 0.0, value_name = "T")]
	temperature: f64,
	/// Your seed for the sampler, mixed with randomness drawn when the job is assigned.
	#[arg(long, default_value_t = 0, value_name = "N")]
	seed: u64,
}

/// The payload and sampling parameters of a job.
struct Request {
	/// The prompt's bytes: raw text, or a chat as JSON.
	payload: Vec<u8>,
	/// The temperature in thousandths.
	temperature_milli: u32,
	/// The consumer's seed.
	seed: u64,
	/// Whether the payload is a chat.
	chat: bool,
}

/// `daya quote`'s arguments.
#[derive(Args, Debug)]
pub struct QuoteArgs {
	#[command(flatten)]
	prompt: PromptArgs,
}

/// `daya job`'s subcommands.
#[derive(Subcommand, Debug)]
pub enum JobCommand {
	/// Submit a job: its escrow is held, and its host is drawn from a later block's randomness;
	/// prints the job id.
	Submit {
		#[command(flatten)]
		prompt: PromptArgs,
		/// The most to pay per token, in DAYA (e.g. `0.000001`); the model's current price if
		/// not given.
		#[arg(long, value_name = "DAYA")]
		max_price: Option<String>,
		/// Wait until the job ends, then print the output, the tokens used and the cost.
		#[arg(long)]
		wait: bool,
		/// How long to wait, in seconds.
		#[arg(long, default_value_t = 600, value_name = "SECONDS", requires = "wait")]
		timeout: u64,
	},
	/// Submit a batch: one job per line of a file (empty lines skipped), in one transaction,
	/// taken whole or not at all (at most as many jobs as one consumer may have open); prints
	/// the job ids.
	Batch {
		/// The model, by name (`daya-dev-llama`) or id (`0`).
		#[arg(long, value_name = "MODEL")]
		model: String,
		/// The file of prompts, one a line.
		#[arg(long, value_name = "FILE")]
		prompts: PathBuf,
		/// The most tokens to generate (and pay for), for each job, at least 1.
		#[arg(long, default_value_t = 256, value_name = "N",
			value_parser = clap::value_parser!(u32).range(1..))]
		max_tokens: u32,
		/// Sampling temperature, 0 (greedy, the default) to 2, for each job.
		#[arg(long, default_value_t = 0.0, value_name = "T")]
		temperature: f64,
		/// Your seed for the first job's sampler; each next line's is one more.
		#[arg(long, default_value_t = 0, value_name = "N")]
		seed: u64,
		/// The most to pay per token, in DAYA; the model's current price if not given.
		#[arg(long, value_name = "DAYA")]
		max_price: Option<String>,
	},
	/// Where a job is, or how it ended.
	Status {
		/// The job id.
		id: u64,
	},
	/// A delivered job's output, read from the block the chain recorded for its delivery and
	/// checked against the output hash the chain recorded.
	Output {
		/// The job id.
		id: u64,
	},
	/// Cancel a job that has no result yet: at once, refunded in full, while no host has it;
	/// at its execution deadline once assigned, when a result delivered by then is paid for.
	Cancel {
		/// The job id.
		id: u64,
	},
}

impl QuoteArgs {
	/// The most a job can cost: its escrow at the model's current price.
	pub async fn run(self, ctx: &Context) -> Result<Report, Failure> {
		let prompt = self.prompt;
		let bytes = prompt_bytes(&prompt)?;
		let (id, model) = ctx.client.model(&ModelRef::parse(&prompt.model)).await?;
		let escrow = ctx.client.quote(id, bytes.len() as u32, prompt.max_tokens).await?;
		Ok(report::Quote::new(id, &model, bytes.len(), prompt.max_tokens, escrow).into())
	}
}

impl JobCommand {
	/// Runs the command.
	pub async fn run(self, ctx: &Context) -> Result<Report, Failure> {
		match self {
			JobCommand::Submit { prompt, max_price, wait, timeout } => {
				submit(ctx, prompt, max_price, wait.then_some(Duration::from_secs(timeout))).await
			},
			JobCommand::Batch { model, prompts, max_tokens, temperature, seed, max_price } => {
				let lines = batch_lines(&prompts)?;
				let temperature_milli = temperature_milli(temperature)?;
				let signer = ctx.signer()?;
				let (id, model) = ctx.client.model(&ModelRef::parse(&model)).await?;
				let most = ctx.client.max_batch().await?;
				if lines.len() > most as usize {
					return fail(format!(
						"{} holds {} prompts; a batch holds at most {most} (the jobs one consumer \
						 may have open)",
						prompts.display(),
						lines.len()
					));
				}
				let max_price = match max_price {
					Some(text) => parse_amount(&text)?,
					None => model.price_per_token,
				};
				let numbers: Vec<usize> = lines.iter().map(|(number, _)| *number).collect();
				let jobs: Vec<_> = lines
					.into_iter()
					.zip(0u64..)
					.map(|((_, prompt), index)| client::JobRequest {
						prompt,
						max_output: max_tokens,
						sampling: client::Sampling {
							temperature_milli,
							seed: seed.wrapping_add(index),
							chat: false,
						},
					})
					.collect();
				// Each prompt checked against the model's bounds, named by its line.
				if let Err((index, e)) = ctx.client.check_jobs(id, &jobs).await {
					let line = numbers.get(index).copied().unwrap_or(index + 1);
					return fail(format!("line {line} of {}: {}", prompts.display(), e.0));
				}
				let submitted = ctx.client.submit_jobs(&signer, id, jobs, max_price).await?;
				Ok(report::Batch::new(&submitted).into())
			},
			JobCommand::Status { id } => status(ctx, id).await,
			JobCommand::Output { id } => output(ctx, id).await.map(Report::from),
			JobCommand::Cancel { id } => {
				let signer = ctx.signer()?;
				let cancelled = ctx.client.cancel_job(&signer, id).await?;
				Ok(report::Cancelled::new(id, &cancelled).into())
			},
		}
	}
}

/// Submits a job; with a `wait` timeout, waits for its end (showing its progress on standard
/// error in text) and reads its output.
async fn submit(
	ctx: &Context,
	prompt: PromptArgs,
	max_price: Option<String>,
	wait: Option<Duration>,
) -> Result<Report, Failure> {
	let client = &ctx.client;
	let signer = ctx.signer()?;
	let request = request(&prompt)?;
	let (id, model) = client.model(&ModelRef::parse(&prompt.model)).await?;
	let max_price = match max_price {
		Some(text) => parse_amount(&text)?,
		None => model.price_per_token,
	};
	let submitted = client
		.submit_job(
			&signer,
			id,
			request.payload,
			prompt.max_tokens,
			max_price,
			client::Sampling {
				temperature_milli: request.temperature_milli,
				seed: request.seed,
				chat: request.chat,
			},
		)
		.await?;
	let Some(timeout) = wait else { return Ok(report::Submitted::new(&submitted).into()) };
	let job_id = submitted.job_id;
	if !ctx.json {
		eprintln!(
			"job {job_id} submitted, escrow {}; waiting for its executor and the result...",
			Amount(submitted.escrow)
		);
	}
	// Each change of its status, and its executor once drawn (again if it is reassigned).
	let mut last = String::new();
	let mut show = move |job: &JobView| {
		let now = report::progress(job);
		if now != last {
			eprintln!("job {job_id}: {now}");
			last = now;
		}
	};
	let progress = if ctx.json { None } else { Some(&mut show as &mut dyn FnMut(&JobView)) };
	let outcome = client.wait_for_outcome(job_id, timeout, progress).await?;
	let output = match (outcome.output_hash, outcome.delivered_at) {
		(Some(hash), Some(at)) => Some(client.read_output(job_id, at.into(), hash).await?),
		_ => None,
	};
	Ok(report::Finished::new(job_id, &outcome, output.as_deref()).into())
}

/// Where job `id` is, or how it ended.
async fn status(ctx: &Context, id: u64) -> Result<Report, Failure> {
	Ok(match ctx.client.job(id).await? {
		Some(job) => report::JobStatus::new(id, &job).into(),
		None => match ctx.client.outcome(id).await? {
			Some(outcome) => report::Outcome::new(id, &outcome).into(),
			None => return fail(no_job(id)),
		},
	})
}

/// Job `id`'s output, read from its delivery block and checked against its hash.
async fn output(ctx: &Context, id: u64) -> Result<report::Output, Failure> {
	let client = &ctx.client;
	let delivery = match client.job(id).await? {
		Some(job) => job.output_hash.zip(job.delivered_at),
		None => match client.outcome(id).await? {
			Some(outcome) => outcome.output_hash.zip(outcome.delivered_at),
			None => return fail(no_job(id)),
		},
	};
	let Some((hash, at)) = delivery else {
		return fail(format!("job {id} has no output: nothing was delivered"));
	};
	let output = client.read_output(id, at.into(), hash).await?;
	Ok(report::Output::new(id, at, &hash, &output))
}

/// The error for a job the chain does not know.
fn no_job(id: u64) -> String {
	format!("no job {id}: it never existed, or it ended more than a day ago")
}

/// The prompt's bytes: the text or the file's, and for `--chat`, the chat's messages as JSON.
fn prompt_bytes(args: &PromptArgs) -> Result<Vec<u8>, Failure> {
	let text = match (&args.prompt, &args.prompt_file) {
		(Some(text), _) => text.clone().into_bytes(),
		(None, Some(path)) => std::fs::read(path)
			.map_err(|e| Failure(format!("cannot read the prompt file {}: {e}", path.display())))?,
		(None, None) => return fail("give the prompt with --prompt or --prompt-file"),
	};
	if !args.chat {
		return Ok(text);
	}
	let text = String::from_utf8(text).map_err(|_| Failure("the prompt is not UTF-8".into()))?;
	let mut messages = Vec::new();
	if let Some(system) = &args.system {
		messages
			.push(daya_protocol::ChatMessage { role: "system".into(), content: system.clone() });
	}
	messages.push(daya_protocol::ChatMessage { role: "user".into(), content: text });
	serde_json::to_vec(&messages).map_err(|e| Failure(format!("encoding the chat: {e}")))
}

/// The prompts of a batch file: its non-empty lines, each UTF-8 text, with their line numbers
/// (from 1).
fn batch_lines(path: &std::path::Path) -> Result<Vec<(usize, Vec<u8>)>, Failure> {
	let bytes = std::fs::read(path)
		.map_err(|e| Failure(format!("cannot read the prompts file {}: {e}", path.display())))?;
	let mut lines = Vec::new();
	for (number, line) in bytes.split(|byte| *byte == b'\n').enumerate() {
		let line = line.strip_suffix(b"\r").unwrap_or(line);
		if line.iter().all(u8::is_ascii_whitespace) {
			continue;
		}
		if std::str::from_utf8(line).is_err() {
			return fail(format!("line {} of {} is not UTF-8 text", number + 1, path.display()));
		}
		lines.push((number + 1, line.to_vec()));
	}
	if lines.is_empty() {
		return fail(format!("{} holds no prompt", path.display()));
	}
	Ok(lines)
}

/// A `--temperature` in thousandths, checked.
fn temperature_milli(temperature: f64) -> Result<u32, Failure> {
	if !temperature.is_finite() || !(0.0..=2.0).contains(&temperature) {
		return fail(format!("--temperature {temperature} is not between 0 and 2"));
	}
	Ok((temperature * 1000.0).round() as u32)
}

/// A job's payload and sampling parameters, checked.
fn request(args: &PromptArgs) -> Result<Request, Failure> {
	Ok(Request {
		temperature_milli: temperature_milli(args.temperature)?,
		payload: prompt_bytes(args)?,
		seed: args.seed,
		chat: args.chat,
	})
}
