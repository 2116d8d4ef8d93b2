//! The network end to end: `daya-node --dev` with its offchain workers, one `daya-executor` per
//! host running the dev model and SmolLM2-135M-Instruct, and consumers using the `daya` client.
//!
//! 1. A job is executed through the assigned host's offchain worker and executor; the signed
//!    result lands, settlement pays the host, and the consumer reads the full output.
//! 2. A SmolLM2 chat job is answered for real ("The answer is 4."), validated by the other host
//!    and settled. Then Daya's web page, driven in headless Chromium, shows the models and hosts
//!    the client reads, and answers a prompt submitted in its playground (`web/mod.rs`).
//! 3. A host whose executor corrupts every output is caught by validation and slashed.
//! 4. A host serving SmolLM2 downgraded to 2- and 4-bit types under the registered hashes is
//!    caught by its fingerprints and slashed.
//! 5. With every executor stopped, a job expires (after one reassignment) and the consumer is
//!    refunded in full.
//!
//! The phases share one chain (1-second blocks) and run in this order; each prints how long it
//! took, in blocks and seconds.

mod client;
#[path = "../../node/tests/common/mod.rs"]
mod common;
mod hosts;
mod web;

use client::{json, wait_for_end};
use common::{DevNode, TempDir};
use hosts::{
	amount, attach, paid_on_hold, smollm2_path, wait_for_proven, write_dev_model, Executor, MODEL,
	SMOLLM2,
};
use std::{
	path::Path,
	time::{Duration, Instant},
};

