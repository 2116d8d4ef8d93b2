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
//! settled, and paid. Each phase prints how long it took.

mod client;
#[path = "../../node/tests/common/mod.rs"]
mod common;
mod hosts;

use client::json;
use common::{free_port, node_bin, rpc, TempDir};
use hosts::{
	amount, announce, balances, hand_to, wait_for_proven, write_dev_model, Executor, MODEL,
};
use serde_json::{json, Value};
use std::{
	fs::File,
	os::unix::process::CommandExt,
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

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
	let hex = hex.trim().trim_start_matches("0x");
	(0..hex.len())
		.step_by(2)
		.map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
		.collect()
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

/// The relay chain's raw spec with Daya registered at genesis. Returns its path, Daya's code
/// size and the relay chain's `max_code_size`.
fn relay_spec(dir: &Path) -> (PathBuf, usize, u64) {
	// Three commands that each build a genesis, side by side.
	let (node, relay) = (node_bin(), relay_bin());
	let (head, code, plain) = std::thread::scope(|s| {
		let head = s.spawn(|| output(&node, &["export-genesis-head", "--chain", "local"]));
		let code = s.spawn(|| output(&node, &["export-genesis-wasm", "--chain", "local"]));
		let plain = output(
			&relay,
			&["build-spec", "--chain", "rococo-local", "--disable-default-bootnode"],
		);
		(head.join().unwrap(), code.join().unwrap(), plain)
	});
	let code_size = hex_bytes(&code).len();

	let mut spec: Value = serde_json::from_str(&plain).unwrap();
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

	// The relay chain's spec, with Daya's genesis head and code.
	let started = Instant::now();
	let (spec, code_size, max_code_size) = relay_spec(&dir.0);
	println!(
		"[relay] Daya's code: {code_size} bytes; the relay chain's max_code_size: {max_code_size}"
	);
	assert!(
		code_size as u64 <= max_code_size,
		"Daya's code ({code_size} bytes) does not fit the relay chain's max_code_size ({max_code_size})"
	);
	let spec = spec.to_str().unwrap().to_string();
	phase("chain specs", started);

	// The hosts' executors first: the first proof-of-compute window opens at block 2.
	let started = Instant::now();
	let model = write_dev_model(&dir.0);
	let executors: Vec<Executor> = ["alice", "bob"]
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
			"local",
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

	// Proof of compute: hosts serve jobs once their capacity is proven.
	let started = Instant::now();
	let timeout = Duration::from_secs(600);
	for who in ["alice", "bob"] {
		wait_for_proven(&url, who, timeout);
	}
	phase("both hosts proven", started);

	// A job submitted to a collator, served by whichever host the chain draws.
	let started = Instant::now();
	let hosts: Vec<String> = ["alice", "bob"]
		.iter()
		.map(|who| json(&url, &["host", "status", who])["account"].as_str().unwrap().to_string())
		.collect();
	let before: Vec<u128> = hosts.iter().map(|who| balances(&url, who).0).collect();
	let job = json(
		&url,
		&[
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
			"--wait",
			"--timeout",
			"300",
		],
	);
	assert!(matches!(job["end"].as_str(), Some("completed" | "validated")), "{job}");
	let tokens = job["completionTokens"].as_u64().unwrap();
	assert!(tokens > 0 && tokens <= 16, "{job}");
	assert!(!job["output"].as_str().unwrap().is_empty(), "{job}");
	let executor = job["executor"].as_str().unwrap();
	let index = hosts.iter().position(|h| h == executor).expect("a genesis host executed it");
	let fee = amount(&job["fee"]);
	let protocol_fee = amount(&job["protocolFee"]) + amount(&job["validationFee"]);
	let earned = balances(&url, executor).0 - before[index];
	assert_eq!(earned, fee - protocol_fee, "the host is paid the fee less the protocol's: {job}");
	let (submitted, ended) =
		(job["submittedAt"].as_u64().unwrap(), job["endedAt"].as_u64().unwrap());
	println!(
		"[relay] job {} served by {executor} and {}: {tokens} tokens, blocks #{submitted} to \
		 #{ended}",
		job["jobId"], job["end"]
	);
	phase("job submitted, executed and settled", started);

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
