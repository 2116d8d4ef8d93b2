//! Reports of hosts, collators and proof of compute: `host`, `collator status` and `poc window`.

use super::text;
use crate::{
	client::{CollatorStanding, HostView, KEY_TYPE},
	units::{percent, Amount},
};
use daya_primitives::{
	runtime_api::{PocHostView, PocOutcomeView, PocWindowView, ServiceView},
	ExecutorKind, HostStatus,
};
use serde::Serialize;
use std::fmt;
use subxt::utils::AccountId32;

/// How the CLI names a window's outcome.
fn outcome_name(outcome: &PocOutcomeView) -> String {
	match outcome {
		PocOutcomeView::Proven { count } => format!("proven ({count} nonces)"),
		PocOutcomeView::Convicted => "convicted of fraud".into(),
		PocOutcomeView::Unproven => "nothing proven".into(),
		PocOutcomeView::Unconfirmed { window } => {
			format!("failed confirmation window {window}: weightless until the next window")
		},
	}
}

/// How the CLI names an executor kind (as `daya host set-kind` takes it).
fn kind_name(kind: ExecutorKind) -> &'static str {
	match kind {
		ExecutorKind::Full => "full",
		ExecutorKind::GreedyOnly => "greedy-only",
	}
}

/// A host's registration and standing (`host status`, and the host commands after a change).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Host {
	/// The host's account (SS58).
	pub account: String,
	/// Where it is in its life cycle, in words (`active`, `jailed until block N`, ...).
	pub status: String,
	/// Its executor's URL.
	pub endpoint: String,
	/// Its GPUs, by kind.
	pub hardware: Vec<Gpu>,
	/// The ids of the models it serves.
	pub served_models: Vec<u32>,
	/// Its bond.
	pub bond: Amount,
	/// Its reputation, in parts per billion.
	pub reputation: u32,
	/// The weight its declared hardware gives it.
	pub capacity_weight: u64,
	/// What its executor can do: `full` or `greedy-only`.
	pub executor_kind: &'static str,
	/// The block in which it registered.
	pub registered_at: u32,
	/// Its part in proof of compute.
	pub proof_of_compute: ProofOfCompute,
	/// What it did in the epoch accruing now.
	pub service: Service,
}

/// A kind of GPU a host has.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Gpu {
	/// The GPU's name.
	pub name: String,
	/// Its memory, in MiB.
	pub vram_mib: u32,
	/// How many the host has.
	pub count: u32,
}

/// A host's part in proof of compute.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProofOfCompute {
	/// The weight its last concluded window proved, if any has.
	pub proven_weight: Option<u64>,
	/// Its last concluded window and how that ended, if any.
	pub last_window: Option<LastWindow>,
	/// The window it committed nonces to, and how many, if any.
	pub committed: Option<Committed>,
	/// The verdicts on its committed nonces so far.
	pub verdicts: Verdicts,
}

/// A host's last concluded proof-of-compute window.
#[derive(Debug, Serialize)]
pub struct LastWindow {
	/// The window's index.
	pub window: u32,
	/// How it ended for the host, in words.
	pub outcome: String,
}

/// The nonces a host committed to a window.
#[derive(Debug, Serialize)]
pub struct Committed {
	/// The window's index.
	pub window: u32,
	/// How many nonces.
	pub count: u64,
}

/// The verdicts on a host's committed nonces.
#[derive(Debug, Serialize)]
pub struct Verdicts {
	/// Nonces found valid.
	pub valid: u32,
	/// Nonces found invalid.
	pub invalid: u32,
	/// Nonces not shown.
	pub missing: u32,
}

/// What a host did in the epoch accruing now.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Service {
	/// The epoch.
	pub epoch: u32,
	/// Jobs delivered.
	pub delivered: u32,
	/// Jobs missed.
	pub missed: u32,
	/// Work units done (a decimal string in JSON).
	pub work: String,
	/// Whether it failed a confirmation window.
	pub failed_confirmation: bool,
}

