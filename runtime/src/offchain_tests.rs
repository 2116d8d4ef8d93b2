//! The offchain worker on the real runtime: host keys in a keystore, the executor behind mocked
//! HTTP, the signed transactions it sends applied to the chain.

use super::*;
use crate::configs::HostWorker;
use codec::{Decode, Encode};
use daya_primitives::{JobEnd, JobParams, Judgement};
use daya_protocol::{
	CheckReport, ExecutionResult, ExecutionState, ExecutionStatus, Fingerprint, JobRequest,
	PayloadFormat, ValidateRequest, ValidateResponse, VERSION,
};
use frame_support::traits::{Hooks, OffchainWorker, PostInherents};
use pallet_daya_inference::{JobStatus as MarketStatus, Jobs, Outcomes};
use sp_core::{
	offchain::{
		testing::{PendingRequest, TestOffchainExt, TestTransactionPoolExt},
		OffchainDbExt, OffchainWorkerExt, TransactionPoolExt,
	},
	H256,
};
use sp_keyring::Sr25519Keyring;
use sp_keystore::{testing::MemoryKeystore, Keystore, KeystoreExt};

const EXECUTOR: &str = "http://127.0.0.1:8090";

fn next_block() {
	let now = System::block_number();
	frame_system::BlockHash::<Runtime>::insert(now, H256::repeat_byte(now as u8 + 1));
	System::set_block_number(now + 1);
	Randomness::on_initialize(now + 1);
	Inference::on_initialize(now + 1);
	<Runtime as frame_system::Config>::PostInherents::post_inherents();
}

/// Runs the offchain worker as a node does: on the block's state, with its changes to the state
/// thrown away (only offchain storage and the transaction pool keep what it did).
fn run_worker() {
	sp_io::storage::start_transaction();
	HostWorker::offchain_worker(System::block_number());
	sp_io::storage::rollback_transaction();
}

fn post(path: &str, body: Vec<u8>, answer: Vec<u8>) -> PendingRequest {
	PendingRequest {
		method: "POST".into(),
		uri: format!("{EXECUTOR}{path}"),
		headers: vec![
			("Content-Type".into(), "application/json".into()),
			("Accept".into(), "application/json".into()),
		],
		body,
		response: Some(answer),
		sent: true,
		..Default::default()
	}
}

fn get(path: &str, answer: Vec<u8>) -> PendingRequest {
	PendingRequest {
		method: "GET".into(),
		uri: format!("{EXECUTOR}{path}"),
		headers: vec![("Accept".into(), "application/json".into())],
		response: Some(answer),
		sent: true,
		..Default::default()
	}
}

type PoolState = std::sync::Arc<parking_lot::RwLock<sp_core::offchain::testing::PoolState>>;
type HttpState = std::sync::Arc<parking_lot::RwLock<sp_core::offchain::testing::OffchainState>>;

/// The development chain as a node with offchain workers sees it: its offchain database, mocked
/// HTTP, a transaction pool, and a keystore with `hosts`' keys under key type `daya`.
fn node_ext(hosts: &[&str]) -> (sp_io::TestExternalities, HttpState, PoolState) {
	let mut ext = crate::tests::preset_ext("development");
	let (offchain, http) = TestOffchainExt::with_offchain_db(ext.offchain_db());
	let (pool, pool_state) = TestTransactionPoolExt::new();
	let keystore = MemoryKeystore::new();
	for host in hosts {
		keystore.sr25519_generate_new(daya_offchain::KEY_TYPE, Some(host)).unwrap();
	}
	ext.register_extension(OffchainDbExt::new(offchain.clone()));
	ext.register_extension(OffchainWorkerExt::new(offchain));
	ext.register_extension(TransactionPoolExt::new(pool));
	ext.register_extension(KeystoreExt::new(keystore));
	(ext, http, pool_state)
}

/// Takes the transactions the worker sent and applies them as a block would; returns their
/// signers and calls.
fn apply_pool(pool: &PoolState) -> Vec<(AccountId, RuntimeCall)> {
	let sent = std::mem::take(&mut pool.write().transactions);
	sent.into_iter()
		.map(|raw| {
			let xt = UncheckedExtrinsic::decode(&mut &raw[..]).expect("a runtime extrinsic");
			let signer = match &xt.preamble {
				sp_runtime::generic::Preamble::Signed(sp_runtime::MultiAddress::Id(who), ..) => {
					who.clone()
				},
				other => panic!("not a signed transaction: {other:?}"),
			};
			let call = xt.function.clone();
			Executive::apply_extrinsic(xt).expect("valid").expect("dispatched");
			(signer, call)
		})
		.collect()
}

