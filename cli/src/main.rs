//! `daya`: the command-line client of the Daya network.
//!
//! One client for consumers (buy inference, follow jobs), hosts (their registration and
//! rewards), voters (the model registry) and anyone curious about the emission. It talks to a
//! Daya node over WebSocket RPC with subxt, reading the chain through Daya's runtime APIs and
//! signing extrinsics with the key given by `--suri`.
//!
//! Every error is one line on standard error and a non-zero exit; `--json` prints machine
//! output on standard output.

mod client;
mod format;
mod spec;

use clap::{Args, Parser, Subcommand};
use client::{Client, ModelRef};
use daya_protocol::settings::UrlSource;
use format::{parse_amount, Amount};
use std::{path::PathBuf, process::ExitCode, time::Duration};

/// The Daya network's client: buy inference, run a host, follow the emission.
#[derive(Parser, Debug)]
#[command(name = "daya", version, about, long_about = None)]
struct Cli {
	/// The node to talk to (WebSocket RPC).
	#[arg(
		long,
		global = true,
		env = "DAYA_URL",
		default_value = "ws://127.0.0.1:9944",
		value_name = "URL"
	)]
	url: String,

	/// The signing key, for commands that send transactions: a secret URI (`//Alice`, a
	/// mnemonic phrase, a `0x` seed, each with optional `//hard` and `/soft` derivations), or
	/// a dev account name (`alice`, `bob`, ... `ferdie`). A real key is better given by
	/// `--suri-file` or the environment than on a command line, which other users of the
	/// machine can read.
	#[arg(long, global = true, env = "DAYA_SURI", hide_env_values = true, value_name = "SURI")]
	suri: Option<String>,

	/// A file holding the signing key (its first line, as `--suri` takes it), readable by its
	/// owner only (mode 600).
	#[arg(
		long,
		global = true,
		env = "DAYA_SURI_FILE",
		value_name = "FILE",
		conflicts_with = "suri"
	)]
	suri_file: Option<std::path::PathBuf>,

	/// Print machine-readable JSON instead of text.
	#[arg(long, global = true)]
	json: bool,

	#[command(subcommand)]
	command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
	/// Buy inference and follow jobs (consumers).
	#[command(subcommand)]
	Job(JobCommand),
	/// The most a job can cost: its escrow at the model's current price.
	Quote(QuoteArgs),
	/// The model registry (voters, consumers).
	#[command(subcommand)]
	Model(ModelCommand),
	/// A host's registration and standing (hosts).
	#[command(subcommand)]
	Host(HostCommand),
	/// Emission rewards of hosts.
	#[command(subcommand)]
	Rewards(RewardsCommand),
	/// The emission schedule.
	#[command(subcommand)]
	Emission(EmissionCommand),
	/// A collator's standing, and how to join the collator set.
	#[command(subcommand)]
	Collator(CollatorCommand),
	/// Proof of compute's windows (hosts).
	#[command(subcommand)]
	Poc(PocCommand),
	/// Token-holder referenda on the model registry (OpenGov): propose, vote with conviction,
	/// follow (voters).
	#[command(subcommand)]
	Referendum(ReferendumCommand),
	/// The model council's motions on the registry, by its members: the fast path beside
	/// referenda.
	#[command(subcommand)]
	Council(CouncilCommand),
	/// The runtime's version, and applying an upgrade a referendum authorized (collators,
	/// voters).
	#[command(subcommand)]
	Runtime(RuntimeCommand),
}

#[derive(Subcommand, Debug)]
enum RuntimeCommand {
	/// The runtime's name and versions, and the hash of an authorized upgrade not applied yet.
	Version,
	/// Apply the upgrade a root referendum authorized (`daya referendum propose upgrade`), with
	/// the same blob: anyone may, and pays nothing. A parachain runs the new code once the
	/// relay chain lets it go ahead, a few relay blocks later.
	Upgrade {
		/// The runtime's WASM blob, as built or compressed.
		#[arg(long, value_name = "FILE")]
		wasm: std::path::PathBuf,
	},
}

