//! Daya as a parachain of a real relay chain, end to end, with real processes only:
//!
//! - a `rococo-local` relay chain (the workspace's `daya-relay` build: `polkadot` with the fast
//!   runtime, and its PVF workers) with two validators, Alice and Bob, and Daya registered at
//!   genesis as parachain 2000 (its genesis head and code exported by `daya-node`);
//! - Daya's `local` chain with two collators, Alice and Bob, each reaching the relay chain through
//!   a validator's RPC (`--relay-chain-rpc-urls`), so that two cores carry two relay nodes, not
//!   four;
//! - one `daya-executor` per genesis host (Alice and Bob), serving the dev model.
//!
//! It checks that the parachain's code fits the relay chain's `max_code_size`; that parachain
//! blocks are produced and finalized through the relay chain; that both collators author
//! blocks; that every block's seed, from which the job market draws, came from the relay
//! chain's VRF (the runtime API names the source), never the parent-hash fallback; and that a
//! job submitted to a collator's RPC is executed by a host's offchain worker and executor,
//! settled, and paid.
//!
//! The network starts on the previous runtime: the WASM of the last commit before the host
//! registry's storage version 1, built by `scripts/upgrade-base.sh`. It is upgraded in place,
//! forklessly, to the workspace's runtime: a token holder proposes `System.authorize_upgrade` on
//! the root track, others vote with conviction, the referendum is enacted, anyone applies the
//! blob (`daya runtime upgrade`) and the relay chain lets the new code go ahead. The job is
//! submitted before the upgrade, while the hosts' executors are down, and must be open after it,
//! then served by the new runtime's offchain worker; the hosts' records (migrated from the old
//! layout), bonds and the consumer's escrow must be intact. Each phase prints how long it took.

mod client;
#[path = "../../node/tests/common/mod.rs"]
mod common;
mod hosts;