#[test]
fn hosts_execute_and_validate_jobs_through_their_executors() {
	let (mut ext, http, pool_state) = node_ext(&["//Alice", "//Bob"]);

	let consumer = Sr25519Keyring::Ferdie.to_account_id();
	let prompt = b"Tell me about Daya".to_vec();
	let job_id = ext.execute_with(|| {
		next_block();
		let before = pallet_daya_inference::NextJobId::<Runtime>::get();
		Inference::submit_job(
			RuntimeOrigin::signed(consumer.clone()),
			0,
			prompt.clone().try_into().unwrap(),
			16,
			UNIT,
			JobParams::default(),
		)
		.unwrap();
		// The next block's seed draws the executor.
		next_block();
		before
	});
	// The block is imported: its offchain index writes reach the node's offchain database.
	ext.persist_offchain_overlay();

	let model = daya_protocol::dev_model::NAME;
	let weights = daya_protocol::hex::to_hex(&daya_protocol::dev_model::WEIGHTS_HASH);
	let (sampling_key, policy) = ext.execute_with(|| {
		let job = Jobs::<Runtime>::get(job_id).unwrap();
		let model = crate::Models::model(job.model).unwrap();
		assert_eq!(model.spec.version, job.model_version, "the job pins the model's version");
		(job.sampling_key.0, model.spec.validation)
	});
	assert_ne!(sampling_key, [0; 32], "drawn at assignment");
	let request = JobRequest {
		version: VERSION,
		id: daya_offchain::runner::executor_job_id(
			job_id,
			&daya_offchain::runner::JobInput {
				model: model.as_bytes().to_vec(),
				weights_hash: daya_protocol::dev_model::WEIGHTS_HASH,
				max_output_tokens: 16,
				params: JobParams::default(),
				sampling_key,
				policy,
				prompt: prompt.clone(),
				probe: None,
			},
		),
		model: model.into(),
		weights_hash: Some(weights.clone()),
		prompt: String::from_utf8(prompt.clone()).unwrap(),
		format: PayloadFormat::Text,
		max_tokens: 16,
		temperature_milli: 0,
		sampling_key: daya_protocol::hex::to_hex(&sampling_key),
	};
	let result = ExecutionResult {
		output: "Daya is real".into(),
		tokens: (40..52).collect(),
		prompt_tokens: 18,
		prompt_hash: daya_protocol::hex::to_hex(&[5; 32]),
		fingerprints: vec![Fingerprint { dims: [1, 2, 3, 4, 5, 6, 7, 8], values: [9; 8] }],
	};
	let done = ExecutionStatus {
		version: VERSION,
		id: job_id.to_string(),
		status: ExecutionState::Done,
		result: Some(result.clone()),
		error: None,
	};
	let queued = ExecutionStatus {
		version: VERSION,
		status: ExecutionState::Queued,
		result: None,
		..done.clone()
	};
	http.write().expect_request(post(
		"/v1/jobs",
		serde_json::to_vec(&request).unwrap(),
		serde_json::to_vec(&queued).unwrap(),
	));
	let executor = ext.execute_with(|| {
		let executor = Jobs::<Runtime>::get(job_id).unwrap().executor.unwrap();
		run_worker();
		assert!(pool_state.read().transactions.is_empty(), "nothing to submit yet");
		next_block();
		executor
	});
	http.write().expect_request(get(
		&format!("/v1/jobs/{}", request.id),
		serde_json::to_vec(&done).unwrap(),
	));
	ext.execute_with(|| {
		run_worker();
		// Sent once: a run before the result lands waits for the chain instead of sending it
		// again.
		run_worker();
		assert_eq!(pool_state.read().transactions.len(), 1);
		let applied = apply_pool(&pool_state);
		assert_eq!(applied.len(), 1, "one result, signed by the executor");
		assert_eq!(applied[0].0, executor);
		assert!(matches!(
			&applied[0].1,
			RuntimeCall::Inference(pallet_daya_inference::Call::submit_result { job_id: id, result })
				if *id == job_id && result.output.as_slice() == b"Daya is real"
					&& result.tokens.len() == 12 && result.prompt_hash == H256([5; 32])
		));
		let delivery = Jobs::<Runtime>::get(job_id).unwrap().delivery.unwrap();
		assert_eq!(delivery.usage.completion_tokens, 12);
		// A host with no reputation has every result validated: so is this one, drawn in the
		// next block.
		pallet_daya_compute::Hosts::<Runtime>::mutate(&executor, |host| {
			host.as_mut().unwrap().reputation = sp_runtime::Perbill::zero()
		});
		next_block();
	});
	ext.persist_offchain_overlay();

	let validating =
		ext.execute_with(|| match Jobs::<Runtime>::get(job_id).map(|job| job.status) {
			Some(MarketStatus::Validating { verdict }) => Some(verdict.validator),
			_ => None,
		});
	let validator = validating.expect("the result is validated");
	let position = ext
		.execute_with(|| Jobs::<Runtime>::get(job_id).unwrap().probe_position(job_id))
		.expect("a 12-token result has a probe position");
	// The probe the validator's executor shows, which the executor's then recognises.
	let shown = daya_protocol::Fingerprint { dims: [1, 2, 3, 4, 5, 6, 7, 8], values: [5; 8] };
	{
		let request = ValidateRequest {
			version: VERSION,
			model: model.into(),
			weights_hash: Some(weights),
			prompt: String::from_utf8(prompt).unwrap(),
			format: PayloadFormat::Text,
			max_tokens: 16,
			temperature_milli: 0,
			sampling_key: daya_protocol::hex::to_hex(&sampling_key),
			claim: result,
			policy: daya_protocol::dev_model::POLICY,
			probe: Some(daya_protocol::Probe { position, claimed: None }),
		};
		let answer = ValidateResponse {
			version: VERSION,
			judgement: daya_protocol::Judgement::Valid,
			report: CheckReport { tokens: 12, ..Default::default() },
			probe: Some(daya_protocol::ProbeAnswer { fingerprint: shown, judgement: None }),
		};
		http.write().expect_request(post(
			"/v1/validate",
			serde_json::to_vec(&request).unwrap(),
			serde_json::to_vec(&answer).unwrap(),
		));
		ext.execute_with(|| {
			run_worker();
			let applied = apply_pool(&pool_state);
			assert_eq!(applied.len(), 1, "one verdict, signed by the validator");
			assert_eq!(applied[0].0, validator);
			let probe = daya_primitives::Fingerprint { dims: shown.dims, values: shown.values };
			assert_eq!(
				Jobs::<Runtime>::get(job_id).map(|job| job.status),
				Some(MarketStatus::Probing { validator: validator.clone(), probe })
			);
			next_block();
		});
		ext.persist_offchain_overlay();
		// The executor's node asks its executor to judge the probe, and passes it on.
		let request = ValidateRequest {
			probe: Some(daya_protocol::Probe { position, claimed: Some(shown) }),
			..request
		};
		let answer = ValidateResponse {
			probe: Some(daya_protocol::ProbeAnswer {
				fingerprint: shown,
				judgement: Some(daya_protocol::Judgement::Valid),
			}),
			..answer
		};
		http.write().expect_request(post(
			"/v1/validate",
			serde_json::to_vec(&request).unwrap(),
			serde_json::to_vec(&answer).unwrap(),
		));
		ext.execute_with(|| {
			run_worker();
			let applied = apply_pool(&pool_state);
			assert_eq!(applied.len(), 1, "one judgement of the probe, signed by the executor");
			assert_eq!(Some(applied[0].0.clone()), Some(executor.clone()));
		});
	}
	ext.execute_with(|| {
		let outcome = Outcomes::<Runtime>::get(job_id).expect("the job is settled");
		assert_eq!(outcome.end, JobEnd::Validated);
		assert_eq!(outcome.executor, Some(executor));
		assert_eq!(outcome.usage.unwrap().completion_tokens, 12);
		Inference::do_try_state().unwrap();
	});
}

