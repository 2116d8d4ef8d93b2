//! Unit tests of the model registry: every call, every error, the read helpers, the
//! [`ModelRegistry`] implementation and the `try_state` checks.

use crate::{mock::*, Error, Event, ModelIdByName, ModelInfo, ModelSpec, NextModelId};
use daya_primitives::{ModelRegistry, ModelStatus, ModelTerms};
use polkadot_sdk::{
	frame_support::{
		assert_noop, assert_ok,
		dispatch::GetDispatchInfo,
		traits::{Get, Hooks},
	},
	sp_runtime::DispatchError,
};

/// The models pallet's event, as the runtime's.
fn event(event: Event<Test>) -> RuntimeEvent {
	RuntimeEvent::Models(event)
}

/// Registers `params` as root.
fn register(params: crate::ModelParams<Test>) -> Result<(), DispatchError> {
	Models::register_model(RuntimeOrigin::root(), Box::new(params))
}

/// Updates `model` to `spec` as root.
fn update(model: u32, spec: ModelSpec<Test>) -> Result<(), DispatchError> {
	Models::update_model(RuntimeOrigin::root(), model, Box::new(spec))
}

/// Origins that are not governance.
fn bad_origins() -> [RuntimeOrigin; 2] {
	[RuntimeOrigin::signed(ALICE), RuntimeOrigin::none()]
}

/// The stored model `model`.
fn stored(model: u32) -> ModelInfo<Test> {
	Models::model(model).expect("the model exists")
}

mod register_model {
	use super::*;

	#[docify::export]
	#[test]
	fn registers_an_active_model() {
		ExtBuilder::default().build_and_execute(|| {
			// given
			System::set_block_number(7);

			// when
			assert_ok!(register(params("llama-3.1-8b")));

			// then
			let info = stored(0);
			assert_eq!(info.name, name("llama-3.1-8b"));
			assert_eq!(info.price_per_token, 10);
			assert_eq!(info.spec, spec(1));
			assert_eq!(info.status, ModelStatus::Active);
			assert_eq!((info.registered_at, info.updated_at), (7, 7));
			assert_eq!(ModelIdByName::<Test>::get(name("llama-3.1-8b")), Some(0));
			assert_eq!(NextModelId::<Test>::get(), 1);
			assert_eq!(crate::Models::<Test>::count(), 1);
			System::assert_last_event(event(Event::ModelRegistered {
				model: 0,
				name: name("llama-3.1-8b"),
				version: 1,
			}));
		});
	}

	#[test]
	fn assigns_sequential_ids() {
		ExtBuilder::default().with_models(&["a", "b"]).build_and_execute(|| {
			// when
			assert_ok!(register(params("c")));

			// then
			assert_eq!(Models::model_id_by_name(b"a"), Some(0));
			assert_eq!(Models::model_id_by_name(b"b"), Some(1));
			assert_eq!(Models::model_id_by_name(b"c"), Some(2));
			assert_eq!(NextModelId::<Test>::get(), 3);
		});
	}

	#[test]
	fn accepts_boundary_values() {
		ExtBuilder::default().build_and_execute(|| {
			// given: a CPU model with no engine hint, whose output may fill its whole context,
			// judged by exact match, at the smallest price
			let mut params = params("tiny");
			params.price_per_token = 1;
			params.spec.min_vram_mib = 0;
			params.spec.engine = Default::default();
			params.spec.context_length = 1;
			params.spec.max_output_tokens = 1;
			params.spec.compute_units_per_token = 1;
			params.spec.validation.conclusive_margin_micro = 1;
			params.spec.version = 0;

			// when
			assert_ok!(register(params.clone()));

			// then
			assert_eq!(stored(0).spec, params.spec);
		});
	}

	#[test]
	fn accepts_names_of_the_maximum_length() {
		ExtBuilder::default().build_and_execute(|| {
			let max_len: u32 = <<Test as crate::Config>::MaxNameLen as Get<u32>>::get();
			let long = "n".repeat(max_len as usize);
			assert_ok!(register(params(&long)));
			assert_eq!(Models::model_id_by_name(long.as_bytes()), Some(0));
		});
	}

