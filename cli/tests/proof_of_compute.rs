//! Proof of compute end to end: proven weight follows real compute, and a cheat is caught.
//!
//! Two hosts' executors are held to different compute: Alice's pinned to core 0, Bob's pinned
//! to core 1 and limited to half of it by a cgroup CPU quota (the node runs beside Bob's, on
//! core 1; the cgroup's largest CPU weight keeps that half Bob's however busy the node is); the
//! test itself and the clients it runs move to core 1 too, so nothing but Alice's executor
//! computes on core 0. With the dev chain running, the PoC benchmark's measurement
//! (`daya-executor poc-bench`) runs under both limits, side by side; then the chain proves both
//! hosts' capacity through their executors, and the ratio of their proven weights (two windows
//! summed) must match the ratio of the benchmarked nonces per second within 20%. Then Charlie joins with an
//! executor that fabricates 5% of its leaves: it is convicted (96% per window: 64 samples),
//! slashed and jailed.
//!
//! Needs two cores, `taskset` and a writable cgroup CPU controller (root): where the machine
//! has none, the test says so and checks nothing.

mod client;
#[path = "../../node/tests/common/mod.rs"]
mod common;
mod hosts;

use client::{executor_bin, json};
use common::{DevNode, TempDir};
use hosts::{attach, write_dev_model, Executor};
use std::{
	path::{Path, PathBuf},
	process::Command,
	time::{Duration, Instant},
};

/// How long each benchmark runs: a window computes for 3 blocks, a second each in this test.
const BENCH_SECONDS: &str = "3";

/// A cgroup whose processes share half a core: at most, and at least when they want it.
struct HalfCore {
	dir: PathBuf,
}

