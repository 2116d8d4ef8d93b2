//! Test helpers for the mocks that run this pallet (its own, and those of the job market,
//! emission and proof of compute): a model registry kept in a thread-local table, which tests
//! change at will. With [`config_preludes::TestDefaultConfig`](crate::config_preludes) it is
//! all such a mock needs of the host registry's configuration; [`register_host`] registers a
//! host in one line.

use crate::{BalanceOf, Config, GpuSpec, Pallet};
use daya_primitives::{ModelId, ModelRegistry, ModelStatus, ModelTerms, ValidationPolicy};
use polkadot_sdk::{
	frame_system,
	sp_runtime::{BoundedVec, DispatchError, DispatchResult},
};
use std::{cell::RefCell, collections::BTreeMap};

/// The validation policy of every mock model.
pub const POLICY: ValidationPolicy = ValidationPolicy {
	conclusive_margin_micro: 100_000,
	near_ties_base: 2,
	near_ties_per_kilo: 4,
	fingerprint_tolerance_ppm: 2_000,
};

/// The terms a model gets unless a mock sets others ([`MockModels::reset`]): price 10,
/// 1,000 compute units per token, no memory, 8,192 tokens of context of which 2,048 output.
pub const DEFAULT_TERMS: ModelTerms<u64> = ModelTerms {
	price_per_token: 10,
	compute_units_per_token: 1_000,
	validation: POLICY,
	min_vram_mib: 0,
	context_length: 8_192,
	max_output_tokens: 2_048,
	max_token_bytes: 16,
	weights_hash: [1; 32],
	version: 1,
};

thread_local! {
	static MODELS: RefCell<BTreeMap<ModelId, (ModelStatus, ModelTerms<u64>)>> =
		const { RefCell::new(BTreeMap::new()) };
	static TERMS: RefCell<ModelTerms<u64>> = const { RefCell::new(DEFAULT_TERMS) };
}

/// The mock model registry: a table of models, each with a status and its terms, changed by
/// tests. Prices are `u64`, converted into the mock's balance.
pub struct MockModels;

impl MockModels {
	/// Empties the registry, then adds `models` with `terms`, which models added later (by
	/// [`Self::set_status`] or a benchmark) get as well.
	pub fn reset(terms: ModelTerms<u64>, models: &[(ModelId, ModelStatus)]) {
		TERMS.with(|t| *t.borrow_mut() = terms);
		MODELS.with(|table| {
			let mut table = table.borrow_mut();
			table.clear();
			for (model, status) in models {
				table.insert(*model, (*status, terms));
			}
		});
	}

	/// Empties the registry, then adds one active model, id 0, that needs no memory, at price 1
	/// and one compute unit per token, with 1,000 tokens of context of which at most 100
	/// output: all the emission's and proof of compute's mocks need.
	pub fn one_model() {
		let terms = ModelTerms {
			price_per_token: 1,
			compute_units_per_token: 1,
			context_length: 1_000,
			max_output_tokens: 100,
			weights_hash: [0; 32],
			..DEFAULT_TERMS
		};
		Self::reset(terms, &[(0, ModelStatus::Active)]);
	}

	/// Changes `model`'s status, or adds it with the registry's terms.
	pub fn set_status(model: ModelId, status: ModelStatus) {
		let terms = TERMS.with(|t| *t.borrow());
		MODELS.with(|table| {
			table
				.borrow_mut()
				.entry(model)
				.and_modify(|entry| entry.0 = status)
				.or_insert((status, terms));
		});
	}

	/// Changes `model`'s terms with `change`, if it exists.
	pub fn update(model: ModelId, change: impl FnOnce(&mut ModelTerms<u64>)) {
		MODELS.with(|table| {
			if let Some(entry) = table.borrow_mut().get_mut(&model) {
				change(&mut entry.1);
			}
		});
	}

	/// Changes `model`'s price.
	pub fn set_price(model: ModelId, price: u64) {
		Self::update(model, |terms| terms.price_per_token = price);
	}

	/// Changes how much memory `model` needs.
	pub fn set_min_vram(model: ModelId, min_vram_mib: u32) {
		Self::update(model, |terms| terms.min_vram_mib = min_vram_mib);
	}

	/// Ships new weights for every model, as a new version of its spec: their weights hash
	/// becomes `hash`, and their version rises by one.
	pub fn set_weights_hash(hash: [u8; 32]) {
		let ship = |terms: &mut ModelTerms<u64>| {
			terms.weights_hash = hash;
			terms.version = terms.version.saturating_add(1);
		};
		TERMS.with(|t| ship(&mut t.borrow_mut()));
		MODELS.with(|table| {
			for entry in table.borrow_mut().values_mut() {
				ship(&mut entry.1);
			}
		});
	}

	/// Removes `model`, which a real registry never does; for `try_state` tests.
	pub fn remove(model: ModelId) {
		MODELS.with(|table| table.borrow_mut().remove(&model));
	}
}

impl<Balance: From<u64>> ModelRegistry<Balance> for MockModels {
	fn status(model: ModelId) -> Option<ModelStatus> {
		MODELS.with(|table| table.borrow().get(&model).map(|entry| entry.0))
	}

	fn terms(model: ModelId) -> Option<ModelTerms<Balance>> {
		MODELS.with(|table| {
			table.borrow().get(&model).map(|(_, terms)| ModelTerms {
				price_per_token: terms.price_per_token.into(),
				compute_units_per_token: terms.compute_units_per_token,
				validation: terms.validation,
				min_vram_mib: terms.min_vram_mib,
				context_length: terms.context_length,
				max_output_tokens: terms.max_output_tokens,
				max_token_bytes: terms.max_token_bytes,
				weights_hash: terms.weights_hash,
				version: terms.version,
			})
		})
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn register_benchmark_model() -> ModelId {
		let model = MODELS.with(|table| {
			table.borrow().keys().next_back().map_or(0, |last| last.saturating_add(1))
		});
		Self::set_status(model, ModelStatus::Active);
		model
	}
}

/// Registers `who` as a host of one GPU (`H100`, `vram_mib` MiB, whose sum is its capacity
/// weight) serving `models`, bonding `bond`, with its executor at `https://gpu.example.org`.
pub fn register_host<T: Config>(
	who: T::AccountId,
	vram_mib: u32,
	models: &[ModelId],
	bond: BalanceOf<T>,
) -> DispatchResult {
	let too_long = |what| DispatchError::Other(what);
	let gpu = GpuSpec::<T> {
		name: BoundedVec::try_from(b"H100".to_vec()).map_err(|_| too_long("GPU name"))?,
		vram_mib,
		count: 1,
	};
	Pallet::<T>::register_host(
		frame_system::RawOrigin::Signed(who).into(),
		BoundedVec::try_from(b"https://gpu.example.org".to_vec())
			.map_err(|_| too_long("endpoint"))?,
		BoundedVec::try_from(vec![gpu]).map_err(|_| too_long("hardware"))?,
		BoundedVec::try_from(models.to_vec()).map_err(|_| too_long("served models"))?,
		bond,
	)
}
