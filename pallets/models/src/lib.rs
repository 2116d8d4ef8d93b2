//! # Models pallet
//!
//! Daya's model registry: which AI models the network serves, under what terms, and where each
//! is in its life cycle, changed only through a governance origin.
//!
//! ## Pallet API
//!
//! See the [`pallet`] module for the full API: [`Config`], [`Call`], [`Event`], [`Error`] and the
//! storage items [`Models`], [`NextModelId`] and [`ModelIdByName`]. Other pallets read the
//! registry through [`daya_primitives::ModelRegistry`], which [`Pallet`] implements. A runtime
//! implements [`daya_primitives::runtime_api::ModelsApi`] by forwarding to [`Pallet::api_models`],
//! [`Pallet::api_model`] and [`Pallet::api_model_by_name`]; [`GenesisConfig`] lists the models a
//! chain starts with.
//!
//! ## Overview
//!
//! Every job on Daya names the model it wants. The registry is the network's shared list of those
//! models: for each, a unique name, the exact weights and tokenizer (by hash) that hosts must
//! load, where to download them, how long prompts and outputs may be, how much accelerator memory
//! a host needs, what a token costs, and how strictly validators judge results.
//!
//! Nobody can add or change a model on their own: every change goes through the governance
//! origin (for example a referendum). Governance can:
//!
//! - register a model, which starts out **active**;
//! - publish a new version of a model (new weights, limits or engine), with a higher version
//!   number;
//! - reprice a model;
//! - **deprecate** a model: it still takes jobs and its current hosts keep serving it, but no host
//!   may newly sign up to serve it;
//! - **retire** a model: it takes no new jobs at all. Jobs already under way always finish.
//!
//! Models are never deleted, so an id always refers to the same model.
//!
//! A chain may also start with models already registered, listed in its chain spec: they are
//! checked like any registration, and a chain spec with an invalid or duplicate model does not
//! start.
//!
//! ## Example
//!
//! Registering a model, as governance would (a test of this crate, run with its tests; `params`
//! is a valid [`ModelParams`] for the given name, `register` calls [`Pallet::register_model`] as
//! root):
//!
#![doc = docify::embed!("src/tests.rs", registers_an_active_model)]
//!
//!
//! ## Low level details
//!
//! ### Design goals
//!
//! - Bounded state: at most [`Config::MaxModels`] models, each of bounded size.
//! - Other pallets depend on [`daya_primitives::ModelRegistry`], never on this pallet.
//! - Bad input gets a named error and changes nothing.
//!
//! ### Terminology
//!
//! - *Spec* ([`ModelSpec`]): the technical description of one version of a model; an update
//!   replaces it whole.
//! - *Terms* ([`daya_primitives::ModelTerms`]): what other pallets need to serve a model: price,
//!   compute cost, limits, validation policy and weights hash.
//! - *Status* ([`ModelStatus`]): `Active` -> `Deprecated` -> `Retired`, or `Active` -> `Retired`;
//!   it never moves back.
//!
//! ### Validity of a model
//!
//! A model is valid when its name is non-empty printable ASCII without spaces; its price is not
//! zero (a free model would make spam free and let self-dealing jobs farm the work pot); its
//! source is non-empty and, like its engine hint, printable ASCII without spaces; its weights
//! hash is not all zeroes; its context length is not zero and its maximum output lies between 1
//! and the context length; its most bytes per output token are not zero; its compute units per
//! token are not zero; and its validation policy
//! has a conclusive margin and a fingerprint tolerance above zero (zero would call every honest
//! near tie or rounding a fraud). A minimum VRAM of zero is allowed, for
//! models that run on CPU. Registration and updates reject invalid models with
//! [`Error::InvalidName`] or [`Error::InvalidParams`].
//!
//! ### Invariants
//!
//! Checked by `Pallet::do_try_state` (the `try_state` hook, and after every test):
//!
//! - [`ModelIdByName`] and [`Models`] are a bijection: each model's name maps to its id, and each
//!   name maps to a model of that name.
//! - The number of models is at most [`Config::MaxModels`], and every id is below
//!   [`NextModelId`].
//! - Every stored model is valid (see above), and `registered_at <= updated_at <= now`.
//!
//! [`Hooks::integrity_test`](frame_support::traits::Hooks::integrity_test) checks that every bound
//! in [`Config`] is non-zero.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