impl HalfCore {
	/// Creates the cgroup (cgroup v1's `cpu` controller, or v2's), or says why it cannot.
	fn create() -> Result<Self, String> {
		let name = format!("daya-poc-test-{}", std::process::id());
		let v1 = Path::new("/sys/fs/cgroup/cpu");
		let v2 = Path::new("/sys/fs/cgroup");
		let v2_cpu = std::fs::read_to_string(v2.join("cgroup.subtree_control"))
			.is_ok_and(|controllers| controllers.split_whitespace().any(|c| c == "cpu"));
		// The quota caps the group at half a core; the largest weight gives it that half
		// whatever else runs on its core (the node and the test's clients beside Bob's
		// executor), as it had it when benchmarked alone: at the default weight, each of the
		// node's busy threads would take as large a share as the whole group.
		let (dir, files): (PathBuf, &[(&str, &str)]) = if v1.join("cpu.cfs_quota_us").exists() {
			(
				v1.join(&name),
				&[
					("cpu.cfs_period_us", "100000"),
					("cpu.cfs_quota_us", "50000"),
					("cpu.shares", "262144"),
				],
			)
		} else if v2_cpu {
			(v2.join(&name), &[("cpu.max", "50000 100000"), ("cpu.weight", "10000")])
		} else {
			return Err("no cgroup CPU controller (v1 cpu, or v2 with cpu enabled)".into());
		};
		std::fs::create_dir(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
		let quota = HalfCore { dir };
		for (file, value) in files {
			std::fs::write(quota.dir.join(file), value)
				.map_err(|e| format!("writing {file}: {e}"))?;
		}
		Ok(quota)
	}

	/// A command prefix that enters this cgroup, then runs the rest pinned to `core`.
	fn wrapper(&self, core: u32) -> Vec<String> {
		let procs = self.dir.join("cgroup.procs");
		vec![
			"sh".into(),
			"-c".into(),
			format!("echo $$ > {} && exec taskset -c {core} \"$@\"", procs.display()),
			"sh".into(),
		]
	}
}

impl Drop for HalfCore {
	fn drop(&mut self) {
		// Its processes are gone by now (every executor is dropped first).
		for _ in 0..50 {
			if std::fs::remove_dir(&self.dir).is_ok() {
				return;
			}
			std::thread::sleep(Duration::from_millis(100));
		}
	}
}

fn pinned(core: u32) -> Vec<String> {
	vec!["taskset".into(), "-c".into(), core.to_string()]
}

/// Why these limits cannot be set here, if they cannot.
fn unsupported() -> Option<String> {
	let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
	if cores < 2 {
		return Some(format!("needs two cores, this machine lets the test use {cores}"));
	}
	let taskset = Command::new("taskset").args(["-c", "0", "true"]).status();
	if !taskset.is_ok_and(|s| s.success()) {
		return Some("taskset (util-linux) is missing".into());
	}
	HalfCore::create().err()
}

/// The PoC benchmark's nonces per second under each of two wrappers, run at the same time for
/// about as long as a window computes (its 3 blocks of a second).
fn bench_together(first: &[String], second: &[String]) -> (f64, f64) {
	let start = |wrapper: &[String]| {
		let (program, args) = wrapper.split_first().expect("a wrapper");
		Command::new(program)
			.args(args)
			.arg(executor_bin())
			.args(["poc-bench", "--params", "small", "--workers", "1", "--seconds", BENCH_SECONDS])
			.stdout(std::process::Stdio::piped())
			.stderr(std::process::Stdio::piped())
			.spawn()
			.unwrap()
	};
	let rate = |child: std::process::Child| {
		let out = child.wait_with_output().unwrap();
		assert!(out.status.success(), "poc-bench: {}", String::from_utf8_lossy(&out.stderr));
		let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
		// Per second of the whole run, the pool's build included, as a window counts them: a
		// window's run builds its pool in its computing blocks too, twice as long on half a core.
		let seconds = report["computingSeconds"].as_f64().expect("computing seconds")
			+ report["poolSeconds"].as_f64().expect("pool seconds");
		report["nonces"].as_f64().expect("nonces") / seconds
	};
	let (a, b) = (start(first), start(second));
	(rate(a), rate(b))
}

/// Waits until Alice and Bob are proven in the same window after `after` (one both computed
/// from its opening); their proven weights and the window.
fn proven_together(url: &str, after: u64, timeout: Duration) -> (u64, u64, u64) {
	let start = Instant::now();
	loop {
		let read = |who: &str| {
			let status = json(url, &["host", "status", who]);
			let poc = &status["proofOfCompute"];
			let proven = poc["provenWeight"].as_u64().unwrap_or(0);
			let applied = status["capacityWeight"].as_u64() == Some(proven);
			(proven, poc["lastWindow"]["window"].as_u64(), applied)
		};
		let (alice, bob) = (read("alice"), read("bob"));
		let window = alice.1.unwrap_or(0);
		if alice.0 > 0 && bob.0 > 0 && alice.2 && bob.2 && alice.1 == bob.1 && window > after {
			return (alice.0, bob.0, alice.1.unwrap());
		}
		assert!(start.elapsed() < timeout, "not both proven within {timeout:?}: {alice:?} {bob:?}");
		std::thread::sleep(Duration::from_secs(2));
	}
}

#[test]
fn proven_weights_follow_real_compute_and_a_fabricating_prover_is_slashed() {
	if let Some(why) = unsupported() {
		eprintln!("SKIPPED: proof of compute under CPU limits: {why}");
		return;
	}
	let quota = HalfCore::create().unwrap();
	let dir = TempDir::new("proof-of-compute");
	let model = write_dev_model(&dir.0);
	let node = DevNode::start_with(1, &["--dev-block-time", "1000"]);
	// The node beside Bob's executor: core 0 is Alice's alone.
	let pinned_node = Command::new("taskset")
		.args(["-a", "-p", "-c", "1", &node.pid().to_string()])
		.output()
		.unwrap();
	assert!(pinned_node.status.success(), "{}", String::from_utf8_lossy(&pinned_node.stderr));
	// So is this test, and every client it runs from now on: nothing else computes on core 0
	// while Alice proves.
	let pinned_test = Command::new("taskset")
		.args(["-a", "-p", "-c", "1", &std::process::id().to_string()])
		.output()
		.unwrap();
	assert!(pinned_test.status.success(), "{}", String::from_utf8_lossy(&pinned_test.stderr));
	// Measured with the chain running (the node beside Bob's half core, a block a second),
	// under the limits the executors get, side by side as they will prove: the proof is bound
	// by memory, which the two cores and the node share, so that each alone would be faster
	// than beside the others, Alice (the larger) more so.
	// The median of five runs: one run of a few seconds can meet another process's burst (the
	// processes of the test before, going away), and two of them must for the ratio to move.
	let mut runs: Vec<(f64, f64)> =
		(0..5).map(|_| bench_together(&pinned(0), &quota.wrapper(1))).collect();
	runs.sort_by(|a, b| (a.1 / a.0).total_cmp(&(b.1 / b.0)));
	let (alice_rate, bob_rate) = runs[2];
	let expected = bob_rate / alice_rate;
	println!(
		"[poc] benchmark: {alice_rate:.0} nonces/s on core 0, {bob_rate:.0} on half of core 1: \
		 ratio {expected:.3}"
	);
	let url = node.ws_url();
	let models: [&Path; 1] = [&model];
	let alice =
		Executor::start_under(&pinned(0), &models, &dir.0, "alice", &["--poc-workers", "1"]);
	let bob =
		Executor::start_under(&quota.wrapper(1), &models, &dir.0, "bob", &["--poc-workers", "1"]);
	attach(&url, "alice", &alice);
	attach(&url, "bob", &bob);
	// The window open now may have started before the executors were attached.
	let open = json(&url, &["poc", "window"])["window"].as_u64().unwrap_or(0);
	let started = Instant::now();
	// Two windows in a row, summed: one window computes for 3 seconds, and a few seconds of a
	// shared 2-core machine vary by a tenth on their own.
	let (alice_first, bob_first, first) = proven_together(&url, open, Duration::from_secs(150));
	let (alice_second, bob_second, second) = proven_together(&url, first, Duration::from_secs(150));
	let (alice_weight, bob_weight) = (alice_first + alice_second, bob_first + bob_second);
	let ratio = bob_weight as f64 / alice_weight as f64;
	println!(
		"[poc] windows {first} and {second}: Alice proved {alice_first} + {alice_second}, Bob \
		 {bob_first} + {bob_second}: ratio {ratio:.3} against {expected:.3} benchmarked ({:.0} s)",
		started.elapsed().as_secs_f64()
	);
	assert!(
		(ratio / expected - 1.0).abs() <= 0.2,
		"proven weights {bob_weight}/{alice_weight} = {ratio:.3}, benchmarked {expected:.3}"
	);

	// Charlie joins with an executor that makes up 5% of its leaves.
	let charlie = Executor::start(
		&models,
		&dir.0,
		"charlie",
		&["--poc-workers", "1", "--poc-fabricate-ppm", "50000"],
	);
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
			"L4:24576:1",
			"--model",
			"daya-dev-llama",
			"--bond",
			"1000",
		],
	);
	assert_eq!(registered["status"], "active");
	let bond = registered["bond"].as_str().unwrap().parse::<u128>().unwrap();
	attach(&url, "charlie", &charlie);
	let started = Instant::now();
	let status = loop {
		let status = json(&url, &["host", "status", "charlie"]);
		if status["proofOfCompute"]["lastWindow"]["outcome"] == "convicted of fraud" {
			break status;
		}
		// Caught with probability 1 - 0.95^64 in each window it commits to: four windows
		// leave it unconvicted with probability 2e-6.
		assert!(started.elapsed() < Duration::from_secs(150), "not convicted: {status}");
		std::thread::sleep(Duration::from_secs(2));
	};
	let slashed = bond - status["bond"].as_str().unwrap().parse::<u128>().unwrap();
	assert_eq!(slashed, bond / 5, "a fifth of the bond: {status}");
	assert!(status["status"].as_str().unwrap().starts_with("jailed"), "{status}");
	assert_eq!(status["capacityWeight"], 0, "{status}");
	assert_eq!(status["proofOfCompute"]["provenWeight"], 0, "{status}");
	println!(
		"[poc] Charlie, fabricating 5% of its leaves, convicted in window {} and slashed {} \
		 ({:.0} s)",
		status["proofOfCompute"]["lastWindow"]["window"],
		slashed,
		started.elapsed().as_secs_f64()
	);
	drop((alice, bob, charlie));
}
