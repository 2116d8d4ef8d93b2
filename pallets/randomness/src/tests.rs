//! The seed follows the relay parent's randomness, or the parent hash without it.

use crate::{mock::*, BlockSeed, RelayParent, Seed, SeedSource};
use daya_primitives::BlockRandomness;
use polkadot_sdk::{
	frame_support::traits::{Hooks, PostInherents},
	sp_core::H256,
};

/// The seed of block `n`, with parent hash `parent`, built on the relay parent `relay`, once its
/// inherents are applied.
fn seed_of(n: u64, parent: H256, relay: Option<RelayParent>) -> BlockSeed<u64> {
	let mut ext = new_test_ext();
	ext.execute_with(|| {
		assert_eq!(Randomness::seed(), None, "no seed before the first block's inherents");
		set_relay(relay);
		System::set_block_number(n - 1);
		System::initialize(&n, &parent, &Default::default());
		Randomness::on_initialize(n);
		<Test as polkadot_sdk::frame_system::Config>::PostInherents::post_inherents();
		Randomness::do_try_state(n).expect("invariants hold");
		Seed::<Test>::get().expect("a seed")
	})
}

fn relay(number: u32, randomness: Option<[u8; 32]>) -> Option<RelayParent> {
	Some(RelayParent { number, randomness })
}

#[test]
fn the_seed_is_the_relay_parents_randomness() {
	let first = seed_of(2, H256::repeat_byte(9), relay(100, Some([1; 32])));
	assert_eq!((first.block, first.relay_block, first.source), (2, 100, SeedSource::RelayVrf));

	// Another parent hash (other transactions in the block before) changes nothing: the
	// parachain's authors cannot steer the seed.
	assert_eq!(seed_of(2, H256::repeat_byte(10), relay(100, Some([1; 32]))), first);

	// Another relay randomness changes it.
	assert_ne!(seed_of(2, H256::repeat_byte(9), relay(100, Some([2; 32]))).seed, first.seed);

	// A later relay parent is "after" the first seed, the same one is not.
	let second = seed_of(3, H256::repeat_byte(11), relay(101, Some([3; 32])));
	assert!(second.is_after(first.relay_block));
	assert!(!first.is_after(first.relay_block));
	assert_ne!(second.draw(b"x"), second.draw(b"y"), "draws of one seed are independent");
}

#[test]
fn without_relay_randomness_the_parent_hash_stands_in() {
	let seed = seed_of(2, H256::repeat_byte(1), relay(1_000, None));
	assert_eq!((seed.relay_block, seed.source), (1_000, SeedSource::ParentHash));
	assert_ne!(seed_of(2, H256::repeat_byte(2), relay(1_000, None)).seed, seed.seed);

	// Without any relay data, the block number counts as the relay block.
	let seed = seed_of(7, H256::repeat_byte(3), None);
	assert_eq!((seed.block, seed.relay_block, seed.source), (7, 7, SeedSource::ParentHash));
}

#[test]
fn the_seed_is_refreshed_every_block() {
	new_test_ext().execute_with(|| {
		for (n, number) in [(2u64, 10u32), (3, 11), (4, 11)] {
			set_relay(relay(number, Some([n as u8; 32])));
			System::initialize(&n, &H256::repeat_byte(n as u8), &Default::default());
			<Test as polkadot_sdk::frame_system::Config>::PostInherents::post_inherents();
			let seed = Randomness::seed().expect("a seed");
			assert_eq!((seed.block, seed.relay_block), (n, number));
		}
	});
}
