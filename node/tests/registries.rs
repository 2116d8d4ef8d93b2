//! End to end: the dev chain's genesis models and hosts are readable through the runtime APIs,
//! and a new host registers with a real signed extrinsic.

mod common;

use common::{find, submit, DevNode};
use subxt::{
	dynamic::{self, Value},
	ext::scale_decode::{self, DecodeAsType},
	OnlineClient, PolkadotConfig,
};
use subxt_signer::sr25519::{dev, Keypair};

const DAYA: u128 = 1_000_000_000_000;

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct ModelView {
	name: Vec<u8>,
	price_per_token: u128,
	context_length: u32,
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct HostView {
	endpoint: Vec<u8>,
	served_models: Vec<u32>,
	bond: u128,
	capacity_weight: u64,
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct HostRegistered {
	host: [u8; 32],
}

async fn hosts_by_model(api: &OnlineClient<PolkadotConfig>, model: u32) -> Vec<[u8; 32]> {
	let call =
		dynamic::runtime_api_call::<_, Vec<[u8; 32]>>("HostsApi", "hosts_by_model", (model,));
	api.at_current_block().await.unwrap().runtime_apis().call(call).await.unwrap()
}

async fn host(api: &OnlineClient<PolkadotConfig>, who: &Keypair) -> Option<HostView> {
	let call =
		dynamic::runtime_api_call::<_, Option<HostView>>("HostsApi", "host", (who.public_key().0,));
	api.at_current_block().await.unwrap().runtime_apis().call(call).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn genesis_registries_are_readable_and_a_host_registers() {
	let node = tokio::task::spawn_blocking(|| DevNode::start(1)).await.unwrap();
	let api = OnlineClient::<PolkadotConfig>::from_insecure_url(node.ws_url())
		.await
		.unwrap_or_else(|e| node.fail(format!("subxt cannot connect: {e}")));

	// The genesis models, through `ModelsApi`: the dev model and SmolLM2.
	let models = dynamic::runtime_api_call::<_, Vec<(u32, ModelView)>>("ModelsApi", "models", ());
	let models = api.at_current_block().await.unwrap().runtime_apis().call(models).await.unwrap();
	assert_eq!(models.len(), 2, "{models:?}");
	assert_eq!(models[1].1.name, b"smollm2-135m-instruct");
	assert_eq!(models[1].1.context_length, 8192);
	let (dev_model, view) = &models[0];
	assert_eq!(view.name, b"daya-dev-llama");
	assert!(view.price_per_token > 0 && view.context_length > 0, "{view:?}");

	// The genesis hosts, through `HostsApi`.
	let (alice, bob, charlie) = (dev::alice(), dev::bob(), dev::charlie());
	let mut serving = hosts_by_model(&api, *dev_model).await;
	serving.sort();
	let mut expected = vec![alice.public_key().0, bob.public_key().0];
	expected.sort();
	assert_eq!(serving, expected);
	let alice_host = host(&api, &alice).await.expect("Alice is a genesis host");
	assert_eq!(alice_host.bond, 1_000 * DAYA);
	assert_eq!(alice_host.served_models, vec![*dev_model, 1], "the dev model and SmolLM2");
	assert_eq!(alice_host.endpoint, b"http://127.0.0.1:8090");
	assert!(host(&api, &charlie).await.is_none());

	// Charlie registers a host with a signed extrinsic.
	let gpu = Value::named_composite([
		("name", Value::from_bytes(b"RTX 4090")),
		("vram_mib", Value::u128(24_576)),
		("count", Value::u128(2)),
	]);
	let register = dynamic::transaction(
		"Compute",
		"register_host",
		(Value::from_bytes(b"http://10.0.0.7:8090"), vec![gpu], vec![*dev_model], 500 * DAYA),
	);
	let (_, events) = submit(&api, &register, &charlie)
		.await
		.unwrap_or_else(|e| node.fail(format!("register_host failed: {e}")));
	let registered: HostRegistered = find(&events, "Compute", "HostRegistered")
		.unwrap_or_else(|| node.fail("no Compute.HostRegistered event"));
	assert_eq!(registered.host, charlie.public_key().0);

	let charlie_host = host(&api, &charlie).await.expect("Charlie is now a host");
	assert_eq!(charlie_host.bond, 500 * DAYA);
	assert_eq!(charlie_host.capacity_weight, 2 * 24_576);
	assert!(hosts_by_model(&api, *dev_model).await.contains(&charlie.public_key().0));

	// Bad input gets a named error and changes nothing: Dave offers a bond below the minimum.
	let dave = dev::dave();
	let too_small = dynamic::transaction(
		"Compute",
		"register_host",
		(
			Value::from_bytes(b"http://10.0.0.8:8090"),
			vec![Value::named_composite([
				("name", Value::from_bytes(b"RTX 4090")),
				("vram_mib", Value::u128(24_576)),
				("count", Value::u128(1)),
			])],
			vec![*dev_model],
			DAYA,
		),
	);
	let error = match submit(&api, &too_small, &dave).await {
		Ok(_) => node.fail("a bond below MinHostBond was accepted"),
		Err(e) => e,
	};
	assert!(error.contains("BondTooLow"), "{error}");
	assert!(host(&api, &dave).await.is_none());

	drop(api);
	drop(node);
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct Proposed {
	proposal_index: u32,
	proposal_hash: [u8; 32],
	threshold: u32,
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct PriceSet {
	model: u32,
	price_per_token: u128,
}

async fn dev_model_price(api: &OnlineClient<PolkadotConfig>) -> u128 {
	let call = dynamic::runtime_api_call::<_, Option<ModelView>>("ModelsApi", "model", (0u32,));
	let view = api.at_current_block().await.unwrap().runtime_apis().call(call).await.unwrap();
	view.expect("the dev model exists").price_per_token
}

#[tokio::test(flavor = "multi_thread")]
async fn the_model_council_reprices_a_model_by_motion() {
	let node = tokio::task::spawn_blocking(|| DevNode::start(1)).await.unwrap();
	let api = OnlineClient::<PolkadotConfig>::from_insecure_url(node.ws_url())
		.await
		.unwrap_or_else(|e| node.fail(format!("subxt cannot connect: {e}")));
	let (alice, bob, charlie) = (dev::alice(), dev::bob(), dev::charlie());
	let before = dev_model_price(&api).await;
	let new_price = before * 3;

	// A council member alone cannot change the registry.
	let set_price = |price: u128| {
		Value::named_variant(
			"set_price",
			[("model", Value::u128(0)), ("price_per_token", Value::u128(price))],
		)
	};
	let direct = dynamic::transaction("Models", "set_price", (0u32, new_price));
	let error = submit(&api, &direct, &alice).await.expect_err("Alice is not governance");
	assert!(error.contains("Bad origin") || error.contains("BadOrigin"), "{error}");

	// Alice proposes the new price as a council motion.
	let proposal = Value::unnamed_variant("Models", [set_price(new_price)]);
	let propose = dynamic::transaction("Council", "propose", (2u32, proposal, 1_000u32));
	let (_, events) = submit(&api, &propose, &alice)
		.await
		.unwrap_or_else(|e| node.fail(format!("propose failed: {e}")));
	let motion: Proposed =
		find(&events, "Council", "Proposed").unwrap_or_else(|| node.fail("no Council.Proposed"));
	assert_eq!(motion.threshold, 2);

	// Alice and Bob vote aye: two of three members, a majority.
	let vote = dynamic::transaction(
		"Council",
		"vote",
		(motion.proposal_hash, motion.proposal_index, true),
	);
	for member in [&alice, &bob] {
		submit(&api, &vote, member)
			.await
			.unwrap_or_else(|e| node.fail(format!("vote failed: {e}")));
	}
	assert_eq!(dev_model_price(&api).await, before, "nothing changes before the motion closes");

	// Anyone may close a motion that passed; the registry change is enacted.
	let weight_bound = Value::named_composite([
		("ref_time", Value::u128(10_000_000_000)),
		("proof_size", Value::u128(1_000_000)),
	]);
	let close = dynamic::transaction(
		"Council",
		"close",
		(motion.proposal_hash, motion.proposal_index, weight_bound, 1_000u32),
	);
	let (_, events) = submit(&api, &close, &charlie)
		.await
		.unwrap_or_else(|e| node.fail(format!("close failed: {e}")));
	let priced: PriceSet = find(&events, "Models", "PriceSet")
		.unwrap_or_else(|| node.fail("the motion did not reprice the model"));
	assert_eq!((priced.model, priced.price_per_token), (0, new_price));
	assert_eq!(dev_model_price(&api).await, new_price);

	drop(api);
	drop(node);
}
