//! Property tests: random sequences of calls, with valid and invalid arguments and origins, run
//! against the pallet and against a plain reference model of the registry.
//!
//! After every call: the result equals the reference model's, a failed call changed no storage at
//! all, a successful one deposited exactly one event, the registry matches the reference model,
//! and `do_try_state` passes.

use crate::{mock::*, Error, ModelParams, ModelSpec};
use daya_primitives::{ModelRegistry, ModelStatus};
use polkadot_sdk::{
	sp_io,
	sp_runtime::{DispatchError, StateVersion},
};
use proptest::prelude::*;

/// Names to register from: valid ones (more than `MaxModels`, so the bound is reached) and
/// invalid ones.
const NAMES: [&str; 7] = ["a", "b", "llama-3.1-8b", "mistral-7b", "qwen2", "", "has space"];
/// Sources: only the first is valid.
const SOURCES: [&str; 3] = ["hf://org/name@commit", "", "hf://org/a name"];
/// Engine hints: the first two are valid.
const ENGINES: [&str; 3] = ["llama", "", "v llm"];

/// Who calls.
#[derive(Clone, Copy, Debug)]
enum Who {
	Root,
	Signed,
	Unsigned,
}

impl Who {
	fn origin(self) -> RuntimeOrigin {
		match self {
			Who::Root => RuntimeOrigin::root(),
			Who::Signed => RuntimeOrigin::signed(ALICE),
			Who::Unsigned => RuntimeOrigin::none(),
		}
	}
}

/// A spec, by the choices that decide its validity.
#[derive(Clone, Debug)]
struct SpecInput {
	version: u32,
	zero_hash: bool,
	source: usize,
	engine: usize,
	context_length: u32,
	max_output_tokens: u32,
	min_vram_mib: u32,
	compute_units_per_token: u32,
	conclusive_margin: u32,
}

impl SpecInput {
	fn spec(&self) -> ModelSpec<Test> {
		ModelSpec {
			version: self.version,
			weights_hash: if self.zero_hash { [0; 32] } else { [7; 32] },
			tokenizer_hash: [8; 32],
			source: source(SOURCES[self.source]),
			engine: ENGINES[self.engine].as_bytes().to_vec().try_into().expect("fits the bound"),
			context_length: self.context_length,
			max_output_tokens: self.max_output_tokens,
			max_token_bytes: 16,
			min_vram_mib: self.min_vram_mib,
			compute_units_per_token: self.compute_units_per_token,
			validation: daya_primitives::ValidationPolicy {
				conclusive_margin_micro: self.conclusive_margin,
				near_ties_base: 2,
				near_ties_per_kilo: 4,
				fingerprint_tolerance_ppm: 2_000,
			},
		}
	}

	/// The validity rules, restated independently of the pallet.
	fn is_valid(&self) -> bool {
		self.source == 0
			&& self.engine <= 1
			&& !self.zero_hash
			&& self.context_length != 0
			&& self.max_output_tokens != 0
			&& self.max_output_tokens <= self.context_length
			&& self.compute_units_per_token != 0
			&& self.conclusive_margin != 0
	}
}

/// One step of a sequence.
#[derive(Clone, Debug)]
enum Op {
	Register { who: Who, name: usize, price: u64, spec: SpecInput },
	Update { who: Who, model: u32, spec: SpecInput },
	SetPrice { who: Who, model: u32, price: u64 },
	Deprecate { who: Who, model: u32 },
	Retire { who: Who, model: u32 },
	NextBlock,
}

fn who() -> impl Strategy<Value = Who> {
	prop_oneof![8 => Just(Who::Root), 1 => Just(Who::Signed), 1 => Just(Who::Unsigned)]
}

/// Mostly valid limits, with the edges and zero.
fn limit() -> impl Strategy<Value = u32> {
	prop_oneof![1 => Just(0u32), 1 => Just(1u32), 6 => 1..100_000u32, 1 => Just(u32::MAX)]
}

