//! Proof of compute, as a host's node takes part in it: on every imported block, for each host
//! key in the keystore,
//!
//! - while a window computes: make sure the host's executor runs it (`POST /v1/poc/start`);
//! - once the computation's blocks are over and until the commit deadline: seal the run
//!   (`POST /v1/poc/seal`) and send `poc.commit` with its root and count;
//! - once the samples are drawn and until the verification deadline: for each commitment this
//!   host verifies, fetch the sampled proofs from the prover's executor (its endpoint on chain),
//!   have this host's own executor recompute them (`POST /v1/poc/verify`), and send
//!   `poc.submit_verdict`. A prover whose executor does not answer is retried each block until
//!   the last block before the deadline, then judged `missing`.
//!
//! What was sent is remembered in the node's offchain storage, and sent again after
//! [`RESUBMIT_AFTER`] blocks if the chain does not show it.

use alloc::{format, string::String, vec::Vec};
use codec::{Decode, Encode};
use polkadot_sdk::sp_runtime::offchain::{
	storage::StorageValueRef,
	storage_lock::{StorageLock, Time},
	Duration,
};

use daya_protocol::{
	check_version,
	hex::{parse_hash, to_hex},
	poc::{
		sample_indices, PocParams, PocProofs, PocSeal, PocStart, PocState, PocStatus, PocVerdict,
		PocVerifyRequest, PocVerifyResponse,
	},
	VERSION,
};

use crate::runner::{
	executor_key, executor_url, http_call, HostId, NotSent, HTTP_TIMEOUT_MS, LOG_TARGET,
	RESUBMIT_AFTER,
};

/// Key of the proof-of-compute lock (apart from the job market's: a verification may take a
/// while).
pub const LOCK_KEY: &[u8] = b"daya/ocw/poc-lock";

/// Prefix of the per-host, per-window state.
pub const STATE_KEY_PREFIX: &[u8] = b"daya/ocw/poc/";

/// How long a verification of a commitment's samples may take, in milliseconds.
pub const VERIFY_TIMEOUT_MS: u64 = 30_000;

/// The open window as the offchain worker sees it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct WindowView {
	/// Its number.
	pub index: u32,
	/// Its seed.
	pub seed: [u8; 32],
	/// The first block at which the run is sealed and committed.
	pub seal_at: u32,
	/// The block of the sampling: commitments are taken before it.
	pub sample_at: u32,
	/// The verification deadline: verdicts are taken before it.
	pub conclude_at: u32,
	/// The sampling seed, once drawn.
	pub sample_seed: Option<[u8; 32]>,
	/// Whether its conclusion has finished.
	pub concluded: bool,
}

/// A commitment a host is to verify.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ToVerify {
	/// The prover.
	pub prover: HostId,
	/// Its root.
	pub root: [u8; 32],
	/// Its count.
	pub count: u64,
}

/// The chain, as proof of compute's offchain worker sees it.
pub trait PocChain {
	/// The host accounts whose keys are in the node's keystore.
	fn local_hosts() -> Vec<HostId>;
	/// The open (or last) window.
	fn window() -> Option<WindowView>;
	/// The chain's parameters.
	fn params() -> PocParams;
	/// Whether `host` committed to the open window.
	fn committed(host: &HostId) -> bool;
	/// The commitments of the open window that `host` is to verify and has not judged.
	fn to_verify(host: &HostId) -> Vec<ToVerify>;
	/// Where `host`'s executor answers, as it registered it.
	fn endpoint(host: &HostId) -> Option<String>;
	/// Sends `poc.commit`, signed by `host`.
	fn submit_commit(host: &HostId, window: u32, root: [u8; 32], count: u64)
		-> Result<(), NotSent>;
	/// Sends `poc.submit_verdict`, signed by `host`.
	fn submit_verdict(
		host: &HostId,
		window: u32,
		prover: &HostId,
		verdict: PocVerdict,
	) -> Result<(), NotSent>;
	/// One HTTP call (see [`crate::runner::Chain::http`]).
	fn http(
		url: &str,
		body: Option<Vec<u8>>,
		timeout_ms: u64,
		key: Option<&str>,
	) -> Result<(u16, Vec<u8>), String> {
		http_call(url, body, timeout_ms, key)
	}
}

