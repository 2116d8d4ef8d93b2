//! `pallet_authorship`: who authored the current block (collator rewards and, later, Daya's
//! block-level accounting).

use polkadot_sdk::*;

use crate::{Aura, CollatorSelection, Runtime};

impl pallet_authorship::Config for Runtime {
	type FindAuthor = pallet_session::FindAccountFromAuthorIndex<Self, Aura>;
	type EventHandler = (CollatorSelection,);
}