impl Host {
	/// The report of host `who`: its registry entry, proof of compute and service.
	pub fn new(
		who: &AccountId32,
		host: &HostView,
		poc: &PocHostView,
		service: &ServiceView,
	) -> Self {
		let status = match &host.status {
			HostStatus::Active => "active".to_string(),
			HostStatus::Chilled => "chilled".to_string(),
			HostStatus::Jailed { until } => format!("jailed until block {until}"),
			HostStatus::Leaving { unlock_at } => {
				format!("leaving, bond unlocks at block {unlock_at}")
			},
		};
		let (valid, invalid, missing) = poc.verdicts;
		Host {
			account: who.to_string(),
			status,
			endpoint: text(&host.endpoint),
			hardware: host
				.hardware
				.iter()
				.map(|gpu| Gpu { name: text(&gpu.name), vram_mib: gpu.vram_mib, count: gpu.count })
				.collect(),
			served_models: host.served_models.clone(),
			bond: Amount(host.bond),
			reputation: host.reputation.deconstruct(),
			capacity_weight: host.capacity_weight,
			executor_kind: kind_name(host.executor_kind),
			registered_at: host.registered_at,
			proof_of_compute: ProofOfCompute {
				proven_weight: poc.proven_weight,
				last_window: poc.last.as_ref().map(|(window, outcome)| LastWindow {
					window: *window,
					outcome: outcome_name(outcome),
				}),
				committed: poc.committed.map(|(window, count)| Committed { window, count }),
				verdicts: Verdicts { valid, invalid, missing },
			},
			service: Service {
				epoch: service.epoch,
				delivered: service.delivered,
				missed: service.missed,
				work: service.work.to_string(),
				failed_confirmation: service.unconfirmed,
			},
		}
	}
}

impl fmt::Display for Host {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		writeln!(f, "host {}: {}", self.account, self.status)?;
		writeln!(f, "  endpoint    {}", self.endpoint)?;
		for gpu in &self.hardware {
			writeln!(f, "  hardware    {} x {} ({} MiB)", gpu.count, gpu.name, gpu.vram_mib)?;
		}
		writeln!(f, "  models      {:?}", self.served_models)?;
		writeln!(f, "  bond        {}", self.bond)?;
		writeln!(f, "  reputation  {}", percent(self.reputation))?;
		writeln!(f, "  capacity    {}", self.capacity_weight)?;
		writeln!(f, "  executor    {}", self.executor_kind)?;
		let poc = &self.proof_of_compute;
		match poc.proven_weight {
			Some(weight) => writeln!(f, "  proven      {weight}")?,
			None => writeln!(f, "  proven      nothing yet (no window has concluded)")?,
		}
		if let Some(LastWindow { window, outcome }) = &poc.last_window {
			writeln!(f, "  last window {window}: {outcome}")?;
		}
		if let Some(Committed { window, count }) = &poc.committed {
			let Verdicts { valid, invalid, missing } = &poc.verdicts;
			writeln!(
				f,
				"  committed   {count} nonces to window {window}; verdicts: {valid} valid, {invalid} invalid, {missing} missing"
			)?;
		}
		let service = &self.service;
		writeln!(
			f,
			"  epoch {}     {} jobs delivered, {} missed, {} work units{}",
			service.epoch,
			service.delivered,
			service.missed,
			service.work,
			if service.failed_confirmation { ", failed a confirmation window" } else { "" }
		)
	}
}

/// A host that left the registry (after `host withdraw`).
#[derive(Debug, Serialize)]
pub struct Left {
	/// The host's account (SS58).
	pub account: String,
	/// Always `false`.
	pub registered: bool,
}

impl Left {
	/// The report of `who` having left the registry.
	pub fn new(who: &AccountId32) -> Self {
		Left { account: who.to_string(), registered: false }
	}
}

impl fmt::Display for Left {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		writeln!(f, "{} left the host registry; its bond is released", self.account)
	}
}

/// The executor a node's offchain worker sends a host's jobs to (`host set-executor`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Executor {
	/// The host's account (SS58).
	pub account: String,
	/// The executor's URL.
	pub executor: String,
	/// Whether the node sends it an API key.
	pub api_key: bool,
}

impl Executor {
	/// The report of `who`'s executor at `url`, with an API key if `keyed`.
	pub fn new(who: &AccountId32, url: &str, keyed: bool) -> Self {
		Executor { account: who.to_string(), executor: url.to_string(), api_key: keyed }
	}
}

impl fmt::Display for Executor {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		let how = if self.api_key { "with its API key" } else { "without an API key" };
		writeln!(
			f,
			"this node's offchain worker sends {}'s jobs to {}, {how}",
			self.account, self.executor
		)
	}
}

/// A host key put into a node's keystore (`host insert-key`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyInserted {
	/// The key's account (SS58).
	pub account: String,
	/// The keystore's key type, `daya`.
	pub key_type: &'static str,
	/// Whether the account is a registered host.
	pub registered: bool,
}

