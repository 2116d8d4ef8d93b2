//! `daya host`: a host's registration and standing, and its own node's settings (hosts).

use super::Context;
use crate::{
	client::{self, Client, ModelRef},
	error::{fail, Failure},
	keys::read_api_key,
	report::{self, Report},
	units::parse_amount,
};
use clap::Subcommand;
use daya_protocol::settings::UrlSource;
use std::path::PathBuf;
use subxt::{dynamic::Value, utils::AccountId32};
use subxt_signer::sr25519::Keypair;

/// `daya host`'s subcommands.
#[derive(Subcommand, Debug)]
pub enum HostCommand {
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

impl HostCommand {
	/// Runs the command.
	pub async fn run(self, ctx: &Context) -> Result<Report, Failure> {
		let client = &ctx.client;
		match self {
			HostCommand::Status { account } => {
				let who = client::account(account.as_deref(), ctx.suri())?;
				match host_report(client, &who).await? {
					Some(host) => Ok(host.into()),
					None => fail(format!("{who} is not a registered host")),
				}
			},
			HostCommand::Register { endpoint, gpus, models, bond } => {
				let signer = ctx.signer()?;
				let gpus = parse_gpus(&gpus)?;
				let ids = model_ids(client, &models).await?;
				let bond = parse_amount(&bond)?;
				client.register_host(&signer, &endpoint, &gpus, &ids, bond).await?;
				match host_report(client, &client::account_of(&signer)).await? {
					Some(host) => Ok(host.into()),
					None => fail("the registration did not take"),
				}
			},
			HostCommand::Update { endpoint, gpus, models } => {
				let signer = ctx.signer()?;
				if endpoint.is_none() && gpus.is_empty() && models.is_empty() {
					return fail("nothing to update: give --endpoint, --gpu or --model");
				}
				let gpus = parse_gpus(&gpus)?;
				let ids = model_ids(client, &models).await?;
				client
					.update_host(
						&signer,
						endpoint.as_deref(),
						(!gpus.is_empty()).then_some(&gpus[..]),
						(!ids.is_empty()).then_some(&ids[..]),
					)
					.await?;
				host_after(client, &signer).await
			},
			HostCommand::BondMore { amount } => {
				let signer = ctx.signer()?;
				let amount = parse_amount(&amount)?;
				client.host_call(&signer, "bond_more", vec![Value::u128(amount)]).await?;
				host_after(client, &signer).await
			},
			HostCommand::SetKind { kind } => {
				let signer = ctx.signer()?;
				let variant = if kind == "full" { "Full" } else { "GreedyOnly" };
				let kind = Value::unnamed_variant(variant, []);
				client.host_call(&signer, "set_executor_kind", vec![kind]).await?;
				host_after(client, &signer).await
			},
			command @ (HostCommand::Chill
			| HostCommand::Unchill
			| HostCommand::Unbond
			| HostCommand::Withdraw) => {
				let signer = ctx.signer()?;
				let call = match command {
					HostCommand::Chill => "chill",
					HostCommand::Unchill => "unchill",
					HostCommand::Unbond => "unbond",
					_ => "withdraw_unbonded",
				};
				client.host_call(&signer, call, Vec::new()).await?;
				host_after(client, &signer).await
			},
			HostCommand::SetExecutor { executor_url, for_account, api_key_file } => {
				let who = client::account(for_account.as_deref(), ctx.suri())?;
				let url = executor_url.trim_end_matches('/');
				// Read and checked before anything is set: a bad key file changes nothing.
				let key = match &api_key_file {
					Some(path) => Some(read_api_key(path)?),
					None => None,
				};
				client.set_executor(&who, url).await?;
				let (now, source) = client.executor_of(&who).await?;
				if source != UrlSource::Host || now != url {
					return fail("the node did not keep the setting");
				}
				if let Some(key) = &key {
					client.set_executor_key(&who, key).await?;
					if client.executor_key_of(&who).await?.as_ref() != Some(key) {
						return fail("the node did not keep the API key");
					}
				}
				let keyed = client.executor_key_of(&who).await?.is_some();
				Ok(report::Executor::new(&who, &now, keyed).into())
			},
			HostCommand::InsertKey => {
				let signer = ctx.signer()?;
				let who = client::account_of(&signer);
				client.insert_host_key(&client::secret_uri(ctx.suri())?, who.0).await?;
				let registered = client.host(&who).await?.is_some();
				Ok(report::KeyInserted::new(&who, registered).into())
			},
		}
	}
}

/// GPUs given as `NAME:VRAM_MIB:COUNT`.
fn parse_gpus(gpus: &[String]) -> Result<Vec<client::Gpu>, Failure> {
	gpus.iter().map(|gpu| client::Gpu::parse(gpu)).collect()
}

/// The ids of models given by name or id, looked up in order.
async fn model_ids(client: &Client, models: &[String]) -> Result<Vec<u32>, Failure> {
	let mut ids = Vec::new();
	for model in models {
		ids.push(client.model(&ModelRef::parse(model)).await?.0);
	}
	Ok(ids)
}

/// `who`'s standing as a host, read at one block; `None` if it is not a registered host.
async fn host_report(client: &Client, who: &AccountId32) -> Result<Option<report::Host>, Failure> {
	Ok(client
		.host_report(who)
		.await?
		.map(|(host, poc, service)| report::Host::new(who, &host, &poc, &service)))
}

/// The `--suri` host's standing after a change, or that it left.
async fn host_after(client: &Client, signer: &Keypair) -> Result<Report, Failure> {
	let who = client::account_of(signer);
	Ok(match host_report(client, &who).await? {
		Some(host) => host.into(),
		None => report::Left::new(&who).into(),
	})
}
