//! Daya from Rust with subxt: read a model and a host, quote a job, submit it, wait for its end
//! and read the output.
//!
//! subxt's dynamic API builds calls and storage queries from the node's metadata; what Daya's
//! runtime APIs return decodes into `daya-primitives`' own types (through [`Static`], by their
//! SCALE `Decode`), so the client holds no copy of them.
//!
//! ```text
//! cargo run -p daya-cli --example subxt -- [ws://127.0.0.1:9944] [//Ferdie] [daya-dev-llama] [prompt]
//! ```
//!
//! Prints one JSON line: the job, how it ended, what it cost and its output.

use daya_primitives::{runtime_api::HostView, JobOutcome, ModelView, QuoteError};
use subxt::{
	dynamic::{self, Value},
	ext::scale_decode::{self, DecodeAsType},
	utils::{AccountId32, Static},
	OnlineClient, PolkadotConfig,
};
use subxt_signer::{sr25519::Keypair, SecretUri};

/// The `Inference.JobSubmitted` event's field this example reads.
#[derive(DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct JobSubmitted {
	job_id: u64,
}

/// The `Inference.submit_result` call's fields this example reads.
#[derive(DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct SubmitResult {
	job_id: u64,
	result: ResultOutput,
}

#[derive(DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct ResultOutput {
	output: Vec<u8>,
}

/// The `Inference.submit_results` call's field this example reads: an executor's batch.
#[derive(DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct SubmitResults {
	results: Vec<SubmitResult>,
}

type Outcome = JobOutcome<AccountId32, u128, u32>;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
	let mut args = std::env::args().skip(1);
	let url = args.next().unwrap_or_else(|| "ws://127.0.0.1:9944".into());
	let suri = args.next().unwrap_or_else(|| "//Ferdie".into());
	let model_name = args.next().unwrap_or_else(|| "daya-dev-llama".into());
	let prompt = args
		.next()
		.unwrap_or_else(|| "Daya is a decentralized inference network.".into());
	let max_output_tokens = 16u32;

	let api = OnlineClient::<PolkadotConfig>::from_insecure_url(&url).await?;
	let consumer = Keypair::from_uri(&suri.parse::<SecretUri>()?)?;
	let at = api.at_current_block().await?;

	// Model and host state, through Daya's runtime APIs.
	let found: Static<Option<(u32, ModelView<u128, u32>)>> = at
		.runtime_apis()
		.call(dynamic::runtime_api_call(
			"ModelsApi",
			"model_by_name",
			(model_name.as_bytes().to_vec(),),
		))
		.await?;
	let (model_id, model) = found.0.ok_or(format!("no model named {model_name}"))?;
	let hosts: Static<Vec<AccountId32>> = at
		.runtime_apis()
		.call(dynamic::runtime_api_call("HostsApi", "hosts_by_model", (model_id,)))
		.await?;
	let host_account = *hosts.0.first().ok_or(format!("no host serves {model_name}"))?;
	let host: Static<Option<HostView<u128, u32>>> = at
		.runtime_apis()
		.call(dynamic::runtime_api_call("HostsApi", "host", (host_account.0,)))
		.await?;
	let host = host.0.ok_or("the host left")?;

	// The quote: the escrow the job holds, the most it can cost (a prompt token per byte at
	// most).
	let prompt_tokens = prompt.len() as u32;
	let quote: Static<Result<u128, QuoteError>> = at
		.runtime_apis()
		.call(dynamic::runtime_api_call(
			"InferenceApi",
			"quote",
			(model_id, prompt_tokens, max_output_tokens),
		))
		.await?;
	let quote = quote.0.map_err(|e| format!("no quote: {e:?}"))?;

	// Submit and wait for finality (a `--dev` node finalizes each block as it seals it); the job
	// id is in the `JobSubmitted` event.
	let call = dynamic::transaction(
		"Inference",
		"submit_job",
		vec![
			Value::u128(model_id.into()),
			Value::from_bytes(prompt.as_bytes()),
			Value::u128(max_output_tokens.into()),
			Value::u128(model.price_per_token),
			Value::named_composite([
				("temperature_milli", Value::u128(0)),
				("seed", Value::u128(0)),
				("format", Value::unnamed_variant("Text", [])),
			]),
		],
	);
	let events = at
		.transactions()
		.sign_and_submit_then_watch_default(&call, &consumer)
		.await?
		.wait_for_finalized_success()
		.await?;
	let submitted = events
		.iter()
		.filter_map(Result::ok)
		.find(|e| e.pallet_name() == "Inference" && e.event_name() == "JobSubmitted")
		.ok_or("no JobSubmitted event")?;
	let job_id = submitted.decode_fields_unchecked_as::<JobSubmitted>()?.job_id;

	// Wait for the job's end: its outcome appears once it is settled (or refunded).
	let mut blocks = api.stream_blocks().await?;
	let outcome: Outcome = loop {
		let block = blocks.next().await.ok_or("the block stream ended")??;
		let outcome: Static<Option<Outcome>> = block
			.at()
			.await?
			.runtime_apis()
			.call(dynamic::runtime_api_call("InferenceApi", "outcome", (job_id,)))
			.await?;
		if let Some(outcome) = outcome.0 {
			break outcome;
		}
	};

	// The output lies in the body of the block that recorded the delivery: the executor's
	// `submit_result` (or its batch, `submit_results`) for this job whose output has the
	// recorded hash.
	let mut output = None;
	if let (Some(delivered_at), Some(hash)) = (outcome.delivered_at, outcome.output_hash) {
		let block = api.at_block(delivered_at).await?;
		for extrinsic in block.extrinsics().fetch().await?.iter().filter_map(Result::ok) {
			if extrinsic.pallet_name() != "Inference" {
				continue;
			}
			let results = match extrinsic.call_name() {
				"submit_result" => {
					vec![extrinsic.decode_call_data_fields_unchecked_as::<SubmitResult>()?]
				},
				"submit_results" => {
					extrinsic.decode_call_data_fields_unchecked_as::<SubmitResults>()?.results
				},
				_ => continue,
			};
			for call in results {
				if call.job_id == job_id && daya_protocol::blake2_256(&call.result.output) == hash {
					output = Some(String::from_utf8_lossy(&call.result.output).into_owned());
				}
			}
		}
	}

	println!(
		"{}",
		serde_json::json!({
			"client": "subxt",
			"model": model_name,
			"host": host_account.to_string(),
			"hostBond": host.bond.to_string(),
			"quote": quote.to_string(),
			"job": job_id,
			"end": format!("{:?}", outcome.end),
			"fee": outcome.fee.to_string(),
			"output": output,
		})
	);
	Ok(())
}