/// The offchain index is not fork-aware: a payload or a result indexed under a job's id by a
/// block of another fork is not the job's, and the worker does not act on it.
#[test]
fn the_worker_acts_only_on_payloads_and_results_the_chain_recorded() {
	use daya_offchain::runner::Chain;
	use pallet_daya_inference::{payload_key, IndexedPayload};
	let (mut ext, _http, _pool) = node_ext(&["//Alice"]);
	let job = ext.execute_with(|| {
		next_block();
		let job = pallet_daya_inference::NextJobId::<Runtime>::get();
		Inference::submit_job(
			RuntimeOrigin::signed(Sr25519Keyring::Ferdie.to_account_id()),
			0,
			b"What is six times seven?".to_vec().try_into().unwrap(),
			8,
			UNIT,
			JobParams::default(),
		)
		.unwrap();
		next_block();
		job
	});
	ext.persist_offchain_overlay();
	ext.execute_with(|| {
		assert!(crate::configs::RuntimeChain::job_input(job).is_some());
		// Another fork's payload under the same id.
		let forked = IndexedPayload {
			job_id: job,
			model: 0,
			max_output_tokens: 8,
			params: JobParams::default(),
			payload: b"What is six times eight?".to_vec(),
		};
		sp_io::offchain::local_storage_set(
			sp_core::offchain::StorageKind::PERSISTENT,
			&payload_key(job),
			&forked.encode(),
		);
		assert!(crate::configs::RuntimeChain::job_input(job).is_none());
	});
}