	#[test]
	fn requires_governance() {
		ExtBuilder::default().build_and_execute(|| {
			for origin in bad_origins() {
				assert_noop!(
					Models::register_model(origin, Box::new(params("a"))),
					DispatchError::BadOrigin
				);
			}
		});
	}

	#[test]
	fn rejects_a_taken_name() {
		ExtBuilder::default().with_models(&["a"]).build_and_execute(|| {
			// given: a different model under the same name
			let mut params = params("a");
			params.spec.version = 9;

			// when / then
			assert_noop!(register(params), Error::<Test>::NameTaken);
		});
	}

	#[test]
	fn rejects_more_than_max_models() {
		ExtBuilder::default().with_models(&["a", "b", "c", "d"]).build_and_execute(|| {
			// given
			assert_eq!(crate::Models::<Test>::count(), MaxModels::get());

			// when / then
			assert_noop!(register(params("e")), Error::<Test>::TooManyModels);
		});
	}

	#[test]
	fn retired_models_still_count_towards_the_bound() {
		ExtBuilder::default().with_models(&["a", "b", "c", "d"]).build_and_execute(|| {
			// given
			assert_ok!(Models::retire_model(RuntimeOrigin::root(), 0));

			// when / then
			assert_noop!(register(params("e")), Error::<Test>::TooManyModels);
		});
	}

	#[test]
	fn rejects_invalid_names() {
		ExtBuilder::default().build_and_execute(|| {
			let bad_names: [&[u8]; 6] =
				[b"", b"llama 3", b"tab\t", b"new\nline", b"caf\xc3\xa9", b"\x7f"];
			for bad in bad_names {
				let mut params = params("a");
				params.name = bad.to_vec().try_into().expect("fits the bound");
				assert_noop!(register(params), Error::<Test>::InvalidName);
			}
		});
	}

	#[test]
	fn rejects_a_zero_price() {
		ExtBuilder::default().build_and_execute(|| {
			let mut params = params("a");
			params.price_per_token = 0;
			assert_noop!(register(params), Error::<Test>::InvalidParams);
		});
	}

	#[test]
	fn rejects_an_invalid_spec() {
		ExtBuilder::default().build_and_execute(|| {
			for bad in invalid_specs() {
				let mut params = params("a");
				params.spec = bad;
				assert_noop!(register(params), Error::<Test>::InvalidParams);
			}
		});
	}
}

/// Specs that break exactly one validity rule each.
fn invalid_specs() -> Vec<ModelSpec<Test>> {
	let with = |change: fn(&mut ModelSpec<Test>)| {
		let mut spec = spec(5);
		change(&mut spec);
		spec
	};
	vec![
		with(|spec| spec.source = Default::default()),
		with(|spec| spec.source = source("hf://a b")),
		with(|spec| spec.engine = b"lla ma".to_vec().try_into().expect("fits")),
		with(|spec| spec.weights_hash = [0; 32]),
		with(|spec| spec.context_length = 0),
		with(|spec| spec.max_output_tokens = 0),
		with(|spec| spec.max_output_tokens = spec.context_length + 1),
		with(|spec| spec.compute_units_per_token = 0),
		with(|spec| spec.validation.conclusive_margin_micro = 0),
		with(|spec| spec.validation.fingerprint_tolerance_ppm = 0),
	]
}

mod update_model {
	use super::*;

	/// A valid spec of `version` that differs from [`spec`] in every field.
	fn new_spec(version: u32) -> ModelSpec<Test> {
		ModelSpec {
			version,
			weights_hash: [3; 32],
			tokenizer_hash: [4; 32],
			source: source("hf://meta-llama/Llama-3.1-8B-Instruct@1f2a3b4"),
			engine: b"vllm".to_vec().try_into().expect("fits the bound"),
			context_length: 16_384,
			max_output_tokens: 4_096,
			max_token_bytes: 32,
			min_vram_mib: 20_000,
			compute_units_per_token: 1_100,
			validation: daya_primitives::ValidationPolicy {
				conclusive_margin_micro: 85_000,
				near_ties_base: 2,
				near_ties_per_kilo: 4,
				fingerprint_tolerance_ppm: 2_000,
			},
		}
	}