impl KeyInserted {
	/// The report of `who`'s key inserted; `registered` if it is a host.
	pub fn new(who: &AccountId32, registered: bool) -> Self {
		KeyInserted { account: who.to_string(), key_type: KEY_TYPE, registered }
	}
}

impl fmt::Display for KeyInserted {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		writeln!(
			f,
			"host key {} is in the node's keystore (key type {})",
			self.account, self.key_type
		)?;
		if !self.registered {
			writeln!(f, "it is not a registered host yet: register it with `daya host register`")?;
		}
		Ok(())
	}
}

/// A collator's standing (`collator status`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Collator {
	/// The account (SS58).
	pub account: String,
	/// Whether it has session keys.
	pub session_keys: bool,
	/// Whether it is an invulnerable collator.
	pub invulnerable: bool,
	/// Its deposit, if it is a candidate.
	pub candidate_deposit: Option<Amount>,
	/// The last block it authored, if one is recorded.
	pub last_authored_block: Option<u32>,
}

impl Collator {
	/// The report of `who`'s standing as a collator.
	pub fn new(who: &AccountId32, standing: &CollatorStanding) -> Self {
		Collator {
			account: who.to_string(),
			session_keys: standing.session_keys,
			invulnerable: standing.invulnerable,
			candidate_deposit: standing.candidate.map(Amount),
			last_authored_block: standing.last_authored,
		}
	}
}

impl fmt::Display for Collator {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		let role = match (self.invulnerable, self.candidate_deposit) {
			(true, _) => "an invulnerable collator".to_string(),
			(false, Some(deposit)) => format!("a collator candidate (deposit {deposit})"),
			(false, None) => "not a collator".to_string(),
		};
		writeln!(f, "{}: {role}", self.account)?;
		writeln!(f, "  session keys   {}", if self.session_keys { "set" } else { "not set" })?;
		match self.last_authored_block {
			Some(block) => writeln!(f, "  last authored  block {block}")?,
			None => writeln!(f, "  last authored  none recorded")?,
		}
		if !self.invulnerable && self.candidate_deposit.is_none() {
			writeln!(
				f,
				"to join: run a collator node, get its keys with the author_rotateKeys RPC, then"
			)?;
			writeln!(
				f,
				"  session.setKeys(keys, proof) and collatorSelection.registerAsCandidate()"
			)?;
			writeln!(f, "  from this account (see docs/operators.md)")?;
		}
		Ok(())
	}
}

/// Proof of compute's open (or last) window (`poc window`): `null` in JSON if there is none.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct PocWindow(pub Option<Window>);

/// A proof-of-compute window.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Window {
	/// Its index.
	pub window: u32,
	/// The block it opened at.
	pub opened_at: u32,
	/// The block it samples at.
	pub sample_at: u32,
	/// The block it concludes at.
	pub conclude_at: u32,
	/// How many hosts committed to it.
	pub commitments: u32,
	/// Whether it concluded.
	pub concluded: bool,
	/// Whether its weights are applied.
	pub applied: bool,
	/// `regular`, or `confirmation` (a window that confirms the last one's weights).
	pub kind: &'static str,
}

impl PocWindow {
	/// The report of the open (or last) window, if there is one.
	pub fn new(window: Option<&PocWindowView<u32>>) -> Self {
		PocWindow(window.map(|w| Window {
			window: w.index,
			opened_at: w.opened_at,
			sample_at: w.sample_at,
			conclude_at: w.conclude_at,
			commitments: w.commitments,
			concluded: w.concluded,
			applied: w.applied,
			kind: if w.confirmation { "confirmation" } else { "regular" },
		}))
	}
}

impl fmt::Display for PocWindow {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		let Some(w) = &self.0 else {
			return writeln!(f, "no proof-of-compute window yet");
		};
		let stage = match (w.concluded, w.applied) {
			(true, true) => "concluded, weights applied",
			(true, false) => "concluded, applying weights",
			_ => "open",
		};
		writeln!(f, "window {} ({}): {stage}", w.window, w.kind)?;
		writeln!(f, "  opened at block    {}", w.opened_at)?;
		writeln!(f, "  samples at block   {}", w.sample_at)?;
		writeln!(f, "  concludes at block {}", w.conclude_at)?;
		writeln!(f, "  commitments        {}", w.commitments)
	}
}
