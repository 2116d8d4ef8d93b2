//! Runtime-level checks: the genesis presets build, the constants agree with the product, and
//! pallet indices stay where the encoding expects them.

use super::*;
use frame_support::traits::{Get, PalletInfoAccess};
use sp_api::RuntimeApiInfo;
use sp_keyring::Sr25519Keyring;
use sp_runtime::BuildStorage;

/// A result of `text` with `prompt_tokens` prompt tokens and `completion_tokens` output ids (and
/// their fingerprints), as an executor submits it.
pub(crate) fn job_result(
	text: &[u8],
	prompt_tokens: u32,
	completion_tokens: u32,
) -> pallet_daya_inference::JobResult<Runtime> {
	let chunks = daya_primitives::jobs::fingerprints_for(completion_tokens) as usize;
	pallet_daya_inference::JobResult {
		output: text.to_vec().try_into().unwrap(),
		tokens: (0..completion_tokens).collect::<Vec<_>>().try_into().unwrap(),
		prompt_tokens,
		prompt_hash: sp_core::H256::repeat_byte(1),
		fingerprints: vec![daya_primitives::Fingerprint::default(); chunks].try_into().unwrap(),
	}
}

/// Funds `host` and registers it with one L4 serving `model`, bonding 1,000 DAYA.
pub(crate) fn register_l4_host(host: &AccountId, model: daya_primitives::ModelId) {
	<Balances as frame_support::traits::fungible::Mutate<AccountId>>::set_balance(
		host,
		10_000 * UNIT,
	);
	assert!(Compute::register_host(
		RuntimeOrigin::signed(host.clone()),
		b"http://127.0.0.1:8090".to_vec().try_into().unwrap(),
		vec![pallet_daya_compute::GpuSpec {
			name: b"L4".to_vec().try_into().unwrap(),
			vram_mib: 24_576,
			count: 1,
		}]
		.try_into()
		.unwrap(),
		vec![model].try_into().unwrap(),
		1_000 * UNIT,
	)
	.is_ok());
}

/// Plays one step of an honest check of `job`'s result: its validator passes it with its
/// probe, or, once the probe is shown, its executor recognises the probe. Nothing otherwise.
/// Returns what the validators were paid if the step ended the job.
pub(crate) fn honest_check(
	job_id: daya_primitives::JobId,
	job: &pallet_daya_inference::Job<Runtime>,
) -> Balance {
	use pallet_daya_inference::JobStatus;
	let (who, probe) = match &job.status {
		JobStatus::Validating { verdict } => {
			(verdict.validator.clone(), Some(daya_primitives::Fingerprint::default()))
		},
		JobStatus::Probing { .. } => match job.executor.clone() {
			Some(executor) => (executor, None),
			None => return 0,
		},
		_ => return 0,
	};
	let _ = Inference::submit_verdict(
		RuntimeOrigin::signed(who),
		job_id,
		daya_primitives::Judgement::Valid,
		probe,
	);
	pallet_daya_inference::Outcomes::<Runtime>::get(job_id).map_or(0, |o| o.validation_fee)
}

/// Moves to the next block with the hooks the executive runs for Daya's pallets: their
/// `on_initialize`, then the post-inherent draws (`on_idle` is left to the caller).
pub(crate) fn next_block() {
	use frame_support::traits::{Hooks, PostInherents};
	let next = System::block_number() + 1;
	System::set_block_number(next);
	System::reset_events();
	Randomness::on_initialize(next);
	Inference::on_initialize(next);
	Emission::on_initialize(next);
	Poc::on_initialize(next);
	<Runtime as frame_system::Config>::PostInherents::post_inherents();
}

/// Builds the genesis state of a named preset through the same path the node uses.
pub(crate) fn preset_ext(name: &str) -> sp_io::TestExternalities {
	preset_storage(name).into()
}

/// The genesis storage of a named preset, built through the same path the node uses.
pub(crate) fn preset_storage(name: &str) -> sp_core::storage::Storage {
	let patch = genesis_config_presets::get_preset(&name.into())
		.unwrap_or_else(|| panic!("preset {name} exists"));
	let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).unwrap();
	let patch: serde_json::Value = serde_json::from_slice(&patch).unwrap();
	json_merge(&mut config, patch);
	let config: RuntimeGenesisConfig = serde_json::from_value(config).unwrap();
	config.build_storage().unwrap()
}

