//! End to end: a consumer buys inference on the dev chain with signed extrinsics. The job's
//! escrow is held, a genesis host is drawn to execute it (from a later block's randomness) and
//! posts the result, the job is settled (after a verdict if it is drawn for validation), and the
//! consumer reads the full output back from the block that carries it, with a client library and
//! no unsafe RPC. The runtime APIs' answers are decoded into `daya-primitives`' own types.

mod common;

use common::{find, submit, DevNode};
use daya_primitives::{
	runtime_api::{JobStatusView, WorkKind},
	JobEnd, QuoteError,
};
use std::time::{Duration, Instant};
use subxt::{
	dynamic::{self, Value},
	ext::{
		codec::Decode,
		scale_decode::{self, DecodeAsType},
	},
	utils::Static,
	OnlineClient, PolkadotConfig,
};
use subxt_signer::sr25519::{dev, Keypair};

type Api = OnlineClient<PolkadotConfig>;

/// The runtime's job types: its `AccountId` is 32 bytes, its `Balance` `u128` and its
/// `BlockNumber` `u32`.
type JobView = daya_primitives::runtime_api::JobView<[u8; 32], u128, u32>;
type JobOutcome = daya_primitives::JobOutcome<[u8; 32], u128, u32>;

/// The dev model's price per token: one micro-DAYA.
const PRICE: u128 = 1_000_000;

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct JobSubmitted {
	job_id: u64,
	escrow: u128,
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct ResultSubmitted {
	job_id: u64,
	output_hash: [u8; 32],
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct CancelRequested {
	job_id: u64,
}

/// The call data of `Inference::submit_result`, as a consumer decodes it from a block.
#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct SubmitResultCall {
	job_id: u64,
	result: ResultFields,
}

/// The call data of `Inference::submit_results`: an executor's batch of results.
#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct SubmitResultsCall {
	results: Vec<SubmitResultCall>,
}

/// The fields of a `JobResult` a consumer reads.
#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct ResultFields {
	output: Vec<u8>,
	tokens: Vec<u32>,
}

/// Calls `InferenceApi::<method>` and decodes its answer, a `daya-primitives` type, by its SCALE
/// `Decode` implementation.
async fn runtime_api<R: Decode>(
	api: &Api,
	method: &str,
	args: impl subxt::ext::frame_decode::runtime_apis::IntoEncodableValues,
) -> R {
	let call = dynamic::runtime_api_call::<_, Static<R>>("InferenceApi", method, args);
	api.at_current_block().await.unwrap().runtime_apis().call(call).await.unwrap().0
}

/// Waits until the executor of job `id` is drawn (from the randomness of a block after the one
/// that took the job) and returns it.
async fn executor_of(api: &Api, id: u64) -> [u8; 32] {
	let deadline = Instant::now() + Duration::from_secs(60);
	loop {
		let job: Option<JobView> = runtime_api(api, "job", (id,)).await;
		let job = job.unwrap_or_else(|| panic!("job {id} is open"));
		match (job.executor, &job.status) {
			(Some(executor), JobStatusView::Assigned) => return executor,
			(None, JobStatusView::Unassigned) => {},
			_ => panic!("job {id} is neither waiting for its executor nor assigned: {job:?}"),
		}
		assert!(Instant::now() < deadline, "job {id} got no executor within 60 s");
		tokio::time::sleep(Duration::from_millis(500)).await;
	}
}

/// Waits until job `id` ends, giving a `Valid` verdict whenever one of `hosts` is drawn to
/// check it (a pass with a probe, which its executor, another of `hosts`, then recognises);
/// its outcome.
async fn settled(api: &Api, node: &DevNode, hosts: &[&Keypair], id: u64) -> JobOutcome {
	let deadline = Instant::now() + Duration::from_secs(90);
	loop {
		let outcome: Option<JobOutcome> = runtime_api(api, "outcome", (id,)).await;
		if let Some(outcome) = outcome {
			return outcome;
		}
		for host in hosts {
			let work: Vec<(u64, WorkKind)> =
				runtime_api(api, "work_of", (host.public_key().0,)).await;
			if work.contains(&(id, WorkKind::Validate)) {
				let probe = Value::named_composite([
					("dims", Value::unnamed_composite((1..=8u128).map(Value::u128))),
					("values", Value::unnamed_composite((1..=8i128).map(Value::i128))),
				]);
				let verdict = dynamic::transaction(
					"Inference",
					"submit_verdict",
					vec![
						Value::u128(id.into()),
						Value::unnamed_variant("Valid", []),
						Value::unnamed_variant("Some", [probe]),
					],
				);
				submit(api, &verdict, host)
					.await
					.unwrap_or_else(|e| node.fail(format!("submit_verdict: {e}")));
			}
		}
		assert!(Instant::now() < deadline, "job {id} never settled");
		tokio::time::sleep(Duration::from_secs(1)).await;
	}
}