use client::{json, wait_for_end};
use common::{free_port, node_bin, rpc, TempDir};
use daya_protocol::hex::{from_hex, to_hex};
use hosts::{
	amount, announce, balances, hand_to, paid_on_hold, wait_for_proven, write_dev_model, Executor,
	MODEL,
};
use serde_json::{json, Value};
use std::{
	fs::File,
	os::unix::process::CommandExt,
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

/// The dev account Ferdie, the test's consumer and proposer.
const FERDIE: &str = "5CiPPseXPECbkjWCa6MnjNokrgYjMqmKndv2rSnekmSK2DjL";

/// Daya's parachain id on the relay chain (the `local` chain spec's).
const PARA_ID: u32 = 2000;

/// The relay node `cargo test --workspace` builds next to `daya-node`.
fn relay_bin() -> PathBuf {
	let bin = node_bin().with_file_name("polkadot");
	assert!(
		bin.exists(),
		"{} is missing: build it first (cargo build -p daya-relay)",
		bin.display()
	);
	bin
}

/// One node process of the network (a relay validator or a collator), killed on drop.
struct Node {
	name: String,
	child: Child,
	rpc_port: u16,
	p2p_port: u16,
	log: PathBuf,
}

impl Node {
	fn start(name: &str, program: &Path, dir: &Path, args: &[String]) -> Self {
		let (rpc_port, p2p_port) = (free_port(), free_port());
		let log = dir.join(format!("{name}.log"));
		let out = File::create(&log).unwrap();
		// Authorities refuse to make up a network key: each node gets its own, from its name.
		let node_key: String = name
			.bytes()
			.chain(std::iter::repeat(0))
			.take(32)
			.map(|b| format!("{b:02x}"))
			.collect();
		let child = Command::new(program)
			// Its own process group, so that its PVF workers die with it (see `Drop`).
			.process_group(0)
			.args(["--node-key", &node_key])
			.args(["--no-telemetry", "--no-prometheus", "--no-mdns", "--no-hardware-benchmarks"])
			.arg("--base-path")
			.arg(dir.join(name))
			.args(["--rpc-port", &rpc_port.to_string(), "--port", &p2p_port.to_string()])
			.args(args)
			.stdin(Stdio::null())
			.stdout(out.try_clone().unwrap())
			.stderr(out)
			.spawn()
			.unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
		let mut node = Node { name: name.into(), child, rpc_port, p2p_port, log };
		node.wait_for_rpc();
		node
	}

	fn wait_for_rpc(&mut self) {
		let start = Instant::now();
		while self.try_rpc("system_health", json!([])).is_err() {
			if let Ok(Some(status)) = self.child.try_wait() {
				self.fail(format!("{} exited: {status}", self.name));
			}
			if start.elapsed() > common::START_TIMEOUT {
				self.fail(format!("{} did not answer RPC within {:?}", self.name, start.elapsed()));
			}
			std::thread::sleep(Duration::from_millis(250));
		}
	}

	fn url(&self) -> String {
		format!("ws://127.0.0.1:{}", self.rpc_port)
	}

	/// Its address for other nodes' `--bootnodes`.
	fn multiaddr(&self) -> String {
		let peer = self.rpc("system_localPeerId", json!([]));
		format!("/ip4/127.0.0.1/tcp/{}/p2p/{}", self.p2p_port, peer.as_str().unwrap())
	}

	fn try_rpc(&self, method: &str, params: Value) -> Result<Value, String> {
		rpc(self.rpc_port, method, params)
	}

	fn rpc(&self, method: &str, params: Value) -> Value {
		self.try_rpc(method, params)
			.unwrap_or_else(|e| self.fail(format!("{method}: {e}")))
	}

	/// The number of its best block, or of its finalized block.
	fn number(&self, finalized: bool) -> u64 {
		let header = if finalized {
			let hash = self.rpc("chain_getFinalizedHead", json!([]));
			self.rpc("chain_getHeader", json!([hash]))
		} else {
			self.rpc("chain_getHeader", json!([]))
		};
		number(&header["number"])
	}

	/// Waits until its best (or finalized) block reaches `n`.
	fn wait_for(&mut self, n: u64, finalized: bool, timeout: Duration) {
		let start = Instant::now();
		loop {
			if let Ok(Some(status)) = self.child.try_wait() {
				self.fail(format!("{} exited: {status}", self.name));
			}
			if self.number(finalized) >= n {
				return;
			}
			if start.elapsed() > timeout {
				let what = if finalized { "finalized" } else { "best" };
				self.fail(format!("{}: no {what} block #{n} within {timeout:?}", self.name));
			}
			std::thread::sleep(Duration::from_millis(500));
		}
	}

	fn header_at(&self, n: u64) -> (String, Value) {
		let hash = self.rpc("chain_getBlockHash", json!([n]));
		let header = self.rpc("chain_getHeader", json!([hash.clone()]));
		(hash.as_str().unwrap().to_string(), header)
	}

	fn fail(&self, why: impl std::fmt::Display) -> ! {
		let log = std::fs::read_to_string(&self.log).unwrap_or_default();
		let lines: Vec<&str> = log.lines().collect();
		let tail = lines[lines.len().saturating_sub(80)..].join("\n");
		panic!("{why}\n--- {} log (tail) ---\n{tail}", self.name)
	}
}

impl Drop for Node {
	fn drop(&mut self) {
		// The whole group: a relay validator's PVF workers outlive a killed node otherwise,
		// compiling on for the next tests' CPU.
		let group = format!("-{}", self.child.id());
		let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
		let _ = self.child.kill();
		let _ = self.child.wait();
	}
}

/// A `0x` hex block number.
fn number(value: &Value) -> u64 {
	u64::from_str_radix(value.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

fn hex_bytes(hex: &str) -> Vec<u8> {
	from_hex(hex.trim()).unwrap_or_else(|| panic!("not hex: {hex}"))
}

/// Runs a command to completion; its standard output.
fn output(program: &Path, args: &[&str]) -> String {
	let out = Command::new(program).args(args).output().unwrap();
	assert!(
		out.status.success(),
		"{} {args:?}: {}",
		program.display(),
		String::from_utf8_lossy(&out.stderr)
	);
	String::from_utf8(out.stdout).unwrap()
}

/// Governance's periods divided by this in the network's Daya spec: the root track's prepare,
/// confirm and enactment periods are one block each, its decision period 14 blocks.
const GOVERNANCE_SPEEDUP: u32 = 14_400;

/// Daya's `local` chain as it was before the upgrade: the built-in spec with the pre-upgrade
/// runtime's code (compressed as chain specs carry it) and governance at
/// [`GOVERNANCE_SPEEDUP`], raw. Returns its path and the path of the workspace's runtime blob
/// (the built-in spec's code), the upgrade's.
fn daya_spec(dir: &Path) -> (PathBuf, PathBuf) {
	let script = std::env::var_os("CARGO_MANIFEST_DIR")
		.map(PathBuf::from)
		.expect("cargo test sets CARGO_MANIFEST_DIR")
		.join("../scripts/upgrade-base.sh");
	let built = Command::new(&script).stdin(Stdio::null()).output().unwrap();
	assert!(
		built.status.success(),
		"{} failed: {}",
		script.display(),
		String::from_utf8_lossy(&built.stderr)
	);
	let base = std::fs::read(String::from_utf8(built.stdout).unwrap().trim()).unwrap();
	assert!(base.starts_with(b"\0asm"), "the pre-upgrade runtime is a WASM blob");
	let base = sp_maybe_compressed_blob::compress_weakly(
		&base,
		sp_maybe_compressed_blob::CODE_BLOB_BOMB_LIMIT,
	)
	.expect("the pre-upgrade runtime compresses");

	let node = node_bin();
	let mut spec: Value =
		serde_json::from_str(&output(&node, &["build-spec", "--chain", "local"])).unwrap();
	let runtime = &mut spec["genesis"]["runtimeGenesis"];
	let upgrade = dir.join("daya-upgrade.wasm");
	std::fs::write(&upgrade, hex_bytes(runtime["code"].as_str().unwrap())).unwrap();
	runtime["code"] = json!(to_hex(&base));
	runtime["patch"]["origins"]["speedup"] = json!(GOVERNANCE_SPEEDUP);
	let plain = dir.join("daya-local-base.json");
	std::fs::write(&plain, serde_json::to_vec(&spec).unwrap()).unwrap();
	// The raw spec's genesis is built by the pre-upgrade runtime's own genesis builder.
	let raw = output(&node, &["build-spec", "--chain", plain.to_str().unwrap(), "--raw"]);
	let raw_path = dir.join("daya-local-base-raw.json");
	std::fs::write(&raw_path, raw).unwrap();
	(raw_path, upgrade)
}

/// What a collator answers to a transaction that asks `CheckMetadataHash` to check the metadata
/// hash (mode 1): a runtime built with the hash (the `metadata-hash` feature) takes the hash in
/// the signed payload, where this one's signature leaves it out ("bad signature"); a runtime
/// built without refuses the mode ("could not lookup").
fn metadata_hash_probe(node: &Node) -> String {
	let url = node.url();
	let signed = async {
		use subxt::{dynamic::Value, OnlineClient, PolkadotConfig};
		let api = OnlineClient::<PolkadotConfig>::from_insecure_url(&url).await.unwrap();
		let call =
			subxt::dynamic::transaction("System", "remark", (Value::from_bytes(b"metadata hash"),));
		let at = api.at_current_block().await.unwrap();
		let call_data = at.transactions().call_data(&call).unwrap();
		let params = subxt::config::PolkadotExtrinsicParamsBuilder::new().build();
		let signer = subxt_signer::sr25519::dev::charlie();
		let tx = at.transactions().create_signed(&call, &signer, params).await.unwrap();
		(tx.encoded().to_vec(), call_data.len())
	};
	let (mut tx, call_len) = tokio::runtime::Builder::new_current_thread()
		.enable_all()
		.build()
		.unwrap()
		.block_on(signed);
	// `CheckMetadataHash` is the last extension: its mode byte comes right before the call.
	let mode = tx.len() - call_len - 1;
	assert_eq!(tx[mode], 0, "the mode byte, disabled as signed");
	tx[mode] = 1;
	match node.try_rpc("author_submitExtrinsic", json!([to_hex(&tx)])) {
		Ok(hash) => {
			panic!("a transaction with a mode its signature does not cover was accepted: {hash}")
		},
		Err(error) => error.to_lowercase(),
	}
}

/// [`metadata_hash_probe`] until its answer contains `expected`, for up to a minute; the last
/// answer. The transaction pool validates against every fork tip it follows, and a tip can
/// answer for a runtime the chain has left behind (the old one, right after an upgrade) or
/// with state that pruning already discarded, until the pool drops it: such answers are
/// retried, and a runtime that never gives the expected one fails the caller's assertion.
fn metadata_hash_probe_until(node: &Node, expected: &str) -> String {
	let deadline = Instant::now() + Duration::from_secs(60);
	loop {
		let probe = metadata_hash_probe(node);
		if probe.contains(expected) || Instant::now() > deadline {
			return probe;
		}
		println!("[relay] metadata hash probe, retried: {probe}");
		std::thread::sleep(Duration::from_secs(2));
	}
}

/// The relay chain's raw spec: its plain `rococo-local` spec `plain`, with Daya (from its raw
/// spec `daya`) registered at genesis.
/// Returns its path, Daya's code size and the relay chain's `max_code_size`.
fn relay_spec(dir: &Path, daya: &Path, plain: &str) -> (PathBuf, usize, u64) {
	// Two commands that each build Daya's genesis, side by side.
	let (node, relay) = (node_bin(), relay_bin());
	let daya = daya.to_str().unwrap();
	let (head, code) = std::thread::scope(|s| {
		let head = s.spawn(|| output(&node, &["export-genesis-head", "--chain", daya]));
		let code = output(&node, &["export-genesis-wasm", "--chain", daya]);
		(head.join().unwrap(), code)
	});
	let code_size = hex_bytes(&code).len();

	let mut spec: Value = serde_json::from_str(plain).unwrap();
	let runtime = &mut spec["genesis"]["runtimeGenesis"];
	let genesis =
		if runtime.get("patch").is_some() { &mut runtime["patch"] } else { &mut runtime["config"] };
	let config = &mut genesis["configuration"]["config"];
	let max_code_size =
		config["max_code_size"].as_u64().expect("the relay genesis sets max_code_size");
	// Asynchronous backing, as Daya's runtime expects it (three unincluded blocks, one per relay
	// slot): candidates up to three deep, relay parents up to two blocks old.
	config["async_backing_params"] = json!({ "max_candidate_depth": 3, "allowed_ancestry_len": 2 });
	genesis["paras"]["paras"] = json!([[
		PARA_ID,
		{ "genesis_head": head.trim(), "validation_code": code.trim(), "parachain": true }
	]]);
	let plain_path = dir.join("rococo-local-daya.json");
	std::fs::write(&plain_path, serde_json::to_vec(&spec).unwrap()).unwrap();
	let raw = output(
		&relay,
		&[
			"build-spec",
			"--chain",
			plain_path.to_str().unwrap(),
			"--raw",
			"--disable-default-bootnode",
		],
	);
	let raw_path = dir.join("rococo-local-daya-raw.json");
	std::fs::write(&raw_path, raw).unwrap();
	(raw_path, code_size, max_code_size)
}

/// The seed a Daya block's draws used, from `RandomnessApi_seed` at that block: its relay block
/// and whether it came from the relay chain's VRF (`SeedSource::RelayVrf`, encoded 0).
fn seed_at(collator: &Node, hash: &str) -> (u32, bool) {
	let answer = collator.rpc("state_call", json!(["RandomnessApi_seed", "0x", hash]));
	let bytes = hex_bytes(answer.as_str().unwrap());
	// Option<BlockSeed<u32>>: Some, seed [u8; 32], block u32, relay block u32, source u8.
	assert_eq!(bytes.len(), 1 + 32 + 4 + 4 + 1, "a seed: {answer}");
	assert_eq!(bytes[0], 1, "the block has a seed: {answer}");
	let relay_block = u32::from_le_bytes(bytes[37..41].try_into().unwrap());
	(relay_block, bytes[41] == 0)
}

/// The Aura slot a Daya block was authored in, from its pre-runtime digest.
fn aura_slot(header: &Value) -> u64 {
	// DigestItem::PreRuntime (6), engine `aura`, a compact length of 8 (0x20), the slot.
	header["digest"]["logs"]
		.as_array()
		.unwrap()
		.iter()
		.map(|log| hex_bytes(log.as_str().unwrap()))
		.find(|log| log.len() == 14 && log[..6] == [6, b'a', b'u', b'r', b'a', 0x20])
		.map(|log| u64::from_le_bytes(log[6..14].try_into().unwrap()))
		.unwrap_or_else(|| panic!("no Aura pre-runtime digest in {header}"))
}

#[test]
fn daya_collates_on_a_relay_chain_and_serves_a_job() {
	let all = Instant::now();
	let dir = TempDir::new("relay-chain");
	let phase = |what: &str, since: Instant| {
		println!("[relay] {what}: {:.1} s", since.elapsed().as_secs_f64());
	};

	// Daya's spec on the pre-upgrade runtime, and the relay chain's with its genesis head and
	// code.
	let started = Instant::now();
	let (daya_spec, upgrade, relay_plain) = std::thread::scope(|s| {
		let relay_plain = s.spawn(|| {
			let args = ["build-spec", "--chain", "rococo-local", "--disable-default-bootnode"];
			output(&relay_bin(), &args)
		});
		let (daya, upgrade) = daya_spec(&dir.0);
		(daya, upgrade, relay_plain.join().unwrap())
	});
	phase("the pre-upgrade runtime built, Daya's spec", started);
	let upgrade_size = std::fs::metadata(&upgrade).unwrap().len();
	let (spec, code_size, max_code_size) = relay_spec(&dir.0, &daya_spec, &relay_plain);
	println!(
		"[relay] Daya's code: {code_size} bytes; the relay chain's max_code_size: {max_code_size}"
	);
	println!("[relay] the upgrade's code: {upgrade_size} bytes");
	for size in [code_size as u64, upgrade_size] {
		assert!(
			size <= max_code_size,
			"Daya's code ({size} bytes) does not fit the relay chain's max_code_size ({max_code_size})"
		);
	}
	let spec = spec.to_str().unwrap().to_string();
	phase("chain specs", started);

	// The hosts' executors first: the first proof-of-compute window opens at block 2.
	let started = Instant::now();
	let model = write_dev_model(&dir.0);
	let mut executors: Vec<Executor> = ["alice", "bob"]
		.iter()
		.map(|who| Executor::start(&[&model], &dir.0, who, &["--poc-workers", "1"]))
		.collect();
	phase("executors up", started);

	// Two relay validators.
	let started = Instant::now();
	let relay = relay_bin();
	let validator = |who: &str, boot: Option<String>| {
		let mut args: Vec<String> = [
			"--chain",
			&spec,
			&format!("--{who}"),
			"--validator",
			"--insecure-validator-i-know-what-i-do",
		]
		.iter()
		.map(|s| s.to_string())
		.collect();
		args.extend(boot.map(|b| format!("--bootnodes={b}")));
		Node::start(&format!("relay-{who}"), &relay, &dir.0, &args)
	};
	let relay_alice = validator("alice", None);
	let relay_bob = validator("bob", Some(relay_alice.multiaddr()));
	phase("relay validators answering RPC", started);

	// Two collators, each on one validator's RPC; their relay-chain half (which advertises
	// collations to the validators over the relay network) gets the spec and a bootnode.
	let started = Instant::now();
	let relay_boot = relay_alice.multiaddr();
	let collator = |who: &str, relay: &Node, boot: Option<String>| {
		let mut args: Vec<String> = [
			"--collator",
			&format!("--{who}"),
			"--chain",
			daya_spec.to_str().unwrap(),
			"--rpc-methods",
			"unsafe",
			"--offchain-worker",
			"always",
			"--enable-offchain-indexing",
			"true",
			"--relay-chain-rpc-urls",
			&relay.url(),
		]
		.iter()
		.map(|s| s.to_string())
		.collect();
		args.extend(boot.map(|b| format!("--bootnodes={b}")));
		args.extend(["--".into(), "--chain".into(), spec.clone()]);
		args.extend([format!("--port={}", free_port()), format!("--bootnodes={relay_boot}")]);
		Node::start(&format!("collator-{who}"), &node_bin(), &dir.0, &args)
	};
	let mut alice = collator("alice", &relay_alice, None);
	let bob = collator("bob", &relay_bob, Some(alice.multiaddr()));
	// Each collator's node is its host's node: key, executor and endpoint.
	let url = alice.url();
	for (who, node, executor) in [("alice", &alice, &executors[0]), ("bob", &bob, &executors[1])] {
		hand_to(&node.url(), who, executor);
	}
	phase("collators answering RPC, hosts handed to their executors", started);

	// Blocks, produced and finalized through the relay chain: the endpoints' announcements wait
	// for theirs.
	let started = Instant::now();
	for (who, node, executor) in [("alice", &alice, &executors[0]), ("bob", &bob, &executors[1])] {
		announce(&node.url(), who, executor);
	}
	alice.wait_for(4, true, Duration::from_secs(300));
	phase("hosts' endpoints announced, Daya block #4 finalized", started);
	println!(
		"[relay] relay chain at #{} (finalized #{}), Daya at #{} (finalized #{})",
		relay_alice.number(false),
		relay_alice.number(true),
		alice.number(false),
		alice.number(true)
	);

	let version =
		|node: &Node| node.rpc("state_getRuntimeVersion", json!([]))["specVersion"].clone();
	let old_version = version(&alice).as_u64().unwrap();
	// The previous runtime was built without its metadata's hash.
	let probe = metadata_hash_probe_until(&alice, "lookup");
	assert!(probe.contains("lookup"), "the old runtime has no metadata hash: {probe}");

	// The upgrade, authorized by token holders while the hosts prove their capacity: Ferdie
	// proposes it on the root track, five holders vote for it with conviction, side by side
	// (47.5% of the issuance: the root track's support curve starts at 50% and falls each
	// block).
	let referendum = {
		let (url, upgrade) = (url.clone(), upgrade.clone());
		std::thread::spawn(move || {
			let started = Instant::now();
			let upgrade = upgrade.to_str().unwrap();
			let proposed = json(
				&url,
				&["--suri", "ferdie", "referendum", "propose", "upgrade", "--wasm", upgrade],
			);
			assert_eq!(proposed["track"], "root", "{proposed}");
			let index = proposed["index"].as_u64().unwrap().to_string();
			std::thread::scope(|s| {
				for voter in ["alice", "bob", "charlie", "dave", "eve"] {
					let (url, index) = (&url, &index);
					s.spawn(move || {
						let vote = [
							"--suri",
							voter,
							"referendum",
							"vote",
							index,
							"--amount",
							"950000",
							"--conviction",
							"1x",
						];
						json(url, &vote)
					});
				}
			});
			let deadline = Instant::now() + Duration::from_secs(400);
			loop {
				let runtime = json(&url, &["runtime", "version"]);
				if runtime["authorizedUpgrade"].is_string() {
					break;
				}
				let referendum = json(&url, &["referendum", "show", &index]);
				assert!(
					matches!(referendum["status"].as_str(), Some("ongoing" | "approved")),
					"{referendum}"
				);
				assert!(Instant::now() < deadline, "the upgrade was not authorized: {referendum}");
				std::thread::sleep(Duration::from_secs(2));
			}
			started.elapsed()
		})
	};

	// Proof of compute: hosts serve jobs once their capacity is proven.
	let started = Instant::now();
	let timeout = Duration::from_secs(600);
	for who in ["alice", "bob"] {
		wait_for_proven(&url, who, timeout);
	}
	phase("both hosts proven", started);
	let started = Instant::now();
	let took = referendum.join().expect("the upgrade is authorized by referendum");
	println!(
		"[relay] the upgrade proposed, voted and authorized by referendum in {:.1} s",
		took.as_secs_f64()
	);
	phase("then waiting for the referendum", started);
	let upgrade_path = upgrade.to_str().unwrap();
	let hosts: Vec<String> = ["alice", "bob"]
		.iter()
		.map(|who| json(&url, &["host", "status", who])["account"].as_str().unwrap().to_string())
		.collect();

	// The hosts' executors go down, so that a job stays open across the upgrade.
	let started = Instant::now();
	for executor in &mut executors {
		executor.kill();
	}
	let held_before: Vec<(u128, u128)> = hosts.iter().map(|who| balances(&url, who)).collect();
	// Ferdie submits a job and Dave, anyone, applies the upgrade, side by side: the relay chain
	// lets the new code go ahead several relay blocks after it is applied.
	let (submitted, applied) = std::thread::scope(|s| {
		let submitted = s.spawn(|| {
			let submit = [
				"--suri",
				"ferdie",
				"job",
				"submit",
				"--model",
				MODEL,
				"--prompt",
				"Daya runs on a relay chain.",
				"--max-tokens",
				"16",
			];
			json(&url, &submit)
		});
		let applied = json(&url, &["--suri", "dave", "runtime", "upgrade", "--wasm", upgrade_path]);
		(submitted.join().unwrap(), applied)
	});
	let job = submitted["jobId"].as_u64().unwrap().to_string();
	let escrow = amount(&submitted["escrow"]);
	let consumer_held = balances(&url, FERDIE).1;
	assert_eq!(applied["enacted"], false, "a parachain waits for the relay chain: {applied}");
	let deadline = Instant::now() + Duration::from_secs(300);
	while version(&alice).as_u64() == Some(old_version) {
		assert!(Instant::now() < deadline, "the new runtime did not go ahead within 300 s");
		std::thread::sleep(Duration::from_secs(1));
	}
	let upgraded_at = alice.number(false);
	phase("the upgrade applied and enacted through the relay chain", started);
	println!(
		"[relay] spec version {old_version} -> {} at Daya block #{upgraded_at}",
		version(&alice)
	);
	assert!(version(&alice).as_u64().unwrap() > old_version);
	// Blocks go on (their finality is checked with the job's below).
	alice.wait_for(upgraded_at + 2, false, Duration::from_secs(120));
	let applied_at = applied["block"].as_u64().unwrap();
	let upgrade_block = (applied_at..=upgraded_at)
		.find(|n| {
			let (hash, _) = alice.header_at(*n);
			alice.rpc("state_getRuntimeVersion", json!([hash]))["specVersion"].as_u64()
				!= Some(old_version)
		})
		.expect("a block with the new code");
	println!(
		"[relay] the new code set in Daya block #{upgrade_block}, the migration ran in the next"
	);
	assert_eq!(version(&bob), version(&alice));
	// The new runtime, built with the `metadata-hash` feature, checks the hash for signers that
	// ask.
	let probe = metadata_hash_probe_until(&alice, "bad signature");
	assert!(probe.contains("bad signature"), "the new runtime has its metadata hash: {probe}");

	// The first block the new runtime ran, ran the migration: what it rewrote reads the same
	// through the new runtime's API as through the old one's before the upgrade, byte for byte
	// (the API's types did not change), and so does the open job.
	// Block `upgrade_block` set the new code (the old runtime ran it); the next ran the
	// migration.
	let (last_old, _) = alice.header_at(upgrade_block - 1);
	let (first_new, _) = alice.header_at(upgrade_block + 1);
	let view = |api: &str, arg: String, at: &str| {
		alice.rpc("state_call", json!([api, arg, at])).as_str().unwrap().to_string()
	};
	for who in &hosts {
		let account: subxt::utils::AccountId32 = who.parse().unwrap();
		let arg = to_hex(&account.0);
		let (old, new) =
			(view("HostsApi_host", arg.clone(), &last_old), view("HostsApi_host", arg, &first_new));
		assert!(old.len() > 4, "host {who} is registered: {old}");
		assert_eq!(new, old, "host {who} across the migration (block #{})", upgrade_block + 1);
	}
	let arg = to_hex(&job.parse::<u64>().unwrap().to_le_bytes());
	let (old, new) = (
		view("InferenceApi_job", arg.clone(), &last_old),
		view("InferenceApi_job", arg, &first_new),
	);
	assert!(old.len() > 4, "the job is open before the upgrade: {old}");
	assert_eq!(new, old, "the open job across the upgrade");
	// And now: bonds and the consumer's escrow still held, the job still open.
	for (who, held) in hosts.iter().zip(&held_before) {
		assert_eq!(balances(&url, who).1, held.1, "host {who}'s held bond across the upgrade");
	}
	// The client reads the finalized block: wait until it ran the new code and its migration.
	let waited = Instant::now();
	loop {
		let head = alice.rpc("chain_getFinalizedHead", json!([]));
		let header = alice.rpc("chain_getHeader", json!([head]));
		let number =
			u64::from_str_radix(header["number"].as_str().unwrap().trim_start_matches("0x"), 16)
				.unwrap();
		if number > upgrade_block {
			break;
		}
		assert!(waited.elapsed() < Duration::from_secs(180), "Daya finalizes the upgrade");
		std::thread::sleep(Duration::from_millis(500));
	}
	let open = json(&url, &["job", "status", &job]);
	assert!(open.get("end").is_none(), "the job is still open after the upgrade: {open}");
	assert_eq!(balances(&url, FERDIE).1, consumer_held, "the consumer's escrow is held");

	// The executors come back; the new runtime's offchain workers serve the job.
	let started = Instant::now();
	for executor in &mut executors {
		executor.restart();
	}
	let job = wait_for_end(&url, job.parse().unwrap(), Duration::from_secs(300));
	assert!(matches!(job["end"].as_str(), Some("completed" | "validated")), "{job}");
	let tokens = job["completionTokens"].as_u64().unwrap();
	assert!(tokens > 0 && tokens <= 16, "{job}");
	let executor = job["executor"].as_str().unwrap();
	assert!(hosts.iter().any(|h| h == executor), "a genesis host executed it: {job}");
	let fee = amount(&job["fee"]);
	assert_eq!(fee + amount(&job["refund"]), escrow, "{job}");
	let protocol_fee = amount(&job["protocolFee"]) + amount(&job["validationFee"]);
	let (submitted, ended) =
		(job["submittedAt"].as_u64().unwrap(), job["endedAt"].as_u64().unwrap());
	// Read from the settlement's block: the hosts' free balances also pay the fees of their
	// proof-of-compute transactions, whose windows go on while the job is served.
	let earned = paid_on_hold(&url, ended, FERDIE, executor);
	assert_eq!(earned, fee - protocol_fee, "the host is paid the fee less the protocol's: {job}");
	assert!(submitted < upgraded_at && upgraded_at < ended, "{job}");
	println!(
		"[relay] job {} submitted at #{submitted} on the old runtime, served by {executor} and \
		 {} at #{ended} on the new one: {tokens} tokens",
		job["jobId"], job["end"]
	);
	phase("the job executed and settled after the upgrade", started);

	// Finality of the blocks that carried the job.
	alice.wait_for(ended, true, Duration::from_secs(120));

	// Every block so far: authored in turn by both collators, and its seed (which the job's
	// draws used) from the relay chain's VRF, of relay blocks that only move forward.
	let best = alice.number(true);
	let mut slots = Vec::new();
	let mut last_relay = 0;
	for n in 1..=best {
		let (hash, header) = alice.header_at(n);
		slots.push(aura_slot(&header));
		let (relay_block, from_vrf) = seed_at(&alice, &hash);
		assert!(from_vrf, "block #{n}'s seed fell back to the parent hash");
		assert!(relay_block >= last_relay, "block #{n}: relay parent went back");
		last_relay = relay_block;
	}
	let by_alice = slots.iter().filter(|slot| *slot % 2 == 0).count();
	let by_bob = slots.len() - by_alice;
	println!(
		"[relay] Daya blocks #1 to #{best}: {by_alice} in even slots, {by_bob} in odd slots, every \
		 seed from the relay chain's VRF (relay blocks up to #{last_relay})"
	);
	assert!(by_alice > 0 && by_bob > 0, "both collators author blocks: slots {slots:?}");
	drop(bob);
	drop(relay_bob);
	phase("the whole network test", all);
}