#[derive(Subcommand, Debug)]
enum ReferendumCommand {
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

#[derive(Subcommand, Debug)]
enum CouncilCommand {
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

/// The call a proposal asks for: `Models.<call>` and its fields on the model-registry track,
/// or `System.authorize_upgrade` on the root track.
async fn proposal_call(
	client: &Client,
	proposal: &ProposeCommand,
) -> Result<client::Proposal, Failure> {
	use client::{Proposal, Track};
	use subxt::dynamic::Value;
	if let ProposeCommand::Upgrade { wasm } = proposal {
		use subxt::config::{substrate::BlakeTwo256, Hasher};
		let code = read_runtime_blob(wasm)?;
		return Ok(Proposal {
			pallet: "System",
			call: "authorize_upgrade",
			fields: vec![("code_hash", Value::from_bytes(BlakeTwo256.hash(&code).0))],
			track: Track::Root,
		});
	}
	let (call, fields) = registry_change(client, proposal).await?;
	Ok(Proposal { pallet: "Models", call, fields, track: Track::ModelRegistry })
}

/// A runtime's WASM blob from a file, as built (`\0asm`) or compressed as chain specs carry it.
fn read_runtime_blob(path: &std::path::Path) -> Result<Vec<u8>, Failure> {
	/// The prefix of a zstd-compressed runtime blob (`sp-maybe-compressed-blob`).
	const COMPRESSED: [u8; 8] = [82, 188, 83, 118, 70, 219, 142, 5];
	let code = std::fs::read(path)
		.map_err(|error| Failure(format!("cannot read {}: {error}", path.display())))?;
	if !code.starts_with(b"\0asm") && !code.starts_with(&COMPRESSED) {
		return Err(Failure(format!(
			"{} is not a runtime WASM blob (neither `\\0asm` nor a compressed blob)",
			path.display()
		)));
	}
	Ok(code)
}

/// The registry call a proposal asks for: `Models.<call>` and its fields.
async fn registry_change(
	client: &Client,
	proposal: &ProposeCommand,
) -> Result<(&'static str, Vec<(&'static str, subxt::dynamic::Value)>), Failure> {
	use subxt::dynamic::Value;
	let model_id = |model: &str| {
		let model = ModelRef::parse(model);
		async move { Ok::<_, Failure>(Value::u128(client.model(&model).await?.0.into())) }
	};
	Ok(match proposal {
		ProposeCommand::Register { spec } => {
			let params = spec::SpecFile::read(spec)?.params_value()?;
			("register_model", vec![("params", params)])
		},
		ProposeCommand::Update { model, spec } => {
			let spec = spec::SpecFile::read(spec)?.spec_value()?;
			("update_model", vec![("model", model_id(model).await?), ("spec", spec)])
		},
		ProposeCommand::Price { model, price } => (
			"set_price",
			vec![
				("model", model_id(model).await?),
				("price_per_token", Value::u128(parse_amount(price)?)),
			],
		),
		ProposeCommand::Deprecate { model } => {
			("deprecate_model", vec![("model", model_id(model).await?)])
		},
		ProposeCommand::Retire { model } => {
			("retire_model", vec![("model", model_id(model).await?)])
		},
		ProposeCommand::Upgrade { .. } => {
			return Err(Failure(
				"the council cannot authorize a runtime upgrade: it needs root, a referendum's \
				 (`daya referendum propose upgrade`)"
					.into(),
			))
		},
	})
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

#[derive(Subcommand, Debug)]
enum PocCommand {
	/// The open (or last) window: when it opened, when it samples and concludes, how many
	/// hosts committed, whether its weights are applied.
	Window,
}

#[derive(Subcommand, Debug)]
enum CollatorCommand {
	/// Whether an account has session keys, is a collator (invulnerable or candidate), and the
	/// last block it authored; and the steps to join.
	Status {
		/// The account (SS58 or a dev name); the `--suri` account if not given.
		account: Option<String>,
	},
}

#[derive(Args, Debug)]
struct PromptArgs {
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
	/// The most tokens to generate (and pay for).
	#[arg(long, default_value_t = 256, value_name = "N")]
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
	payload: Vec<u8>,
	temperature_milli: u32,
	seed: u64,
	chat: bool,
}

#[derive(Args, Debug)]
struct QuoteArgs {
	#[command(flatten)]
	prompt: PromptArgs,
}

#[derive(Subcommand, Debug)]
enum JobCommand {
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

#[derive(Subcommand, Debug)]
enum ModelCommand {
	/// Every registered model.
	List,
	/// One model, by name or id.
	Show {
		/// The model, by name or id.
		model: String,
	},
}

#[derive(Subcommand, Debug)]
enum ProposeCommand {
	/// Register a new model from a spec file (JSON: name, price_per_token, version,
	/// weights_hash, tokenizer_hash, source, engine, context_length, max_output_tokens,
	/// max_token_bytes, min_vram_mib, compute_units_per_token, and validation with
	/// conclusive_margin_micro, near_ties_base, near_ties_per_kilo, fingerprint_tolerance_ppm).
	Register {
		/// The spec file.
		#[arg(long, value_name = "FILE")]
		spec: PathBuf,
	},
	/// Replace a model's spec with a new version from a spec file (as for `register`, without
	/// name and price; the version must be above the current one).
	Update {
		/// The model, by name or id.
		model: String,
		/// The spec file.
		#[arg(long, value_name = "FILE")]
		spec: PathBuf,
	},
	/// Set a model's price per token.
	Price {
		/// The model, by name or id.
		model: String,
		/// The new price per token, in DAYA.
		#[arg(long, value_name = "DAYA")]
		price: String,
	},
	/// Deprecate a model: it keeps its hosts and jobs, but no new host may serve it.
	Deprecate {
		/// The model, by name or id.
		model: String,
	},
	/// Retire a model: no new jobs and no new hosts. Final.
	Retire {
		/// The model, by name or id.
		model: String,
	},
	/// Authorize a runtime upgrade to a WASM blob (`System.authorize_upgrade` with its hash, on
	/// the root track; referenda only, never the council). Once enacted, anyone applies it with
	/// `daya runtime upgrade --wasm` and the same blob.
	Upgrade {
		/// The new runtime's WASM blob, as built or compressed.
		#[arg(long, value_name = "FILE")]
		wasm: std::path::PathBuf,
	},
}

#[derive(Subcommand, Debug)]
enum HostCommand {
	/// A host's hardware, models, bond and standing.
	Status {
		/// The host's account (SS58 or a dev name); the `--suri` account if not given.
		account: Option<String>,
	},
	/// Register the `--suri` account as a host: its executor's URL, its GPUs, the models it
	/// serves and its bond (held, not transferred).
	Register {
		/// Where the host's executor answers, e.g. `http://203.0.113.7:8090`.
		#[arg(long, value_name = "URL")]
		endpoint: String,
		/// A kind of GPU as `NAME:VRAM_MIB:COUNT`, e.g. `H100:81920:8`; repeat for more kinds.
		#[arg(long = "gpu", value_name = "NAME:VRAM_MIB:COUNT", required = true)]
		gpus: Vec<String>,
		/// A model to serve, by name or id; repeat for more.
		#[arg(long = "model", value_name = "MODEL", required = true)]
		models: Vec<String>,
		/// The bond, in DAYA (at least the chain's minimum, 100 DAYA on Daya's chains).
		#[arg(long, value_name = "DAYA")]
		bond: String,
	},
	/// Change the `--suri` host's endpoint, GPUs or served models; what is not given stays.
	Update {
		/// The new executor URL.
		#[arg(long, value_name = "URL")]
		endpoint: Option<String>,
		/// The new GPU list, as `NAME:VRAM_MIB:COUNT`; repeat for more kinds.
		#[arg(long = "gpu", value_name = "NAME:VRAM_MIB:COUNT")]
		gpus: Vec<String>,
		/// The new list of served models, by name or id; repeat for more.
		#[arg(long = "model", value_name = "MODEL")]
		models: Vec<String>,
	},
	/// Add to the `--suri` host's bond.
	BondMore {
		/// How much, in DAYA.
		amount: String,
	},
	/// Declare what the `--suri` host's executor can do: `full` (it runs the model: every job,
	/// and it validates) or `greedy-only` (it forwards to llama.cpp's server or vLLM: greedy
	/// jobs only, results without fingerprints, never a validator).
	SetKind {
		/// `full` or `greedy-only`.
		#[arg(value_name = "KIND", value_parser = ["full", "greedy-only"])]
		kind: String,
	},
	/// Stop taking new work for now (the host stays registered and bonded).
	Chill,
	/// Take new work again (after `chill`, or once a jail term is over).
	Unchill,
	/// Start leaving: no new work from now on; the bond unlocks after the unbonding period.
	Unbond,
	/// Release the bond once the unbonding period is over, and leave the registry.
	Withdraw,
	/// Tell the node which executor runs the `--suri` host's jobs (or `--for` another host's).
	///
	/// A node-local setting (offchain storage, through the node's unsafe RPC): run it against
	/// the host's own node. Without it, the node uses http://127.0.0.1:8090.
	SetExecutor {
		/// The executor's URL as this node reaches it, e.g. `http://127.0.0.1:8090`.
		#[arg(value_name = "URL")]
		executor_url: String,
		/// The host (SS58 or a dev name) when no `--suri` is given.
		#[arg(long = "for", value_name = "ACCOUNT")]
		for_account: Option<String>,
		/// A file holding the executor's API key (its `api_key_file`): the node sends it with
		/// every call to this executor, and to no one else.
		#[arg(long, value_name = "FILE")]
		api_key_file: Option<PathBuf>,
	},
	/// Put the `--suri` host key into the node's keystore (key type `daya`), so that the
	/// node's offchain worker runs the host's jobs and signs their results.
	///
	/// Sends the secret to the node (an unsafe RPC): run it against the host's own node only.
	InsertKey,
}

#[derive(Subcommand, Debug)]
enum RewardsCommand {
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

#[derive(Subcommand, Debug)]
enum EmissionCommand {
	/// The schedule: what epochs pay, what was emitted, what remains.
	Schedule {
		/// How many halving eras to list.
		#[arg(long, default_value_t = 8, value_name = "N")]
		eras: u32,
	},
}

/// An error for the user: printed as one line.
#[derive(Debug)]
pub struct Failure(pub String);

impl<E: std::fmt::Display> From<E> for Failure {
	fn from(error: E) -> Self {
		Failure(error.to_string())
	}
}

/// Fails with a message.
pub fn fail<T>(message: impl Into<String>) -> Result<T, Failure> {
	Err(Failure(message.into()))
}

/// The API key in `path`: its one line, surrounding whitespace dropped, checked.
fn read_api_key(path: &std::path::Path) -> Result<String, Failure> {
	let text = std::fs::read_to_string(path)
		.map_err(|e| Failure(format!("--api-key-file: cannot read {}: {e}", path.display())))?;
	let key = text.trim();
	match daya_protocol::settings::api_key_problem(key) {
		Some(problem) => fail(format!("--api-key-file {}: {problem}", path.display())),
		None => Ok(key.to_string()),
	}
}

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

fn request(args: &PromptArgs) -> Result<Request, Failure> {
	if !args.temperature.is_finite() || !(0.0..=2.0).contains(&args.temperature) {
		return fail(format!("--temperature {} is not between 0 and 2", args.temperature));
	}
	Ok(Request {
		payload: prompt_bytes(args)?,
		temperature_milli: (args.temperature * 1000.0).round() as u32,
		seed: args.seed,
		chat: args.chat,
	})
}

/// The signing key's secret URI: `--suri` (or `DAYA_SURI`), or the first line of
/// `--suri-file` (or `DAYA_SURI_FILE`), which must be readable by its owner only.
fn secret_uri(cli: &Cli) -> Result<Option<String>, Failure> {
	let Some(path) = &cli.suri_file else { return Ok(cli.suri.clone()) };
	let shown = path.display();
	let metadata = std::fs::metadata(path)
		.map_err(|error| Failure(format!("cannot read the key file {shown}: {error}")))?;
	#[cfg(unix)]
	{
		use std::os::unix::fs::PermissionsExt;
		let mode = metadata.permissions().mode();
		if mode & 0o077 != 0 {
			return Err(Failure(format!(
				"the key file {shown} is readable by other users (mode {:o}): chmod 600 it",
				mode & 0o777
			)));
		}
	}
	let text = std::fs::read_to_string(path)
		.map_err(|error| Failure(format!("cannot read the key file {shown}: {error}")))?;
	match text.lines().next().map(str::trim).filter(|line| !line.is_empty()) {
		Some(line) => Ok(Some(line.to_string())),
		None => Err(Failure(format!("the key file {shown} is empty"))),
	}
}

async fn run(cli: Cli) -> Result<(), Failure> {
	// The key is read before connecting: a bad key file fails at once.
	let suri = secret_uri(&cli)?;
	let client = Client::connect(&cli.url).await?;
	let json = cli.json;
	match cli.command {
		Command::Quote(QuoteArgs { prompt }) => {
			let bytes = prompt_bytes(&prompt)?;
			let (id, model) = client.model(&ModelRef::parse(&prompt.model)).await?;
			let escrow = client.quote(id, bytes.len() as u32, prompt.max_tokens).await?;
			format::quote(json, id, &model, bytes.len(), prompt.max_tokens, escrow);
		},
		Command::Job(JobCommand::Submit { prompt, max_price, wait, timeout }) => {
			let signer = client::signer(suri.as_deref())?;
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
			if !wait {
				format::submitted(json, &submitted);
				return Ok(());
			}
			if !json {
				eprintln!(
					"job {} submitted, escrow {}; waiting for its executor and the result...",
					submitted.job_id,
					Amount(submitted.escrow)
				);
			}
			let outcome = client
				.wait_for_outcome(submitted.job_id, Duration::from_secs(timeout), !json)
				.await?;
			let output = match (outcome.output_hash, outcome.delivered_at) {
				(Some(hash), Some(at)) => {
					Some(client.read_output(submitted.job_id, at.into(), hash).await?)
				},
				_ => None,
			};
			format::finished(json, &submitted, &outcome, output.as_deref());
		},
		Command::Job(JobCommand::Status { id }) => match client.job(id).await? {
			Some(job) => format::job(json, id, &job),
			None => match client.outcome(id).await? {
				Some(outcome) => format::outcome(json, id, &outcome),
				None => {
					fail(format!("no job {id}: it never existed, or it ended more than a day ago"))?
				},
			},
		},
		Command::Job(JobCommand::Output { id }) => {
			let delivery = match client.job(id).await? {
				Some(job) => job.output_hash.zip(job.delivered_at),
				None => match client.outcome(id).await? {
					Some(outcome) => outcome.output_hash.zip(outcome.delivered_at),
					None => fail(format!(
						"no job {id}: it never existed, or it ended more than a day ago"
					))?,
				},
			};
			let Some((hash, at)) = delivery else {
				return fail(format!("job {id} has no output: nothing was delivered"));
			};
			let output = client.read_output(id, at.into(), hash).await?;
			format::output(json, id, at, &hash, &output);
		},
		Command::Job(JobCommand::Cancel { id }) => {
			let signer = client::signer(suri.as_deref())?;
			let cancelled = client.cancel_job(&signer, id).await?;
			format::cancelled(json, id, &cancelled);
		},
		Command::Model(ModelCommand::List) => format::models(json, &client.models().await?),
		Command::Model(ModelCommand::Show { model }) => {
			let (id, model) = client.model(&ModelRef::parse(&model)).await?;
			format::model(json, id, &model);
		},
		Command::Council(CouncilCommand::Propose(proposal)) => {
			let signer = client::signer(suri.as_deref())?;
			let (call, fields) = registry_change(&client, &proposal).await?;
			let motion = client.propose(&signer, call, fields).await?;
			format::motion(json, &motion);
		},
		Command::Council(CouncilCommand::Vote { hash, index, nay }) => {
			let signer = client::signer(suri.as_deref())?;
			let hash = client::parse_hash(&hash)?;
			client.vote(&signer, hash, index, !nay).await?;
			format::voted(json, index, !nay);
		},
		Command::Council(CouncilCommand::Close { hash, index }) => {
			let signer = client::signer(suri.as_deref())?;
			let hash = client::parse_hash(&hash)?;
			let enacted = client.close(&signer, hash, index).await?;
			format::closed(json, index, enacted);
		},
		Command::Referendum(ReferendumCommand::Propose(proposal)) => {
			let signer = client::signer(suri.as_deref())?;
			let proposal = proposal_call(&client, &proposal).await?;
			let submitted = client.submit_referendum(&signer, proposal).await?;
			format::referendum_submitted(json, &submitted);
		},
		Command::Referendum(ReferendumCommand::Vote { index, amount, conviction, nay }) => {
			let balance = parse_amount(&amount)?;
			let conviction = parse_conviction(&conviction)?;
			let signer = client::signer(suri.as_deref())?;
			client.vote_referendum(&signer, index, !nay, conviction, balance).await?;
			format::referendum_voted(json, index, !nay, conviction, balance);
		},
		Command::Referendum(ReferendumCommand::List) => {
			let count = client.referendum_count().await?;
			let mut all = Vec::new();
			// The last 50 submitted: older ones have ended long ago.
			for index in (count.saturating_sub(50)..count).rev() {
				if let Some(info) = client.referendum(index).await? {
					all.push((index, info));
				}
			}
			format::referenda(json, &all);
		},
		Command::Referendum(ReferendumCommand::Show { index }) => {
			let info = client
				.referendum(index)
				.await?
				.ok_or_else(|| Failure(format!("no referendum {index}")))?;
			format::referendum(json, index, &info);
		},
		Command::Runtime(RuntimeCommand::Version) => {
			let (version, authorized) = client.runtime_version().await?;
			format::runtime_version(json, &version, authorized);
		},
		Command::Runtime(RuntimeCommand::Upgrade { wasm }) => {
			let code = read_runtime_blob(&wasm)?;
			let signer = client::signer(suri.as_deref())?;
			let applied = client.apply_upgrade(&signer, code).await?;
			format::upgrade_applied(json, &applied);
		},
		Command::Host(HostCommand::Status { account }) => {
			let who = client::account(account.as_deref(), suri.as_deref())?;
			match client.host_report(&who).await? {
				Some((host, poc, service)) => format::host(json, &who, &host, &poc, &service),
				None => fail(format!("{who} is not a registered host"))?,
			}
		},
		Command::Host(HostCommand::Register { endpoint, gpus, models, bond }) => {
			let signer = client::signer(suri.as_deref())?;
			let gpus =
				gpus.iter().map(|gpu| client::Gpu::parse(gpu)).collect::<Result<Vec<_>, _>>()?;
			let mut ids = Vec::new();
			for model in &models {
				ids.push(client.model(&ModelRef::parse(model)).await?.0);
			}
			let bond = parse_amount(&bond)?;
			client.register_host(&signer, &endpoint, &gpus, &ids, bond).await?;
			let who = client::account_of(&signer);
			match client.host_report(&who).await? {
				Some((host, poc, service)) => format::host(json, &who, &host, &poc, &service),
				None => fail("the registration did not take")?,
			}
		},
		Command::Host(HostCommand::Update { endpoint, gpus, models }) => {
			let signer = client::signer(suri.as_deref())?;
			if endpoint.is_none() && gpus.is_empty() && models.is_empty() {
				fail("nothing to update: give --endpoint, --gpu or --model")?;
			}
			let gpus =
				gpus.iter().map(|gpu| client::Gpu::parse(gpu)).collect::<Result<Vec<_>, _>>()?;
			let mut ids = Vec::new();
			for model in &models {
				ids.push(client.model(&ModelRef::parse(model)).await?.0);
			}
			client
				.update_host(
					&signer,
					endpoint.as_deref(),
					(!gpus.is_empty()).then_some(&gpus[..]),
					(!ids.is_empty()).then_some(&ids[..]),
				)
				.await?;
			host_after(&client, json, &signer).await?;
		},
		Command::Host(HostCommand::BondMore { amount }) => {
			let signer = client::signer(suri.as_deref())?;
			let amount = parse_amount(&amount)?;
			client
				.host_call(&signer, "bond_more", vec![subxt::dynamic::Value::u128(amount)])
				.await?;
			host_after(&client, json, &signer).await?;
		},
		Command::Host(HostCommand::SetKind { kind }) => {
			let signer = client::signer(suri.as_deref())?;
			let variant = if kind == "full" { "Full" } else { "GreedyOnly" };
			let kind = subxt::dynamic::Value::unnamed_variant(variant, []);
			client.host_call(&signer, "set_executor_kind", vec![kind]).await?;
			host_after(&client, json, &signer).await?;
		},
		Command::Host(
			command @ (HostCommand::Chill
			| HostCommand::Unchill
			| HostCommand::Unbond
			| HostCommand::Withdraw),
		) => {
			let signer = client::signer(suri.as_deref())?;
			let call = match command {
				HostCommand::Chill => "chill",
				HostCommand::Unchill => "unchill",
				HostCommand::Unbond => "unbond",
				_ => "withdraw_unbonded",
			};
			client.host_call(&signer, call, Vec::new()).await?;
			host_after(&client, json, &signer).await?;
		},
		Command::Host(HostCommand::SetExecutor { executor_url, for_account, api_key_file }) => {
			let who = client::account(for_account.as_deref(), suri.as_deref())?;
			let url = executor_url.trim_end_matches('/');
			// Read and checked before anything is set: a bad key file changes nothing.
			let key = match &api_key_file {
				Some(path) => Some(read_api_key(path)?),
				None => None,
			};
			client.set_executor(&who, url).await?;
			let (now, source) = client.executor_of(&who).await?;
			if source != UrlSource::Host || now != url {
				fail("the node did not keep the setting")?;
			}
			if let Some(key) = &key {
				client.set_executor_key(&who, key).await?;
				if client.executor_key_of(&who).await?.as_ref() != Some(key) {
					fail("the node did not keep the API key")?;
				}
			}
			let keyed = client.executor_key_of(&who).await?.is_some();
			format::executor(json, &who, &now, keyed);
		},
		Command::Host(HostCommand::InsertKey) => {
			let signer = client::signer(suri.as_deref())?;
			let who = client::account_of(&signer);
			client.insert_host_key(&client::secret_uri(suri.as_deref())?, who.0).await?;
			let registered = client.host(&who).await?.is_some();
			format::key_inserted(json, &who, registered);
		},
		Command::Collator(CollatorCommand::Status { account }) => {
			let who = client::account(account.as_deref(), suri.as_deref())?;
			format::collator(json, &who, &client.collator(&who).await?);
		},
		Command::Rewards(RewardsCommand::Pending { account }) => {
			let who = client::account(account.as_deref(), suri.as_deref())?;
			format::pending(json, &who, client.pending_rewards(&who).await?);
		},
		Command::Rewards(RewardsCommand::Claim { for_account }) => {
			let signer = client::signer(suri.as_deref())?;
			let who = match for_account {
				Some(account) => client::account(Some(&account), None)?,
				None => client::account_of(&signer),
			};
			let amount = client.claim_rewards(&signer, &who).await?;
			format::claimed(json, &who, amount);
		},
		Command::Emission(EmissionCommand::Schedule { eras }) => {
			format::schedule(json, &client.schedule(eras).await?);
		},
		Command::Poc(PocCommand::Window) => {
			format::poc_window(json, client.poc_window().await?.as_ref());
		},
	}
	Ok(())
}

/// Prints the `--suri` host's standing after a change, or says it left.
async fn host_after(
	client: &Client,
	json: bool,
	signer: &subxt_signer::sr25519::Keypair,
) -> Result<(), Failure> {
	let who = client::account_of(signer);
	match client.host_report(&who).await? {
		Some((host, poc, service)) => format::host(json, &who, &host, &poc, &service),
		None => format::left(json, &who),
	}
	Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
	let cli = Cli::parse();
	match run(cli).await {
		Ok(()) => ExitCode::SUCCESS,
		Err(Failure(message)) => {
			eprintln!("error: {}", message.lines().next().unwrap_or("unknown error"));
			ExitCode::FAILURE
		},
	}
}