/// What a host has done in a window, in offchain storage.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, Default)]
pub struct HostWindow {
	/// Its executor accepted the window's run.
	pub started: bool,
	/// The block at which the commitment went to the pool.
	pub committed_at: Option<u32>,
	/// The verdicts sent: the prover and the block.
	pub verdicts: Vec<(HostId, u32)>,
}

fn state_key(host: &HostId, window: u32) -> Vec<u8> {
	[STATE_KEY_PREFIX, host.as_slice(), &window.to_le_bytes()].concat()
}

/// What `host` has done in `window`.
pub fn host_window(host: &HostId, window: u32) -> HostWindow {
	StorageValueRef::persistent(&state_key(host, window))
		.get::<HostWindow>()
		.ok()
		.flatten()
		.unwrap_or_default()
}

/// What one run did, for logs and tests.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct PocReport {
	/// Runs started on executors.
	pub started: u32,
	/// Commitments sent.
	pub commits: u32,
	/// Verdicts sent.
	pub verdicts: u32,
	/// Steps that failed and will be retried.
	pub failures: u32,
	/// Whether another run held the lock.
	pub skipped: bool,
}

/// One call: to the host's own executor with its API key, or to another host's endpoint with
/// none (a host's key never leaves for another host).
fn call<C: PocChain, T: serde::de::DeserializeOwned>(
	url: &str,
	body: Option<Vec<u8>>,
	timeout_ms: u64,
	key: Option<&str>,
) -> Result<T, String> {
	let (code, answer) = C::http(url, body, timeout_ms, key)?;
	if !(200..300).contains(&code) {
		return Err(format!("{url}: HTTP {code}: {}", String::from_utf8_lossy(&answer)));
	}
	let value: serde_json::Value =
		serde_json::from_slice(&answer).map_err(|e| format!("{url}: {e}"))?;
	let version = value.get("version").and_then(serde_json::Value::as_u64).unwrap_or(0);
	check_version(u32::try_from(version).unwrap_or(u32::MAX)).map_err(|e| format!("{url}: {e}"))?;
	serde_json::from_value(value).map_err(|e| format!("{url}: {e}"))
}

fn json<T: serde::Serialize>(value: &T) -> Vec<u8> {
	serde_json::to_vec(value).unwrap_or_default()
}

/// Runs proof of compute's offchain worker for the block `now`.
pub fn run<C: PocChain>(now: u32) -> PocReport {
	let mut lock = StorageLock::<Time>::with_deadline(LOCK_KEY, Duration::from_millis(60_000));
	let Ok(_guard) = lock.try_lock() else {
		return PocReport { skipped: true, ..Default::default() };
	};
	let mut report = PocReport::default();
	let Some(window) = C::window() else { return report };
	if window.concluded {
		return report;
	}
	let hosts = C::local_hosts();
	let mut states: Vec<_> = hosts.iter().map(|host| host_window(host, window.index)).collect();
	// Every local host's run due for its commitment is sealed before any commitment is sent:
	// sending one takes a while (signing, the pool), and a run sealed later has computed longer,
	// so the hosts of one node prove the same time whatever their order.
	let sealed: Vec<_> = hosts
		.iter()
		.zip(&states)
		.map(|(host, state)| seal::<C>(host, &window, now, state))
		.collect();
	for ((host, state), sealed) in hosts.iter().zip(states.iter_mut()).zip(sealed) {
		let before = state.clone();
		if let Err(why) = step::<C>(host, &window, now, state, sealed, &mut report) {
			report.failures += 1;
			log::warn!(target: LOG_TARGET, "block {now}: proof of compute, window {}: {why}", window.index);
		}
		if *state != before {
			StorageValueRef::persistent(&state_key(host, window.index)).set(state);
		}
	}
	report
}

