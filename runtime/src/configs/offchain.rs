//! The offchain worker: signed transactions from host keys, and the chain as `daya-offchain`'s
//! engine sees it.
//!
//! A host inserts the secret of its host account into its node's keystore under key type
//! `daya` ([`daya_offchain::KEY_TYPE`]); after each imported block, the job market's offchain
//! worker runs [`daya_offchain::runner::run`] over [`RuntimeChain`], which finds the host's work,
//! calls its executor and sends `submit_result` / `submit_verdict` signed with that key, and
//! [`daya_offchain::poc::run`], which takes part in proof of compute: runs the host's windows on
//! its executor, commits them, and verifies the commitments the chain gives the host to check.

use alloc::vec::Vec;
use polkadot_sdk::*;

use codec::{Decode, Encode};
use daya_offchain::{
	poc::{PocChain, ToVerify, WindowView},
	runner::{
		Chain, Delivered, HostId, JobInput, JobOutput, NotSent, ProbeDuty, Verdict, RESUBMIT_AFTER,
	},
};
use daya_primitives::{runtime_api::WorkKind, JobId};
use frame_system::offchain::{
	AppCrypto, CreateSignedTransaction, CreateTransactionBase, Signer, SigningTypes,
	SubmitTransaction,
};
use pallet_daya_inference::{
	output_key, payload_key, IndexedOutput, IndexedPayload, JobResult, ResultItem, VerdictItem,
};
use sp_core::{sr25519, H256};
use sp_runtime::{
	generic,
	offchain::{storage::StorageValueRef, StorageKind},
	traits::{SaturatedConversion, StaticLookup, Verify},
	BoundedVec, MultiSigner,
};

use crate::{
	AccountId, BlockNumber, Runtime, RuntimeCall, Signature, System, TxExtension,
	UncheckedExtrinsic,
};

/// The host key as `frame_system`'s signer knows it: sr25519 under key type `daya`, signing for
/// the host's `AccountId32`.
pub struct HostKey;

impl AppCrypto<MultiSigner, Signature> for HostKey {
	type RuntimeAppPublic = daya_offchain::crypto::Public;
	type GenericPublic = sr25519::Public;
	type GenericSignature = sr25519::Signature;
}

impl SigningTypes for Runtime {
	type Public = <Signature as Verify>::Signer;
	type Signature = Signature;
}

impl<C> CreateTransactionBase<C> for Runtime
where
	RuntimeCall: From<C>,
{
	type Extrinsic = UncheckedExtrinsic;
	type RuntimeCall = RuntimeCall;
}

/// The transaction extensions of a signed transaction valid in `era` with `nonce`, no tip and
/// no metadata hash asked for: what the offchain worker signs with.
pub(crate) fn tx_extension(era: generic::Era, nonce: crate::Nonce) -> TxExtension {
	(
		frame_system::AuthorizeCall::<Runtime>::new(),
		frame_system::CheckNonZeroSender::<Runtime>::new(),
		frame_system::CheckSpecVersion::<Runtime>::new(),
		frame_system::CheckTxVersion::<Runtime>::new(),
		frame_system::CheckGenesis::<Runtime>::new(),
		frame_system::CheckEra::<Runtime>::from(era),
		frame_system::CheckNonce::<Runtime>::from(nonce),
		frame_system::CheckWeight::<Runtime>::new(),
		pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(0),
		frame_metadata_hash_extension::CheckMetadataHash::<Runtime>::new(false),
	)
		.into()
}

