//! Types of the model registry: what a model is, and what governance passes in to change it.

// The logic is held to the runtime's lint discipline; the FRAME macros in `lib.rs` are not.
#![deny(
	clippy::arithmetic_side_effects,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::unwrap_used
)]

use crate::Config;
use daya_primitives::{ModelStatus, ModelTerms, ModelView, ValidationPolicy};
use polkadot_sdk::{
	frame_support::{pallet_prelude::*, traits::fungible},
	frame_system::{self, pallet_prelude::BlockNumberFor},
	sp_runtime::serde::{Deserialize, Serialize},
};

/// The balance type of [`Config::Currency`], in which prices are expressed.
pub type BalanceOf<T> =
	<<T as Config>::Currency as fungible::Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// A model's unique name, e.g. `llama-3.1-8b-instruct`: printable ASCII, without spaces.
pub type ModelName<T> = BoundedVec<u8, <T as Config>::MaxNameLen>;

/// Where executors fetch a model's weights from, e.g. `hf://org/name@commit`.
pub type ModelSource<T> = BoundedVec<u8, <T as Config>::MaxSourceLen>;

/// A hint of which inference engine runs a model, e.g. `llama`; empty lets executors decide.
pub type EngineHint<T> = BoundedVec<u8, <T as Config>::MaxEngineLen>;

/// The technical description of one version of a model: what executors load and run, and the
/// limits and costs jobs are checked against.
///
/// Passed whole to `update_model`, which replaces a model's spec with a newer version.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
	Serialize,
	Deserialize,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound(T: Config))]
// Genesis models are given in the chain spec as JSON; `T` itself needs no serde.
#[serde(crate = "polkadot_sdk::sp_runtime::serde", bound = "", rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct ModelSpec<T: Config> {
	/// Version of the model; every update must raise it.
	pub version: u32,
	/// Hash of the weights; never all zeroes.
	pub weights_hash: [u8; 32],
	/// Hash of the tokenizer, which fixes how tokens are counted and therefore charged.
	pub tokenizer_hash: [u8; 32],
	/// Where executors fetch the weights from; never empty.
	pub source: ModelSource<T>,
	/// Which inference engine should run the model; may be empty.
	pub engine: EngineHint<T>,
	/// Maximum number of tokens (prompt plus output) of one job; never zero.
	pub context_length: u32,
	/// Maximum number of output tokens one job may ask for; between 1 and `context_length`.
	pub max_output_tokens: u32,
	/// The most bytes one output token adds to a result's text: the longest decoding of a
	/// single vocabulary token (a token that is not whole UTF-8 text decodes to replacement
	/// characters, 3 bytes each); never zero. A result's text is at most its token count times
	/// this (`daya-executor spec` measures it).
	pub max_token_bytes: u32,
	/// Minimum accelerator memory, in MiB, to serve the model; zero for models that run on CPU.
	pub min_vram_mib: u32,
	/// Abstract compute cost of one token, weighing jobs against hosts' proven capacity; never
	/// zero.
	pub compute_units_per_token: u32,
	/// How validators judge the model's results; a valid policy
	/// ([`ValidationPolicy::is_valid`]).
	pub validation: ValidationPolicy,
}

/// Everything governance decides when it registers a model, and what the chain spec gives for
/// each model registered at genesis.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
	Serialize,
	Deserialize,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound(T: Config))]
// Genesis models are given in the chain spec as JSON; `T` itself needs no serde.
#[serde(crate = "polkadot_sdk::sp_runtime::serde", bound = "", rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct ModelParams<T: Config> {
	/// Unique name; fixed for the model's whole life.
	pub name: ModelName<T>,
	/// Price per token, in the smallest unit of the currency; never zero.
	pub price_per_token: BalanceOf<T>,
	/// The first version of the model.
	pub spec: ModelSpec<T>,
}

/// A registered model, as stored in [`crate::Models`].
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound(T: Config))]
pub struct ModelInfo<T: Config> {
	/// Unique name, also the key of [`crate::ModelIdByName`].
	pub name: ModelName<T>,
	/// Price per token, in the smallest unit of the currency.
	pub price_per_token: BalanceOf<T>,
	/// The current version.
	pub spec: ModelSpec<T>,
	/// Where the model is in its life cycle.
	pub status: ModelStatus,
	/// Block in which the model was registered.
	pub registered_at: BlockNumberFor<T>,
	/// Block of the last change to the model (registration, update, price or status).
	pub updated_at: BlockNumberFor<T>,
}

