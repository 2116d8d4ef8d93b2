//! # Daya's offchain worker
//!
//! A Daya host runs two processes: a collator or full node (`daya-node`) and an executor
//! (`daya-executor`) next to its GPU. This crate joins them.
//!
//! - [`runner`]: what the job market's `offchain_worker` hook runs on every imported block. For
//!   each host key of key type [`KEY_TYPE`] in the node's keystore it finds the work assigned
//!   to that host (jobs to execute, results to validate), reads the prompt from the offchain
//!   index, hands it to the host's executor, polls for the result across blocks and sends
//!   `submit_result` / `submit_verdict` as a transaction signed by the host key.
//!
//! The wire protocol it speaks with executors, and the node-local settings it reads (which an
//! operator sets through the node's `offchain_localStorageSet` RPC, with `daya host
//! set-executor`), are `daya-protocol`'s, which the executor and the client share.
//!
//! The crate is `no_std` (it runs inside the runtime's offchain worker) with a `std` feature.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod poc;
pub mod runner;

use polkadot_sdk::sp_core::crypto::KeyTypeId;

/// Key type of a host's key in a node's keystore: `daya`.
///
/// A host inserts the secret of its host account (the account that registered with
/// `register_host`) under this key type; the offchain worker signs its results with it.
pub const KEY_TYPE: KeyTypeId = KeyTypeId(*b"daya");

/// The host key: sr25519 application crypto under [`KEY_TYPE`].
pub mod crypto {
	use polkadot_sdk::sp_application_crypto::{app_crypto, sr25519};
	app_crypto!(sr25519, super::KEY_TYPE);
}