impl<C> CreateSignedTransaction<C> for Runtime
where
	RuntimeCall: From<C>,
{
	fn create_signed_transaction<A: AppCrypto<Self::Public, Self::Signature>>(
		call: RuntimeCall,
		public: Self::Public,
		account: AccountId,
		nonce: crate::Nonce,
	) -> Option<UncheckedExtrinsic> {
		// Valid for a quarter of the block hashes kept, from the parent of the block the worker
		// runs on (whose hash the chain knows by the time the transaction is checked).
		let period = u64::from(<Runtime as frame_system::Config>::BlockHashCount::get() / 4)
			.checked_next_power_of_two()
			.unwrap_or(64);
		let current = System::block_number().saturated_into::<u64>().saturating_sub(1);
		let extension = tx_extension(generic::Era::mortal(period, current), nonce);
		let payload = generic::SignedPayload::new(call, extension).ok()?;
		let signature = payload.using_encoded(|bytes| A::sign(bytes, public))?;
		let (call, extension, _) = payload.deconstruct();
		let address = <Runtime as frame_system::Config>::Lookup::unlookup(account);
		Some(UncheckedExtrinsic::new_signed(call, address, signature, extension))
	}
}

/// The chain as the offchain engine sees it.
pub struct RuntimeChain;

/// Prefix of the key under which the worker keeps a host's next nonce.
pub const NONCE_KEY_PREFIX: &[u8] = b"daya/ocw/nonce/";

/// Signs `call` with `host`'s key and sends it to the transaction pool.
///
/// The nonce is the host's next one, counting the transactions the worker sent in earlier runs
/// that are still in the pool (the chain's nonce alone would make a second transaction replace
/// or be refused in favour of the first). The worker also keeps the chain's nonce as it last saw
/// it and since when: once the chain's nonce has not moved for [`RESUBMIT_AFTER`] blocks while
/// the worker counts transactions ahead of it, one of them was dropped (a full pool, a restart,
/// a fork) and every later one waits behind the gap, so the chain's nonce is used again. The
/// clock runs from the chain's progress, not from the worker's last send: a busy host that
/// sends in every block recovers as surely as an idle one.
pub fn send_signed(host: &HostId, call: RuntimeCall) -> Result<(), NotSent> {
	let account = AccountId::from(*host);
	let public = MultiSigner::from(sr25519::Public::from_raw(*host));
	let on_chain = frame_system::Account::<Runtime>::get(&account).nonce;
	let now = System::block_number();
	let key = [NONCE_KEY_PREFIX, host.as_slice()].concat();
	let stored = StorageValueRef::persistent(&key);
	let (next, seen, since) = stored
		.get::<(crate::Nonce, crate::Nonce, BlockNumber)>()
		.ok()
		.flatten()
		.unwrap_or((on_chain, on_chain, now));
	// The chain moved since the worker last looked: its clock restarts.
	let since = if seen == on_chain { since } else { now };
	let nonce =
		if next > on_chain && now.saturating_sub(since) < RESUBMIT_AFTER { next } else { on_chain };
	let xt =
		<Runtime as CreateSignedTransaction<RuntimeCall>>::create_signed_transaction::<HostKey>(
			call, public, account, nonce,
		)
		.ok_or(NotSent)?;
	SubmitTransaction::<Runtime, RuntimeCall>::submit_transaction(xt).map_err(|_| NotSent)?;
	// Falling back to the chain's nonce restarts the clock too.
	let since = if nonce == on_chain { now } else { since };
	stored.set(&(nonce.saturating_add(1), on_chain, since));
	Ok(())
}

fn indexed<T: Decode>(key: &[u8]) -> Option<T> {
	let raw = sp_io::offchain::local_storage_get(StorageKind::PERSISTENT, key)?;
	T::decode(&mut &raw[..]).ok()
}

/// What the chain asks about `job`'s probe position of whoever checks it now: its first
/// validator shows a probe; its executor, while probing, and a dispute's validators, when the
/// dispute is about a contested probe, judge the probe shown.
fn probe_duty(job_id: JobId, job: &pallet_daya_inference::Job<Runtime>) -> Option<ProbeDuty> {
	use pallet_daya_inference::JobStatus;
	let position = job.probe_position(job_id)?;
	match &job.status {
		JobStatus::Validating { .. } => Some(ProbeDuty::Show { position }),
		JobStatus::Probing { probe, .. } => Some(ProbeDuty::Judge { position, probe: *probe }),
		JobStatus::Accused { .. } | JobStatus::Disputed { .. } => {
			pallet_daya_inference::ContestedProbes::<Runtime>::get(job_id)
				.map(|(_, probe)| ProbeDuty::Judge { position, probe })
		},
		JobStatus::Assigned
		| JobStatus::Delivered
		| JobStatus::Checking
		| JobStatus::Unassigned { .. } => None,
	}
}