/// Whether the window is in its commit phase at `now`: computation over, no sampling seed yet.
fn committing(window: &WindowView, now: u32) -> bool {
	window.sample_seed.is_none() && now >= window.seal_at && now < window.sample_at
}

/// Seals `host`'s run (`POST /v1/poc/seal`) when the window is in its commit phase and a
/// commitment of it is due: none yet on chain, and none sent in the last
/// [`RESUBMIT_AFTER`] blocks. `None` when none is due.
fn seal<C: PocChain>(
	host: &HostId,
	window: &WindowView,
	now: u32,
	state: &HostWindow,
) -> Option<Result<PocStatus, String>> {
	if !committing(window, now) {
		return None;
	}
	let due = state.committed_at.is_none_or(|at| now.saturating_sub(at) >= RESUBMIT_AFTER);
	if !due || C::committed(host) {
		return None;
	}
	let seal = PocSeal { version: VERSION, window: window.index, host: to_hex(host) };
	Some(call::<C, _>(
		&format!("{}/v1/poc/seal", executor_url(host)),
		Some(json(&seal)),
		HTTP_TIMEOUT_MS,
		executor_key(host).as_deref(),
	))
}

/// One host's step in the window: start its run, commit its sealed run (`sealed`, from
/// [`seal`]), or verify the commitments it was drawn to verify.
fn step<C: PocChain>(
	host: &HostId,
	window: &WindowView,
	now: u32,
	state: &mut HostWindow,
	sealed: Option<Result<PocStatus, String>>,
	report: &mut PocReport,
) -> Result<(), String> {
	let executor = executor_url(host);
	let key = executor_key(host);
	let key = key.as_deref();
	if window.sample_seed.is_none() && now < window.seal_at && !state.started {
		let start = PocStart {
			version: VERSION,
			window: window.index,
			seed: to_hex(&window.seed),
			host: to_hex(host),
			params: C::params(),
		};
		let _: PocStatus = call::<C, _>(
			&format!("{executor}/v1/poc/start"),
			Some(json(&start)),
			HTTP_TIMEOUT_MS,
			key,
		)?;
		state.started = true;
		report.started += 1;
		return Ok(());
	}
	if committing(window, now) {
		// Sealed already, with every local host's; nothing when no commitment is due.
		let Some(sealed) = sealed else { return Ok(()) };
		let sealed = sealed?;
		let root = sealed.root.as_deref().and_then(parse_hash);
		match (sealed.state, root) {
			(PocState::Sealed, Some(root)) if sealed.count > 0 => {
				C::submit_commit(host, window.index, root, sealed.count)
					.map_err(|_| "the transaction pool refused the commitment")?;
				state.committed_at = Some(now);
				report.commits += 1;
				log::info!(
					target: LOG_TARGET,
					"block {now}: proof of compute, window {}: committed {} nonces",
					window.index,
					sealed.count
				);
			},
			_ => return Err("the executor's run sealed nothing to commit".into()),
		}
		return Ok(());
	}
	let Some(sample_seed) = window.sample_seed else { return Ok(()) };
	if now >= window.conclude_at {
		return Ok(());
	}
	let params = C::params();
	for job in C::to_verify(host) {
		let sent = state.verdicts.iter().find(|(p, _)| *p == job.prover).map(|(_, at)| *at);
		if sent.is_some_and(|at| now.saturating_sub(at) < RESUBMIT_AFTER) {
			continue;
		}
		let nonces = sample_indices(&sample_seed, &job.prover, job.count, params.samples);
		let last_chance = now.saturating_add(2) >= window.conclude_at;
		let proofs = fetch_proofs::<C>(&job, window.index, &nonces);
		let verdict = match proofs {
			Ok(proofs) => {
				let request = PocVerifyRequest {
					version: VERSION,
					seed: to_hex(&window.seed),
					host: to_hex(&job.prover),
					params,
					root: to_hex(&job.root),
					count: job.count,
					sample_seed: to_hex(&sample_seed),
					proofs: proofs.proofs,
				};
				let answer: PocVerifyResponse = call::<C, _>(
					&format!("{executor}/v1/poc/verify"),
					Some(json(&request)),
					VERIFY_TIMEOUT_MS,
					key,
				)?;
				answer.verdict
			},
			Err(why) if last_chance => {
				log::warn!(target: LOG_TARGET, "block {now}: proofs not served: {why}");
				PocVerdict::Missing { nonce: nonces.first().copied().unwrap_or(0) }
			},
			Err(why) => return Err(why),
		};
		C::submit_verdict(host, window.index, &job.prover, verdict)
			.map_err(|_| "the transaction pool refused the verdict")?;
		state.verdicts.retain(|(p, _)| *p != job.prover);
		state.verdicts.push((job.prover, now));
		report.verdicts += 1;
	}
	Ok(())
}

