//! Per-block randomness that no block author can choose, read once per block.
//!
//! A parachain block's author knows the relay chain's randomness of the relay parent it builds
//! on before it picks the block's transactions, so a draw that uses the randomness of the same
//! block as its subject (a job submitted, a result delivered, an accusation made) could be steered
//! by reordering or dropping transactions. Daya's draws therefore follow one rule: **a draw about
//! something that happened while the seed of relay block `r` was current uses the seed of a
//! relay block after `r`**. Consumers queue a draw tagged with [`BlockSeed::relay_block`] of the
//! current seed and run it once [`BlockRandomness::seed`] comes from a later relay block
//! ([`BlockSeed::is_after`]).

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// Where a block's seed came from.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
)]
pub enum SeedSource {
	/// The relay chain's per-block randomness: the BABE VRF output of the relay parent, read
	/// from the relay state proof the block's inherent carries.
	RelayVrf,
	/// The relay state proof carries no per-block randomness (a dev chain, whose mocked relay
	/// data has none): the parent block's hash stands in. Its author chose it, so draws on such
	/// a chain are as fair as its one author; never a production configuration.
	ParentHash,
}

/// The randomness of one block, read after its inherents.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
)]
pub struct BlockSeed<BlockNumber> {
	/// 32 bytes of randomness: BLAKE2-256 of the source's randomness and the relay block.
	pub seed: [u8; 32],
	/// The parachain block in which it was read.
	pub block: BlockNumber,
	/// The relay parent's number (the parachain block's number where there is no relay chain).
	pub relay_block: u32,
	/// Where it came from.
	pub source: SeedSource,
}

impl<BlockNumber> BlockSeed<BlockNumber> {
	/// Whether this seed may decide a draw tagged `after`: it comes from a later relay block.
	pub fn is_after(&self, after: u32) -> bool {
		self.relay_block > after
	}

	/// 32 bytes for one draw: the seed mixed with what the draw is about (a domain, a subject,
	/// an index), so that draws of one block are independent.
	pub fn draw(&self, subject: &[u8]) -> [u8; 32] {
		polkadot_sdk::sp_io::hashing::blake2_256(&(self.seed, subject).encode())
	}
}

/// The current block's randomness, for draws (see the module docs for the rule they follow).
pub trait BlockRandomness<BlockNumber> {
	/// The current seed: this block's once its inherents are applied, the previous block's
	/// before (in `on_initialize`); `None` before the chain's first seed.
	fn seed() -> Option<BlockSeed<BlockNumber>>;
}

impl<BlockNumber> BlockRandomness<BlockNumber> for () {
	fn seed() -> Option<BlockSeed<BlockNumber>> {
		None
	}
}