mod impls;
pub mod types;
pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use daya_primitives::{ModelId, ModelStatus, ModelTerms};
pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

use polkadot_sdk::{frame_support, frame_system};

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::{boxed::Box, vec::Vec};
	use frame_support::{pallet_prelude::*, traits::fungible};
	use frame_system::pallet_prelude::*;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// Configuration of the model registry.
	#[pallet::config]
	// The supertrait is spelled out through `polkadot_sdk`, as the pallet macro requires when
	// `frame_system` comes from the umbrella crate.
	pub trait Config: polkadot_sdk::frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The currency in which prices are expressed; only its balance type is used.
		type Currency: fungible::Inspect<Self::AccountId>;

		/// The origin that may change the registry: register, update, reprice, deprecate and
		/// retire models.
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Maximum number of models ever registered (models are never deleted, retired ones
		/// included). Must not be zero.
		#[pallet::constant]
		type MaxModels: Get<u32>;

		/// Maximum length of a model's name, in bytes. Must not be zero.
		#[pallet::constant]
		type MaxNameLen: Get<u32>;

		/// Maximum length of a model's source, in bytes. Must not be zero.
		#[pallet::constant]
		type MaxSourceLen: Get<u32>;

		/// Maximum length of a model's engine hint, in bytes. Must not be zero.
		#[pallet::constant]
		type MaxEngineLen: Get<u32>;

		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
	}

	/// Every registered model, by id, retired ones included.
	///
	/// `Twox64Concat` is safe: ids are assigned sequentially by this pallet, never chosen by a
	/// user, so nobody can pick keys that unbalance the trie. At most [`Config::MaxModels`]
	/// entries.
	#[pallet::storage]
	pub type Models<T: Config> = CountedStorageMap<_, Twox64Concat, ModelId, ModelInfo<T>>;

	/// The id the next registered model gets. Ids are never reused.
	#[pallet::storage]
	pub type NextModelId<T> = StorageValue<_, ModelId, ValueQuery>;

	/// The id of each model, by its unique name.
	///
	/// `Blake2_128Concat` because names are chosen by the proposer of a registration. Exactly one
	/// entry per entry of [`Models`].
	#[pallet::storage]
	pub type ModelIdByName<T: Config> = StorageMap<_, Blake2_128Concat, ModelName<T>, ModelId>;

	/// The models registered at genesis, for a chain that serves models from its first block.
	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Registered in this order, as active, with ids 0, 1, ... and `registered_at` 0. Each
		/// must be valid and its name unique, as for [`Pallet::register_model`], and there may
		/// be at most [`Config::MaxModels`] of them.
		///
		/// In a chain spec's JSON, fields are camelCase (`pricePerToken`, `maxOutputTokens`),
		/// unknown fields are rejected, byte strings and hashes are arrays of numbers, and the
		/// validation policy is an object of integers (`conclusiveMarginMicro`, ...).
		pub models: Vec<ModelParams<T>>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		/// Registers the genesis models through the same checks as [`Pallet::register_model`].
		///
		/// Panics on the first one that fails them: a chain spec with an invalid model must not
		/// start a chain.
		fn build(&self) {
			for (index, params) in self.models.iter().enumerate() {
				if let Err(error) = Pallet::<T>::do_register_model(params.clone()) {
					let name = core::str::from_utf8(&params.name).unwrap_or("<not UTF-8>");
					panic!("genesis model {index} ({name:?}) cannot be registered: {error:?}");
				}
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A model was registered, as active.
		ModelRegistered {
			/// The id it got.
			model: ModelId,
			/// Its unique name.
			name: ModelName<T>,
			/// Its first version.
			version: u32,
		},
		/// A new version of a model replaced its spec.
		ModelUpdated {
			/// The model.
			model: ModelId,
			/// The new version.
			version: u32,
			/// The hash of the new version's weights.
			weights_hash: [u8; 32],
		},
		/// A model's price changed.
		PriceSet {
			/// The model.
			model: ModelId,
			/// The new price per token.
			price_per_token: BalanceOf<T>,
		},
		/// A model was deprecated: no new hosts, but it still takes jobs.
		ModelDeprecated {
			/// The model.
			model: ModelId,
		},
		/// A model was retired: it takes no new jobs.
		ModelRetired {
			/// The model.
			model: ModelId,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No model has this id.
		UnknownModel,
		/// Another model already has this name.
		NameTaken,
		/// The registry holds [`Config::MaxModels`] models already.
		TooManyModels,
		/// The name is empty, or holds a byte that is not printable ASCII (spaces included).
		InvalidName,
		/// The price or the spec is invalid (see "Validity of a model" in the crate docs).
		InvalidParams,
		/// An update must raise the model's version.
		VersionNotIncreased,
		/// The model is retired and can no longer change.
		ModelRetired,
		/// Only an active model can be deprecated.
		NotActive,
		/// The model is retired already.
		AlreadyRetired,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MaxModels::get() > 0, "MaxModels must not be zero");
			assert!(T::MaxNameLen::get() > 0, "MaxNameLen must not be zero");
			assert!(T::MaxSourceLen::get() > 0, "MaxSourceLen must not be zero");
			assert!(T::MaxEngineLen::get() > 0, "MaxEngineLen must not be zero");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(
			_n: BlockNumberFor<T>,
		) -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Register a new model, as active.
		///
		/// - Origin: [`Config::GovernanceOrigin`].
		/// - The model gets the next free id; its name must be unique.
		/// - Errors: [`Error::InvalidName`], [`Error::InvalidParams`], [`Error::NameTaken`],
		///   [`Error::TooManyModels`].
		/// - Event: [`Event::ModelRegistered`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_model())]
		pub fn register_model(origin: OriginFor<T>, params: Box<ModelParams<T>>) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_register_model(*params).map(|_| ())
		}

		/// Replace a model's spec with a new version.
		///
		/// - Origin: [`Config::GovernanceOrigin`].
		/// - The version must be above the current one; name, price and status do not change, so
		///   a deprecated model stays deprecated.
		/// - Errors: [`Error::InvalidParams`], [`Error::UnknownModel`], [`Error::ModelRetired`],
		///   [`Error::VersionNotIncreased`].
		/// - Event: [`Event::ModelUpdated`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::update_model())]
		pub fn update_model(
			origin: OriginFor<T>,
			model: ModelId,
			spec: Box<ModelSpec<T>>,
		) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_update_model(model, *spec)
		}

		/// Set a model's price per token. Jobs already submitted keep the price they escrowed.
		///
		/// - Origin: [`Config::GovernanceOrigin`].
		/// - Errors: [`Error::InvalidParams`] (zero price), [`Error::UnknownModel`],
		///   [`Error::ModelRetired`].
		/// - Event: [`Event::PriceSet`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::set_price())]
		pub fn set_price(
			origin: OriginFor<T>,
			model: ModelId,
			price_per_token: BalanceOf<T>,
		) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_set_price(model, price_per_token)
		}

		/// Deprecate an active model: it still takes jobs and its current hosts keep serving
		/// it, but no host may newly register to serve it.
		///
		/// - Origin: [`Config::GovernanceOrigin`].
		/// - Errors: [`Error::UnknownModel`], [`Error::NotActive`].
		/// - Event: [`Event::ModelDeprecated`].
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::deprecate_model())]
		pub fn deprecate_model(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_deprecate_model(model)
		}

		/// Retire an active or deprecated model: it takes no new jobs and no new hosts; jobs
		/// already under way finish. Final.
		///
		/// - Origin: [`Config::GovernanceOrigin`].
		/// - Errors: [`Error::UnknownModel`], [`Error::AlreadyRetired`].
		/// - Event: [`Event::ModelRetired`].
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::retire_model())]
		pub fn retire_model(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_retire_model(model)
		}
	}
}
