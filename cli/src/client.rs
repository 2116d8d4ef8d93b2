//! Talking to a Daya node: runtime API queries and signed extrinsics, through subxt's dynamic
//! API (the node's metadata describes every call and type).
//!
//! What the runtime APIs return is decoded into the runtime's own types from `daya-primitives`
//! (through [`Static`], which decodes a type by its SCALE `Decode` implementation), so that the
//! client has no copy of them to keep in step.

use crate::error::{fail, Failure};
use daya_primitives::{runtime_api, QuoteError};
use daya_protocol::{
	hex::{from_hex, to_hex},
	settings::{self, UrlSource},
};
use std::{str::FromStr, time::Duration};
use subxt::{
	dynamic::{self, Value},
	ext::{
		codec::Decode,
		frame_decode::runtime_apis::IntoEncodableValues,
		scale_decode::{self, DecodeAsType},
	},
	utils::{AccountId32, Static},
	OnlineClient, PolkadotConfig,
};
use subxt_signer::{sr25519::Keypair, SecretUri};

/// The key type under which the node's offchain worker finds host keys in its keystore (the
/// worker's `KEY_TYPE`, `b"daya"`).
pub const KEY_TYPE: &str = "daya";

// The runtime's types, with its `AccountId` (32 bytes), `Balance` (`u128`) and `BlockNumber`
// (`u32`).