fn fetch_proofs<C: PocChain>(
	job: &ToVerify,
	window: u32,
	nonces: &[u64],
) -> Result<PocProofs, String> {
	let endpoint = C::endpoint(&job.prover).ok_or("the prover has no endpoint")?;
	let list: Vec<String> = nonces.iter().map(|n| format!("{n}")).collect();
	let url = format!(
		"{}/v1/poc/proofs?window={window}&host={}&nonces={}",
		endpoint.trim_end_matches('/'),
		to_hex(&job.prover),
		list.join(",")
	);
	let proofs: PocProofs = call::<C, _>(&url, None, HTTP_TIMEOUT_MS, None)?;
	if proofs.count != job.count || parse_hash(&proofs.root) != Some(job.root) {
		// The prover's executor serves another run than the one committed: its proofs cannot
		// match; the verifier's executor finds the first mismatch.
		log::warn!(target: LOG_TARGET, "the prover serves another commitment than its own");
	}
	Ok(proofs)
}

#[cfg(test)]
mod tests {
	use super::*;
	use polkadot_sdk::{
		sp_core::offchain::{testing::TestOffchainExt, OffchainDbExt, OffchainWorkerExt},
		sp_io::TestExternalities,
	};
	use std::cell::RefCell;

	const ALICE: HostId = [1; 32];
	const BOB: HostId = [2; 32];
	const PARAMS: PocParams =
		PocParams { dim: 32, rows: 8, depth: 2, pool_tiles: 4, gen_rounds: 1, samples: 3 };

	#[derive(Default)]
	struct Fake {
		window: Option<WindowView>,
		committed: bool,
		to_verify: Vec<ToVerify>,
		calls: Vec<(String, Option<Vec<u8>>)>,
		/// The API key each call carried.
		keys: Vec<Option<String>>,
		answers: std::collections::VecDeque<Result<(u16, Vec<u8>), String>>,
		commits: Vec<(HostId, u32, [u8; 32], u64)>,
		verdicts: Vec<(HostId, u32, HostId, PocVerdict)>,
		/// The local hosts: Alice alone when empty.
		hosts: Vec<HostId>,
		/// Calls (their paths) and commitments sent, in order.
		events: Vec<String>,
	}

	thread_local! {
		static FAKE: RefCell<Fake> = RefCell::new(Fake::default());
	}

	struct Chain;

