//! # Daya's executor wire protocol
//!
//! A Daya host runs two processes: a node (`daya-node`), whose offchain worker finds the work
//! the chain assigned to the host, and an executor (`daya-executor`) next to its GPU, which runs
//! the models. This crate is what both sides (and the `daya` client) share, and nothing else:
//!
//! - [`wire`] (re-exported at the root): the JSON messages of the protocol, its [`VERSION`],
//!   and the rules both sides apply (how the sampler's per-position key derives from the job's,
//!   what a result's fingerprints cover, how a check's numbers become a judgement: [`judge`]);
//! - [`settings`]: the node-local offchain storage keys that tell a node's offchain worker where
//!   each host's executor listens, and the one order in which they apply;
//! - [`hex`]: hex as the project writes it;
//! - [`dev_model`]: the development model's name and hashes;
//! - [`smollm2`]: the real model the dev network serves: its name, file and hashes.
//!
//! The crate is `no_std` (the runtime's offchain worker uses it) and depends on no part of
//! Substrate.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod dev_model;
pub mod hex;
pub mod poc;
pub mod settings;
pub mod smollm2;
pub mod wire;

pub use wire::*;

/// BLAKE2b with a 32-byte output, no key: the hash the chain uses (`blake2_256`).
pub fn blake2_256(data: &[u8]) -> [u8; 32] {
	use blake2::{digest::consts::U32, Blake2b, Digest};
	Blake2b::<U32>::digest(data).into()
}

#[cfg(test)]
mod tests {
	#[test]
	fn blake2_256_is_the_chains() {
		// BLAKE2b-256 of the empty string.
		assert_eq!(
			crate::hex::to_hex(&super::blake2_256(b"")),
			"0x0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"
		);
	}
}