impl Chain for RuntimeChain {
	fn local_hosts() -> Vec<HostId> {
		Signer::<Runtime, HostKey>::keystore_accounts()
			.filter(|account| pallet_daya_compute::Hosts::<Runtime>::contains_key(&account.id))
			.map(|account| account.id.into())
			.collect()
	}

	fn work_of(host: &HostId) -> Vec<(JobId, WorkKind)> {
		crate::Inference::api_work_of(AccountId::from(*host))
	}

	fn job_input(job: JobId) -> Option<JobInput> {
		let payload: IndexedPayload = indexed(&payload_key(job))?;
		let model = crate::Models::model(payload.model)?;
		let open = pallet_daya_inference::Jobs::<Runtime>::get(job)?;
		// The offchain index is not fork-aware: a payload indexed by a block of another fork
		// under the same job id is not this job's.
		if sp_io::hashing::blake2_256(&payload.payload) != open.payload_hash.0 {
			return None;
		}
		// The version the job was bought for, which its executor and validators run: a job
		// whose model moved to another is released by the chain, never run.
		if model.spec.version != open.model_version {
			return None;
		}
		Some(JobInput {
			model: model.name.into_inner(),
			weights_hash: model.spec.weights_hash,
			max_output_tokens: payload.max_output_tokens,
			params: payload.params,
			sampling_key: open.sampling_key.0,
			policy: model.spec.validation,
			probe: probe_duty(job, &open),
			prompt: payload.payload,
		})
	}

	fn job_output(job: JobId) -> Option<JobOutput> {
		let indexed = indexed::<IndexedOutput>(&output_key(job))?;
		// As for payloads: only the result this chain recorded is judged.
		let recorded = pallet_daya_inference::Jobs::<Runtime>::get(job)?.delivery?.result_hash;
		if sp_io::hashing::blake2_256(&indexed.result) != recorded.0 {
			return None;
		}
		Some(match JobResult::<Runtime>::decode(&mut &indexed.result[..]) {
			Ok(r) => JobOutput::Delivered(Delivered {
				output: r.output.into_inner(),
				tokens: r.tokens.into_inner(),
				prompt_tokens: r.prompt_tokens,
				prompt_hash: r.prompt_hash.0,
				fingerprints: r.fingerprints.into_inner(),
			}),
			Err(_) => JobOutput::Undecodable,
		})
	}

	fn max_output_len() -> u32 {
		<Runtime as pallet_daya_inference::Config>::MaxOutputLen::get()
	}

	fn max_results() -> u32 {
		pallet_daya_inference::MAX_RESULTS
	}

	fn submit_results(host: &HostId, results: Vec<(JobId, Delivered)>) -> Result<(), NotSent> {
		let chain_result = |result: Delivered| -> Result<JobResult<Runtime>, NotSent> {
			Ok(JobResult::<Runtime> {
				output: BoundedVec::try_from(result.output).map_err(|_| NotSent)?,
				tokens: BoundedVec::try_from(result.tokens).map_err(|_| NotSent)?,
				prompt_tokens: result.prompt_tokens,
				prompt_hash: H256(result.prompt_hash),
				fingerprints: BoundedVec::try_from(result.fingerprints).map_err(|_| NotSent)?,
			})
		};
		// A result the chain cannot take is left out (and reported), the others sent.
		let mut sent = Ok(());
		let mut items = Vec::with_capacity(results.len());
		for (job_id, result) in results {
			match chain_result(result) {
				Ok(result) => items.push(ResultItem { job_id, result }),
				Err(NotSent) => sent = Err(NotSent),
			}
		}
		let call = match items.pop() {
			None => return sent,
			Some(ResultItem { job_id, result }) if items.is_empty() => {
				pallet_daya_inference::Call::submit_result { job_id, result }
			},
			Some(last) => {
				items.push(last);
				let results = BoundedVec::try_from(items).map_err(|_| NotSent)?;
				pallet_daya_inference::Call::submit_results { results }
			},
		};
		send_signed(host, call.into()).and(sent)
	}