	#[test]
	fn replaces_the_spec() {
		ExtBuilder::default().with_models(&["a"]).build_and_execute(|| {
			// given
			System::set_block_number(5);

			// when
			assert_ok!(update(0, new_spec(2)));

			// then: the spec and the update block change; name, price and status do not
			let info = stored(0);
			assert_eq!(info.spec, new_spec(2));
			assert_eq!((info.registered_at, info.updated_at), (0, 5));
			assert_eq!(info.name, name("a"));
			assert_eq!(info.price_per_token, 10);
			assert_eq!(info.status, ModelStatus::Active);
			System::assert_last_event(event(Event::ModelUpdated {
				model: 0,
				version: 2,
				weights_hash: [3; 32],
			}));
		});
	}

	#[test]
	fn keeps_a_deprecated_model_deprecated() {
		ExtBuilder::default().with_models(&["a"]).build_and_execute(|| {
			// given
			assert_ok!(Models::deprecate_model(RuntimeOrigin::root(), 0));

			// when
			assert_ok!(update(0, new_spec(2)));

			// then
			assert_eq!(stored(0).status, ModelStatus::Deprecated);
			assert_eq!(stored(0).spec.version, 2);
		});
	}

	#[test]
	fn may_skip_versions() {
		ExtBuilder::default().with_models(&["a"]).build_and_execute(|| {
			assert_ok!(update(0, new_spec(10)));
			assert_ok!(update(0, new_spec(u32::MAX)));
			assert_eq!(stored(0).spec.version, u32::MAX);
		});
	}

	#[test]
	fn requires_governance() {
		ExtBuilder::default().with_models(&["a"]).build_and_execute(|| {
			for origin in bad_origins() {
				assert_noop!(
					Models::update_model(origin, 0, Box::new(new_spec(2))),
					DispatchError::BadOrigin
				);
			}
		});
	}

	#[test]
	fn rejects_an_unknown_model() {
		ExtBuilder::default().with_models(&["a"]).build_and_execute(|| {
			assert_noop!(update(1, new_spec(2)), Error::<Test>::UnknownModel);
		});
	}

	#[test]
	fn rejects_a_retired_model() {
		ExtBuilder::default().with_models(&["a"]).build_and_execute(|| {
			// given
			assert_ok!(Models::retire_model(RuntimeOrigin::root(), 0));

			// when / then
			assert_noop!(update(0, new_spec(2)), Error::<Test>::ModelRetired);
		});
	}

	#[test]
	fn rejects_a_version_that_does_not_increase() {
		ExtBuilder::default().with_models(&["a"]).build_and_execute(|| {
			// given
			assert_ok!(update(0, new_spec(3)));

			// when / then: neither the same version nor an older one
			assert_noop!(update(0, new_spec(3)), Error::<Test>::VersionNotIncreased);
			assert_noop!(update(0, new_spec(2)), Error::<Test>::VersionNotIncreased);
		});
	}

	#[test]
	fn rejects_an_invalid_spec() {
		ExtBuilder::default().with_models(&["a"]).build_and_execute(|| {
			for bad in invalid_specs() {
				assert_noop!(update(0, bad), Error::<Test>::InvalidParams);
			}
		});
	}
}

mod set_price {
	use super::*;

	#[test]
	fn sets_the_price() {
		ExtBuilder::default().with_models(&["a"]).build_and_execute(|| {
			// given
			System::set_block_number(3);

			// when
			assert_ok!(Models::set_price(RuntimeOrigin::root(), 0, 25));

			// then
			assert_eq!(stored(0).price_per_token, 25);
			assert_eq!(stored(0).updated_at, 3);
			assert_eq!(Models::terms(0).map(|terms| terms.price_per_token), Some(25));
			System::assert_last_event(event(Event::PriceSet { model: 0, price_per_token: 25 }));
		});
	}

	#[test]
	fn reprices_a_deprecated_model() {
		ExtBuilder::default().with_models(&["a"]).build_and_execute(|| {
			// given
			assert_ok!(Models::deprecate_model(RuntimeOrigin::root(), 0));

			// when
			assert_ok!(Models::set_price(RuntimeOrigin::root(), 0, 5));

			// then
			assert_eq!(stored(0).price_per_token, 5);
		});
	}

