//! Every command group of `daya` against a real `daya-node --dev`: the commands the README and
//! the docs show, with their text and JSON output, and their errors.

mod client;
#[path = "../../node/tests/common/mod.rs"]
mod common;

use client::{error, executor_bin, json, ok, wait_for_end, DAYA};
use common::{submit, DevNode};
use daya_primitives::runtime_api::WorkKind;
use std::process::{Command, Stdio};
use subxt::{
	dynamic::{self, Value},
	utils::Static,
	OnlineClient, PolkadotConfig,
};
use subxt_signer::sr25519::dev;

const UNIT: u128 = 1_000_000_000_000;

#[test]
fn help_reads_as_a_manual() {
	let out = Command::new(DAYA).arg("--help").output().unwrap();
	let help = String::from_utf8(out.stdout).unwrap();
	for group in [
		"job",
		"quote",
		"model",
		"host",
		"rewards",
		"emission",
		"referendum",
		"council",
		"runtime",
		"--url",
		"--suri",
		"--json",
	] {
		assert!(help.contains(group), "--help lists {group}: {help}");
	}
	let out = Command::new(DAYA).args(["job", "submit", "--help"]).output().unwrap();
	let help = String::from_utf8(out.stdout).unwrap();
	for flag in ["--model", "--prompt", "--prompt-file", "--max-tokens", "--max-price", "--wait"] {
		assert!(help.contains(flag), "job submit --help lists {flag}");
	}
	// A missing prompt is a usage error (exit code 2), before any connection.
	let out = Command::new(DAYA).args(["job", "submit", "--model", "0"]).output().unwrap();
	assert_eq!(out.status.code(), Some(2));
	// So is a job that may generate nothing (the chain would refuse it after the fee).
	for command in [&["job", "submit", "--prompt", "hi"][..], &["job", "batch", "--prompts", "p"]] {
		let out = Command::new(DAYA)
			.args([command, &["--model", "0", "--max-tokens", "0"]].concat())
			.output()
			.unwrap();
		assert_eq!(out.status.code(), Some(2), "{command:?}");
		assert!(String::from_utf8_lossy(&out.stderr).contains("--max-tokens"), "{command:?}");
	}
}

/// A `daya` command with `env` set and the caller's own settings removed.
fn daya_with_env(env: &[(&str, &str)], args: &[&str]) -> std::process::Output {
	let mut command = Command::new(DAYA);
	for name in ["DAYA_URL", "DAYA_SURI", "DAYA_SURI_FILE"] {
		command.env_remove(name);
	}
	command.envs(env.iter().copied()).args(args).output().unwrap()
}

fn key_file(dir: &std::path::Path, name: &str, text: &str, mode: u32) -> String {
	use std::os::unix::fs::PermissionsExt;
	let path = dir.join(name);
	std::fs::write(&path, text).unwrap();
	std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
	path.to_str().unwrap().to_string()
}

/// Secrets need not be on the command line: the key comes from `DAYA_SURI` or a key file that
/// only its owner reads, never shown by `--help`; a bad key file is refused before connecting.
#[test]
fn keys_from_the_environment_or_a_file_and_never_shown() {
	let dir = common::TempDir::new("cli-keyfile");
	let stderr = |out: std::process::Output| {
		assert!(!out.status.success());
		String::from_utf8(out.stderr).unwrap()
	};
	// Nothing listens on port 1: each refusal below comes before any connection.
	let url = ("DAYA_URL", "ws://127.0.0.1:1");
	let open = key_file(&dir.0, "open.key", "//Alice\n", 0o644);
	let refused = stderr(daya_with_env(&[url], &["--suri-file", &open, "host", "status"]));
	assert!(refused.contains("readable by other users (mode 644): chmod 600"), "{refused}");
	let empty = key_file(&dir.0, "empty.key", "\n", 0o600);
	let refused = stderr(daya_with_env(&[url, ("DAYA_SURI_FILE", &empty)], &["host", "status"]));
	assert!(refused.contains("is empty"), "{refused}");
	let missing = dir.0.join("missing.key");
	let refused = stderr(daya_with_env(
		&[url],
		&["--suri-file", missing.to_str().unwrap(), "host", "status"],
	));
	assert!(refused.contains("cannot read the key file"), "{refused}");
	// One key source at a time: a usage error.
	let out = daya_with_env(&[url], &["--suri", "alice", "--suri-file", &open, "host", "status"]);
	assert_eq!(out.status.code(), Some(2));
	// The environment's key is never printed.
	let out = daya_with_env(&[("DAYA_SURI", "//SecretSeedPhrase")], &["--help"]);
	let help = String::from_utf8(out.stdout).unwrap();
	assert!(help.contains("DAYA_SURI") && help.contains("--suri-file"), "{help}");
	assert!(!help.contains("SecretSeedPhrase"), "{help}");
	// The URL from the environment.
	let refused = stderr(daya_with_env(&[url], &["model", "list"]));
	assert!(refused.contains("cannot connect") && refused.contains("127.0.0.1:1"), "{refused}");
}

