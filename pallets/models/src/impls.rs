//! The registry's logic: what each call does once its origin is checked, the validity rules, the
//! read helpers, the [`ModelRegistry`] implementation and the `try_state` checks.

// The logic is held to the runtime's lint discipline; the FRAME macros in `lib.rs` are not.
#![deny(
	clippy::arithmetic_side_effects,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::unwrap_used
)]

use crate::{
	BalanceOf, Config, Error, Event, ModelIdByName, ModelInfo, ModelParams, ModelSpec, Models,
	NextModelId, Pallet,
};
use alloc::vec::Vec;
use daya_primitives::{ModelId, ModelRegistry, ModelStatus, ModelTerms, ModelView};
use polkadot_sdk::{
	frame_support::{ensure, pallet_prelude::*},
	frame_system::{self, pallet_prelude::BlockNumberFor},
	sp_runtime::traits::Zero,
};

/// Whether `bytes` is printable ASCII without spaces, the alphabet of names, sources and engine
/// hints.
fn is_printable(bytes: &[u8]) -> bool {
	bytes.iter().all(|byte| byte.is_ascii_graphic())
}

impl<T: Config> Pallet<T> {
	/// Registers a model as active and returns its id. See [`Pallet::register_model`].
	pub(crate) fn do_register_model(params: ModelParams<T>) -> Result<ModelId, DispatchError> {
		let ModelParams { name, price_per_token, spec } = params;
		Self::ensure_valid_name(&name)?;
		Self::ensure_valid_price(price_per_token)?;
		Self::ensure_valid_spec(&spec)?;
		ensure!(!ModelIdByName::<T>::contains_key(&name), Error::<T>::NameTaken);
		ensure!(Models::<T>::count() < T::MaxModels::get(), Error::<T>::TooManyModels);
		let model = NextModelId::<T>::get();
		// Unreachable while `MaxModels` fits in a `ModelId`, but an overflow must not reuse ids.
		let next = model.checked_add(1).ok_or(Error::<T>::TooManyModels)?;

		let now = frame_system::Pallet::<T>::block_number();
		let version = spec.version;
		Models::<T>::insert(
			model,
			ModelInfo {
				name: name.clone(),
				price_per_token,
				spec,
				status: ModelStatus::Active,
				registered_at: now,
				updated_at: now,
			},
		);
		ModelIdByName::<T>::insert(&name, model);
		NextModelId::<T>::put(next);
		Self::deposit_event(Event::ModelRegistered { model, name, version });
		Ok(model)
	}

	/// Replaces a model's spec with a newer version. See [`Pallet::update_model`].
	pub(crate) fn do_update_model(model: ModelId, spec: ModelSpec<T>) -> DispatchResult {
		Self::ensure_valid_spec(&spec)?;
		Models::<T>::try_mutate(model, |maybe_info| {
			let info = maybe_info.as_mut().ok_or(Error::<T>::UnknownModel)?;
			ensure!(info.status != ModelStatus::Retired, Error::<T>::ModelRetired);
			ensure!(spec.version > info.spec.version, Error::<T>::VersionNotIncreased);
			let (version, weights_hash) = (spec.version, spec.weights_hash);
			info.spec = spec;
			info.updated_at = frame_system::Pallet::<T>::block_number();
			Self::deposit_event(Event::ModelUpdated { model, version, weights_hash });
			Ok(())
		})
	}

	/// Sets a model's price per token. See [`Pallet::set_price`].
	pub(crate) fn do_set_price(model: ModelId, price_per_token: BalanceOf<T>) -> DispatchResult {
		Self::ensure_valid_price(price_per_token)?;
		Models::<T>::try_mutate(model, |maybe_info| {
			let info = maybe_info.as_mut().ok_or(Error::<T>::UnknownModel)?;
			ensure!(info.status != ModelStatus::Retired, Error::<T>::ModelRetired);
			info.price_per_token = price_per_token;
			info.updated_at = frame_system::Pallet::<T>::block_number();
			Self::deposit_event(Event::PriceSet { model, price_per_token });
			Ok(())
		})
	}

	/// Moves an active model to deprecated. See [`Pallet::deprecate_model`].
	pub(crate) fn do_deprecate_model(model: ModelId) -> DispatchResult {
		Models::<T>::try_mutate(model, |maybe_info| {
			let info = maybe_info.as_mut().ok_or(Error::<T>::UnknownModel)?;
			ensure!(info.status == ModelStatus::Active, Error::<T>::NotActive);
			info.status = ModelStatus::Deprecated;
			info.updated_at = frame_system::Pallet::<T>::block_number();
			Self::deposit_event(Event::ModelDeprecated { model });
			Ok(())
		})
	}

	/// Moves an active or deprecated model to retired. See [`Pallet::retire_model`].
	pub(crate) fn do_retire_model(model: ModelId) -> DispatchResult {
		Models::<T>::try_mutate(model, |maybe_info| {
			let info = maybe_info.as_mut().ok_or(Error::<T>::UnknownModel)?;
			ensure!(info.status != ModelStatus::Retired, Error::<T>::AlreadyRetired);
			info.status = ModelStatus::Retired;
			info.updated_at = frame_system::Pallet::<T>::block_number();
			Self::deposit_event(Event::ModelRetired { model });
			Ok(())
		})
	}

	/// A name is non-empty printable ASCII without spaces.
	pub(crate) fn ensure_valid_name(name: &[u8]) -> Result<(), Error<T>> {
		ensure!(!name.is_empty() && is_printable(name), Error::<T>::InvalidName);
		Ok(())
	}