	#[test]
	fn requires_governance() {
		ExtBuilder::default().with_models(&["a"]).build_and_execute(|| {
			for origin in bad_origins() {
				assert_noop!(Models::set_price(origin, 0, 25), DispatchError::BadOrigin);
			}
		});
	}

	#[test]
	fn rejects_a_zero_price() {
		ExtBuilder::default().with_models(&["a"]).build_and_execute(|| {
			assert_noop!(
				Models::set_price(RuntimeOrigin::root(), 0, 0),
				Error::<Test>::InvalidParams
			);
		});
	}

	#[test]
	fn rejects_an_unknown_model() {
		ExtBuilder::default().build_and_execute(|| {
			assert_noop!(
				Models::set_price(RuntimeOrigin::root(), 0, 25),
				Error::<Test>::UnknownModel
			);
		});
	}

	#[test]
	fn rejects_a_retired_model() {
		ExtBuilder::default().with_models(&["a"]).build_and_execute(|| {
			// given
			assert_ok!(Models::retire_model(RuntimeOrigin::root(), 0));

			// when / then
			assert_noop!(
				Models::set_price(RuntimeOrigin::root(), 0, 25),
				Error::<Test>::ModelRetired
			);
		});
	}
}

mod deprecate_model {
	use super::*;

	#[test]
	fn deprecates_an_active_model() {
		ExtBuilder::default().with_models(&["a"]).build_and_execute(|| {
			// given
			System::set_block_number(4);

			// when
			assert_ok!(Models::deprecate_model(RuntimeOrigin::root(), 0));

			// then: it takes jobs but no new hosts
			assert_eq!(stored(0).status, ModelStatus::Deprecated);
			assert_eq!(stored(0).updated_at, 4);
			assert!(!Models::is_active(0));
			assert!(Models::accepts_jobs(0));
			System::assert_last_event(event(Event::ModelDeprecated { model: 0 }));
		});
	}

	#[test]
	fn requires_governance() {
		ExtBuilder::default().with_models(&["a"]).build_and_execute(|| {
			for origin in bad_origins() {
				assert_noop!(Models::deprecate_model(origin, 0), DispatchError::BadOrigin);
			}
		});
	}

	#[test]
	fn rejects_an_unknown_model() {
		ExtBuilder::default().build_and_execute(|| {
			assert_noop!(
				Models::deprecate_model(RuntimeOrigin::root(), 0),
				Error::<Test>::UnknownModel
			);
		});
	}

	#[test]
	fn rejects_a_model_that_is_not_active() {
		ExtBuilder::default().with_models(&["a", "b"]).build_and_execute(|| {
			// given: one deprecated model, one retired
			assert_ok!(Models::deprecate_model(RuntimeOrigin::root(), 0));
			assert_ok!(Models::retire_model(RuntimeOrigin::root(), 1));

			// when / then
			for model in [0, 1] {
				assert_noop!(
					Models::deprecate_model(RuntimeOrigin::root(), model),
					Error::<Test>::NotActive
				);
			}
		});
	}
}

mod retire_model {
	use super::*;

	#[test]
	fn retires_an_active_or_deprecated_model() {
		ExtBuilder::default().with_models(&["a", "b"]).build_and_execute(|| {
			// given: model 0 active, model 1 deprecated
			assert_ok!(Models::deprecate_model(RuntimeOrigin::root(), 1));
			System::set_block_number(9);

			for model in [0, 1] {
				// when
				assert_ok!(Models::retire_model(RuntimeOrigin::root(), model));

				// then: it takes neither jobs nor hosts, and keeps its name and id
				assert_eq!(stored(model).status, ModelStatus::Retired);
				assert_eq!(stored(model).updated_at, 9);
				assert!(!Models::is_active(model));
				assert!(!Models::accepts_jobs(model));
				System::assert_last_event(event(Event::ModelRetired { model }));
			}
			assert_eq!(Models::model_id_by_name(b"b"), Some(1));
		});
	}

	#[test]
	fn requires_governance() {
		ExtBuilder::default().with_models(&["a"]).build_and_execute(|| {
			for origin in bad_origins() {
				assert_noop!(Models::retire_model(origin, 0), DispatchError::BadOrigin);
			}
		});
	}