	fn max_verdicts() -> u32 {
		pallet_daya_inference::MAX_VERDICTS
	}

	fn submit_verdicts(host: &HostId, verdicts: Vec<Verdict>) -> Result<(), NotSent> {
		let items = verdicts.into_iter().map(|(job_id, judgement, probe)| VerdictItem {
			job_id,
			judgement,
			probe,
		});
		let verdicts = BoundedVec::try_from(items.collect::<Vec<_>>()).map_err(|_| NotSent)?;
		send_signed(host, pallet_daya_inference::Call::submit_verdicts { verdicts }.into())
	}
}

impl PocChain for RuntimeChain {
	fn local_hosts() -> Vec<HostId> {
		<Self as Chain>::local_hosts()
	}

	fn window() -> Option<WindowView> {
		let window = pallet_daya_poc::Window::<Runtime>::get()?;
		Some(WindowView {
			index: window.index,
			seed: window.seed,
			seal_at: window.opened_at.saturating_add(super::poc::ComputeBlocks::get()),
			sample_at: crate::Poc::sample_at(&window),
			conclude_at: crate::Poc::conclude_at(&window),
			sample_seed: window.sample_seed,
			concluded: window.concluded,
		})
	}

	fn params() -> daya_protocol::poc::PocParams {
		super::poc::POC_PARAMS
	}

	fn committed(host: &HostId) -> bool {
		pallet_daya_poc::Commitments::<Runtime>::contains_key(AccountId::from(*host))
	}

	fn to_verify(host: &HostId) -> Vec<ToVerify> {
		let Some(window) = pallet_daya_poc::Window::<Runtime>::get() else { return Vec::new() };
		let me = AccountId::from(*host);
		pallet_daya_poc::Commitments::<Runtime>::iter()
			.filter(|(prover, _)| {
				crate::Poc::verifiers_of(&window, prover).contains(&me)
					&& !pallet_daya_poc::Verdicts::<Runtime>::get(prover)
						.iter()
						.any(|(verifier, _)| *verifier == me)
			})
			.map(|(prover, commitment)| ToVerify {
				prover: prover.into(),
				root: commitment.root,
				count: commitment.count,
			})
			.collect()
	}

	fn endpoint(host: &HostId) -> Option<alloc::string::String> {
		let info = pallet_daya_compute::Hosts::<Runtime>::get(AccountId::from(*host))?;
		alloc::string::String::from_utf8(info.endpoint.into_inner()).ok()
	}

	fn submit_commit(
		host: &HostId,
		window: u32,
		root: [u8; 32],
		count: u64,
	) -> Result<(), NotSent> {
		send_signed(host, pallet_daya_poc::Call::commit { window, root, count }.into())
	}

	fn submit_verdict(
		host: &HostId,
		window: u32,
		prover: &HostId,
		verdict: daya_protocol::poc::PocVerdict,
	) -> Result<(), NotSent> {
		use daya_protocol::poc::PocVerdict;
		let verdict = match verdict {
			PocVerdict::Valid => pallet_daya_poc::Verdict::Valid,
			PocVerdict::Invalid { nonce } => pallet_daya_poc::Verdict::Invalid { nonce },
			PocVerdict::Missing { nonce } => pallet_daya_poc::Verdict::Missing { nonce },
		};
		let prover = AccountId::from(*prover);
		send_signed(host, pallet_daya_poc::Call::submit_verdict { window, prover, verdict }.into())
	}
}

/// What the job market's offchain worker runs: the job engine and proof of compute's, over
/// [`RuntimeChain`].
pub struct HostWorker;

impl frame_support::traits::OffchainWorker<BlockNumber> for HostWorker {
	fn offchain_worker(now: BlockNumber) {
		let _ = daya_offchain::poc::run::<RuntimeChain>(now);
		let _ = daya_offchain::runner::run::<RuntimeChain>(now);
	}
}
