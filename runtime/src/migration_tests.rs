//! The runtime's migrations, run by the executive as an upgrade runs them: the host registry's
//! records as the previous runtime (storage version 0) left them are rewritten, with their bonds
//! and everything else they hold intact; a chain already at version 1 is left alone.

use super::*;
use crate::tests::next_block;
use frame_support::traits::{fungible::InspectHold, GetStorageVersion, StorageVersion};
use pallet_daya_compute::{
	migrations::v1::{HostInfoV0, OldHosts},
	Capacity, HoldReason, Hosts,
};

#[test]
fn a_new_chain_is_at_the_current_storage_version() {
	crate::tests::preset_ext("local_testnet").execute_with(|| {
		assert_eq!(Compute::on_chain_storage_version(), 1);
		let hosts: Vec<_> = Hosts::<Runtime>::iter().collect();
		let weight = Executive::execute_on_runtime_upgrade();
		assert!(weight.ref_time() > 0);
		assert_eq!(Hosts::<Runtime>::iter().collect::<Vec<_>>(), hosts, "nothing rewritten");
	});
}

#[test]
fn the_upgrade_rewrites_the_hosts_of_a_chain_at_version_0() {
	crate::tests::preset_ext("local_testnet").execute_with(|| {
		next_block();
		let hosts: Vec<_> = Hosts::<Runtime>::iter().collect();
		assert!(hosts.len() >= 2, "the local preset registers hosts");
		// The previous runtime's layout: the weight, then the proven flag after the block of
		// registration.
		for (who, info) in &hosts {
			assert!(matches!(info.capacity, Capacity::Declared(_)));
			OldHosts::<Runtime>::insert(who, HostInfoV0::from(info.clone()));
		}
		StorageVersion::new(0).put::<Compute>();

		Executive::execute_on_runtime_upgrade();

		assert_eq!(Compute::on_chain_storage_version(), 1);
		assert_eq!(Hosts::<Runtime>::iter().collect::<Vec<_>>(), hosts);
		for (who, info) in &hosts {
			assert_eq!(Balances::balance_on_hold(&HoldReason::HostBond.into(), who), info.bond);
		}
		Compute::do_try_state().expect("the registry's invariants hold after the upgrade");
		Inference::do_try_state().expect("the job market's invariants hold after the upgrade");
		// The chain goes on.
		next_block();
		assert_eq!(Hosts::<Runtime>::iter().collect::<Vec<_>>(), hosts);
	});
}

#[test]
fn the_upgrade_runs_each_migration_once() {
	crate::tests::preset_ext("local_testnet").execute_with(|| {
		let hosts: Vec<_> = Hosts::<Runtime>::iter().collect();
		for (who, info) in &hosts {
			OldHosts::<Runtime>::insert(who, HostInfoV0::from(info.clone()));
		}
		StorageVersion::new(0).put::<Compute>();
		Executive::execute_on_runtime_upgrade();
		// A second upgrade (the next runtime's) finds version 1 and leaves the records alone.
		Executive::execute_on_runtime_upgrade();
		assert_eq!(Hosts::<Runtime>::iter().collect::<Vec<_>>(), hosts);
	});
}