	#[test]
	fn rejects_an_unknown_model() {
		ExtBuilder::default().build_and_execute(|| {
			assert_noop!(
				Models::retire_model(RuntimeOrigin::root(), 0),
				Error::<Test>::UnknownModel
			);
		});
	}

	#[test]
	fn rejects_a_retired_model() {
		ExtBuilder::default().with_models(&["a"]).build_and_execute(|| {
			// given
			assert_ok!(Models::retire_model(RuntimeOrigin::root(), 0));

			// when / then
			assert_noop!(
				Models::retire_model(RuntimeOrigin::root(), 0),
				Error::<Test>::AlreadyRetired
			);
		});
	}
}

mod registry {
	use super::*;

	#[test]
	fn reports_status_and_terms() {
		ExtBuilder::default().with_models(&["a"]).build_and_execute(|| {
			// an active model
			assert_eq!(Models::status(0), Some(ModelStatus::Active));
			assert!(Models::is_active(0));
			assert!(Models::accepts_jobs(0));
			assert_eq!(
				Models::terms(0),
				Some(ModelTerms {
					price_per_token: 10,
					compute_units_per_token: 1_000,
					validation: daya_primitives::ValidationPolicy {
						conclusive_margin_micro: 100_000,
						near_ties_base: 2,
						near_ties_per_kilo: 4,
						fingerprint_tolerance_ppm: 2_000,
					},
					min_vram_mib: 16_384,
					context_length: 8_192,
					max_output_tokens: 2_048,
					max_token_bytes: 16,
					weights_hash: [1; 32],
					version: 1,
				})
			);

			// a retired model keeps its terms
			assert_ok!(Models::retire_model(RuntimeOrigin::root(), 0));
			assert_eq!(Models::status(0), Some(ModelStatus::Retired));
			assert_eq!(Models::terms(0).map(|terms| terms.price_per_token), Some(10));
		});
	}

	#[test]
	fn knows_nothing_of_unknown_models() {
		ExtBuilder::default().build_and_execute(|| {
			assert_eq!(Models::status(0), None);
			assert!(!Models::is_active(0));
			assert!(!Models::accepts_jobs(0));
			assert_eq!(Models::terms(0), None);
		});
	}

	#[test]
	fn read_helpers() {
		ExtBuilder::default().with_models(&["a", "b"]).build_and_execute(|| {
			assert_eq!(Models::model(1).map(|info| info.name), Some(name("b")));
			assert_eq!(Models::model(2), None);
			let mut ids: Vec<u32> = Models::models().into_iter().map(|(id, _)| id).collect();
			ids.sort();
			assert_eq!(ids, vec![0, 1]);
			assert_eq!(Models::model_id_by_name(b"b"), Some(1));
			assert_eq!(Models::model_id_by_name(b"c"), None);
			// longer than any name can be
			assert_eq!(Models::model_id_by_name(&[b'a'; 33]), None);
		});
	}

	#[cfg(feature = "runtime-benchmarks")]
	#[test]
	fn registers_benchmark_models() {
		ExtBuilder::default().build_and_execute(|| {
			// when
			let first = Models::register_benchmark_model();
			let second = Models::register_benchmark_model();

			// then: two distinct active models
			assert_ne!(first, second);
			assert!(Models::is_active(first));
			assert!(Models::is_active(second));
		});
	}

	#[cfg(feature = "runtime-benchmarks")]
	#[test]
	fn benchmark_model_falls_back_on_an_active_model_when_full() {
		ExtBuilder::default().with_models(&["a", "b", "c", "d"]).build_and_execute(|| {
			// given: a full registry whose first model is retired
			assert_ok!(Models::retire_model(RuntimeOrigin::root(), 0));

			// when
			let model = Models::register_benchmark_model();

			// then: one of the active models, and no new one
			assert!(Models::is_active(model));
			assert_eq!(crate::Models::<Test>::count(), MaxModels::get());
		});
	}
}

mod genesis {
	use super::*;
	use crate::GenesisConfig;
	use polkadot_sdk::sp_runtime::BuildStorage;