#[test]
fn jobs_are_served_validated_slashed_and_refunded_end_to_end() {
	let dir = TempDir::new("network");
	let model = write_dev_model(&dir.0);

	// The node keeps the state of its last 64 blocks only (a default node, 256): outputs are
	// read from block bodies, which it keeps.
	let node = DevNode::start_with(1, &["--dev-block-time", "1000", "--state-pruning", "64"]);
	let url = node.ws_url();
	let smollm2 = smollm2_path();
	let both: [&Path; 2] = [&model, &smollm2];
	let alice = Executor::start(&both, &dir.0, "alice", &["--poc-workers", "1"]);
	let bob = Executor::start(&both, &dir.0, "bob", &["--poc-workers", "1"]);
	attach(&url, "alice", &alice);
	attach(&url, "bob", &bob);
	// The executors obey their own nodes only: a stranger cannot plant a job.
	alice.assert_refuses_strangers();
	// Proof of compute: the hosts serve jobs once their capacity is proven (a window every 30
	// blocks; the first may open before the executors are attached).
	let proof_timeout = Duration::from_secs(120);
	wait_for_proven(&url, "alice", proof_timeout);
	wait_for_proven(&url, "bob", proof_timeout);
	let hosts: Vec<String> = ["alice", "bob"]
		.iter()
		.map(|who| json(&url, &["host", "status", who])["account"].as_str().unwrap().to_string())
		.collect();

	// 1. A job, served by whichever host the chain assigns.
	let started = Instant::now();
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
			"Daya is a decentralized inference network.",
			"--max-tokens",
			"24",
			"--wait",
			"--timeout",
			"120",
		],
	);
	let seconds = started.elapsed().as_secs_f64();
	let first = job.clone();
	assert!(matches!(job["end"].as_str(), Some("completed" | "validated")), "{job}");
	let output = job["output"].as_str().expect("the output");
	let tokens = job["completionTokens"].as_u64().unwrap();
	assert!(tokens > 0 && tokens <= 24, "{job}");
	assert!(!output.is_empty() && output.len() <= 24, "{job}");
	let fee = amount(&job["fee"]);
	let price = 1_000_000u128; // the dev model's price: one micro-DAYA per token
	assert_eq!(fee, price * u128::from(tokens + job["promptTokens"].as_u64().unwrap()));
	// The executor is paid the fee less the protocol fee (results and verdicts cost no
	// transaction fee when they succeed).
	let executor = job["executor"].as_str().unwrap();
	assert!(hosts.iter().any(|h| h == executor), "a dev host executed it: {job}");
	// Read from the settlement's block: the hosts' free balances also pay the fees of their
	// proof-of-compute transactions, whose windows go on while jobs are served.
	let consumer = job["consumer"].as_str().unwrap();
	let earned = paid_on_hold(&url, job["endedAt"].as_u64().unwrap(), consumer, executor);
	let protocol_fee = amount(&job["protocolFee"]) + amount(&job["validationFee"]);
	assert_eq!(protocol_fee, fee / 20, "{job}");
	assert_eq!(earned, fee - protocol_fee, "{job}");
	let blocks = job["endedAt"].as_u64().unwrap() - job["submittedAt"].as_u64().unwrap();
	println!(
		"[e2e] job {} served by {} and {}: {tokens} tokens, {blocks} blocks and {seconds:.1} s \
		 from the submit command to settlement",
		job["jobId"], job["executor"], job["end"]
	);

	// 1b. The client examples of docs/clients.md, side by side, each its own consumer.
	let started = Instant::now();
	for report in run_client_examples(&url) {
		let client = report["client"].as_str().unwrap();
		assert!(matches!(report["end"].as_str(), Some("Completed" | "Validated")), "{report}");
		assert!(hosts.iter().any(|h| report["host"] == *h), "{client} reads a dev host: {report}");
		assert_eq!(report["hostBond"], "1000000000000000", "{client} reads the host's bond");
		let (fee, quote) = (amount(&report["fee"]), amount(&report["quote"]));
		assert!(fee > 0 && fee <= quote, "{client}: the fee is within the quote: {report}");
		// What the client read is what the chain and the `daya` client say.
		let id = report["job"].to_string();
		let job = json(&url, &["job", "status", &id]);
		assert_eq!(amount(&job["fee"]), fee, "{client}: {job}");
		let output = json(&url, &["job", "output", &id]);
		assert_eq!(report["output"], output["output"], "{client} reads the output: {output}");
		assert!(!output["output"].as_str().unwrap().is_empty(), "{output}");
	}
	println!("[e2e] the client examples (polkadot.js, subxt, Python): {:.1} s", secs(started));

	// 2. SmolLM2 answers a chat for real. About half of a new host's results are validated
	// (reputation 50%, a point more with each job served): chats are sent until one is
	// validated, and none may be judged a fraud. Sixteen unvalidated in a row happen about
	// once in 4,000 runs (eight, the bound before, about once in 110).
	let started = Instant::now();
	let mut validated = None;
	for _ in 0..16 {
		let job = json(
			&url,
			&[
				"--suri",
				"ferdie",
				"job",
				"submit",
				"--model",
				SMOLLM2,
				"--chat",
				"--prompt",
				"What is 2+2? Answer briefly.",
				"--max-tokens",
				"16",
				"--wait",
				"--timeout",
				"120",
			],
		);
		assert_eq!(job["output"], "The answer is 4.", "{job}");
		assert_eq!(job["promptTokens"], 40, "{job}");
		assert_eq!(job["completionTokens"], 7, "six tokens and <|im_end|>: {job}");
		assert!(matches!(job["end"].as_str(), Some("completed" | "validated")), "{job}");
		if job["end"] == "validated" {
			validated = Some(job);
			break;
		}
	}
	let validated = validated.expect("one of sixteen SmolLM2 jobs is validated");
	// The validator's pass showed its probe and the executor's node had its executor judge it:
	// the job ended blocks after the delivery, not at the executor's deadline (20 blocks after
	// the pass), which is when a pass whose executor stays silent ends.
	let took = validated["endedAt"].as_u64().unwrap() - validated["deliveredAt"].as_u64().unwrap();
	assert!(
		took < 16,
		"the executor judged the probe {took} blocks after the delivery: {validated}"
	);
	println!(
		"[e2e] SmolLM2 job {} answered {:?}, validated and settled in {:.1} s",
		validated["jobId"],
		validated["output"],
		started.elapsed().as_secs_f64()
	);

	// 2b. The web page, while Alice and Bob are the hosts and serve honestly.
	web::check_page(&url, &["alice", "bob"], &dir.0);

	// 3. Charlie joins with an executor that corrupts every output, and with two proof-of-compute
	// workers where Alice and Bob have one each, so that many jobs go to it once its capacity
	// is proven. Half of a new host's results are
	// validated: jobs are sent until one of Charlie's is caught.
	let charlie =
		Executor::start(&[&model], &dir.0, "charlie", &["--corrupt-outputs", "--poc-workers", "2"]);
	let registered = json(
		&url,
		&[
			"--suri",
			"charlie",
			"host",
			"register",
			"--endpoint",
			&charlie.url(),
			"--gpu",
			"H100:81920:8",
			"--model",
			MODEL,
			"--bond",
			"1000",
		],
	);
	assert_eq!(registered["status"], "active");
	let bond_before = amount(&registered["bond"]);
	attach(&url, "charlie", &charlie);
	wait_for_proven(&url, "charlie", proof_timeout);
	let started = Instant::now();
	let caught = first_fraud(&url, MODEL, "charlie", &[], |i| {
		format!("Question number {i}: what is a GPU?")
	})
	.expect("one of Charlie's forged results is caught");
	let charlie_account = json(&url, &["host", "status", "charlie"]);
	assert_eq!(caught["executor"], charlie_account["account"], "{caught}");
	assert_eq!(amount(&caught["fee"]), 0, "the consumer pays nothing for a forgery: {caught}");
	assert!(charlie_account["status"].as_str().unwrap().starts_with("jailed"), "{charlie_account}");
	// 20% of the bond per fraud confirmed: the jobs still in flight when it was jailed may be
	// caught too.
	let bond_after = amount(&charlie_account["bond"]);
	assert!(bond_after <= bond_before - bond_before / 5, "20% of the bond is slashed");
	println!(
		"[e2e] Charlie's forgery (job {}) caught and slashed {} -> {} in {:.1} s",
		caught["jobId"],
		bond_before,
		bond_after,
		started.elapsed().as_secs_f64()
	);

	// 4. Dave serves SmolLM2 downgraded (every matrix re-quantized to Q2_K or Q4_0) under the
	// registered hashes, with two proof-of-compute workers. Its fingerprints do
	// not match the registered model's: SmolLM2 jobs are sent until one of Dave's is caught.
	let dave = Executor::start(
		&[&smollm2],
		&dir.0,
		"dave",
		&["--tamper", "downgrade", "--poc-workers", "2"],
	);
	let registered = json(
		&url,
		&[
			"--suri",
			"dave",
			"host",
			"register",
			"--endpoint",
			&dave.url(),
			"--gpu",
			"H100:81920:8",
			"--model",
			SMOLLM2,
			"--bond",
			"1000",
		],
	);
	assert_eq!(registered["status"], "active");
	let bond_before = amount(&registered["bond"]);
	attach(&url, "dave", &dave);
	wait_for_proven(&url, "dave", proof_timeout);
	let started = Instant::now();
	let caught = first_fraud(&url, SMOLLM2, "dave", &["--chat", "--temperature", "0.7"], |i| {
		format!("Question {i}: what does a validator do?")
	})
	.expect("one of Dave's downgraded results is caught");
	let dave_account = json(&url, &["host", "status", "dave"]);
	assert_eq!(caught["executor"], dave_account["account"], "{caught}");
	assert!(dave_account["status"].as_str().unwrap().starts_with("jailed"), "{dave_account}");
	assert!(amount(&dave_account["bond"]) <= bond_before - bond_before / 5, "{dave_account}");
	println!(
		"[e2e] Dave's downgraded SmolLM2 (job {}) caught and slashed in {:.1} s",
		caught["jobId"],
		started.elapsed().as_secs_f64()
	);

	// 5. Every executor stops: the job misses its deadline, is reassigned once, misses again,
	// and the consumer gets its escrow back. (Charlie is jailed: Alice and Bob share the job.)
	drop((alice, bob, charlie, dave));
	let started = Instant::now();
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
			"Anyone there?",
			"--max-tokens",
			"8",
			"--wait",
			"--timeout",
			"180",
		],
	);
	assert_eq!(job["end"], "expired", "{job}");
	assert_eq!(amount(&job["fee"]), 0, "{job}");
	assert!(amount(&job["refund"]) > 0, "{job}");
	println!(
		"[e2e] with the executors down, job {} expired and was refunded after {} blocks ({:.1} s)",
		job["jobId"],
		job["endedAt"].as_u64().unwrap() - job["submittedAt"].as_u64().unwrap(),
		started.elapsed().as_secs_f64()
	);

	// 6. The first job's output, long after the node discarded the state of its delivery
	// block: read from the block's body with the current metadata, its hash checked.
	let delivered = first["deliveredAt"].as_u64().unwrap();
	let discarded = tokio::runtime::Runtime::new().unwrap().block_on(async {
		let api = subxt::OnlineClient::<subxt::PolkadotConfig>::from_insecure_url(&url)
			.await
			.unwrap();
		api.at_block(delivered).await.err().map(|e| e.to_string())
	});
	let discarded = discarded.expect("the delivery block's state is discarded by now");
	let read = json(&url, &["job", "output", &first["jobId"].to_string()]);
	assert_eq!(read["output"], first["output"], "{read}");
	assert_eq!(read["outputHash"], first["outputHash"], "{read}");
	println!(
		"[e2e] job {} read from block {delivered}, whose state is gone ({discarded})",
		first["jobId"]
	);
}

