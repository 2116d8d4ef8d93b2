//! The origins of OpenGov's tracks other than root, and how fast the tracks run on this chain.
//!
//! A referendum on the model-registry track that passes dispatches its call with
//! [`Origin::ModelRegistry`], which the model registry accepts ([`super::super::GovernanceOrigin`]);
//! one on the treasury track, with [`Origin::Treasurer`], which may spend from the treasury.

pub use pallet_custom_origins::*;

#[polkadot_sdk::frame_support::pallet]
pub mod pallet_custom_origins {
	use polkadot_sdk::{frame_support::pallet_prelude::*, *};

	#[pallet::config]
	pub trait Config: polkadot_sdk::frame_system::Config {}

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// The origins a passing referendum dispatches with, one per track (root's is `Root`).
	#[derive(
		PartialEq, Eq, Clone, MaxEncodedLen, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug,
	)]
	#[pallet::origin]
	pub enum Origin {
		/// The model-registry track: register, update, reprice, deprecate and retire models.
		ModelRegistry,
		/// The treasury track: spend from the treasury.
		Treasurer,
	}

	/// How many times faster than their nominal lengths the tracks' periods run on this chain:
	/// 1 on a production chain; the dev and local presets set more, so that a referendum
	/// passes in minutes. Set at genesis only.
	#[pallet::storage]
	pub type Speedup<T> = StorageValue<_, u32, ValueQuery, ConstU32<1>>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// [`Speedup`]; 0 or absent means 1.
		pub speedup: u32,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			Speedup::<T>::put(self.speedup.max(1));
		}
	}

	macro_rules! decl_ensure {
		($( $name:ident => $variant:ident ),* $(,)?) => {$(
			#[doc = concat!("Passes for [`Origin::", stringify!($variant), "`] only.")]
			pub struct $name;
			impl<O: OriginTrait + From<Origin>> EnsureOrigin<O> for $name
			where
				for<'a> &'a O::PalletsOrigin: TryInto<&'a Origin>,
			{
				type Success = ();
				fn try_origin(o: O) -> Result<Self::Success, O> {
					match o.caller().try_into() {
						Ok(Origin::$variant) => return Ok(()),
						_ => (),
					}
					Err(o)
				}
				#[cfg(feature = "runtime-benchmarks")]
				fn try_successful_origin() -> Result<O, ()> {
					Ok(O::from(Origin::$variant))
				}
			}
		)*};
	}

	decl_ensure! {
		ModelRegistry => ModelRegistry,
		Treasurer => Treasurer,
	}
}