	#[test]
	fn registers_the_models_in_order_as_active() {
		// given: two valid models, one of them a CPU model without an engine hint
		let mut cpu = params("cpu-model");
		cpu.price_per_token = 3;
		cpu.spec.min_vram_mib = 0;
		cpu.spec.engine = Default::default();

		ExtBuilder::default()
			.with_genesis_models([params("llama-3.1-8b"), cpu.clone()])
			.build_and_execute(|| {
				// then: ids 0 and 1, active, registered at genesis
				let first = stored(0);
				assert_eq!(first.name, name("llama-3.1-8b"));
				assert_eq!(first.spec, spec(1));
				assert_eq!(first.status, ModelStatus::Active);
				assert_eq!((first.registered_at, first.updated_at), (0, 0));
				let second = stored(1);
				assert_eq!(second.name, name("cpu-model"));
				assert_eq!(second.price_per_token, 3);
				assert_eq!(second.spec, cpu.spec);
				assert_eq!(second.status, ModelStatus::Active);
				assert_eq!((second.registered_at, second.updated_at), (0, 0));
				assert_eq!(Models::model_id_by_name(b"cpu-model"), Some(1));
				assert_eq!(NextModelId::<Test>::get(), 2);
				assert_eq!(crate::Models::<Test>::count(), 2);
				// no events: genesis records none
				assert!(System::events().is_empty());

				// and the next registration gets the next id
				assert_ok!(register(params("c")));
				assert_eq!(Models::model_id_by_name(b"c"), Some(2));
			});
	}

	#[test]
	fn no_models_by_default() {
		ExtBuilder::default().build_and_execute(|| {
			assert_eq!(NextModelId::<Test>::get(), 0);
			assert_eq!(crate::Models::<Test>::count(), 0);
		});
	}

	#[test]
	fn round_trips_through_json() {
		// given
		let config = GenesisConfig::<Test> { models: vec![params("a"), params("b")] };

		// when
		let json = serde_json::to_string(&config).expect("serialises");
		let decoded: GenesisConfig<Test> = serde_json::from_str(&json).expect("deserialises");

		// then
		assert_eq!(decoded.models, config.models);
		assert!(json.contains("\"pricePerToken\":10"), "{json}");
		assert!(json.contains("\"maxOutputTokens\":2048"), "{json}");
	}

	#[test]
	fn rejects_unknown_fields_in_json() {
		let json = serde_json::to_value(GenesisConfig::<Test> { models: vec![params("a")] })
			.expect("serialises");
		let mut typo = json.clone();
		typo["models"][0]["price"] = 10.into();
		assert!(serde_json::from_value::<GenesisConfig<Test>>(typo).is_err());
		assert!(serde_json::from_value::<GenesisConfig<Test>>(json).is_ok());
	}

	#[test]
	#[should_panic(expected = "genesis model 1 (\"a\") cannot be registered")]
	fn panics_on_a_duplicate_name() {
		ExtBuilder::default().with_models(&["a", "a"]).build();
	}

	#[test]
	#[should_panic(expected = "genesis model 0 (\"free\") cannot be registered")]
	fn panics_on_a_zero_price() {
		let mut free = params("free");
		free.price_per_token = 0;
		ExtBuilder::default().with_genesis_models([free]).build();
	}

	#[test]
	#[should_panic(expected = "genesis model 0 (\"has space\") cannot be registered")]
	fn panics_on_an_invalid_name() {
		ExtBuilder::default().with_models(&["has space"]).build();
	}

	#[test]
	#[should_panic(expected = "genesis model 1 (\"b\") cannot be registered")]
	fn panics_on_an_invalid_spec() {
		let mut bad = params("b");
		bad.spec.max_output_tokens = bad.spec.context_length + 1;
		ExtBuilder::default().with_genesis_models([params("a"), bad]).build();
	}

	#[test]
	#[should_panic(expected = "genesis model 4 (\"e\") cannot be registered")]
	fn panics_on_more_than_max_models() {
		ExtBuilder::default().with_models(&["a", "b", "c", "d", "e"]).build();
	}

	#[test]
	fn every_invalid_spec_panics() {
		for invalid in invalid_specs() {
			let params = crate::ModelParams { spec: invalid, ..params("a") };
			let config = GenesisConfig::<Test> { models: vec![params] };
			let result = std::panic::catch_unwind(|| {
				crate::mock::RuntimeGenesisConfig { models: config, ..Default::default() }
					.build_storage()
			});
			assert!(result.is_err());
		}
	}
}

