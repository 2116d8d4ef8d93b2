//! The relay node and its workers, as the relay-chain network test runs them: the workers carry
//! the node's version (the node refuses others), and the node has the `rococo-local` chain.

use std::process::Command;

fn run(bin: &str, args: &[&str]) -> String {
	let out = Command::new(bin).args(args).output().unwrap_or_else(|e| panic!("{bin}: {e}"));
	assert!(out.status.success(), "{bin} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
	String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_workers_carry_the_nodes_version() {
	let node = run(env!("CARGO_BIN_EXE_polkadot"), &["--version"]);
	// `polkadot 1.x.y-<commit>`: the node hands its workers `1.x.y` and refuses an answer that
	// differs (`--version`).
	let version = node.split_whitespace().nth(1).and_then(|v| v.split('-').next()).unwrap();
	for worker in [
		env!("CARGO_BIN_EXE_polkadot-prepare-worker"),
		env!("CARGO_BIN_EXE_polkadot-execute-worker"),
	] {
		let answer = run(worker, &["--version"]);
		assert_eq!(answer.trim(), version, "{worker} answers {answer}, the node is {node}");
	}
}

#[test]
fn the_node_builds_the_rococo_local_spec() {
	let spec =
		run(env!("CARGO_BIN_EXE_polkadot"), &["build-spec", "--chain", "rococo-local", "--raw"]);
	let spec: serde_json::Value = serde_json::from_str(&spec).expect("a JSON chain spec");
	assert_eq!(spec["id"], "rococo_local_testnet", "{}", spec["id"]);
	assert!(spec["genesis"]["raw"]["top"].as_object().is_some_and(|top| !top.is_empty()));
}