#[test]
fn a_hosts_transactions_in_the_pool_get_consecutive_nonces() {
	use daya_offchain::runner::{Chain, RESUBMIT_AFTER};
	let (mut ext, _http, pool_state) = node_ext(&["//Alice"]);
	ext.execute_with(|| {
		next_block();
		let alice: [u8; 32] = Sr25519Keyring::Alice.to_account_id().into();
		let nonces = || {
			std::mem::take(&mut pool_state.write().transactions)
				.into_iter()
				.map(|raw| {
					let xt = UncheckedExtrinsic::decode(&mut &raw[..]).unwrap();
					let sp_runtime::generic::Preamble::Signed(_, _, extension) = xt.preamble else {
						panic!("not signed")
					};
					extension.0 .6 .0
				})
				.collect::<Vec<_>>()
		};
		let on_chain = System::account_nonce(AccountId::from(alice));
		// Two runs, the first one's transaction still in the pool.
		crate::configs::RuntimeChain::submit_verdicts(&alice, vec![(1, Judgement::Valid, None)])
			.unwrap();
		next_block();
		crate::configs::RuntimeChain::submit_verdicts(&alice, vec![(2, Judgement::Valid, None)])
			.unwrap();
		assert_eq!(nonces(), vec![on_chain, on_chain + 1]);
		// Long after, the chain never took them: they were dropped, and the chain's nonce
		// counts again.
		for _ in 0..RESUBMIT_AFTER {
			next_block();
		}
		crate::configs::RuntimeChain::submit_verdicts(&alice, vec![(3, Judgement::Valid, None)])
			.unwrap();
		assert_eq!(nonces(), vec![on_chain]);
		// A busy host sends in every block while a dropped transaction leaves a gap the chain
		// never fills: once the chain's nonce has not moved for RESUBMIT_AFTER blocks, the
		// chain's nonce counts again, however recently the worker sent.
		let mut sent = vec![];
		for verdict in 0..RESUBMIT_AFTER + 2 {
			next_block();
			crate::configs::RuntimeChain::submit_verdicts(
				&alice,
				vec![(10 + u64::from(verdict), Judgement::Valid, None)],
			)
			.unwrap();
			sent.extend(nonces());
		}
		assert_eq!(sent[0], on_chain + 1, "{sent:?}");
		assert!(
			sent.iter().skip(1).any(|n| *n == on_chain),
			"a busy host never fell back to the chain's nonce: {sent:?}"
		);
		// A host whose key is not in the keystore cannot sign.
		let bob: [u8; 32] = Sr25519Keyring::Bob.to_account_id().into();
		assert!(crate::configs::RuntimeChain::submit_verdicts(
			&bob,
			vec![(1, Judgement::Valid, None)]
		)
		.is_err());
	});
}
