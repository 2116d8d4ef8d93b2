//! Property tests: random sequences of submissions, results, verdicts, cancellations and blocks,
//! by honest and dishonest hosts, with the invariants checked and no funds created or lost
//! after every step.

use crate::{mock::*, *};
use polkadot_sdk::{
	frame_support::traits::fungible::{Inspect, InspectHold},
	sp_runtime::Perbill,
};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Action {
	/// A consumer (by index) submits a job with a payload of this many bytes and this many
	/// output tokens at most.
	Submit { consumer: usize, len: usize, max_output: u32 },
	/// The executor of the n-th open job delivers, with this many completion tokens.
	Deliver { job: usize, completion: u32 },
	/// A pending validator of the n-th open job judges its result: valid from 90 up, a fault
	/// below.
	Verdict { job: usize, similarity: u32 },
	/// The consumer of the n-th open job cancels it.
	Cancel { job: usize },
	/// Blocks pass.
	Advance { blocks: u64 },
	/// A host chills or unchills.
	Toggle { host: usize },
}

fn action() -> impl Strategy<Value = Action> {
	prop_oneof![
		3 => (0..3usize, 0..70usize, 0..140u32)
			.prop_map(|(consumer, len, max_output)| Action::Submit { consumer, len, max_output }),
		3 => (0..16usize, 0..30u32).prop_map(|(job, completion)| Action::Deliver { job, completion }),
		3 => (0..16usize, 0..=100u32).prop_map(|(job, similarity)| Action::Verdict { job, similarity }),
		1 => (0..16usize).prop_map(|job| Action::Cancel { job }),
		2 => (1..8u64).prop_map(|blocks| Action::Advance { blocks }),
		1 => (0..5usize).prop_map(|host| Action::Toggle { host }),
	]
}

const CONSUMERS: [AccountId; 3] = [CONSUMER, CONSUMER_2, ALICE];
const HOSTS: [AccountId; 5] = [ALICE, BOB, CHARLIE, DAVE, EVE];

fn nth_job(n: usize) -> Option<(JobId, Job<Test>)> {
	let mut jobs: Vec<_> = Jobs::<Test>::iter().collect();
	jobs.sort_by_key(|(id, _)| *id);
	if jobs.is_empty() {
		return None;
	}
	let index = n % jobs.len();
	jobs.into_iter().nth(index)
}

fn apply(action: &Action) {
	// Every call either succeeds or fails with a named error; both are fine here, the
	// invariants are what is checked.
	let _ = match action {
		Action::Submit { consumer, len, max_output } => Inference::submit_job(
			RuntimeOrigin::signed(CONSUMERS[*consumer]),
			0,
			vec![b'x'; (*len).min(MaxPayloadLen::get() as usize)].try_into().unwrap(),
			*max_output,
			PRICE,
			JobParams::default(),
		),
		Action::Deliver { job, completion } => match nth_job(*job) {
			// An unassigned job's "executor" is its consumer: always refused.
			Some((id, job)) => Inference::submit_result(
				RuntimeOrigin::signed(job.executor.unwrap_or(job.consumer)),
				id,
				result("out", job.prompt_tokens.min(3), *completion),
			)
			.map(|_| ())
			.map_err(|e| e.error),
			None => Ok(()),
		},
		Action::Verdict { job, similarity } => match nth_job(*job) {
			Some((id, job)) => {
				let validator = HOSTS.into_iter().find(|host| job.awaits_verdict_from(host));
				match validator {
					Some(validator) => Inference::submit_verdict(
						RuntimeOrigin::signed(validator),
						id,
						if *similarity >= 90 {
							Judgement::Valid
						} else {
							Judgement::Invalid(Fault::Truncated { position: *similarity })
						},
						// A pass without a probe now and then: refused where one is owed.
						(*similarity % 7 != 0).then_some(Fingerprint::default()),
					)
					.map(|_| ())
					.map_err(|e| e.error),
					None => Ok(()),
				}
			},
			None => Ok(()),
		},
		Action::Cancel { job } => match nth_job(*job) {
			Some((id, job)) => Inference::cancel_job(RuntimeOrigin::signed(job.consumer), id),
			None => Ok(()),
		},
		Action::Advance { blocks } => {
			run_to_block(System::block_number() + blocks);
			Ok(())
		},
		Action::Toggle { host } => {
			let who = HOSTS[*host];
			Compute::chill(RuntimeOrigin::signed(who))
				.or_else(|_| Compute::unchill(RuntimeOrigin::signed(who)))
		},
	};
}

proptest! {
	#![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

	#[test]
	fn random_sequences_keep_the_invariants_and_the_money(
		actions in proptest::collection::vec(action(), 1..60),
		rate in 0..=100u32,
		per_host in 1..=4u32,
		slow_hooks in proptest::bool::ANY,
	) {
		ExtBuilder::default()
			.with_hosts()
			.sample_rate(Perbill::from_percent(rate))
			.build_and_execute(|| {
				// Hosts fill up: draws skip them and wait.
				MaxOpenJobsPerHost::set(&per_host);
				// The least the hook may have: deadlines and draws wait for later blocks.
				if slow_hooks {
					MaxHookWeight::set(
						&(Inference::hook_base_weight()
							+ Inference::time_out_bound()
							+ Inference::draw_weight()),
					);
				}
				let issuance = Balances::total_issuance();
				let accounts: Vec<AccountId> =
					vec![ALICE, BOB, CHARLIE, DAVE, EVE, CONSUMER, CONSUMER_2, TREASURY];
				let total = |accounts: &[AccountId]| -> Balance {
					accounts.iter().map(Balances::total_balance).sum()
				};
				let before = total(&accounts);
				for action in &actions {
					apply(action);
					Inference::do_try_state().map_err(|e| format!("{action:?}: {e:?}")).unwrap();
					assert_eq!(Balances::total_issuance(), issuance, "after {action:?}");
					// Money only moves between these accounts.
					assert_eq!(total(&accounts), before, "after {action:?}");
				}
				// Drain: every job ends, and every escrow is released.
				run_to_block(System::block_number() + 60);
				assert_eq!(Jobs::<Test>::count(), 0);
				assert_eq!(WorkOf::<Test>::iter().count(), 0, "no host keeps an ended job");
				for who in CONSUMERS {
					assert_eq!(
						Balances::balance_on_hold(
							&RuntimeHoldReason::Inference(HoldReason::JobEscrow),
							&who
						),
						0
					);
				}
				Inference::do_try_state().unwrap();
			});
	}
}
