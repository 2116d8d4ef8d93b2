//! OpenGov's tracks: root, the model registry, the treasury.
//!
//! Periods are nominal lengths (6-second blocks) divided by the chain's
//! [`Speedup`], never below one block.

use polkadot_sdk::*;

use alloc::borrow::Cow;
use pallet_referenda::{Curve, Track, TrackInfo};
use sp_runtime::{str_array as s, Perbill};

use super::origins::{Origin, Speedup};
use crate::{Balance, BlockNumber, Runtime, DAYS, HOURS, MINUTES, UNIT};

/// A track's identifier.
pub type TrackId = u16;

/// Root: runtime upgrades and parameters.
pub const ROOT: TrackId = 0;
/// The model registry: register, update, reprice, deprecate, retire.
pub const MODEL_REGISTRY: TrackId = 1;
/// The treasury: spends.
pub const TREASURER: TrackId = 2;

const fn linear(floor: u32, ceil: u32) -> Curve {
	Curve::LinearDecreasing {
		length: Perbill::from_percent(100),
		floor: Perbill::from_percent(floor),
		ceil: Perbill::from_percent(ceil),
	}
}

/// The tracks at their nominal lengths.
const TRACKS: [Track<TrackId, Balance, BlockNumber>; 3] = [
	Track {
		id: ROOT,
		info: TrackInfo {
			name: s("root"),
			// One runtime change at a time.
			max_deciding: 1,
			decision_deposit: 10_000 * UNIT,
			prepare_period: 2 * HOURS,
			decision_period: 14 * DAYS,
			confirm_period: DAYS,
			min_enactment_period: DAYS,
			// Ayes from 100% of the votes down to 50%, turnout from 50% of the issuance down to
			// 1%, over the decision period.
			min_approval: linear(50, 100),
			min_support: linear(1, 50),
		},
	},
	Track {
		id: MODEL_REGISTRY,
		info: TrackInfo {
			name: s("model_registry"),
			max_deciding: 10,
			decision_deposit: 100 * UNIT,
			prepare_period: HOURS,
			decision_period: 3 * DAYS,
			confirm_period: 3 * HOURS,
			// Jobs open at an update keep the version they were bought for: an update may take
			// effect soon after it is decided.
			min_enactment_period: 10 * MINUTES,
			min_approval: linear(50, 100),
			min_support: linear(1, 20),
		},
	},
	Track {
		id: TREASURER,
		info: TrackInfo {
			name: s("treasurer"),
			max_deciding: 10,
			decision_deposit: 1_000 * UNIT,
			prepare_period: 2 * HOURS,
			decision_period: 7 * DAYS,
			confirm_period: DAYS,
			min_enactment_period: DAYS,
			min_approval: linear(50, 100),
			min_support: linear(1, 50),
		},
	},
];

/// Daya's tracks, at this chain's speed.
pub struct TracksInfo;

impl pallet_referenda::TracksInfo<Balance, BlockNumber> for TracksInfo {
	type Id = TrackId;
	type RuntimeOrigin =
		<crate::RuntimeOrigin as frame_support::traits::OriginTrait>::PalletsOrigin;

	fn tracks() -> impl Iterator<Item = Cow<'static, Track<Self::Id, Balance, BlockNumber>>> {
		let speedup = Speedup::<Runtime>::get().max(1);
		let fast = move |period: BlockNumber| (period / speedup).max(1);
		TRACKS.iter().map(move |track| {
			if speedup == 1 {
				return Cow::Borrowed(track);
			}
			let mut track = track.clone();
			let info = &mut track.info;
			info.prepare_period = fast(info.prepare_period);
			info.decision_period = fast(info.decision_period);
			info.confirm_period = fast(info.confirm_period);
			info.min_enactment_period = fast(info.min_enactment_period);
			Cow::Owned(track)
		})
	}

	fn track_for(origin: &Self::RuntimeOrigin) -> Result<Self::Id, ()> {
		if let Ok(system) = frame_system::RawOrigin::try_from(origin.clone()) {
			return match system {
				frame_system::RawOrigin::Root => Ok(ROOT),
				_ => Err(()),
			};
		}
		match Origin::try_from(origin.clone()) {
			Ok(Origin::ModelRegistry) => Ok(MODEL_REGISTRY),
			Ok(Origin::Treasurer) => Ok(TREASURER),
			Err(_) => Err(()),
		}
	}
}