/// A registered model, as `ModelsApi` shows it.
pub type ModelView = daya_primitives::ModelView<u128, u32>;
/// An open job, as `InferenceApi::job` shows it.
pub type JobView = runtime_api::JobView<AccountId32, u128, u32>;
/// Where an open job is.
pub type JobStatusView = runtime_api::JobStatusView<AccountId32>;
/// How a job ended, as `InferenceApi::outcome` shows it.
pub type JobOutcome = daya_primitives::JobOutcome<AccountId32, u128, u32>;
/// A registered host, as `HostsApi` shows it.
pub type HostView = runtime_api::HostView<u128, u32>;

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct JobSubmittedEvent {
	job_id: u64,
	escrow: u128,
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct JobEndedEvent {
	refund: u128,
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct CancelRequestedEvent {
	deadline: u32,
}

/// What cancelling a job did.
pub enum Cancelled {
	/// It ended, refunded in full.
	Ended { refund: u128 },
	/// It was assigned: it ends at `deadline`, refunded in full unless its result comes by then
	/// (which is paid for).
	AtDeadline { deadline: u32 },
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct RewardsClaimedEvent {
	amount: u128,
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct SubmitResultCall {
	job_id: u64,
	result: JobResultFields,
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct JobResultFields {
	output: Vec<u8>,
}

/// The `Inference.submit_results` call's field this client reads: the batch's results, each
/// as a `submit_result` names it.
#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct SubmitResultsCall {
	results: Vec<SubmitResultCall>,
}

/// How a job is sampled, and what its payload is.
pub struct Sampling {
	/// Temperature in thousandths; 0 is greedy.
	pub temperature_milli: u32,
	/// The consumer's seed.
	pub seed: u64,
	/// Whether the payload is a chat (a JSON list of messages).
	pub chat: bool,
}

impl Sampling {
	/// The call's `JobParams`.
	fn value(&self) -> Value {
		Value::named_composite([
			("temperature_milli", Value::u128(self.temperature_milli.into())),
			("seed", Value::u128(self.seed.into())),
			("format", Value::unnamed_variant(if self.chat { "Chat" } else { "Text" }, [])),
		])
	}
}

/// One job of a batch ([`Client::submit_jobs`]).
pub struct JobRequest {
	/// The prompt (or a chat's messages as JSON).
	pub prompt: Vec<u8>,
	/// The most tokens to generate.
	pub max_output: u32,
	pub sampling: Sampling,
}

/// A job just submitted. Its executor is drawn from the randomness of a later block (the
/// `Inference.JobAssigned` event, and the job's view from then on, name it).
pub struct Submitted {
	pub job_id: u64,
	pub escrow: u128,
	/// The block that included it.
	pub block: u64,
}

/// One row of the emission schedule.
pub struct Era {
	pub first_epoch: u32,
	pub reward: u128,
}

/// The emission's state and schedule.
pub struct Schedule {
	pub epoch: u32,
	pub epoch_length: u32,
	pub emitted: u128,
	pub remaining: u128,
	pub eras: Vec<Era>,
}

/// A model given by name or id.
pub enum ModelRef {
	Id(u32),
	Name(String),
}

impl ModelRef {
	/// A number is an id; anything else a name.
	pub fn parse(text: &str) -> Self {
		text.parse()
			.map(ModelRef::Id)
			.unwrap_or_else(|_| ModelRef::Name(text.to_string()))
	}
}

/// The key to sign with, from `--suri`.
pub fn signer(suri: Option<&str>) -> Result<Keypair, Failure> {
	let Some(suri) = suri else {
		return fail(
			"this command sends a transaction: give the signing key with --suri, --suri-file or \
			 DAYA_SURI",
		);
	};
	let uri = dev_name(suri).unwrap_or_else(|| suri.to_string());
	let uri = SecretUri::from_str(&uri).map_err(|e| Failure(format!("invalid --suri: {e}")))?;
	Keypair::from_uri(&uri).map_err(|e| Failure(format!("invalid --suri: {e}")))
}

/// `//Alice` for `alice`, and so on for the well-known dev accounts.
fn dev_name(text: &str) -> Option<String> {
	let names = ["alice", "bob", "charlie", "dave", "eve", "ferdie"];
	names.contains(&text.to_ascii_lowercase().as_str()).then(|| {
		let mut name = text.to_ascii_lowercase();
		name[..1].make_ascii_uppercase();
		format!("//{name}")
	})
}

/// The account of a key.
pub fn account_of(signer: &Keypair) -> AccountId32 {
	AccountId32::from(signer.public_key().0)
}

/// An account given as SS58 or a dev name, or else the `--suri` key's.
pub fn account(text: Option<&str>, suri: Option<&str>) -> Result<AccountId32, Failure> {
	match text {
		Some(text) => match dev_name(text) {
			Some(_) => Ok(account_of(&signer(Some(text))?)),
			None => AccountId32::from_str(text).map_err(|_| {
				Failure(format!("invalid account {text:?}: give an SS58 address or a dev name"))
			}),
		},
		None => match suri {
			Some(_) => Ok(account_of(&signer(suri)?)),
			None => fail("give an account, or --suri"),
		},
	}
}

/// A kind of GPU given as `NAME:VRAM_MIB:COUNT`.
pub struct Gpu {
	pub name: String,
	pub vram_mib: u32,
	pub count: u32,
}

impl Gpu {
	pub fn parse(text: &str) -> Result<Self, Failure> {
		let invalid = || {
			Failure(format!("invalid --gpu {text:?}: give NAME:VRAM_MIB:COUNT, e.g. H100:81920:8"))
		};
		let mut parts = text.rsplitn(3, ':');
		let count = parts.next().and_then(|c| c.parse().ok()).ok_or_else(invalid)?;
		let vram_mib = parts.next().and_then(|v| v.parse().ok()).ok_or_else(invalid)?;
		let name = parts.next().filter(|n| !n.is_empty()).ok_or_else(invalid)?.to_string();
		Ok(Gpu { name, vram_mib, count })
	}
}

/// What the chain says about a collator.
pub struct CollatorStanding {
	pub session_keys: bool,
	pub invulnerable: bool,
	pub candidate: Option<u128>,
	pub last_authored: Option<u32>,
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct CandidateInfo {
	who: [u8; 32],
	deposit: u128,
}

/// A council motion just proposed.
pub struct Motion {
	pub hash: [u8; 32],
	pub index: u32,
	pub threshold: u32,
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct ProposedEvent {
	proposal_index: u32,
	proposal_hash: [u8; 32],
	threshold: u32,
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct SubmittedEvent {
	index: u32,
	track: u16,
}

/// A referendum submitted by [`Client::submit_referendum`].
/// The track a referendum goes to, named by the origin its call needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Track {
	/// The model registry's changes.
	ModelRegistry,
	/// Runtime upgrades and whatever else needs root.
	Root,
}

/// A call for a referendum: `pallet.call(fields)`, on `track`.
pub struct Proposal {
	pub pallet: &'static str,
	pub call: &'static str,
	pub fields: Vec<(&'static str, Value)>,
	pub track: Track,
}

/// A runtime upgrade applied ([`Client::apply_upgrade`]).
pub struct UpgradeApplied {
	/// The block that applied it.
	pub block: u64,
	/// BLAKE2-256 of the code.
	pub code_hash: [u8; 32],
	/// The code's length in bytes, as given (compressed or not).
	pub code_len: usize,
	/// Whether the new code runs from the next block (a chain without a relay chain); a
	/// parachain's waits for the relay chain's go-ahead.
	pub enacted: bool,
}

pub struct ReferendumSubmitted {
	pub index: u32,
	pub track: u16,
	/// The proposed call's encoded length.
	pub call_len: usize,
}

/// The bytes of a dynamic value that holds a byte array (`[u8; N]`, or a hash type wrapping
/// one); `None` for anything else.
fn bytes_of(value: &Value) -> Option<Vec<u8>> {
	use subxt::ext::scale_value::ValueDef;
	let ValueDef::Composite(composite) = &value.value else { return None };
	let items: Vec<&Value> = composite.values().collect();
	match items.as_slice() {
		[inner] if matches!(inner.value, ValueDef::Composite(_)) => bytes_of(inner),
		_ => items
			.iter()
			.map(|item| item.as_u128().and_then(|n| u8::try_from(n).ok()))
			.collect(),
	}
}

/// A referendum's stored state as JSON: `status` (`ongoing`, `approved`, `rejected`,
/// `cancelled`, `timedOut`, `killed`), and for an ongoing one its track, tally (ayes, nays,
/// support), when it was submitted and since when it is deciding and confirming.
pub fn referendum_json(info: &Value) -> serde_json::Value {
	use subxt::ext::scale_value::{At, ValueDef};
	let number = |v: Option<&Value>| v.and_then(|v| v.as_u128());
	let ValueDef::Variant(variant) = &info.value else {
		return serde_json::json!({ "status": "unknown" });
	};
	let status = match variant.name.as_str() {
		"Ongoing" => "ongoing",
		"Approved" => "approved",
		"Rejected" => "rejected",
		"Cancelled" => "cancelled",
		"TimedOut" => "timedOut",
		"Killed" => "killed",
		other => other,
	};
	let fields: Vec<&Value> = variant.values.values().collect();
	if status != "ongoing" {
		let ended = number(fields.first().copied());
		return serde_json::json!({ "status": status, "endedAt": ended });
	}
	let Some(ongoing) = fields.first() else {
		return serde_json::json!({ "status": status });
	};
	let tally = ongoing.at("tally");
	let amount = |v: Option<&Value>| number(v).map(|n| n.to_string());
	let deciding = ongoing.at("deciding").and_then(|d| d.at(0));
	serde_json::json!({
		"status": status,
		"track": number(ongoing.at("track")),
		"submitted": number(ongoing.at("submitted")),
		"decidingSince": number(deciding.and_then(|d| d.at("since"))),
		"confirmingUntil": number(deciding.and_then(|d| d.at("confirming")).and_then(|c| c.at(0))),
		"ayes": amount(tally.and_then(|t| t.at("ayes"))),
		"nays": amount(tally.and_then(|t| t.at("nays"))),
		"support": amount(tally.and_then(|t| t.at("support"))),
		"decisionDeposit": ongoing.at("decision_deposit").and_then(|d| d.at(0)).is_some(),
	})
}

/// Parses a `0x`-prefixed 32-byte hash.
pub fn parse_hash(text: &str) -> Result<[u8; 32], Failure> {
	text.strip_prefix("0x")
		.and_then(daya_protocol::hex::parse_hash)
		.ok_or_else(|| Failure(format!("invalid hash {text:?}: give 0x and 64 hex digits")))
}

/// The client's connection to a node: its subxt client and its raw JSON-RPC client.
#[derive(Clone)]
pub struct Client {
	api: OnlineClient<PolkadotConfig>,
	rpc: subxt::rpcs::RpcClient,
	/// The block every read is made at, where reads must see one state (see [`Client::pinned`]);
	/// the latest finalized block at each read otherwise.
	at: Option<subxt::config::HashFor<PolkadotConfig>>,
}

/// The first `pallet.name` event among `events`, decoded.
fn find_event<E: scale_decode::DecodeAsFields>(
	events: &subxt::extrinsics::ExtrinsicEvents<PolkadotConfig>,
	pallet: &str,
	name: &str,
) -> Result<Option<E>, Failure> {
	for event in events.iter() {
		let event = event.map_err(short)?;
		if event.pallet_name() == pallet && event.event_name() == name {
			return event.decode_fields_unchecked_as().map(Some).map_err(short);
		}
	}
	Ok(None)
}

/// Every event `pallet.name` of an extrinsic, in order.
fn events_named<E: scale_decode::DecodeAsFields>(
	events: &subxt::extrinsics::ExtrinsicEvents<PolkadotConfig>,
	pallet: &str,
	name: &str,
) -> Result<Vec<E>, Failure> {
	let mut found = Vec::new();
	for event in events.iter() {
		let event = event.map_err(short)?;
		if event.pallet_name() == pallet && event.event_name() == name {
			found.push(event.decode_fields_unchecked_as().map_err(short)?);
		}
	}
	Ok(found)
}

/// The first line of a subxt error, without its nesting.
fn short(error: impl std::fmt::Display) -> Failure {
	let text = error.to_string();
	Failure(text.lines().next().unwrap_or("unknown error").to_string())
}

/// Whether a transaction failed because another transaction of the same account took its nonce
/// (it was dropped from the pool, never included), as the pool words it.
fn lost_nonce_race(error: &str) -> bool {
	[
		"rendered invalid by another extrinsic",
		"Transaction is outdated",
		"Usurped",
		"priority of the transaction is too low",
	]
	.iter()
	.any(|words| error.contains(words))
}

impl Client {
	pub async fn connect(url: &str) -> Result<Self, Failure> {
		let refused = |e: String| Failure(format!("cannot connect to {url}: {e}"));
		let rpc = subxt::rpcs::RpcClient::from_insecure_url(url)
			.await
			.map_err(|e| refused(short(e).0))?;
		let api = OnlineClient::<PolkadotConfig>::from_rpc_client(rpc.clone())
			.await
			.map_err(|e| refused(short(e).0))?;
		Ok(Client { api, rpc, at: None })
	}

	/// A raw JSON-RPC call; the node's refusal of unsafe methods becomes a clear error.
	async fn rpc<R: serde::de::DeserializeOwned>(
		&self,
		method: &str,
		params: subxt::rpcs::client::RpcParams,
	) -> Result<R, Failure> {
		self.rpc.request(method, params).await.map_err(|e| {
			let text = short(e).0;
			if text.to_ascii_lowercase().contains("unsafe") {
				Failure(format!(
					"the node refuses {method}: it is an unsafe RPC method, which a node answers \
					 only on its own machine (or with --rpc-methods unsafe); run this against the \
					 host's own node"
				))
			} else {
				Failure(format!("{method}: {text}"))
			}
		})
	}

	/// Points this node's offchain worker at `host`'s executor (node-local offchain storage).
	pub async fn set_executor(&self, host: &AccountId32, url: &str) -> Result<(), Failure> {
		if !settings::is_valid_executor_url(url) {
			return fail(format!(
				"invalid executor URL {url:?}: give http:// or https:// and a host, at most {} \
				 bytes, without spaces",
				settings::MAX_URL_LEN
			));
		}
		let key = settings::executor_url_key(&host.0);
		self.rpc::<()>(
			"offchain_localStorageSet",
			subxt::rpcs::rpc_params!["PERSISTENT", to_hex(&key), to_hex(url.as_bytes())],
		)
		.await
	}

	/// Gives this node's offchain worker the API key of `host`'s executor (node-local offchain
	/// storage); the key must be a valid one ([`settings::api_key_problem`]).
	pub async fn set_executor_key(&self, host: &AccountId32, key: &str) -> Result<(), Failure> {
		if let Some(problem) = settings::api_key_problem(key) {
			return fail(format!("invalid executor API key: {problem}"));
		}
		let storage_key = settings::executor_key_key(&host.0);
		self.rpc::<()>(
			"offchain_localStorageSet",
			subxt::rpcs::rpc_params!["PERSISTENT", to_hex(&storage_key), to_hex(key.as_bytes())],
		)
		.await
	}

	/// The API key this node's offchain worker sends to `host`'s executor, if any, by the
	/// worker's own rule ([`settings::executor_key`]).
	pub async fn executor_key_of(&self, host: &AccountId32) -> Result<Option<String>, Failure> {
		let per_host = self.offchain_get(settings::executor_key_key(&host.0)).await?;
		let node_wide = self.offchain_get(settings::EXECUTOR_KEY_KEY.to_vec()).await?;
		Ok(settings::executor_key(per_host.as_deref(), node_wide.as_deref()))
	}

	/// A value of the node's persistent offchain storage.
	async fn offchain_get(&self, key: Vec<u8>) -> Result<Option<Vec<u8>>, Failure> {
		let value: Option<String> = self
			.rpc("offchain_localStorageGet", subxt::rpcs::rpc_params!["PERSISTENT", to_hex(&key)])
			.await?;
		Ok(value.and_then(|hex| from_hex(&hex)))
	}

	/// The executor URL this node's offchain worker uses for `host`, and where it comes from
	/// (the host's own setting, the node-wide one, or the default), by the worker's own rule
	/// ([`settings::executor_url`]).
	pub async fn executor_of(&self, host: &AccountId32) -> Result<(String, UrlSource), Failure> {
		let get = |key: Vec<u8>| async move {
			let value: Option<String> = self
				.rpc(
					"offchain_localStorageGet",
					subxt::rpcs::rpc_params!["PERSISTENT", to_hex(&key)],
				)
				.await?;
			Ok::<_, Failure>(value.and_then(|hex| from_hex(&hex)))
		};
		let per_host = get(settings::executor_url_key(&host.0)).await?;
		let node_wide = get(settings::EXECUTOR_URL_KEY.to_vec()).await?;
		Ok(settings::executor_url(per_host.as_deref(), node_wide.as_deref()))
	}

	/// Inserts the host key given by `suri` into the node's keystore under [`KEY_TYPE`], and
	/// checks that the node has it.
	pub async fn insert_host_key(&self, suri: &str, public: [u8; 32]) -> Result<(), Failure> {
		self.rpc::<()>(
			"author_insertKey",
			subxt::rpcs::rpc_params![KEY_TYPE, suri, to_hex(&public)],
		)
		.await?;
		let present: bool = self
			.rpc("author_hasKey", subxt::rpcs::rpc_params![to_hex(&public), KEY_TYPE])
			.await?;
		if !present {
			return fail(
				"the node accepted the key but does not have it: is its keystore writable?",
			);
		}
		Ok(())
	}

	/// This client with every read made at the latest finalized block now: reads that are shown
	/// together (a host's registry entry, proof of compute and service) then see one state, never
	/// one block's slash beside the next block's weight.
	pub async fn pinned(&self) -> Result<Client, Failure> {
		let at = self.api.at_current_block().await.map_err(short)?;
		Ok(self.at(&at))
	}

	/// This client with every read made at `block`.
	fn at(&self, block: &subxt::client::OnlineClientAtBlock<PolkadotConfig>) -> Client {
		Client { api: self.api.clone(), rpc: self.rpc.clone(), at: Some(block.block_hash()) }
	}

	async fn call<R: DecodeAsType>(
		&self,
		api: &str,
		method: &str,
		args: impl IntoEncodableValues,
	) -> Result<R, Failure> {
		let call = dynamic::runtime_api_call::<_, R>(api, method, args);
		let at = match self.at {
			Some(hash) => self.api.at_block(hash).await,
			None => self.api.at_current_block().await,
		}
		.map_err(short)?;
		at.runtime_apis().call(call).await.map_err(short)
	}

	/// `who`'s registry entry, proof of compute and service, all read at one block; `None` if it
	/// is not a registered host.
	pub async fn host_report(
		&self,
		who: &AccountId32,
	) -> Result<Option<(HostView, runtime_api::PocHostView, runtime_api::ServiceView)>, Failure> {
		let at = self.pinned().await?;
		let Some(host) = at.host(who).await? else { return Ok(None) };
		Ok(Some((host, at.poc_host(who).await?, at.service(who).await?)))
	}

	/// [`Self::call`] for a runtime API that returns `daya-primitives` types: decodes `R` by its
	/// SCALE `Decode` implementation.
	async fn call_decode<R: Decode>(
		&self,
		api: &str,
		method: &str,
		args: impl IntoEncodableValues,
	) -> Result<R, Failure> {
		self.call::<Static<R>>(api, method, args).await.map(|Static(value)| value)
	}

	/// The subxt client, for what drives the node directly (`daya load`).
	pub fn api(&self) -> &OnlineClient<PolkadotConfig> {
		&self.api
	}

	/// [`Self::next_nonce`], as a user's error.
	pub async fn next_nonce_of(&self, signer: &Keypair) -> Result<u64, Failure> {
		self.next_nonce(signer).await.map_err(short)
	}

	/// `who`'s nonce in the latest finalized block: its transactions included so far.
	pub async fn included_nonce(&self, who: &AccountId32) -> Result<u64, Failure> {
		#[derive(DecodeAsType)]
		#[decode_as_type(crate_path = "scale_decode")]
		struct AccountInfo {
			nonce: u32,
		}
		let at = self.api.at_current_block().await.map_err(short)?;
		let account = dynamic::storage::<([u8; 32],), AccountInfo>("System", "Account");
		Ok(match at.storage().try_fetch(account, (who.0,)).await.map_err(short)? {
			Some(value) => value.decode().map_err(short)?.nonce.into(),
			None => 0,
		})
	}

	/// `signer`'s next nonce, counting its transactions in the node's pool and best blocks.
	async fn next_nonce(&self, signer: &Keypair) -> Result<u64, subxt::Error> {
		let who = account_of(signer).to_string();
		Ok(self
			.rpc
			.request("system_accountNextIndex", subxt::rpcs::rpc_params![who])
			.await?)
	}

	/// Signs and submits `call`, waits for finalization and success; returns the events and the
	/// block number.
	async fn send(
		&self,
		call: &impl subxt::tx::Payload,
		signer: &Keypair,
	) -> Result<(subxt::extrinsics::ExtrinsicEvents<PolkadotConfig>, u64), Failure> {
		let sent = || async {
			// The next nonce as the node's pool sees it: the latest finalized block's (what
			// subxt reads by default) lags on a parachain, where the account's other sender (a
			// host's offchain worker) may have transactions in unfinalized blocks.
			let nonce = self.next_nonce(signer).await?;
			let params = subxt::config::PolkadotExtrinsicParamsBuilder::new().nonce(nonce).build();
			let in_block = self
				.api
				.at_current_block()
				.await?
				.transactions()
				.sign_and_submit_then_watch(call, signer, params)
				.await?
				.wait_for_finalized()
				.await?;
			let hash = in_block.block_hash();
			let events = in_block.wait_for_success().await?;
			Ok::<_, subxt::Error>((events, hash))
		};
		let mut attempt = 0;
		let (events, hash) = loop {
			let result =
				tokio::time::timeout(Duration::from_secs(120), sent()).await.map_err(|_| {
					Failure("the transaction was not finalized within 2 minutes".into())
				})?;
			match result {
				Ok(done) => break done,
				// The account's other sender (a host's own offchain worker signs with the same
				// key) took the nonce first: this transaction was never included, so sending it
				// again with the next nonce is safe.
				// Sent again after a pause that grows, so that the other sender's transaction
				// is in a block by then and the pool gives this one the next nonce.
				Err(error) if attempt < 5 && lost_nonce_race(&error.to_string()) => {
					attempt += 1;
					tokio::time::sleep(Duration::from_millis(1_500 * attempt)).await;
				},
				Err(error) => return Err(short(error)),
			}
		};
		let number = self.api.at_block(hash).await.map_err(short)?.block_number();
		Ok((events, number))
	}

	pub async fn models(&self) -> Result<Vec<(u32, ModelView)>, Failure> {
		self.call_decode("ModelsApi", "models", ()).await
	}

	pub async fn model(&self, model: &ModelRef) -> Result<(u32, ModelView), Failure> {
		match model {
			ModelRef::Id(id) => {
				let view: Option<ModelView> =
					self.call_decode("ModelsApi", "model", (*id,)).await?;
				view.map(|view| (*id, view)).ok_or_else(|| Failure(format!("no model {id}")))
			},
			ModelRef::Name(name) => {
				let found: Option<(u32, ModelView)> = self
					.call_decode("ModelsApi", "model_by_name", (name.as_bytes().to_vec(),))
					.await?;
				found.ok_or_else(|| Failure(format!("no model named {name:?}")))
			},
		}
	}

	pub async fn quote(&self, model: u32, prompt: u32, max_output: u32) -> Result<u128, Failure> {
		let quote: Result<u128, QuoteError> =
			self.call_decode("InferenceApi", "quote", (model, prompt, max_output)).await?;
		quote.map_err(|error| {
			Failure(match error {
				QuoteError::UnknownModel => format!("no model {model}"),
				QuoteError::ModelNotAccepting => format!("model {model} takes no new jobs"),
				QuoteError::TooManyTokens => format!(
					"model {model} does not take {prompt} prompt bytes and {max_output} output tokens"
				),
				QuoteError::Overflow => "the escrow does not fit a balance".into(),
			})
		})
	}

	pub async fn job(&self, id: u64) -> Result<Option<JobView>, Failure> {
		self.call_decode("InferenceApi", "job", (id,)).await
	}

	pub async fn outcome(&self, id: u64) -> Result<Option<JobOutcome>, Failure> {
		self.call_decode("InferenceApi", "outcome", (id,)).await
	}

	pub async fn host(&self, who: &AccountId32) -> Result<Option<HostView>, Failure> {
		self.call_decode("HostsApi", "host", (who.0,)).await
	}

	/// The part `who` takes in proof of compute.
	pub async fn poc_host(
		&self,
		who: &AccountId32,
	) -> Result<daya_primitives::runtime_api::PocHostView, Failure> {
		self.call_decode("PocApi", "host", (who.0,)).await
	}

	/// Proof of compute's open (or last) window.
	pub async fn poc_window(
		&self,
	) -> Result<Option<daya_primitives::runtime_api::PocWindowView<u32>>, Failure> {
		self.call_decode("PocApi", "window", ()).await
	}

	/// What `who` did in the epoch accruing now.
	pub async fn service(
		&self,
		who: &AccountId32,
	) -> Result<daya_primitives::runtime_api::ServiceView, Failure> {
		self.call_decode("EmissionApi", "service", (who.0,)).await
	}

	pub async fn pending_rewards(&self, who: &AccountId32) -> Result<u128, Failure> {
		self.call("EmissionApi", "pending_rewards", (who.0,)).await
	}

	/// The emission schedule, read at one block.
	pub async fn schedule(&self, eras: u32) -> Result<Schedule, Failure> {
		let at = self.api.at_current_block().await.map_err(short)?;
		let pinned = self.at(&at);
		let (epoch, _start): (u32, u32) = pinned.call("EmissionApi", "current_epoch", ()).await?;
		let epoch_length: u32 = pinned.call("EmissionApi", "epoch_length", ()).await?;
		let (emitted, remaining): (u128, u128) = pinned.call("EmissionApi", "emitted", ()).await?;
		// Eras start at multiples of the halving interval, a constant of the runtime.
		let interval: u32 = at
			.constants()
			.entry(dynamic::constant::<u32>("Emission", "HalvingInterval"))
			.map_err(short)?;
		let mut rows = Vec::new();
		for era in 0..eras {
			let Some(first_epoch) = era.checked_mul(interval) else { break };
			let reward: u128 = pinned.call("EmissionApi", "reward_at", (first_epoch,)).await?;
			rows.push(Era { first_epoch, reward });
			if reward == 0 {
				break;
			}
		}
		Ok(Schedule { epoch, epoch_length, emitted, remaining, eras: rows })
	}

	pub async fn submit_job(
		&self,
		signer: &Keypair,
		model: u32,
		prompt: Vec<u8>,
		max_output: u32,
		max_price: u128,
		sampling: Sampling,
	) -> Result<Submitted, Failure> {
		// A clear error before signing: the quote checks the model and the sizes.
		self.quote(model, prompt.len() as u32, max_output).await?;
		let call = dynamic::transaction(
			"Inference",
			"submit_job",
			vec![
				Value::u128(model.into()),
				Value::from_bytes(prompt),
				Value::u128(max_output.into()),
				Value::u128(max_price),
				sampling.value(),
			],
		);
		let (events, block) = self.send(&call, signer).await?;
		let event = find_event::<JobSubmittedEvent>(&events, "Inference", "JobSubmitted")?
			.ok_or_else(|| Failure("the job was not submitted".into()))?;
		Ok(Submitted { job_id: event.job_id, escrow: event.escrow, block })
	}

	/// The most jobs a batch may hold: one consumer's open jobs (`MaxOpenJobsPerAccount`).
	pub async fn max_batch(&self) -> Result<u32, Failure> {
		let at = self.api.at_current_block().await.map_err(short)?;
		at.constants()
			.entry(dynamic::constant::<u32>("Inference", "MaxOpenJobsPerAccount"))
			.map_err(short)
	}

	/// Checks each of `jobs` against `model`'s bounds (its quote), for a clear error before
	/// signing: the first that fails, by its place in `jobs`, and why.
	pub async fn check_jobs(
		&self,
		model: u32,
		jobs: &[JobRequest],
	) -> Result<(), (usize, Failure)> {
		for (index, job) in jobs.iter().enumerate() {
			self.quote(model, job.prompt.len() as u32, job.max_output)
				.await
				.map_err(|e| (index, e))?;
		}
		Ok(())
	}

	/// Submits `jobs` for `model` in one transaction (`submit_jobs`), taken whole or not at
	/// all; returns the jobs in the batch's order.
	pub async fn submit_jobs(
		&self,
		signer: &Keypair,
		model: u32,
		jobs: Vec<JobRequest>,
		max_price: u128,
	) -> Result<Vec<Submitted>, Failure> {
		if jobs.is_empty() {
			return Err(Failure("a batch needs at least one job".into()));
		}
		self.check_jobs(model, &jobs)
			.await
			.map_err(|(index, e)| Failure(format!("job {} of the batch: {}", index + 1, e.0)))?;
		let count = jobs.len();
		let requests = jobs.into_iter().map(|job| {
			Value::named_composite([
				("payload", Value::from_bytes(job.prompt)),
				("max_output_tokens", Value::u128(job.max_output.into())),
				("params", job.sampling.value()),
			])
		});
		let call = dynamic::transaction(
			"Inference",
			"submit_jobs",
			vec![
				Value::u128(model.into()),
				Value::u128(max_price),
				Value::unnamed_composite(requests),
			],
		);
		let (events, block) = self.send(&call, signer).await?;
		let submitted = events_named::<JobSubmittedEvent>(&events, "Inference", "JobSubmitted")?
			.into_iter()
			.map(|event| Submitted { job_id: event.job_id, escrow: event.escrow, block })
			.collect::<Vec<_>>();
		if submitted.len() != count {
			return Err(Failure(format!(
				"the batch of {count} jobs made {} JobSubmitted events",
				submitted.len()
			)));
		}
		Ok(submitted)
	}

	pub async fn register_host(
		&self,
		signer: &Keypair,
		endpoint: &str,
		gpus: &[Gpu],
		models: &[u32],
		bond: u128,
	) -> Result<(), Failure> {
		let call = dynamic::transaction(
			"Compute",
			"register_host",
			vec![
				Value::from_bytes(endpoint.as_bytes()),
				Self::hardware(gpus),
				Value::unnamed_composite(models.iter().map(|m| Value::u128((*m).into()))),
				Value::u128(bond),
			],
		);
		self.send(&call, signer).await.map(|_| ())
	}

	pub async fn update_host(
		&self,
		signer: &Keypair,
		endpoint: Option<&str>,
		gpus: Option<&[Gpu]>,
		models: Option<&[u32]>,
	) -> Result<(), Failure> {
		let some = |value: Value| Value::unnamed_variant("Some", [value]);
		let none = || Value::unnamed_variant("None", []);
		let endpoint = endpoint.map_or_else(none, |e| some(Value::from_bytes(e.as_bytes())));
		let hardware = gpus.map_or_else(none, |gpus| some(Self::hardware(gpus)));
		let models = models.map_or_else(none, |models| {
			some(Value::unnamed_composite(models.iter().map(|m| Value::u128((*m).into()))))
		});
		let call = dynamic::transaction("Compute", "update_host", vec![endpoint, hardware, models]);
		self.send(&call, signer).await.map(|_| ())
	}

	fn hardware(gpus: &[Gpu]) -> Value {
		Value::unnamed_composite(gpus.iter().map(|gpu| {
			Value::named_composite([
				("name", Value::from_bytes(gpu.name.as_bytes())),
				("vram_mib", Value::u128(gpu.vram_mib.into())),
				("count", Value::u128(gpu.count.into())),
			])
		}))
	}

	/// Sends `Compute::<call>(args)` signed by the host.
	pub async fn host_call(
		&self,
		signer: &Keypair,
		call: &str,
		args: Vec<Value>,
	) -> Result<(), Failure> {
		let call = dynamic::transaction("Compute", call, args);
		self.send(&call, signer).await.map(|_| ())
	}

	pub async fn collator(&self, who: &AccountId32) -> Result<CollatorStanding, Failure> {
		let at = self.api.at_current_block().await.map_err(short)?;
		let keys = dynamic::storage::<([u8; 32],), Value>("Session", "NextKeys");
		let session_keys = at.storage().try_fetch(keys, (who.0,)).await.map_err(short)?.is_some();
		let invulnerables =
			dynamic::storage::<(), Vec<[u8; 32]>>("CollatorSelection", "Invulnerables");
		let invulnerable = match at.storage().try_fetch(invulnerables, ()).await.map_err(short)? {
			Some(value) => value.decode().map_err(short)?.contains(&who.0),
			None => false,
		};
		let candidates =
			dynamic::storage::<(), Vec<CandidateInfo>>("CollatorSelection", "CandidateList");
		let candidate = match at.storage().try_fetch(candidates, ()).await.map_err(short)? {
			Some(value) => value
				.decode()
				.map_err(short)?
				.into_iter()
				.find(|c| c.who == who.0)
				.map(|c| c.deposit),
			None => None,
		};
		let authored =
			dynamic::storage::<([u8; 32],), u32>("CollatorSelection", "LastAuthoredBlock");
		let last_authored = match at.storage().try_fetch(authored, (who.0,)).await.map_err(short)? {
			Some(value) => Some(value.decode().map_err(short)?).filter(|n| *n > 0),
			None => None,
		};
		Ok(CollatorStanding { session_keys, invulnerable, candidate, last_authored })
	}

	/// Proposes `Models::<call>(fields)` as a council motion that needs a majority.
	pub async fn propose(
		&self,
		signer: &Keypair,
		call: &str,
		fields: Vec<(&'static str, Value)>,
	) -> Result<Motion, Failure> {
		let at = self.api.at_current_block().await.map_err(short)?;
		let members = dynamic::storage::<(), Vec<[u8; 32]>>("Council", "Members");
		let members = match at.storage().try_fetch(members, ()).await.map_err(short)? {
			Some(value) => value.decode().map_err(short)?.len() as u32,
			None => 0,
		};
		let proposal = Value::unnamed_variant("Models", [Value::named_variant(call, fields)]);
		// More than half of the members.
		let threshold = members / 2 + 1;
		let propose = dynamic::transaction("Council", "propose", (threshold, proposal, 1_000u32));
		let (events, _) = self.send(&propose, signer).await?;
		let proposed = find_event::<ProposedEvent>(&events, "Council", "Proposed")?
			.ok_or_else(|| Failure("the motion was not proposed".into()))?;
		Ok(Motion {
			hash: proposed.proposal_hash,
			index: proposed.proposal_index,
			threshold: proposed.threshold,
		})
	}

	pub async fn vote(
		&self,
		signer: &Keypair,
		hash: [u8; 32],
		index: u32,
		aye: bool,
	) -> Result<(), Failure> {
		let vote = dynamic::transaction("Council", "vote", (hash, index, aye));
		self.send(&vote, signer).await.map(|_| ())
	}

	/// Closes a motion; whether it was enacted.
	pub async fn close(
		&self,
		signer: &Keypair,
		hash: [u8; 32],
		index: u32,
	) -> Result<bool, Failure> {
		let weight_bound = Value::named_composite([
			("ref_time", Value::u128(10_000_000_000)),
			("proof_size", Value::u128(1_000_000)),
		]);
		let close = dynamic::transaction("Council", "close", (hash, index, weight_bound, 1_000u32));
		let (events, _) = self.send(&close, signer).await?;
		let executed = events.iter().any(|event| {
			event.is_ok_and(|e| e.pallet_name() == "Council" && e.event_name() == "Executed")
		});
		Ok(executed)
	}

	/// Submits a registry change (`Models.<call>(fields)`) to token holders: notes the call as
	/// a preimage (unless it is small enough to go inline), submits a referendum on the
	/// model-registry track, and places its decision deposit, each signed by `signer`.
	pub async fn submit_referendum(
		&self,
		signer: &Keypair,
		proposal: Proposal,
	) -> Result<ReferendumSubmitted, Failure> {
		use subxt::config::{substrate::BlakeTwo256, Hasher};
		let Proposal { pallet, call, fields, track } = proposal;
		let at = self.api.at_current_block().await.map_err(short)?;
		let payload = dynamic::transaction(pallet, call, Value::named_composite(fields));
		let bytes = at.transactions().call_data(&payload).map_err(short)?;
		// `Bounded::Inline` holds at most 128 bytes; longer calls are looked up by hash.
		let proposal = if bytes.len() <= 128 {
			Value::unnamed_variant("Inline", [Value::from_bytes(&bytes)])
		} else {
			let note =
				dynamic::transaction("Preimage", "note_preimage", vec![Value::from_bytes(&bytes)]);
			match self.send(&note, signer).await {
				Ok(_) => {},
				// The same call proposed before: its preimage is there already.
				Err(Failure(error)) if error.contains("AlreadyNoted") => {},
				Err(error) => return Err(error),
			}
			let hash = BlakeTwo256.hash(&bytes);
			Value::named_variant(
				"Lookup",
				[("hash", Value::from_bytes(hash.0)), ("len", Value::u128(bytes.len() as u128))],
			)
		};
		let origin = match track {
			Track::ModelRegistry => {
				Value::unnamed_variant("Origins", [Value::unnamed_variant("ModelRegistry", [])])
			},
			Track::Root => Value::unnamed_variant("system", [Value::unnamed_variant("Root", [])]),
		};
		let after = Value::unnamed_variant("After", [Value::u128(0)]);
		let submit = dynamic::transaction("Referenda", "submit", (origin, proposal, after));
		let (events, _) = self.send(&submit, signer).await?;
		let submitted = find_event::<SubmittedEvent>(&events, "Referenda", "Submitted")?
			.ok_or_else(|| Failure("the referendum was not submitted".into()))?;
		let deposit =
			dynamic::transaction("Referenda", "place_decision_deposit", (submitted.index,));
		self.send(&deposit, signer).await?;
		Ok(ReferendumSubmitted {
			index: submitted.index,
			track: submitted.track,
			call_len: bytes.len(),
		})
	}

	/// Applies the runtime upgrade a referendum authorized (`System.apply_authorized_upgrade`):
	/// anyone may, with the authorized blob, and pays nothing when it is.
	pub async fn apply_upgrade(
		&self,
		signer: &Keypair,
		code: Vec<u8>,
	) -> Result<UpgradeApplied, Failure> {
		use subxt::config::{substrate::BlakeTwo256, Hasher};
		let code_hash = BlakeTwo256.hash(&code).0;
		let call =
			dynamic::transaction("System", "apply_authorized_upgrade", (Value::from_bytes(&code),));
		let (events, block) = self.send(&call, signer).await?;
		let any = |pallet: &str, name: &str| {
			events
				.iter()
				.flatten()
				.any(|e| e.pallet_name() == pallet && e.event_name() == name)
		};
		// A parachain stores the code until the relay chain lets it go ahead; a chain without
		// a relay chain sets it at once.
		let enacted = if any("ParachainSystem", "ValidationFunctionStored") {
			false
		} else if any("System", "CodeUpdated") {
			true
		} else {
			return Err(Failure("the upgrade was applied but no code was stored".into()));
		};
		Ok(UpgradeApplied { block, code_hash, code_len: code.len(), enacted })
	}

	/// The runtime's version (`state_getRuntimeVersion`) and the hash of the code a referendum
	/// authorized and nobody applied yet, if any.
	pub async fn runtime_version(&self) -> Result<(serde_json::Value, Option<[u8; 32]>), Failure> {
		let version: serde_json::Value = self
			.rpc
			.request("state_getRuntimeVersion", subxt::rpcs::rpc_params![])
			.await
			.map_err(short)?;
		let at = self.api.at_current_block().await.map_err(short)?;
		let authorized = dynamic::storage::<(), Value>("System", "AuthorizedUpgrade");
		let authorized = match at.storage().try_fetch(authorized, ()).await.map_err(short)? {
			Some(value) => {
				use subxt::ext::scale_value::At;
				let value = value.decode().map_err(short)?;
				let hash = value
					.at("code_hash")
					.and_then(bytes_of)
					.and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
					.ok_or_else(|| Failure("an authorized upgrade without a code hash".into()))?;
				Some(hash)
			},
			None => None,
		};
		Ok((version, authorized))
	}

	/// Votes on referendum `index` with `balance` at `conviction` (0 for none, 1 to 6 for
	/// 1x to 6x).
	pub async fn vote_referendum(
		&self,
		signer: &Keypair,
		index: u32,
		aye: bool,
		conviction: u8,
		balance: u128,
	) -> Result<(), Failure> {
		// One byte: the aye bit, then the conviction.
		let vote = u128::from(if aye { 0x80 } else { 0 } | conviction);
		let vote = Value::named_variant(
			"Standard",
			[
				("vote", Value::unnamed_composite([Value::u128(vote)])),
				("balance", Value::u128(balance)),
			],
		);
		let call = dynamic::transaction("ConvictionVoting", "vote", (index, vote));
		self.send(&call, signer).await.map(|_| ())
	}

	/// The number of referenda ever submitted (the next one's index).
	pub async fn referendum_count(&self) -> Result<u32, Failure> {
		let at = self.api.at_current_block().await.map_err(short)?;
		let count = dynamic::storage::<(), u32>("Referenda", "ReferendumCount");
		match at.storage().try_fetch(count, ()).await.map_err(short)? {
			Some(value) => value.decode().map_err(short),
			None => Ok(0),
		}
	}

	/// Referendum `index` as the chain stores it, decoded into JSON; `None` if there is none.
	pub async fn referendum(&self, index: u32) -> Result<Option<serde_json::Value>, Failure> {
		let at = self.api.at_current_block().await.map_err(short)?;
		let info = dynamic::storage::<(u32,), Value>("Referenda", "ReferendumInfoFor");
		let Some(value) = at.storage().try_fetch(info, (index,)).await.map_err(short)? else {
			return Ok(None);
		};
		let value = value.decode().map_err(short)?;
		Ok(Some(referendum_json(&value.remove_context())))
	}

	pub async fn cancel_job(&self, signer: &Keypair, id: u64) -> Result<Cancelled, Failure> {
		let call = dynamic::transaction("Inference", "cancel_job", vec![Value::u128(id.into())]);
		let (events, _) = self.send(&call, signer).await?;
		if let Some(ended) = find_event::<JobEndedEvent>(&events, "Inference", "JobEnded")? {
			return Ok(Cancelled::Ended { refund: ended.refund });
		}
		let requested =
			find_event::<CancelRequestedEvent>(&events, "Inference", "CancelRequested")?
				.ok_or_else(|| Failure(format!("job {id} was not cancelled")))?;
		Ok(Cancelled::AtDeadline { deadline: requested.deadline })
	}

	pub async fn claim_rewards(
		&self,
		signer: &Keypair,
		who: &AccountId32,
	) -> Result<u128, Failure> {
		let call =
			dynamic::transaction("Emission", "claim_rewards", vec![Value::from_bytes(who.0)]);
		let (events, _) = self.send(&call, signer).await?;
		let claimed = find_event::<RewardsClaimedEvent>(&events, "Emission", "RewardsClaimed")?
			.ok_or_else(|| Failure("no rewards were paid".into()))?;
		Ok(claimed.amount)
	}

	/// Polls until job `id` has an outcome. With `progress`, also reads the open job at each
	/// poll and hands it to `progress` (which shows the caller's view of it).
	pub async fn wait_for_outcome(
		&self,
		id: u64,
		timeout: Duration,
		mut progress: Option<&mut dyn FnMut(&JobView)>,
	) -> Result<JobOutcome, Failure> {
		let deadline = tokio::time::Instant::now() + timeout;
		loop {
			if let Some(outcome) = self.outcome(id).await? {
				return Ok(outcome);
			}
			if let Some(progress) = progress.as_deref_mut() {
				if let Some(job) = self.job(id).await? {
					progress(&job);
				}
			}
			if tokio::time::Instant::now() >= deadline {
				return fail(format!("job {id} did not end within {} s", timeout.as_secs()));
			}
			tokio::time::sleep(Duration::from_secs(2)).await;
		}
	}

	/// Reads job `id`'s output from the body of block `at`, where the chain recorded its
	/// delivery, and checks it against `hash`, the output hash the chain recorded: a
	/// `submit_result` for the job in that block whose output has another hash (a refused call
	/// of another account) is not it.
	///
	/// The body is decoded with the current runtime's metadata, so that no state of block `at`
	/// is needed: a default node keeps every block's body but discards the state of blocks
	/// more than 256 behind.
	pub async fn read_output(&self, id: u64, at: u64, hash: [u8; 32]) -> Result<Vec<u8>, Failure> {
		let now = self.api.at_current_block().await.map_err(short)?;
		let config = PolkadotConfig::builder()
			.use_historic_types(false)
			.set_spec_version_for_block_ranges([subxt::config::substrate::SpecVersionForRange {
				block_range: at..at.saturating_add(1),
				spec_version: now.spec_version(),
				transaction_version: now.transaction_version(),
			}])
			.set_metadata_for_spec_versions([(now.spec_version(), now.metadata())])
			.build();
		let reader =
			OnlineClient::<PolkadotConfig>::from_rpc_client_with_config(config, self.rpc.clone())
				.await
				.map_err(short)?;
		let block = reader.at_block(at).await.map_err(short)?;
		let extrinsics = block.extrinsics().fetch().await.map_err(short)?;
		let mut mismatched = false;
		for extrinsic in extrinsics.iter() {
			let Ok(extrinsic) = extrinsic else { continue };
			if extrinsic.pallet_name() != "Inference" {
				continue;
			}
			// A result alone, or an executor's batch of them.
			let results = match extrinsic.call_name() {
				"submit_result" => extrinsic
					.decode_call_data_fields_unchecked_as::<SubmitResultCall>()
					.map(|c| vec![c]),
				"submit_results" => extrinsic
					.decode_call_data_fields_unchecked_as::<SubmitResultsCall>()
					.map(|c| c.results),
				_ => continue,
			};
			for call in results.into_iter().flatten().filter(|call| call.job_id == id) {
				if daya_protocol::blake2_256(&call.result.output) == hash {
					return Ok(call.result.output);
				}
				mismatched = true;
			}
		}
		if mismatched {
			return fail(format!(
				"block {at} holds a result for job {id}, but not with the output hash the chain \
				 recorded ({})",
				daya_protocol::hex::to_hex(&hash)
			));
		}
		fail(format!("block {at} holds no result for job {id}"))
	}
}

/// The secret URI `--suri` stands for (a dev name becomes `//Name`).
pub fn secret_uri(suri: Option<&str>) -> Result<String, Failure> {
	match suri {
		Some(suri) => Ok(dev_name(suri).unwrap_or_else(|| suri.to_string())),
		None => fail("give the host key with --suri"),
	}
}
