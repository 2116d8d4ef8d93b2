//! End to end: the real `daya-node --dev` produces blocks, answers JSON-RPC, and includes a
//! signed balance transfer submitted with subxt.

mod common;

use common::{node_bin, DevNode};
use std::{process::Command, time::Duration};
use subxt::{
	dynamic::{self},
	ext::scale_decode::{self, DecodeAsType},
	OnlineClient, PolkadotConfig,
};
use subxt_signer::sr25519::dev;

/// One DAYA in its smallest unit (12 decimals).
const DAYA: u128 = 1_000_000_000_000;

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct AccountInfo {
	data: AccountData,
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct AccountData {
	free: u128,
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct Transfer {
	from: [u8; 32],
	to: [u8; 32],
	amount: u128,
}

async fn free_balance(
	api: &OnlineClient<PolkadotConfig>,
	block: Option<subxt::utils::H256>,
	who: [u8; 32],
) -> u128 {
	let at = match block {
		Some(hash) => api.at_block(hash).await.unwrap(),
		None => api.at_current_block().await.unwrap(),
	};
	let address = dynamic::storage::<([u8; 32],), AccountInfo>("System", "Account");
	at.storage().fetch(address, (who,)).await.unwrap().decode().unwrap().data.free
}

#[tokio::test(flavor = "multi_thread")]
async fn dev_chain_produces_blocks_and_includes_a_signed_transfer() {
	let mut node = tokio::task::spawn_blocking(|| DevNode::start(2)).await.unwrap();

	// The chain identifies itself and its token over plain JSON-RPC.
	assert_eq!(node.rpc("system_chain", serde_json::json!([])), "Daya Development");
	let properties = node.rpc("system_properties", serde_json::json!([]));
	assert_eq!(properties["tokenSymbol"], "DAYA", "{properties}");
	assert_eq!(properties["tokenDecimals"], 12, "{properties}");
	let version = node.rpc("state_getRuntimeVersion", serde_json::json!([]));
	assert_eq!(version["specName"], "daya", "{version}");

	// Blocks keep coming.
	let best = node.best_number().unwrap();
	let later = node.wait_for_block(best + 2, Duration::from_secs(60));
	assert!(later >= best + 2);

	let api = OnlineClient::<PolkadotConfig>::from_insecure_url(node.ws_url())
		.await
		.unwrap_or_else(|e| node.fail(format!("subxt cannot connect: {e}")));

	let alice = dev::alice();
	// Eve: an endowed dev account that is not a genesis host (hosts hold part of theirs).
	let eve = dev::eve();
	let eve_id: [u8; 32] = eve.public_key().0;
	let before = free_balance(&api, None, eve_id).await;
	assert_eq!(before, 1_000_000 * DAYA, "Eve is endowed by the development preset");

	let amount = 5 * DAYA;
	let transfer = dynamic::transaction(
		"Balances",
		"transfer_keep_alive",
		(eve.public_key().to_address::<()>(), amount),
	);
	let (block, events) = common::submit(&api, &transfer, &alice)
		.await
		.unwrap_or_else(|e| node.fail(format!("transfer failed: {e}")));

	// The Transfer event says who paid whom and how much.
	let transfer_event: Transfer = common::find(&events, "Balances", "Transfer")
		.unwrap_or_else(|| node.fail("no Balances.Transfer event"));
	assert_eq!(transfer_event.from, alice.public_key().0);
	assert_eq!(transfer_event.to, eve_id);
	assert_eq!(transfer_event.amount, amount);

	// And the state at that block agrees.
	let after = free_balance(&api, Some(block), eve_id).await;
	assert_eq!(after, before + amount);

	drop(api);
	drop(node);
}

#[test]
fn build_spec_local_is_the_zombienet_spec() {
	let out = Command::new(node_bin())
		.args(["build-spec", "--chain", "local"])
		.output()
		.unwrap();
	assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
	let spec: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
	assert_eq!(spec["id"], "daya-local");
	assert_eq!(spec["chainType"], "Local");
	assert_eq!(spec["relay_chain"], "rococo-local");
	assert_eq!(spec["para_id"], 2000);
	assert_eq!(spec["properties"]["tokenSymbol"], "DAYA");
	let genesis = &spec["genesis"]["runtimeGenesis"]["patch"];
	assert_eq!(genesis["parachainInfo"]["parachainId"], 2000, "{genesis:#}");
	let collators = genesis["collatorSelection"]["invulnerables"].as_array().unwrap();
	assert_eq!(collators.len(), 2, "Alice and Bob collate: {genesis:#}");
}

#[test]
fn unknown_chain_is_a_clear_error() {
	let out = Command::new(node_bin())
		.args(["build-spec", "--chain", "/nonexistent/daya-spec.json"])
		.output()
		.unwrap();
	assert!(!out.status.success());
	let stderr = String::from_utf8_lossy(&out.stderr);
	assert!(stderr.contains("not a built-in chain"), "{stderr}");
}