	impl PocChain for Chain {
		fn local_hosts() -> Vec<HostId> {
			let hosts = FAKE.with(|f| f.borrow().hosts.clone());
			if hosts.is_empty() {
				vec![ALICE]
			} else {
				hosts
			}
		}
		fn window() -> Option<WindowView> {
			FAKE.with(|f| f.borrow().window.clone())
		}
		fn params() -> PocParams {
			PARAMS
		}
		fn committed(_: &HostId) -> bool {
			FAKE.with(|f| f.borrow().committed)
		}
		fn to_verify(_: &HostId) -> Vec<ToVerify> {
			FAKE.with(|f| f.borrow().to_verify.clone())
		}
		fn endpoint(_: &HostId) -> Option<String> {
			Some("http://bob:8091".into())
		}
		fn submit_commit(h: &HostId, w: u32, r: [u8; 32], c: u64) -> Result<(), NotSent> {
			FAKE.with(|f| {
				let mut f = f.borrow_mut();
				f.events.push("commit".into());
				f.commits.push((*h, w, r, c));
			});
			Ok(())
		}
		fn submit_verdict(h: &HostId, w: u32, p: &HostId, v: PocVerdict) -> Result<(), NotSent> {
			FAKE.with(|f| f.borrow_mut().verdicts.push((*h, w, *p, v)));
			Ok(())
		}
		fn http(
			url: &str,
			body: Option<Vec<u8>>,
			_: u64,
			key: Option<&str>,
		) -> Result<(u16, Vec<u8>), String> {
			FAKE.with(|f| {
				let mut f = f.borrow_mut();
				f.keys.push(key.map(String::from));
				f.events.push(url.rsplit_once("/v1").map_or(url, |(_, path)| path).into());
				f.calls.push((url.to_string(), body));
				f.answers.pop_front().unwrap_or(Err("no answer scripted".into()))
			})
		}
	}

	fn ext() -> TestExternalities {
		let (offchain, _) = TestOffchainExt::new();
		let mut ext = TestExternalities::default();
		ext.register_extension(OffchainDbExt::new(offchain.clone()));
		ext.register_extension(OffchainWorkerExt::new(offchain));
		FAKE.with(|f| *f.borrow_mut() = Fake::default());
		ext
	}

	fn window(sample_seed: Option<[u8; 32]>) -> WindowView {
		WindowView {
			index: 3,
			seed: [9; 32],
			seal_at: 13,
			sample_at: 15,
			conclude_at: 20,
			sample_seed,
			concluded: false,
		}
	}

	fn answer(value: &impl serde::Serialize) {
		FAKE.with(|f| f.borrow_mut().answers.push_back(Ok((200, json(value)))));
	}

	fn status(state: PocState, count: u64, root: Option<[u8; 32]>) -> PocStatus {
		PocStatus {
			version: VERSION,
			window: 3,
			host: to_hex(&ALICE),
			state,
			count,
			root: root.map(|r| to_hex(&r)),
		}
	}

	#[test]
	fn a_window_is_started_once_then_sealed_and_committed_once() {
		ext().execute_with(|| {
			FAKE.with(|f| f.borrow_mut().window = Some(window(None)));
			answer(&status(PocState::Computing, 0, None));
			assert_eq!(run::<Chain>(11).started, 1);
			assert_eq!(run::<Chain>(12), PocReport::default(), "started once");
			answer(&status(PocState::Sealed, 500, Some([4; 32])));
			assert_eq!(run::<Chain>(13).commits, 1);
			assert_eq!(run::<Chain>(14).commits, 0, "not sent again so soon");
			FAKE.with(|f| {
				let f = f.borrow();
				assert_eq!(f.commits, vec![(ALICE, 3, [4; 32], 500)]);
				assert!(f.calls[0].0.ends_with("/v1/poc/start"));
				assert!(f.calls[1].0.ends_with("/v1/poc/seal"));
				assert_eq!(f.calls.len(), 2);
			});
		});
	}

