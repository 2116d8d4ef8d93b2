//! The products' threads. Decoding one token runs about a hundred products of tens of
//! microseconds each, with small serial work between them (norms, attention, the sampler): a
//! pool whose threads sleep between jobs (rayon's) pays a wake-up, tens of microseconds on a
//! virtual machine, for each. Here the caller takes part in its own job and helpers wait for
//! the next job spinning, yielding the core to any other runnable thread, for [`SPIN`] before
//! they sleep; a job is handed over through one atomic counter.
//!
//! Which thread computes a chunk never changes its result: a product's outputs are the same
//! bits whoever computes them.

use std::{
	panic::{catch_unwind, resume_unwind, AssertUnwindSafe},
	sync::{
		atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
		Arc, Condvar, Mutex, OnceLock,
	},
	time::{Duration, Instant},
};

/// How long a helper waits for the next job awake before it sleeps: longer than the serial work
/// between two products of a decoding step, short enough that an idle executor sleeps.
const SPIN: Duration = Duration::from_micros(2000);

/// Spins between two yields of the core.
const SPINS_PER_YIELD: usize = 64;

/// One job: `chunks` calls of `work`, claimed by whoever is free a run of them at a time: a
/// share of what is left (halved per thread), one at the end. A decoding step's products have
/// thousands of chunks of about a microsecond: claiming them one by one, each claim and each
/// finish moved the counters' cache line from core to core.
struct Job {
	/// The caller's work, its lifetime erased: called only for chunks claimed below `chunks`,
	/// every one of which has finished before [`Pool::run`] returns.
	work: *const (dyn Fn(usize) + Sync),
	chunks: usize,
	/// Twice the threads taking part: a claim takes `1 / shares` of the chunks left.
	shares: usize,
	next: AtomicUsize,
	finished: AtomicUsize,
	/// A panic in a helper's chunk, raised again in the caller.
	panic: Mutex<Option<Box<dyn std::any::Any + Send>>>,
}

// SAFETY: `work` points to a `Sync` closure that outlives every call made through it (see
// `Job::work`); the rest is atomics and a mutex.
unsafe impl Send for Job {}
// SAFETY: as above.
unsafe impl Sync for Job {}

impl Job {
	/// Claims and runs chunks until none is left.
	fn work_on(&self) {
		let mut ran = 0;
		loop {
			let left = self.chunks.saturating_sub(self.next.load(Ordering::Relaxed));
			let take = (left / self.shares).max(1);
			let first = self.next.fetch_add(take, Ordering::Relaxed);
			if first >= self.chunks {
				break;
			}
			for i in first..(first + take).min(self.chunks) {
				// SAFETY: chunk `i < chunks` is claimed once, and the caller waits for every
				// such chunk to finish before its closure goes out of scope.
				let done = catch_unwind(AssertUnwindSafe(|| unsafe { (*self.work)(i) }));
				if let Err(panic) = done {
					if let Ok(mut slot) = self.panic.lock() {
						slot.get_or_insert(panic);
					}
				}
				ran += 1;
			}
		}
		self.finished.fetch_add(ran, Ordering::Release);
	}
}

/// What the caller and its helpers share.
struct Shared {
	/// The job under way, if any.
	job: Mutex<Option<Arc<Job>>>,
	/// Bumped with every job: what spinning helpers watch.
	epoch: AtomicU64,
	/// Sleeping helpers wait here.
	wake: Condvar,
	/// Helpers asleep.
	sleeping: AtomicUsize,
	/// A caller's job is under way: another caller runs its job alone.
	busy: AtomicBool,
}

/// The caller and `helpers` other threads.
pub(crate) struct Pool {
	shared: Arc<Shared>,
	helpers: usize,
}