fn price() -> impl Strategy<Value = u64> {
	prop_oneof![1 => Just(0u64), 6 => 1..1_000u64, 1 => Just(u64::MAX)]
}

/// Ids of registered models and of some that never will be.
fn model() -> impl Strategy<Value = u32> {
	prop_oneof![6 => 0..5u32, 1 => Just(u32::MAX)]
}

fn spec_input() -> impl Strategy<Value = SpecInput> {
	(
		0..6u32,
		prop::bool::weighted(0.05),
		prop_oneof![8 => Just(0usize), 1 => Just(1usize), 1 => Just(2usize)],
		prop_oneof![4 => Just(0usize), 4 => Just(1usize), 1 => Just(2usize)],
		limit(),
		limit(),
		limit(),
		limit(),
		prop_oneof![1 => Just(0u32), 6 => 1..=1_000_000_000u32],
	)
		.prop_map(
			|(
				version,
				zero_hash,
				source,
				engine,
				context_length,
				max_output_tokens,
				min_vram_mib,
				compute_units_per_token,
				conclusive_margin,
			)| SpecInput {
				version,
				zero_hash,
				source,
				engine,
				// Keep most outputs within the context, so that most specs are valid.
				max_output_tokens: max_output_tokens.min(context_length.saturating_add(1)),
				context_length,
				min_vram_mib,
				compute_units_per_token,
				conclusive_margin,
			},
		)
}

fn op() -> impl Strategy<Value = Op> {
	prop_oneof![
		3 => (who(), 0..NAMES.len(), price(), spec_input())
			.prop_map(|(who, name, price, spec)| Op::Register { who, name, price, spec }),
		3 => (who(), model(), spec_input())
			.prop_map(|(who, model, spec)| Op::Update { who, model, spec }),
		2 => (who(), model(), price())
			.prop_map(|(who, model, price)| Op::SetPrice { who, model, price }),
		1 => (who(), model()).prop_map(|(who, model)| Op::Deprecate { who, model }),
		1 => (who(), model()).prop_map(|(who, model)| Op::Retire { who, model }),
		1 => Just(Op::NextBlock),
	]
}

/// What the registry should hold about a model.
#[derive(Clone, Debug, PartialEq)]
struct Expected {
	name: &'static str,
	version: u32,
	price: u64,
	status: ModelStatus,
}

/// The reference model: the registry as a list, the index being the id.
#[derive(Default)]
struct Reference {
	models: Vec<Expected>,
}

impl Reference {
	/// Applies `op` and returns the result the pallet must give.
	fn apply(&mut self, op: &Op) -> Result<(), DispatchError> {
		let who = match op {
			Op::Register { who, .. }
			| Op::Update { who, .. }
			| Op::SetPrice { who, .. }
			| Op::Deprecate { who, .. }
			| Op::Retire { who, .. } => *who,
			Op::NextBlock => return Ok(()),
		};
		if !matches!(who, Who::Root) {
			return Err(DispatchError::BadOrigin);
		}
		match op {
			Op::Register { name, price, spec, .. } => {
				let name = NAMES[*name];
				if name.is_empty() || name.contains(' ') {
					return Err(Error::<Test>::InvalidName.into());
				}
				if *price == 0 || !spec.is_valid() {
					return Err(Error::<Test>::InvalidParams.into());
				}
				if self.models.iter().any(|model| model.name == name) {
					return Err(Error::<Test>::NameTaken.into());
				}
				if self.models.len() >= MaxModels::get() as usize {
					return Err(Error::<Test>::TooManyModels.into());
				}
				self.models.push(Expected {
					name,
					version: spec.version,
					price: *price,
					status: ModelStatus::Active,
				});
			},
			Op::Update { model, spec, .. } => {
				if !spec.is_valid() {
					return Err(Error::<Test>::InvalidParams.into());
				}
				let model = self.get(*model)?;
				if model.status == ModelStatus::Retired {
					return Err(Error::<Test>::ModelRetired.into());
				}
				if spec.version <= model.version {
					return Err(Error::<Test>::VersionNotIncreased.into());
				}
				model.version = spec.version;
			},
			Op::SetPrice { model, price, .. } => {
				if *price == 0 {
					return Err(Error::<Test>::InvalidParams.into());
				}
				let model = self.get(*model)?;
				if model.status == ModelStatus::Retired {
					return Err(Error::<Test>::ModelRetired.into());
				}
				model.price = *price;
			},
			Op::Deprecate { model, .. } => {
				let model = self.get(*model)?;
				if model.status != ModelStatus::Active {
					return Err(Error::<Test>::NotActive.into());
				}
				model.status = ModelStatus::Deprecated;
			},
			Op::Retire { model, .. } => {
				let model = self.get(*model)?;
				if model.status == ModelStatus::Retired {
					return Err(Error::<Test>::AlreadyRetired.into());
				}
				model.status = ModelStatus::Retired;
			},
			Op::NextBlock => {},
		}
		Ok(())
	}