	/// A price is not zero: free jobs would cost spammers nothing and let self-dealing jobs farm
	/// the work pot.
	pub(crate) fn ensure_valid_price(price_per_token: BalanceOf<T>) -> Result<(), Error<T>> {
		ensure!(!price_per_token.is_zero(), Error::<T>::InvalidParams);
		Ok(())
	}

	/// A spec is valid as described in the crate docs ("Validity of a model").
	pub(crate) fn ensure_valid_spec(spec: &ModelSpec<T>) -> Result<(), Error<T>> {
		let valid = !spec.source.is_empty()
			&& is_printable(&spec.source)
			&& is_printable(&spec.engine)
			&& spec.weights_hash != [0u8; 32]
			&& spec.context_length > 0
			&& spec.max_output_tokens > 0
			&& spec.max_output_tokens <= spec.context_length
			&& spec.max_token_bytes > 0
			&& spec.compute_units_per_token > 0
			&& spec.validation.is_valid();
		ensure!(valid, Error::<T>::InvalidParams);
		Ok(())
	}

	/// The model with id `model`, whatever its status.
	pub fn model(model: ModelId) -> Option<ModelInfo<T>> {
		Models::<T>::get(model)
	}

	/// Every model with its id, retired ones included; at most [`Config::MaxModels`] entries.
	pub fn models() -> Vec<(ModelId, ModelInfo<T>)> {
		Models::<T>::iter().take(T::MaxModels::get() as usize).collect()
	}

	/// The id of the model named `name`, if any.
	pub fn model_id_by_name(name: &[u8]) -> Option<ModelId> {
		// A name over the bound cannot have been registered.
		let name = crate::ModelName::<T>::try_from(name.to_vec()).ok()?;
		ModelIdByName::<T>::get(name)
	}

	/// Every model with its id, retired ones included, by ascending id, as
	/// [`ModelsApi::models`](daya_primitives::runtime_api::ModelsApi::models) returns them.
	pub fn api_models() -> Vec<(ModelId, ModelView<BalanceOf<T>, BlockNumberFor<T>>)> {
		let mut models: Vec<_> = Models::<T>::iter()
			.take(T::MaxModels::get() as usize)
			.map(|(model, info)| (model, info.view()))
			.collect();
		models.sort_unstable_by_key(|(model, _)| *model);
		models
	}

	/// The model with id `model`, whatever its status, as
	/// [`ModelsApi::model`](daya_primitives::runtime_api::ModelsApi::model) returns it.
	pub fn api_model(model: ModelId) -> Option<ModelView<BalanceOf<T>, BlockNumberFor<T>>> {
		Models::<T>::get(model).map(|info| info.view())
	}

	/// The model named `name`, with its id, as
	/// [`ModelsApi::model_by_name`](daya_primitives::runtime_api::ModelsApi::model_by_name)
	/// returns it.
	pub fn api_model_by_name(
		name: Vec<u8>,
	) -> Option<(ModelId, ModelView<BalanceOf<T>, BlockNumberFor<T>>)> {
		// A name over the bound cannot have been registered.
		let name = crate::ModelName::<T>::try_from(name).ok()?;
		let model = ModelIdByName::<T>::get(name)?;
		Self::api_model(model).map(|view| (model, view))
	}

	/// Checks the invariants listed in the crate docs (also for other crates' tests that run
	/// this pallet).
	#[cfg(any(test, feature = "try-runtime", feature = "std"))]
	pub fn do_try_state() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
		let next_id = NextModelId::<T>::get();
		let now = frame_system::Pallet::<T>::block_number();
		let mut models: u32 = 0;
		for (model, info) in Models::<T>::iter() {
			models = models.checked_add(1).ok_or("number of models overflows")?;
			ensure!(model < next_id, "a model's id is not below NextModelId");
			ensure!(
				ModelIdByName::<T>::get(&info.name) == Some(model),
				"a model's name does not map to its id"
			);
			Self::ensure_valid_name(&info.name).map_err(|_| "a model's name is invalid")?;
			Self::ensure_valid_price(info.price_per_token)
				.map_err(|_| "a model's price is invalid")?;
			Self::ensure_valid_spec(&info.spec).map_err(|_| "a model's spec is invalid")?;
			ensure!(
				info.registered_at <= info.updated_at && info.updated_at <= now,
				"a model's blocks are out of order"
			);
		}
		ensure!(models == Models::<T>::count(), "the model counter is off");
		ensure!(models <= T::MaxModels::get(), "more models than MaxModels");

		let mut names: u32 = 0;
		for (name, model) in ModelIdByName::<T>::iter() {
			names = names.checked_add(1).ok_or("number of names overflows")?;
			ensure!(
				Models::<T>::get(model).is_some_and(|info| info.name == name),
				"a name maps to a model of another name"
			);
		}
		ensure!(names == models, "names and models differ in number");
		Ok(())
	}
}

impl<T: Config> ModelRegistry<BalanceOf<T>> for Pallet<T> {
	fn status(model: ModelId) -> Option<ModelStatus> {
		Models::<T>::get(model).map(|info| info.status)
	}

	fn terms(model: ModelId) -> Option<ModelTerms<BalanceOf<T>>> {
		Models::<T>::get(model).map(|info| info.terms())
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn register_benchmark_model() -> ModelId {
		let seed = NextModelId::<T>::get();
		match Self::do_register_model(crate::types::bench::params::<T>(seed)) {
			Ok(model) => model,
			// The registry is full, or the bound leaves no room for a unique name: fall back on
			// an active model already there.
			Err(_) => Models::<T>::iter()
				.find(|(_, info)| info.status == ModelStatus::Active)
				.map(|(model, _)| model)
				.unwrap_or(seed),
		}
	}
}