/// With `--json`, an error is also on standard output, as `{"error": "<its line>"}`; standard
/// error still has its one line.
#[test]
fn json_errors_are_an_object_on_standard_output() {
	// Nothing listens on port 1.
	let out = client::daya("ws://127.0.0.1:1", &["--json", "model", "list"]);
	assert!(!out.status.success());
	let stdout: serde_json::Value =
		serde_json::from_slice(&out.stdout).expect("a JSON object on standard output");
	let message = stdout["error"].as_str().expect("a string `error`");
	assert!(message.contains("cannot connect") && message.contains("127.0.0.1:1"), "{stdout}");
	let stderr = String::from_utf8(out.stderr).unwrap();
	assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
	assert!(stderr.starts_with("error: "), "{stderr}");
	assert_eq!(stderr.trim_end(), format!("error: {message}"));
}

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
	use std::os::unix::process::ExitStatusExt;
	// The reader is gone before `daya` writes its JSON error (connecting fails first): the
	// write ends the process by SIGPIPE, never a panic (exit code 101) or a panic's message.
	for _ in 0..3 {
		let mut child = Command::new(DAYA)
			.args(["--url", "ws://127.0.0.1:1", "--json", "model", "list"])
			.stdout(Stdio::piped())
			.stderr(Stdio::piped())
			.spawn()
			.unwrap();
		drop(child.stdout.take());
		let out = child.wait_with_output().unwrap();
		let stderr = String::from_utf8_lossy(&out.stderr);
		assert!(!stderr.contains("panicked"), "{stderr}");
		assert_ne!(out.status.code(), Some(101), "{stderr}");
		assert_eq!(out.status.signal(), Some(libc::SIGPIPE), "{:?}: {stderr}", out.status);
	}
}