	#[test]
	fn every_local_hosts_run_is_sealed_before_any_commitment_is_sent() {
		ext().execute_with(|| {
			FAKE.with(|f| {
				let mut f = f.borrow_mut();
				f.window = Some(window(None));
				f.hosts = vec![ALICE, BOB];
			});
			answer(&status(PocState::Sealed, 500, Some([4; 32])));
			answer(&status(PocState::Sealed, 300, Some([5; 32])));
			assert_eq!(run::<Chain>(13).commits, 2);
			FAKE.with(|f| {
				let f = f.borrow();
				assert_eq!(f.events, ["/poc/seal", "/poc/seal", "commit", "commit"]);
				assert_eq!(f.commits, vec![(ALICE, 3, [4; 32], 500), (BOB, 3, [5; 32], 300)]);
			});
			// A seal that fails costs its host its commitment alone, retried next block.
			FAKE.with(|f| f.borrow_mut().window = Some(WindowView { index: 4, ..window(None) }));
			FAKE.with(|f| f.borrow_mut().answers.push_back(Err("connection refused".into())));
			answer(&status(PocState::Sealed, 300, Some([6; 32])));
			let report = run::<Chain>(13);
			assert_eq!((report.commits, report.failures), (1, 1));
			FAKE.with(|f| assert_eq!(f.borrow().commits.last(), Some(&(BOB, 4, [6; 32], 300))));
			answer(&status(PocState::Sealed, 500, Some([7; 32])));
			assert_eq!(run::<Chain>(14).commits, 1, "Alice's, retried");
			FAKE.with(|f| assert_eq!(f.borrow().commits.last(), Some(&(ALICE, 4, [7; 32], 500))));
		});
	}

	#[test]
	fn a_commitment_is_verified_on_the_hosts_own_executor_and_judged() {
		ext().execute_with(|| {
			// The host's executor has an API key: its own executor gets it, the prover not.
			let key = "k".repeat(40);
			polkadot_sdk::sp_io::offchain::local_storage_set(
				polkadot_sdk::sp_core::offchain::StorageKind::PERSISTENT,
				&daya_protocol::settings::executor_key_key(&ALICE),
				key.as_bytes(),
			);
			let job = ToVerify { prover: BOB, root: [5; 32], count: 100 };
			FAKE.with(|f| {
				let mut f = f.borrow_mut();
				f.window = Some(window(Some([6; 32])));
				f.to_verify = vec![job.clone()];
			});
			let proofs = PocProofs {
				version: VERSION,
				window: 3,
				host: to_hex(&BOB),
				count: 100,
				root: to_hex(&[5; 32]),
				proofs: Vec::new(),
			};
			answer(&proofs);
			answer(&PocVerifyResponse {
				version: VERSION,
				verdict: PocVerdict::Invalid { nonce: 7 },
				samples: 3,
				micros: 10,
			});
			assert_eq!(run::<Chain>(16).verdicts, 1);
			FAKE.with(|f| {
				let f = f.borrow();
				assert_eq!(f.verdicts, vec![(ALICE, 3, BOB, PocVerdict::Invalid { nonce: 7 })]);
				let nonces = sample_indices(&[6; 32], &BOB, 100, PARAMS.samples);
				let list: Vec<String> = nonces.iter().map(|n| n.to_string()).collect();
				assert!(f.calls[0].0.starts_with("http://bob:8091/v1/poc/proofs?window=3&"));
				assert!(f.calls[0].0.ends_with(&list.join(",")), "{}", f.calls[0].0);
				assert!(f.calls[1].0.ends_with("/v1/poc/verify"));
				assert_eq!(f.keys, vec![None, Some(key.clone())], "the key never leaves");
			});
			// Not judged twice.
			assert_eq!(run::<Chain>(17).verdicts, 0);
		});
	}

	#[test]
	fn a_prover_that_serves_nothing_is_retried_then_judged_missing_at_the_last_chance() {
		ext().execute_with(|| {
			FAKE.with(|f| {
				let mut f = f.borrow_mut();
				f.window = Some(window(Some([6; 32])));
				f.to_verify = vec![ToVerify { prover: BOB, root: [5; 32], count: 100 }];
			});
			// Block 16: the prover does not answer; retried later.
			let report = run::<Chain>(16);
			assert_eq!((report.verdicts, report.failures), (0, 1));
			// Block 18, two before the deadline: judged missing.
			let report = run::<Chain>(18);
			assert_eq!(report.verdicts, 1);
			let first = sample_indices(&[6; 32], &BOB, 100, PARAMS.samples)[0];
			FAKE.with(|f| {
				assert_eq!(
					f.borrow().verdicts,
					vec![(ALICE, 3, BOB, PocVerdict::Missing { nonce: first })]
				);
			});
		});
	}
}