/// Submits 16-token jobs for `model` as Eve (with `extra` flags, prompts from `prompt`) in rounds
/// of six until one ends as a fraud, and returns it; `None` once `cheat` (a host's name) has
/// served [`CHEAT_JOBS`] jobs none of which was caught, or [`MAX_FRAUD_JOBS`] jobs have ended. Counting the cheat's own jobs, not all jobs, keeps the
/// test's luck out of it: how many jobs the cheat is drawn for moves with its proven capacity,
/// and each of its results is checked with probability one minus its reputation (about half for
/// a new host), so sixteen unchecked results in a row happen about once in 7,000 runs.
fn first_fraud(
	url: &str,
	model: &str,
	cheat: &str,
	extra: &[&str],
	prompt: impl Fn(usize) -> String,
) -> Option<serde_json::Value> {
	let account = json(url, &["host", "status", cheat])["account"].clone();
	let (mut ended, mut served) = (0, 0);
	'rounds: while ended < MAX_FRAUD_JOBS {
		// A cheat that missed three jobs in a row (a slow start on busy cores) is chilled and
		// would serve nothing more: its operator resumes it, so that the test stays about fraud.
		if json(url, &["host", "status", cheat])["status"] == "chilled" {
			println!("[e2e] {cheat} was chilled for missed jobs: unchilled");
			json(url, &["--suri", cheat, "host", "unchill"]);
		}
		let ids: Vec<u64> = (ended..ended + 6)
			.map(|i| {
				let prompt = prompt(i);
				let mut args = vec!["--suri", "eve", "job", "submit", "--model", model];
				args.extend_from_slice(extra);
				args.extend(["--prompt", &prompt, "--max-tokens", "16"]);
				json(url, &args)["jobId"].as_u64().unwrap()
			})
			.collect();
		for id in ids {
			let end = wait_for_end(url, id, Duration::from_secs(150));
			ended += 1;
			if end["end"] == "fraud" {
				return Some(end);
			}
			println!("[e2e] job {id}: {} by {}", end["end"], end["executor"]);
			if end["executor"] == account {
				served += 1;
				if served == CHEAT_JOBS {
					break 'rounds;
				}
			}
		}
	}
	println!("[e2e] {cheat} served {served} of {ended} jobs, none caught");
	for who in ["alice", "bob", "charlie", "dave"] {
		let status = json(url, &["host", "status", who]);
		println!(
			"[e2e] {who}: {} capacity {} reputation {} proof {}",
			status["status"],
			status["capacityWeight"],
			status["reputation"],
			status["proofOfCompute"]
		);
	}
	println!("[e2e] {}", json(url, &["poc", "window"]));
	None
}