mod runtime_api {
	use super::*;
	use daya_primitives::ModelView;

	/// The view of a model registered from `params(model_name)` at genesis and never changed.
	fn genesis_view(model_name: &str) -> ModelView<u64, u64> {
		ModelView {
			name: model_name.as_bytes().to_vec(),
			price_per_token: 10,
			version: 1,
			weights_hash: [1; 32],
			tokenizer_hash: [2; 32],
			source: b"hf://meta-llama/Llama-3.1-8B-Instruct@0e9e39f".to_vec(),
			engine: b"llama".to_vec(),
			context_length: 8_192,
			max_output_tokens: 2_048,
			max_token_bytes: 16,
			min_vram_mib: 16_384,
			compute_units_per_token: 1_000,
			validation: daya_primitives::ValidationPolicy {
				conclusive_margin_micro: 100_000,
				near_ties_base: 2,
				near_ties_per_kilo: 4,
				fingerprint_tolerance_ppm: 2_000,
			},
			status: ModelStatus::Active,
			registered_at: 0,
			updated_at: 0,
		}
	}

	#[test]
	fn view_shows_every_field() {
		ExtBuilder::default().with_models(&["a"]).build_and_execute(|| {
			// given: a model changed since genesis
			System::set_block_number(4);
			assert_ok!(update(0, ModelSpec { engine: Default::default(), ..spec(2) }));
			assert_ok!(Models::set_price(RuntimeOrigin::root(), 0, 25));
			assert_ok!(Models::deprecate_model(RuntimeOrigin::root(), 0));

			// when
			let view = stored(0).view();

			// then
			assert_eq!(
				view,
				ModelView {
					price_per_token: 25,
					version: 2,
					engine: Vec::new(),
					status: ModelStatus::Deprecated,
					updated_at: 4,
					..genesis_view("a")
				}
			);
		});
	}

	#[test]
	fn models_lists_every_model_by_id() {
		ExtBuilder::default().with_models(&["a", "b", "c"]).build_and_execute(|| {
			// given: a retired model, which is still listed
			assert_ok!(Models::retire_model(RuntimeOrigin::root(), 1));

			// then
			assert_eq!(
				Models::api_models(),
				vec![
					(0, genesis_view("a")),
					(
						1,
						ModelView {
							status: ModelStatus::Retired,
							updated_at: 1,
							..genesis_view("b")
						}
					),
					(2, genesis_view("c")),
				]
			);
		});
	}

	#[test]
	fn models_is_empty_without_models() {
		ExtBuilder::default().build_and_execute(|| {
			assert_eq!(Models::api_models(), vec![]);
		});
	}

	#[test]
	fn model_by_id() {
		ExtBuilder::default().with_models(&["a", "b"]).build_and_execute(|| {
			assert_eq!(Models::api_model(0), Some(genesis_view("a")));
			assert_eq!(Models::api_model(1), Some(genesis_view("b")));
			assert_eq!(Models::api_model(2), None);
		});
	}

	#[test]
	fn model_by_name() {
		ExtBuilder::default().with_models(&["a", "b"]).build_and_execute(|| {
			assert_eq!(Models::api_model_by_name(b"b".to_vec()), Some((1, genesis_view("b"))));
			assert_eq!(Models::api_model_by_name(b"c".to_vec()), None);
			assert_eq!(Models::api_model_by_name(Vec::new()), None);
			// longer than any name can be
			assert_eq!(Models::api_model_by_name(vec![b'a'; 33]), None);
		});
	}
}

mod pallet {
	use super::*;

	#[test]
	fn integrity_test_passes() {
		ExtBuilder::default().build_and_execute(|| {
			<Models as Hooks<u64>>::integrity_test();
		});
	}

	#[cfg(feature = "try-runtime")]
	#[test]
	fn try_state_hook_checks_the_invariants() {
		ExtBuilder::default().with_models(&["a"]).build_and_execute(|| {
			// given: a consistent registry
			assert_ok!(<Models as Hooks<u64>>::try_state(1));

			// when: a model loses its name
			ModelIdByName::<Test>::remove(name("a"));

			// then
			assert!(<Models as Hooks<u64>>::try_state(1).is_err());
			ModelIdByName::<Test>::insert(name("a"), 0);
		});
	}