impl<T: Config> ModelInfo<T> {
	/// The terms other pallets serve the model under.
	pub fn terms(&self) -> ModelTerms<BalanceOf<T>> {
		ModelTerms {
			price_per_token: self.price_per_token,
			compute_units_per_token: self.spec.compute_units_per_token,
			validation: self.spec.validation,
			min_vram_mib: self.spec.min_vram_mib,
			context_length: self.spec.context_length,
			max_output_tokens: self.spec.max_output_tokens,
			max_token_bytes: self.spec.max_token_bytes,
			weights_hash: self.spec.weights_hash,
			version: self.spec.version,
		}
	}

	/// The model as the runtime API shows it: the same fields, with plain vectors in place of
	/// bounded ones.
	pub fn view(&self) -> ModelView<BalanceOf<T>, BlockNumberFor<T>> {
		let spec = &self.spec;
		ModelView {
			name: self.name.to_vec(),
			price_per_token: self.price_per_token,
			version: spec.version,
			weights_hash: spec.weights_hash,
			tokenizer_hash: spec.tokenizer_hash,
			source: spec.source.to_vec(),
			engine: spec.engine.to_vec(),
			context_length: spec.context_length,
			max_output_tokens: spec.max_output_tokens,
			max_token_bytes: spec.max_token_bytes,
			min_vram_mib: spec.min_vram_mib,
			compute_units_per_token: spec.compute_units_per_token,
			validation: spec.validation,
			status: self.status,
			registered_at: self.registered_at,
			updated_at: self.updated_at,
		}
	}
}

/// Worst-case inputs for benchmarks: every bounded field at its maximum length.
#[cfg(feature = "runtime-benchmarks")]
pub(crate) mod bench {
	use super::*;
	use alloc::vec::Vec;

	/// A valid name of `T::MaxNameLen` bytes that differs for each `seed` (as long as the bound
	/// leaves room for the seed's eight hex digits).
	pub fn name<T: Config>(seed: u32) -> ModelName<T> {
		let len = T::MaxNameLen::get() as usize;
		let mut name: Vec<u8> = Vec::with_capacity(len);
		name.resize(len.saturating_sub(8), b'm');
		for shift in [28u32, 24, 20, 16, 12, 8, 4, 0] {
			// A nibble is below 16, so the index is always in the table.
			let nibble = seed.checked_shr(shift).unwrap_or(0) & 0xf;
			let digit = b"0123456789abcdef".get(nibble as usize).copied().unwrap_or(b'0');
			if name.len() < len {
				name.push(digit);
			}
		}
		BoundedVec::truncate_from(name)
	}

	/// A valid spec of the given version with the longest source and engine hint.
	pub fn spec<T: Config>(version: u32) -> ModelSpec<T> {
		let source_len = T::MaxSourceLen::get() as usize;
		let engine_len = T::MaxEngineLen::get() as usize;
		ModelSpec {
			version,
			weights_hash: [0xab; 32],
			tokenizer_hash: [0xcd; 32],
			source: BoundedVec::truncate_from(alloc::vec![b's'; source_len]),
			engine: BoundedVec::truncate_from(alloc::vec![b'e'; engine_len]),
			context_length: 131_072,
			max_output_tokens: 8_192,
			max_token_bytes: u32::MAX,
			min_vram_mib: 24_576,
			compute_units_per_token: 1_000,
			validation: ValidationPolicy {
				conclusive_margin_micro: 100_000,
				near_ties_base: 2,
				near_ties_per_kilo: 4,
				fingerprint_tolerance_ppm: 2_000,
			},
		}
	}

	/// Valid registration parameters with every bounded field at its maximum length.
	pub fn params<T: Config>(seed: u32) -> ModelParams<T> {
		ModelParams { name: name::<T>(seed), price_per_token: 1_000u32.into(), spec: spec::<T>(1) }
	}
}