/// How many of a cheating host's results [`first_fraud`] waits for before it gives up.
const CHEAT_JOBS: usize = 16;
/// How many jobs in all [`first_fraud`] submits at most, whoever serves them.
const MAX_FRAUD_JOBS: usize = 96;

fn secs(since: Instant) -> f64 {
	since.elapsed().as_secs_f64()
}

/// Runs the client examples of `docs/clients` against `url` side by side, each as its own
/// consumer (polkadot.js as Eve, subxt as Dave, substrate-interface as Charlie), with the
/// packages `scripts/setup.sh` installed; their JSON reports.
fn run_client_examples(url: &str) -> Vec<serde_json::Value> {
	let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/clients");
	let var = |name: &str| std::env::var_os(name).map(std::path::PathBuf::from);
	let cache = var("DAYA_CACHE")
		.or_else(|| var("HOME").map(|home| home.join(".cache/daya")))
		.expect("DAYA_CACHE or HOME");
	// Node resolves packages from the script's directory: the script runs beside them.
	let js = cache.join("clients-js");
	assert!(js.join("node_modules").is_dir(), "{} is missing: run scripts/setup.sh", js.display());
	std::fs::copy(docs.join("polkadot-js.mjs"), js.join("polkadot-js.mjs")).unwrap();
	let subxt = common::node_bin().with_file_name("examples").join("subxt");
	assert!(
		subxt.is_file(),
		"{} is missing: cargo build -p daya-cli --example subxt (cargo test builds it)",
		subxt.display()
	);
	let python = cache.join("python/bin/python");
	assert!(python.is_file(), "{} is missing: run scripts/setup.sh", python.display());
	let commands: Vec<(&str, std::process::Command)> = vec![
		("polkadot.js", {
			let mut command = std::process::Command::new("node");
			command.arg(js.join("polkadot-js.mjs")).args([url, "//Eve"]);
			command
		}),
		("subxt", {
			let mut command = std::process::Command::new(&subxt);
			command.args([url, "//Dave"]);
			command
		}),
		("substrate-interface", {
			let mut command = std::process::Command::new(&python);
			command.arg(docs.join("substrate_interface.py")).args([url, "//Charlie"]);
			command
		}),
	];
	let mut running: Vec<_> = commands
		.into_iter()
		.map(|(name, mut command)| {
			let child = command
				.stdout(std::process::Stdio::piped())
				.stderr(std::process::Stdio::piped())
				.spawn()
				.unwrap_or_else(|e| panic!("the {name} example did not start: {e}"));
			(name, child)
		})
		.collect();
	// Each waits for its job's end; none may hang the test.
	let deadline = Instant::now() + Duration::from_secs(180);
	while running.iter_mut().any(|(_, child)| child.try_wait().unwrap().is_none()) {
		if Instant::now() > deadline {
			for (_, child) in &mut running {
				let _ = child.kill();
			}
			let stuck: Vec<_> = running.iter().map(|(name, _)| *name).collect();
			panic!("the client examples did not finish within 3 minutes: {stuck:?}");
		}
		std::thread::sleep(Duration::from_millis(200));
	}
	running
		.into_iter()
		.map(|(name, child)| {
			let output = child.wait_with_output().unwrap();
			let stdout = String::from_utf8_lossy(&output.stdout);
			assert!(
				output.status.success(),
				"the {name} example failed: {}\n{stdout}",
				String::from_utf8_lossy(&output.stderr)
			);
			serde_json::from_str(stdout.trim().lines().last().unwrap_or_default())
				.unwrap_or_else(|e| panic!("the {name} example printed no JSON ({e}): {stdout}"))
		})
		.collect()
}