	#[test]
	fn calls_weigh_what_weight_info_says() {
		use crate::{Call, WeightInfo};
		let calls: [(RuntimeCall, _); 5] = [
			(
				Call::<Test>::register_model { params: Box::new(params("a")) }.into(),
				<() as WeightInfo>::register_model(),
			),
			(
				Call::<Test>::update_model { model: 0, spec: Box::new(spec(2)) }.into(),
				<() as WeightInfo>::update_model(),
			),
			(
				Call::<Test>::set_price { model: 0, price_per_token: 1 }.into(),
				<() as WeightInfo>::set_price(),
			),
			(
				Call::<Test>::deprecate_model { model: 0 }.into(),
				<() as WeightInfo>::deprecate_model(),
			),
			(Call::<Test>::retire_model { model: 0 }.into(), <() as WeightInfo>::retire_model()),
		];
		for (call, weight) in calls {
			assert_eq!(call.get_dispatch_info().call_weight, weight);
		}
	}

	#[test]
	fn failed_dispatch_changes_nothing() {
		use polkadot_sdk::{sp_io, sp_runtime::traits::Dispatchable};
		ExtBuilder::default().with_models(&["a"]).build_and_execute(|| {
			// given
			let root = sp_io::storage::root(polkadot_sdk::sp_runtime::StateVersion::V1);
			let call: RuntimeCall =
				crate::Call::<Test>::update_model { model: 0, spec: Box::new(spec(1)) }.into();

			// when
			let result = call.dispatch(RuntimeOrigin::root());

			// then
			assert_eq!(
				result.map(|_| ()).map_err(|e| e.error),
				Err(Error::<Test>::VersionNotIncreased.into())
			);
			assert_eq!(sp_io::storage::root(polkadot_sdk::sp_runtime::StateVersion::V1), root);
		});
	}
}

mod try_state {
	use super::*;

	/// Runs `corrupt` on a registry of two models and expects `do_try_state` to fail.
	fn detects(corrupt: impl FnOnce()) {
		let mut ext = new_test_ext();
		ext.execute_with(|| {
			assert_ok!(register(params("a")));
			assert_ok!(register(params("b")));
			assert_ok!(Models::do_try_state());
			corrupt();
			assert!(Models::do_try_state().is_err());
		});
	}

	#[test]
	fn detects_a_name_without_its_model() {
		detects(|| ModelIdByName::<Test>::insert(name("c"), 5));
	}

	#[test]
	fn detects_a_model_without_its_name() {
		detects(|| ModelIdByName::<Test>::remove(name("a")));
	}

	#[test]
	fn detects_a_name_pointing_at_another_model() {
		detects(|| ModelIdByName::<Test>::insert(name("a"), 1));
	}

	#[test]
	fn detects_an_id_at_or_above_next_model_id() {
		detects(|| NextModelId::<Test>::put(1));
	}

	#[test]
	fn detects_an_invalid_stored_model() {
		detects(|| {
			crate::Models::<Test>::mutate(0, |info| {
				if let Some(info) = info {
					info.spec.context_length = 0;
				}
			})
		});
	}

	#[test]
	fn detects_a_zero_stored_price() {
		detects(|| {
			crate::Models::<Test>::mutate(0, |info| {
				if let Some(info) = info {
					info.price_per_token = 0;
				}
			})
		});
	}

	#[test]
	fn detects_blocks_out_of_order() {
		detects(|| {
			crate::Models::<Test>::mutate(0, |info| {
				if let Some(info) = info {
					info.updated_at = 100;
				}
			})
		});
	}

	#[test]
	fn detects_more_models_than_the_bound() {
		detects(|| {
			for (id, model_name) in [(2, "c"), (3, "d"), (4, "e")] {
				let mut info = stored(0);
				info.name = name(model_name);
				crate::Models::<Test>::insert(id, info);
				ModelIdByName::<Test>::insert(name(model_name), id);
			}
			NextModelId::<Test>::put(5);
		});
	}
}