fn submit_job(prompt: &[u8], max_output: u32, max_price: u128) -> impl subxt::tx::Payload {
	dynamic::transaction(
		"Inference",
		"submit_job",
		vec![
			Value::u128(0),
			Value::from_bytes(prompt),
			Value::u128(max_output.into()),
			Value::u128(max_price),
			Value::named_composite([
				("temperature_milli", Value::u128(0)),
				("seed", Value::u128(7)),
				("format", Value::unnamed_variant("Text", [])),
			]),
		],
	)
}

/// Reads the output of `job_id` the way a consumer would: find the block whose events say the
/// result was submitted, and decode the output from that block's `submit_result` extrinsic (or
/// the executor's batch, `submit_results`).
async fn read_output(api: &Api, job_id: u64, from_block: u64) -> Vec<u8> {
	let latest = api.at_current_block().await.unwrap().block_number();
	for number in from_block..=latest {
		let block = api.at_block(number).await.unwrap();
		let extrinsics = block.extrinsics().fetch().await.unwrap();
		for extrinsic in extrinsics.iter() {
			let extrinsic = extrinsic.unwrap();
			if extrinsic.pallet_name() != "Inference" {
				continue;
			}
			let results = match extrinsic.call_name() {
				"submit_result" => vec![extrinsic
					.decode_call_data_fields_unchecked_as::<SubmitResultCall>()
					.unwrap()],
				"submit_results" => {
					extrinsic
						.decode_call_data_fields_unchecked_as::<SubmitResultsCall>()
						.unwrap()
						.results
				},
				_ => continue,
			};
			// Taken: the extrinsic's events say the job's result was submitted.
			let accepted = extrinsic
				.events()
				.await
				.unwrap()
				.iter()
				.map(|event| event.unwrap())
				.any(|event| {
					event.pallet_name() == "Inference"
						&& event.event_name() == "ResultSubmitted"
						&& event.field_bytes().get(..8) == Some(&job_id.to_le_bytes()[..])
				});
			if let Some(call) = results.into_iter().find(|call| call.job_id == job_id) {
				if accepted {
					assert!(!call.result.tokens.is_empty(), "a result carries its token ids");
					return call.result.output;
				}
			}
		}
	}
	panic!("no accepted result for job {job_id} in blocks {from_block}..={latest}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_is_escrowed_executed_settled_and_its_output_read_back() {
	let node = tokio::task::spawn_blocking(|| DevNode::start(1)).await.unwrap();
	let api = Api::from_insecure_url(node.ws_url())
		.await
		.unwrap_or_else(|e| node.fail(format!("subxt cannot connect: {e}")));
	let (alice, bob, charlie) = (dev::alice(), dev::bob(), dev::charlie());
	let start = api.at_current_block().await.unwrap().block_number();

	// A price quote, then a job from Charlie.
	let prompt = b"What is six times seven?";
	let quote: Result<u128, QuoteError> =
		runtime_api(&api, "quote", (0u32, prompt.len() as u32, 16u32)).await;
	let quote = quote.expect("the dev model takes jobs");
	assert_eq!(quote, (prompt.len() as u128 + 16) * PRICE);

	// A price cap under the model's price is refused with a named error.
	let refused = submit(&api, &submit_job(prompt, 16, PRICE - 1), &charlie).await;
	assert!(refused.as_ref().is_err_and(|e| e.contains("PriceAboveLimit")), "{refused:?}");

	let (_, events) = submit(&api, &submit_job(prompt, 16, PRICE), &charlie)
		.await
		.unwrap_or_else(|e| node.fail(format!("submit_job: {e}")));
	let submitted: JobSubmitted =
		find(&events, "Inference", "JobSubmitted").expect("a JobSubmitted event");
	assert_eq!(submitted.escrow, quote);
	let jobs: Vec<u64> = runtime_api(&api, "jobs_of", (charlie.public_key().0,)).await;
	assert_eq!(jobs, vec![submitted.job_id]);

	// Its executor is drawn from a later block's randomness: one of the genesis hosts (Alice or
	// Bob), which sees the work and delivers.
	let assigned = executor_of(&api, submitted.job_id).await;
	let hosts: [&Keypair; 2] = [&alice, &bob];
	let executor = *hosts
		.iter()
		.find(|host| host.public_key().0 == assigned)
		.expect("a genesis host is assigned");
	let work: Vec<(u64, WorkKind)> = runtime_api(&api, "work_of", (executor.public_key().0,)).await;
	assert_eq!(work, vec![(submitted.job_id, WorkKind::Execute)]);
	// Eight tokens of the dev model, one byte each (its registered bound on a text).
	let output = b"It is 42".to_vec();
	let result = dynamic::transaction(
		"Inference",
		"submit_result",
		vec![
			Value::u128(submitted.job_id.into()),
			Value::named_composite([
				("output", Value::from_bytes(&output)),
				("tokens", Value::unnamed_composite((0..8u128).map(Value::u128))),
				("prompt_tokens", Value::u128(6)),
				("prompt_hash", Value::from_bytes([9u8; 32])),
				(
					"fingerprints",
					Value::unnamed_composite([Value::named_composite([
						("dims", Value::unnamed_composite((0..8u128).map(Value::u128))),
						("values", Value::unnamed_composite((0..8).map(|_| Value::i128(1)))),
					])]),
				),
			]),
		],
	);
	let (_, events) = submit(&api, &result, executor)
		.await
		.unwrap_or_else(|e| node.fail(format!("submit_result: {e}")));
	let delivered: ResultSubmitted =
		find(&events, "Inference", "ResultSubmitted").expect("a ResultSubmitted event");
	assert_eq!(delivered.job_id, submitted.job_id);

	// Settlement: at the next block, unless the result is drawn for validation, in which case the
	// other host validates it.
	let outcome = settled(&api, &node, &hosts, submitted.job_id).await;
	assert!(matches!(outcome.end, JobEnd::Completed | JobEnd::Validated), "{outcome:?}");
	assert_eq!(outcome.consumer, charlie.public_key().0);
	assert_eq!(outcome.executor, Some(assigned));
	assert_eq!(outcome.fee, 14 * PRICE);
	// The protocol fee: the treasury's, or the validator's when the result was checked.
	assert_eq!(outcome.protocol_fee + outcome.validation_fee, 14 * PRICE / 20);
	if outcome.end == JobEnd::Completed {
		assert_eq!(outcome.validation_fee, 0);
	}
	assert_eq!(outcome.fee + outcome.refund, submitted.escrow);
	assert_eq!(outcome.output_hash, Some(delivered.output_hash));
	let usage = outcome.usage.expect("the usage");
	assert_eq!((usage.prompt_tokens, usage.completion_tokens), (6, 8));

	// The consumer reads the full output from the chain.
	assert_eq!(read_output(&api, submitted.job_id, start).await, output);

	// A second job, cancelled once assigned: the executor's result may already wait in the
	// pool, where the consumer could read it, so the job is only marked; the result that
	// comes by the deadline is paid for (a cancellation never buys a free result).
	let (_, events) = submit(&api, &submit_job(b"never mind", 8, PRICE), &charlie)
		.await
		.unwrap_or_else(|e| node.fail(format!("submit_job: {e}")));
	let second: JobSubmitted = find(&events, "Inference", "JobSubmitted").unwrap();
	let assigned = executor_of(&api, second.job_id).await;
	let executor = *hosts.iter().find(|host| host.public_key().0 == assigned).unwrap();
	let cancel =
		dynamic::transaction("Inference", "cancel_job", vec![Value::u128(second.job_id.into())]);
	let (_, events) = submit(&api, &cancel, &charlie)
		.await
		.unwrap_or_else(|e| node.fail(format!("cancel_job: {e}")));
	let requested: CancelRequested =
		find(&events, "Inference", "CancelRequested").expect("a CancelRequested event");
	assert_eq!(requested.job_id, second.job_id);
	let open: Option<JobView> = runtime_api(&api, "job", (second.job_id,)).await;
	assert!(open.is_some(), "not ended at once");
	let result = dynamic::transaction(
		"Inference",
		"submit_result",
		vec![
			Value::u128(second.job_id.into()),
			Value::named_composite([
				("output", Value::from_bytes(b"OK")),
				("tokens", Value::unnamed_composite((0..2u128).map(Value::u128))),
				("prompt_tokens", Value::u128(4)),
				("prompt_hash", Value::from_bytes([9u8; 32])),
				(
					"fingerprints",
					Value::unnamed_composite([Value::named_composite([
						("dims", Value::unnamed_composite((0..8u128).map(Value::u128))),
						("values", Value::unnamed_composite((0..8).map(|_| Value::i128(1)))),
					])]),
				),
			]),
		],
	);
	submit(&api, &result, executor)
		.await
		.unwrap_or_else(|e| node.fail(format!("submit_result after the cancellation: {e}")));
	let outcome = settled(&api, &node, &hosts, second.job_id).await;
	assert!(matches!(outcome.end, JobEnd::Completed | JobEnd::Validated), "{outcome:?}");
	assert_eq!(outcome.fee, 6 * PRICE, "the consumer pays for what it could read");
	assert_eq!(outcome.fee + outcome.refund, second.escrow);
}