#[tokio::test(flavor = "multi_thread")]
async fn every_command_group_against_a_dev_node() {
	let node = tokio::task::spawn_blocking(|| DevNode::start(1)).await.unwrap();
	let url = node.ws_url();
	let url = url.as_str();

	// Connection errors are one line.
	let refused = error("ws://127.0.0.1:1", &["model", "list"]);
	assert!(refused.contains("cannot connect"), "{refused}");

	// The node and the key from the environment and a key file (mode 600).
	let keys = common::TempDir::new("cli-env-key");
	let alice_key = key_file(&keys.0, "alice.key", "//Alice\n", 0o600);
	let out = daya_with_env(
		&[("DAYA_URL", url), ("DAYA_SURI_FILE", &alice_key)],
		&["--json", "host", "status"],
	);
	assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
	let host: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
	assert_eq!(host["account"], "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY", "{host}");
	let out =
		daya_with_env(&[("DAYA_URL", url), ("DAYA_SURI", "bob")], &["--json", "host", "status"]);
	assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
	let host: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
	assert_eq!(host["account"], "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty", "{host}");

	// Voter: the model registry.
	let list = ok(url, &["model", "list"]);
	assert!(list.contains("daya-dev-llama") && list.contains("active"), "{list}");
	let models = json(url, &["model", "list"]);
	assert_eq!(models[0]["name"], "daya-dev-llama");
	let shown = json(url, &["model", "show", "daya-dev-llama"]);
	assert_eq!(shown["id"], 0);
	assert_eq!(json(url, &["model", "show", "0"])["name"], "daya-dev-llama");
	let price: u128 = shown["pricePerToken"].as_str().unwrap().parse().unwrap();
	assert!(error(url, &["model", "show", "nope"]).contains("no model named \"nope\""));

	// Voter: a council motion retires nothing and reprices nothing until it passes. Here it
	// proposes the same price, voted by Alice and Bob, closed by Charlie, and enacted.
	let same = format!("0.{:012}", price);
	let motion = json(
		url,
		&["council", "propose", "price", "daya-dev-llama", "--price", &same, "--suri", "alice"],
	);
	assert_eq!(motion["threshold"], 2);
	let (hash, index) = (motion["hash"].as_str().unwrap().to_string(), motion["index"].to_string());
	assert!(error(url, &["council", "vote", &hash, &index, "--suri", "dave"]).contains("NotMember"));
	assert!(
		error(url, &["council", "vote", "0x12", &index, "--suri", "bob"]).contains("invalid hash")
	);
	assert_eq!(json(url, &["council", "vote", &hash, &index, "--suri", "alice"])["aye"], true);
	assert!(ok(url, &["council", "vote", &hash, &index, "--suri", "bob"]).contains("voted aye"));
	assert_eq!(
		json(url, &["council", "close", &hash, &index, "--suri", "charlie"])["enacted"],
		true
	);
	assert_eq!(json(url, &["model", "show", "0"])["pricePerToken"], price.to_string());

	// Voter: a new model from its files. `daya-executor spec` prints the registry spec of a
	// model directory; the council registers it, then updates it to a new version.
	let dir = common::TempDir::new("cli-spec");
	let executor = executor_bin();
	let run = |args: &[&str]| {
		let out = Command::new(&executor).args(args).output().expect("daya-executor runs");
		assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
		String::from_utf8(out.stdout).unwrap()
	};
	let model_dir = dir.0.join("model");
	run(&["dev-model", "--out", model_dir.to_str().unwrap()]);
	let spec = run(&[
		"spec",
		"--model-dir",
		model_dir.to_str().unwrap(),
		"--name",
		"tiny-llama",
		"--source",
		"daya-executor:dev-model",
	]);
	let spec_file = dir.0.join("tiny-llama.json");
	std::fs::write(&spec_file, &spec).unwrap();
	let spec_path = spec_file.to_str().unwrap();
	let bad_file = dir.0.join("bad.json");
	std::fs::write(&bad_file, spec.replace("\"engine\"", "\"engin\"")).unwrap();
	assert!(error(
		url,
		&[
			"council",
			"propose",
			"register",
			"--spec",
			bad_file.to_str().unwrap(),
			"--suri",
			"alice"
		]
	)
	.contains("unknown field `engin`"));
	let pass = |motion: serde_json::Value| {
		let (hash, index) =
			(motion["hash"].as_str().unwrap().to_string(), motion["index"].to_string());
		for voter in ["alice", "bob"] {
			assert_eq!(
				json(url, &["council", "vote", &hash, &index, "--suri", voter])["aye"],
				true
			);
		}
		assert_eq!(
			json(url, &["council", "close", &hash, &index, "--suri", "charlie"])["enacted"],
			true
		);
	};
	pass(json(url, &["council", "propose", "register", "--spec", spec_path, "--suri", "alice"]));
	let tiny = json(url, &["model", "show", "tiny-llama"]);
	assert_eq!(tiny["version"], 1);
	assert_eq!(tiny["contextLength"], 2048);
	assert_eq!(tiny["weightsHash"], shown["weightsHash"], "the dev model's files, hashed alike");
	std::fs::write(&spec_file, spec.replace("\"version\": 1", "\"version\": 2")).unwrap();
	pass(json(
		url,
		&["council", "propose", "update", "tiny-llama", "--spec", spec_path, "--suri", "alice"],
	));
	assert_eq!(json(url, &["model", "show", "tiny-llama"])["version"], 2);

	// Voter: token holders update a model by referendum. Ferdie, no council member, proposes
	// version 3 (a call long enough to go as a preimage); three holders vote for it with
	// conviction, one against; the dev chain's tracks run 600 times faster, so it is decided
	// and enacted within a minute.
	std::fs::write(&spec_file, spec.replace("\"version\": 1", "\"version\": 3")).unwrap();
	let update = ["referendum", "propose", "update", "tiny-llama", "--spec", spec_path];
	let referendum = json(url, &[&update[..], &["--suri", "ferdie"]].concat());
	assert_eq!(referendum["track"], "model_registry", "{referendum}");
	assert!(referendum["callBytes"].as_u64().unwrap() > 128, "went as a preimage: {referendum}");
	let index = referendum["index"].to_string();
	assert!(error(url, &["referendum", "vote", &index, "--amount", "1", "--conviction", "7x"])
		.contains("invalid conviction \"7x\""));
	let ayes = [("alice", "1x"), ("bob", "3x"), ("charlie", "6x")];
	for (voter, conviction) in ayes {
		let voted = json(
			url,
			&[
				"referendum",
				"vote",
				&index,
				"--amount",
				"900000",
				"--conviction",
				conviction,
				"--suri",
				voter,
			],
		);
		assert_eq!(voted["conviction"], conviction, "{voted}");
	}
	let nay = ["referendum", "vote", &index, "--amount", "1000", "--conviction", "none", "--nay"];
	assert!(ok(url, &[&nay[..], &["--suri", "dave"]].concat()).contains("voted nay"));
	let listed = json(url, &["referendum", "list"]);
	assert!(
		listed.as_array().unwrap().iter().any(|r| r["index"] == referendum["index"]),
		"{listed}"
	);
	let start = std::time::Instant::now();
	let shown = loop {
		let shown = json(url, &["referendum", "show", &index]);
		if json(url, &["model", "show", "tiny-llama"])["version"] == 3 {
			break shown;
		}
		assert!(start.elapsed().as_secs() < 180, "not enacted within 180 s: {shown}");
		std::thread::sleep(std::time::Duration::from_secs(1));
	};
	assert_eq!(shown["status"], "approved", "{shown}");
	println!(
		"[e2e] referendum {index} enacted {:.0} s after the votes",
		start.elapsed().as_secs_f64()
	);

	// Voter: runtime upgrades go to the root track, never to the council; a blob nobody
	// authorized is refused, and so is a file that is no runtime.
	let version = json(url, &["runtime", "version"]);
	assert!(version["specVersion"].as_u64().unwrap() >= 2, "{version}");
	assert_eq!(version["authorizedUpgrade"], serde_json::Value::Null, "{version}");
	let dir = common::TempDir::new("cli-upgrade");
	let not_wasm = dir.0.join("not-a-runtime.wasm");
	std::fs::write(&not_wasm, b"hello").unwrap();
	let not_wasm = not_wasm.to_str().unwrap();
	let refused = error(url, &["--suri", "ferdie", "runtime", "upgrade", "--wasm", not_wasm]);
	assert!(refused.contains("is not a runtime WASM blob"), "{refused}");
	let missing = dir.0.join("missing.wasm");
	let refused = error(
		url,
		&["--suri", "ferdie", "runtime", "upgrade", "--wasm", missing.to_str().unwrap()],
	);
	assert!(refused.contains("cannot read"), "{refused}");
	let code = Command::new(common::node_bin())
		.args(["export-genesis-wasm", "--chain", "dev"])
		.output()
		.unwrap();
	assert!(code.status.success());
	let code = daya_protocol::hex::from_hex(String::from_utf8(code.stdout).unwrap().trim())
		.expect("the blob in hex");
	let blob = dir.0.join("daya.wasm");
	std::fs::write(&blob, code).unwrap();
	let blob = blob.to_str().unwrap();
	let refused = error(url, &["--suri", "ferdie", "runtime", "upgrade", "--wasm", blob]);
	assert!(refused.contains("NothingAuthorized"), "{refused}");
	let refused = error(url, &["--suri", "alice", "council", "propose", "upgrade", "--wasm", blob]);
	assert!(refused.contains("council cannot authorize a runtime upgrade"), "{refused}");

	// Consumer: quote, submit, status, cancel.
	let quote =
		json(url, &["quote", "--model", "daya-dev-llama", "--prompt", "hi", "--max-tokens", "16"]);
	assert_eq!(quote["escrow"], ((2 + 16) * price).to_string());
	assert!(ok(url, &["quote", "--model", "0", "--prompt", "hi"]).contains("at most"));
	assert!(error(url, &["job", "submit", "--model", "0", "--prompt", "hi"]).contains("--suri"));
	assert!(error(
		url,
		&["job", "submit", "--model", "0", "--prompt", "hi", "--suri", "not a key"]
	)
	.contains("invalid --suri"));
	assert!(error(
		url,
		&[
			"job",
			"submit",
			"--model",
			"0",
			"--prompt",
			"hi",
			"--max-price",
			"1e3",
			"--suri",
			"charlie"
		]
	)
	.contains("invalid amount"));
	let refused = error(
		url,
		&[
			"job",
			"submit",
			"--model",
			"0",
			"--prompt",
			"hi",
			"--max-price",
			"0.0000001",
			"--suri",
			"charlie",
		],
	);
	assert!(refused.contains("PriceAboveLimit"), "{refused}");

	let submitted = json(
		url,
		&[
			"job",
			"submit",
			"--model",
			"daya-dev-llama",
			"--prompt",
			"never mind",
			"--max-tokens",
			"8",
			"--suri",
			"charlie",
		],
	);
	let id = submitted["jobId"].as_u64().unwrap().to_string();
	// Its executor is drawn from a later block's randomness: none yet at submission.
	assert_eq!(submitted["executor"], serde_json::Value::Null, "{submitted}");
	let status = json(url, &["job", "status", &id]);
	let waiting =
		["waiting for its executor to be drawn", "assigned, waiting for the host's result"];
	assert!(waiting.contains(&status["status"].as_str().unwrap()), "{status}");
	assert_eq!(status["executor"].is_null(), status["status"] == waiting[0], "{status}");
	assert!(ok(url, &["job", "status", &id]).contains(&format!("job {id}: ")));
	assert!(error(url, &["job", "cancel", &id, "--suri", "dave"]).contains("NotConsumer"));
	let cancelled = json(url, &["job", "cancel", &id, "--suri", "charlie"]);
	let mut cancelled_at_deadline = None;
	if cancelled["cancelRequested"] == true {
		// Assigned already: it ends at its execution deadline, refunded in full unless a
		// result came by then.
		assert!(cancelled["deadline"].as_u64().is_some(), "{cancelled}");
		assert!(
			error(url, &["job", "cancel", &id, "--suri", "charlie"]).contains("AlreadyCancelling")
		);
		// How it ended is checked at the end of the test, past its deadline.
		cancelled_at_deadline = Some((id.clone(), submitted["escrow"].clone()));
	} else {
		assert_eq!(cancelled["refund"], submitted["escrow"]);
		assert_eq!(json(url, &["job", "status", &id])["end"], "cancelled");
	}
	assert!(error(url, &["job", "status", "999999"]).contains("no job 999999"));

	// Consumer with --wait, while the test plays the assigned host.
	let prompt_file = std::env::temp_dir().join(format!("daya-prompt-{}", std::process::id()));
	std::fs::write(&prompt_file, "What is six times seven?").unwrap();
	let mut waiting = Command::new(DAYA)
		.args(["--url", url, "--json", "job", "submit", "--model", "0", "--prompt-file"])
		.arg(&prompt_file)
		.args(["--max-tokens", "16", "--suri", "charlie", "--wait", "--timeout", "120"])
		.stdout(Stdio::piped())
		.stderr(Stdio::piped())
		.spawn()
		.unwrap();
	let api = OnlineClient::<PolkadotConfig>::from_insecure_url(url).await.unwrap();
	let hosts = [dev::alice(), dev::bob()];
	// Six tokens of the dev model, one byte each (its registered bound on a text).
	let output = "Is 42.";
	let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
	let mut delivered = false;
	loop {
		let mut acted = false;
		for host in &hosts {
			let call = dynamic::runtime_api_call::<_, Static<Vec<(u64, WorkKind)>>>(
				"InferenceApi",
				"work_of",
				(host.public_key().0,),
			);
			let Static(work) =
				api.at_current_block().await.unwrap().runtime_apis().call(call).await.unwrap();
			for (job, kind) in work {
				let call = match kind {
					// The result in an executor's batch of one: `job output` reads it from there.
					WorkKind::Execute => dynamic::transaction(
						"Inference",
						"submit_results",
						vec![Value::unnamed_composite([Value::named_composite([
							("job_id", Value::u128(job.into())),
							(
								"result",
								Value::named_composite([
									("output", Value::from_bytes(output)),
									(
										"tokens",
										Value::unnamed_composite((0..6u128).map(Value::u128)),
									),
									("prompt_tokens", Value::u128(7)),
									("prompt_hash", Value::from_bytes([1u8; 32])),
									(
										"fingerprints",
										Value::unnamed_composite([Value::named_composite([
											(
												"dims",
												Value::unnamed_composite(
													(0..8u128).map(Value::u128),
												),
											),
											(
												"values",
												Value::unnamed_composite(
													(0..8).map(|_| Value::i128(1)),
												),
											),
										])]),
									),
								]),
							),
						])])],
					),
					// A pass with its probe, or the executor recognising the probe shown.
					WorkKind::Validate => dynamic::transaction(
						"Inference",
						"submit_verdict",
						vec![
							Value::u128(job.into()),
							Value::unnamed_variant("Valid", []),
							Value::unnamed_variant(
								"Some",
								[Value::named_composite([
									("dims", Value::unnamed_composite((0..8u128).map(Value::u128))),
									(
										"values",
										Value::unnamed_composite((0..8).map(|_| Value::i128(1))),
									),
								])],
							),
						],
					),
				};
				submit(&api, &call, host).await.unwrap();
				// The job cancelled above, if it was assigned, is served too (a result by its
				// deadline is paid for); the loop waits for the new one.
				delivered |= kind == WorkKind::Execute && job.to_string() != id;
				acted = true;
			}
		}
		// The cancelled job, if it was assigned, may still be validated: its validator is one
		// of the hosts this test plays, and a silent one would be slashed.
		let cancelled_open = cancelled_at_deadline
			.as_ref()
			.is_some_and(|(id, _)| json(url, &["job", "status", id]).get("end").is_none());
		// The submitted job ends only once its validation, if it was drawn for one, is in: a
		// validation drawn after a quiet round must still be played (a silent validator is
		// slashed), so the hosts play until the waiting client has its answer.
		let answered = waiting.try_wait().unwrap().is_some();
		if delivered && !acted && !cancelled_open && answered {
			break;
		}
		assert!(std::time::Instant::now() < deadline, "the job was never assigned");
		tokio::time::sleep(std::time::Duration::from_secs(1)).await;
	}
	let finished = tokio::task::spawn_blocking(move || waiting.wait_with_output())
		.await
		.unwrap()
		.unwrap();
	let _ = std::fs::remove_file(&prompt_file);
	assert!(finished.status.success(), "{}", String::from_utf8_lossy(&finished.stderr));
	let result: serde_json::Value = serde_json::from_slice(&finished.stdout).unwrap();
	assert_eq!(result["output"], output);
	assert_eq!(result["completionTokens"], 6);
	assert_eq!(result["fee"], (13 * price).to_string());
	assert!(result["end"] == "completed" || result["end"] == "validated", "{result}");
	// The outcome names the blocks that hold the prompt and the output, and how the result was
	// checked; `job output` reads the output from that block and checks its hash.
	let delivered = result["deliveredAt"].as_u64().expect("a delivery block");
	assert!(result["submittedAt"].as_u64().unwrap() < delivered, "{result}");
	assert!(result["verification"].as_str().is_some_and(|v| !v.is_empty()), "{result}");
	assert_eq!(result["disputed"], false, "{result}");
	let job_id = result["jobId"].to_string();
	let read = json(url, &["job", "output", &job_id]);
	assert_eq!(read["output"], output, "{read}");
	assert_eq!(read["deliveredAt"], delivered, "{read}");
	assert_eq!(read["outputHash"], result["outputHash"], "{read}");
	assert_eq!(ok(url, &["job", "output", &job_id]).trim_end(), output);
	assert!(error(url, &["job", "output", "999999"]).contains("no job 999999"));

	// Host: standing.
	let alice = json(url, &["host", "status", "alice"]);
	assert_eq!(alice["bond"], (1_000 * UNIT).to_string());
	assert_eq!(alice["servedModels"][0], 0);
	let bob = ok(url, &["host", "status", "--suri", "//Bob"]);
	assert!(bob.contains("http://127.0.0.1:8091"), "{bob}");
	// Before any proof-of-compute window has proved anything (no executor runs here), hosts
	// weigh their declared hardware, and the status says so.
	assert!(bob.contains("proven      nothing yet"), "{bob}");
	assert_eq!(alice["proofOfCompute"]["provenWeight"], serde_json::Value::Null, "{alice}");
	assert_eq!(alice["capacityWeight"], 16_384, "{alice}");
	let window = json(url, &["poc", "window"]);
	assert!(window["window"].as_u64().is_some_and(|w| w >= 1), "{window}");
	assert!(error(url, &["host", "status", "charlie"]).contains("is not a registered host"));
	assert!(error(url, &["host", "status", "not-an-address"]).contains("invalid account"));

	// Host: Dave registers, chills, unchills, bonds more and leaves; withdrawing waits for the
	// unbonding period.
	let register = |gpu: &'static str, bond: &'static str, who: &'static str| {
		[
			"host",
			"register",
			"--endpoint",
			"http://127.0.0.1:8091",
			"--gpu",
			gpu,
			"--model",
			"daya-dev-llama",
			"--bond",
			bond,
			"--suri",
			who,
		]
	};
	assert!(error(url, &register("L4", "150", "dave")).contains("invalid --gpu"));
	assert!(error(url, &register("L4:24576:1", "1", "eve")).contains("BondTooLow"));
	let dave = json(url, &register("L4:24576:1", "150", "dave"));
	assert_eq!(dave["status"], "active");
	assert_eq!(dave["bond"], (150 * UNIT).to_string());
	assert_eq!(dave["capacityWeight"], 24_576);
	let updated = json(
		url,
		&[
			"host",
			"update",
			"--endpoint",
			"http://127.0.0.1:8092",
			"--gpu",
			"L40S:46080:2",
			"--suri",
			"dave",
		],
	);
	assert_eq!(updated["endpoint"], "http://127.0.0.1:8092");
	assert_eq!(updated["capacityWeight"], 92_160);
	assert!(error(url, &["host", "update", "--suri", "dave"]).contains("nothing to update"));
	assert!(
		error(url, &["host", "update", "--model", "nope", "--suri", "dave"]).contains("no model")
	);
	assert_eq!(json(url, &["host", "chill", "--suri", "dave"])["status"], "chilled");
	assert_eq!(json(url, &["host", "unchill", "--suri", "dave"])["status"], "active");
	assert_eq!(
		json(url, &["host", "bond-more", "50", "--suri", "dave"])["bond"],
		(200 * UNIT).to_string()
	);
	let leaving = json(url, &["host", "unbond", "--suri", "dave"]);
	assert!(leaving["status"].as_str().unwrap().starts_with("leaving"), "{leaving}");
	assert!(error(url, &["host", "withdraw", "--suri", "dave"]).contains("NotUnlocked"));

	// The host's own node: its key into the keystore, its executor's URL.
	let key = json(url, &["host", "insert-key", "--suri", "eve"]);
	assert_eq!((key["keyType"].as_str(), key["registered"].as_bool()), (Some("daya"), Some(false)));
	assert!(ok(url, &["host", "insert-key", "--suri", "eve"]).contains("not a registered host"));
	assert!(error(url, &["host", "insert-key"]).contains("--suri"));
	let set = json(url, &["host", "set-executor", "http://127.0.0.1:8092/", "--suri", "eve"]);
	assert_eq!(
		(&set["executor"], &set["apiKey"]),
		(&"http://127.0.0.1:8092".into(), &false.into())
	);
	// A key file that holds no valid key changes nothing.
	let keys = common::TempDir::new("cli-keys");
	let short = keys.0.join("short.key");
	std::fs::write(&short, "short\n").unwrap();
	let args = ["host", "set-executor", "http://127.0.0.1:8093", "--suri", "eve", "--api-key-file"];
	let refused = error(url, &[&args[..], &[short.to_str().unwrap()]].concat());
	assert!(refused.contains("32 to 256 characters"), "{refused}");
	let missing = keys.0.join("missing.key");
	let refused = error(url, &[&args[..], &[missing.to_str().unwrap()]].concat());
	assert!(refused.contains("cannot read"), "{refused}");
	let status = json(url, &["host", "set-executor", "http://127.0.0.1:8092", "--suri", "eve"]);
	assert_eq!(status["apiKey"], false, "{status}");
	assert!(ok(url, &["host", "set-executor", "http://10.0.0.5:8090", "--for", "ferdie"])
		.contains(
			"sends 5CiPPseXPECbkjWCa6MnjNokrgYjMqmKndv2rSnekmSK2DjL's jobs to http://10.0.0.5:8090"
		));
	assert!(error(url, &["host", "set-executor", "ftp://x", "--suri", "eve"])
		.contains("invalid executor URL"));
	assert!(error(url, &["host", "set-executor", "http://x"]).contains("give an account"));

	// Collator: Alice is the dev chain's collator; Dave is told how to join.
	let collator = json(url, &["collator", "status", "alice"]);
	assert_eq!(collator["sessionKeys"], true);
	assert_eq!(collator["invulnerable"], true);
	let dave = ok(url, &["collator", "status", "dave"]);
	assert!(dave.contains("not a collator") && dave.contains("to join"), "{dave}");

	// Rewards and the emission schedule.
	let pending = json(url, &["rewards", "pending", "alice"]);
	assert_eq!(pending["pending"], "0");
	assert!(error(url, &["rewards", "claim", "--suri", "alice"]).contains("NothingToClaim"));
	let schedule = json(url, &["emission", "schedule", "--eras", "3"]);
	assert_eq!(schedule["epochLength"], 200);
	assert_eq!(schedule["eras"][0]["rewardPerEpoch"], (3_000 * UNIT).to_string());
	assert_eq!(schedule["eras"][1]["firstEpoch"], 35_040);
	assert_eq!(schedule["eras"][1]["rewardPerEpoch"], (1_500 * UNIT).to_string());
	assert!(ok(url, &["emission", "schedule"]).contains("REWARD PER EPOCH"));

	// Consumer: a batch of jobs, one a line of a file, in one transaction, whole or not at all.
	let file = |name: &str, text: &[u8]| {
		let path = keys.0.join(name);
		std::fs::write(&path, text).unwrap();
		path.to_str().unwrap().to_string()
	};
	fn batch<'a>(prompts: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
		let args = ["job", "batch", "--model", "daya-dev-llama", "--prompts", prompts];
		[&args[..], extra, &["--max-tokens", "8", "--suri", "ferdie"]].concat()
	}
	let empty = file("empty.txt", b"\n  \n");
	assert!(error(url, &batch(&empty, &[])).contains("holds no prompt"));
	let binary = file("binary.txt", b"fine\n\xff\xfe\n");
	assert!(error(url, &batch(&binary, &[])).contains("line 2 of"));
	let missing = keys.0.join("missing.txt");
	assert!(error(url, &batch(missing.to_str().unwrap(), &[])).contains("cannot read"));
	let many = file("many.txt", "a prompt\n".repeat(65).as_bytes());
	let refused = error(url, &batch(&many, &[]));
	assert!(refused.contains("holds 65 prompts; a batch holds at most 64"), "{refused}");
	// A prompt the model cannot take is named by its line, before anything is signed.
	let long = file("long.txt", format!("fine\n\n{}\n", "x".repeat(70_000)).as_bytes());
	let refused = error(url, &batch(&long, &[]));
	assert!(refused.contains("line 3 of") && refused.contains("does not take"), "{refused}");
	// The load test's batches: at least one job, at most a consumer's open jobs.
	let load = |batch: &str| error(url, &["load", "--batch", batch, "--suri", "ferdie"]);
	assert!(load("0").contains("--batch must not be zero"));
	assert!(load("65").contains("may not exceed the jobs one consumer may have open (64)"));
	let prompts = file("prompts.txt", b"first prompt\n\nsecond prompt\r\n");
	let refused = error(url, &batch(&prompts, &["--max-price", "0.0000001"]));
	assert!(refused.contains("PriceAboveLimit"), "{refused}");
	let submitted = json(url, &batch(&prompts, &[]));
	let jobs = submitted["jobs"].as_array().expect("the batch's jobs");
	assert_eq!(jobs.len(), 2, "{submitted}");
	let first = jobs[0]["jobId"].as_u64().unwrap();
	assert_eq!(jobs[1]["jobId"].as_u64(), Some(first + 1), "consecutive ids: {submitted}");
	assert_eq!(jobs[0]["block"], jobs[1]["block"], "one transaction: {submitted}");
	// "first prompt" and "second prompt": 12 and 13 prompt bytes, 8 output tokens each.
	assert_eq!(jobs[0]["escrow"], ((12 + 8) * price).to_string(), "{submitted}");
	assert_eq!(jobs[1]["escrow"], ((13 + 8) * price).to_string(), "{submitted}");
	for job in jobs {
		let id = job["jobId"].to_string();
		let cancelled = json(url, &["job", "cancel", &id, "--suri", "ferdie"]);
		if cancelled["cancelRequested"] != true {
			assert_eq!(cancelled["refund"], job["escrow"], "{cancelled}");
		}
	}

	// The job cancelled while assigned: refunded in full at its deadline unless its result
	// came, which is paid for; either way the escrow is split exactly.
	if let Some((id, escrow)) = cancelled_at_deadline {
		let end = wait_for_end(url, id.parse().unwrap(), std::time::Duration::from_secs(120));
		let amount = |v: &serde_json::Value| v.as_str().unwrap().parse::<u128>().unwrap();
		assert_eq!(amount(&end["fee"]) + amount(&end["refund"]), amount(&escrow), "{end}");
		if end["end"] == "cancelled" {
			assert_eq!(end["refund"], escrow, "{end}");
		}
	}
	drop(node);
}
