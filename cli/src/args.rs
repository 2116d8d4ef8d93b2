//! The command line: the global flags and the command groups, each group's subcommands in its
//! file under `commands/`.

use crate::{
	client::Client,
	commands::{
		collator::CollatorCommand,
		council::CouncilCommand,
		emission::EmissionCommand,
		host::HostCommand,
		job::{JobCommand, QuoteArgs},
		load::LoadArgs,
		model::ModelCommand,
		poc::PocCommand,
		referendum::ReferendumCommand,
		rewards::RewardsCommand,
		runtime::RuntimeCommand,
		Context,
	},
	error::Failure,
	keys,
	report::Report,
};
use clap::{Parser, Subcommand};

/// The Daya network's client: buy inference, run a host, follow the emission.
#[derive(Parser, Debug)]
#[command(name = "daya", version, about, long_about = None)]
pub struct Cli {
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
	pub json: bool,

	#[command(subcommand)]
	command: Command,
}

/// The command groups.
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
	/// A load test: jobs from many consumers at once, then balance transfers as the baseline,
	/// with what each block carried (operators, developers).
	Load(LoadArgs),
}

impl Cli {
	/// Runs the command: reads the signing key (before connecting, so that a bad key file
	/// fails at once), connects to the node, and returns the command's report.
	pub async fn run(self) -> Result<Report, Failure> {
		let suri = keys::secret_uri(self.suri, self.suri_file.as_deref())?;
		let client = Client::connect(&self.url).await?;
		let ctx = Context { client, suri, json: self.json };
		self.command.run(&ctx).await
	}
}

impl Command {
	/// Runs the command of the group.
	async fn run(self, ctx: &Context) -> Result<Report, Failure> {
		match self {
			Command::Job(command) => command.run(ctx).await,
			Command::Quote(args) => args.run(ctx).await,
			Command::Model(command) => command.run(ctx).await,
			Command::Host(command) => command.run(ctx).await,
			Command::Rewards(command) => command.run(ctx).await,
			Command::Emission(command) => command.run(ctx).await,
			Command::Collator(command) => command.run(ctx).await,
			Command::Poc(command) => command.run(ctx).await,
			Command::Referendum(command) => command.run(ctx).await,
			Command::Council(command) => command.run(ctx).await,
			Command::Runtime(command) => command.run(ctx).await,
			Command::Load(args) => args.run(ctx).await,
		}
	}
}