fn json_merge(base: &mut serde_json::Value, patch: serde_json::Value) {
	match (base, patch) {
		(serde_json::Value::Object(base), serde_json::Value::Object(patch)) => {
			for (k, v) in patch {
				json_merge(base.entry(k).or_insert(serde_json::Value::Null), v);
			}
		},
		(base, patch) => *base = patch,
	}
}

#[test]
fn preset_names_are_development_and_local_testnet() {
	let names: Vec<String> = genesis_config_presets::preset_names()
		.into_iter()
		.map(|id: sp_genesis_builder::PresetId| {
			String::from_utf8(AsRef::<[u8]>::as_ref(&id).to_vec()).unwrap()
		})
		.collect();
	assert_eq!(names, vec!["development".to_string(), "local_testnet".to_string()]);
	assert!(genesis_config_presets::get_preset(&"no-such-preset".into()).is_none());
}

#[test]
fn development_preset_has_alice_as_sudo_and_only_collator() {
	preset_ext("development").execute_with(|| {
		let alice = Sr25519Keyring::Alice.to_account_id();
		assert_eq!(pallet_sudo::Key::<Runtime>::get(), Some(alice.clone()));
		assert_eq!(
			pallet_collator_selection::Invulnerables::<Runtime>::get().to_vec(),
			vec![alice.clone()]
		);
		assert_eq!(pallet_session::Validators::<Runtime>::get(), vec![alice]);
		let aura: AuraId = Sr25519Keyring::Alice.public().into();
		assert_eq!(pallet_aura::Authorities::<Runtime>::get().to_vec(), vec![aura]);
		assert_eq!(ParachainInfo::parachain_id(), DEFAULT_PARA_ID.into());
	});
}

#[test]
fn presets_endow_every_dev_account_and_the_treasury() {
	for preset in ["development", "local_testnet"] {
		preset_ext(preset).execute_with(|| {
			let accounts: Vec<_> = Sr25519Keyring::well_known().collect();
			for key in &accounts {
				// Hosts hold part of it as their bond.
				let account = key.to_account_id();
				assert_eq!(
					Balances::free_balance(&account) + Balances::reserved_balance(&account),
					genesis_config_presets::ENDOWMENT,
					"{preset}: {key:?}"
				);
			}
			let treasury = configs::TreasuryAccount::get();
			assert_eq!(
				Balances::free_balance(&treasury),
				genesis_config_presets::TREASURY_ENDOWMENT
			);
			assert_eq!(
				Balances::total_issuance(),
				genesis_config_presets::ENDOWMENT * accounts.len() as Balance
					+ genesis_config_presets::TREASURY_ENDOWMENT
			);
		});
	}
}

#[test]
fn local_testnet_preset_has_two_collators() {
	preset_ext("local_testnet").execute_with(|| {
		let mut expected: Vec<AuraId> =
			vec![Sr25519Keyring::Alice.public().into(), Sr25519Keyring::Bob.public().into()];
		expected.sort();
		let mut authorities = pallet_aura::Authorities::<Runtime>::get().to_vec();
		authorities.sort();
		assert_eq!(authorities, expected);
		assert_eq!(pallet_collator_selection::Invulnerables::<Runtime>::get().len(), 2);
	});
}

#[test]
fn token_and_block_time_match_the_product() {
	assert_eq!(TOKEN_SYMBOL, "DAYA");
	assert_eq!(UNIT, 10u128.pow(TOKEN_DECIMALS as u32));
	assert_eq!(SLOT_DURATION, 6_000);
	assert_eq!(<<Runtime as pallet_aura::Config>::SlotDuration as Get<u64>>::get(), 6_000);
	assert_eq!(MINUTES, 10);
}