	fn get(&mut self, model: u32) -> Result<&mut Expected, DispatchError> {
		self.models
			.get_mut(model as usize)
			.ok_or_else(|| Error::<Test>::UnknownModel.into())
	}
}

/// Runs `op` against the pallet.
fn dispatch(op: &Op) -> Result<(), DispatchError> {
	match op.clone() {
		Op::Register { who, name, price, spec } => {
			let params = ModelParams {
				name: NAMES[name].as_bytes().to_vec().try_into().expect("fits the bound"),
				price_per_token: price,
				spec: spec.spec(),
			};
			Models::register_model(who.origin(), Box::new(params))
		},
		Op::Update { who, model, spec } => {
			Models::update_model(who.origin(), model, Box::new(spec.spec()))
		},
		Op::SetPrice { who, model, price } => Models::set_price(who.origin(), model, price),
		Op::Deprecate { who, model } => Models::deprecate_model(who.origin(), model),
		Op::Retire { who, model } => Models::retire_model(who.origin(), model),
		Op::NextBlock => {
			System::set_block_number(System::block_number() + 1);
			Ok(())
		},
	}
}

/// Runs `ops` one by one, checking the properties after each.
fn check(ops: Vec<Op>) {
	new_test_ext().execute_with(|| {
		let mut reference = Reference::default();
		for op in &ops {
			let root = sp_io::storage::root(StateVersion::V1);
			let events = System::events().len();

			let result = dispatch(op);

			assert_eq!(result, reference.apply(op), "result of {op:?}");
			if result.is_err() {
				assert_eq!(
					sp_io::storage::root(StateVersion::V1),
					root,
					"{op:?} failed, yet wrote"
				);
			} else if !matches!(op, Op::NextBlock) {
				assert_eq!(System::events().len(), events + 1, "{op:?} deposited one event");
			}
			Models::do_try_state().expect("invariants hold after every call");
			for (id, expected) in reference.models.iter().enumerate() {
				let id = id as u32;
				let info = Models::model(id).expect("the model exists");
				let actual = Expected {
					name: expected.name,
					version: info.spec.version,
					price: info.price_per_token,
					status: info.status,
				};
				assert_eq!(&actual, expected, "model {id}");
				assert_eq!(Models::model_id_by_name(expected.name.as_bytes()), Some(id));
				assert_eq!(Models::status(id), Some(expected.status));
			}
			assert_eq!(crate::Models::<Test>::count() as usize, reference.models.len());
		}
	});
}

proptest! {
	#![proptest_config(ProptestConfig::with_cases(512))]

	#[test]
	fn random_call_sequences_keep_the_invariants(ops in prop::collection::vec(op(), 1..60)) {
		check(ops);
	}
}