impl Pool {
	/// The pool of the process: as many threads in all as rayon's (`RAYON_NUM_THREADS`, else
	/// the cores), the caller being one.
	pub(crate) fn global() -> &'static Pool {
		static POOL: OnceLock<Pool> = OnceLock::new();
		POOL.get_or_init(|| Pool::new(rayon::current_num_threads().saturating_sub(1)))
	}

	fn new(helpers: usize) -> Pool {
		let shared = Arc::new(Shared {
			job: Mutex::new(None),
			epoch: AtomicU64::new(0),
			wake: Condvar::new(),
			sleeping: AtomicUsize::new(0),
			busy: AtomicBool::new(false),
		});
		let mut started = 0;
		for i in 0..helpers {
			let shared = shared.clone();
			let spawned = std::thread::Builder::new()
				.name(format!("daya-kernels-{i}"))
				.spawn(move || help(&shared));
			// A thread the system refuses is a helper less, never an error: the caller can do
			// every chunk.
			if spawned.is_ok() {
				started += 1;
			}
		}
		Pool { shared, helpers: started }
	}

	/// Calls `work(i)` for every `i < chunks`, on this thread and the helpers, and returns when
	/// every call has returned (raising a call's panic here).
	pub(crate) fn run(&self, chunks: usize, work: &(dyn Fn(usize) + Sync)) {
		if self.helpers == 0 || chunks < 2 || self.shared.busy.swap(true, Ordering::Acquire) {
			(0..chunks).for_each(work);
			return;
		}
		// SAFETY (of the transmute): only the lifetime is erased; `Job::work` says why no call
		// outlives `work`.
		let work: *const (dyn Fn(usize) + Sync) = unsafe {
			std::mem::transmute::<&(dyn Fn(usize) + Sync), &'static (dyn Fn(usize) + Sync)>(work)
		};
		let job = Arc::new(Job {
			work,
			chunks,
			shares: 2 * (self.helpers + 1),
			next: AtomicUsize::new(0),
			finished: AtomicUsize::new(0),
			panic: Mutex::new(None),
		});
		{
			let mut slot = self.shared.job.lock().unwrap_or_else(|e| e.into_inner());
			*slot = Some(job.clone());
			self.shared.epoch.fetch_add(1, Ordering::Release);
			if self.shared.sleeping.load(Ordering::Relaxed) > 0 {
				self.shared.wake.notify_all();
			}
		}
		job.work_on();
		let mut spins = 0usize;
		while job.finished.load(Ordering::Acquire) < chunks {
			spins += 1;
			if spins.is_multiple_of(SPINS_PER_YIELD) {
				std::thread::yield_now();
			} else {
				std::hint::spin_loop();
			}
		}
		*self.shared.job.lock().unwrap_or_else(|e| e.into_inner()) = None;
		self.shared.busy.store(false, Ordering::Release);
		let panic = job.panic.lock().unwrap_or_else(|e| e.into_inner()).take();
		if let Some(panic) = panic {
			resume_unwind(panic);
		}
	}
}

/// A helper: waits for each job (spinning, then asleep) and takes part in it.
fn help(shared: &Shared) {
	let mut seen = shared.epoch.load(Ordering::Acquire);
	loop {
		let since = Instant::now();
		let mut spins = 0usize;
		while shared.epoch.load(Ordering::Acquire) == seen {
			spins += 1;
			if !spins.is_multiple_of(SPINS_PER_YIELD) {
				std::hint::spin_loop();
				continue;
			}
			std::thread::yield_now();
			if since.elapsed() < SPIN {
				continue;
			}
			// Asleep until the next job; the epoch is read under the lock the caller bumps it
			// under, so no job is missed.
			let slot = shared.job.lock().unwrap_or_else(|e| e.into_inner());
			shared.sleeping.fetch_add(1, Ordering::Relaxed);
			let slot = shared
				.wake
				.wait_while(slot, |_| shared.epoch.load(Ordering::Acquire) == seen)
				.unwrap_or_else(|e| e.into_inner());
			shared.sleeping.fetch_sub(1, Ordering::Relaxed);
			drop(slot);
		}
		seen = shared.epoch.load(Ordering::Acquire);
		let job = shared.job.lock().unwrap_or_else(|e| e.into_inner()).clone();
		if let Some(job) = job {
			job.work_on();
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn every_chunk_runs_once_whoever_runs_it_and_a_panic_reaches_the_caller() {
		let pool = Pool::new(2);
		for chunks in [0, 1, 2, 7, 300] {
			for _ in 0..50 {
				let counts: Vec<AtomicUsize> = (0..chunks).map(|_| AtomicUsize::new(0)).collect();
				pool.run(chunks, &|i| {
					counts[i].fetch_add(1, Ordering::Relaxed);
				});
				assert!(counts.iter().all(|c| c.load(Ordering::Relaxed) == 1), "{chunks}");
			}
		}
		// Callers at once: each job whole (one runs alone while the other has the helpers).
		std::thread::scope(|s| {
			for _ in 0..4 {
				s.spawn(|| {
					for _ in 0..50 {
						let sum = AtomicUsize::new(0);
						pool.run(64, &|i| {
							sum.fetch_add(i, Ordering::Relaxed);
						});
						assert_eq!(sum.load(Ordering::Relaxed), 64 * 63 / 2);
					}
				});
			}
		});
		// After a sleep the helpers wake for the next job.
		std::thread::sleep(SPIN * 4);
		let ran = AtomicUsize::new(0);
		pool.run(16, &|_| {
			ran.fetch_add(1, Ordering::Relaxed);
		});
		assert_eq!(ran.load(Ordering::Relaxed), 16);
		// A panicking chunk: every other chunk still runs, the panic comes back here.
		let ran = AtomicUsize::new(0);
		let caught = catch_unwind(AssertUnwindSafe(|| {
			pool.run(32, &|i| {
				ran.fetch_add(1, Ordering::Relaxed);
				assert!(i != 5, "chunk 5");
			})
		}));
		assert!(caught.is_err());
		assert_eq!(ran.load(Ordering::Relaxed), 32);
		// And the pool still works.
		let ran = AtomicUsize::new(0);
		pool.run(8, &|_| {
			ran.fetch_add(1, Ordering::Relaxed);
		});
		assert_eq!(ran.load(Ordering::Relaxed), 8);
	}
}