#[test]
fn pallet_indices_are_stable() {
	// Changing any of these breaks every signed transaction and client: append, never move.
	assert_eq!(System::index(), 0);
	assert_eq!(ParachainSystem::index(), 1);
	assert_eq!(Timestamp::index(), 2);
	assert_eq!(ParachainInfo::index(), 3);
	assert_eq!(WeightReclaim::index(), 4);
	assert_eq!(Balances::index(), 10);
	assert_eq!(TransactionPayment::index(), 11);
	assert_eq!(Sudo::index(), 15);
	assert_eq!(Authorship::index(), 20);
	assert_eq!(CollatorSelection::index(), 21);
	assert_eq!(Session::index(), 22);
	assert_eq!(Aura::index(), 23);
	assert_eq!(AuraExt::index(), 24);
	assert_eq!(Council::index(), 40);
	assert_eq!(Models::index(), 50);
	assert_eq!(Compute::index(), 51);
	assert_eq!(Inference::index(), 52);
	assert_eq!(Emission::index(), 53);
	assert_eq!(Randomness::index(), 54);
	assert_eq!(Poc::index(), 55);
	assert_eq!(Treasury::index(), 41);
	assert_eq!(Preimage::index(), 42);
	assert_eq!(Scheduler::index(), 43);
	assert_eq!(ConvictionVoting::index(), 44);
	assert_eq!(Referenda::index(), 45);
	assert_eq!(Origins::index(), 46);
	// The job market and the emission pay the treasury pallet's own account.
	assert_eq!(Treasury::account_id(), configs::TreasuryAccount::get());
}

#[test]
fn runtime_version_identifies_daya() {
	assert_eq!(VERSION.spec_name, "daya");
	assert!(apis::RUNTIME_API_VERSIONS
		.iter()
		.any(|(id, _)| *id == <dyn sp_api::Core<Block>>::ID));
}

#[test]
fn wasm_blob_is_built() {
	// The blob the node puts into chain specs: plain WASM in debug builds, compacted and
	// zstd-compressed (behind Substrate's 8-byte prefix) in release builds.
	const COMPRESSED_PREFIX: [u8; 8] = [82, 188, 83, 118, 70, 219, 142, 5];
	let blob = WASM_BINARY.expect("the test command builds the runtime to WASM");
	assert!(
		blob.starts_with(b"\0asm") || blob.starts_with(&COMPRESSED_PREFIX),
		"not a WASM module: {:?}",
		&blob[..8]
	);
	assert!(WASM_BINARY_BLOATY.is_some_and(|b| b.starts_with(b"\0asm")));
}

#[test]
fn presets_register_the_dev_model_smollm2_and_hosts() {
	for preset in ["development", "local_testnet"] {
		preset_ext(preset).execute_with(|| {
			let models = Models::api_models();
			assert_eq!(models.len(), 2, "{preset}");
			let (smollm2, view) = &models[1];
			assert_eq!(view.name, genesis_config_presets::SMOLLM2_NAME);
			assert_eq!(view.weights_hash, daya_protocol::smollm2::WEIGHTS_HASH);
			assert_eq!(
				view.validation.conclusive_margin_micro,
				daya_protocol::smollm2::POLICY.conclusive_margin_micro
			);
			assert_eq!(Compute::api_hosts_by_model(*smollm2).len(), 2, "{preset}");
			let (id, view) = &models[0];
			assert_eq!(view.name, genesis_config_presets::DEV_MODEL_NAME);
			assert_eq!(view.status, daya_primitives::ModelStatus::Active);
			assert_eq!(Models::api_model_by_name(view.name.clone()).map(|(i, _)| i), Some(*id));
			// Alice and Bob serve it, each with their bond held.
			let mut hosts = Compute::api_hosts_by_model(*id);
			hosts.sort();
			let mut expected =
				vec![Sr25519Keyring::Alice.to_account_id(), Sr25519Keyring::Bob.to_account_id()];
			expected.sort();
			assert_eq!(hosts, expected, "{preset}");
			for host in &hosts {
				let view = Compute::api_host(host.clone()).unwrap();
				assert_eq!(view.bond, genesis_config_presets::DEV_HOST_BOND);
				assert_eq!(view.status, daya_primitives::HostStatus::Active);
				assert_eq!(
					Balances::free_balance(host),
					genesis_config_presets::ENDOWMENT - genesis_config_presets::DEV_HOST_BOND
				);
			}
		});
	}
}

#[test]
fn a_council_majority_or_root_governs_the_model_registry() {
	use frame_support::traits::EnsureOrigin;
	type Governance = configs::GovernanceOrigin;
	let council = |yes: u32, of: u32| -> RuntimeOrigin {
		pallet_collective::RawOrigin::<AccountId, configs::CouncilCollective>::Members(yes, of)
			.into()
	};
	assert!(Governance::try_origin(RuntimeOrigin::root()).is_ok());
	assert!(Governance::try_origin(council(2, 3)).is_ok());
	assert!(Governance::try_origin(council(3, 3)).is_ok());
	// Half is not a majority, and a single member or account is not the council.
	assert!(Governance::try_origin(council(1, 2)).is_err());
	assert!(Governance::try_origin(council(1, 3)).is_err());
	let alice = Sr25519Keyring::Alice.to_account_id();
	assert!(Governance::try_origin(RuntimeOrigin::signed(alice)).is_err());
}

#[test]
fn presets_seat_the_model_council() {
	preset_ext("development").execute_with(|| {
		let members = pallet_collective::Members::<Runtime, configs::CouncilCollective>::get();
		assert_eq!(members.len(), 3);
		assert!(members.contains(&Sr25519Keyring::Charlie.to_account_id()));
	});
}

/// A flood: while blocks are full, the fee multiplier, and with it what every transaction pays,
/// rises block after block; a quiet chain brings it back down, never below its floor.
#[test]
fn fees_rise_while_blocks_are_full_and_fall_back_when_they_empty() {
	use frame_support::{
		dispatch::{DispatchClass, GetDispatchInfo},
		traits::Hooks,
	};
	use pallet_transaction_payment::{Multiplier, NextFeeMultiplier};
	use sp_runtime::FixedPointNumber;
	preset_ext("development").execute_with(|| {
		let transfer = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
			dest: Sr25519Keyring::Bob.to_account_id().into(),
			value: UNIT,
		});
		let info = transfer.get_dispatch_info();
		let fee = || TransactionPayment::compute_fee(150, &info, 0);
		// The part of the fee the multiplier scales: the weight's (the length's and the base fee
		// are not scaled).
		let weight_fee = || {
			TransactionPayment::compute_fee_details(150, &info, 0)
				.inclusion_fee
				.expect("a transfer pays")
				.adjusted_weight_fee
		};
		let normal = <Runtime as frame_system::Config>::BlockWeights::get()
			.get(DispatchClass::Normal)
			.max_total
			.expect("the normal class has a limit");
		let block = |n: u32, full: bool| {
			System::set_block_number(n);
			System::set_block_consumed_resources(
				if full { normal } else { frame_support::weights::Weight::zero() },
				0,
			);
			TransactionPayment::on_finalize(n);
			System::reset_events();
		};
		let (calm_multiplier, calm_fee, calm_weight_fee) =
			(NextFeeMultiplier::<Runtime>::get(), fee(), weight_fee());
		assert_eq!(calm_multiplier, Multiplier::saturating_from_integer(1));

		// An hour of full blocks: every block's fee above the one before.
		let mut last = calm_fee;
		for n in 1..=600 {
			block(n, true);
			let now = fee();
			assert!(now > last, "block {n}: a full block raised the fee from {last} to {now}");
			last = now;
		}
		let flooded = NextFeeMultiplier::<Runtime>::get();
		// (1 + 0.000075 * 0.75)^600: about 3.4% an hour.
		assert!(flooded > Multiplier::saturating_from_rational(103, 100), "{flooded:?}");
		assert!(flooded < Multiplier::saturating_from_rational(104, 100), "{flooded:?}");
		let flooded_fee = weight_fee();
		assert!(
			flooded_fee > calm_weight_fee * 103 / 100,
			"{flooded_fee} against {calm_weight_fee}"
		);

		// Quiet blocks bring it down, more slowly (a third of the rate: the target is 25% full),
		// past where it started, but never below a tenth.
		for n in 601..=3600 {
			block(n, false);
		}
		let quiet = NextFeeMultiplier::<Runtime>::get();
		assert!(quiet < Multiplier::saturating_from_integer(1), "{quiet:?}");
		assert!(fee() < calm_fee && weight_fee() < calm_weight_fee, "{quiet:?}");
		NextFeeMultiplier::<Runtime>::put(Multiplier::saturating_from_rational(1, 10));
		block(3601, false);
		assert_eq!(
			NextFeeMultiplier::<Runtime>::get(),
			Multiplier::saturating_from_rational(1, 10)
		);
	});
}
